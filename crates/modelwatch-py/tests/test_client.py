"""The client's queue, backoff and sender thread, without a server."""

from __future__ import annotations

import json
import math
import threading
import time

from client_support import need
from modelwatch.client import (
    Backoff,
    EventQueue,
    EventShipper,
    Project,
    SendOutcome,
    encode_events,
)


def test_queue_drops_the_oldest_when_full() -> None:
    queue = EventQueue(capacity=3, batch_size=10, max_delay=1.0)
    for i in range(5):
        queue.put({"i": i}, now=0.0)
    assert queue.dropped == 2
    assert [e["i"] for _, e in queue.take(now=0.0, force=True)] == [2, 3, 4]


def test_queue_batches_by_size_and_by_time() -> None:
    queue = EventQueue(capacity=100, batch_size=3, max_delay=1.0)
    assert queue.due_at() is None
    queue.put({"i": 0}, now=10.0)
    queue.put({"i": 1}, now=10.5)
    assert queue.due_at() == 11.0
    assert queue.take(now=10.9) == []
    assert [e["i"] for _, e in queue.take(now=11.0)] == [0, 1]
    for i in range(7):
        queue.put({"i": i}, now=20.0)
    assert queue.due_at() == -math.inf
    assert len(queue.take(now=20.0)) == 3
    assert len(queue.take(now=20.0)) == 3
    assert queue.take(now=20.0) == []  # one left, not yet due
    assert len(queue.take(now=20.0, force=True)) == 1


def test_a_batch_put_back_goes_first_and_is_dropped_first() -> None:
    queue = EventQueue(capacity=4, batch_size=2, max_delay=1.0)
    for i in range(4):
        queue.put({"i": i}, now=0.0)
    batch = queue.take(now=0.0)
    queue.put({"i": 4}, now=0.0)
    queue.put({"i": 5}, now=0.0)
    queue.put_back(batch)  # 0, 1, 2, 3, 4, 5: two over capacity
    assert queue.dropped == 2
    assert [e["i"] for _, e in queue.take(now=0.0, force=True)] == [2, 3]


def test_backoff_doubles_up_to_its_maximum_with_jitter_and_resets() -> None:
    backoff = Backoff(initial=0.1, maximum=1.0, seed=7)
    delays = [backoff.failed() for _ in range(8)]
    ceilings = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0]
    for delay, ceiling in zip(delays, ceilings):
        assert ceiling / 2 <= delay <= ceiling
    backoff.succeeded()
    assert backoff.failed() <= 0.1
    assert Backoff(seed=3).failed() == Backoff(seed=3).failed()


def test_events_are_json_lines_with_nan_as_null() -> None:
    body = encode_events(
        [{"a": float("nan"), "b": [1.0, float("inf")], "c": "x"}, {"a": 1}]
    )
    lines = [json.loads(line) for line in body.decode().splitlines()]
    assert lines == [{"a": None, "b": [1.0, None], "c": "x"}, {"a": 1}]


def test_numpy_values_are_encoded() -> None:
    np = need("numpy")
    body = encode_events(
        [
            {
                "a": np.float32(1.5),
                "b": np.int64(3),
                "v": np.array([1, 2]),
                "n": np.float64("nan"),
            }
        ]
    )
    assert json.loads(body) == {"a": 1.5, "b": 3, "v": [1, 2], "n": None}


class RecordingSender:
    """Answers from a script: each call pops the next outcome (the last one repeats)."""

    def __init__(self, *outcomes: str) -> None:
        self.outcomes = list(outcomes) or ["ok"]
        self.bodies: list[list[dict]] = []
        self.calls = 0

    def __call__(self, body: bytes, count: int) -> SendOutcome:
        self.calls += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if outcome == "down":
            raise ConnectionRefusedError("connection refused")
        if outcome == "5xx":
            return SendOutcome(retry=True, error="503: busy")
        if outcome == "4xx":
            return SendOutcome(rejected=count, error="422: bad rows")
        self.bodies.append([json.loads(line) for line in body.decode().splitlines()])
        return SendOutcome(accepted=count)

    def sent(self) -> list[dict]:
        return [event for body in self.bodies for event in body]


def quick_backoff() -> Backoff:
    return Backoff(initial=0.001, maximum=0.01, seed=1)


def test_batches_are_retried_after_connection_errors_and_5xx() -> None:
    sender = RecordingSender("down", "5xx", "down", "ok")
    shipper = EventShipper(
        sender, batch_size=10, max_delay=0.01, backoff=quick_backoff()
    )
    for i in range(25):
        shipper.put({"i": i})
    assert shipper.flush(timeout=10)
    stats = shipper.stats()
    assert sorted(e["i"] for e in sender.sent()) == list(range(25))
    assert stats.sent == 25
    assert stats.failed_attempts == 3
    assert stats.dropped == 0 and stats.queued == 0 and stats.rejected == 0
    assert max(len(body) for body in sender.bodies) <= 10


def test_a_4xx_is_counted_and_not_retried() -> None:
    sender = RecordingSender("4xx", "ok")
    shipper = EventShipper(
        sender, batch_size=5, max_delay=0.01, backoff=quick_backoff()
    )
    for i in range(5):
        shipper.put({"i": i})
    assert shipper.flush(timeout=10)
    for i in range(5, 8):
        shipper.put({"i": i})
    assert shipper.flush(timeout=10)
    stats = shipper.stats()
    assert stats.rejected == 5
    assert stats.sent == 3
    assert stats.failed_attempts == 0
    assert stats.last_error == "422: bad rows"
    assert [e["i"] for e in sender.sent()] == [5, 6, 7]


