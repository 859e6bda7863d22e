use super::*;

const SOURCE: &str = "d-src1234567.execute-api.us-east-1.amazonaws.com";
const SOURCE_ZONE: &str = "Z1UJRXOUMOOFQ8";

fn target() -> Endpoint {
    Endpoint {
        domain_name: "d-dst7654321.execute-api.us-west-2.amazonaws.com".into(),
        hosted_zone_id: "Z2OJLYMUO9EFXC".into(),
    }
}

fn record(record_type: RecordType, value: RecordValue) -> Record {
    Record {
        zone_id: "ZPUBLIC1".into(),
        zone_name: "example.com".into(),
        name: "api.example.com.".into(),
        record_type,
        value,
        routing: Routing::default(),
    }
}

/// The plan for `r` as the record of api.example.com, switched to [`target`].
fn plan(r: &Record) -> Result<Option<DnsSwitch>, Skip> {
    plan_switch("api.example.com", r, &target())
}

fn alias(dns_name: &str, zone: &str) -> RecordValue {
    RecordValue::Alias {
        dns_name: format!("{dns_name}."),
        hosted_zone_id: zone.into(),
        evaluate_target_health: true,
    }
}

#[test]
fn an_alias_a_record_becomes_an_alias_to_the_target_endpoint() {
    let r = record(RecordType::A, alias(SOURCE, SOURCE_ZONE));
    let s = plan_switch("API.example.com", &r, &target())
        .unwrap()
        .unwrap();
    assert_eq!(
        s,
        DnsSwitch {
            zone_id: "ZPUBLIC1".into(),
            zone_name: "example.com".into(),
            record_name: "api.example.com".into(),
            record_type: RecordType::A,
            old: r.value.clone(),
            new: RecordValue::Alias {
                dns_name: "d-dst7654321.execute-api.us-west-2.amazonaws.com".into(),
                hosted_zone_id: "Z2OJLYMUO9EFXC".into(),
                evaluate_target_health: true,
            },
        }
    );
    assert_eq!(
        s.to_string(),
        "api.example.com A in zone example.com (ZPUBLIC1): alias d-src1234567.execute-api.us-east-1.amazonaws.com (zone Z1UJRXOUMOOFQ8) -> alias d-dst7654321.execute-api.us-west-2.amazonaws.com (zone Z2OJLYMUO9EFXC)"
    );
}

#[test]
fn an_aaaa_alias_stays_aaaa_and_keeps_its_health_evaluation() {
    let mut r = record(RecordType::Aaaa, alias(SOURCE, SOURCE_ZONE));
    if let RecordValue::Alias {
        evaluate_target_health,
        ..
    } = &mut r.value
    {
        *evaluate_target_health = false;
    }
    let s = plan(&r).unwrap().unwrap();
    assert_eq!(s.record_type, RecordType::Aaaa);
    assert!(matches!(
        s.new,
        RecordValue::Alias { ref dns_name, evaluate_target_health: false, .. }
            if dns_name == "d-dst7654321.execute-api.us-west-2.amazonaws.com"
    ));
}

#[test]
fn a_cname_stays_a_cname_with_its_ttl() {
    let r = record(
        RecordType::Cname,
        RecordValue::Cname {
            target: SOURCE.into(),
            ttl: 60,
        },
    );
    let s = plan(&r).unwrap().unwrap();
    assert_eq!(
        s.new,
        RecordValue::Cname {
            target: "d-dst7654321.execute-api.us-west-2.amazonaws.com".into(),
            ttl: 60
        }
    );
    assert_eq!(s.old, r.value);
}

#[test]
fn an_edge_domain_alias_to_cloudfront_is_switched_too() {
    let r = record(
        RecordType::A,
        alias("d111111abcdef8.cloudfront.net", "Z2FDTNDATAQYW2"),
    );
    assert!(plan(&r).unwrap().is_some());
}

