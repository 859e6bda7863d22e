//! Restoring HTTP and WebSocket APIs (API Gateway v2): their items by natural key for the
//! comparison ([`items`], [`compare`]), the calls each difference needs ([`step_calls`]), and
//! carrying the differences out call by call ([`ApplierV2`]), as [`super::apply`] does for
//! REST APIs.
//!
//! Natural keys: a route by its route key, an integration by the smallest route key that
//! targets it (the key of its logical id, [`ApiSnapshot::integration_keys`]), authorizers and
//! models by name, stages by name. A route's target and authorizer are compared by the key or
//! name of what they point at, never by physical id.
//!
//! Stages serve deployments: after the routes and integrations are in place, each stage that
//! does not deploy itself (`autoDeploy`) gets one CreateDeployment; an auto-deploying stage is
//! created after everything else, so its first deployment holds the restored API.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::model::v2::{self, ApiSnapshot};
use crate::restore::difference::{Difference, Item, compare_items, strip};
use crate::restore::kind::Kind;

/// Fields never compared: physical ids and times.
const VOLATILE: &[&str] = &[
    "apiId",
    "createdDate",
    "lastUpdatedDate",
    "routeId",
    "integrationId",
    "authorizerId",
    "modelId",
    "deploymentId",
    // Set by API Gateway, not through the API.
    "integrationResponseSelectionExpression",
];

fn comparable<T: Serialize>(item: &T) -> Value {
    let mut v = serde_json::to_value(item).unwrap_or(Value::Null);
    strip(&mut v, VOLATILE);
    v
}

/// Removes `id_field` from every value of the map at `field` (responses keyed by their key).
fn strip_nested(v: &mut Value, field: &str, id_field: &str) {
    if let Some(Value::Object(m)) = v.get_mut(field) {
        for r in m.values_mut() {
            strip(r, &[id_field]);
        }
    }
}

/// Every item of an HTTP or WebSocket API as (kind, natural key, comparable value).
pub fn items(api: &ApiSnapshot) -> Vec<Item> {
    let keys = api.integration_keys();
    let authorizers: HashMap<&str, &str> = api
        .authorizers
        .iter()
        .map(|a| (a.authorizer_id.as_str(), a.name.as_str()))
        .collect();
    let mut out = vec![(
        Kind::Api,
        String::new(),
        comparable(&api.api),
        api.api.api_id.clone(),
    )];
    out.extend(api.models.iter().map(|m| {
        (
            Kind::ModelV2,
            m.name.clone(),
            comparable(m),
            m.model_id.clone(),
        )
    }));
    out.extend(api.authorizers.iter().map(|a| {
        let value = comparable(a);
        (
            Kind::AuthorizerV2,
            a.name.clone(),
            value,
            a.authorizer_id.clone(),
        )
    }));
    out.extend(api.integrations.iter().map(|i| {
        let mut v = comparable(i);
        strip_nested(&mut v, "integrationResponses", "integrationResponseId");
        // INTERNET is what an integration without a connection type has, and an empty
        // description is none (an update clears one by sending it empty).
        if let Value::Object(m) = &mut v {
            m.entry("connectionType")
                .or_insert_with(|| "INTERNET".into());
            if m.get("description").is_some_and(|d| d == "") {
                m.remove("description");
            }
        }
        let key = keys
            .get(&i.integration_id)
            .cloned()
            .unwrap_or_else(|| format!("~{}", i.integration_id));
        (Kind::Integration, key, v, i.integration_id.clone())
    }));
    out.extend(api.routes.iter().map(|r| {
        let mut v = comparable(r);
        strip_nested(&mut v, "routeResponses", "routeResponseId");
        if let Value::Object(m) = &mut v {
            if let Some(a) = &r.authorizer_id {
                let name = authorizers.get(a.as_str()).copied().unwrap_or(a);
                m.insert("authorizer".into(), Value::String(name.to_string()));
            }
            if let Some(i) = r.integration_id() {
                let key = keys.get(i).map(String::as_str).unwrap_or(i);
                m.insert(
                    "target".into(),
                    Value::String(format!("{}{key}", v2::TARGET_PREFIX)),
                );
            }
        }
        (Kind::Route, r.route_key.clone(), v, r.route_id.clone())
    }));
    out.extend(api.stages.iter().map(|s| {
        (
            Kind::StageV2,
            s.stage_name.clone(),
            comparable(s),
            String::new(),
        )
    }));
    out
}

/// What must change to turn `current` (None: no such API yet) into `desired`.
pub fn compare(desired: &ApiSnapshot, current: Option<&ApiSnapshot>) -> Vec<Difference> {
    compare_items(items(desired), current.map(items), &|_, _| false)
}

/// A logical id from the API's name and an item's natural key ([`v2::ids`]).
type LogicalId = fn(&str, &str) -> String;

/// The (kind, natural key) of each stored object of `api` exploded as `name`, by logical id.
pub fn natural_keys(api: &ApiSnapshot, name: &str) -> BTreeMap<String, (Kind, String)> {
    use v2::ids;
    let integration_keys = api.integration_keys();
    let models = api.models.iter().map(|m| &m.name).collect();
    let authorizers = api.authorizers.iter().map(|a| &a.name).collect();
    let integrations = integration_keys.values().collect();
    let routes = api.routes.iter().map(|r| &r.route_key).collect();
    let stages = api.stages.iter().map(|s| &s.stage_name).collect();
    let by_kind: [(Kind, LogicalId, Vec<&String>); 5] = [
        (Kind::ModelV2, ids::model, models),
        (Kind::AuthorizerV2, ids::authorizer, authorizers),
        (Kind::Integration, ids::integration, integrations),
        (Kind::Route, ids::route, routes),
        (Kind::StageV2, ids::stage, stages),
    ];
    let mut out = BTreeMap::from([(ids::api(name), (Kind::Api, String::new()))]);
    for (kind, id, keys) in by_kind {
        for key in keys {
            out.insert(id(name, key), (kind, key.clone()));
        }
    }
    out
}

/// Function ARN -> what calls it, for an HTTP or WebSocket API: Lambda integrations (the
/// function ARN itself, or the `.../functions/ARN/invocations` URI) and REQUEST authorizers.
pub fn functions_called(api: &ApiSnapshot) -> BTreeMap<String, Vec<String>> {
    let of = |uri: &str| {
        crate::restore::lambda::function_of_uri(uri).or_else(|| {
            (uri.starts_with("arn:") && uri.contains(":lambda:") && !uri.contains("${"))
                .then(|| uri.to_string())
        })
    };
    let keys = api.integration_keys();
    let integrations = api.integrations.iter().map(|i| {
        let key = keys.get(&i.integration_id).cloned().unwrap_or_default();
        (i.integration_uri.as_deref(), format!("Integration {key}"))
    });
    let authorizers = api.authorizers.iter().map(|a| {
        (
            a.authorizer_uri.as_deref(),
            format!("Authorizer {}", a.name),
        )
    });
    crate::restore::lambda::callers(integrations.chain(authorizers), of)
}
