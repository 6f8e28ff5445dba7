#!/usr/bin/env python3
"""Generate the embedding-drift parity fixtures in tests/fixtures/embeddings/ from Evidently 0.7.

Writes `tests/fixtures/embeddings/cases.json`: for every case the reference and current vectors
(row-major, rounded to 5 decimals; Evidently runs on the rounded values, so the vectors in the
file are exactly the ones the expected numbers belong to) and the results of Evidently 0.7.23's
embedding drift methods (`evidently.legacy.metrics.data_drift.embedding_drift_methods`):

  * `distance` for euclidean, cosine, cityblock and chebyshev, without and with bootstrap;
  * `ratio` with its defaults (per-component normed `wasserstein` at 0.1, share threshold 0.2);
  * `mmd` without and with bootstrap;
  * `model` without and with bootstrap (scikit-learn's SGDClassifier: only the verdicts are
    compared, modelwatch uses its own seeded classifier);
  * `distance`, `ratio` and `mmd` after PCA to 4 components.

Each method returns (score, drift); both are written.

It also writes a table for the end-to-end tests of the CLI: `table_reference.csv` and
`table_current.csv` (the `small_mean_shift` vectors as columns `emb_0 .. emb_15`, plus a plain
feature `x`) and `table_expected.json`, the results of Evidently 0.7.23's
`EmbeddingsDriftMetric` (legacy `Report`, `ColumnMapping(embeddings={"emb": [...]})`) for the
default method and for `ratio`, `distance` (euclidean, cosine), `mmd` and `model`. The data are Gaussian "embeddings" with a
low-rank correlation structure, drawn from fixed seeds: no drift, a mean shift in every
component, a variance change, a shift in a few components only, at 300 x 16 and 1,200 x 24,
plus a batch of small 200 x 8 cases with shifts of several sizes for the classifier verdicts.

Run from the repository root:

    python3 scripts/gen_embedding_fixtures.py

It re-executes itself under the pinned reference Python (see scripts/reference_env.py).
"""

import json
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_env import ROOT, ensure_reference_python

ensure_reference_python(need_evidently=True)

import numpy as np
import pandas as pd
from evidently.legacy.metrics.data_drift import embedding_drift_methods as edm

OUT = ROOT / "tests" / "fixtures" / "embeddings" / "cases.json"
DISTANCES = ["euclidean", "cosine", "cityblock", "chebyshev"]


def vectors(rng, rows, dim, loadings, shift=None, scale=1.0):
    latent = rng.normal(size=(rows, loadings.shape[0]))
    x = latent @ loadings + 0.5 * rng.normal(size=(rows, dim))
    x = x * scale
    if shift is not None:
        x = x + shift
    return np.round(x, 5)


def run(method, reference, current):
    # Evidently's methods take (current, reference) and may add columns in place.
    score, drift, _ = method(pd.DataFrame(current.copy()), pd.DataFrame(reference.copy()))
    return {"score": float(score), "drift": bool(drift)}


def expected(reference, current, full=True):
    out = {}
    if full:
        for d in DISTANCES:
            out[f"distance_{d}"] = run(edm.distance(dist=d), reference, current)
            out[f"distance_{d}_bootstrap"] = run(edm.distance(dist=d, bootstrap=True), reference, current)
        out["ratio"] = run(edm.ratio(), reference, current)
        out["mmd"] = run(edm.mmd(), reference, current)
        out["mmd_bootstrap"] = run(edm.mmd(bootstrap=True), reference, current)
        out["distance_euclidean_pca4"] = run(edm.distance(pca_components=4), reference, current)
        out["ratio_pca4"] = run(edm.ratio(pca_components=4), reference, current)
        out["mmd_pca4"] = run(edm.mmd(pca_components=4), reference, current)
    out["model"] = run(edm.model(), reference, current)
    out["model_bootstrap"] = run(edm.model(bootstrap=True), reference, current)
    return out


def case(name, seed, n_ref, n_cur, dim, kind, size=1.0, full=True):
    rng = np.random.default_rng(seed)
    loadings = rng.normal(size=(4, dim)) / 2.0
    reference = vectors(rng, n_ref, dim, loadings)
    if kind == "none":
        current = vectors(rng, n_cur, dim, loadings)
    elif kind == "mean_shift":
        current = vectors(rng, n_cur, dim, loadings, shift=np.full(dim, 0.3 * size))
    elif kind == "variance":
        current = vectors(rng, n_cur, dim, loadings, scale=1.0 + 0.6 * size)
    elif kind == "few_components":
        shift = np.zeros(dim)
        shift[:3] = 1.0 * size
        current = vectors(rng, n_cur, dim, loadings, shift=shift)
    else:
        raise ValueError(kind)
    return {
        "name": name,
        "dim": dim,
        "reference_rows": n_ref,
        "current_rows": n_cur,
        "reference": [float(v) for v in reference.ravel()],
        "current": [float(v) for v in current.ravel()],
        "expected": expected(reference, current, full),
    }


def write_table(case_doc):
    from evidently.legacy.metrics import EmbeddingsDriftMetric
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report

    dim = case_doc["dim"]
    names = [f"emb_{j}" for j in range(dim)]
    rng = np.random.default_rng(7)
    frames = {}
    for side in ["reference", "current"]:
        values = np.array(case_doc[side]).reshape(-1, dim)
        frame = pd.DataFrame(values, columns=names)
        frame.insert(0, "x", np.round(rng.normal(size=len(frame)), 5))
        frames[side] = frame
        frame.to_csv(OUT.parent / f"table_{side}.csv", index=False)
    methods = {
        "default": None,
        "ratio": edm.ratio(),
        "distance": edm.distance(),
        "distance_cosine": edm.distance(dist="cosine"),
        "mmd": edm.mmd(),
        "model": edm.model(),
    }
    expected = {}
    for key, method in methods.items():
        report = Report(metrics=[EmbeddingsDriftMetric("emb", drift_method=method)])
        report.run(
            reference_data=frames["reference"],
            current_data=frames["current"],
            column_mapping=ColumnMapping(embeddings={"emb": names}),
        )
        result = report.as_dict()["metrics"][0]["result"]
        expected[key] = {
            "method": result["method_name"],
            "score": float(result["drift_score"]),
            "drift": bool(result["drift_detected"]),
        }
    doc = {
        "generator": "scripts/gen_embedding_fixtures.py",
        "evidently": "0.7.23",
        "case": case_doc["name"],
        "dimension": dim,
        "results": expected,
    }
    path = OUT.parent / "table_expected.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {path} and the two tables")


def main():
    warnings.filterwarnings("ignore")
    cases = []
    for i, kind in enumerate(["none", "mean_shift", "variance", "few_components"]):
        cases.append(case(f"small_{kind}", 100 + i, 300, 250, 16, kind))
    for i, kind in enumerate(["none", "few_components"]):
        cases.append(case(f"large_{kind}", 200 + i, 1200, 1000, 24, kind))
    # Classifier verdicts over many seeded cases: no drift and shifts of growing size.
    for i in range(16):
        kind = ["none", "mean_shift", "few_components", "variance"][i % 4]
        size = [0.5, 1.0, 2.0, 3.0][i // 4]
        cases.append(case(f"verdict_{i:02}_{kind}_{size}", 300 + i, 200, 200, 8, kind, size, full=False))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "generator": "scripts/gen_embedding_fixtures.py",
        "evidently": "0.7.23",
        "cases": cases,
    }
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(cases)} cases)")
    write_table(next(c for c in cases if c["name"] == "small_mean_shift"))


if __name__ == "__main__":
    main()
