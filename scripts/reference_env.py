"""Re-run the calling script under the pinned reference Python stack.

The fixture generators need evidently 0.7.23 with pandas < 3, scipy and numpy.
`ensure_reference_python()` returns at once when the running interpreter has
them; otherwise it asks `scripts/python_env.sh` for an interpreter (creating
the gitignored `.venv` at the repository root, or honouring MODELWATCH_PYTHON)
and re-executes the script with it.
"""

import os
import subprocess
import sys
from pathlib import Path

EVIDENTLY_VERSION = "0.7.23"
ROOT = Path(__file__).resolve().parent.parent
_REEXEC_FLAG = "_MODELWATCH_REFERENCE_REEXEC"


def _has_stack(need_evidently: bool) -> bool:
    try:
        import numpy  # noqa: F401
        import pandas
        import scipy  # noqa: F401

        if int(pandas.__version__.split(".")[0]) >= 3:
            return False
        if need_evidently:
            import evidently

            return evidently.__version__ == EVIDENTLY_VERSION
        return True
    except ImportError:
        return False


def ensure_reference_python(need_evidently: bool = True) -> None:
    """Make sure this process runs on the pinned stack, re-exec'ing if needed."""
    if _has_stack(need_evidently):
        if os.environ.get("PYTHONHASHSEED") == "0":
            return
        # Fixed string hashing: Evidently iterates over sets of category labels,
        # so the summation order (and the last bits of some scores) depends on it.
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, os.path.abspath(sys.argv[0]), *sys.argv[1:]])
    if os.environ.get(_REEXEC_FLAG):
        sys.exit(f"{sys.executable} still lacks evidently=={EVIDENTLY_VERSION} / pandas<3 after re-exec")
    python = subprocess.check_output([str(ROOT / "scripts" / "python_env.sh")], text=True).strip()
    os.environ[_REEXEC_FLAG] = "1"
    os.environ["PYTHONHASHSEED"] = "0"
    script = os.path.abspath(sys.argv[0])
    os.execv(python, [python, script, *sys.argv[1:]])
