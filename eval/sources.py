"""Real photos that ship inside registry packages, for the evaluation set.

Why package photos: the set must be made of real camera captures (real skin,
real sensor noise, real lighting) yet be rebuilt byte-for-byte on any machine
with no download but the package registries. Every picture used here comes
from one of these packages (versions, paths and licences in eval/README.md):

* scikit-image (PyPI)   skimage/data/*.png|jpg       CC0 / public domain
* matplotlib (PyPI)     mpl-data/sample_data/grace_hopper.jpg  public domain
* mahotas (PyPI)        mahotas/demos/data/luispedro.jpg       MIT (mahotas)
* opencv-doc (Debian, `apt-get install opencv-doc`): the tutorial images
  under /usr/share/doc/opencv-doc/opencv4/html and the sample data under
  /usr/share/doc/opencv-doc/examples/data (Apache-2.0 / BSD-3-Clause).
* @vladmandic/face-api 1.7.15 (npm, MIT): demo/sample1..6.jpg, group photos
  the package's author took himself (its README: "Photos shown below are
  taken by me"; Sony ILCE-7M2 EXIF). eval/run.sh unpacks them with
  `npm pack` into EVAL_CACHE.
* face_recognition 1.3.0 (PyPI sdist, MIT): tests/test_images/obama.jpg and
  biden.jpg, official White House portraits (US federal works, public
  domain). eval/run.sh unpacks them with `pip download --no-binary :all:`.

Faces are the scarce resource: FACES lists the single-person photos (each
gives exactly one detection with OpenCV's haarcascade_frontalface_default),
GROUP_FACES the people cut out of the group photos, each by its face centre,
size and head roll (read off Haar detections on the photo, levelled by
rotating about the face). Package files with a pinned SHA-256 are checked
when loaded, so a changed package fails loudly instead of changing the set.
"""

import hashlib
import os

import cv2
import numpy as np
from PIL import Image

OPENCV_DOC = os.environ.get("OPENCV_DOC", "/usr/share/doc/opencv-doc")
# Where eval/run.sh unpacks the npm and PyPI packages whose files are not installed.
EVAL_CACHE = os.environ.get("EVAL_CACHE", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "..", "target", "eval-cache"))
FACE_API = "vladmandic-face-api-1.7.15"      # npm pack @vladmandic/face-api@1.7.15
FACE_RECOGNITION = "face_recognition-1.3.0"  # pip download --no-binary :all: face_recognition==1.3.0


def _skimage(name):
    import skimage.data
    return os.path.join(os.path.dirname(skimage.data.__file__), name)


def _matplotlib(name):
    import matplotlib
    return os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "sample_data", name)


def _mahotas(name):
    import mahotas.demos
    return os.path.join(os.path.dirname(mahotas.demos.__file__), "data", name)


def _ocv_html(name):
    return os.path.join(OPENCV_DOC, "opencv4", "html", name)


def _ocv_data(name):
    return os.path.join(OPENCV_DOC, "examples", "data", name)


def _face_api(name):
    return os.path.join(EVAL_CACHE, FACE_API, "package", "demo", name)


def _face_recognition(name):
    return os.path.join(EVAL_CACHE, FACE_RECOGNITION, "tests", "test_images", name)


# Files from the fetched packages, pinned (their packages are pinned by version too).
SHA256 = {
    "sample1.jpg": "8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51",
    "sample3.jpg": "8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936",
    "sample4.jpg": "729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc",
    "sample5.jpg": "6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938",
    "sample6.jpg": "9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87",
    "obama.jpg": "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6",
    "biden.jpg": "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c",
}


