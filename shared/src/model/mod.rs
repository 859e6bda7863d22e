//! The project's own model of API Gateway configuration: plain serde types, no SDK types.
//!
//! Every captured thing has a stable logical id (`restapi:orders`, `resource:orders:/pets/{id}`,
//! `method:orders:/pets/{id}:GET`, ...) and keeps the source's physical id beside it. A
//! [`Snapshot`] explodes into [`Entry`]s (one stored object each) and is assembled back from them.

pub mod estate;
pub mod v1;
pub mod v2;

use serde::{Deserialize, Serialize};

/// Where a snapshot was taken: the (partition, account, Region) the configuration lives in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub partition: String,
    pub account: String,
    pub region: String,
}

impl Source {
    /// `account/region`, the short form used in listings.
    pub fn short(&self) -> String {
        format!("{}/{}", self.account, self.region)
    }
}

/// Everything captured from one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub source: Source,
    pub rest_apis: Vec<v1::RestApiSnapshot>,
    /// HTTP and WebSocket APIs (absent in snapshots taken before they were captured).
    #[serde(default)]
    pub apis_v2: Vec<v2::ApiSnapshot>,
    /// The account-level resources around the APIs (absent in older snapshots).
    #[serde(default)]
    pub estate: estate::Estate,
    /// What the capture could not take (a property of the capture, not of the content: kept
    /// in the point's catalog record, never in its objects or manifest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
}

/// The first 12 hex digits of an id (a point's), as listings show it.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// The scope of a gap of the account-level estate (otherwise a gap's scope is an API id).
pub const ESTATE_SCOPE: &str = "estate";

/// A kind of resource a capture did not take, where (an API id or [`ESTATE_SCOPE`]), and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Gap {
    /// What is missing, as a model kind (`RouteResponse`, `AuthorizerV2`, `ApiKey`...).
    pub kind: String,
    pub scope: String,
    pub reason: String,
}

impl Gap {
    pub fn new(kind: &str, scope: &str, reason: impl Into<String>) -> Self {
        Gap {
            kind: kind.to_string(),
            scope: scope.to_string(),
            reason: reason.into(),
        }
    }

    /// `route responses of API a1b2 (not served by the source: GetRouteResponses answered
    /// 500)`.
    pub fn describe(&self) -> String {
        let of = if self.scope == ESTATE_SCOPE {
            "the account's estate".to_string()
        } else {
            format!("API {}", self.scope)
        };
        format!("{} of {of} ({})", kind_words(&self.kind), self.reason)
    }
}

/// `RouteResponse` -> `route responses`, `AuthorizerV2` -> `authorizers`, `ApiKey` -> `API keys`.
fn kind_words(kind: &str) -> String {
    let kind = kind.strip_suffix("V2").unwrap_or(kind);
    let mut words: Vec<String> = Vec::new();
    for c in kind.chars() {
        if c.is_ascii_uppercase() || words.is_empty() {
            words.push(String::new());
        }
        if let Some(w) = words.last_mut() {
            w.push(c);
        }
    }
    let words: Vec<String> = words
        .into_iter()
        .map(|w| match w.as_str() {
            "Api" => "API".to_string(),
            "Vpc" => "VPC".to_string(),
            _ => w.to_ascii_lowercase(),
        })
        .collect();
    let text = words.join(" ");
    if text.ends_with('s') {
        text
    } else {
        format!("{text}s")
    }
}

/// An API's model as a point stores it: exploded into objects under its own name, and put
/// back together from them; where a snapshot holds it, and what names it (REST APIs and
/// HTTP/WebSocket APIs alike).
pub trait Stored: Sized {
    fn explode(&self, out: &mut Vec<Entry>) -> crate::Result<()>;
    fn assemble(entries: Vec<Entry>) -> crate::Result<Vec<Self>>;
    /// The snapshot's APIs of this type.
    fn all(snap: &Snapshot) -> &[Self];
    /// The API's id, name, tags and protocol.
    fn head(&self) -> Head<'_>;
    fn set_name(&mut self, name: String);
}

