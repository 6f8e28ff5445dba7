//! Numbered schema versions of the PostgreSQL store, recorded in `schema_migrations`
//! (one row per applied step).
//!
//! Every start runs [`migrate`]: one transaction that first takes a transaction-scoped
//! advisory lock ([`MIGRATION_LOCK`]), so replicas starting together queue there and the
//! second finds the steps applied by the first; then reads the version, refuses a database
//! newer than this build ([`StoreError::SchemaTooNew`], nothing changed) and applies the
//! missing steps with their rows. PostgreSQL's DDL is transactional, so a failing step
//! leaves the database at the version before the start.
//!
//! The numbering is the PostgreSQL store's own; it does not follow the SQLite file's.

use deadpool_postgres::GenericClient;

use super::pg_err;
use crate::store::StoreError;

/// One step of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The version the database has after this step; the steps are numbered 1, 2, ...
    pub version: i64,
    /// What the step changes, for the log and the `schema_migrations` row.
    pub summary: &'static str,
    /// The statements of the step.
    pub sql: &'static str,
}

/// The key of the advisory lock held while migrating (any constant no other user of the
/// database takes; this one spells "mwmigrat" in ASCII).
pub const MIGRATION_LOCK: i64 = 0x6d77_6d69_6772_6174;

/// Every step, oldest first.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    summary: "projects, day-partitioned events and thumbnails, snapshots and the alert tables",
    sql: SCHEMA_1,
}];

/// The newest schema version this build knows.
pub const LATEST: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// The first schema. JSON is kept as `text` (stored and returned byte for byte, as the
/// store promises; `jsonb` would reorder keys). Events and thumbnails are partitioned by
/// `ts_us` into one partition per UTC day, created on demand by the store (see
/// [`super::events`]), plus a default partition for times far from now.
const SCHEMA_1: &str = "
CREATE TABLE projects (
    name text PRIMARY KEY,
    config text NOT NULL,
    reference bytea,
    reference_format text,
    created_us bigint NOT NULL,
    updated_us bigint NOT NULL
);
CREATE SEQUENCE events_seq;
CREATE TABLE events (
    seq bigint NOT NULL,
    project text NOT NULL,
    ts_us bigint NOT NULL,
    event_id text,
    vals text NOT NULL,
    label text,
    latency double precision,
    status integer,
    error text
) PARTITION BY RANGE (ts_us);
CREATE TABLE events_other PARTITION OF events DEFAULT;
CREATE INDEX events_by_time ON events (project, ts_us, seq);
CREATE INDEX events_by_id ON events (project, event_id) WHERE event_id IS NOT NULL;
CREATE TABLE thumbnails (
    event bigint NOT NULL,
    project text NOT NULL,
    ts_us bigint NOT NULL,
    col text NOT NULL,
    jpeg bytea NOT NULL
) PARTITION BY RANGE (ts_us);
CREATE TABLE thumbnails_other PARTITION OF thumbnails DEFAULT;
CREATE INDEX thumbnails_by_event ON thumbnails (project, event);
CREATE TABLE reference_thumbnails (
    project text NOT NULL,
    col text NOT NULL,
    row_index bigint NOT NULL,
    jpeg bytea NOT NULL,
    PRIMARY KEY (project, col, row_index)
);
CREATE TABLE snapshots (
    id bigserial PRIMARY KEY,
    project text NOT NULL,
    taken_us bigint NOT NULL,
    window_from_us bigint NOT NULL,
    window_to_us bigint NOT NULL,
    rows bigint NOT NULL,
    results text NOT NULL
);
CREATE INDEX snapshots_by_time ON snapshots (project, taken_us);
CREATE INDEX snapshots_taken ON snapshots (taken_us);
CREATE TABLE snapshot_metrics (
    snapshot bigint NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    metric text NOT NULL,
    col text NOT NULL,
    value double precision NOT NULL
);
CREATE INDEX snapshot_metrics_by_snapshot ON snapshot_metrics (snapshot);

CREATE TABLE alert_rules (
    name text NOT NULL,
    project text NOT NULL,
    rule text NOT NULL,
    PRIMARY KEY (name, project)
);
CREATE TABLE alert_transitions (
    id bigserial PRIMARY KEY,
    ts_us bigint NOT NULL,
    alertname text NOT NULL,
    project text NOT NULL,
    fingerprint text NOT NULL,
    from_state text NOT NULL,
    to_state text NOT NULL,
    value double precision,
    labels text NOT NULL,
    annotations text NOT NULL
);
CREATE INDEX alert_transitions_by_time ON alert_transitions (ts_us);
CREATE TABLE alert_active (
    key text PRIMARY KEY,
    data text NOT NULL
);
CREATE TABLE alert_silences (
    id bigserial PRIMARY KEY,
    matchers text NOT NULL,
    starts_us bigint NOT NULL,
    ends_us bigint NOT NULL,
    created_by text NOT NULL,
    comment text NOT NULL
);
CREATE TABLE alert_outbox (
    id bigserial PRIMARY KEY,
    receiver text NOT NULL,
    body text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_us bigint NOT NULL,
    created_us bigint NOT NULL,
    last_error text
);
CREATE INDEX alert_outbox_due ON alert_outbox (next_us, id);
CREATE TABLE alert_serving (
    project text NOT NULL,
    minute bigint NOT NULL,
    requests bigint NOT NULL,
    errors bigint NOT NULL,
    l0 bigint NOT NULL, l1 bigint NOT NULL, l2 bigint NOT NULL, l3 bigint NOT NULL,
    l4 bigint NOT NULL, l5 bigint NOT NULL, l6 bigint NOT NULL, l7 bigint NOT NULL,
    l8 bigint NOT NULL, l9 bigint NOT NULL, l10 bigint NOT NULL, l11 bigint NOT NULL,
    PRIMARY KEY (project, minute)
);
";

