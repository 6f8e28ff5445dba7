//! The proxy's settings: the `modelwatch proxy` flags, or a `--config` TOML file.
//!
//! ```toml
//! listen = "0.0.0.0:8000"
//! upstream = "http://127.0.0.1:9000"
//! metrics_listen = "127.0.0.1:9464"   # the proxy's own /metrics, apart from the model's paths
//! project = "iris"
//! server = "http://127.0.0.1:8080"    # where captured events go; none: capture is off
//! token = "..."                       # a write token of the server, when it has tokens
//! timeout = "30s"                     # until the upstream's answer head; then 504
//! id_header = "x-request-id"          # its value becomes the event id
//! max_capture_bytes = 1048576         # per body; a longer body is forwarded, not captured
//! capture_posts = true                # capture every JSON POST that matches no route
//! prediction = "prediction"           # the column a scalar prediction goes to
//! queue_size = 10000                  # captured events waiting to be sent; then the oldest go
//! max_queue_bytes = 67108864          # their JSON together (and the bodies not yet parsed)
//! batch_size = 500
//! max_batch_bytes = 8388608           # per request to the server, below its max_body_bytes
//! max_delay = "1s"                    # a partial batch is sent after this long
//! max_backoff = "5s"
//!
//! [[routes]]
//! method = "POST"                     # optional: any method
//! path = "/v2/models/{model}/infer"   # `{name}` matches one path segment
//! capture = true                      # default: true for POST
//! inputs = "/data"                    # optional JSON pointers (RFC 6901) into the request
//! outputs = "/result/scores"          # and the response, for payloads of no known protocol
//! input_names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
//! ```

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::project::parse_duration;

/// One route of the model: how its requests are labelled and whether they are captured.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// The method it matches (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// The path pattern: literal segments and `{name}` segments that match any one segment.
    pub path: String,
    /// Whether its JSON bodies become events (default: true for POST routes).
    #[serde(default)]
    pub capture: Option<bool>,
    /// A JSON pointer to the request's rows (an object, or an array of objects or arrays).
    #[serde(default)]
    pub inputs: Option<String>,
    /// A JSON pointer to the response's predictions (a value, an object or an array).
    #[serde(default)]
    pub outputs: Option<String>,
    /// Column names for inputs sent as arrays (instances or tensor rows), in order.
    #[serde(default)]
    pub input_names: Vec<String>,
}

/// Everything `modelwatch proxy` needs; the flags fill the same fields.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyConfig {
    /// Where the model's clients connect.
    pub listen: SocketAddr,
    /// The model: `http://host:port` (HTTP/1.1 to the model; no TLS).
    pub upstream: String,
    /// The proxy's own `/metrics` (a separate address so that no path of the model is taken).
    pub metrics_listen: Option<SocketAddr>,
    /// The project the events belong to.
    pub project: String,
    /// The modelwatch server's base URL (`http://host:port[/base]`); none: nothing is sent.
    pub server: Option<String>,
    /// A bearer token for the server.
    pub token: Option<String>,
    /// How long the upstream may take to answer a request's head (`"30s"`); then 504.
    pub timeout: String,
    /// The request header whose value becomes the event id.
    pub id_header: String,
    /// The most bytes of one body captured; a longer body is forwarded but not captured.
    pub max_capture_bytes: usize,
    /// Whether JSON POST requests to paths matching no route are captured.
    pub capture_posts: bool,
    /// The column a prediction that is a single value goes to.
    pub prediction: String,
    /// Events waiting to be sent at most; beyond, the oldest are dropped.
    pub queue_size: usize,
    /// The most bytes (as JSON Lines) of the events waiting, and of the captured bodies of
    /// finished requests waiting to be parsed; beyond, the oldest are dropped.
    pub max_queue_bytes: usize,
    /// Events per request to the server.
    pub batch_size: usize,
    /// The most bytes of one request to the server (below its `max_body_bytes`); a batch the
    /// server still finds too large (413) is split in halves.
    pub max_batch_bytes: usize,
    /// How long a partial batch waits before it is sent (`"1s"`).
    pub max_delay: String,
    /// The longest wait between retries while the server fails (`"5s"`).
    pub max_backoff: String,
    /// The model's routes; requests to other paths are grouped under `other`.
    pub routes: Vec<RouteConfig>,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            upstream: String::new(),
            metrics_listen: None,
            project: String::new(),
            server: None,
            token: None,
            timeout: "30s".into(),
            id_header: "x-request-id".into(),
            max_capture_bytes: 1 << 20,
            capture_posts: true,
            prediction: "prediction".into(),
            queue_size: 10_000,
            max_queue_bytes: 64 << 20,
            batch_size: 500,
            max_batch_bytes: 8 << 20,
            max_delay: "1s".into(),
            max_backoff: "5s".into(),
            routes: Vec::new(),
        }
    }
}

