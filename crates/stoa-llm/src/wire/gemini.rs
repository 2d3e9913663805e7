//! Google Gemini `generateContent` / `streamGenerateContent?alt=sse` (v1beta). The model is in
//! the URL, not the body. Turns are `contents[]` with role `user`/`model` and `parts`
//! (`text`, `functionCall{name,args,id?}`, `functionResponse{name,response,id?}`); tool
//! definitions are `tools[].functionDeclarations`; a stream is a sequence of
//! `data: {GenerateContentResponse}` frames (CRLF-separated) with no terminator: the last one
//! carries `finishReason` and `usageMetadata`.
//!
//! The REST API accepts both camelCase and snake_case field names; parsing and the
//! pass-through helpers accept both, rendering writes camelCase.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    TextKind, UsageTap, args_object, arr, fresh_id, join_texts, malformed, obj, opt_f64, opt_str,
    opt_u32, parse_json, req_str, sse_frame, str_or_list, visit_strings_mut,
};
use crate::client::{ProviderError, scrub};
use crate::error::LlmError;
use crate::types::{
    ChatRequest, ChatResponse, Message, Part, Role, StopReason, StreamEvent, Tool, ToolChoice,
    Usage,
};

/// A field by its camelCase or snake_case name (null counts as absent).
fn get2<'a>(m: &'a Map<String, Value>, camel: &str, snake: &str) -> Option<&'a Value> {
    m.get(camel).or_else(|| m.get(snake)).filter(|v| !v.is_null())
}

fn get2_mut<'a>(v: &'a mut Value, camel: &str, snake: &str) -> Option<&'a mut Value> {
    let m = v.as_object_mut()?;
    if m.contains_key(camel) { m.get_mut(camel) } else { m.get_mut(snake) }
}

// ---- requests ----

