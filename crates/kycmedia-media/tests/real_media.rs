//! Claims about the committed fixtures: real photos and clips whose right
//! answers are known because `fixtures/make.py` made them so.

mod common;

use common::{Expected, FIXTURES, context, fixture, natural_context};
use kycmedia_media::{Analysis, Limits, MediaKind, analyse, probe, sniff};

fn analysed(name: &str) -> Analysis {
    analyse(natural_context(name), &fixture(name), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_fixture_sniffs_and_probes_to_its_type_dimensions_and_duration() {
    for &Expected {
        name,
        mimetype,
        size,
        secs,
    } in FIXTURES
    {
        let bytes = fixture(name);
        let kind = if mimetype.starts_with("video/") {
            MediaKind::Video
        } else {
            MediaKind::Image
        };
        assert_eq!(sniff(&bytes).ok(), Some((mimetype, kind)), "{name}");
        let p = probe(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((p.mimetype, p.kind), (mimetype, kind), "{name}");
        assert_eq!(p.width.zip(p.height), size, "{name}");
        assert_eq!(p.duration_secs(), secs, "{name}");
    }
}

#[test]
fn every_fixture_scores_inside_the_unit_interval_in_its_own_context() {
    for &Expected { name, .. } in FIXTURES {
        let a = analysed(name);
        for score in [Some(a.accuracy), Some(a.quality), a.sharpness, a.exposure]
            .into_iter()
            .flatten()
        {
            assert!((0.0..=1.0).contains(&score), "{name}: {a:?}");
        }
        assert_eq!(a.accuracy, 1.0, "{name} should suit its own context");
    }
}

#[test]
fn a_blurred_copy_scores_lower_quality_than_the_sharp_original() {
    let (sharp, blurred) = (analysed("face.jpg"), analysed("face-blurred.jpg"));
    assert!(blurred.quality < sharp.quality, "{blurred:?} vs {sharp:?}");
    assert!(blurred.sharpness < sharp.sharpness);
}

#[test]
fn an_under_exposed_copy_scores_lower_quality_than_the_original() {
    let (good, dark) = (analysed("face.jpg"), analysed("face-dark.jpg"));
    assert!(dark.quality < good.quality, "{dark:?} vs {good:?}");
    assert!(dark.exposure < good.exposure);
}

#[test]
fn an_over_exposed_copy_scores_lower_quality_than_the_original() {
    let (good, bright) = (analysed("face.jpg"), analysed("face-bright.jpg"));
    assert!(bright.quality < good.quality, "{bright:?} vs {good:?}");
    assert!(bright.exposure < good.exposure);
}

#[test]
fn a_good_photo_scores_high_and_its_degraded_copies_score_low() {
    assert!(analysed("face.jpg").quality > 0.85);
    for name in ["face-blurred.jpg", "face-dark.jpg", "face-bright.jpg"] {
        assert!(analysed(name).quality < 0.6, "{name}");
    }
}

#[test]
fn the_same_face_scores_alike_as_jpeg_and_webp() {
    let (jpeg, webp) = (analysed("face.jpg"), analysed("face.webp"));
    assert!((jpeg.quality - webp.quality).abs() < 0.05, "{jpeg:?} vs {webp:?}");
}

#[test]
fn a_thumbnail_scores_lower_quality_than_the_full_size_photo() {
    assert!(analysed("face.png").quality < analysed("face.jpg").quality);
}

#[test]
fn photos_have_pixel_scores_while_scans_and_videos_do_not() {
    for &Expected { name, mimetype, .. } in FIXTURES {
        let a = analysed(name);
        let decoded = matches!(mimetype, "image/jpeg" | "image/png" | "image/webp");
        assert_eq!(a.sharpness.is_some(), decoded, "{name}");
        assert_eq!(a.exposure.is_some(), decoded, "{name}");
    }
}

#[test]
fn a_pdf_suits_a_document_context_but_not_a_selfie() {
    let pdf = fixture("page.pdf");
    let limits = Limits::default();
    for ok in ["address-front", "document-front", "document-back-pre"] {
        let a = analyse(context(ok), &pdf, &limits).map(|a| a.accuracy);
        assert_eq!(a.ok(), Some(1.0), "{ok}");
    }
    for low in ["face", "document-and-face", "registry-face"] {
        let a = analyse(context(low), &pdf, &limits).map(|a| a.accuracy);
        assert!(a.is_ok_and(|a| a < 0.5), "{low}");
    }
}

#[test]
fn analysing_the_same_bytes_twice_gives_the_same_answer() {
    for &Expected { name, .. } in FIXTURES {
        assert_eq!(analysed(name), analysed(name), "{name}");
    }
}
