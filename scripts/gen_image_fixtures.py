#!/usr/bin/env python3
"""Generate the image-descriptor parity fixtures in tests/fixtures/images/.

Writes the images and `expected.json`, which holds for every image either the expected
descriptors or the expected failure reason. The numbers come from the peers on the very
pixels PIL decodes from the committed file:

  * deepchecks' image properties (`deepchecks.vision.utils.image_properties`): aspect ratio,
    area, brightness, RMS contrast and mean relative intensities. This script does not import
    deepchecks (it needs numpy<2 and torch; this script's venv has numpy 2 and OpenCV 5): it
    RE-IMPLEMENTS `calc_default_image_properties` with the functions deepchecks calls itself
    (scikit-image's `rgb2gray`, numpy), with its pixel sampling switched off (a sample of at
    least the image's pixel count keeps every pixel). deepchecks itself runs in its own venv
    in scripts/gen_deepchecks_image_fixtures.py, which writes deepchecks.json from these
    images; its every-pixel numbers equal this re-implementation's to 3e-16 relative. For
    grey images this re-implementation spreads grey to R = G = B and gives 1/3 per relative
    intensity, modelwatch's choice; deepchecks itself gives none;
  * PIL as whylogs uses it: `ImageStat.Stat(img.convert("HSV")).mean[1]` (saturation),
    `img.convert("L").entropy()` and `histogram()` (entropy, exposure shares), `getexif()`;
  * OpenCV: `cv2.Laplacian(grey, cv2.CV_64F).var()` (sharpness, deepchecks' `texture_level`
    on the 0-255 grey);
  * Hasler and Suesstrunk's colourfulness formula in numpy.

Images: real photographs shipped in scikit-image (`skimage.data`: astronaut, chelsea,
coffee, camera) re-encoded at modest size, and generated ones: every format both PIL writes
and modelwatch decodes (jpeg, png, webp, gif, bmp, tiff), odd sizes, grey, alpha, 16-bit PNG,
EXIF tags and orientations 1-8, and bad files (truncated JPEG and PNG, zero bytes, text, a PNG whose
header claims 20000 x 20000 pixels, a PNG with corrupt pixel data).

JPEG and lossy WebP are decoded by different decoders in PIL (libjpeg-turbo, libwebp) and in
modelwatch (zune-jpeg, image-webp); their pixels may differ by a grey level or so, so each
image records `lossy` and the test applies the looser tolerance stated in expected.json.

Run from the repository root with a Python that has scikit-image, pillow, numpy and
opencv-python-headless (any recent versions; the versions used are written to expected.json):

    python3 -m venv /tmp/venv-image
    /tmp/venv-image/bin/pip install scikit-image pillow numpy opencv-python-headless
    /tmp/venv-image/bin/python scripts/gen_image_fixtures.py

then regenerate deepchecks.json from the new images with deepchecks' own venv, as
scripts/gen_deepchecks_image_fixtures.py describes.
"""

import json
import shutil
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import PIL
import skimage
from PIL import Image, ImageStat
from PIL.TiffImagePlugin import IFDRational
from skimage import data
from skimage.color import rgb2gray
from skimage.transform import resize

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "images"

UNDEREXPOSED_MAX_LEVEL = 10
OVEREXPOSED_MIN_LEVEL = 245

# EXIF tag numbers.
MAKE, MODEL, ORIENTATION, SOFTWARE = 0x010F, 0x0110, 0x0112, 0x0131
EXIF_IFD = 0x8769
EXPOSURE_TIME, ISO, FOCAL_LENGTH = 0x829A, 0x8827, 0x920A

# The decoded colour mode modelwatch reports, from the PIL mode of the file that was written
# (gif palettes decode to RGBA in the `image` crate, palette PNG to RGB).
MODE_OF_PIL = {
    "L": ("L8", 1),
    "LA": ("LA8", 2),
    "RGB": ("RGB8", 3),
    "RGBA": ("RGBA8", 4),
    "I;16": ("L16", 1),
}


def photo(array, size):
    """A skimage photograph resized to (height, width) as 8-bit."""
    resized = resize(array, size, anti_aliasing=True, preserve_range=True)
    return np.clip(np.rint(resized), 0, 255).astype(np.uint8)


