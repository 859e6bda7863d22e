//! Comparing two REST APIs resource by resource (pure): what the recovery point says the API
//! must be (`desired`) against what an API is (`current`, captured live or from another
//! point). Items are matched by their natural key (a path, a name, a status...), never by
//! physical id, since ids differ between a source and its copy. Fields that only carry
//! physical ids or times are left out of the comparison; references to other items by id
//! (a method's authorizer, its validator) are compared by the referenced item's name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::kind::Kind;
use crate::model::v1::RestApiSnapshot;

/// Tags this tool puts on what it creates; not part of the comparison.
pub const TAG_PREFIX: &str = "apigw-dr:";
/// The tag naming the API a restored API was recovered from: `ACCOUNT/REGION/APIID`.
pub const TAG_SOURCE: &str = "apigw-dr:source";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "change")]
pub enum Change {
    Create,
    /// The top-level fields that differ.
    Update {
        fields: Vec<String>,
    },
    Delete,
    /// Two or more items of the target share the natural key (a create sent twice, say):
    /// their ids. Reported, never deleted: the operator decides which one stays.
    Duplicate {
        ids: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    pub kind: Kind,
    /// The natural key: `/pets/{id} GET`, a name, a stage name...
    pub key: String,
    #[serde(flatten)]
    pub change: Change,
    /// The comparable forms (what the point says; what is there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<Value>,
}

impl Change {
    /// The call a change of this sort needs, of the three given (None: none).
    pub fn op(
        &self,
        create: Option<&'static str>,
        update: Option<&'static str>,
        delete: Option<&'static str>,
    ) -> Option<&'static str> {
        match self {
            Change::Create => create,
            Change::Update { .. } => update,
            Change::Delete => delete,
            // Two copies in the target: reported, nothing called.
            Change::Duplicate { .. } => None,
        }
    }

    /// [`Change::op`] for a kind with a call of each sort.
    pub fn verb(
        &self,
        create: &'static str,
        update: &'static str,
        delete: &'static str,
    ) -> Option<&'static str> {
        self.op(Some(create), Some(update), Some(delete))
    }
}

/// Adds `n` calls of `op` (if any) to a count of calls by operation.
pub fn add_calls(out: &mut BTreeMap<&'static str, u64>, op: Option<&'static str>, n: u64) {
    if let Some(op) = op {
        *out.entry(op).or_insert(0) += n;
    }
}

impl Difference {
    /// A step without the comparable forms.
    pub fn new(kind: Kind, key: impl Into<String>, change: Change) -> Difference {
        Difference {
            kind,
            key: key.into(),
            change,
            desired: None,
            current: None,
        }
    }

    /// Whether this is two or more target items with one natural key.
    pub fn is_duplicate(&self) -> bool {
        matches!(self.change, Change::Duplicate { .. })
    }

    /// For a duplicate: one line saying what is there and what to do (a restore never deletes
    /// what it did not make).
    pub fn duplicate_line(&self) -> Option<String> {
        let Change::Duplicate { ids } = &self.change else {
            return None;
        };
        Some(format!(
            "{} {}: {} copies in the target ({}): delete all but one in the target, then run the restore again",
            self.kind,
            self.key,
            ids.len(),
            ids.join(", ")
        ))
    }
}

/// Fields never compared: physical ids, times, state.
const VOLATILE: &[&str] = &[
    "id",
    "restApiId",
    "createdDate",
    "lastUpdatedDate",
    "rootResourceId",
    "resourceId",
    "parentId",
    "deploymentId",
    "cacheClusterStatus",
    "warnings",
];

fn comparable<T: Serialize>(item: &T, refs: &Refs) -> Value {
    let mut v = serde_json::to_value(item).unwrap_or(Value::Null);
    strip(&mut v, VOLATILE);
    if let Value::Object(m) = &mut v {
        if let Some(Value::Object(canary)) = m.get_mut("canarySettings") {
            canary.remove("deploymentId");
        }
        for (field, names, as_name) in [
            ("authorizerId", &refs.authorizers, "authorizer"),
            ("requestValidatorId", &refs.validators, "requestValidator"),
        ] {
            if let Some(Value::String(id)) = m.remove(field) {
                let name = names.get(&id).cloned().unwrap_or(id);
                m.insert(as_name.into(), Value::String(name));
            }
        }
    }
    v
}

