//! The recognizer rules: one regex pattern per rule (compiled together into a single
//! multi-pattern DFA by the scanner), and the code that validates a candidate match of a rule
//! and turns it into a finding span, kind and confidence.
//!
//! Constraints: patterns use the ASCII word boundary `(?-u:\b)` (a Unicode `\b` would make
//! the lazy DFA give up on non-ASCII text) and ASCII classes, except e-mail letters which
//! may be any Unicode letter; every pattern ends at a word boundary or where its own
//! character classes stop, so candidates are found in one forward pass. Validation is pure,
//! allocation-free and bounded (look-behind windows of a few dozen bytes, clipped at the
//! previous finding so redaction cannot change a later decision): it may only shrink a
//! candidate, or extend it over a phone extension or a PEM body.

use crate::category::{Confidence, Kind};
use crate::context::{Context, Ctx};
use crate::validate::{self, Classes, Digits};

/// Shorthand for the ASCII word boundary in patterns.
macro_rules! b {
    () => {
        r"(?-u:\b)"
    };
}

/// One 1-4 digit IPv6 hex group.
macro_rules! g {
    () => {
        "[0-9A-Fa-f]{1,4}"
    };
}

/// A rule: a pattern plus its validation. Order matters: when two rules match at the same
/// start, the earlier one wins (leftmost-first), and a rejected candidate falls back to later
/// rules matching at the same start. E-mail and `name = value` secrets come last: their
/// patterns can stay alive over long runs of word characters, and a higher-priority rule
/// that has matched lets the DFA stop without waiting for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    Pem,
    Anthropic,
    OpenAi,
    Stripe,
    Stoa,
    Google,
    Aws,
    Github,
    Slack,
    HuggingFace,
    Jwt,
    Bearer,
    Basic,
    UrlCredentials,
    Iban,
    Nino,
    Nie,
    Dni,
    Ssn,
    Nir,
    DeTaxIdSpaced,
    CardGrouped,
    DigitRun,
    Ipv4,
    PhoneIntl,
    PhoneUs,
    PhoneNational,
    PhoneEs,
    Ipv6,
    Email,
    Assigned,
}

impl Rule {
    pub(crate) const ALL: [Rule; 31] = [
        Rule::Pem,
        Rule::Anthropic,
        Rule::OpenAi,
        Rule::Stripe,
        Rule::Stoa,
        Rule::Google,
        Rule::Aws,
        Rule::Github,
        Rule::Slack,
        Rule::HuggingFace,
        Rule::Jwt,
        Rule::Bearer,
        Rule::Basic,
        Rule::UrlCredentials,
        Rule::Iban,
        Rule::Nino,
        Rule::Nie,
        Rule::Dni,
        Rule::Ssn,
        Rule::Nir,
        Rule::DeTaxIdSpaced,
        Rule::CardGrouped,
        Rule::DigitRun,
        Rule::Ipv4,
        Rule::PhoneIntl,
        Rule::PhoneUs,
        Rule::PhoneNational,
        Rule::PhoneEs,
        Rule::Ipv6,
        Rule::Email,
        Rule::Assigned,
    ];

    /// Whether a match of this rule can start at byte `b` (used to skip fallback attempts).
    pub(crate) fn may_start_with(self, b: u8) -> bool {
        match self {
            Rule::Pem => b == b'-',
            Rule::Anthropic | Rule::OpenAi | Rule::Stoa => b == b's',
            Rule::Stripe => matches!(b, b'r' | b's'),
            Rule::Google | Rule::Aws => b == b'A',
            Rule::Github => b == b'g',
            Rule::Slack => b == b'x',
            Rule::HuggingFace => b == b'h',
            Rule::Jwt => b == b'e',
            Rule::Bearer => matches!(b, b'b' | b'B'),
            Rule::Basic => matches!(b, b'a' | b'A'),
            Rule::UrlCredentials => b.is_ascii_alphabetic(),
            Rule::Iban | Rule::Nino => b.is_ascii_uppercase(),
            Rule::Nie => matches!(b, b'X' | b'Y' | b'Z'),
            Rule::Dni | Rule::Ssn | Rule::CardGrouped | Rule::DigitRun | Rule::Ipv4 => {
                b.is_ascii_digit()
            }
            Rule::Nir => matches!(b, b'1' | b'2'),
            Rule::DeTaxIdSpaced => matches!(b, b'1'..=b'9'),
            Rule::PhoneIntl => matches!(b, b'+' | b'0'),
            Rule::PhoneUs => matches!(b, b'1'..=b'9' | b'('),
            Rule::PhoneNational => matches!(b, b'0' | b'('),
            Rule::PhoneEs => matches!(b, b'6'..=b'9'),
            Rule::Ipv6 => b.is_ascii_hexdigit() || b == b':',
            Rule::Email => b.is_ascii_alphanumeric() || b >= 0x80,
            Rule::Assigned => b.is_ascii_alphabetic() || b == b'_',
        }
    }

    /// A cheap condition on the text from a candidate's start, checked before a fallback
    /// attempt with this rule: e-mail needs an `@`, assignments a `=` or `:` (the rare
    /// "password is ..." form is only found by the main search).
    pub(crate) fn plausible_at(self, rest: &[u8]) -> bool {
        let window = |n: usize| rest.get(..n.min(rest.len())).unwrap_or(&[]);
        match self {
            Rule::Email => window(66).contains(&b'@'),
            Rule::Assigned => window(80).iter().any(|b| matches!(b, b'=' | b':')),
            _ => true,
        }
    }

    /// Rules whose shape is specific enough that a rejected match (a grouped card number
    /// failing its checksum, a hex-and-colons run that is no address, a bare digit run) is
    /// skipped whole: no other rule can start inside it. (IBAN candidates skip only with a
    /// known country.)
    pub(crate) fn skip_on_reject(self) -> bool {
        matches!(self, Rule::CardGrouped | Rule::Ipv6 | Rule::DigitRun)
    }

