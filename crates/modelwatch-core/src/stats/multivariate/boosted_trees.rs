//! A small gradient-boosted tree classifier for the [domain classifier](super::domain_classifier),
//! built to LightGBM's defaults as NannyML uses them (`LGBMClassifier()`: 100 trees, learning
//! rate 0.1, leaf-wise growth to at most 31 leaves, at least 20 rows and a hessian of 0.001 in
//! a leaf, no L1/L2 penalty, no row or column sampling, up to 255 histogram bins per feature).
//!
//! The loss is the binary log loss (Friedman 2001, "Greedy function approximation: a gradient
//! boosting machine"; the second-order, histogram-based form of Ke et al. 2017, "LightGBM"):
//!
//! * the raw score starts at `ln(p / (1 - p))`, `p` the share of positive labels (LightGBM's
//!   `boost_from_average`);
//! * each round, with `s_i` the score and `y_i ∈ {0, 1}` the label, `g_i = σ(s_i) - y_i` and
//!   `h_i = σ(s_i)(1 - σ(s_i))`;
//! * a tree grows leaf by leaf: the leaf whose best split has the largest gain
//!   `G_L²/H_L + G_R²/H_R - G²/H` is split next (the first such leaf, then the first feature,
//!   then the lowest bin, on ties), while the gain is positive and fewer than 31 leaves exist;
//! * a leaf's value is `-0.1 · G/H`.
//!
//! Features are bucketed once on the training rows: a feature with at most 255 distinct values
//! gets one bin per value, otherwise 255 bins of about equal counts; a split point is the
//! midpoint between neighbouring values. Missing values (NaN) get a bin of their own after the
//! largest values, so they go with the right-hand side of every split.
//!
//! **Why not a crate.** The crates on crates.io were looked at: `gbdt` (a port of an early
//! XGBoost, last released years ago), `forust-ml` (archived in favour of `perpetual`) and
//! `perpetual` (well kept, but its budget-based self-tuning replaces exactly the LightGBM
//! defaults that NannyML's rule assumes, and it brings a large dependency tree). A
//! histogram booster with LightGBM's defaults is a few hundred lines, has no random
//! parts (LightGBM's defaults sample nothing), and keeps the core free of another dependency.
//! Categorical features follow LightGBM's default rules: up to 4 categories, one category
//! against the rest; more, the categories sorted by `G / (H + 10)` and split as a prefix of
//! that order (penalty 10, at most 32 categories on a side, at least 100 rows per side);
//! missing values go right. It is not LightGBM: bin boundaries, tie-breaking and the details
//! of the categorical search differ, so AUCs agree with NannyML's within a tolerance, not
//! exactly (the committed comparison states it).

use rayon::prelude::*;

use super::MultivariateError;

/// Parameters of the booster (LightGBM's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoosterParams {
    /// Number of trees. Default 100.
    pub rounds: usize,
    /// Shrinkage of every leaf value. Default 0.1.
    pub learning_rate: f64,
    /// Most leaves per tree. Default 31.
    pub max_leaves: usize,
    /// Fewest training rows in a leaf. Default 20.
    pub min_leaf_rows: usize,
    /// Smallest sum of hessians in a leaf. Default 0.001.
    pub min_leaf_hessian: f64,
    /// Most histogram bins per feature. Default 255.
    pub max_bins: usize,
}

impl Default for BoosterParams {
    fn default() -> Self {
        BoosterParams {
            rounds: 100,
            learning_rate: 0.1,
            max_leaves: 31,
            min_leaf_rows: 20,
            min_leaf_hessian: 1e-3,
            max_bins: 255,
        }
    }
}

/// A node of one tree: a leaf value or a split that sends the rows whose bin is marked in
/// `goes_left` to `left`.
#[derive(Debug, Clone, PartialEq)]
enum TreeNode {
    Leaf(f64),
    Split {
        feature: usize,
        goes_left: Vec<bool>,
        left: usize,
        right: usize,
    },
}

