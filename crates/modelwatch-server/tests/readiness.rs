//! `/readyz` tells the truth about writes: while commits of events fail (here a store whose
//! event writes fail on demand, standing in for a full disk) it answers 503 with the
//! reason, and once the store can write again the next probe (or commit) makes it ready
//! again without a restart.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::failing_store::FailingWrites;
use common::*;
use modelwatch_server::config::ServerConfig;

#[test]
fn readyz_is_503_while_event_commits_fail_and_ready_once_a_write_succeeds_again() {
    let dir = tempfile::tempdir().unwrap();
    let (store, full) = FailingWrites::open(&dir.path().join("mw.db"));
    let server = TestServer::start_with_store(Arc::new(store), ServerConfig::default());
    let url = |p: &str| server.url(p);
    let a = call(
        "POST",
        &url("/api/v1/projects?name=iris"),
        &[("Content-Type", "text/csv")],
        Some(&iris_reference()),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let events = url("/api/v1/projects/iris/events");
    assert_eq!(post_json(&events, &iris_events(5, 0.0)).status, 200);
    assert_eq!(get(&url("/readyz")).status, 200);

    full.store(true, Ordering::SeqCst);
    assert_eq!(post_json(&events, &iris_events(5, 0.0)).status, 503);
    // Labels that cannot be written are a 503 too (send again), not an internal error.
    let labels = post_json(
        &url("/api/v1/projects/iris/labels"),
        r#"[{"id": "a", "target": "setosa"}]"#,
    );
    assert_eq!(labels.status, 503, "{}", labels.body);
    assert!(
        labels.body.contains("send the request again"),
        "{}",
        labels.body
    );
    let r = get(&url("/readyz"));
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.body.contains("store cannot write since") && r.body.contains("disk is full"),
        "{}",
        r.body
    );
    assert_eq!(get(&url("/healthz")).status, 200);

    // Still full: each probe tries a write and stays unready.
    let r = get(&url("/readyz"));
    assert_eq!(r.status, 503, "{}", r.body);

    // Space is back: readiness follows by itself, without an ingest request first (a load
    // balancer that stopped sending events on the 503 would otherwise never send another),
    // and the next request commits.
    full.store(false, Ordering::SeqCst);
    let r = get(&url("/readyz"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(post_json(&events, &iris_events(5, 0.0)).status, 200);
    assert_eq!(
        get(&url("/api/v1/projects/iris")).json()["events"],
        serde_json::json!(10)
    );
}
