//! `Core`: the operations the HTTP layer exposes, each one authorized in one place.
//!
//! A handler parses its input, calls one method here with the caller's [`Principal`], and maps
//! the result. Tenants and API keys are cached in memory so that authenticating and authorizing
//! a request does not touch the database on the hot path.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use serde_json::{Map, Value};

use crate::apikey::{ApiKey, KeyHasher, PlainKey};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::identity::{Credential, Principal};
use crate::ids::{ApiKeyId, Subject, TenantId};
use crate::ports::Store;
use crate::rbac::{self, Action, Kind, Role};
use crate::secrets::MasterKey;
use crate::tenant::{self, Tenant, TenantStatus};

/// Settings of the core that come from configuration.
#[derive(Clone, Debug)]
pub struct CoreConfig {
    /// The gateway's public URL: issuer and audience of the built-in token issuer.
    pub public_url: String,
    /// An external platform realm (`STOA_PLATFORM_ISSUER`), trusted for `cpi-admin`.
    pub platform_issuer: Option<PlatformIssuer>,
    /// How long a cached tenant or API key is trusted before it is read again.
    pub cache_ttl: Duration,
    /// Budget defaults for tenants without their own (`CHAT_DEFAULT_*_LIMIT`).
    pub budget_defaults: crate::settings::BudgetDefaults,
    /// First retry delay of budget-alert webhooks (doubles per attempt).
    pub alert_retry_base: Duration,
    /// Cluster mode: a pending ledger entry this old with no final entry belongs to a call
    /// that cannot still be running (its replica died).
    pub orphan_age: Duration,
}

#[derive(Clone, Debug)]
pub struct PlatformIssuer {
    pub issuer: String,
    pub jwks_uri: Option<String>,
    pub audiences: Vec<String>,
}

impl CoreConfig {
    pub fn new(public_url: impl Into<String>) -> Self {
        Self {
            public_url: public_url.into(),
            platform_issuer: None,
            cache_ttl: Duration::from_secs(30),
            budget_defaults: crate::settings::BudgetDefaults::default(),
            alert_retry_base: Duration::from_secs(1),
            orphan_age: Duration::from_secs(15 * 60),
        }
    }
}

type Cached<T> = (Option<Arc<T>>, Instant);

/// Re-reads provider keys from their sources (files, environment): set by the binary.
pub type KeyLoader = Arc<
    dyn Fn() -> std::result::Result<
            std::collections::HashMap<stoa_llm::ProviderKind, secrecy::SecretString>,
            String,
        > + Send
        + Sync,
>;

pub struct Core {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: CoreConfig,
    pub(crate) hasher: KeyHasher,
    pseudonyms: crate::secrets::Keyed,
    pub(crate) counters: Arc<dyn crate::budget::Counters>,
    pub(crate) usage: crate::usage::UsageWriter,
    pub(crate) llm: crate::llm::LlmSettings,
    pub(crate) ledger: crate::audit::Ledger,
    key_loader: Option<KeyLoader>,
    pub(crate) master: MasterKey,
    pub(crate) data_keys: Cache<TenantId, Arc<MasterKey>>,
    pub(crate) chat: crate::chat::agent::ChatRuntime,
    pub(crate) alerts: crate::alerts::Alerts,
    broadcast: Option<Arc<dyn crate::cache::Broadcast>>,
    pub(crate) registry_policy: crate::registry::RegistryPolicy,
    /// Pooled client for tenant API upstreams.
    pub(crate) upstream: reqwest::Client,
    pub(crate) prices: Arc<stoa_llm::price::PriceTable>,
    tenants: Cache<TenantId, Cached<Tenant>>,
    api_keys: Cache<[u8; 32], Cached<ApiKey>>,
    pub(crate) jwt: crate::authn::JwtAuth,
}

/// Fields a caller supplies to create a tenant.
#[derive(Debug)]
pub struct NewTenant {
    pub id: TenantId,
    pub name: String,
    pub description: Option<String>,
    pub settings: Option<Map<String, Value>>,
}

/// A partial update of a tenant. `settings` is merged (JSON merge patch).
#[derive(Debug, Default)]
pub struct TenantPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<TenantStatus>,
    pub settings: Option<Map<String, Value>>,
}

