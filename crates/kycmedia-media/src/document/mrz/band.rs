//! Finding the zone on a photographed document: the lower part of the card
//! rectified from the full-size decode (perspective and tilt undone by the
//! card's own corners), then the lines of print across it, and the bottom
//! group of two or three that spans the card as an MRZ does.

use image::GrayImage;

use crate::decode::Full;
use crate::histogram::Histogram;

/// The physical size of the document an outline's shape suggests, and how
/// far down its zone can begin: a TD1 zone fills the lower 40 % of an ID-1
/// card, a TD3 zone the lower quarter of a passport page.
#[derive(Debug, Clone, Copy)]
pub(super) struct Card {
    pub width_mm: f32,
    pub height_mm: f32,
    pub from: f32,
}

pub(super) const ID1: Card = Card {
    width_mm: 85.6,
    height_mm: 53.98,
    from: 0.45,
};
pub(super) const ID3: Card = Card {
    width_mm: 125.0,
    height_mm: 88.0,
    from: 0.58,
};

/// ICAO 9303's character pitch: ten characters an inch.
pub(super) const PITCH_MM: f32 = 2.54;
/// How finely a band is rectified: the character pitch (band pixels) it is
/// brought within, and at most how many samples a side each band pixel
/// averages when that shrinks the source (so that grain and stroke edges
/// are not aliased into the cells).
#[derive(Debug, Clone, Copy)]
pub(super) struct Scale {
    pub pitch: (f32, f32),
    pub samples: usize,
}

/// For reading: enough to tell OCR-B's glyphs apart, and little more than
/// the templates (16 px) need, so a 12 MP close-up costs what a webcam does.
pub(super) const READ: Scale = Scale {
    pitch: (12.0, 20.0),
    samples: 2,
};
/// For finding the lines only: rows of print show at a third of that, and
/// aliasing does not hide them, so the search runs on the working plane
/// (or the full decode, for a document small in the frame) at a tenth of
/// the cost of reading.
pub(super) const SEARCH: Scale = Scale {
    pitch: (6.0, 9.0),
    samples: 1,
};

/// What a band is resampled from: luma at a point of the upright frame.
pub(super) trait Pixels {
    fn luma(&self, x: f32, y: f32) -> f32;
}

impl Pixels for Full {
    fn luma(&self, x: f32, y: f32) -> f32 {
        self.sample(x, y)
    }
}

impl Pixels for GrayImage {
    fn luma(&self, x: f32, y: f32) -> f32 {
        let (w, h) = (self.width().max(1) - 1, self.height().max(1) - 1);
        let finite = |v: f32| if v.is_finite() { v - 0.5 } else { 0.0 };
        let (fx, fy) = (finite(x).clamp(0.0, w as f32), finite(y).clamp(0.0, h as f32));
        let (x0, y0) = (fx as u32, fy as u32);
        let (x1, y1) = ((x0 + 1).min(w), (y0 + 1).min(h));
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let at = |x: u32, y: u32| self.get_pixel_checked(x, y).map_or(255.0, |p| f32::from(p.0[0]));
        let top = at(x0, y0) * (1.0 - tx) + at(x1, y0) * tx;
        let bottom = at(x0, y1) * (1.0 - tx) + at(x1, y1) * tx;
        top * (1.0 - ty) + bottom * ty
    }
}
/// A zone's lines are parted by a row with at most this share of the print
/// the lines' own rows hold.
const CLEAR: f32 = 0.25;
/// Print must stand this far (grey levels) from the paper to be read.
const MIN_CONTRAST: f32 = 50.0;

/// The rectified lower part of a card.
pub(super) struct Band {
    pub width: usize,
    pub height: usize,
    /// The part of the card's height it spans (0 top, 1 bottom).
    pub rows: (f32, f32),
    pub luma: Vec<u8>,
    /// Expected character pitch, px.
    pub pitch: f32,
    /// Print: darker than half-way from the ink to the paper.
    pub dark: Vec<bool>,
    /// Vertical drift a pixel across, undoing what tilt the corners left.
    pub shear: f32,
    /// The shear's drift at each column, in whole rows.
    drift: Vec<isize>,
}

