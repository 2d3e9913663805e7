//! [`build_request`]: a tool call's arguments → the upstream HTTP request.
//!
//! Arguments are checked against the operation (unknown names, missing required ones, JSON
//! types of declared `type`s), then placed: path values percent-encoded as one segment each
//! (`/` → `%2F`; a value that would form an empty, `.` or `..` segment is refused, since URL
//! parsers resolve `%2e%2e` like `..`), query values per style (arrays as repeated keys by
//! default), headers (never credential or hop-by-hop ones, printable ASCII only), and the JSON
//! body. The finished URL is parsed once more and refused if a parser would rewrite its path.

use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};
use url::Url;

use crate::error::CallError;
use crate::model::{Location, Method, Operation, Param, Style, json_type};

/// The HTTP request to send upstream (the gateway adds the API's credential).
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamRequest {
    /// HTTP method.
    pub method: Method,
    /// Absolute URL: base URL (its path prefix and query kept) + path + query.
    pub url: String,
    /// Header parameters, and `content-type` when there is a body.
    pub headers: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<Value>,
}

/// Everything but RFC 3986 unreserved characters: for path segments and query parts.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// What URL parsers would encode (or, for `\`, turn into `/`) in a path: for the literal
/// parts of a template.
const LITERAL_PATH: &AsciiSet = &CONTROLS
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Headers never taken from arguments (lower case): credentials, routing, framing and
/// hop-by-hop headers, and those the OpenAPI specification says to ignore.
const FORBIDDEN_HEADERS: &[&str] = &[
    "accept",
    "authorization",
    "connection",
    "content-length",
    "content-type",
    "cookie",
    "expect",
    "host",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Whether a header is never set from tool-call arguments.
pub(crate) fn is_forbidden_header(name: &str) -> bool {
    FORBIDDEN_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Builds the upstream request for a call of `op` with `args` (a JSON object; `null` means
/// no arguments) against the API's `base_url`.
pub fn build_request(
    op: &Operation,
    base_url: &str,
    args: &Value,
) -> Result<UpstreamRequest, CallError> {
    let empty = Map::new();
    let args = match args {
        Value::Object(args) => args,
        Value::Null => &empty,
        other => return Err(CallError::ArgumentsNotObject { found: json_type(other) }),
    };
    for name in args.keys() {
        let known = op.params.iter().any(|p| p.arg == *name) || (op.has_body && name == "body");
        if !known {
            return Err(CallError::UnknownArgument { name: name.clone() });
        }
    }
    let base = Base::parse(base_url)?;
    let properties = op.input_schema.get("properties");
    let schema_of = |arg: &str| properties.and_then(|p| p.get(arg));

    let mut path_values: Vec<(&Param, String)> = Vec::new();
    let mut query: Vec<String> = base.query.into_iter().collect();
    let mut headers: Vec<(String, String)> = Vec::new();
    for param in &op.params {
        let Some(value) = args.get(&param.arg).filter(|v| !v.is_null()) else {
            if param.required {
                return Err(CallError::MissingArgument { name: param.arg.clone() });
            }
            continue;
        };
        check_type(&param.arg, value, schema_of(&param.arg))?;
        match param.location {
            Location::Path => path_values.push((param, path_value(param, value)?)),
            Location::Query => query.extend(query_pairs(param, value)?),
            Location::Header => {
                if is_forbidden_header(&param.name) {
                    return Err(CallError::ForbiddenHeader { name: param.name.clone() });
                }
                headers.push((param.name.clone(), header_value(param, value)?));
            }
        }
    }

    let body = if op.has_body {
        match args.get("body").filter(|v| !v.is_null()) {
            Some(body) => {
                check_type("body", body, schema_of("body"))?;
                Some(body.clone())
            }
            None if op.body_required => {
                return Err(CallError::MissingArgument { name: "body".to_owned() });
            }
            None => None,
        }
    } else {
        None
    };
    if body.is_some() {
        let media_type =
            op.body_media_type.clone().unwrap_or_else(|| "application/json".to_owned());
        headers.push(("content-type".to_owned(), media_type));
    }

    let path = format!("{}{}", base.path, substitute(&op.path_template, &path_values)?);
    let mut url = format!("{}{}", base.origin, path);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    // Whatever the upstream client parses must be what was built.
    match Url::parse(&url) {
        Ok(parsed) if parsed.path() == path => {}
        _ => return Err(CallError::UrlRewritten),
    }
    Ok(UpstreamRequest { method: op.method, url, headers, body })
}

/// The base URL split into origin (`https://host:port`), path prefix without trailing `/`,
/// and query.
struct Base {
    origin: String,
    path: String,
    query: Option<String>,
}

impl Base {
    fn parse(base_url: &str) -> Result<Self, CallError> {
        let invalid = |reason: &str| CallError::InvalidBaseUrl { reason: reason.to_owned() };
        let url = Url::parse(base_url.trim())
            .map_err(|e| CallError::InvalidBaseUrl { reason: e.to_string() })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("credentials do not belong in the URL"));
        }
        Ok(Self {
            origin: url[..url::Position::BeforePath].to_owned(),
            path: url.path().trim_end_matches('/').to_owned(),
            query: url.query().filter(|q| !q.is_empty()).map(str::to_owned),
        })
    }
}

/// Fills the template's variables with encoded values, refusing empty and dot segments.
fn substitute(template: &str, values: &[(&Param, String)]) -> Result<String, CallError> {
    let mut out = String::with_capacity(template.len());
    for (index, segment) in template.split('/').enumerate() {
        if index > 0 {
            out.push('/');
        }
        let mut built = String::new();
        let mut first_var: Option<&str> = None;
        let mut rest = segment;
        while let Some(open) = rest.find('{') {
            built.extend(utf8_percent_encode(&rest[..open], LITERAL_PATH));
            let after = &rest[open + 1..];
            let close = after.find('}').unwrap_or(after.len());
            let var = &after[..close];
            let Some((param, value)) = values.iter().find(|(p, _)| p.name == var) else {
                return Err(CallError::MissingArgument { name: var.to_owned() });
            };
            first_var.get_or_insert(param.arg.as_str());
            built.push_str(value);
            rest = after.get(close + 1..).unwrap_or_default();
        }
        built.extend(utf8_percent_encode(rest, LITERAL_PATH));
        if let Some(name) = first_var {
            if built.is_empty() {
                return Err(CallError::InvalidPathValue {
                    name: name.to_owned(),
                    reason: "it is empty",
                });
            }
            if built == "." || built == ".." {
                return Err(CallError::InvalidPathValue {
                    name: name.to_owned(),
                    reason: "\".\" and \"..\" are not allowed",
                });
            }
        }
        out.push_str(&built);
    }
    Ok(out)
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// A scalar as text (`null` and containers have none).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        // `10.0` for an integer parameter is sent as `10`.
        Value::Number(number) => Some(match number.as_f64() {
            Some(f)
                if !number.is_i64() && !number.is_u64() && f.fract() == 0.0 && f.abs() < 9.0e15 =>
            {
                format!("{f:.0}")
            }
            _ => number.to_string(),
        }),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn unsupported(param: &Param, reason: &str) -> CallError {
    CallError::UnsupportedValue { name: param.arg.clone(), reason: reason.to_owned() }
}

/// Encoded array items (scalars only).
fn encoded_items(param: &Param, items: &[Value]) -> Result<Vec<String>, CallError> {
    items
        .iter()
        .map(|item| scalar(item).map(|s| encode(&s)))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| unsupported(param, "array items must be strings, numbers or booleans"))
}

/// Encoded `(key, value)` pairs of an object (scalar values only).
fn encoded_entries(
    param: &Param,
    entries: &Map<String, Value>,
) -> Result<Vec<(String, String)>, CallError> {
    entries
        .iter()
        .map(|(key, value)| scalar(value).map(|v| (encode(key), encode(&v))))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| unsupported(param, "object values must be strings, numbers or booleans"))
}

