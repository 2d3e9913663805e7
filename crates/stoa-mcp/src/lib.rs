//! The MCP gateway (F-71, F-72): one Streamable HTTP MCP resource per tenant at
//! `/t/{tenant}/mcp`, and the platform resource at `/mcp` (cpi-admin: every tenant's registered
//! operations), with their RFC 9728 protected-resource metadata.
//!
//! The protocol is rmcp's `StreamableHttpService`: clients of `2025-11-25` and earlier get
//! sessions (`Mcp-Session-Id`, the official Python SDK's default), clients negotiating
//! `2026-07-28` are served statelessly by the same service. In front of it, every HTTP request
//! (not only the session's first) is authenticated with `Core::authenticate`, checked against
//! the URL's tenant, and a presented session id must belong to the same resource and caller.
//! The caller travels to the tool handlers in the request's extensions; the client's token is
//! never forwarded (registered APIs are called with their own credential by the core).
//!
//! Host and Origin checks (DNS rebinding): only the host of `STOA_PUBLIC_URL` (any port) is
//! accepted in `Host`, and a browser `Origin`, when present, must be that host too (any port,
//! the public URL's scheme).

mod handler;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use quick_cache::sync::Cache;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use stoa_core::{Core, Error, Principal, TenantId};
use tower::ServiceExt;

/// Largest MCP request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

const SESSION_HEADER: &str = "mcp-session-id";

/// Sessions remembered (id → owner); beyond this the oldest are forgotten, and a forgotten
/// session is refused (the client initializes again): never served to an unknown owner.
const MAX_SESSIONS: usize = 100_000;

/// Which MCP resource a request is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Tenant(TenantId),
    Platform,
}

/// The authenticated caller of one HTTP request, for the tool handlers.
#[derive(Clone)]
pub(crate) struct McpCaller {
    pub(crate) principal: Principal,
    pub(crate) scope: Scope,
    /// The request's trace id (`traceparent`), for `_meta` and the ledger.
    pub(crate) trace: Option<stoa_core::trace::Ids>,
}

type McpService = StreamableHttpService<handler::StoaMcp, LocalSessionManager>;

#[derive(Clone)]
struct McpState {
    core: Arc<Core>,
    public_url: String,
    service: McpService,
    /// Session id → the resource and caller it was opened by.
    sessions: Arc<Cache<String, String>>,
}

/// The rmcp server configuration for a gateway reachable at `public_url`.
pub fn server_config(public_url: &str) -> StreamableHttpServerConfig {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(true)
        .with_max_request_body_bytes(MAX_BODY_BYTES);
    match url::Url::parse(public_url).ok().and_then(|u| {
        let host = u.host_str()?.to_owned();
        Some((format!("{}://{host}:*", u.scheme()), host))
    }) {
        Some((origin, host)) => config.with_allowed_hosts([host]).with_allowed_origins([origin]),
        // Not reachable (the public URL is validated); rmcp's loopback-only default stays.
        None => config,
    }
}

/// The MCP routes, for any router state (`Router::merge` into the gateway's router).
pub fn router<S: Clone + Send + Sync + 'static>(core: Arc<Core>) -> Router<S> {
    let public_url = core.config().public_url.trim_end_matches('/').to_owned();
    let factory_core = core.clone();
    let service = StreamableHttpService::new(
        move || Ok(handler::StoaMcp::new(factory_core.clone())),
        Arc::new(LocalSessionManager::default()),
        server_config(&public_url),
    );
    let state =
        McpState { core, public_url, service, sessions: Arc::new(Cache::new(MAX_SESSIONS)) };
    Router::new()
        .route("/t/{tenant}/mcp", any(tenant_mcp))
        .route("/mcp", any(platform_mcp))
        .route("/.well-known/oauth-protected-resource/t/{tenant}/mcp", get(tenant_metadata))
        .route("/.well-known/oauth-protected-resource/mcp", get(platform_metadata))
        .with_state(state)
}

async fn tenant_mcp(
    State(st): State<McpState>,
    Path(tenant): Path<String>,
    req: Request,
) -> Response {
    // A malformed id cannot name a tenant.
    let Ok(tenant) = TenantId::parse(&tenant) else {
        return error_response(&Error::NotFound { what: "tenant" });
    };
    serve(&st, Scope::Tenant(tenant), req).await
}

async fn platform_mcp(State(st): State<McpState>, req: Request) -> Response {
    serve(&st, Scope::Platform, req).await
}

fn resource_path(scope: &Scope) -> String {
    match scope {
        Scope::Tenant(t) => format!("/t/{t}/mcp"),
        Scope::Platform => "/mcp".to_owned(),
    }
}

fn bearer(req: &Request) -> Option<&str> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Who may use a session: the resource, the caller's tenant, how it authenticated, its subject.
fn owner(scope: &Scope, p: &Principal) -> String {
    let cred = match &p.credential {
        stoa_core::Credential::Jwt { issuer } => format!("jwt:{issuer}"),
        stoa_core::Credential::ApiKey { id, .. } => format!("key:{id}"),
    };
    let tenant = p.tenant.as_ref().map_or("", TenantId::as_str);
    format!("{}\n{tenant}\n{cred}\n{}", resource_path(scope), p.subject.0)
}

