//! Numbered schema versions of the SQLite store, recorded in `PRAGMA user_version`.
//!
//! Version 0 is a file from before versions were kept: every start created the tables
//! `IF NOT EXISTS` and left `user_version` at 0. Migration 1 is that schema statement for
//! statement, still `IF NOT EXISTS`, so on such a file it finds every table in place,
//! changes nothing and records version 1; on a new file it creates everything. Later
//! migrations are appended to [`MIGRATIONS`] in order; each runs in one transaction
//! together with its version bump, so a failing one leaves the file at the version before
//! it. A file of a version above [`LATEST`] is refused: this build does not know what the
//! newer schema means, and writing to it could lose data.

use rusqlite::{Connection, TransactionBehavior};

use super::db_err;
use crate::store::StoreError;

/// One step of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The version the file has after this step; the steps are numbered 1, 2, ...
    pub version: i64,
    /// What the step changes, for the log.
    pub summary: &'static str,
    /// The statements of the step.
    pub sql: &'static str,
}

/// Every step, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        summary: "projects, events, snapshots and the alert tables",
        sql: SCHEMA_1,
    },
    Migration {
        version: 2,
        summary: "thumbnails of ingested and reference images",
        sql: SCHEMA_2,
    },
];

/// The newest schema version this build knows.
pub const LATEST: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// The schema that was created `IF NOT EXISTS` before versions were kept: the event tables
/// first, then the alert tables (rules created through the API, every state transition,
/// the alerts pending or firing, silences, the notification outbox, and minute buckets of
/// the monitored model's serving facts for SLO windows).
const SCHEMA_1: &str = "
CREATE TABLE IF NOT EXISTS projects (
    name TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    reference BLOB,
    reference_format TEXT,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    project TEXT NOT NULL,
    ts_us INTEGER NOT NULL,
    event_id TEXT,
    vals TEXT NOT NULL,
    label TEXT,
    latency REAL,
    status INTEGER,
    error TEXT
);
CREATE INDEX IF NOT EXISTS events_by_time ON events (project, ts_us);
CREATE INDEX IF NOT EXISTS events_by_id ON events (project, event_id) WHERE event_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY,
    project TEXT NOT NULL,
    taken_us INTEGER NOT NULL,
    window_from_us INTEGER NOT NULL,
    window_to_us INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    results TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshots_by_time ON snapshots (project, taken_us);
