//! Pure validators for candidate matches: checksums (Luhn, ISO 13616 mod-97, NIR key,
//! ISO 7064 MOD 11,10, DNI/NIE letters, BSN 11-test), structural rules (SSN, NINO, card IIN
//! ranges, IPv4/IPv6, calling codes) and a cheap entropy estimate.
//!
//! Constraints: no allocation, no panics on any input (every index is checked), ASCII only;
//! callers pass the candidate's bytes as found in the text.

use std::net::Ipv6Addr;

/// Up to 40 ASCII digits (or alphanumerics) copied out of a candidate, without separators.
#[derive(Clone, Copy)]
pub(crate) struct Digits {
    buf: [u8; 40],
    len: usize,
}

impl Digits {
    pub(crate) const fn new() -> Self {
        Digits { buf: [0; 40], len: 0 }
    }

    /// Collects the ASCII digits of `s`; `None` if there are more than 40.
    pub(crate) fn of(s: &[u8]) -> Option<Self> {
        let mut d = Digits::new();
        for &b in s {
            if b.is_ascii_digit() && !d.push(b) {
                return None;
            }
        }
        Some(d)
    }

    /// Collects ASCII alphanumerics (upper-cased); `None` if there are more than 40.
    pub(crate) fn alnum_of(s: &[u8]) -> Option<Self> {
        let mut d = Digits::new();
        for &b in s {
            if b.is_ascii_alphanumeric() && !d.push(b.to_ascii_uppercase()) {
                return None;
            }
        }
        Some(d)
    }

    pub(crate) fn push(&mut self, b: u8) -> bool {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = b;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

fn digit(b: u8) -> u32 {
    u32::from(b.wrapping_sub(b'0'))
}

/// Parses an all-digit ASCII slice (at most 9 digits) into a number.
fn number(d: &[u8]) -> Option<u32> {
    if d.is_empty() || d.len() > 9 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0, |acc, &b| acc * 10 + digit(b)))
}

