//! Finding references inside a string and translating each one: ARNs (also inside integration
//! URIs and URL-encoded), URLs of AWS endpoints, VPC-family ids and account ids.

use super::{Context, Rule};

/// A reference that could not be translated: the reference itself, and why.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Trouble {
    pub value: String,
    pub why: String,
}

/// What became of one reference.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Out {
    /// The new text, or `None` when it stays.
    pub to: Option<String>,
    pub rule: Rule,
    pub problems: Vec<Trouble>,
    /// API Gateway ids the target does not know yet: (source id, what it identifies).
    pub pending: Vec<(String, &'static str)>,
}

impl Out {
    fn same(rule: Rule) -> Out {
        Out {
            to: None,
            rule,
            problems: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// `to` when it differs from `from`, else unchanged.
    fn new(from: &str, to: String, rule: Rule) -> Out {
        let mut o = Out::same(rule);
        if to != from {
            o.to = Some(to);
        }
        o
    }

    fn problem(value: &str, why: String, rule: Rule) -> Out {
        let mut o = Out::same(rule);
        o.problems.push(Trouble {
            value: value.to_string(),
            why,
        });
        o
    }

    pub fn is_noop(&self) -> bool {
        self.to.is_none() && self.problems.is_empty() && self.pending.is_empty()
    }
}

/// One reference found in a text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found {
    pub from: String,
    pub out: Out,
}

/// A text with every reference in it translated.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Text {
    pub text: String,
    /// The references that changed, could not be translated, or wait for an id.
    pub found: Vec<Found>,
}

impl Text {
    pub fn changed(&self) -> bool {
        self.found.iter().any(|f| f.out.to.is_some())
    }

    /// Folds this text's findings into one outcome for an enclosing reference.
    fn absorb_into(self, out: &mut Out) {
        for f in self.found {
            out.problems.extend(f.out.problems);
            out.pending.extend(f.out.pending);
        }
    }
}

/// Translates every reference in `text`; what lies between references stays byte-identical.
pub(super) fn translate_text(text: &str, ctx: &Context) -> Text {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut found = Vec::new();
    let (mut i, mut last) = (0, 0);
    while i < b.len() {
        match token_at(text, i, ctx) {
            Some((end, o)) => {
                if !o.is_noop() {
                    let from = &text[i..end];
                    out.push_str(&text[last..i]);
                    out.push_str(o.to.as_deref().unwrap_or(from));
                    last = end;
                    found.push(Found {
                        from: from.to_string(),
                        out: o,
                    });
                }
                i = end.max(i + 1);
            }
            None => i += 1,
        }
    }
    out.push_str(&text[last..]);
    Text { text: out, found }
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// A reference starts at a word boundary, or right after a %-escape (`TopicArn%3Darn%3A...`).
fn boundary_before(b: &[u8], i: usize) -> bool {
    i == 0 || !is_word(b[i - 1]) || (i >= 3 && b[i - 3] == b'%')
}

/// The reference starting at byte `i`, if any: where it ends and what becomes of it.
fn token_at(text: &str, i: usize, ctx: &Context) -> Option<(usize, Out)> {
    let b = text.as_bytes();
    if !b[i].is_ascii_alphanumeric() || !boundary_before(b, i) {
        return None;
    }
    let rest = &text[i..];
    if rest.starts_with("arn:") {
        let end = i + arn_len(&b[i..]);
        return translate_arn(&text[i..end], ctx).map(|o| (end, o));
    }
    if rest.len() > 6 && rest.as_bytes()[..6].eq_ignore_ascii_case(b"arn%3a") {
        let end = i + encoded_arn_len(&b[i..]);
        return translate_encoded_arn(&text[i..end], ctx).map(|o| (end, o));
    }
    if rest.starts_with("https://") || rest.starts_with("http://") {
        let end = i + url_len(&b[i..])?;
        return Some((end, translate_url(&text[i..end], ctx)));
    }
    if let Some(len) = network_id_len(rest) {
        return Some((i + len, translate_network_id(&text[i..i + len], ctx)));
    }
    if b[i].is_ascii_digit() {
        return account_at(text, i, ctx);
    }
    None
}

/// Length of the ARN at the start of `b`: the characters ARNs are made of, with `{...}`
/// (stage variables) kept whole, less a trailing `.` or `:`.
fn arn_len(b: &[u8]) -> usize {
    let mut depth = 0;
    let mut j = 0;
    while j < b.len() {
        let c = b[j];
        if c.is_ascii_alphanumeric() || b"-_:/.*+=@$%".contains(&c) {
        } else if c == b'{' {
            depth += 1;
        } else if c == b'}' && depth > 0 {
            depth -= 1;
        } else {
            break;
        }
        j += 1;
    }
    while j > 0 && matches!(b[j - 1], b'.' | b':') {
        j -= 1;
    }
    j
}

fn encoded_arn_len(b: &[u8]) -> usize {
    let mut j = 0;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b"-_.*%+@/".contains(&b[j])) {
        j += 1;
    }
    while j > 0 && b[j - 1] == b'.' {
        j -= 1;
    }
    j
}

