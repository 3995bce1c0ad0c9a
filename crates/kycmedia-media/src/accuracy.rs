//! Accuracy: does the upload show what its context asks for?
//!
//! For now this judges the file type alone: any photo can be a face or a
//! card, but a PDF is a scan and only suits contexts that are paperwork. Face,
//! document and barcode detection will replace it here, behind the same
//! signature, so callers need not change.

use kycmedia_proto::ImageContext;

use crate::Context;

/// The type suits the context.
const SUITED: f32 = 1.0;
/// The type does not suit the context: kept above zero because a human
/// reviewer may still accept it, and zero is reserved for "nothing there"
/// once detection lands.
const UNSUITED: f32 = 0.2;

/// Accuracy in `[0, 1]` of a file of `mimetype` uploaded under `context`.
pub(crate) fn accuracy(context: Context, mimetype: &str) -> f32 {
    let is_video = mimetype.starts_with("video/");
    let suits = match context {
        Context::Video(_) => is_video,
        Context::Image(_) if is_video => false,
        Context::Image(c) if mimetype == "application/pdf" => accepts_scans(c),
        Context::Image(_) => true,
    };
    if suits { SUITED } else { UNSUITED }
}

/// Whether a scanned document (PDF) can stand in for a photo in context `c`:
/// proof of address and the plain document sides can; anything showing a
/// face, a live capture or a specific barcode/QR photo cannot.
///
/// Exhaustive on purpose: a new context must be classified, not defaulted.
fn accepts_scans(c: ImageContext) -> bool {
    use ImageContext as C;
    match c {
        C::AddressFront
        | C::DocumentBack
        | C::DocumentBackBarcode
        | C::DocumentBackBarcodePre
        | C::DocumentBackPre
        | C::DocumentBackQrcode
        | C::DocumentBackQrcodePre
        | C::DocumentFront
        | C::DocumentFrontFaceCropped
        | C::DocumentFrontPre
        | C::DocumentFrontQrcode
        | C::DocumentFrontQrcodePre
        | C::DocumentFrontWithSignature
        | C::DocumentFrontWithSignaturePre => true,
        C::DocumentAndFace
        | C::DocumentAndFacePre
        | C::Face
        | C::FaceCropped
        | C::FaceNfc
        | C::FacePre
        | C::FaceReference
        | C::RegistryFace => false,
    }
}

#[cfg(test)]
mod tests {
    use kycmedia_proto::VideoContext;

    use super::*;

    #[test]
    fn any_photo_suits_any_image_context() {
        for c in ImageContext::ALL {
            for mime in ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"] {
                assert_eq!(accuracy(Context::Image(*c), mime), SUITED, "{mime} as {c:?}");
            }
        }
    }

    #[test]
    fn a_pdf_suits_address_and_document_sides_but_not_faces() {
        let pdf = "application/pdf";
        for c in ImageContext::ALL {
            let expected = c.as_str() == "address-front"
                || c.as_str().starts_with("document-front")
                || c.as_str().starts_with("document-back");
            let want = if expected { SUITED } else { UNSUITED };
            assert_eq!(accuracy(Context::Image(*c), pdf), want, "{c:?}");
        }
    }

    #[test]
    fn any_video_suits_any_video_context_and_nothing_else_does() {
        for c in VideoContext::ALL {
            assert_eq!(accuracy(Context::Video(*c), "video/webm"), SUITED);
            assert_eq!(accuracy(Context::Video(*c), "image/jpeg"), UNSUITED);
        }
        assert_eq!(accuracy(Context::Image(ImageContext::Face), "video/mp4"), UNSUITED);
    }
}
