//! The converted document: [`ApiSpec`] holds one [`Operation`] per callable operation, each
//! with its argument schema and the [`Param`]s that say where each argument goes.
//! Serializable so the gateway can store the conversion next to the document.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A parsed, validated OpenAPI document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiSpec {
    /// `info.title`.
    pub title: String,
    /// `info.version`, when it is a string.
    pub version: Option<String>,
    /// The `openapi` field (`3.0.x` or `3.1.x`).
    pub openapi: String,
    /// Callable operations, in sorted path order then get, put, post, delete, options, head,
    /// patch.
    pub operations: Vec<Operation>,
    /// Valid operations left out because the gateway cannot call them.
    pub skipped: Vec<Skipped>,
}

impl ApiSpec {
    /// The operation with this [`Operation::id`].
    #[must_use]
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }
}

/// An operation left out of the tools, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// HTTP method.
    pub method: Method,
    /// Path template.
    pub path: String,
    /// Why it cannot be called through the gateway.
    pub reason: String,
}

/// One operation, as a tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// Unique within the API, only `[A-Za-z0-9_-]`: the `operationId` with other characters
    /// replaced by `_`, or derived from method and path (`get /pets/{petId}` →
    /// `get_pets_by_petId`); `_2`, `_3`, … on clashes.
    pub id: String,
    /// The `operationId` as written in the document.
    pub operation_id: Option<String>,
    /// HTTP method.
    pub method: Method,
    /// Path template as written (`/pets/{petId}`).
    pub path_template: String,
    /// `summary` (of the operation, else of its path item).
    pub summary: Option<String>,
    /// `description` (of the operation, else of its path item).
    pub description: Option<String>,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// JSON Schema (`type: object`) with one property per parameter (named by
    /// [`Param::arg`]) and `body` for the request body; `$ref`s inlined.
    pub input_schema: Value,
    /// Path, query and header parameters, path parameters first.
    pub params: Vec<Param>,
    /// Whether the operation takes a JSON request body (argument `body`).
    pub has_body: bool,
    /// Whether the request body is required.
    pub body_required: bool,
    /// `Content-Type` to send the body with (`application/json`, `application/merge-patch+json`…).
    pub body_media_type: Option<String>,
}

impl Operation {
    /// A one-line-or-more description for a tool listing: the summary, else the description,
    /// else `METHOD /path`.
    #[must_use]
    pub fn tool_description(&self) -> String {
        match (&self.summary, &self.description) {
            (Some(summary), Some(description)) if description != summary => {
                format!("{summary}\n\n{description}")
            }
            (Some(text), _) | (None, Some(text)) => text.clone(),
            (None, None) => format!("{} {}", self.method.as_str(), self.path_template),
        }
    }
}

/// Where a parameter goes and how it is serialized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    /// Name on the wire (path variable, query key, header name).
    pub name: String,
    /// Property name in [`Operation::input_schema`]; equal to `name` unless two parameters
    /// (or a parameter and `body`) share a name, then `{location}_{name}`.
    pub arg: String,
    /// Where it goes.
    pub location: Location,
    /// Whether the argument is required.
    pub required: bool,
    /// Serialization style.
    pub style: Style,
    /// `explode` (defaults: `true` for `form`, else `false`).
    pub explode: bool,
}

/// Parameter location (cookie parameters are never exposed as arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// Substituted into the path template.
    Path,
    /// Query string.
    Query,
    /// Request header.
    Header,
}

impl Location {
    /// `path`, `query` or `header`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
        }
    }
}

/// Parameter serialization styles the gateway supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Style {
    /// Path and header default: comma-separated values.
    Simple,
    /// Query default: `key=value`, arrays as repeated keys when exploded.
    Form,
    /// Query arrays joined by `%20`.
    SpaceDelimited,
    /// Query arrays joined by `|`.
    PipeDelimited,
    /// Query objects as `name[key]=value`.
    DeepObject,
    /// `content: application/json`: the value serialized as JSON text.
    Json,
}

/// HTTP methods an operation may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// PUT
    Put,
    /// POST
    Post,
    /// DELETE
    Delete,
    /// OPTIONS
    Options,
    /// HEAD
    Head,
    /// PATCH
    Patch,
}

impl Method {
    /// All methods, in the order operations are visited within a path.
    pub const ALL: [Method; 7] = [
        Method::Get,
        Method::Put,
        Method::Post,
        Method::Delete,
        Method::Options,
        Method::Head,
        Method::Patch,
    ];

    /// Upper case, as sent (`GET`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
        }
    }

    /// Lower case, as the key in a path item (`get`).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Put => "put",
            Method::Post => "post",
            Method::Delete => "delete",
            Method::Options => "options",
            Method::Head => "head",
            Method::Patch => "patch",
        }
    }
}

/// The JSON type of a value, for messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
