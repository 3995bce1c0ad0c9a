//! Finding a card or a page in a photo: the classic document-scanner chain
//! (Canny edges, closed contours, polygon simplification) from imageproc,
//! judged by the shape standards give identity documents: ID-1 cards are
//! 85.60 × 53.98 mm (1.586), ID-3 passport pages 125 × 88 mm (1.42), A4
//! 297 × 210 mm (1.414).

use image::GrayImage;
use imageproc::contours::find_contours;
use imageproc::distance_transform::Norm;
use imageproc::edges::canny;
use imageproc::geometry::{approximate_polygon_dp, arc_length, contour_area, min_area_rect};
use imageproc::morphology::dilate;
use imageproc::point::Point;
use imageproc::stats::percentile;

use crate::evidence::Region;

/// Glare over the card: saturated, textureless blobs.
pub(crate) mod glare;
/// Rectangles from straight edges (Hough lines).
mod lines;
/// The machine-readable zone: finding it, reading it, checking it.
pub(crate) mod mrz;
/// Document quality: glare, framing and the MRZ, as resubmission reasons.
pub(crate) mod quality;

/// Canny hysteresis thresholds on Sobel magnitude: low enough for a pale
/// card on a pale desk, high enough that fabric and wood grain stay broken.
const CANNY_LOW: f32 = 25.0;
const CANNY_HIGH: f32 = 75.0;
/// Tonal range (5th to 95th percentile, grey levels) the thresholds were
/// set for, and the least share of them a dim frame's edges are read at.
const REFERENCE_SPREAD: f32 = 150.0;
const LEAST_SCALE: f32 = 0.35;

/// The Canny thresholds' share for a frame whose tonal range is narrower
/// than a well-lit frame's, `None` for a frame of full range: an
/// under-exposed capture has every gradient, its card's border's too,
/// compressed by its tone curve, and at the fixed thresholds its outline
/// vanished (held out: most of the strongest under-exposure's cards).
fn dim_scale(plane: &GrayImage) -> Option<f32> {
    let spread = f32::from(percentile(plane, 95)) - f32::from(percentile(plane, 5));
    let scale = (spread / REFERENCE_SPREAD).max(LEAST_SCALE);
    (scale < 1.0).then_some(scale)
}
/// Smallest share of the frame a document may cover and still be read.
const MIN_COVERAGE: f32 = 0.04;
/// A contour must fill this share of its minimum-area rectangle to count as
/// one: rounded card corners lose ~1 %, a blob or a tree much more.
const MIN_RECTANGULARITY: f64 = 0.88;
/// Accepted long/short side ratios: ID-3 and A4 (1.414–1.42) down to a
/// little perspective, ID-1 (1.586) up to a little perspective. The floor
/// stays clear of 4:3 (1.333), the shape of a camera frame's own border.
const ASPECT_RANGE: (f32, f32) = (1.36, 1.72);
/// Where ID-3/A4 end and ID-1 begins.
const ID1_FROM: f32 = 1.50;
/// A frame that is itself document-shaped (a capture cropped to the card)
/// must match a format this closely: 3:2 (1.50) and 4:3 (1.33) camera frames
/// must not pass for cards.
const CROPPED_TOLERANCE: f32 = 0.03;

/// Long side of the plane outlines are searched on: a document's border is
/// its largest structure, and edge detection costs 4× less at half size.
const FIND_SIDE: u32 = 320;

/// A document as found: its region and the quadrilateral it was found as.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Outline {
    pub region: Region,
    /// Corners as fractions of the frame, in order around the
    /// quadrilateral. One outside the frame lies outside `0..=1`: a card
    /// tilted past the frame's edge is still found from its four sides.
    pub corners: [(f32, f32); 4],
    /// Whether one side lies outside the frame and the frame's border
    /// closed the outline instead: the card is cut off, and `region`
    /// covers only what is visible.
    pub side_outside: bool,
    /// Whether it was found as a closed outline, whose corners are the
    /// card's own; one from straight sides is good to a few pixels, and in
    /// clutter may end at the frame's edge without the card doing so.
    pub closed: bool,
}

/// The largest card- or page-shaped quadrilateral in `plane`, if any: from
/// closed outlines first (clean backgrounds), then from straight edges
/// (a card on a busy desk, whose outline merges with the clutter around it).
pub(crate) fn find(plane: &GrayImage) -> Option<Region> {
    find_at(plane, FIND_SIDE)
}

/// [`find`] on a plane shrunk to `side`: enough for a document large in the
/// frame (one whose portrait could pass for a selfie), at about a third of
/// the cost of edges and lines at [`FIND_SIDE`].
pub(crate) fn find_at(plane: &GrayImage, side: u32) -> Option<Region> {
    outline_at(plane, side).filter(|o| !o.side_outside).map(|o| o.region)
}

/// [`find`] with the quadrilateral, including a card cut off by the frame
/// (three sides found, the fourth beyond the border), which [`find`] does
/// not count as a document.
pub(crate) fn outline(plane: &GrayImage) -> Option<Outline> {
    outline_at(plane, FIND_SIDE)
}

