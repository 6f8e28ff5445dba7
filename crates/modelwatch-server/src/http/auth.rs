//! Who may do what: bearer tokens with read or write scope, checked by the `authorize`
//! layer in front of every route; the dashboard's session cookie, set by the login form
//! (`/login`) from a read token and taken for reads and for the dashboard's silence form;
//! and the anti-forgery value that form carries.

use std::collections::HashMap;
use std::fmt::Write;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::redirect;
use crate::config::Scope;
use crate::dashboard::html::{form_fields, pct, pct_decode};
use crate::dashboard::{base, home, login_page};
use crate::AppState;

/// How `authorize` let a request in when tokens are configured (a request extension;
/// absent when tokens are off or the route is open). A handler that takes writes from the
/// session cookie checks its anti-forgery value exactly when this says `Session`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    /// An `Authorization: Bearer` token.
    Bearer,
    /// The dashboard's session cookie.
    Session,
}

/// The token of an `Authorization` value in the `Bearer` scheme, whose name is matched
/// without regard to case (RFC 9110 §11.1); `None` for another scheme.
fn bearer_credentials(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Checks the bearer token when tokens are configured: reads need the read scope, writes
/// the write scope; `/healthz` and `/readyz` are open, `/metrics` unless `metrics_auth`.
pub(super) async fn authorize(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let open = path == "/healthz"
        || path == "/readyz"
        || path == LOGIN_PATH
        || (path == "/metrics" && !state.config.metrics_auth);
    let response = if state.config.tokens.is_empty() || open {
        next.run(req).await
    } else {
        let need = if matches!(*req.method(), Method::GET | Method::HEAD) {
            Scope::Read
        } else {
            Scope::Write
        };
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_credentials)
            .map(str::to_string);
        let (given, via) = match bearer {
            Some(b) => (Some(b), AuthVia::Bearer),
            // Dashboard pages: the session cookie of the login form, for reads, and for
            // the dashboard's silence form (which also checks an anti-forgery value).
            None => (
                (need == Scope::Read || is_form_post(req.uri().path()))
                    .then(|| session_token(req.headers()))
                    .flatten(),
                AuthVia::Session,
            ),
        };
        let allowed = given.is_some_and(|g| state.config.grants(&g, need));
        if allowed {
            req.extensions_mut().insert(via);
            next.run(req).await
        } else if need == Scope::Read && is_page(req.uri().path()) {
            login_redirect(&state.config.base_path, req.uri())
        } else {
            let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized").into_response();
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            r
        }
    };
    response
}

/// The login form's path (open: it is how a reader gets in).
pub const LOGIN_PATH: &str = "/login";
/// The session cookie's name.
pub const COOKIE: &str = "modelwatch_session";

/// The token held by the session cookie of a request, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == COOKIE && !v.is_empty()).then(|| pct_decode(v))
        })
}

/// The token of the request's session cookie when it is a configured token with `scope`.
pub fn session_with(state: &AppState, headers: &HeaderMap, scope: Scope) -> Option<String> {
    let token = session_token(headers)?;
    state.config.grants(&token, scope).then_some(token)
}

/// Whether `path` (below the base path) is a dashboard page, which answers a missing
/// token with the login form rather than a bare 401.
pub fn is_page(path: &str) -> bool {
    path == "/" || path.is_empty() || path.starts_with("/projects/")
}

/// Whether `path` (below the base path) is the dashboard's silence form target, where
/// `authorize` also takes the session cookie for a write (its token still needs write
/// scope, and the form must carry the anti-forgery value, see [`form_allowed`]).
pub fn is_form_post(path: &str) -> bool {
    path.strip_prefix("/projects/")
        .and_then(|p| p.strip_suffix("/silences"))
        .is_some_and(|p| !p.is_empty() && !p.contains('/'))
}

/// `303` to the login form, which comes back to `uri` afterwards.
pub fn login_redirect(base: &str, uri: &Uri) -> Response {
    let base = base.trim_end_matches('/');
    let back = format!("{base}{}", uri.path_and_query().map_or("/", |p| p.as_str()));
    redirect(&format!("{base}{LOGIN_PATH}?next={}", pct(&back)))
}

/// The anti-forgery value of a session: a keyed hash (SipHash with keys drawn at random
/// once per process) of the session token, so a page's form value says nothing about
/// the token and a form from before a restart is refused.
pub fn csrf_for(token: &str) -> String {
    static KEYS: OnceLock<[std::collections::hash_map::RandomState; 2]> = OnceLock::new();
    let keys = KEYS.get_or_init(Default::default);
    let mut out = String::new();
    for k in keys {
        let mut h = k.build_hasher();
        h.write(b"modelwatch dashboard csrf\0");
        h.write(token.as_bytes());
        let _ = write!(out, "{:016x}", h.finish());
    }
    out
}

/// Whether a dashboard form post may proceed. Without tokens configured anyone may post.
/// With tokens, `authorize` has already checked the write scope of the bearer token or
/// session (`via`); anything but a bearer token must also send `given`, the anti-forgery
/// value of its session's page (the cookie is SameSite=Strict as well).
pub fn form_allowed(
    state: &AppState,
    via: Option<AuthVia>,
    headers: &HeaderMap,
    given: &str,
) -> bool {
    if state.config.tokens.is_empty() || via == Some(AuthVia::Bearer) {
        return true;
    }
    session_token(headers)
        .is_some_and(|token| bool::from(csrf_for(&token).as_bytes().ct_eq(given.as_bytes())))
}

/// Where to go after logging in: `next` when it is a path of this service.
fn safe_next(base: &str, next: Option<&str>) -> String {
    let home = home(base);
    match next {
        Some(n)
            if (n.starts_with(&format!("{base}/")) || n == home)
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => home,
    }
}

