//! Bad input for text descriptors and multivariate drift: text that is not UTF-8 (read with
//! U+FFFD and reported in the column's results; in the header, a whole-file error), a text
//! column without any text, a one-row reference, constant columns, a numerical column without
//! any reference value, a domain classifier with a single class. A whole-file problem is one
//! line and exit code 2; a problem of one column or one method is recorded with its reason in
//! that column's or method's result and the rest of the report runs; nothing panics.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/multivariate")
}

fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

/// `modelwatch report --json - --quiet` with `extra`: exit code, JSON (null when none), stderr.
fn report(reference: &Path, current: &Path, extra: &[&str]) -> (i32, Value, String) {
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .args(["report", "--json", "-", "--quiet", "--reference"])
        .arg(reference)
        .arg("--current")
        .arg(current)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), json, stderr)
}

fn entry<'a>(list: &'a Value, key: &str, name: &str) -> &'a Value {
    list.as_array()
        .unwrap_or_else(|| panic!("no list in {list}"))
        .iter()
        .find(|e| e[key] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

fn method<'a>(results: &'a Value, name: &str) -> &'a Value {
    entry(&results["drift"]["multivariate"], "method", name)
}

fn drift_column<'a>(results: &'a Value, name: &str) -> &'a Value {
    entry(&results["drift"]["columns"], "column", name)
}

/// The method ran: a score, a verdict, no error.
fn ran(results: &Value, name: &str) -> f64 {
    let m = method(results, name);
    assert!(m["error"].is_null(), "{m}");
    assert!(m["drifted"].is_boolean(), "{m}");
    m["score"].as_f64().unwrap_or_else(|| panic!("{m}"))
}

/// The method did not run, and says why.
fn refused(results: &Value, name: &str) -> String {
    let m = method(results, name);
    assert!(m["score"].is_null() && m["drifted"].is_null(), "{m}");
    m["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{m}"))
        .to_string()
}

const DESCRIPTORS: [&str; 6] = [
    "text_length",
    "word_count",
    "sentence_count",
    "non_letter_character_percentage",
    "oov_words_percentage",
    "sentiment",
];

/// A CSV of `rows` rows: `id`, `x` (float), `n` (integer), `segment` (three labels) and, with
/// `ticket`, a text column whose row `i` is `ticket(i)` (raw bytes, Latin-1 where it says so).
fn tickets_csv(rows: usize, shift: f64, ticket: Option<&dyn Fn(usize) -> Vec<u8>>) -> Vec<u8> {
    let mut out: Vec<u8> = b"id,x,n".to_vec();
    if ticket.is_some() {
        out.extend_from_slice(b",ticket");
    }
    out.extend_from_slice(b",segment\n");
    for i in 0..rows {
        let x = ((i * 37) % 23) as f64 * 0.5 + shift;
        let n = (i * 11) % 7;
        out.extend_from_slice(format!("{i},{x},{n}").as_bytes());
        if let Some(t) = ticket {
            out.push(b',');
            out.extend_from_slice(&t(i));
        }
        out.extend_from_slice(format!(",{}\n", ["a", "b", "c"][(i * 5 / 3) % 3]).as_bytes());
    }
    out
}

/// The entries of `list` except the one of column `skip`.
fn without<'a>(list: &'a Value, skip: &str) -> Vec<&'a Value> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["column"] != skip)
        .collect()
}

