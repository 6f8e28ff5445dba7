#!/usr/bin/env python3
"""Image descriptors, whole process: modelwatch against deepchecks' image properties and
whylogs' image logging on the same folder of JPEG photos.

    python3 bench/image_descriptors.py target/release/modelwatch [--images 2000] [--runs 1]
        [--modelwatch-runs 3] [--sample-pixels 10000] [--skip deepchecks_every_pixel]
        [--data DIR] [--deepchecks-python PY] [--whylogs-python PY] [--skimage-python PY]

Runs with any python3 that has Pillow and numpy. The folder is built once and cached under
--data (default target/bench/images): --images generated photos of about 1024 x 768 (seeded;
gradients, noise, shapes and simple scenes, one in ten with an EXIF make and model, some in
portrait or 16:9), plus the real photographs that ship in scikit-image (`skimage.data`),
all as quality-90 JPEG. A smaller --images uses the first photos of the same sequence.

Each tool runs as a fresh process over every image of the folder, as a user would run it:

- modelwatch: `modelwatch report --reference SAMPLES --current FOLDER --preset summary --json
  OUT --quiet` (a folder is one row of 26 descriptors per image; the reference is the small
  folder of scikit-image photos, described as well; the summary preset reports the
  descriptors' means, which are compared below, and decoding and describing the images are
  over 90% of the process's CPU time, see docs/performance.md); every descriptor on every
  pixel, the default;
- modelwatch_sampled: the same command with `--image-sample-pixels N` (--sample-pixels,
  default 10,000, deepchecks' own sample size; 0 leaves this run out): the pixel descriptors
  on each image reduced to the smallest of 1/2, 1/4 and 1/8 of its size that keeps N pixels
  (1/8 of a 1024 x 768 photo is 128 x 96 = 12,288 pixels), geometry, file and EXIF exact;
- deepchecks 0.19 (`deepchecks.vision.utils.image_properties.calc_default_image_properties`,
  what a deepchecks vision check calls on every batch): each image loaded with PIL as an RGB
  array, batches of 64. By default deepchecks samples 10,000 pixels of each image for
  brightness, contrast and the relative intensities; a second run passes the image's pixel
  count so that it computes on every pixel, as modelwatch does;
- whylogs 1.6 (`whylogs.extras.image_metric`, the column schema of `init_image_schema`): each
  image opened with PIL and tracked into one dataset profile.

The time is the wall time of the whole process (interpreter start and imports included), the
peak memory the largest sum of the resident set sizes of the process and its children
(sampled every 10 ms, and never below the largest child's own peak from wait4). The tools run
in turn, modelwatch --modelwatch-runs times (default 3) and each peer --runs times (default
1); the median time and the largest peak are printed. The tools do not compute the
same set: the shared properties are width and height (all three), aspect ratio, area,
brightness, RMS contrast and the mean relative intensities (deepchecks) and the mean HSV
saturation (whylogs); modelwatch computes its 26 descriptors in the time shown, which
include all of those (it has no option to compute fewer: with the sample setting the
decoding of the file, not the descriptors, is most of the time). Before the times, the means over the folder of the shared properties
are compared (JPEG decoders differ a little: PIL uses libjpeg-turbo, modelwatch zune-jpeg).

Each peer needs its own virtual environment; the script creates it under --data with pip when
no python is given (deepchecks[vision] brings torch and its CUDA wheels, about 4 GB).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20
GENERATOR_VERSION = 1
JPEG_QUALITY = 90
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png"}
DEEPCHECKS_BATCH = 64

# Packages of each peer's virtual environment. deepchecks 0.19 predates numpy 2, pandas 3,
# scikit-learn 1.6 and setuptools 81 (it imports pkg_resources); whylogs 1.6 predates numpy 2.
VENV_PACKAGES = {
    "deepchecks": [
        "deepchecks[vision]==0.19.1",
        "torchvision",
        "numpy<2",
        "pandas<2.3",
        "scikit-learn<1.6",
        "category-encoders<2.7",
        "setuptools<81",
    ],
    "whylogs": ["whylogs[image]==1.6.4", "numpy<2"],
    "skimage": ["scikit-image", "pillow"],
}

# scikit-image's photographs (`skimage.data` functions), shipped inside the package.
SKIMAGE_PHOTOS = [
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "retina",
    "rocket",
    "coins",
    "brick",
    "grass",
    "gravel",
    "page",
]

PHONES = [("Pear", "Pear 14"), ("Orbit", "Orbit X5"), ("Lumo", "Lumo Snap 3")]
SIZES = [(1024, 768)] * 6 + [(768, 1024), (1024, 576), (1000, 750)]


# ----------------------------------------------------------------------------------------
# Data


def generated_photo(index):
    """The `index`-th generated photo, as (PIL image, exif bytes or None); deterministic."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng([SEED, index])
    width, height = SIZES[index % len(SIZES)]
    kind = index % 5
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    # A gradient between two random colours in a random direction is every photo's base.
    angle = rng.uniform(0, 2 * np.pi)
    t = (x * np.cos(angle) + y * np.sin(angle)) / max(width, height)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    pixels = c0 + (c1 - c0) * t[..., None]
    if kind in (1, 3):
        # Smooth blotches: coarse noise enlarged with bilinear interpolation.
        coarse = rng.normal(128, 40, (height // 48 + 2, width // 48 + 2, 3))
        small = Image.fromarray(np.clip(coarse, 0, 255).astype(np.uint8))
        blotches = np.asarray(small.resize((width, height), Image.Resampling.BILINEAR))
        pixels += blotches.astype(np.float32) - 128
    # Sensor noise on every photo, stronger on some.
    sigma = rng.uniform(2, 6) if kind in (0, 2, 4) else rng.uniform(6, 15)
    pixels += rng.normal(0, sigma, pixels.shape).astype(np.float32)
    image = Image.fromarray(np.clip(pixels * rng.uniform(0.6, 1.3), 0, 255).astype(np.uint8))
    if kind in (2, 3, 4):
        draw = ImageDraw.Draw(image)
        if kind == 4:
            # A horizon, a sun and a few houses.
            horizon = int(height * rng.uniform(0.45, 0.75))
            ground = tuple(int(v) for v in rng.integers(20, 140, 3))
            draw.rectangle([0, horizon, width, height], fill=ground)
            r = int(rng.integers(30, 90))
            cx, cy = int(rng.integers(r, width - r)), int(rng.integers(r, max(r + 1, horizon - r)))
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(250, 230, 120))
        for _ in range(int(rng.integers(3, 25))):
            x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
            x1 = x0 + int(rng.integers(10, width // 2))
            y1 = y0 + int(rng.integers(10, height // 2))
            fill = tuple(int(v) for v in rng.integers(0, 256, 3))
            if rng.random() < 0.5:
                draw.rectangle([x0, y0, x1, y1], fill=fill)
            else:
                draw.ellipse([x0, y0, x1, y1], fill=fill)
    exif = None
    if index % 10 == 0:
        make, model = PHONES[(index // 10) % len(PHONES)]
        tags = Image.Exif()
        tags[0x010F] = make
        tags[0x0110] = model
        exif = tags.tobytes()
    return image, exif


def write_generated(job):
    index, path = job
    image, exif = generated_photo(index)
    tmp = path.with_suffix(".tmp")
    kwargs = {"quality": JPEG_QUALITY}
    if exif is not None:
        kwargs["exif"] = exif
    image.save(tmp, "JPEG", **kwargs)
    os.replace(tmp, path)


def ensure_generated(data, count):
    """Writes the generated photos 0..count-1 under data/generated (those missing)."""
    import multiprocessing

    folder = data / "generated"
    stamp = folder / "generator.json"
    want = {"seed": SEED, "version": GENERATOR_VERSION, "quality": JPEG_QUALITY}
    if not stamp.exists() or json.loads(stamp.read_text()) != want:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        stamp.write_text(json.dumps(want))
    jobs = [(i, folder / f"photo_{i:05d}.jpg") for i in range(count)]
    jobs = [j for j in jobs if not j[1].exists()]
    if jobs:
        print(f"generating {len(jobs)} photos in {folder}", file=sys.stderr)
        t0 = time.perf_counter()
        with multiprocessing.Pool(os.cpu_count()) as pool:
            pool.map(write_generated, jobs, chunksize=16)
        print(f"  done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return [folder / f"photo_{i:05d}.jpg" for i in range(count)]


SKIMAGE_WRITER = """
import sys
from pathlib import Path
from PIL import Image
from skimage import data
out, quality = Path(sys.argv[1]), int(sys.argv[2])
for name in sys.argv[3:]:
    try:
        pixels = getattr(data, name)()
    except Exception as e:  # a photo this scikit-image does not ship
        print(f"skipped skimage.data.{name}: {e}", file=sys.stderr)
        continue
    Image.fromarray(pixels).save(out / f"{name}.jpg", "JPEG", quality=quality)
"""


def ensure_samples(data, skimage_python):
    """Writes scikit-image's photographs as JPEG under data/samples, once."""
    folder = data / "samples"
    if not any(folder.glob("*.jpg")):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([skimage_python, "-c", SKIMAGE_WRITER, str(folder), str(JPEG_QUALITY), *SKIMAGE_PHOTOS], check=True)
    return sorted(folder.glob("*.jpg"))


def build_folder(data, generated, samples):
    """The folder every tool reads: hard links to the generated photos and the samples."""
    folder = data / f"folder_{len(generated)}"
    shutil.rmtree(folder, ignore_errors=True)
    for sub, files in (("generated", generated), ("samples", samples)):
        (folder / sub).mkdir(parents=True)
        for f in files:
            os.link(f, folder / sub / f.name)
    return folder


def image_files(folder):
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)


# ----------------------------------------------------------------------------------------
# Virtual environments


def venv_python(tool, given, data):
    if given:
        return given
    if tool == "skimage":
        try:
            import skimage  # noqa: F401

            return sys.executable
        except ImportError:
            pass
    venv = data / f"venv-{tool}"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} ({', '.join(VENV_PACKAGES[tool])})", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *VENV_PACKAGES[tool]], check=True)
    return str(python)


def can_import(python, module):
    """None when `python` imports `module`, else the last line of its error."""
    r = subprocess.run(
        [python, "-W", "ignore", "-c", f"import {module}"],
        check=False,
        capture_output=True,
        text=True,
    )
    if r.returncode == 0:
        return None
    lines = (r.stderr or r.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit {r.returncode}"


# ----------------------------------------------------------------------------------------
# Workers: run inside each peer's virtual environment, print one JSON object


def worker_deepchecks(folder, every_pixel):
    import warnings

    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    import numpy as np
    from deepchecks.vision.utils.image_properties import calc_default_image_properties
    from PIL import Image

    imported = time.perf_counter() - t0
    files = image_files(folder)
    sums = {}
    for start in range(0, len(files), DEEPCHECKS_BATCH):
        batch = [np.asarray(Image.open(p).convert("RGB")) for p in files[start : start + DEEPCHECKS_BATCH]]
        if every_pixel:
            # A sample as large as the image keeps every pixel, in order.
            props = {}
            for img in batch:
                one = calc_default_image_properties([img], sample_n_pixels=img.shape[0] * img.shape[1])
                for k, v in one.items():
                    props.setdefault(k, []).extend(v)
        else:
            props = calc_default_image_properties(batch)
        for k, v in props.items():
            sums[k] = sums.get(k, 0.0) + float(np.sum(np.asarray(v, dtype=np.float64)))
    names = {
        "Aspect Ratio": "aspect_ratio",
        "Area": "area",
        "Brightness": "brightness",
        "RMS Contrast": "contrast",
        "Mean Red Relative Intensity": "mean_red",
        "Mean Green Relative Intensity": "mean_green",
        "Mean Blue Relative Intensity": "mean_blue",
    }
    means = {names[k]: s / len(files) for k, s in sums.items()}
    return {"images": len(files), "import_seconds": imported, "means": means}


def worker_whylogs(folder):
    import warnings

    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    from PIL import Image
    from whylogs.core import DatasetProfile
    from whylogs.extras.image_metric import init_image_schema

    imported = time.perf_counter() - t0
    files = image_files(folder)
    profile = DatasetProfile(schema=init_image_schema("image"))
    for p in files:
        with Image.open(p) as img:
            profile.track(row={"image": img})
    summary = profile.view().get_column("image").get_metric("image").to_summary_dict()
    means = {
        "width": summary["ImagePixelWidth:distribution/mean"],
        "height": summary["ImagePixelHeight:distribution/mean"],
        "saturation": summary["Saturation.mean:distribution/mean"],
    }
    return {
        "images": int(summary["ImagePixelWidth:counts/n"]),
        "import_seconds": imported,
        "means": means,
    }


# ----------------------------------------------------------------------------------------
# Timing


def tree_rss_kib(pid):
    """Resident set size of `pid` and its descendants, KiB (0 once it is gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def timed(cmd):
    """Runs `cmd`; returns (seconds, peak MB, stdout). Raises on a non-zero exit."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, tree_rss_kib(proc.pid))
            time.sleep(0.01)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = max(peak, usage.ru_maxrss)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}:\n{stderr[-3000:]}")
    return seconds, peak / 1024, stdout


def modelwatch_means(json_path):
    """Means of the current folder's descriptors from the summary preset's JSON."""
    results = json.loads(Path(json_path).read_text())
    means = {}
    for column in results["summary"]["columns"]:
        name = column.get("column", "")
        mean = ((column.get("current") or {}).get("numeric") or {}).get("mean")
        if name.startswith("image.") and isinstance(mean, (int, float)):
            means[name.removeprefix("image.")] = mean
    return means


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("modelwatch", nargs="?", default=str(ROOT / "target/release/modelwatch"))
    p.add_argument("--images", type=int, default=2000, help="generated photos (default 2000)")
    p.add_argument("--runs", type=int, default=1, help="runs of each peer (median time)")
    p.add_argument("--modelwatch-runs", type=int, default=3, help="runs of modelwatch (median)")
    p.add_argument("--data", type=Path, default=ROOT / "target/bench/images")
    p.add_argument("--deepchecks-python")
    p.add_argument("--whylogs-python")
    p.add_argument("--skimage-python")
    p.add_argument("--skip", default="", help="comma-separated tools not to run")
    p.add_argument(
        "--sample-pixels",
        type=int,
        default=10000,
        help="--image-sample-pixels of the modelwatch_sampled run (0: no such run)",
    )
    p.add_argument("--json", type=Path, help="write the figures to this file")
    p.add_argument("--worker", nargs=2, metavar=("TOOL", "FOLDER"), help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.worker:
        tool, folder = args.worker
        if tool == "deepchecks":
            result = worker_deepchecks(folder, every_pixel=False)
        elif tool == "deepchecks_every_pixel":
            result = worker_deepchecks(folder, every_pixel=True)
        else:
            result = worker_whylogs(folder)
        print(json.dumps(result))
        return

    data = args.data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))
    generated = ensure_generated(data, args.images)
    samples = ensure_samples(data, venv_python("skimage", args.skimage_python, data))
    folder = build_folder(data, generated, samples)
    reference = data / "samples"
    count = len(image_files(folder))
    megabytes = sum(f.stat().st_size for f in image_files(folder)) / 1e6
    print(
        f"folder: {count} JPEG images ({len(generated)} generated, {len(samples)} scikit-image "
        f"photos), {megabytes:.0f} MB, {folder}"
    )

    tools = {}
    out_json = {"modelwatch": data / "modelwatch.json", "modelwatch_sampled": data / "modelwatch_sampled.json"}
    modelwatch_runs = {"modelwatch": []}
    if args.sample_pixels and "modelwatch_sampled" not in skip:
        modelwatch_runs["modelwatch_sampled"] = ["--image-sample-pixels", str(args.sample_pixels)]
    for tool, extra in modelwatch_runs.items():
        tools[tool] = [
            args.modelwatch, "report", "--reference", str(reference), "--current", str(folder),
            "--preset", "summary", "--json", str(out_json[tool]), "--quiet", *extra,
        ]  # fmt: skip
    unavailable = {}
    for tool, module in (
        ("deepchecks", "deepchecks.vision.utils.image_properties"),
        ("whylogs", "whylogs.extras.image_metric"),
    ):
        if tool in skip:
            continue
        try:
            python = venv_python(tool, getattr(args, f"{tool}_python"), data)
        except subprocess.CalledProcessError as e:
            unavailable[tool] = f"could not be installed: {e}"
            continue
        problem = can_import(python, module)
        if problem:
            unavailable[tool] = f"{python} cannot import {module}: {problem}"
            continue
        worker = [python, "-W", "ignore", str(Path(__file__).resolve()), "--worker"]
        tools[tool] = [*worker, tool, str(folder)]
        if tool == "deepchecks" and "deepchecks_every_pixel" not in skip:
            tools["deepchecks_every_pixel"] = [*worker, "deepchecks_every_pixel", str(folder)]
    for tool, why in unavailable.items():
        print(f"{tool}: NOT MEASURED, {why}")

    runs = {tool: [] for tool in tools}
    outputs = {}
    for r in range(max(args.runs, args.modelwatch_runs)):
        for tool, cmd in tools.items():
            if r >= (args.modelwatch_runs if tool in modelwatch_runs else args.runs):
                continue
            seconds, peak, stdout = timed(cmd)
            runs[tool].append((seconds, peak))
            outputs[tool] = json.loads(stdout) if tool not in modelwatch_runs else None
            print(f"  run {r + 1} {tool}: {seconds:.2f} s, {peak:.0f} MB", file=sys.stderr)

    # The same properties, averaged over the folder, side by side.
    means = {"modelwatch": modelwatch_means(out_json["modelwatch"])}
    if "modelwatch_sampled" in tools:
        means["modelwatch_sampled"] = modelwatch_means(out_json["modelwatch_sampled"])
    for tool, out in outputs.items():
        if out:
            means[tool] = out["means"]
            if out["images"] != count:
                print(f"warning: {tool} saw {out['images']} images, not {count}")
    print(
        "\nmeans over the folder, relative difference to modelwatch's every-pixel means (the peers' on "
        "PIL's pixels; deepchecks by default on 10,000 sampled pixels)"
    )
    print(f"{'property':<14} {'modelwatch':>14} " + " ".join(f"{t:>22}" for t in means if t != "modelwatch"))
    for prop in ["width", "height", "aspect_ratio", "area", "brightness", "contrast",
                 "mean_red", "mean_green", "mean_blue", "saturation"]:  # fmt: skip
        mw = means["modelwatch"].get(prop)
        cells = []
        for tool, m in means.items():
            if tool == "modelwatch":
                continue
            v = m.get(prop)
            if v is None:
                cells.append(f"{'':>22}")
            else:
                rel = abs(v - mw) / abs(mw) if mw else float("nan")
                cells.append(f"{v:>13.6g} ({rel:6.2%})")
        print(f"{prop:<14} {mw:>14.6g} " + " ".join(cells))

    summary = {}
    print(f"\n{'tool':<24} {'wall s':>8} {'images/s':>9} {'peak MB':>8}  runs")
    for tool, rs in runs.items():
        seconds = statistics.median(s for s, _ in rs)
        peak = max(m for _, m in rs)
        extra = outputs.get(tool) or {}
        summary[tool] = {
            "seconds": seconds,
            "images_per_second": count / seconds,
            "peak_mb": peak,
            "runs": [s for s, _ in rs],
            "import_seconds": extra.get("import_seconds"),
        }
        runs_text = ", ".join(f"{s:.2f}" for s, _ in rs)
        print(f"{tool:<24} {seconds:>8.2f} {count / seconds:>9.1f} {peak:>8.0f}  {runs_text}")
    for tool in ("deepchecks", "whylogs"):
        if summary.get(tool, {}).get("import_seconds") is not None:
            print(f"  {tool} imports: {summary[tool]['import_seconds']:.2f} s of its time")
    peers = [t for t in ("deepchecks", "whylogs") if t in summary]
    if peers:
        faster = min(peers, key=lambda t: summary[t]["seconds"])
        ratio = summary[faster]["seconds"] / summary["modelwatch"]["seconds"]
        print(f"\nmodelwatch (every pixel) vs the faster peer ({faster}): {ratio:.1f}x faster, whole process")
        summary["ratio_vs_faster_peer"] = {"peer": faster, "ratio": ratio}
        if "modelwatch_sampled" in summary:
            r = summary[faster]["seconds"] / summary["modelwatch_sampled"]["seconds"]
            print(
                f"modelwatch --image-sample-pixels {args.sample_pixels} vs the faster peer ({faster}): "
                f"{r:.1f}x faster, whole process"
            )
            summary["sampled_ratio_vs_faster_peer"] = {"peer": faster, "ratio": r}
            for peer in peers:
                r = summary[peer]["seconds"] / summary["modelwatch_sampled"]["seconds"]
                print(f"  vs {peer}: {r:.1f}x")
        if "deepchecks_every_pixel" in summary:
            r = summary["deepchecks_every_pixel"]["seconds"] / summary["modelwatch"]["seconds"]
            print(f"modelwatch vs deepchecks on every pixel (the same numbers): {r:.1f}x")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    summary["unavailable"] = unavailable
    summary["images"] = count
    summary["load_average"] = load
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
