"""Graded degradations: each kind at levels 1..3, higher = worse, by construction.

Why graded: with the same capture degraded 1 < 2 < 3 the correct order of the
files is known without a human judge. Level 1-2 stay usable (the content is
still recognisable) but are clearly worse than the pristine capture; level 3
is what an upload check should refuse. Strengths scale with the image size so
a 1600 px and an 800 px capture suffer alike. Barcode items use the MILD table
so that level 1 still decodes where a decoder reasonably can.

Kinds come in groups: GLOBAL_KINDS apply to any capture; FACE_KINDS need the
face box of the pristine selfie (aux["face"]); CARD_KINDS the card's box
(aux["card"]); RECAPTURE_KINDS (a screen or a printout of the selfie,
photographed) are one level each and are NOT a match for the face contexts.
"cut-off" and "corner-out" are re-framings of the scene, so families.py
renders them from the source (see families.py); here they only have names.
The photometric kinds (exposure, side light, glare) work in linear light.
"""

import math

import cv2
import numpy as np

import recapture

GLOBAL_KINDS = ["gaussian-blur", "motion-blur", "underexposure", "overexposure", "noise", "downscale", "jpeg",
                "exposure-dark", "exposure-bright"]
FACE_KINDS = ["side-light", "occlusion-eyes", "occlusion-mouth", "head-turn", "cut-off"]
CARD_KINDS = ["glare", "corner-out"]
RECAPTURE_KINDS = ["screen-recapture", "print-recapture"]
KINDS = GLOBAL_KINDS + FACE_KINDS + CARD_KINDS + RECAPTURE_KINDS
RENDERED = {"cut-off", "corner-out"}  # made by families.py from the source scene
LEVELS = {k: (2,) if k in RECAPTURE_KINDS else (1, 2, 3) for k in KINDS}

# kind -> per-level parameters (levels 1, 2, 3)
STRONG = {
    "gaussian-blur": (0.0015, 0.003, 0.006),     # sigma as a fraction of the long side
    "motion-blur": (0.01, 0.02, 0.04),           # kernel length as a fraction of the long side
    "underexposure": ((1.3, 0.55), (1.6, 0.35), (2.0, 0.2)),  # (gamma, gain)
    "overexposure": ((1.5, 30), (2.0, 60), (2.8, 90)),        # (gain, offset), clipped
    "noise": (10, 20, 35),                       # gaussian sigma on 0..255
    "downscale": (1 / 2, 1 / 3, 1 / 5),          # saved at this fraction of the size
    "jpeg": (20, 10, 5),                         # JPEG quality
    "exposure-dark": (0.5, 0.35, 0.2),           # linear-light brightness factor (0.2x: issue 16)
    "exposure-bright": (1.6, 2.0, 2.5),          # linear-light brightness factor, clipped (2.5x)
    "side-light": (0.45, 0.25, 0.12),            # linear gain left on the dark half of the face
    "occlusion-eyes": (0.45, 0.75, 1.15),        # occluder width / face width
    "occlusion-mouth": (0.45, 0.75, 1.15),
    "head-turn": (20, 35, 50),                   # degrees of (approximate) yaw
    "cut-off": (0.2, 0.35, 0.5),                 # share of the face box outside the frame
    "glare": (0.03, 0.07, 0.14),                 # saturated ellipse area / card area
    "corner-out": (0.08, 0.16, 0.28),            # share of card width and height outside
    "screen-recapture": (None, None, None),
    "print-recapture": (None, None, None),
}
MILD = dict(STRONG, **{
    "gaussian-blur": (0.0008, 0.0016, 0.0035),
    "motion-blur": (0.005, 0.01, 0.02),
    "underexposure": ((1.2, 0.65), (1.5, 0.45), (1.9, 0.25)),
    "overexposure": ((1.3, 20), (1.7, 45), (2.4, 80)),
    "noise": (6, 12, 22),
    "downscale": (0.7, 0.5, 1 / 3),
    "jpeg": (30, 15, 8),
    "exposure-dark": (0.65, 0.45, 0.3),
    "exposure-bright": (1.35, 1.7, 2.1),
})

