//! Projects, events and snapshots in PostgreSQL: [`Store`] for [`PostgresStore`].
//!
//! Events and their thumbnails are partitioned by `ts_us`, one partition per UTC day
//! (`events_d<day>`, `thumbnails_d<day>`, the day counted from the Unix epoch). A day's
//! partitions are created by the first batch that holds an event of that day, when the day
//! lies within [`PAST_DAYS`] before and [`FUTURE_DAYS`] after the current one; events
//! further away (back-filled history, a wrong clock) go to the default partitions
//! (`events_other`, `thumbnails_other`), so odd timestamps cannot make thousands of
//! tables. When a day's partition is created while the default one holds rows of that day
//! (events sent ahead of time), they are moved into it in the same transaction.
//!
//! Retention ([`Store::prune`]) drops the partitions of days wholly before the cutoff and
//! deletes rows only from the day that straddles it and from the default partitions.

use std::sync::Arc;

use deadpool_postgres::GenericClient;

use super::{before_commit, pg_err, Failed, PostgresStore};
use crate::store::{
    AlertStore, EventBatch, ProjectRecord, SeriesPoint, SnapshotMeta, SnapshotMetric, Store,
    StoreError, StoredEvent, ThumbnailChange, WindowQuery,
};

/// A UTC day in microseconds.
const DAY_US: i64 = 86_400_000_000;
/// How many days before the current one get their own partition.
pub const PAST_DAYS: i64 = 400;
/// How many days after the current one get their own partition.
pub const FUTURE_DAYS: i64 = 2;
/// The key of the advisory lock held while partitions are created or dropped ("mwpartit").
const PARTITION_LOCK: i64 = 0x6d77_7061_7274_6974;

/// Now, in microseconds since the Unix epoch.
pub(super) fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// The day (since the Unix epoch) of a time.
fn day_of(ts_us: i64) -> i64 {
    ts_us.div_euclid(DAY_US)
}

/// Whether events of `day` get a partition of their own when it is `today`.
fn has_own_partition(day: i64, today: i64) -> bool {
    day >= today - PAST_DAYS && day <= today + FUTURE_DAYS
}

/// The day of a partition from its name (`events_d20427` → 20427); `None` for the default
/// partition or any other table.
fn partition_day(name: &str) -> Option<i64> {
    name.strip_prefix("events_d")?.parse().ok()
}

/// Creates the partitions of `day` for events and thumbnails unless they exist, moving
/// rows of that day out of the default partitions, in one transaction under
/// [`PARTITION_LOCK`] (replicas creating the same day queue there).
async fn create_day(c: &mut deadpool_postgres::Object, day: i64) -> Result<(), StoreError> {
    let tx = c.transaction().await.map_err(pg_err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PARTITION_LOCK])
        .await
        .map_err(pg_err)?;
    let name = format!("events_d{day}");
    let exists: bool = tx
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
        .await
        .map_err(pg_err)?
        .get(0);
    if !exists {
        let (from, to) = (day * DAY_US, (day + 1) * DAY_US);
        for table in ["events", "thumbnails"] {
            // Created apart, filled from the default partition, then attached: creating it
            // as a partition directly fails when the default one holds rows of the day.
            tx.batch_execute(&format!(
                "CREATE TABLE {table}_d{day} (LIKE {table} INCLUDING DEFAULTS);
                 WITH moved AS (DELETE FROM {table}_other WHERE ts_us >= {from} AND ts_us < {to}
                                RETURNING *)
                 INSERT INTO {table}_d{day} SELECT * FROM moved;
                 ALTER TABLE {table} ATTACH PARTITION {table}_d{day}
                   FOR VALUES FROM ({from}) TO ({to});"
            ))
            .await
            .map_err(pg_err)?;
        }
        tracing::debug!(day, "event partitions created");
    }
    tx.commit().await.map_err(pg_err)
}

