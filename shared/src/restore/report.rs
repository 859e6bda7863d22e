//! What a restore did and what verify found afterwards: the typed report, stored with the
//! job and rendered by the CLI.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::difference::{Change, Difference};
use super::estate;
use super::kind::Kind;
use super::plan::{ApiPlan, Plan};
use crate::model::Source;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Succeeded,
    PartiallyFailed,
    /// The deadline came first: run the job again to continue where it stopped.
    Interrupted,
}

/// What a restore did to one API, and what verify found afterwards.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiReport {
    /// `REST`, `HTTP` or `WEBSOCKET`.
    #[serde(default)]
    pub protocol: String,
    pub name: String,
    #[serde(default)]
    pub source_id: String,
    pub target_id: Option<String>,
    pub applied: u64,
    /// Steps that failed, each with the reason.
    pub failed: Vec<String>,
    /// Differences verify still found, each explained where a known limit of the target
    /// explains it.
    pub remaining: Vec<Remaining>,
    pub problems: Vec<String>,
    pub notes: Vec<String>,
    /// Lambda functions the recovered API may now invoke.
    pub permissions: Vec<String>,
    /// `import` (the definition imported whole, then reconciled) or `call by call`.
    #[serde(default)]
    pub path: String,
    /// Steps applied call by call after an import (what it did not carry).
    #[serde(default)]
    pub reconciled: u64,
    /// Steps a local target could not carry out because it lacks the operation.
    #[serde(skip)]
    pub(super) gaps: BTreeMap<(Kind, String), String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Remaining {
    #[serde(flatten)]
    pub difference: Difference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explained: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    pub point: String,
    pub target: Source,
    pub outcome: Outcome,
    pub apis: Vec<ApiReport>,
    pub calls: u64,
    pub min_seconds: f64,
    pub seconds: f64,
    /// The shortest time the quotas allow for the calls the restore made (reads included):
    /// what `seconds` is measured against when the target needed other calls than planned.
    #[serde(default)]
    pub made_floor_seconds: f64,
    /// What the point holds that was not restored, with the reason.
    #[serde(default)]
    pub unsupported: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estate: Option<estate::EstateReport>,
    /// What the point lacks: "verified" holds except for these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lacks: Vec<crate::model::Gap>,
}

/// Differences a local AWS (moto) is known to leave, by kind and field: attributed in the
/// report when the target is a custom endpoint.
const LOCAL_AWS_GAPS: &[(Kind, &str, &str)] = &[
    (
        Kind::RestApi,
        "version",
        "moto ignores a REST API's version",
    ),
    (
        Kind::RestApi,
        "binaryMediaTypes",
        "moto drops binaryMediaTypes",
    ),
    (
        Kind::DocumentationPart,
        "*",
        "moto does not implement documentation parts",
    ),
    (
        Kind::DocumentationVersion,
        "*",
        "moto does not implement documentation versions",
    ),
];

fn explain(d: &Difference, local: bool) -> Option<String> {
    if !local {
        return None;
    }
    let fields: Vec<String> = match &d.change {
        Change::Update { fields } => fields.clone(),
        _ => vec!["*".into()],
    };
    let reasons: Vec<&str> = fields
        .iter()
        .filter_map(|f| {
            LOCAL_AWS_GAPS
                .iter()
                .find(|(k, field, _)| *k == d.kind && (*field == "*" || field == f))
                .map(|g| g.2)
        })
        .collect();
    (reasons.len() == fields.len()).then(|| reasons.join("; "))
}

impl ApiReport {
    /// The report of one API before anything is applied.
    pub(super) fn new(p: &ApiPlan) -> ApiReport {
        ApiReport {
            protocol: p.protocol.clone(),
            name: p.name.clone(),
            source_id: p.source_id.clone(),
            target_id: p.target_id.clone(),
            applied: 0,
            failed: vec![],
            remaining: vec![],
            problems: p.problems.clone(),
            notes: p.notes.clone(),
            permissions: vec![],
            path: p.path.name().into(),
            reconciled: 0,
            gaps: BTreeMap::new(),
        }
    }
}

/// What verify found: each difference, explained where a known limit of a local target (or
/// an operation it lacked during the apply) explains it.
pub(super) fn remaining(
    diffs: Vec<Difference>,
    gaps: &BTreeMap<(Kind, String), String>,
    local: bool,
) -> Vec<Remaining> {
    diffs
        .into_iter()
        .map(|d| Remaining {
            explained: explain(&d, local).or_else(|| gaps.get(&(d.kind, d.key.clone())).cloned()),
            difference: d,
        })
        .collect()
}

impl RestoreReport {
    /// The whole report: interrupted (the deadline came first), else partially failed when
    /// anything failed or verify found a difference nothing explains, else succeeded.
    pub(super) fn new(
        plan: &Plan,
        apis: Vec<ApiReport>,
        estate: Option<estate::EstateReport>,
        interrupted: bool,
        calls: &std::collections::BTreeMap<&'static str, u64>,
        took: Duration,
    ) -> RestoreReport {
        let unexplained = !plan.unsupported.is_empty()
            || apis
                .iter()
                .any(|r| !r.failed.is_empty() || r.remaining.iter().any(|d| d.explained.is_none()))
            || estate.as_ref().is_some_and(|e| {
                !e.failed.is_empty() || e.remaining.iter().any(|d| d.explained.is_none())
            });
        RestoreReport {
            point: plan.point.clone(),
            target: plan.target.clone(),
            outcome: if interrupted {
                Outcome::Interrupted
            } else if unexplained {
                Outcome::PartiallyFailed
            } else {
                Outcome::Succeeded
            },
            apis,
            calls: calls.values().sum(),
            min_seconds: plan.min_seconds,
            made_floor_seconds: super::quota_floor(calls).as_secs_f64(),
            seconds: took.as_secs_f64(),
            unsupported: plan.unsupported.clone(),
            estate,
            lacks: plan.lacks.clone(),
        }
    }
}
