//! Row → domain conversions. A row that does not decode is a storage error, never a panic.

use sqlx::Row;
use sqlx::any::AnyRow;
use stoa_core::apikey::ApiKey;
use stoa_core::audit::{AuditEvent, LedgerEntry};
use stoa_core::chat::{Conversation, StoredMessage};
use stoa_core::error::StoreError;
use stoa_core::{ApiKeyId, Role, Tenant, TenantId, TenantStatus};

fn bad(what: &str) -> StoreError {
    StoreError::Other(format!("undecodable row: {what}"))
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>>(
    row: &'r AnyRow,
    i: usize,
) -> Result<T, StoreError> {
    row.try_get(i).map_err(|e| StoreError::Other(e.to_string()))
}

pub(crate) fn tenant(row: &AnyRow) -> Result<Tenant, StoreError> {
    let id: String = get(row, 0)?;
    let status: String = get(row, 3)?;
    let settings: String = get(row, 4)?;
    let serde_json::Value::Object(settings) =
        serde_json::from_str(&settings).map_err(|_| bad("tenant settings"))?
    else {
        return Err(bad("tenant settings"));
    };
    Ok(Tenant {
        id: TenantId::parse(&id).map_err(|_| bad("tenant id"))?,
        name: get(row, 1)?,
        description: get(row, 2)?,
        status: TenantStatus::parse(&status).ok_or_else(|| bad("tenant status"))?,
        settings,
        created_at: get(row, 5)?,
        updated_at: get(row, 6)?,
    })
}

pub(crate) fn api_key(row: &AnyRow) -> Result<ApiKey, StoreError> {
    let tenant: String = get(row, 1)?;
    let role: String = get(row, 3)?;
    let hash: Vec<u8> = get(row, 4)?;
    let purposes: String = get(row, 6)?;
    let budget: Option<i64> = get(row, 7)?;
    Ok(ApiKey {
        id: ApiKeyId::from_trusted(get(row, 0)?),
        tenant: TenantId::parse(&tenant).map_err(|_| bad("api key tenant"))?,
        name: get(row, 2)?,
        role: Role::parse(&role).ok_or_else(|| bad("api key role"))?,
        hash: hash.as_slice().try_into().map_err(|_| bad("api key hash"))?,
        hint: get(row, 5)?,
        purposes: serde_json::from_str(&purposes).map_err(|_| bad("api key purposes"))?,
        daily_token_budget: budget.map(|b| b.max(0) as u64),
        expires_at: get(row, 8)?,
        revoked_at: get(row, 9)?,
        created_at: get(row, 10)?,
        created_by: get(row, 11)?,
    })
}

pub(crate) fn ledger_entry(row: &AnyRow) -> Result<LedgerEntry, StoreError> {
    let n = |i: usize| -> Result<u64, StoreError> { Ok(get::<i64>(row, i)?.max(0) as u64) };
    let hash = |i: usize| -> Result<[u8; 32], StoreError> {
        let v: Vec<u8> = get(row, i)?;
        v.as_slice().try_into().map_err(|_| bad("ledger hash"))
    };
    let detail: Option<String> = get(row, 17)?;
    Ok(LedgerEntry {
        seq: get(row, 0)?,
        event: AuditEvent {
            at_ms: get(row, 1)?,
            tenant: get(row, 2)?,
            user_ref: get(row, 3)?,
            action: get(row, 4)?,
            status: get(row, 5)?,
            code: get(row, 6)?,
            provider: get(row, 7)?,
            model: get(row, 8)?,
            purpose: get(row, 9)?,
            input_tokens: n(10)?,
            output_tokens: n(11)?,
            cost_micros: n(12)?,
            latency_ms: n(13)?,
            fallback: get::<i64>(row, 14)? != 0,
            trace_id: get(row, 15)?,
            refers_to: get(row, 16)?,
            // A detail that no longer parses is kept as a string, so verify reports the edit
            // (its hash will not match) instead of failing to read the row.
            detail: detail
                .map(|d| serde_json::from_str(&d).unwrap_or(serde_json::Value::String(d))),
        },
        prev_hash: hash(18)?,
        hash: hash(19)?,
    })
}

pub(crate) fn conversation(row: &AnyRow) -> Result<Conversation, StoreError> {
    Ok(Conversation {
        id: get(row, 0)?,
        tenant: get(row, 1)?,
        user_ref: get(row, 2)?,
        title_sealed: get(row, 3)?,
        created_at: get(row, 4)?,
        updated_at: get(row, 5)?,
    })
}

pub(crate) fn message(row: &AnyRow) -> Result<StoredMessage, StoreError> {
    Ok(StoredMessage {
        id: get(row, 0)?,
        conversation_id: get(row, 1)?,
        tenant: get(row, 2)?,
        role: get(row, 3)?,
        content_sealed: get(row, 4)?,
        source: get(row, 5)?,
        status: get(row, 6)?,
        input_tokens: get::<i64>(row, 7)?.max(0) as u64,
        output_tokens: get::<i64>(row, 8)?.max(0) as u64,
        created_at: get(row, 9)?,
    })
}

pub(crate) fn api(row: &AnyRow) -> Result<stoa_core::registry::StoredApi, StoreError> {
    let doc: String = get(row, 3)?;
    Ok(stoa_core::registry::StoredApi {
        tenant: get(row, 0)?,
        name: get(row, 1)?,
        base_url: get(row, 2)?,
        openapi: serde_json::from_str(&doc).map_err(|_| bad("api document"))?,
        credential_header: get(row, 4)?,
        credential_sealed: get(row, 5)?,
        created_at: get(row, 6)?,
        echo_fallback: get::<i64>(row, 7)? != 0,
    })
}