/// Commits one small write: the newest `schema_migrations` row, rewritten unchanged.
pub(super) async fn check_writable(c: &deadpool_postgres::Object) -> Result<(), StoreError> {
    c.execute(
        "UPDATE schema_migrations SET applied_us = applied_us
         WHERE version = (SELECT max(version) FROM schema_migrations)",
        &[],
    )
    .await
    .map(|_| ())
    .map_err(|e| match pg_err(e) {
        StoreError::Database(t) | StoreError::Unavailable(t) => StoreError::NotWritable(t),
        other => other,
    })
}

fn project_from_row(r: &tokio_postgres::Row) -> ProjectRecord {
    let blob: Option<Vec<u8>> = r.get(2);
    let format: Option<String> = r.get(3);
    ProjectRecord {
        name: r.get(0),
        config_json: r.get(1),
        reference: blob.zip(format),
        created_us: r.get(4),
        updated_us: r.get(5),
    }
}

/// An event from a row of `SELECT seq, ts_us, event_id, vals, label`.
fn event_from_row(r: &tokio_postgres::Row) -> StoredEvent {
    StoredEvent {
        seq: r.get(0),
        ts_us: r.get(1),
        event_id: r.get(2),
        values_json: r.get(3),
        label_json: r.get(4),
    }
}

fn snapshot_meta_from_row(r: &tokio_postgres::Row) -> SnapshotMeta {
    SnapshotMeta {
        id: r.get(0),
        taken_us: r.get(1),
        window_from_us: r.get(2),
        window_to_us: r.get(3),
        rows: r.get(4),
    }
}

const PROJECT_COLUMNS: &str = "name, config, reference, reference_format, created_us, updated_us";

