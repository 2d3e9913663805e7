//! Property tests: `wire_name` always yields `[A-Za-z0-9_-]{1,64}`, deterministically, and
//! distinct triples give distinct names; `parse` never panics on arbitrary JSON (bounded
//! depth) nor on OpenAPI-shaped documents with random refs (cycles included), and whatever it
//! accepts has unique ids, no `$ref` left and arguments `build_request` handles without
//! panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use stoa_openapi::{MAX_WIRE_NAME_LEN, build_request, parse, wire_name};

fn valid_wire_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_WIRE_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

const KEYS: &[&str] = &[
    "openapi",
    "info",
    "title",
    "paths",
    "/pets",
    "/pets/{id}",
    "get",
    "post",
    "trace",
    "parameters",
    "name",
    "in",
    "required",
    "schema",
    "$ref",
    "requestBody",
    "content",
    "application/json",
    "components",
    "schemas",
    "type",
    "properties",
    "items",
    "allOf",
    "style",
    "explode",
    "operationId",
    "x-a",
    "id",
    "readOnly",
];

const STRINGS: &[&str] = &[
    "3.0.3",
    "3.1.0",
    "path",
    "query",
    "header",
    "cookie",
    "#/components/schemas/A",
    "#/components/schemas/B",
    "#/components/parameters/P",
    "other.json#/x",
    "/pets/{id}",
    "{id}",
    "id",
    "object",
    "string",
    "integer",
    "array",
    "form",
    "deepObject",
    "matrix",
    "Authorization",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        "[a-z$#/{}~0-9._ -]{0,12}".prop_map(Value::String),
        select(STRINGS).prop_map(Value::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![select(KEYS).prop_map(str::to_owned), "[a-z{}/$]{0,6}"]
}

/// Arbitrary JSON, at most 6 levels deep.
fn arb_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(key(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn reference() -> impl Strategy<Value = Value> {
    select(
        &[
            "#/components/schemas/A",
            "#/components/schemas/B",
            "#/components/schemas/C",
            "#/components/parameters/P",
            "#/components/nowhere",
            "ext.json#/A",
        ][..],
    )
    .prop_map(|r| json!({ "$ref": r }))
}

/// Schemas with refs among A, B, C (so cycles happen).
fn schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        select(&["string", "integer", "number", "boolean", "object", "array"][..])
            .prop_map(|t| json!({ "type": t })),
        reference(),
        Just(json!({ "type": "string", "readOnly": true })),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            btree_map(select(&["a", "b", "id"][..]), inner.clone(), 0..4).prop_map(
                |props| json!({ "type": "object", "properties": props, "required": ["a", "id"] })
            ),
            inner.clone().prop_map(|items| json!({ "type": "array", "items": items })),
            vec(inner, 0..3).prop_map(|all| json!({ "allOf": all })),
        ]
    })
}

fn parameter() -> impl Strategy<Value = Value> {
    let location = prop_oneof![
        4 => Just("query"),
        2 => Just("header"),
        2 => Just("path"),
        1 => Just("cookie"),
        1 => Just("body"),
    ];
    let style = prop_oneof![
        8 => Just(""),
        1 => select(&["form", "simple", "deepObject", "matrix", "pipeDelimited", "spaceDelimited"][..]),
    ];
    prop_oneof![
        10 => (
            select(&["id", "q", "X-H", "body", "Authorization"][..]),
            location,
            prop_oneof![3 => Just(true), 1 => Just(false)],
            schema(),
            style,
        )
            .prop_map(|(name, location, required, schema, style)| {
                let mut p = json!({ "name": name, "in": location, "required": required, "schema": schema });
                if !style.is_empty() {
                    p["style"] = json!(style);
                }
                p
            }),
        1 => reference(),
        1 => arb_json(),
    ]
}