fn outline_at(plane: &GrayImage, side: u32) -> Option<Outline> {
    let plane = &crate::decode::reduced(plane, side);
    let (w, h) = plane.dimensions();
    if w < 32 || h < 32 {
        return None;
    }
    let find = |low: f32, high: f32| {
        let edges = canny(plane, low, high);
        closed(&edges).or_else(|| lines::rectangle(&edges))
    };
    // The fixed thresholds first, and the scaled ones only where they find
    // nothing: lower thresholds also raise the background's texture, which
    // can join a card's border that the fixed ones found closed.
    let found =
        find(CANNY_LOW, CANNY_HIGH).or_else(|| dim_scale(plane).and_then(|k| find(CANNY_LOW * k, CANNY_HIGH * k)))?;
    Some(in_fractions(found, (w, h)))
}

/// Card- and page-shaped quadrilaterals besides the one [`outline`]
/// finds, best first, at most `most`: for when that one is not the card,
/// as a window, a saucer or a slab beside the card can be larger. Closed
/// outlines by size, then those from straight sides, none overlapping a
/// better one by more than [`SAME_SHAPE`].
pub(crate) fn alternatives(plane: &GrayImage, most: usize) -> Vec<Outline> {
    let plane = &crate::decode::reduced(plane, FIND_SIDE);
    let (w, h) = plane.dimensions();
    if w < 32 || h < 32 {
        return Vec::new();
    }
    let edges = canny(plane, CANNY_LOW, CANNY_HIGH);
    let mut all = closed_all(&edges);
    all.extend(lines::rectangles(&edges));
    let mut kept: Vec<Outline> = Vec::new();
    for o in all {
        if kept.iter().all(|k| overlap(&k.region, &o.region) <= SAME_SHAPE) {
            kept.push(o);
        }
    }
    // The first is the one `outline` found.
    kept.into_iter()
        .skip(1)
        .take(most)
        .map(|o| in_fractions(o, (w, h)))
        .collect()
}

/// Overlap above which two candidate outlines are one shape found twice
/// (a border's inner and outer contour, neighbouring Hough lines).
const SAME_SHAPE: f32 = 0.6;

/// Intersection over union of two regions' boxes.
fn overlap(a: &Region, b: &Region) -> f32 {
    let iw = (a.x + a.width).min(b.x + b.width) - a.x.max(b.x);
    let ih = (a.y + a.height).min(b.y + b.height) - a.y.max(b.y);
    if iw <= 0.0 || ih <= 0.0 {
        return 0.0;
    }
    let inter = iw * ih;
    inter / (a.width * a.height + b.width * b.height - inter)
}

/// An outline found in plane pixels, in fractions of the plane.
fn in_fractions(found: Outline, (w, h): (u32, u32)) -> Outline {
    let (fw, fh) = (w as f32, h as f32);
    Outline {
        region: Region {
            x: found.region.x / fw,
            y: found.region.y / fh,
            width: found.region.width / fw,
            height: found.region.height / fh,
            ..found.region
        },
        corners: found.corners.map(|(x, y)| (x / fw, y / fh)),
        ..found
    }
}

/// The largest closed document-shaped contour in an edge map, in plane
/// pixels.
fn closed(edges: &GrayImage) -> Option<Outline> {
    closed_all(edges).into_iter().next()
}

/// Every closed document-shaped contour in an edge map, largest first, in
/// plane pixels.
fn closed_all(edges: &GrayImage) -> Vec<Outline> {
    let frame = edges.dimensions();
    // One pixel of dilation closes the gaps Canny leaves at rounded corners.
    let closed = dilate(edges, Norm::LInf, 1);
    let mut found: Vec<Outline> = find_contours::<i32>(&closed)
        .iter()
        .filter(|c| c.points.len() >= 16)
        .filter_map(|c| quadrilateral(&c.points, frame))
        .collect();
    // Of equal ones `max_by` kept the last found: reversed, the stable
    // sort keeps that one first.
    found.reverse();
    found.sort_by(|a, b| b.region.coverage.total_cmp(&a.region.coverage));
    found
}

/// The region a document of `aspect` covering `coverage` of the frame
/// occupies, with its bounding box in plane pixels; `None` when it has no
/// document's shape or size.
pub(crate) fn region(aspect: f32, coverage: f32, bbox: [f32; 4], frame: (u32, u32)) -> Option<Region> {
    if !(ASPECT_RANGE.0..=ASPECT_RANGE.1).contains(&aspect) {
        return None;
    }
    let format = if aspect >= ID1_FROM { "id-1" } else { "id-3" };
    placed(format, aspect, coverage, bbox, frame)
}

/// The visible part of a card cut off by the frame, showing `extent` of
/// its length against its whole width: its format cannot be told, so it is
/// taken for the commoner ID-1, and its aspect is the visible part's.
pub(crate) fn region_cut(extent: f32, coverage: f32, bbox: [f32; 4], frame: (u32, u32)) -> Option<Region> {
    let aspect = extent.max(1.0 / extent.max(f32::EPSILON));
    placed("id-1", aspect, coverage, bbox, frame)
}

