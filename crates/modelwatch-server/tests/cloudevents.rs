//! `POST /api/v1/cloudevents` on a real server: the KServe and Seldon payload loggers'
//! events from `tests/fixtures/cloudevents/` (exact headers and bodies, see its README),
//! in binary, structured and batched modes, out of order and duplicated, with expiry,
//! feedback labels and bad input.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use base64::Engine;
use common::failing_store::FailingWrites;
use common::*;
use modelwatch_server::config::ServerConfig;
use modelwatch_server::store::sqlite::{Durability, SqliteStore};
use modelwatch_server::store::{Store, StoredEvent, WindowQuery};
use serde_json::{json, Value};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/cloudevents"
);

/// A fixture request: its headers and body.
struct Fixture {
    headers: Vec<(String, String)>,
    body: String,
}

fn fixture(name: &str) -> Fixture {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap();
    let (head, body) = text
        .split_once("\n\n")
        .expect("headers, a blank line, the body");
    let mut lines = head.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("POST /api/v1/cloudevents"));
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    Fixture {
        headers,
        body: body.trim_end().to_string(),
    }
}

impl Fixture {
    fn header(&self, name: &str) -> &str {
        &self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .unwrap()
            .1
    }

    /// The same event in structured mode: its `ce-` headers as attributes, the body as
    /// `data` (JSON) or `data_base64`.
    fn structured(&self, base64: bool) -> Value {
        let mut o = serde_json::Map::new();
        for (k, v) in &self.headers {
            let k = k.to_ascii_lowercase();
            if let Some(attr) = k.strip_prefix("ce-") {
                o.insert(attr.to_string(), json!(v));
            } else if k == "content-type" {
                o.insert("datacontenttype".into(), json!(v));
            }
        }
        if base64 {
            let b = base64::engine::general_purpose::STANDARD.encode(&self.body);
            o.insert("data_base64".into(), json!(b));
        } else {
            o.insert("data".into(), serde_json::from_str(&self.body).unwrap());
        }
        Value::Object(o)
    }
}

fn send_binary(server: &TestServer, f: &Fixture) -> Answer {
    let headers: Vec<(&str, &str)> = f
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    call(
        "POST",
        &server.url("/api/v1/cloudevents"),
        &headers,
        Some(f.body.as_bytes()),
    )
}

fn send_as(server: &TestServer, content_type: &str, body: &str) -> Answer {
    call(
        "POST",
        &server.url("/api/v1/cloudevents"),
        &[("Content-Type", content_type)],
        Some(body.as_bytes()),
    )
}

fn ok(a: &Answer) -> Value {
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()
}

/// A project table on a reference written into `dir`, without scheduled snapshots.
fn project(dir: &std::path::Path, name: &str, csv: &str, columns: &str) -> String {
    let path: PathBuf = dir.join(format!("{name}.csv"));
    std::fs::write(&path, csv).unwrap();
    format!(
        "[[projects]]\nname = \"{name}\"\nreference = \"{}\"\npresets = [\"drift\"]\n\
         [projects.schedule]\ninterval = \"0s\"\n[projects.columns]\n{columns}\n",
        path.display()
    )
}

fn reference(header: &str, row: impl Fn(usize) -> String) -> String {
    let mut s = format!("{header}\n");
    for i in 0..20 {
        s.push_str(&row(i));
        s.push('\n');
    }
    s
}

/// The server with the three sample projects: `iris` (KServe v1, through a route naming
/// its columns), `sklearn-v2-iris` (KServe v2, by its service name, default column names)
/// and `seldon-model` (Seldon, with a target for the feedback).
fn start(extra: &str) -> (TestServer, tempfile::TempDir) {
    let (config, dir) = sample_config(extra);
    (TestServer::start(config), dir)
}

