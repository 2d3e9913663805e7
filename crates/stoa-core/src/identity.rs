//! Who is calling: the principal every authorized operation receives.

use crate::ids::{ApiKeyId, Subject, TenantId};
use crate::rbac::Role;

/// How the caller proved who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A JWT from this issuer (the built-in one, the platform realm or a tenant realm).
    Jwt { issuer: String },
    /// A `stoa_sk_…` API key, with what it restricts.
    ApiKey { id: ApiKeyId, purposes: Vec<String>, daily_token_budget: Option<u64> },
}

/// An authenticated caller. `tenant` is `None` only for platform principals (cpi-admin).
#[derive(Clone, Debug)]
pub struct Principal {
    pub subject: Subject,
    pub role: Role,
    pub tenant: Option<TenantId>,
    pub credential: Credential,
    /// `stoa:*` scopes of the token, if it carried any (empty: limited by role only).
    pub scopes: Vec<String>,
}

impl Principal {
    pub fn is_platform(&self) -> bool {
        self.role.is_platform()
    }
}
