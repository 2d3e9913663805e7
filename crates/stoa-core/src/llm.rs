//! The LLM pipeline (section 3): one path for every LLM call, from the SDK-compatible proxy
//! endpoints and (later) the chat agent.
//!
//! authenticate (done by the caller) → tenant status and role (`authorize`) → purpose (F-20) →
//! model → input tokens (F-21) → budget reserve (F-23) → rate limit (F-24) → provider call with
//! backoff (F-26) → fallback to local inference on provider failure → answer (JSON, or a stream
//! forwarded frame by frame) → settle budget and record usage. A reservation is always
//! settled or released: on success, on failure, and when the client disconnects mid-stream
//! (the stream's guard settles on drop).
//!
//! When the client's wire format is the provider's, the client's JSON goes out unchanged but
//! for `model`, and the provider's bytes come back unchanged; otherwise both directions go
//! through stoa-llm's canonical types.

mod stream;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use serde_json::{Value, json};
use stoa_llm::backoff::Backoff;
use stoa_llm::client::{Provider, ProviderError, ProviderReply};
use stoa_llm::price::PriceTable;
use stoa_llm::types::Usage;
use stoa_llm::wire;
use stoa_llm::{ModelRef, ProviderKind, WireFormat};

use crate::budget::{CounterKey, Limit, Reservation, ReserveError, Scope, Window};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::identity::{Credential, Principal};
use crate::ids::TenantId;
use crate::keys::KeyRing;
use crate::rbac::Action;
use crate::service::Core;
use crate::settings::effective_quotas;
use crate::tenant::Tenant;
use crate::usage::{UsageRecord, UsageWriter};

/// The platform's default purpose allowlist (F-20).
pub const DEFAULT_PURPOSES: [&str; 5] = [
    "chat",
    "editorial-refinement",
    "citation-grounding",
    "entity-disambiguation",
    "knowledge-graph-construction",
];

/// Where a call comes from (stored on usage records).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Proxy,
    Console,
    Portal,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Proxy => "proxy",
            Source::Console => "console",
            Source::Portal => "portal",
        }
    }
}

/// Providers and limits of the pipeline, from configuration.
pub struct LlmSettings {
    pub providers: HashMap<ProviderKind, Provider>,
    /// Tier A fallback: the local provider and the model name to send it.
    pub local: Option<(Provider, String)>,
    pub keys: Arc<KeyRing>,
    pub prices: PriceTable,
    pub aliases: HashMap<String, String>,
    pub backoff: Backoff,
    /// `CHAT_MAX_INPUT_TOKENS`.
    pub max_input_tokens: u64,
    /// Output tokens reserved when a request sets no maximum.
    pub default_max_output: u64,
}

impl LlmSettings {
    /// No provider configured: every call answers 503 until one is.
    pub fn unconfigured() -> Self {
        Self {
            providers: HashMap::new(),
            local: None,
            keys: Arc::new(KeyRing::default()),
            prices: PriceTable::default(),
            aliases: HashMap::new(),
            backoff: Backoff::default(),
            max_input_tokens: 4096,
            default_max_output: 4096,
        }
    }
}

/// One LLM call as the HTTP layer hands it over.
pub struct LlmRequest {
    /// The client's wire format (which endpoint it called).
    pub format: WireFormat,
    pub body: Value,
    /// The model from the URL (Gemini); otherwise it is read from the body.
    pub model: Option<String>,
    /// Gemini encodes streaming in the URL (`:streamGenerateContent`).
    pub stream: Option<bool>,
    /// `X-Stoa-Purpose`.
    pub purpose: Option<String>,
    /// `X-Stoa-Tenant`, for a platform caller.
    pub tenant: Option<TenantId>,
    pub source: Source,
}