/// A setting the proxy cannot run with.
#[derive(Debug, thiserror::Error)]
pub enum ProxyConfigError {
    /// The file cannot be read or parsed.
    #[error("{path}: {message}")]
    File {
        /// The config file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// One setting is wrong.
    #[error("{key}: {message}")]
    Invalid {
        /// The config key (the flag has the same name with dashes).
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The parts of an `http://host:port[/base]` URL the proxy uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// `host:port` (the port defaults to 80).
    pub authority: String,
    /// The base path without a trailing slash (empty for none).
    pub base: String,
}

/// Parses an `http://` URL; `https` is refused (the proxy speaks plain HTTP on both sides).
pub fn parse_http_url(key: &'static str, url: &str) -> Result<HttpUrl, ProxyConfigError> {
    let invalid = |message: String| ProxyConfigError::Invalid { key, message };
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid(format!("`{url}` must start with http://")))?;
    let (authority, base) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(invalid(format!("`{url}` has no host:port")));
    }
    let authority = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.contains(']'))
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    authority
        .parse::<hyper::http::uri::Authority>()
        .map_err(|e| invalid(format!("`{url}`: {e}")))?;
    // The base path must make valid request targets (no spaces, no query), checked here so
    // that a request built from it later cannot fail.
    if base.contains(['?', '#']) {
        return Err(invalid(format!(
            "`{url}`: a base path cannot hold a query or fragment"
        )));
    }
    format!("http://{authority}{base}/")
        .parse::<hyper::Uri>()
        .map_err(|e| invalid(format!("`{url}`: the path is not valid in a URL: {e}")))?;
    Ok(HttpUrl {
        authority,
        base: base.to_string(),
    })
}

/// The settings checked and parsed once.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The upstream's `host:port` and base path.
    pub upstream: HttpUrl,
    /// The server's, when events are sent.
    pub server: Option<HttpUrl>,
    /// The upstream answer timeout.
    pub timeout: Duration,
    /// The partial-batch delay.
    pub max_delay: Duration,
    /// The retry backoff ceiling.
    pub max_backoff: Duration,
    /// The id header, lowercased.
    pub id_header: hyper::header::HeaderName,
}

impl ProxyConfig {
    /// Reads a TOML file.
    pub fn load(path: &Path) -> Result<Self, ProxyConfigError> {
        let file = |message: String| ProxyConfigError::File {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file(e.to_string()))?;
        toml::from_str(&text).map_err(|e| file(e.to_string().trim().replace('\n', " ")))
    }

    /// Checks every setting and parses the durations and URLs.
    pub fn check(&self) -> Result<Checked, ProxyConfigError> {
        let invalid =
            |key: &'static str, message: String| ProxyConfigError::Invalid { key, message };
        let duration = |key: &'static str, text: &str| {
            parse_duration(key, text).map_err(|e| invalid(key, e.to_string()))
        };
        if self.upstream.is_empty() {
            return Err(invalid("upstream", "is required (http://host:port)".into()));
        }
        let upstream = parse_http_url("upstream", &self.upstream)?;
        let server = match &self.server {
            Some(s) => Some(parse_http_url("server", s)?),
            None => None,
        };
        if server.is_some() && self.project.is_empty() {
            return Err(invalid("project", "is required to send events".into()));
        }
        let timeout = duration("timeout", &self.timeout)?;
        if timeout.is_zero() {
            return Err(invalid("timeout", "must be positive".into()));
        }
        if self.queue_size == 0 || self.batch_size == 0 {
            return Err(invalid(
                "queue_size",
                "queue_size and batch_size must be positive".into(),
            ));
        }
        if self.max_queue_bytes == 0 || self.max_batch_bytes == 0 {
            return Err(invalid(
                "max_queue_bytes",
                "max_queue_bytes and max_batch_bytes must be positive".into(),
            ));
        }
        let id_header = hyper::header::HeaderName::from_bytes(self.id_header.as_bytes())
            .map_err(|e| invalid("id_header", format!("`{}`: {e}", self.id_header)))?;
        for r in &self.routes {
            if !r.path.starts_with('/') {
                return Err(invalid(
                    "routes",
                    format!("path `{}` must start with /", r.path),
                ));
            }
            for p in r.inputs.iter().chain(r.outputs.iter()) {
                if !(p.is_empty() || p.starts_with('/')) {
                    return Err(invalid(
                        "routes",
                        format!("`{p}` is not a JSON pointer (empty, or starting with /)"),
                    ));
                }
            }
        }
        Ok(Checked {
            upstream,
            server,
            timeout,
            max_delay: duration("max_delay", &self.max_delay)?,
            max_backoff: duration("max_backoff", &self.max_backoff)?,
            id_header,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_get_a_port_and_lose_a_trailing_slash() {
        let u = parse_http_url("upstream", "http://127.0.0.1:9000/").unwrap();
        assert_eq!(u.authority, "127.0.0.1:9000");
        assert_eq!(u.base, "");
        let u = parse_http_url("server", "http://monitor/modelwatch/").unwrap();
        assert_eq!(u.authority, "monitor:80");
        assert_eq!(u.base, "/modelwatch");
        assert!(parse_http_url("server", "https://x:1").is_err());
        assert!(parse_http_url("server", "http://").is_err());
        // A base path that would not make a valid request target is refused up front.
        for bad in [
            "http://monitor:8080/model watch",
            "http://m:1/a?b=1",
            "http://m:1/a#x",
        ] {
            let e = parse_http_url("server", bad).unwrap_err().to_string();
            assert!(e.contains("server"), "{e}");
        }
    }

    #[test]
    fn a_file_with_routes_parses_and_checks() {
        let c: ProxyConfig = toml::from_str(
            r#"
            upstream = "http://127.0.0.1:9000"
            project = "iris"
            server = "http://127.0.0.1:8080"
            timeout = "2s"
            [[routes]]
            method = "POST"
            path = "/v2/models/{model}/infer"
            input_names = ["a", "b"]
            "#,
        )
        .unwrap();
        let checked = c.check().unwrap();
        assert_eq!(checked.timeout, Duration::from_secs(2));
        assert_eq!(c.routes[0].input_names, ["a", "b"]);
        let bad = ProxyConfig {
            upstream: "http://x:1".into(),
            timeout: "0s".into(),
            ..ProxyConfig::default()
        };
        assert!(bad.check().unwrap_err().to_string().starts_with("timeout"));
    }
}
