//! The HTTP client against a tiny axum server on 127.0.0.1: paths, auth headers, error
//! classes, key scrubbing, timeouts, and streams that arrive unbuffered or break.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use secrecy::SecretString;
use serde_json::json;
use stoa_llm::{
    Backoff, Jitter, Provider, ProviderError, ProviderKind, ProviderReply, send_with_backoff,
};
use tokio::sync::mpsc;
use url::Url;

const KEY: &str = "sk-ant-api03-TESTKEY0123456789abcdefghij";

#[derive(Debug, Clone)]
struct Seen {
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
}

type Log = Arc<Mutex<Vec<Seen>>>;

async fn serve<F, Fut>(handler: F) -> (SocketAddr, Log)
where
    F: Fn(Seen) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let log: Log = Arc::default();
    let log2 = log.clone();
    let app = Router::new().fallback(move |req: Request| {
        let handler = handler.clone();
        let log = log2.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            let seen = Seen {
                path: parts.uri.path().to_owned(),
                query: parts.uri.query().map(str::to_owned),
                headers: parts.headers,
                body,
            };
            log.lock().unwrap().push(seen.clone());
            handler(seen).await
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, log)
}

fn http(timeout: Option<Duration>) -> reqwest::Client {
    let mut b = reqwest::Client::builder().tcp_nodelay(true);
    if let Some(t) = timeout {
        b = b.timeout(t);
    }
    b.build().unwrap()
}

fn provider(kind: ProviderKind, addr: SocketAddr) -> Provider {
    Provider::new(kind, Url::parse(&format!("http://{addr}")).unwrap(), http(None))
}

fn key(k: &str) -> SecretString {
    SecretString::from(k.to_owned())
}

async fn ok_json(_: Seen) -> Response {
    axum::Json(json!({"ok": true})).into_response()
}

fn assert_clean(err: &ProviderError, addr: SocketAddr, key: &str) {
    let text = format!("{err} {err:?}");
    assert!(!text.contains(key), "{text}");
    assert!(!text.contains(&addr.to_string()), "{text}");
    assert!(!text.contains("127.0.0.1"), "{text}");
}

#[tokio::test]
async fn paths_and_auth_headers() {
    let (addr, log) = serve(ok_json).await;
    let body = json!({"model": "m", "messages": []});

    let reply =
        provider(ProviderKind::Anthropic, addr).send(&key(KEY), &body, "m", false).await.unwrap();
    match reply {
        ProviderReply::Json { value, raw } => {
            assert_eq!(value, json!({"ok": true}));
            assert_eq!(&raw[..], br#"{"ok":true}"#);
        }
        ProviderReply::Stream(_) => panic!("json expected"),
    }
    provider(ProviderKind::OpenAi, addr)
        .send(&key("sk-openai-key"), &body, "m", false)
        .await
        .unwrap();
    provider(ProviderKind::Local, addr).send(&key(""), &body, "llama", false).await.unwrap();
    provider(ProviderKind::Local, addr)
        .send(&key("local-key"), &body, "llama", false)
        .await
        .unwrap();
    let gkey = "AIzaSyTESTKEY0123456789abcdefghijklmn";
    provider(ProviderKind::Gemini, addr)
        .send(&key(gkey), &json!({"contents": []}), "gemini-2.0-flash", false)
        .await
        .unwrap();
    let _ = provider(ProviderKind::Gemini, addr)
        .send(&key(gkey), &json!({"contents": []}), "gemini-2.0-flash", true)
        .await
        .unwrap();

    let seen = log.lock().unwrap().clone();
    assert_eq!(seen.len(), 6);
    let h =
        |i: usize, name: &str| seen[i].headers.get(name).map(|v| v.to_str().unwrap().to_owned());

    assert_eq!(seen[0].path, "/v1/messages");
    assert_eq!(h(0, "x-api-key").as_deref(), Some(KEY));
    assert_eq!(h(0, "anthropic-version").as_deref(), Some("2023-06-01"));
    assert_eq!(h(0, "authorization"), None);
    assert_eq!(h(0, "content-type").as_deref(), Some("application/json"));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&seen[0].body).unwrap(), body);

    assert_eq!(seen[1].path, "/v1/chat/completions");
    assert_eq!(h(1, "authorization").as_deref(), Some("Bearer sk-openai-key"));
    assert_eq!(h(1, "x-api-key"), None);

    assert_eq!(seen[2].path, "/v1/chat/completions");
    assert_eq!(h(2, "authorization"), None, "local without a key sends no auth");
    assert_eq!(h(3, "authorization").as_deref(), Some("Bearer local-key"));

    assert_eq!(seen[4].path, "/v1beta/models/gemini-2.0-flash:generateContent");
    assert_eq!(seen[4].query, None);
    assert_eq!(h(4, "x-goog-api-key").as_deref(), Some(gkey));
    assert_eq!(h(4, "authorization"), None);
    assert_eq!(seen[5].path, "/v1beta/models/gemini-2.0-flash:streamGenerateContent");
    assert_eq!(seen[5].query.as_deref(), Some("alt=sse"));
    assert_eq!(h(5, "accept").as_deref(), Some("text/event-stream"));
    for s in &seen[4..] {
        let url = format!("{}?{}", s.path, s.query.clone().unwrap_or_default());
        assert!(!url.contains(gkey) && !url.contains("key="), "key never in the URL: {url}");
    }
}

