//! The account-level estate against moto: captured into recovery points with every reference,
//! unchanged estates giving the same point, and API key values sealed (never in any file of the
//! store) and opened again only with the right key.

use std::path::Path;

use base64::Engine;
use shared::catalog::Catalog;
use shared::model::estate::{Estate, KINDS, Mapping};
use shared::pipeline::{SnapshotJob, snapshot};
use shared::point;
use shared::secret::{KeyOptions, Sealer, kms_key_object};
use shared::store::{FileStore, Store};
use tests::{Account, acquire, fixtures};

use crate::quiet;

const REGION: &str = "us-east-1";

fn job() -> SnapshotJob {
    SnapshotJob {
        select: vec![],
        label: None,
        trigger: "test".into(),
        retention_days: 30,
        include: vec![],
        exclude: vec![],
    }
}

fn local(dir: &Path) -> (Store, Catalog) {
    (
        Store::File(FileStore::new(dir)),
        Catalog::Local(shared::catalog::LocalCatalog::new(dir.join("catalog"))),
    )
}

/// Every byte string an API key value could be found as in a file.
fn forms(value: &str) -> Vec<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut out = vec![value.as_bytes().to_vec()];
    for e in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
        out.push(e.encode(value).into_bytes());
    }
    out
}

/// Every file below `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn the_estate_is_captured_with_its_references_and_sealed_values() {
    let env = acquire().await;
    let sdk = env.sdk(REGION, Account::A).await;
    let v1 = aws_sdk_apigateway::Client::new(&sdk);
    let v2 = aws_sdk_apigatewayv2::Client::new(&sdk);
    let fx = fixtures::estate(&v1, &v2, tests::ACCOUNT_A).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, catalog) = local(dir.path());
    let sealer = Sealer::for_store(&store, &KeyOptions::default(), None);

    let first = snapshot(&sdk, &store, &catalog, &sealer, &job(), &quiet)
        .await
        .unwrap();
    let (manifest, snap) = point::load(&store, &first.report.record.id).await.unwrap();
    assert_eq!(snap.rest_apis.len(), 1);
    assert_eq!(snap.apis_v2.len(), 2);
    let e: &Estate = &snap.estate;

    // The domain, seen through both APIs, with both mappings pointing at the right stages.
    assert_eq!(e.domains.len(), 1, "{:?}", e.domains);
    let d = &e.domains[0];
    assert_eq!(d.domain_name, fx.domain);
    assert_eq!(d.seen_by, ["v1", "v2"]);
    assert_eq!(d.endpoint_type, "REGIONAL");
    assert_eq!(
        d.regional_certificate_arn.as_deref(),
        Some(fx.certificate_arn.as_str())
    );
    assert_eq!(d.tags["team"], "edge");
    let mapping = |key: &str, api: &str, via: &str, id: Option<&str>| Mapping {
        key: key.into(),
        api_id: api.into(),
        stage: Some("prod".into()),
        via: via.into(),
        id: id.map(str::to_string),
    };
    assert_eq!(
        d.mappings,
        [
            mapping(
                &fx.api_mapping_key,
                &fx.http.api_id,
                "v2",
                Some(&fx.api_mapping_id)
            ),
            mapping(&fx.base_path, &fx.rest.api_id, "v1", None),
        ]
    );

    let l1 = &e.vpc_links_v1[0];
    assert_eq!(
        (l1.id.as_str(), l1.name.as_str()),
        (fx.vpc_link_v1_id.as_str(), "orders-nlb")
    );
    assert_eq!(l1.target_arns, std::slice::from_ref(&fx.nlb_arn));
    assert_eq!(l1.tags["team"], "orders");
    let l2 = &e.vpc_links_v2[0];
    assert_eq!(l2.id, fx.vpc_link_v2_id);
    assert_eq!(l2.subnet_ids, fx.subnet_ids);
    assert_eq!(l2.security_group_ids, fx.security_group_ids);

    let plan = &e.usage_plans[0];
    assert_eq!(plan.id, fx.usage_plan_id);
    assert_eq!(plan.name, "gold");
    assert_eq!(plan.api_stages.len(), 1);
    assert_eq!(plan.api_stages[0].api_id, fx.rest.api_id);
    assert_eq!(plan.api_stages[0].stage, "prod");
    assert_eq!(plan.throttle.as_ref().unwrap().burst_limit, 100);
    assert_eq!(plan.quota.as_ref().unwrap().period, "MONTH");
    let mut key_ids: Vec<String> = fx.api_keys.iter().map(|k| k.0.clone()).collect();
    key_ids.sort();
    assert_eq!(plan.keys, key_ids);

    let names: Vec<&str> = e.api_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    for (k, (id, name, value)) in e.api_keys.iter().zip(&fx.api_keys) {
        assert_eq!((&k.id, &k.name), (id, name));
        assert!(k.enabled);
        assert!(k.value.key.starts_with("local:"), "{}", k.value.key);
        assert_eq!(&sealer.open(&k.id, &k.value).await.unwrap(), value);
    }
    assert!(
        e.client_certificates.is_empty(),
        "moto has none (it answers 404)"
    );

    // Each thing is one object under its logical id.
    let ids: Vec<&str> = manifest
        .entries
        .iter()
        .filter(|m| KINDS.contains(&m.kind.as_str()))
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "apikey:alice",
            "apikey:bob",
            "domain:api.example.com",
            "mapping:api.example.com:http",
            "mapping:api.example.com:orders",
            "usageplan:gold",
            "vpclink:orders-nlb",
            "vpclinkv2:orders-private",
        ]
    );

    // Unchanged: the same point, nothing written.
    let again = snapshot(&sdk, &store, &catalog, &sealer, &job(), &quiet)
        .await
        .unwrap();
    assert_eq!(again.report.record.id, first.report.record.id);
    assert!(again.report.unchanged);
    assert_eq!(again.report.new_objects, 0);
    // Also with a new keyring on the same key file (a later run).
    let later = Sealer::for_store(&store, &KeyOptions::default(), None);
    let third = snapshot(&sdk, &store, &catalog, &later, &job(), &quiet)
        .await
        .unwrap();
    assert_eq!(third.report.record.id, first.report.record.id);
    assert_eq!(third.report.new_objects, 0);

    // No value, in clear or base64, in any file of the store folder (catalog included).
    let all = files(dir.path());
    assert!(all.len() > 20, "{all:?}");
    assert!(
        all.iter()
            .any(|p| p.starts_with(dir.path().join("catalog")))
    );
    for path in &all {
        let bytes = std::fs::read(path).unwrap();
        for (_, _, value) in &fx.api_keys {
            for f in forms(value) {
                assert!(
                    !contains(&bytes, &f),
                    "{} holds an API key value",
                    path.display()
                );
            }
        }
    }

    // Another key file does not open them, and says which key would.
    let other = tempfile::tempdir().unwrap();
    let wrong = Sealer::local(other.path().join("secret.key"));
    wrong.seal("x", "make the key").await.unwrap();
    let k = &e.api_keys[0];
    let msg = wrong.open(&k.id, &k.value).await.unwrap_err().to_string();
    assert!(msg.contains(&k.value.key), "{msg}");
    assert!(msg.contains("--key-file"), "{msg}");
    assert!(!msg.contains(&fx.api_keys[0].2), "{msg}");
}

