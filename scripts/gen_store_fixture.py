#!/usr/bin/env python3
"""Write tests/fixtures/store/unversioned/{store.db,expected.json}: a database written by a
`modelwatch serve` binary, for the test that opens an older store with the current code and
migrates it with nothing lost.

The script drives the server only through its HTTP API, the way a user would:

* a config file with the project `iris` (examples/iris/reference.csv, presets drift and
  summary, target `species`, prediction `prediction`), a webhook receiver nobody listens
  on (so its notifications stay queued in the outbox) and an availability SLO;
* a second project `batch "b"` created through the API, without a reference;
* two API alert rules (`ManyRows` fires at once, `ModelErrors` stays pending for an hour),
  one silence that lasts ten years and one that is ended right away;
* the 200 events of examples/iris/current.csv with ids, their own timestamps and serving
  facts (latency, status, error), then late labels for the first 60 of them;
* two snapshots, after which the rules are evaluated and the transitions stored;
* SIGTERM, then a WAL checkpoint so that the single `.db` file holds everything.

`expected.json` records what the script sent and what the server answered (snapshots,
series values, rules, silences, transitions, active alerts), plus a few counts read from
the file afterwards; the test compares the migrated store with it. Under `exact`, the
floats the test compares bit for bit are repeated as text (Python's `repr`), which Rust's
`str::parse::<f64>` reads back exactly.

Run from the repository root with the binary that writes the schema to capture
(stdlib only):

    MODELWATCH_BIN=/path/to/modelwatch python3 scripts/gen_store_fixture.py [OUT_DIR]
"""

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "store", "unversioned")

# Latencies that fall clearly inside one bucket each of Prometheus's default buckets
# (0.005 ... 10 s, then +Inf), so the expected bucket counts need no float edge cases.
LATENCIES = [0.004, 0.02, 0.04, 0.07, 0.2, 0.3, 0.7, 1.5, 3.0, 7.0, 12.0]
BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
LABELLED = 60


def serving_facts(i):
    """The serving facts of event `i`: some untimed, some 5xx, some with an error."""
    facts = {}
    if i % 25 != 24:
        facts["latency_seconds"] = LATENCIES[i % len(LATENCIES)]
    if i % 40 != 5:
        facts["status"] = 503 if i % 20 == 3 else 200
    if i % 50 == 7:
        facts["error"] = "timeout"
    return facts


def label_of(i, row):
    return "setosa" if i % 10 == 0 else row["prediction"]


def request(base, method, path, body=None, content_type="application/json"):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read().decode()
            is_json = text.strip().startswith(("{", "["))
            return r.status, (json.loads(text) if is_json else text)
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        raise SystemExit(f"{method} {path}: {e.code} {text}") from None


