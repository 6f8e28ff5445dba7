#!/usr/bin/env bash
# Load benchmark of `modelwatch serve` ingestion on loopback (issue 5, "Load").
#
#   bash bench/server_load.sh                 # ~1.5 minutes: 20 s per phase, 60 s memory run
#   LONG=300 bash bench/server_load.sh        # the 5-minute memory run of the issue
#
# Builds the release binary and the load generator (bench/loadgen), starts the server on
# a free loopback port with a fresh temporary store, creates the `iris` project from
# examples/iris/reference.csv, then runs
#   1. batches of 100 events per request   (BATCH_CONNS connections, DURATION s)
#   2. one event per request              (SINGLE_CONNS connections, DURATION s), closed
#      loop (as fast as answers come), then 2b. open loop at TARGET_RATE=5000 req/s
#      (latency from each request's scheduled send time)
#   3. the memory run: one event per request for LONG s, sampling the server's VmRSS
#      every RSS_EVERY s
# checks that every acknowledged event is counted in the store (the project's `events`),
# stops the server with SIGTERM (exit status must be 0), restarts it on the same store and
# counts again, and prints a summary against the targets:
#   >= 50,000 events/s in batches of 100; >= 5,000 single-event requests/s with
#   p99 < 10 ms; memory flat.
# Then bench/server_load_stores.py runs the ingestion phases again on SQLite and on
# PostgreSQL side by side, with one and two replicas, and a replica killed with SIGKILL
# mid-run (SKIP_STORES=1 leaves it out; it needs Debian's postgresql or
# MODELWATCH_BENCH_POSTGRES).
# A benchmark, not a test: it exits 0 unless the run itself breaks (server down, lost
# events, bad exit); a missed throughput target is reported, not failed.
#
# Knobs (environment): TARGET_RATE=5000 DURATION=20 LONG=60 RSS_EVERY=5 BATCH_CONNS=4 SINGLE_CONNS=16
# LONG_RATE (open-loop req/s for the memory run; empty = closed loop) LOADGEN_THREADS=1
# SKIP_BUILD=1 (reuse built binaries) KEEP=1 (keep the temp dir) RUST_LOG (server's; its
# default `info` logs one line per request, which is part of what is measured).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-20}
LONG=${LONG:-60}
RSS_EVERY=${RSS_EVERY:-5}
BATCH_CONNS=${BATCH_CONNS:-4}
SINGLE_CONNS=${SINGLE_CONNS:-16}
LONG_RATE=${LONG_RATE:-}
LOADGEN_THREADS=${LOADGEN_THREADS:-1}
TARGET_RATE=${TARGET_RATE:-5000}

BIN=$ROOT/target/release/modelwatch
LOADGEN=$ROOT/bench/loadgen/target/release/modelwatch-loadgen

if [[ -z ${SKIP_BUILD:-} ]]; then
    echo "== building (release)" >&2
    (cd "$ROOT" && cargo build --release -q -p modelwatch-cli)
    (cd "$ROOT/bench/loadgen" && cargo build --release -q)
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/modelwatch-load.XXXXXX")
SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -z ${KEEP:-} ]]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT

# An empty config: defaults (WAL, synchronous=NORMAL, no tokens).
: >"$WORK/modelwatch.toml"
DB=$WORK/load.db

start_server() {
    local log=$1
    "$BIN" serve --listen 127.0.0.1:0 --db "$DB" --config "$WORK/modelwatch.toml" 2>"$log" &
    SERVER_PID=$!
    ADDR=
    for _ in $(seq 1 200); do
        ADDR=$(sed -n 's|^modelwatch serving on http://\([^ ]*\) .*|\1|p' "$log" | head -n1)
        [[ -n $ADDR ]] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; echo "server died" >&2; exit 1; }
        sleep 0.05
    done
    [[ -n $ADDR ]] || { echo "server did not start" >&2; exit 1; }
    URL=http://$ADDR
}

# Sends SIGTERM and waits; the exit status lands in STOP_RC.
stop_server() {
    kill -TERM "$SERVER_PID"
    STOP_RC=0
    wait "$SERVER_PID" || STOP_RC=$?
    SERVER_PID=
}

stored_events() {
    curl -sf "$URL/api/v1/projects/iris" | sed -n 's/.*"events":\([0-9]*\).*/\1/p'
}

rss_kb() {
    awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"
}

# `field KEY LINE` extracts KEY=value from a loadgen RESULT line.
field() {
    tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}

