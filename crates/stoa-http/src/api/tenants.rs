//! `/v1/tenants` (F-10, F-11).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use stoa_core::service::{NewTenant, TenantPatch};
use stoa_core::{TenantId, TenantStatus};

use crate::dto::{CreateTenant, PatchTenant, TenantDto, TenantList};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, Caller, path_tenant};
use crate::state::AppState;

/// Create a tenant (cpi-admin).
#[utoipa::path(post, path = "/v1/tenants", tag = "tenants", security(("bearer" = [])),
    request_body = CreateTenant,
    responses((status = 201, body = TenantDto), (status = 409, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Caller(p): Caller,
    AppJson(body): AppJson<CreateTenant>,
) -> Result<(StatusCode, Json<TenantDto>), ApiError> {
    let new = NewTenant {
        id: TenantId::parse(&body.id)?,
        name: body.name,
        description: body.description,
        settings: body.settings,
    };
    let t = state.core.create_tenant(&p, new).await?;
    Ok((StatusCode::CREATED, Json(TenantDto::from(&t))))
}

/// List tenants: all for cpi-admin, one's own otherwise.
#[utoipa::path(get, path = "/v1/tenants", tag = "tenants", security(("bearer" = [])),
    responses((status = 200, body = TenantList), (status = 401, body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
) -> Result<Json<TenantList>, ApiError> {
    let ts = state.core.list_tenants(&p).await?;
    Ok(Json(TenantList { data: ts.iter().map(TenantDto::from).collect() }))
}

#[utoipa::path(get, path = "/v1/tenants/{id}", tag = "tenants", security(("bearer" = [])),
    params(("id" = String, Path, description = "tenant id")),
    responses((status = 200, body = TenantDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<Json<TenantDto>, ApiError> {
    let t = state.core.get_tenant(&p, &path_tenant(&id)?).await?;
    Ok(Json(TenantDto::from(&t)))
}

/// Update a tenant. `name`, `description`, `status`: cpi-admin; `settings` (merged): also the
/// tenant's own tenant-admin.
#[utoipa::path(patch, path = "/v1/tenants/{id}", tag = "tenants", security(("bearer" = [])),
    params(("id" = String, Path, description = "tenant id")), request_body = PatchTenant,
    responses((status = 200, body = TenantDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn patch(
    State(state): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    AppJson(body): AppJson<PatchTenant>,
) -> Result<Json<TenantDto>, ApiError> {
    let id = path_tenant(&id)?;
    let status = match body.status.as_deref() {
        None => None,
        Some(s) => Some(TenantStatus::parse(s).ok_or_else(|| {
            stoa_core::Error::invalid(
                "invalid_status",
                "status must be active, suspended or archived",
            )
        })?),
    };
    let patch = TenantPatch {
        name: body.name,
        description: body.description,
        status,
        settings: body.settings,
    };
    let t = state.core.patch_tenant(&p, &id, patch).await?;
    Ok(Json(TenantDto::from(&t)))
}

/// Delete a tenant and everything it owns (cpi-admin).
#[utoipa::path(delete, path = "/v1/tenants/{id}", tag = "tenants", security(("bearer" = [])),
    params(("id" = String, Path, description = "tenant id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.core.delete_tenant(&p, &path_tenant(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
