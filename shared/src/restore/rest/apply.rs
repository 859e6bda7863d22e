//! Carrying out differences against a target REST API through API Gateway's control plane,
//! every call paced and retried by the [`Pacer`]. Call by call (CreateResource, PutMethod,
//! PutIntegration...): the only way that keeps every setting and works against every
//! API Gateway implementation; ImportRestApi drops settings and does not exist everywhere.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use aws_sdk_apigateway::Client;
use aws_sdk_apigateway::types::{
    CanarySettings, DocumentationPartLocation, EndpointConfiguration, Op, PatchOperation, TlsConfig,
};

use crate::awsconf::sdk_error;
use crate::model::v1::{self, RestApiSnapshot};
use crate::pacing::Pacer;
use crate::restore::children;
use crate::restore::difference::{Change, Difference, TAG_SOURCE};
use crate::restore::family::{Applied, Pointed, StepApplier};
use crate::restore::kind::{Kind, estate_kinds, v2_kinds};
use crate::restore::once::{self, OpError, Scope, Sent, Target, create_once, hm, ids, named};
use crate::{Error, Result};

/// Every item of a list of this API (after a lost reply: what an attempt may have made).
macro_rules! list {
    ($self:ident, $op:literal, $call:ident) => {
        once::listed!(
            $self.at,
            v1,
            $op,
            $self.at.client.$call().rest_api_id(&$self.at.api_id)
        )
    };
}

/// The delete and update requests of an item held by its target id (`$delete`, `$update`: the
/// client's methods, `$id`: the id's setter), for [`ByName`].
macro_rules! by_id {
    ($delete:ident, $update:ident, $id:ident) => {
        (
            |c: &Client, api: &str, id: &str| c.$delete().rest_api_id(api).$id(id).send(),
            |c: &Client, api: &str, id: &str, ops: Vec<PatchOperation>| {
                c.$update()
                    .rest_api_id(api)
                    .$id(id)
                    .set_patch_operations(Some(ops))
                    .send()
            },
        )
    };
}

/// Target-side state the applier keeps while it works: natural key -> target physical id.
pub struct Applier<'a> {
    pub at: Target<'a, Client>,
    pub(crate) resources: BTreeMap<String, String>,
    pub(crate) authorizers: BTreeMap<String, String>,
    pub(crate) validators: BTreeMap<String, String>,
    /// Deployments already in the target, by description (to reuse ours after a crash).
    deployments: BTreeMap<String, String>,
    /// The deployment this run made or reused, once there is one.
    pub deployment: Option<String>,
    /// Description our deployments carry.
    marker: String,
}

fn patch(op: Op, path: impl Into<String>, value: Option<String>) -> PatchOperation {
    PatchOperation::builder()
        .op(op)
        .path(path)
        .set_value(value)
        .build()
}

fn replace(path: impl Into<String>, value: impl Into<String>) -> PatchOperation {
    patch(Op::Replace, path, Some(value.into()))
}

/// `/` and `~` in a patch path segment.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl StepApplier<RestApiSnapshot> for Applier<'_> {
    type Client = Client;

    /// Applies one difference. `desired` holds the full items (with source ids).
    async fn apply(&mut self, d: &Difference, desired: &RestApiSnapshot) -> Result<()> {
        match d.kind {
            Kind::RestApi => match &d.change {
                Change::Update { fields } => self.update_api(&desired.api, fields).await,
                Change::Create | Change::Delete | Change::Duplicate { .. } => Ok(()),
            },
            Kind::Model => self.model(d, desired).await,
            Kind::RequestValidator => self.validator(d, desired).await,
            Kind::Authorizer => self.authorizer(d, desired).await,
            Kind::Resource => self.resource(d, desired).await,
            Kind::Method => self.method(d, desired).await,
            Kind::GatewayResponse => self.gateway_response(d, desired).await,
            Kind::DocumentationPart => self.documentation_part(d, desired).await,
            Kind::DocumentationVersion => self.documentation_version(d, desired).await,
            Kind::Stage => self.stage(d, desired).await,
            Kind::ServedDefinition => self.served(d, desired).await,
            v2_kinds!() | estate_kinds!() => Err(unhandled(d)),
        }
    }

    /// Stages serve deployments, not the working copy: after any change to the working copy,
    /// every existing stage that serves it is pointed at a deployment of the restored copy (a
    /// stage created now got one when it was made). A stage that serves a definition of its
    /// own was pointed at its deployment before the working copy was restored; created now,
    /// it is pointed at it here.
    async fn finish(&mut self, desired: &RestApiSnapshot, done: &Applied<'_>) -> Vec<Pointed> {
        let copy_changed = done.imported
            || done
                .steps
                .iter()
                .any(|s| s.kind != Kind::Stage && !s.is_duplicate());
        let groups = super::served::groups(desired);
        let mut out = Vec::new();
        for s in &desired.stages {
            let name = &s.stage_name;
            let created_now = done
                .steps
                .iter()
                .any(|d| d.kind == Kind::Stage && d.key == *name && d.change == Change::Create);
            let pointed = match super::served::serves_own(&groups, name) {
                Some(g) if created_now => self.point_stage_to(name, &g.marker).await,
                Some(_) => continue,
                None if copy_changed && !created_now => self.point_stage(name).await,
                None => continue,
            };
            out.push((Kind::Stage, name.clone(), pointed));
        }
        out
    }

    fn api_id(&self) -> &str {
        &self.at.api_id
    }
}

