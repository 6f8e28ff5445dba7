//! Headless Chromium for the browser tests (the HTML report, the dashboard): finding the
//! binary, launching it with a throw-away profile, and recording what a page does.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::Log::LogEntryLevel;
use headless_chrome::protocol::cdp::Network;
use headless_chrome::protocol::cdp::Runtime::ConsoleAPICalledEventTypeOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;

/// The Chromium binary: `$CHROMIUM`, else `chromium` or `chromium-browser` on the PATH.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The Chromium binary for a browser test, or `None` after printing why the test is
/// skipped. Under `CI=true` a missing Chromium fails the test instead.
pub fn chromium_or_skip() -> Option<PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("chromium is not installed (CI=true): .ci/run should install it");
        }
        eprintln!(
            "skipping the browser test: chromium is not installed (apt-get install chromium)"
        );
    }
    found
}

/// Starts headless Chromium with its profile in `profile` and a `width` x `height` window.
pub fn launch(chromium: PathBuf, profile: &Path, width: u32, height: u32) -> Browser {
    let args: Vec<&OsStr> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    Browser::new(LaunchOptions {
        path: Some(chromium),
        headless: true,
        sandbox: false,
        user_data_dir: Some(profile.to_path_buf()),
        window_size: Some((width, height)),
        args,
        idle_browser_timeout: Duration::from_secs(60),
        ..LaunchOptions::default()
    })
    .expect("launch headless chromium")
}

/// What a page did while loaded: request URLs, console errors and dialogs.
#[derive(Default)]
pub struct Observed {
    pub requests: Vec<String>,
    pub errors: Vec<String>,
    pub dialogs: Vec<String>,
}

/// Starts recording requests, console errors, exceptions and dialogs of `tab`.
pub fn watch(tab: &Tab) -> Arc<Mutex<Observed>> {
    let seen = Arc::new(Mutex::new(Observed::default()));
    let sink = Arc::clone(&seen);
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
        match event {
            Event::NetworkRequestWillBeSent(e) => s.requests.push(e.params.request.url.clone()),
            Event::LogEntryAdded(e) if matches!(e.params.entry.level, LogEntryLevel::Error) => {
                s.errors.push(format!("log: {}", e.params.entry.text))
            }
            Event::RuntimeConsoleAPICalled(e)
                if matches!(e.params.Type, ConsoleAPICalledEventTypeOption::Error) =>
            {
                s.errors.push(format!("console.error: {:?}", e.params.args))
            }
            Event::RuntimeExceptionThrown(e) => s
                .errors
                .push(format!("exception: {:?}", e.params.exception_details)),
            Event::PageJavascriptDialogOpening(e) => s.dialogs.push(e.params.message.clone()),
            _ => {}
        }
    }))
    .unwrap();
    tab.enable_log().unwrap();
    tab.enable_runtime().unwrap();
    tab.call_method(Network::Enable {
        max_total_buffer_size: None,
        max_resource_buffer_size: None,
        max_post_data_size: None,
        report_direct_socket_traffic: None,
        enable_durable_messages: None,
    })
    .unwrap();
    seen
}

/// The value of a JavaScript expression in `tab`.
pub fn eval(tab: &Tab, js: &str) -> Value {
    tab.evaluate(js, false)
        .unwrap_or_else(|e| panic!("{js}: {e}"))
        .value
        .unwrap_or(Value::Null)
}
