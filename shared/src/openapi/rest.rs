//! A REST API as one OpenAPI 3.0 document with API Gateway's extensions, and back.
//!
//! | model | document |
//! |---|---|
//! | name, description, version | `info.title`, `info.description`, `info.version` |
//! | resources | `paths` (those with methods, and leaves without; parents are implied) |
//! | method | operation under its verb (`x-amazon-apigateway-any-method` for `ANY`): `operationId`, `parameters` (path, query, header; multi-value ones as arrays), `requestBody` (request models), `responses` (headers, models; `default` alone for none), `security`, `x-amazon-apigateway-request-validator`, `x-amazon-apigateway-integration` (with `responses` by selection pattern, `default` for none) |
//! | authorizers | `components.securitySchemes` with `x-amazon-apigateway-authorizer` and `-authtype` |
//! | API key required, AWS_IAM | the `api_key` and `sigv4` security schemes |
//! | authorization scopes | the scopes of the method's authorizer in its `security` |
//! | models | `components.schemas` |
//! | request validators | `x-amazon-apigateway-request-validators` |
//! | gateway responses (customized) | `x-amazon-apigateway-gateway-responses` |
//! | documentation parts | `x-amazon-apigateway-documentation` |
//! | policy, binary media types, minimum compression size, API key source | `x-amazon-apigateway-policy`, `-binary-media-types`, `-minimum-compression-size`, `-api-key-source` |
//! | VPC endpoint ids, execute-api endpoint off | `servers[0].x-amazon-apigateway-endpoint-configuration` |
//!
//! The rest is in [`NOT_CARRIED`]. A document names things; it holds no physical ids: read
//! back, a resource's id is its path, an authorizer's, model's or validator's its name.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::{
    NotCarried, VERBS, compact, compact_opt, content_models, content_refs, entries, flag, int,
    parse_text, put, put_list, put_map, put_str, refuse, string, string_map, strings, to_text,
    upper,
};
use crate::Result;
use crate::model::v1::{
    Authorizer, DocumentationPart, DocumentationPartLocation, EndpointConfiguration,
    GatewayResponse, Integration, IntegrationResponse, Method, MethodResponse, Model,
    RequestValidator, Resource, RestApi, RestApiSnapshot, TlsConfig,
};

pub use super::{LIMIT, SIGV4_SCHEME, fits, size};

/// The security scheme that stands for "API key required".
pub const API_KEY_SCHEME: &str = "api_key";

const HEADER: &str = "method.request.header.";
/// Method request parameter kinds: model prefix, OpenAPI `in`, multi-value.
const PARAMETERS: [(&str, &str, bool); 5] = [
    ("method.request.path.", "path", false),
    ("method.request.querystring.", "query", false),
    ("method.request.header.", "header", false),
    ("method.request.multivaluequerystring.", "query", true),
    ("method.request.multivalueheader.", "header", true),
];
const RESPONSE_HEADER: &str = "method.response.header.";
/// The response key an operation without method responses carries (a method response's
/// status code is three digits, so it is never one).
const NO_RESPONSES: &str = "default";

