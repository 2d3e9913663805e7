//! Property tests: scanning never panics (arbitrary strings and lossy-decoded bytes), offsets
//! are valid char boundaries with `start < end <= len`, findings are sorted and disjoint, and
//! redaction is idempotent (redacted text scans clean; redacting it again is a no-op).
//!
//! Constraints: inputs mix arbitrary Unicode with PII-shaped fragments so the interesting
//! paths (validators, fallbacks, placeholders next to text) are exercised, not only prose.

use proptest::prelude::*;
use stoa_pii::{Finding, Mode, Placeholders, Policy, Scanner, redact, scan};

/// Fragments that exercise recognizers and their edges when concatenated in any order.
const FRAGMENTS: &[&str] = &[
    "john.doe@example.com",
    "a@b.co",
    "@",
    "+44 20 7946 0958",
    "(555) 123-4567",
    "06 12 34 56 78",
    "0151 12345678",
    "4111 1111 1111 1111",
    "4111111111111111",
    "DE89 3704 0044 0532 0130 00",
    "GB82WEST12345698765432",
    "123-45-6789",
    "AB 12 34 56 C",
    "1 85 05 78 006 084 91",
    "12345678Z",
    "X1234567L",
    "86095742719",
    "192.168.1.20",
    "2001:db8::1",
    "::",
    "fe80::1ff:fe23:4567:890a",
    "sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345",
    "sk-proj-abcdefghij0123456789ABCDEFGHIJ",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "stoa_sk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc",
    "Bearer abcdef1234567890abcdef",
    "password=hunter22",
    "\"api_key\": \"a8Kd93jLq0Zx7PpWm2\"",
    "postgres://u:s3cretPw@db/x",
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----",
    "-----BEGIN RSA PRIVATE KEY-----",
    "[EMAIL_1]",
    "[PHONE_2]",
    "[SECRET_1]",
    "[",
    "]",
    "-",
    ".",
    "/",
    ":",
    " ",
    "\n",
    "phone",
    "ssn ",
    "tel:",
    "version ",
    "é",
    "日本",
    "0",
    "7",
    "x12",
    "ext. 5",
];

fn pii_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(FRAGMENTS).prop_map(str::to_owned),
            1 => "[0-9 .:+()@-]{1,12}",
            1 => any::<String>(),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn check_invariants(text: &str, findings: &[Finding]) -> Result<(), TestCaseError> {
    let mut prev_end = 0;
    for f in findings {
        prop_assert!(f.start < f.end, "empty finding {f:?}");
        prop_assert!(f.end <= text.len(), "finding past end {f:?}");
        prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        prop_assert!(f.start >= prev_end, "overlapping or unsorted {f:?}");
        prop_assert_eq!(f.category, f.kind.category());
        prev_end = f.end;
    }
    Ok(())
}

/// Redaction through the guaranteed path (`Scanner::scan_and_redact`, which `Policy` uses)
/// is idempotent: the output scans clean, and redacting it again changes nothing.
fn check_redaction(text: &str) -> Result<(), TestCaseError> {
    let scanner = Scanner::global();
    let findings = scan(text);
    check_invariants(text, &findings)?;
    let mut ph = Placeholders::new();
    let (once, reported) = scanner.scan_and_redact(text, &mut ph);
    prop_assert_eq!(&reported, &findings);
    let again = scan(&once);
    prop_assert!(again.is_empty(), "redacted text still has findings: {:?} in {:?}", again, once);
    let (twice, none) = scanner.scan_and_redact(&once, &mut ph);
    prop_assert!(none.is_empty());
    prop_assert_eq!(&once, &twice);
    prop_assert_eq!(redact(&once, &again, &mut ph), once.clone());
    // Policy in redact mode gives the same text.
    let policy = Policy::new(Mode::Redact);
    let out = policy.apply_with(scanner, text, &mut Placeholders::new());
    prop_assert_eq!(out.text(text), Some(once.as_str()));
    Ok(())
}

/// The single-pass primitive on ordinary text (PII fragments separated by blanks, as in
/// real prose) is already idempotent.
fn check_single_pass(text: &str) -> Result<(), TestCaseError> {
    let mut ph = Placeholders::new();
    let once = redact(text, &scan(text), &mut ph);
    let again = scan(&once);
    prop_assert!(again.is_empty(), "single pass left findings: {:?} in {:?}", again, once);
    Ok(())
}

proptest! {

    #[test]
    fn arbitrary_strings_scan_with_valid_offsets(text in any::<String>()) {
        let findings = scan(&text);
        check_invariants(&text, &findings)?;
    }

    #[test]
    fn lossy_bytes_scan_with_valid_offsets(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let text = String::from_utf8_lossy(&bytes);
        let findings = scan(&text);
        check_invariants(&text, &findings)?;
    }

    #[test]
    fn pii_soup_invariants_and_idempotent_redaction(text in pii_soup()) {
        check_redaction(&text)?;
    }

    #[test]
    fn arbitrary_redaction_is_idempotent(text in any::<String>()) {
        check_redaction(&text)?;
    }

    #[test]
    fn single_pass_redaction_of_separated_values_is_idempotent(
        parts in prop::collection::vec(
            (prop::sample::select(FRAGMENTS), prop::sample::select(&[" ", "\n", ", ", " and ", "; "][..])),
            0..10,
        )
    ) {
        let text: String = parts.iter().map(|(f, sep)| format!("{f}{sep}")).collect();
        check_single_pass(&text)?;
    }
}

#[test]
fn same_value_gets_same_placeholder_across_texts() {
    let mut ph = Placeholders::new();
    let a = "mail john@example.com or call +1 (555) 123-4567";
    let b = "again: JOHN@example.com, +1 555 123 4567, and jane@example.com";
    let ra = redact(a, &scan(a), &mut ph);
    let rb = redact(b, &scan(b), &mut ph);
    assert_eq!(ra, "mail [EMAIL_1] or call [PHONE_1]");
    assert_eq!(rb, "again: [EMAIL_1], [PHONE_1], and [EMAIL_2]");
}
