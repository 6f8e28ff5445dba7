#!/usr/bin/env python3
"""Generate the multivariate drift parity fixtures in tests/fixtures/multivariate/ from NannyML 0.13.

For every case the script writes (or, for `correlation_flip`, reads the committed example in
examples/multivariate/) a reference and an analysis CSV, reads them back with pandas (so
NannyML sees exactly the values in the files), runs NannyML's

  * `DataReconstructionDriftCalculator` with its defaults (default chunking: chunks of
    len // 10 rows plus a chunk of the remainder), and
  * `DomainClassifierCalculator` with its defaults (LightGBM, 5-fold stratified CV,
    thresholds 0.45 / 0.65),

and writes `tests/fixtures/multivariate/<case>/expected.json`: the column kinds, the chunk
boundaries, the reconstruction error of every reference and analysis chunk, both thresholds,
the alerts, and the domain classifier's AUC and alert for every analysis chunk.

The cases are drawn from fixed seeds: the correlation flip of the example; mixed numerical
and categorical columns with missing values, an unseen category and a shift in the second
half; eight correlated numerical columns without drift; three columns with a mean shift
growing chunk by chunk (AUCs across the whole band).

Needs NannyML 0.13 (`pip install "nannyml==0.13.*"`, which brings LightGBM and
category_encoders) in its own environment, for example:

    OMP_NUM_THREADS=1 $NANNYML_VENV/bin/python scripts/gen_nannyml_multivariate_fixtures.py

(one LightGBM thread is much faster on a busy machine and gives the same fixtures). NannyML's
usage telemetry is switched off. Pass case names to regenerate only some cases.
"""

import json
import os
import sys
import warnings

import numpy as np
import pandas as pd

# NannyML sends usage statistics unless told not to.
os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "multivariate")


def correlation_flip():
    example = os.path.join("examples", "multivariate")
    return (
        os.path.join(example, "reference.csv"),
        os.path.join(example, "current.csv"),
        None,
        None,
    )


def mixed_missing():
    rng = np.random.default_rng(101)

    def side(rows, shift, shares, with_unknown):
        a = rng.standard_normal(rows)
        b = 0.7 * a + 0.5 * rng.standard_normal(rows) + shift
        c = rng.gamma(2.0, 1.5, rows)
        d = rng.uniform(-3, 3, rows)
        colour = rng.choice(["red", "green", "blue"], size=rows, p=shares).astype(
            object
        )
        if with_unknown:
            colour[rng.random(rows) < 0.05] = "purple"
        size = rng.choice(
            ["s", "m", "l", "xl"], size=rows, p=[0.1, 0.4, 0.4, 0.1]
        ).astype(object)
        frame = pd.DataFrame(
            {
                "a": a.round(6),
                "b": b.round(6),
                "c": c.round(6),
                "d": d.round(6),
                "colour": colour,
                "size": size,
            }
        )
        for column in ["a", "c", "colour", "size"]:
            frame.loc[rng.random(rows) < 0.04, column] = np.nan
        return frame

    reference = side(1005, 0.0, [0.5, 0.3, 0.2], False)
    analysis = pd.concat(
        [
            side(500, 0.0, [0.5, 0.3, 0.2], False),
            side(500, 0.6, [0.2, 0.3, 0.5], True),
        ],
        ignore_index=True,
    )
    return None, None, reference, analysis


def wide_no_drift():
    rng = np.random.default_rng(202)
    loadings = rng.standard_normal((3, 8))

    def side(rows):
        latent = rng.standard_normal((rows, 3))
        values = latent @ loadings + 0.5 * rng.standard_normal((rows, 8))
        return pd.DataFrame({f"f{i}": values[:, i].round(6) for i in range(8)})

    return None, None, side(1500), side(1000)


def growing_shift():
    rng = np.random.default_rng(303)

    def side(rows, shift):
        x = rng.standard_normal(rows) + shift
        y = rng.standard_normal(rows)
        z = rng.exponential(1.0, rows)
        return pd.DataFrame({"x": x.round(6), "y": y.round(6), "z": z.round(6)})

    reference = side(1000, 0.0)
    analysis = pd.concat([side(100, 0.12 * k) for k in range(10)], ignore_index=True)
    return None, None, reference, analysis


CASES = {
    "correlation_flip": correlation_flip,
    "mixed_missing": mixed_missing,
    "wide_no_drift": wide_no_drift,
    "growing_shift": growing_shift,
}


def chunk_bounds(frame):
    return [
        [int(row["start_index"]), int(row["end_index"]) + 1]
        for _, row in frame.iterrows()
    ]


def run_case(name, make):
    import nannyml as nml

    reference_path, analysis_path, reference, analysis = make()
    case_dir = os.path.join(OUT, name)
    os.makedirs(case_dir, exist_ok=True)
    if reference is not None:
        reference_path = os.path.join(
            "tests", "fixtures", "multivariate", name, "reference.csv"
        )
        analysis_path = os.path.join(
            "tests", "fixtures", "multivariate", name, "analysis.csv"
        )
        reference.to_csv(os.path.join(ROOT, reference_path), index=False)
        analysis.to_csv(os.path.join(ROOT, analysis_path), index=False)
    reference = pd.read_csv(os.path.join(ROOT, reference_path))
    analysis = pd.read_csv(os.path.join(ROOT, analysis_path))
    columns = list(reference.columns)
    kinds = {
        c: ("categorical" if reference[c].dtype == object else "numerical")
        for c in columns
    }

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        drc = nml.DataReconstructionDriftCalculator(column_names=columns)
        drc.fit(reference)
        result = drc.calculate(analysis).to_df()
        dc = nml.DomainClassifierCalculator(feature_column_names=columns)
        dc.fit(reference)
        dc_result = dc.calculate(analysis).to_df()

    def period(frame, which):
        return frame[frame[("chunk", "period")] == which]

    rec = ("reconstruction_error",)
    ref_rows = period(result, "reference")
    ana_rows = period(result, "analysis")
    dc_rows = period(dc_result, "analysis")
    expected = {
        "case": name,
        "nannyml_version": nml.__version__,
        "reference": reference_path,
        "analysis": analysis_path,
        "columns": [{"name": c, "kind": kinds[c]} for c in columns],
        "components": int(drc._pca.n_components_),
        "reconstruction": {
            "reference_chunks": chunk_bounds(ref_rows["chunk"]),
            "reference_errors": [float(v) for v in ref_rows[rec + ("value",)]],
            "analysis_chunks": chunk_bounds(ana_rows["chunk"]),
            "analysis_errors": [float(v) for v in ana_rows[rec + ("value",)]],
            "analysis_alerts": [bool(v) for v in ana_rows[rec + ("alert",)]],
            "lower_threshold": float(drc.lower_threshold_value),
            "upper_threshold": float(drc.upper_threshold_value),
        },
        "domain_classifier": {
            "analysis_chunks": chunk_bounds(dc_rows["chunk"]),
            "auc": [float(v) for v in dc_rows[("domain_classifier_auroc", "value")]],
            "alerts": [bool(v) for v in dc_rows[("domain_classifier_auroc", "alert")]],
            "lower_threshold": 0.45,
            "upper_threshold": 0.65,
        },
    }
    with open(os.path.join(case_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(
        f"{name}: {len(columns)} columns, {expected['components']} components, "
        f"{len(expected['reconstruction']['analysis_errors'])} analysis chunks, "
        f"AUCs {[round(a, 3) for a in expected['domain_classifier']['auc']]}"
    )


def main() -> int:
    names = sys.argv[1:] or list(CASES)
    for name in names:
        run_case(name, CASES[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
