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

mod children;
pub mod difference;
pub mod estate;
pub mod kind;
pub mod lambda;
pub mod once;
#[cfg(test)]
mod once_tests;
pub mod rest;
pub mod v2;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use serde::{Deserialize, Serialize};

use crate::capture::{apigateway_client, capture_rest_apis, list_rest_apis};
use crate::model::v1::RestApiSnapshot;
use crate::model::v2::ApiSnapshot;
use crate::model::{Entry, Snapshot, Source};
use crate::pacing::{Pacer, RetryPolicy};
use crate::translate::{self, Mapping};
use crate::{Error, Result};
use difference::TAG_SOURCE;
pub use difference::{Change, Difference};
pub use kind::Kind;
use rest::{Applier, compare};
use v2::ApplierV2;

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
    /// Source id -> target id of API Gateway resources restored before the APIs (VPC links,
    /// ...): references to them are translated.
    pub ids: BTreeMap<String, String>,
    /// Opens the point's sealed API key values (needed when the point holds API keys).
    pub sealer: Option<std::sync::Arc<crate::secret::Sealer>>,
    /// What the selection brought in by closure, and why (for the plan).
    pub selection: Vec<String>,
}

/// What will be done to one API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiPlan {
    /// `REST`, `HTTP` or `WEBSOCKET`.
    pub protocol: String,
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
    body: Body,
    #[serde(skip)]
    replace_id: Option<String>,
    #[serde(skip)]
    blocked: BTreeMap<(Kind, String), String>,
}

/// One API of a plan: as the target must hold it (`desired`), as the point holds it
/// (`source_api`, before translation), and the target API as planning captured it.
#[derive(Debug, Clone)]
enum Body {
    Rest {
        desired: RestApiSnapshot,
        source_api: RestApiSnapshot,
        current: Option<RestApiSnapshot>,
    },
    V2 {
        desired: ApiSnapshot,
        source_api: ApiSnapshot,
        current: Option<ApiSnapshot>,
    },
}

impl ApiPlan {
    /// `REST API`, `HTTP API` or `WEBSOCKET API`.
    pub fn what(&self) -> String {
        format!("{} API", self.protocol)
    }
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
    /// The estate around the APIs (domains, mappings, VPC links, usage plans, keys...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estate: Option<estate::EstatePlan>,
    /// What came in by closure over the dependencies, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selection: Vec<String>,
    /// What the point lacks (its capture did not take it), so no restore can bring it back.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lacks: Vec<crate::model::Gap>,
    #[serde(skip)]
    opts: RestoreOptions,
    #[serde(skip)]
    snap_estate: crate::model::estate::Estate,
    /// The target's estate as planning captured it.
    #[serde(skip)]
    estate_current: crate::model::estate::Estate,
}

impl Plan {
    pub fn calls(&self) -> BTreeMap<&'static str, u64> {
        let mut all = BTreeMap::new();
        for a in &self.apis {
            for (op, n) in &a.calls {
                *all.entry(*op).or_insert(0) += n;
            }
        }
        for (op, n) in self.estate.iter().flat_map(|e| &e.calls) {
            *all.entry(*op).or_insert(0) += n;
        }
        all.retain(|_, n| *n > 0);
        all
    }
}

/// The tag value naming a source API.
fn source_tag(source: &Source, api_id: &str) -> String {
    format!("{}/{}/{}", source.account, source.region, api_id)
}

/// One API of the point as the target must hold it.
struct Desired<A> {
    api: A,
    rewrites: Vec<String>,
    /// Items that hold a reference translation could not handle, with the reason: they are
    /// not restored (and what depends on them fails with a clear message).
    blocked: BTreeMap<(Kind, String), String>,
    notes: Vec<String>,
}

