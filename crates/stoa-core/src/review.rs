//! Ledger reviews (F-83, F-84): the monthly report with anomalies and billing reconciliation,
//! and the sweep of one provider key's activity in a leak window. Pure functions over ledger
//! entries; the CLI feeds them.
//!
//! Only final entries of LLM calls count (`action = llm.call`, `refers_to` set): their status
//! is `ok`, `error:<class>` or `interrupted`, and they carry tokens and cost.

use std::collections::{BTreeMap, BTreeSet};

use crate::audit::LedgerEntry;

/// Totals of one group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub requests: u64,
    pub ok: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_micros: u64,
}

impl Totals {
    fn add(&mut self, e: &LedgerEntry) {
        let v = &e.event;
        self.requests += 1;
        self.ok += u64::from(v.status == "ok");
        self.input_tokens += v.input_tokens;
        self.output_tokens += v.output_tokens;
        self.cost_micros += v.cost_micros;
    }
    /// Share of calls that succeeded, 0..=1 (1 when there were none).
    pub fn success_rate(&self) -> f64 {
        if self.requests == 0 { 1.0 } else { self.ok as f64 / self.requests as f64 }
    }
}

fn is_call_outcome(e: &LedgerEntry) -> bool {
    e.event.action == "llm.call" && e.event.refers_to.is_some()
}

/// `[start, end)` of a `YYYY-MM` month in Unix ms, and of the `back`-th month before it.
pub fn month_bounds(month: &str, back: u32) -> Option<(i64, i64)> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    if !(1..=12).contains(&m) || month.len() != 7 {
        return None;
    }
    let idx = y * 12 + m as i32 - 1 - back as i32;
    let start = |i: i32| -> Option<i64> {
        let month = time::Month::try_from((i.rem_euclid(12) + 1) as u8).ok()?;
        let d = time::Date::from_calendar_date(i.div_euclid(12), month, 1).ok()?;
        Some(
            (d.with_time(time::Time::MIDNIGHT).assume_utc().unix_timestamp_nanos() / 1_000_000)
                as i64,
        )
    };
    Some((start(idx)?, start(idx + 1)?))
}

/// One row of a provider billing export (CSV columns `provider,model,input_tokens,
/// output_tokens,cost_usd`, header required; `model` may be empty for a provider total).
#[derive(Clone, Debug, PartialEq)]
pub struct BillingRow {
    pub provider: String,
    pub cost_usd: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

pub fn parse_billing_csv(text: &str) -> Result<Vec<BillingRow>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or("empty billing file")?
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or(format!("billing CSV needs a `{name}` column"))
    };
    let (p, i, o, c) =
        (col("provider")?, col("input_tokens")?, col("output_tokens")?, col("cost_usd")?);
    let mut rows = Vec::new();
    for (n, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let get = |k: usize| {
            f.get(k).copied().ok_or(format!("billing CSV line {}: too few columns", n + 2))
        };
        let num = |k: usize| -> Result<u64, String> {
            get(k)?.parse().map_err(|_| format!("billing CSV line {}: not a number", n + 2))
        };
        rows.push(BillingRow {
            provider: get(p)?.to_owned(),
            input_tokens: num(i)?,
            output_tokens: num(o)?,
            cost_usd: get(c)?
                .parse()
                .map_err(|_| format!("billing CSV line {}: cost_usd is not a number", n + 2))?,
        });
    }
    Ok(rows)
}

#[derive(Debug, PartialEq)]
pub struct Reconciliation {
    pub provider: String,
    pub ledger_cost_usd: f64,
    pub billed_cost_usd: f64,
    /// (billed - ledger) / billed.
    pub divergence: f64,
    pub flagged: bool,
}

#[derive(Debug, PartialEq)]
pub struct Report {
    pub month: String,
    pub by_provider: BTreeMap<String, Totals>,
    pub by_model: BTreeMap<String, Totals>,
    pub by_tenant: BTreeMap<String, Totals>,
    pub anomalies: Vec<String>,
    pub reconciliation: Vec<Reconciliation>,
}

