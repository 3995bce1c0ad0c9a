//! Quality: is this capture usable, whatever it shows? Measured on the
//! upright working plane where we can decode the pixels (JPEG, PNG, WebP):
//! focus, exposure, contrast, noise and JPEG blocking are all visible in
//! luma alone. HEIC, HEIF and PDF have no pure-Rust decoder and videos are
//! not decoded, so their quality comes from resolution (and duration) only.

use image::GrayImage;
use imageproc::stats::percentile;

use crate::evidence::Measures;

/// Focus and noise: the measures that must tell grain from detail.
mod focus;

use focus::{median3, noise_sigma, sharpness};

/// Property tests: no degradation improves a measure that does not measure it.
#[cfg(test)]
mod invariance;

/// Clips shorter than this (ms) score lower: too short to show liveness.
const FULL_DURATION_MS: f32 = 2_000.0;
/// Resolution factor when the container states no size (PDF, some videos):
/// neither rewarded nor punished much for what we cannot see.
pub(crate) const UNMEASURED: f32 = 0.5;
/// Noise σ (grey levels, at the working size) a clean capture shows anyway:
/// the estimator also picks up fine texture.
const NOISE_FLOOR: f32 = 2.0;
/// Noise σ above the floor at which the noise score has fallen to 1/2.
const NOISE_HALF: f32 = 2.0;
/// Standard deviation of luma at and above which contrast is full.
const FULL_CONTRAST: f32 = 40.0;
/// JPEG block ratio a clean camera file stays under (a quality-85 selfie
/// measures ~1.15 and smooth, dark or upscaled captures up to ~1.3; quality
/// 20 measures ~1.9).
const BLOCK_FLOOR: f32 = 1.35;
/// Mean luma may stray this far from mid-grey (128) unpunished: white paper
/// and dark clothing are legitimate scenes, not exposure mistakes.
const MEAN_TOLERANCE: f32 = 32.0;
/// Luma at or beyond these is clipped: detail there is lost for good.
/// (Read on a shrunk copy, where grain on a clipped area averages a few
/// levels inside the range.)
pub(super) const CLIP_LOW: u8 = 10;
pub(super) const CLIP_HIGH: u8 = 245;

/// Every pixel measure of a working plane; `blockiness` is the raw ratio
/// from the JPEG decoder, if any.
pub(crate) fn measure(plane: &GrayImage, blockiness: Option<f32>) -> Measures {
    let noise_sigma = noise_sigma(plane);
    // Focus is judged after a 3×3 median, which keeps edges and removes
    // most grain, less the grain that survives it: grain must never pass
    // for detail, and on a soft photo it would outweigh the detail.
    let denoised = median3(plane);
    // What grain the median left: at least the share a 3×3 median of white
    // noise keeps (σ × 0.45), whatever the estimate on the smoothed plane.
    let grain = self::noise_sigma(&denoised).max(0.45 * noise_sigma);
    let small = crate::decode::reduced(plane, EXPOSURE_SIDE);
    Measures {
        sharpness: sharpness(&denoised, grain, plane),
        exposure: exposure_of(&small),
        brightness: brightness(&small),
        contrast: contrast(&small),
        noise: noise_score(noise_sigma, spread(&small)),
        noise_sigma,
        blockiness: blockiness.map_or(1.0, block_score),
    }
}

/// One number from the measures and the resolution factor.
///
/// A product of square roots: a capture that fails any test is unusable, so
/// one bad measure must not be averaged away by good ones (exposure 0.2
/// alone caps quality at 0.45). Contrast weighs half as much: a low-contrast
/// scene is often just a pale one.
pub(crate) fn combine(m: &Measures, resolution: f32) -> f32 {
    let weighted = (m.sharpness * m.exposure * m.noise * m.blockiness).sqrt() * m.contrast.powf(0.25);
    (weighted * resolution).clamp(0.0, 1.0)
}

/// `sqrt(short side / need)` up to the need, then a last 10 % earned up to
/// twice the need: more pixels than required still help a zooming reviewer,
/// and a copy downscaled from a larger original must rank below it.
pub(crate) fn resolution_factor(width: Option<u32>, height: Option<u32>, need: f32) -> f32 {
    match (width, height) {
        (Some(w), Some(h)) => {
            let short = w.min(h) as f32;
            (short / need).min(1.0).sqrt() * (0.9 + 0.1 * (short / (2.0 * need)).min(1.0))
        }
        _ => UNMEASURED,
    }
}

