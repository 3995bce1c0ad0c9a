"""Graded degradations: each kind at levels 1..3, higher = worse, by construction.

Why graded: with the same capture degraded 1 < 2 < 3 the correct order of the
files is known without a human judge. Level 1-2 stay usable (the content is
still recognisable) but are clearly worse than the pristine capture; level 3
is what an upload check should refuse. Strengths scale with the image size so
a 1600 px and an 800 px capture suffer alike. Barcode items use the MILD table
so that level 1 still decodes where a decoder reasonably can.
"""

import cv2
import numpy as np

KINDS = ["gaussian-blur", "motion-blur", "underexposure", "overexposure", "noise", "downscale", "jpeg"]

# kind -> per-level parameters (levels 1, 2, 3)
STRONG = {
    "gaussian-blur": (0.0015, 0.003, 0.006),     # sigma as a fraction of the long side
    "motion-blur": (0.01, 0.02, 0.04),           # kernel length as a fraction of the long side
    "underexposure": ((1.3, 0.55), (1.6, 0.35), (2.0, 0.2)),  # (gamma, gain)
    "overexposure": ((1.5, 30), (2.0, 60), (2.8, 90)),        # (gain, offset), clipped
    "noise": (10, 20, 35),                       # gaussian sigma on 0..255
    "downscale": (1 / 2, 1 / 3, 1 / 5),          # saved at this fraction of the size
    "jpeg": (20, 10, 5),                         # JPEG quality
}
MILD = {
    "gaussian-blur": (0.0008, 0.0016, 0.0035),
    "motion-blur": (0.005, 0.01, 0.02),
    "underexposure": ((1.2, 0.65), (1.5, 0.45), (1.9, 0.25)),
    "overexposure": ((1.3, 20), (1.7, 45), (2.4, 80)),
    "noise": (6, 12, 22),
    "downscale": (0.7, 0.5, 1 / 3),
    "jpeg": (30, 15, 8),
}

PRISTINE_QUALITY = 90


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


def apply(rgb, kind, level, rng, mild=False):
    """Degraded copy of an RGB uint8 image; returns (image, jpeg_quality)."""
    p = (MILD if mild else STRONG)[kind][level - 1]
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
    raise ValueError(kind)
