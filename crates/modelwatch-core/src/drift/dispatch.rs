//! From a column pair and a method to a score: prepares the samples each method takes
//! (sorted values, category counts, or Evidently's binned shares) and calls the statistic.

use super::distribution::{self, ColumnDistribution};
use super::method::DriftMethod;
use super::sample::{
    category_counts, distinct_pooled_up_to, distinct_value_counts, numeric_values, CategoryCounts,
    Dropped,
};
use super::settings::{MMD_PERMUTATIONS, TVD_PERMUTATIONS};
use super::untested::{DatasetSide, UntestedReason};
use crate::schema::ColumnType;
use crate::stats::text_drift::{text_content_drift, TextDriftExplanation, TextDriftParams};
use crate::stats::{self, binning, StatError};
use crate::table::{ColumnData, MISSING_CODE};

/// The default-method rule distinguishes at most 2, at most 5 and more distinct values.
const DEFAULT_RULE_DISTINCT_CAP: usize = 6;

/// A scored column: the method used (when one applies), and the score or why not.
pub(super) struct Scored {
    pub method: Option<DriftMethod>,
    pub score: Result<f64, UntestedReason>,
    pub reference_dropped: Dropped,
    pub current_dropped: Dropped,
    /// Counts for charts, from the prepared samples.
    pub distribution: Option<ColumnDistribution>,
    /// A text drift method's verdict (its rule is not a plain comparison of the score with
    /// the threshold) and its explanation.
    pub text_drift: Option<(bool, TextDriftExplanation)>,
}

/// The prepared samples of a column.
enum Prepared {
    Numeric {
        reference: Vec<f64>,
        current: Vec<f64>,
    },
    Categorical(CategoryCounts),
}

/// Prepares the samples, picks the method and computes the score. `Err` only when the
/// column cannot even be prepared (e.g. strings declared numerical).
pub(super) fn score_column(
    reference: &ColumnData,
    current: &ColumnData,
    ty: ColumnType,
    chosen: Option<DriftMethod>,
    seed: u64,
    threshold_for: &dyn Fn(DriftMethod) -> f64,
) -> Result<Scored, UntestedReason> {
    let (prepared, rd, cd) = match ty {
        ColumnType::Numerical => {
            let Some((r, rd)) = numeric_values(reference) else {
                return Err(UntestedReason::unreadable(
                    DatasetSide::Reference,
                    reference,
                    ty,
                ));
            };
            let Some((c, cd)) = numeric_values(current) else {
                return Err(UntestedReason::unreadable(
                    DatasetSide::Current,
                    current,
                    ty,
                ));
            };
            (
                Prepared::Numeric {
                    reference: r,
                    current: c,
                },
                rd,
                cd,
            )
        }
        ColumnType::Categorical => {
            let (counts, rd, cd) = category_counts(reference, current);
            (Prepared::Categorical(counts), rd, cd)
        }
        ColumnType::Text => return score_text(reference, current, chosen, threshold_for),
        ColumnType::Datetime => return Err(UntestedReason::DatetimeColumn),
    };

    let distribution = Some(match &prepared {
        Prepared::Numeric { reference, current } => {
            distribution::histogram(reference, current, rd.missing as u64, cd.missing as u64)
        }
        Prepared::Categorical(c) => {
            distribution::categories(c, rd.missing as u64, cd.missing as u64)
        }
    });

    let (ref_n, cur_n) = match &prepared {
        Prepared::Numeric { reference, current } => (reference.len(), current.len()),
        Prepared::Categorical(c) => (c.reference_total() as usize, c.current_total() as usize),
    };
    let empty = if ref_n == 0 {
        Some(DatasetSide::Reference)
    } else if cur_n == 0 {
        Some(DatasetSide::Current)
    } else {
        None
    };

    let method = match chosen {
        Some(m) => {
            if !m.applies_to(ty) {
                return Ok(Scored {
                    method: Some(m),
                    score: Err(UntestedReason::MethodDoesNotApply {
                        method: m,
                        column_type: ty,
                    }),
                    reference_dropped: rd,
                    current_dropped: cd,
                    distribution,
                    text_drift: None,
                });
            }
            m
        }
        None => {
            // Only the default rule needs the number of distinct values.
            let distinct = match &prepared {
                Prepared::Numeric { reference, current } => {
                    distinct_pooled_up_to(reference, current, DEFAULT_RULE_DISTINCT_CAP)
                }
                Prepared::Categorical(c) => c.keys.len(),
            };
            DriftMethod::default_for(ty, ref_n, distinct).expect("numerical or categorical")
        }
    };
    if let Some(side) = empty {
        return Ok(Scored {
            method: Some(method),
            score: Err(UntestedReason::NoValues(side)),
            reference_dropped: rd,
            current_dropped: cd,
            distribution,
            text_drift: None,
        });
    }
    let score =
        compute(method, &prepared, seed).map_err(|e| UntestedReason::Statistic(e.to_string()));
    Ok(Scored {
        method: Some(method),
        score,
        reference_dropped: rd,
        current_dropped: cd,
        distribution,
        text_drift: None,
    })
}

