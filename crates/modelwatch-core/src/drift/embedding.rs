//! Drift of the declared embeddings: each embedding's member columns become one matrix of
//! vectors per dataset, and the embedding's method ([`crate::stats::embedding`]) compares
//! them.
//!
//! A row with any component missing, NaN or infinite is left out of its side and counted
//! (Evidently would fail on it: its methods take the frame as it is). An embedding that
//! cannot be scored (too few rows left, a dimension the method refuses) carries the reason
//! in `error`; the rest of the report still runs. Embeddings do not count in the share of
//! drifted columns: Evidently's dataset drift counts columns only, and one embedding of
//! 512 components is neither one column nor 512.

use serde::Serialize;

use crate::prepare::ResolvedEmbedding;
use crate::stats::embedding::{embedding_drift, EmbeddingMethod, Vectors};
use crate::table::{ColumnData, Table};

use super::settings::DriftSettings;

/// Why rows are left out of an embedding's test, as the report says it.
pub const LEFT_OUT_REASON: &str = "a component is missing, NaN or infinite";

/// The drift result of one embedding. An embedding that could not be tested has `score`
/// and `drifted` set to `None` and says why in `error`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbeddingDriftResult {
    /// The embedding's name.
    pub name: String,
    /// The member columns, in component order (left out of the per-column drift).
    pub columns: Vec<String>,
    /// Components per vector (the number of member columns).
    pub dimension: usize,
    /// Evidently's method name: `distance`, `ratio`, `mmd` or `model`; `None` when the
    /// embedding could not even be read.
    pub method: Option<String>,
    /// The principal components the vectors were projected on first, if any.
    pub pca_components: Option<usize>,
    /// The method's score (a distance, a share of components, an MMD² or a ROC AUC).
    pub score: Option<f64>,
    /// The value the score was compared with: the threshold, or the bootstrap quantile.
    pub threshold: Option<f64>,
    /// Whether the embedding drifted (`score > threshold`).
    pub drifted: Option<bool>,
    /// Rows of the reference dataset.
    pub reference_rows: usize,
    /// Rows of the current dataset.
    pub current_rows: usize,
    /// Reference rows the method compared.
    pub reference_rows_used: usize,
    /// Current rows the method compared.
    pub current_rows_used: usize,
    /// Reference rows left out (see `left_out_reason`).
    pub reference_left_out: usize,
    /// Current rows left out (see `left_out_reason`).
    pub current_left_out: usize,
    /// Why rows were left out ([`LEFT_OUT_REASON`]); `None` when none was.
    pub left_out_reason: Option<String>,
    /// Why the embedding has no score; `None` when tested.
    pub error: Option<String>,
}

impl EmbeddingDriftResult {
    /// The entry of an embedding that could not be read at all (a vector column whose rows
    /// have different lengths, say): no members, no method, `error` says why.
    pub fn unreadable(name: &str, error: String) -> Self {
        EmbeddingDriftResult {
            name: name.to_string(),
            columns: Vec::new(),
            dimension: 0,
            method: None,
            pca_components: None,
            score: None,
            threshold: None,
            drifted: None,
            reference_rows: 0,
            current_rows: 0,
            reference_rows_used: 0,
            current_rows_used: 0,
            reference_left_out: 0,
            current_left_out: 0,
            left_out_reason: None,
            error: Some(error),
        }
    }

    /// Whether the embedding was tested (has a score).
    pub fn tested(&self) -> bool {
        self.score.is_some()
    }
}

/// The vectors of `columns` in `table`, row-major, with rows holding a missing or
/// non-finite component left out; and how many rows were left out.
fn gather(table: &Table, columns: &[&str]) -> (Vec<f64>, usize) {
    let data: Vec<&ColumnData> = columns
        .iter()
        .map(|c| {
            &table
                .column(c)
                .expect("members are columns of both sides")
                .data
        })
        .collect();
    let rows = table.rows();
    let mut keep = vec![true; rows];
    for d in &data {
        match d {
            ColumnData::Float(v) => {
                for (k, x) in keep.iter_mut().zip(v) {
                    *k &= x.is_finite();
                }
            }
            ColumnData::Int(v) => {
                for (k, x) in keep.iter_mut().zip(v) {
                    *k &= x.is_some();
                }
            }
            // Checked numeric when the run was prepared.
            _ => keep.iter_mut().for_each(|k| *k = false),
        }
    }
    let kept = keep.iter().filter(|&&k| k).count();
    let dim = columns.len();
    let mut values = vec![0.0; kept * dim];
    for (j, d) in data.iter().enumerate() {
        let mut r = 0;
        for (row, &k) in keep.iter().enumerate() {
            if !k {
                continue;
            }
            values[r * dim + j] = match d {
                ColumnData::Float(v) => v[row],
                ColumnData::Int(v) => v[row].unwrap_or(0) as f64,
                _ => f64::NAN,
            };
            r += 1;
        }
    }
    (values, rows - kept)
}

