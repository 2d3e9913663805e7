//! Wire formats: conversion between each format and the canonical types (`types`), streaming
//! decoders/encoders, and pass-through helpers that work on the client's JSON as-is.
//!
//! Two paths use this module:
//! - **Same format** (client shape = provider shape): the body is forwarded untouched except
//!   for `set_model`; `texts_mut` lets the PII scanner and the tokenizer see every text sent;
//!   the provider's bytes go back untouched while a `UsageTap` reads the usage from the passing
//!   SSE frames (or `usage_from_response` from the JSON).
//! - **Cross format**: `parse_request` → `render_request` for the provider; the answer goes
//!   back through `parse_response` → `render_response`, or a `StreamDecoder` → `StreamEncoder`
//!   pair. Conversion keeps what the canonical types hold (text, tools, tool calls/results,
//!   sampling, stop, max tokens); other fields are dropped; content that cannot be carried
//!   (images, documents, server-side tools) is refused with `InvalidRequest` rather than
//!   silently dropped.

pub mod anthropic;
pub mod gemini;
pub mod openai;

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::client::ProviderError;
use crate::error::LlmError;
use crate::model::WireFormat;
use crate::sse::SseEvent;
use crate::types::{ChatRequest, ChatResponse, Message, Part, StreamEvent, Usage};

/// What a text visited by `texts_mut` is, so the PII scanner and the tokenizer can treat kinds
/// differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// The system prompt.
    System,
    /// A user message's text.
    User,
    /// A previous assistant message's text.
    Assistant,
    /// A string inside a previous tool call's arguments (OpenAI: the whole JSON argument text).
    ToolCall,
    /// A tool result's text (or a string inside a Gemini `functionResponse`).
    ToolResult,
    /// A tool definition's description.
    ToolDescription,
}

/// Parses a client request of the given format into canonical form.
pub fn parse_request(format: WireFormat, body: &Value) -> Result<ChatRequest, LlmError> {
    match format {
        WireFormat::OpenAi => openai::parse_request(body),
        WireFormat::Anthropic => anthropic::parse_request(body),
        WireFormat::Gemini => gemini::parse_request(body),
    }
}

/// Renders a canonical request as a provider body of the given format.
pub fn render_request(format: WireFormat, req: &ChatRequest, model: &str) -> Value {
    match format {
        WireFormat::OpenAi => openai::render_request(req, model),
        WireFormat::Anthropic => anthropic::render_request(req, model),
        WireFormat::Gemini => gemini::render_request(req, model),
    }
}

/// Parses a provider's non-streamed answer.
pub fn parse_response(format: WireFormat, body: &Value) -> Result<ChatResponse, ProviderError> {
    match format {
        WireFormat::OpenAi => openai::parse_response(body),
        WireFormat::Anthropic => anthropic::parse_response(body),
        WireFormat::Gemini => gemini::parse_response(body),
    }
}

/// Renders a canonical answer in the client's format.
pub fn render_response(format: WireFormat, resp: &ChatResponse) -> Value {
    match format {
        WireFormat::OpenAi => openai::render_response(resp),
        WireFormat::Anthropic => anthropic::render_response(resp),
        WireFormat::Gemini => gemini::render_response(resp),
    }
}

/// Visits every text the body sends to the provider (see `TextKind`), mutably.
pub fn texts_mut(format: WireFormat, body: &mut Value, f: impl FnMut(TextKind, &mut String)) {
    match format {
        WireFormat::OpenAi => openai::texts_mut(body, f),
        WireFormat::Anthropic => anthropic::texts_mut(body, f),
        WireFormat::Gemini => gemini::texts_mut(body, f),
    }
}

/// Replaces the model in the body (no-op for Gemini, whose model is in the URL).
pub fn set_model(format: WireFormat, body: &mut Value, model: &str) {
    match format {
        WireFormat::OpenAi => openai::set_model(body, model),
        WireFormat::Anthropic => anthropic::set_model(body, model),
        WireFormat::Gemini => gemini::set_model(body, model),
    }
}

/// The model named in the body (`None` for Gemini, whose model is in the URL).
pub fn model_of(format: WireFormat, body: &Value) -> Option<&str> {
    match format {
        WireFormat::OpenAi | WireFormat::Anthropic => body.get("model").and_then(Value::as_str),
        WireFormat::Gemini => None,
    }
}

