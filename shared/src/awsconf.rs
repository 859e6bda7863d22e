//! AWS configuration the usual ways (environment, profiles, `AWS_ENDPOINT_URL`), with an optional
//! Region override and role assumption on top; who we are (the source); and the translation of
//! SDK errors into the library's [`Error`] with a message that says what to do.

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_apigateway::config::http::HttpResponse;
use aws_sdk_apigateway::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::config::SharedCredentialsProvider;

use crate::model::Source;
use crate::{Error, Result};

/// Loads the shared SDK configuration. `region` overrides the environment's; `role_arn`, when
/// given, is assumed (with the environment's credentials) and its credentials used instead.
pub async fn load(region: Option<&str>, role_arn: Option<&str>) -> Result<SdkConfig> {
    let base = aws_config::defaults(BehaviorVersion::latest()).load().await;
    derive(&base, region, role_arn).await
}

/// A configuration derived from `base`: another Region and/or a role assumed with `base`'s
/// credentials.
pub async fn derive(
    base: &SdkConfig,
    region: Option<&str>,
    role_arn: Option<&str>,
) -> Result<SdkConfig> {
    let mut b = base.clone().into_builder();
    if let Some(r) = region {
        b = b.region(Region::new(r.to_string()));
    }
    // A configuration built by hand may lack these; role assumption needs both.
    if base.time_source().is_none() {
        b = b.time_source(aws_smithy_async::time::SystemTimeSource::new());
    }
    if base.sleep_impl().is_none()
        && let Some(sleep) = aws_smithy_async::rt::sleep::default_async_sleep()
    {
        b = b.sleep_impl(sleep);
    }
    let base = b.build();
    let Some(region) = base.region() else {
        return Err(Error::Invalid(
            "no AWS Region is set: pass --region or set AWS_REGION (or a region in your AWS profile)"
                .into(),
        ));
    };
    crate::region::check_region(region.as_ref())?;
    let Some(arn) = role_arn else { return Ok(base) };
    crate::region::check_role_arn(arn)?;
    let provider = AssumeRoleProvider::builder(arn)
        .session_name("apigw-dr")
        .configure(&base)
        .build()
        .await;
    Ok(base
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build())
}

/// The (partition, account, Region) the configuration acts in, from STS GetCallerIdentity.
/// This is also the first call that proves the credentials work.
pub async fn whoami(sdk: &SdkConfig) -> Result<Source> {
    let region = sdk.region().map(|r| r.to_string()).unwrap_or_default();
    let sts = aws_sdk_sts::Client::new(sdk);
    let id = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| sdk_error("checking credentials (sts:GetCallerIdentity)", e))?;
    let account = id.account().unwrap_or_default().to_string();
    let partition = id
        .arn()
        .and_then(|a| a.split(':').nth(1))
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| partition_of_region(&region).to_string());
    Ok(Source {
        partition,
        account,
        region,
    })
}

/// The partition a Region belongs to.
pub fn partition_of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// True for failures worth retrying: throttling (429), server errors (5xx), timeouts and
/// dropped connections.
pub fn is_transient<E>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::TimeoutError(_) => true,
        SdkError::DispatchFailure(d) => d.is_io() || d.is_timeout() || d.is_other(),
        SdkError::ResponseError(_) => true,
        SdkError::ServiceError(s) => {
            let st = s.raw().status().as_u16();
            st == 429 || st >= 500
        }
        _ => false,
    }
}

/// HTTP status of a service error, if the call got that far.
pub fn status_of<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

const CREDENTIAL_CODES: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "MissingAuthenticationTokenException",
];

/// Why a reply with a success status could not be read (the SDK could not deserialize it):
/// the innermost cause, never the reply's body. `None` for every other error.
pub fn unreadable<E>(err: &SdkError<E, HttpResponse>) -> Option<String>
where
    E: std::error::Error + 'static,
{
    if !matches!(err, SdkError::ServiceError(_) | SdkError::ResponseError(_))
        || !status_of(err).is_some_and(|s| (200..300).contains(&s))
    {
        return None;
    }
    Some(root_cause(err))
}

/// This project's crates (the library, the command, the three functions): the only ones whose
/// debug and trace events [`may_log`] lets through.
const OWN_CRATES: &[&str] = &["shared", "apigw_dr", "discovery", "snapshot", "recovery"];

/// Whether an event or span may be logged, whatever the log settings ask: the SDK's and the
/// HTTP stack's debug and trace events print whole requests and responses (API key values travel
/// in them), so of other crates only info, warnings and errors pass. The binaries install this
/// as a filter on top of their log level.
pub fn may_log(meta: &tracing::Metadata<'_>) -> bool {
    if *meta.level() <= tracing::Level::INFO {
        return true;
    }
    let target = meta.target();
    OWN_CRATES.iter().any(|c| {
        target
            .strip_prefix(c)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

/// The longest AWS error message kept in an error or a log line, in characters.
const MESSAGE_MAX: usize = 200;

/// `text` on one line (whitespace runs collapsed) and at most `max` characters (then `...`).
pub fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &flat[..cut]),
        None => flat,
    }
}

