//! A few keyframes of a video as working planes, so that a clip is judged
//! on what it shows and not only on its container's facts.
//!
//! H.264 in MP4 or QuickTime (what phones and most browsers record) is
//! decoded in-process: up to [`mp4::MAX_KEYFRAMES`] sync samples spread over
//! the clip, each decoded on its own (a keyframe needs no other frame), so
//! the cost is a few intra frames whatever the clip's length. Other codecs
//! (HEVC, VP8/VP9 and AV1 in WebM or MP4) have no decoder here: their clips
//! keep the container-facts judgement, with the codec named.

use image::GrayImage;

use crate::decode::planes;
use crate::guard::guard;
use crate::{Limits, MediaError};

/// H.264 keyframe decoding.
mod h264;
/// The video track of MP4 and QuickTime files.
mod mp4;

/// Largest sync sample read: a 4K intra frame at a phone's bitrate is a few
/// MB. A sample table stating more is refused rather than copied.
const MAX_SAMPLE_BYTES: u64 = 16 * 1024 * 1024;

/// How far into a WebM its codec is looked for: the `Tracks` element comes
/// before the clusters, in the first kilobytes of every file seen.
const WEBM_HEADER_BYTES: usize = 1024 * 1024;

/// The keyframes of a clip, or why there are none.
pub(crate) struct Keyframes {
    /// Short codec name (`h264`, `hevc`, `vp9`, `vp8`, `av1`, …, `unknown`).
    pub codec: &'static str,
    /// Upright working planes (see `decode::WORKING_SIDE`), in clip order.
    pub planes: Vec<GrayImage>,
    /// Sync samples that were tried and did not decode, beside `planes`.
    pub failed: usize,
    /// Why nothing was decoded, as a finding; `None` when `planes` has one.
    pub undecoded: Option<String>,
}

/// The keyframes of a video of type `mimetype` (probed already).
///
/// # Errors
/// [`MediaError::TooLarge`] when a keyframe passes `limits` or
/// [`MAX_SAMPLE_BYTES`]; [`MediaError::Corrupt`] when the movie header does
/// not parse, a keyframe lies outside the file, or an H.264 clip has no
/// keyframe that decodes.
pub(crate) fn keyframes(mimetype: &str, bytes: &[u8], limits: &Limits) -> Result<Keyframes, MediaError> {
    if mimetype == "video/webm" {
        return Ok(undecoded(webm_codec(bytes), None));
    }
    let track = guard("video demuxer", || mp4::video_track(bytes))?;
    let Some(avc_config) = &track.avc_config else {
        return Ok(undecoded(track.codec, None));
    };
    let config = h264::Config::parse(avc_config)?;
    if let Some(why) = config.unsupported() {
        return Ok(undecoded(track.codec, Some(why)));
    }
    if track.keyframes.is_empty() {
        return Err(MediaError::Corrupt("h264: the sample tables locate no keyframe".into()));
    }
    let mut out = Keyframes {
        codec: track.codec,
        planes: Vec::new(),
        failed: 0,
        undecoded: None,
    };
    let mut first_error = None;
    for &(offset, size) in &track.keyframes {
        if size > MAX_SAMPLE_BYTES {
            return Err(MediaError::TooLarge);
        }
        let sample = usize::try_from(offset)
            .ok()
            .and_then(|at| bytes.get(at..at.checked_add(size as usize)?))
            .ok_or_else(|| MediaError::Corrupt("h264: a keyframe lies outside the file".into()))?;
        let decoded = guard("h264 decoder", || config.keyframe(sample, track.orientation, limits));
        match decoded.and_then(|d| planes(d, false)) {
            Ok(frame) => out.planes.push(frame.plane),
            Err(MediaError::TooLarge) => return Err(MediaError::TooLarge),
            Err(e) => {
                out.failed += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if out.planes.is_empty() => Err(e),
        _ => Ok(out),
    }
}

/// No keyframes, with the finding that says which codec was not decoded.
fn undecoded(codec: &'static str, why: Option<String>) -> Keyframes {
    let what = why.unwrap_or_else(|| format!("{} video", display_name(codec)));
    Keyframes {
        codec,
        planes: Vec::new(),
        failed: 0,
        undecoded: Some(format!("{what} not decoded here: judged on container facts only")),
    }
}

/// A codec as people write it.
pub(crate) fn display_name(codec: &str) -> String {
    match codec {
        "h264" => "H.264".into(),
        "hevc" => "HEVC (H.265)".into(),
        "prores" => "ProRes".into(),
        "mjpeg" => "Motion JPEG".into(),
        "mpeg4" => "MPEG-4 Part 2".into(),
        "h263" => "H.263".into(),
        "unknown" => "an unrecognised codec's".into(),
        other => other.to_uppercase(),
    }
}

/// The codec of a WebM's first video track, from its `CodecID` element
/// (id 0x86, then its one-byte size, then the name).
fn webm_codec(bytes: &[u8]) -> &'static str {
    const IDS: [(&[u8], &str); 5] = [
        (b"\x86\x85V_VP9", "vp9"),
        (b"\x86\x85V_VP8", "vp8"),
        (b"\x86\x85V_AV1", "av1"),
        (b"\x86\x8FV_MPEG4/ISO/AVC", "h264"),
        (b"\x86\x90V_MPEGH/ISO/HEVC", "hevc"),
    ];
    let header = &bytes[..bytes.len().min(WEBM_HEADER_BYTES)];
    header
        .windows(7)
        .find_map(|w| IDS.iter().find(|(id, _)| w == &id[..7]).map(|(_, name)| *name))
        .unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webm_codec_is_read_from_its_codec_id() {
        assert_eq!(webm_codec(b"\x1aE\xdf\xa3....\x86\x85V_VP9\x83\x81\x01"), "vp9");
        assert_eq!(webm_codec(b"....\x86\x85V_VP8"), "vp8");
        assert_eq!(webm_codec(b"no codec here"), "unknown");
    }

    #[test]
    fn a_codec_without_a_decoder_is_named_in_the_finding() {
        let out = undecoded("vp9", None);
        assert!(out.planes.is_empty());
        assert_eq!(
            out.undecoded.as_deref(),
            Some("VP9 video not decoded here: judged on container facts only")
        );
    }
}
