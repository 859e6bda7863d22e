//! The alarm's failover with no selection, in the deployed shape: the sweep's points (one per
//! API and one of the estate, as the snapshot function takes them), a change point of one API,
//! and an API deleted between two sweeps. The failover restores the whole source: every API
//! still there, the custom domain with all its mappings.

use aws_sdk_apigateway::Client as V1;
use aws_sdk_apigatewayv2::Client as V2;
use shared::events::SnapshotRequest;
use shared::jobs::Phase;
use shared::pipeline::{RecoveryFunction, SnapshotJob, snapshot};
use tests::{Account, Env, acquire, fixtures};

use crate::quiet;
use crate::restore_estate::{TARGET, mapping, unexplained};

const SOURCE: &str = "us-east-1";

/// A small REST API `name` (`GET /`, a mock integration) deployed to the stage `prod`;
/// returns its id.
async fn small_rest_api(v1: &V1, name: &str) -> String {
    let api = v1.create_rest_api().name(name).send().await.unwrap();
    let id = api.id().unwrap().to_string();
    let root = api.root_resource_id().unwrap().to_string();
    v1.put_method()
        .rest_api_id(&id)
        .resource_id(&root)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    v1.put_integration()
        .rest_api_id(&id)
        .resource_id(&root)
        .http_method("GET")
        .r#type(aws_sdk_apigateway::types::IntegrationType::Mock)
        .request_templates("application/json", r#"{"statusCode": 200}"#)
        .send()
        .await
        .unwrap();
    v1.create_deployment()
        .rest_api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    id
}

/// Every API id of the source, REST and HTTP/WebSocket alike: what the sweep lists.
async fn api_ids(source: &aws_config::SdkConfig) -> Vec<String> {
    let pacer = shared::pacing::Pacer::default();
    let rest = shared::capture::list_rest_apis(&shared::capture::apigateway_client(source), &pacer)
        .await
        .unwrap();
    let v2 = shared::capture::v2::list_apis(&shared::capture::v2::client(source), &pacer)
        .await
        .unwrap();
    rest.into_iter()
        .map(|(id, _)| id)
        .chain(v2.into_iter().map(|(id, _, _)| id))
        .collect()
}

/// The sweep's request for the API `id` (or [`shared::events::ESTATE`]).
pub(crate) fn swept(id: &str) -> SnapshotRequest {
    SnapshotRequest {
        apis: vec![id.to_string()],
        trigger: "schedule".into(),
        cause: Some("sweep".into()),
    }
}

/// One point as the snapshot function takes it for `req`; returns its id.
pub(crate) async fn take(
    source: &aws_config::SdkConfig,
    store: &shared::store::Store,
    catalog: &shared::catalog::Catalog,
    req: SnapshotRequest,
) -> String {
    let job = SnapshotJob::for_request(&req, 30);
    Box::pin(snapshot(
        source,
        store,
        catalog,
        &tests::sealer(store),
        &job,
        &quiet,
    ))
    .await
    .unwrap()
    .report
    .record
    .id
}

/// A sweep: one point per API, then the estate's; returns the estate's point.
async fn sweep(
    source: &aws_config::SdkConfig,
    store: &shared::store::Store,
    catalog: &shared::catalog::Catalog,
) -> String {
    let mut estate = String::new();
    for id in api_ids(source)
        .await
        .into_iter()
        .chain([shared::events::ESTATE.to_string()])
    {
        estate = take(source, store, catalog, swept(&id)).await;
    }
    estate
}

/// The names of the target's REST APIs and of its HTTP and WebSocket APIs, sorted.
async fn names(env: &Env) -> (Vec<String>, Vec<String>) {
    let b = env.sdk(TARGET, Account::B).await;
    let mut rest: Vec<String> = crate::recovery::target_apis(env)
        .await
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    let mut v2: Vec<String> = shared::capture::v2::list_apis(
        &shared::capture::v2::client(&b),
        &shared::pacing::Pacer::default(),
    )
    .await
    .unwrap()
    .into_iter()
    .map(|(_, name, _)| name)
    .collect();
    rest.sort();
    v2.sort();
    (rest, v2)
}

/// The deployed shape on moto: the recovery Region's bus (account A, the target Region), a
/// local store and catalog, and the demo's estate in the source (account A, us-east-1).
pub(crate) struct Deployed {
    pub(crate) home: aws_config::SdkConfig,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) store: shared::store::Store,
    pub(crate) catalog: shared::catalog::Catalog,
    pub(crate) source: aws_config::SdkConfig,
    pub(crate) estate: fixtures::Estate,
}

pub(crate) async fn deployed(env: &Env) -> Deployed {
    let home = env.sdk(TARGET, Account::A).await;
    aws_sdk_eventbridge::Client::new(&home)
        .create_event_bus()
        .name("apigw-dr")
        .send()
        .await
        .unwrap();
    let (dir, store, catalog) = tests::local_store().await;
    let source = env.sdk(SOURCE, Account::A).await;
    let estate = fixtures::estate(&V1::new(&source), &V2::new(&source), tests::ACCOUNT_A)
        .await
        .unwrap();
    Deployed {
        home,
        dir,
        store,
        catalog,
        source,
        estate,
    }
}

