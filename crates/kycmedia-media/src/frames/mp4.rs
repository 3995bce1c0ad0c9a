//! The video track of an MP4 or QuickTime file, as far as keyframes need
//! it: its codec, the H.264 decoder configuration, where its sync samples
//! lie and how the player turns the picture.
//!
//! Parsed by Mozilla's `mp4parse` (Firefox's demuxer: fuzzed, and every
//! allocation fallible), reading only boxes, never sample data; locating a
//! sample walks tables that parser already holds, so every loop here is
//! bounded by their lengths.

use image::metadata::Orientation;
use mp4parse::{CodecType, SampleEntry, Track, TrackType, VideoCodecSpecific};

use crate::MediaError;

/// Most keyframes decoded from one clip.
pub(crate) const MAX_KEYFRAMES: usize = 3;

/// What the keyframe decoder needs from the first video track.
pub(crate) struct VideoTrack {
    /// Short codec name, as evidence shows it (`h264`, `hevc`, `vp9`, …).
    pub codec: &'static str,
    /// The `avcC` box body (H.264 only).
    pub avc_config: Option<Vec<u8>>,
    /// Offset and size in the file of up to [`MAX_KEYFRAMES`] sync samples
    /// spread over the clip, first to last.
    pub keyframes: Vec<(u64, u64)>,
    /// How the track header's matrix turns the stored picture upright.
    pub orientation: Orientation,
}

/// The first video track of `bytes`.
///
/// # Errors
/// [`MediaError::Corrupt`] when the movie header does not parse or holds
/// no video track.
pub(crate) fn video_track(bytes: &[u8]) -> Result<VideoTrack, MediaError> {
    let corrupt = |e: &dyn std::fmt::Display| MediaError::Corrupt(format!("video container: {e}"));
    let context = mp4parse::read_mp4(&mut std::io::Cursor::new(bytes)).map_err(|e| corrupt(&format!("{e:?}")))?;
    let track = context
        .tracks
        .iter()
        .find(|t| t.track_type == TrackType::Video)
        .ok_or_else(|| corrupt(&"no video track"))?;
    let entry = track.stsd.as_ref().and_then(|d| d.descriptions.first());
    let (codec, avc_config) = match entry {
        Some(SampleEntry::Video(v)) => match &v.codec_specific {
            VideoCodecSpecific::AVCConfig(avcc) if v.codec_type == CodecType::H264 => ("h264", Some(avcc.to_vec())),
            _ => (codec_name(v.codec_type, bytes), None),
        },
        _ => (codec_name(CodecType::Unknown, bytes), None),
    };
    let keyframes = if avc_config.is_some() {
        spread(&sync_samples(track))
            .into_iter()
            .filter_map(|n| locate(track, n))
            .collect()
    } else {
        Vec::new()
    };
    let orientation = track.tkhd.as_ref().map_or(Orientation::NoTransforms, |h| {
        turned(h.matrix.a, h.matrix.b, h.matrix.c, h.matrix.d)
    });
    Ok(VideoTrack {
        codec,
        avc_config,
        keyframes,
        orientation,
    })
}

/// A codec's short name; for one `mp4parse` does not know (HEVC, ProRes),
/// the sample entry type found after a `stsd` box in `bytes`.
fn codec_name(codec: CodecType, bytes: &[u8]) -> &'static str {
    match codec {
        CodecType::H264 => "h264",
        CodecType::VP9 => "vp9",
        CodecType::VP8 => "vp8",
        CodecType::AV1 => "av1",
        CodecType::MP4V => "mpeg4",
        CodecType::H263 => "h263",
        CodecType::EncryptedVideo => "encrypted",
        _ => sample_entry_type(bytes),
    }
}

/// The first video sample entry type named after a `stsd` box header
/// (version and flags, entry count, entry size, then the type).
fn sample_entry_type(bytes: &[u8]) -> &'static str {
    const KNOWN: [(&[u8; 4], &str); 7] = [
        (b"hvc1", "hevc"),
        (b"hev1", "hevc"),
        (b"dvh1", "hevc"),
        (b"apch", "prores"),
        (b"apcn", "prores"),
        (b"apcs", "prores"),
        (b"mjpa", "mjpeg"),
    ];
    bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| w == b"stsd")
        .take(16)
        .find_map(|(at, _)| {
            let kind = bytes.get(at + 16..at + 20)?;
            KNOWN.iter().find(|(k, _)| k.as_slice() == kind).map(|(_, name)| *name)
        })
        .unwrap_or("unknown")
}

/// 1-based numbers of the sync samples, in order; every sample when the
/// track has no sync sample table (all samples are sync, ISO 14496-12).
fn sync_samples(track: &Track) -> Vec<u32> {
    let count = sample_count(track);
    match &track.stss {
        Some(stss) => stss.samples.iter().copied().filter(|&n| n >= 1 && n <= count).collect(),
        None => spread(&[1, count / 2 + 1, count].map(|n| n.max(1)))
            .into_iter()
            .filter(|&n| n <= count)
            .collect(),
    }
}

