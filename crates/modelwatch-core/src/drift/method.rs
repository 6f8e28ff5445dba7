//! The drift methods by name, with Evidently 0.7's default thresholds, drift rules and the
//! column types each applies to.

use serde::{Deserialize, Serialize};

use crate::schema::ColumnType;

/// A drift detection method. Names are Evidently's, so settings carry over.
// Read through `from_name`, so that a settings file accepts what a flag accepts and a typo
// gets the same suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub enum DriftMethod {
    /// Two-sample Kolmogorov–Smirnov p-value (`scipy.stats.ks_2samp`); numerical columns.
    #[serde(rename = "ks")]
    Ks,
    /// Pearson chi-square p-value of current counts against reference counts rescaled to the
    /// current size (`scipy.stats.chisquare`); categorical columns.
    #[serde(rename = "chisquare")]
    ChiSquare,
    /// Two-proportion z-test p-value, first category against all others; categorical columns.
    #[serde(rename = "z")]
    Z,
    /// First Wasserstein distance divided by the reference standard deviation (Evidently's
    /// `wasserstein_distance_norm`); numerical columns.
    #[serde(rename = "wasserstein")]
    Wasserstein,
    /// Jensen-Shannon distance (`scipy.spatial.distance.jensenshannon`, natural log) between binned
    /// shares, in `[0, sqrt(ln 2)]`; numerical and categorical columns.
    #[serde(rename = "jensenshannon")]
    JensenShannon,
    /// Population stability index between binned shares (zero shares filled), `>= 0`; numerical and
    /// categorical columns.
    #[serde(rename = "psi")]
    Psi,
    /// Kullback-Leibler divergence `D(reference ‖ current)` between binned shares (zero shares
    /// filled), in nats; numerical and categorical columns.
    #[serde(rename = "kl_div")]
    KlDiv,
    /// Hellinger distance `sqrt(1 - BC)` between category shares or density histograms, in
    /// `[0, 1]`; numerical and categorical columns.
    #[serde(rename = "hellinger")]
    Hellinger,
    /// Two-sample Anderson–Darling p-value (`scipy.stats.anderson_ksamp`), capped to
    /// `[0.001, 0.25]`; numerical columns.
    #[serde(rename = "anderson")]
    Anderson,
    /// Two-sample Cramér–von Mises p-value (Evidently's copy of
    /// `scipy.stats.cramervonmises_2samp`); numerical columns.
    #[serde(rename = "cramer_von_mises")]
    CramerVonMises,
    /// Energy distance (`scipy.stats.energy_distance`), unnormalised; numerical columns.
    #[serde(rename = "ed")]
    EnergyDistance,
    /// Epps-Singleton p-value (`scipy.stats.epps_singleton_2samp`, `t = (0.4, 0.8)`); numerical
    /// columns.
    #[serde(rename = "es")]
    EppsSingleton,
    /// Two-sided Fisher's exact p-value on the 2×2 table of a binary column
    /// (`scipy.stats.fisher_exact`).
    #[serde(rename = "fisher_exact")]
    FisherExact,
    /// Log-likelihood-ratio (G) test p-value, expected counts scaled to the current size;
    /// categorical columns.
    #[serde(rename = "g_test")]
    GTest,
    /// Two-sided Mann-Whitney U p-value (Evidently reports the one-sided one; see
    /// `stats::mann_whitney`); numerical columns.
    #[serde(rename = "mannw")]
    MannWhitney,
    /// Student's equal-variance two-sample t-test p-value (`scipy.stats.ttest_ind`); numerical
    /// columns.
    #[serde(rename = "t_test")]
    TTest,
    /// Permutation p-value of the unbiased squared MMD with an RBF kernel; numerical columns.
    #[serde(rename = "empirical_mmd")]
    EmpiricalMmd,
    /// Permutation p-value of the total variation distance between category shares; categorical
    /// columns.
    #[serde(rename = "TVD")]
    Tvd,
    /// ROC AUC of a domain classifier on TF-IDF features telling current texts from
    /// reference texts, drift when above the threshold; text columns
    /// (`stats::text_drift`).
    #[serde(rename = "abs_text_content_drift")]
    AbsTextContentDrift,
    /// The same ROC AUC, drift when above the `threshold` percentile of 1,000 AUCs of
    /// random scores; text columns (`stats::text_drift`).
    #[serde(rename = "perc_text_content_drift")]
    PercTextContentDrift,
}

