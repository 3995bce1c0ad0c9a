//! The 37 MRZ glyphs in OCR-B, and matching a photographed character cell
//! against them by normalised cross-correlation.
//!
//! The templates are drawn from Debian's OCR-B by
//! `assets/ocr-b/make_glyphs.py` (its header says how) and compiled in, at
//! a few levels of blur: a zone is matched against the level its cells
//! agree with best, as a matched filter is.
//! Correlation is blind to a cell's brightness and contrast, so a glyph in
//! shadow or faded print scores as well as a crisp one; a small search over
//! shifts absorbs the reader's cell grid being a pixel or two off.

use std::sync::LazyLock;

use super::icao::Class;

/// Template width: one character pitch.
pub(crate) const W: usize = 16;
/// Template height: the cap height plus a margin above and below.
pub(crate) const H: usize = 22;
/// Rows of `H` from a capital's top to its baseline.
pub(crate) const CAP: usize = 16;
/// Shifts searched either side of a cell's place, in template pixels.
pub(crate) const SHIFT_X: usize = 2;
pub(crate) const SHIFT_Y: usize = 1;
/// A sampled cell with room for the shifts.
pub(crate) const PATCH_W: usize = W + 2 * SHIFT_X;
pub(crate) const PATCH_H: usize = H + 2 * SHIFT_Y;

const TABLE: &[u8] = include_bytes!("../../../assets/ocr-b/glyphs.bin");

/// A glyph, zero-mean and of unit norm so that a dot product with a
/// normalised cell is their correlation.
struct Template {
    glyph: u8,
    weights: Vec<f32>,
}

/// The templates, one set per level of blur, sharpest first.
static TEMPLATES: LazyLock<Vec<Vec<Template>>> = LazyLock::new(|| parse(TABLE));

/// The table's template sets; none when it is not the layout this reader
/// expects (a mismatched regeneration), so that nothing is read rather
/// than everything misread. A test holds the committed table to 37 glyphs.
fn parse(table: &[u8]) -> Vec<Vec<Template>> {
    let header = [b'M', b'R', b'Z', b'G', 2, W as u8, H as u8];
    let Some((head, body)) = table.split_at_checked(9) else {
        return Vec::new();
    };
    let (glyphs, levels) = (usize::from(head[7]), usize::from(head[8]));
    if head[..7] != header || glyphs == 0 || body.len() != levels * glyphs * (1 + W * H) {
        return Vec::new();
    }
    body.chunks_exact(glyphs * (1 + W * H))
        .map(|level| {
            level
                .chunks_exact(1 + W * H)
                .filter_map(|chunk| {
                    let weights = normalised(chunk[1..].iter().map(|&v| f32::from(v)))?;
                    Some(Template {
                        glyph: chunk[0],
                        weights,
                    })
                })
                .collect()
        })
        .collect()
}

