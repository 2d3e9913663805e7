//! Role-based access control: one table of (role, action). Every handler's core method calls
//! [`allowed`] (through `Core::authorize`); nothing else decides who may do what.

use std::fmt;

/// The four roles of F-15. `CpiAdmin` is a platform role: it comes only from the platform realm.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Devops,
    TenantAdmin,
    CpiAdmin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::CpiAdmin, Role::TenantAdmin, Role::Devops, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CpiAdmin => "cpi-admin",
            Role::TenantAdmin => "tenant-admin",
            Role::Devops => "devops",
            Role::Viewer => "viewer",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn description(self) -> &'static str {
        match self {
            Role::CpiAdmin => "platform administrator: every tenant",
            Role::TenantAdmin => "own tenant: everything",
            Role::Devops => "own tenant: deploy and promote APIs, invoke",
            Role::Viewer => "own tenant: read only",
        }
    }
    pub fn is_platform(self) -> bool {
        self == Role::CpiAdmin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an action does to its tenant: decides the status gate (F-11) and the scope it needs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Reads: allowed while suspended.
    Read,
    /// Control-plane writes: refused while suspended (for tenant roles).
    Write,
    /// Data-plane calls (LLM, tools): refused unless the tenant is active, for every role.
    Invoke,
}

/// Everything a caller can ask for. New endpoints add a variant and a row in [`allowed`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Action {
    TenantCreate,
    TenantList,
    TenantRead,
    /// Name, description, status: platform only.
    TenantUpdate,
    /// Settings of one's own tenant (merged).
    TenantUpdateSettings,
    TenantDelete,
    ApiKeyCreate,
    ApiKeyList,
    ApiKeyRevoke,
    LlmInvoke,
    ChatSettingsRead,
    ChatSettingsWrite,
    UsageRead,
    AuditRead,
    /// Provider key status and reload: platform only.
    KeysManage,
    /// Talk to the chat agent (every role: a viewer's agent gets read-only tools).
    ChatUse,
    /// Delete another user's conversations (GDPR requests).
    ChatAdmin,
    /// Read the tenant's registered APIs and their tools.
    ApiRead,
    /// Register or delete an API (devops and tenant-admin).
    ApiWrite,
}

impl Action {
    pub const ALL: [Action; 19] = [
        Action::TenantCreate,
        Action::TenantList,
        Action::TenantRead,
        Action::TenantUpdate,
        Action::TenantUpdateSettings,
        Action::TenantDelete,
        Action::ApiKeyCreate,
        Action::ApiKeyList,
        Action::ApiKeyRevoke,
        Action::LlmInvoke,
        Action::ChatSettingsRead,
        Action::ChatSettingsWrite,
        Action::UsageRead,
        Action::AuditRead,
        Action::KeysManage,
        Action::ChatUse,
        Action::ChatAdmin,
        Action::ApiRead,
        Action::ApiWrite,
    ];

    pub fn kind(self) -> Kind {
        use Action::*;
        match self {
            TenantList | TenantRead | ApiKeyList | ChatSettingsRead | UsageRead | AuditRead
            | ApiRead => Kind::Read,
            TenantCreate | TenantUpdate | TenantUpdateSettings | TenantDelete | ApiKeyCreate
            | ApiKeyRevoke | ChatSettingsWrite | KeysManage | ChatAdmin | ApiWrite => Kind::Write,
            LlmInvoke | ChatUse => Kind::Invoke,
        }
    }

    pub fn as_str(self) -> &'static str {
        use Action::*;
        match self {
            TenantCreate => "tenant.create",
            TenantList => "tenant.list",
            TenantRead => "tenant.read",
            TenantUpdate => "tenant.update",
            TenantUpdateSettings => "tenant.update_settings",
            TenantDelete => "tenant.delete",
            ApiKeyCreate => "api_key.create",
            ApiKeyList => "api_key.list",
            ApiKeyRevoke => "api_key.revoke",
            LlmInvoke => "llm.invoke",
            ChatSettingsRead => "chat_settings.read",
            ChatSettingsWrite => "chat_settings.write",
            UsageRead => "usage.read",
            AuditRead => "audit.read",
            KeysManage => "keys.manage",
            ChatUse => "chat.use",
            ChatAdmin => "chat.admin",
            ApiRead => "api.read",
            ApiWrite => "api.write",
        }
    }
}

/// The RBAC table. Tenant roles act on their own tenant only; that is checked separately
/// (`Core::authorize`) so that another tenant's resources answer 404, never 403.
pub fn allowed(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    matches!(
        (role, action),
        (CpiAdmin, _)
            | (_, TenantList | TenantRead | ChatSettingsRead | ChatUse | ApiRead)
            | (
                TenantAdmin,
                TenantUpdateSettings
                    | ApiKeyCreate
                    | ApiKeyList
                    | ApiKeyRevoke
                    | ChatSettingsWrite
                    | UsageRead
                    | AuditRead
                    | ChatAdmin
            )
            | (TenantAdmin | Devops, LlmInvoke | ApiWrite)
    )
}

/// OAuth scopes a token may carry to narrow its role (`stoa:read` < `stoa:write` < `stoa:admin`).
/// A token without any `stoa:*` scope is limited by its role alone.
pub fn scopes_allow(scopes: &[String], action: Action) -> bool {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if !scopes.iter().any(|s| s.starts_with("stoa:")) {
        return true;
    }
    match action.kind() {
        Kind::Read => has("stoa:read") || has("stoa:write") || has("stoa:admin"),
        Kind::Write | Kind::Invoke => {
            let platform_write = matches!(
                action,
                Action::TenantCreate | Action::TenantUpdate | Action::TenantDelete
            );
            if platform_write { has("stoa:admin") } else { has("stoa:write") || has("stoa:admin") }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_reads_only() {
        for a in Action::ALL {
            let reads = (a.kind() == Kind::Read
                && !matches!(a, Action::ApiKeyList | Action::UsageRead | Action::AuditRead))
                || a == Action::ChatUse;
            assert_eq!(allowed(Role::Viewer, a), reads, "{a:?}");
        }
    }

    #[test]
    fn roles_parse_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn scopes_narrow() {
        let read = vec!["openid".to_owned(), "stoa:read".to_owned()];
        assert!(scopes_allow(&read, Action::TenantRead));
        assert!(!scopes_allow(&read, Action::ApiKeyCreate));
        assert!(scopes_allow(&["openid".to_owned()], Action::ApiKeyCreate));
        assert!(!scopes_allow(&["stoa:write".to_owned()], Action::TenantDelete));
    }
}
