//! Capture at the HTTP layer: every response comes from aws-smithy-mocks rules, through the
//! real client configuration (SDK retries off) and a real [`Pacer`] with tiny retry delays.

use std::sync::Mutex;

use aws_sdk_apigateway::Client;
use aws_sdk_apigateway::operation::get_authorizers::GetAuthorizersOutput;
use aws_sdk_apigateway::operation::get_deployments::GetDeploymentsOutput;
use aws_sdk_apigateway::operation::get_documentation_parts::GetDocumentationPartsOutput;
use aws_sdk_apigateway::operation::get_documentation_versions::GetDocumentationVersionsOutput;
use aws_sdk_apigateway::operation::get_gateway_responses::GetGatewayResponsesOutput;
use aws_sdk_apigateway::operation::get_models::GetModelsOutput;
use aws_sdk_apigateway::operation::get_request_validators::GetRequestValidatorsOutput;
use aws_sdk_apigateway::operation::get_resources::GetResourcesOutput;
use aws_sdk_apigateway::operation::get_rest_apis::GetRestApisOutput;
use aws_sdk_apigateway::operation::get_stages::GetStagesOutput;
use aws_sdk_apigateway::types::{
    Authorizer, AuthorizerType, Deployment, DocumentationPart, DocumentationPartLocation,
    DocumentationPartType, DocumentationVersion, EndpointConfiguration, EndpointType,
    GatewayResponse, GatewayResponseType, Integration, IntegrationResponse, IntegrationType,
    Method, MethodResponse, MethodSetting, Model, RequestValidator, Resource, RestApi, Stage,
};
use aws_smithy_mocks::{Rule, mock};

use super::*;
use crate::capture::mocks::{self, error_body};

fn client(rules: &[Rule]) -> Client {
    Client::from_conf(
        client_config(&mocks::sdk())
            .interceptor(mocks::interceptor(rules))
            .build(),
    )
}

