//! NannyML's domain classifier (`DomainClassifierCalculator`, NannyML 0.13): a classifier
//! learns to tell current rows from reference rows; the better it does, the more the joint
//! distribution has moved (the classifier two-sample test of Lopez-Paz and Oquab 2017,
//! "Revisiting classifier two-sample tests").
//!
//! As NannyML runs it for one window:
//!
//! * the rows of the whole reference (label 0) and of the window (label 1) are pooled,
//!   reference first;
//! * 5-fold stratified cross-validation without shuffling (scikit-learn's
//!   `StratifiedKFold(n_splits=5)`: the rows of each label, in order, are cut into 5
//!   consecutive blocks whose sizes come from dealing the sorted labels round-robin);
//! * on each fold a gradient-boosted tree classifier is trained on the other four and
//!   predicts the probability of "current" for the held-out rows;
//! * the score is the ROC AUC of all held-out predictions together;
//! * drift when the AUC leaves `[0.45, 0.65]` (NannyML's default `ConstantThreshold`).
//!
//! The classifier is [`super::boosted_trees`] with LightGBM's defaults, not LightGBM itself
//! (the reason is given there): categorical columns enter as the rank of the category among
//! the reference's and the window's categories in sorted order, split by category as
//! LightGBM splits NannyML's ordinal codes; missing values enter as NaN. With a
//! different learner the AUCs cannot equal NannyML's; the committed comparison checks that
//! the verdicts agree and the AUCs lie within the tolerance stated there.
//!
//! The result also names the columns that contribute most: each column's share of the total
//! split gain of the five fold models (LightGBM's `importance_type="gain"`). Nothing here is
//! random: the folds are NannyML's fixed ones and the booster samples nothing.

use rayon::prelude::*;
use serde::Serialize;

use super::boosted_trees::{BoostedTrees, BoosterParams};
use super::{check_sides, FeatureColumn, FeatureValues, MultivariateError};
use crate::model_quality::classification::roc_auc;

/// Parameters of the domain classifier (NannyML's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DomainClassifierParams {
    /// Number of cross-validation folds. Default 5.
    pub folds: usize,
    /// Drift when the AUC is below this. Default 0.45.
    pub lower_threshold: f64,
    /// Drift when the AUC is above this. Default 0.65.
    pub upper_threshold: f64,
    /// The booster's parameters.
    pub booster: BoosterParams,
}

impl Default for DomainClassifierParams {
    fn default() -> Self {
        DomainClassifierParams {
            folds: 5,
            lower_threshold: 0.45,
            upper_threshold: 0.65,
            booster: BoosterParams::default(),
        }
    }
}

/// One column's part in telling the sides apart.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ColumnContribution {
    /// The column.
    pub column: String,
    /// Its share of the total split gain (the shares add up to 1).
    pub gain_share: f64,
}

/// The result of the domain classifier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainClassifierDrift {
    /// ROC AUC of the cross-validated predictions.
    pub auc: f64,
    /// Lower edge of the no-drift band.
    pub lower_threshold: f64,
    /// Upper edge of the no-drift band.
    pub upper_threshold: f64,
    /// Whether the AUC is outside the band.
    pub drifted: bool,
    /// Every column with its gain share, largest first.
    pub contributions: Vec<ColumnContribution>,
}

/// scikit-learn's `StratifiedKFold(n_splits=folds, shuffle=False)` test fold of each row for
/// labels `labels` (`true` = current); every row in fold 0 when `folds` is 0 or 1.
pub fn stratified_folds(labels: &[bool], folds: usize) -> Vec<usize> {
    let folds = folds.max(1);
    // Classes are numbered by first appearance, and the sorted encoded labels are dealt
    // round-robin to the folds: fold f gets, of class k, the number of positions p ≡ f
    // (mod folds) within that class's block of the sorted labels.
    let first = labels.first().copied().unwrap_or(false);
    let class_of = |y: bool| usize::from(y != first);
    let counts = [
        labels.iter().filter(|&&y| class_of(y) == 0).count(),
        labels.iter().filter(|&&y| class_of(y) == 1).count(),
    ];
    let mut allocation = vec![[0usize; 2]; folds];
    for p in 0..labels.len() {
        let class = usize::from(p >= counts[0]);
        allocation[p % folds][class] += 1;
    }
    let mut next_fold = [0usize; 2];
    let mut used = [0usize; 2];
    labels
        .iter()
        .map(|&y| {
            let k = class_of(y);
            while used[k] >= allocation[next_fold[k]][k] {
                used[k] = 0;
                next_fold[k] += 1;
            }
            used[k] += 1;
            next_fold[k]
        })
        .collect()
}

