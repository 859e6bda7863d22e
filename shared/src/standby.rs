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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::v1::{Integration, Method, RestApi, RestApiSnapshot};
    use crate::restore::RestoreReport;

    fn src(account: &str, region: &str) -> Source {
        Source {
            partition: "aws".into(),
            account: account.into(),
            region: region.into(),
        }
    }

    fn job(
        id: &str,
        standby: bool,
        phase: Phase,
        updated: i64,
        target: Option<Source>,
    ) -> JobRecord {
        let mut j = JobRecord::new(
            JobRequest {
                point: format!("p-{id}"),
                to_region: Some("us-west-2".into()),
                standby,
                ..Default::default()
            },
            "test",
        );
        j.id = id.into();
        j.phase = phase;
        j.updated = updated;
        j.report = target.map(|t| {
            serde_json::from_value::<RestoreReport>(serde_json::json!({
                "point": format!("p-{id}"), "target": t, "outcome": "Succeeded", "apis": [],
                "calls": 0, "minSeconds": 0.0, "seconds": 0.0
            }))
            .unwrap()
        });
        j
    }

    fn point(id: &str, source: Source, created: i64) -> PointRecord {
        serde_json::from_value(serde_json::json!({
            "id": id, "created": created, "confirmed": created, "expires": created + 1,
            "source": source, "trigger": "test", "status": "Available", "apis": [],
            "counts": {}, "objects": 0, "bytes": 0
        }))
        .unwrap()
    }

    #[test]
    fn only_a_live_standby_job_into_the_same_target_holds_it() {
        let now = 10 * STALE_MS;
        let req = JobRequest {
            to_region: Some("us-west-2".into()),
            ..Default::default()
        };
        let live = job("a", true, Phase::Applying, now - 1000, None);
        assert_eq!(
            running(std::slice::from_ref(&live), &req, now).map(|j| j.id.as_str()),
            Some("a")
        );
        for other in [
            job("stale", true, Phase::Applying, now - STALE_MS, None),
            job("ended", true, Phase::Succeeded, now, None),
            job("failover", false, Phase::Applying, now, None),
        ] {
            assert!(
                running(std::slice::from_ref(&other), &req, now).is_none(),
                "{}",
                other.id
            );
        }
        let elsewhere = JobRequest {
            to_region: Some("eu-west-1".into()),
            ..Default::default()
        };
        assert!(running(&[live], &elsewhere, now).is_none());
    }

    #[test]
    fn a_standby_holds_its_newest_succeeded_point_and_says_how_far_behind_it_is() {
        let (a, b) = (
            src("111111111111", "us-east-1"),
            src("222222222222", "us-west-2"),
        );
        let jobs = vec![
            job("new-failed", true, Phase::Failed, 50, Some(b.clone())),
            job("newer", true, Phase::Succeeded, 40, Some(b.clone())),
            job("failover", false, Phase::Succeeded, 35, Some(b.clone())),
            job("older", true, Phase::Succeeded, 30, Some(b.clone())),
        ];
        let points = vec![
            point("p-older", a.clone(), 1_000),
            point("p-newer", a.clone(), 2_000),
            point("p-3", a.clone(), 5_000),
            point("p-4", a.clone(), 9_000),
            point("p-other-source", b.clone(), 20_000),
        ];
        let s = states(&jobs, &points, 60);
        assert_eq!(s.len(), 1, "{s:?}");
        let s = &s[0];
        assert_eq!(
            (s.point.as_str(), s.job.as_str(), s.synced),
            ("p-newer", "newer", 40)
        );
        assert_eq!(s.source.as_ref(), Some(&a));
        assert_eq!(s.newest.as_deref(), Some("p-4"));
        assert_eq!((s.behind_points, s.behind_ms), (2, 7_000));
        // Its point pruned: held, but nothing to compare with.
        let s = states(&jobs, &points[2..], 60);
        assert_eq!((s[0].source.as_ref(), s[0].behind_points), (None, 0));
    }

    #[test]
    fn failback_takes_the_newest_point_of_the_last_failovers_target() {
        let (a, b) = (
            src("111111111111", "us-east-1"),
            src("222222222222", "us-west-2"),
        );
        let points = vec![
            point("b-old", b.clone(), 1),
            point("b-new", b.clone(), 5),
            point("a-newest", a.clone(), 9),
        ];
        let jobs = vec![
            job("standby", true, Phase::Succeeded, 9, Some(a.clone())),
            job("failover", false, Phase::Succeeded, 8, Some(b.clone())),
        ];
        assert_eq!(recovery_point(&jobs, &points).unwrap().id, "b-new");
        let e = recovery_point(&jobs[..1], &points).unwrap_err().to_string();
        assert!(
            e.contains("no failover job") && e.contains("failback POINT"),
            "{e}"
        );
        let e = recovery_point(&jobs, &points[2..]).unwrap_err().to_string();
        assert!(
            e.contains("222222222222/us-west-2") && e.contains("--region us-west-2"),
            "{e}"
        );
    }

    /// The recovery side's copy of API `orig1` of 111111111111/us-east-1: id `rec1` in
    /// 222222222222/us-west-2, calling the function `orders-dr` there.
    fn recovery_side(tagged: bool) -> Snapshot {
        let mut tags = BTreeMap::from([("team".to_string(), "pets".to_string())]);
        if tagged {
            tags.insert(TAG_SOURCE.into(), "111111111111/us-east-1/orig1".into());
        }
        Snapshot {
            source: src("222222222222", "us-west-2"),
            rest_apis: vec![RestApiSnapshot {
                api: RestApi {
                    id: "rec1".into(),
                    name: "orders".into(),
                    policy: Some(
                        r#"{"Resource":"arn:aws:execute-api:us-west-2:222222222222:rec1/*"}"#
                            .into(),
                    ),
                    tags,
                    ..Default::default()
                },
                methods: vec![Method {
                    resource_id: "r1".into(),
                    path: "/pets".into(),
                    http_method: "GET".into(),
                    method_integration: Some(Integration {
                        integration_type: Some("AWS_PROXY".into()),
                        uri: Some("arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:222222222222:function:orders-dr/invocations".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            apis_v2: vec![],
            estate: Default::default(),
            gaps: vec![],
        }
    }

    #[test]
    fn a_point_of_the_recovery_side_goes_home_under_its_original_ids() {
        let forward =
            Mapping::parse("[lambda_functions]\n\"orders\" = \"orders-dr\"\n", None).unwrap();
        let home = rehome(&recovery_side(true), &forward.invert().unwrap()).unwrap();
        assert_eq!(home.source, src("111111111111", "us-east-1"));
        let api = &home.rest_apis[0];
        assert_eq!(api.api.id, "orig1");
        assert_eq!(
            api.api.tags,
            BTreeMap::from([("team".to_string(), "pets".to_string())])
        );
        assert_eq!(
            api.api.policy.as_deref(),
            Some(r#"{"Resource":"arn:aws:execute-api:us-east-1:111111111111:orig1/*"}"#)
        );
        assert_eq!(api.methods.len(), 1);
        assert_eq!(
            api.methods[0]
                .method_integration
                .as_ref()
                .unwrap()
                .uri
                .as_deref(),
            Some(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:111111111111:function:orders/invocations"
            )
        );
    }

    #[test]
    fn failback_needs_apis_restored_from_one_place() {
        let e = rehome(&recovery_side(false), &Mapping::empty())
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds no API that apigw-dr restored"), "{e}");
        let mut two = recovery_side(true);
        let mut other = two.rest_apis[0].clone();
        other.api.id = "rec2".into();
        other
            .api
            .tags
            .insert(TAG_SOURCE.into(), "333333333333/eu-west-1/x".into());
        two.rest_apis.push(other);
        let e = origin(&two).unwrap_err().to_string();
        assert!(
            e.contains("111111111111/us-east-1, 333333333333/eu-west-1") && e.contains("--api"),
            "{e}"
        );
    }

    #[test]
    fn the_standby_setting_is_on_or_off() {
        let with = |v: &'static str| move |_: &str| Some(v.to_string());
        assert!(enabled(with("on")).unwrap());
        assert!(enabled(with("TRUE")).unwrap());
        assert!(!enabled(with("off")).unwrap());
        assert!(!enabled(|_| None).unwrap());
        let e = enabled(with("yes")).unwrap_err().to_string();
        assert!(e.contains("APIGW_DR_STANDBY='yes'"), "{e}");
    }
}
