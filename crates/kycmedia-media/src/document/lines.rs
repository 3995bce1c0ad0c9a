//! A document from its four straight sides. On a busy background the card's
//! outline joins the clutter's edges into one contour that is no rectangle,
//! but each side is still a long straight edge: Hough lines find them, and
//! a candidate rectangle counts only if edges really run along all four
//! sides (its *support*), which clutter lines crossing the frame lack.

use image::GrayImage;
use imageproc::hough::{LineDetectionOptions, PolarLine, detect_lines};

use crate::evidence::Region;

/// Lines kept for pairing; more means a textured scene, not more documents.
const MAX_LINES: usize = 96;
/// Sides this close in angle (degrees) are parallel; opposite sides of a
/// card photographed slightly off-axis differ by a few degrees.
const PARALLEL: i32 = 4;
/// Adjacent sides this close to a right angle (degrees) may meet at a
/// corner: one pair's own spread of up to [`PARALLEL`] plus a little
/// perspective.
const SQUARE: i32 = 7;
/// Largest tilt (degrees) of a document found from its sides.
const TILT: u32 = 20;
/// Opposite sides may differ in length by this share (perspective).
const UNEVEN: f32 = 0.2;
/// A side counts as present when this share of it lies on edge pixels.
const MIN_SUPPORT: f32 = 0.6;

/// The largest well-supported document-shaped rectangle in `edges`.
pub(super) fn rectangle(edges: &GrayImage) -> Option<Region> {
    let (w, h) = edges.dimensions();
    let lines = strongest_lines(edges);
    let frame_area = w as f32 * h as f32;
    let mut best: Option<(f32, Region)> = None;
    let pairs = parallel_pairs(&lines, w.min(h) as f32 * 0.12);
    for (i, a) in pairs.iter().enumerate() {
        for b in &pairs[i + 1..] {
            let turn = angle_between(a.0.angle_in_degrees, b.0.angle_in_degrees);
            if (turn - 90).abs() > SQUARE || !upright(a.0.angle_in_degrees) {
                continue;
            }
            let Some(corners) = corners(a, b) else { continue };
            let Some(candidate) = judge(&corners, edges, frame_area) else {
                continue;
            };
            if best.as_ref().is_none_or(|(area, _)| candidate.0 > *area) {
                best = Some(candidate);
            }
        }
    }
    best.map(|(_, region)| region)
}

/// Hough lines, with the vote threshold raised until at most [`MAX_LINES`]
/// remain (the transform does not report votes, so the threshold is the
/// only handle on strength).
fn strongest_lines(edges: &GrayImage) -> Vec<PolarLine> {
    let mut threshold = (edges.width().min(edges.height()) / 10).max(16);
    for _ in 0..4 {
        let options = LineDetectionOptions {
            vote_threshold: threshold,
            suppression_radius: 6,
        };
        let lines = detect_lines(edges, options);
        if lines.len() <= MAX_LINES {
            return lines;
        }
        threshold = threshold * 3 / 2;
    }
    Vec::new()
}

/// Whether a line is within [`TILT`] of horizontal or vertical. People
/// hold a card roughly level to the camera; lines at steep angles are far
/// likelier to be furniture, limbs or shadows, and it is their chance
/// alignments that make false rectangles. (Outlines, found first, have no
/// such limit.)
fn upright(angle: u32) -> bool {
    let off_axis = (angle % 90).min(90 - angle % 90);
    off_axis <= TILT
}

/// Unordered angle between two line normals, in 0..=90 degrees.
fn angle_between(a: u32, b: u32) -> i32 {
    let d = (a as i32 - b as i32).rem_euclid(180);
    d.min(180 - d)
}

/// Pairs of near-parallel lines at least `min_gap` apart: candidate
/// opposite sides.
fn parallel_pairs(lines: &[PolarLine], min_gap: f32) -> Vec<(PolarLine, PolarLine)> {
    let mut pairs = Vec::new();
    for (i, a) in lines.iter().enumerate() {
        for b in &lines[i + 1..] {
            if angle_between(a.angle_in_degrees, b.angle_in_degrees) <= PARALLEL && gap(a, b) >= min_gap {
                pairs.push((*a, *b));
            }
        }
    }
    pairs
}

/// Distance between two near-parallel lines.
fn gap(a: &PolarLine, b: &PolarLine) -> f32 {
    // Normals 180° apart describe the same direction with r negated.
    let flipped = (a.angle_in_degrees as i32 - b.angle_in_degrees as i32).abs() > 90;
    if flipped { (a.r + b.r).abs() } else { (a.r - b.r).abs() }
}

/// Where two lines cross; `None` for (near) parallel ones.
fn cross(a: &PolarLine, b: &PolarLine) -> Option<(f32, f32)> {
    let (ta, tb) = (
        (a.angle_in_degrees as f32).to_radians(),
        (b.angle_in_degrees as f32).to_radians(),
    );
    let det = ta.cos() * tb.sin() - ta.sin() * tb.cos();
    if det.abs() < 1e-3 {
        return None;
    }
    Some((
        (a.r * tb.sin() - b.r * ta.sin()) / det,
        (b.r * ta.cos() - a.r * tb.cos()) / det,
    ))
}

