//! Estate capture at the HTTP layer (aws-smithy-mocks): what moto cannot show, namely paging of
//! v1 (`position`) and v2 (`NextToken`) lists, client certificates, and one mapping listed by
//! both APIs; and that API key values leave capture sealed only.

use aws_sdk_apigateway::operation::get_account::GetAccountOutput;
use aws_sdk_apigateway::operation::get_api_keys::GetApiKeysOutput;
use aws_sdk_apigateway::operation::get_base_path_mappings::GetBasePathMappingsOutput;
use aws_sdk_apigateway::operation::get_client_certificates::GetClientCertificatesOutput;
use aws_sdk_apigateway::operation::get_domain_names::GetDomainNamesOutput;
use aws_sdk_apigateway::operation::get_rest_apis::GetRestApisOutput;
use aws_sdk_apigateway::operation::get_usage_plan_keys::GetUsagePlanKeysOutput;
use aws_sdk_apigateway::operation::get_usage_plans::GetUsagePlansOutput;
use aws_sdk_apigateway::operation::get_vpc_links::GetVpcLinksOutput;
use aws_sdk_apigateway::types as a;
use aws_sdk_apigatewayv2::operation::get_api_mappings::GetApiMappingsOutput;
use aws_sdk_apigatewayv2::operation::get_domain_names::GetDomainNamesOutput as V2DomainNames;
use aws_sdk_apigatewayv2::operation::get_vpc_links::GetVpcLinksOutput as V2VpcLinks;
use aws_sdk_apigatewayv2::types as b;
use aws_smithy_mocks::{Rule, mock};

use super::*;
use crate::capture::mocks::{self, error_body, html};

const VALUE_A: &str = "AAAAsecretvalueofalice0123456789abcdefgh";
const VALUE_B: &str = "BBBBsecretvalueofbob0123456789abcdefghij";

fn clients(rules: &[Rule]) -> (aws_sdk_apigateway::Client, aws_sdk_apigatewayv2::Client) {
    let sdk = mocks::sdk();
    let v1 = aws_sdk_apigateway::Client::from_conf(
        super::super::client_config(&sdk)
            .interceptor(mocks::interceptor(rules))
            .build(),
    );
    let v2 = aws_sdk_apigatewayv2::Client::from_conf(
        super::super::v2::client_config(&sdk)
            .interceptor(mocks::interceptor(rules))
            .build(),
    );
    (v1, v2)
}

/// Captures the estate `rules` answer, with `gaps`; the pacer tells the calls made.
async fn capture(rules: &[Rule], sealer: &Sealer, gaps: &Gaps) -> (Result<Estate>, Pacer) {
    let (v1, v2) = clients(rules);
    let pacer = Pacer::for_tests();
    let got = capture_estate_with(&v1, &v2, &pacer, sealer, &|_| {}, gaps).await;
    (got, pacer)
}

const DOMAIN: &str = "api.example.com";
const CERT: &str = "arn:aws:acm:eu-west-1:111111111111:certificate/abc";

fn vpc_link(i: usize) -> a::VpcLink {
    a::VpcLink::builder()
        .id(format!("vl{i}"))
        .name(if i == 0 {
            "twin".into()
        } else {
            format!("link{i}")
        })
        .target_arns(format!(
            "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/net/n{i}/1"
        ))
        .build()
}

