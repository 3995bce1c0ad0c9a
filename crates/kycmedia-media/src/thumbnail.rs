//! A small upright JPEG of an image, for a reviewer's list. The analysis's
//! evidence boxes are fractions of the upright frame, so they can be drawn
//! over it as they are.
//!
//! The input is stored upload bytes, but still a stranger's: it is probed
//! first (which refuses a decompression bomb before any decoder allocates
//! for it, as at upload), decoded under the same [`Limits`], and every
//! parser runs inside [`guard`].

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::guard::guard;
use crate::{Limits, MediaError, MediaKind, probe};

/// JPEG quality of a thumbnail: small files, with print on a card still
/// legible at a reviewer's size.
const QUALITY: u8 = 80;

/// Whether [`thumbnail`] can decode files of `mimetype`: JPEG, PNG and
/// WebP; HEIC, HEIF, PDF and videos have no decoder here.
pub fn has_decoder(mimetype: &str) -> bool {
    decoder_format(mimetype).is_some()
}

fn decoder_format(mimetype: &str) -> Option<ImageFormat> {
    match mimetype {
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/png" => Some(ImageFormat::Png),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// A JPEG of `bytes` (quality 80, no metadata), turned upright by its EXIF
/// orientation and scaled so its longest side is `max_side` (at least 1);
/// an image already smaller keeps its size, since upscaling only smears.
/// Transparent parts are drawn on white.
///
/// Pure, and bounded by `limits` as analysis is: the full-size decode is the
/// largest allocation and most of the time (about 0.1 s of 0.15 s for a
/// 12 MP JPEG on one core); the scaling is an integer area average.
///
/// # Errors
/// [`MediaError::WrongKind`] naming the type for an accepted type that has
/// no decoder here (HEIC, HEIF, PDF, videos: see [`has_decoder`]); any
/// error of [`probe()`]; [`MediaError::TooLarge`] when decoding would pass
/// `limits`; [`MediaError::Corrupt`] when the decoder or the encoder fails.
pub fn thumbnail(bytes: &[u8], max_side: u32, limits: Limits) -> Result<Vec<u8>, MediaError> {
    let probed = probe(bytes, &limits)?;
    let format = match decoder_format(probed.mimetype) {
        Some(format) if probed.kind == MediaKind::Image => format,
        _ => {
            return Err(MediaError::WrongKind {
                mimetype: probed.mimetype,
            });
        }
    };
    // What follows the image's end is no part of it, as at upload.
    let bytes = bytes.get(..probed.content_len).unwrap_or(bytes);
    let (image, orientation) = guard("thumbnail decoder", || decode(format, bytes, &limits))?;
    let (width, height) = scaled_size(image.width(), image.height(), max_side.max(1));
    guard("thumbnail", || {
        let mut small = flattened(shrunk(image, width, height));
        // Turned after scaling: the same result, on a fraction of the pixels.
        small.apply_orientation(orientation);
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, QUALITY)
            .encode_image(&small)
            .map_err(|e| MediaError::Corrupt(format!("thumbnail encoder: {e}")))?;
        Ok(out)
    })
}

/// Decodes with `image`, its allocation cap lowered from the default
/// 512 MiB to ours so a hostile file fails before it allocates; the EXIF
/// orientation, read from the same decoder.
fn decode(format: ImageFormat, bytes: &[u8], limits: &Limits) -> Result<(DynamicImage, Orientation), MediaError> {
    let side = u32::try_from(limits.max_pixels).unwrap_or(u32::MAX);
    let mut caps = image::Limits::default();
    caps.max_alloc = Some(limits.max_alloc);
    caps.max_image_width = Some(side);
    caps.max_image_height = Some(side);
    let failed = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => MediaError::TooLarge,
        other => MediaError::Corrupt(format!("{format:?}: {other}")),
    };
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map_err(failed)?;
    decoder.set_limits(caps).map_err(failed)?;
    // `set_limits` checks dimensions; the output buffer is ours to check.
    if decoder.total_bytes() > limits.max_alloc {
        return Err(MediaError::TooLarge);
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(failed)?;
    Ok((image, orientation))
}

/// `width × height` scaled so the longest side is `max_side`, keeping the
/// aspect ratio (each side at least 1); unchanged when already within it.
fn scaled_size(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max_side {
        return (width, height);
    }
    let scale = |side: u32| (u64::from(side) * u64::from(max_side) + u64::from(longest) / 2) / u64::from(longest);
    let side = |side: u32| u32::try_from(scale(side)).unwrap_or(max_side).clamp(1, max_side);
    (side(width), side(height))
}

/// `image` box-averaged to `width × height` (no larger than it), as 8-bit
/// grey, grey and alpha, RGB or RGBA, whichever keeps what it has.
///
/// Each source pixel adds to exactly one output pixel, in integers, in one
/// pass over the decoded buffer: about a third of the time
/// `imageops::thumbnail` took at 12 MP (which weighs each pixel's share in
/// floating point), and the same average at the large ratios a thumbnail
/// is made at.
fn shrunk(image: DynamicImage, width: u32, height: u32) -> DynamicImage {
    let image = match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image,
        // 16-bit and float PNGs: rare, so a full-size 8-bit copy is fine.
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.into_rgba8()),
        other if other.color().has_color() => DynamicImage::ImageRgb8(other.into_rgb8()),
        other => DynamicImage::ImageLuma8(other.into_luma8()),
    };
    let (w, h) = (image.width(), image.height());
    let channels = usize::from(image.color().channel_count());
    let pixels = box_average(image.as_bytes(), channels, (w, h), (width, height));
    let built = match image {
        DynamicImage::ImageLuma8(_) => image::GrayImage::from_raw(width, height, pixels).map(DynamicImage::from),
        DynamicImage::ImageLumaA8(_) => image::GrayAlphaImage::from_raw(width, height, pixels).map(DynamicImage::from),
        DynamicImage::ImageRgba8(_) => image::RgbaImage::from_raw(width, height, pixels).map(DynamicImage::from),
        _ => image::RgbImage::from_raw(width, height, pixels).map(DynamicImage::from),
    };
    // `box_average` returns exactly `width * height * channels` bytes.
    built.unwrap_or_else(|| DynamicImage::new_rgb8(width, height))
}

