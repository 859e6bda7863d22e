//! API definitions as one document (pure): the model of an API to the OpenAPI 3.0 document
//! API Gateway imports (ImportRestApi / PutRestApi, ImportApi / ReimportApi), with API
//! Gateway's `x-amazon-apigateway-*` extensions, and such a document (as GetExport / ExportApi
//! return it) back to the model.
//!
//! A document carries an API's definition, not everything the model holds: each module keeps,
//! in one table (`NOT_CARRIED`), what the extensions cannot carry and the call that restores it
//! after an import. `carried` applies that table to a model: what an import of the document
//! gives back, so `from_document(to_document(api)) == carried(api)` (the round-trip tests).
//!
//! - [`rest`]: REST APIs (model [`crate::model::v1`]).
//! - [`http`]: HTTP APIs (model [`crate::model::v2`]); WebSocket APIs have no import.
//!
//! No SDK types and no I/O here; a document too large to send ([`size`] over [`LIMIT`]) is
//! the caller's cue to restore call by call.

pub mod http;
pub mod rest;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::{Error, Result};

/// The largest API definition API Gateway imports (its documented quota is 6 MB); kept in
/// decimal megabytes so that a document at the limit is refused here rather than by AWS.
pub const LIMIT: usize = 6_000_000;

/// The path item key of each verb.
const VERBS: [(&str, &str); 8] = [
    ("GET", "get"),
    ("PUT", "put"),
    ("POST", "post"),
    ("DELETE", "delete"),
    ("OPTIONS", "options"),
    ("HEAD", "head"),
    ("PATCH", "patch"),
    ("ANY", ANY_METHOD),
];
const ANY_METHOD: &str = "x-amazon-apigateway-any-method";

/// The security scheme that stands for AWS_IAM authorization.
pub const SIGV4_SCHEME: &str = "sigv4";

fn sigv4_scheme() -> Value {
    serde_json::json!({"type": "apiKey", "name": "Authorization", "in": "header",
                       "x-amazon-apigateway-authtype": "awsSigv4"})
}

/// Whether a security scheme without an authorizer stands for AWS_IAM.
fn is_sigv4(scheme: &Value) -> bool {
    string(scheme, "x-amazon-apigateway-authtype")
        .is_some_and(|t| t.eq_ignore_ascii_case("awsSigv4"))
}

/// Bytes of `doc` as sent (compact JSON).
pub fn size(doc: &Value) -> usize {
    serde_json::to_vec(doc)
        .map(|b| b.len())
        .unwrap_or(usize::MAX)
}

/// Whether `doc` fits in one import ([`LIMIT`]).
pub fn fits(doc: &Value) -> bool {
    size(doc) <= LIMIT
}

/// Something of the model a document cannot carry, the call that restores it after an import,
/// and how [`carried`] sets it to what the import gives back.
pub struct NotCarried<T: 'static> {
    /// The model's field or kind (`RestApi.tags`, `stages`...).
    pub what: &'static str,
    /// The API Gateway call that restores it (or `none` and why).
    pub restored_by: &'static str,
    clear: fn(&mut T),
}

impl<T> NotCarried<T> {
    const fn new(what: &'static str, restored_by: &'static str, clear: fn(&mut T)) -> Self {
        NotCarried {
            what,
            restored_by,
            clear,
        }
    }
}

impl<T> std::fmt::Debug for NotCarried<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (restored by {})", self.what, self.restored_by)
    }
}

/// `api` as an import of its document gives it back: every entry of `table` applied, then
/// put in canonical order.
fn carried<T: Clone>(table: &[NotCarried<T>], api: &T, normalize: fn(&mut T)) -> T {
    let mut out = api.clone();
    for entry in table {
        (entry.clear)(&mut out);
    }
    normalize(&mut out);
    out
}

/// The start of a document: `openapi`, `info`, and the endpoint configuration on a server.
fn head(
    name: &str,
    description: &Option<String>,
    version: &Option<String>,
    endpoint: Map<String, Value>,
) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("openapi".into(), "3.0.1".into());
    let mut info = Map::new();
    info.insert("title".into(), name.into());
    put_str(&mut info, "description", description);
    put_str(&mut info, "version", version);
    doc.insert("info".into(), info.into());
    if !endpoint.is_empty() {
        let server =
            serde_json::json!({"url": "/", "x-amazon-apigateway-endpoint-configuration": endpoint});
        doc.insert("servers".into(), Value::Array(vec![server]));
    }
    doc
}

/// What [`head`] wrote: the title (the document must be OpenAPI 3 and have one), description,
/// version and endpoint configuration (on the first server, or at the top as in Swagger 2).
struct Head<'a> {
    title: String,
    description: Option<String>,
    version: Option<String>,
    endpoint: Option<&'a Value>,
}

fn read_head(doc: &Value) -> Result<Head<'_>> {
    Ok(Head {
        title: title(doc)?,
        description: doc
            .pointer("/info/description")
            .and_then(Value::as_str)
            .map(str::to_string),
        version: doc
            .pointer("/info/version")
            .and_then(Value::as_str)
            .map(str::to_string),
        endpoint: doc
            .pointer("/servers/0/x-amazon-apigateway-endpoint-configuration")
            .or_else(|| doc.get("x-amazon-apigateway-endpoint-configuration")),
    })
}