/// Whether the client reached the service over HTTPS, as a reverse proxy in front of it
/// says with `X-Forwarded-Proto: https` (modelwatch itself serves plain HTTP). The header
/// is taken from anyone: it can only add `Secure` to the cookie, which narrows where a
/// browser sends it, so a client that forges it harms only its own login.
fn forwarded_https(headers: &HeaderMap) -> bool {
    super::forwarded_proto(headers).as_deref() == Some("https")
}

fn cookie(state: &AppState, value: &str, max_age: Option<u64>, secure: bool) -> HeaderValue {
    let path = home(base(state));
    let mut c = format!("{COOKIE}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(s) = max_age {
        c.push_str(&format!("; Max-Age={s}"));
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `GET /login`: the login form (or, without tokens, straight on to `next`).
pub(super) async fn login_form(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Response {
    let fields = form_fields(q.as_deref().unwrap_or(""));
    let next = fields
        .iter()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.as_str());
    let next = safe_next(base(&state), next);
    if state.config.tokens.is_empty() {
        return redirect(&next);
    }
    login_page(&state, StatusCode::OK, &next, None)
}

/// Failed logins a client may make in [`LOGIN_WINDOW`] before the form answers 429.
pub const LOGIN_FAILURES_ALLOWED: u32 = 10;
/// The window over which failed logins are counted, per client.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(60);

/// Failed logins per client address (an extension of the router), so that guessing read
/// tokens through the form is slow. Only failures count: a user who types the right
/// token is not held up by how often they logged in. Clients are told apart by their
/// peer address when the server is served with connect info, and share one count
/// otherwise (then a guesser delays every form login, never a bearer token).
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<Option<IpAddr>, (Instant, u32)>>,
}

impl LoginLimiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Option<IpAddr>, (Instant, u32)>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The seconds `client` must wait before trying again, when it is over the limit.
    fn wait(&self, client: Option<IpAddr>, now: Instant) -> Option<u64> {
        let g = self.lock();
        let (start, n) = g.get(&client)?;
        let left = LOGIN_WINDOW.checked_sub(now.duration_since(*start))?;
        (*n >= LOGIN_FAILURES_ALLOWED).then(|| left.as_secs().max(1))
    }

    /// Counts one failed login of `client`.
    fn failed(&self, client: Option<IpAddr>, now: Instant) {
        let mut g = self.lock();
        // Forget windows that ended, so the map holds only clients seen in the last minute.
        if g.len() > 1024 {
            g.retain(|_, (start, _)| now.duration_since(*start) < LOGIN_WINDOW);
        }
        let entry = g.entry(client).or_insert((now, 0));
        if now.duration_since(entry.0) >= LOGIN_WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

/// `POST /login`: `token=...&next=...` sets the session cookie and goes to `next`;
/// `logout=1` clears it. The cookie is `Secure` behind a proxy that forwards HTTPS. After
/// [`LOGIN_FAILURES_ALLOWED`] wrong tokens in a minute a client gets 429 with `Retry-After`.
pub(super) async fn login(
    State(state): State<Arc<AppState>>,
    Extension(limiter): Extension<Arc<LoginLimiter>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let secure = forwarded_https(&headers);
    let client = peer.map(|Extension(ConnectInfo(a))| a.ip());
    let now = Instant::now();
    let fields = form_fields(&String::from_utf8_lossy(&body));
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let next = safe_next(base(&state), get("next"));
    if get("logout").is_some() {
        let mut r = login_page(&state, StatusCode::OK, &next, None);
        r.headers_mut()
            .insert(header::SET_COOKIE, cookie(&state, "", Some(0), secure));
        return r;
    }
    if let Some(wait) = limiter.wait(client, now) {
        let mut r = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many failed logins: at most {LOGIN_FAILURES_ALLOWED} a minute; \
                 try again in {wait} s"
            ),
        )
        .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return r;
    }
    let token = get("token").unwrap_or("").trim();
    if !state.config.grants(token, Scope::Read) {
        limiter.failed(client, now);
        return login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &next,
            Some("That token is not valid for reading."),
        );
    }
    let mut r = redirect(&next);
    r.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&state, &pct(token), None, secure),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_targets_stay_on_this_service() {
        assert_eq!(safe_next("", Some("/projects/a")), "/projects/a");
        assert_eq!(safe_next("", Some("//evil.example/")), "/");
        assert_eq!(safe_next("", Some("https://evil.example/")), "/");
        assert_eq!(safe_next("/mw", Some("/other")), "/mw");
        assert_eq!(safe_next("/mw", Some("/mw")), "/mw");
        assert_eq!(
            safe_next("/mw", Some("/mw/projects/x?range=1d")),
            "/mw/projects/x?range=1d"
        );
    }

    #[test]
    fn the_session_cookie_is_read_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; modelwatch_session=ab%26cd%3B; b=2"),
        );
        assert_eq!(session_token(&h).as_deref(), Some("ab&cd;"));
        assert_eq!(session_token(&HeaderMap::new()), None);
    }

    #[test]
    fn the_anti_forgery_value_and_the_form_target() {
        // The anti-forgery value depends on the token and is stable within the process.
        assert_eq!(csrf_for("a"), csrf_for("a"));
        assert_ne!(csrf_for("a"), csrf_for("b"));
        assert_eq!(csrf_for("a").len(), 32);
        assert!(is_form_post("/projects/a%2Fb/silences"));
        assert!(!is_form_post("/projects/a/b/silences"));
        assert!(!is_form_post("/projects//silences"));
        assert!(!is_form_post("/api/v1/projects/a/silences"));
    }
}