/// Translates one API's objects for the target (REST and HTTP/WebSocket alike). `keys` names
/// each object by (kind, natural key); `api_id` is the API's source id and `target_id` its
/// target id once known, so references to the API itself (execute-api ARNs and URLs in the
/// policy, stage variables, templates) follow it; `own` is the API object's (kind, id field),
/// set to the target id so the objects still group under their API; `tie` is the pointer
/// that ties a child object to its API (not listed as a rewrite).
#[allow(clippy::too_many_arguments)]
fn translate_api(
    mut entries: Vec<Entry>,
    keys: &BTreeMap<String, (Kind, String)>,
    source: &Source,
    target: &Source,
    opts: &RestoreOptions,
    api_id: &str,
    target_id: Option<&str>,
    (own_kind, own_field): (Kind, &str),
    tie: &str,
) -> Desired<Vec<Entry>> {
    let mut ids = opts.ids.clone();
    if let Some(t) = target_id {
        ids.insert(api_id.to_string(), t.to_string());
    }
    let ctx = translate::Context {
        source: source.clone(),
        target: target.clone(),
        mapping: opts.mapping.clone().unwrap_or_else(Mapping::empty),
        ids,
    };
    let report = translate::translate_entries(&mut entries, &ctx);
    if let Some(t) = target_id {
        for e in entries.iter_mut().filter(|e| e.kind == own_kind.as_str()) {
            e.value[own_field] = serde_json::Value::String(t.to_string());
        }
    }
    // Ids the target does not have yet are resolved by name as the restore goes: not listed.
    let rewrites = report
        .rewrites
        .iter()
        .filter(|r| r.pointer != tie)
        .map(|r| {
            format!(
                "{} {}: {} -> {} ({})",
                r.object, r.pointer, r.from, r.to, r.rule
            )
        })
        .collect();
    let mut blocked: BTreeMap<(Kind, String), String> = BTreeMap::new();
    for p in &report.problems {
        let why = format!("{}: cannot translate {} ({})", p.pointer, p.value, p.why);
        if let Some(k) = keys.get(&p.object) {
            blocked.entry(k.clone()).or_insert(why);
        }
    }
    Desired {
        api: entries,
        rewrites,
        blocked,
        notes: vec![],
    }
}

fn desired_for(
    api: &RestApiSnapshot,
    source: &Source,
    target: &Source,
    opts: &RestoreOptions,
    target_id: Option<&str>,
) -> Result<Desired<RestApiSnapshot>> {
    let mut entries = Vec::new();
    api.explode(&mut entries)?;
    let keys: BTreeMap<String, (Kind, String)> = entries
        .iter()
        .filter_map(|e| Some((e.id.clone(), rest::natural_key(e)?)))
        .collect();
    let t = translate_api(
        entries,
        &keys,
        source,
        target,
        opts,
        &api.api.id,
        target_id,
        (Kind::RestApi, "id"),
        "/restApiId",
    );
    let mut desired = RestApiSnapshot::assemble(t.api)?
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
    Ok(Desired {
        api: desired,
        rewrites: t.rewrites,
        blocked: t.blocked,
        notes,
    })
}

fn desired_for_v2(
    api: &ApiSnapshot,
    source: &Source,
    target: &Source,
    opts: &RestoreOptions,
    target_id: Option<&str>,
) -> Result<Desired<ApiSnapshot>> {
    let mut entries = Vec::new();
    api.explode(&mut entries)?;
    let keys = v2::natural_keys(api, &api.api.name);
    let t = translate_api(
        entries,
        &keys,
        source,
        target,
        opts,
        &api.api.api_id,
        target_id,
        (Kind::Api, "apiId"),
        "/apiId",
    );
    let mut desired = ApiSnapshot::assemble(t.api)?
        .pop()
        .ok_or_else(|| Error::Integrity("translation lost the API".into()))?;
    desired.api.name = format!("{}{}", opts.name_prefix, desired.api.name);
    Ok(Desired {
        api: desired,
        rewrites: t.rewrites,
        blocked: t.blocked,
        notes: vec![],
    })
}

/// Whether the target's API `(id, name)` may be the copy of the point's API `source_id`: the
/// same API in place, else one with the restored name.
fn is_candidate(opts: &RestoreOptions, source_id: &str, name: &str, target: (&str, &str)) -> bool {
    if opts.in_place {
        target.0 == source_id
    } else {
        target.1 == name
    }
}

/// The ids of the listed target APIs that may be the copy of one of `apis` (source id,
/// restored name): captured together, once.
fn candidate_ids<'a>(
    opts: &RestoreOptions,
    apis: &[(String, String)],
    listed: impl Iterator<Item = (&'a str, &'a str)>,
) -> Vec<String> {
    listed
        .filter(|t| {
            apis.iter()
                .any(|(id, name)| is_candidate(opts, id, name, *t))
        })
        .map(|(id, _)| id.to_string())
        .collect()
}

