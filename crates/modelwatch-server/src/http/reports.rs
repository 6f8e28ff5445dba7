//! `GET /api/v1/projects/{project}/report`: the presets run now over a window of events
//! (`last=`, `since=` or `from=`/`to=`), answered as JSON or as the HTML report.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use modelwatch_core::results::Preset;
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::extract::{Path, Query};
use super::projects::project_or_404;
use crate::project::parse_duration;
use crate::service::windows::run_window;
use crate::store::WindowQuery;
use crate::{now_us, AppState};

/// The window (`last=`, `since=`, `from=`/`to=`), `preset=` and `format=` of a report.
#[derive(Debug, Deserialize)]
pub(super) struct ReportQuery {
    last: Option<usize>,
    since: Option<String>,
    from: Option<String>,
    to: Option<String>,
    preset: Option<String>,
    format: Option<String>,
}

/// The RFC 3339 time of query parameter `what`, in microseconds since the epoch.
pub(super) fn parse_instant(what: &str, s: &str) -> ApiResult<i64> {
    modelwatch_io::infer::parse_datetime(s.trim().as_bytes())
        .ok_or_else(|| ApiError::bad_request(format!("{what}: `{s}` is not an RFC 3339 time")))
}

fn window_of(q: &ReportQuery, default_window: &str) -> ApiResult<WindowQuery> {
    let given = [
        q.last.is_some(),
        q.since.is_some(),
        q.from.is_some() || q.to.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given > 1 {
        return Err(ApiError::bad_request(
            "give one of last=, since= or from=/to=",
        ));
    }
    let now = now_us();
    if let Some(n) = q.last {
        if n == 0 {
            return Err(ApiError::bad_request("last= must be at least 1"));
        }
        return Ok(WindowQuery::Last(n));
    }
    if q.from.is_some() || q.to.is_some() {
        let from_us = q
            .from
            .as_deref()
            .map_or(Ok(i64::MIN), |s| parse_instant("from", s))?;
        let to_us =
            q.to.as_deref()
                .map_or(Ok(now + 1), |s| parse_instant("to", s))?;
        if from_us >= to_us {
            return Err(ApiError::bad_request("from= must be before to="));
        }
        return Ok(WindowQuery::Range { from_us, to_us });
    }
    let since = q.since.as_deref().unwrap_or(default_window);
    let d = parse_duration("since", since).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let from_us = i64::try_from(d.as_micros())
        .ok()
        .and_then(|us| now.checked_sub(us))
        .ok_or_else(|| ApiError::bad_request(format!("since: `{since}` is out of range")))?;
    Ok(WindowQuery::Range {
        from_us,
        to_us: now + 1,
    })
}

fn parse_presets(text: &str) -> ApiResult<Vec<Preset>> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| Preset::from_name(s).map_err(|e| ApiError::bad_request(e.to_string())))
        .collect()
}

fn html_message(status: StatusCode, message: &str) -> Response {
    let escaped = modelwatch_report::html::esc(message);
    (
        status,
        Html(format!(
            "<!doctype html><meta charset=utf-8><title>modelwatch</title>\
             <p style=\"font-family:system-ui;margin:2rem\">{escaped}</p>"
        )),
    )
        .into_response()
}

/// `GET .../report`: JSON, or the HTML report for `format=html` or a browser's `Accept`.
pub(super) async fn report(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<ReportQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let project = project_or_404(&state, &name)?;
    let html = match q.format.as_deref() {
        Some("html") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "format= must be json or html, not `{other}`"
            )))
        }
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html")),
    };
    let outcome = (|| {
        let spec = window_of(&q, &project.config.schedule.window)?;
        let presets = match &q.preset {
            Some(p) => parse_presets(p)?,
            None => project.config.presets.clone(),
        };
        Ok::<_, ApiError>((spec, presets))
    })();
    let (spec, presets) = match outcome {
        Ok(v) => v,
        Err(e) if html => return Ok(html_message(e.status, &e.message)),
        Err(e) => return Err(e),
    };
    let st = state.clone();
    let p = project.clone();
    let lenient = q.preset.is_none();
    let run = tokio::task::spawn_blocking(move || run_window(&st, &p, spec, &presets, lenient))
        .await
        .map_err(ApiError::internal)?;
    match (run, html) {
        (Ok(run), false) => Ok(Json(run.results).into_response()),
        (Ok(run), true) => Ok(Html(modelwatch_report::render_html(&run.results)).into_response()),
        (Err(e), false) => Err(e.into()),
        (Err(e), true) => {
            let e = ApiError::from(e);
            Ok(html_message(e.status, &e.message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn html_message_escapes_every_special_character() {
        let page = html_message(StatusCode::BAD_REQUEST, "<a href='x'>&\"");
        let body = axum::body::to_bytes(page.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            text.contains("&lt;a href=&#39;x&#39;&gt;&amp;&quot;"),
            "{text}"
        );
    }
}
