//! Capture of HTTP and WebSocket APIs (API Gateway v2) into [`crate::model::v2`], every call
//! through one [`Pacer`].
//!
//! GetApis lists the APIs (with their tags and CORS settings). Per API: GetRoutes,
//! GetIntegrations, GetAuthorizers, GetModels, GetStages and GetDeployments, all at the same time
//! and each paged by `NextToken` (one call per 500 items). WebSocket APIs add GetRouteResponses
//! per route and GetIntegrationResponses per integration; HTTP APIs have neither, so those calls
//! are not made for them. An HTTP API therefore costs 6 calls, a WebSocket API 6 + routes +
//! integrations.
//!
//! Gaps of AWS look-alikes (moto 5.2.5, see docs/moto-notes in the project's shared docs):
//! GetAuthorizers, GetModels and GetRouteResponses answer 500 and GetDeployments 404, with an
//! HTML body that carries no AWS error code. Such an answer to one of those list calls is taken
//! as "not implemented here" after one attempt (not retried), and the list as empty; where
//! GetAuthorizers is missing, the authorizers the routes name are read one by one with
//! GetAuthorizer instead. AWS itself always answers with an error code, so on AWS these stay
//! errors (and 5xx are retried).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU16, Ordering};

use aws_sdk_apigatewayv2::Client;
use aws_sdk_apigatewayv2::config::retry::RetryConfig;
use aws_sdk_apigatewayv2::types as sdk;

use super::convert::{date, tree};
use super::{Gaps, is_not_found, or_gap, paged, run_bounded};
use crate::Result;
use crate::awsconf::sdk_error;
use crate::model::Gap;
use crate::model::v2::{self, ApiSnapshot};
use crate::pacing::Pacer;

use super::PAGE_V2 as PAGE;

/// How many APIs are read at the same time (see the v1 capture's `APIS_AT_ONCE`).
const APIS_AT_ONCE: usize = 4;

/// Kinds of gaps for what is kept inside routes and integrations.
const KIND_ROUTE_RESPONSE: &str = "RouteResponse";
const KIND_INTEGRATION_RESPONSE: &str = "IntegrationResponse";

/// How many per-route or per-integration reads of one WebSocket API are in flight at once.
const CHILDREN_AT_ONCE: usize = 8;

/// The client configuration for API Gateway v2: the shared SDK configuration with the SDK's own
/// retries turned off, because every call goes through a [`Pacer`], which paces and retries.
pub fn client_config(sdk: &aws_config::SdkConfig) -> aws_sdk_apigatewayv2::config::Builder {
    aws_sdk_apigatewayv2::config::Builder::from(sdk).retry_config(RetryConfig::disabled())
}

/// An API Gateway v2 client without SDK retries (see [`client_config`]).
pub fn client(sdk: &aws_config::SdkConfig) -> Client {
    Client::from_conf(client_config(sdk).build())
}

