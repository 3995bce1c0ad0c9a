//! Focus and noise. Both live in the finest detail of the picture, and the
//! hard part is telling them apart: grain adds exactly the high-frequency
//! energy a focus measure looks for, so each measure here is built to
//! discount the other.

use image::GrayImage;

use super::{CLIP_HIGH, CLIP_LOW, variance};

/// Second-difference energy (weakest direction), as a share of the luma
/// variance, at which sharpness reaches 1 - 1/e (about 0.63) on the 640 px
/// working plane.
const SHARPNESS_SCALE: f32 = 0.004;
/// Energy of a second difference's response to white noise of unit variance
/// (2² + 1 + 1): noise adds this × σ², which a reviewer sees as grain, not
/// focus.
const DIFFERENCE_NOISE_GAIN: f32 = 6.0;
/// Focus: the energy of second differences (what blur removes first) in
/// the *weakest* of four directions (horizontal, vertical, both diagonals),
/// less the share noise of `noise_sigma` explains, mapped through
/// `1 - exp(-v / SHARPNESS_SCALE)`.
///
/// The weakest direction, because motion blur smears one direction only and
/// leaves edges across it crisp: a sum over directions (the Laplacian) sees
/// half the detail left and calls it sharp. The noise correction, because
/// grain adds energy in every direction and would otherwise pass for focus,
/// the classic failure of variance-of-Laplacian.
pub(super) fn sharpness(plane: &GrayImage, noise_sigma: f32) -> f32 {
    let weakest = directional_energy(plane).into_iter().fold(f32::MAX, f32::min);
    if weakest == f32::MAX {
        return 0.0;
    }
    // White noise of σ adds (2² + 1 + 1)·σ² to each direction's energy.
    let explained = DIFFERENCE_NOISE_GAIN * noise_sigma * noise_sigma;
    // The estimate also holds some fine texture, so a sliver is always kept.
    let focus = (weakest - explained).max(weakest * 0.05);
    // Relative to the frame's own contrast: brightening a photo multiplies
    // every difference without adding any detail.
    let spread = 1.0 + variance(plane.as_raw());
    1.0 - (-focus / (SHARPNESS_SCALE * spread)).exp()
}

/// Mean squared second difference along x, y, and the two diagonals; empty
/// for a plane too small to have any.
fn directional_energy(plane: &GrayImage) -> Vec<f32> {
    let (w, h) = (plane.width() as usize, plane.height() as usize);
    if w < 3 || h < 3 {
        return Vec::new();
    }
    let p = plane.as_raw();
    let clipped = |v: u8| !(CLIP_LOW..=CLIP_HIGH).contains(&v);
    // Most frames have no clipped pixel at all: skip the per-pixel check.
    let any_clipped = p.iter().any(|&v| clipped(v));
    let (mut energy, mut n) = ([0u64; 4], 0u64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            let pairs = [
                (i - 1, i + 1),
                (i - w, i + w),
                (i - w - 1, i + w + 1),
                (i - w + 1, i + w - 1),
            ];
            // The edge of a blown-out or crushed area is where detail was
            // lost, not detail: it would make over-exposure look sharp.
            if any_clipped && (clipped(p[i]) || pairs.iter().any(|&(a, b)| clipped(p[a]) || clipped(p[b]))) {
                continue;
            }
            let c = 2 * i32::from(p[i]);
            for (e, (a, b)) in energy.iter_mut().zip(pairs) {
                let d = c - i32::from(p[a]) - i32::from(p[b]);
                *e += (d * d) as u64;
            }
            n += 1;
        }
    }
    if n == 0 {
        return vec![0.0; 4];
    }
    energy.iter().map(|&e| (e as f64 / n as f64) as f32).collect()
}

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
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let corners = at(x - 1, y - 1) + at(x + 1, y - 1) + at(x - 1, y + 1) + at(x + 1, y + 1);
            let sides = at(x, y - 1) + at(x - 1, y) + at(x + 1, y) + at(x, y + 1);
            histogram[(corners - 2 * sides + 4 * at(x, y)).unsigned_abs() as usize] += 1;
        }
    }
    let half = ((w - 2) * (h - 2) / 2) as u32;
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
        let (c, s) = (directional_energy(&crisp), directional_energy(&smeared));
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
