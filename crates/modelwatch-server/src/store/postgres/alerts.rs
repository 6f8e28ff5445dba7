//! The alert tables in PostgreSQL: [`AlertStore`] for [`PostgresAlertStore`].

use std::sync::Arc;

use super::{pg_err, PgDatabase};
use crate::store::{
    AlertStore, OutboxItem, ServingCounts, SilenceRecord, StoreError, TransitionRecord,
};

/// The alert tables, on the pool of the [`super::PostgresStore`] that opened them (which
/// also migrates the schema).
pub struct PostgresAlertStore {
    db: Arc<PgDatabase>,
}

impl PostgresAlertStore {
    pub(super) fn new(db: Arc<PgDatabase>) -> Self {
        Self { db }
    }
}

/// How long a notification returned by [`AlertStore::due`] stays claimed (not due for
/// anyone) unless it is retried or delivered first: 10 minutes, longer than a delivery
/// round (50 items, each bounded by the receiver's timeout). A replica that dies holding a
/// claim delays those notifications by at most this, and they are then sent by another (at
/// least once, as a notification whose delivery was not recorded is sent again).
pub const CLAIM_LEASE_US: i64 = 600_000_000;

/// The latency bucket columns of `alert_serving`.
fn latency_columns() -> Vec<String> {
    (0..12).map(|i| format!("l{i}")).collect()
}

