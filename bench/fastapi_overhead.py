#!/usr/bin/env python3
"""What the modelwatch middleware adds to a FastAPI model's latency.

Serves examples/fastapi-iris under uvicorn (one worker each) three ways at once: without
the middleware (`bare`), with it and the monitoring server up (`up`), and with it while its
monitoring server is stopped (`down`: every batch fails and is retried, the queue drops its
oldest events). Each app gets POST /predict at the same fixed rate (open loop: request k of
every app leaves at the same scheduled time, from keep-alive connections), so that a busy
host slows the three alike, and the latency of each answer is recorded. Prints p50, p90
and p99 per configuration and their difference from `bare`. Then times the middleware in
process (no sockets): the same ASGI app called with and without it, which shows the cost
of a request below the noise of a loaded machine, and the sender thread's work per event.

    python bench/fastapi_overhead.py [--bin target/release/modelwatch] [--rate 100]
        [--seconds 10] [--rounds 3]

Needs fastapi and uvicorn; the binary defaults to MODELWATCH_BIN, then `modelwatch` on
PATH. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "examples" / "fastapi-iris"
PACKAGE = REPO / "crates" / "modelwatch-py" / "python"
sys.path[:0] = [str(PACKAGE), str(REPO / "crates" / "modelwatch-py" / "tests")]

from client_support import (
    IrisApp,
    MonitoringServer,
    create_iris_project,
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def flowers(n: int) -> list[bytes]:
    rng = random.Random(0)
    return [
        json.dumps(
            {
                "sepal_length": round(rng.uniform(4.3, 7.9), 1),
                "sepal_width": round(rng.uniform(2.0, 4.4), 1),
                "petal_length": round(rng.uniform(1.0, 6.9), 1),
                "petal_width": round(rng.uniform(0.1, 2.5), 1),
            }
        ).encode()
        for _ in range(n)
    ]


def load(
    ports: dict[str, int], rate: float, seconds: float, connections: int = 2
) -> dict[str, list[float]]:
    """Open-loop load on every app at once: request k of each app leaves at start + k / rate,
    from `connections` keep-alive connections per app. The apps see the same host at the
    same moments, so a busy neighbour slows them alike."""
    bodies = flowers(1000)
    latencies: dict[str, list[float]] = {name: [] for name in ports}
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    total = int(rate * seconds)
    failures = []

    def worker(name: str, c: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", ports[name], timeout=10)
        mine = []
        for k in range(c, total, connections):
            wait = start + k / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            sent = time.perf_counter()
            connection.request(
                "POST",
                "/predict",
                bodies[k % len(bodies)],
                {"Content-Type": "application/json"},
            )
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                failures.append(answer.status)
            mine.append(time.perf_counter() - sent)
        connection.close()
        with lock:
            latencies[name].extend(mine)

    threads = [
        threading.Thread(target=worker, args=(name, c))
        for name in ports
        for c in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed: {failures[:5]}")
    return latencies


ALTERNATIONS = 20


def in_process(repeat: int) -> dict[str, float]:
    """Microseconds per request of the iris app's ASGI call, with and without the middleware."""
    sys.path.insert(0, str(APP))
    os.environ.pop("MODELWATCH_URL", None)
    import app as iris  # the example, without monitoring
    from modelwatch.client import Client, encode_events
    from modelwatch.fastapi import ModelwatchMiddleware

    project = Client("http://127.0.0.1:9").project("bench")
    # The request's side alone: events are kept here instead of going to the sender
    # thread, whose work (building and encoding them) is timed separately below.
    pending: list = []
    project._shipper.put = pending.append
    wrapped = ModelwatchMiddleware(
        iris.app, project, paths="/predict", prediction="species"
    )
    body = flowers(1)[0]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/predict",
        "raw_path": b"/predict",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
    }

    async def one(app) -> None:
        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            pass

        await app(dict(scope), receive, send)

    async def timed(app, n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            await one(app)
        return (time.perf_counter() - started) / n * 1e6

    async def main() -> dict[str, float]:
        await timed(iris.app, 500)
        await timed(wrapped, 500)
        bare, monitored = [], []
        for _ in range(ALTERNATIONS):
            bare.append(await timed(iris.app, repeat))
            monitored.append(await timed(wrapped, repeat))
            pending.clear()
        return {"bare": min(bare), "monitored": min(monitored)}

    times = asyncio.run(main())

    background = []
    for _ in range(5):
        pending.clear()
        asyncio.run(timed(wrapped, repeat))
        started = time.perf_counter()
        encode_events([build() for build in pending])
        background.append((time.perf_counter() - started) / len(pending) * 1e6)
    times["background"] = min(background)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--bin", default=os.environ.get("MODELWATCH_BIN") or shutil.which("modelwatch")
    )
    parser.add_argument(
        "--rate", type=float, default=100.0, help="requests per second to each app"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="of each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--repeat", type=int, default=3000, help="in-process calls per timing"
    )
    args = parser.parse_args()
    if not args.bin:
        sys.exit("no modelwatch binary: pass --bin or set MODELWATCH_BIN")
    os.environ["MODELWATCH_BIN"] = args.bin

    results: dict[str, list[float]] = {"bare": [], "up": [], "down": []}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "up").mkdir()
        (folder / "down").mkdir()
        server = MonitoringServer(folder / "up").start()
        create_iris_project(server.url)
        # A real server, stopped before the app logs anything: every batch of the `down`
        # app fails, is retried, and past 10,000 queued events the oldest are dropped.
        stopped = MonitoringServer(folder / "down").start()
        stopped.stop()
        apps = {
            "bare": IrisApp(folder, None),
            "up": IrisApp(folder, server.url),
            "down": IrisApp(folder, stopped.url),
        }
        try:
            for app in apps.values():
                app.start()
            ports = {name: app.port for name, app in apps.items()}
            load(ports, args.rate, 2.0)  # warm-up
            for round_ in range(args.rounds):
                latencies = load(ports, args.rate, args.seconds)
                for name, values in latencies.items():
                    results[name].extend(values)
                figures = ", ".join(
                    f"{name} p50 {percentile(v, 0.5) * 1e3:.3f} p99 {percentile(v, 0.99) * 1e3:.3f}"
                    for name, v in latencies.items()
                )
                print(
                    f"round {round_ + 1} (ms): {figures}; load average {os.getloadavg()[0]:.1f}",
                    file=sys.stderr,
                )
            for name in ("up", "down"):
                connection = http.client.HTTPConnection(
                    "127.0.0.1", ports[name], timeout=10
                )
                connection.request("GET", "/monitoring")
                print(
                    f"{name}: {json.loads(connection.getresponse().read())}",
                    file=sys.stderr,
                )
        finally:
            for app in apps.values():
                app.stop()
            server.stop()

    print(
        f"iris app, {args.rate:.0f} requests/s to each configuration at once, {args.rounds} x {args.seconds:.0f} s"
    )
    print(
        "| configuration | requests | p50 ms | p90 ms | p99 ms | p50 added | p90 added | p99 added |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    base = {q: percentile(results["bare"], q) for q in (0.5, 0.9, 0.99)}
    labels = {
        "bare": "no middleware",
        "up": "middleware, monitoring up",
        "down": "middleware, monitoring down",
    }
    for name, values in results.items():
        p = {q: percentile(values, q) for q in (0.5, 0.9, 0.99)}
        added = " | ".join(f"{(p[q] - base[q]) * 1e3:+.3f}" for q in (0.5, 0.9, 0.99))
        print(
            f"| {labels[name]} | {len(values)} | {p[0.5] * 1e3:.3f} | {p[0.9] * 1e3:.3f} | "
            f"{p[0.99] * 1e3:.3f} | {added} |"
        )
    print(
        f"median of all, ms: {', '.join(f'{k} {statistics.median(v) * 1e3:.3f}' for k, v in results.items())}"
    )

    times = in_process(args.repeat)
    print(
        f"in process (best of {ALTERNATIONS} x {args.repeat} calls, alternating): {times['bare']:.1f} us "
        f"a request without the middleware, {times['monitored']:.1f} us with it "
        f"({times['monitored'] - times['bare']:+.1f} us); the sender thread's work off the request: "
        f"{times['background']:.1f} us an event (building and encoding it)"
    )


if __name__ == "__main__":
    main()
