//! The state machine of one alert: inactive → pending → firing → resolved.
//!
//! Prometheus's semantics: a condition that starts to hold makes the alert pending; once it
//! has held for `for`, the alert fires (at once when `for` is zero). A firing alert whose
//! condition stops holding keeps firing for `keep_firing_for` after the last time it held,
//! then resolves; a pending alert whose condition stops holding goes back to inactive.
//! Time is passed in, so tests drive the clock.

use serde::{Deserialize, Serialize};

/// Where an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    /// The condition does not hold (an alert in this state is not kept).
    Inactive,
    /// The condition holds, but not yet for the rule's `for`.
    Pending,
    /// The condition has held for `for` (or held within the last `keep_firing_for`).
    Firing,
    /// It fired and has stopped: returned by one [`step`] and then dropped.
    Resolved,
}

impl AlertStatus {
    /// The lowercase name, as in JSON, transitions and the `alertstate` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inactive => "inactive",
            Self::Pending => "pending",
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }
}

/// A pending or firing alert (an inactive one has no state).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlertState {
    /// Pending or firing (resolved only in the state [`step`] returns at the transition).
    pub status: AlertStatus,
    /// When the condition started to hold (microseconds since the epoch).
    pub active_since_us: i64,
    /// When the alert started firing, microseconds since the epoch; `None` while pending.
    pub fired_us: Option<i64>,
    /// The last evaluation at which the condition held, microseconds since the epoch.
    pub last_held_us: i64,
    /// The metric's latest value (NaN when it has had none yet).
    pub value: f64,
}

/// `for` and `keep_firing_for`, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Timing {
    /// How long the condition must hold before the alert fires; 0 fires at once.
    pub for_us: i64,
    /// How long a firing alert keeps firing after the last evaluation at which the
    /// condition held.
    pub keep_firing_for_us: i64,
}

/// A change of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The status before the step.
    pub from: AlertStatus,
    /// The status after it.
    pub to: AlertStatus,
}

/// One evaluation at `now`: `value` is the metric's value (None when there is none) and
/// `holds` whether the condition holds. Returns the new state (None: inactive) and the
/// transition, if any. A resolved state is returned once (with the transition) and
/// counts as inactive afterwards.
pub fn step(
    state: Option<AlertState>,
    now: i64,
    value: Option<f64>,
    holds: bool,
    timing: Timing,
) -> (Option<AlertState>, Option<Transition>) {
    use AlertStatus::*;
    let change = |from, to| Some(Transition { from, to });
    let state = state.filter(|s| matches!(s.status, Pending | Firing));
    match state {
        None if holds => {
            let fires = timing.for_us <= 0;
            let s = AlertState {
                status: if fires { Firing } else { Pending },
                active_since_us: now,
                fired_us: fires.then_some(now),
                last_held_us: now,
                value: value.unwrap_or(f64::NAN),
            };
            (Some(s), change(Inactive, s.status))
        }
        None => (None, None),
        Some(mut s) => {
            if let Some(v) = value {
                s.value = v;
            }
            if holds {
                s.last_held_us = now;
            }
            match s.status {
                Pending if !holds => (None, change(Pending, Inactive)),
                Pending if now - s.active_since_us >= timing.for_us => {
                    s.status = Firing;
                    s.fired_us = Some(now);
                    (Some(s), change(Pending, Firing))
                }
                Firing if !holds && now - s.last_held_us >= timing.keep_firing_for_us => {
                    s.status = Resolved;
                    (Some(s), change(Firing, Resolved))
                }
                _ => (Some(s), None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AlertStatus::*;
    use super::*;

    const S: i64 = 1_000_000;

    fn run(timing: Timing, conditions: &[(i64, bool)]) -> Vec<(i64, AlertStatus, AlertStatus)> {
        let mut state = None;
        let mut out = Vec::new();
        for &(t, holds) in conditions {
            let (next, change) = step(state, t * S, Some(1.0), holds, timing);
            state = next;
            if let Some(c) = change {
                out.push((t, c.from, c.to));
            }
        }
        out
    }

    #[test]
    fn without_for_the_alert_fires_at_once_and_resolves_when_clear() {
        let t = Timing::default();
        assert_eq!(
            run(t, &[(0, false), (10, true), (20, true), (30, false)]),
            vec![(10, Inactive, Firing), (30, Firing, Resolved)]
        );
    }

    #[test]
    fn for_keeps_the_alert_pending_until_it_held_long_enough() {
        let t = Timing {
            for_us: 60 * S,
            keep_firing_for_us: 0,
        };
        // Pending at 0, still pending at 59, firing at 60.
        assert_eq!(
            run(t, &[(0, true), (59, true), (60, true), (61, true)]),
            vec![(0, Inactive, Pending), (60, Pending, Firing)]
        );
        // A gap while pending goes back to inactive; the clock restarts.
        assert_eq!(
            run(
                t,
                &[(0, true), (30, false), (40, true), (90, true), (100, true)]
            ),
            vec![
                (0, Inactive, Pending),
                (30, Pending, Inactive),
                (40, Inactive, Pending),
                (100, Pending, Firing)
            ]
        );
    }

    #[test]
    fn keep_firing_for_bridges_short_gaps() {
        let t = Timing {
            for_us: 0,
            keep_firing_for_us: 120 * S,
        };
        // Clear at 10..100 (less than 120 s after the last hold at 0): still firing; holds
        // again at 100; clear from 110; resolves 120 s after 100.
        assert_eq!(
            run(
                t,
                &[
                    (0, true),
                    (10, false),
                    (100, true),
                    (110, false),
                    (219, false),
                    (220, false)
                ]
            ),
            vec![(0, Inactive, Firing), (220, Firing, Resolved)]
        );
    }

    #[test]
    fn values_follow_the_metric_and_resolved_alerts_start_over() {
        let t = Timing::default();
        let (s, _) = step(None, 0, Some(0.7), true, t);
        let (s, _) = step(s, S, Some(0.9), true, t);
        assert_eq!(s.unwrap().value, 0.9);
        assert_eq!(s.unwrap().active_since_us, 0);
        let (s, c) = step(s, 2 * S, Some(0.1), false, t);
        assert_eq!(s.unwrap().status, Resolved);
        assert_eq!(s.unwrap().fired_us, Some(0));
        assert_eq!(c.unwrap().to, Resolved);
        let (s, c) = step(s, 3 * S, Some(0.8), true, t);
        assert_eq!(s.unwrap().active_since_us, 3 * S);
        assert_eq!(c.unwrap().from, Inactive);
    }
}
