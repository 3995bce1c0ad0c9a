//! Where the face sits and how it is turned, from the five landmarks: the
//! pose angles, the inter-eye distance, the eye-to-chin distance OFIQ
//! calls T, and how far the face is from each edge of the frame.
//!
//! OFIQ fits a 3D head model (3DDFA-V2) for the angles and reads the chin
//! from 98 landmarks; five points cannot do either exactly, so the angles
//! come from a generic head's proportions and T from the eye–mouth
//! distance (see `docs/face-quality.md`).

use crate::landmarks::{Landmarks, Point};

/// How far the nose tip stands in front of the eyes' and mouth's plane, as
/// a share of the inter-eye distance (a generic adult head: ~24 mm against
/// ~63 mm). Turning the head by θ moves the nose off the face's midline by
/// this × IED × sin θ while the eyes close to IED × cos θ.
const NOSE_DEPTH_PER_IED: f32 = 0.38;
/// The same depth as a share of the eye–mouth distance (~24 mm of ~64 mm).
const NOSE_DEPTH_PER_EYE_MOUTH: f32 = 0.375;
/// Where the nose tip sits between the eyes (0) and the mouth (1) in a
/// frontal view, for CenterFace's points: ~0.53 on a generic head.
const FRONTAL_NOSE_HEIGHT: f32 = 0.53;
/// Eye-to-chin distance (OFIQ's T) over the eye-to-mouth distance: adult
/// means put the chin ~110 mm and the mouth ~65 mm below the pupils
/// (a broad smile raises the mouth's corners and makes it more: 1.9 on
/// the astronaut portrait).
const CHIN_PER_EYE_MOUTH: f32 = 1.7;

/// Pose and distances of one face, in pixels of the plane it was found on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Geometry {
    /// In-plane rotation of the eye line, degrees; positive when the eye
    /// on the image's right is lower.
    pub roll: f32,
    /// Left–right turn, degrees; positive when the nose points to the
    /// image's right.
    pub yaw: f32,
    /// Up–down tilt, degrees; positive when the chin is raised.
    pub pitch: f32,
    /// Distance between the eye centres as seen (not corrected for yaw).
    pub eye_distance: f32,
    /// OFIQ's T: eye midpoint to chin, estimated from the mouth.
    pub eye_to_chin: f32,
    pub eye_mid: Point,
    pub mouth_mid: Point,
    /// The mouth's midpoint in the face's upright frame (from the eyes'
    /// midpoint, eye line level), and the distance between its corners.
    pub mouth: Point,
    pub mouth_width: f32,
}

impl Geometry {
    /// `None` when the eyes coincide (a degenerate detection).
    pub(super) fn of(marks: &Landmarks) -> Option<Geometry> {
        let [l, r] = marks.eyes;
        let eye_distance = (r.x - l.x).hypot(r.y - l.y);
        if eye_distance.is_nan() || eye_distance <= 1.0 {
            return None;
        }
        let roll = (r.y - l.y).atan2(r.x - l.x);
        let eye_mid = mid(l, r);
        let mouth_mid = mid(marks.mouth[0], marks.mouth[1]);
        // In the face's own upright frame (eye line level, eyes' midpoint
        // at the origin).
        let upright = |p: Point| {
            turn(
                Point {
                    x: p.x - eye_mid.x,
                    y: p.y - eye_mid.y,
                },
                -roll,
            )
        };
        let (mouth, nose) = (upright(mouth_mid), upright(marks.nose));
        let eye_mouth = mouth.x.hypot(mouth.y);
        if eye_mouth.is_nan() || eye_mouth <= 1.0 {
            return None;
        }
        // The midline runs from the eyes' midpoint to the mouth's, both on
        // the face's plane; the nose tip in front of it moves off it.
        let off_midline = nose.x - nose.y / mouth.y.max(1.0) * mouth.x;
        let yaw = (off_midline / (NOSE_DEPTH_PER_IED * eye_distance)).atan();
        let height = nose.y / mouth.y.max(1.0);
        let pitch = ((FRONTAL_NOSE_HEIGHT - height) / NOSE_DEPTH_PER_EYE_MOUTH).atan();
        Some(Geometry {
            roll: roll.to_degrees(),
            yaw: yaw.to_degrees(),
            pitch: pitch.to_degrees(),
            eye_distance,
            eye_to_chin: CHIN_PER_EYE_MOUTH * eye_mouth / pitch.cos().max(0.5),
            eye_mid,
            mouth_mid,
            mouth,
            mouth_width: (marks.mouth[1].x - marks.mouth[0].x).hypot(marks.mouth[1].y - marks.mouth[0].y),
        })
    }

