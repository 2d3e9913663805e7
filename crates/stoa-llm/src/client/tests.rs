//! Unit tests: scrubbing, Retry-After parsing, status classification, endpoints.

use super::*;

#[test]
fn scrub_removes_keys_and_truncates() {
    let key = "sk-ant-api03-SECRETSECRETSECRETSECRET";
    let msg = format!(
        "invalid x-api-key: {key}; also sk-proj-abcdefghijklmnopqrstuvwx and AIzaSyA1234567890abcdefghijk, stoa_sk_0123456789abcdef0123"
    );
    let s = scrub(&msg, key);
    assert!(!s.contains("SECRET"), "{s}");
    assert!(!s.contains("sk-proj"), "{s}");
    assert!(!s.contains("AIza"), "{s}");
    assert!(!s.contains("stoa_sk_"), "{s}");
    assert!(s.starts_with("invalid x-api-key: [redacted]"), "{s}");
    // a key that does not look like a provider key is still removed
    assert_eq!(
        scrub("bad key my-local-key-123 given", "my-local-key-123"),
        "bad key [redacted] given"
    );
    // short words with the prefixes are kept
    assert_eq!(scrub("ask-me sk-1 AIza", ""), "ask-me sk-1 AIza");
    let long = "é".repeat(500);
    let t = scrub(&long, "");
    assert_eq!(t.chars().count(), 200);
    assert!(t.ends_with('…'));
}

#[test]
fn retry_after_forms() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut h = HeaderMap::new();
    assert_eq!(retry_after(&h, now), None);
    h.insert("retry-after", HeaderValue::from_static("2"));
    assert_eq!(retry_after(&h, now), Some(Duration::from_secs(2)));
    h.insert("retry-after", HeaderValue::from_static("1.5"));
    assert_eq!(retry_after(&h, now), Some(Duration::from_millis(1500)));
    let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
    h.insert("retry-after", HeaderValue::from_str(&date).unwrap());
    assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
    let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
    h.insert("retry-after", HeaderValue::from_str(&past).unwrap());
    assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
    h.insert("retry-after-ms", HeaderValue::from_static("250"));
    assert_eq!(retry_after(&h, now), Some(Duration::from_millis(250)));
    h.insert("retry-after-ms", HeaderValue::from_static("junk"));
    h.insert("retry-after", HeaderValue::from_static("junk"));
    assert_eq!(retry_after(&h, now), None);
    h.insert("retry-after", HeaderValue::from_static("-3"));
    assert_eq!(retry_after(&h, now), None);
}

#[test]
fn status_classes() {
    let s = |c: u16| StatusCode::from_u16(c).unwrap();
    assert_eq!(
        classify_status(s(429), Some(Duration::from_secs(2)), b"", ""),
        ProviderError::RateLimited { retry_after: Some(Duration::from_secs(2)) }
    );
    assert_eq!(
        classify_status(s(529), None, b"", ""),
        ProviderError::RateLimited { retry_after: None }
    );
    let overloaded =
        br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
    assert!(classify_status(s(500), None, overloaded, "").is_retryable());
    assert_eq!(classify_status(s(503), None, b"{}", ""), ProviderError::Server { status: 503 });
    let gemini = br#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}"#;
    assert_eq!(
        classify_status(s(429), None, gemini, ""),
        ProviderError::RateLimited { retry_after: Some(Duration::from_secs(37)) }
    );
    let openai = br#"{"error":{"message":"Incorrect API key provided: sk-abc123def456ghi789jkl.","type":"invalid_request_error","code":"invalid_api_key"}}"#;
    match classify_status(s(401), None, openai, "sk-abc123def456ghi789jkl") {
        ProviderError::Client { status: 401, message } => {
            assert_eq!(message, "Incorrect API key provided: [redacted].")
        }
        other => panic!("{other:?}"),
    }
    match classify_status(s(400), None, b"plain text failure", "") {
        ProviderError::Client { message, .. } => assert_eq!(message, "plain text failure"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(classify_status(s(302), None, b"", ""), ProviderError::Malformed(_)));
}

#[test]
fn error_classes() {
    assert!(ProviderError::Server { status: 502 }.is_fallback_eligible());
    assert!(ProviderError::Timeout.is_fallback_eligible());
    assert!(ProviderError::Connect.is_fallback_eligible());
    assert!(!ProviderError::RateLimited { retry_after: None }.is_fallback_eligible());
    assert!(!ProviderError::Client { status: 400, message: String::new() }.is_fallback_eligible());
    assert!(ProviderError::RateLimited { retry_after: None }.is_retryable());
    assert!(!ProviderError::Timeout.is_retryable());
    assert_eq!(ProviderError::StreamDropped.class(), "stream_dropped");
}

fn provider(kind: ProviderKind, base: &str) -> Provider {
    Provider::new(kind, Url::parse(base).unwrap(), reqwest::Client::builder().build().unwrap())
}

#[test]
fn endpoints() {
    let p = provider(ProviderKind::Anthropic, "http://127.0.0.1:9000");
    assert_eq!(p.endpoint("x", true).unwrap().as_str(), "http://127.0.0.1:9000/v1/messages");
    let p = provider(ProviderKind::OpenAi, "http://127.0.0.1:9000/");
    assert_eq!(
        p.endpoint("x", false).unwrap().as_str(),
        "http://127.0.0.1:9000/v1/chat/completions"
    );
    let p = provider(ProviderKind::Local, "http://127.0.0.1:9000/prefix");
    assert_eq!(
        p.endpoint("x", false).unwrap().as_str(),
        "http://127.0.0.1:9000/prefix/v1/chat/completions"
    );
    let p = provider(ProviderKind::Gemini, "http://127.0.0.1:9000");
    assert_eq!(
        p.endpoint("gemini-2.0-flash", false).unwrap().as_str(),
        "http://127.0.0.1:9000/v1beta/models/gemini-2.0-flash:generateContent"
    );
    assert_eq!(
        p.endpoint("gemini-2.0-flash", true).unwrap().as_str(),
        "http://127.0.0.1:9000/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
    );
    // hostile model names stay inside one path segment
    let u = p.endpoint("../../admin?x=1#f", false).unwrap();
    assert_eq!(u.path(), "/v1beta/models/..%2F..%2Fadmin%3Fx=1%23f:generateContent");
    assert!(u.query().is_none());
    assert!(p.endpoint("..", false).is_err());
}

#[test]
fn masked_keys_are_scrubbed() {
    let key = "sk-canary-1234567890abcdef5856";
    let msg =
        "Incorrect API key provided: sk-canar*********************5856. You can find your key";
    let out = scrub(msg, key);
    assert!(!out.contains("sk-canar"), "{out}");
    assert!(out.contains("[redacted]"), "{out}");
    // A masked key that is not ours is scrubbed too.
    let out = scrub("bad key sk-proj-ab****yz here", "other-key-entirely");
    assert!(!out.contains("sk-proj-ab"), "{out}");
    assert!(out.contains("here"));
}
