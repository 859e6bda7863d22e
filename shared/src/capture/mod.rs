//! Capture: reads REST APIs through API Gateway's Get calls into the project's model
//! ([`crate::model::v1`]), with as few calls as the API allows, all paced by one [`Pacer`].
//!
//! Per REST API: GetResources with `embed=methods` (one call per 500 resources; the embedded
//! methods carry their method responses, integration and integration responses), and one call
//! each (more only past 500 items) for authorizers, models, request validators, gateway
//! responses, documentation parts and versions, deployments and stages. The REST APIs themselves
//! come from GetRestApis. A 300-resource API therefore costs 10 calls in all.

mod convert;
pub mod estate;
pub mod known;
#[cfg(test)]
pub(crate) mod mocks;
#[cfg(test)]
mod tests;
pub mod v2;

use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU16, Ordering};
use std::task::Poll;

use aws_sdk_apigateway::Client;
use aws_sdk_apigateway::config::http::HttpResponse;
use aws_sdk_apigateway::config::retry::RetryConfig;
use aws_sdk_apigateway::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_apigateway::types as sdk;

use crate::awsconf::{sdk_error, status_of};
use crate::model::Gap;
use crate::model::v1::{self, RestApiSnapshot};
use crate::pacing::Pacer;
use crate::{Error, Result};
pub use known::Known;

/// Page size for every paged Get call of v1 (the API's maximum) and of v2 (`MaxResults` is a
/// string there): capture's reads and restore's looks after a lost reply.
pub(crate) const PAGE: i32 = 500;
pub(crate) const PAGE_V2: &str = "500";

/// How many REST APIs are read at the same time. The quotas, not this, bound the speed; a few
/// APIs in flight keep the account's token bucket busy while one API pages through resources.
const APIS_AT_ONCE: usize = 4;

/// The client configuration for API Gateway: the shared SDK configuration with the SDK's own
/// retries turned off, because every call goes through a [`Pacer`], which paces and retries.
pub fn client_config(sdk: &aws_config::SdkConfig) -> aws_sdk_apigateway::config::Builder {
    aws_sdk_apigateway::config::Builder::from(sdk).retry_config(RetryConfig::disabled())
}

/// An API Gateway (v1) client without SDK retries (see [`client_config`]).
pub fn apigateway_client(sdk: &aws_config::SdkConfig) -> Client {
    Client::from_conf(client_config(sdk).build())
}

/// Every REST API of the account and Region as `(id, name)`, in the order AWS lists them.
pub async fn list_rest_apis(client: &Client, pacer: &Pacer) -> Result<Vec<(String, String)>> {
    Ok(get_rest_apis(client, pacer)
        .await?
        .into_iter()
        .map(|a| (a.id.unwrap_or_default(), a.name.unwrap_or_default()))
        .collect())
}

pub(crate) async fn get_rest_apis(client: &Client, pacer: &Pacer) -> Result<Vec<sdk::RestApi>> {
    paged(pacer, "GetRestApis", |pos| {
        let req = client.get_rest_apis().limit(PAGE).set_position(pos);
        async move {
            req.send()
                .await
                .map(|o| (o.items.unwrap_or_default(), o.position))
        }
    })
    .await
    .map_err(|e| sdk_error("listing REST APIs (GetRestApis)", e))
}