    pub(crate) fn pattern(self) -> &'static str {
        match self {
            Rule::Pem => r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
            Rule::Anthropic => concat!(b!(), r"sk-ant-[A-Za-z0-9_-]{20,}"),
            Rule::OpenAi => concat!(b!(), r"sk-[A-Za-z0-9_-]{20,}"),
            Rule::Stripe => concat!(b!(), r"[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),
            Rule::Stoa => concat!(b!(), r"stoa_sk_[A-Za-z0-9_-]{16,}"),
            Rule::Google => concat!(b!(), r"AIza[A-Za-z0-9_-]{30,}"),
            Rule::Aws => concat!(b!(), r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}", b!()),
            Rule::Github => {
                concat!(b!(), r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")
            }
            Rule::Slack => concat!(b!(), r"xox[abposr]-[A-Za-z0-9-]{10,}"),
            Rule::HuggingFace => concat!(b!(), r"hf_[A-Za-z0-9]{30,}"),
            Rule::Jwt => {
                concat!(b!(), r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
            }
            Rule::Bearer => concat!(b!(), r"(?i:bearer)[ \t]+[A-Za-z0-9._~+/-]{12,}=*"),
            Rule::Basic => concat!(
                b!(),
                r#"(?i:authorization)["']?[ \t]*[:=][ \t]*["']?(?i:basic)[ \t]+[A-Za-z0-9+/]{8,}=*"#
            ),
            Rule::UrlCredentials => {
                concat!(
                    b!(),
                    r#"[A-Za-z][A-Za-z0-9+.-]{0,15}://[^\s:/@"'<>\[\]]{0,64}:[^\s/@"'<>\[\]]{1,128}@"#
                )
            }
            Rule::Assigned => concat!(
                b!(),
                r"(?:[A-Za-z_][A-Za-z0-9_.-]{0,40})?",
                r"(?i:pass(?:word|wd|wort|phrase)?|pwd|kennwort|wachtwoord|contrase(?:ñ|n)a|mot de passe|mdp|secret|token|key|credentials?|auth)",
                r"[A-Za-z0-9_]{0,20}",
                r#"["']?[ \t]*(?:=|:|=>|:=|[ \t]is|[ \t]ist|[ \t]est)[ \t]*["']?"#,
                r#"[^\s"'`,;(){}\[\]<>]{6,}"#
            ),
            // Letters may be non-ASCII (RFC 6531 local parts, IDN domains): any non-ASCII char
            // is admitted here (a compact class) and the validator trims punctuation. Lengths
            // are bounded (RFC 5321: 64 for the local part, 63 per label) so a long run of
            // local-part characters cannot keep the DFA busy past a rejected candidate.
            Rule::Email => concat!(
                r"[A-Za-z0-9\x{80}-\x{10FFFF}][A-Za-z0-9\x{80}-\x{10FFFF}._%+-]{0,63}",
                r"@[A-Za-z0-9\x{80}-\x{10FFFF}][A-Za-z0-9\x{80}-\x{10FFFF}-]{0,62}",
                r"(?:\.[A-Za-z0-9\x{80}-\x{10FFFF}][A-Za-z0-9\x{80}-\x{10FFFF}-]{0,62}){0,8}",
                r"\.[A-Za-z]{2,24}",
                b!()
            ),
            Rule::Iban => {
                concat!(
                    b!(),
                    r"[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?",
                    b!()
                )
            }
            Rule::Nino => concat!(
                b!(),
                r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]",
                b!()
            ),
            Rule::Nie => concat!(b!(), r"[XYZ][ -]?[0-9]{7}[ -]?[A-Z]", b!()),
            Rule::Dni => concat!(b!(), r"[0-9]{8}[ -]?[A-Z]", b!()),
            Rule::Ssn => concat!(b!(), r"[0-9]{3}(?:-[0-9]{2}-| [0-9]{2} )[0-9]{4}", b!()),
            Rule::Nir => concat!(
                b!(),
                r"[12] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}",
                b!()
            ),
            Rule::DeTaxIdSpaced => concat!(b!(), r"[1-9][0-9] [0-9]{3} [0-9]{3} [0-9]{3}", b!()),
            Rule::CardGrouped => concat!(b!(), r"[0-9]{4}(?:[ .-][0-9]{3,6}){2,4}", b!()),
            Rule::DigitRun => concat!(b!(), r"[0-9]{9,19}", b!()),
            Rule::Ipv4 => concat!(b!(), r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", b!()),
            Rule::PhoneIntl => concat!(
                r"(?:\+|",
                b!(),
                r"00)[1-9][0-9]{0,3}(?:[ .-]?\([0-9]{1,4}\))?(?:(?:[ .-]|[ ]?/[ ]?)?[0-9]{1,8}){1,8}"
            ),
            Rule::PhoneUs => concat!(
                r"(?:",
                b!(),
                r"1[ .-]?)?(?:\([2-9][0-9]{2}\)[ ]?|",
                b!(),
                r"[2-9][0-9]{2}[ .-])[0-9]{3}[ .-][0-9]{4}",
                b!()
            ),
            Rule::PhoneNational => concat!(
                r"(?:",
                b!(),
                r"0[1-9][0-9]{0,4}(?:[ ./-][0-9]{2,8}){1,5}|\(0[1-9][0-9]{0,4}\)[ ]?[0-9]{2,8}(?:[ .-][0-9]{2,8}){0,4})",
                b!()
            ),
            Rule::PhoneEs => concat!(
                b!(),
                r"[6-9][0-9]{2}(?: [0-9]{2} [0-9]{2} [0-9]{2}| [0-9]{3} [0-9]{3})",
                b!()
            ),
            Rule::Ipv6 => concat!(
                r"(?:(?:",
                b!(),
                g!(),
                r"(?::",
                g!(),
                r"){0,5}|(?-u:\B))::(?:",
                g!(),
                r":){0,5}[0-9]{1,3}(?:\.[0-9]{1,3}){3}",
                r"|",
                b!(),
                g!(),
                r"(?::",
                g!(),
                r"){7}",
                r"|(?:",
                b!(),
                g!(),
                r"(?::",
                g!(),
                r"){0,6}|(?-u:\B))::(?:",
                g!(),
                r"(?::",
                g!(),
                r"){0,6})?)"
            ),
        }
    }
}

/// A validated candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: Kind,
    pub(crate) confidence: Confidence,
}

impl Hit {
    fn new(start: usize, end: usize, kind: Kind, confidence: Confidence) -> Option<Hit> {
        (start < end).then_some(Hit { start, end, kind, confidence })
    }
}

/// Per-scan state shared by validators: the keyword matcher and a memo of where the next PEM
/// END line is, so that many BEGIN lines without END cost linear time in total.
pub(crate) struct Env<'a> {
    pub(crate) text: &'a str,
    pub(crate) context: &'a Context,
    /// End of the previous finding. Validators see the text as it will be after redaction:
    /// the byte before `floor` reads as `]` (a placeholder's end) and no look-behind window
    /// reaches before it, so redacting never changes what is found in the rest of the text.
    pub(crate) floor: usize,
    /// `(searched_from, found_at)`: the first "-----END " at or after `searched_from`.
    pem_end: Option<(usize, Option<usize>)>,
    /// Set by a validator that rejects a candidate inside a longer structure (a dotted
    /// version or OID): where the search may resume.
    pub(crate) skip_to: Option<usize>,
}

