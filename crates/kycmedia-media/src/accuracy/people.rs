//! Rules about people: one dominant, live face for the selfie contexts, and a
//! large face beside a document for `document-and-face`. A face printed on a
//! card is not a person, so both rules check for that.

use image::GrayImage;

use crate::decode::Full;
use crate::evidence::{Evidence, Face, Issue, Region};
use crate::{decode, document, faces, recapture};

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
///
/// Where rustface finds none, CenterFace looks at the whole frame: a face
/// turned, half hidden or badly exposed is still a person in front of the
/// camera, whose capture is poor (face quality says how), not absent.
pub(super) fn face(plane: &GrayImage, full: &Full, evidence: &mut Evidence) -> f32 {
    let mut found = scene_faces(plane);
    if found.is_empty() {
        found = crate::landmarks::faces_in(plane);
    }
    evidence.faces = found.clone();
    let Some(largest) = found.first() else {
        evidence.findings.push("no face found".into());
        evidence.issues.push(Issue::NoFace);
        return 0.05;
    };
    let share = face_share(largest, plane);
    if share < SELFIE_FACE {
        evidence.findings.push(format!(
            "largest face spans {:.0} % of the frame, too small",
            share * 100.0
        ));
        evidence.issues.push(Issue::FaceTooSmall);
        return 0.25;
    }
    let area = |f: &Face| f.width * f.height;
    if found.iter().skip(1).any(|f| area(f) >= SECOND_PERSON * area(largest)) {
        evidence.findings.push("more than one person".into());
        evidence.issues.push(Issue::MoreThanOnePerson);
        return 0.3;
    }
    if share < PORTRAIT_FACE && on_document(plane, largest, evidence) {
        evidence
            .findings
            .push("the face is a document's portrait, not a live capture".into());
        evidence.issues.push(Issue::PortraitNotLive);
        return 0.3;
    }
    evidence.recapture_peak = recapture::peak(full, largest);
    if evidence.recapture_peak.is_some_and(|p| p >= recapture::RECAPTURED) {
        evidence
            .findings
            .push("a periodic pattern over the face (a screen's pixels or a print's dots): not a live capture".into());
        evidence.issues.push(Issue::Recaptured);
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
/// small against the document, and off its middle. An ID-1 photo is about a
/// third of the card's width, the face in it less, and it sits towards one
/// side (left on most IDs and passports, right on some), leaving room for
/// the text. A face filling half of a "document", or centred in it, is a
/// person framed by straight lines behind them.
fn portrait_of(region: &Region, face: &Face) -> bool {
    let (cx, cy) = (face.x + face.width / 2.0, face.y + face.height / 2.0);
    let inside =
        (region.x..=region.x + region.width).contains(&cx) && (region.y..=region.y + region.height).contains(&cy);
    let across = (cx - region.x) / region.width.max(f32::EPSILON);
    inside && face.width <= 0.4 * region.width && (across - 0.5).abs() >= 0.15
}

/// rustface scores (about 2 at the threshold, 10–30 for clear faces) to [0, 1).
fn confidence(score: f32) -> f32 {
    1.0 - (-(score - 2.0).max(0.0) / 8.0).exp()
}

/// A large face and a document in the same frame.
pub(super) fn document_and_face(plane: &GrayImage, evidence: &mut Evidence) -> f32 {
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
            evidence.issues.push(Issue::NoDocument);
            0.3
        }
        (None, Some(_)) => {
            evidence.findings.push("a document but no large face".into());
            evidence.issues.push(Issue::NoFace);
            0.25
        }
        (None, None) => {
            evidence.findings.push("neither a face nor a document".into());
            evidence.issues.extend([Issue::NoFace, Issue::NoDocument]);
            0.05
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detector_confidence_grows_with_the_score_and_stays_below_one() {
        assert_eq!(confidence(1.0), 0.0);
        assert!(confidence(10.0) > 0.6 && confidence(40.0) < 1.0);
    }
}
