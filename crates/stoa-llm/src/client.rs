//! Calling a provider over HTTP: one pooled `reqwest::Client` per provider (built by the
//! caller with its timeouts and TCP_NODELAY), the provider's path and auth header, error
//! classification for retry/fallback, and SSE streams yielded as frames arrive.
//!
//! Secrets: the key is read (`expose_secret`) only where the header is set, and the header is
//! marked sensitive. No error of this module carries a URL, a header or the key: reqwest errors
//! are reduced to a class (their text, with `without_url`, is only logged at debug level), and
//! provider error messages are scrubbed of the key and anything that looks like a provider key.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

use crate::backoff::{Backoff, Retries};
use crate::model::ProviderKind;
use crate::sse::{SseEvent, SseParser};

/// The `anthropic-version` header value sent to Anthropic.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Cap on a non-streamed success body.
pub const MAX_JSON_BODY: usize = 32 << 20;
/// Cap on an error body read for its message.
const MAX_ERROR_BODY: usize = 64 << 10;
/// Length cap of a provider error message passed on.
pub const MAX_MESSAGE_CHARS: usize = 200;

/// Why a provider call failed, classified for retry, fallback and the ledger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// HTTP 429, Anthropic 529, or an `overloaded_error`: retry with backoff.
    #[error("provider rate limited the request")]
    RateLimited {
        /// What the provider asked us to wait (`retry-after-ms`, `Retry-After` seconds or
        /// HTTP-date, or Gemini's `RetryInfo.retryDelay`).
        retry_after: Option<Duration>,
    },
    /// HTTP 5xx (other than 529).
    #[error("provider error (HTTP {status})")]
    Server {
        /// The status code.
        status: u16,
    },
    /// The provider did not answer in time.
    #[error("provider timed out")]
    Timeout,
    /// No connection could be made, or it failed before a complete response.
    #[error("could not reach the provider")]
    Connect,
    /// HTTP 4xx other than 429: the provider rejected the request.
    #[error("provider rejected the request (HTTP {status}): {message}")]
    Client {
        /// The status code.
        status: u16,
        /// The provider's `error.message`, scrubbed of keys, at most 200 characters.
        message: String,
    },
    /// The body or stream could not be understood.
    #[error("malformed provider response: {0}")]
    Malformed(String),
    /// The connection ended in the middle of a stream.
    #[error("provider stream ended unexpectedly")]
    StreamDropped,
    /// The provider is misconfigured here (unusable base URL or key).
    #[error("provider configuration error: {0}")]
    Config(String),
}

impl ProviderError {
    /// 5xx, timeouts and connection failures: worth trying the local fallback.
    pub fn is_fallback_eligible(&self) -> bool {
        matches!(
            self,
            ProviderError::Server { .. } | ProviderError::Timeout | ProviderError::Connect
        )
    }

    /// Rate limits: worth retrying the same provider after a backoff.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ProviderError::RateLimited { .. })
    }

    /// A low-cardinality class name for the ledger and metrics.
    pub fn class(&self) -> &'static str {
        match self {
            ProviderError::RateLimited { .. } => "rate_limited",
            ProviderError::Server { .. } => "server",
            ProviderError::Timeout => "timeout",
            ProviderError::Connect => "connect",
            ProviderError::Client { .. } => "client",
            ProviderError::Malformed(_) => "malformed",
            ProviderError::StreamDropped => "stream_dropped",
            ProviderError::Config(_) => "config",
        }
    }
}

/// A stream of SSE frames from a provider, yielded as each frame completes.
pub type SseStream = Pin<Box<dyn Stream<Item = Result<SseEvent, ProviderError>> + Send>>;

/// A successful provider answer.
pub enum ProviderReply {
    /// A JSON body: parsed, and the exact bytes for byte-exact forwarding.
    Json {
        /// The parsed body.
        value: Value,
        /// The body as received.
        raw: Bytes,
    },
    /// An SSE stream. It ends after the last frame; an unterminated tail that is not complete
    /// JSON (or `[DONE]`) or a broken connection yields `StreamDropped`. A stream that ends
    /// cleanly but without the format's terminator is detected by the decoder or `UsageTap`.
    Stream(SseStream),
}

