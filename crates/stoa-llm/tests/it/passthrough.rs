//! Same-format helpers on raw JSON: texts, model, max tokens, stream flags, usage.

use serde_json::{Value, json};
use stoa_llm::wire::{self, openai};
use stoa_llm::{TextKind, Usage, WireFormat};

use crate::support::{FORMATS, json as fixture};

fn visit(format: WireFormat, body: &mut Value) -> Vec<(TextKind, String)> {
    let mut seen = Vec::new();
    wire::texts_mut(format, body, |k, s| {
        seen.push((k, s.clone()));
        *s = s.replace("Paris", "[CITY]");
    });
    seen
}

#[test]
fn texts_mut_visits_everything_sent() {
    use TextKind::*;
    let mut o = fixture(WireFormat::OpenAi, "tools");
    let kinds: Vec<TextKind> =
        visit(WireFormat::OpenAi, &mut o).into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, [System, User, ToolCall, ToolCall, ToolResult, ToolResult, ToolDescription]);
    assert_eq!(o["messages"][1]["content"], "What's the weather in [CITY] and Tokyo?");
    assert_eq!(
        o["messages"][2]["tool_calls"][0]["function"]["arguments"],
        r#"{"location":"[CITY]","unit":"celsius"}"#
    );

    let mut a = fixture(WireFormat::Anthropic, "tools");
    let seen = visit(WireFormat::Anthropic, &mut a);
    let kinds: Vec<TextKind> = seen.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        [
            System,
            User,
            Assistant,
            ToolCall,
            ToolCall,
            ToolCall,
            ToolCall,
            ToolResult,
            ToolResult,
            User,
            ToolDescription
        ]
    );
    assert_eq!(a["messages"][1]["content"][2]["input"]["location"], "[CITY]");
    // system as blocks, user content as blocks
    let mut s = fixture(WireFormat::Anthropic, "system");
    let seen = visit(WireFormat::Anthropic, &mut s);
    assert_eq!(
        seen,
        [(System, "You are a terse assistant.".into()), (User, "Name three primes.".into())]
    );

    let mut g = fixture(WireFormat::Gemini, "tools");
    let kinds: Vec<TextKind> =
        visit(WireFormat::Gemini, &mut g).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        kinds,
        [
            System,
            User,
            ToolCall,
            ToolCall,
            ToolCall,
            ToolCall,
            ToolResult,
            ToolResult,
            ToolDescription
        ]
    );
    assert_eq!(g["contents"][1]["parts"][0]["functionCall"]["args"]["location"], "[CITY]");
    let mut gs = fixture(WireFormat::Gemini, "system");
    let seen = visit(WireFormat::Gemini, &mut gs);
    assert_eq!(
        seen[0],
        (System, "You are a terse assistant.".into()),
        "snake_case system_instruction"
    );
}

#[test]
fn model_tokens_stream() {
    let mut o = fixture(WireFormat::OpenAi, "system");
    wire::set_model(WireFormat::OpenAi, &mut o, "gpt-4.1");
    assert_eq!(wire::model_of(WireFormat::OpenAi, &o), Some("gpt-4.1"));
    assert_eq!(wire::max_output_tokens(WireFormat::OpenAi, &o), Some(256));
    assert!(wire::is_stream(WireFormat::OpenAi, &o));
    let mut a = fixture(WireFormat::Anthropic, "system");
    wire::set_model(WireFormat::Anthropic, &mut a, "claude-opus-4-1");
    assert_eq!(a["model"], "claude-opus-4-1");
    assert_eq!(wire::max_output_tokens(WireFormat::Anthropic, &a), Some(256));
    assert!(wire::is_stream(WireFormat::Anthropic, &a));
    let mut g = fixture(WireFormat::Gemini, "system");
    let before = g.clone();
    wire::set_model(WireFormat::Gemini, &mut g, "gemini-2.5-pro");
    assert_eq!(g, before, "Gemini's model is in the URL");
    assert_eq!(wire::max_output_tokens(WireFormat::Gemini, &g), Some(256));
    assert_eq!(
        wire::max_output_tokens(
            WireFormat::Gemini,
            &json!({"generation_config": {"max_output_tokens": 9}})
        ),
        Some(9)
    );
    assert!(!wire::is_stream(WireFormat::Gemini, &g));
    assert_eq!(wire::max_output_tokens(WireFormat::OpenAi, &json!({"max_tokens": 5})), Some(5));
    assert_eq!(wire::max_output_tokens(WireFormat::OpenAi, &json!({})), None);
}

#[test]
fn ensure_stream_usage_sets_include_usage() {
    let mut b = json!({"model": "gpt-4o", "messages": [], "stream": true});
    assert!(!wire::ensure_stream_usage(WireFormat::OpenAi, &mut b));
    assert_eq!(b["stream_options"], json!({"include_usage": true}));
    let mut b = json!({"stream": true, "stream_options": {"include_usage": true}});
    assert!(wire::ensure_stream_usage(WireFormat::OpenAi, &mut b));
    let mut b = json!({"stream": true, "stream_options": "junk"});
    assert!(!wire::ensure_stream_usage(WireFormat::OpenAi, &mut b));
    assert_eq!(b["stream_options"]["include_usage"], true);
    let mut b = json!({"messages": []});
    assert!(wire::ensure_stream_usage(WireFormat::OpenAi, &mut b));
    assert!(b.get("stream_options").is_none(), "not a stream: untouched");
    for f in [WireFormat::Anthropic, WireFormat::Gemini] {
        let mut b = json!({"stream": true});
        assert!(wire::ensure_stream_usage(f, &mut b));
        assert_eq!(b, json!({"stream": true}));
    }
    assert!(openai::is_usage_only_chunk(
        br#"{"id":"x","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#
    ));
    assert!(!openai::is_usage_only_chunk(
        br#"{"id":"x","choices":[{"index":0,"delta":{}}],"usage":null}"#
    ));
    assert!(!openai::is_usage_only_chunk(b"[DONE]"));
}

#[test]
fn usage_from_responses() {
    let cases = [
        (WireFormat::OpenAi, "response_text", Usage::new(9, 10)),
        (WireFormat::Anthropic, "response_tools", Usage::new(500, 60)),
        (WireFormat::Gemini, "response_tools", Usage::new(61, 56)),
    ];
    for (f, name, want) in cases {
        assert_eq!(wire::usage_from_response(f, &fixture(f, name)), Some(want), "{f:?}");
    }
    for f in FORMATS {
        assert_eq!(wire::usage_from_response(f, &json!({})), None);
    }
}
