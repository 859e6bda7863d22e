//! The readiness check's reads (the adapter): the restore's own plan of the point (it
//! translates the point for the target and reads the target; it writes nothing), then what
//! the plan does not read: the translated certificates in ACM, the Lambda functions in the
//! target, the target's counts, and an IAM policy simulation of the restore's calls.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::SdkConfig;
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

use super::{
    Certificate, Cognito, Count, Counted, Facts, Permissions, Problem, Readiness, Severity,
};
use crate::awsconf::{said, sdk_error};
use crate::catalog::Catalog;
use crate::jobs::{self, Prepared, Valid};
use crate::model::Source;
use crate::pacing::Pacer;
use crate::restore::{Change, Kind, Plan};
use crate::store::Store;
use crate::translate::{self, Mapping};
use crate::{Error, Result};

/// Checks a valid request's point against the target `sdk` acts in. Reads only. A restore the
/// plan would refuse (a same-named API apigw-dr did not make, say) is one blocking problem.
pub async fn check(
    store: &Store,
    catalog: &Catalog,
    valid: Valid,
    sdk: &SdkConfig,
) -> Result<Readiness> {
    let p = jobs::prepare(store, catalog, valid).await?;
    let plan = match jobs::plan_prepared(&p, sdk).await {
        Ok(plan) => plan,
        Err(Error::Invalid(why)) => {
            let target = crate::awsconf::whoami(sdk).await?;
            return Ok(Readiness {
                point: p.point.id.clone(),
                target,
                ready: false,
                problems: vec![Problem::new(
                    Severity::Blocks,
                    "the restore would be refused",
                    why,
                )],
                quotas: vec![],
            });
        }
        Err(e) => return Err(e),
    };
    let facts = gather(&p, &plan, sdk).await?;
    Ok(super::classify(&plan.point, &facts))
}

async fn gather(p: &Prepared, plan: &Plan, sdk: &SdkConfig) -> Result<Facts> {
    let mut functions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut untranslated = vec![];
    for a in &plan.apis {
        let caller = format!("{} {}", a.what(), a.name);
        for f in &a.functions {
            functions.entry(f.clone()).or_default().push(caller.clone());
        }
        untranslated.extend(a.problems.iter().map(|pr| format!("{caller}: {pr}")));
    }
    if let Some(e) = &plan.estate {
        untranslated.extend(e.problems.iter().map(|pr| format!("estate: {pr}")));
    }
    // The plan looked for them already (GetFunction in the target).
    let missing_functions: BTreeSet<String> = plan
        .apis
        .iter()
        .flat_map(|a| a.missing_functions.iter().cloned())
        .collect();
    let ctx = translate::Context {
        mapping: p.opts.mapping.clone().unwrap_or_else(Mapping::empty),
        ..translate::Context::new(p.snap.source.clone(), plan.target.clone())
    };
    let certificates = certificates(sdk, &wanted_certificates(p, &plan.target, &ctx)).await?;
    let counts = counts(p, plan, sdk).await?;
    let calls = plan.calls();
    let actions = super::iam_actions(calls.keys().copied(), !functions.is_empty());
    let permissions = permissions(sdk, &actions).await;
    Ok(Facts {
        target: plan.target.clone(),
        functions,
        missing_functions,
        untranslated,
        certificates,
        cognito: cognito(sdk, &cognito_refs(p, &ctx)).await?,
        vpc_links: vpc_links(p, &ctx),
        counts,
        permissions,
    })
}

/// A read's answer; None when AWS says there is no such resource (ResourceNotFoundException,
/// as ACM and Cognito say it); any other failure is an error saying `what` was being done.
fn found<T, E>(
    r: std::result::Result<T, SdkError<E, HttpResponse>>,
    what: &str,
) -> Result<Option<T>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match r {
        Ok(o) => Ok(Some(o)),
        Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(sdk_error(what, e)),
    }
}

/// One reference translated for the target; as it is when it cannot be (the plan reports it).
fn translated(value: &str, ctx: &translate::Context) -> String {
    match translate::translate_str(value, ctx) {
        Ok(Some((to, _))) => to,
        _ => value.to_string(),
    }
}

