//! Row → domain conversions. A row that does not decode is a storage error, never a panic.

use sqlx::Row;
use sqlx::any::AnyRow;
use stoa_core::apikey::ApiKey;
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
