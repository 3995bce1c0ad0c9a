//! Glare over the card: a lamp or window reflected in a card's laminate or
//! a passport's foil saturates the sensor, and whatever was printed there
//! is gone. It shows as near-white, textureless blobs inside the card,
//! brighter than the card's own paper; a card that is bright all over is
//! over-exposed, which the exposure measure judges, not glare.

use image::{GrayImage, Luma};
use imageproc::distance_transform::Norm;
use imageproc::morphology::open;
use imageproc::region_labelling::{Connectivity, connected_components};

use crate::histogram::Histogram;

/// Glare must stand this far (grey levels) above the card's paper, and at
/// least at [`GLARE_FLOOR`]: a white card under good light reaches ~235.
const ABOVE_PAPER: u8 = 20;
const GLARE_FLOOR: u8 = 240;
/// Paper this bright means the whole card is washed out: exposure's case.
const WASHED_OUT: u8 = 235;
/// A saturated pixel's 3×3 neighbourhood spans at most this many grey
/// levels: glare wipes print out; white paper with fine print does not.
const FLAT: u8 = 12;
/// A blob must hold a square this share of the card's short side across:
/// thin bright gaps between lines of print are not glare.
const MIN_BLOB: f32 = 0.02;

/// Glare over a card.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Glare {
    /// Share of the card's area under glare.
    pub share: f32,
    /// Each blob's box (x0, y0, x1, y1), as fractions of the frame.
    pub blobs: Vec<[f32; 4]>,
}

/// Glare inside the quadrilateral `corners` (fractions of the frame, in
/// order around it) on `plane`.
pub(crate) fn measure(plane: &GrayImage, corners: &[(f32, f32); 4]) -> Glare {
    let none = Glare {
        share: 0.0,
        blobs: Vec::new(),
    };
    let (w, h) = (plane.width() as f32, plane.height() as f32);
    let q = corners.map(|(x, y)| (x * w, y * h));
    let clip = |v: f32, max: f32| v.clamp(0.0, max) as u32;
    let (x0, x1) = (
        clip(q.iter().map(|p| p.0).fold(f32::MAX, f32::min).floor(), w),
        clip(q.iter().map(|p| p.0).fold(f32::MIN, f32::max).ceil(), w),
    );
    let (y0, y1) = (
        clip(q.iter().map(|p| p.1).fold(f32::MAX, f32::min).floor(), h),
        clip(q.iter().map(|p| p.1).fold(f32::MIN, f32::max).ceil(), h),
    );
    let (cw, ch) = (x1.saturating_sub(x0), y1.saturating_sub(y0));
    if cw < 16 || ch < 16 {
        return none;
    }
    // Each row's stretch inside the card: the quadrilateral is convex.
    let spans: Vec<(u32, u32)> = (y0..y1).map(|y| span(&q, y as f32 + 0.5, (x0, x1))).collect();
    let card = Histogram::of(
        (y0..y1)
            .zip(&spans)
            .flat_map(|(y, &(a, b))| (a..b).map(move |x| plane.get_pixel(x, y).0[0])),
    );
    let area = card.count as usize;
    // The paper: what most of the card is (portraits and print are darker).
    let paper = card.quantile(0.75).unwrap_or(255);
    if area < 256 || paper >= WASHED_OUT {
        return none;
    }
    let level = paper.saturating_add(ABOVE_PAPER).max(GLARE_FLOOR);
    if card.share(level..=255) == 0.0 {
        return none;
    }
    let mut mask = GrayImage::new(cw, ch);
    for (y, &(a, b)) in (y0..y1).zip(&spans) {
        for x in a..b {
            if plane.get_pixel(x, y).0[0] >= level && flat(plane, x, y) {
                mask.put_pixel(x - x0, y - y0, Luma([255]));
            }
        }
    }
    let short = (q[0].0 - q[1].0)
        .hypot(q[0].1 - q[1].1)
        .min((q[1].0 - q[2].0).hypot(q[1].1 - q[2].1));
    let radius = (MIN_BLOB * short / 2.0).round().clamp(1.0, 32.0) as u8;
    let blobs = open(&mask, Norm::LInf, radius);
    let glared = blobs.pixels().filter(|p| p.0[0] > 0).count();
    Glare {
        share: glared as f32 / area as f32,
        blobs: boxes(&blobs)
            .into_iter()
            .map(|[bx0, by0, bx1, by1]| {
                [
                    (x0 + bx0) as f32 / w,
                    (y0 + by0) as f32 / h,
                    (x0 + bx1 + 1) as f32 / w,
                    (y0 + by1 + 1) as f32 / h,
                ]
            })
            .collect(),
    }
}