/// `values` less their mean, scaled to unit norm; `None` when flat.
fn normalised(values: impl Iterator<Item = f32>) -> Option<Vec<f32>> {
    let mut v: Vec<f32> = values.collect();
    let mean = v.iter().sum::<f32>() / v.len().max(1) as f32;
    v.iter_mut().for_each(|x| *x -= mean);
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm < 1e-3 {
        return None;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    Some(v)
}

/// Levels of blur the templates come at.
pub(crate) fn levels() -> usize {
    TEMPLATES.len()
}

/// The glyph of `class` that best matches a cell, its correlation (−1..1)
/// and the runner-up's (another glyph of the class; −1 when there is none):
/// how far apart they are says how sure the match is, which the
/// correlation alone does not (a blurred cell correlates with many).
/// `None` for a blank cell or when no template admits the class.
///
/// `patch` is `PATCH_W × PATCH_H` samples, ink high, row-major, the cell's
/// expected place at offset (`SHIFT_X`, `SHIFT_Y`).
pub(crate) fn best(patch: &[f32; PATCH_W * PATCH_H], class: Class, level: usize) -> Option<(u8, f32, f32)> {
    let templates = TEMPLATES.get(level)?;
    let windows: Vec<Vec<f32>> = (0..=2 * SHIFT_Y)
        .flat_map(|dy| (0..=2 * SHIFT_X).map(move |dx| (dx, dy)))
        .filter_map(|(dx, dy)| {
            let rows = (0..H).flat_map(|r| patch[(r + dy) * PATCH_W + dx..][..W].iter().copied());
            normalised(rows)
        })
        .collect();
    if windows.is_empty() {
        return None;
    }
    let (mut best, mut runner_up): (Option<(u8, f32)>, f32) = (None, -1.0);
    for t in templates.iter().filter(|t| class.admits(t.glyph)) {
        let score = windows
            .iter()
            .map(|w| w.iter().zip(&t.weights).map(|(a, b)| a * b).sum::<f32>())
            .fold(-1.0, f32::max);
        match best {
            Some((_, s)) if score <= s => runner_up = runner_up.max(score),
            _ => {
                runner_up = best.map_or(runner_up, |(_, s)| runner_up.max(s));
                best = Some((t.glyph, score));
            }
        }
    }
    best.map(|(glyph, score)| (glyph, score, runner_up))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A template's own ink (at blur `level`), placed in a patch at (dx, dy).
    fn patch_of(glyph: u8, level: usize, dx: usize, dy: usize) -> [f32; PATCH_W * PATCH_H] {
        let per_level = 37 * (1 + W * H);
        let chunk = TABLE[9 + level * per_level..][..per_level]
            .chunks_exact(1 + W * H)
            .find(|c| c[0] == glyph)
            .expect("the glyph is in the table");
        let mut patch = [0.0; PATCH_W * PATCH_H];
        for r in 0..H {
            for c in 0..W {
                patch[(r + dy) * PATCH_W + c + dx] = f32::from(chunk[1 + r * W + c]);
            }
        }
        patch
    }

    #[test]
    fn the_committed_table_holds_all_37_glyphs_at_each_blur() {
        assert_eq!(levels(), 3);
        for level in TEMPLATES.iter() {
            let glyphs: Vec<u8> = level.iter().map(|t| t.glyph).collect();
            assert_eq!(glyphs, b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<");
        }
    }

    #[test]
    fn every_glyph_matches_itself_best_even_shifted() {
        for level in 0..levels() {
            for t in &TEMPLATES[level] {
                for (dx, dy) in [(SHIFT_X, SHIFT_Y), (0, 0), (2 * SHIFT_X, 2 * SHIFT_Y)] {
                    let patch = patch_of(t.glyph, level, dx, dy);
                    let (glyph, score, runner_up) = best(&patch, Class::Any, level).expect("a match");
                    assert_eq!(glyph, t.glyph, "{} at ({dx}, {dy})", t.glyph as char);
                    assert!(score > 0.99 && runner_up < score, "{score} {runner_up}");
                }
            }
        }
    }

    #[test]
    fn a_class_keeps_the_reader_to_its_characters() {
        // An O where a date is printed reads as the digit it most resembles.
        let (glyph, _, _) = best(&patch_of(b'O', 0, SHIFT_X, SHIFT_Y), Class::Digit, 0).expect("a digit");
        assert_eq!(glyph, b'0');
        assert_eq!(best(&[0.0; PATCH_W * PATCH_H], Class::Any, 0), None, "a blank cell");
        assert_eq!(best(&patch_of(b'O', 0, 0, 0), Class::Any, 9), None, "no such level");
    }

    #[test]
    fn a_table_of_another_layout_gives_no_templates() {
        assert!(parse(b"MRZG").is_empty());
        assert!(parse(&TABLE[..TABLE.len() - 1]).is_empty());
        let mut other = TABLE.to_vec();
        other[5] = 12;
        assert!(parse(&other).is_empty());
    }
}
