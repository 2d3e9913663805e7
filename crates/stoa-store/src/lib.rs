//! Storage: `stoa-core`'s [`Store`] port on SQLite (embedded default) and PostgreSQL.
//!
//! One implementation serves both backends through sqlx's `Any` driver with runtime-checked
//! queries (`$n` placeholders work on both); the schemas differ only where the databases do
//! (BLOB/BYTEA, row-level security). Every tenant-owned query filters by the tenant argument;
//! on PostgreSQL it also runs in a transaction with `stoa.tenant_id` set, which the RLS policies
//! check. Both backends run the same test suite (`tests/store.rs`). On SQLite the ledger (and
//! a finished call's usage record) is written through a connection of its own, in place when
//! it is free (`ledger_file`).

mod ledger_file;
mod migrations;
mod rows;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, Row};
use stoa_core::apikey::ApiKey;
use stoa_core::audit::{AuditEvent, AuditFilter, LedgerEntry};
use stoa_core::chat::{Conversation, StoredMessage};
use stoa_core::clock::now_ms;
use stoa_core::error::StoreError;
use stoa_core::ports::{Store, StoreResult};
use stoa_core::usage::{GroupBy, UsageGroup, UsageRecord};
use stoa_core::{ApiKeyId, Tenant, TenantId};

pub use migrations::MIGRATIONS;

use ledger_file::LedgerFile;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A ledger head: its `seq` and hash.
type LedgerHead = (i64, [u8; 32]);

/// The SQL store. Cheap to clone (a pool handle).
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// SQLite: the ledger's own connection (see `ledger_file`); `None` on PostgreSQL.
    ledger: Option<Arc<LedgerFile>>,
    /// SQLite: the database file.
    path: Option<PathBuf>,
}

fn other(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::Database(ref d) if d.is_unique_violation() => StoreError::Conflict,
        e => StoreError::Other(e.to_string()),
    }
}

impl SqlStore {
    /// Opens (creating if needed) the SQLite database file at `path`, in WAL mode.
    pub async fn open_sqlite(path: &Path) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            // A local file: a health query before every acquire costs more than it finds.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                         PRAGMA journal_size_limit = 67108864;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let ledger = LedgerFile::open(path).map_err(|e| sqlx::Error::Configuration(e.into()))?;
        Ok(Self {
            pool,
            backend: Backend::Sqlite,
            ledger: Some(Arc::new(ledger)),
            path: Some(path.to_owned()),
        })
    }

    /// Connects to PostgreSQL (`postgres://…`).
    pub async fn open_postgres(url: &str) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        Ok(Self { pool, backend: Backend::Postgres, ledger: None, path: None })
    }

    /// Another handle on the same database that remembers nothing (as a new process would):
    /// the same pool, and on SQLite a new ledger connection.
    pub fn reopened(&self) -> Result<Self, StoreError> {
        let ledger = match &self.path {
            Some(path) => Some(Arc::new(LedgerFile::open(path)?)),
            None => None,
        };
        Ok(Self { pool: self.pool.clone(), backend: self.backend, ledger, path: self.path.clone() })
    }

    /// The pool, for maintenance tools and tests that must reach under the port (e.g. to
    /// tamper with the ledger and prove that verification notices).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend_kind(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations. Safe to call on every start and from several replicas.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        migrations::migrator(self.backend).run(&self.pool).await
    }

    pub async fn close(&self) {
        if let Some(ledger) = &self.ledger {
            ledger.close();
        }
        self.pool.close().await;
    }

    /// SQLite: an in-place ledger commit (see `ledger_file`).
    fn in_place(
        &self,
        event: &AuditEvent,
        usage: Option<(&TenantId, &UsageRecord)>,
    ) -> Option<LedgerEntry> {
        let (entry, checkpoint) = self.ledger.as_ref()?.try_append(event, usage)?;
        if checkpoint && let Ok(rt) = tokio::runtime::Handle::try_current() {
            let store = self.clone();
            rt.spawn(async move { store.checkpoint().await });
        }
        Some(entry)
    }

    /// SQLite: a WAL checkpoint on one of the pool's connections (the ledger's own connection
    /// leaves checkpoints to them; see `ledger_file`). First a passive one, which copies pages
    /// back while the ledger keeps committing; but with commits arriving all the time it never
    /// finds the WAL fully copied, so the WAL would never start over and would grow without
    /// bound (seen: 2.6 GB after a benchmark run, and every lookup slower). Then a restart
    /// checkpoint: it holds writers off while it copies the few frames written meanwhile, so
    /// the next commit starts the WAL from its beginning. A failure only leaves the WAL longer
    /// until the next one.
    pub(crate) async fn checkpoint(&self) {
        for sql in ["PRAGMA wal_checkpoint(PASSIVE)", "PRAGMA wal_checkpoint(RESTART)"] {
            if let Err(e) = sqlx::query(sql).execute(&self.pool).await {
                tracing::warn!(error = %e, "WAL checkpoint failed");
                return;
            }
        }
    }

    /// Runs one statement in a transaction scoped to `tenant`; the rows it affected.
    async fn scoped_exec(
        &self,
        tenant: &TenantId,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> StoreResult<u64> {
        self.scoped(tenant, move |c| {
            Box::pin(async move {
                let mut q = sqlx::query(sql);
                for a in args {
                    q = match a {
                        Arg::Text(v) => q.bind(v),
                        Arg::Int(v) => q.bind(v),
                        Arg::Bytes(v) => q.bind(v),
                    };
                }
                Ok(q.execute(&mut *c).await?.rows_affected())
            })
        })
        .await
    }

    /// Runs `f` in a transaction scoped to `tenant` (PostgreSQL: sets `stoa.tenant_id` for RLS).
    async fn scoped<T, F>(&self, tenant: &TenantId, f: F) -> StoreResult<T>
    where
        F: for<'c> FnOnce(
            &'c mut sqlx::AnyConnection,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<T, sqlx::Error>> + Send + 'c>,
        >,
        T: Send,
    {
        let mut tx = self.pool.begin().await.map_err(other)?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT set_config('stoa.tenant_id', $1, true)")
                .bind(tenant.as_str())
                .execute(&mut *tx)
                .await
                .map_err(other)?;
        }
        let out = f(&mut tx).await.map_err(other)?;
        tx.commit().await.map_err(other)?;
        Ok(out)
    }
}

