"""Log a FastAPI or Starlette model service to modelwatch with one line.

>>> modelwatch.fastapi.instrument(app, project, prediction="species")

The middleware is plain ASGI: it does not import FastAPI or Starlette, and works around
any ASGI application. For each monitored request it records the latency (until the last
byte of the answer was handed to the server), the status, an unhandled exception's
message, and the request's JSON inputs and the response's JSON prediction. It reads
neither body itself: it copies the bytes of the ``receive`` and ``send`` messages as
they pass, up to ``max_body_bytes`` each, and never holds a message back, so streaming
responses stream as before. Parsing that JSON and picking the columns happen later on
the project's sender thread, not in the request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any, Union

from .client import Event, Project

__all__ = ["ModelwatchMiddleware", "instrument"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Runtime aliases: `X | Y` of generic aliases needs Python 3.10, the package supports 3.9.
Extractor = Union[None, str, Sequence[str], Callable[[Any], Any]]  # noqa: UP007
"""How to take a value from a JSON body: None (the whole body), a key, a list of keys,
or a function of the parsed body."""
IdSource = Union[None, str, Callable[[Any, Mapping[str, str]], Any]]  # noqa: UP007
"""Where an event's id comes from: None (the `x-request-id` header when present), a
request header's name (lower case), or a function of (request JSON, headers)."""


def _extract(how: Extractor, body: Any) -> Any:
    if how is None:
        return body
    if callable(how):
        return how(body)
    if isinstance(how, str):
        return body.get(how) if isinstance(body, Mapping) else None
    if isinstance(body, Mapping):
        return {key: body.get(key) for key in how}
    return None


