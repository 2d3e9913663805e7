#!/usr/bin/env python3
"""Turns bench/run's results.jsonl into a Markdown report (and a JSON summary).

usage: report.py RESULTS.jsonl OUT_PREFIX   → OUT_PREFIX.md, OUT_PREFIX.json; prints the Markdown.
Figures are medians over the repetitions; "added" figures are medians of the paired differences
(gateway minus fake, measured back to back in the same repetition).
"""

import json
import statistics
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
prefix = sys.argv[2]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def wrk(kind, target, conns=None):
    return [
        r
        for r in rows
        if r.get("kind") == kind
        and r.get("target") == target
        and (conns is None or r.get("conns") == conns)
    ]


def one(kind):
    for r in rows:
        if r.get("kind") == kind:
            return r
    return None


def ms(us, digits=3):
    return "—" if us is None else f"{us / 1000:.{digits}f} ms"


def num(v, fmt="{:,.0f}"):
    return "—" if v is None else fmt.format(v)


def mb(kb):
    return "—" if not kb else f"{kb / 1024:.1f} MB"


def errors(rs):
    return sum(v for r in rs for k, v in r["wrk"].items() if k.startswith("err_"))


def verdict(value, target, lower_is_better=True):
    if value is None:
        return "not measured"
    ok = value <= target if lower_is_better else value >= target
    if lower_is_better:
        by = (value - target) / target * 100 if target else 0
        return "met" if ok else f"missed by {by:.0f}%"
    by = (target - value) / target * 100
    return "met" if ok else f"missed by {by:.0f}%"


summary = {}
out = []
w = out.append
machine = one("machine") or {}
w(f"# Stoa benchmark run {machine.get('date', '')}")
w("")
w(
    f"Machine: {machine.get('nproc')} cores ({machine.get('cpu')}), {machine.get('mem')} RAM, "
    f"kernel {machine.get('kernel')}; load generator {machine.get('wrk')}"
    + (f", {machine['oha']}" if machine.get("oha") else "")
    + f"; commit {machine.get('commit')} (binary built {machine.get('binary_built')}). wrk runs of {machine.get('duration_s')} s, "
    f"{machine.get('reps')} repetitions, medians shown. Load generator, fake provider and gateway "
    "share the same cores."
)
w("")

# ---- P1
p1f, p1s = wrk("p1", "fake"), wrk("p1", "stoa")
added = {}
for q in ("p50_us", "p99_us", "p999_us"):
    diffs = [s["wrk"][q] - f["wrk"][q] for f, s in zip(p1f, p1s)]
    added[q] = med(diffs)
p1 = {
    "fake": {q: med([r["wrk"][q] for r in p1f]) for q in ("p50_us", "p99_us", "p999_us", "rps")},
    "stoa": {q: med([r["wrk"][q] for r in p1s]) for q in ("p50_us", "p99_us", "p999_us", "rps")},
    "added": added,
    "stoa_cpu_us_per_req": med([r.get("cpu_us_per_req") for r in p1s]),
    "fake_cpu_us_per_req": med([r.get("cpu_us_per_req") for r in p1f]),
}
summary["p1"] = p1

# ---- P2
p2 = {}
for c in (32, 64):
    f, s = wrk("p2", "fake", c), wrk("p2", "stoa", c)
    if not s:
        continue
    p2[c] = {
        "fake_rps": med([r["wrk"]["rps"] for r in f]),
        "stoa_rps": med([r["wrk"]["rps"] for r in s]),
        "stoa_p50_us": med([r["wrk"]["p50_us"] for r in s]),
        "stoa_p99_us": med([r["wrk"]["p99_us"] for r in s]),
        "stoa_p999_us": med([r["wrk"]["p999_us"] for r in s]),
        "stoa_cpu_us_per_req": med([r.get("cpu_us_per_req") for r in s]),
        "fake_cpu_us_per_req": med([r.get("cpu_us_per_req") for r in f]),
        "ledger_rows_per_s": med([r["ledger_rows"] / r["wrk"]["duration_s"] for r in s if "ledger_rows" in r]),
        "ledger_rows_per_req": med([r["ledger_rows"] / max(r["wrk"]["requests"], 1) for r in s if "ledger_rows" in r]),
        "stoa_rss_max_kb": max([r.get("rss_max_kb", 0) for r in s] or [0]),
        "stoa_errors": errors(s),
        "fake_errors": errors(f),
    }
