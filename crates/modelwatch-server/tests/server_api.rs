//! The real server over HTTP on loopback: projects, ingestion, windows, snapshots,
//! series, /metrics, auth, limits and shutdown.

mod common;

use common::*;
use modelwatch_server::config::{Scope, ServerConfig, Token};
use modelwatch_server::store::sqlite::{Durability, SqliteStore};
use modelwatch_server::store::Store;

const WEIRD: &str = "fraud \"v2\" </script>/ü\\模型";

#[test]
fn project_lifecycle_with_a_hostile_name() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, WEIRD);
    let path = format!("/api/v1/projects/{}", seg(WEIRD));
    let p = get(&server.url(&path)).json();
    assert_eq!(p["name"], WEIRD);
    assert_eq!(p["reference_rows"], 150);
    let schema = p["schema"].as_array().unwrap();
    assert_eq!(schema.len(), 5);
    assert_eq!(schema[4]["name"], "species");
    assert_eq!(schema[4]["type"], "categorical");
    assert_eq!(p["events"], 0);

    // Creating it twice is a conflict; a JSON project without a reference works.
    let again = call(
        "POST",
        &server.url(&format!("/api/v1/projects?name={}", seg(WEIRD))),
        &[("Content-Type", "text/csv")],
        Some(&iris_reference()),
    );
    assert_eq!(again.status, 409);
    let bare = post_json(
        &server.url("/api/v1/projects"),
        r#"{"name": "bare", "presets": ["drift"]}"#,
    );
    assert_eq!(bare.status, 201, "{}", bare.body);
    let r = get(&server.url("/api/v1/projects/bare/report?last=5"));
    assert_eq!(r.status, 422);
    assert!(
        r.json()["error"].as_str().unwrap().contains("no reference"),
        "{}",
        r.body
    );

    // Settings update keeps the reference; bad settings are named.
    let upd = call(
        "PUT",
        &server.url(&path),
        &[("Content-Type", "application/json")],
        Some(br#"{"columns": {"target": "species"}, "schedule": {"interval": "0s"}}"#),
    );
    assert_eq!(upd.status, 200, "{}", upd.body);
    assert_eq!(upd.json()["schema"][4]["role"], "target");
    assert_eq!(upd.json()["reference_rows"], 150);
    let bad = call(
        "PUT",
        &server.url(&path),
        &[("Content-Type", "application/json")],
        Some(br#"{"schedule": {"window": "forever"}}"#),
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("schedule.window"), "{}", bad.body);
    let bad = call(
        "PUT",
        &server.url(&path),
        &[("Content-Type", "application/json")],
        Some(br#"{"colums": {}}"#),
    );
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("colums"), "{}", bad.body);

    let list = get(&server.url("/api/v1/projects")).json();
    assert_eq!(list["projects"].as_array().unwrap().len(), 2);
    assert_eq!(call("DELETE", &server.url(&path), &[], None).status, 204);
    assert_eq!(get(&server.url(&path)).status, 404);
    assert_eq!(call("DELETE", &server.url(&path), &[], None).status, 404);
}

#[test]
fn ingestion_validates_reports_rejections_and_stores_what_it_acknowledges() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let events = server.url("/api/v1/projects/iris/events");

    let a = post_json(&events, &iris_events(30, 0.0));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["accepted"], 30);

    // Mixed batch: good rows kept, every bad one listed with its reason.
    let mixed = r#"[{"sepal_length": 5.1, "extra": 1},
                    {"sepal_length": "five"},
                    {"sepal_length": 5.0, "status": 99},
                    [1, 2],
                    {"petal_width": "0.4", "timestamp": "2024-05-01T10:00:00Z"}]"#;
    let a = post_json(&events, mixed);
    assert_eq!(a.status, 200, "{}", a.body);
    let v = a.json();
    assert_eq!(v["accepted"], 2);
    let rejected = v["rejected"].as_array().unwrap();
    assert_eq!(
        rejected
            .iter()
            .map(|r| r["index"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(rejected[0]["reason"]
        .as_str()
        .unwrap()
        .contains("sepal_length"));
    assert!(rejected[1]["reason"].as_str().unwrap().contains("status"));
    assert_eq!(v["unknown_columns"]["extra"], 1);

    // Atomic: one bad row rejects the batch.
    let a = call(
        "POST",
        &server.url("/api/v1/projects/iris/events?atomic=true"),
        &[("Content-Type", "application/json")],
        Some(br#"[{"sepal_length": 5.1}, {"sepal_length": "x"}]"#),
    );
    assert_eq!(a.status, 422);
    assert_eq!(a.json()["accepted"], 0);

    // JSON Lines and CSV bodies.
    let a = call(
        "POST",
        &events,
        &[("Content-Type", "application/x-ndjson")],
        Some(b"{\"sepal_length\": 5.0}\n{\"sepal_length\": 6.0}\nnot json\n"),
    );
    assert_eq!(a.json()["accepted"], 2);
    assert_eq!(a.json()["rejected"][0]["index"], 2);
    let a = call(
        "POST",
        &events,
        &[("Content-Type", "text/csv")],
        Some(b"sepal_length,species\n5.5,setosa\n,\"vir,ginica\"\n"),
    );
    assert_eq!(a.json()["accepted"], 2, "{}", a.body);

    // Unreadable bodies and unknown projects.
    assert_eq!(post_json(&events, "[{").status, 400);
    assert_eq!(post_json(&events, "").status, 400);
    let a = call(
        "POST",
        &events,
        &[("Content-Type", "image/png")],
        Some(b"x"),
    );
    assert_eq!(a.status, 415);
    assert_eq!(
        post_json(&server.url("/api/v1/projects/nope/events"), "{}").status,
        404
    );

    // Labels join by id.
    let a = post_json(
        &server.url("/api/v1/projects/iris/labels"),
        r#"[{"id": "e1", "target": "setosa"}, {"id": "missing", "target": "x"}, {"target": 1}]"#,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let v = a.json();
    assert_eq!(v["joined"], 1);
    assert_eq!(v["unknown_ids"][0], "missing");
    assert_eq!(v["rejected"][0]["index"], 2);

    let db = server.db.clone();
    let _dir = server.into_dir();
    let store = SqliteStore::open(&db, Durability::Normal).unwrap();
    assert_eq!(store.count_events("iris").unwrap(), 30 + 2 + 2 + 2);
}

#[test]
fn reports_over_windows_in_json_and_html() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let events = server.url("/api/v1/projects/iris/events");
    assert_eq!(post_json(&events, &iris_events(100, 0.0)).status, 200);
    assert_eq!(post_json(&events, &iris_events(100, 3.0)).status, 200);

    let r = get(&server.url("/api/v1/projects/iris/report?last=100&preset=drift"));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["meta"]["current_rows"], 100);
    let petal = v["drift"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "petal_length")
        .unwrap()
        .clone();
    assert_eq!(petal["drifted"], true, "{petal}");
    assert!(v.get("summary").is_none());

    let r = get(&server.url("/api/v1/projects/iris/report?since=1h"));
    assert_eq!(r.json()["meta"]["current_rows"], 200);
    assert!(r.json().get("summary").is_some());
    let r = get(&server
        .url("/api/v1/projects/iris/report?from=2000-01-01T00:00:00Z&to=2001-01-01T00:00:00Z"));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("holds 0 events"), "{}", r.body);

    let r = get(&server.url("/api/v1/projects/iris/report?last=50&format=html"));
    assert_eq!(r.status, 200);
    assert!(
        r.content_type.starts_with("text/html"),
        "{}",
        r.content_type
    );
    assert!(r.body.contains("petal_length"));
    let r = call(
        "GET",
        &server.url("/api/v1/projects/iris/report?last=3"),
        &[("Accept", "text/html")],
        None,
    );
    assert_eq!(r.status, 422);
    assert!(r.content_type.starts_with("text/html"));
    assert!(r.body.contains("at least 10"), "{}", r.body);

    // A window larger than schedule.max_rows is thinned evenly, and says so.
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/iris"),
        &[("Content-Type", "application/json")],
        Some(br#"{"schedule": {"max_rows": 50}}"#),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let v = get(&server.url("/api/v1/projects/iris/report?last=200&preset=drift")).json();
    assert_eq!(v["meta"]["current_rows"], 50, "{v}");
    assert!(
        v["meta"]["current"].as_str().unwrap().contains("50 of 200"),
        "{}",
        v["meta"]
    );

    for bad in [
        "last=0",
        "since=soon",
        "last=5&since=1h",
        "preset=nope",
        "format=pdf",
        "from=yesterday",
    ] {
        let r = get(&server.url(&format!("/api/v1/projects/iris/report?{bad}")));
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert!(r.json()["error"].is_string());
    }
}

#[test]
fn snapshots_series_and_metrics() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, WEIRD);
    let base = format!("/api/v1/projects/{}", seg(WEIRD));
    assert_eq!(
        post_json(
            &server.url(&format!("{base}/events")),
            &iris_events(60, 3.0)
        )
        .status,
        200
    );
    for _ in 0..2 {
        let a = call("POST", &server.url(&format!("{base}/snapshots")), &[], None);
        assert_eq!(a.status, 201, "{}", a.body);
    }
    let list = get(&server.url(&format!("{base}/snapshots"))).json();
    let snaps = list["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 2);
    assert_eq!(snaps[0]["rows"], 60);
    let id = snaps[0]["id"].as_i64().unwrap();
    let full = get(&server.url(&format!("{base}/snapshots/{id}"))).json();
    assert_eq!(full["meta"]["current_rows"], 60);

    let s = get(&server.url(&format!(
        "{base}/series?metric=drift_score&column=petal_length"
    )))
    .json();
    let points = s["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    assert!(points[0][1].as_f64().unwrap() < 0.05, "{s}");
    let s = get(&server.url(&format!("{base}/series?metric=drifted_share"))).json();
    assert_eq!(s["points"].as_array().unwrap().len(), 2);
    assert_eq!(get(&server.url(&format!("{base}/series"))).status, 400);
    // A metric snapshots never record is a mistake to name, not an empty series.
    let a = get(&server.url(&format!("{base}/series?metric=drift_scor")));
    assert_eq!(a.status, 400, "{}", a.body);
    let error = a.json()["error"].as_str().unwrap().to_string();
    assert!(
        error.contains("unknown metric `drift_scor`: did you mean `drift_score`"),
        "{error}"
    );

    let m = get(&server.url("/metrics"));
    assert!(
        m.content_type.starts_with("text/plain; version=0.0.4"),
        "{}",
        m.content_type
    );
    let escaped = "fraud \\\"v2\\\" </script>/ü\\\\模型";
    let line =
        format!("modelwatch_column_drifted{{project=\"{escaped}\",column=\"petal_length\"}} 1.0");
    assert!(m.body.contains(&line), "{line}\n{}", m.body);
    assert!(m.body.contains(&format!(
        "modelwatch_ingest_events_accepted_total{{project=\"{escaped}\"}} 60.0"
    )));
    assert!(
        m.body.contains(&format!(
            "modelwatch_model_errors_total{{project=\"{escaped}\"}} 3.0"
        )),
        "{}",
        m.body
    );
    assert!(m.body.contains(&format!(
        "modelwatch_window_rows{{project=\"{escaped}\"}} 60.0"
    )));
    // From the snapshot's summary of the reference (Iris has no missing values), the
    // baseline of the `missing_share_excess` alert metric.
    assert!(
        m.body.contains(&format!(
            "modelwatch_reference_missing_values_share{{project=\"{escaped}\"}} 0.0"
        )),
        "{}",
        m.body
    );
    assert!(m.body.contains("modelwatch_http_requests_total{route=\"/api/v1/projects/{project}/snapshots\",method=\"POST\",code=\"201\"} 2.0"), "{}", m.body);
    assert!(m
        .body
        .contains("# TYPE modelwatch_http_request_duration_seconds histogram"));

    let om = call(
        "GET",
        &server.url("/metrics"),
        &[("Accept", "application/openmetrics-text; version=1.0.0")],
        None,
    );
    assert!(om.content_type.starts_with("application/openmetrics-text"));
    assert!(om.body.ends_with("# EOF\n"));
    assert!(om
        .body
        .contains("# TYPE modelwatch_ingest_events_accepted counter"));

    // The latest snapshot survives a restart.
    let dir = server.into_dir();
    let server = TestServer::start_in(dir, ServerConfig::default());
    let m = get(&server.url("/metrics"));
    assert!(m.body.contains(&line), "{}", m.body);
}

#[test]
fn tokens_scopes_limits_and_request_ids() {
    let config = ServerConfig {
        tokens: vec![
            Token {
                token: "writer-token-123".into(),
                scopes: vec![Scope::Read, Scope::Write],
            },
            Token {
                token: "reader-token-123".into(),
                scopes: vec![Scope::Read],
            },
        ],
        max_body_bytes: 4096,
        ..ServerConfig::default()
    };
    let server = TestServer::start(config);
    let w = [
        ("Authorization", "Bearer writer-token-123"),
        ("Content-Type", "application/json"),
    ];
    let r = [
        ("Authorization", "Bearer reader-token-123"),
        ("Content-Type", "application/json"),
    ];
    let create = br#"{"name": "p"}"#;
    let url = server.url("/api/v1/projects");
    assert_eq!(
        call(
            "POST",
            &url,
            &[("Content-Type", "application/json")],
            Some(create)
        )
        .status,
        401
    );
    assert_eq!(call("POST", &url, &r, Some(create)).status, 401);
    let bad = [("Authorization", "Bearer writer-token-124")];
    let a = call("GET", &url, &bad, None);
    assert_eq!(a.status, 401);
    assert_eq!(a.json()["error"], "unauthorized");
    assert_eq!(call("POST", &url, &w, Some(create)).status, 201);
    assert_eq!(call("GET", &url, &r, None).status, 200);
    assert_eq!(get(&url).status, 401);
    assert_eq!(get(&server.url("/healthz")).status, 200);
    assert_eq!(get(&server.url("/readyz")).status, 200);
    assert_eq!(get(&server.url("/metrics")).status, 200);

    let big = vec![b' '; 10_000];
    let a = call(
        "POST",
        &server.url("/api/v1/projects/p/events"),
        &w,
        Some(&big),
    );
    assert_eq!(a.status, 413);
    assert!(
        a.json()["error"].as_str().unwrap().contains("4096"),
        "{}",
        a.body
    );

    let a = call(
        "GET",
        &url,
        &[
            ("Authorization", "Bearer reader-token-123"),
            ("x-request-id", "abc-1"),
        ],
        None,
    );
    assert_eq!(a.request_id.as_deref(), Some("abc-1"));
    assert!(get(&server.url("/healthz")).request_id.is_some());
    assert_eq!(get(&server.url("/nothing/here")).status, 401);
    assert_eq!(
        call("GET", &server.url("/nothing/here"), &r, None).status,
        404
    );
}

#[test]
fn shutdown_during_load_loses_no_acknowledged_event() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let url = server.url("/api/v1/projects/iris/events");
    let acknowledged = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            let ack = acknowledged.clone();
            std::thread::spawn(move || {
                let body = iris_events(20, 0.0);
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                for _ in 0..10_000 {
                    match agent
                        .post(&url)
                        .header("Content-Type", "application/json")
                        .send(body.as_bytes())
                    {
                        Ok(r) if r.status() == 200 => {
                            ack.fetch_add(20, std::sync::atomic::Ordering::SeqCst);
                        }
                        _ => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let db = server.db.clone();
    let _dir = server.into_dir();
    for c in clients {
        c.join().unwrap();
    }
    let acked = acknowledged.load(std::sync::atomic::Ordering::SeqCst);
    assert!(acked > 0);
    let store = SqliteStore::open(&db, Durability::Normal).unwrap();
    let stored = store.count_events("iris").unwrap();
    // Every acknowledged event is stored; a request cut by the shutdown may have been
    // stored without its answer arriving.
    assert!(stored >= acked, "stored {stored} < acknowledged {acked}");
    assert!(
        stored - acked <= 4 * 20,
        "stored {stored}, acknowledged {acked}"
    );
}

#[test]
fn late_labels_feed_classification_quality_in_windows_and_snapshots() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let settings = br#"{"columns": {"target": "species", "prediction": "prediction"},
                        "presets": ["drift", "summary", "classification"],
                        "schedule": {"interval": "0s", "min_rows": 5}}"#;
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/iris"),
        &[("Content-Type", "application/json")],
        Some(settings),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    // 40 predictions without the true species; it arrives later for every event.
    let species = ["setosa", "versicolor", "virginica"];
    let events: Vec<serde_json::Value> = (0..40)
        .map(|i| {
            serde_json::json!({
                "id": i,
                "sepal_length": 5.0 + (i % 10) as f64 / 10.0,
                "petal_length": 1.0 + (i % 30) as f64 / 5.0,
                "prediction": species[i % 3],
            })
        })
        .collect();
    let a = post_json(
        &server.url("/api/v1/projects/iris/events"),
        &serde_json::Value::Array(events).to_string(),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        a.json()["unknown_columns"].as_object().unwrap().is_empty(),
        "{}",
        a.body
    );
    // Before the labels: snapshots still run (without model quality); an explicit
    // classification report says why it cannot be made.
    let a = call(
        "POST",
        &server.url("/api/v1/projects/iris/snapshots"),
        &[],
        None,
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.json()["id"].as_i64().unwrap();
    let snap = get(&server.url(&format!("/api/v1/projects/iris/snapshots/{id}"))).json();
    assert!(snap.get("drift").is_some() && snap.get("classification").is_none());
    let r = get(&server.url("/api/v1/projects/iris/report?last=40&preset=classification"));
    assert_eq!(r.status, 422, "{}", r.body);
    // The truth: correct for i % 4 != 0, so accuracy is 30 / 40.
    let labels: Vec<serde_json::Value> = (0..40)
        .map(|i| {
            let truth = if i % 4 == 0 {
                species[(i + 1) % 3]
            } else {
                species[i % 3]
            };
            serde_json::json!({"id": i.to_string(), "target": truth})
        })
        .collect();
    let a = post_json(
        &server.url("/api/v1/projects/iris/labels"),
        &serde_json::Value::Array(labels).to_string(),
    );
    assert_eq!(a.json()["joined"], 40, "{}", a.body);

    let r = get(&server.url("/api/v1/projects/iris/report?last=40&preset=classification"));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["classification"]["current"]["accuracy"], 0.75, "{v}");

    assert_eq!(
        call(
            "POST",
            &server.url("/api/v1/projects/iris/snapshots"),
            &[],
            None
        )
        .status,
        201
    );
    let s = get(&server.url("/api/v1/projects/iris/series?metric=quality.accuracy")).json();
    assert_eq!(s["points"].as_array().unwrap().len(), 1, "{s}");
    assert_eq!(s["points"][0][1], 0.75, "{s}");
    let m = get(&server.url("/metrics")).body;
    assert!(
        m.contains("modelwatch_model_quality{project=\"iris\",metric=\"accuracy\"} 0.75"),
        "{m}"
    );
    let share = "modelwatch_prediction_class_share{project=\"iris\",class=\"setosa\"}";
    assert!(m.contains(share), "{m}");
    assert!(
        m.contains("modelwatch_labels_joined_total{project=\"iris\"} 40.0"),
        "{m}"
    );
}

#[test]
fn refused_query_strings_paths_and_methods_answer_in_json() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let json_error = |a: &Answer| -> String {
        assert!(
            a.content_type.starts_with("application/json"),
            "{} {}",
            a.content_type,
            a.body
        );
        a.json()["error"].as_str().unwrap().to_string()
    };
    // A query string that does not parse: `last` is a number.
    let r = get(&server.url("/api/v1/projects/iris/report?last=abc"));
    assert_eq!(r.status, 400);
    let message = json_error(&r);
    assert!(message.contains("query string"), "{message}");
    assert!(message.contains("last"), "{message}");
    // The same for the other resources' query strings.
    let r = get(&server.url("/api/v1/projects/iris/snapshots?limit=many"));
    assert_eq!(r.status, 400);
    assert!(json_error(&r).contains("limit"), "{}", r.body);
    let r = call(
        "POST",
        &server.url("/api/v1/projects/iris/events?atomic=maybe"),
        &[("Content-Type", "application/json")],
        Some(iris_events(3, 0.0).as_bytes()),
    );
    assert_eq!(r.status, 400);
    assert!(json_error(&r).contains("atomic"), "{}", r.body);
    let r = get(&server.url("/api/v1/alerts/history?limit=-1"));
    assert_eq!(r.status, 400);
    assert!(json_error(&r).contains("limit"), "{}", r.body);
    // A path segment that is not a number.
    let r = get(&server.url("/api/v1/projects/iris/snapshots/first"));
    assert_eq!(r.status, 400);
    assert!(json_error(&r).contains("first"), "{}", r.body);
    // A method the route does not have.
    let r = call("POST", &server.url("/api/v1/projects/iris"), &[], None);
    assert_eq!(r.status, 405);
    assert!(json_error(&r).contains("method"), "{}", r.body);
    let (status, headers, _) = raw("POST", &server.url("/api/v1/projects/iris"), &[], None);
    assert_eq!(status, 405);
    let allow = header(&headers, "allow").unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("PUT"), "{allow}");
}
