//! Recovery points end to end, the same suite against both store/catalog pairs:
//! file:// + local catalog, and s3:// + dynamodb:// (in moto).

use std::collections::BTreeSet;

use aws_config::SdkConfig;
use shared::catalog::{Catalog, PointStatus};
use shared::pipeline::{SnapshotJob, snapshot};
use shared::point::{self, PruneOptions};
use shared::store::{Store, object_key};
use tests::{Account, Env, acquire, fixtures};

use crate::quiet;

const SOURCE_REGION: &str = "us-east-1";
const HOME_REGION: &str = "us-west-2";

fn job(api: &str) -> SnapshotJob {
    SnapshotJob {
        select: vec![api.into()],
        label: None,
        trigger: "test".into(),
        retention_days: 30,
        include: vec![],
        exclude: vec![],
    }
}

async fn hashes(store: &Store) -> BTreeSet<String> {
    store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.hash)
        .collect()
}

/// Replaces an object's bytes behind the store's back.
async fn tamper(store: &Store, home: &SdkConfig, bucket: &str, prefix: &str, hash: &str) {
    match store {
        Store::File(f) => {
            let path = f.root().join(object_key(hash));
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[0] ^= 0x20;
            std::fs::write(&path, bytes).unwrap();
        }
        Store::S3(_) => {
            let key = format!("{prefix}/{}", object_key(hash));
            let s3 = aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(home)
                    .force_path_style(true)
                    .build(),
            );
            let old = s3
                .get_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .unwrap();
            let mut bytes = old.body.collect().await.unwrap().into_bytes().to_vec();
            bytes[0] ^= 0x20;
            s3.put_object()
                .bucket(bucket)
                .key(&key)
                .body(bytes.into())
                .send()
                .await
                .unwrap();
        }
    }
}

