//! Usage records (one per LLM call) and the reports built from them (F-55).
//!
//! Records carry a pseudonymous user reference (a keyed hash of the subject), never the subject
//! itself, and never any content.

/// One LLM call's accounting.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageRecord {
    pub at_ms: i64,
    /// Keyed hash of the caller's subject (hex).
    pub user_ref: String,
    pub api_key_id: Option<String>,
    /// `proxy`, `console` or `portal`.
    pub source: String,
    pub provider: String,
    pub model: String,
    pub purpose: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_micros: u64,
    /// `ok`, `error`, `interrupted`.
    pub status: String,
    pub degraded: bool,
    pub unpriced: bool,
    pub latency_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Source,
    User,
    Model,
    Provider,
    Day,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "source" => Some(Self::Source),
            "user" => Some(Self::User),
            "model" => Some(Self::Model),
            "provider" => Some(Self::Provider),
            "day" => Some(Self::Day),
            _ => None,
        }
    }
}

/// One group of a usage report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageGroup {
    pub key: String,
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_micros: u64,
}