/// Every list of a full estate; v1 VPC links and v2 API mappings in two pages each.
fn estate_rules(certs: Rule) -> Vec<Rule> {
    vec![
        mock!(aws_sdk_apigateway::Client::get_domain_names)
            .match_requests(|r| r.limit() == Some(500))
            .then_output(|| {
                GetDomainNamesOutput::builder()
                    .items(
                        a::DomainName::builder()
                            .domain_name(DOMAIN)
                            .regional_certificate_arn(CERT)
                            .security_policy(a::SecurityPolicy::Tls12)
                            .endpoint_configuration(
                                a::EndpointConfiguration::builder()
                                    .types(a::EndpointType::Regional)
                                    .build(),
                            )
                            .tags("team", "edge")
                            .regional_domain_name("d-1.execute-api.eu-west-1.amazonaws.com")
                            .build(),
                    )
                    .build()
            }),
        mock!(aws_sdk_apigatewayv2::Client::get_domain_names).then_output(|| {
            V2DomainNames::builder()
                .items(
                    b::DomainName::builder()
                        .domain_name(DOMAIN)
                        .domain_name_configurations(
                            b::DomainNameConfiguration::builder()
                                .endpoint_type(b::EndpointType::Regional)
                                .certificate_arn(CERT)
                                .build(),
                        )
                        .mutual_tls_authentication(
                            b::MutualTlsAuthentication::builder()
                                .truststore_uri("s3://trust/ca.pem")
                                .truststore_version("3")
                                .build(),
                        )
                        .tags("team", "other")
                        .tags("cost", "7")
                        .build(),
                )
                .build()
        }),
        mock!(aws_sdk_apigateway::Client::get_base_path_mappings)
            .match_requests(|r| r.domain_name() == Some(DOMAIN))
            .then_output(|| {
                GetBasePathMappingsOutput::builder()
                    .items(
                        a::BasePathMapping::builder()
                            .base_path("orders")
                            .rest_api_id("r1")
                            .stage("prod")
                            .build(),
                    )
                    .items(
                        a::BasePathMapping::builder()
                            .base_path("(none)")
                            .rest_api_id("r1")
                            .stage("beta")
                            .build(),
                    )
                    .build()
            }),
        mock!(aws_sdk_apigatewayv2::Client::get_api_mappings)
            .match_requests(|r| r.next_token().is_none() && r.max_results() == Some("500"))
            .then_output(|| {
                GetApiMappingsOutput::builder()
                    .items(
                        b::ApiMapping::builder()
                            .api_mapping_key("orders")
                            .api_id("r1")
                            .stage("prod")
                            .api_mapping_id("m1")
                            .build(),
                    )
                    .next_token("t2")
                    .build()
            }),
        mock!(aws_sdk_apigatewayv2::Client::get_api_mappings)
            .match_requests(|r| r.next_token() == Some("t2"))
            .then_output(|| {
                GetApiMappingsOutput::builder()
                    .items(
                        b::ApiMapping::builder()
                            .api_mapping_key("http")
                            .api_id("h1")
                            .stage("$default")
                            .api_mapping_id("m2")
                            .build(),
                    )
                    .build()
            }),
        mock!(aws_sdk_apigateway::Client::get_rest_apis).then_output(|| {
            GetRestApisOutput::builder()
                .items(a::RestApi::builder().id("r1").name("orders").build())
                .build()
        }),
        mock!(aws_sdk_apigateway::Client::get_vpc_links)
            .match_requests(|r| r.position().is_none() && r.limit() == Some(500))
            .then_output(|| {
                GetVpcLinksOutput::builder()
                    .set_items(Some((0..3).map(vpc_link).collect()))
                    .position("p2")
                    .build()
            }),
        mock!(aws_sdk_apigateway::Client::get_vpc_links)
            .match_requests(|r| r.position() == Some("p2"))
            .then_output(|| {
                GetVpcLinksOutput::builder()
                    .items(a::VpcLink::builder().id("vl9").name("twin").build())
                    .build()
            }),
        mock!(aws_sdk_apigatewayv2::Client::get_vpc_links).then_output(|| {
            V2VpcLinks::builder()
                .items(
                    b::VpcLink::builder()
                        .vpc_link_id("v2l")
                        .name("private")
                        .subnet_ids("subnet-1")
                        .subnet_ids("subnet-2")
                        .security_group_ids("sg-1")
                        .tags("env", "prod")
                        .build(),
                )
                .build()
        }),
        mock!(aws_sdk_apigateway::Client::get_usage_plans).then_output(|| {
            GetUsagePlansOutput::builder()
                .items(
                    a::UsagePlan::builder()
                        .id("up1")
                        .name("gold")
                        .api_stages(
                            a::ApiStage::builder()
                                .api_id("r1")
                                .stage("prod")
                                .throttle(
                                    "/pets/GET",
                                    a::ThrottleSettings::builder()
                                        .burst_limit(5)
                                        .rate_limit(2.5)
                                        .build(),
                                )
                                .build(),
                        )
                        .throttle(
                            a::ThrottleSettings::builder()
                                .burst_limit(100)
                                .rate_limit(50.0)
                                .build(),
                        )
                        .quota(
                            a::QuotaSettings::builder()
                                .limit(1000)
                                .period(a::QuotaPeriodType::Day)
                                .build(),
                        )
                        .build(),
                )
                .build()
        }),
        mock!(aws_sdk_apigateway::Client::get_usage_plan_keys)
            .match_requests(|r| r.usage_plan_id() == Some("up1"))
            .then_output(|| {
                // GetUsagePlanKeys returns the values too: they must not be kept.
                GetUsagePlanKeysOutput::builder()
                    .items(
                        a::UsagePlanKey::builder()
                            .id("k2")
                            .r#type("API_KEY")
                            .value(VALUE_B)
                            .build(),
                    )
                    .items(
                        a::UsagePlanKey::builder()
                            .id("k1")
                            .r#type("API_KEY")
                            .value(VALUE_A)
                            .build(),
                    )
                    .build()
            }),
        mock!(aws_sdk_apigateway::Client::get_api_keys)
            .match_requests(|r| r.include_values() == Some(true))
            .then_output(|| {
                GetApiKeysOutput::builder()
                    .items(
                        a::ApiKey::builder()
                            .id("k1")
                            .name("alice")
                            .value(VALUE_A)
                            .enabled(true)
                            .customer_id("c-1")
                            .stage_keys("r1/prod")
                            .stage_keys("h1/$default")
                            .build(),
                    )
                    .items(
                        a::ApiKey::builder()
                            .id("k2")
                            .name("bob")
                            .value(VALUE_B)
                            .description("off")
                            .build(),
                    )
                    .build()
            }),
        certs,
        mock!(aws_sdk_apigateway::Client::get_account).then_output(|| {
            GetAccountOutput::builder()
                .cloudwatch_role_arn("arn:aws:iam::111111111111:role/logs")
                .features("UsagePlans")
                .throttle_settings(
                    a::ThrottleSettings::builder()
                        .burst_limit(5000)
                        .rate_limit(10000.0)
                        .build(),
                )
                .build()
        }),
    ]
}

