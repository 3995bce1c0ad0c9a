#!/usr/bin/env bash
# The document contexts' cost on a photo with no card in it (the worst case
# for a front: every fallback runs), against a baseline binary, alternating
# in the same minute, one core:
#
#   bash bench/document-fallbacks.sh BASELINE_BIN [NEW_BIN]
#
# Each run is one `kycmedia analyze` over the same photo 20 times (the
# models' one-time load is then a small share); prints the median ms per
# image of 5 runs for each binary and context, and the ratio new / baseline.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE=$1
NEW=${2:-$ROOT/target/release/kycmedia}
PHOTOS=${KYCMEDIA_BENCH_PHOTOS:-$ROOT/target/bench-photos}
python3 "$ROOT/bench/make_photos.py" "$PHOTOS" > /dev/null
PIN=(taskset -c 0)
command -v taskset > /dev/null || PIN=()
python3 - "$BASE" "$NEW" "$PHOTOS" "${PIN[@]}" <<'PY'
import statistics, subprocess, sys, time
base, new, photos, pin = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
print("| photo | context | baseline ms | new ms | ratio |")
print("|---|---|---:|---:|---:|")
for size in ("1920x1080", "4000x3000"):
    files = [f"{photos}/photo-{size}.jpg"] * 20
    for ctx in ("document-front", "document-back", "face"):
        times = {base: [], new: []}
        for _ in range(5):
            for b in (base, new):
                t = time.perf_counter()
                subprocess.run(pin + [b, "analyze", "--context", ctx] + files, check=True, stdout=subprocess.DEVNULL)
                times[b].append((time.perf_counter() - t) * 1000 / len(files))
        mb, mn = statistics.median(times[base]), statistics.median(times[new])
        print(f"| {size} | {ctx} | {mb:.1f} | {mn:.1f} | {mn / mb:.2f} |")
PY
