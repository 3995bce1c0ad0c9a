#!/usr/bin/env python3
"""Scores `kycmedia analyze` output against eval/make_set.py's labels.

usage: score.py LABELS_JSON RESULTS_JSONL [--baseline] [--brisque] [--json OUT]

RESULTS_JSONL holds one JSON object per line as `kycmedia analyze --context
CTX FILE...` prints it: {"file", "context", "matches", "score", "accuracy",
"quality", ...} or {"file", "context", "error"}. A result is joined to a
label row by (file, context); the file may carry any directory prefix (the
longest path suffix that names a labelled file wins, then a unique basename).
An error line, or a label row with no result line, counts as matches=false,
score=-1.

Metrics (see eval/README.md):
  pairwise  share of known (better, worse) pairs that the system orders
            right; kycmedia orders by matches (true first), then score.
            An exact tie counts 1/2 (kycmedia would break it by file name,
            which would favour the pristine file by its shorter name).
            Broken down by reason (a/b/c), by degradation kind, by family.
  top-1     share of attempts whose pristine file ranks first (a tie for
            first place with k files counts 1/k).
  match     precision / recall / F1 of "matches" (positive = the file shows
            what the context asks), per family and per context.
  per kind  pristine-vs-degraded (a) pairs per degradation kind, every system;
            the exposure extremes (0.2x, 2.5x); predicted match rate per kind.
  targets   issue 16's: pairwise, top-1, worst kind (a), face F1, document
            front/back recall at precision >= 0.95 (report.py lays them out),
            and, when results carry evidence.face_quality, how each OFIQ-style
            component separates pristine selfies from each degradation.

--baseline adds OpenCV's variance of the Laplacian (CV_64F, greyscale) as a
single ranking score, on the image shrunk to 512 px long side (INTER_AREA,
never enlarged) and at full size; it has no notion of a match, so its (c)
pairs and top-1 use the score alone. For the match metrics it gets a Haar
frontal-face detector on the face contexts (exactly one face of at least
15 % of the short side = match) and cv2.QRCodeDetector on the QR contexts
(decodes = match); elsewhere N/A. --brisque adds the `brisque` package
(PyPI, model shipped in the wheel) on the 512 px image, lower = better.
"""

import argparse
import json
import os
import sys
from collections import defaultdict

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baselines  # noqa: E402
import report  # noqa: E402

FACE_CONTEXTS = {"face", "face-pre"}
QR_CONTEXTS = {"document-back-qrcode", "document-front-qrcode"}


def load_results(path, label_files):
    by_suffix = set(label_files)
    base = defaultdict(list)
    for f in label_files:
        base[os.path.basename(f)].append(f)
    out, unmatched, bad = {}, 0, 0
    with open(path) as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                parts = os.path.normpath(r["file"]).replace("\\", "/").split("/")
                ctx = r["context"]
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            rel = next(("/".join(parts[-k:]) for k in range(len(parts), 0, -1)
                        if "/".join(parts[-k:]) in by_suffix), None)
            if rel is None and len(base.get(parts[-1], [])) == 1:
                rel = base[parts[-1]][0]
            if rel is None:
                unmatched += 1
                continue
            out[(rel, ctx)] = r
    return out, unmatched, bad


def kycmedia_view(items, results):
    """(file, ctx) -> (matches, score); errors and missing rows are (False, -1)."""
    view, errors, missing = {}, 0, 0
    for it in items:
        key = (it["file"], it["context"])
        r = results.get(key)
        if r is None:
            missing += 1
            view[key] = (False, -1.0)
        elif "error" in r or r.get("score") is None:
            errors += 1
            view[key] = (False, -1.0)
        else:
            view[key] = (bool(r.get("matches")), float(r["score"]))
    return view, errors, missing


def order(view, a, b):
    """1 if a ranks before b, 0 if after, 0.5 on an exact tie."""
    ka, kb = view[a], view[b]
    return 1.0 if ka > kb else 0.0 if ka < kb else 0.5


def pairwise(view, pairs, family_of):
    groups = defaultdict(list)
    for better, worse, ctx, reason in pairs:
        v = order(view, (better, ctx), (worse, ctx))
        parts = reason.split(":")
        groups["all"].append(v)
        groups["reason " + parts[0]].append(v)
        if parts[0] in "ab":
            groups["kind " + parts[1]].append(v)
        groups["family " + family_of[ctx]].append(v)
        if parts[0] == "a":
            groups["a-kind " + parts[1]].append(v)
            if parts[1] in ("exposure-dark", "exposure-bright") and parts[2] == "0>3":
                groups[f"a {parts[1]}:0>3"].append(v)
    return {k: (sum(v) / len(v), len(v)) for k, v in groups.items()}


def top1(view, attempts):
    total = 0.0
    for att in attempts:
        keys = [view[(f, att["context"])] for f in att["files"]]
        best = view[(att["best"], att["context"])]
        if all(k <= best for k in keys):
            total += 1.0 / sum(1 for k in keys if k == best)
    return total / max(1, len(attempts)), len(attempts)