/// Physical id -> name of the items other items refer to, within one API.
#[derive(Debug, Default, Clone)]
pub struct Refs {
    pub authorizers: BTreeMap<String, String>,
    pub validators: BTreeMap<String, String>,
}

impl Refs {
    pub fn of(api: &RestApiSnapshot) -> Refs {
        Refs {
            authorizers: api
                .authorizers
                .iter()
                .map(|a| (a.id.clone(), a.name.clone()))
                .collect(),
            validators: api
                .request_validators
                .iter()
                .map(|v| (v.id.clone(), v.name.clone()))
                .collect(),
        }
    }
}

/// One item to compare: kind, natural key, comparable value, and its physical id in the API
/// (empty for items without one), which only names duplicates.
pub type Item = (Kind, String, Value, String);

/// Every item of an API.
pub fn items(api: &RestApiSnapshot) -> Vec<Item> {
    let refs = Refs::of(api);
    let none = String::new;
    let mut out = vec![(
        Kind::RestApi,
        String::new(),
        comparable(&api.api, &refs),
        api.api.id.clone(),
    )];
    out.extend(api.models.iter().map(|m| {
        (
            Kind::Model,
            m.name.clone(),
            comparable(m, &refs),
            m.id.clone(),
        )
    }));
    out.extend(api.request_validators.iter().map(|v| {
        let value = comparable(v, &refs);
        (Kind::RequestValidator, v.name.clone(), value, v.id.clone())
    }));
    out.extend(api.authorizers.iter().map(|a| {
        (
            Kind::Authorizer,
            a.name.clone(),
            comparable(a, &refs),
            a.id.clone(),
        )
    }));
    out.extend(api.resources.iter().map(|r| {
        (
            Kind::Resource,
            r.path.clone(),
            comparable(r, &refs),
            r.id.clone(),
        )
    }));
    out.extend(api.methods.iter().map(|m| {
        (
            Kind::Method,
            format!("{} {}", m.path, m.http_method),
            comparable(m, &refs),
            none(),
        )
    }));
    // Default gateway responses exist in every API; only customized ones are compared.
    out.extend(
        api.gateway_responses
            .iter()
            .filter(|g| !g.default_response)
            .map(|g| {
                (
                    Kind::GatewayResponse,
                    g.response_type.clone(),
                    comparable(g, &refs),
                    none(),
                )
            }),
    );
    out.extend(api.documentation_parts.iter().map(|d| {
        (
            Kind::DocumentationPart,
            part_key(d),
            comparable(d, &refs),
            d.id.clone(),
        )
    }));
    out.extend(api.documentation_versions.iter().map(|d| {
        (
            Kind::DocumentationVersion,
            d.version.clone(),
            comparable(d, &refs),
            none(),
        )
    }));
    out.extend(api.stages.iter().map(|s| {
        (
            Kind::Stage,
            s.stage_name.clone(),
            comparable(s, &refs),
            none(),
        )
    }));
    out
}

/// A documentation part's natural key: its location.
pub fn part_key(d: &crate::model::v1::DocumentationPart) -> String {
    let l = &d.location;
    [
        Some(l.location_type.as_str()),
        l.path.as_deref(),
        l.method.as_deref(),
        l.status_code.as_deref(),
        l.name.as_deref(),
    ]
    .iter()
    .map(|p| p.unwrap_or(""))
    .collect::<Vec<_>>()
    .join(" ")
    .trim_end()
    .to_string()
}

/// The (kind, natural key) of a stored object, as [`compare`] names it; None for kinds
/// restore does not compare (deployments).
pub fn natural_key(e: &crate::model::Entry) -> Option<(Kind, String)> {
    let v = &e.value;
    let s = |f: &str| v.get(f).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let kind: Kind = e.kind.parse().ok()?;
    let key = match kind {
        Kind::RestApi => String::new(),
        Kind::Model | Kind::RequestValidator | Kind::Authorizer => s("name"),
        Kind::Resource => s("path"),
        Kind::Method => format!("{} {}", s("path"), s("httpMethod")),
        Kind::GatewayResponse => s("responseType"),
        Kind::DocumentationPart => {
            let part: crate::model::v1::DocumentationPart =
                serde_json::from_value(v.clone()).ok()?;
            part_key(&part)
        }
        Kind::DocumentationVersion => s("version"),
        Kind::Stage => s("stageName"),
        _ => return None,
    };
    Some((kind, key))
}

