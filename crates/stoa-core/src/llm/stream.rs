//! Forwarding a provider's stream to the client, frame by frame, never buffered whole.
//!
//! Same format: the provider's frame bytes go out as received (malformed frames are dropped,
//! and the usage-only chunk a client did not ask for is filtered). Cross format: frames are
//! decoded to canonical events and encoded in the client's format. Either way a `UsageTap`
//! reads the usage as it passes; the stream settles the budget at its end, and its guard
//! settles on drop when the client goes away first.

use std::collections::VecDeque;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use stoa_llm::WireFormat;
use stoa_llm::client::{ProviderError, SseStream};
use stoa_llm::wire::{StreamDecoder, StreamEncoder, UsageTap};

use super::Settlement;

/// Settles on drop if the stream did not finish (client disconnect).
struct Guard {
    settlement: Option<Settlement>,
    tap: UsageTap,
}

impl Guard {
    async fn finish(&mut self, status: &str) {
        if let Some(s) = self.settlement.take() {
            let usage = self.tap.settle(s.input_estimate);
            s.settle(usage, status).await;
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(s) = self.settlement.take() {
            let usage = self.tap.settle(s.input_estimate);
            tracing::info!(tenant = %s.tenant, output_tokens = usage.output_tokens, "client left mid-stream; settling");
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(s.settle(usage, "interrupted"));
            }
        }
    }
}

struct State {
    upstream: SseStream,
    guard: Guard,
    translate: Option<(StreamDecoder, StreamEncoder)>,
    client_format: WireFormat,
    drop_usage_chunks: bool,
    pending: VecDeque<Bytes>,
    done: bool,
}

impl State {
    fn error_frame(&mut self, message: &str) -> Bytes {
        match &mut self.translate {
            Some((_, enc)) => enc.error(message),
            None => StreamEncoder::new(self.client_format, false).error(message),
        }
    }

    async fn fail(&mut self, e: &ProviderError) {
        tracing::warn!(class = e.class(), "provider stream failed");
        let frame = self.error_frame(&format!("the provider stream failed ({})", e.class()));
        self.pending.push_back(frame);
        self.guard.finish(&format!("error:{}", e.class())).await;
        self.done = true;
    }

    /// Advances until there is something to send or the stream is over.
    async fn step(&mut self) {
        match self.upstream.next().await {
            Some(Ok(ev)) => {
                self.guard.tap.observe(&ev);
                match &mut self.translate {
                    Some((dec, enc)) => match dec.push(&ev) {
                        Ok(events) => {
                            for e in &events {
                                let b = enc.encode(e);
                                if !b.is_empty() {
                                    self.pending.push_back(b);
                                }
                            }
                        }
                        Err(e) => self.fail(&e).await,
                    },
                    None => {
                        if ev.data.is_empty() {
                            return;
                        }
                        let data = ev.data.trim();
                        let well_formed = data == "[DONE]"
                            || serde_json::from_str::<serde::de::IgnoredAny>(data).is_ok();
                        if !well_formed {
                            tracing::warn!("dropping a malformed frame from the provider");
                            return;
                        }
                        if self.drop_usage_chunks
                            && stoa_llm::wire::openai::is_usage_only_chunk(data.as_bytes())
                        {
                            return;
                        }
                        self.pending.push_back(ev.raw);
                    }
                }
            }
            Some(Err(e)) => self.fail(&e).await,
            None => {
                if let Some((dec, enc)) = &mut self.translate {
                    match dec.finish() {
                        Ok(events) => {
                            for e in &events {
                                let b = enc.encode(e);
                                if !b.is_empty() {
                                    self.pending.push_back(b);
                                }
                            }
                        }
                        Err(e) => {
                            self.fail(&e).await;
                            return;
                        }
                    }
                }
                let status = if self.guard.tap.finished() { "ok" } else { "error:incomplete" };
                self.guard.finish(status).await;
                self.done = true;
            }
        }
    }
}

pub(super) fn forward(
    upstream: SseStream,
    provider_format: WireFormat,
    client_format: WireFormat,
    client_wants_usage: bool,
    degraded: bool,
    settlement: Settlement,
) -> BoxStream<'static, Bytes> {
    let translate = (provider_format != client_format).then(|| {
        (StreamDecoder::new(provider_format), StreamEncoder::new(client_format, client_wants_usage))
    });
    let mut pending = VecDeque::new();
    // google-genai reads any non-`data:` line as JSON, so Gemini clients rely on the header.
    if degraded && client_format != WireFormat::Gemini {
        // An SSE comment: SDKs skip it; the header X-Stoa-Degraded says the same.
        pending.push_back(Bytes::from_static(b": stoa-degraded\n\n"));
    }
    let state = State {
        upstream,
        guard: Guard { settlement: Some(settlement), tap: UsageTap::new(provider_format) },
        drop_usage_chunks: provider_format == WireFormat::OpenAi
            && !client_wants_usage
            && client_format == WireFormat::OpenAi,
        translate,
        client_format,
        pending,
        done: false,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(b) = st.pending.pop_front() {
                return Some((b, st));
            }
            if st.done {
                return None;
            }
            st.step().await;
        }
    })
    .boxed()
}
