#!/usr/bin/env python3
"""Generate the model-quality parity fixtures in tests/fixtures/model_quality/.

For every case this writes `reference.csv`, `current.csv` and `expected.json` into
`tests/fixtures/model_quality/<case>/`. Data come from fixed seeds; the CSV files are
written with repr-exact floats and read back with `float_precision="round_trip"` before
any number is computed, so the scored data and the committed data are the same.

Expected numbers:
  * `reference` / `current`: scikit-learn calls made the way Evidently 0.7's legacy
    `calculate_metrics` (classification) and `_calculate_quality_metrics` (regression)
    make them. For classification they are checked against Evidently 0.7.23's own
    `ClassificationQualityMetric` / `ClassificationQualityByClass` (legacy report with the
    column mapping the new `ClassificationPreset` builds) to 1e-12; Evidently's values are
    stored under `evidently` for reference.
  * regression: MAPE is `100 * mean(|e| / |y|)` over rows with `|y| > eps` and its std is in
    percent too; Evidently's differing values (current zeros scored as 100%, std as a
    fraction) are stored under `evidently` and not asserted.
  * `dummy`: the baseline modelwatch defines (sklearn `DummyClassifier(strategy="prior")`
    / `DummyRegressor(strategy="mean")` fitted on the reference target, or on the current
    one when the reference has none), scored on the current rows. Evidently 0.7.23's dummy
    metrics are a different (random / data-peeking) construction and are not used.

Requirements: the pinned stack of scripts/python_env.sh plus scikit-learn (Evidently
already depends on it; the fixtures were made with scikit-learn 1.9.1).

    python3 scripts/gen_model_quality_fixtures.py          # all cases
    python3 scripts/gen_model_quality_fixtures.py binary_proba
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
import sklearn
from evidently.legacy.metrics import (
    ClassificationQualityByClass,
    ClassificationQualityMetric,
    RegressionQualityMetric,
)
from evidently.legacy.pipeline.column_mapping import ColumnMapping
from evidently.legacy.report import Report as LegacyReport
from sklearn import metrics as skm
from sklearn.dummy import DummyClassifier, DummyRegressor

warnings.filterwarnings("ignore")
OUT_DIR = ROOT / "tests" / "fixtures" / "model_quality"
EPS = np.finfo(np.float64).eps


def clean(v):
    """JSON-safe float: None for NaN / inf / None."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


# --------------------------------------------------------------------------- labels


def label_text(v):
    """modelwatch's label text: integers as integers, booleans as True/False."""
    if isinstance(v, (bool, np.bool_)):
        return "True" if v else "False"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def sort_labels(labels):
    try:
        return sorted(labels, key=int)
    except ValueError:
        return sorted(labels)


# --------------------------------------------------------------------------- classification


def clf_metrics(y, pred, labels, pos, proba):
    """Evidently's calculate_metrics with sklearn, on label text.

    y, pred: arrays of label text; labels: the task's labels; pos: positive label or None;
    proba: None or dict label -> probability array (columns in Evidently's order).
    """
    labels = sort_labels(labels)
    out = {"rows": len(y), "labels": labels, "pos_label": pos if len(labels) == 2 else None}
    out["accuracy"] = skm.accuracy_score(y, pred)
    if len(labels) == 2:
        out["precision"] = skm.precision_score(y, pred, pos_label=pos, zero_division=0)
        out["recall"] = skm.recall_score(y, pred, pos_label=pos, zero_division=0)
        out["f1"] = skm.f1_score(y, pred, pos_label=pos, zero_division=0)
        cm = skm.confusion_matrix(y, pred, labels=labels)
        i = labels.index(pos)
        tp = cm[i, i]
        fp = cm[:, i].sum() - tp
        fn = cm[i, :].sum() - tp
        tn = cm.sum() - tp - fp - fn
        div = lambda a, b: a / b if b else None
        out.update(tpr=div(tp, tp + fn), tnr=div(tn, tn + fp), fpr=div(fp, fp + tn), fnr=div(fn, fn + tp))
    else:
        out["precision"] = skm.precision_score(y, pred, average="macro", zero_division=0)
        out["recall"] = skm.recall_score(y, pred, average="macro", zero_division=0)
        out["f1"] = skm.f1_score(y, pred, average="macro", zero_division=0)
        out.update(tpr=None, tnr=None, fpr=None, fnr=None)
    cm = skm.confusion_matrix(y, pred, labels=labels)
    out["confusion_matrix"] = {"labels": labels, "values": cm.tolist()}
    p, r, f, s = skm.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    per = {}
    for k, lab in enumerate(labels):
        per[lab] = {"precision": p[k], "recall": r[k], "f1": f[k], "support": int(s[k]), "roc_auc": None}
    out["roc_auc"] = None
    out["log_loss"] = None
    if proba is not None:
        cols = list(proba.keys())
        onehot = (np.asarray(y).reshape(-1, 1) == np.array(cols)).astype(int)
        mat = np.column_stack([proba[c] for c in cols])
        aucs = skm.roc_auc_score(onehot, mat, average=None)
        for c, a in zip(cols, np.atleast_1d(aucs)):
            per[c]["roc_auc"] = clean(a)
        out["roc_auc"] = clean(skm.roc_auc_score(onehot, mat, average="macro"))
        out["log_loss"] = clean(skm.log_loss(onehot, mat))
    out["roc_curves"] = roc_curves(y, labels, pos, proba)
    out["per_label"] = per
    return {k: (clean(v) if isinstance(v, (float, np.floating)) else v) for k, v in out.items()}


