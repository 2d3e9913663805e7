//! Token verification: defensive parsing of the compact JWS, the algorithm allow-list, and
//! signature + standard-claim validation through `jsonwebtoken`.
//!
//! Constraints:
//! - Only RS256, ES256 and EdDSA are accepted; `none` and HMAC are rejected before any key is
//!   looked at, so a public key can never be used as an HMAC secret.
//! - Keys come only from the issuer the caller says it expects (static keys or that issuer's
//!   JWKS); nothing in the token (`iss`, `jku`, `x5u`, `jwk`) ever selects a URL.
//! - Any input string is handled without panicking; tokens longer than [`MAX_TOKEN_LEN`]
//!   are rejected before decoding.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use crate::jwks::{KeyStore, VerificationKey};
use crate::{AuthError, Claims};

/// Longest token accepted, in bytes (a compact JWS; real access tokens are a few KiB).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

const MAX_LEEWAY_SECS: u64 = 3600;

/// An issuer the caller trusts, as configured by the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerConfig {
    /// Expected `iss`, compared byte for byte. Also the base of OIDC discovery
    /// (`{issuer}/.well-known/openid-configuration`) when `jwks_uri` is `None`.
    pub issuer: String,
    /// JWKS URL; `None` means discover it.
    pub jwks_uri: Option<Url>,
    /// Accepted audiences; the token's `aud` must contain one of them. Empty: `aud` is not
    /// checked.
    pub audiences: Vec<String>,
}

impl IssuerConfig {
    /// An issuer using discovery and no audience check.
    #[must_use]
    pub fn new(issuer: impl Into<String>) -> Self {
        Self { issuer: issuer.into(), jwks_uri: None, audiences: Vec::new() }
    }
}

/// Tunables of a [`Verifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierOptions {
    /// Clock-skew allowance for `exp` and `nbf` (whole seconds, at most one hour are used).
    /// Default 30 s.
    pub leeway: Duration,
    /// At most one JWKS fetch per issuer per this interval, whatever the tokens say.
    /// Default 10 s.
    pub min_refresh_interval: Duration,
    /// Cached keys older than this are refreshed on next use. Default 10 min.
    pub max_age: Duration,
    /// Time limit of one HTTP fetch (discovery or JWKS, including the body). Default 5 s.
    pub fetch_timeout: Duration,
    /// Largest discovery / JWKS response body accepted. Default 256 KiB.
    pub max_response_bytes: usize,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        Self {
            leeway: Duration::from_secs(30),
            min_refresh_interval: Duration::from_secs(10),
            max_age: Duration::from_secs(600),
            fetch_timeout: Duration::from_secs(5),
            max_response_bytes: 256 * 1024,
        }
    }
}

/// Unverified facts about a token, for routing it to an issuer configuration. Nothing in
/// here is trustworthy until [`Verifier::verify`] succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peek {
    /// The `iss` claim, if it is a string.
    pub iss: Option<String>,
    /// The header's `kid`.
    pub kid: Option<String>,
    /// The header's `alg`, as written (may be `none` or anything else).
    pub alg: String,
}

/// Validates tokens against configured issuers. Cheap to clone (shared cache inside).
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    opts: VerifierOptions,
    keys: KeyStore,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").field("opts", &self.inner.opts).finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier fetching JWKS with `http` (its proxy/TLS/redirect settings apply; each
    /// fetch additionally gets `opts.fetch_timeout`).
    #[must_use]
    pub fn new(http: reqwest::Client, opts: VerifierOptions) -> Self {
        let keys = KeyStore::new(http, opts.clone());
        Self { inner: Arc::new(Inner { opts, keys }) }
    }

    /// The options this verifier was built with.
    #[must_use]
    pub fn options(&self) -> &VerifierOptions {
        &self.inner.opts
    }

    /// Installs (or replaces) the keys of a local issuer, e.g. Stoa's built-in issuer. Tokens
    /// whose expected issuer is `issuer` are then checked against these keys only, and no
    /// HTTP fetch is ever made for it (static keys take precedence over `jwks_uri` /
    /// discovery). Keys that are unusable for RS256/ES256/EdDSA verification (HMAC, encryption
    /// keys, malformed parameters) are skipped; returns how many keys were kept.
    pub fn set_static_keys(&self, issuer: &str, jwks: &JwkSet) -> usize {
        self.inner.keys.set_static(issuer, jwks)
    }

    /// Removes static keys installed by [`Verifier::set_static_keys`]; returns whether there
    /// were any.
    pub fn remove_static_keys(&self, issuer: &str) -> bool {
        self.inner.keys.remove_static(issuer)
    }

    /// How many JWKS refreshes (network operations; one refresh may include a discovery
    /// request and a JWKS request) were started for `issuer`. Zero for static and unknown
    /// issuers.
    #[must_use]
    pub fn jwks_fetch_count(&self, issuer: &str) -> u64 {
        self.inner.keys.fetch_count(issuer)
    }

    /// Decodes header and payload WITHOUT verifying anything, so the caller can pick the
    /// [`IssuerConfig`] whose `issuer` equals `iss`. Never trust the result for anything else.
    pub fn peek(token: &str) -> Result<Peek, AuthError> {
        let parsed = Parsed::parse(token)?;
        let iss = parsed.payload.get("iss").and_then(Value::as_str).map(str::to_owned);
        Ok(Peek { iss, kid: parsed.header.kid, alg: parsed.header.alg })
    }

    /// Fully verifies `token` as issued by `expected`: algorithm allow-list, key lookup (with
    /// JWKS fetch / refresh as needed), signature, `exp`/`nbf` with leeway, exact `iss`,
    /// `aud` (when `expected.audiences` is not empty), non-empty `sub`.
    pub async fn verify(&self, token: &str, expected: &IssuerConfig) -> Result<Claims, AuthError> {
        let parsed = Parsed::parse(token)?;
        let alg = accepted_algorithm(&parsed.header.alg)?;
        if parsed.header.crit.is_some() {
            // RFC 7515 §4.1.11: we understand no extension, so any `crit` must be rejected.
            return Err(AuthError::Malformed("unsupported critical header"));
        }
        if parsed.signature_empty {
            return Err(AuthError::Malformed("empty signature"));
        }
        // Cheap pre-check so that a token for another issuer never causes a fetch.
        match parsed.payload.get("iss") {
            Some(Value::String(iss)) if *iss == expected.issuer => {}
            Some(_) => return Err(AuthError::WrongIssuer),
            None => return Err(AuthError::MissingClaim("iss")),
        }

        let candidates =
            self.inner.keys.resolve(expected, parsed.header.kid.as_deref(), alg).await?;
        let validation = self.validation(alg, expected);
        let mut last_err = AuthError::UnknownKey;
        for key in candidates.iter() {
            match verify_with(token, key, &validation) {
                Ok(payload) => return Claims::from_payload(payload),
                // Without a `kid` several keys may be candidates: try the next one.
                Err(AuthError::BadSignature) => last_err = AuthError::BadSignature,
                Err(other) => return Err(other),
            }
        }
        Err(last_err)
    }

    fn validation(&self, alg: Algorithm, expected: &IssuerConfig) -> Validation {
        let mut validation = Validation::new(alg);
        // Capped: `jsonwebtoken` computes `now - leeway` in u64.
        validation.leeway = self.inner.opts.leeway.as_secs().min(MAX_LEEWAY_SECS);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required: HashSet<String> =
            ["exp", "sub", "iss"].into_iter().map(str::to_owned).collect();
        validation.set_issuer(&[expected.issuer.as_str()]);
        if expected.audiences.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&expected.audiences);
            required.insert("aud".to_owned());
        }
        validation.required_spec_claims = required;
        validation
    }
}