/// Parses a `generateContent` body. `stream` is left false: the caller knows it from the URL.
/// Function calls without an `id` get `call_N` (N counting calls in the request); a response
/// without an `id` is paired with the oldest unanswered call of the same name.
pub fn parse_request(body: &Value) -> Result<ChatRequest, LlmError> {
    let m = obj(body, "request")?;
    let system = match get2(m, "systemInstruction", "system_instruction") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => {
            let parts = obj(v, "systemInstruction")?
                .get("parts")
                .map(|p| arr(p, "systemInstruction.parts"))
                .transpose()?;
            let mut texts = Vec::new();
            for p in parts.into_iter().flatten() {
                if let Some(t) = p.get("text").and_then(Value::as_str) {
                    texts.push(t);
                }
            }
            Some(join_texts(texts.into_iter()))
        }
    };
    let contents = arr(
        m.get("contents").ok_or_else(|| LlmError::invalid("contents is required"))?,
        "contents",
    )?;
    let mut messages: Vec<Message> = Vec::new();
    let mut calls = 0usize;
    let mut pending: HashMap<String, VecDeque<String>> = HashMap::new();
    for c in contents {
        let co = obj(c, "content")?;
        let role = match opt_str(co, "role")?.unwrap_or("user") {
            "user" => Role::User,
            "model" => Role::Assistant,
            "function" | "tool" => Role::Tool,
            other => return Err(LlmError::invalid(format!("unknown content role {other:?}"))),
        };
        let mut current: Option<Message> = None;
        for p in arr(co.get("parts").unwrap_or(&Value::Null), "content.parts")? {
            let po = obj(p, "part")?;
            let part = if let Some(t) = po.get("text") {
                if po.get("thought").and_then(Value::as_bool) == Some(true) {
                    continue;
                }
                Part::Text(
                    t.as_str()
                        .ok_or_else(|| LlmError::invalid("part.text must be a string"))?
                        .to_owned(),
                )
            } else if let Some(fc) = get2(po, "functionCall", "function_call") {
                let fo = obj(fc, "functionCall")?;
                let name = req_str(fo, "name", "functionCall")?.to_owned();
                let id = match opt_str(fo, "id")? {
                    Some(id) => id.to_owned(),
                    None => format!("call_{calls}"),
                };
                calls += 1;
                pending.entry(name.clone()).or_default().push_back(id.clone());
                Part::ToolCall {
                    id,
                    name,
                    arguments: fo.get("args").cloned().unwrap_or_else(|| json!({})),
                }
            } else if let Some(fr) = get2(po, "functionResponse", "function_response") {
                let fo = obj(fr, "functionResponse")?;
                let name = req_str(fo, "name", "functionResponse")?.to_owned();
                let queue = pending.entry(name.clone()).or_default();
                let call_id = match opt_str(fo, "id")? {
                    Some(id) => {
                        queue.retain(|x| x != id);
                        id.to_owned()
                    }
                    None => queue.pop_front().unwrap_or_else(|| format!("call_{name}")),
                };
                let (content, is_error) = result_content(fo.get("response"));
                Part::ToolResult { call_id, name: Some(name), content, is_error }
            } else {
                let kind = po.keys().next().map_or("empty", String::as_str);
                return Err(LlmError::invalid(format!(
                    "part of kind {kind:?} cannot be converted to another provider's format"
                )));
            };
            let r = if matches!(part, Part::ToolResult { .. }) { Role::Tool } else { role };
            match &mut current {
                Some(cur) if cur.role == r => cur.parts.push(part),
                _ => {
                    messages.extend(current.take());
                    current = Some(Message { role: r, parts: vec![part] });
                }
            }
        }
        messages.push(current.unwrap_or(Message { role, parts: Vec::new() }));
    }
    let mut tools = Vec::new();
    if let Some(ts) = m.get("tools").filter(|v| !v.is_null()) {
        for t in arr(ts, "tools")? {
            let to = obj(t, "tool")?;
            let Some(decls) = get2(to, "functionDeclarations", "function_declarations") else {
                let kind = to.keys().next().map_or("empty", String::as_str);
                return Err(LlmError::invalid(format!("tool {kind:?} cannot be converted")));
            };
            for d in arr(decls, "functionDeclarations")? {
                let dobj = obj(d, "functionDeclaration")?;
                tools.push(Tool {
                    name: req_str(dobj, "name", "functionDeclaration")?.to_owned(),
                    description: opt_str(dobj, "description")?.map(str::to_owned),
                    parameters: get2(dobj, "parameters", "parameters")
                        .or_else(|| get2(dobj, "parametersJsonSchema", "parameters_json_schema"))
                        .cloned()
                        .unwrap_or_else(super::openai::empty_schema),
                });
            }
        }
    }
    let tool_choice = match get2(m, "toolConfig", "tool_config")
        .and_then(Value::as_object)
        .and_then(|tc| get2(tc, "functionCallingConfig", "function_calling_config"))
        .and_then(Value::as_object)
    {
        None => None,
        Some(fc) => {
            let allowed = str_or_list(
                get2(fc, "allowedFunctionNames", "allowed_function_names"),
                "allowedFunctionNames",
            )?;
            match opt_str(fc, "mode")?.unwrap_or("AUTO") {
                "ANY" if allowed.len() == 1 => allowed.into_iter().next().map(ToolChoice::Tool),
                "ANY" => Some(ToolChoice::Required),
                "NONE" => Some(ToolChoice::None),
                _ => Some(ToolChoice::Auto),
            }
        }
    };
    let gc = match get2(m, "generationConfig", "generation_config") {
        Some(v) => obj(v, "generationConfig")?.clone(),
        None => Map::new(),
    };
    let gc_u32 = |camel: &str, snake: &str| -> Result<Option<u32>, LlmError> {
        if gc.contains_key(camel) { opt_u32(&gc, camel) } else { opt_u32(&gc, snake) }
    };
    let gc_f64 = |camel: &str, snake: &str| -> Result<Option<f64>, LlmError> {
        if gc.contains_key(camel) { opt_f64(&gc, camel) } else { opt_f64(&gc, snake) }
    };
    Ok(ChatRequest {
        system,
        messages,
        tools,
        tool_choice,
        max_tokens: gc_u32("maxOutputTokens", "max_output_tokens")?,
        temperature: gc_f64("temperature", "temperature")?,
        top_p: gc_f64("topP", "top_p")?,
        stop: str_or_list(get2(&gc, "stopSequences", "stop_sequences"), "stopSequences")?,
        stream: false,
    })
}

/// A `functionResponse.response` as text: `{"output": x}` → x, `{"error": x}` → x flagged as
/// an error, any other object → its JSON text.
fn result_content(response: Option<&Value>) -> (String, bool) {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match response {
        None | Some(Value::Null) => (String::new(), false),
        Some(Value::Object(o)) if o.len() == 1 && o.contains_key("output") => {
            (text(&o["output"]), false)
        }
        Some(Value::Object(o)) if o.len() == 1 && o.contains_key("error") => {
            (text(&o["error"]), true)
        }
        Some(v) => (text(v), false),
    }
}

