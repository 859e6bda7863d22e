//! Fast restore against moto: a REST API whose call-by-call restore the quotas hold back is
//! imported whole (CreateRestApi, then PutRestApi overwrite), reconciled call by call, and
//! verified; an HTTP API the same way (CreateApi, then ReimportApi); an import the target
//! refuses falls back to call by call and says why.

use aws_sdk_apigateway::types::IntegrationType;
use shared::pacing::Pacer;
use shared::pipeline::{SnapshotJob, snapshot};
use shared::restore::{self, Outcome, RestoreOptions};
use tests::{Account, Env, acquire};

use crate::quiet;

const SOURCE: &str = "us-east-1";
const TARGET: &str = "us-west-2";

/// A REST API of `n` resources, each with a GET method without method responses on an
/// HTTP_PROXY integration (what moto's import takes: its document validation wants a response
/// per operation, which the document's `default` one gives); with `mock`, the first method's
/// integration is MOCK instead (what moto's import refuses without a uri).
pub(crate) async fn bulk_api(env: &Env, name: &str, n: usize, mock: bool) -> String {
    let c = aws_sdk_apigateway::Client::new(&env.sdk(SOURCE, Account::A).await);
    let api = c
        .create_rest_api()
        .name(name)
        .description("bulk")
        .send()
        .await
        .unwrap();
    let id = api.id().unwrap().to_string();
    let root = c
        .get_resources()
        .rest_api_id(&id)
        .send()
        .await
        .unwrap()
        .items()[0]
        .id()
        .unwrap()
        .to_string();
    for i in 0..n {
        let r = c
            .create_resource()
            .rest_api_id(&id)
            .parent_id(&root)
            .path_part(format!("r{i:03}"))
            .send()
            .await
            .unwrap();
        let rid = r.id().unwrap();
        c.put_method()
            .rest_api_id(&id)
            .resource_id(rid)
            .http_method("GET")
            .authorization_type("NONE")
            .send()
            .await
            .unwrap();
        let put = c
            .put_integration()
            .rest_api_id(&id)
            .resource_id(rid)
            .http_method("GET");
        let put = if mock && i == 0 {
            put.r#type(IntegrationType::Mock)
        } else {
            put.r#type(IntegrationType::HttpProxy)
                .integration_http_method("GET")
                .uri(format!("https://backend.example.com/r{i:03}"))
        };
        put.send().await.unwrap();
    }
    id
}

/// Takes a point of `name` and restores it into account B, us-west-2: the plan, then the
/// report.
async fn restore_once(env: &Env, name: &str) -> (restore::Plan, restore::RestoreReport) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let (store, catalog) = shared::location::open(&url, None, None).await.unwrap();
    let source = env.sdk(SOURCE, Account::A).await;
    let job = SnapshotJob {
        select: vec![name.into()],
        label: None,
        trigger: "test".into(),
        retention_days: 30,
        include: vec![],
        exclude: vec![],
    };
    let sealer = tests::sealer(&store);
    let out = snapshot(&source, &store, &catalog, &sealer, &job, &quiet)
        .await
        .unwrap();
    let (_, snap) = shared::point::load(&store, &out.report.record.id)
        .await
        .unwrap();
    let target = env.sdk(TARGET, Account::B).await;
    let opts = RestoreOptions {
        sealer: Some(std::sync::Arc::new(sealer)),
        ..Default::default()
    };
    let point = &out.report.record.id;
    let pacer = Pacer::default();
    let plan_now = || restore::plan(point, &snap, &target, &opts, &pacer);
    let plan = plan_now().await.unwrap();
    let report = restore::apply(&plan, &target, None, &quiet).await.unwrap();
    // Planned again: nothing is left to do, whichever path ran.
    let again = plan_now().await.unwrap();
    assert!(again.apis[0].steps.is_empty(), "{:#?}", again.apis[0].steps);
    assert_eq!(again.apis[0].path.why, "nothing to change");
    (plan, report)
}

#[tokio::test]
async fn a_large_rest_api_is_imported_whole_then_reconciled_and_verified() {
    let env = acquire().await;
    bulk_api(&env, "bulk", 40, false).await;
    let (plan, report) = restore_once(&env, "bulk").await;
    let p = &plan.apis[0];
    assert!(p.path.import, "{:?}", p.path);
    let by_import = p.path.by_import.as_ref().unwrap();
    assert!(by_import.seconds < p.path.by_calls.seconds, "{:?}", p.path);
    assert_eq!(p.calls["PutRestApi"], 1);
    assert_eq!(p.calls["CreateRestApi"], 1);
    assert!(!p.calls.contains_key("CreateResource"), "{:?}", p.calls);
    let a = &report.apis[0];
    assert_eq!(a.path, "import", "{:?}", a.notes);
    assert_eq!(report.outcome, Outcome::Succeeded, "{a:#?}");
    assert!(a.failed.is_empty() && a.remaining.is_empty(), "{a:#?}");
    // The create, the import, and the reconcile of what moto's import drops (each method's
    // authorization: one PutMethod each), but no call per resource or integration: fewer
    // writes than call by call would have made.
    assert_eq!(a.reconciled, 40, "{a:#?}");
    assert_eq!(a.applied, 42, "{a:#?}");
    assert!(a.applied < p.path.by_calls.calls, "{a:#?} {:?}", p.path);
}

