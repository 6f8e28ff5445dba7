//! What one request may hold: rows per ingest or labels request, columns per project and
//! per event, and the request-body bytes all requests hold together; and the project
//! listing stays small however wide a project is.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{call, config_from_toml, create_iris, get, post_json, seg, TestServer};

fn limited() -> TestServer {
    TestServer::start(config_from_toml(
        "[limits]\nrows_per_request = 10\ncolumns_per_project = 6\n",
    ))
}

fn events_stored(server: &TestServer, project: &str) -> u64 {
    get(&server.url(&format!("/api/v1/projects/{}", seg(project)))).json()["events"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_request_over_the_row_limit_is_refused_whole_with_the_setting_named() {
    let server = limited();
    create_iris(&server, "iris");
    let events = server.url("/api/v1/projects/iris/events");
    let row = r#"{"sepal_length": 5.0}"#;
    let array = |n: usize| format!("[{}]", vec![row; n].join(","));
    let lines = |n: usize| vec![row; n].join("\n");
    let csv = |n: usize| format!("sepal_length\n{}", "5.0\n".repeat(n));

    for (content_type, body) in [
        ("application/json", array(11)),
        ("application/json", lines(11)),
        ("application/x-ndjson", lines(11)),
        ("text/csv", csv(11)),
    ] {
        let a = call(
            "POST",
            &events,
            &[("Content-Type", content_type)],
            Some(body.as_bytes()),
        );
        assert_eq!(a.status, 413, "{content_type}: {}", a.body);
        let error = a.json()["error"].as_str().unwrap().to_string();
        assert!(
            error.contains("more than 10 rows") && error.contains("limits.rows_per_request"),
            "{error}"
        );
    }
    assert_eq!(events_stored(&server, "iris"), 0);

    // At the limit, every format is taken; blank lines are not rows.
    let a = post_json(&events, &array(10));
    assert_eq!(a.json()["accepted"], 10, "{}", a.body);
    let a = call(
        "POST",
        &events,
        &[("Content-Type", "text/csv")],
        Some(format!("{}\n\n\n", csv(10)).as_bytes()),
    );
    assert_eq!(a.json()["accepted"], 10, "{}", a.body);
    assert_eq!(events_stored(&server, "iris"), 20);

    // Labels follow the same limit.
    let labels: Vec<String> = (0..11)
        .map(|i| format!(r#"{{"id": {i}, "target": "setosa"}}"#))
        .collect();
    let a = post_json(
        &server.url("/api/v1/projects/iris/labels"),
        &format!("[{}]", labels.join(",")),
    );
    assert_eq!(a.status, 413, "{}", a.body);
}

#[test]
fn a_reference_or_an_event_wider_than_a_project_may_be_is_refused() {
    let server = limited();
    let header: Vec<String> = (0..7).map(|i| format!("c{i}")).collect();
    let wide_csv = format!("{}\n{}\n", header.join(","), ["1"; 7].join(","));
    let a = call(
        "POST",
        &server.url("/api/v1/projects?name=wide"),
        &[("Content-Type", "text/csv")],
        Some(wide_csv.as_bytes()),
    );
    assert_eq!(a.status, 413, "{}", a.body);
    let error = a.json()["error"].as_str().unwrap().to_string();
    assert!(
        error.contains("7 columns") && error.contains("limits.columns_per_project"),
        "{error}"
    );
    // JSON Lines whose first object is too wide is refused before it is read; one whose
    // later lines widen it is refused once read.
    let first_wide = format!(
        "{{{}}}\n",
        (0..7)
            .map(|i| format!("\"c{i}\": 1"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let later_wide = format!("{{\"c0\": 1}}\n{first_wide}");
    for body in [first_wide, later_wide] {
        let a = call(
            "POST",
            &server.url("/api/v1/projects?name=wide"),
            &[("Content-Type", "application/x-ndjson")],
            Some(body.as_bytes()),
        );
        assert_eq!(a.status, 413, "{}", a.body);
    }
    assert_eq!(get(&server.url("/api/v1/projects/wide")).status, 404);

    // A reference upload to an existing project is held to the same limit.
    create_iris(&server, "iris");
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/iris/reference"),
        &[("Content-Type", "text/csv")],
        Some(wide_csv.as_bytes()),
    );
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(
        get(&server.url("/api/v1/projects/iris")).json()["schema"]
            .as_array()
            .unwrap()
            .len(),
        5
    );

    // An event may carry the reserved keys beside the widest row: 6 + 5 keys pass, 12 not.
    let keys = |n: usize| {
        (0..n)
            .map(|i| format!("\"k{i}\": 1"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let a = post_json(
        &server.url("/api/v1/projects/iris/events"),
        &format!("[{{{}}}, {{{}}}]", keys(11), keys(12)),
    );
    let v = a.json();
    assert_eq!(v["accepted"], 1, "{}", a.body);
    assert_eq!(v["rejected"][0]["index"], 1);
    assert_eq!(
        v["rejected"][0]["reason"],
        "the row has 12 keys; at most 11 are allowed"
    );
    // A CSV body wider than that is refused whole.
    let a = call(
        "POST",
        &server.url("/api/v1/projects/iris/events"),
        &[("Content-Type", "text/csv")],
        Some(format!("{}\n{}\n", keys(12).replace(": 1", ""), ["1"; 12].join(",")).as_bytes()),
    );
    assert_eq!(a.status, 413, "{}", a.body);
}

/// A Parquet file of one integer column with `rows` rows, all the same value: a few
/// hundred bytes however many rows, as run-length encoding makes it.
fn constant_parquet(rows: usize) -> Vec<u8> {
    use std::sync::Arc;
    let column: arrow_array::ArrayRef = Arc::new(arrow_array::Int64Array::from(vec![7; rows]));
    let batch = arrow_array::RecordBatch::try_from_iter([("x", column)]).unwrap();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

#[test]
fn a_reference_of_more_cells_than_allowed_is_refused_before_it_is_read() {
    let server = TestServer::start(config_from_toml(
        "[limits]\ncolumns_per_project = 6\nreference_cells = 100\n",
    ));
    let upload = |content_type: &str, body: &[u8]| {
        call(
            "POST",
            &server.url("/api/v1/projects?name=big"),
            &[("Content-Type", content_type)],
            Some(body),
        )
    };
    // 21 rows x 5 columns of CSV; a Parquet file of 1,000 rows in a few hundred bytes;
    // JSON Lines whose lines each add a key (a sparse file, dense once read).
    let csv = format!("a,b,c,d,e\n{}", "1,2,3,4,5\n".repeat(21));
    let parquet = constant_parquet(1_000);
    assert!(parquet.len() < 2_000, "{}", parquet.len());
    let sparse: String = (0..6)
        .map(|i| format!("{{\"k{i}\": 1}}\n"))
        .collect::<String>()
        + &"{\"k0\": 1}\n".repeat(12);
    for (content_type, body) in [
        ("text/csv", csv.as_bytes()),
        ("application/vnd.apache.parquet", &parquet[..]),
        ("application/x-ndjson", sparse.as_bytes()),
    ] {
        let a = upload(content_type, body);
        assert_eq!(a.status, 413, "{content_type}: {}", a.body);
        let error = a.json()["error"].as_str().unwrap().to_string();
        assert!(error.contains("limits.reference_cells"), "{error}");
    }
    // Within the limit, each is taken.
    let a = upload(
        "text/csv",
        format!("a,b,c,d,e\n{}", "1,2,3,4,5\n".repeat(20)).as_bytes(),
    );
    assert_eq!(a.status, 201, "{}", a.body);
}

/// A vector column is as many cells as its elements: the reader makes each component a
/// column, so a Parquet list or a JSON array counts element by element before reading.
#[test]
fn vector_columns_count_every_element_against_the_cell_limit() {
    use std::sync::Arc;
    let server = TestServer::start(config_from_toml(
        "[limits]\ncolumns_per_project = 1000\nreference_cells = 100\n",
    ));
    let upload = |name: &str, content_type: &str, body: &[u8]| {
        call(
            "POST",
            &server.url(&format!("/api/v1/projects?name={name}")),
            &[("Content-Type", content_type)],
            Some(body),
        )
    };
    // 10 rows of a 20-element list: 10 rows x 1 column by the schema, 200 cells once read.
    let list = arrow_array::ListArray::from_iter_primitive::<arrow_array::types::Float64Type, _, _>(
        (0..10).map(|i| Some(vec![Some(f64::from(i)); 20])),
    );
    let column: arrow_array::ArrayRef = Arc::new(list);
    let batch = arrow_array::RecordBatch::try_from_iter([("emb", column)]).unwrap();
    let mut parquet = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut parquet, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let line = format!("{{\"emb\": [{}]}}\n", vec!["0.5"; 20].join(","));
    let jsonl = line.repeat(10);
    for (name, content_type, body) in [
        ("pq", "application/vnd.apache.parquet", &parquet[..]),
        ("jl", "application/x-ndjson", jsonl.as_bytes()),
    ] {
        let a = upload(name, content_type, body);
        assert_eq!(a.status, 413, "{content_type}: {}", a.body);
        let error = a.json()["error"].as_str().unwrap().to_string();
        assert!(error.contains("limits.reference_cells"), "{error}");
        assert!(error.contains("200 cells"), "{error}");
    }
    // Four elements a row (40 cells) are taken.
    let small = "{\"emb\": [1, 2, 3, 4]}\n".repeat(10);
    let a = upload("ok", "application/x-ndjson", small.as_bytes());
    assert_eq!(a.status, 201, "{}", a.body);
}

#[test]
fn new_settings_keep_a_stored_reference_wider_than_a_lowered_limit() {
    let mut server = TestServer::start(Default::default());
    create_iris(&server, "iris");
    server.stop();
    let server = TestServer::start_in(
        server.into_dir(),
        config_from_toml("[limits]\ncolumns_per_project = 3\n"),
    );
    assert_eq!(get(&server.url("/api/v1/projects/iris")).status, 200);
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/iris"),
        &[("Content-Type", "application/json")],
        Some(br#"{"presets": ["summary"]}"#),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    // A new reference is held to the lowered limit.
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/iris/reference"),
        &[("Content-Type", "text/csv")],
        Some(&common::iris_reference()),
    );
    assert_eq!(a.status, 413, "{}", a.body);
}

#[test]
fn the_listing_leaves_the_schema_to_the_projects_own_route() {
    let server = TestServer::start(Default::default());
    create_iris(&server, "iris");
    let list = get(&server.url("/api/v1/projects")).json();
    let p = &list["projects"][0];
    assert_eq!(p["name"], "iris");
    assert_eq!(p["columns"], 5);
    assert_eq!(p["reference_rows"], 150);
    assert!(p.get("schema").is_none(), "{p}");
    let own = get(&server.url("/api/v1/projects/iris")).json();
    assert_eq!(own["schema"].as_array().unwrap().len(), 5);
}

/// Sends a request head announcing `length` body bytes and `sent` of them, and keeps the
/// connection open.
fn start_body(server: &TestServer, path: &str, length: usize, sent: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    .unwrap();
    s.write_all(sent).unwrap();
    s
}

#[test]
fn large_bodies_wait_for_the_shared_budget_and_small_ones_do_not() {
    // The budget holds one maximal body. A body takes its share as its bytes arrive: a
    // client that announces a large body and sends nothing holds nothing, while one that
    // sent most of a large body holds that much, and a second large body waits for it to
    // be given back (here: when the slow body's read times out) before it is read. A
    // single event (a body under 64 KiB) never waits.
    let server = TestServer::start(config_from_toml(
        "max_body_bytes = 200000\n[limits]\nbodies_in_flight_bytes = 200000\n\
         [connections]\nbody_read_timeout = \"3s\"\n",
    ));
    create_iris(&server, "iris");
    let path = "/api/v1/projects/iris/events";
    let large = format!(r#"{{"sepal_length": 2, "note": "{}"}}"#, "x".repeat(70_000));

    let _idle = start_body(&server, path, 199_000, b"[");
    std::thread::sleep(Duration::from_millis(300));
    let a = post_json(&server.url(path), &large);
    assert_eq!(
        a.status, 200,
        "an announced body that never came held the budget"
    );

    let mut sent = br#"[{"sepal_length": 1, "note": ""#.to_vec();
    sent.resize(190_000, b'x');
    let mut slow = start_body(&server, path, 199_000, &sent);
    std::thread::sleep(Duration::from_millis(500));
    let (tx, rx) = std::sync::mpsc::channel();
    let url = server.url(path);
    std::thread::spawn(move || {
        let a = post_json(&url, &large);
        tx.send((a.status, a.body)).unwrap();
    });
    std::thread::sleep(Duration::from_millis(500));
    let small = post_json(&server.url(path), r#"{"sepal_length": 3}"#);
    assert_eq!(small.status, 200, "{}", small.body);
    assert!(
        rx.try_recv().is_err(),
        "the large body was read while the slow one held most of the budget"
    );
    assert_eq!(events_stored(&server, "iris"), 2);

    // The slow body times out, gives its share back, and the waiting one goes through.
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 400") && answer.contains("body_read_timeout"),
        "{answer}"
    );
    let (status, body) = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(events_stored(&server, "iris"), 3);
}
