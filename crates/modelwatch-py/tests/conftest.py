"""Shared fixtures: seeded DataFrames, the `modelwatch` command installed by the wheel, and
the rule that under CI=true a missing component fails instead of skipping."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from client_support import missing


def require(condition: bool, why: str) -> None:
    """Skips the test when `condition` is false, or fails it under CI (the one rule of
    `client_support.in_ci`)."""
    if not condition:
        missing(why)


def frames(rows: int, seed: int, shift: float) -> pd.DataFrame:
    """A mixed frame: numerical, categorical and integer columns, `shift` moving `x`."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(shift, 1.0, rows),
            "y": rng.exponential(1.0, rows),
            "n": rng.integers(0, 50, rows),
            "city": rng.choice(["paris", "rome", "oslo", "lima"], rows),
            "flag": rng.random(rows) < 0.3,
        }
    )


@pytest.fixture
def reference_df() -> pd.DataFrame:
    return frames(600, 1, 0.0)


@pytest.fixture
def current_df() -> pd.DataFrame:
    return frames(400, 2, 0.6)


def modelwatch_command() -> list[str]:
    """The `modelwatch` command next to this interpreter (installed by the wheel)."""
    here = Path(sys.executable).parent / "modelwatch"
    if here.exists():
        return [str(here)]
    found = shutil.which("modelwatch")
    require(found is not None, "the modelwatch command of the wheel is not installed")
    return [str(found)]


def run_command(args: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        modelwatch_command() + args,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kw,
    )


def without_volatile_meta(d: dict[str, Any]) -> dict[str, Any]:
    """A report's dict without what differs between two runs on the same data: the time
    and the datasets' names."""
    out = dict(d)
    meta = dict(out["meta"])
    for key in ("generated_at", "reference", "current"):
        meta.pop(key, None)
    out["meta"] = meta
    return out