#[tokio::test]
async fn extra_headers_pass_but_never_override_auth() {
    let (addr, log) = serve(ok_json).await;
    let mut extra = reqwest::header::HeaderMap::new();
    extra.insert("anthropic-beta", "prompt-caching-2024-07-31".parse().unwrap());
    extra.insert("x-api-key", "attacker".parse().unwrap());
    extra.insert("authorization", "Bearer stoa_sk_client_gateway_key".parse().unwrap());
    let p = provider(ProviderKind::Anthropic, addr);
    p.send_bytes(&key(KEY), Bytes::from_static(b"{}"), "m", false, &extra).await.unwrap();
    let seen = log.lock().unwrap()[0].clone();
    assert_eq!(seen.headers.get("anthropic-beta").unwrap(), "prompt-caching-2024-07-31");
    assert_eq!(seen.headers.get_all("x-api-key").iter().count(), 1);
    assert_eq!(seen.headers.get("x-api-key").unwrap(), KEY);
    assert!(
        seen.headers.get("authorization").is_none(),
        "the client's credentials are not forwarded"
    );
}

#[tokio::test]
async fn error_statuses_are_classified() {
    let (addr, _) = serve(|s: Seen| async move {
        match s.path.as_str() {
            "/429/v1/messages" => {
                (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "2")], "slow down").into_response()
            }
            "/429ms/v1/chat/completions" => (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after-ms", "1500"), ("retry-after", "9")],
                "{}",
            )
                .into_response(),
            "/529/v1/messages" => (
                StatusCode::from_u16(529).unwrap(),
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            )
                .into_response(),
            "/500/v1/messages" => (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response(),
            "/503/v1/chat/completions" => (StatusCode::SERVICE_UNAVAILABLE, "").into_response(),
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    })
    .await;
    let at = |prefix: &str, kind: ProviderKind| {
        Provider::new(kind, Url::parse(&format!("http://{addr}/{prefix}")).unwrap(), http(None))
    };
    let body = json!({});
    let e =
        at("429", ProviderKind::Anthropic).send(&key(KEY), &body, "m", false).await.unwrap_err();
    assert_eq!(e, ProviderError::RateLimited { retry_after: Some(Duration::from_secs(2)) });
    assert!(e.is_retryable() && !e.is_fallback_eligible());
    let e = at("429ms", ProviderKind::OpenAi).send(&key(KEY), &body, "m", false).await.unwrap_err();
    assert_eq!(e, ProviderError::RateLimited { retry_after: Some(Duration::from_millis(1500)) });
    let e =
        at("529", ProviderKind::Anthropic).send(&key(KEY), &body, "m", false).await.unwrap_err();
    assert_eq!(e, ProviderError::RateLimited { retry_after: None });
    let e =
        at("500", ProviderKind::Anthropic).send(&key(KEY), &body, "m", false).await.unwrap_err();
    assert_eq!(e, ProviderError::Server { status: 500 });
    assert!(e.is_fallback_eligible());
    let e = at("503", ProviderKind::OpenAi).send(&key(KEY), &body, "m", true).await.unwrap_err();
    assert_eq!(e, ProviderError::Server { status: 503 });
    let e =
        at("nothing", ProviderKind::OpenAi).send(&key(KEY), &body, "m", false).await.unwrap_err();
    assert!(matches!(e, ProviderError::Client { status: 404, .. }));
    assert_clean(&e, addr, KEY);
}

