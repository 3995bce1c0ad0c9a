"""The pristine captures of the evaluation set, one builder per family.

Each builder returns source records: {"name": "family/id" (also the file
stem and the label's source id), "family", "role", "image" (RGB uint8),
"match": contexts it matches, "kinds": degradations to apply, "mild": bool,
"meta": {...}}. Everything is seeded from the record's name, so adding a
record never changes the others.
"""

import os
import zlib

import numpy as np

import degrade
import render
import sources as S

# The calibration set's seed; EVAL_SEED makes a held-out set (same sources,
# different crops, placements, tilts, noise and blur directions).
SEED = int(os.environ.get("EVAL_SEED", "20240611"))
FACE_CONTEXTS = ["face", "face-pre"]


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()) ^ SEED)


def kinds_for(i, n, pool=None):
    """n degradation kinds, rotating over pool (GLOBAL_KINDS) so every kind is covered."""
    k = pool or degrade.GLOBAL_KINDS
    return [k[(i * n + j) % len(k)] for j in range(n)]


# A selfie always gets both explicit exposure kinds (issue 16: 0.2x and 2.5x must rank
# below the original, always), the recaptures (non-matches), and 5 of the rest in turn.
SELFIE_ROTATION = [k for k in degrade.GLOBAL_KINDS if not k.startswith("exposure-")] + degrade.FACE_KINDS


class Words:
    """Deterministic pseudo-words for specimen names, addresses and letters."""
    SYL = "ka lo mi ter van sel dor rin ba que nus pel tor am est ur ven sa li no de ra mon chi".split()

    def __init__(self, rng):
        self.rng = rng

    def word(self, lo=1, hi=4):
        return "".join(self.rng.choice(self.SYL, int(self.rng.integers(lo, hi))))

    def line(self, n):
        return " ".join(self.word() for _ in range(n)).capitalize() + "."

    def number(self, n):
        return "".join(str(int(d)) for d in self.rng.integers(0, 10, n))

    def person(self):
        return f"{self.word(2, 3).title()} {self.word(2, 4).upper()}"

    def street(self):
        return f"{int(self.rng.integers(1, 200))} {self.word(2, 4).title()} Street"

    def city(self):
        return f"{self.number(5)} {self.word(2, 4).upper()}"

    def company(self):
        return f"{self.word(2, 3).title()} Energy"


def person(fid):
    w = Words(rng_for("person/" + fid))
    r = w.rng
    return {"surname": w.word(2, 4).upper(), "given": w.word(2, 3).upper(), "state": "SPECIMEN",
            "country": "UTO", "doc": "X" + w.number(7), "pob": w.word(2, 3).upper(),
            "dob": f"{int(r.integers(1950, 2004))}-0{int(r.integers(1, 9))}-1{int(r.integers(0, 9))}",
            "exp": f"{int(r.integers(2027, 2035))}-0{int(r.integers(1, 9))}-2{int(r.integers(0, 8))}",
            "issued": f"{int(r.integers(2017, 2024))}-1{int(r.integers(0, 2))}-0{int(r.integers(1, 9))}",
            "address": w.street().upper() + ", " + w.city()}


def _faces():
    return S.all_faces()


def _bgs():
    return {k: S.load(v) for k, v in S.BACKGROUNDS.items()}


def portrait(face):
    img, box = face
    return render.crop_face(img, box, 0.55, 1.28, fy=0.45)[0]


def auto_exposure(rgb, white=0.83, most=3.5, gain=None):
    """Brighten (never darken) in linear light until the 99th percentile of luminance
    reaches `white` (sRGB ~235), by at most `most`x: what a phone's auto-exposure does
    to a dim scene. Why: 'a pristine capture beats its 2.5x-brighter copy' is only known
    when the pristine uses its range; a dim party photo brightened 2.5x clips nothing
    and may look better. After this every pristine face photo's copy at 2.5x clips.
    Returns (image, gain); pass gain to expose a re-framing of the same scene alike."""
    lin = degrade.to_linear(rgb)
    if gain is None:
        luma = lin @ np.array([0.2126, 0.7152, 0.0722], np.float32)
        p99 = float(np.percentile(luma, 99))
        gain = min(most, max(1.0, white / max(p99, 1e-4)))
    return (rgb if gain <= 1.0 else degrade.to_srgb(lin * gain)), gain


def _selfie_size(crop, preset):
    """Output size: the preset, but never more than 1.3x the crop's own pixels (>= 720 wide)."""
    w, h = preset
    cw = crop.shape[1]
    scale = min(1.0, max(720, 1.3 * cw) / w)
    return int(round(w * scale)), int(round(h * scale))