/// How a score is compared with its threshold to flag drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftRule {
    /// A p-value: drift when `score < threshold`.
    PValueBelow,
    /// A p-value: drift when `score <= threshold` (Evidently's `ks` and `cramer_von_mises`).
    PValueAtMost,
    /// A distance: drift when `score >= threshold`.
    DistanceAtLeast,
    /// A distance: drift when `score > threshold` (Evidently's `ed`).
    DistanceAbove,
}

impl DriftRule {
    /// Whether `score` (a p-value or a distance) counts as drift against `threshold`.
    pub fn drifted(self, score: f64, threshold: f64) -> bool {
        match self {
            DriftRule::PValueBelow => score < threshold,
            DriftRule::PValueAtMost => score <= threshold,
            DriftRule::DistanceAtLeast => score >= threshold,
            DriftRule::DistanceAbove => score > threshold,
        }
    }

    /// Whether the score is a p-value (small means drift) rather than a distance.
    pub fn is_p_value(self) -> bool {
        matches!(self, DriftRule::PValueBelow | DriftRule::PValueAtMost)
    }
}

/// An unknown method name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown drift method `{0}` ({hint})", hint = crate::suggest::hint(.0, &DriftMethod::names(), Some("docs/statistics.md")))]
pub struct UnknownMethod(pub String);

impl DriftMethod {
    /// Every method, in declaration order; [`DriftMethod::names`] and error messages follow it.
    pub const ALL: [DriftMethod; 20] = [
        DriftMethod::Ks,
        DriftMethod::ChiSquare,
        DriftMethod::Z,
        DriftMethod::Wasserstein,
        DriftMethod::JensenShannon,
        DriftMethod::Psi,
        DriftMethod::KlDiv,
        DriftMethod::Hellinger,
        DriftMethod::Anderson,
        DriftMethod::CramerVonMises,
        DriftMethod::EnergyDistance,
        DriftMethod::EppsSingleton,
        DriftMethod::FisherExact,
        DriftMethod::GTest,
        DriftMethod::MannWhitney,
        DriftMethod::TTest,
        DriftMethod::EmpiricalMmd,
        DriftMethod::Tvd,
        DriftMethod::AbsTextContentDrift,
        DriftMethod::PercTextContentDrift,
    ];