#[tokio::test]
async fn an_import_the_target_refuses_falls_back_to_call_by_call_and_says_why() {
    let env = acquire().await;
    bulk_api(&env, "bulk", 40, true).await;
    let (plan, report) = restore_once(&env, "bulk").await;
    assert!(plan.apis[0].path.import, "{:?}", plan.apis[0].path);
    let a = &report.apis[0];
    assert_eq!(a.path, "call by call");
    assert!(
        a.notes
            .iter()
            .any(|n| n.starts_with("not imported (") && n.contains("PutRestApi")),
        "{:?}",
        a.notes
    );
    assert_eq!(report.outcome, Outcome::Succeeded, "{a:#?}");
    assert!(a.failed.is_empty() && a.remaining.is_empty(), "{a:#?}");
}

/// An HTTP API of `n` routes `GET /rNNN`, each on an HTTP_PROXY integration of its own. Each
/// integration says its connection type (AWS reports INTERNET for one anyway) and has a
/// description: moto's import gives every integration a description of its own, which the
/// reconcile's UpdateIntegration replaces but cannot take away (an update leaves out what it
/// is not given).
async fn bulk_http_api(env: &Env, name: &str, n: usize) -> String {
    use aws_sdk_apigatewayv2::types::{ConnectionType, IntegrationType, ProtocolType};
    let c = aws_sdk_apigatewayv2::Client::new(&env.sdk(SOURCE, Account::A).await);
    let api = c
        .create_api()
        .name(name)
        .protocol_type(ProtocolType::Http)
        .description("bulk")
        .send()
        .await
        .unwrap();
    let id = api.api_id().unwrap().to_string();
    for i in 0..n {
        let integration = c
            .create_integration()
            .api_id(&id)
            .integration_type(IntegrationType::HttpProxy)
            .integration_method("GET")
            .integration_uri(format!("https://backend.example.com/r{i:03}"))
            .payload_format_version("1.0")
            .connection_type(ConnectionType::Internet)
            .description(format!("backend r{i:03}"))
            .send()
            .await
            .unwrap();
        c.create_route()
            .api_id(&id)
            .route_key(format!("GET /r{i:03}"))
            .target(format!(
                "integrations/{}",
                integration.integration_id().unwrap()
            ))
            .send()
            .await
            .unwrap();
    }
    id
}

#[tokio::test]
async fn a_large_http_api_is_reimported_whole_then_reconciled_and_verified() {
    let env = acquire().await;
    bulk_http_api(&env, "bulk-http", 40).await;
    let (plan, report) = restore_once(&env, "bulk-http").await;
    let p = &plan.apis[0];
    assert_eq!(p.protocol, "HTTP");
    assert!(p.path.import, "{:?}", p.path);
    assert_eq!(p.calls["CreateApi"], 1);
    assert_eq!(p.calls["ReimportApi"], 1);
    assert!(!p.calls.contains_key("CreateRoute"), "{:?}", p.calls);
    assert!(!p.calls.contains_key("CreateIntegration"), "{:?}", p.calls);
    let a = &report.apis[0];
    assert_eq!(a.path, "import", "{:?}", a.notes);
    assert_eq!(report.outcome, Outcome::Succeeded, "{a:#?}");
    assert!(a.failed.is_empty() && a.remaining.is_empty(), "{a:#?}");
    // The create and the import, then the reconcile of what moto's import makes otherwise:
    // every integration (a description of its own) and every route. Against moto that is one
    // call more than call by call; the plan, by what the document carries, counted fewer.
    eprintln!(
        "HTTP import against moto: {} calls applied, {} reconciled; planned for AWS: {:?}; call by call: {} calls",
        a.applied, a.reconciled, p.path.by_import, p.path.by_calls.calls
    );
    let by_import = p.path.by_import.as_ref().unwrap();
    assert!(by_import.calls < p.path.by_calls.calls, "{:?}", p.path);
    assert_eq!(a.reconciled, 80, "{a:#?}");
    assert_eq!(a.applied, 82, "{a:#?}");
}
