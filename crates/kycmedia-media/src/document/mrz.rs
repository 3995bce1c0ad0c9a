//! The machine-readable zone of a passport (TD3) or ID card (TD1, TD2):
//! found as the bottom band of two or three evenly spaced lines of dense
//! print spanning the card, read by matching each fixed-pitch cell against
//! OCR-B templates, and checked by its ICAO 9303 check digits.
//!
//! What is read never leaves this module: the text lives in a [`Text`]
//! that is wiped when dropped, has no `Debug`, and only "found, valid or
//! not, legible or not, which format" is returned. A valid zone proves the
//! photo shows a real document layout read right; one that fails its checks
//! was misread, damaged or altered.

use image::GrayImage;
use zeroize::Zeroize;

use crate::decode::Full;

/// Finding the zone's lines on the rectified card.
mod band;
/// Cutting a line into fixed-pitch cells.
mod cells;
/// OCR-B templates and matching.
mod glyphs;
/// Zone layouts and check digits.
mod icao;

use icao::Format;

/// A zone is taken to be there when its cells correlate with their best
/// glyphs this well on average: print of other fonts or guilloche lines
/// that happen to form even rows fall well short.
const FOUND: f32 = 0.5;
/// Every character matched with confidence: no cell below `LEGIBLE_CELL`,
/// the cells on average at `LEGIBLE_MEAN` (a sharp capture averages over
/// 0.9), and (see `SURE`) at most `MAX_UNSURE` cells whose glyph barely
/// beats another: a blurred cell correlates well with several glyphs, so
/// the correlation alone would call a soft zone legible and misread it.
const LEGIBLE_CELL: f32 = 0.45;
const LEGIBLE_MEAN: f32 = 0.7;
/// A cell that may hold a letter or a digit is in doubt when the best of
/// the other kind matches within this of the best: OCR-B's O and 0, or I
/// and 1, differ by a few pixels of width once photographed. When the
/// check digits fail, up to `MAX_DOUBTS` of the closest are reread the
/// other way, one or two at a time, as MRZ readers do. A reread must then
/// satisfy both the field's check digit and the composite one, which a
/// chance reread passes about once in a hundred tries.
const DOUBT: f32 = 0.08;
const MAX_DOUBTS: usize = 6;
/// A cell is read surely when its glyph beats every other by this much;
/// a legible zone has at most `MAX_UNSURE` cells that are not.
const SURE: f32 = 0.03;
const MAX_UNSURE: usize = 2;

/// What the reader found, without what it read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Reading {
    pub format: &'static str,
    pub valid: bool,
    pub legible: bool,
    /// The zone's box, as fractions of the frame (x0, y0, x1, y1).
    pub bounds: [f32; 4],
}

/// The characters read, wiped on drop: a holder's name, number and dates
/// must not outlive their check, and must never be printed (no `Debug`).
struct Text {
    lines: [[u8; 44]; 3],
}

impl Drop for Text {
    fn drop(&mut self) {
        self.lines.zeroize();
    }
}

/// The zone of the document whose corners (fractions of the frame, in
/// order around it) are `corners`, if one is printed at its foot; `aspect`
/// is the outline's, which tells a card (ID-1) from a passport page.
///
/// Lines are first looked for on the working `plane`, and only the rows
/// where a zone's lines are found are rectified from the `full` decode and
/// read: most documents (an ID card's front) have no zone, and cost only
/// the search.
pub(crate) fn read(plane: &GrayImage, full: &Full, corners: &[(f32, f32); 4], aspect: f32) -> Option<Reading> {
    let card = if aspect >= 1.5 { band::ID1 } else { band::ID3 };
    let scale = |(w, h): (f32, f32)| corners.map(|(x, y)| (x * w, y * h));
    let (fw, fh) = full.size();
    let fine = upright_orders(&scale((fw as f32, fh as f32)));
    let coarse = upright_orders(&scale((plane.width() as f32, plane.height() as f32)));
    let mut best: Option<(f32, Reading)> = None;
    for (q, q_plane) in fine.iter().zip(&coarse) {
        // A document small in the frame prints its zone too fine for the
        // working plane: search the full decode instead.
        let plane_pitch =
            (q_plane[2].0 - q_plane[3].0).hypot(q_plane[2].1 - q_plane[3].1) / card.width_mm * band::PITCH_MM;
        let rows = if plane_pitch >= band::SEARCH.pitch.0 {
            zone_rows(plane, q_plane, card)
        } else {
            zone_rows(full, q, card)
        };
        let Some(rows) = rows else {
            continue;
        };
        let Some(band) = band::rectify(full, q, card, rows, band::READ) else {
            continue;
        };
        let lines = band::zone_lines(&band);
        for format in formats(&lines) {
            let Some((mean, mut reading)) = read_levels(&band, &lines, format) else {
                continue;
            };
            reading.bounds = bounds(q, &band, &lines, (fw as f32, fh as f32));
            if reading.valid || reading.legible {
                return Some(reading);
            }
            if best.as_ref().is_none_or(|(m, _)| mean > *m) {
                best = Some((mean, reading));
            }
        }
    }
    best.map(|(_, reading)| reading)
}

