"""Evidently 0.7's common metrics, answered from modelwatch's results.

`from evidently.metrics import ValueDrift` becomes `from modelwatch.evidently.metrics import
ValueDrift`. Every class takes Evidently's keyword arguments; its value has Evidently's
shape (counts as floats, `{"count", "share"}`, `{"mean", "std"}`, `{label: value}`).
Differences from Evidently are listed in docs/python-evidently.md.
"""

from __future__ import annotations

import math
from typing import Any

from .datasets import ColumnType
from .metric_types import _REQUIRED, Metric, MetricRunError, RunResults, number

__all__ = [
    "FNR",
    "FPR",
    "MAE",
    "MAPE",
    "RMSE",
    "TNR",
    "TPR",
    "AbsMaxError",
    "Accuracy",
    "AlmostConstantColumnsCount",
    "AlmostDuplicatedColumnsCount",
    "ColumnCount",
    "ConstantColumnsCount",
    "DatasetMissingValueCount",
    "DriftedColumnsCount",
    "DuplicatedColumnsCount",
    "DuplicatedRowCount",
    "EmptyColumnsCount",
    "EmptyRowsCount",
    "F1ByLabel",
    "F1Score",
    "LogLoss",
    "MaxValue",
    "MeanError",
    "MeanValue",
    "MedianValue",
    "MinValue",
    "MissingValueCount",
    "Precision",
    "PrecisionByLabel",
    "QuantileValue",
    "R2Score",
    "Recall",
    "RecallByLabel",
    "RocAuc",
    "RocAucByLabel",
    "RowCount",
    "StdValue",
    "UniqueValueCount",
    "ValueDrift",
]

# Evidently's display name of each drift method (what `ValueDrift` shows when the method was
# chosen automatically).
METHOD_DISPLAY_NAMES = {
    "anderson": "Anderson-Darling",
    "chisquare": "chi-square p_value",
    "cramer_von_mises": "Cramer-von Mises",
    "ed": "Energy-distance",
    "es": "Epps-Singleton",
    "fisher_exact": "Fisher's Exact test",
    "g_test": "g_test",
    "hellinger": "Hellinger distance",
    "jensenshannon": "Jensen-Shannon distance",
    "kl_div": "Kullback-Leibler divergence",
    "ks": "K-S p_value",
    "mannw": "Mann-Whitney U-rank test",
    "empirical_mmd": "empirical_mmd",
    "psi": "PSI",
    "t_test": "t_test",
    "perc_text_content_drift": "Percentile text content drift",
    "abs_text_content_drift": "Absolute text content drift",
    "TVD": "Total-Variation-Distance",
    "wasserstein": "Wasserstein distance (normed)",
    "z": "Z-test p_value",
}


# ---------------------------------------------------------------------- dataset statistics


class _DatasetCount(Metric):
    _module = "evidently.metrics.dataset_statistics"
    _summary_key = ""

    def engine_needs(self) -> list[str]:
        return ["summary"]

    def value(self, run: RunResults) -> Any:
        return float(run.summary_dataset()[self._summary_key])


class RowCount(_DatasetCount):
    """Rows of the current dataset."""

    _summary_key = "rows"


class ColumnCount(_DatasetCount):
    """Columns of the current dataset, or of one `ColumnType`."""

    _fields = (("tests", None), ("column_type", None))

    def value(self, run: RunResults) -> Any:
        keys = {
            None: "columns",
            ColumnType.Numerical: "numerical_columns",
            ColumnType.Categorical: "categorical_columns",
            ColumnType.Text: "text_columns",
            ColumnType.Datetime: "datetime_columns",
        }
        column_type = self.column_type
        if isinstance(column_type, str):
            column_type = ColumnType(column_type)
        if column_type not in keys:
            raise NotImplementedError(
                f"modelwatch.evidently: ColumnCount(column_type={column_type}) is not supported"
            )
        return float(run.summary_dataset()[keys[column_type]])


class DuplicatedRowCount(_DatasetCount):
    """Rows equal to an earlier row."""

    _summary_key = "duplicated_rows"


class DuplicatedColumnsCount(_DatasetCount):
    """Columns equal to another column."""

    _summary_key = "duplicated_columns"


class AlmostDuplicatedColumnsCount(_DatasetCount):
    """Pairs of columns equal in at least 95% of rows."""

    _summary_key = "almost_duplicated_columns"


