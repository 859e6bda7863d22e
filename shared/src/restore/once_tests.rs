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

/// The create was sent once, its reply lost, and the target looked at.
fn sent_once(op: &str, c: &Clients, create: &Rule, look: &Rule) {
    assert_eq!(c.lost.load(Ordering::SeqCst), 1, "{op}: no reply was lost");
    assert_eq!(create.num_calls(), 1, "{op}: the create was sent again");
    assert!(look.num_calls() >= 1, "{op}: the target was not looked at");
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

#[tokio::test]
async fn every_rest_create_whose_reply_is_lost_is_adopted_not_made_twice() {
    let pacer = Pacer::for_tests();
    let current = rest_current();
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
    let api =
        |r: &aws_sdk_apigateway::operation::get_rest_apis::GetRestApisInput| r.position().is_none();

    // CreateRestApi: found by its name and the source tag.
    let create = mock!(aws_sdk_apigateway::Client::create_rest_api).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_rest_apis)
        .match_requests(api)
        .then_output(|| {
            aws_sdk_apigateway::operation::get_rest_apis::GetRestApisOutput::builder()
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
    let c = clients(&[create.clone(), look.clone()], ("POST", "/restapis"));
    let made = Applier::create_api(&c.v1, &pacer, &desired.api, "orders", "111/eu-west-1/src")
        .await
        .unwrap();
    sent_once("CreateRestApi", &c, &create, &look);
    assert_eq!(made, ("a-new".to_string(), "root-new".to_string()));

    // CreateResource: found by its parent and path part.
    let create = mock!(aws_sdk_apigateway::Client::create_resource).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_resources).then_output(|| {
        aws_sdk_apigateway::operation::get_resources::GetResourcesOutput::builder()
            .items(t1::Resource::builder().id("r0").path("/").build())
            .items(
                t1::Resource::builder()
                    .id("r-toys")
                    .parent_id("r0")
                    .path_part("toys")
                    .path("/toys")
                    .build(),
            )
            .build()
    });
    let c = clients(&[create.clone(), look.clone()], ("POST", "/resources/"));
    let mut a = Applier::new(&c.v1, &pacer, &current, MARKER.into());
    a.apply(&step(Kind::Resource, "/toys"), &desired)
        .await
        .unwrap();
    sent_once("CreateResource", &c, &create, &look);
    assert_eq!(a.resources["/toys"], "r-toys");

    // CreateAuthorizer: found by name.
    let create = mock!(aws_sdk_apigateway::Client::create_authorizer).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_authorizers).then_output(|| {
        aws_sdk_apigateway::operation::get_authorizers::GetAuthorizersOutput::builder()
            .items(
                t1::Authorizer::builder()
                    .id("au-new")
                    .name("tokens")
                    .build(),
            )
            .build()
    });
    let c = clients(&[create.clone(), look.clone()], ("POST", "/authorizers"));
    let mut a = Applier::new(&c.v1, &pacer, &current, MARKER.into());
    a.apply(&step(Kind::Authorizer, "tokens"), &desired)
        .await
        .unwrap();
    sent_once("CreateAuthorizer", &c, &create, &look);
    assert_eq!(a.authorizers["tokens"], "au-new");

    // CreateRequestValidator: found by name.
    let create =
        mock!(aws_sdk_apigateway::Client::create_request_validator).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_request_validators).then_output(|| {
        aws_sdk_apigateway::operation::get_request_validators::GetRequestValidatorsOutput::builder()
            .items(
                t1::RequestValidator::builder()
                    .id("v-new")
                    .name("body")
                    .build(),
            )
            .build()
    });
    let c = clients(
        &[create.clone(), look.clone()],
        ("POST", "/requestvalidators"),
    );
    let mut a = Applier::new(&c.v1, &pacer, &current, MARKER.into());
    a.apply(&step(Kind::RequestValidator, "body"), &desired)
        .await
        .unwrap();
    sent_once("CreateRequestValidator", &c, &create, &look);
    assert_eq!(a.validators["body"], "v-new");

    // CreateModel: found by name.
    let create = mock!(aws_sdk_apigateway::Client::create_model).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_model)
        .match_requests(|r| r.model_name() == Some("Pet"))
        .then_output(|| {
            aws_sdk_apigateway::operation::get_model::GetModelOutput::builder()
                .name("Pet")
                .build()
        });
    let c = clients(&[create.clone(), look.clone()], ("POST", "/models"));
    let mut a = Applier::new(&c.v1, &pacer, &current, MARKER.into());
    a.apply(&step(Kind::Model, "Pet"), &desired).await.unwrap();
    sent_once("CreateModel", &c, &create, &look);

    // CreateDeployment: found by the job's marker.
    let mut bare = current.clone();
    bare.deployments.clear();
    let create = mock!(aws_sdk_apigateway::Client::create_deployment).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_deployments).then_output(|| {
        aws_sdk_apigateway::operation::get_deployments::GetDeploymentsOutput::builder()
            .items(
                t1::Deployment::builder()
                    .id("d-old")
                    .description("by hand")
                    .build(),
            )
            .items(
                t1::Deployment::builder()
                    .id("d-new")
                    .description(MARKER)
                    .build(),
            )
            .build()
    });
    let c = clients(&[create.clone(), look.clone()], ("POST", "/deployments"));
    let mut a = Applier::new(&c.v1, &pacer, &bare, MARKER.into());
    assert_eq!(a.ensure_deployment().await.unwrap(), "d-new");
    sent_once("CreateDeployment", &c, &create, &look);

    // CreateStage: found by name (then its settings are patched).
    let create = mock!(aws_sdk_apigateway::Client::create_stage).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_stage)
        .match_requests(|r| r.stage_name() == Some("prod"))
        .then_output(|| {
            aws_sdk_apigateway::operation::get_stage::GetStageOutput::builder()
                .stage_name("prod")
                .deployment_id("d-job")
                .build()
        });
    let patch = mock!(aws_sdk_apigateway::Client::update_stage).then_output(|| {
        aws_sdk_apigateway::operation::update_stage::UpdateStageOutput::builder().build()
    });
    let c = clients(
        &[create.clone(), look.clone(), patch.clone()],
        ("POST", "/stages"),
    );
    let mut a = Applier::new(&c.v1, &pacer, &current, MARKER.into());
    a.apply(&step(Kind::Stage, "prod"), &desired).await.unwrap();
    sent_once("CreateStage", &c, &create, &look);
    assert_eq!(patch.num_calls(), 1);

    // CreateDocumentationPart: found by its location.
    let create =
        mock!(aws_sdk_apigateway::Client::create_documentation_part).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_documentation_parts).then_output(|| {
        aws_sdk_apigateway::operation::get_documentation_parts::GetDocumentationPartsOutput::builder()
            .items(
                t1::DocumentationPart::builder()
                    .id("doc-new")
                    .location(
                        t1::DocumentationPartLocation::builder()
                            .r#type(t1::DocumentationPartType::Api)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build()
    });
    let c = clients(
        &[create.clone(), look.clone()],
        ("POST", "/documentation/parts"),
    );
    let mut a = Applier::new(&c.v1, &pacer, &current, MARKER.into());
    let key = super::rest::compare::part_key(&desired.documentation_parts[0]);
    a.apply(&step(Kind::DocumentationPart, &key), &desired)
        .await
        .unwrap();
    sent_once("CreateDocumentationPart", &c, &create, &look);

    // CreateDocumentationVersion: found by its version.
    let create =
        mock!(aws_sdk_apigateway::Client::create_documentation_version).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_documentation_version)
        .match_requests(|r| r.documentation_version() == Some("v1"))
        .then_output(|| {
            aws_sdk_apigateway::operation::get_documentation_version::GetDocumentationVersionOutput::builder()
                .version("v1")
                .build()
        });
    let c = clients(
        &[create.clone(), look.clone()],
        ("POST", "/documentation/versions"),
    );
    let mut a = Applier::new(&c.v1, &pacer, &current, MARKER.into());
    a.apply(&step(Kind::DocumentationVersion, "v1"), &desired)
        .await
        .unwrap();
    sent_once("CreateDocumentationVersion", &c, &create, &look);

    // PutMethod and PutMethodResponse answer a conflict when sent again: found by their keys.
    for (op, path) in [
        ("PutMethod", "/methods/GET"),
        ("PutMethodResponse", "/responses/200"),
    ] {
        let lost_method = op == "PutMethod";
        let method = if lost_method {
            mock!(aws_sdk_apigateway::Client::put_method).then_http_response(applied)
        } else {
            mock!(aws_sdk_apigateway::Client::put_method).then_output(|| {
                aws_sdk_apigateway::operation::put_method::PutMethodOutput::builder().build()
            })
        };
        let response = if lost_method {
            mock!(aws_sdk_apigateway::Client::put_method_response).then_output(|| {
                aws_sdk_apigateway::operation::put_method_response::PutMethodResponseOutput::builder()
                    .build()
            })
        } else {
            mock!(aws_sdk_apigateway::Client::put_method_response).then_http_response(applied)
        };
        let look_method = mock!(aws_sdk_apigateway::Client::get_method)
            .match_requests(|r| r.resource_id() == Some("r1") && r.http_method() == Some("GET"))
            .then_output(|| {
                aws_sdk_apigateway::operation::get_method::GetMethodOutput::builder()
                    .http_method("GET")
                    .build()
            });
        let look_response = mock!(aws_sdk_apigateway::Client::get_method_response)
            .match_requests(|r| r.status_code() == Some("200"))
            .then_output(|| {
                aws_sdk_apigateway::operation::get_method_response::GetMethodResponseOutput::builder()
                    .status_code("200")
                    .build()
            });
        let c = clients(
            &[
                method.clone(),
                response.clone(),
                look_method.clone(),
                look_response.clone(),
            ],
            ("PUT", path),
        );
        let mut a = Applier::new(&c.v1, &pacer, &current, MARKER.into());
        a.apply(&step(Kind::Method, "/pets GET"), &desired)
            .await
            .unwrap();
        let (create, look) = if lost_method {
            (&method, &look_method)
        } else {
            (&response, &look_response)
        };
        sent_once(op, &c, create, look);
        assert_eq!((method.num_calls(), response.num_calls()), (1, 1), "{op}");
    }
}

