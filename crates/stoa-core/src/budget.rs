//! Token budgets (F-23) and request rate limits (F-24): the arithmetic and the counter port.
//!
//! A call reserves its worst case (input + maximum output) against every limit that applies
//! (tenant per day, tenant per month, API key per day) before the provider is called, and settles
//! the actual usage after it — or releases the reservation on failure. Reserve checks and adds
//! atomically across all limits, so concurrent calls can never together exceed a budget.
//!
//! [`Counters`] is the port: [`LocalCounters`] keeps counters in process (embedded mode); the
//! cluster issue adds a Redis implementation with the same contract.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use time::{Date, Month, OffsetDateTime, Time};

/// Budget windows, aligned to UTC calendar days and months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Window {
    Day,
    Month,
}

impl Window {
    /// `[start, end)` of the window containing `now_ms`, in Unix milliseconds.
    pub fn bounds(self, now_ms: i64) -> (i64, i64) {
        let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let date = now.date();
        let (start, end) = match self {
            Window::Day => (date, date.next_day().unwrap_or(date)),
            Window::Month => {
                let first = Date::from_calendar_date(date.year(), date.month(), 1).unwrap_or(date);
                let (y, m) = if date.month() == Month::December {
                    (date.year() + 1, Month::January)
                } else {
                    (date.year(), date.month().next())
                };
                (first, Date::from_calendar_date(y, m, 1).unwrap_or(first))
            }
        };
        let ms = |d: Date| {
            (d.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp_nanos() / 1_000_000) as i64
        };
        (ms(start), ms(end))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Window::Day => "daily",
            Window::Month => "monthly",
        }
    }
}

/// Whose budget a counter tracks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Tenant(String),
    ApiKey(String),
}

/// One counter: a scope in one window instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CounterKey {
    pub scope: Scope,
    pub window: Window,
    /// Start of the window instance (ms); a new day or month is a new counter.
    pub start_ms: i64,
}

impl CounterKey {
    pub fn new(scope: Scope, window: Window, now_ms: i64) -> Self {
        Self { scope, window, start_ms: window.bounds(now_ms).0 }
    }
    pub fn end_ms(&self) -> i64 {
        self.window.bounds(self.start_ms).1
    }
    /// A stable string form, for shared counter stores.
    pub fn id(&self) -> String {
        let (kind, id) = match &self.scope {
            Scope::Tenant(t) => ("t", t.as_str()),
            Scope::ApiKey(k) => ("k", k.as_str()),
        };
        format!("budget:{kind}:{id}:{}:{}", self.window.as_str(), self.start_ms)
    }
}

/// A limit to check: the counter and its maximum.
#[derive(Clone, Debug)]
pub struct Limit {
    pub key: CounterKey,
    pub max: u64,
}

/// Tokens held for one call until it settles.
#[derive(Clone, Debug)]
pub struct Reservation {
    pub keys: Vec<CounterKey>,
    pub amount: u64,
    /// The counters' own mark of this reservation, if they keep one (Redis: a key that says
    /// it is held, so a reserve whose answer was lost can be undone exactly once).
    pub hold: Option<String>,
}

/// A refused reservation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exceeded {
    pub key: CounterKey,
    /// Tokens still available in that counter (used + reserved subtracted).
    pub remaining: u64,
    /// Until the window resets.
    pub retry_after: Duration,
}

/// Why [`Counters::hit_rate`] refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateRefusal {
    /// Over the limit; a token is back after this long.
    Limited(Duration),
    /// The counters cannot be reached (the detail is logged where it happened): fail closed,
    /// and say so, not "rate limited".
    Unavailable(String),
}

impl RateRefusal {
    /// The refusal as callers see it: 429 `rate_limited`, or 503 `budget_unavailable`.
    pub fn into_error(self, per_minute: u64) -> crate::Error {
        match self {
            RateRefusal::Limited(wait) => crate::Error::Limited {
                code: "rate_limited",
                message: format!("more than {per_minute} requests per minute").into(),
                retry_after: wait,
                remaining: None,
            },
            RateRefusal::Unavailable(_) => counters_unavailable(),
        }
    }
}

/// 503 `budget_unavailable`: budgets and rate limits fail closed when their counters cannot be
/// reached.
pub(crate) fn counters_unavailable() -> crate::Error {
    crate::Error::Unavailable {
        code: "budget_unavailable",
        message: "budget counters are unavailable".into(),
    }
}

#[derive(Debug)]
pub enum ReserveError {
    Exceeded(Exceeded),
    /// These counters are not loaded yet: seed them with the usage already recorded in the
    /// window ([`Counters::seed`]) and try again.
    NeedsBaseline(Vec<CounterKey>),
    Unavailable(String),
}

