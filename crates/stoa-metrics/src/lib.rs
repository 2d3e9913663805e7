//! Stoa's metrics (F-90): the metric names of the spec, one registry, text exposition.
//!
//! Every metric is labelled by `tenant`; cardinality stays bounded because only tenants that
//! exist become labels (the HTTP layer labels unauthenticated requests `none` and platform
//! callers `platform`). Names are fixed here, in one place, so dashboards can rely on them.

pub mod otel;

use std::sync::LazyLock;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ApiLabels {
    pub tenant: String,
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub tenant: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TokenLabels {
    pub tenant: String,
    pub provider: String,
    pub model: String,
    /// `input` or `output`.
    pub direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProviderLabels {
    pub tenant: String,
    pub provider: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BudgetLabels {
    pub tenant: String,
    /// `daily` or `monthly`.
    pub window: &'static str,
}

/// What a settled LLM call adds to the metrics.
pub struct LlmSample<'a> {
    pub provider: &'a str,
    pub model: &'a str,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub fallback: bool,
}

pub struct Metrics {
    registry: Registry,
    pub api_requests: Family<ApiLabels, Counter>,
    pub api_errors: Family<ApiLabels, Counter>,
    pub api_duration: Family<RouteLabels, Histogram>,
    pub llm_tokens: Family<TokenLabels, Counter>,
    pub llm_cost_usd: Family<ProviderLabels, Counter<f64, AtomicU64>>,
    pub budget_remaining: Family<BudgetLabels, Gauge>,
    pub provider_fallbacks: Family<ProviderLabels, Counter>,
    pub pii_findings: Family<ProviderLabels, Counter>,
    resident_bytes: Gauge,
    uptime_seconds: Gauge,
    started: Instant,
}

fn duration_histogram() -> Histogram {
    // 100 µs … ~100 s.
    Histogram::new(exponential_buckets(0.0001, 2.5, 16))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::default();
        let api_requests = Family::<ApiLabels, Counter>::default();
        let api_errors = Family::<ApiLabels, Counter>::default();
        let api_duration = Family::<RouteLabels, Histogram>::new_with_constructor(
            duration_histogram as fn() -> Histogram,
        );
        let llm_tokens = Family::<TokenLabels, Counter>::default();
        let llm_cost_usd = Family::<ProviderLabels, Counter<f64, AtomicU64>>::default();
        let budget_remaining = Family::<BudgetLabels, Gauge>::default();
        let provider_fallbacks = Family::<ProviderLabels, Counter>::default();
        let pii_findings = Family::<ProviderLabels, Counter>::default();
        let resident_bytes = Gauge::default();
        let uptime_seconds = Gauge::default();
        registry.register("stoa_api_requests", "HTTP requests served", api_requests.clone());
        registry.register(
            "stoa_api_errors",
            "HTTP requests answered 4xx or 5xx",
            api_errors.clone(),
        );
        registry.register(
            "stoa_api_duration_seconds",
            "Time to answer (streams: to the response head)",
            api_duration.clone(),
        );
        registry.register("stoa_llm_tokens", "LLM tokens settled", llm_tokens.clone());
        registry.register("stoa_llm_cost_usd", "LLM cost settled, USD", llm_cost_usd.clone());
        registry.register(
            "stoa_budget_remaining_tokens",
            "Tokens left in the tenant's budget window",
            budget_remaining.clone(),
        );
        registry.register(
            "stoa_provider_fallbacks",
            "Calls answered by the local fallback",
            provider_fallbacks.clone(),
        );
        registry.register(
            "stoa_pii_findings",
            "PII findings acted on (blocked or redacted), by category",
            pii_findings.clone(),
        );
        registry.register(
            "process_resident_memory_bytes",
            "Resident set size",
            resident_bytes.clone(),
        );
        registry.register("process_uptime_seconds", "Seconds since start", uptime_seconds.clone());
        Self {
            registry,
            api_requests,
            api_errors,
            api_duration,
            llm_tokens,
            llm_cost_usd,
            budget_remaining,
            provider_fallbacks,
            pii_findings,
            resident_bytes,
            uptime_seconds,
            started: Instant::now(),
        }
    }

    /// One HTTP request.
    pub fn api(&self, tenant: &str, route: &str, method: &str, status: u16, seconds: f64) {
        let labels = ApiLabels {
            tenant: tenant.to_owned(),
            route: route.to_owned(),
            method: method.to_owned(),
            status,
        };
        self.api_requests.get_or_create(&labels).inc();
        if status >= 400 {
            self.api_errors.get_or_create(&labels).inc();
        }
        self.api_duration
            .get_or_create(&RouteLabels { tenant: labels.tenant, route: labels.route })
            .observe(seconds);
    }

    /// One settled LLM call.
    pub fn llm(&self, tenant: &str, call: &LlmSample<'_>) {
        for (direction, n) in [("input", call.input_tokens), ("output", call.output_tokens)] {
            let l = TokenLabels {
                tenant: tenant.to_owned(),
                provider: call.provider.to_owned(),
                model: call.model.to_owned(),
                direction,
            };
            self.llm_tokens.get_or_create(&l).inc_by(n);
        }
        let p = ProviderLabels { tenant: tenant.to_owned(), provider: call.provider.to_owned() };
        self.llm_cost_usd.get_or_create(&p).inc_by(call.cost_usd);
        if call.fallback {
            self.provider_fallbacks.get_or_create(&p).inc();
        }
    }

    pub fn budget(&self, tenant: &str, window: &'static str, remaining: u64) {
        let g = self
            .budget_remaining
            .get_or_create(&BudgetLabels { tenant: tenant.to_owned(), window });
        g.set(i64::try_from(remaining).unwrap_or(i64::MAX));
    }

    /// PII findings of a category (label `provider` carries the category).
    pub fn pii(&self, tenant: &str, category: &str, n: u64) {
        self.pii_findings
            .get_or_create(&ProviderLabels {
                tenant: tenant.to_owned(),
                provider: category.to_owned(),
            })
            .inc_by(n);
    }

    /// The exposition text (OpenMetrics).
    pub fn render(&self) -> String {
        self.uptime_seconds
            .set(i64::try_from(self.started.elapsed().as_secs()).unwrap_or(i64::MAX));
        if let Some(rss) = resident_bytes() {
            self.resident_bytes.set(rss);
        }
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

fn resident_bytes() -> Option<i64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: i64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

static GLOBAL: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn global() -> &'static Metrics {
    &GLOBAL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_the_spec_are_exposed() {
        let m = Metrics::new();
        m.api("acme", "/v1/chat/completions", "POST", 200, 0.002);
        m.api("acme", "/v1/chat/completions", "POST", 429, 0.001);
        let call = LlmSample {
            provider: "openai",
            model: "gpt-4o-mini",
            input_tokens: 10,
            output_tokens: 5,
            cost_usd: 0.0001,
            fallback: true,
        };
        m.llm("acme", &call);
        m.budget("acme", "daily", 42);
        let text = m.render();
        for name in [
            "stoa_api_requests_total{",
            "stoa_api_errors_total{",
            "stoa_api_duration_seconds_bucket{",
            "stoa_llm_tokens_total{",
            "stoa_llm_cost_usd_total{",
            "stoa_budget_remaining_tokens{",
            "stoa_provider_fallbacks_total{",
        ] {
            assert!(text.contains(name), "{name} missing:\n{text}");
        }
        assert!(text.contains("tenant=\"acme\""));
        assert!(
            text.contains("stoa_budget_remaining_tokens{tenant=\"acme\",window=\"daily\"} 42"),
            "{text}"
        );
    }
}
