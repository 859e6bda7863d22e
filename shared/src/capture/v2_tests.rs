//! v2 capture at the HTTP layer: every response comes from aws-smithy-mocks rules, through the
//! real client configuration (SDK retries off) and a real [`Pacer`] with tiny retry delays.
//! This is where what moto cannot show is proven: paging over `NextToken`, GetAuthorizers,
//! GetDeployments, GetRouteResponses, and throttling.

use aws_sdk_apigatewayv2::operation::get_apis::GetApisOutput;
use aws_sdk_apigatewayv2::operation::get_authorizer::GetAuthorizerOutput;
use aws_sdk_apigatewayv2::operation::get_authorizers::GetAuthorizersOutput;
use aws_sdk_apigatewayv2::operation::get_deployments::GetDeploymentsOutput;
use aws_sdk_apigatewayv2::operation::get_integration_responses::GetIntegrationResponsesOutput;
use aws_sdk_apigatewayv2::operation::get_integrations::GetIntegrationsOutput;
use aws_sdk_apigatewayv2::operation::get_models::GetModelsOutput;
use aws_sdk_apigatewayv2::operation::get_route_responses::GetRouteResponsesOutput;
use aws_sdk_apigatewayv2::operation::get_routes::GetRoutesOutput;
use aws_sdk_apigatewayv2::operation::get_stages::GetStagesOutput;
use aws_sdk_apigatewayv2::types::{
    Api, AuthorizationType, Authorizer, AuthorizerType, Cors, Deployment, Integration,
    IntegrationResponse, IntegrationType, JwtConfiguration, Model, ProtocolType, Route,
    RouteResponse, RouteSettings, Stage,
};
use aws_smithy_mocks::{Rule, mock};

use super::*;
use crate::capture::mocks::{self, error_body, html};

fn client(rules: &[Rule]) -> Client {
    Client::from_conf(
        client_config(&mocks::sdk())
            .interceptor(mocks::interceptor(rules))
            .build(),
    )
}

fn api(id: &str, name: &str, protocol: ProtocolType) -> Api {
    let b = Api::builder()
        .api_id(id)
        .name(name)
        .protocol_type(protocol.clone())
        .tags("team", "orders")
        .api_endpoint(format!("https://{id}.execute-api.eu-west-1.amazonaws.com"));
    match protocol {
        ProtocolType::Http => b
            .route_selection_expression("$request.method $request.path")
            .cors_configuration(
                Cors::builder()
                    .allow_origins("https://example.com")
                    .allow_methods("GET")
                    .max_age(60)
                    .build(),
            ),
        _ => b.route_selection_expression("$request.body.action"),
    }
    .build()
}

fn apis_rule(apis: Vec<Api>) -> Rule {
    mock!(Client::get_apis)
        .match_requests(|r| r.max_results() == Some("500"))
        .then_output(move || {
            GetApisOutput::builder()
                .set_items(Some(apis.clone()))
                .build()
        })
}

fn route(i: usize, target: &str) -> Route {
    Route::builder()
        .route_id(format!("r{i}"))
        .route_key(format!("GET /items{i}"))
        .target(format!("integrations/{target}"))
        .authorization_type(AuthorizationType::Jwt)
        .authorizer_id("au1")
        .authorization_scopes("items/read")
        .build()
}

/// GetRoutes in two pages: 250 routes, then 50 more.
fn routes_rules() -> Vec<Rule> {
    let page1 = mock!(Client::get_routes)
        .match_requests(|r| r.next_token().is_none() && r.max_results() == Some("500"))
        .then_output(|| {
            GetRoutesOutput::builder()
                .set_items(Some((0..250).map(|i| route(i, "i1")).collect()))
                .next_token("page2")
                .build()
        });
    let page2 = mock!(Client::get_routes)
        .match_requests(|r| r.next_token() == Some("page2"))
        .then_output(|| {
            GetRoutesOutput::builder()
                .set_items(Some((250..300).map(|i| route(i, "i2")).collect()))
                .build()
        });
    vec![page1, page2]
}

