//! Classification quality (Evidently 0.7 `ClassificationPreset`: `Accuracy`, `Precision`,
//! `Recall`, `F1Score`, `RocAuc`, `LogLoss`, `TPR`/`TNR`/`FPR`/`FNR`, the by-label metrics and
//! the confusion matrix) and a majority-class / prior-probability dummy baseline.
//!
//! How the prediction is read (Evidently's `get_prediction_data`):
//! * one probability column (or a float prediction column with non-integer values): the
//!   probability of the positive label; the predicted label is the positive label when
//!   `p >= proba_threshold` (default 0.5), else the other label;
//! * two probability columns, named after the two labels: binary, thresholded the same way
//!   on the positive label's column;
//! * three or more probability columns, one per label and named after it: the predicted
//!   label is the column with the largest probability (the first one on ties, `idxmax`);
//! * otherwise the prediction column holds labels.
//!
//! Labels are compared as text: integers (and integer-valued floats) as decimal integers,
//! booleans as `True`/`False` (pandas' `astype(str)`), strings as they are. They are sorted
//! numerically when every label is an integer, else by text (sklearn's `unique_labels`).
//!
//! A task is binary when it has exactly two labels (the union of target and predicted
//! labels, or the two labels of the probability columns), as in Evidently's
//! `calculate_metrics`; precision, recall and F1 are then those of the positive label
//! (`--pos-label`, default `1`), else macro averages over the labels present in the target
//! or the prediction (`sklearn.metrics.precision_score(average="macro")`), with sklearn's
//! `zero_division` result 0 for a label never predicted or never true.
//!
//! Rows whose target, prediction or any probability is missing or infinite are dropped
//! (Evidently's `_cleanup_data`).

use std::collections::HashMap;

use serde::Serialize;

use super::{finite, BaselineSource, ModelQualityError};
use crate::table::{Column, ColumnData, Table, MISSING_CODE};

/// Which columns hold the target, the prediction and the probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassificationSpec {
    /// The column of true labels.
    pub target: String,
    /// A column of predicted labels (or, for binary tasks, of positive-label probabilities).
    pub prediction: Option<String>,
    /// Probability columns: one (the positive label's) for a binary task, or one per label,
    /// each named after its label. When given, the predicted labels derive from them.
    pub prediction_proba: Vec<String>,
    /// The positive label of a binary task; `None` means `1` (Evidently's default).
    pub pos_label: Option<String>,
    /// A binary prediction is the positive label when its probability is `>=` this (in
    /// [0, 1]: a run checks it once, in [`crate::prepare::PreparedRun::new`]).
    pub proba_threshold: f64,
}

impl Default for ClassificationSpec {
    fn default() -> Self {
        Self {
            target: "target".into(),
            prediction: Some("prediction".into()),
            prediction_proba: Vec::new(),
            pos_label: None,
            proba_threshold: 0.5,
        }
    }
}

/// Binary (exactly two labels) or multiclass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassificationTask {
    /// Exactly two labels: precision, recall and F1 of the positive label, plus TPR, TNR,
    /// FPR and FNR.
    Binary,
    /// Any other number of labels: macro averages, no TPR, TNR, FPR or FNR.
    Multiclass,
}

/// Counts of (true label, predicted label): `values[i][j]` rows with true label
/// `labels[i]` predicted as `labels[j]` (`sklearn.metrics.confusion_matrix`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfusionMatrix {
    /// Row and column labels, sorted as [`ClassificationMetrics::labels`].
    pub labels: Vec<String>,
    /// `values[actual][predicted]`: row counts, a square matrix of `labels.len()`.
    pub values: Vec<Vec<u64>>,
}

/// One label's one-vs-rest quality (`sklearn.metrics.classification_report`; Evidently
/// `PrecisionByLabel`, `RecallByLabel`, `F1ByLabel`, `RocAucByLabel`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelQuality {
    /// The label, as text.
    pub label: String,
    /// `tp / (tp + fp)`, 0 when the label is never predicted.
    pub precision: f64,
    /// `tp / (tp + fn)`, 0 when the label never occurs in the target.
    pub recall: f64,
    /// `2 tp / (2 tp + fp + fn)`, 0 when undefined.
    pub f1: f64,
    /// Rows whose true label is this label.
    pub support: u64,
    /// ROC AUC of this label's probability column against "target is this label"; `None`
    /// without probabilities or when the target has only one of the two outcomes.
    pub roc_auc: Option<f64>,
}

/// Most points a [`RocCurve`] keeps (see [`roc_curve`]).
pub const ROC_MAX_POINTS: usize = 200;

/// One label's one-vs-rest ROC curve: `sklearn.metrics.roc_curve(y == label, score,
/// drop_intermediate=True)`, thinned to at most [`ROC_MAX_POINTS`] points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RocCurve {
    /// The label whose probability is the score.
    pub label: String,
    /// False positive rates, non-decreasing from 0 to 1.
    pub fpr: Vec<f64>,
    /// True positive rates, non-decreasing from 0 to 1.
    pub tpr: Vec<f64>,
    /// The score threshold of each point (a row counts as positive when its score is `>=`
    /// it); `null` for the first point (0, 0), where sklearn writes `inf`.
    pub thresholds: Vec<Option<f64>>,
    /// Points of sklearn's curve before thinning (equal to `fpr.len()` when not thinned).
    pub points: usize,
}

