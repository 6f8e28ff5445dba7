//! The PostgreSQL store: every table of the server in one PostgreSQL database, for
//! teams that run several `serve` replicas or already keep their data there.
//!
//! - [`migrations`]: the numbered schema versions, recorded in `schema_migrations` and
//!   applied at start under an advisory lock (two replicas starting together migrate once);
//! - [`events`]: projects, events and snapshots ([`Store`](super::Store) for
//!   [`PostgresStore`]), with events and their thumbnails partitioned by day;
//! - [`alerts`]: the alert tables ([`AlertStore`](super::AlertStore) for
//!   [`PostgresAlertStore`]).
//!
//! The driver is `tokio-postgres` with a `deadpool-postgres` pool. The store's trait is
//! synchronous and is called from blocking threads, from the ingest writer thread and,
//! at start, from inside the server's runtime; so the store owns a small runtime of its
//! own that drives the connections, and a call waits for its query on the calling thread
//! (see [`PgRuntime::wait`]) instead of entering a runtime, which would panic inside
//! another one.

pub mod alerts;
pub mod events;
pub mod migrations;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

pub use alerts::PostgresAlertStore;

use super::StoreError;

/// The PostgreSQL back end: [`Store`](super::Store) over one database, and through
/// [`Store::alerts`](super::Store::alerts) its [`PostgresAlertStore`] on the same pool.
pub struct PostgresStore {
    db: Arc<PgDatabase>,
    alerts: Arc<PostgresAlertStore>,
    /// Days whose event partitions are known to exist (see [`events`]), so that a batch
    /// asks the catalogue only for a day it has not seen.
    partitions: Mutex<std::collections::HashSet<i64>>,
    /// The session holding [`LEADER_LOCK`] while this replica leads (see
    /// [`PostgresStore::try_lead`]); apart from the pool, as the lock lives with it.
    lead_session: Mutex<Option<tokio_postgres::Client>>,
}

/// The key of the session-level advisory lock the leading replica holds ("mwleader").
pub const LEADER_LOCK: i64 = 0x6d77_6c65_6164_6572;

/// The pool and the runtime driving its connections, shared by the two halves of the
/// store.
pub(crate) struct PgDatabase {
    pool: Pool,
    runtime: PgRuntime,
    /// `host:port/database`, for messages.
    target: String,
    /// Where to connect, for sessions outside the pool.
    config: tokio_postgres::Config,
}

/// The store's own runtime: its worker threads drive the connections' sockets.
pub(crate) struct PgRuntime(Option<tokio::runtime::Runtime>);

impl Drop for PgRuntime {
    /// Stops the runtime without waiting for its threads: the store may be dropped inside
    /// the server's runtime (at the end of `serve`), where a blocking shutdown panics. Every
    /// query has ended by then (each call waits for its own), so nothing is cut short but
    /// idle connections.
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// Wakes the thread that waits in [`PgRuntime::wait`].
struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

impl PgRuntime {
    fn new() -> Result<Self, StoreError> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("modelwatch-postgres")
            .enable_all()
            .build()
            .map(|rt| Self(Some(rt)))
            .map_err(|e| StoreError::Database(format!("cannot start the PostgreSQL runtime: {e}")))
    }

    /// Runs `f` to its end on the calling thread, parking it between polls. The store's
    /// runtime is entered (so a connection the pool opens meanwhile registers its socket
    /// with that runtime, and its task is spawned there) but not blocked on, which works
    /// from any thread, a worker of another runtime included.
    fn wait<F: Future>(&self, f: F) -> F::Output {
        let _entered = self.0.as_ref().map(|rt| rt.enter());
        let mut f = std::pin::pin!(f);
        let waker = Arc::new(ThreadWaker(std::thread::current())).into();
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park();
        }
    }
}

