//! The drill's teardown against the target (the adapter): lists every API and estate item
//! that takes tags, with its tags, keeps those carrying the drill's tag
//! ([`super::tagged`]), and deletes them, paced. Nothing is chosen by name.

use std::collections::{BTreeMap, HashMap};

use aws_config::SdkConfig;

use super::{Found, tagged};
use crate::awsconf::sdk_error;
use crate::capture::{apigateway_client, get_rest_apis, or_gap, paged, v2};
use crate::pacing::Pacer;
use crate::restore::once::sent;
use crate::{Error, Result};

/// What a teardown deleted and what it could not (each with what to do).
#[derive(Debug, Default)]
pub struct Removed {
    pub removed: Vec<String>,
    pub failed: Vec<String>,
}

fn tree(m: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn found(
    kind: &'static str,
    id: Option<&str>,
    name: Option<&str>,
    tags: Option<&HashMap<String, String>>,
) -> Found {
    Found {
        kind,
        id: id.unwrap_or_default().into(),
        name: name.unwrap_or_default().into(),
        tags: tree(tags),
    }
}

/// Every API and estate item of the target that takes tags, with its tags. What the target
/// does not serve (the local AWS's client certificates) reads as none.
pub async fn list(sdk: &SdkConfig, pacer: &Pacer) -> Result<Vec<Found>> {
    let c1 = apigateway_client(sdk);
    let c2 = v2::client(sdk);
    let mut out = vec![];
    for a in get_rest_apis(&c1, pacer).await? {
        out.push(found("RestApi", a.id(), a.name(), a.tags()));
    }
    for a in v2::get_apis(&c2, pacer).await? {
        out.push(found("Api", a.api_id(), a.name(), a.tags()));
    }
    let gap = std::sync::atomic::AtomicU16::new(0);
    let what = |op: &str| format!("listing the target's {op} for a drill's teardown");
    macro_rules! v1 {
        ($op:literal, $req:expr) => {
            paged(pacer, $op, |pos| {
                let req = $req.limit(500).set_position(pos);
                let gap = &gap;
                async move {
                    or_gap(
                        req.send()
                            .await
                            .map(|o| (o.items.unwrap_or_default(), o.position)),
                        gap,
                    )
                }
            })
            .await
            .map_err(|e| sdk_error(&what($op), e))?
        };
    }
    for k in v1!("GetApiKeys", c1.get_api_keys()) {
        out.push(found("ApiKey", k.id(), k.name(), k.tags()));
    }
    for p in v1!("GetUsagePlans", c1.get_usage_plans()) {
        out.push(found("UsagePlan", p.id(), p.name(), p.tags()));
    }
    for l in v1!("GetVpcLinks", c1.get_vpc_links()) {
        out.push(found("VpcLink", l.id(), l.name(), l.tags()));
    }
    for c in v1!("GetClientCertificates", c1.get_client_certificates()) {
        let id = c.client_certificate_id();
        out.push(found("ClientCertificate", id, c.description(), c.tags()));
    }
    let links = paged(pacer, "GetVpcLinks", |token| {
        let req = c2.get_vpc_links().max_results("500").set_next_token(token);
        let gap = &gap;
        async move {
            or_gap(
                req.send()
                    .await
                    .map(|o| (o.items.unwrap_or_default(), o.next_token)),
                gap,
            )
        }
    })
    .await
    .map_err(|e| sdk_error(&what("VPC links (v2)"), e))?;
    for l in links {
        out.push(found("VpcLinkV2", l.vpc_link_id(), l.name(), l.tags()));
    }
    Ok(out)
}

/// Deletes one item, by kind. An item gone already counts as deleted.
async fn delete(sdk: &SdkConfig, pacer: &Pacer, f: &Found) -> Result<()> {
    let c1 = apigateway_client(sdk);
    let c2 = v2::client(sdk);
    let what = format!("deleting the drill's {} {} ({})", f.kind, f.name, f.id);
    let id = f.id.as_str();
    let r = match f.kind {
        "UsagePlan" => {
            sent(pacer, "DeleteUsagePlan", &what, || {
                c1.delete_usage_plan().usage_plan_id(id).send()
            })
            .await
        }
        "ApiKey" => {
            sent(pacer, "DeleteApiKey", &what, || {
                c1.delete_api_key().api_key(id).send()
            })
            .await
        }
        "RestApi" => {
            sent(pacer, "DeleteRestApi", &what, || {
                c1.delete_rest_api().rest_api_id(id).send()
            })
            .await
        }
        "Api" => {
            sent(pacer, "DeleteApi", &what, || {
                c2.delete_api().api_id(id).send()
            })
            .await
        }
        "VpcLink" => {
            sent(pacer, "DeleteVpcLink", &what, || {
                c1.delete_vpc_link().vpc_link_id(id).send()
            })
            .await
        }
        "VpcLinkV2" => {
            sent(pacer, "DeleteVpcLink", &what, || {
                c2.delete_vpc_link().vpc_link_id(id).send()
            })
            .await
        }
        "ClientCertificate" => {
            sent(pacer, "DeleteClientCertificate", &what, || {
                c1.delete_client_certificate()
                    .client_certificate_id(id)
                    .send()
            })
            .await
        }
        other => Err(Error::Invalid(format!("a drill does not delete a {other}"))),
    };
    match r {
        Err(Error::NotFound(_)) => Ok(()),
        r => r,
    }
}

/// Deletes everything in the target that carries drill `job_id`'s tag, usage plans first.
/// Each deletion is reported; one that fails is in `failed` (running the teardown again
/// retries what is left), the others go on.
pub async fn remove_tagged(
    sdk: &SdkConfig,
    job_id: &str,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<Removed> {
    let pacer = Pacer::default();
    let mut out = Removed::default();
    for f in tagged(list(sdk, &pacer).await?, job_id) {
        let line = format!("{} {} ({})", f.kind, f.name, f.id);
        match delete(sdk, &pacer, &f).await {
            Ok(()) => {
                progress(format!("drill {job_id}: deleted {line}"));
                out.removed.push(line);
            }
            Err(e) => out.failed.push(format!(
                "{line} not deleted: {e}; run `apigw-dr drill --teardown {job_id}` again"
            )),
        }
    }
    Ok(out)
}
