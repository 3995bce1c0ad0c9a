# What bench/attempt-media.sh and bench/scale.sh share. Sourced, not run,
# once the caller has set ROOT, BIN and BENCH_NAME and defined `say` and
# `die`:
#
#   - the throwaway PostgreSQL and moto of bench/pg.sh;
#   - TMP, a fresh temporary directory, and PIDS, the background processes
#     the caller starts; on exit (normal, error or Ctrl-C) every one of them
#     and any wrk still running is killed, the services are stopped and TMP
#     is removed;
#   - the release build of kycmedia and the baseline (and HARNESS_PACKAGES),
#     into BIN (skipped with BENCH_PREBUILT=1 or BENCH_NO_BUILD=1: the
#     binaries already there are run);
#   - run_wrk, free_port and cpu_ticks;
#   - open_backend [NAME [KEY FLAGS…]]: BACKEND's database and storage (DB,
#     STORAGE, BACKEND_NAME) with one integration in it (API_KEY, SECRET),
#     sealed at rest under a fresh master key unless other KEY_FLAGS are
#     given (`--insecure-plaintext`); NAME tells two SQLite installations
#     of one run apart;
#   - serve_kycmedia FLAGS…: kycmedia on them, on a free port (KYC_URL,
#     KYC_PID), healthy before it returns.

# shellcheck source=bench/pg.sh
source "$ROOT/bench/pg.sh"

# The benchmarks load one tenant from one address far past the per-tenant
# rate limits: they measure the server, not its limits (bench/fairness.sh
# sets its own). The connection cap and timeouts stay as in production.
export KYCMEDIA_INTEGRATION_REQUESTS_PER_SECOND=${KYCMEDIA_INTEGRATION_REQUESTS_PER_SECOND:-0}
export KYCMEDIA_ADDRESS_REQUESTS_PER_SECOND=${KYCMEDIA_ADDRESS_REQUESTS_PER_SECOND:-0}
export KYCMEDIA_SESSION_DELETES_PER_HOUR=${KYCMEDIA_SESSION_DELETES_PER_HOUR:-0}
export KYCMEDIA_SESSION_DELETES_PER_DAY=${KYCMEDIA_SESSION_DELETES_PER_DAY:-0}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kycmedia-$BENCH_NAME.XXXXXX")
PIDS=()
WRK_PID=""
cleanup() {
    [[ -n ${BENCH_KEEP_LOG:-} ]] && cp "$TMP/kycmedia.log" "$BENCH_KEEP_LOG"
    local pid
    for pid in $WRK_PID "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    services_stop
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A caller that needs more binaries names them in HARNESS_PACKAGES (an
# array of package names) before sourcing: one build, one feature set.
# BENCH_PREBUILT=1 (or BENCH_NO_BUILD=1) runs what BIN already holds: a
# rebuild of kycmedia takes many minutes on a busy 2-core machine.
if [[ -n ${BENCH_PREBUILT:-}${BENCH_NO_BUILD:-} ]]; then
    say "using the release binaries already in $BIN"
else
    say "building release binaries into $BIN"
    (cd "$ROOT" && cargo build --release -p kycmedia -p kycmedia-bench-baseline \
        ${HARNESS_PACKAGES:+$(printf -- ' -p %s' "${HARNESS_PACKAGES[@]}")}) >&2
fi

# wrk in the background, waited for: wrk stops cleanly on SIGINT, so run in
# the foreground a Ctrl-C would end only the run, and the script would go on
# with a truncated one; a trap fires during `wait` and ends the script.
run_wrk() {
    local status=0
    wrk "$@" &
    WRK_PID=$!
    wait "$WRK_PID" || status=$?
    WRK_PID=""
    return "$status"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cpu_ticks() { # pid: user + system clock ticks so far
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# The database and storage of BACKEND (sqlite or postgres), started when they
# are services, with one integration: sets DB, STORAGE (serve flags),
# KEY_FLAGS (how the installation is keyed: the KEY FLAGS given, else a fresh
# master key file in TMP, as production runs), BACKEND_NAME, API_KEY and
# SECRET. NAME (default k) names the SQLite file and media directory.
# shellcheck disable=SC2034,SC2120 # the callers read what it sets; NAME is optional
open_backend() {
    local name=${1:-k}
    shift || true
    if (($#)); then
        KEY_FLAGS=("$@")
    else
        "$BIN/kycmedia" keys generate >"$TMP/$name.key"
        chmod 600 "$TMP/$name.key"
        KEY_FLAGS=(--master-key-file "$TMP/$name.key")
    fi
    if [[ $BACKEND == postgres ]]; then
        pg_start
        DB=$(pg_createdb kycmedia)
        moto_start kycmedia-bench
        STORAGE=(--storage s3://kycmedia-bench/media --storage-endpoint "$MOTO_ENDPOINT")
        BACKEND_NAME="PostgreSQL + S3 (moto)"
    else
        DB="sqlite://$TMP/$name.db"
        STORAGE=(--storage "file://$TMP/$name-media")
        BACKEND_NAME="SQLite + files"
    fi
    say "backend: $BACKEND_NAME"
    local created
    created=$("$BIN/kycmedia" integration create --name bench --database "$DB" "${KEY_FLAGS[@]}" 2>>"$TMP/kycmedia.log")
    API_KEY=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["apiKey"])' <<<"$created")
    SECRET=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["sharedSecret"])' <<<"$created")
}

# kycmedia serving DB and STORAGE, keyed by KEY_FLAGS, with the extra serve
# FLAGS, logging at BENCH_RUST_LOG (warn) to $TMP/kycmedia.log; sets KYC_URL
# and KYC_PID once it answers.
serve_kycmedia() {
    local port
    port=$(free_port)
    KYC_URL="http://127.0.0.1:$port"
    RUST_LOG=${BENCH_RUST_LOG:-warn} "$BIN/kycmedia" serve --listen "127.0.0.1:$port" --database "$DB" \
        "${STORAGE[@]}" "${KEY_FLAGS[@]}" "$@" 2>>"$TMP/kycmedia.log" &
    KYC_PID=$!
    PIDS+=("$KYC_PID")
    for _ in $(seq 100); do
        curl -fsS "$KYC_URL/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "kycmedia did not start (see $TMP/kycmedia.log)"
}
