//! Unit tests of token verification with static keys (no HTTP): the accepted algorithms, the
//! JWT attack set, claim checks, defensive parsing, and never-panic properties.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::test_support::*;
use crate::{AuthError, IssuerConfig, MAX_TOKEN_LEN, Verifier};

fn rsa1() -> TestKey {
    TestKey::rsa(RSA1_PEM, "rsa-1")
}

async fn check(keys: &[&TestKey], token: &str) -> Result<crate::Claims, AuthError> {
    let (verifier, cfg) = static_verifier(keys);
    verifier.verify(token, &cfg).await
}

#[tokio::test]
async fn rs256_es256_eddsa_tokens_verify() {
    let rsa = rsa1();
    let ec = TestKey::ec(EC1_PEM, "ec-1");
    let ed = TestKey::ed("ed-1");
    let (verifier, cfg) = static_verifier(&[&rsa, &ec, &ed]);
    for key in [&rsa, &ec, &ed] {
        let mut claims = claims();
        claims["tenant_id"] = json!("t-1");
        let token = key.sign(&claims);
        let got =
            verifier.verify(&token, &cfg).await.unwrap_or_else(|e| panic!("{:?}: {e}", key.alg));
        assert_eq!(got.iss, ISS);
        assert_eq!(got.sub, "user-1");
        assert_eq!(got.aud, vec![AUD.to_owned()]);
        assert_eq!(got.exp, claims["exp"].as_i64().unwrap());
        assert_eq!(got.string_claim("tenant_id"), Some("t-1"));
        assert!(!got.extra.contains_key("exp"), "registered claims are lifted out of extra");
    }
}

#[tokio::test]
async fn alg_none_is_rejected() {
    let rsa = rsa1();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({ "alg": alg, "typ": "JWT", "kid": rsa.kid });
        for signature in [&b""[..], b"sig"] {
            let token = raw_token(&header, &claims(), signature);
            assert_eq!(check(&[&rsa], &token).await, Err(AuthError::UnsupportedAlgorithm), "{alg}");
        }
    }
}

#[tokio::test]
async fn tampered_payload_is_rejected() {
    for key in [rsa1(), TestKey::ec(EC1_PEM, "ec-1"), TestKey::ed("ed-1")] {
        let token = key.sign(&claims());
        let parts: Vec<&str> = token.split('.').collect();
        let mut forged = claims();
        forged["sub"] = json!("admin");
        let tampered = format!("{}.{}.{}", parts[0], b64(forged.to_string().as_bytes()), parts[2]);
        assert_eq!(check(&[&key], &tampered).await, Err(AuthError::BadSignature), "{:?}", key.alg);
    }
}

#[tokio::test]
async fn signature_from_another_key_is_rejected() {
    let trusted = rsa1();
    let attacker = TestKey::rsa(RSA2_PEM, "rsa-1");
    assert_eq!(check(&[&trusted], &attacker.sign(&claims())).await, Err(AuthError::BadSignature));

    let trusted = TestKey::ed("ed-1");
    let attacker = TestKey::ed("ed-1");
    assert_eq!(check(&[&trusted], &attacker.sign(&claims())).await, Err(AuthError::BadSignature));
}

#[tokio::test]
async fn expired_and_not_yet_valid() {
    let key = TestKey::ed("ed-1");
    let mut expired = claims();
    expired["exp"] = json!(now() - 120);
    assert_eq!(check(&[&key], &key.sign(&expired)).await, Err(AuthError::Expired));

    let mut within_leeway = claims();
    within_leeway["exp"] = json!(now() - 10);
    assert!(check(&[&key], &key.sign(&within_leeway)).await.is_ok());

    let mut future = claims();
    future["nbf"] = json!(now() + 120);
    assert_eq!(check(&[&key], &key.sign(&future)).await, Err(AuthError::NotYetValid));

    let mut soon = claims();
    soon["nbf"] = json!(now() + 10);
    assert!(check(&[&key], &key.sign(&soon)).await.is_ok());
}

#[tokio::test]
async fn wrong_issuer_is_rejected() {
    let key = TestKey::ed("ed-1");
    for iss in [json!("https://evil.test"), json!("https://idp.test/"), json!([ISS]), json!(1)] {
        let mut claims = claims();
        claims["iss"] = iss.clone();
        assert_eq!(check(&[&key], &key.sign(&claims)).await, Err(AuthError::WrongIssuer), "{iss}");
    }
    let mut no_iss = claims();
    no_iss.as_object_mut().unwrap().remove("iss");
    assert_eq!(check(&[&key], &key.sign(&no_iss)).await, Err(AuthError::MissingClaim("iss")));
}