/// `sqrt(duration / 2 s)`, capped at 1; a video without a duration never
/// gets here (probe rejects it), so `None` counts as zero length.
pub(crate) fn duration_factor(duration_ms: Option<u64>) -> f32 {
    let ms = duration_ms.unwrap_or(0) as f32;
    (ms / FULL_DURATION_MS).min(1.0).sqrt()
}

/// Variance of luma.
pub(super) fn variance(p: &[u8]) -> f32 {
    let n = p.len().max(1) as f64;
    let mean = p.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    (p.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n) as f32
}

/// 1 up to the floor every photo shows, 1/2 at [`NOISE_HALF`] above it,
/// with σ read against the frame's own tonal range (`spread`): grain is
/// seen against the picture, so darkening a grainy photo (which shrinks σ
/// and the picture alike) must not make it look cleaner.
fn noise_score(sigma: f32, spread: f32) -> f32 {
    let relative = sigma * REFERENCE_SPREAD / spread.max(MIN_SPREAD);
    let excess = (relative - NOISE_FLOOR).max(0.0) / NOISE_HALF;
    1.0 / (1.0 + excess * excess)
}

/// The tonal range (5th to 95th percentile of the small copy, in grey
/// levels) the noise floor and half-point were set for: a well-lit capture.
const REFERENCE_SPREAD: f32 = 150.0;
/// A flat frame's spread is not divided by: its noise is judged as if it
/// had this much range.
const MIN_SPREAD: f32 = 40.0;

/// The 5th to 95th percentile range of luma on the small copy.
fn spread(small: &GrayImage) -> f32 {
    f32::from(percentile(small, 95)) - f32::from(percentile(small, 5))
}

/// RMS contrast (standard deviation of luma) against a well-lit scene's,
/// on the small copy, where grain has averaged out and cannot pass for
/// contrast.
pub(crate) fn contrast(plane: &GrayImage) -> f32 {
    (variance(plane.as_raw()).sqrt() / FULL_CONTRAST).min(1.0)
}

/// 1 for a clean JPEG, falling as block edges outgrow the texture.
fn block_score(ratio: f32) -> f32 {
    (-(ratio - BLOCK_FLOOR).max(0.0) * 2.5).exp()
}

/// Exposure: `(1 - d²) · (1 - clipped) · black point · white point ·
/// highlights`. `d` is how far mean luma strays beyond ±32 of mid-grey,
/// scaled so 0 is "within tolerance" and 1 is black or white; squaring
/// forgives a bright document (mean 190 still scores 0.9) while a dark or
/// washed-out frame drops fast. `clipped` is the share of pixels crushed to
/// black or blown to white, penalised on its own because a face half blown
/// out is lost even when the mean looks fine.
///
/// The mean alone cannot tell a low-key scene from an under-exposed one,
/// nor a pale one from an over-exposed one; the ends of the histogram can.
/// A well-exposed capture reaches near black somewhere (eyes, hair, print)
/// and near white somewhere (skin highlights, paper), so lifted blacks and
/// dimmed whites each cost up to half. And where more than a percent of the
/// frame is blown to the very top, detail was lost there for good: that
/// costs most of the score by 5 % (a frame brightened 2.5 times blows out
/// everything above 40 % grey).
///
/// Read on the frame's small copy (`small`, longest side
/// [`EXPOSURE_SIDE`], shared with contrast, noise and brightness): on a
/// quarter-size copy, grain must neither pass for deep blacks nor pull a
/// blown-out sky off the clipping point.
fn exposure_of(small: &GrayImage) -> f32 {
    exposure_but_blacks(small, true) * black_point(small)
}

/// [`exposure_of`] a full working plane (the tests' entry).
#[cfg(test)]
fn exposure(plane: &GrayImage) -> f32 {
    exposure_of(&crate::decode::reduced(plane, EXPOSURE_SIDE))
}