    /// Evidently's name of the method.
    pub fn name(self) -> &'static str {
        match self {
            DriftMethod::Ks => "ks",
            DriftMethod::ChiSquare => "chisquare",
            DriftMethod::Z => "z",
            DriftMethod::Wasserstein => "wasserstein",
            DriftMethod::JensenShannon => "jensenshannon",
            DriftMethod::Psi => "psi",
            DriftMethod::KlDiv => "kl_div",
            DriftMethod::Hellinger => "hellinger",
            DriftMethod::Anderson => "anderson",
            DriftMethod::CramerVonMises => "cramer_von_mises",
            DriftMethod::EnergyDistance => "ed",
            DriftMethod::EppsSingleton => "es",
            DriftMethod::FisherExact => "fisher_exact",
            DriftMethod::GTest => "g_test",
            DriftMethod::MannWhitney => "mannw",
            DriftMethod::TTest => "t_test",
            DriftMethod::EmpiricalMmd => "empirical_mmd",
            DriftMethod::Tvd => "TVD",
            DriftMethod::AbsTextContentDrift => "abs_text_content_drift",
            DriftMethod::PercTextContentDrift => "perc_text_content_drift",
        }
    }

    /// Evidently's names of all methods, in [`DriftMethod::ALL`] order (for error messages).
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|m| m.name()).collect()
    }

    /// Looks a method up by Evidently's name (`TVD` also answers to `tvd`).
    pub fn from_name(name: &str) -> Result<Self, UnknownMethod> {
        Self::ALL
            .iter()
            .copied()
            .find(|m| m.name() == name || m.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownMethod(name.to_string()))
    }

    /// A human-readable name for reports.
    pub fn display_name(self) -> &'static str {
        match self {
            DriftMethod::Ks => "K-S p-value",
            DriftMethod::ChiSquare => "chi-square p-value",
            DriftMethod::Z => "Z-test p-value",
            DriftMethod::Wasserstein => "Wasserstein distance (normed)",
            DriftMethod::JensenShannon => "Jensen-Shannon distance",
            DriftMethod::Psi => "PSI",
            DriftMethod::KlDiv => "Kullback-Leibler divergence",
            DriftMethod::Hellinger => "Hellinger distance",
            DriftMethod::Anderson => "Anderson-Darling p-value",
            DriftMethod::CramerVonMises => "Cramér-von Mises p-value",
            DriftMethod::EnergyDistance => "energy distance",
            DriftMethod::EppsSingleton => "Epps-Singleton p-value",
            DriftMethod::FisherExact => "Fisher's exact p-value",
            DriftMethod::GTest => "G-test p-value",
            DriftMethod::MannWhitney => "Mann-Whitney U p-value (two-sided)",
            DriftMethod::TTest => "t-test p-value",
            DriftMethod::EmpiricalMmd => "MMD permutation p-value",
            DriftMethod::Tvd => "TVD permutation p-value",
            DriftMethod::AbsTextContentDrift => "text domain classifier ROC AUC",
            DriftMethod::PercTextContentDrift => "text domain classifier ROC AUC (percentile)",
        }
    }

    /// Evidently 0.7's default threshold for the method.
    pub fn default_threshold(self) -> f64 {
        match self {
            DriftMethod::Ks
            | DriftMethod::ChiSquare
            | DriftMethod::Z
            | DriftMethod::EppsSingleton
            | DriftMethod::MannWhitney
            | DriftMethod::TTest => 0.05,
            DriftMethod::AbsTextContentDrift => 0.55,
            DriftMethod::PercTextContentDrift => 0.95,
            _ => 0.1,
        }
    }

    /// How the score is compared with the threshold (as each Evidently stattest does).
    pub fn rule(self) -> DriftRule {
        match self {
            DriftMethod::Ks | DriftMethod::CramerVonMises => DriftRule::PValueAtMost,
            // For `perc_text_content_drift` the threshold is a percentile and the AUC is
            // compared with that percentile of random AUCs; the column's result carries the
            // verdict (`ColumnDrift::text_drift`).
            DriftMethod::EnergyDistance
            | DriftMethod::AbsTextContentDrift
            | DriftMethod::PercTextContentDrift => DriftRule::DistanceAbove,
            DriftMethod::Wasserstein
            | DriftMethod::JensenShannon
            | DriftMethod::Psi
            | DriftMethod::KlDiv
            | DriftMethod::Hellinger => DriftRule::DistanceAtLeast,
            _ => DriftRule::PValueBelow,
        }
    }

    /// Whether the method may be chosen by the user for a column of this type
    /// (Evidently's `allowed_feature_types`).
    pub fn applies_to(self, ty: ColumnType) -> bool {
        match self {
            DriftMethod::JensenShannon
            | DriftMethod::Psi
            | DriftMethod::KlDiv
            | DriftMethod::Hellinger => {
                matches!(ty, ColumnType::Numerical | ColumnType::Categorical)
            }
            DriftMethod::ChiSquare
            | DriftMethod::Z
            | DriftMethod::FisherExact
            | DriftMethod::GTest
            | DriftMethod::Tvd => ty == ColumnType::Categorical,
            DriftMethod::Ks
            | DriftMethod::Wasserstein
            | DriftMethod::Anderson
            | DriftMethod::CramerVonMises
            | DriftMethod::EnergyDistance
            | DriftMethod::EppsSingleton
            | DriftMethod::MannWhitney
            | DriftMethod::TTest
            | DriftMethod::EmpiricalMmd => ty == ColumnType::Numerical,
            DriftMethod::AbsTextContentDrift | DriftMethod::PercTextContentDrift => {
                ty == ColumnType::Text
            }
        }
    }

    /// Evidently 0.7's default method for a column.
    ///
    /// `reference_rows` is the number of non-missing reference values and `distinct` the
    /// number of distinct values over both samples. Text columns get
    /// `abs_text_content_drift` above 1,000 reference rows and `perc_text_content_drift`
    /// otherwise. Returns `None` for datetime columns.
    pub fn default_for(ty: ColumnType, reference_rows: usize, distinct: usize) -> Option<Self> {
        let small = reference_rows <= 1000;
        match (ty, small) {
            (ColumnType::Numerical, true) => Some(if distinct <= 2 {
                DriftMethod::Z
            } else if distinct <= 5 {
                DriftMethod::ChiSquare
            } else {
                DriftMethod::Ks
            }),
            (ColumnType::Numerical, false) => Some(if distinct <= 5 {
                DriftMethod::JensenShannon
            } else {
                DriftMethod::Wasserstein
            }),
            (ColumnType::Categorical, true) => Some(if distinct <= 2 {
                DriftMethod::Z
            } else {
                DriftMethod::ChiSquare
            }),
            (ColumnType::Categorical, false) => Some(DriftMethod::JensenShannon),
            (ColumnType::Text, true) => Some(DriftMethod::PercTextContentDrift),
            (ColumnType::Text, false) => Some(DriftMethod::AbsTextContentDrift),
            (ColumnType::Datetime, _) => None,
        }
    }
}

