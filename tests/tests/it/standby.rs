//! Standby and failback against moto: the estate of account A / us-east-1 kept as a standby in
//! account B / us-west-2, synced again after a change (only the change applied), a failover
//! into it that creates nothing, and a failback of a point of the recovery side in place into
//! the source.

use aws_sdk_apigateway::Client as V1;
use aws_sdk_apigatewayv2::Client as V2;
use shared::jobs::{self, JobRecord, JobRequest, Phase};
use shared::restore::Kind;
use tests::{Account, acquire, fixtures};

use crate::quiet;
use crate::restore_estate::{TARGET, request, unexplained};

const SOURCE: &str = "us-east-1";

/// The id of the REST API named `name` and of its root resource, found by its path: moto's
/// PutRestApi overwrite makes a new root and keeps reporting the old `rootResourceId`.
async fn rest_api(v1: &V1, name: &str) -> (String, String) {
    let apis = v1.get_rest_apis().send().await.unwrap();
    let api = apis
        .items()
        .iter()
        .find(|a| a.name() == Some(name))
        .unwrap_or_else(|| panic!("no REST API {name}"));
    let id = api.id().unwrap().to_string();
    let resources = v1
        .get_resources()
        .rest_api_id(&id)
        .limit(500)
        .send()
        .await
        .unwrap();
    let root = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/"))
        .and_then(|r| r.id())
        .unwrap_or_else(|| panic!("REST API {name} has no root resource"))
        .to_string();
    (id, root)
}

/// Adds the resource `/{part}` to the REST API named `name`.
pub(crate) async fn add_resource(v1: &V1, name: &str, part: &str) {
    let (id, root) = rest_api(v1, name).await;
    v1.create_resource()
        .rest_api_id(id)
        .parent_id(root)
        .path_part(part)
        .send()
        .await
        .unwrap();
}

/// The paths of REST API `id`'s resources.
pub(crate) async fn paths(v1: &V1, id: &str) -> Vec<String> {
    let got = v1.get_resources().rest_api_id(id).send().await.unwrap();
    got.items()
        .iter()
        .filter_map(|r| r.path().map(str::to_string))
        .collect()
}

/// The API Gateway calls other than reads that moto recorded: (method, path).
async fn api_gateway_writes(env: &tests::Env) -> Vec<(String, String)> {
    env.recorded()
        .await
        .into_iter()
        .filter(|r| r.service.as_deref() == Some("apigateway") && r.method != "GET")
        .map(|r| (r.method, r.path))
        .collect()
}

/// Each API's steps as (API name, kind, natural key), and the estate's.
fn steps(plan: &shared::restore::Plan) -> Vec<(String, Kind, String)> {
    let mut out: Vec<(String, Kind, String)> = plan
        .apis
        .iter()
        .flat_map(|a| {
            a.steps
                .iter()
                .map(|s| (a.name.clone(), s.kind, s.key.clone()))
        })
        .collect();
    out.extend(
        plan.estate
            .iter()
            .flat_map(|e| &e.steps)
            .map(|s| ("(estate)".to_string(), s.kind, s.key.clone())),
    );
    out
}

/// The plan of a restore of `point` into `target`, the standby it starts from named.
async fn plan_of(
    s: &crate::restore_estate::Setup,
    point: &str,
    target: &aws_config::SdkConfig,
) -> shared::restore::Plan {
    let mut plan = Box::pin(jobs::plan_for(
        &s.store,
        &s.catalog,
        &request(point),
        target,
    ))
    .await
    .unwrap();
    shared::standby::note_standby_in(&s.catalog, &mut plan)
        .await
        .unwrap();
    plan
}

async fn run_standby(
    s: &crate::restore_estate::Setup,
    point: &str,
    target: &aws_config::SdkConfig,
) -> JobRecord {
    let (mut job, ready) = Box::pin(shared::standby::start(
        &s.store,
        &s.catalog,
        &request(point),
        "test",
    ))
    .await
    .unwrap();
    assert!(job.request.standby);
    Box::pin(jobs::run_ready(
        &s.store,
        &s.catalog,
        &mut job,
        Some(ready),
        target,
        None,
        &quiet,
    ))
    .await
    .unwrap();
    let report = serde_json::to_value(job.report.clone().unwrap()).unwrap();
    assert!(unexplained(&report).is_empty(), "{report:#}");
    assert_eq!(job.phase, Phase::Succeeded, "{report:#}");
    job
}