/// Every factor of [`exposure`] but the black point, read on an already
/// shrunk copy; the blown-highlight factor only when `highlights`.
fn exposure_but_blacks(small: &GrayImage, highlights: bool) -> f32 {
    let p = small.as_raw();
    if p.is_empty() {
        return 0.0;
    }
    let n = p.len() as f32;
    let mean = p.iter().map(|&v| f32::from(v)).sum::<f32>() / n;
    let clipped = p.iter().filter(|&&v| !(CLIP_LOW..=CLIP_HIGH).contains(&v)).count();
    let blown = p.iter().filter(|&&v| v >= BLOWN).count() as f32 / n;
    let d = (((mean - 128.0).abs() - MEAN_TOLERANCE) / (128.0 - MEAN_TOLERANCE)).clamp(0.0, 1.0);
    let highlights = if highlights {
        (-(blown - BLOWN_ALLOWED).max(0.0) / BLOWN_SCALE).exp()
    } else {
        1.0
    };
    let ends = white_point(small);
    ((1.0 - d * d) * (1.0 - clipped as f32 / n) * ends * highlights).clamp(0.0, 1.0)
}

/// Luma at which a pixel of the small copy is blown out for good: JPEG
/// ringing keeps a clipped area a few levels under 255.
const BLOWN: u8 = 250;
/// Share of the frame that may be blown unpunished: specular highlights,
/// a lamp, a sliver of window.
const BLOWN_ALLOWED: f32 = 0.01;
/// Blown share past the allowance at which the highlight factor is 1/e.
/// (Strict, because a white shirt blown out under a well-lit face, a fifth
/// of a selfie, does not reach it: face contexts read exposure on the face,
/// see [`subject_exposure`].)
const BLOWN_SCALE: f32 = 0.04;

/// Exposure of the subject: inside the largest face's box (the detector's
/// box holds the face from brows to chin; any wider and a selfie's box
/// takes in the shirt and the room), when it is large enough to read.
///
/// A selfie is exposed well when the face is: a white shirt or a window
/// blown out behind a well-lit face is no reason to prefer a darker copy,
/// and a face blown out in an otherwise plausible frame is lost. The box's
/// blown share is not counted here: at its edges the box takes in the room,
/// and how much of a blown window it holds swung this measure from 0.3 to
/// 0.9 between JPEG re-encodings of one selfie. Blown skin is judged by the
/// face quality's `over_exposure` on the landmarks' face region instead.
/// `None` when the box is too small to judge (the whole frame's exposure
/// stands).
pub(crate) fn subject_exposure(plane: &GrayImage, face: &crate::evidence::Face) -> Option<f32> {
    let (w, h) = (plane.width() as f32, plane.height() as f32);
    let (cx, cy) = ((face.x + face.width / 2.0) * w, (face.y + face.height / 2.0) * h);
    let (half_w, half_h) = (face.width * w / 2.0, face.height * h / 2.0);
    let x0 = (cx - half_w).max(0.0) as u32;
    let y0 = (cy - half_h).max(0.0) as u32;
    let x1 = ((cx + half_w).min(w) as u32).max(x0);
    let y1 = ((cy + half_h).min(h) as u32).max(y0);
    if x1 - x0 < SUBJECT_MIN || y1 - y0 < SUBJECT_MIN {
        return None;
    }
    let crop = image::imageops::crop_imm(plane, x0, y0, x1 - x0, y1 - y0).to_image();
    // Shrunk by four like the frame's copy, so grain averages out as much.
    let side = ((x1 - x0).max(y1 - y0) / 4).max(SUBJECT_MIN / 2);
    let shrunk = crate::decode::reduced(&crop, side);
    // Blacks are the frame's: a face has no black of its own once shrunk
    // (eyes and nostrils average out), while a haze lifts the whole frame's.
    let frame = crate::decode::reduced(plane, EXPOSURE_SIDE);
    Some(exposure_but_blacks(&shrunk, false) * black_point(&frame))
}

/// Smallest subject box (working-plane pixels a side) exposure is read on.
const SUBJECT_MIN: u32 = 24;

/// Mean luma in `[0, 1]`, read from the same small copy as exposure.
fn brightness(small: &GrayImage) -> f32 {
    let p = small.as_raw();
    if p.is_empty() {
        return 0.0;
    }
    p.iter().map(|&v| f32::from(v)).sum::<f32>() / (p.len() as f32 * 255.0)
}

/// Longest side of the copy exposure is read from.
const EXPOSURE_SIDE: u32 = 160;

/// Luma below which the darkest 1 % of a well-exposed capture falls: eyes,
/// hair, print and shadows reach near black in any real scene.
const BLACK_POINT: f32 = 30.0;

/// Luma the brightest 1 % of a well-exposed capture reaches.
const WHITE_POINT: f32 = 180.0;

