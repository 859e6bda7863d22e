//! SDK types -> the project's model. The only place that knows both.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_apigateway::types as sdk;

use crate::model::v1::*;
use crate::time::from_sdk;

/// An SDK map as the model's sorted map (absent: empty).
pub(super) fn tree<V: Clone>(m: &Option<HashMap<String, V>>) -> BTreeMap<String, V> {
    m.iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// An SDK time as the model keeps it (RFC 3339).
pub(super) fn date(d: &Option<aws_smithy_types::DateTime>) -> Option<String> {
    d.as_ref().map(from_sdk)
}

pub(crate) fn rest_api(a: &sdk::RestApi) -> RestApi {
    RestApi {
        id: a.id.clone().unwrap_or_default(),
        name: a.name.clone().unwrap_or_default(),
        description: a.description.clone(),
        version: a.version.clone(),
        created_date: date(&a.created_date),
        api_key_source: a.api_key_source.as_ref().map(|v| v.as_str().to_string()),
        binary_media_types: a.binary_media_types.clone().unwrap_or_default(),
        minimum_compression_size: a.minimum_compression_size,
        endpoint_configuration: a
            .endpoint_configuration
            .as_ref()
            .map(|e| EndpointConfiguration {
                types: e.types().iter().map(|t| t.as_str().to_string()).collect(),
                vpc_endpoint_ids: e.vpc_endpoint_ids().to_vec(),
                ip_address_type: e.ip_address_type.as_ref().map(|v| v.as_str().to_string()),
            }),
        policy: a.policy.clone(),
        tags: tree(&a.tags),
        disable_execute_api_endpoint: a.disable_execute_api_endpoint,
        root_resource_id: a.root_resource_id.clone(),
        security_policy: a.security_policy.as_ref().map(|v| v.as_str().to_string()),
        endpoint_access_mode: a
            .endpoint_access_mode
            .as_ref()
            .map(|v| v.as_str().to_string()),
    }
}

/// A resource (from GetResources with `embed=methods`) and its methods.
pub(crate) fn resource(r: &sdk::Resource) -> (Resource, Vec<Method>) {
    let res = Resource {
        id: r.id.clone().unwrap_or_default(),
        parent_id: r.parent_id.clone(),
        path: r.path.clone().unwrap_or_default(),
        path_part: r.path_part.clone(),
    };
    let methods = r
        .resource_methods
        .iter()
        .flatten()
        .map(|(verb, m)| method(&res, verb, m))
        .collect();
    (res, methods)
}

fn method(r: &Resource, verb: &str, m: &sdk::Method) -> Method {
    Method {
        resource_id: r.id.clone(),
        path: r.path.clone(),
        http_method: m.http_method.clone().unwrap_or_else(|| verb.to_string()),
        authorization_type: m.authorization_type.clone(),
        authorizer_id: m.authorizer_id.clone(),
        api_key_required: m.api_key_required,
        request_validator_id: m.request_validator_id.clone(),
        operation_name: m.operation_name.clone(),
        request_parameters: tree(&m.request_parameters),
        request_models: tree(&m.request_models),
        authorization_scopes: m.authorization_scopes.clone().unwrap_or_default(),
        method_responses: m
            .method_responses
            .iter()
            .flatten()
            .map(|(code, mr)| {
                let v = MethodResponse {
                    status_code: mr.status_code.clone().unwrap_or_else(|| code.clone()),
                    response_parameters: tree(&mr.response_parameters),
                    response_models: tree(&mr.response_models),
                };
                (code.clone(), v)
            })
            .collect(),
        method_integration: m.method_integration.as_ref().map(integration),
    }
}

fn integration(i: &sdk::Integration) -> Integration {
    Integration {
        integration_type: i.r#type.as_ref().map(|v| v.as_str().to_string()),
        http_method: i.http_method.clone(),
        uri: i.uri.clone(),
        connection_type: i.connection_type.as_ref().map(|v| v.as_str().to_string()),
        connection_id: i.connection_id.clone(),
        credentials: i.credentials.clone(),
        request_parameters: tree(&i.request_parameters),
        request_templates: tree(&i.request_templates),
        passthrough_behavior: i.passthrough_behavior.clone(),
        content_handling: i.content_handling.as_ref().map(|v| v.as_str().to_string()),
        timeout_in_millis: i.timeout_in_millis,
        cache_namespace: i.cache_namespace.clone(),
        cache_key_parameters: i.cache_key_parameters.clone().unwrap_or_default(),
        tls_config: i.tls_config.as_ref().map(|t| TlsConfig {
            insecure_skip_verification: t.insecure_skip_verification,
        }),
        response_transfer_mode: i
            .response_transfer_mode
            .as_ref()
            .map(|v| v.as_str().to_string()),
        integration_target: i.integration_target.clone(),
        integration_responses: i
            .integration_responses
            .iter()
            .flatten()
            .map(|(code, r)| {
                let v = IntegrationResponse {
                    status_code: r.status_code.clone().unwrap_or_else(|| code.clone()),
                    selection_pattern: r.selection_pattern.clone(),
                    response_parameters: tree(&r.response_parameters),
                    response_templates: tree(&r.response_templates),
                    content_handling: r.content_handling.as_ref().map(|v| v.as_str().to_string()),
                };
                (code.clone(), v)
            })
            .collect(),
    }
}

pub(crate) fn authorizer(a: &sdk::Authorizer) -> Authorizer {
    Authorizer {
        id: a.id.clone().unwrap_or_default(),
        name: a.name.clone().unwrap_or_default(),
        authorizer_type: a.r#type.as_ref().map(|v| v.as_str().to_string()),
        provider_arns: a.provider_arns.clone().unwrap_or_default(),
        auth_type: a.auth_type.clone(),
        authorizer_uri: a.authorizer_uri.clone(),
        authorizer_credentials: a.authorizer_credentials.clone(),
        identity_source: a.identity_source.clone(),
        identity_validation_expression: a.identity_validation_expression.clone(),
        authorizer_result_ttl_in_seconds: a.authorizer_result_ttl_in_seconds,
    }
}

pub(crate) fn model(m: &sdk::Model) -> Model {
    Model {
        id: m.id.clone().unwrap_or_default(),
        name: m.name.clone().unwrap_or_default(),
        description: m.description.clone(),
        schema: m.schema.clone(),
        content_type: m.content_type.clone(),
    }
}

pub(crate) fn request_validator(v: &sdk::RequestValidator) -> RequestValidator {
    RequestValidator {
        id: v.id.clone().unwrap_or_default(),
        name: v.name.clone().unwrap_or_default(),
        validate_request_body: v.validate_request_body,
        validate_request_parameters: v.validate_request_parameters,
    }
}

pub(crate) fn gateway_response(g: &sdk::GatewayResponse) -> GatewayResponse {
    GatewayResponse {
        response_type: g
            .response_type
            .as_ref()
            .map(|v| v.as_str().to_string())
            .unwrap_or_default(),
        status_code: g.status_code.clone(),
        response_parameters: tree(&g.response_parameters),
        response_templates: tree(&g.response_templates),
        default_response: g.default_response,
    }
}

pub(crate) fn documentation_part(d: &sdk::DocumentationPart) -> DocumentationPart {
    DocumentationPart {
        id: d.id.clone().unwrap_or_default(),
        location: d
            .location
            .as_ref()
            .map(|l| DocumentationPartLocation {
                location_type: l.r#type.as_str().to_string(),
                path: l.path.clone(),
                method: l.method.clone(),
                status_code: l.status_code.clone(),
                name: l.name.clone(),
            })
            .unwrap_or_default(),
        properties: d.properties.clone(),
    }
}

pub(crate) fn documentation_version(d: &sdk::DocumentationVersion) -> DocumentationVersion {
    DocumentationVersion {
        version: d.version.clone().unwrap_or_default(),
        created_date: date(&d.created_date),
        description: d.description.clone(),
    }
}

pub(crate) fn deployment(d: &sdk::Deployment) -> Deployment {
    Deployment {
        id: d.id.clone().unwrap_or_default(),
        description: d.description.clone(),
        created_date: date(&d.created_date),
        api_summary: d
            .api_summary
            .iter()
            .flatten()
            .map(|(path, verbs)| {
                let verbs = verbs
                    .iter()
                    .map(|(verb, s)| {
                        let v = MethodSnapshot {
                            authorization_type: s.authorization_type.clone(),
                            api_key_required: s.api_key_required,
                        };
                        (verb.clone(), v)
                    })
                    .collect();
                (path.clone(), verbs)
            })
            .collect(),
    }
}

pub(crate) fn stage(s: &sdk::Stage) -> Stage {
    Stage {
        stage_name: s.stage_name.clone().unwrap_or_default(),
        deployment_id: s.deployment_id.clone(),
        description: s.description.clone(),
        cache_cluster_enabled: s.cache_cluster_enabled,
        cache_cluster_size: s
            .cache_cluster_size
            .as_ref()
            .map(|v| v.as_str().to_string()),
        method_settings: s
            .method_settings
            .iter()
            .flatten()
            .map(|(k, m)| (k.clone(), method_setting(m)))
            .collect(),
        variables: tree(&s.variables),
        documentation_version: s.documentation_version.clone(),
        access_log_settings: s.access_log_settings.as_ref().map(|a| AccessLogSettings {
            format: a.format.clone(),
            destination_arn: a.destination_arn.clone(),
        }),
        canary_settings: s.canary_settings.as_ref().map(|c| CanarySettings {
            percent_traffic: c.percent_traffic,
            deployment_id: c.deployment_id.clone(),
            stage_variable_overrides: tree(&c.stage_variable_overrides),
            use_stage_cache: c.use_stage_cache,
        }),
        tracing_enabled: s.tracing_enabled,
        web_acl_arn: s.web_acl_arn.clone(),
        client_certificate_id: s.client_certificate_id.clone(),
        tags: tree(&s.tags),
        created_date: date(&s.created_date),
        last_updated_date: date(&s.last_updated_date),
    }
}

fn method_setting(m: &sdk::MethodSetting) -> MethodSetting {
    MethodSetting {
        metrics_enabled: m.metrics_enabled,
        logging_level: m.logging_level.clone(),
        data_trace_enabled: m.data_trace_enabled,
        throttling_burst_limit: m.throttling_burst_limit,
        throttling_rate_limit: m.throttling_rate_limit,
        caching_enabled: m.caching_enabled,
        cache_ttl_in_seconds: m.cache_ttl_in_seconds,
        cache_data_encrypted: m.cache_data_encrypted,
        require_authorization_for_cache_control: m.require_authorization_for_cache_control,
        unauthorized_cache_control_header_strategy: m
            .unauthorized_cache_control_header_strategy
            .as_ref()
            .map(|v| v.as_str().to_string()),
    }
}
