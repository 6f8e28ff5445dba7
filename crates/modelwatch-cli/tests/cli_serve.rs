//! `modelwatch serve` as a process: starts from a config file, answers, and on SIGTERM
//! during a load run exits cleanly with every acknowledged event in the store.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Starts `modelwatch serve --config CONFIG` and returns the process with its base URL
/// (read from the first line on standard error) and the rest of standard error.
fn start_serve(
    config: &std::path::Path,
) -> (
    std::process::Child,
    String,
    BufReader<std::process::ChildStderr>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, base, stderr)
}

/// Runs `modelwatch serve` on the store `db` until it exits (these stores stop its start).
fn serve_on(db: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .env("RUST_LOG", "warn")
        .current_dir(db.parent().unwrap())
        .output()
        .unwrap()
}

/// A config in `dir` serving the iris example project on a free port, its store in `dir`.
fn iris_config(dir: &std::path::Path) -> std::path::PathBuf {
    let reference = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/iris/reference.csv"
    );
    let config = dir.join("modelwatch.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndb = \"{}\"\n[[projects]]\nname = \"iris\"\nreference = \"{reference}\"\n",
            dir.join("mw.db").display()
        ),
    )
    .unwrap();
    config
}

fn sigterm(child: &std::process::Child) {
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
}

