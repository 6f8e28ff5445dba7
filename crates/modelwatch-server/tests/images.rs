//! Images through the real server: a zip of images as a project's reference, events whose
//! images come as base64, `data:` URIs and multipart files, a snapshot that sees the images
//! change, and the dashboard's thumbnails.

mod common;

use std::io::Write;

use base64::Engine;
use common::*;
use modelwatch_server::config::ServerConfig;

fn fixture(name: &str) -> Vec<u8> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images");
    std::fs::read(root.join(name)).unwrap()
}

/// Colourful, bright reference images, a text file among them.
fn reference_zip() -> Vec<u8> {
    let sources = [
        "pattern.png",
        "pattern.jpg",
        "pattern.gif",
        "pattern.webp",
        "chelsea.png",
        "coffee.webp",
        "astronaut.jpg",
        "odd_333x77.jpg",
    ];
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for i in 0..32 {
        let name = sources[i % sources.len()];
        let ext = name.rsplit('.').next().unwrap();
        w.start_file(format!("ref/{i:02}.{ext}"), options).unwrap();
        w.write_all(&fixture(name)).unwrap();
    }
    w.start_file("README.txt", options).unwrap();
    w.write_all(b"phone photos").unwrap();
    w.finish().unwrap().into_inner()
}

fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "mwBoundary7";
    let mut out = Vec::new();
    for (name, file, data) in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let d = match file {
            Some(f) => format!("form-data; name=\"{name}\"; filename=\"{f}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        out.extend_from_slice(format!("Content-Disposition: {d}\r\n\r\n").as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), out)
}

#[test]
fn a_zip_reference_image_events_a_drifting_snapshot_and_thumbnails_on_the_dashboard() {
    let server = TestServer::start(ServerConfig::default());
    let a = call(
        "POST",
        &server.url("/api/v1/projects?name=photos"),
        &[("Content-Type", "application/zip")],
        Some(&reference_zip()),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let p = a.json();
    assert_eq!(p["reference_images"]["images"], 32);
    assert_eq!(p["reference_images"]["skipped"], 1);
    assert_eq!(p["reference_images"]["thumbnails"], 32);
    assert_eq!(p["reference_rows"], 32);
    assert_eq!(
        p["config"]["columns"]["images"],
        serde_json::json!(["image"])
    );
    let schema = p["schema"].as_array().unwrap();
    let of = |name: &str| {
        schema
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {schema:?}"))
            .clone()
    };
    assert_eq!(of("image.brightness")["type"], "numerical");
    assert_eq!(of("image.width")["type"], "numerical");
    assert_eq!(of("image.format")["type"], "categorical");
    assert_eq!(of("image.model")["type"], "categorical");
    // The images' file names are not compared with events, which carry none.
    assert!(schema.iter().all(|c| c["name"] != "file"));
    assert_eq!(schema.len(), 26);

    // Current images: black, as base64, as data: URIs, and one as a multipart file.
    let black = fixture("black.png");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&black);
    let mut events: Vec<String> = (0..12)
        .map(|i| format!(r#"{{"id": "b{i}", "image": "{b64}"}}"#))
        .collect();
    events.extend(
        (0..8).map(|i| format!(r#"{{"id": "d{i}", "image": "data:image/png;base64,{b64}"}}"#)),
    );
    events.push(r#"{"id": "bad", "image": "%%% not base64"}"#.to_string());
    events.push(format!(
        r#"{{"id": "cut", "image": "{}"}}"#,
        base64::engine::general_purpose::STANDARD.encode(fixture("truncated.png"))
    ));
    let url = server.url("/api/v1/projects/photos/events");
    let a = post_json(&url, &format!("[{}]", events.join(",")));
    assert_eq!(a.status, 200, "{}", a.body);
    let v = a.json();
    assert_eq!(v["accepted"], 21);
    assert_eq!(v["rejected"].as_array().unwrap().len(), 1);
    assert_eq!(v["rejected"][0]["index"], 20);
    assert!(v["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("column `image` (image)"));
    assert_eq!(v["image_failures"]["image"]["truncated"], 1);

    let (ct, body) = multipart(&[
        ("event", None, br#"{"id": "m1"}"#),
        ("image", Some("black.png"), &black),
    ]);
    let a = call("POST", &url, &[("Content-Type", &ct)], Some(&body));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["accepted"], 1);
    // A multipart event without its image part is a rejected row.
    let (ct, body) = multipart(&[("id", None, b"m2")]);
    let a = call("POST", &url, &[("Content-Type", &ct)], Some(&body));
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(a.json()["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("no part named `image`"));
    // Multipart is for events only.
    let a = call(
        "POST",
        &server.url("/api/v1/projects/photos/labels"),
        &[("Content-Type", &ct)],
        Some(&body),
    );
    assert_eq!(a.status, 415, "{}", a.body);

    let a = call(
        "POST",
        &server.url("/api/v1/projects/photos/snapshots"),
        &[],
        None,
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.json()["id"].as_i64().unwrap();
    let full = get(&server.url(&format!("/api/v1/projects/photos/snapshots/{id}"))).json();
    assert_eq!(full["meta"]["current_rows"], 22);
    let columns = full["drift"]["columns"].as_array().unwrap();
    let drift = |name: &str| {
        columns
            .iter()
            .find(|c| c["column"] == name)
            .unwrap()
            .clone()
    };
    let brightness = drift("image.brightness");
    assert_eq!(brightness["drifted"], true, "{brightness}");
    assert!(brightness["score"].as_f64().unwrap() < 1e-6, "{brightness}");
    assert_eq!(drift("image.format")["drifted"], true);

    // The descriptor columns are columns of the HTML report like any other, with their
    // distributions.
    let html = get(&server.url("/api/v1/projects/photos/report?format=html&last=100"));
    assert_eq!(html.status, 200, "{}", html.body);
    assert!(html.body.contains("image.brightness"));
    assert!(html.body.contains("image.aspect_ratio"));

    let page = get(&server.url("/projects/photos"));
    assert_eq!(page.status, 200);
    let section = page
        .body
        .split("class=\"card wide image-examples\"")
        .nth(1)
        .expect("an image section");
    let current = section.split("Reference, typical").next().unwrap();
    assert_eq!(current.matches("<img src=\"data:image/jpeg").count(), 8);
    assert_eq!(section.matches("<img src=\"data:image/jpeg").count(), 16);
    // Current images are named by their event, reference images by their file in the zip.
    assert!(current.contains("<figcaption>"), "{current}");
    assert!(section
        .split("Reference, typical")
        .nth(1)
        .unwrap()
        .contains(".png<br>"));
    assert!(section.contains("src=\"data:image/jpeg;base64,/9j/"));
}

/// `n` events of `fixture` as base64 under `image`.
fn image_events(fixture_name: &str, n: usize) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(fixture(fixture_name));
    let events: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"id": "e{i}", "image": "{b64}"}}"#))
        .collect();
    format!("[{}]", events.join(","))
}

/// Counts the rows of `table` in the store at `db` for project `p` (`thumbnails` through
/// their events).
fn count_thumbnails(db: &std::path::Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    let sql = match table {
        "thumbnails" => {
            "SELECT count(*) FROM thumbnails JOIN events ON events.seq = thumbnails.event \
                         WHERE events.project = 'p'"
        }
        _ => "SELECT count(*) FROM reference_thumbnails WHERE project = 'p'",
    };
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn without_thumbnails_descriptors_are_stored_and_no_image_is_kept() {
    let server = TestServer::start(ServerConfig::default());
    let a = call(
        "POST",
        &server.url("/api/v1/projects?name=p"),
        &[("Content-Type", "application/zip")],
        Some(&reference_zip()),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let events_url = server.url("/api/v1/projects/p/events");
    let a = post_json(&events_url, &image_events("pattern.png", 12));
    assert_eq!(a.json()["accepted"], 12);
    assert_eq!(count_thumbnails(&server.db, "thumbnails"), 12);
    assert_eq!(count_thumbnails(&server.db, "reference_thumbnails"), 32);
    // Turning thumbnails off deletes those already kept, of events and of the reference.
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/p"),
        &[("Content-Type", "application/json")],
        Some(br#"{"columns": {"images": ["image"]}, "thumbnails": false}"#),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(count_thumbnails(&server.db, "thumbnails"), 0);
    assert_eq!(count_thumbnails(&server.db, "reference_thumbnails"), 0);
    let a = post_json(&events_url, &image_events("pattern.png", 12));
    assert_eq!(a.json()["accepted"], 12);
    let a = call(
        "POST",
        &server.url("/api/v1/projects/p/snapshots"),
        &[],
        None,
    );
    assert_eq!(a.status, 201, "{}", a.body);
    // The dashboard shows no image section: no thumbnail, no empty boxes.
    let page = get(&server.url("/projects/p"));
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("image-examples"), "{}", page.body);
    assert!(!page.body.contains("no thumbnail"));
    assert!(!page.body.contains("data:image/jpeg"));
    server_stop_and_count(server);
}

/// Stops the server and counts the thumbnails in its store: none for the project.
fn server_stop_and_count(server: TestServer) {
    let db = server.db.clone();
    let dir = server.into_dir();
    let conn = rusqlite::Connection::open(&db).unwrap();
    for table in ["thumbnails", "reference_thumbnails"] {
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    let stored: String = conn
        .query_row("SELECT vals FROM events LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert!(stored.contains("\"image.width\""), "{stored}");
    assert!(!stored.contains("\"image\":"), "{stored}");
    drop(dir);
}

/// A new reference takes its own thumbnails (a zip's, or none) in the transaction that
/// stores it, and the examples the dashboard showed of the old one are forgotten; a
/// configured reference that changes from a zip to a table at a restart leaves no
/// thumbnail of the zip behind.
#[test]
fn a_new_reference_replaces_the_thumbnails_and_examples_of_the_old_one() {
    let server = TestServer::start(ServerConfig::default());
    // Without scheduled snapshots (which would take one as soon as the new reference is
    // in): the examples come only with the snapshots this test takes.
    let mut body = b"--b\r\nContent-Disposition: form-data; name=\"settings\"\r\n\r\n\
        {\"schedule\": {\"interval\": \"0s\"}}\r\n--b\r\nContent-Disposition: form-data; \
        name=\"reference\"; filename=\"images.zip\"\r\n\r\n"
        .to_vec();
    body.extend_from_slice(&reference_zip());
    body.extend_from_slice(b"\r\n--b--\r\n");
    let a = call(
        "POST",
        &server.url("/api/v1/projects?name=p"),
        &[("Content-Type", "multipart/form-data; boundary=b")],
        Some(&body),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let a = post_json(
        &server.url("/api/v1/projects/p/events"),
        &image_events("black.png", 12),
    );
    assert_eq!(a.json()["accepted"], 12);
    let snapshot = || {
        let a = call(
            "POST",
            &server.url("/api/v1/projects/p/snapshots"),
            &[],
            None,
        );
        assert_eq!(a.status, 201, "{}", a.body);
    };
    snapshot();
    let page = get(&server.url("/projects/p"));
    assert!(page.body.contains("image-examples"));

    // A zip of four images: four reference thumbnails, and no examples until the next
    // snapshot (the old ones name rows of the old reference).
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..4 {
        w.start_file(format!("{i}.png"), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&fixture("chelsea.png")).unwrap();
    }
    let small = w.finish().unwrap().into_inner();
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/p/reference"),
        &[("Content-Type", "application/zip")],
        Some(&small),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(count_thumbnails(&server.db, "reference_thumbnails"), 4);
    let page = get(&server.url("/projects/p"));
    assert!(!page.body.contains("image-examples"), "{}", page.body);
    snapshot();
    let page = get(&server.url("/projects/p"));
    assert!(page.body.contains("image-examples"));

    // At a restart the config names a CSV reference for the project.
    let dir = server.into_dir();
    let csv: String = std::iter::once("image.brightness,image.width\n".to_string())
        .chain((0..12).map(|i| format!("{}.5,{}\n", i % 4, 100 + i)))
        .collect();
    let path = dir.path().join("reference.csv");
    std::fs::write(&path, csv).unwrap();
    let mut config = ServerConfig::default();
    let mut settings = modelwatch_server::project::ProjectConfig::default();
    settings.columns.images = vec!["image".into()];
    config
        .projects
        .push(modelwatch_server::config::ConfiguredProject {
            name: "p".into(),
            reference: Some(path),
            config: settings,
        });
    let server = TestServer::start_in(dir, config);
    assert_eq!(count_thumbnails(&server.db, "reference_thumbnails"), 0);
    let p = get(&server.url("/api/v1/projects/p")).json();
    assert_eq!(p["reference_rows"], 12, "{p}");
}

#[test]
fn a_zip_named_in_the_config_is_the_reference_of_its_project() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photos.ZIP");
    std::fs::write(&path, reference_zip()).unwrap();
    let mut config = ServerConfig::default();
    let mut settings = modelwatch_server::project::ProjectConfig::default();
    settings.columns.images = vec!["photo".into()];
    config
        .projects
        .push(modelwatch_server::config::ConfiguredProject {
            name: "photos".into(),
            reference: Some(path),
            config: settings,
        });
    let server = TestServer::start(config);
    let p = get(&server.url("/api/v1/projects/photos")).json();
    assert_eq!(p["reference_rows"], 32);
    let names: Vec<&str> = p["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"photo.aspect_ratio"), "{names:?}");
}

#[test]
fn an_image_body_is_held_to_the_body_limits() {
    let config = ServerConfig {
        max_body_bytes: 100_000,
        ..ServerConfig::default()
    };
    let server = TestServer::start(config);
    let a = post_json(
        &server.url("/api/v1/projects"),
        r#"{"name": "p", "columns": {"images": ["image"]}}"#,
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let url = server.url("/api/v1/projects/p/events");
    // A multipart body announced over max_body_bytes is answered before it is read.
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "POST /api/v1/projects/p/events HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 150000\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 256];
    let n = std::io::Read::read(&mut conn, &mut head).unwrap();
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    // Under the body limit, a file that is no image is stored with its failure counted.
    let junk = vec![7u8; 50_000];
    let (ct, body) = multipart(&[("image", Some("x.png"), &junk)]);
    let a = call("POST", &url, &[("Content-Type", &ct)], Some(&body));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["image_failures"]["image"]["unknown_format"], 1);
}