/// What a REST API's document cannot carry, and the call that restores each after an import.
pub const NOT_CARRIED: &[NotCarried<RestApiSnapshot>] = &[
    NotCarried::new(
        "physical ids (API, resources, authorizers, models, validators, documentation parts), the API's root resource id and creation time",
        "none: the target assigns its own (read back, ids are natural keys: a path, a name)",
        natural_ids,
    ),
    NotCarried::new("RestApi.tags", "TagResource", |s| s.api.tags.clear()),
    NotCarried::new(
        "RestApi.endpointConfiguration.types (EDGE, REGIONAL, PRIVATE)",
        "ImportRestApi parameter endpointConfigurationTypes (UpdateRestApi for PutRestApi)",
        |s| {
            if let Some(e) = &mut s.api.endpoint_configuration {
                e.types.clear();
            }
        },
    ),
    NotCarried::new(
        "RestApi.endpointConfiguration.ipAddressType",
        "UpdateRestApi",
        |s| {
            if let Some(e) = &mut s.api.endpoint_configuration {
                e.ip_address_type = None;
            }
            let empty = EndpointConfiguration::default();
            if s.api.endpoint_configuration.as_ref() == Some(&empty) {
                s.api.endpoint_configuration = None;
            }
        },
    ),
    NotCarried::new(
        "RestApi.securityPolicy, RestApi.endpointAccessMode",
        "UpdateRestApi",
        |s| {
            s.api.security_policy = None;
            s.api.endpoint_access_mode = None;
        },
    ),
    NotCarried::new("Model.description", "UpdateModel", |s| {
        for m in &mut s.models {
            m.description = None;
        }
    }),
    NotCarried::new(
        "Model.contentType (an import makes every model application/json)",
        "DeleteModel and CreateModel",
        |s| {
            for m in &mut s.models {
                m.content_type = Some(JSON.into());
            }
        },
    ),
    NotCarried::new(
        "a model schema's top-level $schema (OpenAPI 3.0 schemas may not have it)",
        "UpdateModel, where the draft named matters",
        |s| edit_schemas(s, without_draft),
    ),
    NotCarried::new(
        "a model schema's references to other models by URL (https://apigateway.amazonaws.com/restapis/ID/models/NAME)",
        "none: they come back as #/components/schemas/NAME, which the import points at the new API's models",
        |s| edit_schemas(s, local_refs),
    ),
    NotCarried::new("Integration.integrationTarget", "PutIntegration", |s| {
        for i in s
            .methods
            .iter_mut()
            .filter_map(|m| m.method_integration.as_mut())
        {
            i.integration_target = None;
        }
    }),
    NotCarried::new(
        "gateway responses AWS provides by itself (defaultResponse)",
        "none: AWS provides them",
        |s| s.gateway_responses.retain(|g| !g.default_response),
    ),
    NotCarried::new(
        "documentation versions",
        "CreateDocumentationVersion",
        |s| s.documentation_versions.clear(),
    ),
    NotCarried::new("deployments", "CreateDeployment", |s| s.deployments.clear()),
    NotCarried::new(
        "what each stage's deployment serves",
        "PutRestApi of that definition and CreateDeployment, before the working copy (restore::rest::served)",
        |s| s.served.clear(),
    ),
    NotCarried::new(
        "stages (settings, variables, method settings, access logs, canary, tags)",
        "CreateStage, UpdateStage (method settings), TagResource (stage tags)",
        |s| s.stages.clear(),
    ),
    NotCarried::new(
        "spellings with one meaning: JSON texts (policy, schemas, documentation properties) come back compact, an empty selection pattern absent, a missing schema {}, a method's absent authorization type NONE and absent API key flag false",
        "none: the same configuration",
        same_meaning,
    ),
];

const JSON: &str = "application/json";
/// How a model's schema names another model of its API.
const MODEL_URL: &str = "https://apigateway.amazonaws.com/restapis/";
/// The JSON Schema keyword naming the draft, which API Gateway's models carry.
const DRAFT: &str = "$schema";

/// `api` as an import of its document gives it back (every entry of [`NOT_CARRIED`] applied),
/// in canonical order.
pub fn carried(api: &RestApiSnapshot) -> RestApiSnapshot {
    super::carried(NOT_CARRIED, api, RestApiSnapshot::normalize)
}

fn natural_ids(s: &mut RestApiSnapshot) {
    let paths: BTreeMap<String, String> = s
        .resources
        .iter()
        .map(|r| (r.id.clone(), r.path.clone()))
        .collect();
    let authorizers = names(s.authorizers.iter().map(|a| (&a.id, &a.name)));
    let validators = names(s.request_validators.iter().map(|v| (&v.id, &v.name)));
    let rename = |map: &BTreeMap<String, String>, id: &mut Option<String>| {
        if let Some(name) = id.as_ref().and_then(|i| map.get(i)) {
            *id = Some(name.clone());
        }
    };
    s.api.id.clear();
    s.api.root_resource_id = None;
    s.api.created_date = None;
    for r in &mut s.resources {
        r.id = r.path.clone();
        rename(&paths, &mut r.parent_id);
    }
    for m in &mut s.methods {
        m.resource_id = m.path.clone();
        rename(&authorizers, &mut m.authorizer_id);
        rename(&validators, &mut m.request_validator_id);
    }
    for a in &mut s.authorizers {
        a.id = a.name.clone();
    }
    for m in &mut s.models {
        m.id = m.name.clone();
    }
    for v in &mut s.request_validators {
        v.id = v.name.clone();
    }
    for d in &mut s.documentation_parts {
        d.id.clear();
    }
}

