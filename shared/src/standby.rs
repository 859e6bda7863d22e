//! Standby and failback (issue 12): the restore kept ahead of a failover, and the restore that
//! brings the recovery side's APIs home.
//!
//! **Standby.** A standby sync is a restore job (`JobRequest::standby`) of a point into the
//! recovery target, without DNS. The first one creates the APIs and the estate around them;
//! each later one finds them by their `apigw-dr:source` tag (and the estate by natural key)
//! and applies only what differs: restore's update-in-place path, nothing created twice. One
//! runs at a time per target ([`running`]): a second is skipped with a message naming the
//! running one. A failover into a target that holds a standby of the same source is the same
//! update: the plan names the standby it starts from ([`note_standby`]), and applies only
//! what changed since the last sync. [`states`] says, per target, which point the standby
//! holds and how far behind the newest point of its source it is.
//!
//! **Failback.** A point of the recovery side (taken there during the incident) holds APIs
//! whose `apigw-dr:source` tag names the API each was restored from. [`rehome`] translates
//! that point back (the mapping file inverted, [`Mapping::invert`]) and gives each API the id
//! it has in the source, so that the failback is an in-place restore into the source
//! (`JobRequest::failback`, [`failback_prepared`]): what changed during the incident is
//! applied to the original APIs, which keep their ids, and verified. Pure but for
//! [`start`], [`status`] and [`last_recovery_point`], which read the catalog.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::jobs::{JobRecord, JobRequest, Prepared, Ready};
use crate::model::{Snapshot, Source};
use crate::records::{Phase, PointRecord, PointStatus};
use crate::restore::Plan;
use crate::restore::difference::TAG_SOURCE;
use crate::store::Store;
use crate::translate::{self, Mapping};
use crate::{Error, Result};

/// A standby job not written for this long is taken as dead (its process ended without
/// recording it), so it no longer holds the target: a job writes its record at every phase,
/// and an invocation of the recovery function lasts at most 15 minutes.
pub const STALE_MS: i64 = 30 * 60 * 1000;

/// Whether two requests go to the same target (Region and role).
fn same_target(a: &JobRequest, b: &JobRequest) -> bool {
    a.to_region == b.to_region && a.to_role_arn == b.to_role_arn
}

/// The standby job into the target of `request` that is running now (not ended, written
/// within [`STALE_MS`]), other than `request`'s own job. `jobs` newest first.
pub fn running<'a>(jobs: &'a [JobRecord], request: &JobRequest, now: i64) -> Option<&'a JobRecord> {
    jobs.iter().find(|j| {
        j.request.standby
            && !j.phase.is_final()
            && now - j.updated < STALE_MS
            && same_target(&j.request, request)
    })
}

/// Starts a standby sync of `request`'s point: checks the request, refuses (a `Conflict`
/// naming it) while another standby job into the same target runs, reads the point, writes
/// the job. The caller runs it ([`crate::jobs::run_ready`]).
pub async fn start(
    store: &Store,
    catalog: &Catalog,
    request: &JobRequest,
    trigger: &str,
) -> Result<(JobRecord, Ready)> {
    let mut request = request.clone();
    request.standby = true;
    request.failback = false;
    let valid = request.validate(catalog).await?;
    let jobs = catalog.list_jobs().await?;
    if let Some(j) = running(&jobs, &valid.request, crate::time::now_ms()) {
        return Err(Error::Conflict(format!(
            "standby job {} into {} is still running (phase {}): this sync is skipped, one runs at a time per target; \
             `apigw-dr status {}` follows it, and the next sync catches up",
            j.id,
            valid.request.to_region.as_deref().unwrap_or("its Region"),
            j.phase,
            j.id
        )));
    }
    let recorded = valid.request.clone();
    let prepared = Box::pin(crate::jobs::prepare(store, catalog, valid)).await?;
    let mut job = JobRecord::new(recorded, trigger);
    catalog.put_job(&mut job).await?;
    Ok((job, Ready::Prepared(prepared)))
}

/// What the standby of one target holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StandbyState {
    pub target: Source,
    /// The point the newest succeeded standby job restored, and that job.
    pub point: String,
    pub job: String,
    /// When that job ended (milliseconds since the epoch).
    pub synced: i64,
    /// The point's source, when its record is still in the catalog.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The newest good point of that source, and how far the held one is behind it: points
    /// taken since, and the time between the two captures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest: Option<String>,
    pub behind_points: usize,
    pub behind_ms: i64,
    /// A standby job into this target that is running now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running: Option<String>,
}

