//! Selection (pure): which resources of an estate a snapshot or a restore takes, from the
//! operator's `--select` and `--exclude` selectors, closed over the dependency rules so that
//! what is taken can work on its own, with the reason each resource came in.
//!
//! Selectors: `NAME-GLOB` (`*` and `?`; matches a name or a logical id), `id:ID` (a physical id),
//! `type:TYPE` (`rest`, `http`, `websocket`, `stage`, `domain`, `mapping`, `vpclink`,
//! `usageplan`, `apikey`, `clientcert`, `account`; `api` for all three kinds of API, `estate`
//! for everything that is not an API or a stage), `tag:KEY=VALUE` (`tag:KEY` for any value).
//!
//! The resources form a graph ([`Item`]s and [`Edge`]s, built from a snapshot by [`graph`]).
//! Two kinds of edge:
//! - *needs* ([`Edge::needs`]), followed from everything taken: a stage needs its API; a
//!   mapping its domain and the stage it points at; a stage the mappings that point at it; an
//!   API the VPC links its integrations use; a usage plan its API stages and its keys; a stage
//!   its client certificate.
//! - *brings* ([`Edge::brings`]), followed only from what a selector named itself: an API
//!   brings all its stages; a domain brings all its mappings.
//!
//! So selecting a domain takes the domain, all its mappings, and exactly the APIs and stages
//! they point at (not the APIs' other stages), and selecting an API takes it with every stage,
//! the mappings that point at them and their domain. Excludes win over everything, closure
//! included, and what then lacks something it needs is reported.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;

use crate::model::Snapshot;
use crate::{Error, Result};

/// One selector of `--select` or `--exclude`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Glob(String),
    Id(String),
    Type(String),
    Tag(String, Option<String>),
}

/// The types a `type:` selector names.
pub const TYPES: &[&str] = &[
    "estate",
    "rest",
    "http",
    "websocket",
    "api",
    "stage",
    "domain",
    "mapping",
    "vpclink",
    "usageplan",
    "apikey",
    "clientcert",
    "account",
];

impl Selector {
    pub fn parse(s: &str) -> Result<Selector> {
        let bad = |why: &str| {
            Error::Invalid(format!(
                "bad selector '{s}': {why}; use NAME-GLOB, id:ID, type:TYPE or tag:KEY=VALUE"
            ))
        };
        if let Some(id) = s.strip_prefix("id:") {
            if id.is_empty() {
                return Err(bad("no id"));
            }
            return Ok(Selector::Id(id.to_string()));
        }
        if let Some(t) = s.strip_prefix("type:") {
            if !TYPES.contains(&t) {
                return Err(Error::Invalid(format!(
                    "bad selector '{s}': unknown type '{t}'; types are {}",
                    TYPES.join(", ")
                )));
            }
            return Ok(Selector::Type(t.to_string()));
        }
        if let Some(kv) = s.strip_prefix("tag:") {
            let (k, v) = match kv.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (kv, None),
            };
            if k.is_empty() {
                return Err(bad("no tag key"));
            }
            return Ok(Selector::Tag(k.to_string(), v));
        }
        if s.is_empty() {
            return Err(bad("empty"));
        }
        Ok(Selector::Glob(s.to_string()))
    }

    pub fn parse_all(list: &[String]) -> Result<Vec<Selector>> {
        list.iter().map(|s| Selector::parse(s)).collect()
    }

    fn matches(&self, item: &Item) -> bool {
        match self {
            Selector::Glob(g) => glob(g, &item.name) || glob(g, &item.key),
            Selector::Id(id) => item.id == *id,
            Selector::Type(t) => {
                let api = matches!(item.kind, "rest" | "http" | "websocket");
                item.kind == t
                    || (t == "api" && api)
                    || (t == "estate" && !api && item.kind != "stage")
            }
            Selector::Tag(k, v) => match (item.tags.get(k), v) {
                (Some(_), None) => true,
                (Some(have), Some(want)) => have == want,
                (None, _) => false,
            },
        }
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selector::Glob(g) => write!(f, "{g}"),
            Selector::Id(i) => write!(f, "id:{i}"),
            Selector::Type(t) => write!(f, "type:{t}"),
            Selector::Tag(k, Some(v)) => write!(f, "tag:{k}={v}"),
            Selector::Tag(k, None) => write!(f, "tag:{k}"),
        }
    }
}

