#!/usr/bin/env bash
# Diagnostic companion of attempt-media.sh: where a request's cost goes.
# Loads one kycmedia with the same wrk settings on endpoints that each add one
# layer of work, and prints req/s, p99 and server CPU per request for each:
#
#   /healthz                           the middleware stack only
#   /readyz                            + one `SELECT 1` through the SQLite pool
#   attempt media, bad signature       + authentication (cached integration), 401, no query
#   attempt media, unknown attempt     + one query returning no row, 404
#   attempt media                      the benchmarked request (served from the media-list cache once warm)
#
#   bash bench/cost-ladder.sh          (BENCH_DURATION, default 10 s per step)
#
# Not a pass/fail benchmark: docs/benchmarks.md explains what it showed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kycmedia-ladder.XXXXXX")
KYC_PID=
cleanup() {
    if [[ -n $KYC_PID ]]; then
        kill "$KYC_PID" 2>/dev/null || true
        wait "$KYC_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

(cd "$ROOT" && cargo build --release -p kycmedia) >&2

DB="sqlite://$TMP/k.db"
(umask 077 && "$BIN/kycmedia" keys generate >"$TMP/master.key")
export KYCMEDIA_MASTER_KEY_FILE="$TMP/master.key"
created=$("$BIN/kycmedia" integration create --name bench --database "$DB" 2>/dev/null)
API_KEY=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["apiKey"])' <<<"$created")
SECRET=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["sharedSecret"])' <<<"$created")
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
# One tenant from one address, far past the rate limits: off, as in harness.sh.
RUST_LOG=warn "$BIN/kycmedia" serve --listen "127.0.0.1:$PORT" --database "$DB" \
    --storage "file://$TMP/media" --integration-requests-per-second 0 \
    --address-requests-per-second 0 2>"$TMP/kycmedia.log" &
KYC_PID=$!
for _ in $(seq 100); do
    curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
ATTEMPT=$(python3 "$ROOT/bench/seed.py" "$URL" "$API_KEY" "$SECRET" "$ROOT/fixtures" "$TMP/body.json")

sign() {
    python3 -c 'import hashlib, hmac, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())' \
        "$SECRET" "$1"
}
UNKNOWN=00000000-0000-4000-8000-000000000000
BAD_SIGNATURE=$(printf '0%.0s' $(seq 64))

step() { # label path signature
    local before after out
    before=$(awk '{ print $14 + $15 }' "/proc/$KYC_PID/stat")
    out=$(BENCH_API_KEY=$API_KEY BENCH_SIGNATURE=$3 wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" \
        -s "$ROOT/bench/signed-get.lua" "$URL$2" | grep '^BENCH ')
    after=$(awk '{ print $14 + $15 }' "/proc/$KYC_PID/stat")
    python3 - "$1" "$out" "$((after - before))" "$(getconf CLK_TCK)" <<'EOF'
import sys
label, line, ticks, hz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
f = {k: int(v) for k, v in (x.split("=") for x in line.split()[1:])}
n = f["requests"]
print(f"| {label} | {n / f['duration_us'] * 1e6:,.0f} | {f['p99_us'] / 1000:.2f} ms | "
      f"{ticks / hz * 1e6 / n:.0f} | {f['err_status']} |")
EOF
}

echo "| step | req/s | p99 | server CPU µs/req | non-2xx |"
echo "|---|---:|---:|---:|---:|"
step "/healthz (middleware only)" /healthz x
step "/readyz (+ one SELECT 1 through the pool)" /readyz x
step "attempt media, bad signature → 401 (+ auth, no query)" "/v1/attempts/$ATTEMPT/media" "$BAD_SIGNATURE"
step "unknown attempt → 404 (+ auth, one query, no row)" "/v1/attempts/$UNKNOWN/media" "$(sign "$UNKNOWN")"
step "attempt media → 200 (cached list once warm, signing)" "/v1/attempts/$ATTEMPT/media" "$(sign "$ATTEMPT")"