/// Signature and standard claims via `jsonwebtoken`, with its errors mapped to ours.
fn verify_with(
    token: &str,
    key: &VerificationKey,
    validation: &Validation,
) -> Result<Map<String, Value>, AuthError> {
    jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding, validation)
        .map(|data| data.claims)
        .map_err(|err| map_jwt_error(err.kind()))
}

fn map_jwt_error(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidToken => AuthError::Malformed("invalid token"),
        ErrorKind::Base64(_) => AuthError::Malformed("invalid base64url"),
        ErrorKind::Json(_) | ErrorKind::Utf8(_) => AuthError::Malformed("invalid JSON"),
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::MissingRequiredClaim(claim) => AuthError::MissingClaim(claim_name(claim)),
        ErrorKind::InvalidClaimFormat(claim) => AuthError::InvalidClaim(claim_name(claim)),
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName => AuthError::UnsupportedAlgorithm,
        // Signature mismatch, or a key the crypto backend refuses at verification time.
        _ => AuthError::BadSignature,
    }
}

fn claim_name(claim: &str) -> &'static str {
    match claim {
        "exp" => "exp",
        "nbf" => "nbf",
        "iss" => "iss",
        "sub" => "sub",
        "aud" => "aud",
        _ => "unknown",
    }
}

/// The allow-list. Everything else, notably `none` and `HS*`, is refused.
pub(crate) fn accepted_algorithm(alg: &str) -> Result<Algorithm, AuthError> {
    match alg {
        "RS256" => Ok(Algorithm::RS256),
        "ES256" => Ok(Algorithm::ES256),
        "EdDSA" => Ok(Algorithm::EdDSA),
        _ => Err(AuthError::UnsupportedAlgorithm),
    }
}

/// The JOSE header fields we look at. Unknown fields are ignored; duplicate fields are an
/// error (serde), which closes parser-differential tricks.
#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<Value>,
}

/// A structurally valid compact JWS, nothing verified.
struct Parsed {
    header: RawHeader,
    payload: Map<String, Value>,
    signature_empty: bool,
}

impl Parsed {
    fn parse(token: &str) -> Result<Self, AuthError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::Malformed("token too long"));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed("expected three segments"));
        };
        let header: RawHeader = serde_json::from_slice(&b64(header)?)
            .map_err(|_| AuthError::Malformed("invalid header JSON"))?;
        let payload: Map<String, Value> = serde_json::from_slice(&b64(payload)?)
            .map_err(|_| AuthError::Malformed("invalid payload JSON"))?;
        let signature_empty = signature.is_empty();
        if !signature_empty {
            // Validate the encoding here so errors are uniform; the bytes are decoded again
            // by jsonwebtoken.
            b64(signature)?;
        }
        Ok(Self { header, payload, signature_empty })
    }
}

fn b64(segment: &str) -> Result<Vec<u8>, AuthError> {
    if segment.is_empty() {
        return Err(AuthError::Malformed("empty segment"));
    }
    URL_SAFE_NO_PAD.decode(segment).map_err(|_| AuthError::Malformed("invalid base64url"))
}

#[cfg(test)]
mod tests;