/// `*` (any run) and `?` (any one character) glob over the whole text.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// One resource a selector can take.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Its logical id (unique in the graph).
    pub key: String,
    /// One of [`TYPES`] (not `api`).
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// Why `from` takes `to`, as the plan and `show` say it.
    pub why: String,
    /// Followed only from an item a selector named itself.
    pub only_if_named: bool,
}

impl Edge {
    pub fn needs(from: &str, to: &str, why: impl Into<String>) -> Edge {
        Edge {
            from: from.to_string(),
            to: to.to_string(),
            why: why.into(),
            only_if_named: false,
        }
    }
    pub fn brings(from: &str, to: &str, why: impl Into<String>) -> Edge {
        Edge {
            only_if_named: true,
            ..Edge::needs(from, to, why)
        }
    }
}

/// Why an item was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "by")]
pub enum Reason {
    /// A selector named it (or there was no selector: everything).
    Selected { selector: String },
    /// Another taken item needs or brings it.
    Closure { from: String, why: String },
}

/// What a selection took, each with its reason, and what it could not close.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Selection {
    pub taken: BTreeMap<String, Reason>,
    /// Items an exclude removed although a taken item needs them: `from needs to (why)`.
    pub broken: Vec<String>,
}

impl Selection {
    pub fn has(&self, key: &str) -> bool {
        self.taken.contains_key(key)
    }

    /// [`Selection::closure_lines`], then one `not closed: ...` line per item an exclude
    /// removed although a taken item needs it.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = self.closure_lines();
        lines.extend(self.broken.iter().map(|b| format!("not closed: {b}")));
        lines
    }

    /// One line per item that came in by closure: `KEY: because FROM WHY`.
    pub fn closure_lines(&self) -> Vec<String> {
        self.taken
            .iter()
            .filter_map(|(k, r)| match r {
                Reason::Closure { from, why } => Some(format!("{k}: {why} ({from})")),
                Reason::Selected { .. } => None,
            })
            .collect()
    }
}

/// The part of `snap` that `include` and `exclude` take ([`graph`], [`select`], [`filter`]),
/// and the selection (what was taken and why).
pub fn take(
    snap: &Snapshot,
    include: &[Selector],
    exclude: &[Selector],
) -> Result<(Snapshot, Selection)> {
    let (items, edges) = graph(snap);
    let chosen = select(&items, &edges, include, exclude)?;
    Ok((filter(snap, &chosen), chosen))
}

