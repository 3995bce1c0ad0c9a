//! Barcode and QR reading with rxing (a port of ZXing). A code counts only
//! when it decodes: a striped pattern that merely looks like PDF417 proves
//! nothing to a reviewer who needs its data. Where it is, the box of the
//! points the reader found it by, is kept for the reviewer's eye; what it
//! says is not.

use std::collections::HashSet;

use image::GrayImage;
use imageproc::filter::gaussian_blur_f32;
use rxing::common::HybridBinarizer;
use rxing::{
    BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, MultiFormatReader, Point, RXingResultMetadataType,
    RXingResultMetadataValue, Reader,
};

use crate::evidence::{Bounds, Code};

/// The symbologies identity documents carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Symbology {
    /// PDF417: the back of US/Canadian driving licences and many ID cards.
    Pdf417,
    /// QR: EU digital certificates, newer ID cards, residence permits.
    Qr,
}

impl Symbology {
    fn format(self) -> BarcodeFormat {
        match self {
            Symbology::Pdf417 => BarcodeFormat::PDF_417,
            Symbology::Qr => BarcodeFormat::QR_CODE,
        }
    }
}

/// Pre-blur strengths tried after the sharp plane fails. PDF417 readers lose
/// the rows of a code rotated by a few degrees to aliasing; a light blur
/// before binarising recovered about half of such captures in a sweep.
const RETRY_BLURS: [f32; 2] = [0.8, 1.2];

/// The first code of `wanted` that decodes in `plane`, trying the plane as
/// it is and then lightly blurred; `None` if none does.
pub(crate) fn read(plane: &GrayImage, wanted: Symbology) -> Option<Code> {
    decode(plane, wanted).or_else(|| {
        RETRY_BLURS
            .iter()
            .find_map(|&sigma| decode(&gaussian_blur_f32(plane, sigma), wanted))
    })
}

fn decode(plane: &GrayImage, wanted: Symbology) -> Option<Code> {
    let (w, h) = plane.dimensions();
    let source = Luma8Source::new_with_slice(plane.as_raw(), w, h).ok()?;
    let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
    let hints = DecodeHints {
        PossibleFormats: Some(HashSet::from([wanted.format()])),
        TryHarder: Some(true),
        ..DecodeHints::default()
    };
    let result = MultiFormatReader::default()
        .decode_with_hints(&mut bitmap, &hints)
        .ok()?;
    let (format, rotation) = match result.getBarcodeFormat() {
        // The PDF417 detector turns the whole bit matrix until it finds a
        // code, and its points are in the turned matrix.
        BarcodeFormat::PDF_417 => {
            let turned = result
                .getRXingResultMetadata()
                .get(&RXingResultMetadataType::ORIENTATION);
            let rotation = match turned {
                Some(RXingResultMetadataValue::Orientation(degrees)) => *degrees,
                _ => 0,
            };
            ("pdf417", rotation)
        }
        BarcodeFormat::QR_CODE => ("qr", 0),
        _ => return None,
    };
    Some(Code {
        format,
        payload_bytes: result.getText().len(),
        bounds: bounds(result.getPoints(), rotation, w, h),
    })
}

