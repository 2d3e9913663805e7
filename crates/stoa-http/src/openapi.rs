//! The OpenAPI 3 document of the control-plane API, generated from the handlers' annotations.
//! `docs/openapi.json` is a checked-in copy; a test fails when it is stale.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::api::{api_keys, apis, audit, chat, conversations, health, tenants};
use crate::dto;
use crate::error;

#[derive(OpenApi)]
#[openapi(
    info(title = "Stoa control plane", description = "Tenants, identity, API keys. Errors are `{\"error\":{\"code\",\"message\"}}`."),
    paths(
        health::healthz, health::readyz, health::jwks, health::whoami,
        tenants::create, tenants::list, tenants::get, tenants::patch, tenants::delete,
        api_keys::create, api_keys::list, api_keys::revoke,
        chat::get_settings, chat::put_settings, chat::usage,
        audit::list, audit::keys, audit::reload,
        conversations::create, conversations::list, conversations::get, conversations::delete,
        conversations::delete_user, conversations::post_message,
        apis::register, apis::list, apis::get, apis::delete,
    ),
    components(schemas(
        dto::TenantDto, dto::TenantList, dto::CreateTenant, dto::PatchTenant,
        dto::CreateApiKey, dto::ApiKeyDto, dto::CreatedApiKey, dto::ApiKeyList,
        dto::WhoAmI, dto::Health, error::ErrorBody, error::ErrorDetail,
        dto::ChatSettingsDto, dto::UpdateChatSettings, dto::UsageReport, dto::UsageGroupDto,
        audit::AuditEntryDto, audit::AuditPage, audit::KeyStatusDto, audit::KeyStatusList,
        conversations::CreateConversation, conversations::ConversationDto, conversations::ConversationList,
        conversations::MessageDto, conversations::ConversationDetail, conversations::PostMessage,
        conversations::AnswerMessage, conversations::AnswerUsage, conversations::Answer, conversations::Deleted,
        apis::Credential, apis::RegisterApi, apis::ToolDto, apis::ApiDto, apis::ApiList,
    )),
    modifiers(&Bearer),
)]
struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as pretty JSON (stable output: the checked-in copy is compared byte for byte).
pub fn openapi_json() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = "0.1.0".into();
    doc.to_pretty_json().unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    /// Regenerate with `UPDATE_OPENAPI=1 cargo test -p stoa-http openapi`.
    #[test]
    fn openapi_document_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        let fresh = super::openapi_json() + "\n";
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &fresh).unwrap();
        }
        let stored = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            stored == fresh,
            "docs/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p stoa-http openapi` and commit it"
        );
    }
}
