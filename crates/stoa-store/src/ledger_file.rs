//! SQLite: the ledger's own connection.
//!
//! Every LLM call waits for its pending ledger entry to be committed before the provider is
//! called (F-25), so that commit is on the latency path of every call. Through sqlx it is a
//! round trip to the connection's worker thread, behind the round trip to the ledger writer
//! task: four thread wake-ups for one small `INSERT`. Here the ledger has a connection of its
//! own (rusqlite, on the same bundled SQLite as sqlx), used by plain function calls:
//!
//! - [`LedgerFile::try_append`] commits one entry in the caller's thread when the connection is
//!   free and no other connection holds the file's write lock — a few microseconds, no
//!   hand-off. It never waits: when anything is in the way it declines and the caller queues
//!   the entry for the batched writer instead. At one request at a time the pending entry
//!   is written this way (except while a checkpoint holds writers off); under load the
//!   writer's group commits take over (`stoa_core::audit::Ledger` decides).
//! - [`LedgerFile::append`] is the batched writer's path: it waits for the connection and for
//!   up to 5 s for another process's write lock.
//!
//! Both chain onto the head this connection last wrote (remembered, so removed rows cannot be
//! hidden by a fresh chain); a head moved by another process makes the insert collide on
//! `seq`, nothing is written, the head is forgotten and read again, under `BEGIN IMMEDIATE`,
//! on the next attempt.
//!
//! The connection does not checkpoint the WAL when it commits: a checkpoint copies pages back
//! and syncs the database file (milliseconds), and it would hold the connection, and every
//! pending entry waiting for it, meanwhile. Every [`CHECKPOINT_EVERY`] commits the append
//! reports a checkpoint due, and the store runs one on another connection (see
//! `SqlStore::checkpoint`). sqlx's connections keep checkpointing as SQLite does by default.

use std::path::Path;
use std::sync::{LazyLock, Mutex, PoisonError, TryLockError};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior, params};
use stoa_core::TenantId;
use stoa_core::audit::{self, AuditEvent, LedgerEntry};
use stoa_core::error::StoreError;
use stoa_core::usage::UsageRecord;

use crate::{AUDIT_COLS, AUDIT_NCOLS, LedgerHead, USAGE_COLS, USAGE_NCOLS, to_i64};

/// How long the batched path waits for another connection's write lock.
const BUSY_WAIT: Duration = Duration::from_secs(5);
/// Commits between two WAL checkpoints (`SqlStore::checkpoint`): about SQLite's default of
/// 1 000 WAL frames (a commit writes ~5 pages: the rows and their indexes). Each checkpoint's
/// copy and sync stalls the commits beside it, so many small ones beat few large ones: with
/// passive checkpoints, P1's p99 was 9.8 ms at 8 000 commits, 2.6–3.3 ms at 1 000, 1.5 ms at 200
/// (BENCHMARKS.md).
pub(crate) const CHECKPOINT_EVERY: u32 = 200;

/// The ledger connection. `None` after [`LedgerFile::close`].
pub(crate) struct LedgerFile(Mutex<Option<Writer>>);

struct Writer {
    conn: Connection,
    /// The head this connection last wrote or read; `None`: read it (under the write lock).
    head: Option<LedgerHead>,
    commits_since_checkpoint: u32,
}

impl std::fmt::Debug for LedgerFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LedgerFile")
    }
}

static INSERT: LazyLock<String> = LazyLock::new(|| {
    format!("INSERT INTO audit_log ({AUDIT_COLS}) VALUES ({})", ["?"; AUDIT_NCOLS].join(","))
});
static INSERT_USAGE: LazyLock<String> = LazyLock::new(|| {
    format!("INSERT INTO usage_records ({USAGE_COLS}) VALUES ({})", ["?"; USAGE_NCOLS].join(","))
});

/// A finished call's usage record, written in the same commit as its final ledger entry.
type CallUsage<'a> = (&'a TenantId, &'a UsageRecord);

#[allow(clippy::needless_pass_by_value)] // used as `map_err(store_error)`
fn store_error(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(e.to_string())
        }
        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict,
        _ => StoreError::Other(e.to_string()),
    }
}

