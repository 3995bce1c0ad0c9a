#!/usr/bin/env bash
# What encryption at rest costs a server: two kycmedia from the same release
# build, one sealing under a fresh master key (--master-key-file), one storing
# plaintext (--insecure-plaintext), each on its own SQLite file and media
# directory, seeded with the same two objects (fixtures/photo-1920.jpg, and a
# ~14 MB 1080p clip made here with ffmpeg). For each: signed downloads
# (`GET /v1/media/{id}`, wrk) per second, MB/s, p50/p99, server CPU per
# download and peak RSS during the run; uploads (`POST
# /v1/sessions/{id}/media`, bench/at_rest.py) per second. Rounds alternate
# which server goes first; the summary is the median of the rounds, the
# ratio sealed / plaintext taken within each round. Details and recorded
# results: docs/benchmarks.md ("Encryption at rest").
#
#   bash bench/at-rest.sh        (needs: wrk, curl, python3, ffmpeg with libx264)
#
# Environment (defaults in brackets):
#   BENCH_DURATION           seconds of each measured download run [15]
#   BENCH_WARMUP             seconds of the unmeasured warm-up before each [3]
#   BENCH_CONNECTIONS        wrk connections, small photo [16]
#   BENCH_LARGE_CONNECTIONS  wrk connections, large clip [4]
#   BENCH_THREADS            wrk threads [2]
#   BENCH_UPLOAD_DURATION    seconds of each upload run [15]
#   BENCH_UPLOAD_THREADS     concurrent uploaders [2]
#   BENCH_ROUNDS             rounds; each runs both servers, order alternating [3]
#   BENCH_PREBUILT           1: run the binaries already in the target directory []
#   CARGO_TARGET_DIR         where cargo builds [<repo>/target]
#
# Progress goes to stderr; the Markdown result block to stdout. The exit
# status is 0 for a valid run, 2 on any failure (a wrk error or non-2xx
# answer, a failed upload, a server that died).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
LARGE_CONNECTIONS=${BENCH_LARGE_CONNECTIONS:-4}
THREADS=${BENCH_THREADS:-2}
UPLOAD_DURATION=${BENCH_UPLOAD_DURATION:-15}
UPLOAD_THREADS=${BENCH_UPLOAD_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-3}
BACKEND=sqlite
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release

say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 2; }

for tool in cargo wrk curl python3 ffmpeg; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
BENCH_NAME=at-rest
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"

# --- the objects --------------------------------------------------------------
SMALL=$ROOT/fixtures/photo-1920.jpg
LARGE=$TMP/clip-1080p.mp4
say "making the large clip (8 s of 1080p with temporal grain, ~14 MB)"
# Grain that changes every frame keeps the encoder at its bitrate, as a real
# camera's sensor noise does; a still frame would compress to almost nothing.
ffmpeg -hide_banner -loglevel error -y -loop 1 -framerate 30 -i "$SMALL" -t 8 \
    -vf "noise=alls=24:allf=t,format=yuv420p" -c:v libx264 -preset ultrafast \
    -b:v 14M -maxrate 14M -bufsize 14M -an -movflags +faststart -threads 1 "$LARGE"
declare -A FILE=([small]=$SMALL [large]=$LARGE)
declare -A KIND=([small]=image [large]=video)
declare -A CONTEXT=([small]=face [large]=selfid_video)
declare -A BYTES=([small]=$(wc -c <"$SMALL") [large]=$(wc -c <"$LARGE"))
declare -A CONNS=([small]=$CONNECTIONS [large]=$LARGE_CONNECTIONS)

# --- the two servers ----------------------------------------------------------
declare -A URL PID APIKEY SECRETS SIG MEDIA
for server in sealed plaintext; do
    if [[ $server == sealed ]]; then open_backend sealed; else open_backend plaintext --insecure-plaintext; fi
    serve_kycmedia
    URL[$server]=$KYC_URL PID[$server]=$KYC_PID APIKEY[$server]=$API_KEY SECRETS[$server]=$SECRET
    for size in small large; do
        id=$(python3 "$ROOT/bench/at_rest.py" seed "$KYC_URL" "$API_KEY" "$SECRET" \
            "${FILE[$size]}" "${KIND[$size]}" "${CONTEXT[$size]}")
        MEDIA[$server.$size]=$id
        SIG[$server.$size]=$(python3 -c 'import hashlib, hmac, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())' \
            "$SECRET" "$id")
    done
    say "$server: serving on $KYC_URL (pid $KYC_PID, ${KEY_FLAGS[*]})"
done

