//! HTTP and WebSocket API (API Gateway v2) model: plain serde types with the API's own camelCase
//! field names, no SDK types. Maps are `BTreeMap`s and empty or absent values are left out, as in
//! [`super::v1`].
//!
//! An [`ApiSnapshot`] is one HTTP or WebSocket API with everything in it. It explodes into one
//! [`Entry`] per object, each with a stable logical id:
//!
//! | kind | logical id |
//! |---|---|
//! | `Api` | `api:NAME` |
//! | `Route` | `route:NAME:ROUTEKEY` (with its route responses) |
//! | `Integration` | `integration:NAME:ROUTEKEY` or `integration:NAME:~INTEGRATIONID` (with its integration responses; see below) |
//! | `AuthorizerV2` | `authorizer2:NAME:AUTHNAME` |
//! | `ModelV2` | `model2:NAME:MODELNAME` |
//! | `StageV2` | `stage2:NAME:STAGENAME` |
//! | `DeploymentV2` | `deployment2:NAME:DEPLOYMENTID` |
//!
//! NAME is the API's name, or `name~apiid` for HTTP/WebSocket APIs that share their name with
//! another of the same snapshot (see [`logical_names`]); the prefixes differ from v1's, so a REST
//! API and an HTTP API of the same name never clash.
//!
//! Integrations have no name. An integration is keyed by the smallest (in byte order) route key
//! of the routes that target it (`integrations/ID`): that is what an operator knows it by
//! (`integration:orders:GET /pets`), it stays short when many routes share one integration, and
//! it is unique because a route targets one integration. An integration no route targets is
//! keyed by its physical id (`integration:NAME:~ID`). The key is only a name: the object holds
//! `integrationId` and each route its `target`, and assembling never parses logical ids, so
//! retargeting a route renames integrations without changing their stored content.
//!
//! Within one API, two objects that would get the same id (duplicate route keys, which some AWS
//! look-alikes allow) get `~physicalid` appended. In storage every object other than the `Api`
//! carries `apiId`, the physical id of its API, which [`ApiSnapshot::assemble`] uses to put the
//! objects back together; it is not part of the in-memory types.

use std::collections::{BTreeMap, HashMap};

use super::{Entry, decode};
use crate::Result;
use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

/// The API itself (GetApis item), without its contents. `apiEndpoint` is left out: AWS derives
/// it from the id and Region, and it cannot be set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Api {
    pub api_id: String,
    pub name: String,
    /// `HTTP` or `WEBSOCKET`.
    pub protocol_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// HTTP APIs only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors_configuration: Option<Cors>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub disable_execute_api_endpoint: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub disable_schema_validation: bool,
    /// `ipv4` or `dualstack`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<String>,
    /// Created by quick create (CreateApi with a target).
    #[serde(skip_serializing_if = "is_false")]
    pub api_gateway_managed: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Cors {
    #[serde(skip_serializing_if = "is_false")]
    pub allow_credentials: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_headers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_methods: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_origins: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose_headers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ParameterConstraints {
    #[serde(skip_serializing_if = "is_false")]
    pub required: bool,
}

/// A route with its route responses (WebSocket APIs only have those).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Route {
    pub route_id: String,
    /// `GET /pets/{id}`, `$default`, `$connect`, ...
    pub route_key: String,
    /// `integrations/INTEGRATIONID`, where set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `NONE`, `AWS_IAM`, `CUSTOM` or `JWT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorization_scopes: Vec<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub api_key_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub request_models: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub request_parameters: BTreeMap<String, ParameterConstraints>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_response_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub api_gateway_managed: bool,
    /// By route response key (`$default`, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub route_responses: BTreeMap<String, RouteResponse>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteResponse {
    pub route_response_id: String,
    pub route_response_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub response_models: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub response_parameters: BTreeMap<String, ParameterConstraints>,
}

