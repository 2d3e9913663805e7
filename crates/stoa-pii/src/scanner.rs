//! The scanner: all rules compiled into one multi-pattern regex (a lazy DFA, linear time, no
//! backtracking), a single left-to-right pass, and a validator per candidate.
//!
//! Constraints: `Scanner` is built once and shared (`Send + Sync`; the regex keeps a pool of
//! per-thread caches). A scan allocates only its result vector. Candidates are visited in
//! order and each accepted finding resumes the search after its end, so findings are sorted
//! and never overlap. A rejected candidate falls back to the later rules that can match at the
//! same start (anchored searches, filtered by first byte), then the search resumes one char
//! later.

use std::fmt;
use std::sync::LazyLock;

use regex_automata::meta::{self, Regex};
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::{Anchored, Input, MatchKind, PatternID};

use crate::category::{Category, Confidence};
use crate::context::{Context, ceil_boundary};
use crate::finding::Finding;
use crate::redact::{Placeholders, redact_until_clean};
use crate::rules::{self, Env, Rule};

/// A set of categories (a bit set; cheap to copy).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CategorySet(u8);

impl CategorySet {
    pub const fn all() -> Self {
        CategorySet((1 << Category::COUNT) - 1)
    }

    pub const fn empty() -> Self {
        CategorySet(0)
    }

    pub const fn with(self, c: Category) -> Self {
        CategorySet(self.0 | (1 << c.index()))
    }

    pub const fn without(self, c: Category) -> Self {
        CategorySet(self.0 & !(1 << c.index()))
    }

    pub const fn contains(self, c: Category) -> bool {
        self.0 & (1 << c.index()) != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Category> {
        Category::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

impl fmt::Debug for CategorySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<Category> for CategorySet {
    fn from_iter<I: IntoIterator<Item = Category>>(iter: I) -> Self {
        iter.into_iter().fold(CategorySet::empty(), CategorySet::with)
    }
}

/// What a scanner reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScannerConfig {
    /// Categories to report; others are skipped (their candidates still do not hide other
    /// rules' matches).
    pub categories: CategorySet,
    /// Findings below this confidence are dropped. Default `Medium`.
    pub min_confidence: Confidence,
}

impl Default for ScannerConfig {
    fn default() -> Self {
        ScannerConfig { categories: CategorySet::all(), min_confidence: Confidence::Medium }
    }
}

/// Building the scanner failed (the built-in patterns did not compile). Not expected at run
/// time: the default scanner is built in every test run.
#[derive(Debug)]
pub struct BuildError(String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PII scanner build failed: {}", self.0)
    }
}

impl std::error::Error for BuildError {}

/// A compiled PII scanner. Build once (`Scanner::new`, or `Scanner::global()` for the default
/// configuration) and share it across threads.
pub struct Scanner {
    /// All rules, leftmost-first.
    re: Regex,
    context: Context,
    config: ScannerConfig,
}

impl fmt::Debug for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &Rule::ALL.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

static GLOBAL: LazyLock<Scanner> = LazyLock::new(|| match Scanner::new(ScannerConfig::default()) {
    Ok(s) => s,
    // The patterns are constants compiled by every test run; this cannot fail at run time.
    Err(e) => panic!("{e}"),
});

impl Scanner {
    pub fn new(config: ScannerConfig) -> Result<Self, BuildError> {
        let patterns: Vec<&str> = Rule::ALL.iter().map(|r| r.pattern()).collect();
        let re = Regex::builder()
            .configure(
                meta::Config::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .which_captures(WhichCaptures::Implicit)
                    .hybrid_cache_capacity(4 << 20),
            )
            .build_many(&patterns)
            .map_err(|e| BuildError(e.to_string()))?;
        let context = Context::new().map_err(|e| BuildError(e.to_string()))?;
        Ok(Scanner { re, context, config })
    }

    /// The shared scanner with the default configuration, built on first use.
    pub fn global() -> &'static Scanner {
        &GLOBAL
    }

    pub fn config(&self) -> &ScannerConfig {
        &self.config
    }

