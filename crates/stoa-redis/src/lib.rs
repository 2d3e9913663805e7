//! Budget and rate-limit counters on Redis: [`RedisCounters`] implements
//! [`stoa_core::budget::Counters`] so that N stateless gateway replicas share budgets and rate
//! limits exactly as one process does with `LocalCounters`.
//!
//! # Contract
//!
//! - Each budget counter is a hash `{prefix}{CounterKey::id()}` with the integer fields `used`
//!   and `reserved`. `reserve` is one Lua script, atomic across all its limits: it answers
//!   `NeedsBaseline` with every counter that does not exist, else `Exceeded` for the first limit
//!   without room (remaining = max − used − reserved, `retry_after` = until the window's end, at
//!   least 1 s), else adds `amount` to `reserved` on all of them. Each reserve sets the counter's
//!   TTL to (window end − now + 1 day), so finished windows expire; `seed` sets it to (window
//!   length + 1 day), an upper bound that needs no clock. A successful reserve also sets a hold
//!   key `{prefix}hold:{random}` (the amount, one hour TTL), named in the [`Reservation`];
//!   settle and release delete it.
//! - `settle` (reserved −= amount saturating at 0, used += actual) and `release` (reserved −=
//!   amount) touch only counters that still exist: a counter that has expired or was flushed is
//!   not recreated, so the next reserve asks for a baseline from the usage records instead of
//!   trusting a partial count. `seed` writes only when the counter does not exist.
//! - `hit_rate` is a token bucket (`{prefix}rate:{key}`, fields `tokens` and `at`) with the
//!   arithmetic of `LocalCounters::hit_rate`: capacity `per_minute`, refilled continuously per
//!   ms, cost 1, `Err(ms until one token)` when empty, `per_minute == 0` → `Err(60 s)`. It uses
//!   the caller's `now_ms`, not the Redis clock, so results are deterministic; replicas agree as
//!   long as their clocks are close (a replica whose clock lags sees no refill until it catches
//!   up: elapsed time is never negative). An idle bucket expires after two minutes, by which
//!   time it would be full anyway.
//! - Amounts travel through Lua numbers (doubles): they are exact below 2^53 tokens. Maxima
//!   above that behave as 2^53 − 1 and larger amounts are always refused.
//! - Redis must keep these keys until they expire (`maxmemory-policy noeviction`, or a policy
//!   that never evicts them): an evicted counter is reseeded from usage records, which do not
//!   include reservations in flight. Keys of one call may live in different hash slots, so this
//!   needs a single Redis (or a primary with replicas), not Redis Cluster.
//!
//! # Failures
//!
//! Every command is bounded by [`RedisOptions::command_timeout`] (500 ms by default), including
//! the wait for a reconnection, so a slow or absent Redis never hangs a request; the
//! [`redis::aio::ConnectionManager`] reconnects by itself in the background.
//!
//! - `reserve` → [`ReserveError::Unavailable`]: the gateway answers 503 (fail closed). A reserve
//!   whose answer did not arrive may still have run; it is undone by a release that acts only
//!   if its hold key exists (so at most once, and never for a reserve that did not happen),
//!   sent on the same connection right after (Redis runs it after the reserve) and retried in
//!   the background for ten seconds. If that fails too, the tokens stay held until the counter
//!   expires: budgets err on the side of refusing, never of overspending.
//! - `hit_rate` → [`RateRefusal::Unavailable`], logged at warn: rate limiting fails closed too
//!   (503 `budget_unavailable`, not 429).
//! - `settle` / `release` / `seed` → logged at error or warn and otherwise ignored (no panic);
//!   the held amount stays until the counter's TTL, and a missing seed is asked for again.
//! - `current` → `None`, logged at warn.
//!
//! Messages name the kind of failure only: never a key, a URL or a Redis reply.

mod broadcast;

use std::time::Duration;

use async_trait::async_trait;
pub use broadcast::{RedisBroadcast, subscribe};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, RedisError, Script, ScriptInvocation};
use stoa_core::budget::{
    CounterKey, Counters, Exceeded, Limit, RateRefusal, Reservation, ReserveError,
};

