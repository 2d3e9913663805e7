//! The MCP gateway (F-71, F-72) over raw Streamable HTTP: the 401 challenge and RFC 9728
//! metadata, a session (`2025-11-25`: initialize, tools/list, tools/call), a stateless
//! `2026-07-28` request, viewers, tenant isolation, session binding, no token upstream.

use std::sync::Arc;

use axum::http::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stoa_core::Role;

use crate::harness::TestServer;

const ACCEPT: &str = "application/json, text/event-stream";
const LEGACY: &str = "2025-11-25";
const STATELESS: &str = "2026-07-28";

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    /// The JSON-RPC response (from a JSON body or the SSE stream), or the raw body as a string.
    body: Value,
}

/// The JSON-RPC message of a response: the JSON body, or the SSE event that answers `id`.
fn parse_body(text: &str) -> Value {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return v;
    }
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|v| v.get("id").is_some())
        .unwrap_or_else(|| Value::String(text.to_owned()))
}

async fn post(
    srv: &TestServer,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Value,
) -> Reply {
    let mut req = srv
        .client
        .post(format!("{}{path}", srv.url))
        .header("accept", ACCEPT)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    Reply { status, headers, body: parse_body(&text) }
}

/// A `2025-11-25` session: initialize + initialized; returns the session id.
async fn open(srv: &TestServer, path: &str, token: &str) -> String {
    let r = post(
        srv,
        path,
        Some(token),
        &[],
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": LEGACY, "capabilities": {},
            "clientInfo": {"name": "it", "version": "1"}}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["result"]["protocolVersion"], LEGACY, "{}", r.body);
    assert!(r.body["result"]["capabilities"]["tools"].is_object(), "{}", r.body);
    let sid = r.headers.get("mcp-session-id").expect("a session id").to_str().unwrap().to_owned();
    let r = post(
        srv,
        path,
        Some(token),
        &[("mcp-session-id", &sid), ("mcp-protocol-version", LEGACY)],
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    sid
}

async fn rpc(
    srv: &TestServer,
    path: &str,
    token: &str,
    sid: &str,
    id: u64,
    method: &str,
    params: Value,
) -> Reply {
    post(
        srv,
        path,
        Some(token),
        &[("mcp-session-id", sid), ("mcp-protocol-version", LEGACY)],
        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
    )
    .await
}

