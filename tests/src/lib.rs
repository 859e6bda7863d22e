//! The local-AWS harness every integration test uses: one moto server per test process,
//! started lazily on a free loopback port, reset before each test, and gone when the test
//! process exits. Plus [`fixtures`] that build real API Gateway resources in it.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use tests::{Account, acquire};
//! let env = acquire().await; // serializes the tests of this process and resets moto
//! let sdk = env.sdk("us-east-1", Account::A).await;
//! let client = aws_sdk_apigateway::Client::new(&sdk);
//! let api = tests::fixtures::sample_rest_api(&client, "pets").await?;
//! # let _ = api; Ok(()) }
//! ```
//!
//! Lifetime of the server: it is a Python child (moto's `ThreadedMotoServer`) whose stdin is a
//! pipe this process holds open for ever. When this process ends, however it ends (normal exit,
//! panic, SIGKILL), the kernel closes the pipe, and the child sees end-of-file on stdin and calls
//! `os._exit`. Nothing is left running and its scratch folder is removed.

mod http;

pub mod faults;
pub mod fixtures;
pub mod leaks;
pub mod loopback;
pub mod proxy;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex as StdMutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use tokio::sync::{Mutex, MutexGuard};

/// moto's default account; requests signed with the static test credentials act in it.
pub const ACCOUNT_A: &str = "123456789012";
/// The second account, reached by a real `sts:AssumeRole` into [`role_arn`]`(Account::B)`.
pub const ACCOUNT_B: &str = "222222222222";
/// The static test credentials of account A (moto accepts any).
pub const ACCESS_KEY_ID: &str = "AKIAAPIGWDRTEST00001";
pub const SECRET_ACCESS_KEY: &str = "apigw-dr-test-secret-key";
/// The name of the role [`role_arn`] points at in each account (moto needs no such role).
pub const ROLE_NAME: &str = "apigw-dr-test";

const START_TIMEOUT: Duration = Duration::from_secs(20);
const CONTROL_TIMEOUT: Duration = Duration::from_secs(30);

/// An AWS account of the local AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Account {
    /// 123456789012, moto's default, with plain static credentials.
    A,
    /// 222222222222, through `sts:AssumeRole` of `arn:aws:iam::222222222222:role/apigw-dr-test`.
    B,
}

impl Account {
    /// The 12-digit account id.
    pub fn id(self) -> &'static str {
        match self {
            Account::A => ACCOUNT_A,
            Account::B => ACCOUNT_B,
        }
    }

    /// `arn:aws:iam::ACCOUNT:role/apigw-dr-test`.
    pub fn role_arn(self) -> String {
        role_arn(self)
    }
}

/// `arn:aws:iam::ACCOUNT:role/apigw-dr-test`: the role the tests assume to act in `account`.
pub fn role_arn(account: Account) -> String {
    format!("arn:aws:iam::{}:role/{ROLE_NAME}", account.id())
}

/// The workspace root (the folder holding `.venv` and `scripts/setup`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace")
        .to_path_buf()
}

// ---------------------------------------------------------------------------------------------
// The server

