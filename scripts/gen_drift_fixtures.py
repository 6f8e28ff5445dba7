#!/usr/bin/env python3
"""Generate the drift parity fixtures in tests/fixtures/drift/ from Evidently 0.7.

For every case this writes `reference.csv`, `current.csv` and `expected.json`
into `tests/fixtures/drift/<case>/`. The data is generated from fixed seeds; the
expected numbers come from running Evidently 0.7.23's `DataDriftPreset` (new
API: `evidently.Report` + `evidently.presets.DataDriftPreset`) on the CSV files
*as read back by pandas*, so the fixture data and the scored data are the same.

Cases:
  * one per Evidently method name (`ks`, `chisquare`, ... `TVD`), the method
    forced on every column with `DataDriftPreset(method=...)` and explicit
    column types (`DataDefinition(numerical_columns=..., categorical_columns=...)`);
  * `default_small` / `default_large`: no method, Evidently's default rule picks
    z / chisquare / ks / jensenshannon / wasserstein per column;
  * `type_inference`: no data definition at all, Evidently infers column types;
  * `type_from_current`: the same, with columns the reference alone would type
    differently (Evidently types from the current data).

Columns Evidently fails on get `"score": null, "error": "<message>"`; such
columns are left out of column_count / drifted_count. NaN scores are written as
`"score": null, "score_is_nan": true` and count as not drifted. Where modelwatch
deliberately differs (mannw two-sided, g_test / fisher_exact with unequal
sizes) the modelwatch value is `score` and Evidently's is `evidently_score`.

Run from the repository root:

    python3 scripts/gen_drift_fixtures.py            # all cases
    python3 scripts/gen_drift_fixtures.py ks psi     # only these cases

It re-executes itself under `.venv` (created by scripts/python_env.sh with the
pinned evidently==0.7.23, pandas<3, scipy, numpy) unless the running Python
already has that stack; set MODELWATCH_PYTHON=/path/to/python to use an
existing environment instead.
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
from evidently import DataDefinition, Dataset, Report
from evidently.legacy.calculations.stattests.registry import _registered_stat_tests
from evidently.presets import DataDriftPreset
from scipy import stats

OUT_DIR = ROOT / "tests" / "fixtures" / "drift"
DRIFT_SHARE = 0.5

# Evidently reports the display name of an auto-selected method; map it back.
DISPLAY_TO_NAME = {
    test.display_name: name for name, by_type in _registered_stat_tests.items() for test in by_type.values()
}

# Methods whose Evidently value depends on numpy's global RNG (or on a trained
# classifier): modelwatch uses its own seeded procedure, so only closeness is expected.
APPROXIMATE_METHODS = {"empirical_mmd", "TVD", "perc_text_content_drift", "abs_text_content_drift"}


# --------------------------------------------------------------------------- data helpers


def sprinkle(values, rng, n_nan=0, n_posinf=0, n_neginf=0):
    """Float copy of `values` with NaN / +inf / -inf put at random distinct positions."""
    out = np.asarray(values, dtype=float).copy()
    idx = rng.choice(len(out), n_nan + n_posinf + n_neginf, replace=False)
    out[idx[:n_nan]] = np.nan
    out[idx[n_nan : n_nan + n_posinf]] = np.inf
    out[idx[n_nan + n_posinf :]] = -np.inf
    return out


def sparse(n_rows, values, rng):
    """Float column of length n_rows that holds only `values` (at random rows), NaN elsewhere."""
    out = np.full(n_rows, np.nan)
    out[rng.choice(n_rows, len(values), replace=False)] = values
    return out


def int_with_missing(values, rng, n_nan):
    """Nullable Int64 column (CSV keeps "3", not "3.0") with n_nan missing entries."""
    out = pd.array(np.asarray(values, dtype="int64"), dtype="Int64")
    out[rng.choice(len(out), n_nan, replace=False)] = pd.NA
    return out


def str_with_missing(values, rng, n_nan):
    out = np.asarray(values, dtype=object).copy()
    out[rng.choice(len(out), n_nan, replace=False)] = None
    return out


def cats(rng, n, labels, probs=None):
    return rng.choice(np.asarray(labels, dtype=object), n, p=probs)


# --------------------------------------------------------------------------- case builders
#
# Every builder returns a dict with: ref / cur (dict column -> values), types
# (column -> "numerical" | "categorical" | "text", or None to let Evidently
# infer), notes (column -> what the column exercises), method.


def numeric_columns(rng, n_ref, n_cur):
    """Numerical edge cases shared by the numeric-only methods."""
    r, c, notes = {}, {}, {}

    def col(name, ref, cur, note):
        r[name], c[name], notes[name] = ref, cur, note

    col("same_normal", rng.normal(0, 1, n_ref), rng.normal(0, 1, n_cur), "same N(0,1) on both sides")
    col("shifted_normal", rng.normal(0, 1, n_ref), rng.normal(0.5, 1.3, n_cur), "N(0,1) vs N(0.5,1.3)")
    col(
        "ties_int",
        rng.poisson(3.0, n_ref),
        rng.poisson(3.4, n_cur),
        "integer Poisson values, heavy ties within and across samples",
    )
    col(
        "tiny_sample",
        sparse(n_ref, rng.normal(0, 1, 6), rng),
        sparse(n_cur, rng.normal(1, 1, 5), rng),
        "only 6 reference / 5 current values, the rest missing",
    )
    col(
        "tiny_ties",
        sparse(n_ref, [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0], rng),
        sparse(n_cur, [2.0, 3.0, 3.0, 4.0, 4.0, 5.0], rng),
        "7 reference / 6 current values with ties, the rest missing",
    )
    col(
        "missing_inf",
        sprinkle(rng.normal(10, 2, n_ref), rng, n_nan=n_ref // 10, n_posinf=3, n_neginf=2),
        sprinkle(rng.normal(10.4, 2, n_cur), rng, n_nan=n_cur // 8, n_posinf=1, n_neginf=4),
        "missing values and +/-inf (Evidently drops them per column)",
    )
    col(
        "heavy_tail",
        rng.lognormal(0, 1.5, n_ref),
        rng.lognormal(0.2, 1.5, n_cur) * 1e3,
        "lognormal with large outliers, current scaled by 1e3",
    )
    col("constant_same", np.full(n_ref, 7.0), np.full(n_cur, 7.0), "the same constant on both sides")
    col("constant_diff", np.full(n_ref, 1.0), np.full(n_cur, 2.0), "constant 1.0 vs constant 2.0")
    col(
        "empty_current",
        rng.normal(0, 1, n_ref),
        sprinkle(np.zeros(n_cur), rng, n_nan=n_cur - 3, n_posinf=2, n_neginf=1),
        "current has only missing / inf values: empty after cleaning",
    )
    return r, c, notes, {k: "numerical" for k in r}


def binned_columns(rng, n_ref, n_cur):
    """Edge cases for the histogram / category binning of psi, kl_div, jensenshannon, hellinger."""
    r, c, notes, types = {}, {}, {}, {}

    def col(name, ref, cur, note, kind="numerical"):
        r[name], c[name], notes[name], types[name] = ref, cur, note, kind

    col("same_normal", rng.normal(0, 1, n_ref), rng.normal(0, 1, n_cur), "same N(0,1): >20 distinct, Sturges bins")
    col("shifted_normal", rng.normal(0, 1, n_ref), rng.normal(0.6, 1, n_cur), "N(0,1) vs N(0.6,1)")
    col(
        "int_on_edges",
        np.concatenate([[0, 40], rng.integers(0, 41, n_ref - 2)]),
        np.concatenate([[0, 40], rng.integers(4, 41, n_cur - 2)]),
        "integers 0..40, 400 combined values -> 10 Sturges bins of width 4: many values sit exactly on bin edges",
    )
    col(
        "twenty_values",
        np.concatenate([np.arange(20), rng.integers(0, 20, n_ref - 20)]),
        np.concatenate([np.arange(21), rng.integers(0, 21, n_cur - 21)]),
        "reference has exactly 20 distinct values (category path), current adds a 21st",
    )
    col(
        "twentyone_values",
        np.concatenate([np.arange(21), rng.integers(0, 21, n_ref - 21)]),
        np.concatenate([np.arange(21), rng.integers(0, 21, n_cur - 21)]),
        "reference has 21 distinct values (histogram path)",
    )
    col(
        "few_values_new",
        rng.integers(1, 7, n_ref),
        np.concatenate([[7, 7, 7], rng.integers(1, 7, n_cur - 3)]),
        "values 1..6; current adds 7 (zero reference share -> zero filling)",
    )
    col(
        "missing_inf",
        sprinkle(rng.normal(5, 1, n_ref), rng, n_nan=20, n_posinf=2, n_neginf=1),
        sprinkle(rng.normal(5.3, 1, n_cur), rng, n_nan=15, n_posinf=1, n_neginf=2),
        "missing values and +/-inf, dropped per column",
    )
    col("constant_same", np.full(n_ref, 3.5), np.full(n_cur, 3.5), "one value on both sides")
    col(
        "cat_shifted",
        cats(rng, n_ref, list("abcde"), [0.3, 0.25, 0.2, 0.15, 0.1]),
        cats(rng, n_cur, list("abcdf"), [0.2, 0.2, 0.2, 0.2, 0.2]),
        "categories: 'e' only in reference, 'f' only in current",
        "categorical",
    )
    col(
        "cat_same_missing",
        str_with_missing(cats(rng, n_ref, ["red", "green", "blue"]), rng, 30),
        str_with_missing(cats(rng, n_cur, ["red", "green", "blue"]), rng, 10),
        "same categories with missing values",
        "categorical",
    )
    col(
        "cat_int_codes",
        rng.integers(0, 4, n_ref),
        rng.integers(0, 5, n_cur),
        "integer codes as categorical; current has a new code 4",
        "categorical",
    )
    return r, c, notes, types


def categorical_columns(rng, n_ref, n_cur):
    """Edge cases for the category-count tests (chisquare, g_test, TVD)."""
    r, c, notes = {}, {}, {}

    def col(name, ref, cur, note):
        r[name], c[name], notes[name] = ref, cur, note

    labels = ["alpha", "beta", "gamma", "delta"]
    col("same", cats(rng, n_ref, labels, [0.4, 0.3, 0.2, 0.1]), cats(rng, n_cur, labels, [0.4, 0.3, 0.2, 0.1]), "same")
    col(
        "shifted",
        cats(rng, n_ref, labels, [0.4, 0.3, 0.2, 0.1]),
        cats(rng, n_cur, labels, [0.25, 0.25, 0.25, 0.25]),
        "shifted proportions",
    )
    col(
        "new_in_current",
        cats(rng, n_ref, labels[:3]),
        np.concatenate([["delta"] * 5, cats(rng, n_cur - 5, labels[:3])]),
        "'delta' appears only in current (zero expected count)",
    )
    col(
        "missing_in_current",
        np.concatenate([["delta"] * 8, cats(rng, n_ref - 8, labels[:3])]),
        cats(rng, n_cur, labels[:3]),
        "'delta' appears only in reference",
    )
    col(
        "int_codes",
        rng.integers(0, 5, n_ref),
        rng.integers(0, 5, n_cur),
        "integer codes 0..4",
    )
    col(
        "with_missing",
        str_with_missing(cats(rng, n_ref, ["x", "y", "z"]), rng, 40),
        str_with_missing(cats(rng, n_cur, ["x", "y", "z"], [0.5, 0.3, 0.2]), rng, 25),
        "strings with missing values (dropped)",
    )
    col(
        "boolean",
        rng.random(n_ref) < 0.3,
        rng.random(n_cur) < 0.4,
        "True/False values",
    )
    col(
        "many_categories",
        cats(rng, n_ref, [f"c{i:02d}" for i in range(30)]),
        cats(rng, n_cur, [f"c{i:02d}" for i in range(30)]),
        "30 categories, sparse counts",
    )
    col("single_same", np.full(n_ref, "only", dtype=object), np.full(n_cur, "only", dtype=object), "one category")
    return r, c, notes, {k: "categorical" for k in r}


def binary_columns(rng, n_ref, n_cur, equal_sizes_only=False):
    """Edge cases for the binary tests (z, fisher_exact)."""
    r, c, notes = {}, {}, {}

    def col(name, ref, cur, note):
        r[name], c[name], notes[name] = ref, cur, note

    col("bin_same", cats(rng, n_ref, ["yes", "no"], [0.3, 0.7]), cats(rng, n_cur, ["yes", "no"], [0.3, 0.7]), "same")
    col(
        "bin_shifted",
        cats(rng, n_ref, ["yes", "no"], [0.3, 0.7]),
        cats(rng, n_cur, ["yes", "no"], [0.45, 0.55]),
        "shifted proportion",
    )
    col("boolean", rng.random(n_ref) < 0.5, rng.random(n_cur) < 0.5, "True/False values")
    col("int01", rng.integers(0, 2, n_ref), (rng.random(n_cur) < 0.6).astype(int), "integer 0/1 codes")
    col("single_same", np.full(n_ref, "x", dtype=object), np.full(n_cur, "x", dtype=object), "one category, same")
    col("single_diff", np.full(n_ref, "x", dtype=object), np.full(n_cur, "y", dtype=object), "all 'x' vs all 'y'")
    col(
        "rare_one_side",
        np.full(n_ref, "a", dtype=object),
        np.concatenate([["b"] * 3, np.full(n_cur - 3, "a", dtype=object)]),
        "reference all 'a'; current has 3 'b'",
    )
    col(
        "three_categories",
        cats(rng, n_ref, ["a", "b", "c"]),
        cats(rng, n_cur, ["a", "b", "c"]),
        "three categories (z: first sorted key vs the rest; fisher: not binary)",
    )
    col(
        "with_missing",
        str_with_missing(cats(rng, n_ref, ["on", "off"]), rng, 30),
        str_with_missing(cats(rng, n_cur, ["on", "off"], [0.6, 0.4]), rng, 12),
        "missing values (dropped); sample sizes differ after dropping",
    )
    return r, c, notes, {k: "categorical" for k in r}


def method_case(method, builder, n_ref, n_cur, seed, **kwargs):
    rng = np.random.default_rng(seed)
    ref, cur, notes, types = builder(rng, n_ref, n_cur, **kwargs)
    return {"method": method, "ref": ref, "cur": cur, "notes": notes, "types": types}


def case_g_test():
    case = method_case("g_test", categorical_columns, 500, 400, 1006)
    rng = np.random.default_rng(10061)
    case["ref"]["equal_after_drop"] = str_with_missing(cats(rng, 500, ["u", "v", "w"]), rng, 100)
    case["cur"]["equal_after_drop"] = cats(rng, 400, ["u", "v", "w"], [0.4, 0.3, 0.3])
    case["notes"]["equal_after_drop"] = "100 reference values missing: 400 vs 400 after dropping, Evidently works"
    case["types"]["equal_after_drop"] = "categorical"
    return case


def case_fisher():
    case = method_case("fisher_exact", binary_columns, 300, 300, 1012)
    return case


def case_rare(method, seed):
    """>=10000 rows so a category share falls below 1e-4 (psi / kl_div zero-fill rule)."""
    rng = np.random.default_rng(seed)
    n_ref, n_cur = 12000, 10500
    ref_codes = np.concatenate([[9], rng.integers(0, 5, n_ref - 1)])
    cur_codes = np.concatenate([[8, 8], rng.integers(0, 5, n_cur - 2)])
    ref_cat = np.concatenate([["rare"], cats(rng, n_ref - 1, ["p", "q", "r"])])
    cur_cat = cats(rng, n_cur, ["p", "q", "r", "s"], [0.33, 0.33, 0.33, 0.01])
    return {
        "method": method,
        "ref": {"codes": ref_codes, "labels": ref_cat},
        "cur": {"codes": cur_codes, "labels": cur_cat},
        "notes": {
            "codes": "numerical with <=20 distinct values; reference share of 9 is 1/12000 <= 1e-4, "
            "so zeros are filled with min/1e6",
            "labels": "categorical; 'rare' once in reference, 's' only in current",
        },
        "types": {"codes": "numerical", "labels": "categorical"},
    }


def case_default_small():
    """Reference <= 1000 rows: z (<=2 values), chisquare (3..5, or categorical), ks (>5 numerical)."""
    rng = np.random.default_rng(2001)
    n_ref, n_cur = 800, 600
    r, c, notes, types = {}, {}, {}, {}

    def col(name, ref, cur, note, kind):
        r[name], c[name], notes[name], types[name] = ref, cur, note, kind

    col("num_u1", np.full(n_ref, 5), np.full(n_cur, 5), "numerical, one value on both sides -> z, p=1", "numerical")
    col("num_u2", rng.integers(0, 2, n_ref), (rng.random(n_cur) < 0.6).astype(int), "numerical 0/1 -> z", "numerical")
    col("num_u3", rng.integers(1, 4, n_ref), rng.integers(1, 4, n_cur), "numerical 3 values -> chisquare", "numerical")
    col("num_u5", rng.integers(1, 6, n_ref), rng.integers(2, 6, n_cur), "numerical 5 values -> chisquare", "numerical")
    col("num_u6", rng.integers(1, 7, n_ref), rng.integers(1, 7, n_cur), "numerical 6 values -> ks", "numerical")
    col(
        "num_u2_plus_new",
        rng.integers(0, 2, n_ref),
        np.concatenate([[2] * 4, rng.integers(0, 2, n_cur - 4)]),
        "reference 2 values, current adds a third: counted on both -> chisquare",
        "numerical",
    )
    col(
        "num_u5_missing",
        sprinkle(rng.integers(1, 6, n_ref), rng, n_nan=50, n_posinf=2),
        sprinkle(rng.integers(1, 6, n_cur), rng, n_nan=20, n_neginf=1),
        "5 values plus NaN / inf (not counted) -> chisquare",
        "numerical",
    )
    col("num_float", rng.normal(0, 1, n_ref), rng.normal(0.2, 1, n_cur), "continuous -> ks", "numerical")
    col("cat_u2", cats(rng, n_ref, ["yes", "no"]), cats(rng, n_cur, ["yes", "no"], [0.6, 0.4]), "-> z", "categorical")
    col("cat_u3", cats(rng, n_ref, list("abc")), cats(rng, n_cur, list("abc")), "-> chisquare", "categorical")
    col(
        "cat_u12",
        cats(rng, n_ref, [f"k{i}" for i in range(12)]),
        cats(rng, n_cur, [f"k{i}" for i in range(12)]),
        "12 categories -> chisquare",
        "categorical",
    )
    col(
        "cat_int_u8",
        rng.integers(0, 8, n_ref),
        rng.integers(0, 8, n_cur),
        "integer codes as categorical -> chisquare",
        "categorical",
    )
    return {"method": None, "ref": r, "cur": c, "notes": notes, "types": types}


def case_default_large():
    """Reference > 1000 rows: jensenshannon (<=5 values or categorical), wasserstein (>5 numerical).

    The row count that matters is the reference count after dropping NaN / inf.
    """
    rng = np.random.default_rng(2002)
    n_ref, n_cur = 1500, 1200
    r, c, notes, types = {}, {}, {}, {}

    def col(name, ref, cur, note, kind):
        r[name], c[name], notes[name], types[name] = ref, cur, note, kind

    col("num_u2", rng.integers(0, 2, n_ref), rng.integers(0, 2, n_cur), "-> jensenshannon", "numerical")
    col("num_u5", rng.integers(1, 6, n_ref), rng.integers(1, 6, n_cur), "-> jensenshannon", "numerical")
    col("num_u6", rng.integers(1, 7, n_ref), rng.integers(2, 8, n_cur), "-> wasserstein", "numerical")
    col("num_float", rng.normal(0, 1, n_ref), rng.normal(0.15, 1.1, n_cur), "-> wasserstein", "numerical")
    col(
        "num_float_same",
        rng.normal(100, 15, n_ref),
        rng.normal(100, 15, n_cur),
        "-> wasserstein, no drift",
        "numerical",
    )
    col("cat_u2", cats(rng, n_ref, ["yes", "no"]), cats(rng, n_cur, ["yes", "no"]), "-> jensenshannon", "categorical")
    col(
        "cat_u8",
        cats(rng, n_ref, list("abcdefgh")),
        cats(rng, n_cur, list("abcdefgh"), [0.2] + [0.8 / 7] * 7),
        "-> jensenshannon",
        "categorical",
    )
    col(
        "num_ref_exactly_1000",
        sprinkle(rng.normal(0, 1, n_ref), rng, n_nan=300, n_posinf=100, n_neginf=100),
        rng.normal(0, 1, n_cur),
        "1000 finite reference values after dropping -> small rule -> ks",
        "numerical",
    )
    col(
        "num_ref_1001",
        sprinkle(rng.normal(0, 1, n_ref), rng, n_nan=499),
        rng.normal(0, 1, n_cur),
        "1001 reference values after dropping -> wasserstein",
        "numerical",
    )
    col(
        "cat_ref_900",
        str_with_missing(cats(rng, n_ref, list("pqr")), rng, 600),
        cats(rng, n_cur, list("pqr")),
        "900 reference values after dropping -> chisquare",
        "categorical",
    )
    col(
        "num_ref_900_u2",
        sprinkle(rng.integers(0, 2, n_ref), rng, n_nan=600),
        rng.integers(0, 2, n_cur),
        "900 reference values, 2 distinct -> z",
        "numerical",
    )
    return {"method": None, "ref": r, "cur": c, "notes": notes, "types": types}


def case_type_inference():
    """No data definition: Evidently infers each column's type from the pandas dtype."""
    rng = np.random.default_rng(3001)
    n_ref, n_cur = 400, 300
    r, c, notes, upcast = {}, {}, {}, set()

    def col(name, ref, cur, note):
        r[name], c[name], notes[name] = ref, cur, note

    col("f_float", rng.normal(0, 1, n_ref), rng.normal(0.3, 1, n_cur), "float64 -> numerical")
    col("i_ten", rng.integers(0, 10, n_ref), rng.integers(0, 10, n_cur), "int, 10 distinct -> categorical")
    col("i_eleven", rng.integers(0, 11, n_ref), rng.integers(0, 11, n_cur), "int, 11 distinct -> numerical")
    col("i_large", rng.integers(0, 1000, n_ref), rng.integers(50, 1000, n_cur), "int, many distinct -> numerical")
    col(
        "i_missing_many",
        int_with_missing(rng.integers(0, 100, n_ref), rng, 20),
        int_with_missing(rng.integers(0, 100, n_cur), rng, 10),
        "int with missing values (pandas reads float64) -> numerical",
    )
    upcast.add("i_missing_many")
    col(
        "i_missing_few",
        int_with_missing(rng.integers(0, 5, n_ref), rng, 20),
        int_with_missing(rng.integers(0, 5, n_cur), rng, 10),
        "int 0..4 with missing values: pandas float64 -> numerical (an int column would be categorical)",
    )
    upcast.add("i_missing_few")
    col(
        "i_missing_current_only",
        rng.integers(0, 6, n_ref),
        int_with_missing(rng.integers(0, 6, n_cur), rng, 15),
        "int 0..5, missing only in current: reference int64 (categorical), current float64 (numerical)",
    )
    upcast.add("i_missing_current_only")
    col("s_few", cats(rng, n_ref, ["north", "south", "east", "west"]), cats(rng, n_cur, ["north", "south", "east"]),
        "strings, 4 distinct -> categorical")
    col(
        "s_half",
        np.array([f"v{i % (n_ref // 2)}" for i in range(n_ref)], dtype=object),
        np.array([f"v{i % (n_cur // 2)}" for i in range(n_cur)], dtype=object),
        "strings with distinct count exactly half the rows -> categorical (text needs more than half)",
    )
    words = np.array(["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "model", "drift", "data", "sensor"])
    col(
        "s_text",
        np.array([" ".join(rng.choice(words, 6)) + f" #{i}" for i in range(n_ref)], dtype=object),
        np.array([" ".join(rng.choice(words[4:], 6)) + f" #{i}" for i in range(n_cur)], dtype=object),
        "mostly distinct strings -> text",
    )
    col("b_bool", rng.random(n_ref) < 0.5, rng.random(n_cur) < 0.7, "bool -> categorical")
    bref = (rng.random(n_ref) < 0.5).astype(object)
    bref[rng.choice(n_ref, 10, replace=False)] = None
    bcur = (rng.random(n_cur) < 0.5).astype(object)
    bcur[rng.choice(n_cur, 10, replace=False)] = None
    col("b_bool_missing", bref, bcur, "bool with missing values: pandas object dtype of bools -> unknown, skipped")
    return {"method": None, "ref": r, "cur": c, "notes": notes, "types": None, "upcast": upcast}


def case_type_from_current():
    """No data definition, and the two datasets would type some columns differently:
    Evidently types every column from the current data."""
    rng = np.random.default_rng(3002)
    n_ref, n_cur = 400, 300
    r, c, notes = {}, {}, {}

    def col(name, ref, cur, note):
        r[name], c[name], notes[name] = ref, cur, note

    col(
        "i_current_ten",
        rng.integers(0, 15, n_ref),
        rng.integers(0, 10, n_cur),
        "int, 15 distinct in reference, 10 in current -> categorical (chisquare)",
    )
    col(
        "i_current_fifteen",
        rng.integers(0, 10, n_ref),
        rng.integers(0, 15, n_cur),
        "int, 10 distinct in reference, 15 in current -> numerical (ks)",
    )
    col(
        "s_current_categorical",
        np.array([f"id{i}" for i in range(n_ref)], dtype=object),
        cats(rng, n_cur, [f"id{i}" for i in range(20)]),
        "strings, all distinct in reference (text), 20 distinct in current -> categorical",
    )
    col("f_float", rng.normal(0, 1, n_ref), rng.normal(0.1, 1, n_cur), "float64 -> numerical")
    return {"method": None, "ref": r, "cur": c, "notes": notes, "types": None}


def case_column_method_types():
    """Per-column methods (--column-method), including methods not allowed for the column type."""
    rng = np.random.default_rng(4001)
    n_ref, n_cur = 300, 200
    r = {
        "num_z": rng.integers(0, 2, n_ref),
        "num_chisquare": rng.integers(0, 4, n_ref),
        "num_tvd": rng.integers(0, 4, n_ref),
        "num_wasserstein": rng.normal(0, 1, n_ref),
        "num_psi": rng.normal(0, 1, n_ref),
        "cat_ks": rng.integers(0, 50, n_ref),
        "cat_psi": cats(rng, n_ref, list("abc")),
        "cat_jensenshannon": cats(rng, n_ref, list("abcd")),
    }
    c = {
        "num_z": rng.integers(0, 2, n_cur),
        "num_chisquare": rng.integers(0, 4, n_cur),
        "num_tvd": rng.integers(0, 4, n_cur),
        "num_wasserstein": rng.normal(0.3, 1, n_cur),
        "num_psi": rng.normal(0.1, 1, n_cur),
        "cat_ks": rng.integers(0, 50, n_cur),
        "cat_psi": cats(rng, n_cur, list("abc"), [0.5, 0.3, 0.2]),
        "cat_jensenshannon": cats(rng, n_cur, list("abcd")),
    }
    methods = {
        "num_z": "z",
        "num_chisquare": "chisquare",
        "num_tvd": "TVD",
        "num_wasserstein": "wasserstein",
        "num_psi": "psi",
        "cat_ks": "ks",
        "cat_psi": "psi",
        "cat_jensenshannon": "jensenshannon",
    }
    types = {k: ("numerical" if k.startswith("num") else "categorical") for k in r}
    notes = {
        k: f"{methods[k]} forced on a {types[k]} column"
        + ("" if k in ("num_wasserstein", "num_psi", "cat_psi", "cat_jensenshannon") else " (not allowed by Evidently)")
        for k in r
    }
    return {"method": None, "column_methods": methods, "ref": r, "cur": c, "notes": notes, "types": types}


def build_cases():
    num = numeric_columns
    return {
        "ks": lambda: method_case("ks", num, 400, 300, 1001),
        "chisquare": lambda: method_case("chisquare", categorical_columns, 400, 300, 1002),
        "z": lambda: method_case("z", binary_columns, 400, 300, 1003),
        "wasserstein": lambda: method_case("wasserstein", num, 400, 300, 1004),
        "jensenshannon": lambda: method_case("jensenshannon", binned_columns, 240, 160, 1005),
        "psi": lambda: method_case("psi", binned_columns, 240, 160, 1007),
        "kl_div": lambda: method_case("kl_div", binned_columns, 240, 160, 1008),
        "hellinger": lambda: method_case("hellinger", binned_columns, 240, 160, 1009),
        "anderson": lambda: method_case("anderson", num, 400, 300, 1010),
        "cramer_von_mises": lambda: method_case("cramer_von_mises", num, 400, 300, 1011),
        "ed": lambda: method_case("ed", num, 400, 300, 1013),
        "es": lambda: method_case("es", num, 400, 300, 1014),
        "fisher_exact": case_fisher,
        "g_test": case_g_test,
        "mannw": lambda: method_case("mannw", num, 400, 300, 1015),
        "t_test": lambda: method_case("t_test", num, 400, 300, 1016),
        "empirical_mmd": lambda: method_case("empirical_mmd", num, 300, 250, 1017),
        "TVD": lambda: method_case("TVD", categorical_columns, 300, 250, 1018),
        "psi_rare": lambda: case_rare("psi", 1019),
        "kl_div_rare": lambda: case_rare("kl_div", 1020),
        "column_method_types": case_column_method_types,
        "default_small": case_default_small,
        "default_large": case_default_large,
        "type_inference": case_type_inference,
        "type_from_current": case_type_from_current,
    }


# --------------------------------------------------------------------------- evidently


def _clean(series):
    return series.replace([np.inf, -np.inf], np.nan).dropna()


def _finite_or_none(x):
    x = float(x)
    return None if math.isnan(x) else x


def run_preset(ref, cur, definition, method, columns, column_methods=None):
    """One DataDriftPreset run; returns ({column: entry}, (drifted_count, share))."""
    if definition is None:
        cur_ds, ref_ds = Dataset.from_pandas(cur), Dataset.from_pandas(ref)
    else:
        cur_ds = Dataset.from_pandas(cur, data_definition=definition)
        ref_ds = Dataset.from_pandas(ref, data_definition=definition)
    np.random.seed(0)  # empirical_mmd permutes with numpy's global RNG
    per_column = {c: m for c, m in (column_methods or {}).items() if c in columns} or None
    preset = DataDriftPreset(columns=columns, method=method, per_column_method=per_column, drift_share=DRIFT_SHARE)
    report = Report([preset], include_tests=True)
    snapshot = report.run(cur_ds, ref_ds).dict()
    entries, dataset = {}, None
    for metric in snapshot["metrics"]:
        cfg = metric["config"]
        if cfg["type"].endswith("ValueDrift"):
            name = cfg["method"]
            entries[cfg["column"]] = {
                "method": DISPLAY_TO_NAME.get(name, name),
                "threshold": cfg["threshold"],
                "score": metric["value"],
            }
        elif cfg["type"].endswith("DriftedColumnsCount"):
            dataset = (int(metric["value"]["count"]), metric["value"]["share"])
    for test in snapshot["tests"]:
        prefix = "Value Drift for column "
        if test["name"].startswith(prefix):
            entries[test["name"][len(prefix) :]]["drifted"] = test["status"] == "FAIL"
    return entries, dataset


def evidently_drift(ref, cur, definition, method, columns, column_methods=None):
    """Run the preset; if it fails, find the failing columns one by one and rerun on the rest."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            entries, dataset = run_preset(ref, cur, definition, method, columns, column_methods)
            return entries, dataset, {}
        except Exception:  # noqa: BLE001 - Evidently raises plain ValueErrors etc.
            pass
        errors, ok = {}, []
        for column in columns:
            try:
                run_preset(ref, cur, definition, method, [column], column_methods)
                ok.append(column)
            except Exception as exc:  # noqa: BLE001
                errors[column] = str(exc)
        entries, dataset = run_preset(ref, cur, definition, method, ok, column_methods) if ok else ({}, (0, 0.0))
        return entries, dataset, errors


def drifted_by_rule(method, score, threshold):
    """Evidently's comparison per method (used where modelwatch replaces the score)."""
    if method in ("mannw", "g_test", "fisher_exact"):
        return score < threshold
    raise ValueError(method)


def fisher_table(ref, cur):
    values = sorted(set(ref.tolist()) | set(cur.tolist()), key=str)
    if len(values) > 2:
        return None
    first = values[0]
    one_ref, one_cur = int((ref == first).sum()), int((cur == first).sum())
    return np.array([[one_cur, len(cur) - one_cur], [one_ref, len(ref) - one_ref]])


def modelwatch_override(method, ref, cur):
    """Scores where modelwatch deliberately does not follow Evidently (None = follow it)."""
    if method == "mannw":
        return float(stats.mannwhitneyu(ref, cur, alternative="two-sided").pvalue)
    if method == "g_test":
        keys = sorted(set(ref.tolist()) | set(cur.tolist()), key=str)
        rc, cc = ref.value_counts(), cur.value_counts()
        f_ref = np.array([rc.get(k, 0) for k in keys], dtype=float)
        f_cur = np.array([cc.get(k, 0) for k in keys], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            res = stats.power_divergence(f_obs=f_cur, f_exp=f_ref * len(cur) / len(ref), lambda_="log-likelihood")
        return float(res.pvalue)
    if method == "fisher_exact":
        table = fisher_table(ref, cur)
        return None if table is None else float(stats.fisher_exact(table).pvalue)
    return None


# --------------------------------------------------------------------------- writing


def write_case(name, case):
    out = OUT_DIR / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    ref_df, cur_df = pd.DataFrame(case["ref"]), pd.DataFrame(case["cur"])
    ref_df.to_csv(out / "reference.csv", index=False)
    cur_df.to_csv(out / "current.csv", index=False)
    # Score exactly what is in the files, as pandas reads them.
    ref = pd.read_csv(out / "reference.csv", float_precision="round_trip")
    cur = pd.read_csv(out / "current.csv", float_precision="round_trip")
    for col in ref_df.columns:
        if ref_df[col].dtype == float:
            assert np.array_equal(ref_df[col].to_numpy(), ref[col].to_numpy(), equal_nan=True), col

    types, method = case["types"], case["method"]
    columns = list(ref_df.columns)
    if types is None:
        definition = None
        inferred_cur = Dataset.from_pandas(cur).data_definition
        inferred_ref = Dataset.from_pandas(ref).data_definition
        col_type = {c: inferred_cur.get_column_type(c).name.lower() for c in columns}
        ref_type = {c: inferred_ref.get_column_type(c).name.lower() for c in columns}
        scored = [c for c in columns if col_type[c] in ("numerical", "categorical", "text")]
    else:
        definition = DataDefinition(
            numerical_columns=[c for c in columns if types[c] == "numerical"],
            categorical_columns=[c for c in columns if types[c] == "categorical"],
            text_columns=[c for c in columns if types[c] == "text"],
        )
        col_type, ref_type, scored = dict(types), dict(types), columns

    column_methods = case.get("column_methods", {})
    entries, ev_dataset, errors = evidently_drift(ref, cur, definition, method, scored, column_methods)

    results, overridden = [], False
    for col in columns:
        rc, cc = ref[col], cur[col]
        entry = {
            "column": col,
            "type": col_type[col],
            "method": column_methods.get(col, method),
            "threshold": None,
            "score": None,
            "drifted": False,
            "reference_rows": len(rc),
            "current_rows": len(cc),
            "reference_missing": int(rc.isna().sum()),
            "current_missing": int(cc.isna().sum()),
            "reference_used": len(_clean(rc)),
            "current_used": len(_clean(cc)),
            "error": None,
            "note": case["notes"][col],
        }
        if types is None and ref_type[col] != col_type[col]:
            entry["reference_inferred_type"] = ref_type[col]
        if col in case.get("upcast", ()):
            entry["pandas_float_upcast"] = True
        if col not in scored:
            entry["skipped"] = True
            results.append(entry)
            continue
        if col in errors:
            entry["error"] = errors[col]
        else:
            ev = entries[col]
            entry["method"] = ev["method"]
            entry["threshold"] = ev["threshold"]
            entry["score"] = _finite_or_none(ev["score"])
            if entry["score"] is None:
                entry["score_is_nan"] = True
            entry["drifted"] = bool(ev["drifted"])
        used_method = entry["method"]
        if used_method == "cramer_von_mises" and entry["error"] and "Cannot cast ufunc" in entry["error"]:
            # Evidently's copy of the exact small-sample algorithm overflows a numpy
            # uint16 under numpy 2; scipy's own implementation of the same test works.
            res = stats.cramervonmises_2samp(_clean(rc).to_numpy(), _clean(cc).to_numpy(), method="auto")
            entry["scipy_score"] = float(res.pvalue)
        if used_method in APPROXIMATE_METHODS and entry["error"] is None:
            entry["approximate"] = True
        deviation_error = entry["error"] is not None and (
            "not of equal length" in entry["error"] or "sum of the observed frequencies" in entry["error"]
        )
        ours = None
        if entry["error"] is None or deviation_error:
            ours = modelwatch_override(used_method, _clean(rc), _clean(cc))
        if ours is not None:
            threshold = entry["threshold"]
            if threshold is None:
                threshold = next(iter(_registered_stat_tests[used_method].values())).default_threshold
            if ours != entry["score"] or entry["error"] is not None:
                overridden = True
                entry["evidently_score"] = entry["score"]
                entry["evidently_drifted"] = entry["drifted"]
                if entry["error"] is not None:
                    entry["evidently_error"] = entry["error"]
            entry.update(
                score=_finite_or_none(ours),
                threshold=threshold,
                error=None,
                drifted=bool(drifted_by_rule(used_method, ours, threshold)),
            )
            if entry["score"] is None:
                entry["score_is_nan"] = True
        results.append(entry)

    counted = [e for e in results if e["error"] is None and not e.get("skipped")]
    drifted_count = sum(e["drifted"] for e in counted)
    column_count = len(counted)
    drifted_share = drifted_count / column_count if column_count else 0.0
    if not overridden:
        n_ev = ev_dataset[0]
        assert n_ev == drifted_count, (name, n_ev, drifted_count)
    expected = {
        "case": name,
        "evidently_version": evidently.__version__,
        "pandas_version": pd.__version__,
        "scipy_version": scipy.__version__,
        "drift_share": DRIFT_SHARE,
        "column_types": {} if types is None else dict(types),
        "method": method,
        "column_methods": column_methods,
        "columns": results,
        "column_count": column_count,
        "drifted_count": drifted_count,
        "drifted_share": drifted_share,
        "dataset_drift": bool(column_count and drifted_share >= DRIFT_SHARE),
        "error_count": sum(e["error"] is not None for e in results),
    }
    with open(out / "expected.json", "w") as fh:
        json.dump(expected, fh, indent=1, allow_nan=False)
        fh.write("\n")
    return expected


def main(argv):
    cases = build_cases()
    wanted = argv or list(cases)
    unknown = [w for w in wanted if w not in cases]
    if unknown:
        sys.exit(f"unknown case(s): {unknown}; known: {list(cases)}")
    for name in wanted:
        expected = write_case(name, cases[name]())
        summary = ", ".join(
            f"{e['column']}={'ERR' if e['error'] else e['score']}" for e in expected["columns"] if not e.get("skipped")
        )
        print(f"{name}: {expected['drifted_count']}/{expected['column_count']} drifted; {summary[:200]}")


if __name__ == "__main__":
    main(sys.argv[1:])
