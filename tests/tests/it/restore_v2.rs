//! Restore of HTTP and WebSocket APIs against moto: account A / us-east-1 into account B /
//! us-west-2 with JWT issuers and audiences translated through the mapping file, then again
//! with nothing left to do.

use shared::jobs::{self, JobRecord, JobRequest, Phase};
use shared::pacing::Pacer;
use tests::{Account, acquire, fixtures};

use crate::quiet;

const SOURCE: &str = "us-east-1";
const TARGET: &str = "us-west-2";

const MAPPING: &str = r#"
[cognito_user_pools]
"us-east-1_orders" = "us-west-2_ordersB"

[cognito_clients]
"orders-client" = "orders-client-b"
"#;

/// Every difference verify left that nothing explains.
fn unexplained(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["apis"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["remaining"].as_array().unwrap().clone())
        .filter(|d| d.get("explained").is_none())
        .collect()
}

#[tokio::test]
async fn http_and_websocket_apis_restore_translated_into_another_account_and_region() {
    let env = acquire().await;
    let (_dir, store, catalog) = tests::local_store().await;
    let source = env.sdk(SOURCE, Account::A).await;
    let v2 = aws_sdk_apigatewayv2::Client::new(&source);
    let http = fixtures::http_api(&v2, "orders-http", tests::ACCOUNT_A)
        .await
        .unwrap();
    let ws = fixtures::websocket_api(&v2, "chat", tests::ACCOUNT_A)
        .await
        .unwrap();
    let point = tests::take_point(&source, &store, &catalog, &[&http.name, &ws.name]).await;
    let request = JobRequest {
        point: point.clone(),
        to_region: Some(TARGET.into()),
        mapping: Some(MAPPING.into()),
        mapping_format: Some("toml".into()),
        ..Default::default()
    };
    let target = env.sdk(TARGET, Account::B).await;

    // The plan names both APIs and writes nothing.
    let plan = jobs::plan_for(&store, &catalog, &request, &target)
        .await
        .unwrap();
    let kinds: Vec<(&str, &str)> = plan
        .apis
        .iter()
        .map(|a| (a.protocol.as_str(), a.action))
        .collect();
    assert_eq!(kinds, [("WEBSOCKET", "create"), ("HTTP", "create")]);
    assert!(plan.unsupported.is_empty(), "{:?}", plan.unsupported);
    let rewrites = plan.apis[1].rewrites.join("\n");
    assert!(
        rewrites.contains("us-west-2_ordersB") && rewrites.contains("orders-client-b"),
        "{rewrites}"
    );

    let mut job = JobRecord::new(request.clone(), "test");
    jobs::run(&store, &catalog, &mut job, &target, &quiet)
        .await
        .unwrap();
    let report = serde_json::to_value(job.report.clone().unwrap()).unwrap();
    assert!(unexplained(&report).is_empty(), "{report:#}");
    for a in report["apis"].as_array().unwrap() {
        assert!(a["failed"].as_array().unwrap().is_empty(), "{report:#}");
    }
    assert_eq!(job.phase, Phase::Succeeded, "{report:#}");

    // The target holds both, translated for account B in us-west-2.
    let client = shared::capture::v2::client(&target);
    let copies = shared::capture::v2::capture_apis(&client, &Pacer::default(), &[], &quiet)
        .await
        .unwrap();
    assert_eq!(copies.len(), 2);
    let copy = copies.iter().find(|a| a.api.name == "orders-http").unwrap();
    assert_eq!(copy.api.protocol_type, "HTTP");
    assert_eq!(
        copy.routes
            .iter()
            .map(|r| r.route_key.clone())
            .collect::<Vec<_>>(),
        http.route_keys
    );
    let jwt = copy.authorizers[0].jwt_configuration.as_ref().unwrap();
    assert_eq!(
        jwt.issuer.as_deref(),
        Some("https://cognito-idp.us-west-2.amazonaws.com/us-west-2_ordersB")
    );
    assert_eq!(jwt.audience, ["orders-client-b"]);
    let get = copy
        .routes
        .iter()
        .find(|r| r.route_key == "GET /orders/{id}")
        .unwrap();
    assert_eq!(
        get.authorizer_id.as_deref(),
        Some(copy.authorizers[0].authorizer_id.as_str())
    );
    let lambda = copy
        .integrations
        .iter()
        .find(|i| Some(&i.integration_id) == get.integration_id().map(String::from).as_ref())
        .unwrap();
    assert_eq!(
        lambda.integration_uri.as_deref(),
        Some(
            format!(
                "arn:aws:lambda:{TARGET}:{}:function:orders",
                tests::ACCOUNT_B
            )
            .as_str()
        )
    );
    let prod = &copy.stages[0];
    assert!(prod.auto_deploy);
    assert_eq!(
        prod.route_settings["GET /orders/{id}"].throttling_burst_limit,
        Some(10)
    );
    assert!(
        prod.access_log_settings
            .as_ref()
            .and_then(|l| l.destination_arn.as_deref())
            .is_some_and(|a| a.contains(TARGET) && a.contains(tests::ACCOUNT_B))
    );
    let chat = copies.iter().find(|a| a.api.name == "chat").unwrap();
    assert_eq!(chat.routes.len(), ws.route_keys.len());
    let connect = chat
        .routes
        .iter()
        .find(|r| r.route_key == "$connect")
        .unwrap();
    assert!(connect.api_key_required);
    assert_eq!(
        chat.api.route_selection_expression.as_deref(),
        Some("$request.body.action")
    );
    for r in &chat.routes {
        let i = r.integration_id().unwrap();
        let i = chat
            .integrations
            .iter()
            .find(|x| x.integration_id == i)
            .unwrap();
        let uri = i.integration_uri.as_deref().unwrap();
        assert!(
            uri.contains(TARGET) && uri.contains(tests::ACCOUNT_B),
            "{uri}"
        );
    }

    // A second run finds nothing to do and creates nothing twice.
    let plan = jobs::plan_for(&store, &catalog, &request, &target)
        .await
        .unwrap();
    for a in &plan.apis {
        assert_eq!(a.action, "update");
        assert!(a.steps.is_empty(), "{:#?}", a.steps);
    }
    let mut again = JobRecord::new(request, "test");
    jobs::run(&store, &catalog, &mut again, &target, &quiet)
        .await
        .unwrap();
    assert_eq!(again.phase, Phase::Succeeded);
    let after = shared::capture::v2::list_apis(&client, &Pacer::default())
        .await
        .unwrap();
    assert_eq!(after.len(), 2);
}

