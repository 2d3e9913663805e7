//! [`parse`]: validation of an OpenAPI 3.0/3.1 document and its conversion into
//! [`Operation`]s.
//!
//! Order of work: version and `info`, then each path (sorted) — template, path item (a local
//! `$ref` is followed), path-level parameters, then each method in a fixed order —
//! parameters (merged over the path-level ones by name and location), request body, input
//! schema. Ids are assigned last: `operationId`s first, derived ids after, `_2`, `_3` on
//! clashes, so adding an operation without `operationId` never renames one that has one.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use crate::error::SpecError;
use crate::loc::Loc;
use crate::model::{ApiSpec, Location, Method, Operation, Param, Skipped, Style, json_type};
use crate::names::{derived_id, sanitize};
use crate::refs::Resolver;
use crate::request::is_forbidden_header;

/// Validates `doc` and converts its operations into tools.
///
/// `doc` is the document as JSON; a JSON string holding the document's JSON text is accepted
/// too (YAML is not supported). Errors name the place in the document.
pub fn parse(doc: &Value) -> Result<ApiSpec, SpecError> {
    if let Value::String(text) = doc {
        let parsed: Value = serde_json::from_str(text).map_err(|e| {
            SpecError::new(
                "document",
                format!("not a JSON document ({e}); only JSON is supported, not YAML"),
            )
        })?;
        return parse_document(&parsed);
    }
    parse_document(doc)
}

fn parse_document(doc: &Value) -> Result<ApiSpec, SpecError> {
    let Value::Object(root) = doc else {
        return Err(SpecError::new(
            "document",
            format!("expected an OpenAPI document (a JSON object), found {}", json_type(doc)),
        ));
    };
    let openapi = check_version(root)?;
    let (title, version) = info(root)?;
    let paths = match root.get("paths") {
        Some(Value::Object(paths)) => paths,
        Some(other) => {
            return Err(SpecError::new(
                "paths",
                format!("expected an object, found {}", json_type(other)),
            ));
        }
        None => return Err(SpecError::new("paths", "missing")),
    };

    let mut resolver = Resolver::new(doc);
    let mut built = Vec::new();
    let mut skipped = Vec::new();
    let mut templates: Vec<&String> = paths.keys().collect();
    templates.sort();
    for template in templates {
        if let Some(item) = paths.get(template) {
            parse_path_item(&mut resolver, template, item, &mut built, &mut skipped)?;
        }
    }
    Ok(ApiSpec { title, version, openapi, operations: assign_ids(built), skipped })
}

fn check_version(root: &Map<String, Value>) -> Result<String, SpecError> {
    let version = match root.get("openapi") {
        Some(Value::String(version)) => version,
        Some(other) => {
            return Err(SpecError::new(
                "openapi",
                format!("expected a version string, found {}", json_type(other)),
            ));
        }
        None if root.contains_key("swagger") => {
            return Err(SpecError::new(
                "openapi",
                "missing: Swagger 2.0 documents are not supported (convert to OpenAPI 3)",
            ));
        }
        None => return Err(SpecError::new("openapi", "missing")),
    };
    let parts: Vec<&str> = version.split('.').collect();
    let supported = matches!(parts.as_slice(), ["3", "0" | "1", patch]
        if !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()));
    if !supported {
        return Err(SpecError::new(
            "openapi",
            format!("unsupported version \"{version}\" (expected 3.0.x or 3.1.x)"),
        ));
    }
    Ok(version.clone())
}

fn info(root: &Map<String, Value>) -> Result<(String, Option<String>), SpecError> {
    let info = match root.get("info") {
        Some(Value::Object(info)) => info,
        Some(other) => {
            return Err(SpecError::new(
                "info",
                format!("expected an object, found {}", json_type(other)),
            ));
        }
        None => return Err(SpecError::new("info", "missing")),
    };
    let title = match info.get("title") {
        Some(Value::String(title)) => title.clone(),
        Some(other) => {
            return Err(SpecError::new(
                "info.title",
                format!("expected a string, found {}", json_type(other)),
            ));
        }
        None => return Err(SpecError::new("info.title", "missing")),
    };
    let version = info.get("version").and_then(Value::as_str).map(str::to_owned);
    Ok((title, version))
}

/// Keys a path item may hold besides methods.
const PATH_ITEM_FIELDS: &[&str] = &["summary", "description", "servers", "parameters", "$ref"];

/// An operation before ids are assigned.
struct Built {
    operation_id: Option<String>,
    operation: Operation,
}

