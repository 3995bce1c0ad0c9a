//! Face quality components on a real photo (the astronaut portrait the
//! fixtures are made from, `fixtures/face.jpg`), under changes whose effect
//! on each component is known by construction.

mod common;

use common::{context, fixture, png};
use image::{Rgb, RgbImage};
use imageproc::geometric_transformations::{Interpolation, rotate_about_center};
use kycmedia_media::evidence::{Evidence, FaceQuality};
use kycmedia_media::{Issue, Limits, analyse};

/// `fixtures/face.jpg`: 480×480, the eyes at about (201, 154) and
/// (263, 158), the face's outline from x ≈ 165 to 300, chin at y ≈ 270.
fn portrait() -> RgbImage {
    image::load_from_memory(&fixture("face.jpg"))
        .expect("fixture decodes")
        .to_rgb8()
}

fn evidence_of(bytes: &[u8], ctx: &str) -> Evidence {
    analyse(context(ctx), bytes, &Limits::default())
        .expect("analyses")
        .evidence
}

fn assessed(image: &RgbImage) -> (FaceQuality, Vec<Issue>) {
    let evidence = evidence_of(&png(image), "face");
    let quality = evidence.face_quality.unwrap_or_else(|| panic!("a face: {evidence:?}"));
    (quality, evidence.issues)
}

fn pose(q: &FaceQuality) -> (f32, f32) {
    let p = q.pose.expect("landmarks found");
    (p.roll, p.yaw)
}

#[test]
fn landmarks_land_on_the_eyes_of_a_real_face() {
    let evidence = evidence_of(&fixture("face.jpg"), "face");
    let marks = evidence.face_quality.and_then(|q| q.landmarks).expect("landmarks");
    // Checked by hand once on a drawing of the points: the eye centres are
    // at (201, 154) and (263, 158) of 480; 0.015 is 7 px.
    let near = |p: [f32; 2], x: f32, y: f32| (p[0] - x / 480.0).abs() < 0.015 && (p[1] - y / 480.0).abs() < 0.015;
    assert!(near(marks.eye_left, 201.0, 154.0), "{marks:?}");
    assert!(near(marks.eye_right, 263.0, 158.0), "{marks:?}");
    assert!(
        marks.nose[1] > marks.eye_left[1] && marks.mouth_left[1] > marks.nose[1],
        "{marks:?}"
    );
}

#[test]
fn a_good_selfie_passes_every_gating_component_and_raises_no_issue() {
    let (q, issues) = assessed(&portrait());
    assert!(issues.is_empty(), "{issues:?}");
    for (name, value) in [
        ("crop_left", q.crop_left),
        ("crop_right", q.crop_right),
        ("crop_top", q.crop_top),
        ("crop_bottom", q.crop_bottom),
        ("yaw", q.yaw),
        ("roll", q.roll),
        ("pitch", q.pitch),
        ("eyes_visible", q.eyes_visible),
        ("mouth_visible", q.mouth_visible),
        ("illumination_uniformity", q.illumination_uniformity),
        ("luminance_mean", q.luminance_mean),
    ] {
        assert!(value >= 75, "{name} = {value}: {q:?}");
    }
    assert_eq!(q.single_face_present, 100);
    assert!(q.inter_eye_px.is_some_and(|px| (55.0..75.0).contains(&px)), "{q:?}");
}

#[test]
fn a_dark_or_blurred_copy_of_a_good_selfie_raises_no_face_issue() {
    // The capture page tells those apart by the frame's own hints.
    for name in ["face-dark.jpg", "face-blurred.jpg"] {
        let evidence = evidence_of(&fixture(name), "face");
        assert!(evidence.face_quality.is_some(), "{name}");
        assert!(evidence.issues.is_empty(), "{name}: {:?}", evidence.issues);
    }
}

#[test]
fn rotating_the_photo_by_15_degrees_turns_the_roll_by_about_15() {
    let (upright, _) = assessed(&portrait());
    for degrees in [15.0f32, -15.0] {
        let turned = rotate_about_center(
            &portrait(),
            degrees.to_radians(),
            Interpolation::Bilinear,
            Rgb([128; 3]),
        );
        let (q, _) = assessed(&turned);
        let change = pose(&q).0 - pose(&upright).0;
        assert!((change - degrees).abs() < 4.0, "{degrees}°: roll changed by {change}");
    }
}

#[test]
fn mirroring_the_photo_keeps_the_yaws_magnitude_and_flips_the_roll() {
    let (q, _) = assessed(&portrait());
    let (mirrored, _) = assessed(&image::imageops::flip_horizontal(&portrait()));
    let ((roll, yaw), (roll_m, yaw_m)) = (pose(&q), pose(&mirrored));
    assert!((yaw.abs() - yaw_m.abs()).abs() < 4.0, "yaw {yaw} vs {yaw_m}");
    assert!(
        roll * roll_m < 0.0 && (roll.abs() - roll_m.abs()).abs() < 4.0,
        "roll {roll} vs {roll_m}"
    );
}

