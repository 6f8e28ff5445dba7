#!/usr/bin/env python3
"""Generate examples/multivariate/{reference,current}.csv: drift that per-column tests miss.

Two columns, `x1` and `x2`, are standard normal on both sides, but their correlation is +0.8
in the reference and -0.8 in the current data: every marginal distribution is unchanged, the
joint distribution is not. Two more columns do not change at all: `x3` (normal, mean 5,
standard deviation 2) and `segment` (a category of three levels with fixed shares).

The script checks what the example is for: scipy's two-sample KS test passes (p > 0.05) on
every numerical column. The seed was chosen once and is fixed; the data are rounded to 4
decimals, and the check runs on the rounded values.

Run from the repository root (numpy, pandas and scipy are enough):

    python3 scripts/gen_multivariate_example.py
"""

import os
import sys

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "examples", "multivariate")
ROWS = 2000
SEED = 20261205


def side(rng: np.random.Generator, rho: float) -> pd.DataFrame:
    cov = np.array([[1.0, rho], [rho, 1.0]])
    xy = rng.multivariate_normal([0.0, 0.0], cov, size=ROWS)
    return pd.DataFrame(
        {
            "x1": xy[:, 0].round(4),
            "x2": xy[:, 1].round(4),
            "x3": (5.0 + 2.0 * rng.standard_normal(ROWS)).round(4),
            "segment": rng.choice(["a", "b", "c"], size=ROWS, p=[0.5, 0.3, 0.2]),
        }
    )


def main() -> int:
    rng = np.random.default_rng(SEED)
    reference = side(rng, 0.8)
    current = side(rng, -0.8)
    for column in ["x1", "x2", "x3"]:
        p = ks_2samp(reference[column], current[column]).pvalue
        print(f"{column}: KS p-value {p:.4f}")
        if p <= 0.05:
            print(f"{column} fails the KS test: choose another seed", file=sys.stderr)
            return 1
    os.makedirs(OUT, exist_ok=True)
    reference.to_csv(os.path.join(OUT, "reference.csv"), index=False)
    current.to_csv(os.path.join(OUT, "current.csv"), index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
