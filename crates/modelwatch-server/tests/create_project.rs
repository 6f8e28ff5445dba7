//! `POST /api/v1/projects`: unknown keys are refused as `PUT` refuses them, and a project
//! is created with its settings and its reference in one request (JSON rows or a
//! multipart file), atomically and under the limits of a reference upload.

mod common;

use std::sync::Arc;

use common::*;
use modelwatch_server::config::ServerConfig;

const BOUNDARY: &str = "modelwatch-test-boundary";

/// A part of a multipart body: name, file name, content type, bytes.
type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

/// A `multipart/form-data` body of `parts`.
fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, file, content_type, bytes) in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{name}\"");
        if let Some(f) = file {
            disposition.push_str(&format!("; filename=\"{f}\""));
        }
        out.extend_from_slice(disposition.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(ct) = content_type {
            out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

fn post_multipart(server: &TestServer, query: &str, body: &[u8]) -> Answer {
    call(
        "POST",
        &server.url(&format!("/api/v1/projects{query}")),
        &[(
            "Content-Type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )],
        Some(body),
    )
}

fn project_count(server: &TestServer) -> usize {
    get(&server.url("/api/v1/projects")).json()["projects"]
        .as_array()
        .unwrap()
        .len()
}

/// The Iris reference as a Parquet file, as a Python client sends a DataFrame.
fn iris_parquet() -> Vec<u8> {
    let text = String::from_utf8(iris_reference()).unwrap();
    let mut numbers: [Vec<f64>; 4] = Default::default();
    let mut species = Vec::new();
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        for (i, column) in numbers.iter_mut().enumerate() {
            column.push(cells[i].parse().unwrap());
        }
        species.push(cells[4].to_string());
    }
    let names = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
    let mut columns: Vec<(&str, arrow_array::ArrayRef)> = names
        .iter()
        .zip(numbers)
        .map(|(n, v)| {
            (
                *n,
                Arc::new(arrow_array::Float64Array::from(v)) as arrow_array::ArrayRef,
            )
        })
        .collect();
    columns.push((
        "species",
        Arc::new(arrow_array::StringArray::from(species)) as arrow_array::ArrayRef,
    ));
    let batch = arrow_array::RecordBatch::try_from_iter(columns).unwrap();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

#[test]
fn unknown_keys_are_refused_on_create_as_on_put_and_nothing_is_created() {
    let server = TestServer::start(ServerConfig::default());
    let url = server.url("/api/v1/projects");
    for (body, key) in [
        (
            r#"{"name": "iris", "colums": {"target": "species"}}"#,
            "colums",
        ),
        (r#"{"name": "iris", "presetz": ["drift"]}"#, "presetz"),
        (
            r#"{"name": "iris", "schedule": {"intervall": "1m"}}"#,
            "intervall",
        ),
    ] {
        let a = post_json(&url, body);
        assert_eq!(a.status, 400, "{body}: {}", a.body);
        let error = a.json()["error"].as_str().unwrap().to_string();
        assert!(error.contains(&format!("unknown field `{key}`")), "{error}");
        // The same message as PUT's for the same settings.
        let settings = body.replace(r#""name": "iris", "#, "");
        let put = call(
            "PUT",
            &server.url("/api/v1/projects/iris"),
            &[("Content-Type", "application/json")],
            Some(settings.as_bytes()),
        );
        assert_eq!(put.status, 400, "{}", put.body);
        let put_error = put.json()["error"].as_str().unwrap().to_string();
        assert!(put_error.starts_with(&error), "{put_error} / {error}");
    }
    // `reference` that is not an array of rows is not ignored either.
    let a = post_json(&url, r#"{"name": "iris", "reference": "train.csv"}"#);
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.body.contains("reference"), "{}", a.body);
    let a = post_json(&url, r#"{"name": "iris", "reference": [{"x": 1}, 2]}"#);
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.body.contains("row 1 is not a JSON object"), "{}", a.body);
    assert_eq!(project_count(&server), 0);
    // Settings without a reference are still a project.
    let a = post_json(
        &url,
        r#"{"name": "iris", "columns": {"target": "species"}}"#,
    );
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["reference_rows"], serde_json::Value::Null);
}

#[test]
fn json_settings_and_reference_rows_create_a_project_in_one_call() {
    let server = TestServer::start(ServerConfig::default());
    let rows: Vec<serde_json::Value> = (0..30)
        .map(|i| {
            let color = ["red", "green", "blue"][i % 3];
            serde_json::json!({
                "x": i as f64 / 10.0,
                "color": color,
                "label": i % 2,
            })
        })
        .collect();
    let body = serde_json::json!({
        "name": "rows",
        "columns": {"target": "label"},
        "presets": ["drift"],
        "reference": rows,
    });
    let a = post_json(&server.url("/api/v1/projects"), &body.to_string());
    assert_eq!(a.status, 201, "{}", a.body);
    let v = a.json();
    assert_eq!(v["reference_rows"], 30);
    assert_eq!(v["columns"], 3);
    assert_eq!(v["config"]["columns"]["target"], "label");
    assert_eq!(v["config"]["presets"], serde_json::json!(["drift"]));
    let schema = v["schema"].as_array().unwrap();
    let label = schema.iter().find(|c| c["name"] == "label").unwrap();
    assert_eq!(label["role"], "target", "{label}");
    // Stored: a restart-proof read gives the same.
    let g = get(&server.url("/api/v1/projects/rows")).json();
    assert_eq!(g["reference_rows"], 30);
    // The name may come from ?name= instead.
    let a = post_json(
        &server.url("/api/v1/projects?name=rows2"),
        &serde_json::json!({"reference": [{"x": 1}, {"x": 2}]}).to_string(),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["name"], "rows2");
    // Rows written over several lines (a pretty-printed body) are rows all the same.
    let pretty = serde_json::to_string_pretty(&serde_json::json!({
        "name": "pretty",
        "reference": [{"x": 1, "note": "a\nb"}, {"x": 2, "note": "c"}],
    }))
    .unwrap();
    let a = post_json(&server.url("/api/v1/projects"), &pretty);
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["reference_rows"], 2);
    let a = post_json(&server.url("/api/v1/projects"), r#"{"name": 7}"#);
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.body.contains("`name` must be a string"), "{}", a.body);
    // Taken names are refused, whatever the body.
    let a = post_json(&server.url("/api/v1/projects"), &body.to_string());
    assert_eq!(a.status, 409, "{}", a.body);
}

#[test]
fn multipart_settings_and_reference_file_create_a_project_in_one_call() {
    let server = TestServer::start(ServerConfig::default());
    let settings = br#"{"name": "iris", "columns": {"target": "species", "prediction": "prediction"}, "schedule": {"min_rows": 20}}"#;
    let csv = iris_reference();
    let parquet = iris_parquet();
    // By Content-Type (CSV), by Content-Type (Parquet), and by file name alone.
    let cases: [Part<'_>; 3] = [
        ("csv", Some("reference.csv"), Some("text/csv"), &csv),
        (
            "parquet",
            Some("reference.parquet"),
            Some("application/vnd.apache.parquet"),
            &parquet,
        ),
        (
            "by-name",
            Some("train.parquet"),
            Some("application/octet-stream"),
            &parquet,
        ),
    ];
    for (name, file, content_type, bytes) in cases {
        let settings = String::from_utf8(settings.to_vec())
            .unwrap()
            .replace("\"iris\"", &format!("\"{name}\""));
        let body = multipart(&[
            (
                "settings",
                None,
                Some("application/json"),
                settings.as_bytes(),
            ),
            ("reference", file, content_type, bytes),
        ]);
        let a = post_multipart(&server, "", &body);
        assert_eq!(a.status, 201, "{name}: {}", a.body);
        let v = a.json();
        assert_eq!(v["name"], name);
        assert_eq!(v["reference_rows"], 150, "{name}");
        assert_eq!(v["columns"], 5, "{name}");
        assert_eq!(v["config"]["columns"]["target"], "species");
        assert_eq!(v["config"]["schedule"]["min_rows"], 20);
        let species = v["schema"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "species")
            .unwrap()
            .clone();
        assert_eq!(species["role"], "target");
    }
    // A settings part without a content type (a plain form field) and ?name=.
    let body = multipart(&[
        ("settings", None, None, br#"{"presets": ["drift"]}"#),
        ("reference", Some("r.csv"), None, &csv),
    ]);
    let a = post_multipart(&server, "?name=plain", &body);
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["config"]["presets"], serde_json::json!(["drift"]));
    assert_eq!(project_count(&server), 4);
}

#[test]
fn a_refused_creation_leaves_no_project_behind() {
    let server = TestServer::start(config_from_toml(
        "[limits]\ncolumns_per_project = 6\nreference_cells = 100\n",
    ));
    let settings: &[u8] = br#"{"name": "p", "columns": {"target": "y"}}"#;
    let with_reference = |file: &str, content_type: &str, bytes: &[u8]| {
        post_multipart(
            &server,
            "",
            &multipart(&[
                ("settings", None, Some("application/json"), settings),
                ("reference", Some(file), Some(content_type), bytes),
            ]),
        )
    };
    // A reference without rows, one that does not parse, one of more cells and one of
    // more columns than the limits: each answered as the reference upload answers it.
    let wide = format!(
        "{}\n{}\n",
        (0..7)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(","),
        ["1"; 7].join(",")
    );
    let cells = format!("a,b,c,d,e\n{}", "1,2,3,4,5\n".repeat(21));
    for (bytes, content_type, status, words) in [
        ("x,y\n".to_string(), "text/csv", 422, "no data rows"),
        (
            "PAR1 not parquet".to_string(),
            "application/vnd.apache.parquet",
            422,
            "reference",
        ),
        (cells, "text/csv", 413, "limits.reference_cells"),
        (wide, "text/csv", 413, "limits.columns_per_project"),
    ] {
        let a = with_reference("r", content_type, bytes.as_bytes());
        assert_eq!(a.status, status, "{content_type}: {}", a.body);
        assert!(a.body.contains(words), "{}", a.body);
        assert_eq!(project_count(&server), 0, "{}", a.body);
        assert_eq!(get(&server.url("/api/v1/projects/p")).status, 404);
    }
    // JSON rows are held to the same limits.
    let rows: Vec<serde_json::Value> = (0..21)
        .map(|i| serde_json::json!({"a": i, "b": 1, "c": 1, "d": 1, "e": 1}))
        .collect();
    let a = post_json(
        &server.url("/api/v1/projects"),
        &serde_json::json!({"name": "p", "reference": rows}).to_string(),
    );
    assert_eq!(a.status, 413, "{}", a.body);
    assert!(a.body.contains("limits.reference_cells"), "{}", a.body);
    // Bad settings with a good reference: nothing either.
    let a = post_multipart(
        &server,
        "",
        &multipart(&[
            (
                "settings",
                None,
                None,
                br#"{"name": "p", "proba_threshold": 2}"#,
            ),
            ("reference", Some("r.csv"), None, b"a,y\n1,0\n2,1\n"),
        ]),
    );
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(a.body.contains("proba_threshold"), "{}", a.body);
    assert_eq!(project_count(&server), 0);
    // Unknown parts, parts sent twice, and a reference of unknown format are refused.
    for (parts, status, words) in [
        (
            vec![
                ("settings", None, None, settings),
                ("referenc", Some("r.csv"), None, &b"a\n1\n"[..]),
            ],
            400,
            "unknown part `referenc`",
        ),
        (
            vec![
                ("settings", None, None, settings),
                ("settings", None, None, settings),
            ],
            400,
            "sent twice",
        ),
        (
            vec![
                ("settings", None, None, settings),
                ("reference", Some("r.bin"), None, &b"a\n1\n"[..]),
            ],
            415,
            "reference",
        ),
    ] {
        let a = post_multipart(&server, "", &multipart(&parts));
        assert_eq!(a.status, status, "{}", a.body);
        assert!(a.body.contains(words), "{}", a.body);
    }
    assert_eq!(project_count(&server), 0);
    // The name is free: the same request with a good reference is taken.
    let a = with_reference("r.csv", "text/csv", b"a,y\n1,0\n2,1\n");
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["reference_rows"], 2);
}