#[test]
fn cutting_the_face_at_a_frame_edge_drops_that_edges_margin_only() {
    let photo = portrait();
    let cut = |x: u32, y: u32, w: u32, h: u32| image::imageops::crop_imm(&photo, x, y, w, h).to_image();
    let cases = [
        ("left", cut(175, 0, 305, 480)),
        ("top", cut(0, 115, 480, 365)),
        ("bottom", cut(0, 0, 480, 250)),
    ];
    for (edge, image) in cases {
        let (q, issues) = assessed(&image);
        let margins = [
            ("left", q.crop_left),
            ("right", q.crop_right),
            ("top", q.crop_top),
            ("bottom", q.crop_bottom),
        ];
        for (side, value) in margins {
            if side == edge {
                assert!(value < 50, "cut at the {edge}: {side} = {value}");
            } else {
                assert!(value >= 50, "cut at the {edge}: {side} = {value}");
            }
        }
        assert!(issues.contains(&Issue::FaceCutOff), "cut at the {edge}: {issues:?}");
    }
}

#[test]
fn darkening_one_half_of_the_face_lowers_illumination_uniformity() {
    let (even, _) = assessed(&portrait());
    let mut half = portrait();
    for (x, _, p) in half.enumerate_pixels_mut() {
        if x < 232 {
            p.0 = p.0.map(|v| (f32::from(v) * 0.45) as u8);
        }
    }
    let (uneven, issues) = assessed(&half);
    assert!(even.illumination_uniformity >= 50, "{even:?}");
    assert!(uneven.illumination_uniformity < 25, "{uneven:?}");
    // 0.45 in sRGB is about 0.17 in linear light.
    let balance = |q: &FaceQuality| q.light_balance.expect("landmarks found");
    assert!(balance(&even) > 0.6 && balance(&uneven) < 0.3, "{even:?} {uneven:?}");
    assert!(issues.contains(&Issue::UnevenLighting), "{issues:?}");
}

/// A skin tone, and the dark grey of a phone held up to the face.
const SKIN: [u8; 3] = [200, 160, 140];
const PHONE: [u8; 3] = [58, 60, 64];

/// The portrait with a patch of `colour` over `xs` × `ys`.
fn covered(xs: std::ops::Range<u32>, ys: std::ops::Range<u32>, colour: [u8; 3]) -> RgbImage {
    let mut image = portrait();
    for (x, y, p) in image.enumerate_pixels_mut() {
        if xs.contains(&x) && ys.contains(&y) {
            p.0 = colour;
        }
    }
    image
}

#[test]
fn a_skin_coloured_band_over_the_eyes_hides_them() {
    let (q, issues) = assessed(&covered(180..290, 140..172, SKIN));
    assert!(q.eyes_visible < 50, "{q:?}");
    assert!(issues.contains(&Issue::EyesHidden), "{issues:?}");
}

#[test]
fn a_dark_object_over_one_eye_hides_it_though_it_is_darker_than_the_cheek() {
    // Dark as an iris, so the eye zone's darkest tenth passes; but there is
    // nothing light beside it, as the lids and the white of an eye are.
    let (q, issues) = assessed(&covered(180..236, 136..176, PHONE));
    assert!((0..50).contains(&q.eyes_visible), "assessed, and hidden: {q:?}");
    assert!(issues.contains(&Issue::EyesHidden), "{issues:?}");
}

#[test]
fn a_phone_held_over_the_eyes_leaves_a_person_whose_eyes_are_hidden() {
    // Wide enough that rustface's frontal cascade no longer sees a face;
    // CenterFace, scanning the whole frame, still does.
    let evidence = evidence_of(&png(&covered(150..320, 120..190, PHONE)), "face");
    assert_eq!(evidence.faces.len(), 1, "{evidence:?}");
    let q = evidence.face_quality.expect("assessed");
    assert!((0..50).contains(&q.eyes_visible), "{q:?}");
    assert!(evidence.issues.contains(&Issue::EyesHidden), "{:?}", evidence.issues);
}

#[test]
fn a_skin_coloured_hand_over_the_mouth_hides_it() {
    let (q, issues) = assessed(&covered(190..280, 205..255, SKIN));
    assert!(q.mouth_visible < 50 && q.eyes_visible >= 50, "{q:?}");
    assert!(issues.contains(&Issue::MouthHidden), "{issues:?}");
}

#[test]
fn a_faceless_image_has_no_face_quality() {
    assert_eq!(evidence_of(&fixture("document-back.jpg"), "face").face_quality, None);
    let blank = RgbImage::from_pixel(640, 480, Rgb([120, 110, 100]));
    assert_eq!(evidence_of(&png(&blank), "face").face_quality, None);
}

#[test]
fn face_quality_is_assessed_for_every_face_family_and_no_other() {
    let photo = fixture("photo-1920.jpg");
    assert!(evidence_of(&photo, "document-and-face").face_quality.is_some());
    assert!(
        evidence_of(&photo, "document-front-face-cropped")
            .face_quality
            .is_some()
    );
    assert!(evidence_of(&photo, "document-front").face_quality.is_none());
}

#[test]
fn a_face_quality_failure_lowers_the_quality_and_a_pass_costs_nothing() {
    let limits = Limits::default();
    let quality = |bytes: &[u8]| analyse(context("face"), bytes, &limits).expect("analyses").quality;
    let mut covered = portrait();
    for (x, y, p) in covered.enumerate_pixels_mut() {
        if (180..290).contains(&x) && (140..172).contains(&y) {
            p.0 = [200, 160, 140];
        }
    }
    assert!(quality(&png(&covered)) < 0.85 * quality(&png(&portrait())));
}
