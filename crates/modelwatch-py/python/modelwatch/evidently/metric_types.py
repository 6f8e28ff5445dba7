"""The shape every Evidently-style metric shares: fields, config, name, id and value lookup.

A metric here is a description (its Evidently class name and fields) plus `value(run)`, which
reads the number out of one modelwatch results dict (`modelwatch.report(...).to_dict()`, the
CLI's JSON). Nothing is recomputed: a metric modelwatch does not produce raises
`NotImplementedError` naming what is missing.

`config()`, `metric_name()` and `metric_id()` follow Evidently 0.7.23 so a snapshot's
`dict()` carries the same keys: the config is the fields that are not None, the name is
`Type(field=value,...)` without test fields, lists joined and dicts left out, and the id is
the md5 of Evidently's class path and its field fingerprint.
"""

from __future__ import annotations

import enum
import hashlib
import math
from typing import Any

_REQUIRED = object()


def fingerprint_part(value: Any) -> Any:
    """A value in the form Evidently's fingerprint hashes it (tuples, enum values)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return tuple(
            (fingerprint_part(k), fingerprint_part(v)) for k, v in sorted(value.items())
        )
    if isinstance(value, (list, tuple)):
        return tuple(fingerprint_part(v) for v in value)
    return value


def _config_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    return value


class MetricRunError(ValueError):
    """A metric whose value the results do not hold (the column was not tested, ...)."""


class Metric:
    """Base of the metrics: Evidently's fields (in declaration order) and their defaults.

    Subclasses set `_fields` (name, default; `_REQUIRED` for required ones), `_module` (the
    Evidently module the class lives in, for the id) and implement `value(run)`.
    """

    _fields: tuple[tuple[str, Any], ...] = (("tests", None),)
    _module = "evidently.metrics"

    def __init__(self, **kwargs: Any):
        # Keyword arguments only, as Evidently's (pydantic) metrics take them.
        names = [name for name, _ in self._fields]
        unknown = [k for k in kwargs if k not in names]
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s) {unknown}"
            )
        for name, default in self._fields:
            if name in kwargs:
                value = kwargs[name]
            elif default is _REQUIRED:
                raise TypeError(
                    f"{type(self).__name__}() missing required argument {name!r}"
                )
            else:
                value = default
            setattr(self, name, value)
        for name, _ in self._fields:
            if name.endswith("tests") and getattr(self, name):
                raise NotImplementedError(
                    f"modelwatch.evidently: {type(self).__name__}({name}=...): metric tests are not supported; "
                    "use modelwatch.test for test gates"
                )
        self._resolved: dict[str, Any] = {}

    # ------------------------------------------------------------------ identity

    def params(self) -> dict[str, Any]:
        """The fields as set (after resolution of automatic choices such as a drift method)."""
        values = {name: getattr(self, name) for name, _ in self._fields}
        values.update(self._resolved)
        return values

    def config(self) -> dict[str, Any]:
        """Evidently's `config`: the type and every field that is not None."""
        out: dict[str, Any] = {"type": f"evidently:metric_v2:{type(self).__name__}"}
        for name, value in self.params().items():
            if value is not None:
                out[name] = _config_value(value)
        return out

    def metric_name(self) -> str:
        """Evidently's `metric_name`, e.g. `ValueDrift(column=age,method=K-S p_value,threshold=0.05)`."""
        items = []
        for name, value in self.params().items():
            if name.endswith("tests") or value is None or isinstance(value, dict):
                continue
            if isinstance(value, (list, tuple)):
                if value:
                    items.append(f"{name}={','.join(str(x) for x in value)}")
                continue
            items.append(f"{name}={value}")
        return f"{type(self).__name__}({','.join(items)})"

    def metric_id(self) -> str:
        """Evidently's metric id: md5 of the class path and the fields that differ from their defaults."""
        parts = tuple(
            (name, fingerprint_part(getattr(self, name)))
            for name, default in sorted(self._fields)
            if default is _REQUIRED or getattr(self, name) != default
        )
        classpath = f"{self._module}.{type(self).__name__}"
        return hashlib.md5((classpath + str(parts)).encode("utf8")).hexdigest()

    def resolve(self, name: str, value: Any) -> None:
        """Record an automatic choice (Evidently shows the method and threshold it used)."""
        self._resolved[name] = value

    def __repr__(self) -> str:
        return self.metric_name()

    # ------------------------------------------------------------------ values

    def engine_needs(self) -> list[str]:
        """The modelwatch presets this metric reads (drift, summary, classification, regression)."""
        raise NotImplementedError

    def value(self, run: RunResults) -> Any:
        """The metric's value in Evidently's shape, read from one modelwatch run."""
        raise NotImplementedError

    def to_entry(self, run: RunResults) -> dict[str, Any]:
        """One entry of `Snapshot.dict()["metrics"]`."""
        value = self.value(run)
        return {
            "id": self.metric_id(),
            "metric_name": self.metric_name(),
            "config": self.config(),
            "value": value,
        }


def number(value: Any) -> float | None:
    """A JSON number of modelwatch as a float (`"inf"`/`"-inf"` are infinities, null is NaN)."""
    if value is None:
        return math.nan
    if isinstance(value, str):
        return float(value)
    return float(value)


class RunResults:
    """Lookups into one modelwatch results dict (the schema of docs/json.md)."""

    def __init__(self, results: dict[str, Any], column_order: list[str] | None = None):
        self.results = results
        self.column_order = column_order or []

    def section(self, name: str) -> dict[str, Any]:
        """A preset's top-level section; a missing one is a planning error of the caller."""
        section = self.results.get(name)
        if section is None:
            raise MetricRunError(f"modelwatch's results have no {name!r} section")
        return section

    def drift_column(self, column: str) -> dict[str, Any]:
        """The drift entry of a column (features, target and prediction alike)."""
        for entry in self.section("drift")["columns"]:
            if entry["column"] == column:
                return entry
        skipped = {
            s["column"]: s["reason"]
            for s in self.section("drift").get("skipped_columns", [])
        }
        if column in skipped:
            raise MetricRunError(
                f"column {column!r} is not drift-tested: {skipped[column]}"
            )
        raise MetricRunError(f"column {column!r} is not in both datasets")

    def summary_dataset(self) -> dict[str, Any]:
        """The current dataset's statistics."""
        return self.section("summary")["current"]

    def summary_column(self, column: str) -> dict[str, Any]:
        """A column's summary entry."""
        for entry in self.section("summary")["columns"]:
            if entry["column"] == column:
                return entry
        raise MetricRunError(f"column {column!r} has no summary")

    def column_types(self, section: str) -> dict[str, str]:
        """Column name -> type as the section (drift or summary) lists them, in its order."""
        return {
            entry["column"]: entry["type"] for entry in self.section(section)["columns"]
        }
