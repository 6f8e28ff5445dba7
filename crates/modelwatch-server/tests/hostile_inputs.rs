//! The real server on loopback against careless and hostile clients: label cardinality on
//! /metrics, out-of-range durations, refused project names, the bearer scheme's case,
//! NaN and infinity in ingested text, login rate limits and the session cookie's `Secure`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::*;
use modelwatch_server::config::{Scope, ServerConfig, Token};

/// One HTTP/1.1 request written by hand (so the method may be any token); the status.
fn send_raw(base: &str, method: &str, path: &str) -> u16 {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// The number of samples (lines that are not comments) on `/metrics`.
fn series_count(server: &TestServer) -> usize {
    let m = get(&server.url("/metrics"));
    assert_eq!(m.status, 200);
    m.body
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count()
}

/// Invented methods on unmatched paths, on a project route and on an events route.
fn invented_requests(server: &TestServer, from: usize, n: usize) {
    for i in from..from + n {
        let method = format!("INVENTED{i}");
        let path = match i % 3 {
            0 => format!("/no/such/route/{i}"),
            1 => format!("/api/v1/projects/p{i}"),
            _ => format!("/api/v1/projects/p{i}/events"),
        };
        let code = send_raw(&server.base, &method, &path);
        assert!(code == 404 || code == 405, "{method} {path}: {code}");
    }
}

#[test]
fn invented_methods_and_paths_add_no_series_to_metrics() {
    let server = TestServer::start(ServerConfig::default());
    invented_requests(&server, 0, 3);
    // The first scrape records itself; count from the second.
    series_count(&server);
    let after_three = series_count(&server);
    invented_requests(&server, 3, 300);
    let after_many = series_count(&server);
    assert_eq!(after_three, after_many, "series grew with invented methods");
    let m = get(&server.url("/metrics")).body;
    assert!(m.contains("method=\"other\""), "{m}");
    assert!(!m.contains("INVENTED"), "{m}");
}

#[test]
fn durations_beyond_a_hundred_years_are_refused_with_the_range() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let events = server.url("/api/v1/projects/iris/events");
    assert_eq!(post_json(&events, &iris_events(60, 0.0)).status, 200);
    let ok = get(&server.url("/api/v1/projects/iris/report?since=36500d"));
    assert_eq!(ok.status, 200, "{}", ok.body);
    for since in ["99999999999999d", "300000years", "36501d"] {
        let r = get(&server.url(&format!("/api/v1/projects/iris/report?since={since}")));
        assert_eq!(r.status, 400, "since={since}: {}", r.body);
        let message = r.json()["error"].as_str().unwrap().to_string();
        assert!(
            message.contains("out of range") && message.contains("0s to 36500d"),
            "{message}"
        );
    }
    // A schedule window from the API goes through the same check.
    let p = post_json(
        &server.url("/api/v1/projects"),
        r#"{"name": "long", "schedule": {"window": "300000years"}}"#,
    );
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("0s to 36500d"), "{}", p.body);
}

#[test]
fn dot_names_and_names_over_200_characters_are_refused() {
    let server = TestServer::start(ServerConfig::default());
    let create = |name: &str| {
        post_json(
            &server.url("/api/v1/projects"),
            &serde_json::json!({ "name": name }).to_string(),
        )
    };
    for name in [".", ".."] {
        let r = create(name);
        assert_eq!(r.status, 422, "{name}: {}", r.body);
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .contains("`.` and `..` are not project names"),
            "{}",
            r.body
        );
    }
    let long = "é".repeat(201);
    let r = create(&long);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("at most 200 characters"), "{}", r.body);
    assert_eq!(create(&"é".repeat(200)).status, 201);
    assert_eq!(create("...").status, 201);
}

/// The default configuration with one read-only token, `reader-token-123`.
fn with_reader_token() -> ServerConfig {
    ServerConfig {
        tokens: vec![Token {
            token: "reader-token-123".into(),
            scopes: vec![Scope::Read],
        }],
        ..ServerConfig::default()
    }
}

#[test]
fn the_bearer_scheme_is_matched_without_regard_to_case() {
    let server = TestServer::start(with_reader_token());
    let url = server.url("/api/v1/projects");
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let value = format!("{scheme} reader-token-123");
        let r = call("GET", &url, &[("Authorization", value.as_str())], None);
        assert_eq!(r.status, 200, "{scheme}: {}", r.body);
    }
    let r = call(
        "GET",
        &url,
        &[("Authorization", "Basic reader-token-123")],
        None,
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "unauthorized");
}

