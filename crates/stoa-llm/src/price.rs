//! The price table: USD per million input and output tokens per `provider/model`, with
//! defaults at the providers' published list prices, operator overrides, and cost arithmetic
//! in integer micro-USD (no float drift in the ledger).

use std::collections::HashMap;

use serde_json::Value;

use crate::error::LlmError;
use crate::model::{ModelRef, ProviderKind};
use crate::types::Usage;

/// A model's list price in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// USD per million input (prompt) tokens.
    pub input: f64,
    /// USD per million output (completion) tokens.
    pub output: f64,
}

/// Internal form: micro-USD per million tokens, so cost = tokens × price / 10⁶ exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Micro {
    input: u64,
    output: u64,
}

impl Micro {
    fn from_price(p: Price) -> Micro {
        // Validated finite, non-negative and bounded before this point.
        Micro { input: (p.input * 1e6).round() as u64, output: (p.output * 1e6).round() as u64 }
    }
    fn to_price(self) -> Price {
        Price { input: self.input as f64 / 1e6, output: self.output as f64 / 1e6 }
    }
}

/// Default list prices (USD per million tokens, standard tier, no caching/batch discounts;
/// Gemini 2.5 Pro at its ≤200k-token prompt rate). Local models cost 0 and need no entry.
const DEFAULTS: &[(ProviderKind, &str, f64, f64)] = &[
    (ProviderKind::Anthropic, "claude-sonnet-4-6", 3.0, 15.0),
    (ProviderKind::Anthropic, "claude-sonnet-4-5", 3.0, 15.0),
    (ProviderKind::Anthropic, "claude-sonnet-4-0", 3.0, 15.0),
    (ProviderKind::Anthropic, "claude-3-7-sonnet-latest", 3.0, 15.0),
    (ProviderKind::Anthropic, "claude-opus-4-1", 15.0, 75.0),
    (ProviderKind::Anthropic, "claude-opus-4-0", 15.0, 75.0),
    (ProviderKind::Anthropic, "claude-opus-4-5", 5.0, 25.0),
    (ProviderKind::Anthropic, "claude-haiku-4-5", 1.0, 5.0),
    (ProviderKind::Anthropic, "claude-3-5-haiku-latest", 0.8, 4.0),
    (ProviderKind::OpenAi, "gpt-4o", 2.5, 10.0),
    (ProviderKind::OpenAi, "gpt-4o-mini", 0.15, 0.6),
    (ProviderKind::OpenAi, "gpt-4.1", 2.0, 8.0),
    (ProviderKind::OpenAi, "gpt-4.1-mini", 0.4, 1.6),
    (ProviderKind::OpenAi, "gpt-4.1-nano", 0.1, 0.4),
    (ProviderKind::OpenAi, "gpt-5", 1.25, 10.0),
    (ProviderKind::OpenAi, "gpt-5-mini", 0.25, 2.0),
    (ProviderKind::OpenAi, "gpt-5-nano", 0.05, 0.4),
    (ProviderKind::OpenAi, "o3", 2.0, 8.0),
    (ProviderKind::OpenAi, "o3-mini", 1.1, 4.4),
    (ProviderKind::OpenAi, "o4-mini", 1.1, 4.4),
    (ProviderKind::OpenAi, "gpt-3.5-turbo", 0.5, 1.5),
    (ProviderKind::Gemini, "gemini-2.0-flash", 0.1, 0.4),
    (ProviderKind::Gemini, "gemini-2.0-flash-lite", 0.075, 0.3),
    (ProviderKind::Gemini, "gemini-2.5-pro", 1.25, 10.0),
    (ProviderKind::Gemini, "gemini-2.5-flash", 0.3, 2.5),
    (ProviderKind::Gemini, "gemini-2.5-flash-lite", 0.1, 0.4),
];

/// Per-model prices, one map per provider so a lookup by `(provider, &str)` allocates nothing.
#[derive(Debug, Clone)]
pub struct PriceTable {
    by_provider: [HashMap<String, Micro>; 4],
}

impl Default for PriceTable {
    /// The built-in list prices.
    fn default() -> Self {
        let mut table = PriceTable::empty();
        for &(provider, model, input, output) in DEFAULTS {
            table.by_provider[provider.index()]
                .insert(model.to_owned(), Micro::from_price(Price { input, output }));
        }
        table
    }
}

impl PriceTable {
    /// A table with no entries (every non-local model unpriced).
    pub fn empty() -> Self {
        PriceTable { by_provider: Default::default() }
    }

