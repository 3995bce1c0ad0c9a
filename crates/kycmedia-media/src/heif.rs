//! HEIC/HEIF decoding through libheif (Debian's `libheif1`, with libde265
//! for HEVC), behind the `heif` feature because building it needs the
//! library's headers (`libheif-dev`).
//!
//! libheif applies the image's `irot`, `imir` and `clap` transforms while
//! decoding, so the plane comes out upright: a HEIF's EXIF orientation is
//! informative only (the specification says so, and phones write both), so
//! nothing more is turned here.

use std::sync::OnceLock;

use image::metadata::Orientation;
use libheif_rs::{Chroma, ColorSpace, HeifContext, LibHeif};

use crate::decode::Decoded;
use crate::{Limits, MediaError};

/// Bytes libheif holds per output pixel while decoding: the HEVC picture
/// in 4:2:0 (1.5) and the luma plane it is converted to (1), rounded up.
/// The full-size copy made here is one more byte a pixel.
const DECODE_BYTES_PER_PIXEL: u64 = 4;

/// libheif's plugins are loaded once per process (`heif_init`), not once
/// per photo: initialising and tearing down the library for every upload
/// would rescan its plugin directory each time.
fn library() -> &'static LibHeif {
    static LIBRARY: OnceLock<LibHeif> = OnceLock::new();
    LIBRARY.get_or_init(LibHeif::new)
}

fn corrupt(e: impl std::fmt::Display) -> MediaError {
    MediaError::Corrupt(format!("heif: {e}"))
}

/// The primary image of a HEIC or HEIF as a full-size upright luma plane.
///
/// The displayed size is checked against `limits` before anything is
/// decoded (libheif's own limit, 32768 px a side, is far above ours).
/// Decoding is single-threaded: the server runs one analysis per core, and
/// libheif's tile threads would take another's core.
///
/// # Errors
/// [`MediaError::TooLarge`] past `limits`, [`MediaError::Corrupt`] when
/// libheif cannot read or decode the file (its message says why).
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    let library = library();
    let mut context = HeifContext::read_from_bytes(bytes).map_err(corrupt)?;
    context.set_max_decoding_threads(1);
    let handle = context.primary_image_handle().map_err(corrupt)?;
    // The size after the transforms, which is also what is allocated.
    let pixels = u64::from(handle.width()) * u64::from(handle.height());
    if pixels == 0 {
        return Err(corrupt("the primary image has no pixels"));
    }
    if pixels > limits.max_pixels || pixels.saturating_mul(DECODE_BYTES_PER_PIXEL) > limits.max_alloc {
        return Err(MediaError::TooLarge);
    }
    let image = library
        .decode(&handle, ColorSpace::YCbCr(Chroma::C420), None)
        .map_err(corrupt)?;
    let planes = image.planes();
    let y = planes.y.ok_or_else(|| corrupt("the decoded image has no luma plane"))?;
    let (width, height) = (y.width as usize, y.height as usize);
    if (width * height) as u64 > pixels {
        return Err(corrupt("the decoded image is larger than its header said"));
    }
    Ok(Decoded {
        width,
        height,
        grey: luma8(
            y.data,
            width,
            height,
            y.stride,
            y.storage_bits_per_pixel,
            y.bits_per_pixel,
        )?,
        orientation: Orientation::NoTransforms,
        blockiness: None,
    })
}

/// Rows of `stride` bytes cut to `width` 8-bit samples; deeper samples
/// (10- or 12-bit HDR photos, stored in 16 bits) are scaled to 8.
fn luma8(
    data: &[u8],
    width: usize,
    height: usize,
    stride: usize,
    storage: u8,
    bits: u8,
) -> Result<Vec<u8>, MediaError> {
    let sample = match storage {
        8 => 1,
        16 => 2,
        other => return Err(corrupt(format!("{other}-bit luma samples"))),
    };
    let row_bytes = width * sample;
    if stride < row_bytes || data.len() < stride * height.saturating_sub(1) + row_bytes {
        return Err(corrupt("the decoded plane is shorter than its size"));
    }
    let shift = u32::from(bits.clamp(8, 16) - 8);
    let mut grey = Vec::with_capacity(width * height);
    for row in data.chunks(stride).take(height) {
        let row = &row[..row_bytes];
        if sample == 1 {
            grey.extend_from_slice(row);
        } else {
            grey.extend(
                row.chunks_exact(2)
                    .map(|s| (u16::from_ne_bytes([s[0], s[1]]) >> shift).min(255) as u8),
            );
        }
    }
    Ok(grey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_cut_to_the_width_and_deep_samples_scaled_to_eight_bits() {
        let padded = [1, 2, 9, 9, 3, 4, 9, 9];
        assert_eq!(luma8(&padded, 2, 2, 4, 8, 8).ok(), Some(vec![1, 2, 3, 4]));
        let ten_bit = [1023u16, 512].iter().flat_map(|v| v.to_ne_bytes()).collect::<Vec<_>>();
        assert_eq!(luma8(&ten_bit, 2, 1, 4, 16, 10).ok(), Some(vec![255, 128]));
        assert!(luma8(&padded, 2, 3, 4, 8, 8).is_err());
    }
}