/// The target HTTP API, with no items yet.
fn v2_current() -> ApiSnapshot {
    let mut api = ApiSnapshot::default();
    api.api.api_id = "h1".into();
    api.api.protocol_type = "HTTP".into();
    api
}

#[tokio::test]
async fn every_http_and_websocket_create_whose_reply_is_lost_is_adopted_not_made_twice() {
    use aws_sdk_apigatewayv2::operation as o;
    let pacer = Pacer::for_tests();
    let current = v2_current();
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
    // CreateApi: found by its name and the source tag.
    let create = mock!(aws_sdk_apigatewayv2::Client::create_api).then_http_response(applied);
    let look = mock!(aws_sdk_apigatewayv2::Client::get_apis).then_output(|| {
        o::get_apis::GetApisOutput::builder()
            .items(
                t2::Api::builder()
                    .api_id("h-new")
                    .name("chat")
                    .protocol_type(t2::ProtocolType::Websocket)
                    .route_selection_expression("$request.body.action")
                    .tags(TAG_SOURCE, "111/eu-west-1/src")
                    .build(),
            )
            .build()
    });
    let c = clients(&[create.clone(), look.clone()], ("POST", "/v2/apis"));
    let id = ApplierV2::create_api(&c.v2, &pacer, &desired.api, "chat", "111/eu-west-1/src")
        .await
        .unwrap();
    sent_once("CreateApi", &c, &create, &look);
    assert_eq!(id, "h-new");

    // CreateModel, CreateAuthorizer: found by name.
    let create = mock!(aws_sdk_apigatewayv2::Client::create_model).then_http_response(applied);
    let look = mock!(aws_sdk_apigatewayv2::Client::get_models).then_output(|| {
        o::get_models::GetModelsOutput::builder()
            .items(t2::Model::builder().model_id("m-new").name("Pet").build())
            .build()
    });
    let c = clients(&[create.clone(), look.clone()], ("POST", "/models"));
    let mut a = ApplierV2::new(&c.v2, &pacer, &current);
    a.apply(&step(Kind::ModelV2, "Pet"), &desired)
        .await
        .unwrap();
    sent_once("v2 CreateModel", &c, &create, &look);
    assert_eq!(a.models["Pet"], "m-new");

    let create = mock!(aws_sdk_apigatewayv2::Client::create_authorizer).then_http_response(applied);
    let look = mock!(aws_sdk_apigatewayv2::Client::get_authorizers).then_output(|| {
        o::get_authorizers::GetAuthorizersOutput::builder()
            .items(
                t2::Authorizer::builder()
                    .authorizer_id("au-new")
                    .name("jwt")
                    .build(),
            )
            .build()
    });
    let c = clients(&[create.clone(), look.clone()], ("POST", "/authorizers"));
    let mut a = ApplierV2::new(&c.v2, &pacer, &current);
    a.apply(&step(Kind::AuthorizerV2, "jwt"), &desired)
        .await
        .unwrap();
    sent_once("v2 CreateAuthorizer", &c, &create, &look);
    assert_eq!(a.authorizers["jwt"], "au-new");

    // CreateIntegration: an integration the API did not know, with the same type and URI; and
    // CreateIntegrationResponse: found by its key.
    for (op, path) in [
        ("CreateIntegration", "/integrations"),
        ("CreateIntegrationResponse", "/integrationresponses"),
    ] {
        let lost_integration = op == "CreateIntegration";
        let integration = if lost_integration {
            mock!(aws_sdk_apigatewayv2::Client::create_integration).then_http_response(applied)
        } else {
            mock!(aws_sdk_apigatewayv2::Client::create_integration).then_output(|| {
                o::create_integration::CreateIntegrationOutput::builder()
                    .integration_id("i-new")
                    .build()
            })
        };
        let response = if lost_integration {
            mock!(aws_sdk_apigatewayv2::Client::create_integration_response).then_output(|| {
                o::create_integration_response::CreateIntegrationResponseOutput::builder()
                    .integration_response_id("ir-new")
                    .build()
            })
        } else {
            mock!(aws_sdk_apigatewayv2::Client::create_integration_response)
                .then_http_response(applied)
        };
        let look_integration =
            mock!(aws_sdk_apigatewayv2::Client::get_integrations).then_output(|| {
                o::get_integrations::GetIntegrationsOutput::builder()
                    .items(
                        t2::Integration::builder()
                            .integration_id("i-other")
                            .integration_type(t2::IntegrationType::HttpProxy)
                            .integration_uri("https://elsewhere.example.com")
                            .integration_method("GET")
                            .build(),
                    )
                    .items(
                        t2::Integration::builder()
                            .integration_id("i-new")
                            .integration_type(t2::IntegrationType::HttpProxy)
                            .integration_uri("https://example.com")
                            .integration_method("GET")
                            .build(),
                    )
                    .build()
            });
        let look_response = mock!(aws_sdk_apigatewayv2::Client::get_integration_responses)
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
        let c = clients(
            &[
                integration.clone(),
                response.clone(),
                look_integration.clone(),
                look_response.clone(),
            ],
            ("POST", path),
        );
        let mut a = ApplierV2::new(&c.v2, &pacer, &current);
        a.apply(&step(Kind::Integration, "GET /pets"), &desired)
            .await
            .unwrap();
        let (create, look) = if lost_integration {
            (&integration, &look_integration)
        } else {
            (&response, &look_response)
        };
        sent_once(op, &c, create, look);
        assert_eq!(a.integrations["GET /pets"], "i-new", "{op}");
        assert_eq!(
            a.integration_responses[&("GET /pets".to_string(), "$default".to_string())],
            "ir-new",
            "{op}"
        );
    }

    // CreateRoute: found by its route key; CreateRouteResponse: by its key.
    for (op, path) in [
        ("CreateRoute", "/routes"),
        ("CreateRouteResponse", "/routeresponses"),
    ] {
        let lost_route = op == "CreateRoute";
        let route = if lost_route {
            mock!(aws_sdk_apigatewayv2::Client::create_route).then_http_response(applied)
        } else {
            mock!(aws_sdk_apigatewayv2::Client::create_route).then_output(|| {
                o::create_route::CreateRouteOutput::builder()
                    .route_id("r-new")
                    .build()
            })
        };
        let response = if lost_route {
            mock!(aws_sdk_apigatewayv2::Client::create_route_response).then_output(|| {
                o::create_route_response::CreateRouteResponseOutput::builder()
                    .route_response_id("rr-new")
                    .build()
            })
        } else {
            mock!(aws_sdk_apigatewayv2::Client::create_route_response).then_http_response(applied)
        };
        let look_route = mock!(aws_sdk_apigatewayv2::Client::get_routes).then_output(|| {
            o::get_routes::GetRoutesOutput::builder()
                .items(
                    t2::Route::builder()
                        .route_id("r-new")
                        .route_key("GET /pets")
                        .build(),
                )
                .build()
        });
        let look_response = mock!(aws_sdk_apigatewayv2::Client::get_route_responses)
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
        let c = clients(
            &[
                route.clone(),
                response.clone(),
                look_route.clone(),
                look_response.clone(),
            ],
            ("POST", path),
        );
        let mut a = ApplierV2::new(&c.v2, &pacer, &current);
        a.integrations.insert("GET /pets".into(), "i-new".into());
        a.apply(&step(Kind::Route, "GET /pets"), &desired)
            .await
            .unwrap();
        let (create, look) = if lost_route {
            (&route, &look_route)
        } else {
            (&response, &look_response)
        };
        sent_once(op, &c, create, look);
        assert_eq!(a.routes["GET /pets"], "r-new", "{op}");
        assert_eq!(
            a.route_responses[&("GET /pets".to_string(), "$default".to_string())],
            "rr-new",
            "{op}"
        );
    }

    // CreateStage: found by name.
    let create = mock!(aws_sdk_apigatewayv2::Client::create_stage).then_http_response(applied);
    let look = mock!(aws_sdk_apigatewayv2::Client::get_stage)
        .match_requests(|r| r.stage_name() == Some("prod"))
        .then_output(|| {
            o::get_stage::GetStageOutput::builder()
                .stage_name("prod")
                .build()
        });
    let c = clients(&[create.clone(), look.clone()], ("POST", "/stages"));
    let mut a = ApplierV2::new(&c.v2, &pacer, &current);
    a.apply(&step(Kind::StageV2, "prod"), &desired)
        .await
        .unwrap();
    sent_once("v2 CreateStage", &c, &create, &look);

    // CreateDeployment: the deployment the stage serves carries the job's marker.
    let create = mock!(aws_sdk_apigatewayv2::Client::create_deployment).then_http_response(applied);
    let stage = mock!(aws_sdk_apigatewayv2::Client::get_stage).then_output(|| {
        o::get_stage::GetStageOutput::builder()
            .stage_name("prod")
            .deployment_id("d-new")
            .build()
    });
    let look = mock!(aws_sdk_apigatewayv2::Client::get_deployment)
        .match_requests(|r| r.deployment_id() == Some("d-new"))
        .then_output(|| {
            o::get_deployment::GetDeploymentOutput::builder()
                .deployment_id("d-new")
                .description(MARKER)
                .build()
        });
    let c = clients(
        &[create.clone(), stage.clone(), look.clone()],
        ("POST", "/deployments"),
    );
    let a = ApplierV2::new(&c.v2, &pacer, &current);
    a.deploy("prod", MARKER).await.unwrap();
    sent_once("v2 CreateDeployment", &c, &create, &look);
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

#[tokio::test]
async fn every_estate_create_whose_reply_is_lost_is_adopted_not_made_twice() {
    use aws_sdk_apigateway::operation as o1;
    use aws_sdk_apigatewayv2::operation as o2;
    let dir = tempfile::tempdir().unwrap();
    let sealer = Sealer::local(dir.path().join("k"));
    let sealed = sealer.seal("k-src", "the-value-0123456789").await.unwrap();
    let pacer = Pacer::for_tests();
    let desired = Estate {
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
            estate::DomainName {
                domain_name: "api.example.com".into(),
                endpoint_type: "REGIONAL".into(),
                seen_by: vec!["v1".into()],
                mappings: vec![estate::Mapping {
                    key: "orders".into(),
                    api_id: "a1".into(),
                    stage: Some("prod".into()),
                    via: "v1".into(),
                    id: None,
                }],
                ..Default::default()
            },
            estate::DomainName {
                domain_name: "ws.example.com".into(),
                endpoint_type: "REGIONAL".into(),
                seen_by: vec!["v2".into()],
                mappings: vec![estate::Mapping {
                    key: "chat".into(),
                    api_id: "h1".into(),
                    stage: Some("prod".into()),
                    via: "v2".into(),
                    id: Some("m-src".into()),
                }],
                ..Default::default()
            },
        ],
        ..Default::default()
    };

    let available1 = mock!(aws_sdk_apigateway::Client::get_vpc_link).then_output(|| {
        o1::get_vpc_link::GetVpcLinkOutput::builder()
            .status(t1::VpcLinkStatus::Available)
            .build()
    });
    let available2 = mock!(aws_sdk_apigatewayv2::Client::get_vpc_link).then_output(|| {
        o2::get_vpc_link::GetVpcLinkOutput::builder()
            .vpc_link_status(t2::VpcLinkStatus::Available)
            .build()
    });

    // CreateVpcLink (v1 and v2): found by name.
    let create = mock!(aws_sdk_apigateway::Client::create_vpc_link).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_vpc_links).then_output(|| {
        o1::get_vpc_links::GetVpcLinksOutput::builder()
            .items(t1::VpcLink::builder().id("vl-new").name("nlb").build())
            .build()
    });
    let c = clients(
        &[create.clone(), look.clone(), available1.clone()],
        ("POST", "/vpclinks"),
    );
    let mut a = estate_applier(&c, &pacer, &sealer);
    a.apply(&step(Kind::VpcLink, "nlb"), &desired)
        .await
        .unwrap();
    sent_once("CreateVpcLink", &c, &create, &look);
    assert_eq!(a.ids["vl-src"], "vl-new");

    let create = mock!(aws_sdk_apigatewayv2::Client::create_vpc_link).then_http_response(applied);
    let look = mock!(aws_sdk_apigatewayv2::Client::get_vpc_links).then_output(|| {
        o2::get_vpc_links::GetVpcLinksOutput::builder()
            .items(
                t2::VpcLink::builder()
                    .vpc_link_id("vl2-new")
                    .name("private")
                    .build(),
            )
            .build()
    });
    let c = clients(
        &[create.clone(), look.clone(), available2.clone()],
        ("POST", "/v2/vpclinks"),
    );
    let mut a = estate_applier(&c, &pacer, &sealer);
    a.apply(&step(Kind::VpcLinkV2, "private"), &desired)
        .await
        .unwrap();
    sent_once("v2 CreateVpcLink", &c, &create, &look);
    assert_eq!(a.ids["vl2-src"], "vl2-new");

    // CreateApiKey: the key with this name and the point's value (not a namesake).
    let create = mock!(aws_sdk_apigateway::Client::create_api_key).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_api_keys)
        .match_requests(|r| r.name_query() == Some("alice") && r.include_values() == Some(true))
        .then_output(|| {
            o1::get_api_keys::GetApiKeysOutput::builder()
                .items(
                    t1::ApiKey::builder()
                        .id("k-namesake")
                        .name("alice")
                        .value("another-value-0123456789")
                        .build(),
                )
                .items(
                    t1::ApiKey::builder()
                        .id("k-new")
                        .name("alice")
                        .value("the-value-0123456789")
                        .build(),
                )
                .build()
        });
    let c = clients(&[create.clone(), look.clone()], ("POST", "/apikeys"));
    let mut a = estate_applier(&c, &pacer, &sealer);
    a.apply(&step(Kind::ApiKey, "alice"), &desired)
        .await
        .unwrap();
    sent_once("CreateApiKey", &c, &create, &look);
    assert_eq!(a.ids["k-src"], "k-new");

    // GenerateClientCertificate: found by its description.
    let create =
        mock!(aws_sdk_apigateway::Client::generate_client_certificate).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_client_certificates).then_output(|| {
        o1::get_client_certificates::GetClientCertificatesOutput::builder()
            .items(
                t1::ClientCertificate::builder()
                    .client_certificate_id("cc-new")
                    .description("to the backend")
                    .build(),
            )
            .build()
    });
    let c = clients(
        &[create.clone(), look.clone()],
        ("POST", "/clientcertificates"),
    );
    let mut a = estate_applier(&c, &pacer, &sealer);
    a.apply(&step(Kind::ClientCertificate, "to the backend"), &desired)
        .await
        .unwrap();
    sent_once("GenerateClientCertificate", &c, &create, &look);
    assert_eq!(a.ids["cc-src"], "cc-new");

    // CreateUsagePlan: found by name; CreateUsagePlanKey: by plan and key.
    for (op, path) in [
        ("CreateUsagePlan", "/usageplans"),
        ("CreateUsagePlanKey", "/keys"),
    ] {
        let lost_plan = op == "CreateUsagePlan";
        let plan = if lost_plan {
            mock!(aws_sdk_apigateway::Client::create_usage_plan).then_http_response(applied)
        } else {
            mock!(aws_sdk_apigateway::Client::create_usage_plan).then_output(|| {
                o1::create_usage_plan::CreateUsagePlanOutput::builder()
                    .id("up-new")
                    .build()
            })
        };
        let key = if lost_plan {
            mock!(aws_sdk_apigateway::Client::create_usage_plan_key).then_output(|| {
                o1::create_usage_plan_key::CreateUsagePlanKeyOutput::builder()
                    .id("k-tgt")
                    .build()
            })
        } else {
            mock!(aws_sdk_apigateway::Client::create_usage_plan_key).then_http_response(applied)
        };
        let look_plan = mock!(aws_sdk_apigateway::Client::get_usage_plans).then_output(|| {
            o1::get_usage_plans::GetUsagePlansOutput::builder()
                .items(t1::UsagePlan::builder().id("up-new").name("gold").build())
                .build()
        });
        let look_key = mock!(aws_sdk_apigateway::Client::get_usage_plan_key)
            .match_requests(|r| r.usage_plan_id() == Some("up-new") && r.key_id() == Some("k-tgt"))
            .then_output(|| {
                o1::get_usage_plan_key::GetUsagePlanKeyOutput::builder()
                    .id("k-tgt")
                    .build()
            });
        let c = clients(
            &[
                plan.clone(),
                key.clone(),
                look_plan.clone(),
                look_key.clone(),
            ],
            ("POST", path),
        );
        let mut a = estate_applier(&c, &pacer, &sealer);
        a.apply(&step(Kind::UsagePlan, "gold"), &desired)
            .await
            .unwrap();
        let (create, look) = if lost_plan {
            (&plan, &look_plan)
        } else {
            (&key, &look_key)
        };
        sent_once(op, &c, create, look);
        assert_eq!(a.ids["up-src"], "up-new", "{op}");
        assert_eq!((plan.num_calls(), key.num_calls()), (1, 1), "{op}");
    }

    // CreateDomainName (v1 and v2): found by name.
    let create = mock!(aws_sdk_apigateway::Client::create_domain_name).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_domain_name)
        .match_requests(|r| r.domain_name() == Some("api.example.com"))
        .then_output(|| {
            o1::get_domain_name::GetDomainNameOutput::builder()
                .domain_name("api.example.com")
                .build()
        });
    let c = clients(&[create.clone(), look.clone()], ("POST", "/domainnames"));
    let mut a = estate_applier(&c, &pacer, &sealer);
    a.apply(&step(Kind::DomainName, "api.example.com"), &desired)
        .await
        .unwrap();
    sent_once("CreateDomainName", &c, &create, &look);

    let create =
        mock!(aws_sdk_apigatewayv2::Client::create_domain_name).then_http_response(applied);
    let look = mock!(aws_sdk_apigatewayv2::Client::get_domain_name)
        .match_requests(|r| r.domain_name() == Some("ws.example.com"))
        .then_output(|| {
            o2::get_domain_name::GetDomainNameOutput::builder()
                .domain_name("ws.example.com")
                .build()
        });
    let c = clients(&[create.clone(), look.clone()], ("POST", "/v2/domainnames"));
    // CreateDomainName's own quota (one per 30 s) is not what this checks.
    let pacer = Pacer::for_tests();
    let mut a = estate_applier(&c, &pacer, &sealer);
    a.apply(&step(Kind::DomainName, "ws.example.com"), &desired)
        .await
        .unwrap();
    sent_once("v2 CreateDomainName", &c, &create, &look);

    // CreateBasePathMapping: found by base path; CreateApiMapping: by mapping key.
    let create =
        mock!(aws_sdk_apigateway::Client::create_base_path_mapping).then_http_response(applied);
    let look = mock!(aws_sdk_apigateway::Client::get_base_path_mapping)
        .match_requests(|r| r.base_path() == Some("orders"))
        .then_output(|| {
            o1::get_base_path_mapping::GetBasePathMappingOutput::builder()
                .base_path("orders")
                .rest_api_id("a1")
                .build()
        });
    let c = clients(
        &[create.clone(), look.clone()],
        ("POST", "/basepathmappings"),
    );
    let mut a = estate_applier(&c, &pacer, &sealer);
    a.apply(&step(Kind::Mapping, "api.example.com orders"), &desired)
        .await
        .unwrap();
    sent_once("CreateBasePathMapping", &c, &create, &look);

    let create =
        mock!(aws_sdk_apigatewayv2::Client::create_api_mapping).then_http_response(applied);
    let look = mock!(aws_sdk_apigatewayv2::Client::get_api_mappings)
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
    let c = clients(&[create.clone(), look.clone()], ("POST", "/apimappings"));
    let mut a = estate_applier(&c, &pacer, &sealer);
    a.apply(&step(Kind::Mapping, "ws.example.com chat"), &desired)
        .await
        .unwrap();
    sent_once("CreateApiMapping", &c, &create, &look);
}

