//! OpenAI Chat Completions (`POST /v1/chat/completions`), also spoken by local servers
//! (llama.cpp, Ollama, vLLM). Tool-call arguments travel as JSON text; tool results are `tool`
//! messages; streams are `data: {chat.completion.chunk}` lines ending with `data: [DONE]`,
//! with usage in a last chunk with empty `choices` when `stream_options.include_usage` is set.

use std::borrow::Cow;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    TextKind, UsageTap, args_text, arr, field, fill_result_names, fresh_id, join_texts, malformed,
    now_secs, obj, opt_bool, opt_f64, opt_str, opt_u32, parse_args, parse_json, req_str, sse_frame,
    str_or_list, visit_content_mut,
};
use crate::client::{ProviderError, scrub};
use crate::error::LlmError;
use crate::types::{
    ChatRequest, ChatResponse, Message, Part, Role, StopReason, StreamEvent, Tool, ToolChoice,
    Usage,
};

// ---- requests ----

/// Parses a Chat Completions request. System and developer messages become the system prompt;
/// consecutive `tool` messages become one tool message; `max_completion_tokens` wins over
/// `max_tokens`. Images, audio and files are refused (they cannot be converted).
pub fn parse_request(body: &Value) -> Result<ChatRequest, LlmError> {
    let m = obj(body, "request")?;
    let msgs = arr(
        field(m, "messages").ok_or_else(|| LlmError::invalid("messages is required"))?,
        "messages",
    )?;
    let mut system = Vec::new();
    let mut messages: Vec<Message> = Vec::new();
    for msg in msgs {
        let mo = obj(msg, "message")?;
        let role = req_str(mo, "role", "message")?;
        match role {
            "system" | "developer" => {
                let parts = content_parts(field(mo, "content"), role)?;
                system.push(join_texts(parts.iter().filter_map(text_of)));
            }
            "user" => messages.push(Message {
                role: Role::User,
                parts: content_parts(field(mo, "content"), role)?,
            }),
            "assistant" => {
                let mut parts = content_parts(field(mo, "content"), role)?;
                if let Some(r) = opt_str(mo, "refusal")?
                    && !r.is_empty()
                {
                    parts.push(Part::Text(r.to_owned()));
                }
                if let Some(tcs) = field(mo, "tool_calls") {
                    for tc in arr(tcs, "tool_calls")? {
                        let t = obj(tc, "tool call")?;
                        let f = obj(
                            field(t, "function").unwrap_or(&Value::Null),
                            "tool call function",
                        )?;
                        parts.push(Part::ToolCall {
                            id: req_str(t, "id", "tool call")?.to_owned(),
                            name: req_str(f, "name", "tool call function")?.to_owned(),
                            arguments: parse_args(opt_str(f, "arguments")?.unwrap_or("")),
                        });
                    }
                }
                messages.push(Message { role: Role::Assistant, parts });
            }
            "tool" => {
                let parts = content_parts(field(mo, "content"), role)?;
                let result = Part::ToolResult {
                    call_id: req_str(mo, "tool_call_id", "tool message")?.to_owned(),
                    name: opt_str(mo, "name")?.map(str::to_owned),
                    content: join_texts(parts.iter().filter_map(text_of)),
                    is_error: false,
                };
                match messages.last_mut() {
                    Some(last) if last.role == Role::Tool => last.parts.push(result),
                    _ => messages.push(Message { role: Role::Tool, parts: vec![result] }),
                }
            }
            "function" => {
                return Err(LlmError::invalid(
                    "legacy function messages are not supported; use tool messages",
                ));
            }
            other => return Err(LlmError::invalid(format!("unknown message role {other:?}"))),
        }
    }
    fill_result_names(&mut messages);
    let mut tools = Vec::new();
    if let Some(ts) = field(m, "tools") {
        for t in arr(ts, "tools")? {
            let to = obj(t, "tool")?;
            let kind = opt_str(to, "type")?.unwrap_or("function");
            if kind != "function" {
                return Err(LlmError::invalid(format!("tool type {kind:?} cannot be converted")));
            }
            let f = obj(field(to, "function").unwrap_or(&Value::Null), "tool function")?;
            tools.push(Tool {
                name: req_str(f, "name", "tool function")?.to_owned(),
                description: opt_str(f, "description")?.map(str::to_owned),
                parameters: field(f, "parameters").cloned().unwrap_or_else(empty_schema),
            });
        }
    }
    let tool_choice = match field(m, "tool_choice") {
        None => None,
        Some(Value::String(s)) => Some(match s.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" => ToolChoice::Required,
            other => return Err(LlmError::invalid(format!("unknown tool_choice {other:?}"))),
        }),
        Some(v) => {
            let name = v.pointer("/function/name").and_then(Value::as_str);
            Some(ToolChoice::Tool(
                name.ok_or_else(|| LlmError::invalid("tool_choice needs function.name"))?
                    .to_owned(),
            ))
        }
    };
    Ok(ChatRequest {
        system: (!system.is_empty()).then(|| system.join("\n\n")),
        messages,
        tools,
        tool_choice,
        max_tokens: match opt_u32(m, "max_completion_tokens")? {
            Some(n) => Some(n),
            None => opt_u32(m, "max_tokens")?,
        },
        temperature: opt_f64(m, "temperature")?,
        top_p: opt_f64(m, "top_p")?,
        stop: str_or_list(m.get("stop"), "stop")?,
        stream: opt_bool(m, "stream")?,
    })
}

