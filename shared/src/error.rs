//! The library's typed errors. Each message says what went wrong and what to do about it; the
//! binaries print it as one line and exit non-zero.

use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    /// A user-supplied value is malformed (label, URL, selection, mapping...).
    #[error("{0}")]
    Invalid(String),
    /// A recovery point, job or API that was asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A stored object is missing or does not match its hash.
    #[error("{0}")]
    Integrity(String),
    /// An AWS call failed in a way retrying does not mend (access denied, bad request...).
    #[error("{0}")]
    Aws(String),
    /// The service does not implement an operation (an AWS look-alike, such as the local AWS,
    /// answering 404 or 5xx without an AWS error code).
    #[error("{0}")]
    Unimplemented(String),
    /// Another writer changed a record this one meant to change (two runs of one job).
    #[error("{0}")]
    Conflict(String),
    /// The endpoint could not be reached or kept failing after retries.
    #[error("{0}")]
    Unavailable(String),
    /// Local disk I/O failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A stored document could not be decoded.
    #[error("{context}: {source}")]
    Decode {
        context: String,
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
    pub fn decode(context: impl Into<String>, source: serde_json::Error) -> Self {
        Error::Decode {
            context: context.into(),
            source,
        }
    }
    /// The error type a Lambda function reports: `InvalidEvent` (retrying cannot help),
    /// `Retryable`, or `NonRetryable`.
    pub fn lambda_error_type(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "InvalidEvent",
            Error::Unavailable(_) => "Retryable",
            _ => "NonRetryable",
        }
    }

    /// Worth retrying later (a Lambda maps this to a retryable error type).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Unavailable(_))
    }
}