/// The target REST API, and the request validator `body` to restore into it.
fn with_validator() -> RestApiSnapshot {
    let mut desired = rest_current();
    desired.request_validators = vec![v1::RequestValidator {
        id: "s-val".into(),
        name: "body".into(),
        ..Default::default()
    }];
    desired
}

/// Throttling says the request was not applied: it is retried as before, without a look; and
/// a create the target still lacks after a lost reply is sent again, once.
#[tokio::test]
async fn throttling_is_retried_and_a_create_not_found_is_sent_again_once() {
    use aws_sdk_apigateway::operation as o1;
    let pacer = Pacer::for_tests();
    let create = mock!(aws_sdk_apigateway::Client::create_request_validator)
        .sequence()
        .http_status(
            429,
            mocks::error_body("TooManyRequestsException", "slow down"),
        )
        .output(|| {
            o1::create_request_validator::CreateRequestValidatorOutput::builder()
                .id("v-new")
                .build()
        })
        .build();
    let look = mock!(aws_sdk_apigateway::Client::get_request_validators)
        .then_output(|| o1::get_request_validators::GetRequestValidatorsOutput::builder().build());
    // Nothing is lost here: the path matches no request.
    let c = clients(&[create.clone(), look.clone()], ("POST", "/nothing"));
    let desired = with_validator();
    let mut a = Applier::new(&c.v1, &pacer, &rest_current(), MARKER.into());
    a.apply(&step(Kind::RequestValidator, "body"), &desired)
        .await
        .unwrap();
    assert_eq!((create.num_calls(), look.num_calls()), (2, 0));
    assert_eq!(a.validators["body"], "v-new");

    // The reply is lost and the look finds nothing: the create was not applied, so it is sent
    // again, and its answer is kept.
    let create = mock!(aws_sdk_apigateway::Client::create_request_validator)
        .sequence()
        .http_response(applied)
        .output(|| {
            o1::create_request_validator::CreateRequestValidatorOutput::builder()
                .id("v-second")
                .build()
        })
        .build();
    let look = mock!(aws_sdk_apigateway::Client::get_request_validators)
        .then_output(|| o1::get_request_validators::GetRequestValidatorsOutput::builder().build());
    let c = clients(
        &[create.clone(), look.clone()],
        ("POST", "/requestvalidators"),
    );
    let mut a = Applier::new(&c.v1, &pacer, &rest_current(), MARKER.into());
    a.apply(&step(Kind::RequestValidator, "body"), &desired)
        .await
        .unwrap();
    assert_eq!((create.num_calls(), look.num_calls()), (2, 1));
    assert_eq!(a.validators["body"], "v-second");
}