summary["p2"] = p2
best_rps = max([v["stoa_rps"] for v in p2.values()] or [0]) or None

# ---- peers
peers = {}
for name in ("portkey", "litellm"):
    r1 = wrk("p1", name)
    if not r1 and not wrk("p2", name):
        continue
    ver = next((r["version"] for r in rows if r.get("kind") == "peer_version" and r.get("target") == name), "?")
    pr = {"version": ver}
    if r1:
        pr["p1_p50_us"] = r1[0]["wrk"]["p50_us"]
        pr["p1_p99_us"] = r1[0]["wrk"]["p99_us"]
        pr["p1_rps"] = r1[0]["wrk"]["rps"]
    for c in (32, 64):
        rc = wrk("p2", name, c)
        if rc:
            pr[f"p2_rps_{c}"] = rc[0]["wrk"]["rps"]
            pr[f"p2_errors_{c}"] = errors(rc)
            pr[f"p2_p50_us_{c}"] = rc[0]["wrk"]["p50_us"]
    rss = next((r["kb"] for r in rows if r.get("kind") == "peer_rss" and r.get("target") == name), None)
    pr["rss_kb"] = rss
    best = max([pr.get("p2_rps_32") or 0, pr.get("p2_rps_64") or 0]) or None
    pr["best_rps"] = best
    pr["ratio"] = (best_rps / best) if best and best_rps else None
    peers[name] = pr
summary["peers"] = peers

# ---- P3
p3 = {r["pace_ms"]: r["res"] for r in rows if r.get("kind") == "p3"}
summary["p3"] = p3

# ---- P4
rss_idle = (one("rss_idle") or {}).get("kb")
rss_idle_warm = (one("rss_idle_warm") or {}).get("kb")
rss_hwm = (one("rss_hwm_after_p2") or {}).get("kb")
streams = wrk("p4streams", "stoa")
summary["p4"] = {
    "idle_kb": rss_idle,
    "idle_after_warmup_kb": rss_idle_warm,
    "p2_max_kb": max([v["stoa_rss_max_kb"] for v in p2.values()] or [0]) or None,
    "hwm_after_p2_kb": rss_hwm,
    "streams_1000_max_kb": streams[0].get("rss_max_kb") if streams else None,
    "streams_1000_requests": streams[0]["wrk"]["requests"] if streams else None,
    "streams_1000_errors": errors(streams) if streams else None,
}

# ---- P5
p5 = {r["bench"]: r["mb_s"] for r in rows if r.get("kind") == "p5"}
summary["p5"] = p5

# ---- P8
seed = one("p8_seed")
p8 = {}
if seed:
    p8f, p8s = wrk("p1", "fake-p8"), wrk("p1", "stoa-p8")
    p8 = {
        "seed": seed,
        "p1_added_p50_us": med([s["wrk"]["p50_us"] - f["wrk"]["p50_us"] for f, s in zip(p8f, p8s)]),
        "p1_added_p99_us": med([s["wrk"]["p99_us"] - f["wrk"]["p99_us"] for f, s in zip(p8f, p8s)]),
        "p2_rps_64": med([r["wrk"]["rps"] for r in wrk("p2", "stoa-p8", 64)]),
        "rss_kb": (one("rss_p8") or {}).get("kb"),
    }
summary["p8"] = p8

# ---- P9
p9s = [r for r in rows if r.get("kind") == "p9"]
summary["p9"] = p9s

