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

pub mod apply;
pub mod diff;
pub mod lambda;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use serde::Serialize;

use crate::capture::{apigateway_client, capture_rest_apis, list_rest_apis};
use crate::model::v1::RestApiSnapshot;
use crate::model::{Snapshot, Source};
use crate::pacing::{Pacer, RetryPolicy};
use crate::translate::{self, Mapping};
use crate::{Error, Result};
use apply::Applier;
use diff::{Change, Difference, TAG_SOURCE, compare};

/// How to restore.
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    pub mapping: Option<Mapping>,
    /// Keep edge-optimized APIs edge-optimized (default: recover them as Regional).
    pub keep_edge: bool,
    /// Delete a same-named API in the target that this tool did not create, and restore in
    /// its place.
    pub replace: bool,
    /// Put before every restored API's name.
    pub name_prefix: String,
    /// Bring the source APIs themselves back to the point.
    pub in_place: bool,
}

/// What will be done to one API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiPlan {
    pub name: String,
    pub source_id: String,
    /// The target API, when there is one already.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// `create`, `update`, or `replace` (delete a foreign API of that name first).
    pub action: &'static str,
    pub steps: Vec<Difference>,
    /// Every translated reference: `object field: from -> to (rule)`.
    pub rewrites: Vec<String>,
    /// References that could not be translated: the actions that need them will fail.
    pub problems: Vec<String>,
    pub notes: Vec<String>,
    pub calls: BTreeMap<&'static str, u64>,
    /// Lambda functions the API calls (each gets the invoke permission for the new API).
    pub functions: Vec<String>,
    #[serde(skip)]
    desired: RestApiSnapshot,
    /// The API as the point holds it (before translation).
    #[serde(skip)]
    source_api: RestApiSnapshot,
    /// The target API as planning captured it.
    #[serde(skip)]
    current: Option<RestApiSnapshot>,
    #[serde(skip)]
    replace_id: Option<String>,
    #[serde(skip)]
    blocked: BTreeMap<(&'static str, String), String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub point: String,
    pub source: Source,
    pub target: Source,
    pub apis: Vec<ApiPlan>,
    /// Control-plane calls the plan needs (besides the reads of verify).
    pub total_calls: u64,
    /// The shortest time API Gateway's quotas allow for those calls.
    pub min_seconds: f64,
    /// What the point holds that this restore cannot restore yet, with the reason.
    pub unsupported: Vec<String>,
    #[serde(skip)]
    opts: RestoreOptions,
}

impl Plan {
    pub fn calls(&self) -> BTreeMap<&'static str, u64> {
        let mut all = BTreeMap::new();
        for a in &self.apis {
            for (op, n) in &a.calls {
                *all.entry(*op).or_insert(0) += n;
            }
        }
        all
    }
}

/// The tag value naming a source API.
fn source_tag(source: &Source, api_id: &str) -> String {
    format!("{}/{}/{}", source.account, source.region, api_id)
}

