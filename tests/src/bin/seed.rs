//! Creates the sample REST API (or a big one, or the whole estate) in a running moto.
//!
//! `seed --endpoint http://127.0.0.1:PORT --region us-east-1 [--account-b] [--name NAME] [--big N]`
//! prints the new API's id. `seed ... --estate` builds [`fixtures::estate`] (a REST, an HTTP
//! and a WebSocket API behind one custom domain, a VPC link per version, a usage plan with two
//! API keys) and prints one line per thing it made; with `--dns-in-account-b`, also the public
//! hosted zone `example.com` of account 222222222222 (the demo's failover target) with an alias A
//! record `api.example.com` to the custom domain's endpoint here. `seed ... --show-dns` prints
//! that record as Route 53 holds it (the demo shows it before and after the failover).

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
    /// With --estate: also create the public hosted zone example.com in account 222222222222
    /// (the failover's target) with an alias A record api.example.com to the custom domain's
    /// endpoint in this Region, as its DNS would be before a failover.
    #[arg(long, requires = "estate")]
    dns_in_account_b: bool,
    /// Print the DNS record api.example.com in account 222222222222's hosted zones, and nothing
    /// else.
    #[arg(long, conflicts_with_all = ["estate", "big"])]
    show_dns: bool,
}

/// The demo's custom domain and the zone that serves it.
const DOMAIN: &str = "api.example.com";
const ZONE: &str = "example.com";

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
    if args.show_dns {
        let b = sdk_config(&args.endpoint, &args.region, Account::B).await?;
        for line in dns_lines(&b).await? {
            println!("{line}");
        }
        return Ok(());
    }
    if args.estate {
        let v2 = aws_sdk_apigatewayv2::Client::new(&sdk);
        let e = fixtures::estate(&client, &v2, account.id()).await?;
        for line in estate_lines(&e) {
            println!("{line}");
        }
        if args.dns_in_account_b {
            let pacer = shared::pacing::Pacer::default();
            let endpoint = shared::dns::route53::domain_endpoint(&sdk, &pacer, &e.domain)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the custom domain {} was not made", e.domain))?;
            let b = sdk_config(&args.endpoint, &args.region, Account::B).await?;
            let zone = fixtures::public_zone_with_alias(
                &b,
                ZONE,
                DOMAIN,
                (&endpoint.domain_name, &endpoint.hosted_zone_id),
            )
            .await?;
            println!(
                "hosted zone     {:<22} {zone}  in account {}, public",
                ZONE,
                Account::B.id()
            );
            for line in dns_lines(&b).await? {
                println!("DNS record      {line}");
            }
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

/// The records of [`DOMAIN`] in the account `sdk` acts in, as the DNS switch reads them.
async fn dns_lines(sdk: &aws_config::SdkConfig) -> Result<Vec<String>> {
    let r53 = shared::dns::route53::Route53::new(sdk);
    let mapping = shared::translate::Mapping::empty();
    let zone = match r53.find_zone(DOMAIN, &mapping).await? {
        Ok(zone) => zone,
        Err(note) => return Ok(vec![note]),
    };
    Ok(r53
        .records(&zone, DOMAIN)
        .await?
        .iter()
        .map(|r| format!("{} {} -> {}", r.name, r.record_type, r.value))
        .collect())
}
