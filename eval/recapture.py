"""A selfie shown on a screen, or printed, and photographed again.

Why: a photo of a photo is the cheapest presentation attack, and the first
one a reviewer rejects. It is not a live capture of a face, so the face
contexts must not count it a match, however sharp the face in it is. These
recaptures are simulated from the pristine selfie, with the artefacts that give
the real thing away:

* screen: the picture on an LCD's RGB stripe sub-pixels (each display pixel
  three coloured columns, a dark line between rows), photographed at a slight
  angle, so the sub-pixel grid aliases into moire; a lifted black level and a
  cool white point (less contrast), a bezel round it, a faint reflection, and
  the room (a real background photo) beyond.
* printout: the picture as a CMYK halftone (rotated dot screens, 4-6 px
  cells) on off-white paper with a margin, ink that never reaches black,
  laid on a real background photo, a little rotated, shadowed and unevenly lit.

Both keep the output size of the pristine capture and get camera grain.
"""

import math

import cv2
import numpy as np


def _surround(bg, w, h, rng, blur):
    if bg is None:
        base = np.full((h, w, 3), 90, np.uint8)
    else:
        s = max(w / bg.shape[1], h / bg.shape[0]) * 1.05
        big = cv2.resize(bg, (int(bg.shape[1] * s) + 1, int(bg.shape[0] * s) + 1), interpolation=cv2.INTER_LINEAR)
        x = int(rng.integers(0, big.shape[1] - w + 1))
        y = int(rng.integers(0, big.shape[0] - h + 1))
        base = big[y:y + h, x:x + w]
    return cv2.GaussianBlur(base, (0, 0), blur).astype(np.float32)


def _quad(w, h, frac, rng, aspect):
    """Corners of a slightly skewed quadrilateral of width frac*w centred in the frame."""
    qw = frac * w
    qh = qw / aspect
    if qh > 0.92 * h:
        qh = 0.92 * h
        qw = qh * aspect
    cx = w / 2 + rng.uniform(-0.03, 0.03) * w
    cy = h / 2 + rng.uniform(-0.03, 0.03) * h
    base = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float32) * [qw / 2, qh / 2] + [cx, cy]
    jit = rng.uniform(-0.025, 0.025, (4, 2)).astype(np.float32) * [qw, qh]
    return (base + jit).astype(np.float32)


def _finish(img, rng, grain=3.0, blur=0.7):
    img = cv2.GaussianBlur(img, (0, 0), blur)
    img += 0.4 * (img - cv2.GaussianBlur(img, (0, 0), 1.5))
    img += rng.normal(0, grain, img.shape[:2]).astype(np.float32)[:, :, None]
    return np.clip(img, 0, 255).astype(np.uint8)


def screen(rgb, rng, bg=None):
    h, w = rgb.shape[:2]
    aspect = w / h
    quad = _quad(w, h, float(rng.uniform(0.74, 0.84)), rng, aspect)
    disp_w = float(np.linalg.norm(quad[1] - quad[0]))
    pitch = float(rng.uniform(2.4, 3.3))  # output pixels per display pixel: moire
    dw = max(16, int(disp_w / pitch))
    dh = max(16, int(dw / aspect))
    shown = cv2.resize(rgb, (dw, dh), interpolation=cv2.INTER_AREA).astype(np.float32)
    shown = 18 + shown * 0.86 * np.array([0.93, 0.98, 1.04], np.float32)  # black level, cool white
    plane = np.zeros((dh * 3, dw * 3, 3), np.float32)
    rep = np.repeat(np.repeat(shown, 3, axis=0), 3, axis=1)
    for c in range(3):
        plane[:, c::3, c] = rep[:, c::3, c] * 2.6
    plane[2::3] *= 0.3  # the dark line between pixel rows
    src = np.array([[0, 0], [dw * 3, 0], [dw * 3, dh * 3], [0, dh * 3]], np.float32)
    m = cv2.getPerspectiveTransform(src, quad)
    img = cv2.warpPerspective(plane, m, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((dh * 3, dw * 3), np.float32), m, (w, h), flags=cv2.INTER_LINEAR)
    # bezel: the quad grown by 4 % of its width
    c = quad.mean(axis=0)
    bezel_q = (c + (quad - c) * 1.06).astype(np.int32)
    out = _surround(bg, w, h, rng, 2.5) * 0.8
    cv2.fillConvexPoly(out, bezel_q, (22, 22, 26))
    out = out * (1 - mask[:, :, None]) + img * mask[:, :, None]
    # a faint reflection band across the glass
    xs, ys = np.meshgrid(np.linspace(-1, 1, w, dtype=np.float32), np.linspace(-1, 1, h, dtype=np.float32))
    a = float(rng.uniform(0, math.pi))
    band = np.exp(-((xs * math.cos(a) + ys * math.sin(a) - rng.uniform(-0.5, 0.5)) ** 2) / 0.08)
    out += (18 * band * mask)[:, :, None]
    return _finish(out, rng)


