//! Translation: rewrites every Region- and account-bound reference of a recovery point for a
//! target (partition, account, Region). Pure functions over the model's JSON ([`Entry`]): no
//! I/O, no SDK types, the same code for REST APIs and HTTP/WebSocket APIs.
//!
//! [`translate_entries`] walks every string of every entry and returns a [`Report`]: each
//! [`Rewrite`] made, each [`Problem`] (a reference that cannot be translated: it stays as it was,
//! and `why` says what to put in the mapping file), and each [`Pending`] API Gateway id that the
//! target does not have yet (the restorer fills [`Context::ids`] as it creates things and
//! translates again). [`translate_str`] does one string.
//!
//! # Rules
//!
//! | rule | what | how |
//! |---|---|---|
//! | `exact` | any string, or any reference inside one | `[replace]` of the mapping file; wins over every other rule |
//! | `arn` | `arn:P:SERVICE:R:ACCOUNT:...` of Lambda, IAM, STS, SQS, SNS, Logs, S3, Step Functions, DynamoDB, Kinesis, Firehose, Secrets Manager, EventBridge, Scheduler, SSM, X-Ray | partition always becomes the target's; Region only where it is the source's; account only where it is the source's (a shared or third-party account stays); Lambda function names through `[lambda_functions]`. ARNs of other services that would change are problems (`[replace]`) |
//! | `lambda-uri` | `arn:P:apigateway:R:lambda:path/2015-03-31/functions/ARN/invocations` | the outer Region and partition, and the inner function ARN by `arn` |
//! | `service-uri` | `arn:P:apigateway:R:SERVICE:path/...` or `:action/...` | Region and partition; `path/ACCOUNT/...` where it is the source account; ARNs inside |
//! | `apigateway-arn` | `arn:P:apigateway:R::/restapis/ID/...` | Region and partition; ids after `restapis`, `apis`, `vpclinks`... through the id map |
//! | `execute-api` | `arn:P:execute-api:R:ACCOUNT:APIID/...`, `https://APIID.execute-api.R.amazonaws.com/...` | as `arn`, and the API id through the id map (pending while unknown) |
//! | `certificate` | `arn:P:acm:...` | only through `[certificates]`; a problem when it would change |
//! | `load-balancer` | `arn:P:elasticloadbalancing:...` (VPC link targets, listeners) | only through `[load_balancers]`; a problem when it would change |
//! | `web-acl` | `arn:P:wafv2:...`, `waf-regional`, `waf` | only through `[web_acls]`; a problem when it would change |
//! | `cognito-pool` | `arn:P:cognito-idp:R:ACCOUNT:userpool/POOLID` | pool id through `[cognito_user_pools]` (its Region from the new id); a problem when it would change |
//! | `cognito-issuer` | `https://cognito-idp.R.amazonaws.com/POOLID` (JWT issuers) | pool id through `[cognito_user_pools]`; a problem when the Region moves |
//! | `cognito-client` | JWT audiences (`/jwtConfiguration/audience/*`) | through `[cognito_clients]`; a problem when the entry's issuer is a Cognito pool whose Region moves |
//! | `sqs-url` | `https://sqs.R.amazonaws.com/ACCOUNT/QUEUE`, `https://R.queue.amazonaws.com/...`, `https://queue.amazonaws.com/...` | Region, DNS suffix of the partition, and the source account in the path |
//! | `endpoint` | `https://SERVICE.R.amazonaws.com/...` | Region and DNS suffix; any other AWS host name naming the source Region (load balancers, VPC endpoint DNS names, bucket websites) is a problem (`[replace]`) |
//! | `network-id` | `vpce-`, `vpc-`, `subnet-`, `sg-` ids | through `[vpc_endpoints]`, `[vpcs]`, `[subnets]`, `[security_groups]`; a problem when the target is another place |
//! | `account` | the source account id as a whole value or quoted (`"111111111111"`) | the target account |
//! | `apigw-id` | API Gateway's own ids in the fields of [`id_fields`]; stage variables whose value is a known id | through [`Context::ids`]; pending while unknown, never a problem |
//!
//! References are found anywhere in a string (VTL templates, stage variables, static values in
//! single quotes, the resource policy as a JSON text, escaped or not) and only they are rewritten:
//! the rest of the string stays byte-identical. ARNs are also found URL-encoded (`arn%3Aaws%3A...`).
//! Not searched: an object's own `id`, `createdDate`, `lastUpdatedDate`, and free text
//! (`description` anywhere, `/properties` of documentation parts, `/schema` of models).
//!
//! Translating again is harmless: with the target as source, nothing changes. Which endpoint
//! type to recover an edge-optimized API as is the planner's decision, not translation's.
//! API Gateway ids include `restApiId`, which ties a stored child to its API: translated
//! entries are for writing to the target, not for [`crate::model::Snapshot::from_entries`].
//!
//! # Tests
//!
//! One fixture per rule, `fixtures/RULE.json` beside this file: a source, a target, a mapping
//! and ids shared by its cases, and cases that each override them and give an `input` string with
//! its `output` (`null`: unchanged) or `problem`, or an `entry` with its `value` afterwards and
//! the pointers of its `problems` and the ids `pending`. One test runs them all, checks that
//! translating each result again (target as source) changes nothing, and names every failing case.
//!
//! # Mapping file
//!
//! TOML or JSON (the same tables as objects); see docs/mapping-file.md. Every key:
//!
//! ```toml
#![doc = include_str!("fixtures/mapping-example.toml")]
//! ```

