//! The readiness check (`apigw-dr check`): what would block or degrade a failover of a point
//! into a target now, read from the target without writing anything.
//!
//! Split like the restore: [`read`] gathers the [`Facts`] (the restore's own plan, which
//! translates the point for the target and reads it, plus Lambda, ACM, IAM and the target's
//! counts); [`classify`] (pure, here) turns them into problems, one line each with what to
//! do, by severity. Ready means no problem that blocks or degrades; what could not be checked
//! is said, and does not make the target unready.

pub mod read;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::Source;

/// How much a problem hurts a failover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// The restore cannot bring something back (or cannot run): refused, over a quota,
    /// denied a call, a reference not mapped, a domain's certificate not usable.
    Blocks,
    /// The restore brings it back, but what calls a missing dependency (a Lambda function, a
    /// Cognito pool or client) fails until the dependency exists.
    Degrades,
    /// Not checked: the operator should look.
    NotChecked,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Blocks => "blocks",
            Severity::Degrades => "degrades",
            Severity::NotChecked => "not checked",
        }
    }
}

/// One problem: what is wrong and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub severity: Severity,
    pub what: String,
    pub fix: String,
}

impl Problem {
    pub(crate) fn new(
        severity: Severity,
        what: impl Into<String>,
        fix: impl Into<String>,
    ) -> Problem {
        Problem {
            severity,
            what: what.into(),
            fix: fix.into(),
        }
    }

    /// `WHAT: FIX`, one line.
    pub fn line(&self) -> String {
        format!("{}: {}", self.what, self.fix)
    }
}

/// What is counted against a quota of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Counted {
    RestApis,
    HttpAndWebSocketApis,
    CustomDomains,
    ApiKeys,
    UsagePlans,
    VpcLinksV1,
    VpcLinksV2,
}

/// One of API Gateway's default quotas per account and Region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub counted: Counted,
    pub what: &'static str,
    /// None: no default quota is known to this project; counted, not checked.
    pub limit: Option<u64>,
    pub source: &'static str,
}

const QUOTA_DOC: &str =
    "Amazon API Gateway developer guide, \"Amazon API Gateway quotas\" (docs: aws-quotas.md)";

/// API Gateway's default quotas per account and Region, as the restore meets them.
pub const QUOTAS: &[Quota] = &[
    Quota {
        counted: Counted::RestApis,
        what: "REST APIs (Regional)",
        limit: Some(600),
        source: QUOTA_DOC,
    },
    Quota {
        counted: Counted::HttpAndWebSocketApis,
        what: "HTTP and WebSocket APIs",
        limit: None,
        source: "no default quota in aws-quotas.md",
    },
    Quota {
        counted: Counted::CustomDomains,
        what: "public custom domains",
        limit: Some(120),
        source: QUOTA_DOC,
    },
    Quota {
        counted: Counted::ApiKeys,
        what: "API keys",
        limit: Some(10_000),
        source: QUOTA_DOC,
    },
    Quota {
        counted: Counted::UsagePlans,
        what: "usage plans",
        limit: Some(300),
        source: QUOTA_DOC,
    },
    Quota {
        counted: Counted::VpcLinksV1,
        what: "VPC links (REST APIs)",
        limit: Some(20),
        source: QUOTA_DOC,
    },
    Quota {
        counted: Counted::VpcLinksV2,
        what: "VPC links (HTTP APIs)",
        limit: None,
        source: "no default quota in aws-quotas.md",
    },
];

/// What the target holds of one counted kind, and what the restore of the point would add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Count {
    pub counted: Counted,
    pub held: u64,
    pub adds: u64,
}

/// A custom domain's certificate, translated for the target, and its status there (None:
/// the target has no such certificate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub domain: String,
    pub arn: String,
    pub status: Option<String>,
}

/// A Cognito user pool (or one of its app clients) an authorizer names, translated, and
/// whether the target has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cognito {
    /// `user pool us-west-2_abc` or `app client XYZ of user pool us-west-2_abc`.
    pub what: String,
    /// `authorizer NAME of REST API NAME`.
    pub used_by: String,
    pub exists: bool,
}

/// Whether the target identity may make the restore's calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permissions {
    /// IAM policy simulation answered: the actions it denies, with the decision.
    Simulated {
        principal: String,
        denied: Vec<(String, String)>,
    },
    /// Why it could not be simulated.
    NotChecked(String),
}

