"""The tables of eval/score.py that issue 16 asks for, beside its main table.

* targets: the held-out targets of issue 16 and whether this run meets each;
* per degradation kind: pristine-vs-degraded (a) pairs and milder-vs-stronger
  (b) pairs for every system, and how often a degraded file still matches;
* the exposure extremes (0.2x and 2.5x the original brightness in linear
  light, issue 16 item 1) on their own rows;
* OFIQ-style face components (`evidence.face_quality`, when the analyser
  reports it): how well each separates a pristine selfie from each kind of
  degraded copy. Absent field, absent section.

Why separate: score.py computes; this module only lays numbers out.
"""

import re
from collections import defaultdict

TARGETS = [  # (key, label, threshold): issue 16's targets on the held-out set
    ("pairwise", "pairwise order, all pairs", 0.985),
    ("top1", "top-1 (best file listed first)", 0.97),
    ("worst_kind", "every degradation kind, pristine-vs-degraded", 0.95),
    ("face_f1", "face match F1", 0.98),
    ("doc_recall", "document front/back recall at precision >= 0.95", 0.85),
]

# Which OFIQ component should fall when a selfie gets this degradation (ISO/IEC
# 29794-5 names, snake_case); used to put the expected cell first in the section.
EXPECTED = {
    "side-light": ["illumination_uniformity"],
    "exposure-dark": ["luminance_mean", "under_exposure_prevention", "dynamic_range"],
    "underexposure": ["luminance_mean", "under_exposure_prevention", "dynamic_range"],
    "exposure-bright": ["luminance_mean", "over_exposure_prevention", "dynamic_range"],
    "overexposure": ["luminance_mean", "over_exposure_prevention", "dynamic_range"],
    "gaussian-blur": ["sharpness"],
    "motion-blur": ["sharpness"],
    "jpeg": ["compression_artifacts"],
    "downscale": ["inter_eye_distance", "head_size"],
    "occlusion-eyes": ["eyes_visible", "eyes_open", "face_occlusion_prevention"],
    "occlusion-mouth": ["mouth_visible", "mouth_occlusion_prevention", "face_occlusion_prevention"],
    "head-turn": ["head_pose_yaw"],
    "cut-off": ["leftward_crop_of_the_face_image", "rightward_crop_of_the_face_image",
                "upward_crop_of_the_face_image", "downward_crop_of_the_face_image", "head_size"],
}


def targets(summary):
    rows = ["| metric (issue 16 target) | target | this run | met |", "|---|---:|---:|---|"]
    for key, label, thr in TARGETS:
        v = summary.get(key)
        val = "N/A" if v is None else f"{v:.3f}"
        met = "" if v is None else ("yes" if v >= thr else f"no ({v - thr:+.3f})")
        rows.append(f"| {label} | >= {thr} | {val} | {met} |")
    return "\n".join(rows)


def degradation_table(systems, kinds):
    """Rows: kinds; columns: a (pristine-vs-degraded) per system, then kycmedia's a+b."""
    names = [n for n in systems if systems[n]["pairwise"]]
    head = "| kind | a pairs | " + " | ".join(f"{n} (a)" for n in names) + " | kycmedia (a+b) |"
    rows = [head, "|---" * (len(names) + 3) + "|"]
    kyc = systems["kycmedia"]["pairwise"]
    for kind in kinds:
        a = kyc.get("a-kind " + kind)
        if a is None:
            continue
        cells = []
        for n in names:
            v = systems[n]["pairwise"].get("a-kind " + kind)
            cells.append("N/A" if v is None else f"{v[0]:.3f}")
        ab = kyc.get("kind " + kind)
        rows.append(f"| {kind} | {a[1]} | " + " | ".join(cells) + f" | {ab[0]:.3f} ({ab[1]}) |")
    for label, key in (("exposure 0.2x (exposure-dark level 3)", "a exposure-dark:0>3"),
                       ("exposure 2.5x (exposure-bright level 3)", "a exposure-bright:0>3")):
        if key in kyc:
            cells = []
            for n in names:
                v = systems[n]["pairwise"].get(key)
                cells.append("N/A" if v is None else f"{v[0]:.3f}")
            rows.append(f"| {label} | {kyc[key][1]} | " + " | ".join(cells) + " | |")
    return "\n".join(rows)


