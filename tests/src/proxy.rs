//! A loopback proxy in front of the local AWS that loses replies: it forwards every request to
//! the upstream (moto) and, for every Nth POST or PUT to API Gateway, waits for the upstream's
//! reply and then resets the client's connection instead of passing the reply back. The request
//! was applied; the caller never hears so, as after a connection reset or a timeout on AWS.
//! Restore tests point the target's SDK configuration at [`LossyProxy::endpoint`].
//!
//! One request per connection: each reply goes back with `Connection: close`, so the client
//! never reuses a connection the proxy is about to close.
//!
//! [`LossyProxy::exporting`] answers GetExport of given stages itself (moto's GetExport
//! returns Swagger 2 of the working copy): what a stage serves on AWS, made up by the test.
//!
//! Every proxy keeps REST API stages' canary settings, which moto drops (and whose
//! `/canarySettings/deploymentId` patch moto would apply to the stage's own deployment): taken
//! from CreateStage and UpdateStage (`/canarySettings/...` patches, not passed on), given back
//! in the stage replies, as AWS does.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Request paths of API Gateway's control plane (v1 and v2); other services' calls (Lambda
/// permissions, say) are forwarded without loss.
const APIGATEWAY_PATHS: &[&str] = &[
    "/restapis",
    "/v2/",
    "/apikeys",
    "/usageplans",
    "/vpclinks",
    "/domainnames",
    "/clientcertificates",
    "/tags",
];

/// The proxy; it stops when dropped.
pub struct LossyProxy {
    /// `http://127.0.0.1:PORT`, for an SDK's endpoint URL.
    pub endpoint: String,
    counts: Arc<Counts>,
    task: JoinHandle<()>,
}

#[derive(Default)]
struct Counts {
    /// POSTs and PUTs to API Gateway seen.
    writes: AtomicU64,
    /// Replies lost.
    lost: AtomicU64,
    /// Canary settings by REST API id and stage name.
    canaries: Mutex<BTreeMap<(String, String), Value>>,
}

impl LossyProxy {
    /// Listens on a free loopback port and forwards to `upstream` (`http://HOST:PORT`), losing
    /// the reply to every `every`-th POST or PUT to API Gateway (the `every`-th, the
    /// `2 * every`-th...).
    pub async fn start(upstream: &str, every: u64) -> Result<LossyProxy> {
        LossyProxy::with_exports(upstream, every, Vec::new()).await
    }

    /// A proxy that loses no reply and answers GetExport of each `(api id, stage, document)`
    /// with that document (any export type), forwarding everything else.
    pub async fn exporting(
        upstream: &str,
        exports: Vec<(String, String, serde_json::Value)>,
    ) -> Result<LossyProxy> {
        let exports = exports
            .into_iter()
            .map(|(api, stage, doc)| (format!("/restapis/{api}/stages/{stage}/exports/"), doc))
            .collect();
        LossyProxy::with_exports(upstream, u64::MAX, exports).await
    }

    async fn with_exports(
        upstream: &str,
        every: u64,
        exports: Vec<(String, serde_json::Value)>,
    ) -> Result<LossyProxy> {
        let exports = Arc::new(exports);
        let upstream = upstream
            .strip_prefix("http://")
            .context("the upstream must be an http:// endpoint")?
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let counts = Arc::new(Counts::default());
        let task = tokio::spawn({
            let counts = counts.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let (counts, upstream) = (counts.clone(), upstream.clone());
                    let exports = exports.clone();
                    tokio::spawn(async move {
                        // A client that goes away mid-request is no concern of the test's.
                        let _ = serve(client, &upstream, every.max(1), &counts, &exports).await;
                    });
                }
            }
        });
        Ok(LossyProxy {
            endpoint,
            counts,
            task,
        })
    }

    /// Replies lost so far.
    pub fn lost(&self) -> u64 {
        self.counts.lost.load(Ordering::SeqCst)
    }

    /// POSTs and PUTs to API Gateway forwarded so far.
    pub fn writes(&self) -> u64 {
        self.counts.writes.load(Ordering::SeqCst)
    }
}