/// Budget and rate-limit counters.
#[async_trait]
pub trait Counters: Send + Sync + 'static {
    /// Atomically: if every limit has room for `amount`, hold it in all of them.
    async fn reserve(
        &self,
        limits: &[Limit],
        amount: u64,
        now_ms: i64,
    ) -> Result<Reservation, ReserveError>;
    /// Replaces the held amount by the actual usage.
    async fn settle(&self, reservation: &Reservation, actual: u64);
    /// Gives the held amount back (the call failed before using anything).
    async fn release(&self, reservation: &Reservation);
    /// Sets a counter's used amount unless it is already loaded (first use in a window).
    async fn seed(&self, key: &CounterKey, used: u64);
    /// Tokens used plus reserved in a counter, if loaded.
    async fn current(&self, key: &CounterKey) -> Option<u64>;
    /// Rate limit: one request against `per_minute` for `key`; refused when over, or when the
    /// counters cannot be reached.
    async fn hit_rate(&self, key: &str, per_minute: u64, now_ms: i64) -> Result<(), RateRefusal>;
    /// For `/readyz`: whether the counters can be reached (`"local"` counters always can).
    async fn ping(&self) -> Result<&'static str, String> {
        Ok("local")
    }
}

#[derive(Default, Debug)]
struct Counter {
    used: u64,
    reserved: u64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

/// In-process counters (embedded mode). One mutex: reserve is a few map lookups.
#[derive(Default)]
pub struct LocalCounters {
    counters: Mutex<HashMap<CounterKey, Counter>>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl LocalCounters {
    pub fn new() -> Self {
        Self::default()
    }
}

fn retry_after(key: &CounterKey, now_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(key.end_ms() - now_ms).unwrap_or(0).max(1000))
}

#[async_trait]
impl Counters for LocalCounters {
    async fn reserve(
        &self,
        limits: &[Limit],
        amount: u64,
        now_ms: i64,
    ) -> Result<Reservation, ReserveError> {
        let mut map = self.counters.lock();
        let missing: Vec<CounterKey> =
            limits.iter().filter(|l| !map.contains_key(&l.key)).map(|l| l.key.clone()).collect();
        if !missing.is_empty() {
            return Err(ReserveError::NeedsBaseline(missing));
        }
        for l in limits {
            let c = &map[&l.key];
            let held = c.used.saturating_add(c.reserved);
            if held.saturating_add(amount) > l.max {
                return Err(ReserveError::Exceeded(Exceeded {
                    key: l.key.clone(),
                    remaining: l.max.saturating_sub(held),
                    retry_after: retry_after(&l.key, now_ms),
                }));
            }
        }
        for l in limits {
            if let Some(c) = map.get_mut(&l.key) {
                c.reserved = c.reserved.saturating_add(amount);
            }
        }
        // Old windows are dropped lazily so the map does not grow without bound.
        if map.len() > 100_000 {
            map.retain(|k, _| k.end_ms() > now_ms);
        }
        Ok(Reservation { keys: limits.iter().map(|l| l.key.clone()).collect(), amount, hold: None })
    }

    async fn settle(&self, r: &Reservation, actual: u64) {
        let mut map = self.counters.lock();
        for k in &r.keys {
            let c = map.entry(k.clone()).or_default();
            c.reserved = c.reserved.saturating_sub(r.amount);
            c.used = c.used.saturating_add(actual);
        }
    }

    async fn release(&self, r: &Reservation) {
        let mut map = self.counters.lock();
        for k in &r.keys {
            if let Some(c) = map.get_mut(k) {
                c.reserved = c.reserved.saturating_sub(r.amount);
            }
        }
    }

    async fn seed(&self, key: &CounterKey, used: u64) {
        self.counters.lock().entry(key.clone()).or_insert(Counter { used, reserved: 0 });
    }

    async fn current(&self, key: &CounterKey) -> Option<u64> {
        self.counters.lock().get(key).map(|c| c.used.saturating_add(c.reserved))
    }

    /// A token bucket of `per_minute` capacity refilled continuously.
    async fn hit_rate(&self, key: &str, per_minute: u64, now_ms: i64) -> Result<(), RateRefusal> {
        if per_minute == 0 {
            return Err(RateRefusal::Limited(Duration::from_secs(60)));
        }
        let capacity = per_minute as f64;
        let per_ms = capacity / 60_000.0;
        let mut buckets = self.buckets.lock();
        let b = buckets.entry(key.to_owned()).or_insert(Bucket { tokens: capacity, at_ms: now_ms });
        let elapsed = (now_ms - b.at_ms).max(0) as f64;
        b.tokens = (b.tokens + elapsed * per_ms).min(capacity);
        b.at_ms = now_ms;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait_ms = ((1.0 - b.tokens) / per_ms).ceil() as u64;
            Err(RateRefusal::Limited(Duration::from_millis(wait_ms.max(1))))
        }
    }
}

#[cfg(test)]
mod tests;