/// Largest amount a Lua number (a double) holds exactly.
const MAX_EXACT: u64 = (1 << 53) - 1;
/// An amount above any (clamped) maximum: always refused, still exact as a double.
const AMOUNT_CEILING: u64 = 1 << 53;
const DAY_MS: i64 = 86_400_000;
/// How long a reservation's hold key lives: longer than any call (a call settles or releases
/// it), short enough that holds of calls lost with their replica do not pile up.
const HOLD_TTL_MS: u64 = 3_600_000;
/// Attempts to undo a reserve whose answer was lost, a second apart.
const UNDO_ATTEMPTS: u32 = 10;
/// An idle bucket is full after 60 s of the callers' clock; the slack absorbs clock skew.
const BUCKET_TTL_MS: u64 = 120_000;

/// How long to wait for Redis.
#[derive(Clone, Copy, Debug)]
pub struct RedisOptions {
    /// Bound on one command, including any wait for a reconnection (default 500 ms).
    pub command_timeout: Duration,
    /// Bound on [`RedisCounters::connect_with`], and on each connection attempt (default 2 s).
    pub connect_timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            command_timeout: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(2),
        }
    }
}

/// Why [`RedisCounters`] could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL is not a Redis URL (its text is not repeated: it may hold a password).
    #[error("invalid Redis URL")]
    InvalidUrl,
    /// Redis did not answer (refused, timed out, authentication failed, no Tokio runtime...).
    #[error("Redis is unavailable: {0}")]
    Unavailable(String),
}

struct Scripts {
    reserve: Script,
    settle: Script,
    seed: Script,
    hit_rate: Script,
}

impl Scripts {
    fn new() -> Self {
        Self {
            reserve: Script::new(include_str!("reserve.lua")),
            settle: Script::new(include_str!("settle.lua")),
            seed: Script::new(include_str!("seed.lua")),
            hit_rate: Script::new(include_str!("hit_rate.lua")),
        }
    }
}

/// [`Counters`] shared by every replica that uses the same Redis and prefix.
pub struct RedisCounters {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
    scripts: Scripts,
}