pub enum LlmBody {
    Json(Value),
    /// SSE bytes in the client's format, forwarded as they arrive.
    Stream(BoxStream<'static, Bytes>),
}

/// Time spent waiting for the provider (for the gateway-time header).
#[derive(Clone, Copy, Debug)]
pub struct ProviderTime(pub Duration);

pub struct LlmResponse {
    pub body: LlmBody,
    /// How long the provider took to answer (to the first byte for streams), fallback included.
    pub provider_time: Duration,
    /// Answered by the local fallback (F-26).
    pub degraded: bool,
    pub provider: ProviderKind,
    pub model: String,
}

/// Everything needed to settle a call, owned, so a stream can settle after the handler returns.
pub(crate) struct Settlement {
    /// Counts this call as open until it is recorded (see `audit::Ledger::open_call`).
    pub(crate) _open: crate::audit::OpenCall,
    pub(crate) counters: Arc<dyn crate::budget::Counters>,
    pub(crate) usage: UsageWriter,
    pub(crate) prices: Arc<PriceTable>,
    pub(crate) reservation: Reservation,
    pub(crate) tenant: TenantId,
    pub(crate) record: UsageRecord,
    pub(crate) model: ModelRef,
    pub(crate) started: Instant,
    pub(crate) input_estimate: u64,
    pub(crate) ledger: crate::audit::Ledger,
    /// The pending ledger entry this call's final entry completes.
    pub(crate) pending: crate::audit::AuditEvent,
    pub(crate) pending_seq: i64,
    pub(crate) alerts: crate::alerts::Alerts,
    /// The tenant (for its webhook) and the tenant budgets this call counted against.
    pub(crate) tenant_row: Arc<Tenant>,
    pub(crate) budgets: Vec<Limit>,
}

impl Settlement {
    /// Settles the budget with `usage` and records the call.
    pub(crate) async fn settle(mut self, usage: Usage, status: &str) {
        self.counters.settle(&self.reservation, usage.total()).await;
        for limit in &self.budgets {
            if let Some(used) = self.counters.current(&limit.key).await {
                self.alerts.check(&self.tenant_row, &limit.key, used, limit.max).await;
            }
        }
        let (cost, unpriced) = self.prices.cost_micros(&self.model, usage);
        self.record.input_tokens = usage.input_tokens;
        self.record.output_tokens = usage.output_tokens;
        self.record.cost_micros = cost;
        self.record.unpriced = unpriced;
        self.record.status = status.to_owned();
        self.record.latency_ms = self.started.elapsed().as_millis() as u64;
        let m = stoa_metrics::global();
        let r = &self.record;
        m.llm(
            self.tenant.as_str(),
            &stoa_metrics::LlmSample {
                provider: &r.provider,
                model: &r.model,
                input_tokens: r.input_tokens,
                output_tokens: r.output_tokens,
                cost_usd: cost as f64 / 1e6,
                fallback: r.degraded,
            },
        );
        for limit in &self.budgets {
            if let Some(used) = self.counters.current(&limit.key).await {
                m.budget(
                    self.tenant.as_str(),
                    limit.key.window.as_str(),
                    limit.max.saturating_sub(used),
                );
            }
        }
        let fin = self.final_entry(status);
        self.record_call(fin).await;
    }

    /// The final ledger entry and the usage record: one commit in place when the store can
    /// (no hand-off to the writers), else both queued.
    async fn record_call(self, fin: crate::audit::AuditEvent) {
        if !self.ledger.record_call_now(&fin, &self.tenant, &self.record) {
            self.ledger.record(fin).await;
            self.usage.record(self.tenant, self.record).await;
        }
    }

    /// The ledger entry that completes the pending one, from the usage record.
    fn final_entry(&self, status: &str) -> crate::audit::AuditEvent {
        let r = &self.record;
        crate::audit::AuditEvent {
            at_ms: now_ms(),
            status: status.to_owned(),
            provider: Some(r.provider.clone()),
            model: Some(r.model.clone()),
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            cost_micros: r.cost_micros,
            latency_ms: r.latency_ms,
            fallback: r.degraded,
            refers_to: Some(self.pending_seq),
            detail: r.unpriced.then(|| serde_json::json!({"unpriced": true})),
            ..self.pending.clone()
        }
    }
}

impl Core {
    /// Runs one LLM call through the pipeline. A refusal before the provider is called is
    /// audited with its code; a call that reached the pending entry is audited by its final
    /// entry instead.
    pub async fn llm_call(&self, p: &Principal, req: LlmRequest) -> Result<LlmResponse> {
        let tenant = req.tenant.clone();
        let mut pending = false;
        let r = self.llm_call_inner(p, req, &mut pending).await;
        if let Err(e) = &r
            && !pending
        {
            self.audit_refusal(Some(p), tenant.as_ref(), "llm.call", e).await;
        }
        r
    }

