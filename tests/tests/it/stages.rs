//! Stages serve what they served, against moto: a source whose `prod` serves an older
//! definition than its working copy (moto cannot say so: a proxy answers prod's GetExport with
//! that definition) is restored into another account and Region with prod deployed from that
//! definition before the working copy is restored; where the export cannot be read (plain
//! moto), the point has the gap and the stage serves the working copy, as the report says.
//! A canary serves what it served too: one on prod's older deployment gets the deployment of
//! that definition (moto drops canary settings: the proxy keeps them, as AWS does).

use aws_sdk_apigateway::Client;
use shared::capture::{apigateway_client, capture_rest_apis};
use shared::model::Snapshot;
use shared::model::v1::RestApiSnapshot;
use shared::pacing::Pacer;
use shared::restore::{self, Kind, Outcome, RestoreOptions};
use tests::proxy::LossyProxy;
use tests::{Account, Env, acquire};

use crate::quiet;

const SOURCE: &str = "us-east-1";
const TARGET: &str = "us-west-2";

/// A REST API with three GET methods on HTTP_PROXY integrations (what moto's import takes,
/// `https://backend.example.com/r000`...), deployed twice: `prod` on the first deployment,
/// `beta` on the second.
async fn two_stage_api(env: &Env) -> String {
    let id = crate::fast_restore::bulk_api(env, "shop", 3, false).await;
    let c = Client::new(&env.sdk(SOURCE, Account::A).await);
    for stage in ["prod", "beta"] {
        c.create_deployment()
            .rest_api_id(&id)
            .stage_name(stage)
            .send()
            .await
            .unwrap();
    }
    id
}

/// The source API `id`'s working copy, as a restore's capture reads it (no served definitions).
async fn working_copy(direct: &aws_config::SdkConfig, id: &str) -> RestApiSnapshot {
    let pacer = Pacer::default();
    capture_rest_apis(
        &apigateway_client(direct),
        &pacer,
        &[id.to_string()],
        &quiet,
    )
    .await
    .unwrap()
    .pop()
    .unwrap()
}

fn uri_of(api: &RestApiSnapshot, path: &str) -> Option<String> {
    api.methods
        .iter()
        .find(|m| m.path == path && m.http_method == "GET")?
        .method_integration
        .as_ref()?
        .uri
        .clone()
}

/// A point of the source (read through `source`), as a restore reads it: with its record's
/// gaps.
async fn point_of(source: &aws_config::SdkConfig) -> (String, Snapshot, tempfile::TempDir) {
    let (dir, store, catalog) = tests::local_store().await;
    let id = tests::take_point(source, &store, &catalog, &["shop"]).await;
    let record = shared::point::resolve(&catalog, &id).await.unwrap();
    let (_, mut snap) = shared::point::load(&store, &id).await.unwrap();
    snap.gaps = record.gaps;
    (record.id, snap, dir)
}

/// The target API's stage `stage`: the description of the deployment it serves.
fn served_by(api: &RestApiSnapshot, stage: &str) -> String {
    let dep = api
        .stages
        .iter()
        .find(|s| s.stage_name == stage)
        .and_then(|s| s.deployment_id.clone())
        .unwrap_or_else(|| panic!("no stage {stage} in {:?}", api.stages));
    api.deployments
        .iter()
        .find(|d| d.id == dep)
        .and_then(|d| d.description.clone())
        .unwrap_or_default()
}

async fn restore_into_b(
    env: &Env,
    point: &str,
    snap: &Snapshot,
) -> (restore::Plan, restore::RestoreReport, RestApiSnapshot) {
    restore_into(env, &env.sdk(TARGET, Account::B).await, point, snap).await
}

