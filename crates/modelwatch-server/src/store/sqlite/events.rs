//! Projects, events and snapshots in SQLite: [`Store`] for [`SqliteStore`].

use std::sync::Arc;

use rusqlite::{params, OptionalExtension};

use super::{db_err, SqliteStore};
use crate::store::{
    AlertStore, EventBatch, ProjectRecord, SeriesPoint, SnapshotMeta, SnapshotMetric, Store,
    StoreError, StoredEvent, ThumbnailChange, WindowQuery,
};

fn project_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ProjectRecord> {
    let blob: Option<Vec<u8>> = row.get(2)?;
    let format: Option<String> = row.get(3)?;
    Ok(ProjectRecord {
        name: row.get(0)?,
        config_json: row.get(1)?,
        reference: blob.zip(format),
        created_us: row.get(4)?,
        updated_us: row.get(5)?,
    })
}

/// An event from a row of `SELECT seq, ts_us, event_id, vals, label`.
fn event_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        seq: row.get(0)?,
        ts_us: row.get(1)?,
        event_id: row.get(2)?,
        values_json: row.get(3)?,
        label_json: row.get(4)?,
    })
}

const PROJECT_COLUMNS: &str = "name, config, reference, reference_format, created_us, updated_us";

fn snapshot_meta_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SnapshotMeta> {
    Ok(SnapshotMeta {
        id: row.get(0)?,
        taken_us: row.get(1)?,
        window_from_us: row.get(2)?,
        window_to_us: row.get(3)?,
        rows: row.get(4)?,
    })
}

impl Store for SqliteStore {
    fn alerts(&self) -> Arc<dyn AlertStore> {
        self.alerts.clone()
    }