    /// Every priced model, sorted by provider then name.
    pub fn models(&self) -> Vec<ModelRef> {
        let mut out: Vec<ModelRef> = ProviderKind::ALL
            .into_iter()
            .flat_map(|p| {
                self.by_provider[p.index()].keys().map(move |m| ModelRef::new(p, m.clone()))
            })
            .collect();
        out.sort_by(|a, b| (a.provider, &a.model).cmp(&(b.provider, &b.model)));
        out
    }

    /// Applies operator overrides on top of this table: a JSON object
    /// `{"provider/model": {"input": 3.0, "output": 15.0}, …}` (USD per million tokens; a TOML
    /// table converted to JSON works the same). Keys need a known provider prefix; prices must
    /// be finite, non-negative and below 1 000 000. Unknown fields are rejected (typos).
    pub fn with_overrides(mut self, overrides: &Value) -> Result<Self, LlmError> {
        let Some(map) = overrides.as_object() else {
            return Err(LlmError::InvalidConfig("price overrides must be a JSON object".into()));
        };
        for (name, entry) in map {
            let bad = |why: &str| LlmError::InvalidConfig(format!("price for {name:?}: {why}"));
            let (prefix, model) =
                name.split_once('/').ok_or_else(|| bad("expected provider/model"))?;
            let provider = ProviderKind::parse(prefix).ok_or_else(|| bad("unknown provider"))?;
            if model.is_empty() {
                return Err(bad("empty model name"));
            }
            let fields =
                entry.as_object().ok_or_else(|| bad("expected {\"input\", \"output\"}"))?;
            if let Some(extra) = fields.keys().find(|k| *k != "input" && *k != "output") {
                return Err(bad(&format!("unknown field {extra:?}")));
            }
            let field = |k: &str| -> Result<f64, LlmError> {
                let v = fields
                    .get(k)
                    .and_then(Value::as_f64)
                    .ok_or_else(|| bad(&format!("{k} must be a number")))?;
                if !v.is_finite() || !(0.0..1_000_000.0).contains(&v) {
                    return Err(bad(&format!("{k} out of range")));
                }
                Ok(v)
            };
            let price = Price { input: field("input")?, output: field("output")? };
            self.by_provider[provider.index()].insert(model.to_owned(), Micro::from_price(price));
        }
        Ok(self)
    }

    /// Sets one price (validated like an override).
    pub fn insert(&mut self, model: &ModelRef, price: Price) -> Result<(), LlmError> {
        let ok = |v: f64| v.is_finite() && (0.0..1_000_000.0).contains(&v);
        if !ok(price.input) || !ok(price.output) {
            return Err(LlmError::InvalidConfig(format!("price for {model} out of range")));
        }
        self.by_provider[model.provider.index()]
            .insert(model.model.clone(), Micro::from_price(price));
        Ok(())
    }

    /// The price of a model: its entry, else 0 for local models, else `None` (unpriced).
    pub fn get(&self, model: &ModelRef) -> Option<Price> {
        self.micro(model).map(Micro::to_price)
    }

    fn micro(&self, model: &ModelRef) -> Option<Micro> {
        match self.by_provider[model.provider.index()].get(model.model.as_str()) {
            Some(m) => Some(*m),
            None if model.provider == ProviderKind::Local => Some(Micro { input: 0, output: 0 }),
            None => None,
        }
    }

    /// The provider whose entry lists this bare model name (OpenAI, then Anthropic, Gemini,
    /// local), used to route bare names on the OpenAI-shaped endpoint.
    pub fn provider_of(&self, model: &str) -> Option<ProviderKind> {
        [ProviderKind::OpenAi, ProviderKind::Anthropic, ProviderKind::Gemini, ProviderKind::Local]
            .into_iter()
            .find(|p| self.by_provider[p.index()].contains_key(model))
    }

    /// The cost of a call in micro-USD (rounded to the nearest micro-USD) and whether the
    /// model is unpriced (then the cost is 0; tokens still count against budgets).
    pub fn cost_micros(&self, model: &ModelRef, usage: Usage) -> (u64, bool) {
        let Some(m) = self.micro(model) else {
            return (0, true);
        };
        let pico = u128::from(usage.input_tokens) * u128::from(m.input)
            + u128::from(usage.output_tokens) * u128::from(m.output);
        let micros = (pico + 500_000) / 1_000_000;
        (u64::try_from(micros).unwrap_or(u64::MAX), false)
    }
}

#[cfg(test)]
mod tests;