impl AlertStore for PostgresAlertStore {
    fn rules(&self) -> Result<Vec<String>, StoreError> {
        self.db.run(|c| async move {
            let rows = c
                .query(
                    "SELECT rule FROM alert_rules ORDER BY name COLLATE \"C\", project COLLATE \"C\"",
                    &[],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    fn put_rule(&self, name: &str, project: &str, json: &str) -> Result<(), StoreError> {
        self.db.run(|c| async move {
            c.execute(
                "INSERT INTO alert_rules (name, project, rule) VALUES ($1, $2, $3)
                 ON CONFLICT (name, project) DO UPDATE SET rule = excluded.rule",
                &[&name, &project, &json],
            )
            .await
            .map(|_| ())
            .map_err(pg_err)
        })
    }

    fn delete_rule(&self, name: &str, project: &str) -> Result<bool, StoreError> {
        self.db.run(|c| async move {
            c.execute(
                "DELETE FROM alert_rules WHERE name = $1 AND project = $2",
                &[&name, &project],
            )
            .await
            .map(|n| n > 0)
            .map_err(pg_err)
        })
    }

    fn record(
        &self,
        transitions: &[TransitionRecord],
        upserts: &[(String, String)],
        removals: &[String],
    ) -> Result<(), StoreError> {
        self.db.run(|mut c| async move {
            let tx = c.transaction().await.map_err(pg_err)?;
            for t in transitions {
                tx.execute(
                    "INSERT INTO alert_transitions (ts_us, alertname, project, fingerprint,
                       from_state, to_state, value, labels, annotations)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    &[
                        &t.ts_us,
                        &t.alertname,
                        &t.project,
                        &t.fingerprint,
                        &t.from,
                        &t.to,
                        &t.value.filter(|v| v.is_finite()),
                        &t.labels.to_string(),
                        &t.annotations.to_string(),
                    ],
                )
                .await
                .map_err(pg_err)?;
            }
            for (k, v) in upserts {
                tx.execute(
                    "INSERT INTO alert_active (key, data) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET data = excluded.data",
                    &[k, v],
                )
                .await
                .map_err(pg_err)?;
            }
            if !removals.is_empty() {
                tx.execute("DELETE FROM alert_active WHERE key = ANY($1)", &[&removals])
                    .await
                    .map_err(pg_err)?;
            }
            tx.commit().await.map_err(pg_err)
        })
    }

    fn active(&self) -> Result<Vec<String>, StoreError> {
        self.db.run(|c| async move {
            let rows = c
                .query(
                    "SELECT data FROM alert_active ORDER BY key COLLATE \"C\"",
                    &[],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    fn history(
        &self,
        project: Option<&str>,
        alertname: Option<&str>,
        limit: usize,
    ) -> Result<Vec<TransitionRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db.run(|c| async move {
            let rows = c
                .query(
                    "SELECT id, ts_us, alertname, project, fingerprint, from_state, to_state, value,
                       labels, annotations FROM alert_transitions
                     WHERE ($1::text IS NULL OR project = $1) AND ($2::text IS NULL OR alertname = $2)
                     ORDER BY id DESC LIMIT $3",
                    &[&project, &alertname, &limit],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows
                .iter()
                .map(|r| {
                    let labels: String = r.get(8);
                    let annotations: String = r.get(9);
                    TransitionRecord {
                        id: r.get(0),
                        ts_us: r.get(1),
                        alertname: r.get(2),
                        project: r.get(3),
                        fingerprint: r.get(4),
                        from: r.get(5),
                        to: r.get(6),
                        value: r.get(7),
                        labels: serde_json::from_str(&labels).unwrap_or_default(),
                        annotations: serde_json::from_str(&annotations).unwrap_or_default(),
                    }
                })
                .collect())
        })
    }

    fn put_silence(&self, s: &SilenceRecord) -> Result<i64, StoreError> {
        let matchers = serde_json::to_string(&s.matchers).unwrap_or_default();
        self.db.run(|c| async move {
            let row = c
                .query_one(
                    "INSERT INTO alert_silences (matchers, starts_us, ends_us, created_by, comment)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[
                        &matchers,
                        &s.starts_us,
                        &s.ends_us,
                        &s.created_by,
                        &s.comment,
                    ],
                )
                .await
                .map_err(pg_err)?;
            Ok(row.get(0))
        })
    }

    fn expire_silence(&self, id: i64, now_us: i64) -> Result<bool, StoreError> {
        self.db.run(|c| async move {
            c.execute(
                "UPDATE alert_silences SET ends_us = LEAST(ends_us, $2) WHERE id = $1",
                &[&id, &now_us],
            )
            .await
            .map(|n| n > 0)
            .map_err(pg_err)
        })
    }

    fn silences(&self, after_us: i64) -> Result<Vec<SilenceRecord>, StoreError> {
        self.db.run(|c| async move {
            let rows = c
                .query(
                    "SELECT id, matchers, starts_us, ends_us, created_by, comment FROM alert_silences
                     WHERE ends_us > $1 ORDER BY id DESC",
                    &[&after_us],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows
                .iter()
                .map(|r| {
                    let m: String = r.get(1);
                    SilenceRecord {
                        id: r.get(0),
                        matchers: serde_json::from_str(&m).unwrap_or_default(),
                        starts_us: r.get(2),
                        ends_us: r.get(3),
                        created_by: r.get(4),
                        comment: r.get(5),
                    }
                })
                .collect())
        })
    }

    fn enqueue(&self, items: &[(String, String)], now_us: i64) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let receivers: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
        let bodies: Vec<&str> = items.iter().map(|i| i.1.as_str()).collect();
        self.db.run(|c| async move {
            // WITH ORDINALITY ... ORDER BY: ids follow the order of `items`.
            c.execute(
                "INSERT INTO alert_outbox (receiver, body, next_us, created_us)
                 SELECT r, b, $3, $3 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(r, b, n)
                 ORDER BY n",
                &[&receivers, &bodies, &now_us],
            )
            .await
            .map(|_| ())
            .map_err(pg_err)
        })
    }

    fn due(&self, now_us: i64, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db.run(|c| async move {
            // Claimed, not only read: the rows are locked while the claim moves their due
            // time a lease ahead, and rows another replica is claiming are skipped.
            let rows = c
                .query(
                    "UPDATE alert_outbox o SET next_us = $1 + $3
                     FROM (SELECT id FROM alert_outbox WHERE next_us <= $1 ORDER BY id LIMIT $2
                           FOR UPDATE SKIP LOCKED) d
                     WHERE o.id = d.id
                     RETURNING o.id, o.receiver, o.body, o.attempts, o.created_us",
                    &[&now_us, &limit, &CLAIM_LEASE_US],
                )
                .await
                .map_err(pg_err)?;
            let mut items: Vec<OutboxItem> = rows
                .iter()
                .map(|r| OutboxItem {
                    id: r.get(0),
                    receiver: r.get(1),
                    body: r.get(2),
                    attempts: r.get::<_, i32>(3).max(0) as u32,
                    created_us: r.get(4),
                })
                .collect();
            items.sort_by_key(|i| i.id);
            Ok(items)
        })
    }

    fn delivered(&self, id: i64) -> Result<(), StoreError> {
        self.db.run(|c| async move {
            c.execute("DELETE FROM alert_outbox WHERE id = $1", &[&id])
                .await
                .map(|_| ())
                .map_err(pg_err)
        })
    }

    fn retry_later(&self, id: i64, next_us: i64, error: &str) -> Result<(), StoreError> {
        self.db.run(|c| async move {
            c.execute(
                "UPDATE alert_outbox SET attempts = attempts + 1, next_us = $2, last_error = $3
                 WHERE id = $1",
                &[&id, &next_us, &error],
            )
            .await
            .map(|_| ())
            .map_err(pg_err)
        })
    }

    fn add_serving(&self, buckets: &[((String, i64), ServingCounts)]) -> Result<(), StoreError> {
        if buckets.is_empty() {
            return Ok(());
        }
        let cols = latency_columns();
        let sql = format!(
            "INSERT INTO alert_serving (project, minute, requests, errors, {}) \
             VALUES ($1, $2, $3, $4, {}) ON CONFLICT (project, minute) DO UPDATE SET \
             requests = alert_serving.requests + excluded.requests, \
             errors = alert_serving.errors + excluded.errors, {}",
            cols.join(", "),
            (5..17)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", "),
            cols.iter()
                .map(|c| format!("{c} = alert_serving.{c} + excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.db.run(|mut c| async move {
            let tx = c.transaction().await.map_err(pg_err)?;
            let st = tx.prepare_cached(&sql).await.map_err(pg_err)?;
            for ((project, minute), n) in buckets {
                let mut values: Vec<i64> = vec![n.requests as i64, n.errors as i64];
                values.extend(n.latency.iter().map(|x| *x as i64));
                let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                    vec![project, minute];
                params.extend(
                    values
                        .iter()
                        .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync)),
                );
                tx.execute(&st, &params).await.map_err(pg_err)?;
            }
            tx.commit().await.map_err(pg_err)
        })
    }

    fn serving_since(&self, project: &str, from_minute: i64) -> Result<ServingCounts, StoreError> {
        let sums: Vec<String> = ["requests".to_string(), "errors".to_string()]
            .into_iter()
            .chain(latency_columns())
            .map(|c| format!("COALESCE(SUM({c}), 0)::int8"))
            .collect();
        let sql = format!(
            "SELECT {} FROM alert_serving WHERE project = $1 AND minute >= $2",
            sums.join(", ")
        );
        self.db.run(|c| async move {
            let r = c
                .query_one(&sql, &[&project, &from_minute])
                .await
                .map_err(pg_err)?;
            let mut n = ServingCounts {
                requests: r.get::<_, i64>(0) as u64,
                errors: r.get::<_, i64>(1) as u64,
                ..Default::default()
            };
            for i in 0..12 {
                n.latency[i] = r.get::<_, i64>(2 + i) as u64;
            }
            Ok(n)
        })
    }

    fn prune(&self, minute: i64, ts_us: i64) -> Result<(), StoreError> {
        self.db.run(|c| async move {
            c.execute("DELETE FROM alert_serving WHERE minute < $1", &[&minute])
                .await
                .map_err(pg_err)?;
            c.execute("DELETE FROM alert_transitions WHERE ts_us < $1", &[&ts_us])
                .await
                .map_err(pg_err)?;
            c.execute("DELETE FROM alert_silences WHERE ends_us < $1", &[&ts_us])
                .await
                .map(|_| ())
                .map_err(pg_err)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::postgres::{test_cluster, PostgresStore};
    use crate::store::Store;

    /// Two stores on one database (two replicas) claiming the same outbox at once get
    /// disjoint items that together are all of them; a claimed item is due again only
    /// after the lease, or when retried.
    #[test]
    fn replicas_claim_disjoint_notifications() {
        let Some(db) = test_cluster::database("outbox") else {
            return;
        };
        let open = || PostgresStore::open(&db.url, Duration::from_secs(5)).unwrap();
        let (one, two) = (open(), open());
        let items: Vec<(String, String)> = (0..200)
            .map(|i| ("hook".to_string(), format!("b{i}")))
            .collect();
        one.alerts().enqueue(&items, 100).unwrap();
        // Both start together and pause between claims, so that they take turns even on
        // a busy machine where one thread could otherwise drain the outbox alone.
        let start = std::sync::Arc::new(std::sync::Barrier::new(2));
        let claim = |s: PostgresStore| {
            let start = start.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                start.wait();
                loop {
                    let batch = s.alerts().due(100, 7).unwrap();
                    if batch.is_empty() {
                        return (got, s);
                    }
                    assert!(batch.windows(2).all(|w| w[0].id < w[1].id));
                    got.extend(batch.into_iter().map(|i| i.body));
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        let (a, b) = (claim(one), claim(two));
        let (mut a, one) = a.join().unwrap();
        let (b, _two) = b.join().unwrap();
        assert!(!a.is_empty() && !b.is_empty(), "{} {}", a.len(), b.len());
        a.extend(b);
        a.sort_by_key(|b| b[1..].parse::<u32>().unwrap());
        let all: Vec<String> = items.into_iter().map(|i| i.1).collect();
        assert_eq!(a, all);
        // Claimed: not due again before the lease ends, due after it.
        let a = one.alerts();
        assert!(a.due(100 + CLAIM_LEASE_US - 1, 500).unwrap().is_empty());
        assert_eq!(a.due(100 + CLAIM_LEASE_US, 500).unwrap().len(), 200);
    }
}
