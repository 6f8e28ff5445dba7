//! Every kind of bad input gives one clear line naming the file, never a panic.

use std::path::PathBuf;

use modelwatch_io::tuning::read_csv_with;
use modelwatch_io::{read_table, ReadError, ReadOptions};

fn write(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// Reads `content` as `name` and returns the error message (checked to be one line that
/// starts with the path). For CSV, the forced-sequential and tiny-chunk paths must agree.
fn error(name: &str, content: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, name, content);
    let e = read_table(&p, &ReadOptions::default()).expect_err("should fail");
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "multi-line message: {msg}");
    assert!(
        msg.starts_with(&p.display().to_string()),
        "message does not name the file: {msg}"
    );
    if name.ends_with(".csv") {
        let seq = read_csv_with(&p, &ReadOptions::default(), None, true)
            .expect_err("sequential should fail")
            .to_string();
        assert_eq!(seq, msg, "sequential path differs");
        if !content.contains(&b'"') {
            let tiny = read_csv_with(&p, &ReadOptions::default(), Some(3), false)
                .expect_err("chunked should fail")
                .to_string();
            assert_eq!(tiny, msg, "chunked path differs");
        }
    }
    msg.split_once(": ").unwrap().1.to_owned()
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["nope.csv", "nope.parquet", "nope.jsonl"] {
        let p = dir.path().join(name);
        let e = read_table(&p, &ReadOptions::default()).unwrap_err();
        assert!(matches!(e, ReadError::Io { .. }));
        assert_eq!(
            e.to_string(),
            format!("{}: cannot read: No such file or directory", p.display())
        );
    }
}

#[test]
fn unknown_extension() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "data.xlsx", b"a\n1\n");
    let e = read_table(&p, &ReadOptions::default()).unwrap_err();
    // The library lists what it reads; how to name a format is the caller's to say (the
    // CLI adds `--format`).
    assert_eq!(
        e.to_string(),
        format!(
            "{}: unknown file type (expected .csv, .tsv, .parquet, .pq, .jsonl or .ndjson)",
            p.display()
        )
    );
}

#[test]
fn empty_files() {
    assert_eq!(error("e.csv", b""), "file is empty");
    assert_eq!(error("e.csv", b"  \n\r\n\t\n"), "file is empty");
    assert_eq!(error("e.csv", b"\xEF\xBB\xBF"), "file is empty");
    assert_eq!(error("e.jsonl", b"\n\n"), "file is empty");
    assert_eq!(error("e.parquet", b""), "file is empty");
}

#[test]
fn no_header() {
    assert_eq!(
        error("n.csv", b"1.0,2.0\n3,4\n"),
        "no header row (the first line looks like data: \"1.0,2.0\")"
    );
}

#[test]
fn ragged_rows() {
    assert_eq!(
        error("r.csv", b"a,b\n1,2\n3,4,5\n6,7\n"),
        "line 3 has 3 fields, the header has 2"
    );
    assert_eq!(
        error("r.csv", b"a,b\n1,2\n\n3\n"),
        "line 4 has 1 fields, the header has 2"
    );
    assert_eq!(
        error("r.csv", b"a,b\n\"1\",2\n3,\"4\",5\n"),
        "line 3 has 3 fields, the header has 2"
    );
    // a ragged line before a bad byte in a text column is reported first
    assert_eq!(
        error("r.csv", b"a,b\n1,x\n2,y\n3\n4,\xff\n"),
        "line 4 has 1 fields, the header has 2"
    );
    // the first error in the file is reported, whatever the chunking
    let mut s = String::from("a,b,c,d,e\n");
    for _ in 0..15 {
        s.push_str("1,2,3,4,5\n");
    }
    s.push_str("1,2,3,4,5,6\n1,2\n");
    assert_eq!(
        error("r.csv", s.as_bytes()),
        "line 17 has 6 fields, the header has 5"
    );
}

#[test]
fn invalid_utf8() {
    // Bad bytes in the header fail the file, plain or quoted; bad bytes in a data field do
    // not (tests/invalid_utf8.rs), except on a line with the wrong number of fields, which is
    // that error.
    assert_eq!(
        error("u.csv", b"a,\xc3\n1,2\n"),
        "not valid UTF-8 at line 1"
    );
    assert_eq!(
        error("u.csv", b"\n\"a\xff\",b\n1,2\n"),
        "not valid UTF-8 at line 2"
    );
    assert_eq!(
        error("u.csv", b"a,b\n1,2,\xff\n"),
        "line 2 has 3 fields, the header has 2"
    );
    assert_eq!(
        error("u.csv", b"a,b\n1,2,3\xff,4\n"),
        "line 2 has 4 fields, the header has 2"
    );
    assert_eq!(
        error("u.csv", b"a,b,c\n1,\xff\n"),
        "line 2 has 2 fields, the header has 3"
    );
    // JSON text must be UTF-8 (RFC 8259, section 8.1): the line is the error.
    assert_eq!(
        error("u.jsonl", b"{\"a\":1}\n{\"a\":\"\xff\"}\n"),
        "not valid UTF-8 at line 2"
    );
}

#[test]
fn duplicate_columns() {
    assert_eq!(
        error("d.csv", b"a,b,a\n1,2,3\n"),
        "duplicate column name \"a\""
    );
}

#[test]
fn malformed_parquet() {
    let msg = error("m.parquet", b"this is not parquet at all, just text\n");
    assert!(msg.starts_with("not a valid Parquet file: "), "{msg}");
    // a truncated real file
    let msg = error("m.parquet", b"PAR1\x00\x00\x00\x00PAR1");
    assert!(msg.starts_with("not a valid Parquet file: "), "{msg}");
}

#[test]
fn invalid_json_lines() {
    assert_eq!(
        error("j.jsonl", b"{\"a\":1}\n\n{\"a\":2}\n[1,2]\n"),
        "line 4: expected a JSON object"
    );
    let msg = error("j.jsonl", b"{\"a\":1}\n{\"a\": }\n");
    assert!(msg.starts_with("line 2: invalid JSON"), "{msg}");
    assert_eq!(
        error("j.jsonl", b"{\"a\":1}\n{\"b\":{\"c\":1}}\n"),
        "line 2: key \"b\" holds a nested object, which is not supported"
    );
}

#[test]
fn directory_instead_of_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.csv");
    std::fs::create_dir(&p).unwrap();
    let e = read_table(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot read"), "{e}");
}
