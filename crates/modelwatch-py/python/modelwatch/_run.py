"""``report`` and ``test``: the command line's computation on data in memory."""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional, Sequence, Union

from . import _arguments, _native
from .results import Results, TestResults

PathLike = Union[str, "os.PathLike[str]"]
Columns = Union[str, Sequence[str]]


def _datasets(reference: Any, current: Any) -> "tuple[list[str], Any, Any]":
    ref_name, ref_data = _arguments.dataset(reference, "reference")
    cur_name, cur_data = _arguments.dataset(current, "current")
    return [f"--reference={ref_name}", f"--current={cur_name}"], ref_data, cur_data


def report(
    reference: Any,
    current: Any,
    *,
    presets: Optional[Columns] = None,
    target: Optional[str] = None,
    prediction: Optional[str] = None,
    prediction_proba: Optional[Columns] = None,
    pos_label: Optional[Any] = None,
    proba_threshold: Optional[float] = None,
    id: Optional[str] = None,
    timestamp: Optional[str] = None,
    numerical: Optional[Columns] = None,
    categorical: Optional[Columns] = None,
    text: Optional[Columns] = None,
    datetime: Optional[Columns] = None,
    ignore: Optional[Columns] = None,
    image: Optional[Columns] = None,
    embedding: Optional[Mapping[str, Columns]] = None,
    embedding_method: Optional[Mapping[str, str]] = None,
    method: Optional[str] = None,
    num_method: Optional[str] = None,
    cat_method: Optional[str] = None,
    text_method: Optional[str] = None,
    column_method: Optional[Mapping[str, str]] = None,
    threshold: Optional[float] = None,
    num_threshold: Optional[float] = None,
    cat_threshold: Optional[float] = None,
    column_threshold: Optional[Mapping[str, float]] = None,
    drift_share: Optional[float] = None,
    seed: Optional[int] = None,
    config: Optional[PathLike] = None,
    format: Optional[str] = None,
    delimiter: Optional[str] = None,
) -> Results:
    """Compares ``current`` with ``reference`` and returns the :class:`Results`, exactly as
    ``modelwatch report`` computes them.

    ``reference`` and ``current`` are pandas or polars DataFrames, pyarrow Tables or
    RecordBatchReaders (any object with ``__arrow_c_stream__``), or paths of files (.csv,
    .parquet, .jsonl) or image folders read as the command line reads them.

    Every keyword is one flag of ``modelwatch report`` (docs/report.md) in snake_case:
    ``presets`` is ``--preset`` (default drift and summary), lists are column lists
    (``numerical=["age", "income"]``), dicts are the repeatable ``COL=VALUE`` flags
    (``column_method={"age": "psi"}``, ``embedding={"emb": "emb_"}``), ``config`` a TOML
    settings file the keywords override.

    The GIL is released while the engine runs. Raises :class:`~modelwatch.InputError` for
    bad settings and :class:`~modelwatch.DataError` for data that cannot be read or
    compared, with the command line's message.
    """
    options = dict(locals())
    del options["reference"], options["current"]
    args, ref_data, cur_data = _datasets(reference, current)
    args += _arguments.flags(options)
    return Results(_native.report(args, ref_data, cur_data))


def test(
    reference: Any,
    current: Any,
    *,
    suite: Optional[PathLike] = None,
    presets: Optional[Columns] = None,
    report_presets: Optional[Columns] = None,
    **options: Any,
) -> TestResults:
    """Judges a test suite on the report of ``current`` against ``reference``, as
    ``modelwatch test`` does, and returns the :class:`TestResults`.

    ``suite`` is a suite file (TOML, docs/tests.md) and ``presets`` the test presets
    (``--test-preset``, e.g. ``["data_drift"]``); at least one of them is needed.
    ``report_presets`` are the report's presets (``--preset``); the presets the suite reads
    are computed anyway. The other keywords are those of :func:`report`. A current dataset
    with no rows is judged (the tests say what they cannot judge), as on the command line.
    """
    args, ref_data, cur_data = _datasets(reference, current)
    if suite is not None:
        args.append(f"--suite={os.fspath(suite)}")
    if presets is not None:
        args.append(f"--test-preset={_arguments._joined(presets)}")
    options["presets"] = report_presets
    args += _arguments.flags(options)
    return TestResults(_native.test(args, ref_data, cur_data))