    async fn llm_call_inner(
        &self,
        p: &Principal,
        req: LlmRequest,
        pending_written: &mut bool,
    ) -> Result<LlmResponse> {
        let started = Instant::now();
        let llm = &self.llm;
        let tenant_id = self.scope_of(p, req.tenant.clone())?;
        let action = if req.source == Source::Proxy { Action::LlmInvoke } else { Action::ChatUse };
        let tenant = self
            .authorize(p, action, Some(&tenant_id), "tenant")
            .await?
            .ok_or(Error::NotFound { what: "tenant" })?;
        let (key_id, key_purposes, key_budget) = match &p.credential {
            Credential::ApiKey { id, purposes, daily_token_budget } => {
                (Some(id.to_string()), purposes.clone(), *daily_token_budget)
            }
            Credential::Jwt { .. } => (None, Vec::new(), None),
        };
        let purpose = check_purpose(&tenant, req.purpose.as_deref(), &key_purposes)?;

        let format = req.format;
        let mut body = req.body;
        if !body.is_object() {
            return Err(Error::invalid(
                "invalid_request",
                "the request body must be a JSON object",
            ));
        }
        let model_name = match req.model.as_deref() {
            Some(m) => m.to_owned(),
            None => wire::model_of(format, &body)
                .map(str::to_owned)
                .ok_or_else(|| Error::invalid("invalid_request", "`model` is required"))?,
        };
        let model = stoa_llm::resolve_model(&model_name, format, &llm.aliases, &llm.prices)
            .map_err(|e| Error::invalid("unknown_model", e.to_string()))?;
        let stream = req.stream.unwrap_or_else(|| wire::is_stream(format, &body));

        // Input size, counted on everything that goes to the provider.
        let mut texts: Vec<String> = Vec::new();
        wire::texts_mut(format, &mut body, |_, t| texts.push(t.clone()));
        let input_tokens =
            stoa_llm::tokens::count_input_tokens(&model, texts.iter().map(String::as_str));
        if input_tokens > llm.max_input_tokens {
            return Err(Error::TooLarge {
                code: "input_too_large",
                message: format!(
                    "the input is {input_tokens} tokens; the limit is {} (CHAT_MAX_INPUT_TOKENS)",
                    llm.max_input_tokens
                )
                .into(),
            });
        }

        // F-22: scan everything that goes to the provider; block or redact per the tenant.
        let pii = scan_pii(&tenant, format, &mut body).inspect_err(|e| {
            if let Error::PiiDetected { details, .. } = e {
                for f in details.as_array().into_iter().flatten() {
                    stoa_metrics::global().pii(
                        tenant.id.as_str(),
                        f["category"].as_str().unwrap_or("unknown"),
                        1,
                    );
                }
            }
        })?;
        for (category, n) in &pii {
            stoa_metrics::global().pii(tenant.id.as_str(), category, n.as_u64().unwrap_or(0));
        }

        let (provider, key) = self.provider_for(&model)?;
        let max_output = wire::max_output_tokens(format, &body).unwrap_or(llm.default_max_output);
        let reservation = self
            .reserve_budget(&tenant, key_id.as_deref(), key_budget, input_tokens + max_output)
            .await?;

        let quotas = effective_quotas(&tenant, self.config.budget_defaults);
        let now = now_ms();
        if let Err(refusal) =
            self.counters.hit_rate(&format!("rpm:{}", tenant.id), quotas.max_rate_limit, now).await
        {
            self.counters.release(&reservation).await;
            return Err(refusal.into_error(quotas.max_rate_limit));
        }

        // The provider's body: the client's own when the formats match, else translated.
        let provider_format = model.provider.wire_format();
        let original = body.clone();
        let mut client_wants_usage = true;
        let outbound = if provider_format == format {
            wire::set_model(format, &mut body, &model.model);
            if stream {
                client_wants_usage = wire::ensure_stream_usage(format, &mut body);
            }
            body
        } else {
            let canonical = match wire::parse_request(format, &body) {
                Ok(c) => c,
                Err(e) => {
                    self.counters.release(&reservation).await;
                    return Err(Error::invalid(e.code(), e.to_string()));
                }
            };
            let mut canonical = canonical;
            canonical.stream = stream;
            client_wants_usage = format != WireFormat::OpenAi || openai_asked_usage(&original);
            wire::render_request(provider_format, &canonical, &model.model)
        };

        // F-25: no call goes out unaudited.
        let mut pending = self.event(Some(p), Some(&tenant.id), "llm.call", "pending");
        pending.provider = Some(model.provider.as_str().to_owned());
        pending.model = Some(model.model.clone());
        pending.purpose = Some(purpose.clone());
        pending.input_tokens = input_tokens;
        if !pii.is_empty() {
            pending.detail = Some(json!({"pii_redacted": pii}));
        }
        let open = self.ledger.open_call();
        let pending_seq = match self.ledger.append(pending.clone()).await {
            Ok(seq) => seq,
            Err(e) => {
                self.counters.release(&reservation).await;
                return Err(e);
            }
        };
        *pending_written = true;

        let settlement = Settlement {
            _open: open,
            counters: self.counters.clone(),
            usage: self.usage.clone(),
            prices: self.prices.clone(),
            reservation,
            tenant: tenant.id.clone(),
            record: UsageRecord {
                at_ms: now,
                user_ref: self.pseudonym(p.subject.as_str()),
                api_key_id: key_id,
                source: req.source.as_str().to_owned(),
                provider: model.provider.as_str().to_owned(),
                model: model.model.clone(),
                purpose,
                input_tokens: 0,
                output_tokens: 0,
                cost_micros: 0,
                status: String::new(),
                degraded: false,
                unpriced: false,
                latency_ms: 0,
            },
            model: model.clone(),
            started,
            input_estimate: input_tokens,
            ledger: self.ledger.clone(),
            pending,
            pending_seq,
            alerts: self.alerts.clone(),
            budgets: reservation_limits(&tenant, self.config.budget_defaults, now),
            tenant_row: tenant.clone(),
        };

        let provider_started = Instant::now();
        let first = self.send(&provider, &key, &outbound, &model.model, stream).await;
        llm.keys.note(model.provider, first.as_ref().map(|_| ()).map_err(ProviderError::class));
        let (reply, degraded, used) = match first {
            Ok(reply) => (reply, false, model.clone()),
            Err(e) if e.is_fallback_eligible() && model.provider != ProviderKind::Local => {
                match self.fallback(format, &original, stream).await {
                    Some(Ok((reply, used))) => {
                        tracing::warn!(
                            provider = model.provider.as_str(),
                            class = e.class(),
                            "provider failed; answered by local fallback"
                        );
                        (reply, true, used)
                    }
                    Some(Err(local_err)) => {
                        tracing::warn!(class = local_err.class(), "local fallback failed too");
                        settlement.fail(&e).await;
                        return Err(upstream_error(&e));
                    }
                    None => {
                        settlement.fail(&e).await;
                        return Err(upstream_error(&e));
                    }
                }
            }
            Err(e) => {
                settlement.fail(&e).await;
                return Err(upstream_error(&e));
            }
        };
        let provider_time = provider_started.elapsed();
        let mut settlement = settlement;
        settlement.record.degraded = degraded;
        settlement.record.provider = used.provider.as_str().to_owned();
        settlement.record.model = used.model.clone();
        settlement.model = used.clone();
        let reply_format = used.provider.wire_format();

        match reply {
            ProviderReply::Json { value, .. } => {
                let usage = wire::usage_from_response(reply_format, &value)
                    .unwrap_or_else(|| Usage::new(input_tokens, 0));
                let out = if reply_format == format {
                    value
                } else {
                    match wire::parse_response(reply_format, &value) {
                        Ok(r) => wire::render_response(format, &r),
                        Err(e) => {
                            settlement.settle(usage, "error").await;
                            return Err(upstream_error(&e));
                        }
                    }
                };
                settlement.settle(usage, "ok").await;
                Ok(LlmResponse {
                    body: LlmBody::Json(out),
                    provider_time,
                    degraded,
                    provider: used.provider,
                    model: used.model,
                })
            }
            ProviderReply::Stream(upstream) => {
                let frames = stream::forward(
                    upstream,
                    reply_format,
                    format,
                    client_wants_usage,
                    degraded,
                    settlement,
                );
                Ok(LlmResponse {
                    body: LlmBody::Stream(frames),
                    provider_time,
                    degraded,
                    provider: used.provider,
                    model: used.model,
                })
            }
        }
    }

