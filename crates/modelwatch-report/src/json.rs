//! JSON form of the results (the schema in `docs/json.md`).

use modelwatch_core::results::Results;

/// Pretty-printed JSON of the results, ending with a newline.
///
/// Scores are finite by construction (a NaN score is recorded as an error instead), so the
/// output is always valid JSON.
pub fn to_json(results: &Results) -> String {
    let mut s = serde_json::to_string_pretty(results).expect("results serialize to JSON");
    s.push('\n');
    s
}
