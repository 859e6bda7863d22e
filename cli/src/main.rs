//! `apigw-dr`: the operator command. Thin: parse arguments, open store and catalog, call one
//! function of `shared`, print. Exit codes: 0 done, 1 error (one line on stderr), 2 usage,
//! 3 `verify` found missing or damaged objects, or `restore` (or `check`) refused a damaged
//! point, 4 a restore partially failed, 5 `check` found what would block or degrade a failover,
//! 6 a drill failed (did not verify, or took longer than its objective).

use std::io::IsTerminal;
use std::process::ExitCode;

mod print;
mod progress;

use clap::{Args, Parser, Subcommand};
use shared::catalog::Catalog;
use shared::jobs::JobRequest;
use shared::location::DEFAULT_STORE;
use shared::pipeline::{self, SnapshotJob};
use shared::point::{self, DEFAULT_GRACE_SECS, DEFAULT_KEEP, DEFAULT_RETENTION_DAYS};
use shared::secret::{KeyOptions, Sealer};
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
    /// The key file that seals API key values [default: DIR/secret.key of a file://DIR store].
    #[arg(long, global = true, env = "APIGW_DR_KEY_FILE", value_name = "PATH")]
    key_file: Option<std::path::PathBuf>,
    /// The KMS key (id, ARN or alias) that seals API key values (envelope encryption; needed for
    /// an s3:// store when the source has API keys).
    #[arg(long, global = true, env = "APIGW_DR_KMS_KEY", value_name = "KEYID")]
    kms_key: Option<String>,
    /// No progress lines on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Take a recovery point of the APIs; prints its id as the last line.
    Snapshot(SnapshotArgs),
    /// List recovery points, newest first.
    List {
        #[arg(long)]
        json: bool,
        /// List past drills instead: recovery time, verified or not, torn down or not.
        #[arg(long)]
        drills: bool,
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
    /// Restore a recovery point into another Region and/or account, or in place.
    Restore(RestoreArgs),
    /// Say what would block or degrade a failover of a point into the target now (reads only).
    /// Exit 0 when ready, 5 when not.
    Check(CheckArgs),
    /// Show what differs between a recovery point and the live APIs (or another point).
    Diff {
        point: String,
        /// `live` (the point's source, now) or another POINT.
        #[arg(long, default_value = "live")]
        against: String,
        /// Read the live APIs in this Region [default: the point's source Region].
        #[arg(long)]
        region: Option<String>,
        /// Role to assume to read the live APIs.
        #[arg(long)]
        role_arn: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show a restore job's phase and report (or, with --standby, what each standby holds).
    Status {
        /// A job id, or `latest`.
        #[arg(required_unless_present = "standby")]
        job: Option<String>,
        /// Per target, the point its standby holds, when it synced, and how far behind the
        /// newest point of its source it is.
        #[arg(long, conflicts_with = "job")]
        standby: bool,
        #[arg(long)]
        json: bool,
    },
    /// Keep a standby: restore POINT into the recovery target ahead of a failover, without DNS
    /// (the first creates, each later one applies only what changed; one at a time per target).
    Standby(StandbyArgs),
    /// Bring the recovery side's APIs home: restore a point of the recovery side in place
    /// into the source, the mapping file inverted, and verify.
    Failback(FailbackArgs),
    /// Prove a point restores: restore it into the target beside everything there (a name
    /// prefix and a drill tag; no custom domain, DNS or account settings), verify, record the
    /// drill, then delete exactly what it created. Exit 0 passed, 6 failed.
    Drill(DrillArgs),
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
    /// API name or id to capture, REST, HTTP or WebSocket (repeatable) [default: every API].
    #[arg(long = "api", value_name = "NAME_OR_ID")]
    apis: Vec<String>,
    /// Take only what this selects, closed over its dependencies (repeatable): NAME-GLOB,
    /// id:ID, type:TYPE (rest, http, websocket, api, stage, domain, mapping, vpclink,
    /// usageplan, apikey, clientcert, account) or tag:KEY=VALUE. `show` says what came in by
    /// closure, and why.
    #[arg(long = "select", value_name = "SELECTOR")]
    select: Vec<String>,
    /// Leave out what this selects (repeatable; wins over --select and the closure).
    #[arg(long = "exclude", value_name = "SELECTOR")]
    exclude: Vec<String>,
    /// A label for the point (1-64 of a-z 0-9 . _ -).
    #[arg(long)]
    label: Option<String>,
    /// Days until the point expires.
    #[arg(long, default_value_t = DEFAULT_RETENTION_DAYS)]
    retention_days: i64,
}

/// Where a point would be restored (restore, check).
#[derive(Args)]
struct TargetArgs {
    /// Target Region [default: the point's source Region].
    #[arg(long)]
    to_region: Option<String>,
    /// Role to assume in the target account.
    #[arg(long)]
    to_role_arn: Option<String>,
    /// Mapping file (TOML or JSON) for references that cannot be derived (see docs/mapping-file.md).
    #[arg(long, value_name = "FILE")]
    map: Option<std::path::PathBuf>,
}

impl TargetArgs {
    /// A request for `point` into this target, the mapping file read, the keyring named; the
    /// rest of it default.
    fn request(&self, point: &str, keys: &KeyOptions) -> shared::Result<JobRequest> {
        let (mapping, mapping_format) = read_mapping(self.map.as_deref())?;
        Ok(JobRequest {
            point: point.to_string(),
            to_region: self.to_region.clone(),
            to_role_arn: self.to_role_arn.clone(),
            mapping,
            mapping_format,
            key_file: keys.key_file.as_ref().map(|p| p.display().to_string()),
            kms_key: keys.kms_key.clone(),
            ..Default::default()
        })
    }

    /// [`JobRequest::validate`], an error about the mapping file naming its path.
    async fn validate(
        &self,
        request: &JobRequest,
        catalog: &Catalog,
    ) -> shared::Result<shared::jobs::Valid> {
        request.validate(catalog).await.map_err(|e| self.named(e))
    }

    /// An error about the mapping file named by its path.
    fn named(&self, e: shared::Error) -> shared::Error {
        named_mapping(e, self.map.as_deref())
    }

    /// `--to-region`, which `what` (standby, failback) needs: it has no default there.
    fn needs_region(&self, what: &str) -> shared::Result<()> {
        match self.to_region {
            Some(_) => Ok(()),
            None => Err(shared::Error::Invalid(format!(
                "{what} needs --to-region: the Region it restores into"
            ))),
        }
    }
}

#[derive(Args)]
struct RestoreArgs {
    /// The recovery point (id, unique prefix, label, or `latest`).
    point: String,
    #[command(flatten)]
    target: TargetArgs,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Output as JSON.
    #[arg(long)]
    json: bool,
    /// Bring the point's own source APIs back to the point (a rollback).
    #[arg(long, conflicts_with_all = ["to_region", "to_role_arn"])]
    in_place: bool,
    /// Delete a same-named API in the target that apigw-dr did not restore, and restore in its place.
    #[arg(long)]
    replace: bool,
    /// Put this before every restored API's name.
    #[arg(long, default_value = "")]
    name_prefix: String,
    /// Keep edge-optimized APIs edge-optimized (default: Regional).
    #[arg(long)]
    keep_edge: bool,
    /// Restore only this API of the point (REST, HTTP or WebSocket; by name; repeatable) [default: all].
    #[arg(long = "api", value_name = "NAME")]
    apis: Vec<String>,
    /// Restore only what this selects, closed over its dependencies (repeatable): NAME-GLOB,
    /// id:ID, type:TYPE (rest, http, websocket, api, stage, domain, mapping, vpclink,
    /// usageplan, apikey, clientcert, account) or tag:KEY=VALUE. The plan says what came in
    /// by closure, and why.
    #[arg(long = "select", value_name = "SELECTOR")]
    select: Vec<String>,
    /// Leave out what this selects (repeatable; wins over --select and the closure).
    #[arg(long = "exclude", value_name = "SELECTOR")]
    exclude: Vec<String>,
    /// Leave DNS as it is: do not point the restored custom domains' records at the target
    /// once the restore has verified.
    #[arg(long)]
    no_dns: bool,
    /// Start the restore as a job in the background and print its id.
    #[arg(long, conflicts_with = "dry_run")]
    detach: bool,
    /// Run this pending job (used by --detach).
    #[arg(long, hide = true)]
    job: Option<String>,
}

#[derive(Args)]
struct StandbyArgs {
    /// The recovery point (id, unique prefix, label, or `latest`).
    point: String,
    /// The recovery target (its Region is needed), and the mapping file, as for `restore`.
    #[command(flatten)]
    to: TargetArgs,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Output as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct FailbackArgs {
    /// A point of the recovery side [default: the newest point whose source is the target of
    /// the last failover job].
    point: Option<String>,
    /// Where the APIs go: the source's Region (needed) and role; the mapping file the failover
    /// used (it is inverted).
    #[command(flatten)]
    to: TargetArgs,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Output as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct DrillArgs {
    /// The recovery point (id, unique prefix, label, or `latest`).
    #[arg(default_value = "latest", conflicts_with = "teardown")]
    point: String,
    /// The target (its Region is needed) and the mapping file, as for `restore`.
    #[command(flatten)]
    to: TargetArgs,
    /// Keep what the drill created, for inspection; `--teardown JOB` removes it later.
    #[arg(long, conflicts_with = "teardown")]
    keep: bool,
    /// Tear down a kept drill: delete everything carrying its tag in its target.
    #[arg(long, value_name = "JOB")]
    teardown: Option<String>,
    /// Fail the drill when its recovery time (request to verified) exceeds this many seconds.
    #[arg(long, value_name = "SECONDS")]
    rto_objective: Option<String>,
    /// Output the drill's job as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// The recovery point (id, unique prefix, label, or `latest`: the newest available point).
    #[arg(default_value = "latest")]
    point: String,
    #[command(flatten)]
    target: TargetArgs,
    /// The problems as JSON.
    #[arg(long)]
    json: bool,
}

const EXIT_DAMAGED: u8 = 3;
const EXIT_PARTIAL: u8 = 4;
const EXIT_NOT_READY: u8 = 5;
const EXIT_DRILL_FAILED: u8 = 6;

fn main() -> ExitCode {
    use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt};
    let cli = Cli::parse();
    // Other crates' debug and trace events print request and response bodies: held back.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("APIGW_DR_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .finish()
        .with(tracing_subscriber::filter::filter_fn(
            shared::awsconf::may_log,
        ))
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
    let display = progress::Progress::new(cli.quiet);
    let progress = |line: String| display.line(line);
    let (store, catalog) = shared::location::open(&cli.store, cli.catalog.as_deref(), None).await?;
    let keys = KeyOptions {
        key_file: cli.key_file.clone(),
        kms_key: cli.kms_key.clone(),
    };
    match cli.command {
        Command::Snapshot(a) => {
            let sealer = Sealer::for_store(&store, &keys, None);
            snapshot(a, &store, &catalog, &sealer, &progress).await
        }
        Command::List { json, drills: true } => list_drills(&catalog, json).await,
        Command::List { json, .. } => list(&catalog, json).await,
        Command::Show { point, json } => show(&store, &catalog, &point, json).await,
        Command::Verify { point } => {
            let rec = point::resolve(&catalog, &point).await?;
            let report = point::verify(&store, &catalog, &rec, &progress).await?;
            Ok(if print::verified_point(&rec, &report) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_DAMAGED)
            })
        }
        Command::Restore(a) => {
            let restored = display
                .around(restore(
                    a,
                    &keys,
                    &store,
                    &catalog,
                    &cli.store,
                    cli.catalog.as_deref(),
                    &progress,
                ))
                .await;
            match restored {
                // A damaged point is not restored: the exit code `verify` gives.
                Err(e @ shared::Error::Integrity(_)) => {
                    fail(&e.to_string());
                    Ok(ExitCode::from(EXIT_DAMAGED))
                }
                other => other,
            }
        }
        Command::Check(a) => match check(a, &keys, &store, &catalog).await {
            // A damaged point is not restored: the exit code `verify` gives.
            Err(e @ shared::Error::Integrity(_)) => {
                fail(&e.to_string());
                Ok(ExitCode::from(EXIT_DAMAGED))
            }
            other => other,
        },
        Command::Diff {
            point,
            against,
            region,
            role_arn,
            json,
        } => diff(&store, &catalog, &point, &against, region, role_arn, json).await,
        Command::Status {
            standby: true,
            json,
            ..
        } => standby_status(&catalog, json).await,
        Command::Standby(a) => standby(a, &keys, &store, &catalog, &progress).await,
        Command::Failback(a) => failback(a, &keys, &store, &catalog, &progress).await,
        Command::Drill(a) => drill(a, &keys, &store, &catalog, &progress).await,
        Command::Status { job, json, .. } => {
            let job = shared::jobs::find(&catalog, job.as_deref().unwrap_or("latest")).await?;
            if json {
                print::json(&job);
            } else {
                print::job(&job);
                print::drill(&job);
            }
            Ok(phase_exit(job.phase))
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
            print::pruned(&r, dry_run, keep);
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn snapshot(
    a: SnapshotArgs,
    store: &Store,
    catalog: &Catalog,
    sealer: &Sealer,
    progress: &(dyn Fn(String) + Send + Sync),
) -> shared::Result<ExitCode> {
    let source = shared::awsconf::load(a.region.as_deref(), a.role_arn.as_deref()).await?;
    let job = SnapshotJob {
        select: a.apis,
        label: a.label,
        trigger: "cli".into(),
        retention_days: a.retention_days,
        include: a.select,
        exclude: a.exclude,
    };
    let out = pipeline::snapshot(&source, store, catalog, sealer, &job, progress).await?;
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
        print::json(&all);
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        eprintln!("apigw-dr: no recovery points in {}", catalog.url());
        return Ok(ExitCode::SUCCESS);
    }
    print::points(&all);
    print::newest_ages(&shared::metrics::newest_by_source(
        &all,
        shared::time::now_ms(),
    ));
    Ok(ExitCode::SUCCESS)
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
        print::json(&serde_json::json!({ "point": rec, "snapshot": snap }));
        return Ok(ExitCode::SUCCESS);
    }
    let manifest = point::read_manifest(store, &rec.id).await?;
    print::point(&rec, &manifest);
    Ok(ExitCode::SUCCESS)
}

fn phase_exit(phase: shared::jobs::Phase) -> ExitCode {
    use shared::jobs::Phase;
    match phase {
        Phase::Succeeded
        | Phase::Pending
        | Phase::Planning
        | Phase::Applying
        | Phase::Verifying
        | Phase::SwitchingDns => ExitCode::SUCCESS,
        Phase::PartiallyFailed => ExitCode::from(EXIT_PARTIAL),
        Phase::Failed => ExitCode::FAILURE,
    }
}

async fn restore(
    a: RestoreArgs,
    keys: &KeyOptions,
    store: &Store,
    catalog: &Catalog,
    store_url: &str,
    catalog_url: Option<&str>,
    progress: &(dyn Fn(String) + Send + Sync),
) -> shared::Result<ExitCode> {
    use shared::jobs::{self, JobRecord};
    let (mut job, prepared) = match &a.job {
        Some(id) => (jobs::find(catalog, id).await?, None),
        None => {
            let request = JobRequest {
                in_place: a.in_place,
                replace: a.replace,
                keep_edge: a.keep_edge,
                name_prefix: a.name_prefix.clone(),
                apis: a.apis.clone(),
                select: a.select.clone(),
                exclude: a.exclude.clone(),
                no_dns: a.no_dns,
                ..a.target.request(&a.point, keys)?
            };
            // Everything asked for is checked before anything is written: a refused
            // restore leaves no job.
            let valid = a.target.validate(&request, catalog).await?;
            let request = valid.request.clone();
            if a.dry_run {
                let target = shared::awsconf::load(
                    request.to_region.as_deref(),
                    request.to_role_arn.as_deref(),
                )
                .await?;
                let prepared = jobs::prepare(store, catalog, valid).await?;
                let mut plan = jobs::plan_prepared(&prepared, &target).await?;
                shared::standby::note_standby_in(catalog, &mut plan).await?;
                let dns = jobs::plan_dns(&prepared, &target).await;
                if a.json {
                    let mut doc = serde_json::to_value(&plan).unwrap_or_default();
                    doc["dns"] = serde_json::to_value(&dns).unwrap_or_default();
                    print::json(&doc);
                } else {
                    print::plan(&plan);
                    print::dns(&dns, true);
                }
                return Ok(ExitCode::SUCCESS);
            }
            // The point is read whole, once (a damaged one is marked so), and the selection
            // made.
            let prepared = jobs::prepare(store, catalog, valid).await?;
            (JobRecord::new(request, "cli"), Some(prepared))
        }
    };
    catalog.put_job(&mut job).await?;
    if a.detach {
        let exe =
            std::env::current_exe().map_err(|e| shared::Error::io("finding this program", e))?;
        let mut cmd = std::process::Command::new(exe);
        cmd.args(["--quiet", "--store", store_url]);
        if let Some(c) = catalog_url {
            cmd.args(["--catalog", c]);
        }
        cmd.args(["restore", &job.request.point, "--job", &job.id])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd.spawn()
            .map_err(|e| shared::Error::io("starting the restore in the background", e))?;
        progress(format!(
            "restore started; follow it with `apigw-dr status {}`",
            job.id
        ));
        println!("{}", job.id);
        return Ok(ExitCode::SUCCESS);
    }
    let ready = prepared.map(jobs::Ready::Prepared);
    run_job(store, catalog, job, ready, a.json, progress).await
}

/// A mapping file's text and the format its extension names (none without a file).
fn read_mapping(
    path: Option<&std::path::Path>,
) -> shared::Result<(Option<String>, Option<String>)> {
    let Some(path) = path else {
        return Ok((None, None));
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        shared::Error::Invalid(format!(
            "cannot read the mapping file {}: {e}",
            path.display()
        ))
    })?;
    let fmt = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_string);
    Ok((Some(text), fmt))
}

