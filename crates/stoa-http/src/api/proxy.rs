//! SDK-compatible LLM endpoints (F-60, F-61): OpenAI `POST /v1/chat/completions` and
//! `GET /v1/models`, Anthropic `POST /v1/messages`, Gemini `POST /v1beta/models/{model}:…`
//! (also under `/v1/models/…`, where google-genai may send it).
//!
//! Each accepts the credential where its official SDK sends it, runs the pipeline
//! (`Core::llm_call`), and answers errors in a shape that SDK reads — which for OpenAI and
//! Anthropic also carries our `code`.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};
use stoa_core::llm::{LlmBody, LlmRequest, LlmResponse, Source};
use stoa_core::{Principal, TenantId};
use stoa_llm::WireFormat;

use crate::error::ApiError;
use crate::extract::TENANT_HEADER;
use crate::state::AppState;

/// An error in the wire format of the endpoint that was called.
pub(crate) struct SdkError {
    format: WireFormat,
    err: ApiError,
}

impl IntoResponse for SdkError {
    fn into_response(self) -> Response {
        let status = self.err.status();
        let (code, message) = (self.err.code(), self.err.message().to_owned());
        let kind = match status.as_u16() {
            400 | 413 | 422 => "invalid_request_error",
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            429 => "rate_limit_error",
            _ => "api_error",
        };
        let details = self.err.details().cloned();
        let mut body = match self.format {
            WireFormat::OpenAi => {
                json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
            }
            WireFormat::Anthropic => {
                json!({"type": "error", "error": {"type": kind, "message": message, "code": code}})
            }
            WireFormat::Gemini => {
                let grpc = match status.as_u16() {
                    400 | 413 | 422 => "INVALID_ARGUMENT",
                    401 => "UNAUTHENTICATED",
                    403 => "PERMISSION_DENIED",
                    404 => "NOT_FOUND",
                    429 => "RESOURCE_EXHAUSTED",
                    503 => "UNAVAILABLE",
                    504 => "DEADLINE_EXCEEDED",
                    _ => "INTERNAL",
                };
                json!({"error": {"code": status.as_u16(), "message": message, "status": grpc, "stoa_code": code}})
            }
        };
        if let (Some(d), Some(e)) = (details, body.get_mut("error").and_then(Value::as_object_mut))
        {
            e.insert("details".into(), d);
        }
        let mut headers = HeaderMap::new();
        self.err.add_headers(&mut headers);
        // A budget resets at a window's end: tell the SDKs not to retry in a loop meanwhile.
        if code == "budget_exceeded" {
            headers.insert("x-should-retry", HeaderValue::from_static("false"));
        }
        (status, headers, axum::Json(body)).into_response()
    }
}

fn sdk(format: WireFormat) -> impl Fn(ApiError) -> SdkError {
    move |err| SdkError { format, err }
}

/// The caller of an SDK endpoint: `Authorization: Bearer`, or `x-api-key` (Anthropic SDK), or
/// `x-goog-api-key` / `?key=` (Gemini SDK).
pub(crate) struct SdkCaller(Principal);

impl FromRequestParts<AppState> for SdkCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let h = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let bearer = h(header::AUTHORIZATION.as_str()).and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
        });
        let query_key = parts.uri.query().and_then(|q| {
            q.split('&').find_map(|kv| kv.strip_prefix("key=")).filter(|k| !k.is_empty())
        });
        let credential = bearer
            .or_else(|| h("x-api-key"))
            .or_else(|| h("x-goog-api-key"))
            .or(query_key)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "missing credentials")
            })?;
        let principal = state.core.authenticate(credential).await?;
        crate::extract::TenantSlot::note(parts, &principal);
        Ok(SdkCaller(principal))
    }
}

struct Call {
    format: WireFormat,
    body: Bytes,
    headers: HeaderMap,
    model: Option<String>,
    stream: Option<bool>,
}

