//! Text descriptors in `modelwatch report` / `test`: `--text-descriptors COLS` and
//! `[[text_descriptors]]` in `--config` append `<column>.<descriptor>` columns to both
//! datasets, which the presets test like any column. The datasets
//! (tests/fixtures/text/report_*.csv, from scripts/gen_text_report_fixture.py) hold texts of
//! the text parity fixture, so the descriptor columns are compared with Evidently's values
//! for the same texts (tests/fixtures/text/evidently.json).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/text");

/// Evidently's usual descriptors: its kind and the descriptor column's suffix.
const USUAL: [(&str, &str); 6] = [
    ("TextLength", "text_length"),
    ("WordCount", "word_count"),
    ("SentenceCount", "sentence_count"),
    (
        "NonLetterCharacterPercentage",
        "non_letter_character_percentage",
    ),
    ("OOVWordsPercentage", "oov_words_percentage"),
    ("Sentiment", "sentiment"),
];

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

/// Runs `modelwatch COMMAND` on the two text datasets with `flags` (the `row` column, an
/// index into the parity fixture, ignored); the exit code, standard output and error.
fn run(command: &str, flags: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .arg(command)
        .arg("--reference")
        .arg(fixture("report_reference.csv"))
        .arg("--current")
        .arg(fixture("report_current.csv"))
        .args(["--ignore", "row"])
        .args(flags)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The report's JSON with `flags`, without its meta (the time it was made).
fn report_json(flags: &[&str]) -> Value {
    let mut all = vec!["--json", "-", "--quiet"];
    all.extend_from_slice(flags);
    let (code, stdout, stderr) = run("report", &all);
    assert_eq!(code, Some(0), "{stderr}");
    let mut json: Value = serde_json::from_str(&stdout).unwrap();
    json.as_object_mut().unwrap().remove("meta");
    json
}

fn column<'a>(section: &'a Value, name: &str) -> &'a Value {
    section["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// Evidently's values of descriptor `kind` for the rows of one dataset, in order: the
/// fixture's values of the rows named in `row`, and 0 for the missing text (as Evidently).
fn evidently_values(dataset: &str, kind: &str) -> Vec<f64> {
    let parity: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("evidently.json")).unwrap()).unwrap();
    let values = parity["descriptors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["setting"]["kind"] == kind && d["setting"].get("alias").is_none())
        .unwrap()["values"]
        .as_array()
        .unwrap()
        .clone();
    let text = std::fs::read_to_string(fixture(dataset)).unwrap();
    row_indices(&text)
        .iter()
        .map(|row| match row.as_str() {
            "" => 0.0,
            index => values[index.parse::<usize>().unwrap()].as_f64().unwrap(),
        })
        .collect()
}

/// The `row` field of each record of a fixture CSV: the writer quotes every text (a
/// quote inside one is doubled), so a record starts on a line outside quotes.
fn row_indices(text: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let mut in_quotes = false;
    for line in text.lines().skip(1) {
        if !in_quotes {
            rows.push(line.split(',').next().unwrap().to_string());
        }
        if line.matches('"').count() % 2 == 1 {
            in_quotes = !in_quotes;
        }
    }
    rows
}