impl<'a> Env<'a> {
    pub(crate) fn new(text: &'a str, context: &'a Context) -> Self {
        Env { text, context, floor: 0, pem_end: None, skip_to: None }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.bytes().get(i).copied()
    }

    fn before(&self, i: usize) -> Option<u8> {
        if i == self.floor && i > 0 {
            return Some(b']');
        }
        i.checked_sub(1).and_then(|j| self.byte(j))
    }

    /// Lowest offset a look-behind window ending at `start` may use: not before `lo`, the
    /// previous finding's end, or the end of a placeholder already in the text. The flag
    /// tells whether the window was cut at such an end (a word boundary in redacted text).
    fn window_start(&self, lo: usize, start: usize) -> (usize, bool) {
        let clipped_lo = lo.max(self.floor).min(start);
        match placeholder_end_in(self.bytes(), clipped_lo, start) {
            Some(p) => (p, true),
            None => (clipped_lo, self.floor > 0 && clipped_lo == self.floor),
        }
    }

    fn slice(&self, start: usize, end: usize) -> &'a [u8] {
        self.bytes().get(start..end).unwrap_or(&[])
    }

    fn ctx(&self, start: usize, end: usize) -> Ctx {
        let (lo, cut) = self.window_start(start.saturating_sub(crate::context::BEFORE), start);
        self.context.before(self.text, lo, cut, start, end)
    }

    /// Whether the candidate at `start` is glued to a preceding token: directly after a
    /// letter/digit/underscore/`]`, or after `-`, `.` or `/` that follows one ("ID-123...",
    /// "Chrome/1.2.3.4", UUID or hash segments).
    fn glued_before(&self, start: usize) -> bool {
        match self.before(start) {
            None => false,
            Some(b) if is_glue(b) => true,
            Some(b'-' | b'.' | b'/') => self.before(start - 1).is_some_and(is_glue),
            Some(_) => false,
        }
    }

    /// Whether the candidate ending at `end` continues into a following token (or runs into
    /// a placeholder's `[`).
    fn glued_after(&self, end: usize) -> bool {
        match self.byte(end) {
            None => false,
            Some(b) if is_glue_after(b) => true,
            Some(b'-' | b'.' | b'/') => {
                self.byte(end + 1).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'[')
            }
            Some(_) => false,
        }
    }

    fn glued(&self, start: usize, end: usize) -> bool {
        self.glued_before(start) || self.glued_after(end)
    }

    /// Position of the first "-----END " at or after `from`, memoized across calls.
    fn next_pem_end(&mut self, from: usize) -> Option<usize> {
        if let Some((searched, found)) = self.pem_end
            && searched <= from
            && found.is_none_or(|f| f >= from)
        {
            return found;
        }
        let found = self.text.get(from..).and_then(|t| t.find("-----END ")).map(|i| i + from);
        self.pem_end = Some((from, found));
        found
    }
}

/// End of the last redaction placeholder (`[LABEL_N]`) that lies within `bytes[lo..hi]`.
pub(crate) fn placeholder_end_in(bytes: &[u8], lo: usize, hi: usize) -> Option<usize> {
    let window = bytes.get(lo..hi)?;
    let close = window.iter().rposition(|&b| b == b']')?;
    let inner = window.get(..close)?;
    let open = inner.iter().rposition(|&b| b == b'[')?;
    let body = inner.get(open + 1..)?;
    let underscore = body.iter().rposition(|&b| b == b'_')?;
    let (label, number) = (body.get(..underscore)?, body.get(underscore + 1..)?);
    let is_label =
        crate::category::Category::ALL.iter().any(|c| c.placeholder_label().as_bytes() == label);
    let is_number = !number.is_empty() && number.iter().all(u8::is_ascii_digit);
    (is_label && is_number).then_some(lo + close + 1)
}

/// Bytes that join a preceding token to a candidate; `]` is a placeholder's end.
fn is_glue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b']'
}

/// Bytes that join a candidate to the following token; `[` is a placeholder's start, `@`
/// makes the digits an e-mail local part.
fn is_glue_after(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'[' | b'@')
}

