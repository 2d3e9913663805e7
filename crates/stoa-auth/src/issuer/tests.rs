//! Unit tests of the built-in EdDSA issuer: round trips through the verifier, PKCS#8
//! persistence, kid derivation, JWKS shape, and that `Debug` shows no key material.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, json};
use sha2::{Digest, Sha256};

use crate::test_support::verifier;
use crate::{AuthError, BuiltinIssuer, IssuerConfig};

const ISS: &str = "https://stoa.local";

fn extra() -> Map<String, serde_json::Value> {
    json!({ "tenant_id": "t-1", "scope": "chat", "sub": "ignored", "exp": 1 })
        .as_object()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn issued_tokens_verify_with_static_keys() {
    let issuer = BuiltinIssuer::generate().unwrap();
    let verifier = verifier(Default::default());
    assert_eq!(verifier.set_static_keys(ISS, &issuer.jwk_set().unwrap()), 1);
    let cfg = IssuerConfig { audiences: vec!["stoa".to_owned()], ..IssuerConfig::new(ISS) };

    let token = issuer.issue(ISS, "stoa", "user-1", Duration::from_secs(60), extra()).unwrap();
    let peek = crate::Verifier::peek(&token).unwrap();
    assert_eq!((peek.alg.as_str(), peek.kid.as_deref()), ("EdDSA", Some(issuer.kid())));

    let claims = verifier.verify(&token, &cfg).await.unwrap();
    assert_eq!(claims.sub, "user-1", "registered claims override `extra`");
    assert_eq!(claims.aud, vec!["stoa"]);
    assert_eq!(claims.string_claim("tenant_id"), Some("t-1"));
    assert_eq!(claims.scopes(), vec!["chat"]);
    let iat = claims.iat.unwrap();
    assert_eq!(claims.nbf, Some(iat));
    assert_eq!(claims.exp, iat + 60);
    assert_eq!(verifier.jwks_fetch_count(ISS), 0);

    // A different built-in key (e.g. after rotation) is not trusted until published.
    let other = BuiltinIssuer::generate().unwrap();
    let foreign = other.issue(ISS, "stoa", "user-1", Duration::from_secs(60), Map::new()).unwrap();
    assert_eq!(verifier.verify(&foreign, &cfg).await, Err(AuthError::UnknownKey));

    // Zero TTL: expired once the leeway passes; within it still accepted.
    let short = issuer.issue(ISS, "stoa", "u", Duration::ZERO, Map::new()).unwrap();
    assert!(verifier.verify(&short, &cfg).await.is_ok());
}

#[tokio::test]
async fn pkcs8_round_trip_keeps_the_identity() {
    let issuer = BuiltinIssuer::generate().unwrap();
    let der = issuer.to_pkcs8_der();
    let loaded = BuiltinIssuer::from_pkcs8_der(&der).unwrap();
    assert_eq!(loaded.kid(), issuer.kid());
    assert_eq!(loaded.public_key(), issuer.public_key());
    assert_eq!(loaded.jwks(), issuer.jwks());

    let verifier = verifier(Default::default());
    verifier.set_static_keys(ISS, &issuer.jwk_set().unwrap());
    let token = loaded.issue(ISS, "stoa", "u", Duration::from_secs(60), Map::new()).unwrap();
    assert!(verifier.verify(&token, &IssuerConfig::new(ISS)).await.is_ok());

    assert!(matches!(BuiltinIssuer::from_pkcs8_der(b"not der"), Err(AuthError::Key(_))));
    assert!(matches!(BuiltinIssuer::from_pkcs8_der(&[]), Err(AuthError::Key(_))));
}

#[test]
fn openssl_generated_key_loads() {
    // `openssl genpkey -algorithm ed25519 -outform DER` (PKCS#8 v1), seed 0x00..0x1f.
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend(0u8..32);
    let issuer = BuiltinIssuer::from_pkcs8_der(&der).unwrap();
    let expected = ed25519_dalek::SigningKey::from_bytes(&core::array::from_fn(|i| i as u8));
    assert_eq!(issuer.public_key(), expected.verifying_key().to_bytes());
}

#[test]
fn kid_and_jwks_shape() {
    let issuer = BuiltinIssuer::generate().unwrap();
    let digest = Sha256::digest(issuer.public_key());
    assert_eq!(issuer.kid(), URL_SAFE_NO_PAD.encode(&digest[..16]));
    assert_eq!(issuer.kid().len(), 22);
    let jwk = issuer.public_jwk();
    assert_eq!(
        jwk,
        json!({
            "kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(issuer.public_key()),
            "kid": issuer.kid(), "alg": "EdDSA", "use": "sig",
        })
    );
    assert_eq!(issuer.jwks(), json!({ "keys": [jwk] }));
    assert_ne!(BuiltinIssuer::generate().unwrap().kid(), issuer.kid());
}

#[test]
fn debug_shows_no_key_material() {
    let issuer = BuiltinIssuer::generate().unwrap();
    let debug = format!("{issuer:?}");
    assert_eq!(debug, format!("BuiltinIssuer {{ kid: {:?}, .. }}", issuer.kid()));
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    let seed =
        ed25519_dalek::SigningKey::from_pkcs8_der(&issuer.to_pkcs8_der()).unwrap().to_bytes();
    assert!(!debug.contains(&URL_SAFE_NO_PAD.encode(seed)));
    assert!(!debug.contains(&format!("{seed:?}")));
}