fn parse_path_item<'d>(
    resolver: &mut Resolver<'d>,
    template: &str,
    item: &'d Value,
    built: &mut Vec<Built>,
    skipped: &mut Vec<Skipped>,
) -> Result<(), SpecError> {
    let item_loc = format!("paths.{template}");
    if !template.starts_with('/') {
        return Err(SpecError::new(item_loc, "path must start with \"/\""));
    }
    if template.split('/').any(|segment| segment == "." || segment == "..") {
        return Err(SpecError::new(item_loc, "path must not contain \".\" or \"..\" segments"));
    }
    let vars =
        template_variables(template).map_err(|message| SpecError::new(&item_loc, message))?;
    let (item, item_loc) = resolver.follow(item, item_loc)?;
    let Value::Object(item) = item else {
        return Err(SpecError::new(
            item_loc,
            format!("expected a path item object, found {}", json_type(item)),
        ));
    };
    for key in item.keys() {
        let known = Method::ALL.iter().any(|m| m.key() == key)
            || PATH_ITEM_FIELDS.contains(&key.as_str())
            || key.starts_with("x-");
        if !known {
            return Err(SpecError::new(
                format!("{item_loc}.{key}"),
                format!(
                    "unsupported method \"{key}\" (expected get, put, post, delete, patch, head or options)"
                ),
            ));
        }
    }
    let context = PathContext { template, vars: &vars };
    resolver.begin_operation(item_loc.clone());
    let common = parse_params(
        resolver,
        item.get("parameters"),
        &format!("{item_loc}.parameters"),
        &context,
    )?;
    for method in Method::ALL {
        let Some(operation) = item.get(method.key()) else {
            continue;
        };
        let op_loc = format!("{item_loc}.{}", method.key());
        resolver.begin_operation(op_loc.clone());
        match parse_operation(resolver, method, item, operation, &op_loc, &common, &context)? {
            Ok(operation) => built.push(operation),
            Err(reason) => skipped.push(Skipped { method, path: template.to_owned(), reason }),
        }
    }
    Ok(())
}

/// The path an operation belongs to.
struct PathContext<'a> {
    template: &'a str,
    vars: &'a [String],
}

/// Variable names of a path template, validated (balanced, non-empty, distinct braces).
fn template_variables(template: &str) -> Result<Vec<String>, String> {
    let mut vars: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(index) = rest.find(['{', '}']) {
        if rest[index..].starts_with('}') {
            return Err("unmatched \"}\" in path template".to_owned());
        }
        let after = &rest[index + 1..];
        let Some(close) = after.find(['{', '}', '/']).filter(|&i| after[i..].starts_with('}'))
        else {
            return Err("unclosed \"{\" in path template".to_owned());
        };
        let name = &after[..close];
        if name.is_empty() {
            return Err("empty \"{}\" in path template".to_owned());
        }
        if vars.iter().any(|v| v == name) {
            return Err(format!("variable \"{{{name}}}\" appears twice in path template"));
        }
        vars.push(name.to_owned());
        rest = &after[close + 1..];
    }
    Ok(vars)
}

/// A parameter as declared, before merging.
struct Declared {
    /// Location (`None` for cookie) and name (lower case for headers): the merge key.
    key: (Option<Location>, String),
    required: bool,
    outcome: Outcome,
}

enum Outcome {
    Use(Box<Usable>),
    /// Not an argument (cookie, credential and hop-by-hop headers).
    Ignore,
    /// Valid but not callable; the reason.
    Unsupported(String),
}

struct Usable {
    param: Param,
    schema: Value,
}

fn parse_params<'d>(
    resolver: &mut Resolver<'d>,
    list: Option<&'d Value>,
    loc: &str,
    context: &PathContext<'_>,
) -> Result<Vec<Declared>, SpecError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let Value::Array(entries) = list else {
        return Err(SpecError::new(loc, format!("expected an array, found {}", json_type(list))));
    };
    let mut declared: Vec<Declared> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let entry_loc = format!("{loc}[{index}]");
        let (param, target_loc) = resolver.follow(entry, entry_loc.clone())?;
        let param = parse_param(resolver, param, &entry_loc, &target_loc, context)?;
        if declared.iter().any(|d| d.key == param.key) {
            let (location, name) = &param.key;
            let location = location.map_or("cookie", Location::as_str);
            return Err(SpecError::new(
                entry_loc,
                format!("duplicate {location} parameter \"{name}\""),
            ));
        }
        declared.push(param);
    }
    Ok(declared)
}

