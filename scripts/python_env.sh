#!/usr/bin/env bash
# Print the path of a Python interpreter that has the pinned reference stack
# (evidently 0.7.23, pandas < 3, scipy, numpy, scikit-learn) used by the fixture generators.
#
# Usage:  PY=$(scripts/python_env.sh)
#
# If MODELWATCH_PYTHON is set, that interpreter is used as-is (e.g. an existing
# venv: MODELWATCH_PYTHON=/work/venv/bin/python). Otherwise a venv is created
# (once) at .venv in the repository root and the pinned packages are installed.
set -euo pipefail

if [[ -n "${MODELWATCH_PYTHON:-}" ]]; then
    echo "$MODELWATCH_PYTHON"
    exit 0
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.modelwatch-requirements"
requirements='evidently==0.7.23 pandas<3 scipy numpy scikit-learn'

if [[ ! -x "$venv/bin/python" ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "$requirements" ]]; then
    echo "creating $venv with: $requirements" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --upgrade pip >&2
    # shellcheck disable=SC2086
    "$venv/bin/python" -m pip install --quiet 'evidently==0.7.23' 'pandas<3' scipy numpy scikit-learn >&2
    echo "$requirements" >"$stamp"
fi
echo "$venv/bin/python"
