//! Unit tests for parameter serialization styles, path substitution, number formatting and
//! base URL handling.

use serde_json::json;

use super::*;

fn p(location: Location, style: Style, explode: bool) -> Param {
    Param {
        name: "v a".to_owned(),
        arg: "va".to_owned(),
        location,
        required: false,
        style,
        explode,
    }
}

#[test]
fn query_styles() {
    let array = json!(["x y", 1, true]);
    let q = |style, explode, value: &Value| query_pairs(&p(Location::Query, style, explode), value);
    assert_eq!(
        q(Style::Form, true, &array),
        Ok(vec!["v%20a=x%20y".into(), "v%20a=1".into(), "v%20a=true".into()])
    );
    assert_eq!(q(Style::Form, false, &array), Ok(vec!["v%20a=x%20y,1,true".into()]));
    assert_eq!(q(Style::SpaceDelimited, false, &array), Ok(vec!["v%20a=x%20y%201%20true".into()]));
    assert_eq!(q(Style::PipeDelimited, false, &array), Ok(vec!["v%20a=x%20y|1|true".into()]));

    let object = json!({ "k": "v&w", "n": 2 });
    assert_eq!(
        q(Style::DeepObject, true, &object),
        Ok(vec!["v%20a[k]=v%26w".into(), "v%20a[n]=2".into()])
    );
    assert_eq!(q(Style::Form, true, &object), Ok(vec!["k=v%26w".into(), "n=2".into()]));
    assert_eq!(q(Style::Form, false, &object), Ok(vec!["v%20a=k,v%26w,n,2".into()]));
    assert_eq!(
        q(Style::Json, false, &object),
        Ok(vec!["v%20a=%7B%22k%22%3A%22v%26w%22%2C%22n%22%3A2%7D".into()])
    );

    assert!(matches!(q(Style::Form, true, &json!([[1]])), Err(CallError::UnsupportedValue { .. })));
    assert!(matches!(
        q(Style::DeepObject, true, &json!({ "a": { "b": 1 } })),
        Err(CallError::UnsupportedValue { .. })
    ));
    assert!(matches!(
        q(Style::Form, true, &json!([null])),
        Err(CallError::UnsupportedValue { .. })
    ));
}

#[test]
fn header_and_path_values() {
    let header =
        |explode, value: &Value| header_value(&p(Location::Header, Style::Simple, explode), value);
    assert_eq!(header(false, &json!(["a", 1])), Ok("a,1".to_owned()));
    assert_eq!(header(false, &json!({ "a": 1, "b": "c" })), Ok("a,1,b,c".to_owned()));
    assert_eq!(header(true, &json!({ "a": 1, "b": "c" })), Ok("a=1,b=c".to_owned()));
    assert_eq!(header(false, &json!("tab\there")), Ok("tab\there".to_owned()));
    for bad in ["a\nb", "a\rb", "nul\0", "é", "del\u{7f}"] {
        assert_eq!(
            header(false, &json!(bad)),
            Err(CallError::InvalidHeaderValue { name: "va".to_owned() })
        );
    }

    let path =
        |explode, value: &Value| path_value(&p(Location::Path, Style::Simple, explode), value);
    assert_eq!(path(false, &json!(["a/b", "c"])), Ok("a%2Fb,c".to_owned()));
    assert_eq!(path(true, &json!({ "k": "v" })), Ok("k=v".to_owned()));
    assert_eq!(path(false, &json!(12.0)), Ok("12".to_owned()));
    assert_eq!(path(false, &json!(0.5)), Ok("0.5".to_owned()));
    assert_eq!(path(false, &json!(-3)), Ok("-3".to_owned()));
    assert_eq!(path(false, &json!(u64::MAX)), Ok(u64::MAX.to_string()));
}

#[test]
fn substitution_checks_every_segment() {
    let id = Param {
        name: "id".to_owned(),
        arg: "id".to_owned(),
        ..p(Location::Path, Style::Simple, false)
    };
    let ext = Param {
        name: "ext".to_owned(),
        arg: "ext".to_owned(),
        ..p(Location::Path, Style::Simple, false)
    };
    let sub = |template: &str, a: &str, b: &str| {
        substitute(template, &[(&id, a.to_owned()), (&ext, b.to_owned())])
    };
    assert_eq!(sub("/f/{id}.{ext}", "a", "txt"), Ok("/f/a.txt".to_owned()));
    // Two values that together form `..` are refused too.
    assert_eq!(
        sub("/f/{id}{ext}", ".", "."),
        Err(CallError::InvalidPathValue {
            name: "id".to_owned(),
            reason: "\".\" and \"..\" are not allowed"
        })
    );
    assert_eq!(
        sub("/f/{id}{ext}", "", ""),
        Err(CallError::InvalidPathValue { name: "id".to_owned(), reason: "it is empty" })
    );
    // Literal template characters a URL parser would encode are encoded the same way.
    assert_eq!(sub("/a b/{id}", "x", ""), Ok("/a%20b/x".to_owned()));
    assert_eq!(sub("/a\\b/{id}", "x", ""), Ok("/a%5Cb/x".to_owned()));
    assert_eq!(
        sub("/{missing}", "x", ""),
        Err(CallError::MissingArgument { name: "missing".to_owned() })
    );
}

#[test]
fn base_urls() {
    let base = Base::parse("https://API.example.com:443/v2/?a=1#frag")
        .map(|b| (b.origin, b.path, b.query));
    assert_eq!(
        base.ok(),
        Some(("https://api.example.com".to_owned(), "/v2".to_owned(), Some("a=1".to_owned())))
    );
    let base = Base::parse(" http://10.0.0.1:8080 ").map(|b| (b.origin, b.path, b.query));
    assert_eq!(base.ok(), Some(("http://10.0.0.1:8080".to_owned(), String::new(), None)));
    assert!(Base::parse("mailto:a@b.c").is_err());
    assert!(Base::parse("https://:pw@host").is_err());
    assert!(Base::parse("/relative").is_err());
}

#[test]
fn forbidden_headers_are_case_insensitive() {
    for name in
        ["Authorization", "COOKIE", "host", "Transfer-Encoding", "te", "Upgrade", "Content-Length"]
    {
        assert!(is_forbidden_header(name), "{name}");
    }
    for name in ["X-Api-Version", "If-None-Match", "Prefer"] {
        assert!(!is_forbidden_header(name), "{name}");
    }
}