/// Everything the check read, plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub target: Source,
    /// Lambda function ARN (translated) -> the APIs that call it.
    pub functions: BTreeMap<String, Vec<String>>,
    /// Those the target lacks.
    pub missing_functions: BTreeSet<String>,
    /// References translation could not map, one line each (what, which reference, why).
    pub untranslated: Vec<String>,
    pub certificates: Vec<Certificate>,
    /// Cognito user pools and app clients the authorizers name (translated).
    pub cognito: Vec<Cognito>,
    /// VPC links of the point, with what they need in the target (translated).
    pub vpc_links: Vec<String>,
    pub counts: Vec<Count>,
    pub permissions: Permissions,
}

/// The check's answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    pub point: String,
    pub target: Source,
    /// No problem blocks or degrades a failover.
    pub ready: bool,
    /// By severity, then as found.
    pub problems: Vec<Problem>,
    pub quotas: Vec<Room>,
}

/// One quota and the room the target has under it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Room {
    pub what: &'static str,
    pub held: u64,
    pub adds: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

impl Readiness {
    /// The problems of one severity.
    pub fn of(&self, severity: Severity) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(move |p| p.severity == severity)
    }

    /// How many problems block or degrade a failover.
    pub fn count(&self) -> u64 {
        self.problems
            .iter()
            .filter(|p| p.severity != Severity::NotChecked)
            .count() as u64
    }
}

const MAP_FIX: &str = "add it to the mapping file (docs/mapping-file.md) and pass it with --map";

/// The problems of `facts` for a failover of `point`.
pub fn classify(point: &str, facts: &Facts) -> Readiness {
    let t = &facts.target;
    let mut problems = vec![];
    for f in &facts.missing_functions {
        let callers = facts
            .functions
            .get(f)
            .map(|c| c.join(", "))
            .unwrap_or_default();
        problems.push(Problem::new(
            Severity::Degrades,
            format!("Lambda function {f} (called by {callers}) is missing in {}", t.short()),
            "deploy it (with that alias or version) in the target, or map it under [replace] in the mapping file",
        ));
    }
    for u in &facts.untranslated {
        problems.push(Problem::new(
            Severity::Blocks,
            format!("reference not mapped: {u}"),
            MAP_FIX,
        ));
    }
    for c in &facts.certificates {
        let (what, fix) = match &c.status {
            None => (
                format!(
                    "certificate {} of domain {} is missing in {}",
                    c.arn,
                    c.domain,
                    t.short()
                ),
                "request or import it in ACM there, and map it under [certificates] in the mapping file",
            ),
            Some(s) if s != "ISSUED" => (
                format!(
                    "certificate {} of domain {} is {s}, not ISSUED",
                    c.arn, c.domain
                ),
                "complete its validation in ACM (or map an ISSUED certificate under [certificates])",
            ),
            Some(_) => continue,
        };
        problems.push(Problem::new(Severity::Blocks, what, fix));
    }
    for c in facts.cognito.iter().filter(|c| !c.exists) {
        problems.push(Problem::new(
            Severity::Degrades,
            format!("Cognito {} ({}) is missing in {}", c.what, c.used_by, t.short()),
            "create it in the target, or map it under [cognito_user_pools] / [cognito_clients] in the mapping file",
        ));
    }
    for l in &facts.vpc_links {
        problems.push(Problem::new(
            Severity::NotChecked,
            format!("{l}: not checked"),
            "confirm they exist in the target (this check reads no EC2 or load balancers), or map them",
        ));
    }
    let mut quotas = vec![];
    for q in QUOTAS {
        let Some(c) = facts.counts.iter().find(|c| c.counted == q.counted) else {
            continue;
        };
        quotas.push(Room {
            what: q.what,
            held: c.held,
            adds: c.adds,
            limit: q.limit,
        });
        if let Some(limit) = q.limit
            && c.held + c.adds > limit
        {
            problems.push(Problem::new(
                Severity::Blocks,
                format!(
                    "{}: {} holds {} and the restore adds {}, over the default quota of {limit}",
                    q.what,
                    t.short(),
                    c.held,
                    c.adds
                ),
                "ask AWS for a higher quota (Service Quotas) or remove unused ones in the target",
            ));
        }
    }
    match &facts.permissions {
        Permissions::Simulated { principal, denied } => {
            for (action, decision) in denied {
                problems.push(Problem::new(
                    Severity::Blocks,
                    format!("{principal} may not call {action} ({decision})"),
                    "allow it in the recovery role's policy (infra/ templates)",
                ));
            }
        }
        Permissions::NotChecked(why) => problems.push(Problem::new(
            Severity::NotChecked,
            format!("permissions not checked: {why}"),
            "run the check as an identity allowed iam:SimulatePrincipalPolicy, or review the recovery role's policy by hand",
        )),
    }
    problems.sort_by_key(|p| p.severity);
    let mut r = Readiness {
        point: point.to_string(),
        target: t.clone(),
        ready: false,
        problems,
        quotas,
    };
    r.ready = r.count() == 0;
    r
}

