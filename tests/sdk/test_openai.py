"""The official `openai` SDK against Stoa's OpenAI-compatible endpoints."""

import json

from conftest import Stack, assert_no_leak

LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look something up",
        "parameters": {
            "type": "object",
            "properties": {"q": {"type": "string"}},
            "required": ["q"],
        },
    },
}


def test_chat(stack: Stack):
    client = stack.openai()
    resp = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hello there"},
        ],
        max_tokens=50,
    )
    assert resp.object == "chat.completion"
    assert resp.choices[0].message.role == "assistant"
    assert resp.choices[0].message.content == "echo: Hello there"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.completion_tokens == 3
    assert resp.usage.prompt_tokens > 0
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens
    # The provider got the model without our prefix, and the gateway's key, not ours.
    (req,) = stack.fake_requests()
    assert req["path"] == "/v1/chat/completions"
    assert req["body"]["model"] == "gpt-4o-mini"
    assert stack.key not in json.dumps(req)


def test_chat_prefixed_model(stack: Stack):
    resp = stack.openai().chat.completions.create(
        model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Hi you"}]
    )
    assert resp.choices[0].message.content == "echo: Hi you"


def test_stream(stack: Stack):
    client = stack.openai()
    chunks = []
    with client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "[[words:6]]"}],
        stream=True,
    ) as stream:
        for chunk in stream:
            chunks.append(chunk)
    assert len(chunks) >= 6
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    # Without include_usage, every chunk has a choice and none carries usage.
    assert all(c.choices and c.usage is None for c in chunks), chunks
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "lorem ipsum dolor sit amet consectetur"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert len({c.id for c in chunks}) == 1, "one completion id across the stream"
    assert stack.last_body().endswith("data: [DONE]\n\n"), "the stream ends with its terminator"


def test_stream_include_usage(stack: Stack):
    chunks = list(
        stack.openai().chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "[[words:4]]"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "lorem ipsum dolor sit"
    usage_chunks = [c for c in chunks if c.usage is not None]
    assert len(usage_chunks) == 1, chunks
    last = chunks[-1]
    assert last is usage_chunks[0] and last.choices == [], "the usage chunk comes last, choiceless"
    assert last.usage.completion_tokens == 4
    assert last.usage.prompt_tokens > 0
    assert last.usage.total_tokens == last.usage.prompt_tokens + 4


def test_tool_call_round_trip(stack: Stack):
    client = stack.openai()
    messages = [{"role": "user", "content": "[[tool:lookup]] weather in Paris"}]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[LOOKUP])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.type == "function"
    assert call.function.name == "lookup"
    assert json.loads(call.function.arguments) == {"q": "weather in Paris"}
    assert call.id

    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 degrees"})
    second = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[LOOKUP])
    assert second.choices[0].message.content == "tool said: sunny, 21 degrees"
    assert second.choices[0].finish_reason == "stop"


def test_tool_call_streamed(stack: Stack):
    """Tool-call deltas reassemble in the SDK (its stream helper accumulates them)."""
    with stack.openai().chat.completions.stream(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "[[tool:lookup]] weather in Paris"}],
        tools=[LOOKUP],
    ) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.function.name == "lookup"
    assert json.loads(call.function.arguments) == {"q": "weather in Paris"}


def test_models_list(stack: Stack):
    ids = [m.id for m in stack.openai().models.list()]
    assert "openai/gpt-4o-mini" in ids
    assert "anthropic/claude-sonnet-4-6" in ids


def test_cross_provider_anthropic_model(stack: Stack):
    client = stack.openai()
    resp = client.chat.completions.create(
        model="anthropic/claude-sonnet-4-6",
        messages=[{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi you"}],
        max_tokens=30,
    )
    assert resp.choices[0].message.content == "echo: Hi you"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.completion_tokens == 3
    (req,) = stack.fake_requests()
    assert req["path"] == "/v1/messages"
    assert req["body"]["model"] == "claude-sonnet-4-6"
    assert req["body"]["system"] == "Be terse."

    chunks = list(
        client.chat.completions.create(
            model="anthropic/claude-sonnet-4-6",
            messages=[{"role": "user", "content": "[[words:5]]"}],
            max_tokens=30,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "lorem ipsum dolor sit amet"
    assert stack.last_body().endswith("data: [DONE]\n\n")
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["stop"]
    (usage,) = [c.usage for c in chunks if c.usage is not None]
    assert usage.completion_tokens == 5


def test_cross_provider_anthropic_tool_call(stack: Stack):
    client = stack.openai()
    messages = [{"role": "user", "content": "[[tool:lookup]] weather in Oslo"}]
    first = client.chat.completions.create(
        model="anthropic/claude-sonnet-4-6", messages=messages, tools=[LOOKUP], max_tokens=50
    )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.function.name == "lookup"
    assert json.loads(call.function.arguments) == {"q": "weather in Oslo"}
    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "snow"})
    second = client.chat.completions.create(
        model="anthropic/claude-sonnet-4-6", messages=messages, tools=[LOOKUP], max_tokens=50
    )
    assert second.choices[0].message.content == "tool said: snow"
    assert_no_leak(first, second)
