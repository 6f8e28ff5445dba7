#!/usr/bin/env bash
# Alternates two modelwatch binaries on the same bench table and prints each one's wall times
# (to the millisecond), sorted, so that a code change can be judged on a noisy machine (both
# binaries see the same conditions, run after run). Not a benchmark against Evidently: see
# run.sh for that.
#
# Usage:  bench/ab.sh OLD_BIN NEW_BIN SIZE PRESET [RUNS]
#         SIZE: 100k | 1m | mixed (tables made by bench/run.sh); PRESET: drift, summary, ...
# Example: cp target/release/modelwatch /tmp/mw_old; (change, rebuild);
#          bench/ab.sh /tmp/mw_old target/release/modelwatch mixed drift 12
set -euo pipefail
export LC_ALL=C # EPOCHREALTIME's decimal separator follows the locale
old=$1 new=$2 size=$3 preset=$4 runs=${5:-9}
data="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/data"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for _ in $(seq "$runs"); do
    for which in old new; do
        bin=$old
        [[ $which == new ]] && bin=$new
        start=$EPOCHREALTIME
        "$bin" report \
            --reference "$data/${size}_reference.csv" --current "$data/${size}_current.csv" \
            --preset "$preset" --json "$out/$which.json" --quiet
        awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", b - a }' >>"$out/$which"
    done
done
for which in old new; do
    echo "$which: $(sort -n "$out/$which" | tr '\n' ' ')(median $(sort -n "$out/$which" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') s)"
done
# The two reports must agree apart from `meta`.
python3 - "$out/old.json" "$out/new.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
a.pop("meta", None); b.pop("meta", None)
print("reports identical" if a == b else "REPORTS DIFFER")
PY
