//! A create whose reply is lost makes nothing twice, for every create kind (REST, HTTP and
//! WebSocket, estate), at the HTTP layer: the client's connector hands the create to the
//! service (aws-smithy-mocks answers it: the create is applied), then drops the reply and
//! fails as a reset connection does. The look that follows finds what the create made; each
//! case checks that exactly one create was sent, that the target was looked at, and that the
//! item found is the one the restore goes on with (its id in the applier's map).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_apigateway::config::http::{HttpRequest, HttpResponse};
use aws_sdk_apigateway::config::{HttpClient, RuntimeComponents, SharedHttpClient};
use aws_sdk_apigateway::types as t1;
use aws_sdk_apigatewayv2::types as t2;
use aws_smithy_mocks::{Rule, create_mock_http_client, mock};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;

use super::difference::{Change, Difference, TAG_SOURCE};
use super::estate::EstateApplier;
use super::kind::Kind;
use super::rest::Applier;
use super::v2::ApplierV2;
use crate::capture::mocks;
use crate::model::estate::{self, Estate};
use crate::model::v1::{self, RestApiSnapshot};
use crate::model::v2::{self as m2, ApiSnapshot};
use crate::pacing::Pacer;
use crate::secret::Sealer;

const MARKER: &str = "apigw-dr restore of point p1";

/// An HTTP client that sends every request on (so the service applies it) and drops the reply
/// to the first request with `method` whose path contains `path`.
#[derive(Debug, Clone)]
struct LosesReply {
    inner: SharedHttpClient,
    method: &'static str,
    path: &'static str,
    lost: Arc<AtomicUsize>,
}

#[derive(Debug)]
struct LosesReplyConnector {
    inner: SharedHttpConnector,
    method: &'static str,
    path: &'static str,
    lost: Arc<AtomicUsize>,
}

impl HttpClient for LosesReply {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LosesReplyConnector {
            inner: self.inner.http_connector(settings, components),
            method: self.method,
            path: self.path,
            lost: self.lost.clone(),
        })
    }
}

impl HttpConnector for LosesReplyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let lose = request.method() == self.method
            && request.uri().contains(self.path)
            && self
                .lost
                .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok();
        let reply = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            let reply = reply.await?;
            if lose {
                drop(reply);
                return Err(ConnectorError::io(
                    "connection reset by peer after the request was sent".into(),
                ));
            }
            Ok(reply)
        })
    }
}

/// Which reply is lost: the first request with this method whose path contains this.
type Lose = (&'static str, &'static str);

fn lossy(lose: Lose) -> (LosesReply, Arc<AtomicUsize>) {
    let lost = Arc::new(AtomicUsize::new(0));
    let client = LosesReply {
        inner: create_mock_http_client(),
        method: lose.0,
        path: lose.1,
        lost: lost.clone(),
    };
    (client, lost)
}

struct Clients {
    v1: aws_sdk_apigateway::Client,
    v2: aws_sdk_apigatewayv2::Client,
    lost: Arc<AtomicUsize>,
}

fn clients(rules: &[Rule], lose: Lose) -> Clients {
    let sdk = mocks::sdk();
    let (http, lost) = lossy(lose);
    Clients {
        v1: aws_sdk_apigateway::Client::from_conf(
            crate::capture::client_config(&sdk)
                .http_client(http.clone())
                .interceptor(mocks::interceptor(rules))
                .build(),
        ),
        v2: aws_sdk_apigatewayv2::Client::from_conf(
            crate::capture::v2::client_config(&sdk)
                .http_client(http)
                .interceptor(mocks::interceptor(rules))
                .build(),
        ),
        lost,
    }
}

/// What the create's lost reply would have said (never read).
fn applied() -> HttpResponse {
    HttpResponse::new(201.try_into().unwrap(), SdkBody::from("{}"))
}

/// A create whose reply is lost: the create's rule (applied, its reply dropped), the look that
/// finds what it made, the other requests' rules, and which request loses its reply.
struct Lost {
    op: &'static str,
    create: Rule,
    look: Rule,
    also: Vec<Rule>,
    lose: Lose,
}

impl Lost {
    fn new(op: &'static str, create: Rule, look: Rule, lose: Lose) -> Self {
        Lost {
            op,
            create,
            look,
            also: vec![],
            lose,
        }
    }

    fn also(mut self, rules: &[Rule]) -> Self {
        self.also.extend_from_slice(rules);
        self
    }

    fn clients(&self) -> Clients {
        let mut rules = vec![self.create.clone(), self.look.clone()];
        rules.extend(self.also.iter().cloned());
        clients(&rules, self.lose)
    }

    /// The create was sent once, its reply lost, and the target looked at.
    fn sent_once(&self, c: &Clients) {
        let op = self.op;
        assert_eq!(c.lost.load(Ordering::SeqCst), 1, "{op}: no reply was lost");
        assert_eq!(
            self.create.num_calls(),
            1,
            "{op}: the create was sent again"
        );
        assert!(
            self.look.num_calls() >= 1,
            "{op}: the target was not looked at"
        );
    }

    /// Applies the REST step `kind key` (of [`rest_desired`]) with this reply lost; `then`
    /// checks what the applier kept.
    async fn rest(&self, kind: Kind, key: &str, then: impl FnOnce(&Applier)) {
        let pacer = Pacer::for_tests();
        let c = self.clients();
        let mut a = Applier::new(&c.v1, &pacer, &rest_current(), MARKER.into());
        a.apply(&step(kind, key), &rest_desired()).await.unwrap();
        self.sent_once(&c);
        then(&a);
    }

