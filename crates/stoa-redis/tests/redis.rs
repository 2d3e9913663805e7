//! `RedisCounters` against a real Redis (`STOA_TEST_REDIS_URL`, e.g. `redis://127.0.0.1:6379/`):
//! the behaviours of stoa-core's `LocalCounters` tests, exactness under concurrency across two
//! instances (two connection managers, like two replicas), the token bucket compared step by
//! step with `LocalCounters`, and failures (closed port, a server that never answers), which
//! need no Redis. Each test uses its own random key prefix and deletes its keys at the end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use stoa_core::budget::{
    CounterKey, Counters, Limit, LocalCounters, RateRefusal, ReserveError, Scope, Window,
};
use stoa_redis::{ConnectError, RedisCounters, RedisOptions};

const NOV_23_NOON: i64 = 1_795_435_200_000; // 2026-11-23T12:00:00Z
const DAY_MS: i64 = 86_400_000;

struct Ctx {
    url: String,
    prefix: String,
}

impl Ctx {
    fn new(name: &str) -> Option<Ctx> {
        match std::env::var("STOA_TEST_REDIS_URL") {
            Ok(url) if !url.is_empty() => {
                Some(Ctx { url, prefix: format!("stoa-test:{}:", uuid::Uuid::now_v7().simple()) })
            }
            _ => {
                test_support::skip(
                    &format!("stoa-redis::{name}"),
                    "STOA_TEST_REDIS_URL is not set",
                );
                None
            }
        }
    }

    async fn counters(&self) -> RedisCounters {
        RedisCounters::connect(&self.url, &self.prefix).await.unwrap()
    }

    /// Generous timeouts: for tests about atomicity, not latency.
    async fn patient_counters(&self) -> RedisCounters {
        let options = RedisOptions {
            command_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
        };
        RedisCounters::connect_with(&self.url, &self.prefix, options).await.unwrap()
    }

    async fn raw(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }

    /// Deletes every key under the prefix (SCAN + DEL); returns how many there were.
    async fn cleanup(self) -> usize {
        let mut conn = self.raw().await;
        let mut cursor: u64 = 0;
        let mut deleted = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{}*", self.prefix))
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .unwrap();
            if !keys.is_empty() {
                deleted += keys.len();
                let _: i64 = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await.unwrap();
            }
            if next == 0 {
                return deleted;
            }
            cursor = next;
        }
    }
}

fn limit(scope: &str, max: u64) -> Limit {
    Limit { key: CounterKey::new(Scope::Tenant(scope.into()), Window::Day, NOV_23_NOON), max }
}

#[tokio::test]
async fn reserve_settle_release() {
    let Some(ctx) = Ctx::new("reserve_settle_release") else { return };
    let c = ctx.counters().await;
    let l = limit("acme", 100);
    assert!(matches!(
        c.reserve(std::slice::from_ref(&l), 10, NOV_23_NOON).await,
        Err(ReserveError::NeedsBaseline(keys)) if keys == vec![l.key.clone()]
    ));
    assert_eq!(c.current(&l.key).await, None);
    c.seed(&l.key, 50).await;
    c.seed(&l.key, 0).await; // already loaded: ignored
    assert_eq!(c.current(&l.key).await, Some(50));
    let r = c.reserve(std::slice::from_ref(&l), 40, NOV_23_NOON).await.unwrap();
    assert_eq!(r.keys, vec![l.key.clone()]);
    assert_eq!(r.amount, 40);
    assert_eq!(c.current(&l.key).await, Some(90));
    let Err(ReserveError::Exceeded(e)) = c.reserve(std::slice::from_ref(&l), 11, NOV_23_NOON).await
    else {
        panic!()
    };
    assert_eq!(e.key, l.key);
    assert_eq!(e.remaining, 10);
    assert_eq!(e.retry_after, Duration::from_secs(12 * 3600));
    c.settle(&r, 5).await;
    assert_eq!(c.current(&l.key).await, Some(55));
    let r = c.reserve(std::slice::from_ref(&l), 45, NOV_23_NOON).await.unwrap();
    assert_eq!(c.current(&l.key).await, Some(100));
    c.release(&r).await;
    assert_eq!(c.current(&l.key).await, Some(55));
    // Settling twice never drives `reserved` below zero.
    c.settle(&r, 0).await;
    assert_eq!(c.current(&l.key).await, Some(55));
    ctx.cleanup().await;
}

