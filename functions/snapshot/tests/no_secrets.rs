//! No API key value reaches the function's logs or the error it reports: the real snapshot
//! function, run by a loopback Lambda runtime API (one "Snapshot Requested" event for the
//! estate) with Lambda's JSON logs at TRACE, against a loopback AWS whose GetApiKeys (read with
//! the values) keeps failing with the values in the failure's body.

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tests::leaks::{self, Fault};
use tests::loopback::{Reply, Server};
use tokio::io::AsyncReadExt;

/// The pacer's attempts at a call that keeps failing (RetryPolicy::default).
const ATTEMPTS: usize = 8;
const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

fn event() -> String {
    r#"{"version":"0","id":"e1","detail-type":"Snapshot Requested","source":"apigw-dr",
        "account":"123456789012","time":"2026-01-01T00:00:00Z","region":"us-east-1",
        "resources":[],"detail":{"apis":["(estate)"],"trigger":"schedule"}}"#
        .to_string()
}

/// Runs one invocation; returns what the function printed and the error it reported.
async fn invoke(fault: Fault) -> (Server, String, Value) {
    let served = AtomicBool::new(false);
    let server = Server::start(move |r| {
        if r.path == NEXT {
            // One invocation, then the runtime waits for the next for ever.
            if served.swap(true, Ordering::SeqCst) {
                return None;
            }
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 900_000;
            return Some(
                Reply::json(200, event())
                    .header("lambda-runtime-aws-request-id", REQUEST_ID)
                    .header("lambda-runtime-deadline-ms", &deadline.to_string())
                    .header(
                        "lambda-runtime-invoked-function-arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:snapshot",
                    ),
            );
        }
        if r.path.starts_with("/2018-06-01/runtime/") {
            return Some(Reply::json(202, r#"{"status":"OK"}"#));
        }
        leaks::account_failing_api_keys(fault, r)
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_snapshot"))
        .env_clear()
        .envs(leaks::process_env(&server, dir.path()))
        .env("AWS_LAMBDA_RUNTIME_API", server.host_port())
        .env("AWS_LAMBDA_FUNCTION_NAME", "snapshot")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "TRACE")
        .env(
            "APIGW_DR_CATALOG",
            format!("file://{}", dir.path().join("catalog").display()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Read both pipes meanwhile, so that a full pipe never stops the function.
    let drain = |pipe: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>| {
        tokio::spawn(async move {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let mut bytes = vec![];
                let _ = p.read_to_end(&mut bytes).await;
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let error_path = format!("/2018-06-01/runtime/invocation/{REQUEST_ID}/error");
    let start = Instant::now();
    let reported = loop {
        if let Some(r) = server.requests().into_iter().find(|r| r.path == error_path) {
            break r;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{fault:?}: no error reported"
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{fault:?}: the function ended: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Let the last log lines out, then stop it (it waits for the next invocation).
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let printed = format!("{}\n{}", stdout.await.unwrap(), stderr.await.unwrap());
    let printed = format!("{printed}\n{}", reported.body_text());
    let error: Value = serde_json::from_slice(&reported.body).unwrap();
    (server, printed, error)
}

async fn check(fault: Fault) {
    let (server, printed, error) = invoke(fault).await;
    leaks::assert_not_leaked(&printed, &server.requests(), ATTEMPTS);
    // Lambda's JSON logs, at TRACE: the pacer's retry lines and the failure are there.
    let lines: Vec<Value> = printed
        .lines()
        .filter(|l| l.starts_with('{') && l.contains("\"level\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let said = |m: &str| {
        lines
            .iter()
            .any(|l| l["fields"]["message"].as_str() == Some(m))
    };
    assert!(
        said("transient failure, retrying") && said("giving up") && said("invocation failed"),
        "{fault:?}: {printed}"
    );
    // The failure is published: one embedded-metric-format line on stdout (checked for leaks
    // with the rest above), the snapshot's APIs and trigger its only other members.
    let metrics: Vec<Value> = printed
        .lines()
        .filter(|l| l.starts_with('{') && l.contains("\"_aws\":"))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(metrics.len(), 1, "{fault:?}: {printed}");
    assert_eq!(metrics[0]["SnapshotFailures"], 1.0, "{}", metrics[0]);
    assert_eq!(metrics[0]["apis"], serde_json::json!(["(estate)"]));
    let message = error["errorMessage"].as_str().unwrap_or_default();
    assert_eq!(error["errorType"], "Retryable", "{error}");
    assert!(
        message.contains("GetApiKeys")
            && message.contains(&format!("HTTP {}", fault.status()))
            && message.contains(fault.code())
            && !message.contains('\n')
            && message.len() < 400,
        "{fault:?}: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_api_key_value_reaches_the_logs_or_the_reported_error() {
    tokio::join!(check(Fault::Throttled), check(Fault::ServerError));
}
