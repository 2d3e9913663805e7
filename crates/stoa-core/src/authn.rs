//! JWT authentication (F-12, F-13): which issuer may act for which tenant, and how a validated
//! token becomes a [`Principal`].
//!
//! The issuer is taken from the token only to pick a *configured* realm: the built-in issuer,
//! the platform realm, or a tenant realm found in tenant settings. A token from any other issuer
//! is refused before anything is fetched (no SSRF through `iss`). Platform roles come only from
//! the platform realms; a tenant realm's tokens act for that tenant alone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use stoa_auth::{BuiltinIssuer, Claims, IssuerConfig, Verifier};

use crate::error::{Error, Result};
use crate::identity::{Credential, Principal};
use crate::ids::{Subject, TenantId};
use crate::rbac::Role;
use crate::service::{Core, CoreConfig};
use crate::tenant::Tenant;

const TENANT_CLAIM: &str = "tenant_id";

/// The tenants bound to one issuer.
type Bound = Arc<Vec<Arc<Tenant>>>;

pub(crate) struct JwtAuth {
    issuer: BuiltinIssuer,
    verifier: Verifier,
    builtin: IssuerConfig,
    platform: Option<IssuerConfig>,
    /// Tenants bound to an external issuer, by issuer (empty: not a configured issuer).
    realms: Cache<String, (Bound, Instant)>,
    ttl: Duration,
}

impl JwtAuth {
    pub(crate) fn new(issuer: BuiltinIssuer, verifier: Verifier, config: &CoreConfig) -> Self {
        let builtin = IssuerConfig {
            issuer: config.public_url.clone(),
            jwks_uri: None,
            audiences: vec![config.public_url.clone()],
        };
        match issuer.jwk_set() {
            Ok(keys) => {
                verifier.set_static_keys(&builtin.issuer, &keys);
            }
            Err(e) => tracing::error!(error = %e, "built-in issuer keys unusable"),
        }
        let platform = config.platform_issuer.as_ref().map(|p| IssuerConfig {
            issuer: p.issuer.clone(),
            jwks_uri: p.jwks_uri.as_deref().and_then(|u| u.parse().ok()),
            audiences: if p.audiences.is_empty() {
                vec![config.public_url.clone()]
            } else {
                p.audiences.clone()
            },
        });
        Self {
            issuer,
            verifier,
            builtin,
            platform,
            realms: Cache::new(10_000),
            ttl: config.cache_ttl,
        }
    }

    pub(crate) fn builtin(&self) -> &BuiltinIssuer {
        &self.issuer
    }

    pub(crate) fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    pub(crate) fn forget_issuers(&self) {
        self.realms.clear();
    }

    async fn tenants_of_issuer(&self, core: &Core, iss: &str) -> Result<Bound> {
        if let Some((t, at)) = self.realms.get(iss)
            && at.elapsed() < self.ttl
        {
            return Ok(t);
        }
        let found: Vec<Arc<Tenant>> =
            core.store.tenants_with_issuer(iss).await?.into_iter().map(Arc::new).collect();
        let found = Arc::new(found);
        self.realms.insert(iss.to_owned(), (found.clone(), Instant::now()));
        Ok(found)
    }

