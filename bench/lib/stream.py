#!/usr/bin/env python3
"""P3 driver: streaming time to first event and gaps between events, direct vs gateway.

Standard library only (raw sockets, HTTP/1.1 keep-alive, chunked decoding), so the client's own
overhead is small and identical for both targets. Requests alternate direct / gateway so drift on
a noisy machine hits both equally.

Two modes:
- burst: the fake writes all events at once; TTFB added is the gateway's cost before the first
  event; gaps show per-event forwarding cost (direct gaps are ~0, events arrive coalesced).
- paced (--pace-ms N): the fake waits N ms before every event (scripted `slow_stream` faults,
  one per request), as a real model does; a buffering gateway shows up as a TTFB near the whole
  stream's length and gaps near 0.

Prints one line `BENCHJSON {...}` with the figures in microseconds.
"""

import argparse
import json
import socket
import sys
import time
import urllib.parse

now = time.perf_counter_ns


class Conn:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path or "/"
        self.sock = None
        self.buf = b""
        self.t = 0

    def _connect(self):
        self.sock = socket.create_connection((self.host, self.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _more(self):
        data = self.sock.recv(65536)
        self.t = now()
        if not data:
            raise ConnectionError("connection closed")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def stream(self, headers, body):
        """Send one request; return (status, t0, [event arrival times], total)."""
        if self.sock is None:
            self._connect()
        head = f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        for k, v in headers.items():
            head += f"{k}: {v}\r\n"
        head += f"Content-Length: {len(body)}\r\n\r\n"
        t0 = now()
        self.sock.sendall(head.encode() + body)
        while b"\r\n\r\n" not in self.buf:
            self._more()
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        events = []
        sse = b""

        def feed(chunk):
            nonlocal sse
            sse += chunk
            while b"\n\n" in sse:
                ev, sse = sse.split(b"\n\n", 1)
                if b"data:" in ev:
                    events.append(self.t)

        if hdrs.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line() != b"":
                        pass
                    break
                feed(self._take(size))
                self._take(2)
        else:
            feed(self._take(int(hdrs.get("content-length", "0"))))
        if hdrs.get("connection", "").lower() == "close":
            self.sock.close()
            self.sock = None
        return status, t0, events, now() - t0


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def script_faults(fake, n, pace_ms):
    u = urllib.parse.urlparse(fake)
    body = json.dumps([{"kind": "slow_stream", "ms": pace_ms}] * n).encode()
    s = socket.create_connection((u.hostname, u.port))
    s.sendall(
        (
            f"POST /_fake/script HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        + body
    )
    resp = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        resp += d
    s.close()
    if not resp.startswith(b"HTTP/1.1 2"):
        sys.exit(f"stream.py: scripting the fake failed: {resp[:200]!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--direct", required=True, help="fake's chat completions URL")
    ap.add_argument("--gateway", required=True, help="gateway's chat completions URL")
    ap.add_argument("--direct-auth", required=True)
    ap.add_argument("--gateway-auth", required=True)
    ap.add_argument("--fake", required=True, help="fake's base URL (for /_fake/script)")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--words", type=int, default=50)
    ap.add_argument("--pace-ms", type=int, default=0)
    ap.add_argument("--label", default="stream")
    a = ap.parse_args()

    body = json.dumps(
        {
            "model": "gpt-4o-mini",
            "max_tokens": a.words + 10,
            "stream": True,
            "messages": [{"role": "user", "content": f"[[words:{a.words}]] go"}],
        }
    ).encode()
    targets = {
        "direct": (Conn(a.direct), a.direct_auth),
        "gateway": (Conn(a.gateway), a.gateway_auth),
    }
    if a.pace_ms > 0:
        script_faults(a.fake, 2 * (a.runs + a.warmup), a.pace_ms)
    res = {k: {"ttfb": [], "gaps": [], "total": [], "events": [], "bad": 0} for k in targets}
    for i in range(a.runs + a.warmup):
        for name, (conn, auth) in targets.items():
            hdrs = {"Content-Type": "application/json", "Authorization": auth}
            status, t0, events, total = conn.stream(hdrs, body)
            if i < a.warmup:
                continue
            r = res[name]
            if status != 200 or not events:
                r["bad"] += 1
                continue
            r["ttfb"].append(events[0] - t0)
            r["gaps"].extend(b - a_ for a_, b in zip(events, events[1:]))
            r["total"].append(total)
            r["events"].append(len(events))
    if a.pace_ms > 0:
        script_faults(a.fake, 0, a.pace_ms)  # clear whatever is left

    out = {"label": a.label, "runs": a.runs, "words": a.words, "pace_ms": a.pace_ms}
    for name, r in res.items():
        us = lambda v: None if v is None else round(v / 1000.0, 1)  # noqa: E731
        out[name] = {
            "bad": r["bad"],
            "events_min": min(r["events"]) if r["events"] else 0,
            "ttfb_p50_us": us(pct(r["ttfb"], 50)),
            "ttfb_p99_us": us(pct(r["ttfb"], 99)),
            "gap_p50_us": us(pct(r["gaps"], 50)),
            "gap_p99_us": us(pct(r["gaps"], 99)),
            "total_p50_us": us(pct(r["total"], 50)),
        }
    d, g = out["direct"], out["gateway"]
    for k in ("ttfb_p50_us", "ttfb_p99_us", "gap_p50_us", "gap_p99_us", "total_p50_us"):
        if d[k] is not None and g[k] is not None:
            out["added_" + k] = round(g[k] - d[k], 1)
    print("BENCHJSON " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