impl std::fmt::Debug for RedisCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCounters")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisCounters {
    /// Connects with the default [`RedisOptions`]; see [`RedisCounters::connect_with`].
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, ConnectError> {
        Self::connect_with(url, prefix, RedisOptions::default()).await
    }

    /// Connects to `url` (`redis://[:password@]host:port[/db]`) and loads the scripts, within
    /// `options.connect_timeout`. Keys are namespaced by `prefix` (e.g. `stoa:`). After this,
    /// the connection manager reconnects by itself whenever Redis comes back.
    pub async fn connect_with(
        url: &str,
        prefix: &str,
        options: RedisOptions,
    ) -> Result<Self, ConnectError> {
        let this = Self::connect_lazy(url, prefix, options)?;
        let load = async {
            let mut conn = this.conn.clone();
            for s in [&this.scripts.reserve, &this.scripts.settle, &this.scripts.seed] {
                s.prepare_invoke().load_async(&mut conn).await?;
            }
            this.scripts.hit_rate.prepare_invoke().load_async(&mut conn).await
        };
        match tokio::time::timeout(options.connect_timeout, load).await {
            Ok(Ok(_)) => Ok(this),
            Ok(Err(e)) => Err(ConnectError::Unavailable(describe(&e))),
            Err(_) => Err(ConnectError::Unavailable(format!(
                "redis: no answer within {} ms",
                options.connect_timeout.as_millis()
            ))),
        }
    }

    /// Creates the counters without contacting Redis: the first command connects, and fails
    /// (`Unavailable`) like any other while Redis is away. Must be called inside a Tokio runtime.
    pub fn connect_lazy(
        url: &str,
        prefix: &str,
        options: RedisOptions,
    ) -> Result<Self, ConnectError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConnectError::Unavailable("redis: no Tokio runtime".into()));
        }
        let client = redis::Client::open(url).map_err(|_| ConnectError::InvalidUrl)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.connect_timeout))
            // Commands are bounded here, around the whole call (see `run`).
            .set_response_timeout(None)
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| ConnectError::Unavailable(describe(&e)))?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
            timeout: options.command_timeout,
            scripts: Scripts::new(),
        })
    }

    /// A publisher of cache invalidations sharing this connection.
    pub fn broadcast(&self, channel: impl Into<String>) -> RedisBroadcast {
        RedisBroadcast::new(self.conn.clone(), channel)
    }

    /// The namespace of every key these counters write.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The Redis key of a budget counter.
    pub fn counter_key(&self, key: &CounterKey) -> String {
        format!("{}{}", self.prefix, key.id())
    }

    /// The Redis key of a rate-limit bucket.
    pub fn bucket_key(&self, key: &str) -> String {
        format!("{}rate:{key}", self.prefix)
    }

    /// Runs a script (EVALSHA, loading it on NOSCRIPT) within the command timeout.
    async fn run<T: FromRedisValue>(&self, inv: &ScriptInvocation<'_>) -> Result<T, String> {
        let mut conn = self.conn.clone();
        match tokio::time::timeout(self.timeout, inv.invoke_async(&mut conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(describe(&e)),
            Err(_) => Err(format!("redis: no answer within {} ms", self.timeout.as_millis())),
        }
    }

    /// Takes `amount` back from every counter of `r` and adds `actual` to their use.
    async fn give_back(&self, r: &Reservation, actual: u64, op: &'static str) {
        if r.keys.is_empty() {
            return;
        }
        let mut inv = self.scripts.settle.prepare_invoke();
        for k in &r.keys {
            inv.key(self.counter_key(k));
        }
        inv.arg(r.amount.min(AMOUNT_CEILING)).arg(actual.min(MAX_EXACT));
        match &r.hold {
            Some(hold) => inv.key(hold).arg("1"),
            None => inv.arg("0"),
        };
        if let Err(error) = self.run::<i64>(&inv).await {
            tracing::error!(
                %error,
                op,
                counters = r.keys.len(),
                "budget counters not updated; the held tokens stay until the counters expire"
            );
        }
    }

    /// Undoes a reserve whose answer did not arrive (it may or may not have run): releases it
    /// only if its hold key exists, so at most once and never a reserve that did not happen.
    /// Sent on the same connection as the reserve, so Redis runs it after the reserve if the
    /// reserve was sent at all; retried in the background for a while if Redis is away.
    fn undo_lost_reserve(&self, keys: Vec<String>, hold: String, amount: u64) {
        let (conn, script, timeout) =
            (self.conn.clone(), self.scripts.settle.clone(), self.timeout);
        tokio::spawn(async move {
            let mut inv = script.prepare_invoke();
            for k in &keys {
                inv.key(k);
            }
            inv.key(&hold).arg(amount.min(AMOUNT_CEILING)).arg(0).arg("2");
            for attempt in 0..UNDO_ATTEMPTS {
                let mut c = conn.clone();
                match tokio::time::timeout(timeout, inv.invoke_async::<i64>(&mut c)).await {
                    Ok(Ok(undone)) => {
                        if undone == 1 {
                            tracing::info!("a reserve whose answer was lost has been released");
                        }
                        return;
                    }
                    _ if attempt + 1 < UNDO_ATTEMPTS => {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    _ => tracing::warn!(
                        "a reserve whose answer was lost could not be released; its tokens stay \
                         held until its hold expires"
                    ),
                }
            }
        });
    }
}

/// A failure in a few words, without the server's text (it may quote keys or arguments).
fn describe(e: &RedisError) -> String {
    if e.is_timeout() {
        "redis: timed out".into()
    } else if e.is_connection_refusal() {
        "redis: connection refused".into()
    } else if e.is_connection_dropped() {
        "redis: connection dropped".into()
    } else if e.is_io_error() {
        "redis: I/O error".into()
    } else if let Some(code) = e.code() {
        format!("redis: server error {code}")
    } else {
        format!("redis: {:?} error", e.kind())
    }
}

/// Until the window resets, at least one second (as `LocalCounters`).
fn retry_after(key: &CounterKey, now_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(key.end_ms() - now_ms).unwrap_or(0).max(1000))
}

/// Window end − now + 1 day (never less than a day).
fn counter_ttl_ms(key: &CounterKey, now_ms: i64) -> i64 {
    (key.end_ms() - now_ms).max(0).saturating_add(DAY_MS)
}

fn limit_at(limits: &[Limit], index: i64) -> Option<&Limit> {
    usize::try_from(index).ok()?.checked_sub(1).and_then(|i| limits.get(i))
}

