//! Gemini API: `POST /v1beta/models/{model}:generateContent`,
//! `…:streamGenerateContent` (SSE with `?alt=sse`, else a JSON array), `…:countTokens`,
//! `GET /v1beta/models`, and the `{"error":{"code","message","status"}}` error shape. The key is
//! expected in `x-goog-api-key`; a `?key=` query parameter is accepted too (and recorded, so
//! tests can assert it never arrives).

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::faults::{Mods, event, json_response, sse_response};
use crate::query_param;
use crate::reply::{self, Answer, Conversation, Role, Stop};
use crate::server::Shared;

const KEY_HEADER: &str = "x-goog-api-key";

/// The key of `x-goog-api-key`, else of the `key` query parameter.
pub(crate) fn credential(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    match headers.get(KEY_HEADER) {
        Some(v) => Some(String::from_utf8_lossy(v.as_bytes()).into_owned()),
        None => query_param(query, "key").map(str::to_owned),
    }
}

/// The rejection of a request that lacks a key (header or query) unless keyless.
pub(crate) fn auth_rejection(
    headers: &HeaderMap,
    query: Option<&str>,
    keyless: bool,
) -> Option<Response> {
    if keyless || headers.contains_key(KEY_HEADER) || query_param(query, "key").is_some() {
        return None;
    }
    Some(error(
        StatusCode::FORBIDDEN,
        "Method doesn't allow unregistered callers (callers without established identity). \
         Please use API Key or other form of API consumer identity to call this API.",
        None,
    ))
}

/// Google's canonical status name for `status`.
fn status_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 | 529 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        s if s < 500 => "FAILED_PRECONDITION",
        _ => "INTERNAL",
    }
}

/// `{"error":{"code","message","status"}}`.
pub(crate) fn error(status: StatusCode, message: &str, status_override: Option<&str>) -> Response {
    let name = status_override.unwrap_or_else(|| status_name(status));
    let body = json!({ "error": { "code": status.as_u16(), "message": message, "status": name } });
    (status, Json(body)).into_response()
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, message, None)
}

/// `field` in camelCase, else in snake_case (the REST API accepts both).
fn field<'a>(value: &'a Value, camel: &str, snake: &str) -> Option<&'a Value> {
    value.get(camel).or_else(|| value.get(snake))
}

/// The text of a `functionResponse.response`: a string, or its `result` / `output` / `content`
/// string, else its compact JSON.
fn response_text(response: Option<&Value>) -> String {
    match response {
        Some(Value::String(s)) => s.clone(),
        Some(v) => ["result", "output", "content"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_str))
            .map_or_else(|| v.to_string(), str::to_owned),
        None => String::new(),
    }
}

/// Text parts of a `Content`, and the text of its function responses (if any).
fn parts_of(content: &Value) -> (String, Option<String>) {
    let mut text = String::new();
    let mut tool_result: Option<String> = None;
    for part in content.get("parts").and_then(Value::as_array).into_iter().flatten() {
        if let Some(t) = part.get("text").and_then(Value::as_str) {
            reply::append(&mut text, t);
        } else if let Some(fr) = field(part, "functionResponse", "function_response") {
            reply::append(
                tool_result.get_or_insert_with(String::new),
                &response_text(fr.get("response")),
            );
        }
    }
    (text, tool_result)
}

fn conversation(body: &Value, contents: &[Value]) -> Conversation {
    let mut conv = Conversation::default();
    match field(body, "systemInstruction", "system_instruction") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => conv.push(Role::System, s.clone(), None),
        Some(system) => conv.push(Role::System, parts_of(system).0, None),
    }
    for content in contents {
        let role = match content.get("role").and_then(Value::as_str) {
            Some("model") => Role::Assistant,
            _ => Role::User,
        };
        let (text, tool_result) = parts_of(content);
        conv.push(role, text, tool_result);
    }
    for tool in body.get("tools").and_then(Value::as_array).into_iter().flatten() {
        let declarations = field(tool, "functionDeclarations", "function_declarations");
        for declaration in declarations.and_then(Value::as_array).into_iter().flatten() {
            if let Some(name) = declaration.get("name").and_then(Value::as_str) {
                conv.declare_tool(name);
            }
        }
    }
    let max = field(body, "generationConfig", "generation_config")
        .and_then(|config| field(config, "maxOutputTokens", "max_output_tokens"))
        .and_then(Value::as_u64);
    conv.set_max_tokens(max);
    conv
}