/// The part of the card's height (0 top, 1 bottom) where `pixels` (the
/// working plane, as a rule) show a zone's lines, with half a line's
/// spacing to spare either side.
fn zone_rows(pixels: &impl band::Pixels, q: &[(f32, f32); 4], card: band::Card) -> Option<(f32, f32)> {
    let band = band::rectify(pixels, q, card, (card.from, 1.0), band::SEARCH)?;
    let lines = band::zone_lines(&band);
    let (first, last) = (lines.first()?, lines.last()?);
    let spare = (last.bottom - first.top) / lines.len() as f32 / 2.0;
    let v = |y: f32| band.rows.0 + y / band.height as f32 * (band.rows.1 - band.rows.0);
    Some((
        v(first.top - spare).max(card.from),
        v(last.bottom + 1.0 + spare).min(1.0),
    ))
}

/// The corners as top-left, top-right, bottom-right, bottom-left of the
/// document as it reads: as it lies when it lies landscape, else both
/// quarter turns (a card photographed in a portrait frame).
fn upright_orders(px: &[(f32, f32); 4]) -> Vec<[(f32, f32); 4]> {
    let (cx, cy) = (
        px.iter().map(|p| p.0).sum::<f32>() / 4.0,
        px.iter().map(|p| p.1).sum::<f32>() / 4.0,
    );
    let mut sorted = *px;
    // Clockwise on screen (y down) from straight left.
    sorted.sort_by(|a, b| (a.1 - cy).atan2(a.0 - cx).total_cmp(&(b.1 - cy).atan2(b.0 - cx)));
    let first = (0..4)
        .min_by(|&i, &j| (sorted[i].0 + sorted[i].1).total_cmp(&(sorted[j].0 + sorted[j].1)))
        .unwrap_or(0);
    let q: [(f32, f32); 4] = std::array::from_fn(|i| sorted[(first + i) % 4]);
    let length = |a: (f32, f32), b: (f32, f32)| (a.0 - b.0).hypot(a.1 - b.1);
    let across = length(q[0], q[1]) + length(q[3], q[2]);
    let down = length(q[0], q[3]) + length(q[1], q[2]);
    if across >= down {
        vec![q]
    } else {
        vec![[q[3], q[0], q[1], q[2]], [q[1], q[2], q[3], q[0]]]
    }
}

/// The formats `lines` could be, likeliest first: three lines are TD1;
/// two are TD3 or TD2, told apart by how many pitches long they are.
fn formats(lines: &[band::Line]) -> Vec<Format> {
    match lines.len() {
        3 => vec![Format::Td1],
        2 => {
            let cap = lines.iter().map(|l| l.bottom - l.top + 1.0).sum::<f32>() / 2.0;
            // OCR-B's cap height is about its pitch (see the templates).
            let pitches = (lines[0].right - lines[0].left) / cap.max(1.0);
            if (pitches - 44.0).abs() <= (pitches - 36.0).abs() {
                vec![Format::Td3, Format::Td2]
            } else {
                vec![Format::Td2, Format::Td3]
            }
        }
        _ => Vec::new(),
    }
}

/// The zone read as `format` against the blur level of the templates a few
/// cells of its first line agree with best (the level nearest the capture's own
/// softness); against the other levels too when that reading does not
/// check out. A reading that checks out wins, else the best-agreeing one.
fn read_levels(band: &band::Band, lines: &[band::Line], format: Format) -> Option<(f32, Reading)> {
    let first = lines.first()?;
    let grid = cells::fit(band, first, format.width())?;
    // Eight cells spread along the first line are enough to tell the levels apart.
    let agreement = |level: usize| {
        let scores = (0..format.width()).step_by(format.width() / 8).filter_map(|k| {
            let patch = cells::patch(band, first, &grid, k);
            glyphs::best(&patch, icao::class(format, 0, k), level).map(|(_, score, _)| score)
        });
        Some(scores.sum::<f32>())
    };
    let mut levels: Vec<(f32, usize)> = (0..glyphs::levels())
        .filter_map(|level| Some((agreement(level)?, level)))
        .collect();
    levels.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut kept: Option<(f32, Reading)> = None;
    for (_, level) in levels {
        let Some(next) = read_as(band, lines, format, level) else {
            continue;
        };
        if next.1.valid {
            return Some(next);
        }
        if kept.as_ref().is_none_or(|k| next.0 > k.0) {
            kept = Some(next);
        }
    }
    kept
}

