//! The writer's group commit when the database refuses a value of one batch: each batch of
//! the group is committed alone, so that only the request holding the value fails.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use common::failing_store::FailingWrites;
use modelwatch_server::store::{EventBatch, NewEvent, Store, WindowQuery};
use modelwatch_server::writer::IngestWriter;

fn batch(project: &str, id: &str) -> EventBatch {
    EventBatch {
        project: project.into(),
        events: vec![NewEvent {
            ts_us: 1,
            event_id: Some(id.into()),
            values_json: "{}".into(),
            latency_seconds: None,
            status: None,
            error: None,
            thumbnails: Vec::new(),
        }],
    }
}

#[test]
fn a_refused_batch_fails_alone_and_the_rest_of_its_group_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _full) = FailingWrites::open(&dir.path().join("w.db"));
    *store.refused_project.lock().unwrap() = Some("bad".into());
    store.slow_once.store(true, Ordering::SeqCst);
    let store = Arc::new(store);
    let writer = IngestWriter::start(store.clone() as Arc<dyn Store>);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (first, (second, refused)) = rt.block_on(async {
        tokio::join!(writer.write(batch("iris", "a")), async {
            // Queued while the first commit is slow: the next round groups them.
            tokio::time::sleep(Duration::from_millis(100)).await;
            tokio::join!(
                writer.write(batch("iris", "b")),
                writer.write(batch("bad", "c"))
            )
        })
    });
    assert_eq!(first, Ok(()));
    assert_eq!(second, Ok(()), "the good batch of the group is stored");
    assert!(refused.unwrap_err().contains("22021"));
    let ids: Vec<_> = store
        .inner
        .events("iris", WindowQuery::Last(10))
        .unwrap()
        .into_iter()
        .filter_map(|e| e.event_id)
        .collect();
    assert_eq!(ids, ["a", "b"]);
    writer.stop();
}