/// Rules, stated so operators can judge them:
/// - cost spike: a tenant's cost this month is more than twice its average over the prior
///   three months (months with no usage count as 0) and above $1;
/// - success-rate anomaly: a provider's success rate this month is more than 10 points below
///   its rate over the prior three months (with at least 20 calls in each);
/// - billing divergence: |billed − ledger| / billed above `margin` for a provider.
pub const SPIKE_FACTOR: f64 = 2.0;
pub const SPIKE_MIN_MICROS: u64 = 1_000_000;
pub const SUCCESS_DROP: f64 = 0.10;

pub fn monthly_report(
    month: &str,
    entries: &[LedgerEntry],
    billing: Option<&[BillingRow]>,
    margin: f64,
) -> Result<Report, String> {
    let (start, end) = month_bounds(month, 0).ok_or("--month must be YYYY-MM")?;
    let (prior_start, _) = month_bounds(month, 3).ok_or("--month must be YYYY-MM")?;
    let mut report = Report {
        month: month.to_owned(),
        by_provider: BTreeMap::new(),
        by_model: BTreeMap::new(),
        by_tenant: BTreeMap::new(),
        anomalies: Vec::new(),
        reconciliation: Vec::new(),
    };
    let mut prior_tenant: BTreeMap<String, Totals> = BTreeMap::new();
    let mut prior_provider: BTreeMap<String, Totals> = BTreeMap::new();
    for e in entries.iter().filter(|e| is_call_outcome(e)) {
        let v = &e.event;
        let provider = v.provider.clone().unwrap_or_default();
        let tenant = v.tenant.clone().unwrap_or_default();
        if (start..end).contains(&v.at_ms) {
            report.by_provider.entry(provider.clone()).or_default().add(e);
            report
                .by_model
                .entry(format!("{provider}/{}", v.model.as_deref().unwrap_or("")))
                .or_default()
                .add(e);
            report.by_tenant.entry(tenant).or_default().add(e);
        } else if (prior_start..start).contains(&v.at_ms) {
            prior_tenant.entry(tenant).or_default().add(e);
            prior_provider.entry(provider).or_default().add(e);
        }
    }
    for (tenant, now) in &report.by_tenant {
        let avg = prior_tenant.get(tenant).map_or(0, |p| p.cost_micros) as f64 / 3.0;
        if now.cost_micros > SPIKE_MIN_MICROS && now.cost_micros as f64 > SPIKE_FACTOR * avg {
            report.anomalies.push(format!(
                "cost spike: tenant {tenant} spent ${:.2}, against ${:.2} a month on average over the prior three months",
                now.cost_micros as f64 / 1e6,
                avg / 1e6
            ));
        }
    }
    for (provider, now) in &report.by_provider {
        if let Some(before) = prior_provider.get(provider)
            && now.requests >= 20
            && before.requests >= 20
            && now.success_rate() < before.success_rate() - SUCCESS_DROP
        {
            report.anomalies.push(format!(
                "success rate: provider {provider} at {:.1}% against {:.1}% over the prior three months",
                now.success_rate() * 100.0,
                before.success_rate() * 100.0
            ));
        }
    }
    if let Some(rows) = billing {
        let mut billed: BTreeMap<String, f64> = BTreeMap::new();
        for r in rows {
            *billed.entry(r.provider.clone()).or_default() += r.cost_usd;
        }
        let providers: BTreeSet<String> =
            billed.keys().chain(report.by_provider.keys()).cloned().collect();
        for p in providers {
            let ledger = report.by_provider.get(&p).map_or(0, |t| t.cost_micros) as f64 / 1e6;
            let bill = billed.get(&p).copied().unwrap_or(0.0);
            let divergence = if bill > 0.0 {
                (bill - ledger) / bill
            } else if ledger > 0.0 {
                -1.0
            } else {
                0.0
            };
            let flagged = divergence.abs() > margin;
            if flagged {
                report.anomalies.push(format!(
                    "billing: provider {p} billed ${bill:.2}, ledger ${ledger:.2} ({:+.1}%)",
                    divergence * 100.0
                ));
            }
            report.reconciliation.push(Reconciliation {
                provider: p,
                ledger_cost_usd: ledger,
                billed_cost_usd: bill,
                divergence,
                flagged,
            });
        }
    }
    Ok(report)
}

