//! Unit tests of the deterministic answer and usage rules.

use super::*;

fn conv(user: &str) -> Conversation {
    let mut c = Conversation::default();
    c.push(Role::System, "be brief".into(), None);
    c.push(Role::User, user.into(), None);
    c
}

#[test]
fn echo_and_usage() {
    let reply = conv("hello there world").answer();
    assert_eq!(reply.answer, Answer::Text("echo: hello there world".into()));
    assert_eq!(reply.stop, Stop::End);
    assert_eq!(reply.input_tokens, (3 + 2) + (3 + 3));
    assert_eq!(reply.output_tokens, 4);
}

#[test]
fn echo_quotes_forty_chars() {
    let long = "abcdefghij".repeat(6);
    let reply = conv(&long).answer();
    assert_eq!(reply.answer, Answer::Text(format!("echo: {}", &long[..40])));
    assert_eq!(reply.output_tokens, 2);
    // Characters, not bytes.
    let reply = conv(&"é".repeat(50)).answer();
    assert_eq!(reply.answer, Answer::Text(format!("echo: {}", "é".repeat(40))));
}

#[test]
fn lorem_and_max_tokens() {
    let reply = conv("give me [[words:25]] please").answer();
    let Answer::Text(text) = &reply.answer else { panic!("text expected") };
    assert_eq!(words(text), 25);
    assert_eq!(reply.output_tokens, 25);
    assert!(text.starts_with("lorem ipsum dolor"));

    let mut c = conv("[[words:25]]");
    c.set_max_tokens(Some(7));
    let reply = c.answer();
    assert_eq!(
        reply.answer,
        Answer::Text("lorem ipsum dolor sit amet consectetur adipiscing".into())
    );
    assert_eq!((reply.output_tokens, reply.stop), (7, Stop::MaxTokens));

    let mut c = conv("short");
    c.set_max_tokens(Some(7));
    assert_eq!(c.answer().stop, Stop::End);

    let mut c = conv("short");
    c.set_max_tokens(Some(0));
    let reply = c.answer();
    assert_eq!((reply.answer, reply.output_tokens), (Answer::Text(String::new()), 0));
}

#[test]
fn tool_calls_need_declared_tools() {
    assert!(matches!(conv("[[tool]] x").answer().answer, Answer::Text(_)));

    let mut c = conv("[[tool]]  weather in Paris ");
    c.declare_tool("lookup");
    c.declare_tool("other");
    let reply = c.answer();
    assert_eq!(reply.answer, Answer::Tool { name: "lookup".into(), q: "weather in Paris".into() });
    assert_eq!((reply.stop, reply.output_tokens), (Stop::ToolUse, 4));

    let mut c = conv("please [[tool:other]] now");
    c.declare_tool("lookup");
    c.declare_tool("other");
    assert_eq!(c.answer().answer, Answer::Tool { name: "other".into(), q: "please  now".into() });
}

#[test]
fn tool_result_wins() {
    let mut c = conv("[[tool]] x");
    c.declare_tool("lookup");
    c.push(Role::Assistant, String::new(), None);
    c.push(Role::Tool, String::new(), Some("20 degrees and sunny".into()));
    let reply = c.answer();
    assert_eq!(reply.answer, Answer::Text("tool said: 20 degrees and sunny".into()));
    assert_eq!(reply.input_tokens, 5 + (3 + 2) + 3 + (3 + 4));
}

#[test]
fn segments_concatenate_exactly() {
    for text in ["", "one", "echo: a  b\nc ", " lead", "a b c d e"] {
        let parts = segments(text);
        assert_eq!(parts.concat(), text);
        assert_eq!(parts.len() as u64, words(text).max(u64::from(!text.is_empty())));
    }
    assert_eq!(segments("a b"), vec!["a", " b"]);
}

#[test]
fn fragments_split_on_chars() {
    let s = r#"{"q":"héllo wörld"}"#;
    let parts = fragments(s, 8);
    assert!(parts.len() >= 3);
    assert_eq!(parts.concat(), s);
}
