#!/usr/bin/env bash
# The capture page on loopback (SQLite + files): the bytes the whole flow
# moves, and the time from a photo's upload to its advice, beside the same
# photo uploaded through the API (base64 JSON, signed) in the same run.
#
#   bash bench/capture.sh
#
#   BENCH_N            photos sent each way [60]
#   CARGO_TARGET_DIR   where cargo builds [<repo>/target]
#
# Progress goes to stderr; the Markdown result block to stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKEND=sqlite
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release

say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 2; }

for tool in cargo curl python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
BENCH_NAME=capture
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"

open_backend

serve_kycmedia

say "measuring (${BENCH_N:-60} photos each way)"
KYC_URL=$KYC_URL API_KEY=$API_KEY SECRET=$SECRET PHOTO="$ROOT/fixtures/photo-1920.jpg" \
    python3 "$ROOT/bench/capture.py"
