"""`modelwatch proxy` in front of a real uvicorn model (the FastAPI example, unmonitored),
sending to a real `modelwatch serve`: the model's answers pass unchanged, every request
becomes an event with its prediction and serving facts, and the proxy's `/metrics` counts
the traffic by route."""

from __future__ import annotations

import http.client
import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from client_support import (
    IrisApp,
    MonitoringServer,
    create_iris_project,
    free_port,
    server_binary,
    stop,
    wait_until_answers,
)
from modelwatch.client import Client


@pytest.fixture
def server(tmp_path: Path):
    monitoring = MonitoringServer(tmp_path).start()
    yield monitoring
    monitoring.stop()


def post(
    port: int, path: str, body: dict, headers: dict[str, str]
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", path, json.dumps(body), headers)
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    return answer.status, data


def test_a_uvicorn_model_behind_the_proxy_is_monitored_without_code(
    server: MonitoringServer, tmp_path: Path
) -> None:
    create_iris_project(server.url)
    app = IrisApp(tmp_path, monitoring_url=None).start()
    port, metrics_port = free_port(), free_port()
    log = open(tmp_path / "proxy.log", "ab")  # noqa: SIM115 (closed below)
    proxy = subprocess.Popen(
        [
            server_binary(), "proxy",
            "--listen", f"127.0.0.1:{port}",
            "--upstream", app.url,
            "--metrics-listen", f"127.0.0.1:{metrics_port}",
            "--project", "iris",
            "--server", server.url,
        ],
        stdout=log,
        stderr=log,
    )  # fmt: skip
    log.close()
    try:
        wait_until_answers(f"http://127.0.0.1:{metrics_port}/metrics", proxy)
        flowers = [
            {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
            {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0, "petal_width": 2.5},
            {"sepal_length": 5.9, "sepal_width": 3.0, "petal_length": 4.2, "petal_width": 1.5},
        ] * 10  # fmt: skip
        headers = {"Content-Type": "application/json"}
        for i, flower in enumerate(flowers):
            direct = post(app.port, "/predict", flower, headers)
            through = post(
                port, "/predict", flower, {**headers, "x-request-id": f"r{i}"}
            )
            assert through == direct
            assert direct[0] == 200
            if i == len(flowers) // 2:
                # A request the model refuses (FastAPI's 422) passes as it came, in the
                # middle of the others' batch.
                status, body = post(port, "/predict", {"sepal_length": "wide"}, headers)
                assert status == 422, body

        project = Client(server.url).project("iris")
        deadline = time.monotonic() + 30
        while (
            project.info()["events"] < len(flowers) + 1 and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        # Every request is an event: the 30 answered ones with their rows, the refused one
        # with its serving facts alone (its text where the project wants a number would
        # have had the server refuse it, error and all).
        assert project.info()["events"] == len(flowers) + 1
        with urllib.request.urlopen(f"{server.url}/metrics") as answer:
            served = answer.read().decode()
        by_code = {
            line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in served.splitlines()
            if line.startswith('modelwatch_model_requests_total{project="iris"')
        }
        assert by_code == {
            'modelwatch_model_requests_total{project="iris",code="200"}': len(flowers),
            'modelwatch_model_requests_total{project="iris",code="422"}': 1.0,
        }, served

        with urllib.request.urlopen(
            f"http://127.0.0.1:{metrics_port}/metrics"
        ) as answer:
            exposition = answer.read().decode()
        counted = {
            line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in exposition.splitlines()
            if line.startswith("modelwatch_proxy_requests_total{")
        }
        ok = [v for k, v in counted.items() if 'code="200"' in k and "/predict" in k]
        refused = [
            v for k, v in counted.items() if 'code="422"' in k and "/predict" in k
        ]
        assert ok == [len(flowers)], exposition
        assert refused == [1], exposition
    finally:
        stop(proxy)
        app.stop()
