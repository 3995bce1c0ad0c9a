#!/usr/bin/env bash
# Soak: a mixed load (list reads, downloads, create-upload-list-delete
# cycles) held at half of the measured peak for BENCH_SOAK_SECS, while the
# server's resident memory, open file descriptors and database connections
# are sampled every 10 s. The baseline is the same run's first minute: the
# last minute must show RSS growth < 10 %, no more open descriptors and no
# more database connections, and the whole run 0 failed requests. Details
# and the recorded results: docs/reliability.md ("Soak").
#
#   bash bench/soak.sh
#   BENCH_BACKEND=postgres bash bench/soak.sh
#
# Environment (defaults in brackets):
#   BENCH_BACKEND       sqlite: SQLite file + file storage; postgres: a
#                       throwaway PostgreSQL cluster + moto S3 (bench/pg.sh) [sqlite]
#   BENCH_PG_CONF       extra PostgreSQL settings, "name=value ..." (postgres only) []
#   BENCH_SOAK_SECS     seconds of the soak [600]
#   BENCH_PEAK_SECS     seconds of each class's peak measurement [15]
#   BENCH_SOAK_LOAD     fraction of the peak the soak runs at [0.5]
#   BENCH_SESSIONS      read-set sessions, five images each [20]
#   BENCH_KEEP_DIR      copy the raw samples and counts there as well []
#   CARGO_TARGET_DIR    where cargo builds [<repo>/target]
#
# Progress goes to stderr; the Markdown result block to stdout. The exit status
# is 0 when every target is met, 1 when one is missed, 2 on any other failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOAK_SECS=${BENCH_SOAK_SECS:-600}
PEAK_SECS=${BENCH_PEAK_SECS:-15}
SOAK_LOAD=${BENCH_SOAK_LOAD:-0.5}
SESSIONS=${BENCH_SESSIONS:-20}
BACKEND=${BENCH_BACKEND:-sqlite}
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
SAMPLE_SECS=10

say() { echo "soak: $*" >&2; }
die() { say "error: $*"; exit 2; }

for tool in cargo curl python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
case $BACKEND in
sqlite | postgres) ;;
*) die "BENCH_BACKEND must be sqlite or postgres, not '$BACKEND'" ;;
esac
((SOAK_SECS >= 120)) || die "BENCH_SOAK_SECS must be at least 120 (a first and a last minute)"
BENCH_NAME=soak
HARNESS_PACKAGES=(kycmedia-bench-soak)
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"
LOAD_BIN="$BIN/kycmedia-bench-soak"

# --- kycmedia -----------------------------------------------------------------
# Both `integration create` (the secret is sealed) and `serve` read the key.
"$BIN/kycmedia" keys generate >"$TMP/master.key"
chmod 600 "$TMP/master.key"
export KYCMEDIA_MASTER_KEY_FILE="$TMP/master.key"
open_backend
# shellcheck disable=SC2119 # no extra serve flags
serve_kycmedia
KYC_PID=${PIDS[-1]}
say "kycmedia (pid $KYC_PID) at $KYC_URL"
load() { "$LOAD_BIN" --url "$KYC_URL" --api-key "$API_KEY" --secret "$SECRET" "$@"; }

say "seeding: $SESSIONS sessions of five fixture images, submitted"
load seed --fixtures "$ROOT/fixtures" --sessions "$SESSIONS" --out "$TMP/state.json"

# --- peak ---------------------------------------------------------------------
# Each class alone, closed loop: lists and downloads with 64 requests in
# flight, cycles with 8 (each upload is analysed, CPU-bound on 2 cores).
declare -A CONCURRENCY=([lists]=64 [downloads]=64 [cycles]=8)
for class in lists downloads cycles; do
    say "peak: $class, ${PEAK_SECS}s closed loop, ${CONCURRENCY[$class]} in flight"
    load peak --state "$TMP/state.json" --class "$class" --secs "$PEAK_SECS" \
        --concurrency "${CONCURRENCY[$class]}" >"$TMP/peak-$class.json"
    say "  $(python3 -c 'import json, sys; p = json.load(open(sys.argv[1])); print("%.1f/s, %d failed" % (p["rate"], p["failed"]))' "$TMP/peak-$class.json")"
done

# The soak's rates: if each class alone fills the machine at its peak, these
# shares of the peaks (40 % lists, 30 % downloads, 30 % cycles of the load)
# together fill SOAK_LOAD of it.
read -r LISTS_RATE DOWNLOADS_RATE CYCLES_RATE < <(python3 - "$TMP" "$SOAK_LOAD" <<'EOF'
import json, sys
tmp, load = sys.argv[1], float(sys.argv[2])
peak = {c: json.load(open(f"{tmp}/peak-{c}.json"))["rate"] for c in ("lists", "downloads", "cycles")}
print(f"{peak['lists'] * load * 0.4:.1f} {peak['downloads'] * load * 0.3:.1f} {peak['cycles'] * load * 0.3:.2f}")
EOF
)

