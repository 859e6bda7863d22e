//! HTTP and WebSocket APIs (API Gateway v2): pure comparison ([`compare`]), call counting
//! ([`calls`]) and the SDK-calling applier ([`apply`]), tied together as an [`ApiFamily`]
//! ([`V2`]).

pub mod apply;
pub mod calls;
pub mod compare;

use std::collections::BTreeMap;
use std::future::Future;

use aws_config::SdkConfig;
use aws_sdk_apigatewayv2::Client;
use serde_json::Value;

pub use apply::ApplierV2;
pub use calls::step_calls;
pub use compare::{compare, functions_called, items, natural_keys};

use super::difference::Difference;
pub use super::family::V2;
use super::family::{ApiFamily, Parts};
use super::kind::Kind;
use super::once::{sent, sent_retrying, whole};
use super::plan::Body;
use crate::Result;
use crate::model::Entry;
use crate::model::v2::ApiSnapshot;
use crate::pacing::Pacer;

impl ApiFamily for V2 {
    type Api = ApiSnapshot;
    type Applier<'a> = ApplierV2<'a>;

    const API_KIND: Kind = Kind::Api;

    fn natural_keys(api: &ApiSnapshot, _: &[Entry]) -> BTreeMap<String, (Kind, String)> {
        natural_keys(api, &api.api.name)
    }
    fn adjust(_: &mut ApiSnapshot, _: &ApiSnapshot, _: bool) -> Vec<String> {
        vec![]
    }
    fn compare(desired: &ApiSnapshot, current: Option<&ApiSnapshot>) -> Vec<Difference> {
        compare(desired, current)
    }
    /// The steps' calls, and one deployment per stage that does not deploy itself after any
    /// change.
    fn calls(steps: &[Difference], desired: &ApiSnapshot, _: bool) -> BTreeMap<&'static str, u64> {
        let mut calls = BTreeMap::new();
        for s in steps {
            step_calls(s, desired, &mut calls);
        }
        if steps.iter().any(|s| !s.is_duplicate()) {
            let manual = desired.stages.iter().filter(|s| !s.auto_deploy).count() as u64;
            if manual > 0 {
                calls.insert("CreateDeployment", manual);
            }
        }
        calls
    }
    fn functions_called(api: &ApiSnapshot) -> BTreeMap<String, Vec<String>> {
        functions_called(api)
    }
    fn body(parts: Parts<V2>) -> Body {
        Body::V2(parts)
    }

    fn document(desired: &ApiSnapshot) -> std::result::Result<serde_json::Value, String> {
        if desired.api.protocol_type == "WEBSOCKET" {
            return Err("WebSocket APIs have no import in API Gateway".into());
        }
        crate::openapi::http::to_document(desired)
            .map_err(|e| format!("its definition cannot be one import document: {e}"))
    }
    fn imported(desired: &ApiSnapshot) -> ApiSnapshot {
        crate::openapi::http::carried(desired)
    }

    fn client(sdk: &SdkConfig) -> Client {
        crate::capture::v2::client(sdk)
    }
    async fn list(client: &Client, pacer: &Pacer) -> Result<Vec<(String, String)>> {
        let listed = crate::capture::v2::list_apis(client, pacer).await?;
        Ok(listed.into_iter().map(|(id, name, _)| (id, name)).collect())
    }
    fn capture(
        client: &Client,
        pacer: &Pacer,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<ApiSnapshot>>> + Send {
        crate::capture::v2::capture_apis(client, pacer, ids, &|_| {})
    }
    async fn delete_api(client: &Client, pacer: &Pacer, what: &str, id: &str) -> Result<()> {
        let what = format!("deleting {what} {id}");
        sent(pacer, Self::DELETE_API, &what, || {
            client.delete_api().api_id(id).send()
        })
        .await
    }
    fn create_api(
        client: &Client,
        pacer: &Pacer,
        desired: &ApiSnapshot,
        name: &str,
        tag: &str,
    ) -> impl Future<Output = Result<String>> + Send {
        ApplierV2::create_api(client, pacer, &desired.api, name, tag)
    }
    /// ReimportApi, refused on any warning.
    async fn import(client: &Client, pacer: &Pacer, id: &str, doc: &Value) -> Result<()> {
        let body = doc.to_string();
        let what = format!("importing API {id} whole");
        sent_retrying(pacer, Self::IMPORT_OP, &what, whole(), || {
            client
                .reimport_api()
                .api_id(id)
                .fail_on_warnings(true)
                .body(body.clone())
                .send()
        })
        .await
    }
    fn applier<'a>(
        client: &'a Client,
        pacer: &'a Pacer,
        current: &ApiSnapshot,
        marker: &str,
    ) -> ApplierV2<'a> {
        let mut applier = ApplierV2::new(client, pacer, current);
        applier.marker = marker.to_string();
        applier
    }
}
