//! Unit tests for category names, kinds and confidence ordering.

use super::*;

#[test]
fn names_are_stable_and_round_trip() {
    let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        names,
        ["email", "phone", "payment_card", "iban", "national_id", "ip_address", "secret"]
    );
    for c in Category::ALL {
        assert_eq!(Category::from_name(c.as_str()), Some(c));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, format!("\"{}\"", c.as_str()));
        let back: Category = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert_eq!(Category::ALL[c.index()], c);
    }
    assert_eq!(Category::from_name("ssn"), None);
}

#[test]
fn kinds_serialize_like_as_str() {
    for k in [Kind::UsSsn, Kind::UkNino, Kind::FrNir, Kind::DeTaxId, Kind::EsDni, Kind::Ipv6] {
        assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.as_str()));
        assert_eq!(k.category() == Category::NationalId, k != Kind::Ipv6);
    }
    assert_eq!(Kind::AwsAccessKeyId.category(), Category::Secret);
    assert_eq!(Kind::PaymentCard.category(), Category::PaymentCard);
}

#[test]
fn confidence_is_ordered() {
    assert!(Confidence::Low < Confidence::Medium);
    assert!(Confidence::Medium < Confidence::High);
    assert_eq!(serde_json::to_string(&Confidence::High).unwrap(), "\"high\"");
}

#[test]
fn placeholder_labels_are_unique_and_alphabetic() {
    let mut labels: Vec<&str> = Category::ALL.iter().map(|c| c.placeholder_label()).collect();
    for l in &labels {
        assert!(l.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
    }
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(labels.len(), Category::COUNT);
}