/// Of the target's APIs that carry the restored name (or, in place, the source's id), the one
/// this tool restored before (`ours`), and the one `--replace` deletes first. Any other is
/// refused: a same-named API that apigw-dr did not make is never touched unless told.
fn pick_target<T>(
    candidates: Vec<T>,
    id_ours: impl Fn(&T) -> (String, bool),
    opts: &RestoreOptions,
    what: &str,
    name: &str,
    target: &Source,
) -> Result<(Option<T>, Option<String>, Option<Difference>)> {
    let (mut current, mut replace_id) = (None, None);
    let mut copies = vec![];
    for c in candidates {
        let (id, ours) = id_ours(&c);
        let ours = opts.in_place || ours;
        if ours {
            copies.push(id.clone());
        }
        if ours && current.is_none() {
            current = Some(c);
        } else if ours {
            // A second copy of this restore (its create sent twice): reported below.
        } else if !ours && opts.replace && replace_id.is_none() {
            replace_id = Some(id);
        } else if !ours {
            return Err(Error::Invalid(format!(
                "the target {} already has {what} named '{name}' (id {id}) that apigw-dr did not restore: \
                 pass --replace to delete it and restore in its place, or --name-prefix to restore beside it",
                target.short(),
            )));
        }
    }
    let kind = if what == "a REST API" {
        Kind::RestApi
    } else {
        Kind::Api
    };
    let duplicate =
        (copies.len() > 1).then(|| Difference::new(kind, "", Change::Duplicate { ids: copies }));
    Ok((current, replace_id, duplicate))
}

