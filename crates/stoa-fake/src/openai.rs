//! OpenAI Chat Completions (also the keyless "local" OpenAI-compatible server):
//! `POST /v1/chat/completions` (JSON and SSE with `[DONE]`, the usage chunk of
//! `stream_options.include_usage`, tool calls with fragmented `arguments`), `GET /v1/models`,
//! and the `{"error":{"message","type","param","code"}}` error shape.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::faults::{Mods, event, json_response, sse_response};
use crate::reply::{self, Answer, Conversation, Role, Stop};
use crate::server::Shared;

/// The credential of `Authorization: Bearer <credential>` (the whole value without the
/// `Bearer ` prefix).
pub(crate) fn credential(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?;
    let value = String::from_utf8_lossy(value.as_bytes());
    Some(value.strip_prefix("Bearer ").map_or_else(|| value.to_string(), str::to_owned))
}

/// The rejection of a request that lacks `Authorization: Bearer <non-empty>` unless keyless.
pub(crate) fn auth_rejection(headers: &HeaderMap, keyless: bool) -> Option<Response> {
    if keyless {
        return None;
    }
    if has_bearer(headers) {
        return None;
    }
    Some(error_body(
        StatusCode::UNAUTHORIZED,
        "You didn't provide an API key. You need to provide your API key in an Authorization \
         header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        "invalid_request_error",
        None,
    ))
}

/// Whether the request carries `Authorization: Bearer <non-empty>`.
pub(crate) fn has_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| !token.trim().is_empty())
}

/// OpenAI's `(type, code)` for `status`.
fn error_kind(status: StatusCode) -> (&'static str, Option<&'static str>) {
    match status.as_u16() {
        401 => ("invalid_request_error", Some("invalid_api_key")),
        404 => ("invalid_request_error", Some("model_not_found")),
        429 => ("requests", Some("rate_limit_exceeded")),
        s if s >= 500 => ("server_error", None),
        _ => ("invalid_request_error", None),
    }
}

/// `{"error":{"message","type","param":null,"code"}}`.
pub(crate) fn error(status: StatusCode, message: &str, error_type: Option<&str>) -> Response {
    let (kind, code) = error_kind(status);
    error_body(status, message, error_type.unwrap_or(kind), code)
}

fn error_body(status: StatusCode, message: &str, kind: &str, code: Option<&str>) -> Response {
    let body =
        json!({ "error": { "message": message, "type": kind, "param": null, "code": code } });
    (status, Json(body)).into_response()
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, message, None)
}

/// Text of a message `content`: a string, or the `text` parts of an array.
fn text_of(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => {
            let mut text = String::new();
            for part in parts {
                if let Some(t) = part.get("text").and_then(Value::as_str) {
                    reply::append(&mut text, t);
                }
            }
            text
        }
        _ => String::new(),
    }
}

fn conversation(body: &Value, messages: &[Value]) -> Conversation {
    let mut conv = Conversation::default();
    for message in messages {
        let content = text_of(message.get("content"));
        match message.get("role").and_then(Value::as_str) {
            Some("system" | "developer") => conv.push(Role::System, content, None),
            Some("assistant") => conv.push(Role::Assistant, content, None),
            Some("tool" | "function") => conv.push(Role::Tool, String::new(), Some(content)),
            _ => conv.push(Role::User, content, None),
        }
    }
    for tool in body.get("tools").and_then(Value::as_array).into_iter().flatten() {
        if let Some(name) = tool.pointer("/function/name").and_then(Value::as_str) {
            conv.declare_tool(name);
        }
    }
    for function in body.get("functions").and_then(Value::as_array).into_iter().flatten() {
        if let Some(name) = function.get("name").and_then(Value::as_str) {
            conv.declare_tool(name);
        }
    }
    let max = ["max_completion_tokens", "max_tokens", "max_output_tokens"]
        .iter()
        .find_map(|field| body.get(*field).and_then(Value::as_u64));
    conv.set_max_tokens(max);
    conv
}

