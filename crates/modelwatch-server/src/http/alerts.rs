//! The `/api/v1/alerts` routes: active alerts, history, rules, silences and SLOs.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::blocking;
use super::error::{ApiError, ApiResult};
use super::extract::{Body, Path, Query};
use crate::alerts::rules::Rule;
use crate::project::parse_duration;
use crate::store::SilenceRecord;
use crate::{now_us, AppState};
use modelwatch_core::time::{format_us, TimeShape};

/// The routes, merged into the API router.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/alerts", get(list_active))
        .route("/api/v1/alerts/history", get(history))
        .route("/api/v1/alerts/rules", get(list_rules).post(create_rule))
        .route(
            "/api/v1/alerts/rules/{name}",
            get(get_rule).put(put_rule).delete(delete_rule),
        )
        .route(
            "/api/v1/alerts/silences",
            get(list_silences).post(create_silence),
        )
        .route("/api/v1/alerts/silences/{id}", delete(expire_silence))
        .route("/api/v1/alerts/slos", get(list_slos))
}

#[derive(Debug, Deserialize)]
struct ProjectQuery {
    project: Option<String>,
    alertname: Option<String>,
    limit: Option<usize>,
}

async fn list_active(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ProjectQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let s = state.clone();
    let silences = blocking(move || {
        s.alerts
            .store
            .silences(now_us())
            .map_err(ApiError::internal)
    })
    .await?;
    let now = now_us();
    let list: Vec<serde_json::Value> = state
        .alerts
        .active()
        .into_iter()
        .filter(|a| q.project.as_ref().is_none_or(|p| &a.project == p))
        .filter(|a| q.alertname.as_ref().is_none_or(|n| &a.alertname == n))
        .map(|a| {
            let silenced_by: Vec<i64> = silences
                .iter()
                .filter(|s| {
                    s.starts_us <= now && crate::alerts::evaluate::matches(&s.matchers, &a.labels)
                })
                .map(|s| s.id)
                .collect();
            let mut v = json!({
                "alertname": a.alertname,
                "project": a.project,
                "state": a.state.status,
                "value": a.state.value,
                "active_since": format_us(a.state.active_since_us, TimeShape::Micros),
                "firing_since": a.state.fired_us.map(|t| format_us(t, TimeShape::Micros)),
                "labels": a.labels,
                "annotations": a.annotations,
                "fingerprint": a.fingerprint,
                "silenced_by": silenced_by,
            });
            // Why it fires; an alert stored by a version that did not keep it gets its
            // condition at the next evaluation.
            if let Some(c) = &a.condition {
                v["metric"] = json!(c.metric);
                v["operator"] = json!(c.operator);
                v["threshold"] = json!(c.threshold);
            }
            v
        })
        .collect();
    Ok(Json(json!({ "alerts": list })))
}

async fn history(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ProjectQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let limit = q.limit.unwrap_or(100).min(10_000);
    let list = blocking(move || {
        state
            .alerts
            .store
            .history(q.project.as_deref(), q.alertname.as_deref(), limit)
            .map_err(ApiError::internal)
    })
    .await?;
    let list: Vec<serde_json::Value> = list
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id,
                "time": format_us(t.ts_us, TimeShape::Micros),
                "alertname": t.alertname,
                "project": t.project,
                "from": t.from,
                "to": t.to,
                "value": t.value,
                "labels": t.labels,
                "annotations": t.annotations,
                "fingerprint": t.fingerprint,
            })
        })
        .collect();
    Ok(Json(json!({ "transitions": list })))
}

async fn list_rules(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let list: Vec<serde_json::Value> = state
        .alerts
        .all_rules()
        .into_iter()
        .map(|(source, rule)| {
            let mut v = serde_json::to_value(&rule).unwrap_or_default();
            v["source"] = json!(source);
            v
        })
        .collect();
    Json(json!({ "rules": list }))
}

#[derive(Debug, Deserialize)]
struct RuleQuery {
    project: Option<String>,
}

async fn get_rule(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<RuleQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    state
        .alerts
        .all_rules()
        .into_iter()
        .rev()
        .find(|(_, r)| r.name == name && r.project == q.project)
        .map(|(source, rule)| {
            let mut v = serde_json::to_value(&rule).unwrap_or_default();
            v["source"] = json!(source);
            Json(v)
        })
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no rule `{name}`")))
}

fn parse_rule(body: &[u8]) -> ApiResult<Rule> {
    let rule: Rule = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("invalid rule JSON: {e}")))?;
    rule.validate()
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    Ok(rule)
}

async fn save_rule(state: Arc<AppState>, rule: Rule, create: bool) -> ApiResult<Response> {
    let receivers = state.alerts.config.receivers();
    if let Some(x) = rule
        .receivers
        .iter()
        .find(|x| !receivers.iter().any(|r| &r.name == *x))
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("no receiver `{x}`"),
        ));
    }
    let mut rules = state.alerts.api_rules();
    let existing = rules
        .iter()
        .position(|r| r.name == rule.name && r.project == rule.project);
    if create && existing.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("rule `{}` exists; PUT replaces it", rule.name),
        ));
    }
    let json = serde_json::to_string(&rule).map_err(ApiError::internal)?;
    let s = state.clone();
    let (name, project) = (rule.name.clone(), rule.project.clone().unwrap_or_default());
    blocking(move || {
        s.alerts
            .store
            .put_rule(&name, &project, &json)
            .map_err(ApiError::internal)
    })
    .await?;
    match existing {
        Some(i) => rules[i] = rule.clone(),
        None => rules.push(rule.clone()),
    }
    state.alerts.set_api_rules(rules);
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(rule)).into_response())
}

