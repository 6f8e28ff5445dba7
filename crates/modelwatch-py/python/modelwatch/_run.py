"""``report`` and ``test``: the command line's computation on data in memory."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Union

from . import _arguments, _native
from .results import Results, TestResults

# Aliases evaluated at run time: `X | Y` needs Python 3.10, the package supports 3.9.
PathLike = Union[str, "os.PathLike[str]"]
Columns = Union[str, Sequence[str]]  # noqa: UP007


def _datasets(reference: Any, current: Any) -> tuple[list[str], Any, Any]:
    ref_name, ref_data = _arguments.dataset(reference, "reference")
    cur_name, cur_data = _arguments.dataset(current, "current")
    return [f"--reference={ref_name}", f"--current={cur_name}"], ref_data, cur_data


def report(
    reference: Any,
    current: Any,
    *,
    presets: Columns | None = None,
    target: str | None = None,
    prediction: str | None = None,
    prediction_proba: Columns | None = None,
    pos_label: Any | None = None,
    proba_threshold: float | None = None,
    id: str | None = None,
    timestamp: str | None = None,
    numerical: Columns | None = None,
    categorical: Columns | None = None,
    text: Columns | None = None,
    text_descriptors: Columns | None = None,
    datetime: Columns | None = None,
    ignore: Columns | None = None,
    image: Columns | None = None,
    embedding: Mapping[str, Columns] | None = None,
    embedding_method: Mapping[str, str] | None = None,
    method: str | None = None,
    num_method: str | None = None,
    cat_method: str | None = None,
    text_method: str | None = None,
    column_method: Mapping[str, str] | None = None,
    threshold: float | None = None,
    num_threshold: float | None = None,
    cat_threshold: float | None = None,
    column_threshold: Mapping[str, float] | None = None,
    drift_share: float | None = None,
    seed: int | None = None,
    multivariate: Columns | None = None,
    image_sample_pixels: int | None = None,
    config: PathLike | None = None,
    format: str | None = None,
    delimiter: str | None = None,
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
    settings file the keywords override. ``text_descriptors=["review"]`` adds Evidently's
    six usual text descriptors of each listed column (``review.text_length``,
    ``review.word_count``, ...; docs/text.md), which are then tested like any column; other
    descriptors are set in the ``config`` file's ``[[text_descriptors]]``.

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
    suite: PathLike | None = None,
    presets: Columns | None = None,
    report_presets: Columns | None = None,
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
