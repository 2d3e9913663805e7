//! Per-issuer key cache: static key sets (built-in issuer) and JWKS fetched over HTTP, with
//! OIDC discovery, single-flight refresh, a refresh rate limit and lazy max-age refresh.
//!
//! Constraints:
//! - Only URLs derived from the caller's `IssuerConfig` are ever fetched (never anything from
//!   a token), with a time limit and a response-size cap.
//! - At most one refresh per issuer runs at a time (waiters then reuse its result), and no
//!   refresh starts within `min_refresh_interval` of the previous one finishing, whatever
//!   tokens arrive. A refresh whose caller goes away is simply abandoned; the next waiter may
//!   start another.
//! - JWKS content is untrusted input: each key is parsed on its own, and only keys usable
//!   for RS256 (2048–4096-bit), ES256 (P-256) or EdDSA (Ed25519) survive. This also shields
//!   `jsonwebtoken`, which panics on a too-short Ed25519 key.
//! - Errors and logs carry no URL (it may contain credentials) and no key material.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey};
use parking_lot::{Mutex, RwLock};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::error::JwksFailure;
use crate::{AuthError, IssuerConfig, VerifierOptions};

/// One key usable for verification, with the only algorithm it may verify.
pub(crate) struct VerificationKey {
    pub(crate) kid: Option<String>,
    pub(crate) alg: Algorithm,
    pub(crate) decoding: DecodingKey,
}

impl VerificationKey {
    /// Converts a JWK, or `None` when it is not a signature key we accept.
    pub(crate) fn from_jwk(jwk: &Jwk) -> Option<Self> {
        if jwk.common.public_key_use.as_ref().is_some_and(|u| *u != PublicKeyUse::Signature) {
            return None;
        }
        if jwk
            .common
            .key_operations
            .as_ref()
            .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
        {
            return None;
        }
        let (alg, decoding) = match &jwk.algorithm {
            AlgorithmParameters::RSA(params) => {
                let n = b64(&params.n)?;
                let e = b64(&params.e)?;
                let n = strip_leading_zeros(&n);
                let e = strip_leading_zeros(&e);
                let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
                if !(2048..=4096).contains(&bits) || e.is_empty() || e.len() > 8 {
                    return None;
                }
                (Algorithm::RS256, DecodingKey::from_rsa_raw_components(n, e))
            }
            AlgorithmParameters::EllipticCurve(params) => {
                if params.curve != EllipticCurve::P256
                    || b64(&params.x)?.len() != 32
                    || b64(&params.y)?.len() != 32
                {
                    return None;
                }
                (Algorithm::ES256, DecodingKey::from_ec_components(&params.x, &params.y).ok()?)
            }
            AlgorithmParameters::OctetKeyPair(params) => {
                if params.curve != EllipticCurve::Ed25519 || b64(&params.x)?.len() != 32 {
                    return None;
                }
                (Algorithm::EdDSA, DecodingKey::from_ed_components(&params.x).ok()?)
            }
            // Symmetric keys are never accepted: no HMAC, ever.
            AlgorithmParameters::OctetKey(_) => return None,
        };
        if let Some(declared) = jwk.common.key_algorithm
            && !declared_matches(declared, alg)
        {
            return None;
        }
        // Let the crypto backend reject invalid curve points now: building a verifier fails
        // for them, while a valid key merely reports the dummy signature as not matching.
        if alg != Algorithm::RS256
            && jsonwebtoken::crypto::verify("AA", b"", &decoding, alg).is_err()
        {
            return None;
        }
        Some(Self { kid: jwk.common.key_id.clone(), alg, decoding })
    }
}

fn declared_matches(declared: KeyAlgorithm, alg: Algorithm) -> bool {
    matches!(
        (declared, alg),
        (KeyAlgorithm::RS256, Algorithm::RS256)
            | (KeyAlgorithm::ES256, Algorithm::ES256)
            | (KeyAlgorithm::EdDSA, Algorithm::EdDSA)
    )
}