/// The inverse of `result_content`: an error as `{"error": …}`, a JSON-object text as that
/// object, anything else as `{"output": …}` (Gemini requires an object).
fn result_response(content: &str, is_error: bool) -> Value {
    if is_error {
        return json!({"error": content});
    }
    match serde_json::from_str::<Value>(content) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({"output": content}),
    }
}

/// JSON Schema keys Gemini's `Schema` (an OpenAPI subset) accepts in `parameters`; others
/// (`additionalProperties`, `$schema`, `$ref`, …) are rejected by the API, so they are dropped.
const SCHEMA_KEYS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
];

/// Reduces a JSON Schema to what Gemini's `parameters` accepts (`["string","null"]` types
/// become `nullable`, a string `const` becomes a one-value `enum`).
pub fn gemini_schema(schema: &Value) -> Value {
    let Value::Object(m) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (k, v) in m {
        match k.as_str() {
            "type" => match v {
                Value::Array(types) => {
                    let non_null: Vec<&Value> =
                        types.iter().filter(|t| t.as_str() != Some("null")).collect();
                    if let Some(t) = non_null.first() {
                        out.insert("type".into(), (*t).clone());
                    }
                    if non_null.len() < types.len() {
                        out.insert("nullable".into(), true.into());
                    }
                }
                _ => {
                    out.insert("type".into(), v.clone());
                }
            },
            "properties" => {
                if let Value::Object(props) = v {
                    let p: Map<String, Value> =
                        props.iter().map(|(n, s)| (n.clone(), gemini_schema(s))).collect();
                    out.insert("properties".into(), Value::Object(p));
                }
            }
            "items" => {
                out.insert("items".into(), gemini_schema(v));
            }
            "anyOf" => {
                if let Value::Array(alts) = v {
                    out.insert(
                        "anyOf".into(),
                        Value::Array(alts.iter().map(gemini_schema).collect()),
                    );
                }
            }
            "const" if v.is_string() => {
                out.insert("enum".into(), json!([v]));
            }
            key if SCHEMA_KEYS.contains(&key) => {
                out.insert(k.clone(), v.clone());
            }
            _ => {}
        }
    }
    Value::Object(out)
}

/// Renders a `generateContent` body (the `model` argument is unused: it goes in the URL).
/// Tool results become `functionResponse` parts of a user turn, merged with a following user
/// message; parameter schemas are reduced with `gemini_schema`.
pub fn render_request(req: &ChatRequest, _model: &str) -> Value {
    let mut names: HashMap<&str, &str> = HashMap::new();
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for msg in &req.messages {
        let role = if msg.role == Role::Assistant { "model" } else { "user" };
        let mut parts = Vec::new();
        for p in &msg.parts {
            match p {
                Part::Text(t) => parts.push(json!({"text": t})),
                Part::ToolCall { id, name, arguments } => {
                    names.insert(id, name);
                    parts.push(json!({"functionCall": {"id": id, "name": name, "args": args_object(arguments)}}));
                }
                Part::ToolResult { call_id, name, content, is_error } => {
                    let name = name
                        .as_deref()
                        .or_else(|| names.get(call_id.as_str()).copied())
                        .unwrap_or(call_id);
                    parts.push(json!({"functionResponse": {
                        "id": call_id, "name": name, "response": result_response(content, *is_error)
                    }}));
                }
            }
        }
        match turns.last_mut() {
            Some((r, prev)) if *r == role => prev.extend(parts),
            _ => turns.push((role, parts)),
        }
    }
    let mut out = Map::new();
    out.insert(
        "contents".into(),
        Value::Array(
            turns.into_iter().map(|(role, parts)| json!({"role": role, "parts": parts})).collect(),
        ),
    );
    if let Some(s) = &req.system {
        out.insert("systemInstruction".into(), json!({"parts": [{"text": s}]}));
    }
    if !req.tools.is_empty() {
        let decls: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                let mut d = Map::new();
                d.insert("name".into(), t.name.clone().into());
                if let Some(desc) = &t.description {
                    d.insert("description".into(), desc.clone().into());
                }
                d.insert("parameters".into(), gemini_schema(&t.parameters));
                Value::Object(d)
            })
            .collect();
        out.insert("tools".into(), json!([{"functionDeclarations": decls}]));
    }
    if let Some(tc) = &req.tool_choice {
        let fc = match tc {
            ToolChoice::Auto => json!({"mode": "AUTO"}),
            ToolChoice::None => json!({"mode": "NONE"}),
            ToolChoice::Required => json!({"mode": "ANY"}),
            ToolChoice::Tool(name) => json!({"mode": "ANY", "allowedFunctionNames": [name]}),
        };
        out.insert("toolConfig".into(), json!({"functionCallingConfig": fc}));
    }
    let mut gc = Map::new();
    if let Some(n) = req.max_tokens {
        gc.insert("maxOutputTokens".into(), n.into());
    }
    if let Some(t) = req.temperature {
        gc.insert("temperature".into(), t.into());
    }
    if let Some(p) = req.top_p {
        gc.insert("topP".into(), p.into());
    }
    if !req.stop.is_empty() {
        gc.insert("stopSequences".into(), req.stop.clone().into());
    }
    if !gc.is_empty() {
        out.insert("generationConfig".into(), Value::Object(gc));
    }
    Value::Object(out)
}