    /// Model ids for `GET /v1/models`: `provider/model` for every priced model of a configured
    /// provider, and the configured aliases, with their owner.
    pub fn model_names(&self) -> Vec<(String, String)> {
        let configured = |p: ProviderKind| {
            if p == ProviderKind::Local {
                self.llm.local.is_some()
            } else {
                self.llm.providers.contains_key(&p)
            }
        };
        let mut out: Vec<(String, String)> = self
            .llm
            .prices
            .models()
            .into_iter()
            .filter(|m| configured(m.provider))
            .map(|m| {
                (format!("{}/{}", m.provider.as_str(), m.model), m.provider.as_str().to_owned())
            })
            .collect();
        let mut aliases: Vec<(&String, &String)> = self.llm.aliases.iter().collect();
        aliases.sort();
        for (alias, target) in aliases {
            let owner = target.split('/').next().unwrap_or("stoa").to_owned();
            out.push((alias.clone(), owner));
        }
        out
    }

    /// The provider of a model and the key to call it with (taken now: a rotation does not
    /// change the key of a call in flight).
    fn provider_for(&self, model: &ModelRef) -> Result<(Provider, Arc<secrecy::SecretString>)> {
        let not_configured = || Error::Unavailable {
            code: "provider_not_configured",
            message: format!(
                "provider {} is not configured on this gateway",
                model.provider.as_str()
            )
            .into(),
        };
        if model.provider == ProviderKind::Local {
            let (p, _) = self.llm.local.as_ref().ok_or_else(not_configured)?;
            let key = self
                .llm
                .keys
                .get(ProviderKind::Local)
                .unwrap_or_else(|| Arc::new(secrecy::SecretString::from(String::new())));
            return Ok((p.clone(), key));
        }
        let p = self.llm.providers.get(&model.provider).ok_or_else(not_configured)?;
        let key = self.llm.keys.get(model.provider).ok_or_else(not_configured)?;
        Ok((p.clone(), key))
    }

