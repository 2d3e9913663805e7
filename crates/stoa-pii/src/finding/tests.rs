//! Unit tests for findings: char offsets and value-free output.

use super::*;

fn f(start: usize, end: usize) -> Finding {
    Finding {
        category: Category::Email,
        kind: Kind::Email,
        start,
        end,
        confidence: Confidence::High,
    }
}

#[test]
fn char_ranges_count_chars_not_bytes() {
    let text = "é a@b.co ü c@d.de";
    let a = text.find("a@").unwrap();
    let c = text.find("c@").unwrap();
    let findings = [f(a, a + 6), f(c, c + 6)];
    assert_eq!(char_ranges(text, &findings), vec![2..8, 11..17]);
    assert_eq!(findings[1].char_range(text), Some(11..17));
    assert_eq!(f(1, 2).char_range(text), None, "not on a char boundary");
}

#[test]
fn char_ranges_tolerate_bad_input() {
    let text = "abc";
    let out = char_ranges(text, &[f(1, 2), f(0, 1), f(2, 99)]);
    assert_eq!(out, vec![1..2, 3..3, 3..3]);
}

#[test]
fn debug_and_json_hold_no_value() {
    let text = "secret@example.com";
    let finding = f(0, text.len());
    let dbg = format!("{finding:?}");
    let json = serde_json::to_string(&finding).unwrap();
    for out in [&dbg, &json] {
        assert!(!out.contains("secret@"), "{out}");
    }
    assert_eq!(
        json,
        r#"{"category":"email","kind":"email","start":0,"end":18,"confidence":"high"}"#
    );
    assert_eq!(finding.range(), 0..18);
    assert_eq!(finding.len(), 18);
    assert!(!finding.is_empty());
}
