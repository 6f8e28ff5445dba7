#!/usr/bin/env python3
"""Generate the target-drift parity fixtures in tests/fixtures/target/ from Evidently 0.7.

For every case this writes `reference.csv`, `current.csv` and `expected.json` into
`tests/fixtures/target/<case>/`. The data comes from fixed seeds; the expected numbers come
from Evidently 0.7.23's legacy `TargetDriftPreset` (`evidently.legacy.report.Report` with a
`ColumnMapping`) run on the CSV files *as read back by pandas* (`float_precision="round_trip"`):

  * the drift of the target and the prediction (`ColumnDriftMetric`: method, threshold,
    score, verdict);
  * the drift of each class-probability column (`ColumnDriftMetric` on that column as a
    numerical column: the preset itself only reaches probabilities together with a label
    prediction, which legacy `ColumnMapping` cannot express);
  * the correlations of the target and the prediction with the features in both datasets
    (`ColumnCorrelationsMetric`: Pearson / Spearman / Kendall via pandas `Series.corr` for a
    numerical column and numerical features, Cramér's V via Evidently's `_cramer_v` for a
    categorical column and categorical features).

Column types are given explicitly (`ColumnMapping(numerical_features=..., categorical_features=...,
task=...)`) and written to `column_types` so that modelwatch is told the same types. NaN
values are written as null.

Run from the repository root:

    python3 scripts/gen_target_fixtures.py            # all cases
    python3 scripts/gen_target_fixtures.py numerical_target

It re-executes itself under the pinned reference Python (see scripts/reference_env.py).
"""

import json
import math
import os
import shutil
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_env import ROOT, ensure_reference_python

ensure_reference_python(need_evidently=True)

import evidently
import numpy as np
import pandas as pd
import scipy
from evidently.legacy.calculations.stattests.registry import _registered_stat_tests
from evidently.legacy.metric_preset import TargetDriftPreset
from evidently.legacy.metrics import ColumnDriftMetric
from evidently.legacy.pipeline.column_mapping import ColumnMapping
from evidently.legacy.report import Report

OUT_DIR = ROOT / "tests" / "fixtures" / "target"

DISPLAY_TO_NAME = {
    test.display_name: name for name, by_type in _registered_stat_tests.items() for test in by_type.values()
}


# --------------------------------------------------------------------------- data


def sprinkle(values, rng, n_nan=0, n_posinf=0, n_neginf=0):
    values = np.asarray(values, dtype=float).copy()
    idx = rng.choice(len(values), size=n_nan + n_posinf + n_neginf, replace=False)
    values[idx[:n_nan]] = np.nan
    values[idx[n_nan : n_nan + n_posinf]] = np.inf
    values[idx[n_nan + n_posinf :]] = -np.inf
    return values


def labels_with_missing(values, rng, n_nan):
    out = np.asarray(values, dtype=object).copy()
    out[rng.choice(len(out), size=n_nan, replace=False)] = None
    return out


def numerical_side(rng, n, shift, n_nan):
    x1 = rng.normal(0, 1, n)
    x2 = rng.integers(0, 40, n)  # ints with many ties, > 10 distinct
    x3 = np.round(rng.normal(0, 1, n), 1)  # heavy ties
    noise = rng.normal(0, 0.5, n)
    target = np.round(2.0 * x1 + 0.1 * x2 - x3 + shift + noise, 2)
    prediction = 2.0 * x1 + 0.1 * x2 + shift * 0.5
    cat = rng.choice(["a", "b", "c"], n)
    return {
        "x1": sprinkle(x1, rng, n_nan=n_nan, n_posinf=1),
        "x2": x2,
        "x3": sprinkle(x3, rng, n_nan=n_nan),
        "x_const": np.full(n, 5.0),
        "cat": labels_with_missing(cat, rng, n_nan),
        "target": sprinkle(target, rng, n_nan=n_nan, n_neginf=1),
        "prediction": sprinkle(prediction, rng, n_nan=n_nan),
    }


NUMERICAL_TYPES = {
    "x1": "numerical",
    "x2": "numerical",
    "x3": "numerical",
    "x_const": "numerical",
    "cat": "categorical",
    "target": "numerical",
    "prediction": "numerical",
}


