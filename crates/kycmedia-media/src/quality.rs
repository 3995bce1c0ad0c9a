//! Quality: is this capture usable, whatever it shows? Measured on pixels
//! where we can decode them (JPEG, PNG, WebP): focus and exposure are the two
//! failures a reviewer rejects most, and both are visible in luma alone.
//!
//! HEIC, HEIF and PDF have no pure-Rust decoder and videos are not decoded at
//! all, so their quality comes from resolution (and, for videos, duration)
//! only, and their `sharpness`/`exposure` are `None`.

use crate::decode::{self, Luma};
use crate::{Limits, MediaError, MediaKind, Probe};

/// Short side (px) at and above which resolution stops limiting quality:
/// VGA, the smallest capture a reviewer can still read a face or a card from.
const FULL_RESOLUTION_SIDE: f32 = 480.0;
/// Clips shorter than this (ms) score lower: too short to show liveness.
const FULL_DURATION_MS: f32 = 2_000.0;
/// Resolution factor when the container states no size (PDF, some videos):
/// neither rewarded nor punished much for what we cannot see.
const UNMEASURED: f32 = 0.5;
/// Laplacian variance at which sharpness reaches 1 - 1/e (about 0.63).
/// Calibrated on the fixtures at the 512 px working size: the sharp face
/// (variance ~200) scores ~0.9, its σ=4 blur (~4) ~0.05, and text-dense
/// card renderings saturate at 1.
const SHARPNESS_SCALE: f32 = 80.0;
/// Mean luma may stray this far from mid-grey (128) unpunished: white paper
/// and dark clothing are legitimate scenes, not exposure mistakes.
const MEAN_TOLERANCE: f32 = 32.0;
/// Luma at or beyond these is clipped: detail there is lost for good.
const CLIP_LOW: f32 = 6.0;
const CLIP_HIGH: f32 = 249.0;

/// The quality score and the sub-scores it was made of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scores {
    pub quality: f32,
    pub sharpness: Option<f32>,
    pub exposure: Option<f32>,
}

/// Scores an already probed upload.
///
/// # Errors
/// Whatever decoding the pixels returns ([`MediaError::Corrupt`],
/// [`MediaError::TooLarge`]).
pub(crate) fn score(probe: &Probe, bytes: &[u8], limits: &Limits) -> Result<Scores, MediaError> {
    let resolution = resolution_factor(probe.width, probe.height);
    if probe.kind == MediaKind::Video {
        let quality = resolution * duration_factor(probe.duration_ms);
        return Ok(Scores {
            quality,
            sharpness: None,
            exposure: None,
        });
    }
    let Some(plane) = decode::luma(probe.mimetype, bytes, limits)? else {
        return Ok(Scores {
            quality: resolution,
            sharpness: None,
            exposure: None,
        });
    };
    let (sharpness, exposure) = (sharpness(&plane), exposure(&plane));
    // Geometric mean: a capture that fails either test is unusable, and one
    // bad sub-score must not be averaged away by a good one.
    let quality = ((sharpness * exposure).sqrt() * resolution).clamp(0.0, 1.0);
    Ok(Scores {
        quality,
        sharpness: Some(sharpness),
        exposure: Some(exposure),
    })
}

/// `sqrt(short side / 480)`, capped at 1: halving the resolution costs about
/// 30 %, so a thumbnail is clearly worse but a 360 px selfie is not failed.
fn resolution_factor(width: Option<u32>, height: Option<u32>) -> f32 {
    match (width, height) {
        (Some(w), Some(h)) => (w.min(h) as f32 / FULL_RESOLUTION_SIDE).min(1.0).sqrt(),
        _ => UNMEASURED,
    }
}

/// `sqrt(duration / 2 s)`, capped at 1; a video without a duration never
/// gets here (probe rejects it), so `None` counts as zero length.
fn duration_factor(duration_ms: Option<u64>) -> f32 {
    let ms = duration_ms.unwrap_or(0) as f32;
    (ms / FULL_DURATION_MS).min(1.0).sqrt()
}

/// Focus: variance of the 4-neighbour Laplacian (edge energy; blur removes
/// exactly the high frequencies it responds to), mapped through the
/// saturating curve `1 - exp(-variance / SHARPNESS_SCALE)` so that a sharp
/// photo approaches 1 whatever its content, and a blurred one falls to 0.
pub(crate) fn sharpness(plane: &Luma) -> f32 {
    let (w, h) = (plane.width, plane.height);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let p = &plane.pixels;
    let (mut sum, mut sum_sq, mut n) = (0.0f64, 0.0f64, 0.0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            let lap = 4.0 * p[i] - p[i - 1] - p[i + 1] - p[i - w] - p[i + w];
            let lap = f64::from(lap);
            sum += lap;
            sum_sq += lap * lap;
            n += 1.0;
        }
    }
    let mean = sum / n;
    let variance = (sum_sq / n - mean * mean).max(0.0);
    (1.0 - (-variance / f64::from(SHARPNESS_SCALE)).exp()) as f32
}

/// Exposure: `(1 - d²) · (1 - clipped)`. `d` is how far mean luma strays
/// beyond ±32 of mid-grey, scaled so 0 is "within tolerance" and 1 is black
/// or white; squaring forgives a bright document (mean 190 still scores
/// 0.9) while a dark or washed-out frame drops fast. `clipped` is the share
/// of pixels crushed to black or blown to white, penalised on its own
/// because a face half blown out is lost even when the mean looks fine.
pub(crate) fn exposure(plane: &Luma) -> f32 {
    if plane.pixels.is_empty() {
        return 0.0;
    }
    let n = plane.pixels.len() as f32;
    let mean = plane.pixels.iter().sum::<f32>() / n;
    let clipped = plane
        .pixels
        .iter()
        .filter(|&&v| !(CLIP_LOW..=CLIP_HIGH).contains(&v))
        .count();
    let d = (((mean - 128.0).abs() - MEAN_TOLERANCE) / (128.0 - MEAN_TOLERANCE)).clamp(0.0, 1.0);
    ((1.0 - d * d) * (1.0 - clipped as f32 / n)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(width: usize, height: usize, f: impl Fn(usize, usize) -> f32) -> Luma {
        let pixels = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y));
        Luma {
            width,
            height,
            pixels: pixels.collect(),
        }
    }

    #[test]
    fn a_flat_grey_frame_is_well_exposed_but_has_no_focus() {
        let grey = plane(64, 64, |_, _| 128.0);
        assert_eq!(sharpness(&grey), 0.0);
        assert!((exposure(&grey) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_fine_checkerboard_is_sharp() {
        let board = plane(64, 64, |x, y| if (x + y) % 2 == 0 { 60.0 } else { 190.0 });
        assert!(sharpness(&board) > 0.99);
    }

    #[test]
    fn black_and_white_frames_score_zero_exposure() {
        assert_eq!(exposure(&plane(8, 8, |_, _| 0.0)), 0.0);
        assert_eq!(exposure(&plane(8, 8, |_, _| 255.0)), 0.0);
    }

    #[test]
    fn tiny_and_unmeasured_resolutions_score_lower_than_vga() {
        assert_eq!(resolution_factor(Some(640), Some(480)), 1.0);
        assert!(resolution_factor(Some(64), Some(64)) < 0.4);
        assert_eq!(resolution_factor(None, None), UNMEASURED);
    }

    #[test]
    fn short_clips_score_lower_than_long_ones() {
        assert_eq!(duration_factor(Some(3_000)), 1.0);
        assert!(duration_factor(Some(500)) <= 0.5);
        assert_eq!(duration_factor(None), 0.0);
    }
}
