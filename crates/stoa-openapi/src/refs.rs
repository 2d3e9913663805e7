//! `$ref` resolution and schema inlining, bounded everywhere.
//!
//! Only local references into `#/components/...` are followed (JSON Pointer with `~0`/`~1`
//! escapes, percent-decoded as URI fragments). A reference that reappears while it is being
//! expanded is a cycle and an error naming the chain. Recursion depth, ref-chain length and
//! the number of JSON nodes produced (per operation and per document) are capped, so a
//! hostile document fails with an error rather than a stack overflow or an exponential
//! expansion.
//!
//! Inlining is schema-aware: only keywords that hold schemas are walked (`properties`,
//! `items`, `allOf`, …); other keywords (`enum`, `default`, `example`, …) are copied as data,
//! so a `$ref` key inside an example is left alone and a property called `x-id` or `example`
//! is still a property. `x-*` extensions, `xml` and `externalDocs` are dropped, and so are
//! `readOnly` properties (these schemas describe requests).

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::error::SpecError;
use crate::loc::Loc;

/// Deepest nesting of an inlined schema (refs count as a level).
pub const MAX_DEPTH: usize = 64;
/// Longest chain of references being expanded at once.
pub const MAX_REF_CHAIN: usize = 32;
/// Most JSON nodes in one operation's input schema after inlining.
pub const MAX_OPERATION_NODES: usize = 100_000;
/// Most JSON nodes in all input schemas of one document after inlining.
pub const MAX_TOTAL_NODES: usize = 2_000_000;

/// Keywords whose value is one schema.
const SCHEMA_KEYWORDS: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
    "contentSchema",
];
/// Keywords whose value is an array of schemas.
const SCHEMA_ARRAY_KEYWORDS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAP_KEYWORDS: &[&str] =
    &["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
/// Keywords dropped from inlined schemas.
const DROPPED_KEYWORDS: &[&str] = &["xml", "externalDocs"];

pub(crate) struct Resolver<'d> {
    doc: &'d Value,
    /// References being expanded, outermost first.
    stack: Vec<String>,
    /// Nodes produced for the current operation.
    nodes: usize,
    /// Nodes produced for the whole document.
    total: usize,
    /// Where the current operation is (for budget errors).
    operation: String,
}

impl<'d> Resolver<'d> {
    pub(crate) fn new(doc: &'d Value) -> Self {
        Self { doc, stack: Vec::new(), nodes: 0, total: 0, operation: String::new() }
    }

    /// Starts counting nodes for the operation at `location`.
    pub(crate) fn begin_operation(&mut self, location: String) {
        self.total += self.nodes;
        self.nodes = 0;
        self.operation = location;
    }

    /// Follows `value` while it is a `{"$ref": …}` object; returns the target and its
    /// location (`at` itself when `value` is not a reference).
    pub(crate) fn follow(
        &self,
        value: &'d Value,
        at: String,
    ) -> Result<(&'d Value, String), SpecError> {
        let mut current = value;
        let mut location = at;
        let mut chain: Vec<&str> = Vec::new();
        while let Some(reference) = ref_of(current) {
            let ref_loc = format!("{location}.$ref");
            if let Some(start) = chain.iter().position(|r| *r == reference) {
                let mut cycle = chain.split_off(start);
                cycle.push(reference);
                return Err(SpecError::new(ref_loc, format!("$ref cycle: {}", cycle.join(" -> "))));
            }
            if chain.len() >= MAX_REF_CHAIN {
                return Err(SpecError::new(
                    ref_loc,
                    format!("$ref chain longer than {MAX_REF_CHAIN} references"),
                ));
            }
            chain.push(reference);
            let (target, target_loc) = self.lookup(reference, &ref_loc)?;
            current = target;
            location = target_loc;
        }
        Ok((current, location))
    }