/// Applies `edit` to every model schema that is JSON, writing back those it changed.
fn edit_schemas(s: &mut RestApiSnapshot, edit: fn(&mut Value) -> bool) {
    for m in &mut s.models {
        let Some(text) = &m.schema else { continue };
        if let Ok(mut v) = serde_json::from_str::<Value>(text)
            && edit(&mut v)
        {
            m.schema = Some(v.to_string());
        }
    }
}

/// Removes a schema's top-level `$schema`; says whether there was one.
fn without_draft(v: &mut Value) -> bool {
    v.as_object_mut().is_some_and(|o| o.remove(DRAFT).is_some())
}

/// Rewrites every `$ref` to a model by its API Gateway URL into a reference to the component
/// schema of that name; says whether it changed anything.
fn local_refs(v: &mut Value) -> bool {
    match v {
        Value::Object(o) => {
            let mut changed = false;
            if let Some(Value::String(r)) = o.get_mut("$ref")
                && r.starts_with(MODEL_URL)
                && let Some((_, name)) = r.rsplit_once("/models/")
            {
                *r = format!("#/components/schemas/{name}");
                changed = true;
            }
            for child in o.values_mut() {
                changed |= local_refs(child);
            }
            changed
        }
        Value::Array(a) => a.iter_mut().fold(false, |c, child| local_refs(child) | c),
        _ => false,
    }
}

fn names<'a>(items: impl Iterator<Item = (&'a String, &'a String)>) -> BTreeMap<String, String> {
    items.map(|(id, name)| (id.clone(), name.clone())).collect()
}

fn same_meaning(s: &mut RestApiSnapshot) {
    compact_opt(&mut s.api.policy);
    for m in &mut s.models {
        match &mut m.schema {
            Some(t) => compact(t),
            None => m.schema = Some("{}".into()),
        }
    }
    for d in &mut s.documentation_parts {
        compact_opt(&mut d.properties);
    }
    for m in &mut s.methods {
        m.authorization_type.get_or_insert_with(|| "NONE".into());
        m.api_key_required.get_or_insert(false);
        let responses = m
            .method_integration
            .iter_mut()
            .flat_map(|i| i.integration_responses.values_mut());
        for r in responses {
            if r.selection_pattern.as_deref() == Some("") {
                r.selection_pattern = None;
            }
        }
    }
}

