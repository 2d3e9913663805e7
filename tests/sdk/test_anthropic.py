"""The official `anthropic` SDK against Stoa's Anthropic-compatible endpoint."""

from conftest import Stack, assert_no_leak

LOOKUP = {
    "name": "lookup",
    "description": "Look something up",
    "input_schema": {
        "type": "object",
        "properties": {"q": {"type": "string"}},
        "required": ["q"],
    },
}


def test_messages_create(stack: Stack):
    msg = stack.anthropic().messages.create(
        model="claude-sonnet-4-6",
        max_tokens=40,
        system="Be terse.",
        messages=[{"role": "user", "content": "Hello there"}],
    )
    assert msg.type == "message"
    assert msg.role == "assistant"
    assert [b.type for b in msg.content] == ["text"]
    assert msg.content[0].text == "echo: Hello there"
    assert msg.stop_reason == "end_turn"
    assert msg.usage.output_tokens == 3
    assert msg.usage.input_tokens > 0
    (req,) = stack.fake_requests()
    assert req["path"] == "/v1/messages"
    assert req["body"]["model"] == "claude-sonnet-4-6"
    assert req["body"]["system"] == "Be terse."


def test_messages_create_prefixed_model(stack: Stack):
    msg = stack.anthropic().messages.create(
        model="anthropic/claude-sonnet-4-6",
        max_tokens=40,
        messages=[{"role": "user", "content": "Hi you"}],
    )
    assert msg.content[0].text == "echo: Hi you"


def test_messages_stream(stack: Stack):
    with stack.anthropic().messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=40,
        messages=[{"role": "user", "content": "[[words:7]]"}],
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "lorem ipsum dolor sit amet consectetur adipiscing"
    assert stack.last_body().rstrip().endswith('event: message_stop\ndata: {"type":"message_stop"}')
    assert final.content[0].text == text
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 7
    assert final.usage.input_tokens > 0


def test_stream_max_tokens(stack: Stack):
    with stack.anthropic().messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=3,
        messages=[{"role": "user", "content": "[[words:10]]"}],
    ) as stream:
        final = stream.get_final_message()
    assert final.content[0].text == "lorem ipsum dolor"
    assert final.stop_reason == "max_tokens"
    assert final.usage.output_tokens == 3


def test_tool_use_round_trip(stack: Stack):
    client = stack.anthropic()
    messages = [{"role": "user", "content": "[[tool:lookup]] weather in Paris"}]
    first = client.messages.create(
        model="claude-sonnet-4-6", max_tokens=100, tools=[LOOKUP], messages=messages
    )
    assert first.stop_reason == "tool_use"
    (use,) = [b for b in first.content if b.type == "tool_use"]
    assert use.name == "lookup"
    assert use.input == {"q": "weather in Paris"}
    assert use.id

    messages.append({"role": "assistant", "content": [b.model_dump() for b in first.content]})
    messages.append({
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny, 21 degrees"}],
    })
    second = client.messages.create(
        model="claude-sonnet-4-6", max_tokens=100, tools=[LOOKUP], messages=messages
    )
    assert second.stop_reason == "end_turn"
    assert second.content[0].text == "tool said: sunny, 21 degrees"


def test_tool_use_streamed(stack: Stack):
    """input_json_delta fragments reassemble into the tool input in the SDK."""
    with stack.anthropic().messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=100,
        tools=[LOOKUP],
        messages=[{"role": "user", "content": "[[tool:lookup]] weather in Paris"}],
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    (use,) = [b for b in final.content if b.type == "tool_use"]
    assert use.name == "lookup"
    assert use.input == {"q": "weather in Paris"}


def test_cross_provider_openai_model(stack: Stack):
    client = stack.anthropic()
    msg = client.messages.create(
        model="openai/gpt-4o-mini",
        max_tokens=20,
        system="Be terse.",
        messages=[{"role": "user", "content": "Hi you"}],
    )
    assert msg.type == "message"
    assert msg.content[0].text == "echo: Hi you"
    assert msg.stop_reason == "end_turn"
    assert msg.usage.output_tokens == 3
    (req,) = stack.fake_requests()
    assert req["path"] == "/v1/chat/completions"
    assert req["body"]["model"] == "gpt-4o-mini"

    with client.messages.stream(
        model="openai/gpt-4o-mini",
        max_tokens=20,
        messages=[{"role": "user", "content": "[[words:5]]"}],
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "lorem ipsum dolor sit amet"
    assert final.stop_reason == "end_turn"
    assert "event: message_stop" in stack.last_body()
    assert final.usage.output_tokens == 5


def test_cross_provider_openai_tool_use(stack: Stack):
    client = stack.anthropic()
    messages = [{"role": "user", "content": "[[tool:lookup]] weather in Oslo"}]
    first = client.messages.create(
        model="openai/gpt-4o-mini", max_tokens=100, tools=[LOOKUP], messages=messages
    )
    assert first.stop_reason == "tool_use"
    (use,) = [b for b in first.content if b.type == "tool_use"]
    assert use.name == "lookup"
    assert use.input == {"q": "weather in Oslo"}
    messages.append({"role": "assistant", "content": [b.model_dump() for b in first.content]})
    messages.append({
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "snow"}],
    })
    second = client.messages.create(
        model="openai/gpt-4o-mini", max_tokens=100, tools=[LOOKUP], messages=messages
    )
    assert second.content[0].text == "tool said: snow"
    assert_no_leak(first, second)
