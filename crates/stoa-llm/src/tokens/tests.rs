//! Tokenizer sanity: known o200k/cl100k counts and the estimate factors.

use super::*;

fn openai(model: &str) -> ModelRef {
    ModelRef::new(ProviderKind::OpenAi, model)
}

#[test]
fn known_counts() {
    assert_eq!(count_bpe(Encoding::O200kBase, "hello world"), 2);
    assert_eq!(count_bpe(Encoding::Cl100kBase, "hello world"), 2);
    assert_eq!(count_bpe(Encoding::O200kBase, ""), 0);
    // the tiktoken README's example: 6 tokens in both vocabularies
    assert_eq!(count_bpe(Encoding::O200kBase, "tiktoken is great!"), 6);
    assert_eq!(count_bpe(Encoding::Cl100kBase, "tiktoken is great!"), 6);
}

#[test]
fn encodings_by_model() {
    assert_eq!(encoding_for("gpt-4o-mini"), Encoding::O200kBase);
    assert_eq!(encoding_for("gpt-4.1"), Encoding::O200kBase);
    assert_eq!(encoding_for("o3-mini"), Encoding::O200kBase);
    assert_eq!(encoding_for("gpt-4-turbo"), Encoding::Cl100kBase);
    assert_eq!(encoding_for("gpt-3.5-turbo"), Encoding::Cl100kBase);
    assert_eq!(encoding_for("llama3.1:8b"), Encoding::O200kBase);
}

#[test]
fn message_overhead() {
    // two messages: 2 + 1 BPE tokens, 2 × 3 overhead, 3 primer
    let n = count_input_tokens(&openai("gpt-4o"), ["hello world", "hi"].into_iter());
    assert_eq!(n, 2 + 1 + 6 + 3);
    assert_eq!(count_input_tokens(&openai("gpt-4o"), std::iter::empty()), 3);
}

#[test]
fn estimates_over_count() {
    let text = "The quick brown fox jumps over the lazy dog. ".repeat(20);
    let base = count_input_tokens(&openai("gpt-4o"), [text.as_str()].into_iter());
    let claude = count_input_tokens(
        &ModelRef::new(ProviderKind::Anthropic, "claude-sonnet-4-6"),
        [text.as_str()].into_iter(),
    );
    let gemini = count_input_tokens(
        &ModelRef::new(ProviderKind::Gemini, "gemini-2.0-flash"),
        [text.as_str()].into_iter(),
    );
    let local = count_input_tokens(
        &ModelRef::new(ProviderKind::Local, "llama"),
        [text.as_str()].into_iter(),
    );
    assert_eq!(local, base);
    assert!(claude > base && gemini > base && claude > gemini, "{base} {claude} {gemini}");
}
