//! Scripted faults, and the response bodies that carry the stream-level ones.
//!
//! A script is a queue of [`Fault`]s: every provider request (not `/_fake/*`, not unknown paths)
//! takes the next one, before authentication and validation; an empty queue means a normal
//! answer.

use std::convert::Infallible;
use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;
use serde::{Deserialize, Serialize};

/// One scripted misbehaviour. JSON form: `{"kind": "<snake_case name>", …fields}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer `status` with the provider's own error body (its error type derived from the
    /// status: e.g. Anthropic 429 `rate_limit_error`, 529 `overloaded_error`, 500 `api_error`),
    /// and a `Retry-After` header when `retry_after` is set.
    /// `{"kind":"status","status":429,"retry_after":"1"}`
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<String>,
        /// Overrides the error message (default `"fake: scripted error <status>"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        /// Overrides the provider error type (Anthropic `error.type`, OpenAI `error.type`,
        /// Gemini `error.status`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_type: Option<String>,
    },
    /// Wait `ms` milliseconds before sending the response head. `{"kind":"slow","ms":500}`
    Slow { ms: u64 },
    /// Send the head at once, then wait `ms` milliseconds before every body chunk (a
    /// non-streaming answer is one chunk). `{"kind":"slow_stream","ms":100}`
    SlowStream { ms: u64 },
    /// Send the head and `chunks` body chunks (SSE events), then abort the connection without
    /// the stream's terminator. A non-streaming answer sends the first half of its JSON body
    /// instead. `{"kind":"drop_stream_after","chunks":2}`
    DropStreamAfter {
        #[serde(alias = "n", alias = "after")]
        chunks: usize,
    },
    /// Emit a garbage SSE event (`data: {not json`) in the middle of the stream, then go on
    /// normally; a non-streaming answer is `200` with the body `{not json`.
    /// `{"kind":"malformed_event"}`
    MalformedEvent,
    /// Answer `status` (default 401) with an error whose message contains the exact credential
    /// received (like a misbehaving provider). `{"kind":"echo_key","status":401}`
    EchoKey {
        #[serde(default = "default_echo_status")]
        status: u16,
    },
    /// Never answer (until the client gives up or the fake shuts down). `{"kind":"hang"}`
    Hang,
    /// Read the request, then close the connection without any response.
    /// `{"kind":"close_immediately"}`
    CloseImmediately,
}

fn default_echo_status() -> u16 {
    401
}

impl Fault {
    /// `429` with `Retry-After: <retry_after>`.
    pub fn rate_limited(retry_after: &str) -> Self {
        Fault::Status {
            status: 429,
            retry_after: Some(retry_after.to_owned()),
            message: None,
            error_type: None,
        }
    }

    /// A plain status fault.
    pub fn status(status: u16) -> Self {
        Fault::Status { status, retry_after: None, message: None, error_type: None }
    }

    /// Anthropic's `529 overloaded_error` (other providers answer 529 in their own shape).
    pub fn overloaded() -> Self {
        Fault::status(529)
    }
}

/// How the stream-level faults alter a normal answer.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Mods {
    pub(crate) chunk_delay: Option<Duration>,
    pub(crate) drop_after: Option<usize>,
    pub(crate) malformed: bool,
}

impl Mods {
    fn is_plain(&self) -> bool {
        self.chunk_delay.is_none() && self.drop_after.is_none()
    }
}

/// The garbage event of [`Fault::MalformedEvent`].
pub(crate) const MALFORMED_EVENT: &[u8] = b"data: {not json\n\n";

/// A non-streaming JSON answer, altered by `mods`.
pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value, mods: Mods) -> Response {
    let body = if mods.malformed {
        Bytes::from_static(b"{not json")
    } else {
        match serde_json::to_vec(value) {
            Ok(v) => Bytes::from(v),
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    };
    let body = if mods.is_plain() {
        Body::from(body)
    } else if mods.drop_after.is_some() {
        let half = body.slice(..body.len() / 2);
        chunked(vec![half], Mods { drop_after: Some(1), ..mods })
    } else {
        chunked(vec![body], mods)
    };
    with_type(status, body, "application/json")
}

/// An SSE answer of `events` (each one complete, with its blank-line terminator), altered by
/// `mods`.
pub(crate) fn sse_response(mut events: Vec<Bytes>, mods: Mods) -> Response {
    if mods.malformed {
        events.insert(events.len() / 2, Bytes::from_static(MALFORMED_EVENT));
    }
    let mut response = with_type(StatusCode::OK, chunked(events, mods), "text/event-stream");
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn with_type(status: StatusCode, body: Body, content_type: &'static str) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A chunked body of `chunks`: delayed before each chunk, cut (with an error, which makes the
/// server abort the connection) after `drop_after` chunks.
fn chunked(chunks: Vec<Bytes>, mods: Mods) -> Body {
    if mods.is_plain() {
        return Body::from_stream(stream::iter(chunks.into_iter().map(Ok::<_, Infallible>)));
    }
    let state = Some((chunks.into_iter(), 0usize));
    let body = stream::unfold(state, move |state| async move {
        let (mut it, sent) = state?;
        if mods.drop_after == Some(sent) {
            // Let the server flush what was sent before the error makes it drop the connection
            // (it writes only when the body is pending).
            tokio::time::sleep(Duration::from_millis(2)).await;
            return Some((Err(io::Error::other("stoa-fake: stream dropped")), None));
        }
        let chunk = it.next()?;
        if let Some(delay) = mods.chunk_delay {
            tokio::time::sleep(delay).await;
        }
        Some((Ok(chunk), Some((it, sent + 1))))
    });
    Body::from_stream(body)
}

/// One SSE event: `event: NAME` (when named) and `data: JSON`, with its blank-line terminator.
pub(crate) fn event(name: Option<&str>, data: &serde_json::Value) -> Bytes {
    let data = serde_json::to_string(data).unwrap_or_default();
    let mut out = String::with_capacity(data.len() + 32);
    if let Some(name) = name {
        out.push_str("event: ");
        out.push_str(name);
        out.push('\n');
    }
    out.push_str("data: ");
    out.push_str(&data);
    out.push_str("\n\n");
    Bytes::from(out)
}
