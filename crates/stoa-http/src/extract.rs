//! Extractors: the authenticated caller, the named tenant, and strict JSON bodies.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use stoa_core::{Principal, TenantId};

use crate::error::ApiError;
use crate::state::AppState;

/// Where the metrics middleware learns which tenant a request was for: set once the caller
/// is authenticated (only existing tenants become metric labels).
#[derive(Clone, Default)]
pub(crate) struct TenantSlot(pub(crate) std::sync::Arc<std::sync::OnceLock<String>>);

impl TenantSlot {
    pub(crate) fn note(parts: &Parts, p: &Principal) {
        if let Some(slot) = parts.extensions.get::<TenantSlot>() {
            let label =
                p.tenant.as_ref().map_or_else(|| "platform".to_owned(), ToString::to_string);
            let _ = slot.0.set(label);
        }
    }
}

/// The authenticated caller (`Authorization: Bearer <jwt|api key>`).
pub(crate) struct Caller(pub(crate) Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let missing = || {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "missing bearer credentials")
        };
        let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(missing)?;
        let value = value.to_str().map_err(|_| missing())?;
        let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(missing());
        }
        let principal = state.core.authenticate(token.trim()).await?;
        TenantSlot::note(parts, &principal);
        Ok(Caller(principal))
    }
}

/// `X-Stoa-Tenant`: the tenant a platform caller acts on.
pub(crate) struct NamedTenant(pub(crate) Option<TenantId>);

pub(crate) const TENANT_HEADER: &str = "x-stoa-tenant";

impl<S: Send + Sync> FromRequestParts<S> for NamedTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(v) = parts.headers.get(TENANT_HEADER) else { return Ok(NamedTenant(None)) };
        let v = v.to_str().ok().and_then(|s| TenantId::parse(s).ok());
        v.map(|t| NamedTenant(Some(t))).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_tenant_id",
                "X-Stoa-Tenant is not a tenant id",
            )
        })
    }
}

/// `axum::Json` with our error body on every rejection.
pub(crate) struct AppJson<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(AppJson(v))
    }
}

/// A tenant id from a path: a malformed one cannot exist, so it is a 404.
pub(crate) fn path_tenant(raw: &str) -> Result<TenantId, ApiError> {
    TenantId::parse(raw).map_err(|_| ApiError::from(stoa_core::Error::NotFound { what: "tenant" }))
}
