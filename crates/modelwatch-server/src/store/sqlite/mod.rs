//! The embedded store: one SQLite file in WAL mode, holding every table of the server.
//!
//! - [`migrations`]: the numbered schema versions and how a file is brought up to date;
//! - [`events`]: projects, events and snapshots ([`Store`](super::Store) for [`SqliteStore`]);
//! - [`alerts`]: rules, transitions, active alerts, silences, the notification outbox
//!   and serving-fact minute buckets ([`AlertStore`](super::AlertStore) for
//!   [`SqliteAlertStore`]).
//!
//! One connection writes projects, events and snapshots (ingest batches from the writer
//! thread, project changes, snapshots); a second one reads, so report windows and scrapes
//! do not wait for commits; the alert tables have their own writing connection, so the
//! evaluation loop never queues behind an ingest batch. `synchronous = NORMAL` in WAL mode
//! makes every commit survive a crash of the process (the case that matters for "2xx
//! means stored"); `FULL` adds survival of a power cut at the price of an fsync per commit
//! and is a setting away (`durability = "full"`).

pub mod alerts;
pub mod events;
pub mod migrations;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

pub use alerts::SqliteAlertStore;

use super::StoreError;

/// The SQLite back end: [`Store`](super::Store) over one database file, and through
/// [`Store::alerts`](super::Store::alerts) its [`SqliteAlertStore`]. It holds a writing
/// and a reading connection and a thread that checkpoints the write-ahead log; dropping it
/// stops that thread after a last checkpoint.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    alerts: Arc<SqliteAlertStore>,
    _checkpointer: Option<Checkpointer>,
}

/// Log size (in 4 KiB frames, ~40 MiB) above which the checkpointer restarts the log.
const RESTART_AFTER_FRAMES: i64 = 10_000;

/// Folds the write-ahead log back into the database once a second from its own
/// connection. SQLite's automatic checkpoint would run inside the commit that crosses the
/// threshold, with an fsync, stalling the ingest writer (and every request waiting on
/// it) for tens of milliseconds; a passive checkpoint from another connection runs beside
/// the writer instead.
struct Checkpointer {
    stop: std::sync::mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(db_err)?;
        conn.execute_batch("PRAGMA busy_timeout = 10000;")
            .map_err(db_err)?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("modelwatch-checkpoint".into())
            .spawn(move || loop {
                match stopped.recv_timeout(std::time::Duration::from_secs(1)) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        // (busy, frames in the log, frames checkpointed)
                        let passive = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                            r.get::<_, i64>(1)
                        });
                        match passive {
                            // Under steady writes a passive checkpoint never catches up
                            // with the end of the log, so the log would grow for ever: a
                            // restart checkpoint (brief: the frames are mostly copied
                            // already) lets the next commit write from its start again.
                            Ok(log) if log > RESTART_AFTER_FRAMES => {
                                if let Err(e) =
                                    conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))
                                {
                                    tracing::warn!(error = %e, "WAL restart checkpoint failed");
                                }
                            }
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                        }
                    }
                    _ => {
                        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
                        break;
                    }
                }
            })
            .map_err(|e| StoreError::Database(e.to_string()))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A SQLite failure as the store's error.
fn db_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::DiskFull | C::ReadOnly) => StoreError::NotWritable(e.to_string()),
        Some(C::DatabaseBusy | C::DatabaseLocked) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Database(e.to_string()),
    }
}

/// How durable a commit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// Survives a crash of the process (WAL, `synchronous = NORMAL`).
    #[default]
    Normal,
    /// Also survives a power cut (`synchronous = FULL`).
    Full,
}

/// A connection that writes to the store's database file: WAL, the configured durability,
/// and no automatic checkpoints (the [`Checkpointer`] thread does them beside the writers).
/// Every writing connection to the file (the event tables', the alert tables') is opened
/// here, so that none of them checkpoints inside its own commits.
fn open_writer(path: &Path, durability: Durability) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(db_err)?;
    configure_writer(&conn, durability)?;
    Ok(conn)
}

