//! Capture of the account-level estate ([`crate::model::estate`]) through both control-plane
//! APIs, every call through one [`Pacer`], every list followed to its last page (`position` for
//! v1, `NextToken` for v2).
//!
//! Calls: v1 GetDomainNames, GetVpcLinks, GetUsagePlans, GetApiKeys (`includeValues`),
//! GetClientCertificates and GetAccount; v2 GetDomainNames and GetVpcLinks; then per domain
//! GetBasePathMappings (domains v1 lists) and GetApiMappings (domains v2 lists), and per usage
//! plan GetUsagePlanKeys. Every list item carries its tags, so no GetTags call is needed. An
//! estate of D domains and P usage plans costs about 8 + 2D + P calls.
//!
//! In AWS both APIs list every domain and mapping; look-alikes may keep two stores (moto does),
//! so domains are merged by name (`seenBy` says who listed them) and mappings by key: a mapping
//! both list once (its `via` is `v1` for a REST API, else `v2`; GetRestApis is read only then,
//! to tell). API key values are sealed by the [`Sealer`] as soon as they are read; the clear
//! value is never kept. A look-alike that lacks client certificates (moto answers 404 without an
//! error code) reads as having none, like the v2 gaps; so does a domain whose GetBasePathMappings
//! fails without an error code (moto answers 500 for a domain that has no mapping).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU16;

use aws_config::SdkConfig;
use aws_sdk_apigateway::types as v1sdk;
use aws_sdk_apigatewayv2::types as v2sdk;

use super::convert::tree;
use super::{Gaps, or_gap, paged, run_bounded};
use crate::Result;
use crate::awsconf::sdk_error;
use crate::model::ESTATE_SCOPE;
use crate::model::estate::{
    self as model, Account, ApiKey, ApiStage, ClientCertificate, DomainName, Estate, Mapping,
    MutualTls, Quota, StageKey, Throttle, UsagePlan, VpcLinkV1, VpcLinkV2,
};
use crate::pacing::Pacer;
use crate::secret::Sealer;
use crate::time::from_sdk;

use super::{PAGE, PAGE_V2};

/// How many per-domain or per-plan reads are in flight at once.
const AT_ONCE: usize = 8;

const V1: &str = "v1";
const V2: &str = "v2";

