"""The client against a real `modelwatch serve` on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from client_support import IRIS_REFERENCE, MonitoringServer, need
from modelwatch.client import ApiError, Client

ROWS = {
    "sepal_length": 5.1,
    "sepal_width": 3.5,
    "petal_length": 1.4,
    "petal_width": 0.2,
}


@pytest.fixture
def server(tmp_path: Path):
    monitoring = MonitoringServer(tmp_path).start()
    yield monitoring
    monitoring.stop()


def test_create_log_label_report_and_snapshot(server: MonitoringServer) -> None:
    pd = need("pandas")
    client = Client(server.url)
    train = pd.read_csv(IRIS_REFERENCE)
    train["prediction"] = train["species"]
    project = client.create_project(
        "iris",
        reference=train,
        target="species",
        prediction="prediction",
        # No scheduled (nor first automatic) snapshots: the one counted below is the
        # client's own.
        settings={"schedule": {"min_rows": 5, "interval": "0s"}},
    )
    info = project.info()
    assert info["reference_rows"] == 150
    assert info["config"]["columns"]["target"] == "species"
    assert info["config"]["schedule"]["min_rows"] == 5
    assert [c["name"] for c in info["schema"]][:4] == list(ROWS)

    for i in range(1200):
        project.log(ROWS, "setosa", id=f"r{i}", latency=0.001, status=200)
    project.log(ROWS, "setosa", status=500, error="ValueError: boom")
    assert project.flush(timeout=30)
    stats = project.stats()
    assert (stats.sent, stats.dropped, stats.rejected, stats.queued) == (1201, 0, 0, 0)
    assert project.info()["events"] == 1201

    answer = project.log_labels({"r1": "setosa", "r2": "versicolor", "nope": "setosa"})
    assert answer["joined"] == 2 and answer["unknown_ids"] == ["nope"]

    report = project.report(last=100)
    assert report["drift"]["column_count"] >= 4
    assert "current" in report["meta"] or report["meta"]
    snapshot = project.snapshot()
    assert snapshot["drift"]["column_count"] >= 4
    assert len(project.snapshots()) == 1
    assert [p["name"] for p in client.projects()] == ["iris"]


def test_a_reference_file_and_a_refused_reference(
    server: MonitoringServer, tmp_path: Path
) -> None:
    client = Client(server.url)
    project = client.create_project(
        "from-csv", reference=IRIS_REFERENCE, target="species"
    )
    assert project.info()["reference_rows"] == 150

    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    with pytest.raises(ApiError) as refused:
        client.create_project("half-made", reference=empty)
    assert refused.value.status == 422
    # The settings were stored first; the refused reference took the project with it.
    assert [p["name"] for p in client.projects()] == ["from-csv"]

    with pytest.raises(ApiError) as unknown:
        client.project("nope").info()
    assert unknown.value.status == 404


def test_a_pyarrow_table_is_sent_as_parquet(server: MonitoringServer) -> None:
    pa = need("pyarrow")
    table = pa.table({"x": [1.0, 2.0, 3.0], "label": ["a", "b", "a"]})
    project = Client(server.url).create_project(
        "arrow", reference=table, target="label"
    )
    assert project.info()["reference_rows"] == 3


def test_events_wait_while_the_server_is_down_and_arrive_when_it_is_back(
    tmp_path: Path,
) -> None:
    server = MonitoringServer(tmp_path).start()
    try:
        client = Client(server.url)
        project = client.create_project(
            "iris", reference=IRIS_REFERENCE, target="species"
        )
        project = client.project("iris", max_backoff=0.2, max_delay=0.05)
        project.log(ROWS, "setosa")
        assert project.flush(timeout=10)
        server.stop()

        for _ in range(50):
            project.log(ROWS, "setosa")
        assert not project.flush(timeout=1)
        stats = project.stats()
        assert stats.queued == 50 and stats.failed_attempts >= 1 and stats.dropped == 0

        server = MonitoringServer(tmp_path, port=server.port).start()
        assert project.flush(timeout=20)
        assert project.stats().sent == 51
        assert project.info()["events"] == 51
    finally:
        server.stop()


def test_refused_events_are_counted_not_retried(server: MonitoringServer) -> None:
    client = Client(server.url)
    client.create_project("iris", reference=IRIS_REFERENCE, target="species")
    project = client.project("iris")
    project.log({"sepal_length": "not a number"})
    project.log(ROWS)
    assert project.flush(timeout=10)
    stats = project.stats()
    assert (stats.sent, stats.rejected) == (1, 1)
    assert "sepal_length" in (stats.last_error or "")

    missing = client.project("no-such-project")
    missing.log(ROWS)
    assert missing.flush(timeout=10)
    assert missing.stats().rejected == 1
    assert (missing.stats().last_error or "").startswith("404")
