//! Strict JSON extraction: bad bodies get a clear 4xx with our envelope, never a 500.

use reqwest::{Method, StatusCode};

use crate::harness::{TestServer, assert_error};

#[tokio::test]
async fn bad_bodies() {
    let srv = TestServer::start().await;
    let admin = srv.admin();
    let post = |body: Vec<u8>, content_type: Option<&'static str>| {
        let mut req =
            srv.client.post(format!("{}/v1/tenants", srv.url)).bearer_auth(&admin).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status();
            (status, resp.json::<serde_json::Value>().await.unwrap())
        }
    };
    let json = Some("application/json");
    let (s, b) = post(b"{\"id\": \"acme\",".to_vec(), json).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "malformed_json");
    let (s, b) = post(b"{\"id\": 42, \"name\": \"x\"}".to_vec(), json).await;
    assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    let (s, b) =
        post(b"{\"id\": \"acme\", \"name\": \"x\", \"colour\": \"red\"}".to_vec(), json).await;
    assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    let (s, b) = post(b"{\"id\": \"ac\xff\xfeme\", \"name\": \"x\"}".to_vec(), json).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "malformed_json");
    let (s, b) = post(b"{\"id\": \"acme\", \"name\": \"x\"}".to_vec(), None).await;
    assert_error(s, &b, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let mut huge = b"{\"id\": \"acme\", \"name\": \"".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 2 * 1024 * 1024));
    huge.extend(b"\"}");
    let (s, b) = post(huge, json).await;
    assert_error(s, &b, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Nothing was created by any of these.
    let (_, list) = srv.call(Method::GET, "/v1/tenants", Some(&admin), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");

    let (s, b) = srv.call(Method::GET, "/v1/nowhere", Some(&admin), None).await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
    let (s, b) = srv.call(Method::PUT, "/v1/tenants", Some(&admin), None).await;
    assert_error(s, &b, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let (s, b) = srv
        .call_h(Method::GET, "/v1/api-keys", Some(&admin), &[("x-stoa-tenant", "../etc")], None)
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "invalid_tenant_id");
    srv.stop().await;
}

#[tokio::test]
async fn health_and_openapi() {
    let srv = TestServer::start().await;
    let (s, b) = srv.call(Method::GET, "/healthz", None, None).await;
    assert_eq!((s, &b["status"]), (StatusCode::OK, &serde_json::json!("ok")));
    let (s, b) = srv.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["checks"]["database"], "ok");
    let (s, b) = srv.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(b["openapi"].as_str().unwrap().starts_with("3."));
    assert!(b["paths"]["/v1/tenants/{id}"]["patch"].is_object());
    let (s, b) = srv.call(Method::GET, "/.well-known/jwks.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["keys"][0]["crv"], "Ed25519");
    assert!(b["keys"][0].get("d").is_none(), "no private part: {b}");
    srv.stop().await;
}
