//! What goes into the ledger, and when: the audited face of `Core`.
//!
//! Every public operation of `Core` that a caller can invoke is wrapped here: a refusal (any
//! error) is recorded with its code; a change (create, update, delete, revoke, settings) is
//! recorded when it succeeds; reads are recorded only when refused. LLM calls write their own
//! pending and final entries (`llm.rs`). Entries carry the pseudonymous user, never the subject.

use serde_json::{Value, json};

use crate::apikey::{ApiKey, PlainKey};
use crate::audit::{AuditEvent, AuditFilter, GENESIS, LedgerEntry, Verdict, verify_run};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::identity::Principal;
use crate::ids::{ApiKeyId, TenantId};
use crate::ports::Store;
use crate::rbac::Action;
use crate::service::{Core, NewApiKey, NewTenant, TenantPatch};
use crate::settings::{ChatSettings, ChatSettingsPatch};
use crate::tenant::Tenant;
use crate::usage::{GroupBy, UsageGroup};

impl Core {
    /// A fresh event for `action` by `p` on `tenant`.
    pub(crate) fn event(
        &self,
        p: Option<&Principal>,
        tenant: Option<&TenantId>,
        action: &str,
        status: &str,
    ) -> AuditEvent {
        AuditEvent {
            at_ms: now_ms(),
            tenant: tenant.or_else(|| p.and_then(|p| p.tenant.as_ref())).map(ToString::to_string),
            user_ref: p.map(|p| self.pseudonym(p.subject.as_str())),
            action: action.to_owned(),
            status: status.to_owned(),
            trace_id: crate::trace::current(),
            ..AuditEvent::default()
        }
    }

    /// Records a refusal with its code.
    pub(crate) async fn audit_refusal(
        &self,
        p: Option<&Principal>,
        tenant: Option<&TenantId>,
        action: &str,
        err: &Error,
    ) {
        let mut e = self.event(p, tenant, action, "refused");
        e.code = Some(err.code().to_owned());
        // PII refusals record which categories, and how many: never the values or offsets.
        if let Error::PiiDetected { details, .. } = err {
            let mut counts = serde_json::Map::new();
            for f in details.as_array().into_iter().flatten() {
                if let Some(c) = f["category"].as_str() {
                    let n = counts.get(c).and_then(Value::as_u64).unwrap_or(0) + 1;
                    counts.insert(c.to_owned(), Value::from(n));
                }
            }
            e.detail = Some(json!({"pii": counts}));
        }
        self.ledger.record(e).await;
    }

    /// Records the outcome of an operation: refusals always, successes when `change` is set.
    async fn audited<T>(
        &self,
        p: &Principal,
        tenant: Option<&TenantId>,
        action: Action,
        change: Option<Value>,
        result: Result<T>,
    ) -> Result<T> {
        match &result {
            Err(e) => self.audit_refusal(Some(p), tenant, action.as_str(), e).await,
            Ok(_) => {
                if let Some(detail) = change {
                    let mut e = self.event(Some(p), tenant, action.as_str(), "ok");
                    e.detail = (!detail.is_null()).then_some(detail);
                    self.ledger.record(e).await;
                }
            }
        }
        result
    }

