//! Writes from other origins are refused, API bodies must be typed as what the route
//! takes, and HTML answers cannot be framed; on the real server over loopback HTTP,
//! without tokens (the default, where this matters most).

mod common;

use common::*;
use modelwatch_server::config::ServerConfig;

const EVIL: (&str, &str) = ("Origin", "http://evil.example");
const JSON: (&str, &str) = ("Content-Type", "application/json");
const TEXT: (&str, &str) = ("Content-Type", "text/plain");
const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
const SILENCE: &str = r#"{"matchers": {"project": "iris"}, "duration": "1h"}"#;

fn error_of(a: &Answer) -> String {
    a.json()["error"].as_str().unwrap_or_default().to_string()
}

#[test]
fn writes_from_another_origin_are_refused_and_same_origin_ones_pass() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let silences = server.url("/api/v1/alerts/silences");
    let count = || {
        get(&silences).json()["silences"]
            .as_array()
            .map_or(0, Vec::len)
    };
    // What a page on evil.example can send, to each write route the issue names.
    for (url, headers, body) in [
        (silences.clone(), vec![EVIL, TEXT], SILENCE),
        (silences.clone(), vec![EVIL, JSON], SILENCE),
        (
            server.url("/api/v1/alerts/rules"),
            vec![EVIL, TEXT],
            r#"{"name": "x"}"#,
        ),
        (
            server.url("/api/v1/projects"),
            vec![EVIL, TEXT],
            r#"{"name": "evil"}"#,
        ),
        (
            silences.clone(),
            vec![("Sec-Fetch-Site", "cross-site"), JSON],
            SILENCE,
        ),
        (
            silences.clone(),
            vec![("Sec-Fetch-Site", "same-site"), JSON],
            SILENCE,
        ),
        (
            server.url("/projects/iris/silences"),
            vec![EVIL, FORM],
            "duration=1h",
        ),
    ] {
        let a = call("POST", &url, &headers, Some(body.as_bytes()));
        assert_eq!(a.status, 403, "{url} {headers:?}: {}", a.body);
        assert!(error_of(&a).contains("cross-origin"), "{}", a.body);
    }
    let a = call(
        "DELETE",
        &server.url("/api/v1/projects/iris"),
        &[("Origin", "null")],
        None,
    );
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(get(&server.url("/api/v1/projects/iris")).status, 200);
    assert_eq!(get(&server.url("/api/v1/projects/evil")).status, 404);
    assert_eq!(count(), 0);

    // The server's own origin (as the Host header names it), the user's own action, and
    // clients that send neither header (curl, SDKs) may write.
    let own = server.base.clone();
    for headers in [
        vec![("Origin", own.as_str()), JSON],
        vec![
            ("Sec-Fetch-Site", "same-origin"),
            ("Origin", own.as_str()),
            JSON,
        ],
        vec![("Sec-Fetch-Site", "none"), JSON],
        vec![JSON],
    ] {
        let a = call("POST", &silences, &headers, Some(SILENCE.as_bytes()));
        assert_eq!(a.status, 201, "{headers:?}: {}", a.body);
    }
    assert_eq!(count(), 4);
    let (status, _, body) = raw(
        "POST",
        &server.url("/projects/iris/silences"),
        &[("Origin", own.as_str()), FORM],
        Some("duration=1h"),
    );
    assert_eq!(status, 303, "{body}");
    assert_eq!(count(), 5);
}

#[test]
fn api_bodies_typed_as_a_form_or_plain_text_get_415() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    for (method, path, ct) in [
        ("POST", "/api/v1/alerts/silences", TEXT),
        ("POST", "/api/v1/alerts/silences", FORM),
        ("POST", "/api/v1/alerts/rules", TEXT),
        ("POST", "/api/v1/projects", TEXT),
        ("POST", "/api/v1/projects", FORM),
        ("PUT", "/api/v1/projects/iris", TEXT),
        ("POST", "/api/v1/projects/iris/events", TEXT),
        (
            "POST",
            "/api/v1/projects/iris/labels",
            ("Content-Type", "multipart/form-data; boundary=x"),
        ),
    ] {
        let a = call(method, &server.url(path), &[ct], Some(b"{\"name\": \"p\"}"));
        assert_eq!(a.status, 415, "{method} {path} {ct:?}: {}", a.body);
        assert!(error_of(&a).contains("Content-Type"), "{}", a.body);
    }
    // Events take multipart (an event with its images as files): a body that is not
    // multipart is unreadable, not of a refused type, and stores nothing.
    let a = call(
        "POST",
        &server.url("/api/v1/projects/iris/events"),
        &[("Content-Type", "multipart/form-data; boundary=x")],
        Some(b"{\"name\": \"p\"}"),
    );
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(error_of(&a).starts_with("multipart:"), "{}", a.body);
    assert_eq!(get(&server.url("/api/v1/projects/p")).status, 404);
    // So does project creation (settings with the reference file), and the same holds.
    let a = call(
        "POST",
        &server.url("/api/v1/projects"),
        &[("Content-Type", "multipart/form-data; boundary=x")],
        Some(b"{\"name\": \"p\"}"),
    );
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(
        error_of(&a).starts_with("invalid multipart body"),
        "{}",
        a.body
    );
    assert_eq!(get(&server.url("/api/v1/projects/p")).status, 404);
    // A JSON body without a Content-Type is still read as JSON.
    let a = call(
        "POST",
        &server.url("/api/v1/projects"),
        &[],
        Some(br#"{"name": "p"}"#),
    );
    assert_eq!(a.status, 201, "{}", a.body);
}

#[test]
fn every_html_answer_forbids_framing() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let events = server.url("/api/v1/projects/iris/events");
    assert_eq!(post_json(&events, &iris_events(60, 0.0)).status, 200);
    for path in [
        "/",
        "/projects/iris",
        "/projects/nope",
        "/api/v1/projects/iris/report?last=50&format=html",
        "/api/v1/projects/iris/report?last=0&format=html",
        "/api/v1/projects/iris/report?since=abc&format=html",
    ] {
        let (status, headers, _) = raw("GET", &server.url(path), &[], None);
        let ct = header(&headers, "content-type").unwrap_or_default();
        assert!(ct.starts_with("text/html"), "{path}: {status} {ct}");
        assert_eq!(
            header(&headers, "x-frame-options"),
            Some("DENY"),
            "{path}: {status}"
        );
        let csp = header(&headers, "content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
    // JSON answers are left alone.
    let (_, headers, _) = raw("GET", &server.url("/api/v1/projects"), &[], None);
    assert_eq!(header(&headers, "x-frame-options"), None);
}
