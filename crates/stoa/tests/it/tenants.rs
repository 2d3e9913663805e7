//! Tenant lifecycle (F-10, F-11): suspended is read-only, archived has no access, delete
//! cascades. Runs on SQLite and, when configured, PostgreSQL.

use reqwest::{Method, StatusCode};
use serde_json::json;
use stoa_core::Role;

use crate::harness::{TestServer, assert_error};

async fn lifecycle(srv: &TestServer) {
    let admin = srv.admin();
    srv.create_tenant("acme").await;
    let ta = srv.token(Role::TenantAdmin, Some("acme"), "alice");
    let (_, key) = srv.create_key("acme", "tenant-admin").await;

    let set_status = |status: &'static str| {
        let admin = admin.clone();
        async move {
            let (s, b) = srv
                .call(
                    Method::PATCH,
                    "/v1/tenants/acme",
                    Some(&admin),
                    Some(json!({"status": status})),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
            assert_eq!(b["status"], status);
        }
    };

    // Suspended: reads work, writes are refused with tenant_suspended, for tokens and keys.
    set_status("suspended").await;
    for cred in [&ta, &key] {
        let (s, b) = srv.call(Method::GET, "/v1/tenants/acme", Some(cred), None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = srv.call(Method::GET, "/v1/api-keys", Some(cred), None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = srv
            .call(
                Method::PATCH,
                "/v1/tenants/acme",
                Some(cred),
                Some(json!({"settings": {"x": 1}})),
            )
            .await;
        assert_error(s, &b, StatusCode::FORBIDDEN, "tenant_suspended");
        let (s, b) = srv
            .call(
                Method::POST,
                "/v1/api-keys",
                Some(cred),
                Some(json!({"name": "n", "role": "viewer"})),
            )
            .await;
        assert_error(s, &b, StatusCode::FORBIDDEN, "tenant_suspended");
    }
    // Nothing changed while suspended.
    let (_, t) = srv.call(Method::GET, "/v1/tenants/acme", Some(&admin), None).await;
    assert!(t["settings"].get("x").is_none(), "{t}");
    let (_, keys) = srv
        .call_h(Method::GET, "/v1/api-keys", Some(&admin), &[("x-stoa-tenant", "acme")], None)
        .await;
    assert_eq!(keys["data"].as_array().unwrap().len(), 1);

    // Archived: no access at all for tenant roles; the platform still reads it.
    set_status("archived").await;
    for cred in [&ta, &key] {
        for path in ["/v1/tenants/acme", "/v1/tenants", "/v1/api-keys"] {
            let (s, b) = srv.call(Method::GET, path, Some(cred), None).await;
            assert_error(s, &b, StatusCode::FORBIDDEN, "tenant_archived");
        }
    }
    let (s, _) = srv.call(Method::GET, "/v1/tenants/acme", Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK);

    // Reactivated: writes work again.
    set_status("active").await;
    let (s, _) = srv
        .call(Method::PATCH, "/v1/tenants/acme", Some(&ta), Some(json!({"settings": {"x": 1}})))
        .await;
    assert_eq!(s, StatusCode::OK);

    // Delete cascades: the key is gone (401), the tenant's token no longer authenticates.
    let (s, _) = srv.call(Method::DELETE, "/v1/tenants/acme", Some(&admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = srv.call(Method::GET, "/v1/whoami", Some(&key), None).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "invalid_api_key");
    let (s, _) = srv.call(Method::GET, "/v1/tenants", Some(&ta), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = srv.call(Method::GET, "/v1/tenants/acme", Some(&admin), None).await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
    assert!(
        srv.core()
            .store()
            .list_api_keys(&stoa_core::TenantId::parse("acme").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    // Re-creating the id starts from nothing.
    srv.create_tenant("acme").await;
    let (_, keys) = srv
        .call_h(Method::GET, "/v1/api-keys", Some(&admin), &[("x-stoa-tenant", "acme")], None)
        .await;
    assert_eq!(keys["data"], json!([]));
}

#[tokio::test]
async fn lifecycle_sqlite() {
    let srv = TestServer::start().await;
    lifecycle(&srv).await;
    srv.stop().await;
}

#[tokio::test]
async fn lifecycle_postgres() {
    let Some(srv) = TestServer::start_pg("stoa::tenants::lifecycle_postgres").await else { return };
    lifecycle(&srv).await;
    srv.stop().await;
}

#[tokio::test]
async fn create_validation() {
    let srv = TestServer::start().await;
    let admin = srv.admin();
    for (body, code) in [
        (json!({"id": "Acme", "name": "x"}), "invalid_tenant_id"),
        (json!({"id": "a", "name": "x"}), "invalid_tenant_id"),
        (json!({"id": "ok-id", "name": "  "}), "invalid_field"),
        (json!({"id": "ok-id", "name": "x", "settings": {"tier": "gold"}}), "invalid_settings"),
        (
            json!({"id": "ok-id", "name": "x", "settings": {"auth": {"issuer": "ftp://x"}}}),
            "invalid_settings",
        ),
    ] {
        let (s, b) = srv.call(Method::POST, "/v1/tenants", Some(&admin), Some(body)).await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, code);
    }
    srv.create_tenant("acme").await;
    let (s, b) = srv
        .call(Method::POST, "/v1/tenants", Some(&admin), Some(json!({"id": "acme", "name": "x"})))
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "tenant_exists");
    let (s, b) = srv
        .call(Method::PATCH, "/v1/tenants/acme", Some(&admin), Some(json!({"status": "deleted"})))
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "invalid_status");
    // Settings merge, tier shows through.
    let (s, b) = srv
        .call(
            Method::PATCH,
            "/v1/tenants/acme",
            Some(&admin),
            Some(json!({"settings": {"tier": "starter", "a": {"b": 1}}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, b) = srv
        .call(
            Method::PATCH,
            "/v1/tenants/acme",
            Some(&admin),
            Some(json!({"settings": {"a": {"c": 2}}})),
        )
        .await;
    assert_eq!(b["settings"], json!({"tier": "starter", "a": {"b": 1, "c": 2}}));
    assert_eq!(b["tier"], "starter");
    srv.stop().await;
}
