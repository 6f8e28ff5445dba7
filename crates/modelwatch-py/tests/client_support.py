"""Processes the client's end-to-end tests run: a `modelwatch serve` and the example's
uvicorn, each on a free loopback port, stopped when the test ends."""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
IRIS_APP = REPO / "examples" / "fastapi-iris"
IRIS_REFERENCE = REPO / "examples" / "iris" / "reference.csv"


def _pytest():
    # Imported when needed, so the benchmark can use these processes without pytest.
    import pytest

    return pytest


def in_ci() -> bool:
    """True under CI=true, where a missing prerequisite fails instead of skipping."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> None:
    """Fail under CI, skip with the reason otherwise."""
    if in_ci():
        _pytest().fail(reason)
    _pytest().skip(reason)


def need(module: str) -> Any:
    """Import a module the test needs, or skip (fail under CI) naming it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        missing(
            f"{module} is not installed (crates/modelwatch-py/requirements-test.txt)"
        )


def server_binary() -> str:
    """`MODELWATCH_BIN`, else `modelwatch` on PATH (the wheel installs it)."""
    path = os.environ.get("MODELWATCH_BIN") or shutil.which("modelwatch")
    if not path:
        missing("no modelwatch binary: set MODELWATCH_BIN or install the wheel")
    return str(path)


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answers(
    url: str, process: subprocess.Popen, seconds: float = 20.0
) -> None:
    """Poll `url` until it answers 200; fail when the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args[0]} exited with {process.returncode} before answering {url}"
            )
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class MonitoringServer:
    """A `modelwatch serve` on a free port with its store in a temporary folder."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> MonitoringServer:
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            [
                server_binary(),
                "serve",
                "--listen",
                f"127.0.0.1:{self.port}",
                "--db",
                str(self.folder / "mw.db"),
            ],
            stdout=log,
            stderr=log,
            cwd=self.folder,
        )
        log.close()
        wait_until_answers(self.url + "/healthz", self.process)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


def modelwatch_python_path() -> str:
    """The folder this interpreter imports `modelwatch.client` from, for subprocesses."""
    import modelwatch.client

    return str(Path(modelwatch.client.__file__).resolve().parents[1])


class IrisApp:
    """The example's FastAPI app under uvicorn, monitored when `monitoring_url` is set."""

    def __init__(
        self, folder: Path, monitoring_url: str | None, queue_size: int = 10000
    ) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.monitoring_url = monitoring_url
        self.queue_size = queue_size
        self.process: subprocess.Popen | None = None

    def start(self) -> IrisApp:
        need("fastapi")
        need("uvicorn")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [modelwatch_python_path(), str(IRIS_APP)]
            + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        )
        env["MODELWATCH_URL"] = self.monitoring_url or ""
        env["MODELWATCH_QUEUE_SIZE"] = str(self.queue_size)
        self.log_path = self.folder / f"uvicorn-{self.port}.log"
        log = open(self.log_path, "ab")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=IRIS_APP,
            env=env,
            stdout=log,
            stderr=log,
        )
        log.close()
        wait_until_answers(self.url + "/health", self.process)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


def create_iris_project(url: str, name: str = "iris") -> None:
    """The example's project, made from the training data as create_project.py does."""
    pd = need("pandas")
    sys.path.insert(0, str(IRIS_APP))
    try:
        from model import predict
    finally:
        sys.path.remove(str(IRIS_APP))
    import modelwatch.client

    train = pd.read_csv(IRIS_REFERENCE)
    train["prediction"] = [predict(row) for row in train.to_dict("records")]
    client = modelwatch.client.Client(url)
    client.create_project(
        name, reference=train, target="species", prediction="prediction"
    )
