//! Media contexts: what a photo or video is supposed to show.
//!
//! The spellings are the provider's, verbatim, including the documented video
//! context `documet-back-barcode-pre-video` (sic). The correct spelling is
//! accepted too and kept as sent, so a client always reads back what it wrote.

use std::fmt;

string_enum! {
    /// Whether a media file is a still image or a video; decides the JSON key
    /// (`image`/`video`) and the list it appears in (`images`/`videos`).
    MediaKind {
        Image => "image",
        Video => "video",
    }
}

string_enum! {
    /// Contexts of still images (docs/api.md §4).
    ImageContext {
        AddressFront => "address-front",
        DocumentAndFace => "document-and-face",
        DocumentAndFacePre => "document-and-face-pre",
        DocumentBack => "document-back",
        DocumentBackBarcode => "document-back-barcode",
        DocumentBackBarcodePre => "document-back-barcode-pre",
        DocumentBackPre => "document-back-pre",
        DocumentBackQrcode => "document-back-qrcode",
        DocumentBackQrcodePre => "document-back-qrcode-pre",
        DocumentFront => "document-front",
        DocumentFrontFaceCropped => "document-front-face-cropped",
        DocumentFrontPre => "document-front-pre",
        DocumentFrontQrcode => "document-front-qrcode",
        DocumentFrontQrcodePre => "document-front-qrcode-pre",
        Face => "face",
        FaceCropped => "face-cropped",
        FaceNfc => "face-nfc",
        FacePre => "face-pre",
        FaceReference => "face-reference",
        RegistryFace => "registry-face",
        DocumentFrontWithSignature => "document-front-with-signature",
        DocumentFrontWithSignaturePre => "document-front-with-signature-pre",
    }
}

string_enum! {
    /// Contexts of videos (docs/api.md §5).
    VideoContext {
        DocumentFrontPreVideo => "document-front-pre-video",
        DocumentBackPreVideo => "document-back-pre-video",
        DocumentAndFacePreVideo => "document-and-face-pre-video",
        DocumetBackBarcodePreVideo => "documet-back-barcode-pre-video",
        FacePreVideo => "face-pre-video",
        SelfidVideo => "selfid_video",
        DocumentBackBarcodePreVideo => "document-back-barcode-pre-video",
    }
}

/// A context of either kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Image(ImageContext),
    Video(VideoContext),
}

impl Context {
    /// Parses a context that must belong to `kind`: an image context sent
    /// under the `video` key is not a video context.
    pub fn parse(kind: MediaKind, text: &str) -> Option<Self> {
        match kind {
            MediaKind::Image => ImageContext::parse(text).map(Context::Image),
            MediaKind::Video => VideoContext::parse(text).map(Context::Video),
        }
    }

    pub fn kind(self) -> MediaKind {
        match self {
            Context::Image(_) => MediaKind::Image,
            Context::Video(_) => MediaKind::Video,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Context::Image(c) => c.as_str(),
            Context::Video(c) => c.as_str(),
        }
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_context_round_trips_through_its_spelling() {
        for c in ImageContext::ALL {
            assert_eq!(ImageContext::parse(c.as_str()), Some(*c));
        }
        for c in VideoContext::ALL {
            assert_eq!(VideoContext::parse(c.as_str()), Some(*c));
        }
    }

    #[test]
    fn the_documented_misspelling_and_the_correct_spelling_are_both_video_contexts() {
        assert!(VideoContext::parse("documet-back-barcode-pre-video").is_some());
        assert!(VideoContext::parse("document-back-barcode-pre-video").is_some());
    }

    #[test]
    fn a_context_of_the_other_kind_is_rejected() {
        assert_eq!(Context::parse(MediaKind::Video, "face"), None);
        assert_eq!(Context::parse(MediaKind::Image, "selfid_video"), None);
        assert_eq!(Context::parse(MediaKind::Image, "Face"), None);
    }
}
