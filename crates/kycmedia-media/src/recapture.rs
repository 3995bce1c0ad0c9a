//! Recaptures: a face shown on a screen or printed, and photographed again
//! — the cheapest presentation attack, and one a reviewer rejects on sight.
//! However sharp, well lit and frontal the face in it is, it is not a live
//! capture, so the face contexts must not count it a match.
//!
//! What gives one away is a pattern no skin has: a screen's sub-pixel grid
//! (aliased into moiré by the camera) or a print's halftone dots, both
//! periodic, so each is a sharp, isolated peak in the spectrum of the face
//! region, far above the spectrum around it. A live face's spectrum falls
//! smoothly with frequency; blur, noise and exposure change its slope or
//! floor, not its smoothness. The one periodic pattern a genuine photo has,
//! the JPEG block grid, sits at multiples of 1/8 cycle a pixel and is left
//! out.

use std::sync::{Arc, OnceLock};

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

use crate::decode::Full;
use crate::evidence::Face;

/// Side of the square tiles whose spectra are averaged (Welch's method):
/// 1/64 cycle a pixel apart, fine enough to part a peak from its
/// surroundings.
const TILE: usize = 64;
/// Tiles overlap by half: twice the averages from the same face, which
/// keeps a live face's chance peaks low (without it motion blur's lobes
/// reach within a tenth of the threshold on the evaluation set).
const STRIDE: usize = TILE / 2;
/// Most tiles read, spread over the face: enough averaging that a live
/// face's strongest chance peak stays near e² over its surroundings, few
/// enough to cost a couple of milliseconds.
const MAX_TILES: usize = 64;
/// Fewest tiles the statistic needs (a face box of at least 128 px a side
/// at full size).
const MIN_TILES: usize = 9;
/// Frequencies searched, in cycles a pixel: above the face's own structure
/// (eyes, mouth, hair strands below ~0.1) and short of the very corner of
/// the spectrum.
const BAND: (f32, f32) = (0.12, 0.49);
/// Peaks averaged into the statistic: a screen's grid or a print's screen
/// gives several (harmonics, colours, two axes); a chance peak is alone.
const PEAKS: usize = 4;
/// Peak strength (natural log of power over the surrounding spectrum's
/// median) from which the face is taken for a recapture: live faces reach
/// 3.2 at most on the evaluation sets, recaptures 4.3 at least
/// (`docs/face-quality.md`).
pub(crate) const RECAPTURED: f32 = 3.75;

/// The strength of the strongest periodic patterns over `face` (a box in
/// fractions of the upright frame) in the full-size decode: the mean of
/// the [`PEAKS`] largest log ratios of a spectral bin's power over the
/// median of the bins two and three steps around it. `None` when the face
/// is too small at full size to hold [`MIN_TILES`] tiles.
pub(crate) fn peak(full: &Full, face: &Face) -> Option<f32> {
    let (w, h) = full.size();
    let (w, h) = (w as f32, h as f32);
    let x0 = (face.x * w).max(0.0);
    let y0 = (face.y * h).max(0.0);
    let x1 = ((face.x + face.width) * w).min(w);
    let y1 = ((face.y + face.height) * h).min(h);
    let fits = |extent: f32| ((extent - TILE as f32) / STRIDE as f32 + 1.0).max(0.0) as usize;
    let (across, down) = (fits(x1 - x0), fits(y1 - y0));
    if across * down < MIN_TILES {
        return None;
    }
    let spectrum = welch(full, (x0, y0), tiles(across, down));
    Some(strongest(&spectrum))
}

/// Tile positions (column, row) on an `across`×`down` grid of
/// [`STRIDE`] steps, at most [`MAX_TILES`] of them, evenly thinned.
fn tiles(across: usize, down: usize) -> Vec<(usize, usize)> {
    let all: Vec<(usize, usize)> = (0..down).flat_map(|r| (0..across).map(move |c| (c, r))).collect();
    let step = all.len().div_ceil(MAX_TILES).max(1);
    all.into_iter().step_by(step).collect()
}