fn integration(id: &str) -> Integration {
    Integration::builder()
        .integration_id(id)
        .integration_type(IntegrationType::AwsProxy)
        .integration_uri(format!(
            "arn:aws:lambda:eu-west-1:111111111111:function:{id}"
        ))
        .payload_format_version("2.0")
        .build()
}

fn jwt_authorizer() -> Authorizer {
    Authorizer::builder()
        .authorizer_id("au1")
        .name("cognito")
        .authorizer_type(AuthorizerType::Jwt)
        .identity_source("$request.header.Authorization")
        .jwt_configuration(
            JwtConfiguration::builder()
                .issuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X")
                .audience("client1")
                .build(),
        )
        .build()
}

/// Every other list call of one API, one page each.
fn other_rules() -> Vec<Rule> {
    vec![
        mock!(Client::get_integrations).then_output(|| {
            GetIntegrationsOutput::builder()
                .items(integration("i1"))
                .items(integration("i2"))
                .build()
        }),
        mock!(Client::get_authorizers)
            .match_requests(|r| r.max_results() == Some("500"))
            .then_output(|| {
                GetAuthorizersOutput::builder()
                    .items(jwt_authorizer())
                    .items(
                        Authorizer::builder()
                            .authorizer_id("au2")
                            .name("lambda")
                            .authorizer_type(AuthorizerType::Request)
                            .authorizer_uri("arn:aws:apigateway:eu-west-1:lambda:path/x")
                            .authorizer_payload_format_version("2.0")
                            .enable_simple_responses(true)
                            .authorizer_result_ttl_in_seconds(0)
                            .build(),
                    )
                    .build()
            }),
        mock!(Client::get_models).then_output(|| {
            GetModelsOutput::builder()
                .items(
                    Model::builder()
                        .model_id("m1")
                        .name("Message")
                        .content_type("application/json")
                        .schema("{}")
                        .build(),
                )
                .build()
        }),
        mock!(Client::get_stages).then_output(|| {
            GetStagesOutput::builder()
                .items(
                    Stage::builder()
                        .stage_name("$default")
                        .auto_deploy(true)
                        .deployment_id("d1")
                        .stage_variables("backend", "prod")
                        .default_route_settings(
                            RouteSettings::builder()
                                .throttling_burst_limit(10)
                                .throttling_rate_limit(5.0)
                                .build(),
                        )
                        .route_settings(
                            "GET /items1",
                            RouteSettings::builder()
                                .detailed_metrics_enabled(true)
                                .build(),
                        )
                        .last_deployment_status_message("runtime state, not kept")
                        .build(),
                )
                .build()
        }),
        mock!(Client::get_deployments).then_output(|| {
            GetDeploymentsOutput::builder()
                .items(
                    Deployment::builder()
                        .deployment_id("d1")
                        .auto_deployed(true)
                        .build(),
                )
                .build()
        }),
    ]
}

fn http_rules() -> Vec<Rule> {
    let mut rules = vec![apis_rule(vec![api("h1", "orders", ProtocolType::Http)])];
    rules.extend(routes_rules());
    rules.extend(other_rules());
    rules
}

