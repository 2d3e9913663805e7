//! Fuzz target: scans and redacts arbitrary input (lossy-decoded bytes) and checks the
//! invariants — offsets on char boundaries with `start < end <= len`, findings sorted and
//! disjoint, redacted output scans clean and is stable under a second redaction.
//!
//! Constraints: no I/O; panics are the failure signal.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stoa_pii::{Placeholders, Scanner, redact, scan};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let findings = scan(&text);
    let mut prev_end = 0;
    for f in &findings {
        assert!(f.start < f.end && f.end <= text.len(), "bad range {f:?}");
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end), "{f:?}");
        assert!(f.start >= prev_end, "unsorted or overlapping {f:?}");
        assert_eq!(f.category, f.kind.category());
        prev_end = f.end;
    }
    let mut placeholders = Placeholders::new();
    // The single-pass primitive must not panic on any findings.
    let _ = redact(&text, &findings, &mut placeholders);
    let (out, reported) = Scanner::global().scan_and_redact(&text, &mut placeholders);
    assert_eq!(reported, findings);
    let again = scan(&out);
    assert!(again.is_empty(), "redacted output still has findings: {again:?}");
    assert_eq!(redact(&out, &again, &mut placeholders), out);
});
