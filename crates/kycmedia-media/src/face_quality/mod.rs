//! Face image quality: the components of ISO/IEC 29794-5 (as its reference
//! implementation, BSI's OFIQ, computes them) that can be measured from
//! what we ship — rustface's boxes, CenterFace's five landmarks and the
//! grey working plane — each on OFIQ's 0–100 scale, −1 when it cannot be
//! assessed. `docs/face-quality.md` gives each one's definition, mapping,
//! threshold and where ours differs from OFIQ's.
//!
//! The components that fail their thresholds lower the face contexts'
//! quality ([`judge`]) and name the reason ([`Issue`]), because a turned,
//! cut-off, covered or one-sidedly lit face is what a reviewer rejects
//! first, however sharp the photo is.

use image::GrayImage;

use crate::evidence::{Evidence, Face, FaceLandmarks, FaceQuality, Issue, Pose};
use crate::histogram::Histogram;
use crate::landmarks::{self, Landmarks, Point};
use crate::quality;

/// Pose, distances and margins from the landmarks.
mod geometry;
/// Luminance of the face region, cheeks and eyes.
mod light;

use geometry::Geometry;
use light::Ellipse;

/// OFIQ's value for "failure to assess".
pub(crate) const UNASSESSED: i8 = -1;

/// The quality of the largest of `faces` (boxes as fractions of `plane`),
/// `None` when there is none. `scale` is original-image pixels per plane
/// pixel (the inter-eye distance is reported in the former); `blockiness`
/// is the JPEG decoder's block ratio for the whole file.
pub(crate) fn assess(plane: &GrayImage, faces: &[Face], scale: f32, blockiness: Option<f32>) -> Option<FaceQuality> {
    let face = faces.first()?;
    let (pw, ph) = (plane.width() as f32, plane.height() as f32);
    let marks = landmarks::locate(plane, face);
    let geometry = marks.as_ref().and_then(Geometry::of);
    let on_geometry = |f: &dyn Fn(&Geometry) -> f64| geometry.as_ref().map_or(UNASSESSED, |g| score(f(g)));
    let margins = marks
        .as_ref()
        .zip(geometry.as_ref())
        .map(|(m, g)| g.margins(m, pw, ph).map(f64::from));
    let margin = |i: usize, x0: f64| margins.map_or(UNASSESSED, |m| score(100.0 * sigmoid(m[i], x0, 0.1)));
    let region = geometry.as_ref().map_or_else(
        || Ellipse::in_box(face.x * pw, face.y * ph, face.width * pw, face.height * ph),
        Ellipse::face,
    );
    let histogram = light::region(plane, &region);
    // The two cheek zones, sampled once for the four measures that read them.
    let cheeks = geometry.as_ref().and_then(|g| light::cheeks(plane, g));
    let on_histogram = |f: &dyn Fn(&Histogram) -> f64| histogram.as_ref().map_or(UNASSESSED, |h| score(f(h)));
    let pixels = face_crop(plane, face).map(|crop| quality::measure(&crop, blockiness));
    Some(FaceQuality {
        single_face_present: single_face(faces),
        head_size: on_geometry(&|g| {
            let off = (f64::from(g.eye_to_chin / ph) - 0.45).abs();
            200.0 * (1.0 - sigmoid(off, 0.0, 0.05))
        }),
        inter_eye_distance: on_geometry(&|g| 100.0 * sigmoid(f64::from(g.inter_eye_pixels(scale)), 70.0, 20.0)),
        crop_left: margin(0, SIDE_MARGIN),
        crop_right: margin(1, SIDE_MARGIN),
        crop_top: margin(2, TOP_MARGIN),
        crop_bottom: margin(3, BOTTOM_MARGIN),
        roll: on_geometry(&|g| upright(g.roll)),
        yaw: on_geometry(&|g| upright(g.yaw)),
        pitch: on_geometry(&|g| upright(g.pitch)),
        eyes_visible: geometry
            .as_ref()
            .zip(cheeks.as_ref())
            .and_then(|(g, c)| light::eye_visibility(plane, g, c))
            .map_or(UNASSESSED, |d| score(100.0 * sigmoid(d, EYE_VISIBILITY, 0.05))),
        mouth_visible: geometry
            .as_ref()
            .zip(cheeks.as_ref())
            .and_then(|(g, c)| light::mouth_darkness(plane, g, c))
            .map_or(UNASSESSED, |d| score(100.0 * sigmoid(d, MOUTH_DARKNESS, 0.05))),
        luminance_mean: on_histogram(&|h| {
            let mean = h.mean_variance().0;
            100.0 * sigmoid(mean, 0.2, 0.05) * (1.0 - sigmoid(mean, 0.8, 0.05))
        }),
        luminance_variance: on_histogram(&|h| {
            let v = h.mean_variance().1;
            100.0 * (60.0 * v / (60.0 * v + 1.0) * std::f64::consts::PI).sin()
        }),
        under_exposure: on_histogram(&|h| 120.0 * (0.832 - sigmoid(h.share(0..=25), 0.92, 0.05))),
        over_exposure: on_histogram(&|h| 1.0 / (h.share(247..=255) + 0.01)),
        dynamic_range: on_histogram(&|h| 12.5 * h.entropy()),
        illumination_uniformity: cheeks
            .as_ref()
            .map_or(UNASSESSED, |c| score(100.0 * light::uniformity(c).powf(0.3))),
        sharpness: pixels.map_or(UNASSESSED, |m| score(100.0 * f64::from(m.sharpness))),
        compression: pixels.map_or(UNASSESSED, |m| score(100.0 * f64::from(m.blockiness))),
        inter_eye_px: geometry.map(|g| g.inter_eye_pixels(scale)),
        pose: geometry.map(|g| Pose {
            roll: g.roll,
            yaw: g.yaw,
            pitch: g.pitch,
        }),
        light_balance: cheeks.as_ref().and_then(light::balance).map(|b| b as f32),
        landmarks: marks.map(|m| fractions(&m, pw, ph)),
    })
}