fn certs_rule() -> Rule {
    mock!(aws_sdk_apigateway::Client::get_client_certificates).then_output(|| {
        GetClientCertificatesOutput::builder()
            .items(
                a::ClientCertificate::builder()
                    .client_certificate_id("cc1")
                    .description("backend")
                    .pem_encoded_certificate(
                        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                    )
                    .expiration_date(aws_smithy_types::DateTime::from_secs(1_800_000_000))
                    .tags("env", "prod")
                    .build(),
            )
            .build()
    })
}

#[tokio::test]
async fn the_estate_is_captured_whole_with_paging_and_sealed_values() {
    let (v1, v2) = clients(&estate_rules(certs_rule()));
    let pacer = Pacer::for_tests();
    let dir = tempfile::tempdir().unwrap();
    let sealer = Sealer::local(dir.path().join("key"));
    let lines = std::sync::Mutex::new(Vec::new());
    let gaps = Gaps::default();
    let e = capture_estate_with(
        &v1,
        &v2,
        &pacer,
        &sealer,
        &|l| lines.lock().unwrap().push(l),
        &gaps,
    )
    .await
    .unwrap();

    // One domain seen by both APIs; v1's settings, v2's filling the gaps.
    assert_eq!(e.domains.len(), 1);
    let d = &e.domains[0];
    assert_eq!(d.domain_name, DOMAIN);
    assert_eq!(d.seen_by, ["v1", "v2"]);
    assert_eq!(d.endpoint_type, "REGIONAL");
    assert_eq!(d.regional_certificate_arn.as_deref(), Some(CERT));
    assert_eq!(d.security_policy.as_deref(), Some("TLS_1_2"));
    assert_eq!(
        d.mutual_tls.as_ref().unwrap().truststore_uri.as_deref(),
        Some("s3://trust/ca.pem")
    );
    assert_eq!(d.tags["team"], "edge", "v1's tag wins");
    assert_eq!(d.tags["cost"], "7");
    // `orders` is listed by both and is a REST API's: one mapping, via v1. Both pages of API
    // mappings are read; `(none)` is the empty key.
    let mapping = |key: &str, api: &str, stage: &str, via: &str, id: Option<&str>| Mapping {
        key: key.into(),
        api_id: api.into(),
        stage: Some(stage.into()),
        via: via.into(),
        id: id.map(str::to_string),
    };
    assert_eq!(
        d.mappings,
        [
            mapping("", "r1", "beta", "v1", None),
            mapping("http", "h1", "$default", "v2", Some("m2")),
            mapping("orders", "r1", "prod", "v1", None),
        ]
    );

    // v1 VPC links over two pages; the repeated name stays two links.
    let links: Vec<(&str, &str)> = e
        .vpc_links_v1
        .iter()
        .map(|l| (l.name.as_str(), l.id.as_str()))
        .collect();
    assert_eq!(
        links,
        [
            ("link1", "vl1"),
            ("link2", "vl2"),
            ("twin", "vl0"),
            ("twin", "vl9")
        ]
    );
    assert_eq!(
        e.logical_names().vpc_links_v1,
        ["link1", "link2", "twin~vl0", "twin~vl9"]
    );
    assert_eq!(e.vpc_links_v2[0].subnet_ids, ["subnet-1", "subnet-2"]);
    assert_eq!(e.vpc_links_v2[0].tags["env"], "prod");

    let p = &e.usage_plans[0];
    assert_eq!(p.keys, ["k1", "k2"], "key ids, sorted");
    assert_eq!(p.api_stages[0].throttle["/pets/GET"].rate_limit, 2.5);
    assert_eq!(p.quota.as_ref().unwrap().period, "DAY");
    assert_eq!(p.throttle.as_ref().unwrap().burst_limit, 100);

    let names: Vec<&str> = e.api_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert!(e.api_keys[0].enabled && !e.api_keys[1].enabled);
    assert_eq!(e.api_keys[0].customer_id.as_deref(), Some("c-1"));
    let stage = |api: &str, stage: &str| StageKey {
        rest_api_id: api.into(),
        stage_name: stage.into(),
    };
    assert_eq!(
        e.api_keys[0].stage_keys,
        [stage("h1", "$default"), stage("r1", "prod")],
        "AWS's `apiId/stage`, sorted"
    );
    assert!(e.api_keys[1].stage_keys.is_empty());
    assert!(gaps.take().is_empty(), "nothing lacking");
    assert_eq!(
        sealer.open("k1", &e.api_keys[0].value).await.unwrap(),
        VALUE_A
    );
    assert_eq!(
        sealer.open("k2", &e.api_keys[1].value).await.unwrap(),
        VALUE_B
    );

    let c = &e.client_certificates[0];
    assert_eq!(c.id, "cc1");
    assert!(
        c.pem_encoded_certificate
            .as_deref()
            .unwrap()
            .contains("MIIB")
    );
    assert_eq!(c.expiration_date.as_deref(), Some("2027-01-15T08:00:00Z"));
    let acc = e.account.as_ref().unwrap();
    assert_eq!(acc.features, ["UsagePlans"]);

    // No clear value anywhere in what is stored.
    let mut out = Vec::new();
    e.explode(&mut out).unwrap();
    let text = serde_json::to_string(&out).unwrap();
    for v in [VALUE_A, VALUE_B] {
        assert!(!text.contains(v));
        use base64::Engine;
        assert!(!text.contains(&base64::engine::general_purpose::STANDARD.encode(v)));
    }

    let calls = pacer.calls();
    assert_eq!(
        calls["GetVpcLinks"], 3,
        "two v1 pages and one v2: {calls:?}"
    );
    assert_eq!(calls["GetApiMappings"], 2, "{calls:?}");
    assert_eq!(
        calls["GetRestApis"], 1,
        "to tell a REST API's mapping: {calls:?}"
    );
    assert_eq!(calls["GetClientCertificates"], 1);
    assert_eq!(lines.lock().unwrap().len(), 1);
    assert!(lines.lock().unwrap()[0].contains("2 API keys"));
}

