"""Evidently 0.7's presets: each expands into the metrics Evidently would list.

`from evidently.presets import DataDriftPreset` becomes `from modelwatch.evidently.presets
import DataDriftPreset`. A preset names the modelwatch presets it reads (`engine_needs`) and,
once the engine ran, expands into metrics in Evidently's order (`metrics`): drift columns
numerical first, then categorical, then text; summary columns categorical first, then
numerical.
"""

from __future__ import annotations

from typing import Any

from . import metrics as m
from .datasets import ColumnType, DataDefinition
from .metric_types import Metric, RunResults

__all__ = [
    "ClassificationPreset",
    "ClassificationQuality",
    "ClassificationQualityByLabel",
    "DataDriftPreset",
    "DataSummaryPreset",
    "DatasetStats",
    "RegressionPreset",
    "RegressionQuality",
    "ValueStats",
]


class ExpansionContext:
    """What a preset needs to list its metrics: the run's results and the data definition."""

    def __init__(
        self, run: RunResults, definition: DataDefinition, table_columns: list[str]
    ):
        self.run = run
        self.definition = definition
        self.table_columns = table_columns

    def columns_of(self, section: str, kinds: list[str]) -> list[str]:
        """Columns of the given types as `section` typed them, grouped by type in `kinds` order.

        Within a type the order is the DataDefinition's list when one was given, else the
        table's column order (Evidently's order in both cases).
        """
        types = self.run.column_types(section)
        lists = {
            "numerical": self.definition.numerical_columns,
            "categorical": self.definition.categorical_columns,
            "text": self.definition.text_columns,
        }
        position = {name: i for i, name in enumerate(self.table_columns)}
        out: list[str] = []
        for kind in kinds:
            members = [c for c, t in types.items() if t == kind]
            given = lists.get(kind) or []
            rank = {name: i for i, name in enumerate(given)}
            members.sort(
                key=lambda c: (rank.get(c, len(given)), position.get(c, len(position)))
            )
            out.extend(members)
        return out


class Preset:
    """Base of the presets: Evidently's keyword arguments, the engine presets read, the metrics listed."""

    def engine_needs(self) -> list[str]:
        """The modelwatch presets this preset reads."""
        raise NotImplementedError

    def drift_settings(self) -> dict[str, Any] | None:
        """The engine's drift settings (None when the preset has no drift part)."""
        return None

    def metrics(self, context: ExpansionContext) -> list[Metric]:
        """The metrics Evidently's preset generates, in its order."""
        raise NotImplementedError


