//! Focus and noise. Both live in the finest detail of the picture, and the
//! hard part is telling them apart: grain adds exactly the high-frequency
//! energy a focus measure looks for, so each measure here is built to
//! discount the other.

use image::GrayImage;

use super::{CLIP_HIGH, CLIP_LOW};

/// Edge-width ratio (see [`sharpness`]) at which sharpness reaches
/// 1 - 1/e (about 0.63) on the 640 px working plane.
const SHARPNESS_SCALE: f32 = 0.12;
/// Energy of a second difference's response to white noise of unit
/// variance (2² + 1 + 1), and of a central first difference's (1 + 1).
const SECOND_NOISE_GAIN: f32 = 6.0;
const FIRST_NOISE_GAIN: f32 = 2.0;
/// Noise variance every 8-bit plane carries whatever the estimate says:
/// rounding to whole grey levels (1/12). In a frame darkened to a fifth,
/// this is most of what is left in the shadows, and it would otherwise read
/// as fine detail. (Counting it twice, for a plane rounded when decoded and
/// again when shrunk, took too much from soft edges of low contrast, which
/// then gained sharpness when brightened.)
const QUANTISATION_VARIANCE: f32 = 1.0 / 12.0;
/// How much more than white noise's share of the differences is taken
/// out for the grain a 3×3 median leaves.
const NOISE_MARGIN: f32 = 2.0;
/// Side of the tiles the ratio is gathered over, in working-plane pixels.
const TILE: usize = 16;
/// Share of tiles, most detailed first, that the ratio is read from: where
/// the edges are. Chosen by rank, which a change of exposure or tone does
/// not reorder much, never by an absolute level, which it would.
const DETAILED_SHARE: f32 = 0.25;

/// Focus: how narrow the edges are, independent of how bright or contrasty
/// they are.
///
/// In each tile and each of four directions (horizontal, vertical, both
/// diagonals) the energy of second differences over the energy of first
/// differences: a blurred edge of width *w* has its slope spread over *w*
/// pixels and its curvature over *w²*, so the ratio falls as 1/*w²*. Both
/// differences scale alike when a tone curve brightens, darkens or
/// stretches a neighbourhood, so the ratio does not move with exposure,
/// contrast or gamma: a photo darkened to a fifth is no sharper than the
/// original (the failure of measuring energy against the frame's global
/// variance, where detail and variance sit in different places).
///
/// The weakest direction, because motion blur smears one direction only
/// and leaves edges across it crisp. The noise's share (and rounding's) is
/// taken out of both energies, because grain adds energy in every
/// direction and would otherwise pass for focus, the classic failure of
/// variance-of-Laplacian.
///
/// `denoised` is the frame median-filtered, with `noise_sigma` the grain
/// left in it; `tones` is the frame as captured, which says where it is
/// clipped.
pub(super) fn sharpness(denoised: &GrayImage, noise_sigma: f32, tones: &GrayImage) -> f32 {
    let ratios = edge_ratios(denoised, noise_sigma, tones);
    let weakest = ratios.into_iter().fold(f32::MAX, f32::min);
    if weakest == f32::MAX {
        return 0.0;
    }
    let p = tones.as_raw();
    let blown = p.iter().filter(|&&v| v > CLIP_HIGH).count() as f32 / p.len().max(1) as f32;
    // Detail blown out to white is detail lost: without this, clipping the
    // softer half of a frame (a blown face) would leave only its crisper
    // half to be measured, and over-exposure would read as focus.
    (1.0 - (-weakest / SHARPNESS_SCALE).exp()) * (1.0 - blown)
}

/// Per tile and direction: second-difference energy, first-difference
/// energy and the number of pixels counted.
#[derive(Clone, Copy, Default)]
struct Tile {
    second: [u32; 4],
    first: [u32; 4],
    n: u32,
}