fn parse_param<'d>(
    resolver: &mut Resolver<'d>,
    param: &'d Value,
    entry_loc: &str,
    target_loc: &str,
    context: &PathContext<'_>,
) -> Result<Declared, SpecError> {
    let err = |message: String| SpecError::new(entry_loc, message);
    let Value::Object(map) = param else {
        return Err(err(format!("expected a parameter object, found {}", json_type(param))));
    };
    let name = match map.get("name") {
        Some(Value::String(name)) if !name.is_empty() => name,
        Some(Value::String(_)) => return Err(err("parameter \"name\" is empty".to_owned())),
        Some(other) => {
            return Err(err(format!(
                "parameter \"name\" must be a string, found {}",
                json_type(other)
            )));
        }
        None => return Err(err("parameter has no \"name\"".to_owned())),
    };
    let location = match map.get("in").map(|v| (v, v.as_str())) {
        Some((_, Some("path"))) => Some(Location::Path),
        Some((_, Some("query"))) => Some(Location::Query),
        Some((_, Some("header"))) => Some(Location::Header),
        Some((_, Some("cookie"))) => None,
        Some((_, Some(other))) => {
            return Err(err(format!(
                "parameter \"{name}\": \"in\" must be path, query, header or cookie, found \"{other}\""
            )));
        }
        Some((other, None)) => {
            return Err(err(format!(
                "parameter \"{name}\": \"in\" must be a string, found {}",
                json_type(other)
            )));
        }
        None => return Err(err(format!("parameter \"{name}\" has no \"in\""))),
    };
    let required = match map.get("required") {
        None => false,
        Some(Value::Bool(required)) => *required,
        Some(other) => {
            return Err(err(format!(
                "parameter \"{name}\": \"required\" must be a boolean, found {}",
                json_type(other)
            )));
        }
    };
    if location == Some(Location::Path) {
        if !required {
            return Err(err(format!("path parameter \"{name}\" must be required")));
        }
        if !context.vars.iter().any(|v| v == name) {
            return Err(err(format!(
                "path parameter \"{name}\" does not appear in the path template \"{}\"",
                context.template
            )));
        }
    }
    if location == Some(Location::Header) && !is_token(name) {
        return Err(err(format!("header parameter \"{name}\" is not a valid header name")));
    }
    let key_name =
        if location == Some(Location::Header) { name.to_ascii_lowercase() } else { name.clone() };
    let key = (location, key_name);
    let declared = |outcome| Declared { key: key.clone(), required, outcome };

    // Schema: `schema`, or the one media type of `content`.
    let (schema, schema_loc, json_content) = match (map.get("schema"), map.get("content")) {
        (Some(_), Some(_)) => {
            return Err(err(format!("parameter \"{name}\" has both \"schema\" and \"content\"")));
        }
        (Some(schema), None) => (Some(schema), format!("{target_loc}.schema"), false),
        (None, Some(Value::Object(content))) => {
            let mut media = content.iter();
            let (Some((media_type, media)), None) = (media.next(), media.next()) else {
                return Err(err(format!(
                    "parameter \"{name}\": \"content\" must hold exactly one media type"
                )));
            };
            if json_rank(media_type).is_none() {
                return Ok(declared(Outcome::Unsupported(format!(
                    "parameter \"{name}\" is sent as \"{media_type}\""
                ))));
            }
            (media.get("schema"), format!("{target_loc}.content.{media_type}.schema"), true)
        }
        (None, Some(other)) => {
            return Err(err(format!(
                "parameter \"{name}\": \"content\" must be an object, found {}",
                json_type(other)
            )));
        }
        (None, None) => (None, String::new(), false),
    };

    let style = match map.get("style") {
        None => None,
        Some(Value::String(style)) => Some(style.as_str()),
        Some(other) => {
            return Err(err(format!(
                "parameter \"{name}\": \"style\" must be a string, found {}",
                json_type(other)
            )));
        }
    };
    let style = match (location, style) {
        (None, _) => return Ok(declared(Outcome::Ignore)),
        _ if json_content => Style::Json,
        (Some(Location::Path), None | Some("simple"))
        | (Some(Location::Header), None | Some("simple")) => Style::Simple,
        (Some(Location::Path), Some(style @ ("label" | "matrix"))) => {
            return Ok(declared(Outcome::Unsupported(format!(
                "path parameter \"{name}\" uses style \"{style}\""
            ))));
        }
        (Some(Location::Query), None | Some("form")) => Style::Form,
        (Some(Location::Query), Some("spaceDelimited")) => Style::SpaceDelimited,
        (Some(Location::Query), Some("pipeDelimited")) => Style::PipeDelimited,
        (Some(Location::Query), Some("deepObject")) => Style::DeepObject,
        (Some(location), Some(style)) => {
            return Err(err(format!(
                "parameter \"{name}\": style \"{style}\" is not allowed in {}",
                location.as_str()
            )));
        }
    };
    let explode = match map.get("explode") {
        None => style == Style::Form,
        Some(Value::Bool(explode)) => *explode,
        Some(other) => {
            return Err(err(format!(
                "parameter \"{name}\": \"explode\" must be a boolean, found {}",
                json_type(other)
            )));
        }
    };
    let Some(location) = location else {
        return Ok(declared(Outcome::Ignore));
    };
    if location == Location::Header && is_forbidden_header(name) {
        return Ok(declared(Outcome::Ignore));
    }

    let mut schema = match schema {
        Some(schema) => resolver.inline(schema, &Loc::Root(&schema_loc))?,
        None => json!({}),
    };
    if let (Value::Object(schema), Some(Value::String(description))) =
        (&mut schema, map.get("description"))
    {
        schema.entry("description").or_insert_with(|| Value::String(description.clone()));
    }
    let param =
        Param { name: name.clone(), arg: String::new(), location, required, style, explode };
    Ok(declared(Outcome::Use(Box::new(Usable { param, schema }))))
}

