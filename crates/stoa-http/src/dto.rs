//! Wire DTOs of the control-plane API. Domain types never derive Serialize; they are converted
//! here, at the edge. Request DTOs reject unknown fields so typos surface as 422.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use stoa_core::apikey::ApiKey;
use stoa_core::clock::{now_ms, to_rfc3339};
use stoa_core::{Principal, Tenant};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub(crate) struct TenantDto {
    /// Slug, immutable.
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    /// `active`, `suspended` or `archived`.
    pub(crate) status: String,
    #[schema(value_type = Object)]
    pub(crate) settings: Map<String, Value>,
    pub(crate) tier: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

impl From<&Tenant> for TenantDto {
    fn from(t: &Tenant) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.clone(),
            description: t.description.clone(),
            status: t.status.as_str().to_owned(),
            settings: redacted_settings(&t.settings),
            tier: t.tier().as_str().to_owned(),
            created_at: to_rfc3339(t.created_at),
            updated_at: to_rfc3339(t.updated_at),
        }
    }
}

/// Settings as shown: the webhook signing secret is write-only.
fn redacted_settings(settings: &Map<String, Value>) -> Map<String, Value> {
    let mut out = settings.clone();
    if let Some(Value::Object(n)) = out.get_mut("notifications")
        && n.contains_key("webhook_secret")
    {
        n.insert("webhook_secret".into(), Value::String("[redacted]".into()));
    }
    out
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TenantList {
    pub(crate) data: Vec<TenantDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateTenant {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub(crate) settings: Option<Map<String, Value>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchTenant {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    /// `active`, `suspended` or `archived` (cpi-admin only).
    pub(crate) status: Option<String>,
    /// Merged into the current settings (JSON merge patch: `null` removes a key).
    #[schema(value_type = Option<Object>)]
    pub(crate) settings: Option<Map<String, Value>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateApiKey {
    pub(crate) name: String,
    /// `tenant-admin`, `devops` or `viewer`.
    pub(crate) role: String,
    /// For cpi-admin: the tenant the key belongs to (or `X-Stoa-Tenant`).
    pub(crate) tenant_id: Option<String>,
    /// RFC 3339.
    pub(crate) expires_at: Option<String>,
    pub(crate) purposes: Option<Vec<String>>,
    pub(crate) daily_token_budget: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ApiKeyDto {
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) name: String,
    pub(crate) role: String,
    /// Last four characters of the key.
    pub(crate) hint: String,
    pub(crate) purposes: Vec<String>,
    pub(crate) daily_token_budget: Option<u64>,
    /// `active`, `revoked` or `expired`.
    pub(crate) status: String,
    pub(crate) expires_at: Option<String>,
    pub(crate) revoked_at: Option<String>,
    pub(crate) created_at: String,
}

impl From<&ApiKey> for ApiKeyDto {
    fn from(k: &ApiKey) -> Self {
        let status = if k.revoked_at.is_some() {
            "revoked"
        } else if !k.is_usable_at(now_ms()) {
            "expired"
        } else {
            "active"
        };
        Self {
            id: k.id.to_string(),
            tenant_id: k.tenant.to_string(),
            name: k.name.clone(),
            role: k.role.as_str().to_owned(),
            hint: k.hint.clone(),
            purposes: k.purposes.clone(),
            daily_token_budget: k.daily_token_budget,
            status: status.to_owned(),
            expires_at: k.expires_at.map(to_rfc3339),
            revoked_at: k.revoked_at.map(to_rfc3339),
            created_at: to_rfc3339(k.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedApiKey {
    /// The key itself. Shown once; only a keyed hash is stored.
    pub(crate) key: String,
    #[serde(flatten)]
    pub(crate) meta: ApiKeyDto,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ApiKeyList {
    pub(crate) data: Vec<ApiKeyDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct WhoAmI {
    pub(crate) subject: String,
    pub(crate) role: String,
    pub(crate) tenant_id: Option<String>,
    /// `jwt` or `api_key`.
    pub(crate) credential: String,
}

impl From<&Principal> for WhoAmI {
    fn from(p: &Principal) -> Self {
        Self {
            subject: p.subject.0.clone(),
            role: p.role.as_str().to_owned(),
            tenant_id: p.tenant.as_ref().map(ToString::to_string),
            credential: match p.credential {
                stoa_core::Credential::Jwt { .. } => "jwt".into(),
                stoa_core::Credential::ApiKey { .. } => "api_key".into(),
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    pub(crate) status: String,
    #[schema(value_type = Object)]
    pub(crate) checks: Map<String, Value>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ChatSettingsDto {
    pub(crate) console_enabled: bool,
    pub(crate) portal_enabled: bool,
    /// Tokens per UTC day over every LLM call of the tenant.
    pub(crate) daily_token_budget: u64,
    /// Tokens per UTC month over every LLM call of the tenant.
    pub(crate) monthly_token_budget: u64,
}

impl From<stoa_core::settings::ChatSettings> for ChatSettingsDto {
    fn from(s: stoa_core::settings::ChatSettings) -> Self {
        Self {
            console_enabled: s.console_enabled,
            portal_enabled: s.portal_enabled,
            daily_token_budget: s.daily_token_budget,
            monthly_token_budget: s.monthly_token_budget,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateChatSettings {
    pub(crate) console_enabled: Option<bool>,
    pub(crate) portal_enabled: Option<bool>,
    pub(crate) daily_token_budget: Option<u64>,
    pub(crate) monthly_token_budget: Option<u64>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsageQuery {
    /// `source`, `user`, `model`, `provider` or `day` (default).
    pub(crate) group_by: Option<String>,
    /// RFC 3339; default: the start of the current UTC month.
    pub(crate) from: Option<String>,
    /// RFC 3339, exclusive; default: now.
    pub(crate) to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UsageGroupDto {
    pub(crate) key: String,
    pub(crate) requests: u64,
    pub(crate) input_tokens: u64,
    pub(crate) output_tokens: u64,
    pub(crate) cost_usd: f64,
}

impl From<&stoa_core::usage::UsageGroup> for UsageGroupDto {
    fn from(g: &stoa_core::usage::UsageGroup) -> Self {
        Self {
            key: g.key.clone(),
            requests: g.requests,
            input_tokens: g.input_tokens,
            output_tokens: g.output_tokens,
            cost_usd: g.cost_micros as f64 / 1_000_000.0,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UsageReport {
    pub(crate) tenant_id: String,
    pub(crate) group_by: String,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) groups: Vec<UsageGroupDto>,
    pub(crate) totals: UsageGroupDto,
}
