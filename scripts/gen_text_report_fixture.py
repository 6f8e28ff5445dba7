"""Writes the small text datasets of the CLI's text-descriptor test
(crates/modelwatch-cli/tests/cli_text_descriptors.rs) from the texts of the text parity
fixture, tests/fixtures/text/evidently.json, so that the test compares the command's
descriptor columns with Evidently's values for the same texts.

The reference holds licence texts, the current one fortunes (two kinds of text that every
descriptor tells apart). Each dataset has the fixture's row index (`row`, empty for the one
missing text each side) and the text (`review`). Run from the repository root:

    python3 scripts/gen_text_report_fixture.py
"""

import csv
import json
from pathlib import Path

FIXTURES = Path("tests/fixtures/text")
ROWS_PER_SIDE = 40
MAX_CHARS = 400


def usable(text):
    # An empty field of a CSV file reads as missing, and Evidently's value of an empty
    # text is not that of a missing one: only non-blank texts are taken.
    return isinstance(text, str) and text.strip() != "" and len(text) <= MAX_CHARS


def pick(rows, start, stop):
    chosen = [i for i in range(start, stop) if usable(rows[i]["text"])]
    return chosen[:ROWS_PER_SIDE]


def write(path, rows, indices):
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        out.writerow(["row", "review"])
        for i in indices[: len(indices) // 2]:
            out.writerow([i, rows[i]["text"]])
        # A missing text in the middle: its descriptors are what core gives (0 for the counts).
        f.write(",\n")
        for i in indices[len(indices) // 2 :]:
            out.writerow([i, rows[i]["text"]])


def main():
    rows = json.loads((FIXTURES / "evidently.json").read_text(encoding="utf-8"))["rows"]
    first_fortune = next(
        i
        for i, r in enumerate(rows)
        if isinstance(r["text"], str) and r["text"].startswith("A day for")
    )
    write(FIXTURES / "report_reference.csv", rows, pick(rows, 0, first_fortune))
    write(FIXTURES / "report_current.csv", rows, pick(rows, first_fortune, len(rows)))


if __name__ == "__main__":
    main()
