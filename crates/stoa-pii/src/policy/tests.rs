//! Unit tests for modes, overrides and outcomes.

use super::*;

#[test]
fn modes_serialize_snake_case_and_default_off() {
    assert_eq!(serde_json::to_string(&Mode::Redact).unwrap(), "\"redact\"");
    assert_eq!(Mode::default(), Mode::Off);
    let p: Policy = serde_json::from_str(
        r#"{"mode":"redact","overrides":{"secret":"block","ip_address":"off"}}"#,
    )
    .unwrap();
    assert_eq!(p.mode_for(Category::Email), Mode::Redact);
    assert_eq!(p.mode_for(Category::Secret), Mode::Block);
    assert_eq!(p.mode_for(Category::IpAddress), Mode::Off);
    let p: Policy = serde_json::from_str(r#"{"mode":"block"}"#).unwrap();
    assert!(p.overrides.is_empty());
    assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"mode":"block"}"#);
    assert_eq!(Mode::Block.as_str(), "block");
}

#[test]
fn off_policy_is_clean_without_scanning() {
    let p = Policy::new(Mode::Off);
    assert!(p.is_off());
    assert_eq!(p.apply("x@y.com"), Outcome::Clean);
    let p = Policy::new(Mode::Off).with_override(Category::Email, Mode::Redact);
    assert!(!p.is_off());
}

#[test]
fn block_wins_and_lists_only_blocking_findings() {
    let p = Policy::new(Mode::Redact).with_override(Category::Secret, Mode::Block);
    let text = "mail a@b.co, password=hunter22!";
    match p.apply(text) {
        Outcome::Blocked { findings } => {
            assert_eq!(findings.len(), 1);
            assert_eq!(findings[0].category, Category::Secret);
        }
        other => panic!("expected Blocked, got {other:?}"),
    }
    let out = p.apply("just a@b.co");
    assert!(!out.is_blocked());
    assert_eq!(out.text("just a@b.co"), Some("just [EMAIL_1]"));
}

#[test]
fn off_categories_are_left_in_place() {
    let p = Policy::new(Mode::Redact).with_override(Category::IpAddress, Mode::Off);
    let text = "a@b.co from 10.0.0.1";
    let out = p.apply(text);
    assert_eq!(out.text(text), Some("[EMAIL_1] from 10.0.0.1"));
    assert_eq!(out.findings().len(), 1);
    assert_eq!(Policy::new(Mode::Redact).apply("nothing here"), Outcome::Clean);
    assert_eq!(Outcome::Clean.text("t"), Some("t"));
    assert_eq!(Outcome::Blocked { findings: vec![] }.text("t"), None);
}

#[test]
fn placeholders_are_shared_across_messages_of_a_request() {
    let p = Policy::new(Mode::Redact);
    let scanner = Scanner::global();
    let mut ph = Placeholders::new();
    let a = p.apply_with(scanner, "I am bob@x.io", &mut ph);
    let b = p.apply_with(scanner, "write to alice@x.io or bob@x.io", &mut ph);
    assert_eq!(a.text(""), Some("I am [EMAIL_1]"));
    assert_eq!(b.text(""), Some("write to [EMAIL_2] or [EMAIL_1]"));
}