#[test]
fn a_latin1_text_column_is_read_with_its_reason_and_the_other_columns_are_unchanged() {
    let d = TempDir::new().unwrap();
    // Current: 9 Latin-1 tickets (rows 3, 10, ..., 59; the first on line 5); reference: one
    // (row 20, line 22).
    let cur_ticket = |i: usize| -> Vec<u8> {
        if i % 7 == 3 {
            format!("caf\u{e9} r\u{e9}clamation {i}")
                .chars()
                .map(|c| c as u8) // Latin-1: one byte per character
                .collect()
        } else {
            format!("parcel late {}", i % 5).into_bytes()
        }
    };
    let ref_ticket = |i: usize| -> Vec<u8> {
        if i == 20 {
            b"na\xefve question".to_vec()
        } else {
            format!("parcel late {}", i % 4).into_bytes()
        }
    };
    let reference = write(
        d.path(),
        "ref.csv",
        &tickets_csv(60, 0.0, Some(&ref_ticket)),
    );
    let current = write(
        d.path(),
        "cur.csv",
        &tickets_csv(60, 1.0, Some(&cur_ticket)),
    );
    let plain_ref = write(d.path(), "plain_ref.csv", &tickets_csv(60, 0.0, None));
    let plain_cur = write(d.path(), "plain_cur.csv", &tickets_csv(60, 1.0, None));

    let (code, json, stderr) = report(&reference, &current, &[]);
    assert_eq!(code, 0, "{stderr}");
    let cur_message = "9 values in column `ticket` are not valid UTF-8 (first at line 5); read \
                       with U+FFFD for each bad byte sequence";
    let ref_message = "1 value in column `ticket` is not valid UTF-8 (line 22); read with \
                       U+FFFD for each bad byte sequence";
    // A warning as the files are read, one per file.
    assert!(
        stderr.contains(&format!("warning: {}: {cur_message}", current.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("warning: {}: {ref_message}", reference.display())),
        "{stderr}"
    );
    // The column's results carry the problem of each side, count and first line.
    for part in [
        drift_column(&json, "ticket"),
        entry(&json["summary"]["columns"], "column", "ticket"),
    ] {
        let cur = &part["current_read_problem"];
        assert_eq!(cur["column"], "ticket");
        assert_eq!(cur["invalid_utf8_cells"], 9);
        assert_eq!(cur["first_line"], 5);
        assert_eq!(cur["message"], cur_message);
        let refp = &part["reference_read_problem"];
        assert_eq!(refp["invalid_utf8_cells"], 1);
        assert_eq!(refp["first_line"], 22);
        assert_eq!(refp["message"], ref_message);
    }
    // The column holds the values as read: U+FFFD where the bad bytes were (current: 60 rows,
    // 5 plain tickets and 9 distinct Latin-1 ones).
    let summary = entry(&json["summary"]["columns"], "column", "ticket");
    assert_eq!(summary["current"]["missing"], 0);
    assert_eq!(summary["current"]["distinct"], 14);
    assert_eq!(summary["reference"]["distinct"], 5);
    // Every other column's result is the result on the same files without the column.
    let (code, plain, stderr) = report(&plain_ref, &plain_cur, &[]);
    assert_eq!(code, 0, "{stderr}");
    for part in [&json["drift"]["columns"], &json["summary"]["columns"]] {
        let key = if part == &json["drift"]["columns"] {
            "drift"
        } else {
            "summary"
        };
        let others = without(part, "ticket");
        assert_eq!(others.len(), 4);
        assert_eq!(others, without(&plain[key]["columns"], "ticket"), "{key}");
    }
    for c in ["id", "x", "n", "segment"] {
        let col = drift_column(&json, c);
        assert!(col.get("current_read_problem").is_none(), "{col}");
        assert!(col.get("reference_read_problem").is_none(), "{col}");
    }
    assert!(drift_column(&json, "x")["score"].is_number());

    // The terminal report and the HTML page say it too.
    let html = d.path().join("r.html");
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .args(["report", "--reference"])
        .arg(&reference)
        .arg("--current")
        .arg(&current)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let terminal = String::from_utf8_lossy(&out.stdout);
    for side in ["reference", "current"] {
        let message = if side == "current" {
            cur_message
        } else {
            ref_message
        };
        // once under the summary, once under the drift table
        assert_eq!(
            terminal
                .matches(&format!("warning: {side} data: {message}"))
                .count(),
            2,
            "{terminal}"
        );
    }
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains(&format!("Current data: {cur_message}")));
    assert!(page.contains(&format!("current data: {cur_message}")));
    assert!(page.contains(&format!("Reference data: {ref_message}")));
}

#[test]
fn latin1_in_a_quoted_field_with_line_breaks_is_read_and_described() {
    let d = TempDir::new().unwrap();
    let good = write(
        d.path(),
        "good.csv",
        b"id,t,x\n1,Hello there.,1.5\n2,fine,2.5\n3,ok,3.5\n",
    );
    let quoted = write(
        d.path(),
        "quoted.csv",
        b"id,t,x\n1,\"Hello, there.\",1.5\n2,ok,2.5\n3,\"caf\xe9,\n au lait\",3.5\n",
    );
    let (code, json, stderr) = report(&good, &quoted, &["--text-descriptors", "t"]);
    assert_eq!(code, 0, "{stderr}");
    let problem = &drift_column(&json, "t")["current_read_problem"];
    assert_eq!(problem["invalid_utf8_cells"], 1);
    assert_eq!(problem["first_line"], 4);
    // The descriptors describe the text as read: "caf\u{FFFD},\n au lait" has 14 characters.
    let length = entry(&json["summary"]["columns"], "column", "t.text_length");
    assert_eq!(length["current"]["numeric"]["max"], 14.0);
    assert!(length.get("current_read_problem").is_none());
}