#[test]
fn already_pointing_at_the_target_is_no_change() {
    // Route 53 answers names with a trailing dot and may change their case.
    let r = record(
        RecordType::A,
        alias(
            "D-DST7654321.execute-api.us-west-2.amazonaws.com",
            "/hostedzone/Z2OJLYMUO9EFXC",
        ),
    );
    assert_eq!(plan(&r), Ok(None));
    let r = record(
        RecordType::Cname,
        RecordValue::Cname {
            target: "d-dst7654321.execute-api.us-west-2.amazonaws.com.".into(),
            ttl: 300,
        },
    );
    assert_eq!(plan(&r), Ok(None));
    // The same name in another zone is not the target.
    let r = record(
        RecordType::A,
        alias("d-dst7654321.execute-api.us-west-2.amazonaws.com", "ZOTHER"),
    );
    assert!(plan(&r).unwrap().is_some());
}

#[test]
fn records_routing_manages_are_skipped_with_the_reason() {
    let cases: Vec<(Routing, &str)> = vec![
        (
            Routing {
                set_identifier: Some("primary".into()),
                failover: Some("PRIMARY".into()),
                health_check_id: Some("hc-1".into()),
                ..Routing::default()
            },
            "api.example.com A (set identifier primary) left as it is: Route 53 failover routing (PRIMARY), health check hc-1 manages it",
        ),
        (
            Routing {
                set_identifier: Some("blue".into()),
                weight: Some(10),
                ..Routing::default()
            },
            "weighted routing (weight 10)",
        ),
        (
            Routing {
                set_identifier: Some("use1".into()),
                latency_region: Some("us-east-1".into()),
                ..Routing::default()
            },
            "latency routing (us-east-1)",
        ),
        (
            Routing {
                set_identifier: Some("eu".into()),
                other: vec!["geolocation".into()],
                ..Routing::default()
            },
            "geolocation routing",
        ),
        (
            Routing {
                health_check_id: Some("hc-2".into()),
                ..Routing::default()
            },
            "Route 53 health check hc-2 manages it",
        ),
        (
            Routing {
                set_identifier: Some("x".into()),
                ..Routing::default()
            },
            "a routing policy (set identifier x)",
        ),
    ];
    for (routing, says) in cases {
        let mut r = record(RecordType::A, alias(SOURCE, SOURCE_ZONE));
        r.routing = routing;
        let skip = plan(&r).unwrap_err();
        assert!(skip.to_string().contains(says), "{skip}");
    }
}

#[test]
fn addresses_other_names_and_other_endpoints_are_left_alone() {
    let r = record(
        RecordType::A,
        RecordValue::Values {
            values: vec!["192.0.2.10".into()],
            ttl: 300,
        },
    );
    let skip = plan(&r).unwrap_err();
    assert!(
        skip.reason
            .contains("holds addresses (192.0.2.10 (TTL 300))"),
        "{skip}"
    );

    let r = record(RecordType::A, alias(SOURCE, SOURCE_ZONE));
    let skip = plan_switch("www.example.com", &r, &target()).unwrap_err();
    assert!(
        skip.reason
            .contains("not the record of the domain www.example.com"),
        "{skip}"
    );

    let r = record(
        RecordType::A,
        alias("my-alb-123.us-east-1.elb.amazonaws.com", "Z35SXDOTRQ7X7K"),
    );
    let skip = plan(&r).unwrap_err();
    assert!(
        skip.reason
            .contains("points at my-alb-123.us-east-1.elb.amazonaws.com, not at an API Gateway domain endpoint"),
        "{skip}"
    );
}

#[test]
fn a_switch_round_trips_through_json() {
    let r = record(
        RecordType::Cname,
        RecordValue::Cname {
            target: SOURCE.into(),
            ttl: 60,
        },
    );
    let s = plan(&r).unwrap().unwrap();
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["recordType"], "CNAME");
    assert_eq!(json["old"]["kind"], "cname");
    assert_eq!(json["old"]["target"], SOURCE);
    assert_eq!(serde_json::from_value::<DnsSwitch>(json).unwrap(), s);
    let skip = Skip {
        record: "a".into(),
        reason: "b".into(),
    };
    let back: Skip = serde_json::from_str(&serde_json::to_string(&skip).unwrap()).unwrap();
    assert_eq!(back, skip);
}

fn zone(id: &str, name: &str, private: bool) -> Zone {
    Zone {
        id: id.into(),
        name: name.into(),
        private,
    }
}