impl Deployed {
    /// The recovery function over this store and catalog, into account B of the target Region,
    /// DNS left alone; `select`: its `APIGW_DR_SELECT` (none: the whole source).
    pub(crate) async fn recovery(&self, select: Option<&str>) -> RecoveryFunction {
        let url = format!("file://{}", self.dir.path().display());
        let mut vars = vec![
            ("APIGW_DR_STORE", url.clone()),
            ("APIGW_DR_CATALOG", format!("{url}/catalog")),
            ("APIGW_DR_EVENT_BUS", "apigw-dr".to_string()),
            ("APIGW_DR_ALARM_NAME", "orders-api-5xx".to_string()),
            ("APIGW_DR_RECOVERY_ROLE_ARN", tests::role_arn(Account::B)),
            ("APIGW_DR_SWITCH_DNS", "false".to_string()),
            ("APIGW_DR_MAPPING", mapping()),
        ];
        vars.extend(select.map(|s| ("APIGW_DR_SELECT", s.to_string())));
        let cfg = shared::config::FunctionConfig::from_lookup(|k| {
            vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        })
        .unwrap();
        RecoveryFunction::new(cfg, &self.home).await.unwrap()
    }
}

/// Two REST APIs and an HTTP API behind `api.example.com` (the demo's estate, with `users`
/// mapped too), a WebSocket API beside them, and `legacy`, deleted after the first sweep. Two
/// sweeps, then `orders` changes and its change point is the newest. The alarm's failover
/// with no selection: the estate's point whole first, then `chat` and the changed `orders` from
/// their own points; all Succeeded, the domain with its three mappings, `legacy` left out.
#[tokio::test]
async fn an_alarm_with_no_selection_restores_the_whole_source() {
    let env = acquire().await;
    let d = deployed(&env).await;
    let (source, store, catalog, e) = (&d.source, &d.store, &d.catalog, &d.estate);
    let v1 = V1::new(source);
    let users = small_rest_api(&v1, "users").await;
    v1.create_base_path_mapping()
        .domain_name(&e.domain)
        .base_path("users")
        .rest_api_id(&users)
        .stage("prod")
        .send()
        .await
        .unwrap();
    let legacy = small_rest_api(&v1, "legacy").await;

    let first = sweep(source, store, catalog).await;
    v1.delete_rest_api()
        .rest_api_id(&legacy)
        .send()
        .await
        .unwrap();
    let estate_point = sweep(source, store, catalog).await;
    assert_eq!(
        first, estate_point,
        "the estate did not change: the same point"
    );
    let rec = shared::point::resolve(catalog, &estate_point)
        .await
        .unwrap();
    let census = rec
        .census
        .expect("the estate's point lists the source's APIs");
    assert_eq!(census.apis, ["chat", "orders", "orders-http", "users"]);
    assert!(
        catalog
            .list()
            .await
            .unwrap()
            .iter()
            .any(|r| r.apis == ["legacy"])
    );

    // `orders` changes: its change point is the newest.
    let (orders, root) = (e.rest.api_id.clone(), e.rest.root_id.clone());
    v1.create_resource()
        .rest_api_id(&orders)
        .parent_id(&root)
        .path_part("newer")
        .send()
        .await
        .unwrap();
    let change = SnapshotRequest {
        apis: vec![orders.clone()],
        trigger: "change:CreateResource".into(),
        cause: None,
    };
    let orders_point = take(source, store, catalog, change).await;

    let f = d.recovery(None).await;
    let out = Box::pin(f.handle(crate::event("alarm-state-change.json", ""), None))
        .await
        .unwrap();

    // The jobs, in the order they ran: the estate's point whole, then each API's own.
    let mut jobs = vec![];
    for j in out["jobs"].as_array().unwrap() {
        let job = shared::jobs::find(catalog, j["job"].as_str().unwrap())
            .await
            .unwrap();
        let report = serde_json::to_value(&job.report).unwrap();
        assert_eq!(job.phase, Phase::Succeeded, "{out:#} {report:#}");
        assert!(unexplained(&report).is_empty(), "{report:#}");
        jobs.push((job.request.point.clone(), job.request.apis.clone()));
    }
    assert_eq!(jobs.len(), 3, "{jobs:?}");
    assert_eq!(
        jobs[0],
        (estate_point.clone(), vec![]),
        "the estate first, whole"
    );
    assert!(
        jobs[1].1 == ["chat"] && jobs[1].0 != estate_point,
        "{jobs:?}"
    );
    assert_eq!(jobs[2], (orders_point, vec!["orders".to_string()]));

    // Every API still there, none gone; the domain with all its mappings.
    let (rest, apis_v2) = names(&env).await;
    assert_eq!(rest, ["orders", "users"]);
    assert_eq!(apis_v2, ["chat", "orders-http"]);
    let b = env.sdk(TARGET, Account::B).await;
    let mut base_paths: Vec<String> = V1::new(&b)
        .get_base_path_mappings()
        .domain_name(&e.domain)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .filter_map(|m| m.base_path().map(str::to_string))
        .collect();
    base_paths.sort();
    assert_eq!(base_paths, ["orders", "users"]);
    let keys: Vec<String> = V2::new(&b)
        .get_api_mappings()
        .domain_name(&e.domain)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .filter_map(|m| m.api_mapping_key().map(str::to_string))
        .collect();
    assert_eq!(keys, ["http"]);
    // `orders` is its newest copy: the change point's, restored after the estate's.
    let target_orders = crate::recovery::target_apis(&env)
        .await
        .into_iter()
        .find(|(_, name)| name == "orders")
        .map(|(id, _)| id)
        .unwrap();
    let paths: Vec<String> = V1::new(&b)
        .get_resources()
        .rest_api_id(target_orders)
        .limit(500)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .filter_map(|r| r.path().map(str::to_string))
        .collect();
    assert!(paths.iter().any(|p| p == "/newer"), "{paths:?}");
}
