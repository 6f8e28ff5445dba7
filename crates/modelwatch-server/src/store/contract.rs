//! The behaviour every back end of [`Store`] and [`AlertStore`] owes, as test bodies
//! over `&dyn Store`: the SQLite and the PostgreSQL stores run the same ones
//! ([`contract_tests!`] makes a `#[test]` of each for a back end).

use super::{
    EventBatch, NewEvent, ProjectRecord, ServingCounts, SilenceRecord, SnapshotMeta,
    SnapshotMetric, Store, ThumbnailChange, TransitionRecord, WindowQuery,
};

/// A store for one test and what must live as long as it (a temporary folder, a test
/// database); the store is dropped first.
pub(crate) struct Harness {
    /// The store under test.
    pub store: Box<dyn Store>,
    _keep: Box<dyn std::any::Any>,
}

impl Harness {
    /// `store`, keeping `keep` alive until after it is dropped.
    pub fn new(store: impl Store, keep: impl std::any::Any) -> Self {
        Self {
            store: Box::new(store),
            _keep: Box::new(keep),
        }
    }
}

/// One `#[test]` per contract test, each over a store from `$open` (an expression giving
/// `Option<Harness>`; `None` skips, as when no PostgreSQL is at hand).
macro_rules! contract_tests {
    ($open:expr) => {
        crate::store::contract::contract_tests!(@each $open;
            events_round_trip_with_windows_and_labels,
            large_windows_are_thinned_evenly,
            thinning_is_even_with_interleaved_projects,
            thumbnails_are_stored_with_their_events_and_go_with_them,
            saving_a_project_without_thumbnails_deletes_all_of_its_thumbnails,
            snapshots_series_and_project_delete,
            projects_keep_their_creation_and_list_in_byte_order,
            equal_times_keep_arrival_order_and_absent_values_stay_absent,
            every_alert_table_round_trips,
        );
    };
    (@each $open:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let harness: Option<crate::store::contract::Harness> = $open;
                if let Some(h) = harness {
                    crate::store::contract::$name(h.store.as_ref());
                }
            }
        )*
    };
}
pub(crate) use contract_tests;

fn event(ts: i64, id: &str, v: f64) -> NewEvent {
    NewEvent {
        ts_us: ts,
        event_id: Some(id.to_string()),
        values_json: format!("{{\"x\":{v}}}"),
        latency_seconds: None,
        status: None,
        error: None,
        thumbnails: Vec::new(),
    }
}

pub(crate) fn events_round_trip_with_windows_and_labels(s: &dyn Store) {
    let name = "we\"ird\n<name>/ü";
    s.insert_events(&[EventBatch {
        project: name.to_string(),
        events: (0..10)
            .map(|i| event(i * 1000, &format!("e{i}"), i as f64))
            .collect(),
    }])
    .unwrap();
    assert_eq!(s.count_events(name).unwrap(), 10);
    let last = s.events(name, WindowQuery::Last(3)).unwrap();
    assert_eq!(
        last.iter().map(|e| e.ts_us).collect::<Vec<_>>(),
        vec![7000, 8000, 9000]
    );
    let range = s
        .events(
            name,
            WindowQuery::Range {
                from_us: 2000,
                to_us: 5000,
            },
        )
        .unwrap();
    assert_eq!(range.len(), 3);
    let found = s
        .attach_labels(
            name,
            &[("e2".into(), "1".into()), ("nope".into(), "0".into())],
        )
        .unwrap();
    assert_eq!(found, vec![1, 0]);
    let range = s
        .events(
            name,
            WindowQuery::Range {
                from_us: 2000,
                to_us: 3000,
            },
        )
        .unwrap();
    assert_eq!(range[0].label_json.as_deref(), Some("1"));
    assert_eq!(s.prune(5000, 0).unwrap(), (5, 0));
    assert_eq!(s.count_events(name).unwrap(), 5);
}

