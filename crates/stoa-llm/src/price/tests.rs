//! Price table defaults, overrides and cost arithmetic.

use serde_json::json;

use super::*;

fn m(p: ProviderKind, name: &str) -> ModelRef {
    ModelRef::new(p, name)
}

#[test]
fn defaults_cover_current_models() {
    let t = PriceTable::default();
    for name in [
        "anthropic/claude-sonnet-4-6",
        "anthropic/claude-opus-4-1",
        "anthropic/claude-haiku-4-5",
        "openai/gpt-4o",
        "openai/gpt-4o-mini",
        "openai/gpt-4.1",
        "openai/gpt-4.1-mini",
        "gemini/gemini-2.0-flash",
        "gemini/gemini-2.5-pro",
        "gemini/gemini-2.5-flash",
    ] {
        let (p, model) = name.split_once('/').unwrap();
        let r = m(ProviderKind::parse(p).unwrap(), model);
        let price = t.get(&r).unwrap_or_else(|| panic!("{name} missing"));
        assert!(price.input > 0.0 && price.output >= price.input, "{name}");
    }
}

#[test]
fn cost_arithmetic() {
    let t = PriceTable::default();
    let sonnet = m(ProviderKind::Anthropic, "claude-sonnet-4-6");
    // 1000 in × $3/M = 3000 µ$, 500 out × $15/M = 7500 µ$
    assert_eq!(t.cost_micros(&sonnet, Usage::new(1000, 500)), (10_500, false));
    let mini = m(ProviderKind::OpenAi, "gpt-4o-mini");
    // 1M in × $0.15 = 150 000 µ$; 1M out × $0.60 = 600 000 µ$
    assert_eq!(t.cost_micros(&mini, Usage::new(1_000_000, 1_000_000)), (750_000, false));
    // 1 token of gpt-4o-mini input = 0.15 µ$ → rounds to 0; 4 tokens = 0.6 → 1
    assert_eq!(t.cost_micros(&mini, Usage::new(1, 0)), (0, false));
    assert_eq!(t.cost_micros(&mini, Usage::new(4, 0)), (1, false));
    let flash = m(ProviderKind::Gemini, "gemini-2.0-flash-lite");
    assert_eq!(t.cost_micros(&flash, Usage::new(1_000_000, 0)), (75_000, false));
    // no overflow at absurd counts
    let (c, _) = t.cost_micros(&sonnet, Usage::new(u64::MAX, u64::MAX));
    assert_eq!(c, u64::MAX);
}

#[test]
fn local_is_free_and_unknown_is_unpriced() {
    let t = PriceTable::default();
    assert_eq!(t.cost_micros(&m(ProviderKind::Local, "llama3"), Usage::new(10, 10)), (0, false));
    assert_eq!(t.cost_micros(&m(ProviderKind::OpenAi, "gpt-7"), Usage::new(10, 10)), (0, true));
}

#[test]
fn overrides() {
    let t = PriceTable::default()
        .with_overrides(&json!({
            "openai/gpt-4o": {"input": 1.0, "output": 2.0},
            "local/big": {"input": 0.5, "output": 0.5},
            "anthropic/claude-custom": {"input": 2, "output": 4}
        }))
        .unwrap();
    assert_eq!(t.get(&m(ProviderKind::OpenAi, "gpt-4o")), Some(Price { input: 1.0, output: 2.0 }));
    assert_eq!(
        t.cost_micros(&m(ProviderKind::Local, "big"), Usage::new(2_000_000, 0)),
        (1_000_000, false)
    );
    assert_eq!(t.provider_of("claude-custom"), Some(ProviderKind::Anthropic));
    // untouched defaults remain
    assert!(t.get(&m(ProviderKind::Gemini, "gemini-2.5-pro")).is_some());
}

#[test]
fn bad_overrides_are_rejected() {
    for bad in [
        json!([]),
        json!({"gpt-4o": {"input": 1, "output": 1}}),
        json!({"mistral/large": {"input": 1, "output": 1}}),
        json!({"openai/": {"input": 1, "output": 1}}),
        json!({"openai/x": {"input": -1, "output": 1}}),
        json!({"openai/x": {"input": "1", "output": 1}}),
        json!({"openai/x": {"input": 1}}),
        json!({"openai/x": {"input": 1, "output": 1, "cached": 1}}),
        json!({"openai/x": 3}),
    ] {
        let err = PriceTable::default().with_overrides(&bad).unwrap_err();
        assert_eq!(err.code(), "invalid_config", "{bad}");
    }
}
