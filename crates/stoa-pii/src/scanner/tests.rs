//! Unit tests for the scan loop and for each recognizer on hand-picked positive and negative
//! examples.

use super::*;
use crate::category::Kind;

fn found(text: &str) -> Vec<(Kind, &str)> {
    scan(text).iter().map(|f| (f.kind, &text[f.start..f.end])).collect()
}

fn assert_finds(text: &str, kind: Kind, value: &str) {
    let got = found(text);
    assert!(got.contains(&(kind, value)), "expected {kind} {value:?} in {text:?}, got {got:?}");
}

fn assert_clean(text: &str) {
    let got = found(text);
    assert!(got.is_empty(), "expected nothing in {text:?}, got {got:?}");
}

#[test]
fn scanner_is_send_sync_and_debug_has_no_patterns() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Scanner>();
    let dbg = format!("{:?}", Scanner::global());
    assert!(dbg.contains("rules") && !dbg.contains("[0-9]"), "{dbg}");
}

#[test]
fn emails() {
    assert_finds("mail john.doe@example.com now", Kind::Email, "john.doe@example.com");
    assert_finds(
        "<Jane.Roe+tag@Mail.Example.CO.UK>",
        Kind::Email,
        "Jane.Roe+tag@Mail.Example.CO.UK",
    );
    assert_finds("Jürgen.Müller@web.de schrieb", Kind::Email, "Jürgen.Müller@web.de");
    assert_finds("(a_b-c@sub-domain.example.org)", Kind::Email, "a_b-c@sub-domain.example.org");
    assert_clean("logo@2x.png and icon@3x.webp");
    assert_clean("git@github.com:org/repo.git");
    assert_clean("npm i react@18.2.0 @types/node");
    assert_clean("nginx@sha256:0d17b565c37bcbd8");
    assert_clean("john..doe@example.com");
}

#[test]
fn phones_international_and_national() {
    assert_finds("call +44 20 7946 0958 ext. 12 today", Kind::Phone, "+44 20 7946 0958 ext. 12");
    assert_finds("+1 (555) 123-4567", Kind::Phone, "+1 (555) 123-4567");
    assert_finds("tel:+15551234567", Kind::Phone, "+15551234567");
    assert_finds("+33 (0)6 12 34 56 78", Kind::Phone, "+33 (0)6 12 34 56 78");
    assert_finds("0049 30 12345678", Kind::Phone, "0049 30 12345678");
    assert_finds("call (555) 123-4567 now", Kind::Phone, "(555) 123-4567");
    assert_finds("555-123-4567 x204", Kind::Phone, "555-123-4567 x204");
    assert_finds("555.123.4567", Kind::Phone, "555.123.4567");
    assert_finds("06 12 34 56 78", Kind::Phone, "06 12 34 56 78");
    assert_finds("01.23.45.67.89", Kind::Phone, "01.23.45.67.89");
    assert_finds("030 12345678", Kind::Phone, "030 12345678");
    assert_finds("089/1234567", Kind::Phone, "089/1234567");
    assert_finds("07700 900123", Kind::Phone, "07700 900123");
    assert_finds("(020) 7946 0958", Kind::Phone, "(020) 7946 0958");
    assert_finds("0612345678", Kind::Phone, "0612345678");
    assert_finds("612 34 56 78", Kind::Phone, "612 34 56 78");
    assert_finds("phone: 5551234567", Kind::Phone, "5551234567");
    assert_finds("móvil 612 345 678", Kind::Phone, "612 345 678");
}

#[test]
fn phone_look_alikes_are_not_phones() {
    assert_clean("2024-05-01 12:30:45");
    assert_clean("ts=1714559400 and ms 1714559400123");
    assert_clean("dates 01.05.2024 14:02 and 17/05/2024 16:00");
    assert_clean("price $1,234.56, version 1.2.3, v10.0.19045");
    assert_clean("order 4023-1187-2290 and id 100234567");
    assert_clean("sizes 512 256 1024"); // no keyword: a space-separated triple is Low
    assert_clean("550e8400-e29b-41d4-a716-446655440000");
    assert_clean("1 + 2 = 3, +1 vote");
    assert_clean("ISBN 978-3-16-148410-0 and 0-306-40615-2");
}