#[test]
fn the_usual_descriptors_have_evidently_values_and_are_drift_tested() {
    let json = report_json(&["--text-descriptors", "review"]);
    let (summary, drift) = (&json["summary"], &json["drift"]);
    for (kind, name) in USUAL {
        let name = format!("review.{name}");
        for (side, dataset) in [
            ("reference", "report_reference.csv"),
            ("current", "report_current.csv"),
        ] {
            let expected = evidently_values(dataset, kind);
            assert_eq!(expected.len(), 41, "{dataset}");
            let stats = &column(summary, &name)[side];
            assert_eq!(stats["rows"], 41, "{name}");
            assert_eq!(stats["missing"], 0, "{name}");
            let numeric = &stats["numeric"];
            let mean = expected.iter().sum::<f64>() / expected.len() as f64;
            let min = expected.iter().copied().fold(f64::INFINITY, f64::min);
            let max = expected.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for (what, want) in [("mean", mean), ("min", min), ("max", max)] {
                let got = numeric[what].as_f64().unwrap();
                assert!(
                    (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                    "{name} {side} {what}: {got} against Evidently's {want}"
                );
            }
        }
        let tested = column(drift, &name);
        assert_eq!(tested["type"], "numerical", "{name}");
        assert!(tested["score"].is_number(), "{name}: {tested}");
    }
    // A few figures of the evidently.json values, so that the fixture's rows are the ones
    // meant: licence texts are longer than fortunes.
    let text_length = column(summary, "review.text_length");
    assert!(
        (text_length["reference"]["numeric"]["mean"]
            .as_f64()
            .unwrap()
            - 144.463)
            .abs()
            < 1e-3
    );
    assert!((text_length["current"]["numeric"]["mean"].as_f64().unwrap() - 49.195).abs() < 1e-3);
    assert_eq!(text_length["current"]["numeric"]["max"], 91.0);
    // Licence texts against fortunes: their lengths drift (KS p ~ 2e-9), their sentence
    // counts (1 to 3, so chi-square, as Evidently for few values) do not.
    let length = column(drift, "review.text_length");
    assert_eq!(length["method"], "ks");
    assert!(length["score"].as_f64().unwrap() < 1e-8);
    assert_eq!(length["drifted"], true);
    let sentences = column(drift, "review.sentence_count");
    assert_eq!(sentences["method"], "chisquare");
    assert_eq!(sentences["drifted"], false);
    // The text column itself is drift-tested too: Evidently's default for 105 reference
    // texts is `perc_text_content_drift`, and licence texts are easy to tell from fortunes.
    let review = column(drift, "review");
    assert_eq!(review["method"], "perc_text_content_drift");
    assert!(review["score"].as_f64().unwrap() > 0.9, "{review}");
    assert_eq!(review["drifted"], true);
    assert_eq!(drift["column_count"], 7);
    assert_eq!(drift["drifted_count"], 5);
    // The text column stays, with its missing text.
    let review = column(summary, "review");
    assert_eq!(review["type"], "text");
    assert_eq!(review["reference"]["missing"], 1);
    assert_eq!(review["current"]["missing"], 1);
}

#[test]
fn descriptors_are_added_only_when_asked() {
    let json = report_json(&[]);
    let names: Vec<&str> = json["summary"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["column"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["review"]);
}

#[test]
fn the_config_and_the_flag_give_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("descriptors.toml");
    let entries: String = USUAL
        .iter()
        .map(|(kind, _)| format!("[[text_descriptors]]\ncolumn = \"review\"\nkind = \"{kind}\"\n"))
        .collect();
    std::fs::write(&config, &entries).unwrap();
    let config = config.to_str().unwrap();
    let from_flag = report_json(&["--text-descriptors", "review"]);
    let from_config = report_json(&["--config", config]);
    assert_eq!(from_flag, from_config);
    // Both at once: the flag's descriptors that the file gives already are not repeated.
    let both = report_json(&["--config", config, "--text-descriptors", "review,review"]);
    assert_eq!(both, from_flag);
}

#[test]
fn match_descriptors_from_the_config_are_categorical() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("descriptors.toml");
    std::fs::write(
        &config,
        "[[text_descriptors]]\ncolumn = \"review\"\nkind = \"Contains\"\n\
         items = [\"License\", \"Work\"]\n\n\
         [[text_descriptors]]\ncolumn = \"review\"\nkind = \"RegExp\"\nreg_exp = \"\\\\d\"\n\
         alias = \"has_digit\"\n",
    )
    .unwrap();
    let json = report_json(&["--config", config.to_str().unwrap()]);
    let contains = column(&json["drift"], "review.contains");
    assert_eq!(contains["type"], "categorical");
    assert!(contains["score"].is_number(), "{contains}");
    let digit = column(&json["summary"], "review.has_digit");
    assert_eq!(digit["type"], "categorical");
    // "License" or "Work" in licence texts, none in fortunes.
    let contains = column(&json["summary"], "review.contains");
    assert_eq!(contains["current"]["distinct"], 1);
    assert_eq!(contains["current"]["most_common"], false);
}