impl fmt::Debug for ProviderReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProviderReply::Json { raw, .. } => {
                f.debug_struct("Json").field("bytes", &raw.len()).finish()
            }
            ProviderReply::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// One upstream provider: its kind, base URL (no trailing path; the provider's own path is
/// appended) and the shared, pooled HTTP client.
#[derive(Debug, Clone)]
pub struct Provider {
    kind: ProviderKind,
    base_url: Url,
    http: reqwest::Client,
}

impl Provider {
    /// Builds a provider. Clone it freely: the client is a handle to one pool.
    pub fn new(kind: ProviderKind, base_url: Url, http: reqwest::Client) -> Self {
        Provider { kind, base_url, http }
    }

    /// Which provider this is.
    pub fn kind(&self) -> ProviderKind {
        self.kind
    }

    /// The configured base URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The endpoint URL for a call. Anthropic: `{base}/v1/messages`; OpenAI and local:
    /// `{base}/v1/chat/completions`; Gemini: `{base}/v1beta/models/{model}:generateContent`
    /// or `…:streamGenerateContent?alt=sse` (the model is a percent-encoded path segment; the
    /// key never goes in the URL).
    pub fn endpoint(&self, model: &str, stream: bool) -> Result<Url, ProviderError> {
        let mut url = self.base_url.clone();
        url.set_query(None);
        url.set_fragment(None);
        {
            let mut segs = url
                .path_segments_mut()
                .map_err(|()| ProviderError::Config("base URL cannot have a path".into()))?;
            segs.pop_if_empty();
            match self.kind {
                ProviderKind::Anthropic => {
                    segs.extend(["v1", "messages"]);
                }
                ProviderKind::OpenAi | ProviderKind::Local => {
                    segs.extend(["v1", "chat", "completions"]);
                }
                ProviderKind::Gemini => {
                    if model.is_empty() || model == "." || model == ".." {
                        return Err(ProviderError::Config("invalid Gemini model name".into()));
                    }
                    let method = if stream { "streamGenerateContent" } else { "generateContent" };
                    segs.extend(["v1beta", "models", &format!("{model}:{method}")]);
                }
            }
        }
        if self.kind == ProviderKind::Gemini && stream {
            url.set_query(Some("alt=sse"));
        }
        Ok(url)
    }

    /// Sends a JSON body. `model` is the provider's model name (used in the Gemini URL; the
    /// other formats carry it in the body). `stream` selects the streaming endpoint/`Accept`.
    pub async fn send(
        &self,
        key: &SecretString,
        body: &Value,
        model: &str,
        stream: bool,
    ) -> Result<ProviderReply, ProviderError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ProviderError::Malformed(format!("request body: {e}")))?;
        self.send_bytes(key, Bytes::from(bytes), model, stream, &HeaderMap::new()).await
    }

    /// Sends an already-serialized JSON body, with extra headers to pass through (e.g. the
    /// client's `anthropic-beta`). Auth headers (`authorization`, `x-api-key`,
    /// `x-goog-api-key`) among them are dropped: only this provider's key is sent.
    pub async fn send_bytes(
        &self,
        key: &SecretString,
        body: Bytes,
        model: &str,
        stream: bool,
        extra_headers: &HeaderMap,
    ) -> Result<ProviderReply, ProviderError> {
        let url = self.endpoint(model, stream)?;
        let mut headers = extra_headers.clone();
        // Never forward a caller's credentials: only this provider's key goes out.
        for name in ["authorization", "x-api-key", "x-goog-api-key"] {
            headers.remove(name);
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if stream {
            headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        }
        let secret = key.expose_secret();
        match self.kind {
            ProviderKind::Anthropic => {
                headers.insert(HeaderName::from_static("x-api-key"), sensitive(secret)?);
                headers.insert(
                    HeaderName::from_static("anthropic-version"),
                    HeaderValue::from_static(ANTHROPIC_VERSION),
                );
            }
            ProviderKind::OpenAi | ProviderKind::Local => {
                if !secret.is_empty() {
                    headers.insert(AUTHORIZATION, sensitive(&format!("Bearer {secret}"))?);
                }
            }
            ProviderKind::Gemini => {
                headers.insert(HeaderName::from_static("x-goog-api-key"), sensitive(secret)?);
            }
        }
        let resp =
            self.http.post(url).headers(headers).body(body).send().await.map_err(request_error)?;
        let status = resp.status();
        if status.is_success() {
            if stream {
                return Ok(ProviderReply::Stream(sse_stream(resp)));
            }
            let raw = read_capped(resp, MAX_JSON_BODY).await?;
            let value = serde_json::from_slice(&raw)
                .map_err(|e| ProviderError::Malformed(format!("invalid JSON body: {e}")))?;
            return Ok(ProviderReply::Json { value, raw });
        }
        let retry_after = retry_after(resp.headers(), SystemTime::now());
        let body = read_capped(resp, MAX_ERROR_BODY).await.unwrap_or_default();
        Err(classify_status(status, retry_after, &body, secret))
    }
}