    /// Applies the HTTP API step `kind key` (of [`v2_desired`]) with this reply lost, after
    /// `prepare`; `then` checks what the applier kept.
    async fn v2(
        &self,
        kind: Kind,
        key: &str,
        prepare: impl FnOnce(&mut ApplierV2),
        then: impl FnOnce(&ApplierV2),
    ) {
        let pacer = Pacer::for_tests();
        let c = self.clients();
        let mut a = ApplierV2::new(&c.v2, &pacer, &v2_current());
        prepare(&mut a);
        a.apply(&step(kind, key), &v2_desired()).await.unwrap();
        self.sent_once(&c);
        then(&a);
    }

    /// Applies the estate step `kind key` (of [`estate_desired`]) with this reply lost: the
    /// source id -> target id map the applier kept. A pacer of its own (CreateDomainName's
    /// quota, one per 30 s, is not what this checks).
    async fn estate(&self, kind: Kind, key: &str) -> BTreeMap<String, String> {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::local(dir.path().join("k"));
        let desired = estate_desired(&sealer).await;
        let pacer = Pacer::for_tests();
        let c = self.clients();
        let mut a = estate_applier(&c, &pacer, &sealer);
        a.apply(&step(kind, key), &desired).await.unwrap();
        self.sent_once(&c);
        a.ids
    }
}

/// A create rule whose request is applied (its reply is then lost).
macro_rules! applied {
    ($op:path) => {
        mock!($op).then_http_response(applied)
    };
}

/// A rule answering `$op` with `$output` built by `$build`.
macro_rules! answer {
    ($op:path, $output:ty $(, $build:ident($($arg:expr),*))*) => {
        mock!($op).then_output(move || <$output>::builder()$(.$build($($arg),*))*.build())
    };
}

fn step(kind: Kind, key: &str) -> Difference {
    Difference::new(kind, key, Change::Create)
}

/// The target REST API: the root, `/pets`, and the job's deployment.
fn rest_current() -> RestApiSnapshot {
    let mut api = RestApiSnapshot::default();
    api.api.id = "a1".into();
    api.resources = vec![
        v1::Resource {
            id: "r0".into(),
            path: "/".into(),
            ..Default::default()
        },
        v1::Resource {
            id: "r1".into(),
            parent_id: Some("r0".into()),
            path: "/pets".into(),
            path_part: Some("pets".into()),
        },
    ];
    api.deployments = vec![v1::Deployment {
        id: "d-job".into(),
        description: Some(MARKER.into()),
        ..Default::default()
    }];
    api
}

/// The point's REST API: the target's and one item of every kind a restore creates.
fn rest_desired() -> RestApiSnapshot {
    let mut desired = rest_current();
    desired.resources.push(v1::Resource {
        id: "s-toys".into(),
        parent_id: Some("s-root".into()),
        path: "/toys".into(),
        path_part: Some("toys".into()),
    });
    desired.authorizers = vec![v1::Authorizer {
        id: "s-auth".into(),
        name: "tokens".into(),
        ..Default::default()
    }];
    desired.models = vec![v1::Model {
        name: "Pet".into(),
        ..Default::default()
    }];
    desired.request_validators = vec![v1::RequestValidator {
        id: "s-val".into(),
        name: "body".into(),
        ..Default::default()
    }];
    desired.stages = vec![v1::Stage {
        stage_name: "prod".into(),
        ..Default::default()
    }];
    desired.documentation_parts = vec![v1::DocumentationPart {
        id: "s-doc".into(),
        location: v1::DocumentationPartLocation {
            location_type: "API".into(),
            ..Default::default()
        },
        properties: Some("{}".into()),
    }];
    desired.documentation_versions = vec![v1::DocumentationVersion {
        version: "v1".into(),
        ..Default::default()
    }];
    desired.methods = vec![v1::Method {
        path: "/pets".into(),
        http_method: "GET".into(),
        method_responses: BTreeMap::from([(
            "200".to_string(),
            v1::MethodResponse {
                status_code: "200".into(),
                ..Default::default()
            },
        )]),
        ..Default::default()
    }];
    desired
}

mod rest {
    use aws_sdk_apigateway::Client as C;
    use aws_sdk_apigateway::operation as o;

    use super::*;

    #[tokio::test]
    async fn a_lost_create_rest_api_is_found_by_its_name_and_source_tag() {
        let look = mock!(C::get_rest_apis)
            .match_requests(|r| r.position().is_none())
            .then_output(|| {
                o::get_rest_apis::GetRestApisOutput::builder()
                    .items(t1::RestApi::builder().id("other").name("orders").build())
                    .items(
                        t1::RestApi::builder()
                            .id("a-new")
                            .name("orders")
                            .root_resource_id("root-new")
                            .tags(TAG_SOURCE, "111/eu-west-1/src")
                            .build(),
                    )
                    .build()
            });
        let case = Lost::new(
            "CreateRestApi",
            applied!(C::create_rest_api),
            look,
            ("POST", "/restapis"),
        );
        let c = case.clients();
        let pacer = Pacer::for_tests();
        let api = &rest_desired().api;
        let made = Applier::create_api(&c.v1, &pacer, api, "orders", "111/eu-west-1/src")
            .await
            .unwrap();
        case.sent_once(&c);
        assert_eq!(made, ("a-new".to_string(), "root-new".to_string()));
    }

