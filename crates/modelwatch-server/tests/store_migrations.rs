//! A store written before schema versions existed (tests/fixtures/store/unversioned, made
//! by scripts/gen_store_fixture.py with that build's `modelwatch serve`) opens with the
//! current code, is migrated to the current version, and holds everything it held: read
//! through the store's traits, and answered by the API exactly as the old server answered.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{get, TestServer};
use modelwatch_server::config::ServerConfig;
use modelwatch_server::store::sqlite::migrations::LATEST;
use modelwatch_server::store::sqlite::{Durability, SqliteStore};
use modelwatch_server::store::{ServingCounts, Store, WindowQuery};
use modelwatch_server::AppState;
use serde_json::{json, Value};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/store/unversioned")
}

fn expected() -> Value {
    serde_json::from_slice(&std::fs::read(fixture().join("expected.json")).unwrap()).unwrap()
}

/// The `PRAGMA user_version` of a database file: SQLite keeps it big-endian at byte 60 of
/// the file header.
fn user_version_in_file(path: &Path) -> u32 {
    let bytes = std::fs::read(path).unwrap();
    u32::from_be_bytes(bytes[60..64].try_into().unwrap())
}

/// A copy of the fixture in a new folder, as `modelwatch.db` (the committed file is never
/// opened for writing).
fn copy_of_fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("modelwatch.db");
    std::fs::copy(fixture().join("store.db"), &db).unwrap();
    (dir, db)
}

/// Floats written as text by the script (its `exact` section), read back exactly.
fn exact_floats(texts: &Value) -> Vec<f64> {
    texts
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().parse().unwrap())
        .collect()
}

const DAY_US: i64 = 86_400_000_000;

