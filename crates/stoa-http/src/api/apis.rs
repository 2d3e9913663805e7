//! `/v1/apis` (F-70): the tenant's API registry. Registering returns the tools its operations
//! became; the upstream credential is write-only.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use stoa_core::clock::to_rfc3339;
use stoa_core::registry::{ApiView, NewApi};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, Caller, NamedTenant};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Credential {
    /// e.g. `authorization` or `x-api-key`.
    header: String,
    value: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterApi {
    /// `^[a-z][a-z0-9-]{0,47}$`, unique in the tenant.
    name: String,
    base_url: String,
    /// The OpenAPI 3.0/3.1 document (JSON).
    #[schema(value_type = Object)]
    openapi: serde_json::Value,
    credential: Option<Credential>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ToolDto {
    /// `{tenant}:{api}:{operation}`.
    id: String,
    /// `{tenant}__{api}__{operation}`: the name MCP clients and models see.
    name: String,
    method: String,
    path: String,
    description: String,
    #[schema(value_type = Object)]
    input_schema: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ApiDto {
    name: String,
    base_url: String,
    has_credential: bool,
    created_at: String,
    tools: Vec<ToolDto>,
    skipped: Vec<String>,
}

impl From<ApiView> for ApiDto {
    fn from(v: ApiView) -> Self {
        Self {
            name: v.name,
            base_url: v.base_url,
            has_credential: v.has_credential,
            created_at: to_rfc3339(v.created_at),
            tools: v
                .tools
                .into_iter()
                .map(|t| ToolDto {
                    id: t.id,
                    name: t.wire_name,
                    method: t.method,
                    path: t.path,
                    description: t.description,
                    input_schema: t.input_schema,
                })
                .collect(),
            skipped: v.skipped,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ApiList {
    data: Vec<ApiDto>,
}

#[utoipa::path(post, path = "/v1/apis", tag = "apis", security(("bearer" = [])), request_body = RegisterApi,
    responses((status = 201, body = ApiDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub(crate) async fn register(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
    AppJson(body): AppJson<RegisterApi>,
) -> Result<(StatusCode, Json<ApiDto>), ApiError> {
    let new = NewApi {
        name: body.name,
        base_url: body.base_url,
        openapi: body.openapi,
        credential: body.credential.map(|c| (c.header, c.value)),
    };
    let v = state.core.register_api(&p, named, new).await?;
    Ok((StatusCode::CREATED, Json(ApiDto::from(v))))
}

#[utoipa::path(get, path = "/v1/apis", tag = "apis", security(("bearer" = [])),
    responses((status = 200, body = ApiList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
) -> Result<Json<ApiList>, ApiError> {
    let apis = state.core.list_apis(&p, named).await?;
    Ok(Json(ApiList { data: apis.into_iter().map(ApiDto::from).collect() }))
}

#[utoipa::path(get, path = "/v1/apis/{name}", tag = "apis", security(("bearer" = [])),
    params(("name" = String, Path, description = "API name")),
    responses((status = 200, body = ApiDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
    Path(name): Path<String>,
) -> Result<Json<ApiDto>, ApiError> {
    Ok(Json(ApiDto::from(state.core.get_api(&p, named, &name).await?)))
}

#[utoipa::path(delete, path = "/v1/apis/{name}", tag = "apis", security(("bearer" = [])),
    params(("name" = String, Path, description = "API name")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.core.delete_api(&p, named, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
