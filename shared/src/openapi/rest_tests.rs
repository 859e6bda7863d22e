use serde_json::json;

use super::*;
use crate::Error;
use crate::model::v1::{
    CanarySettings, Deployment, DocumentationVersion, MethodSetting, Stage, TlsConfig,
};

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn map<V: Clone>(pairs: &[(&str, V)]) -> BTreeMap<String, V> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn resource(id: &str, parent: Option<&str>, path: &str) -> Resource {
    Resource {
        id: id.into(),
        parent_id: parent.map(str::to_string),
        path: path.into(),
        path_part: path
            .rsplit('/')
            .next()
            .filter(|p| !p.is_empty())
            .map(str::to_string),
    }
}

/// A REST API that sets every field of the model (ids unlike natural keys, JSON texts with
/// spaces), so the round trip shows what is carried and what NOT_CARRIED lists.
fn rich() -> RestApiSnapshot {
    let mut api = RestApiSnapshot {
        api: RestApi {
            id: "a1".into(),
            name: "pets".into(),
            description: s("the pets API"),
            version: s("1.2"),
            created_date: s("2026-01-02T03:04:05Z"),
            api_key_source: s("AUTHORIZER"),
            binary_media_types: vec!["image/png".into(), "application/octet-stream".into()],
            minimum_compression_size: Some(1024),
            endpoint_configuration: Some(EndpointConfiguration {
                types: vec!["PRIVATE".into()],
                vpc_endpoint_ids: vec!["vpce-1".into(), "vpce-2".into()],
                ip_address_type: s("dualstack"),
            }),
            policy: s(r#"{ "Version": "2012-10-17", "Statement": [] }"#),
            tags: map(&[("team", "pets".to_string())]),
            disable_execute_api_endpoint: true,
            root_resource_id: s("r0"),
            security_policy: s("TLS_1_2"),
            endpoint_access_mode: s("STRICT"),
        },
        resources: vec![
            resource("r0", None, "/"),
            resource("r1", Some("r0"), "/pets"),
            resource("r2", Some("r1"), "/pets/{id}"),
            resource("r3", Some("r0"), "/{proxy+}"),
            resource("r4", Some("r0"), "/empty"),
            resource("r5", Some("r0"), "/owners"),
            resource("r6", Some("r5"), "/owners/{name}"),
        ],
        methods: vec![
            Method {
                resource_id: "r1".into(),
                path: "/pets".into(),
                http_method: "GET".into(),
                authorization_type: s("COGNITO_USER_POOLS"),
                authorizer_id: s("au3"),
                authorization_scopes: vec!["pets/read".into(), "pets/all".into()],
                api_key_required: Some(true),
                request_validator_id: s("v1"),
                operation_name: s("ListPets"),
                request_parameters: map(&[
                    ("method.request.querystring.type", false),
                    ("method.request.header.X-Trace", true),
                    ("method.request.multivaluequerystring.tag", false),
                    ("method.request.multivalueheader.X-Many", true),
                ]),
                request_models: BTreeMap::new(),
                method_responses: map(&[(
                    "200",
                    MethodResponse {
                        status_code: "200".into(),
                        response_parameters: map(&[
                            ("method.response.header.X-Count", true),
                            ("method.response.header.Access-Control-Allow-Origin", false),
                        ]),
                        response_models: map(&[("application/json", "Pet".to_string())]),
                    },
                )]),
                method_integration: Some(Integration {
                    integration_type: s("HTTP"),
                    http_method: s("GET"),
                    uri: s("https://backend.example.com/pets"),
                    connection_type: s("VPC_LINK"),
                    connection_id: s("vl-1"),
                    credentials: s("arn:aws:iam::111111111111:role/backend"),
                    request_parameters: map(&[(
                        "integration.request.querystring.type",
                        "method.request.querystring.type".to_string(),
                    )]),
                    request_templates: map(&[("application/json", "{}".to_string())]),
                    passthrough_behavior: s("WHEN_NO_TEMPLATES"),
                    content_handling: s("CONVERT_TO_TEXT"),
                    timeout_in_millis: 5000,
                    cache_namespace: s("r1"),
                    cache_key_parameters: vec!["method.request.querystring.type".into()],
                    tls_config: Some(TlsConfig {
                        insecure_skip_verification: true,
                    }),
                    response_transfer_mode: s("STREAM"),
                    integration_target: s(
                        "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/a/b",
                    ),
                    integration_responses: map(&[
                        (
                            "200",
                            IntegrationResponse {
                                status_code: "200".into(),
                                selection_pattern: s(""),
                                response_parameters: map(&[(
                                    "method.response.header.X-Count",
                                    "integration.response.header.X-Count".to_string(),
                                )]),
                                response_templates: map(&[(
                                    "application/json",
                                    "$input.body".to_string(),
                                )]),
                                content_handling: s("CONVERT_TO_TEXT"),
                            },
                        ),
                        (
                            "404",
                            IntegrationResponse {
                                status_code: "404".into(),
                                selection_pattern: s("4\\d{2}"),
                                ..Default::default()
                            },
                        ),
                    ]),
                }),
            },
            Method {
                resource_id: "r1".into(),
                path: "/pets".into(),
                http_method: "POST".into(),
                authorization_type: s("AWS_IAM"),
                request_models: map(&[("application/json", "Pet".to_string())]),
                method_integration: Some(Integration {
                    integration_type: s("AWS_PROXY"),
                    http_method: s("POST"),
                    uri: s(
                        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:1:function:f/invocations",
                    ),
                    ..Default::default()
                }),
                ..Default::default()
            },
            Method {
                resource_id: "r2".into(),
                path: "/pets/{id}".into(),
                http_method: "GET".into(),
                authorization_type: s("CUSTOM"),
                authorizer_id: s("au1"),
                request_parameters: map(&[("method.request.path.id", true)]),
                ..Default::default()
            },
            Method {
                resource_id: "r2".into(),
                path: "/pets/{id}".into(),
                http_method: "DELETE".into(),
                authorization_type: s("CUSTOM"),
                authorizer_id: s("au2"),
                ..Default::default()
            },
            Method {
                resource_id: "r3".into(),
                path: "/{proxy+}".into(),
                http_method: "ANY".into(),
                method_integration: Some(Integration {
                    integration_type: s("MOCK"),
                    request_templates: map(&[(
                        "application/json",
                        r#"{"statusCode": 200}"#.to_string(),
                    )]),
                    ..Default::default()
                }),
                ..Default::default()
            },
            Method {
                resource_id: "r0".into(),
                path: "/".into(),
                http_method: "OPTIONS".into(),
                authorization_type: s("NONE"),
                api_key_required: Some(false),
                ..Default::default()
            },
        ],
        authorizers: vec![
            Authorizer {
                id: "au1".into(),
                name: "token".into(),
                authorizer_type: s("TOKEN"),
                auth_type: s("custom"),
                authorizer_uri: s(
                    "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:1:function:auth/invocations",
                ),
                authorizer_credentials: s("arn:aws:iam::1:role/auth"),
                identity_source: s("method.request.header.Authorization"),
                identity_validation_expression: s("^Bearer .+$"),
                authorizer_result_ttl_in_seconds: Some(300),
                ..Default::default()
            },
            Authorizer {
                id: "au2".into(),
                name: "request".into(),
                authorizer_type: s("REQUEST"),
                authorizer_uri: s(
                    "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:1:function:req/invocations",
                ),
                identity_source: s(
                    "method.request.header.X-Client,method.request.querystring.client",
                ),
                authorizer_result_ttl_in_seconds: Some(0),
                ..Default::default()
            },
            Authorizer {
                id: "au3".into(),
                name: "cognito".into(),
                authorizer_type: s("COGNITO_USER_POOLS"),
                auth_type: s("cognito_user_pools"),
                provider_arns: vec!["arn:aws:cognito-idp:eu-west-1:1:userpool/eu-west-1_X".into()],
                identity_source: s("method.request.header.Authorization"),
                ..Default::default()
            },
        ],
        models: vec![
            Model {
                id: "m1".into(),
                name: "Pet".into(),
                description: s("a pet"),
                schema: s(
                    r#"{ "$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "properties": { "id": { "type": "integer" } } }"#,
                ),
                content_type: s("application/json"),
            },
            Model {
                id: "m3".into(),
                name: "Pets".into(),
                schema: s(
                    r#"{"type":"array","items":{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/Pet"}}"#,
                ),
                content_type: s("application/json"),
                ..Default::default()
            },
            Model {
                id: "m2".into(),
                name: "Bare".into(),
                content_type: s("text/plain"),
                ..Default::default()
            },
        ],
        request_validators: vec![RequestValidator {
            id: "v1".into(),
            name: "all".into(),
            validate_request_body: true,
            validate_request_parameters: false,
        }],
        gateway_responses: vec![
            GatewayResponse {
                response_type: "DEFAULT_5XX".into(),
                default_response: true,
                ..Default::default()
            },
            GatewayResponse {
                response_type: "UNAUTHORIZED".into(),
                status_code: s("401"),
                response_parameters: map(&[(
                    "gatewayresponse.header.WWW-Authenticate",
                    "'Bearer'".to_string(),
                )]),
                response_templates: map(&[(
                    "application/json",
                    r#"{"message":$context.error.messageString}"#.to_string(),
                )]),
                default_response: false,
            },
        ],
        documentation_parts: vec![
            DocumentationPart {
                id: "dp1".into(),
                location: DocumentationPartLocation {
                    location_type: "API".into(),
                    ..Default::default()
                },
                properties: s(r#"{ "description": "pets" }"#),
            },
            DocumentationPart {
                id: "dp2".into(),
                location: DocumentationPartLocation {
                    location_type: "RESPONSE_HEADER".into(),
                    path: s("/pets"),
                    method: s("GET"),
                    status_code: s("200"),
                    name: s("X-Count"),
                },
                properties: s(r#"{"description":"how many"}"#),
            },
        ],
        documentation_versions: vec![DocumentationVersion {
            version: "v1".into(),
            ..Default::default()
        }],
        deployments: vec![Deployment {
            id: "d1".into(),
            description: s("first"),
            ..Default::default()
        }],
        stages: vec![Stage {
            stage_name: "prod".into(),
            deployment_id: s("d1"),
            method_settings: map(&[(
                "*/*",
                MethodSetting {
                    metrics_enabled: true,
                    ..Default::default()
                },
            )]),
            canary_settings: Some(CanarySettings {
                percent_traffic: 5.0,
                ..Default::default()
            }),
            tags: map(&[("env", "prod".to_string())]),
            ..Default::default()
        }],
        served: vec![crate::model::v1::Served {
            deployment_id: "d1".into(),
            definition: RestApiSnapshot::default(),
        }],
    };
    api.normalize();
    api
}

/// `GET /pets` of [`rich`] (the method that sets the most).
fn list_pets(a: &mut RestApiSnapshot) -> &mut Method {
    a.methods
        .iter_mut()
        .find(|m| m.path == "/pets" && m.http_method == "GET")
        .unwrap()
}

fn rest_doc() -> Value {
    to_document(&rich()).unwrap()
}

#[test]
fn round_trip_gives_back_everything_not_listed_as_not_carried() {
    let api = rich();
    let doc = to_document(&api).unwrap();
    let back = from_document(&doc).unwrap();
    assert_eq!(back, carried(&api));
    // Through JSON text as sent, too.
    let text = serde_json::to_string(&doc).unwrap();
    assert_eq!(size(&doc), text.len());
    let again: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(from_document(&again).unwrap(), back);
    // And a second round is stable.
    assert_eq!(to_document(&back).unwrap(), doc);
}

/// OpenAPI wants at least one response per operation: a method without method responses
/// gets `default` alone, read back as none; one with responses gets no `default`.
#[test]
fn a_method_without_responses_carries_a_default_response_and_reads_back_without() {
    let with = rest_doc();
    assert!(with["paths"]["/pets"]["get"]["responses"]["200"].is_object());
    assert!(with["paths"]["/pets"]["get"]["responses"]["default"].is_null());

    let mut api = rich();
    assert!(api.methods.iter().any(|m| !m.method_responses.is_empty()));
    for m in &mut api.methods {
        m.method_responses.clear();
    }
    let doc = to_document(&api).unwrap();
    let operations: Vec<&Value> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter(|op| {
            op.get("x-amazon-apigateway-integration").is_some() || op.get("responses").is_some()
        })
        .collect();
    assert_eq!(operations.len(), api.methods.len());
    for op in operations {
        assert_eq!(
            op["responses"],
            json!({"default": {"description": "Default response"}})
        );
    }
    let back = from_document(&doc).unwrap();
    assert!(back.methods.iter().all(|m| m.method_responses.is_empty()));
    assert_eq!(back, carried(&api));
    assert_eq!(to_document(&back).unwrap(), doc);
}

#[test]
fn every_not_carried_entry_changes_the_rich_api_and_names_a_call() {
    let api = rich();
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
    let whats: Vec<&str> = NOT_CARRIED.iter().map(|e| e.what).collect();
    for kind in [
        "stages",
        "deployments",
        "documentation versions",
        "RestApi.tags",
    ] {
        assert!(whats.iter().any(|w| w.starts_with(kind)), "{kind}");
    }
}

#[test]
fn top_level_extensions() {
    let doc = rest_doc();
    assert_eq!(doc["openapi"], "3.0.1");
    assert_eq!(
        doc["info"],
        json!({"title": "pets", "description": "the pets API", "version": "1.2"})
    );
    assert_eq!(
        doc["servers"][0]["x-amazon-apigateway-endpoint-configuration"],
        json!({"disableExecuteApiEndpoint": true, "vpcEndpointIds": ["vpce-1", "vpce-2"]})
    );
    assert_eq!(
        doc["x-amazon-apigateway-policy"],
        json!({"Version": "2012-10-17", "Statement": []})
    );
    assert_eq!(
        doc["x-amazon-apigateway-binary-media-types"],
        json!(["image/png", "application/octet-stream"])
    );
    assert_eq!(doc["x-amazon-apigateway-minimum-compression-size"], 1024);
    assert_eq!(doc["x-amazon-apigateway-api-key-source"], "AUTHORIZER");
    assert_eq!(
        doc["x-amazon-apigateway-request-validators"],
        json!({"all": {"validateRequestBody": true, "validateRequestParameters": false}})
    );
    // Only customized gateway responses.
    assert_eq!(
        doc["x-amazon-apigateway-gateway-responses"],
        json!({"UNAUTHORIZED": {
            "statusCode": "401",
            "responseParameters": {"gatewayresponse.header.WWW-Authenticate": "'Bearer'"},
            "responseTemplates": {"application/json": "{\"message\":$context.error.messageString}"}
        }})
    );
    assert_eq!(
        doc["x-amazon-apigateway-documentation"]["documentationParts"][1],
        json!({
            "location": {"type": "RESPONSE_HEADER", "path": "/pets", "method": "GET",
                         "statusCode": "200", "name": "X-Count"},
            "properties": {"description": "how many"}
        })
    );
    // Nothing of stages, deployments or tags.
    let text = doc.to_string();
    for absent in ["prod", "d1", "team", "TLS_1_2", "dualstack", "PRIVATE"] {
        assert!(!text.contains(absent), "{absent} in the document");
    }
}

#[test]
fn models_are_component_schemas() {
    let doc = rest_doc();
    assert_eq!(
        doc["components"]["schemas"],
        json!({
            "Bare": {},
            "Pet": {"type": "object", "properties": {"id": {"type": "integer"}}},
            "Pets": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}
        })
    );
}

#[test]
fn authorizers_are_security_schemes_with_their_extensions() {
    let doc = rest_doc();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["token"],
        json!({
            "type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "token",
                "authorizerUri": "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:1:function:auth/invocations",
                "authorizerCredentials": "arn:aws:iam::1:role/auth",
                "identityValidationExpression": "^Bearer .+$",
                "authorizerResultTtlInSeconds": 300
            }
        })
    );
    assert_eq!(schemes["request"]["name"], "Unused");
    assert_eq!(
        schemes["request"]["x-amazon-apigateway-authorizer"]["identitySource"],
        "method.request.header.X-Client,method.request.querystring.client"
    );
    assert_eq!(
        schemes["request"]["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"],
        0
    );
    assert_eq!(
        schemes["cognito"]["x-amazon-apigateway-authorizer"],
        json!({"type": "cognito_user_pools",
               "providerARNs": ["arn:aws:cognito-idp:eu-west-1:1:userpool/eu-west-1_X"]})
    );
    assert_eq!(
        schemes[API_KEY_SCHEME],
        json!({"type": "apiKey", "name": "x-api-key", "in": "header"})
    );
    assert_eq!(
        schemes[SIGV4_SCHEME]["x-amazon-apigateway-authtype"],
        "awsSigv4"
    );
}

