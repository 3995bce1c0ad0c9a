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