#[test]
fn a_bad_byte_in_a_numerical_column_leaves_it_untested_as_text_with_both_reasons() {
    let d = TempDir::new().unwrap();
    let reference = write(d.path(), "r.csv", b"x,y\n1.5,1\n2.5,2\n3.5,3\n4.5,4\n");
    // "2.5\xe9" is no number, as "2.5x" would not be: the current column holds text.
    let current = write(d.path(), "c.csv", b"x,y\n1.5,1\n2.5\xe9,2\n3.5,3\n4.5,5\n");
    let (code, json, stderr) = report(&reference, &current, &[]);
    assert_eq!(code, 0, "{stderr}");
    let x = drift_column(&json, "x");
    assert!(x["score"].is_null(), "{x}");
    // The current side is typed text (Evidently's rule for a column of distinct strings), so
    // the float reference cannot be compared with it: exactly as with "2.5x".
    assert_eq!(
        x["error"],
        "the reference holds float values, which cannot be tested as text"
    );
    assert_eq!(x["current_read_problem"]["invalid_utf8_cells"], 1);
    assert_eq!(x["current_read_problem"]["first_line"], 3);
    assert_eq!(
        entry(&json["drift"]["untested_columns"], "column", "x")["reason"],
        "reference values are float"
    );
    let unparsable = write(d.path(), "u.csv", b"x,y\n1.5,1\n2.5x,2\n3.5,3\n4.5,5\n");
    let (code, plain, stderr) = report(&reference, &unparsable, &[]);
    assert_eq!(code, 0, "{stderr}");
    let px = drift_column(&plain, "x");
    assert_eq!((&px["error"], &px["type"]), (&x["error"], &x["type"]));
    assert!(px.get("current_read_problem").is_none());
    assert!(drift_column(&json, "y")["score"].is_number());
}

