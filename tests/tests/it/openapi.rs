//! The definition document (`shared::openapi`) over the project's fixtures. The fixtures exist
//! as builders in the local AWS: each is built and captured, then written as one document and
//! read back with no AWS involved. One test imports the sample's document into the local AWS.

use aws_sdk_apigateway::primitives::Blob;
use serde_json::Value;
use shared::capture::{apigateway_client, capture_rest_apis};
use shared::model::v1::RestApiSnapshot;
use shared::openapi::rest;
use shared::pacing::Pacer;
use tests::{Account, acquire, fixtures};

use crate::quiet;

async fn capture(sdk: &aws_config::SdkConfig) -> Vec<RestApiSnapshot> {
    capture_rest_apis(&apigateway_client(sdk), &Pacer::default(), &[], &quiet)
        .await
        .unwrap()
}

/// JSON pointers where `a` and `b` differ (values left out: they are configuration, and the
/// report only needs where).
fn differences(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (l, r) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                differences(l, r, format!("{at}/{k}"), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (l, r)) in x.iter().zip(y).enumerate() {
                differences(l, r, format!("{at}/{i}"), out);
            }
        }
        _ if a != b => out.push(at),
        _ => {}
    }
}

fn diff(a: &RestApiSnapshot, b: &RestApiSnapshot) -> Vec<String> {
    let mut out = Vec::new();
    let (a, b) = (
        serde_json::to_value(a).unwrap(),
        serde_json::to_value(b).unwrap(),
    );
    differences(&a, &b, String::new(), &mut out);
    out
}

#[tokio::test]
async fn sample_api_round_trips_through_its_document() {
    let env = acquire().await;
    let sdk = env.sdk("us-east-1", Account::A).await;
    let sample = fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&sdk), "pets")
        .await
        .unwrap();
    let apis = capture(&sdk).await;
    let api = &apis[0];

    let doc = rest::to_document(api).unwrap();
    let back = rest::from_document(&doc).unwrap();
    let expected = rest::carried(api);
    assert_eq!(diff(&back, &expected), Vec::<String>::new());
    assert_eq!(back, expected);

    // What the sample sets is in the document, under the names it was made with.
    let methods: Vec<(String, String)> = back
        .methods
        .iter()
        .map(|m| (m.path.clone(), m.http_method.clone()))
        .collect();
    assert_eq!(methods, sample.methods);
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    for name in [
        "token-auth",
        "request-auth",
        "cognito-auth",
        "api_key",
        "sigv4",
    ] {
        assert!(schemes.contains_key(name), "{name}");
    }
    let get_pet = &doc["paths"]["/pets/{id}"]["get"];
    assert_eq!(get_pet["operationId"], "GetPet");
    assert_eq!(
        get_pet["security"],
        serde_json::json!([{"request-auth": [], "api_key": []}])
    );
    assert_eq!(
        doc["paths"]["/pets"]["post"]["security"],
        serde_json::json!([{"cognito-auth": ["pets/write"]}])
    );
    assert!(doc["x-amazon-apigateway-policy"].is_object());
    assert_eq!(doc["x-amazon-apigateway-minimum-compression-size"], 1024);
    // The sample's stages, deployment and tags are what the import leaves to other calls.
    assert!(!api.stages.is_empty() && back.stages.is_empty());
    assert!(!api.api.tags.is_empty() && back.api.tags.is_empty());
    eprintln!("sample REST API document: {} bytes", rest::size(&doc));
}

#[tokio::test]
async fn big_api_round_trips_and_fits_one_import() {
    let env = acquire().await;
    let sdk = env.sdk("us-east-1", Account::A).await;
    let client = aws_sdk_apigateway::Client::new(&sdk);
    let big = fixtures::big_rest_api(&client, "big", 300, 2)
        .await
        .unwrap();
    let apis = capture(&sdk).await;
    let api = &apis[0];
    assert_eq!(api.methods.len(), big.methods);

    let doc = rest::to_document(api).unwrap();
    assert_eq!(rest::from_document(&doc).unwrap(), rest::carried(api));
    let size = rest::size(&doc);
    assert!(rest::fits(&doc), "{size} bytes");
    eprintln!(
        "big REST API ({} resources, {} methods) document: {size} bytes ({:.1}% of the {} byte limit)",
        big.resources,
        big.methods,
        100.0 * size as f64 / rest::LIMIT as f64,
        rest::LIMIT
    );
}

