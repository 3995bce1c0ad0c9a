#!/usr/bin/env bash
# Speed of the analysis against the same pipeline done with OpenCV, on one
# core, on the same two photos (1920x1080 and 4000x3000 JPEG made from real
# package photos by bench/make_photos.py):
#
#   kycmedia:  criterion, `analyse` under `face` (decode to luma, orient,
#              shrink, sharpness/exposure/contrast/noise/blocking, face search)
#   baseline:  bench/opencv_pipeline.py (imdecode greyscale, INTER_AREA
#              resize to 512, variance of Laplacian, Haar cascade faces)
#
#   bash bench/analyse-vs-opencv.sh      (needs: pip install 'opencv-python-headless<5' pillow numpy scikit-image)
#
# Prints median ms per image for both and the ratio kycmedia / OpenCV
# (below 1 = kycmedia faster). Both are pinned to CPU 0 with taskset.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PHOTOS=${KYCMEDIA_BENCH_PHOTOS:-$TARGET/bench-photos}
PIN=(taskset -c 0)
command -v taskset > /dev/null || PIN=()

python3 "$ROOT/bench/make_photos.py" "$PHOTOS" > /dev/null
(cd "$ROOT" && KYCMEDIA_BENCH_PHOTOS="$PHOTOS" "${PIN[@]}" cargo bench -p kycmedia-media --bench analyse -- \
    --warm-up-time 2 --measurement-time 10 >&2)
"${PIN[@]}" python3 "$ROOT/bench/opencv_pipeline.py" --runs 30 "$PHOTOS/photo-1920x1080.jpg" "$PHOTOS/photo-4000x3000.jpg" \
    > "$TARGET/opencv-pipeline.jsonl"

python3 - "$TARGET" <<'PY'
import json, pathlib, sys
target = pathlib.Path(sys.argv[1])
opencv = {pathlib.Path(r["file"]).stem.removeprefix("photo-"): r for r in map(json.loads, open(target / "opencv-pipeline.jsonl"))}
def median_ms(bench):
    est = json.load(open(target / "criterion" / "analyse" / bench / "new" / "estimates.json"))
    return est["median"]["point_estimate"] / 1e6
print("| photo | kycmedia face (ms) | OpenCV pipeline (ms) | ratio | document-front (ms) | document-back-barcode (ms) |")
print("|---|---:|---:|---:|---:|---:|")
for size in ("1920x1080", "4000x3000"):
    ours, theirs = median_ms(f"face_{size}"), opencv[size]["median_ms"]
    front, barcode = median_ms(f"document-front_{size}"), median_ms(f"document-back-barcode_{size}")
    print(f"| {size} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} | {front:.1f} | {barcode:.1f} |")
PY