mod mapping;
mod scan;
#[cfg(test)]
mod tests;

pub use mapping::Mapping;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Entry, Source};

/// Everything translation needs: where the recovery point was taken, where it goes, the
/// operator's mapping file, and the API Gateway ids the target has so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub source: Source,
    pub target: Source,
    pub mapping: Mapping,
    /// API Gateway physical ids: source id -> target id. May be partial.
    pub ids: BTreeMap<String, String>,
}

impl Context {
    /// A context with an empty mapping and no ids yet.
    pub fn new(source: Source, target: Source) -> Context {
        Context {
            source,
            target,
            mapping: Mapping::empty(),
            ids: BTreeMap::new(),
        }
    }
}

/// Which rule made a rewrite (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    Exact,
    Arn,
    LambdaUri,
    ServiceUri,
    ApigatewayArn,
    ExecuteApi,
    Certificate,
    LoadBalancer,
    WebAcl,
    CognitoPool,
    CognitoIssuer,
    CognitoClient,
    SqsUrl,
    Endpoint,
    NetworkId,
    Account,
    ApigwId,
}

impl Rule {
    pub const ALL: &[Rule] = &[
        Rule::Exact,
        Rule::Arn,
        Rule::LambdaUri,
        Rule::ServiceUri,
        Rule::ApigatewayArn,
        Rule::ExecuteApi,
        Rule::Certificate,
        Rule::LoadBalancer,
        Rule::WebAcl,
        Rule::CognitoPool,
        Rule::CognitoIssuer,
        Rule::CognitoClient,
        Rule::SqsUrl,
        Rule::Endpoint,
        Rule::NetworkId,
        Rule::Account,
        Rule::ApigwId,
    ];

    /// The rule's name in reports and fixtures (`lambda-uri`).
    pub fn name(self) -> &'static str {
        match self {
            Rule::Exact => "exact",
            Rule::Arn => "arn",
            Rule::LambdaUri => "lambda-uri",
            Rule::ServiceUri => "service-uri",
            Rule::ApigatewayArn => "apigateway-arn",
            Rule::ExecuteApi => "execute-api",
            Rule::Certificate => "certificate",
            Rule::LoadBalancer => "load-balancer",
            Rule::WebAcl => "web-acl",
            Rule::CognitoPool => "cognito-pool",
            Rule::CognitoIssuer => "cognito-issuer",
            Rule::CognitoClient => "cognito-client",
            Rule::SqsUrl => "sqs-url",
            Rule::Endpoint => "endpoint",
            Rule::NetworkId => "network-id",
            Rule::Account => "account",
            Rule::ApigwId => "apigw-id",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One reference rewritten: in which object, at which field (JSON pointer), from what to what.
/// Inside a text, `from` and `to` are the reference, not the whole text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewrite {
    pub object: String,
    pub pointer: String,
    pub from: String,
    pub to: String,
    pub rule: Rule,
}

/// A reference that cannot be translated; it was left as it was. `why` says what to add to the
/// mapping file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub object: String,
    pub pointer: String,
    pub value: String,
    pub why: String,
}

