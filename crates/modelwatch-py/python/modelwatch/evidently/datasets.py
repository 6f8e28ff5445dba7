"""Evidently 0.7's data description classes, read by modelwatch's engine.

`DataDefinition`, `BinaryClassification`, `MulticlassClassification`, `Regression` and
`Dataset` take the arguments Evidently's do. They describe the data only: the numbers are
computed by `modelwatch.report`, which these settings are translated into (column types,
target, prediction, probability columns, positive label).
"""

from __future__ import annotations

import enum
from typing import Any, Union


class ColumnType(enum.Enum):
    """Column types as Evidently names them (`ColumnCount(column_type=...)`)."""

    Numerical = "num"
    Categorical = "cat"
    Text = "text"
    Datetime = "datetime"


class BinaryClassification:
    """A binary classification task: `target`, and `prediction_labels` or `prediction_probas`.

    `prediction_probas` is the name of the one column holding the positive label's
    probability; `pos_label` is the positive label (modelwatch's default is 1, or `True`).
    """

    def __init__(
        self,
        *,
        name: str = "default",
        target: str | None = None,
        prediction_labels: str | None = None,
        prediction_probas: str | None = None,
        pos_label: Any | None = None,
        labels: dict[Any, str] | None = None,
    ):
        self.name = name
        self.target = target if target is not None else "target"
        if prediction_labels is None and prediction_probas is None:
            prediction_probas = "prediction"
        self.prediction_labels = prediction_labels
        self.prediction_probas = prediction_probas
        self.pos_label = pos_label
        self.labels = labels

    def __repr__(self) -> str:
        return (
            f"BinaryClassification(name={self.name!r}, target={self.target!r}, "
            f"prediction_labels={self.prediction_labels!r}, prediction_probas={self.prediction_probas!r}, "
            f"pos_label={self.pos_label!r})"
        )


class MulticlassClassification:
    """A multiclass task: `target`, and `prediction_labels` and/or `prediction_probas` (one column per label)."""

    def __init__(
        self,
        *,
        name: str = "default",
        target: str | None = None,
        prediction_labels: str | None = None,
        prediction_probas: list[str] | None = None,
        labels: dict[Any, str] | None = None,
    ):
        self.name = name
        self.target = target if target is not None else "target"
        if prediction_labels is None and prediction_probas is None:
            prediction_labels = "prediction"
        self.prediction_labels = prediction_labels
        self.prediction_probas = (
            list(prediction_probas) if prediction_probas is not None else None
        )
        self.labels = labels

    def __repr__(self) -> str:
        return (
            f"MulticlassClassification(name={self.name!r}, target={self.target!r}, "
            f"prediction_labels={self.prediction_labels!r}, prediction_probas={self.prediction_probas!r})"
        )


class Regression:
    """A regression task: the `target` and `prediction` columns."""

    def __init__(
        self,
        name: str = "default",
        target: str = "target",
        prediction: str = "prediction",
    ):
        self.name = name
        self.target = target
        self.prediction = prediction

    def __repr__(self) -> str:
        return f"Regression(name={self.name!r}, target={self.target!r}, prediction={self.prediction!r})"


# A runtime alias: `X | Y` between classes needs Python 3.10, the package supports 3.9.
Classification = Union[BinaryClassification, MulticlassClassification]  # noqa: UP007

# Arguments of Evidently's DataDefinition that describe data modelwatch has no engine for.
_UNSUPPORTED_DEFINITION = (
    "llm",
    "numerical_descriptors",
    "categorical_descriptors",
    "unknown_columns",
    "list_columns",
    "test_descriptors",
    "ranking",
    "service_columns",
    "special_columns",
    "embeddings",
)


class DataDefinition:
    """Which columns have which type and role, as Evidently 0.7's `DataDefinition`.

    Columns not listed are typed the way Evidently infers them (modelwatch's inference
    follows Evidently 0.7's rules). Only one classification or regression task is supported
    (the one named `default`); LLM, ranking, descriptor and embedding settings raise
    `NotImplementedError`.
    """

    def __init__(
        self,
        id_column: str | None = None,
        timestamp: str | None = None,
        numerical_columns: list[str] | None = None,
        categorical_columns: list[str] | None = None,
        text_columns: list[str] | None = None,
        datetime_columns: list[str] | None = None,
        classification: list[Classification] | None = None,
        regression: list[Regression] | None = None,
        **unsupported: Any,
    ):
        for key, value in unsupported.items():
            if key not in _UNSUPPORTED_DEFINITION:
                raise TypeError(
                    f"DataDefinition() got an unexpected keyword argument {key!r}"
                )
            if value is not None:
                raise NotImplementedError(
                    f"modelwatch.evidently: DataDefinition({key}=...) is not supported"
                )
        self.id_column = id_column
        self.timestamp = timestamp
        self.numerical_columns = (
            list(numerical_columns) if numerical_columns is not None else None
        )
        self.categorical_columns = (
            list(categorical_columns) if categorical_columns is not None else None
        )
        self.text_columns = list(text_columns) if text_columns is not None else None
        self.datetime_columns = (
            list(datetime_columns) if datetime_columns is not None else None
        )
        self.classification = list(classification) if classification else None
        self.regression = list(regression) if regression else None
        for tasks in (self.classification, self.regression):
            if tasks and len(tasks) > 1:
                raise NotImplementedError(
                    "modelwatch.evidently: one classification or regression task per DataDefinition is supported"
                )

    def get_classification(self, name: str = "default") -> Classification | None:
        """The classification task called `name`, or None."""
        return next((c for c in self.classification or [] if c.name == name), None)

    def get_regression(self, name: str = "default") -> Regression | None:
        """The regression task called `name`, or None."""
        return next((r for r in self.regression or [] if r.name == name), None)

    def __repr__(self) -> str:
        fields = {k: v for k, v in vars(self).items() if v is not None}
        return (
            "DataDefinition(" + ", ".join(f"{k}={v!r}" for k, v in fields.items()) + ")"
        )


class Dataset:
    """A table with its `DataDefinition`, as Evidently's `Dataset`.

    The data are kept as given (a pandas or polars DataFrame, a pyarrow Table, ...) and
    passed to `modelwatch.report` unchanged.
    """

    def __init__(self, data: Any, data_definition: DataDefinition | None = None):
        self.data = data
        self.data_definition = (
            data_definition if data_definition is not None else DataDefinition()
        )

    @classmethod
    def from_pandas(
        cls,
        data: Any,
        data_definition: DataDefinition | None = None,
        descriptors: list | None = None,
        options: Any = None,
        metadata: dict | None = None,
        tags: list | None = None,
    ) -> Dataset:
        """Wrap a DataFrame with its data definition (descriptors are not supported)."""
        if descriptors:
            raise NotImplementedError(
                "modelwatch.evidently: Dataset descriptors are not supported"
            )
        return cls(data, data_definition)

    @classmethod
    def from_any(cls, data: Any) -> Dataset:
        """A Dataset as is, or any table wrapped with an inferred definition."""
        return data if isinstance(data, Dataset) else cls(data)

    def as_dataframe(self) -> Any:
        """The data as given."""
        return self.data

    def column_names(self) -> list[str]:
        """The table's column names, in order (pandas, polars and pyarrow tables)."""
        names = getattr(self.data, "columns", None)
        if names is None:
            names = getattr(self.data, "column_names", None)
        if names is None:
            schema = getattr(self.data, "schema", None)
            names = getattr(schema, "names", None)
        return [str(n) for n in names] if names is not None else []