/// The maximum output tokens the body asks for, if it says.
pub fn max_output_tokens(format: WireFormat, body: &Value) -> Option<u64> {
    match format {
        WireFormat::OpenAi => openai::max_output_tokens(body),
        WireFormat::Anthropic => anthropic::max_output_tokens(body),
        WireFormat::Gemini => gemini::max_output_tokens(body),
    }
}

/// Whether the body asks for a stream (always false for Gemini: the URL decides).
pub fn is_stream(format: WireFormat, body: &Value) -> bool {
    match format {
        WireFormat::OpenAi => openai::is_stream(body),
        WireFormat::Anthropic => anthropic::is_stream(body),
        WireFormat::Gemini => gemini::is_stream(body),
    }
}

/// Makes a streamed request report usage (OpenAI: `stream_options.include_usage = true`).
/// Returns whether the client had asked for usage itself (OpenAI; always true for the other
/// formats, which always report it): if not, the extra usage-only chunk may be dropped before
/// forwarding (`openai::is_usage_only_chunk`).
pub fn ensure_stream_usage(format: WireFormat, body: &mut Value) -> bool {
    match format {
        WireFormat::OpenAi => openai::ensure_stream_usage(body),
        WireFormat::Anthropic | WireFormat::Gemini => true,
    }
}

/// The usage a non-streamed provider answer reports.
pub fn usage_from_response(format: WireFormat, body: &Value) -> Option<Usage> {
    match format {
        WireFormat::OpenAi => openai::usage_from_response(body),
        WireFormat::Anthropic => anthropic::usage_from_response(body),
        WireFormat::Gemini => gemini::usage_from_response(body),
    }
}

/// A provider stream decoder: SSE frames in, canonical `StreamEvent`s out.
#[derive(Debug)]
pub enum StreamDecoder {
    /// OpenAI chunks.
    OpenAi(openai::Decoder),
    /// Anthropic events.
    Anthropic(anthropic::Decoder),
    /// Gemini chunks.
    Gemini(gemini::Decoder),
}

impl StreamDecoder {
    /// A decoder for a provider speaking `format`.
    pub fn new(format: WireFormat) -> Self {
        match format {
            WireFormat::OpenAi => StreamDecoder::OpenAi(openai::Decoder::new()),
            WireFormat::Anthropic => StreamDecoder::Anthropic(anthropic::Decoder::new()),
            WireFormat::Gemini => StreamDecoder::Gemini(gemini::Decoder::new()),
        }
    }

    /// Decodes one frame (empty frames yield nothing). Provider error events become errors.
    pub fn push(&mut self, event: &SseEvent) -> Result<Vec<StreamEvent>, ProviderError> {
        if event.data.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            StreamDecoder::OpenAi(d) => d.push(event.event.as_deref(), &event.data),
            StreamDecoder::Anthropic(d) => d.push(event.event.as_deref(), &event.data),
            StreamDecoder::Gemini(d) => d.push(event.event.as_deref(), &event.data),
        }
    }

    /// Call at the end of the stream: the closing events for formats without a terminator
    /// (Gemini), or `StreamDropped` if the stream ended before its end.
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, ProviderError> {
        match self {
            StreamDecoder::OpenAi(d) => d.finish(),
            StreamDecoder::Anthropic(d) => d.finish(),
            StreamDecoder::Gemini(d) => d.finish(),
        }
    }
}

/// A client stream encoder: canonical `StreamEvent`s in, SSE bytes in the client's format
/// out, shaped as that format's official SDK expects.
#[derive(Debug)]
pub enum StreamEncoder {
    /// OpenAI `chat.completion.chunk` lines and `data: [DONE]`.
    OpenAi(openai::Encoder),
    /// Anthropic `message_start` … `message_stop`.
    Anthropic(anthropic::Encoder),
    /// Gemini `GenerateContentResponse` lines.
    Gemini(gemini::Encoder),
}

impl StreamEncoder {
    /// An encoder for a client of `format`. `include_usage`: OpenAI only, whether the client
    /// asked for the usage chunk (`stream_options.include_usage`).
    pub fn new(format: WireFormat, include_usage: bool) -> Self {
        match format {
            WireFormat::OpenAi => StreamEncoder::OpenAi(openai::Encoder::new(include_usage)),
            WireFormat::Anthropic => StreamEncoder::Anthropic(anthropic::Encoder::new()),
            WireFormat::Gemini => StreamEncoder::Gemini(gemini::Encoder::new()),
        }
    }

