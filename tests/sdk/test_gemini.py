"""The official `google-genai` SDK against Stoa's Gemini-compatible endpoints."""

from google.genai import types

from conftest import Stack, assert_no_leak

LOOKUP = types.Tool(
    function_declarations=[
        types.FunctionDeclaration(
            name="lookup",
            description="Look something up",
            parameters=types.Schema(
                type=types.Type.OBJECT,
                properties={"q": types.Schema(type=types.Type.STRING)},
                required=["q"],
            ),
        )
    ]
)


def test_generate_content(stack: Stack):
    resp = stack.genai().models.generate_content(
        model="gemini-2.0-flash",
        contents="Hello there",
        config=types.GenerateContentConfig(system_instruction="Be terse.", max_output_tokens=50),
    )
    assert resp.text == "echo: Hello there"
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP
    assert resp.usage_metadata.candidates_token_count == 3
    assert resp.usage_metadata.prompt_token_count > 0
    (req,) = stack.fake_requests()
    assert req["path"].endswith("/models/gemini-2.0-flash:generateContent"), req["path"]


def test_generate_content_stream(stack: Stack):
    chunks = list(
        stack.genai().models.generate_content_stream(
            model="gemini-2.0-flash", contents="[[words:6]]"
        )
    )
    assert len(chunks) >= 2
    text = "".join(c.text or "" for c in chunks)
    assert text == "lorem ipsum dolor sit amet consectetur"
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    usage = [c.usage_metadata for c in chunks if c.usage_metadata and c.usage_metadata.candidates_token_count]
    assert usage and usage[-1].candidates_token_count == 6
    (req,) = stack.fake_requests()
    assert ":streamGenerateContent" in req["path"]


def test_function_calling(stack: Stack):
    client = stack.genai()
    config = types.GenerateContentConfig(
        tools=[LOOKUP],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    prompt = types.Content(role="user", parts=[types.Part(text="[[tool:lookup]] weather in Paris")])
    first = client.models.generate_content(model="gemini-2.0-flash", contents=[prompt], config=config)
    (call,) = first.function_calls
    assert call.name == "lookup"
    assert call.args == {"q": "weather in Paris"}

    second = client.models.generate_content(
        model="gemini-2.0-flash",
        contents=[
            prompt,
            first.candidates[0].content,
            types.Content(
                role="user",
                parts=[types.Part.from_function_response(name="lookup", response={"result": "sunny"})],
            ),
        ],
        config=config,
    )
    assert second.text == "tool said: sunny"
    assert_no_leak(first, second)


def test_cross_provider_openai_model(stack: Stack):
    """A `provider/model` name (with its slash) reaches another provider from the Gemini SDK."""
    resp = stack.genai().models.generate_content(
        model="openai/gpt-4o-mini",
        contents="Hello there",
        config=types.GenerateContentConfig(max_output_tokens=50),
    )
    assert resp.text == "echo: Hello there"
    (req,) = stack.fake_requests()
    assert req["path"] == "/v1/chat/completions", req["path"]
    assert req["body"]["model"] == "gpt-4o-mini"