#[tokio::test]
async fn a_source_with_only_a_custom_domain_is_a_point() {
    let env = acquire().await;
    let sdk = env.sdk(REGION, Account::A).await;
    let v1 = aws_sdk_apigateway::Client::new(&sdk);
    v1.create_domain_name()
        .domain_name("only.example.com")
        .certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/edge")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, catalog) = local(dir.path());
    let out = snapshot(
        &sdk,
        &store,
        &catalog,
        &tests::sealer(&store),
        &job(),
        &quiet,
    )
    .await
    .unwrap();
    let (_, snap) = point::load(&store, &out.report.record.id).await.unwrap();
    assert!(snap.rest_apis.is_empty() && snap.apis_v2.is_empty());
    assert_eq!(snap.estate.domains[0].domain_name, "only.example.com");
    assert_eq!(snap.estate.domains[0].seen_by, ["v1"]);
    assert!(
        !dir.path().join("secret.key").exists(),
        "no API key, no key file"
    );
}

#[tokio::test]
async fn kms_seals_with_a_data_key_wrapped_in_the_store() {
    let env = acquire().await;
    let sdk = env.sdk(REGION, Account::A).await;
    let v1 = aws_sdk_apigateway::Client::new(&sdk);
    let value = "kms-sealed-api-key-value-0123456789abc";
    let key = v1
        .create_api_key()
        .name("carol")
        .value(value)
        .enabled(true)
        .send()
        .await
        .unwrap();
    let key_id = key.id().unwrap().to_string();
    let kms = aws_sdk_kms::Client::new(&sdk);
    let kms_key = kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();

    let dir = tempfile::tempdir().unwrap();
    let (store, catalog) = local(dir.path());
    let opts = KeyOptions {
        key_file: None,
        kms_key: Some(kms_key.clone()),
    };
    let sealer = Sealer::for_store(&store, &opts, Some(&sdk));
    let first = snapshot(&sdk, &store, &catalog, &sealer, &job(), &quiet)
        .await
        .unwrap();
    let wrapped = dir.path().join(kms_key_object(&kms_key));
    assert!(
        wrapped.is_file(),
        "the wrapped data key is kept in the store"
    );
    assert!(
        !dir.path().join("secret.key").exists(),
        "no local key in KMS mode"
    );

    // A later run unwraps the same data key: same point, nothing new.
    let later = Sealer::for_store(&store, &opts, Some(&sdk));
    let again = snapshot(&sdk, &store, &catalog, &later, &job(), &quiet)
        .await
        .unwrap();
    assert_eq!(again.report.record.id, first.report.record.id);
    assert_eq!(again.report.new_objects, 0);

    let (_, snap) = point::load(&store, &first.report.record.id).await.unwrap();
    let sealed = &snap.estate.api_keys[0].value;
    assert!(
        sealed.key.starts_with(&format!("kms:{kms_key}:")),
        "{}",
        sealed.key
    );
    // Opening follows the key the value names, whatever this run would seal with.
    let restore_side = Sealer::for_store(&store, &KeyOptions::default(), Some(&sdk));
    assert_eq!(restore_side.open(&key_id, sealed).await.unwrap(), value);
    for path in files(dir.path()) {
        let bytes = std::fs::read(&path).unwrap();
        for f in forms(value) {
            assert!(!contains(&bytes, &f), "{} holds the value", path.display());
        }
    }
}