impl<'a> Applier<'a> {
    /// Starts from what the target API already holds (`current`, captured).
    pub fn new(
        client: &'a Client,
        pacer: &'a Pacer,
        current: &RestApiSnapshot,
        marker: String,
    ) -> Self {
        Applier {
            at: Target::new(client, pacer, &current.api.id, "REST API", false),
            resources: ids(&current.resources, |r| (&r.path, &r.id)),
            authorizers: ids(&current.authorizers, |a| (&a.name, &a.id)),
            validators: ids(&current.request_validators, |v| (&v.name, &v.id)),
            deployments: current
                .deployments
                .iter()
                .filter_map(|d| Some((d.description.clone()?, d.id.clone())))
                .collect(),
            deployment: None,
            marker,
        }
    }

    /// Creates the REST API itself (without its policy, which names the API's own id and is
    /// set right after). Returns the new API's id and its root resource id.
    pub async fn create_api(
        client: &Client,
        pacer: &Pacer,
        api: &v1::RestApi,
        name: &str,
        source_tag: &str,
    ) -> Result<(String, String)> {
        let mut tags: HashMap<String, String> = api
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        tags.insert(TAG_SOURCE.into(), source_tag.into());
        let endpoint = api.endpoint_configuration.as_ref().map(|e| {
            EndpointConfiguration::builder()
                .set_types(Some(e.types.iter().map(|t| t.as_str().into()).collect()))
                .set_vpc_endpoint_ids(
                    (!e.vpc_endpoint_ids.is_empty()).then(|| e.vpc_endpoint_ids.clone()),
                )
                .build()
        });
        let (id, root) = create_once(
            pacer,
            "CreateRestApi",
            || {
                client
                    .create_rest_api()
                    .name(name)
                    .set_description(api.description.clone())
                    .set_version(api.version.clone())
                    .set_binary_media_types(
                        (!api.binary_media_types.is_empty())
                            .then(|| api.binary_media_types.clone()),
                    )
                    .set_minimum_compression_size(api.minimum_compression_size)
                    .set_api_key_source(api.api_key_source.as_deref().map(Into::into))
                    .set_endpoint_configuration(endpoint.clone())
                    .disable_execute_api_endpoint(api.disable_execute_api_endpoint)
                    .set_tags(Some(tags.clone()))
                    .send()
            },
            |out| (out.id.unwrap_or_default(), out.root_resource_id),
            // This job's API.
            || async {
                let apis = crate::capture::get_rest_apis(client, pacer).await?;
                Ok(apis
                    .into_iter()
                    .find(|a| once::ours(a.name(), a.tags(), name, source_tag))
                    .map(|a| (a.id.unwrap_or_default(), a.root_resource_id)))
            },
            |e| sdk_error(&format!("creating REST API '{name}' (CreateRestApi)"), e),
        )
        .await?;
        let root = match root {
            Some(r) => r,
            None => {
                let res = pacer
                    .call("GetResources", || {
                        client.get_resources().rest_api_id(&id).send()
                    })
                    .await
                    .map_err(|e| {
                        sdk_error("reading the new API's root resource (GetResources)", e)
                    })?;
                res.items()
                    .iter()
                    .find(|r| r.path() == Some("/"))
                    .and_then(|r| r.id.clone())
                    .unwrap_or_default()
            }
        };
        Ok((id, root))
    }

