//! The recovery function's handler, fed AWS-shaped events, restoring from S3/DynamoDB into
//! another account and Region on moto.

use serde_json::{Value, json};
use shared::config::FunctionConfig;
use shared::pipeline::{RecoveryFunction, SnapshotJob, snapshot};
use tests::{Account, Env, acquire, fixtures};

use crate::{event, quiet};

const HOME: &str = "us-west-2";
const SOURCE: &str = "us-east-1";
const BUS: &str = "apigw-dr";

/// The recovery Region's stack: bucket, table, bus with a rule for continuations (to a
/// queue the test reads), and one recovery point of the sample API.
pub(crate) async fn deployed(env: &Env) -> (aws_config::SdkConfig, String) {
    let home = env.sdk(HOME, Account::A).await;
    env.create_bucket(&home, "dr-points").await.unwrap();
    env.create_catalog_table(&home, "dr-catalog").await.unwrap();
    let eb = aws_sdk_eventbridge::Client::new(&home);
    eb.create_event_bus().name(BUS).send().await.unwrap();
    let queue =
        crate::metrics::route_to_queue(&home, shared::events::RESTORE_CONTINUES, "continues").await;
    let source = env.sdk(SOURCE, Account::A).await;
    fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&source), "orders")
        .await
        .unwrap();
    let (store, catalog) = stack(&home).await;
    let job = SnapshotJob {
        select: vec![],
        label: None,
        trigger: "test".into(),
        retention_days: 30,
        include: vec![],
        exclude: vec![],
    };
    snapshot(
        &source,
        &store,
        &catalog,
        &tests::sealer(&store),
        &job,
        &quiet,
    )
    .await
    .unwrap();
    (home, queue)
}

/// [`deployed`]'s store and catalog, as the operator's commands open them.
pub(crate) async fn stack(
    home: &aws_config::SdkConfig,
) -> (shared::store::Store, shared::catalog::Catalog) {
    shared::location::open(
        "s3://dr-points/p",
        Some("dynamodb://dr-catalog"),
        Some(home),
    )
    .await
    .unwrap()
}

pub(crate) fn config() -> FunctionConfig {
    let role = tests::role_arn(Account::B);
    let vars = [
        ("APIGW_DR_STORE", "s3://dr-points/p".to_string()),
        ("APIGW_DR_CATALOG", "dynamodb://dr-catalog".to_string()),
        ("APIGW_DR_EVENT_BUS", BUS.to_string()),
        ("APIGW_DR_ALARM_NAME", "orders-api-5xx".to_string()),
        ("APIGW_DR_RECOVERY_ROLE_ARN", role),
        ("APIGW_DR_SELECT", "orders".to_string()),
        (
            "APIGW_DR_MAPPING",
            "[cognito_user_pools]\n\"us-east-1_PetsPool1\" = \"us-west-2_PetsPoolB\"\n".to_string(),
        ),
    ];
    FunctionConfig::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
        .unwrap()
}

pub(crate) async fn target_apis(env: &Env) -> Vec<(String, String)> {
    let b = env.sdk(HOME, Account::B).await;
    shared::capture::list_rest_apis(
        &shared::capture::apigateway_client(&b),
        &shared::pacing::Pacer::default(),
    )
    .await
    .unwrap()
}

