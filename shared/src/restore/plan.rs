//! Planning a restore, generic over the API families: the point's APIs translated for the
//! target (the *desired* state), the target's copies found and captured (the *current* state),
//! compared, and the calls counted. Writes nothing.

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use serde::{Deserialize, Serialize};

use super::difference::{Change, Difference, TAG_SOURCE};
use super::estate;
use super::family::{ApiFamily, Parts};
use super::kind::{Kind, Phase};
use super::lambda;
use super::rest::Rest;
use super::v2::V2;
use crate::model::{Entry, Snapshot, Source};
use crate::pacing::Pacer;
use crate::translate::{self, Mapping};
use crate::{Error, Result};

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
    /// Those of them the target lacks (GetFunction answered 404 when planning).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_functions: Vec<String>,
    /// Whole by import, or call by call, and why.
    pub path: Path,
    #[serde(skip)]
    pub(super) body: Body,
    #[serde(skip)]
    pub(super) replace_id: Option<String>,
    #[serde(skip)]
    pub(super) blocked: BTreeMap<(Kind, String), String>,
    /// The paths it can take, for the choice over the whole restore ([`choose_paths`]).
    #[serde(skip)]
    pub(super) paths: Paths,
}

/// How one API is restored: its definition imported whole (then what the import does not
/// carry reconciled call by call), or call by call from the start; the cost of each path.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Path {
    pub import: bool,
    pub why: String,
    /// The import path, where there is one: the import and the reconcile after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_import: Option<Cost>,
    pub by_calls: Cost,
}

/// Control-plane calls and the shortest time the quotas allow for them: alone, and with
/// what the restore calls before them (the account's buckets are shared).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    pub calls: u64,
    /// The quota floor of these calls alone, from full buckets.
    pub seconds: f64,
    /// The quota floor of the restore up to and with these calls: the estate steps before the
    /// APIs, the paths chosen for the APIs before this one, and these calls.
    #[serde(default)]
    pub so_far: f64,
}

impl Cost {
    /// `calls` after `before`.
    fn of(calls: &BTreeMap<&'static str, u64>, before: &BTreeMap<&'static str, u64>) -> Cost {
        let mut all = before.clone();
        add_all(&mut all, calls);
        Cost {
            calls: calls.values().sum(),
            seconds: super::quota_floor(calls).as_secs_f64(),
            so_far: super::quota_floor(&all).as_secs_f64(),
        }
    }
}

/// Adds the calls of `more` to `into`.
fn add_all(into: &mut BTreeMap<&'static str, u64>, more: &BTreeMap<&'static str, u64>) {
    for (op, n) in more {
        *into.entry(*op).or_insert(0) += n;
    }
}

impl Path {
    /// `import` or `call by call`.
    pub fn name(&self) -> &'static str {
        Path::name_of(self.import)
    }

    /// The name of the import path (`import`) or the other (`call by call`).
    pub fn name_of(import: bool) -> &'static str {
        if import { "import" } else { "call by call" }
    }
}

/// One API of a plan, by family: what the appliers dispatch on.
#[derive(Debug, Clone)]
pub enum Body {
    Rest(Parts<Rest>),
    V2(Parts<V2>),
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
    pub(super) opts: RestoreOptions,
    #[serde(skip)]
    pub(super) snap_estate: crate::model::estate::Estate,
    /// The target's estate as planning captured it.
    #[serde(skip)]
    pub(super) estate_current: crate::model::estate::Estate,
}

impl Plan {
    /// The target's estate as planning captured it: only when the point holds an estate (a
    /// point of APIs alone plans without reading it).
    pub fn target_estate(&self) -> Option<&crate::model::estate::Estate> {
        self.estate.as_ref().map(|_| &self.estate_current)
    }

    pub fn calls(&self) -> BTreeMap<&'static str, u64> {
        let mut all = BTreeMap::new();
        for a in &self.apis {
            add_all(&mut all, &a.calls);
        }
        if let Some(e) = &self.estate {
            add_all(&mut all, &e.calls);
        }
        all.retain(|_, n| *n > 0);
        all
    }
}