fn tool_names(r: &Reply) -> Vec<String> {
    r.body["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.body))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

/// What an upstream saw: (query `q`, `x-api-key`, `authorization`).
type Seen = Arc<parking_lot::Mutex<Vec<(String, Option<String>, Option<String>)>>>;

/// A small upstream API (`GET /v1/search?q=`); its base URL and what it saw.
async fn upstream() -> (String, Seen) {
    use axum::extract::{Query, State};
    async fn search(
        State(seen): State<Seen>,
        headers: HeaderMap,
        Query(q): Query<std::collections::HashMap<String, String>>,
    ) -> axum::Json<Value> {
        let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
        seen.lock().push((
            q.get("q").cloned().unwrap_or_default(),
            h("x-api-key"),
            h("authorization"),
        ));
        axum::Json(json!({"results": ["sunny"]}))
    }
    let seen = Seen::default();
    let app = axum::Router::new()
        .route("/v1/search", axum::routing::get(search))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn register_weather(srv: &TestServer, token: &str, base_url: &str) {
    let doc = json!({"openapi": "3.0.3", "info": {"title": "Weather", "version": "1"}, "paths": {"/search": {"get": {
        "operationId": "search", "summary": "Search the weather",
        "parameters": [{"name": "q", "in": "query", "required": true, "schema": {"type": "string"}}]}}}});
    let (s, b) = srv
        .call(
            Method::POST,
            "/v1/apis",
            Some(token),
            Some(json!({"name": "weather", "base_url": base_url, "openapi": doc,
                "credential": {"header": "x-api-key", "value": "weather-secret-1"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

#[tokio::test]
async fn challenge_and_metadata() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    let public = srv.core().config().public_url.clone();

    // No token: 401 pointing at the resource's RFC 9728 document.
    let r =
        post(&srv, "/t/acme/mcp", None, &[], json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
            .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let challenge = r.headers.get("www-authenticate").unwrap().to_str().unwrap().to_owned();
    assert_eq!(
        challenge,
        format!(
            "Bearer resource_metadata=\"{public}/.well-known/oauth-protected-resource/t/acme/mcp\""
        )
    );
    assert!(r.headers.contains_key("traceparent"), "the gateway's layers apply");
    // A bad token: 401 too, with error="invalid_token".
    let r = post(
        &srv,
        "/t/acme/mcp",
        Some("not-a-token"),
        &[],
        json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let challenge = r.headers.get("www-authenticate").unwrap().to_str().unwrap();
    assert!(challenge.contains("resource_metadata=") && challenge.contains("invalid_token"));
    // The platform resource.
    let r =
        post(&srv, "/mcp", None, &[], json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.headers
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("/.well-known/oauth-protected-resource/mcp\"")
    );

    // The documents, without authentication.
    let (s, doc) =
        srv.call(Method::GET, "/.well-known/oauth-protected-resource/t/acme/mcp", None, None).await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(doc["resource"], format!("{public}/t/acme/mcp"));
    assert_eq!(doc["authorization_servers"], json!([public]));
    assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    let (s, doc) =
        srv.call(Method::GET, "/.well-known/oauth-protected-resource/mcp", None, None).await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(doc["resource"], format!("{public}/mcp"));
    let (s, _) =
        srv.call(Method::GET, "/.well-known/oauth-protected-resource/t/nope/mcp", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A tenant with its own realm lists only that realm.
    let (s, b) = srv
        .call(
            Method::PATCH,
            "/v1/tenants/acme",
            Some(&srv.admin()),
            Some(json!({"settings": {"auth": {"issuer": "https://login.acme.example"}}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, doc) =
        srv.call(Method::GET, "/.well-known/oauth-protected-resource/t/acme/mcp", None, None).await;
    assert_eq!(doc["authorization_servers"], json!(["https://login.acme.example"]));
    srv.stop().await;
}

#[tokio::test]
async fn session_lists_and_calls_tools() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    srv.create_tenant("globex").await;
    let (base, seen) = upstream().await;
    let alice = srv.token(Role::TenantAdmin, Some("acme"), "alice");
    register_weather(&srv, &alice, &base).await;

    let sid = open(&srv, "/t/acme/mcp", &alice).await;
    let r = rpc(&srv, "/t/acme/mcp", &alice, &sid, 2, "tools/list", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let names = tool_names(&r);
    assert!(names.contains(&"stoa_list_apis".to_owned()), "{names:?}");
    assert!(names.contains(&"stoa_budget".to_owned()), "{names:?}");
    assert!(names.contains(&"acme__weather__search".to_owned()), "{names:?}");
    let search = r.body["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "acme__weather__search")
        .unwrap()
        .clone();
    assert_eq!(search["inputSchema"]["type"], "object", "{search}");
    assert_eq!(search["annotations"]["readOnlyHint"], true, "{search}");

    // A registered operation: the API's credential goes upstream, the caller's token never.
    let r = rpc(
        &srv,
        "/t/acme/mcp",
        &alice,
        &sid,
        3,
        "tools/call",
        json!({"name": "acme__weather__search", "arguments": {"q": "paris"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let result = &r.body["result"];
    assert_eq!(result["isError"], false, "{result}");
    assert!(result["content"][0]["text"].as_str().unwrap().contains("sunny"), "{result}");
    let trace = r.headers.get("traceparent").expect("traceparent").to_str().unwrap();
    let trace_id = trace.split('-').nth(1).unwrap();
    assert_eq!(result["_meta"]["traceId"], trace_id, "{result}");
    {
        let calls = seen.lock().clone();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].0, "paris");
        assert_eq!(calls[0].1.as_deref(), Some("weather-secret-1"));
        assert_eq!(calls[0].2, None, "the client's token never goes upstream");
    }

    // A platform tool.
    let r = rpc(
        &srv,
        "/t/acme/mcp",
        &alice,
        &sid,
        4,
        "tools/call",
        json!({"name": "stoa_list_apis", "arguments": {}}),
    )
    .await;
    assert_eq!(r.body["result"]["isError"], false, "{}", r.body);
    assert!(r.body["result"]["content"][0]["text"].as_str().unwrap().contains("weather"));

    // An unknown tool: invalid params.
    let r = rpc(
        &srv,
        "/t/acme/mcp",
        &alice,
        &sid,
        5,
        "tools/call",
        json!({"name": "globex__weather__search", "arguments": {}}),
    )
    .await;
    assert_eq!(r.body["error"]["code"], -32602, "{}", r.body);

    // The session is alice's on acme's resource: another caller's token, even of the same
    // tenant, is refused with it; so is alice's session on another resource.
    let bob = srv.token(Role::TenantAdmin, Some("acme"), "bob");
    let r = rpc(&srv, "/t/acme/mcp", &bob, &sid, 6, "tools/list", json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let admin = srv.admin();
    let r = rpc(&srv, "/t/acme/mcp", &admin, &sid, 7, "tools/list", json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // A made-up session id.
    let r = rpc(&srv, "/t/acme/mcp", &alice, "made-up", 8, "tools/list", json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // The token is checked on every request of the session.
    let r = rpc(&srv, "/t/acme/mcp", "garbage", &sid, 9, "tools/list", json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    // An API key of the tenant works as a bearer too.
    let (_, key) = srv.create_key("acme", "devops").await;
    let ksid = open(&srv, "/t/acme/mcp", &key).await;
    let r = rpc(&srv, "/t/acme/mcp", &key, &ksid, 2, "tools/list", json!({})).await;
    assert!(tool_names(&r).contains(&"acme__weather__search".to_owned()));

    // Closing the session.
    let resp = srv
        .client
        .delete(format!("{}/t/acme/mcp", srv.url))
        .bearer_auth(&alice)
        .header("mcp-session-id", &sid)
        .header("mcp-protocol-version", LEGACY)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let r = rpc(&srv, "/t/acme/mcp", &alice, &sid, 10, "tools/list", json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    srv.stop().await;
}

#[tokio::test]
async fn viewer_lists_but_cannot_call() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    let (base, seen) = upstream().await;
    let alice = srv.token(Role::TenantAdmin, Some("acme"), "alice");
    register_weather(&srv, &alice, &base).await;

    let viewer = srv.token(Role::Viewer, Some("acme"), "vic");
    let sid = open(&srv, "/t/acme/mcp", &viewer).await;
    let r = rpc(&srv, "/t/acme/mcp", &viewer, &sid, 2, "tools/list", json!({})).await;
    assert!(tool_names(&r).contains(&"acme__weather__search".to_owned()), "{}", r.body);
    let r = rpc(
        &srv,
        "/t/acme/mcp",
        &viewer,
        &sid,
        3,
        "tools/call",
        json!({"name": "acme__weather__search", "arguments": {"q": "paris"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["result"]["isError"], true, "{}", r.body);
    assert!(seen.lock().is_empty(), "nothing reached the upstream");
    srv.stop().await;
}

#[tokio::test]
async fn tenants_are_isolated() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    srv.create_tenant("globex").await;
    let (base, _) = upstream().await;
    let alice = srv.token(Role::TenantAdmin, Some("acme"), "alice");
    register_weather(&srv, &alice, &base).await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}});

    // A globex token on acme's resource: no such resource for it.
    let gary = srv.token(Role::TenantAdmin, Some("globex"), "gary");
    let r = post(&srv, "/t/acme/mcp", Some(&gary), &[], init.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let (_, gkey) = srv.create_key("globex", "tenant-admin").await;
    let r = post(&srv, "/t/acme/mcp", Some(&gkey), &[], init.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Its own resource shows only its own tools.
    let sid = open(&srv, "/t/globex/mcp", &gary).await;
    let r = rpc(&srv, "/t/globex/mcp", &gary, &sid, 2, "tools/list", json!({})).await;
    let names = tool_names(&r);
    assert!(names.iter().all(|n| !n.starts_with("acme__")), "{names:?}");
    let r = rpc(
        &srv,
        "/t/globex/mcp",
        &gary,
        &sid,
        3,
        "tools/call",
        json!({"name": "acme__weather__search", "arguments": {"q": "x"}}),
    )
    .await;
    assert!(r.body["error"].is_object(), "{}", r.body);
    // A tenant token on the platform resource: refused.
    let r = post(&srv, "/mcp", Some(&alice), &[], init.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Unknown tenant: 404, even for the platform administrator.
    let r = post(&srv, "/t/nope/mcp", Some(&srv.admin()), &[], init.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // cpi-admin: any tenant's resource, and every tenant's registered operations on /mcp.
    let admin = srv.admin();
    let sid = open(&srv, "/t/acme/mcp", &admin).await;
    let r = rpc(&srv, "/t/acme/mcp", &admin, &sid, 2, "tools/list", json!({})).await;
    assert!(tool_names(&r).contains(&"acme__weather__search".to_owned()), "{}", r.body);
    let sid = open(&srv, "/mcp", &admin).await;
    let r = rpc(&srv, "/mcp", &admin, &sid, 2, "tools/list", json!({})).await;
    assert_eq!(tool_names(&r), vec!["acme__weather__search".to_owned()], "{}", r.body);
    let r = rpc(
        &srv,
        "/mcp",
        &admin,
        &sid,
        3,
        "tools/call",
        json!({"name": "acme__weather__search", "arguments": {"q": "x"}}),
    )
    .await;
    assert_eq!(r.body["result"]["isError"], false, "{}", r.body);
    srv.stop().await;
}

#[tokio::test]
async fn stateless_protocol_generation() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    let alice = srv.token(Role::TenantAdmin, Some("acme"), "alice");
    let meta = json!({"io.modelcontextprotocol/protocolVersion": STATELESS,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "it", "version": "1"}});
    let r = post(
        &srv,
        "/t/acme/mcp",
        Some(&alice),
        &[("mcp-protocol-version", STATELESS), ("mcp-method", "tools/list")],
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.headers.get("mcp-session-id").is_none(), "no session in 2026-07-28");
    assert!(tool_names(&r).contains(&"stoa_budget".to_owned()), "{}", r.body);
    let r = post(
        &srv,
        "/t/acme/mcp",
        Some(&alice),
        &[
            ("mcp-protocol-version", STATELESS),
            ("mcp-method", "tools/call"),
            ("mcp-name", "stoa_budget"),
        ],
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "stoa_budget", "arguments": {}, "_meta": meta}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["result"]["isError"], false, "{}", r.body);
    assert!(r.body["result"]["_meta"]["traceId"].is_string(), "{}", r.body);
    // Without a token: the same challenge.
    let r = post(
        &srv,
        "/t/acme/mcp",
        None,
        &[("mcp-protocol-version", STATELESS), ("mcp-method", "tools/list")],
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {"_meta": meta}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    srv.stop().await;
}

#[tokio::test]
async fn foreign_host_is_refused() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    let alice = srv.token(Role::TenantAdmin, Some("acme"), "alice");
    let r = post(
        &srv,
        "/t/acme/mcp",
        Some(&alice),
        &[("host", "evil.example")],
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}}),
    )
    .await;
    assert!(r.status.is_client_error(), "{} {}", r.status, r.body);
    assert!(r.headers.get("mcp-session-id").is_none());
    srv.stop().await;
}
