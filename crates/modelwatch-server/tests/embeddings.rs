//! Embeddings through the real server: a JSON Lines reference with vector arrays, events
//! whose arrays become the components `emb.0 ..`, a snapshot whose drift section has the
//! embedding's entry, and the `/metrics` gauge of it; rows with bad vectors are rejected by
//! number, the others kept.

mod common;

use common::*;
use modelwatch_server::config::ServerConfig;

/// `n` rows of a 4-component embedding around `shift`, and a numeric column; each component
/// cycles through 11 values, so that any multiple of 11 rows has the same mean.
fn rows(n: usize, shift: f64) -> Vec<String> {
    (0..n)
        .map(|i| {
            let v: Vec<String> = (0..4)
                .map(|k| format!("{:.4}", shift + ((i * 7 + k * 3) % 11) as f64 / 10.0))
                .collect();
            format!(r#"{{"x": {}, "emb": [{}]}}"#, i % 5, v.join(", "))
        })
        .collect()
}

#[test]
fn vector_arrays_in_events_are_tested_as_an_embedding() {
    let server = TestServer::start(ServerConfig::default());
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/vec"),
        &[("Content-Type", "application/json")],
        Some(
            br#"{"columns": {"embeddings": {"emb": "emb."}},
                 "drift": {"embedding_methods": {"emb": "distance"}},
                 "presets": ["drift"], "schedule": {"interval": "0s", "min_rows": 5}}"#,
        ),
    );
    assert!(a.status == 200 || a.status == 201, "{}", a.body);
    let reference = rows(88, 0.0).join("\n");
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/vec/reference"),
        &[("Content-Type", "application/x-ndjson")],
        Some(reference.as_bytes()),
    );
    assert_eq!(a.status, 200, "{}", a.body);

    // Shifted vectors, plus a row with 3 components and one with a text component.
    let mut events = rows(44, 2.0);
    events.insert(3, r#"{"x": 1, "emb": [1, 2, 3]}"#.to_string());
    events.insert(7, r#"{"x": 1, "emb": [1, 2, "three", 4]}"#.to_string());
    let a = post_json(
        &server.url("/api/v1/projects/vec/events"),
        &format!("[{}]", events.join(",")),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let v = a.json();
    assert_eq!(v["accepted"], 44, "{v}");
    let rejected: Vec<i64> = v["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_i64().unwrap())
        .collect();
    assert_eq!(rejected, [3, 7], "{v}");
    let reasons = v["rejected"].to_string();
    assert!(
        reasons.contains("3 components, but the project's vectors have 4"),
        "{reasons}"
    );
    assert!(reasons.contains("component 2 is text"), "{reasons}");

    let a = call(
        "POST",
        &server.url("/api/v1/projects/vec/snapshots"),
        &[],
        None,
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.json()["id"].as_i64().unwrap();
    let full = get(&server.url(&format!("/api/v1/projects/vec/snapshots/{id}"))).json();
    let entry = &full["drift"]["embeddings"][0];
    assert_eq!(entry["name"], "emb", "{full}");
    assert_eq!(entry["method"], "distance");
    assert_eq!(entry["drifted"], true, "{entry}");
    // Every component moved by 2: the euclidean distance of the means is 2 * sqrt(4) = 4.
    assert!(
        (entry["score"].as_f64().unwrap() - 4.0).abs() < 1e-9,
        "{entry}"
    );
    // The components are not tested one by one.
    let columns = full["drift"]["columns"].as_array().unwrap();
    assert!(columns
        .iter()
        .all(|c| !c["column"].as_str().unwrap().starts_with("emb.")));

    let metrics = call(
        "GET",
        &server.url("/metrics"),
        &[("Accept", "text/plain")],
        None,
    )
    .body;
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("modelwatch_embedding_drift_score{") && l.contains("project=\"vec\"")
        })
        .unwrap_or_else(|| panic!("no embedding gauge in:\n{metrics}"));
    assert!(line.contains("embedding=\"emb\""), "{line}");
    assert!(line.ends_with(" 4") || line.contains(" 4."), "{line}");
}

/// Embedding declarations are checked against the reference when the project is saved: a
/// prefix that names no column (`emb` for the components `emb.0 ..`) is a 422 naming
/// `columns.embeddings`, not a project whose every snapshot fails; and a reference whose
/// vectors cannot be read is refused naming the column.
#[test]
fn declarations_that_fit_no_reference_column_are_refused() {
    let server = TestServer::start(ServerConfig::default());
    let put = |path: &str, content_type: &str, body: &[u8]| {
        call(
            "PUT",
            &server.url(path),
            &[("Content-Type", content_type)],
            Some(body),
        )
    };
    let a = put(
        "/api/v1/projects/vec",
        "application/json",
        br#"{"columns": {"embeddings": {"emb": "emb."}}}"#,
    );
    assert!(a.status == 200 || a.status == 201, "{}", a.body);
    let reference = rows(22, 0.0).join("\n");
    let a = put(
        "/api/v1/projects/vec/reference",
        "application/x-ndjson",
        reference.as_bytes(),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let a = put(
        "/api/v1/projects/vec",
        "application/json",
        br#"{"columns": {"embeddings": {"emb": "emb"}}}"#,
    );
    assert_eq!(a.status, 422, "{}", a.body);
    let error = a.json()["error"].as_str().unwrap().to_string();
    assert!(
        error.contains("columns.embeddings: embedding `emb`: no column of the reference"),
        "{error}"
    );
    // The project keeps its settings.
    let p = get(&server.url("/api/v1/projects/vec")).json();
    assert_eq!(p["config"]["columns"]["embeddings"]["emb"], "emb.", "{p}");

    let ragged = "{\"x\": 1, \"emb\": [1, 2]}\n{\"x\": 2, \"emb\": [1]}\n";
    let a = put(
        "/api/v1/projects/vec/reference",
        "application/x-ndjson",
        ragged.as_bytes(),
    );
    assert_eq!(a.status, 422, "{}", a.body);
    let error = a.json()["error"].as_str().unwrap().to_string();
    assert!(
        error.contains("vector column `emb` cannot be read"),
        "{error}"
    );
}