/// ImportRestApi (failOnWarnings) of the sample's document into the local AWS, then what it
/// kept, read back with capture. moto's limits (docs: moto-notes): a MOCK integration needs a
/// uri, authorizers are dropped, methods are made bare.
#[tokio::test]
async fn the_local_aws_imports_the_sample_document() {
    let env = acquire().await;
    let sdk = env.sdk("us-east-1", Account::A).await;
    let client = aws_sdk_apigateway::Client::new(&sdk);
    fixtures::sample_rest_api(&client, "pets").await.unwrap();
    let source = capture(&sdk).await.remove(0);
    let mut doc = rest::to_document(&source).unwrap();

    let import = |doc: Value| {
        client
            .import_rest_api()
            .fail_on_warnings(true)
            .parameters("endpointConfigurationTypes", "REGIONAL")
            .body(Blob::new(serde_json::to_vec(&doc).unwrap()))
            .send()
    };
    // moto refuses a MOCK integration without a uri and an HTTP method (AWS takes it): give
    // it both.
    let first = import(doc.clone()).await;
    eprintln!(
        "moto import of the document as made: {}",
        match &first {
            Ok(_) => "accepted".to_string(),
            Err(e) => shared::awsconf::said(e),
        }
    );
    let mock = "/paths/~1pets/get/x-amazon-apigateway-integration";
    doc.pointer_mut(mock).unwrap()["uri"] = "http://mock.invalid".into();
    doc.pointer_mut(mock).unwrap()["httpMethod"] = "POST".into();
    let imported = match first {
        Ok(out) => out,
        Err(_) => import(doc.clone())
            .await
            .map_err(|e| shared::awsconf::said(&e))
            .unwrap(),
    };
    let id = imported.id().unwrap().to_string();
    let mut after = capture(&sdk).await;
    after.retain(|a| a.api.id == id);
    let target = after.remove(0);

    let (want, got) = (rest::carried(&source), rest::carried(&target));
    let lost = diff(&got, &want);
    eprintln!(
        "moto import: {} differences from the source ({} of {} models kept):",
        lost.len(),
        got.models.len(),
        want.models.len()
    );
    for d in &lost {
        eprintln!("  {d}");
    }
    // What moto keeps: the name and description, every resource, every method with its
    // integration (uri, credentials, templates, request parameters) and integration responses.
    assert_eq!(got.api.name, want.api.name);
    assert_eq!(got.api.description, want.api.description);
    assert_eq!(got.resources, want.resources);
    // moto takes the verb key as it is: ANY comes back as X-AMAZON-APIGATEWAY-ANY-METHOD.
    let key = |m: &shared::model::v1::Method| (m.path.clone(), m.http_method.clone());
    let moto_key = |m: &shared::model::v1::Method| {
        let verb = match m.http_method.as_str() {
            "ANY" => "X-AMAZON-APIGATEWAY-ANY-METHOD".to_string(),
            v => v.to_string(),
        };
        (m.path.clone(), verb)
    };
    assert_eq!(
        got.methods.iter().map(key).collect::<Vec<_>>(),
        want.methods.iter().map(moto_key).collect::<Vec<_>>()
    );
    // What it drops (the reconcile step's work there): authorizers, models, validators,
    // gateway responses, the policy, and a method's authorization, parameters and name.
    assert!(got.authorizers.is_empty() && !want.authorizers.is_empty());
    assert!(got.request_validators.is_empty() && got.gateway_responses.is_empty());
    assert!(got.models.is_empty() && !want.models.is_empty());
    assert!(got.api.policy.is_none() && want.api.policy.is_some());
    assert!(got.methods.iter().all(|m| m.operation_name.is_none()));
    for (g, w) in got.methods.iter().zip(&want.methods) {
        let (gi, wi) = (
            g.method_integration.clone().unwrap(),
            w.method_integration.clone().unwrap(),
        );
        if wi.integration_type.as_deref() != Some("MOCK") {
            assert_eq!(gi.uri, wi.uri, "{} {}", w.http_method, w.path);
        }
        assert_eq!(gi.credentials, wi.credentials);
        assert_eq!(gi.request_templates, wi.request_templates);
        assert_eq!(gi.request_parameters, wi.request_parameters);
        assert_eq!(
            gi.integration_responses.keys().collect::<Vec<_>>(),
            wi.integration_responses.keys().collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn http_api_round_trips_through_its_document() {
    use shared::openapi::http;
    let env = acquire().await;
    let sdk = env.sdk("us-east-1", Account::A).await;
    let raw = aws_sdk_apigatewayv2::Client::new(&sdk);
    fixtures::http_api(&raw, "orders-http", tests::ACCOUNT_A)
        .await
        .unwrap();
    let client = shared::capture::v2::client(&sdk);
    let apis = shared::capture::v2::capture_apis(&client, &Pacer::default(), &[], &quiet)
        .await
        .unwrap();
    let api = apis.iter().find(|a| a.api.name == "orders-http").unwrap();

    let doc = http::to_document(api).unwrap();
    assert_eq!(http::from_document(&doc).unwrap(), http::carried(api));
    // The fixture's routes, its JWT authorizer with scopes and its CORS are in the document.
    let paths = doc["paths"].as_object().unwrap();
    for p in ["/orders/{id}", "/orders", "$default"] {
        assert!(paths.contains_key(p), "{p}");
    }
    assert_eq!(
        doc["paths"]["/orders/{id}"]["get"]["security"],
        serde_json::json!([{"cognito": ["orders/read"]}])
    );
    assert_eq!(doc["x-amazon-apigateway-cors"]["maxAge"], 300);
    assert_eq!(
        doc["components"]["x-amazon-apigateway-integrations"]
            .as_object()
            .unwrap()
            .len(),
        2
    );
    eprintln!("HTTP API document: {} bytes", http::size(&doc));
}
