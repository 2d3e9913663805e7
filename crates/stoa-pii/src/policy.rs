//! Per-tenant PII policy: a default mode (`block`, `redact`, `off`) with per-category
//! overrides, and the decision for one text: clean, blocked (with findings, never values) or
//! redacted (with the redacted text).
//!
//! Constraints: plain data types with serde (snake_case) so tenant settings can be stored as
//! JSON; no I/O. One `Placeholders` can be threaded through every text of a request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::category::Category;
use crate::finding::Finding;
use crate::redact::{Placeholders, redact_until_clean};
use crate::scanner::Scanner;

/// What to do with findings of a category.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Refuse the request (the gateway answers 422 with categories and offsets).
    Block,
    /// Replace values with typed placeholders before sending.
    Redact,
    /// Ignore this category.
    #[default]
    Off,
}

impl Mode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Block => "block",
            Mode::Redact => "redact",
            Mode::Off => "off",
        }
    }
}

/// A tenant's PII policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub mode: Mode,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides: BTreeMap<Category, Mode>,
}

/// The decision for one text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to act on: send the text as is.
    Clean,
    /// At least one finding is in a `block` category. `findings` lists those findings
    /// (categories and offsets only); the request must be refused.
    Blocked { findings: Vec<Finding> },
    /// Findings in `redact` categories were replaced. `findings` are offsets in the
    /// original text.
    Redacted { text: String, findings: Vec<Finding> },
}

impl Outcome {
    pub fn is_blocked(&self) -> bool {
        matches!(self, Outcome::Blocked { .. })
    }

    /// The findings acted on (empty for `Clean`).
    pub fn findings(&self) -> &[Finding] {
        match self {
            Outcome::Clean => &[],
            Outcome::Blocked { findings } | Outcome::Redacted { findings, .. } => findings,
        }
    }

    /// The text to send: the redacted text, or `original` when clean. `None` when blocked.
    pub fn text<'a>(&'a self, original: &'a str) -> Option<&'a str> {
        match self {
            Outcome::Clean => Some(original),
            Outcome::Blocked { .. } => None,
            Outcome::Redacted { text, .. } => Some(text),
        }
    }
}

impl Policy {
    pub fn new(mode: Mode) -> Self {
        Policy { mode, overrides: BTreeMap::new() }
    }

    /// Builder-style per-category override.
    pub fn with_override(mut self, category: Category, mode: Mode) -> Self {
        self.overrides.insert(category, mode);
        self
    }

    /// The effective mode for `category`.
    pub fn mode_for(&self, category: Category) -> Mode {
        self.overrides.get(&category).copied().unwrap_or(self.mode)
    }

    /// True when every category is `off` (the scan can be skipped entirely).
    pub fn is_off(&self) -> bool {
        Category::ALL.iter().all(|c| self.mode_for(*c) == Mode::Off)
    }

    /// Scans `text` with the default scanner and decides, with placeholders private to this
    /// text. For multi-message requests use [`Policy::apply_with`].
    pub fn apply(&self, text: &str) -> Outcome {
        self.apply_with(Scanner::global(), text, &mut Placeholders::new())
    }

    /// Scans `text` with `scanner` and decides; redaction numbers placeholders through
    /// `placeholders`, which the caller shares across all texts of one request.
    pub fn apply_with(
        &self,
        scanner: &Scanner,
        text: &str,
        placeholders: &mut Placeholders,
    ) -> Outcome {
        if self.is_off() {
            return Outcome::Clean;
        }
        self.decide(scanner, text, scanner.scan(text), placeholders)
    }

    /// Decides from `findings`, a scan of `text` by `scanner` (for callers that also need
    /// the raw findings, e.g. for a [`crate::Summary`]). The redacted text is guaranteed to
    /// contain no finding of a `redact` category.
    pub fn decide(
        &self,
        scanner: &Scanner,
        text: &str,
        mut findings: Vec<Finding>,
        placeholders: &mut Placeholders,
    ) -> Outcome {
        if findings.iter().any(|f| self.mode_for(f.category) == Mode::Block) {
            findings.retain(|f| self.mode_for(f.category) == Mode::Block);
            return Outcome::Blocked { findings };
        }
        let redacts = |f: &Finding| self.mode_for(f.category) == Mode::Redact;
        findings.retain(redacts);
        if findings.is_empty() {
            return Outcome::Clean;
        }
        let text = redact_until_clean(scanner, text, &findings, placeholders, redacts);
        Outcome::Redacted { text, findings }
    }
}

#[cfg(test)]
mod tests;