impl LedgerFile {
    /// Opens the ledger's connection to the database at `path` (already in WAL mode).
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(store_error)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(store_error)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(store_error)?;
        // A WAL that grew under load is cut back to 64 MiB when it next starts over.
        conn.pragma_update(None, "journal_size_limit", 64 << 20).map_err(store_error)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(store_error)?;
        Ok(Self(Mutex::new(Some(Writer { conn, head: None, commits_since_checkpoint: 0 }))))
    }

    /// The batched writer's append: waits for the connection and the file's write lock. With
    /// the entries: whether a checkpoint is due (see the module docs).
    pub(crate) fn append(
        &self,
        events: &[AuditEvent],
    ) -> Result<(Vec<LedgerEntry>, bool), StoreError> {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let w = guard.as_mut().ok_or_else(closed)?;
        let entries = w.append(events, None, BUSY_WAIT)?;
        Ok((entries, w.checkpoint_due()))
    }

    /// Commits one entry now — with a usage record in the same commit, for a finished call —
    /// in the caller's thread, if that costs no waiting: `None` when the connection is in use,
    /// the file is locked by another writer, or the write fails. Nothing is written then; the
    /// caller queues instead (and the batched path reports a persistent failure). With the
    /// entry: whether a checkpoint is due.
    pub(crate) fn try_append(
        &self,
        event: &AuditEvent,
        usage: Option<CallUsage<'_>>,
    ) -> Option<(LedgerEntry, bool)> {
        let mut guard = match self.0.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return None,
        };
        let w = guard.as_mut()?;
        let entry = w.append(std::slice::from_ref(event), usage, Duration::ZERO).ok()?.pop()?;
        Some((entry, w.checkpoint_due()))
    }

    /// Closes the connection; later appends fail as unavailable.
    pub(crate) fn close(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
    }
}

fn closed() -> StoreError {
    StoreError::Unavailable("the store is closed".into())
}

impl Writer {
    /// True once every [`CHECKPOINT_EVERY`] commits (and then counts again).
    fn checkpoint_due(&mut self) -> bool {
        let due = self.commits_since_checkpoint >= CHECKPOINT_EVERY;
        if due {
            self.commits_since_checkpoint = 0;
        }
        due
    }

    fn append(
        &mut self,
        events: &[AuditEvent],
        usage: Option<CallUsage<'_>>,
        busy: Duration,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        self.conn.busy_timeout(busy).map_err(store_error)?;
        let result = self.write(events, usage);
        self.head = match &result {
            Ok(entries) => entries.last().map(|e| (e.seq, e.hash)).or(self.head),
            Err(_) => None,
        };
        if result.is_ok() {
            self.commits_since_checkpoint += 1;
        }
        result.map_err(store_error)
    }

    fn write(
        &mut self,
        events: &[AuditEvent],
        usage: Option<CallUsage<'_>>,
    ) -> rusqlite::Result<Vec<LedgerEntry>> {
        let sql = INSERT.as_str();
        let remembered = self.head;
        let (tx, head) = match remembered {
            // One row on a known head: a single INSERT is its own transaction.
            Some(head) if events.len() == 1 && usage.is_none() => {
                let entries = audit::chain(head, events);
                insert(&self.conn, sql, &entries[0])?;
                return Ok(entries);
            }
            Some(head) => (self.conn.transaction()?, head),
            // No head: take the write lock before reading it, so another process appending to
            // the same file waits instead of racing.
            None => {
                let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let head = read_head(&tx)?;
                (tx, head)
            }
        };
        let entries = audit::chain(head, events);
        for e in &entries {
            insert(&tx, sql, e)?;
        }
        if let Some((tenant, record)) = usage {
            insert_usage(&tx, tenant, record)?;
        }
        tx.commit()?;
        Ok(entries)
    }
}

fn read_head(conn: &Connection) -> rusqlite::Result<LedgerHead> {
    let row =
        conn.query_row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        });
    match row {
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok((0, audit::GENESIS)),
        Err(e) => Err(e),
        Ok((seq, hash)) => {
            let hash = hash.as_slice().try_into().map_err(|_| {
                rusqlite::Error::InvalidColumnType(1, "hash".into(), rusqlite::types::Type::Blob)
            })?;
            Ok((seq, hash))
        }
    }
}

