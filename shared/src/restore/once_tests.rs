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
use super::family::StepApplier;
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

/// A create whose reply is lost: the create's rule (applied, its reply dropped), which request
/// loses its reply, the look that finds what it made, and the other requests' rules (those in
/// `once` each answered exactly once).
struct Lost {
    op: &'static str,
    create: Rule,
    look: Rule,
    also: Vec<Rule>,
    once: Vec<Rule>,
    lose: Lose,
}

impl Lost {
    fn new(op: &'static str, create: Rule, lose: Lose, look: Rule) -> Self {
        Lost {
            op,
            create,
            look,
            also: vec![],
            once: vec![],
            lose,
        }
    }

    /// Other requests' rules, however often they are sent.
    fn also(mut self, rules: &[Rule]) -> Self {
        self.also.extend_from_slice(rules);
        self
    }

    /// Other requests' rules, each sent exactly once.
    fn once(mut self, rules: &[Rule]) -> Self {
        self.once.extend_from_slice(rules);
        self
    }

    fn clients(&self) -> Clients {
        let mut rules = vec![self.create.clone(), self.look.clone()];
        rules.extend(self.also.iter().chain(&self.once).cloned());
        clients(&rules, self.lose)
    }

    /// The create was sent once, its reply lost, the target looked at, and each request of
    /// `once` sent once.
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
        for rule in &self.once {
            assert_eq!(rule.num_calls(), 1, "{op}: another request not sent once");
        }
    }

    /// Runs `run` over this case's clients and a pacer of its own, with this reply lost;
    /// checks that the create was sent once ([`Lost::sent_once`]); gives what `run` gave.
    async fn run<T>(&self, run: impl AsyncFnOnce(&Clients, &Pacer) -> T) -> T {
        let (c, pacer) = (self.clients(), Pacer::for_tests());
        let out = run(&c, &pacer).await;
        self.sent_once(&c);
        out
    }

    /// Applies the REST step `kind key` (of [`rest_desired`]) with this reply lost; `then`
    /// checks what the applier kept.
    async fn rest(&self, kind: Kind, key: &str, then: impl FnOnce(&Applier)) {
        self.run(async |c, pacer| {
            let mut a = Applier::new(&c.v1, pacer, &rest_current(), MARKER.into());
            a.apply(&step(kind, key), &rest_desired()).await.unwrap();
            then(&a);
        })
        .await
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
        self.run(async |c, pacer| {
            let mut a = ApplierV2::new(&c.v2, pacer, &v2_current());
            prepare(&mut a);
            a.apply(&step(kind, key), &v2_desired()).await.unwrap();
            then(&a);
        })
        .await
    }

    /// Applies the estate step `kind key` (of [`estate_desired`]) with this reply lost: the
    /// source id -> target id map the applier kept. A pacer of its own (CreateDomainName's
    /// quota, one per 30 s, is not what this checks).
    async fn estate(&self, kind: Kind, key: &str) -> BTreeMap<String, String> {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::local(dir.path().join("k"));
        let desired = estate_desired(&sealer).await;
        self.run(async |c, pacer| {
            let mut a = estate_applier(c, pacer, &sealer);
            a.apply(&step(kind, key), &desired).await.unwrap();
            a.ids
        })
        .await
    }
}

