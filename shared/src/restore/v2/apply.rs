use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use aws_sdk_apigatewayv2::Client;
use aws_sdk_apigatewayv2::types as t;

use crate::awsconf::sdk_error;
use crate::model::v2::{self, ApiSnapshot};
use crate::pacing::Pacer;
use crate::restore::children;
use crate::restore::difference::{Change, Difference, TAG_SOURCE};
use crate::restore::family::{Applied, Pointed, StepApplier};
use crate::restore::kind::{Kind, estate_kinds, rest_kinds};
use crate::restore::once::{self, OpError, Scope, Sent, Target, create_once, hm, ids, named};
use crate::{Error, Result};

fn vec_or_none(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn cors(c: &v2::Cors) -> t::Cors {
    t::Cors::builder()
        .allow_credentials(c.allow_credentials)
        .set_allow_headers(vec_or_none(&c.allow_headers))
        .set_allow_methods(vec_or_none(&c.allow_methods))
        .set_allow_origins(vec_or_none(&c.allow_origins))
        .set_expose_headers(vec_or_none(&c.expose_headers))
        .set_max_age(c.max_age)
        .build()
}

fn route_settings(s: &v2::RouteSettings) -> t::RouteSettings {
    t::RouteSettings::builder()
        .data_trace_enabled(s.data_trace_enabled)
        .detailed_metrics_enabled(s.detailed_metrics_enabled)
        .set_logging_level(s.logging_level.as_deref().map(t::LoggingLevel::from))
        .set_throttling_burst_limit(s.throttling_burst_limit)
        .set_throttling_rate_limit(s.throttling_rate_limit)
        .build()
}

fn constraints(
    m: &BTreeMap<String, v2::ParameterConstraints>,
) -> Option<HashMap<String, t::ParameterConstraints>> {
    (!m.is_empty()).then(|| {
        m.iter()
            .map(|(k, c)| {
                (
                    k.clone(),
                    t::ParameterConstraints::builder()
                        .required(c.required)
                        .build(),
                )
            })
            .collect()
    })
}

/// The settable fields of an API, on a CreateApi or UpdateApi request.
macro_rules! api_fields {
    ($b:expr, $a:expr) => {
        $b.name(&$a.name)
            .set_description($a.description.clone())
            .set_version($a.version.clone())
            .set_cors_configuration($a.cors_configuration.as_ref().map(cors))
            .set_route_selection_expression($a.route_selection_expression.clone())
            .set_api_key_selection_expression($a.api_key_selection_expression.clone())
            .disable_execute_api_endpoint($a.disable_execute_api_endpoint)
            .disable_schema_validation($a.disable_schema_validation)
            .set_ip_address_type($a.ip_address_type.as_deref().map(t::IpAddressType::from))
    };
}

macro_rules! model_fields {
    ($b:expr, $m:expr) => {
        $b.name(&$m.name)
            .set_content_type($m.content_type.clone())
            .set_description($m.description.clone())
            .set_schema($m.schema.clone())
    };
}

macro_rules! authorizer_fields {
    ($b:expr, $a:expr) => {
        $b.name(&$a.name)
            .set_authorizer_type($a.authorizer_type.as_deref().map(t::AuthorizerType::from))
            .set_jwt_configuration($a.jwt_configuration.as_ref().map(|j| {
                t::JwtConfiguration::builder()
                    .set_audience(vec_or_none(&j.audience))
                    .set_issuer(j.issuer.clone())
                    .build()
            }))
            .set_authorizer_uri($a.authorizer_uri.clone())
            .set_authorizer_credentials_arn($a.authorizer_credentials_arn.clone())
            .set_authorizer_payload_format_version($a.authorizer_payload_format_version.clone())
            .set_authorizer_result_ttl_in_seconds($a.authorizer_result_ttl_in_seconds)
            .set_enable_simple_responses($a.enable_simple_responses.then_some(true))
            .set_identity_source(vec_or_none(&$a.identity_source))
            .set_identity_validation_expression($a.identity_validation_expression.clone())
    };
}

macro_rules! integration_fields {
    ($b:expr, $i:expr) => {
        $b.set_integration_type($i.integration_type.as_deref().map(t::IntegrationType::from))
            .set_integration_subtype($i.integration_subtype.clone())
            .set_integration_uri($i.integration_uri.clone())
            .set_integration_method($i.integration_method.clone())
            .set_connection_type($i.connection_type.as_deref().map(t::ConnectionType::from))
            .set_connection_id($i.connection_id.clone())
            .set_credentials_arn($i.credentials_arn.clone())
            .set_description($i.description.clone())
            .set_payload_format_version($i.payload_format_version.clone())
            .set_timeout_in_millis($i.timeout_in_millis)
            .set_request_parameters(hm(&$i.request_parameters))
            .set_request_templates(hm(&$i.request_templates))
            .set_response_parameters((!$i.response_parameters.is_empty()).then(|| {
                $i.response_parameters
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.iter().map(|(a, b)| (a.clone(), b.clone())).collect(),
                        )
                    })
                    .collect()
            }))
            .set_template_selection_expression($i.template_selection_expression.clone())
            .set_passthrough_behavior(
                $i.passthrough_behavior
                    .as_deref()
                    .map(t::PassthroughBehavior::from),
            )
            .set_content_handling_strategy(
                $i.content_handling_strategy
                    .as_deref()
                    .map(t::ContentHandlingStrategy::from),
            )
            .set_tls_config($i.tls_config.as_ref().map(|c| {
                t::TlsConfigInput::builder()
                    .set_server_name_to_verify(c.server_name_to_verify.clone())
                    .build()
            }))
    };
}

