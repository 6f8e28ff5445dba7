//! Bad input never panics: the run exits with code 2 and one line naming the file, column
//! or flag; no JSON file is left behind.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

const GOOD: &str = "a,b,c\n1.5,x,1\n2.5,y,2\n3.5,x,3\n4.5,y,1\n5.5,x,2\n6.5,y,3\n7.5,x,1\n";

fn modelwatch() -> Command {
    Command::cargo_bin("modelwatch").unwrap()
}

/// Runs a report expecting failure; returns stderr.
fn fails(reference: &Path, current: &Path, extra: &[&str], dir: &Path) -> String {
    let json = dir.join("out.json");
    let out = modelwatch()
        .arg("report")
        .arg("--reference")
        .arg(reference)
        .arg("--current")
        .arg(current)
        .arg("--json")
        .arg(&json)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "expected one line, got: {stderr}"
    );
    assert!(!json.exists(), "no JSON is written on error");
    stderr
}

#[test]
fn missing_file() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let err = fails(&d.path().join("nope.csv"), &good, &[], d.path());
    assert!(err.contains("nope.csv"), "{err}");
}

#[test]
fn empty_file() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let empty = write(d.path(), "empty.csv", b"");
    let err = fails(&good, &empty, &[], d.path());
    assert!(err.contains("empty.csv"), "{err}");
}

#[test]
fn header_only_file() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let header = write(d.path(), "header.csv", b"a,b,c\n");
    let err = fails(&good, &header, &[], d.path());
    assert!(err.contains("header.csv"), "{err}");
}

#[test]
fn file_without_header() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let noheader = write(d.path(), "noheader.csv", b"1.0,2.0,3\n4.0,5.0,6\n");
    let err = fails(&noheader, &good, &[], d.path());
    assert!(
        err.contains("noheader.csv") && err.contains("header"),
        "{err}"
    );
}

#[test]
fn non_utf8_header() {
    // Text that is not UTF-8 in a data field is read (cli_bad_text_and_multivariate_input.rs);
    // in the header, where the column names are, it fails the file.
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let latin1 = write(d.path(), "latin1.csv", b"a,caf\xe9,c\n1.5,x,1\n2.5,x,2\n");
    let err = fails(&good, &latin1, &[], d.path());
    assert!(
        err.contains("latin1.csv: not valid UTF-8 at line 1"),
        "{err}"
    );
}

#[test]
fn malformed_parquet() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let bad = write(d.path(), "bad.parquet", b"PAR1 this is not parquet PAR1");
    let err = fails(&good, &bad, &[], d.path());
    assert!(err.contains("bad.parquet"), "{err}");
}

#[test]
fn ragged_row() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let ragged = write(d.path(), "ragged.csv", b"a,b,c\n1.5,x,1\n2.5,y,2,9\n");
    let err = fails(&good, &ragged, &[], d.path());
    assert!(
        err.contains("ragged.csv") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn unknown_method() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let err = fails(&good, &good, &["--method", "kolmogorov"], d.path());
    assert!(
        err.contains("--method") && err.contains("kolmogorov"),
        "{err}"
    );
    let err = fails(&good, &good, &["--column-method", "a=nope"], d.path());
    assert!(
        err.contains("--column-method") && err.contains("nope"),
        "{err}"
    );
    let err = fails(&good, &good, &["--column-method", "a"], d.path());
    assert!(err.contains("COL=VALUE"), "{err}");
}

#[test]
fn threshold_out_of_range() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let err = fails(&good, &good, &["--threshold", "-1"], d.path());
    assert!(err.contains("--threshold"), "{err}");
    let err = fails(
        &good,
        &good,
        &["--method", "ks", "--threshold", "1.5"],
        d.path(),
    );
    assert!(err.contains("--threshold"), "{err}");
    let err = fails(&good, &good, &["--drift-share", "2"], d.path());
    assert!(err.contains("drift share"), "{err}");
    let err = fails(&good, &good, &["--column-threshold", "a=abc"], d.path());
    assert!(err.contains("--column-threshold"), "{err}");
}

#[test]
fn unknown_column_in_flags() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let err = fails(&good, &good, &["--numerical", "zzz"], d.path());
    assert!(err.contains("zzz") && err.contains("numerical"), "{err}");
    let err = fails(&good, &good, &["--column-method", "zzz=ks"], d.path());
    assert!(err.contains("zzz"), "{err}");
}

#[test]
fn no_shared_columns() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let other = write(d.path(), "other.csv", b"x,y\n1,2\n3,4\n");
    let err = fails(&good, &other, &[], d.path());
    assert!(err.contains("no column in common"), "{err}");
}