def case_numerical_target():
    rng = np.random.default_rng(11)
    return {
        "ref": numerical_side(rng, 300, 0.0, 7),
        "cur": numerical_side(rng, 240, 0.4, 5),
        "types": NUMERICAL_TYPES,
        "task": "regression",
        "target": "target",
        "prediction": "prediction",
        "proba": [],
    }


def case_numerical_target_large():
    # Over 1000 values: the default rule picks Wasserstein for numerical columns.
    rng = np.random.default_rng(12)
    return {
        "ref": numerical_side(rng, 1500, 0.0, 20),
        "cur": numerical_side(rng, 1200, 0.1, 15),
        "types": NUMERICAL_TYPES,
        "task": "regression",
        "target": "target",
        "prediction": None,
        "proba": [],
    }


def categorical_side(rng, n, probs, n_nan):
    target = rng.choice(["bird", "cat", "dog"], n, p=probs)
    flip = rng.random(n) < 0.3
    prediction = np.where(flip, rng.choice(["bird", "cat", "dog"], n), target)
    # c1 follows the target loosely; c2 is an unrelated small integer code; x is numerical.
    c1 = np.where(rng.random(n) < 0.6, np.char.upper(target.astype(str)), rng.choice(["BIRD", "CAT", "DOG"], n))
    c2 = rng.integers(0, 4, n)
    colour = rng.choice(["red", "green"], n)
    return {
        "c1": labels_with_missing(c1, rng, n_nan),
        "c2": c2,
        "colour": colour,
        "one_level": np.full(n, "same", dtype=object),
        "x": rng.normal(0, 1, n),
        "target": labels_with_missing(target, rng, n_nan),
        "prediction": prediction,
    }


def case_categorical_target():
    rng = np.random.default_rng(21)
    return {
        "ref": categorical_side(rng, 400, [0.3, 0.4, 0.3], 6),
        "cur": categorical_side(rng, 350, [0.5, 0.3, 0.2], 4),
        "types": {
            "c1": "categorical",
            "c2": "categorical",
            "colour": "categorical",
            "one_level": "categorical",
            "x": "numerical",
            "target": "categorical",
            "prediction": "categorical",
        },
        "task": "classification",
        "target": "target",
        "prediction": "prediction",
        "proba": [],
    }


def binary_side(rng, n, base):
    score = rng.normal(base, 1.0, n)
    p1 = np.round(1.0 / (1.0 + np.exp(-score)), 4)  # rounded: ties in the probabilities
    target = (rng.random(n) < p1).astype(int)
    prediction = (p1 >= 0.5).astype(int)
    segment = np.where(score + rng.normal(0, 1, n) > 0, "high", "low")
    return {
        "segment": segment,
        "plan": rng.choice(["basic", "pro", "team"], n),
        "age": rng.integers(18, 80, n),
        "target": target,
        "prediction": prediction,
        "p0": np.round(1.0 - p1, 4),
        "p1": p1,
    }


def case_binary_proba():
    rng = np.random.default_rng(31)
    return {
        "ref": binary_side(rng, 500, 0.0),
        "cur": binary_side(rng, 450, 0.5),
        "types": {
            "segment": "categorical",
            "plan": "categorical",
            "age": "numerical",
            "target": "categorical",
            "prediction": "categorical",
        },
        "task": "classification",
        "target": "target",
        "prediction": "prediction",
        "proba": ["p0", "p1"],
    }


CASES = {
    "numerical_target": case_numerical_target,
    "numerical_target_large": case_numerical_target_large,
    "categorical_target": case_categorical_target,
    "binary_proba": case_binary_proba,
}


# --------------------------------------------------------------------------- evidently