ROC_MAX_POINTS = 200  # modelwatch thins longer curves; the fixtures stay below it


def roc_curves(y, labels, pos, proba):
    """sklearn.metrics.roc_curve of the positive label (binary) or of every probability
    column (multiclass), skipping a label whose one-vs-rest target has one outcome. The
    first threshold, sklearn's inf, is written as null."""
    if proba is None:
        return []
    out = []
    for lab, scores in proba.items():
        if len(labels) == 2 and lab != pos:
            continue
        positive = np.asarray(y) == lab
        if positive.all() or not positive.any():
            continue
        fpr, tpr, thr = skm.roc_curve(positive.astype(int), scores, drop_intermediate=True)
        assert len(fpr) <= ROC_MAX_POINTS, (lab, len(fpr))
        out.append(
            {
                "label": lab,
                "fpr": [float(v) for v in fpr],
                "tpr": [float(v) for v in tpr],
                "thresholds": [None if not math.isfinite(v) else float(v) for v in thr],
                "points": len(fpr),
            }
        )
    return out


def is_probability(series):
    """A float prediction column with a non-integer value holds probabilities."""
    v = series.replace([np.inf, -np.inf], np.nan).dropna()
    return pd.api.types.is_float_dtype(series) and bool((v != np.round(v)).any())


def read_prediction(df, spec):
    """Target text, predicted text, labels, pos label and probabilities of one dataset."""
    target = spec["target"]
    proba_cols = spec.get("prediction_proba") or []
    if not proba_cols and is_probability(df[spec["prediction"]]):
        proba_cols = [spec["prediction"]]
    pos_given = spec.get("pos_label") or "1"
    thr = spec.get("proba_threshold", 0.5)
    cols = [target] + (proba_cols if proba_cols else [spec["prediction"]])
    df = df.replace([np.inf, -np.inf], np.nan).dropna(subset=cols)
    y = np.array([label_text(v) for v in df[target]], dtype=object)
    if len(proba_cols) == 1:
        labels = sort_labels(list(dict.fromkeys(y)))
        pos = pos_given
        neg = next(lab for lab in labels if lab != pos)
        p = df[proba_cols[0]].to_numpy(float)
        pred = np.where(p >= thr, pos, neg).astype(object)
        return y, pred, labels, pos, {pos: p, neg: 1.0 - p}
    if len(proba_cols) > 2:
        mat = df[proba_cols].to_numpy(float)
        pred = np.array([proba_cols[i] for i in mat.argmax(axis=1)], dtype=object)
        return y, pred, list(proba_cols), None, {c: df[c].to_numpy(float) for c in proba_cols}
    pred = np.array([label_text(v) for v in df[spec["prediction"]]], dtype=object)
    labels = sort_labels(list(set(y) | set(pred)))
    return y, pred, labels, (pos_given if len(labels) == 2 else None), None


