//! Unit tests of JWKS fetching against a local HTTP server (127.0.0.1): caching, rotation,
//! single flight, refresh rate limit, max age, discovery, failure classes, and that nothing is
//! fetched for issuers the caller did not configure.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::test_support::*;
use crate::{AuthError, IssuerConfig, JwksFailure, VerifierOptions};

fn opts(min_refresh_interval: Duration) -> VerifierOptions {
    VerifierOptions { min_refresh_interval, ..VerifierOptions::default() }
}

#[tokio::test]
async fn keys_are_cached() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    let verifier = verifier(VerifierOptions::default());
    let cfg = server.issuer_config();
    for _ in 0..3 {
        verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    }
    assert_eq!(server.jwks_hits(), 1);
    assert_eq!(verifier.jwks_fetch_count(&cfg.issuer), 1);
    // A clone shares the cache.
    verifier.clone().verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    assert_eq!(server.jwks_hits(), 1);
}

#[tokio::test]
async fn rsa_and_ec_keys_from_http_jwks() {
    let rsa = TestKey::rsa(RSA1_PEM, "rsa-1");
    let ec = TestKey::ec(EC1_PEM, "ec-1");
    let server = JwksServer::start(jwks(&[&rsa, &ec])).await;
    let verifier = verifier(VerifierOptions::default());
    let cfg = server.issuer_config();
    for key in [&rsa, &ec] {
        verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    }
    assert_eq!(server.jwks_hits(), 1);
}

#[tokio::test]
async fn key_rotation_triggers_one_refresh() {
    let old = TestKey::ed("old");
    let new = TestKey::ed("new");
    let server = JwksServer::start(jwks(&[&old])).await;
    let verifier = verifier(opts(Duration::ZERO));
    let cfg = server.issuer_config();
    verifier.verify(&old.sign(&server.claims()), &cfg).await.unwrap();
    assert_eq!(server.jwks_hits(), 1);

    server.set_jwks(jwks(&[&new]));
    verifier.verify(&new.sign(&server.claims()), &cfg).await.unwrap();
    verifier.verify(&new.sign(&server.claims()), &cfg).await.unwrap();
    assert_eq!(server.jwks_hits(), 2);
    assert_eq!(verifier.jwks_fetch_count(&cfg.issuer), 2);

    // The retired key is still cached until a refresh happens; once the cache has moved on,
    // it is gone.
    assert_eq!(
        verifier.verify(&old.sign(&server.claims()), &cfg).await,
        Err(AuthError::UnknownKey)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_unknown_kid_causes_a_single_fetch() {
    let old = TestKey::ed("old");
    let new = TestKey::ed("new");
    let server = JwksServer::start(jwks(&[&old])).await;
    // No rate limit at all: only the single flight prevents duplicate fetches.
    let verifier = verifier(opts(Duration::ZERO));
    let cfg = server.issuer_config();
    verifier.verify(&old.sign(&server.claims()), &cfg).await.unwrap();

    server.set_jwks(jwks(&[&new]));
    *server.state.delay.lock() = Duration::from_millis(300);
    let token = new.sign(&server.claims());
    for verdict in verify_concurrently(&verifier, &cfg, &token).await {
        assert_eq!(verdict.unwrap().sub, "user-1");
    }
    assert_eq!(server.jwks_hits(), 2);
    assert_eq!(verifier.jwks_fetch_count(&cfg.issuer), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cold_start_causes_a_single_fetch() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    *server.state.delay.lock() = Duration::from_millis(200);
    let verifier = verifier(opts(Duration::ZERO));
    let cfg = server.issuer_config();
    let token = key.sign(&server.claims());
    for verdict in verify_concurrently(&verifier, &cfg, &token).await {
        verdict.unwrap();
    }
    assert_eq!(server.jwks_hits(), 1);
}

#[tokio::test]
async fn unknown_kid_refresh_is_rate_limited() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    let verifier = verifier(opts(Duration::from_millis(400)));
    let cfg = server.issuer_config();
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    assert_eq!(server.jwks_hits(), 1);

    // Within the interval: unknown kids fail fast without any fetch.
    let stranger = TestKey::ed("k2");
    for _ in 0..10 {
        let started = Instant::now();
        let verdict = verifier.verify(&stranger.sign(&server.claims()), &cfg).await;
        assert_eq!(verdict, Err(AuthError::UnknownKey));
        assert!(started.elapsed() < Duration::from_millis(200));
    }
    assert_eq!(server.jwks_hits(), 1);

    // After it: exactly one refresh, then limited again.
    tokio::time::sleep(Duration::from_millis(450)).await;
    for _ in 0..5 {
        let verdict = verifier.verify(&stranger.sign(&server.claims()), &cfg).await;
        assert_eq!(verdict, Err(AuthError::UnknownKey));
    }
    assert_eq!(server.jwks_hits(), 2);
    // Known keys keep working meanwhile.
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    assert_eq!(verifier.jwks_fetch_count(&cfg.issuer), 2);
}

#[tokio::test]
async fn default_rate_limit_blocks_refresh_right_after_a_fetch() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    let verifier = verifier(VerifierOptions::default());
    let cfg = server.issuer_config();
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    // The server rotates, but the default 10 s interval has not elapsed.
    let new = TestKey::ed("k2");
    server.set_jwks(jwks(&[&new]));
    assert_eq!(
        verifier.verify(&new.sign(&server.claims()), &cfg).await,
        Err(AuthError::UnknownKey)
    );
    assert_eq!(server.jwks_hits(), 1);
}

#[tokio::test]
async fn cache_is_refreshed_after_max_age() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    let verifier = verifier(VerifierOptions {
        max_age: Duration::from_millis(200),
        min_refresh_interval: Duration::ZERO,
        ..VerifierOptions::default()
    });
    let cfg = server.issuer_config();
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    assert_eq!(server.jwks_hits(), 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    assert_eq!(server.jwks_hits(), 2);

    // Stale keys keep working while the issuer is down (stale beats an outage).
    server.state.status.store(503, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(250)).await;
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    assert_eq!(server.jwks_hits(), 3);

    // A refresh that drops the key revokes it.
    server.state.status.store(0, Ordering::SeqCst);
    server.set_jwks(jwks(&[&TestKey::ed("k2")]));
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        verifier.verify(&key.sign(&server.claims()), &cfg).await,
        Err(AuthError::UnknownKey)
    );
}

