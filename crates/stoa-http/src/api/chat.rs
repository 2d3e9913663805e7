//! `/v1/chat/settings` (F-54: budgets and per-source toggles) and `/v1/chat/usage` (F-55).

use axum::Json;
use axum::extract::{Query, State};
use stoa_core::clock::{now_ms, parse_rfc3339, to_rfc3339};
use stoa_core::settings::ChatSettingsPatch;
use stoa_core::usage::{GroupBy, UsageGroup};
use stoa_core::{Error, budget::Window};

use crate::dto::{ChatSettingsDto, UpdateChatSettings, UsageGroupDto, UsageQuery, UsageReport};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, Caller, NamedTenant};
use crate::state::AppState;

#[utoipa::path(get, path = "/v1/chat/settings", tag = "chat", security(("bearer" = [])),
    params(("X-Stoa-Tenant" = Option<String>, Header, description = "tenant, for cpi-admin")),
    responses((status = 200, body = ChatSettingsDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_settings(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
) -> Result<Json<ChatSettingsDto>, ApiError> {
    let tenant = state.core.scope_of(&p, named)?;
    Ok(Json(state.core.chat_settings(&p, &tenant).await?.into()))
}

/// Update budgets and toggles (tenant-admin, cpi-admin). Omitted fields keep their value.
#[utoipa::path(put, path = "/v1/chat/settings", tag = "chat", security(("bearer" = [])),
    params(("X-Stoa-Tenant" = Option<String>, Header, description = "tenant, for cpi-admin")),
    request_body = UpdateChatSettings,
    responses((status = 200, body = ChatSettingsDto), (status = 403, body = ErrorBody)))]
pub(crate) async fn put_settings(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
    AppJson(body): AppJson<UpdateChatSettings>,
) -> Result<Json<ChatSettingsDto>, ApiError> {
    let tenant = state.core.scope_of(&p, named)?;
    let patch = ChatSettingsPatch {
        console_enabled: body.console_enabled,
        portal_enabled: body.portal_enabled,
        daily_token_budget: body.daily_token_budget,
        monthly_token_budget: body.monthly_token_budget,
    };
    Ok(Json(state.core.update_chat_settings(&p, &tenant, patch).await?.into()))
}

/// Usage and cost of the tenant's LLM calls, grouped (tenant-admin; cpi-admin any tenant).
#[utoipa::path(get, path = "/v1/chat/usage", tag = "chat", security(("bearer" = [])),
    params(UsageQuery, ("X-Stoa-Tenant" = Option<String>, Header, description = "tenant, for cpi-admin")),
    responses((status = 200, body = UsageReport), (status = 400, body = ErrorBody)))]
pub(crate) async fn usage(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
    query: Result<Query<UsageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<UsageReport>, ApiError> {
    let Query(q) = query?;
    let tenant = state.core.scope_of(&p, named)?;
    let group_name = q.group_by.unwrap_or_else(|| "day".into());
    let group_by = GroupBy::parse(&group_name).ok_or_else(|| {
        Error::invalid("invalid_group_by", "group_by must be source, user, model, provider or day")
    })?;
    let time = |v: Option<String>, default: i64| match v {
        None => Ok(default),
        Some(s) => parse_rfc3339(&s)
            .ok_or_else(|| Error::invalid("invalid_time", "from/to must be RFC 3339")),
    };
    let now = now_ms();
    let from = time(q.from, Window::Month.bounds(now).0)?;
    let to = time(q.to, now + 1)?;
    let groups = state.core.usage_report(&p, &tenant, from, to, group_by).await?;
    let total = groups.iter().fold(
        UsageGroup {
            key: "total".into(),
            requests: 0,
            input_tokens: 0,
            output_tokens: 0,
            cost_micros: 0,
        },
        |mut acc, g| {
            acc.requests += g.requests;
            acc.input_tokens += g.input_tokens;
            acc.output_tokens += g.output_tokens;
            acc.cost_micros += g.cost_micros;
            acc
        },
    );
    Ok(Json(UsageReport {
        tenant_id: tenant.to_string(),
        group_by: group_name,
        from: to_rfc3339(from),
        to: to_rfc3339(to),
        groups: groups.iter().map(UsageGroupDto::from).collect(),
        totals: UsageGroupDto::from(&total),
    }))
}
