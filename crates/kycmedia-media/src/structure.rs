//! Whether a file of a sniffed type is whole: magic bytes name a type, but
//! a header followed by anything at all (HTML, a ZIP, half a clip) is not a
//! photo or a video. Each check walks only the container's own size fields,
//! never decodes, and refuses with [`MediaError::Corrupt`] naming what is
//! missing.
//!
//! Data appended after an image's end (a JPEG's end-of-image marker, a
//! PNG's `IEND`, a WebP's RIFF chunk) is not refused but cut off:
//! [`image_end`] says where the image ends and the server stores only that
//! far. That ends polyglots (a JPEG that is also a ZIP or an HTML page)
//! without refusing the phone photos that carry such trailers by design —
//! Ultra HDR gain maps, motion-photo clips, vendor metadata — none of which
//! the analysis looks at or a reviewer needs.

use crate::MediaError;
use crate::jpeg;

/// Fewest bytes of coded sample data a real video spends per second of its
/// stated duration: 512 bit/s, about a thousandth of what a phone records
/// at its lowest setting. A container that claims a longer duration than
/// its data could fill is lying about one or the other.
pub(crate) const MIN_VIDEO_BYTES_PER_SEC: u64 = 64;

/// Most pixels a JPEG may declare per byte of entropy-coded data. Huffman
/// coding spends at least one bit on every 8×8 luma block (its DC
/// difference), so a complete scan holds at least a byte per 512 pixels;
/// twice that is allowed. A frame declaring more is missing most of its
/// data, and decoding it would cost the full frame's time and memory for
/// nothing (the decoder fills what is missing with grey).
pub(crate) const MAX_JPEG_PIXELS_PER_SCAN_BYTE: u64 = 1024;

fn corrupt(what: impl Into<String>) -> MediaError {
    MediaError::Corrupt(what.into())
}

/// Where a JPEG, PNG or WebP image ends: the length of the prefix that is
/// the image. Any other type ends where its bytes do.
///
/// # Errors
/// [`MediaError::Corrupt`] when the image's own structure runs past the end
/// of the bytes (a file cut short), or has no end marker.
pub(crate) fn image_end(mimetype: &str, bytes: &[u8]) -> Result<usize, MediaError> {
    match mimetype {
        "image/jpeg" => jpeg::layout(bytes)
            .map(|l| l.end)
            .ok_or_else(|| corrupt("jpeg: truncated (no end-of-image marker)")),
        "image/png" => png_end(bytes),
        "image/webp" => webp_end(bytes),
        _ => Ok(bytes.len()),
    }
}

/// The end of a PNG's `IEND` chunk, walking chunks by their lengths.
fn png_end(bytes: &[u8]) -> Result<usize, MediaError> {
    let mut at = 8usize;
    loop {
        let Some(header) = bytes.get(at..at + 8) else {
            return Err(corrupt("png: truncated (no IEND chunk)"));
        };
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        // Length, type, data and CRC.
        let end = at
            .checked_add(12)
            .and_then(|n| n.checked_add(length))
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| corrupt("png: a chunk runs past the end of the file"))?;
        if &header[4..8] == b"IEND" {
            return Ok(end);
        }
        at = end;
    }
}

/// The end of a WebP's RIFF chunk, as its size field states.
fn webp_end(bytes: &[u8]) -> Result<usize, MediaError> {
    let size = bytes
        .get(4..8)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
        .ok_or_else(|| corrupt("webp: no RIFF header"))?;
    // RIFF pads an odd-sized chunk with one byte.
    let end = 8usize.saturating_add(size).saturating_add(size % 2);
    if end > bytes.len() {
        return Err(corrupt("webp: the RIFF chunk runs past the end of the file"));
    }
    Ok(end)
}

