//! The audit ledger (F-25, F-80, F-81): every LLM call, refusal, change, rotation and deletion,
//! hash-chained so that an edited, removed or reordered entry is detected.
//!
//! Entries never hold content or keys: ids, a pseudonymous user, token counts, codes. The
//! chain: `hash = SHA-256(prev_hash || canonical(entry))`, where the canonical form is the
//! entry's fields as JSON with sorted keys, `seq` included. One writer task assigns `seq` and
//! hashes in order, and commits batches in one transaction (group commit), so the chain is
//! linear however many requests append at once. An LLM call's pending entry is awaited
//! (fail-closed: no commit, no provider call). When few calls are open and the store can commit
//! without waiting (embedded SQLite, nothing else writing), the pending entry is committed in
//! the request's own thread, and so are the final entry and usage record, together; otherwise
//! they go through the writers' batches. Every other entry is queued.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use crate::TenantId;
use crate::error::{Error, StoreError};
use crate::ports::Store;
use crate::usage::UsageRecord;

/// What happened. `status` is `pending`, `ok`, `error:<class>`, `refused`, `interrupted`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditEvent {
    pub at_ms: i64,
    pub tenant: Option<String>,
    pub user_ref: Option<String>,
    pub action: String,
    pub status: String,
    /// The refusal or error code, when there is one.
    pub code: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub purpose: Option<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_micros: u64,
    pub latency_ms: u64,
    pub fallback: bool,
    pub trace_id: Option<String>,
    /// For a final entry: the `seq` of the pending entry it completes.
    pub refers_to: Option<i64>,
    /// Small structured facts (counts, categories, generation numbers) as JSON; never content.
    pub detail: Option<Value>,
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEntry {
    pub seq: i64,
    pub event: AuditEvent,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

/// The canonical bytes an entry's hash covers.
pub fn canonical(seq: i64, e: &AuditEvent) -> Vec<u8> {
    let v = json!({
        "seq": seq,
        "at_ms": e.at_ms,
        "tenant": e.tenant,
        "user_ref": e.user_ref,
        "action": e.action,
        "status": e.status,
        "code": e.code,
        "provider": e.provider,
        "model": e.model,
        "purpose": e.purpose,
        "input_tokens": e.input_tokens,
        "output_tokens": e.output_tokens,
        "cost_micros": e.cost_micros,
        "latency_ms": e.latency_ms,
        "fallback": e.fallback,
        "trace_id": e.trace_id,
        "refers_to": e.refers_to,
        "detail": e.detail,
    });
    serde_json::to_vec(&v).unwrap_or_default()
}

pub fn chain_hash(prev: &[u8; 32], seq: i64, e: &AuditEvent) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(canonical(seq, e));
    h.finalize().into()
}

/// The first entry's `prev_hash`.
pub const GENESIS: [u8; 32] = [0; 32];

/// The result of walking the chain.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        entries: u64,
    },
    /// The first entry that does not verify, and why.
    Broken {
        seq: i64,
        reason: String,
    },
}

/// Chains `events` onto the head (`seq`, `hash`): what a store writes in one transaction.
pub fn chain(head: (i64, [u8; 32]), events: &[AuditEvent]) -> Vec<LedgerEntry> {
    let (mut seq, mut prev) = head;
    events
        .iter()
        .map(|ev| {
            seq += 1;
            let hash = chain_hash(&prev, seq, ev);
            let entry = LedgerEntry { seq, event: ev.clone(), prev_hash: prev, hash };
            prev = hash;
            entry
        })
        .collect()
}

/// Checks a run of entries that continues a chain ending at (`prev_seq`, `prev_hash`).
pub fn verify_run(
    prev_seq: i64,
    prev_hash: [u8; 32],
    run: &[LedgerEntry],
) -> Result<(i64, [u8; 32]), (i64, String)> {
    let (mut seq, mut prev) = (prev_seq, prev_hash);
    for e in run {
        if e.seq != seq + 1 {
            return Err((
                e.seq,
                format!(
                    "sequence jumps from {seq} to {} (an entry was removed or reordered)",
                    e.seq
                ),
            ));
        }
        if e.prev_hash != prev {
            return Err((e.seq, "its previous-hash does not match the entry before it".into()));
        }
        if chain_hash(&prev, e.seq, &e.event) != e.hash {
            return Err((
                e.seq,
                "its content does not match its hash (the entry was edited)".into(),
            ));
        }
        seq = e.seq;
        prev = e.hash;
    }
    Ok((seq, prev))
}

enum Msg {
    Append(Box<AuditEvent>, Option<oneshot::Sender<Result<i64, String>>>),
    Flush(oneshot::Sender<()>),
}