/// Classification metrics of one dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassificationMetrics {
    /// Rows used.
    pub rows: usize,
    /// Rows dropped for a missing or infinite target, prediction or probability.
    pub dropped_rows: usize,
    /// Binary or multiclass, from the number of labels.
    pub task: ClassificationTask,
    /// The positive label (binary tasks).
    pub pos_label: Option<String>,
    /// All labels, sorted.
    pub labels: Vec<String>,
    /// Share of rows whose predicted label is the true label (`accuracy_score`).
    pub accuracy: f64,
    /// Binary: of the positive label; multiclass: macro average over present labels.
    pub precision: f64,
    /// Binary: of the positive label; multiclass: macro average over present labels.
    pub recall: f64,
    /// Binary: of the positive label; multiclass: macro average over present labels (the
    /// mean of per-label F1, not the F1 of the mean precision and recall).
    pub f1: f64,
    /// Macro average over the probability columns of each column's one-vs-rest ROC AUC
    /// (Evidently passes the one-hot target to `roc_auc_score(average="macro")`; for binary
    /// this is the ordinary ROC AUC). `None` without probabilities or when undefined.
    pub roc_auc: Option<f64>,
    /// `-mean log p(true label)` with probabilities clipped to `[eps, 1 - eps]`,
    /// `eps = f64::EPSILON` (`sklearn.metrics.log_loss`). `None` without probabilities.
    pub log_loss: Option<f64>,
    /// Binary only, from the confusion counts of the positive label: `tp / (tp + fn)`.
    pub tpr: Option<f64>,
    /// Binary only: `tn / (tn + fp)`.
    pub tnr: Option<f64>,
    /// Binary only: `fp / (fp + tn)`.
    pub fpr: Option<f64>,
    /// Binary only: `fn / (fn + tp)`.
    pub fnr: Option<f64>,
    /// Counts of true against predicted labels over the rows used.
    pub confusion_matrix: ConfusionMatrix,
    /// One entry per label, in `labels` order.
    pub per_label: Vec<LabelQuality>,
    /// ROC curves from the probabilities: the positive label's for a binary task, one per
    /// probability column for a multiclass task. Empty without probabilities; a label whose
    /// one-vs-rest target has only one outcome has no curve.
    pub roc_curves: Vec<RocCurve>,
}

/// A label's share of the baseline's training target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelPrior {
    /// The label, as text.
    pub label: String,
    /// Its share of the fitting dataset's target labels, 0..1.
    pub probability: f64,
}

/// The dummy baseline, scored on the current data: it predicts the majority label of the
/// reference target (of the current target when there is no reference target; the first
/// label in sorted order on ties) and, for ROC AUC and log loss, the prior label shares as
/// probabilities: `sklearn.dummy.DummyClassifier(strategy="prior")`.
///
/// Evidently 0.7.23's `ClassificationDummyMetric` instead draws random labels from the
/// priors (`np.random.seed(0)`), rescales precision and recall by threshold coefficients and
/// uses uniform probabilities for log loss; modelwatch does not copy it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassificationDummy {
    /// The dataset whose target the baseline was fitted on.
    pub source: BaselineSource,
    /// The label the baseline always predicts.
    pub majority_label: String,
    /// Label shares of the fitting target, used as the baseline's probabilities.
    pub priors: Vec<LabelPrior>,
    /// The baseline's metrics on the current data.
    pub quality: ClassificationMetrics,
}

/// Classification quality of the reference (when it has the columns) and the current data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassificationReport {
    /// The target column.
    pub target: String,
    /// Metrics of the reference; `None` without a reference or when it lacks a column (see
    /// `reference_note`).
    pub reference: Option<ClassificationMetrics>,
    /// Metrics of the current data.
    pub current: ClassificationMetrics,
    /// The majority-label baseline, scored on the current data.
    pub dummy: ClassificationDummy,
    /// Why the reference was not scored, when it was given but lacks a column.
    pub reference_note: Option<String>,
}

// ------------------------------------------------------------------ labels

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LabelKind {
    Integer,
    Boolean,
    Text,
}

/// A column read as labels: per-row codes into `names` (`MISSING_CODE` when missing).
struct LabelCodes {
    codes: Vec<u32>,
    names: Vec<String>,
    kind: LabelKind,
}

fn intern<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, u32>,
    names: &mut Vec<String>,
    key: K,
    name: impl FnOnce() -> String,
) -> u32 {
    *map.entry(key).or_insert_with(|| {
        names.push(name());
        (names.len() - 1) as u32
    })
}

/// Text of an integer-valued float as an integer, else Rust's shortest round-trip form.
fn float_label(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn label_codes(col: &Column, role: &'static str) -> Result<LabelCodes, ModelQualityError> {
    let mut names = Vec::new();
    let (codes, kind) = match &col.data {
        ColumnData::Str(s) => {
            names = s.labels.clone();
            (s.codes.clone(), LabelKind::Text)
        }
        ColumnData::Int(v) => {
            let mut map = HashMap::new();
            let codes = v
                .iter()
                .map(|x| match x {
                    None => MISSING_CODE,
                    Some(i) => intern(&mut map, &mut names, *i, || i.to_string()),
                })
                .collect();
            (codes, LabelKind::Integer)
        }
        ColumnData::Bool(v) => {
            names = vec!["False".to_string(), "True".to_string()];
            let codes = v
                .iter()
                .map(|x| x.map_or(MISSING_CODE, |b| b as u32))
                .collect();
            (codes, LabelKind::Boolean)
        }
        ColumnData::Float(v) => {
            let mut map = HashMap::new();
            let mut all_integer = true;
            let codes = v
                .iter()
                .map(|&x| {
                    if !x.is_finite() {
                        return MISSING_CODE;
                    }
                    all_integer &= x.fract() == 0.0;
                    let x = if x == 0.0 { 0.0 } else { x };
                    intern(&mut map, &mut names, x.to_bits(), || float_label(x))
                })
                .collect();
            let kind = if all_integer {
                LabelKind::Integer
            } else {
                LabelKind::Text
            };
            (codes, kind)
        }
        other => {
            return Err(ModelQualityError::BadColumnType {
                role,
                column: col.name.clone(),
                physical: other.physical_name(),
                what: "read as class labels",
            })
        }
    };
    Ok(LabelCodes { codes, names, kind })
}

/// The label among `labels` that the user's text `given` names: an exact match, else for
/// boolean targets `1`/`true` and `0`/`false` in any case, else for integer targets a
/// number with the same integer value (`1.0` names `1`).
fn match_label(given: &str, labels: &[String], kind: LabelKind) -> Option<String> {
    if labels.iter().any(|l| l == given) {
        return Some(given.to_string());
    }
    let canonical = match kind {
        LabelKind::Boolean => match given.to_ascii_lowercase().as_str() {
            "1" | "true" => Some("True".to_string()),
            "0" | "false" => Some("False".to_string()),
            _ => None,
        },
        LabelKind::Integer => given
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.fract() == 0.0)
            .map(float_label),
        LabelKind::Text => None,
    }?;
    labels.iter().find(|l| **l == canonical).cloned()
}