# ---- headline table
w("## Results against the targets")
w("")
w("| id | measure | Stoa (fake alone) | target | verdict |")
w("| --- | --- | --- | --- | --- |")
a = p1["added"]
w(
    f"| P1 | latency added, 1 connection: p50 / p99 / p99.9 | {ms(a['p50_us'])} / {ms(a['p99_us'])} / "
    f"{ms(a['p999_us'])} (gateway {ms(p1['stoa']['p50_us'])} / {ms(p1['stoa']['p99_us'])} / "
    f"{ms(p1['stoa']['p999_us'])}; fake {ms(p1['fake']['p50_us'])} / {ms(p1['fake']['p99_us'])} / "
    f"{ms(p1['fake']['p999_us'])}) | p50 ≤ 0.15 ms, p99 ≤ 0.5 ms | p50 {verdict(a['p50_us'], 150)}, "
    f"p99 {verdict(a['p99_us'], 500)} |"
)
for c, v in p2.items():
    w(
        f"| P2 | throughput, {c} connections | {num(v['stoa_rps'])} req/s, p50 {ms(v['stoa_p50_us'])}, "
        f"p99 {ms(v['stoa_p99_us'])}, p99.9 {ms(v['stoa_p999_us'])} (fake {num(v['fake_rps'])} req/s) | "
        f"≥ 8 000 req/s | {verdict(v['stoa_rps'], 8000, False)} |"
    )
for name, pr in peers.items():
    want = 10 if name == "portkey" else 100
    ratio = pr.get("ratio")
    w(
        f"| P2 | vs {name} {pr['version']} (best of 32/64 connections) | "
        f"{'—' if ratio is None else f'{ratio:.1f}×'} ({num(best_rps)} vs {num(pr.get('best_rps'))} req/s) | "
        f"≥ {want}× | {verdict(ratio, want, False)} |"
    )
for pace, label in ((0, "burst"), (1, "paced 1 ms")):
    r = p3.get(pace)
    if not r:
        continue
    w(
        f"| P3 | streaming ({label}): TTFB added p50 / p99 | {ms(r.get('added_ttfb_p50_us'))} / "
        f"{ms(r.get('added_ttfb_p99_us'))} | p99 ≤ 1 ms | {verdict(r.get('added_ttfb_p99_us'), 1000)} |"
    )
    w(
        f"| P3 | streaming ({label}): gap added p50 / p99 | {ms(r.get('added_gap_p50_us'))} / "
        f"{ms(r.get('added_gap_p99_us'))} | p99 ≤ 0.2 ms | {verdict(r.get('added_gap_p99_us'), 200)} |"
    )
r = p3.get(1)
if r:
    g, d = r["gateway"], r["direct"]
    buffered = g["events_min"] < d["events_min"] or (
        g["ttfb_p50_us"] is not None and g["ttfb_p50_us"] > 0.5 * (g["total_p50_us"] or 1)
    )
    w(
        f"| P3 | never buffered (paced: events per stream, TTFB vs whole stream) | gateway "
        f"{g['events_min']} events, TTFB {ms(g['ttfb_p50_us'])} of {ms(g['total_p50_us'])}; direct "
        f"{d['events_min']} events | not buffered | {'missed (buffered)' if buffered else 'met'} |"
    )
p4 = summary["p4"]
w(
    f"| P4 | RSS idle (after start-up and set-up) | {mb(p4['idle_kb'])} (after warm-up "
    f"{mb(p4['idle_after_warmup_kb'])}) | ≤ 30 MB | {verdict((p4['idle_kb'] or 0) / 1024 or None, 30)} |"
)
w(f"| P4 | RSS under P2 load (max sampled; peak VmHWM) | {mb(p4['p2_max_kb'])} (VmHWM {mb(p4['hwm_after_p2_kb'])}) | — | — |")
if p4["streams_1000_max_kb"]:
    w(
        f"| P4 | RSS with 1 000 concurrent streams | {mb(p4['streams_1000_max_kb'])} "
        f"({p4['streams_1000_requests']} streams in 8 s, {p4['streams_1000_errors']} errors) | ≤ 150 MB | "
        f"{verdict(p4['streams_1000_max_kb'] / 1024, 150)} |"
    )
if p5:
    def size_key(k):
        name, _, size = k.partition("/")
        digits = "".join(c for c in size if c.isdigit())
        return (name, int(digits) if digits else 0)

    for k in sorted(p5, key=size_key):
        if k.startswith("redact"):
            continue
        w(f"| P5 | PII scan `{k}` (criterion, one core) | {p5[k]:.0f} MB/s | ≥ 200 MB/s | {verdict(p5[k], 200, False)} |")
