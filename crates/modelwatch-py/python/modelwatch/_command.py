"""The ``modelwatch`` command installed by the wheel: the Rust command line itself."""

from __future__ import annotations

import sys

from . import _native


def main() -> None:
    """Runs ``modelwatch`` with this process's arguments and exits with its code."""
    argv = ["modelwatch", *sys.argv[1:]]
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(_native.run_cli(argv))