#[tokio::test]
async fn client_certificates_a_look_alike_lacks_read_as_none() {
    let certs = mock!(aws_sdk_apigateway::Client::get_client_certificates)
        .sequence()
        .http_status(404, html(404))
        .build();
    let dir = tempfile::tempdir().unwrap();
    let sealer = Sealer::local(dir.path().join("key"));
    let gaps = Gaps::default();
    let (e, pacer) = capture(&estate_rules(certs), &sealer, &gaps).await;
    let e = e.unwrap();
    assert!(e.client_certificates.is_empty());
    assert_eq!(
        gaps.take(),
        [crate::model::Gap::new(
            "ClientCertificate",
            "estate",
            "not served by the source: GetClientCertificates answered 404"
        )]
    );
    assert_eq!(pacer.calls()["GetClientCertificates"], 1, "not retried");
    assert_eq!(e.domains.len(), 1, "the rest is read");
}

#[tokio::test]
async fn aws_errors_stay_errors_and_an_unkeyed_s3_store_refuses_api_keys() {
    let certs = mock!(aws_sdk_apigateway::Client::get_client_certificates)
        .sequence()
        .http_status(400, error_body("BadRequestException", "no"))
        .build();
    let dir = tempfile::tempdir().unwrap();
    let sealer = Sealer::local(dir.path().join("key"));
    let err = capture(&estate_rules(certs), &sealer, &Gaps::default())
        .await
        .0
        .unwrap_err();
    assert!(err.to_string().contains("GetClientCertificates"), "{err}");

    let sdk = mocks::sdk();
    let store = crate::store::Store::S3(crate::store::S3Store::new(&sdk, "points", ""));
    let sealer = Sealer::for_store(&store, &Default::default(), Some(&sdk));
    let err = capture(&estate_rules(certs_rule()), &sealer, &Gaps::default())
        .await
        .0
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--kms-key") && err.contains("s3://points"),
        "{err}"
    );
}