pub(crate) fn large_windows_are_thinned_evenly(s: &dyn Store) {
    s.insert_events(&[EventBatch {
        project: "p".into(),
        events: (0..1000)
            .map(|i| event(i * 10, &format!("e{i}"), i as f64))
            .collect(),
    }])
    .unwrap();
    let (all, total) = s.sample_events("p", WindowQuery::Last(100), 1000).unwrap();
    assert_eq!((all.len(), total), (100, 100));
    assert_eq!(all.last().unwrap().ts_us, 9990);
    let (some, total) = s
        .sample_events(
            "p",
            WindowQuery::Range {
                from_us: 0,
                to_us: 10_000,
            },
            300,
        )
        .unwrap();
    assert_eq!(total, 1000);
    // Every 4th event: 250 of 1000, spread over the whole window, oldest first.
    assert_eq!(some.len(), 250);
    assert!(some.first().unwrap().ts_us < 100 && some.last().unwrap().ts_us > 9900);
    assert!(some.windows(2).all(|w| w[0].ts_us < w[1].ts_us));
    let (last, total) = s.sample_events("p", WindowQuery::Last(500), 100).unwrap();
    assert_eq!(total, 500);
    assert_eq!(last.len(), 100);
    assert!(last.first().unwrap().ts_us >= 5000);
}

/// Two projects ingesting one event each in turn: each one's thinned window still
/// holds every k-th of its own events (thinning by the table-wide row id would keep all
/// of one project's rows and none of the other's whenever the stride is even).
pub(crate) fn thinning_is_even_with_interleaved_projects(s: &dyn Store) {
    for i in 0..400 {
        for p in ["a", "b"] {
            s.insert_events(&[EventBatch {
                project: p.into(),
                events: vec![event(i * 10, &format!("{p}{i}"), i as f64)],
            }])
            .unwrap();
        }
    }
    for p in ["a", "b"] {
        let range = WindowQuery::Range {
            from_us: 0,
            to_us: 4000,
        };
        let (rows, total) = s.sample_events(p, range, 100).unwrap();
        assert_eq!(total, 400, "{p}");
        assert_eq!(rows.len(), 100, "{p}");
        assert!(
            rows.windows(2).all(|w| w[1].ts_us - w[0].ts_us == 40),
            "{p}"
        );
        let (rows, total) = s.sample_events(p, WindowQuery::Last(300), 100).unwrap();
        assert_eq!((rows.len(), total), (100, 300), "{p}");
    }
}

pub(crate) fn thumbnails_are_stored_with_their_events_and_go_with_them(s: &dyn Store) {
    let with_thumb = |ts: i64, jpeg: &[u8]| NewEvent {
        thumbnails: vec![crate::store::Thumbnail {
            column: "photo".into(),
            jpeg: jpeg.to_vec(),
        }],
        ..event(ts, "e", 1.0)
    };
    let batch = |p: &str, events| EventBatch {
        project: p.into(),
        events,
    };
    s.insert_events(&[
        batch(
            "p",
            vec![
                with_thumb(10, b"old"),
                event(20, "f", 2.0),
                with_thumb(30, b"new"),
            ],
        ),
        batch("q", vec![with_thumb(30, b"other")]),
    ])
    .unwrap();
    let seqs: Vec<i64> = s
        .events("p", WindowQuery::Last(10))
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    let mut got = s.event_thumbnails("p", &seqs).unwrap();
    got.sort();
    assert_eq!(
        got,
        [
            (seqs[0], "photo".to_string(), b"old".to_vec()),
            (seqs[2], "photo".to_string(), b"new".to_vec())
        ]
    );
    // Another project's seq gives nothing.
    let q_seq = s.events("q", WindowQuery::Last(1)).unwrap()[0].seq;
    assert!(s.event_thumbnails("p", &[q_seq]).unwrap().is_empty());
    // Retention deletes the thumbnails of the events it deletes.
    s.prune(15, 0).unwrap();
    assert!(s.event_thumbnails("p", &seqs[..1]).unwrap().is_empty());
    assert_eq!(s.event_thumbnails("p", &seqs).unwrap().len(), 1);

    // Reference thumbnails are written with their project, replaced whole, kept when
    // the project is saved without a change to them, and deleted with it.
    let record = ProjectRecord {
        name: "p".into(),
        config_json: "{}".into(),
        reference: None,
        created_us: 1,
        updated_us: 1,
    };
    let t = |row: usize| ("photo".to_string(), row, vec![row as u8]);
    let replace = |list: Vec<(String, usize, Vec<u8>)>| {
        s.put_project(&record, &ThumbnailChange::ReplaceReference(list))
            .unwrap()
    };
    replace(vec![t(0), t(1), t(2)]);
    replace(vec![t(1), t(2)]);
    s.put_project(&record, &ThumbnailChange::Keep).unwrap();
    let mut refs = s.reference_thumbnails("p", "photo", &[0, 2, 9]).unwrap();
    refs.sort();
    assert_eq!(refs, [(2, vec![2])]);
    s.delete_project("p").unwrap();
    assert!(s
        .reference_thumbnails("p", "photo", &[1, 2])
        .unwrap()
        .is_empty());
    assert!(s.event_thumbnails("p", &seqs).unwrap().is_empty());
    assert_eq!(
        s.event_thumbnails("q", &[q_seq]).unwrap().len(),
        1,
        "project q's thumbnail stays"
    );
}

