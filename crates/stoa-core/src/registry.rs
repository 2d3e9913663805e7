//! The tenant API registry (F-70, F-73, F-16): APIs a tenant registers with an OpenAPI 3
//! document, each operation a tool named `{tenant}__{api}__{operation}` on the wire.
//!
//! The upstream credential is sealed with the tenant's data key and never returned; the
//! caller's own token is never forwarded. In `prod` environment mode writes are refused unless
//! enabled, and upstreams on loopback or private addresses are refused unless allow-listed.

use std::net::IpAddr;

use serde_json::{Value, json};

use crate::clock::now_ms;
use crate::error::{Error, Result, StoreError};
use crate::identity::Principal;
use crate::ids::TenantId;
use crate::rbac::Action;
use crate::service::Core;

/// A registered API as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredApi {
    pub tenant: String,
    pub name: String,
    pub base_url: String,
    pub openapi: Value,
    pub credential_header: Option<String>,
    pub credential_sealed: Option<Vec<u8>>,
    pub created_at: i64,
    /// A demo API: answer with an echo of the request when the upstream is unreachable.
    pub echo_fallback: bool,
}

/// Registry policy from configuration.
#[derive(Clone, Debug, Default)]
pub struct RegistryPolicy {
    /// `STOA_ENVIRONMENT=prod`.
    pub prod: bool,
    /// `STOA_ALLOW_PROD_API_WRITES=true`.
    pub allow_prod_writes: bool,
    /// `STOA_UPSTREAM_ALLOWLIST`: hosts allowed although loopback or private, in prod.
    pub upstream_allowlist: Vec<String>,
}

/// What a caller sends to register an API.
#[derive(Debug)]
pub struct NewApi {
    pub name: String,
    pub base_url: String,
    pub openapi: Value,
    /// `(header, value)`: injected on calls to the upstream.
    pub credential: Option<(String, String)>,
    /// Answer with an echo when the upstream cannot be reached (demo APIs).
    pub echo_fallback: bool,
}

/// One tool of an API, as listed.
#[derive(Clone, Debug)]
pub struct ToolView {
    pub id: String,
    pub wire_name: String,
    pub method: String,
    pub path: String,
    pub description: String,
    pub input_schema: Value,
}

#[derive(Clone, Debug)]
pub struct ApiView {
    pub name: String,
    pub base_url: String,
    pub has_credential: bool,
    pub created_at: i64,
    pub tools: Vec<ToolView>,
    /// Operations left out (unsupported shapes), with the reason.
    pub skipped: Vec<String>,
}

fn view(tenant: &TenantId, api: &StoredApi) -> Result<ApiView> {
    let spec = stoa_openapi::parse(&api.openapi)
        .map_err(|e| Error::internal(format!("stored API no longer parses: {e}")))?;
    let tools = spec
        .operations
        .iter()
        .map(|op| ToolView {
            wire_name: stoa_openapi::wire_name(tenant.as_str(), &api.name, &op.id),
            id: stoa_openapi::internal_id(tenant.as_str(), &api.name, &op.id),
            method: op.method.as_str().to_owned(),
            path: op.path_template.clone(),
            description: op.tool_description(),
            input_schema: op.input_schema.clone(),
        })
        .collect();
    Ok(ApiView {
        name: api.name.clone(),
        base_url: api.base_url.clone(),
        has_credential: api.credential_sealed.is_some(),
        created_at: api.created_at,
        tools,
        skipped: spec
            .skipped
            .iter()
            .map(|s| format!("{} {}: {}", s.method.as_str(), s.path, s.reason))
            .collect(),
    })
}

fn check_name(name: &str) -> Result<()> {
    let ok = (1..=48).contains(&name.len())
        && name.as_bytes()[0].is_ascii_lowercase()
        && name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid("invalid_api_name", "name must match ^[a-z][a-z0-9-]{0,47}$"))
    }
}

