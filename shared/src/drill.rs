//! Drills (issue 13): a restore of a point made only to prove it works, then removed.
//!
//! A drill is a restore job (`JobRequest::drill`) into the recovery target under a name prefix
//! of its own (`drill-<job id>-`): its APIs are created new beside everything there (the
//! standby's APIs, a failover's, are never candidates: the restore matches by the prefixed
//! name), the estate items it restores are renamed with the same prefix, and every API and
//! estate item it creates carries the tag `apigw-dr:drill` = its job id. Its API keys get
//! values of their own ([`key_value`]): a value is unique in an account and Region. Custom domains,
//! their mappings and the account's settings are excluded (the restore's own `--exclude`),
//! and DNS is never switched. The job verifies, records its recovery time (request to
//! verified) and whether it passed (verified, within the objective), then the teardown
//! deletes exactly what carries its tag ([`remove`]), never anything by name alone.
//!
//! Pure but for [`run`] and [`teardown`] (catalog and target) and [`remove`] (the adapter).

pub mod remove;

use std::collections::BTreeMap;

use crate::catalog::Catalog;
use crate::jobs::{JobRecord, JobRequest, Phase, Ready};
use crate::metrics::{DIM_TARGET, Unit};
use crate::model::Snapshot;
use crate::records::DrillRecord;
use crate::store::Store;
use crate::{Error, Result};

pub use crate::restore::difference::TAG_DRILL;

/// What a drill leaves out of its restore: the custom domains (their names are global: the
/// real ones must not move), their mappings, and the account's settings.
pub const EXCLUDED: &[&str] = &["type:domain", "type:mapping", "type:account"];

/// The name prefix of a drill's APIs and estate items.
pub fn prefix(job_id: &str) -> String {
    format!("drill-{}-", job_id.trim_start_matches("job-"))
}

/// The request a drill runs: `base`'s point, target, mapping and selection, as a drill (the
/// prefix, the exclusions, no DNS, never in place, never replacing, not a standby).
pub fn request(base: &JobRequest, job_id: &str) -> JobRequest {
    let mut r = base.clone();
    r.drill = true;
    r.no_dns = true;
    r.standby = false;
    r.failback = false;
    r.in_place = false;
    r.replace = false;
    r.name_prefix = prefix(job_id);
    for e in EXCLUDED {
        if !r.exclude.iter().any(|x| x == e) {
            r.exclude.push((*e).to_string());
        }
    }
    r
}

/// The point's part as a drill restores it: every API and estate item tagged with the drill's
/// tag, the estate items renamed with the prefix (so none is matched with the target's own),
/// and no domain or account settings (already excluded by the selection; dropped here too).
pub fn drill_snapshot(snap: &mut Snapshot, job_id: &str) {
    let p = prefix(job_id);
    let tag = |tags: &mut BTreeMap<String, String>| {
        tags.insert(TAG_DRILL.into(), job_id.into());
    };
    let mark = |name: &mut String, tags: &mut BTreeMap<String, String>| {
        *name = format!("{p}{name}");
        tag(tags);
    };
    for a in &mut snap.rest_apis {
        tag(&mut a.api.tags);
    }
    for a in &mut snap.apis_v2 {
        tag(&mut a.api.tags);
    }
    let e = &mut snap.estate;
    e.domains.clear();
    e.account = None;
    for l in &mut e.vpc_links_v1 {
        mark(&mut l.name, &mut l.tags);
    }
    for l in &mut e.vpc_links_v2 {
        mark(&mut l.name, &mut l.tags);
    }
    for u in &mut e.usage_plans {
        mark(&mut u.name, &mut u.tags);
    }
    for k in &mut e.api_keys {
        mark(&mut k.name, &mut k.tags);
    }
    for c in &mut e.client_certificates {
        c.description = Some(format!("{p}{}", c.description.as_deref().unwrap_or(&c.id)));
        tag(&mut c.tags);
    }
}

/// The value of a drill's copy of API key `key_id`: its own (an API key's value is unique in
/// an account and Region, so the point's cannot be used beside the real key), derived from
/// the drill and the key, never from the key's value.
pub fn key_value(job_id: &str, key_id: &str) -> String {
    let h = crate::canonical::sha256_hex(format!("apigw-dr drill {job_id} {key_id}").as_bytes());
    format!("drill{}", &h[..35])
}

