//! Error type of `stoa-auth`.
//!
//! Constraints: messages are safe to log and to return to clients. They never contain the
//! token, claims values, key material, or any URL (a configured URL may carry credentials),
//! so HTTP failures are reduced to a [`JwksFailure`] class instead of wrapping `reqwest::Error`.

use std::fmt;

/// Why a token was rejected, or why it could not be checked.
///
/// Every variant except [`AuthError::JwksUnavailable`] means "this token is not acceptable"
/// (HTTP 401 class); `JwksUnavailable` means the issuer's keys could not be obtained, so the
/// token could not be checked (HTTP 503 class, see [`AuthError::is_retryable`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Not a well-formed compact JWS: wrong segment count, bad base64url, bad JSON, too long,
    /// or an unsupported `crit` header. The payload says which, without echoing input.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not one of RS256, ES256, EdDSA (this includes `none` and every
    /// HMAC algorithm), or it does not match the type / declared `alg` of the selected key.
    #[error("unsupported or disallowed token algorithm")]
    UnsupportedAlgorithm,
    /// No key of the issuer matches the token's `kid` (after a refresh, or while refreshes
    /// are rate-limited).
    #[error("unknown signing key")]
    UnknownKey,
    /// The signature does not verify with the issuer's key.
    #[error("invalid token signature")]
    BadSignature,
    /// `exp` is in the past (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not yet valid")]
    NotYetValid,
    /// `iss` is not exactly the expected issuer.
    #[error("token issuer mismatch")]
    WrongIssuer,
    /// `aud` contains none of the expected audiences.
    #[error("token audience mismatch")]
    WrongAudience,
    /// A required claim is absent (or empty, for `sub`).
    #[error("missing claim `{0}`")]
    MissingClaim(&'static str),
    /// A claim is present but has the wrong JSON type.
    #[error("invalid claim `{0}`")]
    InvalidClaim(&'static str),
    /// The issuer's JWKS could not be obtained; retrying later may succeed.
    #[error("issuer keys unavailable: {0}")]
    JwksUnavailable(JwksFailure),
    /// A key given to the built-in issuer is invalid, or signing failed.
    #[error("key error: {0}")]
    Key(&'static str),
}

impl AuthError {
    /// True when the failure is on our side or the issuer's (keys unavailable), not the
    /// token's: the request may succeed later, so answer 503 rather than 401.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::JwksUnavailable(_))
    }

    /// A short, stable, snake_case label for metrics and structured logs.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::MissingClaim(_) => "missing_claim",
            Self::InvalidClaim(_) => "invalid_claim",
            Self::JwksUnavailable(_) => "jwks_unavailable",
            Self::Key(_) => "key_error",
        }
    }
}

/// Class of a failed JWKS / discovery fetch. Carries no URL and no response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwksFailure {
    /// The fetch did not finish within `VerifierOptions::fetch_timeout`.
    Timeout,
    /// Connecting to the issuer failed.
    Connect,
    /// Any other transport-level failure.
    Request,
    /// The issuer answered with a non-2xx HTTP status.
    Status(u16),
    /// The response exceeded `VerifierOptions::max_response_bytes`.
    TooLarge,
    /// The discovery document or JWKS was not valid JSON of the expected shape, or the
    /// discovery document names another issuer.
    InvalidDocument,
    /// No usable URL: the issuer string cannot form a discovery URL, or `jwks_uri` is not
    /// an http(s) URL.
    BadUrl,
}

impl fmt::Display for JwksFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("fetch timed out"),
            Self::Connect => f.write_str("connection failed"),
            Self::Request => f.write_str("request failed"),
            Self::Status(code) => write!(f, "HTTP status {code}"),
            Self::TooLarge => f.write_str("response too large"),
            Self::InvalidDocument => f.write_str("invalid document"),
            Self::BadUrl => f.write_str("unusable URL"),
        }
    }
}

impl JwksFailure {
    /// Classifies a `reqwest` error without keeping it (its `Display` may include the URL).
    pub(crate) fn from_reqwest(err: &reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::Timeout
        } else if err.is_connect() {
            Self::Connect
        } else if let Some(status) = err.status() {
            Self::Status(status.as_u16())
        } else if err.is_decode() {
            Self::InvalidDocument
        } else {
            Self::Request
        }
    }
}

impl From<JwksFailure> for AuthError {
    fn from(value: JwksFailure) -> Self {
        Self::JwksUnavailable(value)
    }
}
