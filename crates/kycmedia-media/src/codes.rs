//! Barcode and QR reading with rxing (a port of ZXing). A code counts only
//! when it decodes: a striped pattern that merely looks like PDF417 proves
//! nothing to a reviewer who needs its data.

use std::collections::HashSet;

use image::GrayImage;
use imageproc::filter::gaussian_blur_f32;
use rxing::common::HybridBinarizer;
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, MultiFormatReader, Reader};

use crate::evidence::Code;

/// The symbologies identity documents carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Symbology {
    /// PDF417: the back of US/Canadian driving licences and many ID cards.
    Pdf417,
    /// QR: EU digital certificates, newer ID cards, residence permits.
    Qr,
}

impl Symbology {
    fn format(self) -> BarcodeFormat {
        match self {
            Symbology::Pdf417 => BarcodeFormat::PDF_417,
            Symbology::Qr => BarcodeFormat::QR_CODE,
        }
    }
}

/// Pre-blur strengths tried after the sharp plane fails. PDF417 readers lose
/// the rows of a code rotated by a few degrees to aliasing; a light blur
/// before binarising recovered about half of such captures in a sweep.
const RETRY_BLURS: [f32; 2] = [0.8, 1.2];

/// The first code of `wanted` that decodes in `plane`, trying the plane as
/// it is and then lightly blurred; `None` if none does.
pub(crate) fn read(plane: &GrayImage, wanted: Symbology) -> Option<Code> {
    decode(plane, wanted).or_else(|| {
        RETRY_BLURS
            .iter()
            .find_map(|&sigma| decode(&gaussian_blur_f32(plane, sigma), wanted))
    })
}

fn decode(plane: &GrayImage, wanted: Symbology) -> Option<Code> {
    let (w, h) = plane.dimensions();
    let source = Luma8Source::new_with_slice(plane.as_raw(), w, h).ok()?;
    let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
    let hints = DecodeHints {
        PossibleFormats: Some(HashSet::from([wanted.format()])),
        TryHarder: Some(true),
        ..DecodeHints::default()
    };
    let result = MultiFormatReader::default()
        .decode_with_hints(&mut bitmap, &hints)
        .ok()?;
    let format = match result.getBarcodeFormat() {
        BarcodeFormat::PDF_417 => "pdf417",
        BarcodeFormat::QR_CODE => "qr",
        _ => return None,
    };
    Some(Code {
        format,
        payload_bytes: result.getText().len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_plane_holds_no_code() {
        let blank = GrayImage::from_pixel(200, 100, image::Luma([255]));
        assert_eq!(read(&blank, Symbology::Qr), None);
        assert_eq!(read(&blank, Symbology::Pdf417), None);
    }
}