#[test]
fn unknown_extension_asks_for_format() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let weird = write(d.path(), "data.xyz", GOOD.as_bytes());
    let err = fails(&good, &weird, &[], d.path());
    assert!(
        err.contains("data.xyz") && err.contains("--format"),
        "{err}"
    );
    // With --format it reads.
    modelwatch()
        .args(["report", "--format", "csv", "--reference"])
        .arg(&good)
        .arg("--current")
        .arg(&weird)
        .assert()
        .success();
}

#[test]
fn column_on_one_side_is_reported_and_the_rest_compared() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let fewer = write(
        d.path(),
        "fewer.csv",
        b"a,b\n1.5,x\n2.5,y\n3.5,x\n4.5,y\n5.5,x\n6.5,y\n",
    );
    let json = d.path().join("out.json");
    modelwatch()
        .arg("report")
        .arg("--reference")
        .arg(&good)
        .arg("--current")
        .arg(&fewer)
        .arg("--json")
        .arg(&json)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("only in the reference").and(predicate::str::contains("c")),
        );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["drift"]["reference_only_columns"][0], "c");
    assert_eq!(v["drift"]["columns"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_config_file() {
    let d = TempDir::new().unwrap();
    let good = write(d.path(), "good.csv", GOOD.as_bytes());
    let cfg = write(d.path(), "mw.toml", b"[drift]\nmethod = \"nope\"\n");
    let err = fails(&good, &good, &["--config", cfg.to_str().unwrap()], d.path());
    assert!(err.contains("mw.toml") && err.contains("line 2"), "{err}");
}

/// A typo gets the closest names, not every valid one; nothing close says where the list is.
#[test]
fn typos_in_names_suggest_the_closest_ones() {
    let d = TempDir::new().unwrap();
    let reference = write(
        d.path(),
        "ref.csv",
        b"sepal_length,petal_length,species\n1.5,2.5,x\n2.5,3.5,y\n3.5,4.5,x\n",
    );
    let cases: [(&[&str], &str); 11] = [
        (
            &["--target", "specis"],
            "error: column `specis` given to --target is in neither dataset (did you mean `species`?)\n",
        ),
        (
            &["--column-method", "sepal_lenght=ks"],
            "error: column `sepal_lenght` given to --column-method is in neither dataset (did you mean `sepal_length`?)\n",
        ),
        (
            &["--numerical", "length"],
            "error: column `length` given to --numerical is in neither dataset (did you mean `sepal_length` or `petal_length`?)\n",
        ),
        (
            &["--ignore", "zzz"],
            "error: column `zzz` given to --ignore is in neither dataset\n",
        ),
        (
            &["--method", "wasserstien"],
            "error: --method: unknown drift method `wasserstien` (did you mean `wasserstein`?)\n",
        ),
        (
            &["--method", "kolmogorov"],
            "error: --method: unknown drift method `kolmogorov` (nothing close; see docs/statistics.md)\n",
        ),
        (
            &["--preset", "drift,sumary"],
            "error: --preset: unknown preset `sumary` (did you mean `summary`?)\n",
        ),
        (
            &["--preset", "quality"],
            "error: --preset: unknown preset `quality` (known: drift, summary, target, classification, regression)\n",
        ),
        (
            &["--embedding", "e=sepal_lenght,petal_length"],
            "error: --embedding: embedding `e`: column `sepal_lenght` is not in the reference (did you mean `sepal_length`?)\n",
        ),
        (
            &["--embedding-method", "emb=mmd", "--embedding", "emd=sepal_length,petal_length"],
            "error: --embedding-method: embedding `emb`: no such embedding is declared (did you mean `emd`?)\n",
        ),
        (
            &["--preset", "regression", "--target", "sepal_length", "--prediction", "petal_lenght"],
            "error: column `petal_lenght` given to --prediction is in neither dataset (did you mean `petal_length`?)\n",
        ),
    ];
    for (flags, message) in cases {
        assert_eq!(fails(&reference, &reference, flags, d.path()), message);
    }

    for (config, message) in [
        (
            "[drift]\ndrift_shares = 0.3\n",
            "mw.toml: line 2: unknown field `drift_shares` (did you mean `drift_share`?)",
        ),
        (
            "[drift]\nmethod = \"wasserstien\"\n",
            "mw.toml: line 2: unknown drift method `wasserstien` (did you mean `wasserstein`?)",
        ),
        (
            "[colums]\ntarget = \"species\"\n",
            "mw.toml: line 1: unknown field `colums` (did you mean `columns`?)",
        ),
        (
            "[columns]\ntarget = \"specis\"\n",
            "column `specis` given to --target is in neither dataset (did you mean `species`?)",
        ),
    ] {
        let cfg = write(d.path(), "mw.toml", config.as_bytes());
        let err = fails(
            &reference,
            &reference,
            &["--config", cfg.to_str().unwrap()],
            d.path(),
        );
        assert!(err.contains(message), "expected `{message}` in: {err}");
    }
}
