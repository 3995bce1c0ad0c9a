//! JPEG to luma with zune-jpeg, which decodes straight to greyscale: it skips
//! colour conversion (and chroma upsampling), the fastest path measured on
//! this stack.
//!
//! zune-jpeg is tolerant like a browser: a file cut short decodes, with the
//! missing rows filled with mid-grey. Its strict mode would catch that but
//! also rejects camera files with harmless non-conformance, so we keep it
//! tolerant and detect truncation ourselves (`is_complete`); a grey
//! fill would otherwise score as perfectly exposed.

use image::metadata::Orientation;
use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

use crate::decode::Decoded;
use crate::{Limits, MediaError};

/// JPEG blocks are 8 luma samples wide.
const BLOCK: usize = 8;

/// Decodes a JPEG to full-size luma, with its EXIF orientation and block
/// artefact ratio.
///
/// # Errors
/// [`MediaError::TooLarge`] when the frame or the decoder's buffers would
/// pass `limits`; [`MediaError::Corrupt`] when the file is truncated or the
/// decoder fails.
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    let side = usize::try_from(limits.max_pixels.min(u64::from(u16::MAX))).unwrap_or(usize::MAX);
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(side)
        .set_max_height(side);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder
        .decode_headers()
        .map_err(|e| MediaError::Corrupt(format!("jpeg: {e:?}")))?;
    let info = decoder
        .info()
        .ok_or_else(|| MediaError::Corrupt("jpeg: no frame header".into()))?;
    let (width, height) = (usize::from(info.width), usize::from(info.height));
    // The decoder holds a plane per component besides the output plane.
    let planes = u64::from(info.components) + 1;
    let pixels = (width as u64) * (height as u64);
    if pixels > limits.max_pixels || pixels.saturating_mul(planes) > limits.max_alloc {
        return Err(MediaError::TooLarge);
    }
    if !is_complete(bytes) {
        return Err(MediaError::Corrupt("jpeg: truncated (no end-of-image marker)".into()));
    }
    let orientation = decoder
        .exif()
        .and_then(|exif| Orientation::from_exif_chunk(exif))
        .unwrap_or(Orientation::NoTransforms);
    let grey = decoder
        .decode()
        .map_err(|e| MediaError::Corrupt(format!("jpeg: {e:?}")))?;
    let blockiness = (grey.len() >= width * height).then(|| blockiness(width, height, &grey));
    Ok(Decoded {
        width,
        height,
        grey,
        orientation,
        blockiness,
    })
}

/// Added to both mean steps of [`blockiness`], in grey levels.
const RATIO_GUARD: f32 = 0.25;

/// How much stronger luma steps are across the 8×8 block grid than inside
/// blocks: about 1 for a camera JPEG, 1.5–3 once heavy compression has
/// flattened each block into its own tile. Measured on the stored full-size
/// grid (shrinking would smear it), on every other row and every fourth
/// column, which keeps it to a few milliseconds at 12 MP.
pub(crate) fn blockiness(width: usize, height: usize, grey: &[u8]) -> f32 {
    let (mut across, mut inside) = ([0u64; 2], [0u64; 2]);
    let mut add = |boundary: bool, a: u8, b: u8| {
        let slot = if boundary { &mut across } else { &mut inside };
        slot[0] += u64::from(a.abs_diff(b));
        slot[1] += 1;
    };
    for y in (0..height).step_by(2) {
        let row = &grey[y * width..(y + 1) * width];
        for x in 1..width {
            add(x % BLOCK == 0, row[x - 1], row[x]);
        }
    }
    for y in 1..height {
        for x in (0..width).step_by(4) {
            add(y % BLOCK == 0, grey[(y - 1) * width + x], grey[y * width + x]);
        }
    }
    let mean = |[sum, n]: [u64; 2]| sum as f32 / n.max(1) as f32;
    // The guard keeps flat, noiseless images (both means near 0) at a ratio
    // of 1; it is kept small because it is not scaled with the picture: a
    // guard of a whole grey level made a dark copy of a blocky photo read as
    // less blocky than the photo (both steps shrink, the guard does not).
    (mean(across) + RATIO_GUARD) / (mean(inside) + RATIO_GUARD)
}

