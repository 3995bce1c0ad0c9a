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
        grey: crate::rows::luma8(
            y.data,
            width,
            height,
            y.stride,
            y.storage_bits_per_pixel,
            y.bits_per_pixel,
        )
        .map_err(corrupt)?,
        orientation: Orientation::NoTransforms,
        blockiness: None,
    })
}
