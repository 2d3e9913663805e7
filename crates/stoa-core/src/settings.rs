//! Chat settings (F-54) and the budget limits they carry (F-23).
//!
//! Stored inside the tenant's settings document: budgets in `quotas.daily_token_budget` /
//! `quotas.monthly_token_budget` (they apply to every LLM call of the tenant, proxy and chat
//! alike), the per-source toggles in `chat.console_enabled` / `chat.portal_enabled`.

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::identity::Principal;
use crate::ids::TenantId;
use crate::rbac::Action;
use crate::service::Core;
use crate::tenant::{Quotas, Tenant};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatSettings {
    pub console_enabled: bool,
    pub portal_enabled: bool,
    pub daily_token_budget: u64,
    pub monthly_token_budget: u64,
}

#[derive(Clone, Debug, Default)]
pub struct ChatSettingsPatch {
    pub console_enabled: Option<bool>,
    pub portal_enabled: Option<bool>,
    pub daily_token_budget: Option<u64>,
    pub monthly_token_budget: Option<u64>,
}

/// Defaults for tenants that set no budget of their own (`CHAT_DEFAULT_DAILY_LIMIT`,
/// `CHAT_DEFAULT_MONTHLY_LIMIT`); `None` keeps the tier's default.
#[derive(Clone, Copy, Debug, Default)]
pub struct BudgetDefaults {
    pub daily: Option<u64>,
    pub monthly: Option<u64>,
}

/// The tenant's effective quotas: explicit settings, else configured defaults, else the tier's.
pub fn effective_quotas(t: &Tenant, defaults: BudgetDefaults) -> Quotas {
    let mut q = t.quotas();
    let explicit = |k: &str| {
        t.settings.get("quotas").and_then(Value::as_object).is_some_and(|o| o.contains_key(k))
    };
    if !explicit("daily_token_budget")
        && let Some(d) = defaults.daily
    {
        q.daily_token_budget = d;
    }
    if !explicit("monthly_token_budget")
        && let Some(m) = defaults.monthly
    {
        q.monthly_token_budget = m;
    }
    q
}

fn toggle(t: &Tenant, name: &str) -> bool {
    t.settings.get("chat").and_then(|c| c.get(name)).and_then(Value::as_bool).unwrap_or(true)
}

impl Core {
    fn chat_settings_of(&self, t: &Tenant) -> ChatSettings {
        let q = effective_quotas(t, self.config.budget_defaults);
        ChatSettings {
            console_enabled: toggle(t, "console_enabled"),
            portal_enabled: toggle(t, "portal_enabled"),
            daily_token_budget: q.daily_token_budget,
            monthly_token_budget: q.monthly_token_budget,
        }
    }

    pub(crate) async fn chat_settings_unaudited(
        &self,
        p: &Principal,
        tenant: &TenantId,
    ) -> Result<ChatSettings> {
        let t = self.authorize(p, Action::ChatSettingsRead, Some(tenant), "tenant").await?;
        let t = t.ok_or(Error::NotFound { what: "tenant" })?;
        Ok(self.chat_settings_of(&t))
    }

    pub(crate) async fn update_chat_settings_unaudited(
        &self,
        p: &Principal,
        tenant: &TenantId,
        patch: ChatSettingsPatch,
    ) -> Result<ChatSettings> {
        self.authorize(p, Action::ChatSettingsWrite, Some(tenant), "tenant").await?;
        let mut quotas = Map::new();
        if let Some(d) = patch.daily_token_budget {
            quotas.insert("daily_token_budget".into(), json!(d));
        }
        if let Some(m) = patch.monthly_token_budget {
            quotas.insert("monthly_token_budget".into(), json!(m));
        }
        let mut chat = Map::new();
        if let Some(c) = patch.console_enabled {
            chat.insert("console_enabled".into(), json!(c));
        }
        if let Some(c) = patch.portal_enabled {
            chat.insert("portal_enabled".into(), json!(c));
        }
        let mut merge = Map::new();
        if !quotas.is_empty() {
            merge.insert("quotas".into(), Value::Object(quotas));
        }
        if !chat.is_empty() {
            merge.insert("chat".into(), Value::Object(chat));
        }
        let t = self.merge_tenant_settings(tenant, &merge).await?;
        tracing::info!(tenant = %tenant, "chat settings updated");
        Ok(self.chat_settings_of(&t))
    }
}
