//! Embeddings end to end: declared with `--embedding` or the config file, or read from
//! JSON Lines arrays; scores against Evidently 0.7.23's `EmbeddingsDriftMetric` on the
//! committed table (`scripts/gen_embedding_fixtures.py`), and bad vectors as per-embedding
//! errors while the rest of the report runs.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/embeddings")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixtures().join("table_expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Evidently's `(score, drift)` for the run named `key`.
fn evidently(key: &str) -> (f64, bool) {
    let r = &expected()["results"][key];
    (r["score"].as_f64().unwrap(), r["drift"].as_bool().unwrap())
}

/// Runs `modelwatch report` and returns its exit code, the JSON results and stderr.
fn report(reference: &Path, current: &Path, extra: &[&str]) -> (i32, Value, String) {
    let dir = TempDir::new().unwrap();
    let json = dir.path().join("out.json");
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
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
    assert!(!stderr.contains("panicked"), "{stderr}");
    let results = std::fs::read_to_string(&json)
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(Value::Null);
    (out.status.code().unwrap(), results, stderr)
}

fn tables() -> (PathBuf, PathBuf) {
    (
        fixtures().join("table_reference.csv"),
        fixtures().join("table_current.csv"),
    )
}

fn embedding<'a>(results: &'a Value, name: &str) -> &'a Value {
    results["drift"]["embeddings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no embedding {name} in {}", results["drift"]))
}

fn assert_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 + 1e-9 * want.abs(),
        "{what}: {got:e}, Evidently {want:e}"
    );
}

#[test]
fn deterministic_methods_match_evidently() {
    let (r, c) = tables();
    for (method, key) in [("ratio", "ratio"), ("distance", "distance"), ("mmd", "mmd")] {
        let (code, results, stderr) = report(
            &r,
            &c,
            &[
                "--embedding",
                "emb=emb_",
                "--embedding-method",
                &format!("emb={method}"),
            ],
        );
        assert_eq!(code, 0, "{stderr}");
        let e = embedding(&results, "emb");
        let (score, drift) = evidently(key);
        assert_close(key, e["score"].as_f64().unwrap(), score);
        assert_eq!(e["drifted"], drift, "{key}");
        assert_eq!(e["method"], expected()["results"][key]["method"]);
        assert_eq!(e["dimension"], 16);
        assert_eq!(e["columns"][2], "emb_2");
        assert_eq!(e["reference_rows_used"], 300);
        assert_eq!(e["current_rows_used"], 250);
        // The members are the embedding's: only `x` is a column of the drift and the
        // summary, and the share of drifted columns counts `x` alone.
        let columns: Vec<&str> = results["drift"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["column"].as_str().unwrap())
            .collect();
        assert_eq!(columns, ["x"]);
        assert_eq!(results["drift"]["column_count"], 1);
        assert_eq!(results["summary"]["columns"].as_array().unwrap().len(), 1);
        assert_eq!(results["summary"]["embeddings"][0]["columns"][15], "emb_15");
        assert_eq!(results["summary"]["current"]["columns"], 17);
    }
}

