//! Luminance over the face: the face region's histogram (for luminance,
//! exposure and dynamic range), the two cheek zones OFIQ compares for
//! illumination uniformity, and the eye zones against their cheeks for
//! eyes visible. All read the grey working plane (OFIQ converts RGB to
//! luminance first; ours is already luma).

use image::GrayImage;

use super::geometry::Geometry;
use crate::histogram::Histogram;
use crate::landmarks::Point;

/// Fewest face pixels from which the region's statistics mean something.
const MIN_REGION: u32 = 64;

/// An ellipse in plane pixels, turned by `angle` radians.
pub(super) struct Ellipse {
    pub centre: Point,
    pub half_width: f32,
    pub half_height: f32,
    pub angle: f32,
}

impl Ellipse {
    /// The face from the brows to the chin and cheek to cheek, as OFIQ's
    /// landmark region covers it (ours from five points: 1.9 inter-eye
    /// distances wide, 1.3 T high, from 0.3 T above the eyes).
    pub(super) fn face(g: &Geometry) -> Ellipse {
        Ellipse {
            centre: g.at(0.0, 0.35 * g.eye_to_chin),
            half_width: 0.95 * g.eye_distance,
            half_height: 0.65 * g.eye_to_chin,
            angle: g.roll.to_radians(),
        }
    }

    /// The ellipse inscribed in a box (when there are no landmarks).
    pub(super) fn in_box(x: f32, y: f32, width: f32, height: f32) -> Ellipse {
        Ellipse {
            centre: Point {
                x: x + width / 2.0,
                y: y + height / 2.0,
            },
            half_width: width / 2.0,
            half_height: height / 2.0,
            angle: 0.0,
        }
    }
}