/// The edge-width ratio in each of the four directions, read from the most
/// detailed tiles; empty for a plane too small to have any.
fn edge_ratios(plane: &GrayImage, noise_sigma: f32, tones: &GrayImage) -> Vec<f32> {
    let (w, h) = (plane.width() as usize, plane.height() as usize);
    if w < 3 || h < 3 {
        return Vec::new();
    }
    let tiles = tile_energies(plane, tones);
    // The median leaves grain that is no longer white (neighbours agree
    // more), which the differences answer more strongly than white noise
    // of the same σ: the allowance is taken with a margin.
    let variance = NOISE_MARGIN * noise_sigma * noise_sigma + QUANTISATION_VARIANCE;
    (0..4)
        .map(|d| {
            // Diagonal steps are √2 long: a smooth ramp's second difference
            // grows by 2 and its central first difference by √2 · √2 = 2 in
            // energy terms twice over, so the diagonal ratio is halved to
            // read on the axes' scale.
            let scale = if d < 2 { 1.0 } else { 0.5 };
            let mut cleaned: Vec<(f32, f32)> = tiles
                .iter()
                .filter(|t| t.n > 0)
                .map(|t| {
                    let n = t.n as f32;
                    let first = t.first[d] as f32 - FIRST_NOISE_GAIN * variance * n;
                    let second = t.second[d] as f32 - SECOND_NOISE_GAIN * variance * n;
                    // A tile whose slopes do not clear the noise's own has no
                    // edge to measure: its ratio would be the grain's.
                    if first < FIRST_NOISE_GAIN * variance * n {
                        (0.0, 0.0)
                    } else {
                        (first, second.max(0.0))
                    }
                })
                .collect();
            cleaned.sort_by(|a, b| b.0.total_cmp(&a.0));
            let keep = ((cleaned.len() as f32 * DETAILED_SHARE).ceil() as usize).max(1);
            let (first, second) = cleaned
                .iter()
                .take(keep)
                .fold((0.0f64, 0.0f64), |(f, s), &(a, b)| (f + f64::from(a), s + f64::from(b)));
            if first <= 0.0 {
                0.0
            } else {
                (second / first) as f32 * scale
            }
        })
        .collect()
}

/// First and second differences summed per [`TILE`]×[`TILE`] tile.
fn tile_energies(plane: &GrayImage, tones: &GrayImage) -> Vec<Tile> {
    let (w, h) = (plane.width() as usize, plane.height() as usize);
    let p = plane.as_raw();
    let (tw, th) = (w.div_ceil(TILE), h.div_ceil(TILE));
    let mut tiles = vec![Tile::default(); tw * th];
    let lost = lost_detail(tones);
    for y in 1..h - 1 {
        let row = &mut tiles[(y / TILE) * tw..(y / TILE + 1) * tw];
        for x in 1..w - 1 {
            let i = y * w + x;
            let pairs = [
                (i - 1, i + 1),
                (i - w, i + w),
                (i - w - 1, i + w + 1),
                (i - w + 1, i + w - 1),
            ];
            if lost.as_ref().is_some_and(|m| m[i]) {
                continue;
            }
            let t = &mut row[x / TILE];
            let c = 2 * i32::from(p[i]);
            for (d, (a, b)) in pairs.into_iter().enumerate() {
                let (pa, pb) = (i32::from(p[a]), i32::from(p[b]));
                let second = c - pa - pb;
                let first = pb - pa;
                t.second[d] += (second * second) as u32;
                t.first[d] += (first * first) as u32;
            }
            t.n += 1;
        }
    }
    tiles
}

/// Pixels within [`CLIP_REACH`] of one blown to white, or crushed to black
/// themselves, or `None` when nothing is clipped (most frames). The edge of
/// a blown area is where detail was lost, not detail: the knee where a ramp
/// runs into white is a sharp bend, and would make over-exposure look sharp.
fn lost_detail(plane: &GrayImage) -> Option<Vec<bool>> {
    let (w, h) = (plane.width() as usize, plane.height() as usize);
    let p = plane.as_raw();
    let clipped = |v: u8| !(CLIP_LOW..=CLIP_HIGH).contains(&v);
    if !p.iter().any(|&v| clipped(v)) {
        return None;
    }
    let blown = |v: u8| v > CLIP_HIGH;
    let mut lost = dilate(p, w, h, CLIP_REACH, &blown);
    // Crushed blacks are left out themselves, not their surroundings: a
    // tone curve that darkens a frame crushes a wide toe of shadow whose
    // edges are still the frame's own.
    for (l, &v) in lost.iter_mut().zip(p) {
        *l |= v < CLIP_LOW;
    }
    Some(lost)
}

