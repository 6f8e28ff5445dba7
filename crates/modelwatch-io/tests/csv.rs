//! CSV reading: inference, missing values, quoting, BOM, parallel vs sequential parity.

use std::path::PathBuf;

use modelwatch_core::table::{ColumnData, Table, MISSING_CODE};
use modelwatch_io::tuning::read_csv_with;
use modelwatch_io::{read_table, write_csv, Format, ReadOptions};

fn write(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// Table equality where NaN equals NaN (Debug prints floats exactly, NaN as "NaN").
fn same(a: &Table, b: &Table) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

fn read(content: &str) -> Table {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "t.csv", content.as_bytes());
    let t = read_table(&p, &ReadOptions::default()).unwrap();
    // Every small file must give the same table on all three paths.
    let seq = read_csv_with(&p, &ReadOptions::default(), None, true).unwrap();
    assert!(same(&t, &seq), "sequential path differs for {content:?}");
    // With quotes the parallel path hands the file to the sequential one, wherever in the
    // file the first quote is.
    let tiny = read_csv_with(&p, &ReadOptions::default(), Some(1), false).unwrap();
    assert!(same(&t, &tiny), "1-byte chunks differ for {content:?}");
    t
}

fn data<'a>(t: &'a Table, name: &str) -> &'a ColumnData {
    &t.column(name).unwrap().data
}

fn labels(d: &ColumnData) -> Vec<Option<String>> {
    match d {
        ColumnData::Str(s) => (0..s.len()).map(|i| s.get(i).map(str::to_owned)).collect(),
        other => panic!("expected strings, got {}", other.physical_name()),
    }
}

#[test]
fn infers_types_like_pandas() {
    let t = read(
        "i,f,b,s,d,ts,ws\n\
         1,1.5,True,x,2024-01-05,2024-01-05 10:00:00, TRUE\n\
         -2,1e5,false,y ,2024-01-06,2024-01-05T10:00:00.5Z,false\n\
          3 ,.5,FALSE,1,2024-02-29,2024-01-05T12:00:00+02:00,true\n",
    );
    assert_eq!(t.rows(), 3);
    assert_eq!(
        data(&t, "i"),
        &ColumnData::Int(vec![Some(1), Some(-2), Some(3)])
    );
    assert_eq!(data(&t, "f"), &ColumnData::Float(vec![1.5, 1e5, 0.5]));
    assert_eq!(
        data(&t, "b"),
        &ColumnData::Bool(vec![Some(true), Some(false), Some(false)])
    );
    // strings are not trimmed (pandas keeps "y " and " TRUE")
    assert_eq!(
        labels(data(&t, "s")),
        vec![Some("x".into()), Some("y ".into()), Some("1".into())]
    );
    assert_eq!(
        labels(data(&t, "ws")),
        vec![
            Some(" TRUE".into()),
            Some("false".into()),
            Some("true".into())
        ]
    );
    let day = 86_400_000_000i64;
    assert_eq!(
        data(&t, "d"),
        &ColumnData::Datetime(vec![
            Some(19_727 * day),
            Some(19_728 * day),
            Some(19_782 * day)
        ])
    );
    let ten = 19_727 * day + 36_000_000_000;
    assert_eq!(
        data(&t, "ts"),
        &ColumnData::Datetime(vec![Some(ten), Some(ten + 500_000), Some(ten)])
    );
}

#[test]
fn na_tokens_are_missing() {
    let tokens = [
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    ];
    let mut s = String::from("k,x,y,z\n");
    for t in tokens {
        s.push_str(&format!("1,{t},{t},{t}\n"));
    }
    s.push_str("2,7,2.5,a\n");
    let t = read(&s);
    let n = tokens.len();
    let mut ints = vec![None; n];
    ints.push(Some(7));
    // integer column with gaps stays Int (deliberate difference from pandas)
    assert_eq!(data(&t, "x"), &ColumnData::Int(ints));
    match data(&t, "y") {
        ColumnData::Float(v) => {
            assert!(v[..n].iter().all(|x| x.is_nan()));
            assert_eq!(v[n], 2.5);
        }
        d => panic!("{}", d.physical_name()),
    }
    match data(&t, "z") {
        ColumnData::Str(s) => {
            assert!(s.codes[..n].iter().all(|&c| c == MISSING_CODE));
            assert_eq!(s.labels, vec!["a"]);
        }
        d => panic!("{}", d.physical_name()),
    }
}

#[test]
fn nan_like_strings_outside_the_na_set_are_text() {
    let t = read("a\n1\nNAN\n");
    assert_eq!(
        labels(data(&t, "a")),
        vec![Some("1".into()), Some("NAN".into())]
    );
}