/// The `paths` object of path items by path.
fn paths_object(paths: BTreeMap<&str, Map<String, Value>>) -> Value {
    paths
        .into_iter()
        .map(|(p, item)| (p.to_string(), Value::Object(item)))
        .collect::<Map<String, Value>>()
        .into()
}

/// A JSON text field of the model (policy, schema, properties) as the JSON it holds.
fn parse_text(what: &str, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        Error::Invalid(format!(
            "{what} is not JSON ({e}); it cannot go into an OpenAPI document, restore call by call"
        ))
    })
}

/// A JSON text field as a document gives it back: compact, or a string as it is.
fn to_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Compact form of a JSON text (unchanged if it is not JSON): what a document gives back.
fn compact(text: &mut String) {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        *text = v.to_string();
    }
}

fn compact_opt(text: &mut Option<String>) {
    if let Some(t) = text {
        compact(t);
    }
}

/// Inserts `key: value` where `value` is set.
fn put<V: Into<Value>>(o: &mut Map<String, Value>, key: &str, value: Option<V>) {
    if let Some(v) = value {
        o.insert(key.to_string(), v.into());
    }
}

fn put_str(o: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    put(o, key, value.clone());
}

/// Inserts a string map where it is not empty.
fn put_map(o: &mut Map<String, Value>, key: &str, map: &BTreeMap<String, String>) {
    if !map.is_empty() {
        let m: Map<String, Value> = map
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        o.insert(key.to_string(), Value::Object(m));
    }
}

fn put_list(o: &mut Map<String, Value>, key: &str, list: &[String]) {
    if !list.is_empty() {
        o.insert(key.to_string(), list.into());
    }
}

fn string(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A string that AWS exports in lower case (`mock`, `when_no_match`), as the model spells it.
fn upper(v: &Value, key: &str) -> Option<String> {
    string(v, key).map(|s| s.to_ascii_uppercase())
}

fn int(v: &Value, key: &str) -> Option<i32> {
    v.get(key)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key).map(string_list).unwrap_or_default()
}

/// The strings of an array (a security requirement's scopes).
fn string_list(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn string_map(v: &Value, key: &str) -> BTreeMap<String, String> {
    v.get(key).map(as_map).unwrap_or_default()
}

/// The string members of an object.
fn as_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect()
}

/// The members of the object at `key` (none if it is absent or not an object).
fn entries<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = (&'a String, &'a Value)> {
    v.get(key).and_then(Value::as_object).into_iter().flatten()
}

/// The model name of a `$ref` to `#/components/schemas/NAME`.
fn schema_ref(content: &Value) -> Option<String> {
    content
        .pointer("/schema/$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_string)
}

/// `{content type: {"schema": {"$ref": "#/components/schemas/NAME"}}}` of a model map.
fn content_refs(models: &BTreeMap<String, String>) -> Value {
    models
        .iter()
        .map(|(ct, name)| {
            let r = format!("#/components/schemas/{name}");
            (ct.clone(), serde_json::json!({"schema": {"$ref": r}}))
        })
        .collect::<Map<String, Value>>()
        .into()
}

/// The model map of a `content` object (its `$ref`s to component schemas).
fn content_models(v: &Value) -> BTreeMap<String, String> {
    entries(v, "content")
        .filter_map(|(ct, c)| schema_ref(c).map(|name| (ct.clone(), name)))
        .collect()
}

/// Refuses an API whose document would be the same as another's, or wrong.
fn refuse(api: &str, what: impl std::fmt::Display) -> Error {
    Error::Invalid(format!(
        "API {api} cannot be written as one OpenAPI document: {what}; restore it call by call"
    ))
}

/// Checks that `doc` is OpenAPI 3 and returns `info.title`.
fn title(doc: &Value) -> Result<String> {
    let version = string(doc, "openapi").unwrap_or_default();
    if !version.starts_with("3.") {
        return Err(Error::Invalid(format!(
            "the API definition is not OpenAPI 3 (openapi: {version:?}); export it as oas30"
        )));
    }
    doc.pointer("/info/title")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            Error::Invalid(
                "the API definition has no info.title; give the API a name in the document".into(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_compact_bytes_and_the_limit_is_six_megabytes() {
        let doc = serde_json::json!({"a": "é", "b": [1, 2]});
        assert_eq!(size(&doc), r#"{"a":"é","b":[1,2]}"#.len());
        assert_eq!(LIMIT, 6_000_000);
        assert!(fits(&doc));
        let big = serde_json::json!({"x": "y".repeat(LIMIT)});
        assert!(size(&big) > LIMIT);
        assert!(!fits(&big));
    }

    #[test]
    fn json_texts_come_back_compact() {
        let mut t = "{ \"a\" : [ 2,\n 3 ] }".to_string();
        compact(&mut t);
        assert_eq!(t, r#"{"a":[2,3]}"#);
        let mut not_json = "not json".to_string();
        compact(&mut not_json);
        assert_eq!(not_json, "not json");
        assert!(parse_text("the policy", "{").is_err());
    }
}
