//! Idempotent bootstrap (F-01, F-03): what a fresh installation needs, created once.
//!
//! Every item reports whether it was created or already existed; running it again changes
//! nothing. The signing key is generated once, sealed under the master key, and read back by
//! every later start (and by every replica), so tokens stay valid across restarts.

use serde_json::Map;

use crate::clock::now_ms;
use crate::error::{Error, Result, StoreError};
use crate::ids::TenantId;
use crate::ports::Store;
use crate::rbac::Role;
use crate::secrets::MasterKey;
use crate::tenant::{Tenant, TenantStatus};

pub const DEFAULT_TENANT: &str = "default";
pub const ADMIN_SUBJECT: &str = "admin";
const SIGNING_KEY: &str = "signing_key";

/// One line of the bootstrap report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub name: String,
    pub created: bool,
}

impl std::fmt::Display for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.created { "created" } else { "already exists" };
        write!(f, "{}: {state}", self.name)
    }
}

/// Creates what is missing and returns the built-in issuer with the report.
pub async fn run(
    store: &dyn Store,
    master: &MasterKey,
) -> Result<(stoa_auth::BuiltinIssuer, Vec<Item>)> {
    let mut items = Vec::new();
    let item = |name: &str, created: bool| Item { name: name.to_owned(), created };

    let aad = format!("secret:{SIGNING_KEY}");
    let created = match store.get_secret(SIGNING_KEY).await? {
        Some(_) => false,
        None => {
            let fresh = stoa_auth::BuiltinIssuer::generate().map_err(Error::internal)?;
            let der = fresh.to_pkcs8_der();
            let sealed = master.seal(&der, aad.as_bytes())?;
            store.put_secret_if_absent(SIGNING_KEY, &sealed).await?
        }
    };
    // Read back whichever key won, so concurrent first starts agree.
    let sealed = store
        .get_secret(SIGNING_KEY)
        .await?
        .ok_or_else(|| Error::internal("signing key missing after bootstrap"))?;
    let der = master.open(&sealed, aad.as_bytes()).map_err(|_| {
        Error::internal(
            "cannot unseal the signing key: the data master key does not match this database",
        )
    })?;
    let issuer = stoa_auth::BuiltinIssuer::from_pkcs8_der(&der).map_err(Error::internal)?;
    items.push(item("token signing key", created));

    let mut roles_created = false;
    for role in Role::ALL {
        roles_created |= store.ensure_role(role.as_str(), role.description()).await?;
    }
    items.push(item("roles", roles_created));

    let now = now_ms();
    let default = Tenant {
        id: TenantId::parse(DEFAULT_TENANT)?,
        name: "Default tenant".into(),
        description: "Created by bootstrap".into(),
        status: TenantStatus::Active,
        settings: Map::new(),
        created_at: now,
        updated_at: now,
    };
    let created = match store.insert_tenant(&default).await {
        Ok(()) => true,
        Err(StoreError::Conflict) => false,
        Err(e) => return Err(e.into()),
    };
    items.push(item("default tenant", created));

    let created = store.ensure_platform_identity(ADMIN_SUBJECT, Role::CpiAdmin.as_str()).await?;
    items.push(item("admin identity", created));
    Ok((issuer, items))
}
