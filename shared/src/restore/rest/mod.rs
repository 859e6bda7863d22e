//! REST APIs (API Gateway v1): pure comparison ([`compare`]), call counting ([`calls`]) and
//! the SDK-calling applier ([`apply`]), tied together as an [`ApiFamily`] ([`Rest`]).

pub mod apply;
pub mod calls;
pub mod compare;
pub mod served;

use std::collections::BTreeMap;
use std::future::Future;

use aws_config::SdkConfig;
use aws_sdk_apigateway::Client;
use serde_json::Value;

pub use apply::Applier;
pub use calls::step_calls;
pub use compare::{compare, items, natural_key};

use super::difference::{Change, Difference};
pub use super::family::Rest;
use super::family::{ApiFamily, Parts};
use super::kind::Kind;
use super::once::{sent, sent_retrying, whole};
use super::plan::Body;
use crate::Result;
use crate::capture::{apigateway_client, capture_rest_apis, list_rest_apis};
use crate::model::Entry;
use crate::model::v1::RestApiSnapshot;
use crate::pacing::Pacer;

impl ApiFamily for Rest {
    type Api = RestApiSnapshot;
    type Applier<'a> = Applier<'a>;

    const API_KIND: Kind = Kind::RestApi;

    fn natural_keys(_: &RestApiSnapshot, entries: &[Entry]) -> BTreeMap<String, (Kind, String)> {
        entries
            .iter()
            .filter_map(|e| Some((e.id.clone(), natural_key(e)?)))
            .collect()
    }
    /// Edge-optimized APIs come back Regional unless told; stages whose served definition
    /// the point does not hold serve the restored working copy, and the notes say so.
    fn adjust(
        desired: &mut RestApiSnapshot,
        _source: &RestApiSnapshot,
        keep_edge: bool,
    ) -> Vec<String> {
        let mut notes = Vec::new();
        if !keep_edge
            && let Some(ec) = desired.api.endpoint_configuration.as_mut()
            && ec.types.iter().any(|t| t == "EDGE")
        {
            ec.types = vec!["REGIONAL".into()];
            notes.push("edge-optimized in the source: recovered as Regional (--keep-edge keeps it edge-optimized)".into());
        }
        for stage in served::unknown(desired) {
            notes.push(format!(
                "stage {stage} serves the restored working copy: what it served was not captured"
            ));
        }
        notes.extend(served::canary_notes(desired));
        notes
    }
    fn compare(desired: &RestApiSnapshot, current: Option<&RestApiSnapshot>) -> Vec<Difference> {
        compare(desired, current)
    }
    fn nested(api: &mut RestApiSnapshot) -> Vec<&mut RestApiSnapshot> {
        let id = api.api.id.clone();
        api.served
            .iter_mut()
            .map(|s| {
                s.definition.api.id.clone_from(&id);
                &mut s.definition
            })
            .collect()
    }
    fn served(desired: &RestApiSnapshot, current: Option<&RestApiSnapshot>) -> Vec<Difference> {
        served::differences(desired, current)
    }
    /// The steps' calls, and the deployment of the working copy: after a change to an
    /// existing API's working copy (an import of a served definition is one), one deployment
    /// and every stage that serves the working copy pointed at it; else one for new stages.
    /// Stages that serve a definition of their own are counted with its step.
    fn calls(
        steps: &[Difference],
        desired: &RestApiSnapshot,
        current: bool,
    ) -> BTreeMap<&'static str, u64> {
        let mut calls = BTreeMap::new();
        for s in steps {
            step_calls(s, desired, &mut calls);
        }
        let groups = served::groups(desired);
        let copy_stages = desired
            .stages
            .iter()
            .filter(|s| served::serves_own(&groups, &s.stage_name).is_none())
            .count() as u64;
        let changes_copy = steps
            .iter()
            .any(|s| s.kind != Kind::Stage && !s.is_duplicate());
        if changes_copy && current && copy_stages > 0 {
            *calls.entry("CreateDeployment").or_insert(0) += 1;
            *calls.entry("UpdateStage").or_insert(0) += copy_stages;
        } else if steps
            .iter()
            .any(|s| s.kind == Kind::Stage && s.change == Change::Create)
        {
            *calls.entry("CreateDeployment").or_insert(0) += 1;
        }
        calls
    }
    fn functions_called(api: &RestApiSnapshot) -> BTreeMap<String, Vec<String>> {
        super::lambda::functions_called(api)
    }
    fn body(parts: Parts<Rest>) -> Body {
        Body::Rest(parts)
    }

    fn document(desired: &RestApiSnapshot) -> std::result::Result<serde_json::Value, String> {
        crate::openapi::rest::to_document(desired)
            .map_err(|e| format!("its definition cannot be one import document: {e}"))
    }
    fn imported(desired: &RestApiSnapshot) -> RestApiSnapshot {
        crate::openapi::rest::carried(desired)
    }

    fn client(sdk: &SdkConfig) -> Client {
        apigateway_client(sdk)
    }
    fn list(
        client: &Client,
        pacer: &Pacer,
    ) -> impl Future<Output = Result<Vec<(String, String)>>> + Send {
        list_rest_apis(client, pacer)
    }
    async fn capture(
        client: &Client,
        pacer: &Pacer,
        ids: &[String],
    ) -> Result<Vec<RestApiSnapshot>> {
        capture_rest_apis(client, pacer, ids, &|_| {}).await
    }
    async fn delete_api(client: &Client, pacer: &Pacer, what: &str, id: &str) -> Result<()> {
        let what = format!("deleting {what} {id}");
        sent(pacer, Self::DELETE_API, &what, || {
            client.delete_rest_api().rest_api_id(id).send()
        })
        .await
    }
    async fn create_api(
        client: &Client,
        pacer: &Pacer,
        desired: &RestApiSnapshot,
        name: &str,
        tag: &str,
    ) -> Result<String> {
        Applier::create_api(client, pacer, &desired.api, name, tag)
            .await
            .map(|(id, _root)| id)
    }
    /// PutRestApi, mode overwrite, refused on any warning.
    async fn import(client: &Client, pacer: &Pacer, id: &str, doc: &Value) -> Result<()> {
        let body = doc.to_string().into_bytes();
        let what = format!("importing REST API {id} whole");
        sent_retrying(pacer, Self::IMPORT_OP, &what, whole(), || {
            client
                .put_rest_api()
                .rest_api_id(id)
                .mode(aws_sdk_apigateway::types::PutMode::Overwrite)
                .fail_on_warnings(true)
                .body(aws_sdk_apigateway::primitives::Blob::new(body.clone()))
                .send()
        })
        .await
    }
    fn applier<'a>(
        client: &'a Client,
        pacer: &'a Pacer,
        current: &RestApiSnapshot,
        marker: &str,
    ) -> Applier<'a> {
        Applier::new(client, pacer, current, marker.to_string())
    }
}