fn b64(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The usable keys of one issuer at one point in time.
pub(crate) struct KeySet {
    keys: Vec<Arc<VerificationKey>>,
    fetched_at: Instant,
}

impl KeySet {
    fn from_jwks(keys: &[Jwk]) -> Self {
        let keys: Vec<_> =
            keys.iter().filter_map(VerificationKey::from_jwk).map(Arc::new).collect();
        Self { keys, fetched_at: Instant::now() }
    }

    /// Parses a JWKS document key by key, so one exotic key does not hide the others.
    fn parse(body: &[u8]) -> Result<Self, JwksFailure> {
        #[derive(Deserialize)]
        struct RawJwks {
            keys: Vec<Value>,
        }
        let raw: RawJwks =
            serde_json::from_slice(body).map_err(|_| JwksFailure::InvalidDocument)?;
        let total = raw.keys.len();
        let jwks: Vec<Jwk> =
            raw.keys.into_iter().filter_map(|key| serde_json::from_value(key).ok()).collect();
        let set = Self::from_jwks(&jwks);
        if set.keys.len() != total {
            tracing::debug!(total, usable = set.keys.len(), "skipped unusable JWKS keys");
        }
        Ok(set)
    }

    fn select(&self, kid: Option<&str>, alg: Algorithm) -> Selection {
        let mut wrong_alg = false;
        let found: Vec<_> = self
            .keys
            .iter()
            .filter(|key| kid.is_none_or(|kid| key.kid.as_deref() == Some(kid)))
            .filter(|key| {
                let ok = key.alg == alg;
                wrong_alg |= !ok;
                ok
            })
            .cloned()
            .collect();
        if !found.is_empty() {
            Selection::Found(found)
        } else if wrong_alg && kid.is_some() {
            Selection::WrongAlg
        } else {
            Selection::NotFound
        }
    }
}

enum Selection {
    Found(Vec<Arc<VerificationKey>>),
    /// The `kid` exists but is for another algorithm: refreshing will not help.
    WrongAlg,
    NotFound,
}

impl Selection {
    fn into_result(self) -> Result<Vec<Arc<VerificationKey>>, AuthError> {
        match self {
            Self::Found(keys) => Ok(keys),
            Self::WrongAlg => Err(AuthError::UnsupportedAlgorithm),
            Self::NotFound => Err(AuthError::UnknownKey),
        }
    }
}

/// A remote issuer is identified by its issuer string and configured JWKS URL, so a changed
/// configuration never reuses keys fetched from another URL.
#[derive(Clone, PartialEq, Eq, Hash)]
struct SlotKey {
    issuer: String,
    jwks_uri: Option<Url>,
}

/// Cache and refresh state of one remote issuer.
#[derive(Default)]
struct Slot {
    keys: RwLock<Option<Arc<KeySet>>>,
    /// Bumped when a refresh finishes (successfully or not): a waiter that sees it change
    /// shares that refresh's outcome instead of fetching again.
    completed: AtomicU64,
    fetches: AtomicU64,
    /// Held for the duration of a refresh: this is the single flight.
    refresh: tokio::sync::Mutex<RefreshState>,
}

#[derive(Default)]
struct RefreshState {
    /// When the last refresh (successful or not) finished.
    last_attempt: Option<Instant>,
    last_failure: Option<JwksFailure>,
    /// `jwks_uri` learned through discovery.
    discovered: Option<Url>,
}

enum Refresh {
    Done(Arc<KeySet>),
    Limited,
    Failed(JwksFailure),
}

impl Slot {
    fn current(&self) -> Option<Arc<KeySet>> {
        self.keys.read().clone()
    }
}

/// All key material of a `Verifier`.
pub(crate) struct KeyStore {
    http: reqwest::Client,
    opts: VerifierOptions,
    statics: RwLock<HashMap<String, Arc<KeySet>>>,
    remotes: Mutex<HashMap<SlotKey, Arc<Slot>>>,
}

impl KeyStore {
    pub(crate) fn new(http: reqwest::Client, opts: VerifierOptions) -> Self {
        Self { http, opts, statics: RwLock::default(), remotes: Mutex::default() }
    }

    pub(crate) fn set_static(&self, issuer: &str, jwks: &JwkSet) -> usize {
        let set = KeySet::from_jwks(&jwks.keys);
        let usable = set.keys.len();
        self.statics.write().insert(issuer.to_owned(), Arc::new(set));
        usable
    }

    pub(crate) fn remove_static(&self, issuer: &str) -> bool {
        self.statics.write().remove(issuer).is_some()
    }

    pub(crate) fn fetch_count(&self, issuer: &str) -> u64 {
        self.remotes
            .lock()
            .iter()
            .filter(|(key, _)| key.issuer == issuer)
            .map(|(_, slot)| slot.fetches.load(Ordering::Relaxed))
            .sum()
    }

    fn slot(&self, cfg: &IssuerConfig) -> Arc<Slot> {
        let key = SlotKey { issuer: cfg.issuer.clone(), jwks_uri: cfg.jwks_uri.clone() };
        Arc::clone(self.remotes.lock().entry(key).or_default())
    }

    /// The keys of `cfg`'s issuer that may verify a token with this `kid` and `alg`,
    /// fetching or refreshing the issuer's JWKS when needed and allowed.
    pub(crate) async fn resolve(
        &self,
        cfg: &IssuerConfig,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Vec<Arc<VerificationKey>>, AuthError> {
        let static_set = self.statics.read().get(&cfg.issuer).cloned();
        if let Some(set) = static_set {
            return set.select(kid, alg).into_result();
        }

        let slot = self.slot(cfg);
        let seen_completed = slot.completed.load(Ordering::Acquire);
        if let Some(set) = slot.current() {
            let fresh = set.fetched_at.elapsed() < self.opts.max_age;
            match set.select(kid, alg) {
                Selection::Found(keys) if fresh => return Ok(keys),
                Selection::WrongAlg if fresh => return Err(AuthError::UnsupportedAlgorithm),
                Selection::Found(stale_keys) => {
                    // Known key, cache past max age: refresh unless a refresh is already
                    // running (then do not wait for it) or not allowed yet; if it fails, the
                    // stale keys are still better than an outage.
                    let Ok(mut state) = slot.refresh.try_lock() else {
                        return Ok(stale_keys);
                    };
                    return match self.refresh(cfg, &slot, &mut state).await {
                        Refresh::Done(set) => set.select(kid, alg).into_result(),
                        Refresh::Limited | Refresh::Failed(_) => Ok(stale_keys),
                    };
                }
                Selection::WrongAlg | Selection::NotFound => {}
            }
        }

        // Unknown kid, or nothing cached yet: join the single flight.
        let mut state = slot.refresh.lock().await;
        let outcome = if slot.completed.load(Ordering::Acquire) == seen_completed {
            self.refresh(cfg, &slot, &mut state).await
        } else {
            // A refresh finished while we waited: it is as fresh as ours would be.
            match (state.last_failure, slot.current()) {
                (None, Some(set)) => Refresh::Done(set),
                (failure, _) => Refresh::Failed(failure.unwrap_or(JwksFailure::Request)),
            }
        };
        match outcome {
            Refresh::Done(set) => set.select(kid, alg).into_result(),
            Refresh::Limited => match slot.current() {
                Some(set) => set.select(kid, alg).into_result(),
                None => Err(AuthError::JwksUnavailable(
                    state.last_failure.unwrap_or(JwksFailure::Request),
                )),
            },
            Refresh::Failed(failure) => match slot.current().map(|set| set.select(kid, alg)) {
                Some(Selection::Found(keys)) => Ok(keys),
                Some(Selection::WrongAlg) => Err(AuthError::UnsupportedAlgorithm),
                Some(Selection::NotFound) | None => Err(AuthError::JwksUnavailable(failure)),
            },
        }
    }

    /// One refresh, unless rate-limited. Must be called with `slot.refresh` held.
    async fn refresh(&self, cfg: &IssuerConfig, slot: &Slot, state: &mut RefreshState) -> Refresh {
        if state.last_attempt.is_some_and(|last| last.elapsed() < self.opts.min_refresh_interval) {
            return Refresh::Limited;
        }
        slot.fetches.fetch_add(1, Ordering::Relaxed);
        let result = self.fetch(cfg, state).await;
        state.last_attempt = Some(Instant::now());
        let outcome = match result {
            Ok(set) => {
                let set = Arc::new(set);
                *slot.keys.write() = Some(Arc::clone(&set));
                state.last_failure = None;
                tracing::debug!(issuer = %cfg.issuer, keys = set.keys.len(), "JWKS refreshed");
                Refresh::Done(set)
            }
            Err(failure) => {
                state.last_failure = Some(failure);
                tracing::warn!(issuer = %cfg.issuer, %failure, "JWKS refresh failed");
                Refresh::Failed(failure)
            }
        };
        // Only reached when the fetch ran to completion: a cancelled refresh leaves no trace,
        // so the next waiter fetches instead of inheriting nothing.
        slot.completed.fetch_add(1, Ordering::Release);
        outcome
    }

    async fn fetch(
        &self,
        cfg: &IssuerConfig,
        state: &mut RefreshState,
    ) -> Result<KeySet, JwksFailure> {
        let jwks_uri = match (&cfg.jwks_uri, &state.discovered) {
            (Some(uri), _) | (None, Some(uri)) => uri.clone(),
            (None, None) => {
                let uri = self.discover(&cfg.issuer).await?;
                state.discovered = Some(uri.clone());
                uri
            }
        };
        let body = match self.get(&jwks_uri).await {
            Ok(body) => body,
            Err(failure) => {
                // The discovered location may have moved: discover again next time.
                state.discovered = None;
                return Err(failure);
            }
        };
        KeySet::parse(&body)
    }

    /// OIDC discovery: `{issuer}/.well-known/openid-configuration` → `jwks_uri`.
    async fn discover(&self, issuer: &str) -> Result<Url, JwksFailure> {
        #[derive(Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: String,
        }
        let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let url = Url::parse(&url).map_err(|_| JwksFailure::BadUrl)?;
        let body = self.get(&url).await?;
        let doc: Discovery =
            serde_json::from_slice(&body).map_err(|_| JwksFailure::InvalidDocument)?;
        // OIDC Discovery §4.3: the document must name the issuer it was fetched for.
        if doc.issuer != issuer {
            return Err(JwksFailure::InvalidDocument);
        }
        Url::parse(&doc.jwks_uri).map_err(|_| JwksFailure::BadUrl)
    }

    /// GET with time limit and size cap.
    async fn get(&self, url: &Url) -> Result<Vec<u8>, JwksFailure> {
        if !matches!(url.scheme(), "https" | "http") {
            return Err(JwksFailure::BadUrl);
        }
        let max = self.opts.max_response_bytes;
        let fetch = async {
            let mut response = self
                .http
                .get(url.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|err| JwksFailure::from_reqwest(&err))?;
            let status = response.status();
            if !status.is_success() {
                return Err(JwksFailure::Status(status.as_u16()));
            }
            if response.content_length().is_some_and(|len| len > max as u64) {
                return Err(JwksFailure::TooLarge);
            }
            let mut body = Vec::new();
            while let Some(chunk) =
                response.chunk().await.map_err(|err| JwksFailure::from_reqwest(&err))?
            {
                if body.len() + chunk.len() > max {
                    return Err(JwksFailure::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        tokio::time::timeout(self.opts.fetch_timeout, fetch)
            .await
            .map_err(|_| JwksFailure::Timeout)?
    }
}

#[cfg(test)]
mod tests;
