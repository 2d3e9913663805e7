#!/usr/bin/env python3
"""P9 driver: time from spawning `stoa serve` to the first `GET /readyz` answered 200.

The environment (STOA_DATA_DIR, STOA_LISTEN, provider variables) is inherited; the data dir must
already exist (bootstrapped, migrated). Polls every 0.5 ms with a raw socket. Each start is
stopped with SIGTERM and awaited before the next. Prints `BENCHJSON {...}` (milliseconds).
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def ready(host, port):
    try:
        s = socket.create_connection((host, port), timeout=0.5)
    except OSError:
        return False
    try:
        s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while b"\r\n" not in data:
            d = s.recv(4096)
            if not d:
                break
            data += d
        return data.startswith(b"HTTP/1.1 200")
    except OSError:
        return False
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--timeout-s", type=float, default=20.0)
    a = ap.parse_args()
    host, _, port = os.environ["STOA_LISTEN"].rpartition(":")
    port = int(port)
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(
            [a.bin, "serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        ok = False
        while time.perf_counter() - t0 < a.timeout_s:
            if ready(host, port):
                ok = True
                break
            if p.poll() is not None:
                break
            time.sleep(0.0005)
        elapsed = (time.perf_counter() - t0) * 1000.0
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        if not ok:
            sys.exit(f"startup.py: no /readyz 200 within {a.timeout_s}s (exit {p.returncode})")
        times.append(elapsed)
        time.sleep(0.2)
    out = {
        "runs": a.runs,
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "all_ms": [round(t, 1) for t in times],
    }
    print("BENCHJSON " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