#[test]
fn a_method_is_an_operation_with_security_parameters_validator_and_integration() {
    let doc = rest_doc();
    let get = &doc["paths"]["/pets"]["get"];
    assert_eq!(get["operationId"], "ListPets");
    assert_eq!(
        get["security"],
        json!([{"cognito": ["pets/read", "pets/all"], "api_key": []}])
    );
    assert_eq!(get["x-amazon-apigateway-request-validator"], "all");
    let params = get["parameters"].as_array().unwrap();
    assert!(
        params.contains(&json!({"name": "type", "in": "query", "required": false,
                                    "schema": {"type": "string"}}))
    );
    assert!(
        params.contains(&json!({"name": "X-Trace", "in": "header", "required": true,
                                    "schema": {"type": "string"}}))
    );
    assert!(
        params.contains(&json!({"name": "tag", "in": "query", "required": false,
                                    "schema": {"type": "array", "items": {"type": "string"}}}))
    );
    assert_eq!(
        get["responses"]["200"],
        json!({
            "description": "200 response",
            "headers": {
                "Access-Control-Allow-Origin": {"schema": {"type": "string"}},
                "X-Count": {"schema": {"type": "string"}, "required": true}
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}
        })
    );
    let i = &get["x-amazon-apigateway-integration"];
    assert_eq!(i["type"], "HTTP");
    assert_eq!(i["connectionType"], "VPC_LINK");
    assert_eq!(i["connectionId"], "vl-1");
    assert_eq!(i["timeoutInMillis"], 5000);
    assert_eq!(i["tlsConfig"], json!({"insecureSkipVerification": true}));
    assert_eq!(
        i["cacheKeyParameters"],
        json!(["method.request.querystring.type"])
    );
    assert_eq!(i["responseTransferMode"], "STREAM");
    assert!(i.get("integrationTarget").is_none());
    assert_eq!(i["responses"]["default"]["statusCode"], "200");
    assert_eq!(
        i["responses"]["default"]["contentHandling"],
        "CONVERT_TO_TEXT"
    );
    assert_eq!(i["responses"]["4\\d{2}"], json!({"statusCode": "404"}));

    let post = &doc["paths"]["/pets"]["post"];
    assert_eq!(post["security"], json!([{"sigv4": []}]));
    assert_eq!(
        post["requestBody"],
        json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}})
    );
    assert_eq!(
        doc["paths"]["/pets/{id}"]["get"]["security"],
        json!([{"token": []}])
    );
    assert_eq!(
        doc["paths"]["/{proxy+}"]["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
            ["type"],
        "MOCK"
    );
    // A resource without methods is still a path; NONE has no security.
    assert_eq!(doc["paths"]["/empty"], json!({}));
    assert_eq!(doc["paths"]["/owners/{name}"], json!({}));
    assert!(
        doc["paths"].get("/owners").is_none(),
        "implied by its child"
    );
    assert!(doc["paths"]["/"]["options"].get("security").is_none());
}