/// Sorts labels numerically when all are integers, else by text.
fn sort_labels(labels: &mut [String]) {
    let numeric: Option<Vec<i128>> = labels.iter().map(|l| l.parse::<i128>().ok()).collect();
    if let Some(nums) = numeric {
        let mut pairs: Vec<(i128, String)> = nums.into_iter().zip(labels.iter().cloned()).collect();
        pairs.sort();
        for (slot, (_, l)) in labels.iter_mut().zip(pairs) {
            *slot = l;
        }
    } else {
        labels.sort();
    }
}

fn quote_list(labels: &[String]) -> String {
    labels
        .iter()
        .map(|l| format!("`{l}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ------------------------------------------------------------------ prepared data

/// One dataset reduced to label indices (into sorted `labels`) and probability columns.
struct Prepared {
    labels: Vec<String>,
    target: Vec<usize>,
    predicted: Vec<usize>,
    /// (label index, probabilities) per probability column, in the columns' order.
    proba: Option<Vec<(usize, Vec<f64>)>>,
    pos: Option<usize>,
    dropped: usize,
    kind: LabelKind,
}

enum PredictionSource<'a> {
    Labels(&'a Column),
    Probabilities(Vec<(&'a str, &'a [f64])>),
}

fn float_column<'a>(
    table: &'a Table,
    name: &str,
    dataset: &'static str,
) -> Result<&'a [f64], ModelQualityError> {
    let col = table
        .column(name)
        .ok_or_else(|| ModelQualityError::missing_column(table, dataset, "probability", name))?;
    match &col.data {
        ColumnData::Float(v) => Ok(v),
        other => Err(ModelQualityError::BadColumnType {
            role: "probability",
            column: name.to_string(),
            physical: other.physical_name(),
            what: "read as probabilities",
        }),
    }
}

fn prediction_source<'a>(
    table: &'a Table,
    spec: &'a ClassificationSpec,
    dataset: &'static str,
) -> Result<PredictionSource<'a>, ModelQualityError> {
    if !spec.prediction_proba.is_empty() {
        let cols = spec
            .prediction_proba
            .iter()
            .map(|n| Ok((n.as_str(), float_column(table, n, dataset)?)))
            .collect::<Result<Vec<_>, ModelQualityError>>()?;
        return Ok(PredictionSource::Probabilities(cols));
    }
    let name = spec
        .prediction
        .as_deref()
        .ok_or(ModelQualityError::NoPrediction)?;
    let col = table
        .column(name)
        .ok_or_else(|| ModelQualityError::missing_column(table, dataset, "prediction", name))?;
    if let ColumnData::Float(v) = &col.data {
        if v.iter().any(|x| x.is_finite() && x.fract() != 0.0) {
            return Ok(PredictionSource::Probabilities(vec![(name, v)]));
        }
    }
    Ok(PredictionSource::Labels(col))
}

