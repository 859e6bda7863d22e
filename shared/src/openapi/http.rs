//! An HTTP API as one OpenAPI 3.0 document with API Gateway's extensions (ImportApi,
//! ReimportApi), and back. WebSocket APIs have no import.
//!
//! | model | document |
//! |---|---|
//! | name, description, version | `info.title`, `info.description`, `info.version` |
//! | CORS | `x-amazon-apigateway-cors` |
//! | execute-api endpoint off, IP address type | `servers[0].x-amazon-apigateway-endpoint-configuration` |
//! | route `VERB /path` | operation under its verb (`x-amazon-apigateway-any-method` for `ANY` and under `$default` for the default route): `operationId`, `security` (authorizer with scopes, `sigv4` for AWS_IAM), `x-amazon-apigateway-integration` as a `$ref` |
//! | integrations | `components.x-amazon-apigateway-integrations`, named by their id (characters other than letters, digits, `.`, `-`, `_` as `_XX`) |
//! | authorizers | `components.securitySchemes` with `x-amazon-apigateway-authorizer` (`jwt`, `request`) |
//!
//! The rest is in [`NOT_CARRIED`]. Read back, a route's id is its route key and an
//! authorizer's its name; an integration keeps the name it has in the document.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{
    ANY_METHOD, NotCarried, SIGV4_SCHEME, VERBS, as_map, entries, flag, int, put, put_list,
    put_map, put_str, refuse, string, string_map, strings, upper,
};
use crate::Result;
use crate::model::v2::{
    Api, ApiSnapshot, Authorizer, Cors, Integration, JwtConfiguration, Route, TlsConfig,
};

pub use super::{LIMIT, fits, size};

/// The route selection expression of every HTTP API.
pub const ROUTE_SELECTION: &str = "${request.method} ${request.path}";
/// The API key selection expression AWS gives every HTTP API.
pub const API_KEY_SELECTION: &str = "$request.header.x-api-key";
const DEFAULT_ROUTE: &str = "$default";
const INTEGRATIONS: &str = "x-amazon-apigateway-integrations";

/// What an HTTP API's document cannot carry, and the call that restores each after an import.
pub const NOT_CARRIED: &[NotCarried<ApiSnapshot>] = &[
    NotCarried::new(
        "physical ids (API, routes, authorizers) and the API's creation time",
        "none: the target assigns its own (read back, a route's id is its key, an authorizer's its name)",
        natural_ids,
    ),
    NotCarried::new("Api.tags", "TagResource", |s| s.api.tags.clear()),
    NotCarried::new(
        "what AWS itself manages (apiGatewayManaged: quick create)",
        "none: CreateApi with a target makes it",
        |s| {
            s.api.api_gateway_managed = false;
            s.routes
                .iter_mut()
                .for_each(|r| r.api_gateway_managed = false);
            s.integrations
                .iter_mut()
                .for_each(|i| i.api_gateway_managed = false);
        },
    ),
    NotCarried::new("Integration.description", "UpdateIntegration", |s| {
        s.integrations.iter_mut().for_each(|i| i.description = None)
    }),
    NotCarried::new(
        "what only WebSocket APIs have: models, route request models and parameters, route responses, selection expressions, request templates, passthrough, content handling, integration responses, schema validation",
        "none for an HTTP API",
        websocket_only,
    ),
    NotCarried::new(
        "stages (settings, route settings, access logs, variables, tags)",
        "CreateStage",
        |s| s.stages.clear(),
    ),
    NotCarried::new("deployments", "CreateDeployment", |s| s.deployments.clear()),
    NotCarried::new(
        "spellings with one meaning: an HTTP API's selection expressions (always AWS's), a route's absent authorization type NONE",
        "none: the same configuration",
        same_meaning,
    ),
];

/// `api` as an import of its document gives it back (every entry of [`NOT_CARRIED`] applied),
/// in canonical order.
pub fn carried(api: &ApiSnapshot) -> ApiSnapshot {
    super::carried(NOT_CARRIED, api, ApiSnapshot::normalize)
}

fn natural_ids(s: &mut ApiSnapshot) {
    let names: BTreeMap<String, String> = s
        .authorizers
        .iter()
        .map(|a| (a.authorizer_id.clone(), a.name.clone()))
        .collect();
    s.api.api_id.clear();
    s.api.created_date = None;
    for r in &mut s.routes {
        r.route_id = r.route_key.clone();
        if let Some(name) = r.authorizer_id.as_ref().and_then(|i| names.get(i)) {
            r.authorizer_id = Some(name.clone());
        }
    }
    for a in &mut s.authorizers {
        a.authorizer_id = a.name.clone();
    }
}

