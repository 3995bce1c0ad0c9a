//! Document quality: the checks a document-capture SDK makes before it
//! accepts a photo (glare, the card cut off by the frame, the card too far
//! away, a machine-readable zone that does not read), each failure mapped
//! to the provider's resubmission reason it would cause, so a reviewer, and
//! a later automatic decision, can act on it.

use image::GrayImage;

use super::{Outline, glare, mrz};
use crate::decode::Full;
use crate::evidence::{DocumentFinding, DocumentQuality, Face, Issue, Mrz};

/// The provider's resubmission reasons (`kycmedia_proto::decision::REASONS`).
pub(crate) const FACE_NOT_CLEARLY_VISIBLE: u16 = 202;
pub(crate) const FULL_DOCUMENT_NOT_VISIBLE: u16 = 203;
pub(crate) const POOR_IMAGE_QUALITY: u16 = 204;

/// Share of the card under glare from which its data counts as covered: a
/// blob that size wipes out a field or two of an ID card.
const GLARE_OVER_DATA: f32 = 0.02;
/// A card covering less of the frame than this is too far away: an ID-1
/// card then spans under ~35 % of the frame's width, and its small print
/// under ~2 px a stroke at the usual 1280-px-wide capture.
const TOO_FAR: f32 = 0.08;
/// A corner within this share of the frame's short side from its edge is
/// on it: the finder's corners are good to about a pixel of its 320 px
/// plane, and a rounded corner beyond that pixel may be cut.
const EDGE_MARGIN: f32 = 0.01;
/// A document covering this much of the frame was cropped to (see
/// [`corners_outside`]).
const CROPPED: f32 = 0.85;

/// Glare, framing and zone of the document `outline` found on `plane`;
/// `faces` are the portraits found on it (frame fractions), for telling
/// glare over the face from glare over the data.
pub(crate) fn assess(plane: &GrayImage, full: &Full, outline: &Outline, faces: &[Face]) -> DocumentQuality {
    let glare = glare::measure(plane, &outline.corners);
    let corners_outside = corners_outside(outline, plane.dimensions());
    let fill = outline.region.coverage.min(1.0);
    // A zone cannot be read whole off a card with a side beyond the frame;
    // one with only a corner on or past the edge may still show it all.
    let mrz = (!outline.side_outside)
        .then(|| mrz::read(plane, full, &outline.corners, outline.region.aspect))
        .flatten();
    let mut findings = Vec::new();
    let mut finding = |what, reason| findings.push(DocumentFinding { what, reason });
    let overlaps = |a: &[f32; 4], b: &[f32; 4]| a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
    let face_boxes: Vec<[f32; 4]> = faces
        .iter()
        .map(|f| [f.x, f.y, f.x + f.width, f.y + f.height])
        .collect();
    let glare_over = |boxes: &[[f32; 4]]| glare.blobs.iter().any(|b| boxes.iter().any(|o| overlaps(b, o)));
    if glare_over(&face_boxes) {
        finding("glare-over-portrait", FACE_NOT_CLEARLY_VISIBLE);
    }
    let over_zone = mrz.is_some_and(|z| glare_over(&[z.bounds]));
    if glare.share >= GLARE_OVER_DATA || over_zone {
        finding("glare-over-data", POOR_IMAGE_QUALITY);
    }
    if corners_outside > 0 {
        finding("cut-off", FULL_DOCUMENT_NOT_VISIBLE);
    }
    // A cut-off card's fill is only what shows of it: no measure of distance.
    if fill < TOO_FAR && !outline.side_outside {
        finding("too-far", FULL_DOCUMENT_NOT_VISIBLE);
    }
    match mrz {
        Some(z) if !z.valid && z.legible => finding("mrz-invalid", POOR_IMAGE_QUALITY),
        Some(z) if !z.valid => finding("mrz-unreadable", POOR_IMAGE_QUALITY),
        _ => {}
    }
    DocumentQuality {
        glare: glare.share,
        corners_outside,
        fill,
        mrz: mrz.map(|z| Mrz {
            format: z.format,
            valid: z.valid,
            legible: z.legible,
        }),
        findings,
    }
}