#[test]
fn what_one_document_cannot_say_is_refused_with_what_to_do() {
    let refused = |f: &dyn Fn(&mut RestApiSnapshot)| {
        let mut api = rich();
        f(&mut api);
        let err = to_document(&api).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("call by call") && !text.contains('\n'),
            "{text}"
        );
        text
    };
    let t = refused(&|a| a.resources.push(resource("dup", Some("r0"), "/pets")));
    assert!(t.contains("/pets"), "{t}");
    let t = refused(&|a| list_pets(a).authorizer_id = s("gone"));
    assert!(t.contains("gone"), "{t}");
    let t = refused(&|a| list_pets(a).request_validator_id = s("gone"));
    assert!(t.contains("gone"), "{t}");
    refused(&|a| a.api.policy = s("{not json"));
    refused(&|a| a.models[0].schema = s("{not json"));
    refused(&|a| a.authorizers[0].name = API_KEY_SCHEME.into());
    let t = refused(&|a| {
        list_pets(a)
            .request_parameters
            .insert("method.request.body.x".into(), true);
    });
    assert!(t.contains("method.request.body.x"), "{t}");
    refused(&|a| a.authorizers[0].identity_source = s("method.request.querystring.t"));
    refused(&|a| {
        let i = list_pets(a).method_integration.as_mut().unwrap();
        i.integration_responses
            .get_mut("404")
            .unwrap()
            .selection_pattern = None;
    });
}