#[tokio::test]
async fn all_limits_or_none() {
    let Some(ctx) = Ctx::new("all_limits_or_none") else { return };
    let c = ctx.counters().await;
    let (a, b, k) = (limit("a", 100), limit("b", 10), limit("k", 1000));
    c.seed(&a.key, 0).await;
    // Only the counters that are not loaded are named, in the order of the limits.
    let Err(ReserveError::NeedsBaseline(missing)) =
        c.reserve(&[a.clone(), b.clone(), k.clone()], 20, NOV_23_NOON).await
    else {
        panic!()
    };
    assert_eq!(missing, vec![b.key.clone(), k.key.clone()]);
    assert_eq!(c.current(&a.key).await, Some(0), "nothing held when a counter is missing");
    c.seed(&b.key, 0).await;
    c.seed(&k.key, 0).await;
    let Err(ReserveError::Exceeded(e)) =
        c.reserve(&[a.clone(), b.clone(), k.clone()], 20, NOV_23_NOON).await
    else {
        panic!()
    };
    assert_eq!((e.key, e.remaining), (b.key.clone(), 10));
    for l in [&a, &b, &k] {
        assert_eq!(c.current(&l.key).await, Some(0), "nothing held when one limit refuses");
    }
    let r = c.reserve(&[a.clone(), b.clone(), k.clone()], 10, NOV_23_NOON).await.unwrap();
    for l in [&a, &b, &k] {
        assert_eq!(c.current(&l.key).await, Some(10));
    }
    c.settle(&r, 3).await;
    for l in [&a, &b, &k] {
        assert_eq!(c.current(&l.key).await, Some(3));
    }
    // No limits: nothing to hold, no round trip.
    let r = c.reserve(&[], 5, NOV_23_NOON).await.unwrap();
    assert!(r.keys.is_empty());
    ctx.cleanup().await;
}

#[tokio::test]
async fn exceeded_reports_remaining_and_window_end() {
    let Some(ctx) = Ctx::new("exceeded_reports_remaining_and_window_end") else { return };
    let c = ctx.counters().await;
    let month = Limit {
        key: CounterKey::new(Scope::ApiKey("key-1".into()), Window::Month, NOV_23_NOON),
        max: 1_000,
    };
    c.seed(&month.key, 1_200).await; // over budget already (the maximum was lowered)
    let Err(ReserveError::Exceeded(e)) =
        c.reserve(std::slice::from_ref(&month), 0, NOV_23_NOON).await
    else {
        panic!()
    };
    assert_eq!(e.remaining, 0);
    // 2026-12-01T00:00:00Z − 2026-11-23T12:00:00Z
    assert_eq!(e.retry_after, Duration::from_secs(7 * 86_400 + 12 * 3600));

    // Half a second before midnight: at least one second.
    let day = limit("late", 10);
    let late = day.key.end_ms() - 500;
    c.seed(&day.key, 10).await;
    let Err(ReserveError::Exceeded(e)) = c.reserve(std::slice::from_ref(&day), 1, late).await
    else {
        panic!()
    };
    assert_eq!((e.remaining, e.retry_after), (0, Duration::from_secs(1)));
    ctx.cleanup().await;
}

