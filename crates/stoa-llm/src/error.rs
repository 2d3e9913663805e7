//! `LlmError`: the caller-facing errors of this crate (bad model names, requests that cannot be
//! converted, bad price overrides). Provider failures are `client::ProviderError`, because they
//! are classified for retry and fallback rather than shown to the caller as-is.

/// An error in the caller's request or in configuration, with a stable API code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// The model name names no known provider (an unknown `provider/` prefix or alias target).
    #[error("unknown model: {0}")]
    UnknownModel(String),
    /// The request body is not a valid request of its wire format, or uses a feature that
    /// cannot be carried to another format (images, server tools).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Operator configuration (price overrides, aliases) is invalid.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

impl LlmError {
    /// The snake_case API error code (`unknown_model`, `invalid_request`, `invalid_config`).
    pub fn code(&self) -> &'static str {
        match self {
            LlmError::UnknownModel(_) => "unknown_model",
            LlmError::InvalidRequest(_) => "invalid_request",
            LlmError::InvalidConfig(_) => "invalid_config",
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        LlmError::InvalidRequest(msg.into())
    }
}
