//! Conversion tests over the fixture documents in `tests/fixtures/`: operations and their
//! order, derived and deduplicated ids, input schemas (refs inlined, required lists),
//! skipped operations, errors for invalid documents (each naming its place), wire names, and
//! request building (encoding, arrays, body, refused headers, missing arguments).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use serde_json::{Value, json};
use stoa_openapi::{
    ApiSpec, CallError, Location, MAX_WIRE_NAME_LEN, Method, Operation, Param, Style,
    build_request, internal_id, parse, wire_name,
};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn ids(spec: &ApiSpec) -> Vec<&str> {
    spec.operations.iter().map(|op| op.id.as_str()).collect()
}

fn op<'a>(spec: &'a ApiSpec, id: &str) -> &'a Operation {
    spec.operation(id).unwrap_or_else(|| panic!("no operation {id} in {:?}", ids(spec)))
}

fn param(
    name: &str,
    arg: &str,
    location: Location,
    required: bool,
    style: Style,
    explode: bool,
) -> Param {
    Param { name: name.into(), arg: arg.into(), location, required, style, explode }
}

// ---------------------------------------------------------------- petstore (3.0, refs)

#[test]
fn petstore_operations_in_path_then_method_order() {
    let spec = parse(&fixture("petstore.json")).unwrap();
    assert_eq!(spec.title, "Swagger Petstore");
    assert_eq!(spec.openapi, "3.0.3");
    assert_eq!(spec.version.as_deref(), Some("1.0.0"));
    assert_eq!(ids(&spec), ["listPets", "createPets", "showPetById", "updatePet", "deletePet"]);
    let methods: Vec<Method> = spec.operations.iter().map(|op| op.method).collect();
    assert_eq!(methods, [Method::Get, Method::Post, Method::Get, Method::Put, Method::Delete]);
    // The multipart upload is valid OpenAPI but has no JSON body: listed as skipped.
    assert_eq!(spec.skipped.len(), 1);
    assert_eq!(spec.skipped[0].method, Method::Post);
    assert_eq!(spec.skipped[0].path, "/pets/{petId}/photo");
    assert!(spec.skipped[0].reason.contains("multipart/form-data"), "{}", spec.skipped[0].reason);
}

#[test]
fn petstore_query_and_header_params_with_refs_inlined() {
    let spec = parse(&fixture("petstore.json")).unwrap();
    let list = op(&spec, "listPets");
    assert_eq!(list.path_template, "/pets");
    assert_eq!(list.summary.as_deref(), Some("List all pets"));
    assert_eq!(list.tool_description(), "List all pets");
    assert!(!list.has_body);
    // `Accept` (ignored by the OpenAPI specification) and the cookie are not arguments.
    assert_eq!(
        list.params,
        [
            param("limit", "limit", Location::Query, false, Style::Form, true),
            param("tags", "tags", Location::Query, false, Style::Form, true),
            param("X-Request-Id", "X-Request-Id", Location::Header, false, Style::Simple, false),
        ]
    );
    assert_eq!(
        list.input_schema,
        json!({
            "type": "object",
            "properties": {
                "limit": {
                    "type": "integer", "format": "int32", "maximum": 100,
                    "description": "How many items to return at one time (max 100)"
                },
                "tags": { "type": "array", "items": { "type": "string" }, "description": "Tags to filter by" },
                "X-Request-Id": { "type": "string", "format": "uuid", "description": "Correlation id" }
            },
            "additionalProperties": false
        })
    );
}

#[test]
fn petstore_body_from_request_body_ref_with_nested_schema_refs() {
    let spec = parse(&fixture("petstore.json")).unwrap();
    let create = op(&spec, "createPets");
    assert!(create.has_body && create.body_required);
    assert_eq!(create.body_media_type.as_deref(), Some("application/json"));
    assert!(create.params.is_empty());
    let new_pet = json!({
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": { "type": "string", "example": "Rex" },
            "tag": { "type": "string" },
            "category": {
                "type": "object",
                "properties": {
                    "id": { "type": "integer", "format": "int64" },
                    "name": { "type": "string", "enum": ["dog", "cat", "bird"] }
                }
            }
        }
    });
    let mut described = new_pet.clone();
    described["description"] = json!("The pet to add");
    assert_eq!(
        create.input_schema,
        json!({
            "type": "object",
            "properties": { "body": described },
            "required": ["body"],
            "additionalProperties": false
        })
    );

    // Path-level parameter + required body; the read-only `id` of `Pet` is not an input.
    let update = op(&spec, "updatePet");
    assert_eq!(
        update.params,
        [param("petId", "petId", Location::Path, true, Style::Simple, false)]
    );
    assert_eq!(update.input_schema["required"], json!(["petId", "body"]));
    assert_eq!(
        update.input_schema["properties"]["body"],
        json!({ "allOf": [new_pet, { "type": "object", "properties": {} }] })
    );
    assert_eq!(
        update.input_schema["properties"]["petId"],
        json!({ "type": "string", "description": "The id of the pet" })
    );

    let delete = op(&spec, "deletePet");
    assert!(delete.deprecated);
    assert_eq!(
        delete.params,
        [
            param("petId", "petId", Location::Path, true, Style::Simple, false),
            param("force", "force", Location::Query, false, Style::Form, true),
        ]
    );
    assert_eq!(delete.input_schema["required"], json!(["petId"]));
}