/// The one 64-point transform, planned once.
fn fft() -> &'static Arc<dyn Fft<f32>> {
    static PLAN: OnceLock<Arc<dyn Fft<f32>>> = OnceLock::new();
    PLAN.get_or_init(|| FftPlanner::new().plan_fft_forward(TILE))
}

/// The Hann window's weights.
fn hann() -> &'static [f32; TILE] {
    static WINDOW: OnceLock<[f32; TILE]> = OnceLock::new();
    WINDOW.get_or_init(|| {
        std::array::from_fn(|i| {
            let t = std::f32::consts::TAU * i as f32 / (TILE - 1) as f32;
            0.5 - 0.5 * t.cos()
        })
    })
}

/// The natural log of the mean power spectrum of the tiles (row-major,
/// `TILE`², frequency 0 at index 0).
fn welch(full: &Full, (x0, y0): (f32, f32), tiles: Vec<(usize, usize)>) -> Vec<f32> {
    let (fft, window) = (fft(), hann());
    let mut power = vec![0f32; TILE * TILE];
    let mut rows = vec![Complex32::default(); TILE * TILE];
    let mut columns = vec![Complex32::default(); TILE * TILE];
    let count = tiles.len() as f32;
    for (c, r) in tiles {
        let (left, top) = (x0 + (c * STRIDE) as f32, y0 + (r * STRIDE) as f32);
        for y in 0..TILE {
            for x in 0..TILE {
                let v = full.sample(left + x as f32 + 0.5, top + y as f32 + 0.5);
                rows[y * TILE + x] = Complex32::new(v, 0.0);
            }
        }
        let mean = rows.iter().map(|z| z.re).sum::<f32>() / (TILE * TILE) as f32;
        for (i, z) in rows.iter_mut().enumerate() {
            z.re = (z.re - mean) * window[i / TILE] * window[i % TILE];
        }
        fft.process(&mut rows);
        for (i, z) in rows.iter().enumerate() {
            columns[(i % TILE) * TILE + i / TILE] = *z;
        }
        fft.process(&mut columns);
        // `columns` holds the transform transposed: (u, v) at u·TILE + v.
        for (i, z) in columns.iter().enumerate() {
            power[(i % TILE) * TILE + i / TILE] += z.norm_sqr();
        }
    }
    power.iter().map(|p| (p / count + 1e-3).ln()).collect()
}

/// Whether the bin (u, v) lies at or next to a harmonic of the JPEG block
/// grid (every 1/8 cycle a pixel on both axes).
fn on_block_grid(u: usize, v: usize) -> bool {
    let near = |k: usize| matches!(k % (TILE / 8), 0 | 1 | 7);
    near(u) && near(v)
}

/// The mean of the [`PEAKS`] largest excesses of a bin over its ring's
/// median, over the searched band.
fn strongest(spectrum: &[f32]) -> f32 {
    let at = |u: isize, v: isize| {
        let (u, v) = (
            u.rem_euclid(TILE as isize) as usize,
            v.rem_euclid(TILE as isize) as usize,
        );
        spectrum[v * TILE + u]
    };
    let signed = |k: usize| {
        if k >= TILE / 2 {
            k as f32 - TILE as f32
        } else {
            k as f32
        }
    };
    let mut excess = Vec::new();
    let mut ring = Vec::with_capacity(40);
    // Half the plane, each bin once: a real signal's spectrum is
    // symmetric, (u, v) the mirror of (−u, −v), and on the row v = 0 that
    // mirror is in the same row (counted twice, one peak would pass for two).
    for v in 0..=TILE / 2 {
        let columns = if v == 0 { TILE / 2 + 1 } else { TILE };
        for u in 0..columns {
            let radius = signed(u).hypot(signed(v)) / TILE as f32;
            if !(BAND.0..BAND.1).contains(&radius) || on_block_grid(u, v) {
                continue;
            }
            ring.clear();
            for dv in -3isize..=3 {
                for du in -3isize..=3 {
                    if du.abs().max(dv.abs()) >= 2 {
                        ring.push(at(u as isize + du, v as isize + dv));
                    }
                }
            }
            let mid = ring.len() / 2;
            let (_, median, _) = ring.select_nth_unstable_by(mid, f32::total_cmp);
            excess.push(at(u as isize, v as isize) - *median);
        }
    }
    excess.sort_unstable_by(|a, b| b.total_cmp(a));
    let top = &excess[..PEAKS.min(excess.len())];
    top.iter().sum::<f32>() / top.len().max(1) as f32
}

