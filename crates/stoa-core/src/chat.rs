//! The chat agent (F-50..F-57): conversations scoped to tenant and user, messages answered
//! through the same LLM pipeline as the proxy (purpose `chat`, source console or portal), with
//! an agent loop that runs platform tools under the caller's identity.
//!
//! Content at rest — message text and titles — is sealed with AES-256-GCM under a per-tenant
//! data key, itself wrapped by the master key (`crypto.rs`); deleting the tenant deletes the
//! wrapped key, so backups of its content become unreadable. The provider receives the
//! platform system prompt and the conversation's messages only: no tenant id, user id or email.

pub mod agent;
pub mod crypto;
pub mod tools;

/// A stored conversation (title sealed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    pub id: String,
    pub tenant: String,
    /// Pseudonym of the owner (keyed hash of the subject).
    pub user_ref: String,
    pub title_sealed: Option<Vec<u8>>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A stored message (content sealed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    pub id: String,
    pub conversation_id: String,
    pub tenant: String,
    /// `user` or `assistant`.
    pub role: String,
    pub content_sealed: Vec<u8>,
    /// `console` or `portal`.
    pub source: String,
    /// `ok`, `partial` (the answer was cut off), `error`.
    pub status: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub created_at: i64,
}

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}
