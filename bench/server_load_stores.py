#!/usr/bin/env python3
"""Ingestion load of `modelwatch serve` on SQLite and on PostgreSQL, side by side in one run,
with one and two replicas (issue 24, "Load"). Called by bench/server_load.sh after its own
phases; runs alone as well:

    python3 bench/server_load_stores.py            # ~4 minutes: 20 s per phase
    DURATION=10 python3 bench/server_load_stores.py

For each setup (SQLite, one replica; PostgreSQL, one replica; PostgreSQL, two replicas on one
database) it starts the release binary on a fresh store, creates the `iris` project from
examples/iris/reference.csv through the first replica (the second learns it from the
database), and runs the load generator (bench/loadgen), its connections spread over the
replicas:
  1. batches of 100 events per request, BATCH_CONNS connections, DURATION s (closed loop);
  2. one event per request, open loop at TARGET_RATE req/s in total, SINGLE_CONNS
     connections, DURATION s (latency from each request's scheduled send time);
  3. batches and single events together for DURATION s, with the last replica killed with
     SIGKILL halfway; a single replica is then started again on the same store.
Then it compares the events acknowledged (2xx) in all phases with the events the store
holds. On PostgreSQL `VACUUM (ANALYZE) events` and a CHECKPOINT run between phases, so
that a phase is not charged with digesting the burst of the one before: 3 million events
in 20 s of batches fill the write-ahead log past `max_wal_size` and start a checkpoint, and
make autovacuum visit the table, both of which otherwise last into the single-event phase
(SETTLE=0 leaves them out, to see that effect). PostgreSQL is the Debian package's server (a private cluster in a temporary folder on
a free loopback port, as the `postgres` user when run as root) with its default durability
(fsync on, synchronous_commit on), or the server at MODELWATCH_BENCH_POSTGRES (a URL of a
user that may create databases). SQLite runs with the server's defaults (WAL,
synchronous=NORMAL).

Targets: >= 50,000 events/s in batches, single-event p99 < 10 ms, zero acknowledged events
lost. A benchmark, not a test: it exits non-zero only when the run breaks (a server that
does not start, an acknowledged event missing); a missed speed target is reported.

Knobs (environment): DURATION=20 BATCH_CONNS=4 SINGLE_CONNS=16 TARGET_RATE=5000
SETUPS=sqlite,pg1,pg2 (which setups to run) SKIP_BUILD=1 (reuse built binaries) KEEP=1 (keep
the temporary folder).
"""

import glob
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/modelwatch")
LOADGEN = os.path.join(ROOT, "bench/loadgen/target/release/modelwatch-loadgen")
DURATION = float(os.environ.get("DURATION", "20"))
BATCH_CONNS = int(os.environ.get("BATCH_CONNS", "4"))
SINGLE_CONNS = int(os.environ.get("SINGLE_CONNS", "16"))
TARGET_RATE = float(os.environ.get("TARGET_RATE", "5000"))
REFERENCE = os.path.join(ROOT, "examples/iris/reference.csv")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_root():
    return os.geteuid() == 0


def as_owner(args):
    return ["runuser", "-u", "postgres", "--", *args] if is_root() else args


