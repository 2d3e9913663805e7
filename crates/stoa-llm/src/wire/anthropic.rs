//! Anthropic Messages (`POST /v1/messages`, `anthropic-version: 2023-06-01`). Content is a list
//! of typed blocks; tool calls are `tool_use` blocks with an `input` object, tool results are
//! `tool_result` blocks in the next user turn; streams are named events `message_start`,
//! `content_block_start`/`_delta`/`_stop` (text via `text_delta`, tool input via
//! `input_json_delta`), `message_delta` (stop reason, output usage) and `message_stop`.

use std::borrow::Cow;
use std::collections::HashMap;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    TextKind, UsageTap, args_object, arr, field, fill_result_names, fresh_id, join_texts,
    malformed, obj, opt_bool, opt_f64, opt_str, opt_u32, parse_json, req_str, sse_frame,
    str_or_list, visit_content_mut, visit_strings_mut,
};
use crate::client::{ProviderError, scrub};
use crate::error::LlmError;
use crate::types::{
    ChatRequest, ChatResponse, Message, Part, Role, StopReason, StreamEvent, Tool, ToolChoice,
    Usage,
};

/// `max_tokens` sent when the canonical request has none (Anthropic requires the field).
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

// ---- requests ----

/// Parses a Messages request. A user turn's `tool_result` blocks become a tool message (and
/// its other blocks a user message after it); `thinking` blocks of earlier assistant turns are
/// dropped; images, documents and server tools are refused.
pub fn parse_request(body: &Value) -> Result<ChatRequest, LlmError> {
    let m = obj(body, "request")?;
    let system = match field(m, "system") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(blocks)) => {
            let mut texts = Vec::new();
            for b in blocks {
                texts.push(req_str(obj(b, "system block")?, "text", "system block")?);
            }
            Some(join_texts(texts.into_iter()))
        }
        Some(_) => {
            return Err(LlmError::invalid("system must be a string or an array of text blocks"));
        }
    };
    let msgs = arr(
        field(m, "messages").ok_or_else(|| LlmError::invalid("messages is required"))?,
        "messages",
    )?;
    let mut messages: Vec<Message> = Vec::new();
    for msg in msgs {
        let mo = obj(msg, "message")?;
        let role = match req_str(mo, "role", "message")? {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            other => return Err(LlmError::invalid(format!("unknown message role {other:?}"))),
        };
        let parts = match field(mo, "content") {
            Some(Value::String(s)) => vec![Part::Text(s.clone())],
            Some(Value::Array(blocks)) => {
                let mut parts = Vec::with_capacity(blocks.len());
                for b in blocks {
                    if let Some(p) = parse_block(b, role)? {
                        parts.push(p);
                    }
                }
                parts
            }
            _ => {
                return Err(LlmError::invalid(
                    "message content must be a string or an array of blocks",
                ));
            }
        };
        // Split a user turn into runs: tool results → Role::Tool, the rest → Role::User.
        let mut current: Option<Message> = None;
        for part in parts {
            let r = if matches!(part, Part::ToolResult { .. }) { Role::Tool } else { role };
            match &mut current {
                Some(c) if c.role == r => c.parts.push(part),
                _ => {
                    messages.extend(current.take());
                    current = Some(Message { role: r, parts: vec![part] });
                }
            }
        }
        messages.push(current.unwrap_or(Message { role, parts: Vec::new() }));
    }
    fill_result_names(&mut messages);
    let mut tools = Vec::new();
    if let Some(ts) = field(m, "tools") {
        for t in arr(ts, "tools")? {
            let to = obj(t, "tool")?;
            if let Some(kind) = opt_str(to, "type")?
                && kind != "custom"
            {
                return Err(LlmError::invalid(format!("server tool {kind:?} cannot be converted")));
            }
            tools.push(Tool {
                name: req_str(to, "name", "tool")?.to_owned(),
                description: opt_str(to, "description")?.map(str::to_owned),
                parameters: field(to, "input_schema")
                    .cloned()
                    .unwrap_or_else(super::openai::empty_schema),
            });
        }
    }
    let tool_choice = match field(m, "tool_choice") {
        None => None,
        Some(v) => {
            let o = obj(v, "tool_choice")?;
            Some(match req_str(o, "type", "tool_choice")? {
                "auto" => ToolChoice::Auto,
                "any" => ToolChoice::Required,
                "none" => ToolChoice::None,
                "tool" => ToolChoice::Tool(req_str(o, "name", "tool_choice")?.to_owned()),
                other => {
                    return Err(LlmError::invalid(format!("unknown tool_choice type {other:?}")));
                }
            })
        }
    };
    Ok(ChatRequest {
        system,
        messages,
        tools,
        tool_choice,
        max_tokens: opt_u32(m, "max_tokens")?,
        temperature: opt_f64(m, "temperature")?,
        top_p: opt_f64(m, "top_p")?,
        stop: str_or_list(m.get("stop_sequences"), "stop_sequences")?,
        stream: opt_bool(m, "stream")?,
    })
}

