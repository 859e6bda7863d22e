//! The capture benchmark: a 300-resource, 600-method REST API in moto, captured in a child
//! process of this binary so that the figures (calls, wall time, CPU time, peak memory) cover
//! the capture alone.
//!
//! `cargo run -p tests --bin bench_capture` (add `--release` for release-build figures).
//! Exits non-zero if the capture makes more than 20 control-plane calls, or captures fewer
//! resources or methods than were created.

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde::{Deserialize, Serialize};
use shared::capture::{apigateway_client, capture_rest_apis};
use shared::pacing::Pacer;
use tests::{Account, acquire, fixtures, sdk_config};

const RESOURCES: usize = 300;
const METHODS_PER_RESOURCE: usize = 2;
const MAX_CALLS: u64 = 20;
const REGION: &str = "us-east-1";
const API_NAME: &str = "bench-big";
/// Linux's USER_HZ: the unit of utime and stime in /proc/PID/stat.
const CLOCK_TICKS_PER_SEC: u64 = 100;

#[derive(Parser)]
#[command(about = "Benchmark apigw-dr's capture of a 300-resource REST API in moto")]
struct Args {
    /// Internal: run only the capture (in the child process).
    #[arg(long, requires_all = ["endpoint", "api"])]
    capture_only: bool,
    #[arg(long)]
    endpoint: Option<String>,
    #[arg(long, default_value = REGION)]
    region: String,
    #[arg(long)]
    api: Option<String>,
    /// Resources to create (besides the root), each with 2 MOCK methods.
    #[arg(long, default_value_t = RESOURCES)]
    resources: usize,
}

/// What the child reports on stdout (one JSON line).
#[derive(Debug, Serialize, Deserialize)]
struct Figures {
    calls: u64,
    calls_by_operation: std::collections::BTreeMap<String, u64>,
    wall_ms: f64,
    cpu_ms: u64,
    process_cpu_ms: u64,
    peak_rss_kib: u64,
    apis: usize,
    resources: usize,
    methods: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if args.capture_only {
        let figures = rt.block_on(capture_only(&args))?;
        println!("{}", serde_json::to_string(&figures)?);
        Ok(())
    } else {
        rt.block_on(bench(&args))
    }
}

async fn bench(args: &Args) -> Result<()> {
    let env = acquire().await;
    let sdk = env.sdk(&args.region, Account::A).await;
    let client = aws_sdk_apigateway::Client::new(&sdk);
    let t = Instant::now();
    let big =
        fixtures::big_rest_api(&client, API_NAME, args.resources, METHODS_PER_RESOURCE).await?;
    eprintln!(
        "bench_capture: seeded {} resources, {} methods in {:.1} s (moto at {})",
        big.resources,
        big.methods,
        t.elapsed().as_secs_f64(),
        env.endpoint()
    );

    let exe = std::env::current_exe().context("finding this binary")?;
    let t = Instant::now();
    let out = Command::new(exe)
        .args([
            "--capture-only",
            "--endpoint",
            env.endpoint(),
            "--region",
            &args.region,
        ])
        .args(["--api", API_NAME])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("running the capture child")?;
    let child_wall = t.elapsed();
    if !out.status.success() {
        bail!("the capture child failed ({})", out.status);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .last()
        .context("the capture child printed nothing")?;
    let f: Figures = serde_json::from_str(line).with_context(|| format!("child output {line}"))?;

    println!("capture benchmark (moto, {} REST API)", f.apis);
    println!(
        "  captured:            {} resources (incl. root), {} methods",
        f.resources, f.methods
    );
    println!("  control-plane calls: {} (limit {MAX_CALLS})", f.calls);
    for (op, n) in &f.calls_by_operation {
        println!("    {op:<28} {n}");
    }
    println!(
        "  wall time:           {:.1} ms (capture); {:.0} ms child process",
        f.wall_ms,
        child_wall.as_secs_f64() * 1e3
    );
    println!(
        "  CPU time:            {} ms (capture); {} ms child process",
        f.cpu_ms, f.process_cpu_ms
    );
    println!(
        "  peak memory (VmHWM): {:.1} MiB (child process)",
        f.peak_rss_kib as f64 / 1024.0
    );

    let mut failed = Vec::new();
    if f.calls > MAX_CALLS {
        failed.push(format!("{} control-plane calls > {MAX_CALLS}", f.calls));
    }
    if f.resources < big.resources + 1 || f.methods < big.methods {
        failed.push(format!(
            "captured {} resources / {} methods, created {} (+root) / {}",
            f.resources, f.methods, big.resources, big.methods
        ));
    }
    if !failed.is_empty() {
        bail!("benchmark failed: {}", failed.join("; "));
    }
    Ok(())
}

async fn capture_only(args: &Args) -> Result<Figures> {
    let endpoint = args.endpoint.as_deref().context("--endpoint is required")?;
    let api = args.api.clone().context("--api is required")?;
    let sdk = sdk_config(endpoint, &args.region, Account::A).await?;
    let client = apigateway_client(&sdk);
    let pacer = Pacer::default();
    let progress = |line: String| eprintln!("capture: {line}");

    let cpu0 = cpu_ticks()?;
    let t = Instant::now();
    let snapshots = capture_rest_apis(&client, &pacer, &[api], &progress).await?;
    let wall = t.elapsed();
    let cpu1 = cpu_ticks()?;

    let to_ms = |ticks: u64| ticks * 1000 / CLOCK_TICKS_PER_SEC;
    Ok(Figures {
        calls: pacer.total_calls(),
        calls_by_operation: pacer
            .calls()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        wall_ms: wall.as_secs_f64() * 1e3,
        cpu_ms: to_ms(cpu1 - cpu0),
        process_cpu_ms: to_ms(cpu1),
        peak_rss_kib: peak_rss_kib()?,
        apis: snapshots.len(),
        resources: snapshots.iter().map(|s| s.resources.len()).sum(),
        methods: snapshots.iter().map(|s| s.methods.len()).sum(),
    })
}

/// utime + stime of this process, in clock ticks (/proc/self/stat fields 14 and 15).
fn cpu_ticks() -> Result<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let rest = stat
        .rsplit_once(')')
        .context("malformed /proc/self/stat")?
        .1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Result<u64> {
        // `rest` starts at field 3.
        fields
            .get(n - 3)
            .context("short /proc/self/stat")?
            .parse()
            .context("bad /proc/self/stat")
    };
    Ok(field(14)? + field(15)?)
}

/// Peak resident set size (VmHWM) of this process, in KiB.
fn peak_rss_kib() -> Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/self/status")
}