macro_rules! integration_response_fields {
    ($b:expr, $r:expr) => {
        $b.integration_response_key(&$r.integration_response_key)
            .set_content_handling_strategy(
                $r.content_handling_strategy
                    .as_deref()
                    .map(t::ContentHandlingStrategy::from),
            )
            .set_response_parameters(hm(&$r.response_parameters))
            .set_response_templates(hm(&$r.response_templates))
            .set_template_selection_expression($r.template_selection_expression.clone())
    };
}

macro_rules! route_fields {
    ($b:expr, $r:expr, $target:expr, $authorizer:expr) => {
        $b.route_key(&$r.route_key)
            .set_target($target)
            .set_authorization_type(
                $r.authorization_type
                    .as_deref()
                    .map(t::AuthorizationType::from),
            )
            .set_authorizer_id($authorizer)
            .set_authorization_scopes(vec_or_none(&$r.authorization_scopes))
            .api_key_required($r.api_key_required)
            .set_operation_name($r.operation_name.clone())
            .set_request_models(hm(&$r.request_models))
            .set_request_parameters(constraints(&$r.request_parameters))
            .set_model_selection_expression($r.model_selection_expression.clone())
            .set_route_response_selection_expression($r.route_response_selection_expression.clone())
    };
}

macro_rules! route_response_fields {
    ($b:expr, $r:expr) => {
        $b.route_response_key(&$r.route_response_key)
            .set_model_selection_expression($r.model_selection_expression.clone())
            .set_response_models(hm(&$r.response_models))
            .set_response_parameters(constraints(&$r.response_parameters))
    };
}

macro_rules! stage_fields {
    ($b:expr, $s:expr) => {
        $b.stage_name(&$s.stage_name)
            .set_description($s.description.clone())
            .auto_deploy($s.auto_deploy)
            .set_client_certificate_id($s.client_certificate_id.clone())
            .set_default_route_settings($s.default_route_settings.as_ref().map(route_settings))
            .set_route_settings((!$s.route_settings.is_empty()).then(|| {
                $s.route_settings
                    .iter()
                    .map(|(k, v)| (k.clone(), route_settings(v)))
                    .collect()
            }))
            .set_stage_variables(hm(&$s.stage_variables))
            .set_access_log_settings($s.access_log_settings.as_ref().map(|l| {
                t::AccessLogSettings::builder()
                    .set_destination_arn(l.destination_arn.clone())
                    .set_format(l.format.clone())
                    .build()
            }))
    };
}

/// Every item of a list of an API (after a lost reply: what an attempt may have made).
macro_rules! list {
    ($self:ident, $op:literal, $req:expr) => {
        once::listed!($self.at, v2, $op, $req.api_id(&$self.at.api_id))
    };
}