/// Is this upstream host on loopback or a private range (or a name for one)?
fn is_internal(host: &url::Host<&str>) -> bool {
    let ip = match host {
        url::Host::Ipv4(v4) => IpAddr::V4(*v4),
        url::Host::Ipv6(v6) => IpAddr::V6(*v6),
        url::Host::Domain(d) => {
            let d = d.to_ascii_lowercase();
            return d == "localhost"
                || d.ends_with(".localhost")
                || d.ends_with(".internal")
                || d.ends_with(".local");
        }
    };
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified()
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

impl Core {
    /// F-16: API definitions are read-only in prod mode unless enabled.
    fn check_prod_writes(&self) -> Result<()> {
        if self.registry_policy.prod && !self.registry_policy.allow_prod_writes {
            return Err(Error::Forbidden {
                code: "prod_writes_disabled",
                message: "API definitions are read-only in prod mode (STOA_ALLOW_PROD_API_WRITES)"
                    .into(),
            });
        }
        Ok(())
    }

    fn check_upstream(&self, base_url: &str) -> Result<()> {
        let url = url::Url::parse(base_url).map_err(|_| {
            Error::invalid("invalid_base_url", "base_url must be an absolute http(s) URL")
        })?;
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(Error::invalid(
                "invalid_base_url",
                "base_url must be http(s), without credentials",
            ));
        }
        let host = url
            .host()
            .ok_or_else(|| Error::invalid("invalid_base_url", "base_url needs a host"))?;
        let policy = &self.registry_policy;
        if policy.prod
            && is_internal(&host)
            && !policy.upstream_allowlist.iter().any(|h| h == &host.to_string())
        {
            return Err(Error::Forbidden {
                code: "upstream_not_allowed",
                message: "in prod mode, loopback and private upstreams must be listed in STOA_UPSTREAM_ALLOWLIST".into(),
            });
        }
        Ok(())
    }

    pub async fn register_api(
        &self,
        p: &Principal,
        named: Option<TenantId>,
        new: NewApi,
    ) -> Result<ApiView> {
        let r = async {
            let tenant = self.scope_of(p, named.clone())?;
            self.authorize(p, Action::ApiWrite, Some(&tenant), "tenant").await?;
            self.check_prod_writes()?;
            check_name(&new.name)?;
            self.check_upstream(&new.base_url)?;
            stoa_openapi::parse(&new.openapi).map_err(|e| Error::Unprocessable {
                code: "invalid_openapi",
                message: e.to_string().into(),
            })?;
            let (credential_header, credential_sealed) = match &new.credential {
                None => (None, None),
                Some((header, value)) => {
                    let h = header.trim().to_ascii_lowercase();
                    let ok = !h.is_empty()
                        && h.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                        && !["host", "cookie", "content-length", "transfer-encoding", "connection"]
                            .contains(&h.as_str());
                    if !ok || value.is_empty() || value.bytes().any(|c| c < 0x20 || c == 0x7f) {
                        return Err(Error::invalid(
                            "invalid_credential",
                            "credential needs a header name and a printable value",
                        ));
                    }
                    let sealed =
                        self.seal(&tenant, &format!("api-credential:{}", new.name), value).await?;
                    (Some(h), Some(sealed))
                }
            };
            let stored = StoredApi {
                tenant: tenant.to_string(),
                name: new.name.clone(),
                base_url: new.base_url.trim_end_matches('/').to_owned(),
                openapi: new.openapi,
                credential_header,
                credential_sealed,
                created_at: now_ms(),
                echo_fallback: new.echo_fallback,
            };
            self.store.insert_api(&tenant, &stored).await.map_err(|e| match e {
                StoreError::Conflict => Error::Conflict {
                    code: "api_exists",
                    message: "an API with this name exists".into(),
                },
                other => other.into(),
            })?;
            view(&tenant, &stored)
        }
        .await;
        let detail = r.as_ref().ok().map(|v| json!({"api": v.name, "tools": v.tools.len()}));
        match &r {
            Ok(_) => {
                let mut e = self.event(Some(p), named.as_ref(), "api.register", "ok");
                e.detail = detail;
                self.ledger.record(e).await;
            }
            Err(err) => self.audit_refusal(Some(p), named.as_ref(), "api.register", err).await,
        }
        r
    }

    pub async fn list_apis(&self, p: &Principal, named: Option<TenantId>) -> Result<Vec<ApiView>> {
        let tenant = self.scope_of(p, named)?;
        self.authorize(p, Action::ApiRead, Some(&tenant), "tenant").await?;
        self.store.list_apis(&tenant).await?.iter().map(|a| view(&tenant, a)).collect()
    }

    pub async fn get_api(
        &self,
        p: &Principal,
        named: Option<TenantId>,
        name: &str,
    ) -> Result<ApiView> {
        let tenant = self.scope_of(p, named)?;
        self.authorize(p, Action::ApiRead, Some(&tenant), "api").await?;
        let api =
            self.store.get_api(&tenant, name).await?.ok_or(Error::NotFound { what: "api" })?;
        view(&tenant, &api)
    }

    pub async fn delete_api(
        &self,
        p: &Principal,
        named: Option<TenantId>,
        name: &str,
    ) -> Result<()> {
        let r = async {
            let tenant = self.scope_of(p, named.clone())?;
            self.authorize(p, Action::ApiWrite, Some(&tenant), "api").await?;
            self.check_prod_writes()?;
            if !self.store.delete_api(&tenant, name).await? {
                return Err(Error::NotFound { what: "api" });
            }
            Ok(())
        }
        .await;
        match &r {
            Ok(()) => {
                let mut e = self.event(Some(p), named.as_ref(), "api.delete", "ok");
                e.detail = Some(json!({"api": name}));
                self.ledger.record(e).await;
            }
            Err(err) => self.audit_refusal(Some(p), named.as_ref(), "api.delete", err).await,
        }
        r
    }
}