// ---- responses ----

fn stop_from(s: &str, tools: bool) -> StopReason {
    match s {
        "STOP" if tools => StopReason::ToolUse,
        "STOP" => StopReason::EndTurn,
        "MAX_TOKENS" => StopReason::MaxTokens,
        _ => StopReason::Other,
    }
}

fn stop_to(s: StopReason) -> &'static str {
    match s {
        StopReason::EndTurn | StopReason::StopSequence | StopReason::ToolUse => "STOP",
        StopReason::MaxTokens => "MAX_TOKENS",
        StopReason::Other => "OTHER",
    }
}

/// `usageMetadata`: input = prompt + tool-use prompt tokens; output = candidates + thoughts
/// (thinking tokens are billed as output).
fn usage_of(u: &Value) -> Option<Usage> {
    let n = |k: &str| u.get(k).and_then(Value::as_u64);
    if n("promptTokenCount").is_none() && n("candidatesTokenCount").is_none() {
        return None;
    }
    Some(Usage::new(
        n("promptTokenCount").unwrap_or(0) + n("toolUsePromptTokenCount").unwrap_or(0),
        n("candidatesTokenCount").unwrap_or(0) + n("thoughtsTokenCount").unwrap_or(0),
    ))
}

fn error_of(err: &Value) -> ProviderError {
    let code = err.get("code").and_then(Value::as_u64).unwrap_or(500);
    let status = err.get("status").and_then(Value::as_str).unwrap_or_default();
    let message = err.get("message").and_then(Value::as_str).unwrap_or("provider error");
    match code {
        429 => ProviderError::RateLimited { retry_after: None },
        _ if status == "RESOURCE_EXHAUSTED" => ProviderError::RateLimited { retry_after: None },
        400..=499 => ProviderError::Client { status: code as u16, message: scrub(message, "") },
        _ => ProviderError::Server { status: u16::try_from(code).unwrap_or(500) },
    }
}

/// Parses a `GenerateContentResponse` (first candidate; adjacent text parts are joined).
pub fn parse_response(body: &Value) -> Result<ChatResponse, ProviderError> {
    if let Some(err) = body.get("error") {
        return Err(error_of(err));
    }
    let candidate = body.get("candidates").and_then(Value::as_array).and_then(|c| c.first());
    let mut parts: Vec<Part> = Vec::new();
    let mut tools = false;
    let id = body.get("responseId").and_then(Value::as_str).unwrap_or_default();
    if let Some(ps) = candidate.and_then(|c| c.pointer("/content/parts")).and_then(Value::as_array)
    {
        for p in ps {
            if let Some(t) = p.get("text").and_then(Value::as_str) {
                if p.get("thought").and_then(Value::as_bool) == Some(true) {
                    continue;
                }
                match parts.last_mut() {
                    Some(Part::Text(prev)) => prev.push_str(t),
                    _ => parts.push(Part::Text(t.to_owned())),
                }
            } else if let Some(fc) = p.get("functionCall") {
                tools = true;
                parts.push(Part::ToolCall {
                    id: fc
                        .get("id")
                        .and_then(Value::as_str)
                        .map_or_else(|| fresh_id("call_"), str::to_owned),
                    name: fc
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or_else(|| malformed("functionCall without name"))?
                        .to_owned(),
                    arguments: fc.get("args").cloned().unwrap_or_else(|| json!({})),
                });
            }
        }
    }
    let stop = match candidate.and_then(|c| c.get("finishReason")).and_then(Value::as_str) {
        Some(r) => stop_from(r, tools),
        None if candidate.is_none() => StopReason::Other,
        None => stop_from("STOP", tools),
    };
    Ok(ChatResponse {
        id: id.to_owned(),
        model: body.get("modelVersion").and_then(Value::as_str).unwrap_or_default().to_owned(),
        parts,
        stop,
        usage: body.get("usageMetadata").and_then(usage_of).unwrap_or_default(),
    })
}

