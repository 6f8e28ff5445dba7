"""What :func:`modelwatch.report` and :func:`modelwatch.test` return."""

from __future__ import annotations

import html
import json
import os
from typing import Any, Dict, List, Optional, Union

from . import _native

PathLike = Union[str, "os.PathLike[str]"]


def _inline_page(page: str) -> str:
    # The page goes into an iframe's srcdoc: its CSS and scripts stay inside the frame
    # instead of restyling the notebook around it.
    return (
        '<iframe class="modelwatch-report" style="width:100%;height:820px;border:0" '
        f'srcdoc="{html.escape(page, quote=True)}"></iframe>'
    )


class Results:
    """A report: the values ``modelwatch report --json`` writes, and its HTML page.

    ``to_dict()`` is the command's JSON (docs/json.md); the properties read its ``drift``
    section (``None`` when the drift preset did not run).
    """

    def __init__(self, native: "_native.NativeResults") -> None:
        self._native = native
        self._json: Optional[str] = None
        self._dict: Optional[Dict[str, Any]] = None

    def to_json(self) -> str:
        """The results as the JSON text ``modelwatch report --json`` writes."""
        if self._json is None:
            self._json = self._native.to_json()
        return self._json

    def to_dict(self) -> Dict[str, Any]:
        """The results as a dict: the command's JSON, parsed (a fresh copy each call)."""
        return json.loads(self.to_json())

    def _data(self) -> Dict[str, Any]:
        if self._dict is None:
            self._dict = self.to_dict()
        return self._dict

    def to_html(self) -> str:
        """The self-contained HTML page ``modelwatch report --html`` writes."""
        return self._native.to_html()

    def save_html(self, path: PathLike) -> None:
        """Writes the HTML page to ``path`` atomically (a reader never sees half a page)."""
        self._native.save_html(os.fspath(path))

    def save_json(self, path: PathLike) -> None:
        """Writes the JSON to ``path`` atomically."""
        _native.NativeTestResults.write_file(os.fspath(path), self.to_json())

    def _repr_html_(self) -> str:
        return _inline_page(self.to_html())

    def _drift(self) -> Optional[Dict[str, Any]]:
        return self._data().get("drift")

    @property
    def meta(self) -> Dict[str, Any]:
        """The run's meta data: dataset names, row counts, version, time, seed."""
        return dict(self._data()["meta"])

    @property
    def dataset_drift(self) -> Optional[bool]:
        """Whether the dataset drifted (the share of drifted columns reached
        ``drift_share``); ``None`` without the drift preset."""
        drift = self._drift()
        return None if drift is None else bool(drift["dataset_drift"])

    @property
    def drift_share(self) -> Optional[float]:
        """The share of drifted columns at which the dataset counts as drifted (the
        ``drift_share`` setting, as in the JSON)."""
        drift = self._drift()
        return None if drift is None else drift["drift_share"]

    @property
    def drifted_share(self) -> Optional[float]:
        """The share of tested columns that drifted."""
        drift = self._drift()
        return None if drift is None else drift["drifted_share"]

    @property
    def number_of_columns(self) -> Optional[int]:
        """The number of columns tested for drift."""
        drift = self._drift()
        return None if drift is None else drift["column_count"]

    @property
    def number_of_drifted_columns(self) -> Optional[int]:
        """The number of tested columns that drifted."""
        drift = self._drift()
        return None if drift is None else drift["drifted_count"]

    @property
    def drifted_columns(self) -> List[str]:
        """The names of the columns that drifted, in the report's order."""
        drift = self._drift() or {}
        return [c["column"] for c in drift.get("columns", []) if c.get("drifted")]

    @property
    def columns(self) -> Dict[str, Dict[str, Any]]:
        """Each compared column's drift result (method, score, threshold, drifted, ...), by
        name."""
        drift = self._drift() or {}
        return {c["column"]: c for c in drift.get("columns", [])}

    @property
    def presets(self) -> List[str]:
        """The sections the report holds (``drift``, ``summary``, ...)."""
        return [k for k in self._data() if k != "meta"]

    def __repr__(self) -> str:
        meta = self._data()["meta"]
        rows = f"{meta['reference_rows']} reference rows, {meta['current_rows']} current rows"
        drift = self._drift()
        if drift is None:
            return f"<modelwatch.Results {', '.join(self.presets)}: {rows}>"
        verdict = "dataset drift" if drift["dataset_drift"] else "no dataset drift"
        return (
            f"<modelwatch.Results {verdict}: {drift['drifted_count']} of "
            f"{drift['column_count']} columns drifted; {rows}>"
        )


