//! End-to-end tests of the fake provider over real HTTP: every endpoint in JSON and SSE, usage
//! numbers, tool calls, every fault kind, recording and the HTTP control plane.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use stoa_fake::{FakeOptions, FakeProvider, Fault};

async fn fake() -> FakeProvider {
    FakeProvider::start(FakeOptions::default()).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

// ---------------------------------------------------------------- request helpers

fn anthropic(fake: &FakeProvider, body: &Value) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}/v1/messages", fake.url()))
        .header("x-api-key", "sk-ant-test")
        .header("anthropic-version", "2023-06-01")
        .json(body)
}

fn openai(fake: &FakeProvider, body: &Value) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}/v1/chat/completions", fake.url()))
        .bearer_auth("sk-openai-test")
        .json(body)
}

fn gemini(fake: &FakeProvider, model_action: &str, body: &Value) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}/v1beta/models/{model_action}", fake.url()))
        .header("x-goog-api-key", "gm-test")
        .json(body)
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// Parsed SSE events: `(event name, data)`; `data` stays raw text.
fn sse(text: &str) -> Vec<(Option<String>, String)> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            (name, data)
        })
        .collect()
}

async fn sse_of(response: reqwest::Response) -> Vec<(Option<String>, String)> {
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/event-stream"), "{content_type}");
    sse(&response.text().await.unwrap())
}

fn data(events: &[(Option<String>, String)]) -> Vec<Value> {
    events
        .iter()
        .filter(|(_, d)| d != "[DONE]")
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect()
}

fn weather_tool_anthropic() -> Value {
    json!([{ "name": "get_weather", "description": "weather", "input_schema": { "type": "object" } }])
}

fn weather_tool_openai() -> Value {
    json!([{ "type": "function", "function": { "name": "get_weather", "parameters": { "type": "object" } } }])
}

// ---------------------------------------------------------------- Anthropic