/// An error about the mapping file named by its path.
fn named_mapping(e: shared::Error, path: Option<&std::path::Path>) -> shared::Error {
    match path {
        Some(path) => shared::jobs::name_mapping(e, &path.display().to_string()),
        None => e,
    }
}

/// Prints a plan (as JSON or text) for a dry run.
fn print_plan(plan: &shared::restore::Plan, json: bool) {
    if json {
        print::json(plan);
    } else {
        print::plan(plan);
    }
}

/// Runs a written job to its end (from what is [`shared::jobs::Ready`], else its request)
/// and prints its report; the exit code says how it ended.
async fn run_job(
    store: &Store,
    catalog: &Catalog,
    mut job: shared::jobs::JobRecord,
    ready: Option<shared::jobs::Ready>,
    json: bool,
    progress: &(dyn Fn(String) + Send + Sync),
) -> shared::Result<ExitCode> {
    progress(format!("restore job {}", job.id));
    let target = shared::awsconf::load(
        job.request.to_region.as_deref(),
        job.request.to_role_arn.as_deref(),
    )
    .await?;
    shared::jobs::run_ready(store, catalog, &mut job, ready, &target, None, progress).await?;
    if let Some(r) = &job.report {
        if json {
            print::json(&job);
        } else {
            print::report(r);
            print::dns_and_times(&job);
        }
    }
    Ok(phase_exit(job.phase))
}

