//! Lambda: an alarm going to ALARM, a direct request, or a job's continuation -> a restore
//! job from the latest good recovery point. Settings: see `shared::config::FunctionConfig`.

#![recursion_limit = "256"]

use shared::config::FunctionConfig;
use shared::pipeline::RecoveryFunction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_logging();
    let home = shared::awsconf::load(None, None).await?;
    let function = RecoveryFunction::new(FunctionConfig::from_env()?, &home).await?;
    shared::lambda::run(|event, deadline| function.handle(event, deadline)).await
}
