//! Stoa's built-in token issuer: one Ed25519 key pair signing EdDSA JWTs, and its public
//! JWK / JWKS for `/.well-known/jwks.json` and for `Verifier::set_static_keys`.
//!
//! Constraints: key generation and signing are delegated to `ed25519-dalek` and
//! `jsonwebtoken` (no hand-rolled crypto). The private key only leaves this type as PKCS#8
//! DER in a `Zeroizing` buffer (the caller stores it encrypted); `Debug` shows the `kid`
//! only.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::AuthError;

/// An Ed25519 signing key with everything derived from it.
pub struct BuiltinIssuer {
    /// `jsonwebtoken` signs EdDSA from a PKCS#8 DER document, so that is what it holds.
    encoding: EncodingKey,
    public: [u8; 32],
    kid: String,
}

impl fmt::Debug for BuiltinIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuiltinIssuer").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl BuiltinIssuer {
    /// A fresh key pair from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, AuthError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut_slice()).map_err(|_| AuthError::Key("no system randomness"))?;
        Self::from_signing_key(&SigningKey::from_bytes(&seed))
    }

    /// Loads a key previously exported with [`BuiltinIssuer::to_pkcs8_der`] (PKCS#8 v1 or
    /// v2, as `openssl genpkey -algorithm ed25519` also writes).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, AuthError> {
        let key = SigningKey::from_pkcs8_der(der)
            .map_err(|_| AuthError::Key("invalid Ed25519 PKCS#8 document"))?;
        Self::from_signing_key(&key)
    }

    fn from_signing_key(key: &SigningKey) -> Result<Self, AuthError> {
        let der = key.to_pkcs8_der().map_err(|_| AuthError::Key("PKCS#8 encoding failed"))?;
        let public = key.verifying_key().to_bytes();
        let digest = Sha256::digest(public);
        let kid = URL_SAFE_NO_PAD.encode(&digest[..16]);
        Ok(Self { encoding: EncodingKey::from_ed_der(der.as_bytes()), public, kid })
    }

    /// The private key as PKCS#8 DER; wiped from memory when dropped.
    #[must_use]
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.encoding.inner().to_vec())
    }

    /// Key id: base64url (no padding) of the first 16 bytes of SHA-256 of the raw 32-byte
    /// public key. Deterministic, so it survives restarts and identifies rotations.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The raw 32-byte Ed25519 public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; 32] {
        self.public
    }

    /// Public JWK: `{"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"}`.
    #[must_use]
    pub fn public_jwk(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.public),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        })
    }

    /// `{"keys": [public_jwk]}`, the body of `/.well-known/jwks.json`.
    #[must_use]
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.public_jwk()] })
    }

    /// The same JWKS, typed, for `Verifier::set_static_keys`.
    pub fn jwk_set(&self) -> Result<JwkSet, AuthError> {
        serde_json::from_value(self.jwks()).map_err(|_| AuthError::Key("JWK conversion failed"))
    }

    /// Signs an EdDSA JWT with header `kid` and claims `extra` plus `iss`, `aud`, `sub`,
    /// `iat` = `nbf` = now and `exp` = now + `ttl` (these override same-named `extra` keys).
    pub fn issue(
        &self,
        issuer: &str,
        audience: &str,
        sub: &str,
        ttl: Duration,
        extra: Map<String, Value>,
    ) -> Result<String, AuthError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| AuthError::Key("system clock before 1970"))?
            .as_secs();
        let exp = now.saturating_add(ttl.as_secs());
        let mut claims = extra;
        claims.insert("iss".to_owned(), Value::from(issuer));
        claims.insert("aud".to_owned(), Value::from(audience));
        claims.insert("sub".to_owned(), Value::from(sub));
        claims.insert("iat".to_owned(), Value::from(now));
        claims.insert("nbf".to_owned(), Value::from(now));
        claims.insert("exp".to_owned(), Value::from(exp));
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|_| AuthError::Key("signing failed"))
    }
}

#[cfg(test)]
mod tests;