else:
    w("| P5 | PII scan throughput | not measured | ≥ 200 MB/s | not measured |")
w("| P6 | budget correctness over 2 replicas | not measured by this harness (cluster mode) | 0 over | not measured |")
v64 = p2.get(64) or p2.get(32)
if v64:
    w(
        f"| P7 | ledger entries appended per second during P2 ({64 if 64 in p2 else 32} connections) | "
        f"{num(v64['ledger_rows_per_s'])} /s ({v64['ledger_rows_per_req']:.2f} per request) | ≥ 20 000 /s | "
        f"{verdict(v64['ledger_rows_per_s'], 20000, False)} (bounded by P2's request rate) |"
    )
if p8:
    s = p8["seed"]
    base64 = (p2.get(64) or {}).get("stoa_rps")
    d2 = (p8["p2_rps_64"] / base64 - 1) * 100 if base64 and p8["p2_rps_64"] else None
    d1 = (p8["p1_added_p50_us"] / a["p50_us"] - 1) * 100 if a["p50_us"] and p8["p1_added_p50_us"] else None
    w(
        f"| P8 | with {s['tenants']:,} tenants, {s['api_keys']:,} keys, {s['ledger_rows']:,} ledger rows: "
        f"P1 added p50 / p99; P2 at 64 | {ms(p8['p1_added_p50_us'])} / {ms(p8['p1_added_p99_us'])}; "
        f"{num(p8['p2_rps_64'])} req/s (before: {ms(a['p50_us'])} / {ms(a['p99_us'])}; {num(base64)} req/s) | "
        f"unchanged | P1 p50 {'—' if d1 is None else f'{d1:+.0f}%'}, P2 {'—' if d2 is None else f'{d2:+.0f}%'} "
        + ("(within 10%)" if d1 is not None and d2 is not None and abs(d1) <= 10 and abs(d2) <= 10 else "")
        + " |"
    )
else:
    w("| P8 | scale of state | not measured | P1, P2 unchanged | not measured |")
for p9 in p9s:
    res = p9["res"]
    w(
        f"| P9 | start-up to /readyz 200, existing {p9.get('data', '')} data dir ({p9['ledger_rows']:,} ledger rows), "
        f"median of {res['runs']} | {res['median_ms']:.1f} ms (min {res['min_ms']:.1f}, max {res['max_ms']:.1f}) | "
        f"≤ 100 ms | {verdict(res['median_ms'], 100)} |"
    )
w("")

# ---- details
w("## Detail")
w("")
w("| run | req/s | p50 | p99 | p99.9 | gateway CPU per request | errors |")
w("| --- | --- | --- | --- | --- | --- | --- |")
w(
    f"| P1 fake, 1 conn | {num(p1['fake']['rps'])} | {ms(p1['fake']['p50_us'])} | {ms(p1['fake']['p99_us'])} | "
    f"{ms(p1['fake']['p999_us'])} | (fake {num(p1['fake_cpu_us_per_req'], '{:.0f}')} µs) | {errors(p1f)} |"
)
w(
    f"| P1 Stoa, 1 conn | {num(p1['stoa']['rps'])} | {ms(p1['stoa']['p50_us'])} | {ms(p1['stoa']['p99_us'])} | "
    f"{ms(p1['stoa']['p999_us'])} | {num(p1['stoa_cpu_us_per_req'], '{:.0f}')} µs | {errors(p1s)} |"
)
for c, v in p2.items():
    fr = wrk("p2", "fake", c)
    w(
        f"| P2 fake, {c} conns | {num(v['fake_rps'])} | {ms(med([r['wrk']['p50_us'] for r in fr]))} | "
        f"{ms(med([r['wrk']['p99_us'] for r in fr]))} | {ms(med([r['wrk']['p999_us'] for r in fr]))} | "
        f"(fake {num(v['fake_cpu_us_per_req'], '{:.0f}')} µs) | {v['fake_errors']} |"
    )
    w(
        f"| P2 Stoa, {c} conns | {num(v['stoa_rps'])} | {ms(v['stoa_p50_us'])} | {ms(v['stoa_p99_us'])} | "
        f"{ms(v['stoa_p999_us'])} | {num(v['stoa_cpu_us_per_req'], '{:.0f}')} µs | {v['stoa_errors']} |"
    )