#[test]
fn the_config_file_declares_embeddings_and_their_methods() {
    let (r, c) = tables();
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("modelwatch.toml");
    let list: Vec<String> = (0..16).map(|j| format!("\"emb_{j}\"")).collect();
    std::fs::write(
        &config,
        format!(
            "[columns]\nembeddings = {{ emb = [{}] }}\n\n\
             [drift.embedding_methods]\nemb = {{ method = \"distance\", dist = \"cosine\" }}\n",
            list.join(", ")
        ),
    )
    .unwrap();
    let (code, results, stderr) = report(&r, &c, &["--config", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let (score, drift) = evidently("distance_cosine");
    let e = embedding(&results, "emb");
    assert_close("distance_cosine", e["score"].as_f64().unwrap(), score);
    assert_eq!(e["drifted"], drift);

    // The same list on the command line.
    let cols: Vec<String> = (0..16).map(|j| format!("emb_{j}")).collect();
    let flag = format!("emb={}", cols.join(","));
    let (code, results, _) = report(
        &r,
        &c,
        &["--embedding", &flag, "--embedding-method", "emb=ratio"],
    );
    assert_eq!(code, 0);
    assert_close(
        "ratio",
        embedding(&results, "emb")["score"].as_f64().unwrap(),
        evidently("ratio").0,
    );
}

/// `model` is modelwatch's own seeded classifier (Evidently's depends on scikit-learn's
/// random state): the verdict agrees, the score is its own.
#[test]
fn the_default_method_is_model_with_evidentlys_verdict() {
    let (r, c) = tables();
    let (code, results, stderr) = report(&r, &c, &["--embedding", "emb=emb_"]);
    assert_eq!(code, 0, "{stderr}");
    let e = embedding(&results, "emb");
    assert_eq!(e["method"], "model");
    assert_eq!(e["drifted"], evidently("default").1);
    let auc = e["score"].as_f64().unwrap();
    assert!((0.5..=1.0).contains(&auc), "{auc}");
}

/// The fixture table as JSON Lines with the vectors as arrays; `bad` changes rows.
fn jsonl_from_table(csv: &Path, out: &Path, bad: &dyn Fn(usize, &mut Vec<String>)) {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = Vec::new();
    for (i, line) in text.lines().skip(1).enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        let mut vector: Vec<String> = fields[1..].iter().map(|s| s.to_string()).collect();
        bad(i, &mut vector);
        lines.push(format!(
            "{{\"x\": {}, \"emb\": [{}]}}",
            fields[0],
            vector.join(", ")
        ));
    }
    std::fs::write(out, lines.join("\n") + "\n").unwrap();
}

#[test]
fn json_lines_arrays_are_embeddings_and_bad_vectors_are_per_embedding_errors() {
    let (r, c) = tables();
    let dir = TempDir::new().unwrap();
    let (rj, cj) = (dir.path().join("r.jsonl"), dir.path().join("c.jsonl"));
    jsonl_from_table(&r, &rj, &|_, _| {});
    jsonl_from_table(&c, &cj, &|_, _| {});
    let (code, results, stderr) = report(&rj, &cj, &["--embedding-method", "emb=ratio"]);
    assert_eq!(code, 0, "{stderr}");
    let e = embedding(&results, "emb");
    assert_close("ratio", e["score"].as_f64().unwrap(), evidently("ratio").0);
    assert_eq!(e["columns"][0], "emb.0");

    // A null component and a null vector: rows left out and counted.
    let nan = dir.path().join("nan.jsonl");
    jsonl_from_table(&c, &nan, &|i, v| {
        if i == 3 {
            v[5] = "null".into();
        }
    });
    let text = std::fs::read_to_string(&nan).unwrap().replacen(
        &std::fs::read_to_string(&cj)
            .unwrap()
            .lines()
            .nth(7)
            .unwrap()
            .to_string(),
        "{\"x\": 0.5, \"emb\": null}",
        1,
    );
    std::fs::write(&nan, text).unwrap();
    let (code, results, stderr) = report(&rj, &nan, &["--embedding-method", "emb=distance"]);
    assert_eq!(code, 0, "{stderr}");
    let e = embedding(&results, "emb");
    assert_eq!(e["current_left_out"], 2);
    assert_eq!(e["current_rows_used"], 248);
    assert_eq!(
        e["left_out_reason"],
        "a component is missing, NaN or infinite"
    );
    assert!(e["score"].is_f64());

    // Every current vector null: an error entry; `x` is still tested.
    let all_nan = dir.path().join("all_nan.jsonl");
    jsonl_from_table(&c, &all_nan, &|_, v| {
        v.iter_mut().for_each(|x| *x = "null".into())
    });
    let (code, results, _) = report(&rj, &all_nan, &["--embedding-method", "emb=distance"]);
    assert_eq!(code, 0);
    let e = embedding(&results, "emb");
    assert_eq!(e["score"], Value::Null);
    assert_eq!(
        e["error"],
        "every row of the current data has a missing, NaN or infinite component"
    );
    assert_eq!(results["drift"]["columns"][0]["column"], "x");

    // Vectors of different lengths: the embedding's error names the rows and lengths.
    let ragged = dir.path().join("ragged.jsonl");
    jsonl_from_table(&c, &ragged, &|i, v| {
        if i == 9 {
            v.pop();
        }
    });
    let (code, results, stderr) = report(&rj, &ragged, &[]);
    assert_eq!(code, 0, "{stderr}");
    let e = embedding(&results, "emb");
    assert_eq!(
        e["error"].as_str().unwrap(),
        format!(
            "{}: vectors of different lengths: row 10 has 15 components, row 1 has 16",
            ragged.display()
        )
    );
    assert_eq!(e["columns"].as_array().unwrap().len(), 0);
    assert!(
        stderr.contains("warning: vector column `emb` not tested"),
        "{stderr}"
    );
    // The reference's components are not tested one by one either.
    assert_eq!(
        results["drift"]["reference_only_columns"],
        serde_json::json!([])
    );
    assert_eq!(results["drift"]["column_count"], 1);

    // Reference and current vectors of different dimensions.
    let short = dir.path().join("short.jsonl");
    jsonl_from_table(&c, &short, &|_, v| {
        v.truncate(8);
    });
    let (code, results, _) = report(&rj, &short, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        embedding(&results, "emb")["error"],
        "the reference vectors have 16 components, the current vectors 8"
    );

    // Only the reference holds the vector column: an error entry, not a settings error.
    let no_vectors = dir.path().join("no_vectors.jsonl");
    let xs: String = std::fs::read_to_string(&c)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| format!("{{\"x\": {}}}\n", l.split(',').next().unwrap()))
        .collect();
    std::fs::write(&no_vectors, xs).unwrap();
    let (code, results, stderr) = report(&rj, &no_vectors, &[]);
    assert_eq!(code, 0, "{stderr}");
    let e = embedding(&results, "emb");
    assert!(
        e["error"].as_str().unwrap().contains("only ")
            && e["error"]
                .as_str()
                .unwrap()
                .contains("holds this vector column"),
        "{e}"
    );
    assert_eq!(results["drift"]["columns"][0]["column"], "x");

    // One current row: `mmd` needs more, and says so; the report still runs.
    let one = dir.path().join("one.jsonl");
    let first = std::fs::read_to_string(&cj)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(&one, first + "\n").unwrap();
    let (code, results, stderr) = report(&rj, &one, &["--embedding-method", "emb=mmd"]);
    assert_eq!(code, 0, "{stderr}");
    let e = embedding(&results, "emb");
    assert_eq!(e["score"], Value::Null);
    assert!(e["error"].as_str().unwrap().contains("rows"), "{e}");
}

