//! The route table: path → handler, and the layers every request passes. Nothing else here.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use tower_http::trace::TraceLayer;

use crate::api::{api_keys, apis, audit, chat, conversations, health, proxy, tenants};
use crate::error::ApiError;
use crate::state::AppState;

/// Largest control-plane request body.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Largest LLM request body (prompts can be long; the token limit is checked separately).
pub(crate) const MAX_LLM_BODY_BYTES: usize = 8 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let llm = Router::new()
        .route("/v1/chat/completions", post(proxy::chat_completions))
        .route("/v1/messages", post(proxy::messages))
        // Wildcards: `provider/model` names contain a slash (`openai/gpt-4o-mini:generateContent`).
        .route("/v1beta/models/{*model_action}", post(proxy::gemini))
        .route("/v1/models/{*model_action}", post(proxy::gemini))
        .layer(DefaultBodyLimit::max(MAX_LLM_BODY_BYTES));
    Router::new()
        .merge(llm)
        // F-71: `/t/{tenant}/mcp`, `/mcp` and their RFC 9728 metadata (auth inside).
        .merge(stoa_mcp::router(state.core.clone()))
        .route("/v1/models", get(proxy::models))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/openapi.json", get(openapi))
        .route("/metrics", get(metrics))
        .route("/.well-known/jwks.json", get(health::jwks))
        .route("/v1/whoami", get(health::whoami))
        .route("/v1/tenants", get(tenants::list).post(tenants::create))
        .route("/v1/tenants/{id}", get(tenants::get).patch(tenants::patch).delete(tenants::delete))
        .route("/v1/api-keys", get(api_keys::list).post(api_keys::create))
        .route("/v1/api-keys/{id}", delete(api_keys::revoke))
        .route("/v1/chat/settings", get(chat::get_settings).put(chat::put_settings))
        .route("/v1/chat/usage", get(chat::usage))
        .route("/v1/chat/conversations", get(conversations::list).post(conversations::create))
        .route("/v1/chat/conversations/{id}", get(conversations::get).delete(conversations::delete))
        .route("/v1/chat/conversations/{id}/messages", post(conversations::post_message))
        .route("/v1/users/{id}/conversations", delete(conversations::delete_user))
        .route("/v1/apis", get(apis::list).post(apis::register))
        .route("/v1/apis/{name}", get(apis::get).delete(apis::delete))
        .route("/apis/{tenant}/{api}/{*rest}", axum::routing::any(apis::passthrough))
        .route("/v1/audit", get(audit::list))
        .route("/v1/admin/keys", get(audit::keys))
        .route("/v1/admin/keys/reload", post(audit::reload))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(trace_context))
        .layer(
            // Spans name the route pattern, never the raw URI (query strings can carry keys).
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", MatchedPath::as_str)
                        .to_owned();
                    tracing::info_span!("request", method = %req.method(), route)
                })
                .on_request(())
                .on_response(
                    |res: &axum::response::Response, latency: Duration, _: &tracing::Span| {
                        tracing::debug!(
                            status = res.status().as_u16(),
                            latency_us = latency.as_micros() as u64,
                            "response"
                        );
                    },
                ),
        )
        .with_state(state)
}

/// W3C trace context (F-91): continue the caller's trace or start one; run the request in its
/// scope (the ledger records the trace id); answer with `traceparent`, and with the time the
/// gateway itself spent (`x-stoa-gateway-time`, microseconds, the provider's time excluded).
async fn trace_context(mut req: Request, next: axum::middleware::Next) -> axum::response::Response {
    let started = std::time::Instant::now();
    let slot = crate::extract::TenantSlot::default();
    req.extensions_mut().insert(slot.clone());
    let route =
        req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let method = req.method().as_str().to_owned();
    let incoming = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(stoa_core::trace::parse_traceparent);
    let (ids, mut span) = stoa_core::trace::begin(incoming, || format!("{method} {route}"));
    if let Some(s) = span.as_mut() {
        s.set("http.request.method", method.clone());
        s.set("http.route", route.clone());
    }
    let traceparent = ids.traceparent();
    let mut resp = stoa_core::trace::TRACE.scope(ids, next.run(req)).await;
    if let Ok(v) = axum::http::HeaderValue::from_str(&traceparent) {
        resp.headers_mut().insert("traceparent", v);
    }
    let upstream =
        resp.extensions().get::<stoa_core::llm::ProviderTime>().map_or(0, |t| t.0.as_micros());
    let own = started.elapsed().as_micros().saturating_sub(upstream);
    resp.headers_mut().insert("x-stoa-gateway-time", axum::http::HeaderValue::from(own as u64));
    let tenant = slot.0.get().map_or("none", String::as_str);
    let status = resp.status().as_u16();
    stoa_metrics::global().api(tenant, &route, &method, status, started.elapsed().as_secs_f64());
    if let Some(s) = span.as_mut() {
        s.set("http.response.status_code", i64::from(status));
        s.set("stoa.tenant", tenant.to_owned());
        if status >= 500 {
            s.fail(status.to_string());
        }
    }
    resp
}

/// `GET /metrics` (Prometheus / OpenMetrics text), for the platform (cpi-admin) only: the
/// labels name tenants.
async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
    crate::extract::Caller(p): crate::extract::Caller,
) -> Result<axum::response::Response, ApiError> {
    if !p.is_platform() {
        return Err(ApiError::from(stoa_core::Error::forbidden(
            "metrics are for the platform administrator",
        )));
    }
    let _ = state;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        stoa_metrics::global().render(),
    )
        .into_response())
}

async fn openapi() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], crate::openapi::openapi_json())
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this route",
    )
}