/// Takes what `include` names (everything when it is empty), closes it over `edges`, then
/// drops what `exclude` names. An include selector that names nothing is an error (a typo
/// must not give an empty recovery point or restore).
pub fn select(
    items: &[Item],
    edges: &[Edge],
    include: &[Selector],
    exclude: &[Selector],
) -> Result<Selection> {
    let excluded: BTreeSet<&str> = items
        .iter()
        .filter(|i| exclude.iter().any(|s| s.matches(i)))
        .map(|i| i.key.as_str())
        .collect();
    let mut taken: BTreeMap<String, Reason> = BTreeMap::new();
    let mut queue: VecDeque<(String, bool)> = VecDeque::new();
    if include.is_empty() {
        for i in items {
            taken.insert(
                i.key.clone(),
                Reason::Selected {
                    selector: "(everything)".into(),
                },
            );
            queue.push_back((i.key.clone(), true));
        }
    } else {
        for s in include {
            let hits: Vec<&Item> = items.iter().filter(|i| s.matches(i)).collect();
            if hits.is_empty() {
                return Err(Error::NotFound(format!(
                    "the selector '{s}' matches nothing here: check the name, id, type or tag (`apigw-dr show` lists what a point holds)"
                )));
            }
            for i in hits {
                if !taken.contains_key(&i.key) {
                    taken.insert(
                        i.key.clone(),
                        Reason::Selected {
                            selector: s.to_string(),
                        },
                    );
                    queue.push_back((i.key.clone(), true));
                }
            }
        }
    }
    let mut out: BTreeMap<&str, Vec<&Edge>> = BTreeMap::new();
    for e in edges {
        out.entry(e.from.as_str()).or_default().push(e);
    }
    let mut broken = Vec::new();
    while let Some((key, named)) = queue.pop_front() {
        if excluded.contains(key.as_str()) {
            continue;
        }
        for e in out.get(key.as_str()).into_iter().flatten() {
            if e.only_if_named && !named {
                continue;
            }
            if excluded.contains(e.to.as_str()) {
                if !e.only_if_named {
                    broken.push(format!(
                        "{} needs {} ({}), which is excluded",
                        e.from, e.to, e.why
                    ));
                }
                continue;
            }
            if !taken.contains_key(&e.to) {
                taken.insert(
                    e.to.clone(),
                    Reason::Closure {
                        from: e.from.clone(),
                        why: e.why.clone(),
                    },
                );
                queue.push_back((e.to.clone(), false));
            }
        }
    }
    taken.retain(|k, _| !excluded.contains(k.as_str()));
    if taken.is_empty() {
        return Err(Error::NotFound(
            "the selection takes nothing: --exclude leaves out everything it would take; exclude less (`apigw-dr show` lists what a point holds)".into(),
        ));
    }
    broken.sort();
    broken.dedup();
    Ok(Selection { taken, broken })
}

