//! Rules about paper: a document side (front with a portrait, back without),
//! a barcode or QR code that decodes, a page of print.

use image::{GrayImage, imageops};

use crate::codes::{self, Symbology};
use crate::decode::Full;
use crate::document::Outline;
use crate::evidence::{Evidence, Face, Issue, Region};
use crate::{decode, document, faces, landmarks, text};

/// A card or page, with a portrait on the front and none on the back; a
/// machine-readable zone that checks out settles which side it is (a TD1
/// zone is printed on an ID card's back, TD2 and TD3 on the front), as no
/// clutter and no misread passes ICAO's check digits.
pub(super) fn document_side(plane: &GrayImage, full: &Full, front: bool, evidence: &mut Evidence) -> f32 {
    let Some(outline) = find_document(plane, evidence) else {
        if front && portrait_beside_print(plane, evidence) {
            // The card is there; only its outline was not found.
            evidence.issues.retain(|i| *i != Issue::NoDocument);
            return PORTRAIT_BESIDE_PRINT;
        }
        if !front && back_code(plane, evidence) {
            evidence.issues.retain(|i| *i != Issue::NoDocument);
            return BACK_BY_CODE;
        }
        return 0.1;
    };
    // A back is judged by the face it must not show, which rustface on
    // the card and in the frame look for; CenterFace's ~60 ms is spent
    // only on a front, whose portrait it must find.
    let first_look = if front { Look::Thorough } else { Look::Any };
    let (mut outline, mut portrait) = (outline, on_card(plane, &outline, first_look, evidence));
    if front
        && !portrait
        && let Some(other) = document::alternatives(plane, ALTERNATIVES)
            .into_iter()
            .find(|o| on_card(plane, o, Look::Clear, evidence))
    {
        evidence
            .findings
            .push(format!("a smaller {} outline holds the portrait", other.region.format));
        evidence.document = Some(other.region);
        (outline, portrait) = (other, true);
    }
    let region = outline.region;
    let quality = document::quality::assess(plane, full, &outline, &evidence.faces);
    let zone_side = quality.mrz.filter(|z| z.valid).map(|z| z.format != "td1");
    if front && !portrait && zone_side.is_none() && portrait_beside_print(plane, evidence) {
        // The outline found is not the card's (the portrait is elsewhere):
        // what was measured on it says nothing of the card.
        evidence.document = None;
        return PORTRAIT_BESIDE_PRINT;
    }
    evidence.issues.extend(document::quality::issues(&quality));
    if let Some(z) = quality.mrz {
        let state = match (z.valid, z.legible) {
            (true, _) => "checks out",
            (false, true) => "fails its check digits",
            (false, false) => "is not legible",
        };
        evidence
            .findings
            .push(format!("{} machine-readable zone {state}", z.format.to_uppercase()));
    }
    evidence.document_quality = Some(quality);
    // A back shows no face anywhere. The outline found may not be the
    // card's (bricks or a window frame of a card's shape beside it), so for
    // the back the whole frame is searched once the region held none, and
    // then the other outlines a front's portrait is looked for on: a front
    // whose card is small beside a larger card-shaped thing has a portrait
    // too small to find in the whole frame, and without this it passed for
    // a back; last, a portrait with fields beside it, as the front finds a
    // card whose outline is not the one found. The front still needs its
    // portrait on the card itself.
    if !front && !portrait && zone_side.is_none() {
        portrait = face_in_frame(plane, evidence)
            || document::alternatives(plane, ALTERNATIVES)
                .iter()
                .any(|o| on_card(plane, o, Look::Clear, evidence))
            || portrait_beside_print(plane, evidence);
    }
    let fit = fit(&region);
    let accuracy = match (front, portrait, zone_side) {
        (true, _, Some(true)) | (false, _, Some(false)) => 0.85 + 0.15 * fit,
        (true, _, Some(false)) => {
            evidence
                .findings
                .push("the machine-readable zone is a card's back".into());
            evidence.issues.push(Issue::BackSide);
            0.35
        }
        (true, true, _) => 0.7 + 0.3 * fit,
        (false, false, None) => 0.65 + 0.35 * fit,
        (true, false, _) => {
            evidence
                .findings
                .push("no portrait on the document: the back side?".into());
            evidence.issues.push(Issue::BackSide);
            0.35
        }
        (false, _, _) => {
            evidence
                .findings
                .push("the document shows a portrait: the front side?".into());
            evidence.issues.push(Issue::FrontSide);
            0.3
        }
    };
    // Three sides and the frame's border are weaker evidence of a card
    // than four sides: without a portrait or a zone to back them, a cut-off
    // "card" stays below the match line (its issue still tells the person).
    // A PDF417 code that decodes backs them for the back (as the zone
    // does): it is printed on a card's back, and clutter never decodes.
    if outline.side_outside && !portrait && zone_side.is_none() {
        if !front && back_code(plane, evidence) {
            return 0.85 + 0.15 * fit;
        }
        // No face in the frame, on the other outlines, beside a block of
        // print, nor (CenterFace's look, paid for only here) on the cut-off
        // card: the back of a card at the frame's edge, at the match line
        // and below any whole one. A front whose portrait the whole-frame
        // search missed is the risk these catch.
        if !front && !on_card(plane, &outline, Look::Thorough, evidence) {
            return accuracy.min(CUT_OFF_BACK);
        }
        return accuracy.min(0.45);
    }
    accuracy
}

