//! Usage records (one per LLM call) and the reports built from them (F-55).
//!
//! Records carry a pseudonymous user reference (a keyed hash of the subject), never the subject
//! itself, and never any content.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::ids::TenantId;
use crate::ports::Store;

/// One LLM call's accounting.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageRecord {
    pub at_ms: i64,
    /// Keyed hash of the caller's subject (hex).
    pub user_ref: String,
    pub api_key_id: Option<String>,
    /// `proxy`, `console` or `portal`.
    pub source: String,
    pub provider: String,
    pub model: String,
    pub purpose: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_micros: u64,
    /// `ok`, `error`, `interrupted`.
    pub status: String,
    pub degraded: bool,
    pub unpriced: bool,
    pub latency_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Source,
    User,
    Model,
    Provider,
    Day,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "source" => Some(Self::Source),
            "user" => Some(Self::User),
            "model" => Some(Self::Model),
            "provider" => Some(Self::Provider),
            "day" => Some(Self::Day),
            _ => None,
        }
    }
}

/// One group of a usage report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageGroup {
    pub key: String,
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_micros: u64,
}

// Records are the common message and are not boxed: one allocation less per call.
#[allow(clippy::large_enum_variant)]
enum Msg {
    Record(TenantId, UsageRecord),
    Flush(oneshot::Sender<()>),
}

/// Writes usage records off the request path, in batches (one multi-row insert per tenant per
/// batch). `flush` waits until everything sent before it is stored; dropping the last handle
/// and awaiting [`UsageWriter::shutdown`] drains the queue.
#[derive(Clone)]
pub struct UsageWriter {
    tx: mpsc::Sender<Msg>,
    task: Arc<parking_lot::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

const BATCH: usize = 512;

impl UsageWriter {
    pub fn spawn(store: Arc<dyn Store>) -> Self {
        let (tx, mut rx) = mpsc::channel::<Msg>(65_536);
        let task = tokio::spawn(async move {
            let mut buf = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut buf, BATCH).await > 0 {
                let mut by_tenant: HashMap<TenantId, Vec<UsageRecord>> = HashMap::new();
                let mut flushes = Vec::new();
                for m in buf.drain(..) {
                    match m {
                        Msg::Record(t, r) => by_tenant.entry(t).or_default().push(r),
                        Msg::Flush(done) => flushes.push(done),
                    }
                }
                for (tenant, records) in by_tenant {
                    if let Err(e) = store.insert_usage(&tenant, &records).await {
                        tracing::error!(tenant = %tenant, records = records.len(), error = %e, "usage records lost");
                    }
                }
                for done in flushes {
                    let _ = done.send(());
                }
            }
        });
        Self { tx, task: Arc::new(parking_lot::Mutex::new(Some(task))) }
    }

    pub async fn record(&self, tenant: TenantId, record: UsageRecord) {
        if self.tx.send(Msg::Record(tenant, record)).await.is_err() {
            tracing::error!("usage writer stopped; record lost");
        }
    }

    /// Waits until every record sent before this call is stored.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Stores what is queued and stops the writer.
    pub async fn shutdown(&self) {
        self.flush().await;
        let task = self.task.lock().take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }
}