/// Validates a candidate of `rule` at `start..end`.
pub(crate) fn check(rule: Rule, env: &mut Env<'_>, start: usize, end: usize) -> Option<Hit> {
    use Confidence::{High, Low, Medium};
    let m = env.slice(start, end);
    match rule {
        Rule::Pem => pem(env, start, end),
        Rule::Anthropic => {
            let body = m.get(7..)?;
            mixed(body).then_some(())?;
            Hit::new(start, end, Kind::AnthropicKey, High)
        }
        Rule::OpenAi => {
            let body = m.get(3..)?;
            (mixed(body) && validate::entropy(body) >= 3.0).then_some(())?;
            Hit::new(start, end, Kind::OpenaiKey, High)
        }
        Rule::Stripe => keyed(m, 8, start, end, Kind::StripeKey),
        Rule::Stoa => keyed(m, 8, start, end, Kind::StoaKey),
        Rule::Google => keyed(m, 4, start, end, Kind::GoogleApiKey),
        Rule::Aws => keyed(m, 4, start, end, Kind::AwsAccessKeyId),
        Rule::Github => keyed(m, 4, start, end, Kind::GithubToken),
        Rule::Slack => {
            let body = m.get(5..)?;
            Classes::of(body).digit.then_some(())?;
            keyed(m, 5, start, end, Kind::SlackToken)
        }
        Rule::HuggingFace => keyed(m, 3, start, end, Kind::HuggingfaceToken),
        Rule::Jwt => Hit::new(start, end, Kind::Jwt, High),
        Rule::Bearer => {
            let tok =
                start + 6 + m.get(6..)?.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let token = env.slice(tok, end);
            (mixed(token) && !placeholder_like(token)).then_some(())?;
            Hit::new(tok, end, Kind::BearerToken, High)
        }
        Rule::Basic => {
            // The token is the last whitespace-separated word of the match.
            let tok = start + m.iter().rposition(|b| *b == b' ' || *b == b'\t')? + 1;
            basic_credentials(env.slice(tok, end)).then_some(())?;
            Hit::new(tok, end, Kind::BasicAuth, High)
        }
        Rule::UrlCredentials => {
            let scheme_end = start + find(m, b"://")? + 3;
            let colon = scheme_end + env.slice(scheme_end, end).iter().position(|&b| b == b':')?;
            let pass_end = end - 1; // the '@'
            let password = env.slice(colon + 1, pass_end);
            (!weak_placeholder(password) && !placeholder_like(password)).then_some(())?;
            Hit::new(colon + 1, pass_end, Kind::UrlCredentials, High)
        }
        Rule::Assigned => assigned(env, start, end),
        Rule::Email => email(env, start, end),
        Rule::Iban => iban(env, start, end),
        Rule::Nino => {
            let a = Digits::alnum_of(m)?;
            let s = a.as_bytes();
            let (&f, &sd) = (s.first()?, s.get(1)?);
            (s.len() == 9 && validate::nino_prefix_ok(f, sd) && !env.glued(start, end))
                .then_some(())?;
            Hit::new(start, end, Kind::UkNino, High)
        }
        Rule::Nie => {
            let a = Digits::alnum_of(m)?;
            let s = a.as_bytes();
            let ok = s.len() == 9
                && validate::es_nie_valid(*s.first()?, s.get(1..8)?, *s.get(8)?)
                && !env.glued(start, end);
            ok.then_some(())?;
            Hit::new(start, end, Kind::EsNie, High)
        }
        Rule::Dni => {
            let a = Digits::alnum_of(m)?;
            let s = a.as_bytes();
            let ok = s.len() == 9
                && validate::es_dni_valid(s.get(..8)?, *s.get(8)?)
                && !env.glued(start, end);
            ok.then_some(())?;
            Hit::new(start, end, Kind::EsDni, High)
        }
        Rule::Ssn => {
            let d = Digits::of(m)?;
            (validate::ssn_valid(d.as_bytes()) && !env.glued(start, end)).then_some(())?;
            let ctx = env.ctx(start, end).has(Ctx::SSN);
            let conf = if ctx { High } else { Medium };
            Hit::new(start, end, Kind::UsSsn, conf)
        }
        Rule::Nir => {
            let a = Digits::alnum_of(m)?;
            (validate::nir_valid(a.as_bytes()) && !env.glued(start, end)).then_some(())?;
            Hit::new(start, end, Kind::FrNir, High)
        }
        Rule::DeTaxIdSpaced => {
            let d = Digits::of(m)?;
            (validate::de_tax_id_valid(d.as_bytes()) && !env.glued(start, end)).then_some(())?;
            let conf = if env.ctx(start, end).has(Ctx::TAX) { High } else { Medium };
            Hit::new(start, end, Kind::DeTaxId, conf)
        }
        Rule::CardGrouped => {
            if env.glued_before(start) {
                return None;
            }
            let first_sep = m.iter().find(|b| !b.is_ascii_digit()).copied();
            let groups = Groups::of(m)?;
            // The pattern may have taken a following number ("... 1111 192.168.1.20"):
            // try the longest run of groups that is a valid card.
            let mut digits = 0;
            let mut best = None;
            for &(count, g_end) in groups.as_slice() {
                digits += count;
                let part = m.get(..g_end)?;
                let consistent =
                    part.iter().filter(|b| !b.is_ascii_digit()).all(|b| Some(*b) == first_sep);
                if !consistent || digits > 19 {
                    break;
                }
                if digits >= 13 {
                    let d = Digits::of(part)?;
                    if validate::luhn(d.as_bytes())
                        && validate::card_brand_ok(d.as_bytes())
                        && !env.glued_after(start + g_end)
                    {
                        best = Some(start + g_end);
                    }
                }
            }
            Hit::new(start, best?, Kind::PaymentCard, High)
        }
        Rule::DigitRun => digit_run(env, start, end),
        Rule::Ipv4 => ipv4(env, start, end),
        Rule::PhoneIntl => phone_intl(env, start, end),
        Rule::PhoneUs => phone_us(env, start, end),
        Rule::PhoneNational => phone_national(env, start, end),
        Rule::PhoneEs => {
            if env.glued(start, end) {
                return None;
            }
            let ctx = env.ctx(start, end).has(Ctx::PHONE);
            let pairs = m.len() == 12; // "612 34 56 78"
            let conf = match (ctx, pairs) {
                (true, _) => High,
                (false, true) => Medium,
                (false, false) => Low,
            };
            let end = extension(env, end);
            Hit::new(start, end, Kind::Phone, conf)
        }
        Rule::Ipv6 => {
            let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
            let before_ok = env.before(start).is_none_or(|b| !(word(b) || b == b':' || b == b']'));
            let s = env.text.get(start..end)?;
            // A full 8-group address may be followed by a sloppy ":port".
            let port_follows = s.bytes().filter(|b| *b == b':').count() == 7
                && env.byte(end) == Some(b':')
                && env.byte(end + 1).is_some_and(|b| b.is_ascii_digit());
            let after_ok =
                port_follows || env.byte(end).is_none_or(|b| !(word(b) || b == b':' || b == b'['));
            (before_ok && after_ok && validate::ipv6_valid(s)).then_some(())?;
            Hit::new(start, end, Kind::Ipv6, Medium)
        }
    }
}

/// A provider token after its `prefix_len`-byte prefix: random-looking, not a placeholder
/// such as `sk_test_xxxxxxxx` or `ghp_<your token>`.
fn keyed(m: &[u8], prefix_len: usize, start: usize, end: usize, kind: Kind) -> Option<Hit> {
    let body = m.get(prefix_len..)?;
    (!placeholder_like(body) && validate::entropy(body) >= 2.5).then_some(())?;
    Hit::new(start, end, kind, Confidence::High)
}

