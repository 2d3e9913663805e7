//! The RBAC matrix (F-15): every control-plane route × every role × own/other tenant.
//! Tenant roles act in `acme`; `globex` is the other tenant. Another tenant's resources answer
//! 404, never 403.

use reqwest::{Method, StatusCode};
use serde_json::json;
use stoa_core::Role;

use crate::harness::TestServer;

const OK: u16 = 200;
const CREATED: u16 = 201;
const GONE: u16 = 204;
const FORBID: u16 = 403;
const NOPE: u16 = 404;

#[derive(Clone, Copy, Debug)]
enum Target {
    Own,
    Other,
}

/// Expected status for (cpi-admin, tenant-admin, devops, viewer).
struct Row {
    name: &'static str,
    target: Target,
    expect: [u16; 4],
}

const ROLES: [Role; 4] = [Role::CpiAdmin, Role::TenantAdmin, Role::Devops, Role::Viewer];

fn rows() -> Vec<Row> {
    use Target::*;
    let r = |name, target, expect| Row { name, target, expect };
    vec![
        r("list tenants", Own, [OK, OK, OK, OK]),
        r("create tenant", Own, [CREATED, FORBID, FORBID, FORBID]),
        r("read tenant", Own, [OK, OK, OK, OK]),
        r("read tenant", Other, [OK, NOPE, NOPE, NOPE]),
        r("patch settings", Own, [OK, OK, FORBID, FORBID]),
        r("patch settings", Other, [OK, NOPE, NOPE, NOPE]),
        r("patch name", Own, [OK, FORBID, FORBID, FORBID]),
        r("patch name", Other, [OK, NOPE, NOPE, NOPE]),
        r("delete tenant", Own, [GONE, FORBID, FORBID, FORBID]),
        r("delete tenant", Other, [GONE, NOPE, NOPE, NOPE]),
        r("create key", Own, [CREATED, CREATED, FORBID, FORBID]),
        r("create key", Other, [CREATED, NOPE, NOPE, NOPE]),
        r("list keys", Own, [OK, OK, FORBID, FORBID]),
        r("list keys", Other, [OK, NOPE, NOPE, NOPE]),
        r("revoke key", Own, [GONE, GONE, FORBID, FORBID]),
        r("revoke key", Other, [GONE, NOPE, NOPE, NOPE]),
        r("read chat settings", Own, [OK, OK, OK, OK]),
        r("read chat settings", Other, [OK, NOPE, NOPE, NOPE]),
        r("write chat settings", Own, [OK, OK, FORBID, FORBID]),
        r("write chat settings", Other, [OK, NOPE, NOPE, NOPE]),
        r("read usage", Own, [OK, OK, FORBID, FORBID]),
        r("read usage", Other, [OK, NOPE, NOPE, NOPE]),
    ]
}

