//! Stages serve what they served (pure): a source stage serves its deployment, not the
//! working copy, and the point holds what each deployment serves
//! ([`crate::model::v1::Served`]). Where that differs from the restored working copy (by what
//! a document carries, [`crate::openapi::rest::carried`], never by ids), the stages that
//! served it form a [`Group`]: its definition is imported and deployed for them before the
//! working copy is restored, and they are not pointed at the working copy's deployment.
//! A stage whose served definition equals the working copy, or was not captured, serves the
//! working copy's deployment as before.

use serde_json::json;

use crate::model::v1::RestApiSnapshot;
use crate::openapi::rest::carried;
use crate::restore::difference::{Change, Difference};
use crate::restore::kind::Kind;

/// The stages that served one source deployment whose definition differs from the working
/// copy, and what to import for them.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The source deployment.
    pub deployment_id: String,
    /// Its stages, by name.
    pub stages: Vec<String>,
    /// What to import: the served definition under the working copy's head (name, policy,
    /// endpoint...), so the import renames nothing.
    pub api: RestApiSnapshot,
    /// The description of the target deployment that serves it: a run after a crash or a
    /// lost reply finds it by this, and it names the content, so an unchanged definition is
    /// never imported twice.
    pub marker: String,
}

impl Group {
    /// The key of its step: the stage names, comma-separated.
    pub fn key(&self) -> String {
        self.stages.join(",")
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

/// The stages whose served definition differs from the working copy, by deployment.
pub fn groups(desired: &RestApiSnapshot) -> Vec<Group> {
    let copy = carried(&working_copy(desired));
    let mut out = Vec::new();
    for s in &desired.served {
        let stages: Vec<String> = desired
            .stages
            .iter()
            .filter(|st| st.deployment_id.as_deref() == Some(s.deployment_id.as_str()))
            .map(|st| st.stage_name.clone())
            .collect();
        if stages.is_empty() {
            continue;
        }
        let api = serving(desired, &s.definition);
        let served = carried(&api);
        if served == copy {
            continue;
        }
        let text = crate::canonical::to_bytes(&served).unwrap_or_default();
        let hash = crate::canonical::sha256_hex(&text);
        let marker = format!(
            "apigw-dr: what {} served ({})",
            stages.join(", "),
            &hash[..12]
        );
        out.push(Group {
            deployment_id: s.deployment_id.clone(),
            stages,
            api,
            marker,
        });
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

/// What a restore says of the stages' canaries: the restore gives a canary the working copy's
/// deployment, so one whose deployment served something else (or something the point does
/// not hold) is named, one note each.
pub fn canary_notes(desired: &RestApiSnapshot) -> Vec<String> {
    let copy = carried(&working_copy(desired));
    let mut out = Vec::new();
    for st in &desired.stages {
        let canary = st.canary_settings.as_ref();
        let Some(dep) = canary.and_then(|c| c.deployment_id.as_deref()) else {
            continue;
        };
        let stage = &st.stage_name;
        match desired.served.iter().find(|s| s.deployment_id == dep) {
            None => out.push(format!(
                "stage {stage}'s canary serves the restored working copy: what its deployment served was not captured"
            )),
            Some(s) if carried(&serving(desired, &s.definition)) != copy => out.push(format!(
                "stage {stage}'s canary serves the restored working copy, not what its deployment served (a canary is given the working copy's deployment)"
            )),
            Some(_) => {}
        }
    }
    out
}

/// Whether `stage` serves a stage of its own (a [`Group`]'s), not the working copy.
pub fn serves_own<'a>(groups: &'a [Group], stage: &str) -> Option<&'a Group> {
    groups.iter().find(|g| g.stages.iter().any(|s| s == stage))
}

/// One step per group not yet served in `current` (every stage of it on a deployment
/// described by the group's marker, or, in place, still on the source's deployment itself):
/// `current` of the step lists the group's stages the target has now (pointed at once; the
/// others when the steps have created them).
pub fn differences(
    desired: &RestApiSnapshot,
    current: Option<&RestApiSnapshot>,
) -> Vec<Difference> {
    let serves = |g: &Group, stage: &str| -> bool {
        let Some(c) = current else { return false };
        let Some(dep) = c
            .stages
            .iter()
            .find(|s| s.stage_name == stage)
            .and_then(|s| s.deployment_id.as_deref())
        else {
            return false;
        };
        dep == g.deployment_id
            || c.deployments
                .iter()
                .any(|d| d.id == dep && d.description.as_deref() == Some(g.marker.as_str()))
    };
    groups(desired)
        .into_iter()
        .filter(|g| !g.stages.iter().all(|s| serves(g, s)))
        .map(|g| {
            let present: Vec<&String> = g
                .stages
                .iter()
                .filter(|s| current.is_some_and(|c| c.stages.iter().any(|t| &&t.stage_name == s)))
                .collect();
            let mut d = Difference::new(Kind::ServedDefinition, g.key(), Change::Create);
            d.desired = Some(json!({"deployment": g.deployment_id, "marker": g.marker}));
            d.current = Some(json!({"stages": present}));
            d
        })
        .collect()
}

/// The stages of a step ([`differences`]) the target held when it was planned.
pub fn present(d: &Difference) -> Vec<String> {
    d.current
        .as_ref()
        .and_then(|c| c.get("stages"))
        .and_then(|s| s.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
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

    #[test]
    fn a_canary_on_another_definition_is_named() {
        let mut api = source();
        let canary = |dep: &str| {
            Some(crate::model::v1::CanarySettings {
                percent_traffic: 10.0,
                deployment_id: Some(dep.into()),
                ..Default::default()
            })
        };
        // beta's canary on the working copy's definition: nothing to say.
        api.stages[0].canary_settings = canary("d2");
        assert!(canary_notes(&api).is_empty());
        // prod's canary on d1 (behind the working copy), dev's on one not captured.
        api.stages[2].canary_settings = canary("d1");
        api.stages[1].canary_settings = canary("d9");
        let notes = canary_notes(&api);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("stage dev's canary serves the restored working copy: what its deployment served was not captured"));
        assert!(
            notes[1].starts_with("stage prod's canary serves the restored working copy, not what")
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
