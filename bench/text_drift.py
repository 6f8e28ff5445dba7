#!/usr/bin/env python3
"""Text drift: `modelwatch report` against Evidently 0.7's text drift on the same texts.

    python bench/text_drift.py [--rows 100000] [--words 40]
        [--modelwatch target/release/modelwatch] [--evidently-python PY]

Runs with a Python that has numpy; Evidently runs under --evidently-python (default: this
Python), which needs evidently==0.7.23, scikit-learn and pandas<3. Build modelwatch first:

    cargo build --release -p modelwatch-cli

Data: --rows texts of about --words words per side (default 100,000 x ~40), seeded
support-ticket text drawn from topic word pools with English filler words; on the current
side 30% of the topic mixture's weight moves to one topic (a clear drift, AUC about 0.6). They are written once as CSV files (a text column
`ticket` and a numerical column `n`) under --data (default target/bench/text_drift).

Both tools run the whole process on the same CSV files, one after the other, and the wall time
and peak memory (maximum resident set size, from `/usr/bin/time -v`) of each process is
printed, with their ratio:

* modelwatch: `modelwatch report --preset drift --text ticket --column-method
  ticket=abs_text_content_drift --json out.json --quiet` (reading, typing, drift of both
  columns, the JSON; the drift preset alone, as Evidently runs the drift test alone: the
  default `drift,summary` would add the summary's statistics, which the peer does not
  compute);
* Evidently: `pandas.read_csv`, then the `abs_text_content_drift` stat test on the text column
  (`get_stattest(...)(reference, current, ColumnType.Text, None)`), the method Evidently picks
  by default for a reference above 1,000 rows.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 22

TOPICS = [
    "invoice charge refund payment card billed twice subscription plan price receipt bank",
    "parcel delivery courier late tracking address package shipped arrived damaged box",
    "login password reset email locked account username verification code profile",
    "screen battery charger cable broken button speaker warranty repair replacement",
    "crash update version android iphone notification slow loading error sync offline",
]
GENERAL = (
    "help issue problem thanks hello order week today still waiting customer service"
)
FILLER = "the a to and is my it for i was not this please of in on have with but be you"


def ensure_data(data, rows, words):
    """Writes the two CSV files once; returns their paths."""
    import numpy as np

    folder = data / f"{rows}x{words}"
    ref_path, cur_path = folder / "reference.csv", folder / "current.csv"
    if ref_path.exists() and cur_path.exists():
        return ref_path, cur_path
    folder.mkdir(parents=True, exist_ok=True)
    print(f"generating {rows} texts per side in {folder}", file=sys.stderr)
    rng = np.random.default_rng(SEED)
    topics = [t.split() for t in TOPICS]
    general, filler = GENERAL.split(), FILLER.split()
    base = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
    shifted = 0.7 * base + 0.3 * np.array([0, 0, 0, 0, 1.0])
    for path, mixture in ((ref_path, base), (cur_path, shifted)):
        lines = ["ticket,n"]
        topic_of = rng.choice(len(topics), size=rows, p=mixture)
        lengths = rng.integers(words - 10, words + 11, size=rows)
        for i in range(rows):
            pool = topics[topic_of[i]]
            u = rng.random(lengths[i])
            picks = rng.integers(0, 1 << 30, size=lengths[i])
            ws = [
                filler[p % len(filler)]
                if x < 0.35
                else general[p % len(general)]
                if x < 0.5
                else pool[p % len(pool)]
                for x, p in zip(u, picks)
            ]
            lines.append(f"{' '.join(ws)},{i % 97}")
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        os.replace(tmp, path)
    return ref_path, cur_path


EVIDENTLY = """
import sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
from evidently.legacy.calculations.stattests.registry import get_stattest
from evidently.legacy.core import ColumnType
r = pd.read_csv(sys.argv[1])["ticket"].dropna()
c = pd.read_csv(sys.argv[2])["ticket"].dropna()
test = get_stattest(r, c, ColumnType.Text, "abs_text_content_drift")
res = test(r, c, ColumnType.Text, None)
print(f"AUC {res.drift_score:.4f} drift {res.drifted}")
"""


def timed(cmd):
    """Runs `cmd` under /usr/bin/time -v; (seconds, peak RSS in MiB, stdout)."""
    t0 = time.perf_counter()
    out = subprocess.run(
        ["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - t0
    rss = int(
        re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1)
    )
    return seconds, rss / 1024, out.stdout.strip()


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--words", type=int, default=40)
    ap.add_argument(
        "--modelwatch", default=str(ROOT / "target" / "release" / "modelwatch")
    )
    ap.add_argument("--evidently-python", default=sys.executable)
    ap.add_argument(
        "--data", type=Path, default=ROOT / "target" / "bench" / "text_drift"
    )
    args = ap.parse_args()
    ref_path, cur_path = ensure_data(args.data, args.rows, args.words)
    out_json = args.data / "modelwatch.json"
    mw = timed(
        [
            args.modelwatch,
            "report",
            "--preset",
            "drift",
            "--reference",
            str(ref_path),
            "--current",
            str(cur_path),
            "--text",
            "ticket",
            "--column-method",
            "ticket=abs_text_content_drift",
            "--json",
            str(out_json),
            "--quiet",
        ]
    )
    import json

    ticket = next(
        c
        for c in json.loads(out_json.read_text())["drift"]["columns"]
        if c["column"] == "ticket"
    )
    ev = timed([args.evidently_python, "-c", EVIDENTLY, str(ref_path), str(cur_path)])
    print(f"rows per side: {args.rows}, words per text: about {args.words}")
    print(
        f"modelwatch: {mw[0]:.2f} s, peak {mw[1]:.0f} MiB, AUC {ticket['score']:.4f} drift {ticket['drifted']}"
    )
    print(f"evidently:  {ev[0]:.2f} s, peak {ev[1]:.0f} MiB, {ev[2]}")
    print(
        f"ratio (evidently / modelwatch): time {ev[0] / mw[0]:.1f}x, peak memory {ev[1] / mw[1]:.1f}x"
    )


if __name__ == "__main__":
    main()
