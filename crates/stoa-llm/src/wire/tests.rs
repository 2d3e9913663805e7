//! Unit tests of the shared wire helpers.

use serde_json::json;

use super::*;

#[test]
fn args_helpers() {
    assert_eq!(parse_args(""), json!({}));
    assert_eq!(parse_args("{\"a\":1}"), json!({"a": 1}));
    assert_eq!(parse_args("{\"a\":"), json!("{\"a\":"));
    assert_eq!(args_text(&json!({"a": 1})), "{\"a\":1}");
    assert_eq!(args_text(&json!("{\"a\":")), "{\"a\":");
    assert_eq!(args_object(&json!("{\"a\":")), json!({}));
    assert_eq!(args_object(&json!("{\"b\":2}")), json!({"b": 2}));
}
