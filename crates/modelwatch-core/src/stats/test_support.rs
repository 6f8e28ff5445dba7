//! Test-only helpers shared by the statistics' unit tests: reading the scipy fixtures and
//! comparing numbers with the project's parity tolerance.

use serde_json::Value;

/// The cases of `tests/fixtures/stats/numeric_a.json` (written by
/// `scripts/fixtures/stats_numeric_a.py`).
pub fn numeric_a_cases() -> Vec<Value> {
    let doc: Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/stats/numeric_a.json"
    ))
    .expect("fixture parses");
    doc["cases"].as_array().expect("cases array").clone()
}

/// A JSON array of numbers, sorted ascending (the statistics take sorted samples).
pub fn sorted(v: &Value) -> Vec<f64> {
    let mut out: Vec<f64> = v
        .as_array()
        .expect("sample array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// Asserts `got` is within 1e-9 absolute plus 1e-6 relative of `want`.
pub fn assert_close(name: &str, what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 + 1e-6 * want.abs(),
        "{name}: {what} = {got:e}, expected {want:e}"
    );
}

/// Samples at the edges of the finite `f64` range, for tests that only ask "no panic".
pub fn extreme_samples() -> Vec<Vec<f64>> {
    let extreme = vec![
        -f64::MAX,
        -1e300,
        -1.0,
        0.0,
        5e-324,
        1e-300,
        1.0,
        1e300,
        f64::MAX,
    ];
    vec![
        extreme.clone(),
        extreme[..5].to_vec(),
        vec![f64::MAX; 6],
        vec![-f64::MAX, -f64::MAX, 0.0, 0.0, f64::MAX, f64::MAX],
        vec![
            1.0,
            1.0 + f64::EPSILON,
            1.0 + 2.0 * f64::EPSILON,
            2.0,
            2.0,
            3.0,
        ],
    ]
}