async fn serve(st: &McpState, scope: Scope, mut req: Request) -> Response {
    let metadata =
        format!("{}/.well-known/oauth-protected-resource{}", st.public_url, resource_path(&scope));
    let Some(token) = bearer(&req) else {
        return unauthorized(&metadata, &Error::unauthenticated("missing bearer credentials"));
    };
    // Every request is authenticated again: a session never outlives its token.
    let principal = match st.core.authenticate(token).await {
        Ok(p) => p,
        Err(e @ Error::Unauthenticated { .. }) => return unauthorized(&metadata, &e),
        Err(e) => return error_response(&e),
    };
    match &scope {
        Scope::Tenant(t) => {
            // Another tenant's resource does not exist for this caller (ids never leak).
            if !principal.is_platform() && principal.tenant.as_ref() != Some(t) {
                return error_response(&Error::NotFound { what: "tenant" });
            }
            match st.core.tenant(t).await {
                Ok(Some(_)) => {}
                Ok(None) => return error_response(&Error::NotFound { what: "tenant" }),
                Err(e) => return error_response(&e),
            }
        }
        Scope::Platform if !principal.is_platform() => {
            return error_response(&Error::forbidden(
                "the platform MCP resource is for the platform administrator; \
                 use /t/{tenant}/mcp",
            ));
        }
        Scope::Platform => {}
    }
    let owner = owner(&scope, &principal);
    let presented =
        req.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(sid) = &presented
        && st.sessions.get(sid).as_deref() != Some(owner.as_str())
    {
        // Unknown, or opened by someone else (or on another resource): not yours.
        return session_not_found();
    }
    let delete = req.method() == Method::DELETE;
    let trace = stoa_core::trace::current_ids();
    req.extensions_mut().insert(McpCaller { principal, scope, trace });
    let Ok(resp) = st.service.clone().oneshot(req).await;
    let resp = resp.map(Body::new);
    match presented {
        None => {
            if let Some(sid) = resp.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()) {
                st.sessions.insert(sid.to_owned(), owner);
            }
        }
        Some(sid) if delete && resp.status().is_success() => {
            st.sessions.remove(&sid);
        }
        Some(_) => {}
    }
    resp
}

fn error_body(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

fn error_response(e: &Error) -> Response {
    let status = match e {
        Error::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
        Error::Forbidden { .. } => StatusCode::FORBIDDEN,
        Error::NotFound { .. } => StatusCode::NOT_FOUND,
        Error::Invalid { .. } => StatusCode::BAD_REQUEST,
        Error::Limited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "mcp request failed");
        return error_body(status, "internal_error", "internal error");
    }
    error_body(status, e.code(), &e.to_string())
}

/// 401 with the RFC 9728 pointer (MCP authorization: the client discovers the realm there).
fn unauthorized(metadata: &str, e: &Error) -> Response {
    let mut challenge = format!("Bearer resource_metadata=\"{metadata}\"");
    if e.code() != "unauthorized" {
        challenge.push_str(", error=\"invalid_token\"");
    }
    let mut resp = error_body(StatusCode::UNAUTHORIZED, e.code(), &e.to_string());
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

fn session_not_found() -> Response {
    error_body(
        StatusCode::NOT_FOUND,
        "session_not_found",
        "unknown MCP session for this caller: initialize a new one",
    )
}

/// RFC 9728 document of one resource.
fn metadata(resource: &str, issuer: &str) -> Response {
    (
        [(header::CACHE_CONTROL, "max-age=60")],
        axum::Json(json!({
            "resource": resource,
            "authorization_servers": [issuer],
            "bearer_methods_supported": ["header"],
            "resource_name": "Stoa MCP",
        })),
    )
        .into_response()
}

/// `GET /.well-known/oauth-protected-resource/t/{tenant}/mcp`: the tenant's realm only (its
/// own issuer if it has one, else the built-in issuer). No authentication.
async fn tenant_metadata(State(st): State<McpState>, Path(tenant): Path<String>) -> Response {
    let Ok(id) = TenantId::parse(&tenant) else {
        return error_response(&Error::NotFound { what: "tenant" });
    };
    let tenant = match st.core.tenant(&id).await {
        Ok(Some(t)) => t,
        Ok(None) => return error_response(&Error::NotFound { what: "tenant" }),
        Err(e) => return error_response(&e),
    };
    let issuer = tenant.realm().map_or_else(|| st.public_url.clone(), |r| r.issuer);
    metadata(&format!("{}/t/{id}/mcp", st.public_url), &issuer)
}

/// `GET /.well-known/oauth-protected-resource/mcp`: the platform realm.
async fn platform_metadata(State(st): State<McpState>) -> Response {
    let issuer = st
        .core
        .config()
        .platform_issuer
        .as_ref()
        .map_or_else(|| st.public_url.clone(), |p| p.issuer.clone());
    metadata(&format!("{}/mcp", st.public_url), &issuer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_from_public_url() {
        let c = server_config("https://gw.example.com:8443");
        assert_eq!(c.allowed_hosts, vec!["gw.example.com".to_owned()]);
        assert_eq!(c.allowed_origins, vec!["https://gw.example.com:*".to_owned()]);
        let c = server_config("http://127.0.0.1:0");
        assert_eq!(c.allowed_hosts, vec!["127.0.0.1".to_owned()]);
    }
}