// ---------------------------------------------------------------- inventory (3.1, ids)

#[test]
fn inventory_31_derived_ids_are_deterministic_and_unique() {
    let spec = parse(&fixture("inventory_31.json")).unwrap();
    assert_eq!(spec.openapi, "3.1.0");
    assert_eq!(
        ids(&spec),
        [
            "get_root",                           // GET /
            "get_archive",                        // GET /archive (path item $ref)
            "get_items_2",                        // GET /items: "get_items" is an operationId
            "items_create",                       // POST /items, operationId "items.create"
            "get_items_3",                        // GET /items/
            "get_items_by_itemId",                // GET /items/{itemId}
            "items_patch",                        // PATCH /items/{itemId}, "items/patch"
            "delete_items_by_itemId_tags_by_tag", // DELETE /items/{itemId}/tags/{tag}
            "get_items",                          // GET /legacy/items, operationId "get_items"
            "get_reports_by_year_by_month_csv",   // GET /reports/{year}-{month}.csv
        ]
    );
    assert_eq!(op(&spec, "items_patch").operation_id.as_deref(), Some("items/patch"));
    assert_eq!(op(&spec, "get_items_2").operation_id, None);
    // Webhooks are not operations.
    assert!(spec.skipped.is_empty());
    // Same document, same ids, every time.
    let again = parse(&fixture("inventory_31.json")).unwrap();
    assert_eq!(spec, again);
}

#[test]
fn inventory_31_schemas_type_arrays_ref_siblings_and_content_params() {
    let spec = parse(&fixture("inventory_31.json")).unwrap();
    assert_eq!(op(&spec, "get_root").tool_description(), "Service status");
    assert_eq!(op(&spec, "get_archive").summary.as_deref(), Some("Archived items"));
    assert_eq!(op(&spec, "get_items_by_itemId").tool_description(), "GET /items/{itemId}");

    let list = op(&spec, "get_items_2");
    assert_eq!(list.input_schema["properties"]["cursor"], json!({ "type": ["string", "null"] }));
    assert_eq!(
        list.params[1],
        param("filter", "filter", Location::Query, false, Style::Json, false)
    );
    assert_eq!(
        list.input_schema["properties"]["filter"],
        json!({ "type": "object", "properties": { "minPrice": { "type": "number" }, "sku": { "type": "string" } } })
    );

    let patch = op(&spec, "items_patch");
    assert!(patch.has_body && !patch.body_required);
    assert_eq!(patch.body_media_type.as_deref(), Some("application/merge-patch+json"));
    assert_eq!(patch.input_schema["required"], json!(["itemId"]));
    let body = &patch.input_schema["properties"]["body"];
    // readOnly `id` dropped; the sibling description of `owner` wins over the target's.
    assert_eq!(body["required"], json!(["sku", "name"]));
    assert!(body["properties"].get("id").is_none());
    assert_eq!(
        body["properties"]["owner"],
        json!({ "type": "object", "description": "Who owns the item", "properties": { "login": { "type": "string" } } })
    );
    assert_eq!(body["properties"]["price"], json!({ "type": ["number", "null"], "minimum": 0 }));
    // A property called `x-note` is a property, not an extension.
    assert_eq!(body["properties"]["x-note"]["type"], "string");
}

// ---------------------------------------------------------------- graph (nested refs, cycle)

#[test]
fn ref_cycle_is_an_error_naming_the_chain() {
    let error = parse(&fixture("graph_refs.json")).unwrap_err();
    assert_eq!(error.path, "components.schemas.TreeNode.properties.children.items.$ref");
    assert_eq!(
        error.to_string(),
        "components.schemas.TreeNode.properties.children.items.$ref: $ref cycle: \
         #/components/schemas/TreeNode -> #/components/schemas/TreeNode"
    );
}