/// Reads one dataset. `label_hint` holds the other dataset's target labels (used to name
/// the negative label of a single probability column when this target lacks it).
fn prepare(
    table: &Table,
    spec: &ClassificationSpec,
    dataset: &'static str,
    label_hint: &[String],
) -> Result<Prepared, ModelQualityError> {
    let target_col = table
        .column(&spec.target)
        .ok_or_else(|| ModelQualityError::missing_column(table, dataset, "target", &spec.target))?;
    let target = label_codes(target_col, "target")?;
    let source = prediction_source(table, spec, dataset)?;
    let n = table.rows();

    // Rows kept: target present and every prediction value present and finite.
    let mut keep: Vec<bool> = target.codes.iter().map(|&c| c != MISSING_CODE).collect();
    let pred_codes = match &source {
        PredictionSource::Labels(col) => {
            let p = label_codes(col, "prediction")?;
            for (k, &c) in keep.iter_mut().zip(&p.codes) {
                *k &= c != MISSING_CODE;
            }
            Some(p)
        }
        PredictionSource::Probabilities(cols) => {
            for (_, v) in cols {
                for (k, x) in keep.iter_mut().zip(v.iter()) {
                    *k &= x.is_finite();
                }
            }
            None
        }
    };
    let rows: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
    if rows.is_empty() {
        return Err(ModelQualityError::NoRows { dataset });
    }
    let dropped = n - rows.len();

    // Target labels that occur in the kept rows.
    let mut used = vec![false; target.names.len()];
    for &i in &rows {
        used[target.codes[i] as usize] = true;
    }
    let target_labels: Vec<String> = target
        .names
        .iter()
        .zip(&used)
        .filter(|(_, &u)| u)
        .map(|(l, _)| l.clone())
        .collect();
    let default_pos = if target.kind == LabelKind::Boolean {
        "True"
    } else {
        "1"
    };
    let pos_given = spec.pos_label.as_deref().unwrap_or(default_pos);

    match source {
        PredictionSource::Labels(_) => {
            let pred = pred_codes.expect("labels source has codes");
            let mut all: Vec<String> = target_labels.clone();
            let mut pred_used = vec![false; pred.names.len()];
            for &i in &rows {
                pred_used[pred.codes[i] as usize] = true;
            }
            for (l, &u) in pred.names.iter().zip(&pred_used) {
                if u && !all.contains(l) {
                    all.push(l.clone());
                }
            }
            sort_labels(&mut all);
            let index: HashMap<&str, usize> = all
                .iter()
                .enumerate()
                .map(|(i, l)| (l.as_str(), i))
                .collect();
            let t_map: Vec<usize> = target
                .names
                .iter()
                .map(|l| index.get(l.as_str()).copied().unwrap_or(usize::MAX))
                .collect();
            let p_map: Vec<usize> = pred
                .names
                .iter()
                .map(|l| index.get(l.as_str()).copied().unwrap_or(usize::MAX))
                .collect();
            let pos = binary_pos(&all, pos_given, target.kind, &spec.target)?;
            Ok(Prepared {
                target: rows
                    .iter()
                    .map(|&i| t_map[target.codes[i] as usize])
                    .collect(),
                predicted: rows
                    .iter()
                    .map(|&i| p_map[pred.codes[i] as usize])
                    .collect(),
                labels: all,
                proba: None,
                pos,
                dropped,
                kind: target.kind,
            })
        }
        PredictionSource::Probabilities(cols) => {
            for (name, v) in &cols {
                for &i in &rows {
                    if !(0.0..=1.0).contains(&v[i]) {
                        return Err(ModelQualityError::ProbabilityOutOfRange {
                            column: name.to_string(),
                            row: i + 1,
                            value: v[i],
                        });
                    }
                }
            }
            // The label of each probability column, and the label list.
            let (labels, col_labels): (Vec<String>, Vec<String>) = if cols.len() == 1 {
                let mut candidates = target_labels.clone();
                for l in label_hint {
                    if !candidates.contains(l) {
                        candidates.push(l.clone());
                    }
                }
                if candidates.len() < 2 && target.kind != LabelKind::Text {
                    let pair: [&str; 2] = if target.kind == LabelKind::Boolean {
                        ["False", "True"]
                    } else {
                        ["0", "1"]
                    };
                    for l in pair {
                        if candidates.len() < 2 && !candidates.iter().any(|c| c == l) {
                            candidates.push(l.to_string());
                        }
                    }
                }
                if candidates.len() != 2 {
                    return Err(ModelQualityError::NotBinary {
                        column: spec.target.clone(),
                        labels: quote_list(&candidates),
                        proba: cols[0].0.to_string(),
                    });
                }
                let pos = match_label(pos_given, &candidates, target.kind).ok_or_else(|| {
                    ModelQualityError::UnknownPosLabel {
                        pos_label: pos_given.to_string(),
                        column: spec.target.clone(),
                        labels: quote_list(&candidates),
                    }
                })?;
                (candidates.clone(), vec![pos])
            } else {
                let col_labels: Vec<String> = cols
                    .iter()
                    .map(|(name, _)| {
                        match_label(name, &target_labels, target.kind)
                            .unwrap_or_else(|| name.to_string())
                    })
                    .collect();
                for l in &target_labels {
                    if !col_labels.contains(l) {
                        return Err(ModelQualityError::LabelWithoutProbability {
                            column: spec.target.clone(),
                            label: l.clone(),
                            columns: quote_list(
                                &cols.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>(),
                            ),
                        });
                    }
                }
                for &i in &rows {
                    let sum: f64 = cols.iter().map(|(_, v)| v[i]).sum();
                    if (sum - 1.0).abs() > 1e-6 {
                        return Err(ModelQualityError::ProbabilitiesDoNotSumToOne {
                            columns: quote_list(
                                &cols.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>(),
                            ),
                            row: i + 1,
                            sum,
                        });
                    }
                }
                (col_labels.clone(), col_labels)
            };
            let mut sorted = labels;
            sort_labels(&mut sorted);
            let index: HashMap<&str, usize> = sorted
                .iter()
                .enumerate()
                .map(|(i, l)| (l.as_str(), i))
                .collect();
            let t_map: Vec<usize> = target
                .names
                .iter()
                .map(|l| index.get(l.as_str()).copied().unwrap_or(usize::MAX))
                .collect();
            let target_idx: Vec<usize> = rows
                .iter()
                .map(|&i| t_map[target.codes[i] as usize])
                .collect();
            let pos = binary_pos(&sorted, pos_given, target.kind, &spec.target)?;
            let (predicted, proba) = if cols.len() == 1 {
                let pos = pos.expect("two labels");
                let neg = 1 - pos;
                let p: Vec<f64> = rows.iter().map(|&i| cols[0].1[i]).collect();
                let predicted = p
                    .iter()
                    .map(|&x| if x >= spec.proba_threshold { pos } else { neg })
                    .collect();
                let q: Vec<f64> = p.iter().map(|x| 1.0 - x).collect();
                (predicted, vec![(pos, p), (neg, q)])
            } else {
                let idx: Vec<usize> = col_labels.iter().map(|l| index[l.as_str()]).collect();
                let proba: Vec<(usize, Vec<f64>)> = cols
                    .iter()
                    .zip(&idx)
                    .map(|((_, v), &li)| (li, rows.iter().map(|&i| v[i]).collect()))
                    .collect();
                let predicted = if let (2, Some(pos)) = (cols.len(), pos) {
                    let pc = idx.iter().position(|&li| li == pos).expect("pos column");
                    (0..rows.len())
                        .map(|r| {
                            if proba[pc].1[r] >= spec.proba_threshold {
                                pos
                            } else {
                                1 - pos
                            }
                        })
                        .collect()
                } else {
                    (0..rows.len())
                        .map(|r| {
                            let mut best = 0;
                            for c in 1..proba.len() {
                                if proba[c].1[r] > proba[best].1[r] {
                                    best = c;
                                }
                            }
                            proba[best].0
                        })
                        .collect()
                };
                (predicted, proba)
            };
            Ok(Prepared {
                labels: sorted,
                target: target_idx,
                predicted,
                proba: Some(proba),
                pos,
                dropped,
                kind: target.kind,
            })
        }
    }
}

/// The positive label's index when there are exactly two labels.
fn binary_pos(
    labels: &[String],
    pos_given: &str,
    kind: LabelKind,
    target: &str,
) -> Result<Option<usize>, ModelQualityError> {
    if labels.len() != 2 {
        return Ok(None);
    }
    let pos =
        match_label(pos_given, labels, kind).ok_or_else(|| ModelQualityError::UnknownPosLabel {
            pos_label: pos_given.to_string(),
            column: target.to_string(),
            labels: quote_list(labels),
        })?;
    Ok(labels.iter().position(|l| *l == pos))
}

// ------------------------------------------------------------------ metrics

