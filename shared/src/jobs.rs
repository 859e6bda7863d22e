//! Restore jobs: a restore recorded in the catalog with its phase (Pending, Planning,
//! Applying, Verifying, Succeeded, PartiallyFailed, Failed), so that it can be followed
//! (`apigw-dr status JOB`) from anywhere, started detached, and driven by a Lambda function.
//!
//! Once a restore has verified (Succeeded; not PartiallyFailed: DNS is not moved to a target
//! that does not match the point), the job switches DNS (phase SwitchingDns, unless
//! `--no-dns`): each custom domain the job restored gets its record pointed at the target's
//! domain endpoint (crate::dns), and the job records the switch and the recovery time.

use std::time::{Duration, Instant};

use crate::catalog::Catalog;
use crate::dns::route53::{self, Route53};
use crate::dns::{Applied, DnsReport, DomainPlan, Endpoint};
pub use crate::records::{JobRecord, JobRequest, Phase, Times, new_id};
use crate::restore::{self, Outcome, RestoreOptions};
use crate::select::Selector;
use crate::store::Store;
use crate::translate::Mapping;
use crate::{Error, Result};

/// A request checked once, whole: its target Region (by default the point's source Region)
/// and role ARN, its mapping file and selectors parsed, its point resolved. What
/// [`JobRequest::validate`] gives; the CLI and the recovery function both start from it.
pub struct Valid {
    /// The request as it will be recorded: the point's full id, the target Region filled in.
    pub request: JobRequest,
    pub point: crate::records::PointRecord,
    mapping: Option<Mapping>,
    include: Vec<Selector>,
    exclude: Vec<Selector>,
}

impl JobRequest {
    /// Checks everything asked for, each thing once, before anything is written: the target
    /// Region and role ARN, the mapping file, the selectors (all without reading), then
    /// resolves the point (id, prefix, label or `latest`).
    pub async fn validate(&self, catalog: &Catalog) -> Result<Valid> {
        if let Some(r) = &self.to_region {
            crate::region::check_region(r)?;
        }
        if let Some(arn) = &self.to_role_arn {
            crate::region::check_role_arn(arn)?;
        }
        let include = Selector::parse_all(&self.select)?;
        let exclude = Selector::parse_all(&self.exclude)?;
        let mapping = match &self.mapping {
            Some(text) => Some(Mapping::parse(text, self.mapping_format.as_deref())?),
            None => None,
        };
        let point = crate::point::resolve(catalog, &self.point).await?;
        let mut request = self.clone();
        request.point.clone_from(&point.id);
        if request.to_region.is_none() {
            request.to_region = Some(point.source.region.clone());
        }
        Ok(Valid {
            request,
            point,
            mapping,
            include,
            exclude,
        })
    }
}

/// An error about the mapping file, named `name` (its path, the setting it came from), so the
/// operator knows which file to fix; any other error as it is.
pub fn name_mapping(e: Error, name: &str) -> Error {
    match e {
        Error::Invalid(m) if m.starts_with("mapping file") => {
            Error::Invalid(m.replacen("mapping file", &format!("mapping file {name}"), 1))
        }
        other => other,
    }
}

async fn set(catalog: &Catalog, job: &mut JobRecord, phase: Phase) -> Result<()> {
    job.phase = phase;
    job.updated = crate::time::now_ms();
    catalog.put_job(job).await
}

/// A request checked against its point: the point's record, the part of it to restore and
/// the restore options. What [`prepare`] gives.
pub struct Prepared {
    pub point: crate::records::PointRecord,
    pub snap: crate::model::Snapshot,
    pub opts: RestoreOptions,
    /// [`JobRequest::switches_dns`] of the request.
    pub switches_dns: bool,
}

