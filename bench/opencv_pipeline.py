#!/usr/bin/env python3
"""OpenCV reference pipeline for kycmedia's per-image analysis cost, on ONE core.

usage: opencv_pipeline.py FILE... [--runs N]

Why: kycmedia decodes, shrinks, measures sharpness and looks for a face in
every uploaded photo; the plain OpenCV way of doing the same steps is the
yardstick its speed is compared with. Each file's bytes are read into memory
once, outside the timing; then one timed run is:

  cv2.imdecode(bytes, IMREAD_GRAYSCALE)
  cv2.resize to 512 px on the long side (INTER_AREA; never enlarged)
  variance of cv2.Laplacian(CV_64F)                       (sharpness)
  haarcascade_frontalface_default.detectMultiScale on the 512 px image
      (scaleFactor 1.1, minNeighbors 5, minSize 10 % of the short side)

cv2.setNumThreads(1) and OpenCL off, so the figure is one core's. One
untimed warm-up run per file, then N timed runs (default 30); prints one JSON
line per file: {"file", "median_ms", "faces", "runs", "width", "height",
"lapvar", "stages_median_ms": {decode, resize, laplacian, haar}}. Needs only
opencv-python-headless and numpy (PyPI).
"""

import argparse
import json
import statistics
import time

import cv2
import numpy as np

LONG_SIDE = 512


def analyse(data, cascade, stages):
    """One run; appends each step's milliseconds to stages[step]."""
    t0 = time.perf_counter()
    grey = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    t1 = time.perf_counter()
    h, w = grey.shape
    s = LONG_SIDE / max(h, w)
    small = grey if s >= 1 else cv2.resize(grey, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    t2 = time.perf_counter()
    lapvar = cv2.Laplacian(small, cv2.CV_64F).var()
    t3 = time.perf_counter()
    side = max(1, int(0.10 * min(small.shape)))
    faces = cascade.detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    t4 = time.perf_counter()
    for name, a, b in (("decode", t0, t1), ("resize", t1, t2), ("laplacian", t2, t3), ("haar", t3, t4)):
        stages.setdefault(name, []).append((b - a) * 1000)
    return (w, h), float(lapvar), len(faces)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    cv2.ocl.setUseOpenCL(False)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    for path in args.files:
        with open(path, "rb") as fh:
            data = np.frombuffer(fh.read(), np.uint8)
        analyse(data, cascade, {})  # warm-up: page faults, cascade caches
        times, stages = [], {}
        for _ in range(args.runs):
            t0 = time.perf_counter()
            size, lapvar, faces = analyse(data, cascade, stages)
            times.append((time.perf_counter() - t0) * 1000)
        print(json.dumps({"file": path, "median_ms": round(statistics.median(times), 2), "faces": faces,
                          "runs": args.runs, "width": size[0], "height": size[1], "lapvar": round(lapvar, 1),
                          "stages_median_ms": {k: round(statistics.median(v), 2) for k, v in stages.items()}}),
              flush=True)


if __name__ == "__main__":
    main()