/// The OpenAPI 3.0 document of `s`, for ImportRestApi or PutRestApi. Refused (an
/// [`crate::Error::Invalid`] naming the reason) where one document cannot say what the model
/// says: two resources on one path, a reference to a missing authorizer or validator, JSON
/// fields that are not JSON, an authorizer named like a built-in scheme.
pub fn to_document(s: &RestApiSnapshot) -> Result<Value> {
    let api = &s.api;
    let no = |what: String| refuse(&api.name, what);
    let mut endpoint = Map::new();
    if api.disable_execute_api_endpoint {
        endpoint.insert("disableExecuteApiEndpoint".into(), true.into());
    }
    if let Some(e) = &api.endpoint_configuration {
        put_list(&mut endpoint, "vpcEndpointIds", &e.vpc_endpoint_ids);
    }
    let mut doc = super::head(&api.name, &api.description, &api.version, endpoint);

    // Security schemes: the authorizers, then the built-in ones the methods need.
    let mut schemes = Map::new();
    for a in &s.authorizers {
        if a.name == API_KEY_SCHEME || a.name == SIGV4_SCHEME {
            return Err(no(format!(
                "authorizer {} has the name of a built-in security scheme",
                a.name
            )));
        }
        schemes.insert(a.name.clone(), security_scheme(a).map_err(no)?);
    }
    if s.methods.iter().any(|m| m.api_key_required == Some(true)) {
        schemes.insert(
            API_KEY_SCHEME.into(),
            json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
        );
    }
    if s.methods
        .iter()
        .any(|m| m.authorization_type.as_deref() == Some("AWS_IAM"))
    {
        schemes.insert(SIGV4_SCHEME.into(), super::sigv4_scheme());
    }

    // Paths: each method under its verb, and every resource no other path implies (a leaf
    // without methods); the root is always there.
    let authorizers = names(s.authorizers.iter().map(|a| (&a.id, &a.name)));
    let validators = names(s.request_validators.iter().map(|v| (&v.id, &v.name)));
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let parents: BTreeSet<&str> = s
        .resources
        .iter()
        .filter_map(|r| r.parent_id.as_deref())
        .collect();
    for r in &s.resources {
        if !seen.insert(&r.path) {
            return Err(no(format!("two resources have the path {}", r.path)));
        }
        if r.path != "/" && !parents.contains(r.id.as_str()) {
            paths.entry(&r.path).or_default();
        }
    }
    for m in &s.methods {
        let verb = VERBS
            .iter()
            .find(|(v, _)| *v == m.http_method)
            .map(|(_, key)| *key)
            .ok_or_else(|| {
                no(format!(
                    "method {} {} has no OpenAPI verb",
                    m.http_method, m.path
                ))
            })?;
        let op = operation(m, &authorizers, &validators)
            .map_err(|e| no(format!("method {} {}: {e}", m.http_method, m.path)))?;
        let item = paths.entry(&m.path).or_default();
        if item.insert(verb.into(), op).is_some() {
            return Err(no(format!("two methods {} {}", m.http_method, m.path)));
        }
    }
    doc.insert("paths".into(), super::paths_object(paths));

    let mut components = Map::new();
    if !s.models.is_empty() {
        let mut schemas = Map::new();
        for m in &s.models {
            let mut schema = match &m.schema {
                Some(text) => parse_text(&format!("the schema of model {}", m.name), text)?,
                None => json!({}),
            };
            without_draft(&mut schema);
            local_refs(&mut schema);
            schemas.insert(m.name.clone(), schema);
        }
        components.insert("schemas".into(), schemas.into());
    }
    if !schemes.is_empty() {
        components.insert("securitySchemes".into(), schemes.into());
    }
    if !components.is_empty() {
        doc.insert("components".into(), components.into());
    }

    if let Some(p) = &api.policy {
        let policy = parse_text(&format!("the policy of API {}", api.name), p)?;
        doc.insert("x-amazon-apigateway-policy".into(), policy);
    }
    put_list(
        &mut doc,
        "x-amazon-apigateway-binary-media-types",
        &api.binary_media_types,
    );
    put(
        &mut doc,
        "x-amazon-apigateway-minimum-compression-size",
        api.minimum_compression_size,
    );
    put_str(
        &mut doc,
        "x-amazon-apigateway-api-key-source",
        &api.api_key_source,
    );
    if !s.request_validators.is_empty() {
        let v: Map<String, Value> = s
            .request_validators
            .iter()
            .map(|v| {
                let body = json!({
                    "validateRequestBody": v.validate_request_body,
                    "validateRequestParameters": v.validate_request_parameters,
                });
                (v.name.clone(), body)
            })
            .collect();
        doc.insert("x-amazon-apigateway-request-validators".into(), v.into());
    }
    let gateway: Map<String, Value> = s
        .gateway_responses
        .iter()
        .filter(|g| !g.default_response)
        .map(|g| {
            let mut o = Map::new();
            put_str(&mut o, "statusCode", &g.status_code);
            put_map(&mut o, "responseParameters", &g.response_parameters);
            put_map(&mut o, "responseTemplates", &g.response_templates);
            (g.response_type.clone(), o.into())
        })
        .collect();
    if !gateway.is_empty() {
        doc.insert(
            "x-amazon-apigateway-gateway-responses".into(),
            gateway.into(),
        );
    }
    if !s.documentation_parts.is_empty() {
        let mut parts = Vec::new();
        for d in &s.documentation_parts {
            let mut o = Map::new();
            let location = serde_json::to_value(&d.location)
                .map_err(|e| crate::Error::decode("a documentation part's location", e))?;
            o.insert("location".into(), location);
            if let Some(p) = &d.properties {
                let what = format!("the properties of documentation part {}", d.id);
                o.insert("properties".into(), parse_text(&what, p)?);
            }
            parts.push(Value::Object(o));
        }
        doc.insert(
            "x-amazon-apigateway-documentation".into(),
            json!({ "documentationParts": parts }),
        );
    }
    Ok(doc.into())
}

