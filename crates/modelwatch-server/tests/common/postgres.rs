//! A real PostgreSQL for the tests, one database per test.
//!
//! Where it comes from, in order:
//! 1. `MODELWATCH_TEST_POSTGRES`: a connection string of a server on which that user may
//!    create databases (`postgres://postgres@127.0.0.1:5432/postgres`);
//! 2. a private cluster made from the Debian binaries (`/usr/lib/postgresql/*/bin/initdb`)
//!    in a temporary folder, on a free loopback port, once per test process; a watchdog
//!    process stops it and removes the folder when the test process has gone.
//!
//! With neither, a test is skipped with a printed reason, except under `CI=true`, where it
//! fails: CI installs PostgreSQL (see `.ci/run`).
//!
//! This file is shared by the library's unit tests (`store::postgres::test_cluster`) and
//! the integration tests (`common::postgres`), so it uses nothing of the crate itself.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// A database of its own for one test, dropped with it.
pub struct TestDatabase {
    /// The connection string of the test's database.
    pub url: String,
    /// The database's name.
    pub name: String,
    admin: String,
}

/// The server the tests use: its connection string for the `postgres` database, or why
/// there is none.
fn server() -> &'static Result<String, String> {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("MODELWATCH_TEST_POSTGRES") {
            return Ok(url);
        }
        let initdb = find_initdb().ok_or_else(|| {
            "no MODELWATCH_TEST_POSTGRES and no /usr/lib/postgresql/*/bin/initdb \
             (apt-get install postgresql)"
                .to_string()
        })?;
        start_cluster(&initdb)
    })
}

/// The newest Debian PostgreSQL's `initdb`.
fn find_initdb() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let initdb = e.path().join("bin/initdb");
            initdb.exists().then_some((version, initdb))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `program args` as the `postgres` user when this process is root (initdb and the
/// server refuse to run as root), as this user otherwise.
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) -> Result<(), String> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn start_cluster(initdb: &Path) -> Result<String, String> {
    let bin = initdb.parent().expect("initdb is in a bin folder");
    let dir = tempfile::Builder::new()
        .prefix("modelwatch-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    if is_root() {
        run(
            {
                let mut c = Command::new("chown");
                c.arg("postgres:postgres").arg(&dir);
                c
            },
            "chown of the cluster folder",
        )?;
    }
    let data = dir.join("data");
    let mut init = as_owner(initdb);
    init.arg("-D").arg(&data).args([
        "-A",
        "trust",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]);
    run(init, "initdb")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut start = as_owner(&bin.join("pg_ctl"));
    start
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("log"))
        .arg("-o")
        .arg(format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
            dir.display()
        ))
        .args(["-w", "start"]);
    run(start, "pg_ctl start")?;
    // The watchdog: once this test process is gone, stop the server and remove its folder.
    let stop = if is_root() {
        format!(
            "runuser -u postgres -- {} -D {} -m immediate stop",
            bin.join("pg_ctl").display(),
            data.display()
        )
    } else {
        format!(
            "{} -D {} -m immediate stop",
            bin.join("pg_ctl").display(),
            data.display()
        )
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        dir = dir.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("watchdog: {e}"))?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

/// Runs `sql` (several statements allowed) on the database at `url` and returns the
/// first column of the first row it returns, as text ("" when none); on a
/// thread of its own, so it works inside or outside a runtime.
pub fn simple_query(url: &str, sql: &str) -> Result<String, String> {
    let (url, sql) = (url.to_string(), sql.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            let messages = client
                .simple_query(&sql)
                .await
                .map_err(|e| format!("{e:?}"))?;
            let mut last = String::new();
            for m in messages {
                if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                    if last.is_empty() {
                        last = r.get(0).unwrap_or("").to_string();
                    }
                }
            }
            Ok(last)
        })
    })
    .join()
    .expect("the query thread does not panic")
}

/// A new empty database for the test `label`; `None` (after saying why) when there is
/// no PostgreSQL to test on outside CI.
pub fn database(label: &str) -> Option<TestDatabase> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin = match server() {
        Ok(url) => url.clone(),
        Err(why) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("PostgreSQL is required under CI: {why}");
            }
            eprintln!("skipped {label}: {why}");
            return None;
        }
    };
    let name = format!(
        "mw_{}_{}_{}",
        label
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>()
            .to_lowercase(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    simple_query(&admin, &format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    // The admin URL with its database replaced.
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(b, _)| b)
        .to_string();
    Some(TestDatabase {
        url: format!("{base}/{name}"),
        name,
        admin,
    })
}

impl TestDatabase {
    /// Runs SQL on the test's database (see [`simple_query`]); panics on an error.
    pub fn execute(&self, sql: &str) {
        simple_query(&self.url, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Runs SQL on the server's `postgres` database (to change the test's database from
    /// outside it); panics on an error.
    pub fn execute_on_server(&self, sql: &str) {
        simple_query(&self.admin, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The connection string of the server's `postgres` database.
    pub fn admin_url(&self) -> &str {
        &self.admin
    }

    /// The first value of the first row `sql` returns, as text.
    pub fn query_one(&self, sql: &str) -> String {
        simple_query(&self.url, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = simple_query(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}