#[async_trait]
impl Counters for RedisCounters {
    async fn ping(&self) -> Result<&'static str, String> {
        let mut conn = self.conn.clone();
        let cmd = redis::cmd("PING");
        match tokio::time::timeout(self.timeout, cmd.query_async::<String>(&mut conn)).await {
            Ok(Ok(_)) => Ok("redis"),
            _ => Err("redis unavailable".into()),
        }
    }

    async fn reserve(
        &self,
        limits: &[Limit],
        amount: u64,
        now_ms: i64,
    ) -> Result<Reservation, ReserveError> {
        if limits.is_empty() {
            return Ok(Reservation { keys: Vec::new(), amount, hold: None });
        }
        let hold = format!("{}hold:{}", self.prefix, stoa_core::trace::random_id::<12>());
        let keys: Vec<String> = limits.iter().map(|l| self.counter_key(&l.key)).collect();
        let mut inv = self.scripts.reserve.prepare_invoke();
        inv.arg(amount.min(AMOUNT_CEILING));
        for (l, k) in limits.iter().zip(&keys) {
            inv.key(k);
            inv.arg(l.max.min(MAX_EXACT)).arg(counter_ttl_ms(&l.key, now_ms));
        }
        inv.key(&hold).arg(HOLD_TTL_MS);
        let reply: Vec<i64> = match self.run(&inv).await {
            Ok(reply) => reply,
            Err(error) => {
                tracing::warn!(%error, "budget reservation refused: counters unavailable");
                self.undo_lost_reserve(keys, hold, amount);
                return Err(ReserveError::Unavailable(error));
            }
        };
        let unexpected = || ReserveError::Unavailable("redis: unexpected reserve reply".into());
        match reply.as_slice() {
            [0] => Ok(Reservation {
                keys: limits.iter().map(|l| l.key.clone()).collect(),
                amount,
                hold: Some(hold),
            }),
            [1, missing @ ..] if !missing.is_empty() => missing
                .iter()
                .map(|&i| limit_at(limits, i).map(|l| l.key.clone()))
                .collect::<Option<Vec<_>>>()
                .map(ReserveError::NeedsBaseline)
                .map_or_else(|| Err(unexpected()), Err),
            [2, i, remaining] => {
                let l = limit_at(limits, *i).ok_or_else(unexpected)?;
                Err(ReserveError::Exceeded(Exceeded {
                    key: l.key.clone(),
                    remaining: u64::try_from(*remaining).unwrap_or(0),
                    retry_after: retry_after(&l.key, now_ms),
                }))
            }
            _ => Err(unexpected()),
        }
    }

    async fn settle(&self, reservation: &Reservation, actual: u64) {
        self.give_back(reservation, actual, "settle").await;
    }

    async fn release(&self, reservation: &Reservation) {
        self.give_back(reservation, 0, "release").await;
    }

    async fn seed(&self, key: &CounterKey, used: u64) {
        let ttl = (key.end_ms() - key.start_ms).max(0).saturating_add(DAY_MS);
        let mut inv = self.scripts.seed.key(self.counter_key(key));
        inv.arg(used.min(MAX_EXACT)).arg(ttl);
        if let Err(error) = self.run::<i64>(&inv).await {
            tracing::warn!(%error, "budget counter not seeded");
        }
    }

    async fn current(&self, key: &CounterKey) -> Option<u64> {
        let mut conn = self.conn.clone();
        let mut cmd = redis::cmd("HMGET");
        cmd.arg(self.counter_key(key)).arg("used").arg("reserved");
        let fields: (Option<u64>, Option<u64>) =
            match tokio::time::timeout(self.timeout, cmd.query_async(&mut conn)).await {
                Ok(Ok(v)) => v,
                Ok(Err(e)) => {
                    tracing::warn!(error = %describe(&e), "budget counter not read");
                    return None;
                }
                Err(_) => {
                    tracing::warn!("budget counter not read: redis timed out");
                    return None;
                }
            };
        match fields {
            (None, None) => None,
            (used, reserved) => Some(used.unwrap_or(0).saturating_add(reserved.unwrap_or(0))),
        }
    }

    async fn hit_rate(&self, key: &str, per_minute: u64, now_ms: i64) -> Result<(), RateRefusal> {
        if per_minute == 0 {
            return Err(RateRefusal::Limited(Duration::from_secs(60)));
        }
        let mut inv = self.scripts.hit_rate.key(self.bucket_key(key));
        inv.arg(per_minute).arg(now_ms).arg(BUCKET_TTL_MS);
        match self.run::<u64>(&inv).await {
            Ok(0) => Ok(()),
            Ok(wait_ms) => Err(RateRefusal::Limited(Duration::from_millis(wait_ms))),
            Err(error) => {
                tracing::warn!(%error, "request refused: rate-limit counters unavailable");
                Err(RateRefusal::Unavailable(error))
            }
        }
    }
}