impl Band {
    /// Luma at (x, y), bilinear, clamped to the band.
    pub(super) fn sample(&self, x: f32, y: f32) -> f32 {
        let (w, h) = (self.width, self.height);
        let (fx, fy) = (
            (x - 0.5).clamp(0.0, (w - 1) as f32),
            (y - 0.5).clamp(0.0, (h - 1) as f32),
        );
        let (x0, y0) = (fx as usize, fy as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let at = |x: usize, y: usize| f32::from(self.luma[y * w + x]);
        let top = at(x0, y0) * (1.0 - tx) + at(x1, y0) * tx;
        let bottom = at(x0, y1) * (1.0 - tx) + at(x1, y1) * tx;
        top * (1.0 - ty) + bottom * ty
    }

    /// Whether the point of column `x` on sheared row `row` is print.
    pub(super) fn is_dark(&self, x: usize, row: usize) -> bool {
        let Some(&drift) = self.drift.get(x).filter(|_| x < self.width) else {
            return false;
        };
        let y = row as isize + drift;
        y >= 0 && (y as usize) < self.height && self.dark[y as usize * self.width + x]
    }
}

/// A line of print across the band: its rows (cap top to baseline, before
/// the shear) and its ink's left and right ends.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line {
    pub top: f32,
    pub bottom: f32,
    pub left: f32,
    pub right: f32,
}

/// Maps the unit square onto a quadrilateral (Heckbert's projective
/// mapping): (u, v) across and down the card to frame pixels.
struct Projection([f32; 8]);

impl Projection {
    fn onto(q: &[(f32, f32); 4]) -> Option<Projection> {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = *q;
        let (sx, sy) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
        let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
        let den = dx1 * dy2 - dx2 * dy1;
        if den.abs() < 1e-6 {
            return None;
        }
        let g = (sx * dy2 - dx2 * sy) / den;
        let h = (dx1 * sy - sx * dy1) / den;
        Some(Projection([
            x1 - x0 + g * x1,
            x3 - x0 + h * x3,
            x0,
            y1 - y0 + g * y1,
            y3 - y0 + h * y3,
            y0,
            g,
            h,
        ]))
    }

    fn at(&self, u: f32, v: f32) -> (f32, f32) {
        let [a, b, c, d, e, f, g, h] = self.0;
        let w = (g * u + h * v + 1.0).max(1e-6);
        ((a * u + b * v + c) / w, (d * u + e * v + f) / w)
    }
}

/// The part `rows` (0 top, 1 bottom) of the card with corners `q`
/// (top-left, top-right, bottom-right, bottom-left, in upright pixels of
/// `pixels`), rectified at `scale`; `None` when the card is degenerate or
/// shows no print.
pub(super) fn rectify(
    pixels: &impl Pixels,
    q: &[(f32, f32); 4],
    card: Card,
    rows: (f32, f32),
    scale: Scale,
) -> Option<Band> {
    let projection = Projection::onto(q)?;
    let bottom = (q[2].0 - q[3].0).hypot(q[2].1 - q[3].1);
    let source_pitch = bottom / card.width_mm * PITCH_MM;
    let rows_finite = rows.0.is_finite() && rows.1.is_finite();
    if !source_pitch.is_finite() || source_pitch < 3.0 || !rows_finite || rows.1 <= rows.0 {
        return None;
    }
    let pitch = source_pitch.clamp(scale.pitch.0, scale.pitch.1);
    let per_mm = pitch / PITCH_MM;
    let width = (card.width_mm * per_mm) as usize;
    let height = ((rows.1 - rows.0) * card.height_mm * per_mm) as usize;
    if width < 16 || height < 4 {
        return None;
    }
    let n = ((source_pitch / pitch).ceil() as usize).clamp(1, scale.samples.max(1));
    let mut luma = Vec::with_capacity(width * height);
    for y in 0..height {
        for x in 0..width {
            let mut sum = 0.0;
            for j in 0..n {
                for i in 0..n {
                    let u = (x as f32 + (i as f32 + 0.5) / n as f32) / width as f32;
                    let v = rows.0 + (y as f32 + (j as f32 + 0.5) / n as f32) / height as f32 * (rows.1 - rows.0);
                    let (fx, fy) = projection.at(u, v);
                    sum += pixels.luma(fx, fy);
                }
            }
            luma.push((sum / (n * n) as f32 + 0.5) as u8);
        }
    }
    let histogram = Histogram::of(luma.iter().copied());
    let (ink, paper) = (
        f32::from(histogram.quantile(0.05)?),
        f32::from(histogram.quantile(0.90)?),
    );
    if paper - ink < MIN_CONTRAST {
        return None;
    }
    let level = ((ink + paper) / 2.0) as u8;
    let dark = luma.iter().map(|&v| v < level).collect();
    let mut band = Band {
        width,
        height,
        rows,
        luma,
        pitch,
        dark,
        shear: 0.0,
        drift: Vec::new(),
    };
    band.shear = deskew(&band);
    let half = width as f32 / 2.0;
    band.drift = (0..width)
        .map(|x| (band.shear * (x as f32 - half)).round() as isize)
        .collect();
    Some(band)
}