/// Restores `point` into `target` (planned again after: nothing left to do); the plan, the
/// report and the restored API as `target` reads it.
async fn restore_into(
    env: &Env,
    target: &aws_config::SdkConfig,
    point: &str,
    snap: &Snapshot,
) -> (restore::Plan, restore::RestoreReport, RestApiSnapshot) {
    let target = target.clone();
    let opts = RestoreOptions::default();
    let pacer = Pacer::default();
    let plan = restore::plan(point, snap, &target, &opts, &pacer)
        .await
        .unwrap();
    env.start_recording().await;
    let report = restore::apply(&plan, &target, None, &quiet).await.unwrap();
    env.stop_recording().await;
    // Planned again: nothing left to do.
    let again = restore::plan(point, snap, &target, &opts, &pacer)
        .await
        .unwrap();
    assert!(again.apis[0].steps.is_empty(), "{:#?}", again.apis[0].steps);
    let id = report.apis[0].target_id.clone().unwrap();
    let copy = capture_rest_apis(&apigateway_client(&target), &pacer, &[id], &quiet)
        .await
        .unwrap()
        .pop()
        .unwrap();
    (plan, report, copy)
}

/// A proxy to moto whose GetExport says that API `id`'s prod serves the definition before
/// `/r000` moved to its working copy's backend (`https://old.example.com/r000`), and beta the
/// working copy.
async fn prod_behind(env: &Env, id: &str, working: &RestApiSnapshot) -> LossyProxy {
    let mut older = working.clone();
    for m in older.methods.iter_mut().filter(|m| m.path == "/r000") {
        m.method_integration.as_mut().unwrap().uri = Some("https://old.example.com/r000".into());
    }
    let doc = |api: &RestApiSnapshot| shared::openapi::rest::to_document(api).unwrap();
    LossyProxy::exporting(
        env.endpoint(),
        vec![
            (id.to_string(), "prod".into(), doc(&older)),
            (id.to_string(), "beta".into(), doc(working)),
        ],
    )
    .await
    .unwrap()
}

/// The two-stage source API behind [`prod_behind`]'s proxy.
struct Behind {
    env: Env,
    id: String,
    /// Its working copy, read directly.
    working: RestApiSnapshot,
    proxy: LossyProxy,
    /// The source's SDK configuration through the proxy.
    through: aws_config::SdkConfig,
}

async fn two_stages_prod_behind() -> Behind {
    let env = acquire().await;
    let direct = env.sdk(SOURCE, Account::A).await;
    let id = two_stage_api(&env).await;
    let working = working_copy(&direct, &id).await;
    let proxy = prod_behind(&env, &id, &working).await;
    let through = direct.to_builder().endpoint_url(&proxy.endpoint).build();
    Behind {
        env,
        id,
        working,
        proxy,
        through,
    }
}

/// Sets fields of the canary of stage `stage` of API `id` (UpdateStage, through the proxy).
async fn set_canary(sdk: &aws_config::SdkConfig, id: &str, stage: &str, fields: &[(&str, &str)]) {
    use aws_sdk_apigateway::types::{Op, PatchOperation};
    let ops = fields.iter().map(|(field, value)| {
        PatchOperation::builder()
            .op(Op::Replace)
            .path(format!("/canarySettings/{field}"))
            .value(*value)
            .build()
    });
    Client::new(sdk)
        .update_stage()
        .rest_api_id(id)
        .stage_name(stage)
        .set_patch_operations(Some(ops.collect()))
        .send()
        .await
        .unwrap();
}

/// The deployment ids of stage `stage` of `api`: its own and its canary's.
fn deployments_of(api: &RestApiSnapshot, stage: &str) -> (Option<String>, Option<String>) {
    let s = api.stages.iter().find(|s| s.stage_name == stage).unwrap();
    let canary = s.canary_settings.as_ref();
    (
        s.deployment_id.clone(),
        canary.and_then(|c| c.deployment_id.clone()),
    )
}

/// The API's writes the local AWS recorded (API `id`, not GETs).
async fn writes_to(env: &Env, id: &str) -> Vec<tests::Recorded> {
    env.recorded()
        .await
        .into_iter()
        .filter(|r| r.path.starts_with(&format!("/restapis/{id}")) && r.method != "GET")
        .collect()
}

