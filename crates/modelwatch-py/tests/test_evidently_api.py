"""`modelwatch.evidently`'s call shapes, names and ids, and what it refuses to invent."""

from __future__ import annotations

import pytest
from evidently_support import case_data, cli_results, engine_from_cli
from modelwatch.evidently import (
    BinaryClassification,
    ColumnType,
    DataDefinition,
    Dataset,
    MulticlassClassification,
    Report,
)
from modelwatch.evidently.metrics import (
    ColumnCount,
    DriftedColumnsCount,
    MissingValueCount,
    QuantileValue,
    UniqueValueCount,
    ValueDrift,
)
from modelwatch.evidently.presets import DataDriftPreset, DataSummaryPreset


def test_metric_names_configs_and_ids_follow_evidently():
    # Values copied from Evidently 0.7.23's snapshots in tests/fixtures/python.
    metric = ValueDrift(column="num_float")
    assert metric.metric_id() == "a5aad4a1cd58894404fb1839e1ab56a4"
    count = ColumnCount(column_type=ColumnType.Numerical, tests=[])
    assert count.metric_id() == "31b8c78bad2b7108842265cd082d5abf"
    assert count.metric_name() == "ColumnCount(column_type=ColumnType.Numerical)"
    assert count.config() == {
        "type": "evidently:metric_v2:ColumnCount",
        "tests": [],
        "column_type": "num",
    }
    drifted = DriftedColumnsCount(
        drift_share=0.3, num_method="wasserstein", per_column_method={"a": "ks"}
    )
    assert (
        drifted.metric_name()
        == "DriftedColumnsCount(drift_share=0.3,num_method=wasserstein)"
    )
    assert drifted.config()["per_column_method"] == {"a": "ks"}
    quantile = QuantileValue(column="x", quantile=0.25)
    assert quantile.metric_name() == "QuantileValue(column=x,quantile=0.25)"


def test_same_metric_twice_is_listed_once():
    current, reference = case_data("iris_drift_summary")
    report = Report(
        [
            DataDriftPreset(),
            ValueDrift(column="petal_length"),
            MissingValueCount(column="sepal_width"),
        ]
    )
    with engine_from_cli("iris_drift_summary", check_runs=False):
        snapshot = report.run(current, reference)
    names = [m["metric_name"] for m in snapshot.dict()["metrics"]]
    assert len(names) == len(set(names)) == 6
    assert names[-1] == "MissingValueCount(column=sepal_width)"


def test_drift_preset_on_a_column_subset_counts_those_columns():
    current, reference = case_data("iris_drift_summary")
    with engine_from_cli("iris_drift_summary", check_runs=False):
        snapshot = Report(
            [DataDriftPreset(columns=["petal_length", "sepal_width"])]
        ).run(current, reference)
    drift = cli_results("iris_drift_summary")[0]["drift"]["columns"]
    drifted = {c["column"]: c["drifted"] for c in drift}
    expected = drifted["petal_length"] + drifted["sepal_width"]
    value = snapshot.metric_value(
        "DriftedColumnsCount(columns=petal_length,sepal_width,drift_share=0.5)"
    )
    assert value == {"count": float(expected), "share": expected / 2}


def test_data_definition_becomes_engine_settings():
    definition = DataDefinition(
        numerical_columns=["a", "b"],
        categorical_columns=["c"],
        id_column="id",
        timestamp="ts",
        classification=[
            BinaryClassification(target="y", prediction_probas="p", pos_label="yes")
        ],
    )
    runs = Report([DataSummaryPreset()]).plan(
        Dataset.from_pandas(None, data_definition=definition)
    )
    assert [r.cli_args() for r in runs] == [
        [
            "--preset",
            "summary",
            "--numerical",
            "a,b",
            "--categorical",
            "c",
            "--id",
            "id",
            "--timestamp",
            "ts",
            "--target",
            "y",
            "--prediction-proba",
            "p",
            "--pos-label",
            "yes",
        ]
    ]
    multi = DataDefinition(
        classification=[
            MulticlassClassification(target="y", prediction_probas=["a", "b"])
        ]
    )
    runs = Report([ValueDrift(column="y", method="psi", threshold=0.2)]).plan(
        Dataset(None, multi)
    )
    assert runs[0].kwargs() == {
        "target": "y",
        "prediction_proba": ["a", "b"],
        "column_method": {"y": "psi"},
        "column_threshold": {"y": 0.2},
        "presets": ["drift"],
    }


@pytest.mark.parametrize(
    "make",
    [
        lambda: QuantileValue(column="x", quantile=0.9),
        lambda: Report([], include_tests=True),
        lambda: ValueDrift(column="x", nbinsx=10),
        lambda: ValueDrift(column="x", tests=[object()]),
        lambda: UniqueValueCount(column="x", replace_nan="missing"),
        lambda: DataDefinition(embeddings={"e": ["a", "b"]}),
        lambda: DataDriftPreset(embeddings=["e"]),
        lambda: ValueDrift(column="x", method=lambda ref, cur, kind, t: (0.5, False)),
    ],
)
def test_what_modelwatch_cannot_answer_raises(make):
    with pytest.raises(NotImplementedError):
        make()


def test_a_report_without_reference_raises():
    current, _ = case_data("iris_drift_summary")
    with pytest.raises(NotImplementedError, match="needs reference data"):
        Report([DataSummaryPreset()]).run(current, None)


def test_unknown_drift_method_is_a_value_error():
    with pytest.raises(ValueError, match="unknown drift method 'kss'"):
        ValueDrift(column="x", method="kss")


def test_unique_value_count_of_a_numerical_column_raises():
    current, reference = case_data("iris_drift_summary")
    with (
        engine_from_cli("iris_drift_summary", check_runs=False),
        pytest.raises(NotImplementedError, match="categorical columns only"),
    ):
        Report([DataDriftPreset(), UniqueValueCount(column="sepal_length")]).run(
            current, reference
        )


def test_drift_needs_a_reference():
    current, _ = case_data("iris_drift_summary")
    with pytest.raises(ValueError, match="Reference data is required"):
        Report([DataDriftPreset()]).run(current)