pub(crate) fn empty_schema() -> Value {
    json!({"type": "object", "properties": {}})
}

fn text_of(p: &Part) -> Option<&str> {
    match p {
        Part::Text(t) => Some(t),
        _ => None,
    }
}

/// `content`: a string, null, or an array of typed parts (only text and refusal convert).
fn content_parts(v: Option<&Value>, role: &str) -> Result<Vec<Part>, LlmError> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![Part::Text(s.clone())]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let io = obj(item, "content part")?;
                match opt_str(io, "type")?.unwrap_or("text") {
                    "text" => Ok(Part::Text(req_str(io, "text", "text part")?.to_owned())),
                    "refusal" => Ok(Part::Text(req_str(io, "refusal", "refusal part")?.to_owned())),
                    other => Err(LlmError::invalid(format!("{role} content of type {other:?} cannot be converted to another provider's format"))),
                }
            })
            .collect(),
        Some(_) => Err(LlmError::invalid(format!("{role} content must be a string or an array"))),
    }
}

/// Whether this model requires `max_completion_tokens` (reasoning models reject `max_tokens`).
fn wants_max_completion_tokens(model: &str) -> bool {
    ["o1", "o3", "o4", "gpt-5"].iter().any(|p| model.starts_with(p))
}

/// Renders a Chat Completions request. Streaming requests ask for usage
/// (`stream_options.include_usage`). `max_tokens` is sent as `max_completion_tokens` for
/// reasoning models (o-series, GPT-5), else as `max_tokens`, which local servers understand.
pub fn render_request(req: &ChatRequest, model: &str) -> Value {
    let mut messages = Vec::new();
    if let Some(s) = &req.system {
        messages.push(json!({"role": "system", "content": s}));
    }
    for msg in &req.messages {
        match msg.role {
            Role::User => {
                messages.push(json!({"role": "user", "content": render_content(&msg.parts)}))
            }
            Role::Assistant => {
                let mut m = Map::new();
                m.insert("role".into(), "assistant".into());
                let texts: Vec<&Part> =
                    msg.parts.iter().filter(|p| matches!(p, Part::Text(_))).collect();
                m.insert(
                    "content".into(),
                    if texts.is_empty() { Value::Null } else { render_content(&msg.parts) },
                );
                let calls: Vec<Value> = msg
                    .parts
                    .iter()
                    .filter_map(|p| match p {
                        Part::ToolCall { id, name, arguments } => Some(json!({
                            "id": id, "type": "function",
                            "function": {"name": name, "arguments": args_text(arguments)}
                        })),
                        _ => None,
                    })
                    .collect();
                if !calls.is_empty() {
                    m.insert("tool_calls".into(), Value::Array(calls));
                }
                messages.push(Value::Object(m));
            }
            Role::Tool => {
                for p in &msg.parts {
                    if let Part::ToolResult { call_id, content, .. } = p {
                        messages.push(
                            json!({"role": "tool", "tool_call_id": call_id, "content": content}),
                        );
                    }
                }
            }
        }
    }
    let mut out = Map::new();
    out.insert("model".into(), model.into());
    out.insert("messages".into(), Value::Array(messages));
    if let Some(n) = req.max_tokens {
        let key =
            if wants_max_completion_tokens(model) { "max_completion_tokens" } else { "max_tokens" };
        out.insert(key.into(), n.into());
    }
    if let Some(t) = req.temperature {
        out.insert("temperature".into(), t.into());
    }
    if let Some(p) = req.top_p {
        out.insert("top_p".into(), p.into());
    }
    if !req.stop.is_empty() {
        out.insert("stop".into(), req.stop.clone().into());
    }
    if !req.tools.is_empty() {
        let tools: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                let mut f = Map::new();
                f.insert("name".into(), t.name.clone().into());
                if let Some(d) = &t.description {
                    f.insert("description".into(), d.clone().into());
                }
                f.insert("parameters".into(), t.parameters.clone());
                json!({"type": "function", "function": f})
            })
            .collect();
        out.insert("tools".into(), Value::Array(tools));
    }
    if let Some(tc) = &req.tool_choice {
        let v = match tc {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::None => json!("none"),
            ToolChoice::Required => json!("required"),
            ToolChoice::Tool(name) => json!({"type": "function", "function": {"name": name}}),
        };
        out.insert("tool_choice".into(), v);
    }
    if req.stream {
        out.insert("stream".into(), true.into());
        out.insert("stream_options".into(), json!({"include_usage": true}));
    }
    Value::Object(out)
}

