//! Drills against moto: the estate of account A / us-east-1 drilled into account B /
//! us-west-2, where a restore of the same point already stands (a standby's APIs, keys and
//! usage plan, under the same names). The drill creates its own copies, verifies, records
//! the drill, and its teardown leaves the target as it was; domains and DNS are never
//! touched; a teardown deletes only what carries the drill's tag.

use aws_sdk_apigateway::Client as V1;
use aws_sdk_apigatewayv2::Client as V2;
use shared::jobs::{self, JobRecord, JobRequest, Phase};
use tests::{Account, acquire};

use crate::quiet;
use crate::restore_estate::{Setup, TARGET, request, setup_with};

/// What the target holds that a drill could touch, as sorted `KIND NAME ID` lines: REST,
/// HTTP and WebSocket APIs, API keys, usage plans, custom domains (both APIs), VPC links.
async fn inventory(target: &aws_config::SdkConfig) -> Vec<String> {
    let (v1, v2) = (V1::new(target), V2::new(target));
    let mut out = vec![];
    for a in v1.get_rest_apis().limit(500).send().await.unwrap().items() {
        out.push(format!("RestApi {} {}", a.name().unwrap(), a.id().unwrap()));
    }
    for a in v2.get_apis().send().await.unwrap().items() {
        out.push(format!("Api {} {}", a.name().unwrap(), a.api_id().unwrap()));
    }
    for k in v1.get_api_keys().limit(500).send().await.unwrap().items() {
        out.push(format!("ApiKey {} {}", k.name().unwrap(), k.id().unwrap()));
    }
    for p in v1.get_usage_plans().send().await.unwrap().items() {
        out.push(format!(
            "UsagePlan {} {}",
            p.name().unwrap(),
            p.id().unwrap()
        ));
    }
    for d in v1.get_domain_names().send().await.unwrap().items() {
        out.push(format!("DomainName {}", d.domain_name().unwrap()));
    }
    for d in v2.get_domain_names().send().await.unwrap().items() {
        out.push(format!("DomainNameV2 {}", d.domain_name().unwrap()));
    }
    for l in v1.get_vpc_links().send().await.unwrap().items() {
        out.push(format!("VpcLink {} {}", l.name().unwrap(), l.id().unwrap()));
    }
    for l in v2.get_vpc_links().send().await.unwrap().items() {
        let id = l.vpc_link_id().unwrap();
        out.push(format!("VpcLinkV2 {} {id}", l.name().unwrap()));
    }
    out.sort();
    out
}

/// The point restored into the target first, as a standby or an earlier failover leaves it
/// (no DNS): what a drill must not touch.
async fn restored_before(s: &Setup, target: &aws_config::SdkConfig) {
    let mut job = JobRecord::new(
        JobRequest {
            no_dns: true,
            ..request(&s.point)
        },
        "test",
    );
    Box::pin(jobs::run(&s.store, &s.catalog, &mut job, target, &quiet))
        .await
        .unwrap();
    assert_eq!(job.phase, Phase::Succeeded, "{:?}", job.error);
}