/// Resource depth, so parents are created before children and deleted after them.
fn depth(key: &str) -> usize {
    key.split(' ').next().unwrap_or("").matches('/').count()
}

/// What must change to turn `current` (None: no such API yet) into `desired`, in the order to
/// apply it: creates and updates dependencies first, then deletes dependents first.
pub fn compare(desired: &RestApiSnapshot, current: Option<&RestApiSnapshot>) -> Vec<Difference> {
    // Every new API comes with its root resource.
    let comes_with_api = |kind: Kind, key: &str| kind == Kind::Resource && key == "/";
    compare_items(items(desired), current.map(items), &comes_with_api)
}

/// The comparison itself, over (kind, natural key, comparable value) items of any API: what
/// to create, update and delete, in the creation order of [`Kind`] (deletes in reverse). Where there
/// is no current API at all (`None`), items for which `comes_with_api` holds are not created.
/// Two current items with one natural key are a [`Change::Duplicate`], listed last: the first
/// of them is the one compared.
pub fn compare_items(
    want: Vec<Item>,
    current: Option<Vec<Item>>,
    comes_with_api: &dyn Fn(Kind, &str) -> bool,
) -> Vec<Difference> {
    let fresh = current.is_none();
    let mut have: BTreeMap<(Kind, String), Value> = BTreeMap::new();
    let mut copies: BTreeMap<(Kind, String), Vec<String>> = BTreeMap::new();
    for (kind, key, value, id) in current.unwrap_or_default() {
        copies.entry((kind, key.clone())).or_default().push(id);
        have.entry((kind, key)).or_insert(value);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for (kind, key, value, _) in want {
        seen.insert((kind, key.clone()));
        if fresh && comes_with_api(kind, &key) {
            continue;
        }
        match have.get(&(kind, key.clone())) {
            None => out.push(Difference {
                kind,
                key,
                change: Change::Create,
                desired: Some(value),
                current: None,
            }),
            Some(cur) if *cur != value => out.push(Difference {
                kind,
                key,
                change: Change::Update {
                    fields: differing_fields(&value, cur),
                },
                desired: Some(value),
                current: Some(cur.clone()),
            }),
            Some(_) => {}
        }
    }
    let mut deletes: Vec<Difference> = have
        .into_iter()
        .filter(|((kind, key), _)| !seen.contains(&(*kind, key.clone())))
        .map(|((kind, key), v)| Difference {
            kind,
            key,
            change: Change::Delete,
            desired: None,
            current: Some(v),
        })
        .collect();
    out.sort_by_key(|d| (d.kind, depth(&d.key)));
    deletes.sort_by_key(|d| (std::cmp::Reverse(d.kind), std::cmp::Reverse(depth(&d.key))));
    out.extend(deletes);
    out.extend(
        copies
            .into_iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|((kind, key), ids)| Difference::new(kind, key, Change::Duplicate { ids })),
    );
    out
}

/// Removes `fields` from a comparable object, and this tool's own tags.
pub fn strip(v: &mut Value, fields: &[&str]) {
    if let Value::Object(m) = v {
        for k in fields {
            m.remove(*k);
        }
        if let Some(Value::Object(tags)) = m.get_mut("tags") {
            tags.retain(|k, _| !k.starts_with(TAG_PREFIX));
            if tags.is_empty() {
                m.remove("tags");
            }
        }
    }
}

