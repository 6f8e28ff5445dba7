#!/usr/bin/env python3
"""Write the fuzz targets' seed inputs: fuzz/corpus/<target>/seed-*.

Seeds are small valid (and a few almost valid) inputs for each reader, so libFuzzer starts
from the interesting shapes instead of discovering CSV quoting or the Parquet footer on its
own. CSV seeds are copied from committed fixtures plus hand-written edge cases; JSON Lines
and Parquet seeds are written from the same small frames with pandas and pyarrow.

Run from the repository root with the reference venv (pandas, pyarrow):

    MODELWATCH_PYTHON=/work/venv/bin/python scripts/gen_fuzz_seeds.py
"""

import io
import os
import shutil
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_env import ROOT

CORPUS = os.path.join(ROOT, "fuzz", "corpus")

# Committed CSV fixtures small enough to mutate quickly (a few KB each).
CSV_FIXTURES = [
    "tests/fixtures/summary/single_row/reference.csv",
    "tests/fixtures/summary/ties/reference.csv",
    "tests/fixtures/model_quality/binary_strings_pos_label/current.csv",
    "tests/fixtures/summary/missing_infinities/reference.csv",
]

# Hand-written CSV shapes: quotes with separators and newlines inside, doubled quotes, an
# unclosed quote, blank lines, CRLF, a BOM, a ragged row, missing tokens, dates, booleans.
CSV_EDGES = {
    "quoted": b'a,b,c\n"x, y",1,"multi\nline"\n"he said ""hi""",2,\n',
    "unclosed_quote": b'a,b\n1,"open\n2,3\n',
    "blank_crlf_bom": b"\xef\xbb\xbfa,b\r\n\r\n1,2\r\n   \r\n3,NA\r\n",
    "ragged": b"a,b\n1,2\n3\n",
    "types": b"n,f,s,d,t\n1,1.5,x,2024-01-02,True\n,nan,,2024-01-03 04:05:06,False\n"
    b"9223372036854775807,-inf,y,,\n",
    "no_header": b"1,2\n3,4\n",
    "unnamed_dup": b",a,\n1,2,3\n",
}

# Ingestion bodies: the first byte picks the format ('0' JSON, '1' JSON Lines, '2' CSV).
INGEST = {
    "json_object": b'0{"x": 1.5, "city": "Oslo", "when": "2024-01-02T03:04:05Z"}',
    "json_array": b'0[{"x": "2", "city": null, "id": "a1", "status": 200, '
    b'"latency_seconds": 0.25, "error": false}, {"x": "inf"}, 3, {"when": 1700000000}]',
    "json_lines_as_json": b'0{"x": 1}\n{"x": 2, "pred": [1]}\n',
    "jsonl": b'1{"x": 1, "timestamp": "2024-01-02"}\n\n{"x": "NaN", "extra": {"k": 1}}\n[1]\n{bad\n',
    "csv": b"2x,city,when\n1.5,Oslo,2024-01-02T03:04:05Z\n,\"Bergen, NO\",\nNA,x,nope\n",
    "csv_unclosed": b'2x,city\n1,a\n2,"b\n3,c\n',
    "csv_quotes_crlf": b'2x,city\r\n"1","a ""b"""\r\n2,\r\n',
}


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "i": pd.array([1, None, 3, -4], dtype="Int64"),
            "f": [0.5, float("nan"), float("inf"), -2.0],
            "s": ["a", None, "b", "a"],
            "b": pd.array([True, False, None, True], dtype="boolean"),
            "t": pd.to_datetime(
                ["2024-01-01 00:00:00", None, "2024-03-01 12:00:00", "1969-12-31 23:59:59"]
            ),
        }
    )


def write(target: str, name: str, data: bytes) -> None:
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"seed-{name}"), "wb") as f:
        f.write(data)


def parquet_bytes(table: pa.Table, **kwargs) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, **kwargs)
    return buf.getvalue()


def main() -> None:
    for target in ["csv_file", "csv_file_delimiter", "jsonl_file", "parquet_file", "ingest_body"]:
        shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)

    for path in CSV_FIXTURES:
        with open(os.path.join(ROOT, path), "rb") as f:
            data = f.read()
        name = path.split("/")[-2]
        write("csv_file", name, data)
    for name, data in CSV_EDGES.items():
        write("csv_file", name, data)
        write("csv_file_delimiter", f"comma_{name}", b"," + data)
    write("csv_file_delimiter", "tab", b"\ta\tb\n1\t\"x\ty\"\n2\tz\n")
    write("csv_file_delimiter", "semicolon", b";a;b\n1,5;x\n2;\n")

    df = frame()
    write("jsonl_file", "frame", df.to_json(orient="records", lines=True).encode())
    write(
        "jsonl_file",
        "mixed",
        b'{"a": 1, "b": "x"}\n\n{"a": 2.5, "c": true}\n{"a": null, "b": [1, 2]}\n'
        b'{"a": 18446744073709551615, "d": "2024-01-02"}\n',
    )
    write("jsonl_file", "bad_line", b'{"a": 1}\n{"a": \n')

    table = pa.Table.from_pandas(df, preserve_index=False)
    write("parquet_file", "snappy", parquet_bytes(table))
    write("parquet_file", "plain", parquet_bytes(table, compression="none", use_dictionary=False))
    write("parquet_file", "zstd", parquet_bytes(table, compression="zstd"))
    other = pa.table(
        {
            "d32": pa.array([19000, None, -1], type=pa.date32()),
            "ts_s": pa.array([0, 1700000000, None], type=pa.timestamp("s", tz="UTC")),
            "ts_ns": pa.array([1, None, -1], type=pa.timestamp("ns")),
            "dict": pa.array(["x", "y", None]).dictionary_encode(),
            "large": pa.array(["p", None, "q"], type=pa.large_string()),
            "u64": pa.array([0, 2**63 + 1, None], type=pa.uint64()),
        }
    )
    write("parquet_file", "types", parquet_bytes(other, compression="lz4"))
    write("parquet_file", "two_groups", parquet_bytes(table, row_group_size=2, compression="gzip"))

    for name, data in INGEST.items():
        write("ingest_body", name, data)


if __name__ == "__main__":
    main()
