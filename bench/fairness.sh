#!/usr/bin/env bash
# Fairness between tenants: tenant B's read p99 (`GET /v1/attempts/{id}/media`
# at a steady BENCH_READ_RATE a second over one kept-alive connection, as an
# ordinary integration polls) with the server otherwise idle, against the same
# while tenant A floods uploads of a real photo from BENCH_FLOOD_CONNECTIONS
# connections. The idle reads are the baseline, on the same server in the
# same run: idle and flooded phases alternate, BENCH_ROUNDS times, so that
# whatever else the machine runs weighs on both alike. Target: B's p99
# under the flood at most twice its idle p99.
#
# It runs the server twice: as configured by default (one integration holds
# at most its share of the analysis slots), and with
# `--analyses-per-integration 1000` (no share: any tenant may hold every slot,
# as before the share existed), to show what the share does. Both tenants
# come from 127.0.0.1 here, so the per-address limit is off; the
# per-integration limit is the default's. Details and the recorded results:
# docs/benchmarks.md.
#
#   bash bench/fairness.sh
#
# Environment (defaults in brackets):
#   BENCH_DURATION           seconds of each measured phase [10]
#   BENCH_ROUNDS             idle and flooded phases, alternating, per server [3]
#   BENCH_READ_RATE          tenant B's reads a second [50]
#   BENCH_FLOOD_CONNECTIONS  tenant A's uploading connections [16]
#   BENCH_IMAGE              the photo tenant A uploads [fixtures/photo-1920.jpg]
#   CARGO_TARGET_DIR         where cargo builds [<repo>/target]
#
# Progress goes to stderr; the Markdown result block to stdout. The exit status
# is 0 when the target is met by the default configuration, 1 when it is
# missed, 2 on any other failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
READ_RATE=${BENCH_READ_RATE:-50}
FLOOD=${BENCH_FLOOD_CONNECTIONS:-16}
IMAGE=${BENCH_IMAGE:-$ROOT/fixtures/photo-1920.jpg}
BACKEND=sqlite
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release

say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 2; }

for tool in cargo wrk curl python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
[[ -f $IMAGE ]] || die "no image at $IMAGE"
# The per-integration limit as in production; one address for both tenants.
export KYCMEDIA_INTEGRATION_REQUESTS_PER_SECOND=${KYCMEDIA_INTEGRATION_REQUESTS_PER_SECOND:-100}
export KYCMEDIA_ADDRESS_REQUESTS_PER_SECOND=0
BENCH_NAME=fairness
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"

open_backend # tenant A: API_KEY, SECRET
A_KEY=$API_KEY
A_SECRET=$SECRET
created=$("$BIN/kycmedia" integration create --name tenant-b --database "$DB" "${KEY_FLAGS[@]}" 2>>"$TMP/kycmedia.log")
B_KEY=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["apiKey"])' <<<"$created")
B_SECRET=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["sharedSecret"])' <<<"$created")

# Tenant A's upload body and its signature (the body names no session).
python3 - "$IMAGE" "$TMP/upload.json" <<'EOF'
import base64, json, sys
content = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
json.dump({"image": {"context": "document-front", "content": content}}, open(sys.argv[2], "w"), separators=(",", ":"))
EOF
A_SIGNATURE=$(python3 -c 'import hashlib, hmac, sys; print(hmac.new(sys.argv[1].encode(), open(sys.argv[2], "rb").read(), hashlib.sha256).hexdigest())' \
    "$A_SECRET" "$TMP/upload.json")

reads() { # label seconds: tenant B's reads, their latencies appended to $TMP/label.us
    python3 "$ROOT/bench/fairness_reader.py" "$KYC_URL" "$B_KEY" "$B_SECRET" "$ATTEMPT" "$READ_RATE" "$2" "$TMP/$1.us" >&2
}