/// One operation of a registered API, callable by the agent (and, later, MCP clients).
pub struct ApiTool {
    pub wire_name: String,
    pub api: String,
    pub operation: stoa_openapi::Operation,
    pub base_url: String,
}

/// Largest upstream answer handed back to a model (bytes).
const MAX_UPSTREAM_BODY: usize = 64 * 1024;

impl Core {
    /// The tools of every API the tenant registered.
    pub(crate) async fn api_tools(&self, tenant: &TenantId) -> Result<Vec<ApiTool>> {
        let mut out = Vec::new();
        for api in self.store.list_apis(tenant).await? {
            let Ok(spec) = stoa_openapi::parse(&api.openapi) else { continue };
            for op in spec.operations {
                out.push(ApiTool {
                    wire_name: stoa_openapi::wire_name(tenant.as_str(), &api.name, &op.id),
                    api: api.name.clone(),
                    operation: op,
                    base_url: api.base_url.clone(),
                });
            }
        }
        Ok(out)
    }

    /// Calls one registered operation under the caller's identity (F-72): role and tenant
    /// status re-checked, the API's own credential injected (the caller's token never goes
    /// upstream), bounded in time and size, every call audited. Upstream errors come back as
    /// tool errors with their status.
    pub(crate) async fn call_api_tool(
        &self,
        p: &Principal,
        tenant: &TenantId,
        tool: &ApiTool,
        args: &Value,
    ) -> (String, bool) {
        let outcome = self.call_api_tool_inner(p, tenant, tool, args).await;
        let (status, text, is_error) = match outcome {
            Ok((status, body)) => (status, body, status >= 400),
            Err(e) => (
                0,
                json!({"error": {"code": e.code(), "message": e.to_string()}}).to_string(),
                true,
            ),
        };
        let mut e =
            self.event(Some(p), Some(tenant), "tool.call", if is_error { "error" } else { "ok" });
        e.detail = Some(json!({"tool": tool.wire_name, "upstream_status": status}));
        self.ledger.record(e).await;
        (text, is_error)
    }