loadgen() {
    "$LOADGEN" --url "$URL" --project iris --threads "$LOADGEN_THREADS" "$@" | tee "$WORK/last.out" >&2
    grep '^RESULT ' "$WORK/last.out"
}

start_server "$WORK/server.log"
echo "== server pid $SERVER_PID on $URL, store $DB" >&2
curl -sf -X POST "$URL/api/v1/projects?name=iris" -H 'Content-Type: text/csv' \
    --data-binary "@$ROOT/examples/iris/reference.csv" >/dev/null
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load before: $LOAD_BEFORE" >&2
RSS_START=$(rss_kb)

echo "== 1. batches of 100, $BATCH_CONNS connections, ${DURATION}s" >&2
R1=$(loadgen --mode batch --batch 100 --connections "$BATCH_CONNS" --duration "$DURATION")
echo "== 2. single events, $SINGLE_CONNS connections, ${DURATION}s" >&2
R2=$(loadgen --mode single --connections "$SINGLE_CONNS" --duration "$DURATION")
echo "== 2b. single events at a fixed ${TARGET_RATE} req/s (open loop), $SINGLE_CONNS connections, ${DURATION}s" >&2
R2B=$(loadgen --mode single --connections "$SINGLE_CONNS" --duration "$DURATION" --rate "$TARGET_RATE")

echo "== 3. memory run: single events, $SINGLE_CONNS connections, ${LONG}s${LONG_RATE:+ at $LONG_RATE req/s}; VmRSS every ${RSS_EVERY}s" >&2
RSS_BEFORE_LONG=$(rss_kb)
(
    t=0
    while kill -0 "$SERVER_PID" 2>/dev/null; do
        echo "$t $(rss_kb 2>/dev/null || echo 0) $(cut -d' ' -f1 /proc/loadavg)"
        sleep "$RSS_EVERY"
        t=$((t + RSS_EVERY))
    done
) >"$WORK/rss.txt" &
SAMPLER=$!
R3=$(loadgen --mode single --connections "$SINGLE_CONNS" --duration "$LONG" ${LONG_RATE:+--rate "$LONG_RATE"})
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
RSS_PEAK=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")

ACKED=$(($(field events_acked "$R1") + $(field events_acked "$R2") + $(field events_acked "$R2B") + $(field events_acked "$R3")))
STORED=$(stored_events)
stop_server
EXIT_RC=$STOP_RC
SNAPSHOTS=$(grep -c '"snapshot taken"' "$WORK/server.log" || true)

# The same store after a clean stop and a restart.
start_server "$WORK/server2.log"
STORED_AFTER_RESTART=$(stored_events)
stop_server
RESTART_RC=$STOP_RC

echo >&2
echo "server RSS during the memory run (seconds, VmRSS MiB, 1-min load):"
awk '{printf "  t=%4ds  %7.1f MiB  load %s\n", $1, $2 / 1024, $3}' "$WORK/rss.txt"
read -r RSS_MIN RSS_MAX RSS_FIRST RSS_LAST < <(awk 'NR==1 {mn=$2; mx=$2; f=$2} {if ($2<mn) mn=$2; if ($2>mx) mx=$2; l=$2} END {print mn, mx, f, l}' "$WORK/rss.txt")
SECOND_HALF_MAX=$(awk -v n="$(wc -l <"$WORK/rss.txt")" 'NR > n/2 && $2 > m {m=$2} END {print m+0}' "$WORK/rss.txt")
FIRST_HALF_MAX=$(awk -v n="$(wc -l <"$WORK/rss.txt")" 'NR <= n/2 && $2 > m {m=$2} END {print m+0}' "$WORK/rss.txt")
grep -h '"snapshot taken"' "$WORK/server.log" | sed 's/^/  snapshot: /' | cut -c1-160 || true

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
verdict() { if awk "BEGIN {exit !($1)}"; then echo met; else echo MISSED; fi; }

B_EPS=$(field events_per_s "$R1")
S_RPS=$(field req_per_s "$R2")
S_P99=$(field p99_ms "$R2")
L_RPS=$(field req_per_s "$R3")
L_P99=$(field p99_ms "$R3")
# Flat: the peak of the second half is within 10% (and 16 MiB) of the first half's.
FLAT=$(verdict "$SECOND_HALF_MAX <= $FIRST_HALF_MAX * 1.10 || $SECOND_HALF_MAX - $FIRST_HALF_MAX <= 16384")

