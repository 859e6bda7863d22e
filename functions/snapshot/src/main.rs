//! Lambda: a snapshot request -> a recovery point in S3, recorded in DynamoDB.
//! Settings: see `shared::config::FunctionConfig`.

#![recursion_limit = "256"]

use shared::config::FunctionConfig;
use shared::pipeline::SnapshotFunction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_logging();
    let home = shared::awsconf::load(None, None).await?;
    let function = SnapshotFunction::new(FunctionConfig::from_env()?, &home).await?;
    shared::lambda::run(|event, _| function.handle(event)).await
}
