//! What the analysis saw, kept with the media row so that an operator (and
//! `kycmedia analyze`) can see why a file ranked where it did.
//!
//! Boxes are fractions of the upright frame (0..1), so they mean the same
//! whatever size the file was. Decoded barcode contents are never recorded:
//! a driving licence's PDF417 holds the holder's name, address and birth
//! date, and evidence is shown to operators and written to logs' neighbours.

use serde::Serialize;
use serde_json::Value;

/// Everything measured and detected, by the analyser that ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evidence {
    /// Which rule judged accuracy (`face`, `document`, `barcode`,
    /// `document-and-face`, `address`, `video`).
    pub family: &'static str,
    /// The reasons for the accuracy, most decisive first, e.g.
    /// `"one dominant face"`, `"no card-shaped region"`.
    pub findings: Vec<String>,
    /// What is wrong with the content, as codes a program can act on (the
    /// capture page tells the person in their language); empty when
    /// nothing the detectors judge is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<Issue>,
    /// Pixel measures; absent when the type has no decoder here (PDF, HEIC
    /// without the `heif` feature, videos in codecs other than H.264); for
    /// a video, those of its best keyframe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pixels: Option<Measures>,
    /// Resolution factor in `[0, 1]` against what the context needs.
    pub resolution: f32,
    /// EXIF orientation applied before analysis (1 = as stored); absent
    /// for a HEIF (libheif applies its own transforms) and for videos.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orientation: Option<u8>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faces: Vec<Face>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<Region>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<Code>,
    /// Print measures of the page (address contexts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub print: Option<Print>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<Video>,
    /// Face image quality of the largest face (face contexts only), on
    /// ISO/IEC 29794-5's scale: see `docs/face-quality.md`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face_quality: Option<FaceQuality>,
    /// How strongly a periodic pattern (a screen's sub-pixels, a print's
    /// dots) shows over the largest face (face contexts): the natural log
    /// of its spectral peak over the spectrum around it. A live face stays
    /// near 1–3; from 3.75 the face is taken for a recapture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recapture_peak: Option<f32>,
    /// Glare, framing and the machine-readable zone of a photographed
    /// document (document contexts), each failure with the resubmission
    /// reason it would cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_quality: Option<DocumentQuality>,
}

impl Evidence {
    /// As JSON with every number rounded to four decimals: the scores are
    /// `f32`, whose binary noise (0.9744769334793091) is no part of the
    /// evidence and makes it harder to read.
    pub fn to_json(&self) -> Value {
        rounded(serde_json::to_value(self).unwrap_or(Value::Null))
    }
}

/// `value` with every non-integer number rounded to four decimals.
pub fn rounded(value: Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => n
            .as_f64()
            .and_then(|f| serde_json::Number::from_f64(round4(f)))
            .map_or(Value::Null, Value::Number),
        Value::Array(items) => Value::Array(items.into_iter().map(rounded).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, rounded(v))).collect()),
        other => other,
    }
}

/// `v` to four decimals: the analyser's scores are `f32`, and what they
/// mean ends well before their binary noise.
pub fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

/// A problem the detectors found with what a file shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Issue {
    /// No face at all.
    NoFace,
    /// A face, but too small in the frame for a selfie.
    FaceTooSmall,
    /// A second face about as large as the first.
    MoreThanOnePerson,
    /// The face is a portrait printed on a document.
    PortraitNotLive,
    /// The face is a photo of a screen or of a print (moiré or halftone
    /// dots over it), not a live capture.
    Recaptured,
    /// No card- or page-shaped region.
    NoDocument,
    /// The front was asked for, and the document shows no portrait.
    BackSide,
    /// The back was asked for, and the document shows a portrait.
    FrontSide,
    /// The barcode or QR code asked for does not decode.
    CodeUnreadable,
    /// An address document was asked for, and this is no page of print.
    NoPrint,
    /// The frame's edge cuts through the face.
    FaceCutOff,
    /// The head is turned (left or right) or tilted (up or down) away from
    /// the camera.
    HeadTurned,
    /// The head leans sideways: the eye line is far from level.
    HeadTilted,
    /// Something covers the eyes.
    EyesHidden,
    /// Something covers the mouth: a hand, a mask.
    MouthHidden,
    /// One side of the face is lit much more than the other.
    UnevenLighting,
    /// Glare over the document's portrait or data.
    Glare,
    /// Part of the document lies outside the frame.
    DocumentCutOff,
    /// The document is too small in the frame: too far from the camera.
    DocumentTooFar,
    /// The machine-readable zone does not read as one that checks out
    /// (illegible, or its check digits fail). One issue for both: the
    /// person can only retake the photo, and telling them which check
    /// failed would help a forger more than them.
    MrzUnreadable,
}

