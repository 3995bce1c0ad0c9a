//! Rules about paper: a document side (front with a portrait, back without),
//! a barcode or QR code that decodes, a page of print.

use image::{GrayImage, imageops};

use crate::codes::{self, Symbology};
use crate::decode::Full;
use crate::document::Outline;
use crate::evidence::{Evidence, Face, Issue, Region};
use crate::{decode, document, faces, text};

/// A card or page, with a portrait on the front and none on the back; a
/// machine-readable zone that checks out settles which side it is (a TD1
/// zone is printed on an ID card's back, TD2 and TD3 on the front), as no
/// clutter and no misread passes ICAO's check digits.
pub(super) fn document_side(plane: &GrayImage, full: &Full, front: bool, evidence: &mut Evidence) -> f32 {
    let Some(outline) = find_document(plane, evidence) else {
        return 0.1;
    };
    let region = outline.region;
    // The visible part of a cut-off card is no whole card: a face filling
    // much of it is likelier a person than a printed portrait.
    let largest = if outline.side_outside { 0.4 } else { 0.6 };
    let mut portrait = portrait(plane, &region, largest, evidence);
    let quality = document::quality::assess(plane, full, &outline, &evidence.faces);
    let zone_side = quality.mrz.filter(|z| z.valid).map(|z| z.format != "td1");
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
    // the back the whole frame is searched once the region held none; the
    // front still needs its portrait on the card itself.
    if !front && !portrait && zone_side.is_none() {
        portrait = face_in_frame(plane, evidence);
    }
    let fit = fit(&region);
    let accuracy = match (front, portrait, zone_side) {
        (true, _, Some(true)) | (false, _, Some(false)) => 0.85 + 0.15 * fit,
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
    if outline.side_outside && !portrait && zone_side.is_none() {
        return accuracy.min(0.45);
    }
    accuracy
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

/// Whether a face no wider than `largest` of the region sits inside
/// `region`: the crop is scaled so the document's short side is 240 px,
/// where an ID portrait's face is ~50 px, well above the detector's 20 px
/// window, whatever the document's size in the frame.
fn portrait(plane: &GrayImage, region: &Region, largest: f32, evidence: &mut Evidence) -> bool {
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
    let on_card = found.iter().any(|f| f.width <= largest);
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