/// `true` within `r` pixels (a square) of a pixel `clipped` holds for.
fn dilate(p: &[u8], w: usize, h: usize, r: usize, clipped: &dyn Fn(u8) -> bool) -> Vec<bool> {
    // A square dilation, as a horizontal then a vertical pass.
    let mut across = vec![false; p.len()];
    for y in 0..h {
        let row = &p[y * w..(y + 1) * w];
        let mut last = None;
        for x in 0..w {
            if clipped(row[x]) {
                last = Some(x);
            }
            // Reached from the left here; from the right below.
            across[y * w + x] = last.is_some_and(|l| x - l <= r);
        }
        let mut next = None;
        for x in (0..w).rev() {
            if clipped(row[x]) {
                next = Some(x);
            }
            across[y * w + x] |= next.is_some_and(|n| n - x <= r);
        }
    }
    let mut out = vec![false; p.len()];
    for x in 0..w {
        let mut last = None;
        for y in 0..h {
            if across[y * w + x] {
                last = Some(y);
            }
            out[y * w + x] = last.is_some_and(|l| y - l <= r);
        }
        let mut next = None;
        for y in (0..h).rev() {
            if across[y * w + x] {
                next = Some(y);
            }
            out[y * w + x] |= next.is_some_and(|n| n - y <= r);
        }
    }
    out
}

/// How far (working-plane pixels) from a blown pixel detail is distrusted:
/// the 3×3 the differences read, plus the knee's width (measured: past 5
/// nothing more is gained).
const CLIP_REACH: usize = 5;

/// 3×3 median, borders copied. imageproc's `median_filter` serves any radius
/// with a sliding histogram and took a fifth of a selfie's analysis; for the
/// one radius needed, Paeth's network of 19 compare-exchanges, run on whole
/// rows at once (which the compiler turns into vector min/max), is more
/// than ten times faster.
pub(super) fn median3(plane: &GrayImage) -> GrayImage {
    let (w, h) = (plane.width() as usize, plane.height() as usize);
    let mut out = plane.clone();
    if w < 3 || h < 3 {
        return out;
    }
    let p = plane.as_raw();
    let o: &mut [u8] = &mut out;
    let n = w - 2;
    let mut rows = vec![vec![0u8; n]; 9];
    for y in 1..h - 1 {
        for (k, row) in rows.iter_mut().enumerate() {
            let start = (y + k / 3 - 1) * w + k % 3;
            row.copy_from_slice(&p[start..start + n]);
        }
        for (i, j) in NETWORK {
            let (lo, hi) = if i < j {
                rows.split_at_mut(j)
            } else {
                rows.split_at_mut(i)
            };
            let (a, b) = if i < j {
                (&mut lo[i], &mut hi[0])
            } else {
                (&mut hi[0], &mut lo[j])
            };
            for (x, y) in a.iter_mut().zip(b.iter_mut()) {
                let (min, max) = ((*x).min(*y), (*x).max(*y));
                *x = min;
                *y = max;
            }
        }
        o[y * w + 1..y * w + 1 + n].copy_from_slice(&rows[4]);
    }
    out
}

/// Paeth's median-of-nine exchange network: after these compare-exchanges
/// (smaller value to the first index), element 4 holds the median.
const NETWORK: [(usize, usize); 19] = [
    (1, 2),
    (4, 5),
    (7, 8),
    (0, 1),
    (3, 4),
    (6, 7),
    (1, 2),
    (4, 5),
    (7, 8),
    (0, 3),
    (5, 8),
    (4, 7),
    (3, 6),
    (1, 4),
    (2, 5),
    (4, 7),
    (4, 2),
    (6, 4),
    (4, 2),
];

/// The median of nine values by the same network (for the tests).
#[cfg(test)]
fn median9(mut v: [u8; 9]) -> u8 {
    for (i, j) in NETWORK {
        let (lo, hi) = (v[i].min(v[j]), v[i].max(v[j]));
        v[i] = lo;
        v[j] = hi;
    }
    v[4]
}

