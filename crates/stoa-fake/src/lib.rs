//! A fake LLM provider for Stoa's tests and benchmarks.
//!
//! One HTTP server on a loopback port speaks three real wire formats — Anthropic Messages
//! (`POST /v1/messages`), OpenAI Chat Completions (`POST /v1/chat/completions`,
//! `GET /v1/models`; also the keyless "local" OpenAI-compatible server) and Gemini
//! (`POST /v1beta/models/{model}:generateContent` / `:streamGenerateContent`, also under `/v1/`)
//! — JSON and SSE, with tool calls. Answers are deterministic (see below) and faults can be
//! scripted per request ([`Fault`]).
//!
//! Credentials: Anthropic `x-api-key` or `Authorization: Bearer` (the current official Python SDK
//! sends the latter) plus `anthropic-version`; OpenAI `Authorization: Bearer`; Gemini
//! `x-goog-api-key` or `?key=` (recorded, so tests can assert it never arrives). `keyless` lifts
//! the key requirement. A scripted fault takes effect before authentication and validation.
//!
//! # Answers
//!
//! 1. last message is a tool result → `"tool said: " + first 40 chars of the result`;
//! 2. tools declared and the last user message contains `[[tool:NAME]]` (or `[[tool]]` → the
//!    first tool) → a call of NAME with arguments `{"q": Q}`, Q = the first 40 chars of the last
//!    user message with the marker removed, trimmed;
//! 3. the last user message contains `[[words:N]]` → N words of lorem ipsum;
//! 4. otherwise `"echo: " + first 40 chars of the last user message`.
//!
//! Text is cut to `max_tokens` (Anthropic) / `max_completion_tokens` or `max_tokens` (OpenAI) /
//! `generationConfig.maxOutputTokens` (Gemini) words, with the provider's max-tokens stop reason.
//!
//! # Usage
//!
//! `words(s)` = number of whitespace-separated words of `s`.
//! - input tokens = Σ over messages (a system prompt counts as one message) of
//!   `3 + words(its text parts) + words(its tool-result text)`;
//! - output tokens = `words(reply text)`, or `1 + words(Q)` for a tool call.
//!
//! # Control plane
//!
//! In process: [`FakeProvider`]. Over HTTP (for the binary): `POST /_fake/script` (JSON list of
//! faults, replacing the script), `GET /_fake/requests`, `DELETE /_fake/requests`,
//! `POST /_fake/latency` (`{"ms": N}`), `GET /_fake/health`.

mod anthropic;
mod faults;
mod gemini;
mod openai;
mod reply;
mod server;

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use faults::Fault;
use server::Shared;

/// How a fake behaves.
#[derive(Clone, Debug)]
pub struct FakeOptions {
    /// Record every request (the last 10 000) for [`FakeProvider::requests`].
    pub record: bool,
    /// Accept requests without credentials (the "local" OpenAI-compatible server; applies to
    /// every format, `anthropic-version` is still required).
    pub keyless: bool,
    /// Delay before every provider response's head.
    pub latency: Duration,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions { record: true, keyless: false, latency: Duration::ZERO }
    }
}

/// One request as the fake received it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Every header, name lowercased; repeated headers joined with `", "`.
    pub headers: BTreeMap<String, String>,
    /// The JSON body; `Null` when empty; a JSON string of the (lossy UTF-8) raw text when it is
    /// not JSON.
    pub body: serde_json::Value,
}

impl RecordedRequest {
    /// A header's value (`name` in lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// A query parameter's raw (not percent-decoded) value.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        query_param(self.query.as_deref(), name)
    }
}

/// A query parameter's raw value.
pub(crate) fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

/// A running fake; shuts down when dropped.
#[derive(Debug)]
pub struct FakeProvider {
    addr: SocketAddr,
    url: String,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl FakeProvider {
    /// Starts a fake on a random `127.0.0.1` port (inside a tokio runtime).
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(opts: FakeOptions) -> FakeProvider {
        match FakeProvider::bind(SocketAddr::from(([127, 0, 0, 1], 0)), opts).await {
            Ok(fake) => fake,
            Err(e) => panic!("stoa-fake: cannot bind 127.0.0.1:0: {e}"),
        }
    }

    /// Starts a fake on `addr`.
    pub async fn bind(addr: SocketAddr, opts: FakeOptions) -> io::Result<FakeProvider> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(opts.record, opts.keyless, opts.latency));
        let (shutdown, rx) = watch::channel(false);
        let router = server::router(Arc::clone(&shared));
        let task = tokio::spawn(server::run(listener, router, rx));
        Ok(FakeProvider { addr, url: format!("http://{addr}"), shared, shutdown, task: Some(task) })
    }

    /// The base URL, e.g. `http://127.0.0.1:40123` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The recorded requests, oldest first (empty unless recording).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Forgets the recorded requests (not the script).
    pub fn clear(&self) {
        self.shared.clear();
    }

    /// Replaces the script: each following provider request takes the next fault; once it is
    /// empty, answers are normal.
    pub fn script(&self, faults: Vec<Fault>) {
        self.shared.set_script(faults);
    }

    /// Changes the delay before every provider response's head.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.set_latency(latency);
    }

    /// Stops accepting and closes every connection (hanging requests included).
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            // The accept loop only ends; a panic in it has nothing left to clean up.
            let _ = task.await;
        }
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}