fn operation() -> impl Strategy<Value = Value> {
    (
        vec(parameter(), 0..3),
        prop::option::of((
            any::<bool>(),
            schema(),
            select(&["application/json", "text/plain", "*/*"][..]),
        )),
        prop::option::of(select(&["op", "op", "a/b", "a_b", ""][..])),
    )
        .prop_map(|(parameters, body, id)| {
            let mut op = json!({ "parameters": parameters, "responses": {} });
            if let Some((required, schema, media)) = body {
                op["requestBody"] =
                    json!({ "required": required, "content": { media: { "schema": schema } } });
            }
            if let Some(id) = id {
                op["operationId"] = json!(id);
            }
            op
        })
}

fn document() -> impl Strategy<Value = Value> {
    let method = prop_oneof![20 => select(&["get", "post", "put", "delete", "patch"][..]), 1 => Just("trace")];
    let item = btree_map(method, operation(), 1..4);
    (
        prop_oneof![8 => select(&["3.0.3", "3.1.0"][..]), 1 => Just("3.2.0")],
        btree_map(
            prop_oneof![
                3 => Just("/pets"),
                2 => Just("/"),
                2 => Just("/pets/{id}"),
                1 => Just("/a/{id}/{q}"),
                1 => Just("pets"),
            ],
            item,
            0..4,
        ),
        (schema(), schema(), schema()),
        parameter(),
    )
        .prop_map(|(version, paths, (a, b, c), p)| {
            json!({
                "openapi": version,
                "info": { "title": "t" },
                "paths": paths,
                "components": { "schemas": { "A": a, "B": b, "C": c }, "parameters": { "P": p } }
            })
        })
}

fn has_ref(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.contains_key("$ref") || map.values().any(has_ref),
        Value::Array(items) => items.iter().any(has_ref),
        _ => false,
    }
}

proptest! {
    #[test]
    fn wire_names_follow_the_rules(tenant in ".{0,40}", api in ".{0,40}", operation in ".{0,90}") {
        let name = wire_name(&tenant, &api, &operation);
        prop_assert!(valid_wire_name(&name), "{name:?}");
        prop_assert_eq!(&name, &wire_name(&tenant, &api, &operation));
    }

    #[test]
    fn plain_wire_names_are_kept(
        tenant in "[a-z0-9][a-z0-9-]{0,10}",
        api in "[a-z][a-z0-9-]{0,10}",
        operation in "[A-Za-z0-9_-]{1,30}",
    ) {
        prop_assert_eq!(wire_name(&tenant, &api, &operation), format!("{tenant}__{api}__{operation}"));
    }

    #[test]
    fn distinct_triples_get_distinct_wire_names(
        a in ("[a-z_.]{0,30}", "[a-z_.]{0,30}", "[a-z_./]{0,80}"),
        b in ("[a-z_.]{0,30}", "[a-z_.]{0,30}", "[a-z_./]{0,80}"),
    ) {
        prop_assume!(a != b);
        prop_assert_ne!(wire_name(&a.0, &a.1, &a.2), wire_name(&b.0, &b.1, &b.2));
    }

    #[test]
    fn parse_never_panics_on_arbitrary_json(doc in arb_json()) {
        let _ = parse(&doc);
        let wrapped = json!({ "openapi": "3.1.0", "info": { "title": "t" }, "paths": &doc, "components": &doc });
        let _ = parse(&wrapped);
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn accepted_documents_are_consistent(doc in document(), args in arb_json()) {
        if let Ok(spec) = parse(&doc) {
            let mut ids = HashSet::new();
            for op in &spec.operations {
                prop_assert!(ids.insert(op.id.clone()), "duplicate id {}", op.id);
                prop_assert!(op.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
                prop_assert!(!has_ref(&op.input_schema), "{}", op.input_schema);
                let _ = build_request(op, "https://api.example.com/base", &args);
                let _ = build_request(op, "https://api.example.com/base", &json!({ "id": args, "q": [1, "x"] }));
            }
        }
    }
}
