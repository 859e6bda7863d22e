//! Stages serve what they served (pure): a source stage serves its deployment, not the
//! working copy, and the point holds what each deployment serves
//! ([`crate::model::v1::Served`]). Where that differs from the restored working copy (by what
//! a document carries, [`crate::openapi::rest::carried`], never by ids), the stages that
//! served it, and the stages whose canary served it, form a [`Group`]: its definition is
//! imported and deployed for them before the working copy is restored, its stages are not
//! pointed at the working copy's deployment, and its canaries are given its deployment.
//! A stage or canary whose served definition equals the working copy, or was not captured,
//! serves the working copy's deployment as before.

use serde_json::json;

use crate::model::v1::{RestApiSnapshot, Stage};
use crate::openapi::rest::carried;
use crate::restore::difference::{Change, Difference};
use crate::restore::kind::Kind;

/// The stages (and canaries) that served one source deployment whose definition differs
/// from the working copy, and what to import for them.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The source deployment.
    pub deployment_id: String,
    /// Its stages, by name.
    pub stages: Vec<String>,
    /// The stages whose canary served it, by stage name.
    pub canaries: Vec<String>,
    /// What to import: the served definition under the working copy's head (name, policy,
    /// endpoint...), so the import renames nothing.
    pub api: RestApiSnapshot,
    /// The description of the target deployment that serves it: a run after a crash or a
    /// lost reply finds it by this, and it names the content, so an unchanged definition is
    /// never imported twice.
    pub marker: String,
}

impl Group {
    /// Who it serves: its stages, then `STAGE's canary` for each of its canaries.
    fn names(&self) -> Vec<String> {
        let canaries = self.canaries.iter().map(|s| format!("{s}'s canary"));
        self.stages.iter().cloned().chain(canaries).collect()
    }

    /// The key of its step: who it serves, comma-separated.
    pub fn key(&self) -> String {
        self.names().join(",")
    }
}

/// `desired` as a deployment of the definition `def` serves it: the working copy's head and
/// everything a document does not carry, with the served items (resources, methods,
/// authorizers, models, validators, gateway responses).
pub fn serving(desired: &RestApiSnapshot, def: &RestApiSnapshot) -> RestApiSnapshot {
    let mut api = working_copy(desired);
    api.resources.clone_from(&def.resources);
    api.methods.clone_from(&def.methods);
    api.authorizers.clone_from(&def.authorizers);
    api.models.clone_from(&def.models);
    api.request_validators.clone_from(&def.request_validators);
    api.gateway_responses.clone_from(&def.gateway_responses);
    api
}

fn working_copy(desired: &RestApiSnapshot) -> RestApiSnapshot {
    let mut api = desired.clone();
    api.served.clear();
    api
}

/// The deployment a stage's canary serves, if it has one.
fn canary_of(stage: &Stage) -> Option<&str> {
    stage.canary_settings.as_ref()?.deployment_id.as_deref()
}

/// The names of the stages of `desired` for which `on` names deployment `deployment`.
fn on_deployment(
    desired: &RestApiSnapshot,
    deployment: &str,
    on: fn(&Stage) -> Option<&str>,
) -> Vec<String> {
    desired
        .stages
        .iter()
        .filter(|st| on(st) == Some(deployment))
        .map(|st| st.stage_name.clone())
        .collect()
}

/// The stages and canaries whose served definition differs from the working copy, by
/// deployment.
pub fn groups(desired: &RestApiSnapshot) -> Vec<Group> {
    let copy = carried(&working_copy(desired));
    let mut out = Vec::new();
    for s in &desired.served {
        let stages = on_deployment(desired, &s.deployment_id, |st| st.deployment_id.as_deref());
        let canaries = on_deployment(desired, &s.deployment_id, canary_of);
        if stages.is_empty() && canaries.is_empty() {
            continue;
        }
        let api = serving(desired, &s.definition);
        let served = carried(&api);
        if served == copy {
            continue;
        }
        let text = crate::canonical::to_bytes(&served).unwrap_or_default();
        let hash = crate::canonical::sha256_hex(&text);
        let mut g = Group {
            deployment_id: s.deployment_id.clone(),
            stages,
            canaries,
            api,
            marker: String::new(),
        };
        g.marker = format!(
            "apigw-dr: what {} served ({})",
            g.names().join(", "),
            &hash[..12]
        );
        out.push(g);
    }
    out
}