/// Noise standard deviation from Immerkær's kernel (1996), which cancels
/// flat areas, ramps and most edges: white noise of σ gives responses of
/// standard deviation 6σ. Taken from the *median* absolute response rather
/// than Immerkær's mean, because print, hair and foliage answer the kernel
/// too but cover a minority of the frame, while noise covers all of it.
pub(crate) fn noise_sigma(plane: &GrayImage) -> f32 {
    let (w, h) = (plane.width() as usize, plane.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let p = plane.as_raw();
    let at = |x: usize, y: usize| i32::from(p[y * w + x]);
    // |response| ≤ 16 · 255; a histogram gives the median in one pass.
    let mut histogram = vec![0u32; 16 * 255 + 1];
    let mut counted = 0u32;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let corners = at(x - 1, y - 1) + at(x + 1, y - 1) + at(x - 1, y + 1) + at(x + 1, y + 1);
            let sides = at(x, y - 1) + at(x - 1, y) + at(x + 1, y) + at(x, y + 1);
            let centre = p[y * w + x];
            // A blown or crushed pixel has no grain left to show: counting
            // them would let over-exposure pass for a clean sensor.
            if !(CLIP_LOW..=CLIP_HIGH).contains(&centre) {
                continue;
            }
            histogram[(corners - 2 * sides + 4 * at(x, y)).unsigned_abs() as usize] += 1;
            counted += 1;
        }
    }
    let half = counted / 2;
    let mut seen = 0;
    let median = histogram
        .iter()
        .position(|&count| {
            seen += count;
            seen > half
        })
        .unwrap_or(0);
    if median == 0 {
        return 0.0;
    }
    // Median of |N(0, s)| is 0.6745 s; the +0.5 centres the integer bin.
    (median as f32 + 0.5) / (0.6745 * 6.0)
}

#[cfg(test)]
mod tests {
    use super::super::measure;
    use super::super::tests::{grain, plane};
    use super::*;

    #[test]
    fn crisp_blocks_are_sharp_and_smearing_them_sideways_empties_one_direction() {
        let block = |x: u32, y: u32| if grain(x / 4, y / 4, 1.0) > 0.0 { 60 } else { 190 };
        let crisp = plane(128, 128, block);
        // Motion blur along x: each pixel the mean of 9 horizontal neighbours.
        let smeared = plane(128, 128, |x, y| {
            let sum: u32 = (0..9).map(|d| u32::from(block((x + d).saturating_sub(4), y))).sum();
            (sum / 9) as u8
        });
        assert!(measure(&crisp, None).sharpness > 0.9);
        let (c, s) = (edge_ratios(&crisp, 0.0, &crisp), edge_ratios(&smeared, 0.0, &smeared));
        assert!(s[0] < c[0] / 5.0, "across the smear: {s:?} vs {c:?}");
        assert!(s[1] > c[1] / 4.0, "along the smear edges survive: {s:?} vs {c:?}");
    }

    #[test]
    fn the_exchange_network_finds_the_median_of_any_nine_values() {
        for seed in 0..2000u32 {
            let v: [u8; 9] = std::array::from_fn(|k| (grain(seed, k as u32, 40.0) + 128.0) as u8);
            let mut sorted = v;
            sorted.sort_unstable();
            assert_eq!(median9(v), sorted[4], "{v:?}");
        }
    }

    #[test]
    fn the_row_wise_median_equals_sorting_each_neighbourhood() {
        let noisy = plane(37, 23, |x, y| (grain(x, y, 40.0) + 128.0) as u8);
        let fast = median3(&noisy);
        for y in 1..22 {
            for x in 1..36 {
                let mut v: Vec<u8> = (0..9)
                    .map(|k| noisy.get_pixel(x + k % 3 - 1, y + k / 3 - 1).0[0])
                    .collect();
                v.sort_unstable();
                assert_eq!(fast.get_pixel(x, y).0[0], v[4], "at {x},{y}");
            }
        }
    }

    #[test]
    fn the_median_removes_a_lone_speck_and_keeps_an_edge() {
        let speck = plane(5, 5, |x, y| if (x, y) == (2, 2) { 255 } else { 10 });
        assert_eq!(median3(&speck).get_pixel(2, 2).0, [10]);
        let edge = plane(6, 5, |x, _| if x < 3 { 0 } else { 200 });
        assert_eq!(median3(&edge), edge);
    }
}
