use super::*;

fn ev(action: &str) -> AuditEvent {
    AuditEvent { at_ms: 1, action: action.into(), status: "ok".into(), ..AuditEvent::default() }
}

fn chain(n: i64) -> Vec<LedgerEntry> {
    let mut prev = GENESIS;
    (1..=n)
        .map(|seq| {
            let event = ev(&format!("a{seq}"));
            let hash = chain_hash(&prev, seq, &event);
            let e = LedgerEntry { seq, event, prev_hash: prev, hash };
            prev = hash;
            e
        })
        .collect()
}

#[test]
fn intact_chain_verifies() {
    let c = chain(5);
    assert_eq!(verify_run(0, GENESIS, &c).unwrap().0, 5);
    // In two runs, as the CLI pages through it.
    let (s, h) = verify_run(0, GENESIS, &c[..2]).unwrap();
    assert!(verify_run(s, h, &c[2..]).is_ok());
}

#[test]
fn edits_removals_and_reorders_are_caught_at_the_entry() {
    let mut c = chain(5);
    c[2].event.output_tokens = 999;
    assert_eq!(verify_run(0, GENESIS, &c).unwrap_err().0, 3);

    let mut c = chain(5);
    c.remove(3);
    assert_eq!(verify_run(0, GENESIS, &c).unwrap_err().0, 5);

    let mut c = chain(5);
    c.swap(1, 2);
    assert_eq!(verify_run(0, GENESIS, &c).unwrap_err().0, 3);

    // Recomputing one entry's hash after an edit still breaks the next link.
    let mut c = chain(5);
    c[1].event.status = "error".into();
    c[1].hash = chain_hash(&c[1].prev_hash, 2, &c[1].event);
    assert_eq!(verify_run(0, GENESIS, &c).unwrap_err().0, 3);
}

#[test]
fn canonical_form_is_stable_and_covers_every_field() {
    let a = ev("x");
    assert_eq!(canonical(1, &a), canonical(1, &a.clone()));
    let mut b = a.clone();
    b.detail = Some(serde_json::json!({"n": 1}));
    assert_ne!(canonical(1, &a), canonical(1, &b));
    assert_ne!(canonical(1, &a), canonical(2, &a));
}
