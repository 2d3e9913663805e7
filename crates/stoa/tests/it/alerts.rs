//! Budget alerts (F-27): crossing 80 % of a budget POSTs one signed event to the tenant's
//! webhook, retried until accepted, audited; the same threshold never fires twice in a window.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use axum::routing::post;
use parking_lot::Mutex;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::proxy;

#[derive(Clone, Default)]
struct Hook {
    got: Arc<Mutex<Vec<(String, String)>>>,
    fail_first: Arc<Mutex<u32>>,
}

async fn receive(State(h): State<Hook>, headers: HeaderMap, body: String) -> AxStatus {
    let sig =
        headers.get("x-stoa-signature").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    h.got.lock().push((sig, body));
    let mut fail = h.fail_first.lock();
    if *fail > 0 {
        *fail -= 1;
        return AxStatus::INTERNAL_SERVER_ERROR;
    }
    AxStatus::OK
}

#[tokio::test]
async fn eighty_percent_fires_once_signed_and_retried() {
    let hook = Hook::default();
    *hook.fail_first.lock() = 1;
    let app = axum::Router::new().route("/hook", post(receive)).with_state(hook.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let px = proxy::start(&[("STOA_ALERT_RETRY_MS", "20")], false).await;
    let admin = px.srv.admin();
    let secret = "whsec-0123456789abcdef";
    let (s, b) = px
        .srv
        .call(
            Method::PATCH,
            "/v1/tenants/acme",
            Some(&admin),
            Some(json!({"settings": {
            "quotas": {"daily_token_budget": 100},
            "notifications": {"webhook_url": url, "webhook_secret": secret}}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["settings"]["notifications"]["webhook_secret"], "[redacted]", "write-only secret");
    // 4 input + 80 output tokens settle at 84 % of 100.
    let body = json!({"model": "gpt-4o-mini", "max_tokens": 80, "messages": [{"role": "user", "content": "[[words:80]]"}]});
    let (s, b, _) = px.post("/v1/chat/completions", body).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut deliveries = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        deliveries = hook.got.lock().clone();
        if deliveries.len() >= 2 {
            break;
        }
    }
    assert_eq!(deliveries.len(), 2, "one failure, one retry: {deliveries:?}");
    let (sig, text) = &deliveries[1];
    let event: Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        (event["threshold_percent"].as_u64(), event["window"].as_str()),
        (Some(80), Some("daily"))
    );
    assert_eq!(event["tenant_id"], "acme");
    let t: i64 = sig.split(',').next().unwrap().trim_start_matches("t=").parse().unwrap();
    assert_eq!(
        sig,
        &stoa_core::alerts::signature(secret, t, text),
        "HMAC over t.body with the tenant's secret"
    );

    // The next call keeps the budget above 80 %: no second alert for this window.
    let (s, _, _) = px
        .post(
            "/v1/chat/completions",
            json!({"model": "gpt-4o-mini", "max_tokens": 1,
        "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(hook.got.lock().len(), 2);
    // Audited.
    px.srv.core().flush_ledger().await;
    let (_, page) =
        px.srv.call(Method::GET, "/v1/audit?action=budget.alert", Some(&admin), None).await;
    let entry = &page["data"][0];
    assert_eq!(
        (entry["status"].as_str(), entry["detail"]["attempts"].as_u64()),
        (Some("ok"), Some(2)),
        "{page}"
    );
    // A webhook without a secret is refused.
    let (s, _) = px.srv.call(Method::PATCH, "/v1/tenants/acme", Some(&admin),
        Some(json!({"settings": {"notifications": {"webhook_url": "https://example.com/x", "webhook_secret": null}}}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    px.stop().await;
}
