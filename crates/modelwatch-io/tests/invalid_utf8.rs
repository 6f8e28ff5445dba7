//! Text that is not UTF-8 in a CSV data field: the file reads, each bad cell is decoded with
//! U+FFFD for each invalid byte sequence, its column turns to text if it was numeric, and the
//! table records the column's read problem (count of bad cells, line of the first). Every
//! file is read on the three paths (parallel, sequential, tiny chunks), which must agree.

use std::path::PathBuf;

use modelwatch_core::table::{ColumnData, ColumnReadProblem, Table};
use modelwatch_io::tuning::read_csv_with;
use modelwatch_io::{read_table, ReadOptions};

fn write(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// Reads `content` on all three paths and checks they give the same table and problems.
fn read(content: &[u8]) -> Table {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "u.csv", content);
    let t = read_table(&p, &ReadOptions::default()).unwrap();
    let seq = read_csv_with(&p, &ReadOptions::default(), None, true).unwrap();
    assert_eq!(format!("{t:?}"), format!("{seq:?}"), "sequential differs");
    let tiny = read_csv_with(&p, &ReadOptions::default(), Some(3), false).unwrap();
    assert_eq!(format!("{t:?}"), format!("{tiny:?}"), "chunked differs");
    t
}

fn labels(t: &Table, name: &str) -> Vec<Option<String>> {
    match &t.column(name).unwrap().data {
        ColumnData::Str(s) => (0..s.len()).map(|i| s.get(i).map(str::to_owned)).collect(),
        other => panic!("{name}: expected strings, got {}", other.physical_name()),
    }
}

fn problem(t: &Table, name: &str) -> (usize, u64) {
    let p = t
        .read_problem(name)
        .unwrap_or_else(|| panic!("no problem in {name}"));
    (p.invalid_utf8_cells, p.first_line)
}

fn some(v: &[&str]) -> Vec<Option<String>> {
    v.iter().map(|s| Some(s.to_string())).collect()
}

#[test]
fn a_latin1_text_column_among_numbers_reads_with_replacement_characters() {
    let t = read(
        b"id,t,x\n1,Hello there.,1.5\n2,caf\xe9 au lait,2.5\n3,ok,3.5\n4,na\xefve \xe0 \xe9,4.5\n",
    );
    assert_eq!(t.rows(), 4);
    assert_eq!(
        labels(&t, "t"),
        some(&[
            "Hello there.",
            "caf\u{FFFD} au lait",
            "ok",
            "na\u{FFFD}ve \u{FFFD} \u{FFFD}"
        ])
    );
    assert_eq!(
        t.column("id").unwrap().data,
        ColumnData::Int(vec![Some(1), Some(2), Some(3), Some(4)])
    );
    assert_eq!(
        t.column("x").unwrap().data,
        ColumnData::Float(vec![1.5, 2.5, 3.5, 4.5])
    );
    assert_eq!(
        t.read_problems(),
        [ColumnReadProblem::invalid_utf8("t", 2, 3)]
    );
    assert_eq!(
        t.read_problems()[0].message,
        "2 values in column `t` are not valid UTF-8 (first at line 3); read with U+FFFD for \
         each bad byte sequence"
    );
}

#[test]
fn each_invalid_sequence_is_one_replacement_character() {
    // A lone continuation byte, a truncated two-byte sequence, an overlong encoding and a
    // byte that never occurs in UTF-8: String::from_utf8_lossy's rule (one U+FFFD per
    // maximal invalid subpart, Unicode's recommended practice). Python's "replace" decoder
    // follows it too: pandas 2.3's read_csv(encoding_errors="replace") reads these four
    // cells as the same strings.
    let t = read(b"a,b\n1,x\n2,\x80\xfe\n3,y\xc3\n4,\xc0\xaf!\n");
    assert_eq!(
        labels(&t, "b"),
        some(&["x", "\u{FFFD}\u{FFFD}", "y\u{FFFD}", "\u{FFFD}\u{FFFD}!"])
    );
    assert_eq!(problem(&t, "b"), (3, 3));
}