    async fn call_api_tool_inner(
        &self,
        p: &Principal,
        tenant: &TenantId,
        tool: &ApiTool,
        args: &Value,
    ) -> Result<(u16, String)> {
        self.authorize(p, Action::LlmInvoke, Some(tenant), "tenant").await?;
        let api =
            self.store.get_api(tenant, &tool.api).await?.ok_or(Error::NotFound { what: "api" })?;
        let req = stoa_openapi::build_request(&tool.operation, &tool.base_url, args)
            .map_err(|e| Error::invalid("invalid_tool_arguments", e.to_string()))?;
        let method =
            reqwest::Method::from_bytes(req.method.as_str().as_bytes()).map_err(Error::internal)?;
        let (mut call, mut span) = traced(
            self.upstream.request(method, &req.url).timeout(std::time::Duration::from_secs(30)),
            || format!("{} {}", req.method.as_str(), tool.api),
        );
        for (k, v) in &req.headers {
            call = call.header(k, v);
        }
        if let (Some(h), Some(sealed)) = (&api.credential_header, &api.credential_sealed) {
            let value = self.open(tenant, &format!("api-credential:{}", api.name), sealed).await?;
            call = call.header(h, value);
        }
        if let Some(body) = &req.body {
            call = call.json(body);
        }
        let sent = call.send().await;
        trace_outcome(span.as_mut(), sent.as_ref().map(reqwest::Response::status));
        let resp = sent.map_err(|e| unreachable_api(&e))?;
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        use futures_util::StreamExt;
        while let Some(chunk) = stream.next().await {
            let Ok(chunk) = chunk else { break };
            body.extend_from_slice(&chunk);
            if body.len() > MAX_UPSTREAM_BODY {
                body.truncate(MAX_UPSTREAM_BODY);
                break;
            }
        }
        Ok((status, json!({"status": status, "body": String::from_utf8_lossy(&body)}).to_string()))
    }
}

/// A tool as MCP clients (and models) see it.
#[derive(Clone, Debug)]
pub struct ToolDescriptor {
    /// The wire name (`stoa_*` for platform tools, `{tenant}__{api}__{op}` for registered ones).
    pub name: String,
    pub description: String,
    pub input_schema: Value,
    /// Whether calling it changes something (registered operations other than GET/HEAD).
    pub read_only: bool,
}

impl Core {
    /// F-72 `tools/list`: the platform tools and the tenant's registered operations. Listing is
    /// allowed to every role of the tenant (a viewer lists, but may not call registered APIs).
    pub async fn list_tools(
        &self,
        p: &Principal,
        tenant: &TenantId,
    ) -> Result<Vec<ToolDescriptor>> {
        self.authorize(p, Action::ApiRead, Some(tenant), "tenant").await?;
        let mut out: Vec<ToolDescriptor> = crate::chat::tools::platform_tools()
            .iter()
            .map(|t| ToolDescriptor {
                name: t.name().to_owned(),
                description: t.description().to_owned(),
                input_schema: t.parameters(),
                read_only: true,
            })
            .collect();
        for t in self.api_tools(tenant).await? {
            out.push(ToolDescriptor {
                name: t.wire_name.clone(),
                description: t.operation.tool_description(),
                input_schema: t.operation.input_schema.clone(),
                read_only: matches!(t.operation.method.as_str(), "GET" | "HEAD"),
            });
        }
        Ok(out)
    }

