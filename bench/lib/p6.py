#!/usr/bin/env python3
"""P6 load: N concurrent non-streaming calls spread over several gateway replicas.

usage: p6.py N KEY BODY URL [URL ...]

Opens all N connections first (200 at a time; raw asyncio sockets, HTTP/1.1, `Connection:
close`), then sends every request at once, so that every call's budget reservation overlaps
every other's (the fake provider holds each answer). Prints one JSON object: answers by status,
by error code, and the wall time. Loopback only.
"""

import asyncio
import json
import sys
import time
from urllib.parse import urlsplit


async def one(url, key, body, start, ready, results, connecting):
    u = urlsplit(url)
    try:
        async with connecting:
            reader, writer = await asyncio.open_connection(u.hostname, u.port)
    except OSError as e:
        results.append(("connect_error", f"errno {e.errno}"))
        ready.append(False)
        return
    ready.append(True)
    await start.wait()
    req = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {u.netloc}\r\n"
        f"Authorization: Bearer {key}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    try:
        writer.write(req)
        await writer.drain()
        raw = await reader.read()
    except OSError as e:
        results.append(("io_error", type(e).__name__))
        return
    finally:
        writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        results.append(("bad_response", ""))
        return
    code = ""
    if status != 200:
        if b"transfer-encoding: chunked" in head.lower():
            payload = dechunk(payload)
        try:
            code = json.loads(payload)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = "?"
    results.append((str(status), code))


def dechunk(data):
    out = b""
    while data:
        size, _, rest = data.partition(b"\r\n")
        n = int(size.split(b";")[0] or b"0", 16)
        if n == 0:
            break
        out += rest[:n]
        data = rest[n + 2 :]
    return out


async def main():
    n, key, body, urls = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), sys.argv[4:]
    start = asyncio.Event()
    results, ready = [], []
    # Connections are opened a few hundred at a time, so the listen backlogs never overflow.
    connecting = asyncio.Semaphore(200)
    tasks = [asyncio.create_task(one(urls[i % len(urls)], key, body, start, ready, results,
                                     connecting)) for i in range(n)]
    # Every connection is open (or has failed) before anything is sent; at most 60 s.
    for _ in range(1200):
        if len(ready) >= n:
            break
        await asyncio.sleep(0.05)
    t0 = time.monotonic()
    start.set()
    await asyncio.gather(*tasks)
    by_status, by_code = {}, {}
    for status, code in results:
        by_status[status] = by_status.get(status, 0) + 1
        if code:
            by_code[code] = by_code.get(code, 0) + 1
    print(json.dumps({"n": n, "connected": sum(ready), "by_status": by_status,
                      "by_code": by_code, "seconds": round(time.monotonic() - t0, 3)}))


if __name__ == "__main__":
    asyncio.run(main())
