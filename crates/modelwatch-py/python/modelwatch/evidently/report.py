"""Evidently 0.7's `Report` and `Snapshot`, run by modelwatch's engine.

`Report([...]).run(current, reference)` plans one or more `modelwatch.report` calls (one per
distinct set of drift options; summary, classification and regression ride on the first),
runs them, expands the presets against the results and reads every metric's value out of
them. The snapshot's `dict()` has Evidently's layout: `{"metrics": [{"id", "metric_name",
"config", "value"}, ...], "tests": []}`, one entry per distinct metric in first-seen order.
"""

from __future__ import annotations

import builtins
import copy
import datetime as _dt
import json
from collections.abc import Callable, Sequence
from typing import Any, Union

from .datasets import DataDefinition, Dataset
from .metric_types import Metric, RunResults
from .metrics import DriftedColumnsCount, ValueDrift
from .presets import ExpansionContext, Preset

# A runtime alias: `X | Y` between classes needs Python 3.10, the package supports 3.9.
Item = Union[Metric, Preset]  # noqa: UP007


class EngineRun:
    """One call of `modelwatch.report`: its presets and keyword settings."""

    def __init__(self, presets: list[str], settings: dict[str, Any]):
        self.presets = presets
        self.settings = settings

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of `modelwatch.report` (besides the two tables)."""
        return dict(self.settings, presets=list(self.presets))

    def cli_args(self) -> list[str]:
        """The same run as `modelwatch report` flags (without --reference/--current/--json)."""
        args = ["--preset", ",".join(self.presets)]
        for key, value in self.settings.items():
            flag = "--" + key.replace("_", "-")
            if isinstance(value, dict):
                for column, item in value.items():
                    args += [flag, f"{column}={_flag_value(item)}"]
            elif isinstance(value, (list, tuple)):
                args += [flag, ",".join(str(v) for v in value)]
            else:
                args += [flag, _flag_value(value)]
        return args

    def __repr__(self) -> str:
        return f"EngineRun(presets={self.presets!r}, settings={self.settings!r})"


def _flag_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_PRESET_ORDER = ["drift", "summary", "classification", "regression"]


def definition_settings(definition: DataDefinition) -> dict[str, Any]:
    """modelwatch settings from a DataDefinition: column types and the task's columns."""
    settings: dict[str, Any] = {}
    for key, attr in (
        ("numerical", "numerical_columns"),
        ("categorical", "categorical_columns"),
        ("text", "text_columns"),
        ("datetime", "datetime_columns"),
    ):
        columns = getattr(definition, attr)
        if columns:
            settings[key] = list(columns)
    if definition.id_column:
        settings["id"] = definition.id_column
    if definition.timestamp:
        settings["timestamp"] = definition.timestamp
    task = definition.get_classification("default")
    regression = definition.get_regression("default")
    if (
        definition.classification
        and task is None
        or definition.regression
        and regression is None
    ):
        raise NotImplementedError(
            "modelwatch.evidently: only the task named 'default' is supported"
        )
    if task is not None and regression is not None:
        raise NotImplementedError(
            "modelwatch.evidently: a classification and a regression together are not supported"
        )
    if task is not None:
        if task.labels:
            raise NotImplementedError(
                "modelwatch.evidently: classification labels=... (label names) is not supported"
            )
        settings["target"] = task.target
        if task.prediction_labels is not None:
            settings["prediction"] = task.prediction_labels
        if task.prediction_probas is not None:
            probas = task.prediction_probas
            settings["prediction_proba"] = (
                [probas] if isinstance(probas, str) else list(probas)
            )
        pos_label = getattr(task, "pos_label", None)
        if pos_label is not None:
            settings["pos_label"] = str(pos_label)
    if regression is not None:
        settings["target"] = regression.target
        settings["prediction"] = regression.prediction
    return settings


def _key(settings: dict[str, Any]) -> str:
    return json.dumps(settings, sort_keys=True, default=str)


