//! `apigw-dr`: the operator command. Thin: parse arguments, open store and catalog, call one
//! function of `shared`, print. Exit codes: 0 done, 1 error (one line on stderr), 2 usage,
//! 3 `verify` found missing or damaged objects.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use shared::catalog::{Catalog, PointRecord};
use shared::location::DEFAULT_STORE;
use shared::pipeline::{self, SnapshotJob};
use shared::point::{self, DEFAULT_GRACE_SECS, DEFAULT_KEEP, DEFAULT_RETENTION_DAYS, short};
use shared::store::Store;
use shared::time::rfc3339;

#[derive(Parser)]
#[command(
    name = "apigw-dr",
    version,
    about = "Disaster recovery for Amazon API Gateway"
)]
struct Cli {
    /// Where recovery points are kept: file://DIR or s3://BUCKET/PREFIX[?region=R].
    #[arg(long, global = true, env = "APIGW_DR_STORE", default_value = DEFAULT_STORE)]
    store: String,
    /// The catalog of recovery points: file://DIR or dynamodb://TABLE[?region=R]
    /// [default: the local catalog beside a file:// store]
    #[arg(long, global = true, env = "APIGW_DR_CATALOG")]
    catalog: Option<String>,
    /// No progress lines on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Take a recovery point of REST APIs; prints its id as the last line.
    Snapshot(SnapshotArgs),
    /// List recovery points, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show what a recovery point holds (POINT: id, unique id prefix, label, or `latest`).
    Show {
        point: String,
        /// The whole model as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check that every object of a recovery point is present and matches its hash.
    Verify { point: String },
    /// Remove expired recovery points and the objects no point uses any more.
    Prune {
        /// Say what would be removed; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Always keep this many of the newest good points, expired or not.
        #[arg(long, default_value_t = DEFAULT_KEEP)]
        keep: usize,
        /// Leave unreferenced objects younger than this alone (a snapshot may be writing them).
        #[arg(long, default_value_t = DEFAULT_GRACE_SECS)]
        grace_seconds: i64,
    },
}

#[derive(Args)]
struct SnapshotArgs {
    /// Source Region [default: AWS_REGION / your profile's].
    #[arg(long)]
    region: Option<String>,
    /// Role to assume in the source account.
    #[arg(long)]
    role_arn: Option<String>,
    /// REST API name or id to capture (repeatable) [default: every REST API].
    #[arg(long = "api", value_name = "NAME_OR_ID")]
    apis: Vec<String>,
    /// A label for the point (1-64 of a-z 0-9 . _ -).
    #[arg(long)]
    label: Option<String>,
    /// Days until the point expires.
    #[arg(long, default_value_t = DEFAULT_RETENTION_DAYS)]
    retention_days: i64,
}

const EXIT_DAMAGED: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("APIGW_DR_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start: {e}")),
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => fail(&e.to_string()),
    }
}

