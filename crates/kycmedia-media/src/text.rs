//! Is this a page of print? Proof of address is a letter or a statement:
//! light paper covered in many small dark marks (glyphs and words) — a
//! pattern scenes, faces and plain cards do not make.

use image::{GrayImage, Luma, imageops};
use imageproc::region_labelling::{Connectivity, connected_components};
use imageproc::stats::percentile;

use crate::evidence::{Print, Region};

/// Mostly blank paper, a plausible amount of ink, and enough separate
/// marks to be lines of text rather than a picture or a single logo.
/// Brightness is relative throughout, so a dim photo of a letter is still
/// a letter (its quality pays for the dimness).
pub(crate) fn is_text_page(print: &Print) -> bool {
    print.blank >= 0.35 && print.contrast >= 25 && (0.01..=0.40).contains(&print.density) && print.marks_per_kpx >= 1.0
}

/// A block of printed fields beside a portrait: mostly the card's plain
/// ground, some ink, in many small marks. Stricter than a page on
/// blankness and contrast (short lines of print on an empty card), as
/// what else lies beside a face (hair, a shelf, foliage) is dense, or
/// has few separate marks, or is not blank.
pub(crate) fn is_field_block(print: &Print) -> bool {
    print.blank >= 0.5 && print.contrast >= 30 && (0.02..=0.30).contains(&print.density) && print.marks_per_kpx >= 1.0
}

/// Measures print inside `region` (a fraction box of the plane), or the
/// whole plane when no page outline was found.
pub(crate) fn measure(plane: &GrayImage, region: Option<&Region>) -> Print {
    let (w, h) = plane.dimensions();
    let crop = match region {
        Some(r) => {
            let x = (r.x * w as f32) as u32;
            let y = (r.y * h as f32) as u32;
            let cw = ((r.width * w as f32) as u32).clamp(1, w.saturating_sub(x).max(1));
            let ch = ((r.height * h as f32) as u32).clamp(1, h.saturating_sub(y).max(1));
            imageops::crop_imm(plane, x, y, cw, ch).to_image()
        }
        None => plane.clone(),
    };
    let (cw, ch) = crop.dimensions();
    let n = (cw as usize * ch as usize).max(1) as f32;
    let (paper, dark) = (percentile(&crop, 90), percentile(&crop, 2));
    let contrast = paper.saturating_sub(dark);
    // Ink is anything well below the paper: halfway to the darkest marks,
    // so that print softened by blur or dimmed by exposure still counts.
    let level = paper.saturating_sub((contrast / 2).max(20));
    let near_paper = (f32::from(paper) * 0.12).max(12.0);
    let ink = GrayImage::from_fn(cw, ch, |x, y| {
        Luma([if crop.get_pixel(x, y).0[0] < level { 255 } else { 0 }])
    });
    let inked = ink.pixels().filter(|p| p.0[0] == 255).count();
    let blank = crop
        .pixels()
        .filter(|p| (f32::from(p.0[0]) - f32::from(paper)).abs() <= near_paper)
        .count();
    Print {
        density: inked as f32 / n,
        marks_per_kpx: marks(&ink) as f32 * 1000.0 / n,
        blank: blank as f32 / n,
        contrast,
    }
}

/// Connected ink blobs no taller than a line of text and no wider than a
/// quarter of the page: letters, words, digits — not photos or borders.
fn marks(ink: &GrayImage) -> usize {
    let (w, h) = ink.dimensions();
    let labels = connected_components(ink, Connectivity::Eight, Luma([0]));
    // Per label: min x, min y, max x, max y.
    let mut boxes: Vec<[u32; 4]> = Vec::new();
    for (x, y, label) in labels.enumerate_pixels() {
        let Some(i) = (label.0[0] as usize).checked_sub(1) else {
            continue;
        };
        if boxes.len() <= i {
            boxes.resize(i + 1, [u32::MAX, u32::MAX, 0, 0]);
        }
        let b = &mut boxes[i];
        *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    let (max_h, max_w) = ((h / 16).max(3), (w / 4).max(3));
    boxes
        .iter()
        .filter(|b| b[2] >= b[0] && b[3] - b[1] < max_h && b[2] - b[0] < max_w)
        .count()
}

#[cfg(test)]
mod tests {
    use imageproc::drawing::draw_filled_rect_mut;
    use imageproc::rect::Rect;

    use super::*;

    #[test]
    fn lines_of_small_dark_marks_on_white_are_a_text_page() {
        let mut page = GrayImage::from_pixel(300, 420, Luma([235]));
        for line in 0..30 {
            for word in 0..12 {
                let at = Rect::at(10 + word * 24, 12 + line * 13).of_size(16, 6);
                draw_filled_rect_mut(&mut page, at, Luma([30]));
            }
        }
        let print = measure(&page, None);
        assert!(is_text_page(&print), "{print:?}");
    }

    #[test]
    fn a_blank_sheet_and_a_dark_frame_are_not() {
        assert!(!is_text_page(&measure(
            &GrayImage::from_pixel(300, 420, Luma([235])),
            None
        )));
        assert!(!is_text_page(&measure(
            &GrayImage::from_pixel(300, 420, Luma([20])),
            None
        )));
    }
}