#[test]
fn infinities_are_values() {
    let t = read("a\n1\ninf\n-Infinity\n+INF\n");
    assert_eq!(
        data(&t, "a"),
        &ColumnData::Float(vec![1.0, f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY])
    );
}

#[test]
fn floats_round_trip_exactly() {
    // values whose naive parsing is off by one ulp
    let vals = [
        "0.1",
        "2.2250738585072011e-308",
        "9007199254740993",
        "1.7976931348623157e308",
        "0.30000000000000004",
        "123456789012345678901234567890",
    ];
    let t = read(&format!("a\n0.5\n{}\n", vals.join("\n")));
    let expect: Vec<f64> = std::iter::once(0.5)
        .chain(vals.iter().map(|v| v.parse::<f64>().unwrap()))
        .collect();
    assert_eq!(data(&t, "a"), &ColumnData::Float(expect));
}

#[test]
fn int_overflow_becomes_float() {
    let t = read("a\n1\n9223372036854775808\n");
    assert_eq!(
        data(&t, "a"),
        &ColumnData::Float(vec![1.0, 9.223372036854776e18])
    );
    let t = read("a\n-9223372036854775808\n9223372036854775807\n");
    assert_eq!(
        data(&t, "a"),
        &ColumnData::Int(vec![Some(i64::MIN), Some(i64::MAX)])
    );
}

#[test]
fn int_then_float_then_missing() {
    let t = read("a\n1\n\n2.5\nNA\n3\n");
    let ColumnData::Float(v) = data(&t, "a") else {
        panic!()
    };
    // the blank line is skipped (pandas skip_blank_lines)
    assert_eq!(v.len(), 4);
    assert_eq!(v[0], 1.0);
    assert_eq!(v[1], 2.5);
    assert!(v[2].is_nan());
    assert_eq!(v[3], 3.0);
}

#[test]
fn all_missing_column_is_float_nan() {
    let t = read("a,b\n1,\n2,NA\n");
    let ColumnData::Float(v) = data(&t, "b") else {
        panic!()
    };
    assert!(v.len() == 2 && v.iter().all(|x| x.is_nan()));
}

#[test]
fn mixed_numbers_and_text_keep_original_text() {
    let t = read("a\n1.50\n007\nx\n\n");
    assert_eq!(
        labels(data(&t, "a")),
        vec![Some("1.50".into()), Some("007".into()), Some("x".into())]
    );
}

#[test]
fn quoting_rfc4180() {
    let t = read("a,b,c\n\"x,y\",1,\"say \"\"hi\"\"\"\n\"p\nq\",2,\"\"\n");
    assert_eq!(
        labels(data(&t, "a")),
        vec![Some("x,y".into()), Some("p\nq".into())]
    );
    assert_eq!(data(&t, "b"), &ColumnData::Int(vec![Some(1), Some(2)]));
    assert_eq!(labels(data(&t, "c")), vec![Some("say \"hi\"".into()), None]);
    // quoted numbers are numbers (pandas does the same)
    let t = read("a\n\"1\"\n\"2\"\n");
    assert_eq!(data(&t, "a"), &ColumnData::Int(vec![Some(1), Some(2)]));
}

/// A quote found only after many rows, in a field whose embedded newline and delimiters
/// would make a chunk starting inside it look ragged (too many fields) before the quote. With
/// 20,000 rows the quote lies past the first 64 KiB block that the quote search reads.
#[test]
fn late_quotes_with_embedded_delimiters() {
    for rows in [500, 20_000] {
        let mut content = String::from("a,b\n");
        for i in 0..rows {
            content.push_str(&format!("{i}.5,{i}\n"));
        }
        content.push_str("\"x\n,,,,,,,,\",7\n1.5,8\n");
        let t = read(&content);
        assert_eq!(t.rows(), rows + 2);
        let a = labels(data(&t, "a"));
        assert_eq!(a[rows], Some("x\n,,,,,,,,".into()));
        assert_eq!(a[0], Some("0.5".into()));
        for chunk in [3, 64, 1000, 100_000] {
            let dir = tempfile::tempdir().unwrap();
            let p = write(&dir, "late.csv", content.as_bytes());
            let c = read_csv_with(&p, &ReadOptions::default(), Some(chunk), false).unwrap();
            assert!(same(&t, &c), "rows {rows} chunk size {chunk}");
        }
    }
}

#[test]
fn bom_crlf_and_missing_final_newline() {
    let t = read("\u{feff}a,b\r\n1,x\r\n2,y");
    assert_eq!(t.column_names().collect::<Vec<_>>(), vec!["a", "b"]);
    assert_eq!(data(&t, "a"), &ColumnData::Int(vec![Some(1), Some(2)]));
    assert_eq!(
        labels(data(&t, "b")),
        vec![Some("x".into()), Some("y".into())]
    );
}