/// Accuracy of a back cut off by the frame with no face anywhere and no
/// code or zone to back it: exactly the match line.
const CUT_OFF_BACK: f32 = crate::MATCH;

/// Accuracy of a back known by its PDF417 code alone, no outline found:
/// a match, below a back whose outline is whole (0.65 and up with a fit
/// card), as the card's size is unknown.
const BACK_BY_CODE: f32 = 0.6;

/// Whether a PDF417 code decodes in the frame (recorded in the evidence,
/// its format and size only). Only where the outline leaves a back in
/// doubt: decoding costs about as much as the rest of the analysis.
fn back_code(plane: &GrayImage, evidence: &mut Evidence) -> bool {
    let Some(code) = codes::read(plane, Symbology::Pdf417) else {
        return false;
    };
    evidence.findings.push("PDF417 code decoded: a card's back".into());
    evidence.codes.push(code);
    true
}

/// Other outlines a front's portrait is looked for on when the largest
/// holds none: a card beside a larger card-shaped thing (a window, a
/// saucer, a slab) is seldom the third largest shape.
const ALTERNATIVES: usize = 3;

/// Least detector score of a portrait found where the largest outline held
/// none (on another outline, or beside print): gravel, a coin or a knot in
/// wood can score 2 to 3 (rustface's own threshold is 2), and where the
/// card itself is in doubt such a "face" would make a back a front. On
/// the two sets, 9 of 107 portraits found this way scored under 3, and
/// the only two false fronts 2.2 and 2.8.
const CLEAR_FACE: f32 = 3.0;

/// Whether a portrait is on the card `outline` holds. The visible part of
/// a cut-off card is no whole card: a face filling much of it is likelier
/// a person than a printed portrait.
fn on_card(plane: &GrayImage, outline: &Outline, look: Look, evidence: &mut Evidence) -> bool {
    let largest = if outline.side_outside { 0.4 } else { 0.6 };
    portrait(plane, &outline.region, largest, look, evidence)
}

/// The document region, from its outline or, failing that, from a frame
/// cropped to the document's own shape.
fn find_document(plane: &GrayImage, evidence: &mut Evidence) -> Option<Outline> {
    let found = document::outline(plane).or_else(|| document::cropped_outline(plane.width(), plane.height()));
    match found {
        Some(o) if o.region.coverage >= 1.0 => evidence.findings.push("frame cropped to a document's shape".into()),
        Some(o) if o.side_outside => evidence
            .findings
            .push(format!("{} outline found, cut off by the frame", o.region.format)),
        Some(o) => evidence.findings.push(format!("{} outline found", o.region.format)),
        None => {
            evidence.findings.push("no card- or page-shaped region".into());
            evidence.issues.push(Issue::NoDocument);
        }
    }
    evidence.document = found.map(|o| o.region);
    found
}

/// How plausibly a document fills the frame: 1 from 15 % of its area up,
/// less for a card lost in the background.
fn fit(region: &Region) -> f32 {
    (region.coverage / 0.15).min(1.0)
}

