//! Unit tests for path templates, media-type ranking, header tokens and id deduplication.

use super::*;

#[test]
fn template_variables_are_validated() {
    assert_eq!(template_variables("/pets"), Ok(vec![]));
    assert_eq!(
        template_variables("/pets/{petId}/toys/{toy}"),
        Ok(vec!["petId".to_owned(), "toy".to_owned()])
    );
    assert_eq!(
        template_variables("/r/{year}-{month}.csv"),
        Ok(vec!["year".to_owned(), "month".to_owned()])
    );
    assert_eq!(template_variables("/a/{b"), Err("unclosed \"{\" in path template".to_owned()));
    assert_eq!(template_variables("/a/{b/c}"), Err("unclosed \"{\" in path template".to_owned()));
    assert_eq!(template_variables("/a/{{b}}"), Err("unclosed \"{\" in path template".to_owned()));
    assert_eq!(template_variables("/a/b}"), Err("unmatched \"}\" in path template".to_owned()));
    assert_eq!(template_variables("/a/{}"), Err("empty \"{}\" in path template".to_owned()));
    assert_eq!(
        template_variables("/a/{id}/b/{id}"),
        Err("variable \"{id}\" appears twice in path template".to_owned())
    );
}

#[test]
fn json_media_types_are_ranked() {
    assert_eq!(json_rank("application/json"), Some(0));
    assert_eq!(json_rank("Application/JSON; charset=utf-8"), Some(0));
    assert_eq!(json_rank("application/merge-patch+json"), Some(1));
    assert_eq!(json_rank("application/vnd.github+json"), Some(1));
    assert_eq!(json_rank("text/json"), Some(1));
    assert_eq!(json_rank("*/*"), Some(2));
    assert_eq!(json_rank("application/*"), Some(2));
    assert_eq!(json_rank("multipart/form-data"), None);
    assert_eq!(json_rank("application/x-www-form-urlencoded"), None);
    assert_eq!(json_rank("application/x-ndjson"), None);
}

#[test]
fn header_names_must_be_tokens() {
    assert!(is_token("X-GitHub-Api-Version"));
    assert!(is_token("x_custom.header~1"));
    assert!(!is_token(""));
    assert!(!is_token("a b"));
    assert!(!is_token("a:b"));
    assert!(!is_token("ä"));
}

#[test]
fn unique_appends_counters() {
    let mut taken = HashSet::new();
    assert_eq!(unique("a".to_owned(), &mut taken), "a");
    assert_eq!(unique("a".to_owned(), &mut taken), "a_2");
    assert_eq!(unique("a".to_owned(), &mut taken), "a_3");
    assert_eq!(unique("a_2_2".to_owned(), &mut taken), "a_2_2");
    assert_eq!(unique("a_2".to_owned(), &mut taken), "a_2_3");
}

#[test]
fn argument_names_never_clash() {
    let doc = json!({
        "openapi": "3.1.0",
        "info": { "title": "t" },
        "paths": { "/things/{id}": { "post": {
            "parameters": [
                { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } },
                { "name": "id", "in": "query", "schema": { "type": "string" } },
                { "name": "body", "in": "query", "schema": { "type": "string" } },
                { "name": "ID", "in": "header", "schema": { "type": "string" } },
                { "name": "id", "in": "header", "schema": { "type": "string" } }
            ],
            "requestBody": { "content": { "application/json": {} } }
        } } }
    });
    let spec = parse(&doc);
    // Headers are case-insensitive: `ID` and `id` are the same header.
    assert_eq!(
        spec.map(|_| ()).map_err(|e| e.to_string()),
        Err("paths./things/{id}.post.parameters[4]: duplicate header parameter \"id\"".to_owned())
    );

    let mut doc = doc;
    if let Some(params) =
        doc.pointer_mut("/paths/~1things~1{id}/post/parameters").and_then(Value::as_array_mut)
    {
        params.pop();
    }
    let spec = parse(&doc).map_err(|e| e.to_string());
    let args: Vec<(String, Location)> = spec
        .map(|s| s.operations[0].params.iter().map(|p| (p.arg.clone(), p.location)).collect())
        .unwrap_or_default();
    assert_eq!(
        args,
        [
            ("id".to_owned(), Location::Path),
            ("query_id".to_owned(), Location::Query),
            ("query_body".to_owned(), Location::Query),
            ("ID".to_owned(), Location::Header),
        ]
    );
}

#[test]
fn operation_level_parameters_override_path_level_ones() {
    let doc = json!({
        "openapi": "3.0.0",
        "info": { "title": "t" },
        "paths": { "/x": {
            "parameters": [
                { "name": "q", "in": "query", "required": true, "schema": { "type": "string" } },
                { "name": "keep", "in": "query", "schema": { "type": "string" } }
            ],
            "get": { "parameters": [{ "name": "q", "in": "query", "schema": { "type": "integer" } }] }
        } }
    });
    let spec = parse(&doc).map_err(|e| e.to_string());
    let op = spec.as_ref().map(|s| &s.operations[0]);
    let schema = op.map(|op| op.input_schema.clone()).unwrap_or_default();
    assert_eq!(schema["properties"]["q"], json!({ "type": "integer" }));
    assert!(schema.get("required").is_none());
    let names: Vec<&str> =
        op.map(|op| op.params.iter().map(|p| p.name.as_str()).collect()).unwrap_or_default();
    assert_eq!(names, ["keep", "q"]);
}

#[test]
fn unsupported_parameters_skip_only_when_required() {
    let doc = json!({
        "openapi": "3.0.0",
        "info": { "title": "t" },
        "paths": {
            "/a/{id}": { "get": { "parameters": [
                { "name": "id", "in": "path", "required": true, "style": "matrix", "schema": { "type": "string" } }
            ] } },
            "/b": { "get": { "parameters": [
                { "name": "f", "in": "query", "content": { "text/plain": { "schema": { "type": "string" } } } },
                { "name": "g", "in": "query", "schema": { "type": "string" } }
            ] } }
        }
    });
    let spec = parse(&doc).map_err(|e| e.to_string());
    let (ids, skipped): (Vec<String>, Vec<String>) = spec
        .map(|s| {
            (
                s.operations.iter().map(|o| o.id.clone()).collect(),
                s.skipped
                    .iter()
                    .map(|k| format!("{} {}: {}", k.method.as_str(), k.path, k.reason))
                    .collect(),
            )
        })
        .unwrap_or_default();
    assert_eq!(ids, ["get_b"]);
    assert_eq!(skipped, ["GET /a/{id}: path parameter \"id\" uses style \"matrix\""]);
}
