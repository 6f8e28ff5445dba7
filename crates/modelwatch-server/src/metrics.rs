//! Prometheus exposition: the text encoder of both formats, and the in-memory counters of
//! the service, ingestion and the monitored model. The snapshot gauges are read from the
//! latest snapshots at scrape time by [`crate::catalogue::encode_latest`], through the
//! same [`Encoder`].
//!
//! Written here rather than with a metrics crate because one scrape must serve both the
//! text format 0.0.4 and OpenMetrics 1.0 from the same families (the `prometheus` crate
//! writes only the former, `prometheus-client` only the latter), and because most
//! families are read from the latest snapshots at scrape time rather than kept as
//! registered instruments. The rules followed (from the two format specifications):
//! label values escape `\`, `"` and newline; counters are exposed as `<name>_total`, with
//! the family typed `<name>` in OpenMetrics and `<name>_total` in 0.0.4; histogram `le`
//! values are canonical floats (`1.0`, `+Inf`); OpenMetrics ends with `# EOF`.
//!
//! Cardinality: service families grow with routes x methods x status codes, each from a
//! bounded set whatever the client sends: routes are the router's patterns (or `unmatched`),
//! methods fold into the standard ones (or `other`, see [`method_label`]) and codes are the
//! handlers' answers; per project, ingestion grows with rejection reasons (a fixed set), the
//! monitored model with status codes seen, and snapshot gauges with the number of
//! columns (two series per column) and predicted labels.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use crate::catalogue;

/// Prometheus's default histogram buckets, in seconds.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The (non-cumulative) bucket of [`DEFAULT_BUCKETS`] a value falls in; the last index,
/// `DEFAULT_BUCKETS.len()`, is `+Inf`.
pub fn bucket_index(x: f64) -> usize {
    DEFAULT_BUCKETS
        .iter()
        .position(|b| x <= *b)
        .unwrap_or(DEFAULT_BUCKETS.len())
}

/// Which text format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpositionFormat {
    /// `text/plain; version=0.0.4`.
    Text004,
    /// `application/openmetrics-text; version=1.0.0`.
    OpenMetrics,
}

impl ExpositionFormat {
    /// The format a scraper's `Accept` header asks for.
    pub fn negotiate(accept: Option<&str>) -> Self {
        match accept {
            Some(a) if a.contains("application/openmetrics-text") => Self::OpenMetrics,
            _ => Self::Text004,
        }
    }

    /// The `Content-Type` of a `/metrics` answer in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Text004 => "text/plain; version=0.0.4; charset=utf-8",
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// A histogram with fixed buckets.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    /// Non-cumulative counts per bucket of [`DEFAULT_BUCKETS`], plus one for `+Inf`.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    /// Counts one observation `x` (in seconds for every histogram of the service).
    pub fn observe(&mut self, x: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; DEFAULT_BUCKETS.len() + 1];
        }
        self.counts[bucket_index(x)] += 1;
        self.sum += x;
        self.count += 1;
    }
}

/// Labels as ordered name/value pairs.
pub type Labels = Vec<(&'static str, String)>;

/// Families being written.
pub struct Encoder {
    format: ExpositionFormat,
    out: String,
}

/// The `method` label of an HTTP request: the methods of RFC 9110 and PATCH as sent, any
/// other name as `other`. HTTP lets a client invent method names, so taking them verbatim
/// would let anyone add series to `/metrics` without bound.
pub fn method_label(method: &str) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    STANDARD
        .into_iter()
        .find(|m| *m == method)
        .unwrap_or("other")
}

