#!/usr/bin/env python3
"""Opens many idle connections to a fresh `modelwatch serve` on loopback and measures how
long the server takes to close them and how /healthz answers meanwhile, from a connection
opened before the flood and from fresh connections.

    python3 bench/idle_connections.py target/release/modelwatch [--connections 2000]

Bounded: gives up after --limit seconds (60)."""

import argparse
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time


def healthz(sock):
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: b\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        got += chunk
    head, _, body = got.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        body += sock.recv(4096)
    return head.split(b" ", 2)[1].decode()


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("--connections", type=int, default=2000)
    p.add_argument("--limit", type=float, default=60.0)
    a = p.parse_args()

    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.connections + 512), hard))

    tmp = tempfile.mkdtemp()
    config = os.path.join(tmp, "modelwatch.toml")
    with open(config, "w") as f:
        f.write(f'listen = "127.0.0.1:0"\ndb = "{tmp}/m.db"\n')
    server = subprocess.Popen(
        [a.binary, "serve", "--config", config],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "RUST_LOG": "warn"},
        text=True,
    )
    try:
        line = server.stderr.readline()
        url = next(w for w in line.split() if w.startswith("http://"))
        host, port = url[len("http://") :].rstrip("/").split(":")
        addr = (host, int(port))
        threading.Thread(target=lambda: server.stderr.read(), daemon=True).start()

        kept = socket.create_connection(addr, timeout=30)
        healthz(kept)

        start = time.monotonic()
        idle, refused = [], 0
        kept_ms = []

        def probe_kept():
            t = time.monotonic()
            healthz(kept)
            kept_ms.append((time.monotonic() - t) * 1000)

        for i in range(a.connections):
            if i % 100 == 0:
                probe_kept()
            s = socket.socket()
            s.settimeout(1.0)
            try:
                s.connect(addr)
                s.setblocking(False)
                idle.append(s)
            except OSError:
                refused += 1
                s.close()
        opened = time.monotonic() - start

        fresh = []

        def probe_fresh():
            while time.monotonic() - start < a.limit:
                t = time.monotonic()
                try:
                    with socket.create_connection(addr, timeout=a.limit) as s:
                        healthz(s)
                    fresh.append(time.monotonic() - t)
                except OSError:
                    fresh.append(float("inf"))
                time.sleep(0.5)

        threading.Thread(target=probe_fresh, daemon=True).start()

        sel = selectors.DefaultSelector()
        for s in idle:
            sel.register(s, selectors.EVENT_READ)
        closed_at = []
        last_probe = 0.0
        while len(closed_at) < len(idle) and time.monotonic() - start < a.limit:
            for key, _ in sel.select(timeout=0.1):
                try:
                    data = key.fileobj.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                    closed_at.append(time.monotonic() - start)
            if time.monotonic() - last_probe > 0.25:
                last_probe = time.monotonic()
                probe_kept()
        print(
            f"connections opened: {len(idle)} (failed to connect: {refused}) in {opened:.2f} s"
        )
        print(
            f"closed by the server: {len(closed_at)}; half by {percentile(closed_at, 0.5):.1f} s,"
            f" all by {max(closed_at, default=float('nan')):.1f} s"
        )
        print(
            f"/healthz on a connection opened before: {len(kept_ms)} probes,"
            f" p50 {percentile(kept_ms, 0.5):.1f} ms, max {max(kept_ms, default=float('nan')):.1f} ms"
        )
        print(
            f"/healthz on fresh connections: {len(fresh)} probes,"
            f" p50 {percentile(fresh, 0.5) * 1000:.0f} ms, max {max(fresh, default=float('nan')) * 1000:.0f} ms"
        )
    finally:
        server.terminate()
        server.wait(timeout=40)


if __name__ == "__main__":
    sys.exit(main())
