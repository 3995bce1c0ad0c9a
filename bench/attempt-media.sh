#!/usr/bin/env bash
# Load benchmark of `GET /v1/attempts/{id}/media` (an attempt with 10 media)
# against a baseline that answers the same bytes with no database and no HMAC.
# Both run on loopback, loaded by the same wrk, with the same threads,
# connections, duration and request bytes, in the same run. Details and the
# recorded results: docs/benchmarks.md.
#
#   bash bench/attempt-media.sh
#   BENCH_BACKEND=postgres bash bench/attempt-media.sh
#
# Environment (defaults in brackets):
#   BENCH_BACKEND      sqlite: SQLite file + file storage; postgres: a
#                      throwaway PostgreSQL cluster + moto S3 (bench/pg.sh) [sqlite]
#   BENCH_PG_CONF      extra PostgreSQL settings, "name=value ..." (postgres only) []
#   BENCH_DURATION     seconds of each measured run [20]
#   BENCH_WARMUP       seconds of the unmeasured warm-up before each run [5]
#   BENCH_CONNECTIONS  wrk connections [64]
#   BENCH_THREADS      wrk threads [2]
#   BENCH_ROUNDS       rounds; each runs both servers, the order alternating [2]
#   CARGO_TARGET_DIR   where cargo builds [<repo>/target]
#
# Progress goes to stderr; the Markdown result block to stdout. The exit status
# is 0 when every target is met, 1 when one is missed, 2 on any other failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${BENCH_DURATION:-20}
WARMUP=${BENCH_WARMUP:-5}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-2}
BACKEND=${BENCH_BACKEND:-sqlite}
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release

say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 2; }

for tool in cargo wrk curl python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
case $BACKEND in
sqlite | postgres) ;;
*) die "BENCH_BACKEND must be sqlite or postgres, not '$BACKEND'" ;;
esac
BENCH_NAME=bench
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"

# --- kycmedia -----------------------------------------------------------------
open_backend

PORT=$(free_port)
KYC_URL="http://127.0.0.1:$PORT"
# Request logs are at info; at warn the server logs nothing per request, as a
# production deployment that ships only problems would.
RUST_LOG=warn "$BIN/kycmedia" serve --listen "127.0.0.1:$PORT" --database "$DB" \
    "${STORAGE[@]}" "${KEY_FLAGS[@]}" 2>>"$TMP/kycmedia.log" &
KYC_PID=$!
PIDS+=("$KYC_PID")
for _ in $(seq 100); do
    curl -fsS "$KYC_URL/healthz" >/dev/null 2>&1 && break
    kill -0 "$KYC_PID" 2>/dev/null || { cat "$TMP/kycmedia.log" >&2; die "kycmedia exited"; }
    sleep 0.1
done
curl -fsS "$KYC_URL/healthz" >/dev/null || die "kycmedia is not healthy after 10 s"

say "seeding: one session, ten images, submitted"
ATTEMPT=$(python3 "$ROOT/bench/seed.py" "$KYC_URL" "$API_KEY" "$SECRET" "$ROOT/fixtures" "$TMP/body.json")
SIGNATURE=$(python3 -c 'import hashlib, hmac, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())' \
    "$SECRET" "$ATTEMPT")
PATH_UNDER_TEST="/v1/attempts/$ATTEMPT/media"
BODY_BYTES=$(wc -c <"$TMP/body.json")

# --- baseline -----------------------------------------------------------------
mkfifo "$TMP/baseline.out"
"$BIN/kycmedia-bench-baseline" --listen 127.0.0.1:0 --body "$TMP/body.json" >"$TMP/baseline.out" &
BASE_PID=$!
PIDS+=("$BASE_PID")
read -r BASE_ADDR <"$TMP/baseline.out" || die "the baseline printed no address"
BASE_URL="http://$BASE_ADDR"

