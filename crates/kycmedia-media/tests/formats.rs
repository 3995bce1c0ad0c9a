//! Pixels from every accepted format: the HEIC, H.264, HEVC and VP9
//! fixtures that `tests/fixtures/formats/make.sh` made from one real
//! portrait (and a card and a scene without a face), and what each is
//! judged on.

use kycmedia_media::{Analysis, Context, Limits, MediaError, MediaKind, analyse};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/formats/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run tests/fixtures/formats/make.sh)"))
}

fn context(text: &str) -> Context {
    Context::parse(MediaKind::Image, text)
        .or_else(|| Context::parse(MediaKind::Video, text))
        .unwrap_or_else(|| panic!("unknown context {text}"))
}

fn analysed(name: &str, under: &str) -> Analysis {
    analyse(context(under), &fixture(name), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn decoded_frames(a: &Analysis) -> (&'static str, u32) {
    let video = a.evidence.video.expect("video facts");
    (video.codec, video.frames_decoded)
}

#[cfg(feature = "heif")]
#[test]
fn a_heic_stored_on_its_side_decodes_upright_and_measures_like_the_same_photo_as_jpeg() {
    let heic = analysed("photo.heic", "face");
    let jpeg = analysed("photo.jpg", "face");
    // Stored 1344x1008 with `irot`: a frontal detector finds the face only
    // when libheif's rotation has been applied.
    assert_eq!(heic.evidence.faces.len(), 1, "{:?}", heic.evidence.findings);
    assert!(heic.matches && jpeg.matches);
    assert_eq!(heic.evidence.orientation, None, "libheif turned it, not EXIF");
    let (h, j) = (
        heic.evidence.pixels.expect("measured"),
        jpeg.evidence.pixels.expect("measured"),
    );
    for (what, a, b, tolerance) in [
        ("sharpness", h.sharpness, j.sharpness, 0.1),
        ("exposure", h.exposure, j.exposure, 0.03),
        ("brightness", h.brightness, j.brightness, 0.02),
        ("contrast", h.contrast, j.contrast, 0.03),
        ("noise", h.noise, j.noise, 0.1),
    ] {
        assert!((a - b).abs() <= tolerance, "{what}: heic {a} vs jpeg {b}");
    }
    assert!(
        (heic.quality - jpeg.quality).abs() <= 0.1,
        "{} vs {}",
        heic.quality,
        jpeg.quality
    );
    let (hf, jf) = (heic.evidence.faces[0], jpeg.evidence.faces[0]);
    assert!(
        (hf.x - jf.x).abs() < 0.05 && (hf.y - jf.y).abs() < 0.05,
        "{hf:?} vs {jf:?}"
    );
}

#[cfg(not(feature = "heif"))]
#[test]
fn without_the_heif_feature_a_heic_is_ranked_on_its_resolution_alone() {
    let heic = analysed("photo.heic", "face");
    assert!(heic.evidence.pixels.is_none());
    assert!(heic.evidence.findings.iter().any(|f| f.contains("pixels not decoded")));
}

#[test]
fn an_h264_face_clip_shows_a_face_under_the_selfie_video_contexts() {
    for name in ["face.mp4", "face.mov"] {
        for under in ["selfid_video", "face-pre-video"] {
            let a = analysed(name, under);
            assert_eq!(decoded_frames(&a), ("h264", 3), "{name}");
            assert!(a.matches, "{name} under {under}: {:?}", a.evidence.findings);
            assert_eq!(a.evidence.faces.len(), 1, "{name}: {:?}", a.evidence.findings);
            assert!(a.evidence.pixels.is_some());
            assert!(
                a.evidence.findings[0].contains("3 H.264 keyframes decoded"),
                "{:?}",
                a.evidence.findings
            );
        }
    }
}

#[test]
fn a_quicktime_clip_recorded_sideways_is_turned_by_its_display_matrix() {
    // face.mov stores landscape frames of a portrait clip and a matrix that
    // turns them a quarter turn clockwise, as an iPhone records; a frontal
    // detector finds the face only in the turned frame.
    let mov = analysed("face.mov", "selfid_video");
    let mp4 = analysed("face.mp4", "selfid_video");
    // The best keyframe may differ (the clip pans), but the face is the
    // same size in the upright frame: a box measured across a lying frame
    // would swap its width and height fractions.
    assert_eq!(mov.evidence.faces.len(), 1, "{:?}", mov.evidence.findings);
    let (m, p) = (mov.evidence.faces[0], mp4.evidence.faces[0]);
    assert!(
        (m.width - p.width).abs() < 0.03 && (m.height - p.height).abs() < 0.03,
        "{m:?} vs {p:?}"
    );
}

#[test]
fn a_clip_without_a_face_does_not_match_a_selfie_video_and_ranks_below_the_face_clip() {
    let face = analysed("face.mp4", "selfid_video");
    let scene = analysed("scene.mp4", "selfid_video");
    assert_eq!(decoded_frames(&scene).1, 3);
    assert!(!scene.matches, "{:?}", scene.evidence.findings);
    assert!(scene.accuracy < face.accuracy && scene.score < face.score);
    assert!(scene.evidence.faces.is_empty());
}

#[test]
fn a_card_clip_matches_the_document_video_and_the_scene_does_not() {
    let card = analysed("card.mp4", "document-front-pre-video");
    assert!(card.matches, "{:?}", card.evidence.findings);
    assert!(card.evidence.document.is_some());
    let scene = analysed("scene.mp4", "document-front-pre-video");
    assert!(
        !scene.matches && scene.evidence.document.is_none(),
        "{:?}",
        scene.evidence.findings
    );
    // Under the selfie video the card's portrait is seen, and refused as
    // not live: the rule of the face photos, applied to the keyframes.
    let as_selfie = analysed("card.mp4", "selfid_video");
    assert!(!as_selfie.matches, "{:?}", as_selfie.evidence.findings);
}

#[test]
fn vp9_and_hevc_clips_fall_back_to_container_facts_naming_their_codec() {
    for (name, codec, said) in [
        ("face.webm", "vp9", "VP9 video"),
        ("face-hevc.mp4", "hevc", "HEVC (H.265) video"),
    ] {
        let a = analysed(name, "selfid_video");
        assert_eq!(decoded_frames(&a), (codec, 0), "{name}");
        assert!(a.evidence.pixels.is_none() && a.evidence.faces.is_empty());
        let finding = format!("{said} not decoded here: judged on container facts only");
        assert!(
            a.evidence.findings.contains(&finding),
            "{name}: {:?}",
            a.evidence.findings
        );
        // The container facts of a plausible 3 s clip still match, as before.
        assert!(a.matches, "{name}");
    }
}

/// Every way a fixture is cut short or damaged here gives an answer or a
/// [`MediaError`], never a panic: truncations must be refused, byte flips
/// (in the headers, the parameter sets and the coded pictures) may be
/// either, and an answer stays inside the unit interval.
#[test]
fn cut_and_damaged_clips_and_heics_give_a_media_error_never_a_panic() {
    let files = [
        ("photo.heic", "face"),
        ("face.mp4", "selfid_video"),
        ("face.mov", "selfid_video"),
        ("card.mp4", "document-front-pre-video"),
        ("face-hevc.mp4", "selfid_video"),
        ("face.webm", "selfid_video"),
    ];
    for (name, under) in files {
        let whole = fixture(name);
        for keep in [
            8,
            64,
            1000,
            whole.len() / 3,
            whole.len() / 2,
            whole.len() - 100,
            whole.len() - 1,
        ] {
            let cut = analyse(context(under), &whole[..keep], &Limits::default());
            assert!(
                matches!(cut, Err(MediaError::Corrupt(_) | MediaError::Unsupported)),
                "{name} cut to {keep} bytes: {:?}",
                cut.map(|a| a.evidence.findings)
            );
        }
        // Flips spread over the file, denser in the first 4 KiB (headers,
        // sample tables, parameter sets, the first keyframe's slice header).
        let positions = (0..12)
            .map(|i| 7 + i * 4096 / 12)
            .chain((1..12).map(|i| i * whole.len() / 12));
        for (i, at) in positions.enumerate() {
            let mut bytes = whole.clone();
            bytes[at] ^= [0xFF, 0x01, 0x80, 0x10][i % 4];
            match analyse(context(under), &bytes, &Limits::default()) {
                Ok(a) => assert!(
                    (0.0..=1.0).contains(&a.accuracy) && (0.0..=1.0).contains(&a.quality),
                    "{name}@{at}"
                ),
                Err(MediaError::Corrupt(why)) => assert!(!why.is_empty()),
                Err(_) => {}
            }
        }
    }
}

#[test]
fn a_keyframe_over_the_pixel_limit_is_too_large_before_it_is_decoded() {
    let limits = Limits {
        max_pixels: 1_000_000,
        max_alloc: 1_000_000,
    };
    // 360x480 frames with the reference frames the stream declares need
    // more than a megabyte of decoder memory.
    let small = analyse(context("selfid_video"), &fixture("face.mp4"), &limits);
    assert!(
        matches!(small, Err(MediaError::TooLarge)),
        "{:?}",
        small.map(|a| a.evidence.findings)
    );
}

#[test]
fn analysing_a_clip_twice_gives_the_same_answer() {
    assert_eq!(
        analysed("face.mp4", "selfid_video"),
        analysed("face.mp4", "selfid_video")
    );
}