fn websocket_only(s: &mut ApiSnapshot) {
    s.models.clear();
    s.api.disable_schema_validation = false;
    for r in &mut s.routes {
        r.api_key_required = false;
        r.request_models.clear();
        r.request_parameters.clear();
        r.model_selection_expression = None;
        r.route_response_selection_expression = None;
        r.route_responses.clear();
    }
    for i in &mut s.integrations {
        i.request_templates.clear();
        i.template_selection_expression = None;
        i.integration_response_selection_expression = None;
        i.passthrough_behavior = None;
        i.content_handling_strategy = None;
        i.integration_responses.clear();
    }
    for a in &mut s.authorizers {
        a.identity_validation_expression = None;
    }
}

fn same_meaning(s: &mut ApiSnapshot) {
    s.api.protocol_type = "HTTP".into();
    s.api.route_selection_expression = Some(ROUTE_SELECTION.into());
    s.api.api_key_selection_expression = Some(API_KEY_SELECTION.into());
    for r in &mut s.routes {
        r.authorization_type.get_or_insert_with(|| "NONE".into());
    }
}

/// The OpenAPI 3.0 document of the HTTP API `s`, for ImportApi or ReimportApi. Refused (an
/// [`crate::Error::Invalid`]) for a WebSocket API, a route key that is not `VERB /path` or
/// `$default`, two routes with one key, or a reference to a missing authorizer or integration.
pub fn to_document(s: &ApiSnapshot) -> Result<Value> {
    let api = &s.api;
    let no = |what: String| refuse(&api.name, what);
    if api.protocol_type != "HTTP" {
        return Err(no(format!("a {} API has no import", api.protocol_type)));
    }
    let mut endpoint = Map::new();
    if api.disable_execute_api_endpoint {
        endpoint.insert("disableExecuteApiEndpoint".into(), true.into());
    }
    put_str(&mut endpoint, "ipAddressType", &api.ip_address_type);
    let mut doc = super::head(&api.name, &api.description, &api.version, endpoint);
    if let Some(c) = &api.cors_configuration {
        let mut o = Map::new();
        put_list(&mut o, "allowOrigins", &c.allow_origins);
        if c.allow_credentials {
            o.insert("allowCredentials".into(), true.into());
        }
        put_list(&mut o, "exposeHeaders", &c.expose_headers);
        put(&mut o, "maxAge", c.max_age);
        put_list(&mut o, "allowMethods", &c.allow_methods);
        put_list(&mut o, "allowHeaders", &c.allow_headers);
        doc.insert("x-amazon-apigateway-cors".into(), o.into());
    }

    let authorizers: BTreeMap<&str, &Authorizer> = s
        .authorizers
        .iter()
        .map(|a| (a.authorizer_id.as_str(), a))
        .collect();
    let integrations: BTreeMap<&str, &Integration> = s
        .integrations
        .iter()
        .map(|i| (i.integration_id.as_str(), i))
        .collect();
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    let mut sigv4 = false;
    for r in &s.routes {
        let (verb, path) = match r.route_key.split_once(' ') {
            _ if r.route_key == DEFAULT_ROUTE => (ANY_METHOD, DEFAULT_ROUTE),
            Some((verb, path)) => {
                let key = VERBS.iter().find(|(v, _)| *v == verb).map(|(_, k)| *k);
                let key =
                    key.ok_or_else(|| no(format!("route {} has no OpenAPI verb", r.route_key)))?;
                (key, path)
            }
            None => return Err(no(format!("route {} is not VERB /path", r.route_key))),
        };
        let mut op = Map::new();
        put_str(&mut op, "operationId", &r.operation_name);
        match r.authorization_type.as_deref() {
            None | Some("NONE") => {}
            Some("AWS_IAM") => {
                sigv4 = true;
                op.insert("security".into(), json!([{ SIGV4_SCHEME: [] }]));
            }
            Some(_) => {
                let id = r.authorizer_id.as_deref().unwrap_or_default();
                let a = authorizers.get(id).ok_or_else(|| {
                    no(format!(
                        "route {} names authorizer {id}, not in the API",
                        r.route_key
                    ))
                })?;
                let mut requirement = Map::new();
                requirement.insert(a.name.clone(), r.authorization_scopes.clone().into());
                op.insert("security".into(), json!([requirement]));
            }
        }
        if let Some(target) = &r.target {
            let id = target.strip_prefix("integrations/").unwrap_or(target);
            if !integrations.contains_key(id) {
                return Err(no(format!(
                    "route {} targets {target}, not in the API",
                    r.route_key
                )));
            }
            let reference = format!("#/components/{INTEGRATIONS}/{}", component_name(id));
            op.insert(
                "x-amazon-apigateway-integration".into(),
                json!({ "$ref": reference }),
            );
        }
        if paths
            .entry(path)
            .or_default()
            .insert(verb.into(), op.into())
            .is_some()
        {
            return Err(no(format!("two routes {}", r.route_key)));
        }
    }
    doc.insert("paths".into(), super::paths_object(paths));

    let mut components = Map::new();
    let mut schemes = Map::new();
    for a in &s.authorizers {
        if a.name == SIGV4_SCHEME {
            return Err(no(format!(
                "authorizer {} has the name of a built-in scheme",
                a.name
            )));
        }
        schemes.insert(a.name.clone(), security_scheme(a));
    }
    if sigv4 {
        schemes.insert(SIGV4_SCHEME.into(), super::sigv4_scheme());
    }
    if !schemes.is_empty() {
        components.insert("securitySchemes".into(), schemes.into());
    }
    if !s.integrations.is_empty() {
        let mut all = Map::new();
        for i in &s.integrations {
            let name = component_name(&i.integration_id);
            if all.insert(name.clone(), integration(i)).is_some() {
                return Err(no(format!("two integrations are named {name}")));
            }
        }
        components.insert(INTEGRATIONS.into(), all.into());
    }
    if !components.is_empty() {
        doc.insert("components".into(), components.into());
    }
    Ok(doc.into())
}