pub(crate) async fn jobs(home: &aws_config::SdkConfig) -> Vec<Value> {
    let ddb = aws_sdk_dynamodb::Client::new(home);
    let out = ddb
        .query()
        .table_name("dr-catalog")
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S("job".into()),
        )
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .map(|i| serde_json::from_str(i["doc"].as_s().unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn an_alarm_fails_over_once() {
    let env = acquire().await;
    let (home, _) = deployed(&env).await;
    let f = RecoveryFunction::new(config(), &home).await.unwrap();
    let alarm = event("alarm-state-change.json", "");
    let out = f.handle(alarm.clone(), None).await.unwrap();
    assert_eq!(out["jobs"][0]["phase"], "Succeeded", "{out:#}");
    let apis = target_apis(&env).await;
    assert_eq!(apis.len(), 1);
    assert_eq!(apis[0].1, "orders");
    let recorded = jobs(&home).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["phase"], "Succeeded");
    assert_eq!(recorded[0]["trigger"], "alarm:orders-api-5xx");
    // The recovery time runs from the alarm event's time (2026-11-22T17:04:40Z); the point has
    // no custom domain, so no DNS is switched and no recovery time to traffic is claimed.
    let times = &recorded[0]["times"];
    assert_eq!(times["alarm"], 1_795_367_080_000_i64, "{times}");
    assert!(times["verified"].as_i64().unwrap() > times["restoreStarted"].as_i64().unwrap());
    assert!(times.get("dnsInSync").is_none(), "{times}");
    assert_eq!(recorded[0]["dns"], json!({}), "{:#}", recorded[0]);

    // The same alarm event delivered again starts no second job.
    let again = f.handle(alarm.clone(), None).await.unwrap();
    assert!(
        again["ignored"].as_str().unwrap().contains("already"),
        "{again:#}"
    );
    assert_eq!(jobs(&home).await.len(), 1);
    assert_eq!(target_apis(&env).await.len(), 1);

    // The way back to OK, and other alarms, start nothing.
    let mut ok = alarm.clone();
    ok["id"] = json!("another-event");
    ok["detail"]["previousState"]["value"] = json!("ALARM");
    ok["detail"]["state"]["value"] = json!("OK");
    assert!(f.handle(ok, None).await.unwrap()["ignored"].is_string());
    let mut other = alarm.clone();
    other["id"] = json!("yet-another");
    other["detail"]["alarmName"] = json!("billing");
    assert!(f.handle(other, None).await.unwrap()["ignored"].is_string());
    assert_eq!(jobs(&home).await.len(), 1);
}

#[tokio::test]
async fn a_direct_dry_run_plans_and_writes_nothing() {
    let env = acquire().await;
    let (home, _) = deployed(&env).await;
    let f = RecoveryFunction::new(config(), &home).await.unwrap();
    env.start_recording().await;
    let out = f
        .handle(json!({"point": "latest", "dry_run": true}), None)
        .await
        .unwrap();
    env.stop_recording().await;
    let writes: Vec<_> = env
        .recorded()
        .await
        .into_iter()
        .filter(|r| r.path.starts_with("/restapis") && r.method != "GET")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert_eq!(out["plans"][0]["apis"][0]["action"], "create", "{out:#}");
    // The sample API is within the burst either way: imported, the path with fewer calls.
    let api = &out["plans"][0]["apis"][0];
    assert_eq!(api["path"]["import"], true, "{out:#}");
    assert!(
        api["path"]["byCalls"]["calls"].as_u64().unwrap() > 20,
        "{out:#}"
    );
    assert_eq!(
        out["plans"][0]["totalCalls"], api["path"]["byImport"]["calls"],
        "{out:#}"
    );
    assert_eq!(
        out["plans"][0]["dns"],
        json!({}),
        "no custom domain, nothing to switch"
    );
    assert!(jobs(&home).await.is_empty());
    let e = f.handle(json!({"pointt": 1}), None).await.unwrap_err();
    assert_eq!(e.lambda_error_type(), "InvalidEvent");
}

#[tokio::test]
async fn a_request_for_a_bad_target_is_refused_at_once_and_writes_no_job() {
    let env = acquire().await;
    let (home, _) = deployed(&env).await;
    let f = RecoveryFunction::new(config(), &home).await.unwrap();
    for (target, says) in [
        (json!("mars-east-1"), "unknown AWS Region 'mars-east-1'"),
        (json!({"region": "Not_A_Region"}), "not an AWS Region code"),
        (
            json!({"region": "us-west-2", "roleArn": "arn:aws:iam::1:role/r"}),
            "not an IAM role ARN",
        ),
    ] {
        let started = std::time::Instant::now();
        let e = f
            .handle(json!({"point": "latest", "target": target}), None)
            .await
            .unwrap_err();
        assert_eq!(e.lambda_error_type(), "InvalidEvent", "{e}");
        assert!(e.to_string().contains(says), "{e}");
        assert!(started.elapsed().as_secs() < 3, "no retries");
    }
    assert!(jobs(&home).await.is_empty(), "no job was recorded");
    assert!(target_apis(&env).await.is_empty());
}

#[tokio::test]
async fn a_job_out_of_time_continues_in_the_next_invocation() {
    let env = acquire().await;
    let (home, queue) = deployed(&env).await;
    let f = RecoveryFunction::new(config(), &home).await.unwrap();
    // No time at all: the job stops before its first step and asks to be continued.
    let out = f
        .handle(json!({"point": "latest"}), Some(std::time::Instant::now()))
        .await
        .unwrap();
    assert_eq!(out["jobs"][0]["phase"], "Applying", "{out:#}");
    let job = out["jobs"][0]["job"].as_str().unwrap().to_string();
    let msgs = tests::drain_queue(&home, &queue).await;
    assert_eq!(msgs.len(), 1);
    let cont: Value = serde_json::from_str(&msgs[0]).unwrap();
    assert_eq!(cont["detail"]["job"], job.as_str());

    let done = f.handle(cont, None).await.unwrap();
    assert_eq!(done["jobs"][0]["job"], job.as_str());
    assert_eq!(done["jobs"][0]["phase"], "Succeeded", "{done:#}");
    assert_eq!(target_apis(&env).await.len(), 1);
}

/// The way home from the deployed function: a direct failback request restores the newest
/// point of the recovery side in place into the source it names (dry run first), and one that
/// names no source is refused before anything is written.
#[tokio::test]
async fn a_failback_request_brings_the_incident_s_changes_home_in_place() {
    let env = acquire().await;
    let (home, _) = deployed(&env).await;
    let f = RecoveryFunction::new(config(), &home).await.unwrap();
    let e = f.handle(json!({"failback": true}), None).await.unwrap_err();
    assert!(e.to_string().contains("a failback names the source"), "{e}");
    assert!(jobs(&home).await.is_empty());
    let out = f
        .handle(event("alarm-state-change.json", ""), None)
        .await
        .unwrap();
    assert_eq!(out["jobs"][0]["phase"], "Succeeded", "{out:#}");

    // During the incident the recovery side changes; a point of it is taken there.
    let target = env.sdk(HOME, Account::B).await;
    crate::standby::add_resource(
        &aws_sdk_apigateway::Client::new(&target),
        "orders",
        "during-incident",
    )
    .await;
    let (store, catalog) = stack(&home).await;
    Box::pin(tests::take_point(&target, &store, &catalog, &[])).await;

    let source = aws_sdk_apigateway::Client::new(&env.sdk(SOURCE, Account::A).await);
    let before = source.get_rest_apis().send().await.unwrap();
    let orders = before.items()[0].id().unwrap().to_string();
    let plan = f
        .handle(
            json!({"failback": true, "target": SOURCE, "dry_run": true}),
            None,
        )
        .await
        .unwrap();
    let api = &plan["plans"][0]["apis"][0];
    assert_eq!(api["action"], "update", "{plan:#}");
    assert_eq!(api["targetId"], orders.as_str(), "in place: {plan:#}");
    let steps: Vec<(&str, &str)> = api["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["kind"].as_str().unwrap(), s["key"].as_str().unwrap()))
        .collect();
    assert_eq!(steps, [("Resource", "/during-incident")], "{plan:#}");
    assert_eq!(jobs(&home).await.len(), 1, "a dry run writes no job");

    let out = f
        .handle(json!({"failback": true, "target": SOURCE}), None)
        .await
        .unwrap();
    assert_eq!(out["jobs"][0]["phase"], "Succeeded", "{out:#}");
    let after = source.get_rest_apis().send().await.unwrap();
    assert_eq!(after.items().len(), 1, "no API added to the source");
    assert!(
        crate::standby::paths(&source, &orders)
            .await
            .contains(&"/during-incident".to_string()),
        "the incident's change is home"
    );
    let recorded = jobs(&home).await;
    assert!(
        recorded.iter().any(|j| j["request"]["failback"] == true),
        "{recorded:#?}"
    );
}
