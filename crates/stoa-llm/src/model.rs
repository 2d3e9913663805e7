//! Providers, wire formats and model-name resolution (spec §13): `provider/model` names, operator
//! aliases, and the default provider of a bare name per endpoint shape.

use std::collections::HashMap;
use std::fmt;

use crate::error::LlmError;
use crate::price::PriceTable;

/// An upstream provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderKind {
    /// Anthropic Messages API.
    Anthropic,
    /// OpenAI Chat Completions.
    OpenAi,
    /// Google Gemini (generateContent).
    Gemini,
    /// A local OpenAI-compatible server (llama.cpp, Ollama, vLLM): Tier A fallback.
    Local,
}

impl ProviderKind {
    /// Every provider, in a fixed order.
    pub const ALL: [ProviderKind; 4] =
        [ProviderKind::Anthropic, ProviderKind::OpenAi, ProviderKind::Gemini, ProviderKind::Local];

    /// The lowercase name used in `provider/model` names, configuration and the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenAi => "openai",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Local => "local",
        }
    }

    /// Parses a provider name (`anthropic`, `openai`, `gemini`, `local`; ASCII case-insensitive).
    pub fn parse(name: &str) -> Option<ProviderKind> {
        ProviderKind::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(name))
    }

    /// The wire format this provider speaks (a local server speaks OpenAI's).
    pub fn wire_format(self) -> WireFormat {
        match self {
            ProviderKind::Anthropic => WireFormat::Anthropic,
            ProviderKind::OpenAi | ProviderKind::Local => WireFormat::OpenAi,
            ProviderKind::Gemini => WireFormat::Gemini,
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            ProviderKind::Anthropic => 0,
            ProviderKind::OpenAi => 1,
            ProviderKind::Gemini => 2,
            ProviderKind::Local => 3,
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request/response body shape: which endpoint a client called, or what a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireFormat {
    /// OpenAI Chat Completions (`POST /v1/chat/completions`).
    OpenAi,
    /// Anthropic Messages (`POST /v1/messages`).
    Anthropic,
    /// Gemini `generateContent` / `streamGenerateContent?alt=sse`.
    Gemini,
}

impl WireFormat {
    /// `openai`, `anthropic` or `gemini`.
    pub fn as_str(self) -> &'static str {
        match self {
            WireFormat::OpenAi => "openai",
            WireFormat::Anthropic => "anthropic",
            WireFormat::Gemini => "gemini",
        }
    }
}

/// A resolved model: which provider, and the provider's own model name (without prefix).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelRef {
    /// The provider that serves the model.
    pub provider: ProviderKind,
    /// The model name as the provider knows it, e.g. `claude-sonnet-4-6`.
    pub model: String,
}

impl ModelRef {
    /// Builds a reference.
    pub fn new(provider: ProviderKind, model: impl Into<String>) -> Self {
        ModelRef { provider, model: model.into() }
    }
}

impl fmt::Display for ModelRef {
    /// `provider/model`, the qualified name used in the price table and the ledger.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider.as_str(), self.model)
    }
}

/// Resolves a model name from a client request (spec §13).
///
/// In order:
/// 1. a configured alias (`aliases[name]`, whose value must be `provider/model`);
/// 2. `provider/model` with a known provider prefix (`anthropic/`, `openai/`, `gemini/`,
///    `local/`); the model part may itself contain `/` (`local/meta-llama/Llama-3-8B`);
///    any other prefix is `UnknownModel`;
/// 3. a bare name: on the Anthropic- or Gemini-shaped endpoint that provider; on the
///    OpenAI-shaped one the provider whose price-table entry has that name (OpenAI first),
///    else OpenAI.
///
/// On the Gemini endpoint a leading `models/` (as in the REST path) is ignored. A known
/// provider's model that is missing from the price table resolves fine: check
/// `PriceTable::get` (or the flag of `PriceTable::cost_micros`) for `unpriced`.
pub fn resolve_model(
    name: &str,
    endpoint: WireFormat,
    aliases: &HashMap<String, String>,
    prices: &PriceTable,
) -> Result<ModelRef, LlmError> {
    let name = name.trim();
    let name = match endpoint {
        WireFormat::Gemini => name.strip_prefix("models/").unwrap_or(name),
        _ => name,
    };
    if name.is_empty() {
        return Err(LlmError::UnknownModel("empty model name".into()));
    }
    if let Some(target) = aliases.get(name) {
        return qualified(target).ok_or_else(|| LlmError::UnknownModel(name.to_owned()));
    }
    if name.contains('/') {
        return qualified(name).ok_or_else(|| LlmError::UnknownModel(name.to_owned()));
    }
    let provider = match endpoint {
        WireFormat::Anthropic => ProviderKind::Anthropic,
        WireFormat::Gemini => ProviderKind::Gemini,
        WireFormat::OpenAi => prices.provider_of(name).unwrap_or(ProviderKind::OpenAi),
    };
    Ok(ModelRef::new(provider, name))
}

/// Parses `provider/model` with a known provider and a non-empty model.
fn qualified(name: &str) -> Option<ModelRef> {
    let (prefix, model) = name.split_once('/')?;
    let provider = ProviderKind::parse(prefix)?;
    let model = model.trim();
    if model.is_empty() {
        return None;
    }
    Some(ModelRef::new(provider, model))
}

#[cfg(test)]
mod tests;
