//! Presets of derived conditions: tests generated from the results the way Evidently 0.7's
//! legacy test presets derive their default conditions.

use serde_json::Value;

use super::condition::{Condition, Literal, Operator};
use super::metrics::{self, Metric};
use super::suite::Check;

/// A named preset.
pub struct Preset {
    pub name: &'static str,
    /// The report sections its checks read.
    pub sections: &'static [&'static str],
    /// Builds the checks for these results.
    pub derive: fn(&Value) -> Vec<Check>,
}

/// Every preset a suite may name.
pub static PRESETS: &[Preset] = &[Preset {
    name: "data_drift",
    sections: &["drift"],
    derive: data_drift,
}];

pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).collect()
}

fn known(name: &str) -> &'static Metric {
    metrics::metric(name).expect("presets name metrics of the table")
}

/// Evidently's `DataDriftTestPreset`: the share of drifted columns is below 0.3
/// (`TestShareOfDriftedColumns(lt=0.3)`), and the target and the prediction do not drift
/// (`TestColumnDrift`). Evidently also fails on every drifted feature
/// (`TestAllFeaturesValueDrift`); here those are warnings, so that the gate is the share
/// and a single drifted feature is reported without failing the run.
fn data_drift(results: &Value) -> Vec<Check> {
    let mut checks = vec![Check::new(
        known("drifted_share"),
        None,
        Condition::literal(Operator::Lt, Literal::Number(0.3)),
        true,
    )];
    let columns = results
        .pointer("/drift/columns")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let not_drifted = || Condition::literal(Operator::Eq, Literal::Bool(false));
    for role in ["target", "prediction"] {
        for c in columns {
            if c.get("role").and_then(Value::as_str) == Some(role) {
                if let Some(name) = c.get("column").and_then(Value::as_str) {
                    let mut check = Check::new(
                        known("column.drifted"),
                        Some(name.to_string()),
                        not_drifted(),
                        true,
                    );
                    check.name = format!("No drift in the {role} `{name}`");
                    checks.push(check);
                }
            }
        }
    }
    for c in columns {
        if c.get("role").and_then(Value::as_str) == Some("feature") {
            if let Some(name) = c.get("column").and_then(Value::as_str) {
                let mut check = Check::new(
                    known("column.drifted"),
                    Some(name.to_string()),
                    not_drifted(),
                    false,
                );
                check.name = format!("No drift in `{name}`");
                checks.push(check);
            }
        }
    }
    checks
}
