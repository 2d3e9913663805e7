//! Wall-clock time as Unix milliseconds, the one representation stored and compared everywhere.

use time::OffsetDateTime;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// RFC 3339 rendering of a Unix-millisecond timestamp, for wire DTOs.
pub fn to_rfc3339(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Parses an RFC 3339 timestamp into Unix milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_round_trip() {
        let ms = 1_763_900_000_123;
        assert_eq!(super::parse_rfc3339(&super::to_rfc3339(ms)), Some(ms));
        assert_eq!(super::parse_rfc3339("yesterday"), None);
    }
}