/// Where the main image ends, and how much entropy-coded data it holds.
pub(crate) struct Layout {
    /// Just past the main image's end-of-image marker.
    pub end: usize,
    /// Bytes of entropy-coded scan data, across all scans.
    pub entropy_bytes: usize,
}

/// Whether the main image's marker stream reaches its end-of-image marker.
pub(crate) fn is_complete(bytes: &[u8]) -> bool {
    layout(bytes).is_some()
}

/// Walks the main image's marker stream to its end-of-image marker; `None`
/// when it never gets there (the file is cut short).
///
/// Walks the segments from SOI by their length fields (so an EXIF
/// thumbnail's own EOI inside APP1 is skipped), scans entropy-coded data for
/// the next real marker (`FF` followed by anything but a stuffed `00` or a
/// restart `D0`–`D7`), and stops at the first EOI: whatever follows it (a
/// motion photo's MP4, vendor trailers) is not part of the image.
pub(crate) fn layout(bytes: &[u8]) -> Option<Layout> {
    if bytes.get(..2) != Some(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    let mut entropy_bytes = 0;
    loop {
        // Tolerate stray bytes and fill bytes before a marker, as decoders do.
        i += bytes.get(i..)?.iter().position(|&b| b == 0xFF)?;
        while bytes.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *bytes.get(i)?;
        i += 1;
        match marker {
            0xD9 => return Some(Layout { end: i, entropy_bytes }),
            0x01 | 0xD0..=0xD7 => {}
            _ => {
                let &[hi, lo] = bytes.get(i..i + 2)? else {
                    return None;
                };
                let len = usize::from(u16::from_be_bytes([hi, lo]));
                if len < 2 {
                    return None;
                }
                i += len;
                if marker == 0xDA {
                    let end = entropy_end(bytes, i)?;
                    entropy_bytes += end.saturating_sub(i);
                    i = end;
                }
            }
        }
    }
}

/// Index of the `FF` that starts the first marker at or after `from`, other
/// than the stuffed bytes and restart markers entropy-coded data contains.
fn entropy_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        i += bytes.get(i..)?.iter().position(|&b| b == 0xFF)?;
        match bytes.get(i + 1)? {
            0x00 | 0xD0..=0xD7 => i += 2,
            _ => return Some(i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, a COM segment holding a fake EOI, SOS with entropy data holding
    /// a stuffed FF and a restart marker, then EOI.
    const MINIMAL: &[u8] = &[
        0xFF, 0xD8, // SOI
        0xFF, 0xFE, 0x00, 0x04, 0xFF, 0xD9, // COM "FF D9"
        0xFF, 0xDA, 0x00, 0x02, // SOS, empty header
        0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, // data, stuffed FF, RST3
        0xFF, 0xD9, // EOI
    ];

    #[test]
    fn steps_on_the_block_grid_raise_blockiness_and_smooth_ramps_do_not() {
        let tiles: Vec<u8> = (0..64 * 64).map(|i| (((i % 64) / BLOCK) * 30) as u8).collect();
        assert!(blockiness(64, 64, &tiles) > 3.0);
        let ramp: Vec<u8> = (0..64 * 64).map(|i| ((i % 64) * 3) as u8).collect();
        assert!((blockiness(64, 64, &ramp) - 1.0).abs() < 0.05);
    }

    #[test]
    fn a_jpeg_ending_in_its_end_of_image_marker_is_complete() {
        assert!(is_complete(MINIMAL));
    }

    #[test]
    fn a_trailer_after_the_end_of_image_marker_does_not_matter() {
        let mut bytes = MINIMAL.to_vec();
        bytes.extend_from_slice(b"\0\0\0\x18ftypmp42 motion photo");
        assert!(is_complete(&bytes));
    }

    #[test]
    fn every_proper_prefix_of_a_jpeg_is_truncated() {
        for cut in 0..MINIMAL.len() {
            assert!(!is_complete(&MINIMAL[..cut]), "prefix of {cut} bytes");
        }
    }

    #[test]
    fn an_end_of_image_marker_hidden_in_a_segment_is_not_the_end() {
        // Cut right after the COM segment whose payload is FF D9.
        assert!(!is_complete(&MINIMAL[..8]));
    }
}
