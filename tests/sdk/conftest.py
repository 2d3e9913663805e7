"""The real-client suite: Stoa's SDK-compatible endpoints driven by the official OpenAI,
Anthropic and Google GenAI Python SDKs.

One session starts, as subprocesses on free 127.0.0.1 ports, the fake provider (`stoa-fake
--record`), a second keyless fake as the local fallback model, and the gateway (`stoa serve`)
on a throwaway data directory; it creates the tenants and API keys the tests use and tears all
of it down at the end. Nothing is built here: `scripts/test` runs `cargo build` first (set
`STOA_BIN_DIR` to use binaries from elsewhere).

Every HTTP exchange of the SDK clients goes through a recording transport, and after every
test the recorded response headers and bodies are searched for the provider keys the gateway
holds (random canaries): a key that reaches an SDK fails the test that saw it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from google import genai
from google.genai import types as genai_types

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0

# Provider keys the gateway holds. Random per session so a match can only be a leak.
_NONCE = secrets.token_hex(8)
CANARIES = {
    "OPENAI_API_KEY": f"sk-canary-openai-{_NONCE}",
    "ANTHROPIC_API_KEY": f"sk-ant-canary-{_NONCE}",
    "GEMINI_API_KEY": f"AIzaCanaryGemini{_NONCE}",
}
# The fragments searched for: each whole key, and the random part they share (catches a key
# that comes back truncated, re-encoded around its prefix, or partly masked).
LEAK_NEEDLES = sorted(set(CANARIES.values()) | {_NONCE})

# Local, never through a proxy.
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(x for x in (os.environ.get(_var), "127.0.0.1", "localhost") if x)


def _bin_dir() -> Path:
    if os.environ.get("STOA_BIN_DIR"):
        return Path(os.environ["STOA_BIN_DIR"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not target.is_absolute():
        target = ROOT / target
    return target / "debug"


# ---------------------------------------------------------------------------------------------
# Subprocesses


class Proc:
    """A child process with stdout/stderr in files, started and awaited by a banner line."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logdir: Path):
        self.name = name
        self.argv = argv
        self.out_path = logdir / f"{name}.stdout"
        self.err_path = logdir / f"{name}.stderr"
        if not Path(argv[0]).is_file():
            pytest.fail(
                f"{argv[0]} is missing: build first (`cargo build -p stoa -p stoa-fake`, "
                "which scripts/test does)",
                pytrace=False,
            )
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.popen = subprocess.Popen(
            argv, env=env, stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL,
            cwd=logdir,
        )

    def logs(self) -> str:
        out = self.out_path.read_text(errors="replace")
        err = self.err_path.read_text(errors="replace")
        return f"--- {self.name} stdout ---\n{out[-4000:]}\n--- {self.name} stderr ---\n{err[-8000:]}"

    def wait_for_url(self, pattern: str) -> str:
        """Waits for `pattern` (one group: host:port) on stdout; fails with the logs."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            m = rx.search(self.out_path.read_text(errors="replace"))
            if m:
                return f"http://{m.group(1)}"
            if self.popen.poll() is not None:
                pytest.fail(
                    f"{self.name} exited with {self.popen.returncode} before it listened: "
                    f"{' '.join(self.argv)}\n{self.logs()}",
                    pytrace=False,
                )
            time.sleep(0.02)
        pytest.fail(f"{self.name} did not start in {START_TIMEOUT_S}s\n{self.logs()}", pytrace=False)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._out.close()
        self._err.close()


# ---------------------------------------------------------------------------------------------
# Plain HTTP for the control side (admin API, fake control); never through the SDKs.

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None):
    """(status, parsed JSON or text, headers)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with _OPENER.open(req, timeout=15) as resp:
            status, raw, hdrs = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        status, raw, hdrs = e.code, e.read(), e.headers
    text = raw.decode(errors="replace")
    try:
        parsed: Any = json.loads(text) if text else None
    except ValueError:
        parsed = text
    return status, parsed, hdrs


# ---------------------------------------------------------------------------------------------
# What the SDKs see


@dataclass
class Exchange:
    method: str
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytearray


@dataclass
class Recorder:
    exchanges: list[Exchange] = field(default_factory=list)
    checked: int = 0

    def unchecked(self) -> list[Exchange]:
        new = self.exchanges[self.checked :]
        self.checked = len(self.exchanges)
        return new