    /// F-72 `tools/call`: runs one tool under the caller's identity; `(content, is_error)`.
    /// Role, tenant status and rate limit are checked again; every call is audited. An unknown
    /// name is `Err(NotFound)`; a refused or failed call is a tool error, not an `Err`.
    pub async fn call_tool(
        &self,
        p: &Principal,
        tenant: &TenantId,
        name: &str,
        args: &Value,
    ) -> Result<(String, bool)> {
        if let Some(t) = crate::chat::tools::platform_tools().into_iter().find(|t| t.name() == name)
        {
            let outcome = t.call(self, p, tenant, args).await;
            let mut e = self.event(
                Some(p),
                Some(tenant),
                "tool.call",
                if outcome.is_error { "error" } else { "ok" },
            );
            e.detail = Some(json!({"tool": name}));
            self.ledger.record(e).await;
            return Ok((outcome.content, outcome.is_error));
        }
        let tools = self.api_tools(tenant).await?;
        let tool =
            tools.iter().find(|t| t.wire_name == name).ok_or(Error::NotFound { what: "tool" })?;
        let quotas = crate::settings::effective_quotas(
            &*self.tenant(tenant).await?.ok_or(Error::NotFound { what: "tenant" })?,
            self.config.budget_defaults,
        );
        match self
            .counters
            .hit_rate(&format!("rpm:{tenant}"), quotas.max_rate_limit, now_ms())
            .await
        {
            Ok(()) => {}
            Err(crate::budget::RateRefusal::Limited(wait)) => {
                let msg = json!({"error": {"code": "rate_limited", "message": "rate limited", "retry_after_ms": wait.as_millis() as u64}});
                return Ok((msg.to_string(), true));
            }
            Err(refusal) => {
                let e = refusal.into_error(quotas.max_rate_limit);
                let msg = json!({"error": {"code": e.code(), "message": e.to_string()}});
                return Ok((msg.to_string(), true));
            }
        }
        Ok(self.call_api_tool(p, tenant, tool, args).await)
    }
}

/// One request through `/apis/{tenant}/{api}/…` (F-73).
pub struct PassRequest {
    pub method: String,
    /// The path after the API name (without a leading slash).
    pub path: String,
    pub query: Option<String>,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    pub body: bytes::Bytes,
}

pub struct PassResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: bytes::Bytes,
    /// Answered by the echo backend (the upstream was unreachable).
    pub echo: bool,
}

/// Largest answer relayed through the passthrough.
const MAX_PASS_BODY: usize = 8 * 1024 * 1024;

impl Core {
    /// Forwards a request to a registered API with its own credential (never the caller's
    /// token), under the tenant's rate limit, audited. A demo API whose upstream cannot be
    /// reached answers with an echo of the request.
    pub async fn passthrough(
        &self,
        p: &Principal,
        tenant: &TenantId,
        api: &str,
        req: PassRequest,
    ) -> Result<PassResponse> {
        let r = self.passthrough_inner(p, tenant, api, req).await;
        match &r {
            Ok(resp) => {
                let status = if resp.status >= 400 { "error" } else { "ok" };
                let mut e = self.event(Some(p), Some(tenant), "api.call", status);
                e.detail =
                    Some(json!({"api": api, "upstream_status": resp.status, "echo": resp.echo}));
                self.ledger.record(e).await;
            }
            Err(err) => self.audit_refusal(Some(p), Some(tenant), "api.call", err).await,
        }
        r
    }