/// Luhn (mod 10) check over ASCII digits.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    if digits.len() < 2 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut sum = 0;
    for (i, &b) in digits.iter().rev().enumerate() {
        let mut d = digit(b);
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// Whether the leading digits are an issuer prefix of a major card network and the length
/// fits that network (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro, Mir).
pub(crate) fn card_brand_ok(digits: &[u8]) -> bool {
    let n = digits.len();
    let prefix = |k: usize| digits.get(..k).and_then(number).unwrap_or(0);
    let (p1, p2, p3, p4) = (prefix(1), prefix(2), prefix(3), prefix(4));
    match p1 {
        4 => matches!(n, 13 | 16 | 19),
        5 => match p2 {
            51..=55 => n == 16,
            50 | 56..=58 => (13..=19).contains(&n), // Maestro
            _ => false,
        },
        2 => (2221..=2720).contains(&p4) && n == 16 || (2200..=2204).contains(&p4) && n >= 16,
        3 => {
            (matches!(p2, 34 | 37) && n == 15)
                || ((300..=305).contains(&p3) || p4 == 3095 || matches!(p2, 36 | 38 | 39))
                    && (14..=19).contains(&n)
                || (3528..=3589).contains(&p4) && (16..=19).contains(&n)
        }
        6 => {
            // Discover (6011, 644-649, 65, and 622126-622925 within UnionPay's 62).
            (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || p2 == 62) && n >= 16
                || matches!(p2, 60 | 63 | 67) && (13..=19).contains(&n) // Maestro et al.
        }
        _ => false,
    }
}

/// IBAN length for a country code (ISO 13616 registry), `None` for unknown countries.
pub(crate) fn iban_length(cc: &[u8]) -> Option<usize> {
    let len = match cc {
        b"NO" => 15,
        b"BE" => 16,
        b"DK" | b"FI" | b"FO" | b"GL" | b"NL" | b"SD" | b"FK" => 18,
        b"MK" | b"SI" => 19,
        b"AT" | b"BA" | b"EE" | b"KZ" | b"LT" | b"LU" | b"XK" | b"MN" => 20,
        b"CH" | b"HR" | b"LI" | b"LV" => 21,
        b"BG" | b"BH" | b"CR" | b"DE" | b"GB" | b"GE" | b"IE" | b"ME" | b"RS" | b"VA" => 22,
        b"AE" | b"GI" | b"IL" | b"IQ" | b"OM" | b"TL" | b"SO" => 23,
        b"AD" | b"CZ" | b"ES" | b"MD" | b"PK" | b"RO" | b"SA" | b"SE" | b"SK" | b"TN" | b"VG" => 24,
        b"LY" | b"ST" => 25,
        b"IS" | b"TR" => 26,
        b"BI" | b"DJ" | b"FR" | b"GR" | b"IT" | b"MC" | b"MR" | b"SM" => 27,
        b"AL" | b"AZ" | b"BY" | b"CY" | b"DO" | b"GT" | b"HU" | b"LB" | b"NI" | b"PL" | b"SV" => 28,
        b"BR" | b"EG" | b"PS" | b"QA" | b"UA" => 29,
        b"JO" | b"KW" | b"MU" | b"YE" => 30,
        b"MT" | b"SC" => 31,
        b"LC" => 32,
        b"RU" => 33,
        _ => return None,
    };
    Some(len)
}

/// ISO 13616 check: upper-case alphanumerics without spaces, known country length, mod 97 == 1.
pub(crate) fn iban_valid(iban: &[u8]) -> bool {
    let (Some(cc), Some(check)) = (iban.get(..2), iban.get(2..4)) else {
        return false;
    };
    if iban_length(cc) != Some(iban.len()) || !check.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let mut rem: u32 = 0;
    for &b in tail.iter().chain(head) {
        match b {
            b'0'..=b'9' => rem = (rem * 10 + digit(b)) % 97,
            b'A'..=b'Z' => rem = (rem * 100 + u32::from(b - b'A') + 10) % 97,
            _ => return false,
        }
    }
    rem == 1
}

/// US SSN rules on 9 digits: area not 000, 666 or 9xx; group not 00; serial not 0000.
pub(crate) fn ssn_valid(d: &[u8]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let (Some(area), Some(group), Some(serial)) =
        (d.get(..3).and_then(number), d.get(3..5).and_then(number), d.get(5..).and_then(number))
    else {
        return false;
    };
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// UK NINO prefix rules (the character classes are enforced by the pattern): the pair must not
/// be one of the never-issued prefixes.
pub(crate) fn nino_prefix_ok(first: u8, second: u8) -> bool {
    let bad_first = b"DFIQUV";
    let bad_second = b"DFIOQUV";
    if bad_first.contains(&first) || bad_second.contains(&second) {
        return false;
    }
    !matches!([first, second], [b'B', b'G'] | [b'G', b'B'] | [b'K', b'N'] | [b'N', b'K'])
        && !matches!([first, second], [b'N', b'T'] | [b'T', b'N'] | [b'Z', b'Z'])
}

/// French NIR: 15 characters (13 + 2-digit key), department may be 2A/2B (Corsica).
/// Checks sex digit, month and the key `97 - (N mod 97)`.
pub(crate) fn nir_valid(s: &[u8]) -> bool {
    if s.len() != 15 {
        return false;
    }
    let Some(&sex) = s.first() else { return false };
    if !matches!(sex, b'1' | b'2' | b'7' | b'8') {
        return false;
    }
    let month = s.get(3..5).and_then(number).unwrap_or(0);
    if !(matches!(month, 1..=12 | 20 | 30..=42 | 50..=99)) {
        return false;
    }
    // Department letters: 2A -> 19, 2B -> 18 for the key computation.
    let mut n: u64 = 0;
    for (i, &b) in s.iter().take(13).enumerate() {
        let d = match (i, b) {
            (_, b'0'..=b'9') => u64::from(b - b'0'),
            (6, b'A') | (6, b'B') => 0,
            _ => return false,
        };
        n = n * 10 + d;
    }
    let dept_letter = s.get(6).copied();
    if let Some(letter @ (b'A' | b'B')) = dept_letter {
        if s.get(5) != Some(&b'2') {
            return false;
        }
        // "2A" was accumulated as department 20; it counts as 19 ("2B" as 18). The two
        // department characters are digits 6 and 7 of 13, so the department weighs 10^6.
        let weight = 1_000_000u64;
        let replaced = if letter == b'A' { 19 } else { 18 };
        n = n - 20 * weight + replaced * weight;
    }
    let Some(key) = s.get(13..15).and_then(number) else { return false };
    let expected = 97 - (n % 97);
    u64::from(key) == expected
}

/// German tax id (Steuer-IdNr): 11 digits, no leading zero, one digit repeated two or three
/// times in the first ten (never three in a row), check digit ISO 7064 MOD 11,10.
pub(crate) fn de_tax_id_valid(d: &[u8]) -> bool {
    if d.len() != 11 || d.first() == Some(&b'0') || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let body = d.get(..10).unwrap_or(&[]);
    let mut counts = [0u8; 10];
    for &b in body {
        if let Some(c) = counts.get_mut(digit(b) as usize) {
            *c += 1;
        }
    }
    let multi = counts.iter().filter(|&&c| c >= 2).count();
    let max = counts.iter().copied().max().unwrap_or(0);
    if multi != 1 || max > 3 {
        return false;
    }
    if max == 3 && body.windows(3).any(|w| w.first() == w.get(1) && w.get(1) == w.get(2)) {
        return false;
    }
    let mut product = 10;
    for &b in body {
        let mut sum = (digit(b) + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = (11 - product) % 10;
    d.get(10).map(|&b| digit(b)) == Some(check)
}

const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// Spanish DNI: 8 digits and the check letter `TRWAGMYFPDXBNJZSQVHLCKE[n % 23]`.
pub(crate) fn es_dni_valid(digits: &[u8], letter: u8) -> bool {
    if digits.len() != 8 {
        return false;
    }
    number(digits).and_then(|n| DNI_LETTERS.get((n % 23) as usize)) == Some(&letter)
}

/// Spanish NIE: X/Y/Z (as 0/1/2), 7 digits and the DNI check letter.
pub(crate) fn es_nie_valid(prefix: u8, digits: &[u8], letter: u8) -> bool {
    let lead = match prefix {
        b'X' => 0,
        b'Y' => 1,
        b'Z' => 2,
        _ => return false,
    };
    if digits.len() != 7 {
        return false;
    }
    number(digits).and_then(|n| DNI_LETTERS.get(((lead * 10_000_000 + n) % 23) as usize))
        == Some(&letter)
}

/// Dutch BSN 11-test: 9 digits, 9*d1 + 8*d2 + ... + 2*d8 - d9 divisible by 11, not all zero.
pub(crate) fn bsn_valid(d: &[u8]) -> bool {
    if d.len() != 9 || !d.iter().all(u8::is_ascii_digit) || d.iter().all(|&b| b == b'0') {
        return false;
    }
    let mut sum: i64 = 0;
    for (i, &b) in d.iter().enumerate() {
        let w = if i == 8 { -1 } else { 9 - i as i64 };
        sum += w * i64::from(digit(b));
    }
    sum % 11 == 0
}

/// Strict dotted-quad: four decimal octets 0..=255 without leading zeros.
pub(crate) fn ipv4_octets(s: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split(|&b| b == b'.');
    for slot in &mut out {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || (p.len() > 1 && p.first() == Some(&b'0')) {
            return None;
        }
        let v = number(p)?;
        *slot = u8::try_from(v).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

/// Whether a parsed IPv4 address identifies a host worth reporting: not unspecified (0.x),
/// loopback (127/8), broadcast or a netmask-like 255.x address.
pub(crate) fn ipv4_reportable(o: [u8; 4]) -> bool {
    !matches!(o[0], 0 | 127 | 255)
}

/// IPv6 candidate check: parses with `std::net::Ipv6Addr`, requires at least two hex groups
/// and at least one decimal digit (so code like `abc::def` is not an address), and skips
/// the unspecified and loopback addresses.
pub(crate) fn ipv6_valid(s: &str) -> bool {
    let groups = s.split(':').filter(|g| !g.is_empty()).count();
    if groups < 2 || !s.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    match s.parse::<Ipv6Addr>() {
        Ok(addr) => !addr.is_unspecified() && !addr.is_loopback(),
        Err(_) => false,
    }
}

/// Length of the ITU country calling code at the start of `d`, if it is a plausible one.
pub(crate) fn calling_code_len(d: &[u8]) -> Option<usize> {
    let first = d.first().copied()?;
    let two = d.get(..2).and_then(number);
    match first {
        b'1' | b'7' => Some(1),
        b'0' => None,
        _ => {
            let two = two?;
            match two {
                20
                | 27
                | 30..=34
                | 36
                | 39
                | 40
                | 41
                | 43..=49
                | 51..=58
                | 60..=66
                | 81
                | 82
                | 84
                | 86
                | 90..=95
                | 98 => Some(2),
                _ => (d.len() >= 3).then_some(3),
            }
        }
    }
}

/// Plausible national significant number lengths for a calling code.
pub(crate) fn national_length_range(cc: &[u8]) -> (usize, usize) {
    match cc {
        b"1" | b"7" | b"52" | b"91" => (10, 10),
        b"33" | b"34" | b"31" | b"351" | b"48" | b"41" | b"61" | b"40" | b"27" => (9, 9),
        b"44" => (9, 10),
        b"49" => (6, 12),
        b"39" => (6, 11),
        b"43" => (4, 13),
        b"86" | b"55" => (10, 11),
        b"81" | b"20" | b"32" | b"36" => (8, 10),
        b"45" | b"47" => (8, 8),
        b"353" => (7, 9),
        _ => (6, 12),
    }
}

/// Shannon entropy in bits per byte of an ASCII token (0.0 for empty input).
pub(crate) fn entropy(s: &[u8]) -> f32 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u16; 128];
    for &b in s {
        if let Some(c) = counts.get_mut(usize::from(b & 0x7f)) {
            *c = c.saturating_add(1);
        }
    }
    let n = s.len() as f32;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f32::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Character classes present in a token.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Classes {
    pub(crate) lower: bool,
    pub(crate) upper: bool,
    pub(crate) digit: bool,
    pub(crate) symbol: bool,
}

impl Classes {
    pub(crate) fn of(s: &[u8]) -> Self {
        let mut c = Classes::default();
        for &b in s {
            match b {
                b'a'..=b'z' => c.lower = true,
                b'A'..=b'Z' => c.upper = true,
                b'0'..=b'9' => c.digit = true,
                _ => c.symbol = true,
            }
        }
        c
    }

    pub(crate) fn letter(self) -> bool {
        self.lower || self.upper
    }
}

#[cfg(test)]
mod tests;
