"""Pillow renderings of identity documents and letters, and their "photos".

Why render: no package ships photographs of ID cards or utility bills, so the
set draws them (specimen data only, no real person's details), puts a REAL
face photo in the portrait box, and then "photographs" them: the card is laid
on a real background photo, rotated a little, shadowed and unevenly lit, and
the frame gets camera-like grain. Shapes follow ISO/IEC 7810: ID-1 cards are
85.6 x 54 mm (1.586) and passport data pages are 125 x 88 mm (1.42).
"""

import math

import cv2
import numpy as np
import pdf417gen
import qrcode
from PIL import Image, ImageDraw, ImageFilter, ImageFont

_fonts = {}


def font(size):
    """Pillow's bundled default font (Aileron) at a pixel size."""
    if size not in _fonts:
        _fonts[size] = ImageFont.load_default(size=size)
    return _fonts[size]


def fit_box(shape, cx, cy, w, h, fy=0.5):
    """A w x h box around (cx, cy) (at fy of its height), moved or shrunk to fit."""
    H, W = shape[:2]
    scale = min(1.0, W / w, H / h)
    w, h = w * scale, h * scale
    x0 = min(max(cx - w / 2, 0), W - w)
    y0 = min(max(cy - fy * h, 0), H - h)
    return int(x0), int(y0), int(x0 + w), int(y0 + h)


def crop_face(rgb, box, face_frac, aspect, fy=0.42):
    """Crop around a face box so the face spans face_frac of the width."""
    x, y, w, h = box
    cw = w / face_frac
    b = fit_box(rgb.shape, x + w / 2, y + h / 2, cw, cw * aspect, fy)
    return rgb[b[1]:b[3], b[0]:b[2]], b


def resize(rgb, w, h):
    interp = cv2.INTER_AREA if w < rgb.shape[1] else cv2.INTER_LANCZOS4
    return cv2.resize(rgb, (int(w), int(h)), interpolation=interp)


def camera_finish(rgb, rng, grain=2.5, sharpen=0.5):
    """Mild sharpening and luma grain, as a phone camera's pipeline leaves."""
    img = rgb.astype(np.float32)
    if sharpen:
        img += sharpen * (img - cv2.GaussianBlur(img, (0, 0), 1.2))
    noise = rng.normal(0, grain, img.shape[:2]).astype(np.float32)
    img += noise[:, :, None]
    return np.clip(img, 0, 255).astype(np.uint8)


def cover(rgb, w, h, rng, blur=0.0):
    """Background photo scaled to cover w x h at a random offset."""
    s = max(w / rgb.shape[1], h / rgb.shape[0]) * rng.uniform(1.0, 1.3)
    big = resize(rgb, rgb.shape[1] * s + 1, rgb.shape[0] * s + 1)
    x = int(rng.integers(0, big.shape[1] - w + 1))
    y = int(rng.integers(0, big.shape[0] - h + 1))
    out = big[y:y + h, x:x + w]
    return cv2.GaussianBlur(out, (0, 0), blur) if blur else out.copy()


def _guilloche(draw, w, h, tint, rng, n=14):
    for _ in range(n):
        y0, amp = rng.uniform(0, h), rng.uniform(h * 0.05, h * 0.2)
        lam, ph = rng.uniform(w * 0.2, w * 0.6), rng.uniform(0, 6.3)
        pts = [(x, y0 + amp * math.sin(2 * math.pi * x / lam + ph)) for x in range(0, w + 8, 8)]
        draw.line(pts, fill=tint, width=1)