def _reject_tests(name: str, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if key.endswith("tests") and value:
            raise NotImplementedError(
                f"modelwatch.evidently: {name}({key}=...): metric tests are not supported; use modelwatch.test"
            )


class DataDriftPreset(Preset):
    """Drift of every column (or of `columns`) and the count of drifted columns."""

    def __init__(
        self,
        columns: list[str] | None = None,
        embeddings: list[str] | None = None,
        embeddings_drift_method: dict[str, Any] | None = None,
        drift_share: float = 0.5,
        method: str | None = None,
        cat_method: str | None = None,
        num_method: str | None = None,
        text_method: str | None = None,
        per_column_method: dict[str, str] | None = None,
        threshold: float | None = None,
        cat_threshold: float | None = None,
        num_threshold: float | None = None,
        text_threshold: float | None = None,
        per_column_threshold: dict[str, float] | None = None,
        include_tests: bool = True,
    ):
        self.options = {
            "columns": columns,
            "embeddings": embeddings,
            "embeddings_drift_method": embeddings_drift_method,
            "drift_share": drift_share,
            "method": method,
            "cat_method": cat_method,
            "num_method": num_method,
            "text_method": text_method,
            "per_column_method": per_column_method,
            "threshold": threshold,
            "cat_threshold": cat_threshold,
            "num_threshold": num_threshold,
            "text_threshold": text_threshold,
            "per_column_threshold": per_column_threshold,
        }
        self.include_tests = include_tests
        # Built now so bad options fail at construction, as Evidently's validation does.
        self._count = m.DriftedColumnsCount(**self.options)

    def engine_needs(self) -> list[str]:
        return ["drift"]

    def drift_settings(self) -> dict[str, Any]:
        return self._count.drift_settings()

    def _column_method(self, column: str, kind: str) -> str | None:
        o = self.options
        per_column = o["per_column_method"] or {}
        if column in per_column:
            return per_column[column]
        by_type = {
            "numerical": o["num_method"],
            "categorical": o["cat_method"],
            "text": o["text_method"],
        }
        return by_type.get(kind) or o["method"]

    def _column_threshold(self, column: str, kind: str) -> float | None:
        o = self.options
        per_column = o["per_column_threshold"] or {}
        if column in per_column:
            return per_column[column]
        by_type = {
            "numerical": o["num_threshold"],
            "categorical": o["cat_threshold"],
            "text": o["text_threshold"],
        }
        value = by_type.get(kind)
        return value if value is not None else o["threshold"]

    def metrics(self, context: ExpansionContext) -> list[Metric]:
        columns = self.options["columns"]
        if columns is None:
            columns = context.columns_of("drift", ["numerical", "categorical", "text"])
        types = context.run.column_types("drift")
        out: list[Metric] = [self._count]
        for column in columns:
            kind = types.get(column, "")
            out.append(
                m.ValueDrift(
                    column=column,
                    method=self._column_method(column, kind),
                    threshold=self._column_threshold(column, kind),
                )
            )
        return out


class DatasetStats(Preset):
    """Dataset-level counts: rows, columns by type, duplicates, empty and constant columns, missing cells."""

    def __init__(self, include_tests: bool = True, **tests: Any):
        _reject_tests("DatasetStats", tests)
        self.include_tests = include_tests

    def engine_needs(self) -> list[str]:
        return ["summary"]

    def metrics(self, context: ExpansionContext | None = None) -> list[Metric]:
        return [
            m.RowCount(),
            m.ColumnCount(),
            m.ColumnCount(column_type=ColumnType.Numerical, tests=[]),
            m.ColumnCount(column_type=ColumnType.Categorical, tests=[]),
            m.ColumnCount(column_type=ColumnType.Datetime, tests=[]),
            m.ColumnCount(column_type=ColumnType.Text, tests=[]),
            m.DuplicatedRowCount(),
            m.DuplicatedColumnsCount(),
            m.AlmostDuplicatedColumnsCount(),
            m.AlmostConstantColumnsCount(),
            m.EmptyRowsCount(),
            m.EmptyColumnsCount(),
            m.ConstantColumnsCount(),
            m.DatasetMissingValueCount(),
        ]


class ValueStats(Preset):
    """One column's statistics: rows, missing values, then min/max/mean/std/quartiles or value counts."""

    def __init__(
        self,
        column: str,
        include_tests: bool = True,
        replace_nan: Any = None,
        **tests: Any,
    ):
        _reject_tests("ValueStats", tests)
        self.column = column
        self.replace_nan = replace_nan
        self.include_tests = include_tests

    def engine_needs(self) -> list[str]:
        return ["summary"]

    def metrics(self, context: ExpansionContext) -> list[Metric]:
        kind = context.run.column_types("summary").get(self.column)
        out: list[Metric] = [m.RowCount(), m.MissingValueCount(column=self.column)]
        if kind == "numerical":
            out += [
                m.MinValue(column=self.column),
                m.MaxValue(column=self.column),
                m.MeanValue(column=self.column),
                m.StdValue(column=self.column),
                m.QuantileValue(column=self.column, quantile=0.25),
                m.QuantileValue(column=self.column, quantile=0.5),
                m.QuantileValue(column=self.column, quantile=0.75),
            ]
        elif kind == "categorical":
            out.append(
                m.UniqueValueCount(column=self.column, replace_nan=self.replace_nan)
            )
        elif kind == "datetime":
            out += [
                m.MinValue(column=self.column, tests=[]),
                m.MaxValue(column=self.column, tests=[]),
            ]
        return out


class DataSummaryPreset(Preset):
    """`DatasetStats` and `ValueStats` of every categorical and numerical column (or of `columns`)."""

    def __init__(
        self,
        columns: list[str] | None = None,
        include_tests: bool = True,
        column_tests: dict[str, Any] | None = None,
        **tests: Any,
    ):
        _reject_tests("DataSummaryPreset", dict(tests, column_tests=column_tests))
        self.columns = columns
        self.include_tests = include_tests

    def engine_needs(self) -> list[str]:
        return ["summary"]

    def metrics(self, context: ExpansionContext) -> list[Metric]:
        columns = self.columns or context.columns_of(
            "summary", ["categorical", "numerical"]
        )
        out = DatasetStats().metrics(context)
        for column in columns:
            out += ValueStats(column).metrics(context)
        return out


class ClassificationQuality(Preset):
    """Accuracy, precision, recall, F1 (ROC AUC and log loss with probabilities; rates when binary)."""

    def __init__(
        self,
        probas_threshold: float | None = None,
        conf_matrix: bool = False,
        pr_curve: bool = False,
        pr_table: bool = False,
        include_tests: bool = True,
        classification_name: str = "default",
        **tests: Any,
    ):
        _reject_tests(type(self).__name__, tests)
        if classification_name != "default":
            raise NotImplementedError(
                "modelwatch.evidently: only the classification named 'default' is supported"
            )
        self.probas_threshold = probas_threshold
        self.include_tests = include_tests

    def engine_needs(self) -> list[str]:
        return ["classification"]

    def _task(self, context: ExpansionContext):
        task = context.definition.get_classification("default")
        if task is None:
            raise ValueError(
                "Cannot use ClassificationPreset without a classification configration"
            )
        return task

    def metrics(self, context: ExpansionContext) -> list[Metric]:
        task = self._task(context)
        kw = {"probas_threshold": self.probas_threshold}
        out: list[Metric] = [
            m.Accuracy(**kw),
            m.Precision(**kw),
            m.Recall(**kw),
            m.F1Score(**kw),
        ]
        if task.prediction_probas is not None:
            out += [m.RocAuc(**kw), m.LogLoss(**kw)]
        if type(task).__name__ == "BinaryClassification":
            out += [m.TPR(**kw), m.TNR(**kw), m.FPR(**kw), m.FNR(**kw)]
        return out


class ClassificationQualityByLabel(ClassificationQuality):
    """F1, precision and recall of each label (and ROC AUC with probabilities)."""

    def metrics(self, context: ExpansionContext) -> list[Metric]:
        task = self._task(context)
        kw = {"probas_threshold": self.probas_threshold}
        out: list[Metric] = [
            m.F1ByLabel(**kw),
            m.PrecisionByLabel(**kw),
            m.RecallByLabel(**kw),
        ]
        if task.prediction_probas is not None:
            out.append(m.RocAucByLabel(**kw))
        return out


class ClassificationPreset(ClassificationQuality):
    """`ClassificationQuality` and `ClassificationQualityByLabel` together."""

    def metrics(self, context: ExpansionContext) -> list[Metric]:
        by_label = ClassificationQualityByLabel(probas_threshold=self.probas_threshold)
        return ClassificationQuality.metrics(self, context) + by_label.metrics(context)


class RegressionQuality(Preset):
    """Mean error, MAPE, RMSE, MAE, R², largest absolute error."""

    def __init__(
        self,
        *args: Any,
        include_tests: bool = True,
        regression_name: str = "default",
        **tests: Any,
    ):
        _reject_tests(type(self).__name__, tests)
        if regression_name != "default":
            raise NotImplementedError(
                "modelwatch.evidently: only the regression named 'default' is supported"
            )
        self.include_tests = include_tests

    def engine_needs(self) -> list[str]:
        return ["regression"]

    def metrics(self, context: ExpansionContext) -> list[Metric]:
        if context.definition.get_regression("default") is None:
            raise ValueError(
                "Cannot use RegressionPreset without a regression configuration"
            )
        return [
            m.MeanError(),
            m.MAPE(),
            m.RMSE(),
            m.MAE(),
            m.R2Score(),
            m.AbsMaxError(),
        ]


class RegressionPreset(RegressionQuality):
    """The regression quality metrics (Evidently's plots are modelwatch's HTML report)."""
