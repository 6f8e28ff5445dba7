#!/usr/bin/env python3
"""Drift benchmark: modelwatch vs Evidently 0.7 DataDriftPreset on the same CSV files.

Subcommands (bench/run.sh drives them; run that instead):

    drift_bench.py gen SIZE        write bench/data/SIZE_{reference,current}.csv (cached)
    drift_bench.py evidently SIZE  time Evidently in this process, print JSON
    drift_bench.py run SIZE...     for each size: gen, run modelwatch under /usr/bin/time -v,
                                   run Evidently in a child process, compare scores, print a table

Sizes: 100k (100 000 x 20 numerical), 1m (1 000 000 x 20 numerical),
mixed (100 000 rows: 10 float, 4 int, 3 int-code and 3 string columns).
The current table shifts / rescales some columns so a part of them drifts.

Evidently's time is pd.read_csv of both files + Report.run (imports excluded);
its memory is ru_maxrss at the end minus ru_maxrss after the imports (and the total).
modelwatch's time and memory are those of the whole process (wall clock, max RSS).
Column types are passed explicitly to both (--numerical/--categorical, DataDefinition);
the drift method is left to the default rule. Set BENCH_REUSE_EVIDENTLY=1 to reuse the
Evidently figures cached in bench/data/ by an earlier run on the same data.

Each side runs several times and the median wall time is reported (a 2-core machine shared
with other work varies by +-20% from run to run): modelwatch BENCH_MW_RUNS times (default 7),
Evidently BENCH_EV_RUNS times (default 3 for 100,000 rows, 1 for 1,000,000). Every run
is a fresh process. Memory is the largest peak seen.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
MODELWATCH = Path(os.environ.get("MODELWATCH_BIN", ROOT / "target" / "release" / "modelwatch"))
SEED = 20240501
ABS_TOL, REL_TOL = 1e-9, 1e-6

SIZES = {
    "100k": {"rows": 100_000, "kind": "numerical"},
    "1m": {"rows": 1_000_000, "kind": "numerical"},
    "mixed": {"rows": 100_000, "kind": "mixed"},
}


# --------------------------------------------------------------------------- data


def schema(size):
    """(numerical columns, categorical columns) of a size's tables."""
    if SIZES[size]["kind"] == "numerical":
        return [f"x{i:02d}" for i in range(20)], []
    numerical = [f"f{i}" for i in range(10)] + [f"i{i}" for i in range(4)]
    categorical = [f"code{i}" for i in range(3)] + [f"s{i}" for i in range(3)]
    return numerical, categorical


