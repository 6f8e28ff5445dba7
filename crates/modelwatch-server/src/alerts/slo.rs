//! Service level objectives of the monitored model, from the serving facts of ingested
//! events: availability (share of requests without an error or 5xx status) and latency
//! (share of timed requests at or under a bound), each over a window such as 30 days.
//!
//! Burn rate = (bad / total over a window) / (1 - objective): 1 spends the budget exactly
//! over the SLO window. Alerts follow the multi-window, multi-burn-rate scheme of the
//! Google SRE workbook ("Alerting on SLOs", table 5-8): an alert fires when both the long
//! and the short window burn faster than `budget share x SLO window / long window`, which
//! for 30 days gives 14.4 (2 % in 1 h, with 5 min), 6 (5 % in 6 h, with 30 min) and 1
//! (10 % in 3 d, with 6 h).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::metrics::DEFAULT_BUCKETS;
use crate::project::parse_duration;

/// What an SLO counts as good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SloKind {
    /// Requests without an error (and without a 5xx status).
    Availability,
    /// Timed requests at or under `latency_bound` seconds.
    Latency,
}

fn thirty_days() -> String {
    "30d".into()
}

/// An SLO, as written in `[[alerts.slos]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloConfig {
    /// The project whose events' serving facts are counted.
    pub project: String,
    /// The `slo` label; unique within the project.
    pub name: String,
    /// What counts as a good request.
    pub kind: SloKind,
    /// The target share of good requests, e.g. 0.999.
    pub objective: f64,
    /// The window the objective and the error budget are over, a duration such as `30d`
    /// (the default); at least `3d`, the longest alert window.
    #[serde(default = "thirty_days")]
    pub window: String,
    /// Latency SLOs: the bound in seconds; one of the histogram buckets of
    /// `modelwatch_model_latency_seconds` (0.005 ... 10), so that Prometheus can count it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_bound: Option<f64>,
    /// Extra labels of its burn-rate alerts.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Receiver names of its alerts; empty: every receiver.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receivers: Vec<String>,
}

impl SloConfig {
    /// `window` as a duration; 30 days when it does not parse (which [`Self::validate`]
    /// refuses).
    pub fn window(&self) -> Duration {
        parse_duration("window", &self.window).unwrap_or(Duration::from_secs(30 * 86400))
    }

    /// The index of the latency bound in [`DEFAULT_BUCKETS`].
    pub fn bound_index(&self) -> Option<usize> {
        let b = self.latency_bound?;
        DEFAULT_BUCKETS.iter().position(|x| (x - b).abs() < 1e-12)
    }

    /// Checks the objective (strictly between 0 and 1), the window (at least 3 days), the
    /// name (letters, digits, `_`, `-`) and that exactly latency SLOs have a bound, one of
    /// [`DEFAULT_BUCKETS`]. The error names the SLO and its project.
    pub fn validate(&self) -> Result<(), String> {
        let what = |m: &str| format!("slo `{}` of project `{}`: {m}", self.name, self.project);
        if !(self.objective > 0.0 && self.objective < 1.0) {
            return Err(what("objective must be between 0 and 1 (e.g. 0.999)"));
        }
        let w = parse_duration("window", &self.window).map_err(|e| what(&e.to_string()))?;
        if w < Duration::from_secs(3 * 86400) {
            return Err(what(
                "window must be at least 3d (the longest alert window)",
            ));
        }
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
        {
            return Err(what("name must be letters, digits, `_` or `-`"));
        }
        match (self.kind, self.latency_bound) {
            (SloKind::Latency, None) => Err(what("a latency SLO needs latency_bound (seconds)")),
            (SloKind::Latency, Some(_)) if self.bound_index().is_none() => Err(what(&format!(
                "latency_bound must be one of the histogram buckets {DEFAULT_BUCKETS:?}"
            ))),
            (SloKind::Availability, Some(_)) => Err(what("latency_bound belongs to latency SLOs")),
            _ => Ok(()),
        }
    }
}

