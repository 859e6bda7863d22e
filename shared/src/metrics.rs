//! Metrics as CloudWatch embedded-metric-format (EMF) log lines: one JSON object per line,
//! whose `_aws` member tells CloudWatch Logs which of its members are metrics (namespace
//! `apigw-dr`, dimensions, unit) and when (milliseconds since the epoch). A function that
//! prints such a line publishes the metric with no extra call. Pure: the callers print.
//!
//! Also the facts the metrics carry and `apigw-dr list` prints: the age of each source's
//! newest good point.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::model::Source;
use crate::records::{JobRecord, Phase, PointRecord, PointStatus};
use crate::standby::StandbyState;

/// Every metric of this project is published under this namespace.
pub const NAMESPACE: &str = "apigw-dr";

/// The units this project publishes (EMF takes CloudWatch's unit names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Milliseconds,
    Count,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Seconds => "Seconds",
            Unit::Milliseconds => "Milliseconds",
            Unit::Count => "Count",
        }
    }
}

/// The metrics this project publishes, by name: the template's alarms name only these (a
/// test reads infra/template.yaml).
pub const NEWEST_POINT_AGE: &str = "NewestPointAgeSeconds";
pub const SNAPSHOT_FAILURES: &str = "SnapshotFailures";
pub const RESTORE_DURATION: &str = "RestoreDurationSeconds";
/// 1 for a restore job that ended Failed or PartiallyFailed, 0 for one that Succeeded.
pub const RESTORE_FAILED: &str = "RestoreFailed";
pub const READINESS_PROBLEMS: &str = "ReadinessProblems";
pub const STANDBY_BEHIND_POINTS: &str = "StandbyBehindPoints";
pub const STANDBY_BEHIND_SECONDS: &str = "StandbyBehindSeconds";
/// From a failover's job ([`recovery_time`]).
pub const RECOVERY_TIME: &str = "RecoveryTimeSeconds";
/// From a restore drill (issue 13 part 1): 1 for a drill that did not verify or exceeded its
/// objective.
pub const DRILL_FAILED: &str = "DrillFailed";
pub const NAMES: &[&str] = &[
    NEWEST_POINT_AGE,
    SNAPSHOT_FAILURES,
    RESTORE_DURATION,
    RESTORE_FAILED,
    READINESS_PROBLEMS,
    STANDBY_BEHIND_POINTS,
    STANDBY_BEHIND_SECONDS,
    RECOVERY_TIME,
    DRILL_FAILED,
];

/// One EMF line: the metric `name` = `value` in `unit`, with the dimensions `dims` (name,
/// value; one dimension set), at `timestamp_ms`.
pub fn emf_line(
    name: &str,
    unit: Unit,
    value: f64,
    dims: &[(&str, &str)],
    timestamp_ms: i64,
) -> String {
    emf(&[(name, unit, value)], dims, false, &[], timestamp_ms)
}

/// One EMF line of several metrics (name, unit, value) with the dimensions `dims`; with
/// `rollup`, also with no dimension (one series over every source or target, which an alarm
/// can watch without knowing them); `props` are members CloudWatch keeps in the log only.
pub fn emf(
    metrics: &[(&str, Unit, f64)],
    dims: &[(&str, &str)],
    rollup: bool,
    props: &[(&str, Value)],
    timestamp_ms: i64,
) -> String {
    let names: Vec<&str> = dims.iter().map(|(k, _)| *k).collect();
    let sets = if rollup && !names.is_empty() {
        json!([names, []])
    } else {
        json!([names])
    };
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": sets,
                "Metrics": metrics.iter()
                    .map(|(n, u, _)| json!({ "Name": n, "Unit": u.as_str() }))
                    .collect::<Vec<_>>(),
            }],
        }),
    );
    for (k, v) in props {
        doc.insert((*k).to_string(), v.clone());
    }
    for (k, v) in dims {
        doc.insert((*k).to_string(), Value::String((*v).to_string()));
    }
    for (n, _, v) in metrics {
        doc.insert((*n).to_string(), json!(v));
    }
    Value::Object(doc).to_string()
}