/// Syncs one item's responses (an integration's or a route's: the same calls with their own
/// operations and fields) through [`children::sync`], keeping the applier's ids of them.
macro_rules! sync_responses {
    ($self:ident . $held:ident, $key:ident, $want:expr, $parent:ident($id:ident), $rkey:ident,
     $rid:ident, $fields:ident, [$update:ident($u_op:literal), $create:ident($c_op:literal),
     $get:ident($g_op:literal), $delete:ident($d_op:literal) $(,)?]) => {{
        let mut held = std::mem::take(&mut $self.$held);
        let me = &*$self;
        let at = &me.scope();
        let what = |rk: &str| format!("{} {rk}", $key);
        let done = children::sync(
            &mut held,
            $key,
            $want,
            |r, rid| async move {
                at.call($u_op, &what(&r.$rkey), |c, api| {
                    $fields!(c.$update().api_id(api).$parent($id).$rid(&rid), r).send()
                })
                .await
            },
            |r| async move {
                let rk = r.$rkey.as_str();
                at.create(
                    $c_op,
                    &what(rk),
                    |c, api| $fields!(c.$create().api_id(api).$parent($id), r).send(),
                    |out| out.$rid.unwrap_or_default(),
                    || async {
                        let all = list!(me, $g_op, me.at.client.$get().$parent($id))?;
                        Ok(named(all, rk, |x| (x.$rkey, x.$rid)))
                    },
                )
                .await
            },
            |rk, rid| async move {
                at.call($d_op, &what(&rk), |c, api| {
                    c.$delete().api_id(api).$parent($id).$rid(&rid).send()
                })
                .await
            },
        )
        .await;
        $self.$held = held;
        done
    }};
}

/// A create: its operation, its request, and the new item's id in its output.
type Create<C, O> = (&'static str, C, fn(O) -> Option<String>);

/// Target-side state while applying: natural key -> target physical id.
pub struct ApplierV2<'a> {
    pub at: Target<'a, Client>,
    /// Description our deployments carry.
    pub(crate) marker: String,
    pub(crate) models: BTreeMap<String, String>,
    pub(crate) authorizers: BTreeMap<String, String>,
    /// By integration key.
    pub(crate) integrations: BTreeMap<String, String>,
    /// By (integration key, integration response key).
    pub(crate) integration_responses: BTreeMap<(String, String), String>,
    pub(crate) routes: BTreeMap<String, String>,
    /// By (route key, route response key).
    pub(crate) route_responses: BTreeMap<(String, String), String>,
}

impl StepApplier<ApiSnapshot> for ApplierV2<'_> {
    type Client = Client;

    /// Carries out one difference.
    async fn apply(&mut self, d: &Difference, desired: &ApiSnapshot) -> Result<()> {
        match (d.kind, &d.change) {
            (Kind::Api, Change::Update { .. }) => {
                let a = &desired.api;
                self.scope()
                    .call("UpdateApi", &d.key, |c, api| {
                        api_fields!(c.update_api().api_id(api), a).send()
                    })
                    .await
            }
            (
                Kind::ModelV2 | Kind::AuthorizerV2 | Kind::Integration | Kind::Route,
                Change::Delete,
            ) => self.delete(d).await,
            (Kind::ModelV2, _) => self.model(d, desired).await,
            (Kind::AuthorizerV2, _) => self.authorizer(d, desired).await,
            (Kind::Integration, _) => self.integration(d, desired).await,
            (Kind::Route, _) => self.route(d, desired).await,
            (Kind::StageV2, _) => self.stage(d, desired).await,
            (Kind::Api | rest_kinds!() | estate_kinds!(), _) => Err(Error::Invalid(format!(
                "restoring {} {} into an HTTP or WebSocket API is not supported",
                d.kind, d.key
            ))),
        }
    }

    /// Each stage that does not deploy itself is deployed once after any change (an
    /// auto-deploying stage was created last and deployed itself).
    async fn finish(&mut self, desired: &ApiSnapshot, done: &Applied<'_>) -> Vec<Pointed> {
        if !done.imported && !done.steps.iter().any(|s| !s.is_duplicate()) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for s in desired.stages.iter().filter(|s| !s.auto_deploy) {
            let deployed = self.deploy(&s.stage_name, &self.marker).await;
            out.push((Kind::StageV2, s.stage_name.clone(), deployed));
        }
        out
    }

    fn api_id(&self) -> &str {
        &self.at.api_id
    }
}

impl<'a> ApplierV2<'a> {
    /// Starts from what the target API already holds (`current`, captured).
    pub fn new(client: &'a Client, pacer: &'a Pacer, current: &ApiSnapshot) -> Self {
        let keys = current.integration_keys();
        let key_of = |id: &str| keys.get(id).cloned().unwrap_or_else(|| format!("~{id}"));
        ApplierV2 {
            at: Target::new(client, pacer, &current.api.api_id, "API", true),
            marker: String::new(),
            models: ids(&current.models, |m| (&m.name, &m.model_id)),
            authorizers: ids(&current.authorizers, |a| (&a.name, &a.authorizer_id)),
            integrations: current
                .integrations
                .iter()
                .map(|i| (key_of(&i.integration_id), i.integration_id.clone()))
                .collect(),
            integration_responses: current
                .integrations
                .iter()
                .flat_map(|i| {
                    let key = key_of(&i.integration_id);
                    i.integration_responses.values().map(move |r| {
                        (
                            (key.clone(), r.integration_response_key.clone()),
                            r.integration_response_id.clone(),
                        )
                    })
                })
                .collect(),
            routes: ids(&current.routes, |r| (&r.route_key, &r.route_id)),
            route_responses: current
                .routes
                .iter()
                .flat_map(|r| {
                    r.route_responses.values().map(|rr| {
                        (
                            (r.route_key.clone(), rr.route_response_key.clone()),
                            rr.route_response_id.clone(),
                        )
                    })
                })
                .collect(),
        }
    }