/// One text part as a string, several as an array of text parts, none as "".
fn render_content(parts: &[Part]) -> Value {
    let texts: Vec<&str> = parts.iter().filter_map(text_of).collect();
    match texts.as_slice() {
        [] => json!(""),
        [one] => json!(one),
        many => Value::Array(many.iter().map(|t| json!({"type": "text", "text": t})).collect()),
    }
}

// ---- responses ----

fn stop_from(s: &str) -> StopReason {
    match s {
        "stop" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        _ => StopReason::Other,
    }
}

fn stop_to(s: StopReason) -> &'static str {
    match s {
        StopReason::EndTurn | StopReason::StopSequence => "stop",
        StopReason::MaxTokens => "length",
        StopReason::ToolUse => "tool_calls",
        StopReason::Other => "content_filter",
    }
}

fn usage_of(u: &Value) -> Option<Usage> {
    let input = u.get("prompt_tokens").and_then(Value::as_u64);
    let output = u.get("completion_tokens").and_then(Value::as_u64);
    (input.is_some() || output.is_some())
        .then(|| Usage::new(input.unwrap_or(0), output.unwrap_or(0)))
}

/// Parses a `chat.completion` (first choice).
pub fn parse_response(body: &Value) -> Result<ChatResponse, ProviderError> {
    if let Some(err) = body.get("error") {
        return Err(stream_error(err));
    }
    let choice = body
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or_else(|| malformed("chat.completion without choices"))?;
    let msg = choice.get("message").ok_or_else(|| malformed("choice without message"))?;
    let mut parts = Vec::new();
    match msg.get("content") {
        Some(Value::String(s)) if !s.is_empty() => parts.push(Part::Text(s.clone())),
        Some(Value::Array(items)) => {
            for it in items {
                if let Some(t) = it.get("text").and_then(Value::as_str) {
                    parts.push(Part::Text(t.to_owned()));
                }
            }
        }
        _ => {}
    }
    if let Some(r) = msg.get("refusal").and_then(Value::as_str) {
        parts.push(Part::Text(r.to_owned()));
    }
    if let Some(tcs) = msg.get("tool_calls").and_then(Value::as_array) {
        for tc in tcs {
            let name = tc
                .pointer("/function/name")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed("tool call without name"))?;
            parts.push(Part::ToolCall {
                id: tc
                    .get("id")
                    .and_then(Value::as_str)
                    .map_or_else(|| fresh_id("call_"), str::to_owned),
                name: name.to_owned(),
                arguments: parse_args(
                    tc.pointer("/function/arguments").and_then(Value::as_str).unwrap_or(""),
                ),
            });
        }
    }
    Ok(ChatResponse {
        id: body.get("id").and_then(Value::as_str).unwrap_or_default().to_owned(),
        model: body.get("model").and_then(Value::as_str).unwrap_or_default().to_owned(),
        parts,
        stop: choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map_or(StopReason::EndTurn, stop_from),
        usage: body.get("usage").and_then(usage_of).unwrap_or_default(),
    })
}