fn sensitive(value: &str) -> Result<HeaderValue, ProviderError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        ProviderError::Config("API key contains characters not allowed in a header".into())
    })?;
    v.set_sensitive(true);
    Ok(v)
}

fn request_error(e: reqwest::Error) -> ProviderError {
    let e = e.without_url();
    tracing::debug!(error = %e, "provider request failed");
    if e.is_timeout() { ProviderError::Timeout } else { ProviderError::Connect }
}

fn stream_error(e: reqwest::Error) -> ProviderError {
    let e = e.without_url();
    tracing::debug!(error = %e, "provider stream failed");
    if e.is_timeout() { ProviderError::Timeout } else { ProviderError::StreamDropped }
}

async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Bytes, ProviderError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(request_error)? {
        if buf.len() + chunk.len() > cap {
            return Err(ProviderError::Malformed("response body too large".into()));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Classifies a non-success status and its body. `key` is the key that was sent (scrubbed
/// from the message).
pub fn classify_status(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
    key: &str,
) -> ProviderError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let error_type = json
        .as_ref()
        .and_then(|j| j.pointer("/error/type").or_else(|| j.get("type")))
        .and_then(Value::as_str);
    let retry_after = retry_after.or_else(|| json.as_ref().and_then(gemini_retry_delay));
    let code = status.as_u16();
    if code == 429 || code == 529 || error_type == Some("overloaded_error") {
        return ProviderError::RateLimited { retry_after };
    }
    if status.is_server_error() {
        return ProviderError::Server { status: code };
    }
    if status.is_client_error() {
        let message = match &json {
            Some(j) => error_message(j).unwrap_or_default(),
            None => String::from_utf8_lossy(body).trim().to_owned(),
        };
        return ProviderError::Client { status: code, message: scrub(&message, key) };
    }
    ProviderError::Malformed(format!("unexpected HTTP status {code}"))
}

/// `error.message` (all three providers), else a top-level `message`/`detail`/`error` string.
fn error_message(j: &Value) -> Option<String> {
    j.pointer("/error/message")
        .or_else(|| j.get("message"))
        .or_else(|| j.get("detail"))
        .or_else(|| j.get("error"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Gemini puts the retry delay in the body: `error.details[].retryDelay` = `"37s"`.
fn gemini_retry_delay(j: &Value) -> Option<Duration> {
    j.pointer("/error/details")?.as_array()?.iter().find_map(|d| {
        let s = d.get("retryDelay")?.as_str()?;
        seconds(s.strip_suffix('s')?)
    })
}

fn seconds(s: &str) -> Option<Duration> {
    let v: f64 = s.trim().parse().ok()?;
    (v.is_finite() && (0.0..1e9).contains(&v)).then(|| Duration::from_secs_f64(v))
}

/// The wait a response asks for: `retry-after-ms` (OpenAI), else `Retry-After` as
/// delta-seconds or an HTTP-date (relative to `now`, never negative).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = headers.get("retry-after-ms").and_then(|v| v.to_str().ok())
        && let Some(d) = seconds(ms)
    {
        return Some(d / 1000);
    }
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Some(d) = seconds(v) {
        return Some(d);
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Removes secrets from a provider message and truncates it to 200 characters: every
/// occurrence of `key` (when at least 8 characters), and every token that looks like a
/// provider or gateway key (`sk-…`, `sk-ant-…`, `AIza…`, `stoa_sk_…`) becomes `[redacted]`.
pub fn scrub(message: &str, key: &str) -> String {
    const REDACTED: &str = "[redacted]";
    let mut s = if key.len() >= 8 { message.replace(key, REDACTED) } else { message.to_owned() };
    // Providers echo masked keys (`sk-abcd****wxyz`): the visible prefix is key material too.
    if key.len() >= 12 && key.is_char_boundary(8) {
        s = s.replace(&key[..8], REDACTED);
    }
    let is_tok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*';
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while !rest.is_empty() {
        let start = rest.find(|c: char| is_tok(c)).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c: char| !is_tok(c)).unwrap_or(rest.len());
        let tok = &rest[..end];
        let looks_like_key = ["sk-", "AIza", "stoa_sk_"].iter().any(|p| {
            tok.strip_prefix(p).is_some_and(|tail| tail.len() >= 16 || tail.contains('*'))
        });
        out.push_str(if looks_like_key { REDACTED } else { tok });
        rest = &rest[end..];
    }
    s = out;
    if s.chars().count() > MAX_MESSAGE_CHARS {
        s = s.chars().take(MAX_MESSAGE_CHARS - 1).collect();
        s.push('…');
    }
    s
}

struct StreamState {
    body: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    parser: SseParser,
    pending: VecDeque<SseEvent>,
    scratch: Vec<SseEvent>,
    done: bool,
}

fn sse_stream(resp: reqwest::Response) -> SseStream {
    let state = StreamState {
        body: Box::pin(resp.bytes_stream()),
        parser: SseParser::new(),
        pending: VecDeque::new(),
        scratch: Vec::new(),
        done: false,
    };
    Box::pin(futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(ev) = st.pending.pop_front() {
                return Some((Ok(ev), st));
            }
            if st.done {
                return None;
            }
            match st.body.next().await {
                Some(Ok(chunk)) => {
                    if let Err(e) = st.parser.push_into(&chunk, &mut st.scratch) {
                        st.done = true;
                        return Some((Err(ProviderError::Malformed(e.to_string())), st));
                    }
                    st.pending.extend(st.scratch.drain(..));
                }
                Some(Err(e)) => {
                    st.done = true;
                    return Some((Err(stream_error(e)), st));
                }
                None => {
                    st.done = true;
                    let tail = st.parser.finish()?;
                    return Some((
                        if tail_is_complete(&tail) {
                            Ok(tail)
                        } else {
                            Err(ProviderError::StreamDropped)
                        },
                        st,
                    ));
                }
            }
        }
    }))
}

/// A frame that lacks only its final blank line is accepted if its data is whole.
fn tail_is_complete(tail: &SseEvent) -> bool {
    let data = tail.data.trim();
    data == "[DONE]"
        || (!data.is_empty() && serde_json::from_str::<serde::de::IgnoredAny>(data).is_ok())
}

/// `send` with retries on rate limits, following `policy`. `jitter` supplies numbers in 0..1
/// and `sleep` waits (the caller owns the clock: `tokio::time::sleep` in production). Other
/// errors are returned at once (fallback is the caller's decision).
#[allow(clippy::too_many_arguments)]
pub async fn send_with_backoff<S, F>(
    provider: &Provider,
    key: &SecretString,
    body: &Value,
    model: &str,
    stream: bool,
    policy: &Backoff,
    mut jitter: impl FnMut() -> f64,
    sleep: S,
) -> Result<ProviderReply, ProviderError>
where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let bytes = Bytes::from(
        serde_json::to_vec(body)
            .map_err(|e| ProviderError::Malformed(format!("request body: {e}")))?,
    );
    let mut retries = Retries::new(*policy);
    let extra = HeaderMap::new();
    loop {
        match provider.send_bytes(key, bytes.clone(), model, stream, &extra).await {
            Err(ProviderError::RateLimited { retry_after }) => {
                match retries.next_delay(retry_after, jitter()) {
                    Some(d) => sleep(d).await,
                    None => return Err(ProviderError::RateLimited { retry_after }),
                }
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests;