# --- soak ---------------------------------------------------------------------
DB_FILE=""
[[ $BACKEND == sqlite ]] && DB_FILE="$TMP/k.db"
db_connections() {
    if [[ $BACKEND == postgres ]]; then
        pg_psql kycmedia -At -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kycmedia'"
    else # descriptors open on the database file itself: one per pooled connection
        find "/proc/$KYC_PID/fd" -lname "$DB_FILE" 2>/dev/null | wc -l
    fi
}
db_bytes() {
    if [[ $BACKEND == postgres ]]; then
        pg_database_bytes kycmedia
    else
        cat "$DB_FILE" "$DB_FILE-wal" 2>/dev/null | wc -c
    fi
}
sample_forever() { # epoch, VmRSS KiB, fds, database connections, threads, database bytes, sockets
    local fds
    while kill -0 "$KYC_PID" 2>/dev/null; do
        # One listing for both counts: two would see different moments.
        # (find fails when a descriptor closes while it lists: not an error here)
        fds=$(find "/proc/$KYC_PID/fd" -mindepth 1 -printf '%l\n' 2>/dev/null) || true
        printf '%s %s %s %s %s %s %s\n' "$(date +%s.%N)" \
            "$(awk '/^VmRSS:/ { print $2 }' "/proc/$KYC_PID/status")" \
            "$(grep -c . <<<"$fds")" \
            "$(db_connections)" \
            "$(awk '/^Threads:/ { print $2 }' "/proc/$KYC_PID/status")" \
            "$(db_bytes)" \
            "$(grep -c '^socket:' <<<"$fds")" >>"$TMP/samples.txt"
        sleep "$SAMPLE_SECS"
    done
}

say "soak: ${SOAK_SECS}s at $SOAK_LOAD of the peak: $LISTS_RATE lists/s, $DOWNLOADS_RATE downloads/s, $CYCLES_RATE cycles/s"
CPU_BEFORE=$(cpu_ticks "$KYC_PID")
machine() { # the load average and the busiest processes, whoever runs them
    echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
    ps -eo pcpu=,comm= --sort=-pcpu | head -n 8
}
machine >"$TMP/machine-before.txt"
SOAK_START=$(date +%s.%N)
sample_forever &
PIDS+=("$!")
# The binary itself in the background (not the `load` function, a subshell),
# so that the EXIT trap's kill reaches it.
"$LOAD_BIN" --url "$KYC_URL" --api-key "$API_KEY" --secret "$SECRET" run --state "$TMP/state.json" \
    --lists-rate "$LISTS_RATE" --downloads-rate "$DOWNLOADS_RATE" --cycles-rate "$CYCLES_RATE" \
    --secs "$SOAK_SECS" --interval "$SAMPLE_SECS" >"$TMP/run.jsonl" 2>"$TMP/run.err" &
LOAD_PID=$!
PIDS+=("$LOAD_PID")
ticks=0
while kill -0 "$LOAD_PID" 2>/dev/null; do
    sleep 5
    ((++ticks % 12 == 0)) && [[ -s $TMP/run.jsonl ]] && say "  $(python3 -c '
import json, sys
line = json.loads(open(sys.argv[1]).read().splitlines()[-1])
ok = sum(k["ok"] for k in line["kinds"].values())
bad = sum(sum(k["errors"].values()) for k in line["kinds"].values())
print("t=%.0fs: %d ok, %d failed, dropped %s in the last interval" % (line["t"], ok, bad, line["dropped"]))' "$TMP/run.jsonl")"
done
LOAD_STATUS=0
wait "$LOAD_PID" || LOAD_STATUS=$?
((LOAD_STATUS == 0)) || { cat "$TMP/run.err" >&2; die "the load generator failed ($LOAD_STATUS)"; }
SOAK_END=$(date +%s.%N)
CPU_AFTER=$(cpu_ticks "$KYC_PID")
machine >"$TMP/machine-after.txt"
kill -0 "$KYC_PID" 2>/dev/null || die "kycmedia died during the soak (see its log)"
grep -E 'WARN|ERROR' "$TMP/kycmedia.log" | sed -E 's/^[^ ]+ +//' | cut -c1-300 | sort | uniq -c | sort -rn | head -20 >"$TMP/log-summary.txt" || true

# --- report -------------------------------------------------------------------
# The command as typed, for the report: a string to print, never run.
COMMAND="bash bench/soak.sh"
for var in BENCH_BACKEND BENCH_PG_CONF BENCH_SOAK_SECS BENCH_PEAK_SECS BENCH_SOAK_LOAD BENCH_SESSIONS; do
    if [[ -n ${!var:-} ]]; then
        # shellcheck disable=SC2089
        if [[ ${!var} == *" "* ]]; then COMMAND="$var='${!var}' $COMMAND"; else COMMAND="$var=${!var} $COMMAND"; fi
    fi
done
# shellcheck disable=SC2090
export COMMAND BACKEND BACKEND_NAME SOAK_SECS PEAK_SECS SOAK_LOAD SESSIONS SOAK_START SOAK_END
HZ=$(getconf CLK_TCK)
export LISTS_RATE DOWNLOADS_RATE CYCLES_RATE HZ CPU_TICKS=$((CPU_AFTER - CPU_BEFORE))
export PG_VERSION=${PG_VERSION:-}
if [[ -n ${BENCH_KEEP_DIR:-} ]]; then # the raw figures, for soak_report.py again later
    mkdir -p "$BENCH_KEEP_DIR"
    cp "$TMP"/{peak-*.json,run.jsonl,samples.txt,machine-*.txt,log-summary.txt} "$BENCH_KEEP_DIR/"
    env | grep -E '^(COMMAND|BACKEND|BACKEND_NAME|SOAK_|PEAK_SECS|SESSIONS|LISTS_RATE|DOWNLOADS_RATE|CYCLES_RATE|HZ|CPU_TICKS|PG_VERSION)=' \
        >"$BENCH_KEEP_DIR/env.txt"
fi
python3 "$ROOT/bench/soak_report.py" "$TMP"
