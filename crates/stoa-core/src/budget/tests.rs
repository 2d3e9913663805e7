use std::sync::Arc;

use super::*;

const NOV_23_NOON: i64 = 1_795_435_200_000; // 2026-11-23T12:00:00Z

#[test]
fn windows_align_to_utc_calendar() {
    let (s, e) = Window::Day.bounds(NOV_23_NOON);
    assert_eq!((s, e), (1_795_392_000_000, 1_795_478_400_000));
    let (s, e) = Window::Month.bounds(NOV_23_NOON);
    assert_eq!(crate::clock::to_rfc3339(s), "2026-11-01T00:00:00Z");
    assert_eq!(crate::clock::to_rfc3339(e), "2026-12-01T00:00:00Z");
    let dec = crate::clock::parse_rfc3339("2026-12-31T23:59:59Z").unwrap();
    assert_eq!(crate::clock::to_rfc3339(Window::Month.bounds(dec).1), "2027-01-01T00:00:00Z");
}

fn limit(scope: &str, max: u64) -> Limit {
    Limit { key: CounterKey::new(Scope::Tenant(scope.into()), Window::Day, NOV_23_NOON), max }
}

#[tokio::test]
async fn reserve_settle_release() {
    let c = LocalCounters::new();
    let l = limit("acme", 100);
    assert!(matches!(
        c.reserve(std::slice::from_ref(&l), 10, NOV_23_NOON).await,
        Err(ReserveError::NeedsBaseline(_))
    ));
    c.seed(&l.key, 50).await;
    c.seed(&l.key, 0).await; // already loaded: ignored
    let r = c.reserve(std::slice::from_ref(&l), 40, NOV_23_NOON).await.unwrap();
    assert_eq!(c.current(&l.key).await, Some(90));
    let Err(ReserveError::Exceeded(e)) = c.reserve(std::slice::from_ref(&l), 11, NOV_23_NOON).await
    else {
        panic!()
    };
    assert_eq!(e.remaining, 10);
    assert_eq!(e.retry_after, Duration::from_secs(12 * 3600));
    c.settle(&r, 5).await;
    assert_eq!(c.current(&l.key).await, Some(55));
    let r = c.reserve(std::slice::from_ref(&l), 45, NOV_23_NOON).await.unwrap();
    c.release(&r).await;
    assert_eq!(c.current(&l.key).await, Some(55));
}

#[tokio::test]
async fn all_limits_or_none() {
    let c = LocalCounters::new();
    let (a, b) = (limit("a", 100), limit("b", 10));
    c.seed(&a.key, 0).await;
    c.seed(&b.key, 0).await;
    assert!(c.reserve(&[a.clone(), b.clone()], 20, NOV_23_NOON).await.is_err());
    assert_eq!(c.current(&a.key).await, Some(0), "nothing held when one limit refuses");
}

#[tokio::test]
async fn concurrent_reservations_never_overspend() {
    let c = Arc::new(LocalCounters::new());
    let l = limit("acme", 1_000);
    c.seed(&l.key, 0).await;
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let (c, l) = (c.clone(), l.clone());
        tasks.push(tokio::spawn(async move { c.reserve(&[l], 7, NOV_23_NOON).await.is_ok() }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += u64::from(t.await.unwrap());
    }
    assert_eq!(ok, 1_000 / 7);
}

#[tokio::test]
async fn token_bucket() {
    let c = LocalCounters::new();
    for _ in 0..3 {
        c.hit_rate("t", 3, NOV_23_NOON).await.unwrap();
    }
    let wait = c.hit_rate("t", 3, NOV_23_NOON).await.unwrap_err();
    assert_eq!(wait, RateRefusal::Limited(Duration::from_secs(20)));
    c.hit_rate("t", 3, NOV_23_NOON + 20_000).await.unwrap();
    assert!(c.hit_rate("other", 3, NOV_23_NOON).await.is_ok(), "keys are independent");
}

#[test]
fn rate_refusals_answer_what_happened() {
    // Over the limit: 429 with the wait; counters unreachable: 503, never "rate limited".
    match RateRefusal::Limited(Duration::from_secs(3)).into_error(10) {
        crate::Error::Limited { code, retry_after, .. } => {
            assert_eq!((code, retry_after), ("rate_limited", Duration::from_secs(3)))
        }
        other => panic!("{other:?}"),
    }
    match RateRefusal::Unavailable("redis: timed out".into()).into_error(10) {
        crate::Error::Unavailable { code, message } => {
            assert_eq!(code, "budget_unavailable");
            assert!(!message.contains("redis"), "no internals in the answer: {message}");
        }
        other => panic!("{other:?}"),
    }
}