/// The innermost cause of an error, on one line: for a failure before any answer (such as
/// "Connection refused"), never a request or response body, which these errors do not hold.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut e = err;
    while let Some(next) = e.source() {
        e = next;
    }
    one_line(&e.to_string(), MESSAGE_MAX)
}

/// What became of a failed call, on one line: the HTTP status, AWS's error code and message
/// (truncated), or why no answer came. Never a request or response body (API key values travel
/// in them) nor the SDK's debug dump: this is what errors and log lines say of a failed call.
pub fn said<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::DispatchFailure(d) => {
            let kind = if d.is_timeout() {
                "timed out"
            } else if d.is_io() {
                "connection failed"
            } else {
                "request not sent"
            };
            match d.as_connector_error() {
                Some(c) => format!("{kind}: {}", root_cause(c)),
                None => kind.to_string(),
            }
        }
        SdkError::TimeoutError(_) => "timed out".into(),
        SdkError::ConstructionFailure(_) => match std::error::Error::source(err) {
            Some(cause) => format!("request not built: {}", root_cause(cause)),
            None => "request not built".into(),
        },
        _ => {
            let mut out = match status_of(err) {
                Some(status) => format!("HTTP {status}"),
                None => "no status".into(),
            };
            if matches!(err, SdkError::ResponseError(_)) {
                out.push_str(", unreadable answer");
            }
            if let Some(code) = err.code().filter(|c| !c.is_empty()) {
                out.push(' ');
                out.push_str(&one_line(code, 80));
            }
            if let Some(message) = err.message().filter(|m| !m.trim().is_empty()) {
                out.push_str(": ");
                out.push_str(&one_line(message, MESSAGE_MAX));
            }
            out
        }
    }
}