fn finish_reason(stop: Stop) -> &'static str {
    match stop {
        Stop::End | Stop::ToolUse => "STOP",
        Stop::MaxTokens => "MAX_TOKENS",
    }
}

/// `POST /v1beta/models/{call}` where `call` is `MODEL:ACTION`.
pub(crate) fn call(
    st: &Shared,
    call: &str,
    query: Option<&str>,
    body: &Value,
    mods: Mods,
) -> Response {
    let Some((model, action)) = call.rsplit_once(':') else {
        return error(StatusCode::NOT_FOUND, "fake: expected models/{model}:{action}", None);
    };
    let Some(contents) = body.get("contents").and_then(Value::as_array) else {
        return invalid("* GenerateContentRequest.contents: contents is not specified");
    };
    let conv = conversation(body, contents);
    match action {
        "countTokens" => {
            json_response(StatusCode::OK, &json!({ "totalTokens": conv.input_tokens() }), mods)
        }
        "generateContent" | "streamGenerateContent" => {
            let reply = conv.answer();
            let response_id = format!("fake{:012}", st.next_id());
            if action == "generateContent" {
                let response = chunk(&reply, &Part::Whole, true, model, &response_id);
                return json_response(StatusCode::OK, &response, mods);
            }
            let chunks = stream_chunks(&reply, model, &response_id);
            if query_param(query, "alt") == Some("sse") {
                sse_response(chunks.iter().map(|c| event(None, c)).collect::<Vec<Bytes>>(), mods)
            } else {
                json_response(StatusCode::OK, &Value::Array(chunks), mods)
            }
        }
        _ => error(StatusCode::NOT_FOUND, &format!("fake: unknown method {action}"), None),
    }
}

/// What one response object carries of the answer.
enum Part<'a> {
    Whole,
    Text(&'a str),
}

/// One `GenerateContentResponse`; `last` adds the finish reason and the full usage.
fn chunk(reply: &reply::Reply, part: &Part<'_>, last: bool, model: &str, id: &str) -> Value {
    let part = match (&reply.answer, part) {
        (_, Part::Text(text)) => json!({ "text": text }),
        (Answer::Text(text), Part::Whole) => json!({ "text": text }),
        (Answer::Tool { name, q }, Part::Whole) => {
            json!({ "functionCall": { "name": name, "args": { "q": q } } })
        }
    };
    let mut candidate = json!({ "content": { "role": "model", "parts": [part] }, "index": 0 });
    let usage = if last {
        candidate["finishReason"] = finish_reason(reply.stop).into();
        json!({
            "promptTokenCount": reply.input_tokens,
            "candidatesTokenCount": reply.output_tokens,
            "totalTokenCount": reply.input_tokens + reply.output_tokens,
        })
    } else {
        json!({ "promptTokenCount": reply.input_tokens, "totalTokenCount": reply.input_tokens })
    };
    json!({
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": model,
        "responseId": id,
    })
}

/// The stream: one object per word of a text answer (the last with the finish reason and full
/// usage), or one object with the whole function call.
fn stream_chunks(reply: &reply::Reply, model: &str, id: &str) -> Vec<Value> {
    let Answer::Text(text) = &reply.answer else {
        return vec![chunk(reply, &Part::Whole, true, model, id)];
    };
    let pieces = reply::segments(text);
    if pieces.is_empty() {
        return vec![chunk(reply, &Part::Whole, true, model, id)];
    }
    let last = pieces.len() - 1;
    pieces
        .iter()
        .enumerate()
        .map(|(i, p)| chunk(reply, &Part::Text(p), i == last, model, id))
        .collect()
}

/// `GET /v1beta/models`.
pub(crate) fn models(mods: Mods) -> Response {
    let models: Vec<Value> =
        [("gemini-2.5-flash", "Gemini 2.5 Flash"), ("gemini-2.5-pro", "Gemini 2.5 Pro")]
            .iter()
            .map(|(id, name)| {
                json!({
                    "name": format!("models/{id}"),
                    "version": "001",
                    "displayName": name,
                    "supportedGenerationMethods": ["generateContent", "countTokens"],
                })
            })
            .collect();
    json_response(StatusCode::OK, &json!({ "models": models }), mods)
}
