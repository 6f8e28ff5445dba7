//! What a web page on another origin may not do: change state here, or frame our pages.
//!
//! Without tokens (the default) every write is open, so any page a user visits could post
//! to the service from their browser. Browsers say where a request comes from: `Origin`
//! on every cross-origin write, and `Sec-Fetch-Site` in current browsers. A write naming
//! another origin is refused, and so is an API body typed as what an HTML form or a plain
//! `fetch` can send without asking first (`text/plain`, form encoding, multipart): together
//! a cross-origin page cannot change anything. Clients that are not browsers (curl, SDKs,
//! Prometheus) send neither header and are let through as before.
//!
//! Every HTML answer also carries `X-Frame-Options: DENY` and `frame-ancestors 'none'`, so
//! no other page can frame the dashboard or a report and trick a click into it.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The layer: refuses a cross-origin write (`403`) or an API body of a type a form can
/// send (`415`), and adds the anti-framing headers to every HTML answer.
pub(super) async fn guard(req: Request, next: Next) -> Response {
    let writes = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if writes {
        if let Some(reason) = foreign_origin(req.headers()) {
            tracing::warn!(reason = %reason, path = %req.uri().path(), "cross-origin write refused");
            return ApiError::new(StatusCode::FORBIDDEN, reason).into_response();
        }
        if req.uri().path().starts_with("/api/") {
            if let Some(ct) = refused_body_type(req.headers(), req.uri().path()) {
                return ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!(
                        "Content-Type `{ct}` is not taken here: send application/json \
                         (events also application/x-ndjson, text/csv or multipart/form-data; references \
                         text/csv, application/x-ndjson or application/vnd.apache.parquet; a \
                         new project also multipart/form-data)"
                    ),
                )
                .into_response();
            }
        }
    }
    let mut response = next.run(req).await;
    forbid_framing(&mut response);
    response
}

/// Why a write's `Sec-Fetch-Site` or `Origin` says it comes from another origin, if it does.
fn foreign_origin(headers: &HeaderMap) -> Option<String> {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("").trim().to_ascii_lowercase();
        // `none`: the user's own action (typed address, bookmark); the rest say another
        // site or another origin of this site sent it.
        if site != "same-origin" && site != "none" {
            return Some(format!(
                "cross-origin write refused (Sec-Fetch-Site: {site})"
            ));
        }
    }
    let origin = headers.get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or("");
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let proto = super::forwarded_proto(headers);
    if same_origin(origin, host, proto.as_deref()) {
        None
    } else {
        Some(format!(
            "cross-origin write refused: Origin `{origin}` is not this server (`{host}`)"
        ))
    }
}

/// Whether `origin` (`scheme://host[:port]`) is the server reached as `host` (the `Host`
/// header). The server cannot see the scheme a client used when TLS ends at a proxy, so
/// without `X-Forwarded-Proto` the scheme is not compared, only host and port (a port left
/// out being the scheme's default): two schemes cannot share one port, and `http://h` and
/// `https://h` are the same host, run by the same people. With `X-Forwarded-Proto` (a
/// browser cannot add it to a cross-origin request without asking first) the scheme must
/// match it too. `null` (sandboxed frames, local files) is never this server.
fn same_origin(origin: &str, host: &str, proto: Option<&str>) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let scheme = scheme.to_ascii_lowercase();
    if proto.is_some_and(|p| p != scheme) || authority.contains(['/', '@']) {
        return false;
    }
    let Some((o_host, o_port)) = split_authority(authority) else {
        return false;
    };
    let Some(o_port) = o_port.or_else(|| default_port(&scheme)) else {
        return false;
    };
    let Some((h_host, h_port)) = split_authority(host.trim()) else {
        return false;
    };
    let h_port = match (h_port, proto) {
        (Some(p), _) => Some(p),
        (None, Some(p)) => default_port(p),
        (None, None) => default_port(&scheme),
    };
    !h_host.is_empty() && o_host == h_host && Some(o_port) == h_port
}