def main():
    default_binary = os.path.join(ROOT, "target", "debug", "modelwatch")
    binary = os.environ.get("MODELWATCH_BIN", default_binary)
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    with open(os.path.join(ROOT, "examples", "iris", "current.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    tmp = tempfile.mkdtemp(prefix="mw-store-fixture-")
    db = os.path.join(tmp, "store.db")
    config = os.path.join(tmp, "modelwatch.toml")
    reference = os.path.join(ROOT, "examples", "iris", "reference.csv")
    with open(config, "w") as f:
        f.write(f"""listen = "127.0.0.1:0"
db = "{db}"

[[projects]]
name = "iris"
reference = "{reference}"
presets = ["drift", "summary"]
[projects.columns]
target = "species"
prediction = "prediction"
[projects.schedule]
interval = "0s"
window = "3650d"
min_rows = 10

[alerts]
evaluation_interval = "1s"
group_wait = "0s"
retry_initial = "1h"
retry_max = "1h"

[[alerts.receivers]]
name = "oncall"
kind = "webhook"
url = "http://127.0.0.1:9/hook"

[[alerts.slos]]
project = "iris"
name = "availability"
kind = "availability"
objective = 0.99
window = "30d"
""")
    server = subprocess.Popen(
        [binary, "serve", "--config", config],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    first = server.stderr.readline()
    base = next((w for w in first.split() if w.startswith("http://")), None)
    if base is None:
        server.kill()
        raise SystemExit(f"the server did not start: {first}{server.stderr.read()}")
    expected = {"generated_by": "scripts/gen_store_fixture.py", "binary": run_version(binary)}
    try:
        expected.update(drive(base, rows))
    finally:
        server.send_signal(signal.SIGTERM)
        rest = server.stderr.read()
        code = server.wait(timeout=60)
    if code != 0:
        raise SystemExit(f"the server exited with {code}: {rest}")

    # Fold the write-ahead log into the file; the last connection to close removes it.
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    counts = {
        "user_version": conn.execute("PRAGMA user_version").fetchone()[0],
        "events": conn.execute("SELECT count(*) FROM events").fetchone()[0],
        "snapshot_metrics": dict(
            conn.execute("SELECT snapshot, count(*) FROM snapshot_metrics GROUP BY snapshot")
        ),
        "transitions": conn.execute("SELECT count(*) FROM alert_transitions").fetchone()[0],
        "outbox": [
            {"receiver": r, "attempts": a}
            for r, a in conn.execute("SELECT receiver, attempts FROM alert_outbox ORDER BY id")
        ],
        "silences": conn.execute("SELECT count(*) FROM alert_silences").fetchone()[0],
    }
    conn.close()
    if counts["transitions"] != len(expected["transitions"]):
        raise SystemExit("transitions changed after they were read; run the script again")
    per_snapshot = {str(k): v for k, v in counts["snapshot_metrics"].items()}
    expected["stored"] = {**counts, "snapshot_metrics": per_snapshot}
    if os.path.exists(db + "-wal"):
        raise SystemExit("the write-ahead log is still there after the checkpoint")

    os.makedirs(out, exist_ok=True)
    shutil.copyfile(db, os.path.join(out, "store.db"))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    shutil.rmtree(tmp)
    print(f"wrote {out}/store.db and expected.json")


def run_version(binary):
    return subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def drive(base, rows):
    """Everything done through the API; returns what the test should find."""
    _, batch = request(
        base, "POST", "/api/v1/projects", {"name": 'batch "b"', "presets": ["summary"]}
    )
    many_rows = {
        "name": "ManyRows",
        "project": "iris",
        "metric": "rows",
        "operator": ">",
        "threshold": 100,
        "severity": "warning",
        "annotations": {"summary": "{{project}}: {{value}} rows"},
    }
    model_errors = {
        "name": "ModelErrors",
        "metric": "model_error_rate",
        "threshold": 0.05,
        "for": "1h",
        "severity": "page",
        "labels": {"team": "ml"},
    }
    for rule in (many_rows, model_errors):
        request(base, "POST", "/api/v1/alerts/rules", rule)
    _, kept = request(
        base,
        "POST",
        "/api/v1/alerts/silences",
        {
            "matchers": {"project": "iris", "alertname": "DatasetDrift"},
            "duration": "3650d",
            "created_by": "fixture",
            "comment": "retraining",
        },
    )
    _, ended = request(
        base,
        "POST",
        "/api/v1/alerts/silences",
        {
            "matchers": {"alertname": "ManyRows"},
            "duration": "1h",
            "created_by": "fixture",
            "comment": "ended at once",
        },
    )
    request(base, "DELETE", f"/api/v1/alerts/silences/{ended['id']}")

    events = []
    for i, row in enumerate(rows):
        e = {"id": f"e{i}", **row, **serving_facts(i)}
        for k in ("sepal_length", "sepal_width", "petal_length", "petal_width"):
            e[k] = float(e[k])
        events.append(e)
    accepted = 0
    for start in range(0, len(events), 100):
        chunk = events[start : start + 100]
        _, answer = request(base, "POST", "/api/v1/projects/iris/events", chunk)
        accepted += answer["accepted"]
    labels = [{"id": f"e{i}", "target": label_of(i, rows[i])} for i in range(LABELLED)]
    _, joined = request(base, "POST", "/api/v1/projects/iris/labels", labels)

    snapshot_ids = []
    for _ in range(2):
        _, s = request(base, "POST", "/api/v1/projects/iris/snapshots")
        snapshot_ids.append(s["id"])
        time.sleep(1.1)

    # Evaluation runs every second; wait until the transitions stop changing.
    seen, stable = None, 0
    while stable < 4:
        time.sleep(1)
        _, h = request(base, "GET", "/api/v1/alerts/history?limit=1000")
        stable = stable + 1 if h == seen else 0
        seen = h
    _, active = request(base, "GET", "/api/v1/alerts")
    _, rules = request(base, "GET", "/api/v1/alerts/rules")
    _, silences = request(base, "GET", "/api/v1/alerts/silences")
    since = "from=2000-01-01T00:00:00Z"
    _, snapshots = request(base, "GET", f"/api/v1/projects/iris/snapshots?{since}")
    series = {}
    for metric, column in [
        ("rows", ""),
        ("drifted_share", ""),
        ("dataset_drift", ""),
        ("missing_share", ""),
        ("drift_score", "petal_length"),
        ("drift_score", "sepal_width"),
        ("column_missing_share", "species"),
        ("class_share", "virginica"),
    ]:
        q = f"metric={metric}&column={column}&{since}"
        _, s = request(base, "GET", f"/api/v1/projects/iris/series?{q}")
        series[f"{metric}|{column}"] = [p[1] for p in s["points"]]

    serving = {"requests": 0, "errors": 0, "latency": [0] * (len(BUCKETS) + 1)}
    for i in range(len(rows)):
        f = serving_facts(i)
        if not f:
            continue
        serving["requests"] += 1
        if "error" in f or f.get("status", 0) >= 500:
            serving["errors"] += 1
        if "latency_seconds" in f:
            lat = f["latency_seconds"]
            bucket = next((k for k, b in enumerate(BUCKETS) if lat <= b), len(BUCKETS))
            serving["latency"][bucket] += 1

    return {
        "projects": ["batch \"b\"", "iris"],
        "batch_project": batch["name"],
        "events_sent": len(events),
        "events_accepted": accepted,
        "first_event": events[0],
        "last_event": events[-1],
        "labels": labels,
        "labels_joined": joined["joined"],
        "snapshot_ids": snapshot_ids,
        "snapshots": snapshots["snapshots"],
        "series": series,
        "api_rules": [r for r in rules["rules"] if r.get("source") == "api"],
        "silences_active": silences["silences"],
        "silence_kept": kept,
        "silence_ended_id": ended["id"],
        "transitions": seen["transitions"],
        # The same numbers as Python's shortest round-trip text, for readers whose JSON
        # parser rounds floats differently from the server that wrote them.
        "exact": {
            "series": {k: [repr(v) for v in vs] for k, vs in series.items()},
            "transition_values": [repr(t["value"]) for t in seen["transitions"]],
        },
        "active_alerts": active["alerts"],
        "serving": serving,
    }


if __name__ == "__main__":
    main()