/// Tests one embedding; every problem is recorded in the result, never raised. Callers run
/// [`DriftSettings::validate`] first (as [`crate::prepare::PreparedRun::new`] does).
pub fn embedding_column_drift(
    embedding: &ResolvedEmbedding<'_>,
    reference: &Table,
    current: &Table,
    settings: &DriftSettings,
) -> EmbeddingDriftResult {
    let dim = embedding.columns.len();
    let ((ref_values, ref_out), (cur_values, cur_out)) = rayon::join(
        || gather(reference, &embedding.columns),
        || gather(current, &embedding.columns),
    );
    let (ref_used, cur_used) = (ref_values.len() / dim, cur_values.len() / dim);
    let chosen = match settings.embedding_methods.get(embedding.name) {
        Some(s) => s.resolve(),
        None => Ok((EmbeddingMethod::default_for(ref_used), None)),
    };
    let mut out = EmbeddingDriftResult {
        name: embedding.name.to_string(),
        columns: embedding.columns.iter().map(|c| c.to_string()).collect(),
        dimension: dim,
        method: None,
        pca_components: None,
        score: None,
        threshold: None,
        drifted: None,
        reference_rows: reference.rows(),
        current_rows: current.rows(),
        reference_rows_used: ref_used,
        current_rows_used: cur_used,
        reference_left_out: ref_out,
        current_left_out: cur_out,
        left_out_reason: (ref_out + cur_out > 0).then(|| LEFT_OUT_REASON.to_string()),
        error: None,
    };
    let (method, pca) = match chosen {
        Ok(m) => m,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    out.method = Some(method.name().to_string());
    out.pca_components = pca;
    for (side, used, left) in [
        ("reference", ref_used, ref_out),
        ("current data", cur_used, cur_out),
    ] {
        if used == 0 {
            out.error = Some(if left > 0 {
                format!("every row of the {side} has a missing, NaN or infinite component")
            } else {
                format!("the {side} has no rows")
            });
            return out;
        }
    }
    let result = Vectors::new(&ref_values, dim).and_then(|r| {
        let c = Vectors::new(&cur_values, dim)?;
        embedding_drift(&r, &c, &method, pca)
    });
    match result {
        Ok(d) if d.score.is_nan() => {
            out.error = Some("the statistic is undefined (NaN) for this data".into())
        }
        Ok(d) => {
            out.score = Some(d.score);
            out.threshold = Some(d.threshold);
            out.drifted = Some(d.drifted);
        }
        Err(e) => out.error = Some(e.to_string()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::compute_drift;
    use crate::prepare::{PreparedRun, RunSettings};
    use crate::schema::{EmbeddingColumns, SchemaOverrides};
    use crate::stats::embedding::fixture::{assert_close, cases};
    use crate::table::Column;

    /// A table with the vectors as columns `emb_0..emb_{dim-1}` and a plain column `x`.
    fn table(values: &[f64], dim: usize) -> Table {
        let rows = values.len() / dim;
        let mut columns: Vec<Column> = (0..dim)
            .map(|j| {
                let v = (0..rows).map(|r| values[r * dim + j]).collect();
                Column::new(format!("emb_{j}"), ColumnData::Float(v))
            })
            .collect();
        columns.push(Column::new(
            "x",
            ColumnData::Float((0..rows).map(|r| r as f64).collect()),
        ));
        Table::new(columns).unwrap()
    }

    fn run(reference: &Table, current: &Table, method: Option<&str>) -> crate::drift::DriftReport {
        let schema = SchemaOverrides {
            embeddings: [("emb".to_string(), EmbeddingColumns::Prefix("emb_".into()))].into(),
            ..Default::default()
        };
        let mut drift = DriftSettings::default();
        if let Some(m) = method {
            let setting: crate::drift::EmbeddingMethodSetting =
                serde_json::from_value(serde_json::json!(m)).unwrap();
            drift.embedding_methods.insert("emb".into(), setting);
        }
        let prepared =
            PreparedRun::new(Some(reference), current, RunSettings::new(&schema, &drift)).unwrap();
        compute_drift(&prepared, &|| {}).unwrap()
    }

    #[test]
    fn ratio_and_distance_match_evidently_through_the_drift_preset() {
        for case in cases().iter().filter(|c| c.name == "small_mean_shift") {
            let (r, c) = (
                table(&case.reference, case.dim),
                table(&case.current, case.dim),
            );
            for (method, key) in [("ratio", "ratio"), ("distance", "distance_euclidean")] {
                let report = run(&r, &c, Some(method));
                // Only `x` is a column; the members are the embedding's.
                assert_eq!(report.column_count, 1);
                assert_eq!(report.columns[0].column, "x");
                let e = &report.embeddings[0];
                assert_eq!((e.name.as_str(), e.dimension), ("emb", case.dim));
                assert_eq!(e.columns[10], "emb_10");
                let (score, drift) = case.result(key).unwrap();
                assert_close(&case.name, key, e.score.unwrap(), score);
                assert_eq!(e.drifted, Some(drift), "{key}");
                assert_eq!(e.method.as_deref(), Some(method));
                assert_eq!(
                    (e.reference_rows_used, e.current_rows_used),
                    (
                        case.reference.len() / case.dim,
                        case.current.len() / case.dim
                    )
                );
            }
        }
    }

    #[test]
    fn rows_with_bad_components_are_left_out_and_counted() {
        let case = cases()
            .into_iter()
            .find(|c| c.name == "small_none")
            .unwrap();
        let r = table(&case.reference, case.dim);
        let mut current = case.current.clone();
        current[3] = f64::NAN;
        current[case.dim * 5] = f64::INFINITY;
        let c = table(&current, case.dim);
        let report = run(&r, &c, Some("ratio"));
        let e = &report.embeddings[0];
        assert_eq!((e.reference_left_out, e.current_left_out), (0, 2));
        assert_eq!(e.current_rows_used, case.current.len() / case.dim - 2);
        assert_eq!(e.left_out_reason.as_deref(), Some(LEFT_OUT_REASON));
        assert!(e.score.is_some());

        // Every current row bad: an error entry, and the column still tested.
        let c = table(&vec![f64::NAN; case.dim * 3], case.dim);
        let report = run(&r, &c, Some("distance"));
        let e = &report.embeddings[0];
        assert_eq!(e.score, None);
        assert_eq!(
            e.error.as_deref(),
            Some("every row of the current data has a missing, NaN or infinite component")
        );
        assert_eq!(report.column_count, 1);

        // One current row: fine for `distance`, too few for `mmd`; the default method
        // (`model`) says it needs more rows.
        let c = table(&case.current[..case.dim], case.dim);
        assert!(run(&r, &c, Some("distance")).embeddings[0].score.is_some());
        for method in [Some("mmd"), None] {
            let e = &run(&r, &c, method).embeddings[0];
            assert!(
                e.error.as_deref().unwrap().contains("rows"),
                "{:?}",
                e.error
            );
        }
    }

    #[test]
    fn method_settings_take_evidently_names() {
        let s: crate::drift::EmbeddingMethodSetting = toml::from_str(
            "method = \"distance\"\ndist = \"cosine\"\nbootstrap = true\npca_components = 3",
        )
        .unwrap();
        let (m, pca) = s.resolve().unwrap();
        assert_eq!(pca, Some(3));
        let crate::stats::embedding::EmbeddingMethod::Distance(p) = m else {
            panic!("{m:?}")
        };
        assert_eq!(p.metric.name(), "cosine");
        assert!(p.bootstrap);
        let bad: crate::drift::EmbeddingMethodSetting =
            toml::from_str("method = \"ratio\"\nbootstrap = true").unwrap();
        assert!(bad.resolve().unwrap_err().contains("takes no `bootstrap`"));
        let unknown = DriftSettings {
            embedding_methods: [(
                "emb".to_string(),
                crate::drift::EmbeddingMethodSetting {
                    method: "wasserstein".into(),
                    ..Default::default()
                },
            )]
            .into(),
            ..Default::default()
        };
        assert_eq!(
            unknown.validate().unwrap_err().to_string(),
            "`embedding_methods` of embedding `emb`: unknown embedding drift method \
             `wasserstein` (known: distance, ratio, mmd, model)"
        );
    }
}