#[tokio::test]
async fn http_api_is_captured_whole_with_paging_and_no_per_route_calls() {
    let client = client(&http_rules());
    let pacer = Pacer::for_tests();
    let lines = std::sync::Mutex::new(Vec::new());
    let apis = capture_apis(&client, &pacer, &[], &|l| lines.lock().unwrap().push(l))
        .await
        .unwrap();
    assert_eq!(apis.len(), 1);
    let a = &apis[0];
    assert_eq!(a.api.protocol_type, "HTTP");
    assert_eq!(a.api.tags["team"], "orders");
    assert_eq!(a.api.cors_configuration.as_ref().unwrap().max_age, Some(60));
    assert_eq!(a.routes.len(), 300, "both pages of routes");
    assert!(a.routes.iter().all(|r| r.route_responses.is_empty()));
    assert_eq!(a.routes[0].authorization_scopes, ["items/read"]);
    assert_eq!(a.integrations.len(), 2);
    let names: Vec<&str> = a.authorizers.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["cognito", "lambda"], "GetAuthorizers is read");
    assert_eq!(
        a.authorizers[0]
            .jwt_configuration
            .as_ref()
            .unwrap()
            .audience,
        ["client1"]
    );
    assert!(a.authorizers[1].enable_simple_responses);
    assert_eq!(a.models[0].name, "Message");
    let st = &a.stages[0];
    assert!(st.auto_deploy);
    assert_eq!(
        st.default_route_settings
            .as_ref()
            .unwrap()
            .throttling_burst_limit,
        Some(10)
    );
    assert!(st.route_settings["GET /items1"].detailed_metrics_enabled);
    assert_eq!(a.deployments[0].deployment_id, "d1");
    assert!(a.deployments[0].auto_deployed);

    let calls = pacer.calls();
    assert_eq!(calls["GetRoutes"], 2, "{calls:?}");
    assert!(!calls.contains_key("GetRouteResponses"), "{calls:?}");
    assert!(!calls.contains_key("GetIntegrationResponses"), "{calls:?}");
    assert_eq!(
        pacer.total_calls(),
        8,
        "GetApis + 2 pages + 5 lists: {calls:?}"
    );
    assert_eq!(
        lines.into_inner().unwrap(),
        ["orders (HTTP): 300 routes, 2 integrations, 1 stage"]
    );

    // Integrations are named by the smallest route key that targets them.
    let mut entries = Vec::new();
    a.explode(&mut entries).unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.id == "integration:orders:GET /items0")
    );
    assert!(
        entries
            .iter()
            .any(|e| e.id == "integration:orders:GET /items250")
    );
}

#[tokio::test]
async fn websocket_api_reads_route_and_integration_responses() {
    let mut rules = vec![apis_rule(vec![api("w1", "chat", ProtocolType::Websocket)])];
    rules.push(mock!(Client::get_routes).then_output(|| {
        GetRoutesOutput::builder()
            .items(
                Route::builder()
                    .route_id("rc")
                    .route_key("$connect")
                    .target("integrations/i1")
                    .route_response_selection_expression("$default")
                    .build(),
            )
            .items(
                Route::builder()
                    .route_id("rd")
                    .route_key("$default")
                    .target("integrations/i2")
                    .build(),
            )
            .build()
    }));
    rules.push(
        mock!(Client::get_route_responses)
            .match_requests(|r| r.route_id() == Some("rc") && r.max_results() == Some("500"))
            .then_output(|| {
                GetRouteResponsesOutput::builder()
                    .items(
                        RouteResponse::builder()
                            .route_response_id("rr1")
                            .route_response_key("$default")
                            .response_models("$default", "Message")
                            .build(),
                    )
                    .build()
            }),
    );
    rules.push(
        mock!(Client::get_route_responses)
            .match_requests(|r| r.route_id() == Some("rd"))
            .then_output(|| GetRouteResponsesOutput::builder().build()),
    );
    rules.push(
        mock!(Client::get_integration_responses)
            .match_requests(|r| r.integration_id() == Some("i1"))
            .then_output(|| {
                GetIntegrationResponsesOutput::builder()
                    .items(
                        IntegrationResponse::builder()
                            .integration_response_id("ir1")
                            .integration_response_key("$default")
                            .response_templates("$default", "{}")
                            .build(),
                    )
                    .build()
            }),
    );
    rules.push(
        mock!(Client::get_integration_responses)
            .match_requests(|r| r.integration_id() == Some("i2"))
            .then_output(|| GetIntegrationResponsesOutput::builder().build()),
    );
    rules.extend(other_rules());
    let client = client(&rules);
    let pacer = Pacer::for_tests();
    let apis = capture_apis(&client, &pacer, &["chat".into()], &|_| {})
        .await
        .unwrap();
    let a = &apis[0];
    assert_eq!(a.api.protocol_type, "WEBSOCKET");
    let connect = a.routes.iter().find(|r| r.route_key == "$connect").unwrap();
    assert_eq!(
        connect.route_responses["$default"].response_models["$default"],
        "Message"
    );
    let i1 = a
        .integrations
        .iter()
        .find(|i| i.integration_id == "i1")
        .unwrap();
    assert_eq!(
        i1.integration_responses["$default"].integration_response_id,
        "ir1"
    );
    let calls = pacer.calls();
    assert_eq!(calls["GetRouteResponses"], 2, "{calls:?}");
    assert_eq!(calls["GetIntegrationResponses"], 2, "{calls:?}");
}

