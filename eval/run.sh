#!/usr/bin/env bash
# Ranking evaluation of kycmedia on real package photos, against OpenCV baselines.
#
#   bash eval/run.sh
#
# 1. installs what the set is made from if missing: the Debian package
#    opencv-doc (its tutorial photos; always re-checked when CI=true) and the
#    PyPI packages opencv-python-headless<5, qrcode, pdf417gen, scikit-image,
#    pillow, numpy, matplotlib, mahotas (+ brisque for the optional baseline),
#    and unpacks two packages whose photos are not installed files into EVAL_CACHE
#    (target/eval-cache): the npm package @vladmandic/face-api@1.7.15 (`npm pack`)
#    and the PyPI sdist face_recognition==1.3.0 (`pip download --no-binary :all:`);
# 2. builds the labelled set into target/eval/set (eval/make_set.py);
# 3. builds kycmedia (`cargo build --release -p kycmedia`, honouring
#    CARGO_TARGET_DIR) unless KYCMEDIA_BIN names a binary to use;
# 4. runs `kycmedia analyze --context CTX FILE...` once per context over that
#    context's labelled files (EVAL_JOBS at a time, default: the cores), all into
#    target/eval/results.jsonl;
# 5. scores it (eval/score.py --baseline [--brisque]): prints the Markdown
#    table, writes target/eval/summary.json and target/eval/summary.md.
#
# Env: PYTHON (python3), KYCMEDIA_BIN, EVAL_BRISQUE=0 to skip BRISQUE, EVAL_CACHE, EVAL_JOBS,
# EVAL_SEED and EVAL_OUT for a held-out set (e.g. EVAL_SEED=7 EVAL_OUT=target/eval-heldout).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
OUT="${EVAL_OUT:-target/eval}"
SET="$OUT/set"
PROBE=/usr/share/doc/opencv-doc/opencv4/html/227943776_1.jpg

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ "${CI:-}" = "true" ] || [ ! -f "$PROBE" ]; then
  echo "== apt-get install opencv-doc (photos for the set)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends opencv-doc >/dev/null
  if [ ! -f "$PROBE" ]; then
    echo "opencv-doc is installed but $PROBE is missing (dpkg path-exclude for /usr/share/doc?)" >&2
    exit 1
  fi
fi

if ! "$PY" -c 'import cv2, qrcode, pdf417gen, skimage, PIL, numpy, matplotlib, mahotas, zxingcpp' 2>/dev/null; then
  echo "== pip install the set's Python packages" >&2
  "$PY" -m pip install --quiet 'opencv-python-headless<5' qrcode pdf417gen scikit-image pillow numpy \
    matplotlib mahotas zxing-cpp
fi

# Photos shipped in packages that are not installed as files: unpacked once, pinned by version
# (sources.py pins each photo's SHA-256 too).
export EVAL_CACHE="${EVAL_CACHE:-$ROOT/target/eval-cache}"
mkdir -p "$EVAL_CACHE"
if [ ! -f "$EVAL_CACHE/vladmandic-face-api-1.7.15/package/demo/sample1.jpg" ]; then
  echo "== npm pack @vladmandic/face-api@1.7.15 (its demo photos)" >&2
  command -v npm >/dev/null || { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null; }
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent @vladmandic/face-api@1.7.15 >/dev/null)
  mkdir -p "$EVAL_CACHE/vladmandic-face-api-1.7.15"
  tar xzf "$tmp"/vladmandic-face-api-1.7.15.tgz -C "$EVAL_CACHE/vladmandic-face-api-1.7.15" \
    package/demo package/LICENSE package/package.json
  rm -rf "$tmp"
fi
if [ ! -f "$EVAL_CACHE/face_recognition-1.3.0/tests/test_images/obama.jpg" ]; then
  echo "== pip download face_recognition==1.3.0 (sdist: its test photos)" >&2
  tmp="$(mktemp -d)"
  "$PY" -m pip download --quiet --no-deps --no-binary :all: -d "$tmp" face_recognition==1.3.0
  tar xzf "$tmp"/face_recognition-1.3.0.tar.gz -C "$EVAL_CACHE" \
    face_recognition-1.3.0/tests/test_images face_recognition-1.3.0/LICENSE
  rm -rf "$tmp"
fi

BRISQUE_FLAG=()
if [ "${EVAL_BRISQUE:-1}" = "1" ]; then
  "$PY" -c 'import brisque' 2>/dev/null || "$PY" -m pip install --quiet brisque \
    || echo "brisque did not install; scoring without it" >&2
  if "$PY" -c 'import brisque' 2>/dev/null; then BRISQUE_FLAG=(--brisque); fi
fi

echo "== building the evaluation set in $SET" >&2
rm -rf "$SET"
mkdir -p "$OUT"
"$PY" eval/make_set.py "$SET"

if [ -n "${KYCMEDIA_BIN:-}" ]; then
  BIN="$KYCMEDIA_BIN"
else
  echo "== cargo build --release -p kycmedia" >&2
  cargo build --release -p kycmedia
  TARGET_DIR="${CARGO_TARGET_DIR:-target}"
  case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
  BIN="$TARGET_DIR/release/kycmedia"
fi
[ -x "$BIN" ] || { echo "no kycmedia binary at $BIN" >&2; exit 1; }

# one file list per context: LISTS/<context>.txt, paths relative to the repo root
LISTS="$OUT/lists"
rm -rf "$LISTS"
mkdir -p "$LISTS"
"$PY" - "$SET" "$LISTS" <<'PYEOF'
import json, os, sys
set_dir, lists = sys.argv[1], sys.argv[2]
by_ctx = {}
for it in json.load(open(os.path.join(set_dir, "labels.json")))["items"]:
    by_ctx.setdefault(it["context"], []).append(os.path.join(set_dir, it["file"]))
for ctx, files in sorted(by_ctx.items()):
    with open(os.path.join(lists, ctx + ".txt"), "w") as fh:
        fh.write("\n".join(sorted(files)) + "\n")
PYEOF

# one `kycmedia analyze` per context, EVAL_JOBS (default: the cores) at a time, the largest
# lists first; each writes its own file, joined in context order so reruns match.
RESULTS="$OUT/results.jsonl"
PARTS="$OUT/results.d"
rm -rf "$PARTS"
mkdir -p "$PARTS"
JOBS="${EVAL_JOBS:-$(nproc)}"
for list in $(wc -l "$LISTS"/*.txt | grep -v ' total$' | sort -rn | awk '{print $2}'); do
  ctx="$(basename "$list" .txt)"
  mapfile -t files < "$list"
  echo "== kycmedia analyze --context $ctx (${#files[@]} files)" >&2
  ( status=0
    "$BIN" analyze --context "$ctx" "${files[@]}" > "$PARTS/$ctx.jsonl" || status=$?
    if [ "$status" -ne 0 ]; then
      echo "kycmedia analyze exited $status for $ctx; its missing rows score as errors" >&2
    fi ) &
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
done
wait
cat "$PARTS"/*.jsonl > "$RESULTS"

echo "== scoring" >&2
"$PY" eval/score.py "$SET/labels.json" "$RESULTS" --baseline ${BRISQUE_FLAG[@]+"${BRISQUE_FLAG[@]}"} \
  --json "$OUT/summary.json" | tee "$OUT/summary.md"