#[test]
fn sigterm_during_load_keeps_every_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let config = iris_config(dir.path());
    let (mut child, base, mut stderr) = start_serve(&config);
    let drain = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
        rest
    });

    let url = format!("{base}/api/v1/projects/iris/events");
    let body: String = {
        let rows: Vec<String> = (0..50)
            .map(|i| {
                format!(
                    "{{\"sepal_length\": {}, \"petal_length\": 1.5}}",
                    4.0 + i as f64 / 20.0
                )
            })
            .collect();
        format!("[{}]", rows.join(","))
    };
    let acked = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let (url, body, acked) = (url.clone(), body.clone(), acked.clone());
            std::thread::spawn(move || {
                let agent = agent();
                loop {
                    match agent
                        .post(&url)
                        .header("Content-Type", "application/json")
                        .send(body.as_bytes())
                    {
                        Ok(r) if r.status() == 200 => {
                            acked.fetch_add(50, Ordering::SeqCst);
                        }
                        _ => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(800));
    sigterm(&child);
    let status = child.wait().unwrap();
    for c in clients {
        c.join().unwrap();
    }
    let log = drain.join().unwrap();
    assert!(status.success(), "exit {status:?}\n{log}");
    let acked = acked.load(Ordering::SeqCst);
    assert!(acked > 0, "no request was acknowledged\n{log}");

    // Restart on the same store and count.
    let conn_count = {
        let (mut child, base, _stderr) = start_serve(&config);
        let mut r = agent()
            .get(format!("{base}/api/v1/projects/iris"))
            .call()
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        sigterm(&child);
        assert!(child.wait().unwrap().success());
        v["events"].as_u64().unwrap()
    };
    assert!(
        conn_count >= acked,
        "stored {conn_count} < acknowledged {acked}"
    );
    assert!(
        conn_count - acked <= 3 * 50,
        "stored {conn_count}, acknowledged {acked}"
    );
}

#[test]
fn a_bad_config_is_one_clear_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "[[projects]]\nname = \"a\"\nreference = \"missing.csv\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("x.db"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("project `a`") && err.contains("missing.csv"),
        "{err}"
    );
    std::fs::write(&config, "listen = 5\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
}

/// A store written by a newer modelwatch (a schema version above what this build knows)
/// is refused at start with both versions named, and the server does not start.
#[test]
fn a_store_of_a_newer_schema_is_refused_and_the_server_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("newer.db");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/store/unversioned/store.db"
        ),
        &db,
    )
    .unwrap();
    // SQLite keeps `PRAGMA user_version` big-endian at byte 60 of the file header.
    let mut bytes = std::fs::read(&db).unwrap();
    let newer = modelwatch_server::store::sqlite::migrations::LATEST + 6;
    bytes[60..64].copy_from_slice(&(newer as u32).to_be_bytes());
    std::fs::write(&db, &bytes).unwrap();
    let out = serve_on(&db);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "database schema version {newer} is newer than this modelwatch supports ({}); \
             upgrade modelwatch",
            newer - 6
        )),
        "{err}"
    );
    assert!(!err.contains("modelwatch serving"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // The file is left as it was.
    assert_eq!(std::fs::read(&db).unwrap(), bytes);
}

/// A database file the server cannot write is refused at start (exit 2, one line naming
/// the file and why), instead of a server that answers ready while every write fails.
/// File permissions do not stop root, so the file is made immutable (`chattr +i`), which
/// does; where that is not possible (no `chattr`, a file system without the flag, no
/// capability) the test says so and skips.
#[test]
fn a_database_file_that_cannot_be_written_stops_the_start_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ro.db");
    drop(
        modelwatch_server::store::sqlite::SqliteStore::open(
            &db,
            modelwatch_server::store::sqlite::Durability::Normal,
        )
        .unwrap(),
    );
    let chattr = |flag: &str| {
        Command::new("chattr")
            .arg(flag)
            .arg(&db)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    /// Takes the flag off again, or the folder could not be removed.
    struct Mutable<F: Fn(&str) -> bool>(F);
    impl<F: Fn(&str) -> bool> Drop for Mutable<F> {
        fn drop(&mut self) {
            (self.0)("-i");
        }
    }
    if !chattr("+i") {
        eprintln!("skipped: `chattr +i` is not available here");
        return;
    }
    let _mutable = Mutable(chattr);
    let before = std::fs::read(&db).unwrap();
    let out = serve_on(&db);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("ro.db: cannot open the store: the database cannot be written"),
        "{err}"
    );
    assert!(!err.contains("modelwatch serving"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

/// The process's resident memory, current or peak (`VmRSS`, `VmHWM`), in bytes.
fn resident_bytes(child: &std::process::Child, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/PID/status"));
    kib * 1024
}

#[test]
fn a_maximal_ingest_body_costs_a_small_multiple_of_its_size_and_too_many_rows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = iris_config(dir.path());
    let (mut child, base, stderr) = start_serve(&config);
    std::thread::spawn(move || stderr.lines().for_each(drop));
    let events = format!("{base}/api/v1/projects/iris/events");
    let post = |content_type: &str, body: Vec<u8>| {
        let mut r = agent()
            .post(&events)
            .header("Content-Type", content_type)
            .send(&body[..])
            .unwrap();
        let status = r.status().as_u16();
        let answer: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        (status, answer)
    };
    assert_eq!(
        post("application/json", br#"{"sepal_length": 5.0}"#.to_vec()).0,
        200
    );
    let start = resident_bytes(&child, "VmRSS");

    // 7 million one-column rows in 13 MiB: refused as a whole, with the setting named,
    // after a count of its lines rather than a parse.
    let mut many = b"sepal_length\n".to_vec();
    many.extend(std::iter::repeat_n(&b"1\n"[..], 7_000_000).flatten());
    let (status, answer) = post("text/csv", many);
    assert_eq!(status, 413, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(
        error.contains("100000 rows") && error.contains("limits.rows_per_request"),
        "{error}"
    );
    // 5 million empty objects: the array is refused at its 100,001st element.
    let mut objects = b"[".to_vec();
    objects.extend(std::iter::repeat_n(&b"{},"[..], 5_000_000).flatten());
    objects.extend(b"{}]");
    assert_eq!(post("application/json", objects).0, 413);

    // The largest body a default server takes: 100,000 rows in nearly 16 MiB.
    let row = format!("5.1,3.5,1.4,0.2,{}\n", "x".repeat(150));
    let mut full = b"sepal_length,sepal_width,petal_length,petal_width,note\n".to_vec();
    full.extend(std::iter::repeat_n(row.as_bytes(), 100_000).flatten());
    let size = full.len() as u64;
    assert!(size > 15 << 20 && size < 16 << 20, "{size}");
    let (status, answer) = post("text/csv", full);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["accepted"], 100_000);

    // Everything above, the refused bodies included, held at most a few bodies' worth.
    let grown = resident_bytes(&child, "VmHWM").saturating_sub(start);
    eprintln!(
        "peak memory grew by {} MiB for a {} MiB body",
        grown >> 20,
        size >> 20
    );
    assert!(
        grown < 8 * size,
        "peak memory grew by {} MiB for a {} MiB body",
        grown >> 20,
        size >> 20
    );
    sigterm(&child);
    assert!(child.wait().unwrap().success());
}
