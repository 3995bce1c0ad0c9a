//! Accuracy: does the upload show what its context asks for? Each context
//! belongs to a family with its own rule, and each rule records the
//! findings it decided on, so a rank can be explained.
//!
//! Scores at or above [`MATCH`] mean "matches": the ranking puts every such
//! file before any that does not. Within the two groups the value still
//! orders a little (see `crate::score`), so it grows with the detectors'
//! confidence and with how plausibly the content fills the frame.

use image::{GrayImage, imageops};
use kycmedia_proto::{ImageContext, VideoContext};

use crate::codes::{self, Symbology};
use crate::evidence::{Evidence, Face, Region};
use crate::{Context, decode, document, faces, text};

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

/// Accuracy of an image context whose pixels were decoded.
pub(crate) fn image(family: Family, plane: &GrayImage, detail: Option<&GrayImage>, evidence: &mut Evidence) -> f32 {
    match family {
        Family::Face => face(plane, evidence),
        Family::Document { front } => document_side(plane, front, evidence),
        Family::Barcode(symbology) => barcode(detail.unwrap_or(plane), symbology, evidence),
        Family::DocumentAndFace => document_and_face(plane, evidence),
        Family::Address => address(plane, evidence),
        Family::Video => 0.0,
    }
}

/// Smallest face, as a share of the short side, that a selfie shows.
const SELFIE_FACE: f32 = 0.15;
/// Below this share a face may be a document's portrait: check for one.
const PORTRAIT_FACE: f32 = 0.35;
/// A second face this large (by area, against the largest) is a second
/// person, not a poster in the background.
const SECOND_PERSON: f32 = 0.35;

/// Long side of the plane scene faces are searched on. The faces that count
/// span at least 12 % of the short side (36 px at 16:9), so halving the
/// working plane keeps them above the detector's 20 px window and quarters
/// the cost of the search, the largest single cost of a selfie's analysis.
const SCENE_FACE_SIDE: u32 = 320;

/// Faces large enough to matter in a scene: about 10 % of the short side
/// and up.
fn scene_faces(plane: &GrayImage) -> Vec<Face> {
    let small = decode::reduced(plane, SCENE_FACE_SIDE);
    let short = small.width().min(small.height());
    faces::detect(&small, (short as f32 * 0.10) as u32)
}

/// Size of a face as a share of the frame's short side.
fn face_share(face: &Face, plane: &GrayImage) -> f32 {
    let (w, h) = (plane.width() as f32, plane.height() as f32);
    face.width * w / w.min(h)
}

/// Exactly one dominant face of a plausible size.
fn face(plane: &GrayImage, evidence: &mut Evidence) -> f32 {
    let found = scene_faces(plane);
    evidence.faces = found.clone();
    let Some(largest) = found.first() else {
        evidence.findings.push("no face found".into());
        return 0.05;
    };
    let share = face_share(largest, plane);
    if share < SELFIE_FACE {
        evidence.findings.push(format!(
            "largest face spans {:.0} % of the frame, too small",
            share * 100.0
        ));
        return 0.25;
    }
    let area = |f: &Face| f.width * f.height;
    if found.iter().skip(1).any(|f| area(f) >= SECOND_PERSON * area(largest)) {
        evidence.findings.push("more than one person".into());
        return 0.3;
    }
    if share < PORTRAIT_FACE && on_document(plane, largest, evidence) {
        evidence
            .findings
            .push("the face is a document's portrait, not a live capture".into());
        return 0.3;
    }
    evidence.findings.push("one dominant face".into());
    0.6 + 0.4 * confidence(largest.score)
}

/// Long side of the plane searched for a document around a selfie-sized
/// face: such a document is at least 2.5 faces wide, so large in the frame.
const PORTRAIT_CHECK_SIDE: u32 = 200;

/// Whether `face` lies inside a card or page: a photo of an ID card, or a
/// frame cropped to one.
fn on_document(plane: &GrayImage, face: &Face, evidence: &mut Evidence) -> bool {
    let region =
        document::find_at(plane, PORTRAIT_CHECK_SIDE).or_else(|| document::cropped(plane.width(), plane.height()));
    let inside = region.is_some_and(|r| portrait_of(&r, face));
    if inside {
        evidence.document = region;
    }
    inside
}

/// Whether `face` could be `region`'s printed portrait: its centre inside,
/// and small against it. An ID-1 photo is about a third of the card's
/// width, the face in it less; a face filling half of a "document" is a
/// person framed by straight lines behind them.
fn portrait_of(region: &Region, face: &Face) -> bool {
    let (cx, cy) = (face.x + face.width / 2.0, face.y + face.height / 2.0);
    let inside =
        (region.x..=region.x + region.width).contains(&cx) && (region.y..=region.y + region.height).contains(&cy);
    inside && face.width <= 0.4 * region.width
}

/// rustface scores (about 2 at the threshold, 10–30 for clear faces) to [0, 1).
fn confidence(score: f32) -> f32 {
    1.0 - (-(score - 2.0).max(0.0) / 8.0).exp()
}

/// A card or page, with a portrait on the front and none on the back.
fn document_side(plane: &GrayImage, front: bool, evidence: &mut Evidence) -> f32 {
    let Some(region) = find_document(plane, evidence) else {
        return 0.1;
    };
    let portrait = portrait(plane, &region, evidence);
    let fit = fit(&region);
    match (front, portrait) {
        (true, true) => 0.7 + 0.3 * fit,
        (false, false) => 0.65 + 0.35 * fit,
        (true, false) => {
            evidence
                .findings
                .push("no portrait on the document: the back side?".into());
            0.35
        }
        (false, true) => {
            evidence
                .findings
                .push("the document shows a portrait: the front side?".into());
            0.3
        }
    }
}