# id -> (locator, file, crop box (left, top, right, bottom) or None)
FACES = {
    "astronaut": (_skimage, "astronaut.png", None),            # Eileen Collins, NASA
    "hopper": (_matplotlib, "grace_hopper.jpg", None),         # Grace Hopper, US Navy
    "luispedro": (_mahotas, "luispedro.jpg", None),            # mahotas' author
    "smile": (_ocv_html, "227943776_1.jpg", None),             # face-swap tutorial
    "goatee": (_ocv_html, "230501201_1.jpg", None),            # face-swap tutorial
    "glasses": (_ocv_html, "example.jpg", (0, 0, 387, 580)),   # landmark tutorial, left tile
    "still-a": (_ocv_html, "05.jpg", (0, 0, 512, 470)),        # edge-detection tutorial tile
    "still-b": (_ocv_html, "12.jpg", (0, 20, 512, 470)),       # edge-detection tutorial tile
    "obama": (_face_recognition, "obama.jpg", None),           # official portrait, public domain
    "biden": (_face_recognition, "biden.jpg", (0, 0, 970, 1500)),  # official portrait, public domain
}

# People in @vladmandic/face-api's group photos: id -> (locator, file, (cx, cy, size, roll),
# margins). The face's Haar box is size x size around (cx, cy) once the photo is turned by
# roll degrees (counter-clockwise) about that centre; the person is cut out to (left, top,
# right, bottom) face sizes from the face centre, narrow enough to leave neighbours out.
# Every face with both eyes open towards the camera, at least 160 px, is here; left out:
# sample2 (all three look down or away), the middle woman of sample1 (eyes down).
GROUP_FACES = {
    "party-a": (_face_api, "sample1.jpg", (487, 486, 242, 0), (1.2, 1.2, 1.2, 2.2)),
    "party-b": (_face_api, "sample1.jpg", (1573, 326, 242, 20), (1.1, 1.2, 1.2, 2.2)),
    "bar-a": (_face_api, "sample3.jpg", (676, 464, 251, 0), (1.3, 1.2, 1.0, 2.2)),
    "bar-b": (_face_api, "sample3.jpg", (1172, 366, 315, 0), (0.9, 1.1, 0.9, 2.0)),
    "bar-c": (_face_api, "sample3.jpg", (1606, 437, 249, 0), (1.0, 1.2, 1.25, 2.2)),
    "lounge-a": (_face_api, "sample4.jpg", (367, 322, 211, -20), (1.3, 1.2, 1.0, 2.2)),
    "lounge-b": (_face_api, "sample4.jpg", (733, 193, 242, 20), (1.0, 0.8, 0.9, 2.2)),
    "lounge-c": (_face_api, "sample4.jpg", (1048, 313, 241, 0), (0.8, 1.0, 0.8, 2.2)),
    "lounge-d": (_face_api, "sample4.jpg", (1333, 273, 225, 20), (0.9, 1.1, 1.3, 2.2)),
    "stairs-a": (_face_api, "sample5.jpg", (879, 223, 205, 0), (0.8, 0.6, 1.0, 1.5)),
    "stairs-b": (_face_api, "sample5.jpg", (1182, 311, 190, 0), (0.9, 1.0, 0.9, 2.0)),
    "stairs-c": (_face_api, "sample5.jpg", (1480, 535, 247, 0), (0.9, 1.2, 1.3, 2.2)),
    "stairs-d": (_face_api, "sample5.jpg", (721, 537, 161, 0), (1.2, 1.0, 0.9, 1.6)),
    "stairs-e": (_face_api, "sample5.jpg", (475, 1015, 237, 0), (1.3, 0.9, 1.1, 1.6)),
    "window-a": (_face_api, "sample6.jpg", (373, 638, 254, 0), (1.2, 1.2, 1.0, 2.2)),
    "window-b": (_face_api, "sample6.jpg", (746, 476, 258, 0), (0.9, 1.2, 0.9, 2.2)),
    "window-c": (_face_api, "sample6.jpg", (1275, 458, 256, 0), (1.0, 1.2, 0.9, 2.2)),
    "window-d": (_face_api, "sample6.jpg", (1580, 416, 267, 0), (0.9, 1.2, 1.2, 2.2)),
}

# Scenes with no human face: non-matches for face/document/address contexts.
SCENES = {
    "cat": (_skimage, "chelsea.png", None),
    "coffee": (_skimage, "coffee.png", None),
    "rocket": (_skimage, "rocket.jpg", None),
    "hubble": (_skimage, "hubble_deep_field.jpg", None),
    "motorcycle": (_skimage, "motorcycle_left.png", None),
    "building": (_ocv_data, "building.jpg", None),
    "street": (_ocv_data, "leuvenA.jpg", None),
    "squirrel": (_ocv_data, "squirrel_cls.jpg", None),
    "baboon": (_ocv_data, "baboon.jpg", None),
    "dog": (_ocv_data, "chicky_512.png", None),
}