def _box_in(box, b, out_w, out_h):
    """A source face box (x, y, w, h) in the output frame of crop b = (x0, y0, x1, y1)."""
    sx, sy = out_w / (b[2] - b[0]), out_h / (b[3] - b[1])
    return ((box[0] - b[0]) * sx, (box[1] - b[1]) * sy, box[2] * sx, box[3] * sy)


def _cut_off(img, box, b, out_w, out_h, share, rng):
    """The selfie's crop window moved (and, when the photo has no room, shrunk) so that
    `share` of the head (the face box widened by 10 % a side and raised by 35 % for the
    hair) lies outside the frame: the head cut by the frame's edge. The side is the one
    whose window stays largest (ties drawn)."""
    H, W = img.shape[:2]
    x, y, fw, fh = box
    x, y, fw, fh = x - 0.1 * fw, y - 0.35 * fh, 1.2 * fw, 1.5 * fh
    bw, bh = b[2] - b[0], b[3] - b[1]
    options = []
    for side in ("top", "left", "right", "bottom"):
        if side == "top":    # window's top edge through the face
            y0 = y + share * fh
            k = min(1.0, (H - y0) / bh)
        elif side == "bottom":
            y1 = y + (1 - share) * fh
            k = min(1.0, y1 / bh)
        elif side == "left":
            x0 = x + share * fw
            k = min(1.0, (W - x0) / bw)
        else:
            x1 = x + (1 - share) * fw
            k = min(1.0, x1 / bw)
        options.append((round(k, 2), float(rng.uniform()), side))
    k, _, side = max(options)
    ww, wh = bw * k, bh * k
    cx = min(max(x + fw / 2 - ww / 2, 0), W - ww)
    cy = min(max(b[1], 0), H - wh)
    if side == "top":
        cy = y + share * fh
    elif side == "bottom":
        cy = y + (1 - share) * fh - wh
    elif side == "left":
        cx = x + share * fw
    else:
        cx = x + (1 - share) * fw - ww
    win = img[int(max(0, cy)):int(cy + wh), int(max(0, cx)):int(cx + ww)]
    return render.resize(win, out_w, out_h)