/// A region of a plausible size, its box clipped to the frame.
fn placed(format: &'static str, aspect: f32, coverage: f32, bbox: [f32; 4], frame: (u32, u32)) -> Option<Region> {
    let [x0, y0, x1, y1] = bbox;
    // A "region" that is the frame itself is the image border, not a card.
    let spans_frame = x0 <= 2.0 && y0 <= 2.0 && x1 >= frame.0 as f32 - 3.0 && y1 >= frame.1 as f32 - 3.0;
    if spans_frame || !(MIN_COVERAGE..=0.97).contains(&coverage) {
        return None;
    }
    Some(Region {
        format,
        aspect,
        coverage,
        x: x0.max(0.0),
        y: y0.max(0.0),
        width: x1.min(frame.0 as f32) - x0.max(0.0),
        height: y1.min(frame.1 as f32) - y0.max(0.0),
    })
}

/// The whole frame as a region, when a capture was cropped to the document
/// so tightly that no border is left to find.
pub(crate) fn cropped(width: u32, height: u32) -> Option<Region> {
    let aspect = width.max(height) as f32 / width.min(height).max(1) as f32;
    let near = |target: f32| ((aspect - target) / target).abs() <= CROPPED_TOLERANCE;
    let format = if near(1.586) {
        "id-1"
    } else if near(1.42) || near(1.414) {
        "id-3"
    } else {
        return None;
    };
    Some(Region {
        format,
        aspect,
        coverage: 1.0,
        x: 0.0,
        y: 0.0,
        width: 1.0,
        height: 1.0,
    })
}

/// [`cropped`] as an outline: its corners are the frame's.
pub(crate) fn cropped_outline(width: u32, height: u32) -> Option<Outline> {
    cropped(width, height).map(|region| Outline {
        region,
        corners: [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)],
        side_outside: false,
        closed: true,
    })
}

/// An outline in plane pixels if `points` trace a document-shaped rectangle.
fn quadrilateral(points: &[Point<i32>], frame: (u32, u32)) -> Option<Outline> {
    let area = contour_area(points).abs();
    let coverage = (area / (f64::from(frame.0) * f64::from(frame.1))) as f32;
    if coverage < MIN_COVERAGE {
        return None;
    }
    let corners = min_area_rect(points);
    let side = |a: Point<i32>, b: Point<i32>| f64::from(a.x - b.x).hypot(f64::from(a.y - b.y));
    let (s0, s1) = (side(corners[0], corners[1]), side(corners[1], corners[2]));
    if s0 * s1 <= 0.0 || area / (s0 * s1) < MIN_RECTANGULARITY {
        return None;
    }
    // A rectangle's outline simplifies to four corners (rounded corners add
    // a few short ones); anything with many long sides is not a document.
    let perimeter = arc_length(points, true);
    let simplified = approximate_polygon_dp(points, 0.02 * perimeter, true);
    if !(4..=8).contains(&simplified.len()) {
        return None;
    }
    let aspect = (s0.max(s1) / s0.min(s1)) as f32;
    let (xs, ys) = (corners.map(|p| p.x as f32), corners.map(|p| p.y as f32));
    let bbox = [
        xs.iter().copied().fold(f32::MAX, f32::min),
        ys.iter().copied().fold(f32::MAX, f32::min),
        xs.iter().copied().fold(f32::MIN, f32::max),
        ys.iter().copied().fold(f32::MIN, f32::max),
    ];
    Some(Outline {
        region: region(aspect, coverage, bbox, frame)?,
        corners: corners.map(|p| (p.x as f32, p.y as f32)),
        side_outside: false,
        closed: true,
    })
}

#[cfg(test)]
mod tests {
    use image::Luma;
    use imageproc::drawing::draw_filled_rect_mut;
    use imageproc::rect::Rect;

    use super::*;

    fn card_on_desk(card_w: u32, card_h: u32) -> GrayImage {
        let mut plane = GrayImage::from_pixel(640, 480, Luma([60]));
        draw_filled_rect_mut(&mut plane, Rect::at(100, 90).of_size(card_w, card_h), Luma([210]));
        plane
    }

    #[test]
    fn a_card_shaped_rectangle_on_a_desk_is_an_id1_document() {
        let region = find(&card_on_desk(400, 252)).expect("a card");
        assert_eq!(region.format, "id-1");
        assert!((region.aspect - 1.587).abs() < 0.05, "{region:?}");
        assert!((region.coverage - 0.33).abs() < 0.03, "{region:?}");
    }

    #[test]
    fn a_square_or_a_strip_is_not_a_document() {
        assert_eq!(find(&card_on_desk(300, 300)), None);
        assert_eq!(find(&card_on_desk(500, 100)), None);
    }

    #[test]
    fn a_frame_cropped_to_a_card_is_one_and_a_camera_frame_is_not() {
        assert_eq!(cropped(685, 432).map(|r| r.format), Some("id-1"));
        assert_eq!(cropped(1500, 1000), None);
        assert_eq!(cropped(1600, 1200), None);
    }
}