/// Corners outside the frame or on its edge; none for a frame cropped to
/// the document (whose corners are the frame's by construction). A side
/// beyond the frame counts both its corners, which lie on the border. A
/// corner merely on the edge counts only on a closed outline, and not on a
/// document filling nearly the whole frame: that is a capture cropped to
/// it, not one cut off.
fn corners_outside(outline: &Outline, (w, h): (u32, u32)) -> u8 {
    if outline.region.coverage >= 1.0 {
        return 0;
    }
    let short = w.min(h) as f32 * EDGE_MARGIN;
    let (mx, my) = (short / w as f32, short / h as f32);
    let past = |&(x, y): &(f32, f32)| x < -mx || y < -my || x > 1.0 + mx || y > 1.0 + my;
    let on = |&(x, y): &(f32, f32)| x <= mx || y <= my || x >= 1.0 - mx || y >= 1.0 - my;
    let edge_counts = outline.side_outside || (outline.closed && outline.region.coverage < CROPPED);
    let counts = |c: &&(f32, f32)| past(c) || (edge_counts && on(c));
    outline.corners.iter().filter(counts).count() as u8
}

/// What the capture page should tell the person about `quality`: glare,
/// the card cut off or too far, or a zone too poor to read. A zone read
/// clearly that fails its checks is the reviewer's to judge, not the
/// person's: retaking the photo would not change it.
pub(crate) fn issues(quality: &DocumentQuality) -> Vec<Issue> {
    let has = |what: &str| quality.findings.iter().any(|f| f.what == what);
    let mut issues = Vec::new();
    if has("glare-over-portrait") || has("glare-over-data") {
        issues.push(Issue::Glare);
    }
    if has("cut-off") {
        issues.push(Issue::DocumentCutOff);
    }
    if has("too-far") {
        issues.push(Issue::DocumentTooFar);
    }
    if has("mrz-unreadable") {
        issues.push(Issue::MrzUnreadable);
    }
    issues
}

/// How much the document's failures lower the photo's quality: glare by
/// twice its share (a quarter of the card lost halves it), a cut-off card
/// by a quarter, a card too far or a zone too poor to read by a tenth.
/// A zone that reads but fails its checks is no fault of the photo.
pub(crate) fn factor(quality: &DocumentQuality) -> f32 {
    let has = |what: &str| quality.findings.iter().any(|f| f.what == what);
    let mut factor = (1.0 - 2.0 * quality.glare).clamp(0.5, 1.0);
    if quality.corners_outside > 0 {
        factor *= 0.75;
    }
    if has("too-far") {
        factor *= 0.9;
    }
    if has("mrz-unreadable") {
        factor *= 0.9;
    }
    factor
}

#[cfg(test)]
mod tests {
    use kycmedia_proto::decision::REASONS;

    use super::*;
    use crate::evidence::Region;

    fn outline(corners: [(f32, f32); 4], coverage: f32) -> Outline {
        Outline {
            region: Region {
                format: "id-1",
                aspect: 1.586,
                coverage,
                x: 0.0,
                y: 0.0,
                width: 1.0,
                height: 1.0,
            },
            corners,
            side_outside: false,
            closed: true,
        }
    }