/// Refuses a JPEG whose frame declares more pixels than its scan data
/// could code (see [`MAX_JPEG_PIXELS_PER_SCAN_BYTE`]), before a decoder
/// allocates for them.
pub(crate) fn jpeg_data_fills(bytes: &[u8], width: u32, height: u32) -> Result<(), MediaError> {
    let layout = jpeg::layout(bytes).ok_or_else(|| corrupt("jpeg: truncated (no end-of-image marker)"))?;
    let pixels = u64::from(width) * u64::from(height);
    let room = (layout.entropy_bytes as u64).saturating_mul(MAX_JPEG_PIXELS_PER_SCAN_BYTE);
    if pixels > room {
        return Err(corrupt(format!(
            "jpeg: the frame declares {width}x{height} pixels but holds {} bytes of image data",
            layout.entropy_bytes
        )));
    }
    Ok(())
}

/// One ISO-BMFF box: its type, and where its body and the box end.
#[derive(Debug, Clone, Copy)]
struct Bmff {
    kind: [u8; 4],
    body: usize,
    end: usize,
}

/// Box types a refusal may name; any other four bytes may be a stranger's
/// content (text after a header), which a reason never repeats.
const NAMED_BOXES: [&[u8; 4]; 16] = [
    b"ftyp", b"moov", b"mdat", b"meta", b"free", b"skip", b"wide", b"moof", b"mfra", b"uuid", b"iinf", b"iloc",
    b"iprp", b"idat", b"hdlr", b"pitm",
];

/// A box type as a refusal names it: `` `moov` `` for a known one, "a"
/// (as in "a box") otherwise.
fn named(kind: &[u8; 4]) -> String {
    match NAMED_BOXES.iter().find(|k| **k == kind) {
        Some(k) => format!("`{}`", String::from_utf8_lossy(*k)),
        None => "a".to_owned(),
    }
}

/// The boxes laid end to end in `bytes[from..to]`, each checked to end
/// inside that range; a size of 0 means "to the end of the range". Errors
/// name the container as `what`.
fn boxes(what: &str, bytes: &[u8], from: usize, to: usize) -> Result<Vec<Bmff>, MediaError> {
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        let header = bytes
            .get(at..at + 8)
            .filter(|_| at + 8 <= to)
            .ok_or_else(|| corrupt(format!("{what}: a box header is cut short")))?;
        let size = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = [header[4], header[5], header[6], header[7]];
        let shown = named(&kind);
        let (body, end) = match size {
            0 => (at + 8, to),
            1 => {
                let large = bytes
                    .get(at + 8..at + 16)
                    .and_then(|s| s.first_chunk::<8>())
                    .map(|s| u64::from_be_bytes(*s))
                    .ok_or_else(|| corrupt(format!("{what}: {shown} box header is cut short")))?;
                let end = usize::try_from(large).ok().and_then(|n| at.checked_add(n));
                (at + 16, end.unwrap_or(usize::MAX))
            }
            n => (at + 8, at.saturating_add(n as usize)),
        };
        if end < body {
            return Err(corrupt(format!("{what}: {shown} box is smaller than its header")));
        }
        if end > to {
            return Err(corrupt(format!("{what}: {shown} box runs past the end of the file")));
        }
        out.push(Bmff { kind, body, end });
        at = end;
    }
    Ok(out)
}

/// An MP4 or QuickTime file: every top-level box ends inside the file (a
/// clip cut short does not), and there is an index (`moov`) and sample data
/// (`mdat`). Returns the bytes of sample data.
pub(crate) fn iso_video(bytes: &[u8]) -> Result<u64, MediaError> {
    let top = boxes("video container", bytes, 0, bytes.len())?;
    if !top.iter().any(|b| &b.kind == b"moov") {
        return Err(corrupt("video container: no `moov` box"));
    }
    let data: u64 = top
        .iter()
        .filter(|b| &b.kind == b"mdat")
        .map(|b| (b.end - b.body) as u64)
        .sum();
    if !top.iter().any(|b| &b.kind == b"mdat") {
        return Err(corrupt("video container: no `mdat` box (no sample data)"));
    }
    Ok(data)
}

