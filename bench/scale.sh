#!/usr/bin/env bash
# Scale benchmark of `GET /v1/attempts/{id}/media`: the same load on a small
# database (1,000 media) and a large one (1,000,000 media), per backend, with
# the server's list cache off, so both sizes measure the database path. The
# small database is the baseline: a target is a ratio large / small within
# one run. Details and the recorded results: docs/benchmarks.md.
#
#   bash bench/scale.sh
#
# Environment (defaults in brackets):
#   BENCH_BACKENDS      comma-separated, of sqlite and postgres [sqlite,postgres]
#   BENCH_SIZES         "small,large" media counts, multiples of 5 [1000,1000000]
#   BENCH_INTEGRATIONS  integrations the sessions are spread over [10]
#   BENCH_SAMPLE        attempts drawn at random per size for the requests [20000]
#   BENCH_DURATION      seconds of each measured run [20]
#   BENCH_WARMUP        seconds of the unmeasured warm-up before each run [5]
#   BENCH_CONNECTIONS   wrk connections [64]
#   BENCH_THREADS       wrk threads [2]
#   BENCH_ROUNDS        rounds; each runs both sizes, the order alternating [2]
#   BENCH_PG_CONF       extra PostgreSQL settings, "name=value ..." []
#   CARGO_TARGET_DIR    where cargo builds [<repo>/target]
#
# Progress goes to stderr; one Markdown block per backend to stdout. The exit
# status is 0 when every target is met, 1 when one is missed, 2 on any other
# failure (a wrk error or a non-2xx answer included).
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKENDS=${BENCH_BACKENDS:-sqlite,postgres}
SIZES=${BENCH_SIZES:-1000,1000000}
INTEGRATIONS=${BENCH_INTEGRATIONS:-10}
SAMPLE=${BENCH_SAMPLE:-20000}
DURATION=${BENCH_DURATION:-20}
WARMUP=${BENCH_WARMUP:-5}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-2}
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release

say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 2; }
trap 'say "error: line $LINENO: command failed"; exit 2' ERR

for tool in cargo wrk curl python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
IFS=, read -r SMALL LARGE EXTRA <<<"$SIZES"
for n in "$SMALL" "$LARGE"; do
    [[ $n =~ ^[0-9]+$ ]] && ((n > 0 && n % 5 == 0)) || die "BENCH_SIZES: '$SIZES' is not two positive multiples of 5"
done
[[ -z ${EXTRA:-} ]] && ((SMALL < LARGE)) || die "BENCH_SIZES: want \"small,large\", small < large"
IFS=, read -r -a BACKEND_LIST <<<"$BACKENDS"
for backend in "${BACKEND_LIST[@]}"; do
    [[ $backend == sqlite || $backend == postgres ]] || die "BENCH_BACKENDS: unknown backend '$backend'"
done
BENCH_NAME=scale
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"
# The million media rows are written by SQL (seed_scale.py), with no objects
# and no data keys: these servers run without encryption at rest.
export KYCMEDIA_INSECURE_PLAINTEXT=true

RESULTS="$TMP/results.tsv" # one line per measured run
SETUPS="$TMP/setups.tsv"   # one line per database
: >"$RESULTS"
: >"$SETUPS"
declare -A URL PID KEY SECRET