/// Interleaved 8-bit samples, `channels` a pixel, of a `from` image averaged
/// over the boxes of a `to` grid (each side of `to` at least 1 and at most
/// `from`'s).
fn box_average(samples: &[u8], channels: usize, from: (u32, u32), to: (u32, u32)) -> Vec<u8> {
    let (src_w, src_h) = (from.0 as usize, from.1 as usize);
    let (out_w, out_h) = (
        to.0.clamp(1, from.0.max(1)) as usize,
        to.1.clamp(1, from.1.max(1)) as usize,
    );
    let mut out = vec![0u8; out_w * out_h * channels];
    if samples.len() < src_w * src_h * channels || src_w == 0 || src_h == 0 {
        return out;
    }
    // Which output column each source column adds to, and how many do.
    let column: Vec<usize> = (0..src_w).map(|x| x * out_w / src_w).collect();
    let mut per_column = vec![0u32; out_w];
    for &c in &column {
        per_column[c] += 1;
    }
    let mut sums = vec![0u32; out_w * channels];
    let mut rows = 0u32;
    let mut out_rows = out.chunks_exact_mut(out_w * channels);
    for (y, row) in samples.chunks_exact(src_w * channels).take(src_h).enumerate() {
        for (pixel, &c) in row.chunks_exact(channels).zip(&column) {
            for (sum, &v) in sums[c * channels..(c + 1) * channels].iter_mut().zip(pixel) {
                *sum += u32::from(v);
            }
        }
        rows += 1;
        // The last source row of this output row: write it out.
        if (y + 1) * out_h / src_h != y * out_h / src_h || y + 1 == src_h {
            if let Some(target) = out_rows.next() {
                for (c, (dst, sum)) in target
                    .chunks_exact_mut(channels)
                    .zip(sums.chunks_exact(channels))
                    .enumerate()
                {
                    let n = per_column[c] * rows;
                    for (d, &s) in dst.iter_mut().zip(sum) {
                        *d = ((s + n / 2) / n.max(1)) as u8;
                    }
                }
            }
            sums.fill(0);
            rows = 0;
        }
    }
    out
}

