//! Request trace context (F-91): the W3C ids of the request being served, available to the
//! core (ledger entries carry the trace id; provider and tenant-API calls become child spans)
//! without threading them through every signature.
//!
//! The HTTP layer calls [`begin`] with the caller's `traceparent`, runs the request inside
//! [`TRACE`]'s scope, and answers with [`Ids::traceparent`]. When OTLP export is on, the ids are
//! those of the exported server span; otherwise they are random, and nothing else is built.

pub use stoa_metrics::otel::{
    Ids, Span, shutdown as stop_export, start as start_export, wanted as otlp_wanted,
};

tokio::task_local! {
    /// The current request's trace context.
    pub static TRACE: Ids;
}

/// The trace id of the request being served, if any (32 lowercase hex characters).
pub fn current() -> Option<String> {
    TRACE.try_with(|t| t.trace_id.clone()).ok()
}

/// The whole trace context of the request being served, if any.
pub fn current_ids() -> Option<Ids> {
    TRACE.try_with(Clone::clone).ok()
}

/// Parses a `traceparent` header (`00-<trace id>-<parent id>-<flags>`): the caller's trace id,
/// its span id (the parent of ours) and the sampled flag, if valid.
pub fn parse_traceparent(v: &str) -> Option<Ids> {
    let mut parts = v.trim().split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| {
        s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    };
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && trace != "00000000000000000000000000000000"
        && hex(parent, 16)
        && parent != "0000000000000000"
        && hex(flags, 2)
        && (version != "00" || parts.next().is_none());
    let sampled = u8::from_str_radix(flags, 16).ok()? & 1 == 1;
    valid.then(|| Ids { trace_id: trace.to_owned(), span_id: parent.to_owned(), sampled })
}

/// The trace context a request runs under, continuing `incoming` (the caller's) or starting a
/// trace, and its exported server span when OTLP export is on (`name` is asked for only then).
pub fn begin(incoming: Option<Ids>, name: impl FnOnce() -> String) -> (Ids, Option<Span>) {
    if stoa_metrics::otel::enabled()
        && let Some(span) = stoa_metrics::otel::server_span(name(), incoming.as_ref())
    {
        return (span.ids(), Some(span));
    }
    let ids = match incoming {
        Some(i) => Ids { span_id: random_id::<8>(), ..i },
        None => Ids { trace_id: random_id::<16>(), span_id: random_id::<8>(), sampled: true },
    };
    (ids, None)
}

/// A span for a call the gateway makes on behalf of the request being served (a child of its
/// server span), when OTLP export is on and a request is being served.
pub fn child_span(name: impl FnOnce() -> String) -> Option<Span> {
    if !stoa_metrics::otel::enabled() {
        return None;
    }
    stoa_metrics::otel::client_span(name(), &current_ids()?)
}

/// The `traceparent` to send on a call made for the request being served: its trace, with
/// `span` (the call's own span) or the request's span as the parent.
pub fn outgoing_traceparent(span: Option<&Span>) -> Option<String> {
    let ids = span.map(Span::ids).or_else(current_ids)?;
    Some(ids.traceparent())
}

/// A fresh random id of `N` bytes as lowercase hex.
pub fn random_id<const N: usize>() -> String {
    let bytes = crate::secrets::random_bytes::<N>().unwrap_or([1; N]);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent() {
        let t = "4bf92f3577b34da6a3ce929d0e0e4736";
        let ids = parse_traceparent(&format!("00-{t}-00f067aa0ba902b7-01")).unwrap();
        assert_eq!(
            (ids.trace_id.as_str(), ids.span_id.as_str(), ids.sampled),
            (t, "00f067aa0ba902b7", true)
        );
        assert!(!parse_traceparent(&format!("00-{t}-00f067aa0ba902b7-00")).unwrap().sampled);
        assert_eq!(
            parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(parse_traceparent(&format!("00-{t}-0000000000000000-01")), None);
        assert_eq!(
            parse_traceparent(&format!("00-{}-00f067aa0ba902b7-01", t.to_uppercase())),
            None
        );
        assert_eq!(parse_traceparent(&format!("00-{t}-00f067aa0ba902b7-01-extra")), None);
        assert_eq!(parse_traceparent("garbage"), None);
        assert_eq!(random_id::<16>().len(), 32);
    }

    #[test]
    fn begin_continues_or_starts_a_trace() {
        let t = "4bf92f3577b34da6a3ce929d0e0e4736";
        let incoming = parse_traceparent(&format!("00-{t}-00f067aa0ba902b7-00"));
        let (ids, span) = begin(incoming, || unreachable!("no name unless exporting"));
        assert!(span.is_none());
        assert_eq!(ids.trace_id, t);
        assert_ne!(ids.span_id, "00f067aa0ba902b7", "our span is the caller's child");
        assert!(!ids.sampled, "the caller's sampling decision is kept");
        assert_eq!(ids.traceparent(), format!("00-{t}-{}-00", ids.span_id));
        let (fresh, _) = begin(None, String::new);
        assert_eq!((fresh.trace_id.len(), fresh.span_id.len(), fresh.sampled), (32, 16, true));
        assert!(child_span(|| unreachable!()).is_none());
    }

    #[tokio::test]
    async fn outgoing_names_the_request_span() {
        let (ids, _) = begin(None, String::new);
        let tp = TRACE.scope(ids.clone(), async { outgoing_traceparent(None) }).await;
        assert_eq!(tp, Some(ids.traceparent()));
        assert_eq!(outgoing_traceparent(None), None, "outside a request there is none");
    }
}