/// Captures the selected REST APIs, sorted by name then id, each in canonical order.
///
/// `select` empty means every REST API; otherwise each entry selects the API whose id is
/// exactly that, or every API whose name is exactly that. An entry that selects nothing is
/// [`Error::NotFound`]. `progress` gets one short line per API captured.
///
/// With `select` empty, an API deleted between the listing and its capture is left out (with a
/// warning and a progress line); an API selected by id or name that disappears is an error.
pub async fn capture_rest_apis(
    client: &Client,
    pacer: &Pacer,
    select: &[String],
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<Vec<RestApiSnapshot>> {
    capture_selected(client, pacer, select, progress, &Gaps::strict(), None).await
}

/// [`capture_rest_apis`] for a recovery point: recording in `gaps` what the source did not
/// serve or answered unreadably (taken as none), and with what each stage's deployment
/// serves ([`v1::Served`]: one GetExport per distinct deployment that `known`, the earlier
/// points of the source, does not already hold).
pub async fn capture_rest_apis_with_gaps(
    client: &Client,
    pacer: &Pacer,
    select: &[String],
    progress: &(dyn Fn(String) + Send + Sync),
    gaps: &Gaps,
    known: &Known<'_>,
) -> Result<Vec<RestApiSnapshot>> {
    capture_selected(client, pacer, select, progress, gaps, Some(known)).await
}

/// The selected REST APIs; with `served`, what their stages' deployments serve too.
async fn capture_selected(
    client: &Client,
    pacer: &Pacer,
    select: &[String],
    progress: &(dyn Fn(String) + Send + Sync),
    gaps: &Gaps,
    served: Option<&Known<'_>>,
) -> Result<Vec<RestApiSnapshot>> {
    let all = get_rest_apis(client, pacer).await?;
    let listed = all.len();
    let chosen = choose(
        all,
        select,
        |a| (a.id(), a.name()),
        "REST API",
        "`aws apigateway get-rest-apis --query 'items[].[id,name]'`",
    )?;
    tracing::info!(listed, selected = chosen.len(), "capturing REST APIs");
    let skip_if_gone = select.is_empty();
    let jobs: Vec<_> = chosen
        .iter()
        .map(|api| capture_one(client, pacer, api, (skip_if_gone, served), progress, gaps))
        .collect();
    let mut out = Vec::new();
    for r in run_bounded(jobs, APIS_AT_ONCE).await {
        if let Some(s) = r? {
            out.push(s);
        }
    }
    v1::sort_apis(&mut out);
    Ok(out)
}

/// Applies the selection to the listed APIs (keeping their listing order).
/// The APIs `select` names (by id or exact name; all when empty). An entry that names none
/// is [`Error::NotFound`]: `what` names the kind of API, `hint` says how to list them.
pub(crate) fn choose<T>(
    all: Vec<T>,
    select: &[String],
    id_and_name: impl Fn(&T) -> (Option<&str>, Option<&str>),
    what: &str,
    hint: &str,
) -> Result<Vec<T>> {
    if select.is_empty() {
        return Ok(all);
    }
    let mut chosen = BTreeSet::new();
    let mut missing = Vec::new();
    for want in select {
        let mut hit = false;
        for (i, a) in all.iter().enumerate() {
            let (id, name) = id_and_name(a);
            if id == Some(want.as_str()) || name == Some(want.as_str()) {
                chosen.insert(i);
                hit = true;
            }
        }
        if !hit {
            missing.push(format!("'{want}'"));
        }
    }
    if !missing.is_empty() {
        return Err(Error::NotFound(format!(
            "no {what} has the id or name {} in this account and Region; list them with {hint} (same account and Region)",
            missing.join(", ")
        )));
    }
    Ok(all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| chosen.contains(i))
        .map(|(_, a)| a)
        .collect())
}

/// Whether an error says the thing read does not exist.
fn is_not_found<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    status_of(e) == Some(404) || e.code() == Some("NotFoundException")
}