PRISTINE_QUALITY = 90


def to_linear(rgb):
    x = rgb.astype(np.float32) / 255.0
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def to_srgb(lin):
    x = np.clip(lin, 0.0, 1.0)
    y = np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1 / 2.4) - 0.055)
    return np.clip(y * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _motion_kernel(length, angle):
    n = max(3, int(round(length)) | 1)
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1
    rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), angle, 1.0)
    k = cv2.warpAffine(k, rot, (n, n))
    return k / k.sum()


def _tone(rgb, fn):
    lut = np.clip(fn(np.arange(256, dtype=np.float32)), 0, 255).astype(np.uint8)
    return cv2.LUT(rgb, lut)


def _face(rgb, aux):
    if aux and aux.get("face"):
        return aux["face"]
    h, w = rgb.shape[:2]
    return (w * 0.33, h * 0.25, w * 0.34, w * 0.34)


def side_light(rgb, gain, face, rng):
    """One half of the face in shadow: linear gain falls smoothly from 1 to `gain`
    across the face centre (a lamp or window to one side). The lit side is left as
    it was, so nothing is brightened. The half put in shadow is the one already
    darker (a coin toss when the halves differ by under 2 %): shading the brighter
    half of a face lit from one side evens its light out, which is no degradation,
    and the pristine file would then not be the better one by construction."""
    x, y, fw, fh = face
    h, w = rgb.shape[:2]
    luma = to_linear(rgb).mean(axis=2)
    y0, y1 = int(max(0, y + 0.3 * fh)), int(min(h, y + 0.9 * fh))
    cx = int(x + fw / 2)
    left = luma[y0:y1, int(max(0, x + 0.1 * fw)):cx].mean()
    right = luma[y0:y1, cx:int(min(w, x + 0.9 * fw))].mean()
    toss = 1.0 if rng.uniform() < 0.5 else -1.0
    # side > 0 keeps the right half lit (the gain rises with x)
    side = toss if abs(left - right) < 0.02 * max(left, right) else (1.0 if left < right else -1.0)
    xs = (np.arange(w, dtype=np.float32) - (x + fw / 2)) * side / (0.18 * fw)
    g = gain + (1 - gain) / (1 + np.exp(-xs))
    return to_srgb(to_linear(rgb) * g[None, :, None])


def _soft(mask, sigma):
    return cv2.GaussianBlur(mask, (0, 0), max(0.5, sigma))