/// One case of a family's table: the lost create, the step `kind key` that sends it, and the
/// check of what the applier kept (for v2, also what the applier holds before the step).
type Case<'k, F> = (Lost, Kind, &'k str, F);
type CaseV2 = (Lost, Kind, &'static str, fn(&mut ApplierV2), fn(&ApplierV2));

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

/// An SDK value of type `$t` built by `$build`.
macro_rules! item {
    ($t:path $(, $build:ident($($arg:expr),*))*) => {
        <$t>::builder()$(.$build($($arg),*))*.build()
    };
}

/// A map of one item, under `key`.
fn keyed<V>(key: &str, item: V) -> BTreeMap<String, V> {
    BTreeMap::from([(key.to_string(), item)])
}

fn step(kind: Kind, key: &str) -> Difference {
    Difference::new(kind, key, Change::Create)
}

/// The target REST API: the root, `/pets`, and the job's deployment.
#[rustfmt::skip]
fn rest_current() -> RestApiSnapshot {
    let mut api = RestApiSnapshot::default();
    api.api.id = "a1".into();
    api.resources = vec![
        v1::Resource { id: "r0".into(), path: "/".into(), ..Default::default() },
        v1::Resource { id: "r1".into(), parent_id: Some("r0".into()), path: "/pets".into(), path_part: Some("pets".into()) },
    ];
    api.deployments = vec![v1::Deployment { id: "d-job".into(), description: Some(MARKER.into()), ..Default::default() }];
    api
}

/// The point's REST API: the target's and one item of every kind a restore creates.
#[rustfmt::skip]
fn rest_desired() -> RestApiSnapshot {
    let mut desired = rest_current();
    desired.resources.push(v1::Resource { id: "s-toys".into(), parent_id: Some("s-root".into()), path: "/toys".into(), path_part: Some("toys".into()) });
    desired.authorizers = vec![v1::Authorizer { id: "s-auth".into(), name: "tokens".into(), ..Default::default() }];
    desired.models = vec![v1::Model { name: "Pet".into(), ..Default::default() }];
    desired.request_validators = vec![v1::RequestValidator { id: "s-val".into(), name: "body".into(), ..Default::default() }];
    desired.stages = vec![v1::Stage { stage_name: "prod".into(), ..Default::default() }];
    let location = v1::DocumentationPartLocation { location_type: "API".into(), ..Default::default() };
    desired.documentation_parts = vec![v1::DocumentationPart { id: "s-doc".into(), location, properties: Some("{}".into()) }];
    desired.documentation_versions = vec![v1::DocumentationVersion { version: "v1".into(), ..Default::default() }];
    let response = v1::MethodResponse { status_code: "200".into(), ..Default::default() };
    desired.methods = vec![v1::Method { path: "/pets".into(), http_method: "GET".into(), method_responses: keyed("200", response), ..Default::default() }];
    desired
}

mod rest {
    use aws_sdk_apigateway::Client as C;
    use aws_sdk_apigateway::operation as o;

    use super::*;

    #[tokio::test]
    async fn a_lost_create_rest_api_is_found_by_its_name_and_source_tag() {
        let other = item!(t1::RestApi, id("other"), name("orders"));
        let made = item!(
            t1::RestApi,
            id("a-new"),
            name("orders"),
            root_resource_id("root-new"),
            tags(TAG_SOURCE, "111/eu-west-1/src")
        );
        let look = mock!(C::get_rest_apis)
            .match_requests(|r| r.position().is_none())
            .then_output(move || {
                let items = vec![other.clone(), made.clone()];
                item!(o::get_rest_apis::GetRestApisOutput, set_items(Some(items)))
            });
        let lose = ("POST", "/restapis");
        let case = Lost::new("CreateRestApi", applied!(C::create_rest_api), lose, look);
        let api = &rest_desired().api;
        let source = "111/eu-west-1/src";
        let made = case
            .run(async |c, pacer| Applier::create_api(&c.v1, pacer, api, "orders", source).await)
            .await;
        assert_eq!(made.unwrap(), ("a-new".to_string(), "root-new".to_string()));
    }

    /// Every create a REST step sends (PutMethod and PutMethodResponse answer a conflict when
    /// sent again), its reply lost: found by its natural key (a resource by its parent and path
    /// part, a documentation part by its location, a stage by name then patched), sent once.
    #[rustfmt::skip]
    #[tokio::test]
    async fn a_lost_create_is_found_by_its_natural_key() {
        let resources = answer!(C::get_resources, o::get_resources::GetResourcesOutput, items(item!(t1::Resource, id("r0"), path("/"))), items(item!(t1::Resource, id("r-toys"), parent_id("r0"), path_part("toys"), path("/toys"))));
        let authorizers = answer!(C::get_authorizers, o::get_authorizers::GetAuthorizersOutput, items(item!(t1::Authorizer, id("au-new"), name("tokens"))));
        let validators = answer!(C::get_request_validators, o::get_request_validators::GetRequestValidatorsOutput, items(item!(t1::RequestValidator, id("v-new"), name("body"))));
        let model = mock!(C::get_model).match_requests(|r| r.model_name() == Some("Pet")).then_output(|| item!(o::get_model::GetModelOutput, name("Pet")));
        let stage = mock!(C::get_stage).match_requests(|r| r.stage_name() == Some("prod")).then_output(|| item!(o::get_stage::GetStageOutput, stage_name("prod"), deployment_id("d-job")));
        let patch = answer!(C::update_stage, o::update_stage::UpdateStageOutput);
        let location = t1::DocumentationPartLocation::builder().r#type(t1::DocumentationPartType::Api).build().unwrap();
        let parts = answer!(C::get_documentation_parts, o::get_documentation_parts::GetDocumentationPartsOutput, items(item!(t1::DocumentationPart, id("doc-new"), location(location.clone()))));
        let part = crate::restore::rest::compare::part_key(&rest_desired().documentation_parts[0]);
        let version = mock!(C::get_documentation_version).match_requests(|r| r.documentation_version() == Some("v1")).then_output(|| item!(o::get_documentation_version::GetDocumentationVersionOutput, version("v1")));
        let method = || mock!(C::get_method).match_requests(|r| r.resource_id() == Some("r1") && r.http_method() == Some("GET")).then_output(|| item!(o::get_method::GetMethodOutput, http_method("GET")));
        let response = || mock!(C::get_method_response).match_requests(|r| r.status_code() == Some("200")).then_output(|| item!(o::get_method_response::GetMethodResponseOutput, status_code("200")));
        let put_method = answer!(C::put_method, o::put_method::PutMethodOutput);
        let put_response = answer!(C::put_method_response, o::put_method_response::PutMethodResponseOutput);
        let cases: [Case<fn(&Applier<'_>)>; 9] = [
            (Lost::new("CreateResource", applied!(C::create_resource), ("POST", "/resources/"), resources), Kind::Resource, "/toys", |a| assert_eq!(a.resources["/toys"], "r-toys")),
            (Lost::new("CreateAuthorizer", applied!(C::create_authorizer), ("POST", "/authorizers"), authorizers), Kind::Authorizer, "tokens", |a| assert_eq!(a.authorizers["tokens"], "au-new")),
            (Lost::new("CreateRequestValidator", applied!(C::create_request_validator), ("POST", "/requestvalidators"), validators), Kind::RequestValidator, "body", |a| assert_eq!(a.validators["body"], "v-new")),
            (Lost::new("CreateModel", applied!(C::create_model), ("POST", "/models"), model), Kind::Model, "Pet", |_| {}),
            (Lost::new("CreateStage", applied!(C::create_stage), ("POST", "/stages"), stage).once(&[patch]), Kind::Stage, "prod", |_| {}),
            (Lost::new("CreateDocumentationPart", applied!(C::create_documentation_part), ("POST", "/documentation/parts"), parts), Kind::DocumentationPart, &part, |_| {}),
            (Lost::new("CreateDocumentationVersion", applied!(C::create_documentation_version), ("POST", "/documentation/versions"), version), Kind::DocumentationVersion, "v1", |_| {}),
            (Lost::new("PutMethod", applied!(C::put_method), ("PUT", "/methods/GET"), method()).also(&[response()]).once(&[put_response]), Kind::Method, "/pets GET", |_| {}),
            (Lost::new("PutMethodResponse", applied!(C::put_method_response), ("PUT", "/responses/200"), response()).also(&[method()]).once(&[put_method]), Kind::Method, "/pets GET", |_| {}),
        ];
        for (case, kind, key, kept) in cases {
            case.rest(kind, key, kept).await;
        }
    }

    /// The job's deployment, and the deployment of what a stage served (described by its
    /// own marker): each found by its description after a lost reply.
    #[tokio::test]
    async fn a_lost_create_deployment_is_found_by_the_jobs_marker() {
        let mut bare = rest_current();
        bare.deployments.clear();
        for marker in [MARKER, "apigw-dr: what prod served (0123456789ab)"] {
            let look = answer!(
                C::get_deployments,
                o::get_deployments::GetDeploymentsOutput,
                items(item!(t1::Deployment, id("d-old"), description("by hand"))),
                items(item!(t1::Deployment, id("d-new"), description(marker)))
            );
            let (create, lose) = (applied!(C::create_deployment), ("POST", "/deployments"));
            let case = Lost::new("CreateDeployment", create, lose, look);
            let made = case
                .run(async |c, pacer| {
                    let mut a = Applier::new(&c.v1, pacer, &bare, MARKER.into());
                    if marker == MARKER {
                        a.ensure_deployment().await
                    } else {
                        a.deployment_described(marker).await
                    }
                })
                .await;
            assert_eq!(made.unwrap(), "d-new", "{marker}");
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
#[rustfmt::skip]
fn v2_desired() -> ApiSnapshot {
    let mut desired = v2_current();
    desired.models = vec![m2::Model { model_id: "s-m".into(), name: "Pet".into(), ..Default::default() }];
    desired.authorizers = vec![m2::Authorizer { authorizer_id: "s-a".into(), name: "jwt".into(), authorizer_type: Some("JWT".into()), ..Default::default() }];
    let response = m2::IntegrationResponse { integration_response_id: "s-ir".into(), integration_response_key: "$default".into(), ..Default::default() };
    desired.integrations = vec![m2::Integration {
        integration_id: "s-i".into(),
        integration_type: Some("HTTP_PROXY".into()),
        integration_uri: Some("https://example.com".into()),
        integration_method: Some("GET".into()),
        integration_responses: keyed("$default", response),
        ..Default::default()
    }];
    let response = m2::RouteResponse { route_response_id: "s-rr".into(), route_response_key: "$default".into(), ..Default::default() };
    let target = Some(format!("{}s-i", m2::TARGET_PREFIX));
    desired.routes = vec![m2::Route { route_id: "s-r".into(), route_key: "GET /pets".into(), target, route_responses: keyed("$default", response), ..Default::default() }];
    desired.stages = vec![m2::Stage { stage_name: "prod".into(), ..Default::default() }];
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
        let api = item!(
            t2::Api,
            api_id("h-new"),
            name("chat"),
            protocol_type(t2::ProtocolType::Websocket),
            route_selection_expression("$request.body.action"),
            tags(TAG_SOURCE, "111/eu-west-1/src")
        );
        let look = answer!(C::get_apis, o::get_apis::GetApisOutput, items(api.clone()));
        let case = Lost::new(
            "CreateApi",
            applied!(C::create_api),
            ("POST", "/v2/apis"),
            look,
        );
        let api = &v2_desired().api;
        let source = "111/eu-west-1/src";
        let id = case
            .run(async |c, pacer| ApplierV2::create_api(&c.v2, pacer, api, "chat", source).await)
            .await;
        assert_eq!(id.unwrap(), "h-new");
    }

    /// Every create an HTTP API step sends, its reply lost: found by its natural key (a model,
    /// authorizer or stage by name; an integration the API did not know, with the same type
    /// and URI; a route by its route key; an integration or route response by its key), sent
    /// once.
    #[rustfmt::skip]
    #[tokio::test]
    async fn a_lost_create_is_found_by_its_natural_key() {
        let models = answer!(C::get_models, o::get_models::GetModelsOutput, items(item!(t2::Model, model_id("m-new"), name("Pet"))));
        let authorizers = answer!(C::get_authorizers, o::get_authorizers::GetAuthorizersOutput, items(item!(t2::Authorizer, authorizer_id("au-new"), name("jwt"))));
        let stage = mock!(C::get_stage).match_requests(|r| r.stage_name() == Some("prod")).then_output(|| item!(o::get_stage::GetStageOutput, stage_name("prod")));
        let integration = |id: &str, uri: &str| item!(t2::Integration, integration_id(id), integration_type(t2::IntegrationType::HttpProxy), integration_uri(uri), integration_method("GET"));
        let integrations = || answer!(C::get_integrations, o::get_integrations::GetIntegrationsOutput, items(integration("i-other", "https://elsewhere.example.com")), items(integration("i-new", "https://example.com")));
        let int_responses = || mock!(C::get_integration_responses).match_requests(|r| r.integration_id() == Some("i-new")).then_output(|| item!(o::get_integration_responses::GetIntegrationResponsesOutput, items(item!(t2::IntegrationResponse, integration_response_id("ir-new"), integration_response_key("$default")))));
        let routes = || answer!(C::get_routes, o::get_routes::GetRoutesOutput, items(item!(t2::Route, route_id("r-new"), route_key("GET /pets"))));
        let route_responses = || mock!(C::get_route_responses).match_requests(|r| r.route_id() == Some("r-new")).then_output(|| item!(o::get_route_responses::GetRouteResponsesOutput, items(item!(t2::RouteResponse, route_response_id("rr-new"), route_response_key("$default")))));
        let made_integration = answer!(C::create_integration, o::create_integration::CreateIntegrationOutput, integration_id("i-new"));
        let made_int_response = answer!(C::create_integration_response, o::create_integration_response::CreateIntegrationResponseOutput, integration_response_id("ir-new"));
        let made_route = answer!(C::create_route, o::create_route::CreateRouteOutput, route_id("r-new"));
        let made_route_response = answer!(C::create_route_response, o::create_route_response::CreateRouteResponseOutput, route_response_id("rr-new"));
        let integrated: fn(&ApplierV2) = |a| {
            assert_eq!(a.integrations["GET /pets"], "i-new");
            assert_eq!(a.integration_responses[&pair("GET /pets", "$default")], "ir-new");
        };
        let routed: fn(&ApplierV2) = |a| {
            assert_eq!(a.routes["GET /pets"], "r-new");
            assert_eq!(a.route_responses[&pair("GET /pets", "$default")], "rr-new");
        };
        let integration_restored: fn(&mut ApplierV2) = |a| {
            a.integrations.insert("GET /pets".into(), "i-new".into());
        };
        let cases: [CaseV2; 7] = [
            (Lost::new("v2 CreateModel", applied!(C::create_model), ("POST", "/models"), models), Kind::ModelV2, "Pet", |_| {}, |a| assert_eq!(a.models["Pet"], "m-new")),
            (Lost::new("v2 CreateAuthorizer", applied!(C::create_authorizer), ("POST", "/authorizers"), authorizers), Kind::AuthorizerV2, "jwt", |_| {}, |a| assert_eq!(a.authorizers["jwt"], "au-new")),
            (Lost::new("CreateIntegration", applied!(C::create_integration), ("POST", "/integrations"), integrations()).also(&[made_int_response, int_responses()]), Kind::Integration, "GET /pets", |_| {}, integrated),
            (Lost::new("CreateIntegrationResponse", applied!(C::create_integration_response), ("POST", "/integrationresponses"), int_responses()).also(&[made_integration, integrations()]), Kind::Integration, "GET /pets", |_| {}, integrated),
            (Lost::new("CreateRoute", applied!(C::create_route), ("POST", "/routes"), routes()).also(&[made_route_response, route_responses()]), Kind::Route, "GET /pets", integration_restored, routed),
            (Lost::new("CreateRouteResponse", applied!(C::create_route_response), ("POST", "/routeresponses"), route_responses()).also(&[made_route, routes()]), Kind::Route, "GET /pets", integration_restored, routed),
            (Lost::new("v2 CreateStage", applied!(C::create_stage), ("POST", "/stages"), stage), Kind::StageV2, "prod", |_| {}, |_| {}),
        ];
        for (case, kind, key, prepare, kept) in cases {
            case.v2(kind, key, prepare, kept).await;
        }
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
                item!(
                    o::get_deployment::GetDeploymentOutput,
                    deployment_id("d-new"),
                    description(MARKER)
                )
            });
        let (create, lose) = (applied!(C::create_deployment), ("POST", "/deployments"));
        let case = Lost::new("v2 CreateDeployment", create, lose, look).also(&[stage]);
        let deployed = case
            .run(async |c, pacer| {
                let a = ApplierV2::new(&c.v2, pacer, &v2_current());
                a.deploy("prod", MARKER).await
            })
            .await;
        deployed.unwrap();
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
#[rustfmt::skip]
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
        vpc_links_v1: vec![estate::VpcLinkV1 { id: "vl-src".into(), name: "nlb".into(), ..Default::default() }],
        vpc_links_v2: vec![estate::VpcLinkV2 { id: "vl2-src".into(), name: "private".into(), ..Default::default() }],
        api_keys: vec![estate::ApiKey { id: "k-src".into(), name: "alice".into(), enabled: true, value: sealed, ..Default::default() }],
        client_certificates: vec![estate::ClientCertificate { id: "cc-src".into(), description: Some("to the backend".into()), ..Default::default() }],
        usage_plans: vec![estate::UsagePlan { id: "up-src".into(), name: "gold".into(), keys: vec!["k-src".into()], ..Default::default() }],
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

    /// Every create an estate step sends, its reply lost: found by its natural key (a VPC link
    /// by name, and waited for until available; an API key by name and the point's value, not
    /// a namesake; a client certificate by its description; a usage plan by name, a plan key
    /// by plan and key; a domain name by name; a base path mapping by base path, an API
    /// mapping by mapping key), sent once; `ids` checks the source id -> target id map kept.
    #[rustfmt::skip]
    #[tokio::test]
    async fn a_lost_create_is_found_by_its_natural_key() {
        type Ids = BTreeMap<String, String>;
        let links = answer!(C1::get_vpc_links, o1::get_vpc_links::GetVpcLinksOutput, items(item!(t1::VpcLink, id("vl-new"), name("nlb"))));
        let available = answer!(C1::get_vpc_link, o1::get_vpc_link::GetVpcLinkOutput, status(t1::VpcLinkStatus::Available));
        let links_v2 = answer!(C2::get_vpc_links, o2::get_vpc_links::GetVpcLinksOutput, items(item!(t2::VpcLink, vpc_link_id("vl2-new"), name("private"))));
        let available_v2 = answer!(C2::get_vpc_link, o2::get_vpc_link::GetVpcLinkOutput, vpc_link_status(t2::VpcLinkStatus::Available));
        let key = |id: &str, value: &str| item!(t1::ApiKey, id(id), name("alice"), value(value));
        let keys = mock!(C1::get_api_keys).match_requests(|r| r.name_query() == Some("alice") && r.include_values() == Some(true)).then_output(move || item!(o1::get_api_keys::GetApiKeysOutput, items(key("k-namesake", "another-value-0123456789")), items(key("k-new", "the-value-0123456789"))));
        let certificates = answer!(C1::get_client_certificates, o1::get_client_certificates::GetClientCertificatesOutput, items(item!(t1::ClientCertificate, client_certificate_id("cc-new"), description("to the backend"))));
        let plans = || answer!(C1::get_usage_plans, o1::get_usage_plans::GetUsagePlansOutput, items(item!(t1::UsagePlan, id("up-new"), name("gold"))));
        let plan_key = || mock!(C1::get_usage_plan_key).match_requests(|r| r.usage_plan_id() == Some("up-new") && r.key_id() == Some("k-tgt")).then_output(|| item!(o1::get_usage_plan_key::GetUsagePlanKeyOutput, id("k-tgt")));
        let made_plan = answer!(C1::create_usage_plan, o1::create_usage_plan::CreateUsagePlanOutput, id("up-new"));
        let made_key = answer!(C1::create_usage_plan_key, o1::create_usage_plan_key::CreateUsagePlanKeyOutput, id("k-tgt"));
        let domain = mock!(C1::get_domain_name).match_requests(|r| r.domain_name() == Some("api.example.com")).then_output(|| item!(o1::get_domain_name::GetDomainNameOutput, domain_name("api.example.com")));
        let domain_v2 = mock!(C2::get_domain_name).match_requests(|r| r.domain_name() == Some("ws.example.com")).then_output(|| item!(o2::get_domain_name::GetDomainNameOutput, domain_name("ws.example.com")));
        let base_path = mock!(C1::get_base_path_mapping).match_requests(|r| r.base_path() == Some("orders")).then_output(|| item!(o1::get_base_path_mapping::GetBasePathMappingOutput, base_path("orders"), rest_api_id("a1")));
        let mapping = item!(t2::ApiMapping, api_mapping_id("am-new"), api_mapping_key("chat"), api_id("h1"), stage("prod"));
        let mappings = mock!(C2::get_api_mappings).match_requests(|r| r.domain_name() == Some("ws.example.com")).then_output(move || item!(o2::get_api_mappings::GetApiMappingsOutput, items(mapping.clone())));
        let cases: [Case<fn(&Ids)>; 10] = [
            (Lost::new("CreateVpcLink", applied!(C1::create_vpc_link), ("POST", "/vpclinks"), links).also(&[available]), Kind::VpcLink, "nlb", |ids| assert_eq!(ids["vl-src"], "vl-new")),
            (Lost::new("v2 CreateVpcLink", applied!(C2::create_vpc_link), ("POST", "/v2/vpclinks"), links_v2).also(&[available_v2]), Kind::VpcLinkV2, "private", |ids| assert_eq!(ids["vl2-src"], "vl2-new")),
            (Lost::new("CreateApiKey", applied!(C1::create_api_key), ("POST", "/apikeys"), keys), Kind::ApiKey, "alice", |ids| assert_eq!(ids["k-src"], "k-new")),
            (Lost::new("GenerateClientCertificate", applied!(C1::generate_client_certificate), ("POST", "/clientcertificates"), certificates), Kind::ClientCertificate, "to the backend", |ids| assert_eq!(ids["cc-src"], "cc-new")),
            (Lost::new("CreateUsagePlan", applied!(C1::create_usage_plan), ("POST", "/usageplans"), plans()).also(&[plan_key()]).once(&[made_key]), Kind::UsagePlan, "gold", |ids| assert_eq!(ids["up-src"], "up-new")),
            (Lost::new("CreateUsagePlanKey", applied!(C1::create_usage_plan_key), ("POST", "/keys"), plan_key()).also(&[plans()]).once(&[made_plan]), Kind::UsagePlan, "gold", |ids| assert_eq!(ids["up-src"], "up-new")),
            (Lost::new("CreateDomainName", applied!(C1::create_domain_name), ("POST", "/domainnames"), domain), Kind::DomainName, "api.example.com", |_| {}),
            (Lost::new("v2 CreateDomainName", applied!(C2::create_domain_name), ("POST", "/v2/domainnames"), domain_v2), Kind::DomainName, "ws.example.com", |_| {}),
            (Lost::new("CreateBasePathMapping", applied!(C1::create_base_path_mapping), ("POST", "/basepathmappings"), base_path), Kind::Mapping, "api.example.com orders", |_| {}),
            (Lost::new("CreateApiMapping", applied!(C2::create_api_mapping), ("POST", "/apimappings"), mappings), Kind::Mapping, "ws.example.com chat", |_| {}),
        ];
        for (case, kind, key, kept) in cases {
            kept(&case.estate(kind, key).await);
        }
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

/// A whole-definition import (`once::whole`): a server error is sent again once, not
/// backed off for half a minute (the restore falls back to call by call instead); throttling
/// is retried as for any call.
#[tokio::test]
async fn an_import_retries_a_server_error_once_and_throttling_as_any_call() {
    use aws_sdk_apigateway::Client as C;
    async fn import(c: &Clients, pacer: &Pacer) -> crate::Result<()> {
        super::once::sent_retrying(
            pacer,
            "PutRestApi",
            "importing REST API a1 whole",
            super::once::whole(),
            || {
                c.v1.put_rest_api()
                    .rest_api_id("a1")
                    .body(aws_sdk_apigateway::primitives::Blob::new("{}"))
                    .send()
            },
        )
        .await
    }
    let status = |code: u16, name: &'static str| {
        move || {
            HttpResponse::new(
                code.try_into().unwrap(),
                SdkBody::from(format!(r#"{{"__type":"{name}","message":"no"}}"#)),
            )
        }
    };
    let refused = mock!(C::put_rest_api).then_http_response(status(500, "InternalFailure"));
    let c = clients(std::slice::from_ref(&refused), ("POST", "/nothing"));
    let pacer = Pacer::for_tests();
    let e = import(&c, &pacer).await.unwrap_err();
    assert!(e.to_string().contains("PutRestApi"), "{e}");
    assert_eq!(refused.num_calls(), 2);

    let throttled = mock!(C::put_rest_api)
        .sequence()
        .http_response(status(429, "TooManyRequestsException"))
        .times(2)
        .output(|| aws_sdk_apigateway::operation::put_rest_api::PutRestApiOutput::builder().build())
        .build();
    let c = clients(std::slice::from_ref(&throttled), ("POST", "/nothing"));
    import(&c, &Pacer::for_tests()).await.unwrap();
    assert_eq!(throttled.num_calls(), 3);
}