/// A WebM file: its EBML header and a `Segment` whose stated size (when
/// stated: a live recording may leave it unknown) ends inside the file.
/// Returns the bytes the segment holds.
pub(crate) fn webm(bytes: &[u8]) -> Result<u64, MediaError> {
    let (id, header) = ebml_element(bytes, 0).ok_or_else(|| corrupt("webm: EBML header cut short"))?;
    if id != 0x1A45_DFA3 {
        return Err(corrupt("webm: no EBML header"));
    }
    let after_header = header
        .size
        .and_then(|s| header.body.checked_add(s))
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| corrupt("webm: the EBML header runs past the end of the file"))?;
    let (id, segment) = ebml_element(bytes, after_header).ok_or_else(|| corrupt("webm: no Segment"))?;
    if id != 0x1853_8067 {
        return Err(corrupt("webm: no Segment after the EBML header"));
    }
    match segment.size {
        None => Ok((bytes.len() - segment.body) as u64),
        Some(size) if segment.body.checked_add(size).is_some_and(|end| end <= bytes.len()) => Ok(size as u64),
        Some(_) => Err(corrupt("webm: the Segment runs past the end of the file")),
    }
}

/// An EBML element's body offset and size (`None` = unknown size).
struct Ebml {
    body: usize,
    size: Option<usize>,
}

/// The id and extent of the EBML element at `at`.
fn ebml_element(bytes: &[u8], at: usize) -> Option<(u32, Ebml)> {
    let (id, id_len) = vint(bytes, at, 4)?;
    let id = id | (1 << (7 * id_len)); // ids keep their length marker
    let (size, size_len) = vint(bytes, at + id_len, 8)?;
    let unknown = size == (1u64 << (7 * size_len)) - 1;
    let size = if unknown {
        None
    } else {
        Some(usize::try_from(size).ok()?)
    };
    Some((
        u32::try_from(id).ok()?,
        Ebml {
            body: at + id_len + size_len,
            size,
        },
    ))
}

/// An EBML variable-length integer at `at`, at most `max` bytes long:
/// its value without the length marker, and its length.
fn vint(bytes: &[u8], at: usize, max: usize) -> Option<(u64, usize)> {
    let first = *bytes.get(at)?;
    let len = first.leading_zeros() as usize + 1;
    if len > max {
        return None;
    }
    let rest = bytes.get(at + 1..at + len)?;
    let marker_free = u64::from(first) & ((1u64 << (8 - len)) - 1);
    Some((rest.iter().fold(marker_free, |v, &b| (v << 8) | u64::from(b)), len))
}

/// Refuses a stated duration that `data_bytes` of coded samples could not
/// fill (see [`MIN_VIDEO_BYTES_PER_SEC`]).
pub(crate) fn plausible_duration(duration_ms: u64, data_bytes: u64) -> Result<(), MediaError> {
    let needed = u128::from(duration_ms) * u128::from(MIN_VIDEO_BYTES_PER_SEC) / 1000;
    if needed > u128::from(data_bytes) {
        return Err(corrupt(format!(
            "video container: a duration of {} s is implausible for {data_bytes} bytes of video data",
            duration_ms / 1000
        )));
    }
    Ok(())
}

