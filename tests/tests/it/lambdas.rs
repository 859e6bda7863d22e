//! The discovery and snapshot functions' handlers, fed events shaped exactly like AWS's, with
//! the hand-off between them going through moto's EventBridge (a rule with an SQS target
//! stands in for the snapshot function, which moto cannot invoke without Docker).

use aws_config::SdkConfig;
use serde_json::{Value, json};
use shared::config::FunctionConfig;
use shared::pipeline::{DiscoveryFunction, SnapshotFunction};
use tests::{Account, Env, acquire, fixtures};

use crate::event;

const HOME: &str = "us-west-2";
const SOURCE: &str = "us-east-1";
const BUS: &str = "apigw-dr";

struct Deployed {
    home: SdkConfig,
    queue_url: String,
}

/// What the SAM stack would create in the recovery Region: bucket, table, bus, and a rule
/// that forwards snapshot requests (here to a queue, so the test can read them).
async fn deploy(env: &Env) -> Deployed {
    let home = env.sdk(HOME, Account::A).await;
    env.create_bucket(&home, "dr-points").await.unwrap();
    env.create_catalog_table(&home, "dr-catalog").await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&home);
    let queue_url = sqs
        .create_queue()
        .queue_name("snapshot-requests")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = format!("arn:aws:sqs:{HOME}:{}:snapshot-requests", tests::ACCOUNT_A);
    let eb = aws_sdk_eventbridge::Client::new(&home);
    eb.create_event_bus().name(BUS).send().await.unwrap();
    eb.put_rule()
        .name("snapshot-requested")
        .event_bus_name(BUS)
        .event_pattern(
            json!({"source": ["apigw-dr"], "detail-type": ["Snapshot Requested"]}).to_string(),
        )
        .send()
        .await
        .unwrap();
    eb.put_targets()
        .rule("snapshot-requested")
        .event_bus_name(BUS)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    Deployed { home, queue_url }
}

fn config(extra: &[(&str, &str)]) -> FunctionConfig {
    let mut vars = vec![
        ("APIGW_DR_SOURCE_REGION", SOURCE),
        ("APIGW_DR_EVENT_BUS", BUS),
        ("APIGW_DR_STORE", "s3://dr-points/points"),
        ("APIGW_DR_CATALOG", "dynamodb://dr-catalog"),
    ];
    vars.extend_from_slice(extra);
    FunctionConfig::from_lookup(|k| {
        vars.iter()
            .rev()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap()
}

/// The events EventBridge delivered for the snapshot function.
async fn delivered(d: &Deployed) -> Vec<Value> {
    tests::drain_queue(&d.home, &d.queue_url)
        .await
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect()
}

async fn catalog_items(d: &Deployed) -> Vec<Value> {
    let ddb = aws_sdk_dynamodb::Client::new(&d.home);
    let items = ddb.scan().table_name("dr-catalog").send().await.unwrap();
    items
        .items()
        .iter()
        .map(|i| serde_json::from_str(i["doc"].as_s().unwrap()).unwrap())
        .collect()
}

async fn stored_objects(d: &Deployed) -> i32 {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&d.home)
            .force_path_style(true)
            .build(),
    );
    s3.list_objects_v2()
        .bucket("dr-points")
        .send()
        .await
        .unwrap()
        .key_count()
        .unwrap_or(0)
}