/// `RecoveryTimeSeconds` of a failover's job, once DNS is in sync (`None` before): one series
/// with no dimension; the job, its trigger and the parts of the recovery time stay in the log.
pub fn recovery_time(job: &JobRecord) -> Option<String> {
    let rto = job.times.rto_seconds()?;
    let mut props = vec![("job", json!(job.id)), ("trigger", json!(job.trigger))];
    props.extend(job.times.parts().into_iter().map(|(n, s)| (n, json!(s))));
    Some(emf(
        &[(RECOVERY_TIME, Unit::Seconds, rto)],
        &[],
        false,
        &props,
        job.times.dns_in_sync.unwrap_or(job.updated),
    ))
}

/// The dimension that names a source: `ACCOUNT/REGION`.
pub const DIM_SOURCE: &str = "Source";
/// The dimension that names a recovery target: `ACCOUNT/REGION`.
pub const DIM_TARGET: &str = "Target";

/// `NewestPointAgeSeconds` of one source (and over all sources).
pub fn newest_point_age(age: &SourceAge, timestamp_ms: i64) -> String {
    emf(
        &[(NEWEST_POINT_AGE, Unit::Seconds, age.age_ms as f64 / 1000.0)],
        &[(DIM_SOURCE, &age.source.short())],
        true,
        &[("point", json!(age.point))],
        timestamp_ms,
    )
}

/// `ReadinessProblems` of a readiness check of `target` (what blocks or degrades a failover
/// there now; see [`crate::check`]), per target and over all targets.
pub fn readiness_problems(target: &Source, problems: u64, timestamp_ms: i64) -> String {
    emf(
        &[(READINESS_PROBLEMS, Unit::Count, problems as f64)],
        &[(DIM_TARGET, &target.short())],
        true,
        &[],
        timestamp_ms,
    )
}

/// After a snapshot: the age of the source's newest good point (the point just written or
/// found unchanged) and no failure.
pub fn snapshot_written(record: &PointRecord, now_ms: i64) -> Vec<String> {
    let mut lines: Vec<String> = newest_by_source(std::slice::from_ref(record), now_ms)
        .iter()
        .map(|a| newest_point_age(a, now_ms))
        .collect();
    lines.push(snapshot_failures(0, &record.apis, &record.trigger, now_ms));
    lines
}

/// After a snapshot that failed (capture or write): one failure, and the age of each
/// source's newest good point in `points` (the catalog), which grows while captures fail.
pub fn snapshot_failed(
    apis: &[String],
    trigger: &str,
    points: &[PointRecord],
    now_ms: i64,
) -> Vec<String> {
    let mut lines: Vec<String> = newest_by_source(points, now_ms)
        .iter()
        .map(|a| newest_point_age(a, now_ms))
        .collect();
    lines.push(snapshot_failures(1, apis, trigger, now_ms));
    lines
}

/// `SnapshotFailures` (no dimension: any failure is one to look at), with what was asked.
fn snapshot_failures(failures: u64, apis: &[String], trigger: &str, now_ms: i64) -> String {
    emf(
        &[(SNAPSHOT_FAILURES, Unit::Count, failures as f64)],
        &[],
        false,
        &[("apis", json!(apis)), ("trigger", json!(trigger))],
        now_ms,
    )
}

/// At a restore job's end (a final phase): `RestoreDurationSeconds` (from the restore's start,
/// else the job's creation, to `now_ms`) and `RestoreFailed` (0 or 1), with the job, its
/// phase and trigger as members. `None` while the job is not over.
pub fn restore_ended(job: &JobRecord, now_ms: i64) -> Option<String> {
    if !job.phase.is_final() {
        return None;
    }
    let start = job.times.restore_started.unwrap_or(job.created);
    let failed = if job.phase == Phase::Succeeded {
        0.0
    } else {
        1.0
    };
    Some(emf(
        &[
            (
                RESTORE_DURATION,
                Unit::Seconds,
                (now_ms - start).max(0) as f64 / 1000.0,
            ),
            (RESTORE_FAILED, Unit::Count, failed),
        ],
        &[],
        false,
        &[
            ("job", json!(job.id)),
            ("phase", json!(job.phase)),
            ("trigger", json!(job.trigger)),
            ("standby", json!(job.request.standby)),
        ],
        now_ms,
    ))
}

