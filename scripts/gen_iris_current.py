#!/usr/bin/env python3
"""Simulate drifting API traffic for the Iris example: writes examples/iris/current.csv.

The traffic is a deterministic resample (fixed seed) of examples/iris/reference.csv
as if served by a model behind an API after a sensor change:

* sepal_length / sepal_width: the same flowers re-measured with small noise
  (should not drift);
* petal_length / petal_width: a new sensor that reads about 15-20 % high plus an
  offset (should drift);
* timestamp: ISO-8601 UTC request times, exponential gaps of ~4 minutes;
* prediction: the species a simple petal-threshold model predicts from the
  drifted inputs.

Run from the repository root (numpy only):

    python3 scripts/gen_iris_current.py [--seed 7] [--rows 200]
"""

import argparse
import csv
import datetime as dt
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_env import ROOT

try:
    import numpy as np
except ImportError:  # fall back to the pinned environment
    from reference_env import ensure_reference_python

    ensure_reference_python(need_evidently=False)
    import numpy as np

REFERENCE = ROOT / "examples" / "iris" / "reference.csv"
CURRENT = ROOT / "examples" / "iris" / "current.csv"
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def predict(petal_length: float, petal_width: float) -> str:
    """The 'deployed model': two petal thresholds fitted on the reference data."""
    if petal_length < 2.45:
        return "setosa"
    return "versicolor" if petal_width < 1.75 else "virginica"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    with open(REFERENCE, newline="") as fh:
        rows = list(csv.DictReader(fh))
    ref = np.array([[float(r[f]) for f in FEATURES] for r in rows])

    picked = ref[rng.integers(0, len(ref), args.rows)]
    sepal = picked[:, :2] + rng.normal(0.0, 0.05, (args.rows, 2))
    petal_length = picked[:, 2] * 1.15 + 0.3 + rng.normal(0.0, 0.05, args.rows)
    petal_width = picked[:, 3] * 1.2 + 0.1 + rng.normal(0.0, 0.03, args.rows)
    values = np.column_stack([sepal, petal_length, np.maximum(petal_width, 0.1)])

    start = dt.datetime(2024, 5, 1, 8, 0, 0, tzinfo=dt.UTC)
    offsets = np.cumsum(rng.exponential(240.0, args.rows))

    with open(CURRENT, "w", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["timestamp", *FEATURES, "prediction"])
        for offset, row in zip(offsets, values):
            stamp = (start + dt.timedelta(seconds=int(offset))).strftime("%Y-%m-%dT%H:%M:%SZ")
            feats = [round(float(v), 1) for v in row]
            out.writerow([stamp, *(f"{v:.1f}" for v in feats), predict(feats[2], feats[3])])
    print(f"wrote {args.rows} rows to {CURRENT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