#[test]
fn nested_ref_chains_and_escaped_pointers_are_inlined() {
    let mut doc = fixture("graph_refs.json");
    doc["paths"].as_object_mut().unwrap().remove("/trees");
    let spec = parse(&doc).unwrap();
    assert_eq!(ids(&spec), ["createNode", "putPlace"]);

    let create = op(&spec, "createNode");
    // Parameter ref → ref → parameter whose schema is a ref.
    assert_eq!(
        create.params,
        [param("X-Trace", "X-Trace", Location::Header, true, Style::Simple, false)]
    );
    assert_eq!(
        create.input_schema["properties"]["X-Trace"],
        json!({ "type": "string", "minLength": 16 })
    );
    assert_eq!(create.input_schema["required"], json!(["X-Trace", "body"]));
    assert_eq!(
        create.input_schema["properties"]["body"],
        json!({
            "type": "object",
            "required": ["meta"],
            "properties": {
                "meta": {
                    "type": "object",
                    "properties": {
                        "labels": { "type": "array", "items": { "type": "string", "enum": ["red", "green"], "default": "red" } },
                        "owner": {
                            "type": "object",
                            "properties": {
                                "name": { "type": "string" },
                                "address": { "type": "object", "properties": { "city": { "type": "string" } } }
                            },
                            "example": { "$ref": "not a reference, just data" }
                        }
                    }
                },
                "price": { "type": "number", "multipleOf": 0.01 }
            }
        })
    );
    // `#/components/schemas/Geo~1Point` names the schema "Geo/Point".
    assert_eq!(
        op(&spec, "putPlace").input_schema["properties"]["body"],
        json!({ "type": "object", "properties": { "lat": { "type": "number" }, "lon": { "type": "number" } } })
    );
    let rendered = serde_json::to_string(&spec.operations).unwrap();
    assert!(!rendered.contains("#/components"), "refs left in {rendered}");
}

// ---------------------------------------------------------------- github (long ids, headers)

#[test]
fn github_like_long_ids_headers_and_wire_names() {
    let spec = parse(&fixture("github.json")).unwrap();
    assert_eq!(
        ids(&spec),
        [
            "actions_list-selected-repositories-enabled-github-actions-organization",
            "actions_set-selected-repositories-enabled-github-actions-organization",
            "repos_list-commit-statuses-for-ref",
            "issues_create",
            "issues_update",
            "search_issues-and-pull-requests",
        ]
    );
    let statuses = op(&spec, "repos_list-commit-statuses-for-ref");
    assert_eq!(statuses.operation_id.as_deref(), Some("repos/list-commit-statuses-for-ref"));
    // Authorization and Host are never arguments.
    let args: Vec<&str> = statuses.params.iter().map(|p| p.arg.as_str()).collect();
    assert_eq!(args, ["owner", "repo", "ref", "per_page", "page", "X-GitHub-Api-Version"]);
    assert_eq!(statuses.input_schema["required"], json!(["owner", "repo", "ref"]));
    assert_eq!(
        statuses.input_schema["properties"]["X-GitHub-Api-Version"],
        json!({ "type": "string", "enum": ["2022-11-28"], "default": "2022-11-28", "description": "The API version to use." })
    );

    // The body schema has its own `body` property: it stays inside the `body` argument.
    let create = op(&spec, "issues_create");
    assert_eq!(create.input_schema["properties"]["body"]["properties"]["body"]["type"], "string");
    assert_eq!(create.input_schema["required"], json!(["owner", "repo", "body"]));

    for op in &spec.operations {
        let name = wire_name("acme-corporation", "github", &op.id);
        assert!(name.len() <= MAX_WIRE_NAME_LEN, "{name}");
        assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            "{name}"
        );
        assert!(name.starts_with("acme-corporation__github__"), "{name}");
    }
    let long = wire_name("acme-corporation", "github", &spec.operations[0].id);
    assert_eq!(long.len(), 64);
    // A readable 51-character prefix, `_`, 12 hex digits of SHA-256; pinned because stored
    // tool names must not change between releases.
    assert_eq!(long, "acme-corporation__github__actions_list-selected-rep_7b3a59151ade");
    let other = wire_name("acme-corporation", "github", &spec.operations[1].id);
    assert_ne!(long, other);
    assert_eq!(
        wire_name("acme-corporation", "github", "issues_create"),
        "acme-corporation__github__issues_create"
    );
}