fn parse_block(b: &Value, role: Role) -> Result<Option<Part>, LlmError> {
    let o = obj(b, "content block")?;
    let kind = req_str(o, "type", "content block")?;
    Ok(Some(match (kind, role) {
        ("text", _) => Part::Text(req_str(o, "text", "text block")?.to_owned()),
        ("tool_use", Role::Assistant) => Part::ToolCall {
            id: req_str(o, "id", "tool_use block")?.to_owned(),
            name: req_str(o, "name", "tool_use block")?.to_owned(),
            arguments: field(o, "input").cloned().unwrap_or_else(|| json!({})),
        },
        ("tool_result", Role::User) => Part::ToolResult {
            call_id: req_str(o, "tool_use_id", "tool_result block")?.to_owned(),
            name: None,
            content: match field(o, "content") {
                None => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(items)) => {
                    let mut texts = Vec::new();
                    for it in items {
                        let io = obj(it, "tool_result content")?;
                        match req_str(io, "type", "tool_result content")? {
                            "text" => texts.push(req_str(io, "text", "text block")?),
                            other => {
                                return Err(LlmError::invalid(format!(
                                    "tool_result content of type {other:?} cannot be converted"
                                )));
                            }
                        }
                    }
                    join_texts(texts.into_iter())
                }
                Some(_) => {
                    return Err(LlmError::invalid(
                        "tool_result content must be a string or an array",
                    ));
                }
            },
            is_error: opt_bool(o, "is_error")?,
        },
        ("thinking" | "redacted_thinking", Role::Assistant) => return Ok(None),
        (other, _) => {
            return Err(LlmError::invalid(format!(
                "content block of type {other:?} cannot be converted to another provider's format"
            )));
        }
    }))
}

/// Anthropic tool ids must match `^[a-zA-Z0-9_-]+$`; ids from other providers are mapped
/// deterministically (so a call and its result stay paired).
pub(crate) fn tool_id(id: &str) -> String {
    if id.is_empty() {
        return "toolu_empty".to_owned();
    }
    id.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .collect()
}

/// Renders a Messages request. Tool messages become `tool_result` blocks of a user turn,
/// merged with a following user message; `max_tokens` defaults to 4096 (required here).
pub fn render_request(req: &ChatRequest, model: &str) -> Value {
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for msg in &req.messages {
        let (role, blocks) = match msg.role {
            Role::User => ("user", text_blocks(&msg.parts)),
            Role::Assistant => {
                let mut blocks = text_blocks(&msg.parts);
                for p in &msg.parts {
                    if let Part::ToolCall { id, name, arguments } = p {
                        blocks.push(json!({"type": "tool_use", "id": tool_id(id), "name": name, "input": args_object(arguments)}));
                    }
                }
                ("assistant", blocks)
            }
            Role::Tool => {
                let blocks = msg
                    .parts
                    .iter()
                    .filter_map(|p| match p {
                        Part::ToolResult { call_id, content, is_error, .. } => {
                            let mut b = json!({"type": "tool_result", "tool_use_id": tool_id(call_id), "content": content});
                            if *is_error {
                                b["is_error"] = true.into();
                            }
                            Some(b)
                        }
                        _ => None,
                    })
                    .collect();
                ("user", blocks)
            }
        };
        match turns.last_mut() {
            Some((r, prev)) if *r == role => prev.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, blocks)| {
            let content = match blocks.as_slice() {
                [one] if one["type"] == "text" => one["text"].clone(),
                _ => Value::Array(blocks),
            };
            json!({"role": role, "content": content})
        })
        .collect();
    let mut out = Map::new();
    out.insert("model".into(), model.into());
    out.insert("max_tokens".into(), req.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS).into());
    if let Some(s) = &req.system {
        out.insert("system".into(), s.clone().into());
    }
    out.insert("messages".into(), Value::Array(messages));
    if !req.tools.is_empty() {
        let tools: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                let mut o = Map::new();
                o.insert("name".into(), t.name.clone().into());
                if let Some(d) = &t.description {
                    o.insert("description".into(), d.clone().into());
                }
                o.insert("input_schema".into(), t.parameters.clone());
                Value::Object(o)
            })
            .collect();
        out.insert("tools".into(), Value::Array(tools));
    }
    if let Some(tc) = &req.tool_choice {
        let v = match tc {
            ToolChoice::Auto => json!({"type": "auto"}),
            ToolChoice::None => json!({"type": "none"}),
            ToolChoice::Required => json!({"type": "any"}),
            ToolChoice::Tool(name) => json!({"type": "tool", "name": name}),
        };
        out.insert("tool_choice".into(), v);
    }
    if let Some(t) = req.temperature {
        out.insert("temperature".into(), t.into());
    }
    if let Some(p) = req.top_p {
        out.insert("top_p".into(), p.into());
    }
    if !req.stop.is_empty() {
        out.insert("stop_sequences".into(), req.stop.clone().into());
    }
    if req.stream {
        out.insert("stream".into(), true.into());
    }
    Value::Object(out)
}

