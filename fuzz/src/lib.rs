//! What each fuzz target does with one input, written once: the cargo-fuzz
//! binaries in `fuzz_targets/` call these, and so do the stable-Rust replay
//! tests (`crates/kycmedia-media/tests/fuzz_corpus.rs`,
//! `crates/kycmedia/tests/fuzz_corpus.rs`), which include these files by
//! path, so the committed corpus is replayed through exactly the same code.

/// Targets on pure functions of `kycmedia-media` and `kycmedia-proto`.
pub mod pure;
/// Targets on the server crate's request-body parsers.
pub mod server;
