//! The functions' metric lines (CloudWatch embedded metric format), from the real handlers
//! against moto: the newest point's age and snapshot failures (snapshot function), a restore
//! job's duration and outcome and its end on the bus (recovery function), the scheduled
//! readiness check's problem count, and the standby's lag. Each value is compared with what
//! the operator's commands print from the same catalog (`list`, `check`, `status --standby`),
//! and no line holds more than the metric, its dimension and a few names.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use shared::pipeline::{MetricSink, RecoveryFunction, SnapshotFunction};
use tests::{Account, acquire};

use crate::recovery::{config, deployed, jobs};

const SOURCE: &str = "us-east-1";
const BUS: &str = "apigw-dr";

/// A sink that keeps the lines, and the lines it kept.
fn collector() -> (MetricSink, Arc<Mutex<Vec<String>>>) {
    let kept = Arc::new(Mutex::new(vec![]));
    let k = kept.clone();
    let sink = MetricSink::new(move |l| k.lock().unwrap().push(l.to_string()));
    (sink, kept)
}

/// The members a metric line may hold besides its metrics: `_aws`, dimensions and names.
const MEMBERS: &[&str] = &[
    "_aws", "Source", "Target", "point", "apis", "trigger", "job", "phase", "standby",
];

/// The lines kept so far that carry metric `name`, each checked: one JSON line of the EMF
/// shape in namespace apigw-dr whose every member is a metric it declares or one of
/// [`MEMBERS`] (so no request, response or error text rides along).
fn lines_of(kept: &Arc<Mutex<Vec<String>>>, name: &str) -> Vec<Value> {
    let mut out = vec![];
    for line in kept.lock().unwrap().iter() {
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(line).unwrap();
        let d = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(d["Namespace"], "apigw-dr", "{line}");
        assert!(v["_aws"]["Timestamp"].is_i64(), "{line}");
        let names: Vec<&str> = d["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        for (k, _) in v.as_object().unwrap() {
            assert!(
                names.contains(&k.as_str()) || MEMBERS.contains(&k.as_str()),
                "member {k} in {line}"
            );
        }
        for n in &names {
            assert!(shared::metrics::NAMES.contains(n), "{n}");
            assert!(v[*n].is_number(), "{line}");
        }
        if names.contains(&name) {
            out.push(v);
        }
    }
    out
}

/// The recovery function of [`deployed`]'s stack, its metric lines sent to `sink`.
async fn recovery_function(home: &aws_config::SdkConfig, sink: MetricSink) -> RecoveryFunction {
    RecoveryFunction::new(config(), home)
        .await
        .unwrap()
        .with_metrics(sink)
}

/// A rule on the bus that sends our events of `detail_type` to a new SQS queue `name` (the
/// test reads it where the stack has a function or a topic); the queue's URL.
pub(crate) async fn route_to_queue(
    home: &aws_config::SdkConfig,
    detail_type: &str,
    name: &str,
) -> String {
    let queue = aws_sdk_sqs::Client::new(home)
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let region = home.region().unwrap().to_string();
    let eb = aws_sdk_eventbridge::Client::new(home);
    eb.put_rule()
        .name(name)
        .event_bus_name(BUS)
        .event_pattern(json!({"source": ["apigw-dr"], "detail-type": [detail_type]}).to_string())
        .send()
        .await
        .unwrap();
    eb.put_targets()
        .rule(name)
        .event_bus_name(BUS)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(format!("arn:aws:sqs:{region}:{}:{name}", tests::ACCOUNT_A))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    queue
}

fn snapshot_request(api: &str) -> Value {
    json!({"version": "0", "id": "r1", "detail-type": "Snapshot Requested",
        "source": "apigw-dr", "account": tests::ACCOUNT_A, "time": "2026-12-03T00:00:00Z",
        "region": "us-west-2", "resources": [], "detail": {"apis": [api], "trigger": "schedule"}})
}

fn snapshot_config(store: &str) -> shared::config::FunctionConfig {
    let mut c = config();
    c.source_region = Some(SOURCE.into());
    c.store = Some(store.into());
    c
}