class _Tee(httpx2.SyncByteStream):
    """Passes the response body to the SDK and keeps a copy, as the SDK reads it."""

    def __init__(self, inner: httpx2.SyncByteStream, sink: bytearray):
        self._inner, self._sink = inner, sink

    def __iter__(self):
        for chunk in self._inner:
            self._sink.extend(chunk)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class RecordingTransport(httpx2.BaseTransport):
    def __init__(self, recorder: Recorder):
        self._inner = httpx2.HTTPTransport(trust_env=False)
        self._rec = recorder

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self._inner.handle_request(request)
        ex = Exchange(
            request.method, str(request.url), response.status_code,
            list(response.headers.multi_items()), bytearray(),
        )
        self._rec.exchanges.append(ex)
        response.stream = _Tee(response.stream, ex.body)
        return response

    def close(self) -> None:
        self._inner.close()


def find_leaks(text: str) -> list[str]:
    return [n for n in LEAK_NEEDLES if n in text]


# ---------------------------------------------------------------------------------------------
# The stack


@dataclass
class Stack:
    url: str  # the gateway, http://127.0.0.1:PORT
    fake_url: str
    local_url: str
    admin: str  # a cpi-admin JWT
    key: str  # devops API key of tenant `acme`
    broke_key: str  # devops API key of tenant `broke`, whose daily budget is 1 token
    recorder: Recorder
    procs: list[Proc]

    # -- the fake provider
    def script(self, faults: list[dict], local: bool = False) -> None:
        s, b, _ = http("POST", f"{self.local_url if local else self.fake_url}/_fake/script", faults)
        assert s < 300, f"fake script: {s} {b}"

    def fake_requests(self, local: bool = False) -> list[dict]:
        s, b, _ = http("GET", f"{self.local_url if local else self.fake_url}/_fake/requests")
        assert s == 200, f"fake requests: {s} {b}"
        return b

    def clear_requests(self) -> None:
        for base in (self.fake_url, self.local_url):
            http("DELETE", f"{base}/_fake/requests")

    # -- the gateway's admin API
    def admin_call(self, method: str, path: str, body: Any = None, tenant: str | None = None):
        headers = {"authorization": f"Bearer {self.admin}"}
        if tenant:
            headers["x-stoa-tenant"] = tenant
        return http(method, f"{self.url}{path}", body, headers)

    def logs(self) -> str:
        return "\n".join(p.logs() for p in self.procs)

    def last_body(self) -> str:
        """The raw body of the last response an SDK received (SSE text for a stream)."""
        return self.recorder.exchanges[-1].body.decode()

    # -- SDK clients (no SDK retries; every exchange recorded)
    def http_client(self) -> httpx2.Client:
        return httpx2.Client(transport=RecordingTransport(self.recorder), timeout=20.0)

    def openai(self, key: str | None = None, **kw) -> openai.OpenAI:
        return openai.OpenAI(
            api_key=key or self.key, base_url=f"{self.url}/v1", max_retries=0,
            http_client=self.http_client(), **kw,
        )

    def anthropic(self, key: str | None = None, **kw) -> anthropic.Anthropic:
        return anthropic.Anthropic(
            api_key=key or self.key, base_url=self.url, max_retries=0,
            http_client=self.http_client(), **kw,
        )

    def genai(self, key: str | None = None) -> genai.Client:
        return genai.Client(
            api_key=key or self.key,
            http_options=genai_types.HttpOptions(
                base_url=self.url, httpx_client=self.http_client(),
            ),
        )


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    bins = _bin_dir()
    stoa_bin, fake_bin = str(bins / "stoa"), str(bins / "stoa-fake")
    logdir = tmp_path_factory.mktemp("stack")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("STOA_", "CHAT_"))}
    for k in CANARIES:
        base_env.pop(k, None)
    procs: list[Proc] = []
    try:
        fake = Proc("fake", [fake_bin, "--listen", "127.0.0.1:0", "--record"], base_env, logdir)
        procs.append(fake)
        local = Proc(
            "local-fake", [fake_bin, "--listen", "127.0.0.1:0", "--record", "--keyless"],
            base_env, logdir,
        )
        procs.append(local)
        fake_url = fake.wait_for_url(r"stoa-fake listening on http://(\S+)")
        local_url = local.wait_for_url(r"stoa-fake listening on http://(\S+)")

        data_dir = logdir / "data"
        data_dir.mkdir()
        env = dict(base_env)
        env.update(CANARIES)
        env.update({
            "STOA_DATA_DIR": str(data_dir),
            # Port 0: the address is read from the banner. The built-in issuer's URL is
            # derived from STOA_LISTEN, identical for `serve` and `token issue`.
            "STOA_LISTEN": "127.0.0.1:0",
            "STOA_OPENAI_BASE_URL": fake_url,
            "STOA_ANTHROPIC_BASE_URL": fake_url,
            "STOA_GEMINI_BASE_URL": fake_url,
            "STOA_LOCAL_LLM_URL": local_url,
            "STOA_LOCAL_MODEL": "llama-local",
            "STOA_PROVIDER_MAX_RETRY_WAIT_MS": "2000",
            "STOA_LOG": "info",
        })
        gw = Proc("stoa", [stoa_bin, "serve"], env, logdir)
        procs.append(gw)
        url = gw.wait_for_url(r"Stoa listening on http://(\S+)")

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                status, body, _ = http("GET", f"{url}/readyz")
            except OSError as e:
                status, body = None, repr(e)
            if status == 200:
                break
            if gw.popen.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gateway not ready: /readyz {status} {body}\n{gw.logs()}", pytrace=False)
            time.sleep(0.05)

        issued = subprocess.run(
            [stoa_bin, "token", "issue", "--role", "cpi-admin", "--sub", "admin", "--ttl", "1h"],
            env=env, capture_output=True, text=True, timeout=60, cwd=logdir,
        )
        if issued.returncode != 0 or not issued.stdout.strip():
            pytest.fail(
                f"stoa token issue failed ({issued.returncode}):\n{issued.stderr}\n{gw.logs()}",
                pytrace=False,
            )
        admin = issued.stdout.strip().splitlines()[-1]

        def must(method, path, body=None, tenant=None, expect=(200, 201)):
            headers = {"authorization": f"Bearer {admin}"}
            if tenant:
                headers["x-stoa-tenant"] = tenant
            s, b, _ = http(method, f"{url}{path}", body, headers)
            if s not in expect:
                pytest.fail(f"{method} {path} -> {s} {b}\n{gw.logs()}", pytrace=False)
            return b

        keys = {}
        for tenant, name in (("acme", "Acme"), ("broke", "Broke Ltd")):
            must("POST", "/v1/tenants", {"id": tenant, "name": name})
            keys[tenant] = must(
                "POST", "/v1/api-keys", {"name": "sdk", "role": "devops"}, tenant=tenant
            )["key"]
        must("PUT", "/v1/chat/settings", {"daily_token_budget": 1}, tenant="broke")

        st = Stack(
            url=url, fake_url=fake_url, local_url=local_url, admin=admin, key=keys["acme"],
            broke_key=keys["broke"], recorder=Recorder(), procs=procs,
        )
    except BaseException:
        for p in reversed(procs):
            p.stop()
        raise
    yield st
    for p in reversed(procs):
        p.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_canary_reaches_an_sdk(stack: Stack):
    """Runs every test on a clean fake (no script, no recorded requests); afterwards, fails
    the test if any response an SDK received (status line aside: headers and body) contains
    one of the gateway's provider keys."""
    stack.script([])
    stack.script([], local=True)
    stack.clear_requests()
    stack.recorder.unchecked()
    yield
    stack.script([])
    stack.script([], local=True)
    leaks = []
    for ex in stack.recorder.unchecked():
        seen = "\n".join(f"{k}: {v}" for k, v in ex.headers) + "\n" + ex.body.decode(errors="replace")
        for needle in find_leaks(seen):
            leaks.append(f"{ex.method} {ex.url} -> {ex.status}: contains {needle!r}\n{seen[:2000]}")
    assert not leaks, "a provider key reached an SDK:\n" + "\n".join(leaks)


def assert_no_leak(*texts: Any) -> None:
    """For what the SDK derives itself (exception messages, parsed objects)."""
    for t in texts:
        s = t if isinstance(t, str) else repr(t)
        assert not find_leaks(s), f"provider key in SDK-visible text: {s[:2000]}"


def pytest_configure(config):
    config.addinivalue_line("markers", "last: run after every other test of the session")


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)