class RunPlan:
    """Which engine run answers which report item."""

    def __init__(self, base_settings: dict[str, Any]):
        self.base_settings = base_settings
        self.runs: list[dict[str, Any]] = []  # {"drift": settings, "presets": set}
        self.assignment: list[int] = []

    def _run_for(self, drift: dict[str, Any]) -> int:
        key = _key(drift)
        for index, run in enumerate(self.runs):
            if _key(run["drift"]) == key:
                return index
        self.runs.append({"drift": drift, "presets": set()})
        return len(self.runs) - 1

    def add(self, item: Item) -> None:
        needs = item.engine_needs()
        if isinstance(item, (DriftedColumnsCount, Preset)):
            drift = item.drift_settings() if "drift" in needs else None
            index = self._run_for(drift or {})
        elif isinstance(item, ValueDrift) and item.drift_settings():
            index = self._override_run(item)
        else:
            index = self._run_for({})
        self.runs[index]["presets"].update(needs)
        self.assignment.append(index)

    def _override_run(self, item: ValueDrift) -> int:
        """A run holding this column's method/threshold without touching a run a preset or count reads."""
        for index, run in enumerate(self.runs):
            if not run.get("overrides"):
                continue
            taken = set(run["drift"].get("column_method", {})) | set(
                run["drift"].get("column_threshold", {})
            )
            if item.column not in taken:
                for key, value in item.drift_settings().items():
                    run["drift"].setdefault(key, {}).update(value)
                return index
        self.runs.append(
            {"drift": item.drift_settings(), "presets": set(), "overrides": True}
        )
        return len(self.runs) - 1

    def engine_runs(self) -> list[EngineRun]:
        """The engine calls, in plan order."""
        out = []
        for run in self.runs:
            presets = [p for p in _PRESET_ORDER if p in run["presets"]]
            out.append(EngineRun(presets, dict(self.base_settings, **run["drift"])))
        return out


def plan_runs(items: Sequence[Item], definition: DataDefinition) -> RunPlan:
    """Group the report's items into engine runs."""
    plan = RunPlan(definition_settings(definition))
    for item in items:
        if not isinstance(item, (Metric, Preset)):
            raise NotImplementedError(
                f"modelwatch.evidently: {type(item).__name__} is not supported; use the classes of "
                "modelwatch.evidently.metrics and modelwatch.evidently.presets"
            )
        plan.add(item)
    return plan


def _engine_report(reference: Any, current: Any, **kwargs: Any) -> dict[str, Any]:
    import modelwatch

    return modelwatch.report(reference, current, **kwargs)


# The call that runs the engine; tests replace it to feed results saved from the CLI.
run_engine: Callable[..., Any] = _engine_report


def _results_dict(results: Any) -> dict[str, Any]:
    return results if isinstance(results, dict) else results.to_dict()


class Snapshot:
    """The outcome of `Report.run`: Evidently's `dict()`/`json()` plus modelwatch's own results."""

    def __init__(
        self,
        report: Report,
        entries: list[builtins.dict[str, Any]],
        results: list[Any],
        timestamp: _dt.datetime,
    ):
        self._report = report
        self._entries = entries
        self._results = results
        self._timestamp = timestamp

    @property
    def report(self) -> Report:
        """The report that made this snapshot."""
        return self._report

    @property
    def results(self) -> list[Any]:
        """modelwatch's `Results` of each engine run (the first one carries every preset but extra drift runs)."""
        return list(self._results)

    @property
    def timestamp(self) -> _dt.datetime:
        """When the report was run."""
        return self._timestamp

    def dict(self) -> builtins.dict[str, Any]:
        """Evidently's layout: `{"metrics": [{"id", "metric_name", "config", "value"}], "tests": []}`."""
        return {"metrics": copy.deepcopy(self._entries), "tests": []}

    def json(self) -> str:
        """`dict()` as JSON text (NaN written as `NaN`, as Evidently's encoder does)."""
        return json.dumps(self.dict())

    def save_json(self, filename: str) -> None:
        """Write `json()` to a file."""
        with open(filename, "w", encoding="utf-8") as out:
            out.write(self.json())

    def save_html(self, filename: str) -> None:
        """Write modelwatch's self-contained HTML report of the first engine run."""
        if not self._results or isinstance(self._results[0], dict):
            raise NotImplementedError(
                "modelwatch.evidently: no modelwatch Results to render (results given as dicts)"
            )
        self._results[0].save_html(filename)

    def _repr_html_(self) -> str | None:
        if self._results and hasattr(self._results[0], "_repr_html_"):
            return self._results[0]._repr_html_()
        return None

    @property
    def tests_results(self) -> list[Any]:
        """Always empty: metric tests are not supported here (see `modelwatch.test`)."""
        return []

    def metric_value(self, metric_name: str) -> Any:
        """The value of the entry whose `metric_name` is given (KeyError when absent)."""
        for entry in self._entries:
            if entry["metric_name"] == metric_name:
                return copy.deepcopy(entry["value"])
        raise KeyError(metric_name)


