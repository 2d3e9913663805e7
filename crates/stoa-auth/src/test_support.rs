//! Test helpers shared by the unit tests: test keys (RSA/EC from fixtures, Ed25519
//! generated), token signing, and a tiny JWKS/discovery HTTP server on 127.0.0.1 that counts
//! requests.
//!
//! Constraints: test-only (`cfg(test)`); the server binds 127.0.0.1:0 and is dropped with the
//! test's runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::{IssuerConfig, Url, Verifier, VerifierOptions};

pub(crate) const RSA1_PEM: &str = include_str!("../tests/fixtures/rsa1.pem");
pub(crate) const RSA2_PEM: &str = include_str!("../tests/fixtures/rsa2.pem");
pub(crate) const RSA1_PUB_PEM: &str = include_str!("../tests/fixtures/rsa1.pub.pem");
pub(crate) const EC1_PEM: &str = include_str!("../tests/fixtures/ec1.pem");

pub(crate) const ISS: &str = "https://idp.test";
pub(crate) const AUD: &str = "stoa";

pub(crate) fn now() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

/// Valid claims for `ISS`/`AUD`, 5 minutes left.
pub(crate) fn claims() -> Value {
    let now = now();
    json!({ "iss": ISS, "aud": AUD, "sub": "user-1", "iat": now, "nbf": now, "exp": now + 300 })
}

/// A signing key with its public JWK.
pub(crate) struct TestKey {
    pub(crate) alg: Algorithm,
    pub(crate) kid: String,
    pub(crate) encoding: EncodingKey,
    pub(crate) jwk: Value,
    /// Raw public key bytes (Ed25519 only; empty otherwise).
    pub(crate) raw_public: Vec<u8>,
}

impl TestKey {
    pub(crate) fn rsa(pem: &str, kid: &str) -> Self {
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        Self::with_library_jwk(Algorithm::RS256, kid, encoding)
    }

    pub(crate) fn ec(pem: &str, kid: &str) -> Self {
        let encoding = EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
        Self::with_library_jwk(Algorithm::ES256, kid, encoding)
    }

    fn with_library_jwk(alg: Algorithm, kid: &str, encoding: EncodingKey) -> Self {
        let mut jwk =
            serde_json::to_value(Jwk::from_encoding_key(&encoding, alg).unwrap()).unwrap();
        jwk["kid"] = json!(kid);
        jwk["use"] = json!("sig");
        Self { alg, kid: kid.to_owned(), encoding, jwk, raw_public: Vec::new() }
    }

    /// A fresh Ed25519 key. `Jwk::from_encoding_key` cannot do Ed25519 (it panics), so the
    /// JWK is written by hand.
    pub(crate) fn ed(kid: &str) -> Self {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap();
        let signing = SigningKey::from_bytes(&seed);
        let der = signing.to_pkcs8_der().unwrap();
        let public = signing.verifying_key().to_bytes();
        let jwk = json!({
            "kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(public),
            "kid": kid, "alg": "EdDSA", "use": "sig",
        });
        Self {
            alg: Algorithm::EdDSA,
            kid: kid.to_owned(),
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            jwk,
            raw_public: public.to_vec(),
        }
    }

    /// Signs `claims` with this key, header `kid` set.
    pub(crate) fn sign(&self, claims: &Value) -> String {
        self.sign_with_kid(claims, Some(&self.kid))
    }

    pub(crate) fn sign_with_kid(&self, claims: &Value, kid: Option<&str>) -> String {
        let mut header = Header::new(self.alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

pub(crate) fn jwks(keys: &[&TestKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
}

pub(crate) fn jwk_set(keys: &[&TestKey]) -> JwkSet {
    serde_json::from_value(jwks(keys)).unwrap()
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.payload.signature` from raw JSON values and a raw signature.
pub(crate) fn raw_token(header: &Value, payload: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes()),
        b64(signature)
    )
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub(crate) fn verifier(opts: VerifierOptions) -> Verifier {
    Verifier::new(client(), opts)
}

/// Issuer `ISS` with audience `AUD` and static keys.
pub(crate) fn static_verifier(keys: &[&TestKey]) -> (Verifier, IssuerConfig) {
    let verifier = verifier(VerifierOptions::default());
    verifier.set_static_keys(ISS, &jwk_set(keys));
    let cfg = IssuerConfig { audiences: vec![AUD.to_owned()], ..IssuerConfig::new(ISS) };
    (verifier, cfg)
}

/// What the test server answers.
#[derive(Default)]
pub(crate) struct ServerState {
    pub(crate) jwks: Mutex<Value>,
    /// Discovery document; `None` → 404.
    pub(crate) discovery: Mutex<Option<Value>>,
    pub(crate) jwks_hits: AtomicUsize,
    pub(crate) discovery_hits: AtomicUsize,
    /// Non-zero: answer `/jwks` with this status.
    pub(crate) status: AtomicU16,
    pub(crate) delay: Mutex<Duration>,
}

/// A JWKS / discovery server on 127.0.0.1 with request counters.
pub(crate) struct JwksServer {
    pub(crate) base: String,
    pub(crate) state: Arc<ServerState>,
}

impl JwksServer {
    pub(crate) async fn start(jwks: Value) -> Self {
        let state = Arc::new(ServerState { jwks: Mutex::new(jwks), ..ServerState::default() });
        let app = Router::new()
            .route("/jwks", get(serve_jwks))
            .route("/.well-known/openid-configuration", get(serve_discovery))
            .route("/big", get(|| async { "x".repeat(300 * 1024) }))
            .route(
                "/hang",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    "late"
                }),
            )
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base: format!("http://{addr}"), state }
    }

    pub(crate) fn url(&self, path: &str) -> Url {
        Url::parse(&format!("{}{path}", self.base)).unwrap()
    }

    /// Issuer = server base, explicit `jwks_uri` = `/jwks`, audience `AUD`.
    pub(crate) fn issuer_config(&self) -> IssuerConfig {
        IssuerConfig {
            issuer: self.base.clone(),
            jwks_uri: Some(self.url("/jwks")),
            audiences: vec![AUD.to_owned()],
        }
    }

    /// Valid claims for this server's issuer.
    pub(crate) fn claims(&self) -> Value {
        let mut claims = claims();
        claims["iss"] = json!(self.base);
        claims
    }

    pub(crate) fn set_jwks(&self, jwks: Value) {
        *self.state.jwks.lock() = jwks;
    }

    pub(crate) fn jwks_hits(&self) -> usize {
        self.state.jwks_hits.load(Ordering::SeqCst)
    }

    pub(crate) fn discovery_hits(&self) -> usize {
        self.state.discovery_hits.load(Ordering::SeqCst)
    }
}

async fn serve_jwks(State(state): State<Arc<ServerState>>) -> Response {
    state.jwks_hits.fetch_add(1, Ordering::SeqCst);
    let delay = *state.delay.lock();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let status = state.status.load(Ordering::SeqCst);
    if status != 0 {
        return StatusCode::from_u16(status).unwrap().into_response();
    }
    let body = state.jwks.lock().clone();
    axum::Json(body).into_response()
}

async fn serve_discovery(State(state): State<Arc<ServerState>>) -> Response {
    state.discovery_hits.fetch_add(1, Ordering::SeqCst);
    let doc = state.discovery.lock().clone();
    match doc {
        Some(doc) => axum::Json(doc).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