/// Every HTTP and WebSocket API of the account and Region as `(id, name, protocol)` (protocol
/// `HTTP` or `WEBSOCKET`), in the order AWS lists them.
pub async fn list_apis(client: &Client, pacer: &Pacer) -> Result<Vec<(String, String, String)>> {
    Ok(get_apis(client, pacer)
        .await?
        .into_iter()
        .map(|a| {
            (
                a.api_id.unwrap_or_default(),
                a.name.unwrap_or_default(),
                a.protocol_type
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect())
}

pub(crate) async fn get_apis(client: &Client, pacer: &Pacer) -> Result<Vec<sdk::Api>> {
    paged(pacer, "GetApis", |token| {
        let req = client.get_apis().max_results(PAGE).set_next_token(token);
        async move {
            req.send()
                .await
                .map(|o| (o.items.unwrap_or_default(), o.next_token))
        }
    })
    .await
    .map_err(|e| sdk_error("listing HTTP and WebSocket APIs (GetApis)", e))
}

/// Captures the selected HTTP and WebSocket APIs, sorted by name then id, each in canonical
/// order.
///
/// `select` empty means every API; otherwise each entry selects the API whose id is exactly
/// that, or every API whose name is exactly that. An entry that selects nothing is
/// [`Error::NotFound`]. `progress` gets one short line per API captured. With `select` empty, an
/// API deleted between the listing and its capture is left out; one selected by id or name that
/// disappears is an error.
///
/// (A caller that captures REST and v2 APIs with one selection should check the selection
/// against both listings; this function only knows v2 APIs.)
pub async fn capture_apis(
    client: &Client,
    pacer: &Pacer,
    select: &[String],
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<Vec<ApiSnapshot>> {
    capture_apis_with_gaps(client, pacer, select, progress, &Gaps::strict()).await
}

/// [`capture_apis`], recording in `gaps` what the source did not serve or answered unreadably
/// (taken as none).
pub async fn capture_apis_with_gaps(
    client: &Client,
    pacer: &Pacer,
    select: &[String],
    progress: &(dyn Fn(String) + Send + Sync),
    gaps: &Gaps,
) -> Result<Vec<ApiSnapshot>> {
    let all = get_apis(client, pacer).await?;
    let listed = all.len();
    let chosen = super::choose(
        all,
        select,
        |a| (a.api_id(), a.name()),
        "HTTP or WebSocket API",
        "`aws apigatewayv2 get-apis --query 'Items[].[ApiId,Name]'`",
    )?;
    tracing::info!(
        listed,
        selected = chosen.len(),
        "capturing HTTP and WebSocket APIs"
    );
    let skip_if_gone = select.is_empty();
    let jobs: Vec<_> = chosen
        .iter()
        .map(|api| capture_one(client, pacer, api, skip_if_gone, progress, gaps))
        .collect();
    let mut out = Vec::new();
    for r in run_bounded(jobs, APIS_AT_ONCE).await {
        if let Some(s) = r? {
            out.push(s);
        }
    }
    v2::sort_apis(&mut out);
    Ok(out)
}

/// Reads one API's contents. `None` when the API was deleted meanwhile and `skip_if_gone` is set.
async fn capture_one(
    client: &Client,
    pacer: &Pacer,
    api: &sdk::Api,
    skip_if_gone: bool,
    progress: &(dyn Fn(String) + Send + Sync),
    gaps: &Gaps,
) -> Result<Option<ApiSnapshot>> {
    let id = api.api_id().unwrap_or_default();
    let name = api.name().unwrap_or_default();
    let websocket = api.protocol_type() == Some(&sdk::ProtocolType::Websocket);
    let what = |op: &str| format!("reading API {id} '{name}' ({op})");

    // Every list operation of an API has the same shape: MaxResults, NextToken, Items. With a
    // `gap` flag, a look-alike's "not implemented" reads as an empty list (module doc).
    macro_rules! list {
        ($op:literal, $call:ident $(, $extra:ident($arg:expr))* $(; gap $gap:expr)?) => {
            paged(pacer, $op, move |token| {
                let req = client
                    .$call()
                    .api_id(id)
                    $(.$extra($arg))*
                    .max_results(PAGE)
                    .set_next_token(token);
                async move {
                    let r = req
                        .send()
                        .await
                        .map(|o| (o.items.unwrap_or_default(), o.next_token));
                    $(let r = or_gap(r, $gap);)?
                    r
                }
            })
        };
    }

    let (authorizers_gap, models_gap, deployments_gap) =
        (AtomicU16::new(0), AtomicU16::new(0), AtomicU16::new(0));
    let (ag, mg, dg) = (&authorizers_gap, &models_gap, &deployments_gap);
    let (routes, integrations, authorizers, models, stages, deployments) = tokio::join!(
        list!("GetRoutes", get_routes),
        list!("GetIntegrations", get_integrations),
        list!("GetAuthorizers", get_authorizers; gap ag),
        list!("GetModels", get_models; gap mg),
        list!("GetStages", get_stages),
        list!("GetDeployments", get_deployments; gap dg),
    );

    let routes = match routes {
        Err(e) if skip_if_gone && is_not_found(&e) => {
            tracing::warn!(api_id = id, name, "API deleted while capturing; left out");
            progress(format!("{name}: deleted while capturing, left out"));
            return Ok(None);
        }
        r => r.map_err(|e| sdk_error(&what("GetRoutes"), e))?,
    };
    // A list whose reply cannot be read is a gap of the point, not the end of the capture.
    let integrations = gaps.or_unreadable(
        integrations,
        v2::KIND_INTEGRATION,
        id,
        "GetIntegrations",
        &what,
    )?;
    let mut authorizers: Vec<v2::Authorizer> = gaps
        .or_unreadable(
            authorizers,
            v2::KIND_AUTHORIZER,
            id,
            "GetAuthorizers",
            &what,
        )?
        .iter()
        .map(authorizer)
        .collect();
    let models = gaps.or_unreadable(models, v2::KIND_MODEL, id, "GetModels", &what)?;
    let stages = gaps.or_unreadable(stages, v2::KIND_STAGE, id, "GetStages", &what)?;
    let deployments = gaps.or_unreadable(
        deployments,
        v2::KIND_DEPLOYMENT,
        id,
        "GetDeployments",
        &what,
    )?;
    let mut lacking = vec![];
    let status = authorizers_gap.load(Ordering::Relaxed);
    if status != 0 {
        lacking.push("GetAuthorizers");
        gaps.push(Gap::new(
            v2::KIND_AUTHORIZER,
            id,
            format!(
                "not served by the source: GetAuthorizers answered {status}; only those the routes name were read, one by one"
            ),
        ));
    }
    gaps.note(&models_gap, v2::KIND_MODEL, id, "GetModels", &mut lacking);
    gaps.note(
        &deployments_gap,
        v2::KIND_DEPLOYMENT,
        id,
        "GetDeployments",
        &mut lacking,
    );

    let mut snap = ApiSnapshot {
        api: convert_api(api),
        routes: routes.iter().map(route).collect(),
        integrations: integrations.iter().map(integration).collect(),
        authorizers: Vec::new(),
        models: models.iter().map(model).collect(),
        stages: stages.iter().map(stage).collect(),
        deployments: deployments.iter().map(deployment).collect(),
    };

    if authorizers_gap.load(Ordering::Relaxed) != 0 {
        // Without GetAuthorizers, read the authorizers the routes name, one by one.
        let wanted: BTreeSet<&str> = snap
            .routes
            .iter()
            .filter_map(|r| r.authorizer_id.as_deref())
            .collect();
        let reads: Vec<_> = wanted
            .into_iter()
            .map(|a| {
                pacer.call("GetAuthorizer", move || {
                    client.get_authorizer().api_id(id).authorizer_id(a).send()
                })
            })
            .collect();
        for r in run_bounded(reads, CHILDREN_AT_ONCE).await {
            let o = r.map_err(|e| sdk_error(&what("GetAuthorizer"), e))?;
            authorizers.push(v2::Authorizer {
                authorizer_id: o.authorizer_id.clone().unwrap_or_default(),
                name: o.name.clone().unwrap_or_default(),
                authorizer_type: o.authorizer_type.as_ref().map(|t| t.as_str().to_string()),
                jwt_configuration: o.jwt_configuration.as_ref().map(jwt),
                authorizer_uri: o.authorizer_uri.clone(),
                authorizer_credentials_arn: o.authorizer_credentials_arn.clone(),
                authorizer_payload_format_version: o.authorizer_payload_format_version.clone(),
                authorizer_result_ttl_in_seconds: o.authorizer_result_ttl_in_seconds,
                enable_simple_responses: o.enable_simple_responses.unwrap_or(false),
                identity_source: o.identity_source.clone().unwrap_or_default(),
                identity_validation_expression: o.identity_validation_expression.clone(),
            });
        }
    }
    snap.authorizers = authorizers;

    if websocket {
        let route_gap = AtomicU16::new(0);
        let gap = &route_gap;
        let reads: Vec<_> = snap
            .routes
            .iter()
            .map(|r| {
                let route_id = r.route_id.as_str();
                list!("GetRouteResponses", get_route_responses, route_id(route_id); gap gap)
            })
            .collect();
        let responses = run_bounded(reads, CHILDREN_AT_ONCE).await;
        for (r, got) in snap.routes.iter_mut().zip(responses) {
            let got =
                gaps.or_unreadable(got, KIND_ROUTE_RESPONSE, id, "GetRouteResponses", &what)?;
            r.route_responses = got
                .iter()
                .map(route_response)
                .map(|rr| (rr.route_response_key.clone(), rr))
                .collect();
        }
        gaps.note(
            &route_gap,
            KIND_ROUTE_RESPONSE,
            id,
            "GetRouteResponses",
            &mut lacking,
        );

        let reads: Vec<_> = snap
            .integrations
            .iter()
            .map(|i| {
                let integration_id = i.integration_id.as_str();
                list!(
                    "GetIntegrationResponses",
                    get_integration_responses,
                    integration_id(integration_id)
                )
            })
            .collect();
        let responses = run_bounded(reads, CHILDREN_AT_ONCE).await;
        for (i, got) in snap.integrations.iter_mut().zip(responses) {
            let got = gaps.or_unreadable(
                got,
                KIND_INTEGRATION_RESPONSE,
                id,
                "GetIntegrationResponses",
                &what,
            )?;
            i.integration_responses = got
                .iter()
                .map(integration_response)
                .map(|ir| (ir.integration_response_key.clone(), ir))
                .collect();
        }
    }
    snap.normalize();

    let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    progress(format!(
        "{name} ({}): {}, {}, {}{}",
        snap.api.protocol_type,
        plural(snap.routes.len(), "route"),
        plural(snap.integrations.len(), "integration"),
        plural(snap.stages.len(), "stage"),
        super::lacking_note(&lacking),
    ));
    tracing::debug!(
        api_id = id,
        name,
        objects = snap.object_count(),
        "captured API"
    );
    Ok(Some(snap))
}

// SDK types -> the model.

fn constraints(
    m: &Option<HashMap<String, sdk::ParameterConstraints>>,
) -> BTreeMap<String, v2::ParameterConstraints> {
    m.iter()
        .flatten()
        .map(|(k, c)| {
            let v = v2::ParameterConstraints {
                required: c.required.unwrap_or(false),
            };
            (k.clone(), v)
        })
        .collect()
}

fn convert_api(a: &sdk::Api) -> v2::Api {
    v2::Api {
        api_id: a.api_id.clone().unwrap_or_default(),
        name: a.name.clone().unwrap_or_default(),
        protocol_type: a
            .protocol_type
            .as_ref()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        description: a.description.clone(),
        version: a.version.clone(),
        cors_configuration: a.cors_configuration.as_ref().map(|c| v2::Cors {
            allow_credentials: c.allow_credentials.unwrap_or(false),
            allow_headers: c.allow_headers.clone().unwrap_or_default(),
            allow_methods: c.allow_methods.clone().unwrap_or_default(),
            allow_origins: c.allow_origins.clone().unwrap_or_default(),
            expose_headers: c.expose_headers.clone().unwrap_or_default(),
            max_age: c.max_age,
        }),
        route_selection_expression: a.route_selection_expression.clone(),
        api_key_selection_expression: a.api_key_selection_expression.clone(),
        disable_execute_api_endpoint: a.disable_execute_api_endpoint.unwrap_or(false),
        disable_schema_validation: a.disable_schema_validation.unwrap_or(false),
        ip_address_type: a.ip_address_type.as_ref().map(|v| v.as_str().to_string()),
        api_gateway_managed: a.api_gateway_managed.unwrap_or(false),
        tags: tree(&a.tags),
        created_date: date(&a.created_date),
    }
}

fn route(r: &sdk::Route) -> v2::Route {
    v2::Route {
        route_id: r.route_id.clone().unwrap_or_default(),
        route_key: r.route_key.clone().unwrap_or_default(),
        target: r.target.clone(),
        authorization_type: r
            .authorization_type
            .as_ref()
            .map(|v| v.as_str().to_string()),
        authorizer_id: r.authorizer_id.clone(),
        authorization_scopes: r.authorization_scopes.clone().unwrap_or_default(),
        api_key_required: r.api_key_required.unwrap_or(false),
        operation_name: r.operation_name.clone(),
        request_models: tree(&r.request_models),
        request_parameters: constraints(&r.request_parameters),
        model_selection_expression: r.model_selection_expression.clone(),
        route_response_selection_expression: r.route_response_selection_expression.clone(),
        api_gateway_managed: r.api_gateway_managed.unwrap_or(false),
        route_responses: BTreeMap::new(),
    }
}

fn route_response(r: &sdk::RouteResponse) -> v2::RouteResponse {
    v2::RouteResponse {
        route_response_id: r.route_response_id.clone().unwrap_or_default(),
        route_response_key: r.route_response_key.clone().unwrap_or_default(),
        model_selection_expression: r.model_selection_expression.clone(),
        response_models: tree(&r.response_models),
        response_parameters: constraints(&r.response_parameters),
    }
}

fn integration(i: &sdk::Integration) -> v2::Integration {
    v2::Integration {
        integration_id: i.integration_id.clone().unwrap_or_default(),
        integration_type: i.integration_type.as_ref().map(|v| v.as_str().to_string()),
        integration_subtype: i.integration_subtype.clone(),
        integration_uri: i.integration_uri.clone(),
        integration_method: i.integration_method.clone(),
        connection_type: i.connection_type.as_ref().map(|v| v.as_str().to_string()),
        connection_id: i.connection_id.clone(),
        credentials_arn: i.credentials_arn.clone(),
        description: i.description.clone(),
        payload_format_version: i.payload_format_version.clone(),
        timeout_in_millis: i.timeout_in_millis,
        request_parameters: tree(&i.request_parameters),
        request_templates: tree(&i.request_templates),
        response_parameters: i
            .response_parameters
            .iter()
            .flatten()
            .map(|(k, m)| {
                (
                    k.clone(),
                    m.iter().map(|(a, b)| (a.clone(), b.clone())).collect(),
                )
            })
            .collect(),
        template_selection_expression: i.template_selection_expression.clone(),
        integration_response_selection_expression: i
            .integration_response_selection_expression
            .clone(),
        passthrough_behavior: i
            .passthrough_behavior
            .as_ref()
            .map(|v| v.as_str().to_string()),
        content_handling_strategy: i
            .content_handling_strategy
            .as_ref()
            .map(|v| v.as_str().to_string()),
        tls_config: i.tls_config.as_ref().map(|t| v2::TlsConfig {
            server_name_to_verify: t.server_name_to_verify.clone(),
        }),
        api_gateway_managed: i.api_gateway_managed.unwrap_or(false),
        integration_responses: BTreeMap::new(),
    }
}

fn integration_response(r: &sdk::IntegrationResponse) -> v2::IntegrationResponse {
    v2::IntegrationResponse {
        integration_response_id: r.integration_response_id.clone().unwrap_or_default(),
        integration_response_key: r.integration_response_key.clone().unwrap_or_default(),
        content_handling_strategy: r
            .content_handling_strategy
            .as_ref()
            .map(|v| v.as_str().to_string()),
        response_parameters: tree(&r.response_parameters),
        response_templates: tree(&r.response_templates),
        template_selection_expression: r.template_selection_expression.clone(),
    }
}

fn jwt(j: &sdk::JwtConfiguration) -> v2::JwtConfiguration {
    v2::JwtConfiguration {
        audience: j.audience.clone().unwrap_or_default(),
        issuer: j.issuer.clone(),
    }
}

fn authorizer(a: &sdk::Authorizer) -> v2::Authorizer {
    v2::Authorizer {
        authorizer_id: a.authorizer_id.clone().unwrap_or_default(),
        name: a.name.clone().unwrap_or_default(),
        authorizer_type: a.authorizer_type.as_ref().map(|t| t.as_str().to_string()),
        jwt_configuration: a.jwt_configuration.as_ref().map(jwt),
        authorizer_uri: a.authorizer_uri.clone(),
        authorizer_credentials_arn: a.authorizer_credentials_arn.clone(),
        authorizer_payload_format_version: a.authorizer_payload_format_version.clone(),
        authorizer_result_ttl_in_seconds: a.authorizer_result_ttl_in_seconds,
        enable_simple_responses: a.enable_simple_responses.unwrap_or(false),
        identity_source: a.identity_source.clone().unwrap_or_default(),
        identity_validation_expression: a.identity_validation_expression.clone(),
    }
}

fn model(m: &sdk::Model) -> v2::Model {
    v2::Model {
        model_id: m.model_id.clone().unwrap_or_default(),
        name: m.name.clone().unwrap_or_default(),
        content_type: m.content_type.clone(),
        description: m.description.clone(),
        schema: m.schema.clone(),
    }
}

fn route_settings(s: &sdk::RouteSettings) -> v2::RouteSettings {
    v2::RouteSettings {
        data_trace_enabled: s.data_trace_enabled.unwrap_or(false),
        detailed_metrics_enabled: s.detailed_metrics_enabled.unwrap_or(false),
        logging_level: s.logging_level.as_ref().map(|v| v.as_str().to_string()),
        throttling_burst_limit: s.throttling_burst_limit,
        throttling_rate_limit: s.throttling_rate_limit,
    }
}

fn stage(s: &sdk::Stage) -> v2::Stage {
    v2::Stage {
        stage_name: s.stage_name.clone().unwrap_or_default(),
        deployment_id: s.deployment_id.clone(),
        description: s.description.clone(),
        auto_deploy: s.auto_deploy.unwrap_or(false),
        client_certificate_id: s.client_certificate_id.clone(),
        default_route_settings: s.default_route_settings.as_ref().map(route_settings),
        route_settings: s
            .route_settings
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), route_settings(v)))
            .collect(),
        stage_variables: tree(&s.stage_variables),
        access_log_settings: s
            .access_log_settings
            .as_ref()
            .map(|a| v2::AccessLogSettings {
                destination_arn: a.destination_arn.clone(),
                format: a.format.clone(),
            }),
        api_gateway_managed: s.api_gateway_managed.unwrap_or(false),
        tags: tree(&s.tags),
        created_date: date(&s.created_date),
        last_updated_date: date(&s.last_updated_date),
    }
}

fn deployment(d: &sdk::Deployment) -> v2::Deployment {
    v2::Deployment {
        deployment_id: d.deployment_id.clone().unwrap_or_default(),
        description: d.description.clone(),
        auto_deployed: d.auto_deployed.unwrap_or(false),
        created_date: date(&d.created_date),
    }
}

#[cfg(test)]
#[path = "v2_tests.rs"]
mod tests;
