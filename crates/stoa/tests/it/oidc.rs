//! Tenant identity realms (F-12) end to end, against a real OpenID provider: `oidc-provider`
//! 8.x under Node (`tests/oidc/provider.mjs`), one child process per realm. Tokens are JWT
//! access tokens from the `client_credentials` grant with a resource indicator (audience =
//! Stoa's public URL); Stoa finds the keys through OIDC discovery, follows a key rotation, and
//! never contacts an issuer no tenant is bound to.
//!
//! Needs `npm ci --prefix tests/oidc`; without it the test prints SKIPPED, unless `CI=true`,
//! where it fails.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestServer, assert_error};

const TEST: &str = "stoa::oidc::tenant_realms_with_a_real_provider";
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A provider process, killed (and reaped) when dropped, also when the test panics.
struct ChildGuard {
    child: Child,
    /// Held so the provider sees its stdin close if the test process dies without unwinding.
    _stdin: Option<ChildStdin>,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A provider that was spawned and has not said it is listening yet.
struct Pending {
    name: &'static str,
    guard: ChildGuard,
    lines: mpsc::Receiver<String>,
}

/// A running realm.
struct Realm {
    name: &'static str,
    issuer: String,
    token_endpoint: String,
    kid: String,
    http: reqwest::Client,
    _guard: ChildGuard,
}

fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

/// Why the provider cannot run here, if it cannot.
fn missing_deps(dir: &Path) -> Option<String> {
    if !dir.join("node_modules/oidc-provider/package.json").is_file() {
        return Some("tests/oidc/node_modules is missing".into());
    }
    match Command::new("node").arg("--version").stdin(Stdio::null()).output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!("`node --version` failed: {}", out.status)),
        Err(e) => Some(format!("node not found: {e}")),
    }
}

fn spawn(dir: &Path, name: &'static str, config: &Value) -> Pending {
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .arg(config.to_string())
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting provider {name}: {e}"));
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    // Drain both pipes for the provider's whole life (a full pipe would block it); the output
    // lands in the test's captured output, shown when the test fails.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            eprintln!("[provider {name}] {line}");
            let _ = tx.send(line);
        }
    });
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("[provider {name} stderr] {line}");
        }
    });
    Pending { name, guard: ChildGuard { child, _stdin: stdin }, lines }
}

impl Pending {
    /// Waits for the `{"ready":true,...}` line.
    fn ready(self) -> Realm {
        let deadline = Instant::now() + READY_TIMEOUT;
        let name = self.name;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("provider {name}: not listening after {READY_TIMEOUT:?}")
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("provider {name} exited before listening")
                }
            };
            let Ok(msg) = serde_json::from_str::<Value>(&line) else { continue };
            if msg["ready"] != true {
                continue;
            }
            let field = |k: &str| {
                msg[k]
                    .as_str()
                    .unwrap_or_else(|| panic!("provider {name}: no {k} in {msg}"))
                    .to_owned()
            };
            let http = reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            return Realm {
                name,
                issuer: field("issuer"),
                token_endpoint: field("token_endpoint"),
                kid: field("kid"),
                http,
                _guard: self.guard,
            };
        }
    }
}