fn security_scheme(a: &Authorizer) -> std::result::Result<Value, String> {
    let kind = a.authorizer_type.as_deref().unwrap_or("TOKEN");
    let mut ext = Map::new();
    ext.insert("type".into(), kind.to_ascii_lowercase().into());
    put_str(&mut ext, "authorizerUri", &a.authorizer_uri);
    put_str(&mut ext, "authorizerCredentials", &a.authorizer_credentials);
    put_list(&mut ext, "providerARNs", &a.provider_arns);
    put_str(
        &mut ext,
        "identityValidationExpression",
        &a.identity_validation_expression,
    );
    put(
        &mut ext,
        "authorizerResultTtlInSeconds",
        a.authorizer_result_ttl_in_seconds,
    );
    // A TOKEN or Cognito authorizer reads one header, named by the scheme; a REQUEST one
    // lists its sources in the extension.
    let header = if kind == "REQUEST" {
        put_str(&mut ext, "identitySource", &a.identity_source);
        "Unused".to_string()
    } else {
        a.identity_source
            .as_deref()
            .and_then(|i| i.strip_prefix(HEADER))
            .map(str::to_string)
            .ok_or_else(|| {
                format!(
                    "authorizer {} takes its identity from {:?}, not one header",
                    a.name, a.identity_source
                )
            })?
    };
    let mut scheme = Map::new();
    scheme.insert("type".into(), "apiKey".into());
    scheme.insert("name".into(), header.into());
    scheme.insert("in".into(), "header".into());
    put_str(&mut scheme, "x-amazon-apigateway-authtype", &a.auth_type);
    scheme.insert("x-amazon-apigateway-authorizer".into(), ext.into());
    Ok(scheme.into())
}

fn operation(
    m: &Method,
    authorizers: &BTreeMap<String, String>,
    validators: &BTreeMap<String, String>,
) -> std::result::Result<Value, String> {
    let mut op = Map::new();
    put_str(&mut op, "operationId", &m.operation_name);

    let mut parameters = Vec::new();
    let mut seen = BTreeSet::new();
    for (key, required) in &m.request_parameters {
        let (name, location, multi) = PARAMETERS
            .iter()
            .find_map(|(prefix, location, multi)| {
                key.strip_prefix(prefix).map(|n| (n, *location, *multi))
            })
            .ok_or_else(|| format!("request parameter {key} has no OpenAPI form"))?;
        if !seen.insert((location, name)) {
            return Err(format!("two request parameters {name} in {location}"));
        }
        let schema = if multi {
            json!({"type": "array", "items": {"type": "string"}})
        } else {
            json!({"type": "string"})
        };
        parameters
            .push(json!({"name": name, "in": location, "required": required, "schema": schema}));
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), parameters.into());
    }
    if !m.request_models.is_empty() {
        op.insert(
            "requestBody".into(),
            json!({"content": content_refs(&m.request_models)}),
        );
    }

    let mut responses = Map::new();
    for (status, r) in &m.method_responses {
        let mut o = Map::new();
        o.insert("description".into(), format!("{status} response").into());
        let mut headers = Map::new();
        for (key, required) in &r.response_parameters {
            let name = key
                .strip_prefix(RESPONSE_HEADER)
                .ok_or_else(|| format!("response parameter {key} is not a header"))?;
            let mut h = Map::new();
            h.insert("schema".into(), json!({"type": "string"}));
            if *required {
                h.insert("required".into(), true.into());
            }
            headers.insert(name.to_string(), h.into());
        }
        if !headers.is_empty() {
            o.insert("headers".into(), headers.into());
        }
        if !r.response_models.is_empty() {
            o.insert("content".into(), content_refs(&r.response_models));
        }
        responses.insert(status.clone(), o.into());
    }
    // OpenAPI wants at least one response per operation (an import validating the document
    // refuses `{}`): a method without method responses gets a `default` one, which names no
    // status code API Gateway can hold and reads back as none.
    if responses.is_empty() {
        responses.insert(
            NO_RESPONSES.into(),
            json!({"description": "Default response"}),
        );
    }
    op.insert("responses".into(), responses.into());

    let mut requirement = Map::new();
    let scopes: Value = m.authorization_scopes.clone().into();
    match m.authorization_type.as_deref() {
        None | Some("NONE") => {}
        Some("AWS_IAM") => {
            requirement.insert(SIGV4_SCHEME.into(), json!([]));
        }
        Some("CUSTOM" | "COGNITO_USER_POOLS") => {
            let id = m.authorizer_id.as_deref().unwrap_or_default();
            let name = authorizers
                .get(id)
                .ok_or_else(|| format!("authorizer {id} is not in the API"))?;
            requirement.insert(name.clone(), scopes);
        }
        Some(other) => return Err(format!("authorization type {other} has no OpenAPI form")),
    }
    if !m.authorization_scopes.is_empty() && m.authorizer_id.is_none() {
        return Err("authorization scopes without an authorizer".into());
    }
    if m.api_key_required == Some(true) {
        requirement.insert(API_KEY_SCHEME.into(), json!([]));
    }
    if !requirement.is_empty() {
        op.insert("security".into(), json!([requirement]));
    }
    if let Some(id) = &m.request_validator_id {
        let name = validators
            .get(id)
            .ok_or_else(|| format!("request validator {id} is not in the API"))?;
        op.insert(
            "x-amazon-apigateway-request-validator".into(),
            name.clone().into(),
        );
    }
    if let Some(i) = &m.method_integration {
        op.insert("x-amazon-apigateway-integration".into(), integration(i)?);
    }
    Ok(op.into())
}

