//! One H.264 keyframe to a luma plane, with Cisco's OpenH264 (compiled
//! into the binary by the `openh264` crate: in-process, nothing loaded at
//! run time).
//!
//! MP4 stores NAL units length-prefixed and the parameter sets apart, in
//! the `avcC` box; OpenH264 reads an Annex B stream (start codes), so each
//! keyframe is handed over as its parameter sets and its NAL units, each
//! behind a start code. The frame size is read from the sequence parameter
//! set first, so [`Limits`] are checked before the decoder allocates.

use image::metadata::Orientation;
use openh264::decoder::Decoder;
use openh264::formats::YUVSource;

use crate::decode::Decoded;
use crate::{Limits, MediaError};

const START_CODE: [u8; 4] = [0, 0, 0, 1];

fn corrupt(what: impl std::fmt::Display) -> MediaError {
    MediaError::Corrupt(format!("h264: {what}"))
}

/// The decoder configuration: parameter sets and the NAL length size.
pub(crate) struct Config {
    sps: Vec<Vec<u8>>,
    pps: Vec<Vec<u8>>,
    length_size: usize,
    /// The first sequence parameter set's facts.
    pub stream: Sps,
}

/// What a sequence parameter set says about the frames that follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sps {
    pub profile: u8,
    pub width: u32,
    pub height: u32,
    /// Field-coded (interlaced) pictures, which OpenH264 does not decode.
    pub interlaced: bool,
    pub reference_frames: u32,
}

impl Config {
    /// Reads an `avcC` body (ISO/IEC 14496-15 §5.3.3.1).
    pub(crate) fn parse(avcc: &[u8]) -> Result<Config, MediaError> {
        let mut at = 5usize;
        let length_size = usize::from(avcc.get(4).ok_or_else(|| corrupt("the avcC box is cut short"))? & 3) + 1;
        let mut sets = |count_mask: u8| -> Result<Vec<Vec<u8>>, MediaError> {
            let count = avcc.get(at).ok_or_else(|| corrupt("the avcC box is cut short"))? & count_mask;
            at += 1;
            (0..count)
                .map(|_| {
                    let len = avcc
                        .get(at..at + 2)
                        .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
                        .ok_or_else(|| corrupt("the avcC box is cut short"))?;
                    let set = avcc
                        .get(at + 2..at + 2 + len)
                        .ok_or_else(|| corrupt("the avcC box is cut short"))?;
                    at += 2 + len;
                    Ok(set.to_vec())
                })
                .collect()
        };
        let sps = sets(0x1F)?;
        let pps = sets(0xFF)?;
        let first = sps.first().ok_or_else(|| corrupt("no sequence parameter set"))?;
        let stream = parse_sps(first).ok_or_else(|| corrupt("the sequence parameter set is unreadable"))?;
        if pps.is_empty() {
            return Err(corrupt("no picture parameter set"));
        }
        Ok(Config {
            sps,
            pps,
            length_size,
            stream,
        })
    }

    /// Whether OpenH264 decodes this stream: progressive 8-bit 4:2:0
    /// (Baseline, Main, High), which is what phones and browsers record.
    pub(crate) fn unsupported(&self) -> Option<String> {
        match self.stream {
            Sps { interlaced: true, .. } => Some("interlaced H.264".into()),
            Sps { profile, .. } if matches!(profile, 110 | 122 | 244 | 44) => {
                Some(format!("H.264 profile {profile} (10-bit or 4:2:2/4:4:4)"))
            }
            _ => None,
        }
    }

    /// Decodes one keyframe (a sync sample's bytes) to a full-size plane,
    /// stored as coded and to be turned by `orientation`.
    ///
    /// # Errors
    /// [`MediaError::TooLarge`] when the frame, or the reference frames the
    /// stream declares, pass `limits`; [`MediaError::Corrupt`] when the
    /// sample is malformed or does not decode to a picture.
    pub(crate) fn keyframe(
        &self,
        sample: &[u8],
        orientation: Orientation,
        limits: &Limits,
    ) -> Result<Decoded, MediaError> {
        let pixels = fits(self.stream, limits)?;
        let stream = self.annex_b(sample, limits)?;
        let mut decoder = Decoder::new().map_err(corrupt)?;
        let yuv = decoder
            .decode(&stream)
            .map_err(corrupt)?
            .ok_or_else(|| corrupt("the keyframe decodes to no picture"))?;
        let (width, height) = yuv.dimensions();
        let stride = yuv.strides().0;
        if (width * height) as u64 > pixels || width == 0 || stride < width {
            return Err(corrupt("the picture is not the size its parameter set states"));
        }
        let grey: Vec<u8> = yuv
            .y()
            .chunks(stride)
            .take(height)
            .flat_map(|row| row.get(..width))
            .flatten()
            .copied()
            .collect();
        if grey.len() != width * height {
            return Err(corrupt("the picture's luma plane is cut short"));
        }
        Ok(Decoded {
            width,
            height,
            grey,
            orientation,
            blockiness: None,
        })
    }