pub(crate) fn saving_a_project_without_thumbnails_deletes_all_of_its_thumbnails(s: &dyn Store) {
    let with_thumb = |ts: i64| NewEvent {
        thumbnails: vec![crate::store::Thumbnail {
            column: "photo".into(),
            jpeg: vec![1, 2],
        }],
        ..event(ts, "e", 1.0)
    };
    for project in ["p", "q"] {
        s.insert_events(&[EventBatch {
            project: project.into(),
            events: vec![with_thumb(10), with_thumb(20)],
        }])
        .unwrap();
        let record = ProjectRecord {
            name: project.into(),
            config_json: "{}".into(),
            reference: None,
            created_us: 1,
            updated_us: 1,
        };
        let refs = vec![("photo".to_string(), 0, vec![9])];
        s.put_project(&record, &ThumbnailChange::ReplaceReference(refs))
            .unwrap();
    }
    let seqs = |project: &str| -> Vec<i64> {
        s.events(project, WindowQuery::Last(10))
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect()
    };
    let record = s.get_project("p").unwrap().unwrap();
    s.put_project(&record, &ThumbnailChange::DeleteAll).unwrap();
    assert!(s.event_thumbnails("p", &seqs("p")).unwrap().is_empty());
    assert!(s
        .reference_thumbnails("p", "photo", &[0])
        .unwrap()
        .is_empty());
    // The events stay; project q keeps its thumbnails.
    assert_eq!(seqs("p").len(), 2);
    assert_eq!(s.event_thumbnails("q", &seqs("q")).unwrap().len(), 2);
    assert_eq!(s.reference_thumbnails("q", "photo", &[0]).unwrap().len(), 1);
}

pub(crate) fn snapshots_series_and_project_delete(s: &dyn Store) {
    s.put_project(
        &ProjectRecord {
            name: "p".into(),
            config_json: "{}".into(),
            reference: Some((b"a\n1\n".to_vec(), "csv".into())),
            created_us: 1,
            updated_us: 1,
        },
        &ThumbnailChange::Keep,
    )
    .unwrap();
    for i in 0..3 {
        let meta = SnapshotMeta {
            id: 0,
            taken_us: 100 * i,
            window_from_us: 0,
            window_to_us: 100 * i,
            rows: 5,
        };
        let m = [SnapshotMetric {
            metric: "drift_score".into(),
            column: "a".into(),
            value: i as f64 / 10.0,
        }];
        s.put_snapshot("p", &meta, "{}", &m).unwrap();
    }
    let all = s.all_series("p", 0, 1000).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[&("drift_score".to_string(), "a".to_string())],
        s.series("p", "drift_score", "a", 0, 1000).unwrap()
    );
    let series = s.series("p", "drift_score", "a", 0, 1000).unwrap();
    assert_eq!(
        series.iter().map(|p| p.value).collect::<Vec<_>>(),
        vec![0.0, 0.1, 0.2]
    );
    let (latest, metrics) = s.latest_snapshot("p").unwrap().unwrap();
    assert_eq!(latest.taken_us, 200);
    assert_eq!(metrics[0].value, 0.2);
    assert_eq!(s.list_snapshots("p", 0, 1000, 2).unwrap().len(), 2);
    assert!(s.delete_project("p").unwrap());
    assert!(s.latest_snapshot("p").unwrap().is_none());
    assert!(s.get_project("p").unwrap().is_none());
    assert!(!s.delete_project("p").unwrap());
}