/// Collects progress lines.
#[derive(Default)]
struct Lines(Mutex<Vec<String>>);
impl Lines {
    fn push(&self, l: String) {
        self.0.lock().unwrap().push(l);
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

fn api(id: &str, name: &str) -> RestApi {
    RestApi::builder()
        .id(id)
        .name(name)
        .root_resource_id("root")
        .endpoint_configuration(
            EndpointConfiguration::builder()
                .types(EndpointType::Regional)
                .build(),
        )
        .tags("team", "orders")
        .build()
}

fn resource(i: usize) -> Resource {
    let integration = Integration::builder()
        .r#type(IntegrationType::Mock)
        .request_templates("application/json", r#"{"statusCode": 200}"#)
        .integration_responses(
            "200",
            IntegrationResponse::builder()
                .status_code("200")
                .selection_pattern("")
                .build(),
        )
        .build();
    let method = |verb: &str| {
        Method::builder()
            .http_method(verb)
            .authorization_type("NONE")
            .method_responses("200", MethodResponse::builder().status_code("200").build())
            .method_integration(integration.clone())
            .build()
    };
    Resource::builder()
        .id(format!("r{i}"))
        .parent_id("root")
        .path(format!("/items{i}"))
        .path_part(format!("items{i}"))
        .resource_methods("GET", method("GET"))
        .resource_methods("POST", method("POST"))
        .build()
}

fn part(id: &str, path: &str) -> DocumentationPart {
    DocumentationPart::builder()
        .id(id)
        .location(
            DocumentationPartLocation::builder()
                .r#type(DocumentationPartType::Resource)
                .path(path)
                .build()
                .unwrap(),
        )
        .properties(r#"{"description":"x"}"#)
        .build()
}

fn rest_apis_rule(apis: Vec<RestApi>) -> Rule {
    mock!(Client::get_rest_apis)
        .match_requests(|r| r.limit() == Some(500))
        .then_output(move || {
            GetRestApisOutput::builder()
                .set_items(Some(apis.clone()))
                .build()
        })
}

/// GetResources in two pages: 300 resources (600 methods), then 1 more.
fn resources_rules() -> Vec<Rule> {
    let page1 = mock!(Client::get_resources)
        .match_requests(|r| {
            r.position().is_none() && r.limit() == Some(500) && r.embed() == ["methods".to_string()]
        })
        .then_output(|| {
            GetResourcesOutput::builder()
                .set_items(Some((0..300).map(resource).collect()))
                .position("page2")
                .build()
        });
    let page2 = mock!(Client::get_resources)
        .match_requests(|r| r.position() == Some("page2") && r.embed() == ["methods".to_string()])
        .then_output(|| GetResourcesOutput::builder().items(resource(300)).build());
    vec![page1, page2]
}

/// Every other Get call of one API, one page each except documentation parts (two pages).
fn other_rules() -> Vec<Rule> {
    vec![
        mock!(Client::get_authorizers)
            .match_requests(|r| r.limit() == Some(500))
            .then_output(|| {
                GetAuthorizersOutput::builder()
                    .items(
                        Authorizer::builder()
                            .id("au1")
                            .name("tokens")
                            .r#type(AuthorizerType::Token)
                            .authorizer_result_ttl_in_seconds(300)
                            .build(),
                    )
                    .build()
            }),
        mock!(Client::get_models).then_output(|| {
            GetModelsOutput::builder()
                .items(
                    Model::builder()
                        .id("m1")
                        .name("Order")
                        .content_type("application/json")
                        .build(),
                )
                .build()
        }),
        mock!(Client::get_request_validators).then_output(|| {
            GetRequestValidatorsOutput::builder()
                .items(
                    RequestValidator::builder()
                        .id("v1")
                        .name("body")
                        .validate_request_body(true)
                        .build(),
                )
                .build()
        }),
        mock!(Client::get_gateway_responses).then_output(|| {
            GetGatewayResponsesOutput::builder()
                .items(
                    GatewayResponse::builder()
                        .response_type(GatewayResponseType::Default4Xx)
                        .default_response(true)
                        .build(),
                )
                .build()
        }),
        mock!(Client::get_documentation_parts)
            .match_requests(|r| r.position().is_none() && r.limit() == Some(500))
            .then_output(|| {
                GetDocumentationPartsOutput::builder()
                    .items(part("d1", "/items1"))
                    .position("docs2")
                    .build()
            }),
        mock!(Client::get_documentation_parts)
            .match_requests(|r| r.position() == Some("docs2"))
            .then_output(|| {
                GetDocumentationPartsOutput::builder()
                    .items(part("d2", "/items2"))
                    .build()
            }),
        mock!(Client::get_documentation_versions).then_output(|| {
            GetDocumentationVersionsOutput::builder()
                .items(DocumentationVersion::builder().version("v1").build())
                .build()
        }),
        mock!(Client::get_deployments).then_output(|| {
            GetDeploymentsOutput::builder()
                .items(
                    Deployment::builder()
                        .id("dep1")
                        .description("first")
                        .build(),
                )
                .build()
        }),
        mock!(Client::get_stages).then_output(|| {
            GetStagesOutput::builder()
                .item(
                    Stage::builder()
                        .stage_name("prod")
                        .deployment_id("dep1")
                        .method_settings(
                            "*/*",
                            MethodSetting::builder()
                                .throttling_rate_limit(100.0)
                                .throttling_burst_limit(50)
                                .build(),
                        )
                        .variables("backend", "orders-prod")
                        .build(),
                )
                .item(
                    Stage::builder()
                        .stage_name("dev")
                        .deployment_id("dep1")
                        .build(),
                )
                .build()
        }),
    ]
}

fn all_rules() -> Vec<Rule> {
    let mut rules = vec![rest_apis_rule(vec![api("a1", "orders")])];
    rules.extend(resources_rules());
    rules.extend(other_rules());
    rules
}

#[tokio::test]
async fn captures_one_api_with_paging_and_counts_its_calls() {
    let client = client(&all_rules());
    let pacer = Pacer::for_tests();
    let lines = Lines::default();
    let apis = capture_rest_apis(&client, &pacer, &[], &|l| lines.push(l))
        .await
        .unwrap();

    assert_eq!(apis.len(), 1);
    let a = &apis[0];
    assert_eq!(a.api.id, "a1");
    assert_eq!(a.api.tags.get("team").map(String::as_str), Some("orders"));
    assert_eq!(a.resources.len(), 301, "both pages of resources");
    assert_eq!(a.methods.len(), 602);
    let m = a
        .methods
        .iter()
        .find(|m| m.path == "/items7" && m.http_method == "POST")
        .unwrap();
    assert_eq!(m.resource_id, "r7");
    let i = m.method_integration.as_ref().unwrap();
    assert_eq!(i.integration_type.as_deref(), Some("MOCK"));
    assert!(i.integration_responses.contains_key("200"));
    assert!(m.method_responses.contains_key("200"));
    assert_eq!(
        a.documentation_parts.len(),
        2,
        "both pages of documentation parts"
    );
    assert_eq!(a.authorizers[0].authorizer_type.as_deref(), Some("TOKEN"));
    assert_eq!(a.gateway_responses[0].response_type, "DEFAULT_4XX");
    assert_eq!(
        a.stages
            .iter()
            .map(|s| s.stage_name.as_str())
            .collect::<Vec<_>>(),
        ["dev", "prod"]
    );
    assert_eq!(
        a.stages[1].method_settings["*/*"].throttling_rate_limit,
        100.0
    );

    // GetRestApis + 2 pages of resources + 2 pages of documentation parts + 7 single calls.
    let calls = pacer.calls();
    assert_eq!(pacer.total_calls(), 12, "{calls:?}");
    assert_eq!(calls["GetResources"], 2);
    assert_eq!(calls["GetDocumentationParts"], 2);
    assert_eq!(calls["GetRestApis"], 1);
    assert_eq!(calls["GetStages"], 1);
    assert_eq!(
        lines.all(),
        ["orders: 301 resources, 602 methods, 2 stages"]
    );
}

/// The rules of [`all_rules`] with GetExport (of OpenAPI 3 with API Gateway's extensions
/// only) answering `body`.
fn export_rules(body: &'static [u8]) -> Vec<Rule> {
    let mut rules = all_rules();
    rules.push(
        mock!(Client::get_export)
            .match_requests(|r| {
                r.export_type() == Some("oas30")
                    && r.accepts() == Some("application/json")
                    && r.parameters()
                        .and_then(|p| p.get("extensions"))
                        .map(String::as_str)
                        == Some("apigateway")
            })
            .then_output(move || {
                aws_sdk_apigateway::operation::get_export::GetExportOutput::builder()
                    .body(aws_sdk_apigateway::primitives::Blob::new(body))
                    .content_type("application/json")
                    .build()
            }),
    );
    rules
}

/// An export of a deployment of `orders` serving `/pets`, as [`export_rules`] answers it.
fn orders_export() -> &'static [u8] {
    let served = v1::RestApiSnapshot {
        api: v1::RestApi {
            name: "orders".into(),
            ..Default::default()
        },
        resources: vec![v1::Resource {
            id: "/pets".into(),
            path: "/pets".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let doc = crate::openapi::rest::to_document(&served).unwrap();
    doc.to_string().into_bytes().leak()
}

#[tokio::test]
async fn a_point_holds_what_each_deployment_serves_exported_once() {
    let client = client(&export_rules(orders_export()));
    let pacer = Pacer::for_tests();
    let gaps = Gaps::default();
    let apis = capture_rest_apis_with_gaps(&client, &pacer, &[], &|_| {}, &gaps, &Known::none())
        .await
        .unwrap();
    // Both stages serve dep1: one export.
    assert_eq!(pacer.calls()["GetExport"], 1, "{:?}", pacer.calls());
    assert_eq!(apis[0].served.len(), 1);
    assert_eq!(apis[0].served[0].deployment_id, "dep1");
    let read = &apis[0].served[0].definition;
    assert_eq!(read.api.name, "orders");
    assert!(read.resources.iter().any(|r| r.path == "/pets"), "{read:?}");
    assert!(gaps.take().is_empty());
    // A restore's capture of its target exports nothing.
    let pacer = Pacer::for_tests();
    let target = capture_rest_apis(&client, &pacer, &[], &|_| {})
        .await
        .unwrap();
    assert!(target[0].served.is_empty());
    assert!(!pacer.calls().contains_key("GetExport"));
}

/// A point of `apis` from account 123456789012 in eu-west-1, written to `store`/`catalog`.
async fn write_point(
    store: &crate::store::Store,
    catalog: &crate::catalog::Catalog,
    apis: Vec<v1::RestApiSnapshot>,
) -> crate::point::WriteReport {
    let snap = crate::model::Snapshot {
        source: crate::model::Source {
            partition: "aws".into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
        },
        rest_apis: apis,
        apis_v2: vec![],
        estate: Default::default(),
        gaps: vec![],
    };
    let opts = crate::point::WriteOptions {
        label: None,
        trigger: "test".into(),
        retention_days: 1,
        closure: vec![],
        census: None,
    };
    crate::point::write(store, catalog, &snap, &opts, &|_| {})
        .await
        .unwrap()
}

#[tokio::test]
async fn a_deployment_an_earlier_point_holds_is_read_from_the_store_not_exported() {
    let client = client(&export_rules(orders_export()));
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let (store, catalog) = crate::location::open(&url, None, None).await.unwrap();
    let source = crate::model::Source {
        partition: "aws".into(),
        account: "123456789012".into(),
        region: "eu-west-1".into(),
    };

    let capture = |known| {
        let client = client.clone();
        async move {
            let pacer = Pacer::for_tests();
            let gaps = Gaps::default();
            let lines = Lines::default();
            let apis =
                capture_rest_apis_with_gaps(&client, &pacer, &[], &|l| lines.push(l), &gaps, known)
                    .await
                    .unwrap();
            assert!(gaps.take().is_empty());
            (
                apis,
                pacer.calls().get("GetExport").copied().unwrap_or(0),
                lines.all(),
            )
        }
    };
    // No earlier point: one export.
    let none = Known::of_source(&store, &catalog, &source).await;
    let (first, exports, _) = capture(&none).await;
    assert_eq!(exports, 1);
    let one = write_point(&store, &catalog, first.clone()).await;

    // The second capture reads dep1's definition from that point: no export, same content,
    // same point id, no new object.
    let known = Known::of_source(&store, &catalog, &source).await;
    let (second, exports, lines) = capture(&known).await;
    assert_eq!(exports, 0, "{lines:?}");
    assert_eq!(second, first);
    assert!(
        lines.contains(
            &"orders: 1 served definitions, 1 read from an earlier point, 0 exported".to_string()
        ),
        "{lines:?}"
    );
    let two = write_point(&store, &catalog, second).await;
    assert_eq!(two.record.id, one.record.id);
    assert_eq!(two.new_objects, 0);
    assert!(two.unchanged);

    // Another account's points, or another API of the same name, are not used.
    let elsewhere = crate::model::Source {
        account: "210987654321".into(),
        ..source.clone()
    };
    let other = Known::of_source(&store, &catalog, &elsewhere).await;
    let (_, exports, _) = capture(&other).await;
    assert_eq!(exports, 1);
    assert!(known.served("a2", "orders", "dep1").await.is_none());
    assert!(known.served("a1", "orders", "dep9").await.is_none());
    assert_eq!(
        known
            .served("a1", "orders", "dep1")
            .await
            .map(|s| s.definition),
        Some(first[0].served[0].definition.clone())
    );
}

#[tokio::test]
async fn a_canary_no_stage_serves_is_a_gap_naming_the_canary() {
    let stages = |canary: &str| {
        mock!(Client::get_stages).then_output({
            let canary = canary.to_string();
            move || {
                GetStagesOutput::builder()
                    .item(
                        Stage::builder()
                            .stage_name("prod")
                            .deployment_id("dep1")
                            .canary_settings(
                                aws_sdk_apigateway::types::CanarySettings::builder()
                                    .percent_traffic(10.0)
                                    .deployment_id(&canary)
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            }
        })
    };
    for (canary, exports, gap) in [("dep1", 1, false), ("dep2", 1, true)] {
        let mut rules = vec![stages(canary)];
        rules.extend(export_rules(orders_export()));
        let client = client(&rules);
        let pacer = Pacer::for_tests();
        let gaps = Gaps::default();
        let apis =
            capture_rest_apis_with_gaps(&client, &pacer, &[], &|_| {}, &gaps, &Known::none())
                .await
                .unwrap();
        assert_eq!(pacer.calls()["GetExport"], exports);
        assert_eq!(apis[0].served.len(), 1, "prod's own deployment");
        let gaps = gaps.take();
        assert_eq!(gaps.len(), usize::from(gap), "{gaps:?}");
        if gap {
            assert!(
                gaps[0]
                    .reason
                    .starts_with("stage prod's canary (deployment dep2): not exported"),
                "{}",
                gaps[0].reason
            );
        }
    }
}

/// What GetExport (`oas30`, `extensions=apigateway`) answers for a stage, in the shape of the
/// AWS documentation's OpenAPI 3 examples with API Gateway's extensions: servers with the
/// stage as base path, a Lambda authorizer as a security scheme, and the
/// `x-amazon-apigateway-integration` example (an AWS integration with credentials, request
/// parameters and templates, cache keys, and responses chosen by selection pattern).
const AWS_SHAPED_EXPORT: &str = r##"{
  "openapi" : "3.0.1",
  "info" : { "title" : "orders", "version" : "2026-12-01T10:00:00Z" },
  "servers" : [ { "url" : "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/{basePath}",
                  "variables" : { "basePath" : { "default" : "prod" } } } ],
  "paths" : {
    "/orders/{service}" : {
      "get" : {
        "parameters" : [
          { "name" : "service", "in" : "path", "required" : true, "schema" : { "type" : "string" } },
          { "name" : "version", "in" : "query", "schema" : { "type" : "string" } },
          { "name" : "x-user-id", "in" : "header", "schema" : { "type" : "string" } } ],
        "responses" : {
          "200" : { "description" : "200 response",
                    "content" : { "application/json" : { "schema" : { "$ref" : "#/components/schemas/Empty" } } } },
          "302" : { "description" : "302 response",
                    "headers" : { "Location" : { "schema" : { "type" : "string" } } },
                    "content" : {} },
          "400" : { "description" : "400 response",
                    "headers" : { "test-method-response-header" : { "schema" : { "type" : "string" } } },
                    "content" : {} } },
        "security" : [ { "token-auth" : [ ] } ],
        "x-amazon-apigateway-integration" : {
          "type" : "aws",
          "credentials" : "arn:aws:iam::123456789012:role/apigAwsProxyRole",
          "httpMethod" : "POST",
          "uri" : "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:orders/invocations",
          "responses" : {
            "2\\d{2}" : { "statusCode" : "200",
                          "responseTemplates" : { "application/json" : "#set ($root=$input.path('$')) { \"stage\": \"$root.name\" }" } },
            "302" : { "statusCode" : "302",
                      "responseParameters" : { "method.response.header.Location" : "integration.response.body.redirect.url" } },
            "default" : { "statusCode" : "400",
                          "responseParameters" : { "method.response.header.test-method-response-header" : "'static value'" } } },
          "requestParameters" : {
            "integration.request.querystring.stage" : "method.request.querystring.version",
            "integration.request.header.x-userid" : "method.request.header.x-user-id",
            "integration.request.path.op" : "method.request.path.service" },
          "requestTemplates" : { "application/json" : "{ \"user-id\": \"$input.params('x-user-id')\" }" },
          "passthroughBehavior" : "when_no_templates",
          "cacheNamespace" : "orders-cache",
          "cacheKeyParameters" : [ "method.request.path.service" ],
          "timeoutInMillis" : 29000
        }
      }
    }
  },
  "components" : {
    "schemas" : { "Empty" : { "title" : "Empty Schema", "type" : "object" } },
    "securitySchemes" : {
      "token-auth" : {
        "type" : "apiKey", "name" : "Authorization", "in" : "header",
        "x-amazon-apigateway-authtype" : "custom",
        "x-amazon-apigateway-authorizer" : {
          "type" : "token",
          "authorizerUri" : "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations",
          "authorizerCredentials" : "arn:aws:iam::123456789012:role/apigAwsProxyRole",
          "identityValidationExpression" : "^Bearer [-0-9a-zA-z\\.]*$",
          "authorizerResultTtlInSeconds" : 60
        }
      }
    }
  }
}"##;

#[tokio::test]
async fn an_export_shaped_as_aws_returns_it_is_read_into_the_model() {
    let client = client(&export_rules(AWS_SHAPED_EXPORT.as_bytes()));
    let pacer = Pacer::for_tests();
    let gaps = Gaps::default();
    let apis = capture_rest_apis_with_gaps(&client, &pacer, &[], &|_| {}, &gaps, &Known::none())
        .await
        .unwrap();
    assert!(gaps.take().is_empty());
    let def = &apis[0].served[0].definition;
    assert_eq!(def.api.name, "orders");
    let paths: Vec<&str> = def.resources.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/", "/orders", "/orders/{service}"]);
    assert_eq!(def.methods.len(), 1);
    let m = &def.methods[0];
    assert_eq!(
        (m.path.as_str(), m.http_method.as_str()),
        ("/orders/{service}", "GET")
    );
    assert_eq!(m.authorization_type.as_deref(), Some("CUSTOM"));
    assert_eq!(m.authorizer_id.as_deref(), Some("token-auth"));
    let params: Vec<(&str, bool)> = m
        .request_parameters
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        params,
        [
            ("method.request.header.x-user-id", false),
            ("method.request.path.service", true),
            ("method.request.querystring.version", false),
        ]
    );
    assert_eq!(
        m.method_responses["200"].response_models["application/json"],
        "Empty"
    );
    assert_eq!(
        m.method_responses["302"]
            .response_parameters
            .keys()
            .collect::<Vec<_>>(),
        ["method.response.header.Location"]
    );
    let i = m.method_integration.as_ref().unwrap();
    assert_eq!(i.integration_type.as_deref(), Some("AWS"));
    assert_eq!(i.http_method.as_deref(), Some("POST"));
    assert_eq!(
        i.credentials.as_deref(),
        Some("arn:aws:iam::123456789012:role/apigAwsProxyRole")
    );
    assert_eq!(
        i.request_parameters["integration.request.path.op"],
        "method.request.path.service"
    );
    assert_eq!(i.request_parameters.len(), 3);
    assert!(i.request_templates["application/json"].contains("x-user-id"));
    assert_eq!(i.passthrough_behavior.as_deref(), Some("WHEN_NO_TEMPLATES"));
    assert_eq!(i.cache_namespace.as_deref(), Some("orders-cache"));
    assert_eq!(i.cache_key_parameters, ["method.request.path.service"]);
    assert_eq!(i.timeout_in_millis, 29000);
    let r = &i.integration_responses;
    assert_eq!(r.len(), 3, "{r:?}");
    assert_eq!(r["200"].selection_pattern.as_deref(), Some("2\\d{2}"));
    assert!(r["200"].response_templates["application/json"].contains("$root.name"));
    assert_eq!(r["302"].selection_pattern.as_deref(), Some("302"));
    assert_eq!(
        r["302"].response_parameters["method.response.header.Location"],
        "integration.response.body.redirect.url"
    );
    assert_eq!(r["400"].selection_pattern, None, "default");
    assert_eq!(
        r["400"].response_parameters["method.response.header.test-method-response-header"],
        "'static value'"
    );
    assert_eq!(def.authorizers.len(), 1);
    let a = &def.authorizers[0];
    assert_eq!(a.name, "token-auth");
    assert_eq!(a.authorizer_type.as_deref(), Some("TOKEN"));
    assert_eq!(
        a.identity_source.as_deref(),
        Some("method.request.header.Authorization")
    );
    assert_eq!(a.authorizer_result_ttl_in_seconds, Some(60));
    assert_eq!(
        a.identity_validation_expression.as_deref(),
        Some("^Bearer [-0-9a-zA-z\\.]*$")
    );
    assert_eq!(def.models[0].name, "Empty");
    // Written again and read back, it says the same.
    let again = crate::openapi::rest::to_document(def).unwrap();
    assert_eq!(&crate::openapi::rest::from_document(&again).unwrap(), def);
}

#[tokio::test]
async fn an_export_that_cannot_be_read_is_a_gap_naming_the_stage() {
    // What moto answers: Swagger 2 of the working copy, without extensions.
    let swagger = br#"{"swagger":"2.0","info":{"title":"orders"},"paths":{"/pets":{"get":{}}}}"#;
    let client = client(&export_rules(swagger));
    let pacer = Pacer::for_tests();
    let gaps = Gaps::default();
    let apis = capture_rest_apis_with_gaps(&client, &pacer, &[], &|_| {}, &gaps, &Known::none())
        .await
        .unwrap();
    assert!(apis[0].served.is_empty());
    assert_eq!(apis[0].stages.len(), 2, "the capture goes on");
    let gaps = gaps.take();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(
        (gaps[0].kind.as_str(), gaps[0].scope.as_str()),
        ("ServedDefinition", "a1")
    );
    assert!(
        gaps[0]
            .reason
            .starts_with("stage dev (deployment dep1): its export cannot be read: the API definition is not OpenAPI 3"),
        "{}",
        gaps[0].reason
    );
    assert!(!gaps[0].reason.contains("/pets"), "no part of the body");
    assert!(
        super::served_definition(b"<html>")
            .unwrap_err()
            .contains("not JSON")
    );
}

#[tokio::test]
async fn a_300_resource_api_costs_at_most_20_calls() {
    let mut rules = vec![rest_apis_rule(vec![api("a1", "orders")])];
    rules.push(mock!(Client::get_resources).then_output(|| {
        GetResourcesOutput::builder()
            .set_items(Some((0..300).map(resource).collect()))
            .build()
    }));
    rules.extend(other_rules());
    let client = client(&rules);
    let pacer = Pacer::for_tests();
    let apis = capture_rest_apis(&client, &pacer, &["orders".to_string()], &|_| {})
        .await
        .unwrap();
    assert_eq!(apis[0].methods.len(), 600);
    // 10 calls here (the documentation parts mock has a second page): 11 with it.
    assert!(pacer.total_calls() <= 20, "{:?}", pacer.calls());
    assert_eq!(pacer.total_calls(), 11, "{:?}", pacer.calls());
}

#[tokio::test]
async fn throttling_is_retried_and_counted() {
    let throttled = mock!(Client::get_rest_apis)
        .sequence()
        .http_status(
            429,
            error_body("TooManyRequestsException", "Too Many Requests"),
        )
        .output(|| {
            GetRestApisOutput::builder()
                .items(api("a1", "orders"))
                .build()
        })
        .build();
    let client = client(&[throttled]);
    let pacer = Pacer::for_tests();
    let apis = list_rest_apis(&client, &pacer).await.unwrap();
    assert_eq!(apis, [("a1".to_string(), "orders".to_string())]);
    assert_eq!(pacer.calls()["GetRestApis"], 2);
    assert_eq!(pacer.total_calls(), 2);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let mut rules = vec![rest_apis_rule(vec![api("a1", "orders")])];
    rules.push(
        mock!(Client::get_resources)
            .sequence()
            .http_status(500, error_body("InternalFailure", "oops"))
            .http_status(503, error_body("ServiceUnavailableException", "busy"))
            .output(|| GetResourcesOutput::builder().items(resource(1)).build())
            .build(),
    );
    rules.extend(other_rules());
    let client = client(&rules);
    let pacer = Pacer::for_tests();
    let apis = capture_rest_apis(&client, &pacer, &["a1".to_string()], &|_| {})
        .await
        .unwrap();
    assert_eq!(apis[0].resources.len(), 1);
    assert_eq!(pacer.calls()["GetResources"], 3);
}

#[tokio::test]
async fn bad_requests_are_not_retried_and_say_what_failed() {
    let mut rules = vec![rest_apis_rule(vec![api("a1", "orders")])];
    rules.push(
        mock!(Client::get_resources)
            .sequence()
            .http_status(
                400,
                error_body("BadRequestException", "Invalid embed value"),
            )
            .build(),
    );
    rules.extend(other_rules());
    let client = client(&rules);
    let pacer = Pacer::for_tests();
    let err = capture_rest_apis(&client, &pacer, &[], &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Aws(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("GetResources") && msg.contains("a1") && msg.contains("orders"),
        "{msg}"
    );
    assert!(
        msg.contains("BadRequestException: Invalid embed value"),
        "{msg}"
    );
    assert_eq!(pacer.calls()["GetResources"], 1, "not retried");
}

#[tokio::test]
async fn missing_documentation_is_taken_as_none() {
    // moto answers 404 for documentation; AWS would answer with an empty list.
    let mut rules = vec![rest_apis_rule(vec![api("a1", "orders")])];
    rules.extend(resources_rules());
    rules.push(
        mock!(Client::get_documentation_parts)
            .sequence()
            .http_status(
                404,
                error_body("NotFoundException", "Invalid API identifier"),
            )
            .build(),
    );
    rules.push(
        mock!(Client::get_documentation_versions)
            .sequence()
            .http_status(404, None)
            .build(),
    );
    // Matched first (MatchAny takes the first rule that matches and has responses left), so
    // the documentation rules in other_rules() are never reached.
    rules.extend(other_rules());
    let client = client(&rules);
    let pacer = Pacer::for_tests();
    let apis = capture_rest_apis(&client, &pacer, &[], &|_| {})
        .await
        .unwrap();
    assert!(apis[0].documentation_parts.is_empty());
    assert!(apis[0].documentation_versions.is_empty());
    assert_eq!(apis[0].stages.len(), 2);
}

#[tokio::test]
async fn selection_by_id_or_name_and_unknown_entries() {
    let listing = vec![api("a1", "orders"), api("b2", "orders"), api("c3", "pets")];
    let rules = vec![rest_apis_rule(listing.clone())];
    let client = client(&rules);
    let pacer = Pacer::for_tests();
    let err = capture_rest_apis(
        &client,
        &pacer,
        &["pets".into(), "nope".into(), "zz9".into()],
        &|_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("'nope'") && msg.contains("'zz9'") && !msg.contains("'pets'"),
        "{msg}"
    );
    assert!(
        msg.contains("get-rest-apis"),
        "says how to list APIs: {msg}"
    );
    assert_eq!(
        pacer.total_calls(),
        1,
        "nothing is read before the selection is valid"
    );

    let ids = |sel: &[&str]| -> Vec<String> {
        let sel: Vec<String> = sel.iter().map(|s| s.to_string()).collect();
        choose(
            listing.clone(),
            &sel,
            |a| (a.id(), a.name()),
            "REST API",
            "-",
        )
        .unwrap()
        .iter()
        .map(|a| a.id().unwrap().to_string())
        .collect()
    };
    assert_eq!(ids(&[]), ["a1", "b2", "c3"]);
    assert_eq!(ids(&["orders"]), ["a1", "b2"]);
    assert_eq!(ids(&["c3", "b2"]), ["b2", "c3"]);
    assert_eq!(ids(&["pets", "c3"]), ["c3"]);
}

#[tokio::test]
async fn paging_stops_when_the_service_repeats_a_position() {
    let looping = mock!(Client::get_rest_apis).then_output(|| {
        GetRestApisOutput::builder()
            .items(api("a1", "orders"))
            .position("same")
            .build()
    });
    let client = client(&[looping]);
    let pacer = Pacer::for_tests();
    let apis = list_rest_apis(&client, &pacer).await.unwrap();
    assert_eq!(
        apis.len(),
        2,
        "the first page and the one that repeats its position"
    );
    assert_eq!(pacer.total_calls(), 2);
}

#[tokio::test]
async fn run_bounded_keeps_order_and_limit() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let live = AtomicUsize::new(0);
    let peak = AtomicUsize::new(0);
    let jobs: Vec<_> = (0..10u64)
        .map(|i| {
            let (live, peak) = (&live, &peak);
            async move {
                let now = live.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(10 - i)).await;
                live.fetch_sub(1, Ordering::SeqCst);
                i
            }
        })
        .collect();
    let out = run_bounded(jobs, 3).await;
    assert_eq!(out, (0..10).collect::<Vec<_>>());
    assert_eq!(peak.load(Ordering::SeqCst), 3);
}

#[test]
fn capture_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let client = client(&[]);
    let pacer = Pacer::for_tests();
    send(&capture_rest_apis(&client, &pacer, &[], &|_| {}));
    send(&list_rest_apis(&client, &pacer));
    send(&pacer.call("GetStages", || client.get_stages().rest_api_id("x").send()));
}