    /// The parameter sets and the sample's NAL units behind start codes. A
    /// sequence parameter set inside the sample (which the decoder would
    /// follow) must fit `limits` as the configuration's does.
    fn annex_b(&self, sample: &[u8], limits: &Limits) -> Result<Vec<u8>, MediaError> {
        let mut out = Vec::with_capacity(sample.len() + 64);
        for set in self.sps.iter().chain(&self.pps) {
            out.extend_from_slice(&START_CODE);
            out.extend_from_slice(set);
        }
        let mut at = 0usize;
        while at < sample.len() {
            let len = sample
                .get(at..at + self.length_size)
                .ok_or_else(|| corrupt("a NAL unit's length is cut short"))?
                .iter()
                .fold(0usize, |n, &b| (n << 8) | usize::from(b));
            at += self.length_size;
            let nal = sample
                .get(at..at.saturating_add(len))
                .ok_or_else(|| corrupt("a NAL unit runs past its sample"))?;
            if nal.first().is_some_and(|header| header & 0x1F == 7) {
                let sps = parse_sps(nal).ok_or_else(|| corrupt("a sequence parameter set is unreadable"))?;
                if fits(sps, limits)? > fits(self.stream, limits)? {
                    return Err(corrupt("a keyframe's parameter set is larger than the track's"));
                }
            }
            out.extend_from_slice(&START_CODE);
            out.extend_from_slice(nal);
            at += len;
        }
        Ok(out)
    }
}

/// The pixels of a frame of `sps`, when they and the reference frames it
/// declares (each 1.5 bytes a pixel in 4:2:0, plus the frame being decoded)
/// fit `limits`.
fn fits(sps: Sps, limits: &Limits) -> Result<u64, MediaError> {
    let pixels = u64::from(sps.width) * u64::from(sps.height);
    let held = pixels.saturating_mul(u64::from(sps.reference_frames) + 2) * 3 / 2;
    if pixels > limits.max_pixels || held > limits.max_alloc {
        return Err(MediaError::TooLarge);
    }
    Ok(pixels)
}

