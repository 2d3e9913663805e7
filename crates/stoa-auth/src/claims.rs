//! Validated claims of a token, and helpers to read the claims Stoa cares about (tenant,
//! roles, scopes).
//!
//! Constraints: a [`Claims`] value only ever comes out of a successful
//! `Verifier::verify`, so everything in it is signed by a trusted issuer. Helpers are
//! lenient about shapes (string vs array) because identity providers differ, but never
//! coerce non-string values into strings.

use serde_json::{Map, Value};

use crate::AuthError;

/// The claims of a verified token.
///
/// Registered claims are lifted into fields; every other claim stays in [`Claims::extra`]
/// untouched, so the caller can read e.g. its configured tenant claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// `iss`: equal to the expected issuer.
    pub iss: String,
    /// `sub`: never empty.
    pub sub: String,
    /// `aud`, normalised to a list (a single string becomes one element; absent → empty).
    pub aud: Vec<String>,
    /// `exp`, seconds since the Unix epoch.
    pub exp: i64,
    /// `nbf`, seconds since the Unix epoch, if present.
    pub nbf: Option<i64>,
    /// `iat`, seconds since the Unix epoch, if present.
    pub iat: Option<i64>,
    /// All other claims (`scope`, `roles`, `realm_access`, the tenant claim, `jti`, …).
    pub extra: Map<String, Value>,
}

impl Claims {
    /// Builds the claims from a payload whose signature and standard claims were already
    /// validated.
    pub(crate) fn from_payload(mut map: Map<String, Value>) -> Result<Self, AuthError> {
        let iss = match map.remove("iss") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(AuthError::InvalidClaim("iss")),
            None => return Err(AuthError::MissingClaim("iss")),
        };
        let sub = match map.remove("sub") {
            Some(Value::String(s)) if !s.is_empty() => s,
            Some(Value::String(_)) | None => return Err(AuthError::MissingClaim("sub")),
            Some(_) => return Err(AuthError::InvalidClaim("sub")),
        };
        let aud = match map.remove("aud") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![s],
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) => out.push(s),
                        _ => return Err(AuthError::InvalidClaim("aud")),
                    }
                }
                out
            }
            Some(_) => return Err(AuthError::InvalidClaim("aud")),
        };
        let exp = numeric_date(map.remove("exp"), "exp")?.ok_or(AuthError::MissingClaim("exp"))?;
        let nbf = numeric_date(map.remove("nbf"), "nbf")?;
        let iat = numeric_date(map.remove("iat"), "iat")?;
        Ok(Self { iss, sub, aud, exp, nbf, iat, extra: map })
    }

    /// The string value of claim `name`, if present and a string.
    ///
    /// Looks at `iss` and `sub` too, so a configured tenant claim may name them.
    #[must_use]
    pub fn string_claim(&self, name: &str) -> Option<&str> {
        match name {
            "iss" => Some(&self.iss),
            "sub" => Some(&self.sub),
            _ => self.extra.get(name).and_then(Value::as_str),
        }
    }

    /// Roles: `realm_access.roles` (Keycloak) if present, else `roles`. Each may be an array
    /// of strings (non-strings are skipped) or a space-separated string.
    #[must_use]
    pub fn roles(&self) -> Vec<String> {
        let realm = self
            .extra
            .get("realm_access")
            .and_then(Value::as_object)
            .and_then(|realm| realm.get("roles"));
        realm.or_else(|| self.extra.get("roles")).map(string_list).unwrap_or_default()
    }

    /// Scopes: `scope` (space-separated string, RFC 8693) if present, else `scp` (array, as
    /// Azure AD / Okta emit). Either claim may use either shape.
    #[must_use]
    pub fn scopes(&self) -> Vec<String> {
        self.extra
            .get("scope")
            .or_else(|| self.extra.get("scp"))
            .map(string_list)
            .unwrap_or_default()
    }
}

/// A list of strings from an array of strings or a space-separated string.
fn string_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// A JWT NumericDate (RFC 7519 §2): integer or fractional seconds; fractions are truncated.
fn numeric_date(value: Option<Value>, name: &'static str) -> Result<Option<i64>, AuthError> {
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else {
                match n.as_f64() {
                    // Truncation is the intent; the range check keeps the cast exact enough.
                    #[allow(clippy::cast_possible_truncation)]
                    Some(f) if f.is_finite() && f.abs() < 1e15 => Ok(Some(f.trunc() as i64)),
                    _ => Err(AuthError::InvalidClaim(name)),
                }
            }
        }
        Some(_) => Err(AuthError::InvalidClaim(name)),
    }
}

#[cfg(test)]
mod tests;