/// A PostgreSQL failure as the store's error: the server's own message when there is
/// one; a full disk or a read-only server is [`StoreError::NotWritable`].
pub(crate) fn pg_err(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let text = format!("{}: {} ({code})", db.severity(), db.message());
        // Class 53: insufficient resources (53100 disk full); 25006: read-only transaction.
        if code == "53100" || code == "25006" {
            return StoreError::NotWritable(text);
        }
        // Class 08 connection exception, 53 (too many connections, out of memory), 57P0x
        // shutdown or restart, 40001 / 40P01 serialization failure and deadlock: they pass.
        if code.starts_with("08")
            || code.starts_with("53")
            || code.starts_with("57P0")
            || code == "40001"
            || code == "40P01"
        {
            return StoreError::Unavailable(text);
        }
        return StoreError::Database(text);
    }
    // No server error: the connection itself (closed, cut, refused, timed out).
    let text = match std::error::Error::source(&e) {
        Some(s) => format!("{e}: {s}"),
        None => e.to_string(),
    };
    let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
    if e.is_closed() || io {
        StoreError::Unavailable(text)
    } else {
        StoreError::Database(text)
    }
}

/// A failed try of a write, by whether it may be tried again on another connection.
pub(crate) enum Failed {
    /// The connection was lost (or the transaction refused for a reason that passes) before
    /// its COMMIT was sent: the server rolled it back, so nothing of it is stored.
    Lost(StoreError),
    /// Anything else, a COMMIT whose answer was lost included.
    Other(StoreError),
}

impl From<StoreError> for Failed {
    fn from(e: StoreError) -> Self {
        Failed::Other(e)
    }
}

/// The error of a statement before COMMIT: [`Failed::Lost`] when it is one that passes
/// ([`StoreError::Unavailable`] by [`pg_err`]: the connection closed or cut, the server
/// restarting, a serialization failure), since the server rolled the transaction back;
/// [`Failed::Other`] otherwise.
pub(crate) fn before_commit(e: tokio_postgres::Error) -> Failed {
    match pg_err(e) {
        e @ StoreError::Unavailable(_) => Failed::Lost(e),
        e => Failed::Other(e),
    }
}

/// How many connections a write tries when each is found lost before its COMMIT.
const LOST_CONNECTION_TRIES: usize = 3;

/// A failure to get a pooled connection as the store's error.
fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg_err(e),
        // No connection in time, or the pool closed: the database is not reachable now.
        other @ (deadpool_postgres::PoolError::Timeout(_)
        | deadpool_postgres::PoolError::Closed) => StoreError::Unavailable(other.to_string()),
        other => StoreError::Database(other.to_string()),
    }
}

/// How many connections the pool keeps at most: the ingest writer, the alert loops, the
/// scheduler and a few concurrent readers.
const POOL_SIZE: usize = 12;

/// How long a start waits for an unreachable database in all, retrying with backoff.
pub const CONNECT_PATIENCE: Duration = Duration::from_secs(30);

impl PgDatabase {
    /// A pooled connection.
    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_err)
    }

    /// Runs the write `f` with a pooled connection as [`run`](Self::run) does, and again on
    /// another connection when it fails with [`Failed::Lost`]: a pooled connection is handed
    /// out without a round trip to check it, so after the database server dropped its
    /// connections (a restart, a terminated backend) the first write on each finds it out.
    fn run_write<T, F>(&self, f: impl Fn(deadpool_postgres::Object) -> F) -> Result<T, StoreError>
    where
        F: Future<Output = Result<T, Failed>>,
    {
        self.runtime.wait(async {
            let mut tries = 0;
            loop {
                tries += 1;
                match f(self.client().await?).await {
                    Ok(t) => return Ok(t),
                    Err(Failed::Lost(e)) if tries < LOST_CONNECTION_TRIES => {
                        tracing::debug!(error = %e, "store: connection lost before commit; trying another");
                    }
                    Err(Failed::Lost(e) | Failed::Other(e)) => return Err(e),
                }
            }
        })
    }

    /// Runs `f` with a pooled connection on the calling thread (see [`PgRuntime::wait`]).
    fn run<T, F>(&self, f: impl FnOnce(deadpool_postgres::Object) -> F) -> Result<T, StoreError>
    where
        F: Future<Output = Result<T, StoreError>>,
    {
        self.runtime.wait(async {
            let client = self.client().await?;
            f(client).await
        })
    }
}