class AlmostConstantColumnsCount(_DatasetCount):
    """Columns whose most common value fills at least 95% of rows."""

    _summary_key = "almost_constant_columns"


class EmptyRowsCount(_DatasetCount):
    """Rows with every value missing."""

    _summary_key = "empty_rows"


class EmptyColumnsCount(_DatasetCount):
    """Columns with every value missing."""

    _summary_key = "empty_columns"


class ConstantColumnsCount(_DatasetCount):
    """Columns with one distinct value."""

    _summary_key = "constant_columns"


class DatasetMissingValueCount(_DatasetCount):
    """Missing cells of the current dataset; `share` is per row, as Evidently divides it."""

    _fields = (("tests", None), ("share_tests", None))

    def value(self, run: RunResults) -> Any:
        stats = run.summary_dataset()
        rows = stats["rows"]
        # Evidently 0.7 divides the missing cells by the row count (not the cell count
        # modelwatch's own missing_values_share uses); the shape keeps Evidently's ratio.
        share = stats["missing_values"] / rows if rows else math.nan
        return {"count": float(stats["missing_values"]), "share": share}


# ---------------------------------------------------------------------- column statistics


class _ColumnMetric(Metric):
    _module = "evidently.metrics.column_statistics"
    _fields = (("tests", None), ("column", _REQUIRED))

    def engine_needs(self) -> list[str]:
        return ["summary"]

    def _current(self, run: RunResults) -> dict[str, Any]:
        entry = run.summary_column(self.column)
        if entry.get("error"):
            raise MetricRunError(f"column {self.column!r}: {entry['error']}")
        current = entry.get("current")
        if current is None:
            raise MetricRunError(
                f"column {self.column!r} is not in the current dataset"
            )
        return current

    def _numeric(self, run: RunResults, key: str) -> float:
        current = self._current(run)
        numeric = current.get("numeric")
        if numeric is not None:
            return number(numeric[key])
        if key in ("min", "max") and key in current:
            raise NotImplementedError(
                f"modelwatch.evidently: {type(self).__name__} of datetime column {self.column!r} is not supported"
            )
        raise MetricRunError(f"column {self.column!r} is not numerical")


class MissingValueCount(_ColumnMetric):
    """Missing values of a column: `{"count", "share"}` (share of all rows)."""

    _fields = (("tests", None), ("share_tests", None), ("column", _REQUIRED))

    def value(self, run: RunResults) -> Any:
        current = self._current(run)
        return {
            "count": float(current["missing"]),
            "share": float(current["missing_share"]),
        }


class MinValue(_ColumnMetric):
    """Smallest value of a numerical column."""

    def value(self, run: RunResults) -> Any:
        return self._numeric(run, "min")


class MaxValue(_ColumnMetric):
    """Largest value of a numerical column."""

    def value(self, run: RunResults) -> Any:
        return self._numeric(run, "max")


class MeanValue(_ColumnMetric):
    """Mean of a numerical column."""

    def value(self, run: RunResults) -> Any:
        return self._numeric(run, "mean")


class StdValue(_ColumnMetric):
    """Standard deviation (ddof 1) of a numerical column."""

    def value(self, run: RunResults) -> Any:
        return self._numeric(run, "std")


class MedianValue(_ColumnMetric):
    """Median of a numerical column."""

    def value(self, run: RunResults) -> Any:
        return self._numeric(run, "q50")


# The quantiles modelwatch's summary holds, by the key it writes them under.
_QUANTILE_KEYS = {0.25: "q25", 0.5: "q50", 0.75: "q75"}


class QuantileValue(_ColumnMetric):
    """A quantile (linear interpolation) of a numerical column; modelwatch has 0.25, 0.5, 0.75."""

    _fields = (("tests", None), ("column", _REQUIRED), ("quantile", 0.5))

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if float(self.quantile) not in _QUANTILE_KEYS:
            raise NotImplementedError(
                f"modelwatch.evidently: QuantileValue(quantile={self.quantile}): modelwatch computes the "
                "quantiles 0.25, 0.5 and 0.75 only"
            )

    def value(self, run: RunResults) -> Any:
        return self._numeric(run, _QUANTILE_KEYS[float(self.quantile)])


