"""Keyword arguments of :func:`modelwatch.report` and :func:`modelwatch.test` turned into
the ``modelwatch`` command's flags, so that the Rust side parses them with the command's own
parser: the same checks, defaults and messages as the command line."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any

# Keyword -> flag. Lists are joined with commas (the flag takes COLS); mappings become one
# `--flag COL=VALUE` per entry (the flag is repeatable).
LIST_FLAGS = {
    "presets": "--preset",
    "image": "--image",
    "numerical": "--numerical",
    "categorical": "--categorical",
    "text": "--text",
    "text_descriptors": "--text-descriptors",
    "datetime": "--datetime",
    "ignore": "--ignore",
    "prediction_proba": "--prediction-proba",
    "multivariate": "--multivariate",
}
VALUE_FLAGS = {
    "format": "--format",
    "delimiter": "--delimiter",
    "config": "--config",
    "pos_label": "--pos-label",
    "proba_threshold": "--proba-threshold",
    "id": "--id",
    "timestamp": "--timestamp",
    "target": "--target",
    "prediction": "--prediction",
    "method": "--method",
    "num_method": "--num-method",
    "cat_method": "--cat-method",
    "text_method": "--text-method",
    "threshold": "--threshold",
    "num_threshold": "--num-threshold",
    "cat_threshold": "--cat-threshold",
    "drift_share": "--drift-share",
    "seed": "--seed",
    "image_sample_pixels": "--image-sample-pixels",
}
MAPPING_FLAGS = {
    "embedding": "--embedding",
    "embedding_method": "--embedding-method",
    "column_method": "--column-method",
    "column_threshold": "--column-threshold",
}

Dataset = Any
"""A dataset: a pandas or polars DataFrame, a pyarrow Table or RecordBatchReader (any
object with ``__arrow_c_stream__``), or the path of a file or image folder."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


def _joined(value: Any) -> str:
    """A list as COL1,COL2,...; a single value (a name, a number) as itself."""
    if isinstance(value, (str, os.PathLike)) or not isinstance(value, Iterable):
        return _text(value)
    return ",".join(_text(v) for v in value)


def flags(options: Mapping[str, Any]) -> list[str]:
    """The command's flags for keyword arguments (``None`` means "not given")."""
    out: list[str] = []
    for key, value in options.items():
        if value is None:
            continue
        if key in LIST_FLAGS:
            out.append(f"{LIST_FLAGS[key]}={_joined(value)}")
        elif key in VALUE_FLAGS:
            out.append(f"{VALUE_FLAGS[key]}={_text(value)}")
        elif key in MAPPING_FLAGS:
            if not isinstance(value, Mapping):
                raise TypeError(f"{key}: expected a dict, got {type(value).__name__}")
            for name, entry in value.items():
                out.append(f"{MAPPING_FLAGS[key]}={name}={_joined(entry)}")
        else:
            raise TypeError(f"unexpected keyword argument {key!r}")
    return out


def _pandas_frame(data: Any) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(data, pandas.DataFrame)


def dataset(data: Dataset, side: str) -> tuple[str, Any | None]:
    """The name of a dataset (its path, or ``side`` for data in memory) and the object whose
    Arrow C stream the engine reads (``None`` for a path)."""
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data), None
    if _pandas_frame(data):
        try:
            import pyarrow
        except (
            ImportError
        ) as e:  # pragma: no cover - pyarrow is a dependency of the tests
            raise ImportError(
                "modelwatch reads pandas DataFrames through pyarrow: pip install pyarrow"
            ) from e
        # The index is not a column of the data (the command line never sees it either).
        return side, pyarrow.Table.from_pandas(data, preserve_index=False)
    if hasattr(data, "__arrow_c_stream__"):
        return side, data
    raise TypeError(
        f"{side}: expected a DataFrame, a pyarrow Table or RecordBatchReader, an object with "
        f"__arrow_c_stream__, or a path; got {type(data).__name__}"
    )
