//! The whole estate against moto: a REST, an HTTP and a WebSocket API behind one custom domain,
//! a VPC link per version, a usage plan with two keys, restored from account A / us-east-1 into
//! account B / us-west-2; and a restore of only the custom domain.

use aws_sdk_apigateway::Client as V1;
use aws_sdk_apigatewayv2::Client as V2;
use shared::catalog::Catalog;
use shared::jobs::{self, JobRecord, JobRequest, Phase};
use shared::store::Store;
use tests::{Account, Env, acquire, fixtures};

use crate::quiet;

const SOURCE: &str = "us-east-1";
pub(crate) const TARGET: &str = "us-west-2";
const A: &str = tests::ACCOUNT_A;
const B: &str = tests::ACCOUNT_B;
const LISTENER_A: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/net/orders-nlb/0123456789abcdef/abcdef0123456789";
const LISTENER_B: &str = "arn:aws:elasticloadbalancing:us-west-2:222222222222:listener/net/orders-nlb/fedcba9876543210/9876543210fedcba";

pub(crate) fn mapping() -> String {
    format!(
        r#"
[cognito_user_pools]
"us-east-1_PetsPool1" = "us-west-2_PetsPoolB"
"us-east-1_orders" = "us-west-2_ordersB"

[cognito_clients]
"orders-client" = "orders-client-b"

[certificates]
"arn:aws:acm:{SOURCE}:{A}:certificate/8f6c1b2e-1111-4a5b-9c0d-estate000001" = "arn:aws:acm:{TARGET}:{B}:certificate/0b0b0b0b-2222-4a5b-9c0d-estate00000b"

[load_balancers]
"arn:aws:elasticloadbalancing:{SOURCE}:{A}:loadbalancer/net/orders-nlb/0123456789abcdef" = "arn:aws:elasticloadbalancing:{TARGET}:{B}:loadbalancer/net/orders-nlb/fedcba9876543210"
"{LISTENER_A}" = "{LISTENER_B}"

[subnets]
"subnet-0a1b2c3d" = "subnet-0b0b0b0b"
"subnet-4e5f6a7b" = "subnet-0c0c0c0c"

[security_groups]
"sg-0123abcd" = "sg-0d0d0d0d"
"#
    )
}

pub(crate) struct Setup {
    _dir: tempfile::TempDir,
    pub(crate) store: Store,
    pub(crate) catalog: Catalog,
    pub(crate) point: String,
    estate: fixtures::Estate,
}

/// Integrations that use the VPC links: `GET /private` of the REST API (HTTP_PROXY over the
/// v1 link) and the route `ANY /private/{proxy+}` of the HTTP API (over the v2 link, to a
/// load balancer listener).
async fn use_vpc_links(source: &aws_config::SdkConfig, e: &fixtures::Estate) {
    use aws_sdk_apigateway::types::{ConnectionType, IntegrationType};
    let v1 = V1::new(source);
    let private = v1
        .create_resource()
        .rest_api_id(&e.rest.api_id)
        .parent_id(&e.rest.root_id)
        .path_part("private")
        .send()
        .await
        .unwrap();
    let rid = private.id().unwrap();
    v1.put_method()
        .rest_api_id(&e.rest.api_id)
        .resource_id(rid)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    v1.put_integration()
        .rest_api_id(&e.rest.api_id)
        .resource_id(rid)
        .http_method("GET")
        .r#type(IntegrationType::HttpProxy)
        .integration_http_method("GET")
        .uri("http://orders.internal/")
        .connection_type(ConnectionType::VpcLink)
        .connection_id(&e.vpc_link_v1_id)
        .send()
        .await
        .unwrap();
    use aws_sdk_apigatewayv2::types as t2;
    let v2 = V2::new(source);
    let i = v2
        .create_integration()
        .api_id(&e.http.api_id)
        .integration_type(t2::IntegrationType::HttpProxy)
        .integration_method("ANY")
        .integration_uri(LISTENER_A)
        .connection_type(t2::ConnectionType::VpcLink)
        .connection_id(&e.vpc_link_v2_id)
        .payload_format_version("1.0")
        .send()
        .await
        .unwrap();
    v2.create_route()
        .api_id(&e.http.api_id)
        .route_key("ANY /private/{proxy+}")
        .target(format!("integrations/{}", i.integration_id().unwrap()))
        .send()
        .await
        .unwrap();
}

