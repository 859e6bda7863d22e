//! A restore whose create replies are lost makes nothing twice: the estate failover of
//! `restore_estate` (the sample REST API, the HTTP and WebSocket APIs, VPC links, keys, a usage
//! plan, a domain with its mappings) runs against moto through a proxy that applies every 3rd
//! POST or PUT to API Gateway and resets the connection instead of passing its reply back.

use std::collections::BTreeMap;

use shared::jobs::{self, JobRecord, Phase};
use shared::pacing::Pacer;
use tests::proxy::LossyProxy;
use tests::{Account, acquire};

use crate::quiet;
use crate::restore_estate::{TARGET, request, setup_with, unexplained};

/// Natural keys held more than once: `(what, key) -> copies`.
fn repeated(keys: impl IntoIterator<Item = (String, String)>) -> BTreeMap<(String, String), usize> {
    let mut n: BTreeMap<(String, String), usize> = BTreeMap::new();
    for k in keys {
        *n.entry(k).or_insert(0) += 1;
    }
    n.retain(|_, c| *c > 1);
    n
}

#[tokio::test]
async fn a_restore_whose_create_replies_are_lost_ends_succeeded_with_one_of_each_item() {
    let env = acquire().await;
    let s = setup_with(&env, true).await;
    let direct = env.sdk(TARGET, Account::B).await;
    let proxy = LossyProxy::start(env.endpoint(), 3).await.unwrap();
    let through = direct.to_builder().endpoint_url(&proxy.endpoint).build();

    let mut job = JobRecord::new(request(&s.point), "test");
    jobs::run(&s.store, &s.catalog, &mut job, &through, &quiet)
        .await
        .unwrap();
    let report = serde_json::to_value(job.report.clone().unwrap()).unwrap();
    assert!(
        proxy.lost() >= 10,
        "only {} of {} replies lost",
        proxy.lost(),
        proxy.writes()
    );
    assert_eq!(job.phase, Phase::Succeeded, "{report:#}");
    assert!(unexplained(&report).is_empty(), "{report:#}");

    // Counted by natural key from a direct capture of the target, past the proxy.
    let pacer = Pacer::default();
    let v1 = shared::capture::apigateway_client(&direct);
    let v2 = shared::capture::v2::client(&direct);
    let rest_ids: Vec<(String, String)> =
        shared::capture::list_rest_apis(&v1, &pacer).await.unwrap();
    let v2_ids = shared::capture::v2::list_apis(&v2, &pacer).await.unwrap();
    let mut keys: Vec<(String, String)> = rest_ids
        .iter()
        .map(|(_, name)| ("REST API".to_string(), name.clone()))
        .chain(
            v2_ids
                .iter()
                .map(|(_, name, _)| ("API".into(), name.clone())),
        )
        .collect();
    let ids: Vec<String> = rest_ids.iter().map(|(id, _)| id.clone()).collect();
    for api in shared::capture::capture_rest_apis(&v1, &pacer, &ids, &quiet)
        .await
        .unwrap()
    {
        let name = api.api.name.clone();
        keys.extend(
            shared::restore::rest::items(&api)
                .into_iter()
                .map(|(kind, key, ..)| (format!("{name} {kind}"), key)),
        );
    }
    let ids: Vec<String> = v2_ids.iter().map(|(id, ..)| id.clone()).collect();
    for api in shared::capture::v2::capture_apis(&v2, &pacer, &ids, &quiet)
        .await
        .unwrap()
    {
        let name = api.api.name.clone();
        keys.extend(
            shared::restore::v2::items(&api)
                .into_iter()
                .map(|(kind, key, ..)| (format!("{name} {kind}"), key)),
        );
    }
    let sealer = tests::sealer(&s.store);
    let estate = shared::capture::estate::capture_estate_with(
        &v1,
        &v2,
        &pacer,
        &sealer,
        &quiet,
        &shared::capture::Gaps::strict(),
    )
    .await
    .unwrap();
    let named = |what: &str, names: Vec<String>| {
        names
            .into_iter()
            .map(|n| (what.to_string(), n))
            .collect::<Vec<_>>()
    };
    keys.extend(named(
        "VPC link",
        estate.vpc_links_v1.iter().map(|l| l.name.clone()).collect(),
    ));
    keys.extend(named(
        "VPC link v2",
        estate.vpc_links_v2.iter().map(|l| l.name.clone()).collect(),
    ));
    keys.extend(named(
        "API key",
        estate.api_keys.iter().map(|k| k.name.clone()).collect(),
    ));
    keys.extend(named(
        "usage plan",
        estate.usage_plans.iter().map(|p| p.name.clone()).collect(),
    ));
    for d in &estate.domains {
        keys.push(("domain".into(), d.domain_name.clone()));
        keys.extend(named(
            &format!("mapping of {}", d.domain_name),
            d.mappings.iter().map(|m| m.key.clone()).collect(),
        ));
    }
    for p in &estate.usage_plans {
        keys.extend(named(&format!("key of plan {}", p.name), p.keys.clone()));
    }
    assert!(
        keys.len() > 50,
        "the capture found only {} items",
        keys.len()
    );
    assert_eq!(repeated(keys), BTreeMap::new(), "items made twice");
    assert_eq!((rest_ids.len(), v2_ids.len()), (1, 2));

    // A second run plans nothing.
    let plan = jobs::plan_for(&s.store, &s.catalog, &request(&s.point), &direct)
        .await
        .unwrap();
    let e = plan.estate.as_ref().unwrap();
    assert!(e.steps.is_empty(), "{:#?}", e.steps);
    for a in &plan.apis {
        assert!(a.steps.is_empty(), "{}: {:#?}", a.name, a.steps);
    }
}
