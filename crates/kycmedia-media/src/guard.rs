//! The parsers we call are fuzzed by their authors, but they are large and
//! their inputs come from strangers. A panic in one must cost one upload a
//! `Corrupt` error, not a worker thread (or, under `panic = "abort"`, the
//! process — which is why this is a last line of defence, not a plan).

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::MediaError;

/// Runs `parse`, turning a panic into [`MediaError::Corrupt`] naming `what`.
///
/// `AssertUnwindSafe` is sound here: the closures only borrow the input bytes
/// immutably and own everything they mutate, so nothing half-updated can be
/// observed after an unwind.
pub(crate) fn guard<T>(what: &str, parse: impl FnOnce() -> Result<T, MediaError>) -> Result<T, MediaError> {
    catch_unwind(AssertUnwindSafe(parse))
        .unwrap_or_else(|_| Err(MediaError::Corrupt(format!("{what} parser panicked"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_parser_becomes_a_corrupt_error() {
        let out: Result<(), _> = guard("test", || panic!("boom"));
        assert!(matches!(out, Err(MediaError::Corrupt(m)) if m.contains("test")));
    }

    #[test]
    fn a_parser_result_passes_through_unchanged() {
        assert!(matches!(guard("test", || Ok(7)), Ok(7)));
        assert!(matches!(
            guard::<()>("test", || Err(MediaError::TooLarge)),
            Err(MediaError::TooLarge)
        ));
    }
}