/// Reads one REST API's contents: its Get calls run at the same time, paced by `pacer`
/// (then, with `served`, one GetExport per deployment a stage serves). `None` when the API
/// was deleted meanwhile and `skip_if_gone` is set.
async fn capture_one(
    client: &Client,
    pacer: &Pacer,
    api: &sdk::RestApi,
    (skip_if_gone, served): (bool, Option<&Known<'_>>),
    progress: &(dyn Fn(String) + Send + Sync),
    gaps: &Gaps,
) -> Result<Option<RestApiSnapshot>> {
    let id = api.id().unwrap_or_default();
    let name = api.name().unwrap_or_default();
    let what = |op: &str| format!("reading REST API {id} '{name}' ({op})");

    // Every list operation of a REST API has the same shape: limit, position, items.
    macro_rules! list {
        ($op:literal, $call:ident $(, $extra:ident($arg:expr))*) => {
            paged(pacer, $op, |pos| {
                let req = client
                    .$call()
                    .rest_api_id(id)
                    $(.$extra($arg))*
                    .limit(PAGE)
                    .set_position(pos);
                async move { req.send().await.map(|o| (o.items.unwrap_or_default(), o.position)) }
            })
        };
    }

    let (
        resources,
        authorizers,
        models,
        validators,
        responses,
        parts,
        versions,
        deployments,
        stages,
    ) = tokio::join!(
        list!("GetResources", get_resources, embed("methods")),
        list!("GetAuthorizers", get_authorizers),
        list!("GetModels", get_models),
        list!("GetRequestValidators", get_request_validators),
        list!("GetGatewayResponses", get_gateway_responses),
        list!("GetDocumentationParts", get_documentation_parts),
        list!("GetDocumentationVersions", get_documentation_versions),
        list!("GetDeployments", get_deployments),
        // GetStages does not page: it returns every stage (at most 10 per API).
        async {
            pacer
                .call("GetStages", || client.get_stages().rest_api_id(id).send())
                .await
                .map(|o| o.item.unwrap_or_default())
        },
    );

    let resources = match resources {
        Err(e) if skip_if_gone && is_not_found(&e) => {
            tracing::warn!(
                rest_api_id = id,
                name,
                "REST API deleted while capturing; left out"
            );
            progress(format!("{name}: deleted while capturing, left out"));
            return Ok(None);
        }
        r => r.map_err(|e| sdk_error(&what("GetResources"), e))?,
    };
    // AWS answers GetDocumentationParts/GetDocumentationVersions for an API without
    // documentation with an empty list, so a 404 there is a real error on AWS. Services that do
    // not implement documentation (moto answers 404) would otherwise make every capture fail:
    // for them, NotFound means "no documentation".
    let parts = none_if_not_found(
        parts,
        gaps,
        (v1::KIND_DOCUMENTATION_PART, id, "GetDocumentationParts"),
        &what,
    )?;
    let versions = none_if_not_found(
        versions,
        gaps,
        (
            v1::KIND_DOCUMENTATION_VERSION,
            id,
            "GetDocumentationVersions",
        ),
        &what,
    )?;

    let mut snap = RestApiSnapshot {
        api: convert::rest_api(api),
        ..Default::default()
    };
    for r in &resources {
        let (res, methods) = convert::resource(r);
        snap.resources.push(res);
        snap.methods.extend(methods);
    }
    // A list whose reply cannot be read is a gap of the point, not the end of the capture.
    let authorizers = gaps.or_unreadable(
        authorizers,
        v1::KIND_AUTHORIZER,
        id,
        "GetAuthorizers",
        &what,
    )?;
    let models = gaps.or_unreadable(models, v1::KIND_MODEL, id, "GetModels", &what)?;
    let validators = gaps.or_unreadable(
        validators,
        v1::KIND_REQUEST_VALIDATOR,
        id,
        "GetRequestValidators",
        &what,
    )?;
    let responses = gaps.or_unreadable(
        responses,
        v1::KIND_GATEWAY_RESPONSE,
        id,
        "GetGatewayResponses",
        &what,
    )?;
    let deployments = gaps.or_unreadable(
        deployments,
        v1::KIND_DEPLOYMENT,
        id,
        "GetDeployments",
        &what,
    )?;
    let stages = gaps.or_unreadable(stages, v1::KIND_STAGE, id, "GetStages", &what)?;
    snap.authorizers = authorizers.iter().map(convert::authorizer).collect();
    snap.models = models.iter().map(convert::model).collect();
    snap.request_validators = validators.iter().map(convert::request_validator).collect();
    snap.gateway_responses = responses.iter().map(convert::gateway_response).collect();
    snap.documentation_parts = parts.iter().map(convert::documentation_part).collect();
    snap.documentation_versions = versions
        .iter()
        .map(convert::documentation_version)
        .collect();
    snap.deployments = deployments.iter().map(convert::deployment).collect();
    snap.stages = stages.iter().map(convert::stage).collect();
    snap.normalize();
    if let Some(known) = served {
        let (defs, reused) =
            served_definitions(client, pacer, (id, name), &snap.stages, known, gaps).await;
        if !defs.is_empty() {
            progress(format!(
                "{name}: {} served definitions, {reused} read from an earlier point, {} exported",
                defs.len(),
                defs.len() - reused
            ));
        }
        snap.served = defs;
    }

    let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    progress(format!(
        "{name}: {}, {}, {}",
        plural(snap.resources.len(), "resource"),
        plural(snap.methods.len(), "method"),
        plural(snap.stages.len(), "stage"),
    ));
    tracing::debug!(
        rest_api_id = id,
        name,
        objects = snap.object_count(),
        "captured REST API"
    );
    Ok(Some(snap))
}

/// What each deployment a stage of REST API `id` serves: read from an earlier point where
/// `known` holds it (deployments never change), else GetExport of one of its stages (OpenAPI 3
/// with API Gateway's extensions), once per deployment, read back into the model; and how many
/// were read from the store. An export that cannot be had or read is a gap of the point (kind
/// [`v1::KIND_SERVED`], naming the stage), never the end of the capture: that stage is then
/// restored serving the working copy. A canary's deployment is the same: GetExport exports a
/// stage's own deployment, so one no stage serves (nor an earlier point holds) is a gap naming
/// the canary.
async fn served_definitions(
    client: &Client,
    pacer: &Pacer,
    (id, name): (&str, &str),
    stages: &[v1::Stage],
    known: &Known<'_>,
    gaps: &Gaps,
) -> (Vec<v1::Served>, usize) {
    // Each deployment, with the stage that serves it (exportable) or the first canary on it.
    let mut by_deployment: std::collections::BTreeMap<&str, (&str, bool)> = Default::default();
    for s in stages {
        if let Some(d) = s.deployment_id.as_deref() {
            by_deployment.entry(d).or_insert((&s.stage_name, true));
        }
    }
    for s in stages {
        let canary = s.canary_settings.as_ref();
        if let Some(d) = canary.and_then(|c| c.deployment_id.as_deref()) {
            by_deployment.entry(d).or_insert((&s.stage_name, false));
        }
    }
    let mut out = Vec::new();
    let mut reused = 0;
    for (deployment, (stage, exportable)) in by_deployment {
        if let Some(s) = known.served(id, name, deployment).await {
            reused += 1;
            out.push(s);
            continue;
        }
        if !exportable {
            gaps.push(Gap::new(
                v1::KIND_SERVED,
                id,
                format!(
                    "stage {stage}'s canary (deployment {deployment}): not exported, GetExport \
                     exports what a stage itself serves and no stage serves this deployment; \
                     the canary is restored serving the working copy"
                ),
            ));
            continue;
        }
        let export = pacer
            .call("GetExport", || {
                client
                    .get_export()
                    .rest_api_id(id)
                    .stage_name(stage)
                    .export_type("oas30")
                    .accepts("application/json")
                    .parameters("extensions", "apigateway")
                    .send()
            })
            .await;
        let read = match export {
            Ok(o) => served_definition(o.body.as_ref().map_or(&[][..], |b| b.as_ref())),
            Err(e) => Err(format!("GetExport failed: {}", crate::awsconf::said(&e))),
        };
        match read {
            Ok(definition) => out.push(v1::Served {
                deployment_id: deployment.to_string(),
                definition,
            }),
            Err(why) => {
                // Reported with the point's other gaps (`not captured: ...`), not as a log line.
                gaps.push(Gap::new(
                    v1::KIND_SERVED,
                    id,
                    format!("stage {stage} (deployment {deployment}): {why}"),
                ));
            }
        }
    }
    (out, reused)
}

/// A stage's export read back into the model (why not, in one line that holds none of it).
fn served_definition(body: &[u8]) -> std::result::Result<RestApiSnapshot, String> {
    let doc: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("its export is not JSON ({})", e.classify_name()))?;
    let mut def = crate::openapi::rest::from_document(&doc)
        .map_err(|e| format!("its export cannot be read: {e}"))?;
    def.normalize();
    Ok(def)
}

trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "bad syntax",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}

/// Whether an error is an AWS look-alike saying it lacks the operation: 404 or 5xx with no AWS
/// error code (moto answers an HTML page), or an `UnknownOperationException`. AWS's own errors
/// always carry a code, and never that one for an operation it has.
pub(crate) fn unimplemented<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    (matches!(status_of(e), Some(404 | 500 | 501)) && e.code().is_none())
        || e.code() == Some("UnknownOperationException")
}

/// One page's result, with a look-alike's "not implemented" (see [`unimplemented`]) turned into
/// an empty last page (so the pacer does not retry it) and its HTTP status recorded in `gap`.
#[allow(clippy::result_large_err)] // the SDK's own error, passed through as `paged` wants it
pub(crate) fn or_gap<T, E: ProvideErrorMetadata>(
    r: std::result::Result<(Vec<T>, Option<String>), SdkError<E, HttpResponse>>,
    gap: &AtomicU16,
) -> std::result::Result<(Vec<T>, Option<String>), SdkError<E, HttpResponse>> {
    match r {
        Err(e) if unimplemented(&e) => {
            gap.store(status_of(&e).unwrap_or(1), Ordering::Relaxed);
            Ok((Vec::new(), None))
        }
        r => r,
    }
}

/// What one capture could not take: each gap once. The point's catalog record keeps them, and
/// the capture's progress lines name them. The default leaves out what cannot be read (a
/// snapshot); [`Gaps::strict`] does not (a restore must see the whole target, or stop).
#[derive(Debug, Default)]
pub struct Gaps {
    all: Mutex<Vec<Gap>>,
    strict: bool,
}

