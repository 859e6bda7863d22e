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
use crate::records::{PointRecord, PointStatus};

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

/// One EMF line: the metric `name` = `value` in `unit`, with the dimensions `dims` (name,
/// value; one dimension set), at `timestamp_ms`.
pub fn emf_line(
    name: &str,
    unit: Unit,
    value: f64,
    dims: &[(&str, &str)],
    timestamp_ms: i64,
) -> String {
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dims.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": [{ "Name": name, "Unit": unit.as_str() }],
            }],
        }),
    );
    for (k, v) in dims {
        doc.insert((*k).to_string(), Value::String((*v).to_string()));
    }
    doc.insert(name.to_string(), json!(value));
    Value::Object(doc).to_string()
}

/// The dimension that names a source: `ACCOUNT/REGION`.
pub const DIM_SOURCE: &str = "Source";
/// The dimension that names a recovery target: `ACCOUNT/REGION`.
pub const DIM_TARGET: &str = "Target";

/// `NewestPointAgeSeconds` of one source.
pub fn newest_point_age(age: &SourceAge, timestamp_ms: i64) -> String {
    emf_line(
        "NewestPointAgeSeconds",
        Unit::Seconds,
        age.age_ms as f64 / 1000.0,
        &[(DIM_SOURCE, &age.source.short())],
        timestamp_ms,
    )
}

/// `ReadinessProblems` of a readiness check of `target` (what blocks or degrades a failover
/// there now; see [`crate::check`]).
pub fn readiness_problems(target: &Source, problems: u64, timestamp_ms: i64) -> String {
    emf_line(
        "ReadinessProblems",
        Unit::Count,
        problems as f64,
        &[(DIM_TARGET, &target.short())],
        timestamp_ms,
    )
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
}
