//! Fuzzing with the fixtures as seeds: random truncation and byte damage
//! must yield an answer or an error, never a panic or a hang. The parsers
//! are also wrapped in `catch_unwind`, but that is the last line of
//! defence; these tests check we never need it on realistic damage.

mod common;

use common::{FIXTURES, fixture, natural_context};
use kycmedia_media::{Limits, analyse, probe, sniff};
use proptest::prelude::*;

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
