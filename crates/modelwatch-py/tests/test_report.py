"""`modelwatch.report` on DataFrames: the same numbers as the command line on the same data,
every kind of input, the Results object."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import modelwatch
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import frames, require, run_command, without_volatile_meta


def cli_report(
    tmp_path: Path, reference: pd.DataFrame, current: pd.DataFrame, *flags: str
):
    """The command's JSON for the same frames written as Parquet files."""
    ref, cur, out = (
        tmp_path / "ref.parquet",
        tmp_path / "cur.parquet",
        tmp_path / "out.json",
    )
    reference.to_parquet(ref, index=False)
    current.to_parquet(cur, index=False)
    done = run_command(
        [
            "report",
            "--reference",
            str(ref),
            "--current",
            str(cur),
            "--json",
            str(out),
            "-q",
            *flags,
        ]
    )
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def test_same_numbers_as_the_command(tmp_path, reference_df, current_df):
    results = modelwatch.report(
        reference_df,
        current_df,
        presets=["drift", "summary"],
        column_method={"y": "psi"},
        column_threshold={"y": 0.2},
    )
    expected = cli_report(
        tmp_path,
        reference_df,
        current_df,
        "--preset",
        "drift,summary",
        "--column-method",
        "y=psi",
        "--column-threshold",
        "y=0.2",
    )
    assert without_volatile_meta(results.to_dict()) == without_volatile_meta(expected)
    assert results.columns["y"]["method"] == "psi"
    assert results.columns["y"]["threshold"] == 0.2
    assert results.meta["reference"] == "reference"


def test_same_numbers_for_classification(tmp_path):
    rng = np.random.default_rng(7)

    def frame(rows, shift):
        x = rng.normal(shift, 1.0, rows)
        return pd.DataFrame(
            {
                "x": x,
                "target": (x + rng.normal(0, 0.5, rows) > 0).astype(int),
                "prediction": (x > 0).astype(int),
            }
        )

    reference, current = frame(300, 0.0), frame(200, 0.4)
    results = modelwatch.report(
        reference,
        current,
        presets="drift,classification",
        target="target",
        prediction="prediction",
        seed=3,
    )
    expected = cli_report(
        tmp_path,
        reference,
        current,
        "--preset=drift,classification",
        "--target=target",
        "--prediction=prediction",
        "--seed=3",
    )
    assert without_volatile_meta(results.to_dict()) == without_volatile_meta(expected)
    assert "classification" in results.presets


def test_inputs_of_every_kind_give_the_same_report(tmp_path, reference_df, current_df):
    want = without_volatile_meta(modelwatch.report(reference_df, current_df).to_dict())
    ref_table = pa.Table.from_pandas(reference_df, preserve_index=False)
    cur_table = pa.Table.from_pandas(current_df, preserve_index=False)
    # Several batches on one side: the stream is read batch after batch.
    batches = pa.RecordBatchReader.from_batches(
        cur_table.schema, cur_table.to_batches(max_chunksize=97)
    )
    ref_path, cur_path = tmp_path / "r.parquet", tmp_path / "c.parquet"
    pq.write_table(ref_table, ref_path)
    pq.write_table(cur_table, cur_path)
    for reference, current in [
        (ref_table, cur_table),
        (ref_table, batches),
        (str(ref_path), cur_path),
        (reference_df, cur_path),
    ]:
        got = without_volatile_meta(modelwatch.report(reference, current).to_dict())
        assert got == want, (type(reference), type(current))
    named = modelwatch.report(ref_path, str(cur_path))
    assert named.meta["reference"] == str(ref_path)


def test_polars_frames():
    try:
        import polars as pl
    except ImportError:
        pl = None
    require(pl is not None, "polars is not installed")
    reference, current = frames(500, 1, 0.0), frames(300, 2, 0.8)
    want = without_volatile_meta(modelwatch.report(reference, current).to_dict())
    got = modelwatch.report(pl.from_pandas(reference), pl.from_pandas(current))
    assert without_volatile_meta(got.to_dict()) == want
    # Polars' categorical type (a dictionary of string views) reads as text too.
    cat = pl.from_pandas(current).with_columns(pl.col("city").cast(pl.Categorical))
    assert modelwatch.report(pl.from_pandas(reference), cat).columns["city"][
        "type"
    ] == ("categorical")