/// A drill's outcome from its job: verified (the restore Succeeded), its recovery time
/// (request to verified), within `objective` seconds when one is set, the differences left.
pub fn judge(job: &JobRecord, objective: Option<f64>) -> DrillRecord {
    let verified = job.phase == Phase::Succeeded;
    let recovery_seconds = match (job.times.alarm, job.times.verified) {
        (Some(a), Some(v)) => Some((v - a) as f64 / 1000.0),
        _ => None,
    };
    let differences = job.report.as_ref().map_or(0, |r| {
        r.apis.iter().map(|a| a.remaining.len() as u64).sum::<u64>()
            + r.estate.as_ref().map_or(0, |e| e.remaining.len() as u64)
    });
    let mut notes = vec![];
    if !verified {
        notes.push(match &job.error {
            Some(e) => format!("the drill's restore failed: {e}"),
            None => format!(
                "the drill's restore ended {} with {differences} differences left: `apigw-dr status {}` lists them; fix them before a real failover needs this point",
                job.phase, job.id
            ),
        });
    }
    let within = match (objective, recovery_seconds) {
        (Some(o), Some(s)) if s > o => {
            notes.push(format!(
                "recovery time {s:.1} s exceeds the objective of {o:.0} s: restore fewer APIs per job, keep a standby, or raise the objective"
            ));
            false
        }
        _ => true,
    };
    DrillRecord {
        tag: job.id.clone(),
        prefix: job.request.name_prefix.clone(),
        recovery_seconds,
        objective_seconds: objective,
        verified,
        passed: verified && within,
        differences,
        notes,
        ..DrillRecord::default()
    }
}

/// The drill's metric line (embedded metric format): `DrillDurationSeconds` (when measured)
/// and `DrillFailed` (1 or 0), by target and over all targets, in one line.
pub fn metric_line(job: &JobRecord, drill: &DrillRecord, target: &str) -> String {
    let failed = if drill.passed { 0.0 } else { 1.0 };
    let mut metrics = vec![(crate::metrics::DRILL_FAILED, Unit::Count, failed)];
    if let Some(s) = drill.recovery_seconds {
        metrics.push(("DrillDurationSeconds", Unit::Seconds, s));
    }
    // Per target and over all targets: the template's alarm watches the latter.
    crate::metrics::emf(&metrics, &[(DIM_TARGET, target)], true, &[], job.updated)
}

/// The functions' drill objective, `APIGW_DR_RTO_OBJECTIVE` (seconds; unset or empty: none).
pub fn objective(get: impl Fn(&str) -> Option<String>) -> Result<Option<f64>> {
    match get("APIGW_DR_RTO_OBJECTIVE").as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => parse_objective(v).map(Some),
    }
}

/// A recovery time objective in seconds: a positive number.
pub fn parse_objective(v: &str) -> Result<f64> {
    match v.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() => Ok(s),
        _ => Err(Error::Invalid(format!(
            "recovery time objective '{v}' is not a positive number of seconds: give one such as 900"
        ))),
    }
}