/// The config of [`start`], with the folder holding its references.
fn sample_config(extra: &str) -> (ServerConfig, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let f = |i: usize| i as f64 / 10.0;
    let iris = reference("sl,sw,pl,pw,prediction", |i| {
        format!("{},{},{},{},{}", 5.0 + f(i), 3.0, 4.0 + f(i), 1.0, i % 3)
    });
    let v2 = reference("input-0_0,input-0_1,input-0_2,input-0_3,prediction", |i| {
        format!("{},{},{},{},{}", 5.0 + f(i), 3.0, 4.0 + f(i), 1.0, i % 3)
    });
    let seldon = reference("a,b,proba,label", |i| {
        format!("{},{},{},{}", f(i), 2.0 * f(i), f(i) / 2.0, i % 2)
    });
    let config = format!(
        "{extra}\n{}{}{}\
         [[cloudevents.routes]]\ninferenceservicename = \"sklearn-iris\"\nproject = \"iris\"\n\
         [cloudevents.routes.tensor_columns]\ninstances = [\"sl\", \"sw\", \"pl\", \"pw\"]\n",
        project(dir.path(), "iris", &iris, "prediction = \"prediction\""),
        project(
            dir.path(),
            "sklearn-v2-iris",
            &v2,
            "prediction = \"prediction\""
        ),
        project(
            dir.path(),
            "seldon-model",
            &seldon,
            "prediction = \"proba\"\ntarget = \"label\""
        ),
    );
    (config_from_toml(&config), dir)
}

/// Stops the server (waiting halves are stored alone then) and reads a project's events.
fn stored(server: TestServer, project: &str) -> Vec<StoredEvent> {
    let db = server.db.clone();
    let _dir = server.into_dir();
    let store = SqliteStore::open(&db, Durability::Normal).unwrap();
    store.events(project, WindowQuery::Last(1000)).unwrap()
}

fn values(e: &StoredEvent) -> Value {
    serde_json::from_str(&e.values_json).unwrap()
}

fn metric(server: &TestServer, line_start: &str) -> Option<f64> {
    let body = get(&server.url("/metrics")).body;
    body.lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
}

