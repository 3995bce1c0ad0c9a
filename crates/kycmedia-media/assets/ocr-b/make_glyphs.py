#!/usr/bin/env python3
"""The 37 MRZ glyph templates (0-9, A-Z, '<') that kycmedia reads machine-readable zones with.

usage: python3 make_glyphs.py [FONT]   (writes glyphs.bin beside this script)

FONT defaults to Debian's OCR-B (`apt-get install -y fonts-ocr-b`:
/usr/share/fonts/opentype/ocr-b/OCRB.otf; glyph outlines by Norbert Schwarz,
"you may freely use, modify and/or distribute", font build by Matthew Skala,
public domain; see LICENSE.md). ICAO 9303 prints every MRZ in OCR-B at a
fixed pitch of 2.54 mm, so one template per character, in one cell, is all a
reader needs.

Each glyph is drawn 8x oversized in a cell one advance wide and the cap
height plus a margin above and below tall, then box-averaged down to
W x H, where the cap height is CAP pixels: the reader resamples every cell
of a photographed zone to exactly this grid (one pitch across, the line's
measured cap height to CAP rows), so template and sample line up by
construction. Each glyph comes at a few levels of blur (Gaussian sigma in
template pixels, BLURS): a photographed glyph is always soft, and the
reader matches a zone against the level its cells agree with best, as a
matched filter does; a sharp template against a blurred cell would favour
whichever glyphs are blobs.

Output (all u8): b"MRZG", version 2, W, H, count, levels, then per level
per glyph its ASCII code and W*H ink values (0 paper .. 255 solid ink),
row-major.
Deterministic: the same font gives the same bytes.
"""

import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

W, H, CAP = 16, 22, 16  # cell width (one pitch), cell height, cap height (px)
OVER = 8  # oversampling factor while drawing
GLYPHS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
BLURS = (0.6, 1.2, 2.0)
FONT = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"


def ink_rows(font, ch):
    """Top and bottom ink rows of ch drawn at the origin of a large canvas."""
    im = Image.new("L", (font.size * 3, font.size * 3), 0)
    ImageDraw.Draw(im).text((font.size, font.size), ch, font=font, fill=255)
    rows = np.where(np.asarray(im).max(axis=1) > 127)[0]
    return rows.min() - font.size, rows.max() - font.size


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else FONT
    probe = ImageFont.truetype(path, 1000)
    # Size the font so that one advance is W * OVER pixels.
    size = round(1000 * W * OVER / probe.getlength("X"))
    font = ImageFont.truetype(path, size)
    advance = font.getlength("X")
    top, bottom = ink_rows(font, "X")  # cap top and baseline of a capital
    cap = bottom - top + 1
    # Scale vertically so the cap height is CAP * OVER, keeping the glyph's
    # own proportions horizontally (one advance is already W * OVER).
    margin = (H - CAP) / 2 * OVER
    out = bytearray(b"MRZG" + bytes([2, W, H, len(GLYPHS), len(BLURS)]))
    drawn = []
    for ch in GLYPHS:
        canvas = Image.new("L", (round(advance), size * 2), 0)
        ImageDraw.Draw(canvas).text((0, 0), ch, font=font, fill=255)
        a = np.asarray(canvas, np.float32)
        # Rows from the cap top less the margin, scaled to H * OVER rows.
        ys = top - margin * cap / (CAP * OVER) + np.arange(H * OVER) * cap / (CAP * OVER)
        ys = np.clip(np.round(ys).astype(int), 0, a.shape[0] - 1)
        xs = np.clip(np.arange(W * OVER) * advance / (W * OVER), 0, a.shape[1] - 1).astype(int)
        big = a[ys][:, xs]
        drawn.append(big.reshape(H, OVER, W, OVER).mean(axis=(1, 3)))
    for sigma in BLURS:
        for ch, small in zip(GLYPHS, drawn):
            soft = np.asarray(Image.fromarray(small.astype(np.uint8)).filter(ImageFilter.GaussianBlur(sigma)))
            out += bytes([ord(ch)]) + soft.astype(np.uint8).tobytes()
    dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), "glyphs.bin")
    with open(dest, "wb") as fh:
        fh.write(out)
    print(f"{dest}: {len(GLYPHS)} glyphs at {len(BLURS)} blurs, {W}x{H}, {len(out)} bytes")


if __name__ == "__main__":
    main()
