//! Alerts on the dashboard, on the real server over loopback HTTP: a drift alert fires and
//! shows on the projects page and the project page (under a base path), the silence form
//! creates a silence the API lists, and with tokens only a write-scoped session with the
//! page's anti-forgery value may post it.

mod common;

use std::time::Duration;

use common::*;
use modelwatch_server::config::{Scope, ServerConfig, Token};
use serde_json::Value;

/// Fast alert evaluation, a drift rule, and project `iris` with 1-second snapshots.
fn drift_config(base_path: &str) -> ServerConfig {
    let project = fast_iris_project();
    let text = format!(
        r#"
base_path = "{base_path}"
{FAST}
[[alerts.rules]]
name = "DriftAlarm"
metric = "dataset_drift"
operator = ">="
threshold = 1
severity = "critical"
annotations = {{ summary = "<b>{{{{project}}}}</b> drifted ({{{{ value }}}})" }}

{project}"#
    );
    config_from_toml(&text)
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

fn silences(server: &TestServer, prefix: &str, auth: &[(&str, &str)]) -> Vec<Value> {
    let a = call(
        "GET",
        &server.url(&format!("{prefix}/api/v1/alerts/silences")),
        auth,
        None,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()["silences"].as_array().unwrap().clone()
}

#[test]
fn a_firing_alert_shows_on_both_pages_and_the_form_silences_it() {
    let server = TestServer::start(drift_config("/mw"));
    let events = server.url("/mw/api/v1/projects/iris/events");
    assert_eq!(post_json(&events, &iris_events(100, 3.0)).status, 200);
    wait_for("the drift alert", Duration::from_secs(20), || {
        get(&server.url("/mw/api/v1/alerts")).json()["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["alertname"] == "DriftAlarm" && a["state"] == "firing")
    });

    let home = get(&server.url("/mw"));
    assert_eq!(home.status, 200);
    assert!(home.body.contains("id=\"active-alerts\""), "{}", home.body);
    assert!(home
        .body
        .contains("data-alert=\"DriftAlarm\" data-project=\"iris\""));
    assert!(home.body.contains("href=\"/mw/projects/iris#alerts\""));
    assert!(home.body.contains("data-firing=\"1\">1 firing</span>"));
    // The annotation's markup is text.
    assert!(home.body.contains("&lt;b&gt;iris&lt;/b&gt; drifted (1)"));
    assert!(!home.body.contains("<b>iris"));

    let page = get(&server.url("/mw/projects/iris"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<tr data-alert=\"DriftAlarm\">"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<td class=\"bad\">critical</td>"));
    assert!(page.body.contains("&lt;b&gt;iris&lt;/b&gt; drifted (1)"));
    assert!(page
        .body
        .contains("inactive → <span class=\"bad\">firing</span>"));
    assert!(page.body.contains("id=\"no-silences\""));
    assert!(page
        .body
        .contains("<form id=\"silence-form\" class=\"silence\" method=\"post\" action=\"/mw/projects/iris/silences\">"));
    assert!(!page.body.contains("name=\"csrf\""));
    let prefilled = get(&server.url("/mw/projects/iris?silence=DriftAlarm"));
    assert!(prefilled
        .body
        .contains("<option value=\"DriftAlarm\" selected>"));

    // A bad duration: 422, nothing stored.
    let (s, _, body) = raw(
        "POST",
        &server.url("/mw/projects/iris/silences"),
        &[FORM],
        Some("alertname=DriftAlarm&duration=custom&custom=soon"),
    );
    assert_eq!(s, 422, "{body}");
    assert!(silences(&server, "/mw", &[]).is_empty());

    // The form: 303 back to the page, and the API lists the silence.
    let (s, hs, body) = raw(
        "POST",
        &server.url("/mw/projects/iris/silences"),
        &[FORM],
        Some("alertname=DriftAlarm&duration=4h&custom=&created_by=ops&comment=new+model+%3Cv2%3E"),
    );
    assert_eq!(s, 303, "{body}");
    assert_eq!(header(&hs, "location"), Some("/mw/projects/iris#alerts"));
    let list = silences(&server, "/mw", &[]);
    assert_eq!(list.len(), 1, "{list:#?}");
    let x = &list[0];
    assert_eq!(
        x["matchers"],
        serde_json::json!({"alertname": "DriftAlarm", "project": "iris"})
    );
    assert_eq!(x["active"], true);
    assert_eq!(x["created_by"], "ops");
    assert_eq!(x["comment"], "new model <v2>");
    let ends = x["ends_at"].as_str().unwrap();
    let starts = x["starts_at"].as_str().unwrap();
    let secs = |t: &str| {
        humantime::parse_rfc3339(t)
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    assert!((secs(ends) - secs(starts) - 4.0 * 3600.0).abs() < 1.0);

    // The page shows it, escaped, and the alert as silenced.
    let page = get(&server.url("/mw/projects/iris"));
    assert!(page.body.contains(&format!("data-silence=\"{}\"", x["id"])));
    assert!(page.body.contains("alertname=DriftAlarm, project=iris"));
    assert!(page.body.contains("new model &lt;v2&gt;"));
    assert!(page
        .body
        .contains("<span class=\"badge muted\">silenced</span>"));
    let api = get(&server.url("/mw/api/v1/alerts")).json();
    assert_eq!(api["alerts"][0]["silenced_by"][0], x["id"]);

    // An unknown project: 404, nothing stored.
    let (s, _, _) = raw(
        "POST",
        &server.url("/mw/projects/nope/silences"),
        &[FORM],
        Some("duration=1h"),
    );
    assert_eq!(s, 404);
    assert_eq!(silences(&server, "/mw", &[]).len(), 1);
}

fn login(server: &TestServer, token: &str) -> String {
    let (s, hs, body) = raw(
        "POST",
        &server.url("/login"),
        &[FORM],
        Some(&format!("token={}&next=%2Fprojects%2Firis", seg(token))),
    );
    assert_eq!(s, 303, "{body}");
    header(&hs, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[at..].split('"').next().unwrap().to_string()
}

#[test]
fn with_tokens_only_a_write_session_with_the_page_value_creates_silences() {
    let mut config = drift_config("");
    config.tokens = vec![
        Token {
            token: "reader".into(),
            scopes: vec![Scope::Read],
        },
        Token {
            token: "writer &2".into(),
            scopes: vec![Scope::Read, Scope::Write],
        },
    ];
    let server = TestServer::start(config);
    let target = server.url("/projects/iris/silences");
    let bearer = [("Authorization", "Bearer writer &2")];

    // No session: the post is refused.
    assert_eq!(raw("POST", &target, &[FORM], Some("duration=1h")).0, 401);

    // A read session: no form on the page, and the post is refused.
    let reader = login(&server, "reader");
    let (s, _, page) = raw(
        "GET",
        &server.url("/projects/iris"),
        &[("Cookie", reader.as_str())],
        None,
    );
    assert_eq!(s, 200);
    assert!(page.contains("id=\"silence-read-only\"") && !page.contains("id=\"silence-form\""));
    let (s, _, _) = raw(
        "POST",
        &target,
        &[FORM, ("Cookie", reader.as_str())],
        Some("duration=1h"),
    );
    assert_eq!(s, 401);

    // A write session: the page carries the anti-forgery value; without it, 403.
    let writer = login(&server, "writer &2");
    let (_, _, page) = raw(
        "GET",
        &server.url("/projects/iris"),
        &[("Cookie", writer.as_str())],
        None,
    );
    assert!(page.contains("id=\"silence-form\""));
    let csrf = csrf_of(&page);
    assert_eq!(csrf.len(), 32);
    let with_writer = [FORM, ("Cookie", writer.as_str())];
    assert_eq!(
        raw("POST", &target, &with_writer, Some("duration=1h")).0,
        403
    );
    assert_eq!(
        raw(
            "POST",
            &target,
            &with_writer,
            Some("duration=1h&csrf=00000000000000000000000000000000")
        )
        .0,
        403
    );
    // Another kind of Authorization header does not stand in for the page's value: the
    // session is what let the post in.
    assert_eq!(
        raw(
            "POST",
            &target,
            &[
                FORM,
                ("Cookie", writer.as_str()),
                ("Authorization", "Basic d3JpdGVyOg==")
            ],
            Some("duration=1h")
        )
        .0,
        403
    );
    // The reader's session with the writer's value is still no writer.
    assert_eq!(
        raw(
            "POST",
            &target,
            &[FORM, ("Cookie", reader.as_str())],
            Some(&format!("duration=1h&csrf={csrf}"))
        )
        .0,
        401
    );
    assert!(silences(&server, "", &bearer).is_empty());
    let (s, hs, body) = raw(
        "POST",
        &target,
        &with_writer,
        Some(&format!("duration=1d&alertname=&csrf={csrf}")),
    );
    assert_eq!(s, 303, "{body}");
    assert_eq!(header(&hs, "location"), Some("/projects/iris#alerts"));
    let list = silences(&server, "", &bearer);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["matchers"], serde_json::json!({"project": "iris"}));
    assert_eq!(list[0]["created_by"], "dashboard");

    // The cookie still writes nothing through the API.
    let (s, _, _) = raw(
        "POST",
        &server.url("/api/v1/alerts/silences"),
        &[
            ("Cookie", writer.as_str()),
            ("Content-Type", "application/json"),
        ],
        Some(r#"{"matchers":{"project":"iris"},"duration":"1h"}"#),
    );
    assert_eq!(s, 401);
    // A bearer write token may post the form without a session.
    let (s, _, _) = raw(
        "POST",
        &target,
        &[FORM, bearer[0]],
        Some("duration=1h&alertname=DriftAlarm"),
    );
    assert_eq!(s, 303);
    assert_eq!(silences(&server, "", &bearer).len(), 2);
}