impl Realm {
    /// An access token for `client` (a client of the provider's config) with audience `aud`.
    async fn token(&self, client: &str, aud: &str) -> String {
        let resp = self
            .http
            .post(&self.token_endpoint)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client),
                ("client_secret", "secret"),
                ("resource", aud),
                ("scope", "stoa:read"),
            ])
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "provider {}: token for {client}: {body}", self.name);
        assert_eq!(body["token_type"], "Bearer", "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// Requests served by the provider's discovery and JWKS endpoints so far.
    async fn stats(&self) -> (u64, u64) {
        let s: Value = self
            .http
            .get(format!("{}/__test/stats", self.issuer))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (s["discovery"].as_u64().unwrap(), s["jwks"].as_u64().unwrap())
    }

    /// Switches the provider to a new signing key (the old one is no longer published).
    async fn rotate(&mut self) {
        let resp = self.http.post(format!("{}/__test/rotate", self.issuer)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.unwrap();
        let kid = body["kid"].as_str().unwrap().to_owned();
        assert_ne!(kid, self.kid, "rotation produced a new key");
        self.kid = kid;
    }
}

fn jose_part(token: &str, i: usize) -> Value {
    let part = token.split('.').nth(i).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn whoami(srv: &TestServer, token: &str) -> (StatusCode, Value) {
    srv.call(Method::GET, "/v1/whoami", Some(token), None).await
}

#[tokio::test]
async fn tenant_realms_with_a_real_provider() {
    let dir = provider_dir();
    if let Some(why) = missing_deps(&dir) {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{TEST}: {why}; CI must run `npm ci --prefix tests/oidc`");
        }
        test_support::skip(TEST, &format!("{why}: run npm ci --prefix tests/oidc"));
        return;
    }
    let started = Instant::now();

    // Three realms, started in parallel. Realm A speaks Keycloak's `realm_access.roles` and
    // RS256; realm B ES256 with roles in a custom claim; realm C is bound to no tenant.
    let a = spawn(
        &dir,
        "A",
        &json!({"alg": "RS256", "clients": {
            "acme-admin": {"realm_access": {"roles": ["offline_access", "tenant-admin"]}},
            "acme-ops": {"roles": ["devops"], "tenant_id": "acme"},
            "acme-as-globex": {"roles": ["tenant-admin"], "tenant_id": "globex"},
            "acme-root": {"roles": ["cpi-admin"]},
        }}),
    );
    let b = spawn(
        &dir,
        "B",
        &json!({"alg": "ES256", "clients": {"globex-viewer": {"groups": ["viewer"]}}}),
    );
    let c = spawn(
        &dir,
        "C",
        &json!({"alg": "RS256", "clients": {"intruder": {"roles": ["tenant-admin"], "tenant_id": "acme"}}}),
    );
    let (mut a, b, c) = (a.ready(), b.ready(), c.ready());
    eprintln!("providers listening after {:?}", started.elapsed());

    let srv = TestServer::start_with(&[("STOA_JWKS_MIN_REFRESH_SECS", "0")]).await;
    let aud = srv.core().config().public_url.clone();
    let verifier = srv.core().verifier();

    // 1. Two tenants, each bound to its realm through discovery (no jwks_uri, no audience).
    srv.create_tenant("acme").await;
    srv.create_tenant("globex").await;
    for (tenant, auth) in [
        ("acme", json!({"issuer": a.issuer})),
        ("globex", json!({"issuer": b.issuer, "roles_claim": "groups"})),
    ] {
        let (s, body) = srv
            .call(
                Method::PATCH,
                &format!("/v1/tenants/{tenant}"),
                Some(&srv.admin()),
                Some(json!({"settings": {"auth": auth}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    assert_eq!(a.stats().await, (0, 0), "binding a realm fetches nothing by itself");

    // 2. Realm A's token acts for acme with the role the provider put in it, and for acme only.
    let t_a = a.token("acme-admin", &aud).await;
    let header = jose_part(&t_a, 0);
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("RS256"), Some(a.kid.as_str())),
        "{header}"
    );
    assert_eq!(jose_part(&t_a, 1)["aud"], aud.as_str());
    let (s, me) = whoami(&srv, &t_a).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["tenant_id"], "acme", "{me}");
    assert_eq!(me["role"], "tenant-admin", "{me}");
    assert_eq!(me["subject"], "acme-admin", "{me}");
    let (s, body) = srv.call(Method::GET, "/v1/tenants/acme", Some(&t_a), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = srv.call(Method::GET, "/v1/tenants/globex", Some(&t_a), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "realm A reaches tenant A only: {body}");
    // Discovery, then the JWKS it names, once; cached for the next requests.
    assert_eq!(a.stats().await, (1, 1));
    assert_eq!(verifier.jwks_fetch_count(&a.issuer), 1);

    // A tenant_id naming the tenant itself is fine; tenant roles only (never cpi-admin).
    let (s, me) = whoami(&srv, &a.token("acme-ops", &aud).await).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(
        (me["tenant_id"].as_str(), me["role"].as_str()),
        (Some("acme"), Some("devops")),
        "{me}"
    );
    let root = a.token("acme-root", &aud).await;
    let (s, body) = srv.call(Method::GET, "/v1/tenants", Some(&root), None).await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "no_role");

    // Realm B (ES256, roles from the configured claim) acts for globex.
    let t_b = b.token("globex-viewer", &aud).await;
    assert_eq!(jose_part(&t_b, 0)["alg"], "ES256");
    let (s, me) = whoami(&srv, &t_b).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(
        (me["tenant_id"].as_str(), me["role"].as_str()),
        (Some("globex"), Some("viewer")),
        "{me}"
    );
    let (s, body) = srv.call(Method::GET, "/v1/tenants/acme", Some(&t_b), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "realm B reaches tenant B only: {body}");
    assert_eq!(b.stats().await, (1, 1));

    // A token of the right realm for the wrong audience is refused.
    let (s, _) = whoami(&srv, &a.token("acme-admin", "https://elsewhere.example").await).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // 3. Realm A cannot speak for globex by claiming it.
    let (s, body) = whoami(&srv, &a.token("acme-as-globex", &aud).await).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "invalid_token");
    assert_eq!(a.stats().await, (1, 1), "signed by a known key: no refresh");

    // 4. Rotation: realm A signs with a new key; Stoa refreshes its JWKS once (the discovered
    // location is reused) and accepts the token.
    let old_kid = a.kid.clone();
    a.rotate().await;
    let t_new = a.token("acme-admin", &aud).await;
    assert_eq!(jose_part(&t_new, 0)["kid"], a.kid.as_str());
    let (s, me) = whoami(&srv, &t_new).await;
    assert_eq!(s, StatusCode::OK, "token of the rotated key: {me}");
    assert_eq!(
        (me["tenant_id"].as_str(), me["role"].as_str()),
        (Some("acme"), Some("tenant-admin")),
        "{me}"
    );
    assert_eq!(a.stats().await, (1, 2));
    assert_eq!(verifier.jwks_fetch_count(&a.issuer), 2);
    // The old key is no longer published: its (unexpired) tokens stop working.
    assert_eq!(jose_part(&t_a, 0)["kid"], old_kid.as_str());
    let (s, _) = whoami(&srv, &t_a).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "token of the retired key");

    // 5. An issuer no tenant is bound to is refused without being contacted, even though it
    // is up and its token names a real tenant.
    let t_c = c.token("intruder", &aud).await;
    let (s, body) = whoami(&srv, &t_c).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "invalid_token");
    let (s, _) = srv.call(Method::GET, "/v1/tenants/acme", Some(&t_c), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(c.stats().await, (0, 0), "Stoa fetched from an unbound issuer");
    assert_eq!(verifier.jwks_fetch_count(&c.issuer), 0);

    srv.stop().await;
    eprintln!("{TEST} took {:?}", started.elapsed());
}
