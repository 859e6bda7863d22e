//! Restore: turning a recovery point back into working REST APIs, in another Region and/or
//! account, or in place.
//!
//! One mechanism serves every case. The point's APIs are translated for the target
//! ([`crate::translate`]) into the *desired* state; the target is captured (the *current*
//! state, empty for an API that is not there); [`diff::compare`] lists what differs, resource
//! by resource, by natural key; the plan is that list in dependency order, with its calls and
//! the shortest time the quotas allow; apply carries it out ([`apply::Applier`]); verify
//! captures the target again and compares once more. A restore killed half-way and run again
//! captures what the first run made and only does the rest: nothing is created twice.
//!
//! Layout: [`plan()`] and [`apply()`] here; [`family::ApiFamily`] is what differs between REST
//! APIs ([`rest`]) and HTTP/WebSocket APIs ([`v2`]), each with a pure comparison, its call
//! counting and its SDK-calling applier; [`plan`](mod@plan) and [`run`] are written once over
//! that interface; [`estate`] has the same split for the resources around the APIs.

mod children;
pub mod difference;
pub mod estate;
pub mod family;
pub mod kind;
pub mod lambda;
pub mod once;
#[cfg(test)]
mod once_tests;
pub mod plan;
pub mod progress;
pub mod report;
pub mod rest;
mod run;
pub mod v2;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;

use crate::capture::apigateway_client;
use crate::model::Snapshot;
use crate::pacing::{Pacer, RetryPolicy};
use crate::{Error, Result};
pub use difference::{Change, Difference};
use family::diff_family;
pub use kind::Kind;
pub(crate) use plan::Desired;
pub use plan::{ApiPlan, Plan, RestoreOptions};
pub use report::{ApiReport, Outcome, Remaining, RestoreReport};
use rest::Rest;
use run::{Run, no_keyring};
use v2::V2;

/// Computes the plan: reads the point and the target, writes nothing.
pub async fn plan(
    point_id: &str,
    snap: &Snapshot,
    target_sdk: &SdkConfig,
    opts: &RestoreOptions,
    pacer: &Pacer,
) -> Result<Plan> {
    let target = crate::awsconf::whoami(target_sdk).await?;
    let source = &snap.source;
    plan::check_target(source, &target, opts)?;
    // The estate the APIs name (VPC links, client certificates) is matched first, so that
    // references to what the target already holds translate.
    let sealer = if snap.estate.is_empty() {
        None
    } else {
        Some(opts.sealer.clone().ok_or_else(no_keyring)?)
    };
    let estate_current = match &sealer {
        None => Default::default(),
        Some(sealer) => {
            Box::pin(crate::capture::estate::capture_estate(
                target_sdk,
                pacer,
                sealer,
                &|_| {},
            ))
            .await?
        }
    };
    let mut opts_ids = opts.clone();
    opts_ids
        .ids
        .extend(estate::matched_ids(&snap.estate, &estate_current));
    let opts = &opts_ids;
    // Every API, through its family.
    let mut apis = Box::pin(plan::plan_family::<Rest>(
        snap, target_sdk, &target, opts, pacer,
    ))
    .await?;
    apis.extend(
        Box::pin(plan::plan_family::<V2>(
            snap, target_sdk, &target, opts, pacer,
        ))
        .await?,
    );
    let estate = if let Some(sealer) = &sealer {
        let mut ids = opts.ids.clone();
        for a in &apis {
            if let Some(t) = &a.target_id {
                ids.insert(a.source_id.clone(), t.clone());
            }
        }
        Some(
            Box::pin(estate::plan(
                &snap.estate,
                &estate_current,
                source,
                &target,
                opts,
                &ids,
                sealer,
            ))
            .await?,
        )
    } else {
        None
    };
    // Each API's path, over the whole restore: the estate steps before the APIs and the APIs
    // before it draw on the same buckets.
    let before = estate.as_ref().map(plan::calls_before).unwrap_or_default();
    plan::choose_paths(&mut apis, &before);
    let mut plan = Plan {
        point: point_id.to_string(),
        source: source.clone(),
        target,
        apis,
        total_calls: 0,
        min_seconds: 0.0,
        unsupported: vec![],
        estate,
        selection: opts.selection.clone(),
        lacks: snap.gaps.clone(),
        opts: opts.clone(),
        snap_estate: snap.estate.clone(),
        estate_current,
    };
    let calls = plan.calls();
    plan.total_calls = calls.values().sum();
    plan.min_seconds = quota_floor(&calls).as_secs_f64();
    Ok(plan)
}

