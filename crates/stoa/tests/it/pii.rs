//! The PII pre-scan in the pipeline (F-22): block (422, categories and offsets, never values,
//! nothing sent), redact (typed placeholders, consistent within a request, in every wire
//! format and every part of the request), off, and per-category overrides.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::proxy;

const EMAIL: &str = "jane.doe@example.com";
const CARD: &str = "4111 1111 1111 1111";

#[tokio::test]
async fn block_is_the_default() {
    let px = proxy::start(&[], false).await;
    let body = json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "You help."},
        {"role": "user", "content": format!("Mail {EMAIL} about card {CARD}")}]});
    let (s, b, _) = px.post("/v1/chat/completions", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["code"], "pii_detected");
    let text = b.to_string();
    assert!(!text.contains(EMAIL) && !text.contains("4111"), "never the values: {text}");
    let cats: Vec<&str> = b["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["category"].as_str().unwrap())
        .collect();
    assert!(cats.contains(&"email") && cats.contains(&"payment_card"), "{b}");
    let email = b["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["category"] == "email")
        .unwrap();
    assert_eq!(
        (email["text"].as_u64(), email["start"].as_u64()),
        (Some(1), Some(5)),
        "text index and byte offset"
    );
    assert!(px.fake.requests().is_empty(), "nothing was sent");
    // The refusal is audited with categories and counts only.
    px.srv.core().flush_ledger().await;
    let (_, page) =
        px.srv.call(Method::GET, "/v1/audit?action=llm.call", Some(&px.srv.admin()), None).await;
    let refusal = &page["data"][0];
    assert_eq!(refusal["code"], "pii_detected");
    assert_eq!(refusal["detail"]["pii"]["email"], 1, "{refusal}");
    assert!(!page.to_string().contains(EMAIL));
    px.stop().await;
}

#[tokio::test]
async fn redact_replaces_values_in_every_format() {
    let px = proxy::start(&[], false).await;
    let admin = px.srv.admin();
    let (s, b) = px
        .srv
        .call(
            Method::PATCH,
            "/v1/tenants/acme",
            Some(&admin),
            Some(json!({"settings": {"pii": {"mode": "redact"}}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // OpenAI shape: the same email in two messages gets one placeholder.
    let body = json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": format!("Account owner: {EMAIL}")},
        {"role": "user", "content": format!("Write to {EMAIL}, card {CARD}")}]});
    let (s, b, _) = px.post("/v1/chat/completions", body).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let sent = px.fake.requests()[0].body.to_string();
    assert!(!sent.contains(EMAIL) && !sent.contains("4111"), "{sent}");
    assert_eq!(sent.matches("[EMAIL_1]").count(), 2, "consistent within the request: {sent}");
    assert!(sent.contains("[CARD_1]"), "{sent}");

    // Anthropic shape: system prompt and a tool result.
    px.fake.clear();
    let body = json!({"model": "claude-sonnet-4-6", "max_tokens": 20, "system": format!("Owner {EMAIL}"),
        "messages": [
            {"role": "user", "content": "look it up"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "x"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": format!("found {EMAIL}")}]}]});
    let (s, b, _) = px.post("/v1/messages", body).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let sent = px.fake.requests()[0].body.to_string();
    assert!(!sent.contains(EMAIL), "{sent}");
    assert_eq!(sent.matches("[EMAIL_1]").count(), 2, "{sent}");

    // Gemini shape.
    px.fake.clear();
    let resp = px
        .srv
        .client
        .post(format!("{}/v1beta/models/gemini-2.0-flash:generateContent", px.srv.url))
        .header("x-goog-api-key", &px.key)
        .json(&json!({"contents": [{"role": "user", "parts": [{"text": format!("card {CARD}")}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let sent = px.fake.requests()[0].body.to_string();
    assert!(!sent.contains("4111") && sent.contains("[CARD_1]"), "{sent}");
    // The ledger says what was redacted, not the values.
    px.srv.core().flush_ledger().await;
    let (_, page) = px.srv.call(Method::GET, "/v1/audit?action=llm.call", Some(&admin), None).await;
    assert!(
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"]["pii_redacted"]["payment_card"] == 1),
        "{page}"
    );
    px.stop().await;
}

#[tokio::test]
async fn off_and_overrides() {
    let px = proxy::start(&[], false).await;
    let admin = px.srv.admin();
    // Emails pass, cards are still blocked.
    px.srv
        .call(
            Method::PATCH,
            "/v1/tenants/acme",
            Some(&admin),
            Some(json!({"settings": {"pii": {"mode": "block", "overrides": {"email": "off"}}}})),
        )
        .await;
    let (s, _, _) = px.post("/v1/chat/completions", json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": format!("hi {EMAIL}")}]})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(px.fake.requests()[0].body.to_string().contains(EMAIL));
    let (s, b, _) = px.post("/v1/chat/completions", json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": format!("card {CARD}")}]})).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("pii_detected"))
    );
    // Off entirely.
    px.srv
        .call(
            Method::PATCH,
            "/v1/tenants/acme",
            Some(&admin),
            Some(json!({"settings": {"pii": {"mode": "off", "overrides": null}}})),
        )
        .await;
    let (s, _, _) = px.post("/v1/chat/completions", json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": format!("card {CARD}")}]})).await;
    assert_eq!(s, StatusCode::OK);
    // A bad policy is refused at write time.
    let (s, _) = px
        .srv
        .call(
            Method::PATCH,
            "/v1/tenants/acme",
            Some(&admin),
            Some(json!({"settings": {"pii": {"mode": "shred"}}})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    px.stop().await;
}