async fn suite(
    env: &Env,
    store: Store,
    catalog: Catalog,
    home: &SdkConfig,
    bucket: &str,
    prefix: &str,
) {
    let source = env.sdk(SOURCE_REGION, Account::A).await;
    let apigw = aws_sdk_apigateway::Client::new(&source);
    let api = fixtures::sample_rest_api(&apigw, "orders").await.unwrap();

    // First point: everything is new.
    let first = snapshot(
        &source,
        &store,
        &catalog,
        &tests::sealer(&store),
        &job("orders"),
        &quiet,
    )
    .await
    .unwrap();
    let r1 = &first.report;
    assert!(!r1.unchanged);
    assert_eq!(
        r1.new_objects,
        r1.record.objects + 1,
        "every object and the manifest are new"
    );
    assert_eq!(r1.record.source.account, tests::ACCOUNT_A);
    assert_eq!(r1.record.source.region, SOURCE_REGION);
    assert_eq!(r1.record.apis, vec!["orders".to_string()]);
    assert_eq!(
        r1.record.expires - r1.record.created,
        30 * shared::time::DAY_MS
    );
    assert_eq!(catalog.list().await.unwrap().len(), 1);
    let after_first = hashes(&store).await;

    // Unchanged source: same point, zero new objects.
    let second = snapshot(
        &source,
        &store,
        &catalog,
        &tests::sealer(&store),
        &job("orders"),
        &quiet,
    )
    .await
    .unwrap();
    assert!(second.report.unchanged);
    assert_eq!(second.report.new_objects, 0);
    assert_eq!(second.report.record.id, r1.record.id);
    assert_eq!(hashes(&store).await, after_first);
    assert_eq!(catalog.list().await.unwrap().len(), 1);

    // One method changed: only that method's object and the manifest are new.
    fixtures::change_one_method(
        &apigw,
        &api.api_id,
        &api.method_resource_id,
        &api.method_verb,
    )
    .await
    .unwrap();
    let third = snapshot(
        &source,
        &store,
        &catalog,
        &tests::sealer(&store),
        &job("orders"),
        &quiet,
    )
    .await
    .unwrap();
    let r3 = &third.report;
    assert_ne!(r3.record.id, r1.record.id);
    assert_eq!(r3.new_objects, 2);
    let added: BTreeSet<String> = hashes(&store)
        .await
        .difference(&after_first)
        .cloned()
        .collect();
    let m1 = point::read_manifest(&store, &r1.record.id).await.unwrap();
    let m3 = point::read_manifest(&store, &r3.record.id).await.unwrap();
    let changed: Vec<&str> = m3
        .entries
        .iter()
        .filter(|e| !m1.entries.contains(e))
        .map(|e| e.id.as_str())
        .collect();
    let method_id = format!("method:orders:/pets/{{id}}:{}", api.method_verb);
    assert_eq!(changed, vec![method_id.as_str()]);
    let method_hash = m3
        .entries
        .iter()
        .find(|e| e.id == method_id)
        .unwrap()
        .hash
        .clone();
    assert_eq!(
        added,
        BTreeSet::from([method_hash.clone(), r3.record.id.clone()])
    );

    // Read back: the model survives the store.
    let (_, loaded) = point::load(&store, &r3.record.id).await.unwrap();
    let recaptured = shared::capture::capture_rest_apis(
        &shared::capture::apigateway_client(&source),
        &shared::pacing::Pacer::default(),
        &["orders".into()],
        &quiet,
    )
    .await
    .unwrap();
    assert_eq!(loaded.rest_apis, recaptured);

    // Resolving: latest, prefix, unknown.
    assert_eq!(
        point::resolve(&catalog, "latest").await.unwrap().id,
        r3.record.id
    );
    assert_eq!(
        point::resolve(&catalog, &r1.record.id[..8])
            .await
            .unwrap()
            .id,
        r1.record.id
    );
    let e = point::resolve(&catalog, "nope")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no recovery point 'nope'"), "{e}");

    // Tamper with the changed method's object: verify names it, the point is Damaged.
    let ok = point::verify(&store, &catalog, &r3.record, &quiet)
        .await
        .unwrap();
    assert!(ok.bad.is_empty());
    assert_eq!(ok.checked, r3.record.objects + 1);
    tamper(&store, home, bucket, prefix, &method_hash).await;
    let bad = point::verify(&store, &catalog, &r3.record, &quiet)
        .await
        .unwrap();
    assert_eq!(bad.bad.len(), 1, "{:?}", bad.bad);
    assert!(
        bad.bad[0].contains(&method_hash) && bad.bad[0].contains(&method_id),
        "{}",
        bad.bad[0]
    );
    let rec3 = catalog.get(&r3.record.id).await.unwrap().unwrap();
    assert_eq!(rec3.status, PointStatus::Damaged);
    let load_err = point::load(&store, &r3.record.id)
        .await
        .unwrap_err()
        .to_string();
    assert!(load_err.contains(&method_id), "{load_err}");
    // The first point does not use that object: still whole.
    let r1_now = catalog.get(&r1.record.id).await.unwrap().unwrap();
    assert!(
        point::verify(&store, &catalog, &r1_now, &quiet)
            .await
            .unwrap()
            .bad
            .is_empty()
    );

    // A new snapshot of the same source heals the damaged object.
    let healed = snapshot(
        &source,
        &store,
        &catalog,
        &tests::sealer(&store),
        &job("orders"),
        &quiet,
    )
    .await
    .unwrap();
    assert_eq!(healed.report.record.id, r3.record.id);
    assert_eq!(healed.report.record.status, PointStatus::Available);
    assert!(
        point::verify(&store, &catalog, &healed.report.record, &quiet)
            .await
            .unwrap()
            .bad
            .is_empty()
    );

    // Prune: the first point expired; keep=1 keeps the newest; objects only it used go.
    let mut old = catalog.get(&r1.record.id).await.unwrap().unwrap();
    old.expires = 1;
    catalog.put(&old).await.unwrap();
    let opts = |dry_run| PruneOptions {
        keep: 1,
        grace_secs: 0,
        dry_run,
        now: shared::time::now_ms(),
    };
    let dry = point::prune(&store, &catalog, &opts(true)).await.unwrap();
    assert_eq!(dry.removed.len(), 1);
    assert_eq!(
        dry.deleted_objects, 2,
        "the old method object and the old manifest"
    );
    assert_eq!(
        catalog.list().await.unwrap().len(),
        2,
        "a dry run changes nothing"
    );
    let before = hashes(&store).await;
    let done = point::prune(&store, &catalog, &opts(false)).await.unwrap();
    assert_eq!(done.removed[0].id, r1.record.id);
    let gone: BTreeSet<String> = before.difference(&hashes(&store).await).cloned().collect();
    let old_method = m1
        .entries
        .iter()
        .find(|e| e.id == method_id)
        .unwrap()
        .hash
        .clone();
    assert_eq!(gone, BTreeSet::from([old_method, r1.record.id.clone()]));
    assert_eq!(catalog.list().await.unwrap().len(), 1);
    let left = catalog.get(&r3.record.id).await.unwrap().unwrap();
    assert!(
        point::verify(&store, &catalog, &left, &quiet)
            .await
            .unwrap()
            .bad
            .is_empty()
    );

    // Keep wins over expiry: the last good point stays even when expired.
    let mut last = left.clone();
    last.expires = 1;
    catalog.put(&last).await.unwrap();
    let kept = point::prune(&store, &catalog, &opts(false)).await.unwrap();
    assert!(kept.removed.is_empty());
    assert_eq!(kept.kept_expired, vec![left.id.clone()]);
}