/// The tag value naming a source API.
pub(super) fn source_tag(source: &Source, api_id: &str) -> String {
    format!("{}/{}/{}", source.account, source.region, api_id)
}

/// One API of the point as the target must hold it.
pub(crate) struct Desired<A> {
    pub(crate) api: A,
    pub(crate) rewrites: Vec<String>,
    /// Items that hold a reference translation could not handle, with the reason: they are
    /// not restored (and what depends on them fails with a clear message).
    pub(crate) blocked: BTreeMap<(Kind, String), String>,
    pub(crate) notes: Vec<String>,
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

/// One API of the point as the target must hold it: translated, renamed, adjusted for its
/// family. `target_id`: the target API's id once known.
pub(super) fn desired<F: ApiFamily>(
    api: &F::Api,
    source: &Source,
    target: &Source,
    opts: &RestoreOptions,
    target_id: Option<&str>,
) -> Result<Desired<F::Api>> {
    let (mut desired, t) = translated::<F>(api, source, target, opts, target_id)?;
    // What its stages served is translated the same way, each definition as an API of its
    // own (so that ids in it, VPC links say, follow too).
    let mut inner = api.clone();
    for (to, from) in F::nested(&mut desired)
        .into_iter()
        .zip(F::nested(&mut inner))
    {
        *to = translated::<F>(from, source, target, opts, target_id)?.0;
    }
    let name = format!("{}{}", opts.name_prefix, F::name(&desired));
    F::set_name(&mut desired, name);
    let notes = F::adjust(&mut desired, api, opts.keep_edge);
    Ok(Desired {
        api: desired,
        rewrites: t.rewrites,
        blocked: t.blocked,
        notes,
    })
}

/// One API's objects translated for the target, put back together.
fn translated<F: ApiFamily>(
    api: &F::Api,
    source: &Source,
    target: &Source,
    opts: &RestoreOptions,
    target_id: Option<&str>,
) -> Result<(F::Api, Desired<Vec<Entry>>)> {
    let mut entries = Vec::new();
    F::explode(api, &mut entries)?;
    let keys = F::natural_keys(api, &entries);
    let mut t = translate_api(
        entries,
        &keys,
        source,
        target,
        opts,
        F::id(api),
        target_id,
        (F::API_KIND, F::ID_FIELD),
        F::TIE,
    );
    let api = F::assemble(std::mem::take(&mut t.api))?
        .pop()
        .ok_or_else(|| Error::Integrity("translation lost the API".into()))?;
    Ok((api, t))
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
/// Of the target's APIs that carry the restored name (or, in place, the source's id), the one
/// this tool restored before (`ours`), and the one `--replace` deletes first. Any other is
/// refused: a same-named API that apigw-dr did not make is never touched unless told. Two
/// copies of ours are a duplicate of `kind`.
#[allow(clippy::too_many_arguments)]
fn pick_target<T>(
    candidates: Vec<T>,
    id_ours: impl Fn(&T) -> (String, bool),
    opts: &RestoreOptions,
    kind: Kind,
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
    let duplicate =
        (copies.len() > 1).then(|| Difference::new(kind, "", Change::Duplicate { ids: copies }));
    Ok((current, replace_id, duplicate))
}

/// The plans of the point's APIs of one family: the target's possible copies listed once and
/// captured together, then each API planned.
pub(super) async fn plan_family<F: ApiFamily>(
    snap: &Snapshot,
    target_sdk: &SdkConfig,
    target: &Source,
    opts: &RestoreOptions,
    pacer: &Pacer,
) -> Result<Vec<ApiPlan>> {
    let points = F::apis(snap);
    if points.is_empty() {
        return Ok(vec![]);
    }
    let client = F::client(target_sdk);
    let listed = F::list(&client, pacer).await?;
    let restored: Vec<(String, String)> = points
        .iter()
        .map(|a| {
            let name = format!("{}{}", opts.name_prefix, F::name(a));
            (F::id(a).to_string(), name)
        })
        .collect();
    let ids = candidate_ids(
        opts,
        &restored,
        listed.iter().map(|(i, n)| (i.as_str(), n.as_str())),
    );
    let found = if ids.is_empty() {
        vec![]
    } else {
        F::capture(&client, pacer, &ids).await?
    };
    let mut out = Vec::new();
    for (api, (_, name)) in points.iter().zip(restored) {
        let place = Place {
            sdk: target_sdk,
            source: &snap.source,
            target,
            opts,
        };
        out.push(plan_api::<F>(&place, api, name, &found).await?);
    }
    Ok(out)
}

/// Where one API is planned: the target, the point's source, the options.
struct Place<'a> {
    sdk: &'a SdkConfig,
    source: &'a Source,
    target: &'a Source,
    opts: &'a RestoreOptions,
}

/// One API's plan, with the Lambda functions it calls checked in the target.
async fn plan_api<F: ApiFamily>(
    place: &Place<'_>,
    api: &F::Api,
    name: String,
    found: &[F::Api],
) -> Result<ApiPlan> {
    let Place {
        source,
        target,
        opts,
        ..
    } = *place;
    let source_id = F::id(api);
    let tag = source_tag(source, source_id);
    let candidates: Vec<F::Api> = found
        .iter()
        .filter(|c| is_candidate(opts, source_id, &name, (F::id(c), F::name(c))))
        .cloned()
        .collect();
    let (current, replace_id, duplicate) = pick_target(
        candidates,
        |c| {
            (
                F::id(c).to_string(),
                F::tags(c).get(TAG_SOURCE) == Some(&tag),
            )
        },
        opts,
        F::API_KIND,
        &F::what(api),
        &name,
        target,
    )?;
    let target_id = current.as_ref().map(|c| F::id(c).to_string());
    let d = desired::<F>(api, source, target, opts, target_id.as_deref())?;
    let mut steps = F::served(&d.api, current.as_ref());
    steps.extend(F::compare(&d.api, current.as_ref()));
    steps.extend(duplicate);
    let mut calls = F::calls(&steps, &d.api, current.is_some());
    if replace_id.is_some() {
        calls.insert(F::DELETE_API, 1);
    }
    let paths = paths::<F>(&d.api, current.is_some(), &steps, calls);
    // Chosen over the whole restore once every API is planned (`choose_paths`).
    let (path, calls) = choose(&paths, &BTreeMap::new());
    let called = F::functions_called(&d.api);
    let problems = d
        .blocked
        .iter()
        .map(|((kind, key), why)| format!("{kind} {key}: {why}"))
        .collect();
    let mut notes = d.notes;
    let missing_functions = lambda::missing(place.sdk, &called).await?;
    for f in &missing_functions {
        notes.push(format!(
            "Lambda function {f} does not exist in the target: what calls it ({}) is restored but fails until it does",
            called[f].join(", ")
        ));
    }
    let action = match (&target_id, &replace_id) {
        (Some(_), _) => "update",
        (None, Some(_)) => "replace",
        (None, None) => "create",
    };
    Ok(ApiPlan {
        protocol: F::protocol(api).to_string(),
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
        missing_functions,
        path,
        body: F::body(Parts {
            desired: d.api,
            source_api: api.clone(),
            current,
        }),
        replace_id,
        blocked: d.blocked,
        paths,
    })
}

/// The paths one API can take: every step call by call; or its definition imported whole (one
/// call; the API created first where there is none, so that a lost reply is safe), then
/// what the import does not carry reconciled call by call.
#[derive(Debug, Clone, Default)]
pub(super) struct Paths {
    by_calls: BTreeMap<&'static str, u64>,
    /// The import path's calls; none where there is no import path.
    by_import: Option<BTreeMap<&'static str, u64>>,
    /// Why there is no import path (nothing to change, no document, too large).
    why_not: String,
    /// Stages serve definitions of their own: imported first, then the working copy.
    serves_own: bool,
}

/// The paths `desired` can take, with their calls. An API with nothing to do has only call by
/// call (no call at all).
fn paths<F: ApiFamily>(
    desired: &F::Api,
    exists: bool,
    steps: &[Difference],
    by_calls: BTreeMap<&'static str, u64>,
) -> Paths {
    let mut paths = Paths {
        by_calls,
        ..Paths::default()
    };
    if !steps.iter().any(|s| !s.is_duplicate()) {
        paths.why_not = "nothing to change".into();
        return paths;
    }
    let doc = match F::document(desired) {
        Ok(doc) => doc,
        Err(why) => {
            paths.why_not = why;
            return paths;
        }
    };
    let size = crate::openapi::size(&doc);
    if size > crate::openapi::LIMIT {
        paths.why_not = format!(
            "its definition is {:.1} MB, over the {} MB one import takes",
            size as f64 / 1e6,
            crate::openapi::LIMIT / 1_000_000
        );
        return paths;
    }
    let imported = F::imported(desired);
    // Stages that serve definitions of their own get them first, whichever the path.
    let mut reconcile: Vec<Difference> = steps
        .iter()
        .filter(|s| s.kind == Kind::ServedDefinition)
        .cloned()
        .collect();
    paths.serves_own = !reconcile.is_empty();
    reconcile.extend(F::compare(desired, Some(&imported)));
    let mut by_import = F::calls(&reconcile, desired, exists);
    *by_import.entry(F::IMPORT_OP).or_insert(0) += 1;
    // The API is created first where there is none (a lost reply is then safe), and what it
    // replaces deleted, either way.
    if !exists {
        *by_import.entry(F::CREATE_API).or_insert(0) += 1;
    }
    if let Some(n) = paths.by_calls.get(F::DELETE_API) {
        by_import.insert(F::DELETE_API, *n);
    }
    paths.by_import = Some(by_import);
    paths
}

/// Chooses each API's path over the whole restore, in plan order. All of a restore's calls
/// draw on the account's shared buckets, so each API is weighed after `before` (the calls of
/// the estate steps before the APIs) and the calls of the paths chosen for the APIs before
/// it: the path whose quota floor of the restore so far is lower; on a tie, the one with
/// fewer calls (less to throttle or retry, and burst left for the APIs after it).
pub(super) fn choose_paths(apis: &mut [ApiPlan], before: &BTreeMap<&'static str, u64>) {
    let mut so_far = before.clone();
    for a in apis {
        let (path, calls) = choose(&a.paths, &so_far);
        add_all(&mut so_far, &calls);
        a.path = path;
        a.calls = calls;
    }
}

/// The calls of the estate steps that come before the APIs (VPC links, client certificates,
/// API keys).
pub(super) fn calls_before(e: &estate::EstatePlan) -> BTreeMap<&'static str, u64> {
    let mut calls = BTreeMap::new();
    for d in e
        .steps
        .iter()
        .filter(|d| d.kind.phase() == Phase::BeforeApis)
    {
        estate::step_calls(d, &e.desired, &mut calls);
    }
    calls
}