def evidently_classification(ref, cur, spec):
    """Evidently 0.7.23's legacy ClassificationQualityMetric + ByClass on the same data."""
    proba_cols = spec.get("prediction_proba") or []
    pos = spec.get("pos_label")
    if pos is not None and pd.api.types.is_integer_dtype(cur[spec["target"]]):
        pos = int(pos)
    mapping = ColumnMapping(
        target=spec["target"],
        prediction=(proba_cols if len(proba_cols) > 1 else proba_cols[0]) if proba_cols else spec["prediction"],
        pos_label=pos if pos is not None else 1,
        numerical_features=[],
        categorical_features=[],
    )
    thr = spec.get("proba_threshold") if proba_cols or is_probability(cur[spec["prediction"]]) else None
    report = LegacyReport(
        metrics=[ClassificationQualityMetric(probas_threshold=thr), ClassificationQualityByClass(probas_threshold=thr)]
    )
    report.run(reference_data=ref, current_data=cur, column_mapping=mapping)
    q = report._first_level_metrics[0].get_result()
    by = report._first_level_metrics[1].get_result()

    def pack(d, b):
        if d is None:
            return None
        out = {k: clean(getattr(d, k)) for k in ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "tpr", "tnr", "fpr", "fnr"]}
        out["per_label"] = {
            str(lab): {"precision": clean(m.precision), "recall": clean(m.recall), "f1": clean(m.f1), "roc_auc": clean(m.roc_auc)}
            for lab, m in b.metrics.items()
            if lab not in ("accuracy", "macro avg", "weighted avg")
        }
        return out

    return {
        "current": pack(q.current, by.current),
        "reference": pack(q.reference, by.reference if by.reference is not None else None),
    }


def check_against_evidently(ours, ev, where):
    if ours is None or ev is None:
        return
    for k in ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "tpr", "tnr", "fpr", "fnr"]:
        a, b = ours[k], ev[k]
        if a is None or b is None:
            assert a is None and b is None, (where, k, a, b)
            continue
        assert abs(a - b) <= 1e-12 * max(1.0, abs(b)), (where, k, a, b)
    for lab, m in ev["per_label"].items():
        for k in ["precision", "recall", "f1", "roc_auc"]:
            a, b = ours["per_label"][label_text(lab)][k], m[k]
            if a is None or b is None:
                continue
            assert abs(a - b) <= 1e-12, (where, lab, k, a, b)


def classification_case(name, ref, cur, spec):
    ref, cur = write_and_read(name, ref, cur)
    has_ref = ref is not None and spec["target"] in ref.columns
    expected = {"kind": "classification", "spec": spec}
    cy, cpred, clabels, cpos, cproba = read_prediction(cur, spec)
    expected["current"] = clf_metrics(cy, cpred, clabels, cpos, cproba)
    expected["reference"] = None
    if has_ref:
        ry, rpred, rlabels, rpos, rproba = read_prediction(ref, spec)
        expected["reference"] = clf_metrics(ry, rpred, rlabels, rpos, rproba)
        ev = evidently_classification(ref, cur, spec)
    else:
        ev = evidently_classification(None, cur, spec)
    check_against_evidently(expected["current"], ev["current"], name + "/current")
    check_against_evidently(expected["reference"], ev["reference"], name + "/reference")
    expected["evidently"] = ev

    # Dummy: DummyClassifier(strategy="prior") fitted on the reference target.
    fit_y = (
        np.array([label_text(v) for v in ref[spec["target"]].dropna()], dtype=object)
        if has_ref
        else cy
    )
    dummy = DummyClassifier(strategy="prior").fit(np.zeros((len(fit_y), 1)), fit_y)
    majority = dummy.predict(np.zeros((1, 1)))[0]
    priors = dict(zip(dummy.classes_, dummy.class_prior_))
    dlabels = sort_labels(list(set(clabels) | {majority}))
    dpred = np.array([majority] * len(cy), dtype=object)
    dproba = None
    if cproba is not None:
        dproba = {c: np.full(len(cy), priors.get(c, 0.0)) for c in cproba}
    dq = clf_metrics(cy, dpred, dlabels, cpos if len(dlabels) == 2 else None, dproba)
    expected["dummy"] = {
        "source": "reference" if has_ref else "current",
        "majority_label": majority,
        "priors": {k: float(v) for k, v in priors.items()},
        "quality": dq,
    }
    write_expected(name, expected)


# --------------------------------------------------------------------------- regression


