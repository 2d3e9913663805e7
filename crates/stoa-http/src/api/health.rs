//! Liveness, readiness, the built-in issuer's JWKS, and who the caller is.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Map, Value};

use crate::dto::{Health, WhoAmI};
use crate::error::ErrorBody;
use crate::extract::Caller;
use crate::state::AppState;

/// Alive: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into(), checks: Map::new() })
}

/// Ready: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub(crate) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let mut checks = Map::new();
    let db = state.core.store().ping().await;
    checks.insert(
        "database".into(),
        Value::String(if db.is_ok() { "ok" } else { "unavailable" }.into()),
    );
    checks.insert("backend".into(), Value::String(state.core.store().backend().into()));
    let counters = state.core.counters_ready().await;
    checks.insert(
        "counters".into(),
        Value::String(match &counters {
            Ok(kind) => format!("ok ({kind})"),
            Err(_) => "unavailable".into(),
        }),
    );
    let ready = db.is_ok() && counters.is_ok();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = if ready { "ready" } else { "not_ready" };
    (status, Json(Health { status: word.into(), checks }))
}

/// Public keys of the built-in token issuer.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "identity",
    responses((status = 200, body = Object)))]
pub(crate) async fn jwks(State(state): State<AppState>) -> Json<Value> {
    Json(state.core.jwks())
}

/// The authenticated caller, as the gateway sees it.
#[utoipa::path(get, path = "/v1/whoami", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = WhoAmI), (status = 401, body = ErrorBody)))]
pub(crate) async fn whoami(Caller(p): Caller) -> Json<WhoAmI> {
    Json(WhoAmI::from(&p))
}
