//! Comparing two REST APIs resource by resource (pure): what the recovery point says the API
//! must be (`desired`) against what an API is (`current`, captured live or from another
//! point). Items are matched by their natural key (a path, a name, a status...), never by
//! physical id, since ids differ between a source and its copy. Fields that only carry
//! physical ids or times are left out of the comparison; references to other items by id
//! (a method's authorizer, its validator) are compared by the referenced item's name.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::model::v1::RestApiSnapshot;
use crate::restore::difference::{Difference, Item, compare_items, strip};
use crate::restore::kind::Kind;

/// Tags this tool puts on what it creates; not part of the comparison.
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

/// Every item of an API.
pub fn items(api: &RestApiSnapshot) -> Vec<Item> {
    let refs = Refs::of(api);
    let none = String::new;
    let mut c = Collect {
        refs: &refs,
        out: vec![(
            Kind::RestApi,
            String::new(),
            comparable(&api.api, &refs),
            api.api.id.clone(),
        )],
    };
    c.add(Kind::Model, &api.models, |m| (m.name.clone(), m.id.clone()));
    c.add(Kind::RequestValidator, &api.request_validators, |v| {
        (v.name.clone(), v.id.clone())
    });
    c.add(Kind::Authorizer, &api.authorizers, |a| {
        (a.name.clone(), a.id.clone())
    });
    c.add(Kind::Resource, &api.resources, |r| {
        (r.path.clone(), r.id.clone())
    });
    c.add(Kind::Method, &api.methods, |m| {
        (format!("{} {}", m.path, m.http_method), none())
    });
    // Default gateway responses exist in every API; only customized ones are compared.
    let custom = api.gateway_responses.iter().filter(|g| !g.default_response);
    c.add(Kind::GatewayResponse, custom, |g| {
        (g.response_type.clone(), none())
    });
    c.add(Kind::DocumentationPart, &api.documentation_parts, |d| {
        (part_key(d), d.id.clone())
    });
    c.add(
        Kind::DocumentationVersion,
        &api.documentation_versions,
        |d| (d.version.clone(), none()),
    );
    c.add(Kind::Stage, &api.stages, |s| (s.stage_name.clone(), none()));
    c.out
}

/// Gathers an API's items, each compared with the API's references by name.
struct Collect<'r> {
    refs: &'r Refs,
    out: Vec<Item>,
}

impl Collect<'_> {
    /// The items `xs` of `kind`; `key` gives each one's natural key and physical id (empty
    /// where none is kept).
    fn add<'a, T: Serialize + 'a>(
        &mut self,
        kind: Kind,
        xs: impl IntoIterator<Item = &'a T>,
        key: impl Fn(&T) -> (String, String),
    ) {
        for x in xs {
            let (natural, id) = key(x);
            self.out.push((kind, natural, comparable(x, self.refs), id));
        }
    }
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

/// What must change to turn `current` (None: no such API yet) into `desired`, in the order to
/// apply it: creates and updates dependencies first, then deletes dependents first.
pub fn compare(desired: &RestApiSnapshot, current: Option<&RestApiSnapshot>) -> Vec<Difference> {
    // Every new API comes with its root resource.
    let comes_with_api = |kind: Kind, key: &str| kind == Kind::Resource && key == "/";
    compare_items(items(desired), current.map(items), &comes_with_api)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::v1::{Authorizer, Method, Resource, RestApi, Stage};
    use crate::restore::difference::{Change, TAG_SOURCE};

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

    /// Each difference as (kind, natural key, change).
    fn steps(d: &[Difference]) -> Vec<(Kind, &str, &Change)> {
        d.iter()
            .map(|d| (d.kind, d.key.as_str(), &d.change))
            .collect()
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
        assert_eq!(
            steps(&diffs),
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
        assert_eq!(
            steps(&d),
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