def match_by_kind(items, pred, families=("face", "document")):
    """Share of rows predicted to match, per family and kind (label says which is right)."""
    cnt = defaultdict(lambda: [0, 0, None])
    for it in items:
        if it["family"] not in families:
            continue
        p = pred.get((it["file"], it["context"]))
        if p is None:
            continue
        key = (it["family"], it["degradation"], it["matches"])
        cnt[key][0] += bool(p)
        cnt[key][1] += 1
    rows = ["| family | kind | label | rows | predicted match |", "|---|---|---|---:|---:|"]
    out = {}
    for (fam, kind, lab), (m, n, _) in sorted(cnt.items()):
        rows.append(f"| {fam} | {kind} | {'match' if lab else 'non-match'} | {n} | {m / n:.3f} |")
        out[f"{fam} {kind} {'match' if lab else 'non-match'}"] = (m / n, n)
    return "\n".join(rows), out


def _components(fq):
    """{component: 0-100 or -1} from whatever shape evidence.face_quality has:
    {name: number}, {name: {"scalar"|"value"|"score"|"quality": number}}, a list of
    {"name"|"component"|"measure": ..., value...}, or any of those under "components"."""
    if isinstance(fq, dict) and isinstance(fq.get("components"), (dict, list)):
        fq = fq["components"]
    items = []
    if isinstance(fq, dict):
        items = list(fq.items())
    elif isinstance(fq, list):
        for e in fq:
            if isinstance(e, dict):
                name = e.get("name") or e.get("component") or e.get("measure")
                if isinstance(name, str):
                    items.append((name, e))
    out = {}
    for name, v in items:
        if isinstance(v, dict):
            v = next((v[k] for k in ("scalar", "value", "score", "quality") if isinstance(v.get(k), (int, float))),
                     None)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[_snake(str(name))] = float(v)
    return out


def _snake(name):
    """'IlluminationUniformity' / 'illumination-uniformity' -> 'illumination_uniformity'."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace("-", "_").replace(" ", "_").lower()


def ofiq_section(pairs, results):
    """Markdown and JSON: per OFIQ-style component and degradation kind, the share of
    pristine-vs-degraded pairs (face contexts, 'a' reason) where the pristine file's
    component is higher (ties 1/2; pairs with a -1 on either side are counted apart).
    None when no result carries evidence.face_quality."""
    comps = {}
    for key, r in results.items():
        fq = (r.get("evidence") or {}).get("face_quality") if isinstance(r, dict) else None
        if fq is not None:
            comps[key] = _components(fq)
    if not comps:
        return None, None
    stats = defaultdict(lambda: [0.0, 0, 0])  # (component, kind) -> [wins, n, failures]
    names = set()
    for better, worse, ctx, reason in pairs:
        if not reason.startswith("a:") or ctx != "face":
            continue
        kind = reason.split(":")[1]
        cb, cw = comps.get((better, ctx)), comps.get((worse, ctx))
        if cb is None or cw is None:
            continue
        for name in set(cb) | set(cw):
            names.add(name)
            b, w = cb.get(name, -1.0), cw.get(name, -1.0)
            s = stats[(name, kind)]
            if b < 0 or w < 0:
                s[2] += 1
                continue
            s[0] += 1.0 if b > w else 0.5 if b == w else 0.0
            s[1] += 1
    kinds = sorted({k for _, k in stats})
    rows = ["| degradation kind | expected component(s): separation | best component: separation |",
            "|---|---|---|"]
    out = {}
    for kind in kinds:
        sep = {n: (stats[(n, kind)][0] / stats[(n, kind)][1], stats[(n, kind)][1], stats[(n, kind)][2])
               for n in names if stats[(n, kind)][1]}
        out[kind] = sep
        exp = [f"{n} {sep[n][0]:.2f} ({sep[n][1]}, {sep[n][2]} failed)" for n in EXPECTED.get(kind, []) if n in sep]
        best = max(sep.items(), key=lambda kv: kv[1][0]) if sep else None
        rows.append(f"| {kind} | {'; '.join(exp) or 'none reported'} | "
                    + (f"{best[0]} {best[1][0]:.2f}" if best else "N/A") + " |")
    note = (f"\n{len(comps)} result rows carry face_quality; components seen: {', '.join(sorted(names))}. "
            "Separation = share of face-context pristine-vs-degraded pairs where the pristine file's "
            "component is higher (1/2 on a tie); '-1' (failure to assess) on either side is counted apart.")
    return "\n".join(rows) + note, out