fn text_blocks(parts: &[Part]) -> Vec<Value> {
    parts
        .iter()
        .filter_map(|p| match p {
            Part::Text(t) => Some(json!({"type": "text", "text": t})),
            _ => None,
        })
        .collect()
}

// ---- responses ----

fn stop_from(s: &str) -> StopReason {
    match s {
        "end_turn" | "pause_turn" => StopReason::EndTurn,
        "max_tokens" | "model_context_window_exceeded" => StopReason::MaxTokens,
        "tool_use" => StopReason::ToolUse,
        "stop_sequence" => StopReason::StopSequence,
        _ => StopReason::Other,
    }
}

fn stop_to(s: StopReason) -> &'static str {
    match s {
        StopReason::EndTurn => "end_turn",
        StopReason::MaxTokens => "max_tokens",
        StopReason::ToolUse => "tool_use",
        StopReason::StopSequence => "stop_sequence",
        StopReason::Other => "refusal",
    }
}

/// Input tokens including cache writes and reads (Anthropic reports them apart; the gateway
/// budgets every token processed).
fn input_of(u: &Value) -> Option<u64> {
    let base = u.get("input_tokens").and_then(Value::as_u64)?;
    let cache = ["cache_creation_input_tokens", "cache_read_input_tokens"]
        .iter()
        .filter_map(|k| u.get(*k).and_then(Value::as_u64))
        .sum::<u64>();
    Some(base + cache)
}

/// Parses a `message`.
pub fn parse_response(body: &Value) -> Result<ChatResponse, ProviderError> {
    if body.get("type").and_then(Value::as_str) == Some("error") {
        return Err(error_event(body));
    }
    let blocks = body
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("message without content"))?;
    let mut parts = Vec::new();
    for b in blocks {
        match b.get("type").and_then(Value::as_str) {
            Some("text") => parts.push(Part::Text(
                b.get("text").and_then(Value::as_str).unwrap_or_default().to_owned(),
            )),
            Some("tool_use") => parts.push(Part::ToolCall {
                id: b.get("id").and_then(Value::as_str).unwrap_or_default().to_owned(),
                name: b
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| malformed("tool_use without name"))?
                    .to_owned(),
                arguments: b.get("input").cloned().unwrap_or_else(|| json!({})),
            }),
            _ => {}
        }
    }
    let usage = body.get("usage");
    Ok(ChatResponse {
        id: body.get("id").and_then(Value::as_str).unwrap_or_default().to_owned(),
        model: body.get("model").and_then(Value::as_str).unwrap_or_default().to_owned(),
        parts,
        stop: body
            .get("stop_reason")
            .and_then(Value::as_str)
            .map_or(StopReason::EndTurn, stop_from),
        usage: Usage::new(
            usage.and_then(input_of).unwrap_or(0),
            usage.and_then(|u| u.get("output_tokens")).and_then(Value::as_u64).unwrap_or(0),
        ),
    })
}