/// One line on stderr, exit 1.
fn fail(msg: &str) -> ExitCode {
    let one_line = msg.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("apigw-dr: error: {one_line}");
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> shared::Result<ExitCode> {
    let quiet = cli.quiet;
    let progress = move |line: String| {
        if !quiet {
            eprintln!("apigw-dr: {line}");
        }
    };
    let (store, catalog) = shared::location::open(&cli.store, cli.catalog.as_deref(), None).await?;
    match cli.command {
        Command::Snapshot(a) => snapshot(a, &store, &catalog, &progress).await,
        Command::List { json } => list(&catalog, json).await,
        Command::Show { point, json } => show(&store, &catalog, &point, json).await,
        Command::Verify { point } => {
            let rec = point::resolve(&catalog, &point).await?;
            let report = point::verify(&store, &catalog, &rec, &progress).await?;
            if report.bad.is_empty() {
                println!(
                    "point {}: all {} objects present and intact",
                    short(&rec.id),
                    report.checked
                );
                Ok(ExitCode::SUCCESS)
            } else {
                for bad in &report.bad {
                    println!("BAD {bad}");
                }
                eprintln!(
                    "apigw-dr: error: point {} is damaged: {} of {} objects missing or altered; it is marked Damaged and will not be restored",
                    short(&rec.id),
                    report.bad.len(),
                    report.checked
                );
                Ok(ExitCode::from(EXIT_DAMAGED))
            }
        }
        Command::Prune {
            dry_run,
            keep,
            grace_seconds,
        } => {
            let opts = point::PruneOptions {
                keep,
                grace_secs: grace_seconds,
                dry_run,
                now: shared::time::now_ms(),
            };
            let r = point::prune(&store, &catalog, &opts).await?;
            let verb = if dry_run { "would remove" } else { "removed" };
            for p in &r.removed {
                println!(
                    "{verb} point {} (expired {})",
                    short(&p.id),
                    rfc3339(p.expires)
                );
            }
            for id in &r.kept_expired {
                println!(
                    "kept point {} (expired, but among the newest {keep} good points)",
                    short(id)
                );
            }
            println!(
                "{verb} {} points and {} unused objects ({} bytes)",
                r.removed.len(),
                r.deleted_objects,
                r.freed_bytes
            );
            if let Some(why) = r.objects_skipped {
                eprintln!("apigw-dr: warning: {why}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn snapshot(
    a: SnapshotArgs,
    store: &Store,
    catalog: &Catalog,
    progress: &(dyn Fn(String) + Send + Sync),
) -> shared::Result<ExitCode> {
    let source = shared::awsconf::load(a.region.as_deref(), a.role_arn.as_deref()).await?;
    let job = SnapshotJob {
        select: a.apis,
        label: a.label,
        trigger: "cli".into(),
        retention_days: a.retention_days,
    };
    let out = pipeline::snapshot(&source, store, catalog, &job, progress).await?;
    let r = &out.report;
    if r.unchanged {
        progress(format!(
            "nothing changed since {}: same point, no new objects; expiry now {}",
            rfc3339(r.record.created),
            rfc3339(r.record.expires)
        ));
    } else {
        progress(format!(
            "wrote {} new objects ({} bytes) of {}; {} control-plane calls",
            r.new_objects,
            r.new_bytes,
            r.record.objects + 1,
            out.calls
        ));
    }
    println!("{}", r.record.id);
    Ok(ExitCode::SUCCESS)
}

async fn list(catalog: &Catalog, json: bool) -> shared::Result<ExitCode> {
    let all = catalog.list().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        eprintln!("apigw-dr: no recovery points in {}", catalog.url());
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<12}  {:<16}  {:<20}  {:<20}  {:<28}  {:<9}  {:>7}  {:>9}  APIS",
        "ID", "LABELS", "CREATED", "EXPIRES", "SOURCE", "STATUS", "OBJECTS", "BYTES"
    );
    for r in &all {
        println!(
            "{:<12}  {:<16}  {:<20}  {:<20}  {:<28}  {:<9}  {:>7}  {:>9}  {}",
            short(&r.id),
            if r.labels.is_empty() {
                "-".to_string()
            } else {
                r.labels.join(",")
            },
            rfc3339(r.created),
            rfc3339(r.expires),
            r.source.short(),
            r.status.to_string(),
            r.objects,
            r.bytes,
            r.apis.join(",")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn header(r: &PointRecord) -> String {
    let counts: Vec<String> = r.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    format!(
        "point     {}\nlabels    {}\ncreated   {}\nconfirmed {}\nexpires   {}\nsource    {} ({})\ntrigger   {}\nstatus    {}\nholds     {} objects, {} bytes: {}",
        r.id,
        if r.labels.is_empty() {
            "-".into()
        } else {
            r.labels.join(", ")
        },
        rfc3339(r.created),
        rfc3339(r.confirmed),
        rfc3339(r.expires),
        r.source.short(),
        r.source.partition,
        r.trigger,
        r.status,
        r.objects,
        r.bytes,
        counts.join(", ")
    )
}

async fn show(
    store: &Store,
    catalog: &Catalog,
    spec: &str,
    json: bool,
) -> shared::Result<ExitCode> {
    let rec = point::resolve(catalog, spec).await?;
    if json {
        let (_, snap) = point::load(store, &rec.id).await?;
        let doc = serde_json::json!({ "point": rec, "snapshot": snap });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    let manifest = point::read_manifest(store, &rec.id).await?;
    println!("{}", header(&rec));
    for (kind, entries) in point::kinds(&manifest) {
        println!("\n{kind} ({})", entries.len());
        for e in entries {
            println!("  {}", e.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}
