//! The tenant API registry (F-70, F-16): registration turns operations into tools with wire
//! names; the credential is write-only; RBAC, tenant isolation, invalid documents, prod mode.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stoa_core::Role;

use crate::harness::{TestServer, assert_error};

fn petstore() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Pets", "version": "1"},
        "paths": {
            "/pets": {
                "get": {"operationId": "listPets", "summary": "List pets",
                    "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}]},
                "post": {"summary": "Create a pet", "requestBody": {"required": true,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}}
            },
            "/pets/{petId}": {"get": {"operationId": "showPet",
                "parameters": [{"name": "petId", "in": "path", "required": true, "schema": {"type": "string"}}]}}
        },
        "components": {"schemas": {"Pet": {"type": "object", "required": ["name"],
            "properties": {"name": {"type": "string"}}}}}
    })
}

#[tokio::test]
async fn register_list_and_isolation() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    srv.create_tenant("globex").await;
    let devops = srv.token(Role::Devops, Some("acme"), "dee");
    let body = json!({"name": "petstore", "base_url": "http://127.0.0.1:9/api", "openapi": petstore(),
        "credential": {"header": "x-api-key", "value": "upstream-secret-123"}});
    let (s, api) = srv.call(Method::POST, "/v1/apis", Some(&devops), Some(body.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{api}");
    let names: Vec<&str> =
        api["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        vec!["acme__petstore__listPets", "acme__petstore__post_pets", "acme__petstore__showPet"]
    );
    let create = &api["tools"][1];
    assert_eq!(
        create["input_schema"]["properties"]["body"]["required"],
        json!(["name"]),
        "refs inlined: {create}"
    );
    assert_eq!(api["has_credential"], true);
    assert!(!api.to_string().contains("upstream-secret"), "the credential is write-only");
    let (s, b) = srv.call(Method::POST, "/v1/apis", Some(&devops), Some(body)).await;
    assert_error(s, &b, StatusCode::CONFLICT, "api_exists");

    // Viewers list; they may not register. Other tenants see nothing of it.
    let viewer = srv.token(Role::Viewer, Some("acme"), "vic");
    let (s, list) = srv.call(Method::GET, "/v1/apis", Some(&viewer), None).await;
    assert_eq!((s, list["data"].as_array().unwrap().len()), (StatusCode::OK, 1));
    let (s, b) = srv
        .call(
            Method::POST,
            "/v1/apis",
            Some(&viewer),
            Some(json!({"name": "x", "base_url": "http://a.example", "openapi": petstore()})),
        )
        .await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "forbidden");
    let other = srv.token(Role::TenantAdmin, Some("globex"), "gus");
    let (_, list) = srv.call(Method::GET, "/v1/apis", Some(&other), None).await;
    assert_eq!(list["data"], json!([]));
    let (s, _) = srv.call(Method::GET, "/v1/apis/petstore", Some(&other), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = srv.call(Method::DELETE, "/v1/apis/petstore", Some(&other), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Invalid documents are 422 and name the problem.
    let mut broken = petstore();
    broken["paths"]["/pets/{petId}"]["get"]["parameters"][0]["required"] = json!(false);
    let (s, b) = srv
        .call(
            Method::POST,
            "/v1/apis",
            Some(&devops),
            Some(json!({"name": "broken", "base_url": "http://a.example", "openapi": broken})),
        )
        .await;
    assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_openapi");
    assert!(b["error"]["message"].as_str().unwrap().contains("petId"), "{b}");
    let (s, b) = srv
        .call(
            Method::POST,
            "/v1/apis",
            Some(&devops),
            Some(
                json!({"name": "Bad Name", "base_url": "http://a.example", "openapi": petstore()}),
            ),
        )
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "invalid_api_name");

    let (s, _) = srv.call(Method::DELETE, "/v1/apis/petstore", Some(&devops), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = srv.call(Method::GET, "/v1/apis/petstore", Some(&devops), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    srv.stop().await;
}

#[tokio::test]
async fn prod_mode_guards_writes_and_upstreams() {
    let srv = TestServer::start_with(&[("STOA_ENVIRONMENT", "prod")]).await;
    srv.create_tenant("acme").await;
    let ta = srv.token(Role::TenantAdmin, Some("acme"), "t");
    let body =
        json!({"name": "pets", "base_url": "https://api.example.com", "openapi": petstore()});
    let (s, b) = srv.call(Method::POST, "/v1/apis", Some(&ta), Some(body)).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "prod_writes_disabled");
    srv.stop().await;

    let srv = TestServer::start_with(&[
        ("STOA_ENVIRONMENT", "prod"),
        ("STOA_ALLOW_PROD_API_WRITES", "true"),
        ("STOA_UPSTREAM_ALLOWLIST", "10.0.0.7"),
    ])
    .await;
    srv.create_tenant("acme").await;
    let ta = srv.token(Role::TenantAdmin, Some("acme"), "t");
    for (name, url, want) in [
        ("a", "https://api.example.com", StatusCode::CREATED),
        ("b", "http://127.0.0.1:8080", StatusCode::FORBIDDEN),
        ("c", "http://192.168.1.10", StatusCode::FORBIDDEN),
        ("d", "http://10.0.0.7:8080", StatusCode::CREATED),
    ] {
        let (s, b) = srv
            .call(
                Method::POST,
                "/v1/apis",
                Some(&ta),
                Some(json!({"name": name, "base_url": url, "openapi": petstore()})),
            )
            .await;
        assert_eq!(s, want, "{url}: {b}");
    }
    srv.stop().await;
}

/// Tool isolation: random registrations in two tenants; no tool of one ever appears in the
/// other's listing (API, MCP tools), whatever the names.
#[tokio::test]
async fn tool_isolation_under_random_registrations() {
    let srv = TestServer::start().await;
    srv.create_tenant("alpha").await;
    srv.create_tenant("alpha-2").await;
    let tokens = [
        srv.token(Role::Devops, Some("alpha"), "a"),
        srv.token(Role::Devops, Some("alpha-2"), "b"),
    ];
    let mut seed: u64 = 0x5eed_1234;
    let mut next = move |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let mut registered: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for i in 0..24 {
        let t = usize::try_from(next(2)).unwrap();
        let name =
            format!("api-{}-{i}", ["x", "alpha", "2", "beta"][usize::try_from(next(4)).unwrap()]);
        let ops = 1 + next(3);
        let mut paths = serde_json::Map::new();
        for o in 0..ops {
            let op_id = if next(2) == 0 {
                format!("op{o}_{}", "y".repeat(usize::try_from(next(60)).unwrap()))
            } else {
                String::new()
            };
            let mut op = json!({"summary": format!("operation {o}")});
            if !op_id.is_empty() {
                op["operationId"] = json!(op_id);
            }
            paths.insert(format!("/r{o}"), json!({"get": op}));
        }
        let doc =
            json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths});
        let (s, b) = srv
            .call(
                Method::POST,
                "/v1/apis",
                Some(&tokens[t]),
                Some(json!({"name": name, "base_url": "http://example.com", "openapi": doc})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        registered[t].extend(
            b["tools"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap().to_owned()),
        );
    }
    for t in 0..2 {
        let other = 1 - t;
        let tenant = stoa_core::TenantId::parse(["alpha", "alpha-2"][t]).unwrap();
        let principal = srv.core().authenticate(&tokens[t]).await.unwrap();
        let listed: Vec<String> = srv
            .core()
            .list_tools(&principal, &tenant)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.name)
            .collect();
        for name in &registered[other] {
            assert!(!listed.contains(name), "{name} of the other tenant listed for {tenant}");
        }
        for name in &registered[t] {
            assert!(listed.contains(name), "{name} missing for {tenant}");
        }
        let (_, apis) = srv.call(Method::GET, "/v1/apis", Some(&tokens[t]), None).await;
        let via_api: Vec<&str> = apis["data"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| {
                a["tools"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap())
            })
            .collect();
        assert!(via_api.iter().all(|n| registered[t].iter().any(|r| r == n)), "{via_api:?}");
        // Calling the other tenant's tool by name is not possible either.
        if let Some(name) = registered[other].first() {
            let r = srv.core().call_tool(&principal, &tenant, name, &json!({})).await;
            assert!(matches!(r, Err(stoa_core::Error::NotFound { .. })), "{r:?}");
        }
    }
    srv.stop().await;
}

/// F-73: `/apis/{tenant}/{api}/…` forwards with the API's own credential, never the caller's
/// token; tenants and roles are enforced; a demo API answers with an echo when its upstream is
/// unreachable.
#[tokio::test]
async fn passthrough_and_echo_backend() {
    use axum::http::{HeaderMap, Uri};
    use std::sync::Arc;
    type Seen =
        Arc<parking_lot::Mutex<Vec<(String, Option<String>, Option<String>, Option<String>)>>>;
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let seen = s2.clone();
        async move {
            let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
            seen.lock().push((
                uri.to_string(),
                h("x-api-key"),
                h("authorization"),
                h("traceparent"),
            ));
            (
                axum::http::StatusCode::IM_A_TEAPOT,
                axum::Json(json!({"from": "upstream", "uri": uri.to_string()})),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    srv.create_tenant("globex").await;
    let devops = srv.token(Role::Devops, Some("acme"), "dee");
    for (name, url, echo) in [
        ("pets", base.as_str(), false),
        ("demo", "http://127.0.0.1:9", true),
        ("dead", "http://127.0.0.1:9", false),
    ] {
        let (s, b) = srv
            .call(Method::POST, "/v1/apis", Some(&devops), Some(json!({"name": name, "base_url": url, "openapi": petstore(),
                "credential": {"header": "x-api-key", "value": "pets-secret"}, "echo_when_unreachable": echo})))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let resp = srv
        .client
        .get(format!("{}/apis/acme/pets/pets/1?x=2", srv.url))
        .bearer_auth(&devops)
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 418, "the upstream's status is relayed");
    let ours = resp.headers()["traceparent"].to_str().unwrap().to_owned();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["uri"], "/api/pets/1?x=2");
    let calls = seen.lock().clone();
    assert_eq!(calls[0].1.as_deref(), Some("pets-secret"));
    assert_eq!(calls[0].2, None, "the caller's token never goes upstream");
    assert_eq!(calls[0].3.as_deref(), Some(ours.as_str()), "the API joins the request's trace");
    assert!(ours.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{ours}");

    let (s, _) =
        srv.call(Method::GET, "/apis/acme/pets/pets/..%2F..%2Fadmin", Some(&devops), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "no traversal out of the API's base path");
    let viewer = srv.token(Role::Viewer, Some("acme"), "vic");
    let (s, _) = srv.call(Method::GET, "/apis/acme/pets/pets", Some(&viewer), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let other = srv.token(Role::Devops, Some("globex"), "gus");
    let (s, _) = srv.call(Method::GET, "/apis/acme/pets/pets", Some(&other), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = srv.call(Method::GET, "/apis/acme/pets/pets", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(seen.lock().len(), 1, "no refused call reached the upstream");

    let resp = srv
        .client
        .post(format!("{}/apis/acme/demo/pets", srv.url))
        .bearer_auth(&devops)
        .json(&json!({"name": "rex"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-stoa-echo"], "true");
    let echo: Value = resp.json().await.unwrap();
    assert_eq!(
        (echo["method"].as_str(), echo["path"].as_str(), echo["body"]["name"].as_str()),
        (Some("POST"), Some("/pets"), Some("rex"))
    );
    let (s, b) = srv.call(Method::GET, "/apis/acme/dead/pets", Some(&devops), None).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("upstream_unreachable")),
        "{b}"
    );
    srv.stop().await;
}
