//! `/v1/api-keys` (F-14): created (shown once), listed, revoked.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use stoa_core::service::NewApiKey;
use stoa_core::{ApiKeyId, Error, Role, TenantId};

use crate::dto::{ApiKeyDto, ApiKeyList, CreateApiKey, CreatedApiKey};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, Caller, NamedTenant};
use crate::state::AppState;

/// Create an API key. The response carries the key once.
#[utoipa::path(post, path = "/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    params(("X-Stoa-Tenant" = Option<String>, Header, description = "tenant, for cpi-admin")),
    request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(header): NamedTenant,
    AppJson(body): AppJson<CreateApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let named = match body.tenant_id.as_deref() {
        Some(t) => Some(TenantId::parse(t)?),
        None => header,
    };
    let tenant = state.core.scope_of(&p, named)?;
    let role = Role::parse(&body.role).ok_or_else(|| {
        Error::invalid("invalid_role", "role must be tenant-admin, devops or viewer")
    })?;
    let expires_at = match body.expires_at.as_deref() {
        None => None,
        Some(s) => Some(stoa_core::clock::parse_rfc3339(s).ok_or_else(|| {
            Error::invalid("invalid_expiry", "expires_at must be an RFC 3339 timestamp")
        })?),
    };
    let new = NewApiKey {
        name: body.name,
        role,
        expires_at,
        purposes: body.purposes.unwrap_or_default(),
        daily_token_budget: body.daily_token_budget,
    };
    let (key, plain) = state.core.create_api_key(&p, tenant, new).await?;
    let out = CreatedApiKey { key: plain.expose().to_owned(), meta: ApiKeyDto::from(&key) };
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(get, path = "/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    params(("X-Stoa-Tenant" = Option<String>, Header, description = "tenant, for cpi-admin")),
    responses((status = 200, body = ApiKeyList), (status = 403, body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
) -> Result<Json<ApiKeyList>, ApiError> {
    let tenant = state.core.scope_of(&p, named)?;
    let keys = state.core.list_api_keys(&p, &tenant).await?;
    Ok(Json(ApiKeyList { data: keys.iter().map(ApiKeyDto::from).collect() }))
}

/// Revoke a key; it answers 401 from then on.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    params(("id" = String, Path, description = "key id"),
           ("X-Stoa-Tenant" = Option<String>, Header, description = "tenant, for cpi-admin")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tenant = state.core.scope_of(&p, named)?;
    let id = ApiKeyId::parse(&id)?;
    state.core.revoke_api_key(&p, &tenant, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
