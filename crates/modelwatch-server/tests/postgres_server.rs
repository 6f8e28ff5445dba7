//! The server over the PostgreSQL store (a real PostgreSQL, see `common/postgres.rs`):
//! losing the database answers ingestion 503 with `Retry-After` and `/readyz` unready,
//! acknowledges nothing it did not store, and recovers by itself when the database
//! accepts connections again.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use modelwatch_server::config::ServerConfig;
use modelwatch_server::store::postgres::PostgresStore;

fn server_on(db: &postgres::TestDatabase) -> TestServer {
    let store = PostgresStore::open(&db.url, Duration::from_secs(5)).unwrap();
    TestServer::start_with_store(Arc::new(store), ServerConfig::default())
}

/// Ingests with ureq to read the `Retry-After` header: (status, Retry-After).
fn ingest(url: &str, body: &str) -> (u16, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let r = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body.as_bytes())
        .unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (r.status().as_u16(), retry)
}

#[test]
fn a_lost_database_is_503_with_retry_after_and_the_server_recovers_by_itself() {
    let Some(db) = postgres::database("lost") else {
        return;
    };
    let server = server_on(&db);
    create_iris(&server, "iris");
    let events = server.url("/api/v1/projects/iris/events");
    assert_eq!(ingest(&events, &iris_events(5, 0.0)), (200, None));

    // Every open connection of the pool is cut: the pool notices and opens new ones.
    let cut = format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{}'",
        db.name
    );
    db.execute_on_server(&cut);
    assert_eq!(ingest(&events, &iris_events(5, 0.0)), (200, None));

    // The database refuses connections: nothing is acknowledged.
    db.execute_on_server(&format!(
        "ALTER DATABASE {} ALLOW_CONNECTIONS false",
        db.name
    ));
    db.execute_on_server(&cut);
    assert_eq!(
        ingest(&events, &iris_events(5, 0.0)),
        (503, Some("1".to_string()))
    );
    let r = get(&server.url("/readyz"));
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(get(&server.url("/healthz")).status, 200);

    // It is back: ready again without an ingest first, and the next request commits.
    db.execute_on_server(&format!(
        "ALTER DATABASE {} ALLOW_CONNECTIONS true",
        db.name
    ));
    wait_for("ready again", Duration::from_secs(10), || {
        get(&server.url("/readyz")).status == 200
    });
    assert_eq!(ingest(&events, &iris_events(5, 0.0)), (200, None));
    assert_eq!(
        get(&server.url("/api/v1/projects/iris")).json()["events"],
        serde_json::json!(15)
    );
    assert_eq!(db.query_one("SELECT count(*) FROM events"), "15");
}

/// Every route a newcomer touches works on PostgreSQL: a project, events, labels, a
/// report window, a snapshot with its series, and the dashboard pages.
#[test]
fn the_api_and_dashboard_work_on_postgres() {
    let Some(db) = postgres::database("api") else {
        return;
    };
    let server = server_on(&db);
    create_iris(&server, "iris");
    let base = "/api/v1/projects/iris";
    let a = post_json(
        &server.url(&format!("{base}/events")),
        &iris_events(40, 0.0),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let a = call("POST", &server.url(&format!("{base}/snapshots")), &[], None);
    assert_eq!(a.status, 201, "{}", a.body);
    let list = get(&server.url(&format!("{base}/snapshots"))).json();
    let snaps = list["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0]["rows"], 40);
    let report = get(&server.url(&format!("{base}/report?last=20")));
    assert_eq!(report.status, 200, "{}", report.body);
    for page in ["/", "/projects/iris"] {
        let p = get(&server.url(page));
        assert_eq!(p.status, 200, "{page}: {}", p.body);
    }
    assert_eq!(get(&server.url(base)).json()["events"], 40);
}