impl Gaps {
    /// A reply that cannot be read stays an error (what is not served still reads as none).
    pub fn strict() -> Self {
        Gaps {
            strict: true,
            ..Default::default()
        }
    }

    pub fn push(&self, gap: Gap) {
        let mut all = self
            .all
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !all.contains(&gap) {
            all.push(gap);
        }
    }

    /// Every gap so far, sorted.
    pub fn take(&self) -> Vec<Gap> {
        let mut all = std::mem::take(
            &mut *self
                .all
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        all.sort();
        all
    }

    /// Why a failed read can be left out of the capture: its reply could not be read and this
    /// capture is not strict.
    pub(crate) fn unreadable<E: std::error::Error + 'static>(
        &self,
        e: &SdkError<E, HttpResponse>,
    ) -> Option<String> {
        crate::awsconf::unreadable(e).filter(|_| !self.strict)
    }

    /// Records that the service lacked `op` (of `scope`, an API id or the estate) when `gap`
    /// holds the status it answered, and adds `op` to `lacking` (which the capture's progress
    /// line names): what a look-alike does not serve is not in the point, and both the
    /// operator and the point's record say so.
    pub(crate) fn note(
        &self,
        gap: &AtomicU16,
        kind: &str,
        scope: &str,
        op: &'static str,
        lacking: &mut Vec<&'static str>,
    ) {
        let status = gap.load(Ordering::Relaxed);
        if status != 0 {
            tracing::debug!(scope, op, "not implemented by the service; taken as none");
            lacking.push(op);
            self.push(Gap::new(
                kind,
                scope,
                format!("not served by the source: {op} answered {status}"),
            ));
        }
    }

