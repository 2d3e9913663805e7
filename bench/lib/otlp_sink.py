#!/usr/bin/env python3
"""A loopback OTLP/HTTP sink for bench/run (BENCH_OTLP=1): accepts POST /v1/traces, answers 200,
and keeps a running count of exports and bytes in STATS_FILE (one JSON object, rewritten)."""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, stats_file = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
stats = {"exports": 0, "bytes": 0}


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (http.server's naming)
        n = int(self.headers.get("content-length") or 0)
        self.rfile.read(n)
        with lock:
            stats["exports"] += 1
            stats["bytes"] += n
            with open(stats_file, "w") as f:
                json.dump(stats, f)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Sink).serve_forever()
