//! The SDK-compatible proxy through the real server against the shared fake provider: the
//! three wire formats, streaming, cross-format routing, every refusal of the pipeline, budgets
//! under concurrency, backoff, fallback, and faults.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stoa_fake::{FakeOptions, FakeProvider, Fault};

use crate::harness::{TestServer, assert_error};

pub(crate) const OPENAI_KEY: &str = "sk-test-openai-0123456789";
pub(crate) const ANTHROPIC_KEY: &str = "sk-ant-test-0123456789";
pub(crate) const GEMINI_KEY: &str = "AIzaTest0123456789";

pub(crate) struct Proxy {
    pub(crate) srv: TestServer,
    pub(crate) fake: FakeProvider,
    pub(crate) local: Option<FakeProvider>,
    /// A devops API key of tenant `acme`.
    pub(crate) key: String,
}

pub(crate) async fn start(extra: &[(&str, &str)], with_local: bool) -> Proxy {
    let fake = FakeProvider::start(FakeOptions::default()).await;
    let local = if with_local {
        Some(FakeProvider::start(FakeOptions { keyless: true, ..FakeOptions::default() }).await)
    } else {
        None
    };
    let url = fake.url().to_owned();
    let local_url = local.as_ref().map(|l| l.url().to_owned());
    let mut env: Vec<(&str, &str)> = vec![
        ("STOA_OPENAI_BASE_URL", &url),
        ("STOA_ANTHROPIC_BASE_URL", &url),
        ("STOA_GEMINI_BASE_URL", &url),
        ("OPENAI_API_KEY", OPENAI_KEY),
        ("ANTHROPIC_API_KEY", ANTHROPIC_KEY),
        ("GEMINI_API_KEY", GEMINI_KEY),
        ("STOA_PROVIDER_MAX_RETRY_WAIT_MS", "2000"),
    ];
    if let Some(l) = &local_url {
        env.push(("STOA_LOCAL_LLM_URL", l));
        env.push(("STOA_LOCAL_MODEL", "llama-local"));
    }
    env.extend_from_slice(extra);
    let srv = TestServer::start_with(&env).await;
    srv.create_tenant("acme").await;
    let (_, key) = srv.create_key("acme", "devops").await;
    Proxy { srv, fake, local, key }
}

impl Proxy {
    pub(crate) async fn post(
        &self,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        self.post_with(path, &self.key, &[], body).await
    }

    pub(crate) async fn post_with(
        &self,
        path: &str,
        cred: &str,
        headers: &[(&str, &str)],
        body: Value,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut req =
            self.srv.client.post(format!("{}{path}", self.srv.url)).bearer_auth(cred).json(&body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let text = resp.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, v, headers)
    }

    /// POSTs and returns the raw SSE text.
    pub(crate) async fn stream(
        &self,
        path: &str,
        body: Value,
    ) -> (StatusCode, String, reqwest::header::HeaderMap) {
        let resp = self
            .srv
            .client
            .post(format!("{}{path}", self.srv.url))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        (status, resp.text().await.unwrap(), headers)
    }