CREATE TABLE IF NOT EXISTS snapshot_metrics (
    snapshot INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    col TEXT NOT NULL,
    value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshot_metrics_by_snapshot ON snapshot_metrics (snapshot);

CREATE TABLE IF NOT EXISTS alert_rules (
    name TEXT NOT NULL,
    project TEXT NOT NULL,
    rule TEXT NOT NULL,
    PRIMARY KEY (name, project)
);
CREATE TABLE IF NOT EXISTS alert_transitions (
    id INTEGER PRIMARY KEY,
    ts_us INTEGER NOT NULL,
    alertname TEXT NOT NULL,
    project TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    value REAL,
    labels TEXT NOT NULL,
    annotations TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_transitions_by_time ON alert_transitions (ts_us);
CREATE TABLE IF NOT EXISTS alert_active (
    key TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_silences (
    id INTEGER PRIMARY KEY,
    matchers TEXT NOT NULL,
    starts_us INTEGER NOT NULL,
    ends_us INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    comment TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_outbox (
    id INTEGER PRIMARY KEY,
    receiver TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_us INTEGER NOT NULL,
    created_us INTEGER NOT NULL,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS alert_serving (
    project TEXT NOT NULL,
    minute INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    l0 INTEGER NOT NULL, l1 INTEGER NOT NULL, l2 INTEGER NOT NULL, l3 INTEGER NOT NULL,
    l4 INTEGER NOT NULL, l5 INTEGER NOT NULL, l6 INTEGER NOT NULL, l7 INTEGER NOT NULL,
    l8 INTEGER NOT NULL, l9 INTEGER NOT NULL, l10 INTEGER NOT NULL, l11 INTEGER NOT NULL,
    PRIMARY KEY (project, minute)
);
";

/// Thumbnails: a small JPEG of each ingested image, deleted with its event by the foreign
/// key (retention and project deletion delete events), and of the first images of a zip
/// reference, replaced with the reference and deleted with the project by the store.
const SCHEMA_2: &str = "
CREATE TABLE thumbnails (
    event INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
    col TEXT NOT NULL,
    jpeg BLOB NOT NULL
);
CREATE INDEX thumbnails_by_event ON thumbnails (event);
CREATE TABLE reference_thumbnails (
    project TEXT NOT NULL,
    col TEXT NOT NULL,
    row INTEGER NOT NULL,
    jpeg BLOB NOT NULL,
    PRIMARY KEY (project, col, row)
);
";

/// The schema version recorded in the file (0 for a new file or one from before versions).
pub(super) fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db_err)
}

fn too_new(found: i64, supported: i64) -> StoreError {
    StoreError::SchemaTooNew { found, supported }
}

/// Refuses a file whose schema is newer than this build knows.
pub(super) fn refuse_newer(conn: &Connection) -> Result<(), StoreError> {
    let found = schema_version(conn)?;
    if found > LATEST {
        return Err(too_new(found, LATEST));
    }
    Ok(())
}

/// Brings the file to [`LATEST`].
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    apply(conn, MIGRATIONS)
}

/// Applies the steps of `migrations` above the file's version, in order, each in its own
/// transaction with its version bump.
fn apply(conn: &mut Connection, migrations: &[Migration]) -> Result<(), StoreError> {
    let latest = migrations.last().map_or(0, |m| m.version);
    let start = schema_version(conn)?;
    if start > latest {
        return Err(too_new(start, latest));
    }
    for m in migrations.iter().filter(|m| m.version > start) {
        // Immediate: the version is read again under the write lock, so two processes
        // opening the same old file at once run each step once.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let current = schema_version(&tx)?;
        if current > latest {
            return Err(too_new(current, latest));
        }
        if current >= m.version {
            continue;
        }
        tx.execute_batch(m.sql).map_err(|e| {
            StoreError::Database(format!(
                "schema migration {} ({}) failed: {e}",
                m.version, m.summary
            ))
        })?;
        tx.pragma_update(None, "user_version", m.version)
            .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        tracing::info!(
            version = m.version,
            summary = m.summary,
            "store schema migrated"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_names(conn: &Connection) -> Vec<String> {
        let mut st = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let rows = st.query_map([], |r| r.get(0)).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn steps_are_numbered_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.summary);
        }
        assert_eq!(LATEST, MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_new_file_gets_every_table_at_the_latest_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), LATEST);
        assert_eq!(
            table_names(&conn),
            [
                "alert_active",
                "alert_outbox",
                "alert_rules",
                "alert_serving",
                "alert_silences",
                "alert_transitions",
                "events",
                "projects",
                "reference_thumbnails",
                "snapshot_metrics",
                "snapshots",
                "thumbnails"
            ]
        );
        // Opening again changes nothing.
        migrate(&mut conn).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), LATEST);
    }

    /// A file from before versions: the tables exist (here only the event tables, as a
    /// server that never opened the alert tables would leave them), `user_version` is 0.
    #[test]
    fn an_unversioned_file_keeps_its_rows_and_gains_what_it_lacked() {
        let mut conn = Connection::open_in_memory().unwrap();
        let event_tables = &SCHEMA_1[..SCHEMA_1
            .find("CREATE TABLE IF NOT EXISTS alert_rules")
            .unwrap()];
        conn.execute_batch(event_tables).unwrap();
        conn.execute(
            "INSERT INTO events (project, ts_us, event_id, vals) VALUES ('p', 5, 'e', '{}')",
            [],
        )
        .unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 0);
        apply(&mut conn, &MIGRATIONS[..1]).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 1);
        let (n, ts): (i64, i64) = conn
            .query_row("SELECT count(*), max(ts_us) FROM events", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((n, ts), (1, 5));
        assert!(table_names(&conn).contains(&"alert_outbox".to_string()));
    }

    /// A file of version 1 with events gains the thumbnail tables; its events keep their
    /// rows, take thumbnails, and deleting an event deletes its thumbnails.
    #[test]
    fn version_1_gains_thumbnails_deleted_with_their_events() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
        apply(&mut conn, &MIGRATIONS[..1]).unwrap();
        conn.execute(
            "INSERT INTO events (seq, project, ts_us, vals) VALUES (7, 'p', 5, '{}'), (8, 'p', 9, '{}')",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 2);
        conn.execute_batch(
            "INSERT INTO thumbnails (event, col, jpeg) VALUES (7, 'photo', x'ffd8'), (8, 'photo', x'ffd9');
             INSERT INTO reference_thumbnails (project, col, row, jpeg) VALUES ('p', 'photo', 0, x'ff');",
        )
        .unwrap();
        conn.execute("DELETE FROM events WHERE ts_us < 6", [])
            .unwrap();
        let left: Vec<i64> = conn
            .prepare("SELECT event FROM thumbnails")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(left, [8]);
        let events: i64 = conn
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(events, 1);
    }

    #[test]
    fn later_steps_run_in_order_and_a_failing_one_changes_nothing() {
        let steps = [
            Migration {
                version: 1,
                summary: "a table",
                sql: "CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);",
            },
            Migration {
                version: 2,
                summary: "a column",
                sql: "ALTER TABLE t ADD COLUMN b TEXT NOT NULL DEFAULT 'x'; \
                      UPDATE t SET a = a + 10;",
            },
            Migration {
                version: 3,
                summary: "breaks half-way",
                sql: "CREATE TABLE u (c INTEGER); INSERT INTO missing VALUES (1);",
            },
        ];
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn, &steps[..1]).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 1);
        let err = apply(&mut conn, &steps).unwrap_err().to_string();
        assert!(
            err.contains("schema migration 3 (breaks half-way) failed"),
            "{err}"
        );
        // Step 2 is committed, step 3 rolled back whole.
        assert_eq!(schema_version(&conn).unwrap(), 2);
        let row: (i64, String) = conn
            .query_row("SELECT a, b FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(row, (11, "x".to_string()));
        assert!(!table_names(&conn).contains(&"u".to_string()));
        // Fixed, step 3 runs from version 2 and step 2 does not run again.
        let mut fixed = steps;
        fixed[2].sql = "CREATE TABLE u (c INTEGER);";
        apply(&mut conn, &fixed).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 3);
        let a: i64 = conn.query_row("SELECT a FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(a, 11);
    }

    #[test]
    fn a_newer_file_is_refused_naming_both_versions() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", LATEST + 6)
            .unwrap();
        let expected = format!(
            "database schema version {} is newer than this modelwatch supports ({LATEST}); \
             upgrade modelwatch",
            LATEST + 6
        );
        assert_eq!(refuse_newer(&conn).unwrap_err().to_string(), expected);
        assert_eq!(migrate(&mut conn).unwrap_err().to_string(), expected);
        assert_eq!(schema_version(&conn).unwrap(), LATEST + 6);
        assert!(table_names(&conn).is_empty());
    }
}