#[test]
fn text_that_is_not_utf8_in_the_header_is_one_line_naming_the_file_and_the_line() {
    let d = TempDir::new().unwrap();
    let good = write(
        d.path(),
        "good.csv",
        b"id,t,x\n1,Hello there.,1.5\n2,fine,2.5\n",
    );
    let plain = write(
        d.path(),
        "latin1.csv",
        b"id,caf\xe9,x\n1,Hello there.,1.5\n",
    );
    let quoted = write(d.path(), "quoted.csv", b"\nid,\"t\xe9\",x\n1,\"a\",1.5\n");
    for (reference, current, expected) in [
        (&good, &plain, "latin1.csv: not valid UTF-8 at line 1"),
        (&quoted, &good, "quoted.csv: not valid UTF-8 at line 2"),
    ] {
        let (code, json, stderr) = report(reference, current, &[]);
        assert_eq!(code, 2, "{stderr}");
        assert!(json.is_null());
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
}

#[test]
fn a_text_column_without_any_text_is_described_as_zeros_and_the_rest_runs() {
    let d = TempDir::new().unwrap();
    let reference = write(d.path(), "r.csv", b"t,x\n,1.5\n,2.5\n,3.5\n,4.5\n");
    let current = write(d.path(), "c.csv", b"t,x\n,1.5\n,2.7\n,3.9\n");
    let (code, json, stderr) = report(&reference, &current, &["--text-descriptors", "t"]);
    assert_eq!(code, 0, "{stderr}");
    // The text column itself: all missing, counted, not tested, with the reason.
    assert_eq!(
        entry(&json["summary"]["columns"], "column", "t")["reference"]["missing"],
        4
    );
    assert_eq!(
        entry(&json["summary"]["columns"], "column", "t")["current"]["missing"],
        3
    );
    assert_eq!(
        entry(&json["drift"]["untested_columns"], "column", "t")["reason"],
        "reference values are all missing"
    );
    // Its descriptors: 0 on every row (Evidently's value for a missing text), tested.
    for d in DESCRIPTORS {
        let name = format!("t.{d}");
        let summary = entry(&json["summary"]["columns"], "column", &name);
        for side in ["reference", "current"] {
            assert_eq!(summary[side]["missing"], 0, "{name}");
            assert_eq!(summary[side]["numeric"]["min"], 0.0, "{name}");
            assert_eq!(summary[side]["numeric"]["max"], 0.0, "{name}");
        }
        let drift = drift_column(&json, &name);
        assert!(drift["error"].is_null(), "{drift}");
        assert_eq!(drift["drifted"], false, "{drift}");
    }
    assert!(drift_column(&json, "x")["score"].is_number());
}

#[test]
fn a_one_row_reference_gives_each_method_its_reason() {
    let d = TempDir::new().unwrap();
    let reference = write(d.path(), "one.csv", b"x1,x2,x3,segment\n0.5,-0.25,4.0,a\n");
    let (code, json, stderr) = report(
        &reference,
        &example().join("current.csv"),
        &["--multivariate", "all"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        refused(&json, "reconstruction"),
        "reconstruction error needs at least 10 reference rows, got 1"
    );
    assert_eq!(
        refused(&json, "domain_classifier"),
        "domain classifier needs at least 5 reference rows, got 1"
    );
    assert_eq!(
        refused(&json, "mmd"),
        "MMD needs at least 2 reference rows, got 1"
    );
    for c in ["x1", "x2", "x3", "segment"] {
        assert!(drift_column(&json, c)["score"].is_number(), "{c}");
    }
}

#[test]
fn constant_columns_stop_pca_only() {
    let d = TempDir::new().unwrap();
    let rows: String = (0..50).map(|_| "1,2,3,a\n").collect();
    let constant = write(
        d.path(),
        "constant.csv",
        format!("x1,x2,x3,segment\n{rows}").as_bytes(),
    );
    let (code, json, stderr) = report(
        &constant,
        &example().join("current.csv"),
        &["--multivariate", "all"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        refused(&json, "reconstruction"),
        "every column is constant in the reference: PCA has no variance to explain"
    );
    // The other two see the varied current data against the constant reference.
    assert_eq!(ran(&json, "domain_classifier"), 1.0);
    assert_eq!(ran(&json, "mmd"), 0.0);

    // Constant and equal on both sides: nothing to tell apart, no MMD bandwidth.
    let (code, json, stderr) = report(
        &constant,
        &constant,
        &["--multivariate", "all", "--numerical", "x1,x2,x3"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(refused(&json, "reconstruction").contains("every column is constant"));
    assert_eq!(ran(&json, "domain_classifier"), 0.5);
    assert_eq!(
        refused(&json, "mmd"),
        "the median distance is zero, so the MMD kernel has no bandwidth"
    );
    assert_eq!(drift_column(&json, "x1")["drifted"], false);
}

#[test]
fn a_numerical_column_without_reference_values_is_named() {
    let d = TempDir::new().unwrap();
    let with_column = |from: &str, to: &str, value: &dyn Fn(usize) -> String| {
        let text = std::fs::read_to_string(example().join(from)).unwrap();
        let mut out = String::new();
        for (i, line) in text.lines().enumerate() {
            let cell = if i == 0 { "gone".into() } else { value(i) };
            out.push_str(&format!("{line},{cell}\n"));
        }
        write(d.path(), to, out.as_bytes())
    };
    let reference = with_column("reference.csv", "r.csv", &|_| String::new());
    let current = with_column("current.csv", "c.csv", &|i| format!("{}.5", i % 7));
    let (code, json, stderr) = report(
        &reference,
        &current,
        &["--multivariate", "all", "--numerical", "gone"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        refused(&json, "reconstruction"),
        "column `gone` has no value in the reference, so its missing values cannot be \
         imputed; leave it out"
    );
    assert_eq!(
        refused(&json, "mmd"),
        "MMD uses the rows without a missing numerical value, and column `gone` has no \
         value in the reference"
    );
    // The classifier reads missing values as such: the column alone tells the sides apart.
    assert_eq!(ran(&json, "domain_classifier"), 1.0);
    assert_eq!(
        drift_column(&json, "gone")["error"],
        "the reference has no non-missing values"
    );
    // Left out, the other columns give every method its result.
    let (code, json, stderr) = report(
        &reference,
        &current,
        &["--multivariate", "all", "--ignore", "gone"],
    );
    assert_eq!(code, 0, "{stderr}");
    for m in ["reconstruction", "domain_classifier", "mmd"] {
        ran(&json, m);
    }
}

#[test]
fn a_classifier_with_a_single_class_is_an_error_and_the_suite_runs() {
    // `test` accepts a current file without rows: the classifier would see only the
    // reference's class.
    let d = TempDir::new().unwrap();
    let empty = write(d.path(), "empty.csv", b"x1,x2,x3,segment\n");
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .args(["test", "--test-preset", "data_drift", "--reference"])
        .arg(example().join("reference.csv"))
        .arg("--current")
        .arg(&empty)
        .args(["--multivariate", "domain_classifier"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains("No multivariate drift by `domain_classifier`"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("ERROR"), "{line}");
    // The reason is on the test's error line (standard output, with the table).
    assert!(
        stdout.contains(
            "No multivariate drift by `domain_classifier`: multivariate.drifted is undefined: \
             the domain classifier cannot be trained: there are no current rows, so only one \
             class"
        ),
        "{stdout}"
    );
    // The per-column tests of the suite ran too (and fail: no current values to test).
    assert!(stdout.contains("Column `x1` is drift-tested"), "{stdout}");
}
