//! Prometheus recording and alerting rules equivalent to modelwatch's own: for teams that
//! alert in Prometheus from modelwatch's `/metrics`. Written as YAML by hand (every string
//! JSON-quoted, which YAML reads as a double-quoted scalar).

use std::fmt::Write;

use super::rules::{default_rules, MetricRef, Rule};
use super::slo::{prom_duration, SloConfig, SloKind, BURN_WINDOWS, TIERS};
use super::AlertsConfig;
use crate::catalogue::{
    self, INGEST_EVENTS_ACCEPTED_FAMILY, INGEST_EVENTS_REJECTED_FAMILY,
    LAST_EVENT_TIMESTAMP_SECONDS_FAMILY, MISSING_SHARE_FAMILY, MODEL_ERRORS_FAMILY,
    MODEL_LATENCY_SECONDS_FAMILY, MODEL_REQUESTS_FAMILY, REFERENCE_MISSING_SHARE_FAMILY,
    SCHEDULE_INTERVAL_SECONDS_FAMILY,
};

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A PromQL label matcher value.
fn lv(s: &str) -> String {
    q(s)
}

/// The recorded error ratio of an SLO.
pub fn ratio_name(window: &str) -> String {
    format!("modelwatch:slo_errors:ratio_rate{window}")
}

fn slo_ratio_expr(slo: &SloConfig, window: &str) -> String {
    let p = lv(&slo.project);
    match slo.kind {
        SloKind::Availability => format!(
            "sum(rate({errors}_total{{project={p}}}[{window}])) / \
             sum(rate({requests}_total{{project={p}}}[{window}]))",
            errors = MODEL_ERRORS_FAMILY.name,
            requests = MODEL_REQUESTS_FAMILY.name,
        ),
        SloKind::Latency => {
            let le = crate::metrics::format_float(slo.latency_bound.unwrap_or(f64::INFINITY));
            format!(
                "1 - (sum(rate({latency}_bucket{{project={p},le={}}}[{window}])) / \
                 sum(rate({latency}_count{{project={p}}}[{window}])))",
                lv(&le),
                latency = MODEL_LATENCY_SECONDS_FAMILY.name,
            )
        }
    }
}

/// Translates `{{value}}`, `{{project}}` and `{{column}}` into Prometheus templates, and
/// writes `{{threshold}}` and `{{rule}}` as `rule`'s own (`None`: an SLO's, which use
/// neither).
fn prom_template(t: &str, rule: Option<&super::rules::Rule>) -> String {
    let threshold = rule.map_or_else(String::new, |r| super::rules::format_value(r.threshold));
    let mut vars = vec![
        ("value", "{{ $value | printf \"%.4g\" }}"),
        ("project", "{{ $labels.project }}"),
        ("column", "{{ $labels.column }}"),
        ("slo", "{{ $labels.slo }}"),
    ];
    if let Some(r) = rule {
        vars.push(("threshold", &threshold));
        vars.push(("rule", &r.name));
    }
    super::rules::render(t, &vars)
}