/// `simple` style (path, header): items joined by `,`; objects as `k,v,…` or `k=v,…`
/// (exploded). Returned encoded.
fn simple(param: &Param, value: &Value) -> Result<String, CallError> {
    if param.style == Style::Json {
        return Ok(encode(&value.to_string()));
    }
    match value {
        Value::Array(items) => Ok(encoded_items(param, items)?.join(",")),
        Value::Object(entries) => {
            let pairs = encoded_entries(param, entries)?;
            let sep = if param.explode { "=" } else { "," };
            Ok(pairs.iter().map(|(k, v)| format!("{k}{sep}{v}")).collect::<Vec<_>>().join(","))
        }
        other => scalar(other).map(|s| encode(&s)).ok_or_else(|| unsupported(param, "no value")),
    }
}

fn path_value(param: &Param, value: &Value) -> Result<String, CallError> {
    simple(param, value)
}

fn header_value(param: &Param, value: &Value) -> Result<String, CallError> {
    let text = match (param.style, value) {
        (Style::Json, value) => value.to_string(),
        (_, Value::Array(items)) => items
            .iter()
            .map(scalar)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| unsupported(param, "array items must be strings, numbers or booleans"))?
            .join(","),
        (_, Value::Object(entries)) => {
            let sep = if param.explode { "=" } else { "," };
            entries
                .iter()
                .map(|(k, v)| scalar(v).map(|v| format!("{k}{sep}{v}")))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    unsupported(param, "object values must be strings, numbers or booleans")
                })?
                .join(",")
        }
        (_, other) => scalar(other).ok_or_else(|| unsupported(param, "no value"))?,
    };
    if text.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)) {
        Ok(text)
    } else {
        Err(CallError::InvalidHeaderValue { name: param.arg.clone() })
    }
}