/// One API's path after the calls `so_far`, with its calls (see [`choose_paths`]).
fn choose(
    paths: &Paths,
    so_far: &BTreeMap<&'static str, u64>,
) -> (Path, BTreeMap<&'static str, u64>) {
    let mut path = Path {
        by_calls: Cost::of(&paths.by_calls, so_far),
        ..Path::default()
    };
    let Some(by_import) = &paths.by_import else {
        path.why.clone_from(&paths.why_not);
        return (path, paths.by_calls.clone());
    };
    let cost = Cost::of(by_import, so_far);
    let calls = &path.by_calls;
    // Floors within a millisecond are a tie.
    let tie = (cost.so_far - calls.so_far).abs() < 1e-3;
    path.import = paths.serves_own
        || (!tie && cost.so_far < calls.so_far)
        || (tie && cost.calls < calls.calls);
    let (chosen, other) = if path.import {
        (&cost, calls)
    } else {
        (calls, &cost)
    };
    let restore = |c: &Cost| format!("the restore so far at least {:.1} s", c.so_far);
    let other_by = if path.import {
        "call by call"
    } else {
        "by import"
    };
    path.why = if paths.serves_own {
        // After an import of what stages served, the target's working copy is that
        // definition: one import of the working copy restores it, whatever the steps
        // planned against it.
        format!(
            "stages serve definitions of their own, imported first; then the working copy is imported: {} calls, {}",
            cost.calls,
            restore(&cost)
        )
    } else if !tie {
        format!(
            "{} calls, {}, against {:.1} s {other_by} ({} calls)",
            chosen.calls,
            restore(chosen),
            other.so_far,
            other.calls,
        )
    } else if chosen.calls < other.calls {
        format!(
            "{} calls against {} {other_by}, {} either way: the tie goes to fewer calls",
            chosen.calls,
            other.calls,
            restore(chosen),
        )
    } else {
        format!(
            "{} calls and {} either way: the tie goes to call by call, which keeps every setting without a reconcile",
            chosen.calls,
            restore(chosen),
        )
    };
    path.by_import = Some(cost);
    let calls = if path.import {
        by_import.clone()
    } else {
        paths.by_calls.clone()
    };
    (path, calls)
}