/// Renders a `chat.completion` (texts joined with blank lines).
pub fn render_response(resp: &ChatResponse) -> Value {
    let text = join_texts(resp.parts.iter().filter_map(text_of));
    let mut message = Map::new();
    message.insert("role".into(), "assistant".into());
    let has_text = resp.parts.iter().any(|p| matches!(p, Part::Text(_)));
    message.insert("content".into(), if has_text { text.into() } else { Value::Null });
    message.insert("refusal".into(), Value::Null);
    let calls: Vec<Value> = resp
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::ToolCall { id, name, arguments } => Some(json!({
                "id": id, "type": "function",
                "function": {"name": name, "arguments": args_text(arguments)}
            })),
            _ => None,
        })
        .collect();
    if !calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(calls));
    }
    json!({
        "id": if resp.id.is_empty() { fresh_id("chatcmpl-") } else { resp.id.clone() },
        "object": "chat.completion",
        "created": now_secs(),
        "model": resp.model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": stop_to(resp.stop),
        }],
        "usage": usage_json(resp.usage),
    })
}

fn usage_json(u: Usage) -> Value {
    json!({"prompt_tokens": u.input_tokens, "completion_tokens": u.output_tokens, "total_tokens": u.total()})
}

/// An `{"error": …}` object (in a body or a stream chunk) as a provider error.
fn stream_error(err: &Value) -> ProviderError {
    let kind = err.get("type").and_then(Value::as_str).unwrap_or_default();
    let code = err.get("code").and_then(Value::as_str).unwrap_or_default();
    let message = err.get("message").and_then(Value::as_str).unwrap_or("provider error");
    if kind.contains("rate_limit") || code.contains("rate_limit") || kind.contains("overloaded") {
        return ProviderError::RateLimited { retry_after: None };
    }
    if kind == "invalid_request_error" {
        return ProviderError::Client { status: 400, message: scrub(message, "") };
    }
    ProviderError::Server { status: 500 }
}

// ---- streams ----

/// Decodes `chat.completion.chunk` frames.
#[derive(Debug, Default)]
pub struct Decoder {
    started: bool,
    stopped: bool,
    done: bool,
}

impl Decoder {
    /// A fresh decoder.
    pub fn new() -> Self {
        Decoder::default()
    }

    /// Decodes one frame's data.
    pub fn push(
        &mut self,
        _event: Option<&str>,
        data: &str,
    ) -> Result<Vec<StreamEvent>, ProviderError> {
        if data.trim() == "[DONE]" {
            self.done = true;
            return Ok(vec![StreamEvent::Done]);
        }
        let v = parse_json(data)?;
        if let Some(err) = v.get("error") {
            return Err(stream_error(err));
        }
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                id: v.get("id").and_then(Value::as_str).unwrap_or_default().to_owned(),
                model: v.get("model").and_then(Value::as_str).unwrap_or_default().to_owned(),
            });
        }
        if let Some(choice) = v.get("choices").and_then(Value::as_array).and_then(|c| c.first()) {
            if let Some(delta) = choice.get("delta") {
                for key in ["content", "refusal"] {
                    if let Some(t) = delta.get(key).and_then(Value::as_str)
                        && !t.is_empty()
                    {
                        out.push(StreamEvent::TextDelta(t.to_owned()));
                    }
                }
                if let Some(tcs) = delta.get("tool_calls").and_then(Value::as_array) {
                    for (pos, tc) in tcs.iter().enumerate() {
                        let index = tc
                            .get("index")
                            .and_then(Value::as_u64)
                            .and_then(|i| u32::try_from(i).ok())
                            .unwrap_or(pos as u32);
                        let id = tc.get("id").and_then(Value::as_str).filter(|s| !s.is_empty());
                        let name = tc
                            .pointer("/function/name")
                            .and_then(Value::as_str)
                            .filter(|s| !s.is_empty());
                        if id.is_some() || name.is_some() {
                            out.push(StreamEvent::ToolCallStart {
                                index,
                                id: id.map_or_else(|| fresh_id("call_"), str::to_owned),
                                name: name.unwrap_or_default().to_owned(),
                            });
                        }
                        if let Some(a) = tc.pointer("/function/arguments").and_then(Value::as_str)
                            && !a.is_empty()
                        {
                            out.push(StreamEvent::ToolCallDelta { index, arguments: a.to_owned() });
                        }
                    }
                }
            }
            if let Some(r) = choice.get("finish_reason").and_then(Value::as_str) {
                self.stopped = true;
                out.push(StreamEvent::Stop(stop_from(r)));
            }
        }
        if let Some(u) = v.get("usage").and_then(usage_of) {
            out.push(StreamEvent::Usage(u));
        }
        Ok(out)
    }

    /// End of input: `Done` if the stream stopped without `[DONE]` (some local servers),
    /// `StreamDropped` if it never stopped.
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, ProviderError> {
        if self.done {
            Ok(Vec::new())
        } else if self.stopped {
            self.done = true;
            Ok(vec![StreamEvent::Done])
        } else {
            Err(ProviderError::StreamDropped)
        }
    }
}