fn finish_reason(stop: Stop) -> &'static str {
    match stop {
        Stop::End => "stop",
        Stop::MaxTokens => "length",
        Stop::ToolUse => "tool_calls",
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `POST /v1/chat/completions`.
pub(crate) fn chat(st: &Shared, body: &Value, mods: Mods) -> Response {
    let Some(model) = body.get("model").and_then(Value::as_str) else {
        return invalid("you must provide a model parameter");
    };
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return invalid("Missing required parameter: 'messages'.");
    };
    let reply = conversation(body, messages).answer();
    let n = st.next_id();
    let id = format!("chatcmpl-fake{n:012}");
    let call_id = format!("call_fake{n:012}");
    if body.get("stream").and_then(Value::as_bool) == Some(true) {
        let include_usage =
            body.pointer("/stream_options/include_usage").and_then(Value::as_bool) == Some(true);
        return stream(&id, &call_id, model, &reply, include_usage, mods);
    }
    let message = match &reply.answer {
        Answer::Text(text) => json!({ "role": "assistant", "content": text, "refusal": null }),
        Answer::Tool { name, q } => json!({
            "role": "assistant",
            "content": null,
            "refusal": null,
            "tool_calls": [{
                "id": call_id,
                "type": "function",
                "function": { "name": name, "arguments": json!({ "q": q }).to_string() },
            }],
        }),
    };
    let completion = json!({
        "id": id,
        "object": "chat.completion",
        "created": now(),
        "model": model,
        "system_fingerprint": "fp_stoa_fake",
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason(reply.stop),
        }],
        "usage": usage(&reply),
    });
    json_response(StatusCode::OK, &completion, mods)
}

fn usage(reply: &reply::Reply) -> Value {
    json!({
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
    })
}

fn stream(
    id: &str,
    call_id: &str,
    model: &str,
    reply: &reply::Reply,
    include_usage: bool,
    mods: Mods,
) -> Response {
    let created = now();
    let chunk = |choices: Value, usage: Option<Value>| {
        let mut object = Map::with_capacity(7);
        object.insert("id".into(), id.into());
        object.insert("object".into(), "chat.completion.chunk".into());
        object.insert("created".into(), created.into());
        object.insert("model".into(), model.into());
        object.insert("system_fingerprint".into(), "fp_stoa_fake".into());
        object.insert("choices".into(), choices);
        if include_usage {
            object.insert("usage".into(), usage.unwrap_or(Value::Null));
        }
        event(None, &Value::Object(object))
    };
    let choice = |delta: Value, finish: Option<&str>| json!([{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }]);
    let mut events: Vec<Bytes> = Vec::with_capacity(16);
    match &reply.answer {
        Answer::Text(text) => {
            let first = json!({ "role": "assistant", "content": "", "refusal": null });
            events.push(chunk(choice(first, None), None));
            for piece in reply::segments(text) {
                events.push(chunk(choice(json!({ "content": piece }), None), None));
            }
        }
        Answer::Tool { name, q } => {
            let first = json!({
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "index": 0,
                    "id": call_id,
                    "type": "function",
                    "function": { "name": name, "arguments": "" },
                }],
            });
            events.push(chunk(choice(first, None), None));
            let arguments = json!({ "q": q }).to_string();
            for piece in reply::fragments(&arguments, 8) {
                let delta =
                    json!({ "tool_calls": [{ "index": 0, "function": { "arguments": piece } }] });
                events.push(chunk(choice(delta, None), None));
            }
        }
    }
    events.push(chunk(choice(json!({}), Some(finish_reason(reply.stop))), None));
    if include_usage {
        events.push(chunk(json!([]), Some(usage(reply))));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    sse_response(events, mods)
}

/// `GET /v1/models` in OpenAI's shape.
pub(crate) fn models(mods: Mods) -> Response {
    let data: Vec<Value> = ["gpt-4o", "gpt-4o-mini", "fake-model"]
        .iter()
        .map(|id| json!({ "id": id, "object": "model", "created": 1_700_000_000, "owned_by": "stoa-fake" }))
        .collect();
    json_response(StatusCode::OK, &json!({ "object": "list", "data": data }), mods)
}
