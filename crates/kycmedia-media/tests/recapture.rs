//! A selfie photographed off a print or a screen is no live capture: the
//! face contexts must find the print's halftone dots or the screen's
//! sub-pixel grid over the face and refuse the match, and must not find
//! such a pattern on the live photo. Both recaptures are made here from
//! the real portrait of `fixtures/face.jpg`, enlarged so that the face
//! spans what it does in a phone's photo.

mod common;

use std::f32::consts::TAU;

use common::{context, fixture, png};
use image::imageops::{FilterType, resize};
use image::{Rgb, RgbImage};
use kycmedia_media::{Issue, Limits, analyse};

/// The portrait at 960×960: its face about 280 px wide.
fn live() -> RgbImage {
    let portrait = image::load_from_memory(&fixture("face.jpg"))
        .expect("fixture decodes")
        .to_rgb8();
    resize(&portrait, 960, 960, FilterType::Lanczos3)
}

/// The portrait as a halftone print: ink coverage modulated by a dot
/// screen of 5 px cells turned 15°, on off-white paper.
fn printed(image: &RgbImage) -> RgbImage {
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let (x, y) = (x as f32, y as f32);
        let (a, b) = (0.966 * x + 0.259 * y, -0.259 * x + 0.966 * y);
        let dot = 0.5 + 0.5 * (TAU * a / 5.0).cos() * (TAU * b / 5.0).cos();
        let p = image.get_pixel(x as u32, y as u32).0;
        Rgb(p.map(|v| {
            let ink = 1.0 - f32::from(v) / 255.0;
            // Where the dot is, ink; between dots, paper.
            (240.0 * (1.0 - (ink * 1.6 * dot).min(0.92))) as u8
        }))
    })
}

/// The portrait on an LCD: each display pixel three coloured columns and a
/// dark line under it, photographed at a pitch of 2.8 photo pixels a
/// display pixel (so the grid aliases).
fn on_screen(image: &RgbImage) -> RgbImage {
    let (w, h) = (image.width(), image.height());
    let shown = resize(image, w / 3, h / 3, FilterType::Triangle);
    let panel = RgbImage::from_fn(w, h, |x, y| {
        let p = shown
            .get_pixel((x / 3).min(shown.width() - 1), (y / 3).min(shown.height() - 1))
            .0;
        let row = if y % 3 == 2 { 0.3 } else { 1.0 };
        let mut out = [0u8; 3];
        let c = (x % 3) as usize;
        out[c] = (f32::from(p[c]) * 2.4 * row).min(255.0) as u8;
        Rgb(out)
    });
    resize(&panel, w * 28 / 30, h * 28 / 30, FilterType::Triangle)
}

#[test]
fn the_live_portrait_shows_no_periodic_pattern_and_matches() {
    let analysis = analyse(context("face"), &png(&live()), &Limits::default()).expect("analyses");
    let peak = analysis
        .evidence
        .recapture_peak
        .expect("the face is large enough to read");
    assert!(peak < 3.0, "{peak}");
    assert!(analysis.matches, "{:?}", analysis.evidence);
    assert!(!analysis.evidence.issues.contains(&Issue::Recaptured));
}

/// `image`, analysed as a selfie, is refused as a recapture.
fn assert_recaptured(image: &RgbImage) {
    let analysis = analyse(context("face"), &png(image), &Limits::default()).expect("analyses");
    assert!(
        analysis.evidence.issues.contains(&Issue::Recaptured),
        "{:?}",
        analysis.evidence
    );
    assert!(!analysis.matches);
}

#[test]
fn a_printout_of_the_portrait_is_a_recapture_and_does_not_match() {
    assert_recaptured(&printed(&live()));
}

#[test]
fn the_portrait_on_a_screen_is_a_recapture_and_does_not_match() {
    assert_recaptured(&on_screen(&live()));
}
