//! Model-server payload loggers as CloudEvents: KServe's and Seldon Core's request,
//! response and feedback events, read into rows for a project (docs/cloudevents.md).
//!
//! - [`envelope`]: CloudEvents 1.0 over HTTP (binary, structured and batched modes);
//! - [`payload`]: KServe v1, Open Inference Protocol and Seldon bodies into rows, pure;
//! - [`join`]: the request/response join, a pure state machine with time passed in.
//!
//! The service that runs the join and stores its pairs is
//! [`service::cloudevents`](crate::service::cloudevents); the route is
//! `http/cloudevents.rs`.

pub mod envelope;
pub mod join;
pub mod payload;

use serde::Deserialize;

use crate::project::{parse_duration, ProjectError};

/// The payload loggers whose events are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logger {
    /// KServe's agent (`pkg/logger`): request and response share `id`.
    KServe,
    /// Seldon Core v1's executor (`executor/logger`): request and response share the
    /// `requestid` extension; each event has its own `id`.
    Seldon,
}

/// What an event carries, by its `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// An inference request or response.
    Half(join::Half),
    /// Seldon's feedback: the truth of an earlier inference.
    Feedback,
}

/// KServe's request type (`pkg/logger/worker.go`, `CEInferenceRequest`).
pub const KSERVE_REQUEST: &str = "org.kubeflow.serving.inference.request";
/// KServe's response type.
pub const KSERVE_RESPONSE: &str = "org.kubeflow.serving.inference.response";
/// Seldon Core's request type (`executor/logger/worker.go`, `CEInferenceRequest`).
pub const SELDON_REQUEST: &str = "io.seldon.serving.inference.request";
/// Seldon Core's response type.
pub const SELDON_RESPONSE: &str = "io.seldon.serving.inference.response";
/// Seldon Core's feedback type.
pub const SELDON_FEEDBACK: &str = "io.seldon.serving.feedback";

/// The logger and kind of an event `type`; `None` for a type no logger sends.
pub fn classify(event_type: &str) -> Option<(Logger, EventKind)> {
    use join::Half::*;
    Some(match event_type {
        KSERVE_REQUEST => (Logger::KServe, EventKind::Half(Request)),
        KSERVE_RESPONSE => (Logger::KServe, EventKind::Half(Response)),
        SELDON_REQUEST => (Logger::Seldon, EventKind::Half(Request)),
        SELDON_RESPONSE => (Logger::Seldon, EventKind::Half(Response)),
        SELDON_FEEDBACK => (Logger::Seldon, EventKind::Feedback),
        _ => return None,
    })
}

/// The extensions a route matches on, as both loggers name them.
pub const MATCH_EXTENSIONS: [&str; 4] =
    ["inferenceservicename", "namespace", "component", "endpoint"];

/// `[cloudevents]` of the serve config.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CloudEventsConfig {
    /// How long a request waits for its response (and a response for its request) before
    /// it is stored alone (`"30s"`).
    pub join_timeout: String,
    /// The most halves waiting at once (10,000); past it the oldest is stored alone.
    pub max_pending: usize,
    /// The most bytes of data the waiting halves may hold together (64 MiB); past it the
    /// oldest is stored alone.
    pub max_pending_bytes: usize,
    /// Which project an event goes to, first match wins; with none matching, the project
    /// named by the event's `inferenceservicename`.
    pub routes: Vec<CloudEventsRoute>,
}

impl Default for CloudEventsConfig {
    fn default() -> Self {
        Self {
            join_timeout: "30s".into(),
            max_pending: 10_000,
            max_pending_bytes: 64 * 1024 * 1024,
            routes: Vec::new(),
        }
    }
}

