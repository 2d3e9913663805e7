//! Tools the chat agent can call (F-53). Each runs under the caller's identity and role: the
//! same `Core` operations, so RBAC and tenant scoping apply exactly as on the API, and a role
//! that may not do something gets a tool error, not a crash. The MCP issue adds the tenant's
//! registered APIs through the same trait.

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::budget::{CounterKey, Scope, Window};
use crate::clock::{now_ms, to_rfc3339};
use crate::identity::Principal;
use crate::ids::TenantId;
use crate::service::Core;
use crate::usage::GroupBy;

/// The outcome of one tool call: text for the model, and whether it is an error.
pub struct ToolOutcome {
    pub content: String,
    pub is_error: bool,
}

impl ToolOutcome {
    fn ok(v: &Value) -> Self {
        Self { content: v.to_string(), is_error: false }
    }
    fn err(e: &crate::Error) -> Self {
        Self {
            content: json!({"error": {"code": e.code(), "message": e.to_string()}}).to_string(),
            is_error: true,
        }
    }
}

#[async_trait]
pub trait AgentTool: Send + Sync {
    fn name(&self) -> &'static str;
    fn description(&self) -> &'static str;
    /// JSON Schema of the arguments.
    fn parameters(&self) -> Value;
    async fn call(
        &self,
        core: &Core,
        p: &Principal,
        tenant: &TenantId,
        args: &Value,
    ) -> ToolOutcome;
}

/// `stoa_usage`: the tenant's LLM usage this month, grouped (tenant-admin and up).
struct Usage;

#[async_trait]
impl AgentTool for Usage {
    fn name(&self) -> &'static str {
        "stoa_usage"
    }
    fn description(&self) -> &'static str {
        "Token usage and cost of this tenant's LLM calls this month, grouped by model, provider, source, user or day."
    }
    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {"group_by": {"type": "string",
            "enum": ["model", "provider", "source", "user", "day"]}}})
    }
    async fn call(
        &self,
        core: &Core,
        p: &Principal,
        tenant: &TenantId,
        args: &Value,
    ) -> ToolOutcome {
        let group = args
            .get("group_by")
            .and_then(Value::as_str)
            .and_then(GroupBy::parse)
            .unwrap_or(GroupBy::Model);
        let now = now_ms();
        match core.usage_report(p, tenant, Window::Month.bounds(now).0, now + 1, group).await {
            Ok(groups) => {
                let rows: Vec<Value> = groups
                    .iter()
                    .map(|g| {
                        json!({"key": g.key, "requests": g.requests, "input_tokens": g.input_tokens,
                        "output_tokens": g.output_tokens, "cost_usd": g.cost_micros as f64 / 1e6})
                    })
                    .collect();
                ToolOutcome::ok(
                    &json!({"month_start": to_rfc3339(Window::Month.bounds(now).0), "groups": rows}),
                )
            }
            Err(e) => ToolOutcome::err(&e),
        }
    }
}

/// `stoa_budget`: the tenant's token budgets and what is used of them.
struct Budget;

#[async_trait]
impl AgentTool for Budget {
    fn name(&self) -> &'static str {
        "stoa_budget"
    }
    fn description(&self) -> &'static str {
        "This tenant's daily and monthly token budgets, and how much of each is used."
    }
    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {}})
    }
    async fn call(&self, core: &Core, p: &Principal, tenant: &TenantId, _: &Value) -> ToolOutcome {
        let settings = match core.chat_settings(p, tenant).await {
            Ok(s) => s,
            Err(e) => return ToolOutcome::err(&e),
        };
        let now = now_ms();
        let mut used = [0u64; 2];
        for (slot, w) in used.iter_mut().zip([Window::Day, Window::Month]) {
            let key = CounterKey::new(Scope::Tenant(tenant.to_string()), w, now);
            *slot = match core.counters.current(&key).await {
                Some(v) => v,
                None => {
                    core.store.usage_tokens_since(tenant, None, key.start_ms).await.unwrap_or(0)
                }
            };
        }
        let (d, m) = (used[0], used[1]);
        ToolOutcome::ok(&json!({
            "daily": {"budget": settings.daily_token_budget, "used": d},
            "monthly": {"budget": settings.monthly_token_budget, "used": m},
        }))
    }
}

/// `stoa_conversations`: the caller's own conversations.
struct Conversations;

#[async_trait]
impl AgentTool for Conversations {
    fn name(&self) -> &'static str {
        "stoa_conversations"
    }
    fn description(&self) -> &'static str {
        "The current user's chat conversations (id, title, last activity)."
    }
    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {}})
    }
    async fn call(&self, core: &Core, p: &Principal, tenant: &TenantId, _: &Value) -> ToolOutcome {
        match core.list_conversations(p, Some(tenant.clone())).await {
            Ok(list) => ToolOutcome::ok(&json!({"conversations": list.iter().map(|c| json!({
                "id": c.id, "title": c.title, "updated_at": to_rfc3339(c.updated_at)})).collect::<Vec<_>>()})),
            Err(e) => ToolOutcome::err(&e),
        }
    }
}

/// `stoa_list_apis`: the tenant's registered APIs and their tools.
struct ListApis;

#[async_trait]
impl AgentTool for ListApis {
    fn name(&self) -> &'static str {
        "stoa_list_apis"
    }
    fn description(&self) -> &'static str {
        "The APIs this tenant registered on the gateway, with the tools (operations) each provides."
    }
    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {}})
    }
    async fn call(&self, core: &Core, p: &Principal, tenant: &TenantId, _: &Value) -> ToolOutcome {
        match core.list_apis(p, Some(tenant.clone())).await {
            Ok(apis) => {
                let apis: Vec<Value> = apis
                    .iter()
                    .map(|a| {
                        let tools: Vec<Value> = a
                            .tools
                            .iter()
                            .map(|t| json!({"name": t.wire_name, "method": t.method, "path": t.path, "description": t.description}))
                            .collect();
                        json!({"name": a.name, "base_url": a.base_url, "tools": tools})
                    })
                    .collect();
                ToolOutcome::ok(&json!({"apis": apis}))
            }
            Err(e) => ToolOutcome::err(&e),
        }
    }
}

/// The platform tools every tenant's agent has.
pub fn platform_tools() -> Vec<std::sync::Arc<dyn AgentTool>> {
    vec![
        std::sync::Arc::new(Usage),
        std::sync::Arc::new(Budget),
        std::sync::Arc::new(Conversations),
        std::sync::Arc::new(ListApis),
    ]
}