#[derive(Debug)]
pub struct NewApiKey {
    pub name: String,
    pub role: Role,
    pub expires_at: Option<i64>,
    pub purposes: Vec<String>,
    pub daily_token_budget: Option<u64>,
}

impl Core {
    pub fn new(
        store: Arc<dyn Store>,
        master: &MasterKey,
        issuer: stoa_auth::BuiltinIssuer,
        verifier: stoa_auth::Verifier,
        ledger: crate::audit::Ledger,
        config: CoreConfig,
    ) -> Self {
        let hasher = KeyHasher::new(&master.derive("api-key-hash"));
        let pseudonyms = crate::secrets::Keyed::new(&master.derive("pseudonym"));
        let usage = crate::usage::UsageWriter::spawn(store.clone());
        let jwt = crate::authn::JwtAuth::new(issuer, verifier, &config);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let mut alerts = crate::alerts::Alerts::new(store.clone(), ledger.clone(), http);
        alerts.base_delay = config.alert_retry_base;
        Self {
            store,
            hasher,
            pseudonyms,
            counters: Arc::new(crate::budget::LocalCounters::new()),
            usage,
            llm: crate::llm::LlmSettings::unconfigured(),
            ledger,
            key_loader: None,
            master: master.clone(),
            data_keys: Cache::new(10_000),
            chat: crate::chat::agent::ChatRuntime::default(),
            alerts,
            broadcast: None,
            registry_policy: crate::registry::RegistryPolicy::default(),
            upstream: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            prices: Arc::new(stoa_llm::price::PriceTable::default()),
            tenants: Cache::new(100_000),
            api_keys: Cache::new(200_000),
            jwt,
            config,
        }
    }

    /// Readiness of the budget counters (Redis in cluster mode).
    pub async fn counters_ready(&self) -> Result<&'static str, String> {
        self.counters.ping().await
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    /// How `reload_keys` re-reads provider keys.
    pub fn with_key_loader(mut self, loader: KeyLoader) -> Self {
        self.key_loader = Some(loader);
        self
    }

    /// Re-reads provider keys (SIGHUP, `POST /v1/admin/keys/reload`). In-flight calls keep the
    /// key they started with; each changed key writes a rotation marker to the ledger (provider
    /// and generation, no part of the key). `p` is `None` for the signal.
    pub async fn reload_keys(&self, p: Option<&Principal>) -> Result<Vec<crate::keys::KeyStatus>> {
        if let Some(p) = p
            && let Err(e) = self.authorize(p, Action::KeysManage, None, "keys").await
        {
            self.audit_refusal(Some(p), None, Action::KeysManage.as_str(), &e).await;
            return Err(e);
        }
        let loader =
            self.key_loader.as_ref().ok_or_else(|| Error::internal("no key loader configured"))?;
        let keys = loader().map_err(|e| {
            tracing::error!(error = %e, "provider key reload failed; keeping the current keys");
            Error::Invalid { code: "key_reload_failed", message: e.into() }
        })?;
        for (provider, generation) in self.llm.keys.replace(keys) {
            let mut e = self.event(p, None, "key.rotation", "ok");
            e.provider = Some(provider.as_str().to_owned());
            e.detail =
                Some(serde_json::json!({"generation": generation, "removed": generation == 0}));
            self.ledger.record(e).await;
            tracing::info!(provider = provider.as_str(), generation, "provider key rotated");
        }
        Ok(self.llm.keys.status())
    }

    /// `GET /v1/admin/keys`: per provider, configured, generation, loaded-at, last success and
    /// last error class — no key material.
    pub async fn key_status(&self, p: &Principal) -> Result<Vec<crate::keys::KeyStatus>> {
        if let Err(e) = self.authorize(p, Action::KeysManage, None, "keys").await {
            self.audit_refusal(Some(p), None, Action::KeysManage.as_str(), &e).await;
            return Err(e);
        }
        Ok(self.llm.keys.status())
    }

    /// Chat agent settings (kill switch, model, context size, retention).
    pub fn with_chat(mut self, policy: crate::chat::agent::ChatPolicy) -> Self {
        self.chat.policy = policy;
        self
    }

