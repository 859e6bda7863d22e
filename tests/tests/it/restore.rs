//! Restore against moto: account A / us-east-1 into account B / us-west-2, dry run, resume
//! after a partial apply, refusal of a foreign API, in-place rollback and diff.

use shared::catalog::Catalog;
use shared::jobs::{self, JobRecord, JobRequest, Phase};
use shared::model::Snapshot;
use shared::pacing::Pacer;
use shared::pipeline::{SnapshotJob, snapshot};
use shared::restore::family::StepApplier;
use shared::restore::{self, Change, RestoreOptions};
use shared::store::Store;
use tests::{Account, Env, acquire, fixtures};

use crate::quiet;

const SOURCE: &str = "us-east-1";
const TARGET: &str = "us-west-2";

struct Setup {
    _dir: tempfile::TempDir,
    store: Store,
    catalog: Catalog,
    point: String,
    snap: Snapshot,
    api: fixtures::SampleApi,
}

async fn setup(env: &Env) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let (store, catalog) = shared::location::open(&url, None, None).await.unwrap();
    let source = env.sdk(SOURCE, Account::A).await;
    let api = fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&source), "orders")
        .await
        .unwrap();
    let job = SnapshotJob {
        select: vec!["orders".into()],
        label: None,
        trigger: "test".into(),
        retention_days: 30,
        include: vec![],
        exclude: vec![],
    };
    let out = snapshot(
        &source,
        &store,
        &catalog,
        &tests::sealer(&store),
        &job,
        &quiet,
    )
    .await
    .unwrap();
    let (_, snap) = shared::point::load(&store, &out.report.record.id)
        .await
        .unwrap();
    Setup {
        _dir: dir,
        store,
        catalog,
        point: out.report.record.id,
        snap,
        api,
    }
}

/// The operator's mapping file for the sample: the Cognito pool has its own id in the target.
const MAPPING: &str = r#"
[cognito_user_pools]
"us-east-1_PetsPool1" = "us-west-2_PetsPoolB"
"#;

fn request(point: &str) -> JobRequest {
    JobRequest {
        point: point.into(),
        to_region: Some(TARGET.into()),
        mapping: Some(MAPPING.into()),
        mapping_format: Some("toml".into()),
        ..Default::default()
    }
}

/// A Lambda function in moto (which needs its role to exist; the code is an empty zip).
pub(crate) async fn create_function(sdk: &aws_config::SdkConfig, name: &str) {
    let iam = aws_sdk_iam::Client::new(sdk);
    let role = match iam.get_role().role_name("lambda-exec").send().await {
        Ok(r) => r.role.unwrap().arn,
        Err(_) => {
            let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
            iam.create_role()
                .role_name("lambda-exec")
                .assume_role_policy_document(trust)
                .send()
                .await
                .unwrap()
                .role
                .unwrap()
                .arn
        }
    };
    let mut empty_zip = b"PK\x05\x06".to_vec();
    empty_zip.extend([0u8; 18]);
    aws_sdk_lambda::Client::new(sdk)
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .role(role)
        .handler("bootstrap")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(empty_zip.into())
                .build(),
        )
        .send()
        .await
        .unwrap();
}

async fn rest_apis(sdk: &aws_config::SdkConfig) -> Vec<(String, String)> {
    shared::capture::list_rest_apis(&shared::capture::apigateway_client(sdk), &Pacer::default())
        .await
        .unwrap()
}