#[test]
fn the_first_line_counts_blank_lines_and_a_byte_order_mark_changes_nothing() {
    let t = read(b"\xef\xbb\xbfa,b\n\n1,x\n   \n2,y\n3,w\xff\n4,v\n5,\xff\n");
    assert_eq!(problem(&t, "b"), (2, 6));
    assert_eq!(
        labels(&t, "b"),
        some(&["x", "y", "w\u{FFFD}", "v", "\u{FFFD}"])
    );
}

#[test]
fn a_bad_byte_in_a_quoted_field_with_line_breaks_names_the_line_its_row_starts_on() {
    let t = read(
        b"id,t,x\n1,\"Hello, there.\",1.5\n2,ok,2.5\n3,\"caf\xe9,\n au lait\",3.5\n4,\"two\nlines \xff\",4.5\n",
    );
    assert_eq!(
        labels(&t, "t"),
        some(&[
            "Hello, there.",
            "ok",
            "caf\u{FFFD},\n au lait",
            "two\nlines \u{FFFD}"
        ])
    );
    assert_eq!(problem(&t, "t"), (2, 4));
    assert_eq!(
        t.column("x").unwrap().data,
        ColumnData::Float(vec![1.5, 2.5, 3.5, 4.5])
    );
}

#[test]
fn a_bad_byte_in_a_numeric_column_makes_it_text_as_any_unparsable_number_does() {
    // As "1.5x" would: the column holds text, the numbers kept as written.
    let t = read(b"a,b\n1,2\n1.5\xff,3\n7,4\n");
    assert_eq!(labels(&t, "a"), some(&["1", "1.5\u{FFFD}", "7"]));
    assert_eq!(
        t.column("b").unwrap().data,
        ColumnData::Int(vec![Some(2), Some(3), Some(4)])
    );
    assert_eq!(
        t.read_problems(),
        [ColumnReadProblem::invalid_utf8("a", 1, 3)]
    );
    let unparsable = read(b"a,b\n1,2\n1.5x,3\n7,4\n");
    assert_eq!(labels(&unparsable, "a"), some(&["1", "1.5x", "7"]));
    assert!(unparsable.read_problems().is_empty());
}

#[test]
fn bad_bytes_after_many_numeric_lines_and_in_several_columns() {
    let mut content: Vec<u8> = b"a,b,c\n".to_vec();
    for i in 0..300 {
        content.extend_from_slice(format!("{i},{},t{i}\n", i as f64 * 0.5).as_bytes());
    }
    content.extend_from_slice(b"7,ab\xffc,\xe9\n8,1,x\n9,\xfe,y\xe8\n");
    let t = read(&content);
    assert_eq!(t.rows(), 303);
    // the numeric column b turns to text at line 302; its earlier numbers keep their text
    let b = labels(&t, "b");
    assert_eq!(b[1], Some("0.5".into()));
    assert_eq!(b[300..], some(&["ab\u{FFFD}c", "1", "\u{FFFD}"]));
    assert_eq!(
        labels(&t, "c")[300..],
        some(&["\u{FFFD}", "x", "y\u{FFFD}"])
    );
    assert_eq!(
        t.read_problems(),
        [
            ColumnReadProblem::invalid_utf8("b", 2, 302),
            ColumnReadProblem::invalid_utf8("c", 2, 302),
        ]
    );
    assert!(matches!(t.column("a").unwrap().data, ColumnData::Int(_)));
}

#[test]
fn a_valid_file_has_no_read_problems() {
    let t = read("a,b\n1,café\n2,naïve\n".as_bytes());
    assert!(t.read_problems().is_empty());
    assert_eq!(labels(&t, "b"), some(&["café", "naïve"]));
}