    /// This API, for its calls.
    fn scope(&self) -> Scope<'_, Client> {
        self.at.scope()
    }

    async fn model(&mut self, d: &Difference, desired: &RestApiSnapshot) -> Result<()> {
        let key = d.key.as_str();
        let at = self.scope();
        let found = || find(&desired.models, d, |m| m.name == key);
        match &d.change {
            Change::Delete => {
                at.call("DeleteModel", key, |c, id| {
                    c.delete_model().rest_api_id(id).model_name(key).send()
                })
                .await
            }
            Change::Update { .. } => {
                let m = found()?;
                let ops = vec![
                    replace("/schema", m.schema.clone().unwrap_or_default()),
                    replace("/description", m.description.clone().unwrap_or_default()),
                ];
                at.call("UpdateModel", key, |c, id| {
                    c.update_model()
                        .rest_api_id(id)
                        .model_name(key)
                        .set_patch_operations(Some(ops.clone()))
                        .send()
                })
                .await
            }
            Change::Create | Change::Duplicate { .. } => {
                let m = found()?;
                at.create(
                    "CreateModel",
                    key,
                    |c, id| {
                        c.create_model()
                            .rest_api_id(id)
                            .name(&m.name)
                            .set_description(m.description.clone())
                            .set_schema(m.schema.clone())
                            .content_type(
                                m.content_type
                                    .clone()
                                    .unwrap_or_else(|| "application/json".into()),
                            )
                            .send()
                    },
                    drop,
                    || {
                        at.exists("GetModel", key, |c, id| {
                            c.get_model().rest_api_id(id).model_name(key).send()
                        })
                    },
                )
                .await
            }
        }
    }

    async fn validator(&mut self, d: &Difference, desired: &RestApiSnapshot) -> Result<()> {
        let calls = ByName {
            ops: [
                "DeleteRequestValidator",
                "UpdateRequestValidator",
                "CreateRequestValidator",
            ],
            by_id: by_id!(
                delete_request_validator,
                update_request_validator,
                request_validator_id
            ),
            create: |c: &Client, api: &str, v: &v1::RequestValidator| {
                c.create_request_validator()
                    .rest_api_id(api)
                    .name(&v.name)
                    .validate_request_body(v.validate_request_body)
                    .validate_request_parameters(v.validate_request_parameters)
                    .send()
            },
            patches: validator_patches,
        };
        let found = || async {
            let all = list!(self, "GetRequestValidators", get_request_validators)?;
            Ok::<_, Error>(named(all, &d.key, |x| (x.name, x.id)))
        };
        let made = self
            .by_name(
                d,
                &desired.request_validators,
                |v| &v.name,
                &self.validators,
                calls,
                found,
            )
            .await?;
        self.validators.extend(made);
        Ok(())
    }

    async fn authorizer(&mut self, d: &Difference, desired: &RestApiSnapshot) -> Result<()> {
        let calls = ByName {
            ops: ["DeleteAuthorizer", "UpdateAuthorizer", "CreateAuthorizer"],
            by_id: by_id!(delete_authorizer, update_authorizer, authorizer_id),
            create: |c: &Client, api: &str, a: &v1::Authorizer| {
                c.create_authorizer()
                    .rest_api_id(api)
                    .name(&a.name)
                    .set_type(a.authorizer_type.as_deref().map(Into::into))
                    .set_provider_arns(
                        (!a.provider_arns.is_empty()).then(|| a.provider_arns.clone()),
                    )
                    .set_auth_type(a.auth_type.clone())
                    .set_authorizer_uri(a.authorizer_uri.clone())
                    .set_authorizer_credentials(a.authorizer_credentials.clone())
                    .set_identity_source(a.identity_source.clone())
                    .set_identity_validation_expression(a.identity_validation_expression.clone())
                    .set_authorizer_result_ttl_in_seconds(a.authorizer_result_ttl_in_seconds)
                    .send()
            },
            patches: authorizer_patches,
        };
        let found = || async {
            let all = list!(self, "GetAuthorizers", get_authorizers)?;
            Ok::<_, Error>(named(all, &d.key, |x| (x.name, x.id)))
        };
        let made = self
            .by_name(
                d,
                &desired.authorizers,
                |a| &a.name,
                &self.authorizers,
                calls,
                found,
            )
            .await?;
        self.authorizers.extend(made);
        Ok(())
    }

    /// An item named by itself and held by its target id (`ids`): a request validator or an
    /// authorizer. Deleted, patched or created through `calls` (`found`: what an attempt made,
    /// after a lost reply); what it created, by name, for the caller to keep.
    async fn by_name<T, D, DF, DO, DE, U, UF, UO, UE, C, CF, CO, CE, F, FF>(
        &self,
        d: &Difference,
        items: &[T],
        name: impl Fn(&T) -> &String,
        ids: &BTreeMap<String, String>,
        calls: ByName<D, U, C, T>,
        found: F,
    ) -> Result<Option<(String, String)>>
    where
        D: Fn(&Client, &str, &str) -> DF,
        DF: Future<Output = Sent<DO, DE>>,
        DE: OpError,
        U: Fn(&Client, &str, &str, Vec<PatchOperation>) -> UF,
        UF: Future<Output = Sent<UO, UE>>,
        UE: OpError,
        C: Fn(&Client, &str, &T) -> CF,
        CF: Future<Output = Sent<CO, CE>>,
        CE: OpError,
        CO: Identified,
        F: FnMut() -> FF,
        FF: Future<Output = Result<Option<String>>>,
    {
        let key = d.key.as_str();
        let at = self.scope();
        let [delete_op, update_op, create_op] = calls.ops;
        if d.change == Change::Delete {
            let id = held(ids, d)?;
            return at
                .call(delete_op, key, |c, api| (calls.by_id.0)(c, api, &id))
                .await
                .map(|()| None);
        }
        let item = find(items, d, |x| name(x) == key)?;
        if matches!(d.change, Change::Update { .. }) {
            let id = held(ids, d)?;
            let ops = (calls.patches)(item);
            return at
                .call(update_op, key, |c, api| {
                    (calls.by_id.1)(c, api, &id, ops.clone())
                })
                .await
                .map(|()| None);
        }
        let id = at
            .create(
                create_op,
                key,
                |c, api| (calls.create)(c, api, item),
                Identified::id,
                found,
            )
            .await?;
        Ok(Some((name(item).clone(), id)))
    }

    async fn resource(&mut self, d: &Difference, desired: &RestApiSnapshot) -> Result<()> {
        let key = d.key.as_str();
        match &d.change {
            Change::Delete => {
                let Some(rid) = self.resources.get(key).cloned() else {
                    return Ok(());
                };
                // Deleting a parent deletes its children: a child already gone is fine.
                self.delete_if_there("DeleteResource", key, |c, id| {
                    c.delete_resource().rest_api_id(id).resource_id(&rid).send()
                })
                .await?;
                self.resources
                    .retain(|p, _| p != key && !p.starts_with(&format!("{key}/")));
                Ok(())
            }
            Change::Create => {
                let r = find(&desired.resources, d, |r| r.path == key)?;
                let parent_path = match key.rfind('/') {
                    Some(0) => "/".to_string(),
                    Some(i) => key[..i].to_string(),
                    None => return Err(missing(d)),
                };
                let parent = self.resources.get(&parent_path).cloned().ok_or_else(|| {
                    Error::Aws(format!("cannot create resource {key}: its parent {parent_path} is missing in the target"))
                })?;
                let part = r
                    .path_part
                    .clone()
                    .unwrap_or_else(|| key.rsplit('/').next().unwrap_or("").into());
                let rid = self
                    .scope()
                    .create(
                        "CreateResource",
                        key,
                        |c, id| {
                            c.create_resource()
                                .rest_api_id(id)
                                .parent_id(&parent)
                                .path_part(&part)
                                .send()
                        },
                        |out| out.id.unwrap_or_default(),
                        || async {
                            let all = list!(self, "GetResources", get_resources)?;
                            Ok(all
                                .into_iter()
                                .find(|x| {
                                    x.parent_id() == Some(parent.as_str())
                                        && x.path_part() == Some(part.as_str())
                                })
                                .and_then(|x| x.id))
                        },
                    )
                    .await?;
                self.resources.insert(r.path.clone(), rid);
                Ok(())
            }
            Change::Update { .. } => Ok(()),
            Change::Duplicate { .. } => Err(unhandled(d)),
        }
    }

    /// A method is put whole: a changed one is deleted first.
    async fn method(&mut self, d: &Difference, desired: &RestApiSnapshot) -> Result<()> {
        let key = d.key.as_str();
        let (path, verb) = key.rsplit_once(' ').ok_or_else(|| missing(d))?;
        let rid = self.resources.get(path).cloned().ok_or_else(|| {
            Error::Aws(format!(
                "cannot restore method {key}: resource {path} is missing in the target"
            ))
        })?;
        if d.change != Change::Create {
            self.delete_if_there("DeleteMethod", key, |c, id| {
                c.delete_method()
                    .rest_api_id(id)
                    .resource_id(&rid)
                    .http_method(verb)
                    .send()
            })
            .await?;
        }
        if d.change == Change::Delete {
            return Ok(());
        }
        let m = find(&desired.methods, d, |m| {
            m.path == path && m.http_method == verb
        })?;
        self.put_method(m, &rid, desired, key).await
    }

    async fn gateway_response(&mut self, d: &Difference, desired: &RestApiSnapshot) -> Result<()> {
        let key = d.key.as_str();
        if d.change == Change::Delete {
            return self
                .scope()
                .call("DeleteGatewayResponse", key, |c, id| {
                    c.delete_gateway_response()
                        .rest_api_id(id)
                        .response_type(key.into())
                        .send()
                })
                .await;
        }
        let g = find(&desired.gateway_responses, d, |g| g.response_type == key)?;
        self.scope()
            .call("PutGatewayResponse", key, |c, id| {
                c.put_gateway_response()
                    .rest_api_id(id)
                    .response_type(key.into())
                    .set_status_code(g.status_code.clone())
                    .set_response_parameters(hm(&g.response_parameters))
                    .set_response_templates(hm(&g.response_templates))
                    .send()
            })
            .await
    }

    async fn documentation_part(
        &mut self,
        d: &Difference,
        desired: &RestApiSnapshot,
    ) -> Result<()> {
        let key = d.key.as_str();
        if d.change == Change::Delete {
            return Ok(());
        }
        let p = find(&desired.documentation_parts, d, |p| {
            super::compare::part_key(p) == key
        })?;
        let l = &p.location;
        let location = DocumentationPartLocation::builder()
            .r#type(l.location_type.as_str().into())
            .set_path(l.path.clone())
            .set_method(l.method.clone())
            .set_status_code(l.status_code.clone())
            .set_name(l.name.clone())
            .build()
            .map_err(|e| Error::Invalid(format!("documentation part {key}: {e}")))?;
        self.scope()
            .create(
                "CreateDocumentationPart",
                key,
                |c, id| {
                    c.create_documentation_part()
                        .rest_api_id(id)
                        .location(location.clone())
                        .properties(p.properties.clone().unwrap_or_else(|| "{}".into()))
                        .send()
                },
                drop,
                || async {
                    let all = list!(self, "GetDocumentationParts", get_documentation_parts)?;
                    Ok(all
                        .iter()
                        .any(|x| x.location() == Some(&location))
                        .then_some(()))
                },
            )
            .await
    }

    async fn documentation_version(
        &mut self,
        d: &Difference,
        desired: &RestApiSnapshot,
    ) -> Result<()> {
        let key = d.key.as_str();
        if d.change != Change::Create {
            return Ok(());
        }
        let v = find(&desired.documentation_versions, d, |v| v.version == key)?;
        let at = self.scope();
        at.create(
            "CreateDocumentationVersion",
            key,
            |c, id| {
                c.create_documentation_version()
                    .rest_api_id(id)
                    .documentation_version(&v.version)
                    .set_description(v.description.clone())
                    .send()
            },
            drop,
            || {
                at.exists("GetDocumentationVersion", key, |c, id| {
                    c.get_documentation_version()
                        .rest_api_id(id)
                        .documentation_version(key)
                        .send()
                })
            },
        )
        .await
    }

    /// A new stage serves this restore's deployment; CreateStage cannot take every setting,
    /// so the rest follow as patches (all of a changed stage's).
    async fn stage(&mut self, d: &Difference, desired: &RestApiSnapshot) -> Result<()> {
        let key = d.key.as_str();
        if d.change == Change::Delete {
            return self
                .scope()
                .call("DeleteStage", key, |c, id| {
                    c.delete_stage().rest_api_id(id).stage_name(key).send()
                })
                .await;
        }
        let s = find(&desired.stages, d, |s| s.stage_name == key)?;
        if d.change == Change::Create {
            // A canary that served a definition of its own gets its deployment, once made.
            let groups = super::served::groups(desired);
            let own = super::served::canary_serves_own(&groups, key);
            let canary = own.and_then(|g| self.deployments.get(&g.marker).cloned());
            self.create_stage(s, canary).await?;
        }
        let ops = stage_patches(s);
        if ops.is_empty() {
            return Ok(());
        }
        self.scope()
            .call("UpdateStage", key, |c, id| {
                c.update_stage()
                    .rest_api_id(id)
                    .stage_name(key)
                    .set_patch_operations(Some(ops.clone()))
                    .send()
            })
            .await
    }

    /// `canary`: the deployment its canary serves (else this restore's).
    async fn create_stage(&mut self, s: &v1::Stage, canary: Option<String>) -> Result<()> {
        let key = s.stage_name.as_str();
        let dep = self.ensure_deployment().await?;
        let canary_dep = canary.unwrap_or_else(|| dep.clone());
        let canary = s.canary_settings.as_ref().map(|c| {
            CanarySettings::builder()
                .percent_traffic(c.percent_traffic)
                .deployment_id(&canary_dep)
                .set_stage_variable_overrides(hm(&c.stage_variable_overrides))
                .use_stage_cache(c.use_stage_cache)
                .build()
        });
        let mut tags = s.tags.clone();
        tags.retain(|k, _| !k.starts_with(crate::restore::difference::TAG_PREFIX));
        let at = self.scope();
        at.create(
            "CreateStage",
            key,
            |c, id| {
                c.create_stage()
                    .rest_api_id(id)
                    .stage_name(key)
                    .deployment_id(&dep)
                    .set_description(s.description.clone())
                    .cache_cluster_enabled(s.cache_cluster_enabled)
                    .set_cache_cluster_size(s.cache_cluster_size.as_deref().map(Into::into))
                    .set_variables(hm(&s.variables))
                    .set_documentation_version(s.documentation_version.clone())
                    .set_canary_settings(canary.clone())
                    .tracing_enabled(s.tracing_enabled)
                    .set_tags(hm(&tags))
                    .send()
            },
            drop,
            || {
                at.exists("GetStage", key, |c, id| {
                    c.get_stage().rest_api_id(id).stage_name(key).send()
                })
            },
        )
        .await
    }

    /// A delete where an item already gone (404) is fine.
    async fn delete_if_there<T, E, F, Fut>(
        &self,
        op: &'static str,
        key: &str,
        send: F,
    ) -> Result<()>
    where
        F: Fn(&Client, &str) -> Fut,
        Fut: std::future::Future<Output = Sent<T, E>>,
        E: OpError,
    {
        match self
            .at
            .pacer
            .call(op, || send(self.at.client, &self.at.api_id))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if crate::awsconf::status_of(&e) == Some(404) => Ok(()),
            Err(e) => Err(self.scope().failed(op, key, e)),
        }
    }

    async fn update_api(&self, api: &v1::RestApi, fields: &[String]) -> Result<()> {
        let mut ops = vec![];
        for f in fields {
            match f.as_str() {
                "description" => ops.push(replace(
                    "/description",
                    api.description.clone().unwrap_or_default(),
                )),
                "policy" => ops.push(replace("/policy", api.policy.clone().unwrap_or_default())),
                "apiKeySource" => ops.push(replace(
                    "/apiKeySource",
                    api.api_key_source.clone().unwrap_or_default(),
                )),
                "minimumCompressionSize" => ops.push(replace(
                    "/minimumCompressionSize",
                    api.minimum_compression_size
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                )),
                "disableExecuteApiEndpoint" => ops.push(replace(
                    "/disableExecuteApiEndpoint",
                    api.disable_execute_api_endpoint.to_string(),
                )),
                "binaryMediaTypes" => {
                    for t in &api.binary_media_types {
                        ops.push(patch(
                            Op::Add,
                            format!("/binaryMediaTypes/{}", escape(t)),
                            None,
                        ));
                    }
                }
                // Tags, endpoint type and the rest are reported by verify if they still differ.
                _ => {}
            }
        }
        if ops.is_empty() {
            return Ok(());
        }
        self.scope()
            .call("UpdateRestApi", "the API's settings", |c, id| {
                c.update_rest_api()
                    .rest_api_id(id)
                    .set_patch_operations(Some(ops.clone()))
                    .send()
            })
            .await
    }

    /// The target's id of a method's authorizer or request validator, named in the point by
    /// its source id (`source`: source id -> name).
    fn reference(
        &self,
        held: &BTreeMap<String, String>,
        source: &BTreeMap<&str, &str>,
        id: Option<&str>,
        what: &str,
        key: &str,
    ) -> Result<Option<String>> {
        let Some(src) = id else {
            return Ok(None);
        };
        let name = source.get(src).copied().unwrap_or(src);
        held.get(name).cloned().map(Some).ok_or_else(|| {
            Error::Aws(format!(
                "cannot restore method {key}: its {what} '{name}' is missing in the target"
            ))
        })
    }

    async fn put_method(
        &self,
        m: &v1::Method,
        rid: &str,
        desired: &RestApiSnapshot,
        key: &str,
    ) -> Result<()> {
        let verb = m.http_method.as_str();
        let src_auth: BTreeMap<&str, &str> = desired
            .authorizers
            .iter()
            .map(|a| (a.id.as_str(), a.name.as_str()))
            .collect();
        let src_val: BTreeMap<&str, &str> = desired
            .request_validators
            .iter()
            .map(|v| (v.id.as_str(), v.name.as_str()))
            .collect();
        let authorizer = self.reference(
            &self.authorizers,
            &src_auth,
            m.authorizer_id.as_deref(),
            "authorizer",
            key,
        )?;
        let validator = self.reference(
            &self.validators,
            &src_val,
            m.request_validator_id.as_deref(),
            "request validator",
            key,
        )?;
        let at = self.scope();
        // A method that exists answers PutMethod with a conflict: after a lost reply, it is
        // looked for.
        at.create(
            "PutMethod",
            key,
            |c, id| {
                c.put_method()
                    .rest_api_id(id)
                    .resource_id(rid)
                    .http_method(verb)
                    .authorization_type(
                        m.authorization_type
                            .clone()
                            .unwrap_or_else(|| "NONE".into()),
                    )
                    .set_authorizer_id(authorizer.clone())
                    .set_api_key_required(m.api_key_required)
                    .set_operation_name(m.operation_name.clone())
                    .set_request_parameters(hm(&m.request_parameters))
                    .set_request_models(hm(&m.request_models))
                    .set_request_validator_id(validator.clone())
                    .set_authorization_scopes(
                        (!m.authorization_scopes.is_empty())
                            .then(|| m.authorization_scopes.clone()),
                    )
                    .send()
            },
            drop,
            || {
                at.exists("GetMethod", key, |c, id| {
                    c.get_method()
                        .rest_api_id(id)
                        .resource_id(rid)
                        .http_method(verb)
                        .send()
                })
            },
        )
        .await?;
        self.put_method_responses(m, rid, key).await?;
        match &m.method_integration {
            Some(i) => self.put_integration(i, rid, verb, key).await,
            None => Ok(()),
        }
    }

    /// A method is put whole (an update deletes it first): no response is held, every one is
    /// put.
    async fn put_method_responses(&self, m: &v1::Method, rid: &str, key: &str) -> Result<()> {
        let verb = m.http_method.as_str();
        let at = &self.scope();
        children::sync(
            &mut BTreeMap::new(),
            key,
            &m.method_responses,
            |_, _| async { Ok(()) },
            |r| async move {
                at.create(
                    "PutMethodResponse",
                    key,
                    |c, id| {
                        c.put_method_response()
                            .rest_api_id(id)
                            .resource_id(rid)
                            .http_method(verb)
                            .status_code(&r.status_code)
                            .set_response_parameters(hm(&r.response_parameters))
                            .set_response_models(hm(&r.response_models))
                            .send()
                    },
                    drop,
                    || {
                        at.exists("GetMethodResponse", key, |c, id| {
                            c.get_method_response()
                                .rest_api_id(id)
                                .resource_id(rid)
                                .http_method(verb)
                                .status_code(&r.status_code)
                                .send()
                        })
                    },
                )
                .await
                .map(|()| String::new())
            },
            |_, _| async { Ok(()) },
        )
        .await
    }

    async fn put_integration(
        &self,
        i: &v1::Integration,
        rid: &str,
        verb: &str,
        key: &str,
    ) -> Result<()> {
        let tls = i.tls_config.as_ref().map(|t| {
            TlsConfig::builder()
                .insecure_skip_verification(t.insecure_skip_verification)
                .build()
        });
        let at = self.scope();
        at.call("PutIntegration", key, |c, id| {
            c.put_integration()
                .rest_api_id(id)
                .resource_id(rid)
                .http_method(verb)
                .set_type(i.integration_type.as_deref().map(Into::into))
                .set_integration_http_method(i.http_method.clone())
                .set_uri(i.uri.clone())
                .set_connection_type(i.connection_type.as_deref().map(Into::into))
                .set_connection_id(i.connection_id.clone())
                .set_credentials(i.credentials.clone())
                .set_request_parameters(hm(&i.request_parameters))
                .set_request_templates(hm(&i.request_templates))
                .set_passthrough_behavior(i.passthrough_behavior.clone())
                .set_content_handling(i.content_handling.as_deref().map(Into::into))
                .set_cache_namespace(i.cache_namespace.clone())
                .set_cache_key_parameters(
                    (!i.cache_key_parameters.is_empty()).then(|| i.cache_key_parameters.clone()),
                )
                .set_timeout_in_millis((i.timeout_in_millis > 0).then_some(i.timeout_in_millis))
                .set_tls_config(tls.clone())
                .send()
        })
        .await?;
        for r in i.integration_responses.values() {
            at.call("PutIntegrationResponse", key, |c, id| {
                c.put_integration_response()
                    .rest_api_id(id)
                    .resource_id(rid)
                    .http_method(verb)
                    .status_code(&r.status_code)
                    .set_selection_pattern(r.selection_pattern.clone())
                    .set_response_parameters(hm(&r.response_parameters))
                    .set_response_templates(hm(&r.response_templates))
                    .set_content_handling(r.content_handling.as_deref().map(Into::into))
                    .send()
            })
            .await?;
        }
        Ok(())
    }

    /// The deployment of this restore: reused when a previous run of the same restore made
    /// one (found by its description), else created from the working copy as it is now.
    pub async fn ensure_deployment(&mut self) -> Result<String> {
        if let Some(d) = &self.deployment {
            return Ok(d.clone());
        }
        // The job's deployment carries the job's marker as its description.
        let marker = self.marker.clone();
        let id = self.deployment_described(&marker).await?;
        self.deployment = Some(id.clone());
        Ok(id)
    }

    /// The target's deployment described `marker`: the one there (made by an earlier run, or
    /// by an attempt whose reply was lost), else a new one of the working copy as it is now.
    pub async fn deployment_described(&mut self, marker: &str) -> Result<String> {
        if let Some(d) = self.deployments.get(marker) {
            return Ok(d.clone());
        }
        let id = self
            .scope()
            .create(
                "CreateDeployment",
                "a deployment",
                |c, id| {
                    c.create_deployment()
                        .rest_api_id(id)
                        .description(marker)
                        .send()
                },
                |out| out.id.unwrap_or_default(),
                || async {
                    let all = list!(self, "GetDeployments", get_deployments)?;
                    Ok(named(all, marker, |x| (x.description, x.id)))
                },
            )
            .await?;
        self.deployments.insert(marker.to_string(), id.clone());
        Ok(id)
    }

    /// What a group of stages served in the source ([`super::served`]): its definition
    /// imported whole, one deployment of it described by the group's marker (none imported
    /// when a deployment so described is there already), and the group's stages the target
    /// holds pointed at it (the others when they are created), and the canaries of its
    /// stages the target holds (a canary created later gets it with its stage).
    async fn served(&mut self, d: &Difference, desired: &RestApiSnapshot) -> Result<()> {
        let groups = super::served::groups(desired);
        let g = groups.iter().find(|g| g.key() == d.key).ok_or_else(|| {
            Error::Integrity(format!(
                "the plan's served definition of {} is not in the point",
                d.key
            ))
        })?;
        if !self.deployments.contains_key(&g.marker) {
            let doc = crate::openapi::rest::to_document(&g.api)?;
            <super::Rest as crate::restore::family::ApiFamily>::import(
                self.at.client,
                self.at.pacer,
                &self.at.api_id,
                &doc,
            )
            .await?;
        }
        let dep = self.deployment_described(&g.marker).await?;
        for stage in super::served::present(d) {
            self.point_at(&stage, "/deploymentId", dep.clone()).await?;
        }
        for stage in super::served::present_canaries(d) {
            let canary = "/canarySettings/deploymentId";
            self.point_at(&stage, canary, dep.clone()).await?;
        }
        Ok(())
    }

    /// Makes a stage serve this restore's deployment.
    pub async fn point_stage(&mut self, stage: &str) -> Result<()> {
        let dep = self.ensure_deployment().await?;
        self.point_at(stage, "/deploymentId", dep).await
    }

    /// Makes a stage serve the deployment described `marker` (made if missing).
    pub async fn point_stage_to(&mut self, stage: &str, marker: &str) -> Result<()> {
        let dep = self.deployment_described(marker).await?;
        self.point_at(stage, "/deploymentId", dep).await
    }

    /// Sets a stage's `field` (its deployment, or its canary's) to deployment `dep`.
    async fn point_at(&self, stage: &str, field: &str, dep: String) -> Result<()> {
        let ops = vec![replace(field, dep)];
        self.scope()
            .call("UpdateStage", stage, |c, id| {
                c.update_stage()
                    .rest_api_id(id)
                    .stage_name(stage)
                    .set_patch_operations(Some(ops.clone()))
                    .send()
            })
            .await
    }
}