/// A HEIC or HEIF file holds real images: a `meta` box whose item list
/// (`iinf`) and item locations (`iloc`) are present, and whose every item
/// lies inside the file's `mdat` (or the `meta` box's own `idat`). A
/// header followed by something else has none of that.
pub(crate) fn heif(bytes: &[u8]) -> Result<(), MediaError> {
    let top = boxes("heif", bytes, 0, bytes.len())?;
    let meta = top
        .iter()
        .find(|b| &b.kind == b"meta")
        .ok_or_else(|| corrupt("heif: no `meta` box"))?;
    // `meta` is a full box: version and flags come before its children.
    let children = boxes("heif", bytes, meta.body + 4, meta.end)?;
    let child = |kind: &[u8; 4]| children.iter().find(|b| &b.kind == kind);
    if child(b"iinf").is_none() {
        return Err(corrupt("heif: no item list (`iinf`)"));
    }
    let iloc = child(b"iloc").ok_or_else(|| corrupt("heif: no item locations (`iloc`)"))?;
    let idat = child(b"idat").map(|b| b.end - b.body);
    let mdats: Vec<(u64, u64)> = top
        .iter()
        .filter(|b| &b.kind == b"mdat")
        .map(|b| (b.body as u64, b.end as u64))
        .collect();
    let extents = item_extents(bytes.get(iloc.body..iloc.end).unwrap_or_default())
        .ok_or_else(|| corrupt("heif: the item locations (`iloc`) are cut short"))?;
    if extents.is_empty() {
        return Err(corrupt("heif: the file locates no image data"));
    }
    for extent in extents {
        let inside = match extent.method {
            0 if extent.reference != 0 => false,
            0 => mdats.iter().any(|&(start, end)| {
                let stop = if extent.length == 0 {
                    end
                } else {
                    extent.offset.saturating_add(extent.length)
                };
                extent.offset >= start && stop <= end
            }),
            1 => idat.is_some_and(|len| extent.offset.saturating_add(extent.length) <= len as u64),
            // Data made from other items, which are checked themselves.
            _ => true,
        };
        if !inside {
            return Err(corrupt("heif: an item's data lies outside the file's media data"));
        }
    }
    Ok(())
}

/// One extent of one item, as `iloc` states it.
struct Extent {
    /// 0 = file offset, 1 = offset into `idat`, 2 = from other items.
    method: u8,
    /// Non-zero when the data is in another file.
    reference: u16,
    offset: u64,
    /// 0 = to the end of the containing box.
    length: u64,
}

/// Most extents [`item_extents`] reads. With zero-width fields an extent
/// takes no bytes, so the body's length alone does not bound the count; a
/// real photo has a few dozen (one per grid tile, thumbnail and metadata).
const MAX_EXTENTS: usize = 10_000;

/// Every extent in an `iloc` body (ISO/IEC 14496-12 §8.11.3); `None` when
/// the body is shorter than its own counts say or locates more than
/// [`MAX_EXTENTS`].
fn item_extents(body: &[u8]) -> Option<Vec<Extent>> {
    let mut r = Reader { bytes: body, at: 0 };
    let version = r.uint(1)?;
    r.uint(3)?; // flags
    let sizes = r.uint(2)?;
    let (offset_size, length_size) = ((sizes >> 12) & 0xF, (sizes >> 8) & 0xF);
    let (base_size, index_size) = ((sizes >> 4) & 0xF, sizes & 0xF);
    let count = r.uint(if version < 2 { 2 } else { 4 })?;
    let mut out = Vec::new();
    for _ in 0..count {
        r.uint(if version < 2 { 2 } else { 4 })?; // item id
        let method = if version >= 1 { (r.uint(2)? & 0xF) as u8 } else { 0 };
        let reference = r.uint(2)? as u16;
        let base = r.uint(base_size)?;
        for _ in 0..r.uint(2)? {
            if version >= 1 {
                r.uint(index_size)?;
            }
            let offset = base.saturating_add(r.uint(offset_size)?);
            let length = r.uint(length_size)?;
            if out.len() == MAX_EXTENTS {
                return None;
            }
            out.push(Extent {
                method,
                reference,
                offset,
                length,
            });
        }
    }
    Some(out)
}

/// Big-endian unsigned integers of 0 to 8 bytes, read in order.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn uint(&mut self, width: u64) -> Option<u64> {
        let width = usize::try_from(width).ok().filter(|&w| w <= 8)?;
        let field = self.bytes.get(self.at..self.at.checked_add(width)?)?;
        self.at += width;
        Some(field.iter().fold(0, |v, &b| (v << 8) | u64::from(b)))
    }
}