#[test]
fn github_like_requests() {
    let spec = parse(&fixture("github.json")).unwrap();
    let statuses = op(&spec, "repos_list-commit-statuses-for-ref");
    let request = build_request(
        statuses,
        "https://api.github.com",
        &json!({
            "owner": "octo-org", "repo": "hello.world", "ref": "heads/main",
            "per_page": 100, "X-GitHub-Api-Version": "2022-11-28"
        }),
    )
    .unwrap();
    assert_eq!(request.method, Method::Get);
    assert_eq!(
        request.url,
        "https://api.github.com/repos/octo-org/hello.world/commits/heads%2Fmain/statuses?per_page=100"
    );
    assert_eq!(request.headers, [("X-GitHub-Api-Version".to_owned(), "2022-11-28".to_owned())]);
    assert_eq!(request.body, None);

    // An argument named like a forbidden header is not a declared argument.
    let error = build_request(
        statuses,
        "https://api.github.com",
        &json!({ "owner": "o", "repo": "r", "ref": "x", "Authorization": "Bearer stolen" }),
    )
    .unwrap_err();
    assert_eq!(error, CallError::UnknownArgument { name: "Authorization".into() });

    let set = op(&spec, "actions_set-selected-repositories-enabled-github-actions-organization");
    let request = build_request(
        set,
        "https://ghe.example.com/api/v3/",
        &json!({ "org": "acme", "body": { "selected_repository_ids": [1, 2] } }),
    )
    .unwrap();
    assert_eq!(request.method, Method::Put);
    assert_eq!(
        request.url,
        "https://ghe.example.com/api/v3/orgs/acme/actions/permissions/repositories"
    );
    assert_eq!(request.body, Some(json!({ "selected_repository_ids": [1, 2] })));
    assert_eq!(request.headers, [("content-type".to_owned(), "application/json".to_owned())]);
}

// ---------------------------------------------------------------- build_request

#[test]
fn build_request_query_arrays_encoding_and_base_prefix() {
    let spec = parse(&fixture("petstore.json")).unwrap();
    let list = op(&spec, "listPets");
    let request = build_request(
        list,
        "https://api.example.com/v2",
        &json!({ "limit": 10, "tags": ["a b", "c&d=e", "ü"], "X-Request-Id": "42" }),
    )
    .unwrap();
    assert_eq!(
        request.url,
        "https://api.example.com/v2/pets?limit=10&tags=a%20b&tags=c%26d%3De&tags=%C3%BC"
    );
    assert_eq!(request.headers, [("X-Request-Id".to_owned(), "42".to_owned())]);

    // The base URL's own query is kept; a trailing slash does not double; null = absent.
    let request = build_request(
        list,
        "https://api.example.com/v2/?api-version=7",
        &json!({ "limit": 5.0, "tags": null }),
    )
    .unwrap();
    assert_eq!(request.url, "https://api.example.com/v2/pets?api-version=7&limit=5");
    let request = build_request(list, "http://localhost:8080", &Value::Null).unwrap();
    assert_eq!(request.url, "http://localhost:8080/pets");
}

#[test]
fn build_request_path_values_are_encoded_never_interpreted() {
    let spec = parse(&fixture("petstore.json")).unwrap();
    let show = op(&spec, "showPetById");
    let url = |id: Value| {
        build_request(show, "https://api.example.com/v1", &json!({ "petId": id })).map(|r| r.url)
    };
    assert_eq!(
        url(json!("../../admin")).unwrap(),
        "https://api.example.com/v1/pets/..%2F..%2Fadmin"
    );
    assert_eq!(url(json!("a/b?c#d")).unwrap(), "https://api.example.com/v1/pets/a%2Fb%3Fc%23d");
    assert_eq!(url(json!("%2e%2e")).unwrap(), "https://api.example.com/v1/pets/%252e%252e");
    assert_eq!(url(json!("a..b")).unwrap(), "https://api.example.com/v1/pets/a..b");
    assert_eq!(url(json!("Zoë 7")).unwrap(), "https://api.example.com/v1/pets/Zo%C3%AB%207");
    for dots in ["..", "."] {
        assert!(
            matches!(url(json!(dots)), Err(CallError::InvalidPathValue { ref name, .. }) if name == "petId")
        );
    }
    assert!(matches!(url(json!("")), Err(CallError::InvalidPathValue { .. })));
    assert_eq!(url(json!(null)), Err(CallError::MissingArgument { name: "petId".into() }));
    assert_eq!(
        build_request(show, "https://api.example.com", &json!({})),
        Err(CallError::MissingArgument { name: "petId".into() })
    );
}

