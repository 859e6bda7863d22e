//! Carrying out differences against a target REST API through API Gateway's control plane,
//! every call paced and retried by the [`Pacer`]. Call by call (CreateResource, PutMethod,
//! PutIntegration...): the only way that keeps every setting and works against every
//! API Gateway implementation; ImportRestApi drops settings and does not exist everywhere.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_apigateway::Client;
use aws_sdk_apigateway::types::{
    CanarySettings, DocumentationPartLocation, EndpointConfiguration, Op, PatchOperation, TlsConfig,
};

use crate::awsconf::sdk_error;
use crate::model::v1::{self, RestApiSnapshot};
use crate::pacing::Pacer;
use crate::restore::children;
use crate::restore::difference::{Change, Difference, TAG_SOURCE};
use crate::restore::kind::Kind;
use crate::restore::once::{self, OpError, Sent, create_once};
use crate::{Error, Result};

/// Every item of a list of this API (after a lost reply: what an attempt may have made).
macro_rules! list {
    ($self:ident, $op:literal, $call:ident) => {
        once::looked!(
            $self.pacer,
            v1,
            $op,
            &format!("what {} may have made in REST API {}", $op, $self.api_id),
            $self.client.$call().rest_api_id(&$self.api_id)
        )
    };
}

/// Target-side state the applier keeps while it works: natural key -> target physical id.
pub struct Applier<'a> {
    client: &'a Client,
    pacer: &'a Pacer,
    pub api_id: String,
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

fn hm<V: Clone>(m: &BTreeMap<String, V>) -> Option<HashMap<String, V>> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
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

impl<'a> Applier<'a> {
    /// Starts from what the target API already holds (`current`, captured).
    pub fn new(
        client: &'a Client,
        pacer: &'a Pacer,
        current: &RestApiSnapshot,
        marker: String,
    ) -> Self {
        Applier {
            client,
            pacer,
            api_id: current.api.id.clone(),
            resources: current
                .resources
                .iter()
                .map(|r| (r.path.clone(), r.id.clone()))
                .collect(),
            authorizers: current
                .authorizers
                .iter()
                .map(|a| (a.name.clone(), a.id.clone()))
                .collect(),
            validators: current
                .request_validators
                .iter()
                .map(|v| (v.name.clone(), v.id.clone()))
                .collect(),
            deployments: current
                .deployments
                .iter()
                .filter_map(|d| Some((d.description.clone()?, d.id.clone())))
                .collect(),
            deployment: None,
            marker,
        }
    }

