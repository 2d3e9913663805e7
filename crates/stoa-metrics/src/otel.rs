//! OpenTelemetry traces (F-91), exported over OTLP/HTTP (protobuf) once [`start`] has run.
//!
//! The exporter reads the standard variables itself (`OTEL_EXPORTER_OTLP_ENDPOINT` or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `..._HEADERS`, `..._TIMEOUT`; `OTEL_BSP_*` for
//! batching, `OTEL_TRACES_SAMPLER` for sampling). Spans are batched on the SDK's own thread; its
//! HTTP requests run on the gateway's runtime through the gateway's `reqwest` client (one TLS
//! stack, no second HTTP client). Until [`start`] runs — the default — every function here is
//! a check of one `OnceLock` and returns `None`: no span is built, nothing is allocated.
//!
//! The SDK chooses span ids (and the trace id of a trace that starts here); the HTTP layer
//! reads them back with [`Span::ids`], so the `traceparent` it answers with, the ledger's
//! `trace_id` and the exported spans agree.

use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, SpanKind, Status, TraceContextExt as _, TraceFlags, TraceId,
    TraceState, Tracer as _,
};
use opentelemetry::{Context, KeyValue, StringValue, Value};
use opentelemetry_otlp::WithHttpConfig as _;
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};

/// The attribute every span carries (F-91).
pub const DEPLOYMENT_MODE: &str = "stoa.deployment_mode";

struct Exporting {
    provider: SdkTracerProvider,
    tracer: Tracer,
    mode: StringValue,
}

static OTEL: OnceLock<Exporting> = OnceLock::new();

/// Whether the environment asks for OTLP export of traces.
pub fn wanted(env: impl Fn(&str) -> Option<String>) -> bool {
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        .iter()
        .any(|v| env(v).is_some_and(|s| !s.trim().is_empty()))
}

/// Starts exporting: the batch processor, the OTLP/HTTP exporter, and the resource
/// (`service.name` = `stoa`, `service.version`, `stoa.deployment_mode`). Call once, inside the
/// runtime; later calls are refused.
pub fn start(mode: &str, version: &'static str) -> Result<(), String> {
    for var in ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] {
        if let Ok(p) = std::env::var(var)
            && !p.trim().is_empty()
            && p.trim() != "http/protobuf"
        {
            return Err(format!(
                "{var}={p:?} is not supported: Stoa exports OTLP over HTTP with protobuf \
                 (http/protobuf)"
            ));
        }
    }
    let runtime =
        tokio::runtime::Handle::try_current().map_err(|_| "no async runtime".to_owned())?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("OTLP HTTP client: {e}"))?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(OnRuntime { http, runtime })
        .build()
        .map_err(|e| format!("OTLP exporter: {e}"))?;
    let mode = StringValue::from(mode.to_owned());
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("stoa")
        .with_attributes([
            KeyValue::new("service.version", version),
            KeyValue::new(DEPLOYMENT_MODE, Value::String(mode.clone())),
        ])
        .build();
    let provider =
        SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
    let tracer = opentelemetry::trace::TracerProvider::tracer(&provider, "stoa");
    OTEL.set(Exporting { provider, tracer, mode }).map_err(|_| "tracing already started".to_owned())
}

/// Whether spans are being exported.
pub fn enabled() -> bool {
    OTEL.get().is_some()
}

/// Exports what is still queued and stops. Blocks until the exporter is done: run it off the
/// runtime's worker threads (the export itself runs on the runtime).
pub fn shutdown() {
    if let Some(o) = OTEL.get()
        && let Err(e) = o.provider.shutdown()
    {
        tracing::warn!(error = %e, "OTLP export did not finish at shutdown");
    }
}

/// The W3C ids of a span (lowercase hex) and whether it is sampled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ids {
    pub trace_id: String,
    pub span_id: String,
    pub sampled: bool,
}

impl Ids {
    /// As a W3C `traceparent` header value.
    pub fn traceparent(&self) -> String {
        let flags = if self.sampled { "01" } else { "00" };
        format!("00-{}-{}-{flags}", self.trace_id, self.span_id)
    }
}

