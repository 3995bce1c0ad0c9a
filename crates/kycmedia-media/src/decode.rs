//! Decoding to a small luma plane. Quality is judged on brightness alone
//! (focus and exposure live there; colour adds cost, not signal) and at a
//! fixed working size, so a 12 MP photo costs about what a 0.25 MP one does
//! once decoded, and scores are comparable across input resolutions.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader};

use crate::guard::guard;
use crate::{Limits, MediaError, jpeg};

/// The full-size decode, sampled upright without turning it.
mod full;

pub(crate) use full::Full;

/// Longest side of the plane every measure and detector runs on: large
/// enough for rustface to find a 20 px portrait on a card filling half the
/// frame, small enough that a 12 MP photo costs about what a VGA one does.
pub(crate) const WORKING_SIDE: usize = 640;
/// Longest side of the plane barcodes are read from: a PDF417 module must
/// stay at least ~1.5 px wide, which the working plane cannot promise.
pub(crate) const DETAIL_SIDE: usize = 1600;

/// A full-size greyscale decode, before shrinking and orientation.
pub(crate) struct Decoded {
    pub width: usize,
    pub height: usize,
    pub grey: Vec<u8>,
    pub orientation: Orientation,
    /// JPEG block artefacts measured on the stored grid, JPEG only.
    pub blockiness: Option<f32>,
}

/// What the pixel analysis works from: upright planes of bounded size.
pub(crate) struct Frame {
    /// Upright, longest side at most [`WORKING_SIDE`].
    pub plane: GrayImage,
    /// Upright, longest side at most [`DETAIL_SIDE`]; only when asked for.
    pub detail: Option<GrayImage>,
    pub blockiness: Option<f32>,
    /// The EXIF orientation that was applied (1 = as stored); `None` when
    /// the decoder turned the picture itself (HEIF's `irot`/`imir`, which
    /// libheif applies).
    pub orientation: Option<u8>,
    /// The decode at full size, for reading small print (an MRZ) from the
    /// pixels the camera took. Moved here, not copied: it was allocated
    /// anyway, and lives only as long as the analysis.
    pub full: Full,
}

/// Decodes a JPEG, PNG or WebP into a [`Frame`], applying EXIF orientation
/// so that detectors see faces upright; a HEIC or HEIF too with the `heif`
/// feature (through libheif). Returns `None` for types without a decoder
/// here (PDF, and HEIC/HEIF without the feature).
///
/// # Errors
/// [`MediaError::TooLarge`] when decoding would pass `limits`,
/// [`MediaError::Corrupt`] when the decoder fails.
pub(crate) fn frame(mimetype: &str, bytes: &[u8], limits: &Limits, detail: bool) -> Result<Option<Frame>, MediaError> {
    let decoded = match mimetype {
        "image/jpeg" => guard("jpeg", || jpeg::decode(bytes, limits))?,
        "image/png" => guard("png", || image_decode(ImageFormat::Png, bytes, limits))?,
        "image/webp" => guard("webp", || image_decode(ImageFormat::WebP, bytes, limits))?,
        #[cfg(feature = "heif")]
        "image/heic" | "image/heif" => {
            let decoded = guard("heif", || crate::heif::decode(bytes, limits))?;
            let turned_by_libheif = Frame {
                orientation: None,
                ..planes(decoded, detail)?
            };
            return Ok(Some(turned_by_libheif));
        }
        _ => return Ok(None),
    };
    planes(decoded, detail).map(Some)
}

/// Shrinks and turns a full-size decode upright.
pub(crate) fn planes(decoded: Decoded, detail: bool) -> Result<Frame, MediaError> {
    let Decoded {
        width,
        height,
        grey: mut buffer,
        orientation,
        blockiness,
    } = decoded;
    let pixels = width.checked_mul(height).filter(|&n| n > 0);
    let Some(grey) = pixels.and_then(|n| buffer.get(..n)) else {
        return Err(MediaError::Corrupt("decoder returned a short buffer".into()));
    };
    let upright = |side| upright(downscale(width, height, grey, side), orientation);
    let (plane, detail) = (
        enlarged(upright(WORKING_SIDE), WORKING_SIDE as u32),
        detail.then(|| upright(DETAIL_SIDE)),
    );
    buffer.truncate(width * height);
    Ok(Frame {
        plane,
        detail,
        blockiness,
        orientation: Some(orientation.to_exif()),
        full: Full::new(width, height, buffer, orientation),
    })
}

/// PNG and WebP through `image`, with its allocation cap lowered from the
/// default 512 MiB to ours so a hostile file fails before it allocates.
fn image_decode(format: ImageFormat, bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    let side = u32::try_from(limits.max_pixels).unwrap_or(u32::MAX);
    let mut caps = image::Limits::default();
    caps.max_alloc = Some(limits.max_alloc);
    caps.max_image_width = Some(side);
    caps.max_image_height = Some(side);
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let failed = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => MediaError::TooLarge,
        other => MediaError::Corrupt(format!("{format:?}: {other}")),
    };
    let mut decoder = reader.into_decoder().map_err(failed)?;
    decoder.set_limits(caps).map_err(failed)?;
    // `set_limits` checks dimensions; the output buffer is ours to check.
    if decoder.total_bytes() > limits.max_alloc {
        return Err(MediaError::TooLarge);
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let decoded = DynamicImage::from_decoder(decoder).map_err(failed)?;
    // One more full-size u8 plane, bounded by `max_pixels` via probe.
    let grey = decoded.into_luma8();
    Ok(Decoded {
        width: grey.width() as usize,
        height: grey.height() as usize,
        grey: grey.into_raw(),
        orientation,
        blockiness: None,
    })
}

