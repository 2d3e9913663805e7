//! Request trace ids (F-91): the W3C trace id of the request being served, available to the
//! core (ledger entries carry it) without threading it through every signature.
//!
//! The HTTP layer accepts an incoming `traceparent`, or starts a trace, and runs the request
//! inside [`TRACE_ID`]'s scope.

tokio::task_local! {
    /// The current request's trace id (32 lowercase hex characters).
    pub static TRACE_ID: String;
}

/// The trace id of the request being served, if any.
pub fn current() -> Option<String> {
    TRACE_ID.try_with(Clone::clone).ok()
}

/// Parses a `traceparent` header (`00-<trace id>-<parent id>-<flags>`); the trace id if valid.
pub fn parse_traceparent(v: &str) -> Option<String> {
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
    valid.then(|| trace.to_owned())
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
        assert_eq!(parse_traceparent(&format!("00-{t}-00f067aa0ba902b7-01")), Some(t.to_owned()));
        assert_eq!(
            parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(parse_traceparent(&format!("00-{t}-0000000000000000-01")), None);
        assert_eq!(
            parse_traceparent(&format!("00-{}-00f067aa0ba902b7-01", t.to_uppercase())),
            None
        );
        assert_eq!(parse_traceparent("garbage"), None);
        assert_eq!(random_id::<16>().len(), 32);
    }
}