#[tokio::test]
async fn audience_rules() {
    let key = TestKey::ed("ed-1");
    let (verifier, cfg) = static_verifier(&[&key]);
    let token_with = |aud: Option<Value>| {
        let mut claims = claims();
        match aud {
            Some(aud) => claims["aud"] = aud,
            None => drop(claims.as_object_mut().unwrap().remove("aud")),
        }
        key.sign(&claims)
    };
    let wrong = token_with(Some(json!("other")));
    assert_eq!(verifier.verify(&wrong, &cfg).await, Err(AuthError::WrongAudience));
    let wrong_list = token_with(Some(json!(["a", "b"])));
    assert_eq!(verifier.verify(&wrong_list, &cfg).await, Err(AuthError::WrongAudience));
    let missing = token_with(None);
    assert_eq!(verifier.verify(&missing, &cfg).await, Err(AuthError::MissingClaim("aud")));
    let in_list = token_with(Some(json!(["a", AUD])));
    assert_eq!(verifier.verify(&in_list, &cfg).await.unwrap().aud, vec!["a", AUD]);

    // No audiences configured: `aud` is not checked at all.
    let open = IssuerConfig::new(ISS);
    assert!(verifier.verify(&wrong, &open).await.is_ok());
    assert_eq!(verifier.verify(&missing, &open).await.unwrap().aud, Vec::<String>::new());
}

#[tokio::test]
async fn hmac_signed_with_public_key_is_rejected() {
    let rsa = rsa1();
    let ed = TestKey::ed("ed-1");
    let x = ed.jwk["x"].as_str().unwrap().to_owned();
    let secrets: [(&str, &[u8]); 4] = [
        (&rsa.kid, RSA1_PUB_PEM.as_bytes()),
        (&rsa.kid, rsa.jwk["n"].as_str().unwrap().as_bytes()),
        (&ed.kid, &ed.raw_public),
        (&ed.kid, x.as_bytes()),
    ];
    for (kid, secret) in secrets {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let mut header = Header::new(alg);
            header.kid = Some(kid.to_owned());
            let token = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(secret))
                .unwrap();
            assert_eq!(
                check(&[&rsa, &ed], &token).await,
                Err(AuthError::UnsupportedAlgorithm),
                "{alg:?} {kid}"
            );
        }
    }
}

#[tokio::test]
async fn other_asymmetric_algorithms_are_not_accepted() {
    // RS384 with a perfectly good RSA key is still outside the allow-list.
    let key = rsa1();
    let mut header = Header::new(Algorithm::RS384);
    header.kid = Some(key.kid.clone());
    let token = jsonwebtoken::encode(&header, &claims(), &key.encoding).unwrap();
    assert_eq!(check(&[&key], &token).await, Err(AuthError::UnsupportedAlgorithm));
}

#[tokio::test]
async fn kid_of_a_key_of_another_type_is_rejected() {
    let rsa = rsa1();
    let ed = TestKey::ed("ed-1");
    // An EdDSA token naming the RSA key.
    let token = ed.sign_with_kid(&claims(), Some(&rsa.kid));
    assert_eq!(check(&[&rsa, &ed], &token).await, Err(AuthError::UnsupportedAlgorithm));
}

#[tokio::test]
async fn unknown_kid_with_static_keys() {
    let key = TestKey::ed("ed-1");
    let token = key.sign_with_kid(&claims(), Some("nope"));
    assert_eq!(check(&[&key], &token).await, Err(AuthError::UnknownKey));
}

#[tokio::test]
async fn token_without_kid_tries_the_keys_of_its_algorithm() {
    let a = TestKey::ed("ed-a");
    let b = TestKey::ed("ed-b");
    let rsa = rsa1();
    let token = b.sign_with_kid(&claims(), None);
    assert_eq!(check(&[&a, &rsa, &b], &token).await.unwrap().sub, "user-1");
    let stranger = TestKey::ed("ed-c").sign_with_kid(&claims(), None);
    assert_eq!(check(&[&a, &b], &stranger).await, Err(AuthError::BadSignature));
    assert_eq!(check(&[&rsa], &stranger).await, Err(AuthError::UnknownKey));
}