#[tokio::test]
async fn a_foreign_http_api_of_the_same_name_is_refused() {
    let env = acquire().await;
    let (_dir, store, catalog) = tests::local_store().await;
    let source = env.sdk(SOURCE, Account::A).await;
    fixtures::http_api(
        &aws_sdk_apigatewayv2::Client::new(&source),
        "orders-http",
        tests::ACCOUNT_A,
    )
    .await
    .unwrap();
    let point = tests::take_point(&source, &store, &catalog, &["orders-http"]).await;
    let target = env.sdk(TARGET, Account::B).await;
    aws_sdk_apigatewayv2::Client::new(&target)
        .create_api()
        .name("orders-http")
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .send()
        .await
        .unwrap();
    let request = JobRequest {
        point,
        to_region: Some(TARGET.into()),
        mapping: Some(MAPPING.into()),
        mapping_format: Some("toml".into()),
        ..Default::default()
    };
    let err = jobs::plan_for(&store, &catalog, &request, &target)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already has an HTTP API named 'orders-http'") && err.contains("--replace"),
        "{err}"
    );
}

#[tokio::test]
async fn diff_against_live_shows_a_changed_route_of_an_http_api() {
    let env = acquire().await;
    let (_dir, store, catalog) = tests::local_store().await;
    let source = env.sdk(SOURCE, Account::A).await;
    let v2 = aws_sdk_apigatewayv2::Client::new(&source);
    let http = fixtures::http_api(&v2, "orders-http", tests::ACCOUNT_A)
        .await
        .unwrap();
    let point = tests::take_point(&source, &store, &catalog, &["orders-http"]).await;
    let (_, snap) = shared::point::load(&store, &point).await.unwrap();
    let same = shared::restore::diff(&snap, None, Some(&source))
        .await
        .unwrap();
    assert_eq!(same.len(), 1);
    assert!(same[0].1.is_empty(), "{:#?}", same[0].1);

    let routes = v2.get_routes().api_id(&http.api_id).send().await.unwrap();
    let post = routes
        .items()
        .iter()
        .find(|r| r.route_key() == Some("POST /orders"))
        .unwrap();
    v2.update_route()
        .api_id(&http.api_id)
        .route_id(post.route_id().unwrap())
        .operation_name("CreateOrder")
        .send()
        .await
        .unwrap();
    let changed = shared::restore::diff(&snap, None, Some(&source))
        .await
        .unwrap();
    let d = &changed[0].1;
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(
        (d[0].kind.as_str(), d[0].key.as_str()),
        ("Route", "POST /orders")
    );
}