# Creates the database of SIZE media for BACKEND, seeds it, writes the
# requests, starts a kycmedia on it and checks one answer.
prepare() { # backend size
    local backend=$1 size=$2 tag="$1-$2" db storage created fields port url pid bytes
    if [[ $backend == postgres ]]; then
        db=$(pg_createdb "scale_$size")
        storage=(--storage "s3://kycmedia-scale/media-$size" --storage-endpoint "$MOTO_ENDPOINT")
    else
        db="sqlite://$TMP/scale-$size.db"
        storage=(--storage "file://$TMP/media-$size")
    fi
    created=$("$BIN/kycmedia" integration create --name scale-1 --database "$db" 2>>"$TMP/kycmedia-$tag.log") ||
        { cat "$TMP/kycmedia-$tag.log" >&2; die "integration create failed"; }
    mapfile -t fields < <(python3 -c 'import json, sys; j = json.load(sys.stdin); print(j["id"]); print(j["apiKey"]); print(j["sharedSecret"])' <<<"$created")
    KEY[$tag]=${fields[1]}
    SECRET[$tag]=${fields[2]}

    say "$backend, $size media: seeding (sessions of 1 attempt of 5 media, over $INTEGRATIONS integrations)"
    python3 "$ROOT/bench/seed_scale.py" "$db" "$size" "${fields[0]}" "$TMP/ids-$tag.txt" \
        --integrations "$INTEGRATIONS" >"$TMP/seed-$tag.out" || die "seeding failed"
    if [[ $backend == postgres ]]; then
        bytes=$(pg_database_bytes "scale_$size")
    else
        bytes=0
        for f in "$TMP/scale-$size.db" "$TMP/scale-$size.db-wal"; do
            [[ -f $f ]] && bytes=$((bytes + $(stat -c %s "$f")))
        done
    fi
    say "$backend, $size media: $(cat "$TMP/seed-$tag.out") database_bytes=$bytes"
    echo "backend=$backend size=$size database_bytes=$bytes $(cat "$TMP/seed-$tag.out")" >>"$SETUPS"

    # K attempts of the request integration, drawn at random, with the
    # signature of each GET (HMAC of the attempt id): a Lua table for
    # bench/random-get.lua and the same pairs as TSV for the checks.
    python3 - "$TMP/ids-$tag.txt" "${SECRET[$tag]}" "$SAMPLE" "$TMP/requests-$tag" <<'EOF'
import hashlib, hmac, random, sys
ids_file, secret, sample, out = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3]), sys.argv[4]
ids = [line.strip() for line in open(ids_file) if line.strip()]
if not ids:
    sys.exit("no attempt of the request integration was seeded")
chosen = random.Random(1).sample(ids, min(sample, len(ids)))
pairs = [(i, hmac.new(secret, i.encode(), hashlib.sha256).hexdigest()) for i in chosen]
with open(out + ".lua", "w") as f:
    f.write("return {\n" + "".join(f'{{"{i}","{s}"}},\n' for i, s in pairs) + "}\n")
with open(out + ".tsv", "w") as f:
    f.write("".join(f"{i}\t{s}\n" for i, s in pairs))
EOF

    port=$(free_port)
    url="http://127.0.0.1:$port"
    # --media-list-cache-mib 0: every request reads the database (PostgreSQL
    # never caches lists anyway). At warn, nothing is logged per request.
    RUST_LOG=warn "$BIN/kycmedia" serve --listen "127.0.0.1:$port" --database "$db" "${storage[@]}" \
        --media-list-cache-mib 0 >>"$TMP/kycmedia-$tag.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 100); do
        curl -fsS "$url/healthz" >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || { cat "$TMP/kycmedia-$tag.log" >&2; die "kycmedia exited"; }
        sleep 0.1
    done
    curl -fsS "$url/healthz" >/dev/null || die "kycmedia is not healthy after 10 s"
    URL[$tag]=$url
    PID[$tag]=$pid
    check "$tag"
}

# One signed request drawn from the list answers 200, signed over its exact
# bytes, with the attempt's 5 media.
check() { # tag
    python3 - "${URL[$1]}" "${KEY[$1]}" "${SECRET[$1]}" "$TMP/requests-$1.tsv" <<'EOF' || die "check of $1 failed"
import hashlib, hmac, json, random, sys, urllib.error, urllib.request
base, key, secret, pairs = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4]
attempt, signature = random.choice([line.split() for line in open(pairs)])
request = urllib.request.Request(f"{base}/v1/attempts/{attempt}/media",
                                 headers={"X-AUTH-CLIENT": key, "X-HMAC-SIGNATURE": signature})
try:
    with urllib.request.urlopen(request, timeout=30) as response:
        status, headers, body = response.status, response.headers, response.read()
except urllib.error.HTTPError as e:
    sys.exit(f"check: {attempt} answered {e.code}: {e.read()[:300]!r}")
if status != 200:
    sys.exit(f"check: {attempt} answered {status}")
if headers.get("X-HMAC-SIGNATURE") != hmac.new(secret, body, hashlib.sha256).hexdigest():
    sys.exit(f"check: the answer for {attempt} is not signed over its bytes")
listed = json.loads(body)
media = listed.get("images", []) + listed.get("videos", [])
if len(media) != 5:
    sys.exit(f"check: {attempt} lists {len(media)} media, wanted 5")
EOF
}