fn integration(i: &Integration) -> std::result::Result<Value, String> {
    let mut o = Map::new();
    put_str(&mut o, "type", &i.integration_type);
    put_str(&mut o, "httpMethod", &i.http_method);
    put_str(&mut o, "uri", &i.uri);
    put_str(&mut o, "connectionType", &i.connection_type);
    put_str(&mut o, "connectionId", &i.connection_id);
    put_str(&mut o, "credentials", &i.credentials);
    put_map(&mut o, "requestParameters", &i.request_parameters);
    put_map(&mut o, "requestTemplates", &i.request_templates);
    put_str(&mut o, "passthroughBehavior", &i.passthrough_behavior);
    put_str(&mut o, "contentHandling", &i.content_handling);
    if i.timeout_in_millis != 0 {
        o.insert("timeoutInMillis".into(), i.timeout_in_millis.into());
    }
    put_str(&mut o, "cacheNamespace", &i.cache_namespace);
    put_list(&mut o, "cacheKeyParameters", &i.cache_key_parameters);
    if let Some(t) = &i.tls_config {
        o.insert(
            "tlsConfig".into(),
            json!({"insecureSkipVerification": t.insecure_skip_verification}),
        );
    }
    put_str(&mut o, "responseTransferMode", &i.response_transfer_mode);
    let mut responses = Map::new();
    for r in i.integration_responses.values() {
        let key = match r.selection_pattern.as_deref() {
            None | Some("") => "default",
            Some(p) => p,
        };
        let mut v = Map::new();
        v.insert("statusCode".into(), r.status_code.clone().into());
        put_map(&mut v, "responseParameters", &r.response_parameters);
        put_map(&mut v, "responseTemplates", &r.response_templates);
        put_str(&mut v, "contentHandling", &r.content_handling);
        if responses.insert(key.to_string(), v.into()).is_some() {
            return Err(format!(
                "two integration responses with the selection pattern {key:?}"
            ));
        }
    }
    if !responses.is_empty() {
        o.insert("responses".into(), responses.into());
    }
    Ok(o.into())
}

