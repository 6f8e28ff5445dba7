//! The cases of `tests/fixtures/embeddings/cases.json` (written by
//! `scripts/gen_embedding_fixtures.py` from Evidently 0.7.23).

use serde_json::Value;

/// One fixture case: the vectors and Evidently's results.
pub struct Case {
    pub name: String,
    pub dim: usize,
    pub reference: Vec<f64>,
    pub current: Vec<f64>,
    pub expected: Value,
}

impl Case {
    /// Evidently's `(score, drift)` for the result named `key`, if the case has it.
    pub fn result(&self, key: &str) -> Option<(f64, bool)> {
        let r = self.expected.get(key)?;
        Some((r["score"].as_f64()?, r["drift"].as_bool()?))
    }
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// Every case of the fixture.
pub fn cases() -> Vec<Case> {
    let doc: Value = serde_json::from_str(include_str!(
        "../../../../../tests/fixtures/embeddings/cases.json"
    ))
    .expect("fixture parses");
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().expect("name").to_string(),
            dim: c["dim"].as_u64().expect("dim") as usize,
            reference: numbers(&c["reference"]),
            current: numbers(&c["current"]),
            expected: c["expected"].clone(),
        })
        .collect()
}

/// Asserts `got` is within 1e-9 absolute plus 1e-7 relative of `want`.
pub fn assert_close(case: &str, what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 + 1e-7 * want.abs(),
        "{case}: {what} = {got:e}, Evidently {want:e}"
    );
}
