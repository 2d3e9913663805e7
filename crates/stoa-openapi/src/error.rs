//! Errors: [`SpecError`] for a document that cannot be registered (answered as 422 with its
//! message), [`CallError`] for tool-call arguments that cannot become an upstream request
//! (answered to the model as a tool error, so messages name the argument to fix).

use thiserror::Error;

/// A registered document is invalid or unsupported. `path` names the place in the document
/// (`paths./pets/{id}.get.parameters[0]`, `components.schemas.Pet.properties.owner.$ref`,
/// or `document` for the document itself); `message` says what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{path}: {message}")]
pub struct SpecError {
    /// Dotted location in the document; array elements as `[index]`.
    pub path: String,
    /// What is wrong at `path`.
    pub message: String,
}

impl SpecError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        let path = path.into();
        let path = if path.is_empty() { "document".to_owned() } else { path };
        Self { path, message: message.into() }
    }
}

/// Tool-call arguments cannot be turned into an upstream request. Argument names are the
/// property names of the operation's input schema.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CallError {
    /// The arguments are not a JSON object.
    #[error("arguments must be a JSON object, found {found}")]
    ArgumentsNotObject {
        /// JSON type found instead.
        found: &'static str,
    },
    /// A required argument is absent (or null).
    #[error("missing required argument \"{name}\"")]
    MissingArgument {
        /// The argument's name.
        name: String,
    },
    /// An argument that the operation does not declare.
    #[error("unknown argument \"{name}\"")]
    UnknownArgument {
        /// The argument's name.
        name: String,
    },
    /// An argument's JSON type does not match its declared type.
    #[error("argument \"{name}\" must be {expected}, found {found}")]
    WrongType {
        /// The argument's name (`tags[2]` for an array element).
        name: String,
        /// Declared type(s).
        expected: String,
        /// JSON type found.
        found: &'static str,
    },
    /// A value shape the parameter's serialization style cannot carry.
    #[error("argument \"{name}\": {reason}")]
    UnsupportedValue {
        /// The argument's name.
        name: String,
        /// Why the value cannot be sent.
        reason: String,
    },
    /// A path parameter value would be empty or a `.`/`..` segment.
    #[error("argument \"{name}\" cannot be used as a path segment: {reason}")]
    InvalidPathValue {
        /// The argument's name.
        name: String,
        /// Why (empty, dot segment).
        reason: &'static str,
    },
    /// The operation asks for a header the gateway never takes from arguments.
    #[error("header \"{name}\" cannot be set by a tool call")]
    ForbiddenHeader {
        /// The header's name.
        name: String,
    },
    /// A header value with control or non-ASCII characters.
    #[error("argument \"{name}\": header values must be printable ASCII")]
    InvalidHeaderValue {
        /// The argument's name.
        name: String,
    },
    /// The API's base URL is unusable.
    #[error("invalid base URL: {reason}")]
    InvalidBaseUrl {
        /// Why.
        reason: String,
    },
    /// The built URL would not be sent as built (a URL parser would rewrite its path).
    #[error("the request URL would be rewritten by URL normalization; refused")]
    UrlRewritten,
}
