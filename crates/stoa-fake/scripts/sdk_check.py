"""Checks that the official Python SDKs (openai, anthropic, google-genai) parse stoa-fake's answers.

Manual check, not part of `cargo test`:
    stoa-fake --listen 127.0.0.1:18099 &
    python sdk_check.py http://127.0.0.1:18099
Last run against anthropic 2.12.0, openai 3.54.0, google-genai 3.4.0.
"""

import sys

import anthropic
import openai
from google import genai
from google.genai import types

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18099"


def check_anthropic():
    a = anthropic.Anthropic(api_key="sk-ant-x", base_url=BASE, max_retries=0)
    m = a.messages.create(
        model="claude-x", max_tokens=100, system="be terse",
        messages=[{"role": "user", "content": "Hello there friend"}],
    )
    assert m.content[0].text == "echo: Hello there friend", m
    assert (m.stop_reason, m.usage.input_tokens, m.usage.output_tokens) == ("end_turn", 11, 4)
    with a.messages.stream(
        model="claude-x", max_tokens=100, messages=[{"role": "user", "content": "one two three"}]
    ) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == "echo: one two three"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (6, 4)
    tools = [{"name": "get_weather", "description": "w", "input_schema": {"type": "object"}}]
    ask = {"role": "user", "content": "[[tool]] Paris"}
    m = a.messages.create(model="claude-x", max_tokens=100, tools=tools, messages=[ask])
    assert (m.content[0].type, m.content[0].name, m.content[0].input) == ("tool_use", "get_weather", {"q": "Paris"})
    with a.messages.stream(model="claude-x", max_tokens=100, tools=tools, messages=[ask]) as s:
        final = s.get_final_message()
    assert final.content[0].input == {"q": "Paris"} and final.stop_reason == "tool_use"
    m = a.messages.create(model="claude-x", max_tokens=100, tools=tools, messages=[
        ask,
        {"role": "assistant", "content": [b.model_dump() for b in m.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": m.content[0].id, "content": "rainy"}]},
    ])
    assert m.content[0].text == "tool said: rainy"
    assert a.messages.count_tokens(model="c", messages=[{"role": "user", "content": "a b"}]).input_tokens == 5
    assert [x.id for x in a.models.list()]


def check_openai():
    o = openai.OpenAI(api_key="sk-o", base_url=BASE + "/v1", max_retries=0)
    c = o.chat.completions.create(model="gpt-x", messages=[{"role": "user", "content": "hi there"}])
    assert c.choices[0].message.content == "echo: hi there" and c.usage.total_tokens == 8
    stream = o.chat.completions.create(
        model="gpt-x", messages=[{"role": "user", "content": "hi there"}],
        stream=True, stream_options={"include_usage": True},
    )
    parts, usage = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
        usage = chunk.usage or usage
    assert "".join(parts) == "echo: hi there" and usage.completion_tokens == 3
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    ask = [{"role": "user", "content": "[[tool:get_weather]] Rome"}]
    c = o.chat.completions.create(model="gpt-x", tools=tools, messages=ask)
    assert c.choices[0].message.tool_calls[0].function.arguments == '{"q":"Rome"}'
    with o.chat.completions.stream(model="gpt-x", tools=tools, messages=ask) as s:
        for _ in s:
            pass
        final = s.get_final_completion()
    assert final.choices[0].message.tool_calls[0].function.arguments == '{"q":"Rome"}'
    assert [x.id for x in o.models.list()]


def check_gemini():
    g = genai.Client(api_key="gm-key", http_options=types.HttpOptions(base_url=BASE))
    r = g.models.generate_content(
        model="gemini-x", contents="Ciao mondo bello",
        config=types.GenerateContentConfig(system_instruction="brief"),
    )
    assert r.text == "echo: Ciao mondo bello"
    assert (r.usage_metadata.prompt_token_count, r.usage_metadata.candidates_token_count) == (10, 4)
    chunks = list(g.models.generate_content_stream(model="gemini-x", contents="uno due tre"))
    assert "".join(c.text or "" for c in chunks) == "echo: uno due tre" and len(chunks) == 4
    decl = types.FunctionDeclaration(name="get_weather", description="w")
    r = g.models.generate_content(
        model="gemini-x", contents="[[tool:get_weather]] Oslo",
        config=types.GenerateContentConfig(tools=[types.Tool(function_declarations=[decl])]),
    )
    assert (r.function_calls[0].name, r.function_calls[0].args) == ("get_weather", {"q": "Oslo"})
    r = g.models.generate_content(
        model="gemini-x", contents="[[words:30]]", config=types.GenerateContentConfig(max_output_tokens=4)
    )
    assert r.text == "lorem ipsum dolor sit" and r.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert g.models.count_tokens(model="gemini-x", contents="a b c").total_tokens == 6


check_anthropic()
check_openai()
check_gemini()
print("ok: anthropic", anthropic.__version__, "openai", openai.__version__, "google-genai", genai.__version__)