#[tokio::test]
async fn schedule_sweeps_every_api_into_points_in_s3_and_dynamodb() {
    let env = acquire().await;
    let d = deploy(&env).await;
    let source = env.sdk(SOURCE, Account::A).await;
    let apigw = aws_sdk_apigateway::Client::new(&source);
    let orders = fixtures::sample_rest_api(&apigw, "orders").await.unwrap();
    let pets = fixtures::sample_rest_api(&apigw, "pets").await.unwrap();
    let http = fixtures::http_api(
        &aws_sdk_apigatewayv2::Client::new(&source),
        "edge",
        tests::ACCOUNT_A,
    )
    .await
    .unwrap();
    // A custom domain: the estate around the APIs gets a point of its own.
    apigw
        .create_domain_name()
        .domain_name("api.example.com")
        .regional_certificate_arn(format!(
            "arn:aws:acm:{SOURCE}:{}:certificate/sweep",
            tests::ACCOUNT_A
        ))
        .endpoint_configuration(
            aws_sdk_apigateway::types::EndpointConfiguration::builder()
                .types(aws_sdk_apigateway::types::EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let discovery = DiscoveryFunction::new(config(&[]), &d.home).await.unwrap();
    let out = discovery.handle(event("scheduled.json", "")).await.unwrap();
    assert_eq!(out["requested"].as_array().unwrap().len(), 4, "{out}");

    let events = delivered(&d).await;
    assert_eq!(events.len(), 4, "the HTTP API and the estate are swept too");
    let mut asked: Vec<String> = events
        .iter()
        .map(|e| e["detail"]["apis"][0].as_str().unwrap().to_string())
        .collect();
    asked.sort();
    let mut want = vec![
        orders.api_id.clone(),
        pets.api_id.clone(),
        http.api_id.clone(),
        shared::events::ESTATE.to_string(),
    ];
    want.sort();
    assert_eq!(asked, want);
    assert!(
        events
            .iter()
            .all(|e| e["source"] == "apigw-dr" && e["detail"]["trigger"] == "schedule")
    );

    let snapshot = SnapshotFunction::new(config(&[]), &d.home).await.unwrap();
    for e in events {
        let out = snapshot.handle(e).await.unwrap();
        assert!(out["point"].is_string(), "{out}");
    }
    let records = catalog_items(&d).await;
    assert_eq!(records.len(), 4);
    let mut apis: Vec<&str> = records
        .iter()
        .filter_map(|r| r["apis"][0].as_str())
        .collect();
    apis.sort();
    assert_eq!(apis, ["edge", "orders", "pets"]);
    let estate = records.iter().find(|r| r["apis"][0].is_null()).unwrap();
    assert_eq!(estate["counts"]["DomainName"], 1, "{estate}");
    assert!(
        records
            .iter()
            .all(|r| r["trigger"] == "schedule" && r["source"]["region"] == SOURCE)
    );
    assert!(stored_objects(&d).await > 10);
}

#[tokio::test]
async fn a_change_event_snapshots_only_the_api_it_names() {
    let env = acquire().await;
    let d = deploy(&env).await;
    let source = env.sdk(SOURCE, Account::A).await;
    let apigw = aws_sdk_apigateway::Client::new(&source);
    let orders = fixtures::sample_rest_api(&apigw, "orders").await.unwrap();
    fixtures::sample_rest_api(&apigw, "pets").await.unwrap();

    let discovery = DiscoveryFunction::new(config(&[]), &d.home).await.unwrap();
    discovery
        .handle(event("cloudtrail-put-method.json", &orders.api_id))
        .await
        .unwrap();
    let events = delivered(&d).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail"]["apis"], json!([orders.api_id]));
    assert_eq!(events[0]["detail"]["trigger"], "change:PutMethod");

    let snapshot = SnapshotFunction::new(config(&[]), &d.home).await.unwrap();
    snapshot.handle(events[0].clone()).await.unwrap();
    let records = catalog_items(&d).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["apis"], json!(["orders"]));
    assert_eq!(records[0]["trigger"], "change:PutMethod");

    // A change to an API outside the selection is ignored.
    let selective = DiscoveryFunction::new(config(&[("APIGW_DR_SELECT", "pets")]), &d.home)
        .await
        .unwrap();
    let out = selective
        .handle(event("cloudtrail-put-method.json", &orders.api_id))
        .await
        .unwrap();
    assert!(
        out["ignored"]
            .as_str()
            .unwrap()
            .contains("not in the selection"),
        "{out}"
    );
    assert!(delivered(&d).await.is_empty());

    // The API was deleted before its snapshot ran: nothing to keep, no error, nothing written.
    apigw
        .delete_rest_api()
        .rest_api_id(&orders.api_id)
        .send()
        .await
        .unwrap();
    let out = snapshot.handle(events[0].clone()).await.unwrap();
    assert!(out["point"].is_null(), "{out}");
    assert_eq!(catalog_items(&d).await.len(), 1);
}

#[tokio::test]
async fn discovery_reaches_another_account_through_its_role() {
    let env = acquire().await;
    let d = deploy(&env).await;
    let b = env.sdk(SOURCE, Account::B).await;
    let api = fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&b), "in-b")
        .await
        .unwrap();
    let role = tests::role_arn(Account::B);
    let cfg = config(&[("APIGW_DR_SOURCE_ROLE_ARN", role.as_str())]);
    let discovery = DiscoveryFunction::new(cfg.clone(), &d.home).await.unwrap();
    discovery.handle(event("scheduled.json", "")).await.unwrap();
    let events = delivered(&d).await;
    assert_eq!(events.len(), 2, "the API and the estate");
    assert_eq!(events[0]["detail"]["apis"], json!([api.api_id]));
    let snapshot = SnapshotFunction::new(cfg, &d.home).await.unwrap();
    snapshot.handle(events[0].clone()).await.unwrap();
    let records = catalog_items(&d).await;
    assert_eq!(records[0]["source"]["account"], tests::ACCOUNT_B);
}

