//! A document from its four straight sides. On a busy background the card's
//! outline joins the clutter's edges into one contour that is no rectangle,
//! but each side is still a long straight edge: Hough lines find them, and
//! a candidate rectangle counts only if edges really run along all four
//! sides (its *support*), which clutter lines crossing the frame lack.
//!
//! A card partly outside the frame is found too, as the check that it is
//! cut off needs it: a corner beyond the edge lies where its two sides
//! cross, and a side beyond the edge (or on it, where edge detection sees
//! nothing) is stood in for by the frame's border, with the other three
//! held to a higher support.

use image::GrayImage;
use imageproc::distance_transform::Norm;
use imageproc::hough::{LineDetectionOptions, PolarLine, detect_lines};
use imageproc::morphology::dilate;

use super::Outline;

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
/// The support each of the three real sides needs when the frame's border
/// stands in for the fourth: three lines and a border are far easier to
/// come by in clutter than four lines.
const CUT_SUPPORT: f32 = 0.75;
/// How far a corner may lie outside the frame, as a share of the card's
/// short side: beyond that too little of the card shows to judge its shape.
const MAX_OUTSIDE: f32 = 0.25;
/// How far from parallel to the frame's border a side may be and still have
/// the border stand in for the side opposite it: the card is cut at
/// whatever angle it is tilted to the frame.
const BORDER_PARALLEL: i32 = 12;
/// A card pushed out past a corner of the frame shows two sides, each only
/// in part: what shows must be no longer than this against its width, and
/// its short side at least this share of the frame's.
const CORNER_ASPECT: f32 = 2.6;
const CORNER_SIDE: f32 = 0.2;
/// How far beside a side [`distinct`] looks (plane pixels: past the two
/// pixels of the edge map's dilation and the edge's own blur), and the
/// share of edges there above which the side is lost in clutter.
const BESIDE: f32 = 5.0;
const CLUTTER: f32 = 0.5;
/// A side mostly outside the frame is not judged by the little that shows.
const MIN_INSIDE: f32 = 0.4;
/// A card cut by the frame must show at least this much of its other
/// dimension, as a share of the one it shows whole (and at most an ID-1
/// card's full length): a sliver is no evidence of a card.
const CUT_EXTENT: (f32, f32) = (0.4, 1.72);

/// A line, and whether it is the frame's border standing in for a side.
#[derive(Debug, Clone, Copy)]
struct Side {
    line: PolarLine,
    border: bool,
}

/// The largest well-supported document-shaped rectangle in `edges` (plane
/// pixels); one closed by the frame's border only when no whole one is.
pub(super) fn rectangle(edges: &GrayImage) -> Option<Outline> {
    rectangles(edges).into_iter().next()
}

