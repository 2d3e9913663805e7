//! The HTTP side: shared state, the route table, the per-request pipeline (record → fault →
//! latency → auth → parse → answer) and the accept loop (TCP_NODELAY, HTTP/1.1 keep-alive, and
//! a per-connection kill switch for [`Fault::CloseImmediately`]).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use crate::faults::{Fault, Mods};
use crate::{RecordedRequest, anthropic, gemini, openai};

/// Requests kept when recording.
pub(crate) const MAX_RECORDED: usize = 10_000;
/// Largest request body read.
const MAX_BODY: usize = 64 << 20;

/// State shared by every connection of one fake.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) keyless: bool,
    record: AtomicBool,
    latency_nanos: AtomicU64,
    script: Mutex<VecDeque<Fault>>,
    script_len: AtomicUsize,
    requests: Mutex<VecDeque<RecordedRequest>>,
    next_id: AtomicU64,
}

impl Shared {
    pub(crate) fn new(record: bool, keyless: bool, latency: Duration) -> Self {
        Shared {
            keyless,
            record: AtomicBool::new(record),
            latency_nanos: AtomicU64::new(nanos(latency)),
            script: Mutex::new(VecDeque::new()),
            script_len: AtomicUsize::new(0),
            requests: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(1),
        }
    }

    /// Replaces the script.
    pub(crate) fn set_script(&self, faults: Vec<Fault>) {
        let mut script = self.script.lock();
        *script = faults.into();
        self.script_len.store(script.len(), Ordering::Release);
    }

    fn next_fault(&self) -> Option<Fault> {
        if self.script_len.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut script = self.script.lock();
        let fault = script.pop_front();
        self.script_len.store(script.len(), Ordering::Release);
        fault
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        self.latency_nanos.store(nanos(latency), Ordering::Relaxed);
    }

    fn latency(&self) -> Duration {
        Duration::from_nanos(self.latency_nanos.load(Ordering::Relaxed))
    }

    fn recording(&self) -> bool {
        self.record.load(Ordering::Relaxed)
    }

    fn record(&self, request: RecordedRequest) {
        let mut requests = self.requests.lock();
        if requests.len() >= MAX_RECORDED {
            requests.pop_front();
        }
        requests.push_back(request);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.requests.lock().clear();
    }

    /// A process-unique number for response ids.
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Closes the connection a request arrived on, without a response.
#[derive(Clone, Debug)]
struct ConnCtl(Arc<Notify>);

/// Whose wire format an endpoint speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Provider {
    Anthropic,
    OpenAi,
    Gemini,
}

impl Provider {
    /// An error response in this provider's shape.
    fn error(self, status: StatusCode, message: &str, error_type: Option<&str>) -> Response {
        match self {
            Provider::Anthropic => anthropic::error(status, message, error_type),
            Provider::OpenAi => openai::error(status, message, error_type),
            Provider::Gemini => gemini::error(status, message, error_type),
        }
    }

    /// The credential the request carries, where this provider expects it (for Gemini also
    /// the `?key=` query parameter).
    fn credential(self, headers: &HeaderMap, query: Option<&str>) -> Option<String> {
        match self {
            Provider::Anthropic => anthropic::credential(headers),
            Provider::OpenAi => openai::credential(headers),
            Provider::Gemini => gemini::credential(headers, query),
        }
    }
}

/// What a route does once the pipeline has passed.
#[derive(Clone, Copy, Debug)]
enum Op {
    AnthropicMessages,
    AnthropicCountTokens,
    OpenAiChat,
    /// `GET /v1/models`: Anthropic's list when `anthropic-version` is sent, Gemini's when a
    /// Gemini key is, else OpenAI's.
    Models,
    GeminiModels,
    /// `POST /v1beta/models/{model}:{action}` (also under `/v1/`, where the current
    /// `google-genai` SDK sends it).
    GeminiCall,
}

impl Op {
    fn provider(self, parts: &Parts) -> Provider {
        let headers = &parts.headers;
        match self {
            Op::AnthropicMessages | Op::AnthropicCountTokens => Provider::Anthropic,
            Op::OpenAiChat => Provider::OpenAi,
            Op::Models if headers.contains_key(anthropic::VERSION_HEADER) => Provider::Anthropic,
            Op::Models if gemini::credential(headers, parts.uri.query()).is_some() => {
                Provider::Gemini
            }
            Op::Models => Provider::OpenAi,
            Op::GeminiModels | Op::GeminiCall => Provider::Gemini,
        }
    }
}

type St = State<Arc<Shared>>;

/// The route table.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/messages", post(|State(st): St, req| serve(st, Op::AnthropicMessages, req)))
        .route(
            "/v1/messages/count_tokens",
            post(|State(st): St, req| serve(st, Op::AnthropicCountTokens, req)),
        )
        .route("/v1/chat/completions", post(|State(st): St, req| serve(st, Op::OpenAiChat, req)))
        .route("/v1/models", get(|State(st): St, req| serve(st, Op::Models, req)))
        .route("/v1beta/models", get(|State(st): St, req| serve(st, Op::GeminiModels, req)))
        .route("/v1beta/models/{call}", post(|State(st): St, req| serve(st, Op::GeminiCall, req)))
        .route("/v1/models/{call}", post(|State(st): St, req| serve(st, Op::GeminiCall, req)))
        .route("/_fake/script", post(set_script))
        .route("/_fake/requests", get(list_requests).delete(clear_requests))
        .route("/_fake/latency", post(set_latency))
        .route("/_fake/health", get(|| async { "ok" }))
        .fallback(not_found)
        .with_state(shared)
}

