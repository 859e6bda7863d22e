//! Creates the sample REST API (or a big one, or the whole estate) in a running moto.
//!
//! `seed --endpoint http://127.0.0.1:PORT --region us-east-1 [--account-b] [--name NAME] [--big N]`
//! prints the new API's id. `seed ... --estate` builds [`fixtures::estate`] (a REST, an HTTP
//! and a WebSocket API behind one custom domain, a VPC link per version, a usage plan with two
//! API keys) and prints one line per thing it made.

use anyhow::Result;
use clap::Parser;
use tests::{Account, fixtures, sdk_config};

#[derive(Parser)]
#[command(
    about = "Create apigw-dr's sample REST API (or a big one, or the whole estate) in a running moto"
)]
struct Args {
    /// moto's endpoint, e.g. http://127.0.0.1:5000
    #[arg(long)]
    endpoint: String,
    /// The Region to create the API in.
    #[arg(long)]
    region: String,
    /// Act in account 222222222222 (through sts:AssumeRole) instead of 123456789012.
    #[arg(long)]
    account_b: bool,
    /// The API's name.
    #[arg(long, default_value = "pets", conflicts_with = "estate")]
    name: String,
    /// Create a big API with N resources (2 MOCK methods each) instead of the sample.
    #[arg(long, value_name = "N", conflicts_with = "estate")]
    big: Option<usize>,
    /// Build the whole estate instead: REST API `orders` (stages prod, beta), HTTP API
    /// `orders-http`, WebSocket API `chat`, the custom domain `api.example.com` with a mapping to
    /// each of the first two, a VPC link per version, usage plan `gold` with API keys `alice` and
    /// `bob`. Prints one line per thing made.
    #[arg(long)]
    estate: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let account = if args.account_b {
        Account::B
    } else {
        Account::A
    };
    let sdk = sdk_config(&args.endpoint, &args.region, account).await?;
    let client = aws_sdk_apigateway::Client::new(&sdk);
    if args.estate {
        let v2 = aws_sdk_apigatewayv2::Client::new(&sdk);
        let e = fixtures::estate(&client, &v2, account.id()).await?;
        for line in estate_lines(&e) {
            println!("{line}");
        }
        return Ok(());
    }
    let id = match args.big {
        Some(n) => {
            fixtures::big_rest_api(&client, &args.name, n, 2)
                .await?
                .api_id
        }
        None => fixtures::sample_rest_api(&client, &args.name).await?.api_id,
    };
    println!("{id}");
    Ok(())
}

/// One line per thing [`fixtures::estate`] made: what, its name, its id, what it points at.
fn estate_lines(e: &fixtures::Estate) -> Vec<String> {
    let mut lines = vec![
        format!(
            "REST API        {:<22} {}  stages {}",
            e.rest.name,
            e.rest.api_id,
            e.rest.stages.join(", ")
        ),
        format!(
            "HTTP API        {:<22} {}  stage {}, JWT authorizer (Cognito)",
            e.http.name, e.http.api_id, e.http.stage
        ),
        format!(
            "WebSocket API   {:<22} {}  stage {}",
            e.websocket.name, e.websocket.api_id, e.websocket.stage
        ),
        format!("custom domain   {:<22} {}", e.domain, e.certificate_arn),
        format!(
            "base path       {:<22} -> {} stage prod",
            format!("{}/{}", e.domain, e.base_path),
            e.rest.name
        ),
        format!(
            "API mapping     {:<22} -> {} stage {}",
            format!("{}/{}", e.domain, e.api_mapping_key),
            e.http.name,
            e.http.stage
        ),
        format!(
            "VPC link (v1)   {:<22} {}  -> {}",
            "orders-nlb", e.vpc_link_v1_id, e.nlb_arn
        ),
        format!(
            "VPC link (v2)   {:<22} {}  subnets {}, security group {}",
            "orders-private",
            e.vpc_link_v2_id,
            e.subnet_ids.join(", "),
            e.security_group_ids.join(", ")
        ),
        format!(
            "usage plan      {:<22} {}  on {} stage prod",
            "gold", e.usage_plan_id, e.rest.name
        ),
    ];
    for (id, name, _) in &e.api_keys {
        lines.push(format!("API key         {name:<22} {id}  in plan gold"));
    }
    lines
}