    /// The SSE bytes for one event (empty when the event produces no frame yet).
    pub fn encode(&mut self, event: &StreamEvent) -> Bytes {
        match self {
            StreamEncoder::OpenAi(e) => e.encode(event),
            StreamEncoder::Anthropic(e) => e.encode(event),
            StreamEncoder::Gemini(e) => e.encode(event),
        }
    }

    /// An in-stream error frame in the client's format (after which the caller ends the
    /// stream).
    pub fn error(&mut self, message: &str) -> Bytes {
        match self {
            StreamEncoder::OpenAi(e) => e.error(message),
            StreamEncoder::Anthropic(e) => e.error(message),
            StreamEncoder::Gemini(e) => e.error(message),
        }
    }
}

/// Reads usage and output size from the SSE frames of a provider stream as they pass (for
/// settling budgets, also when a stream is cut). Unparseable frames are ignored.
#[derive(Debug, Clone)]
pub struct UsageTap {
    format: WireFormat,
    pub(crate) input: Option<u64>,
    pub(crate) output: Option<u64>,
    pub(crate) chars: u64,
    pub(crate) finished: bool,
}

impl UsageTap {
    /// A tap for a provider speaking `format`.
    pub fn new(format: WireFormat) -> Self {
        UsageTap { format, input: None, output: None, chars: 0, finished: false }
    }

    /// Inspects one frame.
    pub fn observe(&mut self, event: &SseEvent) {
        self.observe_parts(event.event.as_deref(), event.data.as_bytes());
    }

    /// Inspects one frame given as event name and data bytes.
    pub fn observe_parts(&mut self, event: Option<&str>, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        match self.format {
            WireFormat::OpenAi => openai::tap(self, data),
            WireFormat::Anthropic => anthropic::tap(self, event, data),
            WireFormat::Gemini => gemini::tap(self, data),
        }
    }

    /// The usage the provider reported so far (Anthropic reports input at the start and output
    /// at the end; OpenAI and Gemini at the end). `None` if nothing was reported.
    pub fn usage(&self) -> Option<Usage> {
        if self.input.is_none() && self.output.is_none() {
            return None;
        }
        Some(Usage::new(self.input.unwrap_or(0), self.output.unwrap_or(0)))
    }

    /// Characters of output seen (text, tool-call arguments, thinking).
    pub fn output_chars(&self) -> u64 {
        self.chars
    }

    /// Whether the stream's normal end was seen (Anthropic `message_stop`, OpenAI `[DONE]`,
    /// Gemini a `finishReason`).
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// The usage to settle: the reported usage when the stream finished; otherwise the
    /// reported input (or `input_estimate`) and the larger of the reported output and an
    /// estimate of one token per 3 characters seen (over-estimates typical text at ~4
    /// characters per token, erring on the side of the budget).
    pub fn settle(&self, input_estimate: u64) -> Usage {
        let input = self.input.unwrap_or(input_estimate);
        let estimated = self.chars.div_ceil(3);
        let output = match (self.finished, self.output) {
            (true, Some(out)) => out,
            (_, Some(out)) => out.max(estimated),
            (_, None) => estimated,
        };
        Usage::new(input, output)
    }

    pub(crate) fn add_chars(&mut self, s: &str) {
        self.chars += s.chars().count() as u64;
    }
}

// ---- helpers shared by the format modules ----

pub(crate) fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, LlmError> {
    v.as_object().ok_or_else(|| LlmError::invalid(format!("{what} must be an object")))
}

pub(crate) fn arr<'a>(v: &'a Value, what: &str) -> Result<&'a Vec<Value>, LlmError> {
    v.as_array().ok_or_else(|| LlmError::invalid(format!("{what} must be an array")))
}

/// An optional field present as `null` counts as absent.
pub(crate) fn field<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).filter(|v| !v.is_null())
}

pub(crate) fn opt_str<'a>(
    m: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, LlmError> {
    match field(m, key) {
        None => Ok(None),
        Some(v) => {
            v.as_str().map(Some).ok_or_else(|| LlmError::invalid(format!("{key} must be a string")))
        }
    }
}

pub(crate) fn req_str<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<&'a str, LlmError> {
    opt_str(m, key)?.ok_or_else(|| LlmError::invalid(format!("{what}: missing {key}")))
}

pub(crate) fn opt_u32(m: &Map<String, Value>, key: &str) -> Result<Option<u32>, LlmError> {
    match field(m, key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| LlmError::invalid(format!("{key} must be a non-negative integer"))),
    }
}

