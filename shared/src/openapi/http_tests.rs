use serde_json::json;

use super::*;
use crate::Error;
use crate::model::v2::{Model, ParameterConstraints, RouteResponse, Stage};

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn route(id: &str, key: &str, target: Option<&str>) -> Route {
    Route {
        route_id: id.into(),
        route_key: key.into(),
        target: target.map(|t| format!("integrations/{t}")),
        ..Default::default()
    }
}

/// An HTTP API that sets every field an HTTP API can have, and some only WebSocket APIs use.
fn rich() -> ApiSnapshot {
    let mut api = ApiSnapshot {
        api: Api {
            api_id: "h1".into(),
            name: "orders".into(),
            protocol_type: "HTTP".into(),
            description: s("orders over HTTP"),
            version: s("2.0"),
            cors_configuration: Some(Cors {
                allow_credentials: true,
                allow_headers: vec!["authorization".into()],
                allow_methods: vec!["GET".into(), "POST".into()],
                allow_origins: vec!["https://example.com".into()],
                expose_headers: vec!["x-count".into()],
                max_age: Some(300),
            }),
            route_selection_expression: s("$request.method $request.path"),
            disable_execute_api_endpoint: true,
            disable_schema_validation: true,
            ip_address_type: s("dualstack"),
            tags: [("team".to_string(), "orders".to_string())].into(),
            created_date: s("2026-01-02T03:04:05Z"),
            ..Default::default()
        },
        routes: vec![
            Route {
                authorization_type: s("JWT"),
                authorizer_id: s("au1"),
                authorization_scopes: vec!["orders/read".into()],
                operation_name: s("GetOrder"),
                ..route("r1", "GET /orders/{id}", Some("i1"))
            },
            Route {
                authorization_type: s("AWS_IAM"),
                request_parameters: [(
                    "route.request.header.x".to_string(),
                    ParameterConstraints { required: true },
                )]
                .into(),
                route_responses: [("$default".to_string(), RouteResponse::default())].into(),
                ..route("r2", "POST /orders", Some("i1"))
            },
            Route {
                authorization_type: s("CUSTOM"),
                authorizer_id: s("au2"),
                ..route("r3", "ANY /admin/{proxy+}", Some("i2"))
            },
            Route {
                api_gateway_managed: true,
                ..route("r4", "$default", Some("i2"))
            },
            route("r5", "DELETE /orders/{id}", None),
        ],
        integrations: vec![
            Integration {
                integration_id: "i1".into(),
                integration_type: s("AWS_PROXY"),
                integration_uri: s("arn:aws:lambda:eu-west-1:1:function:orders"),
                integration_method: s("POST"),
                payload_format_version: s("2.0"),
                timeout_in_millis: Some(10000),
                credentials_arn: s("arn:aws:iam::1:role/invoke"),
                description: s("the orders function"),
                request_templates: [("application/json".to_string(), "{}".to_string())].into(),
                ..Default::default()
            },
            Integration {
                integration_id: "i2".into(),
                integration_type: s("HTTP_PROXY"),
                integration_uri: s("arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/a/b/c"),
                integration_method: s("ANY"),
                connection_type: s("VPC_LINK"),
                connection_id: s("vl2"),
                payload_format_version: s("1.0"),
                request_parameters: [("append:header.x-from".to_string(), "apigw".to_string())]
                    .into(),
                response_parameters: [(
                    "200".to_string(),
                    [("overwrite:header.x-to".to_string(), "client".to_string())].into(),
                )]
                .into(),
                tls_config: Some(TlsConfig {
                    server_name_to_verify: s("backend.example.com"),
                }),
                ..Default::default()
            },
            Integration {
                integration_id: "i3".into(),
                integration_type: s("AWS_PROXY"),
                integration_subtype: s("SQS-SendMessage"),
                credentials_arn: s("arn:aws:iam::1:role/sqs"),
                payload_format_version: s("1.0"),
                request_parameters: [
                    ("QueueUrl".to_string(), "https://sqs/q".to_string()),
                    ("MessageBody".to_string(), "$request.body".to_string()),
                ]
                .into(),
                ..Default::default()
            },
        ],
        authorizers: vec![
            Authorizer {
                authorizer_id: "au1".into(),
                name: "cognito".into(),
                authorizer_type: s("JWT"),
                jwt_configuration: Some(JwtConfiguration {
                    audience: vec!["orders-client".into()],
                    issuer: s("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X"),
                }),
                identity_source: vec!["$request.header.Authorization".into()],
                ..Default::default()
            },
            Authorizer {
                authorizer_id: "au2".into(),
                name: "lambda".into(),
                authorizer_type: s("REQUEST"),
                authorizer_uri: s(
                    "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:1:function:auth/invocations",
                ),
                authorizer_credentials_arn: s("arn:aws:iam::1:role/auth"),
                authorizer_payload_format_version: s("2.0"),
                authorizer_result_ttl_in_seconds: Some(60),
                enable_simple_responses: true,
                identity_source: vec![
                    "$request.header.Authorization".into(),
                    "$context.stage".into(),
                ],
                identity_validation_expression: s("unused"),
                ..Default::default()
            },
        ],
        models: vec![Model {
            model_id: "m1".into(),
            name: "Order".into(),
            ..Default::default()
        }],
        stages: vec![Stage {
            stage_name: "$default".into(),
            auto_deploy: true,
            ..Default::default()
        }],
        deployments: vec![],
    };
    api.normalize();
    api
}

