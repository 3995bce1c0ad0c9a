//! Pure functions on untrusted media bytes: what type is it, how big and how
//! long is it, and how well does it suit the context it was uploaded for.
//!
//! No async and no I/O, so the server can run these on a blocking thread and
//! the tests can run them on fixtures without a runtime. Every entry point
//! takes [`Limits`] (or sniffs only a header) because the bytes come straight
//! from the internet: a parser must fail, not panic, hang or allocate
//! gigabytes.

/// Accuracy: does the content match its context (faces, documents, codes,
/// print, video facts).
mod accuracy;
/// Barcode and QR reading.
mod codes;
/// Decoding to small upright luma planes for pixel measures.
mod decode;
/// Card and page outlines.
mod document;
/// What the analysis saw, for storage and for operators.
pub mod evidence;
/// Face image quality components on ISO/IEC 29794-5's scale.
mod face_quality;
/// Face detection.
mod faces;
/// Video keyframes: MP4/MOV demuxing and H.264 decoding to luma planes.
mod frames;
/// Last-resort panic containment around third-party parsers.
mod guard;
/// HEIC/HEIF decoding through libheif.
#[cfg(feature = "heif")]
mod heif;
/// Luma histograms: quantiles and shares of grey levels.
mod histogram;
/// JPEG decoding to luma, truncation and block-artefact detection.
mod jpeg;
/// Five facial landmarks from CenterFace, around a face rustface found.
mod landmarks;
/// Dimensions and duration from headers.
mod probe;
/// Quality: sharpness, exposure, contrast, noise, blocking, resolution.
mod quality;
/// A face photographed off a screen or a print: periodic peaks in its spectrum.
mod recapture;
/// A decoder's padded, perhaps deep rows as an 8-bit luma plane (HEIF's).
#[cfg_attr(not(feature = "heif"), allow(dead_code))]
mod rows;
/// Type detection from magic bytes.
mod sniff;
/// Whether a file is whole: its structure, not just its magic bytes.
mod structure;
/// Pages of print.
mod text;
/// Small upright JPEGs for a reviewer's list.
pub mod thumbnail;
/// Videos judged from their keyframes, or from container facts.
mod video;

pub use accuracy::MATCH;

/// Every value [`family_label`] gives.
pub const FAMILY_LABELS: [&str; 7] = [
    "face",
    "document_front",
    "document_back",
    "barcode",
    "document_and_face",
    "address",
    "video",
];

/// The ranking rule that judges `context`, as a short fixed label (one of
/// [`FAMILY_LABELS`]) for the server's analysis-time metric.
pub fn family_label(context: Context) -> &'static str {
    accuracy::Family::of(context).label()
}
pub use evidence::{Evidence, Issue, Measures};
pub use kycmedia_proto::{Context, MediaKind};
pub use probe::{Probe, probe};
pub use sniff::sniff;
pub use thumbnail::thumbnail;

/// Caps for untrusted input, checked before anything large is allocated.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest `width * height` accepted (images and video frames).
    pub max_pixels: u64,
    /// Largest allocation a decoder may make, and largest input accepted.
    pub max_alloc: u64,
}