/// `apigw-dr standby`: a standby sync of the point into the recovery target (no DNS).
async fn standby(
    a: StandbyArgs,
    keys: &KeyOptions,
    store: &Store,
    catalog: &Catalog,
    progress: &(dyn Fn(String) + Send + Sync),
) -> shared::Result<ExitCode> {
    a.to.needs_region("standby")?;
    let request = shared::jobs::JobRequest {
        standby: true,
        ..a.to.request(&a.point, keys)?
    };
    if a.dry_run {
        let target =
            shared::awsconf::load(request.to_region.as_deref(), request.to_role_arn.as_deref())
                .await?;
        let plan = shared::jobs::plan_for(store, catalog, &request, &target)
            .await
            .map_err(|e| a.to.named(e))?;
        print_plan(&plan, a.json);
        return Ok(ExitCode::SUCCESS);
    }
    let (job, ready) = shared::standby::start(store, catalog, &request, "cli")
        .await
        .map_err(|e| a.to.named(e))?;
    run_job(store, catalog, job, Some(ready), a.json, progress).await
}

/// `apigw-dr failback`: a point of the recovery side restored in place into the source.
async fn failback(
    a: FailbackArgs,
    keys: &KeyOptions,
    store: &Store,
    catalog: &Catalog,
    progress: &(dyn Fn(String) + Send + Sync),
) -> shared::Result<ExitCode> {
    use shared::jobs::{self, JobRecord};
    a.to.needs_region("failback")?;
    let mut request = shared::jobs::JobRequest {
        failback: true,
        ..a.to.request(a.point.as_deref().unwrap_or_default(), keys)?
    };
    // The inverted mapping is checked before anything is read.
    shared::failback::failback_mapping(&request).map_err(|e| a.to.named(e))?;
    if a.point.is_none() {
        request.point = shared::failback::last_recovery_point(catalog).await?;
    }
    let valid = a.to.validate(&request, catalog).await?;
    let request = valid.request.clone();
    let prepared = jobs::prepare(store, catalog, valid).await?;
    let from = prepared.point.source.clone();
    let prepared = shared::jobs::failback_prepared(&request, prepared)?;
    if !a.json {
        print::failback(&request.point, &from, &prepared.snap.source, a.dry_run);
    }
    if a.dry_run {
        let target =
            shared::awsconf::load(request.to_region.as_deref(), request.to_role_arn.as_deref())
                .await?;
        let plan = jobs::plan_prepared(&prepared, &target).await?;
        print_plan(&plan, a.json);
        return Ok(ExitCode::SUCCESS);
    }
    let mut job = JobRecord::new(request, "cli");
    catalog.put_job(&mut job).await?;
    run_job(
        store,
        catalog,
        job,
        Some(jobs::Ready::Prepared(prepared)),
        a.json,
        progress,
    )
    .await
}