async fn create_rule(
    State(state): State<Arc<AppState>>,
    Body(body, _held): Body,
) -> ApiResult<Response> {
    let rule = parse_rule(&body)?;
    save_rule(state, rule, true).await
}

async fn put_rule(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Body(body, _held): Body,
) -> ApiResult<Response> {
    let rule = parse_rule(&body)?;
    if rule.name != name {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the body names rule `{}`, the path `{name}`", rule.name),
        ));
    }
    save_rule(state, rule, false).await
}

async fn delete_rule(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<RuleQuery>,
) -> ApiResult<Response> {
    let s = state.clone();
    let (n, p) = (name.clone(), q.project.clone().unwrap_or_default());
    let gone = blocking(move || {
        s.alerts
            .store
            .delete_rule(&n, &p)
            .map_err(ApiError::internal)
    })
    .await?;
    if !gone {
        let configured = state
            .alerts
            .all_rules()
            .iter()
            .any(|(_, r)| r.name == name && r.project == q.project);
        let message = if configured {
            format!("rule `{name}` comes from the config file or the defaults; switch it off with PUT and \"enabled\": false")
        } else {
            format!("no rule `{name}` was created through the API")
        };
        return Err(ApiError::new(StatusCode::NOT_FOUND, message));
    }
    let mut rules = state.alerts.api_rules();
    rules.retain(|r| !(r.name == name && r.project == q.project));
    state.alerts.set_api_rules(rules);
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn silence_json(s: &SilenceRecord, now: i64) -> serde_json::Value {
    json!({
        "id": s.id,
        "matchers": s.matchers,
        "starts_at": format_us(s.starts_us, TimeShape::Micros),
        "ends_at": format_us(s.ends_us, TimeShape::Micros),
        "created_by": s.created_by,
        "comment": s.comment,
        "active": s.starts_us <= now && now < s.ends_us,
    })
}

async fn list_silences(State(state): State<Arc<AppState>>) -> ApiResult<Json<serde_json::Value>> {
    let now = now_us();
    let list =
        blocking(move || state.alerts.store.silences(now).map_err(ApiError::internal)).await?;
    Ok(Json(json!({
        "silences": list.iter().map(|s| silence_json(s, now)).collect::<Vec<_>>()
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSilence {
    /// Label → value; all must match.
    matchers: BTreeMap<String, String>,
    /// How long from now (`2h`), or `ends_at` (RFC 3339).
    duration: Option<String>,
    ends_at: Option<String>,
    starts_at: Option<String>,
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    comment: String,
}

fn parse_time(what: &str, t: &str) -> ApiResult<i64> {
    modelwatch_io::infer::parse_datetime(t.as_bytes()).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{what}: `{t}` is not an RFC 3339 time"),
        )
    })
}

async fn create_silence(
    State(state): State<Arc<AppState>>,
    Body(body, _held): Body,
) -> ApiResult<Response> {
    let s: NewSilence = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("invalid silence JSON: {e}"),
        )
    })?;
    let unprocessable = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m);
    if s.matchers.is_empty() {
        return Err(unprocessable("a silence needs at least one matcher".into()));
    }
    let now = now_us();
    let starts = match &s.starts_at {
        Some(t) => parse_time("starts_at", t)?,
        None => now,
    };
    let ends = match (&s.duration, &s.ends_at) {
        (Some(d), None) => {
            let length = parse_duration("duration", d).map_err(|e| unprocessable(e.to_string()))?;
            i64::try_from(length.as_micros())
                .ok()
                .and_then(|us| starts.checked_add(us))
                .ok_or_else(|| unprocessable(format!("duration: `{d}` is out of range")))?
        }
        (None, Some(t)) => parse_time("ends_at", t)?,
        _ => return Err(unprocessable("give either duration or ends_at".into())),
    };
    if ends <= starts.max(now) {
        return Err(unprocessable("the silence ends before it starts".into()));
    }
    let mut record = SilenceRecord {
        id: 0,
        matchers: s.matchers,
        starts_us: starts,
        ends_us: ends,
        created_by: s.created_by,
        comment: s.comment,
    };
    let r = record.clone();
    record.id = blocking(move || {
        state
            .alerts
            .store
            .put_silence(&r)
            .map_err(ApiError::internal)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(silence_json(&record, now))).into_response())
}

async fn expire_silence(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let found = blocking(move || {
        state
            .alerts
            .store
            .expire_silence(id, now_us())
            .map_err(ApiError::internal)
    })
    .await?;
    if found {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no silence {id}"),
        ))
    }
}

async fn list_slos(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(json!({ "slos": state.alerts.slo_status() }))
}
