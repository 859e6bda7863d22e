//! The records a catalog keeps: one per recovery point ([`PointRecord`]) and one per restore
//! job ([`JobRecord`], with what was asked for and the phase it is in). Plain data: the
//! catalog stores them, `point` and `jobs` make and read them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Source;
use crate::restore::RestoreReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub enum PointStatus {
    /// Every object was written; the last verify (if any) found nothing wrong.
    Available,
    /// A verify found missing or altered objects; restore refuses it, prune does not count it
    /// among the points to keep.
    Damaged,
}

impl std::fmt::Display for PointStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PointStatus::Available => "Available",
            PointStatus::Damaged => "Damaged",
        })
    }
}

/// A recovery point as the catalog records it. Its id is the SHA-256 of its manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PointRecord {
    pub id: String,
    #[serde(default)]
    pub labels: Vec<String>,
    /// When this content was first captured (milliseconds since the epoch, like every time
    /// in a record).
    pub created: i64,
    /// When a capture last found the source still exactly like this.
    pub confirmed: i64,
    pub expires: i64,
    pub source: Source,
    /// What took it: `cli`, `schedule`, `change:UpdateMethod`...
    pub trigger: String,
    pub status: PointStatus,
    /// Names of the APIs it holds.
    pub apis: Vec<String>,
    /// Objects per kind.
    pub counts: BTreeMap<String, u64>,
    /// Objects (without the manifest) and their bytes.
    pub objects: u64,
    pub bytes: u64,
    /// What the selection the point was taken with brought in by closure, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closure: Vec<String>,
    /// What the capture could not take, and why (the newest capture's, when the same content
    /// is captured again). Empty: the point is complete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<crate::model::Gap>,
    /// A point of the source's whole estate (the sweep's `(estate)` point, any point taken with
    /// `--select type:estate` or without a selection): the APIs the source held when its
    /// capture began (the newest capture's). None: a point of some APIs only, or a record
    /// written before census was kept. Automatic failover tells from it which APIs were gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub census: Option<Census>,
}

/// Every API a source held when a capture of its whole estate began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Census {
    /// When the capture began (milliseconds since the epoch): the list was read after it.
    pub at: i64,
    /// Names of every REST, HTTP and WebSocket API of the source, sorted.
    pub apis: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Pending,
    Planning,
    Applying,
    Verifying,
    /// The restore verified; each restored custom domain's DNS record is being pointed at the
    /// target (see crate::dns).
    SwitchingDns,
    Succeeded,
    PartiallyFailed,
    Failed,
}

impl Phase {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Phase::Succeeded | Phase::PartiallyFailed | Phase::Failed
        )
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

/// What was asked for: enough to run (or run again) the restore anywhere.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRequest {
    /// The recovery point's full id.
    pub point: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_role_arn: Option<String>,
    /// The mapping file's text, kept with the job so a resumed job translates alike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping_format: Option<String>,
    #[serde(default)]
    pub in_place: bool,
    #[serde(default)]
    pub replace: bool,
    #[serde(default)]
    pub keep_edge: bool,
    #[serde(default)]
    pub name_prefix: String,
    /// Restore only these APIs of the point (by name); empty = all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apis: Vec<String>,
    /// `--select`: what to restore, closed over dependencies (see crate::select); empty = all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Where the key that opens sealed API key values is (default: the store's own, see
    /// crate::secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,

    // Standby and failback (crate::standby).
    /// A standby sync: the restore that keeps the recovery target ahead of a failover. It
    /// never switches DNS; one runs at a time per target.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub standby: bool,
    /// A failback: the point (of the recovery side) is restored in place into the source its
    /// APIs were restored from, the mapping file inverted (crate::jobs::failback_prepared).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub failback: bool,
    /// `--no-dns`: leave DNS as it is after the restore (see [`JobRequest::switches_dns`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_dns: bool,

    // Drills (crate::drill).
    /// A drill: the point restored beside everything else (a name prefix, the drill's tag on
    /// each created item, no domain, DNS or account settings), verified, then torn down.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drill: bool,
    /// `--keep`: the drill's result stays until `apigw-dr drill --teardown JOB`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep: bool,
    /// `--rto-objective`: the longest recovery time a drill may take and pass, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_objective: Option<f64>,
}

impl JobRequest {
    /// Whether the job points the restored custom domains' DNS records at the target once the
    /// restore has verified (never for a standby sync). The one place that decides it.
    pub fn switches_dns(&self) -> bool {
        !self.no_dns && !self.standby
    }
}

