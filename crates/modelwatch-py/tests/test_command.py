"""The `modelwatch` command the wheel installs is the full command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import modelwatch
from conftest import require, run_command

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "iris"


def test_version_is_the_packages():
    done = run_command(["--version"])
    assert done.returncode == 0
    assert done.stdout.strip() == f"modelwatch {modelwatch.__version__}"


def test_a_report_from_files(tmp_path):
    out = tmp_path / "r.json"
    done = run_command(
        [
            "report",
            "--reference",
            str(EXAMPLES / "reference.csv"),
            "--current",
            str(EXAMPLES / "current.csv"),
            "--json",
            str(out),
        ]
    )
    assert done.returncode == 0, done.stderr
    assert "drift" in done.stdout.lower()
    from_python = modelwatch.report(
        EXAMPLES / "reference.csv", EXAMPLES / "current.csv"
    )
    theirs = json.loads(out.read_text())
    ours = from_python.to_dict()
    for d in (theirs, ours):
        d["meta"].pop("generated_at")
    assert ours == theirs


def test_usage_errors_exit_2():
    done = run_command(["report", "--reference"])
    assert done.returncode == 2
    assert "error:" in done.stderr
    assert run_command(["serve", "--help"]).returncode == 0


def test_the_wheel_installs_in_a_clean_environment(tmp_path):
    wheel = os.environ.get("MODELWATCH_WHEEL")
    require(
        wheel is not None and Path(wheel).exists(),
        "MODELWATCH_WHEEL names no built wheel",
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--no-index", str(wheel)]
    subprocess.run(pip, check=True, timeout=300)
    # Without pandas or pyarrow: the package imports, reads files and runs the command.
    code = (
        "import modelwatch, sys; "
        f"r = modelwatch.report({str(EXAMPLES / 'reference.csv')!r}, "
        f"{str(EXAMPLES / 'current.csv')!r}); "
        "print(r.number_of_columns, modelwatch.__version__)"
    )
    done = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[1] == modelwatch.__version__
    command = venv / "bin" / "modelwatch"
    done = subprocess.run(
        [str(command), "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and modelwatch.__version__ in done.stdout
