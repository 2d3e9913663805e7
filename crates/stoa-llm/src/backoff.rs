//! Retry policy for provider rate limits: exponential backoff with jitter, honouring
//! `Retry-After`, capped in attempts, per-delay and total wait. Pure: the caller supplies the
//! jitter (a number in 0..1) and does the sleeping, so this is testable without a clock.

use std::time::Duration;

/// How the random part of a delay is drawn (AWS Architecture Blog, "Exponential Backoff And
/// Jitter").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// `delay = cap × j` (spreads retries the most).
    Full,
    /// `delay = cap/2 + cap/2 × j` (never retries immediately).
    Equal,
}

/// The policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Delay cap of the first retry (doubles each retry).
    pub base: Duration,
    /// No single delay exceeds this; a `Retry-After` above it gives up.
    pub max_delay: Duration,
    /// Total attempts including the first; 1 means never retry.
    pub max_attempts: u32,
    /// Cap on the sum of all delays; a `Retry-After` above what remains gives up.
    pub max_total_wait: Duration,
    /// Jitter mode.
    pub jitter: Jitter,
}

impl Default for Backoff {
    /// 0.5 s base, 8 s max delay, 4 attempts, 20 s total wait, equal jitter.
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_attempts: 4,
            max_total_wait: Duration::from_secs(20),
            jitter: Jitter::Equal,
        }
    }
}

impl Backoff {
    /// The delay before retrying after attempt number `attempt` (1-based: 1 is the first call)
    /// failed, or `None` to give up. Ignores earlier waits; use `delay_after` or `Retries` to
    /// enforce `max_total_wait` across attempts.
    pub fn delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        self.delay_after(attempt, Duration::ZERO, retry_after, jitter)
    }

    /// Like `delay`, with `waited` already spent sleeping in earlier retries.
    pub fn delay_after(
        &self,
        attempt: u32,
        waited: Duration,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        if attempt == 0 || attempt >= self.max_attempts {
            return None;
        }
        let remaining = self.max_total_wait.checked_sub(waited)?;
        let ceiling = self.max_delay.min(remaining);
        if ceiling.is_zero() {
            return None;
        }
        if let Some(ra) = retry_after
            && ra > ceiling
        {
            return None;
        }
        let j = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.0 };
        let exp = 1u32.checked_shl(attempt - 1).unwrap_or(u32::MAX);
        let cap = self.base.saturating_mul(exp).min(ceiling);
        let drawn = match self.jitter {
            Jitter::Full => cap.mul_f64(j),
            Jitter::Equal => cap / 2 + (cap / 2).mul_f64(j),
        };
        let d = drawn.max(retry_after.unwrap_or(Duration::ZERO)).min(ceiling);
        Some(d)
    }
}

/// Retry bookkeeping for one call: counts attempts and total wait.
#[derive(Debug, Clone)]
pub struct Retries {
    policy: Backoff,
    attempt: u32,
    waited: Duration,
}

impl Retries {
    /// Starts before the first attempt.
    pub fn new(policy: Backoff) -> Self {
        Retries { policy, attempt: 0, waited: Duration::ZERO }
    }

    /// Records a failed attempt; returns how long to sleep before the next one, or `None` to
    /// give up.
    pub fn next_delay(&mut self, retry_after: Option<Duration>, jitter: f64) -> Option<Duration> {
        self.attempt += 1;
        let d = self.policy.delay_after(self.attempt, self.waited, retry_after, jitter)?;
        self.waited += d;
        Some(d)
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Total delay handed out so far.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

#[cfg(test)]
mod tests;
