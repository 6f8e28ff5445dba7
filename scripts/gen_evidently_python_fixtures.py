#!/usr/bin/env python3
"""Generate the fixtures of `modelwatch.evidently` in tests/fixtures/python/.

`modelwatch.evidently` offers Evidently 0.7's `Report` API on modelwatch's engine. Its tests
run the same report twice, once with Evidently and once with modelwatch, and compare the
snapshots' `.dict()`. This script makes the Evidently half (and, with `--modelwatch BIN`, the
CLI's results on the same files, so the mapping can be tested without the Python engine).

For every case it writes into `tests/fixtures/python/<case>/`:

  * `reference.csv`, `current.csv`: the data, taken from datasets already committed under
    `examples/` and `tests/fixtures/` (columns chosen per case). Floats are written
    repr-exact and read back with `float_precision="round_trip"` before Evidently sees them.
  * `case.json`: how the report is built (`items`: `[class name, keyword arguments]` of the
    presets and metrics, `data_definition`), the CLI runs that ask modelwatch for the same
    numbers (`cli_runs`: one list of flags per `modelwatch report` call that
    `modelwatch.evidently` plans), and the versions used.
  * `evidently.json`: `Snapshot.json()` of Evidently's run, parsed.
  * `modelwatch.json` (with `--modelwatch BIN`): a list with `BIN report ... --json -` of each
    CLI run, on the same files.

    python3 scripts/gen_evidently_python_fixtures.py
    python3 scripts/gen_evidently_python_fixtures.py --modelwatch target/release/modelwatch
    python3 scripts/gen_evidently_python_fixtures.py iris_drift_summary regression

Requirements: the pinned stack of scripts/python_env.sh (evidently 0.7.23, pandas < 3).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_env import ROOT, ensure_reference_python

ensure_reference_python(need_evidently=True)

import evidently
import numpy as np
import pandas as pd
import scipy
import sklearn
from evidently import (
    BinaryClassification,
    DataDefinition,
    Dataset,
    MulticlassClassification,
    Regression,
    Report,
)
from evidently import metrics as ev_metrics
from evidently import presets as ev_presets

warnings.filterwarnings("ignore")
OUT_DIR = ROOT / "tests" / "fixtures" / "python"
MODEL_QUALITY = ROOT / "tests" / "fixtures" / "model_quality"
DRIFT = ROOT / "tests" / "fixtures" / "drift"
SUMMARY = ROOT / "tests" / "fixtures" / "summary"
IRIS = ROOT / "examples" / "iris"
IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

MIXED_COLUMNS = [
    "num_u6",
    "num_u5_missing",
    "num_float",
    "cat_u2",
    "cat_u3",
    "cat_u12",
    "cat_int_u8",
]

# One entry per case: where the data come from, which columns, how Evidently is asked
# (`items`, `data_definition`) and how the CLI is asked for the same (`cli_runs`).
CASES = {
    "iris_drift_summary": {
        "source": (IRIS / "reference.csv", IRIS / "current.csv"),
        "columns": IRIS_FEATURES,
        "data_definition": None,
        "items": [["DataDriftPreset", {}], ["DataSummaryPreset", {}]],
        "cli_runs": [["--preset", "drift,summary"]],
    },
    "mixed_drift_summary": {
        "source": (
            DRIFT / "default_small" / "reference.csv",
            DRIFT / "default_small" / "current.csv",
        ),
        "columns": MIXED_COLUMNS,
        "data_definition": {},
        "items": [["DataDriftPreset", {}], ["DataSummaryPreset", {}]],
        "cli_runs": [["--preset", "drift,summary"]],
    },
    "drift_options": {
        "source": (
            DRIFT / "default_small" / "reference.csv",
            DRIFT / "default_small" / "current.csv",
        ),
        "columns": MIXED_COLUMNS,
        "data_definition": {
            "numerical_columns": ["num_u6", "num_u5_missing", "num_float"],
            "categorical_columns": ["cat_u2", "cat_u3", "cat_u12", "cat_int_u8"],
        },
        "items": [
            [
                "DataDriftPreset",
                {
                    "num_method": "wasserstein",
                    "cat_method": "psi",
                    "per_column_method": {"num_float": "ks", "cat_u2": "jensenshannon"},
                    "per_column_threshold": {"num_float": 0.01},
                    "drift_share": 0.3,
                },
            ],
        ],
        "cli_runs": [
            [
                "--preset",
                "drift",
                "--numerical",
                "num_u6,num_u5_missing,num_float",
                "--categorical",
                "cat_u2,cat_u3,cat_u12,cat_int_u8",
                "--cat-method",
                "psi",
                "--num-method",
                "wasserstein",
                "--column-method",
                "num_float=ks",
                "--column-method",
                "cat_u2=jensenshannon",
                "--column-threshold",
                "num_float=0.01",
                "--drift-share",
                "0.3",
            ]
        ],
    },
    "column_metrics": {
        "source": (
            DRIFT / "default_small" / "reference.csv",
            DRIFT / "default_small" / "current.csv",
        ),
        "columns": MIXED_COLUMNS,
        "data_definition": {},
        "items": [
            ["RowCount", {}],
            ["ColumnCount", {}],
            ["DuplicatedRowCount", {}],
            ["DatasetMissingValueCount", {}],
            ["MissingValueCount", {"column": "num_u5_missing"}],
            ["MinValue", {"column": "num_float"}],
            ["MaxValue", {"column": "num_float"}],
            ["MeanValue", {"column": "num_float"}],
            ["StdValue", {"column": "num_float"}],
            ["MedianValue", {"column": "num_float"}],
            ["QuantileValue", {"column": "num_u5_missing", "quantile": 0.75}],
            ["UniqueValueCount", {"column": "cat_u3"}],
            ["ValueDrift", {"column": "num_float"}],
            ["ValueDrift", {"column": "cat_u12", "method": "psi"}],
            ["DriftedColumnsCount", {}],
        ],
        # ValueDrift(cat_u12, method="psi") needs its own run: the count keeps the default method.
        "cli_runs": [
            ["--preset", "drift,summary"],
            ["--preset", "drift", "--column-method", "cat_u12=psi"],
        ],
    },
    "binary_proba": {
        "source": (
            MODEL_QUALITY / "binary_proba" / "reference.csv",
            MODEL_QUALITY / "binary_proba" / "current.csv",
        ),
        "columns": None,
        "data_definition": {
            "numerical_columns": ["prediction"],
            "categorical_columns": ["target"],
            "classification": [
                {
                    "kind": "binary",
                    "target": "target",
                    "prediction_probas": "prediction",
                }
            ],
        },
        "items": [["ClassificationPreset", {}]],
        "cli_runs": [
            [
                "--preset",
                "classification",
                "--numerical",
                "prediction",
                "--categorical",
                "target",
                "--target",
                "target",
                "--prediction-proba",
                "prediction",
            ]
        ],
    },
    "binary_labels": {
        "source": (
            MODEL_QUALITY / "binary_labels" / "reference.csv",
            MODEL_QUALITY / "binary_labels" / "current.csv",
        ),
        "columns": None,
        "data_definition": {
            "numerical_columns": ["x"],
            "categorical_columns": ["target", "prediction"],
            "classification": [
                {
                    "kind": "binary",
                    "target": "target",
                    "prediction_labels": "prediction",
                }
            ],
        },
        "items": [
            ["ClassificationPreset", {}],
            ["Accuracy", {}],
            ["Precision", {}],
            ["Recall", {}],
            ["F1Score", {}],
        ],
        "cli_runs": [
            [
                "--preset",
                "classification",
                "--numerical",
                "x",
                "--categorical",
                "target,prediction",
                "--target",
                "target",
                "--prediction",
                "prediction",
            ]
        ],
    },
    "multiclass_labels": {
        "source": (
            MODEL_QUALITY / "multiclass_labels" / "reference.csv",
            MODEL_QUALITY / "multiclass_labels" / "current.csv",
        ),
        "columns": None,
        "data_definition": {
            "categorical_columns": ["target", "prediction"],
            "classification": [
                {
                    "kind": "multiclass",
                    "target": "target",
                    "prediction_labels": "prediction",
                }
            ],
        },
        "items": [["ClassificationPreset", {}]],
        "cli_runs": [
            [
                "--preset",
                "classification",
                "--categorical",
                "target,prediction",
                "--target",
                "target",
                "--prediction",
                "prediction",
            ]
        ],
    },
    "regression": {
        "source": (
            MODEL_QUALITY / "regression" / "reference.csv",
            MODEL_QUALITY / "regression" / "current.csv",
        ),
        "columns": None,
        "data_definition": {
            "numerical_columns": ["x", "target", "prediction"],
            "regression": [{"target": "target", "prediction": "prediction"}],
        },
        "items": [
            ["RegressionPreset", {}],
            ["MeanError", {}],
            ["MAE", {}],
            ["RMSE", {}],
            ["MAPE", {}],
            ["R2Score", {}],
            ["AbsMaxError", {}],
        ],
        "cli_runs": [
            [
                "--preset",
                "regression",
                "--numerical",
                "x,target,prediction",
                "--target",
                "target",
                "--prediction",
                "prediction",
            ]
        ],
    },
    # Drift and summary over a task's data: target and prediction are drift-tested too.
    "classification_all_presets": {
        "source": (
            MODEL_QUALITY / "binary_labels" / "reference.csv",
            MODEL_QUALITY / "binary_labels" / "current.csv",
        ),
        "columns": None,
        "data_definition": {
            "numerical_columns": ["x"],
            "categorical_columns": ["target", "prediction"],
            "classification": [
                {
                    "kind": "binary",
                    "target": "target",
                    "prediction_labels": "prediction",
                }
            ],
        },
        "items": [
            ["DataDriftPreset", {}],
            ["DataSummaryPreset", {}],
            ["ClassificationPreset", {}],
        ],
        "cli_runs": [
            [
                "--preset",
                "drift,summary,classification",
                "--numerical",
                "x",
                "--categorical",
                "target,prediction",
                "--target",
                "target",
                "--prediction",
                "prediction",
            ]
        ],
    },
    "regression_all_presets": {
        "source": (
            MODEL_QUALITY / "regression" / "reference.csv",
            MODEL_QUALITY / "regression" / "current.csv",
        ),
        "columns": None,
        "data_definition": {
            "numerical_columns": ["x", "target", "prediction"],
            "regression": [{"target": "target", "prediction": "prediction"}],
        },
        "items": [
            ["DataDriftPreset", {"num_method": "wasserstein"}],
            ["DataSummaryPreset", {}],
            ["RegressionPreset", {}],
        ],
        "cli_runs": [
            [
                "--preset",
                "drift",
                "--numerical",
                "x,target,prediction",
                "--target",
                "target",
                "--prediction",
                "prediction",
                "--num-method",
                "wasserstein",
            ],
            [
                "--preset",
                "summary,regression",
                "--numerical",
                "x,target,prediction",
                "--target",
                "target",
                "--prediction",
                "prediction",
            ],
        ],
    },
    # Missing and infinite values, empty columns, a categorical column with missing values.
    "summary_missing_values": {
        "source": (
            SUMMARY / "missing_infinities" / "reference.csv",
            SUMMARY / "missing_infinities" / "current.csv",
        ),
        "columns": None,
        "data_definition": None,
        "items": [["DataSummaryPreset", {}]],
        "cli_runs": [["--preset", "summary"]],
    },
    # Cases where modelwatch differs from Evidently on purpose; the tests assert the difference.
    "deliberate_differences": {
        "source": (
            DRIFT / "default_small" / "reference.csv",
            DRIFT / "default_small" / "current.csv",
        ),
        "columns": ["num_float"],
        "data_definition": None,
        "items": [["ValueDrift", {"column": "num_float", "method": "mannw"}]],
        "cli_runs": [["--preset", "drift", "--column-method", "num_float=mannw"]],
    },
    # A boolean column: modelwatch's labels are "True"/"False", Evidently's keys booleans.
    "boolean_labels": {
        "source": (
            SUMMARY / "all_types" / "reference.csv",
            SUMMARY / "all_types" / "current.csv",
        ),
        "columns": ["f", "cat", "flag"],
        "data_definition": None,
        "items": [
            ["UniqueValueCount", {"column": "flag"}],
            ["UniqueValueCount", {"column": "cat"}],
        ],
        "cli_runs": [["--preset", "summary"]],
    },
    "regression_zero_target": {
        "source": (
            MODEL_QUALITY / "regression_zero_target" / "reference.csv",
            MODEL_QUALITY / "regression_zero_target" / "current.csv",
        ),
        "columns": None,
        "data_definition": {
            "numerical_columns": ["target", "prediction"],
            "regression": [{"target": "target", "prediction": "prediction"}],
        },
        "items": [["RegressionPreset", {}]],
        "cli_runs": [
            [
                "--preset",
                "regression",
                "--numerical",
                "target,prediction",
                "--target",
                "target",
                "--prediction",
                "prediction",
            ]
        ],
    },
}


def read_csv(path):
    return pd.read_csv(path, float_precision="round_trip")


def write_data(case, spec, case_dir):
    """Copy the case's columns into its folder and read them back as the scored data."""
    frames = []
    for src, name in zip(spec["source"], ("reference.csv", "current.csv")):
        df = read_csv(src)
        if spec["columns"] is not None:
            df = df[spec["columns"]]
        df.to_csv(case_dir / name, index=False, float_format=None)
        frames.append(read_csv(case_dir / name))
    return frames


