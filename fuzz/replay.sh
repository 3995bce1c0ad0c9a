#!/usr/bin/env bash
# Replays every committed corpus (fuzz/corpus/<target>/) through its
# libFuzzer target once (-runs=0 runs the corpus and nothing else), with
# the limits the long runs used. Nightly and cargo-fuzz only; CI replays the
# same files on stable through `cargo test` (tests/fuzz_corpus.rs in
# kycmedia-media and kycmedia), which needs neither.
#
#   fuzz/replay.sh            every target
#   fuzz/replay.sh sniff      one
set -euo pipefail
cd "$(dirname "$0")"

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in "${targets[@]}"; do
    printf '==> %s (%s files)\n' "$target" "$(find "corpus/$target" -type f | wc -l)"
    if ! cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -runs=0 -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1; then
        cat "$log"
        exit 1
    fi
    grep -E '^#[0-9]+' "$log" | tail -n 1
done
echo "all corpora replayed"