/// The times of a failover, in milliseconds since the epoch: from the alarm to traffic on the
/// target (the recovery time, RTO) and the parts between.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Times {
    /// When the alarm fired (the alarm event's time); for a job asked for otherwise (the
    /// command, a direct request), when it was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm: Option<i64>,
    /// When the job's first run started planning the restore.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore_started: Option<i64>,
    /// When the restore had been applied and verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<i64>,
    /// When every DNS change of the switch was in sync: traffic goes to the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_in_sync: Option<i64>,
}

impl Times {
    pub fn is_empty(&self) -> bool {
        *self == Times::default()
    }

    /// The recovery time in seconds, from the alarm to DNS in sync; `None` until DNS is.
    pub fn rto_seconds(&self) -> Option<f64> {
        Some(seconds(self.alarm?, self.dns_in_sync?))
    }

    /// The parts measured so far, in order, in seconds: alarm to restore start, restore
    /// (plan, apply, verify), DNS switch to in sync.
    pub fn parts(&self) -> Vec<(&'static str, f64)> {
        let marks = [
            self.alarm,
            self.restore_started,
            self.verified,
            self.dns_in_sync,
        ];
        let names = [
            "alarm to restore start",
            "restore and verify",
            "DNS switch until in sync",
        ];
        names
            .iter()
            .zip(marks.windows(2))
            .filter_map(|(name, w)| Some((*name, seconds(w[0]?, w[1]?))))
            .collect()
    }
}

fn seconds(from_ms: i64, to_ms: i64) -> f64 {
    (to_ms - from_ms) as f64 / 1000.0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub id: String,
    /// `cli`, `alarm:NAME`, `request`...
    pub trigger: String,
    pub created: i64,
    pub updated: i64,
    pub phase: Phase,
    pub request: JobRequest,
    /// Steps planned and the calls and quota-bound time they need.
    #[serde(default)]
    pub steps: u64,
    #[serde(default)]
    pub calls: u64,
    #[serde(default)]
    pub min_seconds: f64,
    /// The restore report, once verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<RestoreReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The DNS switch after the restore verified: each switch with its old value, its change and
    /// whether it was in sync; the records left alone and notes; or why DNS was not switched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<crate::dns::DnsReport>,
    /// From the alarm to traffic on the target: the recovery time and its parts.
    #[serde(default, skip_serializing_if = "Times::is_empty")]
    pub times: Times,
    /// How many times the record was written: a run writes only over the revision it read, so
    /// two runs of one job cannot overwrite each other (see `Catalog::put_job`).
    #[serde(default)]
    pub revision: u64,

    // Drills (crate::drill).
    /// What a drill found (recovery time, verified, passed) and what its teardown removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<DrillRecord>,
}

/// A drill's outcome and its teardown, as the catalog keeps them with its job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DrillRecord {
    /// The value of the drill's tag (`apigw-dr:drill`) on every item it created.
    pub tag: String,
    /// What the drill put before each created API and estate item's name.
    pub prefix: String,
    /// From the request to the verified restore, in seconds (a drill switches no DNS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objective_seconds: Option<f64>,
    pub verified: bool,
    /// Verified, and within the objective (when one is set).
    pub passed: bool,
    /// Differences the verify left (the report's remaining steps).
    pub differences: u64,
    /// Why it failed, what it did not restore.
    pub notes: Vec<String>,
    /// When the teardown removed everything tagged (milliseconds); `None`: not torn down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub torn_down: Option<i64>,
    /// What the teardown deleted (`KIND NAME (ID)`) and what it could not.
    pub removed: Vec<String>,
    pub teardown_failed: Vec<String>,
}

/// A new job id: time-ordered and unique enough for one catalog.
pub fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let ms = crate::time::now_ms();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(ms);
    h.write_u32(std::process::id());
    format!("job-{ms:x}-{:04x}", h.finish() & 0xffff)
}