/// The calls of an item named by itself and held by its target id ([`Applier::by_name`]):
/// the operations to delete, update and create it, each request given the client, the API's
/// id and the item's id (or the patches, or the item), and the patches of a changed item.
struct ByName<D, U, C, T> {
    ops: [&'static str; 3],
    /// Delete and update ([`by_id!`]).
    by_id: (D, U),
    create: C,
    patches: fn(&T) -> Vec<PatchOperation>,
}

/// A create's output that names the new item's id.
trait Identified {
    fn id(self) -> String;
}

impl Identified
    for aws_sdk_apigateway::operation::create_request_validator::CreateRequestValidatorOutput
{
    fn id(self) -> String {
        self.id.unwrap_or_default()
    }
}

impl Identified for aws_sdk_apigateway::operation::create_authorizer::CreateAuthorizerOutput {
    fn id(self) -> String {
        self.id.unwrap_or_default()
    }
}

/// The patches of a changed request validator: both its switches.
fn validator_patches(v: &v1::RequestValidator) -> Vec<PatchOperation> {
    vec![
        replace("/validateRequestBody", v.validate_request_body.to_string()),
        replace(
            "/validateRequestParameters",
            v.validate_request_parameters.to_string(),
        ),
    ]
}

/// The patches of a changed authorizer: the fields it has.
fn authorizer_patches(a: &v1::Authorizer) -> Vec<PatchOperation> {
    let mut ops = vec![];
    let mut set = |path: &str, v: &Option<String>| {
        if let Some(v) = v {
            ops.push(replace(path, v.clone()));
        }
    };
    set("/authorizerUri", &a.authorizer_uri);
    set("/authorizerCredentials", &a.authorizer_credentials);
    set("/identitySource", &a.identity_source);
    set(
        "/identityValidationExpression",
        &a.identity_validation_expression,
    );
    set("/type", &a.authorizer_type);
    if let Some(ttl) = a.authorizer_result_ttl_in_seconds {
        ops.push(replace("/authorizerResultTtlInSeconds", ttl.to_string()));
    }
    ops
}

/// The point's item a difference names.
fn find<'d, T>(items: &'d [T], d: &Difference, is: impl Fn(&T) -> bool) -> Result<&'d T> {
    items.iter().find(|x| is(x)).ok_or_else(|| missing(d))
}