/// RFC 9110 token characters.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// How well a media type fits a JSON body: 0 `application/json`, 1 other JSON types
/// (`+json`, `text/json`), 2 wildcards; `None` for non-JSON types.
fn json_rank(media_type: &str) -> Option<u8> {
    let essence = media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Some(0),
        "text/json" => Some(1),
        "*/*" | "application/*" => Some(2),
        other if other.ends_with("+json") => Some(1),
        _ => None,
    }
}

/// The request body: its schema, whether it is required, and the media type to send.
struct Body {
    schema: Value,
    required: bool,
    media_type: String,
}

fn parse_operation<'d>(
    resolver: &mut Resolver<'d>,
    method: Method,
    item: &'d Map<String, Value>,
    operation: &'d Value,
    op_loc: &str,
    common: &[Declared],
    context: &PathContext<'_>,
) -> Result<Result<Built, String>, SpecError> {
    let Value::Object(op) = operation else {
        return Err(SpecError::new(
            op_loc,
            format!("expected an operation object, found {}", json_type(operation)),
        ));
    };
    let operation_id = match op.get("operationId") {
        None => None,
        Some(Value::String(id)) if id.is_empty() => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(other) => {
            return Err(SpecError::new(
                format!("{op_loc}.operationId"),
                format!("expected a string, found {}", json_type(other)),
            ));
        }
    };
    let own =
        parse_params(resolver, op.get("parameters"), &format!("{op_loc}.parameters"), context)?;

    // Operation-level parameters override path-level ones with the same name and location.
    let mut merged: Vec<&Declared> =
        common.iter().filter(|c| !own.iter().any(|o| o.key == c.key)).collect();
    merged.extend(own.iter());
    for var in context.vars {
        let declared = merged.iter().any(|d| d.key.0 == Some(Location::Path) && d.key.1 == *var);
        if !declared {
            return Err(SpecError::new(
                op_loc,
                format!("path template variable \"{{{var}}}\" has no path parameter"),
            ));
        }
    }

    let body = match op.get("requestBody") {
        None => None,
        Some(body) => match parse_body(resolver, body, op_loc)? {
            Ok(body) => Some(body),
            Err(reason) => return Ok(Err(reason)),
        },
    };

    let mut usable: Vec<&Usable> = Vec::new();
    for declared in &merged {
        match &declared.outcome {
            Outcome::Use(param) => usable.push(param),
            Outcome::Ignore => {}
            Outcome::Unsupported(reason) if declared.required => return Ok(Err(reason.clone())),
            Outcome::Unsupported(_) => {}
        }
    }
    // Path parameters first, then query, then header; declaration order within each.
    usable.sort_by_key(|u| match u.param.location {
        Location::Path => 0,
        Location::Query => 1,
        Location::Header => 2,
    });

    let mut taken: HashSet<String> = HashSet::new();
    if body.is_some() {
        taken.insert("body".to_owned());
    }
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut params = Vec::with_capacity(usable.len());
    for usable in usable {
        let mut param = usable.param.clone();
        let arg = if taken.contains(&param.name) {
            unique(format!("{}_{}", param.location.as_str(), param.name), &mut taken)
        } else {
            unique(param.name.clone(), &mut taken)
        };
        properties.insert(arg.clone(), usable.schema.clone());
        if param.required {
            required.push(Value::String(arg.clone()));
        }
        param.arg = arg;
        params.push(param);
    }
    if let Some(body) = &body {
        properties.insert("body".to_owned(), body.schema.clone());
        if body.required {
            required.push(Value::String("body".to_owned()));
        }
    }
    let mut input_schema = Map::new();
    input_schema.insert("type".to_owned(), json!("object"));
    input_schema.insert("properties".to_owned(), Value::Object(properties));
    if !required.is_empty() {
        input_schema.insert("required".to_owned(), Value::Array(required));
    }
    input_schema.insert("additionalProperties".to_owned(), Value::Bool(false));

    let text = |key: &str| {
        op.get(key).or_else(|| item.get(key)).and_then(Value::as_str).map(str::to_owned)
    };
    let operation = Operation {
        id: String::new(),
        operation_id: operation_id.clone(),
        method,
        path_template: context.template.to_owned(),
        summary: text("summary"),
        description: text("description"),
        deprecated: op.get("deprecated").and_then(Value::as_bool) == Some(true),
        input_schema: Value::Object(input_schema),
        params,
        has_body: body.is_some(),
        body_required: body.as_ref().is_some_and(|b| b.required),
        body_media_type: body.map(|b| b.media_type),
    };
    Ok(Ok(Built { operation_id, operation }))
}

