//! Real API Gateway resources created in moto through `aws-sdk-apigateway`.
//!
//! The account the client acts in is found from its credentials ([`crate::account_of_client`]),
//! so the ARNs inside the API (Lambda URIs, the SQS integration's role) are in that account.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use aws_sdk_apigateway::Client;
use aws_sdk_apigateway::types::{
    AuthorizerType, EndpointConfiguration, EndpointType, GatewayResponseType, IntegrationType, Op,
    PatchOperation,
};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What [`sample_rest_api`] created: the ids a test needs to find or change things.
#[derive(Debug, Clone)]
pub struct SampleApi {
    pub api_id: String,
    pub name: String,
    pub region: String,
    pub account: String,
    /// `/`
    pub root_id: String,
    /// `/pets`
    pub pets_id: String,
    /// `/pets/{id}`
    pub pet_id: String,
    /// `/{proxy+}`
    pub proxy_id: String,
    /// `/orders` (the AWS/SQS integration)
    pub orders_id: String,
    /// A method [`change_one_method`] may change: `GET /pets/{id}` (HTTP integration).
    pub method_resource_id: String,
    pub method_verb: String,
    pub token_authorizer_id: String,
    pub request_authorizer_id: String,
    pub cognito_authorizer_id: String,
    pub validator_id: String,
    pub deployment_id: String,
    /// `["prod", "beta"]`
    pub stages: Vec<String>,
    /// Every (resource path, verb) with a method, sorted.
    pub methods: Vec<(String, String)>,
}

/// What [`big_rest_api`] created.
#[derive(Debug, Clone)]
pub struct BigApi {
    pub api_id: String,
    pub name: String,
    /// Resources created, not counting the root.
    pub resources: usize,
    /// Methods created (each with a MOCK integration).
    pub methods: usize,
}

fn region_of(client: &Client) -> Result<String> {
    Ok(client
        .config()
        .region()
        .context("the API Gateway client has no Region")?
        .as_ref()
        .to_string())
}

/// The ARN of a Lambda function's invocation path, as API Gateway integrations use it.
pub fn lambda_invocation_uri(region: &str, account: &str, function: &str) -> String {
    format!(
        "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/arn:aws:lambda:{region}:{account}:function:{function}/invocations"
    )
}

async fn root_id(client: &Client, api_id: &str) -> Result<String> {
    let res = client
        .get_resources()
        .rest_api_id(api_id)
        .send()
        .await
        .context("GetResources")?;
    res.items()
        .iter()
        .find(|r| r.path() == Some("/"))
        .and_then(|r| r.id())
        .map(str::to_string)
        .context("the API has no root resource")
}

async fn create_resource(
    client: &Client,
    api_id: &str,
    parent: &str,
    part: &str,
) -> Result<String> {
    let r = client
        .create_resource()
        .rest_api_id(api_id)
        .parent_id(parent)
        .path_part(part)
        .send()
        .await
        .with_context(|| format!("CreateResource {part}"))?;
    r.id()
        .map(str::to_string)
        .context("CreateResource returned no id")
}

