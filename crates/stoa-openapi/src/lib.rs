//! stoa-openapi: a tenant's OpenAPI 3 document → tools. A pure library (no I/O): [`parse`]
//! validates a registered document and turns each operation into an [`Operation`] with a
//! JSON Schema for its arguments (LLM tool use, MCP `tools/list`); [`build_request`] turns a
//! tool call's arguments into the upstream HTTP request; [`wire_name`] and [`internal_id`]
//! name the tools (PRODUCT.md F-70).
//!
//! Design: the document is a `serde_json::Value` (JSON only; a string holding JSON text is
//! accepted too). `$ref`s are resolved against `#/components/...` of the same document and
//! inlined into each operation's input schema; external refs, dangling refs and ref cycles are
//! errors. Every recursion is bounded (nesting depth, ref-chain length, node budget per
//! operation and per document), so no document can overflow the stack or blow up memory
//! through repeated refs.
//!
//! Decisions worth knowing:
//! - Invalid documents fail with a [`SpecError`] naming the place (`paths./pets/{id}.get.
//!   parameters[0]: path parameter "id" must be required`); valid operations the gateway
//!   cannot call (request body without a JSON media type, `matrix`/`label` path styles,
//!   non-JSON `content` parameters) are left out and listed in [`ApiSpec::skipped`].
//! - Operations are visited in sorted path order and a fixed method order, so derived ids and
//!   `_2`/`_3` suffixes never depend on the JSON map implementation.
//! - Header parameters named `Accept`, `Content-Type`, `Authorization` (ignored by the OpenAPI
//!   specification) and every other credential or hop-by-hop header, and all `cookie`
//!   parameters, are not exposed as arguments: the gateway adds the API's own credential.
//! - `readOnly` properties are dropped from request-body schemas.
//! - A `$ref` cycle is an error even though recursive schemas are legal OpenAPI: an input
//!   schema is fully inlined and must be finite. `servers`, `security` and responses are not
//!   read (the base URL and credential come with the registration).
//! - Wire names are only `[A-Za-z0-9_-]{1,64}`; names that needed a character replaced, were
//!   too long or would split ambiguously carry a 12-hex-digit hash (see [`wire_name`]).
//! - No `unwrap`/`expect`/printing outside tests.

mod error;
mod loc;
mod model;
mod names;
mod parse;
mod refs;
mod request;

pub use error::{CallError, SpecError};
pub use model::{ApiSpec, Location, Method, Operation, Param, Skipped, Style};
pub use names::{MAX_WIRE_NAME_LEN, internal_id, wire_name};
pub use parse::parse;
pub use request::{UpstreamRequest, build_request};

/// Limits applied while parsing (exposed so callers can document them).
pub mod limits {
    pub use crate::refs::{MAX_DEPTH, MAX_OPERATION_NODES, MAX_REF_CHAIN, MAX_TOTAL_NODES};
}