pub(crate) fn opt_f64(m: &Map<String, Value>, key: &str) -> Result<Option<f64>, LlmError> {
    match field(m, key) {
        None => Ok(None),
        Some(v) => {
            v.as_f64().map(Some).ok_or_else(|| LlmError::invalid(format!("{key} must be a number")))
        }
    }
}

pub(crate) fn opt_bool(m: &Map<String, Value>, key: &str) -> Result<bool, LlmError> {
    match field(m, key) {
        None => Ok(false),
        Some(v) => v.as_bool().ok_or_else(|| LlmError::invalid(format!("{key} must be a boolean"))),
    }
}

/// A string or an array of strings (OpenAI `stop`).
pub(crate) fn str_or_list(v: Option<&Value>, key: &str) -> Result<Vec<String>, LlmError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| LlmError::invalid(format!("{key} must hold strings")))
            })
            .collect(),
        Some(_) => Err(LlmError::invalid(format!("{key} must be a string or an array of strings"))),
    }
}

/// Tool-call arguments from JSON text: an object stays an object, empty text is `{}`, anything
/// else is kept verbatim as a string.
pub(crate) fn parse_args(s: &str) -> Value {
    if s.trim().is_empty() {
        return Value::Object(Map::new());
    }
    match serde_json::from_str::<Value>(s) {
        Ok(v @ Value::Object(_)) => v,
        _ => Value::String(s.to_owned()),
    }
}

/// Tool-call arguments as JSON text (a verbatim string stays as it is).
pub(crate) fn args_text(args: &Value) -> String {
    match args {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Tool-call arguments as a JSON object (formats that need one): a verbatim string is parsed
/// if it is an object, else `{}`.
pub(crate) fn args_object(args: &Value) -> Value {
    match args {
        Value::Object(_) => args.clone(),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Object(_)) => v,
            _ => Value::Object(Map::new()),
        },
        _ => Value::Object(Map::new()),
    }
}

/// Fills `ToolResult.name` from the tool call with the same id earlier in the conversation.
pub(crate) fn fill_result_names(messages: &mut [Message]) {
    let mut names: HashMap<String, String> = HashMap::new();
    for msg in messages.iter_mut() {
        for part in &mut msg.parts {
            match part {
                Part::ToolCall { id, name, .. } => {
                    names.insert(id.clone(), name.clone());
                }
                Part::ToolResult { call_id, name: name @ None, .. } => {
                    *name = names.get(call_id.as_str()).cloned();
                }
                _ => {}
            }
        }
    }
}

/// Joins text parts with blank lines.
pub(crate) fn join_texts<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for t in texts {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(t);
    }
    out
}

/// Visits every string leaf (not keys) of a JSON value.
pub(crate) fn visit_strings_mut(
    v: &mut Value,
    kind: TextKind,
    f: &mut impl FnMut(TextKind, &mut String),
) {
    match v {
        Value::String(s) => f(kind, s),
        Value::Array(a) => a.iter_mut().for_each(|x| visit_strings_mut(x, kind, f)),
        Value::Object(m) => m.values_mut().for_each(|x| visit_strings_mut(x, kind, f)),
        _ => {}
    }
}

/// Visits a text field that is a string, or an array of `{"text": …}` parts.
pub(crate) fn visit_content_mut(
    v: &mut Value,
    kind: TextKind,
    f: &mut impl FnMut(TextKind, &mut String),
) {
    match v {
        Value::String(s) => f(kind, s),
        Value::Array(parts) => {
            for p in parts {
                if let Some(Value::String(s)) = p.get_mut("text") {
                    f(kind, s);
                }
            }
        }
        _ => {}
    }
}

pub(crate) fn malformed(msg: impl Into<String>) -> ProviderError {
    ProviderError::Malformed(msg.into())
}

pub(crate) fn parse_json(data: &str) -> Result<Value, ProviderError> {
    serde_json::from_str(data).map_err(|e| malformed(format!("stream frame is not JSON: {e}")))
}

/// `data: {json}\n\n` (or with another line ending) as bytes.
pub(crate) fn sse_frame(event: Option<&str>, json: &Value, eol: &str) -> Bytes {
    let mut out = String::new();
    if let Some(name) = event {
        out.push_str("event: ");
        out.push_str(name);
        out.push_str(eol);
    }
    out.push_str("data: ");
    out.push_str(&json.to_string());
    out.push_str(eol);
    out.push_str(eol);
    Bytes::from(out)
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A fresh id with a prefix, for answers whose source had none (time-based, unique enough
/// within a process for SDKs, which only echo it).
pub(crate) fn fresh_id(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}{nanos:x}{:x}", SEQ.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests;