/// (domain, certificate ARN) of each domain of the point, translated, where the ARN is in
/// the account and Region the domain needs it (else the plan has reported it as a problem).
fn wanted_certificates(
    p: &Prepared,
    target: &Source,
    ctx: &translate::Context,
) -> Vec<(String, String)> {
    let mut out = vec![];
    for d in &p.snap.estate.domains {
        let edge = d.endpoint_type == "EDGE" && p.opts.keep_edge;
        let (arn, region) = if edge {
            (d.certificate_arn.as_deref(), "us-east-1")
        } else {
            (
                d.regional_certificate_arn
                    .as_deref()
                    .or(d.certificate_arn.as_deref()),
                target.region.as_str(),
            )
        };
        let Some(arn) = arn else { continue };
        let arn = translated(arn, ctx);
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() > 4 && parts[3] == region && parts[4] == target.account {
            out.push((d.domain_name.clone(), arn));
        }
    }
    out
}

/// Each certificate's status in ACM (in the certificate's own Region).
async fn certificates(sdk: &SdkConfig, wanted: &[(String, String)]) -> Result<Vec<Certificate>> {
    let mut out = vec![];
    for (domain, arn) in wanted {
        let region = arn.split(':').nth(3).unwrap_or_default().to_string();
        let conf = aws_sdk_acm::config::Builder::from(sdk)
            .region(aws_config::Region::new(region))
            .build();
        let acm = aws_sdk_acm::Client::from_conf(conf);
        let status = found(
            acm.describe_certificate().certificate_arn(arn).send().await,
            &format!("reading certificate {arn} (acm:DescribeCertificate)"),
        )?
        .map(|o| {
            o.certificate
                .and_then(|c| c.status)
                .map(|s| s.as_str().to_string())
                .unwrap_or_default()
        });
        out.push(Certificate {
            domain: domain.clone(),
            arn: arn.clone(),
            status,
        });
    }
    Ok(out)
}

/// A Cognito reference of an authorizer: (pool id, app client id if it is a client, used by).
type CognitoRef = (String, Option<String>, String);

/// The Cognito user pools (provider ARNs, JWT issuers) and app clients (JWT audiences) the
/// point's authorizers name, translated.
fn cognito_refs(p: &Prepared, ctx: &translate::Context) -> Vec<CognitoRef> {
    // A reference that does not translate is the plan's problem (not mapped): not read.
    let pool_of = |r: &str| {
        let r = match translate::translate_str(r, ctx) {
            Ok(to) => to.map_or_else(|| r.to_string(), |(to, _)| to),
            Err(_) => return None,
        };
        let id = r.rsplit(['/', ':']).next().unwrap_or_default().to_string();
        id.starts_with(&format!("{}_", ctx.target.region))
            .then_some(id)
    };
    let mut out = vec![];
    for a in &p.snap.rest_apis {
        for z in &a.authorizers {
            let by = format!("authorizer {} of REST API {}", z.name, a.api.name);
            for arn in z
                .provider_arns
                .iter()
                .filter(|a| a.contains(":cognito-idp:"))
            {
                out.extend(pool_of(arn).map(|pool| (pool, None, by.clone())));
            }
        }
    }
    for a in &p.snap.apis_v2 {
        for z in &a.authorizers {
            let Some(jwt) = &z.jwt_configuration else {
                continue;
            };
            let issuer = jwt.issuer.as_deref().filter(|i| i.contains("cognito-idp."));
            let Some(pool) = issuer.and_then(pool_of) else {
                continue;
            };
            let by = format!("authorizer {} of API {}", z.name, a.api.name);
            for aud in &jwt.audience {
                let client = ctx.mapping.cognito_clients.get(aud).unwrap_or(aud);
                out.push((pool.clone(), Some(client.clone()), by.clone()));
            }
            out.push((pool, None, by));
        }
    }
    out
}

/// Whether the target has each pool and client (each asked once), in its pool's Region
/// (the pool id's prefix).
async fn cognito(sdk: &SdkConfig, refs: &[CognitoRef]) -> Result<Vec<Cognito>> {
    use aws_sdk_cognitoidentityprovider::Client;
    let mut seen: BTreeMap<(String, Option<String>), bool> = BTreeMap::new();
    let mut out = vec![];
    for (pool, client_id, by) in refs {
        let key = (pool.clone(), client_id.clone());
        let exists = match seen.get(&key) {
            Some(e) => *e,
            None => {
                let region = pool.split('_').next().unwrap_or_default().to_string();
                let conf = aws_sdk_cognitoidentityprovider::config::Builder::from(sdk)
                    .region(aws_config::Region::new(region))
                    .build();
                let c = Client::from_conf(conf);
                let found = match client_id {
                    None => found(
                        c.describe_user_pool().user_pool_id(pool).send().await,
                        &format!("reading user pool {pool} (cognito-idp:DescribeUserPool)"),
                    )?
                    .is_some(),
                    Some(id) => found(
                        c.describe_user_pool_client()
                            .user_pool_id(pool)
                            .client_id(id)
                            .send()
                            .await,
                        &format!(
                            "reading app client {id} of user pool {pool} (cognito-idp:DescribeUserPoolClient)"
                        ),
                    )?
                    .is_some(),
                };
                seen.insert(key, found);
                found
            }
        };
        out.push(Cognito {
            what: match client_id {
                None => format!("user pool {pool}"),
                Some(id) => format!("app client {id} of user pool {pool}"),
            },
            used_by: by.clone(),
            exists,
        });
    }
    Ok(out)
}

