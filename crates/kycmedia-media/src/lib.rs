//! Pure functions on untrusted media bytes: what type is it, how big and how
//! long is it, and how well does it suit the context it was uploaded for.
//!
//! No async and no I/O, so the server can run these on a blocking thread and
//! the tests can run them on fixtures without a runtime. Every entry point
//! takes [`Limits`] (or sniffs only a header) because the bytes come straight
//! from the internet: a parser must fail, not panic, hang or allocate
//! gigabytes.

/// Accuracy: does the file suit its context (type only, for now).
mod accuracy;
/// Decoding to a small luma plane for pixel measures.
mod decode;
/// Last-resort panic containment around third-party parsers.
mod guard;
/// JPEG decoding to luma, and truncation detection.
mod jpeg;
/// Dimensions and duration from headers.
mod probe;
/// Quality: sharpness, exposure and resolution scores.
mod quality;
/// Type detection from magic bytes.
mod sniff;

pub use kycmedia_proto::{Context, MediaKind};
pub use probe::{Probe, probe};
pub use sniff::sniff;

/// Caps for untrusted input, checked before anything large is allocated.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest `width * height` accepted (images and video frames).
    pub max_pixels: u64,
    /// Largest allocation a decoder may make, and largest input accepted.
    pub max_alloc: u64,
}

impl Default for Limits {
    /// 100 megapixels covers every phone camera shipped so far; 256 MiB keeps
    /// a handful of concurrent analyses inside a small container.
    fn default() -> Self {
        Limits {
            max_pixels: 100_000_000,
            max_alloc: 256 * 1024 * 1024,
        }
    }
}

/// Why bytes were refused. The server maps each to a client-facing error.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Bytes are not a type we accept at all (e.g. text, GIF, AVIF, MKV, empty).
    #[error("unsupported media type")]
    Unsupported,
    /// An accepted type, but not of the kind the context needs (an MP4 under
    /// an image context, a JPEG under a video context).
    #[error("{mimetype} does not suit this context")]
    WrongKind { mimetype: &'static str },
    /// Declared type but unreadable/corrupt/truncated header.
    #[error("corrupt media: {0}")]
    Corrupt(String),
    /// Over [`Limits`] (decompression bomb etc.).
    #[error("media exceeds size limits")]
    TooLarge,
}

/// Everything the server stores about an upload besides the bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub probe: Probe,
    /// How well the content suits the context, in `[0, 1]`.
    pub accuracy: f32,
    /// How usable the capture is, in `[0, 1]`; see [`Analysis::sharpness`].
    pub quality: f32,
    /// Focus score in `[0, 1]`. `None` where pixels are not decoded: HEIC,
    /// HEIF and PDF (no pure-Rust decoder) and videos, whose quality then
    /// comes from resolution and duration alone.
    pub sharpness: Option<f32>,
    /// Exposure score in `[0, 1]`; `None` exactly when `sharpness` is.
    pub exposure: Option<f32>,
}

/// Probes `bytes`, checks they are of `context`'s kind, and scores them.
///
/// # Errors
/// [`MediaError::WrongKind`] when an accepted type is of the other kind, and
/// any error of [`probe()`] or of decoding the pixels.
pub fn analyse(context: Context, bytes: &[u8], limits: &Limits) -> Result<Analysis, MediaError> {
    let (mimetype, kind) = sniff(bytes)?;
    if kind != context.kind() {
        return Err(MediaError::WrongKind { mimetype });
    }
    let probe = probe(bytes, limits)?;
    let scores = quality::score(&probe, bytes, limits)?;
    Ok(Analysis {
        accuracy: accuracy::accuracy(context, probe.mimetype),
        quality: scores.quality,
        sharpness: scores.sharpness,
        exposure: scores.exposure,
        probe,
    })
}