/// One API's plan, with the Lambda functions it calls checked in the target.
#[allow(clippy::too_many_arguments)]
async fn api_plan<A>(
    target_sdk: &SdkConfig,
    protocol: &str,
    name: String,
    source_id: &str,
    target_id: Option<String>,
    replace_id: Option<String>,
    steps: Vec<Difference>,
    d: Desired<A>,
    mut calls: BTreeMap<&'static str, u64>,
    called: BTreeMap<String, Vec<String>>,
    body: Body,
) -> Result<ApiPlan> {
    if replace_id.is_some() {
        let op = if protocol == "REST" {
            "DeleteRestApi"
        } else {
            "DeleteApi"
        };
        calls.insert(op, 1);
    }
    let problems = d
        .blocked
        .iter()
        .map(|((kind, key), why)| format!("{kind} {key}: {why}"))
        .collect();
    let mut notes = d.notes;
    for f in lambda::missing(target_sdk, &called).await? {
        notes.push(format!(
            "Lambda function {f} does not exist in the target: what calls it ({}) is restored but fails until it does",
            called[&f].join(", ")
        ));
    }
    let action = match (&target_id, &replace_id) {
        (Some(_), _) => "update",
        (None, Some(_)) => "replace",
        (None, None) => "create",
    };
    Ok(ApiPlan {
        protocol: protocol.to_string(),
        name,
        source_id: source_id.to_string(),
        target_id,
        action,
        steps,
        rewrites: d.rewrites,
        problems,
        notes,
        calls,
        functions: called.into_keys().collect(),
        body,
        replace_id,
        blocked: d.blocked,
    })
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
    let client = apigateway_client(target_sdk);
    let mut apis = Vec::new();
    let restored = |id: &str, name: &str| (id.to_string(), format!("{}{name}", opts.name_prefix));
    // The target's APIs that may be copies: listed once, captured together.
    let found = if snap.rest_apis.is_empty() {
        vec![]
    } else {
        let listed = list_rest_apis(&client, pacer).await?;
        let points: Vec<(String, String)> = snap
            .rest_apis
            .iter()
            .map(|a| restored(&a.api.id, &a.api.name))
            .collect();
        let ids = candidate_ids(
            opts,
            &points,
            listed.iter().map(|(i, n)| (i.as_str(), n.as_str())),
        );
        if ids.is_empty() {
            vec![]
        } else {
            capture_rest_apis(&client, pacer, &ids, &|_| {}).await?
        }
    };
    for api in &snap.rest_apis {
        let tag = source_tag(source, &api.api.id);
        let name = format!("{}{}", opts.name_prefix, api.api.name);
        let candidates: Vec<RestApiSnapshot> = found
            .iter()
            .filter(|c| is_candidate(opts, &api.api.id, &name, (&c.api.id, &c.api.name)))
            .cloned()
            .collect();
        let (current, replace_id, duplicate) = pick_target(
            candidates,
            |c| (c.api.id.clone(), c.api.tags.get(TAG_SOURCE) == Some(&tag)),
            opts,
            "a REST API",
            &name,
            &target,
        )?;
        let target_id = current.as_ref().map(|c| c.api.id.clone());
        let d = desired_for(api, source, &target, opts, target_id.as_deref())?;
        let mut steps = compare(&d.api, current.as_ref());
        steps.extend(duplicate);
        let mut calls = BTreeMap::new();
        for s in &steps {
            rest::step_calls(s, &d.api, &mut calls);
        }
        let changes_copy = steps
            .iter()
            .any(|s| !matches!(s.kind, Kind::Stage) && !s.is_duplicate());
        if changes_copy && current.is_some() && !d.api.stages.is_empty() {
            *calls.entry("CreateDeployment").or_insert(0) += 1;
            *calls.entry("UpdateStage").or_insert(0) += d.api.stages.len() as u64;
        } else if steps
            .iter()
            .any(|s| s.kind == Kind::Stage && s.change == Change::Create)
        {
            *calls.entry("CreateDeployment").or_insert(0) += 1;
        }
        let called = lambda::functions_called(&d.api);
        let body = Body::Rest {
            desired: d.api.clone(),
            source_api: api.clone(),
            current,
        };
        apis.push(
            api_plan(
                target_sdk,
                "REST",
                name,
                &api.api.id,
                target_id,
                replace_id,
                steps,
                d,
                calls,
                called,
                body,
            )
            .await?,
        );
    }
    if !snap.apis_v2.is_empty() {
        let client2 = crate::capture::v2::client(target_sdk);
        let listed = crate::capture::v2::list_apis(&client2, pacer).await?;
        let points: Vec<(String, String)> = snap
            .apis_v2
            .iter()
            .map(|a| restored(&a.api.api_id, &a.api.name))
            .collect();
        let ids = candidate_ids(
            opts,
            &points,
            listed.iter().map(|(i, n, _)| (i.as_str(), n.as_str())),
        );
        let found = if ids.is_empty() {
            vec![]
        } else {
            crate::capture::v2::capture_apis(&client2, pacer, &ids, &|_| {}).await?
        };
        for api in &snap.apis_v2 {
            let tag = source_tag(source, &api.api.api_id);
            let name = format!("{}{}", opts.name_prefix, api.api.name);
            let candidates: Vec<ApiSnapshot> = found
                .iter()
                .filter(|c| {
                    is_candidate(opts, &api.api.api_id, &name, (&c.api.api_id, &c.api.name))
                })
                .cloned()
                .collect();
            let (current, replace_id, duplicate) = pick_target(
                candidates,
                |c| {
                    (
                        c.api.api_id.clone(),
                        c.api.tags.get(TAG_SOURCE) == Some(&tag),
                    )
                },
                opts,
                &format!("an {} API", api.api.protocol_type),
                &name,
                &target,
            )?;
            let target_id = current.as_ref().map(|c| c.api.api_id.clone());
            let d = desired_for_v2(api, source, &target, opts, target_id.as_deref())?;
            let mut steps = v2::compare(&d.api, current.as_ref());
            steps.extend(duplicate);
            let mut calls = BTreeMap::new();
            for s in &steps {
                v2::step_calls(s, &d.api, &mut calls);
            }
            if steps.iter().any(|s| !s.is_duplicate()) {
                let manual = d.api.stages.iter().filter(|s| !s.auto_deploy).count() as u64;
                if manual > 0 {
                    calls.insert("CreateDeployment", manual);
                }
            }
            let called = v2::functions_called(&d.api);
            let body = Body::V2 {
                desired: d.api.clone(),
                source_api: api.clone(),
                current,
            };
            apis.push(
                api_plan(
                    target_sdk,
                    &api.api.protocol_type,
                    name,
                    &api.api.api_id,
                    target_id,
                    replace_id,
                    steps,
                    d,
                    calls,
                    called,
                    body,
                )
                .await?,
            );
        }
    }
    let unsupported = vec![];
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
    let mut plan = Plan {
        point: point_id.to_string(),
        source: source.clone(),
        target,
        apis,
        total_calls: 0,
        min_seconds: 0.0,
        unsupported,
        estate,
        selection: opts.selection.clone(),
        lacks: snap.gaps.clone(),
        opts: opts.clone(),
        snap_estate: snap.estate.clone(),
        estate_current,
    };
    let calls = plan.calls();
    plan.total_calls = calls.values().sum();
    let ops: Vec<(&str, u64)> = calls.iter().map(|(k, v)| (*k, *v)).collect();
    plan.min_seconds = crate::pacing::min_duration(&ops).as_secs_f64();
    Ok(plan)
}

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
    /// Steps a local target could not carry out because it lacks the operation.
    #[serde(skip)]
    gaps: BTreeMap<(Kind, String), String>,
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
    let client2 = crate::capture::v2::client(target_sdk);
    let pacer = Pacer::new(RetryPolicy::default());
    let local = target_sdk.endpoint_url().is_some();
    let marker = format!(
        "apigw-dr restore of point {}",
        crate::model::short(&plan.point)
    );
    // The estate the APIs name comes first: VPC links, client certificates, API keys.
    // The estate, when the point holds one, with the keyring that opens its key values.
    let estate_keys = match (&plan.estate, &plan.opts.sealer) {
        (Some(ep), Some(sealer)) => Some((ep, sealer.clone())),
        (Some(_), None) => return Err(no_keyring()),
        (None, _) => None,
    };
    let mut ereport = estate::EstateReport::default();
    let mut eapp = estate_keys
        .as_ref()
        .map(|(_, sealer)| estate::EstateApplier {
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
    if let (Some((ep, _)), Some(eapp)) = (&estate_keys, eapp.as_mut()) {
        let before: Vec<Difference> = ep
            .steps
            .iter()
            .filter(|d| d.kind.phase() == kind::Phase::BeforeApis)
            .cloned()
            .collect();
        Box::pin(estate::run_steps(
            eapp,
            &before,
            &ep.desired,
            &ep.blocked,
            &mut ereport,
            local,
            progress,
        ))
        .await;
        // Links an earlier run made may still be on their way.
        if let Err(e) = eapp.wait_for_links(&ep.desired).await {
            ereport.failed.push(e.to_string());
        }
        if eapp.out_of_time {
            progress(
                "estate: a new VPC link is not available yet; the job continues in the next run"
                    .into(),
            );
            interrupted = true;
        }
    }
    let mut run_opts = plan.opts.clone();
    if let Some(eapp) = &eapp {
        run_opts.ids.clone_from(&eapp.ids);
    }
    let mut reports = Vec::new();
    // Out of time already: the APIs wait for the next run.
    let apis: &[ApiPlan] = if interrupted { &[] } else { &plan.apis };
    for p in apis {
        let run = Run {
            opts: &run_opts,
            plan,
            pacer: &pacer,
            marker: &marker,
            deadline,
            progress,
            local,
        };
        let (report, stopped) = match &p.body {
            Body::Rest { .. } => Box::pin(apply_rest(&run, p, &client)).await?,
            Body::V2 { .. } => Box::pin(apply_v2(&run, p, &client2)).await?,
        };
        let mut report = report;
        if !stopped {
            grant(plan, p, target_sdk, &mut report).await;
        }
        reports.push(report);
        if stopped {
            interrupted = true;
            break;
        }
    }
    // Then what names the APIs: usage plans, domains and their mappings, the account.
    let estate_report = match (&estate_keys, eapp) {
        (Some((_, sealer)), Some(mut eapp)) if !interrupted => {
            for r in &reports {
                if let Some(t) = &r.target_id {
                    eapp.ids.insert(r.source_id.clone(), t.clone());
                }
            }
            let Desired {
                api: desired,
                blocked,
                ..
            } = estate::desired(
                &plan.snap_estate,
                &plan.source,
                &plan.target,
                plan.opts.mapping.as_ref(),
                &eapp.ids,
                plan.opts.keep_edge,
            )?;
            let after = [kind::Phase::AfterApis];
            let steps = estate::compare(&desired, &eapp.current, sealer, &after).await?;
            Box::pin(estate::run_steps(
                &mut eapp,
                &steps,
                &desired,
                &blocked,
                &mut ereport,
                local,
                progress,
            ))
            .await;
            let after = Box::pin(crate::capture::estate::capture_estate(
                target_sdk,
                &pacer,
                sealer,
                &|_| {},
            ))
            .await?;
            let diffs = estate::compare(&desired, &after, sealer, estate::ESTATE).await?;
            ereport.remaining = remaining(diffs, &ereport.gaps, local);
            ereport.new_certificates = eapp.new_certificates.clone();
            Some(ereport)
        }
        (Some(_), _) => Some(ereport),
        (None, _) => None,
    };
    let unexplained = !plan.unsupported.is_empty()
        || reports
            .iter()
            .any(|r| !r.failed.is_empty() || r.remaining.iter().any(|d| d.explained.is_none()))
        || estate_report.as_ref().is_some_and(|e| {
            !e.failed.is_empty() || e.remaining.iter().any(|d| d.explained.is_none())
        });
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
        estate: estate_report,
        lacks: plan.lacks.clone(),
    })
}