def _is_json(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class _Capture:
    """The bytes of one body copied as they pass, up to a cap."""

    __slots__ = ("cap", "chunks", "complete", "size")

    def __init__(self, cap: int) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.cap = cap
        self.complete = True

    def add(self, chunk: bytes) -> None:
        if not self.complete or not chunk:
            return
        self.size += len(chunk)
        if self.size > self.cap:
            # Too large to keep: the event goes without this body rather than hold it.
            self.complete = False
            self.chunks = []
            return
        self.chunks.append(chunk)

    def json(self) -> Any:
        if not self.complete or not self.chunks:
            return None
        return json.loads(b"".join(self.chunks))


class ModelwatchMiddleware:
    """ASGI middleware logging each monitored request of an app to a modelwatch project.

    `paths` names the monitored routes (exact paths); None monitors every POST request.
    `inputs` and `prediction` take the model's inputs from the request's JSON and the
    prediction from the response's JSON (see :data:`Extractor`); a prediction that is a
    mapping fills several columns, one that is not fills the project's prediction
    column. When `inputs` gives a list of rows and `prediction` a list of the same
    length, each row is one event. `id` names where the event's id comes from (see
    :data:`IdSource`). With `other_requests=True` every other HTTP request is logged
    too, with its latency, status and error only (such events are rows whose inputs are
    all missing in the project's windows). Bodies larger than `max_body_bytes` are not
    captured (the event keeps its serving facts).
    """

    def __init__(
        self,
        app: ASGIApp,
        project: Project,
        *,
        inputs: Extractor = None,
        prediction: Extractor = None,
        paths: str | Sequence[str] | None = None,
        id: IdSource = None,
        other_requests: bool = False,
        max_body_bytes: int = 65536,
    ) -> None:
        self.app = app
        """The wrapped application."""
        self.project = project
        """The project events are logged to."""
        self.inputs = inputs
        self.prediction = prediction
        self.paths = (
            None
            if paths is None
            else frozenset([paths] if isinstance(paths, str) else paths)
        )
        self.id = id
        self.other_requests = other_requests
        self.max_body_bytes = max_body_bytes

    def _monitored(self, scope: Scope) -> bool:
        if self.paths is None:
            return scope.get("method") == "POST"
        return scope.get("path") in self.paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection, logging it when it is a monitored HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        monitored = self._monitored(scope)
        if not monitored and not self.other_requests:
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        cap = self.max_body_bytes
        request_body = _Capture(cap) if monitored else None
        response_body: _Capture | None = None
        status: int | None = None
        finished: float | None = None

        async def receive_and_copy() -> Message:
            message = await receive()
            if request_body is not None and message.get("type") == "http.request":
                request_body.add(message.get("body", b""))
            return message

        async def send_and_copy(message: Message) -> None:
            nonlocal status, response_body, finished
            kind = message.get("type")
            if kind == "http.response.start":
                status = message.get("status")
                if monitored and _is_json(message.get("headers") or ()):
                    response_body = _Capture(cap)
            elif kind == "http.response.body":
                if response_body is not None:
                    response_body.add(message.get("body", b""))
                await send(message)
                if not message.get("more_body", False):
                    finished = time.perf_counter()
                return
            await send(message)

        error: str | None = None
        abandoned = False
        try:
            await self.app(
                scope, receive_and_copy if monitored else receive, send_and_copy
            )
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
            if status is None:
                status = 500
            raise
        except BaseException:
            # Cancelled (the client went away, the server shuts down) or interrupted:
            # not an error of the model, so not a 500 in its error rate. A response
            # already under way is logged with its status; one never begun is not.
            abandoned = True
            raise
        finally:
            if not (abandoned and status is None):
                end = finished if finished is not None else time.perf_counter()
                self._log(
                    scope, started, end, status, error, request_body, response_body
                )

    def _log(
        self,
        scope: Scope,
        started: float,
        end: float,
        status: int | None,
        error: str | None,
        request_body: _Capture | None,
        response_body: _Capture | None,
    ) -> None:
        latency = end - started
        stamp = time.time() - (time.perf_counter() - started)
        headers = scope.get("headers") or ()
        project = self.project

        def build() -> Event | list[Event]:
            facts: Event = {"latency_seconds": latency, "timestamp": stamp}
            if status is not None:
                facts["status"] = status
            if error is not None:
                facts["error"] = error
            if request_body is None:
                return facts
            request_json = _parse(request_body)
            header_map = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers
            }
            event_id = self._event_id(request_json, header_map)
            if event_id is not None:
                facts["id"] = event_id
            inputs = (
                _extract(self.inputs, request_json)
                if request_json is not None
                else None
            )
            response_json = _parse(response_body) if response_body is not None else None
            predicted = (
                _extract(self.prediction, response_json)
                if response_json is not None
                else None
            )
            if (
                isinstance(inputs, list)
                and isinstance(predicted, list)
                and len(inputs) == len(predicted)
            ):
                events = []
                for index, (row, value) in enumerate(zip(inputs, predicted)):
                    event = _event(project, row, value, facts)
                    if event_id is not None:
                        event["id"] = f"{event_id}-{index}"
                    events.append(event)
                return events
            if not isinstance(inputs, Mapping):
                inputs = None
            return _event(project, inputs, predicted, facts)

        project.log_deferred(build)

    def _event_id(self, request_json: Any, headers: Mapping[str, str]) -> Any:
        if self.id is None:
            return headers.get("x-request-id")
        if callable(self.id):
            return self.id(request_json, headers)
        return headers.get(self.id.lower())


def _parse(capture: _Capture) -> Any:
    try:
        return capture.json()
    except ValueError:
        return None


def _event(project: Project, inputs: Any, predicted: Any, facts: Event) -> Event:
    event: Event = dict(inputs) if isinstance(inputs, Mapping) else {}
    if isinstance(predicted, Mapping):
        event.update(predicted)
    elif predicted is not None:
        event[project.prediction_column] = predicted
    event.update(facts)
    return event


def instrument(
    app: Any,
    project: Project,
    *,
    inputs: Extractor = None,
    prediction: Extractor = None,
    paths: str | Sequence[str] | None = None,
    id: IdSource = None,
    other_requests: bool = False,
    max_body_bytes: int = 65536,
) -> Any:
    """Log a FastAPI or Starlette app's requests to `project`: one line, before the
    app starts. Returns the app. The arguments are those of
    :class:`ModelwatchMiddleware`.
    """
    app.add_middleware(
        ModelwatchMiddleware,
        project=project,
        inputs=inputs,
        prediction=prediction,
        paths=paths,
        id=id,
        other_requests=other_requests,
        max_body_bytes=max_body_bytes,
    )
    return app