/// One tier of burn-rate alerts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurnTier {
    /// The long window: the burn rate over it says the budget is going fast enough to
    /// matter.
    pub long: Duration,
    /// The short window: the burn rate over it must also be high, so that the alert
    /// resolves soon after the burning stops.
    pub short: Duration,
    /// The share of the budget spent in `long` that alerts.
    pub budget_share: f64,
    /// The `severity` label of the tier's alerts (`page` or `ticket`).
    pub severity: &'static str,
}

const HOUR: u64 = 3600;

/// The SRE workbook's three tiers.
pub const TIERS: [BurnTier; 3] = [
    BurnTier {
        long: Duration::from_secs(HOUR),
        short: Duration::from_secs(300),
        budget_share: 0.02,
        severity: "page",
    },
    BurnTier {
        long: Duration::from_secs(6 * HOUR),
        short: Duration::from_secs(1800),
        budget_share: 0.05,
        severity: "page",
    },
    BurnTier {
        long: Duration::from_secs(72 * HOUR),
        short: Duration::from_secs(6 * HOUR),
        budget_share: 0.10,
        severity: "ticket",
    },
];

/// The windows whose burn rate is computed and exposed.
pub const BURN_WINDOWS: [Duration; 5] = [
    Duration::from_secs(300),
    Duration::from_secs(1800),
    Duration::from_secs(HOUR),
    Duration::from_secs(6 * HOUR),
    Duration::from_secs(72 * HOUR),
];

/// A duration the way Prometheus writes it (`5m`, `1h`, `3d`, `30d`).
pub fn prom_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s % 86400 == 0 {
        format!("{}d", s / 86400)
    } else if s % 3600 == 0 {
        format!("{}h", s / 3600)
    } else if s % 60 == 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

impl BurnTier {
    /// The burn rate that spends `budget_share` of the budget in the long window.
    pub fn factor(&self, slo_window: Duration) -> f64 {
        let f = self.budget_share * slo_window.as_secs_f64() / self.long.as_secs_f64();
        // 14.4 and not 14.399999999999999.
        (f * 1e9).round() / 1e9
    }
}

/// The stored minute buckets' counts; the SLO arithmetic over them is below.
pub use crate::store::ServingCounts;

impl ServingCounts {
    /// How many requests had a latency (the sum of the latency buckets).
    pub fn timed(&self) -> u64 {
        self.latency.iter().sum()
    }

    /// (bad, total) requests for an SLO: errors of all requests for availability, timed
    /// requests slower than the bound of all timed ones for latency.
    pub fn bad_total(&self, slo: &SloConfig) -> (u64, u64) {
        match slo.kind {
            SloKind::Availability => (self.errors, self.requests),
            SloKind::Latency => {
                let i = slo.bound_index().unwrap_or(DEFAULT_BUCKETS.len() - 1);
                let good: u64 = self.latency[..=i].iter().sum();
                (self.timed() - good, self.timed())
            }
        }
    }

    /// The `q` quantile of latency, interpolated within its bucket as Prometheus's
    /// `histogram_quantile` does (the lowest bucket starts at 0; a quantile in the `+Inf`
    /// bucket is the highest finite bound).
    pub fn latency_quantile(&self, q: f64) -> Option<f64> {
        let total = self.timed();
        if total == 0 {
            return None;
        }
        let rank = q * total as f64;
        let mut below = 0u64;
        for (i, &n) in self.latency.iter().enumerate() {
            if (below + n) as f64 >= rank && n > 0 {
                if i == DEFAULT_BUCKETS.len() {
                    return Some(DEFAULT_BUCKETS[i - 1]);
                }
                let lower = if i == 0 { 0.0 } else { DEFAULT_BUCKETS[i - 1] };
                let upper = DEFAULT_BUCKETS[i];
                return Some(lower + (upper - lower) * (rank - below as f64) / n as f64);
            }
            below += n;
        }
        Some(DEFAULT_BUCKETS[DEFAULT_BUCKETS.len() - 1])
    }
}

/// Burn rate of `bad` out of `total` against `objective`; None without requests.
pub fn burn_rate(bad: u64, total: u64, objective: f64) -> Option<f64> {
    (total > 0).then(|| (bad as f64 / total as f64) / (1.0 - objective))
}

