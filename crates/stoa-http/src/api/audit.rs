//! `GET /v1/audit` (F-82) and provider key custody (F-42): `GET /v1/admin/keys`,
//! `POST /v1/admin/keys/reload`.

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use stoa_core::Error;
use stoa_core::audit::{AuditFilter, LedgerEntry};
use stoa_core::clock::{parse_rfc3339, to_rfc3339};
use stoa_core::keys::KeyStatus;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Caller, NamedTenant};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    /// RFC 3339, inclusive.
    from: Option<String>,
    /// RFC 3339, exclusive.
    to: Option<String>,
    /// e.g. `llm.call`, `api_key.create`, `authenticate`.
    action: Option<String>,
    provider: Option<String>,
    /// Page size (1–1000, default 100).
    limit: Option<u32>,
    /// Cursor: entries with a sequence number below this (from `next_before`).
    before: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuditEntryDto {
    seq: i64,
    at: String,
    tenant_id: Option<String>,
    /// Keyed hash of the caller's subject.
    user: Option<String>,
    action: String,
    /// `pending`, `ok`, `refused`, `error:<class>`, `interrupted`.
    status: String,
    code: Option<String>,
    provider: Option<String>,
    model: Option<String>,
    purpose: Option<String>,
    input_tokens: u64,
    output_tokens: u64,
    cost_usd: f64,
    latency_ms: u64,
    fallback: bool,
    trace_id: Option<String>,
    /// For a final entry: the pending entry it completes.
    refers_to: Option<i64>,
    #[schema(value_type = Option<Object>)]
    detail: Option<serde_json::Value>,
    /// Hex SHA-256 of the entry (chained to the previous one).
    hash: String,
}

impl From<&LedgerEntry> for AuditEntryDto {
    fn from(e: &LedgerEntry) -> Self {
        let v = &e.event;
        Self {
            seq: e.seq,
            at: to_rfc3339(v.at_ms),
            tenant_id: v.tenant.clone(),
            user: v.user_ref.clone(),
            action: v.action.clone(),
            status: v.status.clone(),
            code: v.code.clone(),
            provider: v.provider.clone(),
            model: v.model.clone(),
            purpose: v.purpose.clone(),
            input_tokens: v.input_tokens,
            output_tokens: v.output_tokens,
            cost_usd: v.cost_micros as f64 / 1e6,
            latency_ms: v.latency_ms,
            fallback: v.fallback,
            trace_id: v.trace_id.clone(),
            refers_to: v.refers_to,
            detail: v.detail.clone(),
            hash: e.hash.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuditPage {
    data: Vec<AuditEntryDto>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    next_before: Option<i64>,
}

/// Ledger entries, newest first (cpi-admin: all, or one tenant with `X-Stoa-Tenant`;
/// tenant-admin: its own tenant).
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery, ("X-Stoa-Tenant" = Option<String>, Header, description = "tenant, for cpi-admin")),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditPage>, ApiError> {
    let Query(q) = query?;
    let time = |v: Option<String>| match v {
        None => Ok(None),
        Some(s) => parse_rfc3339(&s)
            .map(Some)
            .ok_or_else(|| Error::invalid("invalid_time", "from/to must be RFC 3339")),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let filter = AuditFilter {
        tenant: None,
        from_ms: time(q.from)?,
        to_ms: time(q.to)?,
        action: q.action,
        provider: q.provider,
        before_seq: q.before,
        limit,
    };
    let entries = state.core.audit_list(&p, named, filter).await?;
    let next_before =
        (entries.len() as u32 == limit).then(|| entries.last().map(|e| e.seq)).flatten();
    Ok(Json(AuditPage { data: entries.iter().map(AuditEntryDto::from).collect(), next_before }))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct KeyStatusDto {
    provider: String,
    configured: bool,
    generation: u64,
    loaded_at: Option<String>,
    last_success: Option<String>,
    last_error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct KeyStatusList {
    data: Vec<KeyStatusDto>,
}

fn keys_dto(status: Vec<KeyStatus>) -> KeyStatusList {
    KeyStatusList {
        data: status
            .into_iter()
            .map(|s| KeyStatusDto {
                provider: s.provider.as_str().to_owned(),
                configured: s.configured,
                generation: s.generation,
                loaded_at: s.configured.then(|| to_rfc3339(s.loaded_at_ms)),
                last_success: s.last_success_ms.map(to_rfc3339),
                last_error: s.last_error.map(str::to_owned),
            })
            .collect(),
    }
}

/// Provider key status (cpi-admin). No key material, not even a prefix.
#[utoipa::path(get, path = "/v1/admin/keys", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = KeyStatusList), (status = 403, body = ErrorBody)))]
pub(crate) async fn keys(
    State(state): State<AppState>,
    Caller(p): Caller,
) -> Result<Json<KeyStatusList>, ApiError> {
    Ok(Json(keys_dto(state.core.key_status(&p).await?)))
}

/// Re-read provider keys from their sources (cpi-admin); in-flight calls keep their key.
#[utoipa::path(post, path = "/v1/admin/keys/reload", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = KeyStatusList), (status = 403, body = ErrorBody)))]
pub(crate) async fn reload(
    State(state): State<AppState>,
    Caller(p): Caller,
) -> Result<Json<KeyStatusList>, ApiError> {
    Ok(Json(keys_dto(state.core.reload_keys(Some(&p)).await?)))
}