/// The accepted count and the rejected rows' (index, kind) of an ingest answer.
fn outcome(a: &Answer) -> (u64, Vec<(u64, String)>) {
    let j = a.json();
    let rejected = j["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (j["accepted"].as_u64().unwrap(), rejected)
}

#[test]
fn nan_is_missing_and_infinity_refused_alike_in_json_and_csv() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let events = server.url("/api/v1/projects/iris/events");
    let texts = ["NaN", "inf", "-inf", "Infinity", "nan", "1.5"];
    let json: Vec<serde_json::Value> = texts
        .iter()
        .map(|t| serde_json::json!({"sepal_length": t, "petal_length": 1.0, "species": "setosa"}))
        .collect();
    let j = post_json(&events, &serde_json::Value::Array(json).to_string());
    let mut csv = String::from("sepal_length,petal_length,species\n");
    for t in texts {
        csv.push_str(&format!("{t},1.0,setosa\n"));
    }
    let c = call(
        "POST",
        &events,
        &[("Content-Type", "text/csv")],
        Some(csv.as_bytes()),
    );
    let refused = vec![
        (1, "invalid_value".to_string()),
        (2, "invalid_value".to_string()),
        (3, "invalid_value".to_string()),
    ];
    assert_eq!(j.status, 200, "{}", j.body);
    assert_eq!(outcome(&j), (3, refused.clone()), "{}", j.body);
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(outcome(&c), (3, refused), "{}", c.body);
    assert!(
        c.body.contains("expected a number, got \\\"inf\\\""),
        "{}",
        c.body
    );
}

#[test]
fn the_session_cookie_is_secure_behind_a_proxy_that_forwards_https() {
    let server = TestServer::start(with_reader_token());
    let login = |extra: &[(&str, &str)]| {
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        headers.extend_from_slice(extra);
        let (status, hs, _) = raw(
            "POST",
            &server.url("/login"),
            &headers,
            Some("token=reader-token-123&next=/"),
        );
        assert_eq!(status, 303);
        header(&hs, "set-cookie").unwrap().to_string()
    };
    let plain = login(&[]);
    assert!(
        plain.contains("HttpOnly") && !plain.contains("Secure"),
        "{plain}"
    );
    let proxied = login(&[("X-Forwarded-Proto", "https")]);
    assert!(proxied.ends_with("; Secure"), "{proxied}");
    let proxied_http = login(&[("X-Forwarded-Proto", "http")]);
    assert!(!proxied_http.contains("Secure"), "{proxied_http}");
}

#[test]
fn failed_logins_are_limited_to_ten_a_minute() {
    let server = TestServer::start(with_reader_token());
    let login = |token: &str| {
        raw(
            "POST",
            &server.url("/login"),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(&format!("token={token}&next=/")),
        )
    };
    // Right tokens do not count.
    for _ in 0..12 {
        assert_eq!(login("reader-token-123").0, 303);
    }
    for i in 0..10 {
        assert_eq!(login(&format!("guess-{i}")).0, 401);
    }
    for token in ["guess-10", "reader-token-123"] {
        let (status, hs, body) = login(token);
        assert_eq!(status, 429, "{body}");
        let wait: u64 = header(&hs, "retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(
            body.contains("too many failed logins: at most 10 a minute"),
            "{body}"
        );
    }
}

#[test]
fn form_bodies_are_held_to_a_form_sized_limit() {
    // Forms are read whole outside the body budget, so they get a limit of their own: a
    // client without any token cannot make the login form hold megabytes per connection.
    let big = format!("token={}&next=/", "x".repeat(100_000));
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let server = TestServer::start(with_reader_token());
    let (status, _, body) = raw("POST", &server.url("/login"), &form, Some(&big));
    assert_eq!(status, 413, "{body}");
    let (status, _, _) = raw(
        "POST",
        &server.url("/login"),
        &form,
        Some("token=reader-token-123&next=/"),
    );
    assert_eq!(status, 303);
    // The dashboard's silence form likewise.
    let open = TestServer::start(ServerConfig::default());
    create_iris(&open, "iris");
    let (status, _, body) = raw(
        "POST",
        &open.url("/projects/iris/silences"),
        &form,
        Some(&big),
    );
    assert_eq!(status, 413, "{body}");
}