def _base(w, h, hue, rng):
    """Pale security-printed card stock with a gradient and guilloche lines."""
    c0 = np.array(hue, np.float32)
    t = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    grad = (255 - (255 - c0) * (0.55 + 0.45 * t)) * np.ones((h, 1, 1), np.float32)
    img = Image.fromarray(grad.astype(np.uint8))
    _guilloche(ImageDraw.Draw(img), w, h, tuple(int(v * 0.85) for v in grad[0, w // 2]), rng)
    return img


def _fields(draw, x, y, rows, size=26, gap=14):
    for label, value in rows:
        draw.text((x, y), label, font=font(size * 2 // 3), fill=(70, 70, 90))
        y += size * 2 // 3 + 2
        draw.text((x, y), value, font=font(size), fill=(15, 15, 20))
        y += size + gap
    return y


def _mono(draw, x, y, text, size, fill=(10, 10, 10)):
    """Fixed-pitch line (MRZ look) with the proportional default font."""
    for i, ch in enumerate(text):
        draw.text((x + i * size * 0.72, y), ch, font=font(size), fill=fill)


def _signature(draw, x, y, w, rng):
    pts = [(x + w * i / 40, y + 18 * math.sin(i * rng.uniform(0.5, 1.1)) + rng.uniform(-6, 6)) for i in range(41)]
    draw.line(pts, fill=(20, 30, 90), width=3)


def _mrz(person, n, lines):
    base = f"ID{person['country']}{person['doc']}<<{person['surname']}<<{person['given']}" + "<" * 90
    return [base[i * n:(i + 1) * n].ljust(n, "<") for i in range(lines)]


def card_front(person, portrait, rng, hue=(150, 190, 230), qr=None, w=1024):
    """ID-1 front: header, real portrait photo, fields, signature; optional QR."""
    h = round(w / 1.586)
    img = _base(w, h, hue, rng)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h * 0.15), fill=tuple(int(v * 0.45) for v in hue))
    d.text((30, 18), f"REPUBLIC OF {person['state']}", font=font(30), fill="white")
    d.text((w - 330, 24), "IDENTITY CARD", font=font(28), fill="white")
    pw, ph = int(w * 0.26), int(w * 0.26 * 1.28)
    img.paste(Image.fromarray(resize(portrait, pw, ph)), (36, int(h * 0.2)))
    rows = [("SURNAME", person["surname"]), ("GIVEN NAMES", person["given"]),
            ("DATE OF BIRTH", person["dob"]), ("NATIONALITY", person["country"]),
            ("DOCUMENT NO.", person["doc"]), ("DATE OF EXPIRY", person["exp"])]
    _fields(d, pw + 70, int(h * 0.19), rows[:6] if qr is None else rows[:5], size=24, gap=8)
    _signature(d, 40, h - 55, pw, rng)
    if qr is not None:
        q = qr.resize((int(h * 0.42),) * 2, Image.NEAREST)
        img.paste(q, (w - q.width - 30, h - q.height - 24))
    return img


def card_back(person, rng, hue=(150, 190, 230), code="pdf417", w=1024):
    """ID-1 back: address lines, a PDF417 / QR code (or none), 3-line MRZ."""
    h = round(w / 1.586)
    img = _base(w, h, hue, rng)
    d = ImageDraw.Draw(img)
    rows = [("ADDRESS", person["address"]), ("PLACE OF BIRTH", person["pob"]),
            ("AUTHORITY", f"CITY OF {person['pob']}"), ("DATE OF ISSUE", person["issued"])]
    mrz_top = h - 3 * 38 - 20
    d.rectangle((0, mrz_top - 10, w, h), fill=(248, 248, 244))
    for i, line in enumerate(_mrz(person, 30, 3)):
        _mono(d, 40, mrz_top + i * 38, line, 32)
    if code == "pdf417":
        _fields(d, 36, 20, rows[:2], size=22, gap=6)
        codes = pdf417gen.encode(payload(person), columns=6, security_level=3)
        bc = pdf417gen.render_image(codes, scale=4, ratio=3, padding=6)
        bw = int(w * 0.86)
        bh = min(int(bc.height * bw / bc.width), mrz_top - 150)
        img.paste(bc.resize((bw, bh), Image.LANCZOS), ((w - bw) // 2, 132))
    elif code == "qr":
        _fields(d, 36, 24, rows, size=22, gap=8)
        q = qr_image(payload(person)).resize((mrz_top - 40,) * 2, Image.NEAREST)
        img.paste(q, (w - q.width - 30, 18))
    else:
        _fields(d, 36, 24, rows, size=24, gap=14)
        d.rectangle((w * 0.62, 40, w - 40, 190), outline=(90, 90, 110), width=2)
        d.text((w * 0.62 + 14, 54), "HOLDER'S SIGNATURE", font=font(16), fill=(90, 90, 110))
        _signature(d, w * 0.64, 140, w * 0.3, rng)
    return img


def passport_page(person, portrait, rng, w=1136):
    """Passport data page (1.42): portrait, fields, 2-line 44-char MRZ."""
    h = round(w / 1.42)
    img = _base(w, h, (225, 205, 170), rng)
    d = ImageDraw.Draw(img)
    d.text((40, 22), f"PASSPORT   {person['state']}", font=font(34), fill=(90, 40, 40))
    pw, ph = int(w * 0.27), int(w * 0.27 * 1.28)
    img.paste(Image.fromarray(resize(portrait, pw, ph)), (40, 90))
    rows = [("TYPE / CODE", f"P  {person['country']}"), ("SURNAME", person["surname"]),
            ("GIVEN NAMES", person["given"]), ("DATE OF BIRTH", person["dob"]),
            ("PASSPORT NO.", person["doc"]), ("DATE OF EXPIRY", person["exp"])]
    _fields(d, pw + 80, 86, rows, size=26, gap=6)
    d.rectangle((0, h - 120, w, h), fill=(245, 240, 230))
    for i, line in enumerate(_mrz(person, 44, 2)):
        _mono(d, 36, h - 108 + i * 50, line.replace("ID", "P<", 1), 34)
    return img


def payload(person):
    return "|".join([person["doc"], person["surname"], person["given"], person["dob"], person["exp"]])


def qr_image(text):
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    q.add_data(text)
    q.make(fit=True)
    return q.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def a4_letter(rng, words, page_photo=None, w=1000):
    """A4 (1.414) bill/letter: letterhead, address block, dense body, table."""
    h = round(w * 1.414)
    img = Image.new("RGB", (w, h), (250, 250, 246))
    d = ImageDraw.Draw(img)
    m = 80
    d.rectangle((m, 60, m + 70, 130), fill=(30, 90, 160))
    d.text((m + 90, 66), words.company(), font=font(40), fill=(30, 60, 110))
    d.text((m + 90, 112), words.street() + " - " + words.city(), font=font(16), fill=(80, 80, 80))
    y = 200
    for line in [words.person(), words.street(), words.city(), "ACCOUNT " + words.number(10)]:
        d.text((m, y), line, font=font(24), fill=(10, 10, 10))
        y += 30
    date = "DATE 2024-0%d-1%d" % (rng.integers(1, 9), rng.integers(0, 9))
    d.text((w - m - 220, 200), date, font=font(20), fill=(10, 10, 10))
    y += 30
    d.text((m, y), "STATEMENT OF ACCOUNT - " + words.line(3).upper(), font=font(26), fill=(10, 10, 10))
    y += 52
    if page_photo is not None:  # a real photographed print opens the body
        sw = w - 2 * m
        strip = Image.fromarray(page_photo).resize((sw, int(page_photo.shape[0] * sw / page_photo.shape[1])))
        img.paste(strip, (m, y))
        y += strip.height + 20
    while y < h - 420:
        for _ in range(int(rng.integers(4, 8))):
            d.text((m, y), words.line(13), font=font(18), fill=(20, 20, 20))
            y += 23
        y += 14
    for i in range(5):
        d.text((m, y + i * 28), words.line(3), font=font(20), fill=(20, 20, 20))
        d.text((w - m - 120, y + i * 28), "%7.2f" % rng.uniform(5, 300), font=font(20), fill=(20, 20, 20))
    d.line((m, y + 150, w - m, y + 150), fill=(30, 30, 30), width=2)
    d.text((m, h - 90), words.line(12), font=font(14), fill=(90, 90, 90))
    return img


def place(bg, doc, width_frac, angle, rng, region=(0, 0, 1, 1), radius=0.035, light=0.25, corner=None):
    """Lay a rendered document on a background: rounded corners, rotation, shadow, light falloff.

    region: fractions (x0, y0, x1, y1) of the frame the document must lie in. corner:
    (share, sx, sy) pushes it past the frame corner (sx, sy in -1/+1) until `share` of its
    width and height is outside (the random draws are unchanged). Returns (image, box)."""
    H, W = bg.shape[:2]
    dw = int(W * width_frac)
    doc = doc.resize((dw, int(doc.height * dw / doc.width)), Image.LANCZOS)
    mask = Image.new("L", doc.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, doc.width - 1, doc.height - 1), radius=int(dw * radius), fill=255)
    rgba = doc.convert("RGBA")
    rgba.putalpha(mask)
    rgba = rgba.rotate(angle, resample=Image.BICUBIC, expand=True)
    x0, y0 = int(region[0] * W), int(region[1] * H)
    x = int(rng.integers(x0, max(x0 + 1, int(region[2] * W) - rgba.width)))
    y = int(rng.integers(y0, max(y0 + 1, int(region[3] * H) - rgba.height)))
    if corner is not None:
        share, sx, sy = corner
        x = int(-share * rgba.width) if sx < 0 else int(W - (1 - share) * rgba.width)
        y = int(-share * rgba.height) if sy < 0 else int(H - (1 - share) * rgba.height)
    out = Image.fromarray(bg)
    alpha = rgba.getchannel("A")
    shadow = Image.new("RGBA", rgba.size, (0, 0, 0, 0))
    shadow.putalpha(alpha.point(lambda a: a * 0.45).filter(ImageFilter.GaussianBlur(dw * 0.012)))
    off = int(dw * 0.012)
    out.paste(shadow, (x + off, y + off), shadow)
    out.paste(rgba, (x, y), rgba)
    arr = np.asarray(out).astype(np.float32)
    gx = np.linspace(-1, 1, W, dtype=np.float32)[None, :]
    gy = np.linspace(-1, 1, H, dtype=np.float32)[:, None]
    a, b = rng.uniform(-1, 1, 2)
    arr *= (1 - light / 2 + light / 2 * (a * gx + b * gy) / math.sqrt(a * a + b * b + 1e-6))[:, :, None]
    return np.clip(arr, 0, 255).astype(np.uint8), (x, y, rgba.width, rgba.height)


def tilt(rgb, angle):
    """Rotate by a few degrees and crop in, so no border shows."""
    h, w = rgb.shape[:2]
    a = math.radians(abs(angle))
    zoom = math.cos(a) + max(w / h, h / w) * math.sin(a)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
    return cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def replace_background(img, box, canvas, face_at=0.36):
    """Person cut out with a soft head-and-shoulders mask over a new scene.

    The person is scaled so that the source photo reaches the frame's bottom
    edge (no floating head), the face then spans at least 27 % of the width."""
    h, w = canvas.shape[:2]
    x, y, fw, fh = box
    s = max(0.27 * w / fw, (1 - face_at) * h / (img.shape[0] - y - fh / 2))
    person = resize(img, img.shape[1] * s, img.shape[0] * s).astype(np.float32)
    ox, oy = int(w / 2 - (x + fw / 2) * s), int(face_at * h - (y + fh / 2) * s)
    layer = np.zeros((h, w, 3), np.float32)
    inside = np.zeros((h, w), np.float32)
    sx, sy, dx, dy = max(0, -ox), max(0, -oy), max(0, ox), max(0, oy)
    cw, ch = min(person.shape[1] - sx, w - dx), min(person.shape[0] - sy, h - dy)
    layer[dy:dy + ch, dx:dx + cw] = person[sy:sy + ch, sx:sx + cw]
    inside[dy:dy + ch, dx:dx + cw] = 1
    inside = cv2.GaussianBlur(inside, (0, 0), 3)[:, :, None]
    fx, fy, fw, fh = x * s + ox, y * s + oy, fw * s, fh * s
    m = np.zeros((h, w), np.float32)
    cv2.ellipse(m, (int(fx + fw / 2), int(fy + fh * 0.45)), (int(fw * 0.8), int(fh * 1.0)), 0, 0, 360, 1, -1)
    cv2.ellipse(m, (int(fx + fw / 2), int(fy + fh * 2.6)), (int(fw * 1.45), int(fh * 1.5)), 0, 0, 360, 1, -1)
    cv2.rectangle(m, (int(fx + fw * 0.15), int(fy + fh)), (int(fx + fw * 0.85), int(fy + fh * 1.8)), 1, -1)
    m = cv2.GaussianBlur(m, (0, 0), fw * 0.06)[:, :, None] * inside
    return (canvas.astype(np.float32) * (1 - m) + layer * m).astype(np.uint8)
