//! Unit tests for per-category counts.

use super::*;
use crate::scanner::scan;

#[test]
fn counts_and_serializes_non_zero_categories() {
    let s = Summary::from_findings(&scan("a@b.co c@d.co password=abc123! 10.0.0.1"));
    assert_eq!(s.count(Category::Email), 2);
    assert_eq!(s.count(Category::Secret), 1);
    assert_eq!(s.count(Category::Phone), 0);
    assert_eq!(s.total(), 4);
    assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"email":2,"ip_address":1,"secret":1}"#);
    let mut t = Summary::new();
    assert!(t.is_empty());
    assert_eq!(serde_json::to_string(&t).unwrap(), "{}");
    t.merge(&s);
    t.merge(&s);
    assert_eq!(t.count(Category::Email), 4);
    assert_eq!(t.iter().count(), 3);
}