/// An image the JPEG encoder takes: 8-bit grey or RGB, any transparency
/// drawn on white (a scan's transparent margin would otherwise turn black).
fn flattened(image: DynamicImage) -> DynamicImage {
    let on_white = |c: u8, a: u8| ((u16::from(c) * u16::from(a) + 255 * u16::from(255 - a) + 127) / 255) as u8;
    match image {
        DynamicImage::ImageRgba8(rgba) => {
            let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
            for (out, pixel) in rgb.pixels_mut().zip(rgba.pixels()) {
                let [r, g, b, a] = pixel.0;
                out.0 = [on_white(r, a), on_white(g, a), on_white(b, a)];
            }
            DynamicImage::ImageRgb8(rgb)
        }
        DynamicImage::ImageLumaA8(la) => {
            let mut grey = image::GrayImage::new(la.width(), la.height());
            for (out, pixel) in grey.pixels_mut().zip(la.pixels()) {
                let [l, a] = pixel.0;
                out.0 = [on_white(l, a)];
            }
            DynamicImage::ImageLuma8(grey)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use image::{GenericImageView, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

    use super::*;

    /// A `width × height` picture: red in the top-left quarter, blue in the
    /// top-right, green below, with a texture so it is no flat colour.
    fn picture(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            let grain = ((x * 7 + y * 13) % 32) as u8;
            match (x < width / 2, y < height / 2) {
                (true, true) => Rgb([220 + grain / 2, grain, grain]),
                (false, true) => Rgb([grain, grain, 220 + grain / 2]),
                _ => Rgb([grain, 200 + grain, grain]),
            }
        })
    }

    fn jpeg(image: &RgbImage, exif: Option<Vec<u8>>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = JpegEncoder::new_with_quality(&mut out, 90);
        if let Some(exif) = exif {
            encoder.set_exif_metadata(exif).expect("the JPEG encoder takes EXIF");
        }
        encoder
            .write_image(
                image.as_raw(),
                image.width(),
                image.height(),
                image::ExtendedColorType::Rgb8,
            )
            .expect("a JPEG encodes");
        out
    }

    fn png(image: DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).expect("a PNG encodes");
        out.into_inner()
    }

    /// A big-endian TIFF block holding one tag, the orientation.
    fn exif_orientation(orientation: u16) -> Vec<u8> {
        let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
        tiff.extend_from_slice(&1u16.to_be_bytes());
        tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]);
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        tiff
    }

    fn decoded(jpeg: &[u8]) -> DynamicImage {
        assert!(jpeg.starts_with(&[0xFF, 0xD8]), "a JPEG");
        image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg).expect("the thumbnail decodes")
    }

    /// Whether every colour channel of `pixel` is near `expected`.
    fn near(pixel: Rgba<u8>, expected: [u8; 3]) -> bool {
        pixel.0[..3].iter().zip(expected).all(|(&a, b)| a.abs_diff(b) < 60)
    }

    #[test]
    fn a_large_jpeg_is_scaled_so_its_longest_side_is_the_maximum() {
        let thumb = thumbnail(&jpeg(&picture(1200, 800), None), 300, Limits::DEFAULT).unwrap();
        let image = decoded(&thumb);
        assert_eq!(image.dimensions(), (300, 200));
        assert!(near(image.get_pixel(10, 10), [230, 16, 16]), "red top-left");
        assert!(near(image.get_pixel(290, 10), [16, 16, 230]), "blue top-right");
        let tall = thumbnail(&jpeg(&picture(500, 1500), None), 300, Limits::DEFAULT).unwrap();
        assert_eq!(decoded(&tall).dimensions(), (100, 300));
    }

    #[test]
    fn an_image_smaller_than_the_maximum_keeps_its_size() {
        let thumb = thumbnail(&jpeg(&picture(120, 80), None), 300, Limits::DEFAULT).unwrap();
        assert_eq!(decoded(&thumb).dimensions(), (120, 80));
    }

    #[test]
    fn a_jpeg_stored_on_its_side_comes_out_upright() {
        // Stored 400 wide and 200 high; EXIF 6: turn 90° clockwise to show.
        let sideways = jpeg(&picture(400, 200), Some(exif_orientation(6)));
        let image = decoded(&thumbnail(&sideways, 100, Limits::DEFAULT).unwrap());
        assert_eq!(image.dimensions(), (50, 100), "width and height swap");
        // The stored top-left (red) is now the top-right; stored
        // top-right (blue) the bottom-right; green is on the left.
        assert!(
            near(image.get_pixel(45, 5), [230, 16, 16]),
            "{:?}",
            image.get_pixel(45, 5)
        );
        assert!(
            near(image.get_pixel(45, 95), [16, 16, 230]),
            "{:?}",
            image.get_pixel(45, 95)
        );
        assert!(
            near(image.get_pixel(5, 50), [16, 216, 16]),
            "{:?}",
            image.get_pixel(5, 50)
        );
    }

    #[test]
    fn the_committed_webp_and_sideways_selfie_make_upright_thumbnails() {
        let webp = include_bytes!("../../../fixtures/face.webp");
        let (w, h) = image::load_from_memory(webp).unwrap().dimensions();
        let thumb = decoded(&thumbnail(webp, 64, Limits::DEFAULT).unwrap());
        assert_eq!(thumb.width().max(thumb.height()), 64.min(w.max(h)));
        let sideways = include_bytes!("../../../fixtures/face-sideways.jpg");
        let (w, h) = image::load_from_memory(sideways).unwrap().dimensions();
        let thumb = decoded(&thumbnail(sideways, w.max(h), Limits::DEFAULT).unwrap());
        assert_eq!(thumb.dimensions(), (h, w), "orientation 6 swaps the sides");
    }

    #[test]
    fn a_thumbnail_carries_no_metadata() {
        let with_exif = jpeg(&picture(400, 200), Some(exif_orientation(6)));
        assert!(with_exif.windows(6).any(|w| w == b"Exif\0\0"), "the source has EXIF");
        let thumb = thumbnail(&with_exif, 100, Limits::DEFAULT).unwrap();
        assert!(!thumb.windows(6).any(|w| w == b"Exif\0\0"), "no EXIF");
        assert!(!thumb.windows(2).any(|w| w == [0xFF, 0xE1]), "no APP1 segment at all");
    }

    #[test]
    fn png_and_grey_and_transparent_images_make_thumbnails() {
        let colour = png(DynamicImage::ImageRgb8(picture(600, 300)));
        assert_eq!(
            decoded(&thumbnail(&colour, 200, Limits::DEFAULT).unwrap()).dimensions(),
            (200, 100)
        );
        let grey = png(DynamicImage::ImageLuma8(
            DynamicImage::ImageRgb8(picture(300, 600)).into_luma8(),
        ));
        assert_eq!(
            decoded(&thumbnail(&grey, 200, Limits::DEFAULT).unwrap()).dimensions(),
            (100, 200)
        );
        let clear = png(DynamicImage::ImageRgba8(RgbaImage::from_pixel(
            64,
            64,
            Rgba([0, 0, 0, 0]),
        )));
        let white = decoded(&thumbnail(&clear, 200, Limits::DEFAULT).unwrap());
        assert!(near(white.get_pixel(32, 32), [255, 255, 255]), "transparency on white");
    }

    #[test]
    fn types_without_a_decoder_are_refused_by_name() {
        let pdf = include_bytes!("../../../fixtures/page.pdf");
        let mp4 = include_bytes!("../../../fixtures/selfid.mp4");
        for (bytes, name) in [(&pdf[..], "application/pdf"), (&mp4[..], "video/mp4")] {
            match thumbnail(bytes, 100, Limits::DEFAULT) {
                Err(MediaError::WrongKind { mimetype }) => assert_eq!(mimetype, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        assert!(has_decoder("image/jpeg") && has_decoder("image/png") && has_decoder("image/webp"));
        assert!(!has_decoder("image/heic") && !has_decoder("application/pdf") && !has_decoder("video/mp4"));
    }

    #[test]
    fn an_image_over_the_limits_or_damaged_is_refused() {
        let photo = jpeg(&picture(400, 300), None);
        let tight = Limits {
            max_pixels: 100_000,
            max_alloc: 256 * 1024 * 1024,
        };
        assert!(matches!(thumbnail(&photo, 100, tight), Err(MediaError::TooLarge)));
        let small_alloc = Limits {
            max_pixels: 100_000_000,
            max_alloc: 300_000,
        };
        assert!(matches!(thumbnail(&photo, 100, small_alloc), Err(MediaError::TooLarge)));
        assert!(thumbnail(&photo[..photo.len() / 2], 100, Limits::DEFAULT).is_err());
        assert!(thumbnail(b"not an image", 100, Limits::DEFAULT).is_err());
    }

    #[test]
    fn box_averaging_means_each_box_and_keeps_a_same_size_image_as_it_is() {
        // 4 × 2 grey, into 2 × 1: each output is the mean of a 2 × 2 box.
        let grey = [0, 10, 100, 200, 20, 30, 50, 50];
        assert_eq!(box_average(&grey, 1, (4, 2), (2, 1)), [15, 100]);
        // 3 × 1 RGB into 2 × 1: boxes of 2 and 1 columns.
        let rgb = [10, 20, 30, 30, 40, 50, 255, 0, 7];
        assert_eq!(box_average(&rgb, 3, (3, 1), (2, 1)), [20, 30, 40, 255, 0, 7]);
        assert_eq!(box_average(&rgb, 3, (3, 1), (3, 1)), rgb);
        // A mean brightness survives a 12.5× reduction.
        let big: Vec<u8> = (0..1000 * 750).map(|i| (i * 7 % 251) as u8).collect();
        let small = box_average(&big, 1, (1000, 750), (80, 60));
        let mean = |v: &[u8]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
        assert!((mean(&big) - mean(&small)).abs() < 1.0);
        // A short buffer gives black, not a panic.
        assert_eq!(box_average(&[1, 2], 1, (4, 2), (2, 1)), [0, 0]);
    }

    #[test]
    fn scaled_sizes_keep_the_aspect_ratio_and_never_reach_zero() {
        assert_eq!(scaled_size(4000, 3000, 320), (320, 240));
        assert_eq!(scaled_size(3000, 4000, 320), (240, 320));
        assert_eq!(scaled_size(10_000, 10, 100), (100, 1));
        assert_eq!(scaled_size(100, 50, 320), (100, 50));
        assert_eq!(scaled_size(5, 5, 1), (1, 1));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Cut and corrupted photos: an error or a JPEG, never a panic.
        #[test]
        fn damaged_images_give_an_error_or_a_jpeg(
            as_png in proptest::bool::ANY,
            keep in 0.0f64..=1.0,
            flips in proptest::collection::vec((0.0f64..1.0, 1u8..=255), 0..12),
        ) {
            let source = picture(96, 64);
            let mut bytes = if as_png { png(DynamicImage::ImageRgb8(source)) } else { jpeg(&source, None) };
            for (at, bits) in flips {
                let i = ((bytes.len() - 1) as f64 * at) as usize;
                bytes[i] ^= bits;
            }
            bytes.truncate(((bytes.len() as f64) * keep) as usize);
            if let Ok(thumb) = thumbnail(&bytes, 32, Limits::DEFAULT) {
                proptest::prop_assert!(image::load_from_memory_with_format(&thumb, ImageFormat::Jpeg).is_ok());
            }
        }
    }
}