    #[tokio::test]
    async fn a_lost_create_resource_is_found_by_its_parent_and_path_part() {
        let look = answer!(
            C::get_resources,
            o::get_resources::GetResourcesOutput,
            items(t1::Resource::builder().id("r0").path("/").build()),
            items(
                t1::Resource::builder()
                    .id("r-toys")
                    .parent_id("r0")
                    .path_part("toys")
                    .path("/toys")
                    .build()
            )
        );
        let case = Lost::new(
            "CreateResource",
            applied!(C::create_resource),
            look,
            ("POST", "/resources/"),
        );
        case.rest(Kind::Resource, "/toys", |a| {
            assert_eq!(a.resources["/toys"], "r-toys")
        })
        .await;
    }

    #[tokio::test]
    async fn a_lost_create_authorizer_or_request_validator_is_found_by_name() {
        let look = answer!(
            C::get_authorizers,
            o::get_authorizers::GetAuthorizersOutput,
            items(
                t1::Authorizer::builder()
                    .id("au-new")
                    .name("tokens")
                    .build()
            )
        );
        let case = Lost::new(
            "CreateAuthorizer",
            applied!(C::create_authorizer),
            look,
            ("POST", "/authorizers"),
        );
        case.rest(Kind::Authorizer, "tokens", |a| {
            assert_eq!(a.authorizers["tokens"], "au-new")
        })
        .await;

        let look = answer!(
            C::get_request_validators,
            o::get_request_validators::GetRequestValidatorsOutput,
            items(
                t1::RequestValidator::builder()
                    .id("v-new")
                    .name("body")
                    .build()
            )
        );
        let case = Lost::new(
            "CreateRequestValidator",
            applied!(C::create_request_validator),
            look,
            ("POST", "/requestvalidators"),
        );
        case.rest(Kind::RequestValidator, "body", |a| {
            assert_eq!(a.validators["body"], "v-new")
        })
        .await;
    }

    #[tokio::test]
    async fn a_lost_create_model_is_found_by_name() {
        let look = mock!(C::get_model)
            .match_requests(|r| r.model_name() == Some("Pet"))
            .then_output(|| o::get_model::GetModelOutput::builder().name("Pet").build());
        let case = Lost::new(
            "CreateModel",
            applied!(C::create_model),
            look,
            ("POST", "/models"),
        );
        case.rest(Kind::Model, "Pet", |_| {}).await;
    }

    #[tokio::test]
    async fn a_lost_create_deployment_is_found_by_the_jobs_marker() {
        let mut bare = rest_current();
        bare.deployments.clear();
        let look = answer!(
            C::get_deployments,
            o::get_deployments::GetDeploymentsOutput,
            items(
                t1::Deployment::builder()
                    .id("d-old")
                    .description("by hand")
                    .build()
            ),
            items(
                t1::Deployment::builder()
                    .id("d-new")
                    .description(MARKER)
                    .build()
            )
        );
        let case = Lost::new(
            "CreateDeployment",
            applied!(C::create_deployment),
            look,
            ("POST", "/deployments"),
        );
        let c = case.clients();
        let pacer = Pacer::for_tests();
        let mut a = Applier::new(&c.v1, &pacer, &bare, MARKER.into());
        assert_eq!(a.ensure_deployment().await.unwrap(), "d-new");
        case.sent_once(&c);
    }

    #[tokio::test]
    async fn a_lost_create_stage_is_found_by_name_then_patched() {
        let look = mock!(C::get_stage)
            .match_requests(|r| r.stage_name() == Some("prod"))
            .then_output(|| {
                o::get_stage::GetStageOutput::builder()
                    .stage_name("prod")
                    .deployment_id("d-job")
                    .build()
            });
        let patch = answer!(C::update_stage, o::update_stage::UpdateStageOutput);
        let case = Lost::new(
            "CreateStage",
            applied!(C::create_stage),
            look,
            ("POST", "/stages"),
        )
        .also(std::slice::from_ref(&patch));
        case.rest(Kind::Stage, "prod", |_| {}).await;
        assert_eq!(patch.num_calls(), 1);
    }

    #[tokio::test]
    async fn lost_documentation_creates_are_found_by_location_and_version() {
        let location = t1::DocumentationPartLocation::builder()
            .r#type(t1::DocumentationPartType::Api)
            .build()
            .unwrap();
        let look = answer!(
            C::get_documentation_parts,
            o::get_documentation_parts::GetDocumentationPartsOutput,
            items(
                t1::DocumentationPart::builder()
                    .id("doc-new")
                    .location(location.clone())
                    .build()
            )
        );
        let case = Lost::new(
            "CreateDocumentationPart",
            applied!(C::create_documentation_part),
            look,
            ("POST", "/documentation/parts"),
        );
        let key = crate::restore::rest::compare::part_key(&rest_desired().documentation_parts[0]);
        case.rest(Kind::DocumentationPart, &key, |_| {}).await;

        let look = mock!(C::get_documentation_version)
            .match_requests(|r| r.documentation_version() == Some("v1"))
            .then_output(|| {
                o::get_documentation_version::GetDocumentationVersionOutput::builder()
                    .version("v1")
                    .build()
            });
        let case = Lost::new(
            "CreateDocumentationVersion",
            applied!(C::create_documentation_version),
            look,
            ("POST", "/documentation/versions"),
        );
        case.rest(Kind::DocumentationVersion, "v1", |_| {}).await;
    }