/// Refuses a target that cannot be meant: in place elsewhere than the source, or the source
/// itself without `--in-place` or a name prefix.
pub(super) fn check_target(source: &Source, target: &Source, opts: &RestoreOptions) -> Result<()> {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::v1::{EndpointConfiguration, RestApi, RestApiSnapshot};

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
        // What a stage served holds the same integration.
        let mut served = api.clone();
        served.api.id.clear();
        api.served.push(crate::model::v1::Served {
            deployment_id: "d1".into(),
            definition: served,
        });
        let d = desired::<Rest>(&api, &s, &t, &opts, None).unwrap();
        let i = d.api.methods[0].method_integration.as_ref().unwrap();
        assert_eq!(i.connection_id.as_deref(), Some("vltgt2"));
        let def = &d.api.served[0].definition;
        let i = def.methods[0].method_integration.as_ref().unwrap();
        assert_eq!(i.connection_id.as_deref(), Some("vltgt2"));
        assert!(
            d.rewrites.iter().any(|r| r.contains("vlsrc1 -> vltgt2")),
            "{:?}",
            d.rewrites
        );
    }

    #[test]
    fn two_apis_of_one_restore_in_the_target_are_a_duplicate_and_the_first_is_used() {
        let pick = |ours: Vec<(&'static str, bool)>, kind| {
            let to = src("222222222222", "us-west-2");
            let opts = RestoreOptions::default();
            pick_target(
                ours,
                |c| (c.0.to_string(), c.1),
                &opts,
                kind,
                "an API",
                "orders",
                &to,
            )
            .unwrap()
        };
        let (current, replace, duplicate) = pick(vec![("a1", true), ("a2", true)], Kind::RestApi);
        assert_eq!((current, replace), (Some(("a1", true)), None));
        let d = duplicate.unwrap();
        assert_eq!(d.kind, Kind::RestApi);
        assert_eq!(
            d.change,
            Change::Duplicate {
                ids: vec!["a1".into(), "a2".into()]
            }
        );
        let (_, _, duplicate) = pick(vec![("a1", true), ("a2", true)], Kind::Api);
        assert_eq!(duplicate.unwrap().kind, Kind::Api);
        assert!(pick(vec![("h1", true)], Kind::Api).2.is_none());
    }

    #[test]
    fn stages_serving_their_own_definition_come_first_and_the_copy_is_imported_after() {
        let (s, t) = (
            src("111111111111", "us-east-1"),
            src("222222222222", "us-west-2"),
        );
        let api = crate::restore::rest::served::tests::source();
        let d = desired::<Rest>(&api, &s, &t, &RestoreOptions::default(), None).unwrap();
        assert!(
            d.notes.iter().any(|n| n
                == "stage dev serves the restored working copy: what it served was not captured"),
            "{:?}",
            d.notes
        );
        let mut steps = Rest::served(&d.api, None);
        steps.extend(Rest::compare(&d.api, None));
        assert_eq!(steps[0].kind, Kind::ServedDefinition);
        let calls = Rest::calls(&steps, &d.api, false);
        let (path, calls) = choose(
            &paths::<Rest>(&d.api, false, &steps, calls),
            &BTreeMap::new(),
        );
        assert!(path.import, "{}", path.why);
        assert!(
            path.why
                .starts_with("stages serve definitions of their own")
        );
        // prod's definition, then the working copy.
        assert_eq!(calls["PutRestApi"], 2, "{calls:?}");
    }

    fn calls(ops: &[(&'static str, u64)]) -> BTreeMap<&'static str, u64> {
        ops.iter().copied().collect()
    }

    /// An API whose paths are `by_calls` and `by_import`.
    fn planned(by_calls: &[(&'static str, u64)], by_import: &[(&'static str, u64)]) -> ApiPlan {
        ApiPlan {
            protocol: "REST".into(),
            name: "orders".into(),
            source_id: "a1".into(),
            target_id: None,
            action: "create",
            steps: vec![],
            rewrites: vec![],
            problems: vec![],
            notes: vec![],
            calls: BTreeMap::new(),
            functions: vec![],
            missing_functions: vec![],
            path: Path::default(),
            body: Body::Rest(Parts {
                desired: Default::default(),
                source_api: Default::default(),
                current: None,
            }),
            replace_id: None,
            blocked: BTreeMap::new(),
            paths: Paths {
                by_calls: calls(by_calls),
                by_import: Some(calls(by_import)),
                ..Paths::default()
            },
        }
    }

    /// A small new REST API: 37 calls call by call, 11 by import; alone, both within the burst.
    fn small_new() -> ApiPlan {
        planned(
            &[
                ("CreateRestApi", 1),
                ("PutMethod", 30),
                ("CreateStage", 5),
                ("CreateDeployment", 1),
            ],
            &[
                ("CreateRestApi", 1),
                ("PutRestApi", 1),
                ("PutMethod", 3),
                ("CreateStage", 5),
                ("CreateDeployment", 1),
            ],
        )
    }

    #[test]
    fn small_apis_that_tie_on_the_floor_are_imported_for_their_fewer_calls() {
        let mut apis = vec![small_new()];
        choose_paths(&mut apis, &BTreeMap::new());
        let p = &apis[0].path;
        assert!(p.import, "{}", p.why);
        assert_eq!((p.by_calls.so_far, p.by_calls.calls), (0.0, 37));
        let i = p.by_import.as_ref().unwrap();
        assert_eq!((i.so_far, i.calls), (0.0, 11));
        assert_eq!(
            p.why,
            "11 calls against 37 call by call, the restore so far at least 0.0 s either way: the tie goes to fewer calls"
        );
        assert_eq!(apis[0].calls["PutRestApi"], 1);
        // The same calls either way: call by call, which keeps every setting.
        let mut same = vec![planned(
            &[("PutMethod", 2)],
            &[("PutRestApi", 1), ("PutMethod", 1)],
        )];
        choose_paths(&mut same, &BTreeMap::new());
        assert!(!same[0].path.import, "{}", same[0].path.why);
        assert!(same[0].path.why.ends_with(
            "the tie goes to call by call, which keeps every setting without a reconcile"
        ));
    }

    #[test]
    fn each_api_is_weighed_after_the_estate_and_the_apis_before_it() {
        // The estate's 40 calls before the APIs take the account's whole burst: what ties
        // alone is now 3.7 s call by call against 1.1 s by import, decided by the floor.
        let before = calls(&[("CreateApiKey", 5), ("CreateUsagePlanKey", 35)]);
        let mut apis = vec![small_new()];
        choose_paths(&mut apis, &before);
        let p = &apis[0].path;
        assert!(p.import, "{}", p.why);
        assert_eq!(p.by_calls.seconds, 0.0, "alone, within the burst");
        assert!((p.by_calls.so_far - 3.7).abs() < 1e-9, "{p:?}");
        assert!(
            (p.by_import.as_ref().unwrap().so_far - 1.1).abs() < 1e-9,
            "{p:?}"
        );
        assert_eq!(
            p.why,
            "11 calls, the restore so far at least 1.1 s, against 3.7 s call by call (37 calls)"
        );
        // Two existing APIs, each a tie alone: the first is imported (fewer calls), so the
        // second import would wait a second for PutRestApi's bucket: the second goes call by
        // call.
        let update = || {
            let mut a = planned(&[("PutMethod", 4)], &[("PutRestApi", 1), ("PutMethod", 1)]);
            a.action = "update";
            a
        };
        let mut apis = vec![update(), update()];
        choose_paths(&mut apis, &BTreeMap::new());
        assert!(apis[0].path.import, "{}", apis[0].path.why);
        assert!(!apis[1].path.import, "{}", apis[1].path.why);
        assert_eq!(
            apis[1].path.why,
            "4 calls, the restore so far at least 0.0 s, against 1.0 s by import (2 calls)"
        );
        assert_eq!(apis[1].calls, calls(&[("PutMethod", 4)]));
    }

    #[test]
    fn an_api_without_an_import_or_serving_its_own_keeps_its_path() {
        let mut none = small_new();
        none.paths.by_import = None;
        none.paths.why_not = "WebSocket APIs have no import in API Gateway".into();
        // Serving definitions of its own, slower by import and still imported.
        let mut own = planned(
            &[("PutMethod", 1)],
            &[("PutRestApi", 3), ("CreateDeployment", 3)],
        );
        own.paths.serves_own = true;
        let mut apis = vec![none, own];
        choose_paths(&mut apis, &BTreeMap::new());
        assert!(!apis[0].path.import);
        assert_eq!(
            apis[0].path.why,
            "WebSocket APIs have no import in API Gateway"
        );
        assert!(apis[0].path.by_import.is_none());
        assert_eq!(apis[0].calls["PutMethod"], 30);
        assert!(apis[1].path.import, "{}", apis[1].path.why);
        assert!(
            apis[1]
                .path
                .why
                .starts_with("stages serve definitions of their own"),
            "{}",
            apis[1].path.why
        );
        // What the first API's calls took counts against the second.
        let i = apis[1].path.by_import.as_ref().unwrap();
        assert!(i.so_far > i.seconds, "{i:?}");
    }

    #[test]
    fn edge_apis_come_back_regional_unless_told() {
        let (s, t) = (
            src("111111111111", "us-east-1"),
            src("222222222222", "us-west-2"),
        );
        let d = desired::<Rest>(&edge_api(), &s, &t, &RestoreOptions::default(), None).unwrap();
        assert_eq!(
            d.api.api.endpoint_configuration.unwrap().types,
            ["REGIONAL"]
        );
        assert!(d.notes.iter().any(|n| n.contains("edge-optimized")));
        let keep = RestoreOptions {
            keep_edge: true,
            ..Default::default()
        };
        let d = desired::<Rest>(&edge_api(), &s, &t, &keep, None).unwrap();
        assert_eq!(d.api.api.endpoint_configuration.unwrap().types, ["EDGE"]);
    }

    #[test]
    fn the_policy_follows_the_api_to_its_new_id_and_place() {
        let (s, t) = (
            src("111111111111", "us-east-1"),
            src("222222222222", "us-west-2"),
        );
        let d =
            desired::<Rest>(&edge_api(), &s, &t, &RestoreOptions::default(), Some("b2")).unwrap();
        assert_eq!(
            d.api.api.policy.as_deref(),
            Some(r#"{"Resource":"arn:aws:execute-api:us-west-2:222222222222:b2/*"}"#)
        );
        let prefixed = RestoreOptions {
            name_prefix: "dr-".into(),
            ..Default::default()
        };
        assert_eq!(
            desired::<Rest>(&edge_api(), &s, &t, &prefixed, None)
                .unwrap()
                .api
                .api
                .name,
            "dr-orders"
        );
    }
}