#[test]
fn kserve_v1_pairs_join_out_of_order_and_duplicates_are_stored_once() {
    let (server, _dir) = start("");
    let request = fixture("kserve-v1-request.http");
    let response = fixture("kserve-v1-response.http");
    let id = request.header("Ce-Id").to_string();

    // The response first, twice (at-least-once delivery): it waits, then is a duplicate.
    let a = ok(&send_binary(&server, &response));
    assert_eq!(
        (a["waiting"].clone(), a["stored_events"].clone()),
        (json!(1), json!(0))
    );
    let a = ok(&send_binary(&server, &response));
    assert_eq!(a["duplicates"], 1);
    // The request completes the pair: both rows are committed before the answer.
    let a = ok(&send_binary(&server, &request));
    assert_eq!(a["joined"], 1);
    assert_eq!(a["stored_events"], 2);
    // Delivered again after the join: dropped.
    let a = ok(&send_binary(&server, &request));
    assert_eq!(
        (a["duplicates"].clone(), a["stored_events"].clone()),
        (json!(1), json!(0))
    );

    let m = |outcome: &str| {
        metric(
            &server,
            &format!("modelwatch_cloudevents_total{{outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!(m("joined"), Some(1.0));
    assert_eq!(m("duplicate"), Some(2.0));
    assert_eq!(
        metric(
            &server,
            "modelwatch_ingest_events_accepted_total{project=\"iris\"}"
        ),
        Some(2.0)
    );
    // KServe logs a response only for a 200 answer: the pair's rows count as 200s.
    assert_eq!(
        metric(
            &server,
            "modelwatch_model_requests_total{project=\"iris\",code=\"200\"}"
        ),
        Some(2.0)
    );

    // Latency: the response's ce-time minus the request's, 25 ms for each row.
    assert_eq!(
        metric(
            &server,
            "modelwatch_model_latency_seconds_count{project=\"iris\"}"
        ),
        Some(2.0)
    );
    let sum = metric(
        &server,
        "modelwatch_model_latency_seconds_sum{project=\"iris\"}",
    )
    .unwrap();
    assert!((sum - 0.05).abs() < 1e-9, "{sum}");

    let events = stored(server, "iris");
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0].event_id.as_deref(),
        Some(format!("{id}:0").as_str())
    );
    assert_eq!(
        events[1].event_id.as_deref(),
        Some(format!("{id}:1").as_str())
    );
    // The request's time (ce-time, to the microsecond; its nanoseconds are cut).
    assert_eq!(events[0].ts_us, 1_714_550_400_123_456);
    assert_eq!(
        values(&events[1]),
        json!({"sl": 6.0, "sw": 3.4, "pl": 4.5, "pw": 1.6, "prediction": 1})
    );
}

#[test]
fn kserve_v2_in_structured_and_batched_modes() {
    let (server, _dir) = start("");
    let request = fixture("kserve-v2-request.http");
    let response = fixture("kserve-v2-response.http");
    // Structured: the request with `data`, the response with `data_base64`.
    let a = ok(&send_as(
        &server,
        "application/cloudevents+json",
        &request.structured(false).to_string(),
    ));
    assert_eq!(a["waiting"], 1);
    let a = ok(&send_as(
        &server,
        "application/cloudevents+json; charset=utf-8",
        &response.structured(true).to_string(),
    ));
    assert_eq!(
        (a["joined"].clone(), a["stored_events"].clone()),
        (json!(1), json!(2))
    );

    // Batched: a KServe v1 pair in one request, the response from the structured fixture.
    let v1_request = fixture("kserve-v1-request.http").structured(false);
    let v1_response: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{FIXTURES}/kserve-v1-response.structured.json")).unwrap(),
    )
    .unwrap();
    let a = ok(&send_as(
        &server,
        "application/cloudevents-batch+json",
        &json!([v1_response, v1_request]).to_string(),
    ));
    assert_eq!(a["received"], 2);
    assert_eq!(
        (a["joined"].clone(), a["stored_events"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(
        metric(
            &server,
            "modelwatch_ingest_events_accepted_total{project=\"iris\"}"
        ),
        Some(2.0)
    );

    let events = stored(server, "sklearn-v2-iris");
    assert_eq!(events.len(), 2);
    // One input tensor of shape [2, 4]: `<name>_<i>` columns; the one output is the
    // prediction.
    assert_eq!(
        values(&events[0]),
        json!({"input-0_0": 6.8, "input-0_1": 2.8, "input-0_2": 4.8, "input-0_3": 1.4,
               "prediction": 1})
    );
    assert_eq!(values(&events[1])["prediction"], 2);
}

#[test]
fn seldon_pairs_join_by_request_id_and_feedback_becomes_labels() {
    let (server, _dir) = start("");
    let request = fixture("seldon-request.http");
    let response = fixture("seldon-response.http");
    let feedback = fixture("seldon-feedback.http");
    let puid = request.header("Ce-Requestid").to_string();
    // Request and response have their own `ce-id`s: joined by `ce-requestid`.
    assert_ne!(request.header("Ce-Id"), response.header("Ce-Id"));
    assert_eq!(ok(&send_binary(&server, &request))["waiting"], 1);
    let a = ok(&send_binary(&server, &response));
    assert_eq!(
        (a["joined"].clone(), a["stored_events"].clone()),
        (json!(1), json!(1))
    );
    // The feedback's truth reaches the stored event as its label.
    let a = ok(&send_binary(&server, &feedback));
    assert_eq!(a["labels_joined"], 1);
    assert_eq!(
        metric(
            &server,
            "modelwatch_labels_joined_total{project=\"seldon-model\"}"
        ),
        Some(1.0)
    );

    // A second inference whose feedback comes before its response: the truth waits with
    // the pair and is stored in the target column.
    let other = |f: &Fixture| {
        let mut f = Fixture {
            headers: f.headers.clone(),
            body: f.body.clone(),
        };
        for (k, v) in f.headers.iter_mut() {
            if k == "Ce-Requestid" {
                *v = "second".into();
            }
            if k == "Ce-Id" {
                v.push_str("-2");
            }
        }
        f
    };
    let truth = other(&feedback);
    let truth = Fixture {
        body: truth.body.replace("[[1]]", "[[0]]"),
        headers: truth.headers,
    };
    assert_eq!(ok(&send_binary(&server, &other(&request)))["waiting"], 1);
    assert_eq!(ok(&send_binary(&server, &truth))["labels_joined"], 0);
    assert_eq!(ok(&send_binary(&server, &other(&response)))["joined"], 1);

    let events = stored(server, "seldon-model");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].event_id.as_deref(), Some(puid.as_str()));
    assert_eq!(events[0].label_json.as_deref(), Some("1"));
    assert_eq!(
        values(&events[0]),
        json!({"a": 1.0, "b": 2.0, "proba": 0.43782349911420193})
    );
    assert_eq!(events[1].event_id.as_deref(), Some("second"));
    assert_eq!(values(&events[1])["label"], 0);
}

#[test]
fn a_request_whose_response_never_comes_is_stored_alone_after_the_timeout() {
    let (server, _dir) = start("[cloudevents]\njoin_timeout = \"200ms\"\n");
    let request = fixture("kserve-v1-request.http");
    assert_eq!(ok(&send_binary(&server, &request))["waiting"], 1);
    wait_for(
        "the request to be given up",
        Duration::from_secs(20),
        || {
            metric(
                &server,
                "modelwatch_cloudevents_total{outcome=\"request_only\"}",
            ) == Some(1.0)
        },
    );
    assert_eq!(
        metric(
            &server,
            "modelwatch_ingest_events_accepted_total{project=\"iris\"}"
        ),
        Some(2.0)
    );
    // The response arriving after its request was given up is stored alone at once.
    let a = ok(&send_binary(&server, &fixture("kserve-v1-response.http")));
    assert_eq!(
        (a["late"].clone(), a["stored_events"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(
        metric(
            &server,
            "modelwatch_cloudevents_total{outcome=\"response_only\"}"
        ),
        Some(1.0)
    );
    let events = stored(server, "iris");
    assert_eq!(events.len(), 4);
    let alone: Vec<Value> = events.iter().map(values).collect();
    assert!(alone
        .iter()
        .any(|v| v == &json!({"sl": 6.8, "sw": 2.8, "pl": 4.8, "pw": 1.4})));
    assert!(alone.iter().any(|v| v == &json!({"prediction": 1})));
}

#[test]
fn bad_input_is_refused_with_the_reason_and_nothing_is_stored() {
    let (server, _dir) =
        start("[[tokens]]\ntoken = \"writer-token\"\nscopes = [\"write\", \"read\"]\n");
    let request = fixture("kserve-v1-request.http");
    let auth = ("Authorization", "Bearer writer-token");
    let send = |f: &Fixture| {
        let mut headers: Vec<(&str, &str)> = f
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        headers.push(auth);
        call(
            "POST",
            &server.url("/api/v1/cloudevents"),
            &headers,
            Some(f.body.as_bytes()),
        )
    };
    let send_ct = |ct: &str, body: &str| {
        call(
            "POST",
            &server.url("/api/v1/cloudevents"),
            &[("Content-Type", ct), auth],
            Some(body.as_bytes()),
        )
    };
    let without = |name: &str| Fixture {
        headers: request
            .headers
            .iter()
            .filter(|(k, _)| k != name)
            .cloned()
            .collect(),
        body: request.body.clone(),
    };
    let with = |name: &str, value: &str, body: &str| {
        let mut f = without(name);
        f.headers.push((name.to_string(), value.to_string()));
        f.body = body.to_string();
        f
    };
    let refused = |a: Answer, status: u16, needle: &str| {
        assert_eq!(a.status, status, "{}", a.body);
        let e = a.json()["error"].as_str().unwrap().to_string();
        assert!(e.contains(needle), "`{needle}` not in {e}");
        assert!(e.contains("nothing was stored"), "{e}");
    };

    // Ingestion needs a write token, as the events route does.
    assert_eq!(send_binary(&server, &request).status, 401);
    refused(
        send(&without("Ce-Specversion")),
        400,
        "no `specversion` attribute (header ce-specversion)",
    );
    refused(send(&without("Ce-Id")), 400, "`id`");
    refused(
        send(&with("Ce-Type", "com.example.unknown", &request.body)),
        422,
        "`type` `com.example.unknown`",
    );
    refused(
        send(&with("Ce-Specversion", "1.0", "{\"instances\": [1, 2")),
        422,
        "the data is not JSON",
    );
    refused(
        send(&with("Ce-Inferenceservicename", "nobody", &request.body)),
        404,
        "project `nobody`",
    );
    let bad_b64 = json!({"specversion": "1.0", "id": "x", "source": "s",
                         "type": "org.kubeflow.serving.inference.request",
                         "inferenceservicename": "sklearn-iris", "data_base64": "%%% not base64"});
    refused(
        send_ct("application/cloudevents+json", &bad_b64.to_string()),
        400,
        "`data_base64` is not base64",
    );
    let mut v2 = fixture("kserve-v2-request.http");
    v2.body = v2.body.replace("[6.0, 3.4, 4.5, 1.6]", "[6.0, 3.4, 4.5]");
    refused(
        send(&v2),
        422,
        "tensor `input-0`: shape [2, 4] holds 8 values but `data` has 7",
    );
    // A batch with one bad event stores nothing, not even the good one: its partner then
    // waits instead of joining.
    let good = request.structured(false);
    let mut bad = fixture("kserve-v1-response.http").structured(false);
    bad.as_object_mut().unwrap().remove("specversion");
    refused(
        send_ct(
            "application/cloudevents-batch+json",
            &json!([good, bad]).to_string(),
        ),
        400,
        "event 1 of the batch: the CloudEvent has no `specversion` attribute",
    );
    let a = send(&fixture("kserve-v1-response.http"));
    assert_eq!(a.json()["waiting"], 1, "{}", a.body);
    // Not a CloudEvent at all.
    refused(send_ct("application/json", "{}"), 400, "not a CloudEvent");

    // Nine refusals (the 401 never reached the route); no event of any project stored.
    assert_eq!(
        metric(
            &server,
            "modelwatch_cloudevents_total{outcome=\"rejected\"}"
        ),
        Some(9.0)
    );
    let metrics = get(&server.url("/metrics")).body;
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("modelwatch_ingest_events_accepted_total{")),
        "{metrics}"
    );
    // At shutdown the valid response still waiting is stored alone: its two rows only.
    let events = stored(server, "iris");
    let rows: Vec<Value> = events.iter().map(values).collect();
    assert_eq!(
        rows,
        vec![json!({"prediction": 1}), json!({"prediction": 1})]
    );
}

#[test]
fn a_pair_whose_rows_do_not_fit_the_schema_is_refused_whole() {
    let (server, _dir) = start("");
    let request = fixture("kserve-v1-request.http");
    // The second row's `sl` is text in a numerical column: the pair's first row is not
    // stored either.
    let bad = Fixture {
        headers: request.headers.clone(),
        body: request.body.replace("[6.0,", "[\"wide\","),
    };
    assert_eq!(ok(&send_binary(&server, &bad))["waiting"], 1);
    let a = send_binary(&server, &fixture("kserve-v1-response.http"));
    assert_eq!(a.status, 422, "{}", a.body);
    let v = a.json();
    assert_eq!(v["stored_events"], 0);
    let reason = v["rejected"][0].as_str().unwrap();
    assert!(reason.contains("row 1: column `sl`"), "{reason}");
    assert_eq!(
        metric(
            &server,
            "modelwatch_cloudevents_total{outcome=\"rejected\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &server,
            "modelwatch_ingest_events_rejected_total{project=\"iris\",reason=\"invalid_value\"}"
        ),
        Some(1.0)
    );
    assert!(stored(server, "iris").is_empty());
}

/// Sends a fixture in binary mode; returns (status, Retry-After, body).
fn send_raw(server: &TestServer, f: &Fixture) -> (u16, Option<String>, String) {
    let headers: Vec<(&str, &str)> = f
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, hs, body) = raw(
        "POST",
        &server.url("/api/v1/cloudevents"),
        &headers,
        Some(&f.body),
    );
    (status, header(&hs, "retry-after").map(str::to_string), body)
}

/// The events of `project` in the SQLite file at `db`, read once the server has stopped.
fn stored_in(mut server: TestServer, db: &std::path::Path, project: &str) -> Vec<StoredEvent> {
    server.stop();
    let store = SqliteStore::open(db, Durability::Normal).unwrap();
    store.events(project, WindowQuery::Last(1000)).unwrap()
}

#[test]
fn a_pair_whose_commit_failed_is_stored_once_by_the_loggers_retry() {
    let (config, dir) = sample_config("");
    let db = dir.path().join("store.db");
    let (store, full) = FailingWrites::open(&db);
    let server = TestServer::start_with_store(std::sync::Arc::new(store), config);
    let request = fixture("kserve-v1-request.http");
    let response = fixture("kserve-v1-response.http");

    // The request is acknowledged: it waits for its response.
    assert_eq!(ok(&send_binary(&server, &request))["waiting"], 1);
    // The store fails: the response completing the pair is answered 503 with Retry-After.
    full.store(true, Ordering::SeqCst);
    let (status, retry_after, body) = send_raw(&server, &response);
    assert_eq!((status, retry_after.as_deref()), (503, Some("1")), "{body}");
    assert!(body.contains("disk is full"), "{body}");
    // The store is back: the logger's retry of the response completes the pair.
    full.store(false, Ordering::SeqCst);
    let a = ok(&send_binary(&server, &response));
    assert_eq!(
        (
            a["joined"].clone(),
            a["duplicates"].clone(),
            a["stored_events"].clone()
        ),
        (json!(1), json!(0), json!(2))
    );
    // Sent once more: a duplicate, nothing more stored.
    let a = ok(&send_binary(&server, &response));
    assert_eq!(
        (a["duplicates"].clone(), a["stored_events"].clone()),
        (json!(1), json!(0))
    );
    let m = |outcome: &str| {
        metric(
            &server,
            &format!("modelwatch_cloudevents_total{{outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!(m("commit_failed"), Some(1.0));
    assert_eq!(m("joined"), Some(1.0));
    assert_eq!(m("request_only"), None);

    // Exactly one event per row of the pair, each with its inputs and its prediction.
    let events = stored_in(server, &db, "iris");
    assert_eq!(events.len(), 2);
    assert_eq!(
        values(&events[1]),
        json!({"sl": 6.0, "sw": 3.4, "pl": 4.5, "pw": 1.6, "prediction": 1})
    );
}

/// A server with `shutdown_timeout`, over a store that fails writes once a KServe request
/// half is waiting for its response: the server, the switch of the failure, the store's
/// file and its folder.
fn half_waiting_as_the_store_fails(
    shutdown_timeout: &str,
) -> (TestServer, Arc<AtomicBool>, PathBuf, tempfile::TempDir) {
    let (config, dir) = sample_config(&format!("shutdown_timeout = \"{shutdown_timeout}\"\n"));
    let db = dir.path().join("store.db");
    let (store, full) = FailingWrites::open(&db);
    let server = TestServer::start_with_store(std::sync::Arc::new(store), config);
    let request = fixture("kserve-v1-request.http");
    assert_eq!(ok(&send_binary(&server, &request))["waiting"], 1);
    full.store(true, Ordering::SeqCst);
    (server, full, db, dir)
}

/// A half still waiting when the server stops is stored alone; while the store fails it is
/// tried again (up to `shutdown_timeout`) and it lands once the store is back, before the
/// server has stopped.
#[test]
fn a_half_waiting_at_shutdown_while_the_store_fails_lands_when_the_store_is_back() {
    let (mut server, full, db, _dir) = half_waiting_as_the_store_fails("20s");
    let stopping = std::thread::spawn(move || {
        server.stop();
        server
    });
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        !stopping.is_finished(),
        "the server keeps trying the store before it stops"
    );
    full.store(false, Ordering::SeqCst);
    drop(stopping.join().unwrap());
    let store = SqliteStore::open(&db, Durability::Normal).unwrap();
    let events = store.events("iris", WindowQuery::Last(10)).unwrap();
    // The request's two instances, stored without predictions.
    assert_eq!(events.len(), 2);
    assert_eq!(
        values(&events[0]),
        json!({"sl": 6.8, "sw": 2.8, "pl": 4.8, "pw": 1.4})
    );
}

/// A half still waiting when the server stops, while the store fails past
/// `shutdown_timeout`: the server tries again until then and stops (it does not hang on the
/// store), and nothing of the half is stored, not even after the store is back.
#[test]
fn a_half_the_store_refuses_past_shutdown_timeout_is_given_up_and_the_server_stops() {
    let (mut server, full, db, _dir) = half_waiting_as_the_store_fails("1s");
    let started = std::time::Instant::now();
    server.stop();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_secs(10),
        "tried the store for about shutdown_timeout, then stopped: {took:?}"
    );
    full.store(false, Ordering::SeqCst);
    drop(server);
    let store = SqliteStore::open(&db, Durability::Normal).unwrap();
    assert!(store
        .events("iris", WindowQuery::Last(10))
        .unwrap()
        .is_empty());
}

/// A Seldon feedback whose labels cannot be written (the store failing) is answered 503 with
/// `Retry-After`, as the events are, so that the logger sends it again; the retry lands.
#[test]
fn a_feedback_while_the_store_fails_is_503_and_its_retry_lands() {
    let (config, dir) = sample_config("");
    let db = dir.path().join("store.db");
    let (store, full) = FailingWrites::open(&db);
    let server = TestServer::start_with_store(std::sync::Arc::new(store), config);
    let request = fixture("seldon-request.http");
    let response = fixture("seldon-response.http");
    let feedback = fixture("seldon-feedback.http");
    assert_eq!(ok(&send_binary(&server, &request))["waiting"], 1);
    assert_eq!(ok(&send_binary(&server, &response))["stored_events"], 1);

    full.store(true, Ordering::SeqCst);
    let (status, retry_after, body) = send_raw(&server, &feedback);
    assert_eq!((status, retry_after.as_deref()), (503, Some("1")), "{body}");
    assert!(body.contains("send the request again"), "{body}");
    full.store(false, Ordering::SeqCst);
    assert_eq!(ok(&send_binary(&server, &feedback))["labels_joined"], 1);
    let events = stored_in(server, &db, "seldon-model");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].label_json.as_deref(), Some("1"));
}

