//! The committed fuzz corpora (`fuzz/corpus/<target>/`, minimised by
//! `cargo fuzz cmin`) replayed on stable Rust through the very functions
//! the cargo-fuzz targets call (`fuzz/src/pure.rs`, included below), so CI
//! re-checks every input the fuzzer kept without a nightly toolchain. A
//! crash the fuzzer found is committed there too, beside a named
//! regression test.

#[path = "../../../fuzz/src/pure.rs"]
mod pure;

/// Every file of `fuzz/corpus/<target>`, by name.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = format!("{}/../../fuzz/corpus/{target}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.expect("a readable corpus entry").path())
        .collect();
    files.sort();
    let read: Vec<_> = files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.display().to_string(), bytes)
        })
        .collect();
    assert!(!read.is_empty(), "{dir} is empty");
    read
}

/// Runs `target` over each file of its corpus, naming the file that fails,
/// on every core (the analysis corpus is seconds of CPU).
fn replay(name: &str, target: fn(&[u8])) {
    let files = corpus(name);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = files.len().div_ceil(cores);
    std::thread::scope(|scope| {
        for chunk in files.chunks(share) {
            scope.spawn(move || {
                for (path, bytes) in chunk {
                    eprintln!("{path}");
                    target(bytes);
                }
            });
        }
    });
}

#[test]
fn every_sniff_corpus_input_is_sniffed_consistently() {
    replay("sniff", pure::sniff_bytes);
}

#[test]
fn every_video_probe_corpus_input_is_probed_within_its_caps() {
    replay("video_probe", pure::probe_bytes);
}

#[test]
fn every_analyse_corpus_input_is_analysed_with_scores_in_the_unit_interval() {
    replay("analyse", pure::analyse_bytes);
}

#[test]
fn every_signature_header_corpus_input_parses_as_its_hex_spells() {
    replay("signature_header", pure::signature_header);
}
