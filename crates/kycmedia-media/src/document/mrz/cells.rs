//! Cutting a line of the zone into its character cells. MRZ characters sit
//! at a fixed pitch, so a line is one grid (where the first cell starts,
//! and the pitch) fitted to the whole line, not per-glyph segmentation,
//! which touching or broken glyphs would defeat.

use super::band::{Band, Line};
use super::glyphs::{CAP, H, PATCH_H, PATCH_W, SHIFT_X, SHIFT_Y, W};

/// Where a line's cells lie: cell `k` spans `start + k·pitch` onwards.
#[derive(Debug, Clone, Copy)]
pub(super) struct Grid {
    pub start: f32,
    pub pitch: f32,
}

/// Where an OCR-B glyph's ink begins in its cell, and the share of the
/// cell its ink spans (from the font: 0.17 and 0.65 of the advance).
const INK_FROM: f32 = 0.17;
const INK_SPAN: f32 = 0.65;

/// The grid of `n` cells that best fits `line`: the pitch and start that
/// put the least print on the cells' borders, searched around what the
/// line's ends give. `None` when the ends give a pitch far from the band's.
pub(super) fn fit(band: &Band, line: &Line, n: usize) -> Option<Grid> {
    let estimate = (line.right - line.left) / (n as f32 - 1.0 + INK_SPAN);
    if !(0.6 * band.pitch..=1.5 * band.pitch).contains(&estimate) {
        return None;
    }
    let columns = profile(band, line);
    let at = |x: f32| {
        let i = x.floor();
        if i < 0.0 || i as usize + 1 >= columns.len() {
            return 0.0;
        }
        let t = x - i;
        columns[i as usize] * (1.0 - t) + columns[i as usize + 1] * t
    };
    let mut best = (f32::MAX, Grid { start: 0.0, pitch: 0.0 });
    for i in -4..=4 {
        let pitch = estimate * (1.0 + 0.008 * i as f32);
        let reach = (0.3 * pitch * 2.0) as i32;
        for o in -reach..=reach {
            let start = line.left - INK_FROM * pitch + o as f32 * 0.5;
            let cost: f32 = (0..=n).map(|k| at(start + k as f32 * pitch)).sum();
            if cost < best.0 {
                best = (cost, Grid { start, pitch });
            }
        }
    }
    Some(best.1)
}

/// Print per column of the line, lightly smoothed.
fn profile(band: &Band, line: &Line) -> Vec<f32> {
    let rows = line.top as usize..=line.bottom as usize;
    let raw: Vec<f32> = (0..band.width)
        .map(|x| rows.clone().filter(|&y| band.is_dark(x, y)).count() as f32)
        .collect();
    (0..raw.len())
        .map(|x| {
            let left = raw[x.saturating_sub(1)];
            let right = raw[(x + 1).min(raw.len() - 1)];
            (left + 2.0 * raw[x] + right) / 4.0
        })
        .collect()
}

/// Cell `k` of the line, resampled to the templates' grid (one pitch to
/// [`W`] columns, the line's cap height to [`CAP`] rows) with room for the
/// matcher's shifts; ink high.
pub(super) fn patch(band: &Band, line: &Line, grid: &Grid, k: usize) -> [f32; PATCH_W * PATCH_H] {
    let cap = line.bottom - line.top + 1.0;
    let (sx, sy) = (grid.pitch / W as f32, cap / CAP as f32);
    let margin = (H - CAP) as f32 / 2.0;
    let half = band.width as f32 / 2.0;
    let mut out = [0.0; PATCH_W * PATCH_H];
    for (r, row) in out.chunks_exact_mut(PATCH_W).enumerate() {
        let y = line.top + (r as f32 - SHIFT_Y as f32 - margin + 0.5) * sy;
        for (c, value) in row.iter_mut().enumerate() {
            let x = grid.start + k as f32 * grid.pitch + (c as f32 - SHIFT_X as f32 + 0.5) * sx;
            *value = 255.0 - band.sample(x, y + band.shear * (x - half));
        }
    }
    out
}
