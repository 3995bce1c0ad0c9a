"""Real photos that ship inside installed packages, for the evaluation set.

Why package photos: the set must be made of real camera captures (real skin,
real sensor noise, real lighting) yet be rebuilt byte-for-byte on any machine
with no download but the package registries. Every picture used here comes
from one of these packages (licences in eval/README.md):

* scikit-image (PyPI)   skimage/data/*.png|jpg       CC0 / public domain
* matplotlib (PyPI)     mpl-data/sample_data/grace_hopper.jpg  public domain
* mahotas (PyPI)        mahotas/demos/data/luispedro.jpg       MIT (mahotas)
* opencv-doc (Debian, `apt-get install opencv-doc`): the tutorial images
  under /usr/share/doc/opencv-doc/opencv4/html and the sample data under
  /usr/share/doc/opencv-doc/examples/data (Apache-2.0 / BSD-3-Clause).

Faces are the scarce resource: FACES lists every distinct, clean (no
annotation drawn on it), frontal human face found in those packages; each
was checked to give exactly one detection with OpenCV's
haarcascade_frontalface_default, which `check_face` repeats at run time.
"""

import os

import cv2
import numpy as np
from PIL import Image

OPENCV_DOC = os.environ.get("OPENCV_DOC", "/usr/share/doc/opencv-doc")


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
    locate, name, _ = entry
    try:
        return locate(name)
    except ImportError as err:  # package missing: say which one
        raise SystemExit(f"missing package for {name}: {err}; run eval/run.sh or pip install it") from err


def load(entry):
    """RGB uint8 array of a source photo, cropped as listed."""
    path = path_of(entry)
    if not os.path.exists(path):
        raise SystemExit(f"missing source photo {path}; install opencv-doc (apt-get install -y opencv-doc)")
    img = Image.open(path).convert("RGB")
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
