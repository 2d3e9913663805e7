//! Conversations and the agent loop (F-50..F-56).
//!
//! A message runs through the LLM pipeline (`Core::llm_call`, purpose `chat`, source console or
//! portal) as an OpenAI-shaped request; the pipeline translates to whatever provider the chat
//! model lives at. When the model calls a tool, the tool runs under the caller's identity, the
//! result goes back to the model, and the loop continues (at most `MAX_ROUNDS` rounds). The
//! answer streams as the chat SSE events of section 13 while it is produced; the assistant
//! message is stored as far as it got even if the client leaves. Posts to one conversation are
//! serialized.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use serde_json::{Value, json};
use stoa_llm::{SseParser, StreamDecoder, StreamEvent, WireFormat};
use tokio::sync::mpsc;

use super::tools::{AgentTool, platform_tools};
use super::{Conversation, StoredMessage, new_id};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::identity::Principal;
use crate::ids::TenantId;
use crate::llm::{LlmBody, LlmRequest, Source};
use crate::rbac::Action;
use crate::service::Core;

/// Tool rounds per message before the agent must answer.
pub const MAX_ROUNDS: usize = 4;
/// Longest message a user may post (characters).
pub const MAX_MESSAGE_CHARS: usize = 32_000;

/// The platform system prompt: what the agent is, never who is asking (F-52).
pub const SYSTEM_PROMPT: &str = "You are the Stoa assistant, built into an API gateway's console. \
Help the user understand and manage their APIs, usage and budgets. Use the tools you are given to \
look things up instead of guessing, and say so when a tool reports an error or a missing permission. \
Be concise.";

/// Chat configuration (section 12).
#[derive(Clone, Debug)]
pub struct ChatPolicy {
    /// `CHAT_AGENT_ENABLED`.
    pub enabled: bool,
    /// `CHAT_KILL_SWITCH`.
    pub kill_switch: bool,
    /// `CHAT_AGENT_MODEL`.
    pub model: String,
    /// `CHAT_MAX_CONVERSATION_MESSAGES`.
    pub max_messages: u32,
    /// `CHAT_RETENTION_DAYS` (a tenant may override with `settings.chat.retention_days`).
    pub retention_days: u64,
    /// Output tokens per answer.
    pub max_output_tokens: u64,
}

impl Default for ChatPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            kill_switch: false,
            model: "claude-sonnet-4-6".into(),
            max_messages: 50,
            retention_days: 90,
            max_output_tokens: 1024,
        }
    }
}

#[derive(Default)]
pub struct ChatRuntime {
    pub policy: ChatPolicy,
    locks: parking_lot::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    tools: Vec<Arc<dyn AgentTool>>,
}

impl ChatRuntime {
    fn tools(&self) -> Vec<Arc<dyn AgentTool>> {
        if self.tools.is_empty() { platform_tools() } else { self.tools.clone() }
    }
    fn lock(&self, conversation: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock();
        if locks.len() > 10_000 {
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        locks.entry(conversation.to_owned()).or_default().clone()
    }
}

/// A conversation as the API shows it (title opened).
#[derive(Clone, Debug)]
pub struct ConversationView {
    pub id: String,
    pub title: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug)]
pub struct MessageView {
    pub id: String,
    pub role: String,
    pub content: String,
    pub source: String,
    pub status: String,
    pub created_at: i64,
}

