#!/usr/bin/env python3
"""Text descriptors, whole process: `modelwatch report --text-descriptors` against Evidently 0.7
computing the same six descriptors and the drift of each over the same CSV files.

    python3 bench/text_descriptors.py --evidently-python EVIDENTLY_VENV/bin/python
        [--modelwatch target/release/modelwatch] [--sizes 10k,100k] [--modelwatch-runs 3]
        [--runs 1] [--data target/bench/text]

Runs with any python3 (standard library only). Evidently runs under --evidently-python, which
needs evidently==0.7.23 (it brings NLTK) and pandas<3. Build modelwatch first:

    nice -n 10 cargo build --release -p modelwatch-cli --locked

Data: for each size, a reference and a current CSV with one column `text`, written once under
--data (default target/bench/text/<rows>/). Every row is real English prose of about 40 words
(18 to 38 drawn per row, whole sentences added until the row has at least that many): the
sentences of the licence texts in /usr/share/common-licenses, shuffled with a fixed seed. The
current side takes half of its sentences from the GNU licences (GPL, LGPL, GFDL) only, so the
descriptors shift a little.

Each tool runs as a fresh process, as a user would run it:

- modelwatch: `modelwatch report --reference R --current C --text text --text-descriptors text
  --ignore text --preset drift --json OUT --quiet`: reads both files, computes TextLength,
  WordCount, SentenceCount, NonLetterCharacterPercentage, OOVWordsPercentage and Sentiment for
  every row of both sides, appends them as columns `text.text_length`, ... and runs the drift
  preset (Evidently's default test for each descriptor column; the text column itself is left
  out of the drift preset with `--ignore`, as the Evidently side leaves it out of its
  DataDriftPreset, so neither runs its text drift classifier; bench/text_drift.py times that).
- Evidently (this script with --worker): imports evidently and pandas, `pd.read_csv` of both
  files, `Dataset.from_pandas(frame, data_definition=DataDefinition(text_columns=["text"]),
  descriptors=[the six, aliased to modelwatch's names])` for each side, then
  `Report([DataDriftPreset(columns=[the six descriptor columns])]).run(current, reference)`:
  the same descriptors and the same per-column drift tests, nothing on the text itself.

Evidently's OOVWordsPercentage and Sentiment read NLTK data (`words`, `wordnet`,
`vader_lexicon`) that NLTK downloads at run time. The worker gives NLTK the word data that
modelwatch ships (crates/modelwatch-core/src/descriptors/text/data/: the word list, WordNet
3.0's noun lemmas and noun exceptions, the VADER lexicon), laid out as NLTK expects, and
replaces `nltk.download` by a no-op, so no network is touched and both tools use the same
word lists (docs/text.md says how they differ from NLTK's own `words` list). Evidently's and
NLTK's code run unchanged on that data.

The time is the wall time of the whole process (interpreter start and imports included); the
peak memory is the process's maximum resident set (ru_maxrss from wait4, what
`/usr/bin/time -v` reports). Each process's CPU time (user plus system, all threads) is printed too:
on a shared host the wall time grows with the other processes' load, the CPU time does not. modelwatch runs --modelwatch-runs times (median time, largest
peak), Evidently --runs times. Before the times, each descriptor column's drift score of both
tools is printed: equal scores mean both computed the same descriptor values.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 22
GENERATOR_VERSION = 1
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
LICENCES = Path("/usr/share/common-licenses")
WORD_DATA = ROOT / "crates/modelwatch-core/src/descriptors/text/data"
DESCRIPTORS = [
    ("TextLength", "text_length"),
    ("WordCount", "word_count"),
    ("SentenceCount", "sentence_count"),
    ("NonLetterCharacterPercentage", "non_letter_character_percentage"),
    ("OOVWordsPercentage", "oov_words_percentage"),
    ("Sentiment", "sentiment"),
]
COLUMNS = [f"text.{name}" for _, name in DESCRIPTORS]


# ----------------------------------------------------------------------------------------
# Data


def licence_sentences():
    """Sentences of the licence texts, as (file name, sentence), in a fixed order."""
    out = []
    seen = set()
    for path in sorted(LICENCES.iterdir()):
        real = path.resolve()
        if not real.is_file() or real in seen:
            continue
        seen.add(real)
        text = " ".join(real.read_text(encoding="utf-8", errors="replace").split())
        for sentence in re.split(r"(?<=[.?!])\s+", text):
            if 3 <= len(sentence.split()) <= 40:
                out.append((path.name, sentence))
    return out


def rows_of(sentences, rows, rng, gnu_share):
    """`rows` texts of 18 to 38 words or a little more, whole sentences each."""
    gnu = [s for name, s in sentences if name.startswith(("GPL", "LGPL", "GFDL"))]
    every = [s for _, s in sentences]
    texts = []
    for _ in range(rows):
        target = rng.randint(18, 38)
        parts, words = [], 0
        while words < target:
            pool = gnu if rng.random() < gnu_share else every
            s = pool[rng.randrange(len(pool))]
            parts.append(s)
            words += len(s.split())
        texts.append(" ".join(parts))
    return texts


def ensure_data(data, rows):
    """Writes reference.csv and current.csv for `rows` once; returns their paths."""
    import csv

    folder = data / f"{rows}-v{GENERATOR_VERSION}"
    ref, cur = folder / "reference.csv", folder / "current.csv"
    if ref.exists() and cur.exists():
        return ref, cur
    folder.mkdir(parents=True, exist_ok=True)
    print(f"writing {rows:,} texts per side to {folder}", file=sys.stderr)
    sentences = licence_sentences()
    for path, seed, gnu_share in ((ref, SEED, 0.0), (cur, SEED + 1, 0.5)):
        texts = rows_of(sentences, rows, random.Random(seed), gnu_share)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["text"])
            w.writerows([t] for t in texts)
        os.replace(tmp, path)
    return ref, cur


def words_per_row(path):
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        counts = [len(row[0].split()) for row in list(csv.reader(f))[1:]]
    return statistics.mean(counts)


# ----------------------------------------------------------------------------------------
# The Evidently worker (runs under --evidently-python)


def nltk_data_dir(folder):
    """An nltk_data folder with modelwatch's word data laid out as NLTK reads it."""
    import zipfile

    if (folder / "ready").exists():
        return folder
    wn = folder / "corpora" / "wordnet"
    wn.mkdir(parents=True, exist_ok=True)
    # NLTK's WordNet reader loads the index and exception files of all four parts of speech
    # and reads the version from data.adj's licence header; the lemmatizer (nouns, NLTK's
    # default part of speech) only tests membership in the noun index and reads noun.exc.
    nouns = (WORD_DATA / "wordnet_nouns.txt").read_text(encoding="utf-8").split()
    (wn / "index.noun").write_text(
        "".join(f"{n} n 1 0 1 0 00000000  \n" for n in nouns), encoding="utf-8"
    )
    for pos in ("verb", "adj", "adv"):
        (wn / f"index.{pos}").write_text("", encoding="utf-8")
        (wn / f"{pos}.exc").write_text("", encoding="utf-8")
    for pos in ("noun", "verb", "adj", "adv"):
        (wn / f"data.{pos}").write_text(
            "  1 WordNet 3.0 Copyright 2006 by Princeton University.\n",
            encoding="utf-8",
        )
    (wn / "noun.exc").write_text(
        (WORD_DATA / "wordnet_noun_exceptions.txt").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    (wn / "lexnames").write_text("00\tadj.all\t3\n", encoding="utf-8")
    (wn / "index.sense").write_text("", encoding="utf-8")
    words = folder / "corpora" / "words"
    words.mkdir(parents=True, exist_ok=True)
    (words / "en").write_text(
        (WORD_DATA / "english_words.txt").read_text(encoding="utf-8"), encoding="ascii"
    )
    sentiment = folder / "sentiment"
    sentiment.mkdir(parents=True, exist_ok=True)
    lexicon = (WORD_DATA / "vader_lexicon.txt").read_text(encoding="utf-8").strip("\n")
    with zipfile.ZipFile(sentiment / "vader_lexicon.zip", "w") as z:
        z.writestr("vader_lexicon/vader_lexicon.txt", lexicon)
    (folder / "ready").write_text("")
    return folder


def evidently_worker(ref_path, cur_path, nltk_dir):
    """Runs in a fresh process under the Evidently Python; prints one JSON object."""
    t0 = time.perf_counter()
    import warnings

    warnings.simplefilter("ignore")
    import nltk

    nltk.data.path.insert(0, str(nltk_dir))
    # Evidently calls nltk.download before reading the data; the data is in place already.
    nltk.download = lambda *args, **kwargs: True
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently import descriptors as D
    from evidently.presets import DataDriftPreset

    t_import = time.perf_counter()
    reference = pd.read_csv(ref_path)
    current = pd.read_csv(cur_path)
    t_read = time.perf_counter()

    def dataset(frame):
        return Dataset.from_pandas(
            frame,
            data_definition=DataDefinition(text_columns=["text"]),
            descriptors=[
                getattr(D, kind)("text", alias=f"text.{name}")
                for kind, name in DESCRIPTORS
            ],
        )

    reference_ds = dataset(reference)
    current_ds = dataset(current)
    t_describe = time.perf_counter()
    snapshot = Report([DataDriftPreset(columns=COLUMNS)]).run(current_ds, reference_ds)
    result = snapshot.dict()
    t_report = time.perf_counter()
    scores = {}
    for metric in result["metrics"]:
        config = metric.get("config", {})
        if (
            config.get("type", "").endswith("ValueDrift")
            and config.get("column") in COLUMNS
        ):
            scores[config["column"]] = {
                "method": config.get("method"),
                "score": float(metric["value"]),
            }
    return {
        "phases": {
            "imports": t_import - t0,
            "read_csv": t_read - t_import,
            "descriptors": t_describe - t_read,
            "drift report": t_report - t_describe,
        },
        "scores": scores,
    }


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


def modelwatch_scores(json_path):
    results = json.loads(Path(json_path).read_text())
    return {
        c["column"]: {
            "method": c["method"],
            "score": c["score"],
            "error": c.get("error"),
        }
        for c in results["drift"]["columns"]
        if c["column"] in COLUMNS
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--evidently-python", help="the Python of a venv with evidently==0.7.23"
    )
    p.add_argument("--modelwatch", default=str(ROOT / "target/release/modelwatch"))
    p.add_argument(
        "--sizes", default="10k,100k", help=f"comma list of {', '.join(SIZES)}"
    )
    p.add_argument("--modelwatch-runs", type=int, default=3)
    p.add_argument("--runs", type=int, default=1, help="Evidently runs per size")
    p.add_argument("--data", type=Path, default=ROOT / "target/bench/text")
    p.add_argument(
        "--worker", nargs=3, metavar=("REF", "CUR", "NLTK"), help=argparse.SUPPRESS
    )
    args = p.parse_args()
    if args.worker:
        ref, cur, nltk_dir = args.worker
        print(json.dumps(evidently_worker(ref, cur, nltk_dir)))
        return
    if not args.evidently_python:
        p.error("--evidently-python is required")

    data = args.data.resolve()
    nltk_dir = nltk_data_dir(data / "nltk_data")
    env = dict(os.environ, NLTK_DATA=str(nltk_dir))
    table = []
    for size in args.sizes.split(","):
        rows = SIZES[size]
        ref, cur = ensure_data(data, rows)
        print(
            f"\n{rows:,} rows per side, {words_per_row(ref):.1f} / {words_per_row(cur):.1f} "
            f"words per row on average (reference / current), "
            f"{(ref.stat().st_size + cur.stat().st_size) / 2**20:.1f} MiB of CSV"
        )
        out_json = data / f"modelwatch-{rows}.json"
        mw_cmd = [
            args.modelwatch, "report", "--reference", str(ref), "--current", str(cur),
            "--text", "text", "--text-descriptors", "text", "--ignore", "text",
            "--preset", "drift", "--json", str(out_json), "--quiet",
        ]  # fmt: skip
        mw_times, mw_cpu, mw_peak = [], [], 0.0
        for _ in range(args.modelwatch_runs):
            seconds, cpu, peak, _ = timed(mw_cmd)
            mw_times.append(seconds)
            mw_cpu.append(cpu)
            mw_peak = max(mw_peak, peak)
        mw_scores = modelwatch_scores(out_json)
        ev_cmd = [args.evidently_python, "-W", "ignore", str(Path(__file__).resolve()),
                  "--worker", str(ref), str(cur), str(nltk_dir)]  # fmt: skip
        ev_times, ev_cpu, ev_peak, ev = [], [], 0.0, None
        for _ in range(args.runs):
            seconds, cpu, peak, stdout = timed(ev_cmd, env=env)
            ev_times.append(seconds)
            ev_cpu.append(cpu)
            ev_peak = max(ev_peak, peak)
            ev = json.loads(stdout.strip().splitlines()[-1])
        print(
            f"{'column':<38} {'modelwatch method: score':>42} {'Evidently method: score':>42}"
        )
        for column in COLUMNS:
            m, e = mw_scores.get(column, {}), ev["scores"].get(column, {})
            ms = (
                f"{m.get('method')}: {m.get('score')!r}"
                if not m.get("error")
                else m["error"]
            )
            es = f"{e.get('method')}: {e.get('score')!r}"
            print(f"{column:<38} {ms:>42} {es:>42}")
        print(
            "Evidently's phases (s): "
            + ", ".join(f"{k} {v:.2f}" for k, v in ev["phases"].items())
        )
        mw_s, ev_s = statistics.median(mw_times), statistics.median(ev_times)
        row = {
            "rows": rows,
            "modelwatch_seconds": mw_times,
            "evidently_seconds": ev_times,
            "modelwatch_peak_mib": mw_peak,
            "evidently_peak_mib": ev_peak,
            "ratio": ev_s / mw_s,
            "modelwatch_cpu": statistics.median(mw_cpu),
            "evidently_cpu": statistics.median(ev_cpu),
        }
        table.append(row)
        print(
            f"modelwatch runs: {', '.join(f'{t:.2f}' for t in mw_times)} s wall, "
            f"{', '.join(f'{t:.2f}' for t in mw_cpu)} s CPU; Evidently runs: "
            f"{', '.join(f'{t:.1f}' for t in ev_times)} s wall, "
            f"{', '.join(f'{t:.1f}' for t in ev_cpu)} s CPU"
        )
    print(
        "\n| rows per side | modelwatch | Evidently 0.7.23 | ratio | CPU modelwatch / Evidently "
        "| CPU ratio | peak RSS modelwatch / Evidently |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in table:
        print(
            f"| {r['rows']:,} | {statistics.median(r['modelwatch_seconds']):.2f} s | "
            f"{statistics.median(r['evidently_seconds']):.1f} s | {r['ratio']:.0f}x | "
            f"{r['modelwatch_cpu']:.2f} / {r['evidently_cpu']:.1f} s | "
            f"{r['evidently_cpu'] / r['modelwatch_cpu']:.0f}x | "
            f"{r['modelwatch_peak_mib']:.0f} / {r['evidently_peak_mib']:.0f} MiB |"
        )
    load = os.getloadavg()
    print(
        f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
