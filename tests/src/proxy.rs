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

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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

    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(&request.closing()).await?;
    let reply = read_message(&mut up, true)
        .await?
        .context("the upstream closed without a reply")?;
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