def evidently_data_definition(spec):
    """An Evidently DataDefinition from the case's JSON form (None: plain DataFrames)."""
    if spec is None:
        return None
    kwargs = {
        k: v for k, v in spec.items() if k not in ("classification", "regression")
    }
    if "classification" in spec:
        tasks = []
        for task in spec["classification"]:
            args = {k: v for k, v in task.items() if k != "kind"}
            cls = (
                BinaryClassification
                if task["kind"] == "binary"
                else MulticlassClassification
            )
            tasks.append(cls(**args))
        kwargs["classification"] = tasks
    if "regression" in spec:
        kwargs["regression"] = [Regression(**r) for r in spec["regression"]]
    return DataDefinition(**kwargs)


def evidently_item(name, kwargs):
    cls = getattr(ev_presets, name, None) or getattr(ev_metrics, name)
    return cls(**kwargs)


def run_evidently(spec, reference, current):
    definition = evidently_data_definition(spec["data_definition"])
    if definition is not None:
        current = Dataset.from_pandas(current, data_definition=definition)
        reference = Dataset.from_pandas(reference, data_definition=definition)
    report = Report([evidently_item(name, kwargs) for name, kwargs in spec["items"]])
    snapshot = report.run(current, reference)
    return json.loads(snapshot.json())