/// A bind argument of [`SqlStore::scoped_exec`].
enum Arg {
    Text(String),
    Int(i64),
    Bytes(Vec<u8>),
}

impl Arg {
    fn text(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}

const API_COLS: &str = "tenant_id, name, base_url, openapi, credential_header, credential_sealed, created_at, echo_fallback";
const CONV_COLS: &str = "id, tenant_id, user_ref, title_sealed, created_at, updated_at";
const MSG_COLS: &str = "id, conversation_id, tenant_id, role, content_sealed, source, status, input_tokens, output_tokens, created_at";
const AUDIT_COLS: &str = "seq, at_ms, tenant_id, user_ref, action, status, code, provider, model, purpose, \
    input_tokens, output_tokens, cost_micros, latency_ms, fallback, trace_id, refers_to, detail, prev_hash, hash";
const AUDIT_NCOLS: usize = 20;
const USAGE_COLS: &str = "tenant_id, at_ms, user_ref, api_key_id, source, provider, model, purpose, \
    input_tokens, output_tokens, cost_micros, status, degraded, unpriced, latency_ms";
const USAGE_NCOLS: usize = 15;

/// Usage rows in one statement: 15 parameters each (PostgreSQL allows 65 535).
const USAGE_ROWS: usize = 2000;

/// `(…),(…)` placeholders for a multi-row INSERT. SQLite gets anonymous `?`: numbered `$n`
/// are named parameters there, and binding them looks each name up (quadratic in the batch).
fn values_clause(rows: usize, cols: usize, backend: Backend) -> String {
    let mut sql = String::with_capacity(rows * cols * 4);
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for j in 1..=cols {
            if j > 1 {
                sql.push(',');
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(i * cols + j).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// One multi-row INSERT of ledger entries (at most 32: 640 bind parameters).
async fn insert_ledger_chunk(
    conn: &mut sqlx::AnyConnection,
    chunk: &[LedgerEntry],
    backend: Backend,
) -> Result<(), sqlx::Error> {
    let mut sql = format!("INSERT INTO audit_log ({AUDIT_COLS}) VALUES ");
    sql.push_str(&values_clause(chunk.len(), AUDIT_NCOLS, backend));
    let mut q = sqlx::query(&sql);
    for e in chunk {
        let v = &e.event;
        q = q
            .bind(e.seq)
            .bind(v.at_ms)
            .bind(v.tenant.clone())
            .bind(v.user_ref.clone())
            .bind(v.action.clone())
            .bind(v.status.clone())
            .bind(v.code.clone())
            .bind(v.provider.clone())
            .bind(v.model.clone())
            .bind(v.purpose.clone())
            .bind(to_i64(v.input_tokens))
            .bind(to_i64(v.output_tokens))
            .bind(to_i64(v.cost_micros))
            .bind(to_i64(v.latency_ms))
            .bind(i64::from(v.fallback))
            .bind(v.trace_id.clone())
            .bind(v.refers_to)
            .bind(v.detail.as_ref().map(ToString::to_string))
            .bind(e.prev_hash.to_vec())
            .bind(e.hash.to_vec());
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

async fn insert_usage_chunk(
    conn: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    chunk: &[UsageRecord],
    backend: Backend,
) -> Result<(), sqlx::Error> {
    let mut sql = format!("INSERT INTO usage_records ({USAGE_COLS}) VALUES ");
    sql.push_str(&values_clause(chunk.len(), USAGE_NCOLS, backend));
    let mut q = sqlx::query(&sql);
    for r in chunk {
        q = q
            .bind(tenant.as_str().to_owned())
            .bind(r.at_ms)
            .bind(r.user_ref.clone())
            .bind(r.api_key_id.clone())
            .bind(r.source.clone())
            .bind(r.provider.clone())
            .bind(r.model.clone())
            .bind(r.purpose.clone())
            .bind(to_i64(r.input_tokens))
            .bind(to_i64(r.output_tokens))
            .bind(to_i64(r.cost_micros))
            .bind(r.status.clone())
            .bind(i64::from(r.degraded))
            .bind(i64::from(r.unpriced))
            .bind(to_i64(r.latency_ms));
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

const TENANT_COLS: &str = "id, name, description, status, settings, created_at, updated_at";
const KEY_COLS: &str = "id, tenant_id, name, role, key_hash, hint, purposes, daily_token_budget, \
                        expires_at, revoked_at, created_at, created_by";

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(other)?;
        Ok(())
    }

    async fn insert_tenant(&self, t: &Tenant) -> StoreResult<()> {
        let settings = serde_json::Value::Object(t.settings.clone()).to_string();
        sqlx::query(
            "INSERT INTO tenants (id, name, description, status, settings, auth_issuer, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(t.id.as_str())
        .bind(&t.name)
        .bind(&t.description)
        .bind(t.status.as_str())
        .bind(settings)
        .bind(t.realm().map(|r| r.issuer))
        .bind(t.created_at)
        .bind(t.updated_at)
        .execute(&self.pool)
        .await
        .map_err(other)?;
        Ok(())
    }

    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>> {
        let row = sqlx::query(&format!("SELECT {TENANT_COLS} FROM tenants WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(other)?;
        row.map(|r| rows::tenant(&r)).transpose()
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        let rows = sqlx::query(&format!("SELECT {TENANT_COLS} FROM tenants ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(other)?;
        rows.iter().map(rows::tenant).collect()
    }

    async fn tenants_with_issuer(&self, issuer: &str) -> StoreResult<Vec<Tenant>> {
        let rows = sqlx::query(&format!(
            "SELECT {TENANT_COLS} FROM tenants WHERE auth_issuer = $1 ORDER BY id"
        ))
        .bind(issuer)
        .fetch_all(&self.pool)
        .await
        .map_err(other)?;
        rows.iter().map(rows::tenant).collect()
    }

    async fn update_tenant(&self, t: &Tenant) -> StoreResult<bool> {
        let settings = serde_json::Value::Object(t.settings.clone()).to_string();
        let done = sqlx::query(
            "UPDATE tenants SET name = $1, description = $2, status = $3, settings = $4, \
             auth_issuer = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(&t.name)
        .bind(&t.description)
        .bind(t.status.as_str())
        .bind(settings)
        .bind(t.realm().map(|r| r.issuer))
        .bind(t.updated_at)
        .bind(t.id.as_str())
        .execute(&self.pool)
        .await
        .map_err(other)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_tenant(&self, id: &TenantId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM tenants WHERE id = $1")
            .bind(id.as_str())
            .execute(&self.pool)
            .await
            .map_err(other)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_api_key(&self, tenant: &TenantId, k: &ApiKey) -> StoreResult<()> {
        if &k.tenant != tenant {
            return Err(StoreError::Other("api key written outside its tenant scope".into()));
        }
        let k = k.clone();
        let t = tenant.as_str().to_owned();
        self.scoped(tenant, move |c| {
            Box::pin(async move {
                let purposes = serde_json::to_string(&k.purposes).unwrap_or_else(|_| "[]".into());
                sqlx::query(&format!(
                    "INSERT INTO api_keys ({KEY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                ))
                .bind(k.id.as_str())
                .bind(&t)
                .bind(&k.name)
                .bind(k.role.as_str())
                .bind(k.hash.to_vec())
                .bind(&k.hint)
                .bind(purposes)
                .bind(k.daily_token_budget.map(|b| i64::try_from(b).unwrap_or(i64::MAX)))
                .bind(k.expires_at)
                .bind(k.revoked_at)
                .bind(k.created_at)
                .bind(&k.created_by)
                .execute(&mut *c)
                .await?;
                sqlx::query("INSERT INTO api_key_index (key_hash, tenant_id, key_id) VALUES ($1, $2, $3)")
                    .bind(k.hash.to_vec())
                    .bind(&t)
                    .bind(k.id.as_str())
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    async fn list_api_keys(&self, tenant: &TenantId) -> StoreResult<Vec<ApiKey>> {
        let t = tenant.as_str().to_owned();
        let rows = self
            .scoped(tenant, move |c| {
                Box::pin(async move {
                    sqlx::query(&format!(
                        "SELECT {KEY_COLS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id"
                    ))
                    .bind(t)
                    .fetch_all(&mut *c)
                    .await
                })
            })
            .await?;
        rows.iter().map(rows::api_key).collect()
    }

    async fn get_api_key(&self, tenant: &TenantId, id: &ApiKeyId) -> StoreResult<Option<ApiKey>> {
        let (t, id) = (tenant.as_str().to_owned(), id.as_str().to_owned());
        let row = self
            .scoped(tenant, move |c| {
                Box::pin(async move {
                    sqlx::query(&format!(
                        "SELECT {KEY_COLS} FROM api_keys WHERE tenant_id = $1 AND id = $2"
                    ))
                    .bind(t)
                    .bind(id)
                    .fetch_optional(&mut *c)
                    .await
                })
            })
            .await?;
        row.map(|r| rows::api_key(&r)).transpose()
    }

    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        at_ms: i64,
    ) -> StoreResult<bool> {
        let sql = "UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL";
        let args = vec![Arg::Int(at_ms), Arg::text(tenant.as_str()), Arg::text(id.as_str())];
        Ok(self.scoped_exec(tenant, sql, args).await? == 1)
    }

    async fn api_key_tenant_by_hash(
        &self,
        hash: &[u8; 32],
    ) -> StoreResult<Option<(TenantId, ApiKeyId)>> {
        let row = sqlx::query("SELECT tenant_id, key_id FROM api_key_index WHERE key_hash = $1")
            .bind(hash.to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(other)?;
        let Some(row) = row else { return Ok(None) };
        let tenant: String = row.try_get(0).map_err(other)?;
        let key: String = row.try_get(1).map_err(other)?;
        let tenant = TenantId::parse(&tenant).map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(Some((tenant, ApiKeyId::from_trusted(key))))
    }

    async fn insert_usage(&self, tenant: &TenantId, records: &[UsageRecord]) -> StoreResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        if self.backend == Backend::Sqlite && records.len() <= USAGE_ROWS {
            // One statement is atomic by itself: no transaction round trips (and no RLS to
            // scope on SQLite).
            let mut conn = self.pool.acquire().await.map_err(other)?;
            return insert_usage_chunk(&mut conn, tenant, records, self.backend)
                .await
                .map_err(other);
        }
        let t = tenant.clone();
        let records = records.to_vec();
        let backend = self.backend;
        self.scoped(tenant, move |c| {
            Box::pin(async move {
                // Multi-row inserts in chunks: one round trip per chunk, not per record.
                for chunk in records.chunks(USAGE_ROWS) {
                    insert_usage_chunk(c, &t, chunk, backend).await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn usage_tokens_since(
        &self,
        tenant: &TenantId,
        api_key: Option<&str>,
        since_ms: i64,
    ) -> StoreResult<u64> {
        let t = tenant.as_str().to_owned();
        let key = api_key.map(str::to_owned);
        let n: i64 = self
            .scoped(tenant, move |c| {
                Box::pin(async move {
                    let row = match key {
                        None => {
                            sqlx::query(
                                "SELECT CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT) \
                                 FROM usage_records WHERE tenant_id = $1 AND at_ms >= $2",
                            )
                            .bind(t)
                            .bind(since_ms)
                            .fetch_one(&mut *c)
                            .await?
                        }
                        Some(k) => {
                            sqlx::query(
                                "SELECT CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT) \
                                 FROM usage_records WHERE tenant_id = $1 AND api_key_id = $2 AND at_ms >= $3",
                            )
                            .bind(t)
                            .bind(k)
                            .bind(since_ms)
                            .fetch_one(&mut *c)
                            .await?
                        }
                    };
                    row.try_get::<i64, _>(0)
                })
            })
            .await?;
        Ok(n.max(0) as u64)
    }

    async fn usage_report(
        &self,
        tenant: &TenantId,
        from_ms: i64,
        to_ms: i64,
        group_by: GroupBy,
    ) -> StoreResult<Vec<UsageGroup>> {
        let key_expr = match (group_by, self.backend) {
            (GroupBy::Source, _) => "source",
            (GroupBy::User, _) => "user_ref",
            (GroupBy::Model, _) => "provider || '/' || model",
            (GroupBy::Provider, _) => "provider",
            (GroupBy::Day, Backend::Sqlite) => "strftime('%Y-%m-%d', at_ms / 1000, 'unixepoch')",
            (GroupBy::Day, Backend::Postgres) => {
                "to_char(to_timestamp(at_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
            }
        };
        let sql = format!(
            "SELECT {key_expr} AS k, CAST(COUNT(*) AS BIGINT), CAST(SUM(input_tokens) AS BIGINT), \
             CAST(SUM(output_tokens) AS BIGINT), CAST(SUM(cost_micros) AS BIGINT) FROM usage_records \
             WHERE tenant_id = $1 AND at_ms >= $2 AND at_ms < $3 GROUP BY k ORDER BY k"
        );
        let t = tenant.as_str().to_owned();
        let rows = self
            .scoped(tenant, move |c| {
                Box::pin(async move {
                    sqlx::query(&sql).bind(t).bind(from_ms).bind(to_ms).fetch_all(&mut *c).await
                })
            })
            .await?;
        rows.iter()
            .map(|r| {
                let n = |i: usize| r.try_get::<i64, _>(i).map(|v| v.max(0) as u64).map_err(other);
                Ok(UsageGroup {
                    key: r.try_get::<String, _>(0).map_err(other)?,
                    requests: n(1)?,
                    input_tokens: n(2)?,
                    output_tokens: n(3)?,
                    cost_micros: n(4)?,
                })
            })
            .collect()
    }

    async fn tenant_data_key(&self, tenant: &TenantId) -> StoreResult<Option<Vec<u8>>> {
        let t = tenant.as_str().to_owned();
        let row = self
            .scoped(tenant, move |c| {
                Box::pin(async move {
                    sqlx::query("SELECT wrapped_key FROM tenant_data_keys WHERE tenant_id = $1")
                        .bind(t)
                        .fetch_optional(&mut *c)
                        .await
                })
            })
            .await?;
        row.map(|r| r.try_get::<Vec<u8>, _>(0).map_err(other)).transpose()
    }

    async fn put_tenant_data_key(&self, tenant: &TenantId, wrapped: &[u8]) -> StoreResult<bool> {
        let sql = "INSERT INTO tenant_data_keys (tenant_id, wrapped_key, created_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (tenant_id) DO NOTHING";
        let args =
            vec![Arg::text(tenant.as_str()), Arg::Bytes(wrapped.to_vec()), Arg::Int(now_ms())];
        Ok(self.scoped_exec(tenant, sql, args).await? == 1)
    }

    async fn insert_conversation(&self, tenant: &TenantId, conv: &Conversation) -> StoreResult<()> {
        if conv.tenant != tenant.as_str() {
            return Err(StoreError::Other("conversation written outside its tenant scope".into()));
        }
        let conv = conv.clone();
        self.scoped(tenant, move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO conversations (id, tenant_id, user_ref, title_sealed, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(conv.id)
                .bind(conv.tenant)
                .bind(conv.user_ref)
                .bind(conv.title_sealed)
                .bind(conv.created_at)
                .bind(conv.updated_at)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn list_conversations(
        &self,
        tenant: &TenantId,
        user_ref: &str,
    ) -> StoreResult<Vec<Conversation>> {
        let (t, u) = (tenant.as_str().to_owned(), user_ref.to_owned());
        let rows = self
            .scoped(tenant, move |c| {
                Box::pin(async move {
                    sqlx::query(&format!(
                        "SELECT {CONV_COLS} FROM conversations WHERE tenant_id = $1 AND user_ref = $2 \
                         ORDER BY updated_at DESC, id DESC"
                    ))
                    .bind(t)
                    .bind(u)
                    .fetch_all(&mut *c)
                    .await
                })
            })
            .await?;
        rows.iter().map(rows::conversation).collect()
    }

    async fn get_conversation(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> StoreResult<Option<Conversation>> {
        let (t, id) = (tenant.as_str().to_owned(), id.to_owned());
        let row = self
            .scoped(tenant, move |c| {
                Box::pin(async move {
                    sqlx::query(&format!(
                        "SELECT {CONV_COLS} FROM conversations WHERE tenant_id = $1 AND id = $2"
                    ))
                    .bind(t)
                    .bind(id)
                    .fetch_optional(&mut *c)
                    .await
                })
            })
            .await?;
        row.map(|r| rows::conversation(&r)).transpose()
    }

    async fn touch_conversation(&self, tenant: &TenantId, id: &str, at_ms: i64) -> StoreResult<()> {
        let sql = "UPDATE conversations SET updated_at = $1 WHERE tenant_id = $2 AND id = $3";
        self.scoped_exec(
            tenant,
            sql,
            vec![Arg::Int(at_ms), Arg::text(tenant.as_str()), Arg::text(id)],
        )
        .await?;
        Ok(())
    }

    async fn delete_conversation(&self, tenant: &TenantId, id: &str) -> StoreResult<bool> {
        let sql = "DELETE FROM conversations WHERE tenant_id = $1 AND id = $2";
        Ok(self.scoped_exec(tenant, sql, vec![Arg::text(tenant.as_str()), Arg::text(id)]).await?
            == 1)
    }

    async fn delete_user_conversations(
        &self,
        tenant: &TenantId,
        user_ref: &str,
    ) -> StoreResult<u64> {
        let sql = "DELETE FROM conversations WHERE tenant_id = $1 AND user_ref = $2";
        self.scoped_exec(tenant, sql, vec![Arg::text(tenant.as_str()), Arg::text(user_ref)]).await
    }

    async fn purge_idle_conversations(
        &self,
        tenant: &TenantId,
        before_ms: i64,
    ) -> StoreResult<u64> {
        let sql = "DELETE FROM conversations WHERE tenant_id = $1 AND updated_at < $2";
        self.scoped_exec(tenant, sql, vec![Arg::text(tenant.as_str()), Arg::Int(before_ms)]).await
    }

    async fn insert_message(&self, tenant: &TenantId, m: &StoredMessage) -> StoreResult<()> {
        if m.tenant != tenant.as_str() {
            return Err(StoreError::Other("message written outside its tenant scope".into()));
        }
        let m = m.clone();
        self.scoped(tenant, move |c| {
            Box::pin(async move {
                sqlx::query(&format!(
                    "INSERT INTO chat_messages ({MSG_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(m.id)
                .bind(m.conversation_id)
                .bind(m.tenant)
                .bind(m.role)
                .bind(m.content_sealed)
                .bind(m.source)
                .bind(m.status)
                .bind(to_i64(m.input_tokens))
                .bind(to_i64(m.output_tokens))
                .bind(m.created_at)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn list_messages(
        &self,
        tenant: &TenantId,
        conversation: &str,
        limit: u32,
    ) -> StoreResult<Vec<StoredMessage>> {
        let (t, conv) = (tenant.as_str().to_owned(), conversation.to_owned());
        let rows = self
            .scoped(tenant, move |c| {
                Box::pin(async move {
                    sqlx::query(&format!(
                        "SELECT {MSG_COLS} FROM (SELECT {MSG_COLS} FROM chat_messages \
                         WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3) \
                         AS recent ORDER BY created_at, id"
                    ))
                    .bind(t)
                    .bind(conv)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *c)
                    .await
                })
            })
            .await?;
        rows.iter().map(rows::message).collect()
    }

    async fn budget_alert_once(
        &self,
        tenant: &TenantId,
        scope: &str,
        period_start: i64,
        threshold: u32,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO budget_alerts (tenant_id, scope, period_start, threshold, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(scope)
        .bind(period_start)
        .bind(i64::from(threshold))
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(other)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_api(
        &self,
        tenant: &TenantId,
        api: &stoa_core::registry::StoredApi,
    ) -> StoreResult<()> {
        let (t, api) = (tenant.as_str().to_owned(), api.clone());
        self.scoped(tenant, move |c| {
            Box::pin(async move {
                sqlx::query(&format!(
                    "INSERT INTO tenant_apis ({API_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                ))
                .bind(t)
                .bind(api.name)
                .bind(api.base_url)
                .bind(api.openapi.to_string())
                .bind(api.credential_header)
                .bind(api.credential_sealed)
                .bind(api.created_at)
                .bind(i64::from(api.echo_fallback))
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn list_apis(
        &self,
        tenant: &TenantId,
    ) -> StoreResult<Vec<stoa_core::registry::StoredApi>> {
        let t = tenant.as_str().to_owned();
        let rows = self
            .scoped(tenant, move |c| {
                Box::pin(async move {
                    sqlx::query(&format!(
                        "SELECT {API_COLS} FROM tenant_apis WHERE tenant_id = $1 ORDER BY name"
                    ))
                    .bind(t)
                    .fetch_all(&mut *c)
                    .await
                })
            })
            .await?;
        rows.iter().map(rows::api).collect()
    }

    async fn get_api(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> StoreResult<Option<stoa_core::registry::StoredApi>> {
        let (t, n) = (tenant.as_str().to_owned(), name.to_owned());
        let row = self
            .scoped(tenant, move |c| {
                Box::pin(async move {
                    sqlx::query(&format!(
                        "SELECT {API_COLS} FROM tenant_apis WHERE tenant_id = $1 AND name = $2"
                    ))
                    .bind(t)
                    .bind(n)
                    .fetch_optional(&mut *c)
                    .await
                })
            })
            .await?;
        row.map(|r| rows::api(&r)).transpose()
    }

    async fn delete_api(&self, tenant: &TenantId, name: &str) -> StoreResult<bool> {
        let sql = "DELETE FROM tenant_apis WHERE tenant_id = $1 AND name = $2";
        Ok(self.scoped_exec(tenant, sql, vec![Arg::text(tenant.as_str()), Arg::text(name)]).await?
            == 1)
    }

    async fn audit_append(&self, events: &[AuditEvent]) -> StoreResult<Vec<LedgerEntry>> {
        if let Some(ledger) = &self.ledger {
            // Blocking SQLite calls, off the async workers.
            let (ledger, events) = (ledger.clone(), events.to_vec());
            let (entries, checkpoint) = tokio::task::spawn_blocking(move || ledger.append(&events))
                .await
                .map_err(|e| StoreError::Other(e.to_string()))??;
            if checkpoint {
                let store = self.clone();
                tokio::spawn(async move { store.checkpoint().await });
            }
            return Ok(entries);
        }
        let mut tx = self.pool.begin().await.map_err(other)?;
        if self.backend == Backend::Postgres {
            // One writer at a time across replicas: the chain stays linear.
            sqlx::query("SELECT pg_advisory_xact_lock(1952539503)")
                .execute(&mut *tx)
                .await
                .map_err(other)?;
        }
        let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await
            .map_err(other)?;
        let head = match head {
            None => (0, stoa_core::audit::GENESIS),
            Some(row) => {
                let seq: i64 = row.try_get(0).map_err(other)?;
                let hash: Vec<u8> = row.try_get(1).map_err(other)?;
                (
                    seq,
                    hash.as_slice()
                        .try_into()
                        .map_err(|_| StoreError::Other("bad ledger hash".into()))?,
                )
            }
        };
        let entries = stoa_core::audit::chain(head, events);
        for chunk in entries.chunks(32) {
            insert_ledger_chunk(&mut tx, chunk, self.backend).await.map_err(other)?;
        }
        tx.commit().await.map_err(other)?;
        Ok(entries)
    }

    fn audit_append_now(&self, event: &AuditEvent) -> Option<LedgerEntry> {
        self.in_place(event, None)
    }

    fn record_call_now(
        &self,
        fin: &AuditEvent,
        tenant: &TenantId,
        usage: &UsageRecord,
    ) -> Option<LedgerEntry> {
        self.in_place(fin, Some((tenant, usage)))
    }

    async fn audit_head(&self) -> StoreResult<Option<(i64, [u8; 32])>> {
        let row = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(other)?;
        let Some(row) = row else { return Ok(None) };
        let seq: i64 = row.try_get(0).map_err(other)?;
        let hash: Vec<u8> = row.try_get(1).map_err(other)?;
        let hash =
            hash.as_slice().try_into().map_err(|_| StoreError::Other("bad ledger hash".into()))?;
        Ok(Some((seq, hash)))
    }

    async fn audit_scan(&self, after: i64, limit: u32) -> StoreResult<Vec<LedgerEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(other)?;
        rows.iter().map(rows::ledger_entry).collect()
    }

    async fn audit_query(&self, f: &AuditFilter) -> StoreResult<Vec<LedgerEntry>> {
        let mut sql = format!("SELECT {AUDIT_COLS} FROM audit_log WHERE 1 = 1");
        let mut n = 0;
        let mut next = |sql: &mut String, clause: &str| {
            n += 1;
            sql.push_str(&clause.replace("?", &format!("${n}")));
        };
        if f.tenant.is_some() {
            next(&mut sql, " AND tenant_id = ?");
        }
        if f.from_ms.is_some() {
            next(&mut sql, " AND at_ms >= ?");
        }
        if f.to_ms.is_some() {
            next(&mut sql, " AND at_ms < ?");
        }
        if f.action.is_some() {
            next(&mut sql, " AND action = ?");
        }
        if f.provider.is_some() {
            next(&mut sql, " AND provider = ?");
        }
        if f.before_seq.is_some() {
            next(&mut sql, " AND seq < ?");
        }
        next(&mut sql, " ORDER BY seq DESC LIMIT ?");
        let mut q = sqlx::query(&sql);
        if let Some(t) = &f.tenant {
            q = q.bind(t.clone());
        }
        if let Some(v) = f.from_ms {
            q = q.bind(v);
        }
        if let Some(v) = f.to_ms {
            q = q.bind(v);
        }
        if let Some(v) = &f.action {
            q = q.bind(v.clone());
        }
        if let Some(v) = &f.provider {
            q = q.bind(v.clone());
        }
        if let Some(v) = f.before_seq {
            q = q.bind(v);
        }
        let rows = q.bind(i64::from(f.limit)).fetch_all(&self.pool).await.map_err(other)?;
        rows.iter().map(rows::ledger_entry).collect()
    }

    async fn audit_unfinalized(&self, after: i64, up_to: i64) -> StoreResult<Vec<LedgerEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLS} FROM audit_log p WHERE p.status = 'pending' AND p.seq > $1 \
             AND p.seq <= $2 AND NOT EXISTS \
             (SELECT 1 FROM audit_log f WHERE f.refers_to = p.seq) ORDER BY p.seq"
        ))
        .bind(after)
        .bind(up_to)
        .fetch_all(&self.pool)
        .await
        .map_err(other)?;
        rows.iter().map(rows::ledger_entry).collect()
    }

    async fn audit_finalized_through(&self) -> StoreResult<i64> {
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM audit_marks WHERE name = 'finalized_through'")
                .fetch_optional(&self.pool)
                .await
                .map_err(other)?;
        Ok(seq.unwrap_or(0))
    }

    async fn set_audit_finalized_through(&self, seq: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_marks (name, seq) VALUES ('finalized_through', $1) \
             ON CONFLICT (name) DO UPDATE SET seq = excluded.seq WHERE audit_marks.seq < excluded.seq",
        )
        .bind(seq)
        .execute(&self.pool)
        .await
        .map_err(other)?;
        Ok(())
    }

    async fn put_secret_if_absent(&self, name: &str, value: &[u8]) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO platform_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value.to_vec())
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(other)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_secret(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT value FROM platform_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(other)?;
        row.map(|r| r.try_get::<Vec<u8>, _>(0).map_err(other)).transpose()
    }

    async fn ensure_role(&self, name: &str, description: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO roles (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(description)
        .execute(&self.pool)
        .await
        .map_err(other)?;
        Ok(done.rows_affected() == 1)
    }

    async fn ensure_platform_identity(&self, subject: &str, role: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO platform_identities (subject, role, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (subject) DO NOTHING",
        )
        .bind(subject)
        .bind(role)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(other)?;
        Ok(done.rows_affected() == 1)
    }
}