/// Carries out the plan, then verifies. Progress lines go to `progress`. With a `deadline`,
/// stops between two steps once it has passed (outcome [`Outcome::Interrupted`]); planning
/// and applying again continues where it stopped, since the plan is what still differs.
pub async fn apply(
    plan: &Plan,
    target_sdk: &SdkConfig,
    deadline: Option<Instant>,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<RestoreReport> {
    let started = Instant::now();
    let client = apigateway_client(target_sdk);
    let client2 = crate::capture::v2::client(target_sdk);
    let pacer = Pacer::new(RetryPolicy::default());
    let local = target_sdk.endpoint_url().is_some();
    let marker = format!(
        "apigw-dr restore of point {}",
        crate::model::short(&plan.point)
    );
    // The estate, when the point holds one, with the keyring that opens its key values.
    let sealer = match (&plan.estate, &plan.opts.sealer) {
        (Some(_), Some(sealer)) => Some(sealer.clone()),
        (Some(_), None) => return Err(no_keyring()),
        (None, _) => None,
    };
    let mut ereport = estate::EstateReport::default();
    let mut eapp = sealer.as_ref().map(|sealer| estate::EstateApplier {
        v1: &client,
        v2: &client2,
        pacer: &pacer,
        sealer,
        ids: plan.opts.ids.clone(),
        current: plan.estate_current.clone(),
        new_certificates: vec![],
        deadline,
        out_of_time: false,
    });
    // The estate the APIs name comes first: VPC links, client certificates, API keys.
    let mut interrupted = match (&plan.estate, eapp.as_mut()) {
        (Some(ep), Some(eapp)) => {
            Box::pin(run::estate_before(ep, eapp, &mut ereport, local, progress)).await
        }
        _ => false,
    };
    let mut run_opts = plan.opts.clone();
    if let Some(eapp) = &eapp {
        run_opts.ids.clone_from(&eapp.ids);
    }
    let run = Run {
        plan,
        opts: &run_opts,
        pacer: &pacer,
        marker: &marker,
        deadline,
        progress,
        local,
        sdk: target_sdk,
    };
    // Every API through its family; out of time already, the APIs wait for the next run.
    let mut reports = Vec::new();
    for p in &plan.apis {
        if interrupted {
            break;
        }
        let (report, stopped) = p.body.apply(&run, p).await?;
        reports.push(report);
        interrupted = stopped;
    }
    // Then what names the APIs: usage plans, domains and their mappings, the account.
    let estate_report = match (&sealer, eapp.as_mut()) {
        (Some(sealer), Some(eapp)) if !interrupted => {
            Some(Box::pin(run::estate_after(&run, eapp, &reports, sealer, ereport)).await?)
        }
        (Some(_), _) => Some(ereport),
        (None, _) => None,
    };
    Ok(RestoreReport::new(
        plan,
        reports,
        estate_report,
        interrupted,
        &pacer.calls(),
        started.elapsed(),
    ))
}

/// The shortest time the quotas allow for a plan's calls.
pub fn quota_floor(calls: &BTreeMap<&'static str, u64>) -> Duration {
    let ops: Vec<(&str, u64)> = calls.iter().map(|(k, v)| (*k, *v)).collect();
    crate::pacing::min_duration(&ops)
}

/// The differences of each API (REST, HTTP, WebSocket) between a point and what is there now,
/// or another point:
/// `(API name, differences that restoring `point` would undo)`. With `against` = None, the
/// point's APIs are captured live from `live_sdk` (the point's source, by API id; an API
/// that is gone shows as wholly missing).
pub async fn diff(
    point: &Snapshot,
    against: Option<&Snapshot>,
    live_sdk: Option<&SdkConfig>,
) -> Result<Vec<(String, Vec<Difference>)>> {
    if against.is_none() && live_sdk.is_none() {
        return Err(Error::Invalid(
            "diff needs another point or a live source".into(),
        ));
    }
    let mut out = diff_family::<Rest>(point, against, live_sdk).await?;
    out.extend(diff_family::<V2>(point, against, live_sdk).await?);
    Ok(out)
}
