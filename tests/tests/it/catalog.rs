//! The catalog never loses an update: snapshots of one source taken at the same moment each
//! leave their label on the point, with the local catalog and with DynamoDB, through the real
//! snapshot path (capture, store, point record).

use std::collections::BTreeSet;

use aws_sdk_apigateway::types::{Op, PatchOperation};
use futures_util::future::join_all;
use shared::catalog::{Catalog, PointStatus};
use shared::pipeline::{SnapshotJob, snapshot};
use shared::store::Store;
use tests::{Account, Env, acquire, fixtures};

use crate::quiet;

const REGION: &str = "us-east-1";
const AT_ONCE: usize = 8;
const ROUNDS: usize = 10;

async fn eight_at_once_keep_eight_labels(env: &Env, store: &Store, catalog: &Catalog) {
    let source = env.sdk(REGION, Account::A).await;
    let apigw = aws_sdk_apigateway::Client::new(&source);
    let api = fixtures::sample_rest_api(&apigw, "orders").await.unwrap();
    let sealer = tests::sealer(store);
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for round in 0..ROUNDS {
        // Even rounds: the source changed, so the eight race to create the point's record.
        // Odd rounds: the same point again, so they race to update an existing record.
        if round % 2 == 0 {
            apigw
                .update_rest_api()
                .rest_api_id(&api.api_id)
                .patch_operations(
                    PatchOperation::builder()
                        .op(Op::Replace)
                        .path("/description")
                        .value(format!("round {round}"))
                        .build(),
                )
                .send()
                .await
                .unwrap();
            expected.clear();
        }
        let jobs: Vec<SnapshotJob> = (0..AT_ONCE)
            .map(|i| SnapshotJob {
                select: vec!["orders".into()],
                label: Some(format!("r{round}-s{i}")),
                trigger: "test".into(),
                retention_days: 1 + i as i64,
                include: vec![],
                exclude: vec![],
            })
            .collect();
        let outs = join_all(
            jobs.iter()
                .map(|j| snapshot(&source, store, catalog, &sealer, j, &quiet)),
        )
        .await;
        let outs: Vec<_> = outs.into_iter().map(|o| o.unwrap()).collect();
        let id = outs[0].report.record.id.clone();
        assert!(outs.iter().all(|o| o.report.record.id == id), "one point");
        let created = outs.iter().filter(|o| !o.report.unchanged).count();
        assert_eq!(
            created,
            usize::from(round % 2 == 0),
            "round {round}: exactly one snapshot created the record"
        );
        expected.extend(jobs.iter().filter_map(|j| j.label.clone()));
        let rec = catalog.get(&id).await.unwrap().unwrap();
        let labels: BTreeSet<String> = rec.labels.iter().cloned().collect();
        assert_eq!(
            labels, expected,
            "round {round}: every label is on the point"
        );
        assert_eq!(rec.labels.len(), labels.len(), "no label twice");
        // The longest retention asked for (8 days) wins, whichever write came last; the
        // writes were seconds apart, so a shorter one winning would show.
        assert_eq!(
            rec.expires,
            outs.iter().map(|o| o.report.record.expires).max().unwrap(),
            "round {round}: the expiry never moves back"
        );
        assert!(
            rec.expires > rec.confirmed + (AT_ONCE as i64 - 1) * shared::time::DAY_MS,
            "round {round}: the longest retention wins"
        );
        assert_eq!(rec.status, PointStatus::Available);
    }
}

#[tokio::test]
async fn concurrent_snapshots_keep_every_label_local_catalog() {
    let env = acquire().await;
    let (_dir, store, catalog) = tests::local_store().await;
    eight_at_once_keep_eight_labels(&env, &store, &catalog).await;
}

/// An S3 store and a DynamoDB catalog in moto.
async fn in_aws(env: &Env) -> (Store, Catalog) {
    let home = env.sdk("us-west-2", Account::A).await;
    env.create_bucket(&home, "dr-points").await.unwrap();
    env.create_catalog_table(&home, "dr-catalog").await.unwrap();
    shared::location::open(
        "s3://dr-points/race",
        Some("dynamodb://dr-catalog"),
        Some(&home),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn concurrent_snapshots_keep_every_label_dynamodb() {
    let env = acquire().await;
    let (store, catalog) = in_aws(&env).await;
    eight_at_once_keep_eight_labels(&env, &store, &catalog).await;
}

/// Two runs of one job: the second to write, having read the same revision, is refused and
/// overwrites nothing; a job id is created once.
async fn one_job_one_writer(catalog: &Catalog) {
    use shared::jobs::{JobRecord, JobRequest, Phase};
    let request = JobRequest {
        point: "ab".repeat(32),
        ..Default::default()
    };
    let mut job = JobRecord::new(request, "test");
    catalog.put_job(&mut job).await.unwrap();
    assert_eq!(job.revision, 1);
    let mut twin = job.clone();
    twin.revision = 0;
    let e = catalog.put_job(&mut twin).await.unwrap_err();
    assert!(
        matches!(e, shared::Error::Conflict(_)) && e.to_string().contains("already exists"),
        "{e}"
    );

    let mut first = catalog.get_job(&job.id).await.unwrap().unwrap();
    let mut second = first.clone();
    first.phase = Phase::Planning;
    catalog.put_job(&mut first).await.unwrap();
    second.phase = Phase::Failed;
    let e = catalog.put_job(&mut second).await.unwrap_err();
    assert!(matches!(e, shared::Error::Conflict(_)), "{e}");
    assert!(
        e.to_string().contains("another run") && e.to_string().contains("Planning"),
        "{e}"
    );
    let stored = catalog.get_job(&job.id).await.unwrap().unwrap();
    assert_eq!((stored.phase, stored.revision), (Phase::Planning, 2));
    // The run that wrote last goes on writing.
    first.phase = Phase::Applying;
    catalog.put_job(&mut first).await.unwrap();
    assert_eq!(
        catalog.get_job(&job.id).await.unwrap().unwrap().phase,
        Phase::Applying
    );
}

#[tokio::test]
async fn two_runs_of_one_job_cannot_overwrite_each_other() {
    let env = acquire().await;
    let (_dir, _store, local) = tests::local_store().await;
    one_job_one_writer(&local).await;
    let (_, dynamo) = in_aws(&env).await;
    one_job_one_writer(&dynamo).await;
}