/// Calls moto recorded that write to custom domains, base path or API mappings, or Route 53.
async fn domain_or_dns_writes(env: &tests::Env) -> Vec<String> {
    env.recorded()
        .await
        .into_iter()
        .filter(|r| {
            r.method != "GET"
                && (r.path.contains("domainnames")
                    || r.path.contains("apimappings")
                    || r.path.contains("basepathmappings")
                    || r.service.as_deref() == Some("route53"))
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

async fn drill(s: &Setup, target: &aws_config::SdkConfig, keep: bool) -> JobRecord {
    let req = JobRequest {
        keep,
        ..request(&s.point)
    };
    Box::pin(shared::drill::run(
        &s.store, &s.catalog, &req, "test", target, None, &quiet,
    ))
    .await
    .unwrap()
}

#[tokio::test]
async fn a_drill_creates_verifies_records_and_leaves_nothing_behind() {
    let env = acquire().await;
    let s = Box::pin(setup_with(&env, false)).await;
    let target = env.sdk(TARGET, Account::B).await;
    Box::pin(restored_before(&s, &target)).await;
    let before = inventory(&target).await;
    assert!(
        before.iter().any(|l| l.starts_with("DomainName")),
        "{before:?}"
    );
    let writes_before = domain_or_dns_writes(&env).await.len();

    let job = drill(&s, &target, false).await;
    let d = job.drill.clone().unwrap();
    let report = serde_json::to_value(job.report.clone().unwrap()).unwrap();
    assert_eq!(job.phase, Phase::Succeeded, "{report:#}");
    assert!(d.verified && d.passed, "{d:?}");
    assert!(d.recovery_seconds.unwrap() > 0.0, "{d:?}");
    assert!(job.request.drill && !job.request.switches_dns());
    // Every API was created new, under the drill's prefix (the earlier restore's were not
    // candidates), and everything created carried the tag: the teardown found it.
    for a in report["apis"].as_array().unwrap() {
        let name = a["name"].as_str().unwrap();
        assert!(name.starts_with(&d.prefix), "{report:#}");
    }
    let kinds: Vec<&str> = d
        .removed
        .iter()
        .map(|r| r.split(' ').next().unwrap())
        .collect();
    for k in ["UsagePlan", "ApiKey", "RestApi", "Api"] {
        assert!(kinds.contains(&k), "{k} in {:?}", d.removed);
    }
    assert!(
        d.torn_down.is_some() && d.teardown_failed.is_empty(),
        "{d:?}"
    );
    eprintln!(
        "figures: drill of the estate: recovery {:.2} s, {} steps, {} items deleted",
        d.recovery_seconds.unwrap(),
        job.steps,
        d.removed.len()
    );

    // Nothing left behind, nothing of the earlier restore touched, no domain or DNS write.
    assert_eq!(inventory(&target).await, before);
    let writes = domain_or_dns_writes(&env).await;
    assert!(writes[writes_before..].is_empty(), "{writes:?}");

    // Recorded: the job with its drill, listed among the drills.
    let stored = s.catalog.get_job(&job.id).await.unwrap().unwrap();
    assert_eq!(stored.drill, Some(d));
    let drills = shared::drill::drills(s.catalog.list_jobs().await.unwrap());
    assert_eq!(
        drills.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
        [job.id.as_str()]
    );
}

#[tokio::test]
async fn a_kept_drill_is_torn_down_later_and_never_an_untagged_item_of_the_same_name() {
    let env = acquire().await;
    let s = Box::pin(setup_with(&env, false)).await;
    let target = env.sdk(TARGET, Account::B).await;
    let before = inventory(&target).await;

    let job = drill(&s, &target, true).await;
    let d = job.drill.clone().unwrap();
    assert!(
        d.passed && d.torn_down.is_none() && d.removed.is_empty(),
        "{d:?}"
    );
    let kept = inventory(&target).await;
    assert!(kept.len() > before.len(), "{kept:?}");
    assert!(
        !kept.iter().any(|l| l.starts_with("DomainName")),
        "{kept:?}"
    );

    // Items with the same names as the drill's, without its tag: someone else's.
    let v1 = V1::new(&target);
    let api_name = kept
        .iter()
        .find_map(|l| l.strip_prefix("RestApi "))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .unwrap();
    let key_name = kept
        .iter()
        .find_map(|l| l.strip_prefix("ApiKey "))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .unwrap();
    assert!(api_name.starts_with(&d.prefix) && key_name.starts_with(&d.prefix));
    let other_api = v1.create_rest_api().name(&api_name).send().await.unwrap();
    let other_key = v1.create_api_key().name(&key_name).send().await.unwrap();
    let others = [
        format!("RestApi {api_name} {}", other_api.id().unwrap()),
        format!("ApiKey {key_name} {}", other_key.id().unwrap()),
    ];

    let torn = Box::pin(shared::drill::teardown(
        &s.catalog, &job.id, &target, &quiet,
    ))
    .await
    .unwrap();
    let d = torn.drill.unwrap();
    assert!(
        d.torn_down.is_some() && d.teardown_failed.is_empty(),
        "{d:?}"
    );
    let mut want = before.clone();
    want.extend(others.iter().cloned());
    want.sort();
    assert_eq!(
        inventory(&target).await,
        want,
        "only the untagged items stay"
    );

    // A restore job is not a drill: refused.
    let mut plain = JobRecord::new(request(&s.point), "test");
    s.catalog.put_job(&mut plain).await.unwrap();
    let e = shared::drill::teardown(&s.catalog, &plain.id, &target, &quiet)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a drill"), "{e}");
}
