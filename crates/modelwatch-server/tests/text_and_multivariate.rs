//! Text descriptors and multivariate drift through the real server on loopback: a project
//! whose reviews grow much longer gets `review.text_length` drifted in its snapshot, its
//! series, its `/metrics` gauge and an alert rule on it; a project with multivariate methods
//! on the correlation-flip example (examples/multivariate/) gets the methods' results as
//! snapshot metrics and gauges; bad settings are refused with a 422 naming the key.

mod common;

use std::time::Duration;

use common::*;
use modelwatch_server::config::ServerConfig;
use serde_json::Value;

/// Short reviews: 2 to 6 words.
fn short_review(i: usize) -> String {
    let words = ["good", "fine", "ok", "nice", "works", "cheap", "fast"];
    (0..2 + i % 5)
        .map(|k| words[(i + k) % words.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Long reviews: the short one and about 40 more words.
fn long_review(i: usize) -> String {
    format!(
        "{} but the refund took weeks and {}",
        short_review(i),
        "support never answered my many emails about it ".repeat(4 + i % 3)
    )
}

fn put_json(server: &TestServer, path: &str, body: &str) -> Answer {
    call(
        "PUT",
        &server.url(path),
        &[("Content-Type", "application/json")],
        Some(body.as_bytes()),
    )
}

fn scrape(server: &TestServer) -> String {
    call(
        "GET",
        &server.url("/metrics"),
        &[("Accept", "text/plain")],
        None,
    )
    .body
}

/// The value of the `/metrics` sample of `family` whose labels include every one of
/// `labels` (`name="value"`).
fn gauge(metrics: &str, family: &str, labels: &[&str]) -> Option<f64> {
    metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{family}{{")))
        .find(|l| labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

fn active_alerts(server: &TestServer) -> Vec<Value> {
    let a = get(&server.url("/api/v1/alerts"));
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()["alerts"].as_array().unwrap().clone()
}

/// Waits (up to 10 s) until the rule `name` fires for `project` and `column`.
fn wait_until_firing(server: &TestServer, name: &str, project: &str, column: &str) {
    wait_for(
        &format!("the rule {name} to fire on {column}"),
        Duration::from_secs(10),
        || {
            active_alerts(server).iter().any(|a| {
                a["alertname"] == name
                    && a["state"] == "firing"
                    && a["labels"]["project"] == project
                    && a["labels"]["column"] == column
            })
        },
    );
}

#[test]
fn longer_texts_drift_their_length_descriptor_and_fire_a_rule_on_it() {
    let server = TestServer::start(ServerConfig::default());
    let a = put_json(
        &server,
        "/api/v1/projects/reviews",
        r#"{"text_descriptors": [
                {"kind": "TextLength", "column": "review"},
                {"kind": "WordCount", "column": "review"},
                {"kind": "Contains", "column": "review", "items": ["REFUND"], "case_sensitive": false, "alias": "refund"}
            ],
            "presets": ["drift", "summary"], "schedule": {"interval": "0s", "min_rows": 5}}"#,
    );
    assert!(a.status == 200 || a.status == 201, "{}", a.body);
    // The settings read back as written.
    let got = get(&server.url("/api/v1/projects/reviews")).json();
    assert_eq!(
        got["config"]["text_descriptors"][2]["alias"], "refund",
        "{got}"
    );

    let mut csv = String::from("review,stars\n");
    for i in 0..80 {
        csv.push_str(&format!("{},{}\n", short_review(i), 1 + i % 5));
    }
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/reviews/reference"),
        &[("Content-Type", "text/csv")],
        Some(csv.as_bytes()),
    );
    assert_eq!(a.status, 200, "{}", a.body);

    let rule = r#"{"name": "LongReviews", "project": "reviews", "metric": "drifted", "column": "review.text_length", "operator": ">=", "threshold": 1}"#;
    let a = post_json(&server.url("/api/v1/alerts/rules"), rule);
    assert_eq!(a.status, 201, "{}", a.body);

    // Texts arrive like any other value; one is missing.
    let events: Vec<Value> = (0..40)
        .map(|i| {
            let review = if i == 7 {
                Value::Null
            } else {
                Value::from(long_review(i))
            };
            serde_json::json!({"review": review, "stars": 1 + i % 5})
        })
        .collect();
    let a = post_json(
        &server.url("/api/v1/projects/reviews/events"),
        &Value::from(events).to_string(),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["accepted"], 40, "{}", a.body);

    let a = call(
        "POST",
        &server.url("/api/v1/projects/reviews/snapshots"),
        &[],
        None,
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.json()["id"].as_i64().unwrap();
    let full = get(&server.url(&format!("/api/v1/projects/reviews/snapshots/{id}"))).json();
    let column = |name: &str| -> Value {
        full["drift"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["column"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no drift entry of {name} in {full}"))
    };
    let length = column("review.text_length");
    assert_eq!(length["type"], "numerical", "{length}");
    assert_eq!(length["drifted"], true, "{length}");
    assert_eq!(column("review.word_count")["drifted"], true);
    // Every long review but the missing one contains "refund": a yes/no column, tested as a
    // category.
    let refund = column("review.refund");
    assert_eq!(refund["type"], "categorical", "{refund}");
    assert_eq!(refund["drifted"], true, "{refund}");
    // The summary describes the descriptor on both sides.
    let summary = full["summary"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "review.text_length")
        .cloned()
        .expect("a summary of review.text_length");
    // A missing text has length 0, not a missing length (Evidently's rule).
    assert_eq!(summary["current"]["missing"], 0, "{summary}");
    assert_eq!(summary["current"]["numeric"]["min"], 0.0, "{summary}");
    let longest_reference = (0..80).map(|i| short_review(i).len()).max().unwrap();
    let longest_current = (0..40).map(|i| long_review(i).len()).max().unwrap();
    assert_eq!(
        summary["reference"]["numeric"]["max"], longest_reference as f64,
        "{summary}"
    );
    assert_eq!(
        summary["current"]["numeric"]["max"], longest_current as f64,
        "{summary}"
    );

    // The series of the descriptor's verdict has this snapshot's point.
    let s = get(
        &server.url("/api/v1/projects/reviews/series?metric=drifted&column=review.text_length")
    )
    .json();
    assert_eq!(s["points"].as_array().unwrap().len(), 1, "{s}");
    assert_eq!(s["points"][0][1], 1.0, "{s}");

    let metrics = scrape(&server);
    assert_eq!(
        gauge(
            &metrics,
            "modelwatch_column_drifted",
            &["project=\"reviews\"", "column=\"review.text_length\""]
        ),
        Some(1.0),
        "{metrics}"
    );
    assert!(gauge(
        &metrics,
        "modelwatch_drift_score",
        &["project=\"reviews\"", "column=\"review.word_count\""]
    )
    .is_some());

    wait_until_firing(&server, "LongReviews", "reviews", "review.text_length");

    // After a restart the stored settings rebuild the reference's descriptors, and the next
    // snapshot has them again.
    let server = TestServer::start_in(server.into_dir(), ServerConfig::default());
    let got = get(&server.url("/api/v1/projects/reviews")).json();
    assert_eq!(
        got["config"]["text_descriptors"].as_array().map(Vec::len),
        Some(3),
        "{got}"
    );
    let a = call(
        "POST",
        &server.url("/api/v1/projects/reviews/snapshots"),
        &[],
        None,
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.json()["id"].as_i64().unwrap();
    let full = get(&server.url(&format!("/api/v1/projects/reviews/snapshots/{id}"))).json();
    let drifted = full["drift"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "review.text_length")
        .map(|c| c["drifted"].clone());
    assert_eq!(drifted, Some(Value::Bool(true)), "{full}");
}

fn example(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../examples/multivariate/{name}.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn a_correlation_flip_is_found_by_the_multivariate_methods() {
    let server = TestServer::start(ServerConfig::default());
    let a = put_json(
        &server,
        "/api/v1/projects/flip",
        r#"{"multivariate": {"methods": ["reconstruction", "domain_classifier"]},
            "presets": ["drift"], "schedule": {"interval": "0s", "min_rows": 5}}"#,
    );
    assert!(a.status == 200 || a.status == 201, "{}", a.body);
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/flip/reference"),
        &[("Content-Type", "text/csv")],
        Some(&example("reference")),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let a = call(
        "POST",
        &server.url("/api/v1/projects/flip/events"),
        &[("Content-Type", "text/csv")],
        Some(&example("current")),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["accepted"], 2000, "{}", a.body);

    let a = call(
        "POST",
        &server.url("/api/v1/projects/flip/snapshots"),
        &[],
        None,
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.json()["id"].as_i64().unwrap();
    let full = get(&server.url(&format!("/api/v1/projects/flip/snapshots/{id}"))).json();
    // Every per-column test passes: the marginals did not move.
    assert_eq!(full["drift"]["drifted_count"], 0, "{}", full["drift"]);
    let methods = full["drift"]["multivariate"].as_array().unwrap();
    assert_eq!(methods.len(), 2, "{methods:?}");
    for m in methods {
        assert_eq!(m["drifted"], true, "{m}");
        assert_eq!(
            m["columns"],
            serde_json::json!(["x1", "x2", "x3", "segment"]),
            "{m}"
        );
    }
    let auc = methods[1]["score"].as_f64().unwrap();
    assert!(auc > 0.65, "{auc}");
    // The reconstruction figures are NannyML 0.13's on the same files (the committed parity
    // fixture): the band of the reference chunks' errors, and the window's mean error, the
    // mean of the fixture's ten equal analysis chunks.
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../../tests/fixtures/multivariate/correlation_flip/expected.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let nannyml = &fixture["reconstruction"];
    let chunk_errors: Vec<f64> = nannyml["analysis_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let mean_error = chunk_errors.iter().sum::<f64>() / chunk_errors.len() as f64;
    let reconstruction = &methods[0];
    for (got, want) in [
        (&reconstruction["score"], mean_error),
        (
            &reconstruction["lower_threshold"],
            nannyml["lower_threshold"].as_f64().unwrap(),
        ),
        (
            &reconstruction["upper_threshold"],
            nannyml["upper_threshold"].as_f64().unwrap(),
        ),
    ] {
        let got = got.as_f64().unwrap();
        assert!(
            (got - want).abs() < 1e-9,
            "{got} vs {want}: {reconstruction}"
        );
    }

    let s = get(&server
        .url("/api/v1/projects/flip/series?metric=multivariate_drifted&column=domain_classifier"))
    .json();
    assert_eq!(s["points"][0][1], 1.0, "{s}");

    let metrics = scrape(&server);
    for method in ["reconstruction", "domain_classifier"] {
        let label = format!("method=\"{method}\"");
        assert_eq!(
            gauge(
                &metrics,
                "modelwatch_multivariate_drifted",
                &["project=\"flip\"", &label]
            ),
            Some(1.0),
            "{metrics}"
        );
    }
    assert_eq!(
        gauge(
            &metrics,
            "modelwatch_multivariate_drift_score",
            &["project=\"flip\"", "method=\"domain_classifier\""]
        ),
        Some(auc)
    );
    assert!(metrics.contains("# TYPE modelwatch_multivariate_drift_score gauge"));

    // A rule may watch one method.
    let rule = r#"{"name": "JointDrift", "metric": "multivariate_drifted", "column": "domain_classifier", "threshold": 0.5}"#;
    let a = post_json(&server.url("/api/v1/alerts/rules"), rule);
    assert_eq!(a.status, 201, "{}", a.body);
    // and fires on the next snapshot, with the method and its value in the alert.
    let a = call(
        "POST",
        &server.url("/api/v1/projects/flip/snapshots"),
        &[],
        None,
    );
    assert_eq!(a.status, 201, "{}", a.body);
    wait_until_firing(&server, "JointDrift", "flip", "domain_classifier");

    // The project page shows the methods in the report's table.
    let page = get(&server.url("/projects/flip"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("<tr data-multivariate=\"domain_classifier\">"),
        "{}",
        page.body
    );
}

#[test]
fn bad_text_and_multivariate_settings_are_refused_naming_the_key() {
    let server = TestServer::start(ServerConfig::default());
    let refused = |body: &str, key: &str, says: &str| {
        let a = put_json(&server, "/api/v1/projects/bad", body);
        assert_eq!(a.status, 422, "{body}: {}", a.body);
        assert!(a.body.contains(key), "{body}: {}", a.body);
        assert!(a.body.contains(says), "{body}: {}", a.body);
    };
    refused(
        r#"{"text_descriptors": [{"kind": "TextLength", "column": "t"}, {"kind": "TextLenght", "column": "t"}]}"#,
        "text_descriptors[1]",
        "did you mean `TextLength`?",
    );
    refused(
        r#"{"text_descriptors": [{"kind": "RegExp", "column": "t", "reg_exp": "(unclosed"}]}"#,
        "text_descriptors[0].reg_exp",
        "not a valid regular expression",
    );
    refused(
        r#"{"text_descriptors": [{"kind": "Contains", "column": "t", "itmes": ["a"]}]}"#,
        "text_descriptors[0]",
        "items",
    );
    refused(
        r#"{"text_descriptors": [{"kind": "TextLength", "column": "t"}, {"kind": "TextLength", "column": "t"}]}"#,
        "text_descriptors[1]",
        "set `alias`",
    );
    refused(
        r#"{"multivariate": {"methods": ["reconstruction", "domain_clasifier"]}}"#,
        "multivariate.methods",
        "did you mean `domain_classifier`?",
    );
    refused(
        r#"{"multivariate": {"methods": ["mmd"], "mmd": {"permutations": 0}}}"#,
        "multivariate.mmd.permutations",
        "at least 1",
    );
    refused(
        r#"{"multivariate": {"method": ["mmd"]}}"#,
        "multivariate",
        "did you mean `methods`?",
    );
    // Nothing was stored.
    assert_eq!(get(&server.url("/api/v1/projects/bad")).status, 404);

    // A descriptor of a column the reference lacks, or of a column of numbers, is refused
    // when the reference arrives, with the closest names.
    let a = put_json(
        &server,
        "/api/v1/projects/good",
        r#"{"text_descriptors": [{"kind": "TextLength", "column": "reviw"}]}"#,
    );
    assert!(a.status == 200 || a.status == 201, "{}", a.body);
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/good/reference"),
        &[("Content-Type", "text/csv")],
        Some(b"review,n\nfine,1\ngood,2\n"),
    );
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(a.body.contains("text_descriptors[0]"), "{}", a.body);
    assert!(a.body.contains("did you mean `review`?"), "{}", a.body);
    let a = put_json(
        &server,
        "/api/v1/projects/good",
        r#"{"text_descriptors": [{"kind": "TextLength", "column": "n"}]}"#,
    );
    assert!(a.status == 200 || a.status == 201, "{}", a.body);
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/good/reference"),
        &[("Content-Type", "text/csv")],
        Some(b"review,n\nfine,1\ngood,2\n"),
    );
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(
        a.body.contains("holds integer values, not text"),
        "{}",
        a.body
    );
}
