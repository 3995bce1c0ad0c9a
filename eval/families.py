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


def kinds_for(i, n):
    """n degradation kinds, rotating over KINDS so every kind is covered."""
    k = degrade.KINDS
    return [k[(i * n + j) % len(k)] for j in range(n)]


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
    out = {}
    for fid, entry in S.FACES.items():
        img = S.load(entry)
        out[fid] = (img, S.face_box(img))
    return out


def _bgs():
    return {k: S.load(v) for k, v in S.BACKGROUNDS.items()}


def portrait(face):
    img, box = face
    return render.crop_face(img, box, 0.55, 1.28, fy=0.45)[0]


def face_family(faces, bgs):
    recs = []
    bg_names = sorted(bgs)
    for i, fid in enumerate(sorted(faces)):
        img, box = faces[fid]
        name = f"face/{fid}-selfie"
        rng = rng_for(name)
        w, h = (960, 1280) if i % 2 == 0 else (1200, 1600)
        crop, _ = render.crop_face(img, box, 0.36, 4 / 3, fy=0.42)
        rgb = render.camera_finish(render.resize(crop, w, h), rng)
        recs.append(dict(name=name, family="face", role="selfie", image=rgb, match=FACE_CONTEXTS,
                         kinds=list(degrade.KINDS), mild=False, meta={}))
        # looser landscape framing, mirrored as a front camera does, slight tilt
        name = f"face/{fid}-portrait"
        rng = rng_for(name)
        w, h = (1280, 960) if i % 2 == 0 else (1024, 768)
        if box[2] / min(img.shape[1], img.shape[0] / 0.75) > 0.5:  # too tight for landscape
            w, h = h, w
        crop, _ = render.crop_face(img, box, 0.24, h / w, fy=0.45)
        rgb = render.tilt(render.resize(crop[:, ::-1], w, h), float(rng.uniform(-3, 3)))
        recs.append(dict(name=name, family="face", role="portrait", image=render.camera_finish(rgb, rng),
                         match=FACE_CONTEXTS, kinds=kinds_for(i, 2), mild=False, meta={}))
    # background replaced (portrait-mode look): only sources whose shoulders are in frame
    for i, fid in enumerate(["astronaut", "hopper"]):
        name = f"face/{fid}-newbg"
        rng = rng_for(name)
        img, box = faces[fid]
        rgb = render.replace_background(img, box, render.cover(bgs[bg_names[i + 5]], 1080, 1440, rng, blur=5))
        recs.append(dict(name=name, family="face", role="portrait", image=render.camera_finish(rgb, rng),
                         match=FACE_CONTEXTS, kinds=kinds_for(i + 3, 2), mild=False, meta={}))
    return recs


def _photograph(name, doc, bg, width_frac, rng, size=(1400, 1050), radius=0.035):
    frame = render.cover(bg, size[0], size[1], rng, blur=1.5)
    angle = float(rng.uniform(-4, 4))
    rgb, _ = render.place(frame, doc, width_frac, angle, rng, radius=radius)
    return render.camera_finish(rgb, rng)


def document_family(faces, bgs):
    recs = []
    bg_names = sorted(bgs)
    hues = [(150, 190, 230), (200, 170, 210), (170, 210, 170), (230, 200, 150)]
    widths = [0.35, 0.5, 0.65, 0.8]
    for i, fid in enumerate(["hopper", "smile", "still-a", "astronaut"]):
        name = f"document/{fid}-id-front"
        rng = rng_for(name)
        card = render.card_front(person(fid), portrait(faces[fid]), rng, hue=hues[i])
        recs.append(dict(name=name, family="document", role="front", match=["document-front"], mild=False,
                         image=_photograph(name, card, bgs[bg_names[i]], widths[i], rng),
                         kinds=kinds_for(i, 4), meta={}))
        name = f"document/{fid}-id-back"
        rng = rng_for(name)
        card = render.card_back(person(fid), rng, hue=hues[i], code="pdf417")
        wf = widths[(i + 2) % 4]
        recs.append(dict(name=name, family="document", role="back", match=["document-back"], mild=False,
                         image=_photograph(name, card, bgs[bg_names[i + 4]], wf, rng),
                         kinds=kinds_for(i + 4, 4), meta={"pdf417_module_px": 1400 * wf * 0.86 / 171}))
    for i, fid in enumerate(["goatee", "luispedro"]):
        name = f"document/{fid}-passport"
        rng = rng_for(name)
        page = render.passport_page(person(fid), portrait(faces[fid]), rng)
        recs.append(dict(name=name, family="document", role="front", match=["document-front"], mild=False,
                         image=_photograph(name, page, bgs[bg_names[(i + 5) % 8]], 0.6 + 0.15 * i, rng),
                         kinds=kinds_for(i + 8, 4), meta={}))
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
                             image=_photograph(name, card, bgs[bg_names[(i + 3 * j) % 8]], wf, rng),
                             kinds=kinds_for(i * 3 + j, 4)))
    for i, fid in enumerate(["astronaut", "hopper"]):  # card backs without any code
        name = f"barcode/{fid}-plain-back"
        rng = rng_for(name)
        card = render.card_back(person(fid), rng, hue=(190, 190, 220), code=None)
        recs.append(dict(name=name, family="barcode", role="plain-back", match=[], mild=True, meta={},
                         image=_photograph(name, card, bgs[bg_names[i + 2]], 0.7, rng), kinds=kinds_for(i, 1)))
    return recs


def document_and_face_family(faces, bgs):
    recs = []
    for i, fid in enumerate(["smile", "goatee", "hopper", "astronaut"]):
        name = f"docface/{fid}-holding-id"
        rng = rng_for(name)
        img, box = faces[fid]
        w, h = (1080, 1440) if i % 2 == 0 else (960, 1280)
        crop, _ = render.crop_face(img, box, 0.34, 4 / 3, fy=0.3)
        frame = render.resize(crop, w, h)
        card = render.card_front(person(fid), portrait(faces[fid]), rng, hue=(160, 200, 220))
        rgb, _ = render.place(frame, card, 0.5 + 0.05 * i, float(rng.uniform(-4, 4)), rng,
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
        rgb = _photograph(name, doc, bgs[bg_names[(i * 3) % 8]], [0.62, 0.72, 0.82, 0.78][i], rng,
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
