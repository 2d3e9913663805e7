//! Deterministic generator of PII samples embedded in realistic sentences, per category and
//! locale (US, UK, FR, DE, ES, NL, IT, ...), with a small seeded PRNG.
//!
//! Constraints: values are generated from the formats' public definitions (valid checksums,
//! real numbering-plan shapes, the separators people actually type), not from the scanner's
//! patterns; sentence templates include ones without any helpful keyword.

// Test-data generation: a malformed template or digit is a bug in this file, so panicking
// on it is the right outcome.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use stoa_pii::Category;

/// SplitMix64: tiny, deterministic, good enough for test data.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub(crate) fn pick<'a, T: ?Sized>(&mut self, items: &'a [&'a T]) -> &'a T {
        items[self.range(0, items.len() as u64 - 1) as usize]
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.range(1, 100) <= percent
    }

    pub(crate) fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.range(0, 9) as u8)).collect()
    }

    pub(crate) fn chars_from(&mut self, n: usize, charset: &[u8]) -> String {
        (0..n)
            .map(|_| char::from(charset[self.range(0, charset.len() as u64 - 1) as usize]))
            .collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// One generated example: the full text and the byte range of the planted value.
pub(crate) struct Sample {
    pub(crate) category: Category,
    pub(crate) label: &'static str,
    pub(crate) text: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

fn embed(category: Category, label: &'static str, template: &str, value: &str) -> Sample {
    let at = template.find("{}").expect("template has a slot");
    let mut text = String::with_capacity(template.len() + value.len());
    text.push_str(&template[..at]);
    let start = text.len();
    text.push_str(value);
    let end = text.len();
    text.push_str(&template[at + 2..]);
    Sample { category, label, text, start, end }
}

// ---------------------------------------------------------------- e-mail

const FIRST: &[&str] = &[
    "john", "maria", "li", "olivier", "anna", "jürgen", "sofia", "ahmed", "kate", "pieter",
    "giulia", "noah", "emma", "lucas", "chloe", "jan", "elena", "david", "sara", "tom",
];
const LAST: &[&str] = &[
    "doe", "garcia", "wang", "martin", "schmidt", "rossi", "jansen", "smith", "dubois", "müller",
    "lopez", "brown", "de-vries", "oconnor", "nowak", "kowalski", "silva",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "gmail.com",
    "outlook.com",
    "company.co.uk",
    "web.de",
    "orange.fr",
    "mail.example.org",
    "uni-heidelberg.de",
    "acme-corp.io",
    "telefonica.es",
    "ziggo.nl",
    "hospital.nhs.uk",
    "startup.ai",
    "posteo.de",
    "free.fr",
    "yahoo.es",
    "libero.it",
    "consulting.biz",
    "dept.state.gov",
    "eng.example.net",
];

fn ascii_name(s: &str) -> String {
    s.replace('ü', "ue").replace('ö', "oe").replace('ä', "ae")
}

fn email(r: &mut Rng) -> String {
    // Most providers only allow ASCII; a few addresses keep the accents (RFC 6531).
    let keep_accents = r.chance(3);
    let (f, l) = if keep_accents {
        (r.pick(FIRST).to_string(), r.pick(LAST).to_string())
    } else {
        (ascii_name(r.pick(FIRST)), ascii_name(r.pick(LAST)))
    };
    if r.chance(5) {
        return format!(
            "{}.{}@{}",
            f.to_uppercase(),
            l.to_uppercase(),
            r.pick(DOMAINS).to_uppercase()
        );
    }
    let local = match r.range(0, 7) {
        0 => format!("{f}.{l}"),
        1 => format!("{f}{l}{}", r.range(1, 99)),
        2 => format!("{}{l}", &f[..1]),
        3 => format!("{f}_{l}"),
        4 => format!("{f}+newsletter"),
        5 => format!("{f}.{l}+work"),
        6 => format!("{}.{}", capitalize(&f), capitalize(&l)),
        _ => format!("{f}-{l}"),
    };
    format!("{local}@{}", r.pick(DOMAINS))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const EMAIL_TEMPLATES: &[&str] = &[
    "Please contact {} for details.",
    "Email: {}",
    "Send your CV to {} before Friday.",
    "From: \"Jane\" <{}>",
    "You can write to me at {}, I usually answer within a day.",
    "{\"user\": {\"email\": \"{}\", \"plan\": \"pro\"}}",
    "cc: {}; bcc: finance team",
    "Écrivez-moi à {} si besoin.",
    "Bitte schicken Sie die Unterlagen an {}.",
    "Mi correo es {}",
    "mailto:{}",
    "Forwarding the thread from {} (see below).",
    "user {} changed their password",
    "Reply-To: {}",
    "Stuur het naar {} aub",
    "my address is {}.",
];

// ---------------------------------------------------------------- phone

fn nanp(r: &mut Rng) -> (String, String, String) {
    let area = format!("{}{}", r.range(2, 9), r.digits(2));
    let exch = format!("{}{}", r.range(2, 9), r.digits(2));
    (area, exch, r.digits(4))
}

fn phone(r: &mut Rng) -> (&'static str, String) {
    match r.range(0, 46) {
        0 => {
            let (a, e, l) = nanp(r);
            ("us", format!("({a}) {e}-{l}"))
        }
        1 => {
            let (a, e, l) = nanp(r);
            ("us", format!("{a}-{e}-{l}"))
        }
        2 => {
            let (a, e, l) = nanp(r);
            ("us", format!("{a}.{e}.{l}"))
        }
        3 => {
            let (a, e, l) = nanp(r);
            ("us", format!("+1 {a} {e} {l}"))
        }
        4 => {
            let (a, e, l) = nanp(r);
            ("us", format!("+1-{a}-{e}-{l}"))
        }
        5 => {
            let (a, e, l) = nanp(r);
            ("us", format!("1-{a}-{e}-{l}"))
        }
        6 => {
            let (a, e, l) = nanp(r);
            ("us", format!("({a}) {e}-{l} ext. {}", r.range(10, 9999)))
        }
        7 => ("uk", format!("07{} {}", r.digits(3), r.digits(6))),
        8 => ("uk", format!("+44 7{} {}", r.digits(3), r.digits(6))),
        9 => ("uk", format!("020 {} {}", r.range(3, 8) * 1000 + r.range(0, 999), r.digits(4))),
        10 => ("uk", format!("+44 (0)20 {}{} {}", r.range(3, 8), r.digits(3), r.digits(4))),
        11 => ("uk", format!("0161 {} {}", r.digits(3), r.digits(4))),
        12 => ("uk", format!("+44 161 {} {}", r.digits(3), r.digits(4))),
        13 => {
            let p = ["06", "07"][r.range(0, 1) as usize];
            ("fr", format!("{p} {} {} {} {}", r.digits(2), r.digits(2), r.digits(2), r.digits(2)))
        }
        14 => (
            "fr",
            format!(
                "0{}.{}.{}.{}.{}",
                r.range(1, 5),
                r.digits(2),
                r.digits(2),
                r.digits(2),
                r.digits(2)
            ),
        ),
        15 => {
            ("fr", format!("+33 6 {} {} {} {}", r.digits(2), r.digits(2), r.digits(2), r.digits(2)))
        }
        16 => (
            "fr",
            format!("+33 (0)1 {} {} {} {}", r.digits(2), r.digits(2), r.digits(2), r.digits(2)),
        ),
        17 => ("fr", format!("06{}", r.digits(8))),
        18 => ("de", format!("030 {}", r.digits(8))),
        19 => ("de", format!("0151 {}", r.digits(8))),
        20 => ("de", format!("089/{}", r.digits(7))),
        21 => ("de", format!("+49 30 {}", r.digits(8))),
        22 => ("de", format!("+49 (0)171 {}", r.digits(7))),
        23 => ("de", format!("0171-{}", r.digits(7))),
        24 => {
            ("es", format!("+34 6{} {} {} {}", r.digits(2), r.digits(2), r.digits(2), r.digits(2)))
        }
        25 => ("es", format!("6{} {} {} {}", r.digits(2), r.digits(2), r.digits(2), r.digits(2))),
        26 => ("es", format!("+34 91{} {} {}", r.digits(1), r.digits(3), r.digits(3))),
        27 => ("nl", format!("06-{}", r.digits(8))),
        28 => ("nl", format!("+31 6 {}", r.digits(8))),
        29 => ("nl", format!("020-{}", r.digits(7))),
        30 => {
            let (a, e, l) = nanp(r);
            ("us", format!("{a} {e} {l}"))
        }
        31 => {
            let (a, e, l) = nanp(r);
            ("us", format!("+1 ({a}) {e}-{l}"))
        }
        32 => {
            let (a, e, l) = nanp(r);
            ("us", format!("{a}-{e}-{l} x{}", r.range(100, 999)))
        }
        33 => ("uk", format!("+44 (0) 7{} {} {}", r.digits(3), r.digits(3), r.digits(3))),
        34 => ("de", format!("+49 (0) 30 {} {}", r.digits(4), r.digits(4))),
        35 => ("it", format!("+39 06 {} {}", r.digits(4), r.digits(4))),
        36 => ("it", format!("+39 3{} {} {}", r.digits(2), r.digits(3), r.digits(4))),
        37 => ("be", format!("+32 2 {} {} {}", r.digits(3), r.digits(2), r.digits(2))),
        38 => ("ch", format!("+41 44 {} {} {}", r.digits(3), r.digits(2), r.digits(2))),
        39 => ("ie", format!("+353 87 {} {}", r.digits(3), r.digits(4))),
        // Less tidy ways people type numbers.
        40 => {
            let (a, e, l) = nanp(r);
            ("us", format!("{a} {e}-{l}"))
        }
        41 => {
            let (a, e, l) = nanp(r);
            ("us", format!("+1.{a}.{e}.{l}"))
        }
        42 => ("de", format!("+49-30-{}-{}", r.digits(4), r.digits(4))),
        43 => ("de", format!("(0151) {} {}", r.digits(4), r.digits(4))),
        44 => ("uk", format!("0044 (0)20 {} {}", r.digits(4), r.digits(4))),
        45 => ("fr", format!("06/{}/{}/{}/{}", r.digits(2), r.digits(2), r.digits(2), r.digits(2))),
        _ => ("nl", format!("+31 (0)6-{}", r.digits(8))),
    }
}

const PHONE_TEMPLATES: &[&str] = &[
    "Call me at {} tomorrow.",
    "My number is {}.",
    "Phone: {}",
    "Tel. {}",
    "You can reach the front desk on {} between 9 and 5.",
    "{} (mobile)",
    "Contact: Jane Miller, {}",
    "If the delivery fails, the driver will ring {}.",
    "Vous pouvez me joindre au {}.",
    "Rufen Sie mich unter {} an.",
    "Llámame al {} cuando puedas.",
    "Bel me op {} als het niet lukt.",
    "text me on {} when you land",
    "Mobile {} / office hours only",
    "\"phone\": \"{}\",",
    "I'm on {} after 5pm.",
    "Numéro de portable : {}",
    "Handy: {}",
    "Emergency contact number {}",
    "Tél : {}",
];

// ---------------------------------------------------------------- cards

fn luhn_complete(prefix: &str, len: usize, r: &mut Rng) -> String {
    let mut s = prefix.to_string();
    s.push_str(&r.digits(len - 1 - prefix.len()));
    let mut sum = 0;
    for (i, c) in s.chars().rev().enumerate() {
        let mut d = c.to_digit(10).unwrap();
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    s.push(char::from_digit((10 - sum % 10) % 10, 10).unwrap());
    s
}

fn group(s: &str, sizes: &[usize], sep: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    for (k, &n) in sizes.iter().enumerate() {
        if k > 0 {
            out.push_str(sep);
        }
        out.push_str(&s[i..i + n]);
        i += n;
    }
    out
}

fn card(r: &mut Rng) -> (&'static str, String) {
    let (brand, number) = match r.range(0, 8) {
        0 => ("visa", luhn_complete("4", 16, r)),
        1 => ("visa", luhn_complete("4", [13, 16, 19][r.range(0, 2) as usize], r)),
        2 => ("mastercard", luhn_complete(&format!("5{}", r.range(1, 5)), 16, r)),
        3 => ("mastercard", luhn_complete(&format!("{}", r.range(2221, 2720)), 16, r)),
        4 => ("amex", luhn_complete(["34", "37"][r.range(0, 1) as usize], 15, r)),
        5 => ("discover", luhn_complete("6011", 16, r)),
        6 => ("jcb", luhn_complete(&format!("{}", r.range(3528, 3589)), 16, r)),
        7 => ("diners", luhn_complete("36", 14, r)),
        _ => (
            "maestro",
            luhn_complete(&format!("{}", [5018, 5020, 6304, 6759][r.range(0, 3) as usize]), 16, r),
        ),
    };
    let sizes: &[usize] = match number.len() {
        15 => &[4, 6, 5],
        14 => &[4, 6, 4],
        13 => &[4, 4, 5],
        19 => &[4, 4, 4, 4, 3],
        _ => &[4, 4, 4, 4],
    };
    let formatted = match r.range(0, 9) {
        0..=2 => number,
        3..=5 => group(&number, sizes, " "),
        6..=8 => group(&number, sizes, "-"),
        _ => group(&number, sizes, "."),
    };
    (brand, formatted)
}

const CARD_TEMPLATES: &[&str] = &[
    "Card number: {}",
    "Please charge {} for the renewal.",
    "Paid with {} exp 09/27 cvv on file",
    "{\"card\": \"{}\", \"exp\": \"12/26\"}",
    "my visa is {} thanks",
    "Kreditkarte {} gültig bis 08/27",
    "Numéro de carte : {}",
    "the customer read out {} over the phone",
    "Use {} for the hotel booking.",
    "Tarjeta: {}",
];

// ---------------------------------------------------------------- IBAN

fn iban_check(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let mut rem: u64 = 0;
    for c in rearranged.chars() {
        let v = if c.is_ascii_digit() { c as u64 - '0' as u64 } else { c as u64 - 'A' as u64 + 10 };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    format!("{country}{:02}{bban}", 98 - rem)
}

fn iban(r: &mut Rng) -> (&'static str, String) {
    let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let (cc, bban) = match r.range(0, 9) {
        0 => ("de", iban_check("DE", &r.digits(18))),
        1 => ("gb", iban_check("GB", &format!("{}{}", r.chars_from(4, letters), r.digits(14)))),
        2 => (
            "fr",
            iban_check(
                "FR",
                &format!(
                    "{}{}{}",
                    r.digits(10),
                    r.chars_from(11, ALNUM).to_uppercase(),
                    r.digits(2)
                ),
            ),
        ),
        3 => ("es", iban_check("ES", &r.digits(20))),
        4 => ("nl", iban_check("NL", &format!("{}{}", r.chars_from(4, letters), r.digits(10)))),
        5 => (
            "it",
            iban_check(
                "IT",
                &format!("{}{}{}", r.chars_from(1, letters), r.digits(10), r.digits(12)),
            ),
        ),
        6 => ("be", iban_check("BE", &r.digits(12))),
        7 => ("ch", iban_check("CH", &r.digits(17))),
        8 => ("at", iban_check("AT", &r.digits(16))),
        _ => ("pl", iban_check("PL", &r.digits(24))),
    };
    let mut formatted = if r.chance(60) {
        bban.as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        bban
    };
    if r.chance(4) {
        formatted = formatted.to_lowercase();
    }
    (cc, formatted)
}

const IBAN_TEMPLATES: &[&str] = &[
    "IBAN: {}",
    "Please transfer the deposit to {} by Monday.",
    "Kontoinhaber: M. Weber, IBAN {}, BIC COBADEFFXXX",
    "RIB / IBAN : {}",
    "Bankverbindung {}",
    "Refund account {} (checking)",
    "\"iban\": \"{}\"",
    "Número de cuenta {}",
    "Rekeningnummer {} t.n.v. J. de Vries",
    "wire it to {} please",
];

// ---------------------------------------------------------------- national ids

fn ssn(r: &mut Rng) -> String {
    let area = loop {
        let a = r.range(1, 899);
        if a != 666 {
            break a;
        }
    };
    let (g, s) = (r.range(1, 99), r.range(1, 9999));
    match r.range(0, 9) {
        0 => format!("{area:03} {g:02} {s:04}"),
        1 => format!("{area:03}{g:02}{s:04}"),
        _ => format!("{area:03}-{g:02}-{s:04}"),
    }
}

fn nino(r: &mut Rng) -> String {
    let first = b"ABCEGHJKLMNOPRSTWXYZ";
    let second = b"ABCEGHJKLMNPRSTWXYZ";
    loop {
        let a = r.chars_from(1, first);
        let b = r.chars_from(1, second);
        let pair = format!("{a}{b}");
        if ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&pair.as_str()) {
            continue;
        }
        let d = r.digits(6);
        let s = r.chars_from(1, b"ABCD");
        return if r.chance(50) {
            format!("{pair} {} {} {} {s}", &d[..2], &d[2..4], &d[4..])
        } else {
            format!("{pair}{d}{s}")
        };
    }
}

fn nir(r: &mut Rng) -> String {
    let sex = r.range(1, 2);
    let yy = r.range(0, 99);
    let mm = r.range(1, 12);
    let corsica = r.chance(10);
    let dept = if corsica {
        ["2A", "2B"][r.range(0, 1) as usize].to_string()
    } else {
        format!("{:02}", r.range(1, 95))
    };
    let commune = r.range(1, 999);
    let order = r.range(1, 999);
    let body = format!("{sex}{yy:02}{mm:02}{dept}{commune:03}{order:03}");
    let numeric: u64 = body.replace("2A", "19").replace("2B", "18").parse().unwrap();
    let key = 97 - numeric % 97;
    match r.range(0, 9) {
        0..=5 => format!("{sex} {yy:02} {mm:02} {dept} {commune:03} {order:03} {key:02}"),
        6 => format!("{body} {key:02}"),
        _ => format!("{body}{key:02}"),
    }
}

fn de_tax_id(r: &mut Rng) -> String {
    loop {
        let mut d: Vec<u32> = (0..10).map(|_| r.range(0, 9) as u32).collect();
        if d[0] == 0 {
            continue;
        }
        let mut counts = [0; 10];
        for &x in &d {
            counts[x as usize] += 1;
        }
        let multi = counts.iter().filter(|&&c| c >= 2).count();
        let max = *counts.iter().max().unwrap();
        if multi != 1 || max > 3 {
            continue;
        }
        if max == 3 && d.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]) {
            continue;
        }
        let mut product = 10;
        for &x in &d {
            let mut sum = (x + product) % 10;
            if sum == 0 {
                sum = 10;
            }
            product = (sum * 2) % 11;
        }
        d.push((11 - product) % 10);
        let s: String = d.iter().map(|x| char::from_digit(*x, 10).unwrap()).collect();
        return if r.chance(40) {
            format!("{} {} {} {}", &s[..2], &s[2..5], &s[5..8], &s[8..])
        } else {
            s
        };
    }
}

fn dni_letter(n: u64) -> char {
    b"TRWAGMYFPDXBNJZSQVHLCKE"[(n % 23) as usize] as char
}

fn dni(r: &mut Rng) -> String {
    let n = r.range(0, 99_999_999);
    let sep = if r.chance(30) { "-" } else { "" };
    format!("{n:08}{sep}{}", dni_letter(n))
}

fn nie(r: &mut Rng) -> String {
    let p = r.range(0, 2);
    let n = r.range(0, 9_999_999);
    let letter = dni_letter(p * 10_000_000 + n);
    let prefix = ["X", "Y", "Z"][p as usize];
    if r.chance(30) {
        format!("{prefix}-{n:07}-{letter}")
    } else {
        format!("{prefix}{n:07}{letter}")
    }
}

fn bsn(r: &mut Rng) -> String {
    loop {
        let d: Vec<u64> = (0..8).map(|_| r.range(0, 9)).collect();
        let s: u64 = d.iter().enumerate().map(|(i, x)| (9 - i as u64) * x).sum();
        let last = s % 11;
        if last <= 9 && d[0] != 0 {
            return format!("{}{last}", d.iter().map(|x| x.to_string()).collect::<String>());
        }
    }
}

fn national_id(r: &mut Rng) -> (&'static str, String, &'static [&'static str]) {
    const SSN_T: &[&str] = &[
        "SSN: {}",
        "Social Security Number {} (on file)",
        "applicant ssn {} dob 04/12/1988",
        "My social is {}.",
        "Employee: R. Chen, {}, start date June 3",
    ];
    const NINO_T: &[&str] = &[
        "National Insurance number: {}",
        "NI number {}",
        "Please quote your NINO ({}) on the form.",
        "HMRC ref for {} attached",
    ];
    const NIR_T: &[&str] = &[
        "Numéro de sécurité sociale : {}",
        "N° INSEE {}",
        "NIR {} — carte vitale à jour",
        "Assuré : Mme Dupont, {}",
    ];
    const DE_T: &[&str] = &[
        "Steuer-ID: {}",
        "Steueridentifikationsnummer {}",
        "Meine Steuer-IdNr lautet {}.",
        "IdNr. {} (Lohnsteuer)",
    ];
    const ES_T: &[&str] = &[
        "DNI: {}",
        "NIE {}",
        "Documento de identidad {}",
        "con DNI/NIE {} y domicilio en Madrid",
        "Titular: Ana López ({})",
    ];
    const NL_T: &[&str] = &["BSN: {}", "burgerservicenummer {}", "Mijn BSN is {}."];
    match r.range(0, 6) {
        0 | 1 => ("us_ssn", ssn(r), SSN_T),
        2 => ("uk_nino", nino(r), NINO_T),
        3 => ("fr_nir", nir(r), NIR_T),
        4 => ("de_tax_id", de_tax_id(r), DE_T),
        5 => {
            if r.chance(60) {
                ("es_dni", dni(r), ES_T)
            } else {
                ("es_nie", nie(r), ES_T)
            }
        }
        _ => ("nl_bsn", bsn(r), NL_T),
    }
}

// ---------------------------------------------------------------- IP

fn ip(r: &mut Rng) -> (&'static str, String) {
    match r.range(0, 5) {
        0 => (
            "ipv4",
            format!(
                "{}.{}.{}.{}",
                r.range(1, 223),
                r.range(0, 255),
                r.range(0, 255),
                r.range(1, 254)
            ),
        ),
        1 => ("ipv4", format!("10.{}.{}.{}", r.range(0, 255), r.range(0, 255), r.range(1, 254))),
        2 => ("ipv4", format!("192.168.{}.{}", r.range(0, 255), r.range(1, 254))),
        3 => {
            let g: Vec<String> = (0..8).map(|_| format!("{:x}", r.range(0, 0xffff))).collect();
            ("ipv6", g.join(":"))
        }
        4 => (
            "ipv6",
            format!(
                "2001:db8:{:x}::{:x}:{:x}",
                r.range(1, 0xffff),
                r.range(1, 0xffff),
                r.range(1, 0xffff)
            ),
        ),
        _ => (
            "ipv6",
            format!(
                "fe80::{:x}:{:x}ff:fe{:02x}:{:x}",
                r.range(1, 0xfff),
                r.range(0x10, 0xff),
                r.range(0, 0xff),
                r.range(1, 0xffff)
            ),
        ),
    }
}

const IP_TEMPLATES: &[&str] = &[
    "Failed password for root from {} port 52344 ssh2",
    "client {} connected",
    "The office VPN gateway is {}.",
    "{} - - [01/May/2024:12:30:45 +0000] \"GET /index.html HTTP/1.1\" 200 5120",
    "X-Forwarded-For: {}",
    "blocked suspicious login from {} (geo: unknown)",
    "my home IP is {} if you need to whitelist it",
    "\"remote_addr\": \"{}\",",
    "ping {} returned 4 packets",
    "upstream connect error to {}:8443 (timeout)",
    "listening on [{}]:443",
    "src={} dst=dns-resolver proto=udp",
];

// ---------------------------------------------------------------- secrets

fn jwt(r: &mut Rng) -> String {
    // base64url("{"alg":"HS256","typ":"JWT"}") and a payload starting with '{"'.
    let header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
    let payload = format!("eyJ{}", r.chars_from(60, B64URL));
    format!("{header}.{payload}.{}", r.chars_from(43, B64URL))
}

fn secret(r: &mut Rng) -> (&'static str, String, &'static [&'static str]) {
    const KEY_T: &[&str] = &[
        "export OPENAI_API_KEY={}",
        "here is my key: {} — please keep it safe",
        "I accidentally pasted {} into the chat, can you rotate it?",
        "client = Client(api_key=\"{}\")",
        "`{}`",
        "ANTHROPIC_API_KEY = '{}'",
    ];
    const ASSIGN_T: &[&str] = &["{}"];
    const BEARER_T: &[&str] = &[
        "curl -H \"Authorization: Bearer {}\" https://api.example.com/v1/me",
        "Authorization: Bearer {}",
        "headers = {\"Authorization\": \"Bearer {}\"}",
    ];
    const PEM_T: &[&str] = &["Here is the key file:\n{}\nthanks", "{}", "\"private_key\": \"{}\""];
    match r.range(0, 13) {
        0 => (
            "anthropic",
            format!("sk-ant-api03-{}-{}AA", r.chars_from(86, B64URL), r.chars_from(6, ALNUM)),
            KEY_T,
        ),
        1 => ("openai", format!("sk-proj-{}", r.chars_from(64, B64URL)), KEY_T),
        2 => ("openai", format!("sk-{}", r.chars_from(48, ALNUM)), KEY_T),
        3 => ("google", format!("AIza{}", r.chars_from(35, B64URL)), KEY_T),
        4 => ("aws", format!("AKIA{}", r.chars_from(16, UPPER_DIGITS)), KEY_T),
        5 => ("github", format!("ghp_{}", r.chars_from(36, ALNUM)), KEY_T),
        6 => {
            if r.chance(50) {
                (
                    "slack",
                    format!("xoxb-{}-{}-{}", r.digits(12), r.digits(13), r.chars_from(24, ALNUM)),
                    KEY_T,
                )
            } else {
                (
                    "github",
                    format!("github_pat_{}_{}", r.chars_from(22, ALNUM), r.chars_from(59, ALNUM)),
                    KEY_T,
                )
            }
        }
        7 => ("stoa", format!("stoa_sk_{}", r.chars_from(43, B64URL)), KEY_T),
        8 => ("jwt", jwt(r), BEARER_T),
        9 => ("bearer", r.chars_from(40, ALNUM), BEARER_T),
        10 => {
            let body: Vec<String> = (0..6).map(|_| r.chars_from(64, B64)).collect();
            let kind = ["RSA ", "", "EC ", "OPENSSH "][r.range(0, 3) as usize];
            let nl = if r.chance(30) { "\\n" } else { "\n" };
            (
                "pem",
                format!(
                    "-----BEGIN {kind}PRIVATE KEY-----{nl}{}{nl}-----END {kind}PRIVATE KEY-----",
                    body.join(nl)
                ),
                PEM_T,
            )
        }
        11 => {
            // A password assignment; the planted span is the value only (see `Sample`).
            let pw = match r.range(0, 5) {
                0 => "correct-horse-battery-staple".to_string(),
                1 => format!("P@ssw0rd{}", r.range(1, 99)),
                2 => format!("{}{}", r.pick(FIRST).replace('ü', "u"), r.range(1, 99)),
                3 => "Sunshine".to_string(),
                _ => format!(
                    "{}{}{}",
                    capitalize(r.pick(LAST)).replace('ü', "u"),
                    r.range(10, 9999),
                    ["!", "#", "", "?"][r.range(0, 3) as usize]
                ),
            };
            ("password", pw, ASSIGN_T)
        }
        12 => ("assigned", r.chars_from(32, ALNUM), ASSIGN_T),
        _ => ("db_url", format!("{}{}", r.chars_from(12, ALNUM), r.range(10, 99)), ASSIGN_T),
    }
}

/// Sentences around a password/assigned secret: `(before, after)` with the value between.
fn assignment_frame(label: &str, r: &mut Rng) -> (String, String) {
    let (before, after): (&str, &str) = match label {
        "password" => *r.pick(&[
            &("password=", " "),
            &("DB_PASSWORD=", "\n"),
            &("\"password\": \"", "\","),
            &("my password is ", " but don't tell anyone"),
            &("Passwort: ", ""),
            &("spring.datasource.password: ", ""),
            &("pwd = '", "'"),
        ]),
        "db_url" => *r.pick(&[
            &("DATABASE_URL=postgres://app:", "@db.internal:5432/prod"),
            &("mongodb+srv://admin:", "@cluster0.mongodb.net/test"),
            &("redis://:", "@cache.internal:6379/0"),
        ]),
        _ => *r.pick(&[
            &("\"api_key\": \"", "\""),
            &("SECRET_KEY = \"", "\""),
            &("client_secret: ", ""),
            &("x-api-key: ", ""),
            &("aws_secret_access_key = ", ""),
            &("token=", "&page=2"),
        ]),
    };
    (before.to_string(), after.to_string())
}

// ---------------------------------------------------------------- driver

/// `n` samples, cycling through categories; deterministic for a seed.
pub(crate) fn samples(seed: u64, n: usize) -> Vec<Sample> {
    let mut r = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let sample = match i % 7 {
            0 => {
                let v = email(&mut r);
                let t = r.pick(EMAIL_TEMPLATES);
                embed(Category::Email, "email", t, &v)
            }
            1 => {
                let (loc, v) = phone(&mut r);
                let t = r.pick(PHONE_TEMPLATES);
                embed(Category::Phone, loc, t, &v)
            }
            2 => {
                let (brand, v) = card(&mut r);
                let t = r.pick(CARD_TEMPLATES);
                embed(Category::PaymentCard, brand, t, &v)
            }
            3 => {
                let (cc, v) = iban(&mut r);
                let t = r.pick(IBAN_TEMPLATES);
                embed(Category::Iban, cc, t, &v)
            }
            4 => {
                let (kind, v, templates) = national_id(&mut r);
                let t = r.pick(templates);
                embed(Category::NationalId, kind, t, &v)
            }
            5 => {
                let (kind, v) = ip(&mut r);
                let t = r.pick(IP_TEMPLATES);
                embed(Category::IpAddress, kind, t, &v)
            }
            _ => {
                let (kind, v, templates) = secret(&mut r);
                if matches!(kind, "password" | "assigned" | "db_url") {
                    let (before, after) = assignment_frame(kind, &mut r);
                    let template = format!("{before}{{}}{after}");
                    embed(Category::Secret, kind, &template, &v)
                } else {
                    let t = r.pick(templates);
                    embed(Category::Secret, kind, t, &v)
                }
            }
        };
        out.push(sample);
    }
    out
}
