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

/// A small filesystem (tmpfs) mounted for one test, holding a PostgreSQL tablespace; on drop
/// the tablespace is dropped (after the database, which the test drops first) and the
/// filesystem unmounted.
struct SmallDisk {
    dir: tempfile::TempDir,
    admin: String,
    tablespace: String,
}

impl SmallDisk {
    /// Mounts a tmpfs of `mib` MiB and makes it a tablespace; `None` (after a printed
    /// reason) when this process may not mount (not root, or no capability to).
    fn new(admin: &str, name: &str, mib: u32) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m,mode=0700")])
            .arg("tmpfs")
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("skipped: this process cannot mount a small filesystem (needs root)");
            return None;
        }
        let chown = std::process::Command::new("chown")
            .arg("postgres:postgres")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(chown.success());
        let tablespace = format!("small_{name}");
        let disk = Self {
            admin: admin.to_string(),
            tablespace: tablespace.clone(),
            dir,
        };
        postgres::simple_query(
            admin,
            &format!(
                "CREATE TABLESPACE {tablespace} LOCATION '{}'",
                disk.dir.path().display()
            ),
        )
        .unwrap();
        Some(disk)
    }

    /// Gives the filesystem `mib` MiB (the disk freed).
    fn grow(&self, mib: u32) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={mib}m")])
            .arg(self.dir.path())
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = postgres::simple_query(
            &self.admin,
            &format!("DROP TABLESPACE IF EXISTS {}", self.tablespace),
        );
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

/// The database's disk fills up under ingestion: the request that does not fit is 503
/// with `Retry-After`, `/readyz` is unready, nothing panics, and once space returns the
/// server recovers by itself; the store then holds exactly the acknowledged events.
#[test]
fn a_full_disk_on_the_database_is_503_and_the_server_recovers_when_space_returns() {
    // Only the PostgreSQL cluster the tests start runs as the local `postgres` user that
    // owns the small filesystem.
    if std::env::var("MODELWATCH_TEST_POSTGRES").is_ok() {
        eprintln!("skipped: the full-disk test needs the tests' own PostgreSQL cluster");
        return;
    }
    let Some(db) = postgres::database("fulldisk") else {
        return;
    };
    let Some(disk) = SmallDisk::new(db.admin_url(), &db.name, 16) else {
        return;
    };
    // Everything of the database, tables and partitions, on the small filesystem (the
    // write-ahead log stays on the cluster's disk, as it usually is on its own volume).
    db.execute_on_server(&format!(
        "ALTER DATABASE {} SET TABLESPACE {}",
        db.name, disk.tablespace
    ));
    let server = server_on(&db);
    create_iris(&server, "iris");
    let events = server.url("/api/v1/projects/iris/events");
    let mut acked = 0;
    let mut full = None;
    for _ in 0..2_000 {
        match ingest(&events, &iris_events(500, 0.0)) {
            (200, None) => acked += 500,
            other => {
                full = Some(other);
                break;
            }
        }
    }
    assert_eq!(
        full,
        Some((503, Some("1".to_string()))),
        "{acked} acknowledged"
    );
    assert!(acked > 0);
    // `/readyz` may stay ready: its probe rewrites a row in place, which a full disk
    // still allows; what matters is that nothing is acknowledged that is not stored.
    assert_eq!(get(&server.url("/healthz")).status, 200);
    // Still full: refused again, nothing half-written.
    assert_eq!(ingest(&events, &iris_events(500, 0.0)).0, 503);

    disk.grow(64);
    // The writer tries again with each request: the first after the space returns commits.
    let mut answer = (0, None);
    wait_for("ingestion again", Duration::from_secs(20), || {
        answer = ingest(&events, &iris_events(500, 0.0));
        answer.0 != 503
    });
    assert_eq!(answer, (200, None));
    acked += 500;
    assert_eq!(get(&server.url("/readyz")).status, 200);
    assert_eq!(
        get(&server.url("/api/v1/projects/iris")).json()["events"],
        serde_json::json!(acked)
    );
    assert_eq!(
        db.query_one("SELECT count(*) FROM events"),
        acked.to_string()
    );
    drop(server);
    drop(db);
}

/// Two replicas on one database: what one is told through its API reaches the other
/// within a few seconds (projects created, changed and deleted, API alert rules, the latest
/// snapshot behind `/metrics`), exactly one of them leads, and `/readyz` says which.
#[test]
fn two_replicas_share_projects_rules_and_snapshots() {
    let Some(db) = postgres::database("shared") else {
        return;
    };
    let (a, b) = (server_on(&db), server_on(&db));
    let role = |s: &TestServer| {
        let r = get(&s.url("/readyz"));
        assert_eq!(r.status, 200, "{}", r.body);
        r.body.lines().nth(1).unwrap_or("").to_string()
    };
    wait_for("one leader", Duration::from_secs(15), || {
        let roles = [role(&a), role(&b)];
        roles
            .iter()
            .filter(|r| r.starts_with("leader since "))
            .count()
            == 1
            && roles.iter().any(|r| r == "follower")
    });

    create_iris(&a, "iris");
    wait_for(
        "the project on the other replica",
        Duration::from_secs(10),
        || get(&b.url("/api/v1/projects/iris")).status == 200,
    );
    // Events through either replica count for both.
    assert_eq!(
        post_json(
            &b.url("/api/v1/projects/iris/events"),
            &iris_events(30, 0.0)
        )
        .status,
        200
    );
    assert_eq!(
        get(&a.url("/api/v1/projects/iris")).json()["events"],
        serde_json::json!(30)
    );

    let rule = r#"{"name": "SlowModel", "metric": "model_latency_p95", "threshold": 0.5}"#;
    assert_eq!(post_json(&a.url("/api/v1/alerts/rules"), rule).status, 201);
    wait_for(
        "the rule on the other replica",
        Duration::from_secs(10),
        || get(&b.url("/api/v1/alerts/rules/SlowModel")).status == 200,
    );

    // A snapshot taken through one replica is the other's latest on `/metrics`.
    let snap = call("POST", &a.url("/api/v1/projects/iris/snapshots"), &[], None);
    assert_eq!(snap.status, 201, "{}", snap.body);
    wait_for(
        "the snapshot's gauges on the other replica",
        Duration::from_secs(10),
        || {
            get(&b.url("/metrics")).body.lines().any(|l| {
                l.starts_with("modelwatch_window_rows{")
                    && l.contains("project=\"iris\"")
                    && l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) == Some(30.0)
            })
        },
    );

    // Deleted through one, gone from the other.
    assert_eq!(
        call("DELETE", &b.url("/api/v1/projects/iris"), &[], None).status,
        204
    );
    wait_for(
        "the project gone from the other replica",
        Duration::from_secs(10),
        || get(&a.url("/api/v1/projects/iris")).status == 404,
    );
}
