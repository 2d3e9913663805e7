//! SSE parser: chunk boundaries everywhere, line endings, comments, caps, hostile input.

use proptest::prelude::*;

use super::*;

fn all(input: &[u8]) -> (Vec<SseEvent>, Option<SseEvent>) {
    let mut p = SseParser::new();
    let events = p.push(input).unwrap();
    (events, p.finish())
}

fn simple(events: &[SseEvent]) -> Vec<(Option<&str>, &str)> {
    events.iter().map(|e| (e.event.as_deref(), e.data.as_str())).collect()
}

const ANTHROPIC: &str = "event: message_start\ndata: {\"type\":\"message_start\"}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n: keep-alive\n\nevent: content_block_delta\ndata: {\"text\":\"h\u{e9}llo \u{1F600}\"}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

#[test]
fn parses_frames_and_keeps_raw() {
    let (events, tail) = all(ANTHROPIC.as_bytes());
    assert!(tail.is_none());
    assert_eq!(
        simple(&events),
        vec![
            (Some("message_start"), "{\"type\":\"message_start\"}"),
            (Some("ping"), "{\"type\": \"ping\"}"),
            (None, ""),
            (Some("content_block_delta"), "{\"text\":\"h\u{e9}llo \u{1F600}\"}"),
            (Some("message_stop"), "{\"type\":\"message_stop\"}"),
        ]
    );
    assert!(events[2].is_empty());
    assert_eq!(&events[0].raw[..], b"event: message_start\ndata: {\"type\":\"message_start\"}\n\n");
    let joined: Vec<u8> = events.iter().flat_map(|e| e.raw.iter().copied()).collect();
    assert_eq!(joined, ANTHROPIC.as_bytes());
}

#[test]
fn crlf_and_cr_line_endings() {
    let crlf = ANTHROPIC.replace('\n', "\r\n");
    let cr = ANTHROPIC.replace('\n', "\r");
    let (a, _) = all(ANTHROPIC.as_bytes());
    for input in [crlf, cr] {
        let (mut b, tail) = all(input.as_bytes());
        // With bare CR endings the final CR can only be known to end a line at EOF, so the
        // last frame comes out of `finish`.
        if input.ends_with("\r\r") {
            b.extend(tail);
        } else {
            assert!(tail.is_none());
        }
        assert_eq!(simple(&a), simple(&b));
        let joined: Vec<u8> = b.iter().flat_map(|e| e.raw.iter().copied()).collect();
        assert_eq!(joined, input.as_bytes());
    }
}

#[test]
fn gemini_style_crlf_data_only() {
    let input = "data: {\"a\":1}\r\n\r\ndata: {\"a\":2}\r\n\r\n";
    let (events, tail) = all(input.as_bytes());
    assert!(tail.is_none());
    assert_eq!(simple(&events), vec![(None, "{\"a\":1}"), (None, "{\"a\":2}")]);
    assert_eq!(&events[1].raw[..], b"data: {\"a\":2}\r\n\r\n");
}

#[test]
fn multi_line_data_and_field_rules() {
    let input = "data:first\ndata: second\ndata\nid: 7\nretry: 10\nunknown: x\nevent:e\n\n";
    let (events, _) = all(input.as_bytes());
    assert_eq!(simple(&events), vec![(Some("e"), "first\nsecond\n")]);
    // one leading space dropped, not two
    let (events, _) = all(b"data:  x\n\n");
    assert_eq!(events[0].data, " x");
}

#[test]
fn bom_and_leading_blank_lines() {
    let input = b"\xEF\xBB\xBFdata: a\n\n\n\ndata: b\n\n";
    let (events, tail) = all(input);
    assert!(tail.is_none());
    assert_eq!(simple(&events), vec![(None, "a"), (None, "b")]);
    assert_eq!(&events[1].raw[..], b"\n\ndata: b\n\n");
}

