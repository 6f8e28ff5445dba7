//! The model's routes: which configured route a request belongs to (its metrics label) and
//! whether its bodies are captured. Paths matching no route are grouped under `other`, so
//! that the series on `/metrics` stay bounded whatever paths clients send.

use std::sync::Arc;

use super::config::{ProxyConfig, RouteConfig};

/// The route label of a request that matches no configured route.
pub const OTHER_ROUTE: &str = "other";

/// Paths of the common serving protocols, labelled even when no route is configured.
const DEFAULT_PATTERNS: [&str; 5] = [
    "/predict",
    "/invocations",
    "/v1/models/{model}:predict",
    "/v2/models/{model}/infer",
    "/v2/models/{model}/versions/{version}/infer",
];

/// One path segment of a pattern.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    /// Matches this text exactly.
    Literal(String),
    /// `{name}`: matches any one segment.
    Any,
    /// `{name}:verb` (KServe v1): any text ending in `:verb`.
    AnyWithSuffix(String),
}

/// A configured route, ready to match.
#[derive(Debug, Clone)]
pub struct Route {
    /// The metrics label: the pattern as configured.
    pub label: String,
    method: Option<String>,
    segments: Vec<Segment>,
    /// Whether JSON bodies of this route become events.
    pub capture: bool,
    /// A JSON pointer to the request's rows.
    pub inputs: Option<String>,
    /// A JSON pointer to the response's predictions.
    pub outputs: Option<String>,
    /// Names for the components of inputs sent as arrays.
    pub input_names: Vec<String>,
    /// Configured (its bodies are captured whatever their content type), not a default.
    pub configured: bool,
}

fn segments_of(pattern: &str) -> Vec<Segment> {
    pattern
        .trim_start_matches('/')
        .split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Segment::Any
            } else if let (true, Some(i)) = (s.starts_with('{'), s.find("}:")) {
                Segment::AnyWithSuffix(s[i + 1..].to_string())
            } else {
                Segment::Literal(s.to_string())
            }
        })
        .collect()
}

impl Route {
    fn of(c: &RouteConfig, configured: bool) -> Self {
        let method = c.method.as_ref().map(|m| m.to_ascii_uppercase());
        Self {
            label: c.path.clone(),
            capture: c
                .capture
                .unwrap_or(method.as_deref().is_none_or(|m| m == "POST")),
            method,
            segments: segments_of(&c.path),
            inputs: c.inputs.clone(),
            outputs: c.outputs.clone(),
            input_names: c.input_names.clone(),
            configured,
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        if self.method.as_deref().is_some_and(|m| m != method) {
            return false;
        }
        let mut parts = path.trim_start_matches('/').split('/');
        for seg in &self.segments {
            let Some(part) = parts.next() else {
                return false;
            };
            let ok = match seg {
                Segment::Literal(l) => part == l,
                Segment::Any => !part.is_empty(),
                Segment::AnyWithSuffix(suffix) => {
                    part.len() > suffix.len() && part.ends_with(suffix.as_str())
                }
            };
            if !ok {
                return false;
            }
        }
        parts.next().is_none()
    }
}

/// The routes in the order they are tried: the configured ones, then the defaults.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<Arc<Route>>,
    capture_posts: bool,
}

/// How one request is handled: its label and whether its bodies are captured.
#[derive(Debug, Clone, Copy)]
pub struct Matched<'a> {
    /// The route label for metrics.
    pub label: &'a str,
    /// The matched route, if any.
    pub route: Option<&'a Arc<Route>>,
    /// Whether the request (if JSON) is captured.
    pub capture: bool,
}

impl RouteTable {
    /// The table of a proxy's settings.
    pub fn new(config: &ProxyConfig) -> Self {
        let mut routes: Vec<Arc<Route>> = config
            .routes
            .iter()
            .map(|c| Arc::new(Route::of(c, true)))
            .collect();
        for pattern in DEFAULT_PATTERNS {
            if !routes.iter().any(|r| r.label == pattern) {
                routes.push(Arc::new(Route::of(
                    &RouteConfig {
                        method: None,
                        path: pattern.to_string(),
                        capture: None,
                        inputs: None,
                        outputs: None,
                        input_names: Vec::new(),
                    },
                    false,
                )));
            }
        }
        Self {
            routes,
            capture_posts: config.capture_posts,
        }
    }

    /// The route of `method` `path` (the path without its query).
    pub fn find(&self, method: &str, path: &str) -> Matched<'_> {
        match self.routes.iter().find(|r| r.matches(method, path)) {
            Some(r) => Matched {
                label: &r.label,
                route: Some(r),
                capture: r.capture && (r.method.is_some() || method == "POST"),
            },
            None => Matched {
                label: OTHER_ROUTE,
                route: None,
                capture: self.capture_posts && method == "POST",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(routes: Vec<RouteConfig>, capture_posts: bool) -> RouteTable {
        RouteTable::new(&ProxyConfig {
            routes,
            capture_posts,
            ..ProxyConfig::default()
        })
    }

    #[test]
    fn patterns_match_segments_and_the_rest_is_other() {
        let t = table(
            vec![RouteConfig {
                method: Some("post".into()),
                path: "/score/{id}".into(),
                capture: None,
                inputs: None,
                outputs: None,
                input_names: vec![],
            }],
            false,
        );
        let m = t.find("POST", "/score/7");
        assert_eq!((m.label, m.capture), ("/score/{id}", true));
        assert_eq!(t.find("GET", "/score/7").label, OTHER_ROUTE);
        assert_eq!(t.find("POST", "/score/7/x").label, OTHER_ROUTE);
        assert_eq!(t.find("POST", "/score/").label, OTHER_ROUTE);
        let m = t.find("POST", "/v2/models/iris/infer");
        assert_eq!((m.label, m.capture), ("/v2/models/{model}/infer", true));
        let m = t.find("GET", "/v2/models/iris/infer");
        assert_eq!((m.label, m.capture), ("/v2/models/{model}/infer", false));
        assert_eq!(
            t.find("POST", "/v1/models/iris:predict").label,
            "/v1/models/{model}:predict"
        );
        assert_eq!(t.find("POST", "/v1/models/:predict").label, OTHER_ROUTE);
        let m = t.find("POST", "/anything");
        assert_eq!((m.label, m.capture), (OTHER_ROUTE, false));
        assert!(table(vec![], true).find("POST", "/anything").capture);
    }
}