def reg_metrics(y, p):
    e = p - y
    ae = np.abs(e)
    nz = np.abs(y) > EPS
    ape = 100.0 * ae[nz] / np.abs(y[nz])
    return {
        "rows": len(y),
        "mean_error": float(np.mean(e)),
        "error_std": clean(np.std(e, ddof=1)) if len(e) > 1 else None,
        "mae": float(skm.mean_absolute_error(y, p)),
        "abs_error_std": clean(np.std(ae, ddof=1)) if len(e) > 1 else None,
        "rmse": float(np.sqrt(skm.mean_squared_error(y, p))),
        "mape": clean(np.mean(ape)) if len(ape) else None,
        "mape_std": clean(np.std(ape, ddof=1)) if len(ape) > 1 else None,
        "mape_zero_target_rows": int((~nz).sum()),
        "r2": clean(skm.r2_score(y, p)) if len(y) > 1 else None,
        "max_abs_error": float(ae.max()),
    }


def finite_rows(df, spec):
    df = df.replace([np.inf, -np.inf], np.nan).dropna(subset=[spec["target"], spec["prediction"]])
    return df[spec["target"]].to_numpy(float), df[spec["prediction"]].to_numpy(float)


def regression_case(name, ref, cur, spec):
    ref, cur = write_and_read(name, ref, cur)
    has_ref = ref is not None and spec["target"] in ref.columns and spec["prediction"] in ref.columns
    cy, cp = finite_rows(cur, spec)
    expected = {"kind": "regression", "spec": spec, "current": reg_metrics(cy, cp), "reference": None}
    if has_ref:
        ry, rp = finite_rows(ref, spec)
        expected["reference"] = reg_metrics(ry, rp)
    mapping = ColumnMapping(target=spec["target"], prediction=spec["prediction"], numerical_features=[], categorical_features=[])
    report = LegacyReport(metrics=[RegressionQualityMetric()])
    report.run(reference_data=ref.copy() if has_ref else None, current_data=cur.copy(), column_mapping=mapping)
    res = report._first_level_metrics[0].get_result()

    def pack(d, r2, mx):
        if d is None:
            return None
        return {
            "mean_error": clean(d.mean_error),
            "error_std": clean(d.error_std),
            "mae": clean(d.mean_abs_error),
            "abs_error_std": clean(d.abs_error_std),
            "rmse": clean(d.rmse),
            "mape": clean(d.mean_abs_perc_error),
            "mape_std_fraction": clean(d.abs_perc_error_std),
            "r2": clean(d.r2_score),
            "max_abs_error": clean(d.abs_error_max),
        }

    ev = {"current": pack(res.current, None, None), "reference": pack(res.reference, None, None) if has_ref else None}
    for part in ["current", "reference"]:
        ours, theirs = expected[part], ev[part]
        if ours is None:
            continue
        for k in ["mean_error", "error_std", "mae", "abs_error_std", "rmse", "r2", "max_abs_error"]:
            assert abs(ours[k] - theirs[k]) <= 1e-9 * max(1.0, abs(theirs[k])), (name, part, k, ours[k], theirs[k])
    expected["evidently"] = ev

    fit_y = ref[spec["target"]].replace([np.inf, -np.inf], np.nan).dropna().to_numpy(float) if (
        ref is not None and spec["target"] in ref.columns
    ) else cy
    dummy = DummyRegressor(strategy="mean").fit(np.zeros((len(fit_y), 1)), fit_y)
    const = float(dummy.constant_[0][0]) if np.ndim(dummy.constant_) else float(dummy.constant_)
    dp = dummy.predict(np.zeros((len(cy), 1)))
    expected["dummy"] = {
        "source": "reference" if (ref is not None and spec["target"] in ref.columns) else "current",
        "prediction": const,
        "quality": reg_metrics(cy, dp),
    }
    write_expected(name, expected)


# --------------------------------------------------------------------------- io


def write_and_read(name, ref, cur):
    d = OUT_DIR / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    ref.to_csv(d / "reference.csv", index=False)
    cur.to_csv(d / "current.csv", index=False)
    r = pd.read_csv(d / "reference.csv", float_precision="round_trip")
    c = pd.read_csv(d / "current.csv", float_precision="round_trip")
    return r, c


def write_expected(name, expected):
    expected["generator"] = {
        "evidently": evidently.__version__,
        "sklearn": sklearn.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }
    (OUT_DIR / name / "expected.json").write_text(json.dumps(expected, indent=1, default=float) + "\n")
    print(f"wrote {name}")


# --------------------------------------------------------------------------- cases


