//! Integration tests of stoa-llm: golden conversions over recorded fixtures, stream
//! transcoding between formats, usage taps, pass-through helpers, and the HTTP client against a
//! tiny local axum server (127.0.0.1 only).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client;
mod golden;
mod passthrough;
mod streams;
mod support;
mod taps;