/// The PromQL of a rule's metric, or why it has none.
pub fn metric_expr(rule: &Rule) -> Result<String, String> {
    let mut m = Vec::new();
    if let Some(p) = &rule.project {
        m.push(format!("project={}", lv(p)));
    }
    let window = prom_duration(rule.window());
    let sel = |extra: Vec<String>| -> String {
        let all: Vec<String> = m.iter().cloned().chain(extra).collect();
        if all.is_empty() {
            String::new()
        } else {
            format!("{{{}}}", all.join(","))
        }
    };
    let metric = rule.metric_ref()?;
    Ok(match metric {
        MetricRef::Snapshot { name, .. } => match catalogue::snapshot_metric(&name) {
            Some(entry) if entry.export => {
                entry.selector(rule.project.as_deref(), rule.column.as_deref(), lv)
            }
            _ => return Err(format!("`{name}` is not on /metrics")),
        },
        MetricRef::MissingShareExcess => format!(
            "{missing}{s} - on(project) {reference}{s}",
            missing = MISSING_SHARE_FAMILY.name,
            reference = REFERENCE_MISSING_SHARE_FAMILY.name,
            s = sel(vec![])
        ),
        MetricRef::NoDataIntervals => format!(
            "(time() - {last}{s}) / on(project) ({interval}{s} > 0)",
            last = LAST_EVENT_TIMESTAMP_SECONDS_FAMILY.name,
            interval = SCHEDULE_INTERVAL_SECONDS_FAMILY.name,
            s = sel(vec![])
        ),
        MetricRef::IngestRejectedRate => format!(
            "sum by (project) (rate({rejected}_total{s}[{window}])) / \
             (sum by (project) (rate({accepted}_total{s}[{window}])) + \
             sum by (project) (rate({rejected}_total{s}[{window}])))",
            rejected = INGEST_EVENTS_REJECTED_FAMILY.name,
            accepted = INGEST_EVENTS_ACCEPTED_FAMILY.name,
            s = sel(vec![])
        ),
        MetricRef::ModelErrorRate => format!(
            "sum by (project) (rate({errors}_total{s}[{window}])) / \
             sum by (project) (rate({requests}_total{s}[{window}]))",
            errors = MODEL_ERRORS_FAMILY.name,
            requests = MODEL_REQUESTS_FAMILY.name,
            s = sel(vec![])
        ),
        MetricRef::ModelLatencyQuantile(qv) => format!(
            "histogram_quantile({qv}, sum by (project, le) (rate({latency}_bucket{s}[{window}])))",
            latency = MODEL_LATENCY_SECONDS_FAMILY.name,
            s = sel(vec![])
        ),
    })
}

fn write_map(out: &mut String, indent: &str, name: &str, pairs: &[(String, String)]) {
    if pairs.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}{name}:");
    for (k, v) in pairs {
        let _ = writeln!(out, "{indent}  {k}: {}", q(v));
    }
}

/// The effective rules of the config (defaults unless switched off; config rules replace
/// defaults of the same name and scope). Rules for one project are exported with their
/// project matcher; an all-projects rule shadowed for some project gets
/// `project!~"..."` to leave that project to its own rule.
fn exported_rules(config: &AlertsConfig) -> Vec<(Rule, Vec<String>)> {
    let mut all: Vec<Rule> = Vec::new();
    if config.default_rules {
        all.extend(default_rules());
    }
    for r in &config.rules {
        all.retain(|x| !(x.name == r.name && x.project == r.project));
        all.push(r.clone());
    }
    let mut out = Vec::new();
    for r in &all {
        let shadowed: Vec<String> = if r.project.is_none() {
            all.iter()
                .filter(|x| x.name == r.name && x.project.is_some())
                .filter_map(|x| x.project.clone())
                .collect()
        } else {
            Vec::new()
        };
        if r.enabled {
            out.push((r.clone(), shadowed));
        }
    }
    out
}

/// The labels that name an SLO's series.
fn slo_labels(slo: &SloConfig) -> [(String, String); 2] {
    [
        ("project".into(), slo.project.clone()),
        ("slo".into(), slo.name.clone()),
    ]
}

