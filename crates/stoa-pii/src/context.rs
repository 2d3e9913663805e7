//! Keyword context around a candidate ("phone", "SSN", "Steuer-ID", ...), used to raise
//! confidence and to admit shapes that are too ambiguous on their own (bare digit runs).
//!
//! Constraints: looks only at a small window around the candidate (bounded work per
//! candidate), ASCII-case-insensitive, ignores keywords inside redaction placeholders
//! (`[PHONE_1]`) so that redacting text never changes what is found in it.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Bit set of context kinds found near a candidate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ctx(u16);

impl Ctx {
    pub(crate) const PHONE: Ctx = Ctx(1);
    pub(crate) const SSN: Ctx = Ctx(1 << 1);
    pub(crate) const CARD: Ctx = Ctx(1 << 2);
    pub(crate) const TAX: Ctx = Ctx(1 << 3);
    pub(crate) const BSN: Ctx = Ctx(1 << 4);
    pub(crate) const ID: Ctx = Ctx(1 << 5);

    pub(crate) const fn has(self, other: Ctx) -> bool {
        self.0 & other.0 != 0
    }

    const fn with(self, other: Ctx) -> Ctx {
        Ctx(self.0 | other.0)
    }
}

/// Bytes looked at before a candidate. Only text before a candidate counts: what follows
/// may be another finding, which redaction would replace.
pub(crate) const BEFORE: usize = 48;

/// Keywords must start and end a word (the next byte is not a letter), so "tel" does not
/// match "hotel" or "tell"; longer words are listed explicitly (the longest keyword at a
/// position is the one checked).
const KEYWORDS: &[(&str, Ctx)] = &[
    ("phone", Ctx::PHONE),
    ("phones", Ctx::PHONE),
    ("telephone", Ctx::PHONE),
    ("cellphone", Ctx::PHONE),
    ("tel", Ctx::PHONE),
    ("call", Ctx::PHONE),
    ("calling", Ctx::PHONE),
    ("mobile", Ctx::PHONE),
    ("mob", Ctx::PHONE),
    ("cell", Ctx::PHONE),
    ("fax", Ctx::PHONE),
    ("whatsapp", Ctx::PHONE),
    ("sms", Ctx::PHONE),
    ("text me", Ctx::PHONE),
    ("reach me", Ctx::PHONE),
    ("ring", Ctx::PHONE),
    ("contact", Ctx::PHONE),
    ("dial", Ctx::PHONE),
    ("hotline", Ctx::PHONE),
    ("t\u{e9}l", Ctx::PHONE),
    ("t\u{e9}l\u{e9}phone", Ctx::PHONE),
    ("portable", Ctx::PHONE),
    ("appelez", Ctx::PHONE),
    ("appeler", Ctx::PHONE),
    ("joindre", Ctx::PHONE),
    ("telefon", Ctx::PHONE),
    ("telefonnummer", Ctx::PHONE),
    ("handy", Ctx::PHONE),
    ("handynummer", Ctx::PHONE),
    ("rufnummer", Ctx::PHONE),
    ("anrufen", Ctx::PHONE),
    ("erreichbar", Ctx::PHONE),
    ("m\u{f3}vil", Ctx::PHONE),
    ("movil", Ctx::PHONE),
    ("tel\u{e9}fono", Ctx::PHONE),
    ("telefono", Ctx::PHONE),
    ("llamar", Ctx::PHONE),
    ("ll\u{e1}mame", Ctx::PHONE),
    ("llame", Ctx::PHONE),
    ("bel", Ctx::PHONE),
    ("bellen", Ctx::PHONE),
    ("mobiel", Ctx::PHONE),
    ("telefoon", Ctx::PHONE),
    ("telefoonnummer", Ctx::PHONE),
    ("ssn", Ctx::SSN),
    ("social security", Ctx::SSN),
    ("social", Ctx::SSN),
    ("soc sec", Ctx::SSN),
    ("card", Ctx::CARD),
    ("visa", Ctx::CARD),
    ("mastercard", Ctx::CARD),
    ("amex", Ctx::CARD),
    ("credit", Ctx::CARD),
    ("debit", Ctx::CARD),
    ("karte", Ctx::CARD),
    ("kreditkarte", Ctx::CARD),
    ("carte", Ctx::CARD),
    ("tarjeta", Ctx::CARD),
    ("steuer", Ctx::TAX),
    ("steuerid", Ctx::TAX),
    ("steuernummer", Ctx::TAX),
    ("steueridentifikationsnummer", Ctx::TAX),
    ("idnr", Ctx::TAX),
    ("identifikationsnummer", Ctx::TAX),
    ("tax", Ctx::TAX),
    ("bsn", Ctx::BSN),
    ("burgerservicenummer", Ctx::BSN),
    ("sofinummer", Ctx::BSN),
    ("passport", Ctx::ID),
    ("national id", Ctx::ID),
    ("dni", Ctx::ID),
    ("nie", Ctx::ID),
    ("nir", Ctx::ID),
    ("insee", Ctx::ID),
    ("s\u{e9}curit\u{e9} sociale", Ctx::ID),
    ("nino", Ctx::ID),
    ("national insurance", Ctx::ID),
];

/// Compiled keyword matcher; cheap to share.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    ac: AhoCorasick,
}

impl Context {
    pub(crate) fn new() -> Result<Self, aho_corasick::BuildError> {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(KEYWORDS.iter().map(|(k, _)| k))?;
        Ok(Context { ac })
    }

    /// Context kinds whose keywords are whole words within `text[lo..start]` (the caller
    /// picks `lo`, at most `BEFORE` bytes back; `cut` says `lo` is a word boundary whatever
    /// byte precedes it). `end` is the candidate's end.
    pub(crate) fn before(&self, text: &str, lo: usize, cut: bool, start: usize, end: usize) -> Ctx {
        let lo = ceil_boundary(text, lo.min(start));
        let bytes = text.as_bytes();
        let mut ctx = Ctx::default();
        let Some(window) = bytes.get(lo..start) else { return ctx };
        for m in self.ac.find_iter(window) {
            let at = lo + m.start();
            let prev = at.checked_sub(1).and_then(|i| bytes.get(i)).copied();
            // The keyword must end inside the window, before the candidate.
            let next =
                if lo + m.end() < start.min(end) { bytes.get(lo + m.end()).copied() } else { None };
            // Whole word, and not the label of a redaction placeholder like "[PHONE_1]".
            let word_start =
                (cut && at == lo) || prev.is_none_or(|b| !b.is_ascii_alphanumeric() && b != b'[');
            let word_end = next.is_none_or(|b| !b.is_ascii_alphabetic());
            if word_start
                && word_end
                && let Some((_, kind)) = KEYWORDS.get(m.pattern().as_usize())
            {
                ctx = ctx.with(*kind);
            }
        }
        ctx
    }
}

/// Smallest char boundary `>= i`.
pub(crate) fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i.min(text.len())
}

#[cfg(test)]
mod tests;