#[tokio::test]
async fn counters_expire_after_their_window() {
    let Some(ctx) = Ctx::new("counters_expire_after_their_window") else { return };
    let c = ctx.counters().await;
    let l = limit("ttl", 100);
    c.seed(&l.key, 0).await;
    let mut raw = ctx.raw().await;
    let pttl = |raw: &mut redis::aio::MultiplexedConnection| {
        let mut raw = raw.clone();
        let key = c.counter_key(&l.key);
        async move {
            let ms: i64 = redis::cmd("PTTL").arg(key).query_async(&mut raw).await.unwrap();
            ms
        }
    };
    // Seed: window length + 1 day.
    let ttl = pttl(&mut raw).await;
    assert!(ttl > 2 * DAY_MS - 60_000 && ttl <= 2 * DAY_MS, "{ttl}");
    // Reserve: window end − now + 1 day.
    c.reserve(std::slice::from_ref(&l), 1, NOV_23_NOON).await.unwrap();
    let ttl = pttl(&mut raw).await;
    assert!(ttl > DAY_MS + DAY_MS / 2 - 60_000 && ttl <= DAY_MS + DAY_MS / 2, "{ttl}");
    let fields: Vec<(String, String)> =
        redis::cmd("HGETALL").arg(c.counter_key(&l.key)).query_async(&mut raw).await.unwrap();
    let mut fields = fields;
    fields.sort();
    assert_eq!(fields, vec![("reserved".into(), "1".into()), ("used".into(), "0".into())]);
    ctx.cleanup().await;
}

#[tokio::test]
async fn a_vanished_counter_is_not_recreated_by_settle() {
    let Some(ctx) = Ctx::new("a_vanished_counter_is_not_recreated_by_settle") else { return };
    let c = ctx.counters().await;
    let l = limit("gone", 100);
    c.seed(&l.key, 0).await;
    let r = c.reserve(std::slice::from_ref(&l), 10, NOV_23_NOON).await.unwrap();
    let mut raw = ctx.raw().await;
    let _: i64 = redis::cmd("DEL").arg(c.counter_key(&l.key)).query_async(&mut raw).await.unwrap();
    c.settle(&r, 7).await;
    assert_eq!(c.current(&l.key).await, None);
    assert!(matches!(
        c.reserve(std::slice::from_ref(&l), 10, NOV_23_NOON).await,
        Err(ReserveError::NeedsBaseline(_))
    ));
    ctx.cleanup().await;
}

#[tokio::test]
async fn scripts_are_reloaded_after_a_flush() {
    let Some(ctx) = Ctx::new("scripts_are_reloaded_after_a_flush") else { return };
    let c = ctx.counters().await;
    let l = limit("flush", 100);
    c.seed(&l.key, 0).await;
    let mut raw = ctx.raw().await;
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query_async(&mut raw).await.unwrap();
    c.reserve(std::slice::from_ref(&l), 10, NOV_23_NOON).await.unwrap();
    assert_eq!(c.current(&l.key).await, Some(10));
    ctx.cleanup().await;
}