#[tokio::test]
async fn error_bodies_never_leak_the_key() {
    // the provider echoes the key it received, in several ways
    let (addr, _) = serve(|s: Seen| async move {
        let sent = s
            .headers
            .get("x-api-key")
            .or_else(|| s.headers.get("x-goog-api-key"))
            .or_else(|| s.headers.get("authorization"))
            .unwrap()
            .to_str()
            .unwrap()
            .trim_start_matches("Bearer ")
            .to_owned();
        let msg = format!("invalid x-api-key: {sent} (also try sk-proj-0123456789abcdefABCDEF)");
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                json!({"type": "error", "error": {"type": "authentication_error", "message": msg}}),
            ),
        )
            .into_response()
    })
    .await;
    for (kind, k) in [
        (ProviderKind::Anthropic, KEY),
        (ProviderKind::OpenAi, "sk-proj-abcdefghijklmnopqrstuvwxyz012345"),
        (ProviderKind::Gemini, "AIzaSyTESTKEY0123456789abcdefghijklmn"),
        (ProviderKind::Local, "plain-local-secret-42"),
    ] {
        let e = provider(kind, addr).send(&key(k), &json!({}), "m", false).await.unwrap_err();
        match &e {
            ProviderError::Client { status: 401, message } => {
                assert!(message.starts_with("invalid x-api-key: [redacted]"), "{message}");
                assert!(!message.contains(k) && !message.contains("sk-proj-0123"), "{message}");
                assert!(message.chars().count() <= 200);
            }
            other => panic!("{other:?}"),
        }
        assert_clean(&e, addr, k);
    }
}

#[tokio::test]
async fn connection_refused_is_connect() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = provider(ProviderKind::OpenAi, addr)
        .send(&key(KEY), &json!({}), "m", false)
        .await
        .unwrap_err();
    assert_eq!(e, ProviderError::Connect);
    assert!(e.is_fallback_eligible());
    assert_clean(&e, addr, KEY);
}

#[tokio::test]
async fn slow_server_times_out() {
    let (addr, _) = serve(|_| async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        "late".into_response()
    })
    .await;
    let p = Provider::new(
        ProviderKind::Anthropic,
        Url::parse(&format!("http://{addr}")).unwrap(),
        http(Some(Duration::from_millis(150))),
    );
    let started = std::time::Instant::now();
    let e = p.send(&key(KEY), &json!({}), "m", false).await.unwrap_err();
    assert_eq!(e, ProviderError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(e.is_fallback_eligible());
    assert_clean(&e, addr, KEY);
}

fn streaming(rx: mpsc::Receiver<&'static str>) -> Response {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        Some((Ok::<_, Infallible>(Bytes::from_static(chunk.as_bytes())), rx))
    });
    ([("content-type", "text/event-stream")], Body::from_stream(stream)).into_response()
}

#[tokio::test]
async fn streams_arrive_unbuffered() {
    let (tx, rx) = mpsc::channel::<&'static str>(8);
    let rx = Arc::new(Mutex::new(Some(rx)));
    let (addr, _) = serve(move |_| {
        let rx = rx.lock().unwrap().take().unwrap();
        async move { streaming(rx) }
    })
    .await;
    let reply = provider(ProviderKind::Anthropic, addr)
        .send(&key(KEY), &json!({"stream": true}), "m", true)
        .await
        .unwrap();
    let ProviderReply::Stream(mut stream) = reply else { panic!("stream expected") };
    // the first frame, split across writes, arrives while the server still holds the rest
    tx.send("event: message_start\ndata: {\"type\":").await.unwrap();
    tx.send("\"message_start\"}\n\n").await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("not buffered")
        .unwrap()
        .unwrap();
    assert_eq!(first.event.as_deref(), Some("message_start"));
    assert_eq!(&first.raw[..], b"event: message_start\ndata: {\"type\":\"message_start\"}\n\n");
    tx.send("event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n").await.unwrap();
    let second = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(second.data, "{\"type\":\"message_stop\"}");
    drop(tx);
    assert!(
        tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().is_none(),
        "clean end"
    );
}

#[tokio::test]
async fn stream_cut_mid_frame_is_dropped() {
    let (addr, _) = serve(|_| async {
        let (tx, rx) = mpsc::channel(4);
        tx.send("data: {\"a\":1}\n\n").await.unwrap();
        tx.send("data: {\"choices\":[{\"delta\":{\"content\":\"hel").await.unwrap();
        drop(tx);
        streaming(rx)
    })
    .await;
    let reply =
        provider(ProviderKind::OpenAi, addr).send(&key(KEY), &json!({}), "m", true).await.unwrap();
    let ProviderReply::Stream(stream) = reply else { panic!() };
    let items: Vec<_> = stream.collect().await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().data, "{\"a\":1}");
    assert_eq!(items[1].as_ref().unwrap_err(), &ProviderError::StreamDropped);
}

