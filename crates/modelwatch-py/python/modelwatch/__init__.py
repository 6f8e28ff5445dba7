"""modelwatch: drift reports and test gates on DataFrames, computed by the same Rust engine
as the ``modelwatch`` command.

>>> import modelwatch
>>> results = modelwatch.report(reference_df, current_df, target="species")
>>> results.dataset_drift, results.drifted_columns
>>> results.save_html("report.html")

``report`` and ``test`` take pandas or polars DataFrames, pyarrow Tables or
RecordBatchReaders, or file paths; see docs/python.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import _native
from ._run import report, test
from .errors import DataError, InputError, ModelwatchError
from .results import Results, TestResults

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

__version__: str = _native.version()

__all__ = [
    "report",
    "test",
    "Results",
    "TestResults",
    "ModelwatchError",
    "InputError",
    "DataError",
    "Client",
    "__version__",
]

# Submodules imported on first use: the client and the integrations have dependencies (or
# imports) a report on a DataFrame does not need.
_LAZY_SUBMODULES = ("client", "fastapi", "evidently")


def __getattr__(name: str) -> Any:
    if name == "Client":
        return importlib.import_module(".client", __name__).Client
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'modelwatch' has no attribute {name!r}")


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(__all__) | set(_LAZY_SUBMODULES))