def noisy_labels(rng, y, flip, labels):
    out = y.copy()
    idx = rng.random(len(y)) < flip
    out[idx] = rng.choice(labels, idx.sum())
    return out


def binary_labels(rng):
    def make(n, flip):
        y = (rng.random(n) < 0.4).astype(int)
        return pd.DataFrame({"x": rng.normal(size=n).round(3), "target": y, "prediction": noisy_labels(rng, y, flip, [0, 1])})

    return make(300, 0.2), make(250, 0.35), {"target": "target", "prediction": "prediction"}


def binary_strings(rng):
    def make(n, flip):
        y = np.where(rng.random(n) < 0.3, "yes", "no").astype(object)
        return pd.DataFrame({"target": y, "pred": noisy_labels(rng, y, flip, np.array(["yes", "no"], dtype=object))})

    return make(200, 0.25), make(180, 0.4), {"target": "target", "prediction": "pred", "pos_label": "yes"}


def binary_proba(rng):
    def make(n, shift):
        y = (rng.random(n) < 0.45).astype(int)
        p = 1 / (1 + np.exp(-(2.0 * (y - 0.5) * shift + rng.normal(size=n))))
        p[:5] = np.round(p[:5], 1)  # a few ties
        return pd.DataFrame({"target": y, "prediction": p})

    return make(400, 1.5), make(300, 0.8), {"target": "target", "prediction": "prediction", "proba_threshold": 0.5}


def binary_proba_threshold(rng):
    ref, cur, spec = binary_proba(rng)
    spec["prediction_proba"] = ["prediction"]
    spec["proba_threshold"] = 0.3
    return ref, cur, spec


def multiclass_labels(rng):
    labels = np.array(["ant", "bee", "cat", "dog"], dtype=object)

    def make(n, flip):
        y = rng.choice(labels, n, p=[0.4, 0.3, 0.2, 0.1])
        return pd.DataFrame({"target": y, "prediction": noisy_labels(rng, y, flip, labels)})

    return make(300, 0.3), make(260, 0.5), {"target": "target", "prediction": "prediction"}


def multiclass_proba(rng):
    def make(n, sharp):
        y = rng.choice([0, 1, 2], n, p=[0.5, 0.3, 0.2])
        alpha = np.ones((n, 3))
        alpha[np.arange(n), y] += sharp
        p = np.array([rng.dirichlet(a) for a in alpha])
        p[:, 2] = 1.0 - p[:, 0] - p[:, 1]
        p = np.clip(p, 0.0, 1.0)
        return pd.DataFrame({"target": y, "0": p[:, 0], "1": p[:, 1], "2": p[:, 2]})

    return make(300, 3.0), make(280, 1.0), {"target": "target", "prediction_proba": ["0", "1", "2"]}


def current_only(rng):
    ref, cur, spec = binary_labels(rng)
    return ref[["x"]], cur, spec


def regression(rng):
    def make(n, bias, noise):
        y = rng.gamma(3.0, 10.0, n) + 1.0
        return pd.DataFrame({"x": rng.normal(size=n), "target": y, "prediction": y + bias + rng.normal(0, noise, n)})

    return make(300, 0.5, 3.0), make(250, 2.0, 5.0), {"target": "target", "prediction": "prediction"}


def regression_zeros(rng):
    def make(n):
        y = rng.poisson(2.0, n).astype(float)
        return pd.DataFrame({"target": y, "prediction": y + rng.normal(0, 1.0, n)})

    return make(200), make(220), {"target": "target", "prediction": "prediction"}


CASES = {
    "binary_labels": (classification_case, binary_labels),
    "binary_strings_pos_label": (classification_case, binary_strings),
    "binary_proba": (classification_case, binary_proba),
    "binary_proba_threshold": (classification_case, binary_proba_threshold),
    "multiclass_labels": (classification_case, multiclass_labels),
    "multiclass_proba": (classification_case, multiclass_proba),
    "current_only": (classification_case, current_only),
    "regression": (regression_case, regression),
    "regression_zero_target": (regression_case, regression_zeros),
}


def main():
    names = sys.argv[1:] or list(CASES)
    for i, name in enumerate(CASES):
        if name not in names:
            continue
        kind, make = CASES[name]
        ref, cur, spec = make(np.random.default_rng(1000 + i))
        kind(name, ref, cur, spec)


if __name__ == "__main__":
    main()