/// Letters and digits both present.
fn mixed(s: &[u8]) -> bool {
    let c = Classes::of(s);
    c.letter() && c.digit
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Template or documentation stand-ins: `${VAR}`, `<token>`, `xxxx`, `****`, `YOUR_...`.
fn placeholder_like(s: &[u8]) -> bool {
    let lower_has = |needle: &[u8]| {
        s.windows(needle.len())
            .any(|w| w.iter().zip(needle).all(|(a, b)| a.to_ascii_lowercase() == *b))
    };
    matches!(s.first(), Some(b'$' | b'%' | b'{' | b'<' | b'*'))
        || lower_has(b"xxxx")
        || lower_has(b"***")
        || lower_has(b"your_")
        || lower_has(b"your-")
        || lower_has(b"<")
        || lower_has(b"${")
        || lower_has(b"{{")
        || lower_has(b"...")
}

/// Common stand-in passwords in documentation and sample configs.
fn weak_placeholder(s: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"password",
        b"pass",
        b"passwd",
        b"pwd",
        b"secret",
        b"changeme",
        b"example",
        b"placeholder",
        b"redacted",
        b"hidden",
        b"null",
        b"none",
        b"undefined",
        b"required",
        b"optional",
        b"string",
        b"true",
        b"false",
    ];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) || s.iter().all(|&b| b == b'x' || b == b'*')
}

/// Extends a PEM header over its body up to the END line, or over the base64 lines that
/// follow when there is no END line.
fn pem(env: &mut Env<'_>, start: usize, end: usize) -> Option<Hit> {
    if let Some(q) = env.next_pem_end(end) {
        // The END line must close within a line's worth of bytes.
        let tail = env.slice(q + 9, (q + 9 + 80).min(env.text.len()));
        if let Some(close) = find(tail, b"-----") {
            let line = &tail[..close];
            if line.iter().all(|b| b.is_ascii_uppercase() || *b == b' ' || b.is_ascii_digit()) {
                return Hit::new(start, q + 9 + close + 5, Kind::PrivateKey, Confidence::High);
            }
        }
    }
    // No END: take following lines made only of base64 characters (real or escaped newlines).
    let bytes = env.bytes();
    let mut i = end;
    let mut last = end;
    loop {
        let mut j = i;
        loop {
            match (bytes.get(j), bytes.get(j + 1)) {
                (Some(b'\r' | b'\n'), _) => j += 1,
                (Some(b'\\'), Some(b'n' | b'r')) => j += 2,
                _ => break,
            }
        }
        let run = bytes
            .get(j..)
            .unwrap_or(&[])
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            .count();
        if j == i || run == 0 {
            break;
        }
        i = j + run;
        last = i;
    }
    Hit::new(start, last, Kind::PrivateKey, Confidence::High)
}

/// Decodes standard base64 and checks for a `user:password` shape.
fn basic_credentials(token: &[u8]) -> bool {
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut colon = false;
    let mut printable = true;
    let mut len = 0;
    for &b in token {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return false,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let byte = ((acc >> bits) & 0xff) as u8;
            colon |= byte == b':';
            printable &= byte >= 0x20;
            len += 1;
        }
    }
    colon && printable && len >= 3
}

/// `name = value` secrets: the name's last word must be a secret word, the value must look
/// like a real credential (not code, not a template, enough entropy).
fn assigned(env: &Env<'_>, start: usize, end: usize) -> Option<Hit> {
    let m = env.slice(start, end);
    // Separator: the first of = or : (or " is ") after the name.
    let name_len = m
        .iter()
        .position(|b| matches!(b, b'=' | b':' | b'"' | b'\'' | b' ' | b'\t'))
        .unwrap_or(m.len());
    let mut name = m.get(..name_len)?;
    // Multi-word French keyword "mot de passe".
    let lowered_starts =
        |p: &[u8]| m.len() >= p.len() && m.iter().zip(p).all(|(a, b)| a.to_ascii_lowercase() == *b);
    let family = if lowered_starts(b"mot de passe") {
        name = m.get(..12)?;
        Family::PasswordWord
    } else {
        family_of(name)?
    };
    // Value: after the separator and optional quote/space.
    let rest = m.get(name.len()..)?;
    let skip =
        rest.iter().position(|b| !matches!(b, b'=' | b':' | b'>' | b'"' | b'\'' | b' ' | b'\t'))?;
    let mut vstart = start + name.len() + skip;
    // " is " / " ist " / " est ": skip the word and the following blanks.
    let sep = env.slice(start + name.len(), vstart);
    if !sep.iter().any(|b| matches!(b, b'=' | b':')) {
        let word = env.slice(vstart, end);
        let wlen = word.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let after = word.get(wlen..)?;
        let blanks = after.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
        if !matches!(wlen, 2 | 3) || blanks == 0 {
            return None;
        }
        vstart += wlen + blanks;
    }
    let value = env.slice(vstart, end);
    if value.len() < 6 || placeholder_like(value) || weak_placeholder(value) {
        return None;
    }
    let classes = Classes::of(value);
    let code_like = value.iter().all(|b| b.is_ascii_alphabetic() || matches!(b, b'.' | b'_'))
        && (value.contains(&b'.') || value.contains(&b'_'));
    if code_like {
        return None;
    }
    let ok = match family {
        // Not a plain word ("password is required", "PASS: TestParse"): a digit or symbol,
        // or, after an explicit "password", a mixed-case word ("Sunshine").
        Family::Password => classes.digit || classes.symbol,
        Family::PasswordWord => {
            classes.digit
                || classes.symbol
                || (classes.lower && classes.upper && !title_words(value))
        }
        // Generic names ("token", "secret", "key"): a long random-looking value; letters-only
        // values only when upper and lower case are evenly mixed (not CamelCase identifiers).
        Family::Generic => {
            let upper = value.iter().filter(|b| b.is_ascii_uppercase()).count();
            let evenly_mixed = value.len() >= 20
                && (value.len() / 4..=value.len() * 3 / 4).contains(&upper)
                && classes.lower;
            value.len() >= 16
                && classes.letter()
                && (classes.digit || evenly_mixed)
                && validate::entropy(value) >= 3.0
                && !uuid_like(value)
        }
    };
    if !ok {
        return None;
    }
    let kind = token_kind(value).unwrap_or(Kind::AssignedSecret);
    Hit::new(vstart, end, kind, Confidence::High)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Short or ambiguous password names ("pass", "pwd", "mdp").
    Password,
    /// Explicit password words ("password", "Passwort", "passphrase", "mot de passe").
    PasswordWord,
    Generic,
}

/// "Required", "NotSet": one capital letter at the start of each word, as UI labels and
/// identifiers are written; real passwords rarely are, except a single capitalized word.
fn title_words(v: &[u8]) -> bool {
    let upper = v.iter().filter(|b| b.is_ascii_uppercase()).count();
    upper >= 2 && v.first().is_some_and(u8::is_ascii_uppercase)
}

