//! Hot-path benchmarks: input token counting on a 4 KB prompt, and SSE parsing plus usage
//! tapping of a recorded stream. `cargo bench -p stoa-llm`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stoa_llm::{ModelRef, ProviderKind, SseParser, UsageTap, WireFormat, count_input_tokens};

fn prompt() -> String {
    let para = "The quick brown fox jumps over the lazy dog. Stoa is a multi-tenant AI gateway \
                written in Rust; it proxies LLM calls, counts tokens, scans for PII and settles \
                budgets. Contact jane.doe@example.com or +44 20 7946 0958 for details. ";
    let mut s = String::new();
    while s.len() < 4096 {
        s.push_str(para);
    }
    s.truncate(4096);
    s
}

fn tokens(c: &mut Criterion) {
    let text = prompt();
    stoa_llm::tokens::warm_up();
    let mut g = c.benchmark_group("count_input_tokens_4k");
    g.throughput(Throughput::Bytes(text.len() as u64));
    for (kind, model) in
        [(ProviderKind::OpenAi, "gpt-4o"), (ProviderKind::Anthropic, "claude-sonnet-4-6")]
    {
        let m = ModelRef::new(kind, model);
        g.bench_function(kind.as_str(), |b| {
            b.iter(|| count_input_tokens(&m, [black_box(text.as_str())].into_iter()))
        });
    }
    g.finish();
}

fn sse(c: &mut Criterion) {
    let mut stream = String::from(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-6\",\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n",
    );
    for _ in 0..200 {
        stream.push_str("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello there, \"}}\n\n");
    }
    stream.push_str("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":400}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    let bytes = stream.as_bytes();
    let mut g = c.benchmark_group("sse_anthropic_stream");
    g.throughput(Throughput::Elements(202));
    g.bench_function("parse_and_tap", |b| {
        b.iter(|| {
            let mut p = SseParser::new();
            let mut tap = UsageTap::new(WireFormat::Anthropic);
            for chunk in bytes.chunks(512) {
                for ev in p.push(chunk).unwrap_or_default() {
                    tap.observe(&ev);
                }
            }
            black_box(tap.usage())
        });
    });
    g.finish();
}

criterion_group!(benches, tokens, sse);
criterion_main!(benches);
