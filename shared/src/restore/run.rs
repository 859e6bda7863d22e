//! Carrying out a plan: the estate before the APIs, each API through its family (create it
//! if needed, run the steps until done or the deadline, make its stages serve it, verify),
//! the invoke permissions, then the estate after the APIs.

use std::time::Instant;

use aws_config::SdkConfig;

use super::difference::{Change, Difference};
use super::estate::{self, EstateApplier, EstatePlan, EstateReport};
use super::family::{ApiFamily, Applied, Parts, Sdk, StepApplier};
use super::kind::{Kind, Phase};
use super::lambda;
use super::plan::{ApiPlan, Body, Desired, Path, Plan, RestoreOptions, desired, source_tag};
use super::report::{ApiReport, remaining};
use crate::pacing::Pacer;
use crate::secret::Sealer;
use crate::{Error, Result};

/// What every API's apply shares within one run.
pub(super) struct Run<'a> {
    pub plan: &'a Plan,
    /// The plan's options with the ids of what this run made before the APIs.
    pub opts: &'a RestoreOptions,
    pub pacer: &'a Pacer,
    pub marker: &'a str,
    pub deadline: Option<Instant>,
    pub progress: &'a (dyn Fn(String) + Send + Sync),
    pub local: bool,
    pub sdk: &'a SdkConfig,
}

impl Body {
    /// Restores this API through its family; true when the deadline stopped it.
    pub(super) async fn apply(&self, run: &Run<'_>, p: &ApiPlan) -> Result<(ApiReport, bool)> {
        let (mut report, stopped) = match self {
            Body::Rest(parts) => Box::pin(apply_api(run, p, parts)).await?,
            Body::V2(parts) => Box::pin(apply_api(run, p, parts)).await?,
        };
        if !stopped {
            grant(run, p, &mut report).await;
        }
        Ok((report, stopped))
    }
}

/// Restores one API: delete the foreign API it replaces, create it if needed, apply the
/// steps, make its stages serve the restored copy, verify. True when the deadline stopped it.
async fn apply_api<F: ApiFamily>(
    run: &Run<'_>,
    p: &ApiPlan,
    parts: &Parts<F>,
) -> Result<(ApiReport, bool)> {
    let Run {
        plan,
        pacer,
        marker,
        progress,
        local,
        ..
    } = *run;
    let client = F::client(run.sdk);
    let mut report = ApiReport::new(p);
    let what = p.what();
    if let Some(old) = &p.replace_id {
        progress(format!("{}: deleting the {what} {old} it replaces", p.name));
        F::delete_api(&client, pacer, &what, old).await?;
    }
    let (desired, steps, current) = match &p.target_id {
        // Planning captured the target moments ago (in the same job).
        Some(id) => {
            let current = parts.current.clone().ok_or_else(|| {
                Error::Integrity(format!("the plan lost its capture of {what} {id}"))
            })?;
            (parts.desired.clone(), p.steps.clone(), current)
        }
        None => {
            let tag = source_tag(&plan.source, &p.source_id);
            let id = F::create_api(&client, pacer, &parts.desired, &p.name, &tag).await?;
            progress(format!("{}: created {what} {id}", p.name));
            report.applied += 1;
            let current = F::capture(&client, pacer, std::slice::from_ref(&id))
                .await?
                .pop()
                .ok_or_else(|| Error::NotFound(format!("the new {what} {id} cannot be read")))?;
            // Now that the API's id is known, references to it translate too.
            let desired = desired::<F>(
                &parts.source_api,
                &plan.source,
                &plan.target,
                run.opts,
                Some(&id),
            )?
            .api;
            let steps = F::compare(&desired, Some(&current));
            (desired, steps, current)
        }
    };
    report.target_id = Some(F::id(&current).to_string());
    // Stages that served definitions of their own get them first; the working copy after.
    let Some((steps, current)) = Box::pin(serve_first::<F>(
        run,
        p,
        &client,
        &desired,
        steps,
        current,
        &mut report,
    ))
    .await?
    else {
        return Ok((report, true));
    };
    let (steps, current, imported) = if p.path.import {
        Box::pin(import::<F>(run, &client, &desired, current, &mut report)).await?
    } else {
        (steps, current, false)
    };
    let mut applier = F::applier(&client, pacer, &current, marker);
    if run_steps::<F>(run, p, &mut applier, &desired, &steps, &mut report).await {
        return Ok((report, true));
    }
    let done = Applied {
        steps: &steps,
        imported,
    };
    for (kind, key, served) in applier.finish(&desired, &done).await {
        match served {
            Ok(()) => {}
            Err(Error::Unimplemented(m)) if local => {
                report.notes.push(format!("stage {key} not deployed: {m}"));
            }
            Err(e) => report.failed.push(format!("{kind} {key}: {e}")),
        }
    }
    let id = F::applier_id(&applier);
    let after = F::capture(&client, pacer, std::slice::from_ref(&id))
        .await?
        .pop();
    let mut diffs = F::served(&desired, after.as_ref());
    diffs.extend(F::compare(&desired, after.as_ref()));
    report.remaining = remaining(diffs, &report.gaps, local);
    Ok((report, false))
}

