//! The core's error type. Each variant carries a stable snake_case code; the HTTP layer maps the
//! variant to a status in one place (`stoa-http::error`). Messages are written for the caller and
//! never contain secrets, keys or message content.

use std::borrow::Cow;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No or invalid credentials (401).
    #[error("{message}")]
    Unauthenticated { code: &'static str, message: Cow<'static, str> },
    /// Authenticated, but the role or scope does not allow the action (403).
    #[error("{message}")]
    Forbidden { code: &'static str, message: Cow<'static, str> },
    /// The resource does not exist, or belongs to another tenant (404: ids never leak).
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The resource already exists (409).
    #[error("{message}")]
    Conflict { code: &'static str, message: Cow<'static, str> },
    /// The request is well-formed JSON but its content is invalid (400/422).
    #[error("{message}")]
    Invalid { code: &'static str, message: Cow<'static, str> },
    /// Well-formed but semantically invalid content, e.g. a broken OpenAPI document (422).
    #[error("{message}")]
    Unprocessable { code: &'static str, message: Cow<'static, str> },
    /// A budget or rate limit refuses the call (429, with `Retry-After`).
    #[error("{message}")]
    Limited {
        code: &'static str,
        message: Cow<'static, str>,
        retry_after: std::time::Duration,
        /// Tokens left in the exhausted budget (`X-Stoa-Budget-Remaining`).
        remaining: Option<u64>,
    },
    /// The request is too large to send (413).
    #[error("{message}")]
    TooLarge { code: &'static str, message: Cow<'static, str> },
    /// The provider failed after retries and fallback (502), or timed out (504).
    #[error("{message}")]
    Upstream { code: &'static str, message: Cow<'static, str>, timeout: bool },
    /// PII in a request whose tenant blocks it (422): categories and offsets, never values.
    #[error("{message}")]
    PiiDetected { message: Cow<'static, str>, details: serde_json::Value },
    /// A dependency (database, ledger) is unavailable (503).
    #[error("{message}")]
    Unavailable { code: &'static str, message: Cow<'static, str> },
    /// Our bug or an unexpected storage failure (500). The detail is logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn unauthenticated(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Unauthenticated { code: "unauthorized", message: message.into() }
    }
    pub fn invalid_token(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Unauthenticated { code: "invalid_token", message: message.into() }
    }
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Forbidden { code: "forbidden", message: message.into() }
    }
    pub fn invalid(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::Invalid { code, message: message.into() }
    }
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    /// The stable snake_case code sent to clients.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated { code, .. }
            | Error::Forbidden { code, .. }
            | Error::Conflict { code, .. }
            | Error::Invalid { code, .. }
            | Error::Unprocessable { code, .. }
            | Error::Limited { code, .. }
            | Error::TooLarge { code, .. }
            | Error::Upstream { code, .. }
            | Error::Unavailable { code, .. } => code,
            Error::NotFound { .. } => "not_found",
            Error::PiiDetected { .. } => "pii_detected",
            Error::Internal(_) => "internal_error",
        }
    }
}

/// Errors a [`crate::ports::Store`] reports. Backend detail stays in the string and is logged
/// by the caller, never sent to a client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("already exists")]
    Conflict,
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage error: {0}")]
    Other(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => {
                Error::Conflict { code: "conflict", message: "resource already exists".into() }
            }
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "storage unavailable");
                Error::Unavailable {
                    code: "storage_unavailable",
                    message: "storage is unavailable".into(),
                }
            }
            StoreError::Other(detail) => Error::Internal(detail),
        }
    }
}
