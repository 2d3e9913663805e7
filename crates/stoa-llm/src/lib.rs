//! stoa-llm: everything about LLM providers and their wire formats — model resolution and
//! prices, input token counting, conversion between the OpenAI, Anthropic and Gemini shapes
//! (requests, responses, streams), an incremental SSE parser, the HTTP client with error
//! classification, and the retry policy. It knows nothing about tenants, budgets or HTTP
//! servers: the pipeline in stoa-core/stoa-http drives it.
//!
//! Invariants: no key ever appears in an error, a log line or a URL (Gemini's key goes in
//! `x-goog-api-key`); same-format calls are forwarded untouched except for the model (see
//! `wire`); no `unwrap`/`expect`/printing outside tests.

pub mod backoff;
pub mod client;
pub mod error;
pub mod model;
pub mod price;
pub mod sse;
pub mod tokens;
pub mod types;
pub mod wire;

pub use backoff::{Backoff, Jitter, Retries};
pub use client::{Provider, ProviderError, ProviderReply, SseStream, send_with_backoff};
pub use error::LlmError;
pub use model::{ModelRef, ProviderKind, WireFormat, resolve_model};
pub use price::{Price, PriceTable};
pub use sse::{SseError, SseEvent, SseParser};
pub use tokens::count_input_tokens;
pub use types::{
    ChatRequest, ChatResponse, Message, Part, Role, StopReason, StreamEvent, Tool, ToolChoice,
    Usage,
};
pub use wire::{StreamDecoder, StreamEncoder, TextKind, UsageTap};