/// Makes the stages that served definitions of their own (not the working copy) serve them
/// again: each imported whole and deployed ([`ApiFamily::served`]), before the working copy.
/// Then the target is captured again, and the steps are what still differs from the working
/// copy (without those stages' steps: one that failed is in the report, and is not tried
/// again over the working copy). None when the deadline stopped it.
async fn serve_first<F: ApiFamily>(
    run: &Run<'_>,
    p: &ApiPlan,
    client: &Sdk<F>,
    desired: &F::Api,
    steps: Vec<Difference>,
    current: F::Api,
    report: &mut ApiReport,
) -> Result<Option<(Vec<Difference>, F::Api)>> {
    let served = F::served(desired, Some(&current));
    let steps: Vec<Difference> = steps
        .into_iter()
        .filter(|s| s.kind != Kind::ServedDefinition)
        .collect();
    if served.is_empty() {
        return Ok(Some((steps, current)));
    }
    let mut applier = F::applier(client, run.pacer, &current, run.marker);
    let failed = report.failed.len();
    if run_steps::<F>(run, p, &mut applier, desired, &served, report).await {
        return Ok(None);
    }
    for s in served.iter().filter(|s| {
        !report.failed[failed..]
            .iter()
            .any(|f| f.starts_with(&format!("{} {}:", s.kind, s.key)))
    }) {
        report.notes.push(format!(
            "stages {} serve what they served in the source (its definition imported and deployed before the working copy)",
            s.key.replace(',', ", ")
        ));
    }
    let id = F::id(&current).to_string();
    let current = F::capture(client, run.pacer, std::slice::from_ref(&id))
        .await?
        .pop()
        .ok_or_else(|| {
            Error::NotFound(format!(
                "{} {id} cannot be read after its stages' definitions",
                F::what(desired)
            ))
        })?;
    let steps = F::compare(desired, Some(&current));
    Ok(Some((steps, current)))
}

/// The import path: the API rewritten whole from its definition document, then captured
/// again; what still differs is the reconcile, applied call by call. An import refused (or
/// warning) leaves the restore to go call by call, and the report says why.
async fn import<F: ApiFamily>(
    run: &Run<'_>,
    client: &Sdk<F>,
    desired: &F::Api,
    current: F::Api,
    report: &mut ApiReport,
) -> Result<(Vec<Difference>, F::Api, bool)> {
    let id = F::id(&current).to_string();
    let what = F::what(desired);
    let sent = match F::document(desired) {
        Ok(doc) => F::import(client, run.pacer, &id, &doc).await,
        Err(why) => Err(Error::Invalid(why)),
    };
    let imported = sent.is_ok();
    report.path = Path::name_of(imported).into();
    match sent {
        Ok(()) => {
            report.applied += 1;
            (run.progress)(format!("{}: imported {what} {id} whole", report.name));
        }
        Err(e) => {
            report
                .notes
                .push(format!("not imported ({e}): restored call by call"));
        }
    }
    // Captured again either way: a refused import may still have changed something.
    let current = F::capture(client, run.pacer, std::slice::from_ref(&id))
        .await?
        .pop()
        .ok_or_else(|| Error::NotFound(format!("{what} {id} cannot be read after its import")))?;
    let steps = F::compare(desired, Some(&current));
    if imported {
        report.reconciled = steps.iter().filter(|s| !s.is_duplicate()).count() as u64;
    }
    Ok((steps, current, imported))
}

