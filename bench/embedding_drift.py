#!/usr/bin/env python3
"""Embedding drift: modelwatch's four methods against Evidently 0.7's on the same vectors.

    python bench/embedding_drift.py [--rows 100000] [--dim 512] [--mmd-rows 5000]
        [--example target/release/examples/embedding_speed] [--evidently-python PY]

Runs with a Python that has numpy; Evidently runs under --evidently-python (default: this
Python), which needs evidently==0.7.23 and pandas<3. Build the modelwatch side first:

    cargo build --release -p modelwatch-core --example embedding_speed

Data: --rows x --dim vectors per side (default 100,000 x 512), seeded Gaussian "embeddings"
with a low-rank correlation (16 latent factors plus independent noise); the current side is
shifted by 0.01 in every component and by 0.3 more in the first eighth of them. They are
written once as float32 .npy files under --data (default target/bench/embeddings) and both
tools widen them to float64, so both compute on identical numbers.

Each tool runs in its own process, reads the files, then times each method alone (reading and
building the frames are not in the method times): modelwatch's
`modelwatch_core::stats::embedding::embedding_drift` (the `embedding_speed` example) and
Evidently's `evidently.legacy.metrics.data_drift.embedding_drift_methods` (`distance`
euclidean, `ratio`, `mmd`, `model`, every parameter at its default). `mmd` compares every
pair of rows: modelwatch refuses it above 20,000 rows in all and Evidently builds the full
kernel matrix (8 (m + n)^2 bytes), so both run it on the same first --mmd-rows rows of each
side. `distance` and `ratio` are deterministic and must agree to 1e-9; `mmd` too (the
bandwidth sample is pandas' `sample(random_state=0)`, which modelwatch reproduces); `model`
uses another classifier by design (Evidently's SGDClassifier against modelwatch's seeded
logistic regression), so only the verdicts are expected to agree.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20
METHODS = ["distance", "ratio", "mmd", "model"]
LATENT = 16


def ensure_vectors(data, rows, dim):
    """Writes the two float32 matrices once; returns their paths."""
    import numpy as np

    folder = data / f"{rows}x{dim}"
    ref_path, cur_path = folder / "reference.npy", folder / "current.npy"
    if ref_path.exists() and cur_path.exists():
        return ref_path, cur_path
    folder.mkdir(parents=True, exist_ok=True)
    print(f"generating {rows} x {dim} vectors per side in {folder}", file=sys.stderr)
    rng = np.random.default_rng(SEED)
    loadings = rng.normal(size=(LATENT, dim)) / 4.0
    shift = np.full(dim, 0.01)
    shift[: dim // 8] += 0.3
    for path, offset in ((ref_path, None), (cur_path, shift)):
        x = rng.normal(size=(rows, LATENT)) @ loadings
        x += 0.5 * rng.normal(size=(rows, dim))
        if offset is not None:
            x += offset
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, x.astype(np.float32))
        os.replace(tmp, path)
    return ref_path, cur_path


def evidently_worker(ref_path, cur_path, mmd_rows):
    """Runs in a fresh process under the Evidently Python; prints one JSON object."""
    import warnings

    warnings.simplefilter("ignore")
    import numpy as np
    import pandas as pd
    from evidently.legacy.metrics.data_drift import embedding_drift_methods as edm

    t0 = time.perf_counter()
    reference = pd.DataFrame(np.load(ref_path).astype(np.float64))
    current = pd.DataFrame(np.load(cur_path).astype(np.float64))
    read_seconds = time.perf_counter() - t0
    results = []
    for name in METHODS:
        method = getattr(edm, name)()
        ref, cur = reference, current
        if name == "mmd":
            ref, cur = reference.iloc[:mmd_rows], current.iloc[:mmd_rows]
        # Evidently's methods take (current, reference) and `model` adds a column to both:
        # copies made before the clock starts.
        ref, cur = ref.copy(), cur.copy()
        t = time.perf_counter()
        score, drifted, _ = method(cur, ref)
        seconds = time.perf_counter() - t
        results.append(
            {
                "method": name,
                "seconds": seconds,
                "score": float(score),
                "drifted": bool(drifted),
                "reference_rows": len(ref),
                "current_rows": len(cur),
            }
        )
        del ref, cur
    return {"read_seconds": read_seconds, "methods": results}


def run_json(cmd):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout)
    out["process_seconds"] = time.perf_counter() - t0
    return out


def versions(python):
    code = "import evidently, sklearn, numpy, pandas; print(evidently.__version__, sklearn.__version__, numpy.__version__, pandas.__version__)"
    proc = subprocess.run([python, "-c", code], check=False, capture_output=True, text=True)
    return proc.stdout.strip() or proc.stderr.strip().splitlines()[-1]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=100_000, help="rows per side (default 100000)")
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--mmd-rows", type=int, default=5000, help="rows per side for mmd")
    p.add_argument("--data", type=Path, default=ROOT / "target/bench/embeddings")
    p.add_argument("--example", default=str(ROOT / "target/release/examples/embedding_speed"))
    p.add_argument("--evidently-python", default=sys.executable)
    p.add_argument("--json", type=Path, help="write the figures to this file")
    p.add_argument("--worker", nargs=3, metavar=("REF", "CUR", "MMD_ROWS"), help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.worker:
        ref, cur, mmd_rows = args.worker
        print(json.dumps(evidently_worker(ref, cur, int(mmd_rows))))
        return

    ref_path, cur_path = ensure_vectors(args.data.resolve(), args.rows, args.dim)
    mw = run_json([args.example, str(ref_path), str(cur_path), "--mmd-rows", str(args.mmd_rows)])
    ev = run_json(
        [
            args.evidently_python,
            "-W",
            "ignore",
            str(Path(__file__).resolve()),
            "--worker",
            str(ref_path),
            str(cur_path),
            str(args.mmd_rows),
        ]
    )
    mmd_rows = min(args.rows, args.mmd_rows)
    print(
        f"{args.rows:,} x {args.dim} float32 vectors per side (mmd: the first {mmd_rows:,} rows "
        f"of each side); modelwatch on {mw['threads']} threads; Evidently, scikit-learn, numpy, "
        f"pandas: {versions(args.evidently_python)}"
    )
    print(
        f"reading both files: modelwatch {mw['read_seconds']:.2f} s, Evidently (np.load + "
        f"DataFrame) {ev['read_seconds']:.2f} s; whole processes {mw['process_seconds']:.1f} s "
        f"and {ev['process_seconds']:.1f} s"
    )
    header = f"{'method':<9} {'modelwatch s':>12} {'Evidently s':>12} {'ratio':>7}  {'modelwatch score (drift)':>26}  {'Evidently score (drift)':>26}"
    print(header)
    warnings = []
    table = []
    evs = {m["method"]: m for m in ev["methods"]}
    for m in mw["methods"]:
        name, e = m["method"], evs[m["method"]]
        if "error" in m:
            print(f"{name:<9} modelwatch error: {m['error']}")
            continue
        ratio = e["seconds"] / m["seconds"] if m["seconds"] > 0 else float("inf")
        mws = f"{m['score']:.12g} ({'yes' if m['drifted'] else 'no'})"
        evss = f"{e['score']:.12g} ({'yes' if e['drifted'] else 'no'})"
        print(f"{name:<9} {m['seconds']:>12.3f} {e['seconds']:>12.3f} {ratio:>6.2f}x  {mws:>26}  {evss:>26}")
        table.append({"method": name, "modelwatch": m, "evidently": e, "ratio": ratio})
        diff = abs(m["score"] - e["score"])
        if name != "model" and diff > 1e-9 * max(1.0, abs(e["score"])):
            warnings.append(f"WARNING: {name} scores differ by {diff:.3g} (expected to agree to 1e-9)")
        if m["drifted"] != e["drifted"]:
            warnings.append(f"WARNING: {name} verdicts differ")
    for w in warnings:
        print(w)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    if args.json:
        args.json.write_text(json.dumps({"rows": args.rows, "dim": args.dim, "mmd_rows": mmd_rows,
                                         "modelwatch": mw, "evidently": ev, "table": table}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