#[tokio::test]
async fn required_claims() {
    let key = TestKey::ed("ed-1");
    for (claim, value, err) in [
        ("sub", None, AuthError::MissingClaim("sub")),
        ("sub", Some(json!("")), AuthError::MissingClaim("sub")),
        ("sub", Some(json!(42)), AuthError::MissingClaim("sub")),
        ("exp", None, AuthError::MissingClaim("exp")),
        // jsonwebtoken reports a non-numeric required claim as missing.
        ("exp", Some(json!("tomorrow")), AuthError::MissingClaim("exp")),
        ("nbf", Some(json!("yesterday")), AuthError::InvalidClaim("nbf")),
        ("iat", Some(json!("yesterday")), AuthError::InvalidClaim("iat")),
    ] {
        let mut claims = claims();
        match value {
            Some(v) => claims[claim] = v,
            None => drop(claims.as_object_mut().unwrap().remove(claim)),
        }
        assert_eq!(check(&[&key], &key.sign(&claims)).await, Err(err), "{claim}");
    }
}

#[tokio::test]
async fn crit_header_is_rejected() {
    let key = TestKey::ed("ed-1");
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    header.crit = Some(vec!["exp".to_owned()]);
    let token = jsonwebtoken::encode(&header, &claims(), &key.encoding).unwrap();
    assert!(matches!(check(&[&key], &token).await, Err(AuthError::Malformed(_))));
}