def test_put_never_waits_for_a_stuck_server_and_drops_the_oldest() -> None:
    entered = threading.Event()
    release = threading.Event()
    delivered: list[dict] = []

    def stuck_sender(body: bytes, count: int) -> SendOutcome:
        entered.set()
        release.wait(30)
        delivered.extend(json.loads(line) for line in body.decode().splitlines())
        return SendOutcome(accepted=count)

    shipper = EventShipper(stuck_sender, capacity=10, batch_size=1, max_delay=0.0)
    shipper.put({"i": 0})
    assert entered.wait(10)  # event 0 is in flight, the sender is stuck
    for i in range(1, 101):
        shipper.put({"i": i})  # returns although the sender is stuck
    stats = shipper.stats()
    assert stats.dropped == 90
    assert stats.queued == 11  # ten waiting and one in flight
    release.set()
    assert shipper.flush(timeout=10)
    assert [e["i"] for e in delivered] == [0, *range(91, 101)]
    assert shipper.stats().sent == 11


def test_flush_gives_up_after_its_timeout_while_the_server_is_down() -> None:
    sender = RecordingSender("down")
    backoff = Backoff(initial=0.05, maximum=0.1, seed=1)
    shipper = EventShipper(sender, batch_size=10, max_delay=0.01, backoff=backoff)
    shipper.put({"i": 1})
    assert not shipper.flush(timeout=0.3)
    stats = shipper.stats()
    # Retries keep to the backoff (delays of at least 0.025 s) while the flush waits:
    # a dozen attempts at most in 0.3 s, not one after another.
    assert stats.queued == 1 and stats.sent == 0
    assert 1 <= stats.failed_attempts <= 13, stats.failed_attempts
    assert "connection refused" in (stats.last_error or "")
    assert "connection refused" in (stats.last_error or "")
    shipper.close(timeout=0)


def test_events_after_close_are_sent_again() -> None:
    sender = RecordingSender("ok")
    shipper = EventShipper(sender, batch_size=10, max_delay=0.01)
    shipper.put({"i": 1})
    assert shipper.close(timeout=10)
    shipper.put({"i": 2})
    assert shipper.flush(timeout=10)
    assert [e["i"] for e in sender.sent()] == [1, 2]
    assert shipper.close(timeout=10)


def test_pandas_missing_values_are_sent_as_null() -> None:
    pd = need("pandas")
    row = pd.DataFrame(
        {
            "n": pd.array([None], dtype="Int64"),
            "t": pd.to_datetime([None]),
            "s": pd.array([None], dtype="string"),
        }
    ).iloc[0]
    (line,) = encode_events([row.to_dict()]).decode().splitlines()
    assert json.loads(line) == {"n": None, "t": None, "s": None}


def test_a_failing_deferred_event_is_counted() -> None:
    sender = RecordingSender("ok")
    shipper = EventShipper(sender, batch_size=10, max_delay=0.01)
    shipper.put(lambda: {"i": 1})
    shipper.put(lambda: 1 / 0)
    shipper.put(lambda: [{"i": 2}, {"i": 3}])
    shipper.put(lambda: None)
    assert shipper.flush(timeout=10)
    assert [e["i"] for e in sender.sent()] == [1, 2, 3]
    assert shipper.stats().build_errors == 1


class FakeClient:
    url = "http://127.0.0.1:9"
    token = None
    timeout = 1.0

    def _new_connection(self) -> object:
        return type("NoConnection", (), {"ensure_open": lambda self: False})()


def test_log_builds_the_event_with_its_reserved_keys() -> None:
    project = Project(FakeClient(), "iris", prediction_column="pred")  # type: ignore[arg-type]
    sender = RecordingSender("ok")
    project._shipper = EventShipper(sender, batch_size=10, max_delay=0.01)
    inputs = {"petal_length": 1.4}
    project.log(
        inputs, "setosa", id="r1", latency=0.002, status=200, timestamp=1700000000.0
    )
    inputs["petal_length"] = 9.9  # the caller's dict is copied
    project.log(
        {"petal_length": 5.0},
        {"pred": "virginica", "proba": 0.9},
        error="boom",
        status=500,
    )
    project.log(None)
    assert project.flush(10)
    first, second, third = sender.sent()
    assert first == {
        "petal_length": 1.4,
        "pred": "setosa",
        "id": "r1",
        "latency_seconds": 0.002,
        "status": 200,
        "timestamp": 1700000000.0,
    }
    assert (
        second["pred"] == "virginica"
        and second["proba"] == 0.9
        and second["error"] == "boom"
    )
    assert isinstance(second["timestamp"], float)
    assert set(third) == {"timestamp"}
    assert project.dropped == 0


def test_while_the_server_is_unreachable_retries_probe_it_before_building_a_batch() -> (
    None
):
    sender = RecordingSender("down", "ok")
    probes: list[bool] = []

    def reachable() -> bool:
        probes.append(len(probes) >= 3)  # unreachable for three probes
        if not probes[-1]:
            raise ConnectionRefusedError("connection refused")
        return True

    built: list[int] = []

    def event(i: int):
        def build() -> dict:
            built.append(i)
            return {"i": i}

        return build

    shipper = EventShipper(
        sender,
        batch_size=10,
        max_delay=0.01,
        backoff=quick_backoff(),
        reachable=reachable,
    )
    for i in range(5):
        shipper.put(event(i))
    deadline = time.monotonic() + 10
    while shipper.stats().sent < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    stats = shipper.stats()
    assert stats.sent == 5
    assert sender.calls == 2  # the failed send and the one after the successful probe
    assert probes == [False, False, False, True]
    assert stats.failed_attempts == 4
    assert built == [0, 1, 2, 3, 4]  # built once: the retry sent the built events
