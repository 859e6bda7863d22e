//! One interface over the API families a restore handles: REST APIs ([`super::rest::Rest`])
//! and HTTP/WebSocket APIs ([`super::v2::V2`]). Planning, applying, verifying and diffing are
//! written once, generic over [`ApiFamily`] ([`super::plan`], [`super::run`]); each family
//! says how to list and capture its APIs in a target, how it names its items, what each step
//! costs, and how to carry a step out.

use std::collections::BTreeMap;
use std::future::Future;

use aws_config::SdkConfig;

use super::difference::Difference;
use super::kind::{Kind, api_calls};
use super::plan::Body;
use crate::Result;
pub use crate::model::Head;
use crate::model::{Entry, Snapshot, Stored};
use crate::pacing::Pacer;

/// The REST API family ([`super::rest`]).
pub struct Rest;

/// The HTTP and WebSocket API family ([`super::v2`]).
pub struct V2;

/// The SDK client of a family: its applier's.
pub type Sdk<F> =
    <<F as ApiFamily>::Applier<'static> as StepApplier<<F as ApiFamily>::Api>>::Client;

/// What restore needs of one API family. `Api` is the model of one API with everything in
/// it; the associated functions are pure unless they take a client.
pub trait ApiFamily: Sized + Send + Sync + 'static {
    type Api: Stored + Clone + Default + std::fmt::Debug + Send + Sync;
    /// Carries out steps against one target API, keeping the ids it learns.
    type Applier<'a>: StepApplier<Self::Api>;

    /// The kind of the API object itself (a second copy of it is a duplicate of this kind).
    const API_KIND: Kind;
    /// The API object's id field in its stored form, and the pointer that ties a child object
    /// to its API (not listed as a rewrite).
    const ID_FIELD: &'static str = api_calls(Self::API_KIND)[0];
    const TIE: &'static str = api_calls(Self::API_KIND)[1];
    /// The call that creates an API.
    const CREATE_API: &'static str = api_calls(Self::API_KIND)[2];
    /// The call that deletes an API (`--replace`).
    const DELETE_API: &'static str = api_calls(Self::API_KIND)[3];

    /// The point's APIs of this family.
    fn apis(snap: &Snapshot) -> &[Self::Api] {
        Self::Api::all(snap)
    }
    /// The API's id, name, tags and protocol.
    fn head(api: &Self::Api) -> Head<'_> {
        api.head()
    }
    fn set_name(api: &mut Self::Api, name: String) {
        api.set_name(name);
    }
    fn id(api: &Self::Api) -> &str {
        Self::head(api).id
    }
    fn name(api: &Self::Api) -> &str {
        Self::head(api).name
    }
    fn tags(api: &Self::Api) -> &BTreeMap<String, String> {
        Self::head(api).tags
    }
    /// `REST`, `HTTP` or `WEBSOCKET`.
    fn protocol(api: &Self::Api) -> &str {
        Self::head(api).protocol
    }
    /// `a REST API`, `an HTTP API`, `a WEBSOCKET API`.
    fn what(api: &Self::Api) -> String {
        let protocol = Self::protocol(api);
        let article = if protocol == "HTTP" { "an" } else { "a" };
        format!("{article} {protocol} API")
    }

    fn explode(api: &Self::Api, out: &mut Vec<Entry>) -> Result<()> {
        api.explode(out)
    }
    fn assemble(entries: Vec<Entry>) -> Result<Vec<Self::Api>> {
        Self::Api::assemble(entries)
    }
    /// Stored object id -> (kind, natural key), as [`Self::compare`] names them.
    fn natural_keys(api: &Self::Api, entries: &[Entry]) -> BTreeMap<String, (Kind, String)>;
    /// Family-specific adjustments of the translated API (endpoint type...), with notes.
    fn adjust(desired: &mut Self::Api, source: &Self::Api, keep_edge: bool) -> Vec<String>;
    /// What must change to turn `current` (None: no such API) into `desired`, in order.
    fn compare(desired: &Self::Api, current: Option<&Self::Api>) -> Vec<Difference>;
    /// The definitions the API holds inside it (what its stages served), each tied to the
    /// API's id, so that a restore translates them as it translates the API (none by default).
    fn nested(_api: &mut Self::Api) -> Vec<&mut Self::Api> {
        Vec::new()
    }
    /// The steps that make stages serve what they served in the source where that is not
    /// the working copy, done before the working copy is restored (none by default).
    fn served(_desired: &Self::Api, _current: Option<&Self::Api>) -> Vec<Difference> {
        Vec::new()
    }
    /// The calls the steps need, deployments included (`current`: the API exists already).
    fn calls(
        steps: &[Difference],
        desired: &Self::Api,
        current: bool,
    ) -> BTreeMap<&'static str, u64>;
    /// Function ARN -> what in the API calls it.
    fn functions_called(api: &Self::Api) -> BTreeMap<String, Vec<String>>;
    /// Wraps a plan's API of this family for the plan (the enum the appliers dispatch on).
    fn body(parts: Parts<Self>) -> Body;

    /// The call that rewrites an API whole from its definition document (`PutRestApi`
    /// overwrite, `ReimportApi`).
    const IMPORT_OP: &'static str = api_calls(Self::API_KIND)[4];
    /// The API's definition document, for an import; why not where there is none (a family
    /// without an import, a definition one document cannot say).
    fn document(desired: &Self::Api) -> std::result::Result<serde_json::Value, String>;
    /// What an import of [`Self::document`] gives back: the reconcile after it is the
    /// difference between this and `desired`.
    fn imported(desired: &Self::Api) -> Self::Api;

    fn client(sdk: &SdkConfig) -> Sdk<Self>;
    /// The target's APIs: (id, name).
    fn list(
        client: &Sdk<Self>,
        pacer: &Pacer,
    ) -> impl Future<Output = Result<Vec<(String, String)>>> + Send;
    fn capture(
        client: &Sdk<Self>,
        pacer: &Pacer,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<Self::Api>>> + Send;
    fn delete_api(
        client: &Sdk<Self>,
        pacer: &Pacer,
        what: &str,
        id: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Creates the API (safe to send again after a lost reply); its id.
    fn create_api(
        client: &Sdk<Self>,
        pacer: &Pacer,
        desired: &Self::Api,
        name: &str,
        tag: &str,
    ) -> impl Future<Output = Result<String>> + Send;
    /// Rewrites the target API `id` whole with `doc` (refused on any warning).
    fn import(
        client: &Sdk<Self>,
        pacer: &Pacer,
        id: &str,
        doc: &serde_json::Value,
    ) -> impl Future<Output = Result<()>> + Send;
    fn applier<'a>(
        client: &'a Sdk<Self>,
        pacer: &'a Pacer,
        current: &Self::Api,
        marker: &str,
    ) -> Self::Applier<'a>;
    fn step<'a>(
        applier: &mut Self::Applier<'a>,
        d: &Difference,
        desired: &Self::Api,
    ) -> impl Future<Output = Result<()>> + Send {
        applier.apply(d, desired)
    }
    /// The target API's id, as the applier knows it.
    fn applier_id(applier: &Self::Applier<'_>) -> String {
        applier.api_id().to_string()
    }
}