#[test]
fn header_only_is_an_empty_table() {
    let t = read("a,b\n");
    assert_eq!(t.rows(), 0);
    assert_eq!(t.columns().len(), 2);
}

#[test]
fn empty_header_name_is_unnamed() {
    let t = read("a,\n1,2\n");
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["a", "Unnamed: 1"]
    );
}

#[test]
fn tsv_and_explicit_delimiter() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "t.tsv", b"a\tb\n1\tx,y\n");
    let t = read_table(&p, &ReadOptions::default()).unwrap();
    assert_eq!(labels(data(&t, "b")), vec![Some("x,y".into())]);
    let p = write(&dir, "t.txt", b"a;b\n1;2\n");
    let opts = ReadOptions {
        format: Some(Format::Csv),
        delimiter: Some(b';'),
    };
    let t = read_table(&p, &opts).unwrap();
    assert_eq!(data(&t, "b"), &ColumnData::Int(vec![Some(2)]));
}

#[test]
fn format_from_path_and_name() {
    use std::path::Path;
    assert_eq!(Format::from_path(Path::new("a/b.CSV")), Some(Format::Csv));
    assert_eq!(Format::from_path(Path::new("b.tsv")), Some(Format::Csv));
    assert_eq!(Format::from_path(Path::new("b.pq")), Some(Format::Parquet));
    assert_eq!(
        Format::from_path(Path::new("b.parquet")),
        Some(Format::Parquet)
    );
    assert_eq!(
        Format::from_path(Path::new("b.ndjson")),
        Some(Format::JsonLines)
    );
    assert_eq!(
        Format::from_path(Path::new("b.jsonl")),
        Some(Format::JsonLines)
    );
    assert_eq!(Format::from_path(Path::new("b.txt")), None);
    assert_eq!(Format::from_path(Path::new("b")), None);
    assert_eq!(Format::from_name("jsonlines"), Some(Format::JsonLines));
    assert_eq!(Format::from_name("ndjson"), Some(Format::JsonLines));
    assert_eq!(Format::from_name("parquet"), Some(Format::Parquet));
    assert_eq!(Format::from_name("xls"), None);
}

