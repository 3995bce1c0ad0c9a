//! Face detection with rustface (SeetaFace's funnel-structured cascade),
//! whose frontal model ships inside the crate under BSD-2 and is vendored in
//! `models/` with its licence, so nothing is downloaded or read from disk
//! at run time.
//!
//! Frontal only, which is what identity selfies and document portraits are.

use std::cell::RefCell;
use std::io::Cursor;

use image::GrayImage;
use rustface::{Detector, ImageData};

use crate::evidence::Face;

/// SeetaFace frontal detector v1.0 (BSD-2, see `models/*.LICENSE`).
const MODEL: &[u8] = include_bytes!("../models/seeta_fd_frontal_v1.0.bin");
/// The smallest face the model's window can see, in pixels.
pub(crate) const MIN_WINDOW: u32 = 20;
/// rustface's own recommended threshold; its scores for real faces on the
/// fixtures run from about 5 to 30, and background texture stays below 2.
const SCORE_THRESHOLD: f64 = 2.0;

/// Faces kept per search, largest first.
const MAX_FACES: usize = 8;

thread_local! {
    /// A detector per analysis thread: building one parses the 1.2 MB model
    /// (a few milliseconds), and a detector is not `Sync`.
    static DETECTOR: RefCell<Option<Box<dyn Detector>>> = const { RefCell::new(None) };
}

/// Faces in `plane` at least `min_face` pixels wide, largest first (at most
/// [`MAX_FACES`]), as fractions of the plane.
pub(crate) fn detect(plane: &GrayImage, min_face: u32) -> Vec<Face> {
    let (w, h) = plane.dimensions();
    if w < MIN_WINDOW || h < MIN_WINDOW {
        return Vec::new();
    }
    let found = DETECTOR.with_borrow_mut(|slot| {
        let detector = slot.get_or_insert_with(build);
        detector.set_min_face_size(min_face.max(MIN_WINDOW));
        detector.detect(&ImageData::new(plane.as_raw(), w, h))
    });
    let (fw, fh) = (w as f32, h as f32);
    let mut faces: Vec<Face> = found
        .iter()
        .map(|f| {
            let b = f.bbox();
            // Boxes may reach past the border; clip them to the frame.
            let (x0, y0) = (b.x().max(0) as f32, b.y().max(0) as f32);
            let x1 = (b.x() as f32 + b.width() as f32).min(fw);
            let y1 = (b.y() as f32 + b.height() as f32).min(fh);
            Face {
                x: x0 / fw,
                y: y0 / fh,
                width: (x1 - x0).max(0.0) / fw,
                height: (y1 - y0).max(0.0) / fh,
                score: f.score() as f32,
            }
        })
        .collect();
    faces.sort_by(|a, b| (b.width * b.height).total_cmp(&(a.width * a.height)));
    // A crowd or a patterned wall must not grow the evidence row without
    // bound; the rules only ever look at the largest few.
    faces.truncate(MAX_FACES);
    faces
}

/// The detector with the settings the accuracy rules were tuned with.
fn build() -> Box<dyn Detector> {
    // The model is compiled in and a unit test loads it: failing here is a
    // broken build, not bad input.
    let model = rustface::read_model(Cursor::new(MODEL)).expect("the vendored face model parses");
    let mut detector = rustface::create_detector_with_model(model);
    detector.set_score_thresh(SCORE_THRESHOLD);
    detector.set_pyramid_scale_factor(0.8);
    detector.set_slide_window_step(4, 4);
    detector
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_model_loads_and_a_blank_frame_has_no_face() {
        assert!(detect(&GrayImage::from_pixel(320, 240, image::Luma([128])), 24).is_empty());
    }

    #[test]
    fn a_frame_smaller_than_the_window_has_no_face() {
        assert!(detect(&GrayImage::new(19, 400), 20).is_empty());
    }
}