#[tokio::test]
async fn a_stage_one_deployment_behind_is_deployed_from_what_it_served() {
    // prod serves the definition before /r0 moved to v2; beta serves the working copy.
    let Behind {
        env,
        working,
        through,
        proxy: _proxy,
        ..
    } = two_stages_prod_behind().await;
    let (point, snap, _dir) = point_of(&through).await;
    // Exported again, the same definitions: the same point (no new object).
    assert_eq!(point_of(&through).await.0, point);

    // The point holds what each of the two deployments serves, and lacks nothing of it.
    let api = &snap.rest_apis[0];
    assert_eq!(api.served.len(), 2, "{:?}", snap.gaps);
    assert!(
        !snap.gaps.iter().any(|g| g.kind == "ServedDefinition"),
        "{:?}",
        snap.gaps
    );
    let prod_dep = api
        .stages
        .iter()
        .find(|s| s.stage_name == "prod")
        .unwrap()
        .deployment_id
        .clone()
        .unwrap();
    let served = api
        .served
        .iter()
        .find(|s| s.deployment_id == prod_dep)
        .unwrap();
    assert_eq!(
        uri_of(&served.definition, "/r000").as_deref(),
        Some("https://old.example.com/r000")
    );

    let (plan, report, copy) = restore_into_b(&env, &point, &snap).await;
    // The plan: prod's definition first (its import, deployment and stage counted), then the
    // working copy by import.
    let p = &plan.apis[0];
    assert_eq!(
        (p.steps[0].kind, p.steps[0].key.as_str()),
        (Kind::ServedDefinition, "prod")
    );
    assert!(p.path.import, "{:?}", p.path);
    assert_eq!(p.calls["PutRestApi"], 2, "{:?}", p.calls);
    assert!(p.calls["CreateDeployment"] >= 2, "{:?}", p.calls);
    let a = &report.apis[0];
    assert_eq!(report.outcome, Outcome::Succeeded, "{a:#?}");
    assert!(a.failed.is_empty() && a.remaining.is_empty(), "{a:#?}");
    assert!(
        a.notes
            .iter()
            .any(|n| n.starts_with("stages prod serve what they served")),
        "{:?}",
        a.notes
    );

    // The recorder: prod's definition imported, then deployed, then the working copy imported.
    let target_id = copy.api.id.clone();
    let writes = writes_to(&env, &target_id).await;
    let put = |i: usize| {
        writes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.method == "PUT" && r.path == format!("/restapis/{target_id}"))
            .nth(i)
    };
    let (first, served_body) = put(0)
        .map(|(i, r)| (i, r.body.clone()))
        .expect("prod's definition imported");
    let (second, copy_body) = put(1)
        .map(|(i, r)| (i, r.body.clone()))
        .expect("the working copy imported");
    assert!(
        served_body.contains("https://old.example.com/r000"),
        "the first import is prod's definition"
    );
    assert!(
        copy_body.contains("https://backend.example.com/r000")
            && !copy_body.contains("old.example.com")
    );
    let deployed = writes
        .iter()
        .position(|r| r.method == "POST" && r.path == format!("/restapis/{target_id}/deployments"))
        .expect("a deployment");
    assert!(
        first < deployed && deployed < second,
        "{:?}",
        writes
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );

    // prod serves its own deployment, beta the working copy's; the working copy is the source's.
    assert!(
        served_by(&copy, "prod").starts_with("apigw-dr: what prod served ("),
        "{copy:?}"
    );
    assert!(
        served_by(&copy, "beta").starts_with("apigw-dr restore of point"),
        "{copy:?}"
    );
    for path in ["/r000", "/r001", "/r002"] {
        assert_eq!(uri_of(&copy, path), uri_of(&working, path), "{path}");
    }
    let mut desired = working.clone();
    desired.api.name.clone_from(&copy.api.name);
    assert!(
        restore::rest::compare(&desired, Some(&copy))
            .iter()
            .all(|d| d.kind == Kind::RestApi || d.kind == Kind::Stage),
        "{:#?}",
        restore::rest::compare(&desired, Some(&copy))
    );
}

