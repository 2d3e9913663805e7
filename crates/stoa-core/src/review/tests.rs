use super::*;
use crate::audit::{AuditEvent, GENESIS};

#[allow(clippy::too_many_arguments)]
fn call(
    seq: i64,
    at_ms: i64,
    tenant: &str,
    provider: &str,
    model: &str,
    purpose: &str,
    status: &str,
    cost: u64,
) -> LedgerEntry {
    LedgerEntry {
        seq,
        event: AuditEvent {
            at_ms,
            tenant: Some(tenant.into()),
            action: "llm.call".into(),
            status: status.into(),
            provider: Some(provider.into()),
            model: Some(model.into()),
            purpose: Some(purpose.into()),
            input_tokens: 10,
            output_tokens: 5,
            cost_micros: cost,
            refers_to: Some(seq - 1),
            ..AuditEvent::default()
        },
        prev_hash: GENESIS,
        hash: GENESIS,
    }
}

#[test]
fn months() {
    let (s, e) = month_bounds("2026-11", 0).unwrap();
    assert_eq!(crate::clock::to_rfc3339(s), "2026-11-01T00:00:00Z");
    assert_eq!(crate::clock::to_rfc3339(e), "2026-12-01T00:00:00Z");
    let (s, _) = month_bounds("2026-02", 3).unwrap();
    assert_eq!(crate::clock::to_rfc3339(s), "2025-11-01T00:00:00Z");
    assert!(month_bounds("2026-13", 0).is_none());
    assert!(month_bounds("nov", 0).is_none());
}

#[test]
fn report_totals_spikes_and_billing() {
    let nov = month_bounds("2026-11", 0).unwrap().0 + 1000;
    let aug = month_bounds("2026-08", 0).unwrap().0 + 1000;
    let mut entries = Vec::new();
    let mut seq = 1;
    let mut push = |at, tenant: &str, provider: &str, status: &str, cost| {
        seq += 2;
        entries.push(call(seq, at, tenant, provider, "m", "chat", status, cost));
    };
    for _ in 0..30 {
        push(aug, "acme", "openai", "ok", 100_000);
        push(nov, "acme", "openai", "ok", 500_000);
        push(nov, "globex", "anthropic", "ok", 1_000);
        push(aug, "globex", "anthropic", "ok", 1_000);
    }
    for _ in 0..10 {
        push(nov, "globex", "anthropic", "error:server", 0);
    }
    // A pending entry never counts.
    let mut pending = call(999, nov, "acme", "openai", "m", "chat", "pending", 0);
    pending.event.refers_to = None;
    entries.push(pending);

    let billing = parse_billing_csv("provider,model,input_tokens,output_tokens,cost_usd\nopenai,m,300,150,15.00\nanthropic,,0,0,0.03\n").unwrap();
    let r = monthly_report("2026-11", &entries, Some(&billing), 0.05).unwrap();
    assert_eq!(r.by_tenant["acme"].requests, 30);
    assert_eq!(r.by_tenant["acme"].cost_micros, 15_000_000);
    assert_eq!(r.by_provider["anthropic"].requests, 40);
    assert!((r.by_provider["anthropic"].success_rate() - 0.75).abs() < 1e-9);
    assert!(
        r.anomalies.iter().any(|a| a.starts_with("cost spike: tenant acme")),
        "{:?}",
        r.anomalies
    );
    assert!(
        r.anomalies.iter().any(|a| a.starts_with("success rate: provider anthropic")),
        "{:?}",
        r.anomalies
    );
    let openai = r.reconciliation.iter().find(|x| x.provider == "openai").unwrap();
    assert!(!openai.flagged, "{openai:?}");
    let anthropic = r.reconciliation.iter().find(|x| x.provider == "anthropic").unwrap();
    assert!(!anthropic.flagged, "{anthropic:?}");
    let billing =
        parse_billing_csv("provider,input_tokens,output_tokens,cost_usd\nopenai,0,0,20\n").unwrap();
    let r = monthly_report("2026-11", &entries, Some(&billing), 0.05).unwrap();
    assert!(r.reconciliation.iter().any(|x| x.provider == "openai" && x.flagged));
    assert!(parse_billing_csv("provider,cost\nx,1").is_err());
}

#[test]
fn sweep_groups_and_flags() {
    let day = 86_400_000;
    let t0 = 100 * day;
    let mut entries = Vec::new();
    for i in 0..30 {
        entries.push(call(
            2 * i + 2,
            t0 - (i + 1) * day,
            "acme",
            "openai",
            "gpt-4o-mini",
            "chat",
            "ok",
            10,
        ));
    }
    for i in 0..50 {
        entries.push(call(1000 + 2 * i, t0 + i, "acme", "openai", "gpt-4.1", "chat", "ok", 10));
    }
    entries.push(call(
        2000,
        t0 + 5,
        "globex",
        "openai",
        "gpt-4o-mini",
        "citation-grounding",
        "ok",
        10,
    ));
    entries.push(call(2002, t0 + 5, "globex", "anthropic", "claude", "chat", "ok", 10));
    let s = sweep("openai", t0, t0 + day, &entries);
    assert_eq!(s.groups.len(), 2);
    assert_eq!(s.groups[0].tenant, "acme");
    assert_eq!(s.groups[0].totals.requests, 50);
    assert!(s.anomalies.iter().any(|a| a.contains("model gpt-4.1")), "{:?}", s.anomalies);
    assert!(s.anomalies.iter().any(|a| a.contains("tenant acme: 50 calls")), "{:?}", s.anomalies);
    assert!(
        s.anomalies.iter().any(|a| a.contains("globex: purpose citation-grounding")),
        "{:?}",
        s.anomalies
    );
}