#[tokio::test]
async fn rbac_matrix() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    srv.create_tenant("globex").await;
    let mut n = 0;
    for row in rows() {
        for (i, role) in ROLES.into_iter().enumerate() {
            n += 1;
            // cpi-admin names the tenant; tenant roles act in acme.
            let (token, own) = match role {
                Role::CpiAdmin => (srv.admin(), "acme"),
                r => (srv.token(r, Some("acme"), "alice"), "acme"),
            };
            let target = match row.target {
                Target::Own => own,
                Target::Other => "globex",
            };
            // Tenants to delete are made fresh so each row starts from the same state.
            let victim = format!("victim-{n}");
            let (method, path, body, header): (
                Method,
                String,
                Option<serde_json::Value>,
                Option<&str>,
            ) = match row.name {
                "list tenants" => (Method::GET, "/v1/tenants".into(), None, None),
                "create tenant" => (
                    Method::POST,
                    "/v1/tenants".into(),
                    Some(json!({"id": victim, "name": "v"})),
                    None,
                ),
                "read tenant" => (Method::GET, format!("/v1/tenants/{target}"), None, None),
                "patch settings" => (
                    Method::PATCH,
                    format!("/v1/tenants/{target}"),
                    Some(json!({"settings": {"notifications": {"n": n}}})),
                    None,
                ),
                "patch name" => (
                    Method::PATCH,
                    format!("/v1/tenants/{target}"),
                    Some(json!({"name": "Renamed"})),
                    None,
                ),
                "delete tenant" => {
                    let t = match (role, row.target) {
                        (Role::CpiAdmin, _) => {
                            srv.create_tenant(&victim).await;
                            victim.clone()
                        }
                        (_, Target::Own) => "acme".into(),
                        (_, Target::Other) => "globex".into(),
                    };
                    (Method::DELETE, format!("/v1/tenants/{t}"), None, None)
                }
                "create key" => (
                    Method::POST,
                    "/v1/api-keys".into(),
                    Some(json!({"name": "k", "role": "viewer"})),
                    Some(target),
                ),
                "list keys" => (Method::GET, "/v1/api-keys".into(), None, Some(target)),
                "revoke key" => {
                    let (id, _) = srv.create_key(target, "viewer").await;
                    (Method::DELETE, format!("/v1/api-keys/{id}"), None, Some(target))
                }
                "read chat settings" => {
                    (Method::GET, "/v1/chat/settings".into(), None, Some(target))
                }
                "write chat settings" => (
                    Method::PUT,
                    "/v1/chat/settings".into(),
                    Some(json!({"daily_token_budget": 1000 + n})),
                    Some(target),
                ),
                "read usage" => {
                    (Method::GET, "/v1/chat/usage?group_by=source".into(), None, Some(target))
                }
                other => panic!("unknown row {other}"),
            };
            let headers: Vec<(&str, &str)> =
                header.map(|h| vec![("x-stoa-tenant", h)]).unwrap_or_default();
            let (status, resp) = srv.call_h(method, &path, Some(&token), &headers, body).await;
            assert_eq!(
                status.as_u16(),
                row.expect[i],
                "{} ({:?}) as {role}: {resp}",
                row.name,
                row.target
            );
            if status.is_client_error() {
                assert!(resp["error"]["code"].is_string(), "error envelope: {resp}");
            }
        }
    }
    // The tenants were left as they were: acme and globex survive every refused delete.
    let (s, list) = srv.call(Method::GET, "/v1/tenants", Some(&srv.admin()), None).await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<&str> =
        list["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"acme") && ids.contains(&"globex"), "{ids:?}");
    srv.stop().await;
}

#[tokio::test]
async fn tenant_roles_list_only_their_tenant() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    srv.create_tenant("globex").await;
    let (_, all) = srv.call(Method::GET, "/v1/tenants", Some(&srv.admin()), None).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 3, "default, acme, globex: {all}");
    let viewer = srv.token(Role::Viewer, Some("acme"), "v");
    let (_, own) = srv.call(Method::GET, "/v1/tenants", Some(&viewer), None).await;
    let ids: Vec<&str> =
        own["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["acme"]);
    srv.stop().await;
}

#[tokio::test]
async fn api_key_principals_follow_the_same_table() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    let (_, viewer_key) = srv.create_key("acme", "viewer").await;
    let (_, admin_key) = srv.create_key("acme", "tenant-admin").await;
    let body = json!({"name": "k", "role": "viewer"});
    let (s, _) =
        srv.call(Method::POST, "/v1/api-keys", Some(&viewer_key), Some(body.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = srv.call(Method::POST, "/v1/api-keys", Some(&admin_key), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = srv.call(Method::GET, "/v1/tenants/default", Some(&admin_key), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A key never carries cpi-admin, and a tenant-admin cannot mint one.
    let (s, b) = srv
        .call(
            Method::POST,
            "/v1/api-keys",
            Some(&admin_key),
            Some(json!({"name": "x", "role": "cpi-admin"})),
        )
        .await;
    crate::harness::assert_error(s, &b, StatusCode::BAD_REQUEST, "invalid_role");
    srv.stop().await;
}