fn configure_writer(conn: &Connection, durability: Durability) -> Result<(), StoreError> {
    let sync = match durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; \
         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
         PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;"
    ))
    .map_err(db_err)
}

/// Commits one real write (the schema version, rewritten unchanged) and copies it into the
/// database file with a checkpoint, so that a file, log or folder that cannot be written,
/// or a disk without room for a page, is found at start.
pub(super) fn check_writable(conn: &Connection) -> Result<(), StoreError> {
    let version = migrations::schema_version(conn)?;
    let not_writable = |e: rusqlite::Error| StoreError::NotWritable(e.to_string());
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE; PRAGMA user_version = {version}; COMMIT;"
    ))
    .map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        not_writable(e)
    })?;
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        .map_err(not_writable)
}

impl SqliteStore {
    /// Opens (creating when needed) the store at `path` and brings its schema to the
    /// newest version this build knows; a file of a newer version is refused
    /// ([`StoreError::SchemaTooNew`]) before anything in it changes.
    pub fn open(path: &Path, durability: Durability) -> Result<Self, StoreError> {
        let mut writer = Connection::open(path).map_err(db_err)?;
        writer
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_err)?;
        // Refused before the connection settings (journal mode) touch the file.
        migrations::refuse_newer(&writer)?;
        // SQLite opens a file it may not write read-only without a word; every write
        // would fail later, so say it now.
        if writer.is_readonly(rusqlite::MAIN_DB).map_err(db_err)? {
            return Err(StoreError::NotWritable(
                "the file is read-only to this process".into(),
            ));
        }
        configure_writer(&writer, durability)?;
        migrations::migrate(&mut writer)?;
        check_writable(&writer)?;
        let alerts = Arc::new(SqliteAlertStore::new(open_writer(path, durability)?));
        let reader = Connection::open(path).map_err(db_err)?;
        reader
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
            .map_err(db_err)?;
        Ok(Self {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            alerts,
            _checkpointer: Some(Checkpointer::start(path)?),
        })
    }

    /// The schema version of the open file (see [`migrations`]).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        migrations::schema_version(&self.read())
    }

    fn write(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions
        // roll back on drop), so a poisoned lock is still usable.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_file_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE later (x INTEGER); PRAGMA user_version = 7;")
            .unwrap();
        drop(conn);
        let err = SqliteStore::open(&path, Durability::Normal)
            .err()
            .expect("a newer schema must be refused");
        assert_eq!(
            err.to_string(),
            format!(
                "database schema version 7 is newer than this modelwatch supports ({}); \
                 upgrade modelwatch",
                migrations::LATEST
            )
        );
        let conn = Connection::open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
        assert_eq!(migrations::schema_version(&conn).unwrap(), 7);
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1);
    }

    #[test]
    fn a_new_file_opens_at_the_latest_version_and_again_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let store = SqliteStore::open(&path, Durability::Normal).unwrap();
        assert_eq!(store.schema_version().unwrap(), migrations::LATEST);
        drop(store);
        let store = SqliteStore::open(&path, Durability::Full).unwrap();
        assert_eq!(store.schema_version().unwrap(), migrations::LATEST);
    }

    #[test]
    fn a_file_opened_read_only_is_refused_at_open() {
        // SQLite's own read-only mode (a `mode=ro` URI) stands in for a file this process
        // may not write: root ignores permission bits, so `chmod` cannot show it here.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro.db");
        drop(SqliteStore::open(&path, Durability::Normal).unwrap());
        let uri = format!("file:{}?mode=ro", path.display());
        let err = SqliteStore::open(Path::new(&uri), Durability::Normal)
            .err()
            .expect("a read-only file must be refused");
        assert!(matches!(err, StoreError::NotWritable(_)), "{err}");
        assert!(err
            .to_string()
            .starts_with("the database cannot be written"));
    }
}