/// A point with an estate needs the keyring that opens its API key values (jobs give the
/// store's own).
fn no_keyring() -> Error {
    Error::Invalid(
        "the point holds account-level resources, whose API key values need the store's keyring: set RestoreOptions::sealer".into(),
    )
}

/// The applier of one API, REST or HTTP/WebSocket, with the API as the target must hold it.
enum Target<'a> {
    Rest(Applier<'a>, RestApiSnapshot),
    V2(ApplierV2<'a>, ApiSnapshot),
}

impl Target<'_> {
    async fn step(&mut self, d: &Difference) -> Result<()> {
        match self {
            Target::Rest(a, desired) => a.apply(d, desired).await,
            Target::V2(a, desired) => a.apply(d, desired).await,
        }
    }
}

fn new_report(p: &ApiPlan) -> ApiReport {
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
        gaps: BTreeMap::new(),
    }
}

/// Runs the steps in order until done or the deadline; true when the deadline stopped it.
async fn run_steps(
    run: &Run<'_>,
    p: &ApiPlan,
    target: &mut Target<'_>,
    steps: &[Difference],
    report: &mut ApiReport,
) -> bool {
    let Run {
        deadline,
        progress,
        local,
        ..
    } = *run;
    let total = steps.len();
    for (i, step) in steps.iter().enumerate() {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            progress(format!(
                "{}: stopping after {i}/{total} steps; the job continues in the next run",
                p.name
            ));
            return true;
        }
        if let Some(line) = step.duplicate_line() {
            report.failed.push(line);
            continue;
        }
        if step.change != Change::Delete
            && let Some(why) = p.blocked.get(&(step.kind, step.key.clone()))
        {
            report
                .failed
                .push(format!("{} {}: not restored: {why}", step.kind, step.key));
            continue;
        }
        match target.step(step).await {
            Ok(()) => report.applied += 1,
            Err(Error::Unimplemented(m)) if local => {
                report.gaps.insert((step.kind, step.key.clone()), m);
            }
            Err(e) => report
                .failed
                .push(format!("{} {}: {e}", step.kind, step.key)),
        }
        if (i + 1) % 50 == 0 || i + 1 == total {
            progress(format!("{}: {}/{} steps", p.name, i + 1, total));
        }
    }
    false
}