/// Per target, what its standby holds: the newest succeeded standby job (`jobs` newest
/// first), how far its point is behind the newest good point of the same source, and a
/// standby job running there now.
pub fn states(jobs: &[JobRecord], points: &[PointRecord], now: i64) -> Vec<StandbyState> {
    let mut out: Vec<StandbyState> = vec![];
    for j in jobs
        .iter()
        .filter(|j| j.request.standby && j.phase == Phase::Succeeded)
    {
        let Some(report) = &j.report else { continue };
        if out.iter().any(|s| s.target == report.target) {
            continue;
        }
        let held = points.iter().find(|p| p.id == j.request.point);
        let mut state = StandbyState {
            target: report.target.clone(),
            point: j.request.point.clone(),
            job: j.id.clone(),
            synced: j.updated,
            source: held.map(|p| p.source.clone()),
            newest: None,
            behind_points: 0,
            behind_ms: 0,
            running: running(jobs, &j.request, now).map(|r| r.id.clone()),
        };
        if let Some(held) = held {
            let newer: Vec<&PointRecord> = points
                .iter()
                .filter(|p| {
                    p.source == held.source
                        && p.status == PointStatus::Available
                        && p.created > held.created
                })
                .collect();
            let newest = newer
                .iter()
                .max_by_key(|p| p.created)
                .copied()
                .unwrap_or(held);
            state.newest = Some(newest.id.clone());
            state.behind_points = newer.len();
            state.behind_ms = newest.created - held.created;
        }
        out.push(state);
    }
    out
}

/// [`states`] from the catalog.
pub async fn status(catalog: &Catalog) -> Result<Vec<StandbyState>> {
    let jobs = catalog.list_jobs().await?;
    let points = catalog.list().await?;
    Ok(states(&jobs, &points, crate::time::now_ms()))
}

/// Names, in the plan of a failover, the standby its target holds of the plan's source: the
/// APIs it holds are updated in place, and only what changed since the standby's sync is
/// applied. Returns the standby, if any.
pub fn note_standby<'a>(plan: &mut Plan, standbys: &'a [StandbyState]) -> Option<&'a StandbyState> {
    let s = standbys
        .iter()
        .find(|s| s.target == plan.target && s.source.as_ref() == Some(&plan.source))?;
    let note = format!(
        "the target holds the standby of this source (point {}, synced {}): updated in place, only what changed since is applied",
        crate::model::short(&s.point),
        crate::time::rfc3339(s.synced)
    );
    for a in plan.apis.iter_mut().filter(|a| a.target_id.is_some()) {
        a.notes.push(note.clone());
    }
    Some(s)
}

/// [`note_standby`] with the standbys read from the catalog.
pub async fn note_standby_in(catalog: &Catalog, plan: &mut Plan) -> Result<()> {
    let standbys = status(catalog).await?;
    note_standby(plan, &standbys);
    Ok(())
}

/// The source an API restored by apigw-dr came from, by its tag: (account, Region, API id).
fn tagged_source(tags: &BTreeMap<String, String>) -> Option<(&str, &str, &str)> {
    let mut parts = tags.get(TAG_SOURCE)?.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(r), Some(id)) if !a.is_empty() && !r.is_empty() && !id.is_empty() => {
            Some((a, r, id))
        }
        _ => None,
    }
}

/// Every API of the snapshot: (its id, its tags).
fn api_tags(snap: &Snapshot) -> impl Iterator<Item = (&str, &BTreeMap<String, String>)> {
    snap.rest_apis
        .iter()
        .map(|a| (a.api.id.as_str(), &a.api.tags))
        .chain(
            snap.apis_v2
                .iter()
                .map(|a| (a.api.api_id.as_str(), &a.api.tags)),
        )
}