/// The model of the REST API a document defines, as GetExport returns it (`oas30`, extensions
/// `integrations,authorizers,apigateway,validators,documentation`) or as [`to_document`] makes
/// it; in canonical order, with natural keys for ids (see [`NOT_CARRIED`]).
pub fn from_document(doc: &Value) -> Result<RestApiSnapshot> {
    let head = super::read_head(doc)?;
    let mut s = RestApiSnapshot {
        api: RestApi {
            name: head.title,
            description: head.description,
            version: head.version,
            ..Default::default()
        },
        ..Default::default()
    };
    let api = &mut s.api;
    if let Some(e) = head.endpoint {
        api.disable_execute_api_endpoint = flag(e, "disableExecuteApiEndpoint");
        let vpce = strings(e, "vpcEndpointIds");
        if !vpce.is_empty() {
            api.endpoint_configuration = Some(EndpointConfiguration {
                vpc_endpoint_ids: vpce,
                ..Default::default()
            });
        }
    }
    api.policy = doc.get("x-amazon-apigateway-policy").map(to_text);
    api.binary_media_types = strings(doc, "x-amazon-apigateway-binary-media-types");
    api.minimum_compression_size = int(doc, "x-amazon-apigateway-minimum-compression-size");
    api.api_key_source = upper(doc, "x-amazon-apigateway-api-key-source");

    // Security schemes: authorizers, and which schemes mean an API key or AWS_IAM.
    let mut api_key_schemes = BTreeSet::new();
    let mut sigv4_schemes = BTreeSet::new();
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    for (name, scheme) in schemes.into_iter().flatten() {
        let auth_type = string(scheme, "x-amazon-apigateway-authtype");
        let Some(ext) = scheme.get("x-amazon-apigateway-authorizer") else {
            if super::is_sigv4(scheme) {
                sigv4_schemes.insert(name.clone());
            } else {
                api_key_schemes.insert(name.clone());
            }
            continue;
        };
        let kind = upper(ext, "type").unwrap_or_else(|| "TOKEN".into());
        let identity_source = if kind == "REQUEST" {
            string(ext, "identitySource")
        } else {
            string(scheme, "name").map(|h| format!("{HEADER}{h}"))
        };
        s.authorizers.push(Authorizer {
            id: name.clone(),
            name: name.clone(),
            authorizer_type: Some(kind),
            provider_arns: strings(ext, "providerARNs"),
            auth_type,
            authorizer_uri: string(ext, "authorizerUri"),
            authorizer_credentials: string(ext, "authorizerCredentials"),
            identity_source,
            identity_validation_expression: string(ext, "identityValidationExpression"),
            authorizer_result_ttl_in_seconds: int(ext, "authorizerResultTtlInSeconds"),
        });
    }
    let authorizer_types: BTreeMap<String, String> = s
        .authorizers
        .iter()
        .map(|a| {
            (
                a.name.clone(),
                a.authorizer_type.clone().unwrap_or_default(),
            )
        })
        .collect();

    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            s.models.push(Model {
                id: name.clone(),
                name: name.clone(),
                description: None,
                schema: Some(schema.to_string()),
                content_type: Some(JSON.into()),
            });
        }
    }
    for (name, v) in entries(doc, "x-amazon-apigateway-request-validators") {
        s.request_validators.push(RequestValidator {
            id: name.clone(),
            name: name.clone(),
            validate_request_body: flag(v, "validateRequestBody"),
            validate_request_parameters: flag(v, "validateRequestParameters"),
        });
    }
    for (kind, v) in entries(doc, "x-amazon-apigateway-gateway-responses") {
        s.gateway_responses.push(GatewayResponse {
            response_type: kind.clone(),
            status_code: string(v, "statusCode"),
            response_parameters: string_map(v, "responseParameters"),
            response_templates: string_map(v, "responseTemplates"),
            default_response: false,
        });
    }
    if let Some(parts) = doc
        .pointer("/x-amazon-apigateway-documentation/documentationParts")
        .and_then(Value::as_array)
    {
        for p in parts {
            let location: DocumentationPartLocation =
                serde_json::from_value(p.get("location").cloned().unwrap_or(Value::Null))
                    .map_err(|e| crate::Error::decode("a documentation part's location", e))?;
            s.documentation_parts.push(DocumentationPart {
                id: String::new(),
                location,
                properties: p.get("properties").map(to_text),
            });
        }
    }

    // Paths: resources (with every parent), methods.
    let default_validator = string(doc, "x-amazon-apigateway-request-validator");
    let default_security = doc.get("security");
    let mut paths = BTreeSet::from(["/".to_string()]);
    for (path, item) in entries(doc, "paths") {
        let mut p = path.trim_end_matches('/').to_string();
        while !p.is_empty() {
            paths.insert(p.clone());
            p.truncate(p.rfind('/').unwrap_or(0));
        }
        let shared_parameters = item.get("parameters");
        for (verb, key) in VERBS {
            let Some(op) = item.get(key) else { continue };
            let mut m = Method {
                resource_id: path.clone(),
                path: path.clone(),
                http_method: verb.into(),
                operation_name: string(op, "operationId"),
                authorization_type: Some("NONE".into()),
                api_key_required: Some(false),
                request_validator_id: string(op, "x-amazon-apigateway-request-validator")
                    .or_else(|| default_validator.clone()),
                ..Default::default()
            };
            for p in [shared_parameters, op.get("parameters")]
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .flatten()
            {
                if let Some(key) = parameter_key(p) {
                    m.request_parameters.insert(key, flag(p, "required"));
                }
            }
            if let Some(body) = op.get("requestBody") {
                m.request_models = content_models(body);
            }
            for (status, r) in entries(op, "responses").filter(|(k, _)| *k != NO_RESPONSES) {
                let response_parameters = entries(r, "headers")
                    .map(|(h, v)| (format!("{RESPONSE_HEADER}{h}"), flag(v, "required")))
                    .collect();
                m.method_responses.insert(
                    status.clone(),
                    MethodResponse {
                        status_code: status.clone(),
                        response_parameters,
                        response_models: content_models(r),
                    },
                );
            }
            let security = op.get("security").or(default_security);
            if let Some(requirement) = security.and_then(|s| s.get(0)).and_then(Value::as_object) {
                for (scheme, scopes) in requirement {
                    if api_key_schemes.contains(scheme) {
                        m.api_key_required = Some(true);
                    } else if sigv4_schemes.contains(scheme) {
                        m.authorization_type = Some("AWS_IAM".into());
                    } else if let Some(kind) = authorizer_types.get(scheme) {
                        m.authorization_type = Some(
                            if kind == "COGNITO_USER_POOLS" {
                                kind
                            } else {
                                "CUSTOM"
                            }
                            .into(),
                        );
                        m.authorizer_id = Some(scheme.clone());
                        m.authorization_scopes = super::string_list(scopes);
                    }
                }
            }
            m.method_integration = op
                .get("x-amazon-apigateway-integration")
                .map(integration_of);
            s.methods.push(m);
        }
    }
    for path in paths {
        let (parent_id, path_part) = match path.rfind('/') {
            _ if path == "/" => (None, None),
            Some(0) => (Some("/".to_string()), Some(path[1..].to_string())),
            Some(i) => (Some(path[..i].to_string()), Some(path[i + 1..].to_string())),
            None => (None, Some(path.clone())),
        };
        s.resources.push(Resource {
            id: path.clone(),
            parent_id,
            path,
            path_part,
        });
    }
    s.normalize();
    Ok(s)
}

