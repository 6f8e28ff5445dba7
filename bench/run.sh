#!/usr/bin/env bash
# Benchmark modelwatch against Evidently 0.7.23 on generated CSVs: the drift report (default),
# or with `summary` first, the summary preset against DataSummaryPreset (bench/summary_bench.py).
#
# Usage:  bench/run.sh [drift|summary] [SIZE...]   SIZE: 100k | 1m | mixed   (default: $BENCH_SIZES or all)
#         BENCH_SIZES="100k mixed" bench/run.sh
#         bench/run.sh summary 100k 1m     (the summary preset against DataSummaryPreset)
#
# Environment:
#   BENCH_PYTHON    a Python that has evidently==0.7.23 and pandas<3 (default: bench/.venv, created here)
#   BENCH_NO_BUILD  set to skip `cargo build --release -p modelwatch-cli`
#   MODELWATCH_BIN  binary to benchmark (default: target/release/modelwatch)
#   BENCH_REUSE_EVIDENTLY=1  reuse Evidently results cached in bench/data/ by an earlier run
#
# Data is generated with a fixed seed into bench/data/ (gitignored) and reused.
# Note: Evidently on the 1m size takes several minutes.
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$bench")"

bench_cmd=("$bench/drift_bench.py" run)
case "${1:-}" in
    drift) shift ;;
    summary) bench_cmd=("$bench/summary_bench.py"); shift ;;
esac

if [[ $# -gt 0 ]]; then
    sizes=("$@")
else
    read -r -a sizes <<<"${BENCH_SIZES:-100k mixed 1m}"
fi

if [[ -n "${BENCH_PYTHON:-}" ]]; then
    python="$BENCH_PYTHON"
else
    python="$bench/.venv/bin/python"
    if [[ ! -x "$python" ]]; then
        echo "creating $bench/.venv (evidently==0.7.23, pandas<3)" >&2
        python3 -m venv "$bench/.venv"
        "$python" -m pip install --quiet --upgrade pip
        "$python" -m pip install --quiet 'evidently==0.7.23' 'pandas<3' scipy numpy
    fi
fi

if [[ -z "${BENCH_NO_BUILD:-}" && -z "${MODELWATCH_BIN:-}" ]]; then
    (cd "$root" && cargo build --release -p modelwatch-cli)
fi

exec "$python" "${bench_cmd[@]}" "${sizes[@]}"
