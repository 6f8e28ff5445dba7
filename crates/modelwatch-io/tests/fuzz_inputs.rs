//! Inputs the fuzz targets (fuzz/fuzz_targets/) found to crash, hang or disagree, kept as
//! regression tests on stable: every file under tests/fixtures/fuzz/<target>/ is read as
//! that target reads it and must give a consistent table or a one-line error naming the
//! input, never a panic.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use modelwatch_core::table::{ColumnData, Table, MISSING_CODE};
use modelwatch_io::tuning::read_csv_bytes_with;
use modelwatch_io::{read_table_bytes, Format, ReadError};

fn fixtures(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/fuzz")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

fn check(result: &Result<Table, ReadError>, name: &str) {
    match result {
        Ok(table) => {
            let mut names = HashSet::new();
            for c in table.columns() {
                assert!(names.insert(&c.name), "{name}: duplicate column {}", c.name);
                assert_eq!(c.data.len(), table.rows(), "{name}: column {}", c.name);
                if let ColumnData::Str(s) = &c.data {
                    assert!(s
                        .codes
                        .iter()
                        .all(|&k| k == MISSING_CODE || (k as usize) < s.labels.len()));
                }
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with(name),
                "{name}: error does not name it: {msg}"
            );
            assert!(!msg.contains('\n'), "{name}: multi-line error: {msg}");
        }
    }
}

/// Debug text, so that NaN compares equal to NaN.
fn outcome(r: &Result<Table, ReadError>) -> String {
    match r {
        Ok(t) => format!("{t:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn csv_fuzz_inputs() {
    for path in fixtures("csv_file") {
        let data = std::fs::read(&path).unwrap();
        let read = read_table_bytes(&data, Format::Csv, "fuzz.csv", None);
        check(&read, "fuzz.csv");
        // The parallel and sequential paths agree on the table, or both refuse the input
        // (with two faults in one input each may name a different one).
        if !data.contains(&b'"') {
            for other in [
                read_csv_bytes_with(&data, "fuzz.csv", b',', None, true),
                read_csv_bytes_with(&data, "fuzz.csv", b',', Some(7), false),
            ] {
                if read.is_ok() || other.is_ok() {
                    assert_eq!(outcome(&other), outcome(&read), "{}", path.display());
                }
            }
        }
    }
}

/// A carriage return not followed by a newline ends a line, as in pandas and the `csv`
/// crate; the parallel path used to keep it inside the field, so a file read differently
/// depending on whether it also held a quote.
#[test]
fn lone_carriage_return_ends_a_line() {
    let t = read_table_bytes(b"a,b\n1,2\rx,3\n", Format::Csv, "cr.csv", None).unwrap();
    assert_eq!(t.rows(), 2);
    assert_eq!(
        format!("{:?}", t.columns()[1].data),
        "Int([Some(2), Some(3)])"
    );
    let e = read_table_bytes(b"a,b\n1,2\rx\n", Format::Csv, "cr.csv", None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cr.csv: line 2 has 1 fields, the header has 2"
    );
    // In the header too: `b` is the first data row.
    let t = read_table_bytes(b"a\rb\n1\n", Format::Csv, "cr.csv", None).unwrap();
    assert_eq!(t.rows(), 2);
    assert_eq!(t.columns()[0].name, "a");
    // A CRLF file still takes the parallel path and reads the same.
    let t = read_table_bytes(b"a,b\r\n1,2\r\n3,4\r", Format::Csv, "crlf.csv", None).unwrap();
    assert_eq!(t.rows(), 2);
}

/// A delimiter that can be part of a number (a digit, a sign, a point, an exponent letter)
/// is split on, never read into a number: the parallel path's fast number scan used to
/// swallow it and leave columns of different lengths (a panic).
#[test]
fn delimiter_inside_numbers() {
    let t = read_table_bytes(b"a0b\n10.5\n", Format::Csv, "d.csv", Some(b'0')).unwrap();
    assert_eq!(t.rows(), 1);
    assert_eq!(format!("{:?}", t.columns()[0].data), "Int([Some(1)])");
    assert_eq!(format!("{:?}", t.columns()[1].data), "Float([0.5])");
    let t = read_table_bytes(b"a.b\n1.5\n", Format::Csv, "d.csv", Some(b'.')).unwrap();
    assert_eq!(format!("{:?}", t.columns()[1].data), "Int([Some(5)])");
    let e = read_table_bytes(b"a-b\n1-2-3\n", Format::Csv, "d.csv", Some(b'-')).unwrap_err();
    assert_eq!(
        e.to_string(),
        "d.csv: line 2 has 3 fields, the header has 2"
    );
    // The input the fuzzer found (tests/fixtures/fuzz/csv_file_delimiter/): five empty
    // header fields, then a line of seven.
    let e = read_table_bytes(
        b"0000\n00.0000\n0000\n00.0.",
        Format::Csv,
        "d.csv",
        Some(b'0'),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "d.csv: line 2 has 7 fields, the header has 5"
    );
    for d in b"0123456789.+-eE" {
        let n = if *d == b'3' { '4' } else { '3' };
        let data = format!("x{}y\n", *d as char) + &format!("{n}{}{n}\n", *d as char).repeat(3);
        let t = read_table_bytes(data.as_bytes(), Format::Csv, "d.csv", Some(*d)).unwrap();
        assert_eq!(t.rows(), 3, "delimiter {}", *d as char);
        assert_eq!(t.columns().len(), 2, "delimiter {}", *d as char);
    }
}

/// One byte order mark is skipped; a second one stays in the first column's name, as in
/// pandas, on both paths (the `csv` crate used to skip the second one too).
#[test]
fn second_byte_order_mark_is_kept() {
    for data in [
        &b"\xef\xbb\xbf\xef\xbb\xbfa,b\n1,2\n"[..],
        b"\xef\xbb\xbf\xef\xbb\xbfa,b\n\"1\",2\n",
    ] {
        let t = read_table_bytes(data, Format::Csv, "bom.csv", None).unwrap();
        assert_eq!(t.columns()[0].name, "\u{feff}a");
        let t = read_csv_bytes_with(data, "bom.csv", b',', None, true).unwrap();
        assert_eq!(t.columns()[0].name, "\u{feff}a");
    }
    // One mark, before a quoted file with an error: the line is counted as before.
    let e = read_table_bytes(
        b"\xef\xbb\xbfa,b\n\"1\",2\n3\n",
        Format::Csv,
        "bom.csv",
        None,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "bom.csv: line 3 has 1 fields, the header has 2"
    );
}

#[test]
fn csv_delimiter_fuzz_inputs() {
    for path in fixtures("csv_file_delimiter") {
        let data = std::fs::read(&path).unwrap();
        let Some((&delimiter, body)) = data.split_first() else {
            continue;
        };
        let read = read_table_bytes(body, Format::Csv, "fuzz.csv", Some(delimiter));
        check(&read, "fuzz.csv");
    }
}

#[test]
fn jsonl_fuzz_inputs() {
    for path in fixtures("jsonl_file") {
        let data = std::fs::read(&path).unwrap();
        check(
            &read_table_bytes(&data, Format::JsonLines, "fuzz.jsonl", None),
            "fuzz.jsonl",
        );
    }
}

/// Among them files on which the `parquet` crate panics ("Decoder for dict should have
/// been set", "column start and length should not be negative"): the reader reports them
/// as invalid files.
#[test]
fn parquet_fuzz_inputs() {
    for path in fixtures("parquet_file") {
        let data = std::fs::read(&path).unwrap();
        let read = read_table_bytes(&data, Format::Parquet, "fuzz.parquet", None);
        check(&read, "fuzz.parquet");
        // Which words the parquet crate's own panic uses is its business; that the file
        // is reported as invalid Parquet is ours.
        if path.ends_with("crash-74923ee7b90a1c86a1ca0e2f1151e5327233e1ce")
            || path.ends_with("crash-0562c057dea64543d063bb61ffc76eb82e28507a")
        {
            let e = read.as_ref().unwrap_err();
            assert!(
                matches!(e, modelwatch_io::ReadError::InvalidParquet { .. }),
                "{e}"
            );
        }
    }
}

/// A quoted file's line numbers are counted only for a record that is reported: counting
/// them for every record made the read quadratic (this file took 48 s in a debug build; a
/// fraction of a second now). No time is asserted here (timings belong in bench/); the
/// file's size keeps a regression from going unnoticed in the suite's run time, and a
/// reported record still names its line.
#[test]
fn quoted_csv_of_many_rows_reads_and_names_the_line_of_a_bad_record() {
    let rows = 200_000;
    let mut data = String::from("id,note\n");
    for i in 0..rows {
        data.push_str(&format!("{i},\"n {i}\"\n"));
    }
    let table = read_table_bytes(data.as_bytes(), Format::Csv, "q.csv", None).unwrap();
    assert_eq!(table.rows(), rows);
    data.push_str("1,\"x\",extra\n");
    let e = read_table_bytes(data.as_bytes(), Format::Csv, "q.csv", None).unwrap_err();
    assert!(e.to_string().contains(&format!("line {}", rows + 2)), "{e}");
}
