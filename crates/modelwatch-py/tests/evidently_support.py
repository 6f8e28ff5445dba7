"""Shared pieces of the `modelwatch.evidently` tests: the committed cases and value comparison.

Each case folder under tests/fixtures/python/ (written by
scripts/gen_evidently_python_fixtures.py) holds the data, `case.json` (how the report is
built and which CLI runs give the same numbers), Evidently 0.7.23's snapshot
(`evidently.json`) and the CLI's results on the same files (`modelwatch.json`).
"""

from __future__ import annotations

import json
import math
import sys
import types
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "python"
PYTHON_SRC = ROOT / "crates" / "modelwatch-py" / "python"


def _import_without_engine() -> None:
    """Make `modelwatch.evidently` importable from the source tree without the compiled engine.

    The package's `__init__` loads the native module; the mapping tests do not need it (they
    feed saved CLI results), so without a build the parent package is registered as a bare
    namespace over the source folder. test_evidently_engine.py then finds no `report` and
    skips (or fails under CI=true).
    """
    try:
        import modelwatch.evidently  # noqa: F401
    except ImportError:
        for name in [
            m for m in sys.modules if m == "modelwatch" or m.startswith("modelwatch.")
        ]:
            del sys.modules[name]
        package = types.ModuleType("modelwatch")
        package.__path__ = [str(PYTHON_SRC / "modelwatch")]
        sys.modules["modelwatch"] = package


_import_without_engine()

import pandas as pd
from modelwatch.evidently import (
    BinaryClassification,
    DataDefinition,
    Dataset,
    MulticlassClassification,
    Regression,
    Report,
    metrics,
    presets,
)
from modelwatch.evidently import report as report_module

# Relative tolerance where modelwatch claims parity with Evidently.
REL = 1e-9

# Cases where every metric of Evidently's snapshot is expected, equal to REL.
PARITY_CASES = [
    "iris_drift_summary",
    "mixed_drift_summary",
    "drift_options",
    "column_metrics",
    "binary_proba",
    "binary_labels",
    "multiclass_labels",
    "regression",
    "classification_all_presets",
    "regression_all_presets",
    "summary_missing_values",
]

# Cases with a documented, deliberate difference (docs/python-evidently.md).
DIFFERENCE_CASES = [
    "deliberate_differences",
    "regression_zero_target",
    "boolean_labels",
]


def load_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def case_spec(case: str) -> dict:
    return load_json(FIXTURES / case / "case.json")


def evidently_snapshot(case: str) -> dict:
    return load_json(FIXTURES / case / "evidently.json")


def cli_results(case: str) -> list:
    return load_json(FIXTURES / case / "modelwatch.json")


def data_definition(spec: dict | None) -> DataDefinition | None:
    """The case's DataDefinition built with modelwatch.evidently's classes."""
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


def build_report(spec: dict) -> Report:
    items = []
    for name, kwargs in spec["items"]:
        cls = getattr(presets, name, None) or getattr(metrics, name)
        items.append(cls(**kwargs))
    return Report(items)


def case_data(case: str) -> tuple[Any, Any]:
    """(current, reference) as the test passes them: DataFrames, or Datasets with the definition."""
    spec = case_spec(case)
    reference = pd.read_csv(
        FIXTURES / case / "reference.csv", float_precision="round_trip"
    )
    current = pd.read_csv(FIXTURES / case / "current.csv", float_precision="round_trip")
    definition = data_definition(spec["data_definition"])
    if definition is None:
        return current, reference
    return (
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )


@contextmanager
def engine_from_cli(case: str, check_runs: bool = True):
    """Replace the engine call by the CLI's saved results.

    With `check_runs`, each call's settings must be the case's CLI run of the same index.
    Yields the list of calls made (keyword arguments of `modelwatch.report`).
    """
    spec = case_spec(case)
    saved = cli_results(case)
    calls: list = []

    def fake_engine(reference: Any, current: Any, **kwargs: Any) -> dict:
        index = len(calls)
        calls.append(kwargs)
        run = report_module.EngineRun(kwargs.pop("presets"), kwargs)
        if check_runs:
            assert run.cli_args() == spec["cli_runs"][index]
        return saved[min(index, len(saved) - 1)]

    original = report_module.run_engine
    report_module.run_engine = fake_engine
    try:
        yield calls
    finally:
        report_module.run_engine = original


def is_close(a: Any, b: Any, rel: float = REL) -> bool:
    """Values of Evidently's shape (numbers, dicts of numbers) equal to a relative tolerance."""
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(is_close(a[k], b[k], rel) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=0.0)
    return a == b


def assert_same_snapshot(got: dict, expected: dict) -> int:
    """Every metric of Evidently's snapshot, in its order, with its id, config and value.

    Returns how many metrics were compared.
    """
    got_names = [m["metric_name"] for m in got["metrics"]]
    expected_names = [m["metric_name"] for m in expected["metrics"]]
    assert got_names == expected_names
    for mine, theirs in zip(got["metrics"], expected["metrics"]):
        name = theirs["metric_name"]
        assert mine["id"] == theirs["id"], name
        assert json.loads(json.dumps(mine["config"])) == theirs["config"], name
        assert is_close(mine["value"], theirs["value"]), (
            name,
            mine["value"],
            theirs["value"],
        )
    assert got["tests"] == expected["tests"] == []
    return len(expected_names)