#[test]
fn the_test_command_judges_descriptor_columns() {
    let (code, stdout, stderr) = run(
        "test",
        &[
            "--test-preset",
            "data_drift",
            "--text-descriptors",
            "review",
            "--json",
            "-",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let text = json.to_string();
    assert!(text.contains("review.text_length"), "{text}");
}

/// Runs `report` with `flags` expecting exit 2 and one line on standard error.
fn refused(flags: &[&str]) -> String {
    let (code, _, stderr) = run("report", flags);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn bad_settings_are_one_line_and_exit_2() {
    let stderr = refused(&["--text-descriptors", "reviw"]);
    assert!(
        stderr.contains("--text-descriptors: there is no column `reviw` in ")
            && stderr.contains("did you mean `review`?"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, toml: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, toml).unwrap();
        path.to_str().unwrap().to_string()
    };
    let kind = write(
        "kind.toml",
        "[[text_descriptors]]\ncolumn = \"review\"\nkind = \"Sentiment\"\n\n\
         [[text_descriptors]]\ncolumn = \"review\"\nkind = \"TextLenght\"\n",
    );
    let stderr = refused(&["--config", &kind]);
    assert!(
        stderr.contains("line 5: [[text_descriptors]] entry 2: unknown variant `TextLenght`")
            && stderr.contains("did you mean `TextLength`?"),
        "{stderr}"
    );

    let regex = write(
        "regex.toml",
        "[[text_descriptors]]\ncolumn = \"review\"\nkind = \"RegExp\"\nreg_exp = \"[a-\"\n",
    );
    let stderr = refused(&["--config", &regex]);
    assert!(
        stderr.contains(
            "[[text_descriptors]] entry 1, reg_exp: not a valid regular expression: regex parse error"
        ),
        "{stderr}"
    );

    let column = write(
        "column.toml",
        "[[text_descriptors]]\ncolumn = \"Review\"\nkind = \"WordCount\"\n",
    );
    let stderr = refused(&["--config", &column]);
    assert!(
        stderr.contains("[[text_descriptors]] entry 1: there is no column `Review`")
            && stderr.contains("did you mean `review`?"),
        "{stderr}"
    );

    let stderr = refused(&["--text-descriptors", "row"]);
    assert!(
        stderr.contains("--text-descriptors: column `row` holds"),
        "{stderr}"
    );
}

#[test]
fn a_text_column_without_any_text_on_one_side_is_still_described() {
    // A CSV column with no value is read as float; as a described text it holds missing
    // texts, whose descriptors are 0.
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("ref.csv");
    let current = dir.path().join("cur.csv");
    std::fs::write(&reference, "id,t\n1,\n2,\n3,\n").unwrap();
    std::fs::write(&current, "id,t\n1,Hello there.\n2,\n3,Bye now. See you!\n").unwrap();
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .args([
            "report",
            "--quiet",
            "--json",
            "-",
            "--text-descriptors",
            "t",
        ])
        .arg("--reference")
        .arg(&reference)
        .arg("--current")
        .arg(&current)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let words = column(&json["summary"], "t.word_count");
    assert_eq!(words["reference"]["numeric"]["max"], 0.0);
    assert_eq!(words["current"]["numeric"]["max"], 4.0);
    let sentences = column(&json["summary"], "t.sentence_count");
    assert_eq!(sentences["current"]["numeric"]["max"], 2.0);
    assert_eq!(column(&json["summary"], "t")["reference"]["missing"], 3);
}
