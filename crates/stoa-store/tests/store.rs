//! The storage suite, run against SQLite always and PostgreSQL when `STOA_TEST_DATABASE_URL`
//! is set (each run in its own throwaway database).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::needless_pass_by_value)]

use serde_json::json;
use stoa_core::apikey::ApiKey;
use stoa_core::error::StoreError;
use stoa_core::ports::Store;
use stoa_core::{ApiKeyId, Role, Tenant, TenantId, TenantStatus};
use stoa_store::SqlStore;

fn tenant(id: &str, settings: serde_json::Value) -> Tenant {
    Tenant {
        id: TenantId::parse(id).unwrap(),
        name: format!("Tenant {id}"),
        description: String::new(),
        status: TenantStatus::Active,
        settings: settings.as_object().cloned().unwrap(),
        created_at: 1,
        updated_at: 1,
    }
}

fn key(tenant: &str, seed: u8) -> ApiKey {
    ApiKey {
        id: ApiKeyId::generate(),
        tenant: TenantId::parse(tenant).unwrap(),
        name: format!("key {seed}"),
        role: Role::Devops,
        hash: [seed; 32],
        hint: "abcd".into(),
        purposes: vec!["chat".into()],
        daily_token_budget: Some(1000),
        expires_at: None,
        revoked_at: None,
        created_at: i64::from(seed),
        created_by: "alice".into(),
    }
}