/// Both sides' columns as numbers, pooled (reference rows first), column-major.
fn pooled_features(
    reference: &[FeatureColumn<'_>],
    current: &[FeatureColumn<'_>],
) -> Vec<Vec<f64>> {
    reference
        .iter()
        .zip(current)
        .map(|(r, c)| match (&r.values, &c.values) {
            (FeatureValues::Numerical(a), FeatureValues::Numerical(b)) => a
                .iter()
                .chain(b.iter())
                .map(|v| if v.is_finite() { *v } else { f64::NAN })
                .collect(),
            (FeatureValues::Categorical(a), FeatureValues::Categorical(b)) => {
                let mut levels: Vec<&str> = a.iter().chain(b.iter()).flatten().copied().collect();
                levels.sort_unstable();
                levels.dedup();
                a.iter()
                    .chain(b.iter())
                    .map(|v| match v {
                        Some(s) => levels.binary_search(s).map_or(f64::NAN, |i| i as f64),
                        None => f64::NAN,
                    })
                    .collect()
            }
            // check_sides guarantees the kinds agree.
            _ => Vec::new(),
        })
        .collect()
}

fn rows_of(columns: &[Vec<f64>], rows: &[usize]) -> Vec<Vec<f64>> {
    columns
        .iter()
        .map(|c| rows.iter().map(|&r| c[r]).collect())
        .collect()
}

/// The domain classifier's drift verdict for `current` (one window) against `reference`.
///
/// Errors: columns that differ between the sides; a side with no rows (a single class, the
/// classifier cannot be trained); a side with fewer rows than folds; thresholds out of order.
pub fn domain_classifier_drift(
    reference: &[FeatureColumn<'_>],
    current: &[FeatureColumn<'_>],
    params: &DomainClassifierParams,
) -> Result<DomainClassifierDrift, MultivariateError> {
    let (reference_rows, current_rows) = check_sides(reference, current)?;
    for (side, rows) in [("reference", reference_rows), ("current", current_rows)] {
        if rows == 0 {
            return Err(MultivariateError::Degenerate(format!(
                "the domain classifier cannot be trained: there are no {side} rows, so only one \
                 class"
            )));
        }
    }
    if params.folds < 2 {
        return Err(MultivariateError::InvalidParameter(format!(
            "the domain classifier needs at least 2 folds, got {}",
            params.folds
        )));
    }
    // NaN thresholds are refused too.
    if params.lower_threshold.partial_cmp(&params.upper_threshold)
        == Some(std::cmp::Ordering::Greater)
        || params.lower_threshold.is_nan()
        || params.upper_threshold.is_nan()
    {
        return Err(MultivariateError::InvalidParameter(format!(
            "lower_threshold {} is above upper_threshold {}",
            params.lower_threshold, params.upper_threshold
        )));
    }
    super::need_rows(
        "domain classifier",
        "reference",
        params.folds,
        reference_rows,
    )?;
    super::need_rows("domain classifier", "current", params.folds, current_rows)?;

    let features = pooled_features(reference, current);
    let categorical: Vec<bool> = reference
        .iter()
        .map(|c| matches!(c.values, FeatureValues::Categorical(_)))
        .collect();
    let labels: Vec<bool> = (0..reference_rows + current_rows)
        .map(|i| i >= reference_rows)
        .collect();
    let fold_of = stratified_folds(&labels, params.folds);
    // The folds train in parallel; their results are joined in fold order, so the AUC does
    // not depend on the scheduling.
    let fitted: Vec<(Vec<usize>, Vec<f64>, Vec<f64>)> = (0..params.folds)
        .into_par_iter()
        .map(|fold| {
            let (test, train): (Vec<usize>, Vec<usize>) =
                (0..labels.len()).partition(|&i| fold_of[i] == fold);
            let train_labels: Vec<bool> = train.iter().map(|&i| labels[i]).collect();
            let model = BoostedTrees::fit(
                &rows_of(&features, &train),
                &categorical,
                &train_labels,
                &params.booster,
            )?;
            let scores = model.predict_probability(&rows_of(&features, &test));
            Ok((test, scores, model.gain_by_feature().to_vec()))
        })
        .collect::<Result<_, MultivariateError>>()?;
    let mut held_out_labels = Vec::with_capacity(labels.len());
    let mut held_out_scores = Vec::with_capacity(labels.len());
    let mut gain = vec![0.0; features.len()];
    for (test, scores, fold_gain) in fitted {
        held_out_labels.extend(test.iter().map(|&i| labels[i]));
        held_out_scores.extend(scores);
        for (g, m) in gain.iter_mut().zip(&fold_gain) {
            *g += m;
        }
    }
    let auc = roc_auc(&held_out_labels, &held_out_scores).ok_or_else(|| {
        MultivariateError::Degenerate("the held-out rows hold a single class".to_string())
    })?;
    let total: f64 = gain.iter().sum();
    let mut contributions: Vec<ColumnContribution> = reference
        .iter()
        .zip(&gain)
        .map(|(c, g)| ColumnContribution {
            column: c.name.to_string(),
            gain_share: if total > 0.0 { g / total } else { 0.0 },
        })
        .collect();
    contributions.sort_by(|a, b| b.gain_share.total_cmp(&a.gain_share));
    Ok(DomainClassifierDrift {
        auc,
        lower_threshold: params.lower_threshold,
        upper_threshold: params.upper_threshold,
        drifted: auc < params.lower_threshold || auc > params.upper_threshold,
        contributions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_match_scikit_learn() {
        // StratifiedKFold(5).split(zeros(13), [0]*8 + [1]*5): test folds of each row
        // [0, 0, 1, 1, 2, 2, 3, 4, 0, 1, 2, 3, 4]
        let labels: Vec<bool> = (0..13).map(|i| i >= 8).collect();
        assert_eq!(
            stratified_folds(&labels, 5),
            vec![0, 0, 1, 1, 2, 2, 3, 4, 0, 1, 2, 3, 4]
        );
        // No folds to deal to is one fold, not a division by zero.
        assert_eq!(stratified_folds(&labels, 0), vec![0; 13]);
    }

    #[test]
    fn a_single_class_is_an_error() {
        let x: Vec<f64> = (0..50).map(f64::from).collect();
        let empty: [f64; 0] = [];
        let r = [FeatureColumn::numerical("x", &x)];
        let c = [FeatureColumn::numerical("x", &empty)];
        let e = domain_classifier_drift(&r, &c, &DomainClassifierParams::default()).unwrap_err();
        assert!(e.to_string().contains("only one class"), "{e}");
        let one = [1.0];
        let c = [FeatureColumn::numerical("x", &one)];
        assert!(matches!(
            domain_classifier_drift(&c, &r, &DomainClassifierParams::default()),
            Err(MultivariateError::TooFewRows {
                side: "reference",
                got: 1,
                ..
            })
        ));
    }

    #[test]
    fn a_shifted_column_is_found_and_named() {
        let a: Vec<f64> = (0..300).map(|i| ((i * 37) % 101) as f64).collect();
        let noise: Vec<f64> = (0..300).map(|i| ((i * 53) % 97) as f64).collect();
        let b: Vec<f64> = a.iter().map(|v| v + 60.0).collect();
        let r = [
            FeatureColumn::numerical("noise", &noise),
            FeatureColumn::numerical("x", &a),
        ];
        let c = [
            FeatureColumn::numerical("noise", &noise),
            FeatureColumn::numerical("x", &b),
        ];
        let got = domain_classifier_drift(&r, &c, &DomainClassifierParams::default()).unwrap();
        assert!(got.drifted && got.auc > 0.75, "{got:?}");
        assert_eq!(got.contributions[0].column, "x");
        let same = domain_classifier_drift(&r, &r, &DomainClassifierParams::default()).unwrap();
        assert!(!same.drifted, "{same:?}");
    }
}