/// Escapes a label value.
pub fn escape_label_value(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A float the way both formats (and Go's `strconv`) write it: `+Inf`, `-Inf`, `NaN`,
/// and a `.0` on integral values.
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x == f64::INFINITY {
        "+Inf".into()
    } else if x == f64::NEG_INFINITY {
        "-Inf".into()
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

impl Encoder {
    /// An empty exposition in `format`.
    pub fn new(format: ExpositionFormat) -> Self {
        Self {
            format,
            out: String::with_capacity(16 * 1024),
        }
    }

    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let typed = if kind == "counter" && self.format == ExpositionFormat::Text004 {
            format!("{name}_total")
        } else {
            name.to_string()
        };
        let _ = writeln!(self.out, "# HELP {typed} {help}");
        let _ = writeln!(self.out, "# TYPE {typed} {kind}");
    }

    fn sample(&mut self, name: &str, suffix: &str, labels: &[(&str, String)], value: f64) {
        self.out.push_str(name);
        self.out.push_str(suffix);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(k);
                self.out.push_str("=\"");
                escape_label_value(v, &mut self.out);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        self.out.push_str(&format_float(value));
        self.out.push('\n');
    }

    /// A counter family; `name` without `_total`.
    pub fn counter(
        &mut self,
        name: &str,
        help: &str,
        samples: impl IntoIterator<Item = (Labels, u64)>,
    ) {
        self.header(name, "counter", help);
        for (labels, v) in samples {
            self.sample(name, "_total", &labels, v as f64);
        }
    }

    /// A gauge family.
    pub fn gauge(
        &mut self,
        name: &str,
        help: &str,
        samples: impl IntoIterator<Item = (Labels, f64)>,
    ) {
        self.header(name, "gauge", help);
        for (labels, v) in samples {
            self.sample(name, "", &labels, v);
        }
    }

    /// A histogram family over [`DEFAULT_BUCKETS`].
    pub fn histogram<'a>(
        &mut self,
        name: &str,
        help: &str,
        samples: impl IntoIterator<Item = (Labels, &'a Histogram)>,
    ) {
        self.header(name, "histogram", help);
        for (labels, h) in samples {
            let mut cumulative = 0;
            for (i, le) in DEFAULT_BUCKETS
                .iter()
                .copied()
                .chain([f64::INFINITY])
                .enumerate()
            {
                cumulative += h.counts.get(i).copied().unwrap_or(0);
                let mut l = labels.clone();
                l.push(("le", format_float(le)));
                self.sample(name, "_bucket", &l, cumulative as f64);
            }
            self.sample(name, "_sum", &labels, h.sum);
            self.sample(name, "_count", &labels, h.count as f64);
        }
    }

    /// The exposition text, with the `# EOF` line OpenMetrics requires.
    pub fn finish(mut self) -> String {
        if self.format == ExpositionFormat::OpenMetrics {
            self.out.push_str("# EOF\n");
        }
        self.out
    }
}

/// Counters and histograms the service keeps in memory (they restart at zero with the
/// process, which Prometheus's `rate()` handles).
#[derive(Debug, Default)]
pub struct Recorder {
    inner: Mutex<RecorderInner>,
}

#[derive(Debug, Default)]
struct RecorderInner {
    requests: BTreeMap<(String, &'static str, u16), u64>,
    durations: BTreeMap<String, Histogram>,
    accepted: BTreeMap<String, u64>,
    rejected: BTreeMap<(String, &'static str), u64>,
    bytes: BTreeMap<String, u64>,
    labels: BTreeMap<String, u64>,
    model_requests: BTreeMap<(String, String), u64>,
    model_errors: BTreeMap<String, u64>,
    model_latency: BTreeMap<String, Histogram>,
    cloudevents: BTreeMap<&'static str, u64>,
}

/// The serving facts of one stored event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServingFacts {
    /// How long the model took to answer, in seconds.
    pub latency_seconds: Option<f64>,
    /// The HTTP status the model answered with; 500 and above count as errors.
    pub status: Option<u16>,
    /// Whether the model reported an error message; any message counts as an error.
    pub error: bool,
}

impl ServingFacts {
    /// The facts of an event.
    pub fn of(event: &crate::store::NewEvent) -> Self {
        Self {
            latency_seconds: event.latency_seconds,
            status: event.status,
            error: event.error.is_some(),
        }
    }

    /// Whether the event says anything about serving at all.
    pub fn is_empty(&self) -> bool {
        self.latency_seconds.is_none() && self.status.is_none() && !self.error
    }

    /// Whether the model failed on this event: it reported an error or answered with a
    /// status of 500 or above. The one rule for `modelwatch_model_errors_total` and the
    /// alerts' serving error rate, so the two never disagree.
    pub fn is_failure(&self) -> bool {
        self.error || self.status.is_some_and(|s| s >= 500)
    }
}

impl Recorder {
    fn lock(&self) -> std::sync::MutexGuard<'_, RecorderInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One HTTP request served by modelwatch itself; `method` is folded by [`method_label`].
    pub fn http_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut g = self.lock();
        *g.requests
            .entry((route.to_string(), method_label(method), status))
            .or_insert(0) += 1;
        g.durations
            .entry(route.to_string())
            .or_default()
            .observe(seconds);
    }

    /// The outcome of one committed ingest request.
    pub fn ingested(
        &self,
        project: &str,
        bytes: usize,
        accepted: usize,
        rejected: impl IntoIterator<Item = &'static str>,
        facts: &[ServingFacts],
    ) {
        let mut g = self.lock();
        *g.bytes.entry(project.to_string()).or_insert(0) += bytes as u64;
        *g.accepted.entry(project.to_string()).or_insert(0) += accepted as u64;
        for reason in rejected {
            *g.rejected.entry((project.to_string(), reason)).or_insert(0) += 1;
        }
        for f in facts {
            if f.is_empty() {
                continue;
            }
            let code = f
                .status
                .map_or_else(|| "unknown".to_string(), |s| s.to_string());
            *g.model_requests
                .entry((project.to_string(), code))
                .or_insert(0) += 1;
            if f.is_failure() {
                *g.model_errors.entry(project.to_string()).or_insert(0) += 1;
            }
            if let Some(l) = f.latency_seconds {
                g.model_latency
                    .entry(project.to_string())
                    .or_default()
                    .observe(l);
            }
        }
    }

    /// Events accepted and rejected at ingestion for `project` since the start.
    pub fn ingest_counts(&self, project: &str) -> (u64, u64) {
        let g = self.lock();
        let rejected = g
            .rejected
            .iter()
            .filter(|((p, _), _)| p == project)
            .map(|(_, n)| n)
            .sum();
        (g.accepted.get(project).copied().unwrap_or(0), rejected)
    }

    /// Counts `n` targets of `project` joined to their events through the labels endpoint.
    pub fn labels_joined(&self, project: &str, n: usize) {
        *self.lock().labels.entry(project.to_string()).or_insert(0) += n as u64;
    }

    /// Counts one payload logger outcome (`joined`, `request_only`, `response_only`,
    /// `duplicate`, `rejected`) of `POST /api/v1/cloudevents`.
    pub fn cloudevent(&self, outcome: &'static str) {
        *self.lock().cloudevents.entry(outcome).or_insert(0) += 1;
    }

    /// The payload logger outcomes counted so far.
    pub fn cloudevent_counts(&self) -> BTreeMap<&'static str, u64> {
        self.lock().cloudevents.clone()
    }

    /// Forgets a deleted project's series.
    pub fn forget_project(&self, project: &str) {
        let mut g = self.lock();
        g.accepted.remove(project);
        g.bytes.remove(project);
        g.labels.remove(project);
        g.model_errors.remove(project);
        g.model_latency.remove(project);
        g.rejected.retain(|(p, _), _| p != project);
        g.model_requests.retain(|(p, _), _| p != project);
    }

    /// Writes the recorded families.
    pub fn encode(&self, enc: &mut Encoder) {
        let g = self.lock();
        let p = |project: &str| vec![("project", project.to_string())];
        enc.counter(
            catalogue::HTTP_REQUESTS_FAMILY.name,
            catalogue::HTTP_REQUESTS_FAMILY.help,
            g.requests.iter().map(|((route, method, code), n)| {
                (
                    vec![
                        ("route", route.clone()),
                        ("method", method.to_string()),
                        ("code", code.to_string()),
                    ],
                    *n,
                )
            }),
        );
        let mut errors: BTreeMap<&str, u64> = BTreeMap::new();
        for ((route, _, code), n) in &g.requests {
            if *code >= 500 {
                *errors.entry(route.as_str()).or_insert(0) += n;
            }
        }
        enc.counter(
            catalogue::HTTP_REQUEST_ERRORS_FAMILY.name,
            catalogue::HTTP_REQUEST_ERRORS_FAMILY.help,
            errors
                .into_iter()
                .map(|(r, n)| (vec![("route", r.to_string())], n)),
        );
        enc.histogram(
            catalogue::HTTP_REQUEST_DURATION_SECONDS_FAMILY.name,
            catalogue::HTTP_REQUEST_DURATION_SECONDS_FAMILY.help,
            g.durations
                .iter()
                .map(|(route, h)| (vec![("route", route.clone())], h)),
        );
        enc.counter(
            catalogue::INGEST_EVENTS_ACCEPTED_FAMILY.name,
            catalogue::INGEST_EVENTS_ACCEPTED_FAMILY.help,
            g.accepted.iter().map(|(proj, n)| (p(proj), *n)),
        );
        enc.counter(
            catalogue::INGEST_EVENTS_REJECTED_FAMILY.name,
            catalogue::INGEST_EVENTS_REJECTED_FAMILY.help,
            g.rejected.iter().map(|((proj, reason), n)| {
                (
                    vec![("project", proj.clone()), ("reason", reason.to_string())],
                    *n,
                )
            }),
        );
        enc.counter(
            catalogue::INGEST_BYTES_FAMILY.name,
            catalogue::INGEST_BYTES_FAMILY.help,
            g.bytes.iter().map(|(proj, n)| (p(proj), *n)),
        );
        enc.counter(
            catalogue::LABELS_JOINED_FAMILY.name,
            catalogue::LABELS_JOINED_FAMILY.help,
            g.labels.iter().map(|(proj, n)| (p(proj), *n)),
        );
        enc.counter(
            catalogue::MODEL_REQUESTS_FAMILY.name,
            catalogue::MODEL_REQUESTS_FAMILY.help,
            g.model_requests.iter().map(|((proj, code), n)| {
                (vec![("project", proj.clone()), ("code", code.clone())], *n)
            }),
        );
        enc.counter(
            catalogue::MODEL_ERRORS_FAMILY.name,
            catalogue::MODEL_ERRORS_FAMILY.help,
            g.model_errors.iter().map(|(proj, n)| (p(proj), *n)),
        );
        enc.histogram(
            catalogue::MODEL_LATENCY_SECONDS_FAMILY.name,
            catalogue::MODEL_LATENCY_SECONDS_FAMILY.help,
            g.model_latency.iter().map(|(proj, h)| (p(proj), h)),
        );
        enc.counter(
            catalogue::CLOUDEVENTS_FAMILY.name,
            catalogue::CLOUDEVENTS_FAMILY.help,
            g.cloudevents
                .iter()
                .map(|(outcome, n)| (vec![("outcome", outcome.to_string())], *n)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut s = String::new();
        escape_label_value("a\\b\"c\nd</script>ü", &mut s);
        assert_eq!(s, "a\\\\b\\\"c\\nd</script>ü");
    }

    #[test]
    fn floats_are_canonical() {
        assert_eq!(format_float(1.0), "1.0");
        assert_eq!(format_float(0.005), "0.005");
        assert_eq!(format_float(f64::INFINITY), "+Inf");
        assert_eq!(format_float(f64::NAN), "NaN");
        assert_eq!(format_float(2.5), "2.5");
    }

    #[test]
    fn counters_are_typed_per_format_and_openmetrics_ends_with_eof() {
        for (format, type_line) in [
            (ExpositionFormat::Text004, "# TYPE x_total counter"),
            (ExpositionFormat::OpenMetrics, "# TYPE x counter"),
        ] {
            let mut e = Encoder::new(format);
            e.counter("x", "help", [(vec![("project", "p".to_string())], 3)]);
            let text = e.finish();
            assert!(text.contains(type_line), "{text}");
            assert!(text.contains("x_total{project=\"p\"} 3.0\n"), "{text}");
            assert_eq!(
                text.ends_with("# EOF\n"),
                format == ExpositionFormat::OpenMetrics
            );
        }
    }

    #[test]
    fn histograms_are_cumulative() {
        let mut h = Histogram::default();
        for x in [0.001, 0.02, 0.02, 20.0] {
            h.observe(x);
        }
        let mut e = Encoder::new(ExpositionFormat::Text004);
        e.histogram("lat_seconds", "h", [(vec![], &h)]);
        let text = e.finish();
        assert!(
            text.contains("lat_seconds_bucket{le=\"0.005\"} 1.0"),
            "{text}"
        );
        assert!(
            text.contains("lat_seconds_bucket{le=\"0.025\"} 3.0"),
            "{text}"
        );
        assert!(
            text.contains("lat_seconds_bucket{le=\"10.0\"} 3.0"),
            "{text}"
        );
        assert!(
            text.contains("lat_seconds_bucket{le=\"+Inf\"} 4.0"),
            "{text}"
        );
        assert!(text.contains("lat_seconds_count 4.0"), "{text}");
    }
}