async fn suite(store: &SqlStore) {
    // Migrations are idempotent.
    store.migrate().await.unwrap();
    store.ping().await.unwrap();

    let acme = tenant("acme", json!({"tier": "business"}));
    let globex = tenant("globex", json!({"auth": {"issuer": "https://idp.example/realms/globex"}}));
    store.insert_tenant(&acme).await.unwrap();
    store.insert_tenant(&globex).await.unwrap();
    assert!(matches!(store.insert_tenant(&acme).await, Err(StoreError::Conflict)));

    let got = store.get_tenant(&acme.id).await.unwrap().unwrap();
    assert_eq!(got.name, "Tenant acme");
    assert_eq!(got.settings.get("tier"), Some(&json!("business")));
    assert_eq!(store.list_tenants().await.unwrap().len(), 2);
    let realm = store.tenants_with_issuer("https://idp.example/realms/globex").await.unwrap();
    assert_eq!(realm.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), vec!["globex"]);
    assert!(store.tenants_with_issuer("https://evil.example").await.unwrap().is_empty());

    let mut updated = got.clone();
    updated.status = TenantStatus::Suspended;
    updated.settings.insert("auth".into(), json!({"issuer": "https://idp.example/realms/acme"}));
    assert!(store.update_tenant(&updated).await.unwrap());
    let got = store.get_tenant(&acme.id).await.unwrap().unwrap();
    assert_eq!(got.status, TenantStatus::Suspended);
    assert_eq!(
        store.tenants_with_issuer("https://idp.example/realms/acme").await.unwrap().len(),
        1
    );

    // API keys: scoped by tenant.
    let (ka, kb) = (key("acme", 1), key("globex", 2));
    store.insert_api_key(&acme.id, &ka).await.unwrap();
    store.insert_api_key(&globex.id, &kb).await.unwrap();
    assert!(
        store.insert_api_key(&globex.id, &key("acme", 3)).await.is_err(),
        "write outside scope"
    );
    let listed = store.list_api_keys(&acme.id).await.unwrap();
    assert_eq!(listed.iter().map(|k| &k.id).collect::<Vec<_>>(), vec![&ka.id]);
    let got = store.get_api_key(&acme.id, &ka.id).await.unwrap().unwrap();
    assert_eq!((got.hash, got.role, got.daily_token_budget), (ka.hash, Role::Devops, Some(1000)));
    assert_eq!(got.purposes, vec!["chat".to_owned()]);
    assert!(store.get_api_key(&globex.id, &ka.id).await.unwrap().is_none(), "cross-tenant read");
    assert!(!store.revoke_api_key(&globex.id, &ka.id, 5).await.unwrap(), "cross-tenant revoke");
    assert_eq!(
        store.api_key_tenant_by_hash(&[1; 32]).await.unwrap(),
        Some((acme.id.clone(), ka.id.clone()))
    );
    assert_eq!(store.api_key_tenant_by_hash(&[9; 32]).await.unwrap(), None);
    assert!(store.revoke_api_key(&acme.id, &ka.id, 5).await.unwrap());
    assert!(!store.revoke_api_key(&acme.id, &ka.id, 6).await.unwrap(), "already revoked");
    assert_eq!(store.get_api_key(&acme.id, &ka.id).await.unwrap().unwrap().revoked_at, Some(5));

    // Usage: batch insert, sums (per tenant and per key), grouped reports; scoped by tenant.
    let rec = |at_ms: i64, key: Option<&str>, model: &str, tokens: (u64, u64)| {
        stoa_core::usage::UsageRecord {
            at_ms,
            user_ref: "u1".into(),
            api_key_id: key.map(str::to_owned),
            source: "proxy".into(),
            provider: "openai".into(),
            model: model.into(),
            purpose: "chat".into(),
            input_tokens: tokens.0,
            output_tokens: tokens.1,
            cost_micros: 1_500,
            status: "ok".into(),
            degraded: false,
            unpriced: false,
            latency_ms: 12,
        }
    };
    let day = 86_400_000;
    let records: Vec<_> =
        (0..100).map(|i| rec(10 * day + i, Some("k1"), "gpt-4o-mini", (10, 5))).collect();
    store.insert_usage(&acme.id, &records).await.unwrap();
    store.insert_usage(&acme.id, &[rec(11 * day, None, "gpt-4o", (1, 1))]).await.unwrap();
    store
        .insert_usage(&globex.id, &[rec(10 * day, Some("k1"), "gpt-4o", (1000, 1000))])
        .await
        .unwrap();
    assert_eq!(store.usage_tokens_since(&acme.id, None, 0).await.unwrap(), 1502);
    assert_eq!(store.usage_tokens_since(&acme.id, Some("k1"), 0).await.unwrap(), 1500);
    assert_eq!(store.usage_tokens_since(&acme.id, None, 11 * day).await.unwrap(), 2);
    use stoa_core::usage::GroupBy;
    let by_model = store.usage_report(&acme.id, 0, 12 * day, GroupBy::Model).await.unwrap();
    assert_eq!(
        by_model.iter().map(|g| (g.key.as_str(), g.requests)).collect::<Vec<_>>(),
        vec![("openai/gpt-4o", 1), ("openai/gpt-4o-mini", 100)]
    );
    assert_eq!(by_model[1].cost_micros, 150_000);
    let by_day = store.usage_report(&acme.id, 0, 12 * day, GroupBy::Day).await.unwrap();
    assert_eq!(
        by_day.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
        vec!["1970-01-11", "1970-01-12"]
    );
    let windowed = store.usage_report(&acme.id, 11 * day, 12 * day, GroupBy::Source).await.unwrap();
    assert_eq!((windowed.len(), windowed[0].input_tokens), (1, 1));

    // Deleting a tenant cascades to its keys and their index; the other tenant is untouched.
    assert!(store.delete_tenant(&acme.id).await.unwrap());
    assert!(!store.delete_tenant(&acme.id).await.unwrap());
    assert!(store.get_tenant(&acme.id).await.unwrap().is_none());
    assert!(store.list_api_keys(&acme.id).await.unwrap().is_empty());
    assert_eq!(store.api_key_tenant_by_hash(&[1; 32]).await.unwrap(), None);
    assert_eq!(store.list_api_keys(&globex.id).await.unwrap().len(), 1);
    assert_eq!(store.usage_tokens_since(&acme.id, None, 0).await.unwrap(), 0, "usage cascades");
    assert_eq!(store.usage_tokens_since(&globex.id, None, 0).await.unwrap(), 2000);

    // Platform bootstrap rows are idempotent.
    assert!(store.put_secret_if_absent("s", b"one").await.unwrap());
    assert!(!store.put_secret_if_absent("s", b"two").await.unwrap());
    assert_eq!(store.get_secret("s").await.unwrap().as_deref(), Some(&b"one"[..]));
    assert!(store.get_secret("missing").await.unwrap().is_none());
    assert!(store.ensure_role("viewer", "read only").await.unwrap());
    assert!(!store.ensure_role("viewer", "read only").await.unwrap());
    assert!(store.ensure_platform_identity("admin", "viewer").await.unwrap());
    assert!(!store.ensure_platform_identity("admin", "viewer").await.unwrap());
}

