#!/usr/bin/env python3
"""Multivariate drift, whole process: `modelwatch report --multivariate` against NannyML 0.13's
DataReconstructionDriftCalculator and DomainClassifierCalculator on the same CSV files.

    NANNYML_VENV/bin/python bench/multivariate.py [--modelwatch target/release/modelwatch]
        [--sizes 10k,100k] [--modelwatch-runs 3] [--runs 1] [--data target/bench/multivariate]
        [--nannyml-python PY] [--nannyml-threads 1]

Runs with a Python that has numpy and pandas (the NannyML environment will do: NannyML runs
under --nannyml-python, by default this Python). Build modelwatch first:

    nice -n 10 cargo build --release -p modelwatch-cli --locked

Data: for each size, a reference and a current CSV of that many rows and 20 columns, written
once under --data (default target/bench/multivariate/<rows>/): 14 numerical columns `x0`..`x13`
(three latent factors plus noise, six decimals) and 6 categorical columns `c0`..`c5` (4 to 12
labels, some tied to a latent factor); about 1% of the cells of `x3` and `c1` are empty. The
current side (seeded) flips the sign of `x0`'s loading on the first factor (its correlation with
`x1` and `x2` flips, its marginal stays the same), shifts `x5` by 0.05 standard deviations and
moves 5% of `c2` to one label.

Each tool runs as a fresh process, as a user would run it:

- modelwatch: `modelwatch report --reference R --current C --preset drift --multivariate
  reconstruction,domain_classifier --json OUT --quiet`: reads both files, runs the per-column
  drift tests of the 20 columns and the two methods on the 20 columns together with their
  defaults: the reconstruction error of the whole current file (one window) against the band
  of 10 reference chunks, and the domain classifier (5-fold stratified cross-validation of
  boosted trees over all reference and current rows, one window). The per-method times are the
  whole process with one method (`--multivariate reconstruction`, `--multivariate
  domain_classifier`) minus the whole process without `--multivariate` (reading and the
  per-column tests), each the median of --modelwatch-runs runs.
- NannyML (this script with --worker): imports nannyml and pandas, `pd.read_csv` of both files,
  then `DataReconstructionDriftCalculator(column_names=the 20)` fitted on the reference with
  its default chunking (10 chunks of len // 10 rows: the same band) and, after the fit, its
  chunker replaced by `CountBasedChunker(chunk_number=1)` so that `calculate` scores the whole
  current file as one window, as modelwatch does; and
  `DomainClassifierCalculator(feature_column_names=the 20, chunk_number=1)` (one window: the
  reference against the whole current file; with one chunk, `fit` scores the reference
  against itself once, where the default chunking would train 10 x 5 extra models). Each
  method's time is its `fit` plus `calculate`, timed in the process.

modelwatch uses both cores (rayon). NannyML runs with OMP_NUM_THREADS=--nannyml-threads
(default 1) for LightGBM and numpy's BLAS: on a busy 2-core host LightGBM's two OpenMP threads
spend most of their time spinning (1,000 rows a side: its 5 folds took 160 s of wall and 30 s
of CPU time with two threads), and one thread is faster there, as the fixture script notes;
on an idle host pass --nannyml-threads 2. The
time is the wall time of the whole process (interpreter start and imports included); the peak
memory the process's maximum resident set (ru_maxrss from wait4, what `/usr/bin/time -v`
reports). Each process's CPU time (user plus system, all threads) is printed too:
on a shared host the wall time grows with the other processes' load, the CPU time does not. NannyML's usage telemetry is switched off. Before the times, both tools' scores and
thresholds are printed: the reconstruction errors should agree to rounding, the AUCs come from
different boosters (LightGBM against modelwatch's own) and agree only roughly.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 2022
GENERATOR_VERSION = 1
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
NUMERICAL = [f"x{i}" for i in range(14)]
CATEGORICAL = [f"c{i}" for i in range(6)]
METHODS = ["reconstruction", "domain_classifier"]


# ----------------------------------------------------------------------------------------
# Data


def frame(rng, rows, current):
    import numpy as np
    import pandas as pd

    latent = rng.standard_normal((rows, 3))
    loadings = np.linspace(-1.0, 1.0, 14 * 3).reshape(14, 3)
    loadings[0] = [0.9, 0.2, 0.0]
    loadings[1] = [0.8, 0.0, 0.3]
    loadings[2] = [0.7, -0.2, 0.0]
    if current:
        loadings[0, 0] = -0.9
    x = latent @ loadings.T + 0.6 * rng.standard_normal((rows, 14))
    if current:
        x[:, 5] += 0.05 * x[:, 5].std()
    cols = {name: x[:, i].round(6) for i, name in enumerate(NUMERICAL)}
    for i, name in enumerate(CATEGORICAL):
        labels = np.array([f"{name}_{k}" for k in range(4 + 2 * i)])
        if i < 3:
            # Tied to a latent factor: the label is a bin of factor i plus noise.
            score = latent[:, i] + 0.5 * rng.standard_normal(rows)
            values = labels[np.digitize(score, np.linspace(-1.5, 1.5, len(labels) - 1))]
        else:
            values = labels[rng.integers(0, len(labels), rows)]
        values = values.astype(object)
        if current and name == "c2":
            values[rng.random(rows) < 0.05] = labels[0]
        cols[name] = values
    out = pd.DataFrame(cols)
    for name in ("x3", "c1"):
        out.loc[rng.random(rows) < 0.01, name] = None
    return out


def ensure_data(data, rows):
    """Writes reference.csv and current.csv of `rows` rows once; returns their paths."""
    import numpy as np

    folder = data / f"{rows}-v{GENERATOR_VERSION}"
    ref, cur = folder / "reference.csv", folder / "current.csv"
    if ref.exists() and cur.exists():
        return ref, cur
    folder.mkdir(parents=True, exist_ok=True)
    print(f"writing {rows:,} x 20 per side to {folder}", file=sys.stderr)
    rng = np.random.default_rng(SEED)
    for path, current in ((ref, False), (cur, True)):
        tmp = path.with_suffix(".tmp")
        frame(rng, rows, current).to_csv(tmp, index=False)
        os.replace(tmp, path)
    return ref, cur


# ----------------------------------------------------------------------------------------
# The NannyML worker (runs under --nannyml-python)


def nannyml_worker(ref_path, cur_path):
    """Runs in a fresh process; prints one JSON object."""
    t0 = time.perf_counter()
    import warnings

    warnings.simplefilter("ignore")
    import nannyml as nml
    import pandas as pd

    t_import = time.perf_counter()
    reference = pd.read_csv(ref_path)
    current = pd.read_csv(cur_path)
    t_read = time.perf_counter()
    columns = NUMERICAL + CATEGORICAL
    out = {"nannyml_version": nml.__version__, "methods": {}}

    t, c = time.perf_counter(), time.process_time()
    drc = nml.DataReconstructionDriftCalculator(column_names=columns)
    drc.fit(reference)
    t_fit = time.perf_counter()
    drc.chunker = nml.chunk.CountBasedChunker(chunk_number=1)
    rec = drc.calculate(current).filter(period="analysis").to_df()
    t_done = time.perf_counter()
    key = ("reconstruction_error",)
    out["methods"]["reconstruction"] = {
        "seconds": t_done - t,
        "cpu_seconds": time.process_time() - c,
        "fit_seconds": t_fit - t,
        "calculate_seconds": t_done - t_fit,
        "chunks": len(rec),
        "score": float(rec[key + ("value",)].iloc[0]),
        "lower": float(rec[key + ("lower_threshold",)].iloc[0]),
        "upper": float(rec[key + ("upper_threshold",)].iloc[0]),
        "drifted": bool(rec[key + ("alert",)].iloc[0]),
        "components": int(drc._pca.n_components_),
    }

    t, c = time.perf_counter(), time.process_time()
    dc = nml.DomainClassifierCalculator(feature_column_names=columns, chunk_number=1)
    dc.fit(reference)
    t_fit = time.perf_counter()
    res = dc.calculate(current).filter(period="analysis").to_df()
    t_done = time.perf_counter()
    key = ("domain_classifier_auroc",)
    out["methods"]["domain_classifier"] = {
        "seconds": t_done - t,
        "cpu_seconds": time.process_time() - c,
        "fit_seconds": t_fit - t,
        "calculate_seconds": t_done - t_fit,
        "chunks": len(res),
        "score": float(res[key + ("value",)].iloc[0]),
        "lower": float(res[key + ("lower_threshold",)].iloc[0]),
        "upper": float(res[key + ("upper_threshold",)].iloc[0]),
        "drifted": bool(res[key + ("alert",)].iloc[0]),
    }
    out["phases"] = {"imports": t_import - t0, "read_csv": t_read - t_import}
    return out


# ----------------------------------------------------------------------------------------
# Timing


def timed(cmd, env=None):
    """Runs `cmd`; returns (wall seconds, CPU seconds, peak MiB, stdout). Raises on a
    non-zero exit. CPU is user plus system time of the process and its threads: unlike the
    wall time it does not grow while other processes hold the cores (or while the process
    is stopped), so on a busy host it says how much work each side did."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}:\n{stderr[-3000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout


def runs(cmd, n):
    """Median wall seconds, largest peak MiB, every wall time and the median CPU seconds of
    `n` runs of `cmd`."""
    times, cpus, peak = [], [], 0.0
    for _ in range(n):
        seconds, cpu, p, _ = timed(cmd)
        times.append(round(seconds, 2))
        cpus.append(cpu)
        peak = max(peak, p)
    return statistics.median(times), peak, times, statistics.median(cpus)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--modelwatch", default=str(ROOT / "target/release/modelwatch"))
    p.add_argument("--nannyml-python", default=sys.executable)
    p.add_argument(
        "--sizes", default="10k,100k", help=f"comma list of {', '.join(SIZES)}"
    )
    p.add_argument("--modelwatch-runs", type=int, default=3)
    p.add_argument("--runs", type=int, default=1, help="NannyML runs per size")
    p.add_argument("--nannyml-threads", type=int, default=1, help="OMP_NUM_THREADS")
    p.add_argument("--data", type=Path, default=ROOT / "target/bench/multivariate")
    p.add_argument("--worker", nargs=2, metavar=("REF", "CUR"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(nannyml_worker(*args.worker)))
        return

    data = args.data.resolve()
    env = dict(
        os.environ,
        NML_DISABLE_USAGE_LOGGING="1",
        OMP_NUM_THREADS=str(args.nannyml_threads),
    )
    table = []
    for size in args.sizes.split(","):
        rows = SIZES[size]
        ref, cur = ensure_data(data, rows)
        out_json = data / f"modelwatch-{rows}.json"

        def mw(methods, ref=ref, cur=cur, out_json=out_json):
            cmd = [args.modelwatch, "report", "--reference", str(ref), "--current", str(cur),
                   "--preset", "drift", "--json", str(out_json), "--quiet"]  # fmt: skip
            if methods:
                cmd += ["--multivariate", ",".join(methods)]
            return cmd

        base_s, base_peak, base_times, base_cpu = runs(mw([]), args.modelwatch_runs)
        single = {m: runs(mw([m]), args.modelwatch_runs) for m in METHODS}
        both_s, both_peak, both_times, both_cpu = runs(
            mw(METHODS), args.modelwatch_runs
        )
        mw_results = {
            m["method"]: m
            for m in json.loads(out_json.read_text())["drift"]["multivariate"]
        }
        nml_cmd = [args.nannyml_python, "-W", "ignore", str(Path(__file__).resolve()),
                   "--worker", str(ref), str(cur)]  # fmt: skip
        nml_times, nml_cpus, nml_peak, nml = [], [], 0.0, None
        for _ in range(args.runs):
            seconds, cpu, peak, stdout = timed(nml_cmd, env=env)
            nml_times.append(seconds)
            nml_cpus.append(cpu)
            nml_peak = max(nml_peak, peak)
            nml = json.loads(stdout.strip().splitlines()[-1])
        nml_s, nml_cpu = statistics.median(nml_times), statistics.median(nml_cpus)

        print(
            f"\n{rows:,} rows x 20 columns per side (NannyML {nml['nannyml_version']})"
        )
        print(
            f"{'method':<18} {'modelwatch score [band] drift':>46} {'NannyML score [band] drift':>46}"
        )
        for name in METHODS:
            m, n = mw_results[name], nml["methods"][name]
            if m.get("error"):
                ms = f"error: {m['error']}"
            else:
                ms = f"{m['score']:.6f} [{m['lower_threshold']:.4f}, {m['upper_threshold']:.4f}] {m['drifted']}"
            ns = f"{n['score']:.6f} [{n['lower']:.4f}, {n['upper']:.4f}] {n['drifted']}"
            print(f"{name:<18} {ms:>46} {ns:>46}")
        comps = (mw_results["reconstruction"].get("details") or {}).get("components")
        print(
            f"principal components kept: modelwatch {comps}, NannyML {nml['methods']['reconstruction']['components']}"
        )
        print(
            f"NannyML in-process: imports {nml['phases']['imports']:.2f} s, read_csv "
            f"{nml['phases']['read_csv']:.2f} s; "
            + "; ".join(
                f"{k} fit {v['fit_seconds']:.2f} s + calculate {v['calculate_seconds']:.2f} s"
                for k, v in nml["methods"].items()
            )
        )
        print(
            f"modelwatch whole processes (s): without --multivariate {base_times}, "
            + ", ".join(f"{m} {single[m][2]}" for m in METHODS)
            + f", both {both_times}"
        )
        print(
            "| per method | modelwatch wall | NannyML wall | ratio | modelwatch CPU | "
            "NannyML CPU | CPU ratio |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for name in METHODS:
            m_s = max(single[name][0] - base_s, 1e-3)
            m_cpu = max(single[name][3] - base_cpu, 1e-3)
            n = nml["methods"][name]
            print(
                f"| {name} | {m_s:.2f} s | {n['seconds']:.2f} s | {n['seconds'] / m_s:.1f}x | "
                f"{m_cpu:.2f} s | {n['cpu_seconds']:.2f} s | {n['cpu_seconds'] / m_cpu:.1f}x |"
            )
        row = {
            "rows": rows,
            "modelwatch": both_s,
            "nannyml": nml_s,
            "ratio": nml_s / both_s,
            "mw_cpu": both_cpu,
            "nml_cpu": nml_cpu,
            "mw_peak": both_peak,
            "nml_peak": nml_peak,
            "base_peak": base_peak,
        }
        table.append(row)
    print(
        "\n| rows x 20 per side | modelwatch (both methods) | NannyML 0.13 (both) | ratio "
        "| CPU modelwatch / NannyML | CPU ratio | peak RSS modelwatch / NannyML |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in table:
        print(
            f"| {r['rows']:,} | {r['modelwatch']:.2f} s | {r['nannyml']:.1f} s | "
            f"{r['ratio']:.1f}x | {r['mw_cpu']:.2f} / {r['nml_cpu']:.1f} s | "
            f"{r['nml_cpu'] / r['mw_cpu']:.1f}x | {r['mw_peak']:.0f} / {r['nml_peak']:.0f} MiB |"
        )
    load = os.getloadavg()
    print(
        f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
