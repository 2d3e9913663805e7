#!/usr/bin/env python3
"""Send exactly N requests, one at a time, on one keep-alive connection (for profiling runs).

usage: hammer.py URL AUTH BODY N   → prints `N ok, M failed, T s`.
"""

import http.client
import sys
import time
import urllib.parse

url, auth, body, n = sys.argv[1], sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
headers = {"Authorization": auth, "Content-Type": "application/json"}
ok = bad = 0
t0 = time.perf_counter()
for _ in range(n):
    conn.request("POST", u.path, body, headers)
    r = conn.getresponse()
    r.read()
    if r.status == 200:
        ok += 1
    else:
        bad += 1
print(f"{ok} ok, {bad} failed, {time.perf_counter() - t0:.1f} s", flush=True)