#[tokio::test]
async fn two_replicas_share_counters() {
    let Some(ctx) = Ctx::new("two_replicas_share_counters") else { return };
    let (a, b) = (ctx.counters().await, ctx.counters().await);
    let l = limit("shared", 100);
    a.seed(&l.key, 30).await;
    b.seed(&l.key, 0).await; // ignored: another replica loaded it
    let r = b.reserve(std::slice::from_ref(&l), 50, NOV_23_NOON).await.unwrap();
    assert_eq!(a.current(&l.key).await, Some(80));
    let Err(ReserveError::Exceeded(e)) = a.reserve(std::slice::from_ref(&l), 21, NOV_23_NOON).await
    else {
        panic!()
    };
    assert_eq!(e.remaining, 20);
    a.settle(&r, 10).await; // settled by the other replica
    assert_eq!(b.current(&l.key).await, Some(40));
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reservations_across_two_replicas_are_exact() {
    let Some(ctx) = Ctx::new("concurrent_reservations_across_two_replicas_are_exact") else {
        return;
    };
    const TASKS: usize = 10_000;
    const FITS: u64 = 3_000;
    const AMOUNT: u64 = 7;
    let replicas = [Arc::new(ctx.patient_counters().await), Arc::new(ctx.patient_counters().await)];
    let day = limit("busy", FITS * AMOUNT + AMOUNT - 1); // room for exactly FITS reservations
    let month = Limit {
        key: CounterKey::new(Scope::Tenant("busy".into()), Window::Month, NOV_23_NOON),
        max: 1_000_000,
    };
    replicas[0].seed(&day.key, 0).await;
    replicas[1].seed(&month.key, 0).await;
    let limits = Arc::new(vec![day.clone(), month.clone()]);
    let mut tasks = Vec::with_capacity(TASKS);
    for i in 0..TASKS {
        let (c, limits) = (replicas[i % 2].clone(), limits.clone());
        tasks.push(tokio::spawn(async move { c.reserve(&limits, AMOUNT, NOV_23_NOON).await }));
    }
    let (mut ok, mut exceeded) = (0u64, 0u64);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(ReserveError::Exceeded(e)) => {
                assert_eq!(e.key, day.key);
                assert!(e.remaining < AMOUNT);
                exceeded += 1;
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, FITS);
    assert_eq!(exceeded, TASKS as u64 - FITS);
    assert_eq!(replicas[0].current(&day.key).await, Some(FITS * AMOUNT));
    assert_eq!(replicas[1].current(&month.key).await, Some(FITS * AMOUNT));
    ctx.cleanup().await;
}

#[tokio::test]
async fn token_bucket() {
    let Some(ctx) = Ctx::new("token_bucket") else { return };
    let c = ctx.counters().await;
    for _ in 0..3 {
        c.hit_rate("t", 3, NOV_23_NOON).await.unwrap();
    }
    let wait = c.hit_rate("t", 3, NOV_23_NOON).await.unwrap_err();
    assert_eq!(wait, RateRefusal::Limited(Duration::from_secs(20)));
    c.hit_rate("t", 3, NOV_23_NOON + 20_000).await.unwrap();
    assert!(c.hit_rate("other", 3, NOV_23_NOON).await.is_ok(), "keys are independent");
    assert_eq!(
        c.hit_rate("zero", 0, NOV_23_NOON).await,
        Err(RateRefusal::Limited(Duration::from_secs(60)))
    );
    ctx.cleanup().await;
}

/// The same sequence of hits (clock jitter, going backwards, changing rates) gives the same
/// answers on Redis as on `LocalCounters`, to the millisecond.
#[tokio::test]
async fn token_bucket_matches_local_counters() {
    let Some(ctx) = Ctx::new("token_bucket_matches_local_counters") else { return };
    let c = ctx.counters().await;
    let local = LocalCounters::new();
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let mut next = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let mut now = NOV_23_NOON;
    let (mut oks, mut errs) = (0, 0);
    for step in 0..2_000 {
        let key = ["a", "b", "c"][(next() % 3) as usize];
        let per_minute = [1, 3, 7, 60, 600, 1_000][(next() % 6) as usize];
        now += match next() % 10 {
            0 => -((next() % 2_000) as i64), // a replica whose clock is a little behind
            1..=5 => 0,
            _ => (next() % 3_000) as i64,
        };
        let (want, got) =
            (local.hit_rate(key, per_minute, now).await, c.hit_rate(key, per_minute, now).await);
        assert_eq!(got, want, "step {step}: {key} {per_minute}/min at {now}");
        if want.is_ok() {
            oks += 1;
        } else {
            errs += 1;
        }
    }
    assert!(oks > 100 && errs > 100, "both outcomes exercised: {oks} ok, {errs} refused");
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_is_shared_across_two_replicas() {
    let Some(ctx) = Ctx::new("rate_limit_is_shared_across_two_replicas") else { return };
    let replicas = [Arc::new(ctx.patient_counters().await), Arc::new(ctx.patient_counters().await)];
    let mut tasks = Vec::new();
    for i in 0..400 {
        let c = replicas[i % 2].clone();
        tasks.push(tokio::spawn(async move { c.hit_rate("rpm:t", 50, NOV_23_NOON).await }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            // An empty bucket refills one token in 60 000 / 50 ms.
            Err(wait) => assert_eq!(wait, RateRefusal::Limited(Duration::from_millis(1_200))),
        }
    }
    assert_eq!(ok, 50);
    // 1.2 s later, one more on either replica, and then none.
    replicas[1].hit_rate("rpm:t", 50, NOV_23_NOON + 1_200).await.unwrap();
    assert!(replicas[0].hit_rate("rpm:t", 50, NOV_23_NOON + 1_200).await.is_err());
    ctx.cleanup().await;
}

// ---- failures: no Redis needed ----

fn assert_fast(started: Instant, bound: Duration) {
    assert!(started.elapsed() < bound, "took {:?}, bound {bound:?}", started.elapsed());
}

async fn assert_fails_closed(c: &RedisCounters, bound: Duration) {
    let l = limit("down", 100);
    let started = Instant::now();
    let Err(ReserveError::Unavailable(msg)) =
        c.reserve(std::slice::from_ref(&l), 1, NOV_23_NOON).await
    else {
        panic!("reserve must fail closed")
    };
    assert_fast(started, bound);
    assert!(msg.starts_with("redis: "), "{msg}");
    assert!(!msg.contains("down") && !msg.contains("budget:"), "no key material: {msg}");

    let started = Instant::now();
    let Err(RateRefusal::Unavailable(msg)) = c.hit_rate("rpm:t", 10, NOV_23_NOON).await else {
        panic!("an unreachable rate limiter must refuse as unavailable, not as limited")
    };
    assert!(msg.starts_with("redis: ") && !msg.contains("rpm:t"), "no key material: {msg}");
    assert_fast(started, bound);

    let started = Instant::now();
    let r = stoa_core::budget::Reservation { keys: vec![l.key.clone()], amount: 1, hold: None };
    c.settle(&r, 1).await;
    c.release(&r).await;
    c.seed(&l.key, 0).await;
    assert_eq!(c.current(&l.key).await, None);
    assert_fast(started, bound * 4);
}

#[tokio::test]
async fn closed_port_fails_cleanly() {
    let url = "redis://:hunter2@127.0.0.1:1/";
    let started = Instant::now();
    let err = RedisCounters::connect(url, "stoa:").await.unwrap_err();
    assert_fast(started, Duration::from_secs(3));
    assert!(matches!(err, ConnectError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "{err}");

    let c = RedisCounters::connect_lazy(url, "stoa:", RedisOptions::default()).unwrap();
    assert!(!format!("{c:?}").contains("hunter2"));
    assert_fails_closed(&c, Duration::from_millis(1_500)).await;
}

/// A TCP relay to Redis that can hold Redis's answers back (commands go through at once): a
/// reserve whose answer is late has run, but the gateway has given up on it.
async fn slow_answers(redis_url: &str, delay: Arc<std::sync::atomic::AtomicU64>) -> String {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let info = redis::Client::open(redis_url).unwrap().get_connection_info().clone();
    let upstream = match info.addr() {
        redis::ConnectionAddr::Tcp(host, port) => format!("{host}:{port}"),
        other => panic!("a TCP Redis URL is needed, not {other:?}"),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(&upstream).await.unwrap();
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            tokio::spawn(async move { tokio::io::copy(&mut cr, &mut sw).await });
            let delay = delay.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n @ 1..) = sr.read(&mut buf).await {
                    let ms = delay.load(Ordering::Relaxed);
                    if ms > 0 {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                    }
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn a_reserve_whose_answer_is_lost_is_undone_once() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let Some(ctx) = Ctx::new("a_reserve_whose_answer_is_lost_is_undone_once") else { return };
    let delay = Arc::new(AtomicU64::new(0));
    let url = slow_answers(&ctx.url, delay.clone()).await;
    let options = RedisOptions {
        command_timeout: Duration::from_millis(200),
        connect_timeout: Duration::from_secs(2),
    };
    let slow = RedisCounters::connect_with(&url, &ctx.prefix, options).await.unwrap();
    let direct = ctx.patient_counters().await;
    let l = limit("acme", 1_000);
    direct.seed(&l.key, 100).await;
    let kept = direct.reserve(std::slice::from_ref(&l), 5, NOV_23_NOON).await.unwrap();
    assert_eq!(direct.current(&l.key).await, Some(105));

    // Redis runs the reserve; its answer comes after the gateway stopped waiting.
    delay.store(700, Ordering::Relaxed);
    assert!(matches!(
        slow.reserve(std::slice::from_ref(&l), 10, NOV_23_NOON).await,
        Err(ReserveError::Unavailable(_))
    ));
    // The undo lands once (its own answer is late too, so it is retried: the retry finds the
    // hold gone and changes nothing), and never touches the reservation that is still held.
    let deadline = Instant::now() + Duration::from_secs(10);
    while direct.current(&l.key).await != Some(105) {
        assert!(Instant::now() < deadline, "the lost reserve was never undone");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(direct.current(&l.key).await, Some(105), "undone exactly once");
    delay.store(0, Ordering::Relaxed);
    direct.settle(&kept, 5).await;
    assert_eq!(direct.current(&l.key).await, Some(105));
    // Settled and undone reservations leave no hold keys behind; only the counter remains.
    assert_eq!(ctx.cleanup().await, 1);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // Accepts connections and reads nothing: like a Redis that hangs.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}/", listener.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let options = RedisOptions {
        command_timeout: Duration::from_millis(300),
        connect_timeout: Duration::from_millis(500),
    };
    let started = Instant::now();
    assert!(matches!(
        RedisCounters::connect_with(&url, "stoa:", options).await,
        Err(ConnectError::Unavailable(_))
    ));
    assert_fast(started, Duration::from_millis(1_500));

    let c = RedisCounters::connect_lazy(&url, "stoa:", options).unwrap();
    assert_fails_closed(&c, Duration::from_millis(1_000)).await;
    held.abort();
}

#[tokio::test]
async fn invalid_url_is_rejected_without_echoing_it() {
    let err = RedisCounters::connect("http://user:hunter2@example", "stoa:").await.unwrap_err();
    assert!(matches!(err, ConnectError::InvalidUrl), "{err:?}");
    assert!(!err.to_string().contains("hunter2"));
}

#[test]
fn connect_lazy_outside_a_runtime_is_an_error_not_a_panic() {
    let err = RedisCounters::connect_lazy("redis://127.0.0.1:1/", "stoa:", RedisOptions::default())
        .unwrap_err();
    assert!(matches!(err, ConnectError::Unavailable(_)));
}

// ---- cost per call ----

/// `cargo test -p stoa-redis --release --test redis -- --ignored --nocapture throughput`
#[tokio::test]
#[ignore = "a measurement, not a check"]
async fn throughput() {
    let Some(ctx) = Ctx::new("throughput") else { return };
    let c = ctx.counters().await;
    let l = limit("bench", u64::MAX);
    let month = Limit {
        key: CounterKey::new(Scope::Tenant("bench".into()), Window::Month, NOV_23_NOON),
        max: u64::MAX,
    };
    let limits = [l.clone(), month.clone()];
    c.seed(&l.key, 0).await;
    c.seed(&month.key, 0).await;
    const N: u32 = 10_000;
    let started = Instant::now();
    for _ in 0..N {
        let r = c.reserve(&limits, 100, NOV_23_NOON).await.unwrap();
        c.settle(&r, 60).await;
    }
    let elapsed = started.elapsed();
    eprintln!(
        "stoa-redis: {N} sequential reserve+settle (2 limits) in {elapsed:?}: {:.0} pairs/s, {:.1} µs per pair",
        f64::from(N) / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / f64::from(N)
    );
    assert_eq!(c.current(&l.key).await, Some(60 * u64::from(N)));

    let h = Instant::now();
    let mut tasks = Vec::new();
    let c = Arc::new(c);
    for _ in 0..N {
        let (c, limits) = (c.clone(), limits.clone());
        tasks.push(tokio::spawn(async move {
            let r = c.reserve(&limits, 100, NOV_23_NOON).await.unwrap();
            c.settle(&r, 60).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = h.elapsed();
    eprintln!(
        "stoa-redis: {N} concurrent reserve+settle (2 limits, one connection manager) in {elapsed:?}: {:.0} pairs/s",
        f64::from(N) / elapsed.as_secs_f64()
    );
    let c = Arc::into_inner(c).unwrap();
    drop(c);
    ctx.cleanup().await;
}