/// Splits an identifier into words (on `_`, `-`, `.` and lower-to-upper camel humps) and
/// classifies it by its last word. Generic words ("key", "token") are refused after
/// qualifiers that make them non-secret ("public_key", "max_tokens", "cache_key").
fn family_of(name: &[u8]) -> Option<Family> {
    let mut words: [(usize, usize); 2] = [(0, 0); 2];
    let mut count = 0usize;
    let mut ws = 0usize;
    for i in 0..=name.len() {
        let boundary = match (name.get(i.wrapping_sub(1)), name.get(i)) {
            (_, None) => true,
            (_, Some(b'_' | b'-' | b'.')) => true,
            (Some(p), Some(c)) => p.is_ascii_lowercase() && c.is_ascii_uppercase(),
            _ => false,
        };
        if boundary && i > ws {
            words[0] = words[1];
            words[1] = (ws, i);
            count += 1;
        }
        if boundary {
            ws = if matches!(name.get(i), Some(b'_' | b'-' | b'.')) { i + 1 } else { i };
        }
    }
    if count == 0 {
        return None;
    }
    let word = |(a, b): (usize, usize)| name.get(a..b).unwrap_or(&[]);
    let last = word(words[1]);
    let prev = if count >= 2 { word(words[0]) } else { &[][..] };
    let is = |w: &[u8], list: &[&[u8]]| list.iter().any(|x| x.eq_ignore_ascii_case(w));
    const PASSWORD: &[&[u8]] = &[b"passwd", b"pwd", b"pass", b"mdp"];
    const PASSWORD_WORDS: &[&[u8]] = &[
        b"password",
        b"passphrase",
        b"passwort",
        b"kennwort",
        b"wachtwoord",
        b"contrasena",
        b"contrase\xc3\xb1a",
    ];
    if is(last, PASSWORD_WORDS) {
        return Some(Family::PasswordWord);
    }
    const GENERIC: &[&[u8]] =
        &[b"secret", b"token", b"key", b"apikey", b"credential", b"credentials", b"auth"];
    const NOT_SECRET_QUALIFIERS: &[&[u8]] = &[
        b"public",
        b"max",
        b"min",
        b"total",
        b"input",
        b"output",
        b"prompt",
        b"completion",
        b"num",
        b"next",
        b"page",
        b"continuation",
        b"cursor",
        b"pagination",
        b"sort",
        b"partition",
        b"primary",
        b"foreign",
        b"cache",
        b"idempotency",
        b"object",
        b"s3",
        b"redis",
        b"hash",
        b"row",
        b"index",
        b"lookup",
        b"map",
        b"dict",
        b"routing",
        b"shard",
        b"group",
        b"dedup",
        b"correlation",
        b"unique",
        b"composite",
        b"range",
        b"search",
        b"storage",
        b"bucket",
        b"translation",
        b"i18n",
        b"message",
        b"count",
        b"sync",
        b"id",
        b"type",
        b"kind",
        b"name",
        b"field",
        b"column",
        b"table",
        b"ssh",
        b"gpg",
        b"pgp",
        b"license",
    ];
    if is(last, PASSWORD) {
        return Some(Family::Password);
    }
    if is(last, GENERIC) && !is(prev, NOT_SECRET_QUALIFIERS) {
        return Some(Family::Generic);
    }
    None
}

fn uuid_like(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) { *b == b'-' } else { b.is_ascii_hexdigit() }
        })
}

/// Refines the kind of an assigned value that is itself a known provider token.
fn token_kind(v: &[u8]) -> Option<Kind> {
    let starts = |p: &[u8]| v.starts_with(p);
    Some(if starts(b"sk-ant-") {
        Kind::AnthropicKey
    } else if starts(b"sk-") {
        Kind::OpenaiKey
    } else if starts(b"stoa_sk_") {
        Kind::StoaKey
    } else if starts(b"AIza") {
        Kind::GoogleApiKey
    } else if starts(b"AKIA") || starts(b"ASIA") {
        Kind::AwsAccessKeyId
    } else if starts(b"ghp_") || starts(b"github_pat_") {
        Kind::GithubToken
    } else if starts(b"xox") {
        Kind::SlackToken
    } else if starts(b"eyJ") {
        Kind::Jwt
    } else {
        return None;
    })
}

const FILE_EXTENSIONS: &[&[u8]] = &[
    b"png", b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"ico", b"bmp", b"js", b"mjs", b"ts", b"css",
    b"map", b"json", b"txt", b"html", b"py", b"rs", b"go", b"java", b"zip", b"gz", b"tar", b"pdf",
    b"lock", b"yaml", b"yml", b"toml", b"xml", b"wasm", b"so", b"dll",
];

fn email(env: &Env<'_>, start: usize, end: usize) -> Option<Hit> {
    // The pattern admits any non-ASCII char; start at the first letter or digit ("«a@b.fr").
    let lead = env.text.get(start..end)?;
    let skip = lead.char_indices().find(|(_, c)| c.is_alphanumeric()).map(|(i, _)| i)?;
    let start = start + skip;
    let m = env.slice(start, end);
    let at = m.iter().position(|&b| b == b'@')?;
    let (local, domain) = (m.get(..at)?, m.get(at + 1..)?);
    if local.len() > 64 || domain.len() > 253 || find(local, b"..").is_some() {
        return None;
    }
    let tld = domain.get(domain.iter().rposition(|&b| b == b'.')? + 1..)?;
    if tld.len() > 48 || FILE_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(tld)) {
        return None;
    }
    // scp-style remotes ("git@github.com:org/repo.git") and URL user-info are not addresses.
    let next = env.byte(end);
    if next == Some(b':') && env.byte(end + 1).is_some_and(|b| !b.is_ascii_whitespace()) {
        return None;
    }
    // The local part must start a token: after a rejected longer candidate the search may
    // resume mid-word, and "20stoa_sk_...@x.com" is not an address.
    let prev_char = env.text.get(..start).and_then(|t| t.chars().next_back());
    let prev_joins = env.before(start) == Some(b']')
        || prev_char.is_some_and(|c| c.is_alphanumeric() || "/@._%+-".contains(c));
    if prev_joins || env.byte(end).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    Hit::new(start, end, Kind::Email, Confidence::High)
}