fn differing_fields(a: &Value, b: &Value) -> Vec<String> {
    let empty = Map::new();
    let (a, b) = (
        a.as_object().unwrap_or(&empty),
        b.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::v1::{Authorizer, Method, Resource, RestApi, Stage};

    fn api(id_suffix: &str) -> RestApiSnapshot {
        let auth = format!("auth{id_suffix}");
        RestApiSnapshot {
            api: RestApi {
                id: format!("api{id_suffix}"),
                name: "orders".into(),
                created_date: Some(format!("2026-01-0{}T00:00:00Z", id_suffix.len())),
                ..Default::default()
            },
            resources: vec![
                Resource {
                    id: format!("root{id_suffix}"),
                    path: "/".into(),
                    ..Default::default()
                },
                Resource {
                    id: format!("pets{id_suffix}"),
                    parent_id: Some(format!("root{id_suffix}")),
                    path: "/pets".into(),
                    path_part: Some("pets".into()),
                },
            ],
            methods: vec![Method {
                resource_id: format!("pets{id_suffix}"),
                path: "/pets".into(),
                http_method: "GET".into(),
                authorization_type: Some("CUSTOM".into()),
                authorizer_id: Some(auth.clone()),
                ..Default::default()
            }],
            authorizers: vec![Authorizer {
                id: auth,
                name: "tok".into(),
                ..Default::default()
            }],
            stages: vec![Stage {
                stage_name: "prod".into(),
                deployment_id: Some(format!("dep{id_suffix}")),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn two_target_items_with_one_natural_key_are_a_duplicate_with_both_ids() {
        let desired = api("");
        let mut target = api("-t");
        let mut twin = target.authorizers[0].clone();
        twin.id = "auth-twin".into();
        target.authorizers.push(twin);
        let mut twin = target.resources[1].clone();
        twin.id = "pets-twin".into();
        target.resources.push(twin);
        let diffs = compare(&desired, Some(&target));
        let dups: Vec<(Kind, &str, &Change)> = diffs
            .iter()
            .map(|d| (d.kind, d.key.as_str(), &d.change))
            .collect();
        assert_eq!(
            dups,
            vec![
                (
                    Kind::Authorizer,
                    "tok",
                    &Change::Duplicate {
                        ids: vec!["auth-t".into(), "auth-twin".into()]
                    }
                ),
                (
                    Kind::Resource,
                    "/pets",
                    &Change::Duplicate {
                        ids: vec!["pets-t".into(), "pets-twin".into()]
                    }
                ),
            ],
            "a copy is a difference even where every field is equal"
        );
        let line = diffs[1].duplicate_line().unwrap();
        assert!(
            line.contains("2 copies") && line.contains("pets-twin") && line.contains("delete"),
            "{line}"
        );
        assert!(compare(&desired, Some(&api("-t"))).is_empty());
    }

    #[test]
    fn copies_with_other_ids_and_times_are_equal() {
        let mut copy = api("-copy");
        copy.api.tags.insert(TAG_SOURCE.into(), "x".into());
        assert_eq!(compare(&api(""), Some(&copy)), vec![]);
    }

    #[test]
    fn nothing_there_means_create_everything_in_dependency_order() {
        let d = compare(&api(""), None);
        let order: Vec<(Kind, &str)> = d.iter().map(|d| (d.kind, d.key.as_str())).collect();
        assert_eq!(
            order,
            [
                (Kind::RestApi, ""),
                (Kind::Authorizer, "tok"),
                (Kind::Resource, "/pets"),
                (Kind::Method, "/pets GET"),
                (Kind::Stage, "prod")
            ]
        );
        assert!(d.iter().all(|d| d.change == Change::Create));
    }

    #[test]
    fn changes_and_extras_are_found() {
        let want = api("");
        let mut have = api("-x");
        have.methods[0].api_key_required = Some(true);
        have.authorizers[0].name = "other".into();
        have.resources.push(Resource {
            id: "extra".into(),
            parent_id: Some("pets-x".into()),
            path: "/pets/extra".into(),
            path_part: Some("extra".into()),
        });
        let d = compare(&want, Some(&have));
        let got: Vec<(Kind, &str, &Change)> = d
            .iter()
            .map(|d| (d.kind, d.key.as_str(), &d.change))
            .collect();
        assert_eq!(
            got,
            [
                (Kind::Authorizer, "tok", &Change::Create),
                (
                    Kind::Method,
                    "/pets GET",
                    &Change::Update {
                        fields: vec!["apiKeyRequired".into(), "authorizer".into()]
                    }
                ),
                (Kind::Resource, "/pets/extra", &Change::Delete),
                (Kind::Authorizer, "other", &Change::Delete),
            ]
        );
    }
}
