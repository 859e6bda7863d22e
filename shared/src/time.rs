//! Wall-clock time as milliseconds since the Unix epoch (recovery points can be taken less
//! than a second apart, and "latest" must still be right), and RFC 3339 text for people.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    d.as_millis() as i64
}

/// `2026-11-22T21:31:26Z` (to the second) for a time in milliseconds.
pub fn rfc3339(ms: i64) -> String {
    DateTime::from_secs(ms.div_euclid(1000))
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| ms.to_string())
}

/// RFC 3339 text of an SDK timestamp (captured `createdDate` and the like).
pub fn from_sdk(dt: &DateTime) -> String {
    dt.fmt(Format::DateTime)
        .unwrap_or_else(|_| dt.secs().to_string())
}

pub const SECOND_MS: i64 = 1000;
pub const DAY_MS: i64 = 86_400 * SECOND_MS;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_763_848_077_999), "2025-11-22T21:47:57Z");
        assert!(now_ms() > 1_763_848_077_999);
    }
}