#[test]
fn round_trip_gives_back_everything_not_listed_as_not_carried() {
    let api = rich();
    let doc = to_document(&api).unwrap();
    let back = from_document(&doc).unwrap();
    assert_eq!(back, carried(&api));
    assert_eq!(to_document(&back).unwrap(), doc);
}

#[test]
fn every_not_carried_entry_changes_the_rich_api_and_names_a_call() {
    let mut api = rich();
    api.deployments.push(Default::default());
    for entry in NOT_CARRIED {
        assert!(!entry.restored_by.is_empty(), "{entry:?}");
        let mut one = api.clone();
        (entry.clear)(&mut one);
        assert_ne!(
            one, api,
            "{} changes nothing on an API that sets it",
            entry.what
        );
    }
}

#[test]
fn extensions() {
    let doc = to_document(&rich()).unwrap();
    assert_eq!(
        doc["x-amazon-apigateway-cors"],
        json!({"allowOrigins": ["https://example.com"], "allowCredentials": true,
               "exposeHeaders": ["x-count"], "maxAge": 300, "allowMethods": ["GET", "POST"],
               "allowHeaders": ["authorization"]})
    );
    assert_eq!(
        doc["servers"][0]["x-amazon-apigateway-endpoint-configuration"],
        json!({"disableExecuteApiEndpoint": true, "ipAddressType": "dualstack"})
    );
    let get = &doc["paths"]["/orders/{id}"]["get"];
    assert_eq!(get["operationId"], "GetOrder");
    assert_eq!(get["security"], json!([{"cognito": ["orders/read"]}]));
    assert_eq!(
        get["x-amazon-apigateway-integration"],
        json!({"$ref": "#/components/x-amazon-apigateway-integrations/i1"})
    );
    assert_eq!(
        doc["paths"]["/orders"]["post"]["security"],
        json!([{"sigv4": []}])
    );
    assert!(doc["paths"]["/admin/{proxy+}"]["x-amazon-apigateway-any-method"].is_object());
    assert!(doc["paths"]["$default"]["x-amazon-apigateway-any-method"].is_object());
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["cognito"],
        json!({"type": "oauth2", "flows": {}, "x-amazon-apigateway-authorizer": {
            "type": "jwt", "identitySource": "$request.header.Authorization",
            "jwtConfiguration": {"issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X",
                                 "audience": ["orders-client"]}}})
    );
    let lambda = &schemes["lambda"]["x-amazon-apigateway-authorizer"];
    assert_eq!(lambda["type"], "request");
    assert_eq!(
        lambda["identitySource"],
        "$request.header.Authorization,$context.stage"
    );
    assert_eq!(lambda["enableSimpleResponses"], true);
    assert_eq!(lambda["authorizerPayloadFormatVersion"], "2.0");
    let i2 = &doc["components"]["x-amazon-apigateway-integrations"]["i2"];
    assert_eq!(i2["connectionType"], "VPC_LINK");
    assert_eq!(
        i2["tlsConfig"],
        json!({"serverNameToVerify": "backend.example.com"})
    );
    assert_eq!(
        i2["responseParameters"],
        json!({"200": {"overwrite:header.x-to": "client"}})
    );
    let i3 = &doc["components"]["x-amazon-apigateway-integrations"]["i3"];
    assert_eq!(i3["integrationSubtype"], "SQS-SendMessage");
    // Nothing of tags, stages, descriptions of integrations or WebSocket-only fields.
    let text = doc.to_string();
    for absent in ["team", "the orders function", "route.request", "unused"] {
        assert!(!text.contains(absent), "{absent} in the document");
    }
    assert!(doc["components"].get("schemas").is_none());
}