    /// All findings in `text`, sorted by offset and non-overlapping.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        self.scan_into(text, &mut out);
        out
    }

    /// Like [`Scanner::scan`], appending to `out` (reuse one vector across texts).
    pub fn scan_into(&self, text: &str, out: &mut Vec<Finding>) {
        if self.config.categories.is_empty() {
            return;
        }
        let mut env = Env::new(text, &self.context);
        let mut pos = 0;
        let len = text.len();
        while pos < len {
            let Some(m) = self.re.search(&Input::new(text).span(pos..len)) else { break };
            let start = m.start();
            env.skip_to = None;
            let mut hit = self.accept(rule_of(m.pattern()), &mut env, start, m.end());
            if hit.is_none() {
                let skip = env.skip_to;
                hit = self.fallback(&mut env, m.pattern(), start);
                env.skip_to = skip;
            }
            match hit {
                Some(h) => {
                    out.push(Finding {
                        category: h.kind.category(),
                        kind: h.kind,
                        start: h.start,
                        end: h.end,
                        confidence: h.confidence,
                    });
                    pos = h.end;
                    env.floor = h.end;
                }
                None if rule_of(m.pattern()).is_some_and(Rule::skip_on_reject) => pos = m.end(),
                None => {
                    let next = ceil_boundary(text, start + 1);
                    pos = env.skip_to.map_or(next, |s| ceil_boundary(text, s.max(next)));
                }
            }
        }
    }

    /// Scans `text` and replaces every finding with its placeholder; the output is
    /// guaranteed to scan clean. Returns the redacted text and the findings (offsets in
    /// `text`).
    pub fn scan_and_redact(
        &self,
        text: &str,
        placeholders: &mut Placeholders,
    ) -> (String, Vec<Finding>) {
        let findings = self.scan(text);
        if findings.is_empty() {
            return (text.to_owned(), findings);
        }
        let out = redact_until_clean(self, text, &findings, placeholders, |_| true);
        (out, findings)
    }

    fn accept(
        &self,
        rule: Option<Rule>,
        env: &mut Env<'_>,
        s: usize,
        e: usize,
    ) -> Option<rules::Hit> {
        if inside_placeholder(env.text, s) {
            return None;
        }
        let hit = rules::check(rule?, env, s, e)?;
        let wanted = self.config.categories.contains(hit.kind.category())
            && hit.confidence >= self.config.min_confidence;
        wanted.then_some(hit)
    }

    /// Tries the rules after `rejected` that can start with the candidate's first byte, in
    /// priority order, each with an anchored search at `start`.
    fn fallback(&self, env: &mut Env<'_>, rejected: PatternID, start: usize) -> Option<rules::Hit> {
        let text = env.text;
        let rest = text.as_bytes().get(start..).unwrap_or(&[]);
        let first = *rest.first()?;
        for (i, rule) in Rule::ALL.iter().enumerate().skip(rejected.as_usize() + 1) {
            if !rule.may_start_with(first) || !rule.plausible_at(rest) {
                continue;
            }
            let Ok(pid) = PatternID::new(i) else { continue };
            let input = Input::new(text).span(start..text.len()).anchored(Anchored::Pattern(pid));
            if let Some(m) = self.re.search(&input)
                && let Some(hit) = self.accept(Some(*rule), env, start, m.end())
            {
                return Some(hit);
            }
        }
        None
    }
}

fn rule_of(pid: PatternID) -> Option<Rule> {
    Rule::ALL.get(pid.as_usize()).copied()
}

/// Whether `start` is just inside a redaction placeholder (`[EMAIL_1]` -> at "EMAIL_1]").
/// Candidates starting there are never reported, so redacted text scans clean.
fn inside_placeholder(text: &str, start: usize) -> bool {
    let bytes = text.as_bytes();
    if start == 0 || bytes.get(start - 1) != Some(&b'[') {
        return false;
    }
    let rest = bytes.get(start..).unwrap_or(&[]);
    Category::ALL.iter().any(|c| {
        let label = c.placeholder_label().as_bytes();
        rest.starts_with(label) && rest.get(label.len()) == Some(&b'_')
    })
}

/// Scans `text` with the shared default scanner.
pub fn scan(text: &str) -> Vec<Finding> {
    Scanner::global().scan(text)
}

#[cfg(test)]
mod tests;
