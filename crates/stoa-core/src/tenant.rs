//! Tenants (F-10, F-11, F-17): status lifecycle, tiers and the settings document.
//!
//! Settings are a JSON object owned by the tenant (quotas, features, notifications, chat, pii,
//! purposes, auth). The core reads the parts it acts on through typed views and validates those
//! parts on every write; unknown keys are kept as they are.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::ids::TenantId;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TenantStatus {
    Active,
    Suspended,
    Archived,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
            TenantStatus::Archived => "archived",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            "archived" => Some(Self::Archived),
            _ => None,
        }
    }
}

/// Tenant tiers set default quotas (F-17).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tier {
    Community,
    Starter,
    Business,
    Enterprise,
}

/// Quotas a tier grants unless the tenant's settings say otherwise.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Quotas {
    pub max_rate_limit: u64,
    pub daily_token_budget: u64,
    pub monthly_token_budget: u64,
}

impl Tier {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "community" => Some(Self::Community),
            "starter" => Some(Self::Starter),
            "business" => Some(Self::Business),
            "enterprise" => Some(Self::Enterprise),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Community => "community",
            Tier::Starter => "starter",
            Tier::Business => "business",
            Tier::Enterprise => "enterprise",
        }
    }
    pub fn quotas(self) -> Quotas {
        let (rpm, day, month) = match self {
            Tier::Community => (60, 100_000, 2_000_000),
            Tier::Starter => (300, 500_000, 10_000_000),
            Tier::Business => (1_200, 2_000_000, 50_000_000),
            Tier::Enterprise => (6_000, 10_000_000, 250_000_000),
        };
        Quotas { max_rate_limit: rpm, daily_token_budget: day, monthly_token_budget: month }
    }
}

/// A tenant's identity realm (`settings.auth`): the one issuer whose tokens act for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Realm {
    pub issuer: String,
    pub jwks_uri: Option<String>,
    pub audiences: Vec<String>,
    pub tenant_claim: String,
    pub roles_claim: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub description: String,
    pub status: TenantStatus,
    pub settings: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Tenant {
    pub fn tier(&self) -> Tier {
        self.settings
            .get("tier")
            .and_then(Value::as_str)
            .and_then(Tier::parse)
            .unwrap_or(Tier::Community)
    }

    /// The tenant's own realm, if it configured one.
    pub fn realm(&self) -> Option<Realm> {
        let auth = self.settings.get("auth")?.as_object()?;
        let issuer = auth.get("issuer")?.as_str()?.to_owned();
        let audiences = match auth.get("audience") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => {
                a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
            }
            _ => Vec::new(),
        };
        Some(Realm {
            issuer,
            jwks_uri: auth.get("jwks_uri").and_then(Value::as_str).map(str::to_owned),
            audiences,
            tenant_claim: auth
                .get("tenant_claim")
                .and_then(Value::as_str)
                .unwrap_or("tenant_id")
                .to_owned(),
            roles_claim: auth.get("roles_claim").and_then(Value::as_str).map(str::to_owned),
        })
    }

    /// The PII policy (F-22): `settings.pii`, default `block` for every category.
    pub fn pii_policy(&self) -> stoa_pii::Policy {
        self.settings
            .get("pii")
            .and_then(|v| serde_json::from_value::<stoa_pii::Policy>(v.clone()).ok())
            .map(|mut p| {
                // A policy given with overrides only keeps the platform default for the rest.
                if self.settings.get("pii").and_then(|v| v.get("mode")).is_none() {
                    p.mode = stoa_pii::Mode::Block;
                }
                p
            })
            .unwrap_or_else(|| stoa_pii::Policy::new(stoa_pii::Mode::Block))
    }

    /// Effective quotas: the tier's defaults overridden by `settings.quotas`.
    pub fn quotas(&self) -> Quotas {
        let mut q = self.tier().quotas();
        if let Some(over) = self.settings.get("quotas").and_then(Value::as_object) {
            let get = |k: &str| over.get(k).and_then(Value::as_u64);
            if let Some(v) = get("max_rate_limit") {
                q.max_rate_limit = v;
            }
            if let Some(v) = get("daily_token_budget") {
                q.daily_token_budget = v;
            }
            if let Some(v) = get("monthly_token_budget") {
                q.monthly_token_budget = v;
            }
        }
        q
    }
}

/// Validates the parts of a settings document the gateway acts on.
pub fn validate_settings(settings: &Map<String, Value>) -> Result<(), Error> {
    let bad = |m: &'static str| Err(Error::invalid("invalid_settings", m));
    if let Some(t) = settings.get("tier")
        && t.as_str().and_then(Tier::parse).is_none()
    {
        return bad("settings.tier must be one of community, starter, business, enterprise");
    }
    if let Some(q) = settings.get("quotas") {
        let Some(q) = q.as_object() else { return bad("settings.quotas must be an object") };
        for (k, v) in q {
            if ["max_rate_limit", "daily_token_budget", "monthly_token_budget"]
                .contains(&k.as_str())
                && v.as_u64().is_none()
            {
                return bad("settings.quotas values must be non-negative integers");
            }
        }
    }
    if let Some(pii) = settings.get("pii")
        && serde_json::from_value::<stoa_pii::Policy>(pii.clone()).is_err()
    {
        return bad(
            "settings.pii must be {\"mode\": \"block\"|\"redact\"|\"off\", \"overrides\": {category: mode}}",
        );
    }
    if let Some(n) = settings.get("notifications") {
        let Some(n) = n.as_object() else { return bad("settings.notifications must be an object") };
        if let Some(url) = n.get("webhook_url") {
            let ok = url
                .as_str()
                .and_then(|s| stoa_auth::Url::parse(s).ok())
                .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                return bad("settings.notifications.webhook_url must be an http(s) URL");
            }
            if n.get("webhook_secret").and_then(Value::as_str).is_none_or(|s| s.len() < 16) {
                return bad(
                    "settings.notifications.webhook_secret (16+ characters) is required with a webhook_url",
                );
            }
        }
    }
    if let Some(auth) = settings.get("auth") {
        let Some(auth) = auth.as_object() else { return bad("settings.auth must be an object") };
        let is_http_url = |v: &Value| {
            v.as_str().is_some_and(|s| {
                (s.starts_with("https://") || s.starts_with("http://"))
                    && s.len() > 8
                    && !s.contains(char::is_whitespace)
            })
        };
        match auth.get("issuer") {
            Some(v) if is_http_url(v) => {}
            _ => return bad("settings.auth.issuer must be an http(s) URL"),
        }
        if let Some(v) = auth.get("jwks_uri")
            && !is_http_url(v)
        {
            return bad("settings.auth.jwks_uri must be an http(s) URL");
        }
        match auth.get("audience") {
            None | Some(Value::String(_)) => {}
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => {}
            _ => return bad("settings.auth.audience must be a string or an array of strings"),
        }
        for k in ["tenant_claim", "roles_claim"] {
            if auth.get(k).is_some_and(|v| !v.is_string()) {
                return bad("settings.auth claim names must be strings");
            }
        }
    }
    Ok(())
}

/// JSON merge patch (RFC 7386): objects merge recursively, `null` removes a key.
pub fn merge_settings(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (k, v) in patch {
        match v {
            Value::Null => {
                target.remove(k);
            }
            Value::Object(p) => {
                let entry = target.entry(k.clone()).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(t) = entry {
                    merge_settings(t, p);
                } else {
                    let mut fresh = Map::new();
                    merge_settings(&mut fresh, p);
                    *entry = Value::Object(fresh);
                }
            }
            other => {
                target.insert(k.clone(), other.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests;