/// The columns of row `y` inside the convex quadrilateral `q` (either
/// winding), within `bounds`: where the row crosses the sides.
fn span(q: &[(f32, f32); 4], y: f32, bounds: (u32, u32)) -> (u32, u32) {
    let (mut lo, mut hi) = (f32::MAX, f32::MIN);
    for i in 0..4 {
        let (a, b) = (q[i], q[(i + 1) % 4]);
        if (a.1 <= y && y < b.1) || (b.1 <= y && y < a.1) {
            let x = a.0 + (y - a.1) / (b.1 - a.1) * (b.0 - a.0);
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    if lo > hi {
        return (0, 0);
    }
    let clip = |v: f32| (v.max(bounds.0 as f32) as u32).min(bounds.1);
    let (a, b) = (clip(lo.round()), clip(hi.round()));
    (a, b.max(a))
}

/// Whether the 3×3 neighbourhood of (x, y) is flat (see [`FLAT`]).
fn flat(plane: &GrayImage, x: u32, y: u32) -> bool {
    let (w, h) = plane.dimensions();
    let (mut lo, mut hi) = (u8::MAX, u8::MIN);
    for yy in y.saturating_sub(1)..=(y + 1).min(h - 1) {
        for xx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
            let v = plane.get_pixel(xx, yy).0[0];
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    hi - lo <= FLAT
}

/// The bounding box (x0, y0, x1, y1, inclusive) of each blob of `mask`.
fn boxes(mask: &GrayImage) -> Vec<[u32; 4]> {
    let labels = connected_components(mask, Connectivity::Eight, Luma([0u8]));
    let mut boxes: Vec<[u32; 4]> = Vec::new();
    for (x, y, label) in labels.enumerate_pixels() {
        let Some(i) = (label.0[0] as usize).checked_sub(1) else {
            continue;
        };
        if i >= boxes.len() {
            boxes.resize(i + 1, [u32::MAX, u32::MAX, 0, 0]);
        }
        let b = &mut boxes[i];
        *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    boxes.retain(|b| b[0] <= b[2]);
    boxes
}

#[cfg(test)]
mod tests {
    use imageproc::drawing::{draw_filled_circle_mut, draw_filled_rect_mut};
    use imageproc::rect::Rect;

    use super::*;

    const CARD: [(f32, f32); 4] = [(0.125, 0.125), (0.875, 0.125), (0.875, 0.625), (0.125, 0.625)];

    /// A 480×320 card (paper 200, lines of dark print) on a dark desk.
    fn card() -> GrayImage {
        let mut plane = GrayImage::from_pixel(640, 480, Luma([60]));
        draw_filled_rect_mut(&mut plane, Rect::at(80, 60).of_size(480, 240), Luma([200]));
        for y in (80..280).step_by(12) {
            draw_filled_rect_mut(&mut plane, Rect::at(100, y).of_size(400, 4), Luma([30]));
        }
        plane
    }

    #[test]
    fn a_saturated_blob_is_measured_as_its_share_of_the_card() {
        let mut plane = card();
        draw_filled_circle_mut(&mut plane, (320, 180), 40, Luma([255]));
        let glare = measure(&plane, &CARD);
        let painted = std::f32::consts::PI * 40.0 * 40.0 / (480.0 * 240.0);
        assert!((glare.share - painted).abs() < 0.15 * painted, "{glare:?} vs {painted}");
        assert_eq!(glare.blobs.len(), 1);
        let [x0, y0, x1, y1] = glare.blobs[0];
        assert!(
            (x0 * 640.0 - 280.0).abs() <= 3.0 && (y1 * 480.0 - 221.0).abs() <= 3.0,
            "{glare:?}"
        );
        assert!(x1 > x0 && y1 > y0);
    }

    #[test]
    fn a_card_without_glare_or_one_washed_out_all_over_has_none() {
        assert_eq!(measure(&card(), &CARD).share, 0.0);
        let bright = GrayImage::from_pixel(640, 480, Luma([250]));
        assert_eq!(measure(&bright, &CARD).share, 0.0, "over-exposure is not glare");
    }

    #[test]
    fn thin_bright_gaps_and_glare_outside_the_card_are_not_glare() {
        let mut plane = card();
        // A white band three pixels high between lines of print.
        draw_filled_rect_mut(&mut plane, Rect::at(100, 85).of_size(400, 3), Luma([255]));
        // A lamp on the desk beside the card.
        draw_filled_circle_mut(&mut plane, (40, 400), 30, Luma([255]));
        assert_eq!(measure(&plane, &CARD).share, 0.0);
    }

    #[test]
    fn a_degenerate_or_outside_card_has_no_glare() {
        let plane = card();
        assert_eq!(measure(&plane, &[(0.5, 0.5); 4]).share, 0.0);
        assert_eq!(
            measure(&plane, &[(2.0, 2.0), (3.0, 2.0), (3.0, 3.0), (2.0, 3.0)]).share,
            0.0
        );
        assert_eq!(measure(&plane, &[(f32::NAN, 0.0); 4]).share, 0.0);
    }
}
