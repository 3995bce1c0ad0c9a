#!/usr/bin/env bash
# Memory under a flood of large, wrongly signed bodies: BENCH_BODIES parallel
# uploads of BENCH_BODY_MIB MiB each, with a valid (publishable) API key and a
# wrong signature, against one server. Reports how each was answered and the
# server's peak resident set (VmHWM) before and during the flood; the bound is
# `--max-body-bytes-in-flight` (256 MiB by default) plus what the server
# holds idle. Run once as configured and once with the bound off
# (`--max-body-bytes-in-flight 0`), the behaviour before it existed.
#
#   bash bench/body-flood.sh
#
# Environment (defaults in brackets):
#   BENCH_BODIES    parallel bodies [64]
#   BENCH_BODY_MIB  size of each, MiB [31]
#   CARGO_TARGET_DIR where cargo builds [<repo>/target]
#
# Progress goes to stderr; the Markdown result block to stdout. Exit status 0
# when, with the bound, every body was refused cleanly (401 or 503) and the
# peak stayed under bound + idle peak + 64 MiB; 1 when not; 2 on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BODIES=${BENCH_BODIES:-64}
BODY_MIB=${BENCH_BODY_MIB:-31}
BACKEND=sqlite
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release

say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 2; }

for tool in cargo curl python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
BENCH_NAME=body-flood
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"
open_backend

hwm_mib() { awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

RESULTS="$TMP/results.tsv"
flood() { # label serve-flags…
    local label=$1 pid session before answers
    shift
    serve_kycmedia --max-body-bytes $((BODY_MIB * 1024 * 1024 + 1024)) "$@"
    pid=${PIDS[-1]}
    session=$(curl -fsS -X POST "$KYC_URL/v1/sessions" -H "X-AUTH-CLIENT: $API_KEY" \
        -H 'Content-Type: application/json' -d '{"verification":{}}' |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["verification"]["id"])')
    before=$(hwm_mib "$pid")
    say "$label: $BODIES parallel ${BODY_MIB} MiB bodies, wrong signature"
    answers=$(python3 - "$KYC_URL/v1/sessions/$session/media" "$API_KEY" "$BODIES" "$BODY_MIB" <<'EOF'
import collections, concurrent.futures, sys, urllib.error, urllib.request
url, key, bodies, mib = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
body = b" " * (mib << 20)
def send(_):
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "X-AUTH-CLIENT": key, "X-HMAC-SIGNATURE": "0" * 64, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return str(response.status)
    except urllib.error.HTTPError as e:
        return str(e.code)
    except OSError as e:
        return type(e).__name__
with concurrent.futures.ThreadPoolExecutor(bodies) as pool:
    counts = collections.Counter(pool.map(send, range(bodies)))
print(" ".join(f"{status}x{n}" for status, n in sorted(counts.items())))
EOF
)
    printf '%s\t%s\t%s\t%s\n' "$label" "$before" "$(hwm_mib "$pid")" "$answers" >>"$RESULTS"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    unset 'PIDS[-1]'
}

flood bounded
flood unbounded --max-body-bytes-in-flight 0

python3 - "$RESULTS" "$BODIES" "$BODY_MIB" <<'EOF'
import sys
results, bodies, mib = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [line.rstrip("\n").split("\t") for line in open(results)]
print(f"{bodies} parallel {mib} MiB bodies, valid API key, wrong signature\n")
print("| body budget | peak RSS idle | peak RSS during the flood | answers (status x count) |")
print("|---|---|---|---|")
ok = True
for label, before, during, answers in rows:
    name = "256 MiB (default)" if label == "bounded" else "none (--max-body-bytes-in-flight 0)"
    print(f"| {name} | {before} MiB | {during} MiB | {answers} |")
    if label == "bounded":
        clean = all(a.split("x")[0] in ("401", "503") for a in answers.split())
        ok = clean and int(during) <= int(before) + 256 + 64
print(f"\ntarget: with the budget, every body refused with 401 or 503 and the peak within budget + 64 MiB: {'met' if ok else 'MISSED'}")
sys.exit(0 if ok else 1)
EOF