/// An API Gateway id the target does not have yet ([`Context::ids`] has no entry for it). Not an
/// error: the restorer creates the thing, adds its id, and translates again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub object: String,
    pub pointer: String,
    /// The source's id.
    pub id: String,
    /// What it identifies (`authorizer`, `VPC link`, `API`...).
    pub what: String,
}

/// What a translation did and could not do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub rewrites: Vec<Rewrite>,
    pub problems: Vec<Problem>,
    pub pending: Vec<Pending>,
}

impl Report {
    /// The logical ids of the objects with at least one problem: the actions that need them
    /// cannot go on.
    pub fn blocked(&self) -> std::collections::BTreeSet<&str> {
        self.problems.iter().map(|p| p.object.as_str()).collect()
    }

    /// The source ids the target does not have yet, each once.
    pub fn pending_ids(&self) -> std::collections::BTreeSet<&str> {
        self.pending.iter().map(|p| p.id.as_str()).collect()
    }
}

/// A field known to hold an API Gateway id, mapped through [`Context::ids`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdField {
    /// JSON pointer into an entry's value; `*` matches any one step.
    pub pointer: &'static str,
    /// What the id identifies.
    pub what: &'static str,
    /// Only when the field at this pointer has this value.
    pub when: Option<(&'static str, &'static str)>,
    /// In entries of this kind the field is the object's own id: left alone.
    pub own_kind: Option<&'static str>,
    /// The id comes after this prefix (`integrations/ID`).
    pub prefix: Option<&'static str>,
}

const fn id(pointer: &'static str, what: &'static str) -> IdField {
    IdField {
        pointer,
        what,
        when: None,
        own_kind: None,
        prefix: None,
    }
}

const fn own(pointer: &'static str, what: &'static str, kind: &'static str) -> IdField {
    IdField {
        own_kind: Some(kind),
        ..id(pointer, what)
    }
}

/// The one table of fields holding API Gateway ids (REST and HTTP/WebSocket APIs).
const ID_FIELDS: &[IdField] = &[
    id("/restApiId", "REST API"),
    own("/apiId", "API", "Api"),
    id("/apiStages/*/apiId", "API"),
    id("/stageKeys/*/restApiId", "API"),
    id("/parentId", "resource"),
    id("/resourceId", "resource"),
    id("/rootResourceId", "resource"),
    own("/authorizerId", "authorizer", "Authorizer"),
    id("/requestValidatorId", "request validator"),
    IdField {
        when: Some(("/methodIntegration/connectionType", "VPC_LINK")),
        ..id("/methodIntegration/connectionId", "VPC link")
    },
    IdField {
        when: Some(("/connectionType", "VPC_LINK")),
        ..id("/connectionId", "VPC link")
    },
    own("/deploymentId", "deployment", "Deployment"),
    id("/canarySettings/deploymentId", "deployment"),
    id("/clientCertificateId", "client certificate"),
    own("/integrationId", "integration", "Integration"),
    IdField {
        prefix: Some("integrations/"),
        ..id("/target", "integration")
    },
    own("/routeId", "route", "Route"),
    id("/keyId", "API key"),
    id("/usagePlanId", "usage plan"),
    own("/vpcLinkId", "VPC link", "VpcLink"),
];

/// The fields known to hold API Gateway ids.
pub fn id_fields() -> &'static [IdField] {
    ID_FIELDS
}

/// Fields never searched: the object's own id, times, free text (and `description` anywhere).
const NOT_SEARCHED: &[&str] = &[
    "/id",
    "/createdDate",
    "/lastUpdatedDate",
    "/properties",
    "/schema",
];

/// Stage variables: a value that is a known API Gateway id (`vpcLinkId = abc123`, used as
/// `${stageVariables.vpcLinkId}`) is mapped like an id field; other values are searched as text.
const STAGE_VARIABLES: &[&str] = &[
    "/variables/*",
    "/canarySettings/stageVariableOverrides/*",
    "/stageVariables/*",
];

/// Where JWT audiences are (HTTP API authorizers), and the issuer they belong to.
const AUDIENCE: &str = "/jwtConfiguration/audience/*";
const ISSUER: &str = "/jwtConfiguration/issuer";