#[cfg(test)]
mod tests {
    use image::metadata::Orientation;

    use super::*;

    fn face() -> Face {
        Face {
            x: 0.1,
            y: 0.1,
            width: 0.8,
            height: 0.8,
            score: 10.0,
        }
    }

    /// A smooth, face-like field: broad shading and a few soft blobs, with
    /// deterministic grain.
    fn smooth(w: usize, h: usize) -> Vec<f32> {
        let mut seed = 0x2545_f491u32;
        (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let grain = (seed % 1000) as f32 / 1000.0 * 6.0 - 3.0;
                128.0 + 50.0 * (x / 60.0).sin() * (y / 80.0).cos() + 20.0 * ((x + y) / 25.0).sin() + grain
            })
            .collect()
    }

    fn full(values: &[f32], w: usize, h: usize) -> Full {
        let grey = values.iter().map(|v| v.round().clamp(0.0, 255.0) as u8).collect();
        Full::new(w, h, grey, Orientation::NoTransforms)
    }

    #[test]
    fn a_smooth_face_like_field_shows_no_periodic_pattern() {
        let (w, h) = (400, 400);
        let peak = peak(&full(&smooth(w, h), w, h), &face()).expect("large enough");
        assert!(peak < RECAPTURED, "{peak}");
    }

    #[test]
    fn the_same_field_behind_a_fine_dot_screen_is_a_recapture() {
        let (w, h) = (400, 400);
        let screened: Vec<f32> = smooth(w, h)
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                // A halftone-like screen: 5 px cells, turned 15°.
                let (a, b) = (0.966 * x + 0.259 * y, -0.259 * x + 0.966 * y);
                v * (0.8 + 0.2 * (std::f32::consts::TAU * a / 5.0).cos() * (std::f32::consts::TAU * b / 5.0).cos())
            })
            .collect();
        let peak = peak(&full(&screened, w, h), &face()).expect("large enough");
        assert!(peak > RECAPTURED, "{peak}");
    }

    #[test]
    fn the_jpeg_block_grid_is_not_a_pattern() {
        let (w, h) = (400, 400);
        let blocky: Vec<f32> = smooth(w, h)
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if (i % w) % 8 == 0 || (i / w) % 8 == 0 {
                    v - 12.0
                } else {
                    *v
                }
            })
            .collect();
        let peak = peak(&full(&blocky, w, h), &face()).expect("large enough");
        assert!(peak < RECAPTURED, "{peak}");
    }

    #[test]
    fn one_peak_on_an_axis_is_counted_once_and_is_no_pattern() {
        let mut spectrum = vec![0f32; TILE * TILE];
        // A lone peak on the horizontal axis and its mirror image.
        spectrum[10] = 8.0;
        spectrum[TILE - 10] = 8.0;
        let strength = strongest(&spectrum);
        assert!((strength - 8.0 / PEAKS as f32).abs() < 1e-6, "{strength}");
        assert!(strength < RECAPTURED);
    }

    #[test]
    fn a_face_too_small_at_full_size_is_not_assessed() {
        let (w, h) = (100, 100);
        assert_eq!(peak(&full(&smooth(w, h), w, h), &face()), None);
    }
}
