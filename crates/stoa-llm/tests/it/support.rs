//! Fixture loading and helpers to summarize stream events.

use std::path::PathBuf;

use serde_json::Value;
use stoa_llm::sse::SseParser;
use stoa_llm::{SseEvent, StopReason, StreamDecoder, StreamEvent, Usage, WireFormat};

pub(crate) const FORMATS: [WireFormat; 3] =
    [WireFormat::OpenAi, WireFormat::Anthropic, WireFormat::Gemini];

fn path(format: WireFormat, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format.as_str())
        .join(name)
}

pub(crate) fn json(format: WireFormat, name: &str) -> Value {
    let text = std::fs::read_to_string(path(format, &format!("{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub(crate) fn sse_text(format: WireFormat, name: &str) -> String {
    std::fs::read_to_string(path(format, &format!("{name}.sse"))).unwrap()
}

pub(crate) fn frames(bytes: &[u8]) -> Vec<SseEvent> {
    let mut p = SseParser::new();
    let mut out = p.push(bytes).unwrap();
    out.extend(p.finish());
    out
}

pub(crate) fn decode(format: WireFormat, bytes: &[u8]) -> Vec<StreamEvent> {
    let mut d = StreamDecoder::new(format);
    let mut out = Vec::new();
    for f in frames(bytes) {
        out.extend(d.push(&f).unwrap());
    }
    out.extend(d.finish().unwrap());
    out
}

/// What a stream means, independent of how it was chunked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Summary {
    pub(crate) id: String,
    pub(crate) model: String,
    pub(crate) text: String,
    /// (index, id, name, arguments)
    pub(crate) tools: Vec<(u32, String, String, Value)>,
    pub(crate) stop: Option<StopReason>,
    pub(crate) usage: Option<Usage>,
    pub(crate) done: bool,
}

pub(crate) fn summarize(events: &[StreamEvent]) -> Summary {
    assert!(
        matches!(events.first(), Some(StreamEvent::Start { .. })),
        "starts with Start: {events:?}"
    );
    assert_eq!(events.last(), Some(&StreamEvent::Done), "ends with Done");
    let mut s = Summary {
        id: String::new(),
        model: String::new(),
        text: String::new(),
        tools: Vec::new(),
        stop: None,
        usage: None,
        done: false,
    };
    let mut args: Vec<String> = Vec::new();
    for e in events {
        assert!(!s.done, "nothing after Done");
        match e {
            StreamEvent::Start { id, model } => {
                s.id.clone_from(id);
                s.model.clone_from(model);
            }
            StreamEvent::TextDelta(t) => {
                assert!(s.stop.is_none(), "text after Stop");
                s.text.push_str(t);
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                assert_eq!(*index as usize, s.tools.len(), "tool indexes count from 0");
                s.tools.push((*index, id.clone(), name.clone(), Value::Null));
                args.push(String::new());
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                args[*index as usize].push_str(arguments)
            }
            StreamEvent::Stop(r) => {
                assert!(s.stop.is_none(), "one Stop");
                s.stop = Some(*r);
            }
            StreamEvent::Usage(u) => {
                assert!(s.stop.is_some(), "Usage after Stop");
                s.usage = Some(*u);
            }
            StreamEvent::Done => s.done = true,
        }
    }
    for (t, a) in s.tools.iter_mut().zip(args) {
        t.3 = serde_json::from_str(&a).unwrap_or(Value::String(a));
    }
    s
}
