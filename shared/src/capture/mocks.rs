//! What the HTTP-layer capture tests share: an SDK configuration whose HTTP client never
//! reaches a network, aws-smithy-mocks rules, and the error bodies services answer.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_apigateway::config::{Credentials, SharedCredentialsProvider};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client};

/// SDK configuration for eu-west-1 with test credentials and a mock HTTP client.
pub(crate) fn sdk() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        )))
        .http_client(create_mock_http_client())
        .build()
}

/// An interceptor that answers from `rules` (any rule that matches, in order).
pub(crate) fn interceptor(rules: &[Rule]) -> MockResponseInterceptor {
    let mut mocks = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for r in rules {
        mocks = mocks.with_rule(r);
    }
    mocks
}

/// An AWS JSON error body.
pub(crate) fn error_body(code: &str, message: &str) -> Option<String> {
    Some(format!(r#"{{"__type":"{code}","message":"{message}"}}"#))
}

/// What moto answers for an operation it lacks: an HTML page, no AWS error code.
pub(crate) fn html(status: u16) -> Option<String> {
    Some(format!(
        "<!doctype html>\n<html lang=en>\n<title>{status}</title>\n<h1>Error</h1>"
    ))
}
