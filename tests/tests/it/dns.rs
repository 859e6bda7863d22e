//! The DNS switch against moto's Route 53: a custom domain's alias A record and a CNAME pointed
//! from the source Region's domain endpoint to the target's (found, planned, applied with UPSERT,
//! waited for, read back), a record failover routing manages left alone, and a domain served only
//! by a private zone or by no zone of the account given as a note. Then the switch as the restore
//! job makes it: after a failover of the estate behind `api.example.com` into account B /
//! us-west-2 has verified, with the old value kept in the job, the recovery time measured; not
//! with `--no-dns`; planned only (old -> new) by a dry run.

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, HostedZoneConfig, ResourceRecord,
    ResourceRecordSet, ResourceRecordSetFailover, RrType, Vpc, VpcRegion,
};
use shared::dns::route53::{Route53, SYNC_WITHIN};
use shared::dns::{Endpoint, RecordType, RecordValue};
use shared::translate::Mapping;
use tests::{Account, acquire};

const SOURCE_REGION: &str = "us-east-1";
const TARGET_REGION: &str = "us-west-2";

/// The custom domain `name` in `region`'s API Gateway, as its domain endpoint.
async fn domain_endpoint(sdk: &aws_config::SdkConfig, name: &str) -> Endpoint {
    let d = aws_sdk_apigateway::Client::new(sdk)
        .create_domain_name()
        .domain_name(name)
        .regional_certificate_arn(format!(
            "arn:aws:acm:{}:123456789012:certificate/c1",
            sdk.region().unwrap()
        ))
        .endpoint_configuration(
            aws_sdk_apigateway::types::EndpointConfiguration::builder()
                .types(aws_sdk_apigateway::types::EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .unwrap();
    Endpoint {
        domain_name: d.regional_domain_name().unwrap().to_string(),
        hosted_zone_id: d.regional_hosted_zone_id().unwrap().to_string(),
    }
}

async fn create_zone(r53: &aws_sdk_route53::Client, name: &str, private: bool) -> String {
    let mut req = r53
        .create_hosted_zone()
        .name(name)
        .caller_reference(format!("apigw-dr-test-{name}"));
    if private {
        req = req
            .hosted_zone_config(HostedZoneConfig::builder().private_zone(true).build())
            .vpc(
                Vpc::builder()
                    .vpc_id("vpc-0123456789abcdef0")
                    .vpc_region(VpcRegion::UsEast1)
                    .build(),
            );
    }
    let out = req.send().await.unwrap();
    out.hosted_zone()
        .unwrap()
        .id()
        .trim_start_matches("/hostedzone/")
        .to_string()
}

async fn create(r53: &aws_sdk_route53::Client, zone: &str, sets: Vec<ResourceRecordSet>) {
    let mut batch = ChangeBatch::builder();
    for set in sets {
        batch = batch.changes(
            Change::builder()
                .action(ChangeAction::Create)
                .resource_record_set(set)
                .build()
                .unwrap(),
        );
    }
    r53.change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch.build().unwrap())
        .send()
        .await
        .unwrap();
}

fn alias(name: &str, to: &Endpoint) -> aws_sdk_route53::types::builders::ResourceRecordSetBuilder {
    ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::A)
        .alias_target(
            AliasTarget::builder()
                .dns_name(&to.domain_name)
                .hosted_zone_id(&to.hosted_zone_id)
                .evaluate_target_health(false)
                .build()
                .unwrap(),
        )
}

fn cname(name: &str, to: &str) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::Cname)
        .ttl(60)
        .resource_records(ResourceRecord::builder().value(to).build().unwrap())
        .build()
        .unwrap()
}