    /// A list read whose reply could not be read is taken as none and recorded as a gap of
    /// `kind` in `scope` (one unreadable reply never costs the whole capture); other errors
    /// are errors, `what(op)` saying what was being read.
    pub(crate) fn or_unreadable<T, E>(
        &self,
        r: std::result::Result<Vec<T>, SdkError<E, HttpResponse>>,
        kind: &str,
        scope: &str,
        op: &str,
        what: &dyn Fn(&str) -> String,
    ) -> Result<Vec<T>>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match r {
            Err(e) => match self.unreadable(&e) {
                Some(why) => {
                    tracing::warn!(scope, op, kind, "reply not readable; taken as none");
                    self.push(Gap::new(
                        kind,
                        scope,
                        format!("could not read the reply of {op}: {why}"),
                    ));
                    Ok(Vec::new())
                }
                None => Err(sdk_error(&what(op), e)),
            },
            Ok(v) => Ok(v),
        }
    }
}

/// The end of a capture's progress line naming what the service did not serve.
pub(crate) fn lacking_note(lacking: &[&str]) -> String {
    if lacking.is_empty() {
        String::new()
    } else {
        format!(
            "; not served by this endpoint, taken as none: {}",
            lacking.join(", ")
        )
    }
}

/// A list read where NotFound means "none" (see the documentation reads in [`capture_one`]),
/// recorded in `gaps` as `(kind, scope, op)` not served.
fn none_if_not_found<T, E>(
    r: std::result::Result<Vec<T>, SdkError<E, HttpResponse>>,
    gaps: &Gaps,
    (kind, scope, op): (&str, &str, &'static str),
    what: &dyn Fn(&str) -> String,
) -> Result<Vec<T>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match r {
        Err(e) if is_not_found(&e) => {
            let status = AtomicU16::new(status_of(&e).unwrap_or(404));
            gaps.note(&status, kind, scope, op, &mut vec![]);
            Ok(Vec::new())
        }
        r => gaps.or_unreadable(r, kind, scope, op, what),
    }
}

/// Calls a paged operation until it returns no further `position`, each page through the
/// pacer. `page(position)` builds and sends one request. Stops as well if the service repeats a
/// position (a service that ignores `position` would otherwise loop for ever).
pub(crate) async fn paged<T, E, F, Fut>(
    pacer: &Pacer,
    op: &'static str,
    mut page: F,
) -> std::result::Result<Vec<T>, SdkError<E, HttpResponse>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = std::result::Result<(Vec<T>, Option<String>), SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut items = Vec::new();
    let mut position: Option<String> = None;
    let mut seen = HashSet::new();
    loop {
        let (mut batch, next) = pacer.call(op, || page(position.clone())).await?;
        let empty = batch.is_empty();
        items.append(&mut batch);
        match next.filter(|p| !p.is_empty()) {
            Some(p) if !empty && seen.insert(p.clone()) => position = Some(p),
            _ => return Ok(items),
        }
    }
}

/// Runs futures with at most `limit` of them in flight, and returns their outputs in the
/// order given. (A small stand-in for `futures::stream::buffered`, which the crate does not
/// depend on; the futures borrow the caller's client and pacer, so they cannot be spawned.)
async fn run_bounded<F: Future>(futs: Vec<F>, limit: usize) -> Vec<F::Output> {
    let n = futs.len();
    let mut queue = futs.into_iter().enumerate();
    let mut running: Vec<(usize, Pin<Box<F>>)> = Vec::new();
    let mut out: Vec<Option<F::Output>> = (0..n).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        loop {
            while running.len() < limit.max(1) {
                match queue.next() {
                    Some((i, f)) => running.push((i, Box::pin(f))),
                    None => break,
                }
            }
            let mut finished = false;
            let mut k = 0;
            while k < running.len() {
                if let Poll::Ready(v) = running[k].1.as_mut().poll(cx) {
                    out[running[k].0] = Some(v);
                    running.swap_remove(k);
                    finished = true;
                } else {
                    k += 1;
                }
            }
            if running.is_empty() && queue.len() == 0 {
                return Poll::Ready(());
            }
            if !finished {
                return Poll::Pending;
            }
        }
    })
    .await;
    out.into_iter()
        .map(|o| o.expect("every future ran to completion"))
        .collect()
}