fn security_scheme(a: &Authorizer) -> Value {
    let kind = a.authorizer_type.as_deref().unwrap_or("REQUEST");
    let mut ext = Map::new();
    ext.insert("type".into(), kind.to_ascii_lowercase().into());
    if !a.identity_source.is_empty() {
        ext.insert("identitySource".into(), a.identity_source.join(",").into());
    }
    if let Some(j) = &a.jwt_configuration {
        let mut o = Map::new();
        put_str(&mut o, "issuer", &j.issuer);
        put_list(&mut o, "audience", &j.audience);
        ext.insert("jwtConfiguration".into(), o.into());
    }
    put_str(&mut ext, "authorizerUri", &a.authorizer_uri);
    put_str(
        &mut ext,
        "authorizerCredentials",
        &a.authorizer_credentials_arn,
    );
    put_str(
        &mut ext,
        "authorizerPayloadFormatVersion",
        &a.authorizer_payload_format_version,
    );
    put(
        &mut ext,
        "authorizerResultTtlInSeconds",
        a.authorizer_result_ttl_in_seconds,
    );
    if a.enable_simple_responses {
        ext.insert("enableSimpleResponses".into(), true.into());
    }
    let mut scheme = if kind == "JWT" {
        json!({"type": "oauth2", "flows": {}})
    } else {
        json!({"type": "apiKey", "name": "Unused", "in": "header"})
    };
    scheme["x-amazon-apigateway-authorizer"] = ext.into();
    scheme
}

fn integration(i: &Integration) -> Value {
    let mut o = Map::new();
    put_str(&mut o, "type", &i.integration_type);
    put_str(&mut o, "integrationSubtype", &i.integration_subtype);
    put_str(&mut o, "uri", &i.integration_uri);
    put_str(&mut o, "httpMethod", &i.integration_method);
    put_str(&mut o, "connectionType", &i.connection_type);
    put_str(&mut o, "connectionId", &i.connection_id);
    put_str(&mut o, "credentials", &i.credentials_arn);
    put_str(&mut o, "payloadFormatVersion", &i.payload_format_version);
    put(&mut o, "timeoutInMillis", i.timeout_in_millis);
    put_map(&mut o, "requestParameters", &i.request_parameters);
    if !i.response_parameters.is_empty() {
        let r: Map<String, Value> = i
            .response_parameters
            .iter()
            .map(|(status, m)| (status.clone(), json!(m)))
            .collect();
        o.insert("responseParameters".into(), r.into());
    }
    if let Some(t) = &i.tls_config {
        let mut tls = Map::new();
        put_str(&mut tls, "serverNameToVerify", &t.server_name_to_verify);
        o.insert("tlsConfig".into(), tls.into());
    }
    o.into()
}

