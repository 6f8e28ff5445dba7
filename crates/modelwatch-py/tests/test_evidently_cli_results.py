"""`modelwatch.evidently` against Evidently 0.7.23's own snapshots, on the CLI's saved results.

The engine call is replaced by the results `modelwatch report --json` wrote for the same
files (tests/fixtures/python/<case>/modelwatch.json), so these tests check the planning
(which CLI runs a report needs) and the mapping to Evidently's names, configs and value
shapes without the compiled engine. test_evidently_engine.py repeats them on the engine.
"""

from __future__ import annotations

import json
import math

import pytest
from evidently_support import (
    DIFFERENCE_CASES,
    PARITY_CASES,
    assert_same_snapshot,
    build_report,
    case_data,
    case_spec,
    cli_results,
    engine_from_cli,
    evidently_snapshot,
    is_close,
)

# Metrics compared per case: a drop here means a metric went missing from a preset.
EXPECTED_METRIC_COUNTS = {
    "iris_drift_summary": 51,
    "mixed_drift_summary": 48,
    "drift_options": 8,
    "column_metrics": 15,
    "binary_proba": 14,
    "binary_labels": 11,
    "multiclass_labels": 7,
    "regression": 6,
    "classification_all_presets": 41,
    "regression_all_presets": 48,
    "summary_missing_values": 56,
}


def run_case(case: str):
    current, reference = case_data(case)
    report = build_report(case_spec(case))
    with engine_from_cli(case) as calls:
        snapshot = report.run(current, reference)
    assert len(calls) == len(case_spec(case)["cli_runs"])
    return snapshot


@pytest.mark.parametrize("case", PARITY_CASES)
def test_snapshot_matches_evidently(case):
    snapshot = run_case(case)
    compared = assert_same_snapshot(snapshot.dict(), evidently_snapshot(case))
    assert compared == EXPECTED_METRIC_COUNTS[case]
    # json() is the same document as dict().
    assert json.loads(snapshot.json()) == json.loads(json.dumps(snapshot.dict()))


@pytest.mark.parametrize("case", PARITY_CASES + DIFFERENCE_CASES)
def test_plan_is_the_cli_runs(case):
    current, reference = case_data(case)
    runs = build_report(case_spec(case)).plan(current, reference)
    assert [run.cli_args() for run in runs] == case_spec(case)["cli_runs"]


def test_dataset_missing_share_is_per_row_as_in_evidently():
    # Evidently divides the missing cells by the rows; modelwatch's own share is per cell.
    snapshot = run_case("mixed_drift_summary")
    value = snapshot.metric_value("DatasetMissingValueCount()")
    summary = cli_results("mixed_drift_summary")[0]["summary"]["current"]
    assert value == {"count": 20.0, "share": 20 / 600}
    assert summary["missing_values_share"] == pytest.approx(20 / (600 * 7), rel=1e-12)


def test_mape_std_is_a_fraction_as_in_evidently():
    snapshot = run_case("regression")
    value = snapshot.metric_value(
        "MAPE(regression_name=default,perc_error_plot=True,error_distr=False)"
    )
    quality = cli_results("regression")[0]["regression"]["current"]
    assert value["mean"] == quality["mape"]
    assert value["std"] == pytest.approx(quality["mape_std"] / 100, rel=1e-15)
    assert value["std"] == pytest.approx(0.2744087604497463, rel=1e-9)


def test_mannw_is_two_sided_where_evidently_is_one_sided():
    snapshot = run_case("deliberate_differences")
    got = snapshot.dict()["metrics"]
    expected = evidently_snapshot("deliberate_differences")["metrics"]
    assert [m["metric_name"] for m in got] == [m["metric_name"] for m in expected]
    assert got[0]["id"] == expected[0]["id"]
    # Evidently's p-value is the one-sided `alternative="less"` one; below 0.5 the two-sided
    # p-value is twice it.
    assert expected[0]["value"] < 0.5
    assert got[0]["value"] == pytest.approx(2 * expected[0]["value"], rel=1e-9)
    assert (
        got[0]["value"]
        == cli_results("deliberate_differences")[0]["drift"]["columns"][0]["score"]
    )


def test_mape_with_zero_targets_leaves_those_rows_out():
    snapshot = run_case("regression_zero_target")
    got = {m["metric_name"]: m["value"] for m in snapshot.dict()["metrics"]}
    expected = {
        m["metric_name"]: m["value"]
        for m in evidently_snapshot("regression_zero_target")["metrics"]
    }
    assert list(got) == list(expected)
    mape = "MAPE(regression_name=default,perc_error_plot=True,error_distr=False)"
    quality = cli_results("regression_zero_target")[0]["regression"]["current"]
    assert quality["mape_zero_target_rows"] == 28
    assert got[mape]["mean"] == quality["mape"]
    assert not math.isclose(got[mape]["mean"], expected[mape]["mean"], rel_tol=1e-3)
    # Every other regression metric keeps parity.
    for name, value in expected.items():
        if name != mape:
            assert is_close(got[name], value), name


def test_boolean_labels_are_text_where_evidently_has_booleans():
    snapshot = run_case("boolean_labels")
    got = snapshot.dict()["metrics"]
    expected = evidently_snapshot("boolean_labels")["metrics"]
    assert [m["id"] for m in got] == [m["id"] for m in expected]
    # Evidently's keys are Python booleans (`true`/`false` in JSON); modelwatch's labels are text.
    assert got[0]["value"]["counts"] == {"True": 80.0, "False": 170.0}
    assert expected[0]["value"]["counts"] == {"true": 80.0, "false": 170.0}
    # The categorical column next to it keeps parity, with Evidently's 0 for values seen only
    # in the reference and for missing values.
    assert is_close(got[1]["value"], expected[1]["value"])
    assert got[1]["value"]["counts"]["old"] == got[1]["value"]["counts"]["nan"] == 0.0