run() { # round backend size
    local tag="$2-$3" out="$TMP/wrk-$2-$3-$1.txt" before after db_before=0 db_after=0
    say "round $1: $2, $3 media (warm-up ${WARMUP}s, then ${DURATION}s)"
    export BENCH_API_KEY=${KEY[$tag]} BENCH_REQUESTS="$TMP/requests-$tag.lua"
    run_wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$ROOT/bench/random-get.lua" "${URL[$tag]}" \
        >/dev/null || die "wrk failed"
    before=$(cpu_ticks "${PID[$tag]}")
    [[ $2 == postgres ]] && db_before=$(pg_cpu_ticks)
    run_wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/random-get.lua" \
        "${URL[$tag]}" >"$out" || die "wrk failed"
    after=$(cpu_ticks "${PID[$tag]}")
    [[ $2 == postgres ]] && db_after=$(pg_cpu_ticks)
    sed 's/^/    /' "$out" >&2
    grep -q '^BENCH ' "$out" || die "wrk printed no BENCH line"
    kill -0 "${PID[$tag]}" 2>/dev/null || die "kycmedia ($tag) died under load"
    check "$tag"
    grep '^BENCH ' "$out" | sed "s/^BENCH /backend=$2 round=$1 size=$3 cpu_ticks=$((after - before)) db_cpu_ticks=$((db_after - db_before)) /" >>"$RESULTS"
}

for backend in "${BACKEND_LIST[@]}"; do
    if [[ $backend == postgres ]]; then
        pg_start
        moto_start kycmedia-scale
    fi
    prepare "$backend" "$SMALL"
    prepare "$backend" "$LARGE"
    for round in $(seq "$ROUNDS"); do
        if ((round % 2)); then order=("$SMALL" "$LARGE"); else order=("$LARGE" "$SMALL"); fi
        for size in "${order[@]}"; do
            run "$round" "$backend" "$size"
        done
    done
    # This backend's servers and services go before the next one loads.
    for size in "$SMALL" "$LARGE"; do
        kill "${PID[$backend-$size]}" 2>/dev/null || true
        wait "${PID[$backend-$size]}" 2>/dev/null || true
    done
    services_stop
done

# --- report -------------------------------------------------------------------
COMMAND="bash bench/scale.sh"
for var in BENCH_BACKENDS BENCH_SIZES BENCH_INTEGRATIONS BENCH_SAMPLE BENCH_PG_CONF BENCH_DURATION BENCH_WARMUP \
    BENCH_CONNECTIONS BENCH_THREADS BENCH_ROUNDS; do
    if [[ -n ${!var:-} ]]; then
        if [[ ${!var} == *" "* ]]; then COMMAND="$var='${!var}' $COMMAND"; else COMMAND="$var=${!var} $COMMAND"; fi
    fi
done
export COMMAND DURATION WARMUP CONNECTIONS THREADS ROUNDS SMALL LARGE SAMPLE PG_VERSION
status=0
python3 - "$RESULTS" "$SETUPS" "$(getconf CLK_TCK)" <<'EOF' || status=$?
import os
import sys
from statistics import mean

results, setups, hz = sys.argv[1], sys.argv[2], int(sys.argv[3])
env = os.environ
small, large = int(env["SMALL"]), int(env["LARGE"])

def parse(path):
    rows = []
    for line in open(path):
        row = dict(field.split("=", 1) for field in line.split())
        rows.append({k: (v if k == "backend" else float(v) if "." in v else int(v)) for k, v in row.items()})
    return rows

runs, setup = parse(results), parse(setups)
for r in runs:
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = sum(r[k] for k in r if k.startswith("err_"))
    r["cpu_us_per_req"] = r["cpu_ticks"] / hz * 1e6 / r["requests"]
    r["db_cpu_us_per_req"] = r["db_cpu_ticks"] / hz * 1e6 / r["requests"]

ms = lambda us: f"{us / 1000:.2f} ms"
ok = lambda b: "**pass**" if b else "**FAIL**"
mib = lambda b: f"{b / 2**20:,.1f} MiB"
names = {"sqlite": "SQLite + files", "postgres": "PostgreSQL + S3 (moto)"}
invalid, missed = False, False