    async fn passthrough_inner(
        &self,
        p: &Principal,
        tenant: &TenantId,
        name: &str,
        req: PassRequest,
    ) -> Result<PassResponse> {
        let t = self
            .authorize(p, Action::LlmInvoke, Some(tenant), "api")
            .await?
            .ok_or(Error::NotFound { what: "api" })?;
        let api = self.store.get_api(tenant, name).await?.ok_or(Error::NotFound { what: "api" })?;
        let quotas = crate::settings::effective_quotas(&t, self.config.budget_defaults);
        if let Err(refusal) =
            self.counters.hit_rate(&format!("rpm:{tenant}"), quotas.max_rate_limit, now_ms()).await
        {
            return Err(refusal.into_error(quotas.max_rate_limit));
        }
        if req.path.split('/').any(|seg| seg == ".." || seg == "." || seg.contains('\\'))
            || req.path.to_ascii_lowercase().contains("%2e%2e")
        {
            return Err(Error::invalid("invalid_path", "path segments . and .. are not allowed"));
        }
        let mut url = format!("{}/{}", api.base_url, req.path);
        if let Some(q) = &req.query {
            url.push('?');
            url.push_str(q);
        }
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| Error::invalid("invalid_method", "unsupported HTTP method"))?;
        let (mut call, mut span) = traced(
            self.upstream.request(method, &url).timeout(std::time::Duration::from_secs(30)),
            || format!("{} {}", req.method, api.name),
        );
        if let Some(ct) = &req.content_type {
            call = call.header("content-type", ct);
        }
        if let Some(a) = &req.accept {
            call = call.header("accept", a);
        }
        if let (Some(h), Some(sealed)) = (&api.credential_header, &api.credential_sealed) {
            let value = self.open(tenant, &format!("api-credential:{}", api.name), sealed).await?;
            call = call.header(h, value);
        }
        let sent = call.body(req.body.clone()).send().await;
        trace_outcome(span.as_mut(), sent.as_ref().map(reqwest::Response::status));
        let resp = match sent {
            Ok(r) => r,
            Err(e) if api.echo_fallback && (e.is_connect() || e.is_timeout()) => {
                let body = match serde_json::from_slice::<Value>(&req.body) {
                    Ok(v) => v,
                    Err(_) => Value::String(String::from_utf8_lossy(&req.body).into_owned()),
                };
                let echo = json!({"echo": true, "api": api.name, "method": req.method, "path": format!("/{}", req.path),
                    "query": req.query, "body": body,
                    "note": "the upstream is unreachable; the echo backend answered"});
                return Ok(PassResponse {
                    status: 200,
                    content_type: Some("application/json".into()),
                    body: bytes::Bytes::from(echo.to_string()),
                    echo: true,
                });
            }
            Err(e) => return Err(unreachable_api(&e)),
        };
        let status = resp.status().as_u16();
        let content_type =
            resp.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        use futures_util::StreamExt;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| Error::Upstream {
                code: "upstream_error",
                message: "the API's answer broke off".into(),
                timeout: false,
            })?;
            if body.len() + chunk.len() > MAX_PASS_BODY {
                return Err(Error::Upstream {
                    code: "upstream_too_large",
                    message: "the API's answer is too large".into(),
                    timeout: false,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(PassResponse { status, content_type, body: bytes::Bytes::from(body), echo: false })
    }
}

/// A call to a tenant's API in the request's trace: a client span (when exporting) and the
/// `traceparent` header naming it, so the API's own traces join the gateway's.
fn traced(
    call: reqwest::RequestBuilder,
    name: impl FnOnce() -> String,
) -> (reqwest::RequestBuilder, Option<crate::trace::Span>) {
    let span = crate::trace::child_span(name);
    match crate::trace::outgoing_traceparent(span.as_ref()) {
        Some(tp) => (call.header("traceparent", tp), span),
        None => (call, span),
    }
}

/// A tenant's API that did not answer (no response at all), in the caller's error shape.
fn unreachable_api(e: &reqwest::Error) -> Error {
    Error::Upstream {
        code: "upstream_unreachable",
        message: if e.is_timeout() {
            "the API did not answer in time".into()
        } else {
            "the API cannot be reached".into()
        },
        timeout: e.is_timeout(),
    }
}

/// Records how a call to a tenant's API ended on its span.
fn trace_outcome(
    span: Option<&mut crate::trace::Span>,
    sent: std::result::Result<reqwest::StatusCode, &reqwest::Error>,
) {
    let Some(span) = span else { return };
    match sent {
        Ok(status) => {
            span.set("http.response.status_code", i64::from(status.as_u16()));
            if status.is_server_error() {
                span.fail("upstream_error");
            }
        }
        Err(e) => {
            span.fail(if e.is_timeout() { "upstream_timeout" } else { "upstream_unreachable" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_hosts() {
        for h in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.1.1",
            "[::1]",
            "[fd00::1]",
            "localhost",
            "db.internal",
        ] {
            let u = url::Url::parse(&format!("http://{h}/")).unwrap();
            assert!(is_internal(&u.host().unwrap()), "{h}");
        }
        for h in ["8.8.8.8", "api.example.com", "[2001:db8::1]"] {
            let u = url::Url::parse(&format!("http://{h}/")).unwrap();
            assert!(!is_internal(&u.host().unwrap()), "{h}");
        }
    }

    #[test]
    fn api_names() {
        assert!(check_name("petstore").is_ok());
        assert!(check_name("pet-store-2").is_ok());
        for bad in ["", "Pets", "1pets", "pets_v1", &"a".repeat(49)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
