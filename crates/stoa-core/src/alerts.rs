//! Budget alerts (F-27): when a call's settlement takes a budget across 80 % or 100 %, the
//! tenant's webhook (`settings.notifications.webhook_url`) receives a signed event — once per
//! threshold and window instance (recorded in the store, so across restarts and replicas),
//! retried with backoff, and audited (delivered or not).
//!
//! Signature: `X-Stoa-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
//! with the tenant's `settings.notifications.webhook_secret`.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::audit::{AuditEvent, Ledger};
use crate::budget::{CounterKey, Scope};
use crate::clock::{now_ms, to_rfc3339};
use crate::ids::TenantId;
use crate::ports::Store;
use crate::tenant::Tenant;

pub const THRESHOLDS: [u32; 2] = [80, 100];
const ATTEMPTS: u32 = 5;

/// The thresholds `used` has reached out of `max`, highest last.
pub fn reached(used: u64, max: u64) -> Vec<u32> {
    if max == 0 {
        return THRESHOLDS.to_vec();
    }
    THRESHOLDS
        .into_iter()
        .filter(|t| u128::from(used) * 100 >= u128::from(max) * u128::from(*t))
        .collect()
}

/// `t=…,v1=…` for a body, so receivers can verify origin and freshness.
pub fn signature(secret: &str, unix_secs: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| {
        // HMAC accepts any key length.
        unreachable!()
    });
    mac.update(format!("{unix_secs}.{body}").as_bytes());
    format!("t={unix_secs},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Clone)]
pub struct Alerts {
    store: Arc<dyn Store>,
    ledger: Ledger,
    http: reqwest::Client,
    /// First retry delay (doubles each attempt); short in tests.
    pub base_delay: Duration,
}

impl Alerts {
    pub fn new(store: Arc<dyn Store>, ledger: Ledger, http: reqwest::Client) -> Self {
        Self { store, ledger, http, base_delay: Duration::from_secs(1) }
    }

    /// Called after a settlement (or a refusal that left less than 1 % of a budget): fires each
    /// newly reached threshold once. Delivery runs in the background.
    pub async fn check(&self, tenant: &Tenant, key: &CounterKey, used: u64, max: u64) {
        let Scope::Tenant(_) = key.scope else { return };
        let Some(url) = webhook(tenant) else { return };
        for threshold in reached(used, max) {
            let scope = key.window.as_str();
            match self.store.budget_alert_once(&tenant.id, scope, key.start_ms, threshold).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(tenant = %tenant.id, error = %e, "cannot record a budget alert");
                    continue;
                }
            }
            let body = json!({
                "type": "budget.threshold",
                "tenant_id": tenant.id.as_str(),
                "window": scope,
                "period_start": to_rfc3339(key.start_ms),
                "threshold_percent": threshold,
                "used_tokens": used,
                "budget_tokens": max,
                "at": to_rfc3339(now_ms()),
            });
            let secret = tenant
                .settings
                .get("notifications")
                .and_then(|n| n.get("webhook_secret"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let this = self.clone();
            let (tenant_id, url) = (tenant.id.clone(), url.clone());
            tokio::spawn(async move {
                this.deliver(tenant_id, url, secret, body, threshold, scope).await
            });
        }
    }

    async fn deliver(
        &self,
        tenant: TenantId,
        url: String,
        secret: String,
        body: Value,
        threshold: u32,
        window: &'static str,
    ) {
        let text = body.to_string();
        let mut delivered = false;
        let mut attempts = 0;
        let mut delay = self.base_delay;
        while attempts < ATTEMPTS {
            attempts += 1;
            let sig = signature(&secret, now_ms() / 1000, &text);
            let sent = self
                .http
                .post(&url)
                .header("content-type", "application/json")
                .header("x-stoa-signature", sig)
                .header("x-stoa-event", "budget.threshold")
                .timeout(Duration::from_secs(5))
                .body(text.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => {
                    delivered = true;
                    break;
                }
                Ok(r) => {
                    tracing::info!(tenant = %tenant, status = r.status().as_u16(), attempts, "budget alert not accepted")
                }
                Err(e) => {
                    tracing::info!(tenant = %tenant, error = %e.without_url(), attempts, "budget alert not delivered")
                }
            }
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        self.ledger
            .record(AuditEvent {
                at_ms: now_ms(),
                tenant: Some(tenant.to_string()),
                action: "budget.alert".into(),
                status: if delivered { "ok".into() } else { "error:undelivered".into() },
                detail: Some(
                    json!({"window": window, "threshold_percent": threshold, "attempts": attempts}),
                ),
                ..AuditEvent::default()
            })
            .await;
    }
}

fn webhook(t: &Tenant) -> Option<String> {
    t.settings
        .get("notifications")
        .and_then(|n| n.get("webhook_url"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        assert!(reached(79, 100).is_empty());
        assert_eq!(reached(80, 100), vec![80]);
        assert_eq!(reached(100, 100), vec![80, 100]);
        assert_eq!(reached(5, 0), vec![80, 100]);
        assert_eq!(reached(u64::MAX, u64::MAX), vec![80, 100]);
    }

    #[test]
    fn signatures_are_keyed_and_timestamped() {
        let a = signature("s3cret", 1_700_000_000, "{}");
        assert!(a.starts_with("t=1700000000,v1="));
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(a, signature("other", 1_700_000_000, "{}"));
        assert_ne!(a, signature("s3cret", 1_700_000_001, "{}"));
        assert_ne!(a, signature("s3cret", 1_700_000_000, "{ }"));
    }
}