    /// PutMethod and PutMethodResponse answer a conflict when sent again: found by their keys.
    #[tokio::test]
    async fn a_lost_put_method_or_method_response_is_found_by_its_keys() {
        for lost_method in [true, false] {
            let ok_method = answer!(C::put_method, o::put_method::PutMethodOutput);
            let ok_response = answer!(
                C::put_method_response,
                o::put_method_response::PutMethodResponseOutput
            );
            let look_method = mock!(C::get_method)
                .match_requests(|r| r.resource_id() == Some("r1") && r.http_method() == Some("GET"))
                .then_output(|| {
                    o::get_method::GetMethodOutput::builder()
                        .http_method("GET")
                        .build()
                });
            let look_response = mock!(C::get_method_response)
                .match_requests(|r| r.status_code() == Some("200"))
                .then_output(|| {
                    o::get_method_response::GetMethodResponseOutput::builder()
                        .status_code("200")
                        .build()
                });
            let (case, other) = if lost_method {
                let lost = applied!(C::put_method);
                let case = Lost::new("PutMethod", lost, look_method, ("PUT", "/methods/GET"));
                (case.also(&[look_response]), ok_response)
            } else {
                let lost = applied!(C::put_method_response);
                let lose = ("PUT", "/responses/200");
                let case = Lost::new("PutMethodResponse", lost, look_response, lose);
                (case.also(&[look_method]), ok_method)
            };
            let case = case.also(std::slice::from_ref(&other));
            case.rest(Kind::Method, "/pets GET", |_| {}).await;
            assert_eq!(other.num_calls(), 1, "{}", case.op);
        }
    }
}

/// The target HTTP API, with no items yet.
fn v2_current() -> ApiSnapshot {
    let mut api = ApiSnapshot::default();
    api.api.api_id = "h1".into();
    api.api.protocol_type = "HTTP".into();
    api
}

/// The point's HTTP API: one item of every kind a restore creates.
fn v2_desired() -> ApiSnapshot {
    let mut desired = v2_current();
    desired.models = vec![m2::Model {
        model_id: "s-m".into(),
        name: "Pet".into(),
        ..Default::default()
    }];
    desired.authorizers = vec![m2::Authorizer {
        authorizer_id: "s-a".into(),
        name: "jwt".into(),
        authorizer_type: Some("JWT".into()),
        ..Default::default()
    }];
    desired.integrations = vec![m2::Integration {
        integration_id: "s-i".into(),
        integration_type: Some("HTTP_PROXY".into()),
        integration_uri: Some("https://example.com".into()),
        integration_method: Some("GET".into()),
        integration_responses: BTreeMap::from([(
            "$default".to_string(),
            m2::IntegrationResponse {
                integration_response_id: "s-ir".into(),
                integration_response_key: "$default".into(),
                ..Default::default()
            },
        )]),
        ..Default::default()
    }];
    desired.routes = vec![m2::Route {
        route_id: "s-r".into(),
        route_key: "GET /pets".into(),
        target: Some(format!("{}s-i", m2::TARGET_PREFIX)),
        route_responses: BTreeMap::from([(
            "$default".to_string(),
            m2::RouteResponse {
                route_response_id: "s-rr".into(),
                route_response_key: "$default".into(),
                ..Default::default()
            },
        )]),
        ..Default::default()
    }];
    desired.stages = vec![m2::Stage {
        stage_name: "prod".into(),
        ..Default::default()
    }];
    desired
}

mod v2 {
    use aws_sdk_apigatewayv2::Client as C;
    use aws_sdk_apigatewayv2::operation as o;

    use super::*;

    fn pair(parent: &str, child: &str) -> (String, String) {
        (parent.to_string(), child.to_string())
    }

    #[tokio::test]
    async fn a_lost_create_api_is_found_by_its_name_and_source_tag() {
        let look = answer!(
            C::get_apis,
            o::get_apis::GetApisOutput,
            items(
                t2::Api::builder()
                    .api_id("h-new")
                    .name("chat")
                    .protocol_type(t2::ProtocolType::Websocket)
                    .route_selection_expression("$request.body.action")
                    .tags(TAG_SOURCE, "111/eu-west-1/src")
                    .build()
            )
        );
        let case = Lost::new(
            "CreateApi",
            applied!(C::create_api),
            look,
            ("POST", "/v2/apis"),
        );
        let c = case.clients();
        let pacer = Pacer::for_tests();
        let api = &v2_desired().api;
        let id = ApplierV2::create_api(&c.v2, &pacer, api, "chat", "111/eu-west-1/src")
            .await
            .unwrap();
        case.sent_once(&c);
        assert_eq!(id, "h-new");
    }

