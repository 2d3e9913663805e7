//! Model resolution table (spec §13).

use std::collections::HashMap;

use super::*;

type Expect = Result<(ProviderKind, &'static str), &'static str>;

fn check(name: &str, endpoint: WireFormat, expect: Expect) {
    let mut aliases = HashMap::new();
    aliases.insert("fast".to_owned(), "anthropic/claude-haiku-4-5".to_owned());
    aliases.insert("house".to_owned(), "local/llama3.1:8b".to_owned());
    aliases.insert("broken".to_owned(), "mistral/large".to_owned());
    aliases.insert("openai/gpt-4o".to_owned(), "local/qwen".to_owned());
    let prices = PriceTable::default();
    let got = resolve_model(name, endpoint, &aliases, &prices);
    match expect {
        Ok((p, m)) => assert_eq!(got, Ok(ModelRef::new(p, m)), "{name} on {endpoint:?}"),
        Err(code) => {
            let err = got.expect_err(name);
            assert_eq!(err.code(), code, "{name}");
        }
    }
}

#[test]
fn resolution_table() {
    use ProviderKind::*;
    use WireFormat as W;
    let cases: &[(&str, W, Expect)] = &[
        ("anthropic/claude-sonnet-4-6", W::OpenAi, Ok((Anthropic, "claude-sonnet-4-6"))),
        ("openai/gpt-4o-mini", W::Anthropic, Ok((OpenAi, "gpt-4o-mini"))),
        ("gemini/gemini-2.0-flash", W::OpenAi, Ok((Gemini, "gemini-2.0-flash"))),
        ("local/llama3.1:8b", W::OpenAi, Ok((Local, "llama3.1:8b"))),
        ("local/meta-llama/Llama-3-8B", W::OpenAi, Ok((Local, "meta-llama/Llama-3-8B"))),
        ("OpenAI/gpt-4o", W::OpenAi, Ok((OpenAi, "gpt-4o"))),
        // bare names
        ("claude-sonnet-4-6", W::Anthropic, Ok((Anthropic, "claude-sonnet-4-6"))),
        ("claude-unreleased-9", W::Anthropic, Ok((Anthropic, "claude-unreleased-9"))),
        ("gemini-2.5-pro", W::Gemini, Ok((Gemini, "gemini-2.5-pro"))),
        ("models/gemini-2.5-pro", W::Gemini, Ok((Gemini, "gemini-2.5-pro"))),
        ("gpt-4o", W::OpenAi, Ok((OpenAi, "gpt-4o"))),
        ("gpt-9-unknown", W::OpenAi, Ok((OpenAi, "gpt-9-unknown"))),
        // the price table names the provider of a bare name on the OpenAI endpoint
        ("claude-sonnet-4-6", W::OpenAi, Ok((Anthropic, "claude-sonnet-4-6"))),
        ("gemini-2.0-flash", W::OpenAi, Ok((Gemini, "gemini-2.0-flash"))),
        // a bare name on the Anthropic endpoint is Anthropic even if it looks like OpenAI's
        ("gpt-4o", W::Anthropic, Ok((Anthropic, "gpt-4o"))),
        // aliases
        ("fast", W::OpenAi, Ok((Anthropic, "claude-haiku-4-5"))),
        ("fast", W::Gemini, Ok((Anthropic, "claude-haiku-4-5"))),
        ("house", W::Anthropic, Ok((Local, "llama3.1:8b"))),
        ("openai/gpt-4o", W::OpenAi, Ok((Local, "qwen"))),
        // unknown provider prefixes
        ("mistral/mistral-large", W::OpenAi, Err("unknown_model")),
        ("broken", W::OpenAi, Err("unknown_model")),
        ("anthropic/", W::OpenAi, Err("unknown_model")),
        ("", W::OpenAi, Err("unknown_model")),
        ("/gpt-4o", W::OpenAi, Err("unknown_model")),
    ];
    for (name, endpoint, expect) in cases {
        check(name, *endpoint, *expect);
    }
}

#[test]
fn unpriced_models_resolve() {
    let prices = PriceTable::default();
    let m = resolve_model("anthropic/claude-next", WireFormat::OpenAi, &HashMap::new(), &prices)
        .unwrap();
    assert!(prices.get(&m).is_none());
    let (cost, unpriced) = prices.cost_micros(&m, crate::Usage::new(1000, 1000));
    assert_eq!((cost, unpriced), (0, true));
}

#[test]
fn names_and_formats() {
    for k in ProviderKind::ALL {
        assert_eq!(ProviderKind::parse(k.as_str()), Some(k));
        assert_eq!(k.to_string(), k.as_str());
    }
    assert_eq!(ProviderKind::Local.wire_format(), WireFormat::OpenAi);
    assert_eq!(ProviderKind::Gemini.wire_format(), WireFormat::Gemini);
    assert_eq!(ModelRef::new(ProviderKind::OpenAi, "gpt-4o").to_string(), "openai/gpt-4o");
}
