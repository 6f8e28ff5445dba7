//! The dashboard: server-rendered HTML pages with inline SVG charts, read from the
//! projects, their latest snapshots and the stored snapshot series.
//!
//! - `/`: every project with its latest verdict, worst first;
//! - `/projects/{project}`: charts over a time range (`?range=1h|1d|7d`, or
//!   `?range=custom&from=...&to=...`), the columns of the latest snapshot, and links to the
//!   full HTML report;
//! - alerts: the projects page counts each project's pending and firing alerts and lists
//!   them on top; the project page shows its active alerts, their last transitions, the
//!   silences and a form that `POST`s to `/projects/{project}/silences` (see
//!   `create_silence`);
//! - image examples: per image column, thumbnails of the latest snapshot's current images
//!   farthest from the reference next to typical reference images ([`images`]);
//! - the login page ([`login_page`]), which `/login` shows when tokens are configured; the
//!   session cookie, the login itself and the form's anti-forgery value are
//!   [`crate::http::auth`]'s.
//!
//! Everything lives under the configured `base_path`; links carry it. Pages fetch nothing
//! (the Content-Security-Policy forbids it): styles and the small script are inline.

pub mod alerts;
pub mod chart;
pub mod html;
pub mod images;
pub mod overview;
pub mod project_page;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::config::Scope;
use crate::http::auth::{self, AuthVia};
use crate::{now_us, AppState};
use html::{esc, form_fields, page, pct};

/// The dashboard routes, merged into the API router (they share its auth and accounting).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(projects_page))
        .route("/projects/{project}", get(project_page))
        .route(
            "/projects/{project}/silences",
            post(axum::handler::Handler::layer(
                create_silence,
                axum::extract::DefaultBodyLimit::max(crate::http::FORM_BODY_BYTES),
            )),
        )
}

/// The base path without a trailing slash (`""` at the root).
pub fn base(state: &AppState) -> &str {
    state.config.base_path.trim_end_matches('/')
}

/// Checks a `base_path`: empty, or `/` followed by path segments of unreserved characters.
pub fn check_base_path(path: &str) -> Result<(), String> {
    let p = path.trim_end_matches('/');
    if p.is_empty() {
        return Ok(());
    }
    let ok = p.starts_with('/')
        && !p.contains("//")
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~/".contains(&b))
        && !p.split('/').any(|s| s == "." || s == "..");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "base_path `{path}` must start with `/` and hold only letters, digits, `-`, `_`, `.`, `~` and `/` (e.g. /modelwatch)"
        ))
    }
}

/// The home page's path: `/`, or the base path itself.
pub fn home(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.is_empty() {
        "/".into()
    } else {
        base.to_string()
    }
}

/// An HTML answer with the headers every dashboard page carries.
fn html_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
             img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

fn message_page(state: &AppState, status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"{}\">All projects</a></p>",
        esc(title),
        esc(message),
        esc(&home(base(state)))
    );
    html_response(status, page(base(state), title, 0, &body))
}

/// Seconds between page refreshes: the snapshot interval, kept within 5 s to 60 s.
fn refresh_for(interval_s: f64) -> u64 {
    if interval_s <= 0.0 {
        60
    } else {
        interval_s.clamp(5.0, 60.0).round() as u64
    }
}

async fn projects_page(State(state): State<Arc<AppState>>) -> Response {
    let now = now_us();
    let st = state.clone();
    // Without the alert store the page still shows the projects; the log says why.
    let active =
        match tokio::task::spawn_blocking(move || alerts::active_rows(&st.alerts, now)).await {
            Ok(Ok(a)) => a,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "dashboard: alert store read failed");
                Vec::new()
            }
            Err(e) => {
                tracing::error!(error = %e, "dashboard: task failed");
                Vec::new()
            }
        };
    let mut rows: Vec<overview::ProjectRow> = {
        let projects = state.projects();
        let latest = state.latest();
        projects
            .values()
            .map(|p| overview::ProjectRow::new(p, latest.get(&p.name)).with_alerts(&active))
            .collect()
    };
    overview::sort_worst_first(&mut rows);
    let refresh = rows
        .iter()
        .map(|r| refresh_for(r.interval_s))
        .min()
        .unwrap_or(30);
    let body = overview::render(base(&state), &rows, &active, now);
    html_response(
        StatusCode::OK,
        page(base(&state), "Projects", refresh, &body),
    )
}