    async fn send(
        &self,
        provider: &Provider,
        key: &secrecy::SecretString,
        body: &Value,
        model: &str,
        stream: bool,
    ) -> std::result::Result<ProviderReply, ProviderError> {
        // A client span per provider call (retries included), when exporting traces; for a
        // stream it ends when the provider starts answering.
        let mut span = crate::trace::child_span(|| format!("chat {model}"));
        if let Some(s) = span.as_mut() {
            s.set("gen_ai.operation.name", "chat");
            s.set("gen_ai.provider.name", provider.kind().as_str());
            s.set("gen_ai.request.model", model.to_owned());
        }
        let reply = stoa_llm::client::send_with_backoff(
            provider,
            key,
            body,
            model,
            stream,
            &self.llm.backoff,
            jitter,
            tokio::time::sleep,
        )
        .await;
        if let (Some(s), Err(e)) = (span.as_mut(), &reply) {
            s.fail(e.class());
        }
        reply
    }

    /// Tier A: the same request, in OpenAI form, to the local server. `None` if none is set.
    async fn fallback(
        &self,
        format: WireFormat,
        original: &Value,
        stream: bool,
    ) -> Option<std::result::Result<(ProviderReply, ModelRef), ProviderError>> {
        let (local, local_model) = self.llm.local.as_ref()?;
        let mut canonical = match wire::parse_request(format, original) {
            Ok(c) => c,
            Err(e) => return Some(Err(ProviderError::Malformed(e.to_string()))),
        };
        canonical.stream = stream;
        let body = wire::render_request(WireFormat::OpenAi, &canonical, local_model);
        let key = self
            .llm
            .keys
            .get(ProviderKind::Local)
            .unwrap_or_else(|| Arc::new(secrecy::SecretString::from(String::new())));
        let reply = self.send(local, &key, &body, local_model, stream).await;
        Some(reply.map(|r| (r, ModelRef::new(ProviderKind::Local, local_model.clone()))))
    }

