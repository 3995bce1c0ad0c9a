//! Accuracy: does the upload show what its context asks for? Each context
//! belongs to a family with its own rule, and each rule records the
//! findings it decided on, so a rank can be explained.
//!
//! Scores at or above [`MATCH`] mean "matches": the ranking puts every such
//! file before any that does not. Within the two groups the value still
//! orders a little (see `crate::score`), so it grows with the detectors'
//! confidence and with how plausibly the content fills the frame.

use image::GrayImage;
use kycmedia_proto::{ImageContext, VideoContext};

use crate::Context;
use crate::codes::Symbology;
use crate::decode::Full;
use crate::evidence::Evidence;

/// Rules about paper: document sides, codes, pages of print.
mod paper;
/// Rules about people: selfies, and a person holding their document.
mod people;

use paper::{address, barcode, document_side};
use people::{document_and_face, face};

/// Accuracy from which a file counts as showing what its context asks.
pub const MATCH: f32 = 0.5;

/// Which rule judges a context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Face,
    Document { front: bool },
    Barcode(Symbology),
    DocumentAndFace,
    Address,
    Video,
}

impl Family {
    /// Exhaustive on purpose: a new context must be classified, not defaulted.
    pub(crate) fn of(context: Context) -> Family {
        use ImageContext as C;
        let Context::Image(c) = context else {
            return Family::Video;
        };
        match c {
            C::Face | C::FacePre | C::FaceCropped | C::FaceNfc | C::FaceReference | C::RegistryFace => Family::Face,
            C::DocumentFrontFaceCropped => Family::Face,
            C::DocumentFront
            | C::DocumentFrontPre
            | C::DocumentFrontWithSignature
            | C::DocumentFrontWithSignaturePre => Family::Document { front: true },
            C::DocumentBack | C::DocumentBackPre => Family::Document { front: false },
            C::DocumentBackBarcode | C::DocumentBackBarcodePre => Family::Barcode(Symbology::Pdf417),
            C::DocumentBackQrcode | C::DocumentBackQrcodePre | C::DocumentFrontQrcode | C::DocumentFrontQrcodePre => {
                Family::Barcode(Symbology::Qr)
            }
            C::DocumentAndFace | C::DocumentAndFacePre => Family::DocumentAndFace,
            C::AddressFront => Family::Address,
        }
    }

    /// The family as a metric label: the ranking's grouping, with a
    /// document's two sides apart since their rules differ.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Family::Face => "face",
            Family::Document { front: true } => "document_front",
            Family::Document { front: false } => "document_back",
            Family::Barcode(_) => "barcode",
            Family::DocumentAndFace => "document_and_face",
            Family::Address => "address",
            Family::Video => "video",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Family::Face => "face",
            Family::Document { .. } => "document",
            Family::Barcode(_) => "barcode",
            Family::DocumentAndFace => "document-and-face",
            Family::Address => "address",
            Family::Video => "video",
        }
    }

    /// Short side (px) at which resolution stops limiting what a reviewer
    /// can read: a face needs VGA, a card's small print more, a barcode or
    /// a letter more still.
    pub(crate) fn resolution_need(self) -> f32 {
        match self {
            Family::Face | Family::Video => 480.0,
            Family::Document { .. } | Family::DocumentAndFace => 720.0,
            Family::Barcode(_) | Family::Address => 1000.0,
        }
    }

    /// Whether the family judges a person's face, so that the face's
    /// quality components drive its quality.
    pub(crate) fn judges_faces(self) -> bool {
        matches!(self, Family::Face | Family::DocumentAndFace)
    }

    /// Whether a scanned PDF can show what this family asks: paperwork can,
    /// anything with a face, a live capture or a code photo cannot.
    pub(crate) fn accepts_pdf(self) -> bool {
        matches!(self, Family::Document { .. } | Family::Address)
    }
}

/// Accuracy of a video context: only container facts are known.
pub(crate) fn video(context: VideoContext, evidence: &mut Evidence) -> f32 {
    let Some(v) = evidence.video else {
        return 0.0;
    };
    // A selfie-with-ID recording may run long; a pre-capture clip is short.
    let longest_ms = if context == VideoContext::SelfidVideo {
        300_000
    } else {
        120_000
    };
    if !(1_000..=longest_ms).contains(&v.duration_ms) {
        evidence.findings.push(format!(
            "duration {} ms outside 1 s..{} s",
            v.duration_ms,
            longest_ms / 1000
        ));
        return 0.25;
    }
    let mut accuracy = 0.6;
    match v.width.zip(v.height).map(|(w, h)| w.min(h)) {
        Some(short) if short >= 240 => accuracy += 0.2,
        Some(short) => evidence
            .findings
            .push(format!("frame {short} px on the short side, under 240")),
        None => evidence.findings.push("frame size not stated".into()),
    }
    if v.bitrate_kbps >= 100 {
        accuracy += 0.2;
    } else {
        evidence
            .findings
            .push(format!("bitrate {} kbit/s, under 100", v.bitrate_kbps));
    }
    evidence.findings.insert(0, "duration plausible for the context".into());
    accuracy
}