/// Length of the URL at the start of `b`: scheme, host, port and path (no query).
fn url_len(b: &[u8]) -> Option<usize> {
    let mut j = if b.starts_with(b"https://") { 8 } else { 7 };
    let host = j;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'-') {
        j += 1;
    }
    if j == host {
        return None;
    }
    if j < b.len() && (b[j] == b'/' || b[j] == b':') {
        j += arn_len(&b[j..]);
    }
    while j > host && b[j - 1] == b'.' {
        j -= 1;
    }
    Some(j)
}

const NETWORK_PREFIXES: &[&str] = &["vpce-", "subnet-", "sg-", "vpc-"];

/// Length of the VPC-family id (`vpce-`, `subnet-`, `sg-`, `vpc-` and 8 or 17 hex digits) at
/// the start of `s`.
fn network_id_len(s: &str) -> Option<usize> {
    let p = NETWORK_PREFIXES.iter().find(|p| s.starts_with(**p))?;
    let b = s.as_bytes();
    let hex = b[p.len()..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
        .count();
    let end = p.len() + hex;
    ((hex == 8 || hex == 17) && (end == b.len() || !is_word(b[end]))).then_some(end)
}

/// The source account's id standing alone: a whole value, or quoted (`"111111111111"`,
/// `'111111111111'`, `\"111111111111\"` in an escaped document).
fn account_at(text: &str, i: usize, ctx: &Context) -> Option<(usize, Out)> {
    let b = text.as_bytes();
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let end = i + digits;
    if digits != 12 || (end < b.len() && is_word(b[end])) {
        return None;
    }
    let whole = i == 0 && end == b.len();
    let quoted =
        i > 0 && matches!(b[i - 1], b'"' | b'\'') && end < b.len() && b"\"'\\".contains(&b[end]);
    let token = &text[i..end];
    if !(whole || quoted) {
        return None;
    }
    if let Some(to) = ctx.mapping.replace.get(token) {
        return Some((end, Out::new(token, to.clone(), Rule::Exact)));
    }
    if token != ctx.source.account {
        return None;
    }
    Some((
        end,
        Out::new(token, ctx.target.account.clone(), Rule::Account),
    ))
}

/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` (the partition is checked, then always
/// replaced by the target's).
struct Arn<'a> {
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

impl<'a> Arn<'a> {
    fn parse(s: &'a str) -> Option<Arn<'a>> {
        let p: Vec<&str> = s.splitn(6, ':').collect();
        let [arn, partition, service, region, account, resource] = p.as_slice() else {
            return None;
        };
        let ok_partition = *partition == "aws"
            || partition.strip_prefix("aws-").is_some_and(|r| {
                !r.is_empty() && r.bytes().all(|c| c.is_ascii_lowercase() || c == b'-')
            });
        let ok_service = !service.is_empty()
            && service
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
        (*arn == "arn" && ok_partition && ok_service).then_some(Arn {
            service,
            region,
            account,
            resource,
        })
    }
}

/// Services whose ARNs only carry the partition, Region and account that can change: the
/// resource keeps its name in the target.
const DERIVED_SERVICES: &[&str] = &[
    "lambda",
    "iam",
    "sts",
    "sqs",
    "sns",
    "logs",
    "s3",
    "states",
    "dynamodb",
    "kinesis",
    "firehose",
    "secretsmanager",
    "events",
    "scheduler",
    "ssm",
    "xray",
];

/// An ARN's partition, Region and account as the target sees them: the partition is always the
/// target's; the Region and the account change only where they are the source's (a third-party
/// or shared account, another Region, `*` or empty stay).
struct Moved<'a> {
    partition: &'a str,
    region: &'a str,
    account: &'a str,
}

fn moved<'a>(a: &Arn<'a>, ctx: &'a Context) -> Moved<'a> {
    Moved {
        partition: &ctx.target.partition,
        region: move_region(a.region, ctx),
        account: if a.account == ctx.source.account {
            &ctx.target.account
        } else {
            a.account
        },
    }
}

fn move_region<'a>(region: &'a str, ctx: &'a Context) -> &'a str {
    if region == ctx.source.region {
        &ctx.target.region
    } else {
        region
    }
}

fn arn_string(m: &Moved, service: &str, account: &str, resource: &str) -> String {
    format!(
        "arn:{}:{service}:{}:{account}:{resource}",
        m.partition, m.region
    )
}

/// Translates one ARN; `None` when `token` is not an ARN after all.
pub(super) fn translate_arn(token: &str, ctx: &Context) -> Option<Out> {
    if let Some(to) = ctx.mapping.replace.get(token) {
        return Some(Out::new(token, to.clone(), Rule::Exact));
    }
    let a = Arn::parse(token)?;
    let m = moved(&a, ctx);
    let derived = arn_string(&m, a.service, m.account, a.resource);
    let target = ctx.target.short();
    Some(match a.service {
        "apigateway" => apigateway(token, &a, &m, ctx),
        "execute-api" => execute_api(token, &a, &m, ctx),
        "cognito-idp" => cognito_pool(token, &a, &m, ctx),
        "acm" => by_table(
            token,
            &derived,
            &ctx.mapping.certificates,
            Rule::Certificate,
            format!(
                "ACM certificates differ in each Region and account: add \"{token}\" = \
                 \"<certificate ARN in {target}>\" under [certificates] in the mapping file"
            ),
        ),
        "elasticloadbalancing" => by_table(
            token,
            &derived,
            &ctx.mapping.load_balancers,
            Rule::LoadBalancer,
            format!(
                "load balancer ARNs differ in each Region and account: add \"{token}\" = \
                 \"<ARN in {target}>\" under [load_balancers] in the mapping file"
            ),
        ),
        "wafv2" | "waf-regional" | "waf" => by_table(
            token,
            &derived,
            &ctx.mapping.web_acls,
            Rule::WebAcl,
            format!(
                "web ACL ids differ in each Region and account: add \"{token}\" = \
                 \"<web ACL ARN in {target}>\" under [web_acls] in the mapping file"
            ),
        ),
        "lambda" => {
            let resource = rename_function(a.resource, ctx);
            Out::new(
                token,
                arn_string(&m, a.service, m.account, &resource),
                Rule::Arn,
            )
        }
        s if DERIVED_SERVICES.contains(&s) => Out::new(token, derived, Rule::Arn),
        s => {
            if derived == token {
                Out::same(Rule::Arn)
            } else {
                Out::problem(
                    token,
                    format!(
                        "{s} ARNs are not translated by rule (the resource may have another \
                         name or id in the target): add \"{token}\" = \"<ARN in {target}>\" \
                         under [replace] in the mapping file"
                    ),
                    Rule::Arn,
                )
            }
        }
    })
}

/// `function:NAME[:QUALIFIER][/...]` with NAME renamed through `[lambda_functions]`.
fn rename_function(resource: &str, ctx: &Context) -> String {
    let Some(rest) = resource.strip_prefix("function:") else {
        return resource.to_string();
    };
    let end = rest.find([':', '/']).unwrap_or(rest.len());
    match ctx.mapping.lambda_functions.get(&rest[..end]) {
        Some(new) => format!("function:{new}{}", &rest[end..]),
        None => resource.to_string(),
    }
}

/// Resources whose ids differ in each Region: only the mapping file knows the target's.
fn by_table(
    token: &str,
    derived: &str,
    table: &std::collections::BTreeMap<String, String>,
    rule: Rule,
    why: String,
) -> Out {
    match table.get(token) {
        Some(to) => Out::new(token, to.clone(), rule),
        None if derived == token => Out::same(rule),
        None => Out::problem(token, why, rule),
    }
}

/// Integration and authorizer URIs (`arn:aws:apigateway:R:lambda:path/.../functions/ARN/invocations`,
/// `arn:aws:apigateway:R:SERVICE:path/...` or `:action/...`) and API Gateway resource ARNs
/// (`arn:aws:apigateway:R::/restapis/ID/...`).
fn apigateway(token: &str, a: &Arn, m: &Moved, ctx: &Context) -> Out {
    if a.account.is_empty() || a.resource.starts_with('/') {
        let mut out = Out::same(Rule::ApigatewayArn);
        let resource = map_path_ids(a.resource, ctx, &mut out.pending);
        let to = arn_string(m, a.service, a.account, &resource);
        out.to = (to != token).then_some(to);
        return out;
    }
    let service = a.account;
    let (rule, resource) = if service == "lambda" {
        (Rule::LambdaUri, a.resource.to_string())
    } else {
        // `path/ACCOUNT/...` (SQS): the account in the path moves with the source's.
        let mut r = a.resource.to_string();
        if let Some(p) = a.resource.strip_prefix("path/") {
            let seg = p.split('/').next().unwrap_or("");
            if seg == ctx.source.account {
                r = format!("path/{}{}", ctx.target.account, &p[seg.len()..]);
            }
        }
        (Rule::ServiceUri, r)
    };
    let inner = translate_text(&resource, ctx);
    let to = arn_string(m, a.service, service, &inner.text);
    let mut out = Out::new(token, to, rule);
    inner.absorb_into(&mut out);
    out
}

/// In `/restapis/ID/stages/...`-style paths, the ids after a collection name.
fn map_path_ids(path: &str, ctx: &Context, pending: &mut Vec<(String, &'static str)>) -> String {
    const COLLECTIONS: &[(&str, &str)] = &[
        ("restapis", "REST API"),
        ("apis", "API"),
        ("vpclinks", "VPC link"),
        ("usageplans", "usage plan"),
        ("apikeys", "API key"),
        ("clientcertificates", "client certificate"),
        ("deployments", "deployment"),
        ("authorizers", "authorizer"),
        ("resources", "resource"),
        ("routes", "route"),
        ("integrations", "integration"),
    ];
    let mut segs: Vec<String> = path.split('/').map(str::to_string).collect();
    for i in 1..segs.len() {
        let Some((_, what)) = COLLECTIONS.iter().find(|(c, _)| *c == segs[i - 1]) else {
            continue;
        };
        if !is_plain_id(&segs[i]) {
            continue;
        }
        match ctx.ids.get(&segs[i]) {
            Some(t) => segs[i] = t.clone(),
            None => pending.push((segs[i].clone(), what)),
        }
    }
    segs.join("/")
}

fn is_plain_id(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric())
}

/// `arn:aws:execute-api:R:ACCOUNT:APIID/STAGE/VERB/PATH`: the API id through the id map.
fn execute_api(token: &str, a: &Arn, m: &Moved, ctx: &Context) -> Out {
    let (id, rest) = a
        .resource
        .split_at(a.resource.find('/').unwrap_or(a.resource.len()));
    let mut pending = Vec::new();
    let mut resource = a.resource.to_string();
    if is_plain_id(id) {
        match ctx.ids.get(id) {
            Some(t) => resource = format!("{t}{rest}"),
            None if a.account == ctx.source.account => pending.push((id.to_string(), "API")),
            None => {}
        }
    }
    let mut out = Out::new(
        token,
        arn_string(m, a.service, m.account, &resource),
        Rule::ExecuteApi,
    );
    out.pending = pending;
    out
}

/// The Region a Cognito user pool id names (`us-west-2_AbC` -> `us-west-2`).
fn pool_region(pool: &str) -> Option<&str> {
    pool.split_once('_')
        .map(|(r, _)| r)
        .filter(|r| is_region(r))
}

fn pool_problem(pool: &str, ctx: &Context) -> String {
    format!(
        "Cognito user pool ids differ in each Region and account: add \"{pool}\" = \
         \"<pool id in {}>\" under [cognito_user_pools] in the mapping file",
        ctx.target.short()
    )
}

/// `arn:aws:cognito-idp:R:ACCOUNT:userpool/POOLID`.
fn cognito_pool(token: &str, a: &Arn, m: &Moved, ctx: &Context) -> Out {
    let derived = arn_string(m, a.service, m.account, a.resource);
    let Some(rest) = a.resource.strip_prefix("userpool/") else {
        return Out::new(token, derived, Rule::CognitoPool);
    };
    let pool = rest.split('/').next().unwrap_or("");
    match ctx.mapping.cognito_user_pools.get(pool) {
        Some(new) => {
            let moved = Moved {
                region: pool_region(new).unwrap_or(m.region),
                ..*m
            };
            let resource = format!("userpool/{new}{}", &rest[pool.len()..]);
            Out::new(
                token,
                arn_string(&moved, a.service, m.account, &resource),
                Rule::CognitoPool,
            )
        }
        None if derived == token => Out::same(Rule::CognitoPool),
        None => Out::problem(token, pool_problem(pool, ctx), Rule::CognitoPool),
    }
}

/// `ARN%3A...`: an ARN URL-encoded in a query string or a path.
fn translate_encoded_arn(token: &str, ctx: &Context) -> Option<Out> {
    let colon = &token[3..6];
    let slash = ["%2F", "%2f"].into_iter().find(|s| token.contains(s));
    let mut decoded = token.replace(colon, ":");
    if let Some(s) = slash {
        decoded = decoded.replace(s, "/");
    }
    let mut out = translate_arn(&decoded, ctx)?;
    if let Some(to) = out.to.take() {
        let mut enc = to.replace(':', colon);
        if let Some(s) = slash {
            enc = enc.replace('/', s);
        }
        out.to = (enc != token).then_some(enc);
    }
    Some(out)
}

/// `us-east-1`, `cn-north-1`, `us-gov-west-1`, ...
pub(super) fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// The DNS suffix of a partition's endpoints.
fn dns_suffix(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "amazonaws.com.cn",
        "aws-iso" => "c2s.ic.gov",
        "aws-iso-b" => "sc2s.sgov.gov",
        _ => "amazonaws.com",
    }
}

const SUFFIXES: &[&str] = &[
    ".amazonaws.com.cn",
    ".amazonaws.com",
    ".c2s.ic.gov",
    ".sc2s.sgov.gov",
];

/// A URL host of an AWS endpoint, split: the labels before the suffix, and the suffix.
fn aws_host(host: &str) -> Option<(Vec<&str>, &str)> {
    SUFFIXES.iter().find_map(|s| {
        host.strip_suffix(s)
            .map(|h| (h.split('.').collect(), &s[1..]))
    })
}

/// URLs: SQS queue URLs, Cognito JWT issuers, execute-api hosts, Regional service endpoints;
/// other hosts bound to the source Region are problems; the path is searched for ARNs.
pub(super) fn translate_url(token: &str, ctx: &Context) -> Out {
    if let Some(to) = ctx.mapping.replace.get(token) {
        return Out::new(token, to.clone(), Rule::Exact);
    }
    let scheme_end = token.find("://").map_or(0, |i| i + 3);
    let (scheme, after) = token.split_at(scheme_end);
    let host_end = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .unwrap_or(after.len());
    let (host, rest) = after.split_at(host_end);
    if let Some(h) = ctx.mapping.replace.get(host) {
        return Out::new(token, format!("{scheme}{h}{rest}"), Rule::Exact);
    }
    let moves =
        ctx.source.region != ctx.target.region || ctx.source.partition != ctx.target.partition;
    let Some((labels, suffix)) = aws_host(host) else {
        return with_path(token, scheme, host, rest, ctx);
    };
    let suffix_for = |old: &str, new: &str| {
        if old != new {
            dns_suffix(&ctx.target.partition)
        } else {
            suffix
        }
    };
    match labels.as_slice() {
        ["sqs", r] if is_region(r) => sqs_url(token, scheme, SqsHost::Sqs, r, suffix, rest, ctx),
        [r, "queue"] if is_region(r) => {
            sqs_url(token, scheme, SqsHost::RegionQueue, r, suffix, rest, ctx)
        }
        ["queue"] => sqs_url(
            token,
            scheme,
            SqsHost::Queue,
            "us-east-1",
            suffix,
            rest,
            ctx,
        ),
        ["cognito-idp", r] if is_region(r) => {
            let pool_end = rest[1.min(rest.len())..]
                .find('/')
                .map_or(rest.len(), |i| i + 1);
            let pool = rest.get(1..pool_end).unwrap_or("");
            match ctx.mapping.cognito_user_pools.get(pool) {
                Some(new) => {
                    let region = pool_region(new).unwrap_or(move_region(r, ctx));
                    let to = format!(
                        "{scheme}cognito-idp.{region}.{}/{new}{}",
                        suffix_for(r, region),
                        &rest[pool_end..]
                    );
                    Out::new(token, to, Rule::CognitoIssuer)
                }
                None if *r == ctx.source.region && moves => {
                    Out::problem(token, pool_problem(pool, ctx), Rule::CognitoIssuer)
                }
                None => Out::same(Rule::CognitoIssuer),
            }
        }
        [id, "execute-api", r] if is_region(r) => {
            let mut pending = Vec::new();
            let id = match ctx.ids.get(*id) {
                Some(t) => t.as_str(),
                None => {
                    if *r == ctx.source.region {
                        pending.push((id.to_string(), "API"));
                    }
                    id
                }
            };
            let region = move_region(r, ctx);
            let to = format!(
                "{scheme}{id}.execute-api.{region}.{}{rest}",
                suffix_for(r, region)
            );
            let mut out = Out::new(token, to, Rule::ExecuteApi);
            out.pending = pending;
            out
        }
        [service, r] if is_region(r) => {
            let region = move_region(r, ctx);
            let host2 = format!("{service}.{region}.{}", suffix_for(r, region));
            let mut out = with_path(token, scheme, &host2, rest, ctx);
            if host2 != host {
                out.rule = Rule::Endpoint;
            }
            out
        }
        _ if moves
            && labels
                .iter()
                .any(|l| l.contains(ctx.source.region.as_str())) =>
        {
            // The host stays (and is a problem); references in the path still move.
            let mut out = with_path(token, scheme, host, rest, ctx);
            out.problems.insert(
                0,
                Trouble {
                    value: host.to_string(),
                    why: format!(
                        "host name bound to the source Region (load balancer, VPC endpoint, \
                         bucket website...): add \"{host}\" = \"<host name in {}>\" under \
                         [replace] in the mapping file",
                        ctx.target.short()
                    ),
                },
            );
            out
        }
        _ => with_path(token, scheme, host, rest, ctx),
    }
}

/// A URL whose host stays: ARNs inside its path are still translated.
fn with_path(token: &str, scheme: &str, host: &str, rest: &str, ctx: &Context) -> Out {
    let inner = translate_text(rest, ctx);
    let rule = inner
        .found
        .iter()
        .find(|f| f.out.to.is_some())
        .map_or(Rule::Endpoint, |f| f.out.rule);
    let mut out = Out::new(token, format!("{scheme}{host}{}", inner.text), rule);
    inner.absorb_into(&mut out);
    out
}

/// The three host names of SQS queue URLs.
#[derive(Clone, Copy, PartialEq)]
enum SqsHost {
    /// `sqs.R.amazonaws.com`
    Sqs,
    /// `R.queue.amazonaws.com` (legacy)
    RegionQueue,
    /// `queue.amazonaws.com` (legacy, us-east-1)
    Queue,
}

/// `https://sqs.R.amazonaws.com/ACCOUNT/QUEUE` and the legacy forms: the Region, the DNS suffix
/// and the account in the path. The host keeps its form, except that `queue.amazonaws.com`
/// moved to another Region becomes `sqs.R.amazonaws.com`.
fn sqs_url(
    token: &str,
    scheme: &str,
    form: SqsHost,
    r: &str,
    suffix: &str,
    rest: &str,
    ctx: &Context,
) -> Out {
    let region = move_region(r, ctx);
    let suffix = if region != r {
        dns_suffix(&ctx.target.partition)
    } else {
        suffix
    };
    let host = match form {
        SqsHost::Queue if region == r => format!("queue.{suffix}"),
        SqsHost::RegionQueue => format!("{region}.queue.{suffix}"),
        _ => format!("sqs.{region}.{suffix}"),
    };
    let mut path = rest.to_string();
    if let Some(p) = rest.strip_prefix('/') {
        let seg = p.split('/').next().unwrap_or("");
        if seg == ctx.source.account {
            path = format!("/{}{}", ctx.target.account, &p[seg.len()..]);
        }
    }
    Out::new(token, format!("{scheme}{host}{path}"), Rule::SqsUrl)
}

/// `vpce-...`, `vpc-...`, `subnet-...`, `sg-...`: through the mapping file; without it, a
/// problem when the target is another Region or account.
fn translate_network_id(token: &str, ctx: &Context) -> Out {
    if let Some(to) = ctx.mapping.replace.get(token) {
        return Out::new(token, to.clone(), Rule::Exact);
    }
    let (table, name) = if token.starts_with("vpce-") {
        (&ctx.mapping.vpc_endpoints, "vpc_endpoints")
    } else if token.starts_with("vpc-") {
        (&ctx.mapping.vpcs, "vpcs")
    } else if token.starts_with("subnet-") {
        (&ctx.mapping.subnets, "subnets")
    } else {
        (&ctx.mapping.security_groups, "security_groups")
    };
    match table.get(token) {
        Some(to) => Out::new(token, to.clone(), Rule::NetworkId),
        None if ctx.source == ctx.target => Out::same(Rule::NetworkId),
        None => Out::problem(
            token,
            format!(
                "VPC resources differ in each Region and account: add \"{token}\" = \
                 \"<id in {}>\" under [{name}] in the mapping file",
                ctx.target.short()
            ),
            Rule::NetworkId,
        ),
    }
}