    /// Resolves one local reference.
    fn lookup(&self, reference: &str, at: &str) -> Result<(&'d Value, String), SpecError> {
        let Some(pointer) = reference.strip_prefix('#') else {
            return Err(SpecError::new(
                at,
                format!(
                    "external $ref \"{reference}\" is not supported (only local \"#/components/...\" refs)"
                ),
            ));
        };
        if !pointer.starts_with("/components/") {
            return Err(SpecError::new(
                at,
                format!("$ref \"{reference}\" must point into \"#/components/...\""),
            ));
        }
        let mut target = self.doc;
        let mut location = String::new();
        for token in pointer.split('/').skip(1) {
            let decoded = percent_decode_str(token).decode_utf8_lossy();
            let key = decoded.replace("~1", "/").replace("~0", "~");
            let next = match target {
                Value::Object(map) => map.get(&key),
                Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            let Some(next) = next else {
                return Err(SpecError::new(at, format!("unresolved $ref \"{reference}\"")));
            };
            if !location.is_empty() {
                location.push('.');
            }
            location.push_str(&key);
            target = next;
        }
        Ok((target, location))
    }

    /// Inlines every reference in the schema `value` found at `loc`.
    pub(crate) fn inline(&mut self, value: &'d Value, loc: &Loc<'_>) -> Result<Value, SpecError> {
        self.inline_schema(value, loc, 0)
    }

    fn count(&mut self) -> Result<(), SpecError> {
        self.nodes += 1;
        if self.nodes > MAX_OPERATION_NODES {
            return Err(SpecError::new(
                &self.operation,
                format!(
                    "input schema grows beyond {MAX_OPERATION_NODES} nodes when $refs are inlined"
                ),
            ));
        }
        if self.total + self.nodes > MAX_TOTAL_NODES {
            return Err(SpecError::new(
                &self.operation,
                format!(
                    "input schemas of the document grow beyond {MAX_TOTAL_NODES} nodes when $refs are inlined"
                ),
            ));
        }
        Ok(())
    }

    fn check_depth(depth: usize, loc: &Loc<'_>) -> Result<(), SpecError> {
        if depth > MAX_DEPTH {
            return Err(SpecError::new(
                loc.to_string(),
                format!("schema nested deeper than {MAX_DEPTH} levels (counting $refs)"),
            ));
        }
        Ok(())
    }

    fn inline_schema(
        &mut self,
        value: &'d Value,
        loc: &Loc<'_>,
        depth: usize,
    ) -> Result<Value, SpecError> {
        let Value::Object(map) = value else {
            // Boolean schemas (3.1) and anything else are kept as they are.
            return self.copy(value, loc, depth);
        };
        Self::check_depth(depth, loc)?;
        self.count()?;
        match ref_of(value) {
            Some(reference) => self.inline_ref(map, reference, loc, depth),
            None => Ok(Value::Object(self.inline_keywords(map, loc, depth)?)),
        }
    }

    /// The keywords of a schema object (except `$ref`), schemas inlined and data copied.
    fn inline_keywords(
        &mut self,
        map: &'d Map<String, Value>,
        loc: &Loc<'_>,
        depth: usize,
    ) -> Result<Map<String, Value>, SpecError> {
        let mut out = Map::new();
        for (key, child) in map {
            if key == "$ref" || key.starts_with("x-") || DROPPED_KEYWORDS.contains(&key.as_str()) {
                continue;
            }
            let child_loc = Loc::Key(loc, key);
            let inlined = match child {
                // `items: [...]` is the tuple form of older drafts.
                Value::Array(items)
                    if SCHEMA_KEYWORDS.contains(&key.as_str())
                        || SCHEMA_ARRAY_KEYWORDS.contains(&key.as_str()) =>
                {
                    self.inline_array(items, &child_loc, depth)?
                }
                _ if SCHEMA_KEYWORDS.contains(&key.as_str()) => {
                    self.inline_schema(child, &child_loc, depth + 1)?
                }
                Value::Object(schemas) if SCHEMA_MAP_KEYWORDS.contains(&key.as_str()) => {
                    self.count()?;
                    let mut inlined = Map::new();
                    for (name, schema) in schemas {
                        let name_loc = Loc::Key(&child_loc, name);
                        inlined.insert(
                            name.clone(),
                            self.inline_schema(schema, &name_loc, depth + 2)?,
                        );
                    }
                    Value::Object(inlined)
                }
                _ => self.copy(child, &child_loc, depth + 1)?,
            };
            out.insert(key.clone(), inlined);
        }
        drop_read_only(&mut out);
        Ok(out)
    }

    fn inline_array(
        &mut self,
        items: &'d [Value],
        loc: &Loc<'_>,
        depth: usize,
    ) -> Result<Value, SpecError> {
        self.count()?;
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            out.push(self.inline_schema(item, &Loc::Index(loc, index), depth + 2)?);
        }
        Ok(Value::Array(out))
    }