/// Appends to the ledger through one writer task.
#[derive(Clone)]
pub struct Ledger {
    tx: mpsc::Sender<Msg>,
    store: Arc<dyn Store>,
    /// LLM calls between their pending entry and their final one.
    open_calls: Arc<AtomicUsize>,
}

/// With at most this many calls open (the caller's own included), entries are committed in
/// place when the store can: a call alone gains more from skipping the hand-offs to the writer
/// than the write costs its thread; calls that overlap gain more from group commits.
const QUIET: usize = 4;

/// A call counted as open (see [`Ledger::open_call`]) until this is dropped.
pub struct OpenCall(Arc<AtomicUsize>);

impl Drop for OpenCall {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ledger")
    }
}

const BATCH: usize = 2048;

impl Ledger {
    /// Starts the writer. The store chains each batch onto the head it finds inside its
    /// transaction (under a lock on PostgreSQL), so several writers — replicas, or a CLI
    /// beside the server — keep one linear chain.
    pub async fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        store.audit_head().await?;
        let (tx, mut rx) = mpsc::channel::<Msg>(100_000);
        let writer = store.clone();
        tokio::spawn(async move {
            let store = writer;
            let mut buf = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut buf, BATCH).await > 0 {
                let mut events = Vec::with_capacity(buf.len());
                let mut acks = Vec::new();
                let mut flushes = Vec::new();
                for m in buf.drain(..) {
                    match m {
                        Msg::Append(ev, ack) => {
                            events.push(*ev);
                            acks.push(ack);
                        }
                        Msg::Flush(done) => flushes.push(done),
                    }
                }
                if !events.is_empty() {
                    // One retry: a concurrent writer may have moved the head under us.
                    let mut outcome = store.audit_append(&events).await;
                    if outcome.is_err() {
                        outcome = store.audit_append(&events).await;
                    }
                    match outcome {
                        Ok(entries) => {
                            for (entry, ack) in entries.iter().zip(acks) {
                                if let Some(ack) = ack {
                                    let _ = ack.send(Ok(entry.seq));
                                }
                            }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, entries = events.len(), "ledger write failed");
                            for ack in acks.into_iter().flatten() {
                                let _ = ack.send(Err(e.to_string()));
                            }
                        }
                    }
                }
                for done in flushes {
                    let _ = done.send(());
                }
            }
        });
        Ok(Self { tx, store, open_calls: Arc::default() })
    }

    /// Appends and waits for the commit; the entry's `seq`. Fail-closed callers refuse on error.
    /// Committed in place when the store can do that without waiting (see
    /// `Store::audit_append_now`), else through the writer's next batch.
    pub async fn append(&self, event: AuditEvent) -> Result<i64, Error> {
        if self.quiet()
            && let Some(entry) = self.store.audit_append_now(&event)
        {
            return Ok(entry.seq);
        }
        let unavailable = || Error::Unavailable {
            code: "audit_unavailable",
            message: "the audit ledger cannot be written".into(),
        };
        let (ack, wait) = oneshot::channel();
        self.tx.send(Msg::Append(Box::new(event), Some(ack))).await.map_err(|_| unavailable())?;
        wait.await.map_err(|_| unavailable())?.map_err(|_| unavailable())
    }

    /// A finished call's final entry and usage record in one commit, in place, when the store
    /// can do that without waiting (`Store::record_call_now`); `false`: nothing was written,
    /// and the caller queues both.
    pub fn record_call_now(
        &self,
        fin: &AuditEvent,
        tenant: &TenantId,
        usage: &UsageRecord,
    ) -> bool {
        self.quiet() && self.store.record_call_now(fin, tenant, usage).is_some()
    }

    /// Counts an LLM call as open from before its pending entry until the guard is dropped,
    /// after its final entry; how many are open decides between in-place and batched commits.
    pub fn open_call(&self) -> OpenCall {
        self.open_calls.fetch_add(1, Ordering::Relaxed);
        OpenCall(self.open_calls.clone())
    }

    fn quiet(&self) -> bool {
        self.open_calls.load(Ordering::Relaxed) <= QUIET
    }

    /// Queues an entry without waiting (failures are logged).
    pub async fn record(&self, event: AuditEvent) {
        if self.tx.send(Msg::Append(Box::new(event), None)).await.is_err() {
            tracing::error!("ledger writer stopped; entry lost");
        }
    }

    /// Waits until everything queued before is committed (or failed).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// Filters of `GET /v1/audit`.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub tenant: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub action: Option<String>,
    pub provider: Option<String>,
    /// Entries with `seq` below this (pagination, newest first).
    pub before_seq: Option<i64>,
    pub limit: u32,
}

#[cfg(test)]
mod tests;