    #[tokio::test]
    async fn a_lost_create_model_or_authorizer_is_found_by_name() {
        let look = answer!(
            C::get_models,
            o::get_models::GetModelsOutput,
            items(t2::Model::builder().model_id("m-new").name("Pet").build())
        );
        let case = Lost::new(
            "v2 CreateModel",
            applied!(C::create_model),
            look,
            ("POST", "/models"),
        );
        case.v2(
            Kind::ModelV2,
            "Pet",
            |_| {},
            |a| assert_eq!(a.models["Pet"], "m-new"),
        )
        .await;

        let look = answer!(
            C::get_authorizers,
            o::get_authorizers::GetAuthorizersOutput,
            items(
                t2::Authorizer::builder()
                    .authorizer_id("au-new")
                    .name("jwt")
                    .build()
            )
        );
        let case = Lost::new(
            "v2 CreateAuthorizer",
            applied!(C::create_authorizer),
            look,
            ("POST", "/authorizers"),
        );
        case.v2(
            Kind::AuthorizerV2,
            "jwt",
            |_| {},
            |a| assert_eq!(a.authorizers["jwt"], "au-new"),
        )
        .await;
    }

    /// CreateIntegration: an integration the API did not know, with the same type and URI;
    /// CreateIntegrationResponse: found by its key.
    #[tokio::test]
    async fn a_lost_create_integration_or_integration_response_is_found() {
        let integration = |id: &str, uri: &str| {
            t2::Integration::builder()
                .integration_id(id)
                .integration_type(t2::IntegrationType::HttpProxy)
                .integration_uri(uri)
                .integration_method("GET")
                .build()
        };
        for lost_integration in [true, false] {
            let ok_integration = answer!(
                C::create_integration,
                o::create_integration::CreateIntegrationOutput,
                integration_id("i-new")
            );
            let ok_response = answer!(
                C::create_integration_response,
                o::create_integration_response::CreateIntegrationResponseOutput,
                integration_response_id("ir-new")
            );
            let look_integration = answer!(
                C::get_integrations,
                o::get_integrations::GetIntegrationsOutput,
                items(integration("i-other", "https://elsewhere.example.com")),
                items(integration("i-new", "https://example.com"))
            );
            let look_response = mock!(C::get_integration_responses)
                .match_requests(|r| r.integration_id() == Some("i-new"))
                .then_output(|| {
                    o::get_integration_responses::GetIntegrationResponsesOutput::builder()
                        .items(
                            t2::IntegrationResponse::builder()
                                .integration_response_id("ir-new")
                                .integration_response_key("$default")
                                .build(),
                        )
                        .build()
                });
            let case = if lost_integration {
                let lost = applied!(C::create_integration);
                let lose = ("POST", "/integrations");
                Lost::new("CreateIntegration", lost, look_integration, lose)
                    .also(&[ok_response, look_response])
            } else {
                let lost = applied!(C::create_integration_response);
                let lose = ("POST", "/integrationresponses");
                Lost::new("CreateIntegrationResponse", lost, look_response, lose)
                    .also(&[ok_integration, look_integration])
            };
            case.v2(
                Kind::Integration,
                "GET /pets",
                |_| {},
                |a| {
                    assert_eq!(a.integrations["GET /pets"], "i-new", "{}", case.op);
                    let response = &a.integration_responses[&pair("GET /pets", "$default")];
                    assert_eq!(response, "ir-new", "{}", case.op);
                },
            )
            .await;
        }
    }

    /// CreateRoute: found by its route key; CreateRouteResponse: by its key.
    #[tokio::test]
    async fn a_lost_create_route_or_route_response_is_found_by_its_key() {
        for lost_route in [true, false] {
            let ok_route = answer!(
                C::create_route,
                o::create_route::CreateRouteOutput,
                route_id("r-new")
            );
            let ok_response = answer!(
                C::create_route_response,
                o::create_route_response::CreateRouteResponseOutput,
                route_response_id("rr-new")
            );
            let look_route = answer!(
                C::get_routes,
                o::get_routes::GetRoutesOutput,
                items(
                    t2::Route::builder()
                        .route_id("r-new")
                        .route_key("GET /pets")
                        .build()
                )
            );
            let look_response = mock!(C::get_route_responses)
                .match_requests(|r| r.route_id() == Some("r-new"))
                .then_output(|| {
                    o::get_route_responses::GetRouteResponsesOutput::builder()
                        .items(
                            t2::RouteResponse::builder()
                                .route_response_id("rr-new")
                                .route_response_key("$default")
                                .build(),
                        )
                        .build()
                });
            let case = if lost_route {
                let lost = applied!(C::create_route);
                Lost::new("CreateRoute", lost, look_route, ("POST", "/routes"))
                    .also(&[ok_response, look_response])
            } else {
                let lost = applied!(C::create_route_response);
                let lose = ("POST", "/routeresponses");
                Lost::new("CreateRouteResponse", lost, look_response, lose)
                    .also(&[ok_route, look_route])
            };
            let restored = |a: &mut ApplierV2| {
                a.integrations.insert("GET /pets".into(), "i-new".into());
            };
            case.v2(Kind::Route, "GET /pets", restored, |a| {
                assert_eq!(a.routes["GET /pets"], "r-new", "{}", case.op);
                let response = &a.route_responses[&pair("GET /pets", "$default")];
                assert_eq!(response, "rr-new", "{}", case.op);
            })
            .await;
        }
    }

