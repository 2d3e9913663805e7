"""The provider keys the gateway holds never reach an SDK.

Every test is already checked by the autouse fixture in conftest.py (all response headers and
bodies the SDKs received). Here: the canaries are live (the provider really receives them, so
their absence is meaningful), a provider that echoes the key back in an error is contained, and
a last sweep over the whole session.
"""

import anthropic
import openai
import pytest
from google.genai import errors as genai_errors

from conftest import CANARIES, LEAK_NEEDLES, Stack, assert_no_leak, find_leaks, http

HI = [{"role": "user", "content": "hi"}]


def test_provider_receives_the_canaries(stack: Stack):
    stack.openai().chat.completions.create(model="gpt-4o-mini", messages=HI)
    stack.anthropic().messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=HI)
    stack.genai().models.generate_content(model="gemini-2.0-flash", contents="hi")
    o, a, g = stack.fake_requests()
    assert o["headers"]["authorization"] == f"Bearer {CANARIES['OPENAI_API_KEY']}"
    assert a["headers"]["x-api-key"] == CANARIES["ANTHROPIC_API_KEY"]
    assert g["headers"]["x-goog-api-key"] == CANARIES["GEMINI_API_KEY"]
    assert not find_leaks(g["query"] or ""), "the Gemini key never goes in a URL"
    for r in (o, a, g):
        assert stack.key not in str(r), "the client's key never reaches the provider"


def test_fake_echo_fault_really_echoes(stack: Stack):
    """Self-check of the next test: the fault puts the received key in the body."""
    stack.script([{"kind": "echo_key", "status": 401}])
    s, body, _ = http(
        "POST", f"{stack.fake_url}/v1/chat/completions",
        {"model": "gpt-4o-mini", "messages": HI},
        {"authorization": "Bearer sk-canary-selfcheck"},
    )
    assert s == 401 and "sk-canary-selfcheck" in str(body), body


def _openai(stack, stream, model="gpt-4o-mini"):
    c = stack.openai().chat.completions
    kw = dict(model=model, messages=HI, max_tokens=10)
    return list(c.create(stream=True, **kw)) if stream else c.create(**kw)


def _openai_cross(stack, stream):
    return _openai(stack, stream, model="anthropic/claude-sonnet-4-6")


def _anthropic(stack, stream):
    kw = dict(model="claude-sonnet-4-6", max_tokens=10, messages=HI)
    if stream:
        with stack.anthropic().messages.stream(**kw) as s:
            return s.get_final_message()
    return stack.anthropic().messages.create(**kw)


def _genai(stack, stream):
    m = stack.genai().models
    if stream:
        return list(m.generate_content_stream(model="gemini-2.0-flash", contents="hi"))
    return m.generate_content(model="gemini-2.0-flash", contents="hi")


SDK_ERRORS = (openai.APIError, anthropic.APIError, genai_errors.APIError)


@pytest.mark.parametrize("status", [401, 500])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("call", [_openai, _openai_cross, _anthropic, _genai],
                         ids=["openai", "openai-to-anthropic", "anthropic", "genai"])
def test_provider_echoing_the_key_is_contained(stack: Stack, call, stream: bool, status: int):
    stack.script([{"kind": "echo_key", "status": status}])
    # A 5xx would otherwise be answered by the local fallback; make that fail too.
    stack.script([{"kind": "echo_key", "status": 500}], local=True)
    with pytest.raises(SDK_ERRORS) as ei:
        call(stack, stream)
    e = ei.value
    code = getattr(e, "status_code", None) or getattr(e, "code", None)
    assert isinstance(code, int) and code >= 500, f"a provider's auth failure is the gateway's: {e!r}"
    assert_no_leak(str(e), repr(e), getattr(e, "body", None), getattr(e, "details", None))
    response = getattr(e, "response", None)
    if response is not None:
        assert_no_leak(str(dict(response.headers)))
    assert len(stack.fake_requests()) >= 1


@pytest.mark.last
def test_whole_session_never_saw_a_key(stack: Stack):
    """Runs last: every exchange of the session, again (and that they were recorded)."""
    ex = stack.recorder.exchanges
    assert len(ex) >= 20, f"only {len(ex)} exchanges recorded"
    assert any(b"echo: hi" in e.body for e in ex), "bodies are recorded"
    for e in ex:
        seen = "\n".join(f"{k}: {v}" for k, v in e.headers) + e.body.decode(errors="replace")
        hits = [n for n in LEAK_NEEDLES if n in seen]
        assert not hits, f"{e.method} {e.url} -> {e.status} leaked {hits}"