def pattern(height, width, seed):
    """A colourful test image: gradients, a disc and some noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    r = 255 * x / max(width - 1, 1)
    g = 255 * y / max(height - 1, 1)
    b = 128 + 100 * np.sin(x / 5.0) * np.cos(y / 7.0)
    disc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (min(height, width) / 4) ** 2
    rgb = np.stack([r, g, b], axis=-1)
    rgb[disc] = [250, 250, 240]
    rgb += rng.normal(0, 12, rgb.shape)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def exif_block(
    make=None,
    model=None,
    orientation=None,
    software=None,
    iso=None,
    exposure=None,
    focal=None,
):
    exif = Image.Exif()
    if make is not None:
        exif[MAKE] = make
    if model is not None:
        exif[MODEL] = model
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if software is not None:
        exif[SOFTWARE] = software
    sub = {}
    if exposure is not None:
        sub[EXPOSURE_TIME] = IFDRational(*exposure)
    if iso is not None:
        sub[ISO] = iso
    if focal is not None:
        sub[FOCAL_LENGTH] = IFDRational(*focal)
    if sub:
        ifd = exif.get_ifd(EXIF_IFD)
        ifd.update(sub)
    return exif


def save(name, image, **params):
    path = OUT / name
    image.save(path, **params)
    return path


def png_chunk(kind, payload):
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def bomb_png(path, width, height):
    """A small PNG whose header claims width x height grey pixels: the few rows of data
    present decompress to far less than the header promises."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + width) * 4, 9)
    blob = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", rows)
        + png_chunk(b"IEND", b"")
    )
    path.write_bytes(blob)


def corrupt_png(path):
    """A PNG with a valid header and garbage where the compressed pixels should be."""
    ihdr = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    blob = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", bytes(range(7, 250, 3)))
        + png_chunk(b"IEND", b"")
    )
    path.write_bytes(blob)


# The samples of the 16-bit RGB PNGs, which PIL cannot write nor read at full depth.
RGB16_SOURCES = {}


def write_rgb16_png(path, rgb16):
    """A 16-bit RGB PNG written by hand (big-endian samples, filter 0 on every row)."""
    height, width, _ = rgb16.shape
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + rgb16[y].astype(">u2").tobytes() for y in range(height))
    blob = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(rows, 9))
        + png_chunk(b"IEND", b"")
    )
    path.write_bytes(blob)
    RGB16_SOURCES[path.name] = rgb16


