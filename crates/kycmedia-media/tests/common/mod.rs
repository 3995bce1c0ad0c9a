//! Shared helpers: the committed fixtures (see `fixtures/README.md`) and
//! parsed contexts, so each test reads as the claim it makes.

#![allow(dead_code)] // each test binary uses a different subset

use kycmedia_media::{Context, MediaKind};

/// What a fixture is known to be (by construction in `fixtures/make.py`).
pub struct Expected {
    pub name: &'static str,
    pub mimetype: &'static str,
    /// Width × height.
    pub size: Option<(u32, u32)>,
    /// Duration rounded to whole seconds.
    pub secs: Option<u64>,
}

const fn expect(name: &'static str, mimetype: &'static str, size: Option<(u32, u32)>, secs: Option<u64>) -> Expected {
    Expected {
        name,
        mimetype,
        size,
        secs,
    }
}

/// Every fixture and what it must probe to.
pub const FIXTURES: &[Expected] = &[
    expect("face.jpg", "image/jpeg", Some((480, 480)), None),
    expect("face-blurred.jpg", "image/jpeg", Some((480, 480)), None),
    expect("face-dark.jpg", "image/jpeg", Some((480, 480)), None),
    expect("face-bright.jpg", "image/jpeg", Some((480, 480)), None),
    expect("face.png", "image/png", Some((240, 240)), None),
    expect("face.webp", "image/webp", Some((480, 480)), None),
    expect("face-sideways.jpg", "image/jpeg", Some((480, 480)), None),
    expect("document-front.jpg", "image/jpeg", Some((685, 432)), None),
    expect("document-back.jpg", "image/jpeg", Some((685, 432)), None),
    expect("photo-1920.jpg", "image/jpeg", Some((1920, 1080)), None),
    expect("page.pdf", "application/pdf", None, None),
    expect("selfid.mp4", "video/mp4", Some((320, 240)), Some(3)),
    expect("selfid.mov", "video/quicktime", Some((320, 240)), Some(3)),
    expect("selfid.webm", "video/webm", Some((320, 240)), Some(3)),
];

/// The bytes of `fixtures/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run fixtures/make.py)"))
}

/// A context by its wire spelling, image contexts first.
pub fn context(text: &str) -> Context {
    Context::parse(MediaKind::Image, text)
        .or_else(|| Context::parse(MediaKind::Video, text))
        .unwrap_or_else(|| panic!("unknown context {text}"))
}

/// A context that suits the fixture `name`: a selfie video, a document side
/// for cards and scans, a selfie otherwise.
pub fn natural_context(name: &str) -> Context {
    if name.starts_with("selfid") {
        context("selfid_video")
    } else if name.starts_with("document-back") {
        context("document-back")
    } else if name.starts_with("document") || name.ends_with(".pdf") {
        context("document-front")
    } else {
        context("face")
    }
}

/// An ISO-BMFF box.
pub fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(body.len() + 8).unwrap_or(0).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// The `ftyp` box of an Apple HEIC photo.
pub fn heic_ftyp() -> Vec<u8> {
    boxed(b"ftyp", b"heic\0\0\0\0mif1heic")
}

/// An `iprp` box whose `ispe` property states `width` × `height`.
pub fn heic_properties(width: u32, height: u32) -> Vec<u8> {
    let mut ispe = vec![0; 4];
    ispe.extend_from_slice(&width.to_be_bytes());
    ispe.extend_from_slice(&height.to_be_bytes());
    boxed(b"iprp", &boxed(b"ipco", &boxed(b"ispe", &ispe)))
}

/// A HEIC of one `hvc1` item stating `width` × `height`, laid out as a
/// camera writes it: `ftyp`, then `meta` (handler, primary item, item list,
/// item locations, properties), then `mdat` holding the item's 64 bytes.
/// `locate` turns the true offset of the item's data into the one `iloc`
/// states (`|at| at` for an honest file).
pub fn heic_locating(width: u32, height: u32, locate: impl Fn(u32) -> u32) -> Vec<u8> {
    let data = [0x5A; 64];
    let full = |kind: &[u8; 4], body: &[u8]| {
        let mut b = vec![0; 4];
        b.extend_from_slice(body);
        boxed(kind, &b)
    };
    let meta = |at: u32| {
        let mut iloc = vec![0x44, 0x00]; // 4-byte offsets and lengths, no base offset
        iloc.extend_from_slice(&1u16.to_be_bytes()); // one item
        iloc.extend_from_slice(&1u16.to_be_bytes()); // item 1
        iloc.extend_from_slice(&0u16.to_be_bytes()); // in this file
        iloc.extend_from_slice(&1u16.to_be_bytes()); // one extent
        iloc.extend_from_slice(&at.to_be_bytes());
        iloc.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut infe = vec![2, 0, 0, 0, 0, 1, 0, 0];
        infe.extend_from_slice(b"hvc1\0");
        let mut iinf = 1u16.to_be_bytes().to_vec();
        iinf.extend_from_slice(&boxed(b"infe", &infe));
        let mut body = vec![0; 4];
        for child in [
            full(b"hdlr", b"\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0"),
            full(b"pitm", &1u16.to_be_bytes()),
            full(b"iinf", &iinf),
            full(b"iloc", &iloc),
            heic_properties(width, height),
        ] {
            body.extend_from_slice(&child);
        }
        boxed(b"meta", &body)
    };
    let mut out = heic_ftyp();
    // The meta box's length does not depend on the offset it states.
    let at = (out.len() + meta(0).len() + 8) as u32;
    out.extend_from_slice(&meta(locate(at)));
    out.extend_from_slice(&boxed(b"mdat", &data));
    out
}

/// An honest [`heic_locating`].
pub fn heic(width: u32, height: u32) -> Vec<u8> {
    heic_locating(width, height, |at| at)
}

/// `image` as PNG bytes, for analysing a picture made in a test.
pub fn png(image: &image::RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image.clone())
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG encodes");
    out.into_inner()
}