/// `apigw-dr status --standby`.
async fn standby_status(catalog: &Catalog, json: bool) -> shared::Result<ExitCode> {
    let states = shared::standby::status(catalog).await?;
    if json {
        print::json(&states);
    } else {
        print::standby_states(&states);
    }
    Ok(ExitCode::SUCCESS)
}

/// `apigw-dr check`: what would block or degrade a failover of the point now.
async fn check(
    a: CheckArgs,
    keys: &KeyOptions,
    store: &Store,
    catalog: &Catalog,
) -> shared::Result<ExitCode> {
    let request = a.target.request(&a.point, keys)?;
    let valid = a.target.validate(&request, catalog).await?;
    let target = shared::awsconf::load(
        valid.request.to_region.as_deref(),
        valid.request.to_role_arn.as_deref(),
    )
    .await?;
    let r = shared::check::read::check(store, catalog, valid, &target).await?;
    if a.json {
        print::json(&r);
    } else {
        print::readiness(&r);
    }
    Ok(if r.ready {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_READY)
    })
}

async fn diff(
    store: &Store,
    catalog: &Catalog,
    spec: &str,
    against: &str,
    region: Option<String>,
    role_arn: Option<String>,
    json: bool,
) -> shared::Result<ExitCode> {
    let rec = point::resolve(catalog, spec).await?;
    let (_, snap) = point::load(store, &rec.id).await?;
    let diffs = if against == "live" {
        let region = region.unwrap_or_else(|| rec.source.region.clone());
        let sdk = shared::awsconf::load(Some(&region), role_arn.as_deref()).await?;
        shared::restore::diff(&snap, None, Some(&sdk)).await?
    } else {
        let other = point::resolve(catalog, against).await?;
        let (_, other_snap) = point::load(store, &other.id).await?;
        shared::restore::diff(&snap, Some(&other_snap), None).await?
    };
    if json {
        let doc: Vec<serde_json::Value> = diffs
            .iter()
            .map(|(name, d)| serde_json::json!({ "api": name, "differences": d }))
            .collect();
        print::json(&doc);
    } else {
        print::diffs(&diffs, against);
    }
    Ok(ExitCode::SUCCESS)
}