    /// Reserves `amount` tokens against the tenant's daily and monthly budgets and the API
    /// key's daily budget, loading counters from recorded usage on first use in a window.
    async fn reserve_budget(
        &self,
        tenant: &Tenant,
        key_id: Option<&str>,
        key_budget: Option<u64>,
        amount: u64,
    ) -> Result<Reservation> {
        let now = now_ms();
        let quotas = effective_quotas(tenant, self.config.budget_defaults);
        let tid = tenant.id.as_str().to_owned();
        let mut limits = vec![
            Limit {
                key: CounterKey::new(Scope::Tenant(tid.clone()), Window::Day, now),
                max: quotas.daily_token_budget,
            },
            Limit {
                key: CounterKey::new(Scope::Tenant(tid), Window::Month, now),
                max: quotas.monthly_token_budget,
            },
        ];
        if let (Some(k), Some(b)) = (key_id, key_budget) {
            limits.push(Limit {
                key: CounterKey::new(Scope::ApiKey(k.to_owned()), Window::Day, now),
                max: b,
            });
        }
        for _ in 0..3 {
            match self.counters.reserve(&limits, amount, now).await {
                Ok(r) => return Ok(r),
                Err(ReserveError::Exceeded(e)) => {
                    // Less than 1 % left is an exhausted budget: the 100 % alert.
                    if let Some(l) = limits.iter().find(|l| l.key == e.key)
                        && u128::from(e.remaining) * 100 < u128::from(l.max)
                    {
                        self.alerts.check(tenant, &l.key, l.max, l.max).await;
                    }
                    let which = match e.key.scope {
                        Scope::Tenant(_) => {
                            format!("the tenant's {} token budget", e.key.window.as_str())
                        }
                        Scope::ApiKey(_) => "the API key's daily token budget".to_owned(),
                    };
                    return Err(Error::Limited {
                        code: "budget_exceeded",
                        message: format!(
                            "this call needs up to {amount} tokens; {which} has {} left",
                            e.remaining
                        )
                        .into(),
                        retry_after: e.retry_after,
                        remaining: Some(e.remaining),
                    });
                }
                Err(ReserveError::NeedsBaseline(keys)) => {
                    self.usage.flush().await;
                    for k in keys {
                        let used = match &k.scope {
                            Scope::Tenant(_) => {
                                self.store.usage_tokens_since(&tenant.id, None, k.start_ms).await?
                            }
                            Scope::ApiKey(id) => {
                                self.store
                                    .usage_tokens_since(&tenant.id, Some(id), k.start_ms)
                                    .await?
                            }
                        };
                        self.counters.seed(&k, used).await;
                    }
                }
                Err(ReserveError::Unavailable(detail)) => {
                    tracing::warn!(%detail, "budget counters unavailable");
                    return Err(crate::budget::counters_unavailable());
                }
            }
        }
        Err(Error::internal("budget counters could not be loaded"))
    }
}

impl Settlement {
    /// The call failed before any output: release the reservation, record the failure.
    pub(crate) async fn fail(mut self, e: &ProviderError) {
        self.counters.release(&self.reservation).await;
        let status = format!("error:{}", e.class());
        self.record.status = status.clone();
        self.record.latency_ms = self.started.elapsed().as_millis() as u64;
        let fin = self.final_entry(&status);
        self.record_call(fin).await;
    }
}

fn openai_asked_usage(body: &Value) -> bool {
    body.get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 1_000_000) / 1_000_000.0
}

/// A blocked finding as the 422 lists it: where it is and what it is, never the value.
fn blocked_finding(text: usize, kind: wire::TextKind, f: &stoa_pii::Finding) -> Value {
    json!({"text": text, "kind": format!("{kind:?}").to_lowercase(), "category": f.category.as_str(),
        "start": f.start, "end": f.end})
}