/// The target's id of the item a difference names.
fn held(ids: &BTreeMap<String, String>, d: &Difference) -> Result<String> {
    ids.get(&d.key).cloned().ok_or_else(|| missing(d))
}

fn unhandled(d: &Difference) -> Error {
    Error::Invalid(format!("restore does not handle {} yet", d.kind))
}

fn missing(d: &Difference) -> Error {
    Error::Integrity(format!(
        "the recovery point has no {} '{}' although the plan names it",
        d.kind, d.key
    ))
}

/// The settings CreateStage cannot take, as UpdateStage patches.
pub fn stage_patches(s: &v1::Stage) -> Vec<PatchOperation> {
    let mut ops = vec![];
    for (key, m) in &s.method_settings {
        let p = |leaf: &str| format!("/{key}/{leaf}");
        ops.push(replace(p("metrics/enabled"), m.metrics_enabled.to_string()));
        if let Some(level) = &m.logging_level {
            ops.push(replace(p("logging/loglevel"), level.clone()));
        }
        ops.push(replace(
            p("logging/dataTrace"),
            m.data_trace_enabled.to_string(),
        ));
        ops.push(replace(
            p("throttling/burstLimit"),
            m.throttling_burst_limit.to_string(),
        ));
        ops.push(replace(
            p("throttling/rateLimit"),
            m.throttling_rate_limit.to_string(),
        ));
        ops.push(replace(p("caching/enabled"), m.caching_enabled.to_string()));
        ops.push(replace(
            p("caching/ttlInSeconds"),
            m.cache_ttl_in_seconds.to_string(),
        ));
        ops.push(replace(
            p("caching/dataEncrypted"),
            m.cache_data_encrypted.to_string(),
        ));
        ops.push(replace(
            p("caching/requireAuthorizationForCacheControl"),
            m.require_authorization_for_cache_control.to_string(),
        ));
        if let Some(s) = &m.unauthorized_cache_control_header_strategy {
            ops.push(replace(
                p("caching/unauthorizedCacheControlHeaderStrategy"),
                s.clone(),
            ));
        }
    }
    if let Some(a) = &s.access_log_settings {
        if let Some(d) = &a.destination_arn {
            ops.push(replace("/accessLogSettings/destinationArn", d.clone()));
        }
        if let Some(f) = &a.format {
            ops.push(replace("/accessLogSettings/format", f.clone()));
        }
    }
    for (k, v) in &s.variables {
        ops.push(replace(format!("/variables/{}", escape(k)), v.clone()));
    }
    ops.push(replace("/tracingEnabled", s.tracing_enabled.to_string()));
    if let Some(d) = &s.description {
        ops.push(replace("/description", d.clone()));
    }
    ops
}