    /// Authenticates a bearer credential (API key or JWT); failures are audited.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal> {
        let r = self.authenticate_unaudited(bearer).await;
        if let Err(e) = &r {
            self.audit_refusal(None, None, "authenticate", e).await;
        }
        r
    }

    pub async fn create_tenant(&self, p: &Principal, new: NewTenant) -> Result<Tenant> {
        let id = new.id.clone();
        let r = self.create_tenant_unaudited(p, new).await;
        self.audited(p, Some(&id), Action::TenantCreate, Some(Value::Null), r).await
    }

    pub async fn list_tenants(&self, p: &Principal) -> Result<Vec<Tenant>> {
        let r = self.list_tenants_unaudited(p).await;
        self.audited(p, None, Action::TenantList, None, r).await
    }

    pub async fn get_tenant(&self, p: &Principal, id: &TenantId) -> Result<Tenant> {
        let r = self.get_tenant_unaudited(p, id).await;
        self.audited(p, Some(id), Action::TenantRead, None, r).await
    }

    pub async fn patch_tenant(
        &self,
        p: &Principal,
        id: &TenantId,
        patch: TenantPatch,
    ) -> Result<Tenant> {
        let fields: Vec<&str> = [
            patch.name.as_ref().map(|_| "name"),
            patch.description.as_ref().map(|_| "description"),
            patch.status.map(|_| "status"),
            patch.settings.as_ref().map(|_| "settings"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let detail = json!({"fields": fields, "status": patch.status.map(|s| s.as_str())});
        let action =
            if patch.name.is_some() || patch.description.is_some() || patch.status.is_some() {
                Action::TenantUpdate
            } else {
                Action::TenantUpdateSettings
            };
        let r = self.patch_tenant_unaudited(p, id, patch).await;
        self.audited(p, Some(id), action, Some(detail), r).await
    }

    pub async fn delete_tenant(&self, p: &Principal, id: &TenantId) -> Result<()> {
        let r = self.delete_tenant_unaudited(p, id).await;
        self.audited(p, Some(id), Action::TenantDelete, Some(Value::Null), r).await
    }

    pub async fn create_api_key(
        &self,
        p: &Principal,
        tenant: TenantId,
        new: NewApiKey,
    ) -> Result<(ApiKey, PlainKey)> {
        let t = tenant.clone();
        let role = new.role.as_str();
        let r = self.create_api_key_unaudited(p, tenant, new).await;
        let detail = r.as_ref().ok().map(|(k, _)| json!({"key_id": k.id.as_str(), "role": role}));
        self.audited(p, Some(&t), Action::ApiKeyCreate, Some(detail.unwrap_or(Value::Null)), r)
            .await
    }

    pub async fn list_api_keys(&self, p: &Principal, tenant: &TenantId) -> Result<Vec<ApiKey>> {
        let r = self.list_api_keys_unaudited(p, tenant).await;
        self.audited(p, Some(tenant), Action::ApiKeyList, None, r).await
    }

    pub async fn revoke_api_key(
        &self,
        p: &Principal,
        tenant: &TenantId,
        id: &ApiKeyId,
    ) -> Result<()> {
        let r = self.revoke_api_key_unaudited(p, tenant, id).await;
        self.audited(p, Some(tenant), Action::ApiKeyRevoke, Some(json!({"key_id": id.as_str()})), r)
            .await
    }

    pub async fn chat_settings(&self, p: &Principal, tenant: &TenantId) -> Result<ChatSettings> {
        let r = self.chat_settings_unaudited(p, tenant).await;
        self.audited(p, Some(tenant), Action::ChatSettingsRead, None, r).await
    }

    pub async fn update_chat_settings(
        &self,
        p: &Principal,
        tenant: &TenantId,
        patch: ChatSettingsPatch,
    ) -> Result<ChatSettings> {
        let detail = json!({
            "console_enabled": patch.console_enabled,
            "portal_enabled": patch.portal_enabled,
            "daily_token_budget": patch.daily_token_budget,
            "monthly_token_budget": patch.monthly_token_budget,
        });
        let r = self.update_chat_settings_unaudited(p, tenant, patch).await;
        self.audited(p, Some(tenant), Action::ChatSettingsWrite, Some(detail), r).await
    }

    pub async fn usage_report(
        &self,
        p: &Principal,
        tenant: &TenantId,
        from_ms: i64,
        to_ms: i64,
        group_by: GroupBy,
    ) -> Result<Vec<UsageGroup>> {
        let r = self.usage_report_unaudited(p, tenant, from_ms, to_ms, group_by).await;
        self.audited(p, Some(tenant), Action::UsageRead, None, r).await
    }

    /// `GET /v1/audit`: cpi-admin any tenant (or all), tenant-admin its own.
    pub async fn audit_list(
        &self,
        p: &Principal,
        tenant: Option<TenantId>,
        mut filter: AuditFilter,
    ) -> Result<Vec<LedgerEntry>> {
        let r = async {
            let scope = match (&p.tenant, tenant) {
                (None, None) => {
                    self.authorize(p, Action::AuditRead, None, "tenant").await?;
                    None
                }
                (_, named) => {
                    let t = self.scope_of(p, named)?;
                    self.authorize(p, Action::AuditRead, Some(&t), "tenant").await?;
                    Some(t)
                }
            };
            filter.tenant = scope.map(|t| t.to_string());
            filter.limit = filter.limit.clamp(1, 1000);
            self.ledger.flush().await;
            Ok(self.store.audit_query(&filter).await?)
        }
        .await;
        self.audited(p, p.tenant.as_ref(), Action::AuditRead, None, r).await
    }

    /// Finalizes as `interrupted` the pending entries whose calls will never finish, and
    /// returns how many.
    ///
    /// On one machine (SQLite) every orphan is this process's own: at [`Recovery::Start`] and
    /// [`Recovery::Shutdown`] (no call of ours in flight) all are finalized. With several
    /// replicas an orphan may be another replica's call still in flight, and [`Recovery::Periodic`]
    /// runs while our own calls are, so then only orphans older than `orphan_age` are finalized;
    /// `serve` repeats this periodically so a replica that died and never came back has its
    /// calls finalized too.
    ///
    /// Only entries after the watermark are looked at (every pending entry at or below it is
    /// finalized); it then moves up to the head read before the scan, or to just below the
    /// oldest entry spared, so start-up time does not grow with the ledger.
    pub async fn recover_interrupted(&self, when: Recovery) -> Result<usize> {
        let all = self.store.backend() == "sqlite" && when != Recovery::Periodic;
        let cutoff = if all {
            i64::MAX
        } else {
            now_ms() - i64::try_from(self.config.orphan_age.as_millis()).unwrap_or(i64::MAX)
        };
        // Final entries still queued must be seen as such.
        self.ledger.flush().await;
        let after = self.store.audit_finalized_through().await?;
        let head = self.store.audit_head().await?.map_or(0, |(seq, _)| seq);
        let open = self.store.audit_unfinalized(after, head).await?;
        let (pending, spared): (Vec<LedgerEntry>, Vec<LedgerEntry>) =
            open.into_iter().partition(|e| e.event.at_ms < cutoff);
        for entry in &pending {
            let mut e = entry.event.clone();
            e.at_ms = now_ms();
            e.status = "interrupted".into();
            e.refers_to = Some(entry.seq);
            e.detail = None;
            self.ledger.append(e).await?;
        }
        if !pending.is_empty() {
            tracing::warn!(
                entries = pending.len(),
                "finalized interrupted calls from a previous run"
            );
        }
        let through = spared.first().map_or(head, |e| e.seq - 1);
        if through > after {
            self.store.set_audit_finalized_through(through).await?;
        }
        Ok(pending.len())
    }

    /// Waits until queued ledger entries are committed.
    pub async fn flush_ledger(&self) {
        self.ledger.flush().await;
    }
}

/// Walks the whole chain (`stoa audit verify`), page by page.
pub async fn verify_chain(store: &dyn Store) -> Result<Verdict> {
    let (mut seq, mut prev) = (0, GENESIS);
    let mut count = 0u64;
    loop {
        let page = store.audit_scan(seq, 10_000).await?;
        if page.is_empty() {
            return Ok(Verdict::Intact { entries: count });
        }
        match verify_run(seq, prev, &page) {
            Ok((s, h)) => {
                count += page.len() as u64;
                (seq, prev) = (s, h);
            }
            Err((bad, reason)) => return Ok(Verdict::Broken { seq: bad, reason }),
        }
    }
}

/// When [`Core::recover_interrupted`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Before serving: none of this process's calls is in flight.
    Start,
    /// While serving (hourly).
    Periodic,
    /// After the server stopped and its calls finished (or were cut at the deadline).
    Shutdown,
}