for backend in dict.fromkeys(r["backend"] for r in runs):
    rs = [r for r in runs if r["backend"] == backend]
    pg = backend == "postgres"

    def agg(size):
        xs = [r for r in rs if r["size"] == size]
        return {k: mean(r[k] for r in xs) for k in ("rps", "p50_us", "p99_us", "cpu_us_per_req", "db_cpu_us_per_req")}

    a_small, a_large = agg(small), agg(large)
    rps_ratio = a_large["rps"] / a_small["rps"]
    p99_ratio = a_large["p99_us"] / a_small["p99_us"]
    print(f"### Scale: GET /v1/attempts/{{id}}/media at {small:,} and {large:,} media, {names[backend]}")
    print()
    print(f"Command: `{env['COMMAND']}` — wrk -t{env['THREADS']} -c{env['CONNECTIONS']} --latency "
          f"-s bench/random-get.lua, {env['WARMUP']} s warm-up + {env['DURATION']} s measured per run, "
          f"{env['ROUNDS']} rounds, order alternating (odd rounds small first). Server: "
          "`kycmedia serve --media-list-cache-mib 0`, RUST_LOG=warn"
          + (f"; PostgreSQL {env.get('PG_VERSION', '?')} defaults"
             + (f" + {env['BENCH_PG_CONF']}" if env.get("BENCH_PG_CONF") else "") if pg else "") + ".")
    print()
    print("| media | attempts | request integration's attempts (drawn) | seeding | "
          + ("VACUUM ANALYZE | " if pg else "") + "database on disk |")
    print("|---:|---:|---:|---:|" + ("---:|" if pg else "") + "---:|")
    for s in (x for x in setup if x["backend"] == backend):
        print(f"| {s['media']:,} | {s['attempts']:,} | {s['request_attempts']:,} "
              f"({min(s['request_attempts'], int(env['SAMPLE'])):,}) | {s['seed_seconds']:.1f} s | "
              + (f"{s['vacuum_seconds']:.1f} s | " if pg else "") + f"{mib(s['database_bytes'])} |")
    print()
    print("| round | media | req/s | p50 | p99 | max | server CPU µs/req | "
          + ("PostgreSQL CPU µs/req | " if pg else "") + "errors |")
    print("|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if pg else "") + "---:|")
    for r in rs:
        print(f"| {r['round']} | {r['size']:,} | {r['rps']:,.0f} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | "
              f"{ms(r['max_us'])} | {r['cpu_us_per_req']:.0f} | "
              + (f"{r['db_cpu_us_per_req']:.0f} | " if pg else "") + f"{r['errors']} |")
    print()
    print("| media (mean of rounds) | req/s | p50 | p99 | server CPU µs/req |" + (" PostgreSQL CPU µs/req |" if pg else ""))
    print("|---:|---:|---:|---:|---:|" + ("---:|" if pg else ""))
    for size, a in ((small, a_small), (large, a_large)):
        print(f"| {size:,} | {a['rps']:,.0f} | {ms(a['p50_us'])} | {ms(a['p99_us'])} | {a['cpu_us_per_req']:.0f} |"
              + (f" {a['db_cpu_us_per_req']:.0f} |" if pg else ""))
    print()
    print("| target | measured | result |")
    print("|---|---:|---|")
    print(f"| req/s ratio {large:,} / {small:,} ≥ 0.90 | {rps_ratio:.2f} | {ok(rps_ratio >= 0.90)} |")
    print(f"| p99 ratio {large:,} / {small:,} ≤ 1.10 | {p99_ratio:.2f} | {ok(p99_ratio <= 1.10)} |")
    print()
    per_round = []
    for n in sorted({r["round"] for r in rs}):
        lo = next(r for r in rs if r["round"] == n and r["size"] == small)
        hi = next(r for r in rs if r["round"] == n and r["size"] == large)
        per_round.append(f"round {n}: {hi['rps'] / lo['rps']:.2f}, {hi['p99_us'] / lo['p99_us']:.2f}")
    print("Per-round ratios (req/s, p99): " + ", ".join(per_round) + ".")
    errors = sum(r["errors"] for r in rs)
    if errors:
        print()
        print(f"**Invalid run**: wrk counted {errors} errors or non-2xx answers.")
        invalid = True
    missed |= not (rps_ratio >= 0.90 and p99_ratio <= 1.10)
    print()
sys.exit(2 if invalid else 1 if missed else 0)
EOF
exit "$status"