/// Samples the size table describes (or, when every sample has one size,
/// the time table, whose counts are bounded by its length).
fn sample_count(track: &Track) -> u32 {
    match &track.stsz {
        Some(stsz) if stsz.sample_size == 0 => u32::try_from(stsz.sample_sizes.len()).unwrap_or(u32::MAX),
        Some(_) => track.stts.as_ref().map_or(0, |stts| {
            stts.samples.iter().fold(0u32, |n, s| n.saturating_add(s.sample_count))
        }),
        None => 0,
    }
}

/// Up to [`MAX_KEYFRAMES`] of `items`, first, middle and last, without repeats.
fn spread<T: Copy + PartialEq>(items: &[T]) -> Vec<T> {
    let Some(last) = items.len().checked_sub(1) else {
        return Vec::new();
    };
    let mut out: Vec<T> = Vec::with_capacity(MAX_KEYFRAMES);
    for i in 0..MAX_KEYFRAMES {
        let item = items[last * i / (MAX_KEYFRAMES - 1)];
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// File offset and size of sample `number` (1-based): its chunk from the
/// sample-to-chunk table, then the sizes of the samples before it in that
/// chunk. `None` when the tables do not reach it.
fn locate(track: &Track, number: u32) -> Option<(u64, u64)> {
    let (stsc, stsz, stco) = (track.stsc.as_ref()?, track.stsz.as_ref()?, track.stco.as_ref()?);
    let size = |n: u32| match stsz.sample_size {
        0 => stsz
            .sample_sizes
            .get(usize::try_from(n.checked_sub(1)?).ok()?)
            .map(|&s| u64::from(s)),
        fixed => Some(u64::from(fixed)),
    };
    let chunks = u64::try_from(stco.offsets.len()).ok()?;
    let mut first_sample = 1u64;
    for (i, run) in stsc.samples.iter().enumerate() {
        let start = u64::from(run.first_chunk.max(1));
        let end = stsc
            .samples
            .get(i + 1)
            .map_or(chunks + 1, |next| u64::from(next.first_chunk));
        let (per_chunk, runs) = (u64::from(run.samples_per_chunk), end.checked_sub(start)?);
        let in_run = per_chunk.checked_mul(runs)?;
        if u64::from(number) < first_sample + in_run {
            let chunk = start + (u64::from(number) - first_sample) / per_chunk;
            let first_in_chunk = first_sample + (chunk - start) * per_chunk;
            let mut offset = *stco.offsets.get(usize::try_from(chunk - 1).ok()?)?;
            let before = first_in_chunk..u64::from(number);
            if stsz.sample_size != 0 {
                // One size for all: no walk, however many samples a chunk claims.
                offset = offset.checked_add(u64::from(stsz.sample_size).checked_mul(before.end - before.start)?)?;
            } else {
                // At most one step per entry of the size table, which is in memory.
                for n in before {
                    offset = offset.checked_add(size(u32::try_from(n).ok()?)?)?;
                }
            }
            return Some((offset, size(number)?));
        }
        first_sample = first_sample.checked_add(in_run)?;
    }
    None
}

/// The orientation a track header's matrix `(a b; c d)` (16.16 fixed
/// point) applies when the clip is played: phones record the sensor's
/// landscape frames and turn portrait clips with it. Anything but a quarter
/// turn or a mirror (a scaled or sheared matrix) is left as stored.
fn turned(a: i32, b: i32, c: i32, d: i32) -> Orientation {
    const ONE: i32 = 1 << 16;
    const MINUS_ONE: i32 = -ONE;
    match (a, b, c, d) {
        (0, ONE, MINUS_ONE, 0) => Orientation::Rotate90,
        (MINUS_ONE, 0, 0, MINUS_ONE) => Orientation::Rotate180,
        (0, MINUS_ONE, ONE, 0) => Orientation::Rotate270,
        (MINUS_ONE, 0, 0, ONE) => Orientation::FlipHorizontal,
        (ONE, 0, 0, MINUS_ONE) => Orientation::FlipVertical,
        _ => Orientation::NoTransforms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyframes_are_spread_first_middle_last_without_repeats() {
        assert_eq!(spread(&[1, 16, 31, 46, 61]), vec![1, 31, 61]);
        assert_eq!(spread(&[1, 16]), vec![1, 16]);
        assert_eq!(spread(&[7]), vec![7]);
        assert!(spread::<u32>(&[]).is_empty());
    }

    #[test]
    fn a_quarter_turn_matrix_turns_the_frames_and_others_leave_them() {
        assert_eq!(turned(0, 1 << 16, -(1 << 16), 0), Orientation::Rotate90);
        assert_eq!(turned(1 << 16, 0, 0, 1 << 16), Orientation::NoTransforms);
        assert_eq!(turned(2 << 16, 0, 0, 2 << 16), Orientation::NoTransforms);
    }

    #[test]
    fn an_unknown_sample_entry_is_named_from_the_bytes_after_stsd() {
        let mut moov = b"....stsd\0\0\0\0\0\0\0\x01\0\0\0\x70hvc1".to_vec();
        assert_eq!(sample_entry_type(&moov), "hevc");
        moov.truncate(18);
        assert_eq!(sample_entry_type(&moov), "unknown");
    }
}