#[test]
fn missing_trailing_newline_is_reported_as_tail() {
    let mut p = SseParser::new();
    assert!(p.push(b"data: [DONE]").unwrap().is_empty());
    let tail = p.finish().unwrap();
    assert_eq!(tail.data, "[DONE]");
    assert_eq!(&tail.raw[..], b"data: [DONE]");
    // one newline but no blank line
    let mut p = SseParser::new();
    assert!(p.push(b"data: {\"x\":1}\n").unwrap().is_empty());
    assert_eq!(p.finish().unwrap().data, "{\"x\":1}");
    // a lone CR at the very end
    let mut p = SseParser::new();
    assert!(p.push(b"data: x\r").unwrap().is_empty());
    assert_eq!(p.finish().unwrap().data, "x");
    // only blank lines left: nothing
    let mut p = SseParser::new();
    assert_eq!(p.push(b"data: x\n\n\n").unwrap().len(), 1);
    assert!(p.finish().is_none());
}

#[test]
fn frame_cap() {
    let mut p = SseParser::with_max_frame(64);
    let err = p.push(&[b'a'; 65]).unwrap_err();
    assert_eq!(err, SseError::FrameTooLarge { max: 64 });
    // many small lines without a blank line also hit the cap
    let mut p = SseParser::with_max_frame(64);
    let mut failed = false;
    for _ in 0..20 {
        if p.push(b"data: xx\n").is_err() {
            failed = true;
            break;
        }
    }
    assert!(failed);
    // complete frames do not accumulate
    let mut p = SseParser::with_max_frame(64);
    for _ in 0..1000 {
        assert_eq!(p.push(b"data: 0123456789\n\n").unwrap().len(), 1);
    }
    assert_eq!(p.buffered(), 0);
}

#[test]
fn long_line_in_tiny_chunks_is_linear() {
    // 256 KiB line fed one byte at a time: each byte is scanned once, not once per chunk
    let mut input = b"data: ".to_vec();
    input.extend(std::iter::repeat_n(b'x', 256 << 10));
    input.extend_from_slice(b"\r\n\r\n");
    let started = std::time::Instant::now();
    let mut p = SseParser::new();
    let mut events = Vec::new();
    for b in &input {
        events.extend(p.push(std::slice::from_ref(b)).unwrap());
    }
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.len(), 256 << 10);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn invalid_utf8_does_not_panic() {
    let (events, _) = all(b"data: \xff\xfe ok\n\n");
    assert_eq!(events[0].data, "\u{FFFD}\u{FFFD} ok");
}

fn split_feed(input: &[u8], cuts: &[usize]) -> (Vec<SseEvent>, Option<SseEvent>) {
    let mut p = SseParser::new();
    let mut events = Vec::new();
    let mut last = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    for c in cuts {
        events.extend(p.push(&input[last..c]).unwrap());
        last = c;
    }
    events.extend(p.push(&input[last..]).unwrap());
    (events, p.finish())
}

proptest! {
    #[test]
    fn any_split_gives_same_events(cuts in proptest::collection::vec(0usize..10_000, 0..12), crlf in any::<bool>()) {
        let input = if crlf { ANTHROPIC.replace('\n', "\r\n") } else { ANTHROPIC.to_owned() };
        let whole = all(input.as_bytes());
        let split = split_feed(input.as_bytes(), &cuts);
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn every_single_byte_split(at in 0usize..200) {
        let input = ANTHROPIC.replace('\n', "\r\n");
        prop_assert_eq!(all(input.as_bytes()), split_feed(input.as_bytes(), &[at]));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_raw_is_lossless(input in proptest::collection::vec(any::<u8>(), 0..512), cuts in proptest::collection::vec(0usize..600, 0..6)) {
        let (events, tail) = split_feed(&input, &cuts);
        let mut joined: Vec<u8> = events.iter().flat_map(|e| e.raw.iter().copied()).collect();
        if let Some(t) = tail { joined.extend_from_slice(&t.raw); }
        // whatever is not returned is only trailing blank lines
        prop_assert!(input.starts_with(&joined));
        prop_assert!(input[joined.len()..].iter().all(|b| *b == b'\n' || *b == b'\r'));
    }
}