/// Reads what a valid request restores, once: refuses a damaged point, reads it whole (every
/// object checked: a bad one marks the point Damaged in the catalog), keeps the requested
/// APIs and the selection (which must take something). Reads only, but for that status.
pub async fn prepare(store: &Store, catalog: &Catalog, valid: Valid) -> Result<Prepared> {
    let Valid {
        request,
        point: rec,
        mapping,
        include,
        exclude,
    } = valid;
    let short = crate::model::short(&rec.id);
    if rec.status != crate::records::PointStatus::Available {
        return Err(Error::Integrity(format!(
            "point {short} is {}: it will not be restored; restore another point (`apigw-dr list`), or run `apigw-dr verify {short}` after repairing the store",
            rec.status
        )));
    }
    let mut snap = match crate::point::load(store, &rec.id).await {
        Ok((_, snap)) => snap,
        Err(Error::Integrity(why)) => {
            crate::point::set_status(catalog, &rec.id, crate::records::PointStatus::Damaged)
                .await?;
            return Err(Error::Integrity(format!(
                "point {short} is damaged ({why}): it is now marked Damaged and nothing was restored; restore another point (`apigw-dr list`), `apigw-dr verify {short}` lists every bad object"
            )));
        }
        Err(e) => return Err(e),
    };
    // What the point lacks goes into the plan and the report (the selection keeps its part).
    snap.gaps.clone_from(&rec.gaps);
    if !request.apis.is_empty() {
        let missing: Vec<&String> = request
            .apis
            .iter()
            .filter(|n| {
                !snap.rest_apis.iter().any(|a| &a.api.name == *n)
                    && !snap.apis_v2.iter().any(|a| &a.api.name == *n)
            })
            .collect();
        if !missing.is_empty() {
            return Err(Error::NotFound(format!(
                "point {short} holds no API named {missing:?}: `apigw-dr show {short}` lists the APIs it holds"
            )));
        }
        // The named APIs, with what of the estate they need (their mappings and domains,
        // their VPC links...): the rest of the estate stays out.
        let named: Vec<Selector> = snap
            .rest_apis
            .iter()
            .filter(|a| request.apis.contains(&a.api.name))
            .map(|a| a.api.id.clone())
            .chain(
                snap.apis_v2
                    .iter()
                    .filter(|a| request.apis.contains(&a.api.name))
                    .map(|a| a.api.api_id.clone()),
            )
            .map(Selector::Id)
            .collect();
        snap = crate::select::take(&snap, &named, &[])?.0;
    }
    let keys = crate::secret::KeyOptions {
        key_file: request.key_file.as_ref().map(std::path::PathBuf::from),
        kms_key: request.kms_key.clone(),
    };
    let mut selection = vec![];
    if !include.is_empty() || !exclude.is_empty() {
        let (part, chosen) = crate::select::take(&snap, &include, &exclude)?;
        selection = chosen.lines();
        snap = part;
    }
    let opts = RestoreOptions {
        mapping,
        keep_edge: request.keep_edge,
        replace: request.replace,
        name_prefix: request.name_prefix.clone(),
        in_place: request.in_place,
        ids: Default::default(),
        sealer: Some(std::sync::Arc::new(crate::secret::Sealer::for_store(
            store, &keys, None,
        ))),
        selection,
    };
    Ok(Prepared {
        point: rec,
        snap,
        opts,
        switches_dns: request.switches_dns(),
    })
}

/// Plans what a prepared request does to the target. Reads only.
pub async fn plan_prepared(
    p: &Prepared,
    target_sdk: &aws_config::SdkConfig,
) -> Result<restore::Plan> {
    let pacer = crate::pacing::Pacer::default();
    restore::plan(&p.point.id, &p.snap, target_sdk, &p.opts, &pacer).await
}

/// The plan of a request: [`JobRequest::validate`], [`prepare`], then plan against the
/// target. Reads only.
pub async fn plan_for(
    store: &Store,
    catalog: &Catalog,
    request: &JobRequest,
    target_sdk: &aws_config::SdkConfig,
) -> Result<restore::Plan> {
    let valid = request.validate(catalog).await?;
    let p = prepare(store, catalog, valid).await?;
    plan_prepared(&p, target_sdk).await
}

/// A prepared request made a failback when the request is one: its point re-homed to the
/// source its APIs came from ([`crate::failback::rehome`], the mapping inverted), restored in place. Anything
/// else, or a point re-homed already, is returned as it is.
pub fn failback_prepared(request: &JobRequest, mut p: Prepared) -> Result<Prepared> {
    if !request.failback || p.snap.source != p.point.source {
        return Ok(p);
    }
    let inverted = crate::failback::failback_mapping(request)?.unwrap_or_else(Mapping::empty);
    p.snap = crate::failback::rehome(&p.snap, &inverted)?;
    p.opts.in_place = true;
    // Translated already: in place, translation changes nothing more.
    p.opts.mapping = None;
    Ok(p)
}

/// Finds a job by id (or `latest`).
pub async fn find(catalog: &Catalog, id: &str) -> Result<JobRecord> {
    if id == "latest" {
        return catalog
            .list_jobs()
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::NotFound(format!("the catalog {} has no restore job", catalog.url()))
            });
    }
    catalog.get_job(id).await?.ok_or_else(|| {
        Error::NotFound(format!(
            "no restore job '{id}' in the catalog {}: job ids look like job-19a7c0e1d2f-3b4c",
            catalog.url()
        ))
    })
}