#[test]
fn halves_given_up_while_the_store_fails_are_stored_once_it_is_back() {
    let (config, dir) = sample_config("[cloudevents]\njoin_timeout = \"200ms\"\n");
    let db = dir.path().join("store.db");
    let (store, full) = FailingWrites::open(&db);
    let server = TestServer::start_with_store(std::sync::Arc::new(store), config);
    let request = fixture("kserve-v1-request.http");

    full.store(true, Ordering::SeqCst);
    assert_eq!(ok(&send_binary(&server, &request))["waiting"], 1);
    let m = |outcome: &str| {
        metric(
            &server,
            &format!("modelwatch_cloudevents_total{{outcome=\"{outcome}\"}}"),
        )
    };
    // Given up after the timeout, its commit fails, and it is tried again while it fails.
    wait_for("two failed commits", Duration::from_secs(20), || {
        m("commit_failed").is_some_and(|n| n >= 2.0)
    });
    assert_eq!(m("request_only"), None);
    // Sent again by a logger meanwhile: still held, so a duplicate.
    assert_eq!(ok(&send_binary(&server, &request))["duplicates"], 1);
    full.store(false, Ordering::SeqCst);
    wait_for(
        "the held request to be stored",
        Duration::from_secs(20),
        || m("request_only") == Some(1.0),
    );
    let events = stored_in(server, &db, "iris");
    assert_eq!(events.len(), 2);
    assert_eq!(
        values(&events[0]),
        json!({"sl": 6.8, "sw": 2.8, "pl": 4.8, "pw": 1.4})
    );
}