/// Pixel measures, each a score in `[0, 1]` (1 = good) unless stated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measures {
    /// Focus, from Laplacian energy with the noise's share removed.
    pub sharpness: f32,
    /// Mean brightness near mid-grey and little clipped to black or white.
    pub exposure: f32,
    /// Mean luma, 0 (black) to 1 (white), not a score: which way a poor
    /// exposure errs, so that a person can be told "too dark" or "too bright".
    pub brightness: f32,
    /// RMS contrast against what a well-lit capture shows.
    pub contrast: f32,
    /// 1 for a clean sensor, falling as noise grows.
    pub noise: f32,
    /// Estimated noise standard deviation, in grey levels (not a score).
    pub noise_sigma: f32,
    /// 1 without JPEG block artefacts, falling as they grow.
    pub blockiness: f32,
}

/// How usable a photographed document is, as a document-capture SDK
/// judges it before accepting the photo.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DocumentQuality {
    /// Share of the card's area under glare: saturated, textureless blobs
    /// (not a card that is simply bright all over: that is exposure).
    pub glare: f32,
    /// Corners of the card outside the frame or on its edge (0–4); a side
    /// beyond the frame counts both its corners.
    pub corners_outside: u8,
    /// The card's area as a share of the frame's.
    pub fill: f32,
    /// The machine-readable zone, when one is printed and found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mrz: Option<Mrz>,
    /// Each failure, with the reason a reviewer would send the photo back for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<DocumentFinding>,
}

/// A machine-readable zone that was found. Its contents are deliberately
/// not kept: they are the holder's name, document number and birth date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mrz {
    /// `td1` (ID cards, 3 lines of 30), `td2` (older ID cards and visas,
    /// 2 of 36) or `td3` (passports, 2 of 44).
    pub format: &'static str,
    /// Every ICAO 9303 check digit (document number, birth date, expiry
    /// date, composite, and the optional data's where printed) checks out.
    pub valid: bool,
    /// Every character matched its glyph with confidence: an invalid zone
    /// that is legible was read and fails its checks; one that is not may
    /// only be unreadable.
    pub legible: bool,
}

/// One failure of a document photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DocumentFinding {
    /// What failed: `glare-over-portrait`, `glare-over-data`, `cut-off`,
    /// `too-far`, `mrz-unreadable`, `mrz-invalid`.
    pub what: &'static str,
    /// The provider's resubmission reason it would cause: 202 "Face not
    /// clearly visible", 203 "Full document not visible", 204 "Poor image
    /// quality" (`kycmedia_proto::decision::REASONS`).
    pub reason: u16,
}

/// A detected face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Face {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    /// The detector's confidence (rustface score; about 2 is its threshold).
    pub score: f32,
}