fn matches(pattern: &str, segs: &[String]) -> bool {
    let p: Vec<&str> = pattern.split('/').skip(1).collect();
    p.len() == segs.len() && p.iter().zip(segs).all(|(a, b)| *a == "*" || a == b)
}

fn not_searched(segs: &[String]) -> bool {
    segs.last().is_some_and(|l| l == "description") || NOT_SEARCHED.iter().any(|p| matches(p, segs))
}

fn pointer_of(segs: &[String]) -> String {
    segs.iter()
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

fn string_leaves(v: &Value, segs: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::String(_) => out.push(segs.clone()),
        Value::Object(m) => {
            // In key order whatever the map type, so that reports come in a stable order.
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                let c = &m[k];
                segs.push(k.clone());
                string_leaves(c, segs, out);
                segs.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                segs.push(i.to_string());
                string_leaves(c, segs, out);
                segs.pop();
            }
        }
        _ => {}
    }
}

/// Translates every entry in place and reports what it did.
pub fn translate_entries(entries: &mut [Entry], ctx: &Context) -> Report {
    let mut report = Report::default();
    for e in entries.iter_mut() {
        translate_entry(e, ctx, &mut report);
    }
    report
}

fn translate_entry(e: &mut Entry, ctx: &Context, report: &mut Report) {
    let issuer_moves = e
        .value
        .pointer(ISSUER)
        .and_then(Value::as_str)
        .is_some_and(|s| cognito_issuer_moves(s, ctx));
    let mut leaves = Vec::new();
    string_leaves(&e.value, &mut Vec::new(), &mut leaves);
    for segs in leaves {
        if not_searched(&segs) {
            continue;
        }
        let ptr = pointer_of(&segs);
        let Some(old) = e.value.pointer(&ptr).and_then(Value::as_str) else {
            continue;
        };
        let old = old.to_string();
        let rewrite = |from: &str, to: &str, rule: Rule| Rewrite {
            object: e.id.clone(),
            pointer: ptr.clone(),
            from: from.to_string(),
            to: to.to_string(),
            rule,
        };
        let mut new = None;
        if let Some(f) = id_field(&e.kind, &e.value, &segs) {
            if let Some(to) = ctx.mapping.replace.get(&old) {
                report.rewrites.push(rewrite(&old, to, Rule::Exact));
                new = Some(to.clone());
            } else if let Some(idv) = f.prefix.map_or(Some(old.as_str()), |p| old.strip_prefix(p))
                && is_gateway_id(idv)
            {
                match ctx.ids.get(idv) {
                    Some(t) => {
                        let to = format!("{}{t}", f.prefix.unwrap_or(""));
                        if to != old {
                            report.rewrites.push(rewrite(&old, &to, Rule::ApigwId));
                            new = Some(to);
                        }
                    }
                    None => report.pending.push(Pending {
                        object: e.id.clone(),
                        pointer: ptr.clone(),
                        id: idv.to_string(),
                        what: f.what.to_string(),
                    }),
                }
            }
        } else if matches(AUDIENCE, &segs) {
            let mapped = ctx
                .mapping
                .replace
                .get(&old)
                .map(|t| (t, Rule::Exact))
                .or_else(|| {
                    ctx.mapping
                        .cognito_clients
                        .get(&old)
                        .map(|t| (t, Rule::CognitoClient))
                });
            match mapped {
                Some((to, rule)) => {
                    report.rewrites.push(rewrite(&old, to, rule));
                    new = Some(to.clone());
                }
                None if issuer_moves => report.problems.push(Problem {
                    object: e.id.clone(),
                    pointer: ptr.clone(),
                    value: old.clone(),
                    why: format!(
                        "Cognito app client ids differ with their user pool: add \"{old}\" = \
                         \"<client id in {}>\" under [cognito_clients] in the mapping file",
                        ctx.target.short()
                    ),
                }),
                None => {}
            }
        } else if let Some(to) = ctx.mapping.replace.get(&old) {
            report.rewrites.push(rewrite(&old, to, Rule::Exact));
            new = Some(to.clone());
        } else if let Some(to) = ctx.ids.get(&old)
            && STAGE_VARIABLES.iter().any(|p| matches(p, &segs))
        {
            if *to != old {
                report.rewrites.push(rewrite(&old, to, Rule::ApigwId));
                new = Some(to.clone());
            }
        } else {
            let t = scan::translate_text(&old, ctx);
            for f in &t.found {
                if let Some(to) = &f.out.to {
                    report.rewrites.push(rewrite(&f.from, to, f.out.rule));
                }
                for p in &f.out.problems {
                    report.problems.push(Problem {
                        object: e.id.clone(),
                        pointer: ptr.clone(),
                        value: p.value.clone(),
                        why: p.why.clone(),
                    });
                }
                for (id, what) in &f.out.pending {
                    report.pending.push(Pending {
                        object: e.id.clone(),
                        pointer: ptr.clone(),
                        id: id.clone(),
                        what: what.to_string(),
                    });
                }
            }
            if t.changed() {
                new = Some(t.text);
            }
        }
        if let Some(new) = new
            && let Some(slot) = e.value.pointer_mut(&ptr)
        {
            *slot = Value::String(new);
        }
    }
}