/// What carries out steps against one target API (a family's applier).
pub trait StepApplier<A>: Send {
    /// The SDK client it calls API Gateway with.
    type Client: Send + Sync;
    /// Carries out one step; `desired` holds the full items (with source ids).
    fn apply(&mut self, d: &Difference, desired: &A) -> impl Future<Output = Result<()>> + Send;
    /// After the steps: make the stages serve the restored API (deployments); how it went
    /// for each stage it touched (its kind and name).
    fn finish(
        &mut self,
        desired: &A,
        done: &Applied<'_>,
    ) -> impl Future<Output = Vec<Pointed>> + Send;
    /// The target API's id.
    fn api_id(&self) -> &str;
}

/// A stage [`StepApplier::finish`] pointed at a deployment (its kind and name), and how
/// that went.
pub type Pointed = (Kind, String, Result<()>);

/// What was carried out before [`StepApplier::finish`]: the steps, and whether the working
/// copy was rewritten whole (imported) before them.
pub struct Applied<'a> {
    pub steps: &'a [Difference],
    pub imported: bool,
}

/// One API of a plan: as the target must hold it (`desired`), as the point holds it
/// (`source_api`, before translation), and the target API as planning captured it.
pub struct Parts<F: ApiFamily> {
    pub desired: F::Api,
    pub source_api: F::Api,
    pub current: Option<F::Api>,
}

impl<F: ApiFamily> Clone for Parts<F> {
    fn clone(&self) -> Self {
        Parts {
            desired: self.desired.clone(),
            source_api: self.source_api.clone(),
            current: self.current.clone(),
        }
    }
}

impl<F: ApiFamily> std::fmt::Debug for Parts<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts")
            .field("desired", &self.desired)
            .field("current", &self.current.is_some())
            .finish_non_exhaustive()
    }
}

/// [`super::diff`] for one family: each of the point's APIs against its namesake (by id,
/// else by name) in `against` or, captured live, in `live_sdk`; with `against`, the APIs only
/// it holds too.
pub(super) async fn diff_family<F: ApiFamily>(
    point: &Snapshot,
    against: Option<&Snapshot>,
    live_sdk: Option<&SdkConfig>,
) -> Result<Vec<(String, Vec<Difference>)>> {
    let mut current: Vec<F::Api> = match (against, live_sdk) {
        (Some(other), _) => F::apis(other).to_vec(),
        (None, Some(sdk)) if !F::apis(point).is_empty() => {
            let client = F::client(sdk);
            let pacer = Pacer::default();
            let ids: std::collections::BTreeSet<String> = F::list(&client, &pacer)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            let wanted: Vec<String> = F::apis(point)
                .iter()
                .map(|a| F::id(a).to_string())
                .filter(|id| ids.contains(id))
                .collect();
            if wanted.is_empty() {
                vec![]
            } else {
                F::capture(&client, &pacer, &wanted).await?
            }
        }
        _ => vec![],
    };
    let mut out = Vec::new();
    for api in F::apis(point) {
        let pos = current
            .iter()
            .position(|c| F::id(c) == F::id(api))
            .or_else(|| current.iter().position(|c| F::name(c) == F::name(api)));
        let other = pos.map(|i| current.remove(i));
        out.push((F::name(api).to_string(), F::compare(api, other.as_ref())));
    }
    if against.is_some() {
        for extra in current {
            let gone = F::compare(&F::Api::default(), Some(&extra))
                .into_iter()
                .filter(|d| d.kind != F::API_KIND)
                .collect();
            out.push((F::name(&extra).to_string(), gone));
        }
    }
    Ok(out)
}