/// The shear (−2.75°..2.75°) that makes the print's rows sharpest: the
/// corners come from a shrunk plane and may leave the lines a little
/// tilted, which would smear their row profile over each other. Only the
/// print's own pixels are counted, once a shear.
fn deskew(band: &Band) -> f32 {
    let half = band.width as f32 / 2.0;
    let print: Vec<(f32, f32)> = (0..band.height)
        .flat_map(|y| (0..band.width).map(move |x| (x, y)))
        .filter(|&(x, y)| band.dark[y * band.width + x])
        .map(|(x, y)| (x as f32 - half, y as f32))
        .collect();
    let sharpness = |shear: f32| {
        let mut profile = vec![0f32; band.height];
        for &(dx, y) in &print {
            // Truncating a non-negative value rounds it (`round` is a libm call).
            let row = y - shear * dx + 0.5;
            if row >= 0.0 && (row as usize) < band.height {
                profile[row as usize] += 1.0;
            }
        }
        profile.iter().map(|&p| p * p).sum::<f32>()
    };
    let sharpest = |shears: &mut dyn Iterator<Item = f32>| {
        shears
            .map(|degrees| (degrees, sharpness(degrees.to_radians().tan())))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(0.0, |(degrees, _)| degrees)
    };
    // Half-degree steps, then a quarter either side of the best.
    let coarse = sharpest(&mut (-5..=5).map(|s| s as f32 * 0.5));
    let fine = sharpest(&mut [coarse - 0.25, coarse, coarse + 0.25].into_iter());
    fine.to_radians().tan()
}

/// Print per row over columns `xs`, as a share of them.
fn rows(band: &Band, xs: std::ops::Range<usize>) -> Vec<f32> {
    let span = xs.len().max(1) as f32;
    (0..band.height)
        .map(|y| xs.clone().filter(|&x| band.is_dark(x, y)).count() as f32 / span)
        .collect()
}

/// The zone's lines, top to bottom: the lowest two or three lines of
/// print that span the band as an MRZ's do (a glyph in nearly every
/// pitch-wide stretch), alike in height and evenly spaced.
pub(super) fn zone_lines(band: &Band) -> Vec<Line> {
    let profile = rows(band, 0..band.width);
    let peak = profile.iter().copied().fold(0.0, f32::max);
    let level = (0.3 * peak).max(0.02);
    let mut lines = Vec::new();
    let mut y = 0;
    while y < band.height {
        if profile[y] < level {
            y += 1;
            continue;
        }
        let top = y;
        while y < band.height && profile[y] >= level {
            y += 1;
        }
        let line = measure(band, top, y);
        let height = line.bottom - line.top + 1.0;
        if (0.55 * band.pitch..=1.8 * band.pitch).contains(&height) && coverage(band, &line) >= 0.75 {
            lines.push(line);
        }
    }
    group(lines, &profile)
}