async fn project_page(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(project) = state.project(&name) else {
        return no_such_project(&state, &name);
    };
    let now = now_us();
    let fields = form_fields(query.as_deref().unwrap_or(""));
    let range = match project_page::Range::parse(&fields, now) {
        Ok(r) => r,
        Err(e) => return message_page(&state, StatusCode::BAD_REQUEST, "Bad range", &e),
    };
    let st = state.clone();
    let p = project.clone();
    let r = range.clone();
    let view = tokio::task::spawn_blocking(move || {
        let mut view = project_page::ProjectView::load(st.store.as_ref(), &p, &r)?;
        view.alerts = alerts::ProjectAlerts::load(&st.alerts, &p.name, now)?;
        // A project that keeps no thumbnails has no images to show: a gallery of empty
        // boxes would say nothing.
        if p.config.thumbnails {
            view.images =
                images::load_images(st.store.as_ref(), &p.name, &st.image_examples(&p.name))?;
        }
        Ok::<_, crate::store::StoreError>(view)
    })
    .await;
    let mut view = match view {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "dashboard: store read failed");
            return message_page(
                &state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
                "The store could not be read; see the server log.",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "dashboard: task failed");
            return message_page(
                &state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
                "See the server log.",
            );
        }
    };
    view.alerts.preselect = fields
        .iter()
        .find(|(k, _)| k == "silence")
        .map(|(_, v)| v.clone());
    view.alerts.form = silence_form(&state, &headers);
    // A custom range is a fixed period: no refresh.
    let refresh = if range.choice == "custom" {
        0
    } else {
        refresh_for(view.interval_s)
    };
    let body = project_page::render(base(&state), &view, &range, now);
    html_response(
        StatusCode::OK,
        page(base(&state), &project.name, refresh, &body),
    )
}

/// What the silence form looks like for this reader.
fn silence_form(state: &AppState, headers: &HeaderMap) -> alerts::SilenceForm {
    if state.config.tokens.is_empty() {
        return alerts::SilenceForm::Open;
    }
    match auth::session_with(state, headers, Scope::Write) {
        Some(token) => alerts::SilenceForm::Session(auth::csrf_for(&token)),
        None => alerts::SilenceForm::ReadOnly,
    }
}

/// `POST /projects/{project}/silences` (a urlencoded form: `alertname`, `duration`,
/// `custom`, `created_by`, `comment`, and `csrf` with a session): creates a silence
/// matching the project (and the rule, when one is picked) through the alert store and
/// goes back to the project page with `303`.
///
/// Who may post is [`auth::form_allowed`]'s decision.
async fn create_silence(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    via: Option<Extension<AuthVia>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = form_fields(&String::from_utf8_lossy(&body));
    let given = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    if !auth::form_allowed(&state, via.map(|Extension(v)| v), &headers, given) {
        return message_page(
            &state,
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Creating a silence needs a session with write scope and the form of its page; reload the page and try again.",
        );
    }
    let Some(project) = state.project(&name) else {
        return no_such_project(&state, &name);
    };
    let now = now_us();
    let silence = match alerts::silence_from_form(&project.name, &fields, now) {
        Ok(s) => s,
        Err(e) => return message_page(&state, StatusCode::UNPROCESSABLE_ENTITY, "Bad silence", &e),
    };
    let st = state.clone();
    let stored = tokio::task::spawn_blocking(move || st.alerts.store.put_silence(&silence)).await;
    match stored {
        Ok(Ok(id)) => {
            tracing::info!(project = %project.name, id, "dashboard: silence created");
            crate::http::redirect(&format!(
                "{}/projects/{}#alerts",
                base(&state),
                pct(&project.name)
            ))
        }
        other => {
            match other {
                Ok(Err(e)) => tracing::error!(error = %e, "dashboard: silence not stored"),
                Err(e) => tracing::error!(error = %e, "dashboard: task failed"),
                Ok(Ok(_)) => {}
            }
            message_page(
                &state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
                "The silence could not be stored; see the server log.",
            )
        }
    }
}

/// The login form, with `next` to come back to and an error line when a token was refused.
pub fn login_page(
    state: &AppState,
    status: StatusCode,
    next: &str,
    error: Option<&str>,
) -> Response {
    let body = format!(
        "<h1>Sign in</h1><p class=\"muted\">This server needs a token with read scope to show its dashboard. \
         It is kept in a session cookie of this browser.</p>{}\
         <form class=\"login\" method=\"post\" action=\"{}\">\
         <label>Token <input type=\"password\" name=\"token\" id=\"token\" autocomplete=\"current-password\" required autofocus></label>\
         <input type=\"hidden\" name=\"next\" value=\"{}\">\
         <button class=\"button\" type=\"submit\">Sign in</button></form>",
        error.map_or_else(String::new, |e| format!(
            "<p class=\"bad\" id=\"login-error\">{}</p>",
            esc(e)
        )),
        esc(&format!("{}{}", base(state), auth::LOGIN_PATH)),
        esc(next),
    );
    html_response(status, page(base(state), "Sign in", 0, &body))
}

/// The page for a project name that does not exist.
fn no_such_project(state: &AppState, name: &str) -> Response {
    message_page(
        state,
        StatusCode::NOT_FOUND,
        "No such project",
        &format!("Project `{name}` does not exist."),
    )
}

#[cfg(test)]
mod tests;
