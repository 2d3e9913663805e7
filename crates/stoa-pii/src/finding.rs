//! What a scan reports: a category/kind, byte offsets and a confidence — never the matched
//! value. Also converts byte offsets to char offsets for clients that count characters.
//!
//! Constraints: `Finding` is `Copy`, holds no text and its `Debug`/`Serialize` output can be
//! logged or returned to API clients as is.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::category::{Category, Confidence, Kind};

/// One recognized item in a text. `start..end` are byte offsets on char boundaries of the
/// scanned text, with `start < end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Finding {
    pub category: Category,
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    pub confidence: Confidence,
}

impl Finding {
    /// The byte range in the scanned text.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Always false for findings produced by a scan; present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The char (Unicode scalar) range in `text`, the text this finding came from.
    /// `None` if the offsets do not fit `text`. O(start + len): use [`char_ranges`] for many.
    pub fn char_range(&self, text: &str) -> Option<Range<usize>> {
        let head = text.get(..self.start)?;
        let body = text.get(self.start..self.end)?;
        let s = head.chars().count();
        Some(s..s + body.chars().count())
    }
}

/// Char ranges for findings sorted by `start` (as `scan` returns them), in one pass over the
/// text. A finding that does not fit `text` maps to an empty range at the end.
pub fn char_ranges(text: &str, findings: &[Finding]) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(findings.len());
    let mut byte = 0usize;
    let mut chars = 0usize;
    let count_to = |from: usize, to: usize| text.get(from..to).map(|s| s.chars().count());
    for f in findings {
        let mapped = (|| {
            if f.start < byte || f.end < f.start {
                return None;
            }
            let s = chars + count_to(byte, f.start)?;
            let e = s + count_to(f.start, f.end)?;
            Some((s, e))
        })();
        match mapped {
            Some((s, e)) => {
                out.push(s..e);
                byte = f.end;
                chars = e;
            }
            None => {
                let total = text.chars().count();
                out.push(total..total);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
