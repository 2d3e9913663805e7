//! Backoff policy: examples and property tests that caps always hold.

use proptest::prelude::*;

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn policy(jitter: Jitter) -> Backoff {
    Backoff {
        base: ms(100),
        max_delay: ms(1000),
        max_attempts: 5,
        max_total_wait: ms(2000),
        jitter,
    }
}

#[test]
fn exponential_with_equal_jitter() {
    let p = policy(Jitter::Equal);
    assert_eq!(p.delay(1, None, 0.0), Some(ms(50)));
    assert_eq!(p.delay(1, None, 1.0), Some(ms(100)));
    assert_eq!(p.delay(2, None, 1.0), Some(ms(200)));
    assert_eq!(p.delay(3, None, 0.0), Some(ms(200)));
    assert_eq!(p.delay(4, None, 1.0), Some(ms(800)));
    assert_eq!(p.delay(5, None, 1.0), None, "5 attempts made");
    assert_eq!(p.delay(0, None, 1.0), None);
}

#[test]
fn full_jitter_and_caps() {
    let p = Backoff { max_attempts: 40, max_total_wait: ms(100_000), ..policy(Jitter::Full) };
    assert_eq!(p.delay(1, None, 0.0), Some(ms(0)));
    assert_eq!(p.delay(30, None, 1.0), Some(ms(1000)), "capped at max_delay");
    assert_eq!(p.delay(39, None, f64::NAN), Some(ms(0)));
}

#[test]
fn retry_after_is_a_floor_or_gives_up() {
    let p = policy(Jitter::Equal);
    assert_eq!(p.delay(1, Some(ms(700)), 0.0), Some(ms(700)));
    assert_eq!(p.delay(1, Some(ms(1000)), 0.0), Some(ms(1000)));
    assert_eq!(p.delay(1, Some(ms(1001)), 0.0), None, "above max_delay");
    // above the remaining total budget
    assert_eq!(p.delay_after(2, ms(1500), Some(ms(600)), 0.0), None);
    assert_eq!(p.delay_after(2, ms(1500), Some(ms(400)), 0.0), Some(ms(400)));
    // exponential part clamped to what remains
    assert_eq!(p.delay_after(4, ms(1900), None, 1.0), Some(ms(100)));
    assert_eq!(p.delay_after(2, ms(2000), None, 1.0), None);
}

#[test]
fn retries_track_total() {
    let mut r = Retries::new(policy(Jitter::Equal));
    let mut total = Duration::ZERO;
    while let Some(d) = r.next_delay(None, 1.0) {
        total += d;
    }
    assert_eq!(r.attempts(), 5);
    assert_eq!(total, ms(100 + 200 + 400 + 800));
    assert_eq!(r.waited(), total);
}

proptest! {
    #[test]
    fn never_exceeds_caps(
        base in 0u64..5_000,
        max_delay in 0u64..10_000,
        max_attempts in 0u32..12,
        max_total in 0u64..30_000,
        full in any::<bool>(),
        steps in proptest::collection::vec((proptest::option::of(0u64..15_000), -0.5f64..1.5), 0..16),
    ) {
        let p = Backoff {
            base: ms(base), max_delay: ms(max_delay), max_attempts,
            max_total_wait: ms(max_total),
            jitter: if full { Jitter::Full } else { Jitter::Equal },
        };
        let mut r = Retries::new(p);
        let mut total = Duration::ZERO;
        let mut granted = 0u32;
        for (ra, j) in steps {
            let ra = ra.map(ms);
            if let Some(d) = r.next_delay(ra, j) {
                granted += 1;
                prop_assert!(d <= p.max_delay);
                if let Some(ra) = ra { prop_assert!(d >= ra, "retry-after honoured"); }
                total += d;
            }
            prop_assert!(total <= p.max_total_wait);
        }
        prop_assert!(granted < max_attempts.max(1));
    }
}
