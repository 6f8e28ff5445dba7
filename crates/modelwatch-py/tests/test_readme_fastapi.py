"""The README's "Monitor your FastAPI model in five minutes", run as a newcomer would:
its code blocks, in order, in a clean virtual environment where `pip install
./crates/modelwatch-py` installs the wheel named by `MODELWATCH_WHEEL` (the one the test
suite built from that folder). Ports are replaced by free ones and
background processes are stopped at the end; nothing else of the blocks is changed."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from client_support import REPO, free_port, missing
from modelwatch.client import Client

SECTION = "## Monitor your FastAPI model in five minutes"


def readme_blocks() -> list[tuple[str, str]]:
    """(language, code) of each fenced block of the section, in order."""
    text = (REPO / "README.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end != -1 else len(text)]
    return re.findall(r"```(\w+)\n(.*?)```", section, flags=re.DOTALL)


def script_of(blocks: list[tuple[str, str]], wheel: str, ports: dict[str, str]) -> str:
    """One bash script doing what a reader types: shell lines as they are, a Python
    block headed `# NAME.py` saved as that file, any other Python block run."""
    lines = ["set -euo pipefail"]
    for language, code in blocks:
        for old, new in ports.items():
            code = code.replace(old, new)
        if language == "python":
            first = code.splitlines()[0].strip()
            if re.fullmatch(r"# [\w-]+\.py", first):
                lines.append(f"cat > {first[2:]} <<'PYTHON_BLOCK'\n{code}PYTHON_BLOCK")
            else:
                lines.append(f"python - <<'PYTHON_BLOCK'\n{code}PYTHON_BLOCK")
            continue
        assert language == "sh", language
        for line in code.replace("\\\n", " ").splitlines():
            if line.startswith("pip install"):
                assert " ./crates/modelwatch-py " in line, line
                line = line.replace(" ./crates/modelwatch-py ", f" {wheel} ", 1)
                line = line.replace("pip install", "python -m pip install --quiet", 1)
            if line.rstrip().endswith("&"):
                port = re.search(r"(?::|--port )(\d+)", line)
                assert port, f"a background command without a port to wait for: {line}"
                # Its output goes to a file: a process holding the script's pipes
                # would keep the test waiting for their end.
                line = f"{line.rstrip()[:-1].rstrip()} > background-{port.group(1)}.log 2>&1 &"
                lines.append(line)
                lines.append(f"echo $! >> pids; wait_for {port.group(1)}")
                continue
            lines.append(line)
    helper = """wait_for() {
  python - "$1" <<'PYTHON_WAIT'
import socket, sys, time
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(f"nothing listens on {sys.argv[1]}")
PYTHON_WAIT
}"""
    return "\n".join([lines[0], helper, *lines[1:]]) + "\n"


def test_readme_fastapi_section_in_a_clean_virtual_environment(tmp_path: Path) -> None:
    wheel = os.environ.get("MODELWATCH_WHEEL")
    if not wheel:
        missing(
            "MODELWATCH_WHEEL is not set: the wheel to install in the clean environment"
        )
    if shutil.which("curl") is None:
        missing("curl is not installed (the README's request uses it)")
    blocks = readme_blocks()
    assert [language for language, _ in blocks] == ["sh", "python", "python", "sh"]

    monitoring_port, app_port = str(free_port()), str(free_port())
    script = script_of(
        blocks, str(Path(wheel).resolve()), {"8080": monitoring_port, "8000": app_port}
    )
    (tmp_path / "examples" / "iris").mkdir(parents=True)
    shutil.copy(
        REPO / "examples" / "iris" / "reference.csv", tmp_path / "examples" / "iris"
    )
    (tmp_path / "readme.sh").write_text(script)

    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "MODELWATCH_BIN")
    }
    env["PATH"] = f"{tmp_path / 'venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    try:
        done = subprocess.run(
            ["bash", "readme.sh"],
            check=False,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, (
            f"{done.stdout}\n{done.stderr}\n--- script ---\n{script}"
        )
        assert '{"species":"setosa"}' in done.stdout

        # The request the README sent arrives as an event, with its inputs and prediction.
        project = Client(f"http://127.0.0.1:{monitoring_port}").project("iris")
        deadline = time.monotonic() + 30
        while project.info()["events"] < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert project.info()["events"] == 1
        assert [c["name"] for c in project.info()["schema"]][:4] == [
            "sepal_length",
            "sepal_width",
            "petal_length",
            "petal_width",
        ]
    finally:
        pids = tmp_path / "pids"
        for pid in pids.read_text().split() if pids.exists() else []:
            try:
                os.kill(int(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass
