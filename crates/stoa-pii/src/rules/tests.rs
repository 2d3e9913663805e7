//! Unit tests for rule helpers: identifier classification, placeholder detection, phone
//! extensions, basic-auth decoding, and that every pattern compiles alone.

use super::*;

#[test]
fn every_rule_pattern_compiles_alone() {
    for rule in Rule::ALL {
        assert!(regex_automata::meta::Regex::new(rule.pattern()).is_ok(), "{rule:?}");
    }
}

#[test]
fn secret_names_by_last_word() {
    let fam = |s: &str| family_of(s.as_bytes());
    assert!(fam("password") == Some(Family::PasswordWord));
    assert!(fam("DB_PASSWORD") == Some(Family::PasswordWord));
    assert!(fam("dbPassword") == Some(Family::PasswordWord));
    assert!(fam("pwd") == Some(Family::Password));
    assert!(fam("api_key") == Some(Family::Generic));
    assert!(fam("apiKey") == Some(Family::Generic));
    assert!(fam("AWS_SECRET_ACCESS_KEY") == Some(Family::Generic));
    assert!(fam("x-api-key") == Some(Family::Generic));
    assert!(fam("access_token") == Some(Family::Generic));
    assert!(fam("max_tokens").is_none());
    assert!(fam("token_count").is_none());
    assert!(fam("public_key").is_none());
    assert!(fam("cache_key").is_none());
    assert!(fam("keyboard").is_none());
    assert!(fam("").is_none());
}

#[test]
fn placeholder_detection() {
    let b = b"see [EMAIL_12] and [NOPE_1] and [PHONE_]";
    assert_eq!(placeholder_end_in(b, 0, 14), Some(14));
    assert_eq!(placeholder_end_in(b, 0, 27), None, "unknown label");
    assert_eq!(placeholder_end_in(b, 0, b.len()), None, "no number");
    assert_eq!(placeholder_end_in(b, 5, 14), None, "window starts inside");
}

#[test]
fn basic_auth_needs_user_colon_password() {
    assert!(basic_credentials(b"dXNlcjpwYXNzd29yZA=="));
    assert!(!basic_credentials(b"aGVsbG8gd29ybGQ="), "no colon");
    assert!(!basic_credentials(b"not*base64"));
}

#[test]
fn extensions() {
    let context = Context::new().unwrap();
    for (text, ext) in [
        ("555-123-4567 ext. 12", " ext. 12"),
        ("555-123-4567 x204", " x204"),
        ("555-123-4567, ext 9", ", ext 9"),
        ("555-123-4567 extension 42", " extension 42"),
        ("555-123-4567 xylophone", ""),
        ("555-123-4567 x1234567", ""),
    ] {
        let env = Env::new(text, &context);
        let end = extension(&env, 12);
        assert_eq!(&text[12..end], ext, "{text}");
    }
}

#[test]
fn placeholder_like_values() {
    for v in ["${API_KEY}", "<token>", "xxxxxxxxxxxx", "********", "YOUR_API_KEY", "{{ secret }}"] {
        assert!(placeholder_like(v.as_bytes()), "{v}");
    }
    assert!(!placeholder_like(b"a8Kd93jLq0Zx7PpWm2"));
    assert!(weak_placeholder(b"Password"));
    assert!(weak_placeholder(b"xxx"));
    assert!(!weak_placeholder(b"hunter22"));
}