#[test]
fn build_request_body_and_types() {
    let spec = parse(&fixture("petstore.json")).unwrap();
    let create = op(&spec, "createPets");
    let pet = json!({ "name": "Rex", "tag": "dog" });
    let request =
        build_request(create, "https://api.example.com", &json!({ "body": pet })).unwrap();
    assert_eq!(request.method, Method::Post);
    assert_eq!(request.url, "https://api.example.com/pets");
    assert_eq!(request.body, Some(pet));
    assert_eq!(request.headers, [("content-type".to_owned(), "application/json".to_owned())]);
    assert_eq!(
        build_request(create, "https://api.example.com", &json!({})),
        Err(CallError::MissingArgument { name: "body".into() })
    );
    assert_eq!(
        build_request(create, "https://api.example.com", &json!({ "body": "{\"name\":\"Rex\"}" })),
        Err(CallError::WrongType {
            name: "body".into(),
            expected: "object".into(),
            found: "string"
        })
    );

    let list = op(&spec, "listPets");
    assert_eq!(
        build_request(list, "https://api.example.com", &json!({ "limit": "10" })),
        Err(CallError::WrongType {
            name: "limit".into(),
            expected: "integer".into(),
            found: "string"
        })
    );
    assert_eq!(
        build_request(list, "https://api.example.com", &json!({ "limit": 1.5 })),
        Err(CallError::WrongType {
            name: "limit".into(),
            expected: "integer".into(),
            found: "number"
        })
    );
    assert_eq!(
        build_request(list, "https://api.example.com", &json!({ "tags": ["a", 2] })),
        Err(CallError::WrongType {
            name: "tags[1]".into(),
            expected: "string".into(),
            found: "number"
        })
    );
    assert_eq!(
        build_request(list, "https://api.example.com", &json!({ "body": {} })),
        Err(CallError::UnknownArgument { name: "body".into() })
    );
    assert_eq!(
        build_request(list, "https://api.example.com", &json!(["limit", 1])),
        Err(CallError::ArgumentsNotObject { found: "array" })
    );
    assert_eq!(
        build_request(
            list,
            "https://api.example.com",
            &json!({ "X-Request-Id": "a\r\nHost: evil" })
        ),
        Err(CallError::InvalidHeaderValue { name: "X-Request-Id".into() })
    );
}

#[test]
fn build_request_refuses_forbidden_headers_and_bad_base_urls() {
    for header in [
        "Authorization",
        "cookie",
        "HOST",
        "Connection",
        "Transfer-Encoding",
        "Proxy-Authorization",
    ] {
        let op = Operation {
            id: "x".into(),
            operation_id: None,
            method: Method::Get,
            path_template: "/x".into(),
            summary: None,
            description: None,
            deprecated: false,
            input_schema: json!({ "type": "object", "properties": { "h": { "type": "string" } } }),
            params: vec![param(header, "h", Location::Header, false, Style::Simple, false)],
            has_body: false,
            body_required: false,
            body_media_type: None,
        };
        assert_eq!(
            build_request(&op, "https://api.example.com", &json!({ "h": "v" })),
            Err(CallError::ForbiddenHeader { name: header.into() })
        );
    }

    let spec = parse(&fixture("petstore.json")).unwrap();
    let list = op(&spec, "listPets");
    for base in ["ftp://example.com", "https://user:secret@example.com", "not a url", "file:///etc"]
    {
        assert!(
            matches!(build_request(list, base, &json!({})), Err(CallError::InvalidBaseUrl { .. })),
            "{base}"
        );
    }
}

#[test]
fn build_request_content_params_and_integers() {
    let spec = parse(&fixture("inventory_31.json")).unwrap();
    let list = op(&spec, "get_items_2");
    let request = build_request(
        list,
        "https://inv.example.com",
        &json!({ "cursor": null, "filter": { "sku": "ABC-1234" } }),
    )
    .unwrap();
    assert_eq!(
        request.url,
        "https://inv.example.com/items?filter=%7B%22sku%22%3A%22ABC-1234%22%7D"
    );

    let report = op(&spec, "get_reports_by_year_by_month_csv");
    let request =
        build_request(report, "https://inv.example.com", &json!({ "year": 2024, "month": 5 }))
            .unwrap();
    assert_eq!(request.url, "https://inv.example.com/reports/2024-5.csv");

    let patch = op(&spec, "items_patch");
    let request = build_request(
        patch,
        "https://inv.example.com",
        &json!({ "itemId": 7, "body": { "name": "n" } }),
    )
    .unwrap();
    assert_eq!(request.method, Method::Patch);
    assert_eq!(
        request.headers,
        [("content-type".to_owned(), "application/merge-patch+json".to_owned())]
    );
    // The body is optional here.
    let request = build_request(patch, "https://inv.example.com", &json!({ "itemId": 7 })).unwrap();
    assert_eq!(request.body, None);
    assert!(request.headers.is_empty());
}

// ---------------------------------------------------------------- invalid documents

fn minimal() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": { "title": "T", "version": "1" },
        "paths": {
            "/pets": {
                "get": {
                    "parameters": [{ "name": "limit", "in": "query", "schema": { "type": "integer" } }],
                    "responses": { "200": { "description": "OK" } }
                }
            }
        },
        "components": { "schemas": {}, "parameters": {} }
    })
}

