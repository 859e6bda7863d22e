//! Restore jobs: a restore recorded in the catalog with its phase (Pending, Planning,
//! Applying, Verifying, Succeeded, PartiallyFailed, Failed), so that it can be followed
//! (`apigw-dr status JOB`) from anywhere, started detached, and driven by a Lambda function.

use crate::catalog::Catalog;
pub use crate::records::{JobRecord, JobRequest, Phase, new_id};
use crate::restore::{self, Outcome, RestoreOptions};
use crate::store::Store;
use crate::translate::Mapping;
use crate::{Error, Result};

impl JobRequest {
    pub fn options(&self) -> Result<RestoreOptions> {
        let mapping = match &self.mapping {
            Some(text) => Some(Mapping::parse(text, self.mapping_format.as_deref())?),
            None => None,
        };
        Ok(RestoreOptions {
            mapping,
            keep_edge: self.keep_edge,
            replace: self.replace,
            name_prefix: self.name_prefix.clone(),
            in_place: self.in_place,
            ids: Default::default(),
            sealer: None,
            selection: vec![],
        })
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
}

impl JobRequest {
    /// Checks what was asked for that needs no reading (target Region, role ARN, mapping,
    /// selectors), so bad input is refused at once, before anything is written.
    pub fn check(&self) -> Result<()> {
        if let Some(r) = &self.to_region {
            crate::region::check_region(r)?;
        }
        if let Some(arn) = &self.to_role_arn {
            crate::region::check_role_arn(arn)?;
        }
        crate::select::Selector::parse_all(&self.select)?;
        crate::select::Selector::parse_all(&self.exclude)?;
        self.options().map(|_| ())
    }
}

/// Checks a request and reads what it restores: resolves the point, refuses a damaged one,
/// reads it whole (every object checked: a bad one marks the point Damaged in the catalog),
/// keeps the requested APIs and the selection (which must take something). Reads only,
/// but for that status.
pub async fn prepare(store: &Store, catalog: &Catalog, request: &JobRequest) -> Result<Prepared> {
    request.check()?;
    let mut opts = request.options()?;
    let rec = crate::point::resolve(catalog, &request.point).await?;
    let short = crate::point::short(&rec.id);
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
        let include: Vec<crate::select::Selector> = snap
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
            .map(crate::select::Selector::Id)
            .collect();
        let (items, edges) = crate::select::graph(&snap);
        let chosen = crate::select::select(&items, &edges, &include, &[])?;
        snap = crate::select::filter(&snap, &chosen);
    }
    let keys = crate::secret::KeyOptions {
        key_file: request.key_file.as_ref().map(std::path::PathBuf::from),
        kms_key: request.kms_key.clone(),
    };
    opts.sealer = Some(std::sync::Arc::new(crate::secret::Sealer::for_store(
        store, &keys, None,
    )));
    if !request.select.is_empty() || !request.exclude.is_empty() {
        let include = crate::select::Selector::parse_all(&request.select)?;
        let exclude = crate::select::Selector::parse_all(&request.exclude)?;
        let (items, edges) = crate::select::graph(&snap);
        let chosen = crate::select::select(&items, &edges, &include, &exclude)?;
        opts.selection = chosen.closure_lines();
        opts.selection
            .extend(chosen.broken.iter().map(|b| format!("not closed: {b}")));
        snap = crate::select::filter(&snap, &chosen);
    }
    Ok(Prepared {
        point: rec,
        snap,
        opts,
    })
}

/// The plan of a request: [`prepare`], then plan against the target. Reads only.
pub async fn plan_for(
    store: &Store,
    catalog: &Catalog,
    request: &JobRequest,
    target_sdk: &aws_config::SdkConfig,
) -> Result<restore::Plan> {
    let p = prepare(store, catalog, request).await?;
    let pacer = crate::pacing::Pacer::default();
    restore::plan(&p.point.id, &p.snap, target_sdk, &p.opts, &pacer).await
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
    let result: Result<()> = async {
        set(catalog, job, Phase::Planning).await?;
        // Boxed: these futures are large, and a Lambda or test thread's stack is small.
        let plan = Box::pin(plan_for(store, catalog, &job.request, target_sdk)).await?;
        job.steps = plan.apis.iter().map(|a| a.steps.len() as u64).sum();
        job.calls = plan.total_calls;
        job.min_seconds = plan.min_seconds;
        set(catalog, job, Phase::Applying).await?;
        let report = Box::pin(restore::apply(&plan, target_sdk, deadline, progress)).await?;
        let end = match report.outcome {
            Outcome::Succeeded => Phase::Succeeded,
            Outcome::PartiallyFailed => Phase::PartiallyFailed,
            // Still applying: the next run continues it.
            Outcome::Interrupted => Phase::Applying,
        };
        job.report = Some(report);
        set(catalog, job, end).await
    }
    .await;
    if let Err(e) = &result {
        job.error = Some(e.to_string());
        set(catalog, job, Phase::Failed).await?;
    }
    result
}