impl JobRecord {
    pub fn new(request: JobRequest, trigger: &str) -> JobRecord {
        let now = crate::time::now_ms();
        JobRecord {
            id: new_id(),
            trigger: trigger.into(),
            created: now,
            updated: now,
            phase: Phase::Pending,
            request,
            steps: 0,
            calls: 0,
            min_seconds: 0.0,
            report: None,
            error: None,
            dns: None,
            times: Times {
                alarm: Some(now),
                ..Times::default()
            },
            revision: 0,
            drill: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recovery_time_runs_from_the_alarm_to_dns_in_sync() {
        let mut t = Times {
            alarm: Some(10_000),
            restore_started: Some(12_500),
            ..Times::default()
        };
        assert_eq!(t.rto_seconds(), None);
        assert_eq!(t.parts(), [("alarm to restore start", 2.5)]);
        t.verified = Some(40_000);
        assert_eq!(t.rto_seconds(), None, "verified is not traffic");
        t.dns_in_sync = Some(41_250);
        assert_eq!(t.rto_seconds(), Some(31.25));
        let parts: Vec<f64> = t.parts().iter().map(|p| p.1).collect();
        assert_eq!(parts, [2.5, 27.5, 1.25]);
        assert_eq!(parts.iter().sum::<f64>(), 31.25);
        // A job without an alarm time (stored before times were kept) measures nothing.
        t.alarm = None;
        assert_eq!(t.rto_seconds(), None);
        assert_eq!(t.parts().len(), 2);
    }

    #[test]
    fn a_job_stored_before_dns_reads_without_a_switch_and_switches_by_default() {
        let stored = serde_json::json!({
            "id": "job-1-2", "trigger": "cli", "created": 1, "updated": 2,
            "phase": "Succeeded", "request": { "point": "ab" }
        });
        let job: JobRecord = serde_json::from_value(stored).unwrap();
        assert!(job.dns.is_none() && job.times.is_empty());
        assert!(job.request.switches_dns());
        let out = serde_json::to_value(&job).unwrap();
        assert!(out.get("times").is_none() && out["request"].get("noDns").is_none());
        let mut req = job.request.clone();
        req.no_dns = true;
        assert!(!req.switches_dns());
        assert_eq!(serde_json::to_value(&req).unwrap()["noDns"], true);
        // A new job's clock starts when it is asked for.
        let new = JobRecord::new(req, "cli");
        assert_eq!(new.times.alarm, Some(new.created));
    }
    use crate::restore::Change;
    use crate::restore::Outcome;

    /// A job as an earlier version stored it (its report as plain JSON, without an API's
    /// protocol and source id): it still reads, typed, and writes back the same fields.
    #[test]
    fn a_stored_job_report_reads_typed_and_writes_back_alike() {
        let stored = serde_json::json!({
            "id": "job-1-2", "trigger": "cli", "created": 1, "updated": 2,
            "phase": "PartiallyFailed",
            "request": { "point": "ab", "toRegion": "us-west-2" },
            "report": {
                "point": "ab",
                "target": { "partition": "aws", "account": "2", "region": "us-west-2" },
                "outcome": "PartiallyFailed",
                "apis": [{
                    "name": "orders", "targetId": "t1", "applied": 3,
                    "failed": ["PutMethod /pets GET: denied"],
                    "remaining": [
                        { "kind": "Method", "key": "/pets GET", "change": "update",
                          "fields": ["apiKeyRequired"], "explained": "moto" },
                        { "kind": "Stage", "key": "prod", "change": "duplicate", "ids": ["a", "b"] }
                    ],
                    "problems": [], "notes": [], "permissions": []
                }],
                "calls": 9, "minSeconds": 1.5, "seconds": 2.0,
                "estate": { "applied": 1 }
            }
        });
        let job: JobRecord = serde_json::from_value(stored).unwrap();
        let r = job.report.as_ref().unwrap();
        assert_eq!(r.outcome, Outcome::PartiallyFailed);
        let api = &r.apis[0];
        assert_eq!((api.protocol.as_str(), api.source_id.as_str()), ("", ""));
        let kinds: Vec<&str> = api
            .remaining
            .iter()
            .map(|d| d.difference.kind.as_str())
            .collect();
        assert_eq!(kinds, ["Method", "Stage"]);
        assert_eq!(
            api.remaining[0].difference.change,
            Change::Update {
                fields: vec!["apiKeyRequired".into()]
            }
        );
        assert_eq!(api.remaining[0].explained.as_deref(), Some("moto"));
        assert!(api.remaining[1].difference.is_duplicate());
        assert_eq!(r.estate.as_ref().unwrap().applied, 1);
        // Written back, it is read back the same.
        let again: JobRecord = serde_json::from_value(serde_json::to_value(&job).unwrap()).unwrap();
        assert_eq!(
            serde_json::to_value(&again).unwrap(),
            serde_json::to_value(&job).unwrap()
        );
        assert_eq!(
            serde_json::to_value(&again).unwrap()["report"]["apis"][0]["remaining"][0]["fields"],
            serde_json::json!(["apiKeyRequired"])
        );
    }
}