fn usage_json(u: Usage) -> Value {
    json!({"promptTokenCount": u.input_tokens, "candidatesTokenCount": u.output_tokens, "totalTokenCount": u.total()})
}

/// Renders a `GenerateContentResponse`.
pub fn render_response(resp: &ChatResponse) -> Value {
    let parts: Vec<Value> = resp
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Text(t) => Some(json!({"text": t})),
            Part::ToolCall { id, name, arguments } => Some(
                json!({"functionCall": {"id": id, "name": name, "args": args_object(arguments)}}),
            ),
            Part::ToolResult { .. } => None,
        })
        .collect();
    let mut out = json!({
        "candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": stop_to(resp.stop), "index": 0}],
        "usageMetadata": usage_json(resp.usage),
        "modelVersion": resp.model,
    });
    if !resp.id.is_empty() {
        out["responseId"] = resp.id.clone().into();
    }
    out
}

// ---- streams ----

/// Decodes `GenerateContentResponse` frames. Gemini streams have no terminator: the stream is
/// complete if a `finishReason` was seen; `finish` then emits the usage and `Done`.
#[derive(Debug, Default)]
pub struct Decoder {
    started: bool,
    next_tool: u32,
    stopped: bool,
    done: bool,
    usage: Option<Usage>,
}

impl Decoder {
    /// A fresh decoder.
    pub fn new() -> Self {
        Decoder::default()
    }

    /// Decodes one frame.
    pub fn push(
        &mut self,
        _event: Option<&str>,
        data: &str,
    ) -> Result<Vec<StreamEvent>, ProviderError> {
        let v = parse_json(data)?;
        if let Some(err) = v.get("error") {
            return Err(error_of(err));
        }
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                id: v.get("responseId").and_then(Value::as_str).unwrap_or_default().to_owned(),
                model: v.get("modelVersion").and_then(Value::as_str).unwrap_or_default().to_owned(),
            });
        }
        let candidate = v.get("candidates").and_then(Value::as_array).and_then(|c| c.first());
        if let Some(ps) =
            candidate.and_then(|c| c.pointer("/content/parts")).and_then(Value::as_array)
        {
            for p in ps {
                if let Some(t) = p.get("text").and_then(Value::as_str) {
                    if p.get("thought").and_then(Value::as_bool) != Some(true) && !t.is_empty() {
                        out.push(StreamEvent::TextDelta(t.to_owned()));
                    }
                } else if let Some(fc) = p.get("functionCall") {
                    let index = self.next_tool;
                    self.next_tool += 1;
                    out.push(StreamEvent::ToolCallStart {
                        index,
                        id: fc
                            .get("id")
                            .and_then(Value::as_str)
                            .map_or_else(|| fresh_id("call_"), str::to_owned),
                        name: fc.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    });
                    let args = fc.get("args").cloned().unwrap_or_else(|| json!({}));
                    out.push(StreamEvent::ToolCallDelta { index, arguments: args.to_string() });
                }
            }
        }
        if let Some(u) = v.get("usageMetadata").and_then(usage_of) {
            self.usage = Some(u);
        }
        let finish = candidate.and_then(|c| c.get("finishReason")).and_then(Value::as_str);
        let blocked = candidate.is_none() && v.pointer("/promptFeedback/blockReason").is_some();
        if !self.stopped && (finish.is_some() || blocked) {
            self.stopped = true;
            out.push(StreamEvent::Stop(match finish {
                Some(r) => stop_from(r, self.next_tool > 0),
                None => StopReason::Other,
            }));
        }
        Ok(out)
    }

    /// End of input: `Usage` (if reported) and `Done` when a `finishReason` was seen, else
    /// `StreamDropped`.
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, ProviderError> {
        if self.done {
            return Ok(Vec::new());
        }
        if !self.stopped {
            return Err(ProviderError::StreamDropped);
        }
        self.done = true;
        let mut out: Vec<StreamEvent> = self.usage.map(StreamEvent::Usage).into_iter().collect();
        out.push(StreamEvent::Done);
        Ok(out)
    }
}

