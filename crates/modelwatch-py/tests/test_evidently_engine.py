"""`modelwatch.evidently` on the compiled engine against Evidently 0.7.23's own snapshots.

`Report.run` calls `modelwatch.report` on the DataFrames (no file in between); every metric
of Evidently's snapshot must come out with its id, config and value (1e-9 relative), and the
engine's results must equal the CLI's on the same files. Skipped when the package's engine
is not built (a source checkout without `maturin develop`), and fails then under CI=true.
"""

from __future__ import annotations

import json

import pytest
from conftest import require
from evidently_support import (
    DIFFERENCE_CASES,
    PARITY_CASES,
    assert_same_snapshot,
    build_report,
    case_data,
    case_spec,
    cli_results,
    evidently_snapshot,
)

try:
    import modelwatch

    ENGINE = hasattr(modelwatch, "report")
except ImportError:
    ENGINE = False


@pytest.fixture(autouse=True)
def engine_built():
    require(ENGINE, "modelwatch's engine is not built (maturin develop)")


def comparable(results: dict) -> dict:
    """A results dict without what differs between runs (input names, the clock)."""
    results = json.loads(json.dumps(results))
    results.pop("meta", None)
    return results


@pytest.mark.parametrize("case", PARITY_CASES)
def test_engine_snapshot_matches_evidently(case):
    current, reference = case_data(case)
    snapshot = build_report(case_spec(case)).run(current, reference)
    assert assert_same_snapshot(snapshot.dict(), evidently_snapshot(case)) > 0


@pytest.mark.parametrize("case", PARITY_CASES + DIFFERENCE_CASES)
def test_engine_results_are_the_cli_results(case):
    current, reference = case_data(case)
    snapshot = build_report(case_spec(case)).run(current, reference)
    engine = [comparable(r.to_dict()) for r in snapshot.results]
    cli = [comparable(r) for r in cli_results(case)]
    assert engine == cli


def test_save_html_writes_modelwatchs_report(tmp_path):
    current, reference = case_data("iris_drift_summary")
    snapshot = build_report(case_spec("iris_drift_summary")).run(current, reference)
    path = tmp_path / "report.html"
    snapshot.save_html(str(path))
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html")
    assert "petal_length" in text
    saved = tmp_path / "snapshot.json"
    snapshot.save_json(str(saved))
    assert json.loads(saved.read_text(encoding="utf-8")) == json.loads(snapshot.json())