#[test]
fn the_longest_public_zone_serves_a_domain() {
    let zones = [
        zone("ZCOM", "example.com.", false),
        zone("ZAPI", "api.example.com", false),
        zone("ZPRIV", "v1.api.example.com", true),
        zone("ZNOT", "ample.com", false),
    ];
    assert_eq!(
        choose_zone("v1.api.example.com.", &zones),
        Ok(zones[1].clone())
    );
    assert_eq!(choose_zone("www.example.com", &zones), Ok(zones[0].clone()));
    let n = choose_zone("example.org", &zones).unwrap_err();
    assert!(
        n.starts_with("no hosted zone of the target account serves example.org: its record is in another account"),
        "{n}"
    );
}

#[test]
fn only_private_zones_or_twins_are_notes() {
    let zones = [
        zone("ZPRIV", "internal.example", true),
        zone("ZA", "example.net", false),
        zone("ZB", "example.net", false),
    ];
    let n = choose_zone("api.internal.example", &zones).unwrap_err();
    assert!(
        n.contains("only private hosted zones serve api.internal.example in the target account (internal.example ZPRIV)")
            && n.contains("[hosted_zones]"),
        "{n}"
    );
    let n = choose_zone("api.example.net", &zones).unwrap_err();
    assert!(
        n.contains(
            "several public hosted zones serve api.example.net (example.net ZA, example.net ZB)"
        ),
        "{n}"
    );
}

#[test]
fn a_mapping_entry_by_domain_or_zone_name_the_longest_wins() {
    let mapped = BTreeMap::from([
        ("example.net".to_string(), "/hostedzone/ZB".to_string()),
        ("api.example.net.".to_string(), "ZA".to_string()),
    ]);
    assert_eq!(
        mapped_zone("API.example.net", &mapped),
        Some(("api.example.net.", "ZA"))
    );
    assert_eq!(
        mapped_zone("www.example.net", &mapped),
        Some(("example.net", "ZB"))
    );
    assert_eq!(mapped_zone("example.org", &mapped), None);
    assert_eq!(mapped_zone("badexample.net", &mapped), None);
}

#[test]
fn names_compare_as_dns_names() {
    assert_eq!(host_name("\\052.Example.COM."), "*.example.com");
    assert!(is_within("a.b.example.com", "example.com."));
    assert!(is_within("example.com", "example.com"));
    assert!(!is_within("badexample.com", "example.com"));
    assert!(is_api_gateway_endpoint(
        "dualstack.d-abc.execute-api.eu-west-1.amazonaws.com."
    ));
    assert!(is_api_gateway_endpoint(
        "d-abc.execute-api.cn-north-1.amazonaws.com.cn"
    ));
    assert!(!is_api_gateway_endpoint("execute-api.example.com"));
    assert_eq!(zone_id("/hostedzone/Z123"), "Z123");
}

#[test]
fn traffic_moves_only_when_a_switch_is_applied_in_sync_and_nothing_failed() {
    let switch = plan(&record(RecordType::A, alias(SOURCE, SOURCE_ZONE)))
        .unwrap()
        .unwrap();
    let applied = |in_sync| Applied {
        switch: switch.clone(),
        change_id: "C1".into(),
        in_sync,
    };
    let mut r = DnsReport::default();
    assert!(!r.moved_traffic(), "nothing switched");
    r.applied.push(applied(true));
    assert!(r.moved_traffic());
    r.applied.push(applied(false));
    assert!(!r.moved_traffic(), "a change still PENDING");
    r.applied.pop();
    r.failed
        .push("DNS of other.example.com not switched: ...".into());
    assert!(!r.moved_traffic(), "another domain failed");
    assert!(!DnsReport::not_switched("--no-dns").moved_traffic());
    // Stored in the job: the switch flattened beside its change.
    let v = serde_json::to_value(applied(true)).unwrap();
    assert_eq!(v["recordName"], "api.example.com");
    assert_eq!(v["changeId"], "C1");
    assert_eq!(v["inSync"], true);
    assert_eq!(serde_json::from_value::<Applied>(v).unwrap(), applied(true));
}
