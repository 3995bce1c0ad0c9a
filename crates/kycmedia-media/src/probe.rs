//! Dimensions and duration from headers only. Probing is cheap and bounded
//! (nothing is decoded), so it runs on every upload and is what rejects a
//! decompression bomb before any decoder allocates for it.

use nom_exif::{EntryValue, MediaParser, MediaSource, TrackInfoTag};

use crate::guard::guard;
use crate::{Limits, MediaError, MediaKind, sniff, structure};

/// What the headers say about a file of an accepted type.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub mimetype: &'static str,
    pub kind: MediaKind,
    /// Stored (not EXIF-rotated) width; `None` for PDF, and for a video whose
    /// container does not state it.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Always `Some` for videos, `None` for images.
    pub duration_ms: Option<u64>,
    /// How many leading bytes are the media: less than the input when data
    /// follows a JPEG's, PNG's or WebP's end, which the server does not
    /// store (see `structure.rs` for why).
    pub content_len: usize,
}

impl Probe {
    /// Duration as the API reports it (whole seconds, rounded to nearest).
    pub fn duration_secs(&self) -> Option<u64> {
        self.duration_ms.map(kycmedia_proto::wire::duration_secs)
    }
}

/// Sniffs `bytes` and reads their dimensions and, for videos, duration.
///
/// # Errors
/// [`MediaError::Unsupported`] for types we refuse, [`MediaError::TooLarge`]
/// when the input exceeds `max_alloc` bytes or the picture exceeds
/// `max_pixels`, and [`MediaError::Corrupt`] when a header cannot be read
/// (a video without a readable duration included) or the file is not whole
/// (`structure.rs`): a HEIF that locates no image data inside itself, a PDF
/// without objects and trailer, a video cut short or stating a duration its
/// data could not fill, a JPEG declaring more pixels than its data codes.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Probe, MediaError> {
    let (mimetype, kind) = sniff(bytes)?;
    if bytes.len() as u64 > limits.max_alloc {
        return Err(MediaError::TooLarge);
    }
    let probe = match kind {
        MediaKind::Image if mimetype == "application/pdf" => {
            structure::pdf(bytes)?;
            Probe {
                mimetype,
                kind,
                width: None,
                height: None,
                duration_ms: None,
                content_len: bytes.len(),
            }
        }
        MediaKind::Image => {
            if matches!(mimetype, "image/heic" | "image/heif") {
                structure::heif(bytes)?;
            }
            let content_len = structure::image_end(mimetype, bytes)?;
            let image = bytes.get(..content_len).unwrap_or(bytes);
            let (width, height) = image_size(image)?;
            if u64::from(width) * u64::from(height) > limits.max_pixels {
                return Err(MediaError::TooLarge);
            }
            if mimetype == "image/jpeg" {
                structure::jpeg_data_fills(image, width, height)?;
            }
            Probe {
                mimetype,
                kind,
                width: Some(width),
                height: Some(height),
                duration_ms: None,
                content_len,
            }
        }
        MediaKind::Video => {
            let data = match mimetype {
                "video/webm" => structure::webm(bytes)?,
                _ => structure::iso_video(bytes)?,
            };
            let probe = video_track(mimetype, bytes)?;
            structure::plausible_duration(probe.duration_ms.unwrap_or(0), data)?;
            probe
        }
    };
    if let (Some(w), Some(h)) = (probe.width, probe.height)
        && u64::from(w) * u64::from(h) > limits.max_pixels
    {
        return Err(MediaError::TooLarge);
    }
    Ok(probe)
}

/// Width and height from the image header, without decoding.
fn image_size(bytes: &[u8]) -> Result<(u32, u32), MediaError> {
    let size = guard("image header", || {
        imagesize::blob_size(bytes).map_err(|e| MediaError::Corrupt(format!("image header: {e}")))
    })?;
    if size.width == 0 || size.height == 0 {
        return Err(MediaError::Corrupt("image has a zero dimension".into()));
    }
    // A dimension past u32 cannot be a real photo; it is a bomb by definition.
    let width = u32::try_from(size.width).map_err(|_| MediaError::TooLarge)?;
    let height = u32::try_from(size.height).map_err(|_| MediaError::TooLarge)?;
    Ok((width, height))
}

/// Duration (required) and frame size (if stated) from the container.
///
/// nom-exif parses from memory without following size fields into large
/// allocations; it is still wrapped in [`guard`] because the input is hostile.
fn video_track(mimetype: &'static str, bytes: &[u8]) -> Result<Probe, MediaError> {
    let track = guard("video container", || {
        let source = MediaSource::from_memory(bytes.to_vec())
            .map_err(|e| MediaError::Corrupt(format!("video container: {e}")))?;
        MediaParser::new()
            .parse_track(source)
            .map_err(|e| MediaError::Corrupt(format!("video container: {e}")))
    })?;
    let number = |tag| track.get(tag).and_then(as_u64);
    let duration_ms =
        number(TrackInfoTag::DurationMs).ok_or_else(|| MediaError::Corrupt("video duration unreadable".into()))?;
    let dimension = |tag| number(tag).and_then(|v| u32::try_from(v).ok()).filter(|&v| v > 0);
    Ok(Probe {
        mimetype,
        kind: MediaKind::Video,
        width: dimension(TrackInfoTag::Width),
        height: dimension(TrackInfoTag::Height),
        duration_ms: Some(duration_ms),
        content_len: bytes.len(),
    })
}

/// Any unsigned integer entry, whatever width the container stored it in.
fn as_u64(value: &EntryValue) -> Option<u64> {
    match value {
        EntryValue::U8(v) => Some(u64::from(*v)),
        EntryValue::U16(v) => Some(u64::from(*v)),
        EntryValue::U32(v) => Some(u64::from(*v)),
        EntryValue::U64(v) => Some(*v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_duration(duration_ms: Option<u64>) -> Probe {
        Probe {
            mimetype: "video/mp4",
            kind: MediaKind::Video,
            width: None,
            height: None,
            duration_ms,
            content_len: 0,
        }
    }

    #[test]
    fn duration_in_seconds_follows_the_wire_rule_and_is_absent_without_a_duration() {
        assert_eq!(with_duration(Some(2_500)).duration_secs(), Some(3));
        assert_eq!(with_duration(None).duration_secs(), None);
    }

    #[test]
    fn an_input_larger_than_the_allocation_cap_is_too_large() {
        let limits = Limits {
            max_pixels: 1,
            max_alloc: 4,
        };
        assert!(matches!(probe(b"%PDF-1.4\n", &limits), Err(MediaError::TooLarge)));
    }

    #[test]
    fn a_pdf_has_no_dimensions() {
        let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\nstartxref\n9\n%%EOF\n";
        let p = probe(pdf, &Limits::default());
        assert!(matches!(
            p,
            Ok(Probe {
                width: None,
                height: None,
                ..
            })
        ));
    }

    #[test]
    fn a_video_without_a_readable_duration_is_corrupt() {
        // An `ftyp` box naming MP4 and nothing else: no `moov`, no duration.
        let mut bytes = vec![0, 0, 0, 20];
        bytes.extend_from_slice(b"ftypisom\0\0\x02\0isom");
        assert!(matches!(probe(&bytes, &Limits::default()), Err(MediaError::Corrupt(_))));
    }
}
