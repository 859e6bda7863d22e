//! Wall-clock time as whole seconds since the Unix epoch, and RFC 3339 text for people.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    DateTime::from(std::time::SystemTime::now()).secs()
}

/// `2026-11-22T21:31:26Z`
pub fn rfc3339(secs: i64) -> String {
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| secs.to_string())
}

/// RFC 3339 text of an SDK timestamp (captured `createdDate` and the like).
pub fn from_sdk(dt: &DateTime) -> String {
    dt.fmt(Format::DateTime)
        .unwrap_or_else(|_| dt.secs().to_string())
}

pub const DAY: i64 = 86_400;