RESULTS="$TMP/results.tsv"
measure() { # label serve-flags…
    local label=$1 session round wrk_pid
    shift
    serve_kycmedia "$@"
    say "$label: seeding tenant B (one attempt, ten images)"
    ATTEMPT=$(python3 "$ROOT/bench/seed.py" "$KYC_URL" "$B_KEY" "$B_SECRET" "$ROOT/fixtures" "$TMP/body.json")
    session=$(curl -fsS -X POST "$KYC_URL/v1/sessions" -H "X-AUTH-CLIENT: $A_KEY" \
        -H 'Content-Type: application/json' -d '{"verification":{}}' |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["verification"]["id"])')
    reads "$label-warmup" 3
    for round in $(seq "$ROUNDS"); do
        say "$label, round $round: tenant B reads, idle (${DURATION}s)"
        reads "$label-idle" "$DURATION"
        say "$label, round $round: tenant B reads while tenant A floods uploads from $FLOOD connections (${DURATION}s)"
        BENCH_UPLOAD_BODY="$TMP/upload.json" BENCH_API_KEY=$A_KEY BENCH_SIGNATURE=$A_SIGNATURE \
            wrk -t1 -c"$FLOOD" -d"$((DURATION + 3))s" --timeout 60s -s "$ROOT/bench/upload.lua" \
            "$KYC_URL/v1/sessions/$session/media" >"$TMP/$label-flood-$round.txt" 2>&1 &
        wrk_pid=$!
        WRK_PID=$wrk_pid
        sleep 2
        reads "$label-loaded" "$DURATION"
        wait "$wrk_pid" || true
        WRK_PID=""
        grep '^FLOOD' "$TMP/$label-flood-$round.txt" >>"$TMP/$label-flood.txt" ||
            die "wrk printed no result: $(cat "$TMP/$label-flood-$round.txt")"
    done
    printf '%s\t%s\t%s\t%s\n' "$label" "$TMP/$label-idle.us" "$TMP/$label-loaded.us" "$TMP/$label-flood.txt" >>"$RESULTS"
    kill "${PIDS[-1]}"
    wait "${PIDS[-1]}" 2>/dev/null || true
    unset 'PIDS[-1]'
}

measure shared
measure unshared --analyses-per-integration 1000

python3 - "$RESULTS" "$DURATION" "$ROUNDS" "$READ_RATE" "$FLOOD" "$(basename "$IMAGE")" "$(nproc)" <<'EOF'
import re, sys
results, duration, rounds, rate, flood, image, cores = sys.argv[1:8]

def percentile(values, p):
    return values[min(len(values) - 1, int(p * len(values)))]

def ms(us):
    return f"{us / 1000:.1f} ms"

ok = True
print(f"tenant B: {rate} reads/s; tenant A: {flood} connections uploading {image}; "
      f"{rounds} rounds of {duration} s idle then {duration} s flooded, per server; {cores} cores\n")
print("| analyses | B idle p50 | B idle p99 | B flooded p50 | B flooded p99 | p99 flooded/idle | reads idle/flooded | A uploads/s | A non-2xx |")
print("|---|---|---|---|---|---|---|---|---|")
for line in open(results):
    label, idle_file, loaded_file, flood_file = line.rstrip("\n").split("\t")
    idle = sorted(int(v) for v in open(idle_file))
    loaded = sorted(int(v) for v in open(loaded_file))
    floods = [dict(re.findall(r"(\w+)=(\d+)", l)) for l in open(flood_file)]
    uploads = sum(int(f["requests"]) for f in floods) / (sum(int(f["duration_us"]) for f in floods) / 1e6)
    non2xx = sum(int(f["err_status"]) for f in floods)
    ratio = percentile(loaded, 0.99) / max(1, percentile(idle, 0.99))
    if label == "shared":
        ok = ratio <= 2.0
    name = "one integration's share (default)" if label == "shared" else "no share (--analyses-per-integration 1000)"
    print(f"| {name} | {ms(percentile(idle, 0.5))} | {ms(percentile(idle, 0.99))} | {ms(percentile(loaded, 0.5))} | "
          f"{ms(percentile(loaded, 0.99))} | {ratio:.2f} | {len(idle)}/{len(loaded)} | {uploads:.1f} | {non2xx} |")
print(f"\ntarget: with the share, B's flooded p99 at most 2 x its idle p99: {'met' if ok else 'MISSED'}")
sys.exit(0 if ok else 1)
EOF