/// Encodes canonical events as `chat.completion.chunk` frames.
#[derive(Debug)]
pub struct Encoder {
    include_usage: bool,
    id: String,
    model: String,
    created: u64,
    started: bool,
    stop_sent: bool,
    usage: Option<Usage>,
}

impl Encoder {
    /// `include_usage`: whether to emit the usage chunk before `[DONE]` (the client asked for
    /// it with `stream_options.include_usage`).
    pub fn new(include_usage: bool) -> Self {
        Encoder {
            include_usage,
            id: String::new(),
            model: String::new(),
            created: now_secs(),
            started: false,
            stop_sent: false,
            usage: None,
        }
    }

    fn chunk(&self, delta: Value, finish: Option<&str>) -> Value {
        let mut choice = Map::new();
        choice.insert("index".into(), 0.into());
        choice.insert("delta".into(), delta);
        choice.insert("logprobs".into(), Value::Null);
        choice.insert("finish_reason".into(), finish.map_or(Value::Null, Value::from));
        let mut c = json!({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
        });
        c["choices"] = Value::Array(vec![Value::Object(choice)]);
        c
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.started = true;
            if self.id.is_empty() {
                self.id = fresh_id("chatcmpl-");
            }
            let c = self.chunk(json!({"role": "assistant", "content": ""}), None);
            out.extend_from_slice(&sse_frame(None, &c, "\n"));
        }
    }

    /// The frames for one event.
    pub fn encode(&mut self, ev: &StreamEvent) -> Bytes {
        let mut out = Vec::new();
        match ev {
            StreamEvent::Start { id, model } => {
                if !self.started {
                    self.id.clone_from(id);
                    self.model.clone_from(model);
                }
                self.start(&mut out);
            }
            StreamEvent::TextDelta(t) => {
                self.start(&mut out);
                out.extend_from_slice(&sse_frame(
                    None,
                    &self.chunk(json!({"content": t}), None),
                    "\n",
                ));
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                self.start(&mut out);
                let d = json!({"tool_calls": [{"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]});
                out.extend_from_slice(&sse_frame(None, &self.chunk(d, None), "\n"));
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                self.start(&mut out);
                let d =
                    json!({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]});
                out.extend_from_slice(&sse_frame(None, &self.chunk(d, None), "\n"));
            }
            StreamEvent::Stop(r) => {
                self.start(&mut out);
                if !self.stop_sent {
                    self.stop_sent = true;
                    out.extend_from_slice(&sse_frame(
                        None,
                        &self.chunk(json!({}), Some(stop_to(*r))),
                        "\n",
                    ));
                }
            }
            StreamEvent::Usage(u) => self.usage = Some(*u),
            StreamEvent::Done => {
                self.start(&mut out);
                if !self.stop_sent {
                    self.stop_sent = true;
                    out.extend_from_slice(&sse_frame(
                        None,
                        &self.chunk(json!({}), Some("stop")),
                        "\n",
                    ));
                }
                if self.include_usage {
                    let u = self.usage.unwrap_or_default();
                    let c = json!({
                        "id": self.id, "object": "chat.completion.chunk", "created": self.created,
                        "model": self.model, "choices": [], "usage": usage_json(u),
                    });
                    out.extend_from_slice(&sse_frame(None, &c, "\n"));
                }
                out.extend_from_slice(b"data: [DONE]\n\n");
            }
        }
        Bytes::from(out)
    }

    /// An error chunk (`{"error": {…}}`), which the OpenAI SDKs raise as an API error.
    pub fn error(&mut self, message: &str) -> Bytes {
        let e = json!({"error": {"message": message, "type": "server_error", "param": null, "code": null}});
        sse_frame(None, &e, "\n")
    }
}

// ---- pass-through helpers ----

/// Visits system/developer, user and assistant texts, tool-call argument JSON text, tool
/// results and tool descriptions.
pub fn texts_mut(body: &mut Value, mut f: impl FnMut(TextKind, &mut String)) {
    let Some(m) = body.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(msgs)) = m.get_mut("messages") {
        for msg in msgs {
            let kind = match msg.get("role").and_then(Value::as_str) {
                Some("system" | "developer") => TextKind::System,
                Some("assistant") => TextKind::Assistant,
                Some("tool" | "function") => TextKind::ToolResult,
                _ => TextKind::User,
            };
            if let Some(c) = msg.get_mut("content") {
                visit_content_mut(c, kind, &mut f);
            }
            if let Some(Value::Array(tcs)) = msg.get_mut("tool_calls") {
                for tc in tcs {
                    if let Some(Value::String(a)) = tc.pointer_mut("/function/arguments") {
                        f(TextKind::ToolCall, a);
                    }
                }
            }
        }
    }
    if let Some(Value::Array(tools)) = m.get_mut("tools") {
        for t in tools {
            if let Some(Value::String(d)) = t.pointer_mut("/function/description") {
                f(TextKind::ToolDescription, d);
            }
        }
    }
}

/// Sets `model`.
pub fn set_model(body: &mut Value, model: &str) {
    if let Some(m) = body.as_object_mut() {
        m.insert("model".into(), model.into());
    }
}

/// `max_completion_tokens`, else `max_tokens`.
pub fn max_output_tokens(body: &Value) -> Option<u64> {
    body.get("max_completion_tokens")
        .and_then(Value::as_u64)
        .or_else(|| body.get("max_tokens").and_then(Value::as_u64))
}

/// `stream: true`.
pub fn is_stream(body: &Value) -> bool {
    body.get("stream").and_then(Value::as_bool).unwrap_or(false)
}

/// Sets `stream_options.include_usage = true` on a streaming request; returns whether the
/// client had asked for it (true for non-streaming requests, which always carry usage).
pub fn ensure_stream_usage(body: &mut Value) -> bool {
    if !is_stream(body) {
        return true;
    }
    let had =
        body.pointer("/stream_options/include_usage").and_then(Value::as_bool).unwrap_or(false);
    if let Some(m) = body.as_object_mut() {
        let opts = m.entry("stream_options").or_insert_with(|| json!({}));
        if !opts.is_object() {
            *opts = json!({});
        }
        if let Some(o) = opts.as_object_mut() {
            o.insert("include_usage".into(), true.into());
        }
    }
    had
}

/// `usage.prompt_tokens` / `usage.completion_tokens`.
pub fn usage_from_response(body: &Value) -> Option<Usage> {
    body.get("usage").and_then(usage_of)
}

#[derive(Deserialize)]
struct ChunkLite<'a> {
    #[serde(default, borrow)]
    choices: Option<Vec<ChoiceLite<'a>>>,
    #[serde(default)]
    usage: Option<UsageLite>,
}

