//! REST API (API Gateway v1) model: plain serde types with the API's own camelCase field names,
//! no SDK types. Maps are `BTreeMap`s and empty or absent values are left out, so a value
//! serializes the same way every time and compactly.
//!
//! A [`RestApiSnapshot`] is one REST API with everything in it. It explodes into one [`Entry`] per
//! object, each with a stable logical id:
//!
//! | kind | logical id |
//! |---|---|
//! | `RestApi` | `restapi:NAME` |
//! | `Resource` | `resource:NAME:/path` |
//! | `Method` | `method:NAME:/path:VERB` (with its method responses, integration and integration responses) |
//! | `Authorizer` | `authorizer:NAME:AUTHNAME` |
//! | `Model` | `model:NAME:MODELNAME` |
//! | `RequestValidator` | `validator:NAME:VNAME` |
//! | `GatewayResponse` | `gatewayresponse:NAME:TYPE` |
//! | `DocumentationPart` | `docpart:NAME:TYPE:PATH:METHOD:STATUS:PARTNAME` (missing parts empty) |
//! | `DocumentationVersion` | `docversion:NAME:VERSION` |
//! | `Deployment` | `deployment:NAME:DEPLOYMENTID` |
//! | `Stage` | `stage:NAME:STAGENAME` |
//! | `ServedDefinition` | `served:NAME:DEPLOYMENTID` (what that deployment serves: see [`Served`]) |
//!
//! NAME is the API's name, or `name~apiid` for APIs that share their name with another API of
//! the same snapshot (see [`logical_names`]). Within one API, two objects that would get the same
//! id (duplicate resource paths, which some AWS look-alikes allow) get `~physicalid` appended.
//!
//! Every object keeps the source's physical ids (`id`, `resourceId`, ...). In storage, every
//! object other than the `RestApi` also carries `restApiId`, the physical id of its API, which
//! [`RestApiSnapshot::assemble`] uses to put the objects back together; it is not part of the
//! in-memory types. No object embeds another stored object, so changing one thing changes
//! exactly one stored object.

use std::collections::BTreeMap;

use super::{Entry, decode};
use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}

fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

/// The REST API itself (GetRestApis item), without its contents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RestApi {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    /// `HEADER` or `AUTHORIZER`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_source: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binary_media_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_compression_size: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_configuration: Option<EndpointConfiguration>,
    /// The resource policy (JSON text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "is_false")]
    pub disable_execute_api_endpoint: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_resource_id: Option<String>,
    /// TLS security policy (e.g. `TLS_1_2`), where set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_policy: Option<String>,
    /// `BASIC` or `STRICT`, where set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_access_mode: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EndpointConfiguration {
    /// `EDGE`, `REGIONAL` or `PRIVATE`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vpc_endpoint_ids: Vec<String>,
    /// `ipv4` or `dualstack`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Resource {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_part: Option<String>,
}

