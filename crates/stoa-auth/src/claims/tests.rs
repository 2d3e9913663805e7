//! Unit tests of claim extraction and the tenant / roles / scopes helpers.

use serde_json::{Value, json};

use crate::{AuthError, Claims};

fn claims(extra: Value) -> Result<Claims, AuthError> {
    let Value::Object(mut map) = json!({ "iss": "https://idp", "sub": "u", "exp": 2_000_000_000 })
    else {
        unreachable!()
    };
    let Value::Object(extra) = extra else { panic!("extra must be an object") };
    map.extend(extra);
    Claims::from_payload(map)
}

#[test]
fn registered_claims_are_lifted_and_the_rest_kept() {
    let c = claims(json!({ "aud": "a", "iat": 5, "nbf": 6.9, "tenant_id": "t", "n": 1 })).unwrap();
    assert_eq!((c.iss.as_str(), c.sub.as_str(), c.exp), ("https://idp", "u", 2_000_000_000));
    assert_eq!(c.aud, vec!["a"]);
    assert_eq!((c.iat, c.nbf), (Some(5), Some(6)));
    assert_eq!(c.extra.len(), 2);
    assert_eq!(c.string_claim("tenant_id"), Some("t"));
    assert_eq!(c.string_claim("n"), None, "non-strings are not coerced");
    assert_eq!(c.string_claim("missing"), None);
    assert_eq!(c.string_claim("sub"), Some("u"));
    assert_eq!(c.string_claim("iss"), Some("https://idp"));
}

#[test]
fn bad_claim_shapes_are_errors() {
    assert_eq!(claims(json!({ "aud": 3 })), Err(AuthError::InvalidClaim("aud")));
    assert_eq!(claims(json!({ "aud": ["a", 3] })), Err(AuthError::InvalidClaim("aud")));
    assert_eq!(claims(json!({ "iat": "x" })), Err(AuthError::InvalidClaim("iat")));
    assert_eq!(claims(json!({ "exp": 1e300 })), Err(AuthError::InvalidClaim("exp")));
    assert_eq!(claims(json!({ "sub": "" })), Err(AuthError::MissingClaim("sub")));
    assert_eq!(claims(json!({ "sub": null })), Err(AuthError::InvalidClaim("sub")));
}

#[test]
fn roles_prefer_realm_access_and_accept_both_shapes() {
    let keycloak =
        claims(json!({ "realm_access": { "roles": ["admin", 7, "user"] }, "roles": ["x"] }));
    assert_eq!(keycloak.unwrap().roles(), vec!["admin", "user"]);
    let flat = claims(json!({ "roles": "a  b c" })).unwrap();
    assert_eq!(flat.roles(), vec!["a", "b", "c"]);
    let realm_without_roles = claims(json!({ "realm_access": {}, "roles": ["r"] })).unwrap();
    assert_eq!(realm_without_roles.roles(), vec!["r"]);
    assert!(claims(json!({ "roles": 5 })).unwrap().roles().is_empty());
    assert!(claims(json!({})).unwrap().roles().is_empty());
}

#[test]
fn scopes_from_scope_or_scp() {
    assert_eq!(claims(json!({ "scope": "read write" })).unwrap().scopes(), vec!["read", "write"]);
    assert_eq!(
        claims(json!({ "scp": ["read", "write"] })).unwrap().scopes(),
        vec!["read", "write"]
    );
    assert_eq!(claims(json!({ "scope": "a", "scp": ["b"] })).unwrap().scopes(), vec!["a"]);
    assert!(claims(json!({})).unwrap().scopes().is_empty());
}