/// Renders a `message`.
pub fn render_response(resp: &ChatResponse) -> Value {
    let content: Vec<Value> = resp
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Text(t) => Some(json!({"type": "text", "text": t})),
            Part::ToolCall { id, name, arguments } => {
                Some(json!({"type": "tool_use", "id": tool_id(id), "name": name, "input": args_object(arguments)}))
            }
            Part::ToolResult { .. } => None,
        })
        .collect();
    json!({
        "id": if resp.id.is_empty() { fresh_id("msg_") } else { resp.id.clone() },
        "type": "message",
        "role": "assistant",
        "model": resp.model,
        "content": content,
        "stop_reason": stop_to(resp.stop),
        "stop_sequence": null,
        "usage": {"input_tokens": resp.usage.input_tokens, "output_tokens": resp.usage.output_tokens},
    })
}

/// An `error` event or body as a provider error.
fn error_event(v: &Value) -> ProviderError {
    let kind = v.pointer("/error/type").and_then(Value::as_str).unwrap_or_default();
    let message = v.pointer("/error/message").and_then(Value::as_str).unwrap_or("provider error");
    match kind {
        "overloaded_error" | "rate_limit_error" => ProviderError::RateLimited { retry_after: None },
        "invalid_request_error" => {
            ProviderError::Client { status: 400, message: scrub(message, "") }
        }
        _ => ProviderError::Server { status: 500 },
    }
}

// ---- streams ----

/// Decodes Messages stream events.
#[derive(Debug, Default)]
pub struct Decoder {
    done: bool,
    input: u64,
    output: u64,
    /// content block index → tool call index
    tools: HashMap<u64, u32>,
    next_tool: u32,
}

impl Decoder {
    /// A fresh decoder.
    pub fn new() -> Self {
        Decoder::default()
    }