impl TryFrom<String> for DriftMethod {
    type Error = UnknownMethod;

    fn try_from(name: String) -> Result<Self, UnknownMethod> {
        DriftMethod::from_name(&name)
    }
}

impl std::fmt::Display for DriftMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DriftMethod {
    type Err = UnknownMethod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in DriftMethod::ALL {
            assert_eq!(DriftMethod::from_name(m.name()).unwrap(), m);
        }
        assert_eq!(DriftMethod::from_name("tvd").unwrap(), DriftMethod::Tvd);
        let err = DriftMethod::from_name("kolmogorov").unwrap_err();
        assert!(err
            .to_string()
            .contains("unknown drift method `kolmogorov`"));
    }

    #[test]
    fn default_method_follows_evidently() {
        use ColumnType::*;
        use DriftMethod::*;
        assert_eq!(DriftMethod::default_for(Numerical, 1000, 2), Some(Z));
        assert_eq!(
            DriftMethod::default_for(Numerical, 1000, 5),
            Some(ChiSquare)
        );
        assert_eq!(DriftMethod::default_for(Numerical, 1000, 6), Some(Ks));
        assert_eq!(
            DriftMethod::default_for(Numerical, 1001, 5),
            Some(JensenShannon)
        );
        assert_eq!(
            DriftMethod::default_for(Numerical, 1001, 6),
            Some(Wasserstein)
        );
        assert_eq!(DriftMethod::default_for(Categorical, 10, 2), Some(Z));
        assert_eq!(
            DriftMethod::default_for(Categorical, 10, 3),
            Some(ChiSquare)
        );
        assert_eq!(
            DriftMethod::default_for(Categorical, 5000, 2),
            Some(JensenShannon)
        );
        assert_eq!(
            DriftMethod::default_for(Text, 1000, 3),
            Some(PercTextContentDrift)
        );
        assert_eq!(
            DriftMethod::default_for(Text, 1001, 3),
            Some(AbsTextContentDrift)
        );
        assert_eq!(DriftMethod::default_for(Datetime, 10, 3), None);
    }

    #[test]
    fn drift_rules_match_evidently_comparisons() {
        assert!(DriftMethod::Ks.rule().drifted(0.05, 0.05));
        assert!(!DriftMethod::ChiSquare.rule().drifted(0.05, 0.05));
        assert!(DriftMethod::Wasserstein.rule().drifted(0.1, 0.1));
        assert!(!DriftMethod::EnergyDistance.rule().drifted(0.1, 0.1));
    }
}
