//! Scan throughput on mixed text (prose with occasional PII, code, logs, JSON) at 1 KB,
//! 10 KB and 100 KB, plus redaction. Run briefly:
//! `cargo bench -p stoa-pii --bench scan -- --warm-up-time 1 --measurement-time 3`.
//!
//! Constraints: deterministic input (fixed paragraphs, no RNG), criterion without default
//! features (no plotting, no rayon) to keep compile time low.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stoa_pii::{Placeholders, Scanner, redact};

const PARAGRAPHS: &[&str] = &[
    "The quarterly review went well overall. Revenue grew in most regions, although the \
     team in the north reported delays with the new supplier. We agreed to revisit the \
     roadmap next month and to keep the hiring plan as it is. Les résultats sont bons, \
     même si la croissance ralentit un peu en été. Über die Planung sprechen wir nächste Woche.\n",
    "Hi Anna, thanks for the quick reply. You can reach me at anna.keller@example.org or \
     call +49 30 12345678 if anything is unclear. The invoice INV-2024-00172 for $1,234.56 \
     was paid on 2024-05-01.\n",
    "fn parse_header(line: &str) -> Option<(&str, &str)> {\n    let (name, value) = \
     line.split_once(':')?;\n    let name = name.trim();\n    if name.is_empty() { return None; }\n    \
     Some((name, value.trim()))\n}\n\nlet max_tokens = 4096;\nlet timeout_ms = 30_000;\n",
    "2024-05-01T12:30:45.123Z INFO  request_id=7f3a9c2e-1b4d-4e8f-9a0b-3c5d7e9f1a2b \
     method=POST path=/v1/messages status=200 latency_ms=482 bytes=18234 upstream=anthropic\n\
     2024-05-01T12:30:46.004Z WARN  retrying after 429, attempt=2 backoff_ms=250 \
     trace=00f067aa0ba902b7\n",
    "{\"model\": \"claude-3-5-sonnet\", \"max_tokens\": 1024, \"temperature\": 0.7, \
     \"messages\": [{\"role\": \"user\", \"content\": \"Summarize the attached report in three \
     bullet points, keeping the numbers exact.\"}]}\n",
    "SELECT o.id, o.total, c.name FROM orders o JOIN customers c ON c.id = o.customer_id \
     WHERE o.created_at >= '2024-01-01' AND o.status IN ('paid', 'shipped') ORDER BY o.total \
     DESC LIMIT 50;\n",
    "Release notes v10.0.19045: fixed a crash when the cache exceeded 2 GB, upgraded \
     openssl to 3.0.13, commit 9fceb02d0ae598e95dc970b74767f19372d61af8. See ISBN \
     978-3-16-148410-0 for the reference manual.\n",
];

fn mixed_text(size: usize) -> String {
    let mut s = String::with_capacity(size + 512);
    let mut i = 0;
    while s.len() < size {
        s.push_str(PARAGRAPHS[i % PARAGRAPHS.len()]);
        i += 1;
    }
    let mut cut = size.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s
}

fn bench_scan(c: &mut Criterion) {
    let scanner = Scanner::global();
    let mut group = c.benchmark_group("scan");
    for (name, size) in [("1KB", 1024), ("10KB", 10 * 1024), ("100KB", 100 * 1024)] {
        let text = mixed_text(size);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| b.iter(|| scanner.scan(black_box(&text))));
    }
    group.finish();

    // Digit-heavy logs and CSV: many candidates (timestamps, ids, decimals) to reject.
    let logs = "2024-05-01T12:30:45.123Z INFO request_id=7f3a9c2e-1b4d-4e8f-9a0b-3c5d7e9f1a2b \
                status=200 latency_ms=482 bytes=18234 ts=1714559400 order=100234567\n\
                1714559400,s-01,21.4,45.2,1013.25,0.0042,-17.5,884213\n"
        .repeat(800);
    let mut group = c.benchmark_group("scan_logs");
    group.throughput(Throughput::Bytes(logs.len() as u64));
    group.bench_function("100KB", |b| b.iter(|| scanner.scan(black_box(&logs))));
    group.finish();

    let text = mixed_text(10 * 1024);
    let findings = scanner.scan(&text);
    let mut group = c.benchmark_group("redact");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("10KB", |b| {
        b.iter(|| redact(black_box(&text), &findings, &mut Placeholders::new()))
    });
    group.finish();
}

criterion_group!(benches, bench_scan);
criterion_main!(benches);