/// Reads the fields of a sequence parameter set NAL unit (H.264 §7.3.2.1.1)
/// up to the frame size; `None` when it ends early or is out of range.
fn parse_sps(nal: &[u8]) -> Option<Sps> {
    // Emulation prevention: 00 00 03 stands for 00 00.
    let mut rbsp = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal.get(1..)? {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        rbsp.push(b);
    }
    let mut bits = Bits { bytes: &rbsp, at: 0 };
    let profile = bits.take(8)? as u8;
    bits.take(16)?; // constraint flags, level
    bits.ue()?; // seq_parameter_set_id
    if matches!(
        profile,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        let chroma_format = bits.ue()?;
        if chroma_format == 3 {
            bits.take(1)?; // separate_colour_plane_flag
        }
        bits.ue()?; // bit_depth_luma_minus8
        bits.ue()?; // bit_depth_chroma_minus8
        bits.take(1)?; // qpprime_y_zero_transform_bypass_flag
        if bits.take(1)? == 1 {
            for i in 0..if chroma_format == 3 { 12 } else { 8 } {
                if bits.take(1)? == 1 {
                    bits.scaling_list(if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    bits.ue()?; // log2_max_frame_num_minus4
    match bits.ue()? {
        0 => {
            bits.ue()?; // log2_max_pic_order_cnt_lsb_minus4
        }
        1 => {
            bits.take(1)?;
            bits.se()?;
            bits.se()?;
            for _ in 0..bits.ue().filter(|&n| n <= 255)? {
                bits.se()?;
            }
        }
        _ => {}
    }
    let reference_frames = bits.ue().filter(|&n| n <= 16)?;
    bits.take(1)?; // gaps_in_frame_num_value_allowed_flag
    let width_mbs = bits.ue()?.checked_add(1)?;
    let height_units = bits.ue()?.checked_add(1)?;
    let frame_mbs_only = bits.take(1)? == 1;
    let height_mbs = height_units.checked_mul(if frame_mbs_only { 1 } else { 2 })?;
    Some(Sps {
        profile,
        width: width_mbs.checked_mul(16)?,
        height: height_mbs.checked_mul(16)?,
        interlaced: !frame_mbs_only,
        reference_frames,
    })
}

/// A big-endian bit reader with Exp-Golomb codes.
struct Bits<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn take(&mut self, n: u32) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.bytes.get(self.at / 8)?;
            v = (v << 1) | u32::from((byte >> (7 - self.at % 8)) & 1);
            self.at += 1;
        }
        Some(v)
    }

    /// An unsigned Exp-Golomb code; at most 31 leading zeros (32-bit values).
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.take(1)? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = self.take(zeros)?;
        ((1u64 << zeros) - 1 + u64::from(rest)).try_into().ok()
    }

    fn se(&mut self) -> Option<i64> {
        let k = i64::from(self.ue()?);
        Some(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }

    /// Skips a scaling list of `size` entries (§7.3.2.1.1.1).
    fn scaling_list(&mut self, size: usize) -> Option<()> {
        let (mut last, mut next) = (8i64, 8i64);
        for _ in 0..size {
            if next != 0 {
                next = (last + self.se()? + 256).rem_euclid(256);
            }
            last = if next == 0 { last } else { next };
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SPS x264 wrote for `tests/fixtures/formats/face.mp4` (High, 360x480).
    const HIGH_360X480: [u8; 25] = [
        0x67, 0x64, 0x00, 0x15, 0xAC, 0xD9, 0x41, 0x70, 0xF7, 0x97, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00,
        0x03, 0x00, 0x78, 0x3C, 0x58, 0xB6, 0x58,
    ];

    #[test]
    fn a_sequence_parameter_set_gives_the_frame_size_rounded_to_macroblocks() {
        let sps = parse_sps(&HIGH_360X480).expect("parses");
        assert_eq!(
            (sps.profile, sps.width, sps.height, sps.interlaced),
            (100, 368, 480, false)
        );
    }

    #[test]
    fn a_cut_parameter_set_is_unreadable() {
        for len in 0..8 {
            assert!(parse_sps(&HIGH_360X480[..len]).is_none(), "{len}");
        }
    }

    #[test]
    fn a_nal_length_past_its_sample_is_corrupt() {
        let config = Config {
            sps: vec![],
            pps: vec![],
            length_size: 4,
            stream: parse_sps(&HIGH_360X480).expect("parses"),
        };
        let limits = Limits::default();
        assert!(config.annex_b(&[0, 0, 0, 2, 0x65, 0x88], &limits).is_ok());
        assert!(config.annex_b(&[0, 0, 0, 9, 0x65], &limits).is_err());
        assert!(config.annex_b(&[0, 0], &limits).is_err());
    }

    /// A Baseline SPS NAL unit of `width` × `height` macroblocks, one
    /// reference frame: fixed-width fields, then Exp-Golomb codes.
    fn baseline_sps(width: u32, height: u32) -> Vec<u8> {
        let mut bits = String::from("01100111"); // NAL header, type 7
        bits += "01000010"; // profile_idc 66
        bits += "0000000000011110"; // constraint flags, level 3.0
        let ue = |v: u32| {
            let code = v + 1;
            let len = 32 - code.leading_zeros();
            format!("{}{code:b}", "0".repeat(len as usize - 1))
        };
        // id, log2_max_frame_num_minus4, poc type 2, one reference frame, no gaps.
        bits += &[
            ue(0),
            ue(0),
            ue(2),
            ue(1),
            "0".into(),
            ue(width - 1),
            ue(height - 1),
            "1".into(),
        ]
        .concat();
        bits += "1";
        while bits.len() % 8 != 0 {
            bits.push('0');
        }
        (0..bits.len() / 8)
            .map(|i| u8::from_str_radix(&bits[i * 8..i * 8 + 8], 2).unwrap_or(0))
            .collect()
    }

    #[test]
    fn a_parameter_set_inside_a_keyframe_may_not_grow_the_frame() {
        let small = baseline_sps(23, 30);
        let parsed = parse_sps(&small).expect("parses");
        assert_eq!((parsed.profile, parsed.width, parsed.height), (66, 368, 480));
        let config = Config {
            sps: vec![],
            pps: vec![],
            length_size: 4,
            stream: parsed,
        };
        let in_sample = |nal: Vec<u8>| {
            let mut sample = (nal.len() as u32).to_be_bytes().to_vec();
            sample.extend_from_slice(&nal);
            config.annex_b(&sample, &Limits::default())
        };
        assert!(in_sample(small.clone()).is_ok());
        assert!(matches!(in_sample(baseline_sps(120, 68)), Err(MediaError::Corrupt(_))));
        assert!(matches!(in_sample(baseline_sps(2000, 2000)), Err(MediaError::TooLarge)));
        assert!(in_sample(small[..3].to_vec()).is_err(), "an unreadable set");
    }
}