echo
echo "summary (load average before: $LOAD_BEFORE; after: $LOAD_AFTER; $(nproc) cores)"
printf '  %-44s %-34s %-24s %s\n' "measure" "result" "target" "verdict"
printf '  %-44s %-34s %-24s %s\n' "1. batches of 100 ($BATCH_CONNS conns, ${DURATION}s)" \
    "$B_EPS events/s, p99 $(field p99_ms "$R1") ms" ">= 50000 events/s" "$(verdict "$B_EPS >= 50000")"
printf '  %-44s %-34s %-24s %s\n' "2. single events ($SINGLE_CONNS conns, ${DURATION}s)" \
    "$S_RPS req/s" ">= 5000 req/s" "$(verdict "$S_RPS >= 5000")"
printf '  %-44s %-34s %-24s %s\n' "   latency p50 / p90 / p99 / max" \
    "$(field p50_ms "$R2") / $(field p90_ms "$R2") / $S_P99 / $(field max_ms "$R2") ms" "p99 < 10 ms" "$(verdict "$S_P99 < 10")"
printf '  %-44s %-34s %-24s %s\n' "2b. single events at $TARGET_RATE req/s (open loop)" \
    "$(field req_per_s "$R2B") req/s" "" ""
printf '  %-44s %-34s %-24s %s\n' "   latency p50 / p90 / p99 / max" \
    "$(field p50_ms "$R2B") / $(field p90_ms "$R2B") / $(field p99_ms "$R2B") / $(field max_ms "$R2B") ms" "p99 < 10 ms" "$(verdict "$(field p99_ms "$R2B") < 10")"
printf '  %-44s %-34s\n' "   p99 send-to-answer; p99 client lag" \
    "$(field service_p99_ms "$R2B") ms; $(field client_lag_p99_ms "$R2B") ms"
printf '  %-44s %-34s %-24s %s\n' "3. memory run (single, ${LONG}s)" \
    "$L_RPS req/s, p99 $L_P99 ms" "" ""
printf '  %-44s %-34s %-24s %s\n' "   server VmRSS first / min / max / last" \
    "$(mib "$RSS_FIRST") / $(mib "$RSS_MIN") / $(mib "$RSS_MAX") / $(mib "$RSS_LAST") MiB" "flat" "$FLAT"
printf '  %-44s %-34s %-24s %s\n' "   VmRSS at start / before memory run; VmHWM" \
    "$(mib "$RSS_START") / $(mib "$RSS_BEFORE_LONG"); $(mib "$RSS_PEAK") MiB" "" ""
printf '  %-44s %-34s\n' "   scheduled snapshots (by shutdown)" \
    "$SNAPSHOTS (the first is due 5 min after the project is created; it reads the whole 1 h window)"
printf '  %-44s %-34s %-24s %s\n' "acknowledged events (2xx) / stored" \
    "$ACKED / $STORED" "all counted" "$([[ $STORED -ge $ACKED ]] && echo met || echo MISSED)"
printf '  %-44s %-34s %-24s %s\n' "SIGTERM exit status; stored after restart" \
    "$EXIT_RC; $STORED_AFTER_RESTART (restart exit $RESTART_RC)" "0; same count" \
    "$([[ $EXIT_RC == 0 && $RESTART_RC == 0 && $STORED_AFTER_RESTART == "$STORED" ]] && echo met || echo MISSED)"
printf '  %-44s %-34s\n' "errors (batch / single / 2b / memory run)" \
    "$(field errors "$R1") / $(field errors "$R2") / $(field errors "$R2B") / $(field errors "$R3")"
printf '  %-44s %-34s\n' "store size after the run" "$(du -sh "$WORK" | cut -f1) ($(($(stat -c %s "$DB") / 1048576)) MiB db)"

STORES_RC=0
if [[ -z ${SKIP_STORES:-} ]]; then
    echo >&2
    echo "== SQLite and PostgreSQL side by side (bench/server_load_stores.py)" >&2
    SKIP_BUILD=1 DURATION=$DURATION BATCH_CONNS=$BATCH_CONNS SINGLE_CONNS=$SINGLE_CONNS \
        TARGET_RATE=$TARGET_RATE python3 "$ROOT/bench/server_load_stores.py" || STORES_RC=$?
fi

# Broken runs fail; slow ones only say MISSED above.
[[ $STORED -ge $ACKED && $EXIT_RC == 0 && $STORED_AFTER_RESTART == "$STORED" && $STORES_RC == 0 ]]
