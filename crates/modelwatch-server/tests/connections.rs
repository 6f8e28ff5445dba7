//! Connection bounds: header-read, idle and body-read timeouts, the connection limit and
//! the shutdown deadline, each driven over raw loopback sockets with short settings.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{config_from_toml, TestServer};

fn connect(server: &TestServer) -> TcpStream {
    let addr = server.base.trim_start_matches("http://");
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(6))).unwrap();
    s
}

/// Reads until the peer closes; returns what arrived and how long it took. A read
/// timeout (the peer kept the connection open) fails the test.
fn read_until_closed(s: &mut TcpStream) -> (String, Duration) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the server kept the connection open ({e}) after {:?}; got {:?}",
                start.elapsed(),
                String::from_utf8_lossy(&got)
            ),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), start.elapsed())
}

/// Sends a keep-alive `GET /healthz` and reads its whole answer (a short JSON body).
fn healthz(s: &mut TcpStream) -> String {
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer_complete(&got) {
        let n = s.read(&mut buf).expect("an answer to /healthz");
        assert!(n > 0, "closed before answering");
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn answer_complete(got: &[u8]) -> bool {
    let text = String::from_utf8_lossy(got);
    let Some(end) = text.find("\r\n\r\n") else {
        return false;
    };
    let length = text[..end]
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    got.len() >= end + 4 + length
}

#[test]
fn a_half_sent_head_is_closed_after_header_read_timeout() {
    let server = TestServer::start(config_from_toml(
        "[connections]\nheader_read_timeout = \"1s\"\n",
    ));
    let mut s = connect(&server);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .unwrap();
    let (_, waited) = read_until_closed(&mut s);
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(4),
        "closed after {waited:?}"
    );
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let server = TestServer::start(config_from_toml(
        "[connections]\nheader_read_timeout = \"1s\"\n",
    ));
    // Never a byte sent.
    let mut silent = connect(&server);
    // One answered request, then keep-alive silence.
    let mut kept = connect(&server);
    assert!(healthz(&mut kept).starts_with("HTTP/1.1 200"));
    for s in [&mut silent, &mut kept] {
        let (rest, waited) = read_until_closed(s);
        assert!(rest.is_empty() || rest.contains("408"), "{rest}");
        assert!(waited < Duration::from_secs(4), "closed after {waited:?}");
    }
}

#[test]
fn a_stalled_body_is_cut_after_body_read_timeout() {
    let server = TestServer::start(config_from_toml(
        "[connections]\nbody_read_timeout = \"1s\"\n",
    ));
    let mut s = connect(&server);
    s.write_all(
        b"POST /api/v1/projects/nope/events HTTP/1.1\r\nHost: t\r\n\
          Content-Type: application/json\r\nContent-Length: 100\r\n\r\n[{\"a\": 1}",
    )
    .unwrap();
    let start = Instant::now();
    let (answer, _) = read_until_closed(&mut s);
    let waited = start.elapsed();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("body_read_timeout"), "{answer}");
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(4),
        "answered after {waited:?}"
    );
}

#[test]
fn past_max_connections_newcomers_wait_and_open_clients_still_answer() {
    let server = TestServer::start(config_from_toml(
        "[connections]\nmax_connections = 2\nheader_read_timeout = \"30s\"\n",
    ));
    let mut first = connect(&server);
    assert!(healthz(&mut first).starts_with("HTTP/1.1 200"));
    let mut second = connect(&server);
    assert!(healthz(&mut second).starts_with("HTTP/1.1 200"));
    // The third waits in the backlog while both slots are held...
    let mut third = connect(&server);
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 64];
    let early = third.read(&mut buf);
    assert!(
        matches!(&early, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
            || e.kind() == std::io::ErrorKind::TimedOut),
        "the connection past the limit was served at once: {early:?}"
    );
    // ...and does not stop an open client from being answered promptly.
    let start = Instant::now();
    assert!(healthz(&mut first).starts_with("HTTP/1.1 200"));
    assert!(start.elapsed() < Duration::from_secs(2));
    // When a slot frees, the waiting one is served.
    drop(second);
    third
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let n = third.read(&mut buf).expect("served once a slot frees");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

#[test]
fn shutdown_drops_a_stalled_request_after_shutdown_timeout() {
    let mut server = TestServer::start(config_from_toml(
        "shutdown_timeout = \"1s\"\n[connections]\nheader_read_timeout = \"60s\"\n",
    ));
    let mut s = connect(&server);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let start = Instant::now();
    let stopper = std::thread::spawn(move || {
        server.stop();
        let _ = done_tx.send(());
        server
    });
    done_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("serve returned within shutdown_timeout and a margin");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(800),
        "stopped after {waited:?}"
    );
    drop(stopper.join().unwrap());
    let (_, _) = read_until_closed(&mut s);
}