/// IBANs in either case, with or without 4-character groups. A candidate with a known
/// country that fails its length or check digits is skipped whole (its groups are not
/// phone numbers).
fn iban(env: &mut Env<'_>, start: usize, end: usize) -> Option<Hit> {
    let m = env.slice(start, end);
    let cc = [m.first()?.to_ascii_uppercase(), m.get(1)?.to_ascii_uppercase()];
    let expected = validate::iban_length(&cc)?;
    let mut buf = Digits::new();
    let mut cut = None;
    for (i, &b) in m.iter().enumerate() {
        if b == b' ' {
            continue;
        }
        buf.push(b.to_ascii_uppercase());
        if buf.len() == expected {
            cut = Some(i + 1);
            break;
        }
    }
    // The IBAN must end at the end of a group.
    let valid_end = cut.filter(|&c| matches!(m.get(c), None | Some(b' ')));
    let hit_end = valid_end
        .map(|c| start + c)
        .filter(|&e| validate::iban_valid(buf.as_bytes()) && !env.glued(start, e));
    match hit_end {
        Some(e) => Hit::new(start, e, Kind::Iban, Confidence::High),
        None => {
            env.skip_to = Some(end);
            None
        }
    }
}

/// A bare run of 9 to 19 digits: cards by Luhn and issuer, national ids and phone numbers
/// only with a keyword nearby (or a mobile prefix), since order ids and timestamps look alike.
fn digit_run(env: &Env<'_>, start: usize, end: usize) -> Option<Hit> {
    use Confidence::{High, Low, Medium};
    if env.glued(start, end) {
        return None;
    }
    let d = env.slice(start, end);
    let n = d.len();
    // Keyword context is looked up only once the digits alone allow a finding: most digit
    // runs in logs (timestamps, ids) are rejected before that.
    let ctx = std::cell::OnceCell::new();
    let ctx = || *ctx.get_or_init(|| env.ctx(start, end));
    if (13..=19).contains(&n) {
        if validate::luhn(d) && validate::card_brand_ok(d) {
            let conf = if ctx().has(Ctx::CARD) { High } else { Medium };
            return Hit::new(start, end, Kind::PaymentCard, conf);
        }
        return None;
    }
    let (first, second) = (*d.first()?, *d.get(1)?);
    match n {
        9 if validate::ssn_valid(d) && ctx().has(Ctx::SSN) => {
            return Hit::new(start, end, Kind::UsSsn, High);
        }
        9 if validate::bsn_valid(d) && ctx().has(Ctx::BSN) => {
            return Hit::new(start, end, Kind::NlBsn, High);
        }
        11 if validate::de_tax_id_valid(d) && (ctx().has(Ctx::TAX) || !ctx().has(Ctx::PHONE)) => {
            let conf = if ctx().has(Ctx::TAX) { High } else { Low };
            return Hit::new(start, end, Kind::DeTaxId, conf);
        }
        _ => {}
    }
    let phone = || ctx().has(Ctx::PHONE);
    let conf = match (n, first, second) {
        // Mobile prefixes that are phone numbers on their own.
        (10, b'0', b'6' | b'7') => Medium, // FR/NL mobile
        (11, b'0', b'7') => Medium,        // UK mobile
        (11 | 12, b'0', b'1') if matches!(d.get(2), Some(b'5' | b'6' | b'7')) => Medium, // DE
        // Spanish numbers have no trunk prefix: 9 digits starting 6-9.
        (9, b'6'..=b'9', _) if phone() => High,
        // US/NANP: the area code starts 2-9; or 1 and ten digits.
        (10, b'2'..=b'9', _) if phone() => High,
        (11, b'1', b'2'..=b'9') if phone() => High,
        // Trunk-prefixed national numbers (FR, NL, UK, DE, BE, IT, ...).
        (9..=12, b'0', b'1'..=b'9') if phone() => High,
        _ => return None,
    };
    let conf = if conf == Medium && phone() { High } else { conf };
    Hit::new(start, extension(env, end), Kind::Phone, conf)
}

fn ipv4(env: &mut Env<'_>, start: usize, end: usize) -> Option<Hit> {
    let octets = validate::ipv4_octets(env.slice(start, end))?;
    if !validate::ipv4_reportable(octets) {
        return None;
    }
    // Part of a longer dotted sequence (OIDs, 5-part versions), or glued to a product name.
    let dotted_before = env.before(start) == Some(b'.')
        && env.before(start - 1).is_some_and(|b| b.is_ascii_digit());
    let dotted_after =
        env.byte(end) == Some(b'.') && env.byte(end + 1).is_some_and(|b| b.is_ascii_digit());
    // Followed by a word or a placeholder; "/24" (CIDR) and ":8080" are fine.
    let glued_after = env.byte(end).is_some_and(is_glue_after);
    if dotted_before || dotted_after {
        // No address starts inside "1.3.6.1.4.1.2021" or "1.2.3.4.5": skip the whole run.
        let run = env.slice(start, env.text.len());
        let len = run.iter().take_while(|b| b.is_ascii_digit() || **b == b'.').count();
        env.skip_to = Some(start + len);
        return None;
    }
    if glued_after || env.glued_before(start) {
        return None;
    }
    if version_word_before(env, start) {
        return None;
    }
    Hit::new(start, end, Kind::Ipv4, Confidence::Medium)
}

/// Whether the word right before `start` (skipping blanks, `:`, `=`, quotes) announces a
/// version number: "version 1.2.3.4", "v 10.0.0.1", "build: 4.3.2.1", "app_version=...".
fn version_word_before(env: &Env<'_>, start: usize) -> bool {
    let bytes = env.slice(env.window_start(start.saturating_sub(32), start).0, start);
    let trimmed_len = bytes.len()
        - bytes
            .iter()
            .rev()
            .take_while(|b| matches!(b, b' ' | b'\t' | b':' | b'=' | b'"' | b'\''))
            .count();
    let head = bytes.get(..trimmed_len).unwrap_or(&[]);
    let wlen = head.iter().rev().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
    let word = head.get(trimmed_len - wlen..).unwrap_or(&[]);
    let lower_eq = |w: &[u8]| w.eq_ignore_ascii_case(word);
    let ends_version = word.len() >= 7
        && word.get(word.len() - 7..).is_some_and(|t| t.eq_ignore_ascii_case(b"version"));
    ends_version
        || [
            &b"v"[..],
            b"ver",
            b"version",
            b"release",
            b"rel",
            b"build",
            b"firmware",
            b"fw",
            b"rev",
            b"revision",
            b"patch",
            b"sdk",
            b"update",
        ]
        .iter()
        .any(|w| lower_eq(w))
}