/// `method.request.querystring.type` for `{"name": "type", "in": "query"}`.
fn parameter_key(p: &Value) -> Option<String> {
    let name = string(p, "name")?;
    let location = string(p, "in")?;
    let multi = p.pointer("/schema/type").and_then(Value::as_str) == Some("array");
    PARAMETERS
        .iter()
        .find(|(_, l, m)| *l == location && *m == multi)
        .map(|(prefix, _, _)| format!("{prefix}{name}"))
}

fn integration_of(v: &Value) -> Integration {
    let integration_responses = entries(v, "responses")
        .map(|(pattern, r)| {
            let status = string(r, "statusCode").unwrap_or_default();
            let response = IntegrationResponse {
                status_code: status.clone(),
                selection_pattern: (pattern != "default").then(|| pattern.clone()),
                response_parameters: string_map(r, "responseParameters"),
                response_templates: string_map(r, "responseTemplates"),
                content_handling: string(r, "contentHandling"),
            };
            (status, response)
        })
        .collect();
    Integration {
        integration_type: upper(v, "type"),
        http_method: string(v, "httpMethod"),
        uri: string(v, "uri"),
        connection_type: upper(v, "connectionType"),
        connection_id: string(v, "connectionId"),
        credentials: string(v, "credentials"),
        request_parameters: string_map(v, "requestParameters"),
        request_templates: string_map(v, "requestTemplates"),
        passthrough_behavior: upper(v, "passthroughBehavior"),
        content_handling: string(v, "contentHandling"),
        timeout_in_millis: int(v, "timeoutInMillis").unwrap_or(0),
        cache_namespace: string(v, "cacheNamespace"),
        cache_key_parameters: strings(v, "cacheKeyParameters"),
        tls_config: v.get("tlsConfig").map(|t| TlsConfig {
            insecure_skip_verification: flag(t, "insecureSkipVerification"),
        }),
        response_transfer_mode: upper(v, "responseTransferMode"),
        integration_target: None,
        integration_responses,
    }
}

#[cfg(test)]
#[path = "rest_tests.rs"]
mod tests;