# --- checks before loading ----------------------------------------------------
# at_rest.py seed checked that each download is the uploaded file, signed over
# it. Here: what lies on disk is sealed on one side and the very bytes on the
# other, so the two servers differ in exactly what is measured.
for size in small large; do
    stored=$(find "$TMP/sealed-media" -type f -name "${MEDIA[sealed.$size]}*" | head -n1)
    [[ -n $stored ]] || die "no stored file for the sealed server's $size object"
    [[ $(head -c 8 "$stored") == kycmseal ]] || die "the sealed server stored its $size object unsealed"
    stored=$(find "$TMP/plaintext-media" -type f -name "${MEDIA[plaintext.$size]}*" | head -n1)
    [[ -n $stored ]] || die "no stored file for the plaintext server's $size object"
    cmp -s "$stored" "${FILE[$size]}" || die "the plaintext server stored other bytes than the $size file"
done
say "stored: sealed on one server, the uploaded bytes on the other; both download back byte for byte"

# --- load ---------------------------------------------------------------------
status_kib() { # pid field: a /proc/PID/status figure, in KiB
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
RESULTS="$TMP/results.tsv"
download() { # round size server
    local round=$1 size=$2 server=$3 out="$TMP/wrk-$1-$2-$3.txt" pid=${PID[$3]} before after rss
    local url="${URL[$server]}/v1/media/${MEDIA[$server.$size]}"
    export BENCH_API_KEY=${APIKEY[$server]} BENCH_SIGNATURE=${SIG[$server.$size]}
    say "round $round: download $size from $server (warm-up ${WARMUP}s, then ${DURATION}s)"
    run_wrk -t"$THREADS" -c"${CONNS[$size]}" -d"${WARMUP}s" --timeout 60s -s "$ROOT/bench/signed-get.lua" "$url" >/dev/null
    rss=$(status_kib "$pid" VmRSS)
    echo 5 >"/proc/$pid/clear_refs" # VmHWM from here on is this run's peak
    before=$(cpu_ticks "$pid")
    run_wrk -t"$THREADS" -c"${CONNS[$size]}" -d"${DURATION}s" --timeout 60s --latency -s "$ROOT/bench/signed-get.lua" \
        "$url" >"$out"
    after=$(cpu_ticks "$pid")
    sed 's/^/    /' "$out" >&2
    grep '^BENCH ' "$out" | sed "s/^BENCH /op=download round=$round size=$size server=$server cpu_ticks=$((after - before)) rss_before_kib=$rss hwm_kib=$(status_kib "$pid" VmHWM) /" >>"$RESULTS"
}
upload() { # round size server
    local round=$1 size=$2 server=$3 pid=${PID[$3]} before after rss line
    say "round $round: upload $size to $server (${UPLOAD_DURATION}s, $UPLOAD_THREADS uploaders)"
    rss=$(status_kib "$pid" VmRSS)
    echo 5 >"/proc/$pid/clear_refs"
    before=$(cpu_ticks "$pid")
    line=$(python3 "$ROOT/bench/at_rest.py" uploads "${URL[$server]}" "${APIKEY[$server]}" "${SECRETS[$server]}" \
        "${FILE[$size]}" "${KIND[$size]}" "${CONTEXT[$size]}" "$UPLOAD_DURATION" "$UPLOAD_THREADS")
    after=$(cpu_ticks "$pid")
    say "    $line"
    [[ $line == "BENCH "* ]] || die "the uploader printed no result"
    echo "op=upload round=$round size=$size server=$server cpu_ticks=$((after - before)) rss_before_kib=$rss hwm_kib=$(status_kib "$pid" VmHWM) ${line#BENCH }" >>"$RESULTS"
}
for round in $(seq "$ROUNDS"); do
    if ((round % 2)); then order=(plaintext sealed); else order=(sealed plaintext); fi
    for size in small large; do
        for server in "${order[@]}"; do download "$round" "$size" "$server"; done
    done
    for size in small large; do
        for server in "${order[@]}"; do upload "$round" "$size" "$server"; done
    done
done
for server in sealed plaintext; do
    kill -0 "${PID[$server]}" 2>/dev/null || die "the $server server died under load"
done

# --- report -------------------------------------------------------------------
COMMAND="bash bench/at-rest.sh"
for var in BENCH_DURATION BENCH_WARMUP BENCH_CONNECTIONS BENCH_LARGE_CONNECTIONS BENCH_THREADS \
    BENCH_UPLOAD_DURATION BENCH_UPLOAD_THREADS BENCH_ROUNDS BENCH_PREBUILT; do
    [[ -n ${!var:-} ]] && COMMAND="$var=${!var} $COMMAND"
done
export COMMAND DURATION WARMUP CONNECTIONS LARGE_CONNECTIONS THREADS UPLOAD_DURATION UPLOAD_THREADS ROUNDS
python3 - "$RESULTS" "$(getconf CLK_TCK)" "${BYTES[small]}" "${BYTES[large]}" <<'EOF'
import os
import sys
from statistics import median

path, hz, small, large = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
size_bytes = {"small": small, "large": large}
env = os.environ
runs = []
for line in open(path):
    run = dict(field.split("=", 1) for field in line.split())
    runs.append({k: (v if k in ("op", "size", "server") else int(v)) for k, v in run.items()})
for r in runs:
    seconds = r["duration_us"] / 1e6
    if r["op"] == "download":
        r["count"] = r["requests"]
        r["errors"] = sum(r[k] for k in r if k.startswith("err_"))
    else:
        r["count"] = r["uploads"]
    r["rate"] = r["count"] / seconds
    r["mbs"] = r["count"] * size_bytes[r["size"]] / seconds / 1e6
    r["cpu_ms"] = r["cpu_ticks"] / hz * 1e3 / max(r["count"], 1)

def one(op, size, server, rnd):
    return next(r for r in runs if (r["op"], r["size"], r["server"], r["round"]) == (op, size, server, rnd))

rounds = sorted({r["round"] for r in runs})
ms = lambda us: f"{us / 1000:.2f} ms" if us < 100_000 else f"{us / 1e6:.2f} s"
mib = lambda kib: f"{kib / 1024:.1f} MiB"
label = {"small": f"photo, {small / 1e6:.2f} MB", "large": f"1080p clip, {large / 1e6:.1f} MB"}

print("### Encryption at rest: sealed (--master-key-file) against plaintext (--insecure-plaintext)")
print()
print(f"Command: `{env['COMMAND']}` — SQLite + files, both servers from one release build, "
      f"downloads: wrk -t{env['THREADS']} --latency, -c{env['CONNECTIONS']} (photo) / -c{env['LARGE_CONNECTIONS']} (clip), "
      f"{env['WARMUP']} s warm-up + {env['DURATION']} s measured; uploads: {env['UPLOAD_THREADS']} keep-alive "
      f"uploaders for {env['UPLOAD_DURATION']} s; {env['ROUNDS']} rounds, order alternating (odd rounds plaintext "
      "first). Summary: median of the rounds; ratios sealed / plaintext within each round, then their median.")
print()
print("| round | op | object | server | per s | MB/s | p50 | p99 | server CPU ms/op | peak RSS | errors |")
print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
for r in runs:
    print(f"| {r['round']} | {r['op']} | {r['size']} | {r['server']} | {r['rate']:,.1f} | {r['mbs']:,.0f} | "
          f"{ms(r['p50_us'])} | {ms(r['p99_us'])} | {r['cpu_ms']:.2f} | {mib(r['hwm_kib'])} | {r['errors']} |")
print()
print("| op | object | plaintext per s | sealed per s | ratio | plaintext MB/s | sealed MB/s | p50 plaintext / sealed | "
      "p99 plaintext / sealed | CPU ms/op plaintext / sealed | CPU ratio |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for op in ("download", "upload"):
    for size in ("small", "large"):
        p = [one(op, size, "plaintext", n) for n in rounds]
        s = [one(op, size, "sealed", n) for n in rounds]
        med = lambda rs, k: median(r[k] for r in rs)
        ratio = median(b["rate"] / a["rate"] for a, b in zip(p, s))
        cpu_ratio = median(b["cpu_ms"] / a["cpu_ms"] for a, b in zip(p, s))
        print(f"| {op} | {label[size]} | {med(p, 'rate'):,.1f} | {med(s, 'rate'):,.1f} | **{ratio:.2f}** | "
              f"{med(p, 'mbs'):,.0f} | {med(s, 'mbs'):,.0f} | {ms(med(p, 'p50_us'))} / {ms(med(s, 'p50_us'))} | "
              f"{ms(med(p, 'p99_us'))} / {ms(med(s, 'p99_us'))} | {med(p, 'cpu_ms'):.2f} / {med(s, 'cpu_ms'):.2f} | "
              f"{cpu_ratio:.2f} |")
print()
print("Per-round ratios (sealed / plaintext, per s): " + "; ".join(
    f"{op} {size}: " + ", ".join(f"{one(op, size, 'sealed', n)['rate'] / one(op, size, 'plaintext', n)['rate']:.2f}"
                                for n in rounds)
    for op in ("download", "upload") for size in ("small", "large")) + ".")
print()
print("| server | RSS before the runs (max) | peak RSS, photo downloads (max) | peak RSS, clip downloads (max) | "
      "peak RSS, uploads (max) |")
print("|---|---:|---:|---:|---:|")
for server in ("plaintext", "sealed"):
    mine = [r for r in runs if r["server"] == server]
    peak = lambda f: max(r["hwm_kib"] for r in mine if f(r))
    print(f"| {server} | {mib(max(r['rss_before_kib'] for r in mine))} | "
          f"{mib(peak(lambda r: r['op'] == 'download' and r['size'] == 'small'))} | "
          f"{mib(peak(lambda r: r['op'] == 'download' and r['size'] == 'large'))} | "
          f"{mib(peak(lambda r: r['op'] == 'upload'))} |")
errors = sum(r["errors"] for r in runs)
if errors:
    print()
    print(f"**Invalid run**: {errors} errors (wrk errors, non-2xx answers or failed uploads).")
    sys.exit(2)
EOF
