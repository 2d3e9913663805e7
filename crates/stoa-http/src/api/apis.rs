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
    /// Demo APIs: answer `/apis/{tenant}/{api}/…` with an echo of the request when the
    /// upstream cannot be reached.
    #[serde(default)]
    echo_when_unreachable: bool,
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
        echo_fallback: body.echo_when_unreachable,
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

/// `/apis/{tenant}/{api}/…` (F-73): the tenant's API through the gateway, with its rate limit
/// and the API's own credential. The caller's token is never forwarded.
pub(crate) async fn passthrough(
    State(state): State<AppState>,
    Caller(p): Caller,
    Path((tenant, api, rest)): Path<(String, String, String)>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let tenant = crate::extract::path_tenant(&tenant)?;
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let req = stoa_core::registry::PassRequest {
        method: method.as_str().to_owned(),
        path: rest,
        query: uri.query().map(str::to_owned),
        content_type: header("content-type"),
        accept: header("accept"),
        body,
    };
    let resp = state.core.passthrough(&p, &tenant, &api, req).await?;
    let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut out = (status, resp.body).into_response();
    if let Some(ct) = resp.content_type.and_then(|c| axum::http::HeaderValue::from_str(&c).ok()) {
        out.headers_mut().insert(axum::http::header::CONTENT_TYPE, ct);
    }
    if resp.echo {
        out.headers_mut().insert("x-stoa-echo", axum::http::HeaderValue::from_static("true"));
    }
    Ok(out)
}