#[derive(Debug)]
struct PendingCall {
    index: u32,
    id: String,
    name: String,
    args: String,
}

/// Encodes canonical events as `GenerateContentResponse` frames. Text goes out at once; a
/// tool call is sent whole (Gemini sends `args` as an object) once its arguments are
/// complete; the last frame carries `finishReason` and `usageMetadata`.
#[derive(Debug, Default)]
pub struct Encoder {
    id: String,
    model: String,
    calls: Vec<PendingCall>,
    stop: Option<StopReason>,
    usage: Option<Usage>,
    done: bool,
}

impl Encoder {
    /// A fresh encoder.
    pub fn new() -> Self {
        Encoder::default()
    }

    fn chunk(&self, parts: Vec<Value>, finish: Option<StopReason>) -> Value {
        let mut cand = json!({"content": {"role": "model"}, "index": 0});
        cand["content"]["parts"] = Value::Array(parts);
        if let Some(r) = finish {
            cand["finishReason"] = stop_to(r).into();
        }
        let mut out = json!({"candidates": [cand]});
        if finish.is_some() {
            out["usageMetadata"] = usage_json(self.usage.unwrap_or_default());
        }
        if !self.model.is_empty() {
            out["modelVersion"] = self.model.clone().into();
        }
        if !self.id.is_empty() {
            out["responseId"] = self.id.clone().into();
        }
        out
    }

    fn take_calls(&mut self) -> Vec<Value> {
        self.calls
            .drain(..)
            .map(|c| {
                let args = match serde_json::from_str::<Value>(&c.args) {
                    Ok(v @ Value::Object(_)) => v,
                    _ => json!({}),
                };
                json!({"functionCall": {"id": c.id, "name": c.name, "args": args}})
            })
            .collect()
    }

    /// The frames for one canonical event.
    pub fn encode(&mut self, ev: &StreamEvent) -> Bytes {
        if self.done {
            return Bytes::new();
        }
        let mut out = Vec::new();
        match ev {
            StreamEvent::Start { id, model } => {
                self.id.clone_from(id);
                self.model.clone_from(model);
            }
            StreamEvent::TextDelta(t) => {
                let mut parts = self.take_calls();
                parts.push(json!({"text": t}));
                out.extend_from_slice(&sse_frame(None, &self.chunk(parts, None), "\r\n"));
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                self.calls.push(PendingCall {
                    index: *index,
                    id: id.clone(),
                    name: name.clone(),
                    args: String::new(),
                });
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                if let Some(c) = self.calls.iter_mut().find(|c| c.index == *index) {
                    c.args.push_str(arguments);
                }
            }
            StreamEvent::Stop(r) => self.stop = Some(*r),
            StreamEvent::Usage(u) => self.usage = Some(*u),
            StreamEvent::Done => {
                let mut parts = self.take_calls();
                if parts.is_empty() {
                    parts.push(json!({"text": ""}));
                }
                let stop = self.stop.unwrap_or(StopReason::EndTurn);
                out.extend_from_slice(&sse_frame(None, &self.chunk(parts, Some(stop)), "\r\n"));
                self.done = true;
            }
        }
        Bytes::from(out)
    }

    /// An error frame (`{"error": {code, message, status}}`).
    pub fn error(&mut self, message: &str) -> Bytes {
        sse_frame(
            None,
            &json!({"error": {"code": 500, "message": message, "status": "INTERNAL"}}),
            "\r\n",
        )
    }
}

// ---- pass-through helpers ----

