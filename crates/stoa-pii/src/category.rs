//! PII categories, their finer-grained kinds, and confidence levels.
//!
//! Constraints: the snake_case names returned by `as_str` and used by serde are part of the
//! gateway's API (422 bodies, audit rows, metrics labels, tenant policy files) and must stay
//! stable. Adding a variant is fine; renaming one is a breaking change.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A class of personal or secret data the scanner recognizes. Policies are set per category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Email,
    Phone,
    PaymentCard,
    Iban,
    NationalId,
    IpAddress,
    Secret,
}

impl Category {
    /// Every category, in a fixed order (also the order of `Category::index`).
    pub const ALL: [Category; 7] = [
        Category::Email,
        Category::Phone,
        Category::PaymentCard,
        Category::Iban,
        Category::NationalId,
        Category::IpAddress,
        Category::Secret,
    ];

    /// Number of categories.
    pub const COUNT: usize = Self::ALL.len();

    /// The stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Email => "email",
            Category::Phone => "phone",
            Category::PaymentCard => "payment_card",
            Category::Iban => "iban",
            Category::NationalId => "national_id",
            Category::IpAddress => "ip_address",
            Category::Secret => "secret",
        }
    }

    /// Dense index in `0..COUNT`, for per-category arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The label used inside redaction placeholders (`[EMAIL_1]`, `[CARD_2]`, ...).
    pub const fn placeholder_label(self) -> &'static str {
        match self {
            Category::Email => "EMAIL",
            Category::Phone => "PHONE",
            Category::PaymentCard => "CARD",
            Category::Iban => "IBAN",
            Category::NationalId => "NATIONAL_ID",
            Category::IpAddress => "IP",
            Category::Secret => "SECRET",
        }
    }

    /// Parses a stable name (the inverse of `as_str`).
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The precise kind of a finding; each kind belongs to exactly one [`Category`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Email,
    Phone,
    PaymentCard,
    Iban,
    /// US Social Security Number.
    UsSsn,
    /// UK National Insurance number.
    UkNino,
    /// French social security number (NIR / numéro INSEE), with its 2-digit key.
    FrNir,
    /// German tax identification number (Steuerliche Identifikationsnummer).
    DeTaxId,
    /// Spanish DNI (8 digits and check letter).
    EsDni,
    /// Spanish NIE (X/Y/Z, 7 digits and check letter).
    EsNie,
    /// Dutch citizen service number (BSN), only reported next to a keyword.
    NlBsn,
    Ipv4,
    Ipv6,
    AnthropicKey,
    OpenaiKey,
    GoogleApiKey,
    AwsAccessKeyId,
    GithubToken,
    SlackToken,
    StripeKey,
    HuggingfaceToken,
    StoaKey,
    PrivateKey,
    BearerToken,
    BasicAuth,
    Jwt,
    UrlCredentials,
    /// A high-entropy value assigned to a key/secret/token/password-like name.
    AssignedSecret,
}

impl Kind {
    /// The category this kind belongs to.
    pub const fn category(self) -> Category {
        match self {
            Kind::Email => Category::Email,
            Kind::Phone => Category::Phone,
            Kind::PaymentCard => Category::PaymentCard,
            Kind::Iban => Category::Iban,
            Kind::UsSsn
            | Kind::UkNino
            | Kind::FrNir
            | Kind::DeTaxId
            | Kind::EsDni
            | Kind::EsNie
            | Kind::NlBsn => Category::NationalId,
            Kind::Ipv4 | Kind::Ipv6 => Category::IpAddress,
            Kind::AnthropicKey
            | Kind::OpenaiKey
            | Kind::GoogleApiKey
            | Kind::AwsAccessKeyId
            | Kind::GithubToken
            | Kind::SlackToken
            | Kind::StripeKey
            | Kind::HuggingfaceToken
            | Kind::StoaKey
            | Kind::PrivateKey
            | Kind::BearerToken
            | Kind::BasicAuth
            | Kind::Jwt
            | Kind::UrlCredentials
            | Kind::AssignedSecret => Category::Secret,
        }
    }

    /// The stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::PaymentCard => "payment_card",
            Kind::Iban => "iban",
            Kind::UsSsn => "us_ssn",
            Kind::UkNino => "uk_nino",
            Kind::FrNir => "fr_nir",
            Kind::DeTaxId => "de_tax_id",
            Kind::EsDni => "es_dni",
            Kind::EsNie => "es_nie",
            Kind::NlBsn => "nl_bsn",
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::AnthropicKey => "anthropic_key",
            Kind::OpenaiKey => "openai_key",
            Kind::GoogleApiKey => "google_api_key",
            Kind::AwsAccessKeyId => "aws_access_key_id",
            Kind::GithubToken => "github_token",
            Kind::SlackToken => "slack_token",
            Kind::StripeKey => "stripe_key",
            Kind::HuggingfaceToken => "huggingface_token",
            Kind::StoaKey => "stoa_key",
            Kind::PrivateKey => "private_key",
            Kind::BearerToken => "bearer_token",
            Kind::BasicAuth => "basic_auth",
            Kind::Jwt => "jwt",
            Kind::UrlCredentials => "url_credentials",
            Kind::AssignedSecret => "assigned_secret",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure the recognizer is. Ordered: `Low < Medium < High`.
///
/// - `High`: checksum-validated (Luhn, mod-97, ID check digits/letters), an unambiguous
///   structure (provider key prefixes, PEM blocks, e-mail addresses), or a shape confirmed by a
///   nearby keyword ("phone", "SSN", ...).
/// - `Medium`: a plausible structure with no checksum and no keyword.
/// - `Low`: a weak shape that is also common in non-PII text (space-separated digit groups);
///   not reported by the default configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub const fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

#[cfg(test)]
mod tests;
