//! Observability (F-90, F-91): `/metrics` with the spec's names labelled by tenant (platform
//! only), W3C trace context continued and recorded in the ledger, the gateway-time header.

use reqwest::{Method, StatusCode};
use serde_json::json;
use stoa_core::Role;

use crate::proxy;

#[tokio::test]
async fn metrics_trace_context_and_gateway_time() {
    let px = proxy::start(&[], false).await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let resp = px
        .srv
        .client
        .post(format!("{}/v1/chat/completions", px.srv.url))
        .bearer_auth(&px.key)
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let tp = resp.headers()["traceparent"].to_str().unwrap().to_owned();
    assert!(tp.starts_with(&format!("00-{trace}-")) && tp.ends_with("-01"), "{tp}");
    let gateway_us: u64 = resp.headers()["x-stoa-gateway-time"].to_str().unwrap().parse().unwrap();
    assert!(gateway_us > 0);
    // Every response carries one, errors included; without an incoming one a trace starts.
    let (_, _, h) = px.post_with("/v1/chat/completions", "stoa_sk_nope", &[], json!({})).await;
    assert_eq!(h["traceparent"].to_str().unwrap().len(), 55);

    px.srv.core().flush_ledger().await;
    let admin = px.srv.admin();
    let (_, page) = px.srv.call(Method::GET, "/v1/audit?action=llm.call", Some(&admin), None).await;
    assert!(page["data"].as_array().unwrap().iter().all(|e| e["trace_id"] == trace), "{page}");

    let (s, _) = px
        .srv
        .call(
            Method::GET,
            "/metrics",
            Some(&px.srv.token(Role::TenantAdmin, Some("acme"), "t")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "tenant labels are for the platform only");
    let resp = px
        .srv
        .client
        .get(format!("{}/metrics", px.srv.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    for needle in [
        "stoa_api_requests_total{tenant=\"acme\",route=\"/v1/chat/completions\",method=\"POST\",status=\"200\"}",
        "stoa_api_errors_total{tenant=\"none\",route=\"/v1/chat/completions\",method=\"POST\",status=\"401\"}",
        "stoa_llm_tokens_total{tenant=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\",direction=\"output\"}",
        "stoa_llm_cost_usd_total{tenant=\"acme\",provider=\"openai\"}",
        "stoa_budget_remaining_tokens{tenant=\"acme\",window=\"daily\"}",
        "stoa_api_duration_seconds_count{tenant=\"acme\",route=\"/v1/chat/completions\"}",
        "process_resident_memory_bytes",
    ] {
        assert!(text.contains(needle), "{needle} missing from /metrics:\n{text}");
    }
    px.stop().await;
}
