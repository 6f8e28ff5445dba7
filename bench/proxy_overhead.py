"""Overhead of `modelwatch proxy` on loopback, against direct calls and nginx (issue 23).

    python3 bench/proxy_overhead.py                  # ~5 minutes: 3 rounds x 4 targets x 2 phases
    DURATION=20 ROUNDS=5 python3 bench/proxy_overhead.py

Builds the release `modelwatch` binary and bench/loadgen (the load generator and the small
JSON model `json_model`), then starts, each on a free loopback port:
  - the JSON model (KServe v1, `POST /v1/models/iris:predict`, MODEL_THREADS threads);
  - `modelwatch serve` with an `iris` project, at idle scheduling priority (`chrt --idle`,
    else `nice -n 19`): it stands for a server on another machine, so it takes only the CPU
    time the measured processes leave (its CPU seconds in the capture runs are printed);
  - `modelwatch proxy` in front of the model with capture on (every request becomes an
    event sent to the server), WORKERS runtime threads (TOKIO_WORKER_THREADS);
  - the same proxy without `--server` (`no-capt` in the table: forwarding and metrics only);
  - nginx (Debian's package) as a reverse proxy in front of the same model, WORKERS
    worker processes, config in bench/nginx/proxy_overhead.conf.
Each round runs, for direct calls, the proxy and nginx in turn:
  1. latency: open loop at RATE requests/s (CONNS connections), latency from each
     request's scheduled send time (no coordinated omission);
  2. throughput: closed loop, as fast as answers come (THROUGHPUT_CONNS connections),
     with the CPU time the proxy (or nginx, master and workers) used per request.
The table shows the median over rounds; the added latency is against direct calls
measured in the same round (the anchor), the throughput ratios against nginx: requests per
second of the closed loop (`x nginx`), and requests per CPU second of the proxy itself
(`x/CPU`: the throughput each would have on the same CPU).
Targets: added p50 < 0.2 ms and added p99 < 1 ms at 5,000 req/s; throughput >= nginx's
(printed both ways: closed-loop requests per second, and requests per CPU second). Events
the proxy dropped (its queue full while the idle-priority server lagged) are printed by
reason: the proxy built each of them, only their sending was spared. After each capture
run the next target waits until the proxy's queue is empty, so that sending the backlog
does not fall into another target's measurement.
A benchmark, not a test: exits 0 unless the run breaks (a process dies, requests fail).

Knobs (environment): RATE=5000 DURATION=10 ROUNDS=3 CONNS=16 THROUGHPUT_CONNS=32
WORKERS=1 MODEL_THREADS=1 LOADGEN_THREADS=1 SKIP_BUILD=1 KEEP=1 (keep the temp dir).
"""

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATE = int(os.environ.get("RATE", "5000"))
DURATION = float(os.environ.get("DURATION", "10"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
CONNS = int(os.environ.get("CONNS", "16"))
THROUGHPUT_CONNS = int(os.environ.get("THROUGHPUT_CONNS", "32"))
WORKERS = int(os.environ.get("WORKERS", "1"))
MODEL_THREADS = int(os.environ.get("MODEL_THREADS", "1"))
LOADGEN_THREADS = int(os.environ.get("LOADGEN_THREADS", "1"))

MODELWATCH = ROOT / "target/release/modelwatch"
LOADGEN_DIR = ROOT / "bench/loadgen"
LOADGEN = LOADGEN_DIR / "target/release/modelwatch-loadgen"
JSON_MODEL = LOADGEN_DIR / "target/release/json_model"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what):
    for _ in range(400):
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not start on port {port}")


def cpu_seconds(pid):
    """User + system CPU seconds of `pid` and its direct children (nginx's workers)."""
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                pids.append(int(entry))
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def loadgen(port, conns, rate=None, duration=DURATION):
    cmd = [
        str(LOADGEN),
        "--url",
        f"http://127.0.0.1:{port}",
        "--mode",
        "kserve",
        "--connections",
        str(conns),
        "--duration",
        str(duration),
        "--threads",
        str(LOADGEN_THREADS),
        "--timeout",
        "10",
    ]
    if rate:
        cmd += ["--rate", str(rate)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = dict(kv.split("=", 1) for kv in line.split()[1:])
    if int(result["errors"]) > 0:
        print(out, file=sys.stderr)
        sys.exit(f"requests failed on port {port}")
    return {k: float(v) for k, v in result.items() if k != "mode"}


def metric(text, name):
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(m.group(1)) if m else 0.0


def metric_sum(text, name):
    """The sum of a family's samples over all their labels."""
    return sum(
        float(m.group(1))
        for m in re.finditer(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
    )


def drain(metrics_port, limit=120):
    """Waits until every event the proxy captured was sent, dropped or refused (the queue
    empty and no batch in flight; at most `limit` seconds); the proxy's /metrics text."""
    waited = time.monotonic()
    while True:
        text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics").read()
        text = text.decode()
        done = (
            metric(text, "modelwatch_proxy_events_sent_total")
            + metric_sum(text, "modelwatch_proxy_events_dropped_total")
            + metric(text, "modelwatch_proxy_events_refused_total")
        )
        captured = metric(text, "modelwatch_proxy_events_captured_total")
        if done >= captured or time.monotonic() - waited > limit:
            return text
        time.sleep(0.5)


def main():
    if shutil.which("nginx") is None:
        sys.exit("nginx is not installed (Debian: apt-get install -y nginx)")
    if not os.environ.get("SKIP_BUILD"):
        print("== building (release)", file=sys.stderr)
        subprocess.run(
            ["cargo", "build", "--release", "-q", "-p", "modelwatch-cli"],
            cwd=ROOT,
            check=True,
        )
        subprocess.run(
            ["cargo", "build", "--release", "-q"], cwd=LOADGEN_DIR, check=True
        )

    work = Path(tempfile.mkdtemp(prefix="modelwatch-proxy-bench."))
    procs = []

    def start(cmd, log, **kw):
        with open(work / log, "w") as err:
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, **kw)
        procs.append(p)
        return p

    try:
        ports = {
            name: free_port()
            for name in ("model", "server", "proxy", "forward", "metrics", "nginx")
        }
        model = start(
            [
                str(JSON_MODEL),
                "--listen",
                f"127.0.0.1:{ports['model']}",
                "--threads",
                str(MODEL_THREADS),
            ],
            "model.log",
        )
        wait_port(ports["model"], model, "json_model")

        (work / "modelwatch.toml").write_text("")
        can_idle = (
            shutil.which("chrt") is not None
            and subprocess.run(["chrt", "--idle", "0", "true"]).returncode == 0
        )
        idle = ["chrt", "--idle", "0"] if can_idle else ["nice", "-n", "19"]
        priority = "idle" if idle[0] == "chrt" else "nice 19"
        server = start(
            [
                *idle,
                str(MODELWATCH),
                "serve",
                "--listen",
                f"127.0.0.1:{ports['server']}",
                "--db",
                str(work / "mw.db"),
                "--config",
                str(work / "modelwatch.toml"),
            ],
            "server.log",
            env={**os.environ, "RUST_LOG": "warn"},
        )
        wait_port(ports["server"], server, "modelwatch serve")
        server_url = f"http://127.0.0.1:{ports['server']}"
        reference = (ROOT / "examples/iris/reference.csv").read_bytes()
        req = urllib.request.Request(
            f"{server_url}/api/v1/projects?name=iris",
            data=reference,
            headers={"Content-Type": "text/csv"},
            method="POST",
        )
        urllib.request.urlopen(req).read()

        proxy = start(
            [
                str(MODELWATCH),
                "proxy",
                "--listen",
                f"127.0.0.1:{ports['proxy']}",
                "--upstream",
                f"http://127.0.0.1:{ports['model']}",
                "--metrics-listen",
                f"127.0.0.1:{ports['metrics']}",
                "--project",
                "iris",
                "--server",
                server_url,
            ],
            "proxy.log",
            env={
                **os.environ,
                "RUST_LOG": "warn",
                "TOKIO_WORKER_THREADS": str(WORKERS),
            },
        )
        wait_port(ports["proxy"], proxy, "modelwatch proxy")
        # The same proxy without a server: forwarding and metrics only, no capture.
        forward = start(
            [
                str(MODELWATCH),
                "proxy",
                "--listen",
                f"127.0.0.1:{ports['forward']}",
                "--upstream",
                f"http://127.0.0.1:{ports['model']}",
            ],
            "forward.log",
            env={
                **os.environ,
                "RUST_LOG": "warn",
                "TOKIO_WORKER_THREADS": str(WORKERS),
            },
        )
        wait_port(ports["forward"], forward, "modelwatch proxy (no capture)")

        conf = (ROOT / "bench/nginx/proxy_overhead.conf").read_text()
        for key, value in {
            "@WORK@": str(work),
            "@LISTEN@": f"127.0.0.1:{ports['nginx']}",
            "@UPSTREAM@": f"127.0.0.1:{ports['model']}",
            "@WORKERS@": str(WORKERS),
        }.items():
            conf = conf.replace(key, value)
        (work / "nginx.conf").write_text(conf)
        nginx = start(
            [
                "nginx",
                "-c",
                str(work / "nginx.conf"),
                "-p",
                str(work),
                "-e",
                str(work / "nginx-error.log"),
            ],
            "nginx.log",
        )
        wait_port(ports["nginx"], nginx, "nginx")

        targets = {
            "direct": (ports["model"], model),
            "proxy": (ports["proxy"], proxy),
            "no-capt": (ports["forward"], forward),
            "nginx": (ports["nginx"], nginx),
        }
        for name, (port, _) in targets.items():
            loadgen(port, CONNS, duration=2)  # warm-up: connections, pools, caches

        rows = {name: [] for name in targets}
        for r in range(ROUNDS):
            for name, (port, p) in targets.items():
                lat = loadgen(port, CONNS, rate=RATE)
                before = cpu_seconds(p.pid)
                server_before = cpu_seconds(server.pid)
                thr = loadgen(port, THROUGHPUT_CONNS)
                cpu = cpu_seconds(p.pid) - before
                server_cpu = cpu_seconds(server.pid) - server_before
                if name == "proxy":
                    drain(ports["metrics"])
                rows[name].append(
                    {
                        "p50": lat["p50_ms"],
                        "p99": lat["p99_ms"],
                        "achieved": lat["req_per_s"],
                        "rps": thr["req_per_s"],
                        "cpu_us": cpu / max(thr["requests"], 1) * 1e6,
                        "server_cpu": server_cpu,
                    }
                )
                print(
                    f"round {r + 1} {name:7} at {RATE}/s: p50 {lat['p50_ms']:.3f} ms  "
                    f"p99 {lat['p99_ms']:.3f} ms | closed loop: {thr['req_per_s']:.0f} req/s, "
                    f"{rows[name][-1]['cpu_us']:.1f} CPU us per request, server "
                    f"{server_cpu:.2f} CPU s",
                    file=sys.stderr,
                )

        def med(name, key):
            return statistics.median(x[key] for x in rows[name])

        def added(name, key):
            return statistics.median(
                a[key] - d[key] for a, d in zip(rows[name], rows["direct"])
            )

        print(
            f"\nloopback, {RATE} req/s open loop ({CONNS} connections) and closed loop "
            f"({THROUGHPUT_CONNS} connections), {DURATION:.0f} s per run, median of "
            f"{ROUNDS} rounds; {WORKERS} worker(s) for the proxy and nginx; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        print(
            f"{'target':8} {'p50 ms':>8} {'p99 ms':>8} {'+p50 ms':>8} {'+p99 ms':>8} "
            f"{'req/s':>8} {'x nginx':>8} {'CPU us/req':>10} {'x/CPU':>6}"
        )
        nginx_rps = med("nginx", "rps")
        nginx_cpu = med("nginx", "cpu_us")
        for name in targets:
            plus = (
                ("", "")
                if name == "direct"
                else (f"{added(name, 'p50'):.3f}", f"{added(name, 'p99'):.3f}")
            )
            cpu, per_cpu = (
                ("", "")
                if name == "direct"
                else (
                    f"{med(name, 'cpu_us'):.1f}",
                    f"{nginx_cpu / max(med(name, 'cpu_us'), 1e-9):.2f}",
                )
            )
            print(
                f"{name:8} {med(name, 'p50'):8.3f} {med(name, 'p99'):8.3f} {plus[0]:>8} "
                f"{plus[1]:>8} {med(name, 'rps'):8.0f} {med(name, 'rps') / nginx_rps:8.2f} "
                f"{cpu:>10} {per_cpu:>6}"
            )
        print(
            f"server (at {priority} priority) during the capture runs' closed loop: "
            f"{med('proxy', 'server_cpu'):.2f} CPU s per run (median)"
        )

        # Capture really happened: the proxy's counters and the server's store, once the
        # proxy's queue has drained (the server may still be storing the closed-loop
        # phases' events; up to two minutes).
        waited = time.monotonic()
        text = drain(ports["metrics"])
        captured = metric(text, "modelwatch_proxy_events_captured_total")
        sent = metric(text, "modelwatch_proxy_events_sent_total")
        dropped = metric_sum(text, "modelwatch_proxy_events_dropped_total")
        refused = metric(text, "modelwatch_proxy_events_refused_total")
        print(f"queue drained {time.monotonic() - waited:.0f} s after the last run")
        info = json.loads(
            urllib.request.urlopen(f"{server_url}/api/v1/projects/iris").read()
        )
        print(
            f"capture: {captured:.0f} events captured, {sent:.0f} sent, {dropped:.0f} "
            f"dropped, {refused:.0f} refused; the server holds {info['events']}"
        )
        reasons = {
            m.group(1): float(m.group(2))
            for m in re.finditer(
                r'^modelwatch_proxy_events_dropped_total\{reason="([^"]+)"\} (\S+)$',
                text,
                re.MULTILINE,
            )
        }
        print(
            "dropped by reason: "
            + (", ".join(f"{k} {v:.0f}" for k, v in sorted(reasons.items()) if v) or "none")
        )
        p50_ok = added("proxy", "p50") < 0.2
        p99_ok = added("proxy", "p99") < 1.0
        thr_ok = med("proxy", "rps") >= nginx_rps
        cpu_ok = med("proxy", "cpu_us") <= nginx_cpu
        print(
            f"targets: added p50 < 0.2 ms {'met' if p50_ok else 'MISSED'}; added p99 < 1 ms "
            f"{'met' if p99_ok else 'MISSED'}; throughput >= nginx's "
            f"{'met' if thr_ok else 'MISSED'}; requests per CPU second >= nginx's "
            f"{'met' if cpu_ok else 'MISSED'}"
        )
        for name, (_, p) in targets.items():
            if p.poll() is not None:
                sys.exit(f"{name} died during the run")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if os.environ.get("KEEP"):
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