/// A method with its method responses, its integration and the integration's responses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Method {
    /// Physical id of the resource the method is on.
    pub resource_id: String,
    /// Path of that resource.
    pub path: String,
    pub http_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_validator_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub request_parameters: BTreeMap<String, bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub request_models: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorization_scopes: Vec<String>,
    /// By status code.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub method_responses: BTreeMap<String, MethodResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method_integration: Option<Integration>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MethodResponse {
    pub status_code: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub response_parameters: BTreeMap<String, bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub response_models: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Integration {
    /// `HTTP`, `HTTP_PROXY`, `AWS`, `AWS_PROXY` or `MOCK`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub integration_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// `INTERNET` or `VPC_LINK`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub request_parameters: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub request_templates: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passthrough_behavior: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_handling: Option<String>,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub timeout_in_millis: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_namespace: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache_key_parameters: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    /// `BUFFERED` or `STREAM`, where set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_transfer_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_target: Option<String>,
    /// By status code.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub integration_responses: BTreeMap<String, IntegrationResponse>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TlsConfig {
    #[serde(skip_serializing_if = "is_false")]
    pub insecure_skip_verification: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IntegrationResponse {
    pub status_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection_pattern: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub response_parameters: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub response_templates: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_handling: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Authorizer {
    pub id: String,
    pub name: String,
    /// `TOKEN`, `REQUEST` or `COGNITO_USER_POOLS`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub authorizer_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provider_arns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_credentials: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_validation_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_result_ttl_in_seconds: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Model {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RequestValidator {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "is_false")]
    pub validate_request_body: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub validate_request_parameters: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GatewayResponse {
    /// E.g. `DEFAULT_4XX`, `UNAUTHORIZED`.
    pub response_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub response_parameters: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub response_templates: BTreeMap<String, String>,
    /// True for a response AWS provides by itself (not set with PutGatewayResponse).
    #[serde(skip_serializing_if = "is_false")]
    pub default_response: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentationPart {
    pub id: String,
    pub location: DocumentationPartLocation,
    /// JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentationPartLocation {
    /// `API`, `RESOURCE`, `METHOD`, `MODEL`, ...
    #[serde(rename = "type")]
    pub location_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentationVersion {
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Deployment {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    /// Path -> verb -> what the deployment serves there, where AWS returns it.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub api_summary: BTreeMap<String, BTreeMap<String, MethodSnapshot>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MethodSnapshot {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_type: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub api_key_required: bool,
}

/// A stage with all its settings (not its runtime state such as the cache cluster's status).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Stage {
    pub stage_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub cache_cluster_enabled: bool,
    /// E.g. `0.5`, `1.6` (GB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_cluster_size: Option<String>,
    /// By `resourcePath/httpMethod`, or `*/*` for the whole stage.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub method_settings: BTreeMap<String, MethodSetting>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_settings: Option<AccessLogSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_settings: Option<CanarySettings>,
    #[serde(skip_serializing_if = "is_false")]
    pub tracing_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_acl_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_certificate_id: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MethodSetting {
    #[serde(skip_serializing_if = "is_false")]
    pub metrics_enabled: bool,
    /// `OFF`, `ERROR` or `INFO`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_level: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub data_trace_enabled: bool,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub throttling_burst_limit: i32,
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub throttling_rate_limit: f64,
    #[serde(skip_serializing_if = "is_false")]
    pub caching_enabled: bool,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub cache_ttl_in_seconds: i32,
    #[serde(skip_serializing_if = "is_false")]
    pub cache_data_encrypted: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub require_authorization_for_cache_control: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unauthorized_cache_control_header_strategy: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessLogSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_arn: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CanarySettings {
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub percent_traffic: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub stage_variable_overrides: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "is_false")]
    pub use_stage_cache: bool,
}

/// What one deployment serves (its stages' GetExport, read back with
/// [`crate::openapi::rest::from_document`]): a REST API's definition with natural ids (a
/// resource's id is its path, an authorizer's its name...), without stages or deployments.
/// Deployments never change, so neither does this object: an unchanged deployment costs no new
/// object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Served {
    pub deployment_id: String,
    pub definition: RestApiSnapshot,
}

/// One REST API with everything in it. Each list is kept in a canonical order (see
/// [`RestApiSnapshot::normalize`]), which capture and [`RestApiSnapshot::assemble`] both produce.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RestApiSnapshot {
    pub api: RestApi,
    pub resources: Vec<Resource>,
    pub methods: Vec<Method>,
    pub authorizers: Vec<Authorizer>,
    pub models: Vec<Model>,
    pub request_validators: Vec<RequestValidator>,
    pub gateway_responses: Vec<GatewayResponse>,
    pub documentation_parts: Vec<DocumentationPart>,
    pub documentation_versions: Vec<DocumentationVersion>,
    pub deployments: Vec<Deployment>,
    pub stages: Vec<Stage>,
    /// What the stages' deployments serve, by deployment (absent in older points, and where
    /// the capture could not read it: a gap of the point).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub served: Vec<Served>,
}

/// The kinds of stored objects this module makes, in no particular order.
pub const KINDS: &[&str] = &[
    KIND_REST_API,
    KIND_RESOURCE,
    KIND_METHOD,
    KIND_AUTHORIZER,
    KIND_MODEL,
    KIND_REQUEST_VALIDATOR,
    KIND_GATEWAY_RESPONSE,
    KIND_DOCUMENTATION_PART,
    KIND_DOCUMENTATION_VERSION,
    KIND_DEPLOYMENT,
    KIND_STAGE,
    KIND_SERVED,
];
pub const KIND_REST_API: &str = "RestApi";
pub const KIND_RESOURCE: &str = "Resource";
pub const KIND_METHOD: &str = "Method";
pub const KIND_AUTHORIZER: &str = "Authorizer";
pub const KIND_MODEL: &str = "Model";
pub const KIND_REQUEST_VALIDATOR: &str = "RequestValidator";
pub const KIND_GATEWAY_RESPONSE: &str = "GatewayResponse";
pub const KIND_DOCUMENTATION_PART: &str = "DocumentationPart";
pub const KIND_DOCUMENTATION_VERSION: &str = "DocumentationVersion";
pub const KIND_DEPLOYMENT: &str = "Deployment";
pub const KIND_STAGE: &str = "Stage";
pub const KIND_SERVED: &str = "ServedDefinition";

/// The field that ties a stored child object to its API (added by explode, removed by assemble).
const REST_API_ID: &str = "restApiId";

/// The NAME part of the logical ids of each API, in the same order: the API's name, or
/// `name~apiid` where several of `apis` share that name.
pub fn logical_names(apis: &[RestApiSnapshot]) -> Vec<String> {
    super::unique_names(
        apis.iter()
            .map(|a| (a.api.name.as_str(), a.api.id.as_str())),
    )
}

/// Logical ids, for planning and reports. `name` is the API's NAME part (see [`logical_names`]).
pub mod ids {
    use super::DocumentationPartLocation;

    pub fn rest_api(name: &str) -> String {
        format!("restapi:{name}")
    }
    pub fn resource(name: &str, path: &str) -> String {
        format!("resource:{name}:{path}")
    }
    pub fn method(name: &str, path: &str, verb: &str) -> String {
        format!("method:{name}:{path}:{verb}")
    }
    pub fn authorizer(name: &str, authorizer: &str) -> String {
        format!("authorizer:{name}:{authorizer}")
    }
    pub fn model(name: &str, model: &str) -> String {
        format!("model:{name}:{model}")
    }
    pub fn validator(name: &str, validator: &str) -> String {
        format!("validator:{name}:{validator}")
    }
    pub fn gateway_response(name: &str, response_type: &str) -> String {
        format!("gatewayresponse:{name}:{response_type}")
    }
    pub fn documentation_part(name: &str, l: &DocumentationPartLocation) -> String {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        format!(
            "docpart:{name}:{}:{}:{}:{}:{}",
            l.location_type,
            s(&l.path),
            s(&l.method),
            s(&l.status_code),
            s(&l.name)
        )
    }
    pub fn documentation_version(name: &str, version: &str) -> String {
        format!("docversion:{name}:{version}")
    }
    pub fn deployment(name: &str, id: &str) -> String {
        format!("deployment:{name}:{id}")
    }
    pub fn stage(name: &str, stage: &str) -> String {
        format!("stage:{name}:{stage}")
    }
    pub fn served(name: &str, deployment: &str) -> String {
        format!("served:{name}:{deployment}")
    }
}

impl RestApiSnapshot {
    /// Explodes this API under its own name. Where several APIs of one snapshot may share a
    /// name, use [`explode_all`] (which [`super::Snapshot::entries`] does).
    pub fn explode(&self, out: &mut Vec<Entry>) -> crate::Result<()> {
        self.explode_as(&self.api.name, out)
    }

    /// Explodes this API with `name` as the NAME part of its logical ids.
    pub fn explode_as(&self, name: &str, out: &mut Vec<Entry>) -> crate::Result<()> {
        let mut entries = super::ApiEntries::new(REST_API_ID, &self.api.id);
        for r in &self.resources {
            entries.push(ids::resource(name, &r.path), &r.id, KIND_RESOURCE, r)?;
        }
        for m in &self.methods {
            let id = ids::method(name, &m.path, &m.http_method);
            entries.push(id, &m.resource_id, KIND_METHOD, m)?;
        }
        for a in &self.authorizers {
            entries.push(ids::authorizer(name, &a.name), &a.id, KIND_AUTHORIZER, a)?;
        }
        for m in &self.models {
            entries.push(ids::model(name, &m.name), &m.id, KIND_MODEL, m)?;
        }
        for v in &self.request_validators {
            entries.push(
                ids::validator(name, &v.name),
                &v.id,
                KIND_REQUEST_VALIDATOR,
                v,
            )?;
        }
        for g in &self.gateway_responses {
            let id = ids::gateway_response(name, &g.response_type);
            entries.push(id, &g.response_type, KIND_GATEWAY_RESPONSE, g)?;
        }
        for d in &self.documentation_parts {
            let id = ids::documentation_part(name, &d.location);
            entries.push(id, &d.id, KIND_DOCUMENTATION_PART, d)?;
        }
        for d in &self.documentation_versions {
            let id = ids::documentation_version(name, &d.version);
            entries.push(id, &d.version, KIND_DOCUMENTATION_VERSION, d)?;
        }
        for d in &self.deployments {
            let id = ids::deployment(name, &d.id);
            entries.push(id, &d.id, KIND_DEPLOYMENT, d)?;
        }
        for s in &self.stages {
            let id = ids::stage(name, &s.stage_name);
            entries.push(id, &s.stage_name, KIND_STAGE, s)?;
        }
        for s in &self.served {
            let id = ids::served(name, &s.deployment_id);
            entries.push(id, &s.deployment_id, KIND_SERVED, s)?;
        }
        entries.finish(ids::rest_api(name), KIND_REST_API, &self.api, out)
    }

    /// The inverse of explode (of [`explode_all`]): puts the APIs back together from their
    /// objects, in canonical order (by name, then id). Entries of kinds other than this module's
    /// are ignored (they belong to other parts of the model).
    pub fn assemble(entries: Vec<Entry>) -> crate::Result<Vec<RestApiSnapshot>> {
        let mut out = super::group_by_api(
            entries,
            KIND_REST_API,
            KINDS,
            REST_API_ID,
            "REST API",
            |id, v| {
                let api: RestApi = decode(id, v)?;
                Ok((
                    api.id.clone(),
                    RestApiSnapshot {
                        api,
                        ..Default::default()
                    },
                ))
            },
            |s, e| {
                let (id, v) = (e.id.as_str(), e.value);
                match e.kind.as_str() {
                    KIND_RESOURCE => s.resources.push(decode(id, v)?),
                    KIND_METHOD => s.methods.push(decode(id, v)?),
                    KIND_AUTHORIZER => s.authorizers.push(decode(id, v)?),
                    KIND_MODEL => s.models.push(decode(id, v)?),
                    KIND_REQUEST_VALIDATOR => s.request_validators.push(decode(id, v)?),
                    KIND_GATEWAY_RESPONSE => s.gateway_responses.push(decode(id, v)?),
                    KIND_DOCUMENTATION_PART => s.documentation_parts.push(decode(id, v)?),
                    KIND_DOCUMENTATION_VERSION => s.documentation_versions.push(decode(id, v)?),
                    KIND_DEPLOYMENT => s.deployments.push(decode(id, v)?),
                    KIND_STAGE => s.stages.push(decode(id, v)?),
                    KIND_SERVED => s.served.push(decode(id, v)?),
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

    /// Sorts every list into the canonical order: resources by path, methods by path and verb,
    /// named things by name, documentation parts by location, deployments by id, stages by
    /// name (physical ids break ties).
    pub fn normalize(&mut self) {
        self.resources
            .sort_by(|a, b| (&a.path, &a.id).cmp(&(&b.path, &b.id)));
        self.methods.sort_by(|a, b| {
            (&a.path, &a.http_method, &a.resource_id).cmp(&(
                &b.path,
                &b.http_method,
                &b.resource_id,
            ))
        });
        self.authorizers
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        self.models
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        self.request_validators
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        self.gateway_responses
            .sort_by(|a, b| a.response_type.cmp(&b.response_type));
        self.documentation_parts
            .sort_by(|a, b| (&a.location, &a.id).cmp(&(&b.location, &b.id)));
        self.documentation_versions
            .sort_by(|a, b| a.version.cmp(&b.version));
        self.deployments.sort_by(|a, b| a.id.cmp(&b.id));
        self.stages.sort_by(|a, b| a.stage_name.cmp(&b.stage_name));
        self.served
            .sort_by(|a, b| a.deployment_id.cmp(&b.deployment_id));
    }

    /// Number of objects this API explodes into.
    pub fn object_count(&self) -> usize {
        1 + self.resources.len()
            + self.methods.len()
            + self.authorizers.len()
            + self.models.len()
            + self.request_validators.len()
            + self.gateway_responses.len()
            + self.documentation_parts.len()
            + self.documentation_versions.len()
            + self.deployments.len()
            + self.stages.len()
            + self.served.len()
    }
}

/// Explodes several APIs, giving APIs that share a name the NAME `name~apiid` (see
/// [`logical_names`]).
pub fn explode_all(apis: &[RestApiSnapshot], out: &mut Vec<Entry>) -> crate::Result<()> {
    for (api, name) in apis.iter().zip(logical_names(apis)) {
        api.explode_as(&name, out)?;
    }
    Ok(())
}

/// Sorts APIs into the canonical order: by name, then id.
pub fn sort_apis(apis: &mut [RestApiSnapshot]) {
    apis.sort_by(|a, b| (&a.api.name, &a.api.id).cmp(&(&b.api.name, &b.api.id)));
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

    /// A REST API that sets every field at least once.
    fn rich(id: &str, name: &str) -> RestApiSnapshot {
        let root = format!("{id}-root");
        let pets = format!("{id}-pets");
        let pet = format!("{id}-pet");
        let integration = Integration {
            integration_type: s("AWS_PROXY"),
            http_method: s("POST"),
            uri: s(
                "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111111111111:function:pets/invocations",
            ),
            connection_type: s("INTERNET"),
            connection_id: None,
            credentials: s("arn:aws:iam::111111111111:role/apigw"),
            request_parameters: map(&[(
                "integration.request.path.id",
                "method.request.path.id".to_string(),
            )]),
            request_templates: map(&[(
                "application/json",
                "{\"id\": \"$input.params('id')\"}".to_string(),
            )]),
            passthrough_behavior: s("WHEN_NO_TEMPLATES"),
            content_handling: s("CONVERT_TO_TEXT"),
            timeout_in_millis: 29000,
            cache_namespace: s(&pet),
            cache_key_parameters: vec!["method.request.path.id".into()],
            tls_config: Some(TlsConfig {
                insecure_skip_verification: true,
            }),
            response_transfer_mode: s("BUFFERED"),
            integration_target: None,
            integration_responses: map(&[(
                "200",
                IntegrationResponse {
                    status_code: "200".into(),
                    selection_pattern: s("2\\d{2}"),
                    response_parameters: map(&[("method.response.header.X-Id", "'1'".to_string())]),
                    response_templates: map(&[("application/json", "$input.body".to_string())]),
                    content_handling: s("CONVERT_TO_TEXT"),
                },
            )]),
        };
        RestApiSnapshot {
            api: RestApi {
                id: id.into(),
                name: name.into(),
                description: s("the pets API"),
                version: s("1.0"),
                created_date: s("2026-01-02T03:04:05Z"),
                api_key_source: s("HEADER"),
                binary_media_types: vec!["image/png".into()],
                minimum_compression_size: Some(1024),
                endpoint_configuration: Some(EndpointConfiguration {
                    types: vec!["PRIVATE".into()],
                    vpc_endpoint_ids: vec!["vpce-1".into()],
                    ip_address_type: s("dualstack"),
                }),
                policy: s("{\"Version\":\"2012-10-17\"}"),
                tags: map(&[("team", "pets".to_string())]),
                disable_execute_api_endpoint: true,
                root_resource_id: Some(root.clone()),
                security_policy: s("TLS_1_2"),
                endpoint_access_mode: s("STRICT"),
            },
            resources: vec![
                Resource {
                    id: root.clone(),
                    parent_id: None,
                    path: "/".into(),
                    path_part: None,
                },
                Resource {
                    id: pets.clone(),
                    parent_id: Some(root.clone()),
                    path: "/pets".into(),
                    path_part: s("pets"),
                },
                Resource {
                    id: pet.clone(),
                    parent_id: Some(pets.clone()),
                    path: "/pets/{id}".into(),
                    path_part: s("{id}"),
                },
            ],
            methods: vec![
                Method {
                    resource_id: pet.clone(),
                    path: "/pets/{id}".into(),
                    http_method: "GET".into(),
                    authorization_type: s("CUSTOM"),
                    authorizer_id: s("auth1"),
                    api_key_required: Some(true),
                    request_validator_id: s("val1"),
                    operation_name: s("GetPet"),
                    request_parameters: map(&[("method.request.path.id", true)]),
                    request_models: map(&[("application/json", "Pet".to_string())]),
                    authorization_scopes: vec!["pets/read".into()],
                    method_responses: map(&[(
                        "200",
                        MethodResponse {
                            status_code: "200".into(),
                            response_parameters: map(&[("method.response.header.X-Id", false)]),
                            response_models: map(&[("application/json", "Pet".to_string())]),
                        },
                    )]),
                    method_integration: Some(integration),
                },
                Method {
                    resource_id: pets.clone(),
                    path: "/pets".into(),
                    http_method: "ANY".into(),
                    authorization_type: s("NONE"),
                    method_integration: Some(Integration {
                        integration_type: s("MOCK"),
                        request_templates: map(&[(
                            "application/json",
                            "{\"statusCode\": 200}".to_string(),
                        )]),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ],
            authorizers: vec![Authorizer {
                id: "auth1".into(),
                name: "tokens".into(),
                authorizer_type: s("TOKEN"),
                provider_arns: vec![
                    "arn:aws:cognito-idp:eu-west-1:111111111111:userpool/eu-west-1_X".into(),
                ],
                auth_type: s("custom"),
                authorizer_uri: s(
                    "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111111111111:function:auth/invocations",
                ),
                authorizer_credentials: s("arn:aws:iam::111111111111:role/auth"),
                identity_source: s("method.request.header.Authorization"),
                identity_validation_expression: s("^Bearer .+$"),
                authorizer_result_ttl_in_seconds: Some(300),
            }],
            models: vec![Model {
                id: "m1".into(),
                name: "Pet".into(),
                description: s("a pet"),
                schema: s("{\"type\":\"object\"}"),
                content_type: s("application/json"),
            }],
            request_validators: vec![RequestValidator {
                id: "val1".into(),
                name: "all".into(),
                validate_request_body: true,
                validate_request_parameters: true,
            }],
            gateway_responses: vec![
                GatewayResponse {
                    response_type: "DEFAULT_4XX".into(),
                    status_code: None,
                    default_response: true,
                    ..Default::default()
                },
                GatewayResponse {
                    response_type: "UNAUTHORIZED".into(),
                    status_code: s("401"),
                    response_parameters: map(&[(
                        "gatewayresponse.header.WWW-Authenticate",
                        "'Bearer'".to_string(),
                    )]),
                    response_templates: map(&[(
                        "application/json",
                        "{\"message\":$context.error.messageString}".to_string(),
                    )]),
                    default_response: false,
                },
            ],
            documentation_parts: vec![
                DocumentationPart {
                    id: "dp1".into(),
                    location: DocumentationPartLocation {
                        location_type: "API".into(),
                        ..Default::default()
                    },
                    properties: s("{\"info\":\"pets\"}"),
                },
                DocumentationPart {
                    id: "dp2".into(),
                    location: DocumentationPartLocation {
                        location_type: "RESPONSE_HEADER".into(),
                        path: s("/pets/{id}"),
                        method: s("GET"),
                        status_code: s("200"),
                        name: s("X-Id"),
                    },
                    properties: s("{\"description\":\"the id\"}"),
                },
            ],
            documentation_versions: vec![DocumentationVersion {
                version: "v1".into(),
                created_date: s("2026-01-02T03:04:06Z"),
                description: s("first"),
            }],
            deployments: vec![
                Deployment {
                    id: "dep1".into(),
                    description: s("first"),
                    created_date: s("2026-01-02T03:04:07Z"),
                    api_summary: map(&[(
                        "/pets",
                        map(&[(
                            "ANY",
                            MethodSnapshot {
                                authorization_type: s("NONE"),
                                api_key_required: true,
                            },
                        )]),
                    )]),
                },
                Deployment {
                    id: "dep2".into(),
                    ..Default::default()
                },
            ],
            stages: vec![Stage {
                stage_name: "prod".into(),
                deployment_id: s("dep2"),
                description: s("production"),
                cache_cluster_enabled: true,
                cache_cluster_size: s("0.5"),
                method_settings: map(&[(
                    "*/*",
                    MethodSetting {
                        metrics_enabled: true,
                        logging_level: s("INFO"),
                        data_trace_enabled: true,
                        throttling_burst_limit: 100,
                        throttling_rate_limit: 50.5,
                        caching_enabled: true,
                        cache_ttl_in_seconds: 300,
                        cache_data_encrypted: true,
                        require_authorization_for_cache_control: true,
                        unauthorized_cache_control_header_strategy: s(
                            "SUCCEED_WITH_RESPONSE_HEADER",
                        ),
                    },
                )]),
                variables: map(&[("backend", "pets-prod".to_string())]),
                documentation_version: s("v1"),
                access_log_settings: Some(AccessLogSettings {
                    format: s("$context.requestId"),
                    destination_arn: s("arn:aws:logs:eu-west-1:111111111111:log-group:access"),
                }),
                canary_settings: Some(CanarySettings {
                    percent_traffic: 10.0,
                    deployment_id: s("dep1"),
                    stage_variable_overrides: map(&[("backend", "pets-canary".to_string())]),
                    use_stage_cache: true,
                }),
                tracing_enabled: true,
                web_acl_arn: s("arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/w/1"),
                client_certificate_id: s("cert1"),
                tags: map(&[("env", "prod".to_string())]),
                created_date: s("2026-01-02T03:04:08Z"),
                last_updated_date: s("2026-01-02T03:04:09Z"),
            }],
            served: vec![Served {
                deployment_id: "dep2".into(),
                definition: RestApiSnapshot {
                    api: RestApi {
                        name: name.into(),
                        ..Default::default()
                    },
                    resources: vec![Resource {
                        id: "/pets".into(),
                        path: "/pets".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            }],
        }
    }

    fn entries_of(apis: &[RestApiSnapshot]) -> Vec<Entry> {
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
        let mut apis = vec![rich("a1", "pets"), rich("b2", "pets"), rich("c3", "orders")];
        apis[2].stages.clear();
        apis[2].documentation_parts.clear();
        for a in &mut apis {
            a.normalize();
        }
        sort_apis(&mut apis);
        let entries = entries_of(&apis);
        let expected: usize = apis.iter().map(|a| a.object_count()).sum();
        assert_eq!(entries.len(), expected);
        let unique: std::collections::BTreeSet<_> = entries.iter().map(|e| &e.id).collect();
        assert_eq!(unique.len(), entries.len(), "logical ids are unique");

        // Shuffle (reverse) to show order does not matter.
        let mut shuffled = entries.clone();
        shuffled.reverse();
        let back = RestApiSnapshot::assemble(shuffled).unwrap();
        assert_eq!(back, apis);

        // Through JSON text too, as the store does.
        let text = serde_json::to_string(&entries).unwrap();
        let again: Vec<Entry> = serde_json::from_str(&text).unwrap();
        assert_eq!(RestApiSnapshot::assemble(again).unwrap(), apis);
    }

    #[test]
    fn snapshot_entries_round_trip() {
        let source = super::super::Source {
            partition: "aws".into(),
            account: "1".into(),
            region: "eu-west-1".into(),
        };
        let mut apis = vec![rich("a1", "pets"), rich("b2", "pets")];
        for a in &mut apis {
            a.normalize();
        }
        let snap = super::super::Snapshot {
            source: source.clone(),
            rest_apis: apis,
            apis_v2: vec![],
            estate: Default::default(),
            gaps: vec![],
        };
        let entries = snap.entries().unwrap();
        assert!(entries.iter().any(|e| e.id == "restapi:pets~a1"));
        assert!(
            entries
                .iter()
                .any(|e| e.id == "method:pets~b2:/pets/{id}:GET")
        );
        let back = super::super::Snapshot::from_entries(source, entries).unwrap();
        assert_eq!(back, snap);
    }

    #[test]
    fn an_api_stored_before_served_definitions_loads_without_them() {
        let mut api = rich("a1", "pets");
        api.served.clear();
        let text = serde_json::to_value(&api).unwrap();
        assert!(text.get("served").is_none(), "{text}");
        let back: RestApiSnapshot = serde_json::from_value(text).unwrap();
        assert_eq!(back, api);
        let mut entries = entries_of(&[rich("a1", "pets")]);
        entries.retain(|e| e.kind != KIND_SERVED);
        let back = RestApiSnapshot::assemble(entries).unwrap();
        assert!(back[0].served.is_empty());
        assert_eq!(back[0].stages, rich("a1", "pets").stages);
    }

    #[test]
    fn logical_ids() {
        let entries = entries_of(&[rich("a1", "pets")]);
        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "authorizer:pets:tokens",
                "deployment:pets:dep1",
                "deployment:pets:dep2",
                "docpart:pets:API::::",
                "docpart:pets:RESPONSE_HEADER:/pets/{id}:GET:200:X-Id",
                "docversion:pets:v1",
                "gatewayresponse:pets:DEFAULT_4XX",
                "gatewayresponse:pets:UNAUTHORIZED",
                "method:pets:/pets/{id}:GET",
                "method:pets:/pets:ANY",
                "model:pets:Pet",
                "resource:pets:/",
                "resource:pets:/pets",
                "resource:pets:/pets/{id}",
                "restapi:pets",
                "served:pets:dep2",
                "stage:pets:prod",
                "validator:pets:all",
            ]
        );
        assert_eq!(find(&entries, "served:pets:dep2").kind, "ServedDefinition");
        assert_eq!(find(&entries, "method:pets:/pets:ANY").kind, "Method");
        assert_eq!(find(&entries, "restapi:pets").kind, "RestApi");
        assert_eq!(
            find(&entries, "docpart:pets:API::::").kind,
            "DocumentationPart"
        );
    }

    #[test]
    fn objects_are_compact_camel_case_and_keep_physical_ids() {
        let entries = entries_of(&[rich("a1", "pets")]);
        let m = &find(&entries, "method:pets:/pets:ANY").value;
        assert_eq!(
            m,
            &serde_json::json!({
                "resourceId": "a1-pets",
                "path": "/pets",
                "httpMethod": "ANY",
                "authorizationType": "NONE",
                "methodIntegration": {
                    "type": "MOCK",
                    "requestTemplates": {"application/json": "{\"statusCode\": 200}"}
                },
                "restApiId": "a1"
            })
        );
        let api = &find(&entries, "restapi:pets").value;
        assert_eq!(api["id"], "a1");
        assert_eq!(api["endpointConfiguration"]["vpcEndpointIds"][0], "vpce-1");
        assert!(api.get("restApiId").is_none());
        let stage = &find(&entries, "stage:pets:prod").value;
        assert_eq!(stage["methodSettings"]["*/*"]["throttlingRateLimit"], 50.5);
        assert_eq!(stage["canarySettings"]["percentTraffic"], 10.0);
        let dp = &find(&entries, "docpart:pets:API::::").value;
        assert_eq!(dp["location"], serde_json::json!({"type": "API"}));
    }

    #[test]
    fn one_change_changes_one_object() {
        let before = entries_of(&[rich("a1", "pets")]);
        let changed = |f: &dyn Fn(&mut RestApiSnapshot)| {
            let mut s = rich("a1", "pets");
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
            diff
        };
        let ir = |s: &mut RestApiSnapshot| {
            let i = s.methods[0].method_integration.as_mut().unwrap();
            i.integration_responses
                .get_mut("200")
                .unwrap()
                .selection_pattern = s_("5\\d{2}");
        };
        fn s_(v: &str) -> Option<String> {
            Some(v.into())
        }
        assert_eq!(changed(&ir), ["method:pets:/pets/{id}:GET"]);
        assert_eq!(
            changed(&|s| s.methods[0]
                .method_responses
                .get_mut("200")
                .unwrap()
                .response_models
                .clear()),
            ["method:pets:/pets/{id}:GET"]
        );
        assert_eq!(
            changed(&|s| s.resources.push(Resource {
                id: "new".into(),
                parent_id: Some("a1-root".into()),
                path: "/owners".into(),
                path_part: s_("owners"),
            })),
            ["resource:pets:/owners"]
        );
        assert_eq!(
            changed(&|s| s.stages[0].variables.clear()),
            ["stage:pets:prod"]
        );
        assert_eq!(changed(&|s| s.api.description = None), ["restapi:pets"]);
    }

    #[test]
    fn duplicate_paths_get_distinct_ids_and_round_trip() {
        let mut a = rich("a1", "pets");
        a.resources.push(Resource {
            id: "dup".into(),
            parent_id: Some("a1-root".into()),
            path: "/pets".into(),
            path_part: s("pets"),
        });
        a.normalize();
        let entries = entries_of(std::slice::from_ref(&a));
        assert!(entries.iter().any(|e| e.id == "resource:pets:/pets~dup"));
        assert!(
            entries
                .iter()
                .any(|e| e.id == "resource:pets:/pets~a1-pets")
        );
        assert_eq!(RestApiSnapshot::assemble(entries).unwrap(), vec![a]);
    }

    #[test]
    fn assemble_rejects_orphans_and_ignores_other_kinds() {
        let mut entries = entries_of(&[rich("a1", "pets")]);
        entries.push(Entry {
            id: "api:v2:x".into(),
            kind: "Api".into(),
            value: serde_json::json!({"apiId": "x"}),
        });
        assert_eq!(RestApiSnapshot::assemble(entries.clone()).unwrap().len(), 1);
        entries.retain(|e| e.kind != "RestApi");
        let err = RestApiSnapshot::assemble(entries).unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "{err}");
        assert!(err.to_string().contains("a1"), "{err}");
    }
}