const CREATE_VERSIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version bigint PRIMARY KEY,
    summary text NOT NULL,
    applied_us bigint NOT NULL
)";

/// The schema version recorded in the database (0 when none is).
pub(super) async fn schema_version<C: GenericClient>(c: &C) -> Result<i64, StoreError> {
    let exists = c
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await
        .map_err(pg_err)?
        .get::<_, bool>(0);
    if !exists {
        return Ok(0);
    }
    let row = c
        .query_one(
            "SELECT COALESCE(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(pg_err)?;
    Ok(row.get(0))
}

/// Brings the database to [`LATEST`]; returns the version it has then.
pub(super) async fn migrate(c: &mut deadpool_postgres::Object) -> Result<i64, StoreError> {
    apply(c, MIGRATIONS).await
}

/// Applies the steps of `migrations` above the database's version in one transaction
/// holding [`MIGRATION_LOCK`].
async fn apply(
    c: &mut deadpool_postgres::Object,
    migrations: &[Migration],
) -> Result<i64, StoreError> {
    let latest = migrations.last().map_or(0, |m| m.version);
    let tx = c.transaction().await.map_err(pg_err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg_err)?;
    let found = schema_version(&tx).await?;
    if found > latest {
        // Dropped without commit: rolled back, nothing changed.
        return Err(StoreError::SchemaTooNew {
            found,
            supported: latest,
        });
    }
    tx.batch_execute(CREATE_VERSIONS).await.map_err(pg_err)?;
    let now = crate::store::postgres::events::now_us();
    for m in migrations.iter().filter(|m| m.version > found) {
        tx.batch_execute(m.sql).await.map_err(|e| {
            StoreError::Database(format!(
                "schema migration {} ({}) failed: {}",
                m.version,
                m.summary,
                pg_err(e)
            ))
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, summary, applied_us) VALUES ($1, $2, $3)",
            &[&m.version, &m.summary, &now],
        )
        .await
        .map_err(pg_err)?;
        tracing::info!(
            version = m.version,
            summary = m.summary,
            "store schema migrated"
        );
    }
    tx.commit().await.map_err(pg_err)?;
    Ok(found.max(latest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::postgres::{test_cluster, PgDatabase, PgRuntime};

    /// A pool on the test database, without the store's own migration.
    fn database(url: &str) -> PgDatabase {
        let config: tokio_postgres::Config = url.parse().unwrap();
        let manager = deadpool_postgres::Manager::new(config.clone(), tokio_postgres::NoTls);
        PgDatabase {
            pool: deadpool_postgres::Pool::builder(manager)
                .max_size(2)
                .build()
                .unwrap(),
            runtime: PgRuntime::new().unwrap(),
            target: String::new(),
            config,
        }
    }

    /// Steps run in order, each recorded once; a failing step rolls the whole start back
    /// (PostgreSQL's DDL is transactional), and once fixed runs from where it was.
    #[test]
    fn later_steps_run_in_order_and_a_failing_start_changes_nothing() {
        let Some(db) = test_cluster::database("steps") else {
            return;
        };
        let steps = [
            Migration {
                version: 1,
                summary: "a table",
                sql: "CREATE TABLE t (a bigint); INSERT INTO t VALUES (1);",
            },
            Migration {
                version: 2,
                summary: "a column",
                sql:
                    "ALTER TABLE t ADD COLUMN b text NOT NULL DEFAULT 'x'; UPDATE t SET a = a + 10;",
            },
            Migration {
                version: 3,
                summary: "breaks half-way",
                sql: "CREATE TABLE u (c bigint); INSERT INTO missing VALUES (1);",
            },
        ];
        let pg = database(&db.url);
        let run = |steps: &[Migration]| pg.run(|mut c| async move { apply(&mut c, steps).await });
        assert_eq!(run(&steps[..1]).unwrap(), 1);
        let err = run(&steps).unwrap_err().to_string();
        assert!(
            err.contains("schema migration 3 (breaks half-way) failed") && err.contains("missing"),
            "{err}"
        );
        // Step 2 ran in the same start as step 3: both rolled back.
        assert_eq!(
            db.query_one("SELECT max(version) FROM schema_migrations"),
            "1"
        );
        assert_eq!(db.query_one("SELECT a FROM t"), "1");
        assert_eq!(db.query_one("SELECT to_regclass('u') IS NULL"), "t");
        let mut fixed = steps;
        fixed[2].sql = "CREATE TABLE u (c bigint);";
        assert_eq!(run(&fixed).unwrap(), 3);
        assert_eq!(db.query_one("SELECT a || b FROM t"), "11x");
        assert_eq!(
            db.query_one(
                "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"
            ),
            "1,2,3"
        );
        // Again: nothing to do.
        assert_eq!(run(&fixed).unwrap(), 3);
        assert_eq!(db.query_one("SELECT count(*) FROM schema_migrations"), "3");
    }

    #[test]
    fn steps_are_numbered_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.summary);
        }
        assert_eq!(LATEST, MIGRATIONS.len() as i64);
    }
}