/// How hard a portrait is looked for on an outline.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Look {
    /// Any face rustface finds.
    Any,
    /// On a front's first outline: any face rustface finds, else any
    /// CenterFace finds on the card. rustface's frontal cascade misses a
    /// portrait's tilted head, a cap, glare across the face (on the
    /// held-out set it found none on about a quarter of the fronts);
    /// CenterFace (~60 ms on one core here) is run only then.
    Thorough,
    /// On another outline, where the card itself is in doubt: only a face
    /// rustface finds clearly ([`CLEAR_FACE`]).
    Clear,
}

/// Whether a face no wider than `largest` of the region sits inside
/// `region` (looked for as `look` says): the crop is scaled so the
/// document's short side is 240 px, where an ID portrait's face is ~50 px,
/// well above rustface's 20 px window and CenterFace's smallest, whatever
/// the document's size in the frame.
fn portrait(plane: &GrayImage, region: &Region, largest: f32, look: Look, evidence: &mut Evidence) -> bool {
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
    let min_score = if look == Look::Clear { CLEAR_FACE } else { 0.0 };
    let mut found = faces::detect(&scaled, faces::MIN_WINDOW);
    if look == Look::Thorough && !found.iter().any(|f| f.width <= largest) {
        found.extend(landmarks::faces_in(&scaled));
    }
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
    let on_card = found.iter().any(|f| f.width <= largest && f.score >= min_score);
    if on_card {
        evidence.findings.push("portrait on the document".into());
    }
    on_card
}

/// Long side of the plane a back's frame is searched for faces on: an ID
/// portrait on a card filling a fifth of the frame is ~30 px wide there,
/// above the detector's 20 px window.
const BACK_FACE_SIDE: u32 = 480;

/// Whether a face of any size is in the frame (recorded in the evidence).
fn face_in_frame(plane: &GrayImage, evidence: &mut Evidence) -> bool {
    let found = faces::detect(&decode::reduced(plane, BACK_FACE_SIDE), faces::MIN_WINDOW);
    let any = !found.is_empty();
    evidence.faces.extend(found);
    any
}

/// Accuracy of a front known by its portrait and fields alone: a match,
/// below any card whose outline holds its portrait (0.7 and up), as the
/// card's shape and size are unknown.
const PORTRAIT_BESIDE_PRINT: f32 = 0.6;

/// Widest a printed portrait's face may be, as a share of the frame's
/// short side: on an ID-1 card filling a 4:3 frame it is about 0.2; a
/// selfie's face is wider (and has no print beside it).
const PORTRAIT_MAX: f32 = 0.3;

/// Least detector score of a portrait known by the fields beside it: under
/// [`CLEAR_FACE`], as the block of print is evidence of its own (held out:
/// four more fronts, no false one on either set; at rustface's own 2.0 the
/// calibration set gained a false front and the held-out set nothing).
const FIELDS_FACE: f32 = 2.5;

/// Long side of the plane a printed portrait is searched for without its
/// card: a card covering a sixth of the frame has a face of ~25 px there,
/// where at [`BACK_FACE_SIDE`] it falls under the detector's window (on the
/// held-out set, 41 portraits against 36).
const PORTRAIT_SIDE: u32 = 720;

/// A printed portrait found without its card's outline: a face of a
/// portrait's size with lines of print (the card's fields) beside it, on
/// either side. A card's border can merge with a busy background or run
/// past the frame's edge, where no outline search finds it, or a larger
/// card-shaped thing nearby is found instead; the portrait and the fields
/// beside it are still there.
fn portrait_beside_print(plane: &GrayImage, evidence: &mut Evidence) -> bool {
    let found = faces::detect(&decode::reduced(plane, PORTRAIT_SIDE), faces::MIN_WINDOW);
    let (w, h) = (plane.width() as f32, plane.height() as f32);
    let beside = found
        .iter()
        .filter(|f| f.width * w <= PORTRAIT_MAX * w.min(h) && f.score >= FIELDS_FACE)
        .any(|f| {
            [true, false]
                .iter()
                .any(|&right| text::is_field_block(&text::measure(plane, Some(&fields(f, right, w / h)))))
        });
    evidence.faces.extend(found);
    if beside {
        evidence.findings.push("portrait with print beside it".into());
    }
    beside
}