/// Face image quality components, each 0–100 (100 best) or −1 when it
/// could not be assessed, as OFIQ (ISO/IEC 29794-5's reference
/// implementation) reports them; what each measures, how it maps to 0–100
/// and where it must stay is in `docs/face-quality.md`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FaceQuality {
    pub single_face_present: i8,
    pub head_size: i8,
    pub inter_eye_distance: i8,
    pub crop_left: i8,
    pub crop_right: i8,
    pub crop_top: i8,
    pub crop_bottom: i8,
    pub roll: i8,
    pub yaw: i8,
    pub pitch: i8,
    pub eyes_visible: i8,
    /// OFIQ's mouth occlusion prevention, from the mouth zone's darkness.
    pub mouth_visible: i8,
    pub luminance_mean: i8,
    pub luminance_variance: i8,
    pub under_exposure: i8,
    pub over_exposure: i8,
    pub dynamic_range: i8,
    pub illumination_uniformity: i8,
    pub sharpness: i8,
    pub compression: i8,
    /// Inter-eye distance in pixels of the original image, corrected for
    /// yaw as OFIQ does; absent without landmarks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inter_eye_px: Option<f32>,
    /// Head pose in degrees (roll positive when the eye on the image's
    /// right is lower, yaw when the nose points to the image's right,
    /// pitch when the chin is raised); absent without landmarks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pose: Option<Pose>,
    /// The five landmarks; absent when the landmark model found none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub landmarks: Option<FaceLandmarks>,
    /// The darker cheek's median luminance over the lighter one's, in
    /// linear light (1 when both sides are lit alike); absent without
    /// landmarks. Unlike illumination uniformity's histogram overlap it is
    /// unmoved by grain, blur and overall exposure, so it can grade the
    /// light continuously where the gate only rejects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub light_balance: Option<f32>,
}

/// Head pose angles, degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pose {
    pub roll: f32,
    pub yaw: f32,
    pub pitch: f32,
}

/// Five facial landmarks as `[x, y]` fractions of the upright frame, named
/// by the side of the image they are on (`eye_left` is the person's right
/// eye).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FaceLandmarks {
    pub eye_left: [f32; 2],
    pub eye_right: [f32; 2],
    pub nose: [f32; 2],
    pub mouth_left: [f32; 2],
    pub mouth_right: [f32; 2],
}

/// A card- or page-shaped quadrilateral.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Region {
    /// The closest standard format: `id-1` (cards), `id-3` (passports),
    /// `a4` (letters).
    pub format: &'static str,
    /// Long side over short side, as measured.
    pub aspect: f32,
    /// Share of the frame's area the region covers.
    pub coverage: f32,
    /// Bounding box of the quadrilateral.
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

/// A barcode that decoded. Its contents are deliberately not kept.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Code {
    /// `pdf417` or `qr`.
    pub format: &'static str,
    /// Length of the decoded payload in bytes.
    pub payload_bytes: usize,
    /// Where the code is, as `x`, `y`, `width` and `height` beside the
    /// other fields (as a face's box is); absent when the reader gave no
    /// points to place it by.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<Bounds>,
}

/// The box of the points a barcode reader located a code by: for PDF417
/// its corners, for QR its finder patterns' centres (a few modules inside
/// the code's edge), or its corners when the reader found them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bounds {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

/// How much a region looks like a printed page.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Print {
    /// Share of the region darker than the ink level.
    pub density: f32,
    /// Small dark marks (letters or words at the working size) per 1,000 px.
    pub marks_per_kpx: f32,
    /// Share of the region at the paper's own brightness.
    pub blank: f32,
    /// Paper brightness less the darkest ink's, in grey levels.
    pub contrast: u8,
}

/// What the container says about a video.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Video {
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Average bitrate over the whole file, kbit/s.
    pub bitrate_kbps: u64,
    /// The video track's codec (`h264`, `hevc`, `vp9`, `vp8`, `av1`, …,
    /// `unknown`).
    pub codec: &'static str,
    /// Keyframes decoded and judged (H.264 only); 0 means the clip was
    /// judged on these container facts alone.
    pub frames_decoded: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_codes_box_sits_beside_its_format_and_is_left_out_when_unknown() {
        let placed = Code {
            format: "qr",
            payload_bytes: 13,
            bounds: Some(Bounds {
                x: 0.5,
                y: 0.25,
                width: 0.125,
                height: 0.5,
            }),
        };
        assert_eq!(
            serde_json::to_value(placed).unwrap(),
            serde_json::json!({"format": "qr", "payload_bytes": 13, "x": 0.5, "y": 0.25, "width": 0.125, "height": 0.5})
        );
        let unplaced = Code { bounds: None, ..placed };
        assert_eq!(
            serde_json::to_value(unplaced).unwrap(),
            serde_json::json!({"format": "qr", "payload_bytes": 13})
        );
    }
}