/// Turns an SDK error into one clear line: what we were doing, what AWS said (see [`said`]),
/// what to do.
pub fn sdk_error<E>(what: &str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some(why) = unreadable(&err) {
        return Error::Aws(format!(
            "could not read the reply while {what} ({why}): the endpoint answered in a form the AWS SDK does not read; check that the endpoint (AWS_ENDPOINT_URL) is API Gateway, or report it"
        ));
    }
    let said = said(&err);
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            return Error::Unavailable(format!(
                "cannot reach AWS while {what} ({said}). Check the network, the Region and AWS_ENDPOINT_URL"
            ));
        }
        SdkError::ConstructionFailure(_) => {
            return Error::Aws(format!(
                "could not make the AWS request while {what} ({said}). Check your AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and Region"
            ));
        }
        _ => {}
    }
    let status = status_of(&err).unwrap_or(0);
    let code = err.code().unwrap_or("");
    if CREDENTIAL_CODES.contains(&code) || status == 401 || status == 403 {
        Error::Aws(format!(
            "AWS refused the credentials while {what} ({said}). Check AWS_PROFILE / AWS_ACCESS_KEY_ID, and that the role (--role-arn) allows it"
        ))
    } else if status == 429 || status >= 500 {
        Error::Unavailable(format!(
            "AWS kept failing while {what} ({said}); try again later"
        ))
    } else if status == 404 || code.ends_with("NotFoundException") || code == "NoSuchKey" {
        Error::NotFound(format!("not found while {what} ({said})"))
    } else {
        Error::Aws(format!("AWS rejected the request while {what} ({said})"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_sdk_sts::config::{BehaviorVersion, Credentials};
    use aws_smithy_mocks::{
        MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock,
    };

    fn sts(rule: &Rule) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDWRONG", "wrong", None, None, "test"))
            .http_client(create_mock_http_client())
            .interceptor(
                MockResponseInterceptor::new()
                    .rule_mode(RuleMode::MatchAny)
                    .with_rule(rule),
            )
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    fn sts_error(status: u16, code: &str) -> Rule {
        let body = format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>The security token included in the request is invalid.</Message>\
             </Error><RequestId>r1</RequestId></ErrorResponse>"
        );
        mock!(aws_sdk_sts::Client::get_caller_identity).then_http_response(move || {
            aws_sdk_sts::config::http::HttpResponse::new(
                status.try_into().unwrap(),
                aws_smithy_types::body::SdkBody::from(body.clone()),
            )
        })
    }

    #[tokio::test]
    async fn wrong_credentials_say_what_to_check() {
        let rule = sts_error(403, "InvalidClientTokenId");
        let err = sts(&rule).get_caller_identity().send().await.unwrap_err();
        assert!(!is_transient(&err));
        let e = sdk_error("checking credentials (sts:GetCallerIdentity)", err);
        let msg = e.to_string();
        assert!(matches!(e, Error::Aws(_)), "{msg}");
        assert!(
            msg.contains("refused the credentials") && msg.contains("InvalidClientTokenId"),
            "{msg}"
        );
        assert!(
            msg.contains("AWS_PROFILE") && msg.contains("--role-arn"),
            "{msg}"
        );
    }

    #[tokio::test]
    async fn throttling_and_server_errors_are_transient() {
        for (status, code) in [(429, "Throttling"), (503, "ServiceUnavailable")] {
            let rule = sts_error(status, code);
            let err = sts(&rule).get_caller_identity().send().await.unwrap_err();
            assert!(is_transient(&err), "{status}");
            assert!(matches!(sdk_error("x", err), Error::Unavailable(_)));
        }
        let rule = sts_error(400, "ValidationError");
        let err = sts(&rule).get_caller_identity().send().await.unwrap_err();
        assert!(!is_transient(&err));
        assert!(
            sdk_error("x", err)
                .to_string()
                .contains("AWS rejected the request while x")
        );
    }

    #[tokio::test]
    async fn what_aws_said_is_one_short_line_without_the_body() {
        let long = format!("first line\n  second {}", "x".repeat(1000));
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>\
             <Message>{long}</Message><Detail>s3cr3tDetailValue</Detail></Error>\
             <RequestId>r1</RequestId></ErrorResponse>"
        );
        let rule = mock!(aws_sdk_sts::Client::get_caller_identity).then_http_response(move || {
            aws_sdk_sts::config::http::HttpResponse::new(
                400.try_into().unwrap(),
                aws_smithy_types::body::SdkBody::from(body.clone()),
            )
        });
        let err = sts(&rule).get_caller_identity().send().await.unwrap_err();
        let msg = sdk_error("x", err).to_string();
        assert!(!msg.contains('\n') && msg.len() < 400, "{msg}");
        assert!(
            msg.contains("HTTP 400 ValidationError: first line second xxx") && msg.contains("..."),
            "{msg}"
        );
        assert!(!msg.contains("s3cr3tDetailValue"), "{msg}");
    }

    #[tokio::test]
    async fn cannot_reach_aws_is_one_line_without_the_sdk_dump() {
        // A loopback port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .build();
        let err = aws_sdk_sts::Client::from_conf(conf)
            .get_caller_identity()
            .send()
            .await
            .unwrap_err();
        let e = sdk_error("checking credentials (sts:GetCallerIdentity)", err);
        let msg = e.to_string();
        assert!(matches!(e, Error::Unavailable(_)), "{msg}");
        assert!(
            msg.starts_with("cannot reach AWS while checking credentials (sts:GetCallerIdentity) (connection failed: ")
                && msg.ends_with("Check the network, the Region and AWS_ENDPOINT_URL"),
            "{msg}"
        );
        assert!(!msg.contains('\n') && msg.len() < 300, "{msg}");
        for dump in ["DispatchFailure", "ConnectorError", "source:", "Some("] {
            assert!(!msg.contains(dump), "{msg}");
        }
    }

    /// A log writer tests read back: everything written to any clone of it.
    #[derive(Clone, Default)]
    pub(crate) struct LogBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for LogBuf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl LogBuf {
        /// A subscriber that writes every event, at every level, here.
        pub(crate) fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
            let out = self.clone();
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || out.clone())
                .finish()
        }

        pub(crate) fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[test]
    fn only_our_crates_may_log_debug_and_trace() {
        use tracing_subscriber::layer::SubscriberExt;
        let buf = LogBuf::default();
        let sub = buf
            .subscriber()
            .with(tracing_subscriber::filter::filter_fn(may_log));
        tracing::subscriber::with_default(sub, || {
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "sdk-trace");
            tracing::debug!(target: "hyper_util", "http-debug");
            tracing::debug!(target: "sharedish", "lookalike-debug");
            tracing::info!(target: "aws_smithy_runtime", "sdk-info");
            tracing::warn!(target: "hyper", "http-warn");
            tracing::trace!("own-trace");
            tracing::debug!(target: "apigw_dr", "cli-debug");
            tracing::debug!(target: "snapshot::x", "function-debug");
        });
        let logs = buf.text();
        for held in ["sdk-trace", "http-debug", "lookalike-debug"] {
            assert!(!logs.contains(held), "{logs}");
        }
        for passed in [
            "sdk-info",
            "http-warn",
            "own-trace",
            "cli-debug",
            "function-debug",
        ] {
            assert!(logs.contains(passed), "{passed}: {logs}");
        }
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_of_region("us-east-1"), "aws");
        assert_eq!(partition_of_region("cn-north-1"), "aws-cn");
        assert_eq!(partition_of_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of_region("eu-west-3"), "aws");
    }
}