#[tokio::test]
async fn a_standby_syncs_only_changes_a_failover_into_it_creates_nothing_and_failback_goes_home() {
    let env = acquire().await;
    let s = Box::pin(crate::restore_estate::setup_with(&env, false)).await;
    let source = env.sdk(SOURCE, Account::A).await;
    let target = env.sdk(TARGET, Account::B).await;
    let (v1_source, v1_target) = (V1::new(&source), V1::new(&target));
    let (orders_id, _) = rest_api(&v1_source, "orders").await;

    // The first standby creates everything.
    let first = run_standby(&s, &s.point, &target).await;
    eprintln!(
        "figures: first standby: {} steps, {} calls, {:.2} s",
        first.steps,
        first.report.as_ref().map_or(0, |r| r.calls),
        first.report.as_ref().map_or(0.0, |r| r.seconds)
    );
    assert!(first.steps > 0);
    let states = shared::standby::status(&s.catalog).await.unwrap();
    assert_eq!(states.len(), 1, "{states:?}");
    assert_eq!(states[0].point, s.point);
    assert_eq!(states[0].target.region, TARGET);
    assert_eq!((states[0].behind_points, states[0].behind_ms), (0, 0));

    // The source changes; a new point is taken; the standby is one point behind.
    add_resource(&v1_source, "orders", "standby-new").await;
    let second_point = Box::pin(tests::take_point(&source, &s.store, &s.catalog, &[])).await;
    assert_ne!(second_point, s.point);
    let states = shared::standby::status(&s.catalog).await.unwrap();
    assert_eq!(states[0].point, s.point);
    assert_eq!(states[0].newest.as_deref(), Some(second_point.as_str()));
    assert_eq!(states[0].behind_points, 1);

    // While another standby job into the target runs, the next is skipped, naming it.
    let mut running = JobRecord::new(
        JobRequest {
            standby: true,
            ..request(&s.point)
        },
        "test",
    );
    running.phase = Phase::Applying;
    s.catalog.put_job(&mut running).await.unwrap();
    let e = Box::pin(shared::standby::start(
        &s.store,
        &s.catalog,
        &request(&second_point),
        "test",
    ))
    .await
    .map(|_| ())
    .unwrap_err();
    assert!(matches!(e, shared::Error::Conflict(_)), "{e:?}");
    assert!(
        e.to_string().contains(&running.id) && e.to_string().contains("skipped"),
        "{e}"
    );
    running.phase = Phase::Failed;
    s.catalog.put_job(&mut running).await.unwrap();

    // The second standby applies only the change.
    let plan = plan_of(&s, &second_point, &target).await;
    assert_eq!(
        steps(&plan),
        [(
            "orders".to_string(),
            Kind::Resource,
            "/standby-new".to_string()
        )]
    );
    assert!(plan.apis.iter().all(|a| a.action == "update"), "{plan:#?}");
    let second = run_standby(&s, &second_point, &target).await;
    eprintln!(
        "figures: second standby: {} steps, {} calls, {:.2} s",
        second.steps,
        second.report.as_ref().map_or(0, |r| r.calls),
        second.report.as_ref().map_or(0.0, |r| r.seconds)
    );
    assert_eq!(second.steps, 1);
    let states = shared::standby::status(&s.catalog).await.unwrap();
    assert_eq!(states[0].point, second_point);
    assert_eq!(states[0].behind_points, 0);

    // A failover into the standby is accepted, names the standby, and creates nothing.
    let plan = plan_of(&s, &second_point, &target).await;
    assert!(steps(&plan).is_empty(), "{:?}", steps(&plan));
    for a in &plan.apis {
        assert_eq!(a.action, "update");
        assert!(
            a.notes.iter().any(|n| n.contains("holds the standby")
                && n.contains(shared::model::short(&second_point))),
            "{:?}",
            a.notes
        );
    }
    env.start_recording().await;
    let mut failover = JobRecord::new(request(&second_point), "test");
    Box::pin(jobs::run(
        &s.store,
        &s.catalog,
        &mut failover,
        &target,
        &quiet,
    ))
    .await
    .unwrap();
    env.stop_recording().await;
    assert_eq!(failover.phase, Phase::Succeeded, "{:?}", failover.error);
    eprintln!(
        "figures: failover into the standby: {} steps, {} calls, {:.2} s",
        failover.steps,
        failover.report.as_ref().map_or(0, |r| r.calls),
        failover.report.as_ref().map_or(0.0, |r| r.seconds)
    );
    let writes = api_gateway_writes(&env).await;
    assert!(writes.is_empty(), "the failover wrote: {writes:?}");

    // During the incident, the recovery side changes; a point of it is taken there.
    add_resource(&v1_target, "orders", "during-incident").await;
    let recovery_point = Box::pin(tests::take_point(&target, &s.store, &s.catalog, &[])).await;
    assert_eq!(
        shared::failback::last_recovery_point(&s.catalog)
            .await
            .unwrap(),
        recovery_point,
        "failback takes the newest point of the last failover's target by default"
    );

    // Failback: in place into the source, the mapping inverted; the originals keep their ids.
    let back = JobRequest {
        to_region: Some(SOURCE.into()),
        failback: true,
        ..request(&recovery_point)
    };
    let valid = back.validate(&s.catalog).await.unwrap();
    let prepared = Box::pin(jobs::prepare(&s.store, &s.catalog, valid))
        .await
        .unwrap();
    let prepared = shared::jobs::failback_prepared(&back, prepared).unwrap();
    assert_eq!(prepared.snap.source.region, SOURCE);
    assert!(prepared.opts.in_place);
    let plan = Box::pin(jobs::plan_prepared(&prepared, &source))
        .await
        .unwrap();
    assert_eq!(
        steps(&plan),
        [(
            "orders".to_string(),
            Kind::Resource,
            "/during-incident".to_string()
        )]
    );
    let orders = plan.apis.iter().find(|a| a.name == "orders").unwrap();
    assert_eq!(orders.target_id.as_deref(), Some(orders_id.as_str()));
    assert!(plan.apis.iter().all(|a| a.action == "update"), "{plan:#?}");
    // Run as a job that reads its point itself: the job's request alone makes it a failback.
    let mut job = JobRecord::new(back, "test");
    s.catalog.put_job(&mut job).await.unwrap();
    Box::pin(jobs::run_ready(
        &s.store, &s.catalog, &mut job, None, &source, None, &quiet,
    ))
    .await
    .unwrap();
    let report = serde_json::to_value(job.report.clone().unwrap()).unwrap();
    assert!(unexplained(&report).is_empty(), "{report:#}");
    assert_eq!(job.phase, Phase::Succeeded, "{report:#}");
    eprintln!(
        "figures: failback: {} steps, {} calls, {:.2} s",
        job.steps,
        job.report.as_ref().map_or(0, |r| r.calls),
        job.report.as_ref().map_or(0.0, |r| r.seconds)
    );
    // The original API has the change, and no API was added to the source.
    assert!(
        paths(&v1_source, &orders_id)
            .await
            .contains(&"/during-incident".to_string())
    );
    assert_eq!(
        v1_source
            .get_rest_apis()
            .send()
            .await
            .unwrap()
            .items()
            .len(),
        1
    );
    assert_eq!(
        V2::new(&source)
            .get_apis()
            .send()
            .await
            .unwrap()
            .items()
            .len(),
        2
    );
    // The domain's certificate is the source's again (the mapping inverted).
    let domain = v1_source
        .get_domain_name()
        .domain_name("api.example.com")
        .send()
        .await
        .unwrap();
    assert!(
        domain
            .regional_certificate_arn()
            .is_some_and(|c| c.contains(SOURCE) && c.contains(tests::ACCOUNT_A)),
        "{domain:?}"
    );
}