#[test]
fn bad_declarations_are_one_line_naming_the_flag() {
    let (r, c) = tables();
    for (args, message) in [
        (
            vec!["--embedding", "emb=vec_"],
            "--embedding: embedding `emb`: no column of the reference is named `vec_` followed by a number (e.g. `vec_0`)",
        ),
        (
            vec!["--embedding", "emb=emb_", "--embedding-method", "emb=wasserstein"],
            "--embedding-method of embedding `emb`: unknown embedding drift method `wasserstein` (known: distance, ratio, mmd, model)",
        ),
        (
            vec!["--embedding", "emb=emb_", "--embedding-method", "other=ratio"],
            "--embedding-method: embedding `other`: no such embedding is declared (declare it with `embeddings`)",
        ),
        (
            vec!["--embedding", "emb=emb_", "--embedding", "pair=x,emb_1"],
            "--embedding: embedding `pair`: column `emb_1` is also a member of embedding `emb`; a column belongs to at most one embedding",
        ),
    ] {
        let (code, _, stderr) = report(&r, &c, &args);
        assert_eq!(code, 2, "{stderr}");
        assert_eq!(stderr.trim_end(), format!("error: {message}"), "{args:?}");
    }
}

#[test]
fn the_drift_test_preset_fails_on_a_drifted_embedding_with_junit() {
    let (r, c) = tables();
    let dir = TempDir::new().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .arg("test")
        .arg("--reference")
        .arg(&r)
        .arg("--current")
        .arg(&c)
        .args(["--embedding", "emb=emb_", "--embedding-method", "emb=ratio"])
        .args(["--test-preset", "data_drift", "--junit"])
        .arg(&junit)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("No drift in the embedding `emb`"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let case = xml
        .split("<testcase")
        .find(|c| c.contains("No drift in the embedding `emb`"))
        .unwrap_or_else(|| panic!("{xml}"));
    assert!(case.contains("<failure"), "{case}");
}