#[test]
fn an_unversioned_store_is_migrated_with_nothing_lost() {
    let expected = expected();
    let (_dir, db) = copy_of_fixture();
    assert_eq!(user_version_in_file(&db), 0);
    assert_eq!(expected["stored"]["user_version"], 0);

    let store = SqliteStore::open(&db, Durability::Normal).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST);

    // Projects: the configured one with its reference, the one created through the API.
    let projects = store.list_projects().unwrap();
    let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["batch \"b\"", "iris"]);
    assert_eq!(json!(names), expected["projects"]);
    let iris = store.get_project("iris").unwrap().unwrap();
    let (reference, format) = iris.reference.clone().unwrap();
    assert_eq!(format, "csv");
    assert_eq!(
        reference,
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/iris/reference.csv")
        )
        .unwrap()
    );
    let config: Value = serde_json::from_str(&iris.config_json).unwrap();
    assert_eq!(config["columns"]["target"], "species");
    assert_eq!(config["schedule"]["window"], "3650d");
    assert!(store
        .get_project("batch \"b\"")
        .unwrap()
        .unwrap()
        .reference
        .is_none());

    // Events with their values, times and late labels.
    assert_eq!(store.count_events("iris").unwrap(), 200);
    assert_eq!(store.count_events("batch \"b\"").unwrap(), 0);
    let all = WindowQuery::Range {
        from_us: 0,
        to_us: i64::MAX,
    };
    let events = store.events("iris", all).unwrap();
    assert_eq!(events.len(), 200);
    // 2024-05-01T08:02:27Z and 2024-05-01T21:15:22Z, the first and last of
    // examples/iris/current.csv.
    assert_eq!(events[0].ts_us, 1_714_550_547_000_000);
    assert_eq!(events[199].ts_us, 1_714_598_122_000_000);
    for (event, sent) in [
        (&events[0], &expected["first_event"]),
        (&events[199], &expected["last_event"]),
    ] {
        assert_eq!(event.event_id.as_deref(), sent["id"].as_str());
        let values: Value = serde_json::from_str(&event.values_json).unwrap();
        for column in [
            "sepal_length",
            "sepal_width",
            "petal_length",
            "petal_width",
            "prediction",
        ] {
            assert_eq!(values[column], sent[column], "{column}");
        }
    }
    let first: Value = serde_json::from_str(&events[0].values_json).unwrap();
    assert_eq!(first["petal_length"], 6.1);
    assert_eq!(first["prediction"], "virginica");
    let labelled: Vec<_> = events.iter().filter(|e| e.label_json.is_some()).collect();
    assert_eq!(labelled.len(), 60);
    assert_eq!(expected["labels_joined"], 60);
    for label in expected["labels"].as_array().unwrap() {
        let event = events
            .iter()
            .find(|e| e.event_id.as_deref() == label["id"].as_str())
            .unwrap();
        let stored: Value = serde_json::from_str(event.label_json.as_deref().unwrap()).unwrap();
        assert_eq!(stored, label["target"], "{}", label["id"]);
    }
    assert_eq!(
        labelled
            .iter()
            .filter(|e| e.label_json.as_deref() == Some("\"setosa\""))
            .count(),
        expected["labels"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["target"] == "setosa")
            .count()
    );

    // Snapshots, their metrics and series.
    let snapshots = store.list_snapshots("iris", 0, i64::MAX, 10).unwrap();
    assert_eq!(
        snapshots.iter().map(|s| (s.id, s.rows)).collect::<Vec<_>>(),
        [(2, 200), (1, 200)]
    );
    for s in &snapshots {
        assert_eq!(s.window_to_us - s.window_from_us, 3650 * DAY_US);
        let results: Value =
            serde_json::from_str(&store.snapshot_results("iris", s.id).unwrap().unwrap()).unwrap();
        assert!(results.is_object());
    }
    let (latest, metrics) = store.latest_snapshot("iris").unwrap().unwrap();
    assert_eq!(latest.id, 2);
    assert_eq!(metrics.len(), 25);
    assert_eq!(
        expected["stored"]["snapshot_metrics"],
        json!({"1": 25, "2": 25})
    );
    let rows = metrics.iter().find(|m| m.metric == "rows").unwrap();
    assert_eq!(rows.value, 200.0);
    let drifted = metrics
        .iter()
        .find(|m| m.metric == "drifted_share")
        .unwrap();
    assert_eq!(drifted.value, 0.6);
    let every = store.all_series("iris", 0, i64::MAX).unwrap();
    assert_eq!(every.len(), 25);
    for (key, values) in expected["exact"]["series"].as_object().unwrap() {
        let (metric, column) = key.split_once('|').unwrap();
        let series = store.series("iris", metric, column, 0, i64::MAX).unwrap();
        let got: Vec<f64> = series.iter().map(|p| p.value).collect();
        assert_eq!(got, exact_floats(values), "{key}");
        assert_eq!(every[&(metric.to_string(), column.to_string())], series);
    }

    // The alert tables.
    let alerts = store.alerts();
    let rules: Vec<Value> = alerts
        .rules()
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect();
    let mut api_rules = expected["api_rules"].as_array().unwrap().clone();
    for r in &mut api_rules {
        r.as_object_mut().unwrap().remove("source");
    }
    assert_eq!(rules, api_rules);
    assert_eq!(rules[0]["name"], "ManyRows");
    assert_eq!(rules[1]["threshold"], 0.05);

    let silences = alerts.silences(0).unwrap();
    assert_eq!(silences.len(), 2);
    assert_eq!(expected["stored"]["silences"], 2);
    let ended = &silences[0];
    assert_eq!(ended.id, 2);
    assert_eq!(ended.comment, "ended at once");
    assert!(ended.ends_us < ended.starts_us + 3_600_000_000);
    let kept = &silences[1];
    let sent = &expected["silence_kept"];
    assert_eq!(kept.id, 1);
    assert_eq!(json!(kept.matchers), sent["matchers"]);
    assert_eq!(kept.created_by, "fixture");
    assert_eq!(kept.comment, "retraining");
    assert_eq!(kept.ends_us - kept.starts_us, 3650 * DAY_US);

    let history = alerts.history(None, None, 1000).unwrap();
    assert_eq!(history.len(), 6);
    let sent = expected["transitions"].as_array().unwrap();
    assert_eq!(history.len(), sent.len());
    for (t, s) in history.iter().zip(sent) {
        assert_eq!(t.id, s["id"].as_i64().unwrap());
        assert_eq!(t.alertname, s["alertname"].as_str().unwrap());
        assert_eq!(t.project, s["project"].as_str().unwrap());
        assert_eq!(t.fingerprint, s["fingerprint"].as_str().unwrap());
        assert_eq!(
            (t.from.as_str(), t.to.as_str()),
            (s["from"].as_str().unwrap(), s["to"].as_str().unwrap())
        );
        assert_eq!(t.value.is_some(), s["value"].is_number());
        assert_eq!(t.labels, s["labels"]);
        assert_eq!(t.annotations, s["annotations"]);
    }
    let values: Vec<f64> = history.iter().filter_map(|t| t.value).collect();
    assert_eq!(
        values,
        exact_floats(&expected["exact"]["transition_values"])
    );
    let pending: Vec<_> = history.iter().filter(|t| t.to == "pending").collect();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].alertname, "ModelErrors");
    assert_eq!(pending[0].value, Some(0.07));

    let active: Vec<Value> = alerts
        .active()
        .unwrap()
        .iter()
        .map(|a| serde_json::from_str(a).unwrap())
        .collect();
    assert_eq!(active.len(), 6);
    let mut names: Vec<&str> = active
        .iter()
        .map(|a| a["alertname"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "DatasetDrift",
            "ErrorBudgetBurn",
            "ErrorBudgetBurn",
            "ManyRows",
            "MissingShareAboveReference",
            "ModelErrors"
        ]
    );

    let outbox = alerts.due(i64::MAX, 50).unwrap();
    assert_eq!(
        outbox
            .iter()
            .map(|o| (o.receiver.as_str(), o.attempts))
            .collect::<Vec<_>>(),
        [("oncall", 1)]
    );
    assert_eq!(
        expected["stored"]["outbox"],
        json!([{"receiver": "oncall", "attempts": 1}])
    );
    let body: Value = serde_json::from_str(&outbox[0].body).unwrap();
    assert_eq!(body["version"], "4");

    let serving = alerts.serving_since("iris", 0).unwrap();
    assert_eq!(
        serving,
        ServingCounts {
            requests: 200,
            errors: 14,
            latency: [18, 0, 18, 17, 17, 18, 17, 17, 18, 17, 17, 18],
        }
    );
    let sent = &expected["serving"];
    assert_eq!(sent["requests"], serving.requests);
    assert_eq!(sent["errors"], serving.errors);
    assert_eq!(sent["latency"], json!(serving.latency));

    // The migrated file takes new rows, and opens again at the same version.
    store
        .insert_events(&[modelwatch_server::store::EventBatch {
            project: "iris".into(),
            events: vec![modelwatch_server::store::NewEvent {
                ts_us: 1_714_600_000_000_000,
                event_id: Some("new".into()),
                values_json: "{\"petal_length\": 1.4}".into(),
                latency_seconds: Some(0.1),
                status: Some(200),
                error: None,
                thumbnails: Vec::new(),
            }],
        }])
        .unwrap();
    drop(alerts);
    drop(store);
    let store = SqliteStore::open(&db, Durability::Normal).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST);
    assert_eq!(store.count_events("iris").unwrap(), 201);
    assert_eq!(store.alerts().history(None, None, 1000).unwrap().len(), 6);
}

