#!/usr/bin/env python3
"""What one maximal ingest body costs a running `modelwatch serve`: peak memory of the
process, memory still held afterwards, the big request's own answer and time, and the
latency of one-event requests sent by another client while the big body is ingested.

    python3 bench/ingest_memory.py target/release/modelwatch [--before OTHER_BINARY]

With --before, the same bodies are sent to both binaries, side by side in one run. Each
scenario starts a fresh server (so its peak resident memory, VmHWM, is the scenario's own)
with the iris project of examples/, and stops it afterwards. Bodies (all under the default
16 MiB body limit):

- csv_many_rows: 7 million one-column rows ("1\\n" each), the body of the report;
- json_many_rows: a JSON array of 5 million empty objects;
- csv_at_row_limit / json_at_row_limit: 100,000 full iris rows (the default row limit)
  padded with an unknown text column to nearly 16 MiB, the largest body a server with
  default settings accepts;
- json_at_row_limit_x8: eight clients sending that JSON body at once.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_BODY = 16 * 1024 * 1024


def bodies():
    out = {}
    out["csv_many_rows"] = ("text/csv", b"sepal_length\n" + b"1\n" * 7_000_000)
    out["json_many_rows"] = (
        "application/json",
        b"[" + b",".join([b"{}"] * 5_000_000) + b"]",
    )
    rows = 100_000
    header = "sepal_length,sepal_width,petal_length,petal_width,prediction,note\n"
    fixed = "5.1,3.5,1.4,0.2,setosa,"
    pad = (MAX_BODY - len(header) - 4096) // rows - len(fixed) - 1
    csv = header + "".join(f"{fixed}{'x' * pad}\n" for _ in range(rows))
    out["csv_at_row_limit"] = ("text/csv", csv.encode())
    obj = '{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2,"prediction":"setosa","note":"'
    pad = (MAX_BODY - 4096) // rows - len(obj) - 3
    js = "[" + ",".join(obj + "x" * pad + '"}' for _ in range(rows)) + "]"
    out["json_at_row_limit"] = ("application/json", js.encode())
    for name, (_, body) in out.items():
        assert len(body) < MAX_BODY, (name, len(body))
    return out


CONCURRENT = {"json_at_row_limit_x8": ("json_at_row_limit", 8)}


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def post(url, body, content_type, timeout=120):
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def scenario(binary, content_type, body, copies=1):
    tmp = tempfile.mkdtemp()
    config = os.path.join(tmp, "modelwatch.toml")
    reference = os.path.join(ROOT, "examples", "iris", "reference.csv")
    with open(config, "w") as f:
        f.write(
            f'listen = "127.0.0.1:0"\ndb = "{tmp}/m.db"\n'
            f'[[projects]]\nname = "iris"\nreference = "{reference}"\n'
            f'[projects.columns]\nprediction = "prediction"\n'
        )
    server = subprocess.Popen(
        [binary, "serve", "--config", config],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "RUST_LOG": "warn"},
        text=True,
    )
    try:
        url = None
        while url is None:
            line = server.stderr.readline()
            if not line:
                raise RuntimeError("the server did not start")
            url = next((w for w in line.split() if w.startswith("http://")), None)
        threading.Thread(target=lambda: server.stderr.read(), daemon=True).start()
        events = url.rstrip("/") + "/api/v1/projects/iris/events"
        small = json.dumps({"sepal_length": 5.0, "prediction": "setosa"}).encode()
        post(events, small, "application/json")
        before = rss_kib(server.pid, "VmRSS")

        done = threading.Event()
        small_ms = []
        small_refused = []

        def small_requests():
            while not done.is_set():
                t = time.monotonic()
                status, _ = post(events, small, "application/json")
                small_ms.append((time.monotonic() - t) * 1000)
                if status != 200:
                    small_refused.append(status)
                time.sleep(0.02)

        side = threading.Thread(target=small_requests, daemon=True)
        side.start()
        time.sleep(0.2)
        t = time.monotonic()
        answers = [None] * copies

        def send(i):
            answers[i] = post(events, body, content_type)

        senders = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
        for th in senders:
            th.start()
        for th in senders:
            th.join()
        big_s = time.monotonic() - t
        status, answer = answers[0]
        if copies > 1:
            statuses = sorted({a[0] for a in answers})
            status = "/".join(str(x) for x in statuses)
            answer = json.dumps(
                {"accepted": sum(json.loads(a[1]).get("accepted", 0) for a in answers)}
            ).encode()
        done.set()
        side.join()
        time.sleep(2.0)
        after = rss_kib(server.pid, "VmRSS")
        peak = rss_kib(server.pid, "VmHWM")
        try:
            accepted = json.loads(answer).get("accepted")
            error = json.loads(answer).get("error", "")
        except ValueError:
            accepted, error = None, answer[:80].decode(errors="replace")
        return {
            "status": status,
            "accepted": accepted,
            "error": error,
            "big_s": big_s,
            "rss_before_mb": before / 1024,
            "peak_mb": peak / 1024,
            "after_mb": after / 1024,
            "small_n": len(small_ms),
            "small_refused": len(small_refused),
            "small_p50_ms": statistics.median(small_ms) if small_ms else float("nan"),
            "small_max_ms": max(small_ms) if small_ms else float("nan"),
        }
    finally:
        server.terminate()
        server.wait(timeout=60)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("--before", help="a second binary to measure side by side")
    a = p.parse_args()
    binaries = [("before", a.before)] if a.before else []
    binaries.append(("this", a.binary))
    print(
        "| body | size | binary | answer | time | peak RSS | RSS 2 s after |"
        " one-event requests meanwhile: n (not 200), p50, max |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    all_bodies = bodies()
    runs = [(name, ct, body, 1) for name, (ct, body) in all_bodies.items()]
    for name, (base, copies) in CONCURRENT.items():
        ct, body = all_bodies[base]
        runs.append((name, ct, body, copies))
    for name, content_type, body, copies in runs:
        for label, binary in binaries:
            r = scenario(binary, content_type, body, copies)
            answer = f"{r['status']}"
            if r["accepted"] is not None:
                answer += f", {r['accepted']} accepted"
            elif r["error"]:
                answer += f" ({r['error'][:60]})"
            print(
                f"| {name} | {copies} x {len(body) / 2**20:.1f} MiB | {label} | {answer} |"
                f" {r['big_s']:.2f} s | {r['peak_mb']:.0f} MB (start {r['rss_before_mb']:.0f}) |"
                f" {r['after_mb']:.0f} MB | {r['small_n']} ({r['small_refused']} not 200),"
                f" {r['small_p50_ms']:.1f} ms,"
                f" {r['small_max_ms']:.0f} ms |",
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main())
