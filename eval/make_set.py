#!/usr/bin/env python3
"""Builds kycmedia's labelled ranking evaluation set from real package photos.

usage: make_set.py OUT_DIR

Writes JPEGs (q90, 4:2:0, 800-1600 px long side; degraded copies smaller or
lower quality where that is the degradation) under OUT_DIR/<family>/ and
OUT_DIR/labels.json:

  items    one row per (file, context): matches, family, source (the pristine
           capture it comes from), degradation ("none" or a kind) and level 0..3
           (a selfie's screen/print recapture is a non-match of its face contexts)
  pairs    [better, worse, context, reason] whose order is known by
           construction. reason "a:KIND:0>L" pristine beats its degraded copy,
           "b:KIND:I>J" a milder level beats a stronger one, "c:match>nonmatch"
           a usable (level <= 1) match beats any non-match of that context
           (subsampled, deterministically, to at most the a+b count)
  attempts one per matching pristine source and context: the pristine file,
           the level-2 copy of each degradation it got and two non-matches;
           best = the pristine file

Deterministic: every random draw is seeded from the item's name. Needs
numpy, pillow, opencv-python-headless, scikit-image, qrcode, pdf417gen,
matplotlib and mahotas from PyPI, the Debian package opencv-doc
(`apt-get install -y opencv-doc`) for its photos, and the photos of
@vladmandic/face-api (npm) and face_recognition (PyPI sdist) unpacked into
EVAL_CACHE; eval/run.sh installs and unpacks them all.
"""

import json
import multiprocessing
import os
import random
import sys
import time
import zlib
from collections import Counter, defaultdict

import cv2
import numpy as np
from PIL import Image

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import degrade  # noqa: E402
import families  # noqa: E402
import sources  # noqa: E402

# context -> [(role, how many sources (None = all), levels listed (None = all))]
NEGATIVES = {
    "face": [("scene", None, None), ("text", None, None), ("front", None, (0,)), ("address", 2, (0,))],
    "document-front": [("selfie", 4, (0,)), ("scene", 5, (0,)), ("back", None, (0, 1))],
    "document-back": [("selfie", 4, (0,)), ("scene", 5, (0,)), ("front", None, (0, 1))],
    "document-back-barcode": [("plain-back", None, None), ("scene", 4, (0,)), ("selfie", 3, (0,))],
    "document-back-qrcode": [("plain-back", None, None), ("scene", 4, (0,)), ("selfie", 3, (0,))],
    "document-front-qrcode": [("front", None, (0,)), ("scene", 4, (0,)), ("selfie", 3, (0,))],
    "document-and-face": [("selfie", 4, (0,)), ("front", 4, (0,)), ("scene", 4, (0,))],
    "address-front": [("scene", 5, (0,)), ("selfie", 4, (0,))],
}
NEGATIVES["face-pre"] = NEGATIVES["face"]


def crc(text):
    return zlib.crc32(text.encode()) ^ families.SEED