class TestResults:
    """The outcome of a test suite (``modelwatch test``): per-test results, whether the
    gate passes, JUnit XML, and the report the tests read (:attr:`results`)."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, native: "_native.NativeTestResults") -> None:
        self._native = native
        self._dict: Optional[Dict[str, Any]] = None
        self._results: Optional[Results] = None

    @property
    def passed(self) -> bool:
        """Whether no critical test failed or errored (``modelwatch test`` exits 0)."""
        return self._native.passed()

    def __bool__(self) -> bool:
        return self.passed

    def to_json(self) -> str:
        """The test outcomes as the JSON ``modelwatch test --json`` writes."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The test outcomes as a dict: ``summary`` (counts) and ``tests`` (one entry per
        test: name, status, actual value, condition, ...)."""
        return json.loads(self.to_json())

    def _data(self) -> Dict[str, Any]:
        if self._dict is None:
            self._dict = self.to_dict()
        return self._dict

    @property
    def tests(self) -> List[Dict[str, Any]]:
        """Every test's outcome, presets' tests first, in suite order."""
        return list(self._data()["tests"])

    @property
    def summary(self) -> Dict[str, Any]:
        """The counts of the outcomes (total, success, failed, warning, error)."""
        return dict(self._data()["summary"])

    @property
    def failed_tests(self) -> List[Dict[str, Any]]:
        """The tests whose status is FAIL or ERROR."""
        return [t for t in self.tests if t["status"] in ("FAIL", "ERROR")]

    @property
    def results(self) -> Results:
        """The report the tests read."""
        if self._results is None:
            self._results = _ReportOfTests(self._native)
        return self._results

    def to_junit(self) -> str:
        """The test outcomes as the JUnit XML ``modelwatch test --junit`` writes."""
        return self._native.to_junit()

    def save_junit(self, path: PathLike) -> None:
        """Writes the JUnit XML to ``path`` atomically."""
        _native.NativeTestResults.write_file(os.fspath(path), self.to_junit())

    def to_html(self) -> str:
        """The HTML page ``modelwatch test --html`` writes: the tests, then the report."""
        return self._native.to_html()

    def save_html(self, path: PathLike) -> None:
        """Writes the HTML page to ``path`` atomically."""
        _native.NativeTestResults.write_file(os.fspath(path), self.to_html())

    def _repr_html_(self) -> str:
        return _inline_page(self.to_html())

    def __repr__(self) -> str:
        s = self.summary
        verdict = "passed" if self.passed else "failed"
        return (
            f"<modelwatch.TestResults {verdict}: {s['success']} of {s['total']} succeeded, "
            f"{s['failed']} failed, {s['warning']} warnings, {s['error']} errors>"
        )


class _ReportOfTests(Results):
    """The report a test suite read, from the test outcome's engine object."""

    def __init__(self, native: "_native.NativeTestResults") -> None:
        super().__init__(native)  # type: ignore[arg-type]
        self._tests = native

    def to_json(self) -> str:
        if self._json is None:
            self._json = self._tests.results_json()
        return self._json

    def to_html(self) -> str:
        return self._tests.to_html()

    def save_html(self, path: PathLike) -> None:
        _native.NativeTestResults.write_file(os.fspath(path), self.to_html())