fn insert_usage(conn: &Connection, tenant: &TenantId, r: &UsageRecord) -> rusqlite::Result<()> {
    conn.prepare_cached(INSERT_USAGE.as_str())?.execute(params![
        tenant.as_str(),
        r.at_ms,
        r.user_ref,
        r.api_key_id,
        r.source,
        r.provider,
        r.model,
        r.purpose,
        to_i64(r.input_tokens),
        to_i64(r.output_tokens),
        to_i64(r.cost_micros),
        r.status,
        i64::from(r.degraded),
        i64::from(r.unpriced),
        to_i64(r.latency_ms),
    ])?;
    Ok(())
}

fn insert(conn: &Connection, sql: &str, e: &LedgerEntry) -> rusqlite::Result<()> {
    let v = &e.event;
    let detail = v.detail.as_ref().map(ToString::to_string);
    conn.prepare_cached(sql)?.execute(params![
        e.seq,
        v.at_ms,
        v.tenant,
        v.user_ref,
        v.action,
        v.status,
        v.code,
        v.provider,
        v.model,
        v.purpose,
        to_i64(v.input_tokens),
        to_i64(v.output_tokens),
        to_i64(v.cost_micros),
        to_i64(v.latency_ms),
        i64::from(v.fallback),
        v.trace_id,
        v.refers_to,
        detail,
        &e.prev_hash[..],
        &e.hash[..],
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use stoa_core::audit::Verdict;
    use stoa_core::ports::Store;
    use stoa_core::usage::UsageRecord;

    use super::*;
    use crate::SqlStore;

    fn event(n: u64) -> AuditEvent {
        AuditEvent {
            action: "llm.call".into(),
            status: "pending".into(),
            input_tokens: n,
            ..AuditEvent::default()
        }
    }

    async fn store(dir: &tempfile::TempDir) -> SqlStore {
        let s = SqlStore::open_sqlite(&dir.path().join("stoa.db")).await.unwrap();
        s.migrate().await.unwrap();
        s
    }

    fn ledger(s: &SqlStore) -> &LedgerFile {
        s.ledger.as_deref().unwrap()
    }

    #[tokio::test]
    async fn in_place_and_batched_appends_make_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir).await;
        let mut seqs = Vec::new();
        for n in 0..10 {
            if n % 3 == 0 {
                let batch = s.audit_append(&[event(n), event(n + 100)]).await.unwrap();
                seqs.extend(batch.iter().map(|e| e.seq));
            } else {
                seqs.push(s.audit_append_now(&event(n)).unwrap().seq);
            }
        }
        assert_eq!(seqs, (1..=14).collect::<Vec<_>>());
        assert_eq!(stoa_core::verify_chain(&s).await.unwrap(), Verdict::Intact { entries: 14 });
        let stored = s.audit_scan(0, 100).await.unwrap();
        assert_eq!(stored[2].event, event(1), "stored as given");
        s.close().await;
    }

    #[tokio::test]
    async fn in_place_declines_while_the_connection_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir).await;
        let held = ledger(&s).0.lock().unwrap();
        assert!(s.audit_append_now(&event(1)).is_none());
        drop(held);
        assert_eq!(s.audit_append_now(&event(1)).unwrap().seq, 1);
        s.close().await;
    }

    #[tokio::test]
    async fn in_place_declines_while_another_connection_writes() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir).await;
        let other = Connection::open(dir.path().join("stoa.db")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        assert!(s.audit_append_now(&event(1)).is_none(), "no waiting for the write lock");
        other.execute_batch("COMMIT").unwrap();
        assert_eq!(s.audit_append_now(&event(1)).unwrap().seq, 1);
        assert_eq!(s.audit_scan(0, 10).await.unwrap().len(), 1, "nothing else written");
        s.close().await;
    }

    #[tokio::test]
    async fn a_head_moved_by_another_process_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let a = store(&dir).await;
        let b = SqlStore::open_sqlite(&dir.path().join("stoa.db")).await.unwrap();
        assert_eq!(a.audit_append_now(&event(1)).unwrap().seq, 1);
        assert_eq!(b.audit_append_now(&event(2)).unwrap().seq, 2);
        // `a` still remembers seq 1: its insert collides, writes nothing and declines ...
        assert!(a.audit_append_now(&event(3)).is_none());
        // ... and the next attempt chains onto the head it reads.
        assert_eq!(a.audit_append_now(&event(3)).unwrap().seq, 3);
        assert_eq!(a.audit_append(&[event(4)]).await.unwrap()[0].seq, 4);
        assert_eq!(stoa_core::verify_chain(&a).await.unwrap(), Verdict::Intact { entries: 4 });
        a.close().await;
        b.close().await;
    }

    #[tokio::test]
    async fn a_closed_store_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir).await;
        ledger(&s).close();
        assert!(s.audit_append_now(&event(1)).is_none());
        assert!(matches!(s.audit_append(&[event(1)]).await, Err(StoreError::Unavailable(_))));
        s.close().await;
        let reopened = SqlStore::open_sqlite(&dir.path().join("stoa.db")).await.unwrap();
        assert_eq!(reopened.audit_head().await.unwrap(), None);
        reopened.close().await;
    }

    fn usage(tokens: u64) -> UsageRecord {
        UsageRecord {
            at_ms: 1,
            user_ref: "u".into(),
            source: "proxy".into(),
            provider: "openai".into(),
            model: "gpt-4o-mini".into(),
            purpose: "support".into(),
            api_key_id: None,
            input_tokens: tokens,
            output_tokens: 0,
            cost_micros: 0,
            status: "ok".into(),
            degraded: false,
            unpriced: false,
            latency_ms: 1,
        }
    }

    #[tokio::test]
    async fn a_finished_call_is_one_commit_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir).await;
        let t = TenantId::parse("acme").unwrap();
        s.insert_tenant(&stoa_core::Tenant {
            id: t.clone(),
            name: "Acme".into(),
            description: String::new(),
            status: stoa_core::tenant::TenantStatus::Active,
            settings: serde_json::Map::new(),
            created_at: 1,
            updated_at: 1,
        })
        .await
        .unwrap();
        let used = || async { s.usage_tokens_since(&t, None, 0).await.unwrap() };
        let entry = s.record_call_now(&event(1), &t, &usage(7)).unwrap();
        assert_eq!((entry.seq, used().await), (1, 7));

        // Another connection writing: declined, and neither row is written.
        let other = Connection::open(dir.path().join("stoa.db")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        assert!(s.record_call_now(&event(2), &t, &usage(5)).is_none());
        other.execute_batch("COMMIT").unwrap();
        // The usage insert failing rolls the ledger entry back with it.
        other.execute_batch("ALTER TABLE usage_records RENAME TO usage_away").unwrap();
        assert!(s.record_call_now(&event(3), &t, &usage(5)).is_none());
        other.execute_batch("ALTER TABLE usage_away RENAME TO usage_records").unwrap();
        assert_eq!((s.audit_scan(0, 10).await.unwrap().len(), used().await), (1, 7));

        assert_eq!(s.record_call_now(&event(4), &t, &usage(5)).unwrap().seq, 2);
        assert_eq!(used().await, 12);
        assert_eq!(stoa_core::verify_chain(&s).await.unwrap(), Verdict::Intact { entries: 2 });
        s.close().await;
    }

    #[tokio::test]
    async fn ledger_commits_leave_the_checkpoint_to_another_connection() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir).await;
        let l = ledger(&s);
        let due: Vec<u64> = (1..=2 * u64::from(CHECKPOINT_EVERY))
            .filter(|n| match n % 2 {
                0 => l.try_append(&event(*n), None).unwrap().1,
                _ => l.append(&[event(*n)]).unwrap().1,
            })
            .collect();
        let every = u64::from(CHECKPOINT_EVERY);
        assert_eq!(due, vec![every, 2 * every], "due once every {every} commits");
        // Nothing was checkpointed by the ledger: the WAL holds every frame since the start.
        let before = std::fs::metadata(dir.path().join("stoa.db-wal")).unwrap().len();
        s.checkpoint().await;
        let other = Connection::open(dir.path().join("stoa.db")).unwrap();
        let (log, done): (i64, i64) = other
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(1)?, r.get(2)?)))
            .unwrap();
        assert_eq!(log, done, "the checkpoint copied every frame back");
        // (with SQLite's default autocheckpoint it would stay near 1 000 frames of 4 KiB)
        assert!(before > 3 * 4120 * u64::from(CHECKPOINT_EVERY), "WAL of {before} bytes");
        s.close().await;
    }
}
