//! Reading a body of events against a project, and storing validated events: the one path
//! every ingestion takes (the events route, proxies of the serve config, the payload
//! loggers' CloudEvents), so that windows, snapshots, `/metrics` and alerts see them alike.

use crate::ingest::{self, BodyError, BodyFormat, EventRules, Validated};
use crate::metrics::ServingFacts;
use crate::project::Project;
use crate::store::{EventBatch, NewEvent};
use crate::AppState;

/// Reads `body` as events of `project` in `format`, each row validated against its schema
/// and the server's row limits. CPU in proportion to the body: call it off the async
/// workers.
pub fn validate(
    state: &AppState,
    project: &Project,
    body: &[u8],
    format: BodyFormat,
) -> Result<Validated, BodyError> {
    let rules = EventRules::of(project, &state.config.limits);
    ingest::read_events(
        body,
        format,
        &state.config.row_limits(),
        &rules,
        crate::now_us(),
    )
}

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