/// `host[:port]` (a bracketed IPv6 address allowed) as the lowercased host and the port.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{inside}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    Some((host.to_ascii_lowercase(), port))
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// The `Content-Type` of a write's body when it is one the API never takes: anything but
/// JSON, JSON Lines, CSV or Parquet. That covers `text/plain`, form encoding and
/// multipart, the types a page on another origin can send without a CORS preflight. A
/// body without a `Content-Type` is read as JSON, as before (SDKs sending raw bytes do
/// that; a browser sending it cross-origin also sends `Origin`).
///
/// Multipart is taken on two routes, event ingestion (`.../events`), where it carries an
/// event with its images as files, and project creation (`/api/v1/projects`), where it
/// carries the settings with the reference file: a browser that sends it from another origin also sends
/// `Origin` or `Sec-Fetch-Site`, which [`foreign_origin`] refuses first, so what is left
/// open to a page is only what its own origin (this server) may do anyway.
fn refused_body_type(headers: &HeaderMap, path: &str) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?;
    let ct = ct.to_str().unwrap_or("?");
    // The payload loggers' structured and batched CloudEvents.
    if path.ends_with("/api/v1/cloudevents")
        && crate::ingest::cloudevents::envelope::structured_mode(Some(ct)).is_some()
    {
        return None;
    }
    let taken = match crate::ingest::media_type(ct) {
        None => false,
        Some(crate::ingest::MediaType::Multipart) => {
            path.ends_with("/events") || path.trim_end_matches('/') == "/api/v1/projects"
        }
        Some(_) => true,
    };
    (!taken).then(|| ct.to_string())
}

/// Adds `X-Frame-Options: DENY` and `frame-ancestors 'none'` (to the page's own
/// `Content-Security-Policy` when it has one) to an HTML answer.
fn forbid_framing(response: &mut Response) {
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .get(..9)
                .is_some_and(|p| p.eq_ignore_ascii_case("text/html"))
        });
    if !html {
        return;
    }
    let h = response.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let csp = h
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let csp = match csp {
        Some(c) if c.contains("frame-ancestors") => return,
        Some(c) if !c.trim().is_empty() => {
            format!("{}; frame-ancestors 'none'", c.trim_end_matches([';', ' ']))
        }
        _ => "frame-ancestors 'none'".to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_host_and_port_and_the_forwarded_scheme() {
        assert!(same_origin("http://127.0.0.1:8080", "127.0.0.1:8080", None));
        assert!(same_origin(
            "https://127.0.0.1:8080",
            "127.0.0.1:8080",
            None
        ));
        assert!(same_origin("https://mw.example", "MW.example", None));
        assert!(same_origin("http://mw.example:80", "mw.example", None));
        assert!(same_origin(
            "https://mw.example",
            "mw.example",
            Some("https")
        ));
        assert!(same_origin("http://[::1]:9000", "[::1]:9000", None));
        assert!(!same_origin(
            "http://mw.example",
            "mw.example",
            Some("https")
        ));
        assert!(!same_origin("http://evil.example", "127.0.0.1:8080", None));
        assert!(!same_origin(
            "http://127.0.0.1:8081",
            "127.0.0.1:8080",
            None
        ));
        assert!(!same_origin("https://mw.example:8443", "mw.example", None));
        assert!(!same_origin("null", "127.0.0.1:8080", None));
        assert!(!same_origin("http://127.0.0.1:8080", "", None));
        assert!(!same_origin(
            "http://a@127.0.0.1:8080",
            "127.0.0.1:8080",
            None
        ));
    }

    #[test]
    fn body_types_a_form_can_send_are_refused() {
        let with = |ct: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
            refused_body_type(&h, "/api/v1/projects/p/reference")
        };
        assert!(with("text/plain").is_some());
        assert!(with("text/plain;charset=UTF-8").is_some());
        assert!(with("application/x-www-form-urlencoded").is_some());
        assert!(with("multipart/form-data; boundary=x").is_some());
        assert!(with("application/json; charset=utf-8").is_none());
        assert!(with("text/csv").is_none());
        assert!(refused_body_type(&HeaderMap::new(), "/api/v1/projects/p/events").is_none());
        // Multipart carries an event with its images, on the events route only.
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=x"),
        );
        assert!(refused_body_type(&h, "/api/v1/projects/p/events").is_none());
        assert!(refused_body_type(&h, "/api/v1/projects/p/labels").is_some());
        assert!(with("application/zip").is_none());
    }
}