/// Captures the estate of the account and Region `sdk` acts in, sealing API key values with
/// `sealer`. `progress` gets one summary line.
pub async fn capture_estate(
    sdk: &SdkConfig,
    pacer: &Pacer,
    sealer: &Sealer,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<Estate> {
    capture_estate_with_gaps(sdk, pacer, sealer, progress, &Gaps::strict()).await
}

/// [`capture_estate`], recording in `gaps` what the source did not serve or answered
/// unreadably (taken as none).
pub async fn capture_estate_with_gaps(
    sdk: &SdkConfig,
    pacer: &Pacer,
    sealer: &Sealer,
    progress: &(dyn Fn(String) + Send + Sync),
    gaps: &Gaps,
) -> Result<Estate> {
    let v1 = super::apigateway_client(sdk);
    let v2 = super::v2::client(sdk);
    capture_estate_with(&v1, &v2, pacer, sealer, progress, gaps).await
}

/// [`capture_estate_with_gaps`] with the clients given (tests give clients that answer from
/// mocks).
pub async fn capture_estate_with(
    v1: &aws_sdk_apigateway::Client,
    v2: &aws_sdk_apigatewayv2::Client,
    pacer: &Pacer,
    sealer: &Sealer,
    progress: &(dyn Fn(String) + Send + Sync),
    gaps: &Gaps,
) -> Result<Estate> {
    let what = |op: &str| format!("reading the account's API Gateway estate ({op})");

    // The list operations of v1 (limit, position, items) and of v2 (MaxResults, NextToken,
    // Items) each have one shape.
    macro_rules! list_v1 {
        ($op:literal, $req:expr $(; gap $gap:expr)?) => {
            paged(pacer, $op, move |pos| {
                let req = $req.limit(PAGE).set_position(pos);
                async move {
                    let r = req
                        .send()
                        .await
                        .map(|o| (o.items.unwrap_or_default(), o.position));
                    $(let r = or_gap(r, $gap);)?
                    r
                }
            })
        };
    }
    macro_rules! list_v2 {
        ($op:literal, $req:expr) => {
            paged(pacer, $op, move |token| {
                let req = $req.max_results(PAGE_V2).set_next_token(token);
                async move {
                    req.send()
                        .await
                        .map(|o| (o.items.unwrap_or_default(), o.next_token))
                }
            })
        };
    }

    let certs_gap = AtomicU16::new(0);
    let cg = &certs_gap;
    let (domains1, domains2, links1, links2, plans, keys, certs, account) = tokio::join!(
        list_v1!("GetDomainNames", v1.get_domain_names()),
        list_v2!("GetDomainNames", v2.get_domain_names()),
        list_v1!("GetVpcLinks", v1.get_vpc_links()),
        list_v2!("GetVpcLinks", v2.get_vpc_links()),
        list_v1!("GetUsagePlans", v1.get_usage_plans()),
        list_v1!("GetApiKeys", v1.get_api_keys().include_values(true)),
        list_v1!("GetClientCertificates", v1.get_client_certificates(); gap cg),
        pacer.call("GetAccount", || v1.get_account().send()),
    );
    // A list whose reply cannot be read (an API key the SDK cannot parse...) is a gap of the
    // point: that kind is left out, the rest is captured.
    let read = |op: &str| what(op);
    let e = ESTATE_SCOPE;
    let domains1 = gaps.or_unreadable(domains1, model::KIND_DOMAIN, e, "GetDomainNames", &read)?;
    let domains2 =
        gaps.or_unreadable(domains2, model::KIND_DOMAIN, e, "v2 GetDomainNames", &read)?;
    let links1 = gaps.or_unreadable(links1, model::KIND_VPC_LINK, e, "GetVpcLinks", &read)?;
    let links2 = gaps.or_unreadable(links2, model::KIND_VPC_LINK_V2, e, "v2 GetVpcLinks", &read)?;
    let plans = gaps.or_unreadable(plans, model::KIND_USAGE_PLAN, e, "GetUsagePlans", &read)?;
    let keys = gaps.or_unreadable(keys, model::KIND_API_KEY, e, "GetApiKeys", &read)?;
    let certs = gaps.or_unreadable(
        certs,
        model::KIND_CLIENT_CERTIFICATE,
        e,
        "GetClientCertificates",
        &read,
    )?;
    let account = match account {
        Ok(a) => Some(a),
        Err(err) => match gaps.unreadable(&err) {
            Some(why) => {
                gaps.push(crate::model::Gap::new(
                    model::KIND_ACCOUNT,
                    e,
                    format!("could not read the reply of GetAccount: {why}"),
                ));
                None
            }
            None => return Err(sdk_error(&what("GetAccount"), err)),
        },
    };
    let mut lacking = vec![];
    gaps.note(
        &certs_gap,
        model::KIND_CLIENT_CERTIFICATE,
        e,
        "GetClientCertificates",
        &mut lacking,
    );

    // Mappings of each domain, through the API(s) that listed it.
    let mappings_gap = AtomicU16::new(0);
    let mg = &mappings_gap;
    let reads: Vec<_> = domains1
        .iter()
        .map(|d| {
            let name = d.domain_name().unwrap_or_default();
            let id = d.domain_name_id.clone();
            list_v1!(
                "GetBasePathMappings",
                v1.get_base_path_mappings()
                    .domain_name(name)
                    .set_domain_name_id(id.clone());
                gap mg
            )
        })
        .collect();
    let base_paths = run_bounded(reads, AT_ONCE).await;
    gaps.note(
        &mappings_gap,
        model::KIND_MAPPING,
        e,
        "GetBasePathMappings",
        &mut lacking,
    );
    let reads: Vec<_> = domains2
        .iter()
        .map(|d| {
            let name = d.domain_name().unwrap_or_default();
            list_v2!("GetApiMappings", v2.get_api_mappings().domain_name(name))
        })
        .collect();
    let api_mappings = run_bounded(reads, AT_ONCE).await;
    let reads: Vec<_> = plans
        .iter()
        .map(|p| {
            let id = p.id().unwrap_or_default();
            list_v1!(
                "GetUsagePlanKeys",
                v1.get_usage_plan_keys().usage_plan_id(id)
            )
        })
        .collect();
    let plan_keys = run_bounded(reads, AT_ONCE).await;

    let mut by_name: BTreeMap<String, DomainName> = BTreeMap::new();
    for (d, mappings) in domains1.iter().zip(base_paths) {
        let name = d.domain_name().unwrap_or_default();
        let of = |op: &str| what(&format!("{op} of {name}"));
        let mappings =
            gaps.or_unreadable(mappings, model::KIND_MAPPING, e, "GetBasePathMappings", &of)?;
        let into = by_name.entry(name.to_string()).or_default();
        merge_v1_domain(into, d);
        into.mappings.extend(mappings.iter().map(|m| Mapping {
            key: match m.base_path() {
                None | Some("(none)") => String::new(),
                Some(p) => p.to_string(),
            },
            api_id: m.rest_api_id().unwrap_or_default().to_string(),
            stage: m.stage.clone(),
            via: V1.into(),
            id: None,
        }));
    }
    for (d, mappings) in domains2.iter().zip(api_mappings) {
        let name = d.domain_name().unwrap_or_default();
        let of = |op: &str| what(&format!("{op} of {name}"));
        let mappings =
            gaps.or_unreadable(mappings, model::KIND_MAPPING, e, "GetApiMappings", &of)?;
        let into = by_name.entry(name.to_string()).or_default();
        merge_v2_domain(into, d);
        into.mappings.extend(mappings.iter().map(|m| Mapping {
            key: m.api_mapping_key().unwrap_or_default().to_string(),
            api_id: m.api_id().unwrap_or_default().to_string(),
            stage: m.stage.clone(),
            via: V2.into(),
            id: m.api_mapping_id.clone(),
        }));
    }
    let mut domains: Vec<DomainName> = by_name.into_values().collect();
    merge_mappings(v1, pacer, &mut domains).await?;

    let mut usage_plans = Vec::with_capacity(plans.len());
    for (p, got) in plans.iter().zip(plan_keys) {
        let of = |op: &str| what(&format!("{op} of {}", p.id().unwrap_or_default()));
        let keys = gaps.or_unreadable(got, model::KIND_USAGE_PLAN, e, "GetUsagePlanKeys", &of)?;
        usage_plans.push(usage_plan(p, &keys));
    }

    let mut api_keys = Vec::with_capacity(keys.len());
    for k in &keys {
        let id = k.id().unwrap_or_default();
        let value = match k.value() {
            Some(v) => sealer.seal(id, v).await?,
            None => {
                tracing::warn!(api_key_id = id, "GetApiKeys gave no value; none kept");
                Default::default()
            }
        };
        api_keys.push(ApiKey {
            id: id.to_string(),
            name: k.name().unwrap_or_default().to_string(),
            description: k.description.clone(),
            enabled: k.enabled,
            customer_id: k.customer_id.clone(),
            tags: tree(&k.tags),
            value,
            stage_keys: k
                .stage_keys()
                .iter()
                .filter_map(|s| {
                    let parsed = StageKey::parse(s);
                    if parsed.is_none() {
                        tracing::warn!(api_key_id = id, "a stage key without '/'; left out");
                    }
                    parsed
                })
                .collect(),
        });
    }

    let account = account.map(|account| Account {
        cloudwatch_role_arn: account.cloudwatch_role_arn.clone(),
        features: account.features.clone().unwrap_or_default(),
    });
    let mut estate = Estate {
        domains,
        vpc_links_v1: links1.iter().map(vpc_link_v1).collect(),
        vpc_links_v2: links2.iter().map(vpc_link_v2).collect(),
        usage_plans,
        api_keys,
        client_certificates: certs.iter().map(client_certificate).collect(),
        // Default settings are nothing to keep (or restore).
        account: account.filter(|a| *a != Account::default()),
    };
    estate.normalize();

    let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    let mappings: usize = estate.domains.iter().map(|d| d.mappings.len()).sum();
    progress(format!(
        "estate: {} ({}), {}, {}, {}, {}{}",
        plural(estate.domains.len(), "custom domain"),
        plural(mappings, "mapping"),
        plural(
            estate.vpc_links_v1.len() + estate.vpc_links_v2.len(),
            "VPC link"
        ),
        plural(estate.usage_plans.len(), "usage plan"),
        plural(estate.api_keys.len(), "API key"),
        plural(estate.client_certificates.len(), "client certificate"),
        super::lacking_note(&lacking),
    ));
    Ok(estate)
}

/// Mappings both APIs listed with one key and one API become one mapping: `via` `v1` when the
/// API is a REST API (GetRestApis is read to tell, only when there is such a pair), else `v2`.
async fn merge_mappings(
    v1: &aws_sdk_apigateway::Client,
    pacer: &Pacer,
    domains: &mut [DomainName],
) -> Result<()> {
    let pair = |d: &DomainName, m: &Mapping| {
        d.mappings
            .iter()
            .any(|o| o.via != m.via && o.key == m.key && o.api_id == m.api_id)
    };
    if !domains
        .iter()
        .any(|d| d.mappings.iter().any(|m| pair(d, m)))
    {
        return Ok(());
    }
    let rest: std::collections::HashSet<String> = super::list_rest_apis(v1, pacer)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    for d in domains {
        let mut kept: Vec<Mapping> = Vec::with_capacity(d.mappings.len());
        for m in std::mem::take(&mut d.mappings) {
            match kept
                .iter_mut()
                .find(|o| o.via != m.via && o.key == m.key && o.api_id == m.api_id)
            {
                None => kept.push(m),
                Some(o) => {
                    let (one, two) = if o.via == V1 {
                        (o.clone(), m)
                    } else {
                        (m, o.clone())
                    };
                    *o = if rest.contains(&one.api_id) {
                        Mapping {
                            stage: one.stage.or(two.stage),
                            id: None,
                            ..one
                        }
                    } else {
                        Mapping {
                            stage: two.stage.or(one.stage),
                            ..two
                        }
                    };
                }
            }
        }
        d.mappings = kept;
    }
    Ok(())
}

fn seen(into: &mut DomainName, name: &str, by: &str) {
    into.domain_name = name.to_string();
    into.seen_by.push(by.to_string());
}

/// Fills `into` from v1's view of the domain (v1 comes first; v2 fills only what is missing).
fn merge_v1_domain(into: &mut DomainName, d: &v1sdk::DomainName) {
    seen(into, d.domain_name().unwrap_or_default(), V1);
    into.endpoint_type = d
        .endpoint_configuration()
        .and_then(|c| c.types().first())
        .map(|t| t.as_str().to_string())
        .unwrap_or_default();
    into.certificate_arn = d.certificate_arn.clone();
    into.regional_certificate_arn = d.regional_certificate_arn.clone();
    into.security_policy = d.security_policy().map(|p| p.as_str().to_string());
    into.mutual_tls = d
        .mutual_tls_authentication()
        .and_then(|m| mutual_tls(&m.truststore_uri, &m.truststore_version));
    into.tags.extend(tree(&d.tags));
}

/// Mutual TLS settings, when there is a truststore (some endpoints answer an empty object for
/// a domain without mutual TLS).
fn mutual_tls(uri: &Option<String>, version: &Option<String>) -> Option<MutualTls> {
    uri.as_deref().filter(|u| !u.is_empty()).map(|u| MutualTls {
        truststore_uri: Some(u.to_string()),
        truststore_version: version.clone(),
    })
}

fn merge_v2_domain(into: &mut DomainName, d: &v2sdk::DomainName) {
    seen(into, d.domain_name().unwrap_or_default(), V2);
    if let Some(c) = d.domain_name_configurations().first() {
        let endpoint = c
            .endpoint_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default();
        if into.endpoint_type.is_empty() {
            into.endpoint_type = endpoint.clone();
        }
        let cert = if endpoint == "EDGE" {
            &mut into.certificate_arn
        } else {
            &mut into.regional_certificate_arn
        };
        if cert.is_none() {
            *cert = c.certificate_arn.clone();
        }
        if into.security_policy.is_none() {
            into.security_policy = c.security_policy().map(|p| p.as_str().to_string());
        }
    }
    if into.mutual_tls.is_none() {
        into.mutual_tls = d
            .mutual_tls_authentication()
            .and_then(|m| mutual_tls(&m.truststore_uri, &m.truststore_version));
    }
    for (k, v) in tree(&d.tags) {
        into.tags.entry(k).or_insert(v);
    }
}

fn vpc_link_v1(l: &v1sdk::VpcLink) -> VpcLinkV1 {
    VpcLinkV1 {
        id: l.id().unwrap_or_default().to_string(),
        name: l.name().unwrap_or_default().to_string(),
        description: l.description.clone(),
        target_arns: l.target_arns().to_vec(),
        tags: tree(&l.tags),
    }
}

fn vpc_link_v2(l: &v2sdk::VpcLink) -> VpcLinkV2 {
    VpcLinkV2 {
        id: l.vpc_link_id().unwrap_or_default().to_string(),
        name: l.name().unwrap_or_default().to_string(),
        subnet_ids: l.subnet_ids().to_vec(),
        security_group_ids: l.security_group_ids().to_vec(),
        tags: tree(&l.tags),
    }
}

fn throttle(t: &v1sdk::ThrottleSettings) -> Throttle {
    Throttle {
        burst_limit: t.burst_limit,
        rate_limit: t.rate_limit,
    }
}

/// A usage plan with its keys' ids (never their values, which GetUsagePlanKeys also returns).
fn usage_plan(p: &v1sdk::UsagePlan, keys: &[v1sdk::UsagePlanKey]) -> UsagePlan {
    UsagePlan {
        id: p.id().unwrap_or_default().to_string(),
        name: p.name().unwrap_or_default().to_string(),
        description: p.description.clone(),
        api_stages: p
            .api_stages()
            .iter()
            .map(|s| ApiStage {
                api_id: s.api_id().unwrap_or_default().to_string(),
                stage: s.stage().unwrap_or_default().to_string(),
                throttle: s
                    .throttle()
                    .into_iter()
                    .flatten()
                    .map(|(k, t)| (k.clone(), throttle(t)))
                    .collect(),
            })
            .collect(),
        throttle: p.throttle().map(throttle),
        quota: p.quota().map(|q| Quota {
            limit: q.limit,
            offset: q.offset,
            period: q
                .period()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
        }),
        tags: tree(&p.tags),
        keys: keys
            .iter()
            .filter_map(|k| k.id().map(str::to_string))
            .collect(),
    }
}

fn client_certificate(c: &v1sdk::ClientCertificate) -> ClientCertificate {
    ClientCertificate {
        id: c.client_certificate_id().unwrap_or_default().to_string(),
        description: c.description.clone(),
        tags: tree(&c.tags),
        pem_encoded_certificate: c.pem_encoded_certificate.clone(),
        expiration_date: c.expiration_date.as_ref().map(from_sdk),
    }
}

#[cfg(test)]
#[path = "estate_tests.rs"]
mod tests;