#[tokio::test]
async fn malformed_and_foreign_events_are_rejected_and_write_nothing() {
    let env = acquire().await;
    let d = deploy(&env).await;
    let source = env.sdk(SOURCE, Account::A).await;
    let orders = fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&source), "orders")
        .await
        .unwrap();
    let discovery = DiscoveryFunction::new(config(&[]), &d.home).await.unwrap();
    let snapshot = SnapshotFunction::new(config(&[]), &d.home).await.unwrap();

    let mut truncated = event("cloudtrail-put-method.json", &orders.api_id);
    truncated["detail"]
        .as_object_mut()
        .unwrap()
        .remove("eventName");
    let bad = [
        event("cloudtrail-s3-put-object.json", ""),
        truncated,
        json!({"hello": "world"}),
        json!("just a string"),
    ];
    for ev in &bad {
        let e = discovery.handle(ev.clone()).await.unwrap_err();
        assert_eq!(e.lambda_error_type(), "InvalidEvent", "{e}");
        assert!(!e.to_string().contains('\n'), "one line: {e}");
        let e = snapshot.handle(ev.clone()).await.unwrap_err();
        assert_eq!(e.lambda_error_type(), "InvalidEvent", "{e}");
    }
    // A discovery event given to the snapshot function is foreign to it.
    let e = snapshot
        .handle(event("scheduled.json", ""))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Snapshot Requested"), "{e}");

    assert!(
        delivered(&d).await.is_empty(),
        "no snapshot request was sent"
    );
    assert!(catalog_items(&d).await.is_empty(), "no record was written");
    assert_eq!(stored_objects(&d).await, 0, "no object was written");
}

/// An SQS event as Lambda delivers it (shape from the AWS documentation) for these messages.
fn sqs_event(msgs: &[aws_sdk_sqs::types::Message], queue_arn: &str) -> Value {
    let records: Vec<Value> = msgs
        .iter()
        .map(|m| {
            json!({
                "messageId": m.message_id().unwrap_or_default(),
                "receiptHandle": m.receipt_handle().unwrap_or_default(),
                "body": m.body().unwrap_or_default(),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1545082649183",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1545082649185"
                },
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body().unwrap_or_default(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": HOME
            })
        })
        .collect();
    json!({ "Records": records })
}

#[tokio::test]
async fn a_burst_of_changes_gives_one_point() {
    let env = acquire().await;
    let d = deploy(&env).await;
    let sqs = aws_sdk_sqs::Client::new(&d.home);
    let debounce_url = sqs
        .create_queue()
        .queue_name("debounce")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let debounce_arn = format!("arn:aws:sqs:{HOME}:{}:debounce", tests::ACCOUNT_A);
    let source = env.sdk(SOURCE, Account::A).await;
    let orders = fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&source), "orders")
        .await
        .unwrap();
    let cfg = config(&[
        ("APIGW_DR_DEBOUNCE_QUEUE_URL", debounce_url.as_str()),
        ("APIGW_DR_QUIET_SECONDS", "0"),
    ]);
    let discovery = DiscoveryFunction::new(cfg.clone(), &d.home).await.unwrap();

    // A deployment pipeline's burst: 20 change events within a minute.
    let start = shared::time::now_ms() - 40_000;
    for i in 0..20 {
        let mut ev = event("cloudtrail-put-method.json", &orders.api_id);
        ev["time"] = json!(shared::time::rfc3339(start + i * 2_000));
        ev["id"] = json!(format!("burst-{i}"));
        let out = discovery.handle(ev).await.unwrap();
        assert_eq!(out["debounced"], orders.api_id.as_str(), "{out}");
    }
    assert!(
        delivered(&d).await.is_empty(),
        "no snapshot is asked for during the burst"
    );

    // The checks come due (in Lambda: the queue's event source mapping, batches of 10).
    let mut msgs = vec![];
    while msgs.len() < 20 {
        let got = sqs
            .receive_message()
            .queue_url(&debounce_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        msgs.extend(got.messages().to_vec());
    }
    for batch in msgs.chunks(10) {
        discovery
            .handle(sqs_event(batch, &debounce_arn))
            .await
            .unwrap();
    }
    let requests = delivered(&d).await;
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert!(
        requests[0]["detail"]["trigger"]
            .as_str()
            .unwrap()
            .contains("20 changes"),
        "{}",
        requests[0]
    );

    let snapshot = SnapshotFunction::new(cfg, &d.home).await.unwrap();
    snapshot.handle(requests[0].clone()).await.unwrap();
    assert_eq!(catalog_items(&d).await.len(), 1, "one point");
}