#[tokio::test]
async fn a_snapshot_publishes_its_point_age_and_a_failed_one_its_failure() {
    let env = acquire().await;
    let (home, _) = Box::pin(deployed(&env)).await;
    let (sink, kept) = collector();
    let f = SnapshotFunction::with_standby(snapshot_config("s3://dr-points/p"), &home, false)
        .await
        .unwrap()
        .with_metrics(sink.clone());
    let out = Box::pin(f.handle(snapshot_request("orders")))
        .await
        .unwrap();
    let point = out["point"].as_str().unwrap().to_string();
    let source = format!("{}/{SOURCE}", tests::ACCOUNT_A);
    let ages = lines_of(&kept, "NewestPointAgeSeconds");
    assert_eq!(ages.len(), 1, "{:?}", kept.lock().unwrap());
    assert_eq!(ages[0]["Source"], source.as_str());
    assert_eq!(ages[0]["point"], point.as_str());
    assert!(ages[0]["NewestPointAgeSeconds"].as_f64().unwrap() < 5.0);
    let failures = lines_of(&kept, "SnapshotFailures");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["SnapshotFailures"], 0.0);
    assert_eq!(failures[0]["apis"], json!(["orders"]));

    // A snapshot whose store is gone fails: one failure, and the age of the newest good
    // point, which grows, is the one `apigw-dr list` prints from the catalog.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    kept.lock().unwrap().clear();
    let broken =
        SnapshotFunction::with_standby(snapshot_config("s3://no-such-bucket/p"), &home, false)
            .await
            .unwrap()
            .with_metrics(sink);
    let e = Box::pin(broken.handle(snapshot_request("orders")))
        .await
        .unwrap_err();
    let failures = lines_of(&kept, "SnapshotFailures");
    assert_eq!(failures.len(), 1, "{e}");
    assert_eq!(failures[0]["SnapshotFailures"], 1.0);
    assert_eq!(failures[0]["trigger"], "schedule");
    let ages = lines_of(&kept, "NewestPointAgeSeconds");
    assert_eq!(ages.len(), 1);
    assert_eq!(ages[0]["point"], point.as_str());
    let published = ages[0]["NewestPointAgeSeconds"].as_f64().unwrap();
    assert!(published >= 1.5, "{published}");
    let (_, catalog) = crate::recovery::stack(&home).await;
    let listed =
        shared::metrics::newest_by_source(&catalog.list().await.unwrap(), shared::time::now_ms());
    let listed = listed.iter().find(|a| a.source.short() == source).unwrap();
    assert_eq!(listed.point, point);
    let listed = listed.age_ms as f64 / 1000.0;
    assert!(
        listed >= published && listed - published < 5.0,
        "list says {listed} s, the metric {published} s"
    );
}

#[tokio::test]
async fn a_restore_job_publishes_its_duration_and_outcome_and_announces_its_end() {
    let env = acquire().await;
    let (home, _) = Box::pin(deployed(&env)).await;
    // The stack's notification rule, here to a queue the test reads.
    let queue = route_to_queue(&home, shared::events::RESTORE_ENDED, "ended").await;
    let (sink, kept) = collector();
    let f = recovery_function(&home, sink).await;
    let out = Box::pin(f.handle(json!({}), None)).await.unwrap();
    assert_eq!(out["jobs"][0]["phase"], "Succeeded", "{out:#}");
    let job = &jobs(&home).await[0];
    let ended = lines_of(&kept, "RestoreFailed");
    assert_eq!(ended.len(), 1, "{:?}", kept.lock().unwrap());
    assert_eq!(ended[0]["RestoreFailed"], 0.0);
    assert_eq!(ended[0]["phase"], "Succeeded");
    assert_eq!(ended[0]["job"], job["id"]);
    let secs = ended[0]["RestoreDurationSeconds"].as_f64().unwrap();
    let ran = (job["updated"].as_i64().unwrap() - job["times"]["restoreStarted"].as_i64().unwrap())
        as f64
        / 1000.0;
    assert!(
        secs > 0.0 && secs >= ran && secs - ran < 5.0,
        "{secs} s, the job ran {ran} s"
    );

    let sent = tests::drain_queue(&home, &queue).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let ev: Value = serde_json::from_str(&sent[0]).unwrap();
    let d = &ev["detail"];
    assert_eq!(d["job"], job["id"]);
    assert_eq!(d["phase"], "Succeeded");
    assert_eq!(d["standby"], false);
    assert_eq!(d["target"], format!("{}/us-west-2", tests::ACCOUNT_B));
    let summary = d["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Succeeded: 1 API(s) of point "),
        "{summary}"
    );
    // The job's summary, not its report.
    // (Sorted: whether a JSON object keeps its insertion order depends on serde_json's
    // features, which other crates of the workspace may turn on.)
    let mut keys: Vec<&String> = d.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "job", "phase", "point", "standby", "summary", "target", "trigger"
        ]
    );
}

