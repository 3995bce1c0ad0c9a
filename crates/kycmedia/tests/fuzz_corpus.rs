//! The committed fuzz corpora of the request-body targets replayed on
//! stable Rust through the functions the cargo-fuzz targets call
//! (`fuzz/src/server.rs`, included below); the media targets replay in
//! `kycmedia-media`'s `tests/fuzz_corpus.rs`.

#[path = "../../../fuzz/src/server.rs"]
mod server;

/// Runs `target` over each file of `fuzz/corpus/<name>`, naming the file
/// that fails.
fn replay(name: &str, target: fn(&[u8])) {
    let dir = format!("{}/../../fuzz/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.expect("a readable corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{dir} is empty");
    for path in files {
        eprintln!("{}", path.display());
        target(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    }
}

#[test]
fn every_content_decoding_corpus_input_decodes_or_is_refused_with_a_code() {
    replay("content_decoding", server::content_decoding);
}

#[test]
fn every_json_bodies_corpus_input_is_parsed_or_refused_with_a_reason() {
    replay("json_bodies", server::json_bodies);
}
