//! `modelwatch alerts export`'s rules file passes `promtool check rules`. Outside CI a
//! missing promtool skips with a printed reason; under `CI=true` it fails.

mod common;

use common::promtool_check_rules;
use modelwatch_server::alerts::export::prometheus_rules;
use modelwatch_server::config::ServerConfig;

const CONFIG: &str = r#"
[alerts]
[[alerts.rules]]
name = "PetalDrift"
project = "iris"
metric = "drift_score"
column = "petal_length"
operator = "<"
threshold = 0.05
for = "10m"
keep_firing_for = "5m"
severity = "critical"
labels = { team = "ml" }
annotations = { summary = "{{project}}: {{column}} drifts (p = {{value}})", runbook_url = "https://runbooks/drift" }
[[alerts.rules]]
name = "SlowModel"
metric = "model_latency_p95"
threshold = 0.5
window = "10m"
[[alerts.rules]]
name = "ModelErrors"
metric = "model_error_rate"
threshold = 0.05
[[alerts.rules]]
name = "Rejects"
metric = "ingest_rejected_rate"
threshold = 0.1
[[alerts.rules]]
name = "Accuracy"
metric = "quality.accuracy"
operator = "<"
threshold = 0.8
[[alerts.rules]]
name = "RareClass"
metric = "class_share"
column = "setosa"
operator = "<"
threshold = 0.05
[[alerts.rules]]
name = "DatasetDrift"
project = "quiet"
metric = "dataset_drift"
threshold = 1
enabled = false
[[alerts.slos]]
project = "iris"
name = "availability"
kind = "availability"
objective = 0.999
[[alerts.slos]]
project = "iris"
name = "latency"
kind = "latency"
objective = 0.99
latency_bound = 0.25
"#;

#[test]
fn promtool_accepts_the_exported_rules() {
    let config: ServerConfig = toml::from_str(CONFIG).unwrap();
    config.validate().unwrap();
    let (yaml, warnings) = prometheus_rules(&config.alerts);
    assert!(warnings.is_empty(), "{warnings:?}");
    // 3 defaults and 6 config rules (the switched-off one is left out), 6 recorded ratios
    // and a budget per SLO, 3 burn-rate alerts per SLO: 29.
    for needle in [
        "alert: \"DatasetDrift\"",
        "unless on(project) label_replace(vector(1), \\\"project\\\", \\\"quiet\\\"",
        "alert: \"NoData\"",
        "record: modelwatch:slo_errors:ratio_rate1h",
        "modelwatch:slo_errors:ratio_rate1h{project=\\\"iris\\\",slo=\\\"availability\\\"} > (14.4 * 0.0010000000000000009)",
        "keep_firing_for: 5m",
        "modelwatch_model_quality{metric=\\\"accuracy\\\"}",
        "modelwatch_prediction_class_share{class=\\\"setosa\\\"}",
        // Every exported alert says why it fires, as the server's own alerts do.
        "condition: \"missing_share_excess is {{ $value | printf \\\"%.4g\\\" }}; fires when > 0.01\"",
        "(fires above 0.01)",
    ] {
        assert!(yaml.contains(needle), "{needle} not in\n{yaml}");
    }
    assert_eq!(yaml.matches("alert: ErrorBudgetBurn").count(), 6, "{yaml}");

    let Some(text) = promtool_check_rules(&yaml) else {
        return;
    };
    assert!(text.contains("SUCCESS: 29 rules found"), "{text}");
}
