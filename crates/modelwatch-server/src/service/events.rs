//! Storing validated events: the one path every ingestion takes after validation (the
//! events route and the payload loggers' CloudEvents), so that windows, snapshots,
//! `/metrics` and alerts see them alike.

use crate::metrics::ServingFacts;
use crate::store::{EventBatch, NewEvent};
use crate::AppState;

/// Commits `events` of project `name` through the ingest writer and, once committed,
/// counts them (with `rejected`, the kinds of rows refused beside them, and `bytes` of
/// body) on `/metrics`, marks the project changed for the scheduler and feeds the alerts'
/// serving facts. The error is the writer's reason; nothing is counted then.
pub async fn commit(
    state: &AppState,
    name: &str,
    events: Vec<NewEvent>,
    bytes: usize,
    rejected: Vec<&'static str>,
) -> Result<usize, String> {
    let accepted = events.len();
    let facts: Vec<ServingFacts> = events.iter().map(ServingFacts::of).collect();
    state
        .writer
        .write(EventBatch {
            project: name.to_string(),
            events,
        })
        .await?;
    state.changes.changed(name);
    state
        .recorder
        .ingested(name, bytes, accepted, rejected, &facts);
    crate::alerts::record_serving(state, name, &facts);
    Ok(accepted)
}