fn limit_of(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

async fn count_events<C: GenericClient>(c: &C, project: &str) -> Result<i64, StoreError> {
    Ok(c.query_one(
        "SELECT count(*) FROM events WHERE project = $1",
        &[&project],
    )
    .await
    .map_err(pg_err)?
    .get(0))
}

impl PostgresStore {
    /// Creates the day partitions the events of `batches` need and this store has not
    /// seen yet.
    fn ensure_partitions(&self, batches: &[EventBatch]) -> Result<(), StoreError> {
        let today = day_of(now_us());
        let mut days: Vec<i64> = batches
            .iter()
            .flat_map(|b| b.events.iter().map(|e| day_of(e.ts_us)))
            .filter(|d| has_own_partition(*d, today))
            .collect();
        days.sort_unstable();
        days.dedup();
        let missing: Vec<i64> = {
            let known = self.partitions.lock().unwrap_or_else(|p| p.into_inner());
            days.into_iter().filter(|d| !known.contains(d)).collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        let wanted = &missing;
        self.db.run(|mut c| async move {
            for day in wanted {
                create_day(&mut c, *day).await?;
            }
            Ok(())
        })?;
        let mut known = self.partitions.lock().unwrap_or_else(|p| p.into_inner());
        known.extend(missing);
        Ok(())
    }
}

impl Store for PostgresStore {
    fn alerts(&self) -> Arc<dyn AlertStore> {
        self.alerts.clone()
    }

    fn check_writable(&self) -> Result<(), StoreError> {
        self.db.run(|c| async move { check_writable(&c).await })
    }

    fn project_versions(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.db.run(|c| async move {
            let rows = c
                .query(
                    "SELECT name, updated_us FROM projects ORDER BY name COLLATE \"C\"",
                    &[],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn shared(&self) -> bool {
        true
    }

    fn try_lead(&self) -> Result<bool, StoreError> {
        PostgresStore::try_lead(self)
    }

    fn resign(&self) {
        PostgresStore::resign(self)
    }

    fn put_project(
        &self,
        p: &ProjectRecord,
        thumbnails: &ThumbnailChange,
    ) -> Result<(), StoreError> {
        let (blob, format) = match &p.reference {
            Some((b, f)) => (Some(b.as_slice()), Some(f.as_str())),
            None => (None, None),
        };
        self.db.run(|mut c| async move {
            let tx = c.transaction().await.map_err(pg_err)?;
            tx.execute(
                "INSERT INTO projects (name, config, reference, reference_format, created_us, updated_us)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (name) DO UPDATE SET config = excluded.config,
                   reference = excluded.reference, reference_format = excluded.reference_format,
                   updated_us = excluded.updated_us",
                &[&p.name, &p.config_json, &blob, &format, &p.created_us, &p.updated_us],
            )
            .await
            .map_err(pg_err)?;
            match thumbnails {
                ThumbnailChange::Keep => {}
                ThumbnailChange::ReplaceReference(list) => {
                    tx.execute("DELETE FROM reference_thumbnails WHERE project = $1", &[&p.name])
                        .await
                        .map_err(pg_err)?;
                    let cols: Vec<&str> = list.iter().map(|t| t.0.as_str()).collect();
                    let rows: Vec<i64> = list.iter().map(|t| t.1 as i64).collect();
                    let jpegs: Vec<&[u8]> = list.iter().map(|t| t.2.as_slice()).collect();
                    tx.execute(
                        "INSERT INTO reference_thumbnails (project, col, row_index, jpeg)
                         SELECT $1::text, * FROM unnest($2::text[], $3::int8[], $4::bytea[])
                         ON CONFLICT (project, col, row_index) DO UPDATE SET jpeg = excluded.jpeg",
                        &[&p.name, &cols, &rows, &jpegs],
                    )
                    .await
                    .map_err(pg_err)?;
                }
                ThumbnailChange::DeleteAll => {
                    for table in ["reference_thumbnails", "thumbnails"] {
                        tx.execute(
                            &format!("DELETE FROM {table} WHERE project = $1"),
                            &[&p.name],
                        )
                        .await
                        .map_err(pg_err)?;
                    }
                }
            }
            tx.commit().await.map_err(pg_err)
        })
    }

    fn get_project(&self, name: &str) -> Result<Option<ProjectRecord>, StoreError> {
        self.db.run(|c| async move {
            let row = c
                .query_opt(
                    &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE name = $1"),
                    &[&name],
                )
                .await
                .map_err(pg_err)?;
            Ok(row.as_ref().map(project_from_row))
        })
    }

    fn list_projects(&self) -> Result<Vec<ProjectRecord>, StoreError> {
        self.db.run(|c| async move {
            // Byte order, as the trait promises, whatever the database's collation.
            let rows = c
                .query(
                    &format!("SELECT {PROJECT_COLUMNS} FROM projects ORDER BY name COLLATE \"C\""),
                    &[],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows.iter().map(project_from_row).collect())
        })
    }

    fn delete_project(&self, name: &str) -> Result<bool, StoreError> {
        self.db.run(|mut c| async move {
            let tx = c.transaction().await.map_err(pg_err)?;
            for sql in [
                "DELETE FROM thumbnails WHERE project = $1",
                "DELETE FROM events WHERE project = $1",
                "DELETE FROM snapshots WHERE project = $1",
                "DELETE FROM reference_thumbnails WHERE project = $1",
            ] {
                tx.execute(sql, &[&name]).await.map_err(pg_err)?;
            }
            let n = tx
                .execute("DELETE FROM projects WHERE name = $1", &[&name])
                .await
                .map_err(pg_err)?;
            tx.commit().await.map_err(pg_err)?;
            Ok(n > 0)
        })
    }

    fn insert_events(&self, batches: &[EventBatch]) -> Result<(), StoreError> {
        let total: usize = batches.iter().map(|b| b.events.len()).sum();
        if total == 0 {
            return Ok(());
        }
        self.ensure_partitions(batches)?;
        self.db.run_write(|mut c| async move {
            let tx = c.transaction().await.map_err(before_commit)?;
            // The sequence numbers first, ascending, so that they follow the order of the
            // batches and events whatever order the insert processes its rows in.
            // Prepared once per connection (as is the insert): a group commit is then
            // BEGIN, two executions and COMMIT, with no parsing or planning round trips.
            let next_seqs = tx
                .prepare_cached("SELECT nextval('events_seq') FROM generate_series(1, $1::int8)")
                .await
                .map_err(before_commit)?;
            let mut seqs: Vec<i64> = tx
                .query(&next_seqs, &[&(total as i64)])
                .await
                .map_err(before_commit)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            seqs.sort_unstable();
            let mut projects = Vec::with_capacity(total);
            let mut ts = Vec::with_capacity(total);
            let mut ids = Vec::with_capacity(total);
            let mut vals = Vec::with_capacity(total);
            let mut latency = Vec::with_capacity(total);
            let mut status = Vec::with_capacity(total);
            let mut error = Vec::with_capacity(total);
            let (mut t_seq, mut t_project, mut t_ts, mut t_col, mut t_jpeg) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let mut next = seqs.iter();
            for b in batches {
                for e in &b.events {
                    let seq = *next.next().expect("one sequence number per event");
                    projects.push(b.project.as_str());
                    ts.push(e.ts_us);
                    ids.push(e.event_id.as_deref());
                    vals.push(e.values_json.as_str());
                    latency.push(e.latency_seconds);
                    status.push(e.status.map(i32::from));
                    error.push(e.error.as_deref());
                    for t in &e.thumbnails {
                        t_seq.push(seq);
                        t_project.push(b.project.as_str());
                        t_ts.push(e.ts_us);
                        t_col.push(t.column.as_str());
                        t_jpeg.push(t.jpeg.as_slice());
                    }
                }
            }
            let insert = tx
                .prepare_cached(
                    "INSERT INTO events (seq, project, ts_us, event_id, vals, latency, status, error)
                     SELECT * FROM unnest($1::int8[], $2::text[], $3::int8[], $4::text[],
                                          $5::text[], $6::float8[], $7::int4[], $8::text[])",
                )
                .await
                .map_err(before_commit)?;
            tx.execute(
                &insert,
                &[&seqs, &projects, &ts, &ids, &vals, &latency, &status, &error],
            )
            .await
            .map_err(before_commit)?;
            if !t_seq.is_empty() {
                tx.execute(
                    "INSERT INTO thumbnails (event, project, ts_us, col, jpeg)
                     SELECT * FROM unnest($1::int8[], $2::text[], $3::int8[], $4::text[], $5::bytea[])",
                    &[&t_seq, &t_project, &t_ts, &t_col, &t_jpeg],
                )
                .await
                .map_err(before_commit)?;
            }
            tx.commit().await.map_err(|e| Failed::Other(pg_err(e)))
        })
    }

    fn attach_labels(
        &self,
        project: &str,
        labels: &[(String, String)],
    ) -> Result<Vec<usize>, StoreError> {
        self.db.run_write(|mut c| async move {
            let tx = c.transaction().await.map_err(before_commit)?;
            let stmt = tx
                .prepare_cached("UPDATE events SET label = $3 WHERE project = $1 AND event_id = $2")
                .await
                .map_err(before_commit)?;
            let mut found = Vec::with_capacity(labels.len());
            for (id, label) in labels {
                let n = tx
                    .execute(&stmt, &[&project, id, label])
                    .await
                    .map_err(before_commit)?;
                found.push(n as usize);
            }
            tx.commit().await.map_err(|e| Failed::Other(pg_err(e)))?;
            Ok(found)
        })
    }

    fn events(&self, project: &str, window: WindowQuery) -> Result<Vec<StoredEvent>, StoreError> {
        self.db.run(|c| async move {
            let rows = match window {
                WindowQuery::Last(n) => {
                    let mut v: Vec<StoredEvent> = c
                        .query(
                            "SELECT seq, ts_us, event_id, vals, label FROM events
                             WHERE project = $1 ORDER BY ts_us DESC, seq DESC LIMIT $2",
                            &[&project, &limit_of(n)],
                        )
                        .await
                        .map_err(pg_err)?
                        .iter()
                        .map(event_from_row)
                        .collect();
                    v.reverse();
                    v
                }
                WindowQuery::Range { from_us, to_us } => c
                    .query(
                        "SELECT seq, ts_us, event_id, vals, label FROM events
                         WHERE project = $1 AND ts_us >= $2 AND ts_us < $3 ORDER BY ts_us, seq",
                        &[&project, &from_us, &to_us],
                    )
                    .await
                    .map_err(pg_err)?
                    .iter()
                    .map(event_from_row)
                    .collect(),
            };
            Ok(rows)
        })
    }

    fn sample_events(
        &self,
        project: &str,
        window: WindowQuery,
        max_rows: usize,
    ) -> Result<(Vec<StoredEvent>, u64), StoreError> {
        let max_rows = limit_of(max_rows.max(1));
        self.db.run(|c| async move {
            // As in the SQLite store: the window numbered from the row it is read from
            // (the oldest of a range, the newest for `Last`), then every k-th row of it.
            let (inner, total) = match window {
                WindowQuery::Last(n) => {
                    let n = limit_of(n);
                    let size = if n <= max_rows {
                        n
                    } else {
                        count_events(&c, project).await?.min(n)
                    };
                    (
                        "SELECT seq, ts_us, event_id, vals, label,
                                row_number() OVER (ORDER BY ts_us DESC, seq DESC) AS rn
                         FROM events WHERE project = $1 ORDER BY ts_us DESC, seq DESC LIMIT $2",
                        size,
                    )
                }
                WindowQuery::Range { from_us, to_us } => {
                    let total: i64 = c
                        .query_one(
                            "SELECT count(*) FROM events
                             WHERE project = $1 AND ts_us >= $2 AND ts_us < $3",
                            &[&project, &from_us, &to_us],
                        )
                        .await
                        .map_err(pg_err)?
                        .get(0);
                    (
                        "SELECT seq, ts_us, event_id, vals, label,
                                row_number() OVER (ORDER BY ts_us, seq) AS rn
                         FROM events WHERE project = $1 AND ts_us >= $2 AND ts_us < $3",
                        total,
                    )
                }
            };
            // ceil(total / max_rows); 1 (no thinning) for any total up to max_rows.
            let stride = (total - 1).max(0) / max_rows + 1;
            let sql = format!(
                "SELECT seq, ts_us, event_id, vals, label FROM ({inner}) w
                 WHERE (rn - 1) % {stride} = 0 ORDER BY ts_us, seq"
            );
            let rows = match window {
                WindowQuery::Last(n) => c.query(&sql, &[&project, &limit_of(n)]).await,
                WindowQuery::Range { from_us, to_us } => {
                    c.query(&sql, &[&project, &from_us, &to_us]).await
                }
            }
            .map_err(pg_err)?;
            let events: Vec<StoredEvent> = rows.iter().map(event_from_row).collect();
            let total = if stride == 1 {
                events.len() as u64
            } else {
                total.max(0) as u64
            };
            Ok((events, total))
        })
    }

    fn count_events(&self, project: &str) -> Result<u64, StoreError> {
        self.db
            .run(|c| async move { Ok(count_events(&c, project).await?.max(0) as u64) })
    }

    fn put_snapshot(
        &self,
        project: &str,
        meta: &SnapshotMeta,
        results_json: &str,
        metrics: &[SnapshotMetric],
    ) -> Result<i64, StoreError> {
        self.db.run(|mut c| async move {
            let tx = c.transaction().await.map_err(pg_err)?;
            let id: i64 = tx
                .query_one(
                    "INSERT INTO snapshots (project, taken_us, window_from_us, window_to_us, rows, results)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    &[
                        &project,
                        &meta.taken_us,
                        &meta.window_from_us,
                        &meta.window_to_us,
                        &meta.rows,
                        &results_json,
                    ],
                )
                .await
                .map_err(pg_err)?
                .get(0);
            let names: Vec<&str> = metrics.iter().map(|m| m.metric.as_str()).collect();
            let cols: Vec<&str> = metrics.iter().map(|m| m.column.as_str()).collect();
            let values: Vec<f64> = metrics.iter().map(|m| m.value).collect();
            tx.execute(
                "INSERT INTO snapshot_metrics (snapshot, metric, col, value)
                 SELECT $1::int8, * FROM unnest($2::text[], $3::text[], $4::float8[])",
                &[&id, &names, &cols, &values],
            )
            .await
            .map_err(pg_err)?;
            tx.commit().await.map_err(pg_err)?;
            Ok(id)
        })
    }

    fn list_snapshots(
        &self,
        project: &str,
        from_us: i64,
        to_us: i64,
        limit: usize,
    ) -> Result<Vec<SnapshotMeta>, StoreError> {
        self.db.run(|c| async move {
            let rows = c
                .query(
                    "SELECT id, taken_us, window_from_us, window_to_us, rows FROM snapshots
                     WHERE project = $1 AND taken_us >= $2 AND taken_us < $3
                     ORDER BY taken_us DESC, id DESC LIMIT $4",
                    &[&project, &from_us, &to_us, &limit_of(limit)],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows.iter().map(snapshot_meta_from_row).collect())
        })
    }

    fn snapshot_results(&self, project: &str, id: i64) -> Result<Option<String>, StoreError> {
        self.db.run(|c| async move {
            let row = c
                .query_opt(
                    "SELECT results FROM snapshots WHERE project = $1 AND id = $2",
                    &[&project, &id],
                )
                .await
                .map_err(pg_err)?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn latest_snapshot(
        &self,
        project: &str,
    ) -> Result<Option<(SnapshotMeta, Vec<SnapshotMetric>)>, StoreError> {
        self.db.run(|c| async move {
            let Some(row) = c
                .query_opt(
                    "SELECT id, taken_us, window_from_us, window_to_us, rows FROM snapshots
                     WHERE project = $1 ORDER BY taken_us DESC, id DESC LIMIT 1",
                    &[&project],
                )
                .await
                .map_err(pg_err)?
            else {
                return Ok(None);
            };
            let meta = snapshot_meta_from_row(&row);
            let metrics = c
                .query(
                    "SELECT metric, col, value FROM snapshot_metrics WHERE snapshot = $1",
                    &[&meta.id],
                )
                .await
                .map_err(pg_err)?
                .iter()
                .map(|r| SnapshotMetric {
                    metric: r.get(0),
                    column: r.get(1),
                    value: r.get(2),
                })
                .collect();
            Ok(Some((meta, metrics)))
        })
    }

    fn series(
        &self,
        project: &str,
        metric: &str,
        column: &str,
        from_us: i64,
        to_us: i64,
    ) -> Result<Vec<SeriesPoint>, StoreError> {
        self.db.run(|c| async move {
            let rows = c
                .query(
                    "SELECT s.taken_us, m.value FROM snapshots s
                     JOIN snapshot_metrics m ON m.snapshot = s.id
                     WHERE s.project = $1 AND m.metric = $2 AND m.col = $3
                       AND s.taken_us >= $4 AND s.taken_us < $5
                     ORDER BY s.taken_us, s.id",
                    &[&project, &metric, &column, &from_us, &to_us],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows
                .iter()
                .map(|r| SeriesPoint {
                    taken_us: r.get(0),
                    value: r.get(1),
                })
                .collect())
        })
    }

    fn all_series(
        &self,
        project: &str,
        from_us: i64,
        to_us: i64,
    ) -> Result<std::collections::HashMap<(String, String), Vec<SeriesPoint>>, StoreError> {
        self.db.run(|c| async move {
            let rows = c
                .query(
                    "SELECT m.metric, m.col, s.taken_us, m.value
                     FROM snapshots s JOIN snapshot_metrics m ON m.snapshot = s.id
                     WHERE s.project = $1 AND s.taken_us >= $2 AND s.taken_us < $3
                     ORDER BY s.taken_us, s.id",
                    &[&project, &from_us, &to_us],
                )
                .await
                .map_err(pg_err)?;
            let mut out: std::collections::HashMap<(String, String), Vec<SeriesPoint>> =
                std::collections::HashMap::new();
            for r in &rows {
                out.entry((r.get(0), r.get(1)))
                    .or_default()
                    .push(SeriesPoint {
                        taken_us: r.get(2),
                        value: r.get(3),
                    });
            }
            Ok(out)
        })
    }

    fn event_thumbnails(
        &self,
        project: &str,
        seqs: &[i64],
    ) -> Result<Vec<(i64, String, Vec<u8>)>, StoreError> {
        self.db.run(|c| async move {
            let rows = c
                .query(
                    "SELECT event, col, jpeg FROM thumbnails WHERE project = $1 AND event = ANY($2)",
                    &[&project, &seqs],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
        })
    }

    fn reference_thumbnails(
        &self,
        project: &str,
        column: &str,
        rows: &[usize],
    ) -> Result<Vec<(usize, Vec<u8>)>, StoreError> {
        let wanted: Vec<i64> = rows.iter().map(|r| *r as i64).collect();
        self.db.run(|c| async move {
            let rows = c
                .query(
                    "SELECT row_index, jpeg FROM reference_thumbnails
                     WHERE project = $1 AND col = $2 AND row_index = ANY($3)",
                    &[&project, &column, &wanted],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows
                .iter()
                .map(|r| (r.get::<_, i64>(0) as usize, r.get(1)))
                .collect())
        })
    }

    fn prune(
        &self,
        events_before_us: i64,
        snapshots_before_us: i64,
    ) -> Result<(u64, u64), StoreError> {
        let (events, snapshots, dropped) = self.db.run(|mut c| async move {
            let tx = c.transaction().await.map_err(pg_err)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PARTITION_LOCK])
                .await
                .map_err(pg_err)?;
            let names: Vec<String> = tx
                .query(
                    "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                     WHERE i.inhparent = 'events'::regclass",
                    &[],
                )
                .await
                .map_err(pg_err)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let mut events: i64 = 0;
            let mut dropped = Vec::new();
            for name in names {
                let Some(day) = partition_day(&name) else {
                    continue;
                };
                if (day + 1) * DAY_US > events_before_us {
                    continue;
                }
                // The whole day is before the cutoff: count it, then drop it with its
                // thumbnails instead of deleting row by row.
                let n: i64 = tx
                    .query_one(&format!("SELECT count(*) FROM events_d{day}"), &[])
                    .await
                    .map_err(pg_err)?
                    .get(0);
                events += n;
                tx.batch_execute(&format!(
                    "DROP TABLE events_d{day}; DROP TABLE IF EXISTS thumbnails_d{day};"
                ))
                .await
                .map_err(pg_err)?;
                dropped.push(day);
            }
            // What is left before the cutoff: the straddling day and the default partitions.
            events += tx
                .execute("DELETE FROM events WHERE ts_us < $1", &[&events_before_us])
                .await
                .map_err(pg_err)? as i64;
            tx.execute(
                "DELETE FROM thumbnails WHERE ts_us < $1",
                &[&events_before_us],
            )
            .await
            .map_err(pg_err)?;
            let snapshots = tx
                .execute(
                    "DELETE FROM snapshots WHERE taken_us < $1",
                    &[&snapshots_before_us],
                )
                .await
                .map_err(pg_err)?;
            tx.commit().await.map_err(pg_err)?;
            Ok((events.max(0) as u64, snapshots, dropped))
        })?;
        if !dropped.is_empty() {
            let mut known = self.partitions.lock().unwrap_or_else(|p| p.into_inner());
            for d in &dropped {
                known.remove(d);
            }
            tracing::info!(
                days = dropped.len(),
                "event partitions dropped by retention"
            );
        }
        Ok((events, snapshots))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::postgres::test_cluster;
    use crate::store::NewEvent;

    #[test]
    fn partitions_are_named_by_day_and_bounded_around_today() {
        assert_eq!(day_of(DAY_US - 1), 0);
        assert_eq!(day_of(-1), -1);
        assert_eq!(partition_day("events_d20427"), Some(20427));
        assert_eq!(partition_day("events_other"), None);
        assert!(has_own_partition(100, 100 + PAST_DAYS));
        assert!(!has_own_partition(99, 100 + PAST_DAYS));
        assert!(has_own_partition(100 + FUTURE_DAYS, 100));
        assert!(!has_own_partition(101 + FUTURE_DAYS, 100));
    }

    /// Events of recent days land in day partitions, far ones in the default partition;
    /// retention drops whole days, deletes inside the straddling one, and the thumbnails
    /// go with their events.
    #[test]
    fn recent_days_get_partitions_that_retention_drops() {
        let Some(db) = test_cluster::database("partitions") else {
            return;
        };
        let s = PostgresStore::open(&db.url, std::time::Duration::from_secs(5)).unwrap();
        let today = day_of(now_us());
        let event = |ts_us: i64| NewEvent {
            ts_us,
            event_id: None,
            values_json: "{}".into(),
            latency_seconds: None,
            status: None,
            error: None,
            thumbnails: vec![crate::store::Thumbnail {
                column: "photo".into(),
                jpeg: vec![1],
            }],
        };
        // Three days back (twice), two days back, today, and one far in the past.
        let times = [
            (today - 3) * DAY_US + 10,
            (today - 3) * DAY_US + 20,
            (today - 2) * DAY_US + 5,
            (today - 2) * DAY_US + DAY_US / 2,
            today * DAY_US,
            1_000,
        ];
        s.insert_events(&[EventBatch {
            project: "p".into(),
            events: times.iter().map(|t| event(*t)).collect(),
        }])
        .unwrap();
        let partitions = db.query_one(
            "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass",
        );
        assert_eq!(
            partitions,
            format!(
                "events_d{},events_d{},events_d{},events_other",
                today - 3,
                today - 2,
                today
            )
        );
        assert_eq!(db.query_one("SELECT count(*) FROM events_other"), "1");
        // Cut in the middle of two days back: day -3 is dropped whole (2 events), one
        // event of day -2 and the far one are deleted.
        let cutoff = (today - 2) * DAY_US + 100;
        assert_eq!(s.prune(cutoff, 0).unwrap(), (4, 0));
        assert_eq!(
            db.query_one(&format!(
                "SELECT to_regclass('events_d{}') IS NULL",
                today - 3
            )),
            "t"
        );
        assert_eq!(
            db.query_one(&format!(
                "SELECT to_regclass('thumbnails_d{}') IS NULL",
                today - 3
            )),
            "t"
        );
        assert_eq!(s.count_events("p").unwrap(), 2);
        assert_eq!(db.query_one("SELECT count(*) FROM thumbnails"), "2");
        // A new event of a dropped day lands in the default partition: no error.
        s.insert_events(&[EventBatch {
            project: "p".into(),
            events: vec![event((today - 3) * DAY_US + 30)],
        }])
        .unwrap();
        assert_eq!(s.count_events("p").unwrap(), 3);
    }

    /// An event sent for a day ahead of the partitioned range waits in the default
    /// partition and moves into that day's partition when the day gets one.
    #[test]
    fn a_day_created_later_takes_its_rows_from_the_default_partition() {
        let Some(db) = test_cluster::database("later_day") else {
            return;
        };
        let s = PostgresStore::open(&db.url, std::time::Duration::from_secs(5)).unwrap();
        let day = day_of(now_us()) + FUTURE_DAYS + 1;
        db.execute(&format!(
            "INSERT INTO events (seq, project, ts_us, vals) VALUES (nextval('events_seq'), 'p', {}, '{{}}')",
            day * DAY_US + 7
        ));
        assert_eq!(db.query_one("SELECT count(*) FROM events_other"), "1");
        s.db.run(|mut c| async move { create_day(&mut c, day).await })
            .unwrap();
        assert_eq!(db.query_one("SELECT count(*) FROM events_other"), "0");
        assert_eq!(
            db.query_one(&format!("SELECT count(*) FROM events_d{day}")),
            "1"
        );
        assert_eq!(s.count_events("p").unwrap(), 1);
    }
}
