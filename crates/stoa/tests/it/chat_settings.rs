//! `/v1/chat/settings` (F-54 budgets and toggles) and `/v1/chat/usage` (F-55) access and shape.

use reqwest::{Method, StatusCode};
use serde_json::json;
use stoa_core::Role;

use crate::harness::{TestServer, assert_error};

#[tokio::test]
async fn settings_rbac_and_defaults() {
    let srv = TestServer::start_with(&[("CHAT_DEFAULT_MONTHLY_LIMIT", "3000000")]).await;
    srv.create_tenant("acme").await;
    srv.create_tenant("globex").await;
    let ta = srv.token(Role::TenantAdmin, Some("acme"), "alice");
    let viewer = srv.token(Role::Viewer, Some("acme"), "vic");
    let devops = srv.token(Role::Devops, Some("acme"), "dev");

    let (s, b) = srv.call(Method::GET, "/v1/chat/settings", Some(&viewer), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b,
        json!({"console_enabled": true, "portal_enabled": true, "daily_token_budget": 100000, "monthly_token_budget": 3000000})
    );
    for who in [&viewer, &devops] {
        let (s, b) = srv
            .call(
                Method::PUT,
                "/v1/chat/settings",
                Some(who),
                Some(json!({"daily_token_budget": 5})),
            )
            .await;
        assert_error(s, &b, StatusCode::FORBIDDEN, "forbidden");
    }
    let (s, b) = srv
        .call(
            Method::PUT,
            "/v1/chat/settings",
            Some(&ta),
            Some(json!({"daily_token_budget": 5000, "portal_enabled": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["daily_token_budget"].as_u64(), b["portal_enabled"].as_bool()),
        (Some(5000), Some(false))
    );
    assert_eq!(b["monthly_token_budget"], 3000000, "untouched fields keep their value");
    // Stored in the tenant's settings, so it applies to every LLM call of the tenant.
    let (_, t) = srv.call(Method::GET, "/v1/tenants/acme", Some(&ta), None).await;
    assert_eq!(t["settings"]["quotas"]["daily_token_budget"], 5000, "{t}");
    // Another tenant: 404 for a tenant role; cpi-admin names it.
    let (s, _) = srv
        .call_h(Method::GET, "/v1/chat/settings", Some(&ta), &[("x-stoa-tenant", "globex")], None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, b) = srv
        .call_h(
            Method::PUT,
            "/v1/chat/settings",
            Some(&srv.admin()),
            &[("x-stoa-tenant", "globex")],
            Some(json!({"monthly_token_budget": 10})),
        )
        .await;
    assert_eq!((s, b["monthly_token_budget"].as_u64()), (StatusCode::OK, Some(10)));
    let (s, b) = srv
        .call(Method::PUT, "/v1/chat/settings", Some(&ta), Some(json!({"daily_token_budget": -1})))
        .await;
    assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    let (s, b) =
        srv.call(Method::PUT, "/v1/chat/settings", Some(&ta), Some(json!({"colour": 1}))).await;
    assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    srv.stop().await;
}

#[tokio::test]
async fn usage_access_and_validation() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    let ta = srv.token(Role::TenantAdmin, Some("acme"), "alice");
    let viewer = srv.token(Role::Viewer, Some("acme"), "vic");
    let (s, b) = srv.call(Method::GET, "/v1/chat/usage?group_by=model", Some(&ta), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["groups"], json!([]));
    assert_eq!(b["totals"]["requests"], 0);
    let (s, b) = srv.call(Method::GET, "/v1/chat/usage", Some(&viewer), None).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "forbidden");
    let (s, b) = srv.call(Method::GET, "/v1/chat/usage?group_by=colour", Some(&ta), None).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "invalid_group_by");
    let (s, b) = srv.call(Method::GET, "/v1/chat/usage?from=yesterday", Some(&ta), None).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "invalid_time");
    let (s, b) = srv.call(Method::GET, "/v1/chat/usage?bogus=1", Some(&ta), None).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "invalid_query");
    srv.stop().await;
}