struct Server {
    addr: SocketAddr,
    endpoint: String,
    started_in: Duration,
    // Held for the life of the process: closing it is what stops the server.
    _stdin: StdMutex<ChildStdin>,
    _child: StdMutex<Child>,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static LOCK: Mutex<()> = Mutex::const_new(());

// The Python side: start moto's threaded server on a kernel-chosen loopback port (no race
// between finding a free port and binding it), print the port, then live until stdin closes.
const LAUNCHER: &str = r#"
import os, shutil, sys
workdir = sys.argv[1]
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
port = server.get_host_and_port()[1]
os.environ["MOTO_PORT"] = str(port)
sys.stdout.write(f"{port}\n")
sys.stdout.flush()
log = os.open(os.path.join(workdir, "moto.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
os.dup2(log, 1)
try:
    while sys.stdin.buffer.read(65536):
        pass
finally:
    shutil.rmtree(workdir, ignore_errors=True)
    os._exit(0)
"#;

fn server() -> &'static Server {
    SERVER.get_or_init(start_server)
}

fn start_server() -> Server {
    let t0 = Instant::now();
    let root = workspace_root();
    let venv = root.join(".venv").join("bin");
    let python = venv.join("python");
    if !venv.join("moto_server").is_file() || !python.exists() {
        panic!("local AWS not installed: run scripts/setup");
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let workdir =
        std::env::temp_dir().join(format!("apigw-dr-moto-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&workdir).expect("creating moto's scratch folder");
    let log_path = workdir.join("moto.log");
    let log = std::fs::File::create(&log_path).expect("creating moto's log");

    let mut child = Command::new(&python)
        .arg("-c")
        .arg(LAUNCHER)
        .arg(&workdir)
        .current_dir(&workdir)
        // Only the child's environment: where moto's recorder writes, and no account override.
        .env("MOTO_RECORDER_FILEPATH", workdir.join("recording.jsonl"))
        .env_remove("MOTO_ACCOUNT_ID")
        .env_remove("MOTO_ENABLE_RECORDING")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap_or_else(|e| panic!("starting moto ({}): {e}", python.display()));
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");

    // Read the port line on a helper thread so that a hung start times out.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        let got = reader.read_line(&mut line).map(|_| line);
        let _ = tx.send(got);
        // Keep draining so that a stray write can never block the child.
        let _ = reader.read_to_end(&mut Vec::new());
    });
    let fail = |why: String, child: &mut Child| -> ! {
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&workdir);
        panic!("moto did not start: {why}\n--- moto log ---\n{log}");
    };
    let port: u16 = match rx.recv_timeout(START_TIMEOUT) {
        Ok(Ok(line)) => match line.trim().parse() {
            Ok(p) => p,
            Err(_) => fail(format!("unexpected first line {line:?}"), &mut child),
        },
        Ok(Err(e)) => fail(format!("reading its port: {e}"), &mut child),
        Err(_) => fail(format!("no port within {START_TIMEOUT:?}"), &mut child),
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    // Wait until it answers.
    let deadline = t0 + START_TIMEOUT;
    loop {
        match http::request(addr, "GET", "/moto-api/reset", b"", Duration::from_secs(2)) {
            // GET on reset is a cheap no-op that moto answers with 400 "Need to POST".
            Ok(r) if r.status == 400 || r.status == 200 => break,
            other => {
                if let Ok(Some(status)) = child.try_wait() {
                    fail(format!("it exited ({status})"), &mut child);
                }
                if Instant::now() > deadline {
                    fail(
                        format!("no answer within {START_TIMEOUT:?}: {other:?}"),
                        &mut child,
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    Server {
        addr,
        endpoint: format!("http://127.0.0.1:{port}"),
        started_in: t0.elapsed(),
        _stdin: StdMutex::new(stdin),
        _child: StdMutex::new(child),
    }
}

async fn control(method: &'static str, path: &'static str) -> anyhow::Result<String> {
    let addr = server().addr;
    let resp = tokio::task::spawn_blocking(move || {
        http::request(addr, method, path, b"", CONTROL_TIMEOUT)
    })
    .await
    .context("moto control call panicked")?
    .with_context(|| format!("{method} {path} to moto"))?;
    if resp.status != 200 {
        bail!(
            "{method} {path} to moto: HTTP {}: {}",
            resp.status,
            resp.text()
        );
    }
    Ok(resp.text())
}

// ---------------------------------------------------------------------------------------------
// Env

/// Exclusive use of the local AWS for one test: holds the process-wide lock until dropped.
/// Get one with [`acquire`].
pub struct Env {
    _guard: MutexGuard<'static, ()>,
    server: &'static Server,
}

/// Starts moto if this process has not yet, waits for the other tests of this process to be
/// done with it, resets all its state (and its recorder), and returns the handle.
///
/// Panics if moto is not installed ("local AWS not installed: run scripts/setup") or does not
/// start: a test that needs the local AWS never silently skips.
pub async fn acquire() -> Env {
    let guard = LOCK.lock().await;
    let server = tokio::task::spawn_blocking(server)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    let env = Env {
        _guard: guard,
        server,
    };
    env.reset().await.expect("resetting moto");
    env
}

/// How long this process's moto took to start and answer (None before the first [`acquire`]).
pub fn startup_time() -> Option<Duration> {
    SERVER.get().map(|s| s.started_in)
}

impl Env {
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.server.endpoint
    }

    /// Clears all of moto's state (every service, account and Region) and its recorder.
    /// [`acquire`] already did this once.
    pub async fn reset(&self) -> anyhow::Result<()> {
        control("POST", "/moto-api/recorder/stop-recording").await?;
        control("POST", "/moto-api/recorder/reset-recording").await?;
        control("POST", "/moto-api/reset").await?;
        Ok(())
    }

    /// SDK configuration for `region` acting in `account`, built explicitly (no environment,
    /// profile or IMDS lookups): endpoint, static credentials, Region, latest behavior version,
    /// default retries. Account B's credentials come from a real `sts:AssumeRole` against moto.
    pub async fn sdk(&self, region: &str, account: Account) -> SdkConfig {
        sdk_config(self.endpoint(), region, account)
            .await
            .unwrap_or_else(|e| panic!("SDK config for account {account:?}: {e:#}"))
    }

    /// Environment variables for running the apigw-dr binary as a subprocess against this moto
    /// in `region`, as account A.
    pub fn cli_env(&self, region: &str) -> Vec<(String, String)> {
        cli_env_with(self.endpoint(), region, &static_credentials())
    }

    /// Like [`Env::cli_env`] for any account (B: assumed-role credentials with a session token).
    pub async fn cli_env_as(&self, region: &str, account: Account) -> Vec<(String, String)> {
        let creds = credentials_for(self.endpoint(), region, account)
            .await
            .unwrap_or_else(|e| panic!("credentials for account {account:?}: {e:#}"));
        cli_env_with(self.endpoint(), region, &creds)
    }

    /// Creates an S3 bucket in the configuration's Region (with a LocationConstraint outside
    /// us-east-1).
    pub async fn create_bucket(&self, sdk: &SdkConfig, name: &str) -> anyhow::Result<()> {
        create_bucket(sdk, name).await
    }

    /// Creates a DynamoDB catalog table: partition key `pk` (S), sort key `sk` (S), on-demand.
    pub async fn create_catalog_table(&self, sdk: &SdkConfig, name: &str) -> anyhow::Result<()> {
        create_catalog_table(sdk, name).await
    }

    /// Clears the recorder and starts recording every request moto receives.
    pub async fn start_recording(&self) {
        control("POST", "/moto-api/recorder/reset-recording")
            .await
            .expect("moto recorder");
        control("POST", "/moto-api/recorder/start-recording")
            .await
            .expect("moto recorder");
    }

    /// Stops recording (what was recorded stays readable).
    pub async fn stop_recording(&self) {
        control("POST", "/moto-api/recorder/stop-recording")
            .await
            .expect("moto recorder");
    }

    /// (method, path) of each request recorded since [`Env::start_recording`], in order;
    /// the path is as sent (percent-encoded), without the query string. moto's own
    /// `/moto-api/` calls are left out.
    pub async fn recorded_requests(&self) -> Vec<(String, String)> {
        self.recorded()
            .await
            .into_iter()
            .map(|r| (r.method, r.path))
            .collect()
    }

    /// The full records since [`Env::start_recording`] (moto's own `/moto-api/` calls left out).
    pub async fn recorded(&self) -> Vec<Recorded> {
        let text = control("GET", "/moto-api/recorder/download-recording")
            .await
            .expect("moto recorder");
        parse_recording(&text).expect("parsing moto's recording")
    }
}

// ---------------------------------------------------------------------------------------------
// SDK configuration, usable without an Env (the seed and bench binaries)

fn static_credentials() -> Credentials {
    Credentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        None,
        None,
        "apigw-dr-tests",
    )
}

fn base_config(endpoint: &str, region: &str, creds: Credentials) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(SharedCredentialsProvider::new(creds))
        .build()
}

/// The credentials that act in `account`: static ones for A; for B, those returned by
/// `sts:AssumeRole` of [`role_arn`]`(B)` called with A's.
pub async fn credentials_for(
    endpoint: &str,
    region: &str,
    account: Account,
) -> anyhow::Result<Credentials> {
    match account {
        Account::A => Ok(static_credentials()),
        Account::B => {
            let sts =
                aws_sdk_sts::Client::new(&base_config(endpoint, region, static_credentials()));
            let out = sts
                .assume_role()
                .role_arn(role_arn(Account::B))
                .role_session_name("apigw-dr-tests")
                .send()
                .await
                .context("sts:AssumeRole into account B")?;
            let c = out
                .credentials()
                .context("AssumeRole returned no credentials")?;
            B_KEYS
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(c.access_key_id().to_string());
            Ok(Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().to_string()),
                None,
                "apigw-dr-tests-assumed",
            ))
        }
    }
}

/// The explicit SDK configuration [`Env::sdk`] returns, for a moto at `endpoint`.
pub async fn sdk_config(
    endpoint: &str,
    region: &str,
    account: Account,
) -> anyhow::Result<SdkConfig> {
    let creds = credentials_for(endpoint, region, account).await?;
    Ok(base_config(endpoint, region, creds))
}

/// Access keys [`credentials_for`] obtained for account B in this process.
static B_KEYS: StdMutex<Vec<String>> = StdMutex::new(Vec::new());

/// The account a set of credentials from this harness acts in: the static test key is A; keys
/// from [`credentials_for`]`(B)` are B. Other keys: None.
pub fn account_of_access_key(access_key_id: &str) -> Option<Account> {
    if access_key_id == ACCESS_KEY_ID {
        return Some(Account::A);
    }
    let keys = B_KEYS.lock().unwrap_or_else(|p| p.into_inner());
    keys.iter()
        .any(|k| k == access_key_id)
        .then_some(Account::B)
}

/// The account id an API Gateway client acts in. The client's configuration does not reveal
/// its credentials or endpoint, so this makes one GetAccount call, reads the endpoint and the
/// access key id off the signed request, and asks moto's STS (GetCallerIdentity) which account
/// that key belongs to (moto does not check signatures, so the secret is not needed).
pub async fn account_of_client(client: &aws_sdk_apigateway::Client) -> anyhow::Result<String> {
    let seen = Arc::new(StdMutex::new(None));
    client
        .get_account()
        .customize()
        .interceptor(SeeRequest(seen.clone()))
        .send()
        .await
        .context("apigateway:GetAccount")?;
    let (uri, key) = seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .context("no request was sent")?;
    if let Some(account) = account_of_access_key(&key) {
        return Ok(account.id().to_string());
    }
    let endpoint = uri
        .split_once("://")
        .and_then(|(scheme, rest)| {
            let host = rest.split('/').next()?;
            Some(format!("{scheme}://{host}"))
        })
        .context("request without an absolute URI")?;
    let region = client
        .config()
        .region()
        .map_or("us-east-1".to_string(), |r| r.to_string());
    let creds = Credentials::new(key, "unused", None, None, "apigw-dr-tests-probe");
    let sts = aws_sdk_sts::Client::new(&base_config(&endpoint, &region, creds));
    let id = sts
        .get_caller_identity()
        .send()
        .await
        .context("sts:GetCallerIdentity")?;
    id.account()
        .map(str::to_string)
        .context("GetCallerIdentity returned no account")
}

/// Records the URI and the SigV4 access key id of the request about to be sent.
#[derive(Debug)]
struct SeeRequest(Arc<StdMutex<Option<(String, String)>>>);

impl aws_sdk_apigateway::config::Intercept for SeeRequest {
    fn name(&self) -> &'static str {
        "apigw-dr-tests-see-request"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_apigateway::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_apigateway::config::RuntimeComponents,
        _: &mut aws_sdk_apigateway::config::ConfigBag,
    ) -> Result<(), aws_sdk_apigateway::error::BoxError> {
        let req = context.request();
        let key = req
            .headers()
            .get("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
            .unwrap_or_default()
            .to_string();
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((req.uri().to_string(), key));
        Ok(())
    }
}

fn cli_env_with(endpoint: &str, region: &str, creds: &Credentials) -> Vec<(String, String)> {
    let mut v = vec![
        ("AWS_ENDPOINT_URL".to_string(), endpoint.to_string()),
        (
            "AWS_ACCESS_KEY_ID".to_string(),
            creds.access_key_id().to_string(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_string(),
            creds.secret_access_key().to_string(),
        ),
        ("AWS_REGION".to_string(), region.to_string()),
        ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
    ];
    if let Some(token) = creds.session_token() {
        v.push(("AWS_SESSION_TOKEN".to_string(), token.to_string()));
    }
    v
}

/// Creates an S3 bucket in the configuration's Region.
pub async fn create_bucket(sdk: &SdkConfig, name: &str) -> anyhow::Result<()> {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let s3 = aws_sdk_s3::Client::new(sdk);
    let region = sdk
        .region()
        .map(|r| r.as_ref().to_string())
        .unwrap_or_default();
    let mut req = s3.create_bucket().bucket(name);
    if region != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        );
    }
    req.send()
        .await
        .with_context(|| format!("creating bucket {name}"))?;
    Ok(())
}

/// Creates a DynamoDB table with partition key `pk` (S), sort key `sk` (S), on-demand billing.
pub async fn create_catalog_table(sdk: &SdkConfig, name: &str) -> anyhow::Result<()> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
    };
    ddb.create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk")?)
        .attribute_definitions(attr("sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .send()
        .await
        .with_context(|| format!("creating table {name}"))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Recording

/// One request moto recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path as sent (percent-encoded), e.g. `/restapis/abc123/resources`.
    pub path: String,
    /// The query string without `?` (empty if none).
    pub query: String,
    /// The signing service from the Authorization header (`apigateway`, `s3`, `dynamodb`, ...).
    pub service: Option<String>,
    /// The signing Region from the Authorization header.
    pub region: Option<String>,
    /// The operation when the protocol names it: `X-Amz-Target` (e.g.
    /// `DynamoDB_20120810.PutItem`) or the query protocol's `Action` (e.g. `AssumeRole`).
    pub operation: Option<String>,
    /// The request headers as moto saw them.
    pub headers: Vec<(String, String)>,
    /// The body (decoded from base64 where moto stored it so, lossily as UTF-8).
    pub body: String,
}

impl Recorded {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn parse_recording(text: &str) -> anyhow::Result<Vec<Recorded>> {
    #[derive(serde::Deserialize)]
    struct Line {
        method: String,
        url: String,
        #[serde(default)]
        headers: std::collections::BTreeMap<String, serde_json::Value>,
        #[serde(default)]
        body: Option<String>,
        #[serde(default)]
        body_encoded: bool,
    }
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let l: Line = serde_json::from_str(line).with_context(|| format!("record {line}"))?;
        // url is scheme://host[:port]/path[?query]
        let after_scheme = l.url.split_once("://").map_or(l.url.as_str(), |(_, r)| r);
        let path_and_query = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        if path.starts_with("/moto-api/") || path == "/moto-api" {
            continue;
        }
        let headers: Vec<(String, String)> = l
            .headers
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect();
        let body = match l.body {
            Some(b) if l.body_encoded => String::from_utf8_lossy(&base64_decode(&b)).into_owned(),
            Some(b) => b,
            None => String::new(),
        };
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let scope = header("authorization").and_then(|a| {
            let cred = a.split("Credential=").nth(1)?;
            let cred = cred.split([',', ' ']).next()?;
            let parts: Vec<&str> = cred.split('/').collect();
            (parts.len() >= 5).then(|| (parts[2].to_string(), parts[3].to_string()))
        });
        let action = |s: &str| {
            s.split('&')
                .find_map(|kv| kv.strip_prefix("Action="))
                .map(str::to_string)
        };
        let operation = header("x-amz-target")
            .or_else(|| action(query))
            .or_else(|| action(&body));
        out.push(Recorded {
            method: l.method,
            path: path.to_string(),
            query: query.to_string(),
            region: scope.as_ref().map(|s| s.0.clone()),
            service: scope.map(|s| s.1),
            operation,
            headers,
            body,
        });
    }
    Ok(out)
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// The keyring a snapshot of `store` uses when the operator names no key: a file store's
/// `DIR/secret.key` (made on first use); an S3 store has none (fine for sources without API keys).
pub fn sealer(store: &shared::store::Store) -> shared::secret::Sealer {
    shared::secret::Sealer::for_store(store, &Default::default(), None)
}

/// Receives and deletes every message visible in the queue now; returns their bodies.
pub async fn drain_queue(sdk: &SdkConfig, queue_url: &str) -> Vec<String> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let mut out = vec![];
    loop {
        let got = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("ReceiveMessage");
        if got.messages().is_empty() {
            return out;
        }
        for m in got.messages() {
            out.push(m.body().unwrap_or_default().to_string());
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("DeleteMessage");
        }
    }
}

/// A local recovery point store and catalog in a fresh temporary folder (kept while the
/// returned guard lives).
pub async fn local_store() -> (
    tempfile::TempDir,
    shared::store::Store,
    shared::catalog::Catalog,
) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("file://{}", dir.path().display());
    let (store, catalog) = shared::location::open(&url, None, None)
        .await
        .expect("local store");
    (dir, store, catalog)
}

/// Takes a recovery point of `source` (the APIs `select` names, every one when empty, and the
/// estate) with the store's own keyring; returns the point's id.
pub async fn take_point(
    source: &SdkConfig,
    store: &shared::store::Store,
    catalog: &shared::catalog::Catalog,
    select: &[&str],
) -> String {
    let job = shared::pipeline::SnapshotJob {
        select: select.iter().map(|s| s.to_string()).collect(),
        label: None,
        trigger: "test".into(),
        retention_days: 30,
        include: vec![],
        exclude: vec![],
    };
    shared::pipeline::snapshot(source, store, catalog, &sealer(store), &job, &|_| {})
        .await
        .expect("snapshot")
        .report
        .record
        .id
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn base64_round() {
        assert_eq!(base64_decode("aGVsbG8gd29ybGQ="), b"hello world");
        assert_eq!(base64_decode("YQ=="), b"a");
    }

    #[test]
    fn parses_moto_recording_lines() {
        let text = concat!(
            r#"{"headers": {"Host": "127.0.0.1:5000", "Authorization": "AWS4-HMAC-SHA256 Credential=AK/20250101/eu-west-1/apigateway/aws4_request, SignedHeaders=host, Signature=x"}, "method": "GET", "url": "http://127.0.0.1:5000/restapis/abc/resources?embed=methods&limit=500", "body": "", "body_encoded": false}"#,
            "\n",
            r#"{"headers": {"X-Amz-Target": "DynamoDB_20120810.PutItem"}, "method": "POST", "url": "http://127.0.0.1:5000/", "body": "e30=", "body_encoded": true}"#,
            "\n",
            r#"{"headers": {}, "method": "POST", "url": "http://127.0.0.1:5000/moto-api/reset", "body": "", "body_encoded": false}"#,
            "\n",
            r#"{"headers": {}, "method": "POST", "url": "http://127.0.0.1:5000/", "body": "Action=AssumeRole&Version=2011-06-15", "body_encoded": false}"#,
            "\n",
        );
        let r = parse_recording(text).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            (r[0].method.as_str(), r[0].path.as_str()),
            ("GET", "/restapis/abc/resources")
        );
        assert_eq!(r[0].query, "embed=methods&limit=500");
        assert_eq!(r[0].service.as_deref(), Some("apigateway"));
        assert_eq!(r[0].region.as_deref(), Some("eu-west-1"));
        assert_eq!(r[1].operation.as_deref(), Some("DynamoDB_20120810.PutItem"));
        assert_eq!(r[1].body, "{}");
        assert_eq!(r[2].operation.as_deref(), Some("AssumeRole"));
    }
}