def _finite_or_none(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _drift_entry(result):
    name = result["stattest_name"]
    return {
        "column": result["column_name"],
        "type": result["column_type"],
        "method": DISPLAY_TO_NAME.get(name, name),
        "threshold": result["stattest_threshold"],
        "score": _finite_or_none(result["drift_score"]),
        "drifted": bool(result["drift_detected"]),
    }


def run_evidently(ref, cur, case):
    types = case["types"]
    role_columns = {case["target"], case["prediction"], *case["proba"]}
    features = [c for c in ref.columns if c not in role_columns]
    mapping = ColumnMapping(
        target=case["target"],
        prediction=case["prediction"],
        numerical_features=[c for c in features if types[c] == "numerical"],
        categorical_features=[c for c in features if types[c] == "categorical"],
        task=case["task"],
    )
    drift, correlations = {}, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = Report(metrics=[TargetDriftPreset()])
        report.run(reference_data=ref, current_data=cur, column_mapping=mapping)
        metrics = report.as_dict()["metrics"]
        if case["proba"]:
            proba_report = Report(metrics=[ColumnDriftMetric(column_name=p) for p in case["proba"]])
            proba_report.run(
                reference_data=ref[case["proba"]],
                current_data=cur[case["proba"]],
                column_mapping=ColumnMapping(target=None, prediction=None, numerical_features=case["proba"]),
            )
            metrics += proba_report.as_dict()["metrics"]
    for metric in metrics:
        kind, result = metric["metric"], metric["result"]
        if kind == "ColumnDriftMetric":
            drift[result["column_name"]] = _drift_entry(result)
        elif kind == "ColumnCorrelationsMetric":
            by = result["column_name"]
            per_feature = {}
            for dataset in ("reference", "current"):
                for corr_kind, corr in (result[dataset] or {}).items():
                    for feature, value in zip(corr["values"]["x"], corr["values"]["y"]):
                        entry = per_feature.setdefault(
                            feature,
                            {
                                "column": by,
                                "feature": feature,
                                "kind": "categorical" if corr_kind == "cramer_v" else "numerical",
                                "reference": {},
                                "current": {},
                            },
                        )
                        key = "cramers_v" if corr_kind == "cramer_v" else corr_kind
                        entry[dataset][key] = _finite_or_none(value)
            correlations.extend(per_feature.values())
    return drift, correlations


# --------------------------------------------------------------------------- writing


def write_case(name, case):
    out = OUT_DIR / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    ref_df, cur_df = pd.DataFrame(case["ref"]), pd.DataFrame(case["cur"])
    # Python's repr of a float is the shortest exact round-trip form.
    ref_df.to_csv(out / "reference.csv", index=False, float_format=None)
    cur_df.to_csv(out / "current.csv", index=False, float_format=None)
    ref = pd.read_csv(out / "reference.csv", float_precision="round_trip")
    cur = pd.read_csv(out / "current.csv", float_precision="round_trip")
    for src, back in ((ref_df, ref), (cur_df, cur)):
        for col in src.columns:
            if src[col].dtype == float:
                assert np.array_equal(src[col].to_numpy(), back[col].to_numpy(), equal_nan=True), col

    drift, correlations = run_evidently(ref, cur, case)
    expected = {
        "case": name,
        "evidently_version": evidently.__version__,
        "pandas_version": pd.__version__,
        "scipy_version": scipy.__version__,
        "column_types": case["types"],
        "task": case["task"],
        "target_column": case["target"],
        "prediction_column": case["prediction"],
        "prediction_proba": case["proba"],
        "target": drift.get(case["target"]),
        "prediction": drift.get(case["prediction"]) if case["prediction"] else None,
        "prediction_proba_drift": [drift[p] for p in case["proba"]],
        "correlations": correlations,
    }
    with open(out / "expected.json", "w") as fh:
        json.dump(expected, fh, indent=1, allow_nan=False)
        fh.write("\n")
    return expected


def main(argv):
    wanted = argv or list(CASES)
    unknown = [w for w in wanted if w not in CASES]
    if unknown:
        sys.exit(f"unknown case(s): {unknown}; known: {list(CASES)}")
    for name in wanted:
        expected = write_case(name, CASES[name]())
        t = expected["target"]
        print(
            f"{name}: target {t['method']}={t['score']}, {len(expected['correlations'])} correlations, "
            f"{len(expected['prediction_proba_drift'])} probability columns"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