/// The rules file; warnings name rules that could not be exported.
pub fn prometheus_rules(config: &AlertsConfig) -> (String, Vec<String>) {
    let mut out = String::from(
        "# Prometheus rules equivalent to modelwatch's alert rules and SLO burn-rate alerts.\n\
         # Generated by `modelwatch alerts export`; check with `promtool check rules`.\n\
         groups:\n",
    );
    let mut warnings = Vec::new();
    if !config.slos.is_empty() {
        out.push_str("  - name: modelwatch-slo-recording\n    rules:\n");
        for slo in &config.slos {
            // The burn-rate windows, and the SLO's own window unless it is one of them
            // (two rules must not record the same series).
            let own = slo.window();
            let extra = (!BURN_WINDOWS.contains(&own)).then_some(own);
            for w in BURN_WINDOWS.iter().copied().chain(extra) {
                let w = prom_duration(w);
                let _ = writeln!(out, "      - record: {}", ratio_name(&w));
                let _ = writeln!(out, "        expr: {}", q(&slo_ratio_expr(slo, &w)));
                write_map(&mut out, "        ", "labels", &slo_labels(slo));
            }
        }
        out.push_str("  - name: modelwatch-slo-alerts\n    rules:\n");
        for slo in &config.slos {
            let budget = 1.0 - slo.objective;
            let sel = format!("{{project={},slo={}}}", lv(&slo.project), lv(&slo.name));
            let slo_window = prom_duration(slo.window());
            let _ = writeln!(out, "      - record: modelwatch:slo_error_budget_remaining");
            let _ = writeln!(
                out,
                "        expr: {}",
                q(&format!("1 - {}{sel} / {budget}", ratio_name(&slo_window)))
            );
            write_map(&mut out, "        ", "labels", &slo_labels(slo));
            for tier in TIERS {
                let factor = tier.factor(slo.window());
                let (long, short) = (prom_duration(tier.long), prom_duration(tier.short));
                let expr = format!(
                    "{l}{sel} > ({factor} * {budget}) and {s}{sel} > ({factor} * {budget})",
                    l = ratio_name(&long),
                    s = ratio_name(&short),
                );
                let _ = writeln!(out, "      - alert: ErrorBudgetBurn");
                let _ = writeln!(out, "        expr: {}", q(&expr));
                let mut labels: Vec<(String, String)> = slo
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                labels.extend(slo_labels(slo));
                labels.extend([
                    ("long_window".to_string(), long.clone()),
                    ("short_window".to_string(), short.clone()),
                    ("severity".to_string(), tier.severity.to_string()),
                ]);
                write_map(&mut out, "        ", "labels", &labels);
                write_map(
                    &mut out,
                    "        ",
                    "annotations",
                    &[(
                        "summary".into(),
                        format!(
                            "{{{{ $labels.project }}}}: SLO {{{{ $labels.slo }}}} burns its error budget faster than {factor}x over {long} and {short}"
                        ),
                    )],
                );
            }
        }
    }
    let rules = exported_rules(config);
    if !rules.is_empty() {
        out.push_str("  - name: modelwatch-rules\n    rules:\n");
    }
    for (rule, shadowed) in rules {
        let expr = match metric_expr(&rule) {
            Ok(e) => e,
            Err(e) => {
                warnings.push(format!("rule `{}` left out: {e}", rule.name));
                continue;
            }
        };
        // The projects with their own rule of this name are left to it.
        let expr = shadowed.iter().fold(
            format!("({expr}) {} {}", rule.operator.symbol(), rule.threshold),
            |e, p| {
                format!(
                    "{e} unless on(project) label_replace(vector(1), \"project\", {}, \"\", \"\")",
                    q(p)
                )
            },
        );
        let _ = writeln!(out, "      - alert: {}", q(&rule.name));
        let _ = writeln!(out, "        expr: {}", q(&expr));
        let for_ = rule.for_duration();
        if !for_.is_zero() {
            let _ = writeln!(out, "        for: {}", prom_duration(for_));
        }
        let keep = rule.keep_firing_for();
        if !keep.is_zero() {
            let _ = writeln!(out, "        keep_firing_for: {}", prom_duration(keep));
        }
        let mut labels: Vec<(String, String)> = rule
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.push(("severity".into(), rule.severity.clone()));
        write_map(&mut out, "        ", "labels", &labels);
        // The reason every alert carries, as the server's own alerts do.
        let reason = format!(
            "{} is {{{{value}}}}; fires when {} {{{{threshold}}}}",
            rule.metric,
            rule.operator.symbol(),
        );
        let annotations: Vec<(String, String)> = rule
            .annotations
            .iter()
            .filter(|(k, _)| k.as_str() != super::CONDITION_ANNOTATION)
            .map(|(k, v)| (k.clone(), prom_template(v, Some(&rule))))
            .chain(std::iter::once((
                super::CONDITION_ANNOTATION.to_string(),
                prom_template(&reason, Some(&rule)),
            )))
            .collect();
        write_map(&mut out, "        ", "annotations", &annotations);
    }
    if config.slos.is_empty() && out.ends_with("groups:\n") {
        out.push_str("  []\n");
    }
    (out, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_become_promql() {
        let mut r = default_rules().remove(0);
        assert_eq!(metric_expr(&r).unwrap(), "modelwatch_dataset_drift");
        r.project = Some("iris".into());
        r.metric = "drift_score".into();
        r.column = Some("petal_length".into());
        assert_eq!(
            metric_expr(&r).unwrap(),
            "modelwatch_drift_score{project=\"iris\",column=\"petal_length\"}"
        );
        r.metric = "model_latency_p95".into();
        r.column = None;
        assert!(metric_expr(&r)
            .unwrap()
            .starts_with("histogram_quantile(0.95, sum by (project, le)"));
        r.metric = "drifted_columns".into();
        assert_eq!(
            metric_expr(&r).unwrap(),
            "modelwatch_drifted_columns{project=\"iris\"}"
        );
        r.metric = "quality.f1".into();
        assert_eq!(
            metric_expr(&r).unwrap(),
            "modelwatch_model_quality{project=\"iris\",metric=\"f1\"}"
        );
        // Counters are exposed with `_total`, which the catalogue's family names leave out.
        r.metric = "model_error_rate".into();
        assert_eq!(
            metric_expr(&r).unwrap(),
            "sum by (project) (rate(modelwatch_model_errors_total{project=\"iris\"}[5m])) / \
             sum by (project) (rate(modelwatch_model_requests_total{project=\"iris\"}[5m]))"
        );
        r.metric = "ingest_rejected_rate".into();
        assert!(metric_expr(&r)
            .unwrap()
            .starts_with("sum by (project) (rate(modelwatch_ingest_events_rejected_total{"));
    }

    /// The PromQL of each derived rule metric reads the families the catalogue names for it.
    #[test]
    fn derived_rule_metrics_read_their_catalogued_families() {
        for d in catalogue::DERIVED_RULE_METRICS {
            let mut r = default_rules().remove(0);
            r.metric = d.metric.replace("<NN>", "95");
            let expr = metric_expr(&r).unwrap();
            for f in d.families {
                assert!(expr.contains(f), "{}: {expr} does not read {f}", d.metric);
            }
        }
    }

    /// An SLO whose own window is one of the burn-rate windows gets one recording rule for
    /// it, not two rules writing the same series.
    #[test]
    fn each_ratio_is_recorded_once() {
        let slo = |window: &str| SloConfig {
            project: "iris".into(),
            name: "availability".into(),
            kind: SloKind::Availability,
            objective: 0.999,
            window: window.into(),
            latency_bound: None,
            labels: Default::default(),
            receivers: Vec::new(),
        };
        for (window, records) in [("3d", 5), ("30d", 6)] {
            let config = AlertsConfig {
                slos: vec![slo(window)],
                ..AlertsConfig::default()
            };
            let (text, _) = prometheus_rules(&config);
            let names: Vec<&str> = text
                .lines()
                .filter_map(|l| l.trim().strip_prefix("- record: modelwatch:slo_errors:"))
                .collect();
            let mut unique = names.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(
                (names.len(), unique.len()),
                (records, records),
                "{window}: {names:?}"
            );
        }
    }

    #[test]
    fn templates_become_prometheus_templates() {
        assert_eq!(
            prom_template("{{project}}/{{column}}: {{value}}", None),
            "{{ $labels.project }}/{{ $labels.column }}: {{ $value | printf \"%.4g\" }}"
        );
    }
}