/// Whether `db` (the `--db` flag or the config's `db`) names a PostgreSQL database
/// (`postgres://` or `postgresql://`) rather than a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// `host:port/database` of a connection string, without user or password, for messages.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", config.get_dbname().unwrap_or(""))
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` connection string), waiting up
    /// to `patience` for it to answer (retrying with a doubling pause from 0.5 s, each
    /// failure logged with the host), then brings the schema to the newest version this
    /// build knows; a database of a newer version is refused
    /// ([`StoreError::SchemaTooNew`]) before anything in it changes.
    pub fn open(url: &str, patience: Duration) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::Database(format!("not a PostgreSQL connection string: {e}"))
        })?;
        let target = describe(&config);
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            // Fast: a pooled connection is handed out unless its connection task has seen
            // it closed (a terminated backend says so before closing, a restarted server
            // closes the socket), without the round trip `Verified` spends on every
            // checkout; a connection lost silently fails one call, which answers 503 and is
            // then dropped from the pool.
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let db = Arc::new(PgDatabase {
            pool,
            runtime: PgRuntime::new()?,
            target,
            config,
        });
        db.wait_until_reachable(patience)?;
        let version = db.run(|mut c| async move { migrations::migrate(&mut c).await })?;
        tracing::debug!(version, target = %db.target, "PostgreSQL store schema ready");
        db.run(|c| async move { events::check_writable(&c).await })?;
        Ok(Self {
            alerts: Arc::new(PostgresAlertStore::new(db.clone())),
            db,
            partitions: Mutex::new(std::collections::HashSet::new()),
            lead_session: Mutex::new(None),
        })
    }

    /// Takes or confirms the leadership among the replicas on this database: `true` when
    /// this store's own session holds [`LEADER_LOCK`] (taken now with
    /// `pg_try_advisory_lock`, or still held by a session that answers), `false` when
    /// another session holds it. A session that fails is dropped (its lock, if the server
    /// still had it, goes with it) and the failure returned; the next call starts afresh.
    /// The decision built on it is [`crate::leadership::Leadership`].
    pub fn try_lead(&self) -> Result<bool, StoreError> {
        let mut held = self.lead_session.lock().unwrap_or_else(|p| p.into_inner());
        let current = held.take();
        let config = &self.db.config;
        let (result, session) = self.db.runtime.wait(async move {
            if let Some(client) = current {
                return match client.simple_query("SELECT 1").await {
                    Ok(_) => (Ok(true), Some(client)),
                    Err(e) => (Err(pg_err(e)), None),
                };
            }
            let (client, connection) = match config.connect(NoTls).await {
                Ok(c) => c,
                Err(e) => return (Err(pg_err(e)), None),
            };
            tokio::spawn(connection);
            match client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&LEADER_LOCK])
                .await
            {
                Ok(row) if row.get::<_, bool>(0) => (Ok(true), Some(client)),
                Ok(_) => (Ok(false), None),
                Err(e) => (Err(pg_err(e)), None),
            }
        });
        *held = session;
        result
    }

    /// Gives the leadership up: closes the session holding [`LEADER_LOCK`], if any.
    pub fn resign(&self) {
        *self.lead_session.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The schema version of the database (see [`migrations`]).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.db
            .run(|c| async move { migrations::schema_version(&c).await })
    }

    /// `host:port/database` of the store, without credentials.
    pub fn target(&self) -> &str {
        &self.db.target
    }
}

impl PgDatabase {
    fn wait_until_reachable(&self, patience: Duration) -> Result<(), StoreError> {
        let start = std::time::Instant::now();
        let mut pause = Duration::from_millis(500);
        loop {
            let tried = self.run(|c| async move {
                c.simple_query("SELECT 1").await.map_err(pg_err)?;
                Ok(())
            });
            match tried {
                Ok(()) => return Ok(()),
                Err(e) => {
                    let waited = start.elapsed();
                    if waited + pause > patience {
                        return Err(StoreError::Database(format!(
                            "cannot reach PostgreSQL at {} (tried for {} s): {e}",
                            self.target,
                            waited.as_secs()
                        )));
                    }
                    tracing::warn!(target = %self.target, error = %e,
                        retry_in_ms = pause.as_millis() as u64,
                        "PostgreSQL not reachable yet");
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(8));
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "../../../tests/common/postgres.rs"]
pub(crate) mod test_cluster;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_postgres_and_paths_do_not() {
        assert!(is_postgres_url("postgres://u@h/db"));
        assert!(is_postgres_url("postgresql://h:5433/db"));
        assert!(!is_postgres_url("modelwatch.db"));
        assert!(!is_postgres_url("/var/lib/postgres.db"));
    }

    #[test]
    fn an_unreachable_database_is_named_after_bounded_retries() {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        let start = std::time::Instant::now();
        let err = PostgresStore::open(
            "postgres://someone:secret@127.0.0.1:1/metrics",
            Duration::from_millis(1200),
        )
        .err()
        .expect("nothing listens on port 1");
        let text = err.to_string();
        assert!(
            text.starts_with("database error: cannot reach PostgreSQL at 127.0.0.1:1/metrics"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
        // Two pauses (0.5 s, then 1 s would pass the patience): it gave up, not hung.
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    crate::store::contract::contract_tests!({
        test_cluster::database("contract").map(|db| {
            let s = PostgresStore::open(&db.url, Duration::from_secs(5)).unwrap();
            crate::store::contract::Harness::new(s, db)
        })
    });

    /// One replica holds the lead while its session lives; another takes it once that
    /// session is cut or resigns.
    #[test]
    fn the_lead_is_one_session_at_a_time_and_passes_when_it_dies() {
        let Some(db) = test_cluster::database("lead") else {
            return;
        };
        let open = || PostgresStore::open(&db.url, Duration::from_secs(5)).unwrap();
        let (a, b) = (open(), open());
        assert!(a.try_lead().unwrap());
        assert!(!b.try_lead().unwrap());
        assert!(a.try_lead().unwrap(), "confirmed while the session lives");
        assert!(!b.try_lead().unwrap());
        // The leader's session is cut (as when its process is killed). Only sessions of
        // this test's database: other tests share the cluster, and a migration elsewhere
        // holds an advisory lock too. Waiting (up to 5 s) until each is gone, so that its
        // lock is released before the next step.
        db.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks \
             WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        );
        assert!(
            a.try_lead().is_err(),
            "the cut session fails its confirmation"
        );
        assert!(b.try_lead().unwrap(), "the lock is free: b takes it");
        assert!(!a.try_lead().unwrap());
        b.resign();
        assert!(a.try_lead().unwrap());
        drop(a);
        // Closing the store's session frees the lock too (asynchronously: retry).
        let mut took = false;
        for _ in 0..50 {
            if b.try_lead().unwrap() {
                took = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(took);
    }

    #[test]
    fn a_newer_database_is_refused_and_left_as_it_was() {
        let Some(db) = test_cluster::database("newer") else {
            return;
        };
        db.execute(
            "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, summary text NOT NULL, \
             applied_us bigint NOT NULL); INSERT INTO schema_migrations VALUES (99, 'later', 0);",
        );
        let err = PostgresStore::open(&db.url, Duration::from_secs(5))
            .err()
            .expect("a newer schema must be refused");
        assert_eq!(
            err.to_string(),
            format!(
                "database schema version 99 is newer than this modelwatch supports ({}); \
                 upgrade modelwatch",
                migrations::LATEST
            )
        );
        assert_eq!(
            db.query_one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
            "1"
        );
    }

    #[test]
    fn two_stores_opening_together_migrate_once() {
        let Some(db) = test_cluster::database("together") else {
            return;
        };
        let url = db.url.clone();
        let opened: Vec<_> = (0..3)
            .map(|_| {
                let url = url.clone();
                std::thread::spawn(move || PostgresStore::open(&url, Duration::from_secs(5)))
            })
            .collect();
        for t in opened {
            let s = t.join().unwrap().unwrap();
            assert_eq!(s.schema_version().unwrap(), migrations::LATEST);
        }
        assert_eq!(
            db.query_one("SELECT count(*) FROM schema_migrations"),
            migrations::LATEST.to_string()
        );
    }
}
