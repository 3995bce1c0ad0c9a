//! Decoding to a small luma plane. Quality is judged on brightness alone
//! (focus and exposure live there; colour adds cost, not signal) and at a
//! fixed working size, so a 12 MP photo costs about what a 0.25 MP one does
//! once decoded, and scores are comparable across input resolutions.

use std::io::Cursor;

use image::{ImageFormat, ImageReader};

use crate::guard::guard;
use crate::{Limits, MediaError, jpeg};

/// Longest side of the plane the measures run on.
pub(crate) const WORKING_SIDE: usize = 512;

/// A row-major greyscale plane, values in `0.0..=255.0`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Luma {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<f32>,
}

/// Decodes a JPEG, PNG or WebP to luma and shrinks it to [`WORKING_SIDE`].
/// Returns `None` for types without a pure-Rust decoder (HEIC, HEIF, PDF).
///
/// EXIF orientation is not applied: rotating by quarter turns changes
/// neither focus nor exposure, so it would cost a copy for nothing.
///
/// # Errors
/// [`MediaError::TooLarge`] when decoding would pass `limits`,
/// [`MediaError::Corrupt`] when the decoder fails.
pub(crate) fn luma(mimetype: &str, bytes: &[u8], limits: &Limits) -> Result<Option<Luma>, MediaError> {
    let plane = match mimetype {
        "image/jpeg" => guard("jpeg", || jpeg::luma(bytes, limits))?,
        "image/png" => guard("png", || image_luma(ImageFormat::Png, bytes, limits))?,
        "image/webp" => guard("webp", || image_luma(ImageFormat::WebP, bytes, limits))?,
        _ => return Ok(None),
    };
    Ok(Some(plane))
}

/// PNG and WebP through `image`, with its allocation cap lowered from the
/// default 512 MiB to ours so a hostile file fails before it allocates.
fn image_luma(format: ImageFormat, bytes: &[u8], limits: &Limits) -> Result<Luma, MediaError> {
    let side = u32::try_from(limits.max_pixels).unwrap_or(u32::MAX);
    let mut caps = image::Limits::default();
    caps.max_alloc = Some(limits.max_alloc);
    caps.max_image_width = Some(side);
    caps.max_image_height = Some(side);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(caps);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => MediaError::TooLarge,
        other => MediaError::Corrupt(format!("{format:?}: {other}")),
    })?;
    // One more full-size u8 plane, bounded by `max_pixels` via probe.
    let grey = decoded.to_luma8();
    shrink(grey.width() as usize, grey.height() as usize, grey.as_raw())
}

/// Checks a decoder's `width × height` greyscale output and shrinks it to
/// [`WORKING_SIDE`]. Works from the `u8` buffer so that a 100 MP photo never
/// exists as a full-size `f32` plane (400 MB); only the shrunk one does.
pub(crate) fn shrink(width: usize, height: usize, grey: &[u8]) -> Result<Luma, MediaError> {
    let pixels = width.checked_mul(height).filter(|&n| n > 0);
    match pixels.and_then(|n| grey.get(..n)) {
        Some(grey) => Ok(downscale(width, height, grey, WORKING_SIDE)),
        None => Err(MediaError::Corrupt("decoder returned a short buffer".into())),
    }
}