/// Translates one API of the point for the target; `target_id` maps the API's own id (in
/// execute-api ARNs) once known.
/// One API of the point as the target must hold it.
struct Desired {
    api: RestApiSnapshot,
    rewrites: Vec<String>,
    /// Items that hold a reference translation could not handle, with the reason: they are
    /// not restored (and what depends on them fails with a clear message).
    blocked: BTreeMap<(&'static str, String), String>,
    notes: Vec<String>,
}

fn desired_for(
    api: &RestApiSnapshot,
    source: &Source,
    target: &Source,
    opts: &RestoreOptions,
    target_id: Option<&str>,
) -> Result<Desired> {
    let mut entries = Vec::new();
    api.explode(&mut entries)?;
    // Once the target API's id is known, references to the API itself (execute-api ARNs
    // and URLs in the policy, stage variables, templates) follow it.
    let ctx = translate::Context {
        source: source.clone(),
        target: target.clone(),
        mapping: opts.mapping.clone().unwrap_or_else(Mapping::empty),
        ids: target_id
            .map(|t| (api.api.id.clone(), t.to_string()))
            .into_iter()
            .collect(),
    };
    let keys: BTreeMap<String, (&'static str, String)> = entries
        .iter()
        .filter_map(|e| Some((e.id.clone(), diff::natural_key(e)?)))
        .collect();
    let report = translate::translate_entries(&mut entries, &ctx);
    // Translation maps the `restApiId` that ties every object to its API; the API's own id
    // (never translated) follows, so the objects still group under it.
    if let Some(t) = target_id {
        for e in entries.iter_mut().filter(|e| e.kind == "RestApi") {
            e.value["id"] = serde_json::Value::String(t.to_string());
        }
    }
    let mut apis = RestApiSnapshot::assemble(entries)?;
    let mut desired = apis
        .pop()
        .ok_or_else(|| Error::Integrity("translation lost the API".into()))?;
    let mut notes = Vec::new();
    desired.api.name = format!("{}{}", opts.name_prefix, desired.api.name);
    if !opts.keep_edge
        && let Some(ec) = desired.api.endpoint_configuration.as_mut()
        && ec.types.iter().any(|t| t == "EDGE")
    {
        ec.types = vec!["REGIONAL".into()];
        notes.push("edge-optimized in the source: recovered as Regional (--keep-edge keeps it edge-optimized)".into());
    }
    let served: std::collections::BTreeSet<&str> = api
        .stages
        .iter()
        .filter_map(|s| s.deployment_id.as_deref())
        .collect();
    if served.len() > 1 {
        notes.push(format!(
            "the source's stages served {} different deployments; every recovered stage serves the recovered working copy",
            served.len()
        ));
    }
    // Ids the target does not have yet are resolved by name as the restore goes: not listed.
    let rewrites = report
        .rewrites
        .iter()
        .filter(|r| r.pointer != "/restApiId")
        .map(|r| {
            format!(
                "{} {}: {} -> {} ({})",
                r.object, r.pointer, r.from, r.to, r.rule
            )
        })
        .collect();
    let mut blocked: BTreeMap<(&'static str, String), String> = BTreeMap::new();
    for p in &report.problems {
        let why = format!("{}: cannot translate {} ({})", p.pointer, p.value, p.why);
        if let Some(k) = keys.get(&p.object) {
            blocked.entry(k.clone()).or_insert(why);
        }
    }
    Ok(Desired {
        api: desired,
        rewrites,
        blocked,
        notes,
    })
}

/// Calls one step needs.
fn step_calls(d: &Difference, desired: &RestApiSnapshot, out: &mut BTreeMap<&'static str, u64>) {
    let mut add = |op: &'static str, n: u64| *out.entry(op).or_insert(0) += n;
    let create = matches!(d.change, Change::Create);
    match (d.kind, &d.change) {
        ("RestApi", Change::Create) => add("CreateRestApi", 1),
        ("RestApi", Change::Update { .. }) => add("UpdateRestApi", 1),
        ("Model", Change::Create) => add("CreateModel", 1),
        ("Model", Change::Update { .. }) => add("UpdateModel", 1),
        ("Model", Change::Delete) => add("DeleteModel", 1),
        ("RequestValidator", c) => add(
            if create {
                "CreateRequestValidator"
            } else if matches!(c, Change::Delete) {
                "DeleteRequestValidator"
            } else {
                "UpdateRequestValidator"
            },
            1,
        ),
        ("Authorizer", c) => add(
            if create {
                "CreateAuthorizer"
            } else if matches!(c, Change::Delete) {
                "DeleteAuthorizer"
            } else {
                "UpdateAuthorizer"
            },
            1,
        ),
        ("Resource", Change::Create) => add("CreateResource", 1),
        ("Resource", Change::Delete) => add("DeleteResource", 1),
        ("Method", c) => {
            if !create {
                add("DeleteMethod", 1);
            }
            if !matches!(c, Change::Delete)
                && let Some((path, verb)) = d.key.rsplit_once(' ')
                && let Some(m) = desired
                    .methods
                    .iter()
                    .find(|m| m.path == path && m.http_method == verb)
            {
                add("PutMethod", 1);
                add("PutMethodResponse", m.method_responses.len() as u64);
                if let Some(i) = &m.method_integration {
                    add("PutIntegration", 1);
                    add(
                        "PutIntegrationResponse",
                        i.integration_responses.len() as u64,
                    );
                }
            }
        }
        ("GatewayResponse", Change::Delete) => add("DeleteGatewayResponse", 1),
        ("GatewayResponse", _) => add("PutGatewayResponse", 1),
        ("DocumentationPart", Change::Create) => add("CreateDocumentationPart", 1),
        ("DocumentationVersion", Change::Create) => add("CreateDocumentationVersion", 1),
        ("Stage", Change::Create) => {
            add("CreateStage", 1);
            add("UpdateStage", 1);
        }
        ("Stage", Change::Update { .. }) => add("UpdateStage", 1),
        ("Stage", Change::Delete) => add("DeleteStage", 1),
        _ => {}
    }
}

/// The target APIs that carry the same name, captured.
async fn same_named(
    client: &aws_sdk_apigateway::Client,
    pacer: &Pacer,
    name: &str,
) -> Result<Vec<RestApiSnapshot>> {
    let ids: Vec<String> = list_rest_apis(client, pacer)
        .await?
        .into_iter()
        .filter(|(_, n)| n == name)
        .map(|(id, _)| id)
        .collect();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    capture_rest_apis(client, pacer, &ids, &|_| {}).await
}

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
    if opts.in_place && (target.account != source.account || target.region != source.region) {
        return Err(Error::Invalid(format!(
            "--in-place restores into the point's own source ({}), but the target is {}: drop --to-region/--to-role-arn",
            source.short(),
            target.short()
        )));
    }
    if !opts.in_place
        && target.account == source.account
        && target.region == source.region
        && opts.name_prefix.is_empty()
    {
        return Err(Error::Invalid(format!(
            "the target {} is the point's own source: use --in-place to roll the APIs back, or --name-prefix to restore beside them",
            target.short()
        )));
    }
    let client = apigateway_client(target_sdk);
    let mut apis = Vec::new();
    for api in &snap.rest_apis {
        let tag = source_tag(source, &api.api.id);
        let name = format!("{}{}", opts.name_prefix, api.api.name);
        let mut current = None;
        let mut replace_id = None;
        let candidates = if opts.in_place {
            match capture_rest_apis(&client, pacer, std::slice::from_ref(&api.api.id), &|_| {})
                .await
            {
                Ok(found) => found,
                Err(Error::NotFound(_)) => vec![],
                Err(e) => return Err(e),
            }
        } else {
            same_named(&client, pacer, &name).await?
        };
        for c in candidates {
            let ours = opts.in_place || c.api.tags.get(TAG_SOURCE) == Some(&tag);
            if ours && current.is_none() {
                current = Some(c);
            } else if !ours && opts.replace && replace_id.is_none() {
                replace_id = Some(c.api.id.clone());
            } else if !ours {
                return Err(Error::Invalid(format!(
                    "the target {} already has a REST API named '{name}' (id {}) that apigw-dr did not restore: \
                     pass --replace to delete it and restore in its place, or --name-prefix to restore beside it",
                    target.short(),
                    c.api.id
                )));
            }
        }
        let target_id = current.as_ref().map(|c| c.api.id.clone());
        let Desired {
            api: desired,
            rewrites,
            blocked,
            notes,
        } = desired_for(api, source, &target, opts, target_id.as_deref())?;
        let steps = compare(&desired, current.as_ref());
        let problems = blocked
            .iter()
            .map(|((kind, key), why)| format!("{kind} {key}: {why}"))
            .collect();
        let mut calls = BTreeMap::new();
        if replace_id.is_some() {
            calls.insert("DeleteRestApi", 1);
        }
        for s in &steps {
            step_calls(s, &desired, &mut calls);
        }
        let changes_copy = steps.iter().any(|s| !matches!(s.kind, "Stage"));
        if changes_copy && current.is_some() && !desired.stages.is_empty() {
            *calls.entry("CreateDeployment").or_insert(0) += 1;
            *calls.entry("UpdateStage").or_insert(0) += desired.stages.len() as u64;
        } else if steps
            .iter()
            .any(|s| s.kind == "Stage" && s.change == Change::Create)
        {
            *calls.entry("CreateDeployment").or_insert(0) += 1;
        }
        let called = lambda::functions_called(&desired);
        let mut notes = notes;
        for f in lambda::missing(target_sdk, &called).await? {
            notes.push(format!(
                "Lambda function {f} does not exist in the target: what calls it ({}) is restored but fails until it does",
                called[&f].join(", ")
            ));
        }
        let action = match (&current, &replace_id) {
            (Some(_), _) => "update",
            (None, Some(_)) => "replace",
            (None, None) => "create",
        };
        apis.push(ApiPlan {
            name,
            source_id: api.api.id.clone(),
            target_id,
            action,
            steps,
            rewrites,
            problems,
            notes,
            calls,
            desired,
            replace_id,
            blocked,
            functions: called.into_keys().collect(),
            source_api: api.clone(),
            current,
        });
    }
    let unsupported = snap
        .apis_v2
        .iter()
        .map(|a| {
            format!(
                "{} API {} ({}): restoring HTTP and WebSocket APIs is not available yet",
                a.api.protocol_type, a.api.name, a.api.api_id
            )
        })
        .collect();
    let mut plan = Plan {
        point: point_id.to_string(),
        source: source.clone(),
        target,
        apis,
        total_calls: 0,
        min_seconds: 0.0,
        unsupported,
        opts: opts.clone(),
    };
    let calls = plan.calls();
    plan.total_calls = calls.values().sum();
    let ops: Vec<(&str, u64)> = calls.iter().map(|(k, v)| (*k, *v)).collect();
    plan.min_seconds = crate::pacing::min_duration(&ops).as_secs_f64();
    Ok(plan)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Succeeded,
    PartiallyFailed,
    /// The deadline came first: run the job again to continue where it stopped.
    Interrupted,
}

/// What a restore did to one API, and what verify found afterwards.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiReport {
    pub name: String,
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
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Remaining {
    #[serde(flatten)]
    pub difference: Difference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explained: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    pub point: String,
    pub target: Source,
    pub outcome: Outcome,
    pub apis: Vec<ApiReport>,
    pub calls: u64,
    pub min_seconds: f64,
    pub seconds: f64,
    /// What the point holds that was not restored, with the reason.
    pub unsupported: Vec<String>,
}

/// Differences a local AWS (moto) is known to leave, by kind and field: attributed in the
/// report when the target is a custom endpoint.
const LOCAL_AWS_GAPS: &[(&str, &str, &str)] = &[
    ("RestApi", "version", "moto ignores a REST API's version"),
    ("RestApi", "binaryMediaTypes", "moto drops binaryMediaTypes"),
    (
        "DocumentationPart",
        "*",
        "moto does not implement documentation parts",
    ),
    (
        "DocumentationVersion",
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

/// Carries out the plan, then verifies. Progress lines go to `progress`. With a `deadline`,
/// stops between two steps once it has passed (outcome [`Outcome::Interrupted`]); planning
/// and applying again continues where it stopped, since the plan is what still differs.
pub async fn apply(
    plan: &Plan,
    target_sdk: &SdkConfig,
    deadline: Option<Instant>,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<RestoreReport> {
    let mut interrupted = false;
    let started = Instant::now();
    let client = apigateway_client(target_sdk);
    let pacer = Pacer::new(RetryPolicy::default());
    let local = target_sdk.endpoint_url().is_some();
    let marker = format!(
        "apigw-dr restore of point {}",
        crate::point::short(&plan.point)
    );
    let mut reports = Vec::new();
    for p in &plan.apis {
        let mut report = ApiReport {
            name: p.name.clone(),
            source_id: p.source_id.clone(),
            target_id: p.target_id.clone(),
            applied: 0,
            failed: vec![],
            remaining: vec![],
            problems: p.problems.clone(),
            notes: p.notes.clone(),
            permissions: vec![],
        };
        if let Some(old) = &p.replace_id {
            progress(format!(
                "{}: deleting the REST API {old} it replaces",
                p.name
            ));
            pacer
                .call("DeleteRestApi", || {
                    client.delete_rest_api().rest_api_id(old).send()
                })
                .await
                .map_err(|e| {
                    crate::awsconf::sdk_error(
                        &format!("deleting REST API {old} (DeleteRestApi)"),
                        e,
                    )
                })?;
        }
        let (desired, steps, current) = match &p.target_id {
            // Planning captured the target moments ago (in the same job).
            Some(id) => {
                let current = p.current.clone().ok_or_else(|| {
                    Error::Integrity(format!("the plan lost its capture of REST API {id}"))
                })?;
                (p.desired.clone(), p.steps.clone(), current)
            }
            None => {
                let tag = source_tag(&plan.source, &p.source_id);
                let (id, _root) =
                    Applier::create_api(&client, &pacer, &p.desired.api, &p.name, &tag).await?;
                progress(format!("{}: created REST API {id}", p.name));
                report.applied += 1;
                let current =
                    capture_rest_apis(&client, &pacer, std::slice::from_ref(&id), &|_| {})
                        .await?
                        .pop()
                        .ok_or_else(|| {
                            Error::NotFound(format!("the new REST API {id} cannot be read"))
                        })?;
                // Now that the API's id is known, references to it translate too.
                let desired = desired_for(
                    &p.source_api,
                    &plan.source,
                    &plan.target,
                    &plan.opts,
                    Some(&id),
                )?
                .api;
                let steps = compare(&desired, Some(&current));
                (desired, steps, current)
            }
        };
        report.target_id = Some(current.api.id.clone());
        let mut applier = Applier::new(&client, &pacer, &current, marker.clone());
        let total = steps.len();
        for (i, step) in steps.iter().enumerate() {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                progress(format!(
                    "{}: stopping after {i}/{total} steps; the job continues in the next run",
                    p.name
                ));
                interrupted = true;
                break;
            }
            if step.change != Change::Delete
                && let Some(why) = p.blocked.get(&(step.kind, step.key.clone()))
            {
                report
                    .failed
                    .push(format!("{} {}: not restored: {why}", step.kind, step.key));
                continue;
            }
            match applier.apply(step, &desired).await {
                Ok(()) => report.applied += 1,
                Err(e) => report
                    .failed
                    .push(format!("{} {}: {e}", step.kind, step.key)),
            }
            if (i + 1) % 50 == 0 || i + 1 == total {
                progress(format!("{}: {}/{} steps", p.name, i + 1, total));
            }
        }
        if interrupted {
            reports.push(report);
            break;
        }
        // Stages serve deployments, not the working copy: after any change to the working
        // copy, every existing stage is pointed at a deployment of the restored copy.
        let copy_changed = steps.iter().any(|s| s.kind != "Stage");
        if copy_changed {
            for s in &desired.stages {
                let created_now = steps.iter().any(|d| {
                    d.kind == "Stage" && d.key == s.stage_name && d.change == Change::Create
                });
                if !created_now && let Err(e) = applier.point_stage(&s.stage_name).await {
                    report.failed.push(format!("Stage {}: {e}", s.stage_name));
                }
            }
        }
        // API Gateway needs leave to invoke the functions the API calls (those that exist).
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
        let (granted, failed) =
            lambda::grant(target_sdk, &present, &applier.api_id, &plan.target).await;
        report.permissions = granted;
        report.failed.extend(failed);
        let after = capture_rest_apis(
            &client,
            &pacer,
            std::slice::from_ref(&applier.api_id),
            &|_| {},
        )
        .await?
        .pop();
        report.remaining = compare(&desired, after.as_ref())
            .into_iter()
            .map(|d| Remaining {
                explained: explain(&d, local),
                difference: d,
            })
            .collect();
        reports.push(report);
    }
    let unexplained = !plan.unsupported.is_empty()
        || reports
            .iter()
            .any(|r| !r.failed.is_empty() || r.remaining.iter().any(|d| d.explained.is_none()));
    Ok(RestoreReport {
        point: plan.point.clone(),
        target: plan.target.clone(),
        outcome: if interrupted {
            Outcome::Interrupted
        } else if unexplained {
            Outcome::PartiallyFailed
        } else {
            Outcome::Succeeded
        },
        apis: reports,
        calls: pacer.total_calls(),
        min_seconds: plan.min_seconds,
        seconds: started.elapsed().as_secs_f64(),
        unsupported: plan.unsupported.clone(),
    })
}

/// The shortest time the quotas allow for a plan's calls.
pub fn quota_floor(calls: &BTreeMap<&'static str, u64>) -> Duration {
    let ops: Vec<(&str, u64)> = calls.iter().map(|(k, v)| (*k, *v)).collect();
    crate::pacing::min_duration(&ops)
}

/// The differences of each API between a point and what is there now, or another point:
/// `(API name, differences that restoring `point` would undo)`. With `against` = None, the
/// point's APIs are captured live from `live_sdk` (the point's source, by API id; an API
/// that is gone shows as wholly missing).
pub async fn diff(
    point: &Snapshot,
    against: Option<&Snapshot>,
    live_sdk: Option<&SdkConfig>,
) -> Result<Vec<(String, Vec<Difference>)>> {
    let mut out = Vec::new();
    let mut current: Vec<RestApiSnapshot> = match (against, live_sdk) {
        (Some(other), _) => other.rest_apis.clone(),
        (None, Some(sdk)) => {
            let client = apigateway_client(sdk);
            let pacer = Pacer::default();
            let ids: std::collections::BTreeSet<String> = list_rest_apis(&client, &pacer)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            let wanted: Vec<String> = point
                .rest_apis
                .iter()
                .map(|a| a.api.id.clone())
                .filter(|id| ids.contains(id))
                .collect();
            if wanted.is_empty() {
                vec![]
            } else {
                capture_rest_apis(&client, &pacer, &wanted, &|_| {}).await?
            }
        }
        (None, None) => {
            return Err(Error::Invalid(
                "diff needs another point or a live source".into(),
            ));
        }
    };
    for api in &point.rest_apis {
        let pos = current
            .iter()
            .position(|c| c.api.id == api.api.id)
            .or_else(|| current.iter().position(|c| c.api.name == api.api.name));
        let other = pos.map(|i| current.remove(i));
        out.push((api.api.name.clone(), compare(api, other.as_ref())));
    }
    for extra in current {
        if against.is_some() {
            let gone = compare(&RestApiSnapshot::default(), Some(&extra))
                .into_iter()
                .filter(|d| d.kind != "RestApi")
                .collect::<Vec<_>>();
            out.push((extra.api.name.clone(), gone));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::v1::{EndpointConfiguration, RestApi};

    fn src(account: &str, region: &str) -> Source {
        Source {
            partition: "aws".into(),
            account: account.into(),
            region: region.into(),
        }
    }

    fn edge_api() -> RestApiSnapshot {
        RestApiSnapshot {
            api: RestApi {
                id: "a1".into(),
                name: "orders".into(),
                endpoint_configuration: Some(EndpointConfiguration {
                    types: vec!["EDGE".into()],
                    ..Default::default()
                }),
                policy: Some(
                    r#"{"Resource":"arn:aws:execute-api:us-east-1:111111111111:a1/*"}"#.into(),
                ),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn edge_apis_come_back_regional_unless_told() {
        let (s, t) = (
            src("111111111111", "us-east-1"),
            src("222222222222", "us-west-2"),
        );
        let d = desired_for(&edge_api(), &s, &t, &RestoreOptions::default(), None).unwrap();
        assert_eq!(
            d.api.api.endpoint_configuration.unwrap().types,
            ["REGIONAL"]
        );
        assert!(d.notes.iter().any(|n| n.contains("edge-optimized")));
        let keep = RestoreOptions {
            keep_edge: true,
            ..Default::default()
        };
        let d = desired_for(&edge_api(), &s, &t, &keep, None).unwrap();
        assert_eq!(d.api.api.endpoint_configuration.unwrap().types, ["EDGE"]);
    }

    #[test]
    fn the_policy_follows_the_api_to_its_new_id_and_place() {
        let (s, t) = (
            src("111111111111", "us-east-1"),
            src("222222222222", "us-west-2"),
        );
        let d = desired_for(&edge_api(), &s, &t, &RestoreOptions::default(), Some("b2")).unwrap();
        assert_eq!(
            d.api.api.policy.as_deref(),
            Some(r#"{"Resource":"arn:aws:execute-api:us-west-2:222222222222:b2/*"}"#)
        );
        let prefixed = RestoreOptions {
            name_prefix: "dr-".into(),
            ..Default::default()
        };
        assert_eq!(
            desired_for(&edge_api(), &s, &t, &prefixed, None)
                .unwrap()
                .api
                .api
                .name,
            "dr-orders"
        );
    }
}
