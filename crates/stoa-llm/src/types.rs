//! Canonical chat types: the common denominator of the three wire formats, used when a client's
//! format differs from the provider's (and by the chat agent). Only what the gateway converts is
//! typed; same-format calls never go through these types (see `wire` for the pass-through
//! helpers).

use serde_json::Value;

/// A chat request, independent of wire format.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    /// The system prompt (OpenAI system/developer messages, Anthropic `system`, Gemini
    /// `systemInstruction`), several joined with a blank line.
    pub system: Option<String>,
    /// The conversation, in order.
    pub messages: Vec<Message>,
    /// Function tools the model may call.
    pub tools: Vec<Tool>,
    /// How the model must use the tools.
    pub tool_choice: Option<ToolChoice>,
    /// Maximum output tokens.
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Whether the client asked for a streamed answer (Gemini: set from the URL by the caller).
    pub stream: bool,
}

/// Who speaks a message. Tool results are their own role (OpenAI's `tool` messages; Anthropic
/// and Gemini carry them in user turns, and the converters split/merge accordingly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The end user (or application).
    User,
    /// The model.
    Assistant,
    /// Results of tool calls, answering the previous assistant message.
    Tool,
}

/// One message: a role and its parts, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The speaker.
    pub role: Role,
    /// Text, tool calls (assistant) or tool results (tool).
    pub parts: Vec<Part>,
}

impl Message {
    /// A message with a single text part.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Message { role, parts: vec![Part::Text(text.into())] }
    }
}

/// A piece of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Plain text.
    Text(String),
    /// The model calls a tool. `arguments` is the JSON object of arguments (a `Value::String`
    /// holds arguments a model produced that were not valid JSON, kept verbatim).
    ToolCall {
        /// Call id, echoed by the result (synthesized as `call_N` when Gemini gives none).
        id: String,
        /// Tool name.
        name: String,
        /// Arguments.
        arguments: Value,
    },
    /// The result of a tool call.
    ToolResult {
        /// The id of the call this answers.
        call_id: String,
        /// The tool's name, when known (Gemini needs it; filled from the matching call when
        /// parsing the other formats).
        name: Option<String>,
        /// The result as text (JSON text for structured results).
        content: String,
        /// Whether the tool failed (Anthropic `is_error`, Gemini `{"error": …}`; OpenAI has no
        /// such flag and drops it).
        is_error: bool,
    },
}

/// A function tool definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    /// Function name.
    pub name: String,
    /// What it does, for the model.
    pub description: Option<String>,
    /// JSON Schema of the arguments object.
    pub parameters: Value,
}

/// Tool-use constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    /// The model decides.
    Auto,
    /// No tool calls.
    None,
    /// Some tool must be called (OpenAI `required`, Anthropic `any`, Gemini `ANY`).
    Required,
    /// This tool must be called.
    Tool(String),
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Natural end of the answer.
    EndTurn,
    /// The output token limit was hit.
    MaxTokens,
    /// The model called tools and waits for results.
    ToolUse,
    /// A stop sequence matched (OpenAI and Gemini report this as a normal stop).
    StopSequence,
    /// Anything else (content filter, safety, refusal, …).
    Other,
}

/// Token usage of one call, as reported by the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Usage {
    /// Input (prompt) tokens, including cached ones.
    pub input_tokens: u64,
    /// Output (completion) tokens, including reasoning/thinking tokens.
    pub output_tokens: u64,
}

impl Usage {
    /// Builds a usage.
    pub fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Usage { input_tokens, output_tokens }
    }

    /// Input plus output.
    pub fn total(self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

/// A complete (non-streamed) answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The provider's response id.
    pub id: String,
    /// The model that answered, as the provider names it.
    pub model: String,
    /// Text and tool calls, in order.
    pub parts: Vec<Part>,
    /// Why it stopped.
    pub stop: StopReason,
    /// Tokens used.
    pub usage: Usage,
}

/// One event of a streamed answer, independent of wire format. Decoders produce them in this
/// order: `Start`, then any `TextDelta`/`ToolCallStart`/`ToolCallDelta`, then `Stop`, `Usage`
/// (when the provider reported it) and `Done`.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// The answer starts.
    Start {
        /// Response id.
        id: String,
        /// Model name as reported.
        model: String,
    },
    /// More answer text.
    TextDelta(String),
    /// A tool call starts; `index` counts tool calls in this answer from 0.
    ToolCallStart {
        /// Tool call index.
        index: u32,
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
    },
    /// A fragment of a tool call's JSON arguments (the fragments concatenate to the JSON).
    ToolCallDelta {
        /// Tool call index.
        index: u32,
        /// JSON fragment.
        arguments: String,
    },
    /// Why the answer stopped.
    Stop(StopReason),
    /// Provider-reported token usage.
    Usage(Usage),
    /// The stream ended normally.
    Done,
}
