"""Gateway refusals and degradations as each SDK surfaces them."""

import anthropic
import openai
import pytest
from google.genai import errors as genai_errors
from google.genai import types

from conftest import Stack, assert_no_leak

BAD_KEY = "stoa_sk_this-key-does-not-exist"
HELLO = [{"role": "user", "content": "Hello there"}]


# -- bad credentials --------------------------------------------------------------------------


def test_bad_key_openai(stack: Stack):
    with pytest.raises(openai.AuthenticationError) as ei:
        stack.openai(key=BAD_KEY).chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    e = ei.value
    assert e.status_code == 401
    assert e.type == "authentication_error"
    assert isinstance(e.message, str) and e.message
    assert_no_leak(str(e), e.body)
    assert stack.fake_requests() == []


def test_bad_key_anthropic(stack: Stack):
    with pytest.raises(anthropic.AuthenticationError) as ei:
        stack.anthropic(key=BAD_KEY).messages.create(
            model="claude-sonnet-4-6", max_tokens=10, messages=HELLO
        )
    e = ei.value
    assert e.status_code == 401
    assert e.body["type"] == "error"
    assert e.body["error"]["type"] == "authentication_error"
    assert_no_leak(str(e), e.body)
    assert stack.fake_requests() == []


def test_bad_key_genai(stack: Stack):
    with pytest.raises(genai_errors.ClientError) as ei:
        stack.genai(key=BAD_KEY).models.generate_content(model="gemini-2.0-flash", contents="hi")
    e = ei.value
    assert e.code == 401
    assert e.status == "UNAUTHENTICATED"
    assert e.message
    assert_no_leak(str(e), e.details)
    assert stack.fake_requests() == []


# -- unknown model ----------------------------------------------------------------------------


def test_unknown_model_openai(stack: Stack):
    with pytest.raises(openai.BadRequestError) as ei:
        stack.openai().chat.completions.create(model="mistral/x", messages=HELLO)
    e = ei.value
    assert e.status_code == 400
    assert e.code == "unknown_model"
    assert e.type == "invalid_request_error"
    assert e.body["code"] == "unknown_model"  # openai's .body is the inner "error" object
    assert stack.fake_requests() == []


def test_unknown_model_anthropic(stack: Stack):
    with pytest.raises(anthropic.BadRequestError) as ei:
        stack.anthropic().messages.create(model="mistral/x", max_tokens=10, messages=HELLO)
    e = ei.value
    assert e.status_code == 400
    assert e.body["error"]["type"] == "invalid_request_error"
    assert e.body["error"]["code"] == "unknown_model"


# -- budget exhausted (tenant `broke`, daily budget 1 token) ----------------------------------


def _retry_after(headers) -> int:
    value = headers.get("retry-after")
    assert value is not None, f"no Retry-After in {dict(headers)}"
    assert int(value) > 0
    return int(value)


def test_budget_exhausted_openai(stack: Stack):
    with pytest.raises(openai.RateLimitError) as ei:
        stack.openai(key=stack.broke_key).chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    e = ei.value
    assert e.status_code == 429
    assert e.code == "budget_exceeded"
    assert e.type == "rate_limit_error"
    _retry_after(e.response.headers)
    # The SDKs would otherwise retry a budget that only resets at the window's end.
    assert e.response.headers.get("x-should-retry") == "false"
    assert stack.fake_requests() == [] and stack.fake_requests(local=True) == [], "never falls back"


def test_budget_exhausted_openai_stream(stack: Stack):
    """A refused stream is a plain 429 before any event, which the SDK raises on create()."""
    with pytest.raises(openai.RateLimitError) as ei:
        stack.openai(key=stack.broke_key).chat.completions.create(
            model="gpt-4o-mini", messages=HELLO, stream=True
        )
    assert ei.value.code == "budget_exceeded"
    _retry_after(ei.value.response.headers)


def test_budget_exhausted_anthropic(stack: Stack):
    with pytest.raises(anthropic.RateLimitError) as ei:
        stack.anthropic(key=stack.broke_key).messages.create(
            model="claude-sonnet-4-6", max_tokens=10, messages=HELLO
        )
    e = ei.value
    assert e.status_code == 429
    assert e.body["error"]["type"] == "rate_limit_error"
    assert e.body["error"]["code"] == "budget_exceeded"
    _retry_after(e.response.headers)


def test_budget_exhausted_genai(stack: Stack):
    with pytest.raises(genai_errors.ClientError) as ei:
        stack.genai(key=stack.broke_key).models.generate_content(
            model="gemini-2.0-flash", contents="hi"
        )
    e = ei.value
    assert e.code == 429
    assert e.status == "RESOURCE_EXHAUSTED"
    _retry_after(e.response.headers)
    assert stack.fake_requests() == []