    #[tokio::test]
    async fn a_lost_create_stage_is_found_by_name() {
        let look = mock!(C::get_stage)
            .match_requests(|r| r.stage_name() == Some("prod"))
            .then_output(|| {
                o::get_stage::GetStageOutput::builder()
                    .stage_name("prod")
                    .build()
            });
        let case = Lost::new(
            "v2 CreateStage",
            applied!(C::create_stage),
            look,
            ("POST", "/stages"),
        );
        case.v2(Kind::StageV2, "prod", |_| {}, |_| {}).await;
    }

    /// The deployment the stage serves carries the job's marker.
    #[tokio::test]
    async fn a_lost_create_deployment_is_found_by_the_jobs_marker() {
        let stage = answer!(
            C::get_stage,
            o::get_stage::GetStageOutput,
            stage_name("prod"),
            deployment_id("d-new")
        );
        let look = mock!(C::get_deployment)
            .match_requests(|r| r.deployment_id() == Some("d-new"))
            .then_output(|| {
                o::get_deployment::GetDeploymentOutput::builder()
                    .deployment_id("d-new")
                    .description(MARKER)
                    .build()
            });
        let case = Lost::new(
            "v2 CreateDeployment",
            applied!(C::create_deployment),
            look,
            ("POST", "/deployments"),
        )
        .also(&[stage]);
        let c = case.clients();
        let pacer = Pacer::for_tests();
        let a = ApplierV2::new(&c.v2, &pacer, &v2_current());
        a.deploy("prod", MARKER).await.unwrap();
        case.sent_once(&c);
    }
}

/// An estate applier whose API key `k-src` is in the target as `k-tgt`.
fn estate_applier<'a>(c: &'a Clients, pacer: &'a Pacer, sealer: &'a Sealer) -> EstateApplier<'a> {
    EstateApplier {
        v1: &c.v1,
        v2: &c.v2,
        pacer,
        sealer,
        ids: BTreeMap::from([("k-src".to_string(), "k-tgt".to_string())]),
        current: Estate::default(),
        new_certificates: vec![],
        deadline: None,
        out_of_time: false,
    }
}

/// The point's estate: one item of every kind a restore creates (the API key's value sealed
/// by `sealer`).
async fn estate_desired(sealer: &Sealer) -> Estate {
    let sealed = sealer.seal("k-src", "the-value-0123456789").await.unwrap();
    let mapping = |key: &str, api_id: &str, via: &str, id: Option<&str>| estate::Mapping {
        key: key.into(),
        api_id: api_id.into(),
        stage: Some("prod".into()),
        via: via.into(),
        id: id.map(Into::into),
    };
    let domain = |name: &str, mapping: estate::Mapping| estate::DomainName {
        domain_name: name.into(),
        endpoint_type: "REGIONAL".into(),
        seen_by: vec![mapping.via.clone()],
        mappings: vec![mapping],
        ..Default::default()
    };
    Estate {
        vpc_links_v1: vec![estate::VpcLinkV1 {
            id: "vl-src".into(),
            name: "nlb".into(),
            ..Default::default()
        }],
        vpc_links_v2: vec![estate::VpcLinkV2 {
            id: "vl2-src".into(),
            name: "private".into(),
            ..Default::default()
        }],
        api_keys: vec![estate::ApiKey {
            id: "k-src".into(),
            name: "alice".into(),
            enabled: true,
            value: sealed,
            ..Default::default()
        }],
        client_certificates: vec![estate::ClientCertificate {
            id: "cc-src".into(),
            description: Some("to the backend".into()),
            ..Default::default()
        }],
        usage_plans: vec![estate::UsagePlan {
            id: "up-src".into(),
            name: "gold".into(),
            keys: vec!["k-src".into()],
            ..Default::default()
        }],
        domains: vec![
            domain("api.example.com", mapping("orders", "a1", "v1", None)),
            domain("ws.example.com", mapping("chat", "h1", "v2", Some("m-src"))),
        ],
        ..Default::default()
    }
}

mod estate_creates {
    use aws_sdk_apigateway::Client as C1;
    use aws_sdk_apigateway::operation as o1;
    use aws_sdk_apigatewayv2::Client as C2;
    use aws_sdk_apigatewayv2::operation as o2;

    use super::*;

    /// CreateVpcLink (v1 and v2): found by name (and waited for until available).
    #[tokio::test]
    async fn a_lost_create_vpc_link_is_found_by_name() {
        let look = answer!(
            C1::get_vpc_links,
            o1::get_vpc_links::GetVpcLinksOutput,
            items(t1::VpcLink::builder().id("vl-new").name("nlb").build())
        );
        let available = answer!(
            C1::get_vpc_link,
            o1::get_vpc_link::GetVpcLinkOutput,
            status(t1::VpcLinkStatus::Available)
        );
        let case = Lost::new(
            "CreateVpcLink",
            applied!(C1::create_vpc_link),
            look,
            ("POST", "/vpclinks"),
        )
        .also(&[available]);
        let ids = case.estate(Kind::VpcLink, "nlb").await;
        assert_eq!(ids["vl-src"], "vl-new");

        let look = answer!(
            C2::get_vpc_links,
            o2::get_vpc_links::GetVpcLinksOutput,
            items(
                t2::VpcLink::builder()
                    .vpc_link_id("vl2-new")
                    .name("private")
                    .build()
            )
        );
        let available = answer!(
            C2::get_vpc_link,
            o2::get_vpc_link::GetVpcLinkOutput,
            vpc_link_status(t2::VpcLinkStatus::Available)
        );
        let case = Lost::new(
            "v2 CreateVpcLink",
            applied!(C2::create_vpc_link),
            look,
            ("POST", "/v2/vpclinks"),
        )
        .also(&[available]);
        let ids = case.estate(Kind::VpcLinkV2, "private").await;
        assert_eq!(ids["vl2-src"], "vl2-new");
    }

