//! The full-size decode, kept as stored and read upright through its EXIF
//! orientation: turning 12 MP to read a strip of print a few hundred pixels
//! high would cost more than the reading.

use image::metadata::Orientation;

/// A full-size luma plane in its stored orientation.
pub(crate) struct Full {
    width: usize,
    height: usize,
    grey: Vec<u8>,
    /// Stored coordinates of an upright point (x, y): `[a, b, c, d, e, f]`
    /// with `x_s = a·x + b·y + c`, `y_s = d·x + e·y + f`.
    map: [f32; 6],
    upright: (usize, usize),
}

impl Full {
    /// `grey` must hold `width * height` samples (a shorter buffer reads as
    /// paper-white beyond its end rather than failing).
    pub(crate) fn new(width: usize, height: usize, grey: Vec<u8>, orientation: Orientation) -> Full {
        let (w, h) = (width as f32, height as f32);
        use Orientation as O;
        // Continuous coordinates (pixel i spans [i, i + 1)), so each case
        // is the exact inverse of the turn `image` applies.
        let map = match orientation {
            O::NoTransforms => [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            O::Rotate90 => [0.0, 1.0, 0.0, -1.0, 0.0, h],
            O::Rotate180 => [-1.0, 0.0, w, 0.0, -1.0, h],
            O::Rotate270 => [0.0, -1.0, w, 1.0, 0.0, 0.0],
            O::FlipHorizontal => [-1.0, 0.0, w, 0.0, 1.0, 0.0],
            O::FlipVertical => [1.0, 0.0, 0.0, 0.0, -1.0, h],
            O::Rotate90FlipH => [0.0, 1.0, 0.0, 1.0, 0.0, 0.0],
            O::Rotate270FlipH => [0.0, -1.0, w, -1.0, 0.0, h],
        };
        let turned = matches!(
            orientation,
            O::Rotate90 | O::Rotate270 | O::Rotate90FlipH | O::Rotate270FlipH
        );
        Full {
            width,
            height,
            grey,
            map,
            upright: if turned { (height, width) } else { (width, height) },
        }
    }

    /// An upright plane as its own full-size decode (a video's keyframe,
    /// which is kept only at the working size).
    pub(crate) fn of_plane(plane: &image::GrayImage) -> Full {
        let (w, h) = (plane.width() as usize, plane.height() as usize);
        Full::new(w, h, plane.as_raw().clone(), Orientation::NoTransforms)
    }

    /// Width and height of the upright frame.
    pub(crate) fn size(&self) -> (usize, usize) {
        self.upright
    }

    /// Luma at the upright point (x, y), bilinear between pixel centres;
    /// the nearest edge pixel outside the frame.
    pub(crate) fn sample(&self, x: f32, y: f32) -> f32 {
        let [a, b, c, d, e, f] = self.map;
        let (maxx, maxy) = (self.width.saturating_sub(1), self.height.saturating_sub(1));
        // Clamped first, so truncation is floor (`floor` is a libm call,
        // and this runs for every pixel of a rectified zone). NaN clamps
        // to NaN and truncates to 0.
        let sx = (a * x + b * y + c - 0.5).clamp(0.0, maxx as f32);
        let sy = (d * x + e * y + f - 0.5).clamp(0.0, maxy as f32);
        let (x0, y0) = (sx as usize, sy as usize);
        let (x1, y1) = ((x0 + 1).min(maxx), (y0 + 1).min(maxy));
        let (tx, ty) = (sx - x0 as f32, sy - y0 as f32);
        let (tx, ty) = (if tx.is_nan() { 0.0 } else { tx }, if ty.is_nan() { 0.0 } else { ty });
        let at = |x: usize, y: usize| f32::from(self.grey.get(y * self.width + x).copied().unwrap_or(255));
        let top = at(x0, y0) * (1.0 - tx) + at(x1, y0) * tx;
        let bottom = at(x0, y1) * (1.0 - tx) + at(x1, y1) * tx;
        top * (1.0 - ty) + bottom * ty
    }
}

#[cfg(test)]
mod tests {
    use image::{DynamicImage, GrayImage};

    use super::*;

    #[test]
    fn sampling_upright_matches_every_turn_image_applies() {
        let stored = GrayImage::from_fn(5, 3, |x, y| image::Luma([(x * 40 + y * 7) as u8]));
        for exif in 1..=8u8 {
            let orientation = Orientation::from_exif(exif).expect("a valid EXIF orientation");
            let mut turned = DynamicImage::ImageLuma8(stored.clone());
            turned.apply_orientation(orientation);
            let turned = turned.into_luma8();
            let full = Full::new(5, 3, stored.as_raw().clone(), orientation);
            assert_eq!(
                full.size(),
                (turned.width() as usize, turned.height() as usize),
                "{exif}"
            );
            for (x, y, p) in turned.enumerate_pixels() {
                let v = full.sample(x as f32 + 0.5, y as f32 + 0.5);
                assert!((v - f32::from(p.0[0])).abs() < 1e-3, "orientation {exif} at ({x}, {y})");
            }
        }
    }

    #[test]
    fn sampling_outside_or_past_a_short_buffer_does_not_panic() {
        let full = Full::new(4, 4, vec![0; 5], Orientation::NoTransforms);
        assert_eq!(full.sample(-10.0, 1e9), 255.0);
        assert!(full.sample(f32::NAN, 2.0).is_finite());
    }
}