#[tokio::test]
async fn sqlite_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::open_sqlite(&dir.path().join("stoa.db")).await.unwrap();
    store.migrate().await.unwrap();
    suite(&store).await;
    store.close().await;
}

#[tokio::test]
async fn postgres_suite() {
    let Some(db) = test_support::PgDb::create("stoa-store::postgres_suite").await else { return };
    let store = SqlStore::open_postgres(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    suite(&store).await;
    store.close().await;
    db.drop_db().await;
}

/// Row-level security holds even for a query that forgets its tenant filter: connected as an
/// unprivileged role (superusers bypass RLS), rows of other tenants are invisible.
#[tokio::test]
async fn postgres_row_level_security() {
    use sqlx::Connection;
    let Some(db) = test_support::PgDb::create("stoa-store::postgres_row_level_security").await
    else {
        return;
    };
    let store = SqlStore::open_postgres(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    store.insert_tenant(&tenant("acme", json!({}))).await.unwrap();
    store.insert_tenant(&tenant("globex", json!({}))).await.unwrap();
    store.insert_api_key(&TenantId::parse("acme").unwrap(), &key("acme", 1)).await.unwrap();
    store.insert_api_key(&TenantId::parse("globex").unwrap(), &key("globex", 2)).await.unwrap();

    let role = format!("rls_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql(&format!("CREATE ROLE {role} LOGIN; GRANT SELECT ON api_keys TO {role};"))
        .execute(&mut admin)
        .await
        .unwrap();
    // Same server and database, but as the unprivileged role.
    let (scheme, rest) = db.url.split_once("://").unwrap();
    let host_and_db = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let url = format!("{scheme}://{role}@{host_and_db}");
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let unscoped: i64 =
        sqlx::query_scalar("SELECT count(*) FROM api_keys").fetch_one(&mut conn).await.unwrap();
    assert_eq!(unscoped, 0, "no tenant set: nothing visible");
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT set_config('stoa.tenant_id', 'acme', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let tenants: Vec<String> =
        sqlx::query_scalar("SELECT tenant_id FROM api_keys").fetch_all(&mut *tx).await.unwrap();
    assert_eq!(tenants, vec!["acme".to_owned()], "only the scoped tenant's rows");
    tx.rollback().await.unwrap();
    conn.close().await.unwrap();
    sqlx::raw_sql(&format!("REVOKE ALL ON api_keys FROM {role}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    store.close().await;
    db.drop_db().await;
    let mut cleanup =
        sqlx::PgConnection::connect(&std::env::var("STOA_TEST_DATABASE_URL").unwrap())
            .await
            .unwrap();
    let _ = sqlx::raw_sql(&format!("DROP ROLE IF EXISTS {role}")).execute(&mut cleanup).await;
}

/// The ledger: 200 concurrent appends form one linear chain; editing, deleting or reordering an
/// entry makes verification fail at that entry.
async fn ledger_suite(store: &SqlStore) {
    use std::sync::Arc;
    use stoa_core::audit::{AuditEvent, Ledger, Verdict};
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let ledger = Ledger::open(shared.clone()).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..200u64 {
        let l = ledger.clone();
        tasks.push(tokio::spawn(async move {
            let e = AuditEvent {
                at_ms: 1_000 + i as i64,
                tenant: Some("acme".into()),
                action: "llm.call".into(),
                status: "ok".into(),
                output_tokens: i,
                detail: Some(json!({"n": i})),
                ..AuditEvent::default()
            };
            l.append(e).await.unwrap()
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=200).collect::<Vec<i64>>());
    assert_eq!(stoa_core::verify_chain(store).await.unwrap(), Verdict::Intact { entries: 200 });
    // A reopened ledger continues the chain.
    let again = Ledger::open(shared.clone()).await.unwrap();
    assert_eq!(
        again
            .append(AuditEvent { action: "x".into(), status: "ok".into(), ..AuditEvent::default() })
            .await
            .unwrap(),
        201
    );

    let exec = |sql: String| async move { sqlx::query(&sql).execute(store.pool()).await.unwrap() };
    let broken_at = || async { stoa_core::verify_chain(store).await.unwrap() };
    // Rewrites the chain from scratch, as a process that has never appended would.
    let restore = |entries: Vec<AuditEvent>| async move {
        exec("DELETE FROM audit_log".into()).await;
        store.reopened().unwrap().audit_append(&entries).await.unwrap();
    };

    // Each tamper starts from a pristine copy of the chain.
    let pristine = store.audit_scan(0, 1_000).await.unwrap();
    let orig = pristine[49].event.output_tokens;
    exec("UPDATE audit_log SET output_tokens = 999 WHERE seq = 50".into()).await;
    assert!(matches!(broken_at().await, Verdict::Broken { seq: 50, .. }), "edited tokens");
    exec(format!("UPDATE audit_log SET output_tokens = {orig} WHERE seq = 50")).await;
    assert_eq!(
        stoa_core::verify_chain(store).await.unwrap(),
        Verdict::Intact { entries: 201 },
        "undone"
    );

    exec("UPDATE audit_log SET detail = '{\"n\":100000}' WHERE seq = 8".into()).await;
    assert!(matches!(broken_at().await, Verdict::Broken { seq: 8, .. }), "edited detail");

    restore(pristine.iter().map(|e| e.event.clone()).collect()).await;
    exec("DELETE FROM audit_log WHERE seq = 120".into()).await;
    assert!(matches!(broken_at().await, Verdict::Broken { seq: 121, .. }), "removed entry");

    restore(pristine.iter().map(|e| e.event.clone()).collect()).await;
    exec("UPDATE audit_log SET seq = -1 WHERE seq = 10".into()).await;
    exec("UPDATE audit_log SET seq = 10 WHERE seq = 11".into()).await;
    exec("UPDATE audit_log SET seq = 11 WHERE seq = -1".into()).await;
    assert!(matches!(broken_at().await, Verdict::Broken { seq: 10, .. }), "reordered entries");

    restore(pristine.iter().map(|e| e.event.clone()).collect()).await;
    assert_eq!(stoa_core::verify_chain(store).await.unwrap(), Verdict::Intact { entries: 201 });

    // Unfinalized pending entries are found; a final entry that refers to one closes it.
    let pending =
        AuditEvent { action: "llm.call".into(), status: "pending".into(), ..AuditEvent::default() };
    let p1 = again.append(pending.clone()).await.unwrap();
    let p2 = again.append(pending.clone()).await.unwrap();
    again
        .append(AuditEvent { status: "ok".into(), refers_to: Some(p1), ..pending.clone() })
        .await
        .unwrap();
    let open: Vec<i64> =
        store.audit_unfinalized(0, i64::MAX).await.unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(open, vec![p2]);
    assert!(store.audit_unfinalized(p2, i64::MAX).await.unwrap().is_empty(), "after");
    assert!(store.audit_unfinalized(0, p2 - 1).await.unwrap().is_empty(), "up to");
    // The watermark starts at 0 and only rises.
    assert_eq!(store.audit_finalized_through().await.unwrap(), 0);
    store.set_audit_finalized_through(p1).await.unwrap();
    store.set_audit_finalized_through(p1 - 1).await.unwrap();
    assert_eq!(store.audit_finalized_through().await.unwrap(), p1);
}

/// Two writers on one ledger (a server and a CLI beside it, or two replicas): whatever either
/// remembers of the head, the chain stays linear; a writer whose head is stale fails without
/// writing, and its retry lands on the true head.
async fn two_writers(a: &SqlStore, b: &SqlStore) {
    use stoa_core::audit::{AuditEvent, Verdict};
    let ev = |n: u64| AuditEvent {
        action: "x".into(),
        status: "ok".into(),
        output_tokens: n,
        ..AuditEvent::default()
    };
    let before = a.audit_head().await.unwrap().map_or(0, |h| h.0);
    assert_eq!(a.audit_append(&[ev(1), ev(2)]).await.unwrap()[1].seq, before + 2);
    assert_eq!(b.audit_append(&[ev(3)]).await.unwrap()[0].seq, before + 3);
    let second = a.audit_append(&[ev(4)]).await;
    let seq = match second {
        Ok(entries) => entries[0].seq,
        Err(_) => a.audit_append(&[ev(4)]).await.unwrap()[0].seq,
    };
    assert_eq!(seq, before + 4);
    assert_eq!(a.audit_append(&[ev(5)]).await.unwrap()[0].seq, before + 5);
    let n = u64::try_from(before + 5).unwrap();
    assert_eq!(stoa_core::verify_chain(a).await.unwrap(), Verdict::Intact { entries: n });
    let rows = a.audit_scan(before, 100).await.unwrap();
    let tokens: Vec<u64> = rows.iter().map(|e| e.event.output_tokens).collect();
    assert_eq!(tokens, vec![1, 2, 3, 4, 5], "each event exactly once");
}

#[tokio::test]
async fn sqlite_two_writers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stoa.db");
    let a = SqlStore::open_sqlite(&path).await.unwrap();
    a.migrate().await.unwrap();
    let b = SqlStore::open_sqlite(&path).await.unwrap();
    two_writers(&a, &b).await;

    // Rows removed under a writer that remembers the head: its next entries still chain onto
    // the head it wrote, so verification shows the removal instead of a fresh chain hiding it.
    sqlx::query("DELETE FROM audit_log").execute(a.pool()).await.unwrap();
    let after = a
        .audit_append(&[stoa_core::audit::AuditEvent {
            action: "x".into(),
            status: "ok".into(),
            ..Default::default()
        }])
        .await
        .unwrap();
    assert_eq!(after[0].seq, 6);
    assert!(matches!(
        stoa_core::verify_chain(&a).await.unwrap(),
        stoa_core::audit::Verdict::Broken { .. }
    ));
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn postgres_two_writers() {
    let Some(db) = test_support::PgDb::create("stoa-store::postgres_two_writers").await else {
        return;
    };
    let a = SqlStore::open_postgres(&db.url).await.unwrap();
    a.migrate().await.unwrap();
    let b = SqlStore::open_postgres(&db.url).await.unwrap();
    two_writers(&a, &b).await;
    a.close().await;
    b.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::open_sqlite(&dir.path().join("stoa.db")).await.unwrap();
    store.migrate().await.unwrap();
    ledger_suite(&store).await;
    store.close().await;
}

#[tokio::test]
async fn postgres_ledger() {
    let Some(db) = test_support::PgDb::create("stoa-store::postgres_ledger").await else { return };
    let store = SqlStore::open_postgres(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    ledger_suite(&store).await;
    store.close().await;
    db.drop_db().await;
}
