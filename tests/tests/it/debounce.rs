//! Debouncing change events against moto's DynamoDB and SQS: a burst gives one recovery point
//! after its last change, out-of-order and concurrent changes are handled, a continuous stream
//! still gets points, and junk is rejected.
//!
//! moto honours `DelaySeconds` (a delayed message is not received before its time), so the
//! burst test uses a real quiet time of a few seconds; the others use a quiet time of zero
//! and pass `on_due` the time the message would come due.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use shared::Error;
use shared::debounce::{Debouncer, parse_sqs_event};
use shared::events::SnapshotRequest;
use tests::{Account, Env, acquire};

use crate::event;

const HOME: &str = "us-west-2";
const TABLE: &str = "dr-catalog";

struct Setup {
    home: SdkConfig,
    queue_url: String,
    debouncer: Debouncer,
}

async fn setup(env: &Env, quiet: Duration, max_defer: Duration) -> Setup {
    let home = env.sdk(HOME, Account::A).await;
    env.create_catalog_table(&home, TABLE).await.unwrap();
    let queue_url = aws_sdk_sqs::Client::new(&home)
        .create_queue()
        .queue_name("debounce")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let debouncer = Debouncer::new(
        &home,
        &format!("dynamodb://{TABLE}"),
        &queue_url,
        quiet,
        max_defer,
    );
    Setup {
        home,
        queue_url,
        debouncer,
    }
}

/// Receives (and deletes) every message visible now.
async fn receive(s: &Setup) -> Vec<String> {
    tests::drain_queue(&s.home, &s.queue_url).await
}

/// The SQS event Lambda would be started with for these bodies.
fn sqs_event(bodies: &[String]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            json!({
                "messageId": format!("m{i}"), "receiptHandle": "rh", "body": b,
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "md5OfBody": "x", "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:{HOME}:{}:debounce", tests::ACCOUNT_A),
                "awsRegion": HOME
            })
        })
        .collect();
    json!({ "Records": records })
}

fn seen_last(body: &str) -> i64 {
    serde_json::from_str::<Value>(body).unwrap()["seenLast"]
        .as_i64()
        .unwrap()
}

async fn pending(s: &Setup, api: &str) -> Option<HashMap<String, AttributeValue>> {
    aws_sdk_dynamodb::Client::new(&s.home)
        .get_item()
        .table_name(TABLE)
        .key("pk", AttributeValue::S("pending".into()))
        .key("sk", AttributeValue::S(api.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

fn n(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item[name].as_n().unwrap().parse().unwrap()
}

/// Feeds each body to `on_due` at its own due time (`seenLast + quiet_ms`); the requests
/// returned, with the body that gave each.
async fn feed(s: &Setup, bodies: &[String], quiet_ms: i64) -> Vec<(String, SnapshotRequest)> {
    let mut out = vec![];
    for b in bodies {
        if let Some(r) = s
            .debouncer
            .on_due(b, seen_last(b) + quiet_ms)
            .await
            .unwrap()
        {
            out.push((b.clone(), r));
        }
    }
    out
}

#[tokio::test]
async fn a_burst_of_twenty_changes_gives_one_request_after_the_last() {
    let env = acquire().await;
    let quiet = Duration::from_secs(3);
    let s = setup(&env, quiet, Duration::from_secs(300)).await;
    let base = shared::time::now_ms() - 60_000;
    let sent = Instant::now();
    for i in 0..20 {
        let trigger = if i == 19 {
            "CreateDeployment"
        } else {
            "PutMethod"
        };
        s.debouncer
            .record_change("orders1", base + i * 2_000, trigger)
            .await
            .unwrap();
    }
    let last = base + 19 * 2_000;
    let item = pending(&s, "orders1").await.unwrap();
    assert_eq!(
        (n(&item, "first"), n(&item, "last"), n(&item, "count")),
        (base, last, 20)
    );

    // moto honours DelaySeconds: nothing is visible before the quiet time has passed.
    let early = receive(&s).await;
    if sent.elapsed() < quiet {
        assert!(early.is_empty(), "{early:?}");
    }
    let mut bodies = early;
    let deadline = Instant::now() + Duration::from_secs(20);
    while bodies.len() < 20 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        bodies.extend(receive(&s).await);
    }
    assert!(sent.elapsed() >= quiet);
    assert_eq!(bodies.len(), 20, "{bodies:?}");

    // As the Lambda gets them: an SQS event, then each body comes due.
    let bodies = parse_sqs_event(&sqs_event(&bodies)).unwrap();
    let got = feed(&s, &bodies, 3_000).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let (body, req) = &got[0];
    assert_eq!(seen_last(body), last);
    assert_eq!(
        req,
        &SnapshotRequest {
            apis: vec!["orders1".into()],
            trigger: "change:CreateDeployment (debounced 20 changes)".into(),
            cause: None,
        }
    );
    assert!(pending(&s, "orders1").await.is_none());
    // A message delivered twice (SQS is at least once) finds nothing left to do.
    assert!(feed(&s, &bodies, 3_000).await.is_empty());
}

#[tokio::test]
async fn an_older_change_never_lowers_last_and_a_late_one_is_not_lost() {
    let env = acquire().await;
    let s = setup(&env, Duration::ZERO, Duration::from_secs(300)).await;
    let base = shared::time::now_ms() - 60_000;
    s.debouncer
        .record_change("pets1", base + 2_000, "change:UpdateStage")
        .await
        .unwrap();
    s.debouncer
        .record_change("pets1", base + 1_000, "change:PutMethod")
        .await
        .unwrap();
    let item = pending(&s, "pets1").await.unwrap();
    assert_eq!(n(&item, "last"), base + 2_000);
    assert_eq!(n(&item, "count"), 2);
    assert_eq!(item["trigger"].as_s().unwrap(), "UpdateStage");

    let bodies = receive(&s).await;
    assert_eq!(bodies.len(), 2);
    // Both messages carry the newest time: whichever comes due first takes the point.
    assert!(bodies.iter().all(|b| seen_last(b) == base + 2_000));
    let got = feed(&s, &bodies, 1_000).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1.trigger, "change:UpdateStage (debounced 2 changes)");
    assert!(pending(&s, "pets1").await.is_none());

    // An old event that arrives after the point was taken still gets its own point.
    s.debouncer
        .record_change("pets1", base + 500, "PutIntegration")
        .await
        .unwrap();
    let bodies = receive(&s).await;
    assert_eq!(bodies.len(), 1);
    let got = feed(&s, &bodies, 1_000).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].1.trigger,
        "change:PutIntegration (debounced 1 change)"
    );
}