def _halftone(rgb, rng, cell):
    """CMYK halftone of an RGB image at its own size (dots with a one-pixel soft edge)."""
    h, w = rgb.shape[:2]
    big = rgb.astype(np.float32) / 255
    c, m, y = 1 - big[..., 0], 1 - big[..., 1], 1 - big[..., 2]
    k = np.minimum(np.minimum(c, m), y) * 0.8
    inks = {"c": (c - k, 15), "m": (m - k, 75), "y": (y - k, 0), "k": (k, 45)}
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    period = cell
    cover = {}
    for name, (amount, ang) in inks.items():
        t = math.radians(ang + float(rng.uniform(-1, 1)))
        u = (xs * math.cos(t) + ys * math.sin(t)) * 2 * math.pi / period
        v = (-xs * math.sin(t) + ys * math.cos(t)) * 2 * math.pi / period
        screen = (np.cos(u) + np.cos(v)) / 4 + 0.5  # 0..1 dot profile
        cover[name] = np.clip((np.clip(amount, 0, 1) - (1 - screen)) * 3 + 0.5, 0, 1)
    paper = np.array([0.94, 0.925, 0.885], np.float32)
    ink = {"c": (0.15, 0.62, 0.85), "m": (0.85, 0.2, 0.55), "y": (0.95, 0.9, 0.2), "k": (0.2, 0.2, 0.22)}
    out = np.ones((h, w, 3), np.float32) * paper
    for name, col in ink.items():
        out *= 1 - cover[name][:, :, None] * (1 - np.array(col, np.float32))
    return out * 255


def printout(rgb, rng, bg=None):
    h, w = rgb.shape[:2]
    aspect = w / h
    quad = _quad(w, h, float(rng.uniform(0.8, 0.9)), rng, aspect)
    pw = int(np.linalg.norm(quad[1] - quad[0]))
    ph = int(pw / aspect)
    margin = int(0.05 * pw)
    inner = cv2.resize(rgb, (pw - 2 * margin, ph - 2 * margin), interpolation=cv2.INTER_AREA)
    sheet = np.ones((ph, pw, 3), np.float32) * np.array([240, 236, 226], np.float32)
    sheet[margin:ph - margin, margin:pw - margin] = _halftone(inner, rng, float(rng.uniform(4.0, 6.0)))
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    m = cv2.getPerspectiveTransform(src, quad)
    img = cv2.warpPerspective(sheet, m, (w, h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), m, (w, h), flags=cv2.INTER_LINEAR)
    out = _surround(bg, w, h, rng, 1.5)
    shadow = cv2.GaussianBlur(np.roll(np.roll(mask, int(0.012 * w), 0), int(0.012 * w), 1), (0, 0), 0.01 * w)
    out *= (1 - 0.45 * shadow)[:, :, None]
    out = out * (1 - mask[:, :, None]) + img * mask[:, :, None]
    gx = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    gy = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    a, b = rng.uniform(-1, 1, 2)
    out *= (0.88 + 0.12 * (a * gx + b * gy) / math.sqrt(a * a + b * b + 1e-6))[:, :, None]
    return _finish(out, rng, grain=2.5, blur=0.6)