def test_pandas_index_is_not_a_column(reference_df, current_df):
    shuffled = current_df.set_index(pd.Index(np.arange(len(current_df)) * 3))
    results = modelwatch.report(reference_df, shuffled)
    assert set(results.columns) == {"x", "y", "n", "city", "flag"}
    assert results.to_dict()["drift"]["current_only_columns"] == []


def test_list_columns_are_embeddings():
    rng = np.random.default_rng(4)
    reference = pa.table(
        {
            "emb": pa.array([list(v) for v in rng.normal(0, 1, (200, 3))]),
            "x": rng.normal(0, 1, 200),
        }
    )
    current = pa.table(
        {
            "emb": pa.array([list(v) for v in rng.normal(2, 1, (200, 3))]),
            "x": rng.normal(0, 1, 200),
        }
    )
    results = modelwatch.report(
        reference, current, embedding_method={"emb": "distance"}
    )
    embeddings = results.to_dict()["drift"]["embeddings"]
    assert [e["name"] for e in embeddings] == ["emb"]
    assert embeddings[0]["dimension"] == 3
    assert embeddings[0]["method"] == "distance"
    assert embeddings[0]["drifted"] is True


def test_accessors_read_the_json(reference_df, current_df):
    results = modelwatch.report(reference_df, current_df, drift_share=0.2)
    drift = results.to_dict()["drift"]
    assert results.drift_share == 0.2
    assert results.number_of_columns == drift["column_count"] == 5
    assert results.number_of_drifted_columns == drift["drifted_count"]
    assert results.drifted_columns == [
        c["column"] for c in drift["columns"] if c["drifted"]
    ]
    assert "x" in results.drifted_columns
    assert results.drifted_share == pytest.approx(len(results.drifted_columns) / 5)
    assert results.dataset_drift == (results.drifted_share >= 0.2)
    assert json.loads(results.to_json()) == results.to_dict()
    assert "dataset drift" in repr(results)
    summary_only = modelwatch.report(reference_df, current_df, presets=["summary"])
    assert summary_only.dataset_drift is None
    assert summary_only.drifted_columns == []


def test_html_inline_and_saved_atomically(tmp_path, reference_df, current_df):
    results = modelwatch.report(reference_df, current_df)
    page = results.to_html()
    assert page.lower().startswith("<!doctype html>")
    inline = results._repr_html_()
    assert inline.startswith("<iframe") and 'srcdoc="' in inline
    # The page's markup is escaped inside the attribute: nothing of it leaks into the notebook.
    assert "<style" not in inline and "&lt;style" in inline
    target = tmp_path / "report.html"
    target.write_text("old")
    results.save_html(target)
    assert target.read_text() == page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_html_is_the_commands_page(tmp_path, reference_df, current_df):
    ref, cur = tmp_path / "r.parquet", tmp_path / "c.parquet"
    reference_df.to_parquet(ref, index=False)
    current_df.to_parquet(cur, index=False)
    page = tmp_path / "cli.html"
    done = run_command(
        [
            "report",
            "--reference",
            str(ref),
            "--current",
            str(cur),
            "--html",
            str(page),
            "-q",
        ]
    )
    assert done.returncode == 0, done.stderr
    mine = modelwatch.report(ref, cur).to_html()
    theirs = page.read_text()
    # The pages differ only in the time they were made.
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
    assert stamp.sub("TIME", mine) == stamp.sub("TIME", theirs)


def test_the_gil_is_released_while_the_engine_runs():
    reference, current = frames(400_000, 1, 0.0), frames(400_000, 2, 0.1)
    ref = pa.Table.from_pandas(reference, preserve_index=False)
    cur = pa.Table.from_pandas(current, preserve_index=False)
    ticks = []
    running = threading.Event()
    stop = threading.Event()

    def count():
        running.set()
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    running.wait()
    start = time.perf_counter()
    modelwatch.report(ref, cur, presets=["drift", "summary"])
    end = time.perf_counter()
    stop.set()
    counter.join()
    during = [t for t in ticks if start < t < end]
    # The other thread ran throughout the call: at least one tick per 20 ms of it.
    assert len(during) >= max(1, int((end - start) / 0.02)), (len(during), end - start)