fn error_of(doc: &Value) -> String {
    parse(doc).unwrap_err().to_string()
}

fn with(mut doc: Value, pointer: &str, value: Value) -> Value {
    *doc.pointer_mut(pointer).unwrap_or_else(|| panic!("no {pointer}")) = value;
    doc
}

#[test]
fn minimal_document_parses() {
    let spec = parse(&minimal()).unwrap();
    assert_eq!(ids(&spec), ["get_pets"]);
    // The document may also arrive as a JSON string.
    let text = Value::String(minimal().to_string());
    assert_eq!(parse(&text).unwrap(), spec);
}

#[test]
fn version_info_and_paths_errors() {
    for version in ["2.0", "3.2.0", "3.0", "3.1.x", "4.0.0"] {
        assert_eq!(
            error_of(&with(minimal(), "/openapi", json!(version))),
            format!("openapi: unsupported version \"{version}\" (expected 3.0.x or 3.1.x)")
        );
    }
    assert_eq!(
        error_of(&with(minimal(), "/openapi", json!(3.1))),
        "openapi: expected a version string, found number"
    );
    let mut swagger = minimal();
    swagger.as_object_mut().unwrap().remove("openapi");
    swagger["swagger"] = json!("2.0");
    assert!(error_of(&swagger).starts_with("openapi: missing: Swagger 2.0"));
    assert_eq!(
        error_of(&with(minimal(), "/info", json!({ "version": "1" }))),
        "info.title: missing"
    );
    assert_eq!(
        error_of(&with(minimal(), "/paths", json!([]))),
        "paths: expected an object, found array"
    );
    assert_eq!(
        error_of(&json!([1, 2])),
        "document: expected an OpenAPI document (a JSON object), found array"
    );
    assert!(
        error_of(&json!("openapi: 3.0.0\ninfo:\n  title: x\n"))
            .starts_with("document: not a JSON document")
    );
    assert_eq!(
        error_of(&with(minimal(), "/paths", json!({ "pets": {} }))),
        "paths.pets: path must start with \"/\""
    );
    assert_eq!(
        error_of(&with(minimal(), "/paths", json!({ "/pets/{id": {} }))),
        "paths./pets/{id: unclosed \"{\" in path template"
    );
    assert_eq!(
        error_of(&with(minimal(), "/paths", json!({ "/a/../b": {} }))),
        "paths./a/../b: path must not contain \".\" or \"..\" segments"
    );
}

#[test]
fn method_errors() {
    for method in ["trace", "fetch", "GET"] {
        let doc = with(minimal(), "/paths/~1pets", json!({ method: { "responses": {} } }));
        assert_eq!(
            error_of(&doc),
            format!(
                "paths./pets.{method}: unsupported method \"{method}\" (expected get, put, post, delete, patch, head or options)"
            )
        );
    }
    let doc = with(minimal(), "/paths/~1pets/get", json!("nope"));
    assert_eq!(error_of(&doc), "paths./pets.get: expected an operation object, found string");
}

#[test]
fn parameter_errors() {
    let params = |list: Value| with(minimal(), "/paths/~1pets/get/parameters", list);
    assert_eq!(
        error_of(&params(json!([{ "in": "query" }]))),
        "paths./pets.get.parameters[0]: parameter has no \"name\""
    );
    assert_eq!(
        error_of(&params(json!([{ "name": "p", "in": "body" }]))),
        "paths./pets.get.parameters[0]: parameter \"p\": \"in\" must be path, query, header or cookie, found \"body\""
    );
    assert_eq!(
        error_of(&params(json!([{ "name": "p" }]))),
        "paths./pets.get.parameters[0]: parameter \"p\" has no \"in\""
    );
    assert_eq!(
        error_of(&params(json!([{ "name": "a", "in": "query" }, { "name": "a", "in": "query" }]))),
        "paths./pets.get.parameters[1]: duplicate query parameter \"a\""
    );
    assert_eq!(
        error_of(&params(json!({ "name": "a" }))),
        "paths./pets.get.parameters: expected an array, found object"
    );
    assert_eq!(
        error_of(&params(json!([{ "name": "a b", "in": "header" }]))),
        "paths./pets.get.parameters[0]: header parameter \"a b\" is not a valid header name"
    );
    assert_eq!(
        error_of(&params(json!([{ "name": "a", "in": "query", "style": "matrix" }]))),
        "paths./pets.get.parameters[0]: parameter \"a\": style \"matrix\" is not allowed in query"
    );

    // Path parameters.
    let path_doc = |params: Value| {
        with(
            minimal(),
            "/paths",
            json!({ "/pets/{id}": { "get": { "parameters": params, "responses": {} } } }),
        )
    };
    assert_eq!(
        error_of(&path_doc(
            json!([{ "name": "id", "in": "path", "schema": { "type": "string" } }])
        )),
        "paths./pets/{id}.get.parameters[0]: path parameter \"id\" must be required"
    );
    assert_eq!(
        error_of(&path_doc(json!([
            { "name": "id", "in": "path", "required": true },
            { "name": "petId", "in": "path", "required": true }
        ]))),
        "paths./pets/{id}.get.parameters[1]: path parameter \"petId\" does not appear in the path template \"/pets/{id}\""
    );
    assert_eq!(
        error_of(&path_doc(json!([]))),
        "paths./pets/{id}.get: path template variable \"{id}\" has no path parameter"
    );
}