/// The server started on the migrated file restores what it restores from any store
/// (API rules, active alerts, projects, latest snapshots) and answers the API as the
/// old server did. Evaluation is off, so nothing moves while it is read.
#[test]
fn the_server_on_a_migrated_store_answers_as_the_old_one_did() {
    let expected = expected();
    let (dir, db) = copy_of_fixture();
    let mut config = ServerConfig {
        db: db.clone(),
        ..ServerConfig::default()
    };
    config.alerts.enabled = false;
    {
        let store = SqliteStore::open(&db, config.durability).unwrap();
        let state = AppState::open(Arc::new(store), config.clone()).unwrap();
        assert_eq!(state.alerts.api_rules().len(), 2);
        assert_eq!(state.alerts.active().len(), 6);
        assert_eq!(state.latest()["iris"].meta.id, 2);
        assert_eq!(state.latest()["iris"].metrics.len(), 25);
        state.writer.stop();
    }
    let server = TestServer::start_in(dir, config);
    let answer = |path: &str| {
        let a = get(&server.url(path));
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        a.json()
    };
    let since = "from=2000-01-01T00:00:00Z";
    assert_eq!(
        answer("/api/v1/alerts/history?limit=1000")["transitions"],
        expected["transitions"]
    );
    assert_eq!(
        answer(&format!("/api/v1/projects/iris/snapshots?{since}"))["snapshots"],
        expected["snapshots"]
    );
    for (key, values) in expected["series"].as_object().unwrap() {
        let (metric, column) = key.split_once('|').unwrap();
        let s = answer(&format!(
            "/api/v1/projects/iris/series?metric={metric}&column={column}&{since}"
        ));
        let got: Vec<Value> = s["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[1].clone())
            .collect();
        assert_eq!(&json!(got), values, "{key}");
    }
    let rules = answer("/api/v1/alerts/rules");
    let api: Vec<&Value> = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "api")
        .collect();
    assert_eq!(json!(api), expected["api_rules"]);
    assert_eq!(
        answer("/api/v1/alerts/silences")["silences"],
        expected["silences_active"]
    );
    assert_eq!(
        answer("/api/v1/alerts")["alerts"],
        expected["active_alerts"]
    );
    let iris = answer("/api/v1/projects/iris");
    assert_eq!(iris["events"], 200);
}