/// `apigw-dr drill`: a drill of the point into the target (or `--teardown JOB`).
async fn drill(
    a: DrillArgs,
    keys: &KeyOptions,
    store: &Store,
    catalog: &Catalog,
    progress: &(dyn Fn(String) + Send + Sync),
) -> shared::Result<ExitCode> {
    let job = if let Some(id) = &a.teardown {
        let job = shared::jobs::find(catalog, id).await?;
        let target = shared::awsconf::load(
            job.request.to_region.as_deref(),
            job.request.to_role_arn.as_deref(),
        )
        .await?;
        shared::drill::teardown(catalog, &job.id, &target, progress).await?
    } else {
        a.to.needs_region("a drill")?;
        let request = JobRequest {
            keep: a.keep,
            rto_objective: a
                .rto_objective
                .as_deref()
                .map(shared::drill::parse_objective)
                .transpose()?,
            ..a.to.request(&a.point, keys)?
        };
        let target =
            shared::awsconf::load(request.to_region.as_deref(), request.to_role_arn.as_deref())
                .await?;
        shared::drill::run(store, catalog, &request, "cli", &target, None, progress)
            .await
            .map_err(|e| a.to.named(e))?
    };
    if a.json {
        print::json(&job);
    } else {
        print::drill(&job);
    }
    // A drill passes when it verified within its objective and (unless kept) left nothing
    // behind; a teardown when it removed everything tagged.
    let d = job.drill.as_ref();
    let clean =
        job.request.keep && a.teardown.is_none() || d.is_some_and(|d| d.torn_down.is_some());
    let passed = a.teardown.is_some() || d.is_some_and(|d| d.passed);
    Ok(if clean && passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DRILL_FAILED)
    })
}

/// `apigw-dr list --drills`.
async fn list_drills(catalog: &Catalog, json: bool) -> shared::Result<ExitCode> {
    let drills = shared::drill::drills(catalog.list_jobs().await?);
    if json {
        print::json(&drills);
    } else {
        print::drills(&drills);
    }
    Ok(ExitCode::SUCCESS)
}
