//! Text drift in `modelwatch report`: a text column gets Evidently's default text drift method,
//! `--column-method COL=abs_text_content_drift` picks the other one, the JSON and the terminal
//! name the words that tell current from reference, and a text column that cannot be tested
//! (all missing, a one-row reference, only stop words, a split without one side) is an error
//! of its column while the rest of the report runs.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

const WORDS: [&str; 12] = [
    "refund", "parcel", "late", "driver", "invoice", "card", "broken", "screen", "login",
    "password", "courier", "address",
];

/// `rows` tickets of four pseudo-random words; every third one gets `extra`.
fn tickets(rows: usize, salt: usize, extra: &str) -> Vec<String> {
    (0..rows)
        .map(|i| {
            let k = i * 31 + salt;
            let mut t = format!(
                "{} {} {} {}",
                WORDS[k % 12],
                WORDS[(k / 12 + 5) % 12],
                WORDS[(k * k / 7) % 12],
                WORDS[(k / 3) % 12]
            );
            if i % 3 == 0 && !extra.is_empty() {
                t = format!("{t} {extra}");
            }
            t
        })
        .collect()
}

/// A CSV with the text column `ticket`, a text column `note` (`notes[i]`, empty = missing)
/// and a numerical column `n`.
fn write_csv(dir: &Path, name: &str, texts: &[String], notes: &[&str]) -> PathBuf {
    let mut csv = String::from("ticket,note,n\n");
    for (i, t) in texts.iter().enumerate() {
        csv.push_str(&format!("{t},{},{}\n", notes[i % notes.len()], i % 17));
    }
    let p = dir.join(name);
    std::fs::write(&p, csv).unwrap();
    p
}

/// Runs `modelwatch report` with `--text ticket,note` (and the terminal summary unless
/// `--quiet` is among `flags`); exit code, stdout, stderr.
fn report(reference: &Path, current: &Path, flags: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .arg("report")
        .arg("--reference")
        .arg(reference)
        .arg("--current")
        .arg(current)
        .args(["--text", "ticket,note"])
        .args(flags)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn report_json(reference: &Path, current: &Path, flags: &[&str]) -> Value {
    let mut all = vec!["--json", "-", "--quiet"];
    all.extend_from_slice(flags);
    let (code, stdout, stderr) = report(reference, current, &all);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn column<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["drift"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

const NOTES: [&str; 3] = ["call back tomorrow", "customer angry", "vip"];

#[test]
fn a_new_word_is_drift_named_in_the_json_and_the_terminal() {
    let d = TempDir::new().unwrap();
    let r = write_csv(d.path(), "r.csv", &tickets(300, 0, ""), &NOTES);
    let c = write_csv(d.path(), "c.csv", &tickets(300, 7, "zapwallet"), &NOTES);
    let json = report_json(&r, &c, &[]);
    let ticket = column(&json, "ticket");
    assert_eq!(ticket["type"], "text");
    assert_eq!(ticket["method"], "perc_text_content_drift");
    assert_eq!(ticket["threshold"], 0.95);
    assert_eq!(ticket["drifted"], true, "{ticket}");
    let t = &ticket["text_drift"];
    assert_eq!(t["current_words"][0]["word"], "zapwallet");
    assert!(t["current_words"][0]["weight"].as_f64().unwrap() > 0.0);
    assert!(t["current_examples"][0]
        .as_str()
        .unwrap()
        .contains("zapwallet"));
    assert_eq!(t["train_rows"], 300);
    // The same notes on both sides: no drift.
    assert_eq!(column(&json, "note")["drifted"], false);
    assert!(column(&json, "n")["score"].is_number());

    let (code, stdout, stderr) = report(&r, &c, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("text column `ticket`: classifier AUC ")
            && stdout.contains("current words: zapwallet +"),
        "{stdout}"
    );

    let json = report_json(
        &r,
        &c,
        &["--column-method", "ticket=abs_text_content_drift"],
    );
    let ticket = column(&json, "ticket");
    assert_eq!(ticket["method"], "abs_text_content_drift");
    assert_eq!(ticket["threshold"], 0.55);
    assert_eq!(ticket["text_drift"]["compared_with"], 0.55);
    assert_eq!(ticket["drifted"], true);

    // Other methods keep the column untested, with the reason.
    let json = report_json(&r, &c, &["--column-method", "ticket=psi"]);
    let ticket = column(&json, "ticket");
    assert!(ticket["score"].is_null());
    assert!(ticket["error"]
        .as_str()
        .unwrap()
        .starts_with("method `psi` does not apply to text columns"));
    assert!(ticket.get("text_drift").is_none());
}

#[test]
fn text_columns_that_cannot_be_tested_are_errors_of_their_column() {
    let d = TempDir::new().unwrap();
    // `note`: all missing in the reference; only stop words in the current data.
    let r = write_csv(d.path(), "r.csv", &tickets(60, 0, ""), &[""]);
    let c = write_csv(
        d.path(),
        "c.csv",
        &tickets(60, 3, ""),
        &["the", "and of it"],
    );
    let json = report_json(&r, &c, &[]);
    let note = column(&json, "note");
    assert_eq!(
        note["error"], "the reference has no non-missing values",
        "{note}"
    );
    assert_eq!(json["drift"]["untested_columns"][0]["column"], "note");
    assert!(column(&json, "ticket")["score"].is_number());
    assert!(column(&json, "n")["score"].is_number());

    // Only stop words on both sides: an empty vocabulary.
    let r = write_csv(d.path(), "r2.csv", &tickets(60, 0, ""), &["the", "of it"]);
    let json = report_json(&r, &c, &[]);
    assert!(column(&json, "note")["error"]
        .as_str()
        .unwrap()
        .starts_with("empty vocabulary"));

    // A one-row reference.
    let one = write_csv(d.path(), "one.csv", &tickets(1, 0, ""), &NOTES);
    let json = report_json(&one, &c, &[]);
    assert_eq!(
        column(&json, "ticket")["error"],
        "text drift needs at least 2 non-missing texts on each side; the reference has 1"
    );

    // Two reference rows and six current rows: numpy's permutation puts both reference
    // rows in the test half, so the classifier has a single class to learn from.
    let two = write_csv(d.path(), "two.csv", &tickets(2, 0, ""), &NOTES);
    let six = write_csv(d.path(), "six.csv", &tickets(6, 5, ""), &NOTES);
    let json = report_json(&two, &six, &[]);
    assert_eq!(
        column(&json, "ticket")["error"],
        "the training half of the split holds no reference text, so the classifier cannot \
         be trained; more rows are needed"
    );
}
