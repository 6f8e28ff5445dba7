"""A client of `modelwatch serve`: create projects, log predictions, read reports.

Logging never waits for the network: :meth:`Project.log` puts the event in a bounded
in-memory queue and returns; one background thread per project sends the queue in
batches (when ``batch_size`` events are waiting, or when the oldest has waited
``max_delay`` seconds), retries with backoff while the server is unreachable or
answers 5xx, and drops the oldest events (counted in :attr:`Project.dropped`) when the
queue is full. Only the standard library is used on that path.

Reads and project management (:meth:`Client.create_project`, :meth:`Project.report`,
:meth:`Project.snapshot`, :meth:`Project.log_labels`) are plain blocking requests that
raise :class:`ApiError` when the server refuses them.
"""

from __future__ import annotations

import atexit
import collections
import http.client
import io
import json
import logging
import math
import os
import random
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union
from urllib.parse import quote, urlencode, urlsplit

from .errors import ModelwatchError

__all__ = [
    "ApiError",
    "Backoff",
    "Client",
    "EventQueue",
    "LogStats",
    "Project",
    "SendOutcome",
]

logger = logging.getLogger("modelwatch.client")

Event = dict[str, Any]
"""One event as the server's ingestion takes it: column values plus reserved keys."""

# Runtime aliases: `X | Y` of generic aliases needs Python 3.10, the package supports 3.9.
PendingEvent = Union[Event, Callable[[], Union[Event, list[Event], None]]]  # noqa: UP007
"""An event, or a function the sender thread calls to build it (or several) later."""


class ApiError(ModelwatchError):
    """The modelwatch server answered a request with an error status."""

    def __init__(
        self, status: int, message: str, method: str = "", path: str = ""
    ) -> None:
        self.status = status
        """The HTTP status code of the answer."""
        self.message = message
        """The server's `error` text, or the body when it was not JSON."""
        where = f" ({method} {path})" if method else ""
        super().__init__(f"{status}{where}: {message}")


# ---------------------------------------------------------------------------
# HTTP over one keep-alive connection