    /// Creates the API itself, tagged with its source. Returns the new API's id.
    pub async fn create_api(
        client: &Client,
        pacer: &Pacer,
        api: &v2::Api,
        name: &str,
        tag: &str,
    ) -> Result<String> {
        let mut tags: HashMap<String, String> = api
            .tags
            .iter()
            .filter(|(k, _)| {
                !k.starts_with(crate::restore::difference::TAG_PREFIX)
                    || *k == crate::restore::difference::TAG_DRILL
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        tags.insert(TAG_SOURCE.into(), tag.into());
        let mut api = api.clone();
        api.name = name.to_string();
        let id = create_once(
            pacer,
            "CreateApi",
            || {
                api_fields!(client.create_api(), api)
                    .protocol_type(t::ProtocolType::from(api.protocol_type.as_str()))
                    .set_tags(Some(tags.clone()))
                    .send()
            },
            |out| out.api_id,
            // This job's API.
            || async {
                let apis = crate::capture::v2::get_apis(client, pacer).await?;
                Ok(apis
                    .into_iter()
                    .find(|a| once::ours(a.name(), a.tags(), name, tag))
                    .map(|a| a.api_id))
            },
            |e| {
                sdk_error(
                    &format!("creating {} API {name} (CreateApi)", api.protocol_type),
                    e,
                )
            },
        )
        .await?;
        id.ok_or_else(|| Error::Aws(format!("CreateApi for {name} returned no id")))
    }

    /// This API, for its calls: a look-alike's missing operation is
    /// [`Error::Unimplemented`].
    fn scope(&self) -> Scope<'_, Client> {
        self.at.scope()
    }

    /// The target's ids of a kind's items, by natural key (none for the API and its stages,
    /// which are named by themselves).
    fn ids(&mut self, kind: Kind) -> Option<&mut BTreeMap<String, String>> {
        match kind {
            Kind::ModelV2 => Some(&mut self.models),
            Kind::AuthorizerV2 => Some(&mut self.authorizers),
            Kind::Integration => Some(&mut self.integrations),
            Kind::Route => Some(&mut self.routes),
            Kind::Api | Kind::StageV2 | rest_kinds!() | estate_kinds!() => None,
        }
    }

    fn id_of(&mut self, d: &Difference) -> Result<String> {
        let api_id = self.at.api_id.clone();
        self.ids(d.kind)
            .and_then(|m| m.get(&d.key).cloned())
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "{} {} is not in API {api_id} any more",
                    d.kind, d.key
                ))
            })
    }

    /// Deletes a model, authorizer, integration or route, and forgets its id.
    async fn delete(&mut self, d: &Difference) -> Result<()> {
        let id = self.id_of(d)?;
        let key = d.key.as_str();
        let at = self.scope();
        match d.kind {
            Kind::ModelV2 => {
                at.call("DeleteModel", key, |c, api| {
                    c.delete_model().api_id(api).model_id(&id).send()
                })
                .await?
            }
            Kind::AuthorizerV2 => {
                at.call("DeleteAuthorizer", key, |c, api| {
                    c.delete_authorizer().api_id(api).authorizer_id(&id).send()
                })
                .await?
            }
            Kind::Integration => {
                at.call("DeleteIntegration", key, |c, api| {
                    c.delete_integration()
                        .api_id(api)
                        .integration_id(&id)
                        .send()
                })
                .await?
            }
            Kind::Route => {
                at.call("DeleteRoute", key, |c, api| {
                    c.delete_route().api_id(api).route_id(&id).send()
                })
                .await?
            }
            Kind::Api | Kind::StageV2 | rest_kinds!() | estate_kinds!() => {}
        }
        if let Some(ids) = self.ids(d.kind) {
            ids.remove(key);
        }
        Ok(())
    }

    /// The target's id of the item an update names, if the target holds it.
    fn known(&mut self, d: &Difference) -> Option<String> {
        let update = matches!(d.change, Change::Update { .. });
        update.then(|| self.ids(d.kind)?.get(&d.key).cloned())?
    }

    /// Updates the item `key` where the target holds it (`known`), else creates it (`find`:
    /// what an attempt made, after a lost reply). Its target id.
    async fn upsert<UO, UE, U, UF, CO, CE, C, CF, F, FF>(
        &self,
        key: &str,
        known: Option<String>,
        (update_op, update): (&'static str, U),
        (create_op, create, pick): Create<C, CO>,
        find: F,
    ) -> Result<String>
    where
        U: Fn(&Client, &str, &str) -> UF,
        UF: Future<Output = Sent<UO, UE>>,
        UE: OpError,
        C: Fn(&Client, &str) -> CF,
        CF: Future<Output = Sent<CO, CE>>,
        CE: OpError,
        F: FnMut() -> FF,
        FF: Future<Output = Result<Option<String>>>,
    {
        let at = self.scope();
        if let Some(id) = known {
            at.call(update_op, key, |c, api| update(c, api, &id))
                .await?;
            return Ok(id);
        }
        at.create(
            create_op,
            key,
            create,
            |out| pick(out).unwrap_or_default(),
            find,
        )
        .await
    }

    async fn model(&mut self, d: &Difference, desired: &ApiSnapshot) -> Result<()> {
        let key = d.key.as_str();
        let m = item(&desired.models, d, |m| m.name == key)?;
        let known = self.known(d);
        let id = self
            .upsert(
                key,
                known,
                ("UpdateModel", |c, api, id| {
                    model_fields!(c.update_model().api_id(api).model_id(id), m).send()
                }),
                (
                    "CreateModel",
                    |c, api| model_fields!(c.create_model().api_id(api), m).send(),
                    |out| out.model_id,
                ),
                || async {
                    let all = list!(self, "GetModels", self.at.client.get_models())?;
                    Ok(named(all, key, |x| (x.name, x.model_id)))
                },
            )
            .await?;
        self.models.insert(key.to_string(), id);
        Ok(())
    }

    async fn authorizer(&mut self, d: &Difference, desired: &ApiSnapshot) -> Result<()> {
        let key = d.key.as_str();
        let a = item(&desired.authorizers, d, |a| a.name == key)?;
        let known = self.known(d);
        let id = self
            .upsert(
                key,
                known,
                ("UpdateAuthorizer", |c, api, id| {
                    authorizer_fields!(c.update_authorizer().api_id(api).authorizer_id(id), a)
                        .send()
                }),
                (
                    "CreateAuthorizer",
                    |c, api| authorizer_fields!(c.create_authorizer().api_id(api), a).send(),
                    |out| out.authorizer_id,
                ),
                || async {
                    let all = list!(self, "GetAuthorizers", self.at.client.get_authorizers())?;
                    Ok(named(all, key, |x| (x.name, x.authorizer_id)))
                },
            )
            .await?;
        self.authorizers.insert(key.to_string(), id);
        Ok(())
    }

    async fn integration(&mut self, d: &Difference, desired: &ApiSnapshot) -> Result<()> {
        let key = d.key.as_str();
        let keys = desired.integration_keys();
        let i = item(&desired.integrations, d, |i| {
            keys.get(&i.integration_id).map(String::as_str) == Some(key)
        })?;
        // An integration has no name: one this API does not know yet with the same type, URI
        // and method is what the attempt made.
        let held = self.known(d);
        let known: Vec<&String> = self.integrations.values().collect();
        let id = self
            .upsert(
                key,
                held,
                ("UpdateIntegration", |c, api, id| {
                    // An update leaves out what it is not given: a description the point
                    // lacks is cleared by sending it empty.
                    integration_fields!(c.update_integration().api_id(api).integration_id(id), i)
                        .set_description(Some(i.description.clone().unwrap_or_default()))
                        .send()
                }),
                (
                    "CreateIntegration",
                    |c, api| integration_fields!(c.create_integration().api_id(api), i).send(),
                    |out| out.integration_id,
                ),
                || async {
                    let all = list!(self, "GetIntegrations", self.at.client.get_integrations())?;
                    Ok(all
                        .into_iter()
                        .find(|x| {
                            x.integration_id
                                .as_ref()
                                .is_some_and(|id| !known.contains(&id))
                                && x.integration_type().map(|t| t.as_str())
                                    == i.integration_type.as_deref()
                                && x.integration_uri() == i.integration_uri.as_deref()
                                && x.integration_method() == i.integration_method.as_deref()
                        })
                        .and_then(|x| x.integration_id))
                },
            )
            .await?;
        self.integrations.insert(key.to_string(), id.clone());
        self.sync_integration_responses(key, &id, i).await
    }

    async fn route(&mut self, d: &Difference, desired: &ApiSnapshot) -> Result<()> {
        let key = d.key.as_str();
        let r = item(&desired.routes, d, |r| r.route_key == key)?;
        let target = match r.integration_id() {
            None => r.target.clone(),
            Some(source) => {
                let keys = desired.integration_keys();
                let ikey = keys.get(source).cloned().unwrap_or_default();
                let id = self.integrations.get(&ikey).ok_or_else(|| {
                    Error::NotFound(format!(
                        "route {key} targets integration {ikey}, which was not restored"
                    ))
                })?;
                Some(format!("{}{id}", v2::TARGET_PREFIX))
            }
        };
        let authorizer = match &r.authorizer_id {
            None => None,
            Some(source) => {
                let name = desired
                    .authorizers
                    .iter()
                    .find(|a| &a.authorizer_id == source)
                    .map(|a| a.name.clone())
                    .unwrap_or_default();
                Some(self.authorizers.get(&name).cloned().ok_or_else(|| {
                    Error::NotFound(format!(
                        "route {key} uses authorizer '{name}', which was not restored"
                    ))
                })?)
            }
        };
        let known = self.known(d);
        let id = self
            .upsert(
                key,
                known,
                ("UpdateRoute", |c, api, id| {
                    route_fields!(
                        c.update_route().api_id(api).route_id(id),
                        r,
                        target.clone(),
                        authorizer.clone()
                    )
                    .send()
                }),
                (
                    "CreateRoute",
                    |c, api| {
                        route_fields!(
                            c.create_route().api_id(api),
                            r,
                            target.clone(),
                            authorizer.clone()
                        )
                        .send()
                    },
                    |out| out.route_id,
                ),
                || async {
                    let all = list!(self, "GetRoutes", self.at.client.get_routes())?;
                    Ok(named(all, key, |x| (x.route_key, x.route_id)))
                },
            )
            .await?;
        self.routes.insert(key.to_string(), id.clone());
        self.sync_route_responses(key, &id, r).await
    }

    async fn stage(&mut self, d: &Difference, desired: &ApiSnapshot) -> Result<()> {
        let key = d.key.as_str();
        let at = self.scope();
        if d.change == Change::Delete {
            return at
                .call("DeleteStage", key, |c, api| {
                    c.delete_stage().api_id(api).stage_name(key).send()
                })
                .await;
        }
        let s = item(&desired.stages, d, |s| s.stage_name == key)?;
        if d.change != Change::Create {
            return at
                .call("UpdateStage", key, |c, api| {
                    stage_fields!(c.update_stage().api_id(api), s).send()
                })
                .await;
        }
        let tags = hm(&s.tags);
        let what = format!("stage {key} of API {}", self.at.api_id);
        at.create(
            "CreateStage",
            key,
            |c, api| {
                stage_fields!(c.create_stage().api_id(api), s)
                    .set_tags(tags.clone())
                    .send()
            },
            drop,
            || async {
                let got = at
                    .get("GetStage", &what, |c, api| {
                        c.get_stage().api_id(api).stage_name(key).send()
                    })
                    .await?;
                Ok(got.map(drop))
            },
        )
        .await
    }

    /// Makes the integration's responses those of `i`: create, update, delete by key.
    async fn sync_integration_responses(
        &mut self,
        key: &str,
        id: &str,
        i: &v2::Integration,
    ) -> Result<()> {
        sync_responses!(
            self.integration_responses,
            key,
            &i.integration_responses,
            integration_id(id),
            integration_response_key,
            integration_response_id,
            integration_response_fields,
            [
                update_integration_response("UpdateIntegrationResponse"),
                create_integration_response("CreateIntegrationResponse"),
                get_integration_responses("GetIntegrationResponses"),
                delete_integration_response("DeleteIntegrationResponse"),
            ]
        )
    }

    /// Makes the route's responses those of `r`.
    async fn sync_route_responses(&mut self, key: &str, id: &str, r: &v2::Route) -> Result<()> {
        sync_responses!(
            self.route_responses,
            key,
            &r.route_responses,
            route_id(id),
            route_response_key,
            route_response_id,
            route_response_fields,
            [
                update_route_response("UpdateRouteResponse"),
                create_route_response("CreateRouteResponse"),
                get_route_responses("GetRouteResponses"),
                delete_route_response("DeleteRouteResponse"),
            ]
        )
    }

    /// Deploys the API to `stage` (for stages that do not deploy themselves).
    pub async fn deploy(&self, stage: &str, marker: &str) -> Result<()> {
        let what = format!("the deployment of stage {stage} of API {}", self.at.api_id);
        let at = self.scope();
        at.create(
            "CreateDeployment",
            stage,
            |c, api| {
                c.create_deployment()
                    .api_id(api)
                    .stage_name(stage)
                    .description(marker)
                    .send()
            },
            drop,
            // The deployment the stage serves, if it is this job's (its description).
            || async {
                let Some(st) = at
                    .get("GetStage", &what, |c, api| {
                        c.get_stage().api_id(api).stage_name(stage).send()
                    })
                    .await?
                else {
                    return Ok(None);
                };
                let Some(dep) = st.deployment_id else {
                    return Ok(None);
                };
                let got = at
                    .get("GetDeployment", &what, |c, api| {
                        c.get_deployment().api_id(api).deployment_id(&dep).send()
                    })
                    .await?;
                Ok(got.filter(|d| d.description() == Some(marker)).map(drop))
            },
        )
        .await
    }
}