/// One `[[cloudevents.routes]]`: the extensions it matches (each optional; all given must
/// be equal) and the project its events go to.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CloudEventsRoute {
    /// The `inferenceservicename` extension (KServe's InferenceService, Seldon's
    /// SeldonDeployment).
    pub inferenceservicename: Option<String>,
    /// The `namespace` extension.
    pub namespace: Option<String>,
    /// The `component` extension (KServe: `predictor`, `transformer`, `explainer`).
    pub component: Option<String>,
    /// The `endpoint` extension (KServe: `default` or `canary`; Seldon: the predictor).
    pub endpoint: Option<String>,
    /// The project the events go to.
    pub project: String,
    /// Column names for tensors wider than one column, by tensor name (`instances`,
    /// `predictions`, `data`, or an Open Inference Protocol tensor's name).
    pub tensor_columns: payload::TensorColumns,
}

impl CloudEventsRoute {
    /// Whether the event's extensions (by name) match every field this route gives.
    pub fn matches<'a>(&self, extension: impl Fn(&str) -> Option<&'a str>) -> bool {
        [
            (&self.inferenceservicename, "inferenceservicename"),
            (&self.namespace, "namespace"),
            (&self.component, "component"),
            (&self.endpoint, "endpoint"),
        ]
        .into_iter()
        .all(|(want, name)| want.as_deref().is_none_or(|w| extension(name) == Some(w)))
    }
}

impl CloudEventsConfig {
    /// The join's bounds; the error names the setting.
    pub fn join_settings(&self) -> Result<join::JoinSettings, String> {
        let d = parse_duration("cloudevents.join_timeout", &self.join_timeout)
            .map_err(|e: ProjectError| e.to_string())?;
        if d.is_zero() {
            return Err("cloudevents.join_timeout must be longer than 0s".into());
        }
        if self.max_pending == 0 || self.max_pending_bytes == 0 {
            return Err(
                "cloudevents.max_pending and cloudevents.max_pending_bytes must be positive".into(),
            );
        }
        Ok(join::JoinSettings {
            timeout_us: i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
            max_pending: self.max_pending,
            max_pending_bytes: self.max_pending_bytes,
        })
    }

    /// Checks the settings and routes; the error names the setting.
    pub fn validate(&self) -> Result<(), String> {
        self.join_settings()?;
        for (i, r) in self.routes.iter().enumerate() {
            if r.project.is_empty() {
                return Err(format!("cloudevents.routes[{i}]: `project` is required"));
            }
        }
        Ok(())
    }

    /// The route an event with these extensions takes: the first that matches.
    pub fn route<'a, 'b>(
        &'a self,
        extension: impl Fn(&str) -> Option<&'b str> + Copy,
    ) -> Option<&'a CloudEventsRoute> {
        self.routes.iter().find(|r| r.matches(extension))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_routes() {
        assert_eq!(
            classify(KSERVE_RESPONSE),
            Some((Logger::KServe, EventKind::Half(join::Half::Response)))
        );
        assert_eq!(
            classify(SELDON_FEEDBACK),
            Some((Logger::Seldon, EventKind::Feedback))
        );
        assert_eq!(classify("com.example.other"), None);
        let config: CloudEventsConfig = toml::from_str(
            r#"
            join_timeout = "2s"
            [[routes]]
            inferenceservicename = "sklearn-iris"
            endpoint = "canary"
            project = "iris-canary"
            [[routes]]
            inferenceservicename = "sklearn-iris"
            project = "iris"
            [routes.tensor_columns]
            instances = ["a", "b"]
            "#,
        )
        .unwrap();
        assert_eq!(config.join_settings().unwrap().timeout_us, 2_000_000);
        let ext = |endpoint: &'static str| {
            move |name: &str| match name {
                "inferenceservicename" => Some("sklearn-iris"),
                "endpoint" => Some(endpoint),
                _ => None,
            }
        };
        assert_eq!(config.route(ext("canary")).unwrap().project, "iris-canary");
        assert_eq!(config.route(ext("default")).unwrap().project, "iris");
        assert!(config.route(|_| None).is_none());
        let bad = CloudEventsConfig {
            join_timeout: "soon".into(),
            ..Default::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .contains("cloudevents.join_timeout"));
    }
}