    /// The inter-eye distance as OFIQ reports it: corrected for yaw (a
    /// turned head shows its eyes closer than they are), in pixels of the
    /// original image (`scale` original pixels per plane pixel).
    pub(super) fn inter_eye_pixels(&self, scale: f32) -> f32 {
        self.eye_distance * scale / self.yaw.to_radians().cos().max(0.1)
    }

    /// OFIQ's crop measures, raw: the distance from the outer eye to the
    /// left and right edges in inter-eye distances, and from the eyes'
    /// midpoint to the top and bottom edges in T, on a `width`×`height`
    /// plane.
    pub(super) fn margins(&self, marks: &Landmarks, width: f32, height: f32) -> [f32; 4] {
        let [l, r] = marks.eyes;
        [
            l.x / self.eye_distance,
            (width - r.x) / self.eye_distance,
            self.eye_mid.y / self.eye_to_chin,
            (height - self.eye_mid.y) / self.eye_to_chin,
        ]
    }

    /// A point `along` (to the image's right) and `down` from the eyes'
    /// midpoint in the face's own upright frame, in plane pixels.
    pub(super) fn at(&self, along: f32, down: f32) -> Point {
        let p = turn(Point { x: along, y: down }, self.roll.to_radians());
        Point {
            x: self.eye_mid.x + p.x,
            y: self.eye_mid.y + p.y,
        }
    }
}

fn mid(a: Point, b: Point) -> Point {
    Point {
        x: (a.x + b.x) / 2.0,
        y: (a.y + b.y) / 2.0,
    }
}

/// `p` rotated by `angle` radians about the origin (image axes: y down).
fn turn(p: Point, angle: f32) -> Point {
    let (s, c) = angle.sin_cos();
    Point {
        x: p.x * c - p.y * s,
        y: p.x * s + p.y * c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(points: [(f32, f32); 5]) -> Landmarks {
        let p = |i: usize| Point {
            x: points[i].0,
            y: points[i].1,
        };
        Landmarks {
            eyes: [p(0), p(1)],
            nose: p(2),
            mouth: [p(3), p(4)],
            score: 0.9,
        }
    }

    #[test]
    fn a_frontal_face_has_no_roll_yaw_or_pitch() {
        let g = Geometry::of(&marks([
            (40.0, 50.0),
            (100.0, 50.0),
            (70.0, 84.0),
            (48.0, 114.0),
            (92.0, 114.0),
        ]))
        .unwrap();
        assert!(g.roll.abs() < 0.5 && g.yaw.abs() < 0.5 && g.pitch.abs() < 1.0, "{g:?}");
        assert_eq!(g.eye_distance, 60.0);
    }

    #[test]
    fn the_eye_line_gives_the_roll_and_the_nose_the_yaw() {
        let g = Geometry::of(&marks([
            (40.0, 50.0),
            (100.0, 60.0),
            (70.0, 89.0),
            (48.0, 119.0),
            (92.0, 124.0),
        ]))
        .unwrap();
        assert!((g.roll - 9.46).abs() < 0.1, "{g:?}");
        let turned = Geometry::of(&marks([
            (40.0, 50.0),
            (100.0, 50.0),
            (90.0, 84.0),
            (48.0, 114.0),
            (92.0, 114.0),
        ]))
        .unwrap();
        assert!(turned.yaw > 30.0, "{turned:?}");
    }

    #[test]
    fn coinciding_eyes_are_no_geometry() {
        assert_eq!(Geometry::of(&marks([(40.0, 50.0); 5])), None);
    }
}