def rgb_pixels(path):
    """The 8-bit RGB pixels the peers see, the PIL mode, and whether the file was 16-bit."""
    with Image.open(path) as img:
        img.load()
        mode = img.mode
        if mode == "I;16":
            # PIL cannot convert I;16 to L without clipping; scale as the `image` crate does
            # (round(v * 255 / 65535)).
            grey16 = np.asarray(img, dtype=np.uint32)
            grey = ((grey16 + 128) // 257).astype(np.uint8)
            return np.repeat(grey[:, :, None], 3, axis=2), mode
        rgb = np.asarray(img.convert("RGB"))
    if path.name in RGB16_SOURCES:
        # PIL reads 16-bit RGB as 8-bit by dropping the low byte; scale the written samples
        # as the `image` crate does instead.
        rgb16 = RGB16_SOURCES[path.name].astype(np.uint32)
        return ((rgb16 + 128) // 257).astype(np.uint8), "RGB16"
    return rgb, mode


def deepchecks_properties(rgb, grey_input):
    """A re-implementation of deepchecks' calc_default_image_properties without sampling
    (every pixel kept); deepchecks' own numbers are in deepchecks.json."""
    height, width = rgb.shape[:2]
    flat = rgb.reshape(
        (-1, 1, 3)
    )  # sample_pixels with n >= pixel count keeps all, in order
    if grey_input:
        # A one-channel image is used as is.
        grey = flat[:, :, :1].astype(np.float64)
    else:
        grey = rgb2gray(flat) * 255
    s = flat.sum(axis=2)
    rel = np.array(
        [
            np.divide(
                flat[:, :, i],
                s,
                out=np.zeros_like(flat[:, :, i], dtype="float64"),
                where=s != 0,
            )
            for i in range(3)
        ]
    ).mean(axis=(1, 2))
    return {
        "aspect_ratio": height / width,
        "area": float(height * width),
        "brightness": float(grey.mean()),
        "contrast": float(grey.std()),
        # deepchecks gives None for a one-channel image; modelwatch spreads grey to R = G = B,
        # which is what this evaluates for grey input.
        "mean_red": float(rel[0]),
        "mean_green": float(rel[1]),
        "mean_blue": float(rel[2]),
    }


def pil_properties(rgb):
    img = Image.fromarray(rgb, "RGB")
    grey = img.convert("L")
    hist = np.array(grey.histogram(), dtype=np.float64)
    n = hist.sum()
    return {
        "saturation": float(ImageStat.Stat(img.convert("HSV")).mean[1]),
        "entropy": float(grey.entropy()),
        "underexposed_share": float(hist[: UNDEREXPOSED_MAX_LEVEL + 1].sum() / n),
        "overexposed_share": float(hist[OVEREXPOSED_MIN_LEVEL:].sum() / n),
    }


def colorfulness(rgb):
    r, g, b = (rgb[:, :, i].astype(np.float64) for i in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    return float(
        np.sqrt(rg.std() ** 2 + yb.std() ** 2)
        + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    )


def sharpness(rgb):
    grey = rgb2gray(rgb) * 255
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def exif_properties(path):
    def text(value):
        if value is None:
            return None
        value = str(value).rstrip("\x00 ").lstrip()
        return value or None

    def number(value):
        if value is None:
            return None
        return float(value)

    with Image.open(path) as img:
        exif = img.getexif()
        sub = exif.get_ifd(EXIF_IFD)
        orientation = exif.get(ORIENTATION)
        return {
            "make": text(exif.get(MAKE)),
            "model": text(exif.get(MODEL)),
            "software": text(exif.get(SOFTWARE)),
            "orientation": str(orientation) if orientation in range(1, 9) else None,
            "iso": number(sub.get(ISO)),
            "exposure_time": number(sub.get(EXPOSURE_TIME)),
            "focal_length": number(sub.get(FOCAL_LENGTH)),
        }


def describe(path, lossy):
    rgb, mode = rgb_pixels(path)
    with Image.open(path) as img:
        fmt = img.format.lower()
        width, height = img.size
    grey_input = mode in ("L", "LA", "I;16")
    our_mode, channels = (
        ("RGB16", 3) if mode == "RGB16" else MODE_OF_PIL.get(mode, (None, None))
    )
    if fmt == "gif":
        our_mode, channels = "RGBA8", 4
    elif mode == "P":
        our_mode, channels = "RGB8", 3
    expected = {
        "format": fmt,
        "mode": our_mode,
        "channels": channels,
        "bytes": path.stat().st_size,
        "width": width,
        "height": height,
    }
    expected.update(deepchecks_properties(rgb, grey_input))
    expected.update(pil_properties(rgb))
    expected["colorfulness"] = colorfulness(rgb)
    expected["sharpness"] = sharpness(rgb)
    expected.update(exif_properties(path))
    return {"file": path.name, "lossy": lossy, "error": None, "expected": expected}


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    cases = []  # (path, lossy)

    # Real photographs from scikit-image.
    astronaut = photo(data.astronaut(), (256, 256))
    chelsea = photo(data.chelsea(), (150, 225))
    coffee = photo(data.coffee(), (200, 300))
    camera = photo(data.camera(), (192, 192))
    cases.append((save("astronaut.jpg", Image.fromarray(astronaut), quality=90), True))
    cases.append((save("chelsea.png", Image.fromarray(chelsea)), False))
    cases.append((save("coffee.webp", Image.fromarray(coffee), lossless=True), False))
    cases.append((save("coffee_lossy.webp", Image.fromarray(coffee), quality=80), True))
    cases.append((save("camera_grey.png", Image.fromarray(camera, "L")), False))
    cases.append(
        (save("camera_grey.jpg", Image.fromarray(camera, "L"), quality=90), True)
    )

    # Every format on the same generated pattern.
    base = Image.fromarray(pattern(64, 96, 1))
    cases.append((save("pattern.jpg", base, quality=95, subsampling=0), True))
    cases.append((save("pattern.png", base), False))
    cases.append((save("pattern.webp", base, lossless=True), False))
    cases.append((save("pattern.bmp", base), False))
    cases.append((save("pattern.tiff", base), False))
    cases.append((save("pattern.gif", base.quantize(64)), False))
    cases.append((save("pattern_palette.png", base.quantize(32)), False))

    # Odd sizes.
    cases.append(
        (
            save(
                "one_pixel.png", Image.fromarray(np.array([[[200, 30, 90]]], np.uint8))
            ),
            False,
        )
    )
    cases.append(
        (save("column_1x1000.png", Image.fromarray(pattern(1000, 1, 2))), False)
    )
    cases.append((save("odd_333x77.png", Image.fromarray(pattern(77, 333, 3))), False))
    cases.append(
        (save("odd_333x77.jpg", Image.fromarray(pattern(77, 333, 3)), quality=90), True)
    )
    cases.append((save("black.png", Image.new("RGB", (8, 5), (0, 0, 0))), False))

    # Alpha.
    rgba = np.dstack(
        [
            pattern(48, 40, 4),
            np.linspace(0, 255, 48 * 40).reshape(48, 40).astype(np.uint8),
        ]
    )
    cases.append((save("alpha_rgba.png", Image.fromarray(rgba, "RGBA")), False))
    la = np.dstack([camera[:40, :50], np.full((40, 50), 128, np.uint8)])
    cases.append((save("alpha_la.png", Image.fromarray(la, "LA")), False))

    # 16 bits per sample.
    grey16 = (np.linspace(0, 65535, 30 * 20).reshape(30, 20)).astype(np.uint16)
    cases.append((save("grey16.png", Image.fromarray(grey16)), False))
    rgb16 = (
        pattern(24, 32, 5).astype(np.uint32) * 257
        + np.arange(24 * 32 * 3).reshape(24, 32, 3) % 200
    ).astype(np.uint16)
    write_rgb16_png(OUT / "rgb16.png", rgb16)
    cases.append((OUT / "rgb16.png", False))

    # EXIF: orientations 1-8 and camera tags, in JPEG, PNG and WebP containers.
    small = Image.fromarray(pattern(24, 40, 6))
    for o in range(1, 9):
        exif = exif_block(make="Acme", model=f"Phone {o}", orientation=o)
        cases.append(
            (save(f"exif_orientation_{o}.jpg", small, quality=90, exif=exif), True)
        )
    full = exif_block(
        make="Canon",
        model="Canon EOS 5D",
        orientation=1,
        software="modelwatch fixtures",
        iso=400,
        exposure=(1, 250),
        focal=(50, 1),
    )
    cases.append((save("exif_full.jpg", small, quality=90, exif=full), True))
    phone = exif_block(
        make="Pixelcam",
        model="PC-9",
        orientation=6,
        iso=100,
        exposure=(1, 60),
        focal=(47, 10),
    )
    cases.append((save("exif_phone.png", small, exif=phone), False))
    cases.append((save("exif_phone.webp", small, lossless=True, exif=phone), False))

    records = [describe(path, lossy) for path, lossy in cases]

    # Bad files, with the reason modelwatch reports.
    truncated = (OUT / "astronaut.jpg").read_bytes()
    (OUT / "truncated.jpg").write_bytes(truncated[: len(truncated) * 3 // 5])
    chelsea_png = (OUT / "chelsea.png").read_bytes()
    (OUT / "truncated.png").write_bytes(chelsea_png[: len(chelsea_png) // 2])
    (OUT / "empty.jpg").write_bytes(b"")
    (OUT / "not_an_image.txt").write_text("id,photo\n1,this is not an image\n")
    bomb_png(OUT / "bomb_20000x20000.png", 20000, 20000)
    corrupt_png(OUT / "corrupt.png")
    bad = [
        ("truncated.jpg", "truncated"),
        ("truncated.png", "truncated"),
        ("empty.jpg", "empty"),
        ("not_an_image.txt", "unknown_format"),
        ("bomb_20000x20000.png", "too_many_pixels"),
        ("corrupt.png", "corrupt"),
    ]
    for name, reason in bad:
        # The peer's verdict on the same file, for the record.
        try:
            with Image.open(OUT / name) as img:
                img.load()
            pil = "decoded"
        except Exception as e:  # noqa: BLE001 - any PIL failure is the peer's verdict
            pil = type(e).__name__
        records.append(
            {
                "file": name,
                "lossy": False,
                "error": reason,
                "pil_error": pil,
                "expected": None,
            }
        )

    expected = {
        "generator": "scripts/gen_image_fixtures.py",
        "versions": {
            "numpy": np.__version__,
            "pillow": PIL.__version__,
            "scikit-image": skimage.__version__,
            "opencv": cv2.__version__,
        },
        "tolerance": {
            "lossless_relative": 1e-9,
            "lossless_absolute": 1e-9,
            "lossy_relative": 0.02,
            "lossy_absolute": 0.005,
            "note": "a value passes when |got - want| <= max(absolute, relative * |want|). "
            "lossless: the same pixels, only float summation order differs (seen: "
            "4e-13 relative). lossy (JPEG, lossy WebP): PIL and modelwatch use different "
            "decoders (seen: up to 1.5% relative on a share, 0.9% on a relative "
            "intensity, 0.2% on colorfulness, 0.1% on sharpness); the descriptors that "
            "do not depend on decoded pixels (format, size, EXIF) are compared exactly",
        },
        "images": records,
    }
    with open(OUT / "expected.json", "w") as f:
        json.dump(expected, f, indent=1, sort_keys=False)
        f.write("\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(records)} images, {total / 1e6:.2f} MB, to {OUT}")


if __name__ == "__main__":
    main()