/// A document shaped as GetExport returns it (oas30, with extensions): lower-case enums,
/// `x-amazon-apigateway-any-method`, a server with the stage as base path, the policy as an
/// object, path-level parameters and a default validator at the top.
#[test]
fn an_export_reads_back_into_the_model() {
    let export = json!({
        "openapi": "3.0.1",
        "info": {"title": "PetStore", "version": "2026-01-02T03:04:05Z"},
        "servers": [{"url": "https://abc123.execute-api.eu-west-1.amazonaws.com/{basePath}",
                     "variables": {"basePath": {"default": "prod"}}}],
        "paths": {
            "/pets/{petId}": {
                "parameters": [{"name": "petId", "in": "path", "required": true,
                                "schema": {"type": "string"}}],
                "get": {
                    "responses": {"200": {"description": "200 response",
                        "headers": {"Access-Control-Allow-Origin": {"schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}},
                    "security": [{"api_key": []}],
                    "x-amazon-apigateway-integration": {
                        "type": "http", "httpMethod": "GET",
                        "uri": "http://petstore.execute-api.eu-west-1.amazonaws.com/petstore/pets/{petId}",
                        "responses": {"default": {"statusCode": "200",
                            "responseParameters": {"method.response.header.Access-Control-Allow-Origin": "'*'"}}},
                        "requestParameters": {"integration.request.path.petId": "method.request.path.petId"},
                        "passthroughBehavior": "when_no_match"
                    }
                }
            },
            "/{proxy+}": {
                "x-amazon-apigateway-any-method": {
                    "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST",
                        "uri": "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/f/invocations",
                        "passthroughBehavior": "when_no_match", "contentHandling": "CONVERT_TO_TEXT"}
                }
            }
        },
        "components": {
            "schemas": {"Pet": {"type": "object", "properties": {"id": {"type": "integer"}}}},
            "securitySchemes": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}
        },
        "x-amazon-apigateway-policy": {"Version": "2012-10-17", "Statement": []},
        "x-amazon-apigateway-api-key-source": "HEADER",
        "x-amazon-apigateway-request-validators": {"params": {"validateRequestBody": false,
                                                             "validateRequestParameters": true}},
        "x-amazon-apigateway-request-validator": "params"
    });
    let api = from_document(&export).unwrap();
    assert_eq!(api.api.name, "PetStore");
    assert_eq!(
        api.api.policy.as_deref(),
        Some(r#"{"Version":"2012-10-17","Statement":[]}"#)
    );
    assert_eq!(api.api.api_key_source.as_deref(), Some("HEADER"));
    let paths: Vec<(&str, Option<&str>, Option<&str>)> = api
        .resources
        .iter()
        .map(|r| {
            (
                r.path.as_str(),
                r.parent_id.as_deref(),
                r.path_part.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            ("/", None, None),
            ("/pets", Some("/"), Some("pets")),
            ("/pets/{petId}", Some("/pets"), Some("{petId}")),
            ("/{proxy+}", Some("/"), Some("{proxy+}")),
        ]
    );
    let get = api.methods.iter().find(|m| m.http_method == "GET").unwrap();
    assert_eq!(get.api_key_required, Some(true));
    assert_eq!(get.authorization_type.as_deref(), Some("NONE"));
    assert_eq!(get.request_validator_id.as_deref(), Some("params"));
    assert_eq!(
        get.request_parameters,
        map(&[("method.request.path.petId", true)])
    );
    assert_eq!(
        get.method_responses["200"].response_parameters,
        map(&[("method.response.header.Access-Control-Allow-Origin", false)])
    );
    assert_eq!(
        get.method_responses["200"].response_models,
        map(&[("application/json", "Pet".to_string())])
    );
    let i = get.method_integration.as_ref().unwrap();
    assert_eq!(i.integration_type.as_deref(), Some("HTTP"));
    assert_eq!(i.passthrough_behavior.as_deref(), Some("WHEN_NO_MATCH"));
    assert_eq!(i.integration_responses["200"].selection_pattern, None);
    let any = api.methods.iter().find(|m| m.http_method == "ANY").unwrap();
    assert_eq!(any.path, "/{proxy+}");
    assert_eq!(
        any.method_integration
            .as_ref()
            .unwrap()
            .integration_type
            .as_deref(),
        Some("AWS_PROXY")
    );
    assert_eq!(api.models[0].name, "Pet");
    assert_eq!(
        api.models[0].content_type.as_deref(),
        Some("application/json")
    );
    // The api_key scheme is not an authorizer.
    assert!(api.authorizers.is_empty());
    // Written again, it says the same.
    assert_eq!(from_document(&to_document(&api).unwrap()).unwrap(), api);
}

#[test]
fn only_openapi_3_is_read() {
    let err = from_document(&json!({"swagger": "2.0", "info": {"title": "x"}})).unwrap_err();
    assert!(err.to_string().contains("oas30"), "{err}");
    let err = from_document(&json!({"openapi": "3.0.1", "info": {}})).unwrap_err();
    assert!(err.to_string().contains("title"), "{err}");
}
