//! Claims about bytes a stranger might send: the wrong kind, the wrong type,
//! cut short, or built to exhaust memory. Each must come back as the error
//! the server maps to the right response. Random damage: `fuzzed_input.rs`.

mod common;

use common::{context, fixture, heic, natural_context};
use kycmedia_media::{Limits, MediaError, analyse, probe, sniff};

/// A PNG signature and IHDR chunk (valid CRC) claiming `width` × `height`
/// 8-bit RGBA pixels, followed by a tiny IDAT and IEND.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for body in [ihdr, b"IDAT\x78\x9c\x03\x00\x00\x00\x00\x01".to_vec(), b"IEND".to_vec()] {
        out.extend_from_slice(&u32::try_from(body.len() - 4).unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_video_under_an_image_context_is_the_wrong_kind() {
    let out = analyse(context("face"), &fixture("selfid.mp4"), &Limits::default());
    assert!(
        matches!(out, Err(MediaError::WrongKind { mimetype: "video/mp4" })),
        "{out:?}"
    );
}

#[test]
fn a_photo_under_a_video_context_is_the_wrong_kind() {
    let out = analyse(context("selfid_video"), &fixture("face.jpg"), &Limits::default());
    assert!(
        matches!(out, Err(MediaError::WrongKind { mimetype: "image/jpeg" })),
        "{out:?}"
    );
}

#[test]
fn text_empty_gif_avif_and_mkv_bytes_are_unsupported() {
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf".to_vec();
    let mut mkv = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x88matroska".to_vec();
    mkv.resize(512, 0);
    let cases = [
        ("text", b"name,value\nalice,1\n".to_vec()),
        ("empty", vec![]),
        ("gif", gif),
        ("avif", avif),
        ("mkv", mkv),
    ];
    for (what, bytes) in cases {
        assert!(matches!(sniff(&bytes), Err(MediaError::Unsupported)), "{what}");
        assert!(
            matches!(probe(&bytes, &Limits::default()), Err(MediaError::Unsupported)),
            "{what}"
        );
        let out = analyse(context("face"), &bytes, &Limits::default());
        assert!(matches!(out, Err(MediaError::Unsupported)), "{what}");
    }
}

#[test]
fn a_heic_probes_to_its_stated_size() {
    let p = probe(&heic(4032, 3024), &Limits::default());
    assert!(p.as_ref().is_ok_and(|p| p.mimetype == "image/heic"), "{p:?}");
    assert_eq!(p.ok().and_then(|p| p.width.zip(p.height)), Some((4032, 3024)));
}

#[cfg(not(feature = "heif"))]
#[test]
fn a_heic_is_an_unverified_match_scored_on_resolution_alone() {
    let a = analyse(context("face"), &heic(4032, 3024), &Limits::default());
    assert!(a.is_ok_and(|a| a.quality == 0.5 && a.matches && a.evidence.pixels.is_none()));
}

/// With libheif, the same file's 64 bytes of "image data" are decoded, and
/// are no HEVC picture.
#[cfg(feature = "heif")]
#[test]
fn a_heic_whose_image_data_does_not_decode_is_corrupt() {
    let a = analyse(context("face"), &heic(4032, 3024), &Limits::default());
    assert!(
        matches!(a, Err(MediaError::Corrupt(ref why)) if why.starts_with("heif: ")),
        "{a:?}"
    );
}

#[test]
fn a_png_claiming_60000_by_60000_pixels_is_too_large() {
    let bomb = png_header(60_000, 60_000);
    assert!(matches!(probe(&bomb, &Limits::default()), Err(MediaError::TooLarge)));
    assert!(matches!(
        analyse(context("face"), &bomb, &Limits::default()),
        Err(MediaError::TooLarge)
    ));
}

#[test]
fn a_heic_claiming_a_gigapixel_is_too_large() {
    let bomb = heic(40_000, 40_000);
    assert!(matches!(probe(&bomb, &Limits::default()), Err(MediaError::TooLarge)));
}

#[test]
fn decoding_past_the_allocation_cap_is_too_large_even_within_the_pixel_cap() {
    // 120 kB admits each input file but not its decoded planes.
    let tight = Limits {
        max_pixels: u64::MAX,
        max_alloc: 120_000,
    };
    for name in ["face.jpg", "face.png", "face.webp"] {
        let out = analyse(natural_context(name), &fixture(name), &tight);
        assert!(matches!(out, Err(MediaError::TooLarge)), "{name}: {out:?}");
    }
}

#[test]
fn an_input_larger_than_the_allocation_cap_is_too_large() {
    let tight = Limits {
        max_pixels: u64::MAX,
        max_alloc: 1_000,
    };
    assert!(matches!(
        probe(&fixture("selfid.mp4"), &tight),
        Err(MediaError::TooLarge)
    ));
}

#[test]
fn a_file_cut_inside_its_header_is_corrupt() {
    for name in ["face.jpg", "face.png", "face.webp", "selfid.mp4", "selfid.mov"] {
        let bytes = fixture(name);
        let out = analyse(natural_context(name), &bytes[..64], &Limits::default());
        assert!(matches!(out, Err(MediaError::Corrupt(_))), "{name}: {out:?}");
    }
}

#[test]
fn a_photo_cut_short_is_corrupt() {
    for name in ["face.jpg", "face.png", "face.webp", "photo-1920.jpg"] {
        let bytes = fixture(name);
        for cut in [bytes.len() / 4, bytes.len() / 2, bytes.len() * 9 / 10] {
            let out = analyse(natural_context(name), &bytes[..cut], &Limits::default());
            assert!(matches!(out, Err(MediaError::Corrupt(_))), "{name} at {cut}: {out:?}");
        }
    }
}

#[test]
fn a_jpeg_without_its_end_of_image_marker_is_corrupt() {
    let bytes = fixture("face.jpg");
    let out = analyse(context("face"), &bytes[..bytes.len() - 2], &Limits::default());
    assert!(matches!(out, Err(MediaError::Corrupt(_))), "{out:?}");
}

#[test]
fn a_quicktime_file_cut_before_its_trailing_index_is_corrupt() {
    let bytes = fixture("selfid.mov");
    let out = probe(&bytes[..bytes.len() - 1], &Limits::default());
    assert!(matches!(out, Err(MediaError::Corrupt(_))), "{out:?}");
}