    /// CreateApiKey: the key with this name and the point's value (not a namesake).
    #[tokio::test]
    async fn a_lost_create_api_key_is_found_by_name_and_value() {
        let key = |id: &str, value: &str| {
            t1::ApiKey::builder()
                .id(id)
                .name("alice")
                .value(value)
                .build()
        };
        let look = mock!(C1::get_api_keys)
            .match_requests(|r| r.name_query() == Some("alice") && r.include_values() == Some(true))
            .then_output(move || {
                o1::get_api_keys::GetApiKeysOutput::builder()
                    .items(key("k-namesake", "another-value-0123456789"))
                    .items(key("k-new", "the-value-0123456789"))
                    .build()
            });
        let case = Lost::new(
            "CreateApiKey",
            applied!(C1::create_api_key),
            look,
            ("POST", "/apikeys"),
        );
        let ids = case.estate(Kind::ApiKey, "alice").await;
        assert_eq!(ids["k-src"], "k-new");
    }

    /// GenerateClientCertificate: found by its description.
    #[tokio::test]
    async fn a_lost_client_certificate_is_found_by_description() {
        let look = answer!(
            C1::get_client_certificates,
            o1::get_client_certificates::GetClientCertificatesOutput,
            items(
                t1::ClientCertificate::builder()
                    .client_certificate_id("cc-new")
                    .description("to the backend")
                    .build()
            )
        );
        let case = Lost::new(
            "GenerateClientCertificate",
            applied!(C1::generate_client_certificate),
            look,
            ("POST", "/clientcertificates"),
        );
        let ids = case.estate(Kind::ClientCertificate, "to the backend").await;
        assert_eq!(ids["cc-src"], "cc-new");
    }

    /// CreateUsagePlan: found by name; CreateUsagePlanKey: by plan and key.
    #[tokio::test]
    async fn a_lost_usage_plan_or_plan_key_is_found() {
        for lost_plan in [true, false] {
            let ok_plan = answer!(
                C1::create_usage_plan,
                o1::create_usage_plan::CreateUsagePlanOutput,
                id("up-new")
            );
            let ok_key = answer!(
                C1::create_usage_plan_key,
                o1::create_usage_plan_key::CreateUsagePlanKeyOutput,
                id("k-tgt")
            );
            let look_plan = answer!(
                C1::get_usage_plans,
                o1::get_usage_plans::GetUsagePlansOutput,
                items(t1::UsagePlan::builder().id("up-new").name("gold").build())
            );
            let look_key = mock!(C1::get_usage_plan_key)
                .match_requests(|r| {
                    r.usage_plan_id() == Some("up-new") && r.key_id() == Some("k-tgt")
                })
                .then_output(|| {
                    o1::get_usage_plan_key::GetUsagePlanKeyOutput::builder()
                        .id("k-tgt")
                        .build()
                });
            let (case, other) = if lost_plan {
                let lost = applied!(C1::create_usage_plan);
                let case = Lost::new("CreateUsagePlan", lost, look_plan, ("POST", "/usageplans"));
                (case.also(&[look_key]), ok_key)
            } else {
                let lost = applied!(C1::create_usage_plan_key);
                let case = Lost::new("CreateUsagePlanKey", lost, look_key, ("POST", "/keys"));
                (case.also(&[look_plan]), ok_plan)
            };
            let case = case.also(std::slice::from_ref(&other));
            let ids = case.estate(Kind::UsagePlan, "gold").await;
            assert_eq!(ids["up-src"], "up-new", "{}", case.op);
            assert_eq!(other.num_calls(), 1, "{}", case.op);
        }
    }

    /// CreateDomainName (v1 and v2): found by name.
    #[tokio::test]
    async fn a_lost_create_domain_name_is_found_by_name() {
        let look = mock!(C1::get_domain_name)
            .match_requests(|r| r.domain_name() == Some("api.example.com"))
            .then_output(|| {
                o1::get_domain_name::GetDomainNameOutput::builder()
                    .domain_name("api.example.com")
                    .build()
            });
        let case = Lost::new(
            "CreateDomainName",
            applied!(C1::create_domain_name),
            look,
            ("POST", "/domainnames"),
        );
        case.estate(Kind::DomainName, "api.example.com").await;

        let look = mock!(C2::get_domain_name)
            .match_requests(|r| r.domain_name() == Some("ws.example.com"))
            .then_output(|| {
                o2::get_domain_name::GetDomainNameOutput::builder()
                    .domain_name("ws.example.com")
                    .build()
            });
        let case = Lost::new(
            "v2 CreateDomainName",
            applied!(C2::create_domain_name),
            look,
            ("POST", "/v2/domainnames"),
        );
        case.estate(Kind::DomainName, "ws.example.com").await;
    }

