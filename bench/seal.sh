#!/usr/bin/env bash
# Sealing and opening a stored object (`keys::object`) against what the same
# bytes cost without encryption, in the same run: the criterion benchmark
# crates/kycmedia/benches/seal.rs, run for a few rounds, the baselines (copy,
# SHA-256, HMAC-SHA256) and the sealing functions (seal, open, open_stream)
# alternating which go first. Prints MB/s (10^6 bytes a second, from
# criterion's median time per iteration), the median over rounds, and the
# ratios to the baselines. Details and recorded results: docs/benchmarks.md
# ("Encryption at rest").
#
#   bash bench/seal.sh
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS       rounds [3]
#   BENCH_SEAL_BIN     a seal benchmark executable built before (another
#                      tree's, to compare two builds); skips the build []
#   CARGO_TARGET_DIR   where cargo builds [<repo>/target]
#
# Progress goes to stderr; the Markdown result block to stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
say() { echo "bench: $*" >&2; }

OUT=$(mktemp -d "${TMPDIR:-/tmp}/kycmedia-seal.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
BASELINES='^seal/(copy|sha256|hmac_sha256)/'
SEALING='^seal/(seal|open|open_stream)/'
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

EXE=${BENCH_SEAL_BIN:-}
if [[ -z $EXE ]]; then
    say "building the benchmark (release profile)"
    # The executable is run directly afterwards: one cargo call, not one per
    # round, each of which would check (and may rebuild) the whole crate.
    EXE=$(cd "$ROOT" && cargo bench -p kycmedia --bench seal --no-run --message-format=json-render-diagnostics |
        python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "seal" and m.get("executable"):
        print(m["executable"])')
fi
[[ -x $EXE ]] || { say "error: no benchmark executable ($EXE)"; exit 2; }
for round in $(seq "$ROUNDS"); do
    if ((round % 2)); then order=("$BASELINES" "$SEALING"); else order=("$SEALING" "$BASELINES"); fi
    for filter in "${order[@]}"; do
        say "round $round: $filter"
        CRITERION_HOME="$OUT/criterion" "$EXE" --bench "$filter" >&2
    done
    (cd "$OUT/criterion/seal" && find . -path '*/new/estimates.json' | while read -r f; do
        mkdir -p "$OUT/rounds/$round/$(dirname "$(dirname "$f")")"
        cp "$f" "$OUT/rounds/$round/$(dirname "$(dirname "$f")")/"
    done)
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

export ROUNDS LOAD_BEFORE LOAD_AFTER
python3 - "$OUT/rounds" <<'EOF'
import json
import os
import pathlib
import sys
from statistics import median

out = pathlib.Path(sys.argv[1])
sizes = {"64KiB": 64 << 10, "1MiB": 1 << 20, "32MiB": 32 << 20}
functions = ["copy", "sha256", "hmac_sha256", "seal", "open", "open_stream"]
rounds = sorted(int(p.name) for p in out.iterdir())

def mbs(rnd, fn, size):  # MB/s from criterion's median time per iteration
    ns = json.loads((out / str(rnd) / fn / size / "estimates.json").read_text())["median"]["point_estimate"]
    return sizes[size] / ns * 1e3

print("### Sealing and opening in memory, one core (criterion, `keys::object`)")
print()
print(f"Command: `bash bench/seal.sh` (`cargo bench -p kycmedia --bench seal`), {os.environ['ROUNDS']} rounds, "
      "baselines and sealing functions alternating which run first; MB/s = 10^6 bytes a second from criterion's "
      f"median per iteration, then the median of the rounds. Load average before / after: "
      f"{os.environ['LOAD_BEFORE']} / {os.environ['LOAD_AFTER']}.")
print()
print("| size | " + " | ".join(functions) + " |")
print("|---|" + "---:|" * len(functions))
for size in sizes:
    print(f"| {size} | " + " | ".join(f"{median(mbs(n, fn, size) for n in rounds):,.0f}" for fn in functions) + " |")
print()
print("Ratios (time of the function over time of the baseline; median of the per-round ratios):")
print()
pairs = [("seal", "copy"), ("open", "copy"), ("open_stream", "copy"), ("seal", "hmac_sha256"),
         ("open", "hmac_sha256"), ("open_stream", "hmac_sha256")]
print("| size | " + " | ".join(f"{a} / {b}" for a, b in pairs) + " |")
print("|---|" + "---:|" * len(pairs))
for size in sizes:
    print(f"| {size} | " + " | ".join(
        f"{median(mbs(n, b, size) / mbs(n, a, size) for n in rounds):.1f}" for a, b in pairs) + " |")
print()
print("Per-round MB/s (" + ", ".join(functions) + "): " + "; ".join(
    f"{size} round {n}: " + ", ".join(f"{mbs(n, fn, size):,.0f}" for fn in functions)
    for size in sizes for n in rounds) + ".")
EOF