#[test]
fn cards() {
    assert_finds("card 4111 1111 1111 1111 exp", Kind::PaymentCard, "4111 1111 1111 1111");
    assert_finds("4111-1111-1111-1111", Kind::PaymentCard, "4111-1111-1111-1111");
    assert_finds("amex 3782 822463 10005", Kind::PaymentCard, "3782 822463 10005");
    assert_finds("x 5555555555554444 y", Kind::PaymentCard, "5555555555554444");
    assert_finds("4111 1111 1111 1111 192.168.1.20", Kind::PaymentCard, "4111 1111 1111 1111");
    assert_clean("4111 1111 1111 1112"); // Luhn
    assert_clean("9555 0123 4567 8901"); // not a card, and its groups are not a phone
    assert_clean("4111-1111 1111-1111"); // mixed separators
    assert_clean("1234567890123456"); // no issuer
    assert_clean("order-4111111111111111"); // part of an identifier
    assert_clean("9780131103627"); // ISBN-13
}

#[test]
fn ibans() {
    assert_finds(
        "IBAN DE89 3704 0044 0532 0130 00, thanks",
        Kind::Iban,
        "DE89 3704 0044 0532 0130 00",
    );
    assert_finds("GB82WEST12345698765432", Kind::Iban, "GB82WEST12345698765432");
    assert_finds("BE68 5390 0754 7034 FROM", Kind::Iban, "BE68 5390 0754 7034");
    assert_finds("NL91ABNA0417164300.", Kind::Iban, "NL91ABNA0417164300");
    assert_clean("DE89 3704 0044 0532 0130 01");
    assert_clean("XX89 3704 0044 0532 0130 00");
}

#[test]
fn national_ids() {
    assert_finds("SSN 123-45-6789", Kind::UsSsn, "123-45-6789");
    assert_finds("ssn: 123456789", Kind::UsSsn, "123456789");
    assert_clean("id 123456789");
    assert_clean("666-12-3456 and 900-12-3456 and 123-00-4567 and 123-45-0000");
    assert_finds("NINO AB 12 34 56 C", Kind::UkNino, "AB 12 34 56 C");
    assert_finds("AB123456C", Kind::UkNino, "AB123456C");
    assert_clean("GB123456C BG123456A");
    assert_finds("NIR 1 85 05 78 006 084 91", Kind::FrNir, "1 85 05 78 006 084 91");
    assert_finds("185057800608491", Kind::FrNir, "185057800608491");
    assert_finds("Steuer-ID 86095742719", Kind::DeTaxId, "86095742719");
    assert_finds("IdNr 86 095 742 719", Kind::DeTaxId, "86 095 742 719");
    assert_clean("ref 86095742719"); // valid checksum but no keyword: Low
    assert_finds("DNI 12345678Z", Kind::EsDni, "12345678Z");
    assert_finds("NIE X-1234567-L", Kind::EsNie, "X-1234567-L");
    assert_clean("12345678A X1234567A");
    assert_finds("BSN: 123456782", Kind::NlBsn, "123456782");
    assert_clean("BSN: 123456789");
}

#[test]
fn ip_addresses() {
    assert_finds("from 203.0.113.45 port 22", Kind::Ipv4, "203.0.113.45");
    assert_finds("upstream 10.0.0.12:8080", Kind::Ipv4, "10.0.0.12");
    assert_finds("net 10.1.0.0/16", Kind::Ipv4, "10.1.0.0");
    assert_finds("[2001:db8::1]:443", Kind::Ipv6, "2001:db8::1");
    assert_finds("fe80::1ff:fe23:4567:890a%eth0", Kind::Ipv6, "fe80::1ff:fe23:4567:890a");
    assert_finds("::ffff:192.0.2.128", Kind::Ipv6, "::ffff:192.0.2.128");
    assert_finds(
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        Kind::Ipv6,
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    );
    assert_clean("version 1.2.3.4, v 4.3.2.1, build: 10.0.0.1, app_version=2.1.0.7");
    assert_clean("OID 1.3.6.1.4.1.2021 and 1.2.3.4.5");
    assert_clean("Chrome/124.0.6367.118 and 999.1.1.1 and 01.02.03.04");
    assert_clean("127.0.0.1 0.0.0.0 255.255.255.0 ::1 ::");
    assert_clean("std::io::Result a::b::c dead::beef 12:30:45 00:1a:2b:3c:4d:5e");
}