    #[test]
    fn glare_over_the_portrait_is_202_and_over_the_data_204() {
        use image::{GrayImage, Luma};
        use imageproc::drawing::{draw_filled_circle_mut, draw_filled_rect_mut};
        use imageproc::rect::Rect;
        let mut plane = GrayImage::from_pixel(640, 480, Luma([60]));
        draw_filled_rect_mut(&mut plane, Rect::at(80, 60).of_size(480, 300), Luma([200]));
        draw_filled_circle_mut(&mut plane, (180, 200), 45, Luma([255]));
        let full = Full::new(
            640,
            480,
            plane.as_raw().clone(),
            image::metadata::Orientation::NoTransforms,
        );
        let card = outline([(0.125, 0.125), (0.875, 0.125), (0.875, 0.875), (0.125, 0.875)], 0.47);
        let face = |x: f32| Face {
            x,
            y: 0.35,
            width: 0.1,
            height: 0.15,
            score: 10.0,
        };
        let over = assess(&plane, &full, &card, &[face(0.24)]);
        assert_eq!(
            over.findings.iter().map(|f| (f.what, f.reason)).collect::<Vec<_>>(),
            [("glare-over-portrait", 202), ("glare-over-data", 204)],
            "{over:?}"
        );
        let beside = assess(&plane, &full, &card, &[face(0.7)]);
        assert_eq!(
            beside.findings.iter().map(|f| (f.what, f.reason)).collect::<Vec<_>>(),
            [("glare-over-data", 204)]
        );
        assert!((beside.glare - 0.044).abs() < 0.01, "{beside:?}");
    }

    #[test]
    fn the_reasons_are_the_providers_resubmission_reasons() {
        let text = |code: u16| REASONS.iter().find(|(c, _)| *c == i64::from(code)).map(|(_, t)| *t);
        assert_eq!(text(FACE_NOT_CLEARLY_VISIBLE), Some("Face not clearly visible"));
        assert_eq!(text(FULL_DOCUMENT_NOT_VISIBLE), Some("Full document not visible"));
        assert_eq!(text(POOR_IMAGE_QUALITY), Some("Poor image quality"));
    }

    #[test]
    fn corners_on_or_past_the_edge_count_and_a_cropped_frame_has_none() {
        let inside = [(0.1, 0.1), (0.9, 0.1), (0.9, 0.8), (0.1, 0.8)];
        assert_eq!(corners_outside(&outline(inside, 0.5), (640, 480)), 0);
        let past = [(0.1, 0.1), (1.04, 0.1), (0.9, 0.8), (0.1, 0.8)];
        assert_eq!(corners_outside(&outline(past, 0.5), (640, 480)), 1);
        let on = [(0.1, 0.002), (0.9, 0.1), (0.9, 0.8), (0.1, 0.8)];
        assert_eq!(corners_outside(&outline(on, 0.5), (640, 480)), 1);
        let cropped = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
        assert_eq!(corners_outside(&outline(cropped, 1.0), (640, 480)), 0);
        let tight = [(0.004, 0.005), (0.996, 0.004), (0.995, 0.994), (0.005, 0.996)];
        assert_eq!(corners_outside(&outline(tight, 0.95), (640, 480)), 0);
        let tight_but_cut = [(0.004, 0.005), (1.06, 0.004), (0.995, 0.994), (0.005, 0.996)];
        assert_eq!(corners_outside(&outline(tight_but_cut, 0.95), (640, 480)), 1);
        // From straight sides, a corner on the edge may be clutter's, not the card's.
        let from_lines = Outline {
            closed: false,
            ..outline(on, 0.5)
        };
        assert_eq!(corners_outside(&from_lines, (640, 480)), 0);
    }

    #[test]
    fn each_failure_lowers_quality_and_tells_the_person_but_a_misread_zone_does_not() {
        let finding = |what| DocumentFinding { what, reason: 204 };
        let clean = DocumentQuality::default();
        assert_eq!(factor(&clean), 1.0);
        assert!(issues(&clean).is_empty());
        let glared = DocumentQuality {
            glare: 0.1,
            findings: vec![finding("glare-over-data")],
            ..DocumentQuality::default()
        };
        assert!((factor(&glared) - 0.8).abs() < 1e-6);
        assert_eq!(issues(&glared), [Issue::Glare]);
        let invalid = DocumentQuality {
            findings: vec![finding("mrz-invalid")],
            ..DocumentQuality::default()
        };
        assert_eq!(factor(&invalid), 1.0);
        assert!(issues(&invalid).is_empty());
        let unreadable = DocumentQuality {
            findings: vec![finding("mrz-unreadable")],
            ..DocumentQuality::default()
        };
        assert!(factor(&unreadable) < 1.0);
        assert_eq!(issues(&unreadable), [Issue::MrzUnreadable]);
    }
}