class _Connection:
    """One keep-alive HTTP/1.1 connection to the server, reopened when it breaks.

    Not shared between threads: the sender thread of each project has its own, and
    blocking calls from the application share one behind a lock.
    """

    # The server closes a connection idle for `connections.header_read_timeout`
    # (10 s by default); reopening before that avoids a request sent on a socket the
    # server is closing.
    IDLE_REOPEN_SECONDS = 5.0

    def __init__(self, base_url: str, token: str | None, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"the server URL must be http://host[:port][/prefix], got {base_url!r}"
            )
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self._headers = {
            "Accept": "application/json",
            "User-Agent": "modelwatch-python",
        }
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._conn: http.client.HTTPConnection | None = None
        self._last_used = 0.0
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def _forget_if_forked(self) -> None:
        # A forked worker (gunicorn --preload, multiprocessing) inherits the parent's
        # socket and lock: two processes writing on one socket read each other's
        # answers, and a lock held at the fork is never released in the child. The
        # child drops both without closing the socket, which stays the parent's.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._conn = None
            self._lock = threading.Lock()

    @property
    def lock(self) -> threading.Lock:
        """The lock of blocking callers sharing this connection (this process's own)."""
        self._forget_if_forked()
        return self._lock

    def _open(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def ensure_open(self) -> bool:
        """Open the connection if it is not open (raises OSError when the server
        cannot be reached); the next request uses it."""
        self._forget_if_forked()
        if self._conn is None or self._conn.sock is None:
            self.close()
            self._conn = self._open()
            self._conn.connect()
            self._last_used = time.monotonic()
        return True

    def close(self) -> None:
        """Close the socket; the next request opens a new one."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: str | None = None,
        query: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> tuple[int, bytes]:
        """Send one request and read the whole answer: (status, body).

        Raises OSError (and http.client.HTTPException) when the server cannot be
        reached or the connection breaks; an error status is returned, not raised.
        """
        self._forget_if_forked()
        url = self._prefix + path
        if query:
            pairs = {k: v for k, v in query.items() if v is not None}
            if pairs:
                url += "?" + urlencode(pairs)
        headers = dict(self._headers)
        if content_type is not None:
            headers["Content-Type"] = content_type
        now = time.monotonic()
        if self._conn is not None and now - self._last_used > self.IDLE_REOPEN_SECONDS:
            self.close()
        reused = self._conn is not None
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = self._open()
            if timeout is not None:
                self._conn.timeout = timeout
                if self._conn.sock is not None:
                    self._conn.sock.settimeout(timeout)
            try:
                if hasattr(body, "seek"):
                    body.seek(0)
                self._conn.request(method, url, body=body, headers=headers)
                answer = self._conn.getresponse()
                data = answer.read()
            except (
                http.client.RemoteDisconnected,
                ConnectionResetError,
                BrokenPipeError,
            ):
                self.close()
                # A kept-alive socket the server had already closed: the request never
                # reached it, so sending it once more on a fresh connection is safe.
                if attempt == 0 and reused:
                    continue
                raise
            except BaseException:
                self.close()
                raise
            finally:
                if timeout is not None and self._conn is not None:
                    self._conn.timeout = self._timeout
                    if self._conn.sock is not None:
                        self._conn.sock.settimeout(self._timeout)
            self._last_used = time.monotonic()
            if answer.will_close:
                self.close()
            return answer.status, data
        raise AssertionError("unreachable")


def _error_message(data: bytes) -> str:
    try:
        parsed = json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")[:500]
    if isinstance(parsed, dict) and "error" in parsed:
        return str(parsed["error"])
    return data.decode("utf-8", "replace")[:500]


# ---------------------------------------------------------------------------
# JSON encoding of events


def _json_default(value: Any) -> Any:
    """Encode what json does not know: numpy and pandas scalars, dates, sets."""
    pandas = sys.modules.get("pandas")
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return None  # pandas' missing values (not "<NA>" / "NaT" as text)
    tolist = getattr(value, "tolist", None)
    if callable(tolist):  # numpy scalars (a Python scalar) and arrays (vectors)
        return tolist()
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _without_nan(value: Any) -> Any:
    """JSON has no NaN or infinity: a missing value is null."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: _without_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_nan(v) for v in value]
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and not isinstance(value, (str, bytes)):
        try:
            return _without_nan(tolist())
        except (TypeError, ValueError):
            return value
    return value


def encode_events(events: Sequence[Event]) -> bytes:
    """JSON Lines of the events, NaN and infinities sent as null."""
    try:
        lines = [json.dumps(e, default=_json_default, allow_nan=False) for e in events]
    except ValueError:
        lines = [
            json.dumps(_without_nan(e), default=_json_default, allow_nan=False)
            for e in events
        ]
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------
# The queue, the backoff and the sender thread


class EventQueue:
    """A bounded queue of pending events that drops its oldest when full.

    Not thread-safe by itself (the sender guards it with its condition); time is passed
    in, so batching is tested without a clock.
    """

    def __init__(self, capacity: int, batch_size: int, max_delay: float) -> None:
        if capacity < 1 or batch_size < 1:
            raise ValueError("capacity and batch_size must be at least 1")
        self.capacity = capacity
        """Most events held; one more drops the oldest."""
        self.batch_size = batch_size
        """Most events sent in one request, and the count that makes a batch due."""
        self.max_delay = max_delay
        """Seconds the oldest event may wait before a smaller batch is due."""
        self.dropped = 0
        """Events dropped because the queue was full."""
        # A batch is due once half the queue is full even when `batch_size` is larger,
        # so that events arriving while it is sent still fit.
        self._full_batch = max(1, min(batch_size, capacity // 2))
        self._items: collections.deque[tuple[float, PendingEvent]] = collections.deque()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, event: PendingEvent, now: float) -> None:
        """Append an event, dropping the oldest when the queue is full."""
        if len(self._items) >= self.capacity:
            self._items.popleft()
            self.dropped += 1
        self._items.append((now, event))

    def batch_ready(self) -> bool:
        """True when a full batch waits (then it is due at once)."""
        return len(self._items) >= self._full_batch

    def due_at(self) -> float | None:
        """When the next batch is due: now if a full batch waits, None if empty."""
        if not self._items:
            return None
        if len(self._items) >= self._full_batch:
            return -math.inf
        return self._items[0][0] + self.max_delay

    def take(self, now: float, force: bool = False) -> list[tuple[float, PendingEvent]]:
        """Remove and return the next batch if one is due (or any events with force)."""
        due = self.due_at()
        if due is None or (not force and due > now):
            return []
        n = min(self.batch_size, len(self._items))
        return [self._items.popleft() for _ in range(n)]

    def put_back(self, batch: Sequence[tuple[float, PendingEvent]]) -> None:
        """Return a batch that could not be sent to the head of the queue.

        Events that arrived meanwhile stay behind it; when that overfills the queue the
        oldest, that is this batch's first ones, are dropped.
        """
        self._items.extendleft(reversed(batch))
        while len(self._items) > self.capacity:
            self._items.popleft()
            self.dropped += 1


class Backoff:
    """Delays between attempts to reach a server that is down: exponential, capped,
    with full jitter so that many replicas do not retry in step."""

    def __init__(
        self, initial: float = 0.1, maximum: float = 5.0, seed: int | None = None
    ) -> None:
        self.initial = initial
        """Upper bound of the first delay, in seconds."""
        self.maximum = maximum
        """Upper bound of every delay, in seconds."""
        self.failures = 0
        """Failed attempts since the last success."""
        self._random = random.Random(seed)

    def failed(self) -> float:
        """Record a failure; the seconds to wait before the next attempt."""
        self.failures += 1
        ceiling = min(self.maximum, self.initial * (2 ** min(self.failures - 1, 30)))
        return ceiling / 2 + self._random.uniform(0, ceiling / 2)

    def succeeded(self) -> None:
        """Record a success: the next failure starts from the initial delay again."""
        self.failures = 0


@dataclass(frozen=True)
class SendOutcome:
    """What became of one batch: `retry` when it should be sent again later."""

    accepted: int = 0
    """Events the server stored."""
    rejected: int = 0
    """Events the server refused (a 4xx answer, or rows listed as rejected)."""
    retry: bool = False
    """The server could not be reached or answered 5xx: send the batch again."""
    error: str | None = None
    """Why the batch was not (all) accepted."""


@dataclass(frozen=True)
class LogStats:
    """Counters of a project's event logging, since the project object was made."""

    queued: int
    """Events waiting in the queue now."""
    sent: int
    """Events the server accepted."""
    dropped: int
    """Events dropped because the queue was full (the oldest go first)."""
    rejected: int
    """Events the server refused (a 4xx answer or a rejected row); not retried."""
    failed_attempts: int
    """Requests that failed to reach the server or got a 5xx; their events were retried."""
    build_errors: int
    """Deferred events whose building raised (an extractor of the FastAPI middleware)."""
    last_error: str | None
    """The latest reason a request failed or events were refused."""


Sender = Callable[[bytes, int], SendOutcome]
"""Sends a JSON Lines body of N events; the thread's only contact with the network."""


YIELD_EVERY = 50
"""Events the sender thread builds or encodes between two yields of the interpreter's lock."""


class EventShipper:
    """The background thread of one project: takes batches from its queue and sends them.

    ``send`` and ``clock`` are injectable so the loop is tested without a server.
    ``reachable``, when given, is asked before each retry whether the server can be
    reached (raising or returning False means not yet), so that a server that is down
    costs one connection attempt per retry and not the building of a batch.
    """

    def __init__(
        self,
        send: Sender,
        capacity: int = 10000,
        batch_size: int = 500,
        max_delay: float = 1.0,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        name: str = "modelwatch-sender",
        reachable: Callable[[], bool] | None = None,
    ) -> None:
        self._send = send
        self._reachable = reachable
        self._clock = clock
        self._wall_clock = wall_clock
        self._queue = EventQueue(capacity, batch_size, max_delay)
        self._backoff = backoff or Backoff()
        self._cond = threading.Condition(threading.Lock())
        self._name = name
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._stopping = False
        self._flush_requested = 0
        self._in_flight = 0
        self._retry_at: float | None = None
        self._sent = 0
        self._rejected = 0
        self._failed_attempts = 0
        self._build_errors = 0
        self._last_error: str | None = None
        self._warned: set = set()

    # -- the caller's side: cheap, never blocks on the network

    def put(self, event: PendingEvent) -> None:
        """Queue one event (or a function building it); never raises."""
        try:
            if self._pid != os.getpid():
                self._after_fork()
            cond = self._cond
            with cond:
                queue = self._queue
                was_empty = len(queue) == 0
                was_ready = queue.batch_ready()
                queue.put(event, self._clock())
                # An event after close() starts the sender again rather than wait
                # in a queue nobody sends.
                self._stopping = False
                if self._thread is None:
                    self._start()
                # Wake the thread only when this event changes when it must act: a
                # first event (a new deadline) or a batch becoming full.
                if was_empty or (not was_ready and queue.batch_ready()):
                    cond.notify()
        except Exception:  # never into the request path
            logger.debug("modelwatch: could not queue an event", exc_info=True)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def _after_fork(self) -> None:
        # A forked worker inherits the queue but not the thread, and its lock may be
        # held by a thread that no longer exists: start afresh.
        self._pid = os.getpid()
        self._cond = threading.Condition(threading.Lock())
        self._queue = EventQueue(
            self._queue.capacity, self._queue.batch_size, self._queue.max_delay
        )
        self._thread = None
        self._in_flight = 0
        self._retry_at = None

    def stats(self) -> LogStats:
        """The counters now."""
        with self._cond:
            return LogStats(
                queued=len(self._queue) + self._in_flight,
                sent=self._sent,
                dropped=self._queue.dropped,
                rejected=self._rejected,
                failed_attempts=self._failed_attempts,
                build_errors=self._build_errors,
                last_error=self._last_error,
            )

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued now, waiting at most `timeout` seconds.

        True when the queue is empty at the end. While the server is down the events
        stay queued (and are retried) and this returns False after the timeout.
        """
        deadline = None if timeout is None else self._clock() + timeout
        with self._cond:
            if len(self._queue):
                self._stopping = False
                if self._thread is None:
                    self._start()
            self._flush_requested += 1
            self._retry_at = None  # a flush tries once more at once
            self._cond.notify_all()
            try:
                while len(self._queue) or self._in_flight:
                    remaining = None if deadline is None else deadline - self._clock()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._cond.wait(
                        remaining if remaining is None else min(remaining, 0.05)
                    )
                return True
            finally:
                self._flush_requested -= 1

    def close(self, timeout: float | None = None) -> bool:
        """Flush (within `timeout`) and stop the thread."""
        flushed = self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        return flushed

    # -- the thread

    def _run(self) -> None:
        cond = self._cond
        while True:
            probe = False
            with cond:
                while True:
                    if self._stopping:
                        self._thread = None
                        return
                    now = self._clock()
                    force = self._flush_requested > 0
                    if self._retry_at is not None:
                        # A flush waits for the backoff too: it cleared `_retry_at` once
                        # for one attempt at once, and a server still down is not
                        # hammered until the flush's timeout.
                        if now < self._retry_at:
                            cond.wait(self._retry_at - now)
                            continue
                        if self._reachable is not None and not force:
                            probe = True
                            break
                    batch = self._queue.take(
                        now, force=force or self._retry_at is not None
                    )
                    if batch:
                        self._in_flight = len(batch)
                        break
                    self._retry_at = None
                    due = self._queue.due_at()
                    cond.wait(None if due is None else max(due - now, 0.0))
            if probe:
                self._probe()
                continue
            events = self._build(batch)
            outcome = self._deliver(events)
            with cond:
                self._in_flight = 0
                if outcome.retry:
                    self._failed_attempts += 1
                    self._last_error = outcome.error
                    # Built events go back as they are, so a retry does not build them again.
                    self._queue.put_back([(batch[0][0], e) for e in events])
                    delay = self._backoff.failed()
                    self._retry_at = self._clock() + delay
                    if self._backoff.failures == 1:
                        logger.warning(
                            "modelwatch: cannot send events (%s); retrying in the background",
                            outcome.error,
                        )
                else:
                    self._backoff.succeeded()
                    self._retry_at = None
                    self._sent += outcome.accepted
                    self._rejected += outcome.rejected
                    if outcome.error:
                        self._last_error = outcome.error
                        key = outcome.error.split(":", 1)[0]
                        if key not in self._warned:
                            self._warned.add(key)
                            logger.warning(
                                "modelwatch: events refused by the server: %s",
                                outcome.error,
                            )
                cond.notify_all()

    def _probe(self) -> None:
        # While the server is down, a retry first checks that it can be reached, so
        # that the batch is not built and encoded again for nothing: that work holds
        # the interpreter's lock, which the application's request threads wait for.
        error = None
        try:
            reachable = self._reachable() if self._reachable is not None else True
        except Exception as exc:  # noqa: BLE001 (any failure means: not reachable)
            reachable, error = False, str(exc) or repr(exc)
        with self._cond:
            if reachable:
                self._retry_at = None
            else:
                self._failed_attempts += 1
                if error:
                    self._last_error = error
                self._retry_at = self._clock() + self._backoff.failed()
            self._cond.notify_all()

    def _build(self, batch: Sequence[tuple[float, PendingEvent]]) -> list[Event]:
        events: list[Event] = []
        for index, (_, pending) in enumerate(batch):
            if index % YIELD_EVERY == YIELD_EVERY - 1:
                # Let the application's threads run between slices of this work: a
                # thread that waits for the interpreter's lock otherwise waits for the
                # switch interval (5 ms) whenever this one is busy.
                time.sleep(0)
            if callable(pending):
                try:
                    built = pending()
                except Exception as exc:  # noqa: BLE001 (a user's extractor may raise anything)
                    with self._cond:
                        self._build_errors += 1
                        if "build" not in self._warned:
                            self._warned.add("build")
                            logger.warning(
                                "modelwatch: an event could not be built: %r", exc
                            )
                    continue
                if built is None:
                    continue
                if isinstance(built, list):
                    events.extend(built)
                else:
                    events.append(built)
            else:
                events.append(pending)
        return events

    def _deliver(self, events: list[Event]) -> SendOutcome:
        if not events:
            return SendOutcome()
        try:
            parts = []
            for start in range(0, len(events), YIELD_EVERY):
                if start:
                    time.sleep(0)  # as in _build
                parts.append(encode_events(events[start : start + YIELD_EVERY]))
            body = b"".join(parts)
        except Exception as exc:  # noqa: BLE001 (counted, never raised into the thread)
            return SendOutcome(
                rejected=len(events), error=f"unencodable events: {exc!r}"
            )
        try:
            return self._send(body, len(events))
        except Exception as exc:  # noqa: BLE001 (a sender must not kill the thread)
            return SendOutcome(retry=True, error=repr(exc))


# ---------------------------------------------------------------------------
# The public API

_live_projects: weakref.WeakSet[Project] = weakref.WeakSet()
_exit_timeout = [2.0]


def _flush_at_exit() -> None:
    deadline = time.monotonic() + _exit_timeout[0]
    for project in list(_live_projects):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            if not project.flush(remaining):
                stats = project.stats()
                logger.warning(
                    "modelwatch: %d events of project %r not sent at exit",
                    stats.queued,
                    project.name,
                )
        except Exception:  # noqa: BLE001, S110 (nothing may fail at interpreter exit)
            pass


atexit.register(_flush_at_exit)


# The file name of a multipart reference part, which the server reads its format from
# when a part's content type is generic.
_REFERENCE_FILE_NAMES = {
    "text/csv": "reference.csv",
    "application/vnd.apache.parquet": "reference.parquet",
    "application/x-ndjson": "reference.jsonl",
    "application/zip": "reference.zip",
}


def _multipart(parts: list[tuple[str, str | None, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body of (name, file name, content type, bytes) parts and
    its content type, with a boundary that none of the parts contains."""
    boundary = "modelwatch-" + uuid.uuid4().hex
    while any(boundary.encode() in data for _, _, _, data in parts):
        boundary = "modelwatch-" + uuid.uuid4().hex
    out = bytearray()
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\n".encode()
        out += f"Content-Disposition: {disposition}\r\n".encode()
        out += f"Content-Type: {content_type}\r\n\r\n".encode()
        out += data
        out += b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def _table_body(reference: Any) -> tuple[bytes, str]:
    """The body and content type of a reference: a file as it is; a table as Parquet
    when pyarrow is installed, else CSV."""
    if isinstance(reference, (str, os.PathLike)):
        path = Path(reference)
        types = {
            ".csv": "text/csv",
            ".parquet": "application/vnd.apache.parquet",
            ".pq": "application/vnd.apache.parquet",
            ".jsonl": "application/x-ndjson",
            ".ndjson": "application/x-ndjson",
            ".zip": "application/zip",
        }
        content_type = types.get(path.suffix.lower())
        if content_type is None:
            raise ValueError(
                f"{path}: a reference file is .csv, .parquet, .jsonl or .zip"
            )
        return path.read_bytes(), content_type
    module = type(reference).__module__.split(".")[0]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        pa = None
    if pa is not None:
        if module == "pandas":
            table = pa.Table.from_pandas(reference, preserve_index=False)
        elif module == "polars":
            table = reference.to_arrow()
        elif isinstance(reference, pa.Table):
            table = reference
        elif isinstance(reference, pa.RecordBatch):
            table = pa.Table.from_batches([reference])
        elif hasattr(reference, "__arrow_c_stream__"):
            table = pa.table(reference)
        else:
            raise TypeError(
                f"a reference is a DataFrame, a pyarrow Table or a file path, got {type(reference)!r}"
            )
        sink = io.BytesIO()
        pq.write_table(table, sink)
        return sink.getvalue(), "application/vnd.apache.parquet"
    if module == "pandas":
        return reference.to_csv(index=False).encode("utf-8"), "text/csv"
    if module == "polars":
        return reference.write_csv().encode("utf-8"), "text/csv"
    raise TypeError(
        f"a reference of type {type(reference)!r} needs pyarrow (pip install pyarrow)"
    )


def _merge(into: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


class Client:
    """A connection to a modelwatch server.

    >>> client = Client("http://127.0.0.1:8080", token="...")
    >>> project = client.project("iris")
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:8080",
        token: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        """`url` may carry a path prefix (the server's `base_path`); `token` defaults to
        the environment's `MODELWATCH_TOKEN`; `timeout` bounds each request, in seconds."""
        self.url = url.rstrip("/")
        """The server's base URL."""
        self.token = token if token is not None else os.environ.get("MODELWATCH_TOKEN")
        self.timeout = timeout
        """Seconds a request may take."""
        self._connection = _Connection(self.url, self.token, timeout)

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    def _new_connection(self) -> _Connection:
        return _Connection(self.url, self.token, self.timeout)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: str | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> Any:
        """One blocking API request; the JSON answer (None for an empty one).

        Raises :class:`ApiError` on an error status and OSError when the server cannot
        be reached.
        """
        if (
            body is not None
            and content_type is None
            and not isinstance(body, (bytes, bytearray))
        ):
            body = json.dumps(body, default=_json_default).encode("utf-8")
            content_type = "application/json"
        with self._connection.lock:
            status, data = self._connection.request(
                method, path, body, content_type, query
            )
        if status >= 400:
            raise ApiError(status, _error_message(data), method, path)
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return data.decode("utf-8", "replace")

    def projects(self) -> list[dict[str, Any]]:
        """Every project with its settings (`GET /api/v1/projects`)."""
        return self.request("GET", "/api/v1/projects")["projects"]

    def create_project(
        self,
        name: str,
        reference: Any = None,
        *,
        target: str | None = None,
        prediction: str | None = None,
        id: str | None = None,
        timestamp: str | None = None,
        numerical: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        text: Sequence[str] | None = None,
        datetime: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        presets: Sequence[str] | None = None,
        settings: Mapping[str, Any] | None = None,
        prediction_column: str | None = None,
        **options: Any,
    ) -> Project:
        """Create a project from its settings and its reference data, in one call.

        `reference` is a pandas or polars DataFrame, a pyarrow Table, or the path of a
        CSV, Parquet, JSON Lines or zip file. `target`, `prediction`, `id`, `timestamp`
        and the type lists are the project's `columns` settings; `settings` holds any
        other key of a project's settings (`drift`, `schedule`, ...), merged last.
        When the reference is refused the project is deleted again, so a failed call
        leaves nothing behind. `options` are passed to the returned :class:`Project`.
        """
        columns: dict[str, Any] = {}
        for key, value in (
            ("target", target),
            ("prediction", prediction),
            ("id", id),
            ("timestamp", timestamp),
            ("numerical", numerical),
            ("categorical", categorical),
            ("text", text),
            ("datetime", datetime),
            ("ignore", ignore),
        ):
            if value is not None:
                columns[key] = (
                    list(value) if isinstance(value, (list, tuple)) else value
                )
        body: dict[str, Any] = {"name": name}
        if columns:
            body["columns"] = columns
        if presets is not None:
            body["presets"] = list(presets)
        if settings:
            _merge(body, settings)
        reference_body = _table_body(reference) if reference is not None else None
        self._create_with_reference(name, body, reference_body)
        return Project(
            self,
            name,
            prediction_column=prediction_column or prediction or "prediction",
            **options,
        )

    def _create_with_reference(
        self, name: str, settings: dict[str, Any], reference: tuple[bytes, str] | None
    ) -> None:
        if reference is None:
            self.request("POST", "/api/v1/projects", settings)
            return
        # Settings and reference in one multipart request: the server reads the reference
        # before it stores anything, so a refused reference leaves no project behind.
        data, content_type = reference
        body, multipart_type = _multipart(
            [
                ("settings", None, "application/json", json.dumps(settings).encode()),
                ("reference", _REFERENCE_FILE_NAMES[content_type], content_type, data),
            ]
        )
        self.request("POST", "/api/v1/projects", body, multipart_type)

    def delete_project(self, name: str) -> None:
        """Delete a project with its events and snapshots."""
        self.request("DELETE", f"/api/v1/projects/{quote(name, safe='')}")

    def project(self, name: str, **options: Any) -> Project:
        """A handle on an existing project, to log events and read reports.

        No request is made here. `options` are those of :class:`Project`.
        """
        return Project(self, name, **options)


class Project:
    """One project of the server: log events to it, read its reports.

    Made by :meth:`Client.project` or :meth:`Client.create_project`.
    """

    _closed = False

    def __init__(
        self,
        client: Client,
        name: str,
        *,
        prediction_column: str = "prediction",
        queue_size: int = 10000,
        batch_size: int = 500,
        max_delay: float = 1.0,
        max_backoff: float = 5.0,
        send_timeout: float = 5.0,
    ) -> None:
        """`prediction_column` names the column `log(prediction=...)` fills;
        `queue_size` bounds the pending events (the oldest are dropped past it);
        a batch is sent when `batch_size` events wait or the oldest has waited
        `max_delay` seconds; retries wait up to `max_backoff` seconds; one request may
        take `send_timeout` seconds."""
        self.client = client
        """The client this project talks through."""
        self.name = name
        """The project's name on the server."""
        self.prediction_column = prediction_column
        """The column `log(prediction=...)` fills."""
        self._path = f"/api/v1/projects/{quote(name, safe='')}"
        self._send_timeout = send_timeout
        self._sender_connection = client._new_connection()
        self._shipper = EventShipper(
            self._send,
            capacity=queue_size,
            batch_size=batch_size,
            max_delay=max_delay,
            backoff=Backoff(maximum=max_backoff),
            name=f"modelwatch-sender-{name}",
            reachable=self._reachable,
        )
        _live_projects.add(self)

    def __repr__(self) -> str:
        return f"Project({self.name!r}, {self.client.url!r})"

    # -- logging

    def log(
        self,
        inputs: Mapping[str, Any] | None = None,
        prediction: Any = None,
        *,
        id: Any = None,
        latency: float | None = None,
        status: int | None = None,
        error: str | None = None,
        timestamp: float | None = None,
    ) -> None:
        """Queue one prediction event; returns at once and never raises.

        `inputs` are the model's input columns; `prediction` fills the project's
        prediction column (a mapping fills several columns, e.g. probabilities); `id`
        joins late labels; `latency` (seconds), `status` (HTTP code) and `error` are the
        serving facts; `timestamp` (Unix seconds) defaults to now.
        """
        try:
            event: Event = dict(inputs) if inputs is not None else {}
            if prediction is not None:
                if isinstance(prediction, Mapping):
                    event.update(prediction)
                else:
                    event[self.prediction_column] = prediction
            if id is not None:
                event["id"] = id
            if latency is not None:
                event["latency_seconds"] = latency
            if status is not None:
                event["status"] = status
            if error is not None:
                event["error"] = error
            event["timestamp"] = time.time() if timestamp is None else timestamp
        except Exception:
            logger.debug("modelwatch: could not make an event", exc_info=True)
            return
        self._reopen_if_closed()
        self._shipper.put(event)

    def _reopen_if_closed(self) -> None:
        # Logging after close() sends again, and the exit hook flushes it again.
        if self._closed:
            self._closed = False
            _live_projects.add(self)

    def log_deferred(self, build: Callable[[], Event | list[Event] | None]) -> None:
        """Queue a function that the sender thread calls to build the event(s).

        For callers that should not spend time making the event in their request
        (parsing JSON, picking columns): the work moves to the background thread. The
        function returns an event (a dict as the server takes it), a list of them, or
        None for nothing; an exception counts in `stats().build_errors`.
        """
        self._reopen_if_closed()
        self._shipper.put(build)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Send every queued event, waiting at most `timeout` seconds; True when all
        were sent (or refused by the server), False when some are still queued."""
        return self._shipper.flush(timeout)

    def close(self, timeout: float | None = 10.0) -> bool:
        """Flush within `timeout` and stop the sender thread."""
        flushed = self._shipper.close(timeout)
        _live_projects.discard(self)
        self._closed = True
        return flushed

    def stats(self) -> LogStats:
        """Counters of this project's logging: queued, sent, dropped, rejected, ..."""
        return self._shipper.stats()

    @property
    def dropped(self) -> int:
        """Events dropped because the queue was full."""
        return self._shipper.stats().dropped

    def _reachable(self) -> bool:
        try:
            return self._sender_connection.ensure_open()
        except (OSError, http.client.HTTPException) as exc:
            raise ConnectionError(f"cannot reach {self.client.url}: {exc!r}") from exc

    def _send(self, body: bytes, count: int) -> SendOutcome:
        try:
            status, data = self._sender_connection.request(
                "POST",
                self._path + "/events",
                body,
                "application/x-ndjson",
                timeout=self._send_timeout,
            )
        except (OSError, http.client.HTTPException) as exc:
            return SendOutcome(
                retry=True, error=f"cannot reach {self.client.url}: {exc!r}"
            )
        if status >= 500:
            return SendOutcome(retry=True, error=f"{status}: {_error_message(data)}")
        if status >= 400:
            return SendOutcome(
                rejected=count, error=f"{status}: {_error_message(data)}"
            )
        try:
            answer = json.loads(data)
            accepted = int(answer.get("accepted", count))
            rejected_rows = answer.get("rejected") or []
        except (ValueError, AttributeError, TypeError):
            return SendOutcome(accepted=count)
        error = None
        if rejected_rows:
            first = rejected_rows[0]
            error = f"rejected rows: {first.get('reason', first)}"
        return SendOutcome(accepted=accepted, rejected=len(rejected_rows), error=error)

    # -- labels and reads (blocking)

    def log_labels(
        self,
        labels: Mapping[Any, Any]
        | Iterable[tuple[Any, Any]]
        | Iterable[Mapping[str, Any]],
    ) -> dict[str, Any]:
        """Join late labels to logged events by id (a blocking request).

        `labels` maps ids to targets, or is a list of (id, target) pairs or of
        `{"id": ..., "target": ...}`. Returns the server's answer: `joined`,
        `unknown_ids`, `rejected`.
        """
        if isinstance(labels, Mapping):
            rows = [{"id": k, "target": v} for k, v in labels.items()]
        else:
            rows = [
                dict(x) if isinstance(x, Mapping) else {"id": x[0], "target": x[1]}
                for x in labels
            ]
        return self.client.request("POST", self._path + "/labels", _without_nan(rows))

    def info(self) -> dict[str, Any]:
        """The project's settings, schema and number of stored `events`."""
        return self.client.request("GET", self._path)

    def report(
        self,
        last: int | None = None,
        since: str | None = None,
        *,
        start: str | None = None,
        end: str | None = None,
        preset: str | Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Run the project's presets over a window now: the CLI's JSON results.

        One of `last` (the last N events), `since` (a duration such as "1h"), or
        `start`/`end` (RFC 3339); none: the schedule's window.
        """
        if preset is not None and not isinstance(preset, str):
            preset = ",".join(preset)
        query = {
            "last": last,
            "since": since,
            "from": start,
            "to": end,
            "preset": preset,
        }
        return self.client.request("GET", self._path + "/report", query=query)

    def snapshot(self) -> dict[str, Any]:
        """Take a snapshot now over the scheduled window; its full results (the
        CLI's JSON). Raises :class:`ApiError` (422) when the window holds fewer than
        `schedule.min_rows` events."""
        taken = self.client.request("POST", self._path + "/snapshots")
        return self.client.request("GET", f"{self._path}/snapshots/{taken['id']}")

    def snapshots(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The project's snapshots, newest first: id, taken, window, rows."""
        answer = self.client.request(
            "GET", self._path + "/snapshots", query={"limit": limit}
        )
        return answer["snapshots"]