/// The IAM actions the restore's control-plane calls need (API Gateway authorizes by HTTP
/// method), plus the Lambda ones for the functions the APIs call.
pub fn iam_actions<'a>(ops: impl IntoIterator<Item = &'a str>, calls_lambda: bool) -> Vec<String> {
    let mut out = BTreeSet::from(["apigateway:GET".to_string()]);
    for op in ops {
        let verb = if op.starts_with("Update") {
            "PATCH"
        } else if op.starts_with("Delete") {
            "DELETE"
        } else if op.starts_with("Put")
            || op.starts_with("Reimport")
            || op == "ImportApi"
            || op.starts_with("Tag")
        {
            "PUT"
        } else if op.starts_with("Get") {
            "GET"
        } else {
            // Create*, ImportRestApi, Generate*...
            "POST"
        };
        out.insert(format!("apigateway:{verb}"));
    }
    if calls_lambda {
        out.insert("lambda:GetFunction".into());
        out.insert("lambda:AddPermission".into());
    }
    out.into_iter().collect()
}

/// The IAM principal a caller ARN stands for: a role for an assumed-role session
/// (`arn:aws:sts::1:assumed-role/R/s` -> `arn:aws:iam::1:role/R`), else the ARN itself.
pub fn principal_of(caller_arn: &str) -> String {
    let parts: Vec<&str> = caller_arn.splitn(6, ':').collect();
    if parts.len() == 6
        && parts[2] == "sts"
        && let Some(rest) = parts[5].strip_prefix("assumed-role/")
        && let Some(role) = rest.split('/').next()
    {
        return format!("arn:{}:iam::{}:role/{role}", parts[1], parts[4]);
    }
    caller_arn.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            target: Source {
                partition: "aws".into(),
                account: "222222222222".into(),
                region: "us-west-2".into(),
            },
            functions: BTreeMap::from([
                (
                    "arn:aws:lambda:us-west-2:222222222222:function:pets:live".to_string(),
                    vec!["REST API pets".to_string()],
                ),
                (
                    "arn:aws:lambda:us-west-2:222222222222:function:auth".to_string(),
                    vec!["REST API pets".to_string(), "HTTP API orders".to_string()],
                ),
            ]),
            missing_functions: BTreeSet::new(),
            untranslated: vec![],
            certificates: vec![Certificate {
                domain: "api.example.com".into(),
                arn: "arn:aws:acm:us-west-2:222222222222:certificate/c".into(),
                status: Some("ISSUED".into()),
            }],
            cognito: vec![Cognito {
                what: "user pool us-west-2_a".into(),
                used_by: "authorizer c of REST API pets".into(),
                exists: true,
            }],
            vpc_links: vec![],
            counts: vec![Count {
                counted: Counted::RestApis,
                held: 10,
                adds: 1,
            }],
            permissions: Permissions::Simulated {
                principal: "arn:aws:iam::222222222222:role/dr".into(),
                denied: vec![],
            },
        }
    }

    #[test]
    fn a_target_with_everything_is_ready() {
        let r = classify("p1", &facts());
        assert!(r.ready, "{:?}", r.problems);
        assert!(r.problems.is_empty());
        assert_eq!(r.count(), 0);
        assert_eq!(r.quotas[0].limit, Some(600));
    }

    #[test]
    fn missing_certificates_block_and_missing_dependencies_degrade_with_what_to_do() {
        let mut f = facts();
        f.missing_functions
            .insert("arn:aws:lambda:us-west-2:222222222222:function:auth".into());
        f.certificates[0].status = None;
        f.cognito.push(Cognito {
            what: "app client x of user pool us-west-2_a".into(),
            used_by: "authorizer j of HTTP API orders".into(),
            exists: false,
        });
        f.certificates.push(Certificate {
            domain: "b.example.com".into(),
            arn: "arn:aws:acm:us-west-2:222222222222:certificate/d".into(),
            status: Some("PENDING_VALIDATION".into()),
        });
        let r = classify("p1", &f);
        assert!(!r.ready);
        assert_eq!(r.count(), 4);
        // Blocks first, then degrades.
        assert_eq!(r.problems[1].severity, Severity::Blocks);
        assert_eq!(r.problems[2].severity, Severity::Degrades);
        let lines: Vec<String> = r.of(Severity::Blocks).map(Problem::line).collect();
        assert!(lines[0].contains("certificate/c of domain api.example.com is missing"));
        assert!(lines[1].contains("is PENDING_VALIDATION, not ISSUED: complete its validation"));
        let lines: Vec<String> = r.of(Severity::Degrades).map(Problem::line).collect();
        assert!(
            lines[0].contains("function:auth (called by REST API pets, HTTP API orders) is missing in 222222222222/us-west-2: deploy it"),
            "{lines:?}"
        );
        assert_eq!(
            lines[1],
            "Cognito app client x of user pool us-west-2_a (authorizer j of HTTP API orders) is missing in 222222222222/us-west-2: create it in the target, or map it under [cognito_user_pools] / [cognito_clients] in the mapping file"
        );
        assert!(lines.iter().all(|l| !l.contains('\n')));
    }

    #[test]
    fn unmapped_references_ask_for_the_mapping_file() {
        let mut f = facts();
        f.untranslated.push(
            "REST API pets: Authorizer cognito /providerArns/0: cannot translate X (no mapping)"
                .into(),
        );
        let r = classify("p1", &f);
        assert!(!r.ready);
        assert!(r.problems[0].line().ends_with(MAP_FIX), "{:?}", r.problems);
    }

    #[test]
    fn quotas_block_only_when_the_restore_goes_over() {
        let mut f = facts();
        f.counts = vec![
            Count {
                counted: Counted::RestApis,
                held: 599,
                adds: 1,
            },
            Count {
                counted: Counted::UsagePlans,
                held: 300,
                adds: 1,
            },
            Count {
                counted: Counted::HttpAndWebSocketApis,
                held: 5000,
                adds: 10,
            },
        ];
        let r = classify("p1", &f);
        let blocks: Vec<String> = r.of(Severity::Blocks).map(Problem::line).collect();
        assert_eq!(blocks.len(), 1, "{blocks:?}");
        assert!(blocks[0].starts_with(
            "usage plans: 222222222222/us-west-2 holds 300 and the restore adds 1, over the default quota of 300"
        ));
        // Every counted kind is shown, in the table's order, with its limit where known.
        let shown: Vec<(&str, Option<u64>)> = r.quotas.iter().map(|q| (q.what, q.limit)).collect();
        assert_eq!(
            shown,
            [
                ("REST APIs (Regional)", Some(600)),
                ("HTTP and WebSocket APIs", None),
                ("usage plans", Some(300))
            ]
        );
    }

    #[test]
    fn what_is_not_checked_is_said_and_does_not_make_the_target_unready() {
        let mut f = facts();
        f.permissions = Permissions::NotChecked("SimulatePrincipalPolicy answered 501".into());
        f.vpc_links
            .push("VPC link nlb (REST APIs) needs load balancer arn:x".into());
        let r = classify("p1", &f);
        assert!(r.ready);
        assert_eq!(r.of(Severity::NotChecked).count(), 2);
        assert!(
            r.problems
                .iter()
                .any(|p| p.what == "permissions not checked: SimulatePrincipalPolicy answered 501")
        );
    }

    #[test]
    fn denied_actions_block() {
        let mut f = facts();
        f.permissions = Permissions::Simulated {
            principal: "arn:aws:iam::2:role/dr".into(),
            denied: vec![("apigateway:POST".into(), "implicitDeny".into())],
        };
        let r = classify("p1", &f);
        assert!(!r.ready);
        assert_eq!(
            r.problems[0].what,
            "arn:aws:iam::2:role/dr may not call apigateway:POST (implicitDeny)"
        );
    }

    #[test]
    fn calls_map_to_iam_actions() {
        let got = iam_actions(
            [
                "CreateRestApi",
                "PutIntegration",
                "UpdateStage",
                "DeleteBasePathMapping",
                "ImportApi",
            ],
            true,
        );
        assert_eq!(
            got,
            [
                "apigateway:DELETE",
                "apigateway:GET",
                "apigateway:PATCH",
                "apigateway:POST",
                "apigateway:PUT",
                "lambda:AddPermission",
                "lambda:GetFunction"
            ]
        );
        assert_eq!(iam_actions([], false), ["apigateway:GET"]);
    }

    #[test]
    fn an_assumed_role_session_is_its_role() {
        assert_eq!(
            principal_of("arn:aws:sts::222222222222:assumed-role/dr-restore/session-1"),
            "arn:aws:iam::222222222222:role/dr-restore"
        );
        assert_eq!(
            principal_of("arn:aws:iam::222222222222:user/ops"),
            "arn:aws:iam::222222222222:user/ops"
        );
    }
}