def match_prf(pred, items, contexts):
    """P/R/F1 over the rows of `contexts` that pred covers; None if it covers none."""
    tp = fp = fn = n = 0
    covered = set()
    for it in items:
        p = pred.get((it["file"], it["context"])) if it["context"] in contexts else None
        if p is None:
            continue
        covered.add(it["context"])
        n += 1
        tp += p and it["matches"]
        fp += p and not it["matches"]
        fn += (not p) and it["matches"]
    if not n:
        return None
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return dict(precision=prec, recall=rec, f1=f1, n=n, partial=len(covered) < len(contexts))


def doc_recall(items, results, view):
    """Document front/back: P/R at the operating point (matches), and the best recall
    at precision >= 0.95 over thresholds on accuracy (what a re-tuned threshold could do)."""
    rows = [it for it in items if it["context"] in ("document-front", "document-back")]
    if not rows:
        return None
    prf = match_prf({k: v[0] for k, v in view.items()}, rows, {"document-front", "document-back"})
    acc = []
    for it in rows:
        a = results.get((it["file"], it["context"]), {}).get("accuracy")
        acc.append((float(a) if isinstance(a, (int, float)) else -1.0, it["matches"]))
    pos = sum(1 for _, m in acc if m)
    best, tp, fp = 0.0, 0, 0
    for a, m in sorted(acc, key=lambda x: -x[0]):
        tp += m
        fp += not m
        if tp / (tp + fp) >= 0.95:
            best = max(best, tp / pos if pos else 0.0)
    return dict(precision=prf["precision"], recall=prf["recall"], f1=prf["f1"], n=prf["n"],
                best_recall_at_p95=best)


def decodable_labels(set_dir, items):
    """Barcode rows relabelled by what a reference decoder reads.

    The barcode contexts ask for a code "that actually decodes"; the set labels
    by content, so a code blurred past reading is still labelled a match. With
    zxing-cpp (the C++ ZXing, PyPI `zxing-cpp`) installed, this gives the second
    view: a barcode row matches when its code is there *and* zxing-cpp reads
    it. None when zxing-cpp is missing."""
    try:
        import cv2
        import zxingcpp
    except ImportError:
        return None
    out, cache = [], {}
    for it in items:
        if it["family"] != "barcode":
            continue
        if it["matches"] and it["file"] not in cache:
            rgb = cv2.imread(os.path.join(set_dir, it["file"]))
            cache[it["file"]] = rgb is not None and bool(zxingcpp.read_barcodes(rgb))
        out.append(dict(it, matches=it["matches"] and cache[it["file"]]))
    return out


def evaluate(items, pairs, attempts, view, match_pred, family_of):
    fams = defaultdict(set)
    for ctx, fam in family_of.items():
        fams[fam].add(ctx)
    out = dict(pairwise=pairwise(view, pairs, family_of), top1=top1(view, attempts), match={})
    if match_pred is not None:
        for fam, ctxs in sorted(fams.items()):
            out["match"]["family " + fam] = match_prf(match_pred, items, ctxs)
        for ctx in sorted(family_of):
            out["match"]["context " + ctx] = match_prf(match_pred, items, {ctx})
    return out


def fmt_pair(v):
    return "N/A" if v is None else f"{v[0]:.3f} ({v[1]})"


def fmt_prf(v):
    if v is None:
        return "N/A"
    star = "*" if v["partial"] else ""
    return f"P {v['precision']:.2f} R {v['recall']:.2f} F1 {v['f1']:.2f}{star}"