#[derive(Deserialize)]
struct ChoiceLite<'a> {
    #[serde(default, borrow)]
    delta: Option<DeltaLite<'a>>,
}

#[derive(Deserialize)]
struct DeltaLite<'a> {
    #[serde(default, borrow)]
    content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    refusal: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    tool_calls: Option<Vec<ToolCallLite<'a>>>,
}

#[derive(Deserialize)]
struct ToolCallLite<'a> {
    #[serde(default, borrow)]
    function: Option<FunctionLite<'a>>,
}

#[derive(Deserialize)]
struct FunctionLite<'a> {
    #[serde(default, borrow)]
    arguments: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct UsageLite {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

/// Whether a chunk is the usage-only chunk (`choices: []` with `usage`), which a client that
/// did not ask for usage should not receive.
pub fn is_usage_only_chunk(data: &[u8]) -> bool {
    match serde_json::from_slice::<ChunkLite<'_>>(data) {
        Ok(c) => c.choices.as_ref().is_some_and(Vec::is_empty) && c.usage.is_some(),
        Err(_) => false,
    }
}

pub(crate) fn tap(t: &mut UsageTap, data: &[u8]) {
    if data.trim_ascii() == b"[DONE]" {
        t.finished = true;
        return;
    }
    let Ok(c) = serde_json::from_slice::<ChunkLite<'_>>(data) else {
        return;
    };
    for choice in c.choices.iter().flatten() {
        if let Some(d) = &choice.delta {
            for s in [&d.content, &d.refusal].into_iter().flatten() {
                t.add_chars(s);
            }
            for tc in d.tool_calls.iter().flatten() {
                if let Some(a) = tc.function.as_ref().and_then(|f| f.arguments.as_ref()) {
                    t.add_chars(a);
                }
            }
        }
    }
    if let Some(u) = c.usage {
        if let Some(i) = u.prompt_tokens {
            t.input = Some(i);
        }
        if let Some(o) = u.completion_tokens {
            t.output = Some(o);
        }
    }
}