#[tokio::test]
async fn discovery_finds_the_jwks_uri() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    *server.state.discovery.lock() =
        Some(json!({ "issuer": server.base, "jwks_uri": server.url("/jwks").as_str() }));
    let verifier = verifier(opts(Duration::ZERO));
    let cfg = IssuerConfig { jwks_uri: None, ..server.issuer_config() };
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    assert_eq!((server.discovery_hits(), server.jwks_hits()), (1, 1));
    assert_eq!(verifier.jwks_fetch_count(&cfg.issuer), 1);

    // Rotation reuses the discovered jwks_uri.
    let new = TestKey::ed("k2");
    server.set_jwks(jwks(&[&new]));
    verifier.verify(&new.sign(&server.claims()), &cfg).await.unwrap();
    assert_eq!((server.discovery_hits(), server.jwks_hits()), (1, 2));
}

#[tokio::test]
async fn discovery_document_for_another_issuer_is_refused() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    *server.state.discovery.lock() =
        Some(json!({ "issuer": "https://evil.test", "jwks_uri": server.url("/jwks").as_str() }));
    let verifier = verifier(VerifierOptions::default());
    let cfg = IssuerConfig { jwks_uri: None, ..server.issuer_config() };
    let verdict = verifier.verify(&key.sign(&server.claims()), &cfg).await;
    assert_eq!(verdict, Err(AuthError::JwksUnavailable(JwksFailure::InvalidDocument)));
    assert_eq!(server.jwks_hits(), 0);

    // Missing discovery document: 404.
    *server.state.discovery.lock() = None;
    let verifier = crate::test_support::verifier(VerifierOptions::default());
    let verdict = verifier.verify(&key.sign(&server.claims()), &cfg).await;
    assert_eq!(verdict, Err(AuthError::JwksUnavailable(JwksFailure::Status(404))));
}