#[tokio::test]
async fn a_canary_on_an_older_deployment_serves_what_it_served() {
    let Behind {
        env,
        id,
        working,
        proxy,
        through,
    } = two_stages_prod_behind().await;
    // beta's canary: a tenth of beta's traffic on prod's (older) deployment.
    let (prod_dep, _) = deployments_of(&working, "prod");
    let canary = [
        ("percentTraffic", "10"),
        ("deploymentId", prod_dep.as_deref().unwrap()),
    ];
    set_canary(&through, &id, "beta", &canary).await;
    let (point, snap, _dir) = point_of(&through).await;
    let api = &snap.rest_apis[0];
    let (beta_dep, beta_canary) = deployments_of(api, "beta");
    assert_eq!(beta_canary, prod_dep, "{:?}", api.stages);
    assert_ne!(beta_dep, prod_dep);
    assert_eq!(api.served.len(), 2, "{:?}", snap.gaps);

    let target = env.sdk(TARGET, Account::B).await;
    let target = target.to_builder().endpoint_url(&proxy.endpoint).build();
    // Planned again after it: nothing left, beta's canary included.
    let (plan, report, copy) = restore_into(&env, &target, &point, &snap).await;
    let p = &plan.apis[0];
    assert_eq!(
        (p.steps[0].kind, p.steps[0].key.as_str()),
        (Kind::ServedDefinition, "prod,beta's canary")
    );
    assert!(
        !p.notes.iter().any(|n| n.contains("canary")),
        "{:?}",
        p.notes
    );
    let a = &report.apis[0];
    assert_eq!(report.outcome, Outcome::Succeeded, "{a:#?}");
    assert!(a.failed.is_empty() && a.remaining.is_empty(), "{a:#?}");

    // One import of prod's definition for prod and beta's canary alike, then the copy's.
    let target_id = copy.api.id.clone();
    let writes = writes_to(&env, &target_id).await;
    let puts: Vec<_> = writes
        .iter()
        .filter(|r| r.method == "PUT" && r.path == format!("/restapis/{target_id}"))
        .collect();
    assert_eq!(puts.len(), 2);
    assert!(puts[0].body.contains("https://old.example.com/r000"));
    assert!(!puts[1].body.contains("old.example.com"));

    // beta serves the working copy's deployment, its canary the one serving prod's older
    // definition, as prod does; the canary keeps its share.
    let (prod_now, _) = deployments_of(&copy, "prod");
    let (beta_now, canary_now) = deployments_of(&copy, "beta");
    assert!(
        served_by(&copy, "prod").starts_with("apigw-dr: what prod, beta's canary served ("),
        "{copy:?}"
    );
    assert!(served_by(&copy, "beta").starts_with("apigw-dr restore of point"));
    assert_eq!(canary_now, prod_now);
    assert_ne!(beta_now, prod_now);
    let beta = copy.stages.iter().find(|s| s.stage_name == "beta").unwrap();
    assert_eq!(beta.canary_settings.as_ref().unwrap().percent_traffic, 10.0);

    // A target whose canary is on the working copy's deployment (restored before canaries
    // served what they served): the next restore points it back, importing nothing again.
    let canary = [("deploymentId", beta_now.as_deref().unwrap())];
    set_canary(&target, &target_id, "beta", &canary).await;
    let (plan, report, copy) = restore_into(&env, &target, &point, &snap).await;
    let steps = &plan.apis[0].steps;
    assert_eq!(steps.len(), 1, "{steps:#?}");
    assert_eq!(steps[0].key, "prod,beta's canary");
    assert_eq!(report.outcome, Outcome::Succeeded, "{:#?}", report.apis[0]);
    assert_eq!(deployments_of(&copy, "beta"), (beta_now, prod_now.clone()));
    assert_eq!(deployments_of(&copy, "prod").0, prod_now);
    let writes = writes_to(&env, &target_id).await;
    assert!(
        !writes.iter().any(|r| r.body.contains("old.example.com")),
        "prod's definition imported again"
    );
}