#[tokio::test]
async fn malformed_tokens_are_errors_not_panics() {
    let key = TestKey::ed("ed-1");
    let good = key.sign(&claims());
    let parts: Vec<&str> = good.split('.').collect();
    let huge_valid_shape = {
        let mut claims = claims();
        claims["pad"] = json!("a".repeat(MAX_TOKEN_LEN));
        key.sign(&claims)
    };
    let cases = vec![
        String::new(),
        "garbage".to_owned(),
        ".".to_owned(),
        "..".to_owned(),
        "...".to_owned(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{good}.{}", parts[2]),
        format!("{}..{}", parts[0], parts[2]),
        format!("{}.{}.", parts[0], parts[1]),
        format!("{}.{}.{}=", parts[0], parts[1], parts[2]),
        format!("{}.{}.!!!", parts[0], parts[1]),
        format!("{}.{}.{}", b64(b"not json"), parts[1], parts[2]),
        format!("{}.{}.{}", parts[0], b64(b"[1,2,3]"), parts[2]),
        format!("{}.{}.{}", parts[0], b64(b"\xff\xfe"), parts[2]),
        format!("{}.{}.{}", b64(br#"{"alg":"EdDSA","alg":"none"}"#), parts[1], parts[2]),
        format!("{}.{}.{}", b64(br#"{"kid":"x"}"#), parts[1], parts[2]),
        format!("{}.{}.{}", b64(br#"{"alg":"EdDSA","kid":7}"#), parts[1], parts[2]),
        format!(" {good}"),
        "a".repeat(MAX_TOKEN_LEN + 1),
        huge_valid_shape,
        "é.é.é".to_owned(),
    ];
    let (verifier, cfg) = static_verifier(&[&key]);
    for token in cases {
        let short: String = token.chars().take(60).collect();
        let verdict = verifier.verify(&token, &cfg).await;
        assert!(matches!(verdict, Err(AuthError::Malformed(_))), "{short}: {verdict:?}");
    }
}

#[tokio::test]
async fn unusable_jwks_entries_are_skipped_without_panicking() {
    let good = TestKey::ed("good");
    let jwks = json!({ "keys": [
        good.jwk.clone(),
        { "kty": "OKP", "crv": "Ed25519", "x": b64(b"short"), "kid": "short-ed" },
        { "kty": "OKP", "crv": "Ed25519", "x": "%%%", "kid": "bad-b64" },
        { "kty": "oct", "k": b64(b"secret"), "kid": "hmac", "alg": "HS256" },
        { "kty": "RSA", "n": b64(&[0xff; 128]), "e": "AQAB", "kid": "rsa-1024" },
        { "kty": "EC", "crv": "P-256", "x": b64(&[1; 32]), "y": b64(&[2; 32]), "kid": "off-curve" },
        { "kty": "EC", "crv": "P-384", "x": b64(&[1; 48]), "y": b64(&[2; 48]), "kid": "p384" },
        { "kty": "OKP", "crv": "Ed25519", "x": good.jwk["x"], "kid": "enc", "use": "enc" },
        { "kty": "OKP", "crv": "Ed25519", "x": good.jwk["x"], "kid": "ps", "alg": "PS256" },
        { "kty": "OKP", "crv": "X25519", "x": good.jwk["x"], "kid": "x25519" },
    ]});
    // The typed JwkSet cannot even represent X25519; keep the entries it can.
    let representable: Vec<crate::Jwk> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| serde_json::from_value(k.clone()).ok())
        .collect();
    assert_eq!(representable.len(), 9);
    let verifier = verifier(Default::default());
    assert_eq!(verifier.set_static_keys(ISS, &crate::JwkSet { keys: representable }), 1);
    let cfg = IssuerConfig::new(ISS);
    for kid in
        ["short-ed", "bad-b64", "enc", "ps", "x25519", "hmac", "rsa-1024", "off-curve", "p384"]
    {
        let token = good.sign_with_kid(&claims(), Some(kid));
        let verdict = verifier.verify(&token, &cfg).await;
        assert_eq!(verdict, Err(AuthError::UnknownKey), "{kid}");
    }
    assert!(verifier.verify(&good.sign(&claims()), &cfg).await.is_ok());
}

#[test]
fn peek_reads_routing_facts_without_verifying() {
    let key = TestKey::ed("ed-1");
    let peek = Verifier::peek(&key.sign(&claims())).unwrap();
    assert_eq!(peek.iss.as_deref(), Some(ISS));
    assert_eq!(peek.kid.as_deref(), Some("ed-1"));
    assert_eq!(peek.alg, "EdDSA");
    let none = raw_token(&json!({ "alg": "none" }), &json!({ "iss": 5 }), b"");
    let peek = Verifier::peek(&none).unwrap();
    assert_eq!((peek.iss, peek.kid, peek.alg.as_str()), (None, None, "none"));
    assert!(matches!(Verifier::peek("x.y"), Err(AuthError::Malformed(_))));
}

#[test]
fn errors_are_classified() {
    assert!(AuthError::JwksUnavailable(crate::JwksFailure::Timeout).is_retryable());
    assert!(!AuthError::BadSignature.is_retryable());
    assert_eq!(AuthError::Expired.code(), "expired");
    assert_eq!(
        AuthError::JwksUnavailable(crate::JwksFailure::Status(503)).to_string(),
        "issuer keys unavailable: HTTP status 503"
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn peek_and_verify_never_panic_on_arbitrary_strings(token in "\\PC{0,200}") {
        let _ = Verifier::peek(&token);
        let key = TestKey::ed("ed-1");
        let (verifier, cfg) = static_verifier(&[&key]);
        let verdict = runtime().block_on(verifier.verify(&token, &cfg));
        prop_assert!(verdict.is_err());
    }

    #[test]
    fn verify_never_panics_on_jws_shaped_input(
        header in "[A-Za-z0-9_-]{0,80}",
        payload in "[A-Za-z0-9_-]{0,80}",
        signature in "[A-Za-z0-9_-]{0,100}",
    ) {
        let token = format!("{header}.{payload}.{signature}");
        let _ = Verifier::peek(&token);
        let key = TestKey::ed("ed-1");
        let (verifier, cfg) = static_verifier(&[&key]);
        prop_assert!(runtime().block_on(verifier.verify(&token, &cfg)).is_err());
    }

    #[test]
    fn verify_never_panics_on_arbitrary_headers_and_signatures(
        alg in prop::sample::select(vec!["RS256", "ES256", "EdDSA", "none", "HS256", "PS256", "", "ES512"]),
        kid in prop::option::of(prop::sample::select(vec!["ed-1", "rsa-1", "ec-1", "", "zz"])),
        signature in prop::collection::vec(any::<u8>(), 0..600),
        sub in "\\PC{0,20}",
        exp in any::<i64>(),
    ) {
        let mut header = json!({ "alg": alg });
        if let Some(kid) = kid {
            header["kid"] = json!(kid);
        }
        let payload = json!({ "iss": ISS, "aud": AUD, "sub": sub, "exp": exp });
        let token = raw_token(&header, &payload, &signature);
        let keys = [TestKey::ed("ed-1"), rsa1(), TestKey::ec(EC1_PEM, "ec-1")];
        let (verifier, cfg) = static_verifier(&[&keys[0], &keys[1], &keys[2]]);
        prop_assert!(runtime().block_on(verifier.verify(&token, &cfg)).is_err());
    }
}

#[tokio::test]
async fn leeway_is_configurable() {
    let key = TestKey::ed("ed-1");
    let verifier = verifier(crate::VerifierOptions {
        leeway: std::time::Duration::ZERO,
        ..Default::default()
    });
    verifier.set_static_keys(ISS, &jwk_set(&[&key]));
    let mut claims = claims();
    claims["exp"] = json!(now() - 10);
    let verdict = verifier.verify(&key.sign(&claims), &IssuerConfig::new(ISS)).await;
    assert_eq!(verdict, Err(AuthError::Expired));
}