async fn setup(env: &Env) -> Setup {
    setup_with(env, false).await
}

pub(crate) async fn setup_with(env: &Env, vpc_integrations: bool) -> Setup {
    let (dir, store, catalog) = tests::local_store().await;
    let source = env.sdk(SOURCE, Account::A).await;
    let estate = fixtures::estate(&V1::new(&source), &V2::new(&source), A)
        .await
        .unwrap();
    if vpc_integrations {
        use_vpc_links(&source, &estate).await;
        // The account's CloudWatch Logs role.
        V1::new(&source)
            .update_account()
            .patch_operations(
                aws_sdk_apigateway::types::PatchOperation::builder()
                    .op(aws_sdk_apigateway::types::Op::Replace)
                    .path("/cloudwatchRoleArn")
                    .value(format!("arn:aws:iam::{A}:role/apigw-logs"))
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let point = tests::take_point(&source, &store, &catalog, &[]).await;
    Setup {
        _dir: dir,
        store,
        catalog,
        point,
        estate,
    }
}

pub(crate) fn request(point: &str) -> JobRequest {
    JobRequest {
        point: point.into(),
        to_region: Some(TARGET.into()),
        mapping: Some(mapping()),
        mapping_format: Some("toml".into()),
        ..Default::default()
    }
}

/// Every difference verify left unexplained, APIs and estate alike.
pub(crate) fn unexplained(report: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut all: Vec<serde_json::Value> = report["apis"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["remaining"].as_array().unwrap().clone())
        .collect();
    all.extend(
        report["estate"]["remaining"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    all.into_iter()
        .filter(|d| d.get("explained").is_none())
        .collect()
}

#[tokio::test]
async fn the_estate_fails_over_and_the_keys_keep_their_values() {
    let env = acquire().await;
    let s = setup_with(&env, true).await;
    let target = env.sdk(TARGET, Account::B).await;
    let mut job = JobRecord::new(request(&s.point), "test");
    jobs::run(&s.store, &s.catalog, &mut job, &target, &quiet)
        .await
        .unwrap();
    let report = serde_json::to_value(job.report.clone().unwrap()).unwrap();
    assert!(unexplained(&report).is_empty(), "{report:#}");
    assert!(
        report["estate"]["failed"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    for a in report["apis"].as_array().unwrap() {
        assert!(a["failed"].as_array().unwrap().is_empty(), "{report:#}");
    }
    assert_eq!(job.phase, Phase::Succeeded, "{report:#}");
    let ids: std::collections::BTreeMap<String, String> = report["apis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["targetId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");

    let v1 = V1::new(&target);
    let v2 = V2::new(&target);
    // The keys work with their old values, in the plan on the recovered REST stage.
    let keys = v1.get_api_keys().include_values(true).send().await.unwrap();
    let mut values: Vec<(String, String)> = keys
        .items()
        .iter()
        .map(|k| {
            (
                k.name().unwrap().to_string(),
                k.value().unwrap().to_string(),
            )
        })
        .collect();
    values.sort();
    let want: Vec<(String, String)> = fixtures::ESTATE_KEY_VALUES
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(values, want);
    let plans = v1.get_usage_plans().send().await.unwrap();
    let gold = &plans.items()[0];
    assert_eq!(gold.name(), Some("gold"));
    assert_eq!(gold.api_stages()[0].api_id(), Some(ids["orders"].as_str()));
    let plan_keys = v1
        .get_usage_plan_keys()
        .usage_plan_id(gold.id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(plan_keys.items().len(), 2);

    // The domain, with its certificate from the mapping file, maps to the recovered APIs.
    let domain = v1
        .get_domain_name()
        .domain_name(&s.estate.domain)
        .send()
        .await
        .unwrap();
    assert_eq!(
        domain.regional_certificate_arn(),
        Some(
            format!("arn:aws:acm:{TARGET}:{B}:certificate/0b0b0b0b-2222-4a5b-9c0d-estate00000b")
                .as_str()
        )
    );
    let base = v1
        .get_base_path_mappings()
        .domain_name(&s.estate.domain)
        .send()
        .await
        .unwrap();
    assert_eq!(base.items()[0].rest_api_id(), Some(ids["orders"].as_str()));
    let api_mappings = v2
        .get_api_mappings()
        .domain_name(&s.estate.domain)
        .send()
        .await
        .unwrap();
    assert_eq!(
        api_mappings.items()[0].api_id(),
        Some(ids["orders-http"].as_str())
    );

    // VPC links, their targets translated through the mapping file.
    let links = v1.get_vpc_links().send().await.unwrap();
    assert_eq!(
        links.items()[0].target_arns(),
        [format!(
            "arn:aws:elasticloadbalancing:{TARGET}:{B}:loadbalancer/net/orders-nlb/fedcba9876543210"
        )]
    );
    let links = v2.get_vpc_links().send().await.unwrap();
    assert_eq!(
        links.items()[0].subnet_ids(),
        ["subnet-0b0b0b0b", "subnet-0c0c0c0c"]
    );
    let link_v2 = links.items()[0].vpc_link_id().unwrap().to_string();
    // The integrations that use them are re-pointed at the recovered links (the HTTP API's;
    // moto drops a REST integration's connectionId, so that one is proven in the library's
    // unit tests: restore::tests::a_vpc_link_integration_follows_its_link).
    let http = shared::capture::v2::capture_apis(
        &shared::capture::v2::client(&target),
        &shared::pacing::Pacer::default(),
        std::slice::from_ref(&ids["orders-http"]),
        &quiet,
    )
    .await
    .unwrap()
    .pop()
    .unwrap();
    let over_link = http
        .integrations
        .iter()
        .find(|i| i.connection_type.as_deref() == Some("VPC_LINK"))
        .unwrap();
    assert_eq!(over_link.connection_id.as_deref(), Some(link_v2.as_str()));
    assert_eq!(over_link.integration_uri.as_deref(), Some(LISTENER_B));

    // The account's settings, the role translated into account B.
    let account = v1.get_account().send().await.unwrap();
    assert_eq!(
        account.cloudwatch_role_arn(),
        Some(format!("arn:aws:iam::{B}:role/apigw-logs").as_str())
    );

    // Again: nothing left to do, nothing made twice.
    let plan = jobs::plan_for(&s.store, &s.catalog, &request(&s.point), &target)
        .await
        .unwrap();
    let e = plan.estate.as_ref().unwrap();
    assert!(e.steps.is_empty(), "{:#?}", e.steps);
    assert!(plan.apis.iter().all(|a| a.steps.is_empty()));
}

#[tokio::test]
async fn only_the_domain_brings_its_mappings_and_exactly_the_apis_and_stages_they_point_at() {
    let env = acquire().await;
    let s = setup(&env).await;
    let target = env.sdk(TARGET, Account::B).await;
    let req = JobRequest {
        select: vec!["type:domain".into()],
        ..request(&s.point)
    };
    let plan = jobs::plan_for(&s.store, &s.catalog, &req, &target)
        .await
        .unwrap();
    let selection = plan.selection.join("\n");
    assert!(
        selection.contains("restapi:orders: a stage needs its API (stage:orders:prod)")
            && selection.contains("a mapping points at this stage"),
        "{selection}"
    );
    let mut job = JobRecord::new(req, "test");
    jobs::run(&s.store, &s.catalog, &mut job, &target, &quiet)
        .await
        .unwrap();
    let report = serde_json::to_value(job.report.clone().unwrap()).unwrap();
    assert!(unexplained(&report).is_empty(), "{report:#}");
    assert_eq!(job.phase, Phase::Succeeded, "{report:#}");

    // The REST API with only the stage the mapping points at; the HTTP API; no WebSocket API.
    let v1 = V1::new(&target);
    let rest = v1.get_rest_apis().send().await.unwrap();
    assert_eq!(rest.items().len(), 1);
    let stages = v1
        .get_stages()
        .rest_api_id(rest.items()[0].id().unwrap())
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = stages
        .item()
        .iter()
        .filter_map(|st| st.stage_name())
        .collect();
    assert_eq!(names, ["prod"]);
    let v2 = V2::new(&target);
    let apis = v2.get_apis().send().await.unwrap();
    let names: Vec<&str> = apis.items().iter().filter_map(|a| a.name()).collect();
    assert_eq!(names, ["orders-http"]);
    // Nothing else of the estate.
    assert!(
        v1.get_usage_plans()
            .send()
            .await
            .unwrap()
            .items()
            .is_empty()
    );
    assert!(v1.get_api_keys().send().await.unwrap().items().is_empty());
    assert!(v1.get_vpc_links().send().await.unwrap().items().is_empty());
    let base = v1
        .get_base_path_mappings()
        .domain_name(&s.estate.domain)
        .send()
        .await
        .unwrap();
    assert_eq!(base.items().len(), 1);
}

#[tokio::test]
async fn a_snapshot_of_only_the_domain_holds_exactly_what_its_mappings_need() {
    let env = acquire().await;
    let (_dir, store, catalog) = tests::local_store().await;
    let source = env.sdk(SOURCE, Account::A).await;
    fixtures::estate(&V1::new(&source), &V2::new(&source), A)
        .await
        .unwrap();
    let job = shared::pipeline::SnapshotJob {
        select: vec![],
        label: None,
        trigger: "test".into(),
        retention_days: 30,
        include: vec!["api.example.com".into()],
        exclude: vec![],
    };
    let out = shared::pipeline::snapshot(
        &source,
        &store,
        &catalog,
        &tests::sealer(&store),
        &job,
        &quiet,
    )
    .await
    .unwrap();
    let rec = out.report.record;
    let mut apis = rec.apis.clone();
    apis.sort();
    assert_eq!(apis, ["orders", "orders-http"]);
    let (_, snap) = shared::point::load(&store, &rec.id).await.unwrap();
    let stages: Vec<&str> = snap.rest_apis[0]
        .stages
        .iter()
        .map(|s| s.stage_name.as_str())
        .collect();
    assert_eq!(stages, ["prod"]);
    assert_eq!(snap.estate.domains[0].mappings.len(), 2);
    assert!(snap.estate.usage_plans.is_empty() && snap.estate.api_keys.is_empty());
    assert!(snap.estate.vpc_links_v1.is_empty() && snap.estate.account.is_none());
    let closure = rec.closure.join("\n");
    assert!(
        closure.contains(
            "mapping:api.example.com:orders: a domain brings its mappings (domain:api.example.com)"
        ) && closure.contains("restapi:orders: a stage needs its API (stage:orders:prod)"),
        "{closure}"
    );
    // The record keeps the reasons, for `show`.
    let again = shared::point::resolve(&catalog, &rec.id).await.unwrap();
    assert_eq!(again.closure, rec.closure);

    // A selector that matches nothing is one clear error, and no point.
    let bad = shared::pipeline::SnapshotJob {
        include: vec!["tag:team=nobody".into()],
        ..job
    };
    let e = shared::pipeline::snapshot(
        &source,
        &store,
        &catalog,
        &tests::sealer(&store),
        &bad,
        &quiet,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(e.contains("'tag:team=nobody' matches nothing"), "{e}");
    assert_eq!(catalog.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn restoring_one_api_by_name_brings_only_the_estate_it_needs() {
    let env = acquire().await;
    let s = setup(&env).await;
    let target = env.sdk(TARGET, Account::B).await;
    let req = JobRequest {
        apis: vec!["orders".into()],
        ..request(&s.point)
    };
    let plan = jobs::plan_for(&s.store, &s.catalog, &req, &target)
        .await
        .unwrap();
    let names: Vec<&str> = plan.apis.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["orders"]);
    let steps: Vec<(&str, &str)> = plan
        .estate
        .as_ref()
        .unwrap()
        .steps
        .iter()
        .map(|d| (d.kind.as_str(), d.key.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("DomainName", "api.example.com"),
            ("Mapping", "api.example.com orders")
        ]
    );
}