/// The stages whose served definition the point does not hold (an older point, or a gap of
/// its capture): they serve the restored working copy.
pub fn unknown(desired: &RestApiSnapshot) -> Vec<String> {
    desired
        .stages
        .iter()
        .filter(|st| {
            st.deployment_id
                .as_deref()
                .is_some_and(|d| !desired.served.iter().any(|s| s.deployment_id == d))
        })
        .map(|st| st.stage_name.clone())
        .collect()
}

/// What a restore says of the stages' canaries: a canary whose deployment's definition the
/// point does not hold (no stage served it, so it was not exported) is given the working
/// copy's deployment, and is named, one note each. Every other canary serves what it served:
/// its [`Group`]'s deployment, or the working copy's where that is what it served.
pub fn canary_notes(desired: &RestApiSnapshot) -> Vec<String> {
    desired
        .stages
        .iter()
        .filter(|st| canary_of(st).is_some_and(|d| !desired.served.iter().any(|s| s.deployment_id == d)))
        .map(|st| format!(
            "stage {}'s canary serves the restored working copy: what its deployment served was not captured",
            st.stage_name
        ))
        .collect()
}

/// Whether `stage` serves a stage of its own (a [`Group`]'s), not the working copy.
pub fn serves_own<'a>(groups: &'a [Group], stage: &str) -> Option<&'a Group> {
    groups.iter().find(|g| g.stages.iter().any(|s| s == stage))
}

/// The [`Group`] whose deployment `stage`'s canary serves, if not the working copy's.
pub fn canary_serves_own<'a>(groups: &'a [Group], stage: &str) -> Option<&'a Group> {
    groups
        .iter()
        .find(|g| g.canaries.iter().any(|s| s == stage))
}

/// One step per group not yet served in `current`: served when every stage of it, and the
/// canary of every stage whose canary it serves, is on a deployment described by the group's
/// marker (or, in place, still on the source's deployment itself). `current` of the step lists
/// the group's stages and canaries the target has now (pointed at once; a stage created later
/// is pointed when the steps have created it, a canary created later gets the group's
/// deployment with its stage). A target stage without a canary has none to point: its stage's
/// comparison tells that difference.
pub fn differences(
    desired: &RestApiSnapshot,
    current: Option<&RestApiSnapshot>,
) -> Vec<Difference> {
    let held =
        |stage: &str| -> Option<&Stage> { current?.stages.iter().find(|s| s.stage_name == stage) };
    let on = |g: &Group, dep: Option<&str>| -> bool {
        let (Some(c), Some(dep)) = (current, dep) else {
            return false;
        };
        dep == g.deployment_id
            || c.deployments
                .iter()
                .any(|d| d.id == dep && d.description.as_deref() == Some(g.marker.as_str()))
    };
    let canary_held = |stage: &&String| held(stage).is_some_and(|s| s.canary_settings.is_some());
    groups(desired)
        .into_iter()
        .filter(|g| {
            let stages = g
                .stages
                .iter()
                .all(|s| held(s).is_some_and(|s| on(g, s.deployment_id.as_deref())));
            let canaries = g.canaries.iter().all(|s| {
                held(s).is_some_and(|s| s.canary_settings.is_none() || on(g, canary_of(s)))
            });
            !(stages && canaries)
        })
        .map(|g| {
            let stages: Vec<&String> = g.stages.iter().filter(|s| held(s).is_some()).collect();
            let canaries: Vec<&String> = g.canaries.iter().filter(canary_held).collect();
            let mut d = Difference::new(Kind::ServedDefinition, g.key(), Change::Create);
            d.desired = Some(json!({
                "deployment": g.deployment_id,
                "marker": g.marker,
                "stages": g.stages,
                "canaries": g.canaries,
            }));
            d.current = Some(json!({"stages": stages, "canaries": canaries}));
            d
        })
        .collect()
}

