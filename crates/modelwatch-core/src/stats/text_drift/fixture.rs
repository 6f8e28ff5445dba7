//! The cases of `tests/fixtures/text_drift/cases.json` (written by
//! `scripts/gen_evidently_text_drift_fixtures.py` from Evidently 0.7.23).

use serde_json::Value;

/// One fixture case: the texts and Evidently's results.
pub struct Case {
    pub name: String,
    pub reference: Vec<String>,
    pub current: Vec<String>,
    pub expected: Value,
}

impl Case {
    /// Evidently's `(score, drift)` of the result named `key`.
    pub fn result(&self, key: &str) -> (f64, bool) {
        let r = &self.expected[key];
        (
            r["score"].as_f64().expect("score"),
            r["drift"].as_bool().expect("drift"),
        )
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_str().expect("text").to_string())
        .collect()
}

/// Every case of the fixture.
pub fn cases() -> Vec<Case> {
    let doc: Value = serde_json::from_str(include_str!(
        "../../../../../tests/fixtures/text_drift/cases.json"
    ))
    .expect("fixture parses");
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().expect("name").to_string(),
            reference: strings(&c["reference"]),
            current: strings(&c["current"]),
            expected: c["expected"].clone(),
        })
        .collect()
}
