//! Capture of HTTP and WebSocket APIs against moto. What moto lacks (GetAuthorizers, GetModels,
//! GetRouteResponses, GetDeployments, paging) is proven at the HTTP layer in
//! shared/src/capture/v2_tests.rs; here those parts are asserted as moto serves them.

use shared::capture::v2::{capture_apis, client, list_apis};
use shared::model::v2::ApiSnapshot;
use shared::model::{Snapshot, Source};
use shared::pacing::Pacer;
use tests::{Account, acquire, fixtures};

use crate::quiet;

fn entries(apis: &[ApiSnapshot]) -> Vec<shared::model::Entry> {
    Snapshot {
        source: source(),
        rest_apis: vec![],
        apis_v2: apis.to_vec(),
        estate: Default::default(),
        gaps: vec![],
    }
    .entries()
    .unwrap()
}

fn source() -> Source {
    Source {
        partition: "aws".into(),
        account: tests::ACCOUNT_A.into(),
        region: "us-east-1".into(),
    }
}

#[tokio::test]
async fn http_and_websocket_apis_are_captured_whole() {
    let env = acquire().await;
    let sdk = env.sdk("us-east-1", Account::A).await;
    let raw = aws_sdk_apigatewayv2::Client::new(&sdk);
    let http = fixtures::http_api(&raw, "orders-http", tests::ACCOUNT_A)
        .await
        .unwrap();
    let ws = fixtures::websocket_api(&raw, "chat", tests::ACCOUNT_A)
        .await
        .unwrap();
    let client = client(&sdk);
    let pacer = Pacer::default();

    let mut listed = list_apis(&client, &pacer).await.unwrap();
    listed.sort();
    let mut want = vec![
        (http.api_id.clone(), http.name.clone(), "HTTP".to_string()),
        (ws.api_id.clone(), ws.name.clone(), "WEBSOCKET".to_string()),
    ];
    want.sort();
    assert_eq!(listed, want);

    let apis = capture_apis(&client, &pacer, &[], &quiet).await.unwrap();
    assert_eq!(apis.len(), 2);
    // Sorted by name: chat, orders-http.
    let (c, h) = (&apis[0], &apis[1]);

    // HTTP API.
    assert_eq!(h.api.api_id, http.api_id);
    assert_eq!(h.api.protocol_type, "HTTP");
    assert_eq!(h.api.description.as_deref(), Some("orders over HTTP"));
    assert_eq!(h.api.tags["team"], "orders");
    let cors = h.api.cors_configuration.as_ref().expect("CORS");
    assert_eq!(cors.allow_origins, ["https://example.com"]);
    assert_eq!(cors.max_age, Some(300));
    let keys: Vec<&str> = h.routes.iter().map(|r| r.route_key.as_str()).collect();
    assert_eq!(keys, http.route_keys);
    let get = h
        .routes
        .iter()
        .find(|r| r.route_key == "GET /orders/{id}")
        .unwrap();
    assert_eq!(get.authorization_type.as_deref(), Some("JWT"));
    assert_eq!(
        get.authorizer_id.as_deref(),
        Some(http.jwt_authorizer_id.as_str())
    );
    assert_eq!(get.authorization_scopes, ["orders/read"]);
    assert_eq!(
        get.target.as_deref(),
        Some(format!("integrations/{}", http.lambda_integration_id).as_str())
    );
    let types: Vec<(&str, Option<&str>)> = h
        .integrations
        .iter()
        .map(|i| (i.integration_id.as_str(), i.integration_type.as_deref()))
        .collect();
    assert!(
        types.contains(&(http.lambda_integration_id.as_str(), Some("AWS_PROXY"))),
        "{types:?}"
    );
    assert!(
        types.contains(&(http.http_integration_id.as_str(), Some("HTTP_PROXY"))),
        "{types:?}"
    );
    // GetAuthorizers is missing in moto: the authorizer the routes name is read by itself.
    assert_eq!(h.authorizers.len(), 1, "{:?}", h.authorizers);
    let jwt = h.authorizers[0].jwt_configuration.as_ref().expect("JWT");
    assert_eq!(jwt.audience, ["orders-client"]);
    assert!(
        jwt.issuer
            .as_deref()
            .unwrap()
            .starts_with("https://cognito-idp.")
    );
    let st = &h.stages[0];
    assert_eq!(st.stage_name, http.stage);
    assert!(st.auto_deploy);
    assert_eq!(st.stage_variables["backend"], "prod");
    assert_eq!(
        st.default_route_settings
            .as_ref()
            .unwrap()
            .throttling_burst_limit,
        Some(100)
    );
    assert_eq!(
        st.route_settings["GET /orders/{id}"].throttling_rate_limit,
        Some(5.0)
    );
    assert!(
        st.access_log_settings
            .as_ref()
            .and_then(|a| a.destination_arn.as_deref())
            .is_some_and(|a| a.contains("orders-access"))
    );
    // moto gap: GetDeployments answers 404, so deployments read as none.
    assert!(h.deployments.is_empty());

    // WebSocket API.
    assert_eq!(c.api.api_id, ws.api_id);
    assert_eq!(c.api.protocol_type, "WEBSOCKET");
    assert_eq!(
        c.api.route_selection_expression.as_deref(),
        Some("$request.body.action")
    );
    let keys: Vec<&str> = c.routes.iter().map(|r| r.route_key.as_str()).collect();
    assert_eq!(keys, ws.route_keys);
    let connect = &c.routes[0];
    assert_eq!(connect.authorization_type.as_deref(), Some("CUSTOM"));
    assert!(connect.api_key_required);
    assert_eq!(c.authorizers.len(), 1);
    assert_eq!(c.authorizers[0].authorizer_type.as_deref(), Some("REQUEST"));
    assert_eq!(c.authorizers[0].authorizer_id, ws.request_authorizer_id);
    assert_eq!(c.integrations.len(), 3);
    for i in &c.integrations {
        assert!(ws.integration_ids.contains(&i.integration_id));
        assert!(
            i.integration_responses.contains_key("$default"),
            "integration responses are read: {i:?}"
        );
    }
    // moto gaps: GetRouteResponses and GetModels answer 500, so they read as none.
    assert!(c.routes.iter().all(|r| r.route_responses.is_empty()));
    assert!(c.models.is_empty());
    assert_eq!(c.stages[0].stage_name, ws.stage);
    assert_eq!(
        c.stages[0]
            .default_route_settings
            .as_ref()
            .unwrap()
            .logging_level
            .as_deref(),
        Some("INFO")
    );
    let calls = pacer.calls();
    assert_eq!(calls["GetRouteResponses"], 3, "{calls:?}");
    assert_eq!(calls["GetIntegrationResponses"], 3, "{calls:?}");

    // Entries: every kind, and back again.
    let e = entries(&apis);
    let kinds = Snapshot::counts(&e);
    for kind in ["Api", "Route", "Integration", "AuthorizerV2", "StageV2"] {
        assert!(
            kinds.get(kind).copied().unwrap_or(0) > 0,
            "{kind} in {kinds:?}"
        );
    }
    assert!(
        e.iter()
            .any(|x| x.id == "integration:orders-http:GET /orders/{id}")
    );
    assert!(e.iter().any(|x| x.id == "integration:orders-http:$default"));
    assert!(e.iter().any(|x| x.id == "route:chat:$connect"));
    let back = Snapshot::from_entries(source(), e.clone()).unwrap();
    assert_eq!(back.apis_v2, apis);
    assert!(back.rest_apis.is_empty());

    // A second capture of the unchanged APIs gives the same objects.
    let again = capture_apis(&client, &Pacer::default(), &[], &quiet)
        .await
        .unwrap();
    assert_eq!(entries(&again), e);
}

#[tokio::test]
async fn selection_and_unknown_names() {
    let env = acquire().await;
    let sdk = env.sdk("us-east-1", Account::A).await;
    let raw = aws_sdk_apigatewayv2::Client::new(&sdk);
    let http = fixtures::http_api(&raw, "orders-http", tests::ACCOUNT_A)
        .await
        .unwrap();
    fixtures::websocket_api(&raw, "chat", tests::ACCOUNT_A)
        .await
        .unwrap();
    let client = client(&sdk);
    let got = capture_apis(
        &client,
        &Pacer::default(),
        std::slice::from_ref(&http.api_id),
        &quiet,
    )
    .await
    .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].api.name, "orders-http");
    let e = capture_apis(&client, &Pacer::default(), &["nope".into()], &quiet)
        .await
        .unwrap_err();
    assert!(matches!(e, shared::Error::NotFound(_)), "{e}");
    assert!(e.to_string().contains("nope"), "{e}");
}