impl Drop for LossyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One HTTP/1.1 message: its head (start line and headers, without the blank line) and body.
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    /// The same head with `body` (and its length).
    fn with_body(&self, body: Vec<u8>) -> Message {
        let mut headers = self.headers.clone();
        for (k, v) in &mut headers {
            if k.eq_ignore_ascii_case("content-length") {
                *v = body.len().to_string();
            }
        }
        Message {
            start: self.start.clone(),
            headers,
            body,
        }
    }

    /// The message as bytes, with `Connection: close`.
    fn closing(&self) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start);
        for (k, v) in &self.headers {
            if !k.eq_ignore_ascii_case("connection") {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        out.push_str("Connection: close\r\n\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// Reads one message; a body by `Content-Length`, or to the end of the stream when `to_eof` and
/// there is none. `None` when the stream ends before a message starts.
async fn read_message<R: AsyncRead + Unpin>(r: &mut R, to_eof: bool) -> Result<Option<Message>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = r.read(&mut chunk).await?;
        if n == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            bail!("the stream ended inside a message head");
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut body = buf[head_end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let start = lines.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        bail!("chunked bodies are not supported by this proxy");
    }
    match length {
        Some(n) => {
            while body.len() < n {
                let got = r.read(&mut chunk).await?;
                if got == 0 {
                    bail!("the stream ended inside a body");
                }
                body.extend_from_slice(&chunk[..got]);
            }
            body.truncate(n);
        }
        None if to_eof => {
            r.read_to_end(&mut body).await?;
        }
        None => {}
    }
    Ok(Some(Message {
        start,
        headers,
        body,
    }))
}

async fn serve(
    mut client: TcpStream,
    upstream: &str,
    every: u64,
    counts: &Counts,
    exports: &[(String, serde_json::Value)],
) -> Result<()> {
    let Some(request) = read_message(&mut client, false).await? else {
        return Ok(());
    };
    let mut parts = request.start.split(' ');
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    if method == "GET"
        && let Some((_, doc)) = exports.iter().find(|(p, _)| path.starts_with(p.as_str()))
    {
        let body = doc.to_string().into_bytes();
        let reply = Message {
            start: "HTTP/1.1 200 OK".into(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Content-Length".into(), body.len().to_string()),
            ],
            body,
        };
        client.write_all(&reply.closing()).await?;
        client.shutdown().await?;
        return Ok(());
    }
    let lose = matches!(method, "POST" | "PUT")
        && APIGATEWAY_PATHS.iter().any(|p| path.starts_with(p))
        && (counts.writes.fetch_add(1, Ordering::SeqCst) + 1).is_multiple_of(every);
    let stage = stage_of(path);
    let (changed, canary) = match &stage {
        Some(at) => take_canary(&request, method, at),
        None => (None, None),
    };

    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(&changed.as_ref().unwrap_or(&request).closing())
        .await?;
    let mut reply = read_message(&mut up, true)
        .await?
        .context("the upstream closed without a reply")?;
    if let Some(at) = &stage
        && reply
            .start
            .split(' ')
            .nth(1)
            .is_some_and(|s| s.starts_with('2'))
    {
        let mut held = counts.canaries.lock().unwrap_or_else(|e| e.into_inner());
        keep_canary(&mut held, method, at, canary);
        reply = give_canaries(&held, &at.0, reply);
    }
    if lose {
        // The request was applied upstream; the client's connection is reset instead of
        // getting the reply.
        counts.lost.fetch_add(1, Ordering::SeqCst);
        client.set_zero_linger()?;
        drop(client);
        return Ok(());
    }
    client.write_all(&reply.closing()).await?;
    client.shutdown().await?;
    Ok(())
}

/// A REST API stage request: the API id and, but for the collection, the stage name.
type StageAt = (String, Option<String>);

/// The stage a request path names (`/restapis/ID/stages[/NAME]`), if it names one.
fn stage_of(path: &str) -> Option<StageAt> {
    let path = path.split('?').next()?;
    let rest = path.strip_prefix("/restapis/")?;
    let segs: Vec<&str> = rest.split('/').collect();
    match segs.as_slice() {
        [api, "stages"] => Some(((*api).to_string(), None)),
        [api, "stages", stage] => Some(((*api).to_string(), Some((*stage).to_string()))),
        _ => None,
    }
}

/// What a request says of a stage's canary, with the stage's name: CreateStage's
/// `canarySettings`, or UpdateStage's `/canarySettings` patches (taken out of the request
/// passed on).
enum CanaryChange {
    Created(String, Value),
    Patched(String, Vec<Value>),
}

/// The request to pass on, when it is not `request`, and what it says of a canary.
fn take_canary(
    request: &Message,
    method: &str,
    at: &StageAt,
) -> (Option<Message>, Option<CanaryChange>) {
    let Ok(mut body) = serde_json::from_slice::<Value>(&request.body) else {
        return (None, None);
    };
    match (method, &at.1) {
        ("POST", None) => {
            let name = body["stageName"].as_str().unwrap_or_default().to_string();
            let canary = body.get("canarySettings").cloned();
            (None, canary.map(|c| CanaryChange::Created(name, c)))
        }
        ("PATCH", Some(stage)) => {
            let Some(ops) = body["patchOperations"].as_array_mut() else {
                return (None, None);
            };
            let (canary, rest): (Vec<Value>, Vec<Value>) = ops.drain(..).partition(|op| {
                op["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("/canarySettings"))
            });
            if canary.is_empty() {
                return (None, None);
            }
            *ops = rest;
            let sent = request.with_body(body.to_string().into_bytes());
            (
                Some(sent),
                Some(CanaryChange::Patched(stage.clone(), canary)),
            )
        }
        _ => (None, None),
    }
}

/// Records what an applied request did to a stage's canary.
fn keep_canary(
    held: &mut BTreeMap<(String, String), Value>,
    method: &str,
    at: &StageAt,
    change: Option<CanaryChange>,
) {
    if let ("DELETE", Some(stage)) = (method, &at.1) {
        held.remove(&(at.0.clone(), stage.clone()));
    }
    match change {
        None => {}
        Some(CanaryChange::Created(stage, canary)) => {
            held.insert((at.0.clone(), stage), canary);
        }
        Some(CanaryChange::Patched(stage, ops)) => {
            let key = (at.0.clone(), stage);
            for op in ops {
                let path = op["path"].as_str().unwrap_or_default();
                let value = op["value"].as_str().unwrap_or_default();
                let field = path
                    .trim_start_matches("/canarySettings")
                    .trim_start_matches('/');
                let remove = op["op"] == "remove";
                if remove && field.is_empty() {
                    held.remove(&key);
                    continue;
                }
                let canary = held.entry(key.clone()).or_insert_with(|| json!({}));
                let value = match field {
                    "percentTraffic" => json!(value.parse::<f64>().unwrap_or_default()),
                    "useStageCache" => json!(value == "true"),
                    _ => json!(value),
                };
                match field.split_once('/') {
                    Some(("stageVariableOverrides", name)) if remove => {
                        if let Some(o) = canary["stageVariableOverrides"].as_object_mut() {
                            o.remove(name);
                        }
                    }
                    Some(("stageVariableOverrides", name)) => {
                        canary["stageVariableOverrides"][name] = value;
                    }
                    _ => canary[field] = value,
                }
            }
        }
    }
}

/// A stage reply (one stage, or GetStages' `item`) with the canaries kept for API `api`.
fn give_canaries(held: &BTreeMap<(String, String), Value>, api: &str, reply: Message) -> Message {
    if !held.keys().any(|(a, _)| a == api) {
        return reply;
    }
    let Ok(mut body) = serde_json::from_slice::<Value>(&reply.body) else {
        return reply;
    };
    let give = |stage: &mut Value| {
        let name = stage["stageName"].as_str().unwrap_or_default().to_string();
        if let Some(c) = held.get(&(api.to_string(), name)) {
            stage["canarySettings"] = c.clone();
        }
    };
    if let Some(items) = body.get_mut("item").and_then(Value::as_array_mut) {
        items.iter_mut().for_each(give);
    } else if body.get("stageName").is_some() {
        give(&mut body);
    } else {
        return reply;
    }
    reply.with_body(body.to_string().into_bytes())
}