/// Runs a drill of `base`'s point: writes its job, restores (the prefix, the tag, the
/// exclusions), verifies, records the outcome ([`judge`]), then (unless `base.keep`) tears it
/// down. Returns the job; [`DrillRecord::passed`] says whether it passed. A request refused
/// before anything is written (a bad point or target) is an error and leaves no job.
pub async fn run(
    store: &Store,
    catalog: &Catalog,
    base: &JobRequest,
    trigger: &str,
    target_sdk: &aws_config::SdkConfig,
    deadline: Option<std::time::Instant>,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<JobRecord> {
    let mut job = JobRecord::new(JobRequest::default(), trigger);
    let valid = request(base, &job.id).validate(catalog).await?;
    job.request = valid.request.clone();
    let mut prepared = Box::pin(crate::jobs::prepare(store, catalog, valid)).await?;
    drill_snapshot(&mut prepared.snap, &job.id);
    // An API key's value is unique in an account and Region: a drill's keys get their own.
    if let Some(sealer) = prepared.opts.sealer.clone() {
        for k in &mut prepared.snap.estate.api_keys {
            k.value = sealer.seal(&k.id, &key_value(&job.id, &k.id)).await?;
        }
    }
    prepared.switches_dns = false;
    catalog.put_job(&mut job).await?;
    progress(format!(
        "drill {}: restoring point {} under the prefix {} (tag {TAG_DRILL}={})",
        job.id,
        crate::model::short(&job.request.point),
        job.request.name_prefix,
        job.id
    ));
    // A failed restore is recorded in the job (Failed): the drill goes on to judge and clean.
    let ran = crate::jobs::run_ready(
        store,
        catalog,
        &mut job,
        Some(Ready::Prepared(prepared)),
        target_sdk,
        deadline,
        progress,
    )
    .await;
    if job.phase == Phase::Applying {
        // Stopped at the invocation's deadline: a drill is not continued, it fails.
        job.phase = Phase::Failed;
        job.error = Some(
            "the drill did not finish before the invocation's deadline: drill fewer APIs (--select) or run it with the command"
                .into(),
        );
    }
    let mut drill = judge(&job, job.request.rto_objective);
    if let Err(e) = &ran
        && drill.notes.is_empty()
    {
        drill.notes.push(e.to_string());
    }
    job.drill = Some(drill);
    job.updated = crate::time::now_ms();
    catalog.put_job(&mut job).await?;
    if !job.request.keep {
        Box::pin(teardown_job(catalog, &mut job, target_sdk, progress)).await?;
    }
    Ok(job)
}

/// Tears down drill `id` (`latest` for the newest job): deletes exactly what carries its tag
/// in the target, and records it. Refuses a job that is not a drill.
pub async fn teardown(
    catalog: &Catalog,
    id: &str,
    target_sdk: &aws_config::SdkConfig,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<JobRecord> {
    let mut job = crate::jobs::find(catalog, id).await?;
    if !job.request.drill {
        return Err(Error::Invalid(format!(
            "job {} is a restore, not a drill: only a drill's result is torn down (`apigw-dr list --drills` lists them)",
            job.id
        )));
    }
    teardown_job(catalog, &mut job, target_sdk, progress).await?;
    Ok(job)
}

async fn teardown_job(
    catalog: &Catalog,
    job: &mut JobRecord,
    target_sdk: &aws_config::SdkConfig,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<()> {
    let done = remove::remove_tagged(target_sdk, &job.id, progress).await?;
    if job.drill.is_none() {
        job.drill = Some(judge(job, None));
    }
    let Some(drill) = job.drill.as_mut() else {
        return Ok(());
    };
    drill.removed.extend(done.removed);
    drill.teardown_failed = done.failed;
    if drill.teardown_failed.is_empty() {
        drill.torn_down = Some(crate::time::now_ms());
    }
    job.updated = crate::time::now_ms();
    catalog.put_job(job).await
}

/// One item of the target as the teardown sees it: its kind, id, name and tags.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    pub tags: BTreeMap<String, String>,
}

/// The teardown's order: what names others first (usage plans name APIs and keys; APIs name
/// VPC links and client certificates).
pub const ORDER: &[&str] = &[
    "UsagePlan",
    "ApiKey",
    "RestApi",
    "Api",
    "VpcLink",
    "VpcLinkV2",
    "ClientCertificate",
];

/// Of the target's items, exactly those drill `job_id` created (its tag, with its id as the
/// value), in [`ORDER`]. An item without the tag, or with another drill's, is never taken,
/// whatever its name.
pub fn tagged(found: Vec<Found>, job_id: &str) -> Vec<Found> {
    let mut out: Vec<Found> = found
        .into_iter()
        .filter(|f| f.tags.get(TAG_DRILL).map(String::as_str) == Some(job_id))
        .collect();
    out.sort_by_key(|f| {
        ORDER
            .iter()
            .position(|k| *k == f.kind)
            .unwrap_or(ORDER.len())
    });
    out
}

/// The drills among `jobs` (newest first, as the catalog lists them).
pub fn drills(jobs: Vec<JobRecord>) -> Vec<JobRecord> {
    jobs.into_iter().filter(|j| j.request.drill).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::estate::{ApiKey, DomainName, UsagePlan};

    fn found(kind: &'static str, id: &str, name: &str, tag: Option<&str>) -> Found {
        Found {
            kind,
            id: id.into(),
            name: name.into(),
            tags: tag
                .map(|t| BTreeMap::from([(TAG_DRILL.to_string(), t.to_string())]))
                .unwrap_or_default(),
        }
    }

    #[test]
    fn a_teardown_takes_only_what_carries_this_drills_tag_plans_first() {
        let all = vec![
            found("RestApi", "a1", "drill-1-2-orders", Some("job-1-2")),
            // Same name, no tag: someone's own API; never taken.
            found("RestApi", "a2", "drill-1-2-orders", None),
            // Another drill's.
            found("RestApi", "a3", "drill-9-9-orders", Some("job-9-9")),
            found("ApiKey", "k1", "drill-1-2-gold", Some("job-1-2")),
            found("UsagePlan", "u1", "drill-1-2-plan", Some("job-1-2")),
        ];
        let ids: Vec<String> = tagged(all, "job-1-2").into_iter().map(|f| f.id).collect();
        assert_eq!(ids, ["u1", "k1", "a1"]);
    }

    #[test]
    fn a_drill_request_is_prefixed_excludes_domains_and_account_and_never_switches_dns() {
        let base = JobRequest {
            point: "abc".into(),
            to_region: Some("us-west-2".into()),
            in_place: true,
            replace: true,
            exclude: vec!["type:domain".into()],
            ..Default::default()
        };
        let r = request(&base, "job-19a-3b4c");
        assert!(r.drill && !r.switches_dns() && !r.in_place && !r.replace);
        assert_eq!(r.name_prefix, "drill-19a-3b4c-");
        assert_eq!(r.exclude, ["type:domain", "type:mapping", "type:account"]);
        assert_eq!(r.to_region.as_deref(), Some("us-west-2"));
    }

    #[test]
    fn a_drill_snapshot_renames_and_tags_the_estate_and_drops_domains() {
        let mut snap: Snapshot = serde_json::from_value(serde_json::json!({
            "source": { "partition": "aws", "account": "1", "region": "us-east-1" },
            "rest_apis": [{ "api": { "id": "a1", "name": "orders" } }]
        }))
        .unwrap();
        snap.estate.api_keys.push(ApiKey {
            name: "gold".into(),
            ..Default::default()
        });
        snap.estate.usage_plans.push(UsagePlan {
            name: "plan".into(),
            ..Default::default()
        });
        snap.estate.domains.push(DomainName {
            domain_name: "api.example.com".into(),
            ..Default::default()
        });
        drill_snapshot(&mut snap, "job-1-2");
        assert_eq!(snap.estate.api_keys[0].name, "drill-1-2-gold");
        assert_eq!(snap.estate.usage_plans[0].name, "drill-1-2-plan");
        assert_eq!(snap.estate.usage_plans[0].tags[TAG_DRILL], "job-1-2");
        assert_eq!(snap.rest_apis[0].api.tags[TAG_DRILL], "job-1-2");
        assert!(snap.estate.domains.is_empty() && snap.estate.account.is_none());
    }

    #[test]
    fn a_drill_passes_only_verified_and_within_its_objective() {
        let mut job = JobRecord::new(JobRequest::default(), "cli");
        job.phase = Phase::Succeeded;
        job.times.alarm = Some(1_000);
        job.times.verified = Some(31_000);
        let d = judge(&job, None);
        assert!(d.passed && d.verified, "{d:?}");
        assert_eq!(d.recovery_seconds, Some(30.0));
        let d = judge(&job, Some(20.0));
        assert!(!d.passed && d.verified);
        assert!(
            d.notes[0].contains("exceeds the objective of 20 s"),
            "{d:?}"
        );
        job.phase = Phase::PartiallyFailed;
        let d = judge(&job, Some(60.0));
        assert!(!d.passed && !d.verified, "{d:?}");
        let line = metric_line(&job, &d, "222222222222/us-west-2");
        let line: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(line["DrillFailed"], 1.0);
        assert_eq!(line["DrillDurationSeconds"], 30.0);
        assert_eq!(line["Target"], "222222222222/us-west-2");
        // Also with no dimension: the template's alarm on DrillFailed names none.
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            serde_json::json!([["Target"], []])
        );
    }

    #[test]
    fn a_drills_key_values_are_its_own_per_drill_and_key() {
        let v = key_value("job-1-2", "k1");
        assert_eq!(v.len(), 40);
        assert_eq!(v, key_value("job-1-2", "k1"), "the same on a second run");
        assert_ne!(v, key_value("job-1-3", "k1"));
        assert_ne!(v, key_value("job-1-2", "k2"));
    }

    /// A drill is no failover: a failback's default point ignores its target.
    #[test]
    fn a_drill_is_not_the_failover_a_failback_comes_home_from() {
        use crate::standby::tests::{job, point, src};
        let (a, b) = (src("1", "us-east-1"), src("2", "us-west-2"));
        let mut drill = job("drill", false, Phase::Succeeded, 9, Some(a.clone()));
        drill.request.drill = true;
        let failover = job("failover", false, Phase::Succeeded, 8, Some(b.clone()));
        let points = vec![point("b", b, 5), point("a", a, 6)];
        let p = crate::failback::recovery_point(&[drill, failover], &points).unwrap();
        assert_eq!(p.id, "b");
    }

    #[test]
    fn the_objective_is_a_positive_number_of_seconds() {
        assert_eq!(objective(|_| None).unwrap(), None);
        assert_eq!(objective(|_| Some("900".into())).unwrap(), Some(900.0));
        let e = objective(|_| Some("soon".into())).unwrap_err().to_string();
        assert!(e.contains("'soon'"), "{e}");
        assert!(parse_objective("-1").is_err());
    }
}
