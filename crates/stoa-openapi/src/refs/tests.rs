//! Unit tests for pointer lookup, schema-aware inlining, read-only removal and the bounds.

use serde_json::json;

use super::*;

fn inline(doc: &Value) -> Result<Value, SpecError> {
    let mut resolver = Resolver::new(doc);
    resolver.begin_operation("op".to_owned());
    let root = Loc::Root("schema");
    resolver.inline(doc.pointer("/schema").unwrap_or(&Value::Null), &root)
}

#[test]
fn lookup_decodes_pointer_escapes() {
    let doc = json!({ "components": { "schemas": {
        "a/b": { "type": "string" }, "c~d": { "type": "integer" }, "e f": { "type": "boolean" }
    } } });
    let resolver = Resolver::new(&doc);
    let found = |r: &str| resolver.lookup(r, "here").map(|(v, loc)| (v.clone(), loc));
    assert_eq!(
        found("#/components/schemas/a~1b"),
        Ok((json!({ "type": "string" }), "components.schemas.a/b".to_owned()))
    );
    assert_eq!(found("#/components/schemas/c~0d").map(|f| f.0), Ok(json!({ "type": "integer" })));
    assert_eq!(found("#/components/schemas/e%20f").map(|f| f.0), Ok(json!({ "type": "boolean" })));
    assert_eq!(
        found("#/components/schemas/zzz").map_err(|e| e.to_string()),
        Err("here: unresolved $ref \"#/components/schemas/zzz\"".to_owned())
    );
    assert!(found("#/components").is_err());
    assert!(found("#").is_err());
    assert!(found("").is_err());
}

#[test]
fn data_keywords_are_copied_and_extensions_dropped() {
    let doc = json!({
        "schema": {
            "type": "object",
            "x-vendor": { "$ref": "#/nowhere" },
            "externalDocs": { "url": "https://example.com" },
            "default": { "$ref": "#/nowhere" },
            "enum": [{ "$ref": "#/nowhere" }],
            "properties": {
                "example": { "$ref": "#/components/schemas/S" },
                "x-id": { "type": "string" },
                "$ref": { "type": "string" }
            },
            "items": [{ "$ref": "#/components/schemas/S" }, true]
        },
        "components": { "schemas": { "S": { "type": "integer", "x-internal": true } } }
    });
    assert_eq!(
        inline(&doc),
        Ok(json!({
            "type": "object",
            "default": { "$ref": "#/nowhere" },
            "enum": [{ "$ref": "#/nowhere" }],
            "properties": {
                "example": { "type": "integer" },
                "x-id": { "type": "string" },
                "$ref": { "type": "string" }
            },
            "items": [{ "type": "integer" }, true]
        }))
    );
}

#[test]
fn read_only_properties_are_dropped_with_their_required_entries() {
    let mut schema = json!({
        "type": "object",
        "required": ["id", "name"],
        "properties": { "id": { "readOnly": true }, "name": { "type": "string" }, "w": { "writeOnly": true } }
    });
    if let Value::Object(map) = &mut schema {
        drop_read_only(map);
    }
    assert_eq!(
        schema,
        json!({ "type": "object", "required": ["name"], "properties": { "name": { "type": "string" }, "w": { "writeOnly": true } } })
    );
}

#[test]
fn the_same_ref_twice_side_by_side_is_not_a_cycle() {
    let doc = json!({
        "schema": { "type": "object", "properties": {
            "a": { "$ref": "#/components/schemas/P" },
            "b": { "$ref": "#/components/schemas/P" }
        } },
        "components": { "schemas": { "P": { "type": "object", "properties": { "q": { "$ref": "#/components/schemas/Q" } } }, "Q": { "type": "string" } } }
    });
    let inlined = inline(&doc);
    let expected = json!({ "type": "object", "properties": { "q": { "type": "string" } } });
    assert_eq!(inlined.map(|v| v["properties"]["b"].clone()), Ok(expected));
}

#[test]
fn follow_reports_cycles_and_long_chains() {
    let doc = json!({ "components": { "parameters": { "Self": { "$ref": "#/components/parameters/Self" } } } });
    let resolver = Resolver::new(&doc);
    let start = json!({ "$ref": "#/components/parameters/Self" });
    let error = resolver.follow(&start, "p[0]".to_owned()).map(|_| ()).map_err(|e| e.to_string());
    assert_eq!(
        error,
        Err("components.parameters.Self.$ref: $ref cycle: #/components/parameters/Self -> #/components/parameters/Self".to_owned())
    );

    let mut parameters = Map::new();
    for n in 0..40 {
        parameters.insert(
            format!("P{n}"),
            json!({ "$ref": format!("#/components/parameters/P{}", n + 1) }),
        );
    }
    parameters.insert("P40".to_owned(), json!({ "name": "x", "in": "query" }));
    let doc = json!({ "components": { "parameters": parameters } });
    let resolver = Resolver::new(&doc);
    let start = json!({ "$ref": "#/components/parameters/P0" });
    let error = resolver.follow(&start, "p[0]".to_owned()).map(|_| ()).map_err(|e| e.message);
    assert_eq!(error, Err(format!("$ref chain longer than {MAX_REF_CHAIN} references")));

    let plain = json!({ "name": "x" });
    assert_eq!(
        resolver.follow(&plain, "here".to_owned()).map(|(_, loc)| loc),
        Ok("here".to_owned())
    );
}

#[test]
fn node_budget_counts_every_copy() {
    let doc = json!({ "schema": { "enum": (0..MAX_OPERATION_NODES).collect::<Vec<_>>() } });
    let error = inline(&doc).map_err(|e| (e.path, e.message));
    assert_eq!(
        error,
        Err((
            "op".to_owned(),
            format!("input schema grows beyond {MAX_OPERATION_NODES} nodes when $refs are inlined")
        ))
    );
}