/// A line's ends, from the columns with print in rows `top..end`, and its
/// rows, widened from the run that found it to every row with a fifth of
/// the busiest row's print (the run's level is the whole band's).
fn measure(band: &Band, top: usize, end: usize) -> Line {
    let inky: Vec<bool> = (0..band.width)
        .map(|x| (top..end).any(|y| band.is_dark(x, y)))
        .collect();
    // Ends where print runs at least two columns, past specks of grain and
    // past whatever dark touches the band's own edges (the desk, when the
    // outline's corners are a pixel or two off).
    let w = band.width;
    let from = (0..w).find(|&x| !inky[x]).unwrap_or(0);
    let to = (0..w).rev().find(|&x| !inky[x]).unwrap_or(0).max(from);
    let left = (from..to.saturating_sub(1))
        .find(|&x| inky[x] && inky[x + 1])
        .unwrap_or(from);
    let right = (left + 1..=to).rev().find(|&x| inky[x] && inky[x - 1]).unwrap_or(left);
    let count = |y: usize| (left..=right).filter(|&x| band.is_dark(x, y)).count();
    let busiest = (top..end).map(count).max().unwrap_or(0);
    let enough = |y: usize| count(y) * 5 >= busiest && busiest > 0;
    let reach = (band.pitch / 2.0) as usize;
    let mut first = top;
    while first > top.saturating_sub(reach) && first > 0 && enough(first - 1) {
        first -= 1;
    }
    let mut last = end.saturating_sub(1).max(top);
    while last + 1 < (end + reach).min(band.height) && enough(last + 1) {
        last += 1;
    }
    Line {
        top: first as f32,
        bottom: last as f32,
        left: left as f32,
        right: right as f32 + 1.0,
    }
}

/// Share of pitch-wide stretches across the band with print in the line.
fn coverage(band: &Band, line: &Line) -> f32 {
    let step = band.pitch.max(1.0) as usize;
    let bins: Vec<bool> = (0..band.width)
        .step_by(step)
        .map(|x0| {
            (x0..(x0 + step).min(band.width))
                .any(|x| (line.top as usize..=line.bottom as usize).any(|y| band.is_dark(x, y)))
        })
        .collect();
    bins.iter().filter(|&&b| b).count() as f32 / bins.len().max(1) as f32
}

/// The bottom-most two or three of `lines` (top to bottom) that are alike
/// in height, evenly spaced and parted by clear paper (`profile`: print per
/// row): a zone's lines are, where textures and pictures that happen to
/// form bands are not. Empty when no two are.
fn group(lines: Vec<Line>, profile: &[f32]) -> Vec<Line> {
    let Some(last) = lines.last().copied() else {
        return Vec::new();
    };
    let height = |l: &Line| l.bottom - l.top + 1.0;
    let centre = |l: &Line| (l.top + l.bottom) / 2.0;
    let mut picked = vec![last];
    let mut spacing: Option<f32> = None;
    for line in lines.iter().rev().skip(1) {
        let above = picked[picked.len() - 1];
        let gap = centre(&above) - centre(line);
        let alike = (height(line) / height(&last) - 1.0).abs() <= 0.35;
        let even = match spacing {
            None => (1.15 * height(&last)..=2.6 * height(&last)).contains(&gap),
            Some(s) => (gap / s - 1.0).abs() <= 0.2,
        };
        if !alike || !even || !parted(profile, line, &above) {
            break;
        }
        spacing.get_or_insert(gap);
        picked.push(*line);
        if picked.len() == 3 {
            break;
        }
    }
    if picked.len() < 2 {
        return Vec::new();
    }
    picked.reverse();
    picked
}

/// Whether some row between `upper` and `lower` holds under [`CLEAR`] of
/// the print their rows hold on average.
fn parted(profile: &[f32], upper: &Line, lower: &Line) -> bool {
    let rows = |a: f32, b: f32| profile.get(a as usize..=(b as usize).min(profile.len().saturating_sub(1)));
    let (Some(a), Some(b)) = (rows(upper.top, upper.bottom), rows(lower.top, lower.bottom)) else {
        return false;
    };
    let print = (a.iter().sum::<f32>() + b.iter().sum::<f32>()) / (a.len() + b.len()).max(1) as f32;
    let between = profile
        .get(upper.bottom as usize + 1..lower.top as usize)
        .unwrap_or(&[]);
    between.iter().any(|&p| p <= CLEAR * print)
}