# --- checks before loading ----------------------------------------------------
# Both answer 200 with the very same bytes to the very same request; kycmedia's
# answer is signed with the secret over those bytes (seed.py checked the same).
check() { # name url
    local headers="$TMP/$1.headers" body="$TMP/$1.body" status
    status=$(curl -sS -o "$body" -D "$headers" -w '%{http_code}' \
        -H "X-AUTH-CLIENT: $API_KEY" -H "X-HMAC-SIGNATURE: $SIGNATURE" "$2$PATH_UNDER_TEST")
    [[ $status == 200 ]] || die "$1 answered $status"
    cmp -s "$body" "$TMP/body.json" || die "$1 answered other bytes than the recorded body"
}
check kycmedia "$KYC_URL"
check baseline "$BASE_URL"
want=$(python3 -c 'import hashlib, hmac, sys; print(hmac.new(sys.argv[1].encode(), open(sys.argv[2], "rb").read(), hashlib.sha256).hexdigest())' \
    "$SECRET" "$TMP/kycmedia.body")
got=$(tr -d '\r' <"$TMP/kycmedia.headers" | awk -F': ' 'tolower($1) == "x-hmac-signature" { print $2 }')
[[ $got == "$want" ]] || die "kycmedia's response signature is wrong ($got, wanted $want)"
say "both servers answer 200 with the same $BODY_BYTES bytes; kycmedia's answer is correctly signed"