/// A create whose reply is lost, not yet visible to the look, and answered "conflict" when sent
/// again was made by the first attempt: it is looked for once more and adopted.
#[tokio::test]
async fn a_conflict_answered_to_a_create_sent_again_is_adopted() {
    use aws_sdk_apigateway::operation as o1;
    let pacer = Pacer::for_tests();
    let create = mock!(aws_sdk_apigateway::Client::create_request_validator)
        .sequence()
        .http_response(applied)
        .http_status(
            409,
            mocks::error_body("ConflictException", "already exists"),
        )
        .build();
    let look = mock!(aws_sdk_apigateway::Client::get_request_validators)
        .sequence()
        .output(|| o1::get_request_validators::GetRequestValidatorsOutput::builder().build())
        .output(|| {
            o1::get_request_validators::GetRequestValidatorsOutput::builder()
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
    let desired = with_validator();
    let mut a = Applier::new(&c.v1, &pacer, &rest_current(), MARKER.into());
    a.apply(&step(Kind::RequestValidator, "body"), &desired)
        .await
        .unwrap();
    assert_eq!((create.num_calls(), look.num_calls()), (2, 2));
    assert_eq!(a.validators["body"], "v-late");

    // A conflict without an earlier lost reply is the target's own item: an error, as before.
    let create =
        mock!(aws_sdk_apigateway::Client::create_request_validator).then_http_response(|| {
            HttpResponse::new(
                409.try_into().unwrap(),
                SdkBody::from(r#"{"__type":"ConflictException","message":"already exists"}"#),
            )
        });
    let c = clients(std::slice::from_ref(&create), ("POST", "/nothing"));
    let mut a = Applier::new(&c.v1, &pacer, &rest_current(), MARKER.into());
    let e = a
        .apply(&step(Kind::RequestValidator, "body"), &desired)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("ConflictException"), "{e}");
    assert_eq!(create.num_calls(), 1);
}