/// The graph of a snapshot: its APIs and their stages, and the estate around them, with the
/// dependency rules of the module doc as edges. Keys are the point's logical ids.
pub fn graph(snap: &Snapshot) -> (Vec<Item>, Vec<Edge>) {
    use crate::model::{estate::ids as eid, v1, v2};
    let mut items = Vec::new();
    let mut edges = Vec::new();
    // Source API id + stage name -> the stage's key; API id -> the API's key.
    let mut stage_key: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut api_key: BTreeMap<String, String> = BTreeMap::new();
    let item =
        |key: String, kind: &'static str, id: &str, name: &str, tags: &BTreeMap<String, String>| {
            Item {
                key,
                kind,
                id: id.to_string(),
                name: name.to_string(),
                tags: tags.clone(),
            }
        };
    let mut vpc_users: Vec<(String, String)> = Vec::new();
    let mut cert_users: Vec<(String, String)> = Vec::new();
    for (a, name) in snap
        .rest_apis
        .iter()
        .zip(v1::logical_names(&snap.rest_apis))
    {
        let key = v1::ids::rest_api(&name);
        items.push(item(
            key.clone(),
            "rest",
            &a.api.id,
            &a.api.name,
            &a.api.tags,
        ));
        api_key.insert(a.api.id.clone(), key.clone());
        for st in &a.stages {
            let sk = v1::ids::stage(&name, &st.stage_name);
            items.push(item(
                sk.clone(),
                "stage",
                &st.stage_name,
                &st.stage_name,
                &st.tags,
            ));
            edges.push(Edge::brings(&key, &sk, "an API brings its stages"));
            edges.push(Edge::needs(&sk, &key, "a stage needs its API"));
            if let Some(c) = &st.client_certificate_id {
                cert_users.push((sk.clone(), c.clone()));
            }
            stage_key.insert((a.api.id.clone(), st.stage_name.clone()), sk);
        }
        for m in &a.methods {
            if let Some(c) = m
                .method_integration
                .as_ref()
                .and_then(|i| i.connection_id.clone())
            {
                vpc_users.push((key.clone(), c));
            }
        }
    }
    for (a, name) in snap.apis_v2.iter().zip(v2::logical_names(&snap.apis_v2)) {
        let key = v2::ids::api(&name);
        let kind = if a.api.protocol_type == "WEBSOCKET" {
            "websocket"
        } else {
            "http"
        };
        items.push(item(
            key.clone(),
            kind,
            &a.api.api_id,
            &a.api.name,
            &a.api.tags,
        ));
        api_key.insert(a.api.api_id.clone(), key.clone());
        for st in &a.stages {
            let sk = v2::ids::stage(&name, &st.stage_name);
            items.push(item(
                sk.clone(),
                "stage",
                &st.stage_name,
                &st.stage_name,
                &st.tags,
            ));
            edges.push(Edge::brings(&key, &sk, "an API brings its stages"));
            edges.push(Edge::needs(&sk, &key, "a stage needs its API"));
            if let Some(c) = &st.client_certificate_id {
                cert_users.push((sk.clone(), c.clone()));
            }
            stage_key.insert((a.api.api_id.clone(), st.stage_name.clone()), sk);
        }
        for i in &a.integrations {
            if let Some(c) = &i.connection_id {
                vpc_users.push((key.clone(), c.clone()));
            }
        }
    }
    let e = &snap.estate;
    let names = e.logical_names();
    let mut by_id: BTreeMap<&str, String> = BTreeMap::new();
    let none = BTreeMap::new();
    for (l, n) in e.vpc_links_v1.iter().zip(&names.vpc_links_v1) {
        items.push(item(eid::vpc_link(n), "vpclink", &l.id, &l.name, &l.tags));
        by_id.insert(&l.id, eid::vpc_link(n));
    }
    for (l, n) in e.vpc_links_v2.iter().zip(&names.vpc_links_v2) {
        items.push(item(
            eid::vpc_link_v2(n),
            "vpclink",
            &l.id,
            &l.name,
            &l.tags,
        ));
        by_id.insert(&l.id, eid::vpc_link_v2(n));
    }
    for c in &e.client_certificates {
        let key = eid::client_certificate(&c.id);
        items.push(item(
            key.clone(),
            "clientcert",
            &c.id,
            c.description.as_deref().unwrap_or(&c.id),
            &c.tags,
        ));
        by_id.insert(&c.id, key);
    }
    for (k, n) in e.api_keys.iter().zip(&names.api_keys) {
        items.push(item(eid::api_key(n), "apikey", &k.id, &k.name, &k.tags));
        by_id.insert(&k.id, eid::api_key(n));
    }
    for (from, id) in vpc_users {
        if let Some(to) = by_id.get(id.as_str()) {
            edges.push(Edge::needs(&from, to, "an integration uses this VPC link"));
        }
    }
    for (from, id) in cert_users {
        if let Some(to) = by_id.get(id.as_str()) {
            edges.push(Edge::needs(
                &from,
                to,
                "a stage uses this client certificate",
            ));
        }
    }
    for (p, n) in e.usage_plans.iter().zip(&names.usage_plans) {
        let key = eid::usage_plan(n);
        items.push(item(key.clone(), "usageplan", &p.id, &p.name, &p.tags));
        for s in &p.api_stages {
            if let Some(sk) = stage_key.get(&(s.api_id.clone(), s.stage.clone())) {
                edges.push(Edge::needs(&key, sk, "a usage plan brings its API stages"));
            }
        }
        for k in &p.keys {
            if let Some(to) = by_id.get(k.as_str()) {
                edges.push(Edge::needs(&key, to, "a usage plan brings its keys"));
            }
        }
    }
    for d in &e.domains {
        let key = eid::domain(&d.domain_name);
        items.push(item(
            key.clone(),
            "domain",
            &d.domain_name,
            &d.domain_name,
            &d.tags,
        ));
        for m in &d.mappings {
            let mk = eid::mapping(&d.domain_name, &m.key);
            items.push(item(
                mk.clone(),
                "mapping",
                m.id.as_deref().unwrap_or(&m.key),
                &m.key,
                &none,
            ));
            edges.push(Edge::brings(&key, &mk, "a domain brings its mappings"));
            edges.push(Edge::needs(&mk, &key, "a mapping needs its domain"));
            let stage = m.stage.clone().unwrap_or_default();
            if let Some(sk) = stage_key.get(&(m.api_id.clone(), stage)) {
                edges.push(Edge::needs(&mk, sk, "a mapping points at this stage"));
                edges.push(Edge::needs(
                    sk,
                    &mk,
                    "a stage brings the mappings that point at it",
                ));
            } else if let Some(ak) = api_key.get(&m.api_id) {
                edges.push(Edge::needs(&mk, ak, "a mapping points at this API"));
            }
        }
    }
    if e.account.is_some() {
        items.push(item(eid::account(), "account", "account", "account", &none));
    }
    (items, edges)
}