/// LightGBM's defaults for categorical features: one category against the rest up to this
/// many categories (`max_cat_to_onehot`), ...
const MAX_CATEGORIES_ONE_VS_REST: usize = 4;
/// ... beyond, categories sorted by `G / (H + 10)` (`cat_smooth`) and split as a prefix of
/// that order, with an L2 penalty of 10 in the gain (`cat_l2`), ...
const CATEGORY_SMOOTHING: f64 = 10.0;
/// ... at most 32 categories on the smaller side (`max_cat_threshold`), ...
const MAX_CATEGORIES_PER_SPLIT: usize = 32;
/// ... and at least 100 rows on each side (`min_data_per_group`).
const MIN_ROWS_PER_CATEGORY_GROUP: usize = 100;

/// A fitted binary classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct BoostedTrees {
    /// Per feature, the split points between neighbouring bins, ascending.
    edges: Vec<Vec<f64>>,
    init: f64,
    trees: Vec<Vec<TreeNode>>,
    gain_by_feature: Vec<f64>,
}

/// Split points of one feature: one bin per distinct finite value when there are at most
/// `max_bins`, otherwise bins of about equal counts.
fn bin_edges(values: &[f64], max_bins: usize) -> Vec<f64> {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    finite.sort_by(f64::total_cmp);
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    for v in finite.iter().copied() {
        match distinct.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let mid = |a: f64, b: f64| a + (b - a) / 2.0;
    if distinct.len() <= max_bins.max(1) {
        return distinct.windows(2).map(|w| mid(w[0].0, w[1].0)).collect();
    }
    let per_bin = finite.len() as f64 / max_bins as f64;
    let mut edges = Vec::with_capacity(max_bins - 1);
    let mut seen = 0usize;
    for w in distinct.windows(2) {
        seen += w[0].1;
        // Close a bin once it holds its share of the rows seen so far.
        if seen as f64 >= per_bin * (edges.len() + 1) as f64 && edges.len() + 1 < max_bins {
            edges.push(mid(w[0].0, w[1].0));
        }
    }
    edges
}

fn bin_of(edges: &[f64], value: f64) -> u16 {
    if value.is_nan() {
        return (edges.len() + 1) as u16;
    }
    edges.partition_point(|&e| e < value) as u16
}

fn sigmoid(s: f64) -> f64 {
    1.0 / (1.0 + (-s).exp())
}

/// The best split of one leaf.
#[derive(Debug, Clone)]
struct SplitChoice {
    gain: f64,
    feature: usize,
    goes_left: Vec<bool>,
}

/// The bins a candidate split sends left, as cheap to keep as possible.
enum LeftBins {
    /// Bins `0..=last` (a threshold on a numerical feature).
    UpTo(usize),
    /// One category against the rest.
    Only(usize),
    /// Any set of categories.
    Listed(Vec<bool>),
}

/// Leaves with at least this many row-feature cells build their histograms feature-parallel.
const PARALLEL_HISTOGRAM_CELLS: usize = 1 << 16;

/// `G² / (H + l2)`.
fn leaf_gain(g: f64, h: f64, l2: f64) -> f64 {
    g * g / (h + l2)
}

/// Per feature, per bin: sums of gradients, hessians and the row count.
type Histogram = Vec<Vec<(f64, f64, usize)>>;

struct LeafInProgress {
    node: usize,
    rows: Vec<u32>,
    grad: f64,
    hess: f64,
    hist: Histogram,
    best: Option<SplitChoice>,
}

struct Training<'a> {
    /// Column-major bins of the training rows.
    binned: &'a [Vec<u16>],
    bins_per_feature: Vec<usize>,
    /// Whether each feature holds category codes.
    categorical: &'a [bool],
    grad: Vec<f64>,
    hess: Vec<f64>,
    params: &'a BoosterParams,
}

