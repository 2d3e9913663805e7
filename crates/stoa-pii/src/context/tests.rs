//! Unit tests for keyword context detection.

use super::*;

fn ctx(text: &str, candidate: &str) -> Ctx {
    let c = Context::new().unwrap();
    let start = text.find(candidate).unwrap();
    let lo = start.saturating_sub(BEFORE);
    c.before(text, lo, false, start, start + candidate.len())
}

#[test]
fn keywords_before_the_candidate_count() {
    assert!(ctx("Phone: 0612345678", "0612345678").has(Ctx::PHONE));
    assert!(ctx("call me on 0612345678", "0612345678").has(Ctx::PHONE));
    assert!(ctx("Téléphone : 0612345678", "0612345678").has(Ctx::PHONE));
    assert!(ctx("my SSN is 123456789", "123456789").has(Ctx::SSN));
    assert!(ctx("Steuer-ID: 86095742719", "86095742719").has(Ctx::TAX));
    assert!(ctx("BSN 123456782", "123456782").has(Ctx::BSN));
}

#[test]
fn keywords_must_be_whole_words() {
    assert!(!ctx("hotel 0612345678", "0612345678").has(Ctx::PHONE));
    assert!(!ctx("tell 0612345678", "0612345678").has(Ctx::PHONE));
    assert!(!ctx("taxi 86095742719", "86095742719").has(Ctx::TAX));
}

#[test]
fn keywords_after_or_far_before_do_not_count() {
    assert!(!ctx("0612345678 (phone)", "0612345678").has(Ctx::PHONE));
    let far = format!("phone {} 0612345678", "x".repeat(60));
    assert!(!ctx(&far, "0612345678").has(Ctx::PHONE));
}

#[test]
fn placeholder_labels_are_not_keywords() {
    assert!(!ctx("[PHONE_1] 0612345678", "0612345678").has(Ctx::PHONE));
    assert!(!ctx("[CARD_2] 4111111111111111", "4111111111111111").has(Ctx::CARD));
}

#[test]
fn a_cut_window_starts_a_word() {
    let c = Context::new().unwrap();
    let text = "xphone 0612345678";
    let start = text.find('0').unwrap();
    assert!(!c.before(text, 1, false, start, text.len()).has(Ctx::PHONE));
    assert!(c.before(text, 1, true, start, text.len()).has(Ctx::PHONE));
}

#[test]
fn ceil_boundary_moves_to_char_starts() {
    let s = "aé";
    assert_eq!(ceil_boundary(s, 2), 3);
    assert_eq!(ceil_boundary(s, 1), 1);
    assert_eq!(ceil_boundary(s, 9), 3);
}