/// What verify found: each difference, explained where a known limit of a local target (or
/// an operation it lacked during the apply) explains it.
fn remaining(
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

/// Lets API Gateway invoke the functions the API calls (those that exist in the target).
async fn grant(plan: &Plan, p: &ApiPlan, target_sdk: &SdkConfig, report: &mut ApiReport) {
    let Some(api_id) = report.target_id.clone() else {
        return;
    };
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
    let (granted, failed) = lambda::grant(target_sdk, &present, &api_id, &plan.target).await;
    report.permissions = granted;
    report.failed.extend(failed);
}

/// What every API's apply shares within one run.
struct Run<'a> {
    plan: &'a Plan,
    /// The plan's options with the ids of what this run made before the APIs.
    opts: &'a RestoreOptions,
    pacer: &'a Pacer,
    marker: &'a str,
    deadline: Option<Instant>,
    progress: &'a (dyn Fn(String) + Send + Sync),
    local: bool,
}

/// Restores one REST API: create it if needed, apply the steps, point the stages at a
/// deployment of the restored copy, verify. True when the deadline stopped it.
async fn apply_rest(
    run: &Run<'_>,
    p: &ApiPlan,
    client: &aws_sdk_apigateway::Client,
) -> Result<(ApiReport, bool)> {
    let Run {
        plan,
        pacer,
        marker,
        progress,
        local,
        ..
    } = *run;
    let Body::Rest {
        desired,
        source_api,
        current,
    } = &p.body
    else {
        return Err(Error::Integrity(
            "a REST API plan without a REST API".into(),
        ));
    };
    let mut report = new_report(p);
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
                crate::awsconf::sdk_error(&format!("deleting REST API {old} (DeleteRestApi)"), e)
            })?;
    }
    let (desired, steps, current) = match &p.target_id {
        // Planning captured the target moments ago (in the same job).
        Some(id) => {
            let current = current.clone().ok_or_else(|| {
                Error::Integrity(format!("the plan lost its capture of REST API {id}"))
            })?;
            (desired.clone(), p.steps.clone(), current)
        }
        None => {
            let tag = source_tag(&plan.source, &p.source_id);
            let (id, _root) =
                Applier::create_api(client, pacer, &desired.api, &p.name, &tag).await?;
            progress(format!("{}: created REST API {id}", p.name));
            report.applied += 1;
            let current = capture_rest_apis(client, pacer, std::slice::from_ref(&id), &|_| {})
                .await?
                .pop()
                .ok_or_else(|| Error::NotFound(format!("the new REST API {id} cannot be read")))?;
            // Now that the API's id is known, references to it translate too.
            let desired =
                desired_for(source_api, &plan.source, &plan.target, run.opts, Some(&id))?.api;
            let steps = compare(&desired, Some(&current));
            (desired, steps, current)
        }
    };
    report.target_id = Some(current.api.id.clone());
    let applier = Applier::new(client, pacer, &current, marker.to_string());
    let mut target = Target::Rest(applier, desired);
    if run_steps(run, p, &mut target, &steps, &mut report).await {
        return Ok((report, true));
    }
    let Target::Rest(mut applier, desired) = target else {
        unreachable!("made as Rest above")
    };
    // Stages serve deployments, not the working copy: after any change to the working
    // copy, every existing stage is pointed at a deployment of the restored copy.
    let copy_changed = steps
        .iter()
        .any(|s| s.kind != Kind::Stage && !s.is_duplicate());
    if copy_changed {
        for s in &desired.stages {
            let created_now = steps.iter().any(|d| {
                d.kind == Kind::Stage && d.key == s.stage_name && d.change == Change::Create
            });
            if !created_now && let Err(e) = applier.point_stage(&s.stage_name).await {
                report.failed.push(format!("Stage {}: {e}", s.stage_name));
            }
        }
    }
    let after = capture_rest_apis(
        client,
        pacer,
        std::slice::from_ref(&applier.api_id),
        &|_| {},
    )
    .await?
    .pop();
    report.remaining = remaining(compare(&desired, after.as_ref()), &report.gaps, local);
    Ok((report, false))
}

