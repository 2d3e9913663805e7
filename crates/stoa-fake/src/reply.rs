//! The deterministic answer: what the fake says, and the usage it reports.
//!
//! Each provider module flattens its request into a [`Conversation`]; [`Conversation::answer`]
//! then decides, identically for every wire format:
//!
//! 1. the last message is a tool result → text `"tool said: " + first 40 chars of the result`;
//! 2. tools are declared and the last user message contains `[[tool:NAME]]` (or `[[tool]]`, the
//!    first declared tool) → a call of NAME with arguments `{"q": Q}`, where Q is the first 40
//!    chars of the last user message with the marker removed and surrounding whitespace trimmed;
//! 3. the last user message contains `[[words:N]]` → N words of a fixed lorem ipsum;
//! 4. otherwise → `"echo: " + first 40 chars of the last user message`.
//!
//! Text answers are cut to the first `max_tokens` words when the request sets a smaller limit
//! (stop reason "max tokens"). Usage:
//!
//! - input tokens = Σ over messages (the system prompt counts as one message) of
//!   `3 + words(text parts) + words(tool-result text)`; tool calls, images and tool
//!   declarations count nothing;
//! - output tokens = words of the (cut) text, or `1 + words(Q)` for a tool call;
//!
//! where `words(s)` is the number of whitespace-separated words of `s`.

/// Characters of the user message (or tool result) quoted back.
pub(crate) const QUOTE_CHARS: usize = 40;
/// The most words `[[words:N]]` produces.
const MAX_LOREM_WORDS: u64 = 100_000;
const LOREM: [&str; 19] = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
];

/// Who said a message, in provider-neutral terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    System,
    User,
    Assistant,
    Tool,
}

/// A request flattened to what decides the answer.
#[derive(Debug, Default)]
pub(crate) struct Conversation {
    input_tokens: u64,
    last_user_text: String,
    last_tool_result: Option<String>,
    tools: Vec<String>,
    max_tokens: Option<u64>,
}

/// Why the answer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    End,
    MaxTokens,
    ToolUse,
}

/// The answer proper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    Text(String),
    Tool { name: String, q: String },
}

/// The answer with its usage.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub(crate) answer: Answer,
    pub(crate) stop: Stop,
    pub(crate) input_tokens: u64,
    pub(crate) output_tokens: u64,
}

impl Conversation {
    /// Adds one message: its text parts joined, and the text of the tool results it carries.
    pub(crate) fn push(&mut self, role: Role, text: String, tool_result: Option<String>) {
        self.input_tokens += 3 + words(&text) + tool_result.as_deref().map_or(0, words);
        if role == Role::User {
            self.last_user_text = text;
        }
        self.last_tool_result = tool_result;
    }

    pub(crate) fn declare_tool(&mut self, name: &str) {
        self.tools.push(name.to_owned());
    }

    pub(crate) fn set_max_tokens(&mut self, max: Option<u64>) {
        self.max_tokens = max;
    }

    pub(crate) fn input_tokens(&self) -> u64 {
        self.input_tokens
    }

    /// The deterministic answer (see the module documentation).
    pub(crate) fn answer(&self) -> Reply {
        if let Some(result) = &self.last_tool_result {
            return self.text_reply(format!("tool said: {}", prefix(result, QUOTE_CHARS)));
        }
        if let Some(name) = tool_marker(&self.last_user_text, &self.tools) {
            let q = prefix(strip_tool_marker(&self.last_user_text).trim(), QUOTE_CHARS).to_owned();
            let output_tokens = 1 + words(&q);
            return Reply {
                answer: Answer::Tool { name, q },
                stop: Stop::ToolUse,
                input_tokens: self.input_tokens,
                output_tokens,
            };
        }
        let text = match words_marker(&self.last_user_text) {
            Some(n) => lorem(n),
            None => format!("echo: {}", prefix(&self.last_user_text, QUOTE_CHARS)),
        };
        self.text_reply(text)
    }

    fn text_reply(&self, mut text: String) -> Reply {
        let mut count = words(&text);
        let mut stop = Stop::End;
        if let Some(max) = self.max_tokens
            && count > max
        {
            let cut = first_words(&text, max).len();
            text.truncate(cut);
            count = max;
            stop = Stop::MaxTokens;
        }
        Reply {
            answer: Answer::Text(text),
            stop,
            input_tokens: self.input_tokens,
            output_tokens: count,
        }
    }
}

/// Appends `part` to `buf`, separated by a newline.
pub(crate) fn append(buf: &mut String, part: &str) {
    if !buf.is_empty() {
        buf.push('\n');
    }
    buf.push_str(part);
}

/// The number of whitespace-separated words of `s`.
pub(crate) fn words(s: &str) -> u64 {
    s.split_whitespace().count() as u64
}

/// The first `n` characters of `s`.
pub(crate) fn prefix(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `s` up to the end of its `n`-th word.
fn first_words(s: &str, n: u64) -> &str {
    if n == 0 {
        return "";
    }
    let mut count = 0;
    let mut in_word = false;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            if in_word && count == n {
                return &s[..i];
            }
            in_word = false;
        } else if !in_word {
            in_word = true;
            count += 1;
        }
    }
    s
}

/// Splits `text` into stream deltas, one word each (with the whitespace before it), whose
/// concatenation is exactly `text`.
pub(crate) fn segments(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev_ws = true;
    let mut seen_word = false;
    let mut gap_start = 0;
    for (i, c) in text.char_indices() {
        let ws = c.is_whitespace();
        if ws && !prev_ws {
            gap_start = i;
        } else if !ws && prev_ws {
            if seen_word {
                out.push(&text[start..gap_start]);
                start = gap_start;
            }
            seen_word = true;
        }
        prev_ws = ws;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Splits `s` into pieces of at most `n` characters (for streamed tool arguments).
pub(crate) fn fragments(s: &str, n: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let piece = prefix(rest, n);
        out.push(piece);
        rest = &rest[piece.len()..];
    }
    out
}

/// The tool named by `[[tool:NAME]]` / `[[tool]]` in `text`, when tools are declared.
fn tool_marker(text: &str, tools: &[String]) -> Option<String> {
    let first = tools.first()?;
    let at = text.find("[[tool")?;
    let rest = &text[at + "[[tool".len()..];
    if rest.starts_with("]]") {
        return Some(first.clone());
    }
    let rest = rest.strip_prefix(':')?;
    let name = rest[..rest.find("]]")?].trim();
    Some(if name.is_empty() { first.clone() } else { name.to_owned() })
}

/// `text` without its first `[[tool…]]` marker.
fn strip_tool_marker(text: &str) -> String {
    let Some(at) = text.find("[[tool") else { return text.to_owned() };
    let Some(len) = text[at..].find("]]") else { return text.to_owned() };
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..at]);
    out.push_str(&text[at + len + 2..]);
    out
}

/// N from `[[words:N]]` in `text`.
fn words_marker(text: &str) -> Option<u64> {
    let at = text.find("[[words:")?;
    let rest = &text[at + "[[words:".len()..];
    let n: u64 = rest[..rest.find("]]")?].trim().parse().ok()?;
    Some(n.min(MAX_LOREM_WORDS))
}

/// `n` words of lorem ipsum, separated by single spaces.
fn lorem(n: u64) -> String {
    let mut out = String::new();
    for (i, word) in LOREM.iter().cycle().take(usize::try_from(n).unwrap_or(0)).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests;