/// Runs a job to its end: plan, apply, verify, recording each phase. The job's final phase
/// says how it ended; an error before any write (a bad point, a refused target) is recorded
/// as Failed and returned.
pub async fn run(
    store: &Store,
    catalog: &Catalog,
    job: &mut JobRecord,
    target_sdk: &aws_config::SdkConfig,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<()> {
    run_until(store, catalog, job, target_sdk, None, progress).await
}

/// [`run`] that stops between two steps once `deadline` has passed, leaving the job in phase
/// Applying; running it again continues it.
pub async fn run_until(
    store: &Store,
    catalog: &Catalog,
    job: &mut JobRecord,
    target_sdk: &aws_config::SdkConfig,
    deadline: Option<std::time::Instant>,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<()> {
    run_ready(store, catalog, job, None, target_sdk, deadline, progress).await
}

/// How far a new job's request got before the job was written: validated, or also prepared
/// (its point read). A run goes on from there, so nothing is checked or read twice.
pub enum Ready {
    Valid(Valid),
    Prepared(Prepared),
}

/// [`run_until`] going on from what was [`Ready`] before the job was written (`None`: the
/// request is validated and its point read here).
pub async fn run_ready(
    store: &Store,
    catalog: &Catalog,
    job: &mut JobRecord,
    ready: Option<Ready>,
    target_sdk: &aws_config::SdkConfig,
    deadline: Option<std::time::Instant>,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<()> {
    let result: Result<()> = async {
        job.times
            .restore_started
            .get_or_insert_with(crate::time::now_ms);
        set(catalog, job, Phase::Planning).await?;
        // Boxed: these futures are large, and a Lambda or test thread's stack is small.
        let prepared = match ready {
            Some(Ready::Prepared(p)) => p,
            Some(Ready::Valid(v)) => Box::pin(prepare(store, catalog, v)).await?,
            None => {
                let valid = job.request.validate(catalog).await?;
                Box::pin(prepare(store, catalog, valid)).await?
            }
        };
        let prepared = failback_prepared(&job.request, prepared)?;
        let plan = Box::pin(plan_prepared(&prepared, target_sdk)).await?;
        job.steps = plan.apis.iter().map(|a| a.steps.len() as u64).sum();
        job.calls = plan.total_calls;
        job.min_seconds = plan.min_seconds;
        set(catalog, job, Phase::Applying).await?;
        let report = Box::pin(restore::apply(&plan, target_sdk, deadline, progress)).await?;
        let mut end = match report.outcome {
            Outcome::Succeeded => Phase::Succeeded,
            Outcome::PartiallyFailed => Phase::PartiallyFailed,
            // Still applying: the next run continues it.
            Outcome::Interrupted => Phase::Applying,
        };
        let outcome = report.outcome;
        job.report = Some(report);
        if outcome == Outcome::Interrupted {
            return set(catalog, job, end).await;
        }
        job.times.verified = Some(crate::time::now_ms());
        job.dns = Some(if job.request.standby {
            DnsReport::not_switched(STANDBY)
        } else if !job.request.switches_dns() {
            DnsReport::not_switched(NO_DNS)
        } else if outcome != Outcome::Succeeded {
            DnsReport::not_switched(NOT_VERIFIED)
        } else {
            set(catalog, job, Phase::SwitchingDns).await?;
            let dns = Box::pin(switch_dns(&prepared, target_sdk, deadline, progress)).await;
            if dns.moved_traffic() {
                job.times.dns_in_sync = Some(crate::time::now_ms());
            }
            if !dns.failed.is_empty() {
                end = Phase::PartiallyFailed;
            }
            dns
        });
        set(catalog, job, end).await
    }
    .await;
    if let Err(e) = &result {
        job.error = Some(e.to_string());
        set(catalog, job, Phase::Failed).await?;
    }
    result
}

/// The names of the custom domains a prepared request restores (the point's, as the selection
/// took them; a domain keeps its name in the target).
fn domains(p: &Prepared) -> Vec<String> {
    p.snap
        .estate
        .domains
        .iter()
        .map(|d| d.domain_name.clone())
        .collect()
}

/// What the DNS switch of a prepared request does, domain by domain: the target domain's
/// endpoint (a domain the target does not hold yet is planned against an endpoint known once
/// created), its hosted zone and records, the changes, the records left alone and the notes.
/// A domain that cannot be planned (Route 53 refused, a wrong `[hosted_zones]` entry) is in
/// `failed`, with what to do. Reads only.
async fn plan_dns_with(
    p: &Prepared,
    r53: &Route53,
    target_sdk: &aws_config::SdkConfig,
) -> DnsReport {
    let mut report = DnsReport::default();
    if !p.switches_dns {
        report.not_switched = Some(NO_DNS.into());
        return report;
    }
    let pacer = crate::pacing::Pacer::default();
    let mapping = p
        .opts
        .mapping
        .clone()
        .unwrap_or_else(crate::translate::Mapping::empty);
    for domain in domains(p) {
        let planned: Result<DomainPlan> = async {
            let (endpoint, unknown) =
                match route53::domain_endpoint(target_sdk, &pacer, &domain).await? {
                    Some(e) => (e, false),
                    None => (Endpoint::unknown(), true),
                };
            let mut plan = r53.plan(&domain, &endpoint, &mapping).await?;
            plan.endpoint_unknown = unknown;
            Ok(plan)
        }
        .await;
        match planned {
            Ok(plan) => report.domains.push(plan),
            Err(e) => report.failed.push(format!(
                "DNS of {domain} not switched: {e}; fix this and run the restore again, or point its record at the target's domain endpoint by hand"
            )),
        }
    }
    report
}

/// The DNS part of a prepared request's plan ([`plan_dns_with`]; Route 53 of the target
/// account). Reads only.
pub async fn plan_dns(p: &Prepared, target_sdk: &aws_config::SdkConfig) -> DnsReport {
    plan_dns_with(p, &Route53::new(target_sdk), target_sdk).await
}

/// Switches DNS after a verified restore: plans ([`plan_dns_with`]), applies each switch
/// (UPSERT, safe to send again), then waits for each change to be in sync, for at most
/// [`route53::SYNC_WITHIN`] and never past `deadline`. What fails is in the report's `failed`,
/// with what to do; the restored APIs stay.
async fn switch_dns(
    p: &Prepared,
    target_sdk: &aws_config::SdkConfig,
    deadline: Option<Instant>,
    progress: &(dyn Fn(String) + Send + Sync),
) -> DnsReport {
    let r53 = Route53::new(target_sdk);
    let mut report = plan_dns_with(p, &r53, target_sdk).await;
    for d in &report.domains {
        if d.endpoint_unknown {
            report.failed.push(format!(
                "custom domain {} is not in the target although the restore verified: its DNS is not switched; check the domain in the target (`aws apigateway get-domain-name`) and run the restore again",
                d.domain
            ));
        }
    }
    let switches: Vec<_> = report
        .domains
        .iter()
        .filter(|d| !d.endpoint_unknown)
        .flat_map(|d| d.switches.clone())
        .collect();
    let mut changes = vec![];
    for s in switches {
        progress(format!("DNS: {s}"));
        match r53.apply(&s).await {
            Ok(id) => changes.push((s, id)),
            Err(e) => report.failed.push(format!(
                "DNS of {} not switched: {e}; the APIs are restored: point the record at {} by hand, or fix this and run the restore again",
                s.record_name, s.new
            )),
        }
    }
    // Every change is applied before any is waited for: they go in sync together.
    let wait = deadline
        .map(|d| {
            d.saturating_duration_since(Instant::now())
                .saturating_sub(DEADLINE_MARGIN)
        })
        .unwrap_or(route53::SYNC_WITHIN)
        .min(route53::SYNC_WITHIN);
    let until = tokio::time::Instant::now() + wait;
    for (switch, change_id) in changes {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        match r53.wait_in_sync(&change_id, left).await {
            Ok(in_sync) => {
                if !in_sync {
                    progress(format!(
                        "DNS: change {change_id} still PENDING after {} s; Route 53 finishes it on its own",
                        wait.as_secs()
                    ));
                }
                report.applied.push(Applied {
                    switch,
                    change_id,
                    in_sync,
                });
            }
            Err(e) => {
                report.failed.push(format!(
                    "DNS change {change_id} of {} applied, but its state is unknown: {e}; check it with `aws route53 get-change --id {change_id}`",
                    switch.record_name
                ));
                report.applied.push(Applied {
                    switch,
                    change_id,
                    in_sync: false,
                });
            }
        }
    }
    report
}

/// Why a request that opted out of the switch leaves DNS alone.
const NO_DNS: &str = "turned off (--no-dns, or APIGW_DR_SWITCH_DNS=false): DNS is left as it is; point the records at the target's domain endpoints yourself";

/// Why a standby sync leaves DNS alone.
const STANDBY: &str =
    "a standby sync: DNS stays on the source until a failover restores into this standby";

/// Why a restore that did not verify leaves DNS alone.
const NOT_VERIFIED: &str = "the restore did not verify (PartiallyFailed), so DNS still points at the source; fix what the report names and run the restore again: it switches DNS once the target matches the point";

/// Time kept for recording the job after the DNS wait, before an invocation's deadline.
const DEADLINE_MARGIN: Duration = Duration::from_secs(20);
