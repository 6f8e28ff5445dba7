#!/usr/bin/env python3
"""Generate the data-summary parity fixtures in tests/fixtures/summary/ from Evidently 0.7.

For every case this writes `reference.csv` (unless the case is current-only),
`current.csv` and `expected.json` into `tests/fixtures/summary/<case>/`. The data
comes from fixed seeds; floats are written repr-exact and read back with
`float_precision="round_trip"` (and `parse_dates` for the datetime columns) before
Evidently sees them, so the fixture data and the summarised data are the same.

Numbers and where they come from:
  * dataset level: Evidently 0.7.23's `DataSummaryPreset` (new API), i.e. its
    `DatasetStats` metrics (row/column counts, duplicated rows/columns, almost
    duplicated/constant columns, empty rows/columns, constant columns, missing values);
  * per column: `MissingValueCount`, `MinValue`, `MaxValue`, `MeanValue`, `StdValue`,
    `QuantileValue` (0.25/0.5/0.75) and `UniqueValueCount` from the same report;
  * fields only the legacy `ColumnSummaryMetric` has (count, distinct, most common
    value, infinite values) use its formulas from `get_features_stats`, unrounded
    (the legacy metric rounds percentages to two decimals): `count()`, `nunique()`,
    `value_counts()` (first non-missing entry), `np.isinf(...).sum()`, shares over rows;
  * datetime min/max: pandas `min()`/`max()`; text lengths: `str.len()` min/mean/max.

Deliberate differences are written into the fixture, never hidden:
  * `missing_values_share` is missing cells / (rows x columns); Evidently's value
    (missing / rows) is kept as `evidently_missing_values_share`;
  * a statistic Evidently returns as NaN only because of `inf - inf` inside numpy's
    interpolation is listed under `"deliberate"` and not compared.

Run from the repository root:

    python3 scripts/gen_summary_fixtures.py          # all cases
    python3 scripts/gen_summary_fixtures.py ties     # only these cases

It re-executes itself under the pinned reference stack (see scripts/reference_env.py;
MODELWATCH_PYTHON=/path/to/python selects an existing environment).
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
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataSummaryPreset

warnings.filterwarnings("ignore")
OUT_DIR = ROOT / "tests" / "fixtures" / "summary"


# --------------------------------------------------------------------------- helpers


def num(x):
    """JSON-safe float: NaN -> None, infinities -> "inf" / "-inf"."""
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def label(v):
    if isinstance(v, (bool, np.bool_)):
        return "True" if v else "False"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)


def is_missing_label(k, value):
    """The missing value as Evidently lists it among labels: NaN / None, or the string
    "nan" (its category handling turns NaN into that string), always with count 0."""
    return pd.isna(k) or (isinstance(k, str) and k == "nan" and value == 0)


def sprinkle(values, rng, n_nan=0, n_posinf=0, n_neginf=0):
    out = np.asarray(values, dtype=float).copy()
    idx = rng.choice(len(out), n_nan + n_posinf + n_neginf, replace=False)
    out[idx[:n_nan]] = np.nan
    out[idx[n_nan : n_nan + n_posinf]] = np.inf
    out[idx[n_nan + n_posinf :]] = -np.inf
    return out


def with_missing(values, rng, n):
    out = np.asarray(values, dtype=object).copy()
    out[rng.choice(len(out), n, replace=False)] = None
    return out


def words(rng, n, k=3):
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return ["".join(rng.choice(letters, rng.integers(1, 12))) + f" {i}" for i in range(n)]


def dates(rng, n, start="2024-01-01"):
    base = pd.Timestamp(start)
    return [base + pd.Timedelta(seconds=int(s)) for s in rng.integers(0, 86400 * 60, n)]


# --------------------------------------------------------------------------- cases


def case_all_types():
    rng = np.random.default_rng(1)
    nr, nc = 300, 250

    def side(n, shift, cat_labels, cat_p):
        return {
            "f": sprinkle(rng.normal(shift, 2.0, n), rng, n_nan=7, n_posinf=0),
            "i": rng.integers(-1000, 1000, n),
            "small_int": rng.integers(0, 4, n),
            "cat": with_missing(rng.choice(cat_labels, n, p=cat_p), rng, 9),
            "flag": rng.random(n) < 0.3,
            "txt": with_missing(words(rng, n), rng, 5),
            "when": dates(rng, n),
        }

    ref = side(nr, 0.0, ["a", "b", "c", "old"], [0.4, 0.3, 0.2, 0.1])
    cur = side(nc, 0.5, ["a", "b", "c", "new"], [0.3, 0.3, 0.3, 0.1])
    return ref, cur


def case_missing_infinities():
    rng = np.random.default_rng(2)
    n = 200

    def side(n):
        d = {
            "f_inf": sprinkle(rng.normal(0, 1, n), rng, n_nan=20, n_posinf=3, n_neginf=2),
            "f_posinf": sprinkle(rng.uniform(0, 10, n), rng, n_nan=5, n_posinf=4),
            "f_mostly_nan": sprinkle(rng.uniform(0, 1, n), rng, n_nan=n - 3),
            "empty1": np.full(n, np.nan),
            "empty2": np.full(n, np.nan),
            "s": with_missing(rng.choice(["p", "q"], n), rng, 30),
        }
        # Empty rows: every column missing.
        rows = rng.choice(n, 4, replace=False)
        for k in d:
            d[k] = np.asarray(d[k], dtype=object if k == "s" else float)
            d[k][rows] = None if k == "s" else np.nan
        return d

    return side(n), side(n + 37)


def case_duplicates():
    rng = np.random.default_rng(3)

    def side(n):
        base = np.round(rng.normal(0, 1, n), 3)
        almost = base.copy()
        almost[rng.choice(n, int(n * 0.03), replace=False)] += 1.0
        far = base.copy()
        far[rng.choice(n, int(n * 0.2), replace=False)] += 1.0
        lab = rng.choice(["u", "v", "w"], n)
        lab_almost = lab.copy()
        lab_almost[rng.choice(n, int(n * 0.04), replace=False)] = "z"
        consts = np.full(n, 7.5)
        nearly = np.full(n, 1.0)
        nearly[rng.choice(n, int(n * 0.04), replace=False)] = 2.0
        d = {
            "base": base,
            "copy": base.copy(),
            "copy2": base.copy(),
            "almost": almost,
            "far": far,
            "lab": lab,
            "lab_copy": lab.copy(),
            "lab_almost": lab_almost,
            "const": consts,
            "nearly_const": nearly,
            "int_const": np.full(n, 3),
        }
        df = pd.DataFrame(d)
        # Duplicated rows: repeat some rows.
        dup = df.iloc[rng.choice(n, 15, replace=True)]
        return pd.concat([df, dup], ignore_index=True)

    return side(400), side(300)


def case_ties():
    ref = {
        "x": [3.0, 1.0, 1.0, 3.0, 2.0, 2.0, np.nan, np.nan, 5.0, 6.0, 7.0, 8.5],
        "c": ["b", "a", "a", "b", "c", "c", None, None, "d", "e", "f", "g"],
        "n": [10, 20, 20, 10, 30, 30, 40, 50, 60, 70, 80, 90],
    }
    cur = {
        "x": [np.nan, np.nan, np.nan, 4.0, 4.0, -0.0, 0.0, 9.0, 9.0, 9.0, 1.5, 1.5],
        "c": ["g", "g", "a", "a", None, None, None, "h", "h", "b", "b", "e"],
        "n": [15, 15, 15, 25, 25, 25, 35, 45, 55, 65, 75, 85],
    }
    return ref, cur


def case_current_only():
    rng = np.random.default_rng(5)
    n = 150
    cur = {
        "f": sprinkle(rng.exponential(3.0, n), rng, n_nan=10, n_posinf=1),
        "i": rng.integers(0, 10**6, n),
        "cat": with_missing(rng.choice(["red", "green", "blue"], n), rng, 12),
        "flag": rng.random(n) < 0.5,
        "when": dates(rng, n, "2023-06-01"),
    }
    return None, cur


def case_single_row():
    ref = {"f": [1.25], "s": ["only"], "i": [4]}
    cur = {"f": [np.nan], "s": ["only"], "i": [4]}
    return ref, cur


CASES = {
    "all_types": case_all_types,
    "missing_infinities": case_missing_infinities,
    "duplicates": case_duplicates,
    "ties": case_ties,
    "current_only": case_current_only,
    "single_row": case_single_row,
}


# --------------------------------------------------------------------------- evidently


def read_back(path, date_cols):
    return pd.read_csv(path, float_precision="round_trip", parse_dates=date_cols or False)


def metric_results(snapshot, has_ref):
    """[(type, params, current result, reference result)] for every metric of the report."""
    ctx = snapshot.context
    out = []
    for m in snapshot.dict()["metrics"]:
        cfg = m["config"]
        mid = m["id"]
        cur = ctx._metrics[mid]
        ref = ctx._reference_metrics.get(mid) if has_ref else None
        out.append((cfg["type"].split(":")[-1], cfg, cur, ref))
    return out


def single(r):
    return None if r is None else r.value


def count_share(r):
    return None if r is None else (r.count.value, r.share.value)


def dataset_block(results, side):
    pick = 2 if side == "current" else 3
    d = {}
    names = {
        "RowCount": "rows",
        "DuplicatedRowCount": "duplicated_rows",
        "DuplicatedColumnsCount": "duplicated_columns",
        "AlmostDuplicatedColumnsCount": "almost_duplicated_columns",
        "AlmostConstantColumnsCount": "almost_constant_columns",
        "EmptyRowsCount": "empty_rows",
        "EmptyColumnsCount": "empty_columns",
        "ConstantColumnsCount": "constant_columns",
    }
    by_type = {"num": "numerical_columns", "cat": "categorical_columns", "datetime": "datetime_columns", "text": "text_columns"}
    for t, cfg, *res in results:
        r = res[pick - 2]
        if t in names and "column" not in cfg and names[t] not in d:
            d[names[t]] = int(single(r))
        elif t == "ColumnCount":
            ct = cfg.get("column_type")
            key = "columns" if ct is None else by_type[getattr(ct, "value", ct)]
            d[key] = int(single(r))
        elif t == "DatasetMissingValueCount":
            c, s = count_share(r)
            d["missing_values"] = int(c)
            d["evidently_missing_values_share"] = num(s)
    return d


def column_block(results, name, df, col_type):
    """Per-column numbers for one side; `results` picks current or reference."""
    s = df[name]
    rows = len(s)
    out = {"rows": rows}
    deliberate = {}
    for t, cfg, r in results:
        if cfg.get("column") != name:
            continue
        if t == "MissingValueCount":
            out["missing"], out["missing_share"] = int(r.count.value), num(r.share.value)
        elif t in ("MinValue", "MaxValue", "MeanValue", "StdValue") and col_type == "numerical":
            key = {"MinValue": "min", "MaxValue": "max", "MeanValue": "mean", "StdValue": "std"}[t]
            out[key] = num(r.value)
        elif t == "QuantileValue":
            key = {0.25: "q25", 0.5: "q50", 0.75: "q75"}[cfg["quantile"]]
            v = float(r.value)
            has_inf = bool(np.isinf(s.astype(float)).any())
            if math.isnan(v) and has_inf and s.count() > 0:
                deliberate[key] = "numpy linear interpolation gives NaN from inf - inf"
            out[key] = num(v)
        elif t == "UniqueValueCount":
            out["label_counts"] = {
                label(k): int(v.value) for k, v in r.counts.items() if not is_missing_label(k, v.value)
            }
            # Evidently also lists the missing value as a label with count 0 (it collects
            # labels with `unique()`, which keeps NaN, then counts with dropna=True): left out.
            out["label_shares"] = {
                label(k): num(v.value) for k, v in r.shares.items() if not is_missing_label(k, v.value)
            }
    if "missing" not in out:  # datetime columns: pandas isnull(), as MissingValueCount does
        out["missing"] = int(s.isna().sum())
        out["missing_share"] = num(out["missing"] / rows) if rows else None
    # Legacy ColumnSummaryMetric fields (get_features_stats), unrounded.
    out["count"] = int(s.count())
    out["distinct"] = int(s.nunique())
    out["distinct_share"] = num(s.nunique() / rows) if rows else None
    vc = s.value_counts(dropna=True)
    if len(vc):
        mc = vc.index[0]
        if col_type == "datetime":
            out["most_common"] = int(pd.Timestamp(mc).value // 1000)
        elif col_type == "numerical":
            out["most_common"] = num(mc)
        else:
            out["most_common"] = label(mc)
        out["most_common_count"] = int(vc.iloc[0])
        if len(vc) > 1 and vc.iloc[1] == vc.iloc[0]:
            # pandas orders tied counts with numpy's unstable quicksort, so which tied value
            # comes first is an accident of the sort; modelwatch takes the first in the data.
            deliberate["most_common"] = "tie for the most common value"
            tied = vc.index[vc == vc.iloc[0]]
            out["most_common_tied_values"] = (
                None
                if col_type == "datetime"
                else sorted(((num(v) if col_type == "numerical" else label(v)) for v in tied), key=str)
            )
        out["most_common_share"] = num(vc.iloc[0] / rows)
    else:
        out["most_common"] = None
        out["most_common_count"] = 0
        out["most_common_share"] = None
    if col_type == "numerical":
        f = s.astype(float)
        out["infinite"] = int(np.isinf(f).sum())
        out["infinite_share"] = num(out["infinite"] / rows) if rows else None
    if col_type == "datetime":
        out["min"] = None if s.count() == 0 else int(s.min().value // 1000)
        out["max"] = None if s.count() == 0 else int(s.max().value // 1000)
    if col_type == "text":
        lens = s.dropna().astype(str).str.len()
        out["length_min"] = None if lens.empty else int(lens.min())
        out["length_mean"] = None if lens.empty else num(lens.mean())
        out["length_max"] = None if lens.empty else int(lens.max())
    if deliberate:
        out["deliberate"] = deliberate
    return out


def evidently_type(definition, name):
    for t, getter in [
        ("numerical", definition.get_numerical_columns),
        ("categorical", definition.get_categorical_columns),
        ("text", definition.get_text_columns),
        ("datetime", definition.get_datetime_columns),
    ]:
        if name in getter():
            return t
    return None


def run_case(name, build):
    ref, cur = build()
    out = OUT_DIR / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    frames = {}
    for side, data in (("reference", ref), ("current", cur)):
        if data is None:
            continue
        df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
        df.to_csv(out / f"{side}.csv", index=False)
        date_cols = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
        frames[side] = read_back(out / f"{side}.csv", date_cols)
    has_ref = "reference" in frames
    # Evidently infers numerical / categorical / text from the current data but does not
    # pick up datetime columns on its own: name them, and keep its inferred types for the rest.
    inferred = Dataset.from_pandas(frames["current"])._data_definition
    dt_cols = [c for c in frames["current"].columns if pd.api.types.is_datetime64_any_dtype(frames["current"][c])]
    definition = DataDefinition(
        numerical_columns=[c for c in inferred.get_numerical_columns() if c not in dt_cols],
        categorical_columns=[c for c in inferred.get_categorical_columns() if c not in dt_cols],
        text_columns=[c for c in inferred.get_text_columns() if c not in dt_cols],
        datetime_columns=dt_cols,
    )
    cur_ds = Dataset.from_pandas(frames["current"], data_definition=definition)
    ref_ds = Dataset.from_pandas(frames["reference"], data_definition=definition) if has_ref else None
    # Text columns get per-column metrics only when named. Datetime columns are left out:
    # Evidently 0.7.23's MinValue fails on them (a Timestamp is not a float), so their
    # min / max come from pandas.
    all_cols = list(frames["current"].columns)
    summary_cols = [c for c in all_cols if c not in dt_cols]
    snapshot = Report([DataSummaryPreset(columns=summary_cols)]).run(cur_ds, ref_ds)
    results = metric_results(snapshot, has_ref)

    expected = {
        "evidently_version": evidently.__version__,
        "pandas_version": pd.__version__,
        "has_reference": has_ref,
        "dataset": {},
        "columns": {},
    }
    for side in ("current", "reference"):
        if side not in frames:
            continue
        df = frames[side]
        d = dataset_block(results, side)
        cells = df.shape[0] * df.shape[1]
        d["missing_values_share"] = num(d["missing_values"] / cells) if cells else None
        expected["dataset"][side] = d

    for col in all_cols:
        ctype = evidently_type(definition, col)
        entry = {"type": ctype}
        for side, pick in (("current", 2), ("reference", 3)):
            if side not in frames:
                continue
            side_results = [(t, cfg, res[pick - 2]) for t, cfg, *res in results]
            entry[side] = column_block(side_results, col, frames[side], ctype)
        if ctype == "categorical" and has_ref:
            cur_labels = set(frames["current"][col].dropna().map(label))
            ref_labels = set(frames["reference"][col].dropna().map(label))
            entry["new_labels"] = sorted(cur_labels - ref_labels)
            entry["unused_labels"] = sorted(ref_labels - cur_labels)
        expected["columns"][col] = entry

    with open(out / "expected.json", "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True, allow_nan=False)
        f.write("\n")
    print(f"{name}: {len(all_cols)} columns")


def main():
    wanted = sys.argv[1:] or list(CASES)
    for name in wanted:
        run_case(name, CASES[name])


if __name__ == "__main__":
    main()
