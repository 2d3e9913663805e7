//! API keys (F-14): shown once, stored as a keyed hash, revocation and expiry take effect.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{TestServer, assert_error};

#[tokio::test]
async fn key_lifecycle() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    let admin = srv.admin();
    let (s, created) = srv
        .call_h(
            Method::POST,
            "/v1/api-keys",
            Some(&admin),
            &[("x-stoa-tenant", "acme")],
            Some(json!({"name": "ci", "role": "devops", "purposes": ["chat"], "daily_token_budget": 5000})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("stoa_sk_"));
    assert_eq!(created["tenant_id"], "acme");
    assert_eq!(created["status"], "active");
    assert!(key.ends_with(created["hint"].as_str().unwrap()));

    // The key works, as a devops principal of acme.
    let (s, me) = srv.call(Method::GET, "/v1/whoami", Some(&key), None).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(
        me,
        json!({"subject": format!("apikey:{id}"), "role": "devops", "tenant_id": "acme", "credential": "api_key"})
    );

    // Shown once: listings never carry it.
    let (_, list) = srv
        .call_h(Method::GET, "/v1/api-keys", Some(&admin), &[("x-stoa-tenant", "acme")], None)
        .await;
    assert!(!list.to_string().contains(&key[8..]), "{list}");
    assert_eq!(list["data"][0]["purposes"], json!(["chat"]));
    assert_eq!(list["data"][0]["daily_token_budget"], 5000);

    // Stored only as a hash: the database holds no key material.
    let db = std::fs::read(srv.dir.path().join("stoa.db")).unwrap();
    assert!(
        !db.windows(key.len() - 8).any(|w| w == &key.as_bytes()[8..]),
        "key body in the database file"
    );

    // Revoked: 401 at once (the cache is invalidated), and revoking again is 404.
    let (s, _) = srv
        .call_h(
            Method::DELETE,
            &format!("/v1/api-keys/{id}"),
            Some(&admin),
            &[("x-stoa-tenant", "acme")],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = srv.call(Method::GET, "/v1/whoami", Some(&key), None).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "invalid_api_key");
    let (s, _) = srv
        .call_h(
            Method::DELETE,
            &format!("/v1/api-keys/{id}"),
            Some(&admin),
            &[("x-stoa-tenant", "acme")],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = srv
        .call_h(Method::GET, "/v1/api-keys", Some(&admin), &[("x-stoa-tenant", "acme")], None)
        .await;
    assert_eq!(list["data"][0]["status"], "revoked");
    srv.stop().await;
}

#[tokio::test]
async fn bad_keys_and_expiry() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    let admin = srv.admin();
    for bad in ["stoa_sk_nope", "stoa_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sk-ant-xyz"]
    {
        let (s, b) = srv.call(Method::GET, "/v1/whoami", Some(bad), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{bad}: {b}");
    }
    let (s, b) = srv.call(Method::GET, "/v1/whoami", None, None).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "unauthorized");

    let (s, b) = srv
        .call_h(
            Method::POST,
            "/v1/api-keys",
            Some(&admin),
            &[("x-stoa-tenant", "acme")],
            Some(json!({"name": "old", "role": "viewer", "expires_at": "2020-01-01T00:00:00Z"})),
        )
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "invalid_expiry");
    // A key that expires in two seconds works, then does not.
    let soon = stoa_core::clock::to_rfc3339(stoa_core::clock::now_ms() + 3_000);
    let (s, b) = srv
        .call_h(
            Method::POST,
            "/v1/api-keys",
            Some(&admin),
            &[("x-stoa-tenant", "acme")],
            Some(json!({"name": "short", "role": "viewer", "expires_at": soon})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let key = b["key"].as_str().unwrap().to_owned();
    let (s, _) = srv.call(Method::GET, "/v1/whoami", Some(&key), None).await;
    assert_eq!(s, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(3_200)).await;
    let (s, _) = srv.call(Method::GET, "/v1/whoami", Some(&key), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // A platform caller must name the tenant.
    let (s, b) = srv
        .call(
            Method::POST,
            "/v1/api-keys",
            Some(&admin),
            Some(json!({"name": "k", "role": "viewer"})),
        )
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "tenant_required");
    srv.stop().await;
}