# -- provider down, local fallback ------------------------------------------------------------

DOWN = [{"kind": "status", "status": 503}]


def _assert_local_answered(stack: Stack):
    (local,) = stack.fake_requests(local=True)
    assert local["body"]["model"] == "llama-local"
    headers = {k.lower() for k in local["headers"]}
    assert "authorization" not in headers and "x-api-key" not in headers, local["headers"]


def test_fallback_openai_degraded(stack: Stack):
    stack.script(DOWN)
    raw = stack.openai().chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HELLO)
    assert raw.status_code == 200
    assert raw.headers.get("x-stoa-degraded") == "true"
    resp = raw.parse()
    assert resp.choices[0].message.content == "echo: Hello there"
    assert len(stack.fake_requests()) == 1, "the provider was tried once"
    _assert_local_answered(stack)


def test_fallback_openai_stream_degraded(stack: Stack):
    """The degraded stream starts with an SSE comment; the SDK must skip it."""
    stack.script(DOWN)
    raw = stack.openai().chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "[[words:3]]"}], stream=True
    )
    assert raw.headers.get("x-stoa-degraded") == "true"
    chunks = list(raw.parse())
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "lorem ipsum dolor"
    _assert_local_answered(stack)


def test_fallback_anthropic_degraded(stack: Stack):
    stack.script(DOWN)
    raw = stack.anthropic().messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=20, messages=HELLO
    )
    assert raw.headers.get("x-stoa-degraded") == "true"
    msg = raw.parse()
    assert msg.type == "message"
    assert msg.content[0].text == "echo: Hello there"
    _assert_local_answered(stack)


def test_fallback_anthropic_stream_degraded(stack: Stack):
    stack.script(DOWN)
    with stack.anthropic().messages.stream(
        model="claude-sonnet-4-6", max_tokens=20,
        messages=[{"role": "user", "content": "[[words:3]]"}],
    ) as stream:
        assert stream.response.headers.get("x-stoa-degraded") == "true"
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "lorem ipsum dolor"
    assert final.usage.output_tokens == 3
    _assert_local_answered(stack)


def test_fallback_genai_degraded(stack: Stack):
    stack.script(DOWN)
    resp = stack.genai().models.generate_content(model="gemini-2.0-flash", contents="Hello there")
    assert resp.text == "echo: Hello there"
    assert resp.sdk_http_response.headers.get("x-stoa-degraded") == "true"
    _assert_local_answered(stack)


def test_fallback_genai_stream_degraded(stack: Stack):
    stack.script(DOWN)
    chunks = list(
        stack.genai().models.generate_content_stream(
            model="gemini-2.0-flash", contents="[[words:3]]",
            config=types.GenerateContentConfig(max_output_tokens=20),
        )
    )
    assert "".join(c.text or "" for c in chunks) == "lorem ipsum dolor"
    assert chunks[0].sdk_http_response.headers.get("x-stoa-degraded") == "true"
    _assert_local_answered(stack)


# -- a provider stream that breaks mid-way ----------------------------------------------------

DROP = [{"kind": "drop_stream_after", "chunks": 3}]


@pytest.mark.parametrize("model", ["gpt-4o-mini", "anthropic/claude-sonnet-4-6"])
def test_broken_stream_raises_openai(stack: Stack, model: str):
    """Not a silently truncated answer: the SDK raises on the gateway's error event."""
    stack.script(DROP)
    got = []
    with pytest.raises(openai.APIError) as ei:
        for chunk in stack.openai().chat.completions.create(
            model=model, messages=[{"role": "user", "content": "[[words:8]]"}], stream=True
        ):
            got.append(chunk)
    assert "stream" in ei.value.message
    assert "".join(c.choices[0].delta.content or "" for c in got if c.choices) != (
        "lorem ipsum dolor sit amet consectetur adipiscing elit"
    )


@pytest.mark.parametrize("model", ["claude-sonnet-4-6", "openai/gpt-4o-mini"])
def test_broken_stream_raises_anthropic(stack: Stack, model: str):
    stack.script(DROP)
    with pytest.raises(anthropic.APIStatusError) as ei:
        with stack.anthropic().messages.stream(
            model=model, max_tokens=50, messages=[{"role": "user", "content": "[[words:8]]"}]
        ) as stream:
            stream.get_final_message()
    assert ei.value.body["error"]["type"] == "api_error"


def test_broken_stream_raises_genai(stack: Stack):
    stack.script(DROP)
    with pytest.raises(genai_errors.ServerError) as ei:
        list(stack.genai().models.generate_content_stream(model="gemini-2.0-flash", contents="[[words:8]]"))
    assert ei.value.code == 500
