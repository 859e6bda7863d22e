//! Faults the local AWS cannot make, injected at the HTTP layer of the SDK.
//!
//! [`Throttle`] wraps the SDK's HTTP client: every `every`-th API Gateway request (v1 and v2,
//! recognised by the SigV4 credential scope of its signature, so retries count too) is answered
//! `429 TooManyRequestsException` without reaching the server; every other request goes through.
//!
//! ```no_run
//! # async fn demo(sdk: aws_config::SdkConfig) {
//! let throttle = tests::faults::Throttle::every(3);
//! let sdk = throttle.wrap(&sdk); // every third API Gateway call is throttled
//! # let _ = (sdk, throttle.throttled());
//! # }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;

/// Counts of what a [`Throttle`] saw.
#[derive(Debug, Default)]
struct Counts {
    apigateway: AtomicU64,
    throttled: AtomicU64,
}

/// An HTTP client that answers every `every`-th API Gateway request with a 429 (see the module
/// doc). Clones share their counts.
#[derive(Debug, Clone)]
pub struct Throttle {
    every: u64,
    inner: SharedHttpClient,
    counts: Arc<Counts>,
}

impl Throttle {
    /// Throttles every `every`-th API Gateway request (0: none) in front of the SDK's default
    /// HTTPS client.
    pub fn every(every: u64) -> Self {
        let inner = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build_https();
        Throttle {
            every,
            inner,
            counts: Arc::new(Counts::default()),
        }
    }

    /// `sdk` with this client in front of every service it configures.
    pub fn wrap(&self, sdk: &SdkConfig) -> SdkConfig {
        sdk.to_builder().http_client(self.clone()).build()
    }

    /// API Gateway requests seen so far (throttled ones included).
    pub fn apigateway_requests(&self) -> u64 {
        self.counts.apigateway.load(Ordering::Relaxed)
    }

    /// Requests answered 429 so far.
    pub fn throttled(&self) -> u64 {
        self.counts.throttled.load(Ordering::Relaxed)
    }
}

/// True when the request is signed for API Gateway (v1 and v2 share the signing name).
fn is_apigateway(req: &HttpRequest) -> bool {
    req.headers()
        .get("authorization")
        .is_some_and(|a| a.contains("/apigateway/aws4_request"))
}

/// API Gateway's answer to a throttled request.
pub fn too_many_requests() -> HttpResponse {
    let mut resp = HttpResponse::new(
        429.try_into().expect("429 is a status"),
        SdkBody::from(r#"{"message":"Too Many Requests"}"#),
    );
    resp.headers_mut()
        .insert("content-type", "application/json");
    resp.headers_mut()
        .insert("x-amzn-errortype", "TooManyRequestsException");
    resp
}

#[derive(Debug)]
struct Connector {
    every: u64,
    inner: SharedHttpConnector,
    counts: Arc<Counts>,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if is_apigateway(&request) {
            let n = self.counts.apigateway.fetch_add(1, Ordering::Relaxed) + 1;
            if self.every > 0 && n.is_multiple_of(self.every) {
                self.counts.throttled.fetch_add(1, Ordering::Relaxed);
                return HttpConnectorFuture::ready(Ok(too_many_requests()));
            }
        }
        self.inner.call(request)
    }
}

impl HttpClient for Throttle {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector {
            every: self.every,
            inner: self.inner.http_connector(settings, components),
            counts: self.counts.clone(),
        })
    }
}
