//! API keys (F-14): `stoa_sk_` followed by 43 base64url characters (32 random bytes).
//!
//! Only a keyed hash (HMAC-SHA256 under a key derived from the master key) is stored; the full
//! key is shown once at creation. Lookups go by hash, and the stored hash is compared again in
//! constant time before a key is accepted.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::ids::{ApiKeyId, TenantId};
use crate::rbac::Role;
use crate::secrets::{Keyed, random_bytes};

pub const PREFIX: &str = "stoa_sk_";
const BODY_LEN: usize = 43;

/// A stored API key (never the key itself).
#[derive(Clone, Debug)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub tenant: TenantId,
    pub name: String,
    pub role: Role,
    pub hash: [u8; 32],
    /// Last four characters, to tell keys apart in listings.
    pub hint: String,
    pub purposes: Vec<String>,
    pub daily_token_budget: Option<u64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
    pub created_by: String,
}

impl ApiKey {
    pub fn is_usable_at(&self, now_ms: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now_ms < e)
    }
}

/// The secret half, shown once. Its Debug prints nothing of the key.
pub struct PlainKey(Zeroizing<String>);

impl PlainKey {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PlainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainKey([redacted])")
    }
}

/// Hashes and checks API keys.
#[derive(Clone, Debug)]
pub struct KeyHasher(Keyed);

impl KeyHasher {
    pub fn new(key: &[u8; 32]) -> Self {
        Self(Keyed::new(key))
    }

    /// A fresh key and its hash.
    pub fn generate(&self) -> Result<(PlainKey, [u8; 32], String), Error> {
        let body = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
        let plain = Zeroizing::new(format!("{PREFIX}{body}"));
        let hash = self.0.hash(plain.as_bytes());
        let hint = body[body.len() - 4..].to_owned();
        Ok((PlainKey(plain), hash, hint))
    }

    /// The hash of a presented key, or `None` if it cannot be one of ours (checked before any
    /// lookup, so garbage never reaches the cache or the database).
    pub fn hash_presented(&self, presented: &str) -> Option<[u8; 32]> {
        let body = presented.strip_prefix(PREFIX)?;
        let well_formed = body.len() == BODY_LEN
            && body.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
        well_formed.then(|| self.0.hash(presented.as_bytes()))
    }

    /// Constant-time comparison of two hashes.
    pub fn matches(a: &[u8; 32], b: &[u8; 32]) -> bool {
        a.ct_eq(b).into()
    }
}

pub fn looks_like_api_key(s: &str) -> bool {
    s.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_verify_and_differ() {
        let h = KeyHasher::new(&[1u8; 32]);
        let (a, ha, hint) = h.generate().unwrap();
        let (b, hb, _) = h.generate().unwrap();
        assert!(a.expose().starts_with(PREFIX));
        assert_eq!(a.expose().len(), PREFIX.len() + BODY_LEN);
        assert!(a.expose().ends_with(&hint));
        assert_ne!(a.expose(), b.expose());
        assert_eq!(h.hash_presented(a.expose()), Some(ha));
        assert!(KeyHasher::matches(&ha, &h.hash_presented(a.expose()).unwrap()));
        assert!(!KeyHasher::matches(&ha, &hb));
        assert!(!format!("{a:?}").contains(&a.expose()[PREFIX.len()..]));
    }

    #[test]
    fn malformed_keys_are_not_hashed() {
        let h = KeyHasher::new(&[1u8; 32]);
        assert_eq!(h.hash_presented("stoa_sk_short"), None);
        assert_eq!(h.hash_presented(&format!("sk-{}", "a".repeat(43))), None);
        assert_eq!(h.hash_presented(&format!("{PREFIX}{}", "é".repeat(43))), None);
    }

    #[test]
    fn a_different_hash_key_gives_a_different_hash() {
        let (k, hash, _) = KeyHasher::new(&[1u8; 32]).generate().unwrap();
        assert_ne!(KeyHasher::new(&[2u8; 32]).hash_presented(k.expose()), Some(hash));
    }
}
