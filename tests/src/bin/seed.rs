//! Creates the sample REST API (or a big one) in a running moto and prints its id.
//!
//! `seed --endpoint http://127.0.0.1:PORT --region us-east-1 [--account-b] [--name NAME] [--big N]`

use anyhow::Result;
use clap::Parser;
use tests::{Account, fixtures, sdk_config};

#[derive(Parser)]
#[command(about = "Create apigw-dr's sample REST API (or a big one) in a running moto")]
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
    #[arg(long, default_value = "pets")]
    name: String,
    /// Create a big API with N resources (2 MOCK methods each) instead of the sample.
    #[arg(long, value_name = "N")]
    big: Option<usize>,
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