    pub(crate) async fn usage(&self, group_by: &str) -> Value {
        let (s, b) = self
            .srv
            .call_h(
                Method::GET,
                &format!("/v1/chat/usage?group_by={group_by}"),
                Some(&self.srv.admin()),
                &[("x-stoa-tenant", "acme")],
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    }

    pub(crate) async fn stop(self) {
        self.srv.stop().await;
        self.fake.shutdown().await;
        if let Some(l) = self.local {
            l.shutdown().await;
        }
    }
}

fn chat(model: &str, text: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": 50})
}

fn sse_data(text: &str) -> Vec<String> {
    text.lines().filter_map(|l| l.strip_prefix("data: ")).map(str::to_owned).collect()
}

#[tokio::test]
async fn openai_json_and_usage() {
    let px = start(&[], false).await;
    let (s, b, h) = px.post("/v1/chat/completions", chat("gpt-4o-mini", "Hello there")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["object"], "chat.completion");
    assert_eq!(b["choices"][0]["message"]["content"], "echo: Hello there");
    assert_eq!(b["usage"]["completion_tokens"], 3);
    assert_eq!(h["x-stoa-provider"], "openai");
    assert!(h.get("x-stoa-degraded").is_none());
    // The provider saw the gateway's key, never the client's.
    let reqs = px.fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(reqs[0].header("authorization"), Some(format!("Bearer {OPENAI_KEY}").as_str()));
    assert!(!format!("{:?}", reqs[0]).contains(&px.key));
    assert_eq!(reqs[0].body["model"], "gpt-4o-mini");
    // Usage was recorded with the provider's counts and a cost.
    let u = px.usage("model").await;
    assert_eq!(u["groups"][0]["key"], "openai/gpt-4o-mini", "{u}");
    assert_eq!(u["groups"][0]["requests"], 1);
    assert_eq!(u["groups"][0]["output_tokens"], 3);
    assert!(u["groups"][0]["cost_usd"].as_f64().unwrap() > 0.0);
    px.stop().await;
}

#[tokio::test]
async fn anthropic_and_gemini_same_format() {
    let px = start(&[], false).await;
    let body = json!({"model": "claude-sonnet-4-6", "max_tokens": 40, "system": "Be terse.",
        "messages": [{"role": "user", "content": "Hello there"}]});
    let (s, b, _) = px
        .post_with("/v1/messages", &px.key.clone(), &[("anthropic-version", "2023-06-01")], body)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["type"], "message");
    assert_eq!(b["content"][0]["text"], "echo: Hello there");
    // x-api-key works as the Anthropic SDK's credential too.
    let resp = px
        .srv
        .client
        .post(format!("{}/v1/messages", px.srv.url))
        .header("x-api-key", &px.key)
        .json(&json!({"model": "claude-sonnet-4-6", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let anth = &px.fake.requests()[0];
    assert_eq!(anth.header("x-api-key"), Some(ANTHROPIC_KEY));
    assert_eq!(anth.body["system"], "Be terse.");

    px.fake.clear();
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "Hello there"}]}]});
    let resp = px
        .srv
        .client
        .post(format!("{}/v1beta/models/gemini-2.0-flash:generateContent", px.srv.url))
        .header("x-goog-api-key", &px.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["candidates"][0]["content"]["parts"][0]["text"], "echo: Hello there", "{b}");
    let g = &px.fake.requests()[0];
    assert_eq!(g.path, "/v1beta/models/gemini-2.0-flash:generateContent");
    assert_eq!(g.header("x-goog-api-key"), Some(GEMINI_KEY));
    assert_eq!(g.query_param("key"), None, "the Gemini key never goes in a URL");
    px.stop().await;
}

