//! The restore benchmark: a 300-resource, 600-method REST API in moto (account A, us-east-1),
//! snapshotted, and its restore into account B, us-west-2 planned: prints the call count by
//! operation and the shortest time API Gateway's quotas allow for them (the call-by-call
//! floor). With `--apply`, also carries the restore out, paced to the real quotas, and prints
//! its time next to that floor and what verify found.
//!
//! With `--throttle-every N` (implies `--apply`), the restore is carried out twice, into two
//! Regions of account B: once as is, once with every N-th API Gateway HTTP request answered
//! 429 TooManyRequestsException before it reaches moto (`tests::faults::Throttle`), and both
//! are printed against the floor.
//!
//! `cargo run --release -p tests --bin bench_restore [-- --apply] [-- --resources N]
//! [-- --throttle-every 3]`

use std::time::Instant;

use anyhow::Result;
use clap::Parser;
use shared::jobs::{self, JobRecord, JobRequest};
use shared::pipeline::{SnapshotJob, snapshot};
use tests::faults::Throttle;
use tests::{Account, acquire, fixtures};

#[derive(Parser)]
#[command(about = "Benchmark apigw-dr's restore of a big REST API in moto")]
struct Args {
    /// Resources to create (besides the root), each with 2 MOCK methods.
    #[arg(long, default_value_t = 300)]
    resources: usize,
    /// Carry the restore out (paced to the real quotas: minutes for 300 resources).
    #[arg(long)]
    apply: bool,
    /// Also restore (into eu-west-1) with every N-th API Gateway request answered 429.
    #[arg(long)]
    throttle_every: Option<u64>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench(&args))
}

async fn bench(args: &Args) -> Result<()> {
    let env = acquire().await;
    let source = env.sdk("us-east-1", Account::A).await;
    let target = env.sdk("us-west-2", Account::B).await;
    let client = aws_sdk_apigateway::Client::new(&source);
    let big = fixtures::big_rest_api(&client, "bench-big", args.resources, 2).await?;
    eprintln!(
        "bench_restore: seeded {} resources, {} methods",
        big.resources, big.methods
    );

    let dir = tempfile::tempdir()?;
    let (store, catalog) =
        shared::location::open(&format!("file://{}", dir.path().display()), None, None).await?;
    let job = SnapshotJob {
        select: vec!["bench-big".into()],
        label: None,
        trigger: "bench".into(),
        retention_days: 1,
        include: vec![],
        exclude: vec![],
    };
    let point = snapshot(
        &source,
        &store,
        &catalog,
        &tests::sealer(&store),
        &job,
        &|_| {},
    )
    .await?
    .report
    .record
    .id;

    let request = JobRequest {
        point: point.clone(),
        to_region: Some("us-west-2".into()),
        ..Default::default()
    };
    let t = Instant::now();
    let plan = jobs::plan_for(&store, &catalog, &request, &target).await?;
    let plan_ms = t.elapsed().as_secs_f64() * 1000.0;
    let steps: usize = plan.apis.iter().map(|a| a.steps.len()).sum();
    println!(
        "restore of a {}-resource, {}-method REST API (moto, A/us-east-1 -> B/us-west-2)",
        big.resources, big.methods
    );
    println!("  plan: {steps} steps, computed in {plan_ms:.0} ms (reads included)");
    for (op, n) in plan.calls() {
        println!("    {op:<24} {n:>6}");
    }
    println!("  control-plane calls: {}", plan.total_calls);
    for a in &plan.apis {
        let p = &a.path;
        println!(
            "  call by call: {} calls, floor {:.1} s (10 calls/s account-wide after a burst of 40, and each operation's own quota)",
            p.by_calls.calls, p.by_calls.seconds
        );
        if let Some(i) = &p.by_import {
            println!(
                "  import then reconcile: {} calls, floor {:.1} s",
                i.calls, i.seconds
            );
        }
        println!("  path taken: {} ({})", p.name(), p.why);
    }
    println!("  plan's floor: {:.1} s", plan.min_seconds);
    if args.apply || args.throttle_every.is_some() {
        apply(
            &store,
            &catalog,
            &request,
            &target,
            plan.min_seconds,
            "as is",
        )
        .await?;
    }
    if let Some(every) = args.throttle_every {
        let throttle = Throttle::every(every);
        let target = throttle.wrap(&env.sdk("eu-west-1", Account::B).await);
        let request = JobRequest {
            to_region: Some("eu-west-1".into()),
            ..request
        };
        let plan = jobs::plan_for(&store, &catalog, &request, &target).await?;
        let label = format!("1 in {every} API Gateway requests answered 429");
        apply(
            &store,
            &catalog,
            &request,
            &target,
            plan.min_seconds,
            &label,
        )
        .await?;
        println!(
            "    {} of {} API Gateway HTTP requests (plan's reads included) were answered 429",
            throttle.throttled(),
            throttle.apigateway_requests()
        );
    }
    Ok(())
}

/// Carries the restore out and prints calls, floor, elapsed, ratio and what verify found.
async fn apply(
    store: &shared::store::Store,
    catalog: &shared::catalog::Catalog,
    request: &JobRequest,
    target: &aws_config::SdkConfig,
    floor: f64,
    label: &str,
) -> Result<()> {
    let mut job = JobRecord::new(request.clone(), "bench");
    let t = Instant::now();
    jobs::run(store, catalog, &mut job, target, &|_| {}).await?;
    let secs = t.elapsed().as_secs_f64();
    let remaining = job
        .report
        .as_ref()
        .and_then(|r| r.apis.first())
        .map_or(0, |a| a.remaining.len());
    let calls = job.report.as_ref().map_or(0, |r| r.calls);
    println!(
        "  applied ({label}): {:?}, {} calls with the reads of verify, floor {floor:.1} s, elapsed {secs:.1} s, ratio {:.2}; {remaining} differences after verify",
        job.phase,
        calls,
        secs / floor.max(0.001)
    );
    Ok(())
}