/// Sigmoid centres of the crop components (OFIQ's `x0`), in the raw
/// units OFIQ uses: eye to side edge in inter-eye distances, eyes to top
/// and bottom edge in T. OFIQ's own (0.9, 1.4, 1.8) ask for passport
/// framing, the whole head with room around it, and score a well-framed
/// selfie near 0; ours put 50 where the frame's edge meets the face
/// itself: the cheek's outline (~0.6 IED outward of the eye), the
/// hairline (~0.6 T above the eyes), the chin (1 T below them).
const SIDE_MARGIN: f64 = 0.6;
const TOP_MARGIN: f64 = 0.6;
const BOTTOM_MARGIN: f64 = 1.0;
/// How much darker than the cheek an eye's darkest tenth must be, and how
/// far its brightest tenth above it, for eyes visible to reach 50.
const EYE_VISIBILITY: f64 = 0.25;
/// How much darker than the brighter cheek the mouth strip's darkest
/// twentieth must be for mouth visible to reach 50: on the calibration set
/// no pristine selfie (0 of 44) and no blurred copy falls under it, and 17
/// of the 19 hands at the middle and strongest cover do (the lightest
/// cover leaves the lips in view).
const MOUTH_DARKNESS: f64 = 0.25;

/// A component that is a reason to reject when it fails its threshold.
struct Gate {
    name: &'static str,
    read: fn(&FaceQuality) -> i8,
    threshold: i8,
    /// Where the cost starts: the threshold, or above it for a component
    /// graded before it fails (a copy nearer the edge is the worse even
    /// when neither is cut off).
    grades_from: i8,
    /// Share of quality lost when the component is 0 (falling linearly
    /// from nothing at `grades_from`).
    weight: f32,
    /// Least share of `weight` lost once the component fails: a covered eye
    /// or mouth is covered, however near 50 its steep sigmoid puts it.
    floor: f32,
    /// What to tell the person; `None` where the frame's own exposure
    /// hints already tell them.
    issue: Option<Issue>,
}