#[tokio::test]
async fn two_apis_are_debounced_independently() {
    let env = acquire().await;
    let s = setup(&env, Duration::ZERO, Duration::from_secs(300)).await;
    let base = shared::time::now_ms() - 60_000;
    for i in 0..5 {
        s.debouncer
            .record_change("aaa", base + i * 1_000, "PutMethod")
            .await
            .unwrap();
        s.debouncer
            .record_change("bbb", base + i * 1_000 + 500, "PutIntegration")
            .await
            .unwrap();
    }
    let mut bodies = receive(&s).await;
    assert_eq!(bodies.len(), 10);
    bodies.reverse(); // the order messages come due in does not matter
    let mut got: Vec<SnapshotRequest> = feed(&s, &bodies, 1_000)
        .await
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    got.sort_by(|a, b| a.apis.cmp(&b.apis));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].apis, ["aaa"]);
    assert_eq!(got[0].trigger, "change:PutMethod (debounced 5 changes)");
    assert_eq!(got[1].apis, ["bbb"]);
    assert_eq!(
        got[1].trigger,
        "change:PutIntegration (debounced 5 changes)"
    );
    assert!(pending(&s, "aaa").await.is_none() && pending(&s, "bbb").await.is_none());
}

#[tokio::test]
async fn a_stream_longer_than_max_defer_gets_points_on_the_way_and_after_the_last_change() {
    let env = acquire().await;
    // Changes every 400 ms for 3.6 s; messages come due 1 s after their change; max_defer 2 s.
    let s = setup(&env, Duration::ZERO, Duration::from_secs(2)).await;
    let quiet_ms = 1_000;
    let t0 = shared::time::now_ms() - 60_000;
    let at = |i: i64| t0 + i * 400;
    let mut queued: Vec<String> = vec![];
    let mut got: Vec<(i64, SnapshotRequest)> = vec![];
    let due_until = |queued: &mut Vec<String>, until: i64| {
        let (due, later): (Vec<String>, Vec<String>) = queued
            .drain(..)
            .partition(|b| seen_last(b) + quiet_ms <= until);
        *queued = later;
        due
    };
    for i in 0..10 {
        s.debouncer
            .record_change("stream", at(i), "PutMethod")
            .await
            .unwrap();
        queued.extend(receive(&s).await);
        for b in due_until(&mut queued, at(i)) {
            if let Some(r) = s
                .debouncer
                .on_due(&b, seen_last(&b) + quiet_ms)
                .await
                .unwrap()
            {
                got.push((seen_last(&b), r));
            }
        }
    }
    for b in due_until(&mut queued, i64::MAX) {
        if let Some(r) = s
            .debouncer
            .on_due(&b, seen_last(&b) + quiet_ms)
            .await
            .unwrap()
        {
            got.push((seen_last(&b), r));
        }
    }
    let summary: Vec<(i64, &str)> = got
        .iter()
        .map(|(seen, r)| (seen - t0, r.trigger.as_str()))
        .collect();
    // Change 3's message comes due 2.2 s after the first change: an intermediate point;
    // change 8's, 2 s after that one: another; change 9's (the last): the final point.
    assert_eq!(
        summary,
        [
            (
                1_200,
                "change:PutMethod (debounced 7 changes; more pending)"
            ),
            (
                3_200,
                "change:PutMethod (debounced 10 changes; more pending)"
            ),
            (3_600, "change:PutMethod (debounced 10 changes)"),
        ]
    );
    assert!(pending(&s, "stream").await.is_none());
}

#[tokio::test]
async fn junk_bodies_and_other_events_are_invalid() {
    let env = acquire().await;
    let s = setup(&env, Duration::ZERO, Duration::from_secs(300)).await;
    for body in [
        "not json",
        "{}",
        r#"{"api": "x"}"#,
        r#"{"api": "", "seenLast": 1}"#,
        r#"{"api": "x", "seenLast": "soon"}"#,
    ] {
        let e = s.debouncer.on_due(body, 0).await.unwrap_err();
        assert!(matches!(e, Error::Invalid(_)), "{body}: {e}");
    }
    for ev in [
        event("scheduled.json", ""),
        event("cloudtrail-put-method.json", "abc"),
        json!({"Records": []}),
        json!({"Records": [{"eventSource": "aws:sns", "body": "x"}]}),
    ] {
        let e = parse_sqs_event(&ev).unwrap_err();
        assert!(matches!(e, Error::Invalid(_)), "{ev}: {e}");
    }
    // Nothing was written or queued.
    assert!(receive(&s).await.is_empty());
}