fn transition(ts_ms: i64, to: &str, value: Option<f64>) -> TransitionRecord {
    TransitionRecord {
        id: 0,
        ts_us: ts_ms * 1000,
        alertname: "A".into(),
        project: "p".into(),
        fingerprint: "f".into(),
        from: "inactive".into(),
        to: to.into(),
        value,
        labels: serde_json::json!({"alertname": "A"}),
        annotations: serde_json::json!({}),
    }
}

pub(crate) fn every_alert_table_round_trips(store: &dyn Store) {
    let a = store.alerts();

    a.put_rule("R", "", "{\"name\":\"R\"}").unwrap();
    a.put_rule("R", "", "{\"name\":\"R\",\"threshold\":2}")
        .unwrap();
    assert_eq!(a.rules().unwrap(), ["{\"name\":\"R\",\"threshold\":2}"]);
    assert!(a.delete_rule("R", "").unwrap());
    assert!(!a.delete_rule("R", "").unwrap());

    a.record(
        &[
            transition(1, "pending", Some(0.5)),
            transition(2, "firing", Some(f64::NAN)),
        ],
        &[("k1".into(), "one".into()), ("k2".into(), "two".into())],
        &[],
    )
    .unwrap();
    a.record(&[], &[], &["k1".into()]).unwrap();
    assert_eq!(a.active().unwrap(), ["two"]);
    let h = a.history(Some("p"), None, 10).unwrap();
    assert_eq!(
        h.iter()
            .map(|t| (t.id, t.to.as_str(), t.value))
            .collect::<Vec<_>>(),
        [(2, "firing", None), (1, "pending", Some(0.5))]
    );
    assert!(a.history(Some("q"), None, 10).unwrap().is_empty());

    let silence = SilenceRecord {
        id: 0,
        matchers: [("project".to_string(), "p".to_string())].into(),
        starts_us: 0,
        ends_us: 10_000,
        created_by: "me".into(),
        comment: "c".into(),
    };
    let id = a.put_silence(&silence).unwrap();
    assert_eq!(a.silences(0).unwrap(), [SilenceRecord { id, ..silence }]);
    assert!(a.expire_silence(id, 500).unwrap());
    assert!(!a.expire_silence(id + 1, 500).unwrap());
    assert_eq!(a.silences(0).unwrap()[0].ends_us, 500);
    assert!(a.silences(500).unwrap().is_empty());

    a.enqueue(
        &[("hook".into(), "b1".into()), ("hook".into(), "b2".into())],
        100,
    )
    .unwrap();
    let due = a.due(100, 10).unwrap();
    assert_eq!(
        due.iter().map(|o| o.body.as_str()).collect::<Vec<_>>(),
        ["b1", "b2"]
    );
    a.retry_later(due[0].id, 200, "refused").unwrap();
    a.delivered(due[1].id).unwrap();
    assert!(a.due(150, 10).unwrap().is_empty());
    let again = a.due(200, 10).unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 1));

    let mut n = ServingCounts {
        requests: 3,
        errors: 1,
        ..Default::default()
    };
    n.latency[2] = 2;
    a.add_serving(&[(("p".into(), 10), n), (("p".into(), 11), n)])
        .unwrap();
    a.add_serving(&[(("p".into(), 10), n)]).unwrap();
    let mut three = n;
    three.add(&n);
    three.add(&n);
    assert_eq!(a.serving_since("p", 0).unwrap(), three);
    assert_eq!(a.serving_since("p", 11).unwrap(), n);
    assert_eq!(a.serving_since("q", 0).unwrap(), ServingCounts::default());

    a.prune(11, 1500).unwrap();
    assert_eq!(a.serving_since("p", 0).unwrap(), n);
    assert_eq!(a.history(None, None, 10).unwrap().len(), 1);
    assert!(a.silences(0).unwrap().is_empty());
}