def make_table(size, rng, current):
    import numpy as np
    import pandas as pd

    n = SIZES[size]["rows"]
    numerical, _categorical = schema(size)
    cols = {}
    if SIZES[size]["kind"] == "numerical":
        for i, name in enumerate(numerical):
            loc, scale = 10.0 * i, 1.0 + i / 10
            if current and i % 4 == 0:  # every 4th column shifts
                loc += 0.3 * scale
            if current and i % 5 == 1:  # some widen
                scale *= 1.25
            cols[name] = rng.normal(loc, scale, n)
        return pd.DataFrame(cols)
    for i in range(10):
        loc = 100.0 * i + (5.0 if current and i < 3 else 0.0)
        values = rng.normal(loc, 10.0 + i, n)
        if i in (4, 5):  # a few missing values
            values[rng.choice(n, n // 50, replace=False)] = np.nan
        cols[f"f{i}"] = values
    for i in range(4):
        hi = 1000 * (i + 1)
        cols[f"i{i}"] = rng.integers(0 if not (current and i == 0) else hi // 10, hi, n)
    for i in range(3):
        k = 5 + 3 * i
        p = np.ones(k) / k
        if current and i == 1:
            p = np.linspace(1, 2, k)
            p /= p.sum()
        cols[f"code{i}"] = rng.choice(k, n, p=p)
    labels = [["red", "green", "blue"], ["alpha", "beta", "gamma", "delta", "epsilon"], [f"cat{j}" for j in range(12)]]
    for i, labs in enumerate(labels):
        p = np.ones(len(labs)) / len(labs)
        if current and i == 0:
            p = np.array([0.5, 0.3, 0.2])
        cols[f"s{i}"] = rng.choice(np.array(labs, dtype=object), n, p=p)
    return pd.DataFrame(cols)


def paths(size):
    return DATA / f"{size}_reference.csv", DATA / f"{size}_current.csv"


def gen(size):
    import numpy as np

    ref_path, cur_path = paths(size)
    stamp = DATA / f"{size}.seed"
    if ref_path.exists() and cur_path.exists() and stamp.exists() and stamp.read_text() == str(SEED):
        return
    DATA.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rng = np.random.default_rng([SEED, list(SIZES).index(size)])
    for path, current in ((ref_path, False), (cur_path, True)):
        # 6 decimals: realistic sensor precision, and parsers agree on every value.
        make_table(size, rng, current).to_csv(path, index=False, float_format="%.6f")
    stamp.write_text(str(SEED))
    print(f"generated {size} in {time.perf_counter() - t0:.1f}s -> {DATA}", file=sys.stderr)


# --------------------------------------------------------------------------- runners


def run_evidently_here(size):
    """Run in a fresh process: prints one JSON object with timing, memory, scores."""
    import resource
    import warnings

    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.legacy.calculations.stattests.registry import _registered_stat_tests
    from evidently.presets import DataDriftPreset

    warnings.simplefilter("ignore")
    display_to_name = {t.display_name: n for n, by in _registered_stat_tests.items() for t in by.values()}
    numerical, categorical = schema(size)
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ref_path, cur_path = paths(size)

    t0 = time.perf_counter()
    ref = pd.read_csv(ref_path)
    cur = pd.read_csv(cur_path)
    t_read = time.perf_counter() - t0
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(cur, data_definition=definition),
        Dataset.from_pandas(ref, data_definition=definition),
    )
    elapsed = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    scores = {}
    for metric in snapshot.dict()["metrics"]:
        cfg = metric["config"]
        if cfg["type"].endswith("ValueDrift"):
            scores[cfg["column"]] = {"method": display_to_name.get(cfg["method"], cfg["method"]), "score": metric["value"]}
    json.dump(
        {
            "seconds": elapsed,
            "read_seconds": t_read,
            "peak_rss_mb": peak_kb / 1024,
            "peak_rss_above_imports_mb": (peak_kb - base_kb) / 1024,
            "scores": scores,
        },
        sys.stdout,
    )


def run_evidently(size):
    """Evidently in a child process; results are cached in bench/data/SIZE_evidently.json.

    With BENCH_REUSE_EVIDENTLY=1 a cached result for the same data is reused (Evidently
    on 1m takes minutes and does not change while modelwatch is being tuned).
    """
    cache = DATA / f"{size}_evidently.json"
    if os.environ.get("BENCH_REUSE_EVIDENTLY") and cache.exists():
        cached = json.loads(cache.read_text())
        if cached.get("seed") == SEED:
            print(f"[{size}] reusing {cache.name} (measured {cached['measured_at']})", file=sys.stderr)
            return cached
    results = evidently_runs(__file__, size)
    result = results[0]
    result["runs_seconds"] = [r["seconds"] for r in results]
    result["seconds"] = statistics.median(result["runs_seconds"])
    result["peak_rss_mb"] = max(r["peak_rss_mb"] for r in results)
    result["peak_rss_above_imports_mb"] = max(r["peak_rss_above_imports_mb"] for r in results)
    result.update(seed=SEED, measured_at=time.strftime("%Y-%m-%d %H:%M:%S"))
    cache.write_text(json.dumps(result, indent=1))
    return result


def parse_time_v(stderr):
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", stderr).group(1)
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds, rss / 1024


def evidently_runs(script, size):
    """Runs `script evidently SIZE` BENCH_EV_RUNS times (default 3 at 100,000 rows, 1 at
    1,000,000), each in a fresh process; returns the parsed JSON of every run."""
    default_runs = 3 if SIZES[size]["rows"] <= 100_000 else 1
    runs = int(os.environ.get("BENCH_EV_RUNS", default_runs))
    return [
        json.loads(subprocess.run([sys.executable, str(script), "evidently", size], check=True,
                                  capture_output=True, text=True).stdout)
        for _ in range(runs)
    ]


def modelwatch_runs(size, cmd):
    """Runs the `/usr/bin/time -v` command `cmd` BENCH_MW_RUNS times (default 7), prints
    every wall time and returns (median wall s, largest peak RSS MB), or None on a failure
    (its stderr is printed)."""
    walls, peaks = [], []
    for _ in range(int(os.environ.get("BENCH_MW_RUNS", "7"))):
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"modelwatch failed ({proc.returncode}):\n{proc.stderr[-2000:]}", file=sys.stderr)
            return None
        seconds, rss_mb = parse_time_v(proc.stderr)
        walls.append(seconds)
        peaks.append(rss_mb)
    print(f"[{size}] modelwatch runs (s): {' '.join(f'{w:.2f}' for w in walls)}", file=sys.stderr)
    return statistics.median(walls), max(peaks)


def run_modelwatch(size):
    if not MODELWATCH.exists():
        return None
    numerical, categorical = schema(size)
    ref_path, cur_path = paths(size)
    out_json = DATA / f"{size}_modelwatch.json"
    cmd = ["/usr/bin/time", "-v", str(MODELWATCH), "report", "--reference", str(ref_path), "--current", str(cur_path),
           "--json", str(out_json), "--preset", "drift", "--quiet"]
    if numerical:
        cmd += ["--numerical", ",".join(numerical)]
    if categorical:
        cmd += ["--categorical", ",".join(categorical)]
    timed = modelwatch_runs(size, cmd)
    if timed is None:
        return None
    with open(out_json) as fh:
        report = json.load(fh)
    scores = {c["column"]: {"method": c["method"], "score": c["score"]} for c in report["drift"]["columns"]}
    return {"seconds": timed[0], "peak_rss_mb": timed[1], "scores": scores}


def compare(size, mw, ev):
    bad = []
    for column, e in ev["scores"].items():
        m = mw["scores"].get(column)
        if m is None:
            bad.append(f"{column}: missing in modelwatch output")
            continue
        a, b = m["score"], e["score"]
        if m["method"] != e["method"]:
            bad.append(f"{column}: method modelwatch={m['method']} evidently={e['method']}")
        if a is None or b is None or abs(a - b) > ABS_TOL + REL_TOL * abs(b):
            bad.append(f"{column}: score modelwatch={a!r} evidently={b!r} ({e['method']})")
    for line in bad:
        print(f"  MISMATCH [{size}] {line}")
    return len(bad)


def run(sizes):
    rows = []
    for size in sizes:
        gen(size)
        numerical, categorical = schema(size)
        n = SIZES[size]["rows"]
        data_mb = n * len(numerical) * 8 * 2 / 2**20
        print(f"[{size}] modelwatch ...", file=sys.stderr)
        mw = run_modelwatch(size)
        print(f"[{size}] evidently ...", file=sys.stderr)
        ev = run_evidently(size)
        if "runs_seconds" in ev:
            print(f"[{size}] evidently runs (s): {' '.join(f'{w:.2f}' for w in ev['runs_seconds'])}", file=sys.stderr)
        mismatches = compare(size, mw, ev) if mw else None
        rows.append((size, n, len(numerical) + len(categorical), mw, ev, data_mb, mismatches))

    header = (
        f"{'size':6} {'rows x cols':>14} {'modelwatch s':>13} {'evidently s':>12} {'speedup':>8} "
        f"{'mw peak MB':>11} {'ev peak MB (above imports / total)':>35} {'f64 data MB':>12} {'mw/data':>8} {'scores':>10}"
    )
    print(header)
    print("-" * len(header))
    for size, n, ncols, mw, ev, data_mb, mism in rows:
        ev_mem = f"{ev['peak_rss_above_imports_mb']:.0f} / {ev['peak_rss_mb']:.0f}"
        if mw:
            mw_s, mw_mem = f"{mw['seconds']:.2f}", f"{mw['peak_rss_mb']:.0f}"
            speed = f"{ev['seconds'] / mw['seconds']:.1f}x"
            ratio = f"{mw['peak_rss_mb'] / data_mb:.2f}x"
            agree = "all agree" if mism == 0 else f"{mism} differ"
        else:
            mw_s = mw_mem = speed = ratio = "n/a"
            agree = "no binary"
        print(
            f"{size:6} {f'{n} x {ncols}':>14} {mw_s:>13} {ev['seconds']:>12.2f} {speed:>8} {mw_mem:>11} "
            f"{ev_mem:>35} {data_mb:>12.0f} {ratio:>8} {agree:>10}"
        )
    print(
        "\nevidently s = pd.read_csv(both) + Report.run; modelwatch s = whole process wall time;"
        "\nboth the median of their runs (listed above the table)."
        "\nf64 data MB = rows * numerical columns * 8 bytes * 2 tables; memory target: mw peak < 3x that."
    )


def main(argv):
    if len(argv) < 2 or argv[0] not in ("gen", "evidently", "run"):
        sys.exit(__doc__)
    command, sizes = argv[0], argv[1:]
    for size in sizes:
        if size not in SIZES:
            sys.exit(f"unknown size {size!r}; known: {', '.join(SIZES)}")
    if command == "gen":
        for size in sizes:
            gen(size)
    elif command == "evidently":
        run_evidently_here(sizes[0])
    else:
        run(sizes)


if __name__ == "__main__":
    main(sys.argv[1:])
