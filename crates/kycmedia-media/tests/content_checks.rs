//! Files whose magic bytes name an accepted type but whose content is not
//! that type (findings of issue 14's outside testing): each is refused as
//! `Corrupt` by the probe, before any decoder or ranking sees it, or, for
//! data appended after an image's end, accepted without that data.

mod common;

use common::{boxed, context, fixture, heic, heic_ftyp, heic_locating, heic_properties, natural_context};
use kycmedia_media::{Limits, MediaError, analyse, probe};

const HTML: &[u8] = b"<!doctype html><html><body><script>alert(document.domain)</script></body></html>\n";

/// An empty ZIP archive: only its end-of-central-directory record.
fn zip() -> Vec<u8> {
    let mut out = b"PK\x05\x06".to_vec();
    out.resize(22, 0);
    out
}

/// What the probe says of `bytes`, as `Corrupt`'s detail when refused so.
fn corrupt_detail(bytes: &[u8]) -> String {
    match probe(bytes, &Limits::default()) {
        Err(MediaError::Corrupt(detail)) => detail,
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

/// `ftyp`, then an MP4 `moov` whose movie header states `duration` units
/// at one unit a second, then an empty `mdat`: 144 bytes.
fn mp4_stating(duration: u32) -> Vec<u8> {
    let mut mvhd = vec![0; 12]; // version, flags, creation and modification times
    mvhd.extend_from_slice(&1u32.to_be_bytes()); // timescale: 1 unit a second
    mvhd.extend_from_slice(&duration.to_be_bytes());
    mvhd.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
    mvhd.extend_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
    mvhd.extend_from_slice(&[0; 10]);
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        mvhd.extend_from_slice(&v.to_be_bytes()); // identity matrix
    }
    mvhd.extend_from_slice(&[0; 24]);
    mvhd.extend_from_slice(&2u32.to_be_bytes()); // next track id
    let mut out = boxed(b"ftyp", b"isom\0\0\x02\0isom");
    out.extend_from_slice(&boxed(b"moov", &boxed(b"mvhd", &mvhd)));
    out.extend_from_slice(&boxed(b"mdat", b""));
    out
}

/// A 16×16 flat grey baseline JPEG whose frame header is then made to
/// declare `width` × `height`.
fn jpeg_declaring(width: u16, height: u16) -> Vec<u8> {
    let mut out = Vec::new();
    image::GrayImage::from_pixel(16, 16, image::Luma([128]))
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .expect("a 16×16 JPEG encodes");
    let sof = out
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    // FFC0, length (2), precision (1), then height and width.
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

#[test]
fn a_heic_header_followed_by_html_is_corrupt() {
    let mut bytes = heic_ftyp();
    let mut meta = vec![0; 4];
    meta.extend_from_slice(&heic_properties(4032, 3024));
    bytes.extend_from_slice(&boxed(b"meta", &meta));
    bytes.extend_from_slice(HTML);
    let detail = corrupt_detail(&bytes);
    assert!(detail.starts_with("heif: a box runs past the end"), "{detail}");
    let ranked = analyse(context("face"), &bytes, &Limits::default());
    assert!(matches!(ranked, Err(MediaError::Corrupt(_))), "{ranked:?}");
}

#[test]
fn a_heic_whose_item_lies_outside_its_media_data_is_corrupt() {
    for locate in [|at: u32| at + 1_000, |_| 0, |at: u32| at + 1] {
        let detail = corrupt_detail(&heic_locating(4032, 3024, locate));
        assert!(detail.contains("outside the file's media data"), "{detail}");
    }
}

#[test]
fn a_heic_without_its_media_data_box_is_corrupt() {
    let mut bytes = heic(4032, 3024);
    bytes.truncate(bytes.len() - 72); // the whole `mdat`
    assert!(corrupt_detail(&bytes).contains("outside the file's media data"));
}

#[test]
fn a_heic_with_located_image_data_is_accepted() {
    let p = probe(&heic(4032, 3024), &Limits::default());
    assert!(p.is_ok_and(|p| p.width == Some(4032)));
}

#[test]
fn a_pdf_header_followed_by_html_is_corrupt() {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend_from_slice(HTML);
    assert!(corrupt_detail(&bytes).contains("pdf"));
}

#[test]
fn a_pdf_cut_before_its_trailer_is_corrupt() {
    let bytes = fixture("page.pdf");
    assert!(corrupt_detail(&bytes[..bytes.len() - 8]).contains("%%EOF"));
}

#[test]
fn a_video_cut_in_half_is_corrupt() {
    for name in ["selfid.mp4", "selfid.mov", "selfid.webm"] {
        let bytes = fixture(name);
        let detail = corrupt_detail(&bytes[..bytes.len() / 2]);
        assert!(detail.contains("past the end"), "{name}: {detail}");
    }
}

#[test]
fn a_144_byte_video_stating_4294967295_seconds_is_corrupt() {
    let bytes = mp4_stating(u32::MAX);
    assert_eq!(bytes.len(), 144);
    let detail = corrupt_detail(&bytes);
    assert!(detail.contains("4294967295 s is implausible"), "{detail}");
}

#[test]
fn a_video_stating_a_duration_its_data_can_fill_is_not_refused_for_it() {
    // Zero seconds over no data: whatever else is wrong, not the duration.
    let out = probe(&mp4_stating(0), &Limits::default());
    assert!(
        !matches!(&out, Err(MediaError::Corrupt(d)) if d.contains("implausible")),
        "{out:?}"
    );
}

#[test]
fn a_jpeg_declaring_10000_by_10000_pixels_over_a_few_bytes_of_data_is_refused_before_decoding() {
    let bomb = jpeg_declaring(10_000, 10_000);
    assert!(bomb.len() < 1_000, "{} bytes", bomb.len());
    let detail = corrupt_detail(&bomb);
    assert!(detail.contains("declares 10000x10000 pixels"), "{detail}");
    let out = analyse(context("face"), &bomb, &Limits::default());
    assert!(matches!(out, Err(MediaError::Corrupt(_))), "{out:?}");
    // The same file at its true size is fine.
    assert!(probe(&jpeg_declaring(16, 16), &Limits::default()).is_ok());
}

#[test]
fn data_appended_after_an_image_is_not_part_of_it() {
    for name in ["face.jpg", "face.png", "face.webp"] {
        let image = fixture(name);
        let plain = analyse(natural_context(name), &image, &Limits::default()).expect("the fixture is analysed");
        assert_eq!(plain.probe.content_len, image.len(), "{name}");
        let mut second_jpeg = fixture("face-dark.jpg");
        second_jpeg.extend_from_slice(b"\0\0\0\0");
        for trailer in [zip(), HTML.to_vec(), [HTML, &zip()].concat(), second_jpeg] {
            let polyglot = [&image[..], &trailer].concat();
            let out = analyse(natural_context(name), &polyglot, &Limits::default());
            assert_eq!(out.ok().as_ref(), Some(&plain), "{name} + {} bytes", trailer.len());
        }
    }
}