#[tokio::test]
async fn an_uninvertible_mapping_fails_a_failback_before_any_write() {
    let env = acquire().await;
    let (_dir, store, catalog) = tests::local_store().await;
    let source = env.sdk(SOURCE, Account::A).await;
    let _ = fixtures::sample_rest_api(&V1::new(&source), "orders")
        .await
        .unwrap();
    let point = Box::pin(tests::take_point(&source, &store, &catalog, &[])).await;
    let back = JobRequest {
        point,
        to_region: Some(SOURCE.into()),
        failback: true,
        mapping: Some(
            "[subnets]\n\"subnet-0a\" = \"subnet-0b\"\n\"subnet-1a\" = \"subnet-0b\"\n".into(),
        ),
        ..Default::default()
    };
    env.start_recording().await;
    let e = shared::failback::failback_mapping(&back).unwrap_err();
    env.stop_recording().await;
    assert!(
        e.to_string()
            .contains(r#"[subnets] "subnet-0a", "subnet-1a" all map to "subnet-0b""#),
        "{e}"
    );
    assert!(env.recorded().await.is_empty());
    // The job itself refuses it before it plans: Failed, nothing written to the target.
    env.start_recording().await;
    let mut job = JobRecord::new(back, "test");
    catalog.put_job(&mut job).await.unwrap();
    let e = Box::pin(jobs::run_ready(
        &store, &catalog, &mut job, None, &source, None, &quiet,
    ))
    .await
    .unwrap_err();
    env.stop_recording().await;
    assert!(e.to_string().contains("cannot be inverted"), "{e}");
    assert_eq!(job.phase, Phase::Failed);
    let writes: Vec<String> = env
        .recorded()
        .await
        .into_iter()
        .filter(|r| r.service.as_deref() == Some("apigateway"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

/// The alarm going to ALARM, handed to the recovery function: its failover runs into the
/// standby, succeeds and writes nothing to API Gateway (reads only). Returns the answer.
async fn failover_into_the_standby_writes_nothing(
    env: &tests::Env,
    f: &shared::pipeline::RecoveryFunction,
) -> serde_json::Value {
    env.start_recording().await;
    let out = Box::pin(f.handle(crate::event("alarm-state-change.json", ""), None))
        .await
        .unwrap();
    env.stop_recording().await;
    assert_eq!(out["jobs"][0]["phase"], "Succeeded", "{out:#}");
    let writes = api_gateway_writes(env).await;
    assert!(writes.is_empty(), "the failover wrote: {writes:?}");
    out
}

/// A "Standby Sync Requested" event of `point`, as the snapshot function sends it.
fn sync_event(id: &str, point: &str) -> serde_json::Value {
    serde_json::json!({"version": "0", "id": id, "detail-type": shared::events::STANDBY_SYNC,
        "source": "apigw-dr", "account": tests::ACCOUNT_A, "time": "2026-12-03T00:00:00Z",
        "region": TARGET, "resources": [], "detail": {"point": point}})
}

/// The deployed path: a "Standby Sync Requested" event makes the recovery function sync the
/// standby (a standby job), the same point again is skipped, and the alarm's failover into
/// the standby creates nothing.
#[tokio::test]
async fn the_recovery_function_syncs_the_standby_once_per_point_and_fails_over_into_it() {
    use crate::recovery::{config, deployed, jobs, target_apis};
    let env = acquire().await;
    let (home, _) = Box::pin(deployed(&env)).await;
    let f = shared::pipeline::RecoveryFunction::new(config(), &home)
        .await
        .unwrap();
    let sync = sync_event("s1", "latest");
    let out = Box::pin(f.handle(sync.clone(), None)).await.unwrap();
    assert_eq!(out["jobs"][0]["phase"], "Succeeded", "{out:#}");
    let recorded = jobs(&home).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["request"]["standby"], true);
    assert_eq!(recorded[0]["trigger"], "standby");
    assert_eq!(target_apis(&env).await.len(), 1);

    // The standby holds the point: the same request again is skipped, no job written.
    let again = Box::pin(f.handle(sync, None)).await.unwrap();
    assert!(
        again["skipped"]
            .as_str()
            .is_some_and(|s| s.contains("holds point")),
        "{again:#}"
    );
    assert_eq!(jobs(&home).await.len(), 1);

    // The alarm's failover goes into the standby: accepted, nothing created.
    failover_into_the_standby_writes_nothing(&env, &f).await;
    assert_eq!(target_apis(&env).await.len(), 1);
}

/// Standby on, the snapshot function announces each point it writes; that event, given to the
/// recovery function, syncs the standby with that point.
#[tokio::test]
async fn the_snapshot_function_asks_for_a_sync_of_the_point_it_wrote() {
    use crate::recovery::{config, deployed, jobs};
    use serde_json::json;
    let env = acquire().await;
    let (home, queue) = Box::pin(deployed(&env)).await;
    // The stack's standby rule, here to the test's queue.
    let eb = aws_sdk_eventbridge::Client::new(&home);
    eb.put_rule()
        .name("standby")
        .event_bus_name("apigw-dr")
        .event_pattern(
            json!({"source": ["apigw-dr"], "detail-type": [shared::events::STANDBY_SYNC]})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    eb.put_targets()
        .rule("standby")
        .event_bus_name("apigw-dr")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(format!(
                    "arn:aws:sqs:us-west-2:{}:continues",
                    tests::ACCOUNT_A
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let source = V1::new(&env.sdk(SOURCE, Account::A).await);
    let (orders, _) = rest_api(&source, "orders").await;
    let request = json!({"version": "0", "id": "r1", "detail-type": "Snapshot Requested",
        "source": "apigw-dr", "account": tests::ACCOUNT_A, "time": "2026-12-03T00:00:00Z",
        "region": "us-west-2", "resources": [], "detail": {"apis": [orders], "trigger": "schedule"}});
    let cfg = || {
        let mut c = config();
        c.source_region = Some(SOURCE.into());
        c
    };

    // Off: no announcement.
    let off = shared::pipeline::SnapshotFunction::with_standby(cfg(), &home, false)
        .await
        .unwrap();
    Box::pin(off.handle(request.clone())).await.unwrap();
    assert!(tests::drain_queue(&home, &queue).await.is_empty());

    let on = shared::pipeline::SnapshotFunction::with_standby(cfg(), &home, true)
        .await
        .unwrap();
    let out = Box::pin(on.handle(request)).await.unwrap();
    let point = out["point"].as_str().unwrap();
    let sent = tests::drain_queue(&home, &queue).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let sync: serde_json::Value = serde_json::from_str(&sent[0]).unwrap();
    assert_eq!(sync["detail-type"], shared::events::STANDBY_SYNC);
    assert_eq!(sync["detail"]["point"], point);

    let f = shared::pipeline::RecoveryFunction::new(config(), &home)
        .await
        .unwrap();
    let done = Box::pin(f.handle(sync, None)).await.unwrap();
    assert_eq!(done["jobs"][0]["phase"], "Succeeded", "{done:#}");
    let recorded = jobs(&home).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["request"]["point"], point);
    assert_eq!(recorded[0]["request"]["standby"], true);
}

/// The sweep's points as the snapshot function takes them, the demo's estate around the REST
/// API `orders` (a custom domain mapping to it and to the HTTP API `orders-http`): a point of
/// the estate (with what its mappings need), then one of `orders` alone (with the whole
/// estate, so a mapping to an API it does not hold). The function's selection is `orders`.
/// A standby sync restores what the alarm's failover would: the estate's point, which the
/// failover does not take, is skipped; the sync of the API's point takes `orders` with the
/// estate it needs (restored whole, the mapping to `orders-http` failed with a 404) and
/// succeeds; the failover into it makes no API Gateway call but reads.
#[tokio::test]
async fn a_standby_sync_of_a_point_of_one_api_holds_what_the_failover_restores() {
    let env = acquire().await;
    let d = crate::failover::deployed(&env).await;
    let (source, store, catalog, e) = (&d.source, &d.store, &d.catalog, &d.estate);
    use crate::failover::{swept, take};
    let estate_point = take(source, store, catalog, swept(shared::events::ESTATE)).await;
    // The API changes, and its own point is the newest.
    add_resource(&V1::new(source), "orders", "newer").await;
    let orders_point = take(source, store, catalog, swept(&e.rest.api_id)).await;
    assert_ne!(estate_point, orders_point);

    let f = d.recovery(Some("orders")).await;
    // The estate's point is not what the failover takes for `orders` now: no sync, no job.
    let out = Box::pin(f.handle(sync_event("s0", &estate_point), None))
        .await
        .unwrap();
    let why = out["skipped"].as_str().unwrap_or_default();
    assert!(
        why.contains(&format!(
            "it takes point {} for orders",
            shared::model::short(&orders_point)
        )),
        "{out:#}"
    );
    assert!(catalog.list_jobs().await.unwrap().is_empty());

    let out = Box::pin(f.handle(sync_event("s1", &orders_point), None))
        .await
        .unwrap();
    let job = shared::jobs::find(catalog, out["jobs"][0]["job"].as_str().unwrap_or("latest"))
        .await
        .unwrap();
    let report = serde_json::to_value(&job.report).unwrap();
    assert_eq!(job.phase, Phase::Succeeded, "{out:#} {report:#}");
    assert!(unexplained(&report).is_empty(), "{report:#}");
    assert!(job.request.standby);
    assert_eq!(job.request.apis, ["orders"]);

    // The alarm's failover goes into the standby, from the same point: nothing written.
    let out = failover_into_the_standby_writes_nothing(&env, &f).await;
    let failover = shared::jobs::find(catalog, out["jobs"][0]["job"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(failover.request.point, orders_point);
}
