//! The fast-restore figures (issue 11) against moto, printed:
//!
//! - `restore`: 20 REST APIs of 15 resources each (`fixtures::big_rest_api`, a GET on a MOCK
//!   integration per resource) snapshotted in account A, us-east-1, and restored into
//!   account B, us-west-2, paced to API Gateway's real quotas: the plan's floor, the measured
//!   time and their ratio (goal: within 1.2 times the floor), the path each API took.
//! - `capture`: a REST API with two stages on different deployments, snapshotted twice into
//!   one store (GetExport answered by a loopback proxy with an OpenAPI 3 document, as AWS
//!   answers it; moto's own export is Swagger 2): each snapshot's point id, objects written and
//!   GetExport calls. An unchanged source gives the same point, no new object and no export.
//!
//! `cargo run -p tests --bin bench_fast [-- restore|capture] [-- --apis N --resources N]
//! [-- --http-proxy]`

use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result};
use aws_sdk_apigateway::Client;
use clap::Parser;
use shared::jobs::{self, JobRecord, JobRequest};
use shared::model::v1::RestApiSnapshot;
use shared::pipeline::{SnapshotJob, snapshot};
use tests::proxy::LossyProxy;
use tests::{Account, Env, acquire, fixtures};

#[derive(Parser)]
#[command(about = "Figures of apigw-dr's fast restore against moto")]
struct Args {
    /// `restore`, `capture`, or both when absent.
    which: Option<String>,
    /// REST APIs to restore.
    #[arg(long, default_value_t = 20)]
    apis: usize,
    /// Resources per API (besides the root).
    #[arg(long, default_value_t = 15)]
    resources: usize,
    /// Give each method an HTTP_PROXY integration instead of MOCK (moto's import refuses a
    /// MOCK integration without a uri, so the APIs then go by the path the plan chose).
    #[arg(long)]
    http_proxy: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let env = acquire().await;
            let which = args.which.as_deref();
            if which.is_none_or(|w| w == "restore") {
                restore(&env, &args).await?;
            }
            if which.is_none_or(|w| w == "capture") {
                capture(&env).await?;
            }
            Ok(())
        })
}

async fn restore(env: &Env, args: &Args) -> Result<()> {
    let source = env.sdk("us-east-1", Account::A).await;
    let target = env.sdk("us-west-2", Account::B).await;
    let c = Client::new(&source);
    let names: Vec<String> = (0..args.apis).map(|i| format!("fast-{i:02}")).collect();
    for n in &names {
        let api = fixtures::big_rest_api(&c, n, args.resources, 1).await?;
        if args.http_proxy {
            to_http_proxy(&c, &api.api_id).await?;
        }
    }
    let (_dir, store, catalog) = tests::local_store().await;
    let select: Vec<&str> = names.iter().map(String::as_str).collect();
    let point = tests::take_point(&source, &store, &catalog, &select).await;
    let request = JobRequest {
        point,
        to_region: Some("us-west-2".into()),
        ..Default::default()
    };
    let plan = jobs::plan_for(&store, &catalog, &request, &target).await?;
    println!(
        "restore of {} REST APIs of {} resources each (moto, A/us-east-1 -> B/us-west-2, real quotas)",
        args.apis, args.resources
    );
    let mut paths = std::collections::BTreeMap::<String, usize>::new();
    for a in &plan.apis {
        *paths
            .entry(format!("{} ({})", a.path.name(), a.path.why))
            .or_default() += 1;
    }
    for (path, n) in &paths {
        println!("  planned path: {n} APIs {path}");
    }
    println!(
        "  plan: {} control-plane calls, floor {:.1} s",
        plan.total_calls, plan.min_seconds
    );
    let mut record = JobRecord::new(request, "bench");
    let t = Instant::now();
    jobs::run(&store, &catalog, &mut record, &target, &|_| {}).await?;
    let secs = t.elapsed().as_secs_f64();
    let report = record.report.as_ref().context("no report")?;
    let remaining: usize = report.apis.iter().map(|a| a.remaining.len()).sum();
    let failed: usize = report.apis.iter().map(|a| a.failed.len()).sum();
    println!(
        "  applied: {:?}, {} calls with verify's reads, elapsed {secs:.1} s, plan's floor {:.1} s, ratio {:.2} (goal <= 1.2); {failed} failed, {remaining} differences after verify",
        record.phase,
        report.calls,
        plan.min_seconds,
        secs / plan.min_seconds.max(0.001)
    );
    println!(
        "  pacing: the calls made allow {:.1} s at best: elapsed / that floor = {:.2} (the rest of the ratio above is the calls the target needed beyond the plan)",
        report.made_floor_seconds,
        secs / report.made_floor_seconds.max(0.001)
    );
    let mut ran = std::collections::BTreeMap::<String, usize>::new();
    for a in &report.apis {
        let fell_back = a.notes.iter().find(|n| n.contains("call by call"));
        let what = match fell_back {
            // One line for the APIs that fell back alike: without their ids.
            Some(n) => format!(
                "{} ({})",
                a.path,
                n.replace(a.target_id.as_deref().unwrap_or("-"), "ID")
            ),
            None => format!("{}, {} steps reconciled", a.path, a.reconciled),
        };
        *ran.entry(what).or_default() += 1;
    }
    for (what, n) in ran {
        println!("  path run: {n} APIs {what}");
    }
    let mut why = std::collections::BTreeMap::<String, usize>::new();
    for f in report.apis.iter().flat_map(|a| &a.failed) {
        // One line per kind of failure: the step's key, then its reason.
        let reason = f.split_once(": ").map_or(f.as_str(), |(_, r)| r);
        *why.entry(reason.to_string()).or_default() += 1;
    }
    for r in report.apis.iter().flat_map(|a| &a.remaining) {
        let d = &r.difference;
        let what = format!(
            "{:?} {:?}: {}",
            d.kind,
            d.change,
            r.explained.as_deref().unwrap_or("unexplained")
        );
        *why.entry(format!("remaining: {what}")).or_default() += 1;
    }
    for (reason, n) in why {
        println!("    failed ({n}): {reason}");
    }
    Ok(())
}

