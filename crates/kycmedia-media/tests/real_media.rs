//! Claims about the committed fixtures: real photos and clips whose right
//! answers are known because `fixtures/make.py` made them so.

mod common;

use common::{Expected, FIXTURES, context, fixture, natural_context};
use kycmedia_media::{Analysis, Limits, MediaKind, analyse, probe, sniff};

fn analysed(name: &str) -> Analysis {
    analysed_as(name, natural_context(name))
}

fn analysed_as(name: &str, context: kycmedia_media::Context) -> Analysis {
    analyse(context, &fixture(name), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn sharpness(a: &Analysis) -> Option<f32> {
    a.evidence.pixels.map(|m| m.sharpness)
}

fn exposure(a: &Analysis) -> Option<f32> {
    a.evidence.pixels.map(|m| m.exposure)
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
        for score in [Some(a.accuracy), Some(a.quality), sharpness(&a), exposure(&a)]
            .into_iter()
            .flatten()
        {
            assert!((0.0..=1.0).contains(&score), "{name}: {a:?}");
        }
        // Even the face washed out by over-exposure is found (by CenterFace,
        // where rustface's cascade finds none): a match, of low quality.
        assert!(a.matches, "{name} in its own context: {:?}", a.evidence);
    }
}

#[test]
fn a_blurred_copy_scores_lower_quality_than_the_sharp_original() {
    let (sharp, blurred) = (analysed("face.jpg"), analysed("face-blurred.jpg"));
    assert!(blurred.quality < sharp.quality, "{blurred:?} vs {sharp:?}");
    assert!(sharpness(&blurred) < sharpness(&sharp));
}

#[test]
fn an_under_exposed_copy_scores_lower_quality_than_the_original() {
    let (good, dark) = (analysed("face.jpg"), analysed("face-dark.jpg"));
    assert!(dark.quality < good.quality, "{dark:?} vs {good:?}");
    assert!(exposure(&dark) < exposure(&good));
}

#[test]
fn an_over_exposed_copy_scores_lower_quality_than_the_original() {
    let (good, bright) = (analysed("face.jpg"), analysed("face-bright.jpg"));
    assert!(bright.quality < good.quality, "{bright:?} vs {good:?}");
    assert!(exposure(&bright) < exposure(&good));
}

#[test]
fn a_good_photo_scores_high_and_its_degraded_copies_score_low() {
    assert!(analysed("face.jpg").quality > 0.6);
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
fn photos_and_h264_clips_have_pixel_scores_while_scans_and_vp8_clips_do_not() {
    for &Expected { name, mimetype, .. } in FIXTURES {
        let a = analysed(name);
        // selfid.mp4 and selfid.mov are H.264, whose keyframes are decoded.
        let decoded = matches!(
            mimetype,
            "image/jpeg" | "image/png" | "image/webp" | "video/mp4" | "video/quicktime"
        );
        assert_eq!(a.evidence.pixels.is_some(), decoded, "{name}");
    }
}

#[test]
fn a_pdf_suits_a_document_context_but_not_a_selfie() {
    let pdf = fixture("page.pdf");
    let limits = Limits::default();
    for ok in ["address-front", "document-front", "document-back-pre"] {
        let a = analyse(context(ok), &pdf, &limits);
        assert!(a.is_ok_and(|a| a.matches), "{ok}");
    }
    for low in ["face", "document-and-face", "registry-face"] {
        let a = analyse(context(low), &pdf, &limits);
        assert!(a.is_ok_and(|a| !a.matches), "{low}");
    }
}

#[test]
fn analysing_the_same_bytes_twice_gives_the_same_answer() {
    for &Expected { name, .. } in FIXTURES {
        assert_eq!(analysed(name), analysed(name), "{name}");
    }
}

#[test]
fn a_selfie_shows_one_dominant_face_and_a_card_photo_does_not() {
    let selfie = analysed_as("face.jpg", context("face"));
    assert!(
        selfie.matches && selfie.evidence.faces.len() == 1,
        "{:?}",
        selfie.evidence
    );
    let card = analysed_as("document-front.jpg", context("face"));
    assert!(
        !card.matches,
        "the card's portrait is not a selfie: {:?}",
        card.evidence
    );
}

#[test]
fn the_front_of_a_card_matches_the_front_and_not_the_back() {
    let front = analysed_as("document-front.jpg", context("document-front"));
    assert!(front.matches, "{:?}", front.evidence);
    let as_back = analysed_as("document-front.jpg", context("document-back"));
    assert!(!as_back.matches, "{:?}", as_back.evidence);
    assert!(as_back.evidence.findings.iter().any(|f| f.contains("front side")));
}

#[test]
fn the_back_of_a_card_matches_the_back_and_not_the_front() {
    let back = analysed_as("document-back.jpg", context("document-back"));
    assert!(back.matches, "{:?}", back.evidence);
    assert!(!analysed_as("document-back.jpg", context("document-front")).matches);
}

#[test]
fn a_face_beside_a_card_of_no_portrait_is_not_the_cards_back() {
    // The card found is a back (no portrait on it), but the photo also
    // shows a face: whatever it is, it is not a photo of a card's back.
    let decode = |name: &str| {
        image::load_from_memory(&fixture(name))
            .expect("fixture decodes")
            .to_rgb8()
    };
    let (card, face) = (decode("document-back.jpg"), decode("face.jpg"));
    let face = image::imageops::resize(&face, 360, 360, image::imageops::FilterType::Triangle);
    let mut frame = image::RgbImage::from_pixel(1100, 640, image::Rgb([128, 128, 128]));
    image::imageops::overlay(&mut frame, &card, 40, 104);
    image::imageops::overlay(&mut frame, &face, 730, 140);
    let bytes = common::png(&frame);
    let analysis = analyse(context("document-back"), &bytes, &Limits::default()).expect("analyses");
    assert!(!analysis.matches, "{:?}", analysis.evidence);
    assert!(!analysis.evidence.faces.is_empty(), "{:?}", analysis.evidence);
    let card_alone = analysed_as("document-back.jpg", context("document-back"));
    assert!(card_alone.matches && card_alone.evidence.faces.is_empty());
}

#[test]
fn a_selfie_is_not_a_document_and_a_card_is_not_a_barcode_photo_without_a_code() {
    assert!(!analysed_as("face.jpg", context("document-front")).matches);
    let no_code = analysed_as("document-back.jpg", context("document-back-barcode"));
    assert!(
        !no_code.matches && no_code.evidence.codes.is_empty(),
        "{:?}",
        no_code.evidence
    );
}

#[test]
fn a_selfie_stored_on_its_side_is_turned_upright_by_its_exif_orientation() {
    let sideways = analysed_as("face-sideways.jpg", context("face"));
    assert_eq!(sideways.evidence.orientation, Some(6));
    assert!(
        sideways.matches && sideways.evidence.faces.len() == 1,
        "{:?}",
        sideways.evidence
    );
}

#[test]
fn a_small_front_beside_a_card_shaped_slab_is_no_back() {
    // At this size the portrait is too small to be found in the whole
    // frame; it is found on the card's own outline, as the front finds it.
    let card = image::imageops::resize(&card_800(), 460, 290, image::imageops::FilterType::Triangle);
    let back = beside_a_slab(&card, "document-back");
    assert!(!back.matches, "{:?}", back.evidence);
    assert!(
        back.evidence
            .findings
            .iter()
            .any(|f| f == "the document shows a portrait: the front side?"),
        "{:?}",
        back.evidence.findings
    );
}

/// The card fixture at 800 px, as its portrait is found on it at that size.
fn card_800() -> image::RgbImage {
    let card = image::load_from_memory(&fixture("document-front.jpg"))
        .expect("fixture decodes")
        .to_rgb8();
    image::imageops::resize(&card, 800, 504, image::imageops::FilterType::Triangle)
}

/// `inset` on a grey frame beside a larger card-shaped slab, analysed as
/// `ctx`: the slab is the largest outline, and holds no portrait.
fn beside_a_slab(inset: &image::RgbImage, ctx: &str) -> Analysis {
    let mut frame = image::RgbImage::from_pixel(1800, 1000, image::Rgb([128, 128, 128]));
    let slab = image::RgbImage::from_pixel(900, 567, image::Rgb([235, 235, 230]));
    image::imageops::overlay(&mut frame, &slab, 40, 100);
    image::imageops::overlay(&mut frame, inset, 960, 250);
    analyse(context(ctx), &common::png(&frame), &Limits::default()).expect("analyses")
}

#[test]
fn a_card_beside_a_larger_card_shaped_slab_is_found_by_its_portrait() {
    let front = beside_a_slab(&card_800(), "document-front");
    assert!(front.matches, "{:?}", front.evidence);
    let findings = &front.evidence.findings;
    assert!(
        findings
            .iter()
            .any(|f| f == "a smaller id-1 outline holds the portrait"),
        "{findings:?}"
    );
    // The card's outline is the one reported, not the slab's.
    let card = front.evidence.document.expect("an outline");
    assert!((card.x - 960.0 / 1800.0).abs() < 0.02, "{card:?}");
}