/// The point's VPC links and what each needs in the target, translated.
fn vpc_links(p: &Prepared, ctx: &translate::Context) -> Vec<String> {
    let all = |ids: &[String]| {
        ids.iter()
            .map(|i| translated(i, ctx))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let e = &p.snap.estate;
    let v1 = e.vpc_links_v1.iter().map(|l| {
        format!(
            "VPC link {} (REST APIs) needs the load balancers {}",
            l.name,
            all(&l.target_arns)
        )
    });
    let v2 = e.vpc_links_v2.iter().map(|l| {
        format!(
            "VPC link {} (HTTP APIs) needs the subnets {} and security groups {}",
            l.name,
            all(&l.subnet_ids),
            all(&l.security_group_ids)
        )
    });
    v1.chain(v2).collect()
}

/// What the target holds of each counted kind, and what the plan creates.
async fn counts(p: &Prepared, plan: &Plan, sdk: &SdkConfig) -> Result<Vec<Count>> {
    let pacer = Pacer::default();
    let rest = crate::capture::list_rest_apis(&crate::capture::apigateway_client(sdk), &pacer)
        .await?
        .len();
    let v2 = crate::capture::v2::list_apis(&crate::capture::v2::client(sdk), &pacer)
        .await?
        .len();
    // What planning read already is not read again.
    let captured;
    let held = match plan.target_estate() {
        Some(estate) => estate,
        None => {
            let sealer = p.opts.sealer.clone().ok_or_else(|| {
                Error::Invalid("no keyring to read the target's API keys with".into())
            })?;
            captured = Box::pin(crate::capture::estate::capture_estate(
                sdk,
                &pacer,
                &sealer,
                &|_| {},
            ))
            .await?;
            &captured
        }
    };
    let mut adds: BTreeMap<Counted, u64> = BTreeMap::new();
    for a in plan.apis.iter().filter(|a| a.action == "create") {
        let c = if a.protocol == "REST" {
            Counted::RestApis
        } else {
            Counted::HttpAndWebSocketApis
        };
        *adds.entry(c).or_default() += 1;
    }
    for s in plan.estate.iter().flat_map(|e| &e.steps) {
        let c = match s.kind {
            Kind::DomainName => Counted::CustomDomains,
            Kind::ApiKey => Counted::ApiKeys,
            Kind::UsagePlan => Counted::UsagePlans,
            Kind::VpcLink => Counted::VpcLinksV1,
            Kind::VpcLinkV2 => Counted::VpcLinksV2,
            _ => continue,
        };
        if s.change == Change::Create {
            *adds.entry(c).or_default() += 1;
        }
    }
    let held = [
        (Counted::RestApis, rest),
        (Counted::HttpAndWebSocketApis, v2),
        (Counted::CustomDomains, held.domains.len()),
        (Counted::ApiKeys, held.api_keys.len()),
        (Counted::UsagePlans, held.usage_plans.len()),
        (Counted::VpcLinksV1, held.vpc_links_v1.len()),
        (Counted::VpcLinksV2, held.vpc_links_v2.len()),
    ];
    Ok(held
        .into_iter()
        .map(|(counted, n)| Count {
            counted,
            held: n as u64,
            adds: adds.get(&counted).copied().unwrap_or(0),
        })
        .collect())
}

/// Whether the identity `sdk` acts as may make the calls: IAM policy simulation of its
/// principal (the role of an assumed-role session).
async fn permissions(sdk: &SdkConfig, actions: &[String]) -> Permissions {
    let sts = aws_sdk_sts::Client::new(sdk);
    let arn = match sts.get_caller_identity().send().await {
        Ok(o) => o.arn.unwrap_or_default(),
        Err(e) => {
            return Permissions::NotChecked(format!(
                "the target identity is unknown (sts:GetCallerIdentity: {})",
                said(&e)
            ));
        }
    };
    let principal = super::principal_of(&arn);
    simulate(&aws_sdk_iam::Client::new(sdk), &principal, actions).await
}

/// IAM SimulatePrincipalPolicy of `actions` for `principal` (every page): the actions it does
/// not allow, with the decision; a refused or failed simulation says why.
pub async fn simulate(
    iam: &aws_sdk_iam::Client,
    principal: &str,
    actions: &[String],
) -> Permissions {
    use aws_sdk_iam::types::PolicyEvaluationDecisionType as Decision;
    let mut denied = vec![];
    let mut marker = None;
    loop {
        let sent = iam
            .simulate_principal_policy()
            .policy_source_arn(principal)
            .set_action_names(Some(actions.to_vec()))
            .set_marker(marker)
            .send()
            .await;
        let out = match sent {
            Ok(o) => o,
            Err(e) => {
                return Permissions::NotChecked(format!(
                    "iam:SimulatePrincipalPolicy for {principal} failed ({})",
                    said(&e)
                ));
            }
        };
        for r in out.evaluation_results() {
            if r.eval_decision() != &Decision::Allowed {
                denied.push((
                    r.eval_action_name().to_string(),
                    r.eval_decision().as_str().to_string(),
                ));
            }
        }
        if !out.is_truncated() {
            break;
        }
        marker = out.marker;
        if marker.is_none() {
            break;
        }
    }
    Permissions::Simulated {
        principal: principal.to_string(),
        denied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
    use aws_smithy_mocks::{
        MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock,
    };

    fn iam(rules: &[Rule]) -> aws_sdk_iam::Client {
        let mut mocks = MockResponseInterceptor::new().rule_mode(RuleMode::Sequential);
        for r in rules {
            mocks = mocks.with_rule(r);
        }
        let conf = aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
            .http_client(create_mock_http_client())
            .interceptor(mocks)
            .build();
        aws_sdk_iam::Client::from_conf(conf)
    }

    fn answer(status: u16, body: String) -> Rule {
        mock!(aws_sdk_iam::Client::simulate_principal_policy).then_http_response(move || {
            aws_sdk_iam::config::http::HttpResponse::new(
                status.try_into().unwrap(),
                aws_smithy_types::body::SdkBody::from(body.clone()),
            )
        })
    }

    fn page(results: &[(&str, &str)], marker: Option<&str>) -> String {
        let members: String = results
            .iter()
            .map(|(a, d)| {
                format!(
                    "<member><EvalActionName>{a}</EvalActionName><EvalResourceName>*</EvalResourceName>\
                     <EvalDecision>{d}</EvalDecision><MatchedStatements/><MissingContextValues/></member>"
                )
            })
            .collect();
        let more = match marker {
            Some(m) => format!("<IsTruncated>true</IsTruncated><Marker>{m}</Marker>"),
            None => "<IsTruncated>false</IsTruncated>".into(),
        };
        format!(
            "<SimulatePrincipalPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <SimulatePrincipalPolicyResult>{more}<EvaluationResults>{members}</EvaluationResults>\
             </SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>\
             </SimulatePrincipalPolicyResponse>"
        )
    }

    #[tokio::test]
    async fn a_simulated_denial_is_reported_per_action_over_every_page() {
        let client = iam(&[
            answer(
                200,
                page(
                    &[
                        ("apigateway:GET", "allowed"),
                        ("apigateway:POST", "implicitDeny"),
                    ],
                    Some("m1"),
                ),
            ),
            answer(200, page(&[("lambda:AddPermission", "explicitDeny")], None)),
        ]);
        let actions = vec![
            "apigateway:GET".to_string(),
            "apigateway:POST".to_string(),
            "lambda:AddPermission".to_string(),
        ];
        let got = simulate(&client, "arn:aws:iam::2:role/dr", &actions).await;
        assert_eq!(
            got,
            Permissions::Simulated {
                principal: "arn:aws:iam::2:role/dr".into(),
                denied: vec![
                    ("apigateway:POST".into(), "implicitDeny".into()),
                    ("lambda:AddPermission".into(), "explicitDeny".into())
                ]
            }
        );
    }

    #[tokio::test]
    async fn a_refused_simulation_is_a_note_saying_why() {
        let body = "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
                    <Code>AccessDenied</Code><Message>not authorized to perform iam:SimulatePrincipalPolicy</Message>\
                    </Error><RequestId>r1</RequestId></ErrorResponse>";
        let client = iam(&[answer(403, body.into())]);
        let got = simulate(
            &client,
            "arn:aws:iam::2:role/dr",
            &["apigateway:GET".into()],
        )
        .await;
        let Permissions::NotChecked(why) = got else {
            panic!("{got:?}")
        };
        assert!(
            why.contains("HTTP 403 AccessDenied") && why.contains("arn:aws:iam::2:role/dr"),
            "{why}"
        );
    }
}
