//! The real server on loopback against careless and hostile clients: label cardinality on
//! /metrics, out-of-range durations, refused project names, the bearer scheme's case,
//! NaN and infinity in ingested text, login rate limits and the session cookie's `Secure`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::*;
use modelwatch_server::config::ServerConfig;

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