/// The place a point of the recovery side was restored from: the one (account, Region) its
/// APIs' `apigw-dr:source` tags name.
pub fn origin(snap: &Snapshot) -> Result<Source> {
    let mut places: Vec<(&str, &str)> = api_tags(snap)
        .filter_map(|(_, t)| tagged_source(t))
        .map(|(a, r, _)| (a, r))
        .collect();
    places.sort_unstable();
    places.dedup();
    match places.as_slice() {
        [(account, region)] => Ok(Source {
            partition: snap.source.partition.clone(),
            account: account.to_string(),
            region: region.to_string(),
        }),
        [] => Err(Error::Invalid(format!(
            "the point of {} holds no API that apigw-dr restored from elsewhere: a failback takes a point of the recovery side, taken after a failover (`apigw-dr list`)",
            snap.source.short()
        ))),
        many => Err(Error::Invalid(format!(
            "the point of {} holds APIs restored from several places ({}): fail back one at a time with `--api NAME`",
            snap.source.short(),
            many.iter()
                .map(|(a, r)| format!("{a}/{r}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A point of the recovery side as its origin must hold it: every reference translated back
/// (`inverted`: the mapping file inverted), each API given the id it has in the origin (by
/// its `apigw-dr:source` tag, which is dropped: the originals do not carry it), and the
/// origin as its source. An API made during the incident (no tag) keeps its id and is
/// created. A reference that cannot be translated back is an error naming it. Pure.
pub fn rehome(snap: &Snapshot, inverted: &Mapping) -> Result<Snapshot> {
    let origin = origin(snap)?;
    let ids: BTreeMap<String, String> = api_tags(snap)
        .filter_map(|(id, t)| {
            let (a, r, from) = tagged_source(t)?;
            (a == origin.account && r == origin.region).then(|| (id.to_string(), from.to_string()))
        })
        .collect();
    let ctx = translate::Context {
        source: snap.source.clone(),
        target: origin.clone(),
        mapping: inverted.clone(),
        ids: ids.clone(),
    };
    let mut entries = snap.entries()?;
    let report = translate::translate_entries(&mut entries, &ctx);
    if !report.problems.is_empty() {
        let named: Vec<String> = report
            .problems
            .iter()
            .take(3)
            .map(|p| format!("{} {}: {} ({})", p.object, p.pointer, p.value, p.why))
            .collect();
        return Err(Error::Invalid(format!(
            "failback into {}: {} reference(s) cannot be translated back, such as {}; add the source's value for each to the mapping file (it is inverted for the failback)",
            origin.short(),
            report.problems.len(),
            named.join("; ")
        )));
    }
    // The API objects themselves: their ids (not translated: an object's own id), and the tag.
    for e in &mut entries {
        let field = match e.kind.as_str() {
            "RestApi" => "id",
            "Api" => "apiId",
            _ => continue,
        };
        if let Some(to) = e.value[field].as_str().and_then(|id| ids.get(id)) {
            e.value[field] = serde_json::Value::String(to.clone());
        }
        if let Some(tags) = e.value.get_mut("tags").and_then(|t| t.as_object_mut()) {
            tags.remove(TAG_SOURCE);
        }
    }
    let mut out = Snapshot::from_entries(origin, entries)?;
    out.gaps.clone_from(&snap.gaps);
    Ok(out)
}

/// The mapping file of a failback request, parsed and inverted: an uninvertible one is an
/// error before anything is read or written.
pub fn failback_mapping(request: &JobRequest) -> Result<Option<Mapping>> {
    request
        .mapping
        .as_deref()
        .map(|text| Mapping::parse(text, request.mapping_format.as_deref())?.invert())
        .transpose()
}

/// A prepared request made a failback when the request is one: its point re-homed to the
/// source its APIs came from ([`rehome`], the mapping inverted), restored in place. Anything
/// else, or a point re-homed already, is returned as it is.
pub fn failback_prepared(request: &JobRequest, mut p: Prepared) -> Result<Prepared> {
    if !request.failback || p.snap.source != p.point.source {
        return Ok(p);
    }
    let inverted = failback_mapping(request)?.unwrap_or_else(Mapping::empty);
    p.snap = rehome(&p.snap, &inverted)?;
    p.opts.in_place = true;
    // Translated already: in place, translation changes nothing more.
    p.opts.mapping = None;
    Ok(p)
}

/// Whether a job was a failover: a restore into another place than its point's source, not
/// a standby sync nor a failback, that got as far as a report.
fn failover_target(j: &JobRecord) -> Option<&Source> {
    if j.request.standby || j.request.failback || j.request.in_place {
        return None;
    }
    j.report.as_ref().map(|r| &r.target)
}

/// The point a failback takes by default: the newest good point whose source is the target
/// of the last failover job (`jobs` and `points` newest first).
pub fn recovery_point<'a>(
    jobs: &[JobRecord],
    points: &'a [PointRecord],
) -> Result<&'a PointRecord> {
    let target = jobs.iter().find_map(failover_target).ok_or_else(|| {
        Error::NotFound(
            "no failover job in the catalog: name the point of the recovery side to fail back (`apigw-dr failback POINT`)"
                .into(),
        )
    })?;
    points
        .iter()
        .filter(|p| {
            p.status == PointStatus::Available
                && p.source.account == target.account
                && p.source.region == target.region
        })
        .max_by_key(|p| p.created)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "no good point of the recovery side ({}) in the catalog: take one there (`apigw-dr snapshot --region {}`) and run failback again",
                target.short(),
                target.region
            ))
        })
}

/// [`recovery_point`] from the catalog: the point's id.
pub async fn last_recovery_point(catalog: &Catalog) -> Result<String> {
    let jobs = catalog.list_jobs().await?;
    let points = catalog.list().await?;
    Ok(recovery_point(&jobs, &points)?.id.clone())
}

/// The functions' standby setting, `APIGW_DR_STANDBY` (`true`/`false`, `on`/`off`; unset:
/// off): when on, the snapshot function asks the recovery function to sync the standby after
/// each point it writes.
pub fn enabled(get: impl Fn(&str) -> Option<String>) -> Result<bool> {
    match get("APIGW_DR_STANDBY").as_deref().map(str::trim) {
        None | Some("") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("on") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") || v.eq_ignore_ascii_case("off") => Ok(false),
        Some(v) => Err(Error::Invalid(format!(
            "APIGW_DR_STANDBY='{v}' is neither on nor off: set it to on or off (the template's Standby parameter)"
        ))),
    }
}