/// The names listed under `field` in `value`.
fn listed(value: Option<&serde_json::Value>, field: &str) -> Vec<String> {
    value
        .and_then(|c| c.get(field))
        .and_then(|s| s.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The stages of a step ([`differences`]) the target held when it was planned.
pub fn present(d: &Difference) -> Vec<String> {
    listed(d.current.as_ref(), "stages")
}

/// The stages of a step whose canary the target held when it was planned.
pub fn present_canaries(d: &Difference) -> Vec<String> {
    listed(d.current.as_ref(), "canaries")
}

/// The UpdateStage calls of a step: each of its stages pointed (now, or once created) and
/// each canary the target holds (a canary created later gets the deployment with its stage).
pub fn stage_updates(d: &Difference) -> u64 {
    (listed(d.desired.as_ref(), "stages").len() + present_canaries(d).len()) as u64
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::v1::{Deployment, Integration, Method, Resource, RestApi, Served, Stage};

    fn method(path: &str, uri: &str) -> Method {
        Method {
            resource_id: format!("id{path}"),
            path: path.into(),
            http_method: "GET".into(),
            authorization_type: Some("NONE".into()),
            method_integration: Some(Integration {
                integration_type: Some("HTTP_PROXY".into()),
                http_method: Some("GET".into()),
                uri: Some(uri.into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn copy(uri: &str) -> RestApiSnapshot {
        let mut api = RestApiSnapshot {
            api: RestApi {
                id: "a1".into(),
                name: "orders".into(),
                ..Default::default()
            },
            resources: vec![
                Resource {
                    id: "r0".into(),
                    path: "/".into(),
                    ..Default::default()
                },
                Resource {
                    id: "r1".into(),
                    parent_id: Some("r0".into()),
                    path: "/pets".into(),
                    path_part: Some("pets".into()),
                },
            ],
            methods: vec![method("/pets", uri)],
            ..Default::default()
        };
        api.methods[0].resource_id = "r1".into();
        api
    }

    fn stage(name: &str, dep: &str) -> Stage {
        Stage {
            stage_name: name.into(),
            deployment_id: Some(dep.into()),
            ..Default::default()
        }
    }

    /// What the source's GetExport gives back for a deployment of `api`: the document read
    /// back (natural ids).
    fn export(api: &RestApiSnapshot) -> RestApiSnapshot {
        let doc = crate::openapi::rest::to_document(api).unwrap();
        crate::openapi::rest::from_document(&doc).unwrap()
    }

    /// The source: `prod` one deployment behind the working copy (v1), `beta` on the working
    /// copy (v2), `dev` on a deployment whose definition was not captured.
    pub(crate) fn source() -> RestApiSnapshot {
        let mut api = copy("https://v2.example.com/pets");
        api.stages = vec![stage("beta", "d2"), stage("dev", "d3"), stage("prod", "d1")];
        api.served = vec![
            Served {
                deployment_id: "d1".into(),
                definition: export(&copy("https://v1.example.com/pets")),
            },
            Served {
                deployment_id: "d2".into(),
                definition: export(&copy("https://v2.example.com/pets")),
            },
        ];
        api
    }

    #[test]
    fn only_stages_whose_served_definition_differs_form_a_group() {
        let api = source();
        let g = groups(&api);
        assert_eq!(g.len(), 1, "{g:?}");
        assert_eq!(
            (g[0].deployment_id.as_str(), g[0].key()),
            ("d1", "prod".into())
        );
        // The import carries the served items under the working copy's head.
        assert_eq!(
            g[0].api.methods[0]
                .method_integration
                .as_ref()
                .unwrap()
                .uri
                .as_deref(),
            Some("https://v1.example.com/pets")
        );
        assert_eq!(g[0].api.api.name, "orders");
        assert!(g[0].api.served.is_empty() && g[0].api.stages.len() == 3);
        assert!(g[0].marker.starts_with("apigw-dr: what prod served ("));
        assert_eq!(unknown(&api), ["dev"]);
        assert_eq!(serves_own(&g, "prod").map(Group::key), Some("prod".into()));
        assert!(serves_own(&g, "beta").is_none());
    }

    #[test]
    fn the_marker_names_the_content_not_the_ids() {
        let a = groups(&source());
        let mut other = source();
        other.api.id = "zz".into();
        other.stages[2].deployment_id = Some("d9".into());
        other.served[0].deployment_id = "d9".into();
        let b = groups(&other);
        assert_eq!(a[0].marker, b[0].marker);
        let mut changed = source();
        let m = &mut changed.served[0].definition.methods[0];
        m.method_integration.as_mut().unwrap().uri = Some("https://v0.example.com/pets".into());
        assert_ne!(groups(&changed)[0].marker, a[0].marker);
    }

    #[test]
    fn a_group_is_a_step_until_all_its_stages_serve_its_deployment() {
        let desired = source();
        let g = &groups(&desired)[0];
        // A new API: one step, no stage there yet.
        let steps = differences(&desired, None);
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].kind, Kind::ServedDefinition);
        assert!(present(&steps[0]).is_empty());
        // The target has prod on another deployment: a step naming prod as present.
        let mut target = copy("https://v2.example.com/pets");
        target.stages = vec![stage("prod", "t1")];
        target.deployments = vec![Deployment {
            id: "t1".into(),
            description: Some("apigw-dr restore of point abc".into()),
            ..Default::default()
        }];
        let steps = differences(&desired, Some(&target));
        assert_eq!(present(&steps[0]), ["prod"]);
        // prod on a deployment described by the marker: done.
        target.deployments.push(Deployment {
            id: "t2".into(),
            description: Some(g.marker.clone()),
            ..Default::default()
        });
        target.stages[0].deployment_id = Some("t2".into());
        assert!(differences(&desired, Some(&target)).is_empty());
        // In place, prod still on the source's own deployment: done too.
        target.stages[0].deployment_id = Some("d1".into());
        assert!(differences(&desired, Some(&target)).is_empty());
    }

    #[test]
    fn a_served_step_costs_its_import_deployment_and_stages_and_they_leave_the_copy() {
        use crate::restore::family::ApiFamily;
        let desired = source();
        let mut steps = differences(&desired, None);
        steps.push(Difference::new(
            Kind::Method,
            "/pets GET",
            Change::Update { fields: vec![] },
        ));
        let calls = super::super::Rest::calls(&steps, &desired, true);
        assert_eq!(calls["PutRestApi"], 1);
        // One deployment of prod's definition, one of the working copy.
        assert_eq!(calls["CreateDeployment"], 2);
        // prod to its own, beta and dev to the working copy's.
        assert_eq!(calls["UpdateStage"], 3);
    }

    fn canary(dep: &str) -> Option<crate::model::v1::CanarySettings> {
        Some(crate::model::v1::CanarySettings {
            percent_traffic: 10.0,
            deployment_id: Some(dep.into()),
            ..Default::default()
        })
    }

    /// The source with beta's canary on prod's deployment (behind the working copy) and dev's
    /// on one whose definition was not captured.
    fn canaries() -> RestApiSnapshot {
        let mut api = source();
        api.stages[0].canary_settings = canary("d1");
        api.stages[1].canary_settings = canary("d9");
        api
    }

    #[test]
    fn only_a_canary_whose_definition_was_not_captured_is_named() {
        let mut api = source();
        // beta's canary on the working copy's definition: nothing to say.
        api.stages[0].canary_settings = canary("d2");
        assert!(canary_notes(&api).is_empty());
        assert!(groups(&api)[0].canaries.is_empty());
        // beta's canary on d1 (behind the working copy) serves what it served: no note.
        let api = canaries();
        let notes = canary_notes(&api);
        assert_eq!(
            notes,
            [
                "stage dev's canary serves the restored working copy: what its deployment served was not captured"
            ]
        );
    }

    #[test]
    fn a_canary_joins_the_group_of_the_deployment_it_served() {
        let api = canaries();
        let g = groups(&api);
        assert_eq!(g.len(), 1, "{g:?}");
        assert_eq!(g[0].deployment_id, "d1");
        assert_eq!(
            (g[0].stages.clone(), g[0].canaries.clone()),
            (vec!["prod".to_string()], vec!["beta".to_string()])
        );
        assert_eq!(g[0].key(), "prod,beta's canary");
        assert!(
            g[0].marker
                .starts_with("apigw-dr: what prod, beta's canary served ("),
            "{}",
            g[0].marker
        );
        assert_eq!(
            canary_serves_own(&g, "beta").map(Group::key),
            g.first().map(Group::key)
        );
        // beta itself serves the working copy; dev's canary (not captured) too.
        assert!(serves_own(&g, "beta").is_none());
        assert!(canary_serves_own(&g, "dev").is_none() && canary_serves_own(&g, "prod").is_none());
        // One import and one deployment for prod and beta's canary alike.
        let steps = differences(&api, None);
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].key, "prod,beta's canary");
    }

    #[test]
    fn a_canary_no_stage_serves_forms_a_group_of_its_own() {
        let mut api = source();
        // An earlier point held what d0 served (older still); only beta's canary is on it.
        let mut older = copy("https://v0.example.com/pets");
        older.methods[0].path = "/pets".into();
        api.served.push(Served {
            deployment_id: "d0".into(),
            definition: export(&older),
        });
        api.stages[0].canary_settings = canary("d0");
        let g = groups(&api);
        assert_eq!(g.len(), 2, "{g:?}");
        let own = canary_serves_own(&g, "beta").unwrap();
        assert_eq!(own.deployment_id, "d0");
        assert!(own.stages.is_empty());
        assert_eq!(own.key(), "beta's canary");
        assert!(
            own.marker
                .starts_with("apigw-dr: what beta's canary served (")
        );
        assert_eq!(
            own.api.methods[0]
                .method_integration
                .as_ref()
                .unwrap()
                .uri
                .as_deref(),
            Some("https://v0.example.com/pets")
        );
        assert!(canary_notes(&api).is_empty());
    }

    #[test]
    fn a_canary_is_a_step_until_it_serves_its_groups_deployment() {
        let desired = canaries();
        let g = groups(&desired).remove(0);
        // The target: prod on the group's deployment, beta on the working copy's with its
        // canary there too.
        let mut target = copy("https://v2.example.com/pets");
        target.deployments = vec![
            Deployment {
                id: "t1".into(),
                description: Some("apigw-dr restore of point abc".into()),
                ..Default::default()
            },
            Deployment {
                id: "t2".into(),
                description: Some(g.marker.clone()),
                ..Default::default()
            },
        ];
        target.stages = vec![stage("beta", "t1"), stage("dev", "t1"), stage("prod", "t2")];
        target.stages[0].canary_settings = canary("t1");
        let steps = differences(&desired, Some(&target));
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert_eq!(present(&steps[0]), ["prod"]);
        assert_eq!(present_canaries(&steps[0]), ["beta"]);
        // prod pointed again (as for any step of a group) and beta's canary: two calls.
        assert_eq!(stage_updates(&steps[0]), 2);
        // beta's canary on the group's deployment: done.
        target.stages[0].canary_settings = canary("t2");
        assert!(differences(&desired, Some(&target)).is_empty());
        // In place, the canary still on the source's own deployment: done too.
        target.stages[0].canary_settings = canary("d1");
        assert!(differences(&desired, Some(&target)).is_empty());
        // beta held without a canary: nothing to point (its stage's comparison tells).
        target.stages[0].canary_settings = None;
        assert!(differences(&desired, Some(&target)).is_empty());
        // beta not there yet: a step, its canary to get the deployment with its stage.
        target.stages.remove(0);
        let steps = differences(&desired, Some(&target));
        assert_eq!(steps.len(), 1);
        assert!(present_canaries(&steps[0]).is_empty());
        assert_eq!(stage_updates(&steps[0]), 1);
    }

    #[test]
    fn a_canarys_step_costs_one_update_per_held_canary() {
        use crate::restore::family::ApiFamily;
        let desired = canaries();
        let steps = differences(&desired, None);
        let calls = super::super::Rest::calls(&steps, &desired, false);
        // New API: one import and deployment; prod pointed once created, beta's canary made
        // with its stage.
        assert_eq!(
            (
                calls["PutRestApi"],
                calls["CreateDeployment"],
                calls["UpdateStage"]
            ),
            (1, 1, 1)
        );
    }

    #[test]
    fn equal_or_unknown_definitions_make_no_step() {
        let mut api = source();
        api.served.remove(0);
        assert!(groups(&api).is_empty());
        assert!(differences(&api, None).is_empty());
        assert_eq!(unknown(&api), ["dev", "prod"]);
    }
}