/// The items (named `names` in their logical ids, made by `id`) that the selection took.
fn taken<T: Clone>(
    items: &[T],
    names: &[String],
    id: fn(&str) -> String,
    sel: &Selection,
) -> Vec<T> {
    items
        .iter()
        .zip(names)
        .filter(|(_, n)| sel.has(&id(n)))
        .map(|(item, _)| item.clone())
        .collect()
}

/// The part of a snapshot a selection took: APIs with only the stages taken (all of them when
/// the API was taken by itself), and the estate items taken.
pub fn filter(snap: &Snapshot, sel: &Selection) -> Snapshot {
    use crate::model::{estate::ids as eid, v1, v2};
    let mut out = Snapshot {
        source: snap.source.clone(),
        rest_apis: vec![],
        apis_v2: vec![],
        estate: Default::default(),
        gaps: vec![],
    };
    for (a, name) in snap
        .rest_apis
        .iter()
        .zip(v1::logical_names(&snap.rest_apis))
    {
        if sel.has(&v1::ids::rest_api(&name)) {
            let mut a = a.clone();
            a.stages
                .retain(|s| sel.has(&v1::ids::stage(&name, &s.stage_name)));
            out.rest_apis.push(a);
        }
    }
    for (a, name) in snap.apis_v2.iter().zip(v2::logical_names(&snap.apis_v2)) {
        if sel.has(&v2::ids::api(&name)) {
            let mut a = a.clone();
            a.stages
                .retain(|s| sel.has(&v2::ids::stage(&name, &s.stage_name)));
            out.apis_v2.push(a);
        }
    }
    let e = &snap.estate;
    let names = e.logical_names();
    let o = &mut out.estate;
    o.vpc_links_v1 = taken(&e.vpc_links_v1, &names.vpc_links_v1, eid::vpc_link, sel);
    o.vpc_links_v2 = taken(&e.vpc_links_v2, &names.vpc_links_v2, eid::vpc_link_v2, sel);
    o.usage_plans = taken(&e.usage_plans, &names.usage_plans, eid::usage_plan, sel);
    o.api_keys = taken(&e.api_keys, &names.api_keys, eid::api_key, sel);
    o.client_certificates = e
        .client_certificates
        .iter()
        .filter(|c| sel.has(&eid::client_certificate(&c.id)))
        .cloned()
        .collect();
    o.domains = e
        .domains
        .iter()
        .filter(|d| sel.has(&eid::domain(&d.domain_name)))
        .map(|d| {
            let mut d = d.clone();
            let name = d.domain_name.clone();
            d.mappings.retain(|m| sel.has(&eid::mapping(&name, &m.key)));
            d
        })
        .collect();
    o.account = e.account.clone().filter(|_| sel.has(&eid::account()));
    // What the capture lacked of the APIs taken, and of the estate.
    let taken: std::collections::BTreeSet<&str> = out
        .rest_apis
        .iter()
        .map(|a| a.api.id.as_str())
        .chain(out.apis_v2.iter().map(|a| a.api.api_id.as_str()))
        .collect();
    out.gaps = snap
        .gaps
        .iter()
        .filter(|g| g.scope == crate::model::ESTATE_SCOPE || taken.contains(g.scope.as_str()))
        .cloned()
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(key: &str, kind: &'static str, tags: &[(&str, &str)]) -> Item {
        Item {
            key: key.into(),
            kind,
            id: format!("id-{key}"),
            name: key.rsplit(':').next().unwrap().into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// A domain with mappings to stage prod of a REST API and of an HTTP API; the REST API
    /// has a second stage; a usage plan on the REST stage with a key; a lone API.
    fn estate() -> (Vec<Item>, Vec<Edge>) {
        let items = vec![
            item("restapi:orders", "rest", &[("team", "payments")]),
            item("stage:orders:prod", "stage", &[]),
            item("stage:orders:beta", "stage", &[]),
            item("api:orders-http", "http", &[]),
            item("stage2:orders-http:prod", "stage", &[]),
            item("api:lone", "websocket", &[]),
            item("domain:api.example.com", "domain", &[]),
            item("mapping:api.example.com:orders", "mapping", &[]),
            item("mapping:api.example.com:http", "mapping", &[]),
            item("usageplan:gold", "usageplan", &[]),
            item("apikey:alice", "apikey", &[]),
        ];
        let edges = vec![
            Edge::brings(
                "restapi:orders",
                "stage:orders:prod",
                "an API brings its stages",
            ),
            Edge::brings(
                "restapi:orders",
                "stage:orders:beta",
                "an API brings its stages",
            ),
            Edge::needs(
                "stage:orders:prod",
                "restapi:orders",
                "a stage needs its API",
            ),
            Edge::needs(
                "stage:orders:beta",
                "restapi:orders",
                "a stage needs its API",
            ),
            Edge::brings(
                "api:orders-http",
                "stage2:orders-http:prod",
                "an API brings its stages",
            ),
            Edge::needs(
                "stage2:orders-http:prod",
                "api:orders-http",
                "a stage needs its API",
            ),
            Edge::brings(
                "domain:api.example.com",
                "mapping:api.example.com:orders",
                "a domain brings its mappings",
            ),
            Edge::brings(
                "domain:api.example.com",
                "mapping:api.example.com:http",
                "a domain brings its mappings",
            ),
            Edge::needs(
                "mapping:api.example.com:orders",
                "domain:api.example.com",
                "a mapping needs its domain",
            ),
            Edge::needs(
                "mapping:api.example.com:http",
                "domain:api.example.com",
                "a mapping needs its domain",
            ),
            Edge::needs(
                "mapping:api.example.com:orders",
                "stage:orders:prod",
                "a mapping points at this stage",
            ),
            Edge::needs(
                "mapping:api.example.com:http",
                "stage2:orders-http:prod",
                "a mapping points at this stage",
            ),
            Edge::needs(
                "stage:orders:prod",
                "mapping:api.example.com:orders",
                "a stage brings the mappings that point at it",
            ),
            Edge::needs(
                "stage2:orders-http:prod",
                "mapping:api.example.com:http",
                "a stage brings the mappings that point at it",
            ),
            Edge::needs(
                "usageplan:gold",
                "stage:orders:prod",
                "a usage plan brings its API stages",
            ),
            Edge::needs(
                "usageplan:gold",
                "apikey:alice",
                "a usage plan brings its keys",
            ),
        ];
        (items, edges)
    }

    fn keys(s: &Selection) -> Vec<&str> {
        s.taken.keys().map(String::as_str).collect()
    }

    #[test]
    fn a_selection_keeps_what_the_capture_lacked_of_what_it_takes() {
        use crate::model::{Gap, Source, v1};
        let api = |id: &str, name: &str| v1::RestApiSnapshot {
            api: v1::RestApi {
                id: id.into(),
                name: name.into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let gap = |scope: &str| Gap::new("DocumentationPart", scope, "not served");
        let snap = Snapshot {
            source: Source {
                partition: "aws".into(),
                account: "111111111111".into(),
                region: "eu-west-1".into(),
            },
            rest_apis: vec![api("r1", "orders"), api("r2", "other")],
            apis_v2: vec![],
            estate: Default::default(),
            gaps: vec![gap("r1"), gap("r2"), gap(crate::model::ESTATE_SCOPE)],
        };
        let (items, edges) = graph(&snap);
        let chosen = select(&items, &edges, &[Selector::Id("r1".into())], &[]).unwrap();
        let taken = filter(&snap, &chosen);
        assert_eq!(taken.rest_apis.len(), 1);
        assert_eq!(taken.gaps, [gap("r1"), gap(crate::model::ESTATE_SCOPE)]);
    }

    #[test]
    fn selectors_parse_and_bad_ones_say_what_to_write() {
        assert_eq!(
            Selector::parse("tag:team=payments").unwrap(),
            Selector::Tag("team".into(), Some("payments".into()))
        );
        assert_eq!(
            Selector::parse("type:domain").unwrap(),
            Selector::Type("domain".into())
        );
        assert_eq!(
            Selector::parse("id:abc").unwrap(),
            Selector::Id("abc".into())
        );
        assert_eq!(
            Selector::parse("orders*").unwrap(),
            Selector::Glob("orders*".into())
        );
        let e = Selector::parse("type:lambda").unwrap_err().to_string();
        assert!(
            e.contains("unknown type 'lambda'") && e.contains("domain"),
            "{e}"
        );
        assert!(Selector::parse("tag:=x").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("orders*", "orders-http"));
        assert!(glob("*http", "orders-http"));
        assert!(glob("o?ders", "orders"));
        assert!(!glob("orders", "orders-http"));
        assert!(glob("*", ""));
        assert!(!glob("a*b", "acd"));
    }

    #[test]
    fn a_domain_takes_its_mappings_and_exactly_the_stages_and_apis_they_point_at() {
        let (items, edges) = estate();
        let s = select(&items, &edges, &[Selector::Type("domain".into())], &[]).unwrap();
        assert_eq!(
            keys(&s),
            [
                "api:orders-http",
                "domain:api.example.com",
                "mapping:api.example.com:http",
                "mapping:api.example.com:orders",
                "restapi:orders",
                "stage2:orders-http:prod",
                "stage:orders:prod",
            ]
        );
        assert_eq!(
            s.taken["restapi:orders"],
            Reason::Closure {
                from: "stage:orders:prod".into(),
                why: "a stage needs its API".into()
            }
        );
        assert!(s.closure_lines().iter().any(|l| l == "stage:orders:prod: a mapping points at this stage (mapping:api.example.com:orders)"));
    }

    #[test]
    fn an_api_takes_all_its_stages_their_mappings_and_the_domain_but_not_its_other_mappings() {
        let (items, edges) = estate();
        let s = select(
            &items,
            &edges,
            &[Selector::parse("tag:team=payments").unwrap()],
            &[],
        )
        .unwrap();
        assert_eq!(
            keys(&s),
            [
                "domain:api.example.com",
                "mapping:api.example.com:orders",
                "restapi:orders",
                "stage:orders:beta",
                "stage:orders:prod",
            ]
        );
    }

    #[test]
    fn a_usage_plan_takes_its_keys_and_stages_and_excludes_win() {
        let (items, edges) = estate();
        let s = select(&items, &edges, &[Selector::Glob("gold".into())], &[]).unwrap();
        assert!(s.has("apikey:alice") && s.has("stage:orders:prod") && s.has("restapi:orders"));
        assert!(!s.has("stage:orders:beta"));
        let s = select(
            &items,
            &edges,
            &[Selector::Glob("gold".into())],
            &[Selector::Type("apikey".into())],
        )
        .unwrap();
        assert!(!s.has("apikey:alice"));
        assert_eq!(
            s.broken,
            ["usageplan:gold needs apikey:alice (a usage plan brings its keys), which is excluded"]
        );
    }

    #[test]
    fn nothing_selected_is_everything_and_a_selector_that_matches_nothing_is_an_error() {
        let (items, edges) = estate();
        let s = select(&items, &edges, &[], &[Selector::Glob("lone".into())]).unwrap();
        assert_eq!(s.taken.len(), items.len() - 1);
        let e = select(&items, &edges, &[Selector::Glob("nope".into())], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("'nope' matches nothing"), "{e}");
    }
}