    fn what(&self, op: &str, key: &str) -> String {
        format!("restoring {key} into REST API {} ({op})", self.api_id)
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
            // This job's API: the name and the source tag it was given.
            || async {
                let apis = crate::capture::get_rest_apis(client, pacer).await?;
                Ok(apis
                    .into_iter()
                    .find(|a| {
                        a.name() == Some(name)
                            && a.tags().and_then(|t| t.get(TAG_SOURCE)).map(String::as_str)
                                == Some(source_tag)
                    })
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

    /// Applies one difference. `desired` holds the full items (with source ids);
    /// `source_refs` names the source's authorizers and validators by id.
    pub async fn apply(&mut self, d: &Difference, desired: &RestApiSnapshot) -> Result<()> {
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
        let key = d.key.as_str();
        match (d.kind, &d.change) {
            (Kind::RestApi, Change::Update { fields }) => {
                self.update_api(&desired.api, fields).await
            }
            (Kind::RestApi, _) => Ok(()),
            (Kind::Model, Change::Delete) => {
                self.call("DeleteModel", key, |c, id| {
                    c.delete_model().rest_api_id(id).model_name(key).send()
                })
                .await
            }
            (Kind::Model, change) => {
                let m = desired
                    .models
                    .iter()
                    .find(|m| m.name == key)
                    .ok_or_else(|| missing(d))?;
                if matches!(change, Change::Update { .. }) {
                    let ops = vec![
                        replace("/schema", m.schema.clone().unwrap_or_default()),
                        replace("/description", m.description.clone().unwrap_or_default()),
                    ];
                    return self
                        .call("UpdateModel", key, |c, id| {
                            c.update_model()
                                .rest_api_id(id)
                                .model_name(key)
                                .set_patch_operations(Some(ops.clone()))
                                .send()
                        })
                        .await;
                }
                self.create(
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
                    |_| (),
                    || {
                        self.exists("GetModel", key, |c, id| {
                            c.get_model().rest_api_id(id).model_name(key).send()
                        })
                    },
                )
                .await
            }
            (Kind::RequestValidator, Change::Delete) => {
                let vid = self
                    .validators
                    .get(key)
                    .cloned()
                    .ok_or_else(|| missing(d))?;
                self.call("DeleteRequestValidator", key, |c, id| {
                    c.delete_request_validator()
                        .rest_api_id(id)
                        .request_validator_id(&vid)
                        .send()
                })
                .await
            }
            (Kind::RequestValidator, change) => {
                let v = desired
                    .request_validators
                    .iter()
                    .find(|v| v.name == key)
                    .ok_or_else(|| missing(d))?;
                if matches!(change, Change::Update { .. }) {
                    let vid = self
                        .validators
                        .get(key)
                        .cloned()
                        .ok_or_else(|| missing(d))?;
                    let ops = vec![
                        replace("/validateRequestBody", v.validate_request_body.to_string()),
                        replace(
                            "/validateRequestParameters",
                            v.validate_request_parameters.to_string(),
                        ),
                    ];
                    return self
                        .call("UpdateRequestValidator", key, |c, id| {
                            c.update_request_validator()
                                .rest_api_id(id)
                                .request_validator_id(&vid)
                                .set_patch_operations(Some(ops.clone()))
                                .send()
                        })
                        .await;
                }
                let vid = self
                    .create(
                        "CreateRequestValidator",
                        key,
                        |c, id| {
                            c.create_request_validator()
                                .rest_api_id(id)
                                .name(&v.name)
                                .validate_request_body(v.validate_request_body)
                                .validate_request_parameters(v.validate_request_parameters)
                                .send()
                        },
                        |out| out.id.unwrap_or_default(),
                        || async {
                            let all = list!(self, "GetRequestValidators", get_request_validators)?;
                            Ok(all
                                .into_iter()
                                .find(|x| x.name() == Some(key))
                                .and_then(|x| x.id))
                        },
                    )
                    .await?;
                self.validators.insert(v.name.clone(), vid);
                Ok(())
            }
            (Kind::Authorizer, Change::Delete) => {
                let aid = self
                    .authorizers
                    .get(key)
                    .cloned()
                    .ok_or_else(|| missing(d))?;
                self.call("DeleteAuthorizer", key, |c, id| {
                    c.delete_authorizer()
                        .rest_api_id(id)
                        .authorizer_id(&aid)
                        .send()
                })
                .await
            }
            (Kind::Authorizer, change) => {
                let a = desired
                    .authorizers
                    .iter()
                    .find(|a| a.name == key)
                    .ok_or_else(|| missing(d))?;
                if matches!(change, Change::Update { .. }) {
                    let aid = self
                        .authorizers
                        .get(key)
                        .cloned()
                        .ok_or_else(|| missing(d))?;
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
                    return self
                        .call("UpdateAuthorizer", key, |c, id| {
                            c.update_authorizer()
                                .rest_api_id(id)
                                .authorizer_id(&aid)
                                .set_patch_operations(Some(ops.clone()))
                                .send()
                        })
                        .await;
                }
                let aid = self
                    .create(
                        "CreateAuthorizer",
                        key,
                        |c, id| {
                            c.create_authorizer()
                                .rest_api_id(id)
                                .name(&a.name)
                                .set_type(a.authorizer_type.as_deref().map(Into::into))
                                .set_provider_arns(
                                    (!a.provider_arns.is_empty()).then(|| a.provider_arns.clone()),
                                )
                                .set_auth_type(a.auth_type.clone())
                                .set_authorizer_uri(a.authorizer_uri.clone())
                                .set_authorizer_credentials(a.authorizer_credentials.clone())
                                .set_identity_source(a.identity_source.clone())
                                .set_identity_validation_expression(
                                    a.identity_validation_expression.clone(),
                                )
                                .set_authorizer_result_ttl_in_seconds(
                                    a.authorizer_result_ttl_in_seconds,
                                )
                                .send()
                        },
                        |out| out.id.unwrap_or_default(),
                        || async {
                            let all = list!(self, "GetAuthorizers", get_authorizers)?;
                            Ok(all
                                .into_iter()
                                .find(|x| x.name() == Some(key))
                                .and_then(|x| x.id))
                        },
                    )
                    .await?;
                self.authorizers.insert(a.name.clone(), aid);
                Ok(())
            }
            (Kind::Resource, Change::Delete) => {
                let Some(rid) = self.resources.get(key).cloned() else {
                    return Ok(());
                };
                // Deleting a parent deletes its children: a child already gone is fine.
                match self
                    .pacer
                    .call("DeleteResource", || {
                        self.client
                            .delete_resource()
                            .rest_api_id(&self.api_id)
                            .resource_id(&rid)
                            .send()
                    })
                    .await
                {
                    Ok(_) => {}
                    Err(e) if crate::awsconf::status_of(&e) == Some(404) => {}
                    Err(e) => return Err(sdk_error(&self.what("DeleteResource", key), e)),
                }
                self.resources
                    .retain(|p, _| p != key && !p.starts_with(&format!("{key}/")));
                Ok(())
            }
            (Kind::Resource, Change::Create) => {
                let r = desired
                    .resources
                    .iter()
                    .find(|r| r.path == key)
                    .ok_or_else(|| missing(d))?;
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
            (Kind::Resource, Change::Update { .. }) => Ok(()),
            (Kind::Method, change) => {
                let (path, verb) = key.rsplit_once(' ').ok_or_else(|| missing(d))?;
                let rid = self.resources.get(path).cloned().ok_or_else(|| {
                    Error::Aws(format!(
                        "cannot restore method {key}: resource {path} is missing in the target"
                    ))
                })?;
                if !matches!(change, Change::Create) {
                    match self
                        .pacer
                        .call("DeleteMethod", || {
                            self.client
                                .delete_method()
                                .rest_api_id(&self.api_id)
                                .resource_id(&rid)
                                .http_method(verb)
                                .send()
                        })
                        .await
                    {
                        Ok(_) => {}
                        Err(e) if crate::awsconf::status_of(&e) == Some(404) => {}
                        Err(e) => return Err(sdk_error(&self.what("DeleteMethod", key), e)),
                    }
                }
                if matches!(change, Change::Delete) {
                    return Ok(());
                }
                let m = desired
                    .methods
                    .iter()
                    .find(|m| m.path == path && m.http_method == verb)
                    .ok_or_else(|| missing(d))?;
                self.put_method(m, &rid, &src_auth, &src_val, key).await
            }
            (Kind::GatewayResponse, Change::Delete) => {
                self.call("DeleteGatewayResponse", key, |c, id| {
                    c.delete_gateway_response()
                        .rest_api_id(id)
                        .response_type(key.into())
                        .send()
                })
                .await
            }
            (Kind::GatewayResponse, _) => {
                let g = desired
                    .gateway_responses
                    .iter()
                    .find(|g| g.response_type == key)
                    .ok_or_else(|| missing(d))?;
                self.call("PutGatewayResponse", key, |c, id| {
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
            (Kind::DocumentationPart, Change::Delete) => Ok(()),
            (Kind::DocumentationPart, _) => {
                let p = desired
                    .documentation_parts
                    .iter()
                    .find(|p| super::compare::part_key(p) == key)
                    .ok_or_else(|| missing(d))?;
                let l = &p.location;
                let location = DocumentationPartLocation::builder()
                    .r#type(l.location_type.as_str().into())
                    .set_path(l.path.clone())
                    .set_method(l.method.clone())
                    .set_status_code(l.status_code.clone())
                    .set_name(l.name.clone())
                    .build()
                    .map_err(|e| Error::Invalid(format!("documentation part {key}: {e}")))?;
                self.create(
                    "CreateDocumentationPart",
                    key,
                    |c, id| {
                        c.create_documentation_part()
                            .rest_api_id(id)
                            .location(location.clone())
                            .properties(p.properties.clone().unwrap_or_else(|| "{}".into()))
                            .send()
                    },
                    |_| (),
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
            (Kind::DocumentationVersion, Change::Create) => {
                let v = desired
                    .documentation_versions
                    .iter()
                    .find(|v| v.version == key)
                    .ok_or_else(|| missing(d))?;
                self.create(
                    "CreateDocumentationVersion",
                    key,
                    |c, id| {
                        c.create_documentation_version()
                            .rest_api_id(id)
                            .documentation_version(&v.version)
                            .set_description(v.description.clone())
                            .send()
                    },
                    |_| (),
                    || {
                        self.exists("GetDocumentationVersion", key, |c, id| {
                            c.get_documentation_version()
                                .rest_api_id(id)
                                .documentation_version(key)
                                .send()
                        })
                    },
                )
                .await
            }
            (Kind::DocumentationVersion, _) => Ok(()),
            (Kind::Stage, Change::Delete) => {
                self.call("DeleteStage", key, |c, id| {
                    c.delete_stage().rest_api_id(id).stage_name(key).send()
                })
                .await
            }
            (Kind::Stage, change) => {
                let s = desired
                    .stages
                    .iter()
                    .find(|s| s.stage_name == key)
                    .ok_or_else(|| missing(d))?;
                if matches!(change, Change::Create) {
                    let dep = self.ensure_deployment().await?;
                    let canary = s.canary_settings.as_ref().map(|c| {
                        CanarySettings::builder()
                            .percent_traffic(c.percent_traffic)
                            .deployment_id(&dep)
                            .set_stage_variable_overrides(hm(&c.stage_variable_overrides))
                            .use_stage_cache(c.use_stage_cache)
                            .build()
                    });
                    let mut tags = s.tags.clone();
                    tags.retain(|k, _| !k.starts_with(crate::restore::difference::TAG_PREFIX));
                    self.create(
                        "CreateStage",
                        key,
                        |c, id| {
                            c.create_stage()
                                .rest_api_id(id)
                                .stage_name(key)
                                .deployment_id(&dep)
                                .set_description(s.description.clone())
                                .cache_cluster_enabled(s.cache_cluster_enabled)
                                .set_cache_cluster_size(
                                    s.cache_cluster_size.as_deref().map(Into::into),
                                )
                                .set_variables(hm(&s.variables))
                                .set_documentation_version(s.documentation_version.clone())
                                .set_canary_settings(canary.clone())
                                .tracing_enabled(s.tracing_enabled)
                                .set_tags(hm(&tags))
                                .send()
                        },
                        |_| (),
                        || {
                            self.exists("GetStage", key, |c, id| {
                                c.get_stage().rest_api_id(id).stage_name(key).send()
                            })
                        },
                    )
                    .await?;
                }
                let ops = stage_patches(s);
                if ops.is_empty() {
                    return Ok(());
                }
                self.call("UpdateStage", key, |c, id| {
                    c.update_stage()
                        .rest_api_id(id)
                        .stage_name(key)
                        .set_patch_operations(Some(ops.clone()))
                        .send()
                })
                .await
            }
            (kind, _) => Err(Error::Invalid(format!(
                "restore does not handle {kind} yet"
            ))),
        }
    }

    async fn call<T, E, F, Fut>(&self, op: &'static str, key: &str, f: F) -> Result<()>
    where
        F: Fn(&'a Client, &str) -> Fut,
        Fut: std::future::Future<Output = Sent<T, E>>,
        E: OpError,
    {
        self.pacer
            .call(op, || f(self.client, &self.api_id))
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&self.what(op, key), e))
    }

    /// A create sent at most once per lost reply ([`once::create_once`]): `find` looks in this
    /// API for what an attempt may have made.
    async fn create<O, T, E, S, SF, F, FF>(
        &self,
        op: &'static str,
        key: &str,
        send: S,
        pick: impl FnOnce(O) -> T,
        find: F,
    ) -> Result<T>
    where
        S: Fn(&'a Client, &str) -> SF,
        SF: std::future::Future<Output = Sent<O, E>>,
        F: FnMut() -> FF,
        FF: std::future::Future<Output = Result<Option<T>>>,
        E: OpError,
    {
        create_once(
            self.pacer,
            op,
            || send(self.client, &self.api_id),
            pick,
            find,
            |e| sdk_error(&self.what(op, key), e),
        )
        .await
    }

    /// Whether the item a read names is in this API (404: it is not).
    async fn exists<O, E, S, SF>(&self, op: &'static str, key: &str, send: S) -> Result<Option<()>>
    where
        S: Fn(&'a Client, &str) -> SF,
        SF: std::future::Future<Output = Sent<O, E>>,
        E: OpError,
    {
        let what = format!("{key} in REST API {}", self.api_id);
        once::get(self.pacer, op, || send(self.client, &self.api_id), &what)
            .await
            .map(|o| o.map(|_| ()))
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
        self.call("UpdateRestApi", "the API's settings", |c, id| {
            c.update_rest_api()
                .rest_api_id(id)
                .set_patch_operations(Some(ops.clone()))
                .send()
        })
        .await
    }

    async fn put_method(
        &self,
        m: &v1::Method,
        rid: &str,
        src_auth: &BTreeMap<&str, &str>,
        src_val: &BTreeMap<&str, &str>,
        key: &str,
    ) -> Result<()> {
        let verb = m.http_method.as_str();
        let authorizer = match m.authorizer_id.as_deref() {
            None => None,
            Some(src) => {
                let name = src_auth.get(src).copied().unwrap_or(src);
                Some(self.authorizers.get(name).cloned().ok_or_else(|| {
                    Error::Aws(format!("cannot restore method {key}: its authorizer '{name}' is missing in the target"))
                })?)
            }
        };
        let validator = match m.request_validator_id.as_deref() {
            None => None,
            Some(src) => {
                let name = src_val.get(src).copied().unwrap_or(src);
                Some(self.validators.get(name).cloned().ok_or_else(|| {
                    Error::Aws(format!("cannot restore method {key}: its request validator '{name}' is missing in the target"))
                })?)
            }
        };
        // A method that exists answers PutMethod with a conflict: after a lost reply, it is
        // looked for.
        self.create(
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
            |_| (),
            || {
                self.exists("GetMethod", key, |c, id| {
                    c.get_method()
                        .rest_api_id(id)
                        .resource_id(rid)
                        .http_method(verb)
                        .send()
                })
            },
        )
        .await?;
        // A method is put whole (an update deletes it first): no response is held, every
        // one is put.
        let me = self;
        children::sync(
            &mut BTreeMap::new(),
            key,
            &m.method_responses,
            |_, _| async { Ok(()) },
            |r| async move {
                me.create(
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
                    |_| (),
                    || {
                        me.exists("GetMethodResponse", key, |c, id| {
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
        .await?;
        let Some(i) = &m.method_integration else {
            return Ok(());
        };
        let tls = i.tls_config.as_ref().map(|t| {
            TlsConfig::builder()
                .insecure_skip_verification(t.insecure_skip_verification)
                .build()
        });
        self.call("PutIntegration", key, |c, id| {
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
            self.call("PutIntegrationResponse", key, |c, id| {
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
        if let Some(d) = self.deployments.get(&self.marker) {
            self.deployment = Some(d.clone());
            return Ok(d.clone());
        }
        let marker = self.marker.clone();
        // The job's deployment carries the job's marker as its description.
        let id = self
            .create(
                "CreateDeployment",
                "a deployment",
                |c, id| {
                    c.create_deployment()
                        .rest_api_id(id)
                        .description(&marker)
                        .send()
                },
                |out| out.id.unwrap_or_default(),
                || async {
                    let all = list!(self, "GetDeployments", get_deployments)?;
                    Ok(all
                        .into_iter()
                        .find(|x| x.description() == Some(marker.as_str()))
                        .and_then(|x| x.id))
                },
            )
            .await?;
        self.deployments.insert(marker, id.clone());
        self.deployment = Some(id.clone());
        Ok(id)
    }

    /// Makes a stage serve this restore's deployment.
    pub async fn point_stage(&mut self, stage: &str) -> Result<()> {
        let dep = self.ensure_deployment().await?;
        let ops = vec![replace("/deploymentId", dep)];
        self.call("UpdateStage", stage, |c, id| {
            c.update_stage()
                .rest_api_id(id)
                .stage_name(stage)
                .set_patch_operations(Some(ops.clone()))
                .send()
        })
        .await
    }
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