#[tokio::test]
async fn throttling_is_retried_through_the_pacer() {
    let mut rules = vec![
        mock!(Client::get_apis)
            .sequence()
            .http_status(
                429,
                error_body("TooManyRequestsException", "Too Many Requests"),
            )
            .output(|| {
                GetApisOutput::builder()
                    .items(api("h1", "orders", ProtocolType::Http))
                    .build()
            })
            .build(),
        mock!(Client::get_stages)
            .sequence()
            .http_status(
                429,
                error_body("TooManyRequestsException", "Too Many Requests"),
            )
            .http_status(503, error_body("ServiceUnavailableException", "busy"))
            .output(|| {
                GetStagesOutput::builder()
                    .items(Stage::builder().stage_name("prod").build())
                    .build()
            })
            .build(),
    ];
    rules.extend(routes_rules());
    rules.extend(other_rules());
    let client = client(&rules);
    let pacer = Pacer::for_tests();
    let apis = capture_apis(&client, &pacer, &[], &|_| {}).await.unwrap();
    assert_eq!(apis[0].stages[0].stage_name, "prod");
    let calls = pacer.calls();
    assert_eq!(calls["GetApis"], 2, "{calls:?}");
    assert_eq!(calls["GetStages"], 3, "{calls:?}");
}

#[tokio::test]
async fn moto_gaps_are_taken_as_none_without_retries() {
    // moto: GetAuthorizers and GetModels answer 500, GetDeployments 404, all with an HTML page.
    let mut rules = vec![apis_rule(vec![api("h1", "orders", ProtocolType::Http)])];
    rules.extend(routes_rules());
    rules.push(
        mock!(Client::get_authorizers)
            .sequence()
            .http_status(500, html(500))
            .build(),
    );
    rules.push(
        mock!(Client::get_models)
            .sequence()
            .http_status(500, html(500))
            .build(),
    );
    rules.push(
        mock!(Client::get_deployments)
            .sequence()
            .http_status(404, html(404))
            .build(),
    );
    // The authorizer the routes name is read by itself instead.
    rules.push(
        mock!(Client::get_authorizer)
            .match_requests(|r| r.authorizer_id() == Some("au1"))
            .then_output(|| {
                let a = jwt_authorizer();
                GetAuthorizerOutput::builder()
                    .authorizer_id(a.authorizer_id.unwrap())
                    .name(a.name.unwrap())
                    .authorizer_type(a.authorizer_type.unwrap())
                    .set_identity_source(a.identity_source)
                    .set_jwt_configuration(a.jwt_configuration)
                    .build()
            }),
    );
    rules.extend(other_rules());
    let client = client(&rules);
    let pacer = Pacer::for_tests();
    let gaps = Gaps::default();
    let apis = capture_apis_with_gaps(&client, &pacer, &[], &|_| {}, &gaps)
        .await
        .unwrap();
    // What was not served is a gap of the point, with its kind, API and reason.
    let gaps: Vec<(String, String, String)> = gaps
        .take()
        .into_iter()
        .map(|g| (g.kind, g.scope, g.reason))
        .collect();
    let gap = |kind: &str, why: &str| (kind.to_string(), "h1".to_string(), why.to_string());
    assert_eq!(
        gaps,
        [
            gap(
                "AuthorizerV2",
                "not served by the source: GetAuthorizers answered 500; only those the routes name were read, one by one"
            ),
            gap(
                "DeploymentV2",
                "not served by the source: GetDeployments answered 404"
            ),
            gap(
                "ModelV2",
                "not served by the source: GetModels answered 500"
            ),
        ]
    );
    let a = &apis[0];
    assert!(a.models.is_empty());
    assert!(a.deployments.is_empty());
    assert_eq!(a.authorizers.len(), 1);
    assert_eq!(a.authorizers[0].name, "cognito");
    assert_eq!(
        a.authorizers[0].jwt_configuration.as_ref().unwrap().issuer,
        Some("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X".to_string())
    );
    let calls = pacer.calls();
    for op in [
        "GetAuthorizers",
        "GetModels",
        "GetDeployments",
        "GetAuthorizer",
    ] {
        assert_eq!(calls[op], 1, "{op} once, not retried: {calls:?}");
    }
}

