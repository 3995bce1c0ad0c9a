//! Type detection from magic bytes. The client's declared mimetype is never
//! trusted: the stored type is whatever the bytes say, and anything outside
//! the short list below is refused before a parser sees it.

use crate::{MediaError, MediaKind};

/// HEVC-coded HEIF brands (ISO/IEC 23008-12 Annex B): these files are HEIC.
const HEVC_BRANDS: [&[u8; 4]; 8] = [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"];
/// Generic HEIF structural brands: image or sequence, codec unspecified.
const HEIF_BRANDS: [&[u8; 4]; 2] = [b"mif1", b"msf1"];
/// Brands whose files are AVIF (AV1-coded HEIF), which we do not accept.
const AVIF_BRANDS: [&[u8; 4]; 2] = [b"avif", b"avis"];

/// Returns the mimetype and kind of `bytes`, or [`MediaError::Unsupported`].
///
/// Accepted: JPEG, PNG, WebP, HEIC/HEIF and PDF (images; a PDF is a scanned
/// document), MP4, QuickTime and WebM (videos).
///
/// # Errors
/// [`MediaError::Unsupported`] for empty input and every other type.
pub fn sniff(bytes: &[u8]) -> Result<(&'static str, MediaKind), MediaError> {
    let Some(found) = infer::get(bytes) else {
        // `infer` recognises HEIF only when a HEVC brand is present; a plain
        // `mif1` file is still HEIF, so look at the brands ourselves.
        return heif_flavour(bytes)
            .map(|m| (m, MediaKind::Image))
            .ok_or(MediaError::Unsupported);
    };
    let accepted = match found.mime_type() {
        "image/jpeg" => ("image/jpeg", MediaKind::Image),
        "image/png" => ("image/png", MediaKind::Image),
        "image/webp" => ("image/webp", MediaKind::Image),
        "application/pdf" => ("application/pdf", MediaKind::Image),
        "image/heif" => match heif_flavour(bytes) {
            Some(mime) => (mime, MediaKind::Image),
            None => return Err(MediaError::Unsupported),
        },
        "video/mp4" => ("video/mp4", MediaKind::Video),
        "video/quicktime" => ("video/quicktime", MediaKind::Video),
        "video/webm" => ("video/webm", MediaKind::Video),
        _ => return Err(MediaError::Unsupported),
    };
    Ok(accepted)
}

/// `image/heic` for HEVC-coded HEIF, `image/heif` for other non-AVIF HEIF,
/// `None` when `bytes` do not start with a HEIF `ftyp` box.
///
/// Phones label their photos `image/heic` and browsers send that name, so the
/// stored type must distinguish the two rather than use infer's `image/heif`.
fn heif_flavour(bytes: &[u8]) -> Option<&'static str> {
    let brands = ftyp_brands(bytes)?;
    let has = |set: &[&[u8; 4]]| brands.iter().any(|b| set.contains(b));
    if has(&AVIF_BRANDS) {
        None
    } else if has(&HEVC_BRANDS) {
        Some("image/heic")
    } else if has(&HEIF_BRANDS) {
        Some("image/heif")
    } else {
        None
    }
}

/// Major and compatible brands of a leading ISO-BMFF `ftyp` box, ignoring
/// the minor version; `None` when there is no well-formed `ftyp` box.
fn ftyp_brands(bytes: &[u8]) -> Option<Vec<&[u8; 4]>> {
    let size = u32::from_be_bytes(*bytes.first_chunk::<4>()?) as usize;
    if bytes.get(4..8)? != b"ftyp" || size < 16 || size > bytes.len() {
        return None;
    }
    let body = bytes.get(8..size)?;
    let major = body.first_chunk::<4>()?;
    let compatible = body.get(8..)?.chunks_exact(4).filter_map(|c| c.first_chunk::<4>());
    Some(std::iter::once(major).chain(compatible).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `ftyp` box with the given major and compatible brands.
    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len() as u32;
        let mut out = Vec::new();
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(b"ftyp");
        out.extend_from_slice(major);
        out.extend_from_slice(&[0; 4]);
        for brand in compatible {
            out.extend_from_slice(*brand);
        }
        out
    }

    #[test]
    fn an_apple_heic_photo_is_reported_as_heic() {
        let bytes = ftyp(b"heic", &[b"mif1", b"heic"]);
        assert_eq!(sniff(&bytes).ok(), Some(("image/heic", MediaKind::Image)));
    }

    #[test]
    fn a_mif1_file_with_a_heic_brand_is_reported_as_heic() {
        let bytes = ftyp(b"mif1", &[b"mif1", b"heic"]);
        assert_eq!(sniff(&bytes).ok(), Some(("image/heic", MediaKind::Image)));
    }

    #[test]
    fn a_plain_mif1_file_is_reported_as_heif() {
        let bytes = ftyp(b"mif1", &[b"mif1", b"miaf"]);
        assert_eq!(sniff(&bytes).ok(), Some(("image/heif", MediaKind::Image)));
    }

    #[test]
    fn avif_is_unsupported_even_though_it_is_heif() {
        let bytes = ftyp(b"avif", &[b"mif1", b"miaf", b"avif"]);
        assert!(matches!(sniff(&bytes), Err(MediaError::Unsupported)));
        let bytes = ftyp(b"mif1", &[b"avif"]);
        assert!(matches!(sniff(&bytes), Err(MediaError::Unsupported)));
    }

    #[test]
    fn an_ftyp_box_longer_than_the_input_is_not_heif() {
        let mut bytes = ftyp(b"mif1", &[b"mif1"]);
        bytes[3] = 200;
        assert!(matches!(sniff(&bytes), Err(MediaError::Unsupported)));
    }

    #[test]
    fn text_empty_input_and_gif_are_unsupported() {
        for bytes in [&b"hello, world"[..], b"", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"] {
            assert!(matches!(sniff(bytes), Err(MediaError::Unsupported)));
        }
    }
}