    /// `{"$ref": r, …siblings}`: the target inlined, siblings (3.1 allows them; a
    /// `description` next to a `$ref` is common) laid over it.
    fn inline_ref(
        &mut self,
        map: &'d Map<String, Value>,
        reference: &'d str,
        loc: &Loc<'_>,
        depth: usize,
    ) -> Result<Value, SpecError> {
        let ref_loc = Loc::Key(loc, "$ref");
        // A schema's $ref names a schema: anything else (a parameter, a response) would be
        // inlined as if it were one, with its own $refs left unresolved.
        if reference.starts_with("#/") && !reference.starts_with("#/components/schemas/") {
            return Err(SpecError::new(
                ref_loc.to_string(),
                format!("a schema $ref must point into #/components/schemas/, not {reference}"),
            ));
        }
        if let Some(start) = self.stack.iter().position(|r| r == reference) {
            let mut chain: Vec<&str> = self.stack[start..].iter().map(String::as_str).collect();
            chain.push(reference);
            return Err(SpecError::new(
                ref_loc.to_string(),
                format!("$ref cycle: {}", chain.join(" -> ")),
            ));
        }
        if self.stack.len() >= MAX_REF_CHAIN {
            return Err(SpecError::new(
                ref_loc.to_string(),
                format!("more than {MAX_REF_CHAIN} nested $refs"),
            ));
        }
        let (target, target_loc) = self.lookup(reference, &ref_loc.to_string())?;
        self.stack.push(reference.to_owned());
        let root = Loc::Root(&target_loc);
        let resolved = self.inline_schema(target, &root, depth + 1);
        self.stack.pop();
        let mut resolved = resolved?;
        if map.len() > 1 {
            let siblings = self.inline_keywords(map, loc, depth + 1)?;
            if let Value::Object(target) = &mut resolved {
                target.extend(siblings);
                drop_read_only(target);
            }
        }
        Ok(resolved)
    }

    /// Copies a data value, counting its nodes and bounding its depth.
    fn copy(&mut self, value: &Value, loc: &Loc<'_>, depth: usize) -> Result<Value, SpecError> {
        Self::check_depth(depth, loc)?;
        self.count()?;
        Ok(match value {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    out.push(self.copy(item, &Loc::Index(loc, index), depth + 1)?);
                }
                Value::Array(out)
            }
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, item) in map {
                    out.insert(key.clone(), self.copy(item, &Loc::Key(loc, key), depth + 1)?);
                }
                Value::Object(out)
            }
            scalar => scalar.clone(),
        })
    }
}

/// The reference of a `{"$ref": "<string>", …}` object.
pub(crate) fn ref_of(value: &Value) -> Option<&str> {
    value.as_object()?.get("$ref")?.as_str()
}

/// Removes `readOnly: true` properties (and their `required` entries) from an object schema.
fn drop_read_only(schema: &mut Map<String, Value>) {
    let Some(Value::Object(properties)) = schema.get_mut("properties") else {
        return;
    };
    let read_only: Vec<String> = properties
        .iter()
        .filter(|(_, property)| property.get("readOnly").and_then(Value::as_bool) == Some(true))
        .map(|(name, _)| name.clone())
        .collect();
    if read_only.is_empty() {
        return;
    }
    for name in &read_only {
        properties.remove(name);
    }
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        required
            .retain(|name| name.as_str().is_none_or(|name| !read_only.iter().any(|r| r == name)));
        if required.is_empty() {
            schema.remove("required");
        }
    }
}

#[cfg(test)]
mod tests;