pub(crate) fn projects_keep_their_creation_and_list_in_byte_order(s: &dyn Store) {
    let record = |name: &str, at: i64| ProjectRecord {
        name: name.into(),
        config_json: format!("{{\"v\": {at}}}"),
        reference: None,
        created_us: at,
        updated_us: at,
    };
    for name in ["b", "B", "a", "\u{e9}", "A"] {
        s.put_project(&record(name, 1), &ThumbnailChange::Keep)
            .unwrap();
    }
    s.put_project(&record("a", 5), &ThumbnailChange::Keep)
        .unwrap();
    let names: Vec<String> = s
        .list_projects()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["A", "B", "a", "b", "\u{e9}"]);
    let a = s.get_project("a").unwrap().unwrap();
    assert_eq!((a.created_us, a.updated_us), (1, 5));
    // JSON is kept byte for byte (spaces and key order included).
    assert_eq!(a.config_json, "{\"v\": 5}");
    assert!(s.get_project("c").unwrap().is_none());
}

pub(crate) fn equal_times_keep_arrival_order_and_absent_values_stay_absent(s: &dyn Store) {
    let bare = |v: i64| NewEvent {
        ts_us: 50,
        event_id: None,
        values_json: format!("{{\"x\": {v}, \"b\": null}}"),
        latency_seconds: Some(0.25),
        status: Some(503),
        error: Some("boom".into()),
        thumbnails: Vec::new(),
    };
    s.insert_events(&[
        EventBatch {
            project: "p".into(),
            events: vec![bare(1), bare(2)],
        },
        EventBatch {
            project: "p".into(),
            events: vec![bare(3)],
        },
    ])
    .unwrap();
    s.insert_events(&[]).unwrap();
    let all = s.events("p", WindowQuery::Last(10)).unwrap();
    assert_eq!(
        all.iter()
            .map(|e| e.values_json.as_str())
            .collect::<Vec<_>>(),
        [
            "{\"x\": 1, \"b\": null}",
            "{\"x\": 2, \"b\": null}",
            "{\"x\": 3, \"b\": null}"
        ]
    );
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(all
        .iter()
        .all(|e| e.event_id.is_none() && e.label_json.is_none()));
    let last = s.events("p", WindowQuery::Last(1)).unwrap();
    assert_eq!(last[0].seq, all[2].seq);
    // An event without an id takes no label.
    assert_eq!(
        s.attach_labels("p", &[("".into(), "1".into())]).unwrap(),
        [0]
    );
    let (sampled, total) = s.sample_events("p", WindowQuery::Last(0), 10).unwrap();
    assert_eq!((sampled.len(), total), (0, 0));
    // Snapshots: another project's id gives nothing.
    let meta = SnapshotMeta {
        id: 99,
        taken_us: 10,
        window_from_us: 0,
        window_to_us: 10,
        rows: 3,
    };
    let id = s.put_snapshot("p", &meta, "{\"r\": 1}", &[]).unwrap();
    assert_eq!(
        s.snapshot_results("p", id).unwrap().as_deref(),
        Some("{\"r\": 1}")
    );
    assert!(s.snapshot_results("q", id).unwrap().is_none());
    let (latest, metrics) = s.latest_snapshot("p").unwrap().unwrap();
    assert_eq!((latest.id, latest.rows, metrics.len()), (id, 3, 0));
    assert_eq!(s.count_events("q").unwrap(), 0);
    assert_eq!(s.prune(0, 11).unwrap(), (0, 1));
    s.check_writable().unwrap();
}