/// The zone read as `format` against the templates at blur `level`: its
/// mean cell correlation and what it shows;
/// `None` when it does not fit the format or reads as no zone at all.
fn read_as(band: &band::Band, lines: &[band::Line], format: Format, level: usize) -> Option<(f32, Reading)> {
    if lines.len() != format.lines() {
        return None;
    }
    let width = format.width();
    let mut text = Text { lines: [[b'<'; 44]; 3] };
    // Cells that could be a letter or a digit and matched both about as
    // well (O and 0, I and 1, B and 8): where the other one goes.
    let mut doubtful: Vec<(f32, usize, usize, u8)> = Vec::new();
    let (mut sum, mut least, mut unsure) = (0.0, f32::MAX, 0usize);
    for (i, line) in lines.iter().enumerate() {
        let grid = cells::fit(band, line, width)?;
        for k in 0..width {
            let patch = cells::patch(band, line, &grid, k);
            let class = icao::class(format, i, k);
            let blank = (b'<', 0.0, 0.0);
            let ((glyph, score, runner_up), other) = if class == icao::Class::Any {
                let digit = glyphs::best(&patch, icao::Class::Digit, level).unwrap_or(blank);
                let letter = glyphs::best(&patch, icao::Class::Letter, level).unwrap_or(blank);
                let (best, other) = if digit.1 >= letter.1 {
                    (digit, letter)
                } else {
                    (letter, digit)
                };
                ((best.0, best.1, best.2.max(other.1)), Some(other))
            } else {
                (glyphs::best(&patch, class, level).unwrap_or(blank), None)
            };
            if let Some((alternative, s, _)) = other.filter(|o| score - o.1 < DOUBT) {
                doubtful.push((score - s, i, k, alternative));
            }
            unsure += usize::from(score - runner_up < SURE);
            text.lines[i][k] = glyph;
            sum += score;
            least = least.min(score);
        }
    }
    let mean = sum / (width * format.lines()) as f32;
    if mean < FOUND {
        return None;
    }
    doubtful.sort_by(|a, b| a.0.total_cmp(&b.0));
    doubtful.truncate(MAX_DOUBTS);
    let reading = Reading {
        format: format.name(),
        valid: checks_out(format, &mut text, &doubtful),
        legible: least >= LEGIBLE_CELL && mean >= LEGIBLE_MEAN && unsure <= MAX_UNSURE,
        bounds: [0.0; 4],
    };
    Some((mean, reading))
}

/// Whether the zone's check digits check out as read, or with one or two
/// of its doubtful letter-or-digit cells read the other way. The check
/// digits themselves, and dates, are digits only and never reread, so a
/// printed digit that is wrong stays wrong.
fn checks_out(format: Format, text: &mut Text, doubtful: &[(f32, usize, usize, u8)]) -> bool {
    let (n, width) = (format.lines(), format.width());
    let valid = |text: &Text| {
        let rows: Vec<&[u8]> = text.lines[..n].iter().map(|l| &l[..width]).collect();
        icao::valid(format, &rows)
    };
    if valid(text) {
        return true;
    }
    let flip =
        |text: &mut Text, &(_, i, k, glyph): &(f32, usize, usize, u8)| std::mem::replace(&mut text.lines[i][k], glyph);
    for (a, first) in doubtful.iter().enumerate() {
        let was = flip(text, first);
        if valid(text) {
            return true;
        }
        for second in &doubtful[a + 1..] {
            let was_second = flip(text, second);
            if valid(text) {
                return true;
            }
            text.lines[second.1][second.2] = was_second;
        }
        text.lines[first.1][first.2] = was;
    }
    false
}

/// The zone's box in the frame: its lines' ends and rows on the band,
/// taken back through the card's corners.
fn bounds(q: &[(f32, f32); 4], band: &band::Band, lines: &[band::Line], frame: (f32, f32)) -> [f32; 4] {
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return [0.0; 4];
    };
    let (w, h) = (band.width as f32, band.height as f32);
    let v = |y: f32| band.rows.0 + y / h * (band.rows.1 - band.rows.0);
    // Bilinear between the corners: close enough for a box.
    let at = |u: f32, v: f32| {
        let top = (q[0].0 + (q[1].0 - q[0].0) * u, q[0].1 + (q[1].1 - q[0].1) * u);
        let bottom = (q[3].0 + (q[2].0 - q[3].0) * u, q[3].1 + (q[2].1 - q[3].1) * u);
        (top.0 + (bottom.0 - top.0) * v, top.1 + (bottom.1 - top.1) * v)
    };
    let points = [
        at(first.left / w, v(first.top)),
        at(first.right / w, v(first.top)),
        at(last.right / w, v(last.bottom)),
        at(last.left / w, v(last.bottom)),
    ];
    let xs = points.map(|p| (p.0 / frame.0).clamp(0.0, 1.0));
    let ys = points.map(|p| (p.1 / frame.1).clamp(0.0, 1.0));
    [
        xs.iter().copied().fold(1.0, f32::min),
        ys.iter().copied().fold(1.0, f32::min),
        xs.iter().copied().fold(0.0, f32::max),
        ys.iter().copied().fold(0.0, f32::max),
    ]
}
