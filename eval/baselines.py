"""OpenCV (and optional BRISQUE) reference scores for eval/score.py.

Why these: the variance of the Laplacian is the usual one-line sharpness
check people reach for, and a Haar cascade / QRCodeDetector the usual
one-line "is there a face / a QR code" check; kycmedia has to beat them to
be worth its complexity. BRISQUE is a classic no-reference quality model
whose PyPI package ships its trained SVM (no download at run time, no torch).
"""

import multiprocessing
import os

import cv2
import numpy as np

LONG_SIDE = 512
HAAR = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"


def shrink(img, long_side=LONG_SIDE):
    """Down to long_side with INTER_AREA; never enlarged."""
    s = long_side / max(img.shape[:2])
    if s >= 1:
        return img
    return cv2.resize(img, (max(1, round(img.shape[1] * s)), max(1, round(img.shape[0] * s))),
                      interpolation=cv2.INTER_AREA)


def lapvar(grey):
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def faces(grey512, cascade):
    """Number of Haar frontal faces at least 15 % of the short side."""
    side = max(1, int(0.15 * min(grey512.shape)))
    return len(cascade.detectMultiScale(grey512, scaleFactor=1.1, minNeighbors=5, minSize=(side, side)))


class Brisque:
    """brisque.BRISQUE's model and features, robust to numpy 2 (its score()
    turns 1-element arrays into floats, which numpy >= 2.4 refuses)."""

    def __init__(self):
        from brisque import BRISQUE
        self.b = BRISQUE(url=False)

    def __call__(self, rgb):
        g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float64) / 255.0
        f1 = self.b.calculate_brisque_features(g, kernel_size=7, sigma=7 / 6)
        half = cv2.resize(g, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_CUBIC)
        f2 = self.b.calculate_brisque_features(half, kernel_size=7, sigma=7 / 6)
        feats = [float(np.asarray(x, dtype=np.float64).ravel()[0]) for x in list(f1) + list(f2)]
        return float(self.b.calculate_image_quality_score(np.array(feats)))


_job = {}


def _one(f):
    """Features of one labelled file (runs in a worker; settings in _job)."""
    j = _job
    if "cascade" not in j:
        j["cascade"] = cv2.CascadeClassifier(HAAR)
        j["qr"] = cv2.QRCodeDetector()
        j["bq"] = Brisque() if j["brisque"] else None
    bgr = cv2.imread(os.path.join(j["set_dir"], f), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {f} under {j['set_dir']}")
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    small = shrink(grey)
    r = {"lapvar@512": lapvar(small), "lapvar@full": lapvar(grey), "faces": None, "qr": None}
    if j["ctxs"][f] & j["face_contexts"]:
        r["faces"] = faces(small, j["cascade"])
    if j["ctxs"][f] & j["qr_contexts"]:
        text, _, _ = j["qr"].detectAndDecode(grey)
        r["qr"] = bool(text)
    if j["bq"] is not None:
        r["brisque@512"] = -j["bq"](cv2.cvtColor(shrink(bgr), cv2.COLOR_BGR2RGB))  # lower raw = better
    return f, r


def compute(set_dir, items, face_contexts, qr_contexts, brisque=False, jobs=None):
    """Per labelled file: lapvar@512, lapvar@full, faces, qr (+ brisque@512).

    Files are spread over `jobs` worker processes (EVAL_JOBS, default: the cores):
    BRISQUE is most of the scoring time. Each file's numbers do not depend on it."""
    ctxs = {}
    for it in items:
        ctxs.setdefault(it["file"], set()).add(it["context"])
    _job.clear()
    _job.update(set_dir=set_dir, ctxs=ctxs, face_contexts=face_contexts, qr_contexts=qr_contexts,
                brisque=brisque)
    jobs = jobs or int(os.environ.get("EVAL_JOBS", "0")) or os.cpu_count() or 1
    files = sorted(ctxs)
    if jobs <= 1:
        return dict(map(_one, files))
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return dict(pool.map(_one, files, chunksize=16))
