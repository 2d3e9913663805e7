//! Redaction: replaces findings with typed placeholders (`[EMAIL_1]`, `[PHONE_2]`, ...), the
//! same value getting the same placeholder throughout one request.
//!
//! Constraints: `Placeholders` lives for one request and holds the original values in memory
//! (so a later step could restore them), but its `Debug` prints only counts. Placeholders
//! never match any rule (brackets, upper-case labels, short numbers; candidates starting
//! inside one are ignored, and validators read a finding's end as a placeholder's `]`), so
//! redacted text scans clean and redacting it again is a no-op; `redact_until_clean` rescans
//! to guarantee it even for contrived adjacent values.

use std::collections::HashMap;
use std::fmt::{self, Write as _};

use crate::category::Category;
use crate::finding::Finding;
use crate::scanner::Scanner;

/// Placeholder numbering for one request: share one across all texts of the request so the
/// same value maps to the same placeholder everywhere.
#[derive(Default, Clone)]
pub struct Placeholders {
    /// (category, normalized value) -> number within the category.
    by_value: HashMap<(Category, String), u32>,
    next: [u32; Category::COUNT],
}

impl fmt::Debug for Placeholders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Placeholders");
        for c in Category::ALL {
            let n = self.next.get(c.index()).copied().unwrap_or(0);
            if n > 0 {
                d.field(c.as_str(), &n);
            }
        }
        d.finish()
    }
}

impl Placeholders {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of distinct values seen.
    pub fn len(&self) -> usize {
        self.by_value.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_value.is_empty()
    }

    /// Number of distinct values seen in `category`.
    pub fn count(&self, category: Category) -> u32 {
        self.next.get(category.index()).copied().unwrap_or(0)
    }

    /// The number assigned to `value` in `category`, assigning the next one if new.
    fn number(&mut self, category: Category, value: &str) -> u32 {
        let key = (category, normalize(category, value));
        if let Some(&n) = self.by_value.get(&key) {
            return n;
        }
        let slot = self.next.get_mut(category.index());
        let n = match slot {
            Some(s) => {
                *s += 1;
                *s
            }
            None => 1,
        };
        self.by_value.insert(key, n);
        n
    }

    /// Writes the placeholder for `value` (e.g. `[PHONE_3]`) to `out`.
    pub fn write_placeholder(&mut self, category: Category, value: &str, out: &mut String) {
        let n = self.number(category, value);
        // Writing to a String cannot fail.
        let _ = write!(out, "[{}_{}]", category.placeholder_label(), n);
    }
}

/// The identity of a value for placeholder reuse: phone numbers, cards, IBANs and ids
/// compare by their letters and digits ("+1 (555) 123-4567" == "+1 555.123.4567"), e-mail
/// addresses case-insensitively, everything else exactly.
fn normalize(category: Category, value: &str) -> String {
    match category {
        Category::Phone | Category::PaymentCard | Category::Iban | Category::NationalId => value
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect(),
        Category::Email => value.to_ascii_lowercase(),
        Category::IpAddress | Category::Secret => value.to_owned(),
    }
}

/// Upper bound on rescans in [`redact_until_clean`]; real text needs at most one.
const MAX_ROUNDS: usize = 4;

/// Redacts `findings` (a scan of `text`, already filtered by `keep`), then rescans the output
/// and redacts again until no kept finding remains. A single pass is clean for ordinary
/// text; a rescan matters only for contrived adjacency (a rejected candidate that ran into a
/// value which redaction then replaced). After `MAX_ROUNDS` rescans the rest of the text
/// from the first remaining finding is replaced whole, so the output always scans clean.
pub(crate) fn redact_until_clean(
    scanner: &Scanner,
    text: &str,
    findings: &[Finding],
    placeholders: &mut Placeholders,
    keep: impl Fn(&Finding) -> bool,
) -> String {
    let mut out = redact(text, findings, placeholders);
    let mut more = Vec::new();
    for round in 0.. {
        more.clear();
        scanner.scan_into(&out, &mut more);
        more.retain(&keep);
        let Some(first) = more.first().copied() else { break };
        if round < MAX_ROUNDS {
            out = redact(&out, &more, placeholders);
        } else {
            // Pathological input (never seen outside fuzzing): give up on precision and
            // replace everything from the first remaining finding on. Each such step
            // shortens the unredacted prefix, so the loop ends.
            let tail = Finding { end: out.len(), ..first };
            out = redact(&out, &[tail], placeholders);
        }
    }
    out
}

/// Replaces each finding's span in `text` with its placeholder, in one pass. For output that
/// is guaranteed to scan clean use [`Scanner::scan_and_redact`] or [`crate::Policy`]. `findings` should be the
/// sorted, non-overlapping output of a scan of `text`; findings that overlap an earlier one
/// or do not fit the text are skipped, so this never panics.
pub fn redact(text: &str, findings: &[Finding], placeholders: &mut Placeholders) -> String {
    let mut out = String::with_capacity(text.len() + findings.len() * 4);
    let mut cursor = 0;
    for f in findings {
        if f.start < cursor || f.start >= f.end {
            continue;
        }
        let (Some(before), Some(value)) = (text.get(cursor..f.start), text.get(f.start..f.end))
        else {
            continue;
        };
        out.push_str(before);
        placeholders.write_placeholder(f.category, value, &mut out);
        cursor = f.end;
    }
    out.push_str(text.get(cursor..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests;
