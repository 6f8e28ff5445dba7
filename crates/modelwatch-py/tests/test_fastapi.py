"""The ASGI middleware, on hand-made ASGI apps and on FastAPI, without a server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from client_support import need
from modelwatch.client import EventShipper, Project, SendOutcome
from modelwatch.fastapi import ModelwatchMiddleware, instrument


class RecordingProject(Project):
    """A project whose sender keeps the events instead of sending them."""

    def __init__(self) -> None:
        self.prediction_column = "prediction"
        self.name = "test"
        self.events: list[dict[str, Any]] = []
        self._shipper = EventShipper(self._keep, batch_size=1000, max_delay=0.01)

    def _keep(self, body: bytes, count: int) -> SendOutcome:
        self.events.extend(json.loads(line) for line in body.decode().splitlines())
        return SendOutcome(accepted=count)

    def logged(self) -> list[dict[str, Any]]:
        assert self.flush(10)
        return self.events


def http_scope(
    path: str = "/predict", method: str = "POST", headers: list | None = None
) -> dict:
    return {"type": "http", "method": method, "path": path, "headers": headers or []}


def run(app, scope: dict, body_chunks: list[bytes]) -> list[dict]:
    """Drive one request through an ASGI app; the messages it sent."""
    incoming = [
        {"type": "http.request", "body": chunk, "more_body": i < len(body_chunks) - 1}
        for i, chunk in enumerate(body_chunks)
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


async def json_model(scope, receive, send) -> None:
    """Reads its body in pieces and answers {"species": ...}."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    row = json.loads(body)
    answer = json.dumps(
        {"species": "setosa" if row["petal_length"] < 2.5 else "virginica"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": answer})


def test_inputs_and_prediction_of_a_request_read_in_pieces() -> None:
    project = RecordingProject()
    app = ModelwatchMiddleware(json_model, project, prediction="species")
    body = json.dumps({"petal_length": 5.1, "petal_width": 1.8}).encode()
    sent = run(
        app,
        http_scope(headers=[(b"x-request-id", b"req-7")]),
        [body[:5], body[5:12], body[12:]],
    )
    assert json.loads(sent[1]["body"]) == {
        "species": "virginica"
    }  # the app still read the whole body
    (event,) = project.logged()
    assert event["petal_length"] == 5.1 and event["petal_width"] == 1.8
    assert event["prediction"] == "virginica"
    assert event["status"] == 200 and event["id"] == "req-7"
    assert 0 <= event["latency_seconds"] < 60
    assert "error" not in event


def test_extractors_pick_keys_and_rows() -> None:
    async def batch_model(scope, receive, send) -> None:
        body = json.loads((await receive())["body"])
        answer = {"predictions": ["setosa" for _ in body["rows"]], "version": 3}
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})

    project = RecordingProject()
    app = ModelwatchMiddleware(
        batch_model,
        project,
        inputs=lambda body: body["rows"],
        prediction="predictions",
        id=lambda body, headers: body["request"],
    )
    body = {"request": "b1", "rows": [{"a": 1}, {"a": 2}]}
    run(app, http_scope(), [json.dumps(body).encode()])
    events = project.logged()
    assert [(e["a"], e["prediction"], e["id"]) for e in events] == [
        (1, "setosa", "b1-0"),
        (2, "setosa", "b1-1"),
    ]

    project = RecordingProject()
    app = ModelwatchMiddleware(
        json_model, project, inputs=["petal_length"], prediction=None
    )
    run(app, http_scope(), [json.dumps({"petal_length": 1.0, "other": 2}).encode()])
    (event,) = project.logged()
    assert event["petal_length"] == 1.0 and "other" not in event
    assert (
        event["species"] == "setosa"
    )  # the whole response: a mapping fills its columns