/// The histogram of the plane's pixels inside `region`; `None` when fewer
/// than [`MIN_REGION`] of them lie inside the frame.
pub(super) fn region(plane: &GrayImage, region: &Ellipse) -> Option<Histogram> {
    let reach = region.half_width.max(region.half_height);
    if !(reach.is_finite() && reach > 0.0) {
        return None;
    }
    let (w, h) = (plane.width() as f32, plane.height() as f32);
    let x0 = (region.centre.x - reach).floor().clamp(0.0, w) as u32;
    let x1 = (region.centre.x + reach).ceil().clamp(0.0, w) as u32;
    let y0 = (region.centre.y - reach).floor().clamp(0.0, h) as u32;
    let y1 = (region.centre.y + reach).ceil().clamp(0.0, h) as u32;
    let (s, c) = region.angle.sin_cos();
    let inside = |x: u32, y: u32| {
        let (dx, dy) = (x as f32 + 0.5 - region.centre.x, y as f32 + 0.5 - region.centre.y);
        let (u, v) = (dx * c + dy * s, -dx * s + dy * c);
        (u / region.half_width).powi(2) + (v / region.half_height).powi(2) <= 1.0
    };
    let pixels = (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .filter(|&(x, y)| inside(x, y))
        .map(|(x, y)| plane.get_pixel(x, y).0[0]);
    let histogram = Histogram::of(pixels);
    (histogram.count >= MIN_REGION).then_some(histogram)
}

/// A square zone in the face's upright frame, sampled at about one plane
/// pixel per step: `along` and `down` of its top-left corner from the eyes'
/// midpoint, `side` long. `None` when any of it lies outside the frame.
fn zone(plane: &GrayImage, g: &Geometry, along: f32, down: f32, side: f32) -> Option<Vec<u8>> {
    strip(plane, g, along, down, side, side)
}

/// [`zone`] `width` across and `height` down.
fn strip(plane: &GrayImage, g: &Geometry, along: f32, down: f32, width: f32, height: f32) -> Option<Vec<u8>> {
    // A zone larger than the frame cannot lie inside it (and landmarks
    // gone wild must not size an allocation).
    let fits = |side: f32, of: u32| side.is_finite() && side <= of as f32;
    if !(fits(width, plane.width().max(plane.height())) && fits(height, plane.width().max(plane.height()))) {
        return None;
    }
    let (n, m) = (width.round().max(4.0) as u32, height.round().max(4.0) as u32);
    let (step_x, step_y) = (width / n as f32, height / m as f32);
    let mut out = Vec::with_capacity((n * m) as usize);
    for j in 0..m {
        for i in 0..n {
            let p = g.at(along + (i as f32 + 0.5) * step_x, down + (j as f32 + 0.5) * step_y);
            let (x, y) = (p.x.floor(), p.y.floor());
            if x < 0.0 || y < 0.0 || x >= plane.width() as f32 || y >= plane.height() as f32 {
                return None;
            }
            out.push(plane.get_pixel(x as u32, y as u32).0[0]);
        }
    }
    Some(out)
}

/// OFIQ's cheek zones: squares 0.3 inter-eye distances a side, half the
/// eye–mouth distance below each eye, outward of it. Left of the image
/// first.
pub(super) fn cheeks(plane: &GrayImage, g: &Geometry) -> Option<[Vec<u8>; 2]> {
    let side = 0.3 * g.eye_distance;
    let down = 0.5 * (g.mouth_mid.x - g.eye_mid.x).hypot(g.mouth_mid.y - g.eye_mid.y);
    let half = g.eye_distance / 2.0;
    Some([
        zone(plane, g, -half - side, down, side)?,
        zone(plane, g, half, down, side)?,
    ])
}

/// Bin width (grey levels) of the cheek histograms: OFIQ uses single
/// levels on a 616-pixel aligned face; our faces are a few times smaller,
/// so a zone holds tens of pixels, not a thousand, and single-level bins
/// would mostly miss each other even under even light.
const UNIFORMITY_BIN: usize = 8;

/// OFIQ's illumination uniformity, raw: the intersection of the two cheek
/// zones' normalised histograms (1 when both sides are lit alike, 0 when
/// their grey levels do not overlap at all).
pub(super) fn uniformity([left, right]: &[Vec<u8>; 2]) -> f64 {
    let normalised = |zone: &[u8]| {
        let mut bins = [0f64; 256 / UNIFORMITY_BIN];
        for &v in zone {
            bins[usize::from(v) / UNIFORMITY_BIN] += 1.0 / zone.len() as f64;
        }
        bins
    };
    let (l, r) = (normalised(left), normalised(right));
    l.iter().zip(&r).map(|(a, b)| a.min(*b)).sum()
}

/// The darker cheek zone's median luminance over the lighter one's, in
/// linear light (the plane holds sRGB-encoded luma): a face lit from one
/// side reads the light's falloff, whatever the exposure, grain or blur.
pub(super) fn balance([left, right]: &[Vec<u8>; 2]) -> Option<f64> {
    let linear = |zone: &[u8]| {
        let v = level(zone, 0.5) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let (l, r) = (linear(left), linear(right));
    let brighter = l.max(r);
    (brighter > 0.0).then(|| l.min(r) / brighter)
}

/// The grey level at quantile `q` of a zone's pixels.
fn level(zone: &[u8], q: f32) -> f64 {
    f64::from(Histogram::of(zone.iter().copied()).quantile(q).unwrap_or(0))
}

/// Eyes visible, raw: for each eye zone, the lesser of how much darker its
/// darkest tenth is than the median of the cheek below it, and how far its
/// brightest tenth stands above its darkest, both as shares of that median;
/// then the lesser eye. An open or closed eye shows dark lashes, iris and
/// lid creases beside the light of the lids and the white of the eye (both
/// ~0.5 on the fixtures, whatever the exposure). A hand, a mask or a
/// skin-coloured patch over it is as light as the cheek (depth < 0.1); a
/// dark object over it (a phone, sunglasses) is dark all over: its
/// spread is small. OFIQ instead segments occlusions with a network we do
/// not ship.
pub(super) fn eye_visibility(plane: &GrayImage, g: &Geometry, [cheek_left, cheek_right]: &[Vec<u8>; 2]) -> Option<f64> {
    let side = 0.5 * g.eye_distance;
    let half = g.eye_distance / 2.0;
    let eye_left = zone(plane, g, -half - side / 2.0, -side / 2.0, side)?;
    let eye_right = zone(plane, g, half - side / 2.0, -side / 2.0, side)?;
    let visible = |eye: &[u8], cheek: &[u8]| {
        let skin = level(cheek, 0.5).max(1.0);
        let dark = level(eye, 0.1);
        let depth = (skin - dark) / skin;
        let spread = (level(eye, 0.9) - dark) / skin;
        depth.min(spread).max(0.0)
    };
    Some(visible(&eye_left, cheek_left).min(visible(&eye_right, cheek_right)))
}

/// The mouth strip's dark level: its darkest twentieth, as a blurred
/// capture spreads the lip line and the corners thin.
const MOUTH_QUANTILE: f32 = 0.05;

/// Mouth visible, raw: how much darker the darkest twentieth of a strip over
/// the mouth (corner to corner, 0.3 inter-eye distances high) is than the
/// brighter cheek's median, as a share of it. Lips, the line between them
/// and a smile's corners are darker than skin (~0.5 on the calibration
/// set's selfies); a hand over the mouth, in the face's own skin tone, is
/// not (~0.1–0.2). OFIQ segments the occlusion with a network we do not
/// ship.
pub(super) fn mouth_darkness(plane: &GrayImage, g: &Geometry, [cheek_left, cheek_right]: &[Vec<u8>; 2]) -> Option<f64> {
    let (width, height) = (g.mouth_width.max(0.4 * g.eye_distance), 0.3 * g.eye_distance);
    let mouth = strip(
        plane,
        g,
        g.mouth.x - width / 2.0,
        g.mouth.y - height / 2.0,
        width,
        height,
    )?;
    let skin = level(cheek_left, 0.5).max(level(cheek_right, 0.5)).max(1.0);
    Some(((skin - level(&mouth, MOUTH_QUANTILE)) / skin).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landmarks::Landmarks;

    fn geometry(eye_distance: f32) -> Geometry {
        let p = |x: f32, y: f32| Point { x, y };
        let marks = Landmarks {
            eyes: [p(40.0, 40.0), p(40.0 + eye_distance, 40.0)],
            nose: p(40.0 + eye_distance / 2.0, 40.0 + 0.6 * eye_distance),
            mouth: [
                p(40.0 + 0.1 * eye_distance, 40.0 + eye_distance),
                p(40.0 + 0.9 * eye_distance, 40.0 + eye_distance),
            ],
            score: 1.0,
        };
        Geometry::of(&marks).expect("eyes apart")
    }

    #[test]
    fn landmarks_spread_past_the_frame_give_no_zone_and_no_allocation() {
        let plane = GrayImage::from_pixel(100, 100, image::Luma([128]));
        let g = geometry(20.0);
        let sampled = cheeks(&plane, &g).expect("cheeks in the frame");
        assert!(mouth_darkness(&plane, &g, &sampled).is_some());
        for wild in [1.0e9, 3.0e38] {
            let g = geometry(wild);
            assert!(cheeks(&plane, &g).is_none() && mouth_darkness(&plane, &g, &sampled).is_none());
        }
    }

    #[test]
    fn a_region_outside_the_frame_has_no_histogram() {
        let plane = GrayImage::new(50, 50);
        assert!(region(&plane, &Ellipse::in_box(100.0, 100.0, 20.0, 20.0)).is_none());
        assert!(region(&plane, &Ellipse::in_box(10.0, 10.0, 20.0, 20.0)).is_some());
    }
}
