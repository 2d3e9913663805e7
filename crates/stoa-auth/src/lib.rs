//! `stoa-auth`: validation of OIDC JWTs against the JWKS of configured issuers, and Stoa's
//! built-in EdDSA token issuer.
//!
//! - [`Verifier`] checks a token against one [`IssuerConfig`] the caller chose (typically by
//!   [`Verifier::peek`]ing the unverified `iss` and looking it up in its configuration). Keys
//!   come from that issuer's JWKS (`jwks_uri` or OIDC discovery), cached with single-flight,
//!   rate-limited refresh, or from static keys ([`Verifier::set_static_keys`]) for local
//!   issuers.
//! - [`BuiltinIssuer`] holds an Ed25519 key, signs tokens and publishes its JWKS.
//!
//! Constraints: a library with no dependency on other Stoa crates; all cryptography comes from
//! `jsonwebtoken` (RustCrypto backend) and `ed25519-dalek`; only RS256, ES256 and EdDSA are
//! accepted; nothing read from a token ever chooses a URL to fetch; errors never carry tokens,
//! key material or URLs.

#![warn(missing_docs)]

mod claims;
mod error;
mod issuer;
mod jwks;
mod verify;

pub use claims::Claims;
pub use error::{AuthError, JwksFailure};
pub use issuer::BuiltinIssuer;
pub use jsonwebtoken::jwk::{Jwk, JwkSet};
pub use url::Url;
pub use verify::{IssuerConfig, MAX_TOKEN_LEN, Peek, Verifier, VerifierOptions};

#[cfg(test)]
mod test_support;
