"""End to end on loopback: a real `modelwatch serve`, the example's iris app under a real
uvicorn with the middleware, and traffic from a client."""

from __future__ import annotations

import http.client
import json
import random
import statistics
import time
from pathlib import Path

import pytest
from client_support import IrisApp, MonitoringServer, create_iris_project
from modelwatch.client import Client


def flowers(n: int, seed: int) -> list[dict[str, float]]:
    rng = random.Random(seed)
    return [
        {
            "sepal_length": round(rng.uniform(4.3, 7.9), 1),
            "sepal_width": round(rng.uniform(2.0, 4.4), 1),
            "petal_length": round(rng.uniform(1.0, 6.9), 1),
            "petal_width": round(rng.uniform(0.1, 2.5), 1),
        }
        for _ in range(n)
    ]


def send_traffic(app: IrisApp, rows: list[dict[str, float]]) -> list[float]:
    """POST each row on one keep-alive connection; the latencies of the answers, all 200."""
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    latencies = []
    for row in rows:
        started = time.perf_counter()
        connection.request(
            "POST", "/predict", json.dumps(row), {"Content-Type": "application/json"}
        )
        answer = connection.getresponse()
        body = answer.read()
        latencies.append(time.perf_counter() - started)
        assert answer.status == 200, body
        assert json.loads(body)["species"] in ("setosa", "versicolor", "virginica")
    connection.close()
    return latencies


def monitoring_stats(app: IrisApp) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    connection.request("GET", "/monitoring")
    stats = json.loads(connection.getresponse().read())
    connection.close()
    return stats


def wait_for_events(url: str, expected: int, seconds: float = 30.0) -> int:
    project = Client(url).project("iris")
    deadline = time.monotonic() + seconds
    while True:
        events = project.info()["events"]
        if events >= expected or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


@pytest.fixture
def server(tmp_path: Path):
    monitoring = MonitoringServer(tmp_path).start()
    yield monitoring
    monitoring.stop()


def test_every_answered_request_arrives_and_the_model_keeps_answering_when_monitoring_stops(
    server: MonitoringServer, tmp_path: Path
) -> None:
    create_iris_project(server.url)
    app = IrisApp(tmp_path, server.url, queue_size=100).start()
    try:
        rows = flowers(300, seed=1)
        up = send_traffic(app, rows)
        assert wait_for_events(server.url, 300) == 300
        stats = monitoring_stats(app)
        assert (stats["sent"], stats["dropped"], stats["rejected"]) == (300, 0, 0)

        # The stored events are the requests: their inputs, the model's answers, the facts.
        report = Client(server.url).project("iris").report(last=300, preset="summary")
        assert report["meta"]["current_rows"] == 300
        columns = {c["column"]: c["current"] for c in report["summary"]["columns"]}
        for name in (
            "sepal_length",
            "sepal_width",
            "petal_length",
            "petal_width",
            "prediction",
        ):
            assert columns[name]["missing"] == 0, name
        assert columns["sepal_length"]["numeric"]["mean"] == pytest.approx(
            statistics.fmean(r["sepal_length"] for r in rows)
        )

        server.stop()
        down = send_traffic(app, flowers(400, seed=2))  # every request still answered
        stats = monitoring_stats(app)
        assert stats["sent"] == 300
        assert stats["queued"] <= 100 + 500  # the queue and at most one batch in flight
        assert stats["dropped"] >= 400 - stats["queued"]
        assert stats["dropped"] + stats["queued"] == 400
        assert stats["failed_attempts"] >= 1
        # Loose sanity, not a timing test: the model did not wait for the network.
        assert statistics.median(down) < max(20 * statistics.median(up), 0.05)
        print(
            f"median latency with monitoring up {statistics.median(up) * 1e3:.2f} ms, "
            f"down {statistics.median(down) * 1e3:.2f} ms; dropped {stats['dropped']}, queued {stats['queued']}"
        )
    finally:
        app.stop()


def test_the_queued_events_arrive_when_monitoring_comes_back(
    server: MonitoringServer, tmp_path: Path
) -> None:
    create_iris_project(server.url)
    app = IrisApp(tmp_path, server.url).start()
    try:
        send_traffic(app, flowers(20, seed=3))
        assert wait_for_events(server.url, 20) == 20
        server.stop()
        send_traffic(app, flowers(30, seed=4))
        assert monitoring_stats(app)["queued"] == 30
        restarted = MonitoringServer(tmp_path, port=server.port).start()
        try:
            assert wait_for_events(server.url, 50) == 50
            stats = monitoring_stats(app)
            assert (stats["sent"], stats["dropped"], stats["queued"]) == (50, 0, 0)
        finally:
            restarted.stop()
    finally:
        app.stop()