const fn gate(
    name: &'static str,
    read: fn(&FaceQuality) -> i8,
    threshold: i8,
    weight: f32,
    issue: Option<Issue>,
) -> Gate {
    Gate {
        name,
        read,
        threshold,
        grades_from: threshold,
        weight,
        floor: 0.0,
        issue,
    }
}

/// An occlusion's gate (eyes, mouth): failing costs at least half its
/// weight. On the calibration set a hand over the mouth scored 49, and cost
/// 1 %, less than the uneven light it hid on the cheek beneath it.
const fn covered(name: &'static str, read: fn(&FaceQuality) -> i8, issue: Issue) -> Gate {
    Gate {
        floor: 0.5,
        ..gate(name, read, 50, 0.5, Some(issue))
    }
}

/// A crop margin's gate: fails under 50 (the frame's edge cuts the face),
/// graded from [`CROP_GRADED_FROM`] (the edge near the hairline or chin).
const fn crop(name: &'static str, read: fn(&FaceQuality) -> i8) -> Gate {
    Gate {
        grades_from: CROP_GRADED_FROM,
        ..gate(name, read, 50, 0.5, Some(Issue::FaceCutOff))
    }
}

/// Margin score from which a crop component costs quality: of two copies
/// of one selfie, the one framed so tight that the edge nears the face is
/// the worse, though neither is cut off (on the calibration set the
/// cut-off copies' pristine-vs-degraded order goes from 0.848 to 0.970).
/// Only under 50 is it a finding and an issue.
const CROP_GRADED_FROM: i8 = 70;

/// The gating components, their thresholds and weights (the table in
/// `docs/face-quality.md`).
const GATES: [Gate; 13] = [
    crop("crop_left", |q| q.crop_left),
    crop("crop_right", |q| q.crop_right),
    crop("crop_top", |q| q.crop_top),
    crop("crop_bottom", |q| q.crop_bottom),
    gate("yaw", |q| q.yaw, 75, 0.5, Some(Issue::HeadTurned)),
    gate("pitch", |q| q.pitch, 67, 0.3, Some(Issue::HeadTurned)),
    gate("roll", |q| q.roll, 75, 0.3, Some(Issue::HeadTilted)),
    covered("eyes_visible", |q| q.eyes_visible, Issue::EyesHidden),
    covered("mouth_visible", |q| q.mouth_visible, Issue::MouthHidden),
    gate(
        "illumination_uniformity",
        |q| q.illumination_uniformity,
        50,
        0.4,
        Some(Issue::UnevenLighting),
    ),
    gate("luminance_mean", |q| q.luminance_mean, 50, 0.4, None),
    gate("under_exposure", |q| q.under_exposure, 50, 0.4, None),
    gate("over_exposure", |q| q.over_exposure, 50, 0.3, None),
];

/// Light balance below which a face's light counts as one-sided, and the
/// share of quality a face lit from one side only (balance 0) loses,
/// falling linearly to nothing at the knee. Graded, not a gate: of two
/// copies of one capture, the one with the more one-sided light is the
/// worse though neither fails illumination uniformity's threshold. The knee
/// sits under most natural light (the calibration set's pristine selfies:
/// median 0.70), so a hand or a mask that evens the cheeks out earns
/// nothing, and a shadow across half the face (0.2–0.45) costs 8–20 %.
const BALANCE_KNEE: f32 = 0.6;
const BALANCE_WEIGHT: f32 = 0.3;

/// The face-quality factor (in `(0, 1]`, multiplied into the quality) and
/// the issues of the components below their thresholds, with a finding
/// naming them. Components that could not be assessed neither cost nor
/// count; the light balance, and crop margins near the edge, grade the
/// factor without failing.
pub(crate) fn judge(q: &FaceQuality) -> (f32, Vec<Issue>, Vec<&'static str>) {
    let mut factor = q.light_balance.map_or(1.0, |b| {
        1.0 - BALANCE_WEIGHT * (BALANCE_KNEE - b).max(0.0) / BALANCE_KNEE
    });
    let (mut issues, mut failed) = (Vec::new(), Vec::new());
    for g in &GATES {
        let value = (g.read)(q);
        if value == UNASSESSED || value >= g.grades_from {
            continue;
        }
        let mut deficit = f32::from(g.grades_from - value) / f32::from(g.grades_from);
        if value < g.threshold {
            deficit = deficit.max(g.floor);
        }
        factor *= 1.0 - g.weight * deficit.clamp(0.0, 1.0);
        if value >= g.threshold {
            continue;
        }
        failed.push(g.name);
        if let Some(issue) = g.issue.filter(|i| !issues.contains(i)) {
            issues.push(issue);
        }
    }
    (factor, issues, failed)
}

