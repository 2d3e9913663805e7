//! OTLP trace export (F-91) from the real binary to a collector in the test: the server span
//! continues the caller's trace with the ids the response names, provider calls are its
//! children, every span carries `stoa.deployment_mode`, spans queued at SIGTERM are exported,
//! and an unsupported protocol stops start-up.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use stoa_fake::{FakeOptions, FakeProvider};

/// An OTLP/HTTP collector: keeps every body posted to `/v1/traces`.
pub(crate) struct Collector {
    pub(crate) url: String,
    bodies: Arc<parking_lot::Mutex<Vec<bytes::Bytes>>>,
}

impl Collector {
    pub(crate) async fn start() -> Self {
        let bodies: Arc<parking_lot::Mutex<Vec<bytes::Bytes>>> = Arc::default();
        let kept = bodies.clone();
        let app = axum::Router::new().route(
            "/v1/traces",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: bytes::Bytes| {
                let kept = kept.clone();
                async move {
                    assert_eq!(headers["content-type"], "application/x-protobuf");
                    kept.lock().push(body);
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Collector { url, bodies }
    }

    /// Every byte received so far.
    pub(crate) fn raw(&self) -> Vec<u8> {
        self.bodies.lock().iter().flat_map(|b| b.to_vec()).collect()
    }

    /// Every exported span so far, with its resource's attributes.
    fn spans(&self) -> Vec<(Vec<(String, String)>, Span)> {
        let mut out = Vec::new();
        for body in self.bodies.lock().iter() {
            let req = ExportTraceServiceRequest::decode(body.as_ref()).expect("OTLP protobuf");
            for rs in req.resource_spans {
                let resource = rs.resource.map(|r| attrs(&r.attributes)).unwrap_or_default();
                for ss in rs.scope_spans {
                    out.extend(ss.spans.into_iter().map(|s| (resource.clone(), s)));
                }
            }
        }
        out
    }

    /// Waits (up to 20 s) until spans of trace `trace` have arrived.
    pub(crate) async fn wait_for(&self, trace: &str) -> Vec<(Vec<(String, String)>, Span)> {
        for _ in 0..400 {
            let of_trace: Vec<_> =
                self.spans().into_iter().filter(|(_, s)| hex(&s.trace_id) == trace).collect();
            if !of_trace.is_empty() {
                return of_trace;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no span of trace {trace} exported")
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn attrs(kv: &[opentelemetry_proto::tonic::common::v1::KeyValue]) -> Vec<(String, String)> {
    kv.iter()
        .map(|kv| {
            let v = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Any::StringValue(s)) => s.clone(),
                Some(Any::IntValue(i)) => i.to_string(),
                Some(Any::BoolValue(b)) => b.to_string(),
                other => format!("{other:?}"),
            };
            (kv.key.clone(), v)
        })
        .collect()
}

struct Gateway {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Gateway {
    fn command(dir: &std::path::Path, env: &[(String, String)]) -> Command {
        let mut c = crate::cli::stoa(dir);
        c.envs(env.iter().map(|(k, v)| (k, v)));
        c
    }

    fn start(env: Vec<(String, String)>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Self::command(dir.path(), &env)
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = crate::harness::served_url(child.stdout.as_mut().unwrap());
        Gateway { child, url, dir }
    }

    fn admin(&self) -> String {
        crate::cli::token(self.dir.path(), &["--role", "cpi-admin", "--sub", "admin"])
    }
}

#[tokio::test]
async fn spans_are_exported_with_the_ids_the_response_names() {
    let fake = FakeProvider::start(FakeOptions::default()).await;
    let collector = Collector::start().await;
    let mut gw = Gateway::start(vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), collector.url.clone()),
        // Batches leave after a long delay: the spans of the last request can only arrive
        // through the export at shutdown.
        ("OTEL_BSP_SCHEDULE_DELAY".into(), "60000".into()),
        ("OPENAI_API_KEY".into(), "sk-test".into()),
        ("STOA_OPENAI_BASE_URL".into(), fake.url().to_owned()),
    ]);
    let http = reqwest::Client::new();
    let admin = gw.admin();
    http.post(format!("{}/v1/tenants", gw.url))
        .bearer_auth(&admin)
        .json(&json!({"id": "acme", "name": "Acme"}))
        .send()
        .await
        .unwrap();
    let key: Value = http
        .post(format!("{}/v1/api-keys", gw.url))
        .bearer_auth(&admin)
        .header("x-stoa-tenant", "acme")
        .json(&json!({"name": "app", "role": "devops"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let resp = http
        .post(format!("{}/v1/chat/completions", gw.url))
        .bearer_auth(key["key"].as_str().unwrap())
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let tp = resp.headers()["traceparent"].to_str().unwrap().to_owned();
    let server_id = tp.split('-').nth(2).unwrap().to_owned();
    // A request without a traceparent starts a trace; the response names it.
    let resp = http.get(format!("{}/v1/tenants", gw.url)).bearer_auth(&admin).send().await.unwrap();
    let fresh = resp.headers()["traceparent"].to_str().unwrap().to_owned();
    let fresh_trace = fresh.split('-').nth(1).unwrap().to_owned();

    // SIGTERM: the queued spans are exported before the process exits.
    let term = Command::new("kill").args(["-TERM", &gw.child.id().to_string()]).status().unwrap();
    assert!(term.success());
    assert!(gw.child.wait().unwrap().success(), "stoa exits cleanly");

    let spans = collector.wait_for(trace).await;
    let find = |kind: SpanKind| {
        spans.iter().find(|(_, s)| s.kind == kind as i32).unwrap_or_else(|| panic!("{spans:?}"))
    };
    let (resource, server) = find(SpanKind::Server);
    let a = attrs(&server.attributes);
    let has = |a: &[(String, String)], k: &str, v: &str| {
        assert!(a.iter().any(|(ak, av)| ak == k && av == v), "{k}={v} not in {a:?}");
    };
    assert_eq!(server.name, "POST /v1/chat/completions");
    assert_eq!(hex(&server.span_id), server_id, "the traceparent answered names this span");
    assert_eq!(hex(&server.parent_span_id), "00f067aa0ba902b7", "the caller's span is the parent");
    has(&a, "stoa.deployment_mode", "embedded");
    has(&a, "http.route", "/v1/chat/completions");
    has(&a, "http.response.status_code", "200");
    has(&a, "stoa.tenant", "acme");
    has(resource, "service.name", "stoa");
    has(resource, "stoa.deployment_mode", "embedded");
    let (_, client) = find(SpanKind::Client);
    let c = attrs(&client.attributes);
    assert_eq!(client.name, "chat gpt-4o-mini");
    assert_eq!(hex(&client.parent_span_id), server_id, "the provider call is the request's child");
    has(&c, "gen_ai.provider.name", "openai");
    has(&c, "gen_ai.request.model", "gpt-4o-mini");
    has(&c, "stoa.deployment_mode", "embedded");
    assert!(client.start_time_unix_nano >= server.start_time_unix_nano);
    assert!(client.end_time_unix_nano <= server.end_time_unix_nano);

    let started_here = collector.wait_for(&fresh_trace).await;
    assert_eq!(started_here.len(), 1);
    assert!(started_here[0].1.parent_span_id.is_empty(), "a trace that starts here is a root");
    assert_eq!(started_here[0].1.name, "GET /v1/tenants");
    fake.shutdown().await;
}

#[test]
fn an_unsupported_protocol_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(), "http://127.0.0.1:9".to_owned()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL".to_owned(), "grpc".to_owned()),
    ];
    let out = Gateway::command(dir.path(), &env).arg("serve").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OTEL_EXPORTER_OTLP_PROTOCOL") && err.contains("http/protobuf"), "{err}");
}