/// Every well-supported document-shaped rectangle in `edges`, best first
/// (near-copies from neighbouring lines included: the caller drops them
/// with the other outlines, see `document::alternatives`): whole and
/// inside the frame first (as every card was found before cut-off
/// cards were looked for), then whole with a corner past the edge, then
/// closed by the border; within each, by area discounted by the weakest
/// side.
pub(super) fn rectangles(edges: &GrayImage) -> Vec<Outline> {
    let (w, h) = edges.dimensions();
    let mut sides: Vec<Side> = strongest_lines(edges)
        .into_iter()
        .map(|line| Side { line, border: false })
        .collect();
    sides.extend(border(w, h));
    let frame_area = w as f32 * h as f32;
    let near = dilate(edges, Norm::LInf, 2);
    let mut found: Vec<(usize, f32, Outline)> = Vec::new();
    let pairs = parallel_pairs(&sides, w.min(h) as f32 * 0.12);
    for (i, a) in pairs.iter().enumerate() {
        for b in &pairs[i + 1..] {
            let turn = angle_between(a.0.line.angle_in_degrees, b.0.line.angle_in_degrees);
            if (turn - 90).abs() > SQUARE || !upright(a.0.line.angle_in_degrees) {
                continue;
            }
            // Sides in order around the quadrilateral (see `corners`); two
            // borders are adjacent, as a pair never holds two.
            let borders = [a.0, b.1, a.1, b.0].map(|s| s.border);
            let Some(corners) = corners(a, b) else { continue };
            let Some((rank, outline)) = judge(&corners, &near, frame_area, borders) else {
                continue;
            };
            let inside = corners
                .iter()
                .all(|&(x, y)| x >= -2.0 && y >= -2.0 && x <= w as f32 + 1.0 && y <= h as f32 + 1.0);
            let kind = if borders.contains(&true) {
                2
            } else {
                usize::from(!inside)
            };
            found.push((kind, rank, outline));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    found.into_iter().map(|(_, _, outline)| outline).collect()
}

/// The frame's four borders as lines (normal angle, distance from the origin).
fn border(w: u32, h: u32) -> [Side; 4] {
    let side = |r: f32, angle_in_degrees: u32| Side {
        line: PolarLine { r, angle_in_degrees },
        border: true,
    };
    [
        side(0.0, 0),
        side(w as f32 - 1.0, 0),
        side(0.0, 90),
        side(h as f32 - 1.0, 90),
    ]
}

/// Hough lines, with the vote threshold raised until at most [`MAX_LINES`]
/// remain (the transform does not report votes, so the threshold is the
/// only handle on strength).
///
/// The transform runs once. Its non-maximum suppression does not depend on
/// the threshold, so a higher threshold keeps a subset of the same lines:
/// their votes, counted once, pick that subset without the three further
/// transforms this took before (a third of a selfie's portrait check).
fn strongest_lines(edges: &GrayImage) -> Vec<PolarLine> {
    let mut threshold = (edges.width().min(edges.height()) / 10).max(16);
    let lines = detect_lines(
        edges,
        LineDetectionOptions {
            vote_threshold: threshold,
            suppression_radius: 6,
        },
    );
    if lines.len() <= MAX_LINES {
        return lines;
    }
    let votes = votes(edges, &lines);
    for _ in 1..4 {
        threshold = threshold * 3 / 2;
        let kept: Vec<PolarLine> = (lines.iter().zip(&votes))
            .filter(|&(_, &v)| v >= threshold)
            .map(|(line, _)| *line)
            .collect();
        if kept.len() <= MAX_LINES {
            return kept;
        }
    }
    Vec::new()
}

/// The votes `detect_lines` gave each of `lines`: the edge pixels whose
/// distance along the line's normal rounds (towards zero, in `f32`, with
/// the transform's own sines and cosines) to the line's. One pass over the
/// edges per distinct angle, so never more than the transform itself.
fn votes(edges: &GrayImage, lines: &[PolarLine]) -> Vec<u32> {
    let on: Vec<(f32, f32)> = (edges.enumerate_pixels())
        .filter(|(_, _, p)| p.0[0] > 0)
        .map(|(x, y, _)| (x as f32, y as f32))
        .collect();
    // The transform's distance range, so that every distance has a cell.
    let (w, h) = (u64::from(edges.width()), u64::from(edges.height()));
    let rmax = ((w * w + h * h) as f64).sqrt() as i32;
    let mut row = vec![0u32; 2 * rmax as usize + 1];
    let cell = |r: i32| usize::try_from(r + rmax).ok();
    let mut votes = vec![0; lines.len()];
    let mut angles: Vec<u32> = lines.iter().map(|l| l.angle_in_degrees).collect();
    angles.sort_unstable();
    angles.dedup();
    for angle in angles {
        let (s, c) = (angle as f32).to_radians().sin_cos();
        row.fill(0);
        for &(x, y) in &on {
            if let Some(count) = cell((x * c + y * s) as i32).and_then(|i| row.get_mut(i)) {
                *count += 1;
            }
        }
        for (line, vote) in lines.iter().zip(votes.iter_mut()) {
            if line.angle_in_degrees == angle {
                *vote = cell(line.r as i32).and_then(|i| row.get(i)).copied().unwrap_or(0);
            }
        }
    }
    votes
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
fn parallel_pairs(sides: &[Side], min_gap: f32) -> Vec<(Side, Side)> {
    let mut pairs = Vec::new();
    for (i, a) in sides.iter().enumerate() {
        for b in &sides[i + 1..] {
            let (la, lb) = (&a.line, &b.line);
            let tolerance = if a.border || b.border {
                BORDER_PARALLEL
            } else {
                PARALLEL
            };
            if !(a.border && b.border)
                && angle_between(la.angle_in_degrees, lb.angle_in_degrees) <= tolerance
                && gap(la, lb) >= min_gap
            {
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

/// The four corners, in order around the quadrilateral: side `i` runs
/// from corner `i` to corner `i + 1` along `a.0`, `b.1`, `a.1`, `b.0`.
fn corners(a: &(Side, Side), b: &(Side, Side)) -> Option<[(f32, f32); 4]> {
    Some([
        cross(&a.0.line, &b.0.line)?,
        cross(&a.0.line, &b.1.line)?,
        cross(&a.1.line, &b.1.line)?,
        cross(&a.1.line, &b.0.line)?,
    ])
}

/// Rank and outline of a candidate whose sides are backed by edges (`near`:
/// the edge map dilated, see [`support`]) where they lie inside the frame;
/// `borders` marks the sides the frame's border stands in for (at most
/// two, then adjacent: a card pushed out past a corner of the frame).
fn judge(corners: &[(f32, f32); 4], near: &GrayImage, frame_area: f32, borders: [bool; 4]) -> Option<(f32, Outline)> {
    let (w, h) = (near.width() as f32, near.height() as f32);
    let side = |i: usize| {
        let (p, q) = (corners[i], corners[(i + 1) % 4]);
        (p.0 - q.0).hypot(p.1 - q.1)
    };
    let uneven = |p: f32, q: f32| (p - q).abs() > UNEVEN * p.max(q);
    if uneven(side(0), side(2)) || uneven(side(1), side(3)) {
        return None;
    }
    let (a, b) = ((side(0) + side(2)) / 2.0, (side(1) + side(3)) / 2.0);
    let reach = MAX_OUTSIDE * a.min(b);
    if corners
        .iter()
        .any(|&(x, y)| x < -reach || y < -reach || x > w + reach || y > h + reach)
    {
        return None;
    }
    let bbox = [
        corners.iter().map(|c| c.0).fold(f32::MAX, f32::min),
        corners.iter().map(|c| c.1).fold(f32::MAX, f32::min),
        corners.iter().map(|c| c.0).fold(f32::MIN, f32::max),
        corners.iter().map(|c| c.1).fold(f32::MIN, f32::max),
    ];
    let (area, frame) = (a * b, near.dimensions());
    let cut: Vec<usize> = (0..4).filter(|&i| borders[i]).collect();
    let region = match cut[..] {
        [] => super::region(a.max(b) / a.min(b).max(1.0), area / frame_area, bbox, frame)?,
        [one] => {
            // The border side spans the card's whole dimension across; its
            // neighbours show only part of the other one.
            let (across, along) = if one % 2 == 0 { (a, b) } else { (b, a) };
            let extent = along / across.max(1.0);
            if !(CUT_EXTENT.0..=CUT_EXTENT.1).contains(&extent) {
                return None;
            }
            super::region_cut(extent, area / frame_area, bbox, frame)?
        }
        _ => {
            // Both dimensions are partial: only what shows can be judged.
            let (long, short) = (a.max(b), a.min(b));
            if long / short.max(1.0) > CORNER_ASPECT || short < CORNER_SIDE * w.min(h) {
                return None;
            }
            super::region_cut(long / short.max(1.0), area / frame_area, bbox, frame)?
        }
    };
    let needed = if cut.is_empty() { MIN_SUPPORT } else { CUT_SUPPORT };
    let mut weakest = 1.0f32;
    let supported = (0..4).filter(|&i| !borders[i]).all(|i| {
        let (p, q) = (corners[i], corners[(i + 1) % 4]);
        let (inside, support) = support(p, q, near);
        weakest = weakest.min(support);
        inside >= MIN_INSIDE && support >= needed && (cut.is_empty() || distinct(p, q, near))
    });
    // A card cut by the border runs into it: the sides meeting the border
    // are backed right up to it, where a shape merely near it stops short.
    let toward = |from: (f32, f32), to: (f32, f32)| {
        let end = (from.0 + (to.0 - from.0) * 0.3, from.1 + (to.1 - from.1) * 0.3);
        support(from, end, near).1 >= needed
    };
    let reaches = cut.iter().all(|&i| {
        let (next, previous) = ((i + 1) % 4, (i + 3) % 4);
        (borders[next] || toward(corners[next], corners[(i + 2) % 4]))
            && (borders[previous] || toward(corners[i], corners[previous]))
    });
    // Ranked by area, each candidate discounted by its weakest side: a card
    // whose four sides are all there beats a larger shape that borrows a
    // side from a curved rim or a shadow beside it.
    (supported && reaches).then_some((
        area * weakest,
        Outline {
            region,
            corners: *corners,
            side_outside: !cut.is_empty(),
            closed: false,
        },
    ))
}

/// Whether the side `p`–`q` stands out from what lies beside it: on at
/// least one side of it, a parallel line [`BESIDE`] pixels off runs mostly
/// clear of edges (the card's face, or a plain desk). On wallpaper, gravel
/// or foliage edges lie everywhere, and any line through them finds
/// "support"; a side the border's stand-in depends on must do better.
fn distinct(p: (f32, f32), q: (f32, f32), near: &GrayImage) -> bool {
    let length = (p.0 - q.0).hypot(p.1 - q.1).max(1.0);
    let (nx, ny) = ((q.1 - p.1) / length * BESIDE, (p.0 - q.0) / length * BESIDE);
    let beside = |s: f32| support((p.0 + s * nx, p.1 + s * ny), (q.0 + s * nx, q.1 + s * ny), near).1;
    beside(1.0).min(beside(-1.0)) <= CLUTTER
}

/// Along the segment `p`–`q` (its middle 80 %: card corners are rounded):
/// the share of points inside the frame, and the share of those on `near`,
/// the edge map dilated by two pixels (Hough lines are quantised to a pixel
/// and a degree, which over a card's side is about two pixels of drift).
fn support(p: (f32, f32), q: (f32, f32), near: &GrayImage) -> (f32, f32) {
    let length = (p.0 - q.0).hypot(p.1 - q.1);
    let steps = (length / 2.0).clamp(4.0, 4096.0) as usize;
    let (w, h) = (near.width() as f32, near.height() as f32);
    let (mut inside, mut hits) = (0usize, 0usize);
    for i in 0..steps {
        let t = 0.1 + 0.8 * i as f32 / (steps - 1) as f32;
        // Truncating rounds here: points left of or above the frame are
        // dropped by the bounds check first.
        let (x, y) = (p.0 + (q.0 - p.0) * t + 0.5, p.1 + (q.1 - p.1) * t + 0.5);
        if x >= 0.0 && y >= 0.0 && x < w && y < h {
            inside += 1;
            hits += usize::from(near.get_pixel(x as u32, y as u32).0[0] > 0);
        }
    }
    (inside as f32 / steps as f32, hits as f32 / inside.max(1) as f32)
}

#[cfg(test)]
mod tests {
    use image::Luma;
    use imageproc::drawing::draw_hollow_rect_mut;
    use imageproc::rect::Rect;

    use super::*;

    /// What [`strongest_lines`] did before it counted votes: the whole
    /// transform again at each threshold.
    fn strongest_lines_by_repeating(edges: &GrayImage) -> Vec<PolarLine> {
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

    #[test]
    fn counting_votes_once_keeps_exactly_the_lines_the_repeated_transform_kept() {
        // Edge maps from sparse to cluttered: random edge pixels, then long
        // lines over them at every angle, so that every threshold step (and
        // the give-up at the end) is taken by one of them.
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut steps = std::collections::BTreeSet::new();
        for lines in [0u32, 20, 60, 120, 200, 400] {
            let mut edges = GrayImage::new(200, 112);
            for _ in 0..1500 {
                edges.put_pixel((next() % 200) as u32, (next() % 112) as u32, Luma([255]));
            }
            for _ in 0..lines {
                let (x0, y0) = ((next() % 200) as f32, (next() % 112) as f32);
                let (x1, y1) = ((next() % 200) as f32, (next() % 112) as f32);
                imageproc::drawing::draw_line_segment_mut(&mut edges, (x0, y0), (x1, y1), Luma([255]));
            }
            let repeated = strongest_lines_by_repeating(&edges);
            assert_eq!(strongest_lines(&edges), repeated, "{lines} lines");
            steps.insert(repeated.len());
        }
        assert!(
            steps.len() >= 3,
            "the maps should end at different thresholds: {steps:?}"
        );
    }

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
        let region = rectangle(&edges).expect("the card").region;
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

    /// The edges of a card's four sides, as lines from corner to corner,
    /// clipped to the frame as a camera would.
    fn quadrilateral_edges(corners: [(f32, f32); 4]) -> GrayImage {
        let mut edges = GrayImage::new(320, 240);
        for i in 0..4 {
            let (p, q) = (corners[i], corners[(i + 1) % 4]);
            imageproc::drawing::draw_line_segment_mut(&mut edges, p, q, Luma([255]));
        }
        edges
    }

    #[test]
    fn a_card_with_a_corner_past_the_frame_is_found_with_that_corner_outside() {
        // Tilted 10 degrees, its top-right corner 9 px past the right edge.
        let (c, s) = (10f32.to_radians().cos(), 10f32.to_radians().sin());
        let (cx, cy, hw, hh) = (220.0, 120.0, 100.0, 63.0);
        let at = |x: f32, y: f32| (cx + x * c - y * s, cy + x * s + y * c);
        let corners = [at(-hw, -hh), at(hw, -hh), at(hw, hh), at(-hw, hh)];
        assert!(corners.iter().any(|p| p.0 > 320.0), "{corners:?}");
        let found = rectangle(&quadrilateral_edges(corners)).expect("the card");
        assert!(!found.side_outside);
        assert_eq!(found.corners.iter().filter(|p| p.0 > 319.0).count(), 1, "{found:?}");
        assert!((found.region.aspect - 1.587).abs() < 0.06, "{found:?}");
    }

    #[test]
    fn a_card_whose_side_lies_beyond_the_frame_is_closed_by_the_border() {
        // Upright, its right end (x = 360) outside the 320 px frame.
        let corners = [(150.0, 60.0), (360.0, 60.0), (360.0, 192.0), (150.0, 192.0)];
        let found = rectangle(&quadrilateral_edges(corners)).expect("the visible part");
        assert!(found.side_outside, "{found:?}");
        assert!(found.corners.iter().filter(|p| p.0 >= 318.0).count() == 2, "{found:?}");
        // Three lines and a border that make no card's shape are not one.
        let strip = [(150.0, 100.0), (360.0, 100.0), (360.0, 130.0), (150.0, 130.0)];
        assert_eq!(rectangle(&quadrilateral_edges(strip)), None);
    }

    #[test]
    fn a_card_pushed_past_a_corner_of_the_frame_is_closed_by_two_borders() {
        // Its right and bottom sides beyond the frame: only the top and left show.
        let corners = [(150.0, 110.0), (400.0, 110.0), (400.0, 268.0), (150.0, 268.0)];
        let found = rectangle(&quadrilateral_edges(corners)).expect("the visible part");
        assert!(found.side_outside, "{found:?}");
        assert_eq!(found.corners.iter().filter(|p| p.0 >= 318.0 || p.1 >= 238.0).count(), 3);
        // A lone corner of two lines near a corner of the frame is no card:
        // its sides stop short of the borders.
        let mut edges = GrayImage::new(320, 240);
        imageproc::drawing::draw_line_segment_mut(&mut edges, (150.0, 110.0), (260.0, 110.0), Luma([255]));
        imageproc::drawing::draw_line_segment_mut(&mut edges, (150.0, 110.0), (150.0, 190.0), Luma([255]));
        assert_eq!(rectangle(&edges), None);
    }

    #[test]
    fn a_side_lost_in_clutter_cannot_close_a_cut_card() {
        // A card's three sides drawn over a dense texture of short edges
        // still close a whole card; the border may not stand in for a
        // fourth side through the texture.
        let mut edges = GrayImage::new(320, 240);
        for y in (0..240).step_by(3) {
            for x in (0..320).step_by(3) {
                edges.put_pixel(x, y, Luma([255]));
            }
        }
        let l = |e: &mut GrayImage, p, q| imageproc::drawing::draw_line_segment_mut(e, p, q, Luma([255]));
        l(&mut edges, (150.0, 60.0), (319.0, 60.0));
        l(&mut edges, (150.0, 192.0), (319.0, 192.0));
        l(&mut edges, (150.0, 60.0), (150.0, 192.0));
        assert!(rectangle(&edges).is_none_or(|o| !o.side_outside));
    }
}