#[tokio::test]
async fn streaming_same_and_cross_format() {
    let px = start(&[], false).await;
    let mut body = chat("gpt-4o-mini", "[[words:6]]");
    body["stream"] = json!(true);
    let (s, text, h) = px.stream("/v1/chat/completions", body).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(h["content-type"], "text/event-stream");
    let data = sse_data(&text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> =
        data.iter().filter(|d| *d != "[DONE]").map(|d| serde_json::from_str(d).unwrap()).collect();
    assert!(chunks.len() >= 6, "{text}");
    assert!(
        chunks.iter().all(|c| !c["choices"].as_array().unwrap().is_empty()),
        "no usage chunk unasked: {text}"
    );
    let joined: String =
        chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(joined, "lorem ipsum dolor sit amet consectetur");
    // The gateway asked the provider for usage so it can settle.
    assert_eq!(px.fake.requests()[0].body["stream_options"]["include_usage"], true);

    // OpenAI-shaped client, Anthropic model: translated both ways, streamed.
    px.fake.clear();
    let mut body = chat("anthropic/claude-sonnet-4-6", "[[words:4]]");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let (s, text, _) = px.stream("/v1/chat/completions", body).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(px.fake.requests()[0].path, "/v1/messages");
    let data = sse_data(&text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"), "{text}");
    let chunks: Vec<Value> =
        data.iter().filter(|d| *d != "[DONE]").map(|d| serde_json::from_str(d).unwrap()).collect();
    let joined: String =
        chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(joined, "lorem ipsum dolor sit");
    let usage = chunks.iter().find(|c| c["usage"].is_object()).expect("usage chunk");
    assert_eq!(usage["usage"]["completion_tokens"], 4);

    // Anthropic-shaped client, OpenAI model, non-streaming.
    let (s, b, _) = px
        .post("/v1/messages", json!({"model": "openai/gpt-4o-mini", "max_tokens": 20, "messages": [{"role": "user", "content": "Hi you"}]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["content"][0]["text"], "echo: Hi you");
    assert_eq!(b["usage"]["output_tokens"], 3);
    px.stop().await;
}

#[tokio::test]
async fn tool_calls_pass_through() {
    let px = start(&[], false).await;
    let tools = json!([{"type": "function", "function": {"name": "lookup", "description": "Find a thing",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}]);
    let body = json!({"model": "gpt-4o-mini", "tools": tools, "messages": [{"role": "user", "content": "[[tool:lookup]] weather"}]});
    let (s, b, _) = px.post("/v1/chat/completions", body).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let call = &b["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "lookup", "{b}");
    // The same through the Anthropic provider, from an OpenAI-shaped client.
    let body = json!({"model": "anthropic/claude-sonnet-4-6", "max_tokens": 30, "tools": tools,
        "messages": [{"role": "user", "content": "[[tool:lookup]] weather"}]});
    let (s, b, _) = px.post("/v1/chat/completions", body).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "lookup", "{b}");
    assert_eq!(b["choices"][0]["finish_reason"], "tool_calls");
    px.stop().await;
}

#[tokio::test]
async fn refusals_leave_the_provider_untouched() {
    let px = start(&[], false).await;
    let admin = px.srv.admin();
    // Unknown provider prefix.
    let (s, b, _) = px.post("/v1/chat/completions", chat("mistral/large", "hi")).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unknown_model")),
        "{b}"
    );
    // Malformed JSON.
    let resp = px
        .srv
        .client
        .post(format!("{}/v1/chat/completions", px.srv.url))
        .bearer_auth(&px.key)
        .header("content-type", "application/json")
        .body("{\"model\":")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // Purpose outside the allowlist.
    let (s, b, _) = px
        .post_with(
            "/v1/chat/completions",
            &px.key.clone(),
            &[("x-stoa-purpose", "surveillance")],
            chat("gpt-4o-mini", "hi"),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("purpose_not_allowed")),
        "{b}"
    );
    // Input above CHAT_MAX_INPUT_TOKENS.
    let long = "word ".repeat(5000);
    let (s, b, _) = px.post("/v1/chat/completions", chat("gpt-4o-mini", &long)).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("input_too_large")),
        "{b}"
    );
    assert!(b["error"]["message"].as_str().unwrap().contains("4096"), "{b}");
    // A viewer may not invoke.
    let (_, viewer) = px.srv.create_key("acme", "viewer").await;
    let (s, b, _) =
        px.post_with("/v1/chat/completions", &viewer, &[], chat("gpt-4o-mini", "hi")).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{b}");
    // No credentials; a revoked or garbage key.
    let (s, b, _) = px
        .post_with("/v1/chat/completions", "stoa_sk_garbage", &[], chat("gpt-4o-mini", "hi"))
        .await;
    assert_eq!(
        (s, b["error"]["type"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("authentication_error")),
        "{b}"
    );
    // A suspended tenant.
    px.srv
        .call(Method::PATCH, "/v1/tenants/acme", Some(&admin), Some(json!({"status": "suspended"})))
        .await;
    let (s, b, _) = px.post("/v1/chat/completions", chat("gpt-4o-mini", "hi")).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("tenant_suspended")),
        "{b}"
    );
    assert!(px.fake.requests().is_empty(), "no refused call reached the provider");
    assert_eq!(px.usage("source").await["totals"]["requests"], 0);
    px.stop().await;
}