#[test]
fn model_columns_named_like_reserved_keys_are_kept_under_input_and_output() {
    let (server, _dir) = start("");
    let event = |id: &str, kind: &str, data: Value| {
        json!({"specversion": "1.0", "id": id, "source": "http://localhost:9081/",
               "type": format!("org.kubeflow.serving.inference.{kind}"),
               "inferenceservicename": "sklearn-iris", "datacontenttype": "application/json",
               "time": "2024-05-01T08:00:00Z", "data": data})
    };
    let request = event(
        "k1",
        "request",
        json!({"instances": [
            {"sl": 5.1, "sw": 3.5, "pl": 1.4, "pw": 0.2, "status": "gold", "id": 17},
            {"sl": 6.3, "sw": 3.3, "pl": 6.0, "pw": 2.5, "status": "lead", "id": 18}
        ]}),
    );
    let response = event(
        "k1",
        "response",
        json!({"predictions": [{"prediction": 0, "error": 0.1}, {"prediction": 2, "error": 0.3}]}),
    );
    let a = ok(&send_as(
        &server,
        "application/cloudevents-batch+json",
        &json!([request, response]).to_string(),
    ));
    assert_eq!(
        (a["joined"].clone(), a["stored_events"].clone()),
        (json!(1), json!(2)),
        "{a}"
    );
    // The serving facts are the logger's: a KServe pair answered 200, without error.
    assert_eq!(
        metric(
            &server,
            "modelwatch_model_requests_total{project=\"iris\",code=\"200\"}"
        ),
        Some(2.0)
    );
    assert_eq!(
        metric(&server, "modelwatch_model_errors_total{project=\"iris\"}"),
        None
    );
    let events = stored(server, "iris");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].event_id.as_deref(), Some("k1:0"));
    assert_eq!(
        values(&events[0]),
        json!({"sl": 5.1, "sw": 3.5, "pl": 1.4, "pw": 0.2, "input.status": "gold",
               "input.id": 17, "prediction": 0, "output.error": 0.1})
    );
    assert_eq!(values(&events[1])["input.status"], "lead");
}
