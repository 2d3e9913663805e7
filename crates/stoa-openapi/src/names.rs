//! Tool names: the internal id `{tenant}:{api}:{operation}` and the wire name
//! `{tenant}__{api}__{operation}` (only `[A-Za-z0-9_-]`, at most 64 characters, which every
//! LLM provider and MCP accept), plus the operation ids derived from method and path.
//!
//! A wire name is the plain joined name when that already fits the rules and splits back
//! unambiguously (tenant and API contain no `__` and do not end with `_`). Otherwise (a
//! character had to be replaced, the name is longer than 64, or it would be ambiguous) it is
//! a readable prefix of the sanitized name, `_`, and the first 12 hex digits (48 bits) of
//! SHA-256 over the length-prefixed triple, so names that differ only in replaced characters,
//! in where the separators fall, or beyond the prefix still differ. Wire names are meant to
//! be looked up in the registry, not split.

use sha2::{Digest, Sha256};

use crate::model::Method;

/// Longest wire name (OpenAI, Anthropic and MCP clients accept 64).
pub const MAX_WIRE_NAME_LEN: usize = 64;

/// Hex digits of the hash suffix (48 bits).
const HASH_HEX: usize = 12;

/// `{tenant}:{api}:{operation}`.
#[must_use]
pub fn internal_id(tenant: &str, api: &str, operation: &str) -> String {
    format!("{tenant}:{api}:{operation}")
}

/// `{tenant}__{api}__{operation}` restricted to `[A-Za-z0-9_-]` and 64 characters; see the
/// module documentation for the shortened form. Deterministic.
#[must_use]
pub fn wire_name(tenant: &str, api: &str, operation: &str) -> String {
    let full = format!("{tenant}__{api}__{operation}");
    let sanitized = sanitize(&full);
    let splittable = |part: &str| !part.contains("__") && !part.ends_with('_');
    if sanitized == full && full.len() <= MAX_WIRE_NAME_LEN && splittable(tenant) && splittable(api)
    {
        return full;
    }
    let hash = triple_hash(tenant, api, operation);
    let keep = MAX_WIRE_NAME_LEN - 1 - HASH_HEX;
    // `sanitized` is ASCII, so byte slicing is on character boundaries.
    let prefix = sanitized.get(..keep.min(sanitized.len())).unwrap_or_default();
    let prefix = prefix.trim_end_matches('_');
    format!("{prefix}_{hash}")
}

/// Replaces every character outside `[A-Za-z0-9_-]` by `_`.
pub(crate) fn sanitize(text: &str) -> String {
    text.chars().map(|c| if is_name_char(c) { c } else { '_' }).collect()
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn triple_hash(tenant: &str, api: &str, operation: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [tenant, api, operation] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hex::encode(hasher.finalize());
    digest.get(..HASH_HEX).unwrap_or(&digest).to_owned()
}

/// The id of an operation without `operationId`: the method, then each path segment
/// (`{var}` as `by_var`), joined by `_`: `get /pets/{petId}` → `get_pets_by_petId`,
/// `get /` → `get_root`.
pub(crate) fn derived_id(method: Method, template: &str) -> String {
    let mut parts = vec![method.key().to_owned()];
    for segment in template.split('/') {
        let mut rest = segment;
        while !rest.is_empty() {
            if let Some(open) = rest.find('{') {
                push_literal(&mut parts, &rest[..open]);
                let after = &rest[open + 1..];
                let close = after.find('}').unwrap_or(after.len());
                let var = sanitize(&after[..close]);
                if !var.is_empty() {
                    parts.push(format!("by_{var}"));
                }
                rest = after.get(close + 1..).unwrap_or_default();
            } else {
                push_literal(&mut parts, rest);
                rest = "";
            }
        }
    }
    if parts.len() == 1 {
        parts.push("root".to_owned());
    }
    parts.join("_")
}

fn push_literal(parts: &mut Vec<String>, literal: &str) {
    let cleaned = sanitize(literal);
    let cleaned = cleaned.trim_matches(['_', '-']);
    if !cleaned.is_empty() {
        parts.push(cleaned.to_owned());
    }
}

#[cfg(test)]
mod tests;