/// Answer to a posted message.
pub enum ChatReply {
    Json {
        message_id: String,
        content: String,
        input_tokens: u64,
        output_tokens: u64,
        degraded: bool,
    },
    /// Chat SSE events (section 13), already framed.
    Stream(BoxStream<'static, Bytes>),
}

fn sse(event: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

fn chat_disabled_503() -> Error {
    Error::Unavailable {
        code: "chat_disabled",
        message: "the chat agent is disabled on this platform".into(),
    }
}

impl Core {
    /// F-35 and F-54, checked before anything else (the conversation is not even looked up).
    async fn chat_gate(
        &self,
        p: &Principal,
        named: Option<TenantId>,
        source: Option<Source>,
    ) -> Result<TenantId> {
        let policy = &self.chat.policy;
        if !policy.enabled || policy.kill_switch {
            return Err(chat_disabled_503());
        }
        let model = stoa_llm::resolve_model(
            &policy.model,
            WireFormat::OpenAi,
            &self.llm.aliases,
            &self.llm.prices,
        )
        .map_err(|_| chat_disabled_503())?;
        let usable = match model.provider {
            stoa_llm::ProviderKind::Local => self.llm.local.is_some(),
            p => self.llm.providers.contains_key(&p) && self.llm.keys.get(p).is_some(),
        };
        if !usable {
            return Err(chat_disabled_503());
        }
        let tenant = self.scope_of(p, named)?;
        let t = self.authorize(p, Action::ChatUse, Some(&tenant), "tenant").await?;
        if let (Some(t), Some(source)) = (t, source) {
            let toggle = match source {
                Source::Console => "console_enabled",
                Source::Portal => "portal_enabled",
                Source::Proxy => return Ok(tenant),
            };
            let on = t
                .settings
                .get("chat")
                .and_then(|c| c.get(toggle))
                .and_then(Value::as_bool)
                .unwrap_or(true);
            if !on {
                return Err(Error::Forbidden {
                    code: "chat_disabled",
                    message: format!("the {} chat is turned off for this tenant", source.as_str())
                        .into(),
                });
            }
        }
        Ok(tenant)
    }

    async fn view(&self, tenant: &TenantId, c: &Conversation) -> Result<ConversationView> {
        let title = match &c.title_sealed {
            Some(t) => Some(self.open(tenant, &format!("title:{}", c.id), t).await?),
            None => None,
        };
        Ok(ConversationView {
            id: c.id.clone(),
            title,
            created_at: c.created_at,
            updated_at: c.updated_at,
        })
    }

    /// The caller's conversation, or 404 (another user's or tenant's included).
    async fn own_conversation(
        &self,
        p: &Principal,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Conversation> {
        let c = self
            .store
            .get_conversation(tenant, id)
            .await?
            .ok_or(Error::NotFound { what: "conversation" })?;
        if c.user_ref != self.pseudonym(p.subject.as_str()) {
            return Err(Error::NotFound { what: "conversation" });
        }
        Ok(c)
    }

    pub async fn create_conversation(
        &self,
        p: &Principal,
        named: Option<TenantId>,
        title: Option<String>,
    ) -> Result<ConversationView> {
        let r = async {
            let tenant = self.chat_gate(p, named.clone(), None).await?;
            if title.as_ref().is_some_and(|t| t.chars().count() > 200) {
                return Err(Error::invalid(
                    "invalid_field",
                    "title must be at most 200 characters",
                ));
            }
            let id = new_id("conv");
            let now = now_ms();
            let title_sealed = match &title {
                Some(t) => Some(self.seal(&tenant, &format!("title:{id}"), t).await?),
                None => None,
            };
            let c = Conversation {
                id: id.clone(),
                tenant: tenant.to_string(),
                user_ref: self.pseudonym(p.subject.as_str()),
                title_sealed,
                created_at: now,
                updated_at: now,
            };
            self.store.insert_conversation(&tenant, &c).await?;
            Ok(ConversationView { id, title, created_at: now, updated_at: now })
        }
        .await;
        self.audit_result(
            p,
            named.as_ref(),
            "chat.conversation.create",
            r.as_ref().map(|_| Value::Null),
        )
        .await;
        r
    }

    pub async fn list_conversations(
        &self,
        p: &Principal,
        named: Option<TenantId>,
    ) -> Result<Vec<ConversationView>> {
        let tenant = self.chat_gate(p, named, None).await?;
        let list =
            self.store.list_conversations(&tenant, &self.pseudonym(p.subject.as_str())).await?;
        let mut out = Vec::with_capacity(list.len());
        for c in &list {
            out.push(self.view(&tenant, c).await?);
        }
        Ok(out)
    }

    pub async fn get_conversation(
        &self,
        p: &Principal,
        named: Option<TenantId>,
        id: &str,
    ) -> Result<(ConversationView, Vec<MessageView>)> {
        let tenant = self.chat_gate(p, named, None).await?;
        let c = self.own_conversation(p, &tenant, id).await?;
        let msgs = self.store.list_messages(&tenant, id, 10_000).await?;
        let mut out = Vec::with_capacity(msgs.len());
        for m in msgs {
            out.push(MessageView {
                content: self.open(&tenant, &format!("msg:{}", m.id), &m.content_sealed).await?,
                id: m.id,
                role: m.role,
                source: m.source,
                status: m.status,
                created_at: m.created_at,
            });
        }
        Ok((self.view(&tenant, &c).await?, out))
    }

    /// Hard delete (F-50); audited with counts only.
    pub async fn delete_conversation(
        &self,
        p: &Principal,
        named: Option<TenantId>,
        id: &str,
    ) -> Result<()> {
        let r = async {
            let tenant = self.chat_gate(p, named.clone(), None).await?;
            self.own_conversation(p, &tenant, id).await?;
            let _guard = self.chat.lock(id).lock_owned().await;
            self.store.delete_conversation(&tenant, id).await?;
            Ok(())
        }
        .await;
        self.audit_result(
            p,
            named.as_ref(),
            "chat.conversation.delete",
            r.as_ref().map(|_| json!({"conversations": 1})),
        )
        .await;
        r
    }

    /// `DELETE /v1/users/{id}/conversations`: the user themself, or a tenant-admin/cpi-admin.
    pub async fn delete_user_conversations(
        &self,
        p: &Principal,
        named: Option<TenantId>,
        user: &str,
    ) -> Result<u64> {
        let r = async {
            let tenant = self.scope_of(p, named.clone())?;
            let action =
                if user == p.subject.as_str() { Action::ChatUse } else { Action::ChatAdmin };
            self.authorize(p, action, Some(&tenant), "tenant").await?;
            let n = self.store.delete_user_conversations(&tenant, &self.pseudonym(user)).await?;
            Ok(n)
        }
        .await;
        self.audit_result(
            p,
            named.as_ref(),
            "chat.user.delete",
            r.as_ref().map(|n| json!({"conversations": n})),
        )
        .await;
        r
    }

    /// F-56: deletes conversations idle beyond the retention period of each tenant; audited
    /// per tenant with counts. Returns the total.
    pub async fn purge_idle(&self) -> Result<u64> {
        let now = now_ms();
        let mut total = 0;
        for t in self.store.list_tenants().await? {
            let days = t
                .settings
                .get("chat")
                .and_then(|c| c.get("retention_days"))
                .and_then(Value::as_u64)
                .unwrap_or(self.chat.policy.retention_days);
            let cutoff = now - i64::try_from(days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
            let n = self.store.purge_idle_conversations(&t.id, cutoff).await?;
            if n > 0 {
                let mut e = self.event(None, Some(&t.id), "chat.purge", "ok");
                e.detail = Some(json!({"conversations": n, "retention_days": days}));
                self.ledger.record(e).await;
                tracing::info!(tenant = %t.id, conversations = n, "retention purge");
            }
            total += n;
        }
        Ok(total)
    }

    async fn audit_result(
        &self,
        p: &Principal,
        tenant: Option<&TenantId>,
        action: &str,
        r: Result<Value, &Error>,
    ) {
        match r {
            Ok(detail) => {
                let mut e = self.event(Some(p), tenant, action, "ok");
                e.detail = (!detail.is_null()).then_some(detail);
                self.ledger.record(e).await;
            }
            Err(err) => self.audit_refusal(Some(p), tenant, action, err).await,
        }
    }

    /// Kill switch first, then the `X-Chat-Source` header, then the tenant's toggle for that
    /// source: all before the conversation (or the body) is looked at.
    pub async fn chat_message_gate(
        &self,
        p: &Principal,
        named: Option<TenantId>,
        source: Option<&str>,
    ) -> Result<(TenantId, Source)> {
        if !self.chat.policy.enabled || self.chat.policy.kill_switch {
            return Err(chat_disabled_503());
        }
        let source = match source {
            Some("console") => Source::Console,
            Some("portal") => Source::Portal,
            _ => {
                return Err(Error::invalid(
                    "invalid_chat_source",
                    "X-Chat-Source must be console or portal",
                ));
            }
        };
        let tenant = self.chat_gate(p, named, Some(source)).await?;
        Ok((tenant, source))
    }

    /// F-51: posts a user message and answers (a stream of chat events, or JSON).
    pub async fn post_message(
        self: &Arc<Self>,
        p: &Principal,
        named: Option<TenantId>,
        conversation: &str,
        source: Option<&str>,
        content: String,
        stream: bool,
    ) -> Result<ChatReply> {
        let r =
            self.post_message_inner(p, named.clone(), conversation, source, content, stream).await;
        if let Err(e) = &r {
            self.audit_refusal(Some(p), named.as_ref(), "chat.message", e).await;
        }
        r
    }

    async fn post_message_inner(
        self: &Arc<Self>,
        p: &Principal,
        named: Option<TenantId>,
        conversation: &str,
        source: Option<&str>,
        content: String,
        stream: bool,
    ) -> Result<ChatReply> {
        let (tenant, source) = self.chat_message_gate(p, named, source).await?;
        if content.trim().is_empty() {
            return Err(Error::invalid("invalid_request", "content must not be empty"));
        }
        if content.chars().count() > MAX_MESSAGE_CHARS {
            return Err(Error::TooLarge {
                code: "message_too_large",
                message: format!("a message is at most {MAX_MESSAGE_CHARS} characters").into(),
            });
        }
        self.own_conversation(p, &tenant, conversation).await?;
        // Serialize posts to one conversation: held until the answer is stored.
        let guard = self.chat.lock(conversation).lock_owned().await;
        let now = now_ms();
        let user_msg = StoredMessage {
            id: new_id("msg"),
            conversation_id: conversation.to_owned(),
            tenant: tenant.to_string(),
            role: "user".into(),
            content_sealed: Vec::new(),
            source: source.as_str().into(),
            status: "ok".into(),
            input_tokens: 0,
            output_tokens: 0,
            created_at: now,
        };
        let sealed = self.seal(&tenant, &format!("msg:{}", user_msg.id), &content).await?;
        self.store
            .insert_message(&tenant, &StoredMessage { content_sealed: sealed, ..user_msg })
            .await?;
        self.store.touch_conversation(&tenant, conversation, now).await?;

        // Context: the system prompt and the last N messages, oldest first (F-52).
        let history =
            self.store.list_messages(&tenant, conversation, self.chat.policy.max_messages).await?;
        let mut messages = vec![json!({"role": "system", "content": SYSTEM_PROMPT})];
        for m in &history {
            let text = self.open(&tenant, &format!("msg:{}", m.id), &m.content_sealed).await?;
            if !text.is_empty() {
                messages.push(json!({"role": m.role, "content": text}));
            }
        }

        let assistant_id = new_id("msg");
        let run = AgentRun {
            core: self.clone(),
            principal: p.clone(),
            tenant: tenant.clone(),
            conversation: conversation.to_owned(),
            source,
            messages,
            assistant_id: assistant_id.clone(),
        };
        if !stream {
            let out = run.run(None).await;
            drop(guard);
            let out = out?;
            return Ok(ChatReply::Json {
                message_id: assistant_id,
                content: out.text,
                input_tokens: out.input_tokens,
                output_tokens: out.output_tokens,
                degraded: out.degraded,
            });
        }
        let (tx, rx) = mpsc::channel::<Bytes>(64);
        let _ = tx
            .send(sse(
                "message_start",
                &json!({"conversation_id": conversation, "message_id": assistant_id}),
            ))
            .await;
        tokio::spawn(async move {
            let out = run.run(Some(tx.clone())).await;
            if let Err(e) = out {
                let _ = tx
                    .send(sse("error", &json!({"code": e.code(), "message": e.to_string()})))
                    .await;
            }
            drop(guard);
        });
        Ok(ChatReply::Stream(tokio_stream_from(rx)))
    }
}

fn tokio_stream_from(mut rx: mpsc::Receiver<Bytes>) -> BoxStream<'static, Bytes> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}

struct AgentRun {
    core: Arc<Core>,
    principal: Principal,
    tenant: TenantId,
    conversation: String,
    source: Source,
    messages: Vec<Value>,
    assistant_id: String,
}

struct RunOutcome {
    text: String,
    input_tokens: u64,
    output_tokens: u64,
    degraded: bool,
}

/// The call at a provider-given index (capped: a hostile stream cannot make us allocate).
fn slot(calls: &mut Vec<PendingCall>, index: u32) -> &mut PendingCall {
    let i = (index as usize).min(31);
    if calls.len() <= i {
        calls.resize_with(i + 1, PendingCall::default);
    }
    &mut calls[i]
}

#[derive(Default)]
struct PendingCall {
    id: String,
    name: String,
    arguments: String,
}

impl AgentRun {
    /// The loop. With `events`, streams chat events and stops early if the client leaves;
    /// the assistant message is stored either way, as far as it got.
    async fn run(mut self, events: Option<mpsc::Sender<Bytes>>) -> Result<RunOutcome> {
        let tools = self.core.chat.tools();
        // The tenant's registered APIs are tools too (F-53), called under the caller's role.
        let api_tools = self.core.api_tools(&self.tenant).await.unwrap_or_default();
        let mut tool_defs: Vec<Value> = tools
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t.name(), "description": t.description(),
                "parameters": t.parameters()}}))
            .collect();
        tool_defs.extend(api_tools.iter().map(|t| {
            json!({"type": "function", "function": {"name": t.wire_name, "description": t.operation.tool_description(),
                "parameters": t.operation.input_schema}})
        }));
        let mut out =
            RunOutcome { text: String::new(), input_tokens: 0, output_tokens: 0, degraded: false };
        let mut client_gone = false;
        let mut failure: Option<Error> = None;
        let emit = |events: &Option<mpsc::Sender<Bytes>>, frame: Bytes| {
            let events = events.clone();
            async move {
                match events {
                    Some(tx) => tx.send(frame).await.is_ok(),
                    None => true,
                }
            }
        };
        'rounds: for round in 0..MAX_ROUNDS {
            let last_round = round + 1 == MAX_ROUNDS;
            let mut body = json!({
                "model": self.core.chat.policy.model,
                "messages": self.messages,
                "max_tokens": self.core.chat.policy.max_output_tokens,
                "stream": true,
                "stream_options": {"include_usage": true},
            });
            if !last_round && !tool_defs.is_empty() {
                body["tools"] = Value::Array(tool_defs.clone());
            }
            let req = LlmRequest {
                format: WireFormat::OpenAi,
                body,
                model: None,
                stream: Some(true),
                purpose: Some("chat".into()),
                tenant: Some(self.tenant.clone()),
                source: self.source,
            };
            let resp = match self.core.llm_call(&self.principal, req).await {
                Ok(r) => r,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            out.degraded |= resp.degraded;
            let LlmBody::Stream(mut frames) = resp.body else {
                failure = Some(Error::internal("the pipeline answered a stream request with JSON"));
                break;
            };
            let mut parser = SseParser::new();
            let mut decoder = StreamDecoder::new(WireFormat::OpenAi);
            let mut calls: Vec<PendingCall> = Vec::new();
            let mut round_text = String::new();
            while let Some(chunk) = frames.next().await {
                let Ok(evs) = parser.push(&chunk) else { break };
                for ev in evs {
                    if ev.data.contains("\"error\"") && !ev.data.contains("\"choices\"") {
                        failure = Some(Error::Upstream {
                            code: "provider_error",
                            message: "the provider stream failed".into(),
                            timeout: false,
                        });
                        continue;
                    }
                    let Ok(decoded) = decoder.push(&ev) else { continue };
                    for d in decoded {
                        match d {
                            StreamEvent::TextDelta(t) => {
                                round_text.push_str(&t);
                                out.text.push_str(&t);
                                if !emit(&events, sse("delta", &json!({"text": t}))).await {
                                    client_gone = true;
                                    break 'rounds;
                                }
                            }
                            StreamEvent::ToolCallStart { index, id, name } => {
                                let call = slot(&mut calls, index);
                                call.id = id;
                                call.name = name;
                            }
                            StreamEvent::ToolCallDelta { index, arguments } => {
                                slot(&mut calls, index).arguments.push_str(&arguments);
                            }
                            StreamEvent::Usage(u) => {
                                out.input_tokens += u.input_tokens;
                                out.output_tokens += u.output_tokens;
                            }
                            _ => {}
                        }
                    }
                }
            }
            if failure.is_some() || calls.is_empty() {
                break;
            }
            // Run the tools under the caller's identity, then go round again.
            let tool_calls: Vec<Value> = calls
                .iter()
                .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
                .collect();
            self.messages.push(
                json!({"role": "assistant", "content": round_text, "tool_calls": tool_calls}),
            );
            for c in &calls {
                let args: Value = serde_json::from_str(&c.arguments).unwrap_or_else(|_| json!({}));
                if !emit(&events, sse("tool_call", &json!({"name": c.name, "arguments": args})))
                    .await
                {
                    client_gone = true;
                    break 'rounds;
                }
                let platform = tools.iter().find(|t| t.name() == c.name);
                let registered = api_tools.iter().find(|t| t.wire_name == c.name);
                let outcome = match (platform, registered) {
                    (Some(t), _) => {
                        let outcome =
                            t.call(&self.core, &self.principal, &self.tenant, &args).await;
                        let status = if outcome.is_error { "error" } else { "ok" };
                        let mut e = self.core.event(
                            Some(&self.principal),
                            Some(&self.tenant),
                            "tool.call",
                            status,
                        );
                        e.detail = Some(json!({"tool": c.name}));
                        self.core.ledger.record(e).await;
                        outcome
                    }
                    // Audited by the call itself, with the upstream status.
                    (None, Some(tool)) => {
                        let (content, is_error) = self
                            .core
                            .call_api_tool(&self.principal, &self.tenant, tool, &args)
                            .await;
                        super::tools::ToolOutcome { content, is_error }
                    }
                    (None, None) => super::tools::ToolOutcome {
                        content:
                            json!({"error": {"code": "unknown_tool", "message": "no such tool"}})
                                .to_string(),
                        is_error: true,
                    },
                };
                if !emit(
                    &events,
                    sse("tool_result", &json!({"name": c.name, "is_error": outcome.is_error})),
                )
                .await
                {
                    client_gone = true;
                    break 'rounds;
                }
                self.messages.push(
                    json!({"role": "tool", "tool_call_id": c.id, "content": outcome.content}),
                );
            }
        }
        // Store the answer as far as it got.
        let status = if client_gone || failure.is_some() { "partial" } else { "ok" };
        let stored = self.store_answer(&out, status).await;
        if let Some(e) = failure {
            if out.text.is_empty() {
                return Err(e);
            }
            if let Some(tx) = &events {
                let _ = tx
                    .send(sse("error", &json!({"code": e.code(), "message": e.to_string()})))
                    .await;
            }
        }
        stored?;
        if !client_gone {
            let end = json!({"usage": {"input_tokens": out.input_tokens, "output_tokens": out.output_tokens}, "degraded": out.degraded});
            let _ = emit(&events, sse("message_end", &end)).await;
        }
        Ok(out)
    }

    async fn store_answer(&self, out: &RunOutcome, status: &str) -> Result<()> {
        let core = &self.core;
        let sealed =
            core.seal(&self.tenant, &format!("msg:{}", self.assistant_id), &out.text).await?;
        let now = now_ms();
        core.store
            .insert_message(
                &self.tenant,
                &StoredMessage {
                    id: self.assistant_id.clone(),
                    conversation_id: self.conversation.clone(),
                    tenant: self.tenant.to_string(),
                    role: "assistant".into(),
                    content_sealed: sealed,
                    source: self.source.as_str().into(),
                    status: status.into(),
                    input_tokens: out.input_tokens,
                    output_tokens: out.output_tokens,
                    created_at: now,
                },
            )
            .await?;
        core.store.touch_conversation(&self.tenant, &self.conversation, now).await?;
        Ok(())
    }
}