/// Extends a phone number over an extension: " ext. 123", " x123", " #12", ",ext 4".
fn extension(env: &Env<'_>, end: usize) -> usize {
    let rest = env.slice(end, (end + 24).min(env.text.len()));
    let mut i = rest.iter().take_while(|b| matches!(b, b' ' | b',')).count().min(2);
    let word_len = [&b"extension"[..], b"ext.", b"ext", b"x", b"#", b"poste", b"durchwahl"]
        .iter()
        .find(|w| rest.get(i..i + w.len()).is_some_and(|s| s.eq_ignore_ascii_case(w)))
        .map(|w| w.len());
    let Some(word_len) = word_len else { return end };
    i += word_len;
    i += rest.get(i..).unwrap_or(&[]).iter().take_while(|b| **b == b' ').count().min(1);
    let digits = rest.get(i..).unwrap_or(&[]).iter().take_while(|b| b.is_ascii_digit()).count();
    let after = rest.get(i + digits).copied();
    if (1..=6).contains(&digits) && after.is_none_or(|b| !b.is_ascii_alphanumeric()) {
        end + i + digits
    } else {
        end
    }
}

/// Digit groups of a phone candidate: `(digit_count, end_offset)` per group, at most 12.
struct Groups {
    items: [(usize, usize); 12],
    len: usize,
}

impl Groups {
    fn of(m: &[u8]) -> Option<Groups> {
        let mut g = Groups { items: [(0, 0); 12], len: 0 };
        let mut run = 0;
        for (i, &b) in m.iter().enumerate() {
            if b.is_ascii_digit() {
                run += 1;
            } else if run > 0 {
                *g.items.get_mut(g.len)? = (run, i);
                g.len += 1;
                run = 0;
            }
        }
        if run > 0 {
            *g.items.get_mut(g.len)? = (run, m.len());
            g.len += 1;
        }
        Some(g)
    }

    fn as_slice(&self) -> &[(usize, usize)] {
        self.items.get(..self.len).unwrap_or(&[])
    }
}

fn phone_intl(env: &Env<'_>, start: usize, end: usize) -> Option<Hit> {
    if env.before(start).is_some_and(|b| is_glue(b) || b == b'+') {
        return None;
    }
    let m = env.slice(start, end);
    let prefix = if m.first() == Some(&b'+') { 1 } else { 2 };
    let body = m.get(prefix..)?;
    // The calling code is in the first three digits; the pattern may have run on into
    // following numbers, which the group loop below trims.
    let mut lead = Digits::new();
    for &b in body.iter().filter(|b| b.is_ascii_digit()).take(3) {
        lead.push(b);
    }
    let cc_len = validate::calling_code_len(lead.as_bytes())?;
    let cc = lead.as_bytes().get(..cc_len)?;
    let (min, max) = validate::national_length_range(cc);
    // "(0)" trunk markers do not count.
    let trunk_marks = body.windows(3).filter(|w| *w == b"(0)").count();
    let groups = Groups::of(body)?;
    // Longest prefix of groups whose national length fits; allow one stray trunk zero.
    let mut digits = 0;
    let mut best = None;
    for &(count, g_end) in groups.as_slice() {
        digits += count;
        let national = digits.saturating_sub(cc_len + trunk_marks);
        let fits = (min..=max).contains(&national)
            || (national == max + 1 && national_starts_with_zero(body, cc_len, trunk_marks));
        if national > max + 1 {
            break;
        }
        if fits {
            best = Some(g_end);
        }
    }
    let cut = start + prefix + best?;
    if env.glued_after(cut) && extension(env, cut) == cut {
        return None;
    }
    let end = extension(env, cut);
    if env.glued_after(end) {
        return None;
    }
    Hit::new(start, end, Kind::Phone, Confidence::High)
}

fn national_starts_with_zero(body: &[u8], cc_len: usize, trunk_marks: usize) -> bool {
    trunk_marks == 0 && body.iter().filter(|b| b.is_ascii_digit()).nth(cc_len) == Some(&b'0')
}

fn phone_us(env: &Env<'_>, start: usize, end: usize) -> Option<Hit> {
    use Confidence::{High, Low, Medium};
    let m = env.slice(start, end);
    if env.glued_before(start) || env.before(start) == Some(b'+') {
        return None;
    }
    // Separators after the area code and after the exchange.
    let paren = m.contains(&b'(');
    let line_sep = *m.get(m.len().checked_sub(5)?)?;
    let area_sep = if paren { b'(' } else { *m.get(m.len().checked_sub(9)?)? };
    // "555-123-4567", "555.123.4567", "555 123 4567", and the common "555 123-4567".
    if !paren && area_sep != line_sep && area_sep != b' ' {
        return None;
    }
    let end = extension(env, end);
    if env.glued_after(end) {
        return None;
    }
    let ctx = env.ctx(start, end).has(Ctx::PHONE);
    let conf = match (ctx, paren, line_sep) {
        (true, _, _) => High,
        (false, true, _) | (false, false, b'-') => Medium,
        (false, false, b'.') => Medium,
        _ => Low,
    };
    Hit::new(start, end, Kind::Phone, conf)
}

fn phone_national(env: &Env<'_>, start: usize, end: usize) -> Option<Hit> {
    use Confidence::{High, Medium};
    if env.glued_before(start) {
        return None;
    }
    let m = env.slice(start, end);
    let groups = Groups::of(m)?;
    let g = groups.as_slice();
    // A date first (dd.mm.yyyy, dd/mm/yyyy, dd-mm-yyyy, or a lone dd.mm.yy), maybe followed
    // by a time: not a phone number.
    let date_sep = |i: usize| matches!(m.get(i), Some(b'.' | b'/' | b'-'));
    if let [(2, _), (2, e2), (n3, _), rest @ ..] = g
        && date_sep(2)
        && date_sep(*e2)
        && (*n3 == 4 || rest.is_empty())
    {
        return None;
    }
    let pairs = g.iter().all(|&(c, _)| c == 2);
    let mut digits = 0;
    let mut best = None;
    for (i, &(count, g_end)) in g.iter().enumerate() {
        digits += count;
        if digits > 12 {
            break;
        }
        let ok = if pairs { i == 4 } else { (9..=12).contains(&digits) && i >= 1 };
        if ok {
            best = Some(g_end);
        }
    }
    let end = start + best?;
    let end = extension(env, end);
    if env.glued_after(end) {
        return None;
    }
    let conf = if env.ctx(start, end).has(Ctx::PHONE) { High } else { Medium };
    Hit::new(start, end, Kind::Phone, conf)
}

#[cfg(test)]
mod tests;