for name, pr in peers.items():
    w(
        f"| {name} {pr['version']}, 1 conn | {num(pr.get('p1_rps'))} | {ms(pr.get('p1_p50_us'))} | "
        f"{ms(pr.get('p1_p99_us'))} | — | — | — |"
    )
    for c in (32, 64):
        if f"p2_rps_{c}" in pr:
            w(
                f"| {name}, {c} conns | {num(pr[f'p2_rps_{c}'])} | {ms(pr[f'p2_p50_us_{c}'])} | — | — | — | "
                f"{pr[f'p2_errors_{c}']} |"
            )
if p8:
    for r in wrk("p2", "stoa-p8", 64)[:1]:
        pass
    p8s_rows = wrk("p1", "stoa-p8")
    w(
        f"| P8 Stoa, 1 conn | {num(med([r['wrk']['rps'] for r in p8s_rows]))} | "
        f"{ms(med([r['wrk']['p50_us'] for r in p8s_rows]))} | {ms(med([r['wrk']['p99_us'] for r in p8s_rows]))} | "
        f"{ms(med([r['wrk']['p999_us'] for r in p8s_rows]))} | "
        f"{num(med([r.get('cpu_us_per_req') for r in p8s_rows]), '{:.0f}')} µs | {errors(p8s_rows)} |"
    )
    r64 = wrk("p2", "stoa-p8", 64)
    w(
        f"| P8 Stoa, 64 conns | {num(p8['p2_rps_64'])} | {ms(med([r['wrk']['p50_us'] for r in r64]))} | "
        f"{ms(med([r['wrk']['p99_us'] for r in r64]))} | {ms(med([r['wrk']['p999_us'] for r in r64]))} | "
        f"{num(med([r.get('cpu_us_per_req') for r in r64]), '{:.0f}')} µs | {errors(r64)} |"
    )
w("")
if p3:
    w("| P3 streaming, 50 events | runs | TTFB p50 | TTFB p99 | gap p50 | gap p99 | stream p50 |")
    w("| --- | --- | --- | --- | --- | --- | --- |")
    for pace, r in sorted(p3.items()):
        for t in ("direct", "gateway"):
            x = r[t]
            w(
                f"| {'burst' if pace == 0 else f'paced {pace} ms'}, {t} | {r['runs']} | {ms(x['ttfb_p50_us'])} | "
                f"{ms(x['ttfb_p99_us'])} | {ms(x['gap_p50_us'])} | {ms(x['gap_p99_us'])} | {ms(x['total_p50_us'])} |"
            )
    w("")
if seed:
    w(
        f"P8 seeding: {seed['tenants']:,} tenants and {seed['api_keys']:,} API keys through the API in "
        f"{seed['seconds']} s."
    )
    w("")
for p9 in p9s:
    w(f"P9 start-ups, {p9.get('data', '')} data dir (ms): {', '.join(str(t) for t in p9['res']['all_ms'])}.")
    w("")
oha = [r for r in rows if r.get("kind") == "oha"]
if oha:
    w("Second load generator (oha, same body and headers, one run each):")
    w("")
    w("| oha run | req/s | p50 | p99 | p99.9 | success |")
    w("| --- | --- | --- | --- | --- | --- |")
    for r in oha:
        w(f"| {r['target']}, {r['conns']} conn | {num(r['rps'])} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | "
          f"{ms(r.get('p999_us'))} | {r.get('success')} |")
    w("")
notes = [r for r in rows if r.get("kind") == "note"]
if notes:
    w("## Not measured / failures")
    w("")
    for n in notes:
        w(f"- {n['text']}")
    w("")

md = "\n".join(out)
open(prefix + ".md", "w").write(md + "\n")
json.dump(summary, open(prefix + ".json", "w"), indent=1, default=str)
print(md)