    pub(crate) async fn authenticate(&self, core: &Core, token: &str) -> Result<Principal> {
        let peek = Verifier::peek(token).map_err(|e| Error::invalid_token(e.to_string()))?;
        let iss = peek.iss.ok_or_else(|| Error::invalid_token("the token names no issuer"))?;
        let shared = if iss == self.builtin.issuer {
            Some(&self.builtin)
        } else {
            self.platform.as_ref().filter(|p| p.issuer == iss)
        };
        if let Some(realm) = shared {
            let claims = self.verify(token, realm).await?;
            return self.shared_realm_principal(core, &iss, claims).await;
        }

        let bound = self.tenants_of_issuer(core, &iss).await?;
        if bound.is_empty() {
            return Err(Error::invalid_token("the token's issuer is not trusted"));
        }
        // The signature is checked against the issuer's keys, with every audience any bound
        // tenant accepts; then the tenant is chosen (the only one, or the one whose own tenant
        // claim names it) and the audience is checked again against that tenant's settings.
        let realms: Vec<(&Arc<Tenant>, crate::tenant::Realm)> =
            bound.iter().filter_map(|t| t.realm().map(|r| (t, r))).collect();
        let audiences_of = |r: &crate::tenant::Realm| {
            if r.audiences.is_empty() {
                vec![core.config.public_url.clone()]
            } else {
                r.audiences.clone()
            }
        };
        let Some((_, first)) = realms.first() else {
            return Err(Error::invalid_token("the token's issuer is not trusted"));
        };
        let mut all_audiences: Vec<String> =
            realms.iter().flat_map(|(_, r)| audiences_of(r)).collect();
        all_audiences.sort();
        all_audiences.dedup();
        let config = IssuerConfig {
            issuer: first.issuer.clone(),
            jwks_uri: first.jwks_uri.as_deref().and_then(|u| u.parse().ok()),
            audiences: all_audiences,
        };
        let claims = self.verify(token, &config).await?;
        let chosen = if realms.len() == 1 {
            let (t, r) = &realms[0];
            match claims.string_claim(&r.tenant_claim) {
                Some(named) if named != t.id.as_str() => None,
                _ => Some(&realms[0]),
            }
        } else {
            let mut named = realms
                .iter()
                .filter(|(t, r)| claims.string_claim(&r.tenant_claim) == Some(t.id.as_str()));
            match (named.next(), named.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        };
        let (tenant, realm) = chosen.ok_or_else(|| {
            Error::invalid_token("the token's tenant is not served by its issuer")
        })?;
        if !audiences_of(realm).iter().any(|a| claims.aud.contains(a)) {
            return Err(Error::invalid_token("the token's audience is not this tenant's"));
        }
        let roles = match &realm.roles_claim {
            Some(name) => claim_strings(&claims, name),
            None => claims.roles(),
        };
        let role = best_role(&roles, false).ok_or_else(no_role)?;
        Ok(Principal {
            subject: Subject(claims.sub.clone()),
            role,
            tenant: Some(tenant.id.clone()),
            credential: Credential::Jwt { issuer: iss },
            scopes: stoa_scopes(&claims),
        })
    }

    async fn verify(&self, token: &str, config: &IssuerConfig) -> Result<Claims> {
        self.verifier.verify(token, config).await.map_err(|e| {
            if e.is_retryable() {
                tracing::warn!(issuer = %config.issuer, error = %e, "JWKS unavailable");
                Error::Unavailable {
                    code: "identity_provider_unavailable",
                    message: e.to_string().into(),
                }
            } else {
                Error::invalid_token(e.to_string())
            }
        })
    }

    /// The built-in issuer and the platform realm are shared by every tenant: the tenant comes
    /// from the tenant claim, and `cpi-admin` is honoured.
    async fn shared_realm_principal(
        &self,
        core: &Core,
        iss: &str,
        claims: Claims,
    ) -> Result<Principal> {
        let roles = claims.roles();
        let role = best_role(&roles, true).ok_or_else(no_role)?;
        let scopes = stoa_scopes(&claims);
        let credential = Credential::Jwt { issuer: iss.to_owned() };
        if role.is_platform() {
            return Ok(Principal {
                subject: Subject(claims.sub),
                role,
                tenant: None,
                credential,
                scopes,
            });
        }
        let tenant = claims
            .string_claim(TENANT_CLAIM)
            .ok_or_else(|| Error::invalid_token("the token names no tenant"))?;
        let tenant = TenantId::parse(tenant)
            .map_err(|_| Error::invalid_token("the token's tenant is invalid"))?;
        let Some(t) = core.tenant(&tenant).await? else {
            return Err(Error::invalid_token("the token's tenant does not exist"));
        };
        // A tenant with its own realm accepts tokens from that realm only.
        if t.realm().is_some_and(|r| r.issuer != iss) {
            return Err(Error::invalid_token("the token's issuer is not the tenant's realm"));
        }
        Ok(Principal {
            subject: Subject(claims.sub),
            role,
            tenant: Some(tenant),
            credential,
            scopes,
        })
    }
}

fn no_role() -> Error {
    Error::Forbidden { code: "no_role", message: "the token carries no Stoa role".into() }
}

fn claim_strings(claims: &Claims, name: &str) -> Vec<String> {
    match claims.extra.get(name) {
        Some(serde_json::Value::Array(a)) => {
            a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
        }
        Some(serde_json::Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// The highest Stoa role among the token's roles; platform roles only when `platform` is true.
fn best_role(roles: &[String], platform: bool) -> Option<Role> {
    roles.iter().filter_map(|r| Role::parse(r)).filter(|r| platform || !r.is_platform()).max()
}

fn stoa_scopes(claims: &Claims) -> Vec<String> {
    claims.scopes().into_iter().filter(|s| s.starts_with("stoa:")).collect()
}

impl Core {
    /// Signs a token with the built-in issuer (`stoa token issue`).
    pub fn issue_token(
        &self,
        role: Role,
        tenant: Option<&TenantId>,
        sub: &str,
        ttl: Duration,
    ) -> Result<String> {
        if !role.is_platform() && tenant.is_none() {
            return Err(Error::invalid("tenant_required", "a tenant role needs --tenant"));
        }
        let mut extra = serde_json::Map::new();
        extra.insert("roles".into(), serde_json::json!([role.as_str()]));
        if let Some(t) = tenant.filter(|_| !role.is_platform()) {
            extra.insert(TENANT_CLAIM.into(), serde_json::Value::String(t.to_string()));
        }
        let url = &self.config.public_url;
        self.jwt.builtin().issue(url, url, sub, ttl, extra).map_err(Error::internal)
    }

    /// The built-in issuer's public keys, for `/.well-known/jwks.json`.
    pub fn jwks(&self) -> serde_json::Value {
        self.jwt.builtin().jwks()
    }

    pub fn verifier(&self) -> &Verifier {
        self.jwt.verifier()
    }
}
