//! Cluster mode (F-02, P6): two replicas on one PostgreSQL and one Redis. Budgets hold exactly
//! across them under concurrency, and the ledger stays one verifiable chain with two writers.

use reqwest::StatusCode;
use serde_json::json;
use stoa_fake::{FakeOptions, FakeProvider, Fault};

use crate::harness::TestServer;
use crate::proxy::OPENAI_KEY;

#[tokio::test]
async fn two_replicas_share_budgets_and_one_ledger() {
    let Ok(redis) = std::env::var("STOA_TEST_REDIS_URL") else {
        test_support::skip(
            "stoa::cluster::two_replicas_share_budgets_and_one_ledger",
            "STOA_TEST_REDIS_URL is not set",
        );
        return;
    };
    let Some(db) =
        test_support::PgDb::create("stoa::cluster::two_replicas_share_budgets_and_one_ledger")
            .await
    else {
        return;
    };
    let fake = FakeProvider::start(FakeOptions::default()).await;
    let prefix = format!("stoa-test-{}:", uuid::Uuid::now_v7().simple());
    let master = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .encode(stoa_core::secrets::random_bytes::<32>().unwrap())
    };
    let env: Vec<(&str, &str)> = vec![
        ("STOA_DATABASE_URL", &db.url),
        ("STOA_REDIS_URL", &redis),
        ("STOA_REDIS_PREFIX", &prefix),
        ("STOA_MASTER_KEY", &master),
        ("STOA_OPENAI_BASE_URL", fake.url()),
        ("OPENAI_API_KEY", OPENAI_KEY),
    ];
    let a = TestServer::start_with(&env).await;
    let b = TestServer::start_with(&env).await;
    a.create_tenant("acme").await;
    let (_, key) = a.create_key("acme", "devops").await;
    let probe = stoa_llm::count_input_tokens(
        &stoa_llm::ModelRef::new(stoa_llm::ProviderKind::OpenAi, "gpt-4o-mini"),
        ["hi"].into_iter(),
    );
    let per_call = probe + 20;
    let admin = a.admin();
    let resp = b
        .client
        .put(format!("{}/v1/chat/settings", b.url))
        .bearer_auth(&admin)
        .header("x-stoa-tenant", "acme")
        .json(&json!({"daily_token_budget": per_call * 25}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "a token of replica A works on replica B");
    let (s, b2) = b
        .call_h(
            reqwest::Method::PATCH,
            "/v1/tenants/acme",
            Some(&admin),
            &[],
            Some(json!({"settings": {"quotas": {"max_rate_limit": 100000}}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b2}");

    // Invalidations reach the other replica through Redis within a second.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // Every answer is held so that all reservations overlap.
    fake.script((0..200).map(|_| Fault::Slow { ms: 2_000 }).collect());
    let mut tasks = Vec::new();
    for i in 0..200 {
        let url = if i % 2 == 0 { a.url.clone() } else { b.url.clone() };
        let (client, key) = (a.client.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(format!("{url}/v1/chat/completions"))
                .bearer_auth(key)
                .json(&json!({"model": "gpt-4o-mini", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 25, "exactly what the budget fits, across both replicas");
    assert_eq!(fake.requests().len(), 25);

    // Both replicas wrote to one ledger; it verifies as one chain.
    a.core().flush_ledger().await;
    b.core().flush_ledger().await;
    let verdict = stoa_core::verify_chain(a.core().store().as_ref()).await.unwrap();
    match verdict {
        stoa_core::audit::Verdict::Intact { entries } => {
            assert!(entries >= 225, "25 pending + 25 final + 175 refusals at least: {entries}")
        }
        broken => panic!("{broken:?}"),
    }

    // Revocation and suspension propagate: B has the key cached; A revokes it.
    let (key_id, key2) = a.create_key("acme", "viewer").await;
    let (s, _) = b.call(reqwest::Method::GET, "/v1/whoami", Some(&key2), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = a
        .call_h(
            reqwest::Method::DELETE,
            &format!("/v1/api-keys/{key_id}"),
            Some(&admin),
            &[("x-stoa-tenant", "acme")],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let started = std::time::Instant::now();
    loop {
        let (s, _) = b.call(reqwest::Method::GET, "/v1/whoami", Some(&key2), None).await;
        if s == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "revocation took over a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (s, _) = b.call(reqwest::Method::GET, "/v1/tenants/acme", Some(&key), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = a
        .call(
            reqwest::Method::PATCH,
            "/v1/tenants/acme",
            Some(&admin),
            Some(json!({"status": "suspended"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let started = std::time::Instant::now();
    loop {
        let (s, body) = b
            .call(reqwest::Method::POST, "/v1/chat/completions", Some(&key),
                Some(json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})))
            .await;
        if s == StatusCode::FORBIDDEN {
            assert_eq!(body["error"]["code"], "tenant_suspended");
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "suspension took over a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    a.stop().await;
    b.stop().await;
    fake.shutdown().await;
    db.drop_db().await;
}

/// Redis stopped mid-run: LLM calls are refused with 503 (budgets fail closed), the control
/// plane keeps working, `/readyz` says so; when Redis returns, calls work again without a
/// restart (counters are re-seeded from the recorded usage).
#[tokio::test]
async fn redis_outage_fails_closed_and_recovers() {
    if std::process::Command::new("redis-server").arg("--version").output().is_err() {
        test_support::skip(
            "stoa::cluster::redis_outage_fails_closed_and_recovers",
            "redis-server is not installed",
        );
        return;
    }
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let start_redis = || {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        child
    };
    let mut redis = start_redis();
    let fake = FakeProvider::start(FakeOptions::default()).await;
    let url = format!("redis://127.0.0.1:{port}");
    let srv = TestServer::start_with(&[
        ("STOA_REDIS_URL", &url),
        ("STOA_OPENAI_BASE_URL", fake.url()),
        ("OPENAI_API_KEY", OPENAI_KEY),
    ])
    .await;
    srv.create_tenant("acme").await;
    let (_, key) = srv.create_key("acme", "devops").await;
    let call =
        || async {
            srv.call(reqwest::Method::POST, "/v1/chat/completions", Some(&key),
            Some(json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})))
            .await
        };
    assert_eq!(call().await.0, StatusCode::OK);

    redis.kill().unwrap();
    redis.wait().unwrap();
    let (s, b) = call().await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("budget_unavailable")),
        "{b}"
    );
    let (s, _) = srv.call(reqwest::Method::GET, "/v1/tenants/acme", Some(&srv.admin()), None).await;
    assert_eq!(s, StatusCode::OK, "reads are served");
    let (s, ready) = srv.call(reqwest::Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (s, ready["checks"]["counters"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable"))
    );
    assert_eq!(fake.requests().len(), 1, "nothing went out while budgets were unknown");

    let mut redis = start_redis();
    let started = std::time::Instant::now();
    loop {
        if call().await.0 == StatusCode::OK {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "no recovery");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (s, _) = srv.call(reqwest::Method::GET, "/readyz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    srv.stop().await;
    fake.shutdown().await;
    redis.kill().unwrap();
    redis.wait().unwrap();
}
