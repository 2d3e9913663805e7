//! Unit tests for the checksum and structure validators.

use super::*;

#[test]
fn luhn_accepts_known_test_numbers_and_rejects_single_digit_changes() {
    for n in ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"] {
        assert!(luhn(n.as_bytes()), "{n}");
        assert!(card_brand_ok(n.as_bytes()), "{n}");
    }
    assert!(!luhn(b"4111111111111112"));
    assert!(!luhn(b"1"));
    assert!(!luhn(b"41111a1111111111"));
    assert!(luhn(b"0000000000000000"));
    assert!(!card_brand_ok(b"0000000000000000"), "no issuer starts with 0");
}

#[test]
fn card_brands_check_prefix_and_length() {
    assert!(card_brand_ok(b"4222222222222")); // Visa 13
    assert!(!card_brand_ok(b"42222222222222")); // Visa 14
    assert!(card_brand_ok(b"2221000000000009")); // Mastercard 2-series
    assert!(!card_brand_ok(b"2721000000000000"));
    assert!(card_brand_ok(b"36227206271667")); // Diners 14
    assert!(card_brand_ok(b"3530111333300000")); // JCB
    assert!(!card_brand_ok(b"1714559400123")); // a millisecond timestamp
    assert!(!card_brand_ok(b"9780306406157")); // an ISBN-13
}

#[test]
fn iban_mod97_and_lengths() {
    for iban in [
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "ES9121000418450200051332",
        "BE68539007547034",
        "CH9300762011623852957",
        "IT60X0542811101000000123456",
    ] {
        assert!(iban_valid(iban.as_bytes()), "{iban}");
    }
    assert!(!iban_valid(b"DE89370400440532013001"), "check digits");
    assert!(!iban_valid(b"DE8937040044053201300"), "length");
    assert!(!iban_valid(b"XX89370400440532013000"), "unknown country");
    assert!(!iban_valid(b"de89370400440532013000"), "lower case is not accepted here");
    assert_eq!(iban_length(b"NO"), Some(15));
    assert_eq!(iban_length(b"ZZ"), None);
}

#[test]
fn ssn_area_group_serial_rules() {
    assert!(ssn_valid(b"123456789"));
    assert!(ssn_valid(b"536901234"));
    assert!(!ssn_valid(b"000123456"), "area 000");
    assert!(!ssn_valid(b"666123456"), "area 666");
    assert!(!ssn_valid(b"900123456"), "area 9xx");
    assert!(!ssn_valid(b"123004567"), "group 00");
    assert!(!ssn_valid(b"123450000"), "serial 0000");
    assert!(!ssn_valid(b"12345678"), "length");
}

#[test]
fn nino_prefixes() {
    assert!(nino_prefix_ok(b'A', b'B'));
    assert!(nino_prefix_ok(b'J', b'G'));
    for [a, b] in [*b"BG", *b"GB", *b"NK", *b"KN", *b"TN", *b"NT", *b"ZZ", *b"DA", *b"AO"] {
        assert!(!nino_prefix_ok(a, b), "{}{}", a as char, b as char);
    }
}

#[test]
fn nir_key_and_corsica() {
    assert!(nir_valid(b"185057800608491"));
    assert!(!nir_valid(b"185057800608492"), "key");
    assert!(!nir_valid(b"385057800608491"), "sex digit");
    assert!(!nir_valid(b"185137800608491"), "month 13");
    // Corsica: 2A counts as 19, 2B as 18 in the key.
    let n13 = 1_850_519_123_456u64;
    let key = 97 - n13 % 97;
    let s = format!("18505{}123456{:02}", "2A", key);
    assert!(nir_valid(s.as_bytes()), "{s}");
    let n13b = 1_850_518_123_456u64;
    let s = format!("18505{}123456{:02}", "2B", 97 - n13b % 97);
    assert!(nir_valid(s.as_bytes()), "{s}");
    assert!(!nir_valid(b"18505A21234561"), "letter position");
}

