//! Fuzzing with the fixtures as seeds: random truncation and byte damage
//! must yield an answer or an error, never a panic or a hang. The parsers
//! are also wrapped in `catch_unwind`, but that is the last line of
//! defence; these tests check we never need it on realistic damage.

mod common;

use common::{FIXTURES, fixture, natural_context};
use kycmedia_media::{Context, Limits, analyse, probe, sniff};
use kycmedia_proto::ImageContext;
use proptest::prelude::*;

/// Every image context, so every detector (faces, outlines, codes, print)
/// sees the damaged and random inputs.
fn image_context(index: usize) -> Context {
    Context::Image(ImageContext::ALL[index % ImageContext::ALL.len()])
}

/// A PNG of the given grey pixels.
fn png(width: u32, height: u32, pixels: Vec<u8>) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let image = image::GrayImage::from_raw(width, height, pixels).expect("as many pixels as the size says");
    image.write_to(&mut out, image::ImageFormat::Png).expect("PNG encodes");
    out.into_inner()
}

proptest! {
    // 256 cases each by default; set PROPTEST_CASES=20000 for a longer soak.

    /// Random truncation and byte corruption of every fixture: the answer
    /// may be anything but a panic (or a hang, which would stall the suite).
    #[test]
    fn damaged_fixtures_never_panic(
        index in 0..FIXTURES.len(),
        keep in 0.0f64..=1.0,
        flips in proptest::collection::vec((0.0f64..1.0, 1u8..=255), 0..24),
    ) {
        let name = FIXTURES[index].name;
        let mut bytes = fixture(name);
        bytes.truncate((bytes.len() as f64 * keep) as usize);
        let len = bytes.len();
        for (at, mask) in flips {
            if let Some(b) = bytes.get_mut((len as f64 * at) as usize) {
                *b ^= mask;
            }
        }
        let _ = sniff(&bytes);
        let _ = probe(&bytes, &Limits::default());
        let _ = analyse(natural_context(name), &bytes, &Limits::default());
    }

    /// Damaged photos under any image context reach every detector.
    #[test]
    fn damaged_photos_under_any_context_never_panic(
        index in 0..6usize,
        context in 0..64usize,
        flips in proptest::collection::vec((0.05f64..1.0, 1u8..=255), 1..12),
    ) {
        let name = ["face.jpg", "face.png", "face.webp", "document-front.jpg", "document-back.jpg", "photo-1920.jpg"][index];
        let mut bytes = fixture(name);
        let len = bytes.len();
        for (at, mask) in flips {
            if let Some(b) = bytes.get_mut((len as f64 * at) as usize) {
                *b ^= mask;
            }
        }
        let _ = analyse(image_context(context), &bytes, &Limits::default());
    }

    /// Arbitrary pixels of arbitrary shape: a valid image always gets an
    /// analysis (a detector that panicked would surface as `Corrupt`), with
    /// every score in the unit interval.
    #[test]
    fn any_valid_image_is_analysed_with_scores_in_the_unit_interval(
        width in 1u32..200,
        height in 1u32..200,
        seed in any::<u64>(),
        blocks in 1u32..16,
        context in 0..64usize,
    ) {
        // Blocky random content: flat patches, edges and texture at once.
        let pixels = (0..width * height)
            .map(|i| {
                let (x, y) = (i % width / blocks, i / width / blocks);
                let h = ((u64::from(x) * 0x9E37_79B9) ^ (u64::from(y) * 0x85EB_CA6B) ^ seed).wrapping_mul(0xC2B2_AE35);
                (h >> 24) as u8
            })
            .collect();
        let a = analyse(image_context(context), &png(width, height, pixels), &Limits::default());
        prop_assert!(a.is_ok(), "{a:?}");
        if let Ok(a) = a {
            for v in [a.accuracy, a.quality, a.score] {
                prop_assert!((0.0..=1.0).contains(&v), "{a:?}");
            }
        }
    }

    /// Corruption confined to the first kilobyte, where the headers that
    /// parsers trust (sizes, counts, offsets) live.
    #[test]
    fn damaged_headers_never_panic(
        index in 0..FIXTURES.len(),
        flips in proptest::collection::vec((0usize..1024, any::<u8>()), 1..16),
    ) {
        let name = FIXTURES[index].name;
        let mut bytes = fixture(name);
        for (at, value) in flips {
            if let Some(b) = bytes.get_mut(at) {
                *b = value;
            }
        }
        let _ = probe(&bytes, &Limits::default());
        let _ = analyse(natural_context(name), &bytes, &Limits::default());
    }
}