# --- load ---------------------------------------------------------------------
db_cpu_ticks() { # the database's processes (PostgreSQL); SQLite runs inside kycmedia
    if [[ $BACKEND == postgres ]]; then pg_cpu_ticks; else echo 0; fi
}
hwm_kib() { # pid: peak resident set size
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

SEED_HWM_KIB=$(hwm_kib "$KYC_PID")
# Forget the peak reached while seeding (image decoding), so that VmHWM read
# after the runs is the peak under this load alone.
echo 5 >"/proc/$KYC_PID/clear_refs"

RESULTS="$TMP/results.tsv"
export BENCH_API_KEY=$API_KEY BENCH_SIGNATURE=$SIGNATURE
run() { # round name url pid
    local out="$TMP/wrk-$2-$1.txt" before after db_before db_after
    say "round $1: $2 (warm-up ${WARMUP}s, then ${DURATION}s)"
    run_wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$ROOT/bench/signed-get.lua" "$3$PATH_UNDER_TEST" >/dev/null
    before=$(cpu_ticks "$4")
    db_before=$(db_cpu_ticks)
    run_wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/signed-get.lua" \
        "$3$PATH_UNDER_TEST" >"$out"
    after=$(cpu_ticks "$4")
    db_after=$(db_cpu_ticks)
    sed 's/^/    /' "$out" >&2
    grep '^BENCH ' "$out" | sed "s/^BENCH /round=$1 server=$2 cpu_ticks=$((after - before)) db_cpu_ticks=$((db_after - db_before)) /" >>"$RESULTS"
}
for round in $(seq "$ROUNDS"); do
    if ((round % 2)); then
        run "$round" baseline "$BASE_URL" "$BASE_PID"
        run "$round" kycmedia "$KYC_URL" "$KYC_PID"
    else
        run "$round" kycmedia "$KYC_URL" "$KYC_PID"
        run "$round" baseline "$BASE_URL" "$BASE_PID"
    fi
done
LOAD_HWM_KIB=$(hwm_kib "$KYC_PID")
kill -0 "$KYC_PID" 2>/dev/null || die "kycmedia died under load"

# --- report -------------------------------------------------------------------
COMMAND="bash bench/attempt-media.sh"
for var in BENCH_BACKEND BENCH_PG_CONF BENCH_DURATION BENCH_WARMUP BENCH_CONNECTIONS BENCH_THREADS BENCH_ROUNDS; do
    if [[ -n ${!var:-} ]]; then
        if [[ ${!var} == *" "* ]]; then COMMAND="$var='${!var}' $COMMAND"; else COMMAND="$var=${!var} $COMMAND"; fi
    fi
done
export COMMAND DURATION WARMUP CONNECTIONS THREADS ROUNDS BACKEND BACKEND_NAME
python3 - "$RESULTS" "$SEED_HWM_KIB" "$LOAD_HWM_KIB" "$(getconf CLK_TCK)" "$BODY_BYTES" <<'EOF'
import os
import sys
from statistics import mean

path, seed_hwm, load_hwm, hz, body = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
env = os.environ
runs = []
for line in open(path):
    run = dict(field.split("=", 1) for field in line.split())
    runs.append({k: (v if k == "server" else int(v)) for k, v in run.items()})
for r in runs:
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = sum(r[k] for k in r if k.startswith("err_"))
    r["cpu_us_per_req"] = r["cpu_ticks"] / hz * 1e6 / r["requests"]
    r["db_cpu_us_per_req"] = r["db_cpu_ticks"] / hz * 1e6 / r["requests"]

def agg(server):
    rs = [r for r in runs if r["server"] == server]
    return {k: mean(r[k] for r in rs) for k in ("rps", "p50_us", "p99_us", "cpu_us_per_req", "db_cpu_us_per_req")} | {
        "errors": sum(r["errors"] for r in rs)}

base, kyc = agg("baseline"), agg("kycmedia")
rps_ratio = kyc["rps"] / base["rps"]
p99_ratio = kyc["p99_us"] / base["p99_us"]
rss_mib = load_hwm / 1024
ms = lambda us: f"{us / 1000:.2f} ms"
ok = lambda b: "**pass**" if b else "**FAIL**"

print("### GET /v1/attempts/{id}/media, 10 media (%d-byte body), %s" % (body, env["BACKEND_NAME"]))
print()
print(f"Command: `{env['COMMAND']}` — wrk -t{env['THREADS']} -c{env['CONNECTIONS']} --latency, "
      f"{env['WARMUP']} s warm-up + {env['DURATION']} s measured per run, {env['ROUNDS']} rounds, "
      "order alternating (odd rounds baseline first, even rounds kycmedia first).")
print()
print("| round | server | req/s | p50 | p99 | max | server CPU µs/req | errors |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for r in runs:
    print(f"| {r['round']} | {r['server']} | {r['rps']:,.0f} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | "
          f"{ms(r['max_us'])} | {r['cpu_us_per_req']:.0f} | {r['errors']} |")
print()
print("| server (mean of rounds) | req/s | p50 | p99 | server CPU µs/req |")
print("|---|---:|---:|---:|---:|")
for name, a in (("baseline", base), ("kycmedia", kyc)):
    print(f"| {name} | {a['rps']:,.0f} | {ms(a['p50_us'])} | {ms(a['p99_us'])} | {a['cpu_us_per_req']:.0f} |")
print()
print("| target | measured | result |")
print("|---|---:|---|")
print(f"| req/s ratio kycmedia / baseline ≥ 0.5 | {rps_ratio:.2f} | {ok(rps_ratio >= 0.5)} |")
print(f"| p99 ratio kycmedia / baseline ≤ 2 | {p99_ratio:.2f} | {ok(p99_ratio <= 2)} |")
print(f"| kycmedia peak RSS under load ≤ 64 MiB | {rss_mib:.1f} MiB | {ok(rss_mib <= 64)} |")
print()
print(f"Per-round ratios (req/s, p99): " + ", ".join(
    f"round {n}: {k['rps'] / b['rps']:.2f}, {k['p99_us'] / b['p99_us']:.2f}"
    for n in sorted({r['round'] for r in runs})
    for b in [next(r for r in runs if r['round'] == n and r['server'] == 'baseline')]
    for k in [next(r for r in runs if r['round'] == n and r['server'] == 'kycmedia')]) + ".")
print(f"kycmedia peak RSS while seeding (before the load, reset afterwards): {seed_hwm / 1024:.1f} MiB.")
if env["BACKEND"] == "postgres":
    print(f"PostgreSQL's own CPU (all its processes, not counted above) per kycmedia request: "
          f"{kyc['db_cpu_us_per_req']:.0f} µs; settings: PostgreSQL {env['PG_VERSION']} defaults"
          + (f" + {env['BENCH_PG_CONF']}" if env.get("BENCH_PG_CONF") else "") + ".")
if base["errors"] or kyc["errors"]:
    print()
    print(f"**Invalid run**: wrk counted errors (baseline {base['errors']}, kycmedia {kyc['errors']}).")
    sys.exit(2)
sys.exit(0 if rps_ratio >= 0.5 and p99_ratio <= 2 and rss_mib <= 64 else 1)
EOF