/// ROC AUC of `scores` for the rows where `positive` holds: the Mann–Whitney form
/// `(R₊ - n₊(n₊+1)/2) / (n₊ n₋)` with midranks for tied scores, equal to the trapezoidal
/// area under `sklearn.metrics.roc_curve` that `roc_auc_score` computes. `None` when all
/// rows are positive or all negative (sklearn returns NaN and warns).
pub fn roc_auc(positive: &[bool], scores: &[f64]) -> Option<f64> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // ranks i+1 ..= j+1 share their mean
        let midrank = (i + j + 2) as f64 / 2.0;
        let pos_in_tie = order[i..=j].iter().filter(|&&r| positive[r]).count();
        rank_sum += midrank * pos_in_tie as f64;
        i = j + 1;
    }
    let np = n_pos as f64;
    finite((rank_sum - np * (np + 1.0) / 2.0) / (np * n_neg as f64))
}

/// The ROC curve of `scores` for the rows where `positive` holds, as
/// `sklearn.metrics.roc_curve(positive, scores)` computes it (`drop_intermediate=True`):
/// one point per distinct score, from the highest down, with the cumulative true and false
/// positive counts; points where both counts continue on a straight line are dropped; a
/// first point (0, 0) is added. Then, when more than [`ROC_MAX_POINTS`] remain, the curve is
/// thinned deterministically to points evenly spaced in `fpr + tpr` (which grows from 0
/// to 2 along the curve), always keeping the first and the last point. `None` when all rows
/// are positive or all negative (sklearn returns NaN rates).
pub fn roc_curve(label: &str, positive: &[bool], scores: &[f64]) -> Option<RocCurve> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 || positive.len() != scores.len() {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    // Cumulative counts at the last row of each run of equal scores.
    let (mut tps, mut fps, mut thr) = (Vec::new(), Vec::new(), Vec::new());
    let (mut tp, mut fp) = (0u64, 0u64);
    for (k, &i) in order.iter().enumerate() {
        if positive[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        let last_of_run = order
            .get(k + 1)
            .is_none_or(|&next| scores[next] != scores[i]);
        if last_of_run {
            tps.push(tp);
            fps.push(fp);
            thr.push(scores[i]);
        }
    }
    // drop_intermediate: keep the ends and every point where either count bends.
    let m = tps.len();
    let keep: Vec<usize> = if m > 2 {
        let bends = |v: &[u64], j: usize| v[j + 1] + v[j - 1] != 2 * v[j];
        (0..m)
            .filter(|&j| j == 0 || j + 1 == m || bends(&tps, j) || bends(&fps, j))
            .collect()
    } else {
        (0..m).collect()
    };
    let (np, nn) = (n_pos as f64, n_neg as f64);
    let mut fpr = vec![0.0];
    let mut tpr = vec![0.0];
    let mut thresholds = vec![None];
    for &j in &keep {
        fpr.push(fps[j] as f64 / nn);
        tpr.push(tps[j] as f64 / np);
        thresholds.push(Some(thr[j]));
    }
    let points = fpr.len();
    if points > ROC_MAX_POINTS {
        let mut picked = Vec::with_capacity(ROC_MAX_POINTS);
        let mut next = 0;
        let steps = (ROC_MAX_POINTS - 1) as f64;
        for k in 0..ROC_MAX_POINTS - 1 {
            let target = 2.0 * k as f64 / steps;
            while next < points - 1 && fpr[next] + tpr[next] < target {
                next += 1;
            }
            if picked.last() != Some(&next) && next < points - 1 {
                picked.push(next);
            }
        }
        picked.push(points - 1);
        fpr = picked.iter().map(|&i| fpr[i]).collect();
        tpr = picked.iter().map(|&i| tpr[i]).collect();
        thresholds = picked.iter().map(|&i| thresholds[i]).collect();
    }
    Some(RocCurve {
        label: label.to_string(),
        fpr,
        tpr,
        thresholds,
        points,
    })
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Every metric of predicted label indices against target label indices.
fn label_metrics(
    labels: &[String],
    target: &[usize],
    predicted: &[usize],
    pos: Option<usize>,
    proba: Option<&[(usize, Vec<f64>)]>,
    dropped: usize,
) -> ClassificationMetrics {
    let k = labels.len();
    let n = target.len();
    let mut cm = vec![vec![0u64; k]; k];
    for (&t, &p) in target.iter().zip(predicted) {
        cm[t][p] += 1;
    }
    let total = n as u64;
    let correct: u64 = (0..k).map(|i| cm[i][i]).sum();
    let row_sum: Vec<u64> = cm.iter().map(|r| r.iter().sum()).collect();
    let col_sum: Vec<u64> = (0..k).map(|j| cm.iter().map(|r| r[j]).sum()).collect();

    let label_auc: Vec<Option<f64>> = (0..k)
        .map(|l| {
            let (_, scores) = proba?.iter().find(|(li, _)| *li == l)?;
            let positive: Vec<bool> = target.iter().map(|&t| t == l).collect();
            roc_auc(&positive, scores)
        })
        .collect();
    let per_label: Vec<LabelQuality> = (0..k)
        .map(|l| {
            let tp = cm[l][l];
            let fp = col_sum[l] - tp;
            let fn_ = row_sum[l] - tp;
            LabelQuality {
                label: labels[l].clone(),
                precision: ratio(tp, tp + fp).unwrap_or(0.0),
                recall: ratio(tp, tp + fn_).unwrap_or(0.0),
                f1: ratio(2 * tp, 2 * tp + fp + fn_).unwrap_or(0.0),
                support: row_sum[l],
                roc_auc: label_auc[l],
            }
        })
        .collect();

    let (precision, recall, f1, rates) = match pos {
        Some(p) => {
            let q = &per_label[p];
            let tp = cm[p][p];
            let fp = col_sum[p] - tp;
            let fn_ = row_sum[p] - tp;
            let tn = total - tp - fp - fn_;
            (
                q.precision,
                q.recall,
                q.f1,
                [
                    ratio(tp, tp + fn_),
                    ratio(tn, tn + fp),
                    ratio(fp, fp + tn),
                    ratio(fn_, fn_ + tp),
                ],
            )
        }
        None => {
            let present: Vec<&LabelQuality> = (0..k)
                .filter(|&l| row_sum[l] + col_sum[l] > 0)
                .map(|l| &per_label[l])
                .collect();
            let m = present.len() as f64;
            (
                present.iter().map(|q| q.precision).sum::<f64>() / m,
                present.iter().map(|q| q.recall).sum::<f64>() / m,
                present.iter().map(|q| q.f1).sum::<f64>() / m,
                [None; 4],
            )
        }
    };

    let (roc, log_loss) = match proba {
        None => (None, None),
        Some(cols) => {
            let aucs: Option<Vec<f64>> = cols.iter().map(|(l, _)| label_auc[*l]).collect();
            let roc = aucs.map(|a| a.iter().sum::<f64>() / a.len() as f64);
            let eps = f64::EPSILON;
            let mut column_of = vec![usize::MAX; k];
            for (c, (l, _)) in cols.iter().enumerate() {
                column_of[*l] = c;
            }
            let mut loss = 0.0;
            for (r, &t) in target.iter().enumerate() {
                let c = column_of[t];
                if c != usize::MAX {
                    loss -= cols[c].1[r].clamp(eps, 1.0 - eps).ln();
                }
            }
            (roc, finite(loss / n as f64))
        }
    };

    // The positive label's curve for a binary task, one per probability column otherwise.
    let roc_curves: Vec<RocCurve> = proba
        .map(|cols| {
            cols.iter()
                .filter(|(l, _)| pos.is_none_or(|p| p == *l))
                .filter_map(|(l, scores)| {
                    let positive: Vec<bool> = target.iter().map(|&t| t == *l).collect();
                    roc_curve(&labels[*l], &positive, scores)
                })
                .collect()
        })
        .unwrap_or_default();

    ClassificationMetrics {
        rows: n,
        dropped_rows: dropped,
        task: if k == 2 {
            ClassificationTask::Binary
        } else {
            ClassificationTask::Multiclass
        },
        pos_label: pos.map(|p| labels[p].clone()),
        labels: labels.to_vec(),
        accuracy: correct as f64 / n as f64,
        precision,
        recall,
        f1,
        roc_auc: roc,
        log_loss,
        tpr: rates[0],
        tnr: rates[1],
        fpr: rates[2],
        fnr: rates[3],
        confusion_matrix: ConfusionMatrix {
            labels: labels.to_vec(),
            values: cm,
        },
        per_label,
        roc_curves,
    }
}

fn metrics_of(p: &Prepared) -> ClassificationMetrics {
    label_metrics(
        &p.labels,
        &p.target,
        &p.predicted,
        p.pos,
        p.proba.as_deref(),
        p.dropped,
    )
}

/// Classification metrics of one table (the current data when used alone).
pub fn classification_quality(
    table: &Table,
    spec: &ClassificationSpec,
) -> Result<ClassificationMetrics, ModelQualityError> {
    Ok(metrics_of(&prepare(table, spec, "current", &[])?))
}

/// Distinct target labels (text) of a table with their counts, in first-seen order.
fn target_label_counts(
    table: &Table,
    target: &str,
) -> Result<Option<Vec<(String, u64)>>, ModelQualityError> {
    let Some(col) = table.column(target) else {
        return Ok(None);
    };
    let codes = label_codes(col, "target")?;
    let mut counts = vec![0u64; codes.names.len()];
    for &c in &codes.codes {
        if c != MISSING_CODE {
            counts[c as usize] += 1;
        }
    }
    Ok(Some(
        codes
            .names
            .into_iter()
            .zip(counts)
            .filter(|(_, c)| *c > 0)
            .collect(),
    ))
}

/// Classification quality of `current` and, when it has the target and prediction columns,
/// `reference`, plus the dummy baseline (see [`ClassificationDummy`]).
pub fn compute_classification(
    reference: Option<&Table>,
    current: &Table,
    spec: &ClassificationSpec,
) -> Result<ClassificationReport, ModelQualityError> {
    let cur_counts = target_label_counts(current, &spec.target)?;
    let ref_counts = match reference {
        Some(r) => target_label_counts(r, &spec.target)?,
        None => None,
    };
    let names = |c: &Option<Vec<(String, u64)>>| -> Vec<String> {
        c.as_ref()
            .map(|v| v.iter().map(|(l, _)| l.clone()).collect())
            .unwrap_or_default()
    };
    let cur = prepare(current, spec, "current", &names(&ref_counts))?;

    let mut reference_note = None;
    let mut reference_metrics = None;
    if let Some(r) = reference {
        let mut needed: Vec<&str> = vec![spec.target.as_str()];
        if spec.prediction_proba.is_empty() {
            needed.extend(spec.prediction.as_deref());
        } else {
            needed.extend(spec.prediction_proba.iter().map(String::as_str));
        }
        let missing: Vec<String> = needed
            .into_iter()
            .filter(|c| r.column(c).is_none())
            .map(str::to_string)
            .collect();
        if missing.is_empty() {
            let p = prepare(r, spec, "reference", &names(&cur_counts))?;
            reference_metrics = Some(metrics_of(&p));
        } else {
            reference_note = Some(format!(
                "reference not scored: no column {}",
                quote_list(&missing)
            ));
        }
    }

    // Dummy: priors of the reference target when there is one, else of the current target.
    let (source, counts) = match ref_counts {
        Some(c) if !c.is_empty() => (BaselineSource::Reference, c),
        _ => (
            BaselineSource::Current,
            cur_counts.expect("current has the target"),
        ),
    };
    let mut prior_labels: Vec<String> = counts.iter().map(|(l, _)| l.clone()).collect();
    sort_labels(&mut prior_labels);
    let total: u64 = counts.iter().map(|(_, c)| c).sum();
    let count_of: HashMap<&str, u64> = counts.iter().map(|(l, c)| (l.as_str(), *c)).collect();
    // Align label spellings with the current data (e.g. `1.0` in one file, `1` in another).
    let align = |l: &str| match_label(l, &cur.labels, cur.kind).unwrap_or_else(|| l.to_string());
    let priors: Vec<LabelPrior> = prior_labels
        .iter()
        .map(|l| LabelPrior {
            label: align(l),
            probability: count_of[l.as_str()] as f64 / total as f64,
        })
        .collect();
    let mut majority = 0;
    for (i, p) in priors.iter().enumerate() {
        if p.probability > priors[majority].probability {
            majority = i;
        }
    }
    let majority_label = priors[majority].label.clone();

    let mut dummy_labels = cur.labels.clone();
    if !dummy_labels.contains(&majority_label) {
        dummy_labels.push(majority_label.clone());
        sort_labels(&mut dummy_labels);
    }
    let remap: Vec<usize> = cur
        .labels
        .iter()
        .map(|l| dummy_labels.iter().position(|d| d == l).expect("subset"))
        .collect();
    let maj_idx = dummy_labels
        .iter()
        .position(|d| *d == majority_label)
        .expect("added");
    let target: Vec<usize> = cur.target.iter().map(|&t| remap[t]).collect();
    let predicted = vec![maj_idx; target.len()];
    let pos = match (cur.pos, dummy_labels.len()) {
        (Some(p), 2) => Some(remap[p]),
        _ => None,
    };
    let prior_of = |label: &str| {
        priors
            .iter()
            .find(|p| p.label == label)
            .map_or(0.0, |p| p.probability)
    };
    let proba: Option<Vec<(usize, Vec<f64>)>> = cur.proba.as_ref().map(|cols| {
        cols.iter()
            .map(|(l, _)| {
                let label = &cur.labels[*l];
                (remap[*l], vec![prior_of(label); target.len()])
            })
            .collect()
    });
    let quality = label_metrics(
        &dummy_labels,
        &target,
        &predicted,
        pos,
        proba.as_deref(),
        cur.dropped,
    );

    Ok(ClassificationReport {
        target: spec.target.clone(),
        reference: reference_metrics,
        current: metrics_of(&cur),
        dummy: ClassificationDummy {
            source,
            majority_label,
            priors,
            quality,
        },
        reference_note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::StrColumn;

    fn ints(name: &str, v: &[i64]) -> Column {
        Column::new(name, ColumnData::Int(v.iter().map(|&x| Some(x)).collect()))
    }

    fn spec() -> ClassificationSpec {
        ClassificationSpec {
            target: "y".into(),
            prediction: Some("p".into()),
            ..Default::default()
        }
    }

    #[test]
    fn perfect_binary_predictions() {
        let t = Table::new(vec![ints("y", &[0, 1, 1, 0]), ints("p", &[0, 1, 1, 0])]).unwrap();
        let m = classification_quality(&t, &spec()).unwrap();
        assert_eq!(m.task, ClassificationTask::Binary);
        assert_eq!(m.pos_label.as_deref(), Some("1"));
        assert_eq!(
            (m.accuracy, m.precision, m.recall, m.f1),
            (1.0, 1.0, 1.0, 1.0)
        );
        assert_eq!(
            (m.tpr, m.tnr, m.fpr, m.fnr),
            (Some(1.0), Some(1.0), Some(0.0), Some(0.0))
        );
        assert_eq!(m.confusion_matrix.values, vec![vec![2, 0], vec![0, 2]]);
    }

    #[test]
    fn all_wrong_binary() {
        let t = Table::new(vec![ints("y", &[0, 1, 1, 0]), ints("p", &[1, 0, 0, 1])]).unwrap();
        let m = classification_quality(&t, &spec()).unwrap();
        assert_eq!(
            (m.accuracy, m.precision, m.recall, m.f1),
            (0.0, 0.0, 0.0, 0.0)
        );
        assert_eq!(m.fnr, Some(1.0));
    }

    #[test]
    fn single_class_present_is_macro_like_evidently() {
        let t = Table::new(vec![ints("y", &[1, 1, 1]), ints("p", &[1, 1, 1])]).unwrap();
        let m = classification_quality(&t, &spec()).unwrap();
        assert_eq!(m.task, ClassificationTask::Multiclass);
        assert_eq!(m.precision, 1.0);
        assert_eq!(m.tpr, None);
        // with a probability column the task stays binary; ROC AUC is undefined
        let t = Table::new(vec![
            ints("y", &[1, 1, 1]),
            Column::new("p", ColumnData::Float(vec![0.9, 0.2, 0.6])),
        ])
        .unwrap();
        let m = classification_quality(&t, &spec()).unwrap();
        assert_eq!(m.task, ClassificationTask::Binary);
        assert_eq!(m.labels, vec!["0", "1"]);
        assert_eq!(m.roc_auc, None);
        assert_eq!(m.tnr, None);
        assert!((m.accuracy - 2.0 / 3.0).abs() < 1e-15);
        let ll = -(0.9f64.ln() + 0.2f64.ln() + 0.6f64.ln()) / 3.0;
        assert!((m.log_loss.unwrap() - ll).abs() < 1e-15);
    }

    #[test]
    fn roc_auc_with_ties() {
        // sklearn.metrics.roc_auc_score([0, 0, 1, 1, 1], [0.1, 0.5, 0.5, 0.5, 0.9]) = 5/6
        let auc = roc_auc(
            &[false, false, true, true, true],
            &[0.1, 0.5, 0.5, 0.5, 0.9],
        )
        .unwrap();
        assert!((auc - 5.0 / 6.0).abs() < 1e-15);
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), None);
        assert_eq!(roc_auc(&[true, false], &[0.3, 0.3]), Some(0.5));
    }

    #[test]
    fn roc_curve_matches_sklearn() {
        // sklearn.metrics.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        let c = roc_curve("1", &[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]).unwrap();
        assert_eq!(c.fpr, vec![0.0, 0.0, 0.5, 0.5, 1.0]);
        assert_eq!(c.tpr, vec![0.0, 0.5, 0.5, 1.0, 1.0]);
        assert_eq!(
            c.thresholds,
            vec![None, Some(0.8), Some(0.4), Some(0.35), Some(0.1)]
        );
        // ties and a collinear point dropped:
        // roc_curve([0, 0, 1, 1, 1, 0], [0.1, 0.5, 0.5, 0.5, 0.9, 0.2])
        let c = roc_curve(
            "1",
            &[false, false, true, true, true, false],
            &[0.1, 0.5, 0.5, 0.5, 0.9, 0.2],
        )
        .unwrap();
        assert_eq!(c.fpr, vec![0.0, 0.0, 1.0 / 3.0, 1.0]);
        assert_eq!(c.tpr, vec![0.0, 1.0 / 3.0, 1.0, 1.0]);
        assert_eq!(c.thresholds, vec![None, Some(0.9), Some(0.5), Some(0.1)]);
        assert_eq!(c.points, 4);
        assert!(roc_curve("1", &[true, true], &[0.2, 0.3]).is_none());
    }

    #[test]
    fn long_roc_curves_are_thinned_evenly() {
        // Alternating labels on distinct scores: every point is a corner.
        let n = 5000;
        let positive: Vec<bool> = (0..n).map(|i| (i * 7919) % 3 == 0).collect();
        let scores: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
        let c = roc_curve("1", &positive, &scores).unwrap();
        assert!(c.points > ROC_MAX_POINTS, "{}", c.points);
        assert!(c.fpr.len() <= ROC_MAX_POINTS && c.fpr.len() > ROC_MAX_POINTS / 2);
        assert_eq!((c.fpr[0], c.tpr[0], c.thresholds[0]), (0.0, 0.0, None));
        assert_eq!((*c.fpr.last().unwrap(), *c.tpr.last().unwrap()), (1.0, 1.0));
        for w in c.fpr.windows(2).zip(c.tpr.windows(2)) {
            assert!(w.0[0] <= w.0[1] && w.1[0] <= w.1[1]);
        }
        // No gap along the curve is much larger than an even step.
        let gaps = c
            .fpr
            .windows(2)
            .zip(c.tpr.windows(2))
            .map(|(f, t)| (f[1] - f[0]) + (t[1] - t[0]));
        assert!(gaps.fold(0.0, f64::max) < 3.0 * 2.0 / ROC_MAX_POINTS as f64);
    }

    #[test]
    fn binary_probabilities_give_the_positive_label_curve() {
        let t = Table::new(vec![
            ints("y", &[0, 0, 1, 1]),
            Column::new("p", ColumnData::Float(vec![0.1, 0.4, 0.35, 0.8])),
        ])
        .unwrap();
        let m = classification_quality(&t, &spec()).unwrap();
        assert_eq!(m.roc_curves.len(), 1);
        assert_eq!(m.roc_curves[0].label, "1");
        assert_eq!(m.roc_curves[0].tpr, vec![0.0, 0.5, 0.5, 1.0, 1.0]);
        let labels_only =
            Table::new(vec![ints("y", &[0, 1, 1, 0]), ints("p", &[0, 1, 1, 0])]).unwrap();
        assert!(classification_quality(&labels_only, &spec())
            .unwrap()
            .roc_curves
            .is_empty());
    }

    #[test]
    fn string_labels_need_a_pos_label() {
        let y = StrColumn::from_options([Some("cat"), Some("dog")]);
        let t = Table::new(vec![
            Column::new("y", ColumnData::Str(y.clone())),
            Column::new("p", ColumnData::Str(y)),
        ])
        .unwrap();
        let e = classification_quality(&t, &spec()).unwrap_err();
        assert!(e.to_string().contains("`y`"), "{e}");
        let s = ClassificationSpec {
            pos_label: Some("dog".into()),
            ..spec()
        };
        assert_eq!(classification_quality(&t, &s).unwrap().precision, 1.0);
    }

    #[test]
    fn multiclass_probabilities_are_checked() {
        let y = ints("y", &[0, 1, 2]);
        let cols = |a: [f64; 3], b: [f64; 3], c: [f64; 3]| {
            vec![
                y.clone(),
                Column::new("0", ColumnData::Float(a.to_vec())),
                Column::new("1", ColumnData::Float(b.to_vec())),
                Column::new("2", ColumnData::Float(c.to_vec())),
            ]
        };
        let s = ClassificationSpec {
            target: "y".into(),
            prediction: None,
            prediction_proba: vec!["0".into(), "1".into(), "2".into()],
            ..Default::default()
        };
        let t = Table::new(cols([0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8])).unwrap();
        let m = classification_quality(&t, &s).unwrap();
        assert_eq!(m.accuracy, 1.0);
        assert_eq!(m.roc_auc, Some(1.0));
        let t = Table::new(cols([0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.5])).unwrap();
        let e = classification_quality(&t, &s).unwrap_err();
        assert!(
            matches!(e, ModelQualityError::ProbabilitiesDoNotSumToOne { .. }),
            "{e}"
        );
        let s2 = ClassificationSpec {
            prediction_proba: vec!["0".into(), "1".into()],
            ..s
        };
        let t = Table::new(cols([0.8, 0.1, 0.1], [0.2, 0.9, 0.9], [0.0; 3])).unwrap();
        let e = classification_quality(&t, &s2).unwrap_err();
        assert!(
            matches!(e, ModelQualityError::LabelWithoutProbability { .. }),
            "{e}"
        );
    }

    #[test]
    fn dummy_predicts_reference_majority() {
        let reference = Table::new(vec![ints("y", &[1, 1, 0]), ints("p", &[1, 1, 0])]).unwrap();
        let current = Table::new(vec![ints("y", &[0, 0, 1, 1]), ints("p", &[0, 1, 1, 1])]).unwrap();
        let r = compute_classification(Some(&reference), &current, &spec()).unwrap();
        assert_eq!(r.dummy.source, BaselineSource::Reference);
        assert_eq!(r.dummy.majority_label, "1");
        assert_eq!(r.dummy.quality.accuracy, 0.5);
        assert_eq!(r.dummy.quality.recall, 1.0);
        assert_eq!(r.reference.as_ref().unwrap().accuracy, 1.0);
        assert_eq!(r.current.accuracy, 0.75);
    }
}