    /// CreateBasePathMapping: found by base path; CreateApiMapping: by mapping key.
    #[tokio::test]
    async fn a_lost_mapping_is_found_by_its_key() {
        let look = mock!(C1::get_base_path_mapping)
            .match_requests(|r| r.base_path() == Some("orders"))
            .then_output(|| {
                o1::get_base_path_mapping::GetBasePathMappingOutput::builder()
                    .base_path("orders")
                    .rest_api_id("a1")
                    .build()
            });
        let case = Lost::new(
            "CreateBasePathMapping",
            applied!(C1::create_base_path_mapping),
            look,
            ("POST", "/basepathmappings"),
        );
        case.estate(Kind::Mapping, "api.example.com orders").await;

        let look = mock!(C2::get_api_mappings)
            .match_requests(|r| r.domain_name() == Some("ws.example.com"))
            .then_output(|| {
                o2::get_api_mappings::GetApiMappingsOutput::builder()
                    .items(
                        t2::ApiMapping::builder()
                            .api_mapping_id("am-new")
                            .api_mapping_key("chat")
                            .api_id("h1")
                            .stage("prod")
                            .build(),
                    )
                    .build()
            });
        let case = Lost::new(
            "CreateApiMapping",
            applied!(C2::create_api_mapping),
            look,
            ("POST", "/apimappings"),
        );
        case.estate(Kind::Mapping, "ws.example.com chat").await;
    }
}

/// Applies the REST step that creates request validator `body` through `c`: the id the
/// applier keeps.
async fn restore_validator(c: &Clients) -> crate::Result<String> {
    let pacer = Pacer::for_tests();
    let mut a = Applier::new(&c.v1, &pacer, &rest_current(), MARKER.into());
    a.apply(&step(Kind::RequestValidator, "body"), &rest_desired())
        .await?;
    Ok(a.validators["body"].clone())
}

/// No validator in the list of the target's validators.
fn no_validators()
-> aws_sdk_apigateway::operation::get_request_validators::GetRequestValidatorsOutput {
    aws_sdk_apigateway::operation::get_request_validators::GetRequestValidatorsOutput::builder()
        .build()
}

/// Throttling says the request was not applied: it is retried as before, without a look; and
/// a create the target still lacks after a lost reply is sent again, once.
#[tokio::test]
async fn throttling_is_retried_and_a_create_not_found_is_sent_again_once() {
    use aws_sdk_apigateway::Client as C;
    use aws_sdk_apigateway::operation::create_request_validator::CreateRequestValidatorOutput;
    let create = mock!(C::create_request_validator)
        .sequence()
        .http_status(
            429,
            mocks::error_body("TooManyRequestsException", "slow down"),
        )
        .output(|| CreateRequestValidatorOutput::builder().id("v-new").build())
        .build();
    let look = mock!(C::get_request_validators).then_output(no_validators);
    // Nothing is lost here: the path matches no request.
    let c = clients(&[create.clone(), look.clone()], ("POST", "/nothing"));
    assert_eq!(restore_validator(&c).await.unwrap(), "v-new");
    assert_eq!((create.num_calls(), look.num_calls()), (2, 0));

    // The reply is lost and the look finds nothing: the create was not applied, so it is sent
    // again, and its answer is kept.
    let create = mock!(C::create_request_validator)
        .sequence()
        .http_response(applied)
        .output(|| {
            CreateRequestValidatorOutput::builder()
                .id("v-second")
                .build()
        })
        .build();
    let look = mock!(C::get_request_validators).then_output(no_validators);
    let c = clients(
        &[create.clone(), look.clone()],
        ("POST", "/requestvalidators"),
    );
    assert_eq!(restore_validator(&c).await.unwrap(), "v-second");
    assert_eq!((create.num_calls(), look.num_calls()), (2, 1));
}

/// A create whose reply is lost, not yet visible to the look, and answered "conflict" when sent
/// again was made by the first attempt: it is looked for once more and adopted.
#[tokio::test]
async fn a_conflict_answered_to_a_create_sent_again_is_adopted() {
    use aws_sdk_apigateway::Client as C;
    use aws_sdk_apigateway::operation::get_request_validators::GetRequestValidatorsOutput;
    let create = mock!(C::create_request_validator)
        .sequence()
        .http_response(applied)
        .http_status(
            409,
            mocks::error_body("ConflictException", "already exists"),
        )
        .build();
    let look = mock!(C::get_request_validators)
        .sequence()
        .output(no_validators)
        .output(|| {
            GetRequestValidatorsOutput::builder()
                .items(
                    t1::RequestValidator::builder()
                        .id("v-late")
                        .name("body")
                        .build(),
                )
                .build()
        })
        .build();
    let c = clients(
        &[create.clone(), look.clone()],
        ("POST", "/requestvalidators"),
    );
    assert_eq!(restore_validator(&c).await.unwrap(), "v-late");
    assert_eq!((create.num_calls(), look.num_calls()), (2, 2));

    // A conflict without an earlier lost reply is the target's own item: an error, as before.
    let create = mock!(C::create_request_validator).then_http_response(|| {
        HttpResponse::new(
            409.try_into().unwrap(),
            SdkBody::from(r#"{"__type":"ConflictException","message":"already exists"}"#),
        )
    });
    let c = clients(std::slice::from_ref(&create), ("POST", "/nothing"));
    let e = restore_validator(&c).await.unwrap_err();
    assert!(e.to_string().contains("ConflictException"), "{e}");
    assert_eq!(create.num_calls(), 1);
}
