//! JWT authentication through the HTTP layer (F-12, F-13): the attack set, and a tenant realm
//! served by a JWKS endpoint on loopback (key rotation, wrong tenant, unknown issuer never
//! fetched).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use parking_lot::Mutex;
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use stoa_auth::BuiltinIssuer;
use stoa_core::Role;

use crate::harness::{TestServer, assert_error};

fn b64(v: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(v)
}

fn extra(pairs: Value) -> Map<String, Value> {
    pairs.as_object().cloned().unwrap()
}

#[tokio::test]
async fn attack_set_is_refused() {
    let srv = TestServer::start().await;
    let url = srv.core().config().public_url.clone();
    let good = srv.token(Role::CpiAdmin, None, "admin");
    let (s, _) = srv.call(Method::GET, "/v1/whoami", Some(&good), None).await;
    assert_eq!(s, StatusCode::OK);
    let parts: Vec<&str> = good.split('.').collect();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();

    let mut attacks: Vec<(&str, String)> = Vec::new();
    // alg none, no signature.
    let none_header = json!({"alg": "none", "typ": "JWT", "kid": header["kid"]});
    attacks
        .push(("alg none", format!("{}.{}.", b64(none_header.to_string().as_bytes()), parts[1])));
    // Tampered payload: escalate the subject, keep the signature.
    let mut tampered = payload.clone();
    tampered["sub"] = json!("mallory");
    attacks.push((
        "tampered",
        format!("{}.{}.{}", parts[0], b64(tampered.to_string().as_bytes()), parts[2]),
    ));
    // Signed by another key that claims the same issuer and kid.
    let forger = BuiltinIssuer::generate().unwrap();
    let forged = forger
        .issue(&url, &url, "admin", Duration::from_secs(60), extra(json!({"roles": ["cpi-admin"]})))
        .unwrap();
    let fparts: Vec<&str> = forged.split('.').collect();
    attacks.push(("wrong key", format!("{}.{}.{}", parts[0], fparts[1], fparts[2])));
    attacks.push(("wrong key (own kid)", forged));
    // HS256 with the server's public key as the HMAC secret.
    let (_, jwks) = srv.call(Method::GET, "/.well-known/jwks.json", None, None).await;
    let public = URL_SAFE_NO_PAD.decode(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
    let mut hs_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs_header.kid = header["kid"].as_str().map(str::to_owned);
    let hs = jsonwebtoken::encode(
        &hs_header,
        &payload,
        &jsonwebtoken::EncodingKey::from_secret(&public),
    )
    .unwrap();
    attacks.push(("HS256 with public key", hs));
    // Expired and not-yet-valid tokens need the server's signing key to forge; stoa-auth's
    // unit tests cover them. Here: an issuer nobody configured.
    let other_iss = forger
        .issue(
            "http://127.0.0.1:1/evil",
            &url,
            "admin",
            Duration::from_secs(60),
            extra(json!({"roles": ["cpi-admin"]})),
        )
        .unwrap();
    attacks.push(("unknown issuer", other_iss));
    attacks.push(("garbage", "not.a.jwt".into()));
    attacks.push(("two segments", format!("{}.{}", parts[0], parts[1])));
    attacks.push(("huge", "a".repeat(20_000)));

    for (name, token) in attacks {
        let (s, b) = srv.call(Method::GET, "/v1/whoami", Some(&token), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{name}: {b}");
        assert!(
            !b.to_string().contains(&token[..token.len().min(40)]) || token.len() < 12,
            "{name}: token echoed"
        );
    }
    srv.stop().await;
}

#[derive(Clone, Default)]
struct Realm {
    keys: Arc<Mutex<Value>>,
    hits: Arc<Mutex<std::collections::HashMap<String, usize>>>,
    total: Arc<AtomicUsize>,
}

async fn jwks(State(realm): State<Realm>, Path(name): Path<String>) -> Json<Value> {
    realm.total.fetch_add(1, Ordering::SeqCst);
    *realm.hits.lock().entry(name).or_default() += 1;
    Json(realm.keys.lock().clone())
}

#[tokio::test]
async fn tenant_realm_tokens() {
    let srv = TestServer::start_with(&[("STOA_JWKS_MIN_REFRESH_SECS", "0")]).await;
    let aud = srv.core().config().public_url.clone();
    let realm = Realm::default();
    let key1 = BuiltinIssuer::generate().unwrap();
    *realm.keys.lock() = key1.jwks();
    let app = axum::Router::new().route("/realms/{name}/jwks", get(jwks)).with_state(realm.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let iss = format!("{base}/realms/acme");
    srv.create_tenant("acme").await;
    srv.create_tenant("globex").await;
    let (s, b) = srv
        .call(
            Method::PATCH,
            "/v1/tenants/acme",
            Some(&srv.admin()),
            Some(json!({"settings": {"auth": {"issuer": iss, "jwks_uri": format!("{iss}/jwks")}}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let sign = |key: &BuiltinIssuer, iss: &str, aud: &str, claims: Value| {
        key.issue(iss, aud, "alice@acme", Duration::from_secs(300), extra(claims)).unwrap()
    };
    // A realm token acts for its tenant with its role.
    let t = sign(
        &key1,
        &iss,
        &aud,
        json!({"realm_access": {"roles": ["tenant-admin", "offline_access"]}}),
    );
    let (s, me) = srv.call(Method::GET, "/v1/whoami", Some(&t), None).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(
        (me["tenant_id"].as_str(), me["role"].as_str()),
        (Some("acme"), Some("tenant-admin"))
    );
    let (s, _) = srv.call(Method::GET, "/v1/tenants/globex", Some(&t), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "realm A reaches tenant A only");
    // A tenant realm cannot grant platform roles.
    let t = sign(&key1, &iss, &aud, json!({"roles": ["cpi-admin"]}));
    let (s, b) = srv.call(Method::GET, "/v1/tenants", Some(&t), None).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "no_role");
    // Claiming another tenant is refused.
    let t = sign(&key1, &iss, &aud, json!({"roles": ["viewer"], "tenant_id": "globex"}));
    let (s, _) = srv.call(Method::GET, "/v1/whoami", Some(&t), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Wrong audience.
    let t = sign(&key1, &iss, "https://elsewhere.example", json!({"roles": ["viewer"]}));
    let (s, _) = srv.call(Method::GET, "/v1/whoami", Some(&t), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The built-in issuer no longer speaks for a tenant with its own realm.
    let builtin = srv.token(Role::TenantAdmin, Some("acme"), "alice");
    let (s, _) = srv.call(Method::GET, "/v1/whoami", Some(&builtin), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Other tenants still accept built-in tokens.
    let builtin = srv.token(Role::Viewer, Some("globex"), "bob");
    let (s, _) = srv.call(Method::GET, "/v1/whoami", Some(&builtin), None).await;
    assert_eq!(s, StatusCode::OK);

    // Key rotation: the realm publishes a new key; a token with its kid triggers one refresh.
    let fetched = realm.total.load(Ordering::SeqCst);
    assert_eq!(fetched, 1, "keys cached across requests");
    let key2 = BuiltinIssuer::generate().unwrap();
    *realm.keys.lock() = key2.jwks();
    let t = sign(&key2, &iss, &aud, json!({"roles": ["devops"]}));
    let (s, me) = srv.call(Method::GET, "/v1/whoami", Some(&t), None).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "devops");
    assert_eq!(realm.total.load(Ordering::SeqCst), 2);
    // The old key is gone from the realm: its tokens fail now.
    let t = sign(&key1, &iss, &aud, json!({"roles": ["devops"]}));
    let (s, _) = srv.call(Method::GET, "/v1/whoami", Some(&t), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // An issuer no tenant configured is never fetched, even though it is reachable.
    let before = realm.total.load(Ordering::SeqCst);
    let evil = format!("{base}/realms/evil");
    let t = sign(&key2, &evil, &aud, json!({"roles": ["tenant-admin"], "tenant_id": "acme"}));
    let (s, _) = srv.call(Method::GET, "/v1/whoami", Some(&t), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(realm.total.load(Ordering::SeqCst), before);
    assert!(!realm.hits.lock().contains_key("evil"));
    assert_eq!(srv.core().verifier().jwks_fetch_count(&evil), 0);

    // Two tenants on one issuer: the tenant claim picks the tenant, and the audience is checked
    // against that tenant's own settings, not the other's.
    let shared = format!("{base}/realms/shared");
    for (t, aud) in [("initech", "aud-initech"), ("hooli", "aud-hooli")] {
        srv.create_tenant(t).await;
        let (s, b) = srv
            .call(Method::PATCH, &format!("/v1/tenants/{t}"), Some(&srv.admin()),
                Some(json!({"settings": {"auth": {"issuer": shared, "jwks_uri": format!("{shared}/jwks"), "audience": aud}}})))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let t = sign(&key2, &shared, "aud-hooli", json!({"roles": ["viewer"], "tenant_id": "hooli"}));
    let (s, me) = srv.call(Method::GET, "/v1/whoami", Some(&t), None).await;
    assert_eq!((s, me["tenant_id"].as_str()), (StatusCode::OK, Some("hooli")), "{me}");
    let t = sign(&key2, &shared, "aud-initech", json!({"roles": ["viewer"], "tenant_id": "hooli"}));
    let (s, _) = srv.call(Method::GET, "/v1/whoami", Some(&t), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "initech's audience does not admit a hooli token");
    let t = sign(&key2, &shared, "aud-hooli", json!({"roles": ["viewer"]}));
    let (s, _) = srv.call(Method::GET, "/v1/whoami", Some(&t), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "ambiguous without a tenant claim");
    srv.stop().await;
}