/// The box of `points`, found in `plane`'s bit matrix turned
/// counterclockwise by `rotation` degrees, as fractions of the `width ×
/// height` plane; `None` for fewer than two points, a rotation that is no
/// quarter turn, or a box of no area.
fn bounds(points: &[Point], rotation: i32, width: u32, height: u32) -> Option<Bounds> {
    if points.len() < 2 || width == 0 || height == 0 {
        return None;
    }
    let (w, h) = (width as f32, height as f32);
    // Where a point of the turned matrix is in the plane (the inverse of
    // rxing's `BitMatrix::rotate`, which turns counterclockwise).
    let unturn = |p: &Point| match rotation.rem_euclid(360) {
        0 => Some((p.x, p.y)),
        90 => Some((w - 1.0 - p.y, p.x)),
        180 => Some((w - 1.0 - p.x, h - 1.0 - p.y)),
        270 => Some((p.y, h - 1.0 - p.x)),
        _ => None,
    };
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for point in points {
        let (x, y) = unturn(point)?;
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let (x0, x1) = ((x0 / w).clamp(0.0, 1.0), (x1 / w).clamp(0.0, 1.0));
    let (y0, y1) = ((y0 / h).clamp(0.0, 1.0), (y1 / h).clamp(0.0, 1.0));
    if !(x1 > x0 && y1 > y0) {
        return None;
    }
    Some(Bounds {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version 1 QR code (error correction M) of 13 bytes, module by module.
    const QR: [&str; 21] = [
        "#######....#..#######",
        "#.....#..####.#.....#",
        "#.###.#.##.##.#.###.#",
        "#.###.#.#.##..#.###.#",
        "#.###.#.#...#.#.###.#",
        "#.....#.###.#.#.....#",
        "#######.#.#.#.#######",
        "........#...#........",
        "#.#####..##.#.#####..",
        ".#.##..##...#..##..##",
        "#.#..##.....##...###.",
        ".##..#...##.#....####",
        "...#####.#.##.###...#",
        "........#.##...##.#.#",
        "#######..#.##....#.#.",
        "#.....#.#..#.#.#.###.",
        "#.###.#.###.###....##",
        "#.###.#.##.#.#.###...",
        "#.###.#.#.###....##..",
        "#.....#....###...##..",
        "#######.#.###.#....#.",
    ];

    /// A white `width × height` plane with `QR` drawn at `(left, top)`,
    /// `module` pixels a module.
    fn plane_with_qr(width: u32, height: u32, left: u32, top: u32, module: u32) -> GrayImage {
        GrayImage::from_fn(width, height, |x, y| {
            let (Some(cx), Some(cy)) = (x.checked_sub(left), y.checked_sub(top)) else {
                return image::Luma([255]);
            };
            let dark = QR
                .get((cy / module) as usize)
                .and_then(|row| row.as_bytes().get((cx / module) as usize))
                == Some(&b'#');
            image::Luma([if dark { 0 } else { 255 }])
        })
    }

    #[test]
    fn a_decoded_code_records_where_it_is_as_fractions_of_the_frame() {
        let (width, height, left, top, module) = (400, 300, 200, 60, 6);
        let code = read(&plane_with_qr(width, height, left, top, module), Symbology::Qr).expect("the QR decodes");
        assert_eq!((code.format, code.payload_bytes), ("qr", 13));
        let bounds = code.bounds.expect("QR results carry points");
        // The code's square, in fractions; the points lie inside it.
        let side = (21 * module) as f32;
        let (x0, y0) = (left as f32 / width as f32, top as f32 / height as f32);
        let (x1, y1) = (x0 + side / width as f32, y0 + side / height as f32);
        let slack = 0.01;
        assert!(
            bounds.x >= x0 - slack && bounds.x + bounds.width <= x1 + slack,
            "{bounds:?}"
        );
        assert!(
            bounds.y >= y0 - slack && bounds.y + bounds.height <= y1 + slack,
            "{bounds:?}"
        );
        // And cover most of it: finder centres are 3.5 modules in from its edges.
        assert!(bounds.width >= 0.6 * side / width as f32, "{bounds:?}");
        assert!(bounds.height >= 0.6 * side / height as f32, "{bounds:?}");
    }

    #[test]
    fn points_found_in_a_turned_matrix_are_turned_back_into_the_plane() {
        let p = |x, y| Point { x, y };
        // A box at x 10..30, y 20..40 of a 100 × 50 plane, and the same
        // points in the matrix turned counterclockwise as rxing turns it:
        // by 90° (50 wide, 100 high) the plane's (x, y) is (y, 99 - x).
        let plane = [p(10.0, 20.0), p(30.0, 40.0)];
        let turned_90: Vec<Point> = plane.iter().map(|q| p(q.y, 99.0 - q.x)).collect();
        let turned_180: Vec<Point> = plane.iter().map(|q| p(99.0 - q.x, 49.0 - q.y)).collect();
        let turned_270: Vec<Point> = plane.iter().map(|q| p(49.0 - q.y, q.x)).collect();
        let expected = bounds(&plane, 0, 100, 50).unwrap();
        assert!((expected.x - 0.1).abs() < 1e-6 && (expected.width - 0.2).abs() < 1e-6);
        assert!((expected.y - 0.4).abs() < 1e-6 && (expected.height - 0.4).abs() < 1e-6);
        for (points, rotation) in [(turned_90, 90), (turned_180, 180), (turned_270, 270)] {
            let got = bounds(&points, rotation, 100, 50).unwrap();
            for (a, b) in [(got.x, expected.x), (got.y, expected.y), (got.width, expected.width)] {
                assert!((a - b).abs() < 1e-6, "{rotation}: {got:?} vs {expected:?}");
            }
        }
    }

    #[test]
    fn too_few_points_or_a_box_of_no_area_give_no_bounds() {
        let p = |x, y| Point { x, y };
        assert_eq!(bounds(&[], 0, 100, 100), None);
        assert_eq!(bounds(&[p(5.0, 5.0)], 0, 100, 100), None);
        assert_eq!(bounds(&[p(5.0, 5.0), p(5.0, 50.0)], 0, 100, 100), None);
        assert_eq!(bounds(&[p(5.0, 5.0), p(50.0, 50.0)], 45, 100, 100), None);
        let clamped = bounds(&[p(-20.0, 5.0), p(150.0, 50.0)], 0, 100, 100).unwrap();
        assert_eq!((clamped.x, clamped.width), (0.0, 1.0));
    }

    #[test]
    fn a_blank_plane_holds_no_code() {
        let blank = GrayImage::from_pixel(200, 100, image::Luma([255]));
        assert_eq!(read(&blank, Symbology::Qr), None);
        assert_eq!(read(&blank, Symbology::Pdf417), None);
    }
}