#[test]
fn reference_errors() {
    let params = |list: Value| with(minimal(), "/paths/~1pets/get/parameters", list);
    assert_eq!(
        error_of(&params(json!([{ "$ref": "other.yaml#/components/parameters/X" }]))),
        "paths./pets.get.parameters[0].$ref: external $ref \"other.yaml#/components/parameters/X\" is not supported (only local \"#/components/...\" refs)"
    );
    assert_eq!(
        error_of(&params(json!([{ "$ref": "#/components/parameters/Nope" }]))),
        "paths./pets.get.parameters[0].$ref: unresolved $ref \"#/components/parameters/Nope\""
    );
    assert_eq!(
        error_of(&params(json!([{ "$ref": "#/paths/~1pets/get/parameters/0" }]))),
        "paths./pets.get.parameters[0].$ref: $ref \"#/paths/~1pets/get/parameters/0\" must point into \"#/components/...\""
    );

    // Parameter ref cycle A → B → A.
    let mut doc = params(json!([{ "$ref": "#/components/parameters/A" }]));
    doc["components"]["parameters"] = json!({
        "A": { "$ref": "#/components/parameters/B" },
        "B": { "$ref": "#/components/parameters/A" }
    });
    assert_eq!(
        error_of(&doc),
        "components.parameters.B.$ref: $ref cycle: #/components/parameters/A -> #/components/parameters/B -> #/components/parameters/A"
    );

    // External ref deep inside a schema names its own place.
    let mut doc = params(
        json!([{ "name": "p", "in": "query", "schema": { "$ref": "#/components/schemas/Pet" } }]),
    );
    doc["components"]["schemas"] = json!({
        "Pet": { "type": "object", "properties": { "owner": { "$ref": "https://example.com/owner.json" } } }
    });
    assert_eq!(
        error_of(&doc),
        "components.schemas.Pet.properties.owner.$ref: external $ref \"https://example.com/owner.json\" is not supported (only local \"#/components/...\" refs)"
    );

    // A schema $ref to a non-schema component is refused (found by the property test: it
    // used to be inlined as a schema with its own $refs left behind).
    let mut ref_to_param = params(
        json!([{ "name": "p", "in": "query", "schema": { "$ref": "#/components/parameters/P" } }]),
    );
    ref_to_param["components"]["parameters"] = json!({
        "P": { "name": "id", "in": "query", "schema": { "$ref": "#/components/schemas/A" } }
    });
    ref_to_param["components"]["schemas"] = json!({ "A": { "type": "string" } });
    assert!(
        error_of(&ref_to_param).contains("a schema $ref must point into #/components/schemas/")
    );

    // Mutual schema cycle through allOf.
    doc["components"]["schemas"] = json!({
        "Pet": { "allOf": [{ "$ref": "#/components/schemas/Animal" }] },
        "Animal": { "properties": { "friend": { "$ref": "#/components/schemas/Pet" } } }
    });
    assert_eq!(
        error_of(&doc),
        "components.schemas.Animal.properties.friend.$ref: $ref cycle: #/components/schemas/Pet -> #/components/schemas/Animal -> #/components/schemas/Pet"
    );
}

#[test]
fn request_body_errors() {
    let body = |body: Value| {
        with(
            minimal(),
            "/paths/~1pets",
            json!({ "post": { "requestBody": body, "responses": {} } }),
        )
    };
    assert_eq!(
        error_of(&body(json!({ "required": true }))),
        "paths./pets.post.requestBody: request body has no \"content\""
    );
    assert_eq!(
        error_of(&body(json!({ "content": [] }))),
        "paths./pets.post.requestBody.content: expected an object, found array"
    );
    assert_eq!(
        error_of(&body(
            json!({ "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Gone" } } } })
        )),
        "paths./pets.post.requestBody.content.application/json.schema.$ref: unresolved $ref \"#/components/schemas/Gone\""
    );
    // A JSON body without a schema accepts any JSON; `*/*` is sent as application/json.
    let spec = parse(&body(json!({ "content": { "*/*": {} } }))).unwrap();
    assert_eq!(spec.operations[0].input_schema["properties"]["body"], json!({}));
    assert_eq!(spec.operations[0].body_media_type.as_deref(), Some("application/json"));
}