/// Per standby target: how far the point it holds is behind its source's newest good point,
/// in points and seconds (what `apigw-dr status --standby` prints).
pub fn standby_lag(states: &[StandbyState], now_ms: i64) -> Vec<String> {
    states
        .iter()
        .map(|s| {
            emf(
                &[
                    (STANDBY_BEHIND_POINTS, Unit::Count, s.behind_points as f64),
                    (
                        STANDBY_BEHIND_SECONDS,
                        Unit::Seconds,
                        s.behind_ms as f64 / 1000.0,
                    ),
                ],
                &[(DIM_TARGET, &s.target.short())],
                true,
                &[("point", json!(s.point))],
                now_ms,
            )
        })
        .collect()
}

/// The newest good point of one source and its age: the time since it was taken or last
/// found unchanged, whichever is later.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceAge {
    pub source: Source,
    pub point: String,
    pub age_ms: i64,
}

/// Each source's newest Available point and its age at `now_ms`, by source.
pub fn newest_by_source(points: &[PointRecord], now_ms: i64) -> Vec<SourceAge> {
    let mut newest: BTreeMap<String, (&PointRecord, i64)> = BTreeMap::new();
    for p in points.iter().filter(|p| p.status == PointStatus::Available) {
        let seen = p.created.max(p.confirmed);
        let key = format!("{}/{}", p.source.partition, p.source.short());
        if newest.get(&key).is_none_or(|(_, t)| seen > *t) {
            newest.insert(key, (p, seen));
        }
    }
    newest
        .into_values()
        .map(|(p, seen)| SourceAge {
            source: p.source.clone(),
            point: p.id.clone(),
            age_ms: (now_ms - seen).max(0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(account: &str, region: &str) -> Source {
        Source {
            partition: "aws".into(),
            account: account.into(),
            region: region.into(),
        }
    }

    /// The shape the EMF specification requires: `_aws.Timestamp` (ms), `CloudWatchMetrics`
    /// an array of directives with `Namespace`, `Dimensions` (arrays of member names, each
    /// a member of the root holding a string) and `Metrics` (`Name` a member of the root
    /// holding a number, `Unit`).
    fn assert_emf(line: &str) -> Value {
        assert!(!line.contains('\n'), "one line: {line}");
        let v: Value = serde_json::from_str(line).unwrap();
        let aws = &v["_aws"];
        assert!(aws["Timestamp"].is_i64(), "{line}");
        let directives = aws["CloudWatchMetrics"].as_array().unwrap();
        assert!(!directives.is_empty());
        for d in directives {
            assert_eq!(d["Namespace"], NAMESPACE);
            for set in d["Dimensions"].as_array().unwrap() {
                let set = set.as_array().unwrap();
                assert!(set.len() <= 30);
                for dim in set {
                    assert!(v[dim.as_str().unwrap()].is_string(), "{dim} in {line}");
                }
            }
            for m in d["Metrics"].as_array().unwrap() {
                assert!(v[m["Name"].as_str().unwrap()].is_number(), "{line}");
                assert!(m["Unit"].is_string());
            }
        }
        v
    }

    #[test]
    fn lines_have_the_emf_shape() {
        let line = emf_line(
            "SnapshotFailures",
            Unit::Count,
            2.0,
            &[("Source", "111111111111/us-east-1"), ("Api", "orders")],
            1_700_000_000_123,
        );
        let v = assert_emf(&line);
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_123_i64);
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Source", "Api"]])
        );
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{"Name": "SnapshotFailures", "Unit": "Count"}])
        );
        assert_eq!(v["SnapshotFailures"], 2.0);
        assert_eq!(v["Api"], "orders");
    }

    #[test]
    fn readiness_problems_are_counted_per_target() {
        let v = assert_emf(&readiness_problems(&src("2", "us-west-2"), 3, 5));
        assert_eq!(v["ReadinessProblems"], 3.0);
        assert_eq!(v["Target"], "2/us-west-2");
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"],
            "Count"
        );
    }

    fn point(id: &str, source: Source, created: i64, confirmed: i64) -> PointRecord {
        serde_json::from_value(json!({
            "id": id, "labels": [], "created": created, "confirmed": confirmed, "expires": 0,
            "source": source, "trigger": "t", "status": "Available", "apis": [],
            "counts": {}, "objects": 1, "bytes": 1,
        }))
        .unwrap()
    }

    #[test]
    fn each_source_has_its_newest_good_point_age_confirmed_counts() {
        let (a, b) = (src("1", "us-east-1"), src("1", "eu-west-1"));
        let mut damaged = point("p4", a.clone(), 9_000, 9_000);
        damaged.status = PointStatus::Damaged;
        let all = vec![
            point("p1", a.clone(), 1_000, 1_000),
            // Taken earlier but found unchanged later: the newest.
            point("p2", a.clone(), 500, 7_000),
            damaged,
            point("p3", b.clone(), 2_000, 2_000),
        ];
        let ages = newest_by_source(&all, 10_000);
        assert_eq!(ages.len(), 2);
        let of = |s: &Source| ages.iter().find(|x| &x.source == s).unwrap();
        assert_eq!((of(&a).point.as_str(), of(&a).age_ms), ("p2", 3_000));
        assert_eq!((of(&b).point.as_str(), of(&b).age_ms), ("p3", 8_000));
        let v = assert_emf(&newest_point_age(of(&a), 10_000));
        assert_eq!(v["NewestPointAgeSeconds"], 3.0);
        assert_eq!(v["Source"], "1/us-east-1");
        assert!(newest_by_source(&[], 1).is_empty());
    }

    fn metric_names(v: &Value) -> Vec<(String, String)> {
        v["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["Name"].as_str().unwrap().to_string(),
                    m["Unit"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn per_source_lines_also_roll_up_over_every_source() {
        let age = SourceAge {
            source: src("1", "us-east-1"),
            point: "p1".into(),
            age_ms: 90_500,
        };
        let v = assert_emf(&newest_point_age(&age, 7));
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Source"], []])
        );
        assert_eq!(v["NewestPointAgeSeconds"], 90.5);
        assert_eq!(v["point"], "p1");
        assert_eq!(v["_aws"]["Timestamp"], 7);
    }

    #[test]
    fn a_snapshot_says_its_age_and_whether_it_failed() {
        let a = src("1", "us-east-1");
        let mut rec = point("p2", a.clone(), 1_000, 4_000);
        rec.apis = vec!["orders".into()];
        let lines = snapshot_written(&rec, 4_250);
        assert_eq!(lines.len(), 2);
        let age = assert_emf(&lines[0]);
        assert_eq!(age["NewestPointAgeSeconds"], 0.25);
        assert_eq!(age["Source"], "1/us-east-1");
        let ok = assert_emf(&lines[1]);
        assert_eq!(
            metric_names(&ok),
            [("SnapshotFailures".into(), "Count".into())]
        );
        assert_eq!(ok["SnapshotFailures"], 0.0);
        assert_eq!(
            ok["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
        assert_eq!(ok["apis"], json!(["orders"]));

        // A failure: counted once, and the age of the newest good point goes on growing.
        let lines = snapshot_failed(&["orders".into()], "schedule", &[rec], 64_000);
        let age = assert_emf(&lines[0]);
        assert_eq!(age["NewestPointAgeSeconds"], 60.0);
        let failed = assert_emf(&lines[1]);
        assert_eq!(failed["SnapshotFailures"], 1.0);
        assert_eq!(failed["trigger"], "schedule");
        // With no point at all, the failure alone.
        assert_eq!(snapshot_failed(&[], "schedule", &[], 1).len(), 1);
    }

    fn job(phase: Phase, created: i64, started: Option<i64>) -> JobRecord {
        let mut j = JobRecord::new(crate::records::JobRequest::default(), "alarm:x");
        j.id = "job-1".into();
        j.phase = phase;
        j.created = created;
        j.times.restore_started = started;
        j
    }

    #[test]
    fn a_restore_job_says_its_duration_and_outcome_at_its_end_only() {
        assert!(restore_ended(&job(Phase::Applying, 0, Some(1_000)), 5_000).is_none());
        let v = assert_emf(&restore_ended(&job(Phase::Succeeded, 0, Some(1_000)), 43_000).unwrap());
        assert_eq!(
            metric_names(&v),
            [
                ("RestoreDurationSeconds".into(), "Seconds".into()),
                ("RestoreFailed".into(), "Count".into())
            ]
        );
        assert_eq!(v["RestoreDurationSeconds"], 42.0);
        assert_eq!(v["RestoreFailed"], 0.0);
        assert_eq!(
            (v["job"].as_str(), v["phase"].as_str()),
            (Some("job-1"), Some("Succeeded"))
        );
        assert_eq!(v["trigger"], "alarm:x");
        for failed in [Phase::Failed, Phase::PartiallyFailed] {
            // A job that failed before its restore started runs from its creation.
            let v = assert_emf(&restore_ended(&job(failed, 2_000, None), 3_500).unwrap());
            assert_eq!(v["RestoreFailed"], 1.0, "{failed}");
            assert_eq!(v["RestoreDurationSeconds"], 1.5);
        }
    }

    #[test]
    fn standby_lag_is_points_and_seconds_per_target() {
        let state = StandbyState {
            target: src("2", "us-west-2"),
            point: "p1".into(),
            job: "job-s".into(),
            synced: 0,
            source: Some(src("1", "us-east-1")),
            newest: Some("p3".into()),
            behind_points: 2,
            behind_ms: 7_200_000,
            running: None,
        };
        let lines = standby_lag(&[state], 9);
        assert_eq!(lines.len(), 1);
        let v = assert_emf(&lines[0]);
        assert_eq!(v["StandbyBehindPoints"], 2.0);
        assert_eq!(v["StandbyBehindSeconds"], 7200.0);
        assert_eq!(v["Target"], "2/us-west-2");
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Target"], []])
        );
        assert!(standby_lag(&[], 9).is_empty());
    }

    /// Every alarm of the template on this project's namespace names a metric of [`NAMES`],
    /// and each metric the operator is promised an alarm on has one.
    #[test]
    fn the_template_alarms_only_on_metrics_the_code_emits() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let mut alarmed = vec![];
        // One piece per resource (each starts at its `Type:`).
        for resource in text.split("\n    Type: ").skip(1) {
            let field = |key: &str| -> Vec<String> {
                resource
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix(key))
                    .map(|v| v.trim().trim_matches('"').to_string())
                    .collect()
            };
            if field("Namespace: ").iter().all(|ns| ns != NAMESPACE) {
                continue;
            }
            for name in field("MetricName: ") {
                assert!(
                    NAMES.contains(&name.as_str()),
                    "the template alarms on {name}, which no code emits"
                );
                alarmed.push(name);
            }
        }
        for wanted in [
            NEWEST_POINT_AGE,
            SNAPSHOT_FAILURES,
            READINESS_PROBLEMS,
            DRILL_FAILED,
            RESTORE_FAILED,
        ] {
            assert!(alarmed.iter().any(|a| a == wanted), "no alarm on {wanted}");
        }
    }

    #[test]
    fn the_recovery_metric_is_one_embedded_metric_line_once_dns_is_in_sync() {
        let mut job = JobRecord::new(
            crate::records::JobRequest::default(),
            "alarm:orders-api-5xx",
        );
        job.times = crate::records::Times {
            alarm: Some(1_000),
            restore_started: Some(3_000),
            verified: Some(9_000),
            dns_in_sync: None,
        };
        assert!(recovery_time(&job).is_none(), "no traffic yet, no RTO");
        job.times.dns_in_sync = Some(10_500);
        let line = recovery_time(&job).unwrap();
        assert!(!line.contains('\n'), "one line");
        let m: Value = serde_json::from_str(&line).unwrap();
        let cw = &m["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], "apigw-dr");
        assert_eq!(cw["Metrics"][0]["Name"], "RecoveryTimeSeconds");
        assert_eq!(cw["Metrics"][0]["Unit"], "Seconds");
        assert_eq!(m["_aws"]["Timestamp"], 10_500);
        assert_eq!(m["RecoveryTimeSeconds"], 9.5);
        assert_eq!(m["alarm to restore start"], 2.0);
        assert_eq!(m["restore and verify"], 6.0);
        assert_eq!(m["DNS switch until in sync"], 1.5);
        assert_eq!(m["trigger"], "alarm:orders-api-5xx");
    }
}
