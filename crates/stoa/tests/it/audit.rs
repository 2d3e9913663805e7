//! The audit ledger through the server (F-25, F-80..F-82) and key custody (F-40..F-42):
//! entries for calls, refusals and changes; tenant scoping of `GET /v1/audit`; fail-closed;
//! interrupted calls finalized on restart; key rotation with a ledger marker.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stoa_core::Role;

use crate::harness::{TestServer, assert_error};
use crate::proxy::{self, OPENAI_KEY};

async fn audit(
    srv: &TestServer,
    token: &str,
    query: &str,
    tenant: Option<&str>,
) -> (StatusCode, Value) {
    let headers: Vec<(&str, &str)> = tenant.map(|t| vec![("x-stoa-tenant", t)]).unwrap_or_default();
    srv.call_h(Method::GET, &format!("/v1/audit{query}"), Some(token), &headers, None).await
}

fn entries(page: &Value) -> Vec<Value> {
    page["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn calls_refusals_and_changes_are_recorded() {
    let px = proxy::start(&[], false).await;
    let srv = &px.srv;
    let admin = srv.admin();
    srv.create_tenant("globex").await;
    let (s, _, _) = px
        .post(
            "/v1/chat/completions",
            json!({"model": "gpt-4o-mini", "max_tokens": 20,
        "messages": [{"role": "user", "content": "Hello there"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = px
        .post_with(
            "/v1/chat/completions",
            &px.key.clone(),
            &[("x-stoa-purpose", "spying")],
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = srv.call(Method::GET, "/v1/whoami", Some("stoa_sk_not-a-key"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let (s, page) = audit(srv, &admin, "?action=llm.call", None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let calls = entries(&page);
    let pending = calls.iter().find(|e| e["status"] == "pending").expect("pending entry");
    let fin = calls.iter().find(|e| e["status"] == "ok").expect("final entry");
    assert_eq!(fin["refers_to"], pending["seq"]);
    assert_eq!(
        (fin["provider"].as_str(), fin["model"].as_str()),
        (Some("openai"), Some("gpt-4o-mini"))
    );
    assert_eq!(fin["output_tokens"], 3);
    assert_eq!(fin["purpose"], "chat");
    assert!(fin["cost_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(fin["tenant_id"], "acme");
    let refused = calls.iter().find(|e| e["status"] == "refused").expect("refusal");
    assert_eq!(refused["code"], "purpose_not_allowed");
    // The user is a pseudonym, never the subject or key id.
    let user = fin["user"].as_str().unwrap();
    assert_eq!(user.len(), 32);
    assert!(!page.to_string().contains(&px.key[8..]), "no key material in the ledger");
    // Authentication failures and control-plane changes are there too.
    let (_, page) = audit(srv, &admin, "?action=authenticate", None).await;
    assert_eq!(entries(&page)[0]["code"], "invalid_api_key");
    let (_, page) = audit(srv, &admin, "?action=api_key.create", None).await;
    assert_eq!(entries(&page)[0]["detail"]["role"], "devops");
    let (_, page) = audit(srv, &admin, "?action=tenant.create", None).await;
    assert_eq!(entries(&page).len(), 2, "acme and globex");

    // Tenant scoping: a tenant-admin sees its tenant only; asking for another is 404.
    let ta = srv.token(Role::TenantAdmin, Some("globex"), "gina");
    let (s, page) = audit(srv, &ta, "", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(entries(&page).iter().all(|e| e["tenant_id"] == "globex"), "{page}");
    let (s, _) = audit(srv, &ta, "", Some("acme")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let viewer = srv.token(Role::Viewer, Some("acme"), "vic");
    let (s, b) = audit(srv, &viewer, "", None).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "forbidden");
    // The platform can narrow to one tenant, and page.
    let (_, page) = audit(srv, &admin, "?limit=2", Some("acme")).await;
    assert_eq!(entries(&page).len(), 2);
    let before = page["next_before"].as_i64().unwrap();
    let (_, older) = audit(srv, &admin, &format!("?limit=2&before={before}"), Some("acme")).await;
    assert!(entries(&older).iter().all(|e| e["seq"].as_i64().unwrap() < before));
    // The viewer's refusal itself was recorded.
    let (_, page) = audit(srv, &admin, "?action=audit.read", Some("acme")).await;
    assert!(
        entries(&page).iter().any(|e| e["status"] == "refused" && e["code"] == "forbidden"),
        "{page}"
    );
    // And the chain verifies.
    srv.core().flush_ledger().await;
    let verdict = stoa_core::verify_chain(srv.core().store().as_ref()).await.unwrap();
    assert!(matches!(verdict, stoa_core::audit::Verdict::Intact { .. }), "{verdict:?}");
    px.stop().await;
}

#[tokio::test]
async fn ledger_unwritable_refuses_calls() {
    let px = proxy::start(&[], false).await;
    let db = px.srv.dir.path().join("stoa.db");
    let raw = stoa_store::SqlStore::open_sqlite(&db).await.unwrap();
    sqlx::query("ALTER TABLE audit_log RENAME TO audit_log_away")
        .execute(raw.pool())
        .await
        .unwrap();
    let (s, b, _) = px
        .post(
            "/v1/chat/completions",
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("audit_unavailable")),
        "{b}"
    );
    assert!(px.fake.requests().is_empty(), "no call goes out unaudited");
    sqlx::query("ALTER TABLE audit_log_away RENAME TO audit_log")
        .execute(raw.pool())
        .await
        .unwrap();
    // The reservation was released: the ledger is back and the call works.
    let (s, b, _) = px
        .post(
            "/v1/chat/completions",
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    px.srv.core().flush_ledger().await;
    assert!(matches!(
        stoa_core::verify_chain(px.srv.core().store().as_ref()).await.unwrap(),
        stoa_core::audit::Verdict::Intact { .. }
    ));
    raw.close().await;
    px.stop().await;
}

#[tokio::test]
async fn pending_calls_of_a_crash_are_finalized_as_interrupted() {
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    let core = srv.core();
    // A pending entry that never got its final one, as a crash leaves it.
    let ledger = stoa_core::audit::Ledger::open(core.store().clone()).await.unwrap();
    core.flush_ledger().await;
    let e = stoa_core::audit::AuditEvent {
        at_ms: 1,
        tenant: Some("acme".into()),
        action: "llm.call".into(),
        status: "pending".into(),
        provider: Some("openai".into()),
        ..Default::default()
    };
    let seq = ledger.append(e).await.unwrap();
    let srv = srv.restart(&[]).await;
    let (_, page) = audit(&srv, &srv.admin(), "?action=llm.call", None).await;
    let fin = entries(&page).into_iter().find(|e| e["refers_to"] == seq).expect("final entry");
    assert_eq!(fin["status"], "interrupted");
    let srv = srv.restart(&[]).await;
    let (_, page) = audit(&srv, &srv.admin(), "?action=llm.call", None).await;
    assert_eq!(
        entries(&page).iter().filter(|e| e["status"] == "interrupted").count(),
        1,
        "only once"
    );
    srv.stop().await;
}

/// A pending `llm.call` entry of `acme`, as a call in flight (or a crash) leaves it.
fn pending(at_ms: i64) -> stoa_core::audit::AuditEvent {
    stoa_core::audit::AuditEvent {
        at_ms,
        tenant: Some("acme".into()),
        action: "llm.call".into(),
        status: "pending".into(),
        ..Default::default()
    }
}

/// While serving, recovery spares a call in flight (it is young), and the watermark stays
/// below it; a stopped server finalizes what its calls left, and the next start has nothing to
/// look at before the watermark.
#[tokio::test]
async fn recovery_while_serving_spares_calls_in_flight() {
    use stoa_core::Recovery;
    let srv = TestServer::start().await;
    srv.create_tenant("acme").await;
    let core = srv.core();
    let store = core.store().clone();
    let ledger = stoa_core::audit::Ledger::open(store.clone()).await.unwrap();
    let now = stoa_core::clock::now_ms();
    let old = ledger.append(pending(now - 3_600_000)).await.unwrap();
    let in_flight = ledger.append(pending(now)).await.unwrap();
    assert_eq!(core.recover_interrupted(Recovery::Periodic).await.unwrap(), 1, "only the old one");
    let mark = store.audit_finalized_through().await.unwrap();
    assert_eq!(mark, in_flight - 1, "the watermark stops below the call in flight");
    assert_eq!(core.recover_interrupted(Recovery::Periodic).await.unwrap(), 0, "once");
    assert_eq!(core.recover_interrupted(Recovery::Shutdown).await.unwrap(), 1);
    assert!(store.audit_finalized_through().await.unwrap() >= in_flight);
    let (_, page) = audit(&srv, &srv.admin(), "?action=llm.call", None).await;
    let finals: Vec<i64> = entries(&page)
        .iter()
        .filter(|e| e["status"] == "interrupted")
        .map(|e| e["refers_to"].as_i64().unwrap())
        .collect();
    assert_eq!(finals.len(), 2);
    assert!(finals.contains(&old) && finals.contains(&in_flight), "{finals:?}");
    srv.stop().await;
}

/// Cluster mode: a restarting replica finalizes only orphans too old to be another replica's
/// call in flight.
#[tokio::test]
async fn cluster_recovery_spares_young_pending_entries() {
    let Some(srv) =
        TestServer::start_pg("stoa::audit::cluster_recovery_spares_young_pending_entries").await
    else {
        return;
    };
    srv.create_tenant("acme").await;
    let ledger = stoa_core::audit::Ledger::open(srv.core().store().clone()).await.unwrap();
    let now = stoa_core::clock::now_ms();
    let old = ledger.append(pending(now - 3_600_000)).await.unwrap();
    let young = ledger.append(pending(now)).await.unwrap();
    let srv = srv.restart(&[]).await;
    let (_, page) = audit(&srv, &srv.admin(), "?action=llm.call", None).await;
    let finals: Vec<i64> = entries(&page)
        .iter()
        .filter(|e| e["status"] == "interrupted")
        .map(|e| e["refers_to"].as_i64().unwrap())
        .collect();
    assert_eq!(finals, vec![old], "young pending entry {young} may be another replica's call");
    srv.stop().await;
}

#[tokio::test]
async fn key_rotation_from_files() {
    let secrets = tempfile::tempdir().unwrap();
    std::fs::write(secrets.path().join("openai"), format!("  {OPENAI_KEY}\n")).unwrap();
    let dir = secrets.path().display().to_string();
    let px = proxy::start(
        &[("STOA_SECRETS_DIR", &dir), ("OPENAI_API_KEY", "sk-env-loses-to-file")],
        false,
    )
    .await;
    let admin = px.srv.admin();
    let body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
    let (s, _, _) = px.post("/v1/chat/completions", body.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        px.fake.requests()[0].header("authorization"),
        Some(format!("Bearer {OPENAI_KEY}").as_str()),
        "file wins, trimmed"
    );

    let (s, keys) = px.srv.call(Method::GET, "/v1/admin/keys", Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK, "{keys}");
    let openai = keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["provider"] == "openai")
        .unwrap()
        .clone();
    assert_eq!(
        (openai["configured"].as_bool(), openai["generation"].as_u64()),
        (Some(true), Some(1))
    );
    assert!(openai["last_success"].is_string());
    assert!(!keys.to_string().contains("sk-"), "no key material, not even a prefix: {keys}");

    // Rotate under load: calls in flight across the reload all succeed.
    px.fake.script((0..20).map(|_| stoa_fake::Fault::Slow { ms: 150 }).collect());
    let mut inflight = Vec::new();
    for _ in 0..20 {
        let (c, u, k, b) =
            (px.srv.client.clone(), px.srv.url.clone(), px.key.clone(), body.clone());
        inflight.push(tokio::spawn(async move {
            c.post(format!("{u}/v1/chat/completions"))
                .bearer_auth(k)
                .json(&b)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    std::fs::write(secrets.path().join("openai"), "sk-rotated-key-2\n").unwrap();
    let (s, keys) = px.srv.call(Method::POST, "/v1/admin/keys/reload", Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK, "{keys}");
    for t in inflight {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    px.fake.clear();
    let (s, _, _) = px.post("/v1/chat/completions", body.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(px.fake.requests()[0].header("authorization"), Some("Bearer sk-rotated-key-2"));
    let (_, page) = audit(&px.srv, &admin, "?action=key.rotation", None).await;
    let marker = &entries(&page)[0];
    assert_eq!(
        (marker["provider"].as_str(), marker["detail"]["generation"].as_u64()),
        (Some("openai"), Some(2))
    );
    assert!(!page.to_string().contains("rotated-key"), "{page}");

    // An empty key file is refused and the current key stays.
    std::fs::write(secrets.path().join("openai"), "  \n").unwrap();
    let (s, b) = px.srv.call(Method::POST, "/v1/admin/keys/reload", Some(&admin), None).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "key_reload_failed");
    assert!(b["error"]["message"].as_str().unwrap().contains("openai"), "names the file: {b}");
    let (s, _, _) = px.post("/v1/chat/completions", body).await;
    assert_eq!(s, StatusCode::OK);
    // Only the platform may do this.
    let ta = px.srv.token(Role::TenantAdmin, Some("acme"), "t");
    let (s, _) = px.srv.call(Method::POST, "/v1/admin/keys/reload", Some(&ta), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    px.stop().await;
}

/// `stoa audit verify|export|report|sweep` on a ledger the server wrote.
#[tokio::test]
async fn audit_cli() {
    let px = proxy::start(&[], false).await;
    for _ in 0..2 {
        let (s, _, _) = px
            .post(
                "/v1/chat/completions",
                json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    px.srv.core().flush_ledger().await;
    let dir = px.srv.dir.path().to_owned();
    let stoa = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stoa"))
            .env_clear()
            .env("STOA_DATA_DIR", &dir)
            .env("STOA_LOG", "warn")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, out, err) = stoa(&["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("ledger intact: "), "{out}");
    let (_, export, _) = stoa(&["audit", "export", "--tenant", "acme"]);
    let lines: Vec<Value> = export.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.iter().filter(|l| l["action"] == "llm.call").count() >= 4, "{export}");
    assert!(lines.iter().all(|l| l["hash"].as_str().unwrap().len() == 64 && l["tenant"] == "acme"));

    let month = &stoa_core::clock::to_rfc3339(stoa_core::clock::now_ms())[..7];
    let (code, report, err) = stoa(&["audit", "report", "--month", month, "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["by_provider"]["openai"]["requests"], 2, "{report}");
    assert_eq!(report["by_tenant"]["acme"]["success_rate"], 1.0);
    let billing = px.srv.dir.path().join("billing.csv");
    std::fs::write(
        &billing,
        "provider,model,input_tokens,output_tokens,cost_usd\nopenai,gpt-4o-mini,10,5,9.99\n",
    )
    .unwrap();
    let (_, text, _) =
        stoa(&["audit", "report", "--month", month, "--billing", billing.to_str().unwrap()]);
    assert!(text.contains("DIVERGES") && text.contains("billing: provider openai"), "{text}");

    let now = stoa_core::clock::now_ms();
    let (from, to) = (
        stoa_core::clock::to_rfc3339(now - 3_600_000),
        stoa_core::clock::to_rfc3339(now + 3_600_000),
    );
    let (code, sweep, err) = stoa(&[
        "audit",
        "sweep",
        "--provider",
        "openai",
        "--from",
        &from,
        "--to",
        &to,
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let sweep: Value = serde_json::from_str(&sweep).unwrap();
    assert_eq!(sweep["groups"][0]["tenant"], "acme", "{sweep}");
    assert_eq!(sweep["groups"][0]["totals"]["requests"], 2);

    // Tampering is caught, named, and fails the command.
    let raw = stoa_store::SqlStore::open_sqlite(&px.srv.dir.path().join("stoa.db")).await.unwrap();
    sqlx::query("UPDATE audit_log SET model = 'gpt-4o' WHERE seq = 3")
        .execute(raw.pool())
        .await
        .unwrap();
    let (code, out, _) = stoa(&["audit", "verify"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("broken at entry 3"), "{out}");
    raw.close().await;
    px.stop().await;
}

/// The real binary against a fake provider, with tenant `acme` and a devops key: for tests
/// about the process (signals, restarts).
struct Process {
    fake: stoa_fake::FakeProvider,
    dir: tempfile::TempDir,
    child: std::process::Child,
    url: String,
    admin: String,
    key: String,
    http: reqwest::Client,
}

impl Process {
    fn cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_stoa"));
        c.env_clear()
            .env("STOA_DATA_DIR", self.dir.path())
            .env("STOA_LISTEN", "127.0.0.1:0")
            .env("STOA_LOG", "warn")
            .env("STOA_OPENAI_BASE_URL", self.fake.url())
            .env("OPENAI_API_KEY", proxy::OPENAI_KEY)
            .args(args);
        c
    }

    /// Starts `stoa serve` (again) and returns its URL.
    fn serve(&mut self) {
        use std::io::{BufRead, BufReader};
        let mut child = self
            .cmd(&["serve"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let first = BufReader::new(child.stdout.take().unwrap()).lines().next().unwrap().unwrap();
        self.url = first.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
        self.child = child;
    }

    async fn start(fault: stoa_fake::Fault) -> Self {
        let fake = stoa_fake::FakeProvider::start(stoa_fake::FakeOptions::default()).await;
        fake.script(vec![fault]);
        // A placeholder child until `serve` runs: `true` exits at once.
        let placeholder = std::process::Command::new("true").spawn().unwrap();
        let mut p = Process {
            fake,
            dir: tempfile::tempdir().unwrap(),
            child: placeholder,
            url: String::new(),
            admin: String::new(),
            key: String::new(),
            http: reqwest::Client::new(),
        };
        p.serve();
        let out =
            p.cmd(&["token", "issue", "--role", "cpi-admin", "--sub", "admin"]).output().unwrap();
        p.admin = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        let url = p.url.clone();
        p.http
            .post(format!("{url}/v1/tenants"))
            .bearer_auth(&p.admin)
            .json(&json!({"id": "acme", "name": "Acme"}))
            .send()
            .await
            .unwrap();
        let key: Value = p
            .http
            .post(format!("{url}/v1/api-keys"))
            .bearer_auth(&p.admin)
            .header("x-stoa-tenant", "acme")
            .json(&json!({"name": "k", "role": "devops"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        p.key = key["key"].as_str().unwrap().to_owned();
        p
    }

    /// Starts a streamed call of `words` words and returns the body stream.
    async fn stream(
        &self,
        words: u32,
    ) -> impl futures_util::Stream<Item = reqwest::Result<axum::body::Bytes>> + use<> {
        let resp = self
            .http
            .post(format!("{}/v1/chat/completions", self.url))
            .bearer_auth(&self.key)
            .json(&json!({"model": "gpt-4o-mini", "stream": true,
                "messages": [{"role": "user", "content": format!("[[words:{words}]]")}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.bytes_stream()
    }
}

/// A gateway killed (SIGKILL) mid-stream: on restart its pending entry is finalized as
/// `interrupted` and the chain still verifies.
#[tokio::test]
async fn sigkill_mid_stream_leaves_an_interrupted_entry() {
    use futures_util::StreamExt;
    let mut p = Process::start(stoa_fake::Fault::SlowStream { ms: 300 }).await;
    let mut body = Box::pin(p.stream(20).await);
    let _ = body.next().await;
    p.child.kill().unwrap();
    p.child.wait().unwrap();
    drop(body);

    p.serve();
    let page: Value = p
        .http
        .get(format!("{}/v1/audit?action=llm.call", p.url))
        .bearer_auth(&p.admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = page["data"].as_array().unwrap();
    let pending = entries.iter().find(|e| e["status"] == "pending").expect("pending entry");
    let fin = entries.iter().find(|e| e["refers_to"] == pending["seq"]).expect("final entry");
    assert_eq!(fin["status"], "interrupted", "{page}");
    p.child.kill().unwrap();
    p.child.wait().unwrap();
    let out = p.cmd(&["audit", "verify"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

/// SIGTERM while a stream is in flight: the server stops accepting, lets the stream finish,
/// settles it and writes its final ledger entry before exiting.
#[tokio::test]
async fn sigterm_drains_in_flight_streams() {
    use futures_util::StreamExt;
    let mut p = Process::start(stoa_fake::Fault::SlowStream { ms: 100 }).await;
    let mut body = Box::pin(p.stream(10).await);
    let mut text = String::from_utf8_lossy(&body.next().await.unwrap().unwrap()).into_owned();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &p.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    while let Some(chunk) = body.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
    assert!(text.contains("[DONE]"), "the stream was drained to its end: {text}");
    let status = p.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let export = String::from_utf8(p.cmd(&["audit", "export"]).output().unwrap().stdout).unwrap();
    let finals: Vec<Value> = export
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["action"] == "llm.call" && !e["refers_to"].is_null())
        .collect();
    assert_eq!(finals.len(), 1, "{export}");
    assert_eq!(finals[0]["status"], "ok");
    assert_eq!(finals[0]["output_tokens"], 10);
}