/// The model of the HTTP API a document defines, as ExportApi returns it (OAS30, with API
/// Gateway's extensions) or as [`to_document`] makes it; in canonical order.
pub fn from_document(doc: &Value) -> Result<ApiSnapshot> {
    let head = super::read_head(doc)?;
    let mut s = ApiSnapshot {
        api: Api {
            name: head.title,
            protocol_type: "HTTP".into(),
            description: head.description,
            version: head.version,
            route_selection_expression: Some(ROUTE_SELECTION.into()),
            api_key_selection_expression: Some(API_KEY_SELECTION.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    if let Some(e) = head.endpoint {
        s.api.disable_execute_api_endpoint = flag(e, "disableExecuteApiEndpoint");
        s.api.ip_address_type = string(e, "ipAddressType");
    }
    if let Some(c) = doc.get("x-amazon-apigateway-cors") {
        s.api.cors_configuration = Some(Cors {
            allow_credentials: flag(c, "allowCredentials"),
            allow_headers: strings(c, "allowHeaders"),
            allow_methods: strings(c, "allowMethods"),
            allow_origins: strings(c, "allowOrigins"),
            expose_headers: strings(c, "exposeHeaders"),
            max_age: int(c, "maxAge"),
        });
    }
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    let mut sigv4 = Vec::new();
    for (name, scheme) in schemes.into_iter().flatten() {
        let Some(ext) = scheme.get("x-amazon-apigateway-authorizer") else {
            if super::is_sigv4(scheme) {
                sigv4.push(name.clone());
            }
            continue;
        };
        let identity_source = string(ext, "identitySource")
            .map(|i| {
                i.split(',')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        s.authorizers.push(Authorizer {
            authorizer_id: name.clone(),
            name: name.clone(),
            authorizer_type: upper(ext, "type"),
            jwt_configuration: ext.get("jwtConfiguration").map(|j| JwtConfiguration {
                audience: strings(j, "audience"),
                issuer: string(j, "issuer"),
            }),
            authorizer_uri: string(ext, "authorizerUri"),
            authorizer_credentials_arn: string(ext, "authorizerCredentials"),
            authorizer_payload_format_version: string(ext, "authorizerPayloadFormatVersion"),
            authorizer_result_ttl_in_seconds: int(ext, "authorizerResultTtlInSeconds"),
            enable_simple_responses: flag(ext, "enableSimpleResponses"),
            identity_source,
            identity_validation_expression: None,
        });
    }
    let kinds: BTreeMap<String, String> = s
        .authorizers
        .iter()
        .map(|a| {
            (
                a.name.clone(),
                a.authorizer_type.clone().unwrap_or_default(),
            )
        })
        .collect();
    if let Some(all) = doc
        .pointer(&format!("/components/{INTEGRATIONS}"))
        .and_then(Value::as_object)
    {
        for (name, v) in all {
            s.integrations.push(integration_of(name, v));
        }
    }
    for (path, item) in entries(doc, "paths") {
        for (verb, key) in VERBS {
            let Some(op) = item.get(key) else { continue };
            let route_key = if path == DEFAULT_ROUTE {
                DEFAULT_ROUTE.to_string()
            } else {
                format!("{verb} {path}")
            };
            let mut r = Route {
                route_id: route_key.clone(),
                route_key: route_key.clone(),
                authorization_type: Some("NONE".into()),
                operation_name: string(op, "operationId"),
                ..Default::default()
            };
            let requirement = op.pointer("/security/0").and_then(Value::as_object);
            for (scheme, scopes) in requirement.into_iter().flatten() {
                if sigv4.contains(scheme) {
                    r.authorization_type = Some("AWS_IAM".into());
                } else if let Some(kind) = kinds.get(scheme) {
                    let t = if kind == "JWT" { "JWT" } else { "CUSTOM" };
                    r.authorization_type = Some(t.into());
                    r.authorizer_id = Some(scheme.clone());
                    r.authorization_scopes = super::string_list(scopes);
                }
            }
            if let Some(i) = op.get("x-amazon-apigateway-integration") {
                let id = match i.get("$ref").and_then(Value::as_str) {
                    Some(reference) => reference.rsplit('/').next().unwrap_or_default().to_string(),
                    None => {
                        // Inline (as ExportApi writes it): an integration of its own.
                        let id = component_name(&route_key);
                        s.integrations.push(integration_of(&id, i));
                        id
                    }
                };
                r.target = Some(format!("integrations/{id}"));
            }
            s.routes.push(r);
        }
    }
    s.normalize();
    Ok(s)
}

/// `id` as an OpenAPI component name: letters, digits, `.`, `-` and `_` stay, anything else
/// becomes `_XX` per byte. The ids AWS makes, and names read from a document, stay as they are.
fn component_name(id: &str) -> String {
    let mut out = String::new();
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("_{b:02X}"));
        }
    }
    out
}

fn integration_of(id: &str, v: &Value) -> Integration {
    Integration {
        integration_id: id.to_string(),
        integration_type: upper(v, "type"),
        integration_subtype: string(v, "integrationSubtype"),
        integration_uri: string(v, "uri"),
        integration_method: string(v, "httpMethod"),
        connection_type: upper(v, "connectionType"),
        connection_id: string(v, "connectionId"),
        credentials_arn: string(v, "credentials"),
        payload_format_version: string(v, "payloadFormatVersion"),
        timeout_in_millis: int(v, "timeoutInMillis"),
        request_parameters: string_map(v, "requestParameters"),
        response_parameters: entries(v, "responseParameters")
            .map(|(status, m)| (status.clone(), as_map(m)))
            .collect(),
        tls_config: v.get("tlsConfig").map(|t| TlsConfig {
            server_name_to_verify: string(t, "serverNameToVerify"),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