#[tokio::test]
async fn budget_exceeded_and_rate_limit() {
    let px = start(&[], false).await;
    let admin = px.srv.admin();
    px.srv
        .call_h(
            Method::PUT,
            "/v1/chat/settings",
            Some(&admin),
            &[("x-stoa-tenant", "acme")],
            Some(json!({"daily_token_budget": 100})),
        )
        .await;
    let (s, b, h) = px
        .post(
            "/v1/chat/completions",
            json!({"model": "gpt-4o-mini", "max_tokens": 500,
        "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_error(s, &b, StatusCode::TOO_MANY_REQUESTS, "budget_exceeded");
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(h["x-stoa-budget-remaining"], "100");
    assert!(px.fake.requests().is_empty());
    // Within budget it works, and the settled usage is what the provider reported.
    let (s, _, _) = px.post("/v1/chat/completions", chat("gpt-4o-mini", "hi")).await;
    assert_eq!(s, StatusCode::OK);

    px.srv
        .call(Method::PATCH, "/v1/tenants/acme", Some(&admin), Some(json!({"settings": {"quotas": {"max_rate_limit": 2, "daily_token_budget": 100000}}})))
        .await;
    for _ in 0..2 {
        let (s, _, _) = px.post("/v1/chat/completions", chat("gpt-4o-mini", "hi")).await;
        assert_eq!(s, StatusCode::OK);
    }
    let calls = px.fake.requests().len();
    let (s, b, h) = px.post("/v1/chat/completions", chat("gpt-4o-mini", "hi")).await;
    assert_error(s, &b, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(px.fake.requests().len(), calls, "refused before the provider");
    assert!(h.contains_key("retry-after"));
    px.stop().await;
}

/// 100 parallel requests against a budget that fits 10: never more accepted than fit.
#[tokio::test]
async fn concurrent_requests_never_overspend() {
    let px = start(&[], false).await;
    let admin = px.srv.admin();
    // "hi" is 9 input tokens with gpt-4o-mini's tokenizer plus overhead; max_tokens 91 → 100
    // reserved per call. The fake holds every answer so all reservations overlap.
    let probe = stoa_llm::count_input_tokens(
        &stoa_llm::ModelRef::new(stoa_llm::ProviderKind::OpenAi, "gpt-4o-mini"),
        ["hi"].into_iter(),
    );
    let per_call = probe + 91;
    px.srv
        .call_h(
            Method::PUT,
            "/v1/chat/settings",
            Some(&admin),
            &[("x-stoa-tenant", "acme")],
            Some(json!({"daily_token_budget": per_call * 10})),
        )
        .await;
    px.fake.script((0..100).map(|_| Fault::Slow { ms: 2_000 }).collect());
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (client, url, key) = (px.srv.client.clone(), px.srv.url.clone(), px.key.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(format!("{url}/v1/chat/completions"))
                .bearer_auth(key)
                .json(&json!({"model": "gpt-4o-mini", "max_tokens": 91, "messages": [{"role": "user", "content": "hi"}]}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 10, "exactly the calls that fit");
    assert_eq!(refused, 90);
    assert_eq!(px.fake.requests().len(), 10);
    let u = px.usage("source").await;
    let used = u["totals"]["input_tokens"].as_u64().unwrap()
        + u["totals"]["output_tokens"].as_u64().unwrap();
    assert!(used <= per_call * 10, "{u}");
    px.stop().await;
}

#[tokio::test]
async fn backoff_then_success_and_exhaustion() {
    let px = start(&[("STOA_PROVIDER_MAX_ATTEMPTS", "3")], false).await;
    px.fake.script(vec![Fault::rate_limited("0"), Fault::overloaded()]);
    let body = json!({"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]});
    let (s, b, _) = px.post("/v1/messages", body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(px.fake.requests().len(), 3, "two retries, then the answer");

    px.fake.clear();
    px.fake.script(vec![
        Fault::rate_limited("0"),
        Fault::rate_limited("0"),
        Fault::rate_limited("0"),
    ]);
    let (s, b, h) = px.post("/v1/messages", body.clone()).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert_eq!(b["error"]["code"], "provider_rate_limited");
    assert_eq!(b["type"], "error", "Anthropic error shape");
    assert!(h.contains_key("retry-after"));
    assert_eq!(px.fake.requests().len(), 3, "capped attempts");

    // A Retry-After beyond the total wait budget gives up at once.
    px.fake.clear();
    px.fake.script(vec![Fault::rate_limited("30")]);
    let (s, _, _) = px.post("/v1/messages", body).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(px.fake.requests().len(), 1);
    px.stop().await;
}

#[tokio::test]
async fn fallback_to_local_is_flagged_degraded() {
    let px = start(&[], true).await;
    px.fake.script(vec![Fault::status(503)]);
    let (s, b, h) = px
        .post(
            "/v1/messages",
            json!({"model": "claude-sonnet-4-6", "max_tokens": 10,
        "messages": [{"role": "user", "content": "Hello there"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(h["x-stoa-degraded"], "true");
    assert_eq!(b["stoa"]["degraded"], true);
    assert_eq!(b["content"][0]["text"], "echo: Hello there", "answered in the client's format");
    let local = px.local.as_ref().unwrap().requests();
    assert_eq!(local.len(), 1);
    assert_eq!(local[0].body["model"], "llama-local");
    assert_eq!(local[0].header("authorization"), None, "no provider key goes to the local server");
    let u = px.usage("provider").await;
    assert_eq!(u["groups"][0]["key"], "local", "{u}");

    // Streams too: a comment marks the stream degraded.
    px.fake.script(vec![Fault::CloseImmediately]);
    let mut body = chat("gpt-4o-mini", "[[words:3]]");
    body["stream"] = json!(true);
    let (s, text, h) = px.stream("/v1/chat/completions", body).await;
    assert_eq!((s, h["x-stoa-degraded"].to_str().unwrap()), (StatusCode::OK, "true"), "{text}");
    assert!(text.starts_with(": stoa-degraded"), "{text}");
    assert!(text.contains("[DONE]"));

    // Budget exhaustion never falls back.
    px.srv
        .call_h(
            Method::PUT,
            "/v1/chat/settings",
            Some(&px.srv.admin()),
            &[("x-stoa-tenant", "acme")],
            Some(json!({"daily_token_budget": 1})),
        )
        .await;
    let before = px.local.as_ref().unwrap().requests().len();
    let (s, _, _) = px.post("/v1/chat/completions", chat("gpt-4o-mini", "hi")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(px.local.as_ref().unwrap().requests().len(), before);
    px.stop().await;
}

#[tokio::test]
async fn provider_faults_are_contained() {
    let px = start(&[], false).await;
    // A provider error body that echoes our key: the client never sees it.
    for status in [401, 500] {
        px.fake.script(vec![Fault::EchoKey { status }]);
        let (s, b, _) = px.post("/v1/chat/completions", chat("gpt-4o-mini", "hi")).await;
        assert!(s.is_server_error(), "{status}: {s} {b}");
        assert!(!b.to_string().contains(OPENAI_KEY), "{b}");
        assert!(!b.to_string().contains("sk-test"), "{b}");
    }
    // A dropped stream: the client gets an error event; usage is settled as an error.
    px.fake.script(vec![Fault::DropStreamAfter { chunks: 2 }]);
    let mut body = chat("gpt-4o-mini", "[[words:8]]");
    body["stream"] = json!(true);
    let (s, text, _) = px.stream("/v1/chat/completions", body.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("\"error\""), "{text}");
    assert!(!text.contains("[DONE]"), "{text}");
    // Malformed events are dropped, the rest of the stream arrives.
    px.fake.script(vec![Fault::MalformedEvent]);
    let (s, text, _) = px.stream("/v1/chat/completions", body.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!text.contains("{not json"), "{text}");
    assert!(text.contains("[DONE]"), "{text}");
    // A provider that does not answer: 504 after the gateway's timeout? (not scripted here: the
    // provider timeout is minutes). A connection closed at once without fallback: 502.
    px.fake.script(vec![Fault::CloseImmediately]);
    let (s, b, _) = px.post("/v1/chat/completions", chat("gpt-4o-mini", "hi")).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("provider_error")),
        "{b}"
    );
    let u = px.usage("source").await;
    assert!(u["totals"]["requests"].as_u64().unwrap() >= 4, "failures are recorded: {u}");
    px.stop().await;
}

#[tokio::test]
async fn client_disconnect_settles() {
    let px = start(&[], false).await;
    px.fake.script(vec![Fault::SlowStream { ms: 200 }]);
    let mut body = chat("gpt-4o-mini", "[[words:20]]");
    body["stream"] = json!(true);
    let resp = px
        .srv
        .client
        .post(format!("{}/v1/chat/completions", px.srv.url))
        .bearer_auth(&px.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut stream = resp.bytes_stream();
    use futures_util::StreamExt;
    let _first = stream.next().await;
    drop(stream);
    // The guard settles in the background; the record shows the interruption.
    let mut status = Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        px.srv.core().flush().await;
        let u = px.usage("source").await;
        if u["totals"]["requests"] == 1 {
            status = u;
            break;
        }
    }
    assert_eq!(status["totals"]["requests"], 1, "{status}");
    px.stop().await;
}

#[tokio::test]
async fn models_list() {
    let px = start(&[("STOA_MODEL_ALIASES", "fast=openai/gpt-4o-mini")], false).await;
    let resp = px
        .srv
        .client
        .get(format!("{}/v1/models", px.srv.url))
        .bearer_auth(&px.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let b: Value = resp.json().await.unwrap();
    let ids: Vec<&str> =
        b["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&"openai/gpt-4o-mini")
            && ids.contains(&"anthropic/claude-sonnet-4-6")
            && ids.contains(&"fast"),
        "{ids:?}"
    );
    // The alias routes.
    let (s, _, _) = px.post("/v1/chat/completions", chat("fast", "hi")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(px.fake.requests()[0].body["model"], "gpt-4o-mini");
    px.stop().await;
}