/// A PDF has the skeleton every reader needs: at least one object, a
/// cross-reference pointer (`startxref`) and the `%%EOF` trailer in its last
/// kilobyte (where readers look for it). `%PDF-` followed by anything else
/// is not a document.
pub(crate) fn pdf(bytes: &[u8]) -> Result<(), MediaError> {
    let has = |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !has(tail, b"%%EOF") {
        return Err(corrupt("pdf: no `%%EOF` trailer at the end"));
    }
    if !has(tail, b"startxref") && !has(bytes, b"startxref") {
        return Err(corrupt("pdf: no cross-reference pointer (`startxref`)"));
    }
    if !has(bytes, b"endobj") {
        return Err(corrupt("pdf: no objects"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len() + 8).unwrap_or(0).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn boxes_laid_end_to_end_are_walked_and_a_size_of_zero_runs_to_the_end() {
        let mut bytes = boxed(b"ftyp", b"isom\0\0\0\0");
        bytes.extend_from_slice(&[0, 0, 0, 0]);
        bytes.extend_from_slice(b"mdat0123");
        let walked = boxes("test", &bytes, 0, bytes.len()).expect("whole");
        assert_eq!(walked.len(), 2);
        assert_eq!((walked[1].body, walked[1].end), (24, 28));
    }

    #[test]
    fn a_box_longer_than_the_file_or_shorter_than_its_header_is_corrupt() {
        let mut bytes = boxed(b"moov", b"12345678");
        bytes[3] = 200;
        assert!(boxes("test", &bytes, 0, bytes.len()).is_err());
        bytes[3] = 4;
        assert!(boxes("test", &bytes, 0, bytes.len()).is_err());
        let mut large = vec![0, 0, 0, 1];
        large.extend_from_slice(b"mdat");
        large.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(boxes("test", &large, 0, large.len()).is_err());
    }

    #[test]
    fn item_locations_of_zero_width_fields_are_capped_in_number() {
        // Version 0, all field widths 0, 65535 items of 65535 extents each:
        // nine bytes of body would otherwise list four billion extents.
        let mut body = vec![0, 0, 0, 0, 0, 0, 0xFF, 0xFF];
        body.extend_from_slice(&[0, 1, 0, 0, 0xFF, 0xFF]);
        assert!(item_extents(&body).is_none());
        let mut one = vec![0, 0, 0, 0, 0, 0, 0, 1];
        one.extend_from_slice(&[0, 1, 0, 0, 0, 1]);
        assert_eq!(item_extents(&one).map(|e| e.len()), Some(1));
    }

    #[test]
    fn a_pdf_needs_an_object_a_cross_reference_pointer_and_its_trailer() {
        let whole = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\nstartxref\n9\n%%EOF\n";
        assert!(pdf(whole).is_ok());
        assert!(pdf(b"%PDF-1.4\n<html><body>hi</body></html>").is_err());
        assert!(pdf(b"%PDF-1.4\nstartxref\n9\n%%EOF\n").is_err());
    }

    #[test]
    fn ebml_sizes_are_read_with_their_length_markers_removed() {
        // 0x81 = 1 in one byte; 0x40 0x02 = 2 in two; 0xFF = unknown.
        assert_eq!(vint(&[0x81], 0, 8), Some((1, 1)));
        assert_eq!(vint(&[0x40, 0x02], 0, 8), Some((2, 2)));
        let (size, len) = vint(&[0xFF], 0, 8).unwrap_or_default();
        assert_eq!(size, (1 << (7 * len)) - 1);
        assert_eq!(vint(&[0x00], 0, 8), None);
    }

    #[test]
    fn a_duration_its_data_could_not_fill_is_implausible() {
        assert!(plausible_duration(3_000, 17_000).is_ok());
        assert!(plausible_duration(u64::from(u32::MAX) * 1000, 100).is_err());
        assert!(plausible_duration(u64::MAX, 1).is_err());
    }
}