#[test]
fn hostile_documents_fail_cleanly() {
    // Nesting deeper than the bound.
    let mut deep = json!({ "type": "string" });
    for _ in 0..200 {
        deep = json!({ "type": "object", "properties": { "a": deep } });
    }
    let doc = with(minimal(), "/paths/~1pets/get/parameters/0/schema", deep);
    let error = parse(&doc).unwrap_err();
    assert!(error.message.contains("nested deeper than 64"), "{error}");

    // Exponential expansion through repeated refs ("billion laughs").
    let mut schemas = serde_json::Map::new();
    schemas.insert("L0".into(), json!({ "type": "string" }));
    for level in 1..=8 {
        let item = json!({ "$ref": format!("#/components/schemas/L{}", level - 1) });
        schemas.insert(format!("L{level}"), json!({ "allOf": vec![item; 10] }));
    }
    let mut doc = with(
        minimal(),
        "/paths/~1pets/get/parameters/0/schema",
        json!({ "$ref": "#/components/schemas/L8" }),
    );
    doc["components"]["schemas"] = Value::Object(schemas);
    let error = parse(&doc).unwrap_err();
    assert_eq!(error.path, "paths./pets.get");
    assert!(error.message.contains("grows beyond 100000 nodes"), "{error}");

    // A long chain of aliases.
    let mut schemas = serde_json::Map::new();
    for n in 0..100 {
        schemas
            .insert(format!("S{n}"), json!({ "$ref": format!("#/components/schemas/S{}", n + 1) }));
    }
    schemas.insert("S100".into(), json!({ "type": "string" }));
    let mut doc = with(
        minimal(),
        "/paths/~1pets/get/parameters/0/schema",
        json!({ "$ref": "#/components/schemas/S0" }),
    );
    doc["components"]["schemas"] = Value::Object(schemas);
    let error = parse(&doc).unwrap_err();
    assert!(
        error.message.contains("nested $refs") || error.message.contains("nested deeper"),
        "{error}"
    );
}

// ---------------------------------------------------------------- names

#[test]
fn wire_names_and_internal_ids() {
    assert_eq!(internal_id("acme", "petstore", "listPets"), "acme:petstore:listPets");
    assert_eq!(wire_name("acme", "petstore", "listPets"), "acme__petstore__listPets");
    assert_eq!(
        wire_name("acme", "petstore", "listPets"),
        wire_name("acme", "petstore", "listPets")
    );

    // Replaced characters get a hash so `pet.store` and `pet_store` stay apart.
    let dotted = wire_name("acme", "pet.store", "list");
    assert!(dotted.starts_with("acme__pet_store__list_"), "{dotted}");
    assert_eq!(dotted.len(), "acme__pet_store__list_".len() + 12);
    assert_ne!(dotted, wire_name("acme", "pet_store", "list"));
    // Separators inside parts would be ambiguous: hashed, so these differ.
    assert_ne!(wire_name("a__b", "c", "d"), wire_name("a", "b__c", "d"));
    assert_ne!(wire_name("a_", "b", "c"), wire_name("a", "_b", "c"));
    assert_ne!(wire_name("a", "b_", "c"), wire_name("a", "b", "_c"));
    assert_eq!(wire_name("a", "b", "_c"), "a__b___c");
    // Non-ASCII.
    let name = wire_name("café", "api", "créer");
    assert!(name.starts_with("caf___api__cr_er_"), "{name}");
}

#[test]
fn ten_thousand_long_wire_names_never_collide() {
    let mut seen = HashSet::new();
    for i in 0..10_000 {
        // Same long prefix, differences only far beyond the 64th character.
        let tenant = "a-tenant-with-a-rather-long-name";
        let api =
            if i % 2 == 0 { "github-enterprise-server" } else { "github-enterprise-server-2" };
        let operation =
            format!("actions/list-selected-repositories-enabled-github-actions-organization-{i}");
        let name = wire_name(tenant, api, &operation);
        assert!(name.len() <= MAX_WIRE_NAME_LEN, "{name}");
        assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            "{name}"
        );
        assert_eq!(name, wire_name(tenant, api, &operation));
        assert!(seen.insert(name.clone()), "collision: {name}");
    }
    assert_eq!(seen.len(), 10_000);
}