#[tokio::test]
async fn stream_aborted_by_server_is_dropped() {
    let (addr, _) = serve(|_| async {
        let stream = futures_util::stream::unfold(0, |n| async move {
            match n {
                0 => Some((Ok(Bytes::from_static(b"data: {\"a\":1}\n\ndata: {\"b\"")), 1)),
                1 => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Some((Err(std::io::Error::other("boom")), 2))
                }
                _ => None,
            }
        });
        ([("content-type", "text/event-stream")], Body::from_stream(stream)).into_response()
    })
    .await;
    let reply =
        provider(ProviderKind::OpenAi, addr).send(&key(KEY), &json!({}), "m", true).await.unwrap();
    let ProviderReply::Stream(stream) = reply else { panic!() };
    let items: Vec<_> = stream.collect().await;
    assert!(items[0].is_ok());
    let err = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(err, &ProviderError::StreamDropped);
    assert_clean(err, addr, KEY);
}

#[tokio::test]
async fn a_final_frame_without_blank_line_is_accepted() {
    let (addr, _) = serve(|_| async {
        let (tx, rx) = mpsc::channel(4);
        tx.send("data: {\"a\":1}\r\n\r\ndata: {\"b\":2}").await.unwrap();
        drop(tx);
        streaming(rx)
    })
    .await;
    let reply =
        provider(ProviderKind::Gemini, addr).send(&key(KEY), &json!({}), "g", true).await.unwrap();
    let ProviderReply::Stream(stream) = reply else { panic!() };
    let items: Vec<_> = stream.collect().await;
    let data: Vec<String> = items.into_iter().map(|i| i.unwrap().data).collect();
    assert_eq!(data, ["{\"a\":1}", "{\"b\":2}"]);
}

#[tokio::test]
async fn oversized_frames_are_malformed() {
    let (addr, _) = serve(|_| async {
        let big = "x".repeat(2 << 20);
        ([("content-type", "text/event-stream")], format!("data: {big}")).into_response()
    })
    .await;
    let reply =
        provider(ProviderKind::OpenAi, addr).send(&key(KEY), &json!({}), "m", true).await.unwrap();
    let ProviderReply::Stream(stream) = reply else { panic!() };
    let items: Vec<_> = stream.collect().await;
    assert!(matches!(items.last().unwrap(), Err(ProviderError::Malformed(_))));
}

#[tokio::test]
async fn non_json_success_body_is_malformed() {
    let (addr, _) = serve(|_| async { "<html>proxy error</html>".into_response() }).await;
    let e = provider(ProviderKind::OpenAi, addr)
        .send(&key(KEY), &json!({}), "m", false)
        .await
        .unwrap_err();
    assert!(matches!(e, ProviderError::Malformed(_)));
}

#[tokio::test]
async fn backoff_retries_rate_limits_then_succeeds() {
    let calls = Arc::new(Mutex::new(0u32));
    let c2 = calls.clone();
    let (addr, _) = serve(move |_| {
        let calls = c2.clone();
        async move {
            let n = {
                let mut g = calls.lock().unwrap();
                *g += 1;
                *g
            };
            if n <= 2 {
                (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], "").into_response()
            } else {
                axum::Json(json!({"ok": n})).into_response()
            }
        }
    })
    .await;
    let slept = Arc::new(Mutex::new(Vec::new()));
    let s2 = slept.clone();
    let policy = Backoff {
        base: Duration::from_millis(100),
        max_delay: Duration::from_secs(5),
        max_attempts: 4,
        max_total_wait: Duration::from_secs(10),
        jitter: Jitter::Full,
    };
    let p = provider(ProviderKind::Anthropic, addr);
    let sleep = move |d: Duration| {
        s2.lock().unwrap().push(d);
        async {}
    };
    let reply = send_with_backoff(&p, &key(KEY), &json!({}), "m", false, &policy, || 0.5, sleep)
        .await
        .unwrap();
    assert!(matches!(reply, ProviderReply::Json { .. }));
    assert_eq!(*calls.lock().unwrap(), 3);
    assert_eq!(
        *slept.lock().unwrap(),
        [Duration::from_secs(1), Duration::from_secs(1)],
        "Retry-After is the floor"
    );

    // giving up returns the rate limit
    let (addr, _) = serve(|_| async {
        (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "60")], "").into_response()
    })
    .await;
    let p = provider(ProviderKind::Anthropic, addr);
    let e = send_with_backoff(&p, &key(KEY), &json!({}), "m", false, &policy, || 0.5, |_| async {})
        .await
        .unwrap_err();
    assert_eq!(e, ProviderError::RateLimited { retry_after: Some(Duration::from_secs(60)) });
}
