//! The chat agent (F-50..F-57) through the server and the fake provider: conversations, JSON
//! and SSE answers, the agent's tool loop under the caller's role, the kill switch and source
//! toggles, what reaches the provider, GDPR deletion, retention, encryption at rest, and
//! serialized posts.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stoa_core::Role;
use stoa_fake::Fault;

use crate::harness::assert_error;
use crate::proxy::{self, Proxy};

const ALICE: &str = "alice@acme.example";

async fn chat(extra: &[(&str, &str)]) -> (Proxy, String) {
    let px = proxy::start(extra, false).await;
    let token = px.srv.token(Role::TenantAdmin, Some("acme"), ALICE);
    (px, token)
}

async fn new_conversation(px: &Proxy, token: &str, title: Option<&str>) -> String {
    let body = title.map_or(json!({}), |t| json!({"title": t}));
    let (s, b) = px.srv.call(Method::POST, "/v1/chat/conversations", Some(token), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

async fn post(
    px: &Proxy,
    token: &str,
    conv: &str,
    source: Option<&str>,
    content: &str,
    sse: bool,
) -> (StatusCode, String) {
    let mut req = px
        .srv
        .client
        .post(format!("{}/v1/chat/conversations/{conv}/messages", px.srv.url))
        .bearer_auth(token)
        .json(&json!({"content": content}));
    if let Some(s) = source {
        req = req.header("x-chat-source", s);
    }
    if sse {
        req = req.header("accept", "text/event-stream");
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

/// (event, data) pairs of a chat SSE body.
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|f| !f.trim().is_empty())
        .map(|f| {
            let ev = f.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or("").to_owned();
            let data = f.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or("null");
            (ev, serde_json::from_str(data).unwrap())
        })
        .collect()
}

#[tokio::test]
async fn conversation_json_and_sse() {
    let (px, alice) = chat(&[]).await;
    let conv = new_conversation(&px, &alice, Some("Quarterly budget")).await;
    let (s, body) = post(&px, &alice, &conv, Some("console"), "Hello there", false).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["message"]["role"], "assistant");
    assert_eq!(answer["message"]["content"], "echo: Hello there");
    assert_eq!(answer["usage"]["output_tokens"], 3);
    assert_eq!(answer["degraded"], false);

    let (s, body) = post(&px, &alice, &conv, Some("portal"), "[[words:4]]", true).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let evs = events(&body);
    assert_eq!(evs[0].0, "message_start");
    assert_eq!(evs[0].1["conversation_id"], conv.as_str());
    let text: String = evs
        .iter()
        .filter(|(e, _)| e == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "lorem ipsum dolor sit");
    let (last, end) = evs.last().unwrap();
    assert_eq!(last, "message_end", "{body}");
    assert_eq!(end["usage"]["output_tokens"], 4);

    let (s, detail) = px
        .srv
        .call(Method::GET, &format!("/v1/chat/conversations/{conv}"), Some(&alice), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(detail["title"], "Quarterly budget");
    let msgs: Vec<(&str, &str, &str)> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap(),
                m["content"].as_str().unwrap(),
                m["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        msgs,
        vec![
            ("user", "Hello there", "console"),
            ("assistant", "echo: Hello there", "console"),
            ("user", "[[words:4]]", "portal"),
            ("assistant", "lorem ipsum dolor sit", "portal"),
        ]
    );
    // The chat model (claude-sonnet-4-6) was called in Anthropic's format with the platform
    // prompt and the conversation only: no tenant, no user, no email.
    let reqs = px.fake.requests();
    assert!(reqs.iter().all(|r| r.path == "/v1/messages"), "{reqs:?}");
    for r in &reqs {
        let sent = r.body.to_string();
        assert!(sent.contains("Stoa assistant"), "system prompt: {sent}");
        for secret in ["acme", ALICE, "alice", &conv] {
            assert!(!sent.contains(secret), "{secret} reached the provider: {sent}");
        }
    }
    // Usage is recorded per source.
    let u = px.usage("source").await;
    let sources: Vec<&str> =
        u["groups"].as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(sources, vec!["console", "portal"]);
    let (_, list) = px.srv.call(Method::GET, "/v1/chat/conversations", Some(&alice), None).await;
    assert_eq!(list["data"][0]["id"], conv.as_str());
    px.stop().await;
}

#[tokio::test]
async fn agent_tools_run_under_the_callers_role() {
    let (px, alice) = chat(&[]).await;
    let conv = new_conversation(&px, &alice, None).await;
    let (s, body) =
        post(&px, &alice, &conv, Some("console"), "[[tool:stoa_budget]] how much is left", true)
            .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let evs = events(&body);
    let call = evs.iter().find(|(e, _)| e == "tool_call").expect("tool_call");
    assert_eq!(call.1["name"], "stoa_budget");
    let result = evs.iter().find(|(e, _)| e == "tool_result").expect("tool_result");
    assert_eq!(result.1, json!({"name": "stoa_budget", "is_error": false}));
    let text: String = evs
        .iter()
        .filter(|(e, _)| e == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert!(text.starts_with("tool said: "), "{text}");
    assert!(text.contains("daily"), "the tool's answer reached the model: {text}");

    // A viewer's agent: usage needs tenant-admin, so the tool reports an error, not a crash.
    let viewer = px.srv.token(Role::Viewer, Some("acme"), "vic");
    let conv = new_conversation(&px, &viewer, None).await;
    let (s, body) =
        post(&px, &viewer, &conv, Some("console"), "[[tool:stoa_usage]] spend", true).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let evs = events(&body);
    let result = evs.iter().find(|(e, _)| e == "tool_result").expect("tool_result");
    assert_eq!(result.1, json!({"name": "stoa_usage", "is_error": true}));
    assert_eq!(evs.last().unwrap().0, "message_end");
    // Tool calls are audited.
    px.srv.core().flush_ledger().await;
    let (_, page) =
        px.srv.call(Method::GET, "/v1/audit?action=tool.call", Some(&px.srv.admin()), None).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2, "{page}");
    px.stop().await;
}

#[tokio::test]
async fn kill_switch_and_source_toggles() {
    let (px, alice) = chat(&[("CHAT_KILL_SWITCH", "true")]).await;
    // Checked before the conversation is looked up: an unknown id still answers 503.
    let (s, body) = post(&px, &alice, "conv_unknown", Some("console"), "hi", false).await;
    let b: Value = serde_json::from_str(&body).unwrap();
    assert_error(s, &b, StatusCode::SERVICE_UNAVAILABLE, "chat_disabled");
    let (s, b) =
        px.srv.call(Method::POST, "/v1/chat/conversations", Some(&alice), Some(json!({}))).await;
    assert_error(s, &b, StatusCode::SERVICE_UNAVAILABLE, "chat_disabled");
    // The rest of the platform works, proxy included.
    let (s, _) = px.srv.call(Method::GET, "/v1/tenants/acme", Some(&alice), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = px
        .post(
            "/v1/chat/completions",
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    px.stop().await;

    let (px, alice) = chat(&[]).await;
    let conv = new_conversation(&px, &alice, None).await;
    let (s, _) = px
        .srv
        .call(
            Method::PUT,
            "/v1/chat/settings",
            Some(&alice),
            Some(json!({"portal_enabled": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = post(&px, &alice, "conv_unknown", Some("portal"), "hi", false).await;
    let b: Value = serde_json::from_str(&body).unwrap();
    assert_error(s, &b, StatusCode::FORBIDDEN, "chat_disabled");
    let (s, _) = post(&px, &alice, &conv, Some("console"), "hi", false).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = post(&px, &alice, &conv, None, "hi", false).await;
    let b: Value = serde_json::from_str(&body).unwrap();
    assert_error(s, &b, StatusCode::BAD_REQUEST, "invalid_chat_source");
    px.stop().await;

    // No usable key for the chat model: disabled too.
    let (px, alice) =
        chat(&[("CHAT_AGENT_MODEL", "gemini/gemini-2.5-pro"), ("GEMINI_API_KEY", "")]).await;
    let (s, b) =
        px.srv.call(Method::POST, "/v1/chat/conversations", Some(&alice), Some(json!({}))).await;
    assert_error(s, &b, StatusCode::SERVICE_UNAVAILABLE, "chat_disabled");
    px.stop().await;
}

#[tokio::test]
async fn bad_input_and_isolation() {
    let (px, alice) = chat(&[]).await;
    let conv = new_conversation(&px, &alice, None).await;
    let (s, body) = post(&px, &alice, &conv, Some("console"), "   ", false).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, body) = post(&px, &alice, &conv, Some("console"), &"x".repeat(40_000), false).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // Another user of the tenant, and another tenant: 404.
    let bob = px.srv.token(Role::TenantAdmin, Some("acme"), "bob");
    let (s, _) =
        px.srv.call(Method::GET, &format!("/v1/chat/conversations/{conv}"), Some(&bob), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = post(&px, &bob, &conv, Some("console"), "hi", false).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    px.srv.create_tenant("globex").await;
    let eve = px.srv.token(Role::TenantAdmin, Some("globex"), ALICE);
    let (s, _) = px
        .srv
        .call(Method::DELETE, &format!("/v1/chat/conversations/{conv}"), Some(&eve), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(px.fake.requests().is_empty(), "nothing refused reached the provider");
    px.stop().await;
}

#[tokio::test]
async fn deletion_retention_and_encryption_at_rest() {
    let (px, alice) = chat(&[]).await;
    let secret = "my card number is on the napkin";
    let c1 = new_conversation(&px, &alice, Some("napkin notes")).await;
    let c2 = new_conversation(&px, &alice, None).await;
    for c in [&c1, &c2] {
        let (s, _) = post(&px, &alice, c, Some("console"), secret, false).await;
        assert_eq!(s, StatusCode::OK);
    }
    // Content and titles are sealed at rest.
    let mut db = std::fs::read(px.srv.dir.path().join("stoa.db")).unwrap();
    db.extend(std::fs::read(px.srv.dir.path().join("stoa.db-wal")).unwrap_or_default());
    for plain in [secret, "napkin notes", "echo: my card"] {
        assert!(
            !db.windows(plain.len()).any(|w| w == plain.as_bytes()),
            "{plain:?} stored in clear"
        );
    }
    // Hard delete of one conversation.
    let (s, _) = px
        .srv
        .call(Method::DELETE, &format!("/v1/chat/conversations/{c1}"), Some(&alice), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) =
        px.srv.call(Method::GET, &format!("/v1/chat/conversations/{c1}"), Some(&alice), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A viewer cannot erase someone else's conversations; the tenant-admin can.
    let viewer = px.srv.token(Role::Viewer, Some("acme"), "vic");
    let path = format!("/v1/users/{ALICE}/conversations");
    let (s, _) = px.srv.call(Method::DELETE, &path, Some(&viewer), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let admin_ta = px.srv.token(Role::TenantAdmin, Some("acme"), "boss");
    let (s, b) = px.srv.call(Method::DELETE, &path, Some(&admin_ta), None).await;
    assert_eq!((s, b["deleted"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    let (_, list) = px.srv.call(Method::GET, "/v1/chat/conversations", Some(&alice), None).await;
    assert_eq!(list["data"], json!([]));
    // Deletions are audited with counts only.
    px.srv.core().flush_ledger().await;
    let (_, page) = px
        .srv
        .call(Method::GET, "/v1/audit?action=chat.user.delete", Some(&px.srv.admin()), None)
        .await;
    assert_eq!(page["data"][0]["detail"], json!({"conversations": 1}));

    // Retention: a tenant keeping 0 days loses idle conversations at the next purge.
    let c3 = new_conversation(&px, &alice, None).await;
    let (s, _) = px
        .srv
        .call(
            Method::PATCH,
            "/v1/tenants/acme",
            Some(&px.srv.admin()),
            Some(json!({"settings": {"chat": {"retention_days": 0}}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let purged = px.srv.core().purge_idle().await.unwrap();
    assert_eq!(purged, 1);
    let (s, _) =
        px.srv.call(Method::GET, &format!("/v1/chat/conversations/{c3}"), Some(&alice), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Deleting the tenant destroys its data key.
    let c4 = new_conversation(&px, &alice, Some("kept")).await;
    let _ = c4;
    let store = px.srv.core().store().clone();
    let acme = stoa_core::TenantId::parse("acme").unwrap();
    assert!(store.tenant_data_key(&acme).await.unwrap().is_some());
    let (s, _) = px.srv.call(Method::DELETE, "/v1/tenants/acme", Some(&px.srv.admin()), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(store.tenant_data_key(&acme).await.unwrap().is_none());
    assert!(
        store.list_conversations(&acme, &px.srv.core().pseudonym(ALICE)).await.unwrap().is_empty()
    );
    px.stop().await;
}

#[tokio::test]
async fn concurrent_posts_are_serialized_and_disconnects_keep_the_partial_answer() {
    let (px, alice) = chat(&[]).await;
    let conv = new_conversation(&px, &alice, None).await;
    px.fake.script(vec![Fault::Slow { ms: 300 }]);
    let (a, b) = tokio::join!(
        post(&px, &alice, &conv, Some("console"), "first question", false),
        post(&px, &alice, &conv, Some("console"), "second question", false),
    );
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
    let (_, detail) = px
        .srv
        .call(Method::GET, &format!("/v1/chat/conversations/{conv}"), Some(&alice), None)
        .await;
    let roles: Vec<&str> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["user", "assistant", "user", "assistant"], "not interleaved: {detail}");
    let m = detail["messages"].as_array().unwrap();
    assert_eq!(
        m[1]["content"].as_str().unwrap(),
        format!("echo: {}", m[0]["content"].as_str().unwrap())
    );

    // A client that leaves mid-answer: the answer is stored as far as it got, marked partial.
    let conv = new_conversation(&px, &alice, None).await;
    px.fake.script(vec![Fault::SlowStream { ms: 150 }]);
    let resp = px
        .srv
        .client
        .post(format!("{}/v1/chat/conversations/{conv}/messages", px.srv.url))
        .bearer_auth(&alice)
        .header("x-chat-source", "console")
        .header("accept", "text/event-stream")
        .json(&json!({"content": "[[words:30]]"}))
        .send()
        .await
        .unwrap();
    use futures_util::StreamExt;
    let mut body = resp.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("event: delta") {
        seen.push_str(&String::from_utf8_lossy(&body.next().await.unwrap().unwrap()));
    }
    drop(body);
    let mut stored = Value::Null;
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (_, d) = px
            .srv
            .call(Method::GET, &format!("/v1/chat/conversations/{conv}"), Some(&alice), None)
            .await;
        if d["messages"].as_array().is_some_and(|m| m.len() == 2) {
            stored = d;
            break;
        }
    }
    let answer = &stored["messages"][1];
    assert_eq!(answer["status"], "partial", "{stored}");
    let words = answer["content"].as_str().unwrap().split_whitespace().count();
    assert!((1..30).contains(&words), "{answer}");
    px.stop().await;
}

/// F-52: only the last CHAT_MAX_CONVERSATION_MESSAGES messages reach the provider.
#[tokio::test]
async fn context_is_trimmed_to_the_last_messages() {
    let (px, alice) = chat(&[("CHAT_MAX_CONVERSATION_MESSAGES", "3")]).await;
    let conv = new_conversation(&px, &alice, None).await;
    for i in 0..3 {
        let (s, _) =
            post(&px, &alice, &conv, Some("console"), &format!("question number {i}"), false).await;
        assert_eq!(s, StatusCode::OK);
    }
    let last = px.fake.requests().pop().unwrap();
    let msgs = last.body["messages"].as_array().unwrap();
    let texts: Vec<String> = msgs.iter().map(|m| m["content"].to_string()).collect();
    assert_eq!(msgs.len(), 3, "{texts:?}");
    assert_eq!(
        texts,
        vec!["\"question number 1\"", "\"echo: question number 1\"", "\"question number 2\""]
    );
    assert!(
        last.body["system"].as_str().unwrap().contains("Stoa assistant"),
        "the system prompt stays"
    );
    assert!(!texts.iter().any(|t| t.contains("number 0")), "oldest trimmed: {texts:?}");
    px.stop().await;
}

/// The conversation flow and encryption at rest on PostgreSQL.
#[tokio::test]
async fn chat_on_postgres() {
    let Some(srv) = crate::harness::TestServer::start_pg("stoa::chat::chat_on_postgres").await
    else {
        return;
    };
    let fake = stoa_fake::FakeProvider::start(stoa_fake::FakeOptions::default()).await;
    let url = fake.url().to_owned();
    let pg_url = srv.pg.as_ref().unwrap().url.clone();
    let srv = srv
        .restart(&[("STOA_ANTHROPIC_BASE_URL", &url), ("ANTHROPIC_API_KEY", proxy::ANTHROPIC_KEY)])
        .await;
    srv.create_tenant("acme").await;
    let alice = srv.token(Role::TenantAdmin, Some("acme"), ALICE);
    let (s, b) = srv
        .call(
            Method::POST,
            "/v1/chat/conversations",
            Some(&alice),
            Some(json!({"title": "pg secret title"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let conv = b["id"].as_str().unwrap().to_owned();
    let resp = srv
        .client
        .post(format!("{}/v1/chat/conversations/{conv}/messages", srv.url))
        .bearer_auth(&alice)
        .header("x-chat-source", "console")
        .json(&json!({"content": "pg plaintext canary"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["message"]["content"], "echo: pg plaintext canary");
    let (_, detail) =
        srv.call(Method::GET, &format!("/v1/chat/conversations/{conv}"), Some(&alice), None).await;
    assert_eq!(detail["title"], "pg secret title");
    let raw = stoa_store::SqlStore::open_postgres(&pg_url).await.unwrap();
    for (table, col, plain) in [
        ("chat_messages", "content_sealed", "pg plaintext canary"),
        ("conversations", "title_sealed", "pg secret title"),
    ] {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} WHERE position($1::bytea in {col}) > 0"
        ))
        .bind(plain.as_bytes().to_vec())
        .fetch_one(raw.pool())
        .await
        .unwrap();
        assert_eq!(n, 0, "{plain} stored in clear in {table}");
    }
    raw.close().await;
    let (s, _) = srv
        .call(Method::DELETE, &format!("/v1/chat/conversations/{conv}"), Some(&alice), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    srv.stop().await;
    fake.shutdown().await;
}

/// F-53: the agent calls the tenant's registered APIs as tools, under the caller's role, with
/// the API's own credential (never the caller's token); a viewer's call is a tool error.
#[tokio::test]
async fn agent_calls_registered_apis() {
    use axum::extract::{Query, State};
    use axum::http::HeaderMap;
    use std::sync::Arc;
    /// (query `q`, `x-api-key`, `authorization`) of each upstream call.
    type Call = (String, Option<String>, Option<String>);
    #[derive(Clone, Default)]
    struct Seen(Arc<parking_lot::Mutex<Vec<Call>>>);
    async fn search(
        State(seen): State<Seen>,
        headers: HeaderMap,
        Query(q): Query<std::collections::HashMap<String, String>>,
    ) -> axum::Json<Value> {
        let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
        seen.0.lock().push((
            q.get("q").cloned().unwrap_or_default(),
            h("x-api-key"),
            h("authorization"),
        ));
        axum::Json(json!({"results": ["sunny"]}))
    }
    let seen = Seen::default();
    let app = axum::Router::new()
        .route("/v1/search", axum::routing::get(search))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (px, alice) = chat(&[]).await;
    let doc = json!({"openapi": "3.0.3", "info": {"title": "Weather", "version": "1"}, "paths": {"/search": {"get": {
        "operationId": "search", "summary": "Search the weather",
        "parameters": [{"name": "q", "in": "query", "required": true, "schema": {"type": "string"}}]}}}});
    let (s, b) = px
        .srv
        .call(
            Method::POST,
            "/v1/apis",
            Some(&alice),
            Some(json!({"name": "weather", "base_url": upstream, "openapi": doc,
            "credential": {"header": "x-api-key", "value": "weather-secret-1"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let conv = new_conversation(&px, &alice, None).await;
    let (s, body) =
        post(&px, &alice, &conv, Some("console"), "[[tool:acme__weather__search]] paris", true)
            .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let evs = events(&body);
    let result = evs.iter().find(|(e, _)| e == "tool_result").expect("tool_result");
    assert_eq!(result.1, json!({"name": "acme__weather__search", "is_error": false}), "{body}");
    let text: String = evs
        .iter()
        .filter(|(e, _)| e == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert!(text.contains("sunny"), "{text}");
    let calls = seen.0.lock().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "paris");
    assert_eq!(calls[0].1.as_deref(), Some("weather-secret-1"), "the API's credential is injected");
    assert_eq!(calls[0].2, None, "the caller's token never goes upstream");
    // The model saw the tool, and nothing of the credential.
    let sent: String = px.fake.requests().iter().map(|r| r.body.to_string()).collect();
    assert!(sent.contains("acme__weather__search") && !sent.contains("weather-secret"), "{sent}");

    // "List my APIs" works from the console.
    let (_, body) =
        post(&px, &alice, &conv, Some("console"), "[[tool:stoa_list_apis]] what do we have", true)
            .await;
    let text: String = events(&body)
        .iter()
        .filter(|(e, _)| e == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert!(text.starts_with("tool said: {\"apis\""), "{text}");
    let last = px.fake.requests().pop().unwrap().body.to_string();
    assert!(
        last.contains("acme__weather__search") && last.contains("Search the weather"),
        "the listing reached the model"
    );

    // A viewer's agent may list it but not call it.
    let viewer = px.srv.token(Role::Viewer, Some("acme"), "vic");
    let conv = new_conversation(&px, &viewer, None).await;
    let (_, body) =
        post(&px, &viewer, &conv, Some("console"), "[[tool:acme__weather__search]] paris", true)
            .await;
    let result = events(&body).into_iter().find(|(e, _)| e == "tool_result").expect("tool_result");
    assert_eq!(result.1["is_error"], true);
    assert_eq!(seen.0.lock().len(), 1, "the viewer's call never reached the upstream");
    px.stop().await;
}
