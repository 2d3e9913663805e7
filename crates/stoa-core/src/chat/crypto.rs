//! Encryption at rest (F-57): one data key per tenant, wrapped by the master key.
//!
//! The wrapped key lives in `tenant_data_keys` (deleted with the tenant: crypto-shredding).
//! Content is sealed with AES-256-GCM under the data key, bound (AAD) to the row it belongs
//! to, so a sealed value moved to another row does not open.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::secrets::{MasterKey, random_bytes};
use crate::service::Core;

fn wrap_aad(tenant: &TenantId) -> Vec<u8> {
    format!("tenant-data-key:{tenant}").into_bytes()
}

impl Core {
    /// The tenant's data key, created on first use.
    pub(crate) async fn data_key(&self, tenant: &TenantId) -> Result<Arc<MasterKey>> {
        if let Some(k) = self.data_keys.get(tenant) {
            return Ok(k);
        }
        let wrapped = match self.store.tenant_data_key(tenant).await? {
            Some(w) => w,
            None => {
                let fresh = random_bytes::<32>()?;
                let wrapped = self.master.seal(&fresh, &wrap_aad(tenant))?;
                self.store.put_tenant_data_key(tenant, &wrapped).await?;
                // Read back whichever key won a race between two first uses.
                self.store
                    .tenant_data_key(tenant)
                    .await?
                    .ok_or_else(|| Error::internal("tenant data key missing after creation"))?
            }
        };
        let raw = self.master.open(&wrapped, &wrap_aad(tenant))?;
        let key = Arc::new(
            MasterKey::from_bytes(&raw).ok_or_else(|| Error::internal("bad tenant data key"))?,
        );
        self.data_keys.insert(tenant.clone(), key.clone());
        Ok(key)
    }

    pub(crate) async fn seal(
        &self,
        tenant: &TenantId,
        row: &str,
        plaintext: &str,
    ) -> Result<Vec<u8>> {
        self.data_key(tenant).await?.seal(plaintext.as_bytes(), row.as_bytes())
    }

    pub(crate) async fn open(&self, tenant: &TenantId, row: &str, sealed: &[u8]) -> Result<String> {
        let plain = self.data_key(tenant).await?.open(sealed, row.as_bytes())?;
        String::from_utf8(plain.to_vec())
            .map_err(|_| Error::internal("sealed content is not UTF-8"))
    }
}