/// Where a card's fields lie beside its portrait, as a fraction box: a
/// half face-width off the face, two and a half wide, from a face-width
/// above its top to three and a half below (ID-1 and ID-3 layouts put
/// the fields beside the portrait, level with it), clipped to the frame.
fn fields(face: &Face, right: bool, aspect: f32) -> Region {
    let unit = face.width;
    let x = if right {
        face.x + 1.5 * unit
    } else {
        face.x - 3.5 * unit
    };
    let top = face.y - unit * aspect;
    let (x0, y0) = (x.max(0.0), top.max(0.0));
    Region {
        format: "id-1",
        aspect: 1.586,
        coverage: 0.0,
        x: x0,
        y: y0,
        width: ((x + 2.5 * unit).min(1.0) - x0).max(0.0),
        height: ((top + 3.5 * unit * aspect).min(1.0) - y0).max(0.0),
    }
}

/// A code of the wanted symbology that decodes.
pub(super) fn barcode(plane: &GrayImage, symbology: Symbology, evidence: &mut Evidence) -> f32 {
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
            evidence.issues.push(Issue::CodeUnreadable);
            0.15
        }
    }
}

/// A page covered in print.
pub(super) fn address(plane: &GrayImage, evidence: &mut Evidence) -> f32 {
    let region = document::find(plane).map(|r| Region { format: "a4", ..r });
    let print = text::measure(plane, region.as_ref());
    evidence.document = region;
    evidence.print = Some(print);
    if !text::is_text_page(&print) {
        evidence.findings.push("no page of print".into());
        evidence.issues.push(Issue::NoPrint);
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
    use image::{GrayImage, Luma};
    use imageproc::drawing::draw_filled_rect_mut;
    use imageproc::rect::Rect;

    use super::*;

    /// The card fixture (`fixtures/document-front.jpg`, 685×432: portrait
    /// at x 28–208, fields from x 237) at 800 px, on a grey 1800×1000 frame.
    fn card_in_frame(blank_fields: bool) -> GrayImage {
        let path = format!("{}/../../fixtures/document-front.jpg", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let card = image::load_from_memory(&bytes).expect("fixture decodes").to_luma8();
        let mut card = imageops::resize(&card, 800, 504, imageops::FilterType::Triangle);
        if blank_fields {
            let ground = *card.get_pixel(700, 470);
            draw_filled_rect_mut(&mut card, Rect::at(260, 85).of_size(540, 419), ground);
        }
        let mut frame = GrayImage::from_pixel(1800, 1000, Luma([128]));
        imageops::overlay(&mut frame, &card, 960, 250);
        frame
    }

    #[test]
    fn a_portrait_with_fields_beside_it_is_a_cards_front_whatever_its_outline() {
        let mut evidence = Evidence::default();
        assert!(
            portrait_beside_print(&card_in_frame(false), &mut evidence),
            "{evidence:?}"
        );
        assert_eq!(evidence.findings, ["portrait with print beside it"]);
    }

    #[test]
    fn the_same_face_with_nothing_printed_beside_it_is_not() {
        let mut evidence = Evidence::default();
        assert!(
            !portrait_beside_print(&card_in_frame(true), &mut evidence),
            "{evidence:?}"
        );
        assert!(!evidence.faces.is_empty(), "the face is still found: {evidence:?}");
    }

    #[test]
    fn centerface_finds_the_portrait_rustface_misses_only_when_looking_thoroughly() {
        // `fixtures/face-bright.jpg` (the portrait at 2.5× its light, which
        // rustface's frontal cascade misses) on the left of a card.
        let path = format!("{}/../../fixtures/face-bright.jpg", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let face = image::load_from_memory(&bytes).expect("fixture decodes").to_luma8();
        let mut card = GrayImage::from_pixel(762, 480, Luma([225]));
        imageops::overlay(&mut card, &face, 0, 0);
        let whole = Region {
            format: "id-1",
            aspect: 1.586,
            coverage: 1.0,
            x: 0.0,
            y: 0.0,
            width: 1.0,
            height: 1.0,
        };
        let mut evidence = Evidence::default();
        assert!(
            !portrait(&card, &whole, 0.6, Look::Clear, &mut evidence),
            "{evidence:?}"
        );
        assert!(
            portrait(&card, &whole, 0.6, Look::Thorough, &mut evidence),
            "{evidence:?}"
        );
    }
}
