//! Running a handler on the Lambda runtime: logs as Lambda's logging controls ask
//! (`AWS_LAMBDA_LOG_FORMAT=JSON` gives structured JSON lines), errors reported with a type
//! that says whether a retry can help.

use std::future::Future;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

use crate::Error;

/// The Lambda runtime's view of one of our errors.
pub fn diagnostic(e: &Error) -> Diagnostic {
    Diagnostic {
        error_type: e.lambda_error_type().into(),
        error_message: e.to_string(),
    }
}

/// How long before the invocation's deadline a handler stops its work, so that it can record
/// where it stopped and ask for the next invocation: a minute, or a fifth of the time left
/// when an invocation is shorter.
pub const MARGIN: std::time::Duration = std::time::Duration::from_secs(60);

/// When work must stop, given the milliseconds left in the invocation.
pub fn stop_after(left_ms: u64) -> std::time::Duration {
    let left = std::time::Duration::from_millis(left_ms);
    left.saturating_sub(MARGIN.min(left / 5))
}

/// Runs `handler` for every invocation until the runtime stops. The handler gets the event
/// and the moment its work must stop ([`MARGIN`] before the invocation's deadline).
pub async fn run<F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Value, Option<std::time::Instant>) -> Fut,
    Fut: Future<Output = crate::Result<Value>>,
{
    lambda_runtime::run(service_fn(|ev: LambdaEvent<Value>| {
        let request_id = ev.context.request_id.clone();
        let left_ms = (ev.context.deadline as i64).saturating_sub(crate::time::now_ms()).max(0);
        let stop = std::time::Instant::now() + stop_after(left_ms as u64);
        tracing::debug!(request_id, left_ms, "invocation starts");
        // Lambda always starts an invocation before its deadline; one that is already past
        // (local emulators send such) is no deadline at all.
        let fut = handler(ev.payload, (left_ms > 0).then_some(stop));
        async move {
            fut.await.map_err(|e| {
                tracing::error!(request_id, error_type = e.lambda_error_type(), error = %e, "invocation failed");
                diagnostic(&e)
            })
        }
    }))
    .await
}

/// Logging setup for a function (call first in main): as the Lambda runtime's default (the
/// level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO; JSON lines when
/// `AWS_LAMBDA_LOG_FORMAT=JSON`; on stdout), with other crates' debug and trace events held back
/// ([`crate::awsconf::may_log`]: they would print request and response bodies).
pub fn init_logging() {
    use lambda_runtime::tracing::subscriber;
    use subscriber::filter::{EnvFilter, LevelFilter};
    use subscriber::layer::SubscriberExt;
    use subscriber::util::SubscriberInitExt;

    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|l| l.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let fmt = subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(
            EnvFilter::builder()
                .with_default_directive(level.into())
                .from_env_lossy(),
        )
        .with_writer(std::io::stdout);
    let own = subscriber::filter::filter_fn(crate::awsconf::may_log);
    if json {
        fmt.json().finish().with(own).init();
    } else {
        fmt.finish().with(own).init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins() {
        assert_eq!(stop_after(900_000).as_secs(), 840);
        assert_eq!(stop_after(30_000).as_secs(), 24);
        assert_eq!(stop_after(0).as_secs(), 0);
    }
}
