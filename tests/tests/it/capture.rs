//! Capture against moto: every v1 type of the sample API, two Regions, two accounts.

use serde_json::Value;
use shared::capture::{apigateway_client, capture_rest_apis};
use shared::pacing::Pacer;
use tests::{Account, acquire, fixtures};

use crate::quiet;

fn kinds(entries: &[shared::model::Entry]) -> std::collections::BTreeMap<String, u64> {
    shared::model::Snapshot::counts(entries)
}

#[tokio::test]
async fn sample_api_is_captured_whole_in_few_calls() {
    let env = acquire().await;
    let sdk = env.sdk("us-east-1", Account::A).await;
    let api = fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&sdk), "pets")
        .await
        .unwrap();
    let pacer = Pacer::default();
    let apis = capture_rest_apis(&apigateway_client(&sdk), &pacer, &[], &quiet)
        .await
        .unwrap();
    assert_eq!(apis.len(), 1);
    assert!(pacer.total_calls() <= 10, "{:?}", pacer.calls());
    let snap = &apis[0];
    let v: Value = serde_json::to_value(snap).unwrap();

    assert_eq!(v["api"]["id"], api.api_id.as_str());
    assert_eq!(v["api"]["name"], "pets");
    assert!(
        v["api"]["tags"].as_object().is_some_and(|t| !t.is_empty()),
        "tags: {}",
        v["api"]
    );
    assert!(
        v["api"]["policy"]
            .as_str()
            .is_some_and(|p| p.contains("execute-api")),
        "{}",
        v["api"]
    );

    let paths: Vec<&str> = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["path"].as_str())
        .collect();
    for p in ["/", "/pets", "/pets/{id}", "/{proxy+}", "/orders"] {
        assert!(paths.contains(&p), "{p} in {paths:?}");
    }
    let methods = v["methods"].as_array().unwrap();
    assert_eq!(methods.len(), api.methods.len());
    let types: std::collections::BTreeSet<&str> = methods
        .iter()
        .filter_map(|m| m["methodIntegration"]["type"].as_str())
        .collect();
    for t in ["MOCK", "HTTP", "HTTP_PROXY", "AWS_PROXY", "AWS"] {
        assert!(types.contains(t), "{t} in {types:?}");
    }
    assert!(
        methods.iter().any(|m| m["methodResponses"]
            .as_object()
            .is_some_and(|r| !r.is_empty())
            && m["methodIntegration"]["integrationResponses"]
                .as_object()
                .is_some_and(|r| !r.is_empty())),
        "method and integration responses are embedded"
    );
    let auth_types: std::collections::BTreeSet<&str> = v["authorizers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["type"].as_str())
        .collect();
    assert_eq!(
        auth_types,
        ["COGNITO_USER_POOLS", "REQUEST", "TOKEN"].into()
    );
    assert!(!v["models"].as_array().unwrap().is_empty());
    assert_eq!(v["requestValidators"].as_array().unwrap().len(), 1);
    assert!(
        v["gatewayResponses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["defaultResponse"] != true)
    );
    assert!(
        v["deployments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == api.deployment_id.as_str())
    );

    let stages = v["stages"].as_array().unwrap();
    let names: Vec<&str> = stages
        .iter()
        .filter_map(|s| s["stageName"].as_str())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let prod = stages.iter().find(|s| s["stageName"] == "prod").unwrap();
    assert_eq!(prod["deploymentId"], api.deployment_id.as_str());
    assert!(
        prod["variables"].as_object().is_some_and(|m| !m.is_empty()),
        "{prod}"
    );
    assert!(
        prod["methodSettings"]
            .as_object()
            .is_some_and(|m| !m.is_empty()),
        "{prod}"
    );
    assert!(
        prod["accessLogSettings"]["destinationArn"].is_string(),
        "{prod}"
    );
    assert_eq!(prod["tracingEnabled"], true);

    let mut entries = vec![];
    snap.explode(&mut entries).unwrap();
    let k = kinds(&entries);
    for kind in [
        "RestApi",
        "Resource",
        "Method",
        "Authorizer",
        "Model",
        "RequestValidator",
        "GatewayResponse",
        "Deployment",
        "Stage",
    ] {
        assert!(k.get(kind).copied().unwrap_or(0) > 0, "{kind} in {k:?}");
    }
}

#[tokio::test]
async fn accounts_and_regions_are_separate_sources() {
    let env = acquire().await;
    let a_east = env.sdk("us-east-1", Account::A).await;
    let b_west = env.sdk("us-west-2", Account::B).await;
    let a_west = env.sdk("us-west-2", Account::A).await;
    fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&a_east), "in-a-east")
        .await
        .unwrap();
    fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&b_west), "in-b-west")
        .await
        .unwrap();

    let who = shared::awsconf::whoami(&b_west).await.unwrap();
    assert_eq!(
        (who.account.as_str(), who.region.as_str()),
        (tests::ACCOUNT_B, "us-west-2")
    );
    assert_eq!(who.partition, "aws");

    let names = |apis: Vec<shared::model::v1::RestApiSnapshot>| -> Vec<String> {
        apis.into_iter().map(|a| a.api.name).collect()
    };
    let pacer = Pacer::default();
    let got = |sdk| {
        let pacer = &pacer;
        async move {
            capture_rest_apis(&apigateway_client(&sdk), pacer, &[], &quiet)
                .await
                .unwrap()
        }
    };
    assert_eq!(names(got(a_east.clone()).await), ["in-a-east"]);
    assert_eq!(names(got(b_west.clone()).await), ["in-b-west"]);
    assert!(
        got(a_west).await.is_empty(),
        "account A has nothing in us-west-2"
    );

    // A role ARN given by the user (as --role-arn does) reaches account B.
    let base = env.sdk("us-east-1", Account::A).await;
    let assumed =
        shared::awsconf::derive(&base, Some("us-west-2"), Some(&tests::role_arn(Account::B)))
            .await
            .unwrap();
    assert_eq!(
        shared::awsconf::whoami(&assumed).await.unwrap().account,
        tests::ACCOUNT_B
    );
    assert_eq!(names(got(assumed).await), ["in-b-west"]);
}

#[tokio::test]
async fn unknown_selection_is_a_clear_error() {
    let env = acquire().await;
    let sdk = env.sdk("us-east-1", Account::A).await;
    fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&sdk), "orders")
        .await
        .unwrap();
    let e = capture_rest_apis(
        &apigateway_client(&sdk),
        &Pacer::default(),
        &["nope".into()],
        &quiet,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, shared::Error::NotFound(_)), "{e}");
    assert!(e.to_string().contains("nope"), "{e}");
}
