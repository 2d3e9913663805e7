//! Corpus tests: recall per category and locale on generated PII-in-sentences samples, and
//! false positives on hand-written PII-free technical texts. Prints tables with `eprintln!`
//! (run with `--nocapture` to see them).
//!
//! Constraints: deterministic (fixed seeds), a few thousand samples so the suite stays fast in
//! debug builds. Thresholds: overall recall >= 97%, every category >= 90%, at most 2 false
//! positives over the clean corpus (>= 60 texts).

mod clean;
mod generate;

use std::collections::BTreeMap;

use stoa_pii::{Category, scan};

#[test]
fn recall_per_category_and_locale() {
    let samples = generate::samples(0x5EED_2024, 3500);
    let mut per_cat: BTreeMap<Category, (usize, usize)> = BTreeMap::new();
    let mut per_label: BTreeMap<(Category, &str), (usize, usize)> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    for s in &samples {
        let found = scan(&s.text)
            .iter()
            .any(|f| f.category == s.category && f.start <= s.start && f.end >= s.end);
        let c = per_cat.entry(s.category).or_default();
        c.1 += 1;
        let l = per_label.entry((s.category, s.label)).or_default();
        l.1 += 1;
        if found {
            c.0 += 1;
            l.0 += 1;
        } else if misses.len() < 40 {
            misses.push(format!("{:>12} {:>10}  {:?}", s.category.as_str(), s.label, s.text));
        }
    }
    eprintln!("\n{:<14} {:<10} {:>6} {:>6} {:>8}", "category", "label", "found", "total", "recall");
    for ((cat, label), (found, total)) in &per_label {
        eprintln!(
            "{:<14} {:<10} {:>6} {:>6} {:>7.1}%",
            cat.as_str(),
            label,
            found,
            total,
            100.0 * *found as f64 / *total as f64
        );
    }
    eprintln!("{}", "-".repeat(48));
    let (mut all_found, mut all_total) = (0, 0);
    for (cat, (found, total)) in &per_cat {
        all_found += found;
        all_total += total;
        eprintln!(
            "{:<25} {:>6} {:>6} {:>7.1}%",
            cat.as_str(),
            found,
            total,
            100.0 * *found as f64 / *total as f64
        );
    }
    let overall = all_found as f64 / all_total as f64;
    eprintln!("{:<25} {:>6} {:>6} {:>7.1}%", "OVERALL", all_found, all_total, 100.0 * overall);
    if !misses.is_empty() {
        eprintln!("\nfirst misses:");
        for m in &misses {
            eprintln!("  {m}");
        }
    }
    assert!(overall >= 0.97, "overall recall {overall:.3} < 0.97");
    for (cat, (found, total)) in &per_cat {
        let r = *found as f64 / *total as f64;
        assert!(r >= 0.90, "{} recall {r:.3} < 0.90", cat.as_str());
    }
}

#[test]
fn clean_corpus_has_at_most_two_false_positives() {
    let texts = clean::TEXTS;
    assert!(texts.len() >= 60, "clean corpus has {} texts", texts.len());
    let mut fps = 0;
    for (i, text) in texts.iter().enumerate() {
        for f in scan(text) {
            fps += 1;
            eprintln!(
                "false positive in clean text #{i}: {} ({}) {:?}",
                f.kind,
                f.confidence.as_str(),
                &text[f.start..f.end]
            );
        }
    }
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    eprintln!("clean corpus: {} texts, {bytes} bytes, {fps} false positives", texts.len());
    assert!(fps <= 2, "{fps} false positives in {} clean texts", texts.len());
}