def run_modelwatch(binary, case_dir, cli_args):
    out = subprocess.run(
        [
            binary,
            "report",
            "--reference",
            str(case_dir / "reference.csv"),
            "--current",
            str(case_dir / "current.csv"),
            *cli_args,
            "--json",
            "-",
            "--quiet",
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if not out.stdout:
        sys.exit(f"{binary} failed: {out.stderr}")
    results = json.loads(out.stdout)
    # Paths and the clock differ from run to run; the rest is what the mapping reads.
    results["meta"]["reference"] = "reference.csv"
    results["meta"]["current"] = "current.csv"
    results["meta"]["generated_at"] = "1970-01-01T00:00:00Z"
    return results


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1, sort_keys=False)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", help="cases to regenerate (default: all)")
    parser.add_argument(
        "--modelwatch", help="a modelwatch binary: also write the CLI's modelwatch.json"
    )
    args = parser.parse_args()
    names = args.cases or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        sys.exit(f"unknown case(s) {unknown}; known: {list(CASES)}")
    versions = {
        "evidently": evidently.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
    }
    for name in names:
        spec = CASES[name]
        case_dir = OUT_DIR / name
        case_dir.mkdir(parents=True, exist_ok=True)
        reference, current = write_data(name, spec, case_dir)
        write_json(
            case_dir / "case.json",
            {
                "case": name,
                "items": spec["items"],
                "data_definition": spec["data_definition"],
                "cli_runs": spec["cli_runs"],
                "versions": versions,
            },
        )
        write_json(case_dir / "evidently.json", run_evidently(spec, reference, current))
        if args.modelwatch:
            write_json(
                case_dir / "modelwatch.json",
                [
                    run_modelwatch(args.modelwatch, case_dir, run)
                    for run in spec["cli_runs"]
                ],
            )
        print(f"{name}: written")


if __name__ == "__main__":
    main()