fn parse_body<'d>(
    resolver: &mut Resolver<'d>,
    body: &'d Value,
    op_loc: &str,
) -> Result<Result<Body, String>, SpecError> {
    let body_loc = format!("{op_loc}.requestBody");
    let (body, target_loc) = resolver.follow(body, body_loc.clone())?;
    let Value::Object(map) = body else {
        return Err(SpecError::new(
            body_loc,
            format!("expected a request body object, found {}", json_type(body)),
        ));
    };
    let content = match map.get("content") {
        Some(Value::Object(content)) => content,
        Some(other) => {
            return Err(SpecError::new(
                format!("{target_loc}.content"),
                format!("expected an object, found {}", json_type(other)),
            ));
        }
        None => return Err(SpecError::new(body_loc, "request body has no \"content\"")),
    };
    let required = match map.get("required") {
        None => false,
        Some(Value::Bool(required)) => *required,
        Some(other) => {
            return Err(SpecError::new(
                format!("{target_loc}.required"),
                format!("expected a boolean, found {}", json_type(other)),
            ));
        }
    };
    let mut types: Vec<&String> = content.keys().collect();
    types.sort();
    let chosen = types
        .iter()
        .filter_map(|t| json_rank(t).map(|rank| (rank, *t)))
        .min_by_key(|(rank, _)| *rank);
    let Some((rank, media_type)) = chosen else {
        let offered: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
        return Ok(Err(format!(
            "request body has no JSON media type (offers {})",
            offered.join(", ")
        )));
    };
    let schema = match content.get(media_type) {
        Some(Value::Object(media)) => match media.get("schema") {
            Some(schema) => {
                let schema_loc = format!("{target_loc}.content.{media_type}.schema");
                resolver.inline(schema, &Loc::Root(&schema_loc))?
            }
            None => json!({}),
        },
        Some(other) => {
            return Err(SpecError::new(
                format!("{target_loc}.content.{media_type}"),
                format!("expected a media type object, found {}", json_type(other)),
            ));
        }
        None => json!({}),
    };
    let mut schema = schema;
    if let (Value::Object(schema), Some(Value::String(description))) =
        (&mut schema, map.get("description"))
    {
        schema.entry("description").or_insert_with(|| Value::String(description.clone()));
    }
    let media_type = if rank == 2 { "application/json".to_owned() } else { media_type.clone() };
    Ok(Ok(Body { schema, required, media_type }))
}

/// `base`, or `base_2`, `base_3`, … whichever is free; marks it taken.
fn unique(base: String, taken: &mut HashSet<String>) -> String {
    if taken.insert(base.clone()) {
        return base;
    }
    let mut n = 2_usize;
    loop {
        let candidate = format!("{base}_{n}");
        if taken.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

fn assign_ids(built: Vec<Built>) -> Vec<Operation> {
    let mut taken = HashSet::new();
    let mut ids: Vec<Option<String>> = built
        .iter()
        .map(|b| b.operation_id.as_deref().map(|id| unique(sanitize(id), &mut taken)))
        .collect();
    for (id, b) in ids.iter_mut().zip(&built) {
        if id.is_none() {
            let op = &b.operation;
            *id = Some(unique(derived_id(op.method, &op.path_template), &mut taken));
        }
    }
    built
        .into_iter()
        .zip(ids)
        .map(|(b, id)| Operation { id: id.unwrap_or_default(), ..b.operation })
        .collect()
}

#[cfg(test)]
mod tests;