impl Training<'_> {
    fn histogram(&self, rows: &[u32]) -> Histogram {
        // The leaf's gradients and hessians gathered once, in row order, so that each
        // feature's pass reads them in sequence (LightGBM's ordered gradients); the sums run
        // in the same order as a direct gather, so the histogram is the same to the bit.
        let gh: Vec<(f64, f64)> = rows
            .iter()
            .map(|&r| (self.grad[r as usize], self.hess[r as usize]))
            .collect();
        let one = |(bins, &nbins): (&Vec<u16>, &usize)| {
            let mut hist = vec![(0.0f64, 0.0f64, 0usize); nbins];
            for (&r, &(g, h)) in rows.iter().zip(&gh) {
                let e = &mut hist[bins[r as usize] as usize];
                e.0 += g;
                e.1 += h;
                e.2 += 1;
            }
            hist
        };
        // Features in parallel for large leaves: the folds alone leave a core idle while
        // the last of five trains on two cores.
        if rows.len() * self.binned.len() >= PARALLEL_HISTOGRAM_CELLS {
            self.binned
                .par_iter()
                .zip(self.bins_per_feature.par_iter())
                .map(one)
                .collect()
        } else {
            self.binned
                .iter()
                .zip(&self.bins_per_feature)
                .map(one)
                .collect()
        }
    }

    fn best_split(
        &self,
        hist: &Histogram,
        rows: usize,
        grad: f64,
        hess: f64,
    ) -> Option<SplitChoice> {
        let min_rows = self.params.min_leaf_rows.max(1);
        if rows < 2 * min_rows {
            return None;
        }
        // The best split so far; its bins are listed only once it has won (a numerical
        // feature improves on its own best at many bins, each a list of up to 257 flags).
        let mut best: Option<(f64, usize, LeftBins)> = None;
        let mut consider = |gain: f64, feature: usize, left: &dyn Fn() -> LeftBins| {
            if gain > 0.0 && best.as_ref().is_none_or(|b| gain > b.0) {
                best = Some((gain, feature, left()));
            }
        };
        let allowed = |hl: f64, nl: usize, hr: f64, nr: usize| {
            nl >= min_rows
                && nr >= min_rows
                && hl >= self.params.min_leaf_hessian
                && hr >= self.params.min_leaf_hessian
        };
        for (feature, bins) in hist.iter().enumerate() {
            if self.categorical[feature] {
                // The last bin holds the missing values; they always go right.
                let used: Vec<usize> = (0..bins.len() - 1).filter(|&b| bins[b].2 > 0).collect();
                if used.len() <= MAX_CATEGORIES_ONE_VS_REST {
                    let parent = leaf_gain(grad, hess, 0.0);
                    for &c in &used {
                        let (gl, hl, nl) = bins[c];
                        let (gr, hr, nr) = (grad - gl, hess - hl, rows - nl);
                        if allowed(hl, nl, hr, nr) {
                            let gain = leaf_gain(gl, hl, 0.0) + leaf_gain(gr, hr, 0.0) - parent;
                            consider(gain, feature, &|| LeftBins::Only(c));
                        }
                    }
                    continue;
                }
                let mut order: Vec<usize> = used
                    .into_iter()
                    .filter(|&b| bins[b].1 >= CATEGORY_SMOOTHING)
                    .collect();
                let ratio = |b: usize| bins[b].0 / (bins[b].1 + CATEGORY_SMOOTHING);
                order.sort_by(|&a, &b| ratio(a).total_cmp(&ratio(b)));
                let parent = leaf_gain(grad, hess, CATEGORY_SMOOTHING);
                let limit = MAX_CATEGORIES_PER_SPLIT.min(order.len().div_ceil(2));
                for reversed in [false, true] {
                    let sequence: Vec<usize> = if reversed {
                        order.iter().rev().copied().collect()
                    } else {
                        order.clone()
                    };
                    let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0usize);
                    for (taken, &c) in sequence.iter().enumerate().take(limit) {
                        gl += bins[c].0;
                        hl += bins[c].1;
                        nl += bins[c].2;
                        let (gr, hr, nr) = (grad - gl, hess - hl, rows - nl);
                        if !allowed(hl, nl, hr, nr)
                            || nl < MIN_ROWS_PER_CATEGORY_GROUP
                            || nr < MIN_ROWS_PER_CATEGORY_GROUP
                        {
                            continue;
                        }
                        let gain = leaf_gain(gl, hl, CATEGORY_SMOOTHING)
                            + leaf_gain(gr, hr, CATEGORY_SMOOTHING)
                            - parent;
                        consider(gain, feature, &|| {
                            let mut left = vec![false; bins.len()];
                            for &b in &sequence[..=taken] {
                                left[b] = true;
                            }
                            LeftBins::Listed(left)
                        });
                    }
                }
                continue;
            }
            let parent = leaf_gain(grad, hess, 0.0);
            let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0usize);
            for (bin, &(g, h, n)) in bins.iter().enumerate().take(bins.len() - 1) {
                gl += g;
                hl += h;
                nl += n;
                let (gr, hr, nr) = (grad - gl, hess - hl, rows - nl);
                if allowed(hl, nl, hr, nr) {
                    let gain = leaf_gain(gl, hl, 0.0) + leaf_gain(gr, hr, 0.0) - parent;
                    consider(gain, feature, &|| LeftBins::UpTo(bin));
                }
            }
        }
        best.map(|(gain, feature, left)| {
            let bins = hist[feature].len();
            SplitChoice {
                gain,
                feature,
                goes_left: match left {
                    LeftBins::UpTo(last) => (0..bins).map(|b| b <= last).collect(),
                    LeftBins::Only(c) => (0..bins).map(|b| b == c).collect(),
                    LeftBins::Listed(flags) => flags,
                },
            }
        })
    }

    fn leaf(&self, node: usize, rows: Vec<u32>, hist: Histogram) -> LeafInProgress {
        let grad: f64 = rows.iter().map(|&r| self.grad[r as usize]).sum();
        let hess: f64 = rows.iter().map(|&r| self.hess[r as usize]).sum();
        let best = self.best_split(&hist, rows.len(), grad, hess);
        LeafInProgress {
            node,
            rows,
            grad,
            hess,
            hist,
            best,
        }
    }

    /// Grows one tree; adds each split's gain to `gain_by_feature`, and each leaf's value to
    /// the `scores` of the training rows it holds (what walking every row through the new
    /// tree would add, without the walk).
    fn grow(&self, gain_by_feature: &mut [f64], scores: &mut [f64]) -> Vec<TreeNode> {
        let all: Vec<u32> = (0..self.grad.len() as u32).collect();
        let mut nodes = vec![TreeNode::Leaf(0.0)];
        let hist = self.histogram(&all);
        let mut leaves = vec![self.leaf(0, all, hist)];
        while leaves.len() < self.params.max_leaves.max(1) {
            let mut pick: Option<(usize, f64)> = None;
            for (i, leaf) in leaves.iter().enumerate() {
                if let Some(s) = &leaf.best {
                    if pick.is_none_or(|(_, p)| s.gain > p) {
                        pick = Some((i, s.gain));
                    }
                }
            }
            let Some((index, _)) = pick else { break };
            let mut leaf = leaves.remove(index);
            let Some(split) = leaf.best.take() else { break };
            let bins = &self.binned[split.feature];
            let (left_rows, right_rows): (Vec<u32>, Vec<u32>) = leaf
                .rows
                .iter()
                .partition(|&&r| split.goes_left[bins[r as usize] as usize]);
            // The histogram of the smaller child is summed from its rows; the larger child's
            // is the parent's less it (LightGBM's subtraction), which halves the work.
            let left_smaller = left_rows.len() <= right_rows.len();
            let small = self.histogram(if left_smaller {
                &left_rows
            } else {
                &right_rows
            });
            let mut large = leaf.hist;
            for (lf, sf) in large.iter_mut().zip(&small) {
                for (l, s) in lf.iter_mut().zip(sf) {
                    l.0 -= s.0;
                    l.1 -= s.1;
                    l.2 -= s.2;
                }
            }
            let (left_hist, right_hist) = if left_smaller {
                (small, large)
            } else {
                (large, small)
            };
            let (left, right) = (nodes.len(), nodes.len() + 1);
            nodes.push(TreeNode::Leaf(0.0));
            nodes.push(TreeNode::Leaf(0.0));
            nodes[leaf.node] = TreeNode::Split {
                feature: split.feature,
                goes_left: split.goes_left,
                left,
                right,
            };
            gain_by_feature[split.feature] += split.gain;
            // The children take the parent's place, so ties between leaves resolve by position.
            leaves.insert(index, self.leaf(right, right_rows, right_hist));
            leaves.insert(index, self.leaf(left, left_rows, left_hist));
        }
        for leaf in leaves {
            let value = -self.params.learning_rate * leaf.grad / leaf.hess;
            nodes[leaf.node] = TreeNode::Leaf(value);
            for &r in &leaf.rows {
                scores[r as usize] += value;
            }
        }
        nodes
    }
}

