//! Anthropic Messages API: `POST /v1/messages` (JSON and SSE, tool use),
//! `POST /v1/messages/count_tokens`, `GET /v1/models` (with `anthropic-version`), and the
//! `{"type":"error","error":{"type","message"}}` error shape.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::faults::{Mods, event, json_response, sse_response};
use crate::openai;
use crate::reply::{self, Answer, Conversation, Role, Stop};
use crate::server::Shared;

pub(crate) const VERSION_HEADER: &str = "anthropic-version";
const KEY_HEADER: &str = "x-api-key";

/// The value of `x-api-key`, else the token of `Authorization: Bearer` (what the current
/// official Python SDK sends for an API key).
pub(crate) fn credential(headers: &HeaderMap) -> Option<String> {
    match headers.get(KEY_HEADER) {
        Some(v) => Some(String::from_utf8_lossy(v.as_bytes()).into_owned()),
        None => openai::credential(headers),
    }
}

/// The rejection of a request without a key (`x-api-key` or `Authorization: Bearer`; unless
/// keyless) or without `anthropic-version`.
pub(crate) fn auth_rejection(headers: &HeaderMap, keyless: bool) -> Option<Response> {
    if !keyless && !headers.contains_key(KEY_HEADER) && !openai::has_bearer(headers) {
        return Some(error(StatusCode::UNAUTHORIZED, "x-api-key header is required", None));
    }
    if !headers.contains_key(VERSION_HEADER) {
        return Some(error(StatusCode::BAD_REQUEST, "anthropic-version: header is required", None));
    }
    None
}

/// The error type Anthropic uses for `status`.
fn error_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        s if s < 500 => "invalid_request_error",
        _ => "api_error",
    }
}

/// `{"type":"error","error":{"type","message"}}`.
pub(crate) fn error(
    status: StatusCode,
    message: &str,
    error_type_override: Option<&str>,
) -> Response {
    let kind = error_type_override.unwrap_or_else(|| error_type(status));
    let body = json!({ "type": "error", "error": { "type": kind, "message": message } });
    (status, Json(body)).into_response()
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, message, None)
}

/// Text of a `content` value: a string, or the `text` blocks of an array.
fn text_of(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => {
            let mut text = String::new();
            for block in blocks {
                if block.get("type").and_then(Value::as_str) == Some("text") {
                    reply::append(
                        &mut text,
                        block.get("text").and_then(Value::as_str).unwrap_or(""),
                    );
                }
            }
            text
        }
        _ => String::new(),
    }
}

fn conversation(body: &Value, messages: &[Value]) -> Conversation {
    let mut conv = Conversation::default();
    match body.get("system") {
        None | Some(Value::Null) => {}
        system => conv.push(Role::System, text_of(system), None),
    }
    for message in messages {
        let role = match message.get("role").and_then(Value::as_str) {
            Some("assistant") => Role::Assistant,
            _ => Role::User,
        };
        match message.get("content") {
            Some(Value::Array(blocks)) => {
                let mut text = String::new();
                let mut tool_result: Option<String> = None;
                for block in blocks {
                    match block.get("type").and_then(Value::as_str) {
                        Some("text") => reply::append(
                            &mut text,
                            block.get("text").and_then(Value::as_str).unwrap_or(""),
                        ),
                        Some("tool_result") => reply::append(
                            tool_result.get_or_insert_with(String::new),
                            &text_of(block.get("content")),
                        ),
                        _ => {}
                    }
                }
                conv.push(role, text, tool_result);
            }
            content => conv.push(role, text_of(content), None),
        }
    }
    for tool in body.get("tools").and_then(Value::as_array).into_iter().flatten() {
        if let Some(name) = tool.get("name").and_then(Value::as_str) {
            conv.declare_tool(name);
        }
    }
    conv
}

fn stop_reason(stop: Stop) -> &'static str {
    match stop {
        Stop::End => "end_turn",
        Stop::MaxTokens => "max_tokens",
        Stop::ToolUse => "tool_use",
    }
}