/// Query parts (`key=value`, encoded) for one parameter.
fn query_pairs(param: &Param, value: &Value) -> Result<Vec<String>, CallError> {
    let name = encode(&param.name);
    if param.style == Style::Json {
        return Ok(vec![format!("{name}={}", encode(&value.to_string()))]);
    }
    match value {
        Value::Array(items) => {
            let items = encoded_items(param, items)?;
            let joined = |sep: &str| vec![format!("{name}={}", items.join(sep))];
            Ok(match param.style {
                Style::SpaceDelimited => joined("%20"),
                Style::PipeDelimited => joined("|"),
                _ if param.explode => items.iter().map(|item| format!("{name}={item}")).collect(),
                _ => joined(","),
            })
        }
        Value::Object(entries) => {
            let pairs = encoded_entries(param, entries)?;
            Ok(match param.style {
                Style::DeepObject => {
                    pairs.iter().map(|(k, v)| format!("{name}[{k}]={v}")).collect()
                }
                _ if param.explode => pairs.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                _ => {
                    let flat: Vec<String> = pairs.iter().map(|(k, v)| format!("{k},{v}")).collect();
                    vec![format!("{name}={}", flat.join(","))]
                }
            })
        }
        other => {
            let text = scalar(other).ok_or_else(|| unsupported(param, "no value"))?;
            Ok(vec![format!("{name}={}", encode(&text))])
        }
    }
}

/// Checks `value` against the `type` declared in `schema` (and array items' `type`).
fn check_type(name: &str, value: &Value, schema: Option<&Value>) -> Result<(), CallError> {
    let Some(schema) = schema else {
        return Ok(());
    };
    let declared: Vec<&str> = match schema.get("type") {
        Some(Value::String(ty)) => vec![ty.as_str()],
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !declared.is_empty() && !declared.iter().any(|ty| has_type(value, ty)) {
        return Err(CallError::WrongType {
            name: name.to_owned(),
            expected: declared.join(" or "),
            found: json_type(value),
        });
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (index, item) in items.iter().enumerate() {
            check_type(&format!("{name}[{index}]"), item, Some(item_schema))?;
        }
    }
    Ok(())
}

fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "string" => value.is_string(),
        "integer" => {
            value.is_i64()
                || value.is_u64()
                || value.as_f64().is_some_and(|f| f.is_finite() && f.fract() == 0.0)
        }
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

#[cfg(test)]
mod tests;