#[tokio::test]
async fn an_unreadable_export_is_a_gap_and_the_stage_serves_the_working_copy() {
    let env = acquire().await;
    let direct = env.sdk(SOURCE, Account::A).await;
    two_stage_api(&env).await;
    // moto's GetExport: Swagger 2 of the working copy.
    let (point, snap, _dir) = point_of(&direct).await;
    let gaps: Vec<_> = snap
        .gaps
        .iter()
        .filter(|g| g.kind == "ServedDefinition")
        .collect();
    assert_eq!(gaps.len(), 2, "one per deployment: {:?}", snap.gaps);
    assert!(
        gaps.iter()
            .any(|g| g.reason.starts_with("stage prod (deployment ")),
        "{gaps:?}"
    );
    assert!(snap.rest_apis[0].served.is_empty());

    let (plan, report, copy) = restore_into_b(&env, &point, &snap).await;
    assert!(
        !plan.apis[0]
            .steps
            .iter()
            .any(|s| s.kind == Kind::ServedDefinition)
    );
    let a = &report.apis[0];
    assert_eq!(report.outcome, Outcome::Succeeded, "{a:#?}");
    for stage in ["beta", "prod"] {
        let note = format!(
            "stage {stage} serves the restored working copy: what it served was not captured"
        );
        assert!(a.notes.contains(&note), "{:?}", a.notes);
        assert!(
            served_by(&copy, stage).starts_with("apigw-dr restore of point"),
            "{stage}"
        );
    }
}

/// A snapshot of `source` into `store`/`catalog` (the `shop` API): its report and the capture's
/// progress line about served definitions.
async fn snapshot_lines(
    source: &aws_config::SdkConfig,
    store: &shared::store::Store,
    catalog: &shared::catalog::Catalog,
) -> (shared::point::WriteReport, Vec<String>) {
    let job = shared::pipeline::SnapshotJob {
        select: vec!["shop".into()],
        label: None,
        trigger: "test".into(),
        retention_days: 30,
        include: vec![],
        exclude: vec![],
    };
    let lines = std::sync::Mutex::new(Vec::new());
    let out =
        shared::pipeline::snapshot(source, store, catalog, &tests::sealer(store), &job, &|l| {
            lines.lock().unwrap().push(l)
        })
        .await
        .unwrap();
    let lines = lines.into_inner().unwrap();
    let served = lines
        .into_iter()
        .filter(|l| l.contains("served definitions"))
        .collect();
    (out.report, served)
}

#[tokio::test]
async fn a_deployment_already_in_the_store_is_not_exported_again() {
    let env = acquire().await;
    let direct = env.sdk(SOURCE, Account::A).await;
    let id = two_stage_api(&env).await;
    let working = working_copy(&direct, &id).await;
    let doc = shared::openapi::rest::to_document(&working).unwrap();
    let proxy = LossyProxy::exporting(
        env.endpoint(),
        vec![
            (id.clone(), "prod".into(), doc.clone()),
            (id.clone(), "beta".into(), doc),
        ],
    )
    .await
    .unwrap();
    let through = direct.to_builder().endpoint_url(&proxy.endpoint).build();
    let (_dir, store, catalog) = tests::local_store().await;

    let (first, lines) = snapshot_lines(&through, &store, &catalog).await;
    assert_eq!(
        lines,
        ["shop: 2 served definitions, 0 read from an earlier point, 2 exported"]
    );
    // Unchanged: both read from the first point, no export, the same point, no new object.
    let (second, lines) = snapshot_lines(&through, &store, &catalog).await;
    assert_eq!(
        lines,
        ["shop: 2 served definitions, 2 read from an earlier point, 0 exported"]
    );
    assert_eq!(second.record.id, first.record.id);
    assert_eq!(second.new_objects, 0);
    assert!(second.unchanged);
    // beta deployed again: only its new deployment is exported.
    Client::new(&direct)
        .create_deployment()
        .rest_api_id(&id)
        .stage_name("beta")
        .send()
        .await
        .unwrap();
    let (third, lines) = snapshot_lines(&through, &store, &catalog).await;
    assert_eq!(
        lines,
        ["shop: 2 served definitions, 1 read from an earlier point, 1 exported"]
    );
    assert_ne!(third.record.id, first.record.id);
}