/// Puts an HTTP_PROXY integration on every GET of API `id` in place of its MOCK one.
async fn to_http_proxy(c: &Client, id: &str) -> Result<()> {
    let resources = c.get_resources().rest_api_id(id).limit(500).send().await?;
    for r in resources.items() {
        let (Some(rid), Some(path)) = (r.id(), r.path()) else {
            continue;
        };
        if path == "/" {
            continue;
        }
        c.put_integration()
            .rest_api_id(id)
            .resource_id(rid)
            .http_method("GET")
            .r#type(aws_sdk_apigateway::types::IntegrationType::HttpProxy)
            .integration_http_method("GET")
            .uri(format!("https://backend.example.com{path}"))
            .send()
            .await
            .context("PutIntegration")?;
    }
    Ok(())
}

async fn capture(env: &Env) -> Result<()> {
    let direct = env.sdk("us-east-1", Account::A).await;
    let c = Client::new(&direct);
    let id = fixtures::big_rest_api(&c, "served", 3, 1).await?.api_id;
    for stage in ["prod", "beta"] {
        c.create_deployment()
            .rest_api_id(&id)
            .stage_name(stage)
            .send()
            .await?;
    }
    let pacer = shared::pacing::Pacer::default();
    let client = shared::capture::apigateway_client(&direct);
    let working =
        shared::capture::capture_rest_apis(&client, &pacer, std::slice::from_ref(&id), &|_| {})
            .await?
            .pop()
            .context("the API")?;
    // prod a deployment behind: its export answers otherwise.
    let mut older = working.clone();
    older.methods[0]
        .method_integration
        .as_mut()
        .context("an integration")?
        .request_templates
        .insert("application/json".into(), r#"{"statusCode": 500}"#.into());
    let doc = |a: &RestApiSnapshot| shared::openapi::rest::to_document(a);
    let proxy = LossyProxy::exporting(
        env.endpoint(),
        vec![
            (id.clone(), "prod".into(), doc(&older)?),
            (id.clone(), "beta".into(), doc(&working)?),
        ],
    )
    .await?;
    let source = direct.to_builder().endpoint_url(&proxy.endpoint).build();
    let (_dir, store, catalog) = tests::local_store().await;
    println!(
        "capture of an unchanged REST API with two stages on different deployments (moto, exports as AWS answers them)"
    );
    let mut first = None;
    for n in 1..=2 {
        let job = SnapshotJob {
            select: vec!["served".into()],
            label: None,
            trigger: "bench".into(),
            retention_days: 1,
            include: vec![],
            exclude: vec![],
        };
        let lines = Mutex::new(Vec::new());
        let out = snapshot(
            &source,
            &store,
            &catalog,
            &tests::sealer(&store),
            &job,
            &|l| lines.lock().unwrap().push(l),
        )
        .await?;
        let served = lines
            .into_inner()
            .unwrap()
            .into_iter()
            .find(|l| l.contains("served definitions"))
            .unwrap_or_default();
        let exports = served
            .rsplit_once(", ")
            .and_then(|(_, e)| e.split(' ').next())
            .unwrap_or("?")
            .to_string();
        let id = out.report.record.id.clone();
        let same = first.get_or_insert_with(|| id.clone()) == &id;
        println!(
            "  snapshot {n}: point {}{}, {} objects written, {} control-plane calls, GetExport calls {exports} ({})",
            shared::model::short(&id),
            if n > 1 && same {
                " (same as the first)"
            } else {
                ""
            },
            out.report.new_objects,
            out.calls,
            served.split_once(": ").map_or("", |(_, r)| r)
        );
    }
    Ok(())
}