def table(systems):
    names = list(systems)
    rows = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    keys = []
    for s in systems.values():
        for k in s["pairwise"]:
            if k not in keys:
                keys.append(k)
    order_key = {"all": 0, "reason": 1, "family": 3}
    keys = [k for k in keys if k.split()[0] in order_key]  # per kind: report.degradation_table
    for k in sorted(keys, key=lambda k: (order_key[k.split()[0]], k)):
        rows.append(f"| pairwise {k} | " + " | ".join(fmt_pair(s["pairwise"].get(k)) for s in systems.values()) + " |")
    rows.append("| top-1 attempts | " + " | ".join(fmt_pair(s["top1"]) for s in systems.values()) + " |")
    mkeys = sorted({k for s in systems.values() for k in s["match"]}, key=lambda k: (not k.startswith("family"), k))
    for k in mkeys:
        rows.append(f"| match {k} | " + " | ".join(fmt_prf(s["match"].get(k)) for s in systems.values()) + " |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("labels")
    ap.add_argument("results")
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--brisque", action="store_true")
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    with open(args.labels) as fh:
        labels = json.load(fh)
    set_dir = os.path.dirname(os.path.abspath(args.labels))
    items, pairs, attempts = labels["items"], labels["pairs"], labels["attempts"]
    family_of = {}
    for it in items:
        if it["matches"]:
            family_of[it["context"]] = it["family"]
    files = sorted({it["file"] for it in items})
    results, unmatched, bad = load_results(args.results, files)
    view, errors, missing = kycmedia_view(items, results)
    systems = {"kycmedia": evaluate(items, pairs, attempts, view,
                                    {k: v[0] for k, v in view.items()}, family_of)}
    quality = {}
    for it in items:
        q = results.get((it["file"], it["context"]), {}).get("quality")
        quality[(it["file"], it["context"])] = (float(q) if isinstance(q, (int, float)) else -1.0,)
    systems["kycmedia quality only"] = evaluate(items, pairs, attempts, quality, None, family_of)
    if args.baseline or args.brisque:
        feats = baselines.compute(set_dir, items, FACE_CONTEXTS, QR_CONTEXTS, brisque=args.brisque)
        match = {}
        for it in items:
            f, ctx = it["file"], it["context"]
            if ctx in FACE_CONTEXTS:
                match[(f, ctx)] = feats[f]["faces"] == 1
            elif ctx in QR_CONTEXTS:
                match[(f, ctx)] = feats[f]["qr"]
        names = (["lapvar@512", "lapvar@full"] if args.baseline else []) + (["brisque@512"] if args.brisque else [])
        for name in names:
            v = {(it["file"], it["context"]): (feats[it["file"]][name],) for it in items}
            systems[name] = evaluate(items, pairs, attempts, v, None, family_of)
        systems["haar+qr detectors"] = dict(pairwise={}, top1=None,
                                            match=evaluate(items, [], [], {}, match, family_of)["match"])
    print(table(systems))
    kycp = systems["kycmedia"]["pairwise"]
    kinds = [k for k in labels["meta"]["kinds"] if "a-kind " + k in kycp]
    print("\n### Per degradation kind: pristine beats its degraded copy (a), and kycmedia's a+b\n")
    print(report.degradation_table(systems, kinds))
    match_tbl, match_kinds = report.match_by_kind(items, {k: v[0] for k, v in view.items()})
    print("\n### Face and document rows predicted to match, per kind (label says which is right)\n")
    print(match_tbl)
    docs = doc_recall(items, results, view)
    face = systems["kycmedia"]["match"].get("family face")
    summary = dict(pairwise=kycp["all"][0], top1=systems["kycmedia"]["top1"][0],
                   worst_kind=min((kycp["a-kind " + k][0] for k in kinds), default=None),
                   face_f1=face["f1"] if face else None,
                   doc_recall=docs["recall"] if docs and docs["precision"] >= 0.95 else 0.0 if docs else None)
    worst = min(kinds, key=lambda k: kycp["a-kind " + k][0]) if kinds else None
    print("\n### Issue 16 targets (kycmedia)\n")
    print(report.targets(summary))
    if docs:
        print(f"\ndocument front/back at kycmedia's operating point: P {docs['precision']:.3f} "
              f"R {docs['recall']:.3f} ({docs['n']} rows; the target counts the recall only when P >= 0.95); "
              f"best recall at P >= 0.95 over accuracy thresholds: {docs['best_recall_at_p95']:.3f}")
    if worst:
        print(f"worst degradation kind (a pairs): {worst} {kycp['a-kind ' + worst][0]:.3f}")
    ofiq_md, ofiq = report.ofiq_section(pairs, results)
    print("\n### OFIQ-style face components (evidence.face_quality), face context\n")
    print(ofiq_md or "No result carries evidence.face_quality: nothing to compare.")
    relabelled = decodable_labels(set_dir, items)
    if relabelled is not None:
        ctxs = {it["context"] for it in relabelled}
        prf = match_prf({k: v[0] for k, v in view.items()}, relabelled, ctxs)
        unreadable = sum(1 for a, b in zip((i for i in items if i["family"] == "barcode"), relabelled)
                         if a["matches"] and not b["matches"])
        print(f"\nmatch family barcode, ground truth = the code is there and zxing-cpp reads it "
              f"({unreadable} labelled codes it cannot read): {fmt_prf(prf)}")
        systems["kycmedia"]["match"]["family barcode (zxing-cpp decodable)"] = prf
    print("\n(*) family score over the contexts the detectors cover (face, QR); N/A: not covered")
    print(f"{len(items)} label rows, {len(pairs)} pairs, {len(attempts)} attempts; "
          f"kycmedia: {errors} errors, {missing} rows without a result, {unmatched} result lines "
          f"matching no labelled file, {bad} unreadable lines")
    if args.json_out:
        with open(args.json_out, "w") as fh:
            json.dump(dict(systems=systems, targets=summary, documents=docs, match_by_kind=match_kinds,
                           face_quality=ofiq, errors=errors, missing=missing, unmatched=unmatched,
                           unreadable=bad, items=len(items), pairs=len(pairs), attempts=len(attempts)),
                      fh, indent=1)


if __name__ == "__main__":
    main()