/// `plane` shrunk so its longest side is at most `side`; a copy of it when
/// it already is.
pub(crate) fn reduced(plane: &GrayImage, side: u32) -> GrayImage {
    if longest(plane) <= side {
        return plane.clone();
    }
    scaled(plane, side)
}

/// `plane` enlarged so its longest side is `side`, when smaller.
///
/// Every measure then sees the same field of view at the same scale: a
/// small copy of a photo must not look sharper than the photo because its
/// pixels are fewer and so each one changes more.
fn enlarged(plane: GrayImage, side: u32) -> GrayImage {
    if longest(&plane) >= side || longest(&plane) == 0 {
        return plane;
    }
    scaled(&plane, side)
}

fn longest(plane: &GrayImage) -> u32 {
    plane.width().max(plane.height())
}

/// `plane` resampled (bilinear, which is enough at the ratios used here) so
/// its longest side is `side`, keeping its aspect ratio.
fn scaled(plane: &GrayImage, side: u32) -> GrayImage {
    let (w, h) = plane.dimensions();
    let scale = side as f32 / longest(plane).max(1) as f32;
    let (sw, sh) = ((w as f32 * scale).round() as u32, (h as f32 * scale).round() as u32);
    image::imageops::resize(plane, sw.max(1), sh.max(1), image::imageops::FilterType::Triangle)
}

/// Turns a stored-orientation plane upright.
fn upright(plane: GrayImage, orientation: Orientation) -> GrayImage {
    if orientation == Orientation::NoTransforms {
        return plane;
    }
    let mut image = DynamicImage::ImageLuma8(plane);
    image.apply_orientation(orientation);
    image.into_luma8()
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
fn downscale(width: usize, height: usize, grey: &[u8], max_side: usize) -> GrayImage {
    let longest = width.max(height);
    if longest <= max_side || max_side == 0 {
        return gray(width, height, grey.to_vec());
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
    let mut pixels = vec![0u8; out_w * out_h];
    for (out, taps) in pixels.chunks_exact_mut(out_w).zip(&rows) {
        for (x, o) in out.iter_mut().enumerate() {
            let v: f32 = taps.iter().map(|&(i, w)| wide[i * out_w + x] * w).sum();
            *o = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    gray(out_w, out_h, pixels)
}

/// Wraps a buffer known to hold `width * height` samples.
fn gray(width: usize, height: usize, pixels: Vec<u8>) -> GrayImage {
    let (w, h) = (width as u32, height as u32);
    GrayImage::from_raw(w, h, pixels).unwrap_or_else(|| GrayImage::new(w, h))
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

    fn decoded(width: usize, height: usize, grey: Vec<u8>, orientation: Orientation) -> Decoded {
        Decoded {
            width,
            height,
            grey,
            orientation,
            blockiness: None,
        }
    }

    #[test]
    fn downscaling_keeps_the_aspect_ratio_and_caps_the_longest_side() {
        let out = downscale(1920, 1080, &grey(1920, 1080, |_, _| 0), 512);
        assert_eq!(out.dimensions(), (512, 288));
        let out = downscale(300, 4000, &grey(300, 4000, |_, _| 0), 512);
        assert_eq!(out.dimensions(), (38, 512));
    }

    #[test]
    fn downscaling_preserves_mean_brightness() {
        let src = grey(1001, 777, |x, y| ((x * 7 + y * 13) % 256) as u8);
        let mean = |p: &[u8]| p.iter().map(|&v| f32::from(v)).sum::<f32>() / p.len() as f32;
        let out = downscale(1001, 777, &src, 512);
        let (src_mean, out_mean) = (mean(&src), mean(out.as_raw()));
        assert!((src_mean - out_mean).abs() < 0.5, "{src_mean} vs {out_mean}");
    }

    #[test]
    fn a_small_image_is_not_upscaled() {
        let out = downscale(200, 100, &grey(200, 100, |x, _| x as u8), 512);
        assert_eq!(out.dimensions(), (200, 100));
        assert_eq!(out.get_pixel(199, 0).0, [199]);
    }

    #[test]
    fn a_short_decoder_buffer_is_corrupt() {
        let short = |w, h, n| planes(decoded(w, h, vec![0; n], Orientation::NoTransforms), false);
        assert!(matches!(short(10, 10, 99), Err(MediaError::Corrupt(_))));
        assert!(matches!(short(0, 10, 0), Err(MediaError::Corrupt(_))));
        assert!(short(10, 10, 100).is_ok());
    }

    #[test]
    fn exif_orientation_turns_the_planes_upright() {
        // Stored 4 wide, 2 high, bright top-left; EXIF 6 = rotate 90° clockwise.
        let stored = grey(4, 2, |x, y| if (x, y) == (0, 0) { 255 } else { 0 });
        let frame = planes(decoded(4, 2, stored, Orientation::Rotate90), true).expect("planes");
        let detail = frame.detail.expect("asked for");
        assert_eq!(detail.dimensions(), (2, 4));
        assert_eq!(detail.get_pixel(1, 0).0, [255]);
        assert_eq!(frame.orientation, Some(6));
        // The working plane is enlarged to the working size, upright too.
        assert_eq!(frame.plane.dimensions(), (320, 640));
        assert!(frame.plane.get_pixel(300, 10).0[0] > frame.plane.get_pixel(20, 10).0[0]);
    }

    #[test]
    fn a_type_without_a_decoder_has_no_frame() {
        assert!(matches!(
            frame("application/pdf", b"", &Limits::default(), false),
            Ok(None)
        ));
    }
}