/// Runs the steps in order until done or the deadline; true when the deadline stopped it.
async fn run_steps<F: ApiFamily>(
    run: &Run<'_>,
    p: &ApiPlan,
    applier: &mut F::Applier<'_>,
    desired: &F::Api,
    steps: &[Difference],
    report: &mut ApiReport,
) -> bool {
    let Run {
        deadline,
        progress,
        local,
        ..
    } = *run;
    let total = steps.len();
    for (i, step) in steps.iter().enumerate() {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            progress(format!(
                "{}: stopping after {i}/{total} steps; the job continues in the next run",
                p.name
            ));
            return true;
        }
        if let Some(line) = step.duplicate_line() {
            report.failed.push(line);
            continue;
        }
        if step.change != Change::Delete
            && let Some(why) = p.blocked.get(&(step.kind, step.key.clone()))
        {
            report
                .failed
                .push(format!("{} {}: not restored: {why}", step.kind, step.key));
            continue;
        }
        match F::step(applier, step, desired).await {
            Ok(()) => report.applied += 1,
            Err(Error::Unimplemented(m)) if local => {
                report.gaps.insert((step.kind, step.key.clone()), m);
            }
            Err(e) => report
                .failed
                .push(format!("{} {}: {e}", step.kind, step.key)),
        }
        super::progress::report(progress, &p.name, i + 1, total, || {
            super::quota_floor(&F::calls(&steps[i + 1..], desired, true))
        });
    }
    false
}

/// Lets API Gateway invoke the functions the API calls (those that exist in the target).
async fn grant(run: &Run<'_>, p: &ApiPlan, report: &mut ApiReport) {
    let Some(api_id) = report.target_id.clone() else {
        return;
    };
    let present: Vec<String> = p
        .functions
        .iter()
        .filter(|f| {
            !p.notes
                .iter()
                .any(|n| n.starts_with(&format!("Lambda function {f} ")))
        })
        .cloned()
        .collect();
    let (granted, failed) = lambda::grant(run.sdk, &present, &api_id, &run.plan.target).await;
    report.permissions = granted;
    report.failed.extend(failed);
}

/// The estate the APIs name, before them: VPC links, client certificates, API keys. True when
/// a new VPC link is not available by the deadline (the job continues in the next run).
pub(super) async fn estate_before(
    ep: &EstatePlan,
    eapp: &mut EstateApplier<'_>,
    ereport: &mut EstateReport,
    local: bool,
    progress: &(dyn Fn(String) + Send + Sync),
) -> bool {
    let before: Vec<Difference> = ep
        .steps
        .iter()
        .filter(|d| d.kind.phase() == Phase::BeforeApis)
        .cloned()
        .collect();
    Box::pin(estate::run_steps(
        eapp,
        &before,
        &ep.desired,
        &ep.blocked,
        ereport,
        local,
        progress,
    ))
    .await;
    // Links an earlier run made may still be on their way.
    if let Err(e) = eapp.wait_for_links(&ep.desired).await {
        ereport.failed.push(e.to_string());
    }
    if eapp.out_of_time {
        progress(
            "estate: a new VPC link is not available yet; the job continues in the next run".into(),
        );
    }
    eapp.out_of_time
}

/// What names the APIs, after them (usage plans, domains and their mappings, the account),
/// with the APIs' new ids; then the estate verified.
pub(super) async fn estate_after(
    run: &Run<'_>,
    eapp: &mut EstateApplier<'_>,
    apis: &[ApiReport],
    sealer: &Sealer,
    mut ereport: EstateReport,
) -> Result<EstateReport> {
    let plan = run.plan;
    for r in apis {
        if let Some(t) = &r.target_id {
            eapp.ids.insert(r.source_id.clone(), t.clone());
        }
    }
    let Desired {
        api: desired,
        blocked,
        ..
    } = estate::desired(
        &plan.snap_estate,
        &plan.source,
        &plan.target,
        plan.opts.mapping.as_ref(),
        &eapp.ids,
        plan.opts.keep_edge,
    )?;
    let steps = estate::compare(&desired, &eapp.current, sealer, &[Phase::AfterApis]).await?;
    Box::pin(estate::run_steps(
        eapp,
        &steps,
        &desired,
        &blocked,
        &mut ereport,
        run.local,
        run.progress,
    ))
    .await;
    let after = Box::pin(crate::capture::estate::capture_estate(
        run.sdk,
        run.pacer,
        sealer,
        &|_| {},
    ))
    .await?;
    let diffs = estate::compare(&desired, &after, sealer, estate::ESTATE).await?;
    ereport.remaining = remaining(diffs, &ereport.gaps, run.local);
    ereport.new_certificates = eapp.new_certificates.clone();
    Ok(ereport)
}

/// A point with an estate needs the keyring that opens its API key values (jobs give the
/// store's own).
pub(super) fn no_keyring() -> Error {
    Error::Invalid(
        "the point holds account-level resources, whose API key values need the store's keyring: set RestoreOptions::sealer".into(),
    )
}
