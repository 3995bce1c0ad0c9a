#!/usr/bin/env bash
# Generated-request testing (docs/generated-testing.md): schemathesis, from
# PyPI, against the real server's own /openapi.json, every request signed as
# docs/api.md §1 says (hooks.py). It fails on a server error, a status,
# content type, header or body the document does not describe, or an answer
# whose signature does not verify.
#
#   bash tests/schemathesis/run.sh              # the full run: 300 cases per operation
#   SCHEMATHESIS_MAX_EXAMPLES=25 bash tests/schemathesis/run.sh   # CI's bounded run
#
# Settings (environment):
#   SCHEMATHESIS_MAX_EXAMPLES  cases per operation and phase (300)
#   SCHEMATHESIS_SEED          hypothesis seed, to replay a run (random)
#   SCHEMATHESIS_WORKERS       concurrent workers (2)
#   SCHEMATHESIS_REPORT_DIR    where the JSON and JUnit reports go (kept; else a temp dir, removed)
#   SCHEMATHESIS_VENV          the virtualenv schemathesis is installed into
#                              (target/schemathesis-venv: build output, never committed)
#   KYCMEDIA_BIN               a kycmedia binary to test (else the debug build, built here)
#   SCHEMATHESIS_SCHEMA        a document file to test the server against instead of its own
#                              /openapi.json (to compare an older document on today's server)
#
# The server runs on a free 127.0.0.1 port with a temporary SQLite database,
# media directory and master key, and one integration (`schemathesis`);
# seed.py creates real sessions, attempts and media whose ids the hooks use.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/tests/schemathesis"
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-300}
WORKERS=${SCHEMATHESIS_WORKERS:-2}
VENV=${SCHEMATHESIS_VENV:-$ROOT/target/schemathesis-venv}
SCHEMATHESIS_VERSION='schemathesis==4.32.*'

say() { printf 'schemathesis: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kycmedia-schemathesis.XXXXXX")
SERVER_PID=""
cleanup() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ! -x $VENV/bin/schemathesis ]]; then
    say "installing $SCHEMATHESIS_VERSION into $VENV"
    python3 -m venv "$VENV" || die "python3 cannot make a virtualenv (Debian: apt-get install python3-venv)"
    "$VENV/bin/pip" install --quiet "$SCHEMATHESIS_VERSION"
fi
"$VENV/bin/schemathesis" --version >&2

if [[ -z ${KYCMEDIA_BIN:-} ]]; then
    say "building the kycmedia binary (debug)"
    (cd "$ROOT" && cargo build --quiet -p kycmedia --bin kycmedia)
    KYCMEDIA_BIN="$ROOT/target/debug/kycmedia"
fi

export KYCMEDIA_DATABASE="sqlite://$TMP/k.db"
export KYCMEDIA_STORAGE="file://$TMP/media"
export KYCMEDIA_MASTER_KEY_FILE="$TMP/master.key"
(umask 077 && "$KYCMEDIA_BIN" keys generate >"$KYCMEDIA_MASTER_KEY_FILE")
created=$("$KYCMEDIA_BIN" integration create --name schemathesis 2>>"$TMP/kycmedia.log")
KYCMEDIA_API_KEY=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["apiKey"])' <<<"$created")
KYCMEDIA_SHARED_SECRET=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["sharedSecret"])' <<<"$created")
export KYCMEDIA_API_KEY KYCMEDIA_SHARED_SECRET

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$port"
RUST_LOG=${SCHEMATHESIS_RUST_LOG:-warn} "$KYCMEDIA_BIN" serve --listen "127.0.0.1:$port" \
    --public-url "$BASE" 2>>"$TMP/kycmedia.log" &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "kycmedia exited: $(tail -5 "$TMP/kycmedia.log")"
    sleep 0.1
done
curl -fsS "$BASE/healthz" >/dev/null || die "kycmedia did not start: $(tail -5 "$TMP/kycmedia.log")"

export SCHEMATHESIS_IDS="$TMP/ids.json"
"$VENV/bin/python" "$HERE/seed.py" "$BASE" "$ROOT/fixtures" "$SCHEMATHESIS_IDS"

REPORTS=${SCHEMATHESIS_REPORT_DIR:-$TMP/reports}
mkdir -p "$REPORTS"
REPORTS=$(cd "$REPORTS" && pwd)
seed_args=()
[[ -n ${SCHEMATHESIS_SEED:-} ]] && seed_args=(--seed "$SCHEMATHESIS_SEED")
say "running: $MAX_EXAMPLES cases per operation and phase, $WORKERS workers"
started=$(date +%s)
status=0
location=("$BASE/openapi.json")
[[ -n ${SCHEMATHESIS_SCHEMA:-} ]] && location=("$(realpath "$SCHEMATHESIS_SCHEMA")" --url "$BASE")
# From the temporary directory: schemathesis keeps a cache of past failures
# (.schemathesis/) in its working directory, and replays them; every run
# here starts clean, and nothing is written into the repository.
(cd "$TMP" && PYTHONPATH="$HERE" SCHEMATHESIS_HOOKS=hooks "$VENV/bin/schemathesis" run "${location[@]}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,response_signature \
    --phases examples,coverage,fuzzing \
    --max-examples "$MAX_EXAMPLES" \
    --workers "$WORKERS" \
    --suppress-health-check all \
    --request-timeout 60 \
    --report json,junit --report-dir "$REPORTS" \
    "${seed_args[@]}") || status=$?
say "finished in $(($(date +%s) - started)) s with exit status $status; reports in $REPORTS"
if [[ $status != 0 ]]; then
    say "server log (last lines):"
    tail -20 "$TMP/kycmedia.log" >&2 || true
fi
exit "$status"