/// The share of the error budget left after `bad` of `total` over the SLO window (1 with
/// no requests; negative when overspent).
pub fn budget_remaining(bad: u64, total: u64, objective: f64) -> f64 {
    burn_rate(bad, total, objective).map_or(1.0, |b| 1.0 - b)
}

/// The computed state of one SLO.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloStatus {
    /// The SLO's project.
    pub project: String,
    /// The SLO's name (the `slo` label).
    pub slo: String,
    /// What it counts as good.
    pub kind: SloKind,
    /// The target share of good requests, 0..1.
    pub objective: f64,
    /// The SLO window as configured (`30d`).
    pub window: String,
    /// Good over total over the SLO window, a share 0..1 (None without requests).
    pub sli: Option<f64>,
    /// The share of the error budget left over the SLO window: 1 untouched (or no
    /// requests), 0 spent, negative when overspent.
    pub error_budget_remaining: f64,
    /// Burn rate per window of [`BURN_WINDOWS`] (`5m`, `30m`, `1h`, `6h`, `3d`).
    pub burn_rates: BTreeMap<String, Option<f64>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slo(objective: f64) -> SloConfig {
        SloConfig {
            project: "p".into(),
            name: "availability".into(),
            kind: SloKind::Availability,
            objective,
            window: "30d".into(),
            latency_bound: None,
            labels: BTreeMap::new(),
            receivers: Vec::new(),
        }
    }

    #[test]
    fn the_workbook_factors_for_thirty_days() {
        let w = slo(0.999).window();
        let f: Vec<f64> = TIERS.iter().map(|t| t.factor(w)).collect();
        assert_eq!(f, vec![14.4, 6.0, 1.0]);
    }

    #[test]
    fn burn_rate_and_budget_with_concrete_numbers() {
        // 99.9 %: 1 000 000 requests allow 1 000 errors.
        // 15 errors in 1 000 requests in an hour: 1.5 % / 0.1 % = 15x, over 14.4: pages.
        let b = burn_rate(15, 1000, 0.999).unwrap();
        assert!((b - 15.0).abs() < 1e-9, "{b}");
        assert!(b > TIERS[0].factor(slo(0.999).window()));
        // 14 errors: 14x, does not.
        assert!(burn_rate(14, 1000, 0.999).unwrap() < 14.4);
        // 250 errors in 1 000 000 requests over 30 days: a quarter of the budget spent.
        assert!((budget_remaining(250, 1_000_000, 0.999) - 0.75).abs() < 1e-9);
        assert_eq!(budget_remaining(0, 0, 0.999), 1.0);
        assert!(budget_remaining(2000, 1_000_000, 0.999) < 0.0);
        assert_eq!(burn_rate(0, 0, 0.99), None);
    }

    #[test]
    fn latency_counts_and_quantiles() {
        let mut c = ServingCounts::default();
        // 10 requests at <= 0.005 s, 10 at (0.1, 0.25], none slower.
        c.latency[0] = 10;
        c.latency[5] = 10;
        c.requests = 20;
        let mut s = slo(0.9);
        s.kind = SloKind::Latency;
        s.latency_bound = Some(0.1);
        assert!(s.validate().is_ok());
        assert_eq!(c.bad_total(&s), (10, 20));
        s.latency_bound = Some(0.25);
        assert_eq!(c.bad_total(&s), (0, 20));
        s.latency_bound = Some(0.3);
        assert!(s.validate().is_err());
        // Median: the 10th of 20 is the top of the first bucket.
        assert!((c.latency_quantile(0.5).unwrap() - 0.005).abs() < 1e-12);
        // p75: halfway through the (0.1, 0.25] bucket.
        assert!((c.latency_quantile(0.75).unwrap() - 0.175).abs() < 1e-12);
        c.latency[11] = 20;
        assert_eq!(c.latency_quantile(0.99), Some(10.0));
    }

    #[test]
    fn durations_in_prometheus_form() {
        let w: Vec<String> = BURN_WINDOWS.iter().map(|d| prom_duration(*d)).collect();
        assert_eq!(w, ["5m", "30m", "1h", "6h", "3d"]);
    }
}