/// `POST /v1/messages`.
pub(crate) fn messages(st: &Shared, body: &Value, mods: Mods) -> Response {
    let Some(model) = body.get("model").and_then(Value::as_str) else {
        return invalid("model: Field required");
    };
    let Some(max_tokens) = body.get("max_tokens").and_then(Value::as_u64) else {
        return invalid("max_tokens: Field required");
    };
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return invalid("messages: Field required");
    };
    let mut conv = conversation(body, messages);
    conv.set_max_tokens(Some(max_tokens));
    let reply = conv.answer();
    let n = st.next_id();
    let id = format!("msg_fake{n:012}");
    let tool_id = format!("toolu_fake{n:012}");
    if body.get("stream").and_then(Value::as_bool) == Some(true) {
        return stream(&id, &tool_id, model, &reply, mods);
    }
    let block = match &reply.answer {
        Answer::Text(text) => json!({ "type": "text", "text": text }),
        Answer::Tool { name, q } => {
            json!({ "type": "tool_use", "id": tool_id, "name": name, "input": { "q": q } })
        }
    };
    let message = json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [block],
        "stop_reason": stop_reason(reply.stop),
        "stop_sequence": null,
        "usage": { "input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens },
    });
    json_response(StatusCode::OK, &message, mods)
}

fn stream(id: &str, tool_id: &str, model: &str, reply: &reply::Reply, mods: Mods) -> Response {
    let mut events: Vec<Bytes> = Vec::with_capacity(16);
    events.push(event(
        Some("message_start"),
        &json!({
            "type": "message_start",
            "message": {
                "id": id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": { "input_tokens": reply.input_tokens, "output_tokens": 1 },
            },
        }),
    ));
    let block = match &reply.answer {
        Answer::Text(_) => json!({ "type": "text", "text": "" }),
        Answer::Tool { name, .. } => {
            json!({ "type": "tool_use", "id": tool_id, "name": name, "input": {} })
        }
    };
    events.push(event(
        Some("content_block_start"),
        &json!({ "type": "content_block_start", "index": 0, "content_block": block }),
    ));
    events.push(event(Some("ping"), &json!({ "type": "ping" })));
    let delta = |delta: Value| {
        event(
            Some("content_block_delta"),
            &json!({ "type": "content_block_delta", "index": 0, "delta": delta }),
        )
    };
    match &reply.answer {
        Answer::Text(text) => {
            for piece in reply::segments(text) {
                events.push(delta(json!({ "type": "text_delta", "text": piece })));
            }
        }
        Answer::Tool { q, .. } => {
            let arguments = json!({ "q": q }).to_string();
            for piece in reply::fragments(&arguments, 8) {
                events.push(delta(json!({ "type": "input_json_delta", "partial_json": piece })));
            }
        }
    }
    events.push(event(
        Some("content_block_stop"),
        &json!({ "type": "content_block_stop", "index": 0 }),
    ));
    events.push(event(
        Some("message_delta"),
        &json!({
            "type": "message_delta",
            "delta": { "stop_reason": stop_reason(reply.stop), "stop_sequence": null },
            "usage": { "output_tokens": reply.output_tokens },
        }),
    ));
    events.push(event(Some("message_stop"), &json!({ "type": "message_stop" })));
    sse_response(events, mods)
}

/// `POST /v1/messages/count_tokens`.
pub(crate) fn count_tokens(body: &Value, mods: Mods) -> Response {
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return invalid("messages: Field required");
    };
    let conv = conversation(body, messages);
    json_response(StatusCode::OK, &json!({ "input_tokens": conv.input_tokens() }), mods)
}

/// `GET /v1/models` in Anthropic's shape.
pub(crate) fn models(mods: Mods) -> Response {
    let models = [
        ("claude-sonnet-4-5", "Claude Sonnet 4.5"),
        ("claude-haiku-4-5", "Claude Haiku 4.5"),
        ("claude-opus-4-1", "Claude Opus 4.1"),
    ];
    let data: Vec<Value> = models
        .iter()
        .map(|(id, name)| {
            json!({
                "type": "model",
                "id": id,
                "display_name": name,
                "created_at": "2025-01-01T00:00:00Z",
            })
        })
        .collect();
    let body = json!({
        "data": data,
        "has_more": false,
        "first_id": models[0].0,
        "last_id": models[models.len() - 1].0,
    });
    json_response(StatusCode::OK, &body, mods)
}