/// (type, alias DNS name or CNAME value) of every A and CNAME record named `name`, as moto holds
/// them.
async fn read_back(r53: &aws_sdk_route53::Client, zone: &str, name: &str) -> Vec<(String, String)> {
    let out = r53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .send()
        .await
        .unwrap();
    out.resource_record_sets()
        .iter()
        .filter(|r| r.name().trim_end_matches('.') == name)
        .filter(|r| matches!(r.r#type(), RrType::A | RrType::Cname))
        .map(|r| {
            let value = match r.alias_target() {
                Some(a) => format!(
                    "alias {} {}",
                    a.dns_name().trim_end_matches('.'),
                    a.hosted_zone_id()
                ),
                None => r
                    .resource_records()
                    .iter()
                    .map(|v| v.value().trim_end_matches('.').to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            (r.r#type().as_str().to_string(), value)
        })
        .collect()
}

#[tokio::test]
async fn alias_and_cname_records_are_switched_to_the_target_endpoint() {
    let env = acquire().await;
    let source =
        domain_endpoint(&env.sdk(SOURCE_REGION, Account::A).await, "api.example.com").await;
    let sdk = env.sdk(TARGET_REGION, Account::A).await;
    let target = domain_endpoint(&sdk, "api.example.com").await;
    assert_ne!(source.domain_name, target.domain_name);
    let r53 = aws_sdk_route53::Client::new(&sdk);
    let zone = create_zone(&r53, "example.com", false).await;
    create(
        &r53,
        &zone,
        vec![
            alias("api.example.com", &source).build().unwrap(),
            cname("legacy.example.com", &source.domain_name),
        ],
    )
    .await;

    let dns = Route53::new(&sdk);
    env.start_recording().await;
    let plan = dns
        .plan("api.example.com", &target, &Mapping::empty())
        .await
        .unwrap();
    let legacy = dns
        .plan("legacy.example.com", &target, &Mapping::empty())
        .await
        .unwrap();
    let methods: Vec<String> = env
        .recorded_requests()
        .await
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    assert!(
        methods.iter().all(|m| m == "GET"),
        "planning only reads: {methods:?}"
    );
    // The zones are listed once for both domains.
    assert_eq!(dns.calls()["ListHostedZones"], 1, "{:?}", dns.calls());
    assert_eq!(
        dns.calls()["ListResourceRecordSets"],
        2,
        "{:?}",
        dns.calls()
    );

    assert_eq!(plan.zone.as_ref().unwrap().id, zone);
    assert!(plan.notes.is_empty() && plan.skipped.is_empty(), "{plan:?}");
    let [a] = plan.switches.as_slice() else {
        panic!("{plan:?}")
    };
    assert_eq!(
        (a.record_name.as_str(), a.record_type),
        ("api.example.com", RecordType::A)
    );
    assert!(
        matches!(&a.old, RecordValue::Alias { dns_name, .. } if dns_name.trim_end_matches('.') == source.domain_name),
        "{a}"
    );
    let [c] = legacy.switches.as_slice() else {
        panic!("{legacy:?}")
    };
    assert_eq!(c.record_type, RecordType::Cname);
    assert_eq!(
        c.new,
        RecordValue::Cname {
            target: target.domain_name.clone(),
            ttl: 60
        }
    );

    for s in [a, c] {
        let change = dns.apply(s).await.unwrap();
        assert!(!change.is_empty() && !change.starts_with('/'), "{change}");
        assert!(dns.wait_in_sync(&change, SYNC_WITHIN).await.unwrap());
    }
    assert_eq!(
        read_back(&r53, &zone, "api.example.com").await,
        [(
            "A".to_string(),
            format!("alias {} {}", target.domain_name, target.hosted_zone_id)
        )]
    );
    assert_eq!(
        read_back(&r53, &zone, "legacy.example.com").await,
        [("CNAME".to_string(), target.domain_name.clone())]
    );

    // Planning again finds both in place: applying again would change nothing.
    for domain in ["api.example.com", "legacy.example.com"] {
        let again = dns.plan(domain, &target, &Mapping::empty()).await.unwrap();
        assert!(again.switches.is_empty(), "{again:?}");
        assert_eq!(again.in_place.len(), 1, "{again:?}");
    }
}

#[tokio::test]
async fn failover_records_private_zones_and_other_accounts_are_left_alone() {
    let env = acquire().await;
    let source = domain_endpoint(&env.sdk(SOURCE_REGION, Account::A).await, "ha.example.com").await;
    let sdk = env.sdk(TARGET_REGION, Account::A).await;
    let target = domain_endpoint(&sdk, "ha.example.com").await;
    let r53 = aws_sdk_route53::Client::new(&sdk);
    let zone = create_zone(&r53, "example.com", false).await;
    let private = create_zone(&r53, "internal.example", true).await;
    create(
        &r53,
        &zone,
        vec![
            alias("ha.example.com", &source)
                .set_identifier("primary")
                .failover(ResourceRecordSetFailover::Primary)
                .build()
                .unwrap(),
            alias("ha.example.com", &target)
                .set_identifier("secondary")
                .failover(ResourceRecordSetFailover::Secondary)
                .build()
                .unwrap(),
        ],
    )
    .await;
    create(
        &r53,
        &private,
        vec![alias("api.internal.example", &source).build().unwrap()],
    )
    .await;
    let before = read_back(&r53, &zone, "ha.example.com").await;

    let dns = Route53::new(&sdk);
    let plan = dns
        .plan("ha.example.com", &target, &Mapping::empty())
        .await
        .unwrap();
    assert!(plan.switches.is_empty(), "{plan:?}");
    let reasons: Vec<String> = plan.skipped.iter().map(|s| s.to_string()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.starts_with(
            "ha.example.com A (set identifier primary) left as it is: Route 53 failover routing (PRIMARY) manages it"
        )),
        "{reasons:?}"
    );
    assert_eq!(read_back(&r53, &zone, "ha.example.com").await, before);

    // Only a private zone serves it: a note, nothing switched, no error.
    let plan = dns
        .plan("api.internal.example", &target, &Mapping::empty())
        .await
        .unwrap();
    assert!(plan.switches.is_empty() && plan.zone.is_none(), "{plan:?}");
    assert!(
        plan.notes[0].starts_with(&format!(
            "only private hosted zones serve api.internal.example in the target account (internal.example {private})"
        )),
        "{plan:?}"
    );
    // Named in the mapping file, the private zone is switched.
    let mapping = Mapping::parse(
        &format!("[hosted_zones]\n\"internal.example\" = \"{private}\"\n"),
        None,
    )
    .unwrap();
    let plan = dns
        .plan("api.internal.example", &target, &mapping)
        .await
        .unwrap();
    assert_eq!(plan.switches.len(), 1, "{plan:?}");
    assert!(plan.zone.as_ref().unwrap().private);

    // No zone of this account serves it (its record is in another account): a note.
    let plan = dns
        .plan("api.example.org", &target, &Mapping::empty())
        .await
        .unwrap();
    assert!(plan.switches.is_empty() && plan.zone.is_none(), "{plan:?}");
    assert!(
        plan.notes[0].starts_with("no hosted zone of the target account serves api.example.org"),
        "{plan:?}"
    );
    // A zone of account B is not seen from account A.
    let b = env.sdk(TARGET_REGION, Account::B).await;
    let zone_b = create_zone(&aws_sdk_route53::Client::new(&b), "example.net", false).await;
    let plan = dns
        .plan("api.example.net", &target, &Mapping::empty())
        .await
        .unwrap();
    assert!(plan.notes[0].starts_with("no hosted zone"), "{plan:?}");
    // ...and naming it in the mapping file is an error that says what to fix.
    let mapping = Mapping::parse(
        &format!("[hosted_zones]\n\"example.net\" = \"{zone_b}\"\n"),
        None,
    )
    .unwrap();
    let e = dns
        .plan("api.example.net", &target, &mapping)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!(
            "mapping file: [hosted_zones] \"example.net\" names hosted zone {zone_b}, which the target account does not have"
        )) && e.ends_with("fix the entry"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// The switch in the restore job.

const DOMAIN: &str = "api.example.com";

/// The endpoint of [`DOMAIN`] as `sdk`'s API Gateway holds it (the adapter the job reads with).
async fn endpoint_of(sdk: &aws_config::SdkConfig) -> Option<Endpoint> {
    shared::dns::route53::domain_endpoint(sdk, &shared::pacing::Pacer::default(), DOMAIN)
        .await
        .unwrap()
}

/// Route 53 requests that change something, among those moto recorded.
async fn route53_writes(env: &tests::Env) -> Vec<String> {
    env.recorded()
        .await
        .into_iter()
        .filter(|r| r.path.starts_with("/2013-04-01/") && r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

async fn change(
    r53: &aws_sdk_route53::Client,
    zone: &str,
    action: ChangeAction,
    set: ResourceRecordSet,
) {
    r53.change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder()
                        .action(action)
                        .resource_record_set(set)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// The estate behind [`DOMAIN`] in account A / us-east-1 and its point; the source domain's
/// endpoint; the target (account B / us-west-2) and its Route 53.
async fn failover(
    env: &tests::Env,
) -> (
    crate::restore_estate::Setup,
    Endpoint,
    aws_config::SdkConfig,
    aws_sdk_route53::Client,
) {
    let s = crate::restore_estate::setup_with(env, false).await;
    let source = endpoint_of(&env.sdk(SOURCE_REGION, Account::A).await)
        .await
        .unwrap();
    let target = env.sdk(TARGET_REGION, Account::B).await;
    let r53 = aws_sdk_route53::Client::new(&target);
    (s, source, target, r53)
}

/// The public zone `example.com` of the account `sdk` acts in, [`DOMAIN`] an alias to `endpoint`.
async fn zone_to(sdk: &aws_config::SdkConfig, endpoint: &Endpoint) -> String {
    tests::fixtures::public_zone_with_alias(
        sdk,
        "example.com",
        DOMAIN,
        (&endpoint.domain_name, &endpoint.hosted_zone_id),
    )
    .await
    .unwrap()
}

/// The failover restore of the point (as `restore_estate` asks for it), `no_dns` or not, or
/// as `edit` makes the request.
async fn run_job(
    s: &crate::restore_estate::Setup,
    target: &aws_config::SdkConfig,
    edit: impl FnOnce(&mut shared::jobs::JobRequest),
) -> shared::jobs::JobRecord {
    let mut request = crate::restore_estate::request(&s.point);
    edit(&mut request);
    let mut job = shared::jobs::JobRecord::new(request, "test");
    shared::jobs::run(&s.store, &s.catalog, &mut job, target, &crate::quiet)
        .await
        .unwrap();
    job
}

#[tokio::test]
async fn a_failover_switches_dns_once_verified_and_keeps_the_old_value() {
    use shared::jobs::Phase;
    let env = acquire().await;
    let (s, source, target, r53) = failover(&env).await;
    let zone = zone_to(&target, &source).await;
    let before = read_back(&r53, &zone, DOMAIN).await;
    assert_eq!(
        before,
        [(
            "A".to_string(),
            format!("alias {} {}", source.domain_name, source.hosted_zone_id)
        )]
    );

    // A dry run plans the switch, old -> a new value known once the domain is created, and
    // changes nothing.
    env.start_recording().await;
    let valid = crate::restore_estate::request(&s.point)
        .validate(&s.catalog)
        .await
        .unwrap();
    let prepared = shared::jobs::prepare(&s.store, &s.catalog, valid)
        .await
        .unwrap();
    let dns = shared::jobs::plan_dns(&prepared, &target).await;
    assert!(route53_writes(&env).await.is_empty());
    env.stop_recording().await;
    assert!(dns.failed.is_empty() && dns.applied.is_empty(), "{dns:#?}");
    let [d] = dns.domains.as_slice() else {
        panic!("{dns:#?}")
    };
    assert!(d.endpoint_unknown, "the restore creates the domain: {d:#?}");
    assert_eq!(d.zone.as_ref().unwrap().id, zone);
    let [planned] = d.switches.as_slice() else {
        panic!("{d:#?}")
    };
    assert_eq!(
        (planned.record_name.as_str(), planned.record_type),
        (DOMAIN, RecordType::A)
    );
    assert!(
        matches!(&planned.old, RecordValue::Alias { dns_name, .. } if *dns_name == source.domain_name),
        "{planned}"
    );
    assert_eq!(read_back(&r53, &zone, DOMAIN).await, before);
    assert!(
        endpoint_of(&target).await.is_none(),
        "the dry run created nothing"
    );

    // --no-dns: restored and verified, DNS left alone, and no recovery time (no traffic moved).
    let job = run_job(&s, &target, |r| r.no_dns = true).await;
    assert_eq!(job.phase, Phase::Succeeded, "{:#?}", job.report);
    let dns = job.dns.as_ref().unwrap();
    assert!(
        dns.not_switched
            .as_deref()
            .unwrap()
            .starts_with("turned off (--no-dns"),
        "{dns:#?}"
    );
    assert!(dns.domains.is_empty() && dns.applied.is_empty());
    assert_eq!(read_back(&r53, &zone, DOMAIN).await, before);
    assert!(job.times.verified.is_some() && job.times.rto_seconds().is_none());
    let restored = endpoint_of(&target).await.unwrap();
    assert_ne!(restored.domain_name, source.domain_name);

    // The failover: the record points at the target domain's endpoint once the job is done.
    let job = run_job(&s, &target, |_| {}).await;
    assert_eq!(job.phase, Phase::Succeeded, "{:#?}", job.dns);
    assert_eq!(
        read_back(&r53, &zone, DOMAIN).await,
        [(
            "A".to_string(),
            format!("alias {} {}", restored.domain_name, restored.hosted_zone_id)
        )]
    );
    let dns = job.dns.as_ref().unwrap();
    assert!(
        dns.failed.is_empty() && dns.not_switched.is_none(),
        "{dns:#?}"
    );
    let [applied] = dns.applied.as_slice() else {
        panic!("{dns:#?}")
    };
    assert!(
        applied.in_sync && !applied.change_id.is_empty(),
        "{applied:?}"
    );
    // The job holds the old value (for failback) and the new one.
    assert_eq!(
        applied.switch.old,
        RecordValue::Alias {
            dns_name: source.domain_name.clone(),
            hosted_zone_id: source.hosted_zone_id.clone(),
            evaluate_target_health: false
        }
    );
    assert_eq!(
        applied.switch.new,
        RecordValue::Alias {
            dns_name: restored.domain_name.clone(),
            hosted_zone_id: restored.hosted_zone_id.clone(),
            evaluate_target_health: false
        }
    );
    // The recovery time: from the job's creation (no alarm) to DNS in sync, in its parts.
    let t = &job.times;
    let rto = t.rto_seconds().unwrap();
    assert!(rto > 0.0, "{t:?}");
    let parts: Vec<&str> = t.parts().iter().map(|p| p.0).collect();
    assert_eq!(
        parts,
        [
            "alarm to restore start",
            "restore and verify",
            "DNS switch until in sync"
        ]
    );
    assert!((t.parts().iter().map(|p| p.1).sum::<f64>() - rto).abs() < 1e-6);
    // The stored job says the same.
    let stored = s.catalog.get_job(&job.id).await.unwrap().unwrap();
    assert_eq!(stored.dns, job.dns);
    assert_eq!(stored.times, job.times);
    assert!(shared::metrics::recovery_time(&stored).is_some());
}

#[tokio::test]
async fn records_routing_manages_are_left_and_a_missing_zone_is_a_note() {
    use shared::jobs::Phase;
    let env = acquire().await;
    let (s, source, target, r53) = failover(&env).await;

    // A restore that does not verify (the domain's certificate is not mapped into the target,
    // so the domain is not restored) switches nothing, and says why.
    let zone = zone_to(&target, &source).await;
    let before = read_back(&r53, &zone, DOMAIN).await;
    let job = run_job(&s, &target, |r| {
        let m = r.mapping.take().unwrap();
        let at = m.find("[certificates]").unwrap();
        let end = at + m[at..].find("\n\n").unwrap();
        r.mapping = Some(format!("{}{}", &m[..at], &m[end..]));
    })
    .await;
    assert_eq!(job.phase, Phase::PartiallyFailed, "{:#?}", job.report);
    let dns = job.dns.as_ref().unwrap();
    assert!(
        dns.not_switched.as_deref().unwrap().starts_with(
            "the restore did not verify (PartiallyFailed), so DNS still points at the source"
        ),
        "{dns:#?}"
    );
    assert!(dns.domains.is_empty() && dns.applied.is_empty());
    assert_eq!(read_back(&r53, &zone, DOMAIN).await, before);
    assert!(job.times.verified.is_some() && job.times.rto_seconds().is_none());
    // The zone goes: the next restore finds none.
    change(
        &r53,
        &zone,
        ChangeAction::Delete,
        alias(DOMAIN, &source).build().unwrap(),
    )
    .await;
    r53.delete_hosted_zone().id(&zone).send().await.unwrap();

    // No hosted zone in the target account: restored and verified, a note, no error.
    let job = run_job(&s, &target, |_| {}).await;
    assert_eq!(job.phase, Phase::Succeeded, "{:#?}", job.dns);
    let dns = job.dns.as_ref().unwrap();
    assert!(dns.failed.is_empty() && dns.applied.is_empty(), "{dns:#?}");
    assert!(
        dns.domains[0].notes[0]
            .starts_with("no hosted zone of the target account serves api.example.com"),
        "{dns:#?}"
    );
    assert!(job.times.rto_seconds().is_none());

    // Failover routing between the two Regions: left as it is, named in the job's report.
    let restored = endpoint_of(&target).await.unwrap();
    let zone = create_zone(&r53, "example.com", false).await;
    create(
        &r53,
        &zone,
        vec![
            alias(DOMAIN, &source)
                .set_identifier("primary")
                .failover(ResourceRecordSetFailover::Primary)
                .build()
                .unwrap(),
            alias(DOMAIN, &restored)
                .set_identifier("secondary")
                .failover(ResourceRecordSetFailover::Secondary)
                .build()
                .unwrap(),
        ],
    )
    .await;
    let before = read_back(&r53, &zone, DOMAIN).await;
    env.start_recording().await;
    let job = run_job(&s, &target, |_| {}).await;
    assert!(route53_writes(&env).await.is_empty());
    env.stop_recording().await;
    assert_eq!(job.phase, Phase::Succeeded, "{:#?}", job.dns);
    assert_eq!(read_back(&r53, &zone, DOMAIN).await, before);
    let dns = job.dns.as_ref().unwrap();
    assert!(dns.applied.is_empty() && dns.failed.is_empty(), "{dns:#?}");
    let skipped: Vec<String> = dns.domains[0]
        .skipped
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(
        skipped.iter().any(|r| r.starts_with(
            "api.example.com A (set identifier primary) left as it is: Route 53 failover routing (PRIMARY) manages it"
        )),
        "{skipped:?}"
    );

    // A simple record again, but the mapping file names a zone the account does not have: the
    // APIs stay restored, the job is PartiallyFailed and says what to fix.
    change(
        &r53,
        &zone,
        ChangeAction::Delete,
        alias(DOMAIN, &source)
            .set_identifier("primary")
            .failover(ResourceRecordSetFailover::Primary)
            .build()
            .unwrap(),
    )
    .await;
    let job = run_job(&s, &target, |r| {
        let m = r.mapping.take().unwrap();
        r.mapping = Some(format!(
            "{m}\n[hosted_zones]\n\"example.com\" = \"ZNOTHERE0000\"\n"
        ));
    })
    .await;
    assert_eq!(job.phase, Phase::PartiallyFailed, "{:#?}", job.dns);
    assert!(job.report.as_ref().unwrap().outcome == shared::restore::Outcome::Succeeded);
    let failed = &job.dns.as_ref().unwrap().failed;
    assert!(
        failed.len() == 1
            && failed[0].starts_with("DNS of api.example.com not switched: mapping file: [hosted_zones] \"example.com\" names hosted zone ZNOTHERE0000")
            && failed[0].ends_with("run the restore again, or point its record at the target's domain endpoint by hand"),
        "{failed:?}"
    );
}