/// Deterministic pseudo-random file with every column kind, read in many small chunks and
/// sequentially: all paths must agree.
#[test]
fn parallel_and_sequential_paths_agree() {
    let mut s = String::from("f,i,s,b,d,late_text,gappy\n");
    let mut x: u64 = 42;
    for r in 0..5000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let f = (x % 100_000) as f64 / 7.0;
        let i = (x % 1000) as i64 - 500;
        let cat = ["red", "green", "blue", ""][(x % 4) as usize];
        let b = if x % 3 == 0 { "True" } else { "False" };
        let day = 1 + (x % 28);
        let late = if r == 4321 {
            "oops".to_string()
        } else {
            format!("{}", x % 10)
        };
        let gappy = if x % 5 == 0 {
            "NA".to_string()
        } else {
            format!("{}.25", x % 50)
        };
        s.push_str(&format!(
            "{f},{i},{cat},{b},2024-03-{day:02} 08:00:00,{late},{gappy}\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "big.csv", s.as_bytes());
    let o = ReadOptions::default();
    let base = read_table(&p, &o).unwrap();
    assert_eq!(base.rows(), 5000);
    assert!(matches!(data(&base, "f"), ColumnData::Float(_)));
    assert!(matches!(data(&base, "i"), ColumnData::Int(_)));
    assert!(matches!(data(&base, "s"), ColumnData::Str(_)));
    assert!(matches!(data(&base, "b"), ColumnData::Bool(_)));
    assert!(matches!(data(&base, "d"), ColumnData::Datetime(_)));
    assert!(matches!(data(&base, "late_text"), ColumnData::Str(_)));
    assert!(matches!(data(&base, "gappy"), ColumnData::Float(_)));
    for chunk in [1, 7, 100, 1000, 4096, 65_536] {
        let t = read_csv_with(&p, &o, Some(chunk), false).unwrap();
        assert!(same(&t, &base), "chunk size {chunk}");
    }
    assert!(same(&read_csv_with(&p, &o, None, true).unwrap(), &base));
}

#[test]
fn write_then_read_round_trip() {
    let t = read(
        "f,i,s,b,d\n1.5,1,\"a,b\",True,2024-01-05T10:00:00.25Z\nNA,,\"q\"\"\",,\n-inf,3,x,False,2024-01-05\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.csv");
    write_csv(&t, &p).unwrap();
    let back = read_table(&p, &ReadOptions::default()).unwrap();
    assert!(same(&back, &t), "{back:?} vs {t:?}");
    // no temporary file left behind
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn whitespace_only_lines_are_skipped() {
    let t = read("a,b\n1,x\n  \n\t\n2,y\r\n\r\n");
    assert_eq!(data(&t, "a"), &ColumnData::Int(vec![Some(1), Some(2)]));
    // but a whitespace-only field is a string (pandas keeps "  ")
    let t = read("a,b\n1,  \n2,3\n");
    assert_eq!(
        labels(data(&t, "b")),
        vec![Some("  ".into()), Some("3".into())]
    );
}

/// Missing counts per column, in column order.
fn missing(t: &Table) -> Vec<usize> {
    t.columns().iter().map(|c| c.data.missing_count()).collect()
}

/// A quoted empty field (`""`, how pandas' `to_csv` writes a missing value in a one-column
/// file) is a row with that value missing, never a blank line. The expected figures are what
/// pandas 2.3 gives on the same bytes: `pandas.read_csv(io.BytesIO(content))`, then `.shape`
/// and `.isna().sum()`.
#[test]
fn quoted_empty_field_is_a_missing_value() {
    // 10 values and 10 gaps: pandas (20, 1), 10 missing
    let mut content = String::from("x\n");
    for i in 0..10 {
        content.push_str(&format!("{i}\n\"\"\n"));
    }
    let t = read(&content);
    assert_eq!((t.rows(), missing(&t)), (20, vec![10]));
    let values: Vec<Option<i64>> = (0..20)
        .map(|r| (r % 2 == 0).then_some(r as i64 / 2))
        .collect();
    assert_eq!(data(&t, "x"), &ColumnData::Int(values));

    // every value missing: pandas (7, 1), 7 missing, float64
    let t = read(&format!("x\n{}", "\"\"\n".repeat(7)));
    assert_eq!((t.rows(), missing(&t)), (7, vec![7]));
    assert!(matches!(data(&t, "x"), ColumnData::Float(v) if v.len() == 7));

    // a text column: pandas (4, 1), 2 missing
    let t = read("s\nabc\n\"\"\nd\n\"\"\n");
    assert_eq!(
        labels(data(&t, "s")),
        vec![Some("abc".into()), None, Some("d".into()), None]
    );

    // CRLF line ends and no final newline: pandas (3, 1), 2 missing
    let t = read("x\r\n1\r\n\"\"\r\n\"\"");
    assert_eq!((t.rows(), missing(&t)), (3, vec![2]));

    // a quoted space is a value, not a blank line: pandas (2, 1), 1 missing, [' ', nan]
    let t = read("x\n\" \"\n\"\"\n");
    assert_eq!(labels(data(&t, "x")), vec![Some(" ".into()), None]);

    // `""` as the header line is an unnamed column: pandas columns ['Unnamed: 0'], (2, 1), 1
    // missing
    let t = read("\"\"\n1\n\"\"\n");
    assert_eq!(t.column_names().collect::<Vec<_>>(), vec!["Unnamed: 0"]);
    assert_eq!((t.rows(), missing(&t)), (2, vec![1]));
}

/// Only lines that are empty or hold nothing but spaces and tabs are skipped, as pandas'
/// `skip_blank_lines=True` does, in files with quotes as in files without.
#[test]
fn only_truly_blank_lines_are_skipped() {
    // pandas.read_csv(io.BytesIO(b'x\n""\n\n   \n1\n \t\n""\n\r\n2\n')): (4, 1), 2 missing
    let t = read("x\n\"\"\n\n   \n1\n \t\n\"\"\n\r\n2\n");
    assert_eq!((t.rows(), missing(&t)), (4, vec![2]));
    assert_eq!(
        data(&t, "x"),
        &ColumnData::Int(vec![None, Some(1), None, Some(2)])
    );
    // pandas.read_csv(io.BytesIO(b'a,b\n"",\n1,2\n,""\n"",""\n')): (4, 2), 3 missing in each
    let t = read("a,b\n\"\",\n1,2\n,\"\"\n\"\",\"\"\n");
    assert_eq!((t.rows(), missing(&t)), (4, vec![3, 3]));
    // the same file with a whitespace-only line: pandas skips it, (4, 2)
    let t = read("a,b\n\"\",\n1,2\n  \n,\"\"\n\"\",\"\"\n");
    assert_eq!((t.rows(), missing(&t)), (4, vec![3, 3]));
}

/// A lone `""` in a file of two columns is a row with one field. pandas pads such a row with
/// missing values; here a short row is an error, as it is without quotes, rather than a row
/// dropped without a word.
#[test]
fn quoted_empty_field_in_a_wider_file_is_a_short_row() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "t.csv", b"a,b\n1,2\n\"\"\n3,4\n");
    for sequential in [false, true] {
        let e = read_csv_with(&p, &ReadOptions::default(), None, sequential).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("line 3 has 1 fields, the header has 2"),
            "{e}"
        );
    }
}