/// Creates a Regional REST API named `name` that uses every REST API type moto serves:
/// nested resources (`/pets/{id}`) and a greedy `/{proxy+}`; MOCK, HTTP, HTTP_PROXY, AWS_PROXY
/// (Lambda) and AWS (SQS, with a role and a queue-URL request parameter) integrations; method
/// and integration responses; TOKEN, REQUEST and COGNITO_USER_POOLS authorizers; a model; a
/// request validator; a customized gateway response; a deployment; stages `prod` and `beta`
/// with variables, method settings, access log settings and tracing; tags and a policy.
pub async fn sample_rest_api(client: &Client, name: &str) -> Result<SampleApi> {
    let region = region_of(client)?;
    let account = crate::account_of_client(client).await?;
    let lambda = |f: &str| lambda_invocation_uri(&region, &account, f);
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": format!("arn:aws:execute-api:{region}:{account}:*/*/*/*"),
        }]
    })
    .to_string();

    let api = client
        .create_rest_api()
        .name(name)
        .description("apigw-dr sample API: every REST API type moto serves")
        .version("1.0")
        .endpoint_configuration(
            EndpointConfiguration::builder()
                .types(EndpointType::Regional)
                .build(),
        )
        .policy(policy)
        .api_key_source(aws_sdk_apigateway::types::ApiKeySourceType::Header)
        .minimum_compression_size(1024)
        .tags("team", "pets")
        .tags("env", "test")
        .send()
        .await
        .context("CreateRestApi")?;
    let api_id = api
        .id()
        .context("CreateRestApi returned no id")?
        .to_string();
    let id = api_id.as_str();
    let root_id = match api.root_resource_id() {
        Some(r) => r.to_string(),
        None => root_id(client, id).await?,
    };

    // Models (moto does not create AWS's default Empty and Error models: do it here, so that
    // the API looks as it would in AWS), validator, authorizers.
    for (model, schema) in [
        (
            "Empty",
            serde_json::json!({
                "$schema": "http://json-schema.org/draft-04/schema#",
                "title": "Empty Schema",
                "type": "object"
            }),
        ),
        (
            "Error",
            serde_json::json!({
                "$schema": "http://json-schema.org/draft-04/schema#",
                "title": "Error Schema",
                "type": "object",
                "properties": {"message": {"type": "string"}}
            }),
        ),
    ] {
        client
            .create_model()
            .rest_api_id(id)
            .name(model)
            .content_type("application/json")
            .schema(schema.to_string())
            .send()
            .await
            .with_context(|| format!("CreateModel {model}"))?;
    }
    client
        .create_model()
        .rest_api_id(id)
        .name("Pet")
        .description("a pet")
        .content_type("application/json")
        .schema(
            serde_json::json!({
                "$schema": "http://json-schema.org/draft-04/schema#",
                "title": "Pet",
                "type": "object",
                "properties": {"id": {"type": "integer"}, "type": {"type": "string"}, "price": {"type": "number"}},
                "required": ["type"]
            })
            .to_string(),
        )
        .send()
        .await
        .context("CreateModel")?;
    let validator_id = client
        .create_request_validator()
        .rest_api_id(id)
        .name("body-and-params")
        .validate_request_body(true)
        .validate_request_parameters(true)
        .send()
        .await
        .context("CreateRequestValidator")?
        .id()
        .context("no validator id")?
        .to_string();
    let token_authorizer_id = client
        .create_authorizer()
        .rest_api_id(id)
        .name("token-auth")
        .r#type(AuthorizerType::Token)
        .authorizer_uri(lambda("token-authorizer"))
        .identity_source("method.request.header.Authorization")
        .identity_validation_expression("^Bearer [-0-9a-zA-Z._]+$")
        .authorizer_result_ttl_in_seconds(300)
        .send()
        .await
        .context("CreateAuthorizer TOKEN")?
        .id()
        .context("no authorizer id")?
        .to_string();
    let request_authorizer_id = client
        .create_authorizer()
        .rest_api_id(id)
        .name("request-auth")
        .r#type(AuthorizerType::Request)
        .authorizer_uri(lambda("request-authorizer"))
        .identity_source("method.request.header.X-Api-Client,method.request.querystring.client")
        .authorizer_result_ttl_in_seconds(60)
        .send()
        .await
        .context("CreateAuthorizer REQUEST")?
        .id()
        .context("no authorizer id")?
        .to_string();
    let cognito_authorizer_id = client
        .create_authorizer()
        .rest_api_id(id)
        .name("cognito-auth")
        .r#type(AuthorizerType::CognitoUserPools)
        .provider_arns(format!(
            "arn:aws:cognito-idp:{region}:{account}:userpool/{region}_PetsPool1"
        ))
        .identity_source("method.request.header.Authorization")
        .send()
        .await
        .context("CreateAuthorizer COGNITO_USER_POOLS")?
        .id()
        .context("no authorizer id")?
        .to_string();

    // Resources.
    let pets_id = create_resource(client, id, &root_id, "pets").await?;
    let pet_id = create_resource(client, id, &pets_id, "{id}").await?;
    let proxy_id = create_resource(client, id, &root_id, "{proxy+}").await?;
    let orders_id = create_resource(client, id, &root_id, "orders").await?;

    // GET /pets: MOCK, TOKEN authorizer, method and integration responses.
    client
        .put_method()
        .rest_api_id(id)
        .resource_id(&pets_id)
        .http_method("GET")
        .authorization_type("CUSTOM")
        .authorizer_id(&token_authorizer_id)
        .operation_name("ListPets")
        .request_parameters("method.request.querystring.type", false)
        .send()
        .await
        .context("PutMethod GET /pets")?;
    client
        .put_integration()
        .rest_api_id(id)
        .resource_id(&pets_id)
        .http_method("GET")
        .r#type(IntegrationType::Mock)
        .request_templates("application/json", r#"{"statusCode": 200}"#)
        .passthrough_behavior("WHEN_NO_MATCH")
        .send()
        .await
        .context("PutIntegration MOCK")?;
    client
        .put_method_response()
        .rest_api_id(id)
        .resource_id(&pets_id)
        .http_method("GET")
        .status_code("200")
        .response_models("application/json", "Empty")
        .response_parameters("method.response.header.Access-Control-Allow-Origin", false)
        .send()
        .await
        .context("PutMethodResponse GET /pets")?;
    client
        .put_integration_response()
        .rest_api_id(id)
        .resource_id(&pets_id)
        .http_method("GET")
        .status_code("200")
        .selection_pattern("")
        .response_parameters("method.response.header.Access-Control-Allow-Origin", "'*'")
        .response_templates(
            "application/json",
            r#"[{"id": 1, "type": "dog", "price": 249.99}]"#,
        )
        .send()
        .await
        .context("PutIntegrationResponse GET /pets")?;

    // POST /pets: AWS_PROXY (Lambda), Cognito authorizer, model and validator.
    client
        .put_method()
        .rest_api_id(id)
        .resource_id(&pets_id)
        .http_method("POST")
        .authorization_type("COGNITO_USER_POOLS")
        .authorizer_id(&cognito_authorizer_id)
        .authorization_scopes("pets/write")
        .request_validator_id(&validator_id)
        .request_models("application/json", "Pet")
        .operation_name("CreatePet")
        .send()
        .await
        .context("PutMethod POST /pets")?;
    client
        .put_integration()
        .rest_api_id(id)
        .resource_id(&pets_id)
        .http_method("POST")
        .r#type(IntegrationType::AwsProxy)
        .integration_http_method("POST")
        .uri(lambda("pets"))
        .timeout_in_millis(10_000)
        .send()
        .await
        .context("PutIntegration AWS_PROXY")?;
    client
        .put_method_response()
        .rest_api_id(id)
        .resource_id(&pets_id)
        .http_method("POST")
        .status_code("200")
        .response_models("application/json", "Pet")
        .send()
        .await
        .context("PutMethodResponse POST /pets")?;

    // GET /pets/{id}: HTTP, REQUEST authorizer, path parameter mapping, API key.
    client
        .put_method()
        .rest_api_id(id)
        .resource_id(&pet_id)
        .http_method("GET")
        .authorization_type("CUSTOM")
        .authorizer_id(&request_authorizer_id)
        .api_key_required(true)
        .operation_name("GetPet")
        .request_parameters("method.request.path.id", true)
        .request_parameters("method.request.header.X-Api-Client", true)
        .send()
        .await
        .context("PutMethod GET /pets/{id}")?;
    client
        .put_integration()
        .rest_api_id(id)
        .resource_id(&pet_id)
        .http_method("GET")
        .r#type(IntegrationType::Http)
        .integration_http_method("GET")
        .uri("http://petstore.execute-api.example.com/petstore/pets/{id}")
        .request_parameters("integration.request.path.id", "method.request.path.id")
        .cache_namespace(&pet_id)
        .cache_key_parameters("method.request.path.id")
        .passthrough_behavior("WHEN_NO_TEMPLATES")
        .send()
        .await
        .context("PutIntegration HTTP")?;
    for status in ["200", "404"] {
        client
            .put_method_response()
            .rest_api_id(id)
            .resource_id(&pet_id)
            .http_method("GET")
            .status_code(status)
            .response_models(
                "application/json",
                if status == "200" { "Pet" } else { "Error" },
            )
            .send()
            .await
            .with_context(|| format!("PutMethodResponse GET /pets/{{id}} {status}"))?;
        client
            .put_integration_response()
            .rest_api_id(id)
            .resource_id(&pet_id)
            .http_method("GET")
            .status_code(status)
            .selection_pattern(if status == "200" { "" } else { "404" })
            .send()
            .await
            .with_context(|| format!("PutIntegrationResponse GET /pets/{{id}} {status}"))?;
    }

    // ANY /{proxy+}: HTTP_PROXY.
    client
        .put_method()
        .rest_api_id(id)
        .resource_id(&proxy_id)
        .http_method("ANY")
        .authorization_type("NONE")
        .request_parameters("method.request.path.proxy", true)
        .send()
        .await
        .context("PutMethod ANY /{proxy+}")?;
    client
        .put_integration()
        .rest_api_id(id)
        .resource_id(&proxy_id)
        .http_method("ANY")
        .r#type(IntegrationType::HttpProxy)
        .integration_http_method("ANY")
        .uri("http://petstore.execute-api.example.com/{proxy}")
        .request_parameters(
            "integration.request.path.proxy",
            "method.request.path.proxy",
        )
        .send()
        .await
        .context("PutIntegration HTTP_PROXY")?;

    // POST /orders: AWS (SQS SendMessage) with a role and the queue URL as a parameter.
    client
        .put_method()
        .rest_api_id(id)
        .resource_id(&orders_id)
        .http_method("POST")
        .authorization_type("AWS_IAM")
        .operation_name("PlaceOrder")
        .send()
        .await
        .context("PutMethod POST /orders")?;
    client
        .put_integration()
        .rest_api_id(id)
        .resource_id(&orders_id)
        .http_method("POST")
        .r#type(IntegrationType::Aws)
        .integration_http_method("POST")
        .uri(format!(
            "arn:aws:apigateway:{region}:sqs:action/SendMessage"
        ))
        .credentials(format!("arn:aws:iam::{account}:role/apigw-dr-sample-sqs"))
        .request_parameters(
            "integration.request.querystring.QueueUrl",
            format!("'https://sqs.{region}.amazonaws.com/{account}/orders'"),
        )
        .request_parameters(
            "integration.request.header.Content-Type",
            "'application/x-www-form-urlencoded'",
        )
        .request_templates(
            "application/json",
            "Action=SendMessage&MessageBody=$input.body",
        )
        .passthrough_behavior("NEVER")
        .send()
        .await
        .context("PutIntegration AWS (SQS)")?;
    client
        .put_method_response()
        .rest_api_id(id)
        .resource_id(&orders_id)
        .http_method("POST")
        .status_code("200")
        .send()
        .await
        .context("PutMethodResponse POST /orders")?;
    client
        .put_integration_response()
        .rest_api_id(id)
        .resource_id(&orders_id)
        .http_method("POST")
        .status_code("200")
        .response_templates("application/json", r#"{"accepted": true}"#)
        .send()
        .await
        .context("PutIntegrationResponse POST /orders")?;

    // A customized gateway response.
    client
        .put_gateway_response()
        .rest_api_id(id)
        .response_type(GatewayResponseType::Default4Xx)
        .status_code("400")
        .response_parameters("gatewayresponse.header.Access-Control-Allow-Origin", "'*'")
        .response_templates(
            "application/json",
            r#"{"message": $context.error.messageString}"#,
        )
        .send()
        .await
        .context("PutGatewayResponse")?;

    // Deployment and stages.
    let deployment_id = client
        .create_deployment()
        .rest_api_id(id)
        .description("first deployment")
        .send()
        .await
        .context("CreateDeployment")?
        .id()
        .context("no deployment id")?
        .to_string();
    let stages = vec!["prod".to_string(), "beta".to_string()];
    for (i, stage) in stages.iter().enumerate() {
        client
            .create_stage()
            .rest_api_id(id)
            .stage_name(stage)
            .deployment_id(&deployment_id)
            .description(format!("{stage} stage"))
            .variables("backend", format!("{stage}.petstore.example.com"))
            .variables("lambdaAlias", stage.as_str())
            .tracing_enabled(i == 0)
            .tags("stage", stage.as_str())
            .send()
            .await
            .with_context(|| format!("CreateStage {stage}"))?;
        let replace = |path: &str, value: String| {
            PatchOperation::builder()
                .op(Op::Replace)
                .path(path)
                .value(value)
                .build()
        };
        client
            .update_stage()
            .rest_api_id(id)
            .stage_name(stage)
            .patch_operations(replace("/*/*/metrics/enabled", "true".into()))
            .patch_operations(replace(
                "/*/*/logging/loglevel",
                if i == 0 { "ERROR" } else { "INFO" }.into(),
            ))
            .patch_operations(replace("/*/*/throttling/rateLimit", "100".into()))
            .patch_operations(replace("/*/*/throttling/burstLimit", "200".into()))
            .patch_operations(replace("/~1pets/GET/caching/enabled", "true".into()))
            .patch_operations(replace(
                "/accessLogSettings/destinationArn",
                format!("arn:aws:logs:{region}:{account}:log-group:apigw-{name}-{stage}"),
            ))
            .patch_operations(replace(
                "/accessLogSettings/format",
                r#"{"requestId":"$context.requestId","status":"$context.status"}"#.into(),
            ))
            .patch_operations(replace("/variables/stage", stage.clone()))
            .send()
            .await
            .with_context(|| format!("UpdateStage {stage}"))?;
    }

    let mut methods = vec![
        ("/pets".to_string(), "GET".to_string()),
        ("/pets".to_string(), "POST".to_string()),
        ("/pets/{id}".to_string(), "GET".to_string()),
        ("/{proxy+}".to_string(), "ANY".to_string()),
        ("/orders".to_string(), "POST".to_string()),
    ];
    methods.sort();
    Ok(SampleApi {
        api_id,
        name: name.to_string(),
        region,
        account,
        root_id,
        pets_id,
        method_resource_id: pet_id.clone(),
        method_verb: "GET".to_string(),
        pet_id,
        proxy_id,
        orders_id,
        token_authorizer_id,
        request_authorizer_id,
        cognito_authorizer_id,
        validator_id,
        deployment_id,
        stages,
        methods,
    })
}

/// The verbs [`big_rest_api`] gives each resource, in order.
pub const BIG_API_VERBS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// How many requests [`big_rest_api`] keeps in flight.
const BIG_API_CONCURRENCY: usize = 8;

/// Creates a REST API with `resources` resources (besides the root) and `methods_per_resource`
/// methods on each (at most 7: GET, POST, PUT, ...), each with a MOCK integration. Resources are
/// two levels deep: `/gNN` groups of up to ten, each with children `/gNN/rMMM`. Requests run
/// concurrently (moto has no throttling).
pub async fn big_rest_api(
    client: &Client,
    name: &str,
    resources: usize,
    methods_per_resource: usize,
) -> Result<BigApi> {
    if methods_per_resource > BIG_API_VERBS.len() {
        bail!("at most {} methods per resource", BIG_API_VERBS.len());
    }
    let api = client
        .create_rest_api()
        .name(name)
        .description(format!(
            "apigw-dr big API: {resources} resources x {methods_per_resource} methods"
        ))
        .endpoint_configuration(
            EndpointConfiguration::builder()
                .types(EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .context("CreateRestApi")?;
    let api_id = api
        .id()
        .context("CreateRestApi returned no id")?
        .to_string();
    let root = match api.root_resource_id() {
        Some(r) => r.to_string(),
        None => root_id(client, &api_id).await?,
    };

    // Ten resources per group: the group itself and up to nine children.
    let groups = resources.div_ceil(10);
    let limit = Arc::new(Semaphore::new(BIG_API_CONCURRENCY));
    let group_ids = run_all(
        (0..groups).map(|g| {
            let (client, api_id, root) = (client.clone(), api_id.clone(), root.clone());
            async move { create_resource(&client, &api_id, &root, &format!("g{g:02}")).await }
        }),
        &limit,
    )
    .await?;
    let children = resources - groups;
    let child_ids = run_all(
        (0..children).map(|c| {
            let (client, api_id) = (client.clone(), api_id.clone());
            let parent = group_ids[c / 9].clone();
            async move { create_resource(&client, &api_id, &parent, &format!("r{c:03}")).await }
        }),
        &limit,
    )
    .await?;

    let all: Vec<String> = group_ids.into_iter().chain(child_ids).collect();
    let jobs = all.iter().flat_map(|rid| {
        BIG_API_VERBS[..methods_per_resource]
            .iter()
            .map(move |verb| (rid.clone(), *verb))
    });
    let methods = run_all(
        jobs.map(|(rid, verb)| {
            let (client, api_id) = (client.clone(), api_id.clone());
            async move {
                client
                    .put_method()
                    .rest_api_id(&api_id)
                    .resource_id(&rid)
                    .http_method(verb)
                    .authorization_type("NONE")
                    .send()
                    .await
                    .with_context(|| format!("PutMethod {verb} on {rid}"))?;
                client
                    .put_integration()
                    .rest_api_id(&api_id)
                    .resource_id(&rid)
                    .http_method(verb)
                    .r#type(IntegrationType::Mock)
                    .request_templates("application/json", r#"{"statusCode": 200}"#)
                    .send()
                    .await
                    .with_context(|| format!("PutIntegration {verb} on {rid}"))?;
                Ok(())
            }
        }),
        &limit,
    )
    .await?
    .len();
    Ok(BigApi {
        api_id,
        name: name.to_string(),
        resources: all.len(),
        methods,
    })
}

/// Runs the futures with at most `limit` at once; returns their results in input order.
async fn run_all<T, F>(futs: impl Iterator<Item = F>, limit: &Arc<Semaphore>) -> Result<Vec<T>>
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    let mut set = JoinSet::new();
    let mut n = 0;
    for (i, fut) in futs.enumerate() {
        let permit = limit
            .clone()
            .acquire_owned()
            .await
            .context("semaphore closed")?;
        set.spawn(async move {
            let r = fut.await;
            drop(permit);
            (i, r)
        });
        n += 1;
    }
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (i, r) = joined.context("fixture task panicked")?;
        out[i] = Some(r?);
    }
    Ok(out
        .into_iter()
        .map(|o| o.expect("every task reported"))
        .collect())
}

/// Changes exactly one method, `http_method` on `resource_id`: adds a method response with the
/// lowest status code in 400..=599 it does not have yet (moto has no UpdateMethod). Only that
/// method's `methodResponses` change. Returns the status code added.
pub async fn change_one_method(
    client: &Client,
    api_id: &str,
    resource_id: &str,
    http_method: &str,
) -> Result<String> {
    let method = client
        .get_method()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method(http_method)
        .send()
        .await
        .context("GetMethod")?;
    let have = method.method_responses();
    let status = (400..=599)
        .map(|s: u16| s.to_string())
        .find(|s| !have.is_some_and(|m| m.contains_key(s)))
        .context("the method already has every 4xx/5xx response")?;
    client
        .put_method_response()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method(http_method)
        .status_code(&status)
        .response_models("application/json", "Error")
        .send()
        .await
        .context("PutMethodResponse")?;
    Ok(status)
}

/// What [`http_api`] created.
#[derive(Debug, Clone)]
pub struct HttpApi {
    pub api_id: String,
    pub name: String,
    pub jwt_authorizer_id: String,
    /// The AWS_PROXY (Lambda) integration: `GET /orders/{id}` and `POST /orders`.
    pub lambda_integration_id: String,
    /// The HTTP_PROXY integration: `$default`.
    pub http_integration_id: String,
    /// Every route key, sorted.
    pub route_keys: Vec<String>,
    pub stage: String,
}

/// What [`websocket_api`] created.
#[derive(Debug, Clone)]
pub struct WebSocketApi {
    pub api_id: String,
    pub name: String,
    pub request_authorizer_id: String,
    /// `$connect`, `$default`, `$disconnect`.
    pub route_keys: Vec<String>,
    /// One AWS_PROXY integration per route, each with a `$default` integration response.
    pub integration_ids: Vec<String>,
    pub stage: String,
}

fn v2_region(client: &aws_sdk_apigatewayv2::Client) -> Result<String> {
    Ok(client
        .config()
        .region()
        .context("the API Gateway v2 client has no Region")?
        .as_ref()
        .to_string())
}

/// Creates an HTTP API named `name` in `account` (the account the client acts in): CORS, tags,
/// a JWT authorizer (Cognito issuer), an AWS_PROXY Lambda integration and an HTTP_PROXY one,
/// routes `GET /orders/{id}` (JWT, scopes), `POST /orders` and `$default`, and a stage `prod`
/// with auto deploy, stage variables, default and per-route settings and access logs.
pub async fn http_api(
    client: &aws_sdk_apigatewayv2::Client,
    name: &str,
    account: &str,
) -> Result<HttpApi> {
    use aws_sdk_apigatewayv2::types::{
        AccessLogSettings, AuthorizationType, AuthorizerType, Cors, IntegrationType,
        JwtConfiguration, ProtocolType, RouteSettings,
    };
    let region = v2_region(client)?;
    let api = client
        .create_api()
        .name(name)
        .protocol_type(ProtocolType::Http)
        .description("orders over HTTP")
        .version("1.0")
        .cors_configuration(
            Cors::builder()
                .allow_origins("https://example.com")
                .allow_methods("GET")
                .allow_methods("POST")
                .allow_headers("authorization")
                .max_age(300)
                .build(),
        )
        .tags("team", "orders")
        .send()
        .await
        .context("CreateApi (HTTP)")?;
    let api_id = api
        .api_id()
        .context("CreateApi returned no id")?
        .to_string();
    let auth = client
        .create_authorizer()
        .api_id(&api_id)
        .name("cognito")
        .authorizer_type(AuthorizerType::Jwt)
        .identity_source("$request.header.Authorization")
        .jwt_configuration(
            JwtConfiguration::builder()
                .issuer(format!(
                    "https://cognito-idp.{region}.amazonaws.com/{region}_orders"
                ))
                .audience("orders-client")
                .build(),
        )
        .send()
        .await
        .context("CreateAuthorizer (JWT)")?;
    let jwt_authorizer_id = auth
        .authorizer_id()
        .context("no authorizer id")?
        .to_string();
    let lambda = client
        .create_integration()
        .api_id(&api_id)
        .integration_type(IntegrationType::AwsProxy)
        .integration_uri(format!("arn:aws:lambda:{region}:{account}:function:orders"))
        .integration_method("POST")
        .payload_format_version("2.0")
        .timeout_in_millis(10000)
        .send()
        .await
        .context("CreateIntegration (AWS_PROXY)")?;
    let lambda_integration_id = lambda
        .integration_id()
        .context("no integration id")?
        .to_string();
    let http = client
        .create_integration()
        .api_id(&api_id)
        .integration_type(IntegrationType::HttpProxy)
        .integration_uri("https://backend.example.com/{proxy}")
        .integration_method("ANY")
        .payload_format_version("1.0")
        .send()
        .await
        .context("CreateIntegration (HTTP_PROXY)")?;
    let http_integration_id = http
        .integration_id()
        .context("no integration id")?
        .to_string();
    client
        .create_route()
        .api_id(&api_id)
        .route_key("GET /orders/{id}")
        .target(format!("integrations/{lambda_integration_id}"))
        .authorization_type(AuthorizationType::Jwt)
        .authorizer_id(&jwt_authorizer_id)
        .authorization_scopes("orders/read")
        .operation_name("GetOrder")
        .send()
        .await
        .context("CreateRoute GET /orders/{id}")?;
    client
        .create_route()
        .api_id(&api_id)
        .route_key("POST /orders")
        .target(format!("integrations/{lambda_integration_id}"))
        .send()
        .await
        .context("CreateRoute POST /orders")?;
    client
        .create_route()
        .api_id(&api_id)
        .route_key("$default")
        .target(format!("integrations/{http_integration_id}"))
        .send()
        .await
        .context("CreateRoute $default")?;
    client
        .create_stage()
        .api_id(&api_id)
        .stage_name("prod")
        .auto_deploy(true)
        .description("production")
        .stage_variables("backend", "prod")
        .default_route_settings(
            RouteSettings::builder()
                .detailed_metrics_enabled(true)
                .throttling_burst_limit(100)
                .throttling_rate_limit(50.0)
                .build(),
        )
        .route_settings(
            "GET /orders/{id}",
            RouteSettings::builder()
                .throttling_burst_limit(10)
                .throttling_rate_limit(5.0)
                .build(),
        )
        .access_log_settings(
            AccessLogSettings::builder()
                .destination_arn(format!(
                    "arn:aws:logs:{region}:{account}:log-group:orders-access"
                ))
                .format("$context.requestId $context.status")
                .build(),
        )
        .tags("env", "prod")
        .send()
        .await
        .context("CreateStage prod")?;
    let mut route_keys: Vec<String> = ["GET /orders/{id}", "POST /orders", "$default"]
        .map(String::from)
        .to_vec();
    route_keys.sort();
    Ok(HttpApi {
        api_id,
        name: name.to_string(),
        jwt_authorizer_id,
        lambda_integration_id,
        http_integration_id,
        route_keys,
        stage: "prod".into(),
    })
}

/// Creates a WebSocket API named `name` in `account`: routes `$connect` (REQUEST authorizer,
/// API key required), `$disconnect` and `$default`, each with an AWS_PROXY Lambda integration
/// that has a `$default` integration response and a `$default` route response; a model; and a
/// stage `prod` with data trace and INFO logging.
pub async fn websocket_api(
    client: &aws_sdk_apigatewayv2::Client,
    name: &str,
    account: &str,
) -> Result<WebSocketApi> {
    use aws_sdk_apigatewayv2::types::{
        AuthorizationType, AuthorizerType, IntegrationType, LoggingLevel, ProtocolType,
        RouteSettings,
    };
    let region = v2_region(client)?;
    let api = client
        .create_api()
        .name(name)
        .protocol_type(ProtocolType::Websocket)
        .route_selection_expression("$request.body.action")
        .api_key_selection_expression("$request.header.x-api-key")
        .tags("team", "chat")
        .send()
        .await
        .context("CreateApi (WEBSOCKET)")?;
    let api_id = api
        .api_id()
        .context("CreateApi returned no id")?
        .to_string();
    let auth = client
        .create_authorizer()
        .api_id(&api_id)
        .name("gate")
        .authorizer_type(AuthorizerType::Request)
        .authorizer_uri(lambda_invocation_uri(&region, account, "chat-auth"))
        .identity_source("route.request.header.Auth")
        .send()
        .await
        .context("CreateAuthorizer (REQUEST)")?;
    let request_authorizer_id = auth
        .authorizer_id()
        .context("no authorizer id")?
        .to_string();
    client
        .create_model()
        .api_id(&api_id)
        .name("Message")
        .content_type("application/json")
        .schema(r#"{"type":"object"}"#)
        .send()
        .await
        .context("CreateModel")?;
    let route_keys: Vec<String> = ["$connect", "$default", "$disconnect"]
        .map(String::from)
        .to_vec();
    let mut integration_ids = Vec::new();
    for key in &route_keys {
        let function = format!("chat-{}", key.trim_start_matches('$'));
        let i = client
            .create_integration()
            .api_id(&api_id)
            .integration_type(IntegrationType::AwsProxy)
            .integration_uri(lambda_invocation_uri(&region, account, &function))
            .integration_method("POST")
            .send()
            .await
            .with_context(|| format!("CreateIntegration for {key}"))?;
        let integration_id = i.integration_id().context("no integration id")?.to_string();
        client
            .create_integration_response()
            .api_id(&api_id)
            .integration_id(&integration_id)
            .integration_response_key("$default")
            .send()
            .await
            .with_context(|| format!("CreateIntegrationResponse for {key}"))?;
        let mut route = client
            .create_route()
            .api_id(&api_id)
            .route_key(key)
            .target(format!("integrations/{integration_id}"))
            .route_response_selection_expression("$default");
        if key == "$connect" {
            route = route
                .authorization_type(AuthorizationType::Custom)
                .authorizer_id(&request_authorizer_id)
                .api_key_required(true);
        }
        let r = route
            .send()
            .await
            .with_context(|| format!("CreateRoute {key}"))?;
        client
            .create_route_response()
            .api_id(&api_id)
            .route_id(r.route_id().context("no route id")?)
            .route_response_key("$default")
            .send()
            .await
            .with_context(|| format!("CreateRouteResponse for {key}"))?;
        integration_ids.push(integration_id);
    }
    client
        .create_stage()
        .api_id(&api_id)
        .stage_name("prod")
        .stage_variables("room", "lobby")
        .default_route_settings(
            RouteSettings::builder()
                .data_trace_enabled(true)
                .logging_level(LoggingLevel::Info)
                .build(),
        )
        .send()
        .await
        .context("CreateStage prod")?;
    Ok(WebSocketApi {
        api_id,
        name: name.to_string(),
        request_authorizer_id,
        route_keys,
        integration_ids,
        stage: "prod".into(),
    })
}

/// What [`estate`] created.
#[derive(Debug, Clone)]
pub struct Estate {
    pub rest: SampleApi,
    pub http: HttpApi,
    pub websocket: WebSocketApi,
    /// `api.example.com`, Regional, created through both APIs (moto keeps them apart).
    pub domain: String,
    pub certificate_arn: String,
    /// The base path mapping `orders` -> the REST API's stage `prod`.
    pub base_path: String,
    /// The API mapping `http` -> the HTTP API's stage `prod`, and its id.
    pub api_mapping_key: String,
    pub api_mapping_id: String,
    pub vpc_link_v1_id: String,
    pub nlb_arn: String,
    pub vpc_link_v2_id: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub usage_plan_id: String,
    /// `(id, name, value)` of the two API keys, by name.
    pub api_keys: Vec<(String, String, String)>,
}

/// The API key values [`estate`] uses: known, so tests can look for them.
pub const ESTATE_KEY_VALUES: [(&str, &str); 2] = [
    ("alice", "apigw-dr-estate-value-alice-0123456789"),
    ("bob", "apigw-dr-estate-value-bob-9876543210zz"),
];

/// Builds an account-level estate in `account` (the account the clients act in): a REST API
/// ([`sample_rest_api`], stages `prod` and `beta`), an HTTP API ([`http_api`]) and a WebSocket
/// API ([`websocket_api`]); the Regional custom domain `api.example.com` (an ACM-looking
/// certificate) created through v1 and v2, with the base path mapping `orders` to the REST API's
/// `prod` and the API mapping `http` to the HTTP API's `prod`; a v1 VPC link to a network load
/// balancer and a v2 VPC link (two subnets, one security group); the usage plan `gold` on the
/// REST API's `prod` with throttle and quota; and the API keys `alice` and `bob`
/// ([`ESTATE_KEY_VALUES`]) in that plan.
pub async fn estate(
    v1: &Client,
    v2: &aws_sdk_apigatewayv2::Client,
    account: &str,
) -> Result<Estate> {
    use aws_sdk_apigateway::types::{QuotaPeriodType, QuotaSettings, ThrottleSettings};
    use aws_sdk_apigatewayv2::types::{DomainNameConfiguration, EndpointType as V2Endpoint};
    let region = region_of(v1)?;
    let rest = sample_rest_api(v1, "orders").await?;
    let http = http_api(v2, "orders-http", account).await?;
    let websocket = websocket_api(v2, "chat", account).await?;

    let domain = "api.example.com".to_string();
    let certificate_arn =
        format!("arn:aws:acm:{region}:{account}:certificate/8f6c1b2e-1111-4a5b-9c0d-estate000001");
    v1.create_domain_name()
        .domain_name(&domain)
        .regional_certificate_arn(&certificate_arn)
        .endpoint_configuration(
            EndpointConfiguration::builder()
                .types(EndpointType::Regional)
                .build(),
        )
        .security_policy(aws_sdk_apigateway::types::SecurityPolicy::Tls12)
        .tags("team", "edge")
        .send()
        .await
        .context("CreateDomainName (v1)")?;
    v2.create_domain_name()
        .domain_name(&domain)
        .domain_name_configurations(
            DomainNameConfiguration::builder()
                .endpoint_type(V2Endpoint::Regional)
                .certificate_arn(&certificate_arn)
                .build(),
        )
        .tags("team", "edge")
        .send()
        .await
        .context("CreateDomainName (v2)")?;
    let base_path = "orders".to_string();
    v1.create_base_path_mapping()
        .domain_name(&domain)
        .base_path(&base_path)
        .rest_api_id(&rest.api_id)
        .stage("prod")
        .send()
        .await
        .context("CreateBasePathMapping")?;
    let api_mapping_key = "http".to_string();
    let mapping = v2
        .create_api_mapping()
        .domain_name(&domain)
        .api_mapping_key(&api_mapping_key)
        .api_id(&http.api_id)
        .stage(&http.stage)
        .send()
        .await
        .context("CreateApiMapping")?;
    let api_mapping_id = mapping
        .api_mapping_id()
        .context("no API mapping id")?
        .to_string();

    let nlb_arn = format!(
        "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/net/orders-nlb/0123456789abcdef"
    );
    let link = v1
        .create_vpc_link()
        .name("orders-nlb")
        .description("to the orders NLB")
        .target_arns(&nlb_arn)
        .tags("team", "orders")
        .send()
        .await
        .context("CreateVpcLink (v1)")?;
    let vpc_link_v1_id = link.id().context("no VPC link id")?.to_string();
    let subnet_ids = vec!["subnet-0a1b2c3d".to_string(), "subnet-4e5f6a7b".to_string()];
    let security_group_ids = vec!["sg-0123abcd".to_string()];
    let link = v2
        .create_vpc_link()
        .name("orders-private")
        .set_subnet_ids(Some(subnet_ids.clone()))
        .set_security_group_ids(Some(security_group_ids.clone()))
        .tags("team", "orders")
        .send()
        .await
        .context("CreateVpcLink (v2)")?;
    let vpc_link_v2_id = link.vpc_link_id().context("no VPC link id")?.to_string();

    let plan = v1
        .create_usage_plan()
        .name("gold")
        .description("gold customers")
        .api_stages(
            aws_sdk_apigateway::types::ApiStage::builder()
                .api_id(&rest.api_id)
                .stage("prod")
                .build(),
        )
        .throttle(
            ThrottleSettings::builder()
                .burst_limit(100)
                .rate_limit(50.0)
                .build(),
        )
        .quota(
            QuotaSettings::builder()
                .limit(10000)
                .period(QuotaPeriodType::Month)
                .build(),
        )
        .send()
        .await
        .context("CreateUsagePlan")?;
    let usage_plan_id = plan.id().context("no usage plan id")?.to_string();
    let mut api_keys = Vec::new();
    for (name, value) in ESTATE_KEY_VALUES {
        let key = v1
            .create_api_key()
            .name(name)
            .value(value)
            .enabled(true)
            .description(format!("{name}'s key"))
            .send()
            .await
            .with_context(|| format!("CreateApiKey {name}"))?;
        let id = key.id().context("no API key id")?.to_string();
        v1.create_usage_plan_key()
            .usage_plan_id(&usage_plan_id)
            .key_id(&id)
            .key_type("API_KEY")
            .send()
            .await
            .with_context(|| format!("CreateUsagePlanKey {name}"))?;
        api_keys.push((id, name.to_string(), value.to_string()));
    }
    Ok(Estate {
        rest,
        http,
        websocket,
        domain,
        certificate_arn,
        base_path,
        api_mapping_key,
        api_mapping_id,
        vpc_link_v1_id,
        nlb_arn,
        vpc_link_v2_id,
        subnet_ids,
        security_group_ids,
        usage_plan_id,
        api_keys,
    })
}

/// The public hosted zone `zone` in the account `sdk` acts in, holding a simple alias A record
/// `name` to the API Gateway domain endpoint `(dns_name, hosted_zone_id)`: a custom domain's
/// DNS as it is usually set up. Returns the zone's id (without `/hostedzone/`).
pub async fn public_zone_with_alias(
    sdk: &aws_config::SdkConfig,
    zone: &str,
    name: &str,
    (dns_name, hosted_zone_id): (&str, &str),
) -> Result<String> {
    use aws_sdk_route53::types::{
        AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecordSet, RrType,
    };
    let r53 = aws_sdk_route53::Client::new(sdk);
    let created = r53
        .create_hosted_zone()
        .name(zone)
        .caller_reference(format!("apigw-dr-fixture-{zone}"))
        .send()
        .await
        .context("CreateHostedZone")?;
    let id = created
        .hosted_zone()
        .context("CreateHostedZone answered no zone")?
        .id()
        .trim_start_matches("/hostedzone/")
        .to_string();
    let record = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::A)
        .alias_target(
            AliasTarget::builder()
                .dns_name(dns_name)
                .hosted_zone_id(hosted_zone_id)
                .evaluate_target_health(false)
                .build()?,
        )
        .build()?;
    r53.change_resource_record_sets()
        .hosted_zone_id(&id)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder()
                        .action(ChangeAction::Create)
                        .resource_record_set(record)
                        .build()?,
                )
                .build()?,
        )
        .send()
        .await
        .context("ChangeResourceRecordSets")?;
    Ok(id)
}