/// The non-missing texts of a column in row order. A column of another physical type is
/// readable only when all missing (an empty column read as numbers).
fn text_values(data: &ColumnData) -> Option<(Vec<&str>, Dropped)> {
    match data {
        ColumnData::Str(s) => {
            let texts: Vec<&str> = (0..s.len()).filter_map(|row| s.get(row)).collect();
            let missing = s.len() - texts.len();
            Some((
                texts,
                Dropped {
                    missing,
                    infinite: 0,
                },
            ))
        }
        other if other.all_missing() => Some((
            Vec::new(),
            Dropped {
                missing: other.len(),
                infinite: 0,
            },
        )),
        _ => None,
    }
}

/// A text column: the text drift methods (Evidently's default rule picks one by the
/// reference size); any other method keeps the column untested.
fn score_text(
    reference: &ColumnData,
    current: &ColumnData,
    chosen: Option<DriftMethod>,
    threshold_for: &dyn Fn(DriftMethod) -> f64,
) -> Result<Scored, UntestedReason> {
    let ty = ColumnType::Text;
    let (distribution, rd, cd) = match (reference, current) {
        (ColumnData::Str(r), ColumnData::Str(c)) => {
            let missing = |s: &crate::table::StrColumn| Dropped {
                missing: s.codes.iter().filter(|&&c| c == MISSING_CODE).count(),
                infinite: 0,
            };
            (
                distribution::string_categories(r, c),
                missing(r),
                missing(c),
            )
        }
        _ => {
            let (counts, rd, cd) = category_counts(reference, current);
            let d = distribution::categories(&counts, rd.missing as u64, cd.missing as u64);
            (d, rd, cd)
        }
    };
    let distribution = Some(distribution);
    let untested = |method, why| Scored {
        method,
        score: Err(why),
        reference_dropped: rd,
        current_dropped: cd,
        distribution: distribution.clone(),
        text_drift: None,
    };
    if let Some(m) = chosen.filter(|m| !m.applies_to(ty)) {
        return Ok(untested(Some(m), UntestedReason::TextColumn(m)));
    }
    let Some((r, _)) = text_values(reference) else {
        return Err(UntestedReason::unreadable(
            DatasetSide::Reference,
            reference,
            ty,
        ));
    };
    let Some((c, _)) = text_values(current) else {
        return Err(UntestedReason::unreadable(
            DatasetSide::Current,
            current,
            ty,
        ));
    };
    let method = chosen.unwrap_or_else(|| {
        DriftMethod::default_for(ty, r.len(), 0).expect("text columns have a default")
    });
    if r.is_empty() {
        return Ok(untested(
            Some(method),
            UntestedReason::NoValues(DatasetSide::Reference),
        ));
    }
    if c.is_empty() {
        return Ok(untested(
            Some(method),
            UntestedReason::NoValues(DatasetSide::Current),
        ));
    }
    let params = TextDriftParams {
        threshold: threshold_for(method),
        bootstrap: method == DriftMethod::PercTextContentDrift,
    };
    match text_content_drift(&r, &c, &params) {
        Ok(result) => Ok(Scored {
            method: Some(method),
            score: Ok(result.auc),
            reference_dropped: rd,
            current_dropped: cd,
            distribution,
            text_drift: Some((result.drifted, result.explanation)),
        }),
        Err(e) => Ok(untested(
            Some(method),
            UntestedReason::Statistic(e.to_string()),
        )),
    }
}

