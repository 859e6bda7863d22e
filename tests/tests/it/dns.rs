//! The DNS switch against moto's Route 53: a custom domain's alias A record and a CNAME pointed
//! from the source Region's domain endpoint to the target's (found, planned, applied with UPSERT,
//! waited for, read back), a record failover routing manages left alone, and a domain served only
//! by a private zone or by no zone of the account given as a note.

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