def face_family(faces, bgs):
    recs = []
    bg_names = sorted(bgs)
    for i, fid in enumerate(sorted(faces)):
        img, box = faces[fid]
        name = f"face/{fid}-selfie"
        rng = rng_for(name)
        crop, b = render.crop_face(img, box, 0.36, 4 / 3, fy=0.42)
        w, h = _selfie_size(crop, (960, 1280) if i % 2 == 0 else (1200, 1600))
        exposed, gain = auto_exposure(render.resize(crop, w, h))
        rgb = render.camera_finish(exposed, rng)
        kinds = ["exposure-dark", "exposure-bright"] + kinds_for(i, 5, SELFIE_ROTATION) + degrade.RECAPTURE_KINDS
        variants = {}
        if "cut-off" in kinds:
            variants["cut-off"] = []
            for level in (1, 2, 3):
                vr = rng_for(f"{name}/cut-off/{level}")
                share = degrade.STRONG["cut-off"][level - 1]
                cut, _ = auto_exposure(_cut_off(img, box, b, w, h, share, vr), gain=gain)
                variants["cut-off"].append(render.camera_finish(cut, vr))
        aux = {"face": _box_in(box, b, w, h), "texture": bgs["desk"], "bg": bgs[bg_names[i % len(bg_names)]]}
        recs.append(dict(name=name, family="face", role="selfie", image=rgb, match=FACE_CONTEXTS,
                         kinds=kinds, mild=False, meta={}, aux=aux, variants=variants,
                         nonmatch_kinds=degrade.RECAPTURE_KINDS))
        if i % 2:
            continue
        # looser landscape framing, mirrored as a front camera does, slight tilt (every other person)
        name = f"face/{fid}-portrait"
        rng = rng_for(name)
        w, h = (1280, 960) if i % 4 == 0 else (1024, 768)
        if box[2] / min(img.shape[1], img.shape[0] / 0.75) > 0.5:  # too tight for landscape
            w, h = h, w
        crop, _ = render.crop_face(img, box, 0.24, h / w, fy=0.45)
        w, h = _selfie_size(crop, (w, h))
        rgb, _ = auto_exposure(render.tilt(render.resize(crop[:, ::-1], w, h), float(rng.uniform(-3, 3))))
        recs.append(dict(name=name, family="face", role="portrait", image=render.camera_finish(rgb, rng),
                         match=FACE_CONTEXTS, kinds=kinds_for(i // 2, 2), mild=False, meta={}))
    # background replaced (portrait-mode look): only sources whose shoulders are in frame
    for i, fid in enumerate(["astronaut", "hopper"]):
        name = f"face/{fid}-newbg"
        rng = rng_for(name)
        img, box = faces[fid]
        rgb, _ = auto_exposure(render.replace_background(img, box, render.cover(bgs[bg_names[i + 5]], 1080, 1440,
                                                                                rng, blur=5)))
        recs.append(dict(name=name, family="face", role="portrait", image=render.camera_finish(rgb, rng),
                         match=FACE_CONTEXTS, kinds=kinds_for(i + 3, 2), mild=False, meta={}))
    return recs


def _photograph(name, doc, bg, width_frac, rng, size=(1400, 1050), radius=0.035, corner=None):
    """(photo, card box) of a document laid on a background. corner = (share, sx, sy) moves
    the card towards that frame corner until `share` of its width and height is outside; the
    random draws are the same either way, so the card is otherwise where it was."""
    frame = render.cover(bg, size[0], size[1], rng, blur=1.5)
    angle = float(rng.uniform(-4, 4))
    rgb, box = render.place(frame, doc, width_frac, angle, rng, radius=radius, corner=corner)
    return render.camera_finish(rgb, rng), box


def _document(name, make_doc, bg, width_frac, kinds, **rec):
    """A photographed document record, its card box (for glare) and its corner-out variants."""
    rng = rng_for(name)
    rgb, box = _photograph(name, make_doc(rng), bg, width_frac, rng)
    variants = {}
    if "corner-out" in kinds:
        sx = -1 if box[0] + box[2] / 2 < rgb.shape[1] / 2 else 1
        sy = -1 if box[1] + box[3] / 2 < rgb.shape[0] / 2 else 1
        variants["corner-out"] = []
        for share in degrade.STRONG["corner-out"]:
            rng = rng_for(name)
            variants["corner-out"].append(_photograph(name, make_doc(rng), bg, width_frac, rng,
                                                      corner=(share, sx, sy))[0])
    return dict(name=name, image=rgb, kinds=kinds, aux={"card": box}, variants=variants, mild=False, **rec)


# Who is on the documents: the first 8 people as before, then some of the new ones.
FRONT_PEOPLE = ["hopper", "smile", "still-a", "astronaut", "obama", "bar-b", "stairs-c", "window-b",
                "lounge-a", "party-a"]
PASSPORT_PEOPLE = ["goatee", "luispedro", "biden", "window-d"]
CARD_KINDS_FIRST = ["glare", "corner-out"]


def document_family(faces, bgs):
    recs = []
    bg_names = sorted(bgs)
    hues = [(150, 190, 230), (200, 170, 210), (170, 210, 170), (230, 200, 150)]
    widths = [0.35, 0.5, 0.65, 0.8, 0.42, 0.58, 0.72]
    for i, fid in enumerate(FRONT_PEOPLE):
        hue = hues[i % 4]
        front = (lambda r, fid=fid, hue=hue:  # noqa: E731 (re-rendered for each corner-out copy)
                 render.card_front(person(fid), portrait(faces[fid]), r, hue=hue))
        recs.append(_document(f"document/{fid}-id-front", front,
                              bgs[bg_names[i % 8]], widths[i % 7], CARD_KINDS_FIRST + kinds_for(i, 3),
                              family="document", role="front", match=["document-front"], meta={}))
        if i >= 8:
            continue
        wf = widths[(i + 2) % 7]
        recs.append(_document(f"document/{fid}-id-back",
                              lambda r, fid=fid, hue=hue: render.card_back(person(fid), r, hue=hue, code="pdf417"),
                              bgs[bg_names[(i + 4) % 8]], wf, CARD_KINDS_FIRST + kinds_for(i + 4, 3),
                              family="document", role="back", match=["document-back"],
                              meta={"pdf417_module_px": 1400 * wf * 0.86 / 171}))
    for i, fid in enumerate(PASSPORT_PEOPLE):
        recs.append(_document(f"document/{fid}-passport",
                              lambda r, fid=fid: render.passport_page(person(fid), portrait(faces[fid]), r),
                              bgs[bg_names[(i + 5) % 8]], [0.6, 0.75, 0.52, 0.68][i],
                              CARD_KINDS_FIRST + kinds_for(i + 8, 3),
                              family="document", role="front", match=["document-front"], meta={}))
    return recs


def barcode_family(faces, bgs):
    recs = []
    bg_names = sorted(bgs)
    fids = ["glasses", "still-b", "luispedro"]
    for i, fid in enumerate(fids):
        p = person(fid)
        wf = [0.62, 0.72, 0.8][i]
        specs = [("pdf417-back", ["document-back-barcode"], "back"),
                 ("qr-back", ["document-back-qrcode"], "back"),
                 ("qr-front", ["document-front-qrcode"], "front")]
        for j, (kind, match, role) in enumerate(specs):
            name = f"barcode/{fid}-{kind}"
            rng = rng_for(name)
            if kind == "qr-front":
                card = render.card_front(p, portrait(faces[fid]), rng, qr=render.qr_image(render.payload(p)))
            else:
                card = render.card_back(p, rng, code=kind.split("-")[0])
            meta = {"payload": render.payload(p)}
            if kind.startswith("pdf417"):
                meta["pdf417_module_px"] = 1400 * wf * 0.86 / 171
            recs.append(dict(name=name, family="barcode", role="code-" + role, match=match, mild=True, meta=meta,
                             image=_photograph(name, card, bgs[bg_names[(i + 3 * j) % 8]], wf, rng)[0],
                             kinds=kinds_for(i * 3 + j, 4)))
    for i, fid in enumerate(["astronaut", "hopper"]):  # card backs without any code
        name = f"barcode/{fid}-plain-back"
        rng = rng_for(name)
        card = render.card_back(person(fid), rng, hue=(190, 190, 220), code=None)
        recs.append(dict(name=name, family="barcode", role="plain-back", match=[], mild=True, meta={},
                         image=_photograph(name, card, bgs[bg_names[i + 2]], 0.7, rng)[0], kinds=kinds_for(i, 1)))
    return recs


def document_and_face_family(faces, bgs):
    recs = []
    for i, fid in enumerate(["smile", "goatee", "hopper", "astronaut", "biden", "bar-a"]):
        name = f"docface/{fid}-holding-id"
        rng = rng_for(name)
        img, box = faces[fid]
        w, h = (1080, 1440) if i % 2 == 0 else (960, 1280)
        crop, _ = render.crop_face(img, box, 0.34, 4 / 3, fy=0.3)
        frame, _ = auto_exposure(render.resize(crop, w, h))
        card = render.card_front(person(fid), portrait(faces[fid]), rng, hue=(160, 200, 220))
        rgb, _ = render.place(frame, card, 0.5 + 0.05 * (i % 4), float(rng.uniform(-4, 4)), rng,
                              region=(0.05, 0.6, 0.95, 0.99))
        recs.append(dict(name=name, family="document-and-face", role="docface", match=["document-and-face"],
                         mild=False, image=render.camera_finish(rgb, rng), kinds=kinds_for(i, 4), meta={}))
    return recs


def address_family(bgs):
    recs = []
    bg_names = sorted(bgs)
    page_photo = S.load(S.TEXT_PHOTOS["page"])
    for i in range(4):
        name = f"address/letter-{i + 1}" if i < 3 else "address/printed-page"
        rng = rng_for(name)
        doc = render.a4_letter(rng, Words(rng), page_photo=page_photo if i == 3 else None)
        rgb, _ = _photograph(name, doc, bgs[bg_names[(i * 3) % 8]], [0.62, 0.72, 0.82, 0.78][i], rng,
                             size=(1050, 1400), radius=0.004)
        recs.append(dict(name=name, family="address", role="address", match=["address-front"], mild=False,
                         image=rgb, kinds=kinds_for(i, 4), meta={}))
    return recs


def scenes_and_text():
    recs = []
    for i, sid in enumerate(sorted(S.SCENES)):
        name = f"scene/{sid}"
        rng = rng_for(name)
        img = S.load(S.SCENES[sid])
        s = 1200 / max(img.shape[:2])
        rgb = render.camera_finish(render.resize(img, img.shape[1] * s, img.shape[0] * s), rng, grain=1.5)
        recs.append(dict(name=name, family="scene", role="scene", image=rgb, match=[], mild=False, meta={},
                         kinds=kinds_for(i, 1) if i % 2 == 0 else []))
    img = S.load(S.TEXT_PHOTOS["handwriting"])
    rng = rng_for("scene/handwriting")
    rgb = render.camera_finish(render.resize(img, img.shape[1] * 2.5, img.shape[0] * 2.5), rng, grain=1.5)
    recs.append(dict(name="scene/handwriting", family="scene", role="text", image=rgb, match=[], mild=False,
                     meta={}, kinds=[]))
    return recs


def build_all():
    faces, bgs = _faces(), _bgs()
    return (face_family(faces, bgs) + document_family(faces, bgs) + barcode_family(faces, bgs)
            + document_and_face_family(faces, bgs) + address_family(bgs) + scenes_and_text())
