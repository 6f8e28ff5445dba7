//! `modelwatch proxy` refuses bad settings with exit code 2 and one line naming the flag or
//! config key (the forwarding itself is tested in modelwatch-server's tests/proxy.rs).

use assert_cmd::Command;

/// Runs `modelwatch proxy` with `args`, expecting it to refuse; returns stderr's one line.
fn refused(args: &[&str]) -> String {
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .arg("proxy")
        .args(args)
        .env_remove("MODELWATCH_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn bad_proxy_settings_are_one_line_naming_the_setting() {
    let e = refused(&["--listen", "127.0.0.1:0"]);
    assert!(e.contains("error: upstream: is required"), "{e}");
    let e = refused(&["--upstream", "https://model:443"]);
    assert!(
        e.contains("upstream: `https://model:443` must start with http://"),
        "{e}"
    );
    let e = refused(&[
        "--upstream",
        "http://127.0.0.1:9",
        "--server",
        "http://127.0.0.1:8",
    ]);
    assert!(e.contains("project: is required to send events"), "{e}");
    let e = refused(&["--upstream", "http://127.0.0.1:9", "--timeout", "soon"]);
    assert!(e.contains("timeout"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("proxy.toml");
    std::fs::write(
        &config,
        "upstream = \"http://127.0.0.1:9\"\n[[routes]]\npath = \"predict\"\n",
    )
    .unwrap();
    let e = refused(&["--config", config.to_str().unwrap()]);
    assert!(
        e.contains("routes: path `predict` must start with /"),
        "{e}"
    );
    std::fs::write(&config, "upstrem = \"x\"\n").unwrap();
    let e = refused(&["--config", config.to_str().unwrap()]);
    assert!(e.contains("proxy.toml") && e.contains("upstrem"), "{e}");
}
