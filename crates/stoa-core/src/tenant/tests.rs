use serde_json::json;

use super::*;

#[allow(clippy::needless_pass_by_value)]
fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn tenant(settings: Value) -> Tenant {
    Tenant {
        id: TenantId::parse("acme").unwrap(),
        name: "Acme".into(),
        description: String::new(),
        status: TenantStatus::Active,
        settings: obj(settings),
        created_at: 0,
        updated_at: 0,
    }
}

#[test]
fn merge_patch_semantics() {
    let mut s = obj(json!({"a": 1, "nested": {"x": 1, "y": 2}, "gone": true}));
    merge_settings(&mut s, &obj(json!({"nested": {"y": null, "z": 3}, "gone": null, "b": [1]})));
    assert_eq!(Value::Object(s), json!({"a": 1, "nested": {"x": 1, "z": 3}, "b": [1]}));
}

#[test]
fn tier_quotas_and_overrides() {
    assert_eq!(tenant(json!({})).quotas().daily_token_budget, 100_000);
    let t = tenant(json!({"tier": "business", "quotas": {"max_rate_limit": 5}}));
    assert_eq!(t.tier(), Tier::Business);
    assert_eq!(t.quotas().max_rate_limit, 5);
    assert_eq!(t.quotas().monthly_token_budget, 50_000_000);
}

#[test]
fn realm_view() {
    let t = tenant(
        json!({"auth": {"issuer": "https://idp.example/realms/acme", "audience": ["a", "b"]}}),
    );
    let r = t.realm().unwrap();
    assert_eq!(r.audiences, vec!["a", "b"]);
    assert_eq!(r.tenant_claim, "tenant_id");
    assert!(tenant(json!({})).realm().is_none());
}

#[test]
fn settings_validation() {
    assert!(validate_settings(&obj(json!({"tier": "gold"}))).is_err());
    assert!(validate_settings(&obj(json!({"quotas": {"max_rate_limit": -1}}))).is_err());
    assert!(validate_settings(&obj(json!({"auth": {"issuer": "file:///etc/passwd"}}))).is_err());
    assert!(
        validate_settings(&obj(json!({"auth": {"issuer": "https://idp/x", "audience": 3}})))
            .is_err()
    );
    assert!(
        validate_settings(&obj(
            json!({"auth": {"issuer": "https://idp/x"}, "anything": {"kept": 1}})
        ))
        .is_ok()
    );
}