#[test]
fn secrets() {
    let ant = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    assert_finds(&format!("key {ant} end"), Kind::AnthropicKey, ant);
    let oai = "sk-proj-Ab3dEf6hIj9lMn2pQr5tUv8xYz";
    assert_finds(&format!("OPENAI_API_KEY={oai}"), Kind::OpenaiKey, oai);
    assert_finds("token: q8Zr2LmX0pW7vK3nB5tY", Kind::AssignedSecret, "q8Zr2LmX0pW7vK3nB5tY");
    assert_finds(&format!("use {oai}"), Kind::OpenaiKey, oai);
    assert_finds(
        "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
        Kind::GoogleApiKey,
        "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    );
    assert_finds("id AKIAIOSFODNN7EXAMPLE.", Kind::AwsAccessKeyId, "AKIAIOSFODNN7EXAMPLE");
    let gh = "ghp_aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2";
    assert_finds(gh, Kind::GithubToken, gh);
    assert_finds(
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKl",
        Kind::SlackToken,
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKl",
    );
    let stoa = "stoa_sk_Q2hhbmdlIG1lIHRvIGEgcmFuZG9tIGtleSBwbGVhc2U";
    assert_finds(stoa, Kind::StoaKey, stoa);
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    assert_finds(jwt, Kind::Jwt, jwt);
    assert_finds(
        "Authorization: Bearer abcdef1234567890abcdef",
        Kind::BearerToken,
        "abcdef1234567890abcdef",
    );
    assert_finds(
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        Kind::BasicAuth,
        "dXNlcjpwYXNzd29yZA==",
    );
    assert_finds("postgres://app:s3cr3tPw@db:5432/x", Kind::UrlCredentials, "s3cr3tPw");
    assert_finds("password=hunter22 ok", Kind::AssignedSecret, "hunter22");
    assert_finds("\"api_key\": \"a8Kd93jLq0Zx7PpWm2\"", Kind::AssignedSecret, "a8Kd93jLq0Zx7PpWm2");
    assert_finds("DB_PASSWORD='Tr0ub4dor&3'", Kind::AssignedSecret, "Tr0ub4dor&3");
    assert_finds("my password is Summer2024!", Kind::AssignedSecret, "Summer2024!");
    assert_finds("Passwort: Sunshine", Kind::AssignedSecret, "Sunshine");
    assert_finds("mot de passe : azerty123", Kind::AssignedSecret, "azerty123");
    let pem =
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nq83x\n-----END RSA PRIVATE KEY-----";
    assert_finds(&format!("key:\n{pem}\nthanks"), Kind::PrivateKey, pem);
    assert_finds(
        "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\nkqhkiG9w0B\\n and then",
        Kind::PrivateKey,
        "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\nkqhkiG9w0B",
    );
}

#[test]
fn secret_look_alikes_are_not_secrets() {
    assert_clean("Bearer authentication is described in RFC 6750");
    assert_clean("token_type: \"Bearer\", expires_in: 3600, max_tokens: 4096");
    assert_clean("password: required, password is required, password = getenv(\"PW\")");
    assert_clean("SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]");
    assert_clean("api_key = settings.API_KEY; token = self.next_token()");
    assert_clean("postgres://user:password@localhost/app and redis://:changeme@cache");
    assert_clean("OPENAI_API_KEY=your-api-key-here STRIPE=sk_test_xxxxxxxxxxxxxxxxxxxx");
    assert_clean("idempotency_key: 550e8400-e29b-41d4-a716-446655440000");
    assert_clean("public_key = a8Kd93jLq0Zx7PpWm2a8Kd93");
    assert_clean("--- PASS: TestParse (0.00s)");
    assert_clean("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----");
    assert_clean("sk-learn is a nickname for scikit-learn");
}

#[test]
fn findings_are_sorted_disjoint_and_within_bounds() {
    let text = "a@b.co +44 20 7946 0958 4111111111111111 10.0.0.1 2001:db8::1 password=abc123!";
    let findings = scan(text);
    assert_eq!(findings.len(), 6, "{:?}", found(text));
    for w in findings.windows(2) {
        assert!(w[0].end <= w[1].start);
    }
    assert!(findings.iter().all(|f| f.start < f.end && f.end <= text.len()));
}

#[test]
fn config_filters_categories_and_confidence() {
    let only_email = ScannerConfig {
        categories: CategorySet::empty().with(Category::Email),
        ..ScannerConfig::default()
    };
    let s = Scanner::new(only_email).unwrap();
    let text = "x@y.com 4111111111111111";
    assert_eq!(s.scan(text).len(), 1);
    let low =
        Scanner::new(ScannerConfig { min_confidence: Confidence::Low, ..ScannerConfig::default() })
            .unwrap();
    assert_eq!(low.scan("sizes 512 256 1024").len(), 1, "a Low phone shape");
    assert!(scan("sizes 512 256 1024").is_empty());
    let none = Scanner::new(ScannerConfig {
        categories: CategorySet::empty(),
        ..ScannerConfig::default()
    })
    .unwrap();
    assert!(none.scan(text).is_empty());
}

#[test]
fn a_rejected_candidate_falls_back_to_later_rules_at_the_same_start() {
    // 15 digits: the NIR rule matches first and fails its key; the card rule then validates.
    assert_finds("pay 378282246310005 now", Kind::PaymentCard, "378282246310005");
}

#[test]
fn placeholders_are_never_findings() {
    assert_clean("[EMAIL_1] [PHONE_12] [CARD_3] [IBAN_1] [NATIONAL_ID_2] [IP_1] [SECRET_9]");
    assert_clean("password=[SECRET_1] Bearer [SECRET_2] \"api_key\": \"[SECRET_3]\"");
    assert_clean("https://user:[SECRET_1]@host.example.com/db");
}

#[test]
fn many_pem_headers_without_end_stay_linear() {
    let text = "-----BEGIN PRIVATE KEY----- x ".repeat(5_000);
    let findings = scan(&text);
    assert_eq!(findings.len(), 5_000);
}

#[test]
fn non_ascii_text_keeps_char_boundaries() {
    let text =
        "Téléphone : 06 12 34 56 78 — courriel : élodie.dupré@exemple.fr, 日本 +81 3-1234-5678";
    let findings = scan(text);
    assert_eq!(findings.len(), 3, "{:?}", found(text));
    for f in &findings {
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
    }
}

#[test]
fn pathological_inputs_stay_linear() {
    // Each of these once cost quadratic time (a rejected candidate re-scanned while a long
    // e-mail or identifier prefix stayed alive) or many fallback queries. 20 KB each; a
    // regression shows up as a test that takes minutes in debug builds.
    let cases = [
        "1.2.3.".repeat(3_400),
        "1.2.3.4.5.6.7.8.9.".repeat(1_100),
        "ab::cd::12:34::".repeat(1_400),
        "1 2 3 4 5 6 7 8 9 0 ".repeat(1_000),
        "DE89 3704 0044 0532 0130 01 ".repeat(700),
        "4111 1111 1111 1112 ".repeat(1_000),
        "a.".repeat(10_000),
        "+1 +2 +3 +44 ".repeat(1_600),
        "-----BEGIN PRIVATE KEY-----".repeat(740),
        "key=a1b2c3d4e5f6g7h8i9 ".repeat(900),
    ];
    for text in &cases {
        let findings = scan(text);
        assert!(findings.iter().all(|f| f.end <= text.len()));
    }
}