/// Category counts of a prepared column (distinct values for a numeric one).
fn counts_of(prepared: &Prepared) -> std::borrow::Cow<'_, CategoryCounts> {
    match prepared {
        Prepared::Categorical(c) => std::borrow::Cow::Borrowed(c),
        Prepared::Numeric { reference, current } => {
            std::borrow::Cow::Owned(distinct_value_counts(reference, current))
        }
    }
}

/// Evidently's `get_binned_data`: Sturges bins for numeric columns with many distinct
/// reference values, one bin per value otherwise (see [`binning::numeric_binned_shares`]).
fn binned_shares(
    prepared: &Prepared,
    fill_zeros: bool,
) -> Result<binning::BinnedShares, StatError> {
    match prepared {
        Prepared::Numeric { reference, current } => {
            binning::numeric_binned_shares(reference, current, fill_zeros)
        }
        Prepared::Categorical(c) => binning::count_shares(&c.reference, &c.current, fill_zeros),
    }
}

fn compute(method: DriftMethod, prepared: &Prepared, seed: u64) -> Result<f64, StatError> {
    use DriftMethod::*;
    match method {
        Ks | Wasserstein | Anderson | CramerVonMises | EnergyDistance | EppsSingleton
        | MannWhitney | TTest | EmpiricalMmd => {
            let Prepared::Numeric {
                reference: r,
                current: c,
            } = prepared
            else {
                return Err(StatError::Unsupported(format!(
                    "method `{method}` needs numerical values"
                )));
            };
            match method {
                Ks => Ok(stats::ks::ks_two_sample(r, c)?.p_value),
                Wasserstein => stats::wasserstein::wasserstein_normed(r, c),
                Anderson => Ok(stats::anderson::anderson_ksamp_two(r, c)?.p_value),
                CramerVonMises => {
                    Ok(stats::cramer_von_mises::cramer_von_mises_two_sample(r, c)?.p_value)
                }
                EnergyDistance => stats::energy::energy_distance(r, c),
                EppsSingleton => Ok(stats::epps_singleton::epps_singleton(r, c)?.p_value),
                MannWhitney => Ok(stats::mann_whitney::mann_whitney_u(r, c)?.p_value),
                TTest => Ok(stats::t_test::t_test_ind(r, c)?.p_value),
                EmpiricalMmd => {
                    Ok(stats::mmd::mmd_permutation(r, c, MMD_PERMUTATIONS, seed)?.p_value)
                }
                _ => unreachable!(),
            }
        }
        ChiSquare => {
            let c = counts_of(prepared);
            stats::chisquare::chisquare_scaled(&c.reference, &c.current)
        }
        Z => {
            let c = counts_of(prepared);
            stats::z_test::z_test_proportions(&c.reference, &c.current)
        }
        FisherExact => {
            let c = counts_of(prepared);
            stats::fisher::fisher_exact_counts(&c.reference, &c.current)
        }
        GTest => {
            let c = counts_of(prepared);
            stats::g_test::g_test_scaled(&c.reference, &c.current)
        }
        Tvd => {
            let c = counts_of(prepared);
            Ok(
                stats::tvd::tvd_permutation(&c.reference, &c.current, TVD_PERMUTATIONS, seed)?
                    .p_value,
            )
        }
        Psi => {
            let b = binned_shares(prepared, true)?;
            Ok(stats::divergence::psi(&b.reference, &b.current))
        }
        KlDiv => {
            let b = binned_shares(prepared, true)?;
            Ok(stats::divergence::kl_div(&b.reference, &b.current))
        }
        JensenShannon => {
            let b = binned_shares(prepared, false)?;
            Ok(stats::divergence::jensenshannon(&b.reference, &b.current))
        }
        Hellinger => match prepared {
            Prepared::Numeric { reference, current } => {
                stats::hellinger::hellinger_numeric(reference, current)
            }
            Prepared::Categorical(c) => {
                stats::hellinger::hellinger_counts(&c.reference, &c.current)
            }
        },
        AbsTextContentDrift | PercTextContentDrift => Err(StatError::Unsupported(format!(
            "method `{method}` needs text values"
        ))),
    }
}