#[tokio::test]
async fn unconfigured_issuer_is_never_fetched() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    let verifier = verifier(VerifierOptions::default());
    let cfg = server.issuer_config();
    // The attacker points `iss` at a server of their choice; we only ever look at `cfg`.
    let mut claims = server.claims();
    claims["iss"] = json!("http://127.0.0.1:1/evil");
    let verdict = verifier.verify(&key.sign(&claims), &cfg).await;
    assert_eq!(verdict, Err(AuthError::WrongIssuer));
    assert_eq!(server.jwks_hits() + server.discovery_hits(), 0);
    assert_eq!(verifier.jwks_fetch_count(&cfg.issuer), 0);
    assert_eq!(verifier.jwks_fetch_count("http://127.0.0.1:1/evil"), 0);

    // `alg: none` / HMAC tokens do not cause fetches either.
    let none = raw_token(&json!({ "alg": "none", "kid": "x" }), &server.claims(), b"");
    assert_eq!(verifier.verify(&none, &cfg).await, Err(AuthError::UnsupportedAlgorithm));
    assert_eq!(server.jwks_hits(), 0);
}

#[tokio::test]
async fn static_keys_take_precedence_and_are_never_fetched() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    let verifier = verifier(VerifierOptions::default());
    let cfg = server.issuer_config();
    verifier.set_static_keys(&cfg.issuer, &jwk_set(&[&key]));
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    let stranger = TestKey::ed("k2");
    assert_eq!(
        verifier.verify(&stranger.sign(&server.claims()), &cfg).await,
        Err(AuthError::UnknownKey)
    );
    assert_eq!(server.jwks_hits(), 0);

    assert!(verifier.remove_static_keys(&cfg.issuer));
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    assert_eq!(server.jwks_hits(), 1);
}

#[tokio::test]
async fn jwks_endpoint_down_fails_fast_and_is_not_hammered() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let issuer = format!("http://{addr}");
    let cfg = IssuerConfig {
        jwks_uri: Some(format!("{issuer}/jwks").parse().unwrap()),
        ..IssuerConfig::new(&issuer)
    };
    let key = TestKey::ed("k1");
    let mut claims = claims();
    claims["iss"] = json!(issuer);
    let verifier = verifier(VerifierOptions::default());
    let started = Instant::now();
    let verdict = verifier.verify(&key.sign(&claims), &cfg).await;
    assert_eq!(verdict, Err(AuthError::JwksUnavailable(JwksFailure::Connect)));
    assert!(verdict.unwrap_err().is_retryable());
    // Within the rate limit, the remembered failure is returned without a new attempt.
    let again = verifier.verify(&key.sign(&claims), &cfg).await;
    assert_eq!(again, Err(AuthError::JwksUnavailable(JwksFailure::Connect)));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(verifier.jwks_fetch_count(&issuer), 1);
}

#[tokio::test]
async fn hanging_jwks_endpoint_times_out() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    let verifier = verifier(VerifierOptions {
        fetch_timeout: Duration::from_millis(300),
        ..VerifierOptions::default()
    });
    let cfg = IssuerConfig { jwks_uri: Some(server.url("/hang")), ..server.issuer_config() };
    let started = Instant::now();
    let verdict = verifier.verify(&key.sign(&server.claims()), &cfg).await;
    assert_eq!(verdict, Err(AuthError::JwksUnavailable(JwksFailure::Timeout)));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn bad_responses_are_classified() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    let token = key.sign(&server.claims());

    let cfg = IssuerConfig { jwks_uri: Some(server.url("/big")), ..server.issuer_config() };
    let verdict = verifier(VerifierOptions::default()).verify(&token, &cfg).await;
    assert_eq!(verdict, Err(AuthError::JwksUnavailable(JwksFailure::TooLarge)));

    server.state.status.store(500, Ordering::SeqCst);
    let verdict =
        verifier(VerifierOptions::default()).verify(&token, &server.issuer_config()).await;
    assert_eq!(verdict, Err(AuthError::JwksUnavailable(JwksFailure::Status(500))));
    // The message names the class only, never the URL.
    let message = verdict.unwrap_err().to_string();
    assert!(!message.contains("127.0.0.1"), "{message}");

    server.state.status.store(0, Ordering::SeqCst);
    server.set_jwks(json!({ "not": "a jwks" }));
    let verdict =
        verifier(VerifierOptions::default()).verify(&token, &server.issuer_config()).await;
    assert_eq!(verdict, Err(AuthError::JwksUnavailable(JwksFailure::InvalidDocument)));

    let ftp = IssuerConfig {
        jwks_uri: Some("ftp://127.0.0.1/jwks".parse().unwrap()),
        ..server.issuer_config()
    };
    let verdict = verifier(VerifierOptions::default()).verify(&token, &ftp).await;
    assert_eq!(verdict, Err(AuthError::JwksUnavailable(JwksFailure::BadUrl)));
}

