//! Typed identifiers. A `TenantId` can only be built from a valid slug, so every value that
//! reaches the store has been validated once at the edge.

use std::fmt;

use crate::error::Error;

/// Tenant slug: `^[a-z0-9][a-z0-9-]{1,62}$`, immutable.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(s: &str) -> Result<Self, Error> {
        let b = s.as_bytes();
        let ok = (2..=63).contains(&b.len())
            && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
            && b[1..].iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(Error::invalid(
                "invalid_tenant_id",
                "tenant id must match ^[a-z0-9][a-z0-9-]{1,62}$",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({})", self.0)
    }
}

/// API key id (`key_` + UUIDv7, sortable by creation).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ApiKeyId(String);

impl ApiKeyId {
    pub fn generate() -> Self {
        Self(format!("key_{}", uuid::Uuid::now_v7().simple()))
    }
    /// Accepts any id of the right shape; existence is the store's business.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let ok = s.len() == 36
            && s.starts_with("key_")
            && s[4..].bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
        if ok { Ok(Self(s.to_owned())) } else { Err(Error::NotFound { what: "api key" }) }
    }
    /// For ids read back from our own storage.
    pub fn from_trusted(s: String) -> Self {
        Self(s)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The subject (`sub`) of a caller: a person from an identity provider, or an API key.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Subject(pub String);

impl Subject {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_slugs() {
        for ok in ["acme", "a1", "acme-corp", "0x", &"a".repeat(63)] {
            assert!(TenantId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "-acme", "Acme", "acme_corp", "acme corp", &"a".repeat(64), "ü1"] {
            assert!(TenantId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn api_key_ids_round_trip() {
        let id = ApiKeyId::generate();
        assert_eq!(ApiKeyId::parse(id.as_str()).unwrap(), id);
        assert!(ApiKeyId::parse("key_../../etc").is_err());
    }
}