/// An exported span; it ends when dropped.
pub struct Span(opentelemetry_sdk::trace::Span);

impl Span {
    pub fn ids(&self) -> Ids {
        let c = self.0.span_context();
        Ids {
            trace_id: c.trace_id().to_string(),
            span_id: c.span_id().to_string(),
            sampled: c.is_sampled(),
        }
    }

    pub fn set(&mut self, key: &'static str, value: impl Into<Value>) {
        self.0.set_attribute(KeyValue::new(key, value));
    }

    /// Marks the span failed; `why` is a class or code, never content.
    pub fn fail(&mut self, why: impl Into<Cow<'static, str>>) {
        self.0.set_status(Status::error(why));
    }
}

fn context_of(parent: &Ids, remote: bool) -> Option<Context> {
    let trace = TraceId::from_hex(&parent.trace_id).ok()?;
    let span = SpanId::from_hex(&parent.span_id).ok()?;
    let flags = if parent.sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
    let sc = SpanContext::new(trace, span, flags, remote, TraceState::default());
    Some(Context::new().with_remote_span_context(sc))
}

fn span(name: Cow<'static, str>, kind: SpanKind, parent: Option<(&Ids, bool)>) -> Option<Span> {
    let o = OTEL.get()?;
    let cx = parent.and_then(|(p, remote)| context_of(p, remote)).unwrap_or_default();
    let span = o
        .tracer
        .span_builder(name)
        .with_kind(kind)
        .with_attributes([KeyValue::new(DEPLOYMENT_MODE, Value::String(o.mode.clone()))])
        .start_with_context(&o.tracer, &cx);
    Some(Span(span))
}

/// The span of one request served, continuing the caller's trace (`parent`, from its
/// `traceparent`) or starting one. `None` unless exporting.
pub fn server_span(name: String, parent: Option<&Ids>) -> Option<Span> {
    span(name.into(), SpanKind::Server, parent.map(|p| (p, true)))
}

/// A call the gateway makes (to a provider, a tenant's API), a child of `parent`, the span of
/// the request being served. `None` unless exporting.
pub fn client_span(name: String, parent: &Ids) -> Option<Span> {
    span(name.into(), SpanKind::Client, Some((parent, false)))
}

/// The exporter's HTTP client: the SDK exports from its own thread, outside the runtime, so
/// each request is spawned on the runtime and awaited from there.
#[derive(Debug)]
struct OnRuntime {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for OnRuntime {
    async fn send_bytes(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, opentelemetry_http::HttpError> {
        let (parts, body) = request.into_parts();
        let http = self.http.clone();
        let sent = self.runtime.spawn(async move {
            let resp = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let (status, headers) = (resp.status(), resp.headers().clone());
            let body = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        });
        let (status, headers, body) = sent.await??;
        let mut out = http::Response::new(body);
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wanted_reads_either_endpoint() {
        assert!(!wanted(|_| None));
        assert!(!wanted(|_| Some(" ".into())));
        assert!(wanted(|v| (v == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").then(|| "http://x".into())));
        assert!(wanted(|v| (v == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "http://x".into())));
    }

    #[test]
    fn nothing_is_built_unless_started() {
        let ids = Ids {
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            span_id: "00f067aa0ba902b7".into(),
            sampled: true,
        };
        assert!(server_span("GET /".into(), Some(&ids)).is_none());
        assert!(client_span("chat m".into(), &ids).is_none());
    }

    #[test]
    fn parent_context_keeps_ids_and_flags() {
        let ids = Ids {
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            span_id: "00f067aa0ba902b7".into(),
            sampled: false,
        };
        let cx = context_of(&ids, true).unwrap();
        let sc = cx.span().span_context().clone();
        assert_eq!(sc.trace_id().to_string(), ids.trace_id);
        assert_eq!(sc.span_id().to_string(), ids.span_id);
        assert!(!sc.is_sampled() && sc.is_remote());
        assert!(context_of(&Ids { trace_id: "zz".into(), ..ids }, true).is_none());
    }
}