#[derive(Debug, PartialEq)]
pub struct SweepGroup {
    pub tenant: String,
    pub purpose: String,
    pub totals: Totals,
    pub models: BTreeSet<String>,
}

#[derive(Debug, PartialEq)]
pub struct Sweep {
    pub provider: String,
    pub groups: Vec<SweepGroup>,
    pub anomalies: Vec<String>,
}

/// The calls made with `provider`'s key in `[from, to)`, grouped by tenant and purpose, with
/// anomalies against each tenant's prior 30 days: volume above 3× its usual rate for a window
/// of this length, and models or purposes it never used before.
pub fn sweep(provider: &str, from_ms: i64, to_ms: i64, entries: &[LedgerEntry]) -> Sweep {
    let baseline_from = from_ms - 30 * 86_400_000;
    let mut groups: BTreeMap<(String, String), SweepGroup> = BTreeMap::new();
    let mut usual_calls: BTreeMap<String, u64> = BTreeMap::new();
    let mut usual_models: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut usual_purposes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in entries
        .iter()
        .filter(|e| is_call_outcome(e) && e.event.provider.as_deref() == Some(provider))
    {
        let v = &e.event;
        let tenant = v.tenant.clone().unwrap_or_default();
        let purpose = v.purpose.clone().unwrap_or_default();
        let model = v.model.clone().unwrap_or_default();
        if (from_ms..to_ms).contains(&v.at_ms) {
            let g = groups.entry((tenant.clone(), purpose.clone())).or_insert_with(|| SweepGroup {
                tenant,
                purpose,
                totals: Totals::default(),
                models: BTreeSet::new(),
            });
            g.totals.add(e);
            g.models.insert(model);
        } else if (baseline_from..from_ms).contains(&v.at_ms) {
            *usual_calls.entry(tenant.clone()).or_default() += 1;
            usual_models.entry(tenant.clone()).or_default().insert(model);
            usual_purposes.entry(tenant).or_default().insert(purpose);
        }
    }
    let window_days = ((to_ms - from_ms) as f64 / 86_400_000.0).max(1.0 / 24.0);
    let mut anomalies = Vec::new();
    let mut per_tenant: BTreeMap<&str, u64> = BTreeMap::new();
    for g in groups.values() {
        *per_tenant.entry(&g.tenant).or_default() += g.totals.requests;
        let empty = BTreeSet::new();
        let known_models = usual_models.get(&g.tenant).unwrap_or(&empty);
        for m in g.models.difference(known_models) {
            anomalies.push(format!("tenant {}: model {m} not used in the prior 30 days", g.tenant));
        }
        if !usual_purposes.get(&g.tenant).is_some_and(|p| p.contains(&g.purpose)) {
            anomalies.push(format!(
                "tenant {}: purpose {} not used in the prior 30 days",
                g.tenant, g.purpose
            ));
        }
    }
    for (tenant, calls) in per_tenant {
        let usual = usual_calls.get(tenant).copied().unwrap_or(0) as f64 / 30.0 * window_days;
        if calls as f64 > 3.0 * usual.max(1.0) {
            anomalies.push(format!(
                "tenant {tenant}: {calls} calls in the window, against about {usual:.1} usually"
            ));
        }
    }
    Sweep { provider: provider.to_owned(), groups: groups.into_values().collect(), anomalies }
}

#[cfg(test)]
mod tests;
