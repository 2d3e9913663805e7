//! The MCP server behind the HTTP front (`lib.rs`): `tools/list` and `tools/call` on the core.
//!
//! The caller and the resource (tenant or platform) of *this* HTTP request arrive as an
//! [`McpCaller`] in the request's `http::request::Parts`, which rmcp hands to every request
//! (session or stateless); nothing about the caller is kept from the session's first request.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, MetaObject, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};
use stoa_core::registry::ToolDescriptor;
use stoa_core::{Core, Error, TenantId};

use crate::{McpCaller, Scope};

#[derive(Clone)]
pub(crate) struct StoaMcp {
    core: Arc<Core>,
}

impl StoaMcp {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }
}

/// The caller the HTTP front authenticated for this very request.
fn caller(ctx: &RequestContext<RoleServer>) -> Result<McpCaller, ErrorData> {
    ctx.extensions
        .get::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<McpCaller>())
        .cloned()
        .ok_or_else(|| ErrorData::internal_error("unauthenticated request", None))
}

/// Runs `f` in the request's trace (the ledger entries of tool calls carry it): rmcp serves
/// requests on its own tasks, outside the HTTP middleware's task-local scope.
async fn in_trace<T>(trace: Option<stoa_core::trace::Ids>, f: impl Future<Output = T>) -> T {
    match trace {
        Some(t) => stoa_core::trace::TRACE.scope(t, f).await,
        None => f.await,
    }
}

fn to_tool(t: ToolDescriptor) -> Tool {
    let schema = match t.input_schema {
        Value::Object(o) => o,
        _ => {
            let mut o = Map::new();
            o.insert("type".into(), json!("object"));
            o
        }
    };
    Tool::new(t.name, t.description, schema)
        .with_annotations(ToolAnnotations::new().read_only(t.read_only))
}

/// A core error as the client should see it from `tools/call`.
fn call_error(name: &str, e: &Error) -> Result<CallToolResult, ErrorData> {
    match e {
        Error::NotFound { what: "tool" } => {
            Err(ErrorData::invalid_params(format!("unknown tool: {name}"), None))
        }
        Error::Internal(_) => {
            tracing::error!(error = %e, "mcp tools/call failed");
            Err(ErrorData::internal_error("internal error", None))
        }
        // Refusals (role, tenant status, limits) are results the model can read.
        _ => Ok(CallToolResult::error(vec![ContentBlock::text(
            json!({"error": {"code": e.code(), "message": e.to_string()}}).to_string(),
        )])),
    }
}

fn list_error(e: &Error) -> ErrorData {
    match e {
        Error::Internal(_) => {
            tracing::error!(error = %e, "mcp tools/list failed");
            ErrorData::internal_error("internal error", None)
        }
        _ => ErrorData::invalid_request(e.to_string(), Some(json!({"code": e.code()}))),
    }
}

impl StoaMcp {
    async fn tools(&self, c: &McpCaller) -> Result<Vec<Tool>, ErrorData> {
        let core = &self.core;
        match &c.scope {
            Scope::Tenant(t) => {
                let tools = core.list_tools(&c.principal, t).await.map_err(|e| list_error(&e))?;
                Ok(tools.into_iter().map(to_tool).collect())
            }
            // The platform resource: every tenant's registered operations (their wire names
            // name the tenant). Platform tools (`stoa_*`) act on one tenant: use its resource.
            Scope::Platform => {
                let tenants = core.list_tenants(&c.principal).await.map_err(|e| list_error(&e))?;
                let mut out = Vec::new();
                for t in tenants {
                    let prefix = format!("{}__", t.id);
                    match core.list_tools(&c.principal, &t.id).await {
                        Ok(tools) => out.extend(
                            tools.into_iter().filter(|d| d.name.starts_with(&prefix)).map(to_tool),
                        ),
                        Err(e) => tracing::warn!(tenant = %t.id, error = %e, "tools skipped"),
                    }
                }
                Ok(out)
            }
        }
    }

    async fn call(
        &self,
        c: &McpCaller,
        name: &str,
        args: &Value,
    ) -> Result<CallToolResult, ErrorData> {
        let tenant = match &c.scope {
            Scope::Tenant(t) => t.clone(),
            Scope::Platform => name
                .split_once("__")
                .and_then(|(t, _)| TenantId::parse(t).ok())
                .ok_or_else(|| ErrorData::invalid_params(format!("unknown tool: {name}"), None))?,
        };
        let mut result = match self.core.call_tool(&c.principal, &tenant, name, args).await {
            Ok((content, is_error)) => {
                let content = vec![ContentBlock::text(content)];
                if is_error {
                    CallToolResult::error(content)
                } else {
                    CallToolResult::success(content)
                }
            }
            Err(e) => call_error(name, &e)?,
        };
        if let Some(trace) = &c.trace {
            let mut meta = Map::new();
            meta.insert("traceId".into(), Value::String(trace.trace_id.clone()));
            result.meta = Some(MetaObject(meta));
        }
        Ok(result)
    }
}

impl ServerHandler for StoaMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("stoa", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Stoa gateway: the platform tools (stoa_*) and the registered APIs' operations \
                 of this tenant.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let c = caller(&ctx)?;
        let tools = in_trace(c.trace.clone(), self.tools(&c)).await?;
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let c = caller(&ctx)?;
        let args = Value::Object(request.arguments.unwrap_or_default());
        let result = in_trace(c.trace.clone(), self.call(&c, &request.name, &args)).await?;
        Ok(result.into())
    }
}