fn walk(tree: &[TreeNode], bin_at: impl Fn(usize) -> u16) -> f64 {
    let mut node = 0;
    loop {
        match &tree[node] {
            TreeNode::Leaf(v) => return *v,
            TreeNode::Split {
                feature,
                goes_left,
                left,
                right,
            } => {
                node = if goes_left[bin_at(*feature) as usize] {
                    *left
                } else {
                    *right
                }
            }
        }
    }
}

impl BoostedTrees {
    /// Fits the classifier on column-major features (`columns[f][row]`, NaN missing) and
    /// labels (`true` is the positive class); `categorical[f]` marks a feature of category
    /// codes, split by category instead of by threshold.
    ///
    /// Errors: no feature, a column whose length differs from the labels', or a single class.
    pub fn fit(
        columns: &[Vec<f64>],
        categorical: &[bool],
        labels: &[bool],
        params: &BoosterParams,
    ) -> Result<Self, MultivariateError> {
        if columns.is_empty() {
            return Err(MultivariateError::NoColumns);
        }
        if categorical.len() != columns.len() {
            return Err(MultivariateError::InvalidParameter(format!(
                "{} categorical flags for {} features",
                categorical.len(),
                columns.len()
            )));
        }
        if let Some(c) = columns.iter().position(|c| c.len() != labels.len()) {
            return Err(MultivariateError::RaggedColumns {
                column: format!("feature {c}"),
                rows: columns[c].len(),
                expected: labels.len(),
            });
        }
        if params.max_bins == 0 || params.max_bins > u16::MAX as usize - 2 {
            return Err(MultivariateError::InvalidParameter(format!(
                "max_bins must be between 1 and {}, got {}",
                u16::MAX - 2,
                params.max_bins
            )));
        }
        let positives = labels.iter().filter(|&&y| y).count();
        if positives == 0 || positives == labels.len() {
            return Err(MultivariateError::Degenerate(
                "the classifier cannot be trained on a single class".to_string(),
            ));
        }
        let edges: Vec<Vec<f64>> = columns
            .iter()
            .map(|c| bin_edges(c, params.max_bins))
            .collect();
        let binned: Vec<Vec<u16>> = columns
            .iter()
            .zip(&edges)
            .map(|(c, e)| c.iter().map(|&v| bin_of(e, v)).collect())
            .collect();
        let p = positives as f64 / labels.len() as f64;
        let init = (p / (1.0 - p)).ln();
        let mut scores = vec![init; labels.len()];
        let mut training = Training {
            binned: &binned,
            bins_per_feature: edges.iter().map(|e| e.len() + 2).collect(),
            categorical,
            grad: vec![0.0; labels.len()],
            hess: vec![0.0; labels.len()],
            params,
        };
        let mut gain_by_feature = vec![0.0; columns.len()];
        let mut trees = Vec::with_capacity(params.rounds);
        for _ in 0..params.rounds {
            for (i, (&s, &y)) in scores.iter().zip(labels).enumerate() {
                let q = sigmoid(s);
                training.grad[i] = q - if y { 1.0 } else { 0.0 };
                training.hess[i] = q * (1.0 - q);
            }
            trees.push(training.grow(&mut gain_by_feature, &mut scores));
        }
        Ok(BoostedTrees {
            edges,
            init,
            trees,
            gain_by_feature,
        })
    }

