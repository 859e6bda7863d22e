//! No API key value reaches the terminal: `apigw-dr snapshot` against a loopback AWS whose
//! GetApiKeys (read with the values) keeps failing with the values in the failure's body, with
//! every log level turned on. The error line names the operation, the status and AWS's code.

use tests::leaks::{self, Fault};
use tests::loopback::Server;

/// The pacer's attempts at a call that keeps failing (RetryPolicy::default).
const ATTEMPTS: usize = 8;

async fn snapshot_against(fault: Fault) {
    let server = Server::start(move |r| leaks::account_failing_api_keys(fault, r))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_apigw-dr"))
        .env_clear()
        .envs(leaks::process_env(&server, dir.path()))
        .env("APIGW_DR_LOG", "trace")
        .args(["snapshot"])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let printed = format!("{stdout}\n{stderr}");
    assert_eq!(out.status.code(), Some(1), "{fault:?}: {printed}");
    leaks::assert_not_leaked(&printed, &server.requests(), ATTEMPTS);
    // Verbose logging was on: the pacer's retry lines are there, without a body.
    assert!(
        stderr.contains("transient failure, retrying") && stderr.contains("giving up"),
        "{fault:?}: {stderr}"
    );
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("apigw-dr: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{fault:?}: {stderr}");
    let e = errors[0];
    assert!(
        e.contains("GetApiKeys")
            && e.contains(&format!("HTTP {}", fault.status()))
            && e.contains(fault.code()),
        "{fault:?}: {e}"
    );
    assert!(e.len() < 400, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_api_key_value_reaches_the_terminal() {
    tokio::join!(
        snapshot_against(Fault::Throttled),
        snapshot_against(Fault::ServerError)
    );
}