#[test]
fn websocket_apis_and_unwritable_routes_are_refused() {
    let refused = |f: &dyn Fn(&mut ApiSnapshot)| {
        let mut api = rich();
        f(&mut api);
        let err = to_document(&api).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err}");
        assert!(err.to_string().contains("call by call"), "{err}");
    };
    refused(&|a| a.api.protocol_type = "WEBSOCKET".into());
    refused(&|a| a.routes.push(route("x", "GET /orders/{id}", None)));
    refused(&|a| a.routes.push(route("x", "$connect", None)));
    refused(&|a| a.routes.push(route("x", "TRACE /t", None)));
    refused(&|a| a.routes[0].target = s("integrations/gone"));
    refused(&|a| {
        let r = a
            .routes
            .iter_mut()
            .find(|r| r.authorizer_id.is_some())
            .unwrap();
        r.authorizer_id = s("gone");
    });
}

/// ExportApi writes each route's integration inline: each reads back as an integration of its
/// own, named by the route key.
#[test]
fn an_export_with_inline_integrations_reads_back() {
    let export = json!({
        "openapi": "3.0.1",
        "info": {"title": "exported", "version": "2026-01-02 03:04:05UTC"},
        "paths": {
            "/pets": {"get": {
                "x-amazon-apigateway-integration": {"type": "http_proxy", "httpMethod": "GET",
                    "uri": "https://pets.example.com/pets", "payloadFormatVersion": "1.0"}
            }},
            "$default": {"x-amazon-apigateway-any-method": {
                "security": [{"sigv4": []}],
                "x-amazon-apigateway-integration": {"type": "aws_proxy",
                    "uri": "arn:aws:lambda:eu-west-1:1:function:f", "payloadFormatVersion": "2.0"}
            }}
        },
        "components": {"securitySchemes": {"sigv4": {"type": "apiKey", "name": "Authorization",
            "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}}}
    });
    let api = from_document(&export).unwrap();
    let keys: Vec<(&str, Option<&str>, Option<&str>)> = api
        .routes
        .iter()
        .map(|r| {
            (
                r.route_key.as_str(),
                r.target.as_deref(),
                r.authorization_type.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("$default", Some("integrations/_24default"), Some("AWS_IAM")),
            (
                "GET /pets",
                Some("integrations/GET_20_2Fpets"),
                Some("NONE")
            ),
        ]
    );
    assert_eq!(
        api.integrations[0].integration_type.as_deref(),
        Some("HTTP_PROXY")
    );
    assert_eq!(
        api.api.route_selection_expression.as_deref(),
        Some(ROUTE_SELECTION)
    );
    assert_eq!(from_document(&to_document(&api).unwrap()).unwrap(), api);
}