def occlusion(rgb, cover, face, rng, where, texture=None):
    """Something held in front of the face. "eyes": an object (a phone-sized rounded
    slab textured from a real photo) across the eye line; "mouth": a hand (palm and
    four fingers in the face's own skin tone, shaded) over the mouth and chin. cover
    is the occluder's width in face widths, entering from one side."""
    x, y, fw, fh = face
    h, w = rgb.shape[:2]
    img = rgb.astype(np.float32)
    side = 1 if rng.uniform() < 0.5 else -1
    cw = cover * fw
    x0 = x - 0.1 * fw if side > 0 else x + 1.1 * fw - cw
    m = np.zeros((h, w), np.float32)
    if where == "eyes":
        y0, y1 = y + 0.16 * fh, y + 0.56 * fh
        r = int(0.08 * fw)
        cv2.rectangle(m, (int(x0 + r), int(y0)), (int(x0 + cw - r), int(y1)), 1, -1)
        cv2.rectangle(m, (int(x0), int(y0 + r)), (int(x0 + cw), int(y1 - r)), 1, -1)
        for cx in (x0 + r, x0 + cw - r):
            for cy in (y0 + r, y1 - r):
                cv2.circle(m, (int(cx), int(cy)), r, 1, -1)
        tex = texture if texture is not None else rgb
        ty = int(rng.integers(0, max(1, tex.shape[0] - h // 2)))
        patch = cv2.resize(tex[ty:ty + max(8, h // 2)], (w, h), interpolation=cv2.INTER_LINEAR)
        fill = 0.35 * patch.astype(np.float32) + 25
        shade = np.linspace(1.15, 0.8, h, dtype=np.float32)[:, None, None]
        fill = fill * shade
    else:
        y0, y1 = y + 0.58 * fh, y + 1.12 * fh
        skin = np.median(rgb[int(y + 0.35 * fh):int(y + 0.6 * fh), int(x + 0.3 * fw):int(x + 0.7 * fw)]
                         .reshape(-1, 3), axis=0).astype(np.float32)
        palm_w = cw * 0.9
        px0 = x0 if side > 0 else x0 + cw - palm_w
        cv2.ellipse(m, (int(px0 + palm_w / 2), int((y0 + y1) / 2 + 0.1 * fh)),
                    (int(palm_w / 2), int((y1 - y0) / 2)), 0, 0, 360, 1, -1)
        fl = (y1 - y0) * 0.28
        gaps = np.zeros((h, w), np.float32)
        for i in range(4):  # fingers across the face, towards the other side
            fy = int(y0 + (i + 0.5) * (y1 - y0) / 4.4)
            tip = px0 + palm_w + 0.15 * cw if side > 0 else px0 - 0.15 * cw
            base = px0 + palm_w / 2
            cv2.line(m, (int(base), fy), (int(tip - side * fl * 0.2 * i), fy), 1, int(fl * 0.85))
            if i:
                gy = int(fy - (y1 - y0) / 8.8)
                cv2.line(gaps, (int(base + side * 0.2 * palm_w), gy), (int(tip - side * fl * 0.2 * i), gy), 1,
                         max(1, int(fl * 0.08)))
        yy = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        grain = cv2.GaussianBlur(rng.normal(0, 6, (h, w)).astype(np.float32), (0, 0), 1.5)[:, :, None]
        fill = skin[None, None, :] * (1.08 - 0.25 * yy) * (1 - 0.45 * _soft(gaps, 0.01 * fw))[:, :, None] + grain
    shadow = _soft(m, 0.06 * fw)
    off = np.roll(np.roll(shadow, int(0.03 * fw), axis=0), int(side * 0.02 * fw), axis=1)
    img *= (1 - 0.35 * off)[:, :, None]
    a = _soft(m, 0.008 * fw)[:, :, None]
    return np.clip(img * (1 - a) + fill * a, 0, 255).astype(np.uint8)


def head_turn(rgb, deg, face, rng):
    """Approximate yaw: the inner face is re-projected as if painted on a vertical
    cylinder (the head) turned by `deg`, so eyes, nose and mouth slide towards one
    side and that side is foreshortened. An approximation: the head's outline, ears
    and background stay where they were (the warp fades out towards the outline)
    and nothing is hidden behind the nose."""
    x, y, fw, fh = face
    h, w = rgb.shape[:2]
    cx, cy = x + fw / 2, y + fh * 0.55
    rx, ry = fw * 0.62, fh * 0.85
    th = math.radians(deg) * (1 if rng.uniform() < 0.5 else -1)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    u = np.clip((xs - cx) / rx, -1.0, 1.0)
    v = (ys - cy) / ry
    src_u = np.sin(np.clip(np.arcsin(u) - th, -math.pi / 2, math.pi / 2))
    r2 = (u / 1.3) ** 2 + (v / 1.15) ** 2  # full turn over the face, fading out in the hair
    wgt = np.clip(1 - r2, 0, 1) ** 2
    map_x = (xs + (src_u - u) * rx * wgt).astype(np.float32)
    out = cv2.remap(rgb, map_x, ys, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    # the far cheek turns away from the light a little
    shade = 1 - 0.25 * abs(math.sin(th)) * np.clip(-u * np.sign(th), 0, 1) * wgt
    return np.clip(out.astype(np.float32) * shade[:, :, None], 0, 255).astype(np.uint8)


def glare(rgb, share, card, rng):
    """A specular reflection on the card: an elliptical blob whose saturated core
    covers `share` of the card's area, with a soft halo, added in linear light."""
    x, y, cw, ch = card
    h, w = rgb.shape[:2]
    area = share * cw * ch
    aspect = float(rng.uniform(1.3, 2.0))
    ay = math.sqrt(area / (math.pi * aspect))
    ax = ay * aspect
    ex = x + cw * float(rng.uniform(0.3, 0.7))
    ey = y + ch * float(rng.uniform(0.3, 0.7))
    ang = math.radians(float(rng.uniform(-30, 30)))
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32) - ex, np.arange(h, dtype=np.float32) - ey)
    u = (xs * math.cos(ang) + ys * math.sin(ang)) / ax
    v = (-xs * math.sin(ang) + ys * math.cos(ang)) / ay
    sigma2 = 1 / (2 * math.log(2.5))  # 2.5 * exp(-r^2 / 2 sigma^2) = 1 on the ellipse
    add = 2.5 * np.exp(-(u * u + v * v) / (2 * sigma2))
    return to_srgb(to_linear(rgb) + add[:, :, None])


def apply(rgb, kind, level, rng, mild=False, aux=None):
    """Degraded copy of an RGB uint8 image; returns (image, jpeg_quality).

    aux: {"face": (x, y, w, h)} for FACE_KINDS, {"card": (x, y, w, h)} for glare,
    {"bg": RGB} (a background photo) for the recaptures, {"texture": RGB} for occluders."""
    p = (MILD if mild else STRONG)[kind][level - 1]
    aux = aux or {}
    long_side = max(rgb.shape[:2])
    if kind == "gaussian-blur":
        return cv2.GaussianBlur(rgb, (0, 0), p * long_side), PRISTINE_QUALITY
    if kind == "motion-blur":
        k = _motion_kernel(p * long_side, float(rng.uniform(0, 180)))
        return cv2.filter2D(rgb, -1, k, borderType=cv2.BORDER_REFLECT), PRISTINE_QUALITY
    if kind == "underexposure":
        g, s = p
        return _tone(rgb, lambda x: 255 * (x / 255) ** g * s), PRISTINE_QUALITY
    if kind == "overexposure":
        k, b = p
        return _tone(rgb, lambda x: x * k + b), PRISTINE_QUALITY
    if kind in ("exposure-dark", "exposure-bright"):
        lut = to_srgb(to_linear(np.arange(256, dtype=np.uint8)) * p)
        return cv2.LUT(rgb, lut), PRISTINE_QUALITY
    if kind == "noise":
        luma = rng.normal(0, p * 0.8, rgb.shape[:2]).astype(np.float32)[:, :, None]
        chroma = rng.normal(0, p * 0.6, rgb.shape).astype(np.float32)
        return np.clip(rgb + luma + chroma, 0, 255).astype(np.uint8), PRISTINE_QUALITY
    if kind == "downscale":
        h, w = rgb.shape[:2]
        size = (max(1, round(w * p)), max(1, round(h * p)))
        return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), PRISTINE_QUALITY
    if kind == "jpeg":
        return rgb, p
    if kind == "side-light":
        return side_light(rgb, p, _face(rgb, aux), rng), PRISTINE_QUALITY
    if kind in ("occlusion-eyes", "occlusion-mouth"):
        where = kind.split("-")[1]
        return occlusion(rgb, p, _face(rgb, aux), rng, where, aux.get("texture")), PRISTINE_QUALITY
    if kind == "head-turn":
        return head_turn(rgb, p, _face(rgb, aux), rng), PRISTINE_QUALITY
    if kind == "glare":
        h, w = rgb.shape[:2]
        return glare(rgb, p, aux.get("card") or (w * 0.2, h * 0.2, w * 0.6, h * 0.6), rng), PRISTINE_QUALITY
    if kind == "screen-recapture":
        return recapture.screen(rgb, rng, aux.get("bg")), PRISTINE_QUALITY
    if kind == "print-recapture":
        return recapture.printout(rgb, rng, aux.get("bg")), PRISTINE_QUALITY
    raise ValueError(kind)
