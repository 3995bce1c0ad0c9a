#!/usr/bin/env bash
# Webhook delivery on loopback, each figure beside a baseline run in the
# same script (bench/webhooks.py says how each is taken):
#
#   bash bench/webhooks.sh                          # SQLite + files
#   BENCH_BACKEND=postgres bash bench/webhooks.sh   # PostgreSQL + S3 (moto)
#
#   BENCH_LATENCY_N    sessions submitted one at a time for the latency [200]
#   BENCH_BULK_N       sessions submitted at once for the rates [2000]
#   CARGO_TARGET_DIR   where cargo builds [<repo>/target]
#   BENCH_RUST_LOG     the server's RUST_LOG [warn]; "warn,sqlx::query=debug"
#                      logs every statement with its time
#   BENCH_KEEP_LOG     a path to copy the server's log to at the end
#
# Progress goes to stderr; the Markdown result block to stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKEND=${BENCH_BACKEND:-sqlite}
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release

say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 2; }

for tool in cargo curl python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
case $BACKEND in
sqlite | postgres) ;;
*) die "BENCH_BACKEND must be sqlite or postgres, not '$BACKEND'" ;;
esac
BENCH_NAME=webhooks
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"

open_backend

# One retry a second apart, so that webhooks sent while the receiver is away
# have failed within seconds and can be replayed together.
serve_kycmedia --webhook-allow-http --webhook-allow-private --webhook-retry-schedule 1s \
    --max-body-bytes 1048576

say "measuring (latency: ${BENCH_LATENCY_N:-200} sessions; rates: ${BENCH_BULK_N:-2000})"
result=$(KYC_URL=$KYC_URL API_KEY=$API_KEY SECRET=$SECRET BIN=$BIN DB=$DB RECEIVER_PORT=$(free_port) \
    python3 "$ROOT/bench/webhooks.py")
BACKEND_NAME=$BACKEND_NAME python3 - "$result" <<'PY'
import json, os, sys
r = json.loads(sys.argv[1].splitlines()[0])
print(f"### Webhooks, {os.environ['BACKEND_NAME']}\n")
print("| figure | kycmedia | baseline | ratio |")
print("|---|---:|---:|---:|")
print(f"| commit to receipt, p50 | {r['latency_p50_ms']:.1f} ms | {r['baseline_p50_ms']:.2f} ms (direct POST) | {r['latency_p50_ms'] / r['baseline_p50_ms']:.0f} |")
print(f"| commit to receipt, p99 | {r['latency_p99_ms']:.1f} ms | {r['baseline_p99_ms']:.2f} ms | {r['latency_p99_ms'] / r['baseline_p99_ms']:.0f} |")
print(f"| deliveries per second | {r['deliveries_per_s']:.0f} ({r['delivered']} replayed) | {r['baseline_posts_per_s']:.0f} (direct POSTs, 16 connections) | {r['deliveries_per_s'] / r['baseline_posts_per_s']:.2f} |")
print(f"| outbox rows per second (submits, 8 clients) | {r['submits_per_s']:.0f} | {r['creates_per_s']:.0f} (session creations) | {r['submits_per_s'] / r['creates_per_s']:.2f} |")
PY