/// The image rule that judges a video's keyframes: a face for the selfie
/// and face videos, a card for the document videos (the barcode ones too: a
/// PDF417 is not read from a keyframe, so the card's back is what is asked),
/// both for the document-and-face video. Exhaustive on purpose, as [`Family::of`].
pub(crate) fn frame_family(context: VideoContext) -> Family {
    use VideoContext as V;
    match context {
        V::SelfidVideo | V::FacePreVideo => Family::Face,
        V::DocumentFrontPreVideo => Family::Document { front: true },
        V::DocumentBackPreVideo | V::DocumetBackBarcodePreVideo | V::DocumentBackBarcodePreVideo => {
            Family::Document { front: false }
        }
        V::DocumentAndFacePreVideo => Family::DocumentAndFace,
    }
}

/// Accuracy of an image context whose pixels were decoded; `full` is the
/// decode at full size (read for a document's machine-readable zone).
pub(crate) fn image(
    family: Family,
    plane: &GrayImage,
    detail: Option<&GrayImage>,
    full: &Full,
    evidence: &mut Evidence,
) -> f32 {
    match family {
        Family::Face => face(plane, full, evidence),
        Family::Document { front } => document_side(plane, full, front, evidence),
        Family::Barcode(symbology) => barcode(detail.unwrap_or(plane), symbology, evidence),
        Family::DocumentAndFace => document_and_face(plane, evidence),
        Family::Address => address(plane, evidence),
        Family::Video => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_image_context_has_a_family_and_every_video_context_is_video() {
        for c in ImageContext::ALL {
            assert_ne!(Family::of(Context::Image(*c)), Family::Video, "{c:?}");
        }
        for c in VideoContext::ALL {
            assert_eq!(Family::of(Context::Video(*c)), Family::Video, "{c:?}");
        }
    }

    #[test]
    fn a_pdf_can_only_stand_for_paperwork() {
        let pdf_ok: Vec<_> = ImageContext::ALL
            .iter()
            .filter(|c| Family::of(Context::Image(**c)).accepts_pdf())
            .map(|c| c.as_str())
            .collect();
        assert!(pdf_ok.contains(&"address-front") && pdf_ok.contains(&"document-back"));
        assert!(!pdf_ok.contains(&"face") && !pdf_ok.contains(&"document-back-barcode"));
    }

    #[test]
    fn a_blank_frame_matches_no_image_family() {
        let blank = GrayImage::from_pixel(640, 480, image::Luma([128]));
        for family in [
            Family::Face,
            Family::Document { front: true },
            Family::Document { front: false },
            Family::Barcode(Symbology::Qr),
            Family::DocumentAndFace,
            Family::Address,
        ] {
            let mut evidence = Evidence::default();
            let full = Full::new(
                640,
                480,
                blank.as_raw().clone(),
                image::metadata::Orientation::NoTransforms,
            );
            assert!(image(family, &blank, None, &full, &mut evidence) < MATCH, "{family:?}");
            assert!(!evidence.findings.is_empty(), "{family:?} explains itself");
        }
    }

    #[test]
    fn every_context_has_a_metric_label_and_the_labels_follow_the_rules() {
        for c in ImageContext::ALL {
            let label = crate::family_label(Context::Image(*c));
            assert!(crate::FAMILY_LABELS[..6].contains(&label), "{c:?} -> {label}");
        }
        for c in VideoContext::ALL {
            assert_eq!(crate::family_label(Context::Video(*c)), "video", "{c:?}");
        }
        let label = |text| crate::family_label(Context::Image(ImageContext::parse(text).unwrap()));
        assert_eq!(label("document-front-face-cropped"), "face");
        assert_eq!(label("document-front-with-signature-pre"), "document_front");
        assert_eq!(label("document-back-pre"), "document_back");
        assert_eq!(label("document-front-qrcode"), "barcode");
        assert_eq!(label("document-and-face-pre"), "document_and_face");
        assert_eq!(label("address-front"), "address");
    }
}