/// What names one API, whatever its type.
pub struct Head<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub tags: &'a std::collections::BTreeMap<String, String>,
    /// `REST`, `HTTP` or `WEBSOCKET`.
    pub protocol: &'a str,
}

macro_rules! stored {
    (@protocol $api:ident, $p:literal) => { $p };
    (@protocol $api:ident, $p:ident) => { &$api.$p };
    ($($t:ty: $all:ident, id $id:ident, protocol $p:tt;)*) => {$(
        impl Stored for $t {
            fn explode(&self, out: &mut Vec<Entry>) -> crate::Result<()> {
                <$t>::explode(self, out)
            }
            fn assemble(entries: Vec<Entry>) -> crate::Result<Vec<Self>> {
                <$t>::assemble(entries)
            }
            fn all(snap: &Snapshot) -> &[Self] {
                &snap.$all
            }
            fn head(&self) -> Head<'_> {
                let api = &self.api;
                Head {
                    id: &api.$id,
                    name: &api.name,
                    tags: &api.tags,
                    protocol: stored!(@protocol api, $p),
                }
            }
            fn set_name(&mut self, name: String) {
                self.api.name = name;
            }
        }
    )*};
}
stored! {
    v1::RestApiSnapshot: rest_apis, id id, protocol "REST";
    v2::ApiSnapshot: apis_v2, id api_id, protocol protocol_type;
}

/// One stored object of a recovery point: its logical id, its kind (a type name such as
/// `Method`), and its content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub kind: String,
    pub value: serde_json::Value,
}

impl Snapshot {
    /// One entry per stored object, sorted by logical id.
    pub fn entries(&self) -> crate::Result<Vec<Entry>> {
        let mut out = Vec::new();
        // APIs that share a name get `name~apiid` as the NAME in their ids.
        v1::explode_all(&self.rest_apis, &mut out)?;
        v2::explode_all(&self.apis_v2, &mut out)?;
        self.estate.explode(&mut out)?;
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The inverse of [`Snapshot::entries`].
    pub fn from_entries(source: Source, entries: Vec<Entry>) -> crate::Result<Snapshot> {
        let (mut v1_entries, mut v2_entries, mut estate_entries) = (vec![], vec![], vec![]);
        for e in entries {
            let kind = e.kind.as_str();
            if v2::KINDS.contains(&kind) {
                v2_entries.push(e);
            } else if estate::KINDS.contains(&kind) {
                estate_entries.push(e);
            } else {
                v1_entries.push(e);
            }
        }
        Ok(Snapshot {
            source,
            rest_apis: v1::RestApiSnapshot::assemble(v1_entries)?,
            apis_v2: v2::ApiSnapshot::assemble(v2_entries)?,
            estate: estate::Estate::assemble(estate_entries)?,
            gaps: vec![],
        })
    }

    /// Count of objects per kind, for listings.
    pub fn counts(entries: &[Entry]) -> std::collections::BTreeMap<String, u64> {
        let mut m = std::collections::BTreeMap::new();
        for e in entries {
            *m.entry(e.kind.clone()).or_insert(0) += 1;
        }
        m
    }
}

/// Builds one API's entries for `explode`: every child object carries its API's physical id
/// in the field `tie` (so `assemble` can group it without parsing logical ids), and equal
/// logical ids within one API (duplicate paths or names) are told apart by physical id
/// (`ID~PHYSICAL`), so no object overwrites another.
pub(crate) struct ApiEntries {
    tie: &'static str,
    api_id: String,
    pending: Vec<(String, String, &'static str, serde_json::Value)>,
}

/// A model object as stored JSON.
pub(crate) fn encode<T: Serialize>(what: &str, v: &T) -> crate::Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| crate::Error::decode(format!("encoding {what}"), e))
}

impl ApiEntries {
    pub(crate) fn new(tie: &'static str, api_id: &str) -> Self {
        ApiEntries {
            tie,
            api_id: api_id.to_string(),
            pending: Vec::new(),
        }
    }

