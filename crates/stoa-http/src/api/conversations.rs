//! The chat agent's API (F-50, F-51): conversations and messages, answered as SSE
//! (`Accept: text/event-stream`) or JSON.

use std::convert::Infallible;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use stoa_core::chat::agent::{ChatReply, ConversationView, MessageView};
use stoa_core::clock::to_rfc3339;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, Caller, NamedTenant};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateConversation {
    title: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConversationDto {
    id: String,
    title: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<&ConversationView> for ConversationDto {
    fn from(c: &ConversationView) -> Self {
        Self {
            id: c.id.clone(),
            title: c.title.clone(),
            created_at: to_rfc3339(c.created_at),
            updated_at: to_rfc3339(c.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConversationList {
    data: Vec<ConversationDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MessageDto {
    id: String,
    role: String,
    content: String,
    source: String,
    /// `ok`, or `partial` when the answer was cut off.
    status: String,
    created_at: String,
}

impl From<&MessageView> for MessageDto {
    fn from(m: &MessageView) -> Self {
        Self {
            id: m.id.clone(),
            role: m.role.clone(),
            content: m.content.clone(),
            source: m.source.clone(),
            status: m.status.clone(),
            created_at: to_rfc3339(m.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConversationDetail {
    #[serde(flatten)]
    conversation: ConversationDto,
    messages: Vec<MessageDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PostMessage {
    content: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AnswerMessage {
    id: String,
    role: String,
    content: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AnswerUsage {
    input_tokens: u64,
    output_tokens: u64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Answer {
    message: AnswerMessage,
    usage: AnswerUsage,
    degraded: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Deleted {
    deleted: u64,
}

#[utoipa::path(post, path = "/v1/chat/conversations", tag = "chat", security(("bearer" = [])),
    request_body = CreateConversation,
    responses((status = 201, body = ConversationDto), (status = 503, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
    AppJson(body): AppJson<CreateConversation>,
) -> Result<(StatusCode, Json<ConversationDto>), ApiError> {
    let c = state.core.create_conversation(&p, named, body.title).await?;
    Ok((StatusCode::CREATED, Json(ConversationDto::from(&c))))
}

/// The caller's own conversations, most recent first.
#[utoipa::path(get, path = "/v1/chat/conversations", tag = "chat", security(("bearer" = [])),
    responses((status = 200, body = ConversationList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
) -> Result<Json<ConversationList>, ApiError> {
    let list = state.core.list_conversations(&p, named).await?;
    Ok(Json(ConversationList { data: list.iter().map(ConversationDto::from).collect() }))
}

#[utoipa::path(get, path = "/v1/chat/conversations/{id}", tag = "chat", security(("bearer" = [])),
    params(("id" = String, Path, description = "conversation id")),
    responses((status = 200, body = ConversationDetail), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
    Path(id): Path<String>,
) -> Result<Json<ConversationDetail>, ApiError> {
    let (c, messages) = state.core.get_conversation(&p, named, &id).await?;
    Ok(Json(ConversationDetail {
        conversation: ConversationDto::from(&c),
        messages: messages.iter().map(MessageDto::from).collect(),
    }))
}

/// Hard delete.
#[utoipa::path(delete, path = "/v1/chat/conversations/{id}", tag = "chat", security(("bearer" = [])),
    params(("id" = String, Path, description = "conversation id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.core.delete_conversation(&p, named, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Hard delete of every conversation of a user (the user, or a tenant-admin).
#[utoipa::path(delete, path = "/v1/users/{id}/conversations", tag = "chat", security(("bearer" = [])),
    params(("id" = String, Path, description = "the user's subject")),
    responses((status = 200, body = Deleted), (status = 403, body = ErrorBody)))]
pub(crate) async fn delete_user(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
    Path(user): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    let deleted = state.core.delete_user_conversations(&p, named, &user).await?;
    Ok(Json(Deleted { deleted }))
}

/// Post a message; the agent answers as SSE (`message_start`, `delta`, `tool_call`,
/// `tool_result`, `message_end`, `error`) when the client accepts `text/event-stream`, else JSON.
#[utoipa::path(post, path = "/v1/chat/conversations/{id}/messages", tag = "chat", security(("bearer" = [])),
    params(("id" = String, Path, description = "conversation id"),
           ("X-Chat-Source" = String, Header, description = "console or portal")),
    request_body = PostMessage,
    responses((status = 200, body = Answer), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn post_message(
    State(state): State<AppState>,
    Caller(p): Caller,
    NamedTenant(named): NamedTenant,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<AppJson<PostMessage>, ApiError>,
) -> Result<Response, ApiError> {
    let source = headers.get("x-chat-source").and_then(|v| v.to_str().ok());
    let stream = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    let content = match body {
        Ok(AppJson(b)) => b.content,
        // The kill switch and toggles answer before the body's content matters.
        Err(e) => {
            state.core.chat_message_gate(&p, named, source).await?;
            return Err(e);
        }
    };
    match state.core.post_message(&p, named, &id, source, content, stream).await? {
        ChatReply::Json { message_id, content, input_tokens, output_tokens, degraded } => {
            let mut resp = Json(Answer {
                message: AnswerMessage { id: message_id, role: "assistant".into(), content },
                usage: AnswerUsage { input_tokens, output_tokens },
                degraded,
            })
            .into_response();
            if degraded {
                resp.headers_mut().insert("x-stoa-degraded", HeaderValue::from_static("true"));
            }
            Ok(resp)
        }
        ChatReply::Stream(frames) => {
            let body = Body::from_stream(frames.map(Ok::<_, Infallible>));
            Ok((
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")],
                body,
            )
                .into_response())
        }
    }
}