#[tokio::test]
async fn aws_errors_on_those_lists_stay_errors() {
    // AWS answers with an error code: a 500 there is retried, then reported, not taken as none.
    let mut rules = vec![apis_rule(vec![api("h1", "orders", ProtocolType::Http)])];
    rules.extend(routes_rules());
    rules.push(
        mock!(Client::get_authorizers)
            .sequence()
            .http_status(500, error_body("InternalServerErrorException", "oops"))
            .times(4)
            .build(),
    );
    rules.extend(other_rules());
    let client = client(&rules);
    let pacer = Pacer::for_tests();
    let err = capture_apis(&client, &pacer, &[], &|_| {})
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("GetAuthorizers") && msg.contains("h1"),
        "{msg}"
    );
    assert_eq!(pacer.calls()["GetAuthorizers"], 4, "retried to the limit");
}

/// The selection as v2 capture makes it.
fn choose(
    all: Vec<aws_sdk_apigatewayv2::types::Api>,
    select: &[String],
) -> crate::Result<Vec<aws_sdk_apigatewayv2::types::Api>> {
    crate::capture::choose(
        all,
        select,
        |a| (a.api_id(), a.name()),
        "HTTP or WebSocket API",
        "-",
    )
}

#[tokio::test]
async fn selection_by_id_or_name_and_unknown_entries() {
    let listing = vec![
        api("a1", "orders", ProtocolType::Http),
        api("b2", "orders", ProtocolType::Websocket),
        api("c3", "chat", ProtocolType::Websocket),
    ];
    let client = client(&[apis_rule(listing.clone())]);
    let pacer = Pacer::for_tests();
    let err = capture_apis(&client, &pacer, &["chat".into(), "nope".into()], &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, crate::Error::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains("'nope'"), "{err}");
    assert_eq!(pacer.total_calls(), 1, "nothing read after a bad selection");

    let chosen = choose(listing.clone(), &["orders".into(), "c3".into()]).unwrap();
    let ids: Vec<_> = chosen.iter().map(|a| a.api_id().unwrap()).collect();
    assert_eq!(ids, ["a1", "b2", "c3"]);
    assert_eq!(choose(listing, &["b2".into()]).unwrap().len(), 1);

    let listed = list_apis(&client, &pacer).await.unwrap();
    assert_eq!(
        listed[1],
        (
            "b2".to_string(),
            "orders".to_string(),
            "WEBSOCKET".to_string()
        )
    );
}

#[tokio::test]
async fn an_api_deleted_while_capturing_is_left_out_of_a_full_capture() {
    let mut rules = vec![apis_rule(vec![
        api("h1", "orders", ProtocolType::Http),
        api("h2", "gone", ProtocolType::Http),
    ])];
    rules.push(
        mock!(Client::get_routes)
            .match_requests(|r| r.api_id() == Some("h2"))
            .sequence()
            .http_status(
                404,
                error_body("NotFoundException", "Invalid API identifier"),
            )
            .build(),
    );
    rules.extend(routes_rules());
    rules.extend(other_rules());
    let client = client(&rules);
    let apis = capture_apis(&client, &Pacer::for_tests(), &[], &|_| {})
        .await
        .unwrap();
    let names: Vec<_> = apis.iter().map(|a| a.api.name.as_str()).collect();
    assert_eq!(names, ["orders"]);
}

#[test]
fn capture_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let client = client(&[]);
    let pacer = Pacer::for_tests();
    send(&capture_apis(&client, &pacer, &[], &|_| {}));
    send(&list_apis(&client, &pacer));
}
