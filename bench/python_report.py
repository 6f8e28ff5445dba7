#!/usr/bin/env python3
"""`modelwatch.report` against Evidently 0.7's `Report([DataDriftPreset(), DataSummaryPreset()])
.run(current, reference)` on the same in-memory pandas DataFrames.

    python bench/python_report.py --evidently-python EVIDENTLY_VENV/bin/python [--sizes 100k,1m]

Each side runs in its own process (modelwatch under this interpreter, which needs the wheel
installed; Evidently under --evidently-python). Each process generates the same frames from
one seed (20 columns: 14 numerical, of which 4 integers, and 6 categorical text columns; the
current frame shifts some of them), then times only the in-memory call. Memory is the rise
of the process's peak resident set (ru_maxrss) over the call, i.e. what the call needed
beyond the frames already in memory. The modelwatch call runs BENCH_MW_RUNS times (default
5; the median is reported, the peak is the first run's), Evidently once. Both reports' drift
verdicts are printed side by side as a check that they looked at the same data.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

SEED = 20261205
SIZES = {"100k": 100_000, "1m": 1_000_000}


def frames(rows: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(SEED)
    labels = np.array([f"label_{i}" for i in range(12)])

    def frame(current: bool):
        cols = {}
        for i in range(10):
            shift = 0.15 * (i % 3) if current else 0.0
            cols[f"f{i}"] = rng.normal(shift, 1.0 + (0.1 * i if current else 0.0), rows)
        for i in range(4):
            cols[f"i{i}"] = rng.integers(0, 1000 + (200 * i if current else 0), rows)
        for i in range(6):
            p = np.ones(len(labels))
            if current and i % 2 == 0:
                p[: i + 2] *= 3.0
            cols[f"s{i}"] = rng.choice(labels, rows, p=p / p.sum())
        return pd.DataFrame(cols)

    return frame(False), frame(True)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(side: str, rows: int) -> dict:
    reference, current = frames(rows)
    numerical = [c for c in reference.columns if not c.startswith("s")]
    categorical = [c for c in reference.columns if c.startswith("s")]
    if side == "modelwatch":
        import modelwatch

        runs = int(__import__("os").environ.get("BENCH_MW_RUNS", "5"))
        times, peak = [], None
        for _ in range(runs):
            before = peak_mib()
            start = time.perf_counter()
            results = modelwatch.report(
                reference,
                current,
                presets=["drift", "summary"],
                numerical=numerical,
                categorical=categorical,
            )
            times.append(time.perf_counter() - start)
            if peak is None:
                peak = peak_mib() - before
        return {
            "seconds": statistics.median(times),
            "runs": runs,
            "peak_rise_mib": peak,
            "drifted": results.number_of_drifted_columns,
            "columns": results.number_of_columns,
        }
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset, DataSummaryPreset

    definition = DataDefinition(
        numerical_columns=numerical, categorical_columns=categorical
    )
    before = peak_mib()
    start = time.perf_counter()
    snapshot = Report([DataDriftPreset(), DataSummaryPreset()]).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    seconds = time.perf_counter() - start
    peak = peak_mib() - before
    drifted = None
    for metric in snapshot.dict()["metrics"]:
        if metric["metric_name"].startswith("DriftedColumnsCount"):
            drifted = int(metric["value"]["count"])
    return {"seconds": seconds, "runs": 1, "peak_rise_mib": peak, "drifted": drifted}


def run_side(python: str, side: str, size: str) -> dict:
    done = subprocess.run(
        [python, __file__, "--worker", side, "--sizes", size],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{side} {size} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--evidently-python",
        required="--worker" not in sys.argv,
        help="the Python of a virtual environment with Evidently 0.7 and pandas",
    )
    parser.add_argument("--modelwatch-python", default=sys.executable)
    parser.add_argument("--sizes", default="100k,1m")
    parser.add_argument("--worker", choices=["modelwatch", "evidently"])
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, SIZES[args.sizes])))
        return
    print(
        "| rows x 20 | modelwatch.report | Evidently Report.run | ratio | peak rise mw / Evidently | drifted mw / Evidently |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for size in args.sizes.split(","):
        mw = run_side(args.modelwatch_python, "modelwatch", size)
        ev = run_side(args.evidently_python, "evidently", size)
        print(
            f"| {size} | {mw['seconds']:.3f} s | {ev['seconds']:.2f} s | "
            f"{ev['seconds'] / mw['seconds']:.0f}x | {mw['peak_rise_mib']:.0f} / "
            f"{ev['peak_rise_mib']:.0f} MiB | {mw['drifted']} / {ev['drifted']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
