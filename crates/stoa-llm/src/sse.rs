//! An incremental Server-Sent Events parser for provider streams.
//!
//! Feed byte chunks split anywhere (inside a line, a CRLF or a UTF-8 sequence); get complete
//! frames back as they finish, each with the exact bytes it was made of (`raw`), so a
//! same-format proxy forwards the provider's bytes untouched while inspecting them.
//!
//! Rules (WHATWG SSE): lines end with `\n`, `\r\n` or `\r`; a blank line ends a frame; `:` lines
//! are comments; `data` lines join with `\n`; one leading space after `field:` is dropped; a
//! leading UTF-8 BOM is ignored. Blank lines before a frame belong to that frame's `raw`, so the
//! concatenation of all `raw`s plus the unterminated tail is exactly the input. Frames without
//! data lines (comments, keep-alives) are returned too, with empty `data`, so nothing is lost
//! when forwarding; consumers skip them. Invalid UTF-8 is replaced (U+FFFD), never a panic.
//! A frame longer than the cap (default 1 MiB) is an error: buffering stays bounded.

use bytes::{Bytes, BytesMut};

/// Default cap on one frame's size.
pub const DEFAULT_MAX_FRAME: usize = 1 << 20;

/// One SSE frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name, if any.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n` (empty for comment-only frames).
    pub data: String,
    /// The exact bytes of the frame, including its terminating blank line.
    pub raw: Bytes,
}

impl SseEvent {
    /// Whether this frame carries nothing to dispatch (comments, keep-alives).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty() && self.event.is_none()
    }
}

/// SSE parse failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// A frame grew past the cap without ending.
    #[error("SSE frame exceeds {max} bytes")]
    FrameTooLarge {
        /// The cap in bytes.
        max: usize,
    },
}

/// The incremental parser. Keeps at most one unfinished frame buffered.
#[derive(Debug)]
pub struct SseParser {
    buf: BytesMut,
    /// Where the next unscanned line starts in `buf`.
    scan: usize,
    /// Where to resume looking for a line end (≥ `scan`): a long line arriving in small chunks
    /// is searched once, not once per chunk.
    probe: usize,
    max_frame: usize,
    event: Option<String>,
    data: String,
    has_data: bool,
    /// Whether the current frame has any non-blank line (field or comment).
    has_fields: bool,
    first_line: bool,
}

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new()
    }
}

impl SseParser {
    /// A parser with the default 1 MiB frame cap.
    pub fn new() -> Self {
        SseParser::with_max_frame(DEFAULT_MAX_FRAME)
    }

    /// A parser with a custom frame cap in bytes.
    pub fn with_max_frame(max_frame: usize) -> Self {
        SseParser {
            buf: BytesMut::new(),
            scan: 0,
            probe: 0,
            max_frame,
            event: None,
            data: String::new(),
            has_data: false,
            has_fields: false,
            first_line: true,
        }
    }

    /// Feeds bytes; returns the frames completed by them, in order.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut out = Vec::new();
        self.push_into(chunk, &mut out)?;
        Ok(out)
    }

    /// Like `push`, appending to `out` (no allocation when nothing completes).
    pub fn push_into(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        self.buf.extend_from_slice(chunk);
        loop {
            let from = self.probe.max(self.scan);
            let Some(found) = self.buf[from..].iter().position(|&b| b == b'\n' || b == b'\r')
            else {
                self.probe = self.buf.len();
                break;
            };
            let line_end = from + found;
            let eol = match self.buf[line_end] {
                b'\n' => 1,
                // `\r` at the end of the buffer: wait to see whether `\n` follows.
                _ if line_end + 1 == self.buf.len() => {
                    self.probe = line_end;
                    break;
                }
                _ if self.buf[line_end + 1] == b'\n' => 2,
                _ => 1,
            };
            let line_start = self.scan;
            self.scan = line_end + eol;
            self.probe = self.scan;
            if line_end == line_start {
                if self.has_fields {
                    out.push(self.dispatch());
                }
                continue;
            }
            self.field(line_start, line_end);
        }
        if self.buf.len() > self.max_frame {
            return Err(SseError::FrameTooLarge { max: self.max_frame });
        }
        Ok(())
    }

    /// Ends the input. Returns the unterminated tail (a frame missing its blank line, or a
    /// partial line) as a frame, if it holds anything but blank lines: the caller decides
    /// whether it is complete (e.g. its data parses as JSON) or a cut stream. Its `raw` is the
    /// tail's exact bytes.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let end = self.buf.len();
        if self.scan < end {
            // A final line without line ending, or a lone `\r` we were waiting on.
            let mut line_end = end;
            if self.buf[end - 1] == b'\r' {
                line_end -= 1;
            }
            if line_end > self.scan {
                self.field(self.scan, line_end);
            }
            self.scan = end;
            self.probe = end;
        }
        if self.has_fields {
            return Some(self.dispatch());
        }
        self.buf.clear();
        self.scan = 0;
        self.probe = 0;
        None
    }

    /// Bytes buffered for the unfinished frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn field(&mut self, start: usize, end: usize) {
        let mut line = &self.buf[start..end];
        if self.first_line {
            self.first_line = false;
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        if line.is_empty() {
            return;
        }
        self.has_fields = true;
        if line[0] == b':' {
            return;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.has_data = true;
                self.data.push_str(&String::from_utf8_lossy(value));
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            _ => {}
        }
    }

    fn dispatch(&mut self) -> SseEvent {
        let raw = self.buf.split_to(self.scan).freeze();
        self.scan = 0;
        self.probe = 0;
        self.has_fields = false;
        self.has_data = false;
        SseEvent { event: self.event.take(), data: std::mem::take(&mut self.data), raw }
    }
}

#[cfg(test)]
mod tests;