/// The point's item a difference names.
fn item<'d, T>(items: &'d [T], d: &Difference, is: impl Fn(&T) -> bool) -> Result<&'d T> {
    items
        .iter()
        .find(|x| is(x))
        .ok_or_else(|| Error::Integrity(format!("{} {} is not in the desired API", d.kind, d.key)))
}

/// What moto cannot show, at the HTTP layer (aws-smithy-mocks through the real client
/// configuration): UpdateStage, CreateDeployment, a look-alike's missing operation, and the
/// references a created route carries.
#[cfg(test)]
mod tests {
    use super::super::compare::compare;
    use aws_sdk_apigatewayv2::operation::create_deployment::CreateDeploymentOutput;
    use aws_sdk_apigatewayv2::operation::create_route::CreateRouteOutput;
    use aws_sdk_apigatewayv2::operation::update_stage::UpdateStageOutput;
    use aws_smithy_mocks::{Rule, mock};

    use super::*;
    use crate::capture::mocks;

    fn client(rules: &[Rule]) -> Client {
        Client::from_conf(
            crate::capture::v2::client_config(&mocks::sdk())
                .interceptor(mocks::interceptor(rules))
                .build(),
        )
    }

    /// The target as captured: one integration (`GET /a`), one authorizer, one stage.
    fn current() -> ApiSnapshot {
        ApiSnapshot {
            api: v2::Api {
                api_id: "tgt".into(),
                name: "orders".into(),
                protocol_type: "HTTP".into(),
                ..Default::default()
            },
            integrations: vec![v2::Integration {
                integration_id: "int-t".into(),
                ..Default::default()
            }],
            routes: vec![v2::Route {
                route_id: "r-t".into(),
                route_key: "GET /a".into(),
                target: Some("integrations/int-t".into()),
                ..Default::default()
            }],
            authorizers: vec![v2::Authorizer {
                authorizer_id: "auth-t".into(),
                name: "cognito".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    /// The point's API: the same integration and authorizer under source ids, and a new route.
    fn desired() -> ApiSnapshot {
        let mut stage = v2::Stage {
            stage_name: "prod".into(),
            ..Default::default()
        };
        stage
            .stage_variables
            .insert("backend".into(), "prod".into());
        ApiSnapshot {
            api: v2::Api {
                api_id: "src".into(),
                name: "orders".into(),
                protocol_type: "HTTP".into(),
                ..Default::default()
            },
            integrations: vec![v2::Integration {
                integration_id: "int-s".into(),
                ..Default::default()
            }],
            routes: vec![
                v2::Route {
                    route_id: "r-s".into(),
                    route_key: "GET /a".into(),
                    target: Some("integrations/int-s".into()),
                    ..Default::default()
                },
                v2::Route {
                    route_id: "r-s2".into(),
                    route_key: "GET /b".into(),
                    target: Some("integrations/int-s".into()),
                    authorization_type: Some("JWT".into()),
                    authorizer_id: Some("auth-s".into()),
                    ..Default::default()
                },
            ],
            authorizers: vec![v2::Authorizer {
                authorizer_id: "auth-s".into(),
                name: "cognito".into(),
                ..Default::default()
            }],
            stages: vec![stage],
            ..Default::default()
        }
    }

    fn step(kind: Kind, key: &str, change: Change) -> Difference {
        Difference::new(kind, key, change)
    }

    #[test]
    fn routes_compare_by_what_they_point_at_not_by_id() {
        let d = desired();
        let diffs = compare(&d, Some(&current()));
        let kinds: Vec<(Kind, &str)> = diffs.iter().map(|d| (d.kind, d.key.as_str())).collect();
        // The integration and the authorizer are the same; route GET /b and the stage are new.
        assert_eq!(kinds, [(Kind::Route, "GET /b"), (Kind::StageV2, "prod")]);
    }

    #[test]
    fn a_route_key_held_twice_is_a_duplicate() {
        let mut target = current();
        let mut twin = target.routes[0].clone();
        twin.route_id = "r-twin".into();
        let key = twin.route_key.clone();
        let first = target.routes[0].route_id.clone();
        target.routes.push(twin);
        let dups: Vec<Difference> = compare(&current(), Some(&target))
            .into_iter()
            .filter(|d| d.is_duplicate())
            .collect();
        assert_eq!(dups.len(), 1, "{dups:?}");
        assert_eq!(
            (dups[0].kind, dups[0].key.as_str()),
            (Kind::Route, key.as_str())
        );
        assert_eq!(
            dups[0].change,
            Change::Duplicate {
                ids: vec![first, "r-twin".into()]
            }
        );
    }

    #[tokio::test]
    async fn a_new_route_points_at_the_restored_integration_and_authorizer() {
        let create = mock!(Client::create_route)
            .match_requests(|r| {
                r.api_id() == Some("tgt")
                    && r.route_key() == Some("GET /b")
                    && r.target() == Some("integrations/int-t")
                    && r.authorizer_id() == Some("auth-t")
                    && r.authorization_type() == Some(&t::AuthorizationType::Jwt)
            })
            .then_output(|| CreateRouteOutput::builder().route_id("r-new").build());
        let c = client(std::slice::from_ref(&create));
        let pacer = Pacer::for_tests();
        let mut a = ApplierV2::new(&c, &pacer, &current());
        a.apply(&step(Kind::Route, "GET /b", Change::Create), &desired())
            .await
            .unwrap();
        assert_eq!(create.num_calls(), 1);
        assert_eq!(a.routes.get("GET /b").map(String::as_str), Some("r-new"));
    }

    #[tokio::test]
    async fn a_changed_stage_is_updated_and_deployed() {
        let update = mock!(Client::update_stage)
            .match_requests(|r| {
                r.api_id() == Some("tgt")
                    && r.stage_name() == Some("prod")
                    && r.auto_deploy() == Some(false)
                    && r.stage_variables()
                        .is_some_and(|v| v.get("backend").map(String::as_str) == Some("prod"))
            })
            .then_output(|| UpdateStageOutput::builder().stage_name("prod").build());
        let deploy = mock!(Client::create_deployment)
            .match_requests(|r| {
                r.api_id() == Some("tgt")
                    && r.stage_name() == Some("prod")
                    && r.description() == Some("apigw-dr restore of point abc")
            })
            .then_output(|| {
                CreateDeploymentOutput::builder()
                    .deployment_id("d1")
                    .build()
            });
        let c = client(&[update.clone(), deploy.clone()]);
        let pacer = Pacer::for_tests();
        let mut a = ApplierV2::new(&c, &pacer, &current());
        let fields = Change::Update {
            fields: vec!["stageVariables".into()],
        };
        a.apply(&step(Kind::StageV2, "prod", fields), &desired())
            .await
            .unwrap();
        a.deploy("prod", "apigw-dr restore of point abc")
            .await
            .unwrap();
        assert_eq!((update.num_calls(), deploy.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_missing_operation_of_a_look_alike_is_unimplemented_and_an_aws_error_is_not() {
        let html = mocks::html(404);
        let missing = mock!(Client::create_deployment)
            .match_requests(|r| r.stage_name() == Some("prod"))
            .sequence()
            .http_status(404, html)
            .build();
        let refused = mock!(Client::create_deployment)
            .match_requests(|r| r.stage_name() == Some("beta"))
            .sequence()
            .http_status(400, mocks::error_body("BadRequestException", "no routes"))
            .build();
        let c = client(&[missing.clone(), refused.clone()]);
        let pacer = Pacer::for_tests();
        let a = ApplierV2::new(&c, &pacer, &current());
        let e = a.deploy("prod", "m").await.unwrap_err();
        assert!(matches!(e, Error::Unimplemented(_)), "{e:?}");
        let e = a.deploy("beta", "m").await.unwrap_err();
        assert!(
            matches!(&e, Error::Aws(m) if m.contains("no routes") && m.contains("CreateDeployment")),
            "{e:?}"
        );
    }
}