/// Scans every text of the request (system prompt, messages, tool calls and results) with
/// the tenant's policy, sharing placeholders across texts so one value keeps one placeholder.
/// Blocked → 422 listing categories and offsets per text; redacted → texts replaced in place.
/// Returns the redacted categories with counts (for the ledger), never values.
fn scan_pii(
    tenant: &Tenant,
    format: WireFormat,
    body: &mut Value,
) -> Result<serde_json::Map<String, Value>> {
    let policy = tenant.pii_policy();
    let mut redacted = stoa_pii::Summary::new();
    if policy.is_off() {
        return Ok(serde_json::Map::new());
    }
    let scanner = stoa_pii::Scanner::global();
    let mut placeholders = stoa_pii::Placeholders::new();
    let mut blocked: Vec<Value> = Vec::new();
    let mut index = 0usize;
    wire::texts_mut(format, body, |kind, text| {
        let i = index;
        index += 1;
        if !blocked.is_empty() {
            // Keep scanning to report every blocked finding, but stop rewriting.
            let findings = scanner.scan(text);
            let blocks =
                findings.iter().filter(|f| policy.mode_for(f.category) == stoa_pii::Mode::Block);
            blocked.extend(blocks.map(|f| blocked_finding(i, kind, f)));
            return;
        }
        match policy.apply_with(scanner, text, &mut placeholders) {
            stoa_pii::Outcome::Clean => {}
            stoa_pii::Outcome::Blocked { findings } => {
                blocked.extend(findings.iter().map(|f| blocked_finding(i, kind, f)));
            }
            stoa_pii::Outcome::Redacted { text: new, findings } => {
                for f in &findings {
                    redacted.add(f.category);
                }
                *text = new;
            }
        }
    });
    if !blocked.is_empty() {
        let mut cats: Vec<&str> = blocked.iter().filter_map(|b| b["category"].as_str()).collect();
        cats.sort_unstable();
        cats.dedup();
        return Err(Error::PiiDetected {
            message: format!(
                "the request contains personal data the tenant blocks: {}",
                cats.join(", ")
            )
            .into(),
            details: Value::Array(blocked),
        });
    }
    Ok(redacted.iter().map(|(c, n)| (c.as_str().to_owned(), Value::from(n))).collect())
}

/// The tenant budgets (day, month) a call counts against, for alerts.
fn reservation_limits(
    tenant: &Tenant,
    defaults: crate::settings::BudgetDefaults,
    now: i64,
) -> Vec<Limit> {
    let q = effective_quotas(tenant, defaults);
    let t = tenant.id.as_str().to_owned();
    vec![
        Limit {
            key: CounterKey::new(Scope::Tenant(t.clone()), Window::Day, now),
            max: q.daily_token_budget,
        },
        Limit {
            key: CounterKey::new(Scope::Tenant(t), Window::Month, now),
            max: q.monthly_token_budget,
        },
    ]
}

/// F-20: the header's purpose, else the API key's default, else the tenant's; it must be in
/// the tenant's allowlist and, for a key that lists purposes, in the key's.
fn check_purpose(tenant: &Tenant, header: Option<&str>, key_purposes: &[String]) -> Result<String> {
    let tenant_default = tenant.settings.get("default_purpose").and_then(Value::as_str);
    let purpose =
        header.or(key_purposes.first().map(String::as_str)).or(tenant_default).unwrap_or("chat");
    let allowed = match tenant.settings.get("purposes").and_then(Value::as_array) {
        Some(list) => list.iter().any(|v| v.as_str() == Some(purpose)),
        None => DEFAULT_PURPOSES.contains(&purpose),
    };
    let key_allows = key_purposes.is_empty() || key_purposes.iter().any(|k| k == purpose);
    if allowed && key_allows {
        Ok(purpose.to_owned())
    } else {
        Err(Error::Forbidden {
            code: "purpose_not_allowed",
            message: format!("purpose {purpose:?} is not allowed for this tenant or key").into(),
        })
    }
}

/// A provider failure as the client sees it. Provider bodies are never forwarded; the
/// message carries the failure class and, for a provider's own 4xx, its scrubbed message.
fn upstream_error(e: &ProviderError) -> Error {
    match e {
        ProviderError::RateLimited { retry_after } => Error::Limited {
            code: "provider_rate_limited",
            message: "the provider is rate limiting this gateway; retries were exhausted".into(),
            retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
            remaining: None,
        },
        ProviderError::Timeout => Error::Upstream {
            code: "provider_timeout",
            message: "the provider did not answer in time".into(),
            timeout: true,
        },
        ProviderError::Client { status, message } => Error::Upstream {
            code: "provider_rejected",
            message: format!("the provider refused the request ({status}): {message}").into(),
            timeout: false,
        },
        other => Error::Upstream {
            code: "provider_error",
            message: format!("the provider failed ({})", other.class()).into(),
            timeout: false,
        },
    }
}

#[cfg(test)]
mod tests;