/// 1 while the brightest percent is near white, down to 1/2 as it dims: a
/// frame whose whites are grey was under-exposed, even when a dark scene's
/// mean looked plausible.
fn white_point(plane: &GrayImage) -> f32 {
    let brightest = f32::from(percentile(plane, 99));
    1.0 - ((WHITE_POINT - brightest) / 130.0).clamp(0.0, 0.5)
}

/// 1 while the darkest percent is near black, down to 1/2 as it lifts: a
/// frame whose blacks are grey was washed out (over-exposed, hazy, flared)
/// even when its mean looks right.
fn black_point(plane: &GrayImage) -> f32 {
    let darkest = f32::from(percentile(plane, 1));
    1.0 - ((darkest - BLACK_POINT) / 80.0).clamp(0.0, 0.5)
}

#[cfg(test)]
pub(super) mod tests {
    use image::Luma;

    use super::*;

    pub(super) fn plane(width: u32, height: u32, f: impl Fn(u32, u32) -> u8) -> GrayImage {
        GrayImage::from_fn(width, height, |x, y| Luma([f(x, y)]))
    }

    /// Deterministic pseudo-random grain of roughly `amplitude` σ.
    pub(super) fn grain(x: u32, y: u32, amplitude: f32) -> f32 {
        let h = (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663)).wrapping_mul(2_654_435_761);
        ((h >> 8) % 1000) as f32 / 1000.0 * 3.46 * amplitude - 1.73 * amplitude
    }

    #[test]
    fn a_flat_grey_frame_has_no_focus_contrast_noise_blacks_or_whites() {
        let grey = plane(64, 64, |_, _| 128);
        let m = measure(&grey, None);
        assert_eq!((m.sharpness, m.contrast, m.noise_sigma), (0.0, 0.0, 0.0));
        assert!(m.noise == 1.0 && m.blockiness == 1.0);
        // The mean is fine; the blacks cost half, the whites (52 levels
        // short of the white point) another 0.4.
        assert!(
            (m.exposure - 0.5 * 0.6).abs() < 1e-6,
            "mean is fine, blacks and whites are missing: {m:?}"
        );
    }

    #[test]
    fn lifting_the_blacks_costs_exposure_and_keeping_them_does_not() {
        let full_range = plane(64, 64, |x, y| ((x * 4 + y) % 256) as u8);
        let lifted = plane(64, 64, |x, y| (100 + (x * 4 + y) % 156) as u8);
        assert!(exposure(&lifted) < 0.8 * exposure(&full_range));
    }

    #[test]
    fn grain_raises_the_noise_estimate_and_lowers_the_noise_score() {
        let clean = plane(128, 128, |x, _| (x * 2) as u8);
        let noisy = plane(128, 128, |x, y| {
            (x as f32 * 2.0 + grain(x, y, 12.0)).clamp(0.0, 255.0) as u8
        });
        let (c, n) = (measure(&clean, None), measure(&noisy, None));
        assert!(c.noise_sigma < 1.0, "{c:?}");
        assert!((n.noise_sigma - 12.0).abs() < 3.0, "{n:?}");
        assert!(n.noise < 0.2 && c.noise == 1.0);
    }

    #[test]
    fn black_and_white_frames_score_zero_exposure() {
        assert_eq!(exposure(&plane(8, 8, |_, _| 0)), 0.0);
        assert_eq!(exposure(&plane(8, 8, |_, _| 255)), 0.0);
    }

    #[test]
    fn resolution_saturates_at_twice_the_need_and_rises_until_then() {
        assert_eq!(resolution_factor(Some(1280), Some(960), 480.0), 1.0);
        assert!(resolution_factor(Some(640), Some(480), 480.0) < 1.0);
        assert!(resolution_factor(Some(640), Some(480), 480.0) > 0.9);
        assert!(resolution_factor(Some(64), Some(64), 480.0) < 0.4);
        assert_eq!(resolution_factor(None, None, 480.0), UNMEASURED);
    }

    #[test]
    fn heavy_blocking_costs_quality_and_a_camera_ratio_does_not() {
        assert_eq!(block_score(1.0), 1.0);
        assert!(block_score(1.3) == 1.0 && block_score(2.0) < 0.35);
    }

    #[test]
    fn short_clips_score_lower_than_long_ones() {
        assert_eq!(duration_factor(Some(3_000)), 1.0);
        assert!(duration_factor(Some(500)) <= 0.5);
        assert_eq!(duration_factor(None), 0.0);
    }
}