def save(out_dir, rel, rgb, quality):
    path = os.path.join(out_dir, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(rgb).save(path, "JPEG", quality=int(quality), subsampling=2)


def write_files(out_dir, rec):
    """Pristine file plus each degradation at its levels (1..3); returns file rows.

    Re-framings (cut-off, corner-out) come ready-made in rec["variants"]."""
    rel = rec["name"] + ".jpg"
    save(out_dir, rel, rec["image"], degrade.PRISTINE_QUALITY)
    files = [dict(file=rel, degradation="none", level=0)]
    for kind in rec["kinds"]:
        for level in degrade.LEVELS[kind]:
            rng = families.rng_for(f"{rec['name']}/{kind}/{level}")
            if kind in degrade.RENDERED:
                img, q = rec["variants"][kind][level - 1], degrade.PRISTINE_QUALITY
            else:
                img, q = degrade.apply(rec["image"], kind, level, rng, mild=rec["mild"], aux=rec.get("aux"))
            drel = f"{rec['name']}__{kind}-{level}.jpg"
            save(out_dir, drel, img, q)
            files.append(dict(file=drel, degradation=kind, level=level))
    return files


def label_rows(recs):
    """Items as {(file, context): row}: matches of each record, then NEGATIVES."""
    rows = {}

    def add(rec, f, ctx, matches):
        rows.setdefault((f["file"], ctx), dict(file=f["file"], context=ctx, family=rec["family"],
                                               matches=matches, source=rec["name"],
                                               degradation=f["degradation"], level=f["level"]))
    for rec in recs:
        for ctx in rec["match"]:
            for f in rec["files"]:  # a recapture of a selfie is no live face: a non-match
                add(rec, f, ctx, f["degradation"] not in rec.get("nonmatch_kinds", ()))
    by_role = defaultdict(list)
    for rec in recs:
        by_role[rec["role"]].append(rec)
    for ctx, specs in NEGATIVES.items():
        for role, count, levels in specs:
            pool = sorted(by_role[role], key=lambda r: r["name"])
            if count is not None and count < len(pool):
                pool = random.Random(crc(ctx + role)).sample(pool, count)
            for rec in pool:
                for f in rec["files"]:
                    if levels is None or f["level"] in levels:
                        add(rec, f, ctx, False)
    return rows


def pairs_and_attempts(rows):
    by_ctx = defaultdict(list)
    for row in rows.values():
        by_ctx[row["context"]].append(row)
    pairs, attempts = [], []
    for ctx in sorted(by_ctx):
        ctx_rows = sorted(by_ctx[ctx], key=lambda r: r["file"])
        pos = defaultdict(list)  # source -> its rows, for sources whose pristine file matches
        matching = {r["source"] for r in ctx_rows if r["matches"] and r["level"] == 0}
        for r in ctx_rows:
            if r["source"] in matching:
                pos[r["source"]].append(r)
        neg = [r for r in ctx_rows if not r["matches"]]
        ab = []
        for src, rs in sorted(pos.items()):
            pristine = [r for r in rs if r["level"] == 0][0]
            deg = [r for r in rs if r["level"] > 0]
            for r in deg:
                ab.append([pristine["file"], r["file"], ctx, f"a:{r['degradation']}:0>{r['level']}"])
            for r in deg:
                for s in deg:
                    if r["degradation"] == s["degradation"] and r["level"] < s["level"] and r["matches"]:
                        ab.append([r["file"], s["file"], ctx, f"b:{r['degradation']}:{r['level']}>{s['level']}"])
            mids = [r["file"] for r in deg if r["level"] == 2]
            picks = random.Random(crc(ctx + src)).sample([r["file"] for r in neg], min(2, len(neg)))
            attempts.append(dict(context=ctx, files=[pristine["file"]] + mids + picks, best=pristine["file"]))
        c = [[p["file"], n["file"], ctx, "c:match>nonmatch"]
             for rs in pos.values() for p in rs if p["level"] <= 1 and p["matches"] for n in neg]
        if len(c) > len(ab):
            c = random.Random(crc(ctx + "c")).sample(c, len(ab))
        pairs += ab + sorted(c)
    return pairs, attempts


def checks(out_dir, recs):
    """Re-reads saved files: one Haar face per selfie, QR decodes, barcode module size.

    PDF417 decoding is checked too when the optional zxing-cpp (PyPI) is installed."""
    report = defaultdict(list)
    qr = cv2.QRCodeDetector()
    try:
        import zxingcpp
    except ImportError:
        zxingcpp = None
    for rec in recs:
        for f in rec["files"]:
            if f["level"] > 1:
                continue
            rgb = np.asarray(Image.open(os.path.join(out_dir, f["file"])).convert("RGB"))
            if f["level"] == 0 and rec["role"] in ("selfie", "portrait", "docface", "scene"):
                s = 640 / max(rgb.shape[:2])
                small = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
                n = len(sources.detect_faces(small, 0.10))
                report["haar_faces_" + rec["role"]].append((rec["name"], n))
            if "qr" in rec["name"]:
                text, _, _ = qr.detectAndDecode(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
                ok = text == rec["meta"]["payload"]
                report["qr_decodes_level%d" % f["level"]].append((f["file"], ok))
            if "pdf417" in rec["name"] and zxingcpp is not None:
                ok = any(r.text == rec["meta"]["payload"] for r in zxingcpp.read_barcodes(rgb))
                report["pdf417_decodes_level%d" % f["level"]].append((f["file"], ok))
        if "pdf417_module_px" in rec["meta"] and not rec["name"].startswith("document/"):
            report["pdf417_module_px"].append((rec["name"], round(rec["meta"]["pdf417_module_px"], 2)))
    return dict(report)


_RECS = []


def _write(i):
    return write_files(_OUT[0], _RECS[i])


_OUT = [None]


def write_all(out_dir, recs):
    """write_files for every record, spread over EVAL_JOBS processes (default: the cores).
    Every draw is seeded from the file's name, so the bytes do not depend on the split."""
    _RECS[:] = recs
    _OUT[0] = out_dir
    jobs = int(os.environ.get("EVAL_JOBS", "0")) or os.cpu_count() or 1
    if jobs <= 1:
        return [write_files(out_dir, r) for r in recs]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return pool.map(_write, range(len(recs)), chunksize=1)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    t0 = time.time()
    recs = families.build_all()
    for rec, files in zip(recs, write_all(out_dir, recs)):
        rec["files"] = files
    rows = label_rows(recs)
    items = sorted(rows.values(), key=lambda r: (r["context"], r["file"]))
    pairs, attempts = pairs_and_attempts(rows)
    report = checks(out_dir, recs)
    meta = dict(seed=families.SEED, kinds=degrade.KINDS, checks=report,
                files=sum(len(r["files"]) for r in recs))
    with open(os.path.join(out_dir, "labels.json"), "w") as fh:
        json.dump(dict(items=items, pairs=pairs, attempts=attempts, meta=meta), fh, indent=1)
    per = Counter((r["family"] if r["matches"] else "-", r["context"], r["matches"]) for r in items)
    print(f"{meta['files']} files, {len(items)} items, {len(pairs)} pairs, {len(attempts)} attempts "
          f"in {time.time() - t0:.1f}s", file=sys.stderr)
    ctxs = sorted({r["context"] for r in items})
    for ctx in ctxs:
        m = sum(v for (fam, c, mt), v in per.items() if c == ctx and mt)
        n = sum(v for (fam, c, mt), v in per.items() if c == ctx and not mt)
        print(f"  {ctx:24s} matches {m:4d}  non-matches {n:4d}", file=sys.stderr)
    print("  pairs by reason: " + json.dumps(Counter(p[3][0] for p in pairs)), file=sys.stderr)
    for key, vals in sorted(report.items()):
        summary = Counter(v for _, v in vals)
        print(f"  check {key}: {dict(summary)}", file=sys.stderr)


if __name__ == "__main__":
    main()