#[tokio::test]
async fn the_scheduled_check_publishes_the_problems_the_check_finds() {
    let env = acquire().await;
    let (home, _) = Box::pin(deployed(&env)).await;
    let (sink, kept) = collector();
    let f = recovery_function(&home, sink).await;
    // As the template's check schedule delivers it.
    let check = json!({"version": "0", "id": "c1", "detail-type": shared::events::CHECK_REQUESTED,
        "source": "apigw-dr", "account": tests::ACCOUNT_A, "time": "2026-12-03T00:00:00Z",
        "region": "us-west-2", "resources": [], "detail": {}});
    let out = Box::pin(f.handle(check, None)).await.unwrap();
    let checks = out["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 1, "{out:#}");
    let lines = lines_of(&kept, "ReadinessProblems");
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0]["Target"],
        format!("{}/us-west-2", tests::ACCOUNT_B)
    );
    let published = lines[0]["ReadinessProblems"].as_f64().unwrap();
    assert_eq!(Some(published), checks[0]["problems"].as_f64());
    // What `apigw-dr check` finds for the same point and target.
    let (store, catalog) = crate::recovery::stack(&home).await;
    let request = shared::jobs::JobRequest {
        point: checks[0]["point"].as_str().unwrap().to_string(),
        to_region: Some("us-west-2".into()),
        to_role_arn: config().recovery_role_arn,
        mapping: config().mapping,
        ..Default::default()
    };
    let valid = request.validate(&catalog).await.unwrap();
    let target = env.sdk("us-west-2", Account::B).await;
    let r = Box::pin(shared::check::read::check(&store, &catalog, valid, &target))
        .await
        .unwrap();
    assert_eq!(published, r.count() as f64);
    assert!(
        published > 0.0,
        "the sample API's Lambda functions are missing in the target"
    );
    assert_eq!(checks[0]["ready"], r.ready);
    // Nothing was restored: no job.
    assert!(jobs(&home).await.is_empty());
}

#[tokio::test]
async fn the_standby_lag_is_what_status_standby_says() {
    let env = acquire().await;
    let (home, _) = Box::pin(deployed(&env)).await;
    let (sink, kept) = collector();
    let f = recovery_function(&home, sink.clone()).await;
    let sync = json!({"version": "0", "id": "s1", "detail-type": shared::events::STANDBY_SYNC,
        "source": "apigw-dr", "account": tests::ACCOUNT_A, "time": "2026-12-03T00:00:00Z",
        "region": "us-west-2", "resources": [], "detail": {"point": "latest"}});
    let out = Box::pin(f.handle(sync, None)).await.unwrap();
    assert_eq!(out["jobs"][0]["phase"], "Succeeded", "{out:#}");
    let target = format!("{}/us-west-2", tests::ACCOUNT_B);
    let lag = lines_of(&kept, "StandbyBehindPoints");
    assert_eq!(lag.len(), 1, "{:?}", kept.lock().unwrap());
    assert_eq!(lag[0]["Target"], target.as_str());
    assert_eq!(lag[0]["StandbyBehindPoints"], 0.0);
    assert_eq!(lag[0]["StandbyBehindSeconds"], 0.0);
    // A standby sync ended too, and was counted as a restore.
    assert_eq!(lines_of(&kept, "RestoreFailed")[0]["standby"], true);

    // The source changes and a new point is taken, standby on: one point behind.
    kept.lock().unwrap().clear();
    let v1 = aws_sdk_apigateway::Client::new(&env.sdk(SOURCE, Account::A).await);
    let apis = v1.get_rest_apis().send().await.unwrap();
    let orders = apis
        .items()
        .iter()
        .find(|a| a.name() == Some("orders"))
        .unwrap();
    v1.create_resource()
        .rest_api_id(orders.id().unwrap())
        .parent_id(orders.root_resource_id().unwrap())
        .path_part("lagging")
        .send()
        .await
        .unwrap();
    let on = SnapshotFunction::with_standby(snapshot_config("s3://dr-points/p"), &home, true)
        .await
        .unwrap()
        .with_metrics(sink);
    Box::pin(on.handle(snapshot_request("orders")))
        .await
        .unwrap();
    let lag = lines_of(&kept, "StandbyBehindSeconds");
    assert_eq!(lag.len(), 1, "{:?}", kept.lock().unwrap());
    assert_eq!(lag[0]["StandbyBehindPoints"], 1.0);
    // What `apigw-dr status --standby` prints from the catalog.
    let (_, catalog) = crate::recovery::stack(&home).await;
    let states = shared::standby::status(&catalog).await.unwrap();
    assert_eq!(states.len(), 1);
    assert_eq!(states[0].target.short(), target);
    assert_eq!(
        lag[0]["StandbyBehindPoints"],
        states[0].behind_points as f64
    );
    assert_eq!(
        lag[0]["StandbyBehindSeconds"],
        states[0].behind_ms as f64 / 1000.0
    );
    assert!(states[0].behind_ms > 0);
}