    /// The probability of the positive class for each row of `columns` (laid out as for
    /// [`BoostedTrees::fit`]).
    pub fn predict_probability(&self, columns: &[Vec<f64>]) -> Vec<f64> {
        let rows = columns.first().map_or(0, Vec::len);
        // Each value binned once, not by a binary search at every split that reads it.
        let binned: Vec<Vec<u16>> = columns
            .iter()
            .zip(&self.edges)
            .map(|(c, e)| c.iter().map(|&v| bin_of(e, v)).collect())
            .collect();
        (0..rows)
            .map(|i| {
                let bin_at = |f: usize| binned[f][i];
                let s: f64 = self.init + self.trees.iter().map(|t| walk(t, bin_at)).sum::<f64>();
                sigmoid(s)
            })
            .collect()
    }

    /// The total split gain of each feature over all trees (LightGBM's `importance_type="gain"`).
    pub fn gain_by_feature(&self) -> &[f64] {
        &self.gain_by_feature
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_midpoints_or_equal_count_bins() {
        assert_eq!(
            bin_edges(&[3.0, 1.0, 2.0, 2.0, f64::NAN], 255),
            vec![1.5, 2.5]
        );
        let many: Vec<f64> = (0..1000).map(f64::from).collect();
        let e = bin_edges(&many, 10);
        assert_eq!(e.len(), 9);
        assert_eq!(e[0], 99.5);
        assert_eq!(bin_of(&e, -5.0), 0);
        assert_eq!(bin_of(&e, 999.0), 9);
        assert_eq!(bin_of(&e, f64::NAN), 10);
    }

    #[test]
    fn learns_a_quadrant_rule_and_is_deterministic() {
        // Label: x and y have the same sign (an interaction no single column shows).
        let n = 400;
        let x: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 - 50.0).collect();
        let y: Vec<f64> = (0..n).map(|i| ((i * 53) % 97) as f64 - 48.0).collect();
        let labels: Vec<bool> = x.iter().zip(&y).map(|(a, b)| a * b > 0.0).collect();
        let columns = vec![x, y];
        let model = BoostedTrees::fit(
            &columns,
            &[false, false],
            &labels,
            &BoosterParams::default(),
        )
        .unwrap();
        let p = model.predict_probability(&columns);
        let correct = p
            .iter()
            .zip(&labels)
            .filter(|(p, &l)| (**p > 0.5) == l)
            .count();
        assert!(correct as f64 / n as f64 > 0.95, "{correct}");
        let again = BoostedTrees::fit(
            &columns,
            &[false, false],
            &labels,
            &BoosterParams::default(),
        )
        .unwrap();
        assert_eq!(model, again);
        assert!(model.gain_by_feature().iter().all(|&g| g > 0.0));
    }

    #[test]
    fn single_class_is_an_error() {
        let e = BoostedTrees::fit(
            &[vec![1.0, 2.0]],
            &[false],
            &[true, true],
            &BoosterParams::default(),
        );
        assert!(matches!(e, Err(MultivariateError::Degenerate(_))));
        let e = BoostedTrees::fit(&[], &[], &[true, false], &BoosterParams::default());
        assert_eq!(e, Err(MultivariateError::NoColumns));
    }
}
