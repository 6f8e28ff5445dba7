//! The alert tables in SQLite: [`AlertStore`] for [`SqliteAlertStore`].

use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use super::db_err;
use crate::store::{
    AlertStore, OutboxItem, ServingCounts, SilenceRecord, StoreError, TransitionRecord,
};

/// The alert tables, on their own writing connection to the store's file (opened by
/// [`super::SqliteStore::open`], which also migrates the schema).
pub struct SqliteAlertStore {
    conn: Mutex<Connection>,
}

impl SqliteAlertStore {
    pub(super) fn new(conn: Connection) -> Self {
        Self {
            conn: Mutex::new(conn),
        }
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions
        // roll back on drop), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl AlertStore for SqliteAlertStore {
    // Rules created through the API.

    fn rules(&self) -> Result<Vec<String>, StoreError> {
        let c = self.conn();
        let mut st = c
            .prepare("SELECT rule FROM alert_rules ORDER BY name, project")
            .map_err(db_err)?;
        let rows = st.query_map([], |r| r.get(0)).map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    fn put_rule(&self, name: &str, project: &str, json: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO alert_rules (name, project, rule) VALUES (?1, ?2, ?3)",
                params![name, project, json],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    fn delete_rule(&self, name: &str, project: &str) -> Result<bool, StoreError> {
        self.conn()
            .execute(
                "DELETE FROM alert_rules WHERE name = ?1 AND project = ?2",
                params![name, project],
            )
            .map(|n| n > 0)
            .map_err(db_err)
    }

    // Transitions and active alerts.

    fn record(
        &self,
        transitions: &[TransitionRecord],
        upserts: &[(String, String)],
        removals: &[String],
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(db_err)?;
        for t in transitions {
            tx.execute(
                "INSERT INTO alert_transitions (ts_us, alertname, project, fingerprint, \
                 from_state, to_state, value, labels, annotations) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    t.ts_us,
                    t.alertname,
                    t.project,
                    t.fingerprint,
                    t.from,
                    t.to,
                    t.value.filter(|v| v.is_finite()),
                    t.labels.to_string(),
                    t.annotations.to_string()
                ],
            )
            .map_err(db_err)?;
        }
        for (k, v) in upserts {
            tx.execute(
                "INSERT OR REPLACE INTO alert_active (key, data) VALUES (?1, ?2)",
                params![k, v],
            )
            .map_err(db_err)?;
        }
        for k in removals {
            tx.execute("DELETE FROM alert_active WHERE key = ?1", params![k])
                .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    fn active(&self) -> Result<Vec<String>, StoreError> {
        let c = self.conn();
        let mut st = c
            .prepare("SELECT data FROM alert_active ORDER BY key")
            .map_err(db_err)?;
        let rows = st.query_map([], |r| r.get(0)).map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    fn history(
        &self,
        project: Option<&str>,
        alertname: Option<&str>,
        limit: usize,
    ) -> Result<Vec<TransitionRecord>, StoreError> {
        let c = self.conn();
        let mut st = c
            .prepare(
                "SELECT id, ts_us, alertname, project, fingerprint, from_state, to_state, value, \
                 labels, annotations FROM alert_transitions \
                 WHERE (?1 IS NULL OR project = ?1) AND (?2 IS NULL OR alertname = ?2) \
                 ORDER BY id DESC LIMIT ?3",
            )
            .map_err(db_err)?;
        let rows = st
            .query_map(params![project, alertname, limit as i64], |r| {
                let labels: String = r.get(8)?;
                let annotations: String = r.get(9)?;
                Ok(TransitionRecord {
                    id: r.get(0)?,
                    ts_us: r.get(1)?,
                    alertname: r.get(2)?,
                    project: r.get(3)?,
                    fingerprint: r.get(4)?,
                    from: r.get(5)?,
                    to: r.get(6)?,
                    value: r.get(7)?,
                    labels: serde_json::from_str(&labels).unwrap_or_default(),
                    annotations: serde_json::from_str(&annotations).unwrap_or_default(),
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    // Silences.

    fn put_silence(&self, s: &SilenceRecord) -> Result<i64, StoreError> {
        let c = self.conn();
        c.execute(
            "INSERT INTO alert_silences (matchers, starts_us, ends_us, created_by, comment) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                serde_json::to_string(&s.matchers).unwrap_or_default(),
                s.starts_us,
                s.ends_us,
                s.created_by,
                s.comment
            ],
        )
        .map_err(db_err)?;
        Ok(c.last_insert_rowid())
    }

    fn expire_silence(&self, id: i64, now_us: i64) -> Result<bool, StoreError> {
        self.conn()
            .execute(
                "UPDATE alert_silences SET ends_us = MIN(ends_us, ?2) WHERE id = ?1",
                params![id, now_us],
            )
            .map(|n| n > 0)
            .map_err(db_err)
    }

    fn silences(&self, after_us: i64) -> Result<Vec<SilenceRecord>, StoreError> {
        let c = self.conn();
        let mut st = c
            .prepare(
                "SELECT id, matchers, starts_us, ends_us, created_by, comment FROM alert_silences \
                 WHERE ends_us > ?1 ORDER BY id DESC",
            )
            .map_err(db_err)?;
        let rows = st
            .query_map(params![after_us], |r| {
                let m: String = r.get(1)?;
                Ok(SilenceRecord {
                    id: r.get(0)?,
                    matchers: serde_json::from_str(&m).unwrap_or_default(),
                    starts_us: r.get(2)?,
                    ends_us: r.get(3)?,
                    created_by: r.get(4)?,
                    comment: r.get(5)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    // Outbox.

    fn enqueue(&self, items: &[(String, String)], now_us: i64) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(db_err)?;
        for (receiver, body) in items {
            tx.execute(
                "INSERT INTO alert_outbox (receiver, body, next_us, created_us) \
                 VALUES (?1, ?2, ?3, ?3)",
                params![receiver, body, now_us],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    fn due(&self, now_us: i64, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        let c = self.conn();
        let mut st = c
            .prepare(
                "SELECT id, receiver, body, attempts, created_us FROM alert_outbox \
                 WHERE next_us <= ?1 ORDER BY id LIMIT ?2",
            )
            .map_err(db_err)?;
        let rows = st
            .query_map(params![now_us, limit as i64], |r| {
                Ok(OutboxItem {
                    id: r.get(0)?,
                    receiver: r.get(1)?,
                    body: r.get(2)?,
                    attempts: r.get(3)?,
                    created_us: r.get(4)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    fn delivered(&self, id: i64) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM alert_outbox WHERE id = ?1", params![id])
            .map(|_| ())
            .map_err(db_err)
    }

    fn retry_later(&self, id: i64, next_us: i64, error: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE alert_outbox SET attempts = attempts + 1, next_us = ?2, last_error = ?3 \
                 WHERE id = ?1",
                params![id, next_us, error],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    // Serving minute buckets.

    fn add_serving(&self, buckets: &[((String, i64), ServingCounts)]) -> Result<(), StoreError> {
        if buckets.is_empty() {
            return Ok(());
        }
        let mut c = self.conn();
        let tx = c.transaction().map_err(db_err)?;
        {
            let cols: Vec<String> = (0..12).map(|i| format!("l{i}")).collect();
            let sql = format!(
                "INSERT INTO alert_serving (project, minute, requests, errors, {}) \
                 VALUES (?1, ?2, ?3, ?4, {}) ON CONFLICT (project, minute) DO UPDATE SET \
                 requests = requests + excluded.requests, errors = errors + excluded.errors, {}",
                cols.join(", "),
                (5..17)
                    .map(|i| format!("?{i}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                cols.iter()
                    .map(|c| format!("{c} = {c} + excluded.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut st = tx.prepare(&sql).map_err(db_err)?;
            for ((project, minute), n) in buckets {
                let mut values: Vec<rusqlite::types::Value> = vec![
                    project.clone().into(),
                    (*minute).into(),
                    (n.requests as i64).into(),
                    (n.errors as i64).into(),
                ];
                values.extend(n.latency.iter().map(|x| (*x as i64).into()));
                st.execute(rusqlite::params_from_iter(values))
                    .map_err(db_err)?;
            }
        }
        tx.commit().map_err(db_err)
    }

    fn serving_since(&self, project: &str, from_minute: i64) -> Result<ServingCounts, StoreError> {
        let sums: Vec<String> = std::iter::once("requests".to_string())
            .chain(std::iter::once("errors".to_string()))
            .chain((0..12).map(|i| format!("l{i}")))
            .map(|c| format!("COALESCE(SUM({c}), 0)"))
            .collect();
        let sql = format!(
            "SELECT {} FROM alert_serving WHERE project = ?1 AND minute >= ?2",
            sums.join(", ")
        );
        self.conn()
            .query_row(&sql, params![project, from_minute], |r| {
                let mut n = ServingCounts {
                    requests: r.get::<_, i64>(0)? as u64,
                    errors: r.get::<_, i64>(1)? as u64,
                    ..Default::default()
                };
                for i in 0..12 {
                    n.latency[i] = r.get::<_, i64>(2 + i)? as u64;
                }
                Ok(n)
            })
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(db_err)
    }

    fn prune(&self, minute: i64, ts_us: i64) -> Result<(), StoreError> {
        let c = self.conn();
        c.execute(
            "DELETE FROM alert_serving WHERE minute < ?1",
            params![minute],
        )
        .map_err(db_err)?;
        c.execute(
            "DELETE FROM alert_transitions WHERE ts_us < ?1",
            params![ts_us],
        )
        .map_err(db_err)?;
        c.execute(
            "DELETE FROM alert_silences WHERE ends_us < ?1",
            params![ts_us],
        )
        .map(|_| ())
        .map_err(db_err)
    }
}