/// The id field at `segs` of an entry, unless it is the entry's own id or its condition fails.
fn id_field(kind: &str, value: &Value, segs: &[String]) -> Option<&'static IdField> {
    let f = ID_FIELDS.iter().find(|f| matches(f.pointer, segs))?;
    if f.own_kind == Some(kind) {
        return None;
    }
    if let Some((p, v)) = f.when
        && value.pointer(p).and_then(Value::as_str) != Some(v)
    {
        return None;
    }
    Some(f)
}

/// An API Gateway id, not a stage variable (`${stageVariables.vpcLinkId}`) or a wildcard.
fn is_gateway_id(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric())
}

/// Whether `issuer` is a Cognito issuer in the source Region and the target is elsewhere.
fn cognito_issuer_moves(issuer: &str, ctx: &Context) -> bool {
    let moves =
        ctx.source.region != ctx.target.region || ctx.source.partition != ctx.target.partition;
    let host = issuer
        .strip_prefix("https://")
        .and_then(|h| h.split('/').next())
        .unwrap_or("");
    moves
        && host
            .strip_prefix("cognito-idp.")
            .and_then(|h| h.split('.').next())
            .is_some_and(|r| r == ctx.source.region)
}

/// Translates one string: `Ok(None)` when nothing changes, `Ok(Some((new, rule)))` with the
/// rule of the first reference rewritten, `Err(why)` when a reference in it cannot be translated.
/// API Gateway ids not yet in [`Context::ids`] are left as they are (no error). Field-bound
/// rules (`apigw-id`, `cognito-client`) need [`translate_entries`].
pub fn translate_str(value: &str, ctx: &Context) -> Result<Option<(String, Rule)>, String> {
    if let Some(to) = ctx.mapping.replace.get(value) {
        return Ok((to != value).then(|| (to.clone(), Rule::Exact)));
    }
    let t = scan::translate_text(value, ctx);
    let whys: Vec<String> = t
        .found
        .iter()
        .flat_map(|f| f.out.problems.iter().map(|p| p.why.clone()))
        .collect();
    if !whys.is_empty() {
        return Err(whys.join("; "));
    }
    let rule = t
        .found
        .iter()
        .find(|f| f.out.to.is_some())
        .map(|f| f.out.rule);
    Ok(rule.map(|r| (t.text, r)))
}

/// One line per rewrite, problem and pending id, for plans and reports:
/// `OBJECT POINTER: FROM -> TO (RULE)`, `OBJECT POINTER: cannot translate VALUE: WHY`,
/// `OBJECT POINTER: WHAT id ID not yet in the target`.
pub fn report_lines(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for r in &report.rewrites {
        out.push(format!(
            "{} {}: {} -> {} ({})",
            r.object, r.pointer, r.from, r.to, r.rule
        ));
    }
    for p in &report.problems {
        out.push(format!(
            "{} {}: cannot translate {}: {}",
            p.object, p.pointer, p.value, p.why
        ));
    }
    for p in &report.pending {
        out.push(format!(
            "{} {}: {} id {} not yet in the target",
            p.object, p.pointer, p.what, p.id
        ));
    }
    out
}
