//! Starting a server for a test, and talking to it.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use stoa::Server;
use stoa::config::Config;
use stoa_core::{Role, TenantId};

pub(crate) struct TestServer {
    pub(crate) server: Option<Server>,
    pub(crate) url: String,
    pub(crate) client: reqwest::Client,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) pg: Option<test_support::PgDb>,
}

pub(crate) fn config(dir: &std::path::Path, extra: &[(&str, &str)]) -> Config {
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("STOA_DATA_DIR".into(), dir.display().to_string());
    env.insert("STOA_LISTEN".into(), "127.0.0.1:0".into());
    env.insert("STOA_LOG".into(), "warn".into());
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    Config::from_env(&env).expect("test config")
}

impl TestServer {
    pub(crate) async fn start() -> Self {
        Self::start_with(&[]).await
    }

    pub(crate) async fn start_with(extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, extra, None).await
    }

    /// On PostgreSQL, or `None` (printed as SKIPPED) without `STOA_TEST_DATABASE_URL`.
    pub(crate) async fn start_pg(test: &str) -> Option<Self> {
        let db = test_support::PgDb::create(test).await?;
        let url = db.url.clone();
        let dir = tempfile::tempdir().unwrap();
        Some(Self::start_in(dir, &[("STOA_DATABASE_URL", &url)], Some(db)).await)
    }

    /// Stops the server and starts a new one on the same data directory (a restart).
    pub(crate) async fn restart(mut self, extra: &[(&str, &str)]) -> Self {
        if let Some(s) = self.server.take() {
            s.stop().await.unwrap();
        }
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        let pg = self.pg.take();
        let url = pg.as_ref().map(|d| d.url.clone());
        let mut env: Vec<(&str, &str)> = extra.to_vec();
        if let Some(u) = &url {
            env.push(("STOA_DATABASE_URL", u));
        }
        Self::start_in(dir, &env, pg).await
    }

    async fn start_in(
        dir: tempfile::TempDir,
        extra: &[(&str, &str)],
        pg: Option<test_support::PgDb>,
    ) -> Self {
        let config = config(dir.path(), extra);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (server, _) = Server::start(&config, listener).await.unwrap();
        let url = format!("http://{}", server.addr);
        let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        TestServer { server: Some(server), url, client, dir, pg }
    }

    pub(crate) async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.core.store().ping().await.ok();
            s.stop().await.unwrap();
        }
        if let Some(db) = self.pg.take() {
            db.drop_db().await;
        }
    }

    pub(crate) fn core(&self) -> &stoa_core::Core {
        &self.server.as_ref().unwrap().core
    }

    /// A built-in-issuer token.
    pub(crate) fn token(&self, role: Role, tenant: Option<&str>, sub: &str) -> String {
        let tenant = tenant.map(|t| TenantId::parse(t).unwrap());
        self.core().issue_token(role, tenant.as_ref(), sub, Duration::from_secs(600)).unwrap()
    }

    pub(crate) fn admin(&self) -> String {
        self.token(Role::CpiAdmin, None, "admin")
    }

    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_h(method, path, token, &[], body).await
    }

    pub(crate) async fn call_h(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub(crate) async fn create_tenant(&self, id: &str) {
        let (s, b) = self
            .call(
                Method::POST,
                "/v1/tenants",
                Some(&self.admin()),
                Some(serde_json::json!({"id": id, "name": id})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }

    /// Creates an API key as cpi-admin; returns (id, key).
    pub(crate) async fn create_key(&self, tenant: &str, role: &str) -> (String, String) {
        let (s, b) = self
            .call_h(
                Method::POST,
                "/v1/api-keys",
                Some(&self.admin()),
                &[("x-stoa-tenant", tenant)],
                Some(serde_json::json!({"name": "k", "role": role})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        (b["id"].as_str().unwrap().to_owned(), b["key"].as_str().unwrap().to_owned())
    }
}

/// Asserts the error envelope and code.
pub(crate) fn assert_error(
    status: StatusCode,
    body: &Value,
    want_status: StatusCode,
    want_code: &str,
) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], want_code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

/// The base URL `stoa serve` prints on its first line of stdout (read byte by byte, so nothing
/// after it is consumed).
pub(crate) fn served_url(stdout: &mut std::process::ChildStdout) -> String {
    use std::io::Read;
    let (mut first, mut byte) = (Vec::new(), [0u8; 1]);
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    let first = String::from_utf8(first).unwrap();
    first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_owned()
}
