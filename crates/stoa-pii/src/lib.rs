//! stoa-pii: a fast PII and secret recognizer for the gateway's pre-scan of everything sent
//! to an LLM provider, with typed-placeholder redaction and per-tenant block/redact/off
//! policies. A pure library: no I/O, no global state beyond the lazily built default scanner.
//!
//! Design: every rule (e-mail, phone formats, cards, IBAN, national ids, IPv4/IPv6, provider
//! keys, PEM blocks, bearer/basic credentials, JWTs, `password=...` assignments) is one
//! pattern of a single multi-pattern regex (`regex-automata`'s meta engine, the engine behind
//! the `regex` crate, used directly for pattern ids and anchored per-pattern searches: a lazy
//! DFA, linear time, no backtracking). One left-to-right pass yields candidates; each is
//! checked by its validator (Luhn, mod-97, ID check digits, SSN rules, keyword context via
//! `aho-corasick`, structure) before it becomes a [`Finding`]. Findings carry a category,
//! kind, byte offsets and confidence, never the value.
//!
//! Constraints: no `unwrap`/`expect`/printing outside tests; all offsets are byte offsets on
//! char boundaries; `Scanner` is `Send + Sync` and meant to be built once; a scan allocates
//! only its result vector.
//!
//! Decisions worth knowing:
//! - IPv4 addresses right after a version word ("version 1.2.3.4", "v 1.2.3.4",
//!   "build: ..."), inside longer dotted sequences (OIDs, "1.2.3.4.5") or glued to a product
//!   name ("Chrome/1.2.3.4") are not reported; neither are 0.x, 127.x and 255.x addresses,
//!   nor the IPv6 unspecified/loopback addresses, nor `abc::def`-like code.
//! - Bare digit runs are only reported as phone numbers or national ids next to a keyword
//!   (or with an unambiguous mobile prefix); cards need Luhn and a known issuer prefix.
//! - Keywords count only before a candidate and never reach back past the previous finding,
//!   so replacing findings with placeholders cannot change what else is found.
//! - Space-separated US-style numbers without a phone keyword are `Low` confidence and not
//!   reported by the default configuration.
//! - Redaction through [`Policy`] or [`Scanner::scan_and_redact`] always yields text that
//!   scans clean (it rescans, which only matters for contrived adjacent values); the
//!   single-pass [`redact`] is clean for ordinary text.

mod category;
mod context;
mod finding;
mod policy;
mod redact;
mod rules;
mod scanner;
mod summary;
mod validate;

pub use category::{Category, Confidence, Kind};
pub use finding::{Finding, char_ranges};
pub use policy::{Mode, Outcome, Policy};
pub use redact::{Placeholders, redact};
pub use scanner::{BuildError, CategorySet, Scanner, ScannerConfig, scan};
pub use summary::Summary;