def test_an_exception_is_logged_with_status_500_and_raised() -> None:
    async def failing(scope, receive, send) -> None:
        await receive()
        raise RuntimeError("model not loaded")

    project = RecordingProject()
    app = ModelwatchMiddleware(failing, project)
    with pytest.raises(RuntimeError):
        run(app, http_scope(), [b'{"a": 1}'])
    (event,) = project.logged()
    assert event["status"] == 500
    assert event["error"] == "RuntimeError: model not loaded"
    assert event["a"] == 1


def test_a_cancelled_request_is_not_an_error_of_the_model() -> None:
    async def cancelled_before_answering(scope, receive, send) -> None:
        await receive()
        raise asyncio.CancelledError

    async def cancelled_while_streaming(scope, receive, send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x", "more_body": True})
        raise asyncio.CancelledError

    project = RecordingProject()
    for model in (cancelled_before_answering, cancelled_while_streaming):
        app = ModelwatchMiddleware(model, project, other_requests=True)
        with pytest.raises(asyncio.CancelledError):
            run(app, http_scope(), [b'{"a": 1}'])
    # The request never answered is not logged; the one under way keeps its status.
    (event,) = project.logged()
    assert event["status"] == 200
    assert "error" not in event or event["error"] is None


def test_a_streaming_response_passes_message_by_message_and_is_not_kept() -> None:
    order: list[str] = []

    async def streaming(scope, receive, send) -> None:
        await receive()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        for i in range(3):
            order.append(f"produced {i}")
            await send(
                {
                    "type": "http.response.body",
                    "body": b"x" * 50_000,
                    "more_body": i < 2,
                }
            )

    project = RecordingProject()
    app = ModelwatchMiddleware(streaming, project, max_body_bytes=1000)
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"{}"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.body":
            order.append("sent")
        sent.append(message)

    asyncio.run(app(http_scope(), receive, send))
    assert order == ["produced 0", "sent", "produced 1", "sent", "produced 2", "sent"]
    assert sum(len(m.get("body", b"")) for m in sent) == 150_000
    (event,) = project.logged()
    assert (
        "prediction" not in event and event["status"] == 200
    )  # over the cap: no prediction


def test_other_routes_are_passed_through_or_logged_with_their_facts_only() -> None:
    async def health(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    project = RecordingProject()
    run(
        ModelwatchMiddleware(health, project, paths="/predict"),
        http_scope("/health", "GET"),
        [b""],
    )
    assert project.logged() == []

    run(
        ModelwatchMiddleware(health, project, paths="/predict", other_requests=True),
        http_scope("/health", "GET"),
        [b""],
    )
    (event,) = project.logged()
    assert event["status"] == 204 and set(event) == {
        "status",
        "latency_seconds",
        "timestamp",
    }


def test_instrument_on_fastapi() -> None:
    fastapi = need("fastapi")
    testclient = need("fastapi.testclient")
    from fastapi.responses import StreamingResponse

    app = fastapi.FastAPI()

    @app.post("/predict")
    def predict(row: dict) -> dict:
        if row.get("fail"):
            raise ValueError("bad flower")
        return {"species": "setosa"}

    @app.post("/items")
    def refuse() -> dict:
        raise fastapi.HTTPException(status_code=422, detail="no")

    @app.get("/stream")
    def stream() -> StreamingResponse:
        return StreamingResponse(iter([b"a", b"b", b"c"]), media_type="text/plain")

    project = RecordingProject()
    assert (
        instrument(app, project, paths=["/predict", "/items"], prediction="species")
        is app
    )
    client = testclient.TestClient(app, raise_server_exceptions=False)
    assert client.post("/predict", json={"petal_length": 1.4}).json() == {
        "species": "setosa"
    }
    assert client.post("/predict", json={"fail": True}).status_code == 500
    assert client.post("/items", json={}).status_code == 422
    assert client.get("/stream").text == "abc"
    ok, failed, refused = project.logged()
    assert (
        ok["petal_length"] == 1.4
        and ok["prediction"] == "setosa"
        and ok["status"] == 200
    )
    assert failed["status"] == 500 and failed["error"] == "ValueError: bad flower"
    assert refused["status"] == 422 and "prediction" not in refused