impl Limits {
    /// 100 megapixels covers every phone camera shipped so far; 256 MiB keeps
    /// a handful of concurrent analyses inside a small container. The
    /// server's flags take their defaults from here.
    pub const DEFAULT: Limits = Limits {
        max_pixels: 100_000_000,
        max_alloc: 256 * 1024 * 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Why bytes were refused. The server maps each to a client-facing error.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Bytes are not a type we accept at all (e.g. text, GIF, AVIF, MKV, empty).
    #[error("unsupported media type")]
    Unsupported,
    /// An accepted type, but not of the kind the context needs (an MP4 under
    /// an image context, a JPEG under a video context); from [`thumbnail()`],
    /// an accepted type with no decoder here (HEIC, HEIF, PDF, videos).
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
    /// How well the content matches the context, in `[0, 1]`.
    pub accuracy: f32,
    /// How usable the capture is, in `[0, 1]`.
    pub quality: f32,
    /// `accuracy >= MATCH`: ranked before every file that does not match.
    pub matches: bool,
    /// The ranking score among files on the same side of [`MATCH`].
    pub score: f32,
    pub evidence: Evidence,
}

/// The ranking score: quality first, because among files that all show the
/// right thing the reviewer wants the clearest; accuracy (the detectors'
/// confidence) moves it by up to a quarter.
pub fn score(accuracy: f32, quality: f32) -> f32 {
    quality * (0.75 + 0.25 * accuracy)
}

/// Probes `bytes`, checks they are of `context`'s kind, and judges them.
///
/// Deterministic: the same bytes and context always give the same result.
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
    // What follows the image's end is not analysed, as it is not stored.
    let bytes = bytes.get(..probe.content_len).unwrap_or(bytes);
    let family = accuracy::Family::of(context);
    let mut evidence = Evidence {
        family: family.name(),
        resolution: quality::resolution_factor(probe.width, probe.height, family.resolution_need()),
        ..Evidence::default()
    };
    let (accuracy, quality) = match context {
        Context::Video(video) => {
            let duration_ms = probe.duration_ms.unwrap_or(0);
            evidence.video = Some(evidence::Video {
                duration_ms,
                width: probe.width,
                height: probe.height,
                bitrate_kbps: (bytes.len() as u64 * 8).checked_div(duration_ms).unwrap_or(0),
                codec: "unknown",
                frames_decoded: 0,
            });
            video::judge(video, mimetype, bytes, probe.duration_ms, limits, &mut evidence)?
        }
        Context::Image(_) => {
            let wants_detail = matches!(family, accuracy::Family::Barcode(_));
            match decode::frame(mimetype, bytes, limits, wants_detail)? {
                Some(frame) => {
                    let mut measures = quality::measure(&frame.plane, frame.blockiness);
                    evidence.orientation = frame.orientation;
                    let accuracy = guard::guard("detectors", || {
                        Ok(accuracy::image(
                            family,
                            &frame.plane,
                            frame.detail.as_ref(),
                            &frame.full,
                            &mut evidence,
                        ))
                    })?;
                    // A selfie is judged by how its face is exposed.
                    if matches!(family, accuracy::Family::Face)
                        && let Some(face) = evidence.faces.first()
                        && let Some(exposure) = quality::subject_exposure(&frame.plane, face)
                    {
                        measures.exposure = exposure;
                    }
                    evidence.pixels = Some(measures);
                    let face = if family.judges_faces() {
                        let side = probe.width.zip(probe.height).map(|(w, h)| w.max(h));
                        face_quality::apply(&frame.plane, side, frame.blockiness, &mut evidence)
                    } else {
                        1.0
                    };
                    // Glare, a cut-off card, an unreadable zone: document contexts only.
                    let document = (evidence.document_quality.as_ref()).map_or(1.0, document::quality::factor);
                    (
                        accuracy,
                        quality::combine(&measures, evidence.resolution) * face * document,
                    )
                }
                None => (
                    undecoded(family, mimetype, &mut evidence),
                    evidence.resolution * quality::UNMEASURED,
                ),
            }
        }
    };
    Ok(Analysis {
        probe,
        accuracy,
        quality,
        matches: accuracy >= MATCH,
        score: score(accuracy, quality),
        evidence,
    })
}

/// Accuracy of a file whose pixels cannot be decoded here (HEIC, HEIF, PDF):
/// a PDF suits paperwork only; a HEIC photo gets the benefit of the doubt
/// (exactly at the match line), while its quality, from resolution alone at
/// half weight, keeps it below good verified photos of the same attempt.
fn undecoded(family: accuracy::Family, mimetype: &str, evidence: &mut Evidence) -> f32 {
    if mimetype == "application/pdf" {
        if family.accepts_pdf() {
            evidence.findings.push("PDF scan (pages not rendered)".into());
            return 0.55;
        }
        evidence.findings.push("a PDF cannot show this context".into());
        return 0.2;
    }
    evidence
        .findings
        .push(format!("{mimetype} pixels not decoded: content unverified"));
    MATCH
}