/// The four corners, in order around the quadrilateral.
fn corners(a: &(PolarLine, PolarLine), b: &(PolarLine, PolarLine)) -> Option<[(f32, f32); 4]> {
    Some([
        cross(&a.0, &b.0)?,
        cross(&a.0, &b.1)?,
        cross(&a.1, &b.1)?,
        cross(&a.1, &b.0)?,
    ])
}

/// Area and region of a candidate whose four sides are backed by edges.
fn judge(corners: &[(f32, f32); 4], edges: &GrayImage, frame_area: f32) -> Option<(f32, Region)> {
    let (w, h) = (edges.width() as f32, edges.height() as f32);
    if corners
        .iter()
        .any(|&(x, y)| x < -2.0 || y < -2.0 || x > w + 1.0 || y > h + 1.0)
    {
        return None;
    }
    let side = |i: usize| {
        let (p, q) = (corners[i], corners[(i + 1) % 4]);
        (p.0 - q.0).hypot(p.1 - q.1)
    };
    let uneven = |p: f32, q: f32| (p - q).abs() > UNEVEN * p.max(q);
    if uneven(side(0), side(2)) || uneven(side(1), side(3)) {
        return None;
    }
    let (a, b) = ((side(0) + side(2)) / 2.0, (side(1) + side(3)) / 2.0);
    let aspect = a.max(b) / a.min(b).max(1.0);
    let area = a * b;
    let bbox = [
        corners.iter().map(|c| c.0).fold(f32::MAX, f32::min),
        corners.iter().map(|c| c.1).fold(f32::MAX, f32::min),
        corners.iter().map(|c| c.0).fold(f32::MIN, f32::max),
        corners.iter().map(|c| c.1).fold(f32::MIN, f32::max),
    ];
    let region = super::region(aspect, area / frame_area, bbox, edges.dimensions())?;
    (0..4)
        .all(|i| support(corners[i], corners[(i + 1) % 4], edges) >= MIN_SUPPORT)
        .then_some((area, region))
}

/// Share of points along the segment `p`–`q` (its middle 80 %: card corners
/// are rounded) that have an edge pixel within two pixels: Hough lines are
/// quantised to a pixel and a degree, which over a card's side is about
/// two pixels of drift.
fn support(p: (f32, f32), q: (f32, f32), edges: &GrayImage) -> f32 {
    let length = (p.0 - q.0).hypot(p.1 - q.1);
    let steps = (length / 2.0).max(4.0) as usize;
    let (w, h) = (edges.width() as i32, edges.height() as i32);
    let on_edge = |x: i32, y: i32| {
        (-2..=2).any(|dy| {
            (-2..=2).any(|dx| {
                let (xx, yy) = (x + dx, y + dy);
                xx >= 0 && yy >= 0 && xx < w && yy < h && edges.get_pixel(xx as u32, yy as u32).0[0] > 0
            })
        })
    };
    let hits = (0..steps)
        .map(|i| 0.1 + 0.8 * i as f32 / (steps - 1) as f32)
        .filter(|t| {
            on_edge(
                (p.0 + (q.0 - p.0) * t).round() as i32,
                (p.1 + (q.1 - p.1) * t).round() as i32,
            )
        })
        .count();
    hits as f32 / steps as f32
}

#[cfg(test)]
mod tests {
    use image::Luma;
    use imageproc::drawing::draw_hollow_rect_mut;
    use imageproc::rect::Rect;

    use super::*;

    #[test]
    fn four_supported_sides_make_a_card_and_crossing_clutter_does_not_break_it() {
        let mut edges = GrayImage::new(320, 240);
        draw_hollow_rect_mut(&mut edges, Rect::at(60, 50).of_size(190, 120), Luma([255]));
        // Clutter: long lines running off the card's sides.
        for y in [20u32, 200] {
            for x in 0..320 {
                edges.put_pixel(x, y, Luma([255]));
            }
        }
        let region = rectangle(&edges).expect("the card");
        assert!((region.aspect - 1.58).abs() < 0.05, "{region:?}");
        assert!(
            (region.x - 60.0).abs() <= 2.0 && (region.width - 190.0).abs() <= 3.0,
            "{region:?}"
        );
    }

    #[test]
    fn four_supported_sides_of_the_wrong_shape_are_no_document() {
        // A square and a long strip: every side is fully backed by edges, so
        // only the shape rule can turn them down.
        for (w, h) in [(150, 150), (250, 60)] {
            let mut edges = GrayImage::new(320, 240);
            draw_hollow_rect_mut(&mut edges, Rect::at(40, 40).of_size(w, h), Luma([255]));
            assert_eq!(rectangle(&edges), None, "{w}x{h}");
        }
    }
}