Run = Snapshot


class Report:
    """A list of Evidently-style metrics and presets, run on modelwatch's engine.

    `Report([DataDriftPreset()]).run(current, reference)` takes the arguments of Evidently
    0.7's `Report.run` (current first). Tables are pandas or polars DataFrames, pyarrow
    tables or `Dataset`s; they go to `modelwatch.report` as they are.
    """

    def __init__(
        self,
        metrics: list[Item],
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        model_id: str | None = None,
        reference_id: str | None = None,
        batch_size: str | None = None,
        dataset_id: str | None = None,
        include_tests: bool = False,
    ):
        if include_tests:
            raise NotImplementedError(
                "modelwatch.evidently: Report(include_tests=True) is not supported; use modelwatch.test for test gates"
            )
        self.metrics = list(metrics)
        self.metadata = dict(metadata or {})
        self.tags = list(tags or [])
        for key, value in (
            ("model_id", model_id),
            ("reference_id", reference_id),
            ("batch_size", batch_size),
            ("dataset_id", dataset_id),
        ):
            if value is not None:
                self.metadata[key] = value
        self.include_tests = include_tests

    def items(self) -> list[Item]:
        """The metrics and presets of the report."""
        return self.metrics

    def plan(self, current_data: Any, reference_data: Any = None) -> list[EngineRun]:
        """The `modelwatch.report` calls `run` would make for these data."""
        current = Dataset.from_any(current_data)
        return plan_runs(self.metrics, current.data_definition).engine_runs()

    def run(
        self,
        current_data: Any,
        reference_data: Any = None,
        additional_data: dict[str, Any] | None = None,
        timestamp: _dt.datetime | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        name: str | None = None,
    ) -> Snapshot:
        """Run the report: the current data first, then the reference (as in Evidently)."""
        if additional_data:
            raise NotImplementedError(
                "modelwatch.evidently: additional_data is not supported"
            )
        current = Dataset.from_any(current_data)
        reference = (
            Dataset.from_any(reference_data) if reference_data is not None else None
        )
        definition = current.data_definition
        plan = plan_runs(self.metrics, definition)
        runs = plan.engine_runs()
        if reference is None and any("drift" in r.presets for r in runs):
            raise ValueError("Reference data is required for Value Drift")
        if reference is None:
            # Evidently describes a current dataset alone; modelwatch always compares two.
            raise NotImplementedError(
                "modelwatch.evidently needs reference data: Report.run(current, reference)"
            )
        results = [
            run_engine(reference.data, current.data, **run.kwargs()) for run in runs
        ]
        dicts = [_results_dict(r) for r in results]
        table_columns = current.column_names()
        entries: list[dict[str, Any]] = []
        seen = set()
        for item, index in zip(self.metrics, plan.assignment):
            run = RunResults(dicts[index])
            if isinstance(item, Preset):
                members = item.metrics(ExpansionContext(run, definition, table_columns))
            else:
                members = [item]
            for metric in members:
                metric = copy.copy(metric)
                metric._resolved = {}
                metric_id = metric.metric_id()
                if metric_id in seen:
                    continue
                seen.add(metric_id)
                entries.append(metric.to_entry(run))
        return Snapshot(self, entries, results, timestamp or _dt.datetime.now())