    fn check_writable(&self) -> Result<(), StoreError> {
        super::check_writable(&self.write())
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
        let mut conn = self.write();
        let tx = conn.transaction().map_err(db_err)?;
        tx.execute(
            "INSERT INTO projects (name, config, reference, reference_format, created_us, updated_us)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (name) DO UPDATE SET config = excluded.config,
               reference = excluded.reference, reference_format = excluded.reference_format,
               updated_us = excluded.updated_us",
            params![p.name, p.config_json, blob, format, p.created_us, p.updated_us],
        )
        .map_err(db_err)?;
        match thumbnails {
            ThumbnailChange::Keep => {}
            ThumbnailChange::ReplaceReference(list) => {
                tx.execute(
                    "DELETE FROM reference_thumbnails WHERE project = ?1",
                    [&p.name],
                )
                .map_err(db_err)?;
                let mut stmt = tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO reference_thumbnails (project, col, row, jpeg)
                         VALUES (?1, ?2, ?3, ?4)",
                    )
                    .map_err(db_err)?;
                for (col, row, jpeg) in list {
                    stmt.execute(params![p.name, col, *row as i64, jpeg])
                        .map_err(db_err)?;
                }
            }
            ThumbnailChange::DeleteAll => {
                tx.execute(
                    "DELETE FROM reference_thumbnails WHERE project = ?1",
                    [&p.name],
                )
                .map_err(db_err)?;
                tx.execute(
                    "DELETE FROM thumbnails WHERE event IN
                       (SELECT seq FROM events WHERE project = ?1)",
                    [&p.name],
                )
                .map_err(db_err)?;
            }
        }
        tx.commit().map_err(db_err)
    }

    fn get_project(&self, name: &str) -> Result<Option<ProjectRecord>, StoreError> {
        self.read()
            .query_row(
                &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE name = ?1"),
                [name],
                project_from_row,
            )
            .optional()
            .map_err(db_err)
    }

    fn list_projects(&self) -> Result<Vec<ProjectRecord>, StoreError> {
        let conn = self.read();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {PROJECT_COLUMNS} FROM projects ORDER BY name"
            ))
            .map_err(db_err)?;
        let rows = stmt.query_map([], project_from_row).map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    fn delete_project(&self, name: &str) -> Result<bool, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().map_err(db_err)?;
        tx.execute("DELETE FROM events WHERE project = ?1", [name])
            .map_err(db_err)?;
        tx.execute("DELETE FROM snapshots WHERE project = ?1", [name])
            .map_err(db_err)?;
        tx.execute(
            "DELETE FROM reference_thumbnails WHERE project = ?1",
            [name],
        )
        .map_err(db_err)?;
        let n = tx
            .execute("DELETE FROM projects WHERE name = ?1", [name])
            .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        Ok(n > 0)
    }

    fn insert_events(&self, batches: &[EventBatch]) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().map_err(db_err)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO events (project, ts_us, event_id, vals, latency, status, error)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(db_err)?;
            let mut thumb = tx
                .prepare_cached("INSERT INTO thumbnails (event, col, jpeg) VALUES (?1, ?2, ?3)")
                .map_err(db_err)?;
            for batch in batches {
                for e in &batch.events {
                    stmt.execute(params![
                        batch.project,
                        e.ts_us,
                        e.event_id,
                        e.values_json,
                        e.latency_seconds,
                        e.status,
                        e.error
                    ])
                    .map_err(db_err)?;
                    if !e.thumbnails.is_empty() {
                        let seq = tx.last_insert_rowid();
                        for t in &e.thumbnails {
                            thumb
                                .execute(params![seq, t.column, t.jpeg])
                                .map_err(db_err)?;
                        }
                    }
                }
            }
        }
        tx.commit().map_err(db_err)
    }

    fn attach_labels(
        &self,
        project: &str,
        labels: &[(String, String)],
    ) -> Result<Vec<usize>, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().map_err(db_err)?;
        let mut found = Vec::with_capacity(labels.len());
        {
            let mut stmt = tx
                .prepare_cached("UPDATE events SET label = ?3 WHERE project = ?1 AND event_id = ?2")
                .map_err(db_err)?;
            for (id, label) in labels {
                found.push(stmt.execute(params![project, id, label]).map_err(db_err)?);
            }
        }
        tx.commit().map_err(db_err)?;
        Ok(found)
    }

    fn events(&self, project: &str, window: WindowQuery) -> Result<Vec<StoredEvent>, StoreError> {
        let conn = self.read();
        let map = event_from_row;
        let mut out: Vec<StoredEvent> = match window {
            WindowQuery::Last(n) => {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT seq, ts_us, event_id, vals, label FROM events
                         WHERE project = ?1 ORDER BY ts_us DESC, seq DESC LIMIT ?2",
                    )
                    .map_err(db_err)?;
                let limit = i64::try_from(n).unwrap_or(i64::MAX);
                let rows = stmt
                    .query_map(params![project, limit], map)
                    .map_err(db_err)?;
                let mut v: Vec<StoredEvent> = rows.collect::<Result<_, _>>().map_err(db_err)?;
                v.reverse();
                v
            }
            WindowQuery::Range { from_us, to_us } => {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT seq, ts_us, event_id, vals, label FROM events
                         WHERE project = ?1 AND ts_us >= ?2 AND ts_us < ?3 ORDER BY ts_us, seq",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![project, from_us, to_us], map)
                    .map_err(db_err)?;
                rows.collect::<Result<_, _>>().map_err(db_err)?
            }
        };
        out.shrink_to_fit();
        Ok(out)
    }

    fn sample_events(
        &self,
        project: &str,
        window: WindowQuery,
        max_rows: usize,
    ) -> Result<(Vec<StoredEvent>, u64), StoreError> {
        let max_rows = i64::try_from(max_rows.max(1)).unwrap_or(i64::MAX);
        let conn = self.read();
        let map = event_from_row;
        // The window as a subquery that numbers its rows (`rn`, 1 = the row the window is
        // read from: the oldest of a range, the newest for `Last`), its size, then
        // every k-th row of it by that number. (Numbering by position, not by the table-wide
        // `seq`: with several projects ingesting at once a project's `seq` values are not
        // evenly spaced, and `seq % k` could keep all of one project's rows and none of
        // another's.)
        let (inner, total): (&str, i64) = match window {
            WindowQuery::Last(n) => {
                let n = i64::try_from(n).unwrap_or(i64::MAX);
                // Up to max_rows nothing is thinned, so the size needs no count.
                let size = if n <= max_rows {
                    n
                } else {
                    let stored: i64 = conn
                        .query_row(
                            "SELECT count(*) FROM events WHERE project = ?1",
                            params![project],
                            |r| r.get(0),
                        )
                        .map_err(db_err)?;
                    stored.min(n)
                };
                (
                    "SELECT seq, ts_us, event_id, vals, label,
                            row_number() OVER (ORDER BY ts_us DESC, seq DESC) AS rn
                     FROM events WHERE project = ?1 ORDER BY ts_us DESC, seq DESC LIMIT ?2",
                    size,
                )
            }
            WindowQuery::Range { from_us, to_us } => {
                let total: i64 = conn
                    .query_row(
                        "SELECT count(*) FROM events WHERE project = ?1 AND ts_us >= ?2 AND ts_us < ?3",
                        params![project, from_us, to_us],
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                (
                    "SELECT seq, ts_us, event_id, vals, label,
                            row_number() OVER (ORDER BY ts_us, seq) AS rn
                     FROM events WHERE project = ?1 AND ts_us >= ?2 AND ts_us < ?3",
                    total,
                )
            }
        };
        // ceil(total / max_rows); 1 (no thinning) for any total up to max_rows, 0 included.
        let stride = (total - 1) / max_rows + 1;
        let sql = format!(
            "SELECT seq, ts_us, event_id, vals, label FROM ({inner})
             WHERE (rn - 1) % {stride} = 0 ORDER BY ts_us, seq"
        );
        let mut stmt = conn.prepare(&sql).map_err(db_err)?;
        let rows = match window {
            WindowQuery::Last(n) => {
                let n = i64::try_from(n).unwrap_or(i64::MAX);
                stmt.query_map(params![project, n], map)
            }
            WindowQuery::Range { from_us, to_us } => {
                stmt.query_map(params![project, from_us, to_us], map)
            }
        }
        .map_err(db_err)?;
        let events: Vec<StoredEvent> = rows.collect::<Result<_, _>>().map_err(db_err)?;
        // Unthinned, the window is exactly what was read.
        let total = if stride == 1 {
            events.len() as u64
        } else {
            total.max(0) as u64
        };
        Ok((events, total))
    }

    fn count_events(&self, project: &str) -> Result<u64, StoreError> {
        let n: i64 = self
            .read()
            .query_row(
                "SELECT count(*) FROM events WHERE project = ?1",
                [project],
                |r| r.get(0),
            )
            .map_err(db_err)?;
        Ok(n.max(0) as u64)
    }

    fn put_snapshot(
        &self,
        project: &str,
        meta: &SnapshotMeta,
        results_json: &str,
        metrics: &[SnapshotMetric],
    ) -> Result<i64, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().map_err(db_err)?;
        tx.execute(
            "INSERT INTO snapshots (project, taken_us, window_from_us, window_to_us, rows, results)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                project,
                meta.taken_us,
                meta.window_from_us,
                meta.window_to_us,
                meta.rows,
                results_json
            ],
        )
        .map_err(db_err)?;
        let id = tx.last_insert_rowid();
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO snapshot_metrics (snapshot, metric, col, value) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db_err)?;
            for m in metrics {
                stmt.execute(params![id, m.metric, m.column, m.value])
                    .map_err(db_err)?;
            }
        }
        tx.commit().map_err(db_err)?;
        Ok(id)
    }

    fn list_snapshots(
        &self,
        project: &str,
        from_us: i64,
        to_us: i64,
        limit: usize,
    ) -> Result<Vec<SnapshotMeta>, StoreError> {
        let conn = self.read();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, taken_us, window_from_us, window_to_us, rows FROM snapshots
                 WHERE project = ?1 AND taken_us >= ?2 AND taken_us < ?3
                 ORDER BY taken_us DESC, id DESC LIMIT ?4",
            )
            .map_err(db_err)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(
                params![project, from_us, to_us, limit],
                snapshot_meta_from_row,
            )
            .map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    fn snapshot_results(&self, project: &str, id: i64) -> Result<Option<String>, StoreError> {
        self.read()
            .query_row(
                "SELECT results FROM snapshots WHERE project = ?1 AND id = ?2",
                params![project, id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)
    }

    fn latest_snapshot(
        &self,
        project: &str,
    ) -> Result<Option<(SnapshotMeta, Vec<SnapshotMetric>)>, StoreError> {
        let conn = self.read();
        let meta = conn
            .query_row(
                "SELECT id, taken_us, window_from_us, window_to_us, rows FROM snapshots
                 WHERE project = ?1 ORDER BY taken_us DESC, id DESC LIMIT 1",
                [project],
                snapshot_meta_from_row,
            )
            .optional()
            .map_err(db_err)?;
        let Some(meta) = meta else {
            return Ok(None);
        };
        let mut stmt = conn
            .prepare_cached("SELECT metric, col, value FROM snapshot_metrics WHERE snapshot = ?1")
            .map_err(db_err)?;
        let rows = stmt
            .query_map([meta.id], |r| {
                Ok(SnapshotMetric {
                    metric: r.get(0)?,
                    column: r.get(1)?,
                    value: r.get(2)?,
                })
            })
            .map_err(db_err)?;
        let metrics = rows.collect::<Result<_, _>>().map_err(db_err)?;
        Ok(Some((meta, metrics)))
    }

    fn series(
        &self,
        project: &str,
        metric: &str,
        column: &str,
        from_us: i64,
        to_us: i64,
    ) -> Result<Vec<SeriesPoint>, StoreError> {
        let conn = self.read();
        let mut stmt = conn
            .prepare_cached(
                "SELECT s.taken_us, m.value FROM snapshots s JOIN snapshot_metrics m ON m.snapshot = s.id
                 WHERE s.project = ?1 AND m.metric = ?2 AND m.col = ?3
                   AND s.taken_us >= ?4 AND s.taken_us < ?5
                 ORDER BY s.taken_us, s.id",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map(params![project, metric, column, from_us, to_us], |r| {
                Ok(SeriesPoint {
                    taken_us: r.get(0)?,
                    value: r.get(1)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    fn all_series(
        &self,
        project: &str,
        from_us: i64,
        to_us: i64,
    ) -> Result<std::collections::HashMap<(String, String), Vec<SeriesPoint>>, StoreError> {
        let conn = self.read();
        let mut stmt = conn
            .prepare_cached(
                "SELECT m.metric, m.col, s.taken_us, m.value
                 FROM snapshots s JOIN snapshot_metrics m ON m.snapshot = s.id
                 WHERE s.project = ?1 AND s.taken_us >= ?2 AND s.taken_us < ?3
                 ORDER BY s.taken_us, s.id",
            )
            .map_err(db_err)?;
        let mut rows = stmt
            .query(params![project, from_us, to_us])
            .map_err(db_err)?;
        let mut out: std::collections::HashMap<(String, String), Vec<SeriesPoint>> =
            std::collections::HashMap::new();
        while let Some(r) = rows.next().map_err(db_err)? {
            let key: (String, String) = (r.get(0).map_err(db_err)?, r.get(1).map_err(db_err)?);
            out.entry(key).or_default().push(SeriesPoint {
                taken_us: r.get(2).map_err(db_err)?,
                value: r.get(3).map_err(db_err)?,
            });
        }
        Ok(out)
    }

    fn event_thumbnails(
        &self,
        project: &str,
        seqs: &[i64],
    ) -> Result<Vec<(i64, String, Vec<u8>)>, StoreError> {
        let conn = self.read();
        let mut stmt = conn
            .prepare_cached(
                "SELECT t.event, t.col, t.jpeg FROM thumbnails t JOIN events e ON e.seq = t.event
                 WHERE t.event = ?1 AND e.project = ?2",
            )
            .map_err(db_err)?;
        let mut out = Vec::new();
        for seq in seqs {
            let rows = stmt
                .query_map(params![seq, project], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(db_err)?;
            for row in rows {
                out.push(row.map_err(db_err)?);
            }
        }
        Ok(out)
    }

    fn reference_thumbnails(
        &self,
        project: &str,
        column: &str,
        rows: &[usize],
    ) -> Result<Vec<(usize, Vec<u8>)>, StoreError> {
        let conn = self.read();
        let mut stmt = conn
            .prepare_cached(
                "SELECT jpeg FROM reference_thumbnails WHERE project = ?1 AND col = ?2 AND row = ?3",
            )
            .map_err(db_err)?;
        let mut out = Vec::new();
        for &row in rows {
            let jpeg: Option<Vec<u8>> = stmt
                .query_row(params![project, column, row as i64], |r| r.get(0))
                .optional()
                .map_err(db_err)?;
            if let Some(j) = jpeg {
                out.push((row, j));
            }
        }
        Ok(out)
    }

    fn prune(
        &self,
        events_before_us: i64,
        snapshots_before_us: i64,
    ) -> Result<(u64, u64), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction().map_err(db_err)?;
        let e = tx
            .execute("DELETE FROM events WHERE ts_us < ?1", [events_before_us])
            .map_err(db_err)?;
        let s = tx
            .execute(
                "DELETE FROM snapshots WHERE taken_us < ?1",
                [snapshots_before_us],
            )
            .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        Ok((e as u64, s as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::Durability;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("t.db"), Durability::Normal).unwrap();
        (dir, s)
    }

    crate::store::contract::contract_tests!({
        let (dir, s) = store();
        Some(crate::store::contract::Harness::new(s, dir))
    });
}
