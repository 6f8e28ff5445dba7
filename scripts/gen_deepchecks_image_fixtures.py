#!/usr/bin/env python3
"""Run deepchecks' default image properties on the committed image fixtures.

Writes `tests/fixtures/images/deepchecks.json`: for every image in `expected.json` that
decodes, the numbers deepchecks 0.19 itself computes with
`deepchecks.vision.utils.image_properties.calc_default_image_properties` (Aspect Ratio,
Area, Brightness, RMS Contrast, Mean Red/Green/Blue Relative Intensity), twice:

  * `every_pixel`: `sample_n_pixels` set to the image's pixel count, so deepchecks'
    `sample_pixels` keeps every pixel in order; these are the numbers modelwatch matches;
  * `default_sampling`: deepchecks' default of 10,000 pixels drawn at random with
    replacement (numpy's global generator, seeded here so the file is reproducible); on
    images of at most 10,000 pixels it keeps every pixel too, on the larger photographs it
    is a random estimate whose error the Rust test bounds.

The arrays are what deepchecks' vision data expects of a batch (`validate_images_format`):
height x width x channels, uint8, 1 or 3 channels, as a loader built on PIL gives them:

  * colour images (RGB, palette PNG, GIF, RGBA) are `np.asarray(img.convert("RGB"))`: the
    palette expanded and alpha dropped without compositing, as modelwatch does;
  * grey images (L) are `np.asarray(img)[:, :, None]`, one channel, for which deepchecks
    computes brightness and contrast on the grey values and gives no relative intensities;
    LA keeps its grey channel (alpha dropped) the same way;
  * 16-bit files hold more than deepchecks' uint8 accepts, so a loader has to reduce them;
    they are reduced as modelwatch does (`round(v * 255 / 65535)`, read at full depth with
    OpenCV, which deepchecks itself depends on) so that the comparison is about deepchecks'
    formulas, not about a choice of loader (PIL would drop the low byte of 16-bit RGB and
    clip 16-bit grey).

JPEG and lossy WebP are decoded here by PIL (libjpeg-turbo, libwebp) and in modelwatch by
other decoders, so their pixels differ slightly; the Rust test applies the lossy tolerance
of `expected.json` to those files.

Each record also carries deepchecks' own verdict on the array (`validate_images_format`):
it refuses an image whose largest value is at most 1 (black.png), taking it for a float
image in 0-1, although its properties are computed all the same.

deepchecks[vision] needs pins to install next to the libraries of today, and torch and
torchvision (the CPU wheels are enough; torch computes nothing here, deepchecks' vision
package only imports it). Create its venv with:

    python3.11 -m venv /work/venv-deepchecks
    /work/venv-deepchecks/bin/pip install torch torchvision \
        --index-url https://download.pytorch.org/whl/cpu
    /work/venv-deepchecks/bin/pip install "deepchecks[vision]==0.19.1" "numpy<2" \
        "pandas<2.3" "scikit-learn<1.6" "category-encoders<2.7" "setuptools<81"

and run from the repository root, after scripts/gen_image_fixtures.py wrote the images:

    /work/venv-deepchecks/bin/python scripts/gen_deepchecks_image_fixtures.py
"""

import json
import warnings
from pathlib import Path

import cv2
import numpy as np
import PIL
import skimage
from PIL import Image

# deepchecks' import warns about scikit-learn's deprecations; the imports below come after.
warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import deepchecks
import torch
from deepchecks.core.errors import ValidationError
from deepchecks.vision.utils.image_properties import (
    calc_default_image_properties,
)
from deepchecks.vision.vision_data.format_validators import (
    validate_images_format,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "images"

DEFAULT_SAMPLE_PIXELS = 10_000
SAMPLING_SEED = 20

# deepchecks' property names and modelwatch's descriptor names.
PROPERTIES = {
    "Aspect Ratio": "aspect_ratio",
    "Area": "area",
    "Brightness": "brightness",
    "RMS Contrast": "contrast",
    "Mean Red Relative Intensity": "mean_red",
    "Mean Green Relative Intensity": "mean_green",
    "Mean Blue Relative Intensity": "mean_blue",
}


def scale_16_to_8(samples):
    """16-bit samples to 8 bits as modelwatch (the `image` crate) does: round(v * 255 / 65535)."""
    return ((samples.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def deepchecks_array(path):
    """The HWC uint8 array a PIL-based loader hands to deepchecks, and how it was made."""
    with Image.open(path) as img:
        img.load()
        mode = img.mode
        if mode in ("I;16", "I;16B", "I;16L", "I"):
            deep = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            grey = scale_16_to_8(deep)[:, :, None]
            return grey, "16-bit grey, round(v * 255 / 65535)"
        if mode == "L":
            return np.asarray(img)[:, :, None], "grey, one channel"
        if mode == "LA":
            return np.asarray(img)[:, :, :1], "grey, alpha dropped, one channel"
        deep = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if deep is not None and deep.dtype == np.uint16:
            rgb = cv2.cvtColor(deep, cv2.COLOR_BGR2RGB)
            return scale_16_to_8(rgb), "16-bit RGB, round(v * 255 / 65535)"
        return np.asarray(img.convert("RGB")), f'PIL {mode} .convert("RGB")'


def plain(value):
    """A property value as JSON: numpy scalars to float, None kept."""
    return None if value is None else float(value)


def properties(array, sample_n_pixels):
    result = calc_default_image_properties([array], sample_n_pixels=sample_n_pixels)
    return {ours: plain(result[theirs][0]) for theirs, ours in PROPERTIES.items()}


def format_verdict(array):
    try:
        validate_images_format([array])
    except ValidationError as e:
        return str(e)
    return None


def main():
    expected = json.loads((FIXTURES / "expected.json").read_text())
    np.random.seed(SAMPLING_SEED)
    records = []
    for record in expected["images"]:
        if record["error"] is not None:
            continue
        path = FIXTURES / record["file"]
        array, loader = deepchecks_array(path)
        pixels = array.shape[0] * array.shape[1]
        records.append(
            {
                "file": record["file"],
                "lossy": record["lossy"],
                "loader": loader,
                "shape": list(array.shape),
                "deepchecks_format_error": format_verdict(array),
                "every_pixel": properties(array, pixels),
                "default_sampling": properties(array, DEFAULT_SAMPLE_PIXELS),
            }
        )
    out = {
        "generator": "scripts/gen_deepchecks_image_fixtures.py",
        "function": "deepchecks.vision.utils.image_properties.calc_default_image_properties",
        "versions": {
            "deepchecks": deepchecks.__version__,
            "numpy": np.__version__,
            "scikit-image": skimage.__version__,
            "pillow": PIL.__version__,
            "opencv": cv2.__version__,
            "torch": torch.__version__,
        },
        "default_sample_pixels": DEFAULT_SAMPLE_PIXELS,
        "sampling_seed": SAMPLING_SEED,
        "images": records,
    }
    with open(FIXTURES / "deepchecks.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote deepchecks' properties of {len(records)} images")


if __name__ == "__main__":
    main()