/// An integration with its integration responses (WebSocket APIs only have those).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Integration {
    pub integration_id: String,
    /// `AWS`, `AWS_PROXY`, `HTTP`, `HTTP_PROXY` or `MOCK`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_type: Option<String>,
    /// E.g. `SQS-SendMessage` (AWS service integrations of HTTP APIs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_subtype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_method: Option<String>,
    /// `INTERNET` or `VPC_LINK`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `1.0` or `2.0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_format_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_in_millis: Option<i32>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub request_parameters: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub request_templates: BTreeMap<String, String>,
    /// Status code -> parameter mapping (HTTP APIs).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub response_parameters: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_response_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passthrough_behavior: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_handling_strategy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    #[serde(skip_serializing_if = "is_false")]
    pub api_gateway_managed: bool,
    /// By integration response key (`$default`, `/200/`, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub integration_responses: BTreeMap<String, IntegrationResponse>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TlsConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name_to_verify: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IntegrationResponse {
    pub integration_response_id: String,
    pub integration_response_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_handling_strategy: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub response_parameters: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub response_templates: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_selection_expression: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Authorizer {
    pub authorizer_id: String,
    pub name: String,
    /// `JWT` or `REQUEST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_type: Option<String>,
    /// JWT authorizers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_configuration: Option<JwtConfiguration>,
    /// REQUEST (Lambda) authorizers: the function's invocation URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_credentials_arn: Option<String>,
    /// `1.0` or `2.0` (HTTP APIs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_payload_format_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_result_ttl_in_seconds: Option<i32>,
    #[serde(skip_serializing_if = "is_false")]
    pub enable_simple_responses: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identity_source: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_validation_expression: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JwtConfiguration {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audience: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Model {
    pub model_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

/// A stage with its settings (not its runtime state, such as the last deployment's status).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Stage {
    pub stage_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub auto_deploy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_certificate_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_route_settings: Option<RouteSettings>,
    /// By route key.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub route_settings: BTreeMap<String, RouteSettings>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub stage_variables: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_settings: Option<AccessLogSettings>,
    #[serde(skip_serializing_if = "is_false")]
    pub api_gateway_managed: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteSettings {
    #[serde(skip_serializing_if = "is_false")]
    pub data_trace_enabled: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub detailed_metrics_enabled: bool,
    /// `OFF`, `ERROR` or `INFO` (WebSocket APIs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_level: Option<String>,
    /// Kept even when 0: a zero limit blocks the route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttling_burst_limit: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttling_rate_limit: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessLogSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// A deployment (not its runtime status).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Deployment {
    pub deployment_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub auto_deployed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
}

/// One HTTP or WebSocket API with everything in it. Each list is kept in a canonical order (see
/// [`ApiSnapshot::normalize`]), which capture and [`ApiSnapshot::assemble`] both produce.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiSnapshot {
    pub api: Api,
    pub routes: Vec<Route>,
    pub integrations: Vec<Integration>,
    pub authorizers: Vec<Authorizer>,
    pub models: Vec<Model>,
    pub stages: Vec<Stage>,
    pub deployments: Vec<Deployment>,
}

/// The kinds of stored objects this module makes, in no particular order.
pub const KINDS: &[&str] = &[
    KIND_API,
    KIND_ROUTE,
    KIND_INTEGRATION,
    KIND_AUTHORIZER,
    KIND_MODEL,
    KIND_STAGE,
    KIND_DEPLOYMENT,
];
pub const KIND_API: &str = "Api";
pub const KIND_ROUTE: &str = "Route";
pub const KIND_INTEGRATION: &str = "Integration";
pub const KIND_AUTHORIZER: &str = "AuthorizerV2";
pub const KIND_MODEL: &str = "ModelV2";
pub const KIND_STAGE: &str = "StageV2";
pub const KIND_DEPLOYMENT: &str = "DeploymentV2";

/// The field that ties a stored child object to its API (added by explode, removed by assemble).
const API_ID: &str = "apiId";

/// The prefix of a route's target that names an integration.
pub const TARGET_PREFIX: &str = "integrations/";

/// The NAME part of the logical ids of each API, in the same order: the API's name, or
/// `name~apiid` where several of `apis` share that name.
pub fn logical_names(apis: &[ApiSnapshot]) -> Vec<String> {
    super::unique_names(
        apis.iter()
            .map(|a| (a.api.name.as_str(), a.api.api_id.as_str())),
    )
}

/// Logical ids, for planning and reports. `name` is the API's NAME part (see [`logical_names`]).
pub mod ids {
    pub fn api(name: &str) -> String {
        format!("api:{name}")
    }
    pub fn route(name: &str, route_key: &str) -> String {
        format!("route:{name}:{route_key}")
    }
    /// `key` from [`super::ApiSnapshot::integration_keys`].
    pub fn integration(name: &str, key: &str) -> String {
        format!("integration:{name}:{key}")
    }
    pub fn authorizer(name: &str, authorizer: &str) -> String {
        format!("authorizer2:{name}:{authorizer}")
    }
    pub fn model(name: &str, model: &str) -> String {
        format!("model2:{name}:{model}")
    }
    pub fn stage(name: &str, stage: &str) -> String {
        format!("stage2:{name}:{stage}")
    }
    pub fn deployment(name: &str, id: &str) -> String {
        format!("deployment2:{name}:{id}")
    }
}

impl Route {
    /// The id of the integration this route targets, if it targets one.
    pub fn integration_id(&self) -> Option<&str> {
        self.target.as_deref()?.strip_prefix(TARGET_PREFIX)
    }
}

impl ApiSnapshot {
    /// The key part of each integration's logical id, by integration id: the smallest route key
    /// that targets it, or `~INTEGRATIONID` when no route does (see the module doc).
    pub fn integration_keys(&self) -> HashMap<String, String> {
        let mut keys: HashMap<String, String> = HashMap::new();
        for r in &self.routes {
            if let Some(i) = r.integration_id() {
                keys.entry(i.to_string())
                    .and_modify(|k| {
                        if r.route_key < *k {
                            k.clone_from(&r.route_key)
                        }
                    })
                    .or_insert_with(|| r.route_key.clone());
            }
        }
        self.integrations
            .iter()
            .map(|i| {
                let id = &i.integration_id;
                let key = keys.get(id).cloned().unwrap_or_else(|| format!("~{id}"));
                (id.clone(), key)
            })
            .collect()
    }

    /// Explodes this API under its own name. Where several APIs of one snapshot may share a
    /// name, use [`explode_all`] (which [`super::Snapshot::entries`] does).
    pub fn explode(&self, out: &mut Vec<Entry>) -> Result<()> {
        self.explode_as(&self.api.name, out)
    }

    /// Explodes this API with `name` as the NAME part of its logical ids.
    pub fn explode_as(&self, name: &str, out: &mut Vec<Entry>) -> Result<()> {
        let mut entries = super::ApiEntries::new(API_ID, &self.api.api_id);
        for r in &self.routes {
            let id = ids::route(name, &r.route_key);
            entries.push(id, &r.route_id, KIND_ROUTE, r)?;
        }
        let keys = self.integration_keys();
        for i in &self.integrations {
            let id = ids::integration(name, &keys[&i.integration_id]);
            entries.push(id, &i.integration_id, KIND_INTEGRATION, i)?;
        }
        for a in &self.authorizers {
            let id = ids::authorizer(name, &a.name);
            entries.push(id, &a.authorizer_id, KIND_AUTHORIZER, a)?;
        }
        for m in &self.models {
            let id = ids::model(name, &m.name);
            entries.push(id, &m.model_id, KIND_MODEL, m)?;
        }
        for s in &self.stages {
            let id = ids::stage(name, &s.stage_name);
            entries.push(id, &s.stage_name, KIND_STAGE, s)?;
        }
        for d in &self.deployments {
            let id = ids::deployment(name, &d.deployment_id);
            entries.push(id, &d.deployment_id, KIND_DEPLOYMENT, d)?;
        }

        entries.finish(ids::api(name), KIND_API, &self.api, out)
    }

    /// The inverse of explode (of [`explode_all`]): puts the APIs back together from their
    /// objects, in canonical order (by name, then id). Entries of kinds other than this module's
    /// (v1's, for instance) are ignored.
    pub fn assemble(entries: Vec<Entry>) -> Result<Vec<ApiSnapshot>> {
        let mut out = super::group_by_api(
            entries,
            KIND_API,
            KINDS,
            API_ID,
            "API",
            |id, v| {
                let api: Api = decode(id, v)?;
                Ok((
                    api.api_id.clone(),
                    ApiSnapshot {
                        api,
                        ..Default::default()
                    },
                ))
            },
            |s, e| {
                let (id, v) = (e.id.as_str(), e.value);
                match e.kind.as_str() {
                    KIND_ROUTE => s.routes.push(decode(id, v)?),
                    KIND_INTEGRATION => s.integrations.push(decode(id, v)?),
                    KIND_AUTHORIZER => s.authorizers.push(decode(id, v)?),
                    KIND_MODEL => s.models.push(decode(id, v)?),
                    KIND_STAGE => s.stages.push(decode(id, v)?),
                    KIND_DEPLOYMENT => s.deployments.push(decode(id, v)?),
                    _ => unreachable!("KINDS lists every kind handled here"),
                }
                Ok(())
            },
        )?;
        for s in &mut out {
            s.normalize();
        }
        sort_apis(&mut out);
        Ok(out)
    }

    /// Sorts every list into the canonical order: routes by route key, integrations by id,
    /// named things by name, stages by name, deployments by id (physical ids break ties).
    pub fn normalize(&mut self) {
        self.routes
            .sort_by(|a, b| (&a.route_key, &a.route_id).cmp(&(&b.route_key, &b.route_id)));
        self.integrations
            .sort_by(|a, b| a.integration_id.cmp(&b.integration_id));
        self.authorizers
            .sort_by(|a, b| (&a.name, &a.authorizer_id).cmp(&(&b.name, &b.authorizer_id)));
        self.models
            .sort_by(|a, b| (&a.name, &a.model_id).cmp(&(&b.name, &b.model_id)));
        self.stages.sort_by(|a, b| a.stage_name.cmp(&b.stage_name));
        self.deployments
            .sort_by(|a, b| a.deployment_id.cmp(&b.deployment_id));
    }

    /// Number of objects this API explodes into.
    pub fn object_count(&self) -> usize {
        1 + self.routes.len()
            + self.integrations.len()
            + self.authorizers.len()
            + self.models.len()
            + self.stages.len()
            + self.deployments.len()
    }
}

/// Explodes several APIs, giving APIs that share a name the NAME `name~apiid` (see
/// [`logical_names`]).
pub fn explode_all(apis: &[ApiSnapshot], out: &mut Vec<Entry>) -> Result<()> {
    for (api, name) in apis.iter().zip(logical_names(apis)) {
        api.explode_as(&name, out)?;
    }
    Ok(())
}

/// Sorts APIs into the canonical order: by name, then id.
pub fn sort_apis(apis: &mut [ApiSnapshot]) {
    apis.sort_by(|a, b| (&a.api.name, &a.api.api_id).cmp(&(&b.api.name, &b.api.api_id)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn map<V: Clone>(kv: &[(&str, V)]) -> BTreeMap<String, V> {
        kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    fn lambda_uri(f: &str) -> Option<String> {
        s(&format!(
            "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111111111111:function:{f}/invocations"
        ))
    }

    /// An HTTP API that sets every HTTP field at least once.
    fn http(id: &str, name: &str) -> ApiSnapshot {
        let i = |n: &str| format!("{id}-i{n}");
        let route = |key: &str, rid: &str, target: Option<String>| Route {
            route_id: format!("{id}-{rid}"),
            route_key: key.into(),
            target: target.map(|t| format!("{TARGET_PREFIX}{t}")),
            authorization_type: s("NONE"),
            ..Default::default()
        };
        ApiSnapshot {
            api: Api {
                api_id: id.into(),
                name: name.into(),
                protocol_type: "HTTP".into(),
                description: s("orders over HTTP"),
                version: s("2.1"),
                cors_configuration: Some(Cors {
                    allow_credentials: true,
                    allow_headers: vec!["authorization".into()],
                    allow_methods: vec!["GET".into(), "POST".into()],
                    allow_origins: vec!["https://example.com".into()],
                    expose_headers: vec!["x-id".into()],
                    max_age: Some(300),
                }),
                route_selection_expression: s("$request.method $request.path"),
                api_key_selection_expression: s("$request.header.x-api-key"),
                disable_execute_api_endpoint: true,
                disable_schema_validation: false,
                ip_address_type: s("dualstack"),
                api_gateway_managed: false,
                tags: map(&[("team", "orders".to_string())]),
                created_date: s("2026-01-02T03:04:05Z"),
            },
            routes: vec![
                Route {
                    authorization_type: s("JWT"),
                    authorizer_id: s("au1"),
                    authorization_scopes: vec!["orders/read".into()],
                    operation_name: s("GetOrder"),
                    request_parameters: map(&[(
                        "route.request.header.x-id",
                        ParameterConstraints { required: true },
                    )]),
                    ..route("GET /orders/{id}", "r1", Some(i("1")))
                },
                route("POST /orders", "r2", Some(i("1"))),
                route("$default", "r3", Some(i("2"))),
                route("GET /health", "r4", None),
            ],
            integrations: vec![
                Integration {
                    integration_id: i("1"),
                    integration_type: s("AWS_PROXY"),
                    integration_uri: lambda_uri("orders"),
                    integration_method: s("POST"),
                    connection_type: s("INTERNET"),
                    credentials_arn: s("arn:aws:iam::111111111111:role/apigw"),
                    description: s("the orders function"),
                    payload_format_version: s("2.0"),
                    timeout_in_millis: Some(29000),
                    request_parameters: map(&[("overwrite:header.x-a", "b".to_string())]),
                    response_parameters: map(&[(
                        "200",
                        map(&[("append:header.x-c", "d".to_string())]),
                    )]),
                    ..Default::default()
                },
                Integration {
                    integration_id: i("2"),
                    integration_type: s("HTTP_PROXY"),
                    integration_uri: s("https://backend.example.com/{proxy}"),
                    integration_method: s("ANY"),
                    connection_type: s("VPC_LINK"),
                    connection_id: s("vl1"),
                    payload_format_version: s("1.0"),
                    tls_config: Some(TlsConfig {
                        server_name_to_verify: s("backend.example.com"),
                    }),
                    ..Default::default()
                },
                Integration {
                    integration_id: i("3"),
                    integration_type: s("AWS_PROXY"),
                    integration_subtype: s("SQS-SendMessage"),
                    credentials_arn: s("arn:aws:iam::111111111111:role/sqs"),
                    payload_format_version: s("1.0"),
                    request_parameters: map(&[
                        (
                            "QueueUrl",
                            "https://sqs.eu-west-1.amazonaws.com/111111111111/q".to_string(),
                        ),
                        ("MessageBody", "$request.body".to_string()),
                    ]),
                    ..Default::default()
                },
            ],
            authorizers: vec![Authorizer {
                authorizer_id: "au1".into(),
                name: "cognito".into(),
                authorizer_type: s("JWT"),
                jwt_configuration: Some(JwtConfiguration {
                    audience: vec!["client1".into()],
                    issuer: s("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X"),
                }),
                identity_source: vec!["$request.header.Authorization".into()],
                ..Default::default()
            }],
            models: vec![],
            stages: vec![Stage {
                stage_name: "$default".into(),
                deployment_id: s("d2"),
                description: s("live"),
                auto_deploy: true,
                client_certificate_id: None,
                default_route_settings: Some(RouteSettings {
                    detailed_metrics_enabled: true,
                    throttling_burst_limit: Some(100),
                    throttling_rate_limit: Some(50.5),
                    ..Default::default()
                }),
                route_settings: map(&[(
                    "GET /orders/{id}",
                    RouteSettings {
                        throttling_burst_limit: Some(0),
                        throttling_rate_limit: Some(0.0),
                        ..Default::default()
                    },
                )]),
                stage_variables: map(&[("backend", "prod".to_string())]),
                access_log_settings: Some(AccessLogSettings {
                    destination_arn: s("arn:aws:logs:eu-west-1:111111111111:log-group:access"),
                    format: s("$context.requestId"),
                }),
                api_gateway_managed: false,
                tags: map(&[("env", "prod".to_string())]),
                created_date: s("2026-01-02T03:04:06Z"),
                last_updated_date: s("2026-01-02T03:04:07Z"),
            }],
            deployments: vec![
                Deployment {
                    deployment_id: "d1".into(),
                    description: s("first"),
                    auto_deployed: false,
                    created_date: s("2026-01-02T03:04:06Z"),
                },
                Deployment {
                    deployment_id: "d2".into(),
                    auto_deployed: true,
                    ..Default::default()
                },
            ],
        }
    }

    /// A WebSocket API with route and integration responses, a REQUEST authorizer and a model.
    fn websocket(id: &str, name: &str) -> ApiSnapshot {
        let integration = |n: &str, f: &str| Integration {
            integration_id: format!("{id}-i{n}"),
            integration_type: s("AWS_PROXY"),
            integration_uri: lambda_uri(f),
            content_handling_strategy: s("CONVERT_TO_TEXT"),
            passthrough_behavior: s("WHEN_NO_MATCH"),
            template_selection_expression: s("\\$default"),
            integration_response_selection_expression: s("${integration.response.statuscode}"),
            request_templates: map(&[("$default", "$input.body".to_string())]),
            integration_responses: map(&[(
                "$default",
                IntegrationResponse {
                    integration_response_id: format!("{id}-ir{n}"),
                    integration_response_key: "$default".into(),
                    content_handling_strategy: s("CONVERT_TO_TEXT"),
                    response_parameters: map(&[("method.response.header.x", "'y'".to_string())]),
                    response_templates: map(&[("$default", "{}".to_string())]),
                    template_selection_expression: s("$default"),
                },
            )]),
            ..Default::default()
        };
        let route = |key: &str, n: &str| Route {
            route_id: format!("{id}-r{n}"),
            route_key: key.into(),
            target: Some(format!("{TARGET_PREFIX}{id}-i{n}")),
            authorization_type: s("NONE"),
            route_response_selection_expression: s("$default"),
            route_responses: map(&[(
                "$default",
                RouteResponse {
                    route_response_id: format!("{id}-rr{n}"),
                    route_response_key: "$default".into(),
                    model_selection_expression: s("$default"),
                    response_models: map(&[("$default", "Message".to_string())]),
                    response_parameters: map(&[(
                        "route.response.header.x",
                        ParameterConstraints { required: false },
                    )]),
                },
            )]),
            ..Default::default()
        };
        ApiSnapshot {
            api: Api {
                api_id: id.into(),
                name: name.into(),
                protocol_type: "WEBSOCKET".into(),
                route_selection_expression: s("$request.body.action"),
                api_key_selection_expression: s("$request.header.x-api-key"),
                disable_schema_validation: true,
                ..Default::default()
            },
            routes: vec![
                Route {
                    authorization_type: s("CUSTOM"),
                    authorizer_id: s("wsauth"),
                    api_key_required: true,
                    request_models: map(&[("$default", "Message".to_string())]),
                    model_selection_expression: s("$default"),
                    ..route("$connect", "1")
                },
                route("$default", "2"),
                route("$disconnect", "3"),
            ],
            integrations: vec![
                integration("1", "connect"),
                integration("2", "default"),
                integration("3", "disconnect"),
            ],
            authorizers: vec![Authorizer {
                authorizer_id: "wsauth".into(),
                name: "gate".into(),
                authorizer_type: s("REQUEST"),
                authorizer_uri: lambda_uri("auth"),
                authorizer_credentials_arn: s("arn:aws:iam::111111111111:role/auth"),
                authorizer_result_ttl_in_seconds: Some(0),
                identity_source: vec!["route.request.header.Auth".into()],
                identity_validation_expression: s("^x$"),
                ..Default::default()
            }],
            models: vec![Model {
                model_id: "m1".into(),
                name: "Message".into(),
                content_type: s("application/json"),
                description: s("a message"),
                schema: s("{\"type\":\"object\"}"),
            }],
            stages: vec![Stage {
                stage_name: "prod".into(),
                deployment_id: s("wd1"),
                default_route_settings: Some(RouteSettings {
                    data_trace_enabled: true,
                    logging_level: s("INFO"),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            deployments: vec![Deployment {
                deployment_id: "wd1".into(),
                ..Default::default()
            }],
        }
    }

    fn entries_of(apis: &[ApiSnapshot]) -> Vec<Entry> {
        let mut out = Vec::new();
        explode_all(apis, &mut out).unwrap();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    fn find<'a>(entries: &'a [Entry], id: &str) -> &'a Entry {
        entries.iter().find(|e| e.id == id).unwrap_or_else(|| {
            panic!(
                "no entry {id} in {:?}",
                entries.iter().map(|e| &e.id).collect::<Vec<_>>()
            )
        })
    }

    #[test]
    fn explode_then_assemble_round_trips_including_shared_names() {
        let mut apis = vec![
            http("a1", "orders"),
            http("b2", "orders"),
            websocket("c3", "chat"),
        ];
        for a in &mut apis {
            a.normalize();
        }
        sort_apis(&mut apis);
        let entries = entries_of(&apis);
        let expected: usize = apis.iter().map(|a| a.object_count()).sum();
        assert_eq!(entries.len(), expected);
        let unique: std::collections::BTreeSet<_> = entries.iter().map(|e| &e.id).collect();
        assert_eq!(unique.len(), entries.len(), "logical ids are unique");

        let mut shuffled = entries.clone();
        shuffled.reverse();
        assert_eq!(ApiSnapshot::assemble(shuffled).unwrap(), apis);

        let text = serde_json::to_string(&entries).unwrap();
        let again: Vec<Entry> = serde_json::from_str(&text).unwrap();
        assert_eq!(ApiSnapshot::assemble(again).unwrap(), apis);
    }

    #[test]
    fn logical_ids() {
        let entries = entries_of(&[http("a1", "orders"), websocket("c3", "chat")]);
        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "api:chat",
                "api:orders",
                "authorizer2:chat:gate",
                "authorizer2:orders:cognito",
                "deployment2:chat:wd1",
                "deployment2:orders:d1",
                "deployment2:orders:d2",
                "integration:chat:$connect",
                "integration:chat:$default",
                "integration:chat:$disconnect",
                "integration:orders:$default",
                "integration:orders:GET /orders/{id}",
                "integration:orders:~a1-i3",
                "model2:chat:Message",
                "route:chat:$connect",
                "route:chat:$default",
                "route:chat:$disconnect",
                "route:orders:$default",
                "route:orders:GET /health",
                "route:orders:GET /orders/{id}",
                "route:orders:POST /orders",
                "stage2:chat:prod",
                "stage2:orders:$default",
            ]
        );
        let kind = |id: &str| find(&entries, id).kind.clone();
        assert_eq!(kind("api:orders"), "Api");
        assert_eq!(kind("route:chat:$connect"), "Route");
        assert_eq!(kind("integration:orders:~a1-i3"), "Integration");
        assert_eq!(kind("authorizer2:chat:gate"), "AuthorizerV2");
        assert_eq!(kind("model2:chat:Message"), "ModelV2");
        assert_eq!(kind("stage2:chat:prod"), "StageV2");
        assert_eq!(kind("deployment2:chat:wd1"), "DeploymentV2");
    }

    #[test]
    fn objects_are_compact_camel_case_and_keep_physical_ids() {
        let entries = entries_of(&[http("a1", "orders"), websocket("c3", "chat")]);
        let r = &find(&entries, "route:orders:POST /orders").value;
        assert_eq!(
            r,
            &serde_json::json!({
                "routeId": "a1-r2",
                "routeKey": "POST /orders",
                "target": "integrations/a1-i1",
                "authorizationType": "NONE",
                "apiId": "a1"
            })
        );
        let api = &find(&entries, "api:orders").value;
        assert_eq!(api["apiId"], "a1");
        assert_eq!(api["corsConfiguration"]["maxAge"], 300);
        assert!(api.get("disableSchemaValidation").is_none());
        let ws = &find(&entries, "route:chat:$connect").value;
        assert_eq!(
            ws["routeResponses"]["$default"]["responseParameters"]["route.response.header.x"],
            serde_json::json!({})
        );
        let i = &find(&entries, "integration:chat:$connect").value;
        assert_eq!(
            i["integrationResponses"]["$default"]["integrationResponseKey"],
            "$default"
        );
        let st = &find(&entries, "stage2:orders:$default").value;
        assert_eq!(
            st["routeSettings"]["GET /orders/{id}"],
            serde_json::json!({"throttlingBurstLimit": 0, "throttlingRateLimit": 0.0})
        );
    }

    #[test]
    fn one_change_changes_one_object_and_retargeting_renames_only() {
        let before = entries_of(&[http("a1", "orders")]);
        let changed = |f: &dyn Fn(&mut ApiSnapshot)| {
            let mut s = http("a1", "orders");
            f(&mut s);
            let after = entries_of(&[s]);
            let mut diff: Vec<String> = Vec::new();
            for e in &after {
                if before.iter().find(|b| b.id == e.id) != Some(e) {
                    diff.push(e.id.clone());
                }
            }
            for b in &before {
                if !after.iter().any(|e| e.id == b.id) {
                    diff.push(b.id.clone());
                }
            }
            diff.sort();
            diff
        };
        assert_eq!(
            changed(&|s| s.integrations[0].timeout_in_millis = Some(1000)),
            ["integration:orders:GET /orders/{id}"]
        );
        assert_eq!(
            changed(&|s| s.stages[0].stage_variables.clear()),
            ["stage2:orders:$default"]
        );
        assert_eq!(
            changed(&|s| s.api.cors_configuration = None),
            ["api:orders"]
        );
        // A new route to an existing integration with a smaller key renames the integration;
        // its stored content is the same.
        let renamed = changed(&|s| {
            s.routes.push(Route {
                route_id: "new".into(),
                route_key: "DELETE /orders/{id}".into(),
                target: s_("integrations/a1-i1"),
                ..Default::default()
            })
        });
        assert_eq!(
            renamed,
            [
                "integration:orders:DELETE /orders/{id}",
                "integration:orders:GET /orders/{id}",
                "route:orders:DELETE /orders/{id}",
            ]
        );
        fn s_(v: &str) -> Option<String> {
            Some(v.into())
        }
    }

    #[test]
    fn duplicate_route_keys_get_distinct_ids_and_round_trip() {
        let mut a = http("a1", "orders");
        a.routes.push(Route {
            route_id: "dup".into(),
            route_key: "$default".into(),
            target: s("integrations/a1-i3"),
            ..Default::default()
        });
        a.normalize();
        let entries = entries_of(std::slice::from_ref(&a));
        for id in [
            "route:orders:$default~dup",
            "route:orders:$default~a1-r3",
            "integration:orders:$default~a1-i2",
            "integration:orders:$default~a1-i3",
        ] {
            find(&entries, id);
        }
        assert_eq!(ApiSnapshot::assemble(entries).unwrap(), vec![a]);
    }

    #[test]
    fn assemble_rejects_orphans_and_ignores_v1_kinds() {
        let mut entries = entries_of(&[http("a1", "orders")]);
        entries.push(Entry {
            id: "restapi:x".into(),
            kind: "RestApi".into(),
            value: serde_json::json!({"id": "x", "name": "x"}),
        });
        entries.push(Entry {
            id: "stage:x:prod".into(),
            kind: "Stage".into(),
            value: serde_json::json!({"stageName": "prod", "restApiId": "x"}),
        });
        assert_eq!(ApiSnapshot::assemble(entries.clone()).unwrap().len(), 1);
        entries.retain(|e| e.kind != KIND_API);
        let err = ApiSnapshot::assemble(entries).unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "{err}");
        assert!(err.to_string().contains("a1"), "{err}");
    }

    #[test]
    fn snapshot_entries_hold_both_versions_and_round_trip() {
        let source = super::super::Source {
            partition: "aws".into(),
            account: "1".into(),
            region: "eu-west-1".into(),
        };
        let mut apis = vec![http("a1", "orders"), websocket("c3", "chat")];
        for a in &mut apis {
            a.normalize();
        }
        sort_apis(&mut apis);
        let rest = super::super::v1::RestApiSnapshot {
            api: super::super::v1::RestApi {
                id: "r1".into(),
                name: "orders".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let snap = super::super::Snapshot {
            source: source.clone(),
            rest_apis: vec![rest],
            apis_v2: apis,
            estate: Default::default(),
            gaps: vec![],
        };
        let entries = snap.entries().unwrap();
        find(&entries, "restapi:orders");
        find(&entries, "api:orders");
        let back = super::super::Snapshot::from_entries(source, entries).unwrap();
        assert_eq!(back, snap);
        // A snapshot written before v2 existed reads with no v2 APIs.
        let old: super::super::Snapshot = serde_json::from_value(serde_json::json!({
            "source": {"partition": "aws", "account": "1", "region": "eu-west-1"},
            "rest_apis": []
        }))
        .unwrap();
        assert!(old.apis_v2.is_empty());
        assert!(old.estate.is_empty(), "and no estate");
    }
}