async fn run(state: &AppState, p: &Principal, call: Call) -> Result<Response, ApiError> {
    let body: Value = serde_json::from_slice(&call.body).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("malformed JSON: {e}"))
    })?;
    let header =
        |name: &str| call.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let tenant = match header(TENANT_HEADER) {
        Some(t) => Some(TenantId::parse(&t)?),
        None => None,
    };
    let req = LlmRequest {
        format: call.format,
        body,
        model: call.model,
        stream: call.stream,
        purpose: header("x-stoa-purpose"),
        tenant,
        source: Source::Proxy,
    };
    let resp = state.core.llm_call(p, req).await?;
    Ok(respond(resp))
}

fn respond(resp: LlmResponse) -> Response {
    let mut headers = HeaderMap::new();
    if resp.degraded {
        headers.insert("x-stoa-degraded", HeaderValue::from_static("true"));
    }
    if let Ok(v) = HeaderValue::from_str(resp.provider.as_str()) {
        headers.insert("x-stoa-provider", v);
    }
    match resp.body {
        LlmBody::Json(mut v) => {
            if resp.degraded
                && let Some(o) = v.as_object_mut()
            {
                o.insert("stoa".into(), json!({"degraded": true}));
            }
            (StatusCode::OK, headers, axum::Json(v)).into_response()
        }
        LlmBody::Stream(frames) => {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            let body = Body::from_stream(frames.map(Ok::<_, Infallible>));
            (StatusCode::OK, headers, body).into_response()
        }
    }
}

/// OpenAI Chat Completions.
pub(crate) async fn chat_completions(
    State(state): State<AppState>,
    caller: Result<SdkCaller, ApiError>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SdkError> {
    let f = WireFormat::OpenAi;
    let SdkCaller(p) = caller.map_err(sdk(f))?;
    run(&state, &p, Call { format: f, body, headers, model: None, stream: None })
        .await
        .map_err(sdk(f))
}

/// Anthropic Messages.
pub(crate) async fn messages(
    State(state): State<AppState>,
    caller: Result<SdkCaller, ApiError>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SdkError> {
    let f = WireFormat::Anthropic;
    let SdkCaller(p) = caller.map_err(sdk(f))?;
    run(&state, &p, Call { format: f, body, headers, model: None, stream: None })
        .await
        .map_err(sdk(f))
}

#[derive(serde::Deserialize)]
pub(crate) struct GeminiQuery {
    alt: Option<String>,
    #[allow(dead_code)]
    key: Option<String>,
}

/// Gemini `{model}:generateContent` and `{model}:streamGenerateContent?alt=sse`.
pub(crate) async fn gemini(
    State(state): State<AppState>,
    caller: Result<SdkCaller, ApiError>,
    Path(model_action): Path<String>,
    query: Result<Query<GeminiQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SdkError> {
    let f = WireFormat::Gemini;
    let SdkCaller(p) = caller.map_err(sdk(f))?;
    let Query(q) = query.map_err(|e| sdk(f)(e.into()))?;
    let (model, action) =
        model_action.rsplit_once(':').ok_or_else(|| sdk(f)(ApiError::not_found()))?;
    let stream = match action {
        "generateContent" => false,
        "streamGenerateContent" if q.alt.as_deref() == Some("sse") => true,
        "streamGenerateContent" => {
            return Err(sdk(f)(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "streamGenerateContent is served as SSE: add ?alt=sse",
            )));
        }
        _ => return Err(sdk(f)(ApiError::not_found())),
    };
    let call =
        Call { format: f, body, headers, model: Some(model.to_owned()), stream: Some(stream) };
    run(&state, &p, call).await.map_err(sdk(f))
}

/// OpenAI `GET /v1/models`: the models this gateway prices, and its aliases.
pub(crate) async fn models(
    State(state): State<AppState>,
    caller: Result<SdkCaller, ApiError>,
) -> Result<Response, SdkError> {
    let f = WireFormat::OpenAi;
    caller.map_err(sdk(f))?;
    let data: Vec<Value> = state
        .core
        .model_names()
        .into_iter()
        .map(|(id, owner)| json!({"id": id, "object": "model", "created": 0, "owned_by": owner}))
        .collect();
    Ok(axum::Json(json!({"object": "list", "data": data})).into_response())
}