    /// Adds a child object under its logical id, with its physical id for ties.
    pub(crate) fn push<T: Serialize>(
        &mut self,
        id: String,
        physical: &str,
        kind: &'static str,
        object: &T,
    ) -> crate::Result<()> {
        let mut value = encode(&id, object)?;
        if let serde_json::Value::Object(m) = &mut value {
            m.insert(
                self.tie.to_string(),
                serde_json::Value::String(self.api_id.clone()),
            );
        }
        self.pending.push((id, physical.to_string(), kind, value));
        Ok(())
    }

    /// Writes the API's own entry, then its children.
    pub(crate) fn finish<T: Serialize>(
        self,
        id: String,
        kind: &str,
        api: &T,
        out: &mut Vec<Entry>,
    ) -> crate::Result<()> {
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (id, ..) in &self.pending {
            *seen.entry(id.as_str()).or_insert(0) += 1;
        }
        let unique: Vec<bool> = self
            .pending
            .iter()
            .map(|(id, ..)| seen[id.as_str()] == 1)
            .collect();
        out.push(Entry {
            value: encode(&id, api)?,
            id,
            kind: kind.to_string(),
        });
        for ((id, physical, kind, value), unique) in self.pending.into_iter().zip(unique) {
            let id = if unique {
                id
            } else {
                format!("{id}~{physical}")
            };
            out.push(Entry {
                id,
                kind: kind.to_string(),
                value,
            });
        }
        Ok(())
    }
}

/// The NAME part of logical ids for things named by their owner: each thing's name, or
/// `name~id` where several of `items` (`(name, physical id)`) share that name, so that no object
/// overwrites another. Same order as `items`.
pub fn unique_names<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let items: Vec<(&str, &str)> = items.into_iter().collect();
    let mut count: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (name, _) in &items {
        *count.entry(name).or_insert(0) += 1;
    }
    items
        .iter()
        .map(|(name, id)| {
            if count[name] > 1 {
                format!("{name}~{id}")
            } else {
                name.to_string()
            }
        })
        .collect()
}

/// Reads a stored object into a model type.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    id: &str,
    v: serde_json::Value,
) -> crate::Result<T> {
    serde_json::from_value(v)
        .map_err(|e| crate::Error::decode(format!("reading stored object {id}"), e))
}

/// Groups stored objects by the API they belong to, for each version's `assemble`: the
/// objects of `api_kind` are the APIs (`new` decodes one and gives its physical id); each
/// object of `kinds` says its API in the field `tie` (removed here) and is handed to `add`.
/// Other kinds are ignored; an object whose API is missing, or an API held twice, is
/// `Integrity`. `what` names the API kind in messages.
pub(crate) fn group_by_api<S>(
    entries: Vec<Entry>,
    api_kind: &str,
    kinds: &[&str],
    tie: &str,
    what: &str,
    new: impl Fn(&str, serde_json::Value) -> crate::Result<(String, S)>,
    mut add: impl FnMut(&mut S, Entry) -> crate::Result<()>,
) -> crate::Result<Vec<S>> {
    use crate::Error;
    let mut apis: std::collections::BTreeMap<String, S> = std::collections::BTreeMap::new();
    let mut children = Vec::new();
    for e in entries {
        if e.kind == api_kind {
            let (api_id, snap) = new(&e.id, e.value)?;
            if apis.contains_key(&api_id) {
                return Err(Error::Integrity(format!(
                    "the recovery point holds {what} {api_id} twice (object {}); it is damaged",
                    e.id
                )));
            }
            apis.insert(api_id, snap);
        } else if kinds.contains(&e.kind.as_str()) {
            children.push(e);
        }
    }
    for mut e in children {
        let api_id = match &mut e.value {
            serde_json::Value::Object(m) => match m.remove(tie) {
                Some(serde_json::Value::String(s)) => Some(s),
                _ => None,
            },
            _ => None,
        };
        let Some(api_id) = api_id else {
            return Err(Error::Integrity(format!(
                "stored object {} ({}) does not say which {what} it belongs to (no {tie})",
                e.id, e.kind
            )));
        };
        let Some(s) = apis.get_mut(&api_id) else {
            return Err(Error::Integrity(format!(
                "stored object {} belongs to {what} {api_id}, which the recovery point does not hold",
                e.id
            )));
        };
        add(s, e)?;
    }
    Ok(apis.into_values().collect())
}