# Surfaces to lay cards and pages on (desks, walls, floors).
BACKGROUNDS = {
    "desk": (_ocv_data, "stuff.jpg", None),
    "notebook": (_ocv_data, "ela_original.jpg", None),
    "table": (_skimage, "coffee.png", None),
    "gravel": (_skimage, "gravel.png", None),
    "brick": (_skimage, "brick.png", None),
    "aloe": (_ocv_data, "aloeL.jpg", None),
    "graffiti": (_ocv_data, "graf1.png", None),
    "grass": (_skimage, "grass.png", None),
}

# Real photographs of printed / written text.
TEXT_PHOTOS = {
    "page": (_skimage, "page.png", None),       # photographed printed page
    "handwriting": (_skimage, "text.png", None),  # handwritten maths close-up
}

HAAR = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
_cascade = None


def path_of(entry):
    locate, name = entry[0], entry[1]
    try:
        return locate(name)
    except ImportError as err:  # package missing: say which one
        raise SystemExit(f"missing package for {name}: {err}; run eval/run.sh or pip install it") from err


def _open(entry):
    path = path_of(entry)
    if not os.path.exists(path):
        raise SystemExit(f"missing source photo {path}; run eval/run.sh (it installs opencv-doc and "
                         f"unpacks the npm/PyPI packages into EVAL_CACHE={EVAL_CACHE})")
    want = SHA256.get(entry[1])
    if want is not None:
        with open(path, "rb") as fh:
            got = hashlib.sha256(fh.read()).hexdigest()
        if got != want:
            raise SystemExit(f"{path}: sha256 {got}, expected {want} (package changed?)")
    return Image.open(path).convert("RGB")


def load(entry):
    """RGB uint8 array of a source photo, cropped as listed."""
    img = _open(entry)
    if entry[2]:
        img = img.crop(entry[2])
    return np.asarray(img)


def detect_faces(rgb, min_frac=0.10):
    """Haar frontal faces at least min_frac of the short side, as (x, y, w, h)."""
    global _cascade
    if _cascade is None:
        _cascade = cv2.CascadeClassifier(HAAR)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    side = max(24, int(min(grey.shape) * min_frac))
    found = _cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    return [tuple(int(v) for v in f) for f in found]


def face_box(rgb):
    """The single Haar face box of a face source; fails if not exactly one."""
    faces = detect_faces(rgb)
    if len(faces) != 1:
        raise SystemExit(f"expected exactly one face, found {len(faces)}")
    return faces[0]


def load_group_face(entry):
    """(RGB, face box) of one person cut out of a group photo, levelled by its roll."""
    _, _, (cx, cy, size, roll), (ml, mt, mr, mb) = entry
    rgb = np.asarray(_open(entry))
    if roll:
        m = cv2.getRotationMatrix2D((cx, cy), roll, 1.0)
        rgb = cv2.warpAffine(rgb, m, (rgb.shape[1], rgb.shape[0]), flags=cv2.INTER_CUBIC,
                             borderMode=cv2.BORDER_REPLICATE)
    h, w = rgb.shape[:2]
    x0, y0 = max(0, int(cx - ml * size)), max(0, int(cy - mt * size))
    x1, y1 = min(w, int(cx + mr * size)), min(h, int(cy + mb * size))
    box = (int(cx - size / 2) - x0, int(cy - size / 2) - y0, int(size), int(size))
    return np.ascontiguousarray(rgb[y0:y1, x0:x1]), box


def all_faces():
    """id -> (RGB, face box) for every distinct person: FACES then GROUP_FACES."""
    out = {}
    for fid, entry in FACES.items():
        img = load(entry)
        out[fid] = (img, face_box(img))
    for fid, entry in GROUP_FACES.items():
        out[fid] = load_group_face(entry)
    return out