#[tokio::test]
async fn anthropic_json_answer_and_usage() {
    let fake = fake().await;
    let body = json!({
        "model": "claude-x",
        "max_tokens": 100,
        "system": "You are terse.",
        "messages": [{ "role": "user", "content": "Hello there" }],
    });
    let (status, v) = json_of(anthropic(&fake, &body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(v["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["model"], "claude-x");
    assert_eq!(v["content"], json!([{ "type": "text", "text": "echo: Hello there" }]));
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(v["stop_sequence"], Value::Null);
    // (3 + 3 words of system) + (3 + 2 words of user); 3 words answered.
    assert_eq!(v["usage"], json!({ "input_tokens": 11, "output_tokens": 3 }));
}

#[tokio::test]
async fn anthropic_stream_events() {
    let fake = fake().await;
    let body = json!({
        "model": "claude-x",
        "max_tokens": 100,
        "stream": true,
        "messages": [{ "role": "user", "content": [{ "type": "text", "text": "one two three" }] }],
    });
    let events = sse_of(anthropic(&fake, &body).send().await.unwrap()).await;
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    let data = data(&events);
    for ((name, _), d) in events.iter().zip(&data) {
        assert_eq!(d["type"], name.as_deref().unwrap());
    }
    let start = &data[0]["message"];
    assert_eq!(start["type"], "message");
    assert_eq!(start["role"], "assistant");
    assert_eq!(start["model"], "claude-x");
    assert_eq!(start["content"], json!([]));
    assert_eq!(start["stop_reason"], Value::Null);
    assert_eq!(start["usage"], json!({ "input_tokens": 6, "output_tokens": 1 }));
    assert_eq!(data[1]["content_block"], json!({ "type": "text", "text": "" }));
    let text: String = data[3..7]
        .iter()
        .map(|d| {
            assert_eq!(d["delta"]["type"], "text_delta");
            d["delta"]["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(text, "echo: one two three");
    assert_eq!(data[8]["delta"]["stop_reason"], "end_turn");
    assert_eq!(data[8]["usage"]["output_tokens"], 4);
}

#[tokio::test]
async fn anthropic_tool_use_and_tool_result() {
    let fake = fake().await;
    let ask = json!({ "role": "user", "content": "[[tool:get_weather]] Paris" });
    let body = json!({
        "model": "claude-x",
        "max_tokens": 100,
        "tools": weather_tool_anthropic(),
        "messages": [ask],
    });
    let (_, v) = json_of(anthropic(&fake, &body).send().await.unwrap()).await;
    assert_eq!(v["stop_reason"], "tool_use");
    let block = &v["content"][0];
    assert_eq!(block["type"], "tool_use");
    assert_eq!(block["name"], "get_weather");
    assert!(block["id"].as_str().unwrap().starts_with("toolu_"));
    assert_eq!(block["input"], json!({ "q": "Paris" }));
    assert_eq!(v["usage"]["output_tokens"], 2);

    // Streaming: the arguments arrive as several input_json_delta fragments.
    let mut streaming = body.clone();
    streaming["stream"] = json!(true);
    let data = data(&sse_of(anthropic(&fake, &streaming).send().await.unwrap()).await);
    assert_eq!(data[1]["content_block"]["type"], "tool_use");
    assert_eq!(data[1]["content_block"]["name"], "get_weather");
    assert_eq!(data[1]["content_block"]["input"], json!({}));
    let fragments: Vec<&str> = data
        .iter()
        .filter(|d| d["type"] == "content_block_delta")
        .map(|d| {
            assert_eq!(d["delta"]["type"], "input_json_delta");
            d["delta"]["partial_json"].as_str().unwrap()
        })
        .collect();
    assert!(fragments.len() >= 2, "{fragments:?}");
    let input: Value = serde_json::from_str(&fragments.concat()).unwrap();
    assert_eq!(input, json!({ "q": "Paris" }));
    assert_eq!(data[data.len() - 2]["delta"]["stop_reason"], "tool_use");

    // The tool's result comes back.
    let body = json!({
        "model": "claude-x",
        "max_tokens": 100,
        "tools": weather_tool_anthropic(),
        "messages": [
            ask,
            { "role": "assistant", "content": [block] },
            { "role": "user", "content": [{
                "type": "tool_result",
                "tool_use_id": block["id"],
                "content": "18 degrees and cloudy",
            }]},
        ],
    });
    let (_, v) = json_of(anthropic(&fake, &body).send().await.unwrap()).await;
    assert_eq!(v["content"][0]["text"], "tool said: 18 degrees and cloudy");
    assert_eq!(v["stop_reason"], "end_turn");
    // (3+2) + (3+0) + (3+4)
    assert_eq!(v["usage"]["input_tokens"], 15);
}

#[tokio::test]
async fn anthropic_max_tokens_and_validation() {
    let fake = fake().await;
    let body = json!({
        "model": "claude-x",
        "max_tokens": 5,
        "messages": [{ "role": "user", "content": "[[words:50]]" }],
    });
    let (_, v) = json_of(anthropic(&fake, &body).send().await.unwrap()).await;
    assert_eq!(v["content"][0]["text"], "lorem ipsum dolor sit amet");
    assert_eq!(v["stop_reason"], "max_tokens");
    assert_eq!(v["usage"]["output_tokens"], 5);

    let missing = json!({ "model": "claude-x", "messages": [] });
    let (status, v) = json_of(anthropic(&fake, &missing).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "invalid_request_error");

    let count = client()
        .post(format!("{}/v1/messages/count_tokens", fake.url()))
        .header("x-api-key", "k")
        .header("anthropic-version", "2023-06-01")
        .json(&json!({ "model": "m", "messages": [{ "role": "user", "content": "a b c" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(count).await.1, json!({ "input_tokens": 6 }));
}

#[tokio::test]
async fn anthropic_requires_key_and_version() {
    let fake = fake().await;
    let body = json!({ "model": "m", "max_tokens": 5, "messages": [] });
    let url = format!("{}/v1/messages", fake.url());
    let no_key = client().post(&url).header("anthropic-version", "2023-06-01").json(&body);
    let (status, v) = json_of(no_key.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"]["type"], "authentication_error");
    let no_version = client().post(&url).header("x-api-key", "k").json(&body);
    let (status, v) = json_of(no_version.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn anthropic_accepts_a_bearer_key_like_the_current_sdk() {
    let fake = fake().await;
    fake.script(vec![Fault::EchoKey { status: 401 }]);
    let request = || {
        client()
            .post(format!("{}/v1/messages", fake.url()))
            .bearer_auth("sk-ant-bearer")
            .header("anthropic-version", "2026-10-21")
            .json(&simple_anthropic())
    };
    let (_, v) = json_of(request().send().await.unwrap()).await;
    assert!(v["error"]["message"].as_str().unwrap().contains("sk-ant-bearer"));
    let (status, _) = json_of(request().send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
}

// ---------------------------------------------------------------- OpenAI

#[tokio::test]
async fn openai_json_answer_and_usage() {
    let fake = fake().await;
    let body = json!({
        "model": "gpt-x",
        "messages": [
            { "role": "system", "content": "Be nice." },
            { "role": "user", "content": [{ "type": "text", "text": "How are you today?" }] },
        ],
    });
    let (status, v) = json_of(openai(&fake, &body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(v["object"], "chat.completion");
    assert!(v["created"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(v["model"], "gpt-x");
    let choice = &v["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], "echo: How are you today?");
    assert_eq!(
        v["usage"],
        json!({ "prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17 })
    );
}

#[tokio::test]
async fn openai_stream_with_and_without_usage() {
    let fake = fake().await;
    let mut body = json!({
        "model": "gpt-x",
        "stream": true,
        "stream_options": { "include_usage": true },
        "messages": [{ "role": "user", "content": "alpha beta" }],
    });
    let events = sse_of(openai(&fake, &body).send().await.unwrap()).await;
    assert!(events.iter().all(|(name, _)| name.is_none()));
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let chunks = data(&events);
    assert_eq!(chunks.len(), 6, "role, 3 words, finish, usage: {chunks:?}");
    for c in &chunks {
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["model"], "gpt-x");
        assert_eq!(c["id"], chunks[0]["id"]);
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks[1..4]
        .iter()
        .map(|c| c["choices"][0]["delta"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(text, "echo: alpha beta");
    assert_eq!(chunks[3]["usage"], Value::Null);
    assert_eq!(chunks[4]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[5]["choices"], json!([]));
    assert_eq!(
        chunks[5]["usage"],
        json!({ "prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8 })
    );

    body.as_object_mut().unwrap().remove("stream_options");
    let chunks = data(&sse_of(openai(&fake, &body).send().await.unwrap()).await);
    assert_eq!(chunks.len(), 5);
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
}

#[tokio::test]
async fn openai_tool_calls() {
    let fake = fake().await;
    let body = json!({
        "model": "gpt-x",
        "max_tokens": 3,
        "tools": weather_tool_openai(),
        "messages": [{ "role": "user", "content": "[[tool]] weather in Rome please" }],
    });
    let (_, v) = json_of(openai(&fake, &body).send().await.unwrap()).await;
    let choice = &v["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    assert!(call["id"].as_str().unwrap().starts_with("call_"));
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments, json!({ "q": "weather in Rome please" }));
    assert_eq!(v["usage"]["completion_tokens"], 5);

    let mut streaming = body.clone();
    streaming["stream"] = json!(true);
    let chunks = data(&sse_of(openai(&fake, &streaming).send().await.unwrap()).await);
    let first = &chunks[0]["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(first["index"], 0);
    assert_eq!(first["id"], chunks[0]["choices"][0]["delta"]["tool_calls"][0]["id"]);
    assert_eq!(first["function"]["name"], "get_weather");
    let fragments: Vec<&str> = chunks[1..chunks.len() - 1]
        .iter()
        .map(|c| {
            c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str().unwrap()
        })
        .collect();
    assert!(fragments.len() >= 2);
    let arguments: Value = serde_json::from_str(&fragments.concat()).unwrap();
    assert_eq!(arguments, json!({ "q": "weather in Rome please" }));
    assert_eq!(chunks.last().unwrap()["choices"][0]["finish_reason"], "tool_calls");

    // The tool message's content comes back; max_tokens cuts the text.
    let body = json!({
        "model": "gpt-x",
        "max_tokens": 3,
        "tools": weather_tool_openai(),
        "messages": [
            { "role": "user", "content": "[[tool]] weather" },
            { "role": "assistant", "content": null, "tool_calls": [call] },
            { "role": "tool", "tool_call_id": call["id"], "content": "sunny and warm today" },
        ],
    });
    let (_, v) = json_of(openai(&fake, &body).send().await.unwrap()).await;
    assert_eq!(v["choices"][0]["message"]["content"], "tool said: sunny");
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    assert_eq!(v["usage"]["completion_tokens"], 3);
}

#[tokio::test]
async fn openai_auth_keyless_and_models() {
    let fake = fake().await;
    let body = json!({ "model": "m", "messages": [{ "role": "user", "content": "hi" }] });
    let url = format!("{}/v1/chat/completions", fake.url());
    let (status, v) = json_of(client().post(&url).json(&body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"]["type"], "invalid_request_error");
    assert_eq!(v["error"]["code"], Value::Null);

    let models = client().get(format!("{}/v1/models", fake.url())).bearer_auth("k");
    let (status, v) = json_of(models.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["object"], "list");
    assert_eq!(v["data"][0]["object"], "model");

    let local = FakeProvider::start(FakeOptions { keyless: true, ..FakeOptions::default() }).await;
    let url = format!("{}/v1/chat/completions", local.url());
    let (status, v) = json_of(client().post(&url).json(&body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["choices"][0]["message"]["content"], "echo: hi");
    let models = client().get(format!("{}/v1/models", local.url())).send().await.unwrap();
    assert_eq!(models.status(), StatusCode::OK);
}

// ---------------------------------------------------------------- Gemini

fn gemini_body(text: &str) -> Value {
    json!({
        "systemInstruction": { "parts": [{ "text": "Answer briefly." }] },
        "contents": [{ "role": "user", "parts": [{ "text": text }] }],
    })
}

#[tokio::test]
async fn gemini_generate_and_usage() {
    let fake = fake().await;
    let response = gemini(&fake, "gemini-x:generateContent", &gemini_body("Ciao mondo")).send();
    let (status, v) = json_of(response.await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let candidate = &v["candidates"][0];
    assert_eq!(candidate["content"]["role"], "model");
    assert_eq!(candidate["content"]["parts"], json!([{ "text": "echo: Ciao mondo" }]));
    assert_eq!(candidate["finishReason"], "STOP");
    assert_eq!(
        v["usageMetadata"],
        json!({ "promptTokenCount": 10, "candidatesTokenCount": 3, "totalTokenCount": 13 })
    );
    assert_eq!(v["modelVersion"], "gemini-x");

    let mut limited = gemini_body("[[words:9]]");
    limited["generationConfig"] = json!({ "maxOutputTokens": 4 });
    let (_, v) =
        json_of(gemini(&fake, "gemini-x:generateContent", &limited).send().await.unwrap()).await;
    assert_eq!(v["candidates"][0]["content"]["parts"][0]["text"], "lorem ipsum dolor sit");
    assert_eq!(v["candidates"][0]["finishReason"], "MAX_TOKENS");
    assert_eq!(v["usageMetadata"]["candidatesTokenCount"], 4);

    let count = gemini(&fake, "gemini-x:countTokens", &gemini_body("a b")).send().await.unwrap();
    assert_eq!(json_of(count).await.1, json!({ "totalTokens": 10 }));
}

#[tokio::test]
async fn gemini_stream_sse_and_array() {
    let fake = fake().await;
    let events = sse_of(
        gemini(&fake, "gemini-x:streamGenerateContent?alt=sse", &gemini_body("uno due"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let chunks = data(&events);
    assert_eq!(chunks.len(), 3);
    let text: String = chunks
        .iter()
        .map(|c| c["candidates"][0]["content"]["parts"][0]["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "echo: uno due");
    assert!(chunks[0]["candidates"][0].get("finishReason").is_none());
    let last = &chunks[2];
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        last["usageMetadata"],
        json!({ "promptTokenCount": 10, "candidatesTokenCount": 3, "totalTokenCount": 13 })
    );

    let (_, array) = json_of(
        gemini(&fake, "gemini-x:streamGenerateContent", &gemini_body("uno due"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(array.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn gemini_function_calls_and_query_key() {
    let fake = fake().await;
    let mut body = gemini_body("[[tool:lookup]] the answer");
    body["tools"] = json!([{ "functionDeclarations": [{ "name": "lookup" }] }]);
    let (_, v) =
        json_of(gemini(&fake, "gemini-x:generateContent", &body).send().await.unwrap()).await;
    assert_eq!(
        v["candidates"][0]["content"]["parts"],
        json!([{ "functionCall": { "name": "lookup", "args": { "q": "the answer" } } }])
    );
    assert_eq!(v["candidates"][0]["finishReason"], "STOP");

    let events = sse_of(
        gemini(&fake, "gemini-x:streamGenerateContent?alt=sse", &body).send().await.unwrap(),
    )
    .await;
    let chunks = data(&events);
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0]["candidates"][0]["content"]["parts"][0]["functionCall"]["name"], "lookup");

    body["contents"].as_array_mut().unwrap().extend([
        json!({ "role": "model", "parts": [{ "functionCall": { "name": "lookup", "args": {} } }] }),
        json!({ "role": "user", "parts": [{ "functionResponse": { "name": "lookup", "response": { "result": "forty two" } } }] }),
    ]);
    let (_, v) =
        json_of(gemini(&fake, "gemini-x:generateContent", &body).send().await.unwrap()).await;
    assert_eq!(v["candidates"][0]["content"]["parts"][0]["text"], "tool said: forty two");

    // A key in the query is accepted, and recorded for tests to find.
    fake.clear();
    let url = format!("{}/v1beta/models/gemini-x:generateContent?key=leaky", fake.url());
    let response = client().post(url).json(&gemini_body("x")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let recorded = fake.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].query_param("key"), Some("leaky"));

    let url = format!("{}/v1beta/models/gemini-x:generateContent", fake.url());
    let (status, v) =
        json_of(client().post(url).json(&gemini_body("x")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(v["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(v["error"]["code"], 403);
}

#[tokio::test]
async fn gemini_under_v1_like_the_current_sdk() {
    let fake = fake().await;
    let url = format!("{}/v1/models/gemini-x:generateContent", fake.url());
    let request = client().post(url).header("x-goog-api-key", "gm").json(&gemini_body("hi"));
    let (status, v) = json_of(request.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["candidates"][0]["content"]["parts"][0]["text"], "echo: hi");

    // The model list answers in the shape of whoever asks.
    let list = client().get(format!("{}/v1/models", fake.url())).header("x-goog-api-key", "gm");
    let (_, v) = json_of(list.send().await.unwrap()).await;
    assert!(v["models"][0]["name"].as_str().unwrap().starts_with("models/"));
    let list = client()
        .get(format!("{}/v1/models", fake.url()))
        .header("x-api-key", "k")
        .header("anthropic-version", "2023-06-01");
    let (_, v) = json_of(list.send().await.unwrap()).await;
    assert_eq!(v["data"][0]["type"], "model");
    assert_eq!(v["has_more"], false);
    let list = client().get(format!("{}/v1beta/models?key=gm", fake.url()));
    let (_, v) = json_of(list.send().await.unwrap()).await;
    assert!(v["models"].is_array());
}

// ---------------------------------------------------------------- faults

fn simple_anthropic() -> Value {
    json!({ "model": "m", "max_tokens": 50, "messages": [{ "role": "user", "content": "a b c d" }] })
}

fn simple_openai() -> Value {
    json!({ "model": "m", "messages": [{ "role": "user", "content": "a b c d" }] })
}

#[tokio::test]
async fn status_faults_in_each_shape_then_normal() {
    let fake = fake().await;
    fake.script(vec![
        Fault::rate_limited("1"),
        Fault::overloaded(),
        Fault::status(500),
        Fault::rate_limited("2"),
        Fault::status(429),
    ]);
    let r = anthropic(&fake, &simple_anthropic()).send().await.unwrap();
    assert_eq!(r.headers()["retry-after"], "1");
    let (status, v) = json_of(r).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "rate_limit_error");
    assert!(v["error"]["message"].is_string());

    let (status, v) = json_of(anthropic(&fake, &simple_anthropic()).send().await.unwrap()).await;
    assert_eq!(status.as_u16(), 529);
    assert_eq!(v["error"]["type"], "overloaded_error");

    let (status, v) = json_of(anthropic(&fake, &simple_anthropic()).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(v["error"]["type"], "api_error");

    let r = openai(&fake, &simple_openai()).send().await.unwrap();
    assert_eq!(r.headers()["retry-after"], "2");
    let (status, v) = json_of(r).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(v["error"]["code"], "rate_limit_exceeded");
    assert!(v["error"]["message"].is_string());
    assert!(v["error"]["type"].is_string());

    let r = gemini(&fake, "g:generateContent", &gemini_body("x")).send().await.unwrap();
    assert!(r.headers().get("retry-after").is_none());
    let (status, v) = json_of(r).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        v["error"],
        json!({ "code": 429, "message": "fake: scripted error 429", "status": "RESOURCE_EXHAUSTED" })
    );

    // The script is used up: normal answers again.
    let (status, _) = json_of(anthropic(&fake, &simple_anthropic()).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn slow_and_slow_stream() {
    let fake = fake().await;
    fake.script(vec![Fault::Slow { ms: 200 }, Fault::SlowStream { ms: 60 }]);
    let t = Instant::now();
    let (status, _) = json_of(openai(&fake, &simple_openai()).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(200));

    let mut body = simple_openai();
    body["stream"] = json!(true);
    let t = Instant::now();
    let response = openai(&fake, &body).send().await.unwrap();
    let head = t.elapsed();
    assert!(head < Duration::from_millis(300), "head took {head:?}");
    let chunks = data(&sse_of(response).await);
    assert_eq!(chunks.len(), 7);
    // Eight chunks ([DONE] included), 60 ms before each.
    assert!(t.elapsed() >= Duration::from_millis(480), "stream took {:?}", t.elapsed());
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let fake = FakeProvider::start(FakeOptions {
        latency: Duration::from_millis(200),
        ..FakeOptions::default()
    })
    .await;
    let t = Instant::now();
    assert!(openai(&fake, &simple_openai()).send().await.unwrap().status().is_success());
    assert!(t.elapsed() >= Duration::from_millis(200));
    fake.set_latency(Duration::ZERO);
    let t = Instant::now();
    assert!(openai(&fake, &simple_openai()).send().await.unwrap().status().is_success());
    assert!(t.elapsed() < Duration::from_millis(200));
}

#[tokio::test]
async fn drop_stream_after_aborts_without_terminator() {
    let fake = fake().await;
    fake.script(vec![Fault::DropStreamAfter { chunks: 3 }, Fault::DropStreamAfter { chunks: 1 }]);
    let mut body = simple_anthropic();
    body["stream"] = json!(true);
    let mut response = anthropic(&fake, &body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut received = Vec::new();
    let error = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => panic!("the stream ended cleanly"),
            Err(e) => break e,
        }
    };
    assert!(error.is_body() || error.is_decode(), "{error:?}");
    let events = sse(std::str::from_utf8(&received).unwrap());
    assert_eq!(events.len(), 3);
    assert!(!events.iter().any(|(name, _)| name.as_deref() == Some("message_stop")));

    // Non-streaming: a truncated JSON body.
    let response = anthropic(&fake, &simple_anthropic()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.is_err());
}

#[tokio::test]
async fn malformed_event_mid_stream() {
    let fake = fake().await;
    fake.script(vec![Fault::MalformedEvent, Fault::MalformedEvent]);
    let mut body = simple_openai();
    body["stream"] = json!(true);
    let text = openai(&fake, &body).send().await.unwrap().text().await.unwrap();
    let events = sse(&text);
    let bad = events.iter().position(|(_, d)| d == "{not json").unwrap();
    assert!(bad > 0 && bad < events.len() - 1);
    assert_eq!(events.last().unwrap().1, "[DONE]");

    let response = openai(&fake, &simple_openai()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "{not json");
}

#[tokio::test]
async fn echo_key_leaks_the_credential() {
    let fake = fake().await;
    fake.script(vec![
        Fault::EchoKey { status: 401 },
        Fault::EchoKey { status: 500 },
        Fault::EchoKey { status: 401 },
    ]);
    let (status, v) = json_of(anthropic(&fake, &simple_anthropic()).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(v["error"]["message"].as_str().unwrap().contains("sk-ant-test"));
    let (status, v) = json_of(openai(&fake, &simple_openai()).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(v["error"]["message"].as_str().unwrap().contains("sk-openai-test"));
    let (_, v) =
        json_of(gemini(&fake, "g:generateContent", &gemini_body("x")).send().await.unwrap()).await;
    assert!(v["error"]["message"].as_str().unwrap().contains("gm-test"));
}

#[tokio::test]
async fn hang_times_out_and_close_immediately_fails_the_request() {
    let fake = fake().await;
    fake.script(vec![Fault::Hang, Fault::CloseImmediately]);
    let quick = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let url = format!("{}/v1/chat/completions", fake.url());
    let error = quick.post(&url).bearer_auth("k").json(&simple_openai()).send().await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");

    let t = Instant::now();
    let error =
        client().post(&url).bearer_auth("k").json(&simple_openai()).send().await.unwrap_err();
    assert!(!error.is_timeout(), "{error:?}");
    assert!(error.status().is_none());
    assert!(t.elapsed() < Duration::from_secs(2));

    // Both requests arrived and were recorded; the fake still answers.
    assert_eq!(fake.requests().len(), 2);
    assert!(openai(&fake, &simple_openai()).send().await.unwrap().status().is_success());
}

#[tokio::test]
async fn shutdown_releases_hanging_requests() {
    let fake = fake().await;
    fake.script(vec![Fault::Hang]);
    let request = openai(&fake, &simple_openai()).send();
    let pending = tokio::spawn(request);
    tokio::time::sleep(Duration::from_millis(100)).await;
    fake.shutdown().await;
    let outcome = tokio::time::timeout(Duration::from_secs(5), pending).await.unwrap().unwrap();
    assert!(outcome.is_err());
}

#[test]
fn fault_json_forms() {
    let forms = [
        (json!({ "kind": "status", "status": 429, "retry_after": "1" }), Fault::rate_limited("1")),
        (json!({ "kind": "status", "status": 529 }), Fault::overloaded()),
        (json!({ "kind": "slow", "ms": 500 }), Fault::Slow { ms: 500 }),
        (json!({ "kind": "slow_stream", "ms": 100 }), Fault::SlowStream { ms: 100 }),
        (json!({ "kind": "drop_stream_after", "chunks": 2 }), Fault::DropStreamAfter { chunks: 2 }),
        (json!({ "kind": "malformed_event" }), Fault::MalformedEvent),
        (json!({ "kind": "echo_key", "status": 500 }), Fault::EchoKey { status: 500 }),
        (json!({ "kind": "hang" }), Fault::Hang),
        (json!({ "kind": "close_immediately" }), Fault::CloseImmediately),
    ];
    for (value, fault) in forms {
        assert_eq!(serde_json::from_value::<Fault>(value.clone()).unwrap(), fault);
        assert_eq!(serde_json::to_value(&fault).unwrap(), value);
    }
    let defaults: Fault = serde_json::from_value(json!({ "kind": "echo_key" })).unwrap();
    assert_eq!(defaults, Fault::EchoKey { status: 401 });
    let alias: Fault =
        serde_json::from_value(json!({ "kind": "drop_stream_after", "n": 4 })).unwrap();
    assert_eq!(alias, Fault::DropStreamAfter { chunks: 4 });
}

// ---------------------------------------------------------------- recording and control plane

#[tokio::test]
async fn records_requests_with_headers_query_and_body() {
    let fake = fake().await;
    anthropic(&fake, &simple_anthropic()).send().await.unwrap();
    client().post(format!("{}/nowhere?x=1", fake.url())).body("plain text").send().await.unwrap();
    let recorded = fake.requests();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].path, "/v1/messages");
    assert_eq!(recorded[0].query, None);
    assert_eq!(recorded[0].header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(recorded[0].header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(recorded[0].body, simple_anthropic());
    assert_eq!(recorded[1].path, "/nowhere");
    assert_eq!(recorded[1].query.as_deref(), Some("x=1"));
    assert_eq!(recorded[1].body, json!("plain text"));
    fake.clear();
    assert!(fake.requests().is_empty());

    let quiet = FakeProvider::start(FakeOptions { record: false, ..FakeOptions::default() }).await;
    openai(&quiet, &simple_openai()).send().await.unwrap();
    assert!(quiet.requests().is_empty());
}

#[tokio::test]
async fn http_control_plane() {
    let fake = fake().await;
    let c = client();
    let health = c.get(format!("{}/_fake/health", fake.url())).send().await.unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");

    let script = json!([{ "kind": "status", "status": 503, "retry_after": "3" }]);
    let set = c.post(format!("{}/_fake/script", fake.url())).json(&script).send().await.unwrap();
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    let response = openai(&fake, &simple_openai()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "3");

    let bad =
        c.post(format!("{}/_fake/script", fake.url())).json(&json!([{ "kind": "nope" }])).send();
    assert!(bad.await.unwrap().status().is_client_error());

    let listed: Value =
        c.get(format!("{}/_fake/requests", fake.url())).send().await.unwrap().json().await.unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "control-plane calls are not recorded");
    assert_eq!(listed[0]["path"], "/v1/chat/completions");
    assert_eq!(listed[0]["headers"]["authorization"], "Bearer sk-openai-test");
    assert_eq!(listed[0]["body"], simple_openai());

    let cleared = c.delete(format!("{}/_fake/requests", fake.url())).send().await.unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert!(fake.requests().is_empty());

    let latency =
        c.post(format!("{}/_fake/latency", fake.url())).json(&json!({ "ms": 100 })).send();
    assert_eq!(latency.await.unwrap().status(), StatusCode::NO_CONTENT);
    let t = Instant::now();
    openai(&fake, &simple_openai()).send().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn keep_alive_serves_many_requests_on_one_client() {
    let fake = FakeProvider::start(FakeOptions { record: false, ..FakeOptions::default() }).await;
    let c = client();
    let url = format!("{}/v1/chat/completions", fake.url());
    let body = simple_openai();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (c, url, body) = (c.clone(), url.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..50 {
                let r = c.post(&url).bearer_auth("k").json(&body).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                r.bytes().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}
