#!/usr/bin/env python3
"""Phone-sized benchmark photos with one real frontal face, made from package photos.

usage: make_photos.py OUT_DIR

Writes OUT_DIR/photo-1920x1080.jpg and OUT_DIR/photo-4000x3000.jpg (JPEG q90,
4:2:0). Why not just enlarge a sample photo: an enlarged 512 px image is so
smooth that its JPEG is a fraction of a real camera file's size, and decode
cost follows the entropy of the file. So the scene is a real photo
(scikit-image's motorcycle_left.png, CC0) enlarged to the frame, a real face
(scikit-image's astronaut.png, Eileen Collins, NASA, public domain) is cut out
head-and-shoulders and placed in front at ~14 % of the frame width, then the
frame gets a camera pipeline's sharpening and a sensor's fine luma/chroma
grain, which brings the files to ~0.4-0.8 MB and ~2-4 MB like a phone's.
Deterministic (fixed seed). Needs numpy, pillow, opencv-python-headless and
scikit-image (PyPI); checks that Haar finds exactly one face at 512 px.
"""

import os
import sys

import cv2
import numpy as np
from PIL import Image

SEED = 7
SIZES = [((1920, 1080), 4.0), ((4000, 3000), 3.2)]  # (frame, grain sigma)


def skimage_photo(name):
    import skimage.data
    path = os.path.join(os.path.dirname(skimage.data.__file__), name)
    return np.asarray(Image.open(path).convert("RGB"))


def face_box(rgb):
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    side = max(24, int(0.1 * min(grey.shape)))
    return cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))


def compose(scene, person, box, w, h, rng, grain):
    """Scene covering the frame, person cut out at (0.62 w, 0.38 h), then camera finish."""
    s = max(w / scene.shape[1], h / scene.shape[0])
    bg = cv2.resize(scene, (round(scene.shape[1] * s), round(scene.shape[0] * s)), interpolation=cv2.INTER_LANCZOS4)
    x0, y0 = (bg.shape[1] - w) // 2, (bg.shape[0] - h) // 2
    frame = bg[y0:y0 + h, x0:x0 + w].astype(np.float32)
    fx, fy, fw, fh = box
    k = 0.14 * w / fw
    p = cv2.resize(person, (round(person.shape[1] * k), round(person.shape[0] * k)), interpolation=cv2.INTER_LANCZOS4)
    ox, oy = int(0.62 * w - (fx + fw / 2) * k), int(0.38 * h - (fy + fh / 2) * k)
    layer = np.zeros_like(frame)
    inside = np.zeros((h, w), np.float32)
    sx, sy, dx, dy = max(0, -ox), max(0, -oy), max(0, ox), max(0, oy)
    cw, ch = min(p.shape[1] - sx, w - dx), min(p.shape[0] - sy, h - dy)
    layer[dy:dy + ch, dx:dx + cw] = p[sy:sy + ch, sx:sx + cw]
    inside[dy:dy + ch, dx:dx + cw] = 1
    cx, cy, fw, fh = int(0.62 * w), int(0.38 * h), fw * k, fh * k
    mask = np.zeros((h, w), np.float32)
    cv2.ellipse(mask, (cx, int(cy - fh * 0.05)), (int(fw * 0.8), int(fh * 1.0)), 0, 0, 360, 1, -1)
    cv2.ellipse(mask, (cx, int(cy + fh * 2.1)), (int(fw * 1.45), int(fh * 1.5)), 0, 0, 360, 1, -1)
    cv2.rectangle(mask, (int(cx - fw * 0.35), int(cy + fh * 0.5)), (int(cx + fw * 0.35), int(cy + fh * 1.3)), 1, -1)
    mask = (cv2.GaussianBlur(mask, (0, 0), fw * 0.05) * cv2.GaussianBlur(inside, (0, 0), 2))[:, :, None]
    img = frame * (1 - mask) + layer * mask
    img += 0.6 * (img - cv2.GaussianBlur(img, (0, 0), 1.5))          # camera sharpening
    luma = cv2.GaussianBlur(rng.normal(0, grain, (h, w)).astype(np.float32), (0, 0), 0.6) * 1.6
    chroma = cv2.GaussianBlur(rng.normal(0, grain, (h, w, 3)).astype(np.float32), (0, 0), 1.5)
    return np.clip(img + luma[:, :, None] + chroma, 0, 255).astype(np.uint8)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    person = skimage_photo("astronaut.png")
    scene = skimage_photo("motorcycle_left.png")
    boxes = face_box(person)
    if len(boxes) != 1:
        sys.exit(f"expected one face in astronaut.png, found {len(boxes)}")
    for (w, h), grain in SIZES:
        rng = np.random.default_rng(SEED + w)
        img = compose(scene, person, boxes[0], w, h, rng, grain)
        path = os.path.join(out, f"photo-{w}x{h}.jpg")
        Image.fromarray(img).save(path, "JPEG", quality=90, subsampling=2)
        s = 512 / max(w, h)
        small = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        n = len(face_box(small))
        print(f"{path}: {os.path.getsize(path) / 1e6:.2f} MB, Haar faces at 512 px: {n}")
        if n != 1:
            sys.exit("the benchmark photo must show exactly one detectable face")


if __name__ == "__main__":
    main()