/// Writes the recorder saw against API Gateway.
async fn apigateway_writes(env: &Env) -> Vec<String> {
    env.recorded()
        .await
        .into_iter()
        .filter(|r| r.path.starts_with("/restapis") && r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test]
async fn cross_account_and_region_restore_verifies_clean() {
    let env = acquire().await;
    let s = setup(&env).await;
    let target = env.sdk(TARGET, Account::B).await;
    // Two of the three functions the API calls exist in the target.
    create_function(&target, "pets").await;
    create_function(&target, "token-authorizer").await;
    let mut job = JobRecord::new(request(&s.point), "test");
    jobs::run(&s.store, &s.catalog, &mut job, &target, &quiet)
        .await
        .unwrap();
    let report = serde_json::to_value(job.report.clone().unwrap()).unwrap();
    let api_report = &report["apis"][0];
    let notes = api_report["notes"].to_string();
    assert!(
        notes.contains("function:request-authorizer does not exist in the target"),
        "{notes}"
    );
    let granted: Vec<&str> = api_report["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(granted.len(), 2, "{granted:?}");
    let new_id = api_report["targetId"].as_str().unwrap();
    let policy = aws_sdk_lambda::Client::new(&target)
        .get_policy()
        .function_name("pets")
        .send()
        .await
        .unwrap();
    let policy = policy.policy().unwrap();
    assert!(
        policy.contains(&format!(
            "arn:aws:execute-api:{TARGET}:{}:{new_id}/*",
            tests::ACCOUNT_B
        )) && policy.contains("apigateway.amazonaws.com"),
        "{policy}"
    );
    let unexplained: Vec<&serde_json::Value> = report["apis"][0]["remaining"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d.get("explained").is_none())
        .collect();
    assert!(
        unexplained.is_empty(),
        "unexplained differences: {unexplained:#?}"
    );
    assert!(
        report["apis"][0]["failed"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    assert_eq!(job.phase, Phase::Succeeded, "{report:#}");
    assert_eq!(
        s.catalog.get_job(&job.id).await.unwrap().unwrap().phase,
        Phase::Succeeded
    );

    // The target really holds it, translated for account B in us-west-2.
    let apis = rest_apis(&target).await;
    assert_eq!(apis.len(), 1);
    let copy = shared::capture::capture_rest_apis(
        &shared::capture::apigateway_client(&target),
        &Pacer::default(),
        &[apis[0].0.clone()],
        &quiet,
    )
    .await
    .unwrap()
    .pop()
    .unwrap();
    assert_eq!(copy.methods.len(), s.api.methods.len());
    assert_eq!(copy.stages.len(), 2);
    let uris: Vec<String> = copy
        .methods
        .iter()
        .filter_map(|m| m.method_integration.as_ref()?.uri.clone())
        .filter(|u| u.contains(":lambda:"))
        .collect();
    assert!(!uris.is_empty());
    for u in &uris {
        assert!(u.contains(TARGET) && u.contains(tests::ACCOUNT_B), "{u}");
        assert!(!u.contains(SOURCE) && !u.contains(tests::ACCOUNT_A), "{u}");
    }
    let cognito = copy
        .authorizers
        .iter()
        .find(|a| a.name == "cognito-auth")
        .unwrap();
    assert_eq!(
        cognito.provider_arns,
        [format!(
            "arn:aws:cognito-idp:{TARGET}:{}:userpool/us-west-2_PetsPoolB",
            tests::ACCOUNT_B
        )]
    );
    let prod = copy
        .stages
        .iter()
        .find(|st| st.stage_name == "prod")
        .unwrap();
    assert!(prod.deployment_id.is_some());
    let src_prod = s.snap.rest_apis[0]
        .stages
        .iter()
        .find(|st| st.stage_name == "prod")
        .unwrap();
    assert_eq!(prod.variables, src_prod.variables);
    assert_eq!(
        prod.method_settings.keys().collect::<Vec<_>>(),
        src_prod.method_settings.keys().collect::<Vec<_>>()
    );

    // Run again: nothing to do, nothing created twice.
    let mut again = JobRecord::new(request(&s.point), "test");
    env.start_recording().await;
    jobs::run(&s.store, &s.catalog, &mut again, &target, &quiet)
        .await
        .unwrap();
    env.stop_recording().await;
    assert_eq!(again.phase, Phase::Succeeded);
    assert_eq!(again.steps, 0);
    assert!(
        apigateway_writes(&env).await.is_empty(),
        "{:?}",
        apigateway_writes(&env).await
    );
    assert_eq!(rest_apis(&target).await.len(), 1);
}

#[tokio::test]
async fn an_untranslatable_reference_stops_only_what_needs_it() {
    let env = acquire().await;
    let s = setup(&env).await;
    let target = env.sdk(TARGET, Account::B).await;
    let mut job = JobRecord::new(
        JobRequest {
            mapping: None,
            ..request(&s.point)
        },
        "test",
    );
    jobs::run(&s.store, &s.catalog, &mut job, &target, &quiet)
        .await
        .unwrap();
    assert_eq!(job.phase, Phase::PartiallyFailed);
    let report = serde_json::to_value(job.report.unwrap()).unwrap();
    let failed: Vec<&str> = report["apis"][0]["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let cognito = failed
        .iter()
        .find(|f| f.starts_with("Authorizer cognito-auth"))
        .expect("the authorizer is not restored");
    assert!(
        cognito.contains("[cognito_user_pools]"),
        "says what to map: {cognito}"
    );
    // The method that uses it fails with a clear reason; everything else is restored.
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with("Method") && f.contains("authorizer 'cognito-auth' is missing")),
        "{failed:#?}"
    );
    assert_eq!(failed.len(), 2, "{failed:#?}");
    let id = report["apis"][0]["targetId"].as_str().unwrap().to_string();
    let copy = shared::capture::capture_rest_apis(
        &shared::capture::apigateway_client(&target),
        &Pacer::default(),
        &[id],
        &quiet,
    )
    .await
    .unwrap()
    .pop()
    .unwrap();
    assert_eq!(copy.methods.len(), s.api.methods.len() - 1);
    assert_eq!(copy.stages.len(), 2);
}

#[tokio::test]
async fn dry_run_plans_every_step_and_writes_nothing() {
    let env = acquire().await;
    let s = setup(&env).await;
    let target = env.sdk(TARGET, Account::B).await;
    env.start_recording().await;
    let plan = restore::plan(
        &s.point,
        &s.snap,
        &target,
        &RestoreOptions::default(),
        &Pacer::default(),
    )
    .await
    .unwrap();
    env.stop_recording().await;
    assert!(apigateway_writes(&env).await.is_empty());
    let api = &plan.apis[0];
    assert_eq!(api.action, "create");
    assert!(api.steps.iter().all(|st| st.change == Change::Create));
    let methods = api.steps.iter().filter(|st| st.kind == "Method").count();
    assert_eq!(methods, s.api.methods.len());
    assert!(
        api.rewrites.iter().any(|r| r.contains(TARGET)),
        "{:#?}",
        api.rewrites
    );
    let calls = plan.calls();
    assert_eq!(plan.total_calls, calls.values().sum::<u64>());
    // Call by call, 37 calls fit in the account-wide burst of 40 and one CreateDeployment is
    // within its own quota: the quotas allow the sample at once. (The benchmark shows a
    // 300-resource API.) So does the import and its reconcile: the tie goes to the path with
    // fewer calls, the import (the API created first, then its definition put whole).
    let path = &api.path;
    assert_eq!((path.by_calls.calls, path.by_calls.seconds), (37, 0.0));
    let by_import = path.by_import.as_ref().unwrap();
    assert!(path.import, "{path:?}");
    assert!(by_import.calls < 37, "{path:?}");
    assert!(
        path.why.ends_with("the tie goes to fewer calls"),
        "{}",
        path.why
    );
    assert_eq!(calls["CreateRestApi"], 1);
    assert_eq!(calls["PutRestApi"], 1);
    // The import makes the resources.
    assert!(!calls.contains_key("CreateResource"), "{calls:?}");
    assert_eq!(plan.total_calls, by_import.calls, "{calls:?}");
    assert_eq!(plan.min_seconds, 0.0);
}

#[tokio::test]
async fn a_restore_cut_short_finishes_when_run_again_without_duplicates() {
    let env = acquire().await;
    let s = setup(&env).await;
    let target = env.sdk(TARGET, Account::B).await;
    // The first run dies after creating the API and a few of its resources.
    let plan = restore::plan(
        &s.point,
        &s.snap,
        &target,
        &RestoreOptions::default(),
        &Pacer::default(),
    )
    .await
    .unwrap();
    let client = shared::capture::apigateway_client(&target);
    let pacer = Pacer::default();
    let tag = format!("{}/{}/{}", tests::ACCOUNT_A, SOURCE, s.api.api_id);
    let desired = &s.snap.rest_apis[0];
    let (id, _) = restore::rest::Applier::create_api(&client, &pacer, &desired.api, "orders", &tag)
        .await
        .unwrap();
    let current =
        shared::capture::capture_rest_apis(&client, &pacer, std::slice::from_ref(&id), &quiet)
            .await
            .unwrap()
            .pop()
            .unwrap();
    let mut applier = restore::rest::Applier::new(&client, &pacer, &current, "partial".into());
    let partial: Vec<_> = plan.apis[0]
        .steps
        .iter()
        .filter(|st| st.kind == "Resource" || st.kind == "Model")
        .take(4)
        .collect();
    assert!(partial.len() >= 3);
    for st in partial {
        applier.apply(st, desired).await.unwrap();
    }

    let mut job = JobRecord::new(request(&s.point), "test");
    jobs::run(&s.store, &s.catalog, &mut job, &target, &quiet)
        .await
        .unwrap();
    assert_eq!(
        job.phase,
        Phase::Succeeded,
        "{:#}",
        serde_json::to_value(job.report.unwrap()).unwrap()
    );
    let apis = rest_apis(&target).await;
    assert_eq!(
        apis,
        vec![(id.clone(), "orders".to_string())],
        "the same API was finished"
    );
    let copy = shared::capture::capture_rest_apis(&client, &pacer, &[id], &quiet)
        .await
        .unwrap()
        .pop()
        .unwrap();
    let mut paths: Vec<&str> = copy.resources.iter().map(|r| r.path.as_str()).collect();
    let n = paths.len();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), n, "no resource was created twice");
    assert_eq!(n, s.snap.rest_apis[0].resources.len());
}

#[tokio::test]
async fn a_foreign_api_of_the_same_name_is_refused_unless_replaced() {
    let env = acquire().await;
    let s = setup(&env).await;
    let target = env.sdk(TARGET, Account::B).await;
    let theirs = aws_sdk_apigateway::Client::new(&target)
        .create_rest_api()
        .name("orders")
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    env.start_recording().await;
    let mut job = JobRecord::new(request(&s.point), "test");
    let e = jobs::run(&s.store, &s.catalog, &mut job, &target, &quiet)
        .await
        .unwrap_err()
        .to_string();
    env.stop_recording().await;
    assert!(
        e.contains("already has a REST API named 'orders'") && e.contains("--replace"),
        "{e}"
    );
    assert_eq!(job.phase, Phase::Failed);
    assert!(
        apigateway_writes(&env).await.is_empty(),
        "no partial damage"
    );

    let mut replace = JobRecord::new(
        JobRequest {
            replace: true,
            ..request(&s.point)
        },
        "test",
    );
    jobs::run(&s.store, &s.catalog, &mut replace, &target, &quiet)
        .await
        .unwrap();
    assert_eq!(replace.phase, Phase::Succeeded);
    let apis = rest_apis(&target).await;
    assert_eq!(apis.len(), 1);
    assert_ne!(apis[0].0, theirs);
}

#[tokio::test]
async fn in_place_rolls_back_a_bad_change() {
    let env = acquire().await;
    let s = setup(&env).await;
    let source = env.sdk(SOURCE, Account::A).await;
    let apigw = aws_sdk_apigateway::Client::new(&source);
    fixtures::change_one_method(
        &apigw,
        &s.api.api_id,
        &s.api.method_resource_id,
        &s.api.method_verb,
    )
    .await
    .unwrap();

    let before = restore::diff(&s.snap, None, Some(&source)).await.unwrap();
    let changed: Vec<String> = before[0]
        .1
        .iter()
        .map(|d| format!("{} {}", d.kind, d.key))
        .collect();
    assert_eq!(
        changed,
        vec![format!("Method /pets/{{id}} {}", s.api.method_verb)]
    );

    let req = JobRequest {
        point: s.point.clone(),
        to_region: Some(SOURCE.into()),
        in_place: true,
        ..Default::default()
    };
    let mut job = JobRecord::new(req, "test");
    jobs::run(&s.store, &s.catalog, &mut job, &source, &quiet)
        .await
        .unwrap();
    assert_eq!(
        job.phase,
        Phase::Succeeded,
        "{:#}",
        serde_json::to_value(job.report.unwrap()).unwrap()
    );
    let after = restore::diff(&s.snap, None, Some(&source)).await.unwrap();
    assert!(after[0].1.is_empty(), "{:#?}", after[0].1);
    // The stages serve the rolled-back copy: a new deployment.
    let stages = apigw
        .get_stages()
        .rest_api_id(&s.api.api_id)
        .send()
        .await
        .unwrap();
    assert!(
        stages
            .item()
            .iter()
            .all(|st| st.deployment_id() != Some(s.api.deployment_id.as_str()))
    );
}

#[tokio::test]
async fn a_reference_that_cannot_be_translated_stops_only_what_needs_it() {
    let env = acquire().await;
    let source = env.sdk(SOURCE, Account::A).await;
    fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&source), "orders")
        .await
        .unwrap();
    fixtures::http_api(
        &aws_sdk_apigatewayv2::Client::new(&source),
        "edge-http",
        tests::ACCOUNT_A,
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, catalog) =
        shared::location::open(&format!("file://{}", dir.path().display()), None, None)
            .await
            .unwrap();
    let job = SnapshotJob {
        select: vec![],
        label: None,
        trigger: "test".into(),
        retention_days: 30,
        include: vec![],
        exclude: vec![],
    };
    let out = snapshot(
        &source,
        &store,
        &catalog,
        &tests::sealer(&store),
        &job,
        &quiet,
    )
    .await
    .unwrap();
    let mut apis = out.report.record.apis.clone();
    apis.sort();
    assert_eq!(apis, ["edge-http", "orders"]);
    let target = env.sdk(TARGET, Account::B).await;

    let mut whole = JobRecord::new(request(&out.report.record.id), "test");
    jobs::run(&store, &catalog, &mut whole, &target, &quiet)
        .await
        .unwrap();
    // The mapping names no Cognito pool for the HTTP API's JWT issuer: its authorizer and the
    // route that uses it are not restored, and the rest of both APIs is.
    assert_eq!(whole.phase, Phase::PartiallyFailed);
    let report = serde_json::to_value(whole.report.unwrap()).unwrap();
    let http = report["apis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "edge-http")
        .unwrap();
    let failed = http["failed"].to_string();
    assert!(
        failed.contains("AuthorizerV2 cognito: not restored")
            && failed.contains("cognito_clients")
            && failed.contains("GET /orders/{id}"),
        "{failed}"
    );
    assert_eq!(http["failed"].as_array().unwrap().len(), 2, "{failed}");
    assert!(report["unsupported"].as_array().unwrap().is_empty());
    let rest = report["apis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "orders")
        .unwrap();
    assert!(rest["failed"].as_array().unwrap().is_empty(), "{rest:#}");

    let only_rest = JobRequest {
        apis: vec!["orders".into()],
        ..request(&out.report.record.id)
    };
    let mut job = JobRecord::new(only_rest, "test");
    jobs::run(&store, &catalog, &mut job, &target, &quiet)
        .await
        .unwrap();
    assert_eq!(job.phase, Phase::Succeeded);
}