/// The document region, from its outline or, failing that, from a frame
/// cropped to the document's own shape.
fn find_document(plane: &GrayImage, evidence: &mut Evidence) -> Option<Region> {
    let found = document::find(plane).or_else(|| document::cropped(plane.width(), plane.height()));
    match found {
        Some(region) if region.coverage >= 1.0 => evidence.findings.push("frame cropped to a document's shape".into()),
        Some(region) => evidence.findings.push(format!("{} outline found", region.format)),
        None => evidence.findings.push("no card- or page-shaped region".into()),
    }
    evidence.document = found;
    found
}

/// How plausibly a document fills the frame: 1 from 15 % of its area up,
/// less for a card lost in the background.
fn fit(region: &Region) -> f32 {
    (region.coverage / 0.15).min(1.0)
}

/// Whether a face sits inside `region`: the crop is scaled so the document's
/// short side is 240 px, where an ID portrait's face is ~50 px, well above
/// the detector's 20 px window, whatever the document's size in the frame.
fn portrait(plane: &GrayImage, region: &Region, evidence: &mut Evidence) -> bool {
    let (w, h) = (plane.width() as f32, plane.height() as f32);
    let (x, y) = ((region.x * w) as u32, (region.y * h) as u32);
    let cw = ((region.width * w) as u32).min(plane.width().saturating_sub(x));
    let ch = ((region.height * h) as u32).min(plane.height().saturating_sub(y));
    if cw < 20 || ch < 20 {
        return false;
    }
    let crop = imageops::crop_imm(plane, x, y, cw, ch).to_image();
    let scale = 240.0 / cw.min(ch) as f32;
    let (sw, sh) = ((cw as f32 * scale) as u32, (ch as f32 * scale) as u32);
    let scaled = imageops::resize(&crop, sw.max(1), sh.max(1), imageops::FilterType::Triangle);
    let found = faces::detect(&scaled, faces::MIN_WINDOW);
    // Back in frame coordinates, so boxes in evidence mean one thing.
    for f in &found {
        evidence.faces.push(Face {
            x: region.x + f.x * region.width,
            y: region.y + f.y * region.height,
            width: f.width * region.width,
            height: f.height * region.height,
            score: f.score,
        });
    }
    let on_card = found.iter().any(|f| f.width <= 0.6);
    if on_card {
        evidence.findings.push("portrait on the document".into());
    }
    on_card
}

/// A code of the wanted symbology that decodes.
fn barcode(plane: &GrayImage, symbology: Symbology, evidence: &mut Evidence) -> f32 {
    match codes::read(plane, symbology) {
        Some(code) => {
            evidence.findings.push(format!("{} code decoded", code.format));
            evidence.codes.push(code);
            0.9
        }
        None => {
            let name = match symbology {
                Symbology::Pdf417 => "PDF417",
                Symbology::Qr => "QR",
            };
            evidence.findings.push(format!("no {name} code that decodes"));
            0.15
        }
    }
}

/// A large face and a document in the same frame.
fn document_and_face(plane: &GrayImage, evidence: &mut Evidence) -> f32 {
    let found = scene_faces(plane);
    let region = document::find(plane);
    // The person's face, not the card's portrait: large and not a portrait.
    let off_card = |f: &&Face| region.is_none_or(|r| !portrait_of(&r, f));
    let face = found
        .iter()
        .filter(off_card)
        .find(|f| face_share(f, plane) >= 0.12)
        .copied();
    evidence.faces = found;
    evidence.document = region;
    match (face, region) {
        (Some(f), Some(_)) => {
            evidence.findings.push("face and document in one frame".into());
            0.75 + 0.25 * confidence(f.score)
        }
        (Some(_), None) => {
            evidence.findings.push("a face but no document".into());
            0.3
        }
        (None, Some(_)) => {
            evidence.findings.push("a document but no large face".into());
            0.25
        }
        (None, None) => {
            evidence.findings.push("neither a face nor a document".into());
            0.05
        }
    }
}

/// A page covered in print.
fn address(plane: &GrayImage, evidence: &mut Evidence) -> f32 {
    let region = document::find(plane).map(|r| Region { format: "a4", ..r });
    let print = text::measure(plane, region.as_ref());
    evidence.document = region;
    evidence.print = Some(print);
    if !text::is_text_page(&print) {
        evidence.findings.push("no page of print".into());
        return 0.1;
    }
    evidence
        .findings
        .push(format!("page of print, {:.1} marks per 1000 px", print.marks_per_kpx));
    let outline = if region.is_some() { 0.15 } else { 0.0 };
    0.6 + outline + 0.25 * (print.marks_per_kpx / 4.0).min(1.0)
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
    fn detector_confidence_grows_with_the_score_and_stays_below_one() {
        assert_eq!(confidence(1.0), 0.0);
        assert!(confidence(10.0) > 0.6 && confidence(40.0) < 1.0);
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
            assert!(image(family, &blank, None, &mut evidence) < MATCH, "{family:?}");
            assert!(!evidence.findings.is_empty(), "{family:?} explains itself");
        }
    }
}