#[tokio::test]
async fn exotic_jwks_entries_do_not_hide_good_keys() {
    let key = TestKey::ed("good");
    let mut doc = jwks(&[&key]);
    let keys = doc["keys"].as_array_mut().unwrap();
    keys.insert(0, json!({ "kty": "OKP", "crv": "X25519", "x": b64(&[9; 32]), "kid": "x" }));
    keys.insert(0, json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(b"short"), "kid": "good" }));
    keys.insert(0, json!({ "kty": "weird", "kid": "w" }));
    keys.insert(0, json!("not an object"));
    let server = JwksServer::start(doc).await;
    let verifier = verifier(VerifierOptions::default());
    let cfg = server.issuer_config();
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    let verdict = verifier.verify(&key.sign_with_kid(&server.claims(), Some("x")), &cfg).await;
    assert_eq!(verdict, Err(AuthError::UnknownKey));
}

/// 20 concurrent verifies of `token` against `server`; returns their verdicts.
async fn verify_concurrently(
    verifier: &crate::Verifier,
    cfg: &IssuerConfig,
    token: &str,
) -> Vec<Result<crate::Claims, AuthError>> {
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (verifier, cfg, token) = (verifier.clone(), cfg.clone(), token.to_owned());
            tokio::spawn(async move { verifier.verify(&token, &cfg).await })
        })
        .collect();
    let mut verdicts = Vec::new();
    for task in tasks {
        verdicts.push(task.await.unwrap());
    }
    verdicts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_bogus_kid_shares_one_refresh_even_without_rate_limit() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    let verifier = verifier(opts(Duration::ZERO));
    let cfg = server.issuer_config();
    verifier.verify(&key.sign(&server.claims()), &cfg).await.unwrap();
    *server.state.delay.lock() = Duration::from_millis(300);
    let bogus = TestKey::ed("bogus").sign(&server.claims());
    for verdict in verify_concurrently(&verifier, &cfg, &bogus).await {
        assert_eq!(verdict, Err(AuthError::UnknownKey));
    }
    assert_eq!(server.jwks_hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_failed_fetch() {
    let key = TestKey::ed("k1");
    let server = JwksServer::start(jwks(&[&key])).await;
    server.state.status.store(502, Ordering::SeqCst);
    *server.state.delay.lock() = Duration::from_millis(300);
    let verifier = verifier(opts(Duration::ZERO));
    let cfg = server.issuer_config();
    let token = key.sign(&server.claims());
    for verdict in verify_concurrently(&verifier, &cfg, &token).await {
        assert_eq!(verdict, Err(AuthError::JwksUnavailable(JwksFailure::Status(502))));
    }
    assert_eq!(server.jwks_hits(), 1);
}

#[tokio::test]
async fn key_location_headers_in_the_token_are_ignored() {
    let attacker = TestKey::ed("attacker");
    let server = JwksServer::start(jwks(&[&attacker])).await;
    let trusted = TestKey::ed("trusted");
    let (verifier, cfg) = static_verifier(&[&trusted]);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(attacker.kid.clone());
    header.jku = Some(server.url("/jwks").to_string());
    header.x5u = Some(server.url("/jwks").to_string());
    let token = jsonwebtoken::encode(&header, &claims(), &attacker.encoding).unwrap();
    assert_eq!(verifier.verify(&token, &cfg).await, Err(AuthError::UnknownKey));
    assert_eq!(server.jwks_hits(), 0);
}