/// The pipeline every provider request goes through.
async fn serve(st: Arc<Shared>, op: Op, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let provider = op.provider(&parts);
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return provider.error(StatusCode::PAYLOAD_TOO_LARGE, "fake: request body too large", None);
    };
    let json = if bytes.is_empty() { Ok(Value::Null) } else { serde_json::from_slice(&bytes) };
    if st.recording() {
        st.record(recorded(&parts, &bytes, json.as_ref().ok()));
    }
    let fault = st.next_fault();
    let latency = st.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut mods = Mods::default();
    if let Some(fault) = fault {
        match fault {
            Fault::Status { status, retry_after, message, error_type } => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let message =
                    message.unwrap_or_else(|| format!("fake: scripted error {}", status.as_u16()));
                let mut response = provider.error(status, &message, error_type.as_deref());
                if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                return response;
            }
            Fault::EchoKey { status } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
                let key = provider.credential(&parts.headers, parts.uri.query());
                let message =
                    format!("Incorrect API key provided: {}", key.as_deref().unwrap_or("(none)"));
                return provider.error(status, &message, None);
            }
            Fault::Hang => return std::future::pending().await,
            Fault::CloseImmediately => {
                if let Some(ctl) = parts.extensions.get::<ConnCtl>() {
                    ctl.0.notify_one();
                }
                return std::future::pending().await;
            }
            Fault::Slow { ms } => tokio::time::sleep(Duration::from_millis(ms)).await,
            Fault::SlowStream { ms } => mods.chunk_delay = Some(Duration::from_millis(ms)),
            Fault::DropStreamAfter { chunks } => mods.drop_after = Some(chunks),
            Fault::MalformedEvent => mods.malformed = true,
        }
    }
    let rejected = match provider {
        Provider::Anthropic => anthropic::auth_rejection(&parts.headers, st.keyless),
        Provider::OpenAi => openai::auth_rejection(&parts.headers, st.keyless),
        Provider::Gemini => gemini::auth_rejection(&parts.headers, parts.uri.query(), st.keyless),
    };
    if let Some(response) = rejected {
        return response;
    }
    let Ok(body) = json else {
        return provider.error(
            StatusCode::BAD_REQUEST,
            "fake: request body is not valid JSON",
            None,
        );
    };
    match op {
        Op::AnthropicMessages => anthropic::messages(&st, &body, mods),
        Op::AnthropicCountTokens => anthropic::count_tokens(&body, mods),
        Op::OpenAiChat => openai::chat(&st, &body, mods),
        Op::Models if provider == Provider::Anthropic => anthropic::models(mods),
        Op::Models if provider == Provider::Gemini => gemini::models(mods),
        Op::Models => openai::models(mods),
        Op::GeminiModels => gemini::models(mods),
        Op::GeminiCall => {
            let path = parts.uri.path();
            let call =
                path.strip_prefix("/v1beta/models/").or_else(|| path.strip_prefix("/v1/models/"));
            let call = call.unwrap_or_default();
            gemini::call(&st, call, parts.uri.query(), &body, mods)
        }
    }
}

fn recorded(parts: &Parts, bytes: &Bytes, json: Option<&Value>) -> RecordedRequest {
    let mut headers = std::collections::BTreeMap::<String, String>::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    let body = match json {
        Some(v) => v.clone(),
        None => Value::String(String::from_utf8_lossy(bytes).into_owned()),
    };
    RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body,
    }
}

async fn not_found(State(st): St, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if st.recording() {
        let bytes = axum::body::to_bytes(body, MAX_BODY).await.unwrap_or_default();
        let json = serde_json::from_slice::<Value>(&bytes).ok();
        let json = if bytes.is_empty() { Some(Value::Null) } else { json };
        st.record(recorded(&parts, &bytes, json.as_ref()));
    }
    let message = format!("stoa-fake: no route for {} {}", parts.method, parts.uri.path());
    (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": { "message": message } })))
        .into_response()
}

async fn set_script(State(st): St, Json(faults): Json<Vec<Fault>>) -> StatusCode {
    st.set_script(faults);
    StatusCode::NO_CONTENT
}

async fn list_requests(State(st): St) -> Json<Vec<RecordedRequest>> {
    Json(st.requests())
}

async fn clear_requests(State(st): St) -> StatusCode {
    st.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Latency {
    ms: u64,
}

async fn set_latency(State(st): St, Json(latency): Json<Latency>) -> StatusCode {
    st.set_latency(Duration::from_millis(latency.ms));
    StatusCode::NO_CONTENT
}

/// Accepts connections until `shutdown` changes (or its sender is dropped).
pub(crate) async fn run(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                // Best effort: a socket that refuses NODELAY is still served.
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(stream, router.clone(), shutdown.clone()));
            }
            // Out of file descriptors and the like: back off briefly instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router, mut shutdown: watch::Receiver<bool>) {
    let kill = Arc::new(Notify::new());
    let ctl = ConnCtl(Arc::clone(&kill));
    let service = hyper::service::service_fn(move |mut req: axum::http::Request<Incoming>| {
        req.extensions_mut().insert(ctl.clone());
        router.clone().oneshot(req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    // Dropping the connection closes the socket: no response for a killed request, and an
    // aborted body for a dropped stream.
    tokio::select! {
        _ = conn => {}
        () = kill.notified() => {}
        _ = shutdown.changed() => {}
    }
}

#[cfg(test)]
mod tests;
