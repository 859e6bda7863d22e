//! API key values that must never reach a log or a terminal: a made-up account (served by a
//! [`crate::loopback::Server`]) whose GetApiKeys fails with the values in the failure's body,
//! and every way a value could show up in text (plain, base64 standard and URL-safe at any
//! alignment, hex).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};

use crate::loopback::{Reply, Request};

/// The account's API key values.
pub const VALUES: [&str; 2] = [
    "apigwdrKEYvalue-0001-AbCdEfGhIjKlMnOpQrSt",
    "apigwdrKEYvalue-0002-uVwXyZ0123456789+/_~",
];

/// How GetApiKeys fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 TooManyRequestsException, every time.
    Throttled,
    /// 500 InternalFailure, every time.
    ServerError,
}

impl Fault {
    pub fn status(self) -> u16 {
        match self {
            Fault::Throttled => 429,
            Fault::ServerError => 500,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Fault::Throttled => "TooManyRequestsException",
            Fault::ServerError => "InternalFailure",
        }
    }
}

/// GetApiKeys' items, values included, as API Gateway lists them.
pub fn api_keys_json() -> String {
    let items: Vec<String> = VALUES
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                r#"{{"id":"key{i}","name":"partner-{i}","enabled":true,"createdDate":1700000000,"lastUpdatedDate":1700000000,"stageKeys":[],"tags":{{}},"value":"{v}"}}"#
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// True for the request that reads API keys with their values.
pub fn is_get_api_keys(req: &Request) -> bool {
    req.method == "GET" && req.path == "/apikeys"
}

/// Answers as the local AWS would for an account with nothing but two API keys, in one Region:
/// STS GetCallerIdentity, and every API Gateway (v1 and v2) list as empty, except GetApiKeys,
/// which fails with `fault` and a body that holds the keys' values.
pub fn account_failing_api_keys(fault: Fault, req: &Request) -> Option<Reply> {
    let empty_v1 = || Reply::json(200, r#"{"item":[]}"#);
    let empty_v2 = || Reply::json(200, r#"{"items":[]}"#);
    Some(match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/") if req.body_text().contains("Action=GetCallerIdentity") => Reply::new(
            200,
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/test</Arn>\
             <UserId>AIDATEST</UserId><Account>123456789012</Account></GetCallerIdentityResult>\
             <ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>\
             </GetCallerIdentityResponse>",
        )
        .header("content-type", "text/xml"),
        ("GET", "/apikeys") => {
            let body = match fault {
                Fault::Throttled => format!(
                    r#"{{"message":"Too Many Requests","item":{}}}"#,
                    api_keys_json()
                ),
                Fault::ServerError => format!(r#"{{"item":{}}}"#, api_keys_json()),
            };
            Reply::json(fault.status(), body).header("x-amzn-errortype", fault.code())
        }
        ("GET", "/account") => Reply::json(
            200,
            r#"{"throttleSettings":{"burstLimit":5000,"rateLimit":10000.0},"features":[]}"#,
        ),
        ("GET", p) if p.starts_with("/v2/") => empty_v2(),
        ("GET", _) => empty_v1(),
        _ => Reply::json(400, r#"{"message":"unexpected request"}"#)
            .header("x-amzn-errortype", "BadRequestException"),
    })
}

/// Every way `value` could appear in text: itself, its hex (lower and upper case), and the
/// characters of its base64 (standard and URL-safe) that do not depend on what surrounds it, at
/// each of the three alignments.
pub fn encodings(value: &str) -> Vec<String> {
    let bytes = value.as_bytes();
    let mut out = vec![
        value.to_string(),
        bytes.iter().map(|b| format!("{b:02x}")).collect(),
        bytes.iter().map(|b| format!("{b:02X}")).collect(),
    ];
    for skip in 0..3 {
        let whole = (bytes.len() - skip) / 3 * 3;
        let part = &bytes[skip..skip + whole];
        out.push(STANDARD_NO_PAD.encode(part));
        out.push(URL_SAFE_NO_PAD.encode(part));
    }
    out
}

/// The encodings of [`VALUES`] found in `text` (none, when nothing leaked).
pub fn leaks(text: &str) -> Vec<String> {
    VALUES
        .iter()
        .flat_map(|v| encodings(v))
        .filter(|e| text.contains(e.as_str()))
        .collect()
}

/// The environment for running one of the binaries against `server` (a loopback AWS) with
/// every log level asked for: nothing inherited but `PATH`; `HOME` is `home` (no AWS profile).
pub fn process_env(
    server: &crate::loopback::Server,
    home: &std::path::Path,
) -> Vec<(String, String)> {
    [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", home.display().to_string()),
        ("AWS_ENDPOINT_URL", server.url()),
        ("AWS_ACCESS_KEY_ID", crate::ACCESS_KEY_ID.to_string()),
        (
            "AWS_SECRET_ACCESS_KEY",
            crate::SECRET_ACCESS_KEY.to_string(),
        ),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("RUST_LOG", "trace".to_string()),
        (
            "APIGW_DR_STORE",
            format!("file://{}", home.join("store").display()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Asserts that `printed` (everything a process wrote) holds none of [`VALUES`], in any
/// encoding, and that it could have: GetApiKeys was asked for the values (`includeValues=true`)
/// `attempts` times, and each answer held them.
pub fn assert_not_leaked(printed: &str, requests: &[Request], attempts: usize) {
    let reads: Vec<&Request> = requests.iter().filter(|r| is_get_api_keys(r)).collect();
    assert_eq!(reads.len(), attempts, "GetApiKeys attempts");
    for r in reads {
        assert!(
            r.query.split('&').any(|p| p == "includeValues=true"),
            "GetApiKeys without includeValues: {}",
            r.query
        );
    }
    let found = leaks(printed);
    assert!(found.is_empty(), "API key values leaked as {found:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_is_found() {
        assert!(leaks("nothing here").is_empty());
        let v = VALUES[1];
        assert!(!leaks(&format!("x{v}y")).is_empty());
        let hex: String = v.bytes().map(|b| format!("{b:02x}")).collect();
        assert!(!leaks(&hex).is_empty());
        for prefix in ["", "a", "ab"] {
            let data = format!("{prefix}{v}!");
            for text in [
                base64::engine::general_purpose::STANDARD.encode(&data),
                base64::engine::general_purpose::URL_SAFE.encode(&data),
            ] {
                assert!(!leaks(&text).is_empty(), "{prefix:?} {text}");
            }
        }
    }
}
