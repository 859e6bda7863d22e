//! The adapter at the HTTP layer (aws-smithy-mocks): paging of records, the UPSERT it sends,
//! throttling retried, and waiting for a change that moto reports in sync at once.

use super::*;
use aws_sdk_route53::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput;
use aws_sdk_route53::operation::get_change::GetChangeOutput;
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
use aws_sdk_route53::types::{ChangeInfo, ResourceRecordSetFailover};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};

fn route53(rules: &[&Rule]) -> Route53 {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for r in rules {
        interceptor = interceptor.with_rule(r);
    }
    Route53::from_conf(
        aws_sdk_route53::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
            .http_client(create_mock_http_client())
            .interceptor(interceptor),
    )
}

fn zone() -> Zone {
    Zone {
        id: "ZPUB".into(),
        name: "example.com".into(),
        private: false,
    }
}

fn alias_set(name: &str, t: RrType, dns_name: &str) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(name)
        .r#type(t)
        .alias_target(
            AliasTarget::builder()
                .dns_name(dns_name)
                .hosted_zone_id("Z1UJRXOUMOOFQ8")
                .evaluate_target_health(false)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn change_info(status: ChangeStatus) -> ChangeInfo {
    ChangeInfo::builder()
        .id("/change/C123")
        .status(status)
        .submitted_at(aws_smithy_types::DateTime::from_secs(0))
        .build()
        .unwrap()
}

#[tokio::test]
async fn records_of_a_name_are_read_across_pages_and_stop_at_the_next_name() {
    let first = mock!(Client::list_resource_record_sets)
        .match_requests(|r| r.start_record_type().is_none())
        .then_output(|| {
            ListResourceRecordSetsOutput::builder()
                .resource_record_sets(alias_set(
                    "api.example.com.",
                    RrType::A,
                    "d-src.execute-api.us-east-1.amazonaws.com.",
                ))
                .resource_record_sets(
                    ResourceRecordSet::builder()
                        .name("api.example.com.")
                        .r#type(RrType::Aaaa)
                        .set_identifier("primary")
                        .failover(ResourceRecordSetFailover::Primary)
                        .health_check_id("hc-1")
                        .alias_target(
                            AliasTarget::builder()
                                .dns_name("d-src.execute-api.us-east-1.amazonaws.com.")
                                .hosted_zone_id("Z1UJRXOUMOOFQ8")
                                .evaluate_target_health(true)
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .is_truncated(true)
                .next_record_name("api.example.com.")
                .next_record_type(RrType::Txt)
                .max_items(2)
                .build()
                .unwrap()
        });
    let second = mock!(Client::list_resource_record_sets)
        .match_requests(|r| r.start_record_type() == Some(&RrType::Txt))
        .then_output(|| {
            ListResourceRecordSetsOutput::builder()
                .resource_record_sets(
                    ResourceRecordSet::builder()
                        .name("api.example.com.")
                        .r#type(RrType::Txt)
                        .ttl(300)
                        .resource_records(ResourceRecord::builder().value("\"v\"").build().unwrap())
                        .build()
                        .unwrap(),
                )
                .resource_record_sets(alias_set(
                    "www.example.com.",
                    RrType::A,
                    "d-www.execute-api.us-east-1.amazonaws.com.",
                ))
                .is_truncated(true)
                .next_record_name("zzz.example.com.")
                .max_items(2)
                .build()
                .unwrap()
        });
    let r53 = route53(&[&first, &second]);
    let records = r53.records(&zone(), "API.example.com").await.unwrap();
    assert_eq!(first.num_calls() + second.num_calls(), 2, "stops at www");
    let got: Vec<(RecordType, Option<String>)> = records
        .iter()
        .map(|r| (r.record_type, r.routing.managed_by()))
        .collect();
    assert_eq!(
        got,
        [
            (RecordType::A, None),
            (
                RecordType::Aaaa,
                Some("failover routing (PRIMARY), health check hc-1".into())
            )
        ]
    );
    assert_eq!(records[0].name, "api.example.com");
    assert_eq!(records[0].zone_id, "ZPUB");
    assert_eq!(r53.calls()["ListResourceRecordSets"], 2);
}

fn switch() -> DnsSwitch {
    DnsSwitch {
        zone_id: "ZPUB".into(),
        zone_name: "example.com".into(),
        record_name: "api.example.com".into(),
        record_type: RecordType::Cname,
        old: RecordValue::Cname {
            target: "d-src.execute-api.us-east-1.amazonaws.com".into(),
            ttl: 60,
        },
        new: RecordValue::Cname {
            target: "d-dst.execute-api.us-west-2.amazonaws.com".into(),
            ttl: 60,
        },
    }
}

#[tokio::test(start_paused = true)]
async fn an_upsert_throttled_once_is_retried_and_gives_the_change_id() {
    let body = "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r1</RequestId></ErrorResponse>";
    let rule = mock!(Client::change_resource_record_sets)
        .match_requests(|r| {
            let Some(batch) = r.change_batch() else {
                return false;
            };
            let [change] = batch.changes() else {
                return false;
            };
            let set = change.resource_record_set().unwrap();
            r.hosted_zone_id() == Some("ZPUB")
                && *change.action() == ChangeAction::Upsert
                && set.name() == "api.example.com"
                && *set.r#type() == RrType::Cname
                && set.ttl() == Some(60)
                && set.alias_target().is_none()
                && set.resource_records().len() == 1
                && set.resource_records()[0].value() == "d-dst.execute-api.us-west-2.amazonaws.com"
        })
        .sequence()
        .http_status(400, Some(body.to_string()))
        .output(|| {
            ChangeResourceRecordSetsOutput::builder()
                .change_info(change_info(ChangeStatus::Pending))
                .build()
        })
        .build();
    let r53 = route53(&[&rule]);
    assert_eq!(r53.apply(&switch()).await.unwrap(), "C123");
    assert_eq!(rule.num_calls(), 2, "the throttled attempt and its retry");
}

#[tokio::test]
async fn an_alias_upsert_carries_the_alias_and_no_ttl() {
    let rule = mock!(Client::change_resource_record_sets)
        .match_requests(|r| {
            let set = r.change_batch().unwrap().changes()[0]
                .resource_record_set()
                .unwrap();
            let a = set.alias_target().unwrap();
            *set.r#type() == RrType::A
                && set.ttl().is_none()
                && a.dns_name() == "d-dst.execute-api.us-west-2.amazonaws.com"
                && a.hosted_zone_id() == "Z2OJLYMUO9EFXC"
                && a.evaluate_target_health()
        })
        .then_output(|| {
            ChangeResourceRecordSetsOutput::builder()
                .change_info(change_info(ChangeStatus::Insync))
                .build()
        });
    let r53 = route53(&[&rule]);
    let mut s = switch();
    s.record_type = RecordType::A;
    s.new = RecordValue::Alias {
        dns_name: "d-dst.execute-api.us-west-2.amazonaws.com".into(),
        hosted_zone_id: "Z2OJLYMUO9EFXC".into(),
        evaluate_target_health: true,
    };
    assert_eq!(r53.apply(&s).await.unwrap(), "C123");
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn waiting_polls_until_insync_and_is_bounded() {
    let rule = mock!(Client::get_change)
        .match_requests(|r| r.id() == Some("C123"))
        .sequence()
        .output(|| {
            GetChangeOutput::builder()
                .change_info(change_info(ChangeStatus::Pending))
                .build()
        })
        .times(2)
        .output(|| {
            GetChangeOutput::builder()
                .change_info(change_info(ChangeStatus::Insync))
                .build()
        })
        .build();
    let r53 = route53(&[&rule]);
    let t = tokio::time::Instant::now();
    assert!(r53.wait_in_sync("C123", SYNC_WITHIN).await.unwrap());
    assert_eq!(rule.num_calls(), 3);
    assert_eq!(t.elapsed(), POLL_EVERY * 2);

    let pending = mock!(Client::get_change).then_output(|| {
        GetChangeOutput::builder()
            .change_info(change_info(ChangeStatus::Pending))
            .build()
    });
    let r53 = route53(&[&pending]);
    let t = tokio::time::Instant::now();
    let within = POLL_EVERY * 2 + Duration::from_secs(2);
    assert!(!r53.wait_in_sync("C123", within).await.unwrap());
    assert_eq!(t.elapsed(), within, "gives up at the bound, not later");
    assert_eq!(pending.num_calls(), 4, "at 0, 5, 10 and 12 s");
}

#[tokio::test]
async fn a_failed_call_is_one_line_saying_what_was_done() {
    let body = "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender</Type><Code>NoSuchHostedZone</Code><Message>No hosted zone found with ID: ZNOPE</Message></Error><RequestId>r1</RequestId></ErrorResponse>";
    let rule = mock!(Client::get_hosted_zone).then_http_response(move || {
        aws_sdk_route53::config::http::HttpResponse::new(
            404.try_into().unwrap(),
            aws_smithy_types::body::SdkBody::from(body),
        )
    });
    let r53 = route53(&[&rule]);
    let mapping = Mapping::parse("[hosted_zones]\n\"example.com\" = \"ZNOPE\"\n", None).unwrap();
    let e = r53
        .find_zone("api.example.com", &mapping)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    let e = e.to_string();
    assert!(
        e.starts_with("mapping file: [hosted_zones] \"example.com\" names hosted zone ZNOPE, which the target account does not have (not found while reading hosted zone ZNOPE (route53:GetHostedZone) (HTTP 404 NoSuchHostedZone: No hosted zone found with ID: ZNOPE)); fix the entry"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1);
}

#[tokio::test(start_paused = true)]
async fn calls_are_paced_to_five_a_second() {
    let rule = mock!(Client::get_hosted_zone).then_output(|| {
        aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneOutput::builder()
            .hosted_zone(
                HostedZone::builder()
                    .id("/hostedzone/ZPUB")
                    .name("example.com.")
                    .caller_reference("r")
                    .build()
                    .unwrap(),
            )
            .build()
    });
    let r53 = route53(&[&rule]);
    let t = tokio::time::Instant::now();
    for _ in 0..15 {
        assert_eq!(r53.zone("/hostedzone/ZPUB").await.unwrap(), zone());
    }
    // A burst of 5, then 5 a second: the 15th call goes out 2 s after the first.
    assert_eq!(t.elapsed(), Duration::from_secs(2));
    assert_eq!(r53.calls()["GetHostedZone"], 15);
}