/// Assesses the largest face in `evidence.faces` on `plane`, records it
/// with its issues, and returns the factor the face contexts' quality is
/// multiplied by (1 when there is no face to judge). A panic in the
/// landmark model costs the assessment, not the analysis.
pub(crate) fn apply(
    plane: &GrayImage,
    original_side: Option<u32>,
    blockiness: Option<f32>,
    evidence: &mut Evidence,
) -> f32 {
    let plane_side = plane.width().max(plane.height()).max(1) as f32;
    let scale = original_side.map_or(1.0, |s| s as f32 / plane_side);
    let faces = evidence.faces.clone();
    let assessed = crate::guard::guard("landmarks", || Ok(assess(plane, &faces, scale, blockiness)));
    let Some(q) = assessed.ok().flatten() else {
        return 1.0;
    };
    let (factor, issues, failed) = judge(&q);
    if !failed.is_empty() {
        evidence
            .findings
            .push(format!("face quality below threshold: {}", failed.join(", ")));
    }
    for issue in issues {
        if !evidence.issues.contains(&issue) {
            evidence.issues.push(issue);
        }
    }
    evidence.face_quality = Some(q);
    factor
}

/// OFIQ's unicity: `100 (1 − sqrt(a2 / a1))` from the two largest boxes'
/// areas; 100 for a lone face.
fn single_face(faces: &[Face]) -> i8 {
    let area = |f: &Face| f64::from(f.width * f.height);
    match faces {
        [] => 0,
        [_] => 100,
        [a, b, ..] => score(100.0 * (1.0 - (area(b) / area(a).max(f64::MIN_POSITIVE)).sqrt())),
    }
}

/// OFIQ's head pose mapping: `100 cos²(angle)`.
fn upright(degrees: f32) -> f64 {
    100.0 * f64::from(degrees).to_radians().cos().powi(2)
}

/// OFIQ's sigmoid: `1 / (1 + e^((x0 − x) / w))`.
fn sigmoid(x: f64, x0: f64, w: f64) -> f64 {
    1.0 / (1.0 + ((x0 - x) / w).exp())
}

/// A component value: rounded and clamped to 0–100, as OFIQ does;
/// [`UNASSESSED`] when the measure is not a number.
fn score(value: f64) -> i8 {
    if value.is_nan() {
        return UNASSESSED;
    }
    value.round().clamp(0.0, 100.0) as i8
}

/// The face box's pixels, for sharpness and compression; `None` when the
/// box is too small to measure detail in.
fn face_crop(plane: &GrayImage, face: &Face) -> Option<GrayImage> {
    let (pw, ph) = (plane.width() as f32, plane.height() as f32);
    let x = (face.x * pw).max(0.0) as u32;
    let y = (face.y * ph).max(0.0) as u32;
    let w = ((face.width * pw) as u32).min(plane.width().saturating_sub(x));
    let h = ((face.height * ph) as u32).min(plane.height().saturating_sub(y));
    (w >= 16 && h >= 16).then(|| image::imageops::crop_imm(plane, x, y, w, h).to_image())
}

/// The landmarks as fractions of a `width`×`height` plane.
fn fractions(m: &Landmarks, width: f32, height: f32) -> FaceLandmarks {
    let f = |p: Point| [p.x / width, p.y / height];
    FaceLandmarks {
        eye_left: f(m.eyes[0]),
        eye_right: f(m.eyes[1]),
        nose: f(m.nose),
        mouth_left: f(m.mouth[0]),
        mouth_right: f(m.mouth[1]),
    }
}

#[cfg(test)]
mod tests;
