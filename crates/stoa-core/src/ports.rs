//! The storage port. `stoa-store` implements it on SQLite and PostgreSQL.
//!
//! Isolation (F-17): every method that reads or writes tenant-owned data takes the tenant as a
//! required argument, and implementations filter by it in the query itself (PostgreSQL adds
//! row-level security underneath). The only lookup not scoped by tenant is
//! [`Store::api_key_tenant_by_hash`], which is how an API key names its tenant in the first place.

use async_trait::async_trait;

use crate::apikey::ApiKey;
use crate::audit::{AuditEvent, AuditFilter, LedgerEntry};
use crate::chat::{Conversation, StoredMessage};
use crate::error::StoreError;
use crate::ids::{ApiKeyId, TenantId};
use crate::tenant::Tenant;
use crate::usage::{GroupBy, UsageGroup, UsageRecord};

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;
    /// A cheap round trip, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;

    // Tenants: the tenant id is the scope.
    async fn insert_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>>;
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;
    /// Tenants whose realm (`settings.auth.issuer`) is `issuer`.
    async fn tenants_with_issuer(&self, issuer: &str) -> StoreResult<Vec<Tenant>>;
    /// Replaces name, description, status and settings; false if the tenant does not exist.
    async fn update_tenant(&self, tenant: &Tenant) -> StoreResult<bool>;
    /// Deletes the tenant and, by cascade, everything it owns.
    async fn delete_tenant(&self, id: &TenantId) -> StoreResult<bool>;

    // API keys, scoped by tenant.
    async fn insert_api_key(&self, tenant: &TenantId, key: &ApiKey) -> StoreResult<()>;
    async fn list_api_keys(&self, tenant: &TenantId) -> StoreResult<Vec<ApiKey>>;
    async fn get_api_key(&self, tenant: &TenantId, id: &ApiKeyId) -> StoreResult<Option<ApiKey>>;
    /// Marks the key revoked; false if it does not exist in this tenant or was already revoked.
    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        at_ms: i64,
    ) -> StoreResult<bool>;
    /// Authentication only: which tenant and key a presented key's hash belongs to.
    async fn api_key_tenant_by_hash(
        &self,
        hash: &[u8; 32],
    ) -> StoreResult<Option<(TenantId, ApiKeyId)>>;

    // Usage, scoped by tenant.
    async fn insert_usage(&self, tenant: &TenantId, records: &[UsageRecord]) -> StoreResult<()>;
    /// Input plus output tokens recorded since `since_ms` (for one API key when given).
    async fn usage_tokens_since(
        &self,
        tenant: &TenantId,
        api_key: Option<&str>,
        since_ms: i64,
    ) -> StoreResult<u64>;
    /// Totals in `[from_ms, to_ms)` grouped by `group_by`, ordered by key.
    async fn usage_report(
        &self,
        tenant: &TenantId,
        from_ms: i64,
        to_ms: i64,
        group_by: GroupBy,
    ) -> StoreResult<Vec<UsageGroup>>;

    // Chat, scoped by tenant. Content and titles arrive sealed; the store never sees plaintext.
    /// The tenant's wrapped data key.
    async fn tenant_data_key(&self, tenant: &TenantId) -> StoreResult<Option<Vec<u8>>>;
    /// Stores a wrapped data key unless the tenant has one; true if stored.
    async fn put_tenant_data_key(&self, tenant: &TenantId, wrapped: &[u8]) -> StoreResult<bool>;
    async fn insert_conversation(&self, tenant: &TenantId, c: &Conversation) -> StoreResult<()>;
    /// The user's conversations, most recently active first.
    async fn list_conversations(
        &self,
        tenant: &TenantId,
        user_ref: &str,
    ) -> StoreResult<Vec<Conversation>>;
    async fn get_conversation(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> StoreResult<Option<Conversation>>;
    async fn touch_conversation(&self, tenant: &TenantId, id: &str, at_ms: i64) -> StoreResult<()>;
    /// Hard delete with its messages; false if absent.
    async fn delete_conversation(&self, tenant: &TenantId, id: &str) -> StoreResult<bool>;
    /// Hard delete of every conversation of a user; how many.
    async fn delete_user_conversations(
        &self,
        tenant: &TenantId,
        user_ref: &str,
    ) -> StoreResult<u64>;
    /// Hard delete of conversations idle since before `before_ms`; how many.
    async fn purge_idle_conversations(&self, tenant: &TenantId, before_ms: i64)
    -> StoreResult<u64>;
    async fn insert_message(&self, tenant: &TenantId, m: &StoredMessage) -> StoreResult<()>;
    /// The last `limit` messages of a conversation, oldest first.
    async fn list_messages(
        &self,
        tenant: &TenantId,
        conversation: &str,
        limit: u32,
    ) -> StoreResult<Vec<StoredMessage>>;

    /// Records that `threshold` (percent) of a budget was alerted for this window instance;
    /// true the first time only.
    async fn budget_alert_once(
        &self,
        tenant: &TenantId,
        scope: &str,
        period_start: i64,
        threshold: u32,
    ) -> StoreResult<bool>;

    // The tenant API registry, scoped by tenant.
    /// Inserts an API; `StoreError::Conflict` if the name is taken in this tenant.
    async fn insert_api(
        &self,
        tenant: &TenantId,
        api: &crate::registry::StoredApi,
    ) -> StoreResult<()>;
    async fn list_apis(&self, tenant: &TenantId) -> StoreResult<Vec<crate::registry::StoredApi>>;
    async fn get_api(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> StoreResult<Option<crate::registry::StoredApi>>;
    async fn delete_api(&self, tenant: &TenantId, name: &str) -> StoreResult<bool>;

    // The audit ledger (platform-owned; reads are filtered by tenant where the caller is one).
    /// Appends events in one transaction (all or none), chained onto the head read inside
    /// that transaction (`audit::chain`); several writers stay linear. Returns the entries.
    async fn audit_append(&self, events: &[AuditEvent]) -> StoreResult<Vec<LedgerEntry>>;
    /// Appends one event at once, in the caller's thread, where the backend can commit it in
    /// microseconds without waiting for anything (embedded SQLite, its ledger connection free);
    /// `None` otherwise — the caller then queues it for `audit_append` in a batch. Never blocks.
    fn audit_append_now(&self, _event: &AuditEvent) -> Option<LedgerEntry> {
        None
    }
    /// A finished call's final ledger entry and its usage record in one commit, in place, under
    /// the same conditions as `audit_append_now`; `None`: nothing was written (queue both).
    fn record_call_now(
        &self,
        _fin: &AuditEvent,
        _tenant: &TenantId,
        _usage: &UsageRecord,
    ) -> Option<LedgerEntry> {
        None
    }
    /// The last entry's `seq` and hash.
    async fn audit_head(&self) -> StoreResult<Option<(i64, [u8; 32])>>;
    /// Entries with `seq > after`, in order, at most `limit` (verify, export).
    async fn audit_scan(&self, after: i64, limit: u32) -> StoreResult<Vec<LedgerEntry>>;
    /// Entries matching the filter, newest first.
    async fn audit_query(&self, filter: &AuditFilter) -> StoreResult<Vec<LedgerEntry>>;
    /// Pending entries with `after < seq <= up_to` that no later entry finalizes (left by a
    /// crash, or in flight).
    async fn audit_unfinalized(&self, after: i64, up_to: i64) -> StoreResult<Vec<LedgerEntry>>;
    /// Recovery's watermark: every pending entry with `seq` at or below it is finalized.
    async fn audit_finalized_through(&self) -> StoreResult<i64>;
    /// Raises the watermark to `seq` (never lowers it).
    async fn set_audit_finalized_through(&self, seq: i64) -> StoreResult<()>;

    // Platform bootstrap.
    /// Stores a (sealed) platform secret unless one of that name exists; true if created.
    async fn put_secret_if_absent(&self, name: &str, value: &[u8]) -> StoreResult<bool>;
    async fn get_secret(&self, name: &str) -> StoreResult<Option<Vec<u8>>>;
    async fn ensure_role(&self, name: &str, description: &str) -> StoreResult<bool>;
    async fn ensure_platform_identity(&self, subject: &str, role: &str) -> StoreResult<bool>;
}