    /// Decodes one event.
    pub fn push(
        &mut self,
        event: Option<&str>,
        data: &str,
    ) -> Result<Vec<StreamEvent>, ProviderError> {
        if event == Some("ping") {
            return Ok(Vec::new());
        }
        let v = parse_json(data)?;
        let kind = v.get("type").and_then(Value::as_str).or(event).unwrap_or_default();
        let mut out = Vec::new();
        match kind {
            "message_start" => {
                let msg =
                    v.get("message").ok_or_else(|| malformed("message_start without message"))?;
                if let Some(u) = msg.get("usage") {
                    self.input = input_of(u).unwrap_or(0);
                    self.output = u.get("output_tokens").and_then(Value::as_u64).unwrap_or(0);
                }
                out.push(StreamEvent::Start {
                    id: msg.get("id").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    model: msg.get("model").and_then(Value::as_str).unwrap_or_default().to_owned(),
                });
            }
            "content_block_start" => {
                let index = v.get("index").and_then(Value::as_u64).unwrap_or(0);
                let block = v
                    .get("content_block")
                    .ok_or_else(|| malformed("content_block_start without block"))?;
                match block.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        if let Some(t) = block.get("text").and_then(Value::as_str)
                            && !t.is_empty()
                        {
                            out.push(StreamEvent::TextDelta(t.to_owned()));
                        }
                    }
                    Some("tool_use") => {
                        let tool = self.next_tool;
                        self.next_tool += 1;
                        self.tools.insert(index, tool);
                        out.push(StreamEvent::ToolCallStart {
                            index: tool,
                            id: block
                                .get("id")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned(),
                            name: block
                                .get("name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned(),
                        });
                        if let Some(input) = block.get("input").and_then(Value::as_object)
                            && !input.is_empty()
                        {
                            out.push(StreamEvent::ToolCallDelta {
                                index: tool,
                                arguments: Value::Object(input.clone()).to_string(),
                            });
                        }
                    }
                    _ => {}
                }
            }
            "content_block_delta" => {
                let index = v.get("index").and_then(Value::as_u64).unwrap_or(0);
                let delta =
                    v.get("delta").ok_or_else(|| malformed("content_block_delta without delta"))?;
                match delta.get("type").and_then(Value::as_str) {
                    Some("text_delta") => {
                        if let Some(t) = delta.get("text").and_then(Value::as_str)
                            && !t.is_empty()
                        {
                            out.push(StreamEvent::TextDelta(t.to_owned()));
                        }
                    }
                    Some("input_json_delta") => {
                        if let (Some(tool), Some(j)) = (
                            self.tools.get(&index),
                            delta.get("partial_json").and_then(Value::as_str),
                        ) && !j.is_empty()
                        {
                            out.push(StreamEvent::ToolCallDelta {
                                index: *tool,
                                arguments: j.to_owned(),
                            });
                        }
                    }
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(u) = v.get("usage") {
                    if let Some(o) = u.get("output_tokens").and_then(Value::as_u64) {
                        self.output = o;
                    }
                    if let Some(i) = input_of(u) {
                        self.input = i;
                    }
                }
                if let Some(r) = v.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    out.push(StreamEvent::Stop(stop_from(r)));
                }
                out.push(StreamEvent::Usage(Usage::new(self.input, self.output)));
            }
            "message_stop" => {
                self.done = true;
                out.push(StreamEvent::Done);
            }
            "error" => return Err(error_event(&v)),
            _ => {}
        }
        Ok(out)
    }

    /// End of input: `StreamDropped` unless `message_stop` was seen.
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, ProviderError> {
        if self.done { Ok(Vec::new()) } else { Err(ProviderError::StreamDropped) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text(u64),
    Tool(u64),
}

/// Encodes canonical events as Messages stream events.
#[derive(Debug, Default)]
pub struct Encoder {
    started: bool,
    next_block: u64,
    open: Option<Open>,
    /// tool call index → content block index
    tools: HashMap<u32, u64>,
    stop: Option<StopReason>,
    usage: Option<Usage>,
    done: bool,
}

impl Encoder {
    /// A fresh encoder.
    pub fn new() -> Self {
        Encoder::default()
    }

    fn start(&mut self, out: &mut Vec<u8>, id: &str, model: &str) {
        if self.started {
            return;
        }
        self.started = true;
        let id = if id.is_empty() { fresh_id("msg_") } else { id.to_owned() };
        let msg = json!({"type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }});
        out.extend_from_slice(&sse_frame(Some("message_start"), &msg, "\n"));
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        if let Some(Open::Text(i) | Open::Tool(i)) = self.open.take() {
            out.extend_from_slice(&sse_frame(
                Some("content_block_stop"),
                &json!({"type": "content_block_stop", "index": i}),
                "\n",
            ));
        }
    }

    fn open_block(&mut self, out: &mut Vec<u8>, block: Value) -> u64 {
        self.close(out);
        let i = self.next_block;
        self.next_block += 1;
        let mut ev = json!({"type": "content_block_start", "index": i});
        ev["content_block"] = block;
        out.extend_from_slice(&sse_frame(Some("content_block_start"), &ev, "\n"));
        i
    }

    fn delta(out: &mut Vec<u8>, index: u64, delta: Value) {
        let mut ev = json!({"type": "content_block_delta", "index": index});
        ev["delta"] = delta;
        out.extend_from_slice(&sse_frame(Some("content_block_delta"), &ev, "\n"));
    }

    /// The events for one canonical event.
    pub fn encode(&mut self, ev: &StreamEvent) -> Bytes {
        let mut out = Vec::new();
        if self.done {
            return Bytes::new();
        }
        match ev {
            StreamEvent::Start { id, model } => self.start(&mut out, id, model),
            StreamEvent::TextDelta(t) => {
                self.start(&mut out, "", "");
                let i = match self.open {
                    Some(Open::Text(i)) => i,
                    _ => {
                        let i = self.open_block(&mut out, json!({"type": "text", "text": ""}));
                        self.open = Some(Open::Text(i));
                        i
                    }
                };
                Self::delta(&mut out, i, json!({"type": "text_delta", "text": t}));
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                self.start(&mut out, "", "");
                let i = self.open_block(
                    &mut out,
                    json!({"type": "tool_use", "id": tool_id(id), "name": name, "input": {}}),
                );
                self.open = Some(Open::Tool(i));
                self.tools.insert(*index, i);
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                if let Some(&i) = self.tools.get(index) {
                    Self::delta(
                        &mut out,
                        i,
                        json!({"type": "input_json_delta", "partial_json": arguments}),
                    );
                }
            }
            StreamEvent::Stop(r) => {
                self.start(&mut out, "", "");
                self.close(&mut out);
                self.stop = Some(*r);
            }
            StreamEvent::Usage(u) => self.usage = Some(*u),
            StreamEvent::Done => {
                self.start(&mut out, "", "");
                self.close(&mut out);
                let u = self.usage.unwrap_or_default();
                let ev = json!({
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_to(self.stop.unwrap_or(StopReason::EndTurn)), "stop_sequence": null},
                    "usage": {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens},
                });
                out.extend_from_slice(&sse_frame(Some("message_delta"), &ev, "\n"));
                out.extend_from_slice(&sse_frame(
                    Some("message_stop"),
                    &json!({"type": "message_stop"}),
                    "\n",
                ));
                self.done = true;
            }
        }
        Bytes::from(out)
    }

    /// An `error` event (`api_error`), which the Anthropic SDKs raise.
    pub fn error(&mut self, message: &str) -> Bytes {
        let ev = json!({"type": "error", "error": {"type": "api_error", "message": message}});
        sse_frame(Some("error"), &ev, "\n")
    }
}

// ---- pass-through helpers ----

/// Visits the system prompt, text blocks, tool results, strings inside `tool_use` inputs and
/// tool descriptions.
pub fn texts_mut(body: &mut Value, mut f: impl FnMut(TextKind, &mut String)) {
    let Some(m) = body.as_object_mut() else {
        return;
    };
    if let Some(s) = m.get_mut("system") {
        visit_content_mut(s, TextKind::System, &mut f);
    }
    if let Some(Value::Array(msgs)) = m.get_mut("messages") {
        for msg in msgs {
            let kind = match msg.get("role").and_then(Value::as_str) {
                Some("assistant") => TextKind::Assistant,
                _ => TextKind::User,
            };
            match msg.get_mut("content") {
                Some(Value::String(s)) => f(kind, s),
                Some(Value::Array(blocks)) => {
                    for b in blocks {
                        match b.get("type").and_then(Value::as_str) {
                            Some("text") => {
                                if let Some(Value::String(s)) = b.get_mut("text") {
                                    f(kind, s);
                                }
                            }
                            Some("tool_result") => {
                                if let Some(c) = b.get_mut("content") {
                                    visit_content_mut(c, TextKind::ToolResult, &mut f);
                                }
                            }
                            Some("tool_use") => {
                                if let Some(input) = b.get_mut("input") {
                                    visit_strings_mut(input, TextKind::ToolCall, &mut f);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(Value::Array(tools)) = m.get_mut("tools") {
        for t in tools {
            if let Some(Value::String(d)) = t.get_mut("description") {
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

/// `max_tokens`.
pub fn max_output_tokens(body: &Value) -> Option<u64> {
    body.get("max_tokens").and_then(Value::as_u64)
}

/// `stream: true`.
pub fn is_stream(body: &Value) -> bool {
    body.get("stream").and_then(Value::as_bool).unwrap_or(false)
}

/// `usage` of a `message` (input including cache tokens).
pub fn usage_from_response(body: &Value) -> Option<Usage> {
    let u = body.get("usage")?;
    Some(Usage::new(
        input_of(u).unwrap_or(0),
        u.get("output_tokens").and_then(Value::as_u64).unwrap_or(0),
    ))
}

#[derive(Deserialize)]
struct EventLite<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default)]
    message: Option<MessageLite>,
    #[serde(default, borrow)]
    delta: Option<DeltaLite<'a>>,
    #[serde(default)]
    usage: Option<UsageLite>,
}

#[derive(Deserialize)]
struct MessageLite {
    #[serde(default)]
    usage: Option<UsageLite>,
}

#[derive(Deserialize)]
struct DeltaLite<'a> {
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    partial_json: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    thinking: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct UsageLite {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

impl UsageLite {
    fn input(&self) -> Option<u64> {
        self.input_tokens.map(|i| {
            i + self.cache_creation_input_tokens.unwrap_or(0)
                + self.cache_read_input_tokens.unwrap_or(0)
        })
    }
}

pub(crate) fn tap(t: &mut UsageTap, event: Option<&str>, data: &[u8]) {
    if event == Some("ping") {
        return;
    }
    let Ok(ev) = serde_json::from_slice::<EventLite<'_>>(data) else {
        return;
    };
    match ev.kind.as_ref() {
        "message_start" => {
            if let Some(u) = ev.message.and_then(|m| m.usage) {
                t.input = u.input().or(t.input);
                t.output = u.output_tokens.or(t.output);
            }
        }
        "content_block_delta" => {
            if let Some(d) = ev.delta {
                for s in [d.text, d.partial_json, d.thinking].into_iter().flatten() {
                    t.add_chars(&s);
                }
            }
        }
        "message_delta" => {
            if let Some(u) = ev.usage {
                t.input = u.input().or(t.input);
                t.output = u.output_tokens.or(t.output);
            }
        }
        "message_stop" => t.finished = true,
        _ => {}
    }
}