#[tokio::test]
async fn file_store_and_local_catalog() {
    let env = acquire().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let (store, catalog) = shared::location::open(&url, None, None).await.unwrap();
    let home = env.sdk(HOME_REGION, Account::A).await;
    suite(&env, store, catalog, &home, "", "").await;
    assert!(
        dir.path().join("catalog/points").is_dir(),
        "the catalog lives beside the store"
    );
}

#[tokio::test]
async fn s3_store_and_dynamodb_catalog() {
    let env = acquire().await;
    let home = env.sdk(HOME_REGION, Account::A).await;
    env.create_bucket(&home, "dr-points").await.unwrap();
    env.create_catalog_table(&home, "dr-catalog").await.unwrap();
    let (store, catalog) = shared::location::open(
        "s3://dr-points/team-a",
        Some("dynamodb://dr-catalog"),
        Some(&home),
    )
    .await
    .unwrap();
    suite(&env, store, catalog, &home, "dr-points", "team-a").await;
    // The objects really are in S3 under the prefix, and the records in DynamoDB.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&home)
            .force_path_style(true)
            .build(),
    );
    let listed = s3
        .list_objects_v2()
        .bucket("dr-points")
        .prefix("team-a/objects/")
        .send()
        .await
        .unwrap();
    assert!(listed.key_count().unwrap_or(0) > 5);
    let ddb = aws_sdk_dynamodb::Client::new(&home);
    let items = ddb.scan().table_name("dr-catalog").send().await.unwrap();
    assert_eq!(items.count(), 1);
}

#[tokio::test]
async fn missing_bucket_or_table_is_one_clear_error_before_any_capture() {
    let env = acquire().await;
    let home = env.sdk(HOME_REGION, Account::A).await;
    let source = env.sdk(SOURCE_REGION, Account::A).await;
    let (store, catalog) = shared::location::open(
        "s3://no-such-bucket",
        Some("dynamodb://no-such-table"),
        Some(&home),
    )
    .await
    .unwrap();
    env.start_recording().await;
    let e = snapshot(
        &source,
        &store,
        &catalog,
        &tests::sealer(&store),
        &job("orders"),
        &quiet,
    )
    .await
    .unwrap_err();
    env.stop_recording().await;
    assert!(
        e.to_string()
            .contains("bucket 'no-such-bucket' does not exist"),
        "{e}"
    );
    let apigw_calls = env
        .recorded()
        .await
        .into_iter()
        .filter(|r| r.path.starts_with("/restapis"))
        .count();
    assert_eq!(apigw_calls, 0, "nothing was captured");
    env.create_bucket(&home, "no-such-bucket").await.unwrap();
    let e = snapshot(
        &source,
        &store,
        &catalog,
        &tests::sealer(&store),
        &job("orders"),
        &quiet,
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("catalog table 'no-such-table' does not exist"),
        "{e}"
    );
}
