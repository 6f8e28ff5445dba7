#!/usr/bin/env python3
"""Data-quality benchmark: modelwatch's `summary` preset vs Evidently 0.7 DataSummaryPreset.

Usage: `bench/run.sh summary [SIZE...]` (builds the binary and the venv, then runs this), or

    bench/.venv/bin/python bench/summary_bench.py [SIZE...]     SIZE: 100k | 1m | mixed

The tables are the drift benchmark's (`drift_bench.py gen SIZE`, cached in bench/data/).
Evidently's time is pd.read_csv of both files + Report.run (imports excluded), in a child
process; modelwatch's is the whole `modelwatch report --preset summary` process. Before the
times are printed, every numerical column's mean, std, min, max, quartiles, missing count,
distinct count and most common value (its count, and the value itself up to ties) are
compared with pandas' on the same frames, for both tables (1e-9 absolute + 1e-6 relative).

Both sides are timed as in drift_bench.py: the median of BENCH_MW_RUNS (default 7) fresh
modelwatch processes and of BENCH_EV_RUNS (default 3 at 100,000 rows, 1 at 1,000,000)
Evidently processes; memory is the largest peak.
"""

import importlib
import json
import math
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
# drift_bench shares data generation, paths and timing helpers.
db = importlib.import_module("drift_bench")


def evidently_here(size):
    """Runs in a fresh process and prints one JSON object."""
    import resource
    import warnings

    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataSummaryPreset

    warnings.simplefilter("ignore")
    numerical, categorical = db.schema(size)
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ref_path, cur_path = db.paths(size)
    t0 = time.perf_counter()
    ref = pd.read_csv(ref_path)
    cur = pd.read_csv(cur_path)
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    Report([DataSummaryPreset()]).run(
        Dataset.from_pandas(cur, data_definition=definition),
        Dataset.from_pandas(ref, data_definition=definition),
    )
    elapsed = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Reference numbers to compare with modelwatch (pandas on the same frames, after timing).
    def column_stats(s):
        counts = s.value_counts()
        top = int(counts.iloc[0]) if len(counts) else 0
        return {
            "mean": float(s.mean()), "std": float(s.std()), "min": float(s.min()),
            "max": float(s.max()), "missing": int(s.isna().sum()),
            "q25": float(s.quantile(0.25)), "q50": float(s.quantile(0.5)),
            "q75": float(s.quantile(0.75)), "distinct": len(counts),
            "most_common_count": top,
            # pandas' pick among tied values follows numpy's unstable sort of the counts;
            # modelwatch's must be one of them (see the module doc of core/src/summary/mod.rs).
            "most_common_tied": [float(v) for v in counts.index[counts == top]],
        }

    stats = {side: {c: column_stats(frame[c]) for c in numerical}
             for side, frame in (("reference", ref), ("current", cur))}
    json.dump({"seconds": elapsed, "peak_rss_mb": peak_kb / 1024,
               "peak_rss_above_imports_mb": (peak_kb - base_kb) / 1024, "stats": stats}, sys.stdout)


def modelwatch(size):
    numerical, categorical = db.schema(size)
    ref_path, cur_path = db.paths(size)
    out_json = db.DATA / f"{size}_summary_modelwatch.json"
    cmd = ["/usr/bin/time", "-v", str(db.MODELWATCH), "report", "--reference", str(ref_path),
           "--current", str(cur_path), "--json", str(out_json), "--preset", "summary", "--quiet"]
    if numerical:
        cmd += ["--numerical", ",".join(numerical)]
    if categorical:
        cmd += ["--categorical", ",".join(categorical)]
    timed = db.modelwatch_runs(size, cmd)
    if timed is None:
        sys.exit("modelwatch failed")
    return timed[0], timed[1], json.loads(out_json.read_text())


def compare(ev, mw):
    """Mismatches between modelwatch's JSON and pandas' numbers, and the count of columns
    whose most common value is tied (where the two may pick different tied values)."""
    bad = []
    ties = 0
    by_name = {c["column"]: c for c in mw["summary"]["columns"]}
    def close(a, b):
        if a is None:  # undefined in modelwatch, NaN in pandas (no values, or one for std)
            return math.isnan(b)
        return abs(a - b) <= db.ABS_TOL + db.REL_TOL * abs(b)

    for side, columns in ev["stats"].items():
        for col, want in columns.items():
            got = by_name[col][side]
            num = got["numeric"]
            pairs = [(k, num[k]) for k in ("mean", "std", "min", "max", "q25", "q50", "q75")]
            pairs += [(k, got[k]) for k in ("missing", "distinct", "most_common_count")]
            for key, value in pairs:
                if not close(value, want[key]):
                    bad.append(f"{side}.{col}.{key}: modelwatch={value!r} pandas={want[key]!r}")
            tied = want["most_common_tied"]
            ties += len(tied) > 1
            if tied:
                agrees = any(close(got["most_common"], w) for w in tied)
            else:  # no values at all: modelwatch reports no most common value
                agrees = got["most_common"] is None
            if not agrees:
                bad.append(f"{side}.{col}.most_common: modelwatch={got['most_common']!r} "
                           f"pandas (tied)={tied[:5]!r}")
    return bad, ties


def main(argv):
    if len(argv) >= 2 and argv[0] == "evidently":
        evidently_here(argv[1])
        return
    sizes = argv or ["100k"]
    print(f"{'size':6} {'modelwatch s':>13} {'evidently s':>12} {'speedup':>8} {'mw MB':>8} {'ev MB':>8}")
    for size in sizes:
        db.gen(size)
        seconds, rss, mw = modelwatch(size)
        evs = db.evidently_runs(__file__, size)
        ev_walls = " ".join(f"{e['seconds']:.2f}" for e in evs)
        print(f"[{size}] evidently runs (s): {ev_walls}", file=sys.stderr)
        ev = evs[0]
        ev["seconds"] = statistics.median(e["seconds"] for e in evs)
        ev["peak_rss_mb"] = max(e["peak_rss_mb"] for e in evs)
        bad, ties = compare(ev, mw)
        for line in bad:
            print(f"  MISMATCH {line}")
        print(f"[{size}] every numerical column of both tables compared with pandas; "
              f"{ties} have tied most common values", file=sys.stderr)
        print(f"{size:6} {seconds:13.3f} {ev['seconds']:12.2f} {ev['seconds'] / seconds:7.0f}x "
              f"{rss:8.0f} {ev['peak_rss_mb']:8.0f}" + ("" if not bad else "  (numbers differ)"))


if __name__ == "__main__":
    main(sys.argv[1:])
