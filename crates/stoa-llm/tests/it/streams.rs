//! Streams: recorded provider streams decode to canonical events; re-encoding them in every
//! format gives the sequence that format's SDK expects and decodes back to the same meaning.

use serde_json::{Value, json};
use stoa_llm::{
    ProviderError, StopReason, StreamDecoder, StreamEncoder, StreamEvent, Usage, WireFormat,
};

use crate::support::{FORMATS, Summary, decode, frames, sse_text, summarize};

const TEXT: &str = "Hello there, caf\u{e9} \u{1F600}!";

fn expected(format: WireFormat, name: &str) -> Summary {
    let (id, model) = match (format, name) {
        (WireFormat::OpenAi, "stream_text") => ("chatcmpl-123", "gpt-4o-mini"),
        (WireFormat::OpenAi, _) => ("chatcmpl-456", "gpt-4o"),
        (WireFormat::Anthropic, "stream_text") => {
            ("msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "claude-sonnet-4-6")
        }
        (WireFormat::Anthropic, _) => ("msg_014p7gG3wDgGV9EUtLvnow3U", "claude-sonnet-4-6"),
        (WireFormat::Gemini, "stream_text") => ("Y_3eZ9Tx", "gemini-2.0-flash"),
        (WireFormat::Gemini, _) => ("Zk9a", "gemini-2.5-flash"),
    };
    let mut s = Summary {
        id: id.into(),
        model: model.into(),
        text: String::new(),
        tools: Vec::new(),
        stop: Some(StopReason::EndTurn),
        usage: None,
        done: true,
    };
    if name == "stream_text" {
        s.text = TEXT.into();
        s.usage = Some(match format {
            WireFormat::OpenAi => Usage::new(9, 6),
            WireFormat::Anthropic => Usage::new(25, 15),
            WireFormat::Gemini => Usage::new(8, 6),
        });
    } else {
        s.stop = Some(StopReason::ToolUse);
        let ids = match format {
            WireFormat::OpenAi => ["call_DdmO9pD3xa9XTPNJ32zg2hcA", "call_2"],
            WireFormat::Anthropic => ["toolu_01T1x1fJ34qAmk2tNTrN7Up6", "toolu_02"],
            WireFormat::Gemini => ["", ""],
        };
        s.tools = vec![
            (0, ids[0].into(), "get_weather".into(), json!({"location": "Paris"})),
            (1, ids[1].into(), "get_time".into(), json!({"tz": "CET"})),
        ];
        if format != WireFormat::OpenAi {
            s.text = "Let me check.".into();
        }
        s.usage = Some(match format {
            WireFormat::OpenAi => Usage::new(80, 30),
            WireFormat::Anthropic => Usage::new(472, 89),
            WireFormat::Gemini => Usage::new(70, 40),
        });
    }
    s
}

/// Gemini gives calls no ids; the decoder makes fresh ones.
fn blank_gemini_ids(mut s: Summary) -> Summary {
    for t in &mut s.tools {
        assert!(t.1.starts_with("call_"), "{}", t.1);
        t.1.clear();
    }
    s
}

#[test]
fn recorded_streams_decode() {
    for f in FORMATS {
        for name in ["stream_text", "stream_tools"] {
            let events = decode(f, sse_text(f, name).as_bytes());
            let mut got = summarize(&events);
            if f == WireFormat::Gemini {
                got = blank_gemini_ids(got);
            }
            assert_eq!(got, expected(f, name), "{f:?}/{name}: {events:?}");
        }
    }
}

fn check_anthropic_shape(bytes: &[u8]) {
    let fs = frames(bytes);
    let names: Vec<&str> = fs.iter().map(|f| f.event.as_deref().unwrap()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(&names[names.len() - 2..], ["message_delta", "message_stop"]);
    let mut open: Option<u64> = None;
    let mut next = 0u64;
    let mut kinds = std::collections::HashMap::new();
    for f in &fs {
        assert!(f.raw.ends_with(b"\n\n"));
        let v: Value = serde_json::from_str(&f.data).unwrap();
        assert_eq!(v["type"], f.event.as_deref().unwrap(), "event name = data.type");
        match v["type"].as_str().unwrap() {
            "message_start" => {
                let m = &v["message"];
                assert_eq!(
                    (m["type"].clone(), m["role"].clone(), m["content"].clone()),
                    (json!("message"), json!("assistant"), json!([]))
                );
                assert!(
                    m["usage"]["input_tokens"].is_u64() && m["usage"]["output_tokens"].is_u64()
                );
            }
            "content_block_start" => {
                assert!(open.is_none(), "blocks do not overlap");
                let i = v["index"].as_u64().unwrap();
                assert_eq!(i, next, "block indexes count up from 0");
                next += 1;
                open = Some(i);
                let block = &v["content_block"];
                kinds.insert(i, block["type"].as_str().unwrap().to_owned());
                match block["type"].as_str().unwrap() {
                    "text" => assert_eq!(block["text"], ""),
                    "tool_use" => {
                        assert_eq!(block["input"], json!({}));
                        assert!(block["id"].is_string() && block["name"].is_string());
                    }
                    other => panic!("{other}"),
                }
            }
            "content_block_delta" => {
                let i = v["index"].as_u64().unwrap();
                assert_eq!(Some(i), open, "deltas go to the open block");
                let want = if kinds[&i] == "text" { "text_delta" } else { "input_json_delta" };
                assert_eq!(v["delta"]["type"], want);
            }
            "content_block_stop" => {
                assert_eq!(Some(v["index"].as_u64().unwrap()), open);
                open = None;
            }
            "message_delta" => {
                assert!(open.is_none(), "blocks closed before message_delta");
                assert!(v["delta"]["stop_reason"].is_string());
                assert!(v["usage"]["output_tokens"].is_u64());
            }
            "message_stop" => {}
            other => panic!("unexpected event {other}"),
        }
    }
}

fn check_openai_shape(bytes: &[u8], include_usage: bool) {
    let fs = frames(bytes);
    assert_eq!(fs.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> =
        fs[..fs.len() - 1].iter().map(|f| serde_json::from_str(&f.data).unwrap()).collect();
    let mut finishes = 0;
    let mut seen_tools = std::collections::HashSet::new();
    for (i, c) in chunks.iter().enumerate() {
        assert!(fs[i].event.is_none());
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["id"], chunks[0]["id"]);
        assert!(c["created"].is_u64());
        let choices = c["choices"].as_array().unwrap();
        if choices.is_empty() {
            assert!(include_usage && i == chunks.len() - 1, "usage chunk last");
            assert!(c["usage"]["prompt_tokens"].is_u64() && c["usage"]["total_tokens"].is_u64());
            continue;
        }
        let ch = &choices[0];
        assert_eq!(ch["index"], 0);
        if i == 0 {
            assert_eq!(ch["delta"]["role"], "assistant");
        }
        if !ch["finish_reason"].is_null() {
            finishes += 1;
        }
        for tc in ch["delta"]["tool_calls"].as_array().into_iter().flatten() {
            let idx = tc["index"].as_u64().unwrap();
            if seen_tools.insert(idx) {
                assert_eq!(tc["type"], "function");
                assert!(tc["id"].is_string() && tc["function"]["name"].is_string());
            }
            assert!(tc["function"]["arguments"].is_string());
        }
    }
    assert_eq!(finishes, 1);
    assert_eq!(chunks.last().unwrap()["choices"].as_array().unwrap().is_empty(), include_usage);
}

fn check_gemini_shape(bytes: &[u8]) {
    let fs = frames(bytes);
    for (i, f) in fs.iter().enumerate() {
        assert!(f.raw.ends_with(b"\r\n\r\n"));
        assert!(f.event.is_none());
        let v: Value = serde_json::from_str(&f.data).unwrap();
        let cand = &v["candidates"][0];
        assert_eq!(cand["content"]["role"], "model");
        assert!(cand["content"]["parts"].is_array());
        for p in cand["content"]["parts"].as_array().unwrap() {
            if let Some(fc) = p.get("functionCall") {
                assert!(fc["args"].is_object() && fc["name"].is_string());
            }
        }
        let last = i == fs.len() - 1;
        assert_eq!(cand.get("finishReason").is_some(), last, "only the last frame finishes");
        assert_eq!(v.get("usageMetadata").is_some(), last);
    }
}

fn encode(target: WireFormat, events: &[StreamEvent], include_usage: bool) -> Vec<u8> {
    let mut enc = StreamEncoder::new(target, include_usage);
    let mut out = Vec::new();
    for e in events {
        out.extend_from_slice(&enc.encode(e));
    }
    out
}

#[test]
fn streams_transcode_between_all_formats() {
    for source in FORMATS {
        for name in ["stream_text", "stream_tools"] {
            let events = decode(source, sse_text(source, name).as_bytes());
            let original = summarize(&events);
            for target in FORMATS {
                let bytes = encode(target, &events, true);
                match target {
                    WireFormat::Anthropic => check_anthropic_shape(&bytes),
                    WireFormat::OpenAi => check_openai_shape(&bytes, true),
                    WireFormat::Gemini => check_gemini_shape(&bytes),
                }
                let again = summarize(&decode(target, &bytes));
                let mut want = original.clone();
                let mut got = again;
                if target == WireFormat::Gemini && name == "stream_tools" {
                    // Gemini carries ids in functionCall.id: kept
                    assert_eq!(
                        got.tools.iter().map(|t| &t.1).collect::<Vec<_>>(),
                        want.tools.iter().map(|t| &t.1).collect::<Vec<_>>()
                    );
                }
                if source == WireFormat::Gemini && target == WireFormat::Gemini {
                    got.tools.iter_mut().for_each(|t| t.1.clear());
                    want.tools.iter_mut().for_each(|t| t.1.clear());
                }
                assert_eq!(got, want, "{source:?}/{name} → {target:?}");
            }
        }
    }
}

#[test]
fn openai_usage_chunk_only_when_asked() {
    let events =
        decode(WireFormat::Anthropic, sse_text(WireFormat::Anthropic, "stream_text").as_bytes());
    let bytes = encode(WireFormat::OpenAi, &events, false);
    check_openai_shape(&bytes, false);
    assert!(!String::from_utf8(bytes).unwrap().contains("prompt_tokens"));
}

#[test]
fn encoders_cope_with_missing_start_and_stop() {
    for f in FORMATS {
        let bytes = encode(f, &[StreamEvent::TextDelta("hi".into()), StreamEvent::Done], true);
        let s = summarize(&decode(f, &bytes));
        assert_eq!(s.text, "hi");
        assert_eq!(s.stop, Some(StopReason::EndTurn));
    }
}

#[test]
fn error_frames() {
    let mut d = StreamDecoder::new(WireFormat::Anthropic);
    let f = &frames(b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n")[0];
    assert_eq!(d.push(f).unwrap_err(), ProviderError::RateLimited { retry_after: None });
    let mut d = StreamDecoder::new(WireFormat::OpenAi);
    let f = &frames(b"data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n")[0];
    assert!(d.push(f).unwrap_err().is_fallback_eligible());
    let mut d = StreamDecoder::new(WireFormat::Gemini);
    let f = &frames(b"data: {\"error\":{\"code\":429,\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\"}}\r\n\r\n")[0];
    assert!(d.push(f).unwrap_err().is_retryable());
    // garbage is Malformed, not a panic
    let mut d = StreamDecoder::new(WireFormat::OpenAi);
    assert!(matches!(d.push(&frames(b"data: {nope\n\n")[0]), Err(ProviderError::Malformed(_))));

    // the encoders' error frames are what each SDK reads as an error
    let e = StreamEncoder::new(WireFormat::Anthropic, false).error("upstream failed");
    let f = &frames(&e)[0];
    assert_eq!(f.event.as_deref(), Some("error"));
    assert_eq!(
        serde_json::from_str::<Value>(&f.data).unwrap()["error"]["message"],
        "upstream failed"
    );
    for fmt in [WireFormat::OpenAi, WireFormat::Gemini] {
        let e = StreamEncoder::new(fmt, false).error("upstream failed");
        let v: Value = serde_json::from_str(&frames(&e)[0].data).unwrap();
        assert_eq!(v["error"]["message"], "upstream failed");
    }
}

#[test]
fn cut_streams_are_reported_dropped() {
    for f in FORMATS {
        let text = sse_text(f, "stream_text");
        let fs = frames(text.as_bytes());
        let mut d = StreamDecoder::new(f);
        for frame in &fs[..2] {
            d.push(frame).unwrap();
        }
        assert_eq!(d.finish().unwrap_err(), ProviderError::StreamDropped, "{f:?}");
    }
    // an OpenAI-compatible server that stops without [DONE] is fine
    let text = sse_text(WireFormat::OpenAi, "stream_text").replace("data: [DONE]\n\n", "");
    let s = summarize(&decode(WireFormat::OpenAi, text.as_bytes()));
    assert_eq!(s.text, TEXT);
}
