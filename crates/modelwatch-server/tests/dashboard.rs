//! The dashboard on the real server over loopback HTTP: pages, escaping of a hostile
//! project name, an empty project, the login cookie, and the base path.

mod common;

use common::*;
use modelwatch_server::config::{Scope, ServerConfig, Token};

const WEIRD: &str = "fraud \"v2\" </script><b>/ü\\模型";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Sends calm then drifted events and takes a snapshot after each.
fn two_snapshots(server: &TestServer, name: &str) {
    let p = seg(name);
    let events = server.url(&format!("/api/v1/projects/{p}/events"));
    let snap = server.url(&format!("/api/v1/projects/{p}/snapshots"));
    assert_eq!(post_json(&events, &iris_events(60, 0.0)).status, 200);
    assert_eq!(call("POST", &snap, &[], None).status, 201);
    assert_eq!(post_json(&events, &iris_events(200, 4.0)).status, 200);
    let a = call("POST", &snap, &[], None);
    assert_eq!(a.status, 201, "{}", a.body);
}

#[test]
fn pages_show_projects_charts_and_escape_a_hostile_name() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, WEIRD);
    create_iris(&server, "empty");
    two_snapshots(&server, WEIRD);

    let (status, hs, home) = raw("GET", &server.url("/"), &[], None);
    assert_eq!(status, 200);
    assert!(header(&hs, "content-type")
        .unwrap()
        .starts_with("text/html"));
    let csp = header(&hs, "content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!home.contains("<b>/"), "raw markup from the name");
    assert!(home.contains(&esc(WEIRD)));
    assert!(home.contains(&format!("href=\"/projects/{}\"", seg(WEIRD))));
    // Worst first: the drifting project before the one without snapshots.
    let (a, b) = (
        home.find(&format!("data-project=\"{}\"", esc(WEIRD)))
            .unwrap(),
        home.find("data-project=\"empty\"").unwrap(),
    );
    assert!(a < b);
    assert!(home.contains("<span class=\"drifted-column\">petal_length</span>"));
    assert!(home.contains("no snapshot yet"));

    let page = get(&server.url(&format!("/projects/{}", seg(WEIRD))));
    assert_eq!(page.status, 200);
    let body = &page.body;
    assert!(!body.contains("<b>/"));
    assert!(body.contains(&format!("<h1 id=\"project-name\">{}</h1>", esc(WEIRD))));
    assert!(body.contains("id=\"chart-drifted-share\""));
    assert!(body.contains("data-column=\"petal_length\" data-drifted=\"true\""));
    assert!(!body.contains("NaN"));
    // Two snapshots: two points on the share chart.
    let share = &body[body.find("id=\"chart-drifted-share\"").unwrap()..];
    assert!(share.starts_with("id=\"chart-drifted-share\" viewBox"));
    assert_eq!(
        share[..share.find("</svg>").unwrap()]
            .matches("<circle")
            .count(),
        2
    );
    // The report links work.
    let report = format!("/api/v1/projects/{}/report?format=html", seg(WEIRD));
    assert!(body.contains(&esc(&report)));
    let r = get(&server.url(&report));
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/html"));
    let start = body.find("id=\"range-report\" href=\"").unwrap() + 23;
    let href = body[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let r = get(&server.url(&href));
    assert_eq!(r.status, 200, "{href}: {}", r.body);

    // Ranges.
    for q in [
        "?range=1d",
        "?range=7d",
        "?range=custom&from=2020-01-01T00:00&to=2100-01-01T00:00:00Z",
    ] {
        let r = get(&server.url(&format!("/projects/{}{q}", seg(WEIRD))));
        assert_eq!(r.status, 200, "{q}");
        assert!(r.body.contains("data-drifted=\"true\""), "{q}");
    }
    let r = get(&server
        .url("/projects/empty?range=custom&from=1900-01-01T00:00:00Z&to=1901-01-01T00:00:00Z"));
    assert_eq!(r.status, 200);
    let r = get(&server.url("/projects/empty?range=forever"));
    assert_eq!(r.status, 400);
    assert!(r.body.contains("range="));

    // An empty project and an unknown one.
    let r = get(&server.url("/projects/empty"));
    assert_eq!(r.status, 200);
    assert!(r.body.contains("no snapshot yet"));
    assert!(r.body.contains("id=\"no-columns\""));
    let r = get(&server.url(&format!("/projects/{}", seg("<nope>"))));
    assert_eq!(r.status, 404);
    assert!(r.body.contains("&lt;nope&gt;") && !r.body.contains("<nope>"));
}

#[test]
fn with_tokens_the_page_asks_once_and_keeps_a_session_cookie() {
    let config = ServerConfig {
        tokens: vec![
            Token {
                token: "reader-token-1".into(),
                scopes: vec![Scope::Read],
            },
            Token {
                token: "writer token&;=2".into(),
                scopes: vec![Scope::Read, Scope::Write],
            },
        ],
        ..ServerConfig::default()
    };
    let server = TestServer::start(config);
    let auth = [("Authorization", "Bearer writer token&;=2")];
    let a = call(
        "POST",
        &server.url("/api/v1/projects?name=iris"),
        &[auth[0], ("Content-Type", "text/csv")],
        Some(&iris_reference()),
    );
    assert_eq!(a.status, 201, "{}", a.body);

    // No token: pages go to the login form, the API answers 401.
    let (s, hs, _) = raw("GET", &server.url("/projects/iris?range=1d"), &[], None);
    assert_eq!(s, 303);
    assert_eq!(
        header(&hs, "location"),
        Some("/login?next=%2Fprojects%2Firis%3Frange%3D1d")
    );
    assert_eq!(
        raw("GET", &server.url("/api/v1/projects"), &[], None).0,
        401
    );
    let (s, _, form) = raw(
        "GET",
        &server.url("/login?next=%2Fprojects%2Firis"),
        &[],
        None,
    );
    assert_eq!(s, 200);
    assert!(form.contains("name=\"token\""));
    assert!(form.contains("value=\"/projects/iris\""));

    // A wrong token: 401 and the form again; no cookie.
    let form_ct = [("Content-Type", "application/x-www-form-urlencoded")];
    let (s, hs, body) = raw(
        "POST",
        &server.url("/login"),
        &form_ct,
        Some("token=nope&next=%2F"),
    );
    assert_eq!(s, 401);
    assert!(header(&hs, "set-cookie").is_none());
    assert!(body.contains("id=\"login-error\""));

    // The read token: a cookie, back to where the reader was going (never off-site).
    let (s, hs, _) = raw(
        "POST",
        &server.url("/login"),
        &form_ct,
        Some("token=reader-token-1&next=%2Fprojects%2Firis"),
    );
    assert_eq!(s, 303);
    assert_eq!(header(&hs, "location"), Some("/projects/iris"));
    let set = header(&hs, "set-cookie").unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    let with_cookie = [("Cookie", cookie.as_str())];
    let (s, _, page) = raw("GET", &server.url("/projects/iris"), &with_cookie, None);
    assert_eq!(s, 200);
    assert!(page.contains("id=\"project-name\""));
    assert_eq!(raw("GET", &server.url("/"), &with_cookie, None).0, 200);
    assert_eq!(
        raw(
            "GET",
            &server.url("/api/v1/projects/iris"),
            &with_cookie,
            None
        )
        .0,
        200
    );
    // The cookie never writes, even the writer's.
    let (s, hs, _) = raw(
        "POST",
        &server.url("/login"),
        &form_ct,
        Some("token=writer+token%26%3B%3D2&next=https%3A%2F%2Fevil.example%2F"),
    );
    assert_eq!(s, 303);
    assert_eq!(header(&hs, "location"), Some("/"));
    let writer_cookie = header(&hs, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        raw(
            "GET",
            &server.url("/"),
            &[("Cookie", writer_cookie.as_str())],
            None
        )
        .0,
        200
    );
    let (s, _, _) = raw(
        "POST",
        &server.url("/api/v1/projects/iris/events"),
        &[
            ("Cookie", writer_cookie.as_str()),
            ("Content-Type", "application/json"),
        ],
        Some("{}"),
    );
    assert_eq!(s, 401);
    // A forged cookie is no token.
    assert_eq!(
        raw(
            "GET",
            &server.url("/"),
            &[("Cookie", "modelwatch_session=guess")],
            None
        )
        .0,
        303
    );
    // Logging out clears the cookie.
    let (_, hs, _) = raw("POST", &server.url("/login"), &form_ct, Some("logout=1"));
    assert!(header(&hs, "set-cookie").unwrap().contains("Max-Age=0"));
}

#[test]
fn everything_lives_under_the_base_path() {
    let config = ServerConfig {
        base_path: "/tools/mw".into(),
        ..ServerConfig::default()
    };
    let server = TestServer::start(config);
    let a = call(
        "POST",
        &server.url("/tools/mw/api/v1/projects?name=iris"),
        &[("Content-Type", "text/csv")],
        Some(&iris_reference()),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(get(&server.url("/tools/mw/healthz")).status, 200);
    assert_eq!(get(&server.url("/healthz")).status, 404);
    assert_eq!(get(&server.url("/")).status, 404);
    let (s, hs, _) = raw("GET", &server.url("/tools/mw/"), &[], None);
    assert_eq!((s, header(&hs, "location")), (303, Some("/tools/mw")));
    let home = get(&server.url("/tools/mw"));
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("href=\"/tools/mw/projects/iris\""));
    assert!(home.body.contains("class=\"brand\" href=\"/tools/mw\""));
    let page = get(&server.url("/tools/mw/projects/iris"));
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains("href=\"/tools/mw/api/v1/projects/iris/report?format=html\""));
    assert!(page
        .body
        .contains("href=\"/tools/mw/projects/iris?range=1d\""));
    assert!(get(&server.url("/tools/mw/metrics"))
        .body
        .contains("modelwatch_"));
}
