//! Standby (issue 12): the restore kept ahead of a failover.
//!
//! A standby sync is a restore job (`JobRequest::standby`) of a point into the
//! recovery target, without DNS. The first one creates the APIs and the estate around them;
//! each later one finds them by their `apigw-dr:source` tag (and the estate by natural key)
//! and applies only what differs: restore's update-in-place path, nothing created twice. One
//! runs at a time per target ([`running`]): a second is skipped with a message naming the
//! running one. A failover into a target that holds a standby of the same source is the same
//! update: the plan names the standby it starts from ([`note_standby`]), and applies only
//! what changed since the last sync. [`states`] says, per target, which point the standby
//! holds and how far behind the newest point of its source it is.
//!
//! Failback, the way home, is [`crate::failback`]. Pure but for [`start`] and [`status`], which
//! read the catalog.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::jobs::{JobRecord, JobRequest, Ready};
use crate::model::Source;
use crate::records::{Phase, PointRecord, PointStatus};
use crate::restore::Plan;
use crate::store::Store;
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

/// What a standby sync of `point` restores: exactly what a failover would restore from it now,
/// so that the failover into the standby finds it in place. `chosen` is the failover's choice
/// ([`crate::point::choose_failover`]: per point, the APIs it takes from that point, empty =
/// the whole point). Without a selection that is the estate's point whole and every other API
/// from its newest point; a point of one API is never taken whole (it holds the whole estate
/// around it, mappings to APIs it does not hold included, which cannot be made). A point the
/// failover would not take (an older one, an API's own point where the estate's holds the
/// API newer, an API gone since) is not synced: the reason names what it takes instead (that
/// point's own sync, or the next, brings the standby there).
pub fn sync_scope(
    point: &str,
    chosen: &[(String, Vec<String>)],
) -> std::result::Result<Vec<String>, String> {
    if let Some((_, apis)) = chosen.iter().find(|(p, _)| p == point) {
        return Ok(apis.clone());
    }
    let takes: Vec<String> = chosen
        .iter()
        .map(|(p, apis)| {
            let p = crate::model::short(p);
            if apis.is_empty() {
                format!("point {p}")
            } else {
                format!("point {p} for {}", apis.join(", "))
            }
        })
        .collect();
    Err(format!(
        "point {} is not what a failover restores now (it takes {}): the standby holds what a failover would restore, so this sync is skipped",
        crate::model::short(point),
        takes.join("; ")
    ))
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
pub(crate) mod tests {
    use super::*;
    use crate::restore::RestoreReport;

    pub(crate) fn src(account: &str, region: &str) -> Source {
        Source {
            partition: "aws".into(),
            account: account.into(),
            region: region.into(),
        }
    }

    pub(crate) fn job(
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

    pub(crate) fn point(id: &str, source: Source, created: i64) -> PointRecord {
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
    fn a_sync_restores_what_the_failover_takes_from_its_point_or_nothing() {
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let chosen = vec![
            (a.clone(), vec!["orders".to_string()]),
            (b.clone(), vec!["users".to_string(), "chat".to_string()]),
        ];
        assert_eq!(sync_scope(&a, &chosen), Ok(vec!["orders".to_string()]));
        assert_eq!(
            sync_scope(&b, &chosen),
            Ok(vec!["users".to_string(), "chat".to_string()])
        );
        // Nothing selected: the failover restores its point whole, and so does the sync.
        assert_eq!(sync_scope(&a, &[(a.clone(), vec![])]), Ok(vec![]));
        // A point the failover does not take (an older one, the estate's) is not synced.
        let c = "c".repeat(64);
        let why = sync_scope(&c, &chosen).unwrap_err();
        assert!(
            why.starts_with("point cccccccccccc is not what a failover restores now")
                && why
                    .contains("point aaaaaaaaaaaa for orders; point bbbbbbbbbbbb for users, chat")
                && why.contains("skipped"),
            "{why}"
        );
        let why = sync_scope(&c, &[(a.clone(), vec![])]).unwrap_err();
        assert!(why.contains("(it takes point aaaaaaaaaaaa)"), "{why}");
    }

    /// Without a selection the failover takes the estate's point whole and each other API from
    /// its newest point: a sync of each of those restores that part, and any other point of
    /// the sweep is skipped naming what the failover takes.
    #[test]
    fn with_no_selection_a_sync_restores_the_estate_whole_or_an_apis_own_point() {
        let a = src("111111111111", "us-east-1");
        let p = |id: char, trigger: &str, apis: &[&str], confirmed: i64| {
            let mut r = point(&id.to_string().repeat(64), a.clone(), confirmed);
            r.trigger = trigger.into();
            r.apis = apis.iter().map(|s| s.to_string()).collect();
            r
        };
        let mut estate = p('e', "schedule", &["orders", "users"], 30);
        estate.census = Some(crate::records::Census {
            at: 20,
            apis: vec!["chat".into(), "orders".into(), "users".into()],
        });
        let records = vec![
            p('x', "change:PutMethod", &["orders"], 50),
            estate,
            p('u', "schedule", &["users"], 27),
            p('c', "schedule", &["chat"], 25),
            p('o', "schedule", &["orders"], 22),
            p('l', "schedule", &["legacy"], 5),
        ];
        let chosen = crate::point::choose_failover(&records, &[], "cat")
            .unwrap()
            .jobs;
        let id = |c: char| c.to_string().repeat(64);
        assert_eq!(sync_scope(&id('e'), &chosen), Ok(vec![]), "whole");
        assert_eq!(
            sync_scope(&id('x'), &chosen),
            Ok(vec!["orders".to_string()])
        );
        assert_eq!(sync_scope(&id('c'), &chosen), Ok(vec!["chat".to_string()]));
        for skipped in ['u', 'o', 'l'] {
            let why = sync_scope(&id(skipped), &chosen).unwrap_err();
            assert!(
                why.contains("(it takes point eeeeeeeeeeee; point cccccccccccc for chat; point xxxxxxxxxxxx for orders)"),
                "{skipped}: {why}"
            );
        }
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