#[test]
fn german_tax_id() {
    for id in ["86095742719", "65929970489", "47036892816"] {
        assert!(de_tax_id_valid(id.as_bytes()), "{id}");
    }
    assert!(!de_tax_id_valid(b"86095742718"), "check digit");
    assert!(!de_tax_id_valid(b"12345678903"), "no repeated digit");
    assert!(!de_tax_id_valid(b"06095742719"), "leading zero");
    assert!(!de_tax_id_valid(b"11123456780"), "three in a row");
}

#[test]
fn spanish_dni_and_nie_letters() {
    assert!(es_dni_valid(b"12345678", b'Z'));
    assert!(!es_dni_valid(b"12345678", b'A'));
    assert!(es_dni_valid(b"00000000", b'T'));
    assert!(es_nie_valid(b'X', b"1234567", b'L'));
    assert!(es_nie_valid(b'Y', b"1234567", b'X'));
    assert!(es_nie_valid(b'Z', b"1234567", b'R'));
    assert!(!es_nie_valid(b'X', b"1234567", b'A'));
    assert!(!es_nie_valid(b'W', b"1234567", b'L'));
}

#[test]
fn bsn_eleven_test() {
    assert!(bsn_valid(b"111222333"));
    assert!(bsn_valid(b"123456782"));
    assert!(!bsn_valid(b"123456789"));
    assert!(!bsn_valid(b"000000000"));
}

#[test]
fn ipv4_strict_octets() {
    assert_eq!(ipv4_octets(b"192.168.1.20"), Some([192, 168, 1, 20]));
    assert_eq!(ipv4_octets(b"256.1.1.1"), None);
    assert_eq!(ipv4_octets(b"01.2.3.4"), None, "leading zero");
    assert_eq!(ipv4_octets(b"1.2.3"), None);
    assert_eq!(ipv4_octets(b"1.2.3.4.5"), None);
    assert!(ipv4_reportable([10, 0, 0, 1]));
    assert!(!ipv4_reportable([127, 0, 0, 1]));
    assert!(!ipv4_reportable([0, 0, 0, 0]));
    assert!(!ipv4_reportable([255, 255, 255, 0]));
}

#[test]
fn ipv6_rules() {
    assert!(ipv6_valid("2001:db8::ff00:42:8329"));
    assert!(ipv6_valid("2001:0db8:85a3:0000:0000:8a2e:0370:7334"));
    assert!(ipv6_valid("fe80::1"));
    assert!(ipv6_valid("::ffff:192.0.2.128"));
    assert!(!ipv6_valid("::1"), "loopback");
    assert!(!ipv6_valid("::"), "unspecified");
    assert!(!ipv6_valid("abc::def"), "no decimal digit: looks like code");
    assert!(!ipv6_valid("12:30:45"), "a time");
    assert!(!ipv6_valid("00:1a:2b:3c:4d:5e"), "a MAC address");
}

#[test]
fn calling_codes() {
    assert_eq!(calling_code_len(b"15551234567"), Some(1));
    assert_eq!(calling_code_len(b"447946"), Some(2));
    assert_eq!(calling_code_len(b"33612"), Some(2));
    assert_eq!(calling_code_len(b"353871234567"), Some(3));
    assert_eq!(calling_code_len(b"0123"), None);
    assert_eq!(national_length_range(b"33"), (9, 9));
}

#[test]
fn entropy_and_classes() {
    assert!(entropy(b"aaaaaaaa") < 0.01);
    assert!(entropy(b"a8Kd93jLq0Zx7PpW") > 3.5);
    assert_eq!(entropy(b""), 0.0);
    let c = Classes::of(b"abC1-");
    assert!(c.lower && c.upper && c.digit && c.symbol && c.letter());
    assert!(!Classes::of(b"123").letter());
}

#[test]
fn digits_buffer_caps_length() {
    assert_eq!(Digits::of(b"12-34 5").map(|d| d.len()), Some(5));
    assert!(Digits::of(&[b'1'; 41]).is_none());
    assert_eq!(Digits::alnum_of(b"de89 3704").unwrap().as_bytes(), b"DE893704");
}