/// Restores one HTTP or WebSocket API: create it if needed, apply the steps, deploy the
/// stages that do not deploy themselves, verify. True when the deadline stopped it.
async fn apply_v2(
    run: &Run<'_>,
    p: &ApiPlan,
    client: &aws_sdk_apigatewayv2::Client,
) -> Result<(ApiReport, bool)> {
    let Run {
        plan,
        pacer,
        marker,
        progress,
        local,
        ..
    } = *run;
    let Body::V2 {
        desired,
        source_api,
        current,
    } = &p.body
    else {
        return Err(Error::Integrity(
            "an HTTP API plan without an HTTP API".into(),
        ));
    };
    let mut report = new_report(p);
    let what = p.what();
    if let Some(old) = &p.replace_id {
        progress(format!("{}: deleting the {what} {old} it replaces", p.name));
        pacer
            .call("DeleteApi", || client.delete_api().api_id(old).send())
            .await
            .map_err(|e| {
                crate::awsconf::sdk_error(&format!("deleting {what} {old} (DeleteApi)"), e)
            })?;
    }
    let capture = |id: String| async move {
        crate::capture::v2::capture_apis(client, pacer, std::slice::from_ref(&id), &|_| {})
            .await
            .map(|mut v| v.pop())
    };
    let (desired, steps, current) = match &p.target_id {
        Some(id) => {
            let current = current.clone().ok_or_else(|| {
                Error::Integrity(format!("the plan lost its capture of {what} {id}"))
            })?;
            (desired.clone(), p.steps.clone(), current)
        }
        None => {
            let tag = source_tag(&plan.source, &p.source_id);
            let id = ApplierV2::create_api(client, pacer, &desired.api, &p.name, &tag).await?;
            progress(format!("{}: created {what} {id}", p.name));
            report.applied += 1;
            let current = capture(id.clone())
                .await?
                .ok_or_else(|| Error::NotFound(format!("the new {what} {id} cannot be read")))?;
            let desired =
                desired_for_v2(source_api, &plan.source, &plan.target, run.opts, Some(&id))?.api;
            let steps = v2::compare(&desired, Some(&current));
            (desired, steps, current)
        }
    };
    report.target_id = Some(current.api.api_id.clone());
    let applier = ApplierV2::new(client, pacer, &current);
    let mut target = Target::V2(applier, desired);
    if run_steps(run, p, &mut target, &steps, &mut report).await {
        return Ok((report, true));
    }
    let Target::V2(applier, desired) = target else {
        unreachable!("made as V2 above")
    };
    if steps.iter().any(|s| !s.is_duplicate()) {
        for s in desired.stages.iter().filter(|s| !s.auto_deploy) {
            match applier.deploy(&s.stage_name, marker).await {
                Ok(()) => {}
                Err(Error::Unimplemented(m)) if local => {
                    report
                        .notes
                        .push(format!("stage {} not deployed: {m}", s.stage_name));
                }
                Err(e) => report.failed.push(format!("StageV2 {}: {e}", s.stage_name)),
            }
        }
    }
    let after = capture(applier.api_id.clone()).await?;
    report.remaining = remaining(v2::compare(&desired, after.as_ref()), &report.gaps, local);
    Ok((report, false))
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
                .filter(|d| d.kind != Kind::RestApi)
                .collect::<Vec<_>>();
            out.push((extra.api.name.clone(), gone));
        }
    }
    // HTTP and WebSocket APIs, the same way.
    let mut current: Vec<ApiSnapshot> = match (against, live_sdk) {
        (Some(other), _) => other.apis_v2.clone(),
        (None, Some(sdk)) if !point.apis_v2.is_empty() => {
            let client = crate::capture::v2::client(sdk);
            let pacer = Pacer::default();
            let ids: std::collections::BTreeSet<String> =
                crate::capture::v2::list_apis(&client, &pacer)
                    .await?
                    .into_iter()
                    .map(|(id, ..)| id)
                    .collect();
            let wanted: Vec<String> = point
                .apis_v2
                .iter()
                .map(|a| a.api.api_id.clone())
                .filter(|id| ids.contains(id))
                .collect();
            if wanted.is_empty() {
                vec![]
            } else {
                crate::capture::v2::capture_apis(&client, &pacer, &wanted, &|_| {}).await?
            }
        }
        _ => vec![],
    };
    for api in &point.apis_v2 {
        let pos = current
            .iter()
            .position(|c| c.api.api_id == api.api.api_id)
            .or_else(|| current.iter().position(|c| c.api.name == api.api.name));
        let other = pos.map(|i| current.remove(i));
        out.push((api.api.name.clone(), v2::compare(api, other.as_ref())));
    }
    for extra in current {
        if against.is_some() {
            let gone = v2::compare(&ApiSnapshot::default(), Some(&extra))
                .into_iter()
                .filter(|d| d.kind != Kind::Api)
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
    fn a_vpc_link_integration_follows_its_link() {
        let (s, t) = (
            src("111111111111", "us-east-1"),
            src("222222222222", "us-west-2"),
        );
        let mut api = edge_api();
        api.methods.push(crate::model::v1::Method {
            resource_id: "r1".into(),
            path: "/private".into(),
            http_method: "GET".into(),
            method_integration: Some(crate::model::v1::Integration {
                integration_type: Some("HTTP_PROXY".into()),
                uri: Some("http://orders.internal/".into()),
                connection_type: Some("VPC_LINK".into()),
                connection_id: Some("vlsrc1".into()),
                ..Default::default()
            }),
            ..Default::default()
        });
        let opts = RestoreOptions {
            ids: [("vlsrc1".to_string(), "vltgt2".to_string())].into(),
            ..Default::default()
        };
        let d = desired_for(&api, &s, &t, &opts, None).unwrap();
        let i = d.api.methods[0].method_integration.as_ref().unwrap();
        assert_eq!(i.connection_id.as_deref(), Some("vltgt2"));
        assert!(
            d.rewrites.iter().any(|r| r.contains("vlsrc1 -> vltgt2")),
            "{:?}",
            d.rewrites
        );
    }

    #[test]
    fn two_apis_of_one_restore_in_the_target_are_a_duplicate_and_the_first_is_used() {
        let ours = vec![("a1", true), ("a2", true)];
        let (current, replace, duplicate) = pick_target(
            ours,
            |c| (c.0.to_string(), c.1),
            &RestoreOptions::default(),
            "a REST API",
            "orders",
            &src("222222222222", "us-west-2"),
        )
        .unwrap();
        assert_eq!((current, replace), (Some(("a1", true)), None));
        let d = duplicate.unwrap();
        assert_eq!(d.kind, Kind::RestApi);
        assert_eq!(
            d.change,
            Change::Duplicate {
                ids: vec!["a1".into(), "a2".into()]
            }
        );
        let one = pick_target(
            vec![("h1", true)],
            |c| (c.0.to_string(), c.1),
            &RestoreOptions::default(),
            "an HTTP API",
            "orders",
            &src("222222222222", "us-west-2"),
        )
        .unwrap();
        assert!(one.2.is_none());
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