class Postgres:
    """A private PostgreSQL cluster, or the server at MODELWATCH_BENCH_POSTGRES."""

    def __init__(self, work):
        self.admin = os.environ.get("MODELWATCH_BENCH_POSTGRES")
        self.data = None
        self.bin = None
        if self.admin:
            return
        found = sorted(
            glob.glob("/usr/lib/postgresql/*/bin/initdb"),
            key=lambda p: int(p.split("/")[4]),
        )
        if not found:
            raise SystemExit(
                "no PostgreSQL: install Debian's postgresql or set MODELWATCH_BENCH_POSTGRES"
            )
        self.bin = os.path.dirname(found[-1])
        folder = os.path.join(work, "pg")
        os.makedirs(folder)
        if is_root():
            shutil.chown(work, "postgres", "postgres")
            shutil.chown(folder, "postgres", "postgres")
        self.data = os.path.join(folder, "data")
        subprocess.run(
            as_owner(
                [
                    f"{self.bin}/initdb",
                    "-D",
                    self.data,
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = free_port()
        subprocess.run(
            as_owner(
                [
                    f"{self.bin}/pg_ctl",
                    "-D",
                    self.data,
                    "-l",
                    os.path.join(folder, "log"),
                    "-o",
                    f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200",
                    "-w",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.admin = f"postgres://postgres@127.0.0.1:{port}/postgres"

    def create(self, name):
        psql = f"{self.bin}/psql" if self.bin else "psql"
        subprocess.run(
            [psql, self.admin, "-q", "-c", f"CREATE DATABASE {name}"], check=True
        )
        return self.admin.rsplit("/", 1)[0] + "/" + name

    def settle(self, url):
        """Vacuums the events the phase before wrote (which autovacuum would otherwise start
        on during the next phase) and writes them out of the write-ahead log (CHECKPOINT),
        so that the next phase measures its own load, not the database digesting the
        last."""
        if os.environ.get("SETTLE") == "0":
            return
        psql = f"{self.bin}/psql" if self.bin else "psql"
        for sql in ("VACUUM (ANALYZE) events", "CHECKPOINT"):
            subprocess.run([psql, url, "-q", "-c", sql], check=True)

    def stop(self):
        if self.data:
            subprocess.run(
                as_owner([f"{self.bin}/pg_ctl", "-D", self.data, "-m", "fast", "stop"]),
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )


class Replica:
    def __init__(self, db, work, name):
        self.log_path = os.path.join(work, f"{name}.log")
        config = os.path.join(work, "modelwatch.toml")
        if not os.path.exists(config):
            pathlib.Path(config).touch()
        self.log_file = open(self.log_path, "w")  # noqa: SIM115 (the server's stderr for its life)
        # RUST_LOG=warn: the default `info` logs a line per request; both stores pay the same.
        env = dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--db", db, "--config", config],
            stderr=self.log_file,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.time() + 60
        self.url = None
        while time.time() < deadline and self.url is None:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"{name} died:\n" + pathlib.Path(self.log_path).read_text()
                )
            m = re.search(
                r"modelwatch serving on (http://\S+)",
                pathlib.Path(self.log_path).read_text(),
            )
            if m:
                self.url = m.group(1)
            time.sleep(0.05)
        if self.url is None:
            raise SystemExit(f"{name} did not start")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(timeout=60)
        return self.proc.returncode


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def create_project(replicas):
    data = pathlib.Path(REFERENCE).read_bytes()
    req = urllib.request.Request(
        f"{replicas[0].url}/api/v1/projects?name=iris",
        data=data,
        headers={"Content-Type": "text/csv"},
        method="POST",
    )
    urllib.request.urlopen(req, timeout=30).read()
    # The other replicas learn the project from the database.
    for r in replicas[1:]:
        deadline = time.time() + 30
        while True:
            try:
                get_json(f"{r.url}/api/v1/projects/iris")
                break
            except (OSError, ValueError):
                if time.time() > deadline:
                    raise SystemExit("the second replica never saw the project")
                time.sleep(0.2)


def stored(replica):
    return get_json(f"{replica.url}/api/v1/projects/iris")["events"]


def spread(conns, replicas):
    """Connections per replica: as even as possible, at least one each."""
    n = len(replicas)
    return [max(1, conns // n + (1 if i < conns % n else 0)) for i in range(n)]


def start_loadgen(url, *args):
    return subprocess.Popen(
        [LOADGEN, "--url", url, "--project", "iris", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def result(proc):
    out, _ = proc.communicate()
    line = [x for x in out.splitlines() if x.startswith("RESULT ")][-1]
    return {k: v for k, v in (kv.split("=", 1) for kv in line.split()[1:])}


def run_phase(replicas, mode, conns, rate=None, batch=100):
    procs = []
    for r, c in zip(replicas, spread(conns, replicas)):
        args = ["--mode", mode, "--connections", str(c), "--duration", str(DURATION)]
        if mode == "batch":
            args += ["--batch", str(batch)]
        if rate:
            args += ["--rate", str(rate * c / conns)]
        procs.append(start_loadgen(r.url, *args))
    return [result(p) for p in procs]


def setup_run(name, db_for, replicas_n, work, settle):
    log(f"== {name}")
    folder = os.path.join(work, name.replace(" ", "_").replace(",", ""))
    os.makedirs(folder)
    db = db_for(folder)
    replicas = [Replica(db, folder, f"replica{i}") for i in range(replicas_n)]
    create_project(replicas)
    acked = 0
    out = {}

    res = run_phase(replicas, "batch", BATCH_CONNS)
    secs = max(float(r["secs"]) for r in res)
    out["batch_events_per_s"] = sum(int(r["events_acked"]) for r in res) / secs
    out["batch_p99_ms"] = max(float(r["p99_ms"]) for r in res)
    out["batch_errors"] = sum(int(r["errors"]) for r in res)
    acked += sum(int(r["events_acked"]) for r in res)
    log(f"   batches: {out['batch_events_per_s']:.0f} events/s")
    settle(db)

    res = run_phase(replicas, "single", SINGLE_CONNS, rate=TARGET_RATE)
    secs = max(float(r["secs"]) for r in res)
    out["single_req_per_s"] = sum(int(r["requests"]) for r in res) / secs
    out["single_p50_ms"] = max(float(r["p50_ms"]) for r in res)
    out["single_p99_ms"] = max(float(r["p99_ms"]) for r in res)
    out["single_errors"] = sum(int(r["errors"]) for r in res)
    acked += sum(int(r["events_acked"]) for r in res)
    log(f"   single events: p99 {out['single_p99_ms']:.2f} ms")
    settle(db)

    # Phase 3: both kinds of load, the last replica killed halfway.
    procs = []
    for r, c in zip(replicas, spread(2, replicas)):
        procs.append(
            start_loadgen(
                r.url,
                "--mode",
                "batch",
                "--batch",
                "100",
                "--connections",
                str(c),
                "--duration",
                str(DURATION),
                "--timeout",
                "5",
            )
        )
    for r, c in zip(replicas, spread(8, replicas)):
        procs.append(
            start_loadgen(
                r.url,
                "--mode",
                "single",
                "--connections",
                str(c),
                "--duration",
                str(DURATION),
                "--timeout",
                "5",
            )
        )
    time.sleep(DURATION / 2)
    victim = replicas[-1]
    victim.kill9()
    log(f"   killed {victim.url} with SIGKILL")
    res = [result(p) for p in procs]
    acked += sum(int(r["events_acked"]) for r in res)
    if replicas_n == 1:
        replicas[0] = Replica(db, folder, "replica0-restarted")
        counter = replicas[0]
    else:
        counter = replicas[0]
    out["acked"] = acked
    out["stored"] = stored(counter)
    rcs = [r.stop() for r in replicas if r is not victim]
    out["exit"] = rcs
    log(f"   acknowledged {acked}, stored {out['stored']}, exit {rcs}")
    return out


def main():
    if not os.environ.get("SKIP_BUILD"):
        log("== building (release)")
        subprocess.run(
            ["cargo", "build", "--release", "-q", "-p", "modelwatch-cli"],
            cwd=ROOT,
            check=True,
        )
        subprocess.run(
            ["cargo", "build", "--release", "-q"],
            cwd=os.path.join(ROOT, "bench/loadgen"),
            check=True,
        )
    work = tempfile.mkdtemp(prefix="modelwatch-stores-")
    os.chmod(work, 0o755)
    pg = None
    try:
        pg = Postgres(work)
        counter = iter(range(100))
        setups = [
            (
                "SQLite, 1 replica",
                lambda folder: os.path.join(folder, "load.db"),
                1,
                lambda db: None,
            ),
            (
                "PostgreSQL, 1 replica",
                lambda folder: pg.create(f"load{next(counter)}"),
                1,
                pg.settle,
            ),
            (
                "PostgreSQL, 2 replicas",
                lambda folder: pg.create(f"load{next(counter)}"),
                2,
                pg.settle,
            ),
        ]
        wanted = os.environ.get("SETUPS", "sqlite,pg1,pg2").split(",")
        keys = ["sqlite", "pg1", "pg2"]
        setups = [s for k, s in zip(keys, setups) if k in wanted]
        load = pathlib.Path("/proc/loadavg").read_text().split()[:3]
        results = [
            (name, setup_run(name, db_for, n, work, settle))
            for name, db_for, n, settle in setups
        ]
        print()
        between = (
            "nothing" if os.environ.get("SETTLE") == "0" else "VACUUM and CHECKPOINT"
        )
        where = (
            "MODELWATCH_BENCH_POSTGRES"
            if os.environ.get("MODELWATCH_BENCH_POSTGRES")
            else "private cluster"
        )
        print(
            f"summary ({os.cpu_count()} cores, load before {' '.join(load)}; "
            f"{DURATION:.0f} s per phase; PostgreSQL: {where}, default durability, "
            f"{between} between phases)"
        )
        header = f"  {'setup':<24} {'batched events/s':>17} {'single p50 / p99 ms':>21} {'req/s':>7} {'acked / stored':>19} {'lost':>5} {'exit':>6}"
        print(header)
        broken = False
        for name, r in results:
            lost = max(0, r["acked"] - r["stored"])
            broken |= lost > 0 or any(rc != 0 for rc in r["exit"])
            print(
                f"  {name:<24} {r['batch_events_per_s']:>17.0f} "
                f"{r['single_p50_ms']:>9.2f} / {r['single_p99_ms']:<9.2f} {r['single_req_per_s']:>7.0f} "
                f"{r['acked']:>9} / {r['stored']:<9} {lost:>5} {','.join(map(str, r['exit'])):>6}"
            )
        base = results[0][1]["batch_events_per_s"]
        for name, r in results[1:] if results[0][0].startswith("SQLite") else []:
            print(
                f"  {name}: {r['batch_events_per_s'] / base:.2f}x SQLite's batched events/s"
            )
        for name, r in results:
            verdict = (
                "met" if r["batch_events_per_s"] >= 50000 else "MISSED",
                "met" if r["single_p99_ms"] < 10 else "MISSED",
            )
            print(
                f"  targets {name}: >= 50,000 events/s {verdict[0]}; p99 < 10 ms {verdict[1]}"
            )
        return 1 if broken else 0
    finally:
        if pg:
            pg.stop()
        if os.environ.get("KEEP"):
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