/// Area-average resampling so the longest side is at most `max_side`.
///
/// Area averaging (each output pixel is the mean of the source area it
/// covers, fractional edges weighted) is what a camera sensor does, so it
/// neither invents sharpness (as nearest-neighbour aliasing would) nor blurs
/// more than the scale change requires. Images already small enough keep
/// their size: upscaling would only smear them.
///
/// `grey` must hold exactly `width * height` samples, row-major.
fn downscale(width: usize, height: usize, grey: &[u8], max_side: usize) -> Luma {
    let longest = width.max(height);
    if longest <= max_side || max_side == 0 {
        let pixels = grey.iter().map(|&v| f32::from(v)).collect();
        return Luma { width, height, pixels };
    }
    let scale = max_side as f64 / longest as f64;
    let out_w = ((width as f64 * scale).round() as usize).clamp(1, max_side);
    let out_h = ((height as f64 * scale).round() as usize).clamp(1, max_side);
    let cols = weights(width, out_w);
    let rows = weights(height, out_h);
    // Horizontal pass: every source row to `out_w` samples.
    let mut wide = vec![0.0f32; out_w * height];
    for (row, out) in grey.chunks_exact(width).zip(wide.chunks_exact_mut(out_w)) {
        for (o, taps) in out.iter_mut().zip(&cols) {
            *o = taps.iter().map(|&(i, w)| f32::from(row[i]) * w).sum();
        }
    }
    // Vertical pass.
    let mut pixels = vec![0.0f32; out_w * out_h];
    for (out, taps) in pixels.chunks_exact_mut(out_w).zip(&rows) {
        for (x, o) in out.iter_mut().enumerate() {
            *o = taps.iter().map(|&(i, w)| wide[i * out_w + x] * w).sum();
        }
    }
    Luma {
        width: out_w,
        height: out_h,
        pixels,
    }
}

/// For each of `dst` output samples, the source indices it covers and their
/// weights (summing to 1), when `src` samples are squeezed into `dst`.
fn weights(src: usize, dst: usize) -> Vec<Vec<(usize, f32)>> {
    let step = src as f64 / dst as f64;
    (0..dst)
        .map(|o| {
            let (start, end) = (o as f64 * step, ((o + 1) as f64 * step).min(src as f64));
            let mut taps = Vec::new();
            let mut i = start.floor() as usize;
            while (i as f64) < end && i < src {
                let covered = (end.min(i as f64 + 1.0) - start.max(i as f64)).max(0.0);
                if covered > 0.0 {
                    taps.push((i, (covered / (end - start)) as f32));
                }
                i += 1;
            }
            taps
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(width: usize, height: usize, f: impl Fn(usize, usize) -> u8) -> Vec<u8> {
        (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect()
    }

    #[test]
    fn downscaling_keeps_the_aspect_ratio_and_caps_the_longest_side() {
        let out = downscale(1920, 1080, &grey(1920, 1080, |_, _| 0), 512);
        assert_eq!((out.width, out.height), (512, 288));
        let out = downscale(300, 4000, &grey(300, 4000, |_, _| 0), 512);
        assert_eq!((out.width, out.height), (38, 512));
    }

    #[test]
    fn downscaling_preserves_mean_brightness() {
        let src = grey(1001, 777, |x, y| ((x * 7 + y * 13) % 256) as u8);
        let src_mean = src.iter().map(|&v| f32::from(v)).sum::<f32>() / src.len() as f32;
        let out = downscale(1001, 777, &src, 512);
        let out_mean = out.pixels.iter().sum::<f32>() / out.pixels.len() as f32;
        assert!((src_mean - out_mean).abs() < 0.5, "{src_mean} vs {out_mean}");
    }

    #[test]
    fn a_small_image_is_not_upscaled() {
        let out = downscale(200, 100, &grey(200, 100, |x, _| x as u8), 512);
        assert_eq!((out.width, out.height), (200, 100));
        assert_eq!(out.pixels[199], 199.0);
    }

    #[test]
    fn a_short_decoder_buffer_is_corrupt() {
        assert!(matches!(shrink(10, 10, &[0; 99]), Err(MediaError::Corrupt(_))));
        assert!(matches!(shrink(0, 10, &[]), Err(MediaError::Corrupt(_))));
        assert!(shrink(10, 10, &[0; 100]).is_ok());
    }

    #[test]
    fn an_unknown_type_has_no_plane() {
        assert_eq!(luma("image/heic", b"", &Limits::default()).ok(), Some(None));
    }
}