/// GetApiKeys as moto answers it for a key made with stage keys: `stageKeys` as objects, where
/// AWS (and so the SDK) has `apiId/stage` strings.
fn unreadable_keys() -> Rule {
    let body = format!(
        r#"{{"item":[{{"id":"k1","name":"alice","value":"{VALUE_A}","enabled":true,"stageKeys":[{{"restApiId":"r1","stageName":"prod"}}]}}]}}"#
    );
    mock!(aws_sdk_apigateway::Client::get_api_keys)
        .sequence()
        .http_status(200, Some(body))
        .build()
}

#[tokio::test]
async fn an_unreadable_reply_costs_its_kind_only_and_says_why() {
    let rules = |keys: Rule| {
        let mut r = vec![keys];
        r.extend(estate_rules(certs_rule()));
        r
    };
    let dir = tempfile::tempdir().unwrap();
    let sealer = Sealer::local(dir.path().join("key"));
    let gaps = Gaps::default();
    let (e, pacer) = capture(&rules(unreadable_keys()), &sealer, &gaps).await;
    let e = e.unwrap();
    assert!(e.api_keys.is_empty());
    assert_eq!(e.domains.len(), 1, "the rest is captured");
    assert_eq!(e.usage_plans.len(), 1);
    assert_eq!(e.client_certificates.len(), 1);
    assert_eq!(pacer.calls()["GetApiKeys"], 1, "not retried");
    let gaps = gaps.take();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    let g = &gaps[0];
    assert_eq!((g.kind.as_str(), g.scope.as_str()), ("ApiKey", "estate"));
    assert!(
        g.reason
            .starts_with("could not read the reply of GetApiKeys: "),
        "{}",
        g.reason
    );
    // Nothing of the body, where the key's value travels.
    for secret in [VALUE_A, "alice", "restApiId"] {
        assert!(!g.reason.contains(secret), "{}", g.reason);
    }
    assert!(
        g.describe()
            .starts_with("API keys of the account's estate (could not read")
    );

    // A strict capture (a restore's view of its target) stops there, saying what it is.
    let err = capture(&rules(unreadable_keys()), &sealer, &Gaps::strict())
        .await
        .0
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "could not read the reply while reading the account's API Gateway estate (GetApiKeys)"
        ),
        "{err}"
    );
    assert!(!err.contains("rejected") && !err.contains(VALUE_A), "{err}");
}

#[test]
fn capture_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let (v1, v2) = clients(&[]);
    let pacer = Pacer::for_tests();
    let sealer = Sealer::local("/nonexistent/key");
    send(&capture_estate_with(
        &v1,
        &v2,
        &pacer,
        &sealer,
        &|_| {},
        &Gaps::default(),
    ));
}

#[test]
fn an_empty_mutual_tls_object_is_no_mutual_tls() {
    assert_eq!(mutual_tls(&Some(String::new()), &None), None);
    assert_eq!(mutual_tls(&None, &Some("1".into())), None);
    let m = mutual_tls(&Some("s3://trust/ca.pem".into()), &Some("3".into())).unwrap();
    assert_eq!(m.truststore_version.as_deref(), Some("3"));
}