/// Visits the system instruction, text parts, strings inside `functionCall.args` and
/// `functionResponse.response`, and function descriptions.
pub fn texts_mut(body: &mut Value, mut f: impl FnMut(TextKind, &mut String)) {
    if let Some(si) = get2_mut(body, "systemInstruction", "system_instruction") {
        match si {
            Value::String(s) => f(TextKind::System, s),
            _ => {
                if let Some(Value::Array(parts)) = si.get_mut("parts") {
                    for p in parts {
                        if let Some(Value::String(t)) = p.get_mut("text") {
                            f(TextKind::System, t);
                        }
                    }
                }
            }
        }
    }
    if let Some(Value::Array(contents)) = body.get_mut("contents") {
        for c in contents {
            let kind = match c.get("role").and_then(Value::as_str) {
                Some("model") => TextKind::Assistant,
                _ => TextKind::User,
            };
            if let Some(Value::Array(parts)) = c.get_mut("parts") {
                for p in parts {
                    if let Some(Value::String(t)) = p.get_mut("text") {
                        f(kind, t);
                    } else if let Some(args) = get2_mut(p, "functionCall", "function_call")
                        .and_then(|fc| fc.get_mut("args"))
                    {
                        visit_strings_mut(args, TextKind::ToolCall, &mut f);
                    } else if let Some(resp) = get2_mut(p, "functionResponse", "function_response")
                        .and_then(|fr| fr.get_mut("response"))
                    {
                        visit_strings_mut(resp, TextKind::ToolResult, &mut f);
                    }
                }
            }
        }
    }
    if let Some(Value::Array(tools)) = body.get_mut("tools") {
        for t in tools {
            if let Some(Value::Array(decls)) =
                get2_mut(t, "functionDeclarations", "function_declarations")
            {
                for d in decls {
                    if let Some(Value::String(desc)) = d.get_mut("description") {
                        f(TextKind::ToolDescription, desc);
                    }
                }
            }
        }
    }
}

/// No-op: the Gemini model is in the URL.
pub fn set_model(_body: &mut Value, _model: &str) {}

/// `generationConfig.maxOutputTokens` (either spelling).
pub fn max_output_tokens(body: &Value) -> Option<u64> {
    let gc = get2(body.as_object()?, "generationConfig", "generation_config")?.as_object()?;
    get2(gc, "maxOutputTokens", "max_output_tokens")?.as_u64()
}

/// Always false: Gemini streams by URL (`:streamGenerateContent`), not by body.
pub fn is_stream(_body: &Value) -> bool {
    false
}

/// `usageMetadata` of a response.
pub fn usage_from_response(body: &Value) -> Option<Usage> {
    body.get("usageMetadata").and_then(usage_of)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseLite<'a> {
    #[serde(default, borrow)]
    candidates: Option<Vec<CandidateLite<'a>>>,
    #[serde(default)]
    usage_metadata: Option<UsageLite>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CandidateLite<'a> {
    #[serde(default, borrow)]
    content: Option<ContentLite<'a>>,
    #[serde(default, borrow)]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ContentLite<'a> {
    #[serde(default, borrow)]
    parts: Option<Vec<PartLite<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartLite<'a> {
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default)]
    function_call: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageLite {
    #[serde(default)]
    prompt_token_count: Option<u64>,
    #[serde(default)]
    tool_use_prompt_token_count: Option<u64>,
    #[serde(default)]
    candidates_token_count: Option<u64>,
    #[serde(default)]
    thoughts_token_count: Option<u64>,
}

pub(crate) fn tap(t: &mut UsageTap, data: &[u8]) {
    let Ok(r) = serde_json::from_slice::<ResponseLite<'_>>(data) else {
        return;
    };
    for c in r.candidates.iter().flatten() {
        for p in c.content.iter().flat_map(|c| c.parts.iter().flatten()) {
            if let Some(text) = &p.text {
                t.add_chars(text);
            }
            if let Some(args) = p.function_call.as_ref().and_then(|fc| fc.get("args")) {
                t.chars += args.to_string().len() as u64;
            }
        }
        if c.finish_reason.is_some() {
            t.finished = true;
        }
    }
    if let Some(u) = r.usage_metadata {
        if let Some(p) = u.prompt_token_count {
            t.input = Some(p + u.tool_use_prompt_token_count.unwrap_or(0));
        }
        if u.candidates_token_count.is_some() || u.thoughts_token_count.is_some() {
            t.output =
                Some(u.candidates_token_count.unwrap_or(0) + u.thoughts_token_count.unwrap_or(0));
        }
    }
}
