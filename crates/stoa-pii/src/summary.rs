//! Counts of findings per category for audit records and metrics — never values or offsets.
//!
//! Constraints: fixed-size, `Copy`, serializes as a JSON object of non-zero counts keyed by
//! the stable category names (`{"email":2,"secret":1}`).

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::category::Category;
use crate::finding::Finding;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    counts: [u32; Category::COUNT],
}

impl Summary {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_findings(findings: &[Finding]) -> Self {
        let mut s = Summary::new();
        for f in findings {
            s.add(f.category);
        }
        s
    }

    pub fn add(&mut self, category: Category) {
        if let Some(c) = self.counts.get_mut(category.index()) {
            *c = c.saturating_add(1);
        }
    }

    /// Adds another summary's counts (e.g. across the messages of one request).
    pub fn merge(&mut self, other: &Summary) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a = a.saturating_add(b);
        }
    }

    pub fn count(&self, category: Category) -> u32 {
        self.counts.get(category.index()).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// Non-zero counts in category order.
    pub fn iter(&self) -> impl Iterator<Item = (Category, u32)> + '_ {
        Category::ALL.into_iter().map(|c| (c, self.count(c))).filter(|(_, n)| *n > 0)
    }
}

impl Serialize for Summary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.iter().count()))?;
        for (c, n) in self.iter() {
            map.serialize_entry(c.as_str(), &n)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests;