    /// Installs the providers and limits of the LLM pipeline.
    pub fn with_llm(mut self, llm: crate::llm::LlmSettings) -> Self {
        self.prices = Arc::new(llm.prices.clone());
        self.llm = llm;
        self
    }

    /// The provider key ring (rotation replaces its contents).
    pub fn keys(&self) -> &Arc<crate::keys::KeyRing> {
        &self.llm.keys
    }

    /// Replaces the budget and rate-limit counters (cluster mode shares them in Redis).
    pub fn with_counters(mut self, counters: Arc<dyn crate::budget::Counters>) -> Self {
        self.counters = counters;
        self
    }

    /// A stable pseudonym for a subject: a keyed hash, so usage and audit never hold the
    /// identity itself and cannot be reversed without the master key.
    pub fn pseudonym(&self, subject: &str) -> String {
        let h = self.pseudonyms.hash(subject.as_bytes());
        h[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Waits until queued usage records are stored.
    pub async fn flush(&self) {
        self.usage.flush().await;
    }

    /// Drains background writers; call once on shutdown.
    pub async fn shutdown(&self) {
        self.usage.shutdown().await;
        self.ledger.flush().await;
    }

    /// Usage of one tenant in `[from_ms, to_ms)`, grouped (F-55).
    pub(crate) async fn usage_report_unaudited(
        &self,
        p: &Principal,
        tenant: &TenantId,
        from_ms: i64,
        to_ms: i64,
        group_by: crate::usage::GroupBy,
    ) -> Result<Vec<crate::usage::UsageGroup>> {
        self.authorize(p, Action::UsageRead, Some(tenant), "tenant").await?;
        if to_ms <= from_ms {
            return Err(Error::invalid("invalid_range", "`to` must be after `from`"));
        }
        self.usage.flush().await;
        Ok(self.store.usage_report(tenant, from_ms, to_ms, group_by).await?)
    }

    // ---- authorization ---------------------------------------------------------------------

    /// The tenant, from cache when fresh.
    pub async fn tenant(&self, id: &TenantId) -> Result<Option<Arc<Tenant>>> {
        if let Some((t, at)) = self.tenants.get(id)
            && at.elapsed() < self.config.cache_ttl
        {
            return Ok(t);
        }
        let t = self.store.get_tenant(id).await?.map(Arc::new);
        self.tenants.insert(id.clone(), (t.clone(), Instant::now()));
        Ok(t)
    }

    fn forget_tenant(&self, id: &TenantId) {
        self.tenants.remove(id);
        self.jwt.forget_issuers();
        self.publish(crate::cache::CacheEvent::Tenant(id.to_string()));
    }

    fn publish(&self, event: crate::cache::CacheEvent) {
        if let Some(b) = &self.broadcast {
            b.publish(event);
        }
    }

    /// Environment mode and upstream rules of the API registry.
    pub fn with_registry_policy(mut self, policy: crate::registry::RegistryPolicy) -> Self {
        self.registry_policy = policy;
        self
    }

    /// Shares cache invalidations with other replicas (cluster mode).
    pub fn with_broadcast(mut self, broadcast: Arc<dyn crate::cache::Broadcast>) -> Self {
        self.broadcast = Some(broadcast);
        self
    }

    /// Applies an invalidation another replica published: forget, locally only.
    pub fn apply_cache_event(&self, event: &crate::cache::CacheEvent) {
        use crate::cache::CacheEvent;
        match event {
            CacheEvent::Tenant(t) => {
                if let Ok(id) = TenantId::parse(t) {
                    self.tenants.remove(&id);
                }
                self.jwt.forget_issuers();
            }
            CacheEvent::ApiKey(hex_hash) => {
                let mut hash = [0u8; 32];
                if hex::decode_to_slice(hex_hash, &mut hash).is_ok() {
                    self.api_keys.remove(&hash);
                }
            }
            CacheEvent::All => {
                self.tenants.clear();
                self.api_keys.clear();
                self.jwt.forget_issuers();
            }
        }
    }

    /// Decides whether `p` may perform `action` on `target` (a tenant, or the platform when
    /// `None`), and returns the tenant acted on. `what` names the resource for a 404.
    ///
    /// Order matters: another tenant's resource answers 404 before the role is even looked at,
    /// so a tenant role learns nothing about ids outside its tenant.
    pub async fn authorize(
        &self,
        p: &Principal,
        action: Action,
        target: Option<&TenantId>,
        what: &'static str,
    ) -> Result<Option<Arc<Tenant>>> {
        if !rbac::scopes_allow(&p.scopes, action) {
            return Err(Error::Forbidden {
                code: "insufficient_scope",
                message: "the token's scope does not allow this action".into(),
            });
        }
        match &p.tenant {
            None => {
                if !p.is_platform() || !rbac::allowed(p.role, action) {
                    return Err(Error::forbidden("this role may not perform this action"));
                }
                let Some(id) = target else { return Ok(None) };
                let tenant = self.tenant(id).await?.ok_or(Error::NotFound { what })?;
                if action.kind() == Kind::Invoke {
                    status_gate(&tenant, Kind::Invoke)?;
                }
                Ok(Some(tenant))
            }
            Some(own) => {
                let tenant = self.tenant(own).await?.ok_or_else(|| {
                    Error::unauthenticated("the caller's tenant no longer exists")
                })?;
                if tenant.status == TenantStatus::Archived {
                    return Err(archived());
                }
                if target.is_some_and(|t| t != own) {
                    return Err(Error::NotFound { what });
                }
                if !rbac::allowed(p.role, action) {
                    return Err(Error::forbidden("this role may not perform this action"));
                }
                status_gate(&tenant, action.kind())?;
                Ok(Some(tenant))
            }
        }
    }

    /// The tenant a tenant-scoped request acts on: the caller's own, or for a platform caller
    /// the one it names (`X-Stoa-Tenant` or a `tenant_id` field).
    pub fn scope_of(&self, p: &Principal, named: Option<TenantId>) -> Result<TenantId> {
        match (&p.tenant, named) {
            (Some(own), None) => Ok(own.clone()),
            (Some(own), Some(n)) if &n == own => Ok(n),
            (Some(_), Some(_)) => Err(Error::NotFound { what: "tenant" }),
            (None, Some(n)) => Ok(n),
            (None, None) => Err(Error::invalid(
                "tenant_required",
                "name the tenant with the X-Stoa-Tenant header or tenant_id",
            )),
        }
    }

    // ---- tenants ---------------------------------------------------------------------------

    pub(crate) async fn create_tenant_unaudited(
        &self,
        p: &Principal,
        new: NewTenant,
    ) -> Result<Tenant> {
        self.authorize(p, Action::TenantCreate, None, "tenant").await?;
        let name = check_name(&new.name, "name")?;
        let settings = new.settings.unwrap_or_default();
        tenant::validate_settings(&settings)?;
        let now = now_ms();
        let t = Tenant {
            id: new.id,
            name,
            description: new.description.unwrap_or_default(),
            status: TenantStatus::Active,
            settings,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_tenant(&t).await.map_err(|e| match e {
            crate::error::StoreError::Conflict => Error::Conflict {
                code: "tenant_exists",
                message: "a tenant with this id already exists".into(),
            },
            other => other.into(),
        })?;
        self.forget_tenant(&t.id);
        self.jwt.forget_issuers();
        tracing::info!(tenant = %t.id, "tenant created");
        Ok(t)
    }

    pub(crate) async fn list_tenants_unaudited(&self, p: &Principal) -> Result<Vec<Tenant>> {
        match self.authorize(p, Action::TenantList, None, "tenant").await? {
            Some(own) if p.tenant.is_some() => Ok(vec![(*own).clone()]),
            _ => Ok(self.store.list_tenants().await?),
        }
    }

    pub(crate) async fn get_tenant_unaudited(
        &self,
        p: &Principal,
        id: &TenantId,
    ) -> Result<Tenant> {
        let t = self.authorize(p, Action::TenantRead, Some(id), "tenant").await?;
        let t = t.ok_or(Error::NotFound { what: "tenant" })?;
        Ok((*t).clone())
    }

    pub(crate) async fn patch_tenant_unaudited(
        &self,
        p: &Principal,
        id: &TenantId,
        patch: TenantPatch,
    ) -> Result<Tenant> {
        let platform_fields =
            patch.name.is_some() || patch.description.is_some() || patch.status.is_some();
        let action =
            if platform_fields { Action::TenantUpdate } else { Action::TenantUpdateSettings };
        self.authorize(p, action, Some(id), "tenant").await?;
        // Read through to the store: a patch must merge into the latest settings, not a cached copy.
        let mut t = self.store.get_tenant(id).await?.ok_or(Error::NotFound { what: "tenant" })?;
        if let Some(name) = patch.name {
            t.name = check_name(&name, "name")?;
        }
        if let Some(d) = patch.description {
            t.description = d;
        }
        if let Some(s) = patch.status {
            t.status = s;
        }
        if let Some(s) = patch.settings {
            tenant::merge_settings(&mut t.settings, &s);
            tenant::validate_settings(&t.settings)?;
        }
        t.updated_at = now_ms();
        if !self.store.update_tenant(&t).await? {
            return Err(Error::NotFound { what: "tenant" });
        }
        self.forget_tenant(id);
        self.jwt.forget_issuers();
        tracing::info!(tenant = %id, status = t.status.as_str(), "tenant updated");
        Ok(t)
    }

    /// Merges `patch` into the tenant's settings (read through to the store so concurrent
    /// caches never lose a write), validates, stores, and invalidates caches.
    pub(crate) async fn merge_tenant_settings(
        &self,
        id: &TenantId,
        patch: &Map<String, Value>,
    ) -> Result<Tenant> {
        let mut t = self.store.get_tenant(id).await?.ok_or(Error::NotFound { what: "tenant" })?;
        tenant::merge_settings(&mut t.settings, patch);
        tenant::validate_settings(&t.settings)?;
        t.updated_at = now_ms();
        if !self.store.update_tenant(&t).await? {
            return Err(Error::NotFound { what: "tenant" });
        }
        self.forget_tenant(id);
        self.jwt.forget_issuers();
        Ok(t)
    }

    pub(crate) async fn delete_tenant_unaudited(&self, p: &Principal, id: &TenantId) -> Result<()> {
        self.authorize(p, Action::TenantDelete, Some(id), "tenant").await?;
        if !self.store.delete_tenant(id).await? {
            return Err(Error::NotFound { what: "tenant" });
        }
        self.forget_tenant(id);
        self.jwt.forget_issuers();
        // The tenant's keys are gone from the store; drop every cached key rather than track
        // which hashes belonged to it (deletion is rare).
        self.api_keys.clear();
        self.data_keys.remove(id);
        self.publish(crate::cache::CacheEvent::All);
        tracing::info!(tenant = %id, "tenant deleted");
        Ok(())
    }

    // ---- API keys --------------------------------------------------------------------------

    pub(crate) async fn create_api_key_unaudited(
        &self,
        p: &Principal,
        tenant: TenantId,
        new: NewApiKey,
    ) -> Result<(ApiKey, PlainKey)> {
        self.authorize(p, Action::ApiKeyCreate, Some(&tenant), "tenant").await?;
        if new.role.is_platform() {
            return Err(Error::invalid(
                "invalid_role",
                "API keys carry a tenant role, not cpi-admin",
            ));
        }
        if !p.is_platform() && new.role > p.role {
            return Err(Error::forbidden("a key cannot carry a role above its creator's"));
        }
        let name = check_name(&new.name, "name")?;
        let now = now_ms();
        if new.expires_at.is_some_and(|e| e <= now) {
            return Err(Error::invalid("invalid_expiry", "expires_at must be in the future"));
        }
        for purpose in &new.purposes {
            let ok = !purpose.is_empty()
                && purpose.len() <= 64
                && purpose
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
            if !ok {
                return Err(Error::invalid(
                    "invalid_purpose",
                    "purposes are lowercase slugs of at most 64 characters",
                ));
            }
        }
        let (plain, hash, hint) = self.hasher.generate()?;
        let key = ApiKey {
            id: ApiKeyId::generate(),
            tenant: tenant.clone(),
            name,
            role: new.role,
            hash,
            hint,
            purposes: new.purposes,
            daily_token_budget: new.daily_token_budget,
            expires_at: new.expires_at,
            revoked_at: None,
            created_at: now,
            created_by: p.subject.0.clone(),
        };
        self.store.insert_api_key(&tenant, &key).await?;
        tracing::info!(tenant = %tenant, key_id = %key.id, role = %key.role, "api key created");
        Ok((key, plain))
    }

    pub(crate) async fn list_api_keys_unaudited(
        &self,
        p: &Principal,
        tenant: &TenantId,
    ) -> Result<Vec<ApiKey>> {
        self.authorize(p, Action::ApiKeyList, Some(tenant), "tenant").await?;
        Ok(self.store.list_api_keys(tenant).await?)
    }

    pub(crate) async fn revoke_api_key_unaudited(
        &self,
        p: &Principal,
        tenant: &TenantId,
        id: &ApiKeyId,
    ) -> Result<()> {
        self.authorize(p, Action::ApiKeyRevoke, Some(tenant), "api key").await?;
        let key =
            self.store.get_api_key(tenant, id).await?.ok_or(Error::NotFound { what: "api key" })?;
        if !self.store.revoke_api_key(tenant, id, now_ms()).await? {
            return Err(Error::NotFound { what: "api key" });
        }
        self.api_keys.remove(&key.hash);
        self.publish(crate::cache::CacheEvent::ApiKey(hex::encode(key.hash)));
        tracing::info!(tenant = %tenant, key_id = %id, "api key revoked");
        Ok(())
    }

    /// Authenticates a presented `stoa_sk_…` key. Served from memory when cached.
    pub async fn authenticate_api_key(&self, presented: &str) -> Result<Principal> {
        let invalid = || Error::Unauthenticated {
            code: "invalid_api_key",
            message: "the API key is invalid, expired or revoked".into(),
        };
        let hash = self.hasher.hash_presented(presented).ok_or_else(invalid)?;
        let key = match self.api_keys.get(&hash) {
            Some((k, at)) if at.elapsed() < self.config.cache_ttl => k,
            _ => {
                let k = match self.store.api_key_tenant_by_hash(&hash).await? {
                    Some((tenant, id)) => self.store.get_api_key(&tenant, &id).await?.map(Arc::new),
                    None => None,
                };
                self.api_keys.insert(hash, (k.clone(), Instant::now()));
                k
            }
        };
        let key = key.ok_or_else(invalid)?;
        if !KeyHasher::matches(&key.hash, &hash) || !key.is_usable_at(now_ms()) {
            return Err(invalid());
        }
        Ok(Principal {
            subject: Subject(format!("apikey:{}", key.id)),
            role: key.role,
            tenant: Some(key.tenant.clone()),
            credential: Credential::ApiKey {
                id: key.id.clone(),
                purposes: key.purposes.clone(),
                daily_token_budget: key.daily_token_budget,
            },
            scopes: Vec::new(),
        })
    }

    /// Authenticates a bearer credential: an API key or a JWT.
    pub(crate) async fn authenticate_unaudited(&self, bearer: &str) -> Result<Principal> {
        if crate::apikey::looks_like_api_key(bearer) {
            self.authenticate_api_key(bearer).await
        } else {
            self.jwt.authenticate(self, bearer).await
        }
    }
}

fn archived() -> Error {
    Error::Forbidden { code: "tenant_archived", message: "the tenant is archived".into() }
}

/// F-11: suspended tenants are read-only; archived ones have no access; data-plane calls need
/// an active tenant.
fn status_gate(t: &Tenant, kind: Kind) -> Result<()> {
    match (t.status, kind) {
        (TenantStatus::Active, _) | (TenantStatus::Suspended, Kind::Read) => Ok(()),
        (TenantStatus::Suspended, _) => Err(Error::Forbidden {
            code: "tenant_suspended",
            message: "the tenant is suspended: read-only".into(),
        }),
        (TenantStatus::Archived, _) => Err(archived()),
    }
}

fn check_name(name: &str, field: &'static str) -> Result<String> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 || trimmed.chars().any(char::is_control)
    {
        return Err(Error::invalid(
            "invalid_field",
            format!("{field} must be 1 to 200 printable characters"),
        ));
    }
    Ok(trimmed.to_owned())
}
