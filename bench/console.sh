#!/usr/bin/env bash
# The review console's case view on loopback (SQLite + files, sealed at
# rest), in headless Chromium at 1366x768, for an attempt of ten 12 MP
# photos (4000x3000 JPEGs made from package photos by bench/make_photos.py):
#
#   first render    navigation to the case drawn (the page's `case-rendered` mark)
#   all thumbnails  navigation to every thumbnail shown (`thumbnails-loaded`)
#   bytes           what one load moves, headers included (the browser's transferSize)
#
# The first load makes the thumbnails on the server and is reported apart;
# the p50 is over the BENCH_LOADS loads after it. The baseline, in the same
# run and browser: one of the originals loaded alone as a page (what a view
# showing originals would pay ten times over).
#
#   bash bench/console.sh
#
#   BENCH_LOADS        loads measured after the first [20]
#   CARGO_TARGET_DIR   where cargo builds [<repo>/target]
#
# Needs node and npm (playwright-core is installed into the target
# directory), Debian's chromium, and for the photos: pip install
# 'opencv-python-headless<5' pillow numpy scikit-image.
# Progress goes to stderr; the Markdown result block to stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKEND=sqlite
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release

say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 2; }

for tool in cargo curl python3 node npm /usr/bin/chromium; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
BENCH_NAME=console
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"

PHOTOS=${KYCMEDIA_BENCH_PHOTOS:-$TARGET/bench-photos}
python3 "$ROOT/bench/make_photos.py" "$PHOTOS" >/dev/null
NODE_DIR=$TARGET/bench-node
if [[ ! -d $NODE_DIR/node_modules/playwright-core ]]; then
    say "installing playwright-core into $NODE_DIR"
    npm install --silent --prefix "$NODE_DIR" playwright-core@1 >&2
fi

open_backend
serve_kycmedia

say "seeding an attempt of ten 12 MP photos"
ATTEMPT=$(KYC_URL=$KYC_URL API_KEY=$API_KEY SECRET=$SECRET python3 - "$PHOTOS/photo-4000x3000.jpg" <<'PY'
import base64, hashlib, hmac, json, os, sys, urllib.request
base, key, secret = os.environ["KYC_URL"], os.environ["API_KEY"], os.environ["SECRET"].encode()
photo = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
def call(method, path, body=None, signed_over=None):
    data = json.dumps(body).encode() if body is not None else None
    mac = hmac.new(secret, data if data is not None else signed_over.encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(base + path, data=data, method=method, headers={
        "Content-Type": "application/json", "X-AUTH-CLIENT": key, "X-HMAC-SIGNATURE": mac})
    return json.load(urllib.request.urlopen(request, timeout=120))
session = call("POST", "/v1/sessions", {"verification": {"vendorData": "bench-12mp"}})["verification"]["id"]
contexts = ["face"] * 4 + ["document-front"] * 3 + ["document-back"] * 3
for context in contexts:
    call("POST", f"/v1/sessions/{session}/media", {"image": {"context": context, "content": photo}})
call("PATCH", f"/v1/sessions/{session}", {"verification": {"status": "submitted"}})
print(call("GET", f"/v1/sessions/{session}/attempts", signed_over=session)["verifications"][0]["id"])
PY
)
ONE_TIME=$("$BIN/kycmedia" reviewer add bench --role admin --database "$DB" "${KEY_FLAGS[@]}" 2>>"$TMP/kycmedia.log" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["password"])')

say "measuring ${BENCH_LOADS:-20} loads of the case view"
NODE_PATH=$NODE_DIR/node_modules BASE=$KYC_URL ATTEMPT=$ATTEMPT PASSWORD=$ONE_TIME LOADS=${BENCH_LOADS:-20} \
    node "$ROOT/bench/console.js"