class UniqueValueCount(_ColumnMetric):
    """Counts and shares (of all rows) of each value of a categorical column."""

    _fields = (
        ("replace_nan", None),
        ("tests", None),
        ("share_tests", None),
        ("column", _REQUIRED),
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if self.replace_nan is not None:
            raise NotImplementedError(
                "modelwatch.evidently: UniqueValueCount(replace_nan=...) is not supported"
            )

    def value(self, run: RunResults) -> Any:
        entry = run.summary_column(self.column)
        categories = entry.get("categories")
        if categories is None:
            raise NotImplementedError(
                f"modelwatch.evidently: UniqueValueCount of {entry['type']} column {self.column!r}: modelwatch "
                "counts the values of categorical columns only"
            )
        current = self._current(run)
        rows = current["rows"] or 1
        # Evidently lists every value seen in either dataset (0 when the current data lack
        # it) and, when either side has a missing value, a "nan" entry that value_counts
        # leaves at 0; shares are of all current rows.
        counts: dict[str, float] = {}
        for label in categories["labels"]:
            counts[label["label"]] = float(label["current_count"])
        if sum(counts.values()) != current["count"]:
            raise MetricRunError(
                f"column {self.column!r}: modelwatch's summary does not list every value"
            )
        reference = entry.get("reference") or {}
        if current["missing"] or reference.get("missing"):
            counts["nan"] = 0.0
        shares = {label: count / rows for label, count in counts.items()}
        return {"counts": counts, "shares": shares}


# ---------------------------------------------------------------------- drift


def drift_method_name(method: str | None) -> str | None:
    """Check a method name against modelwatch's (Evidently's names); custom functions are not supported."""
    if method is None:
        return None
    if not isinstance(method, str):
        raise NotImplementedError(
            "modelwatch.evidently: drift methods are given by name (ks, psi, ...); custom StatTest objects "
            "and functions are not supported"
        )
    if method not in METHOD_DISPLAY_NAMES:
        raise ValueError(
            f"unknown drift method {method!r}; known: {', '.join(sorted(METHOD_DISPLAY_NAMES))}"
        )
    return method


class ValueDrift(_ColumnMetric):
    """The drift score (p-value or distance) of one column, with Evidently's method rule."""

    _fields = (
        ("tests", None),
        ("column", _REQUIRED),
        ("method", None),
        ("threshold", None),
        ("nbinsx", None),
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        drift_method_name(self.method)
        if self.nbinsx is not None:
            raise NotImplementedError(
                "modelwatch.evidently: ValueDrift(nbinsx=...) is not supported"
            )

    def engine_needs(self) -> list[str]:
        return ["drift"]

    def drift_settings(self) -> dict[str, Any]:
        """The engine settings this metric needs beyond the defaults (its column's method, threshold)."""
        settings: dict[str, Any] = {}
        if self.method is not None:
            settings["column_method"] = {self.column: self.method}
        if self.threshold is not None:
            settings["column_threshold"] = {self.column: float(self.threshold)}
        return settings

    def value(self, run: RunResults) -> Any:
        entry = run.drift_column(self.column)
        if entry.get("error"):
            raise MetricRunError(
                f"column {self.column!r} could not be drift-tested: {entry['error']}"
            )
        if self.method is None and entry.get("method") is not None:
            self.resolve(
                "method", METHOD_DISPLAY_NAMES.get(entry["method"], entry["method"])
            )
        if self.threshold is None and entry.get("threshold") is not None:
            self.resolve("threshold", entry["threshold"])
        return number(entry["score"])


class DriftedColumnsCount(Metric):
    """How many of the tested columns drifted: `{"count", "share"}`."""

    _module = "evidently.metrics.column_statistics"
    _fields = (
        ("tests", None),
        ("share_tests", None),
        ("columns", None),
        ("embeddings", None),
        ("embeddings_drift_method", None),
        ("drift_share", 0.5),
        ("method", None),
        ("cat_method", None),
        ("num_method", None),
        ("text_method", None),
        ("per_column_method", None),
        ("threshold", None),
        ("cat_threshold", None),
        ("num_threshold", None),
        ("text_threshold", None),
        ("per_column_threshold", None),
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if self.embeddings or self.embeddings_drift_method:
            raise NotImplementedError(
                "modelwatch.evidently: embedding drift in DriftedColumnsCount is not supported"
            )
        if self.text_threshold is not None:
            raise NotImplementedError(
                "modelwatch.evidently: text_threshold is not supported"
            )
        for name in ("method", "cat_method", "num_method", "text_method"):
            drift_method_name(getattr(self, name))
        for method in (self.per_column_method or {}).values():
            drift_method_name(method)

    def engine_needs(self) -> list[str]:
        return ["drift"]

    def drift_settings(self) -> dict[str, Any]:
        """The engine's drift settings for these options (empty for the defaults)."""
        settings: dict[str, Any] = {}
        for name in (
            "method",
            "cat_method",
            "num_method",
            "text_method",
            "threshold",
            "cat_threshold",
            "num_threshold",
        ):
            if getattr(self, name) is not None:
                settings[name] = getattr(self, name)
        if self.per_column_method:
            settings["column_method"] = dict(self.per_column_method)
        if self.per_column_threshold:
            settings["column_threshold"] = {
                k: float(v) for k, v in self.per_column_threshold.items()
            }
        if self.drift_share != 0.5:
            settings["drift_share"] = float(self.drift_share)
        return settings

    def value(self, run: RunResults) -> Any:
        drift = run.section("drift")
        if self.columns is None:
            return {
                "count": float(drift["drifted_count"]),
                "share": float(drift["drifted_share"]),
            }
        tested = [run.drift_column(c) for c in self.columns]
        tested = [e for e in tested if e.get("error") is None]
        drifted = sum(1 for e in tested if e["drifted"])
        return {
            "count": float(drifted),
            "share": drifted / len(tested) if tested else 0.0,
        }


# ---------------------------------------------------------------------- classification


class _ClassificationMetric(Metric):
    _module = "evidently.metrics.classification"
    _fields = (
        ("tests", None),
        ("classification_name", "default"),
        ("probas_threshold", None),
        ("k", None),
    )
    _key = ""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if self.k is not None:
            raise NotImplementedError(
                f"modelwatch.evidently: {type(self).__name__}(k=...) (top-k) is not supported"
            )
        if self.classification_name != "default":
            raise NotImplementedError(
                "modelwatch.evidently: only the classification named 'default' is supported"
            )

    def engine_needs(self) -> list[str]:
        return ["classification"]

    def _quality(self, run: RunResults) -> dict[str, Any]:
        return run.section("classification")["current"]

    def value(self, run: RunResults) -> Any:
        value = self._quality(run).get(self._key)
        if value is None:
            raise MetricRunError(
                f"{type(self).__name__} is undefined for these data (modelwatch's {self._key!r} is null)"
            )
        return float(value)


class Accuracy(_ClassificationMetric):
    """Share of rows whose predicted label is the target."""

    _key = "accuracy"


class Precision(_ClassificationMetric):
    """Precision (binary: of the positive label; multiclass: macro average)."""

    _fields = _ClassificationMetric._fields + (
        ("conf_matrix", True),
        ("pr_curve", False),
        ("pr_table", False),
    )
    _key = "precision"


class Recall(_ClassificationMetric):
    """Recall (binary: of the positive label; multiclass: macro average)."""

    _fields = _ClassificationMetric._fields + (
        ("conf_matrix", True),
        ("pr_curve", False),
        ("pr_table", False),
    )
    _key = "recall"


class F1Score(_ClassificationMetric):
    """F1 score (binary: of the positive label; multiclass: macro average)."""

    _fields = _ClassificationMetric._fields + (("conf_matrix", True),)
    _key = "f1"


class RocAuc(_ClassificationMetric):
    """ROC AUC from the prediction's probabilities."""

    _fields = _ClassificationMetric._fields + (("roc_curve", True), ("pr_table", False))
    _key = "roc_auc"


class LogLoss(_ClassificationMetric):
    """Log loss from the prediction's probabilities."""

    _fields = _ClassificationMetric._fields + (("pr_table", False),)
    _key = "log_loss"


class TPR(_ClassificationMetric):
    """True positive rate (binary)."""

    _fields = _ClassificationMetric._fields + (("pr_table", False),)
    _key = "tpr"


class TNR(_ClassificationMetric):
    """True negative rate (binary)."""

    _fields = _ClassificationMetric._fields + (("pr_table", False),)
    _key = "tnr"


class FPR(_ClassificationMetric):
    """False positive rate (binary)."""

    _fields = _ClassificationMetric._fields + (("pr_table", False),)
    _key = "fpr"


class FNR(_ClassificationMetric):
    """False negative rate (binary)."""

    _fields = _ClassificationMetric._fields + (("pr_table", False),)
    _key = "fnr"


class _ByLabel(_ClassificationMetric):
    def value(self, run: RunResults) -> Any:
        out: dict[str, float] = {}
        for entry in self._quality(run)["per_label"]:
            value = entry.get(self._key)
            if value is None:
                raise MetricRunError(
                    f"{type(self).__name__} of label {entry['label']!r} is undefined for these data"
                )
            out[entry["label"]] = float(value)
        return out


class F1ByLabel(_ByLabel):
    """F1 score of each label: `{label: value}`."""

    _key = "f1"


class PrecisionByLabel(_ByLabel):
    """Precision of each label."""

    _key = "precision"


class RecallByLabel(_ByLabel):
    """Recall of each label."""

    _key = "recall"


class RocAucByLabel(_ByLabel):
    """One-vs-rest ROC AUC of each label (needs probabilities)."""

    _key = "roc_auc"


# ---------------------------------------------------------------------- regression


class _RegressionMetric(Metric):
    _module = "evidently.metrics.regression"
    _fields = (
        ("tests", None),
        ("regression_name", "default"),
        ("error_distr", False),
        ("error_normality", False),
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if self.regression_name != "default":
            raise NotImplementedError(
                "modelwatch.evidently: only the regression named 'default' is supported"
            )

    def engine_needs(self) -> list[str]:
        return ["regression"]

    def _quality(self, run: RunResults) -> dict[str, Any]:
        return run.section("regression")["current"]


class MeanError(_RegressionMetric):
    """Mean and standard deviation of prediction − target."""

    _fields = (
        ("mean_tests", None),
        ("std_tests", None),
        ("regression_name", "default"),
        ("error_plot", True),
        ("error_distr", False),
        ("error_normality", False),
    )

    def value(self, run: RunResults) -> Any:
        q = self._quality(run)
        return {"mean": number(q["mean_error"]), "std": number(q["error_std"])}


class MAE(_RegressionMetric):
    """Mean and standard deviation of the absolute error."""

    _fields = (
        ("mean_tests", None),
        ("std_tests", None),
        ("regression_name", "default"),
        ("error_plot", False),
        ("error_distr", True),
        ("error_normality", False),
    )

    def value(self, run: RunResults) -> Any:
        q = self._quality(run)
        return {"mean": number(q["mae"]), "std": number(q["abs_error_std"])}


class RMSE(_RegressionMetric):
    """Root mean squared error."""

    _fields = (
        ("tests", None),
        ("regression_name", "default"),
        ("error_plot", False),
        ("error_distr", True),
        ("error_normality", False),
    )

    def value(self, run: RunResults) -> Any:
        return number(self._quality(run)["rmse"])


class MAPE(_RegressionMetric):
    """Mean absolute percentage error: mean in percent, std as a fraction (Evidently's shape)."""

    _fields = (
        ("mean_tests", None),
        ("std_tests", None),
        ("regression_name", "default"),
        ("perc_error_plot", True),
        ("error_distr", False),
        ("zero_handling", None),
        ("replace_value", None),
        ("epsilon", None),
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if (
            self.zero_handling is not None
            or self.replace_value is not None
            or self.epsilon is not None
        ):
            raise NotImplementedError(
                "modelwatch.evidently: MAPE(zero_handling/replace_value/epsilon) is not supported; modelwatch "
                "leaves rows with a zero target out"
            )

    def value(self, run: RunResults) -> Any:
        q = self._quality(run)
        # Rows with a zero target are left out of modelwatch's MAPE (and counted in
        # mape_zero_target_rows); Evidently scores them, so with zero targets the values
        # differ on purpose (docs/python-evidently.md).
        # Evidently 0.7 reports the mean in percent but the standard deviation as a fraction;
        # modelwatch's mape_std is in percent, so it is divided back.
        return {"mean": number(q["mape"]), "std": number(q["mape_std"]) / 100.0}


class R2Score(_RegressionMetric):
    """Coefficient of determination."""

    def value(self, run: RunResults) -> Any:
        return number(self._quality(run)["r2"])


class AbsMaxError(_RegressionMetric):
    """Largest absolute error."""

    def value(self, run: RunResults) -> Any:
        return number(self._quality(run)["max_abs_error"])
