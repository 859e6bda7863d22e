//! Restoring the estate around the APIs: VPC links, client certificates and API keys before
//! the APIs (integrations, stages and usage plans name them), then, once the APIs have their
//! target ids, usage plans with their stages and keys, custom domain names with their base path
//! and API mappings, and the account's settings.
//!
//! Items are matched by natural key (a name; a domain name; `DOMAIN KEY` for a mapping; a
//! client certificate by its description), compared without physical ids, and only created or
//! updated: the target's other estate is never deleted. API key values are opened with the
//! point's [`Sealer`] only to create the key and to check that the target's key holds the same
//! value; neither the value nor anything derived from it goes into a plan or a report.

mod apply;
mod calls;

pub use apply::{EstateApplier, run_steps};
pub use calls::step_calls;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::Result;
use crate::model::estate::{self, Estate};
use crate::model::{Entry, Source};
use crate::restore::difference::{Change, Difference, Item, compare_items, strip};
use crate::restore::kind::{Kind, Phase};
use crate::secret::Sealer;
use crate::translate::{self, Mapping};

/// Every estate item as (kind, natural key, comparable value), API key values left out.
/// Usage plans compare their keys by name.
fn items(e: &Estate) -> Vec<Item> {
    let key_names: HashMap<&str, &str> = e
        .api_keys
        .iter()
        .map(|k| (k.id.as_str(), k.name.as_str()))
        .collect();
    let mut out = Vec::new();
    for l in &e.vpc_links_v1 {
        out.push((Kind::VpcLink, l.name.clone(), val(l, &["id"]), l.id.clone()));
    }
    for l in &e.vpc_links_v2 {
        out.push((
            Kind::VpcLinkV2,
            l.name.clone(),
            val(l, &["id"]),
            l.id.clone(),
        ));
    }
    for c in &e.client_certificates {
        // A recreated certificate is a new key pair: only its settings compare.
        let v = val(c, &["id", "pemEncodedCertificate", "expirationDate"]);
        out.push((Kind::ClientCertificate, cert_key(c), v, c.id.clone()));
    }
    for k in &e.api_keys {
        out.push((
            Kind::ApiKey,
            k.name.clone(),
            val(k, &["id", "value", "stageKeys"]),
            k.id.clone(),
        ));
        for sk in &k.stage_keys {
            let key = format!("{} {sk}", k.name);
            out.push((
                Kind::StageKey,
                key,
                Value::Object(Default::default()),
                format!("{} {sk}", k.id),
            ));
        }
    }
    for p in &e.usage_plans {
        let mut v = val(p, &["id", "keys"]);
        let mut keys: Vec<&str> = p
            .keys
            .iter()
            .map(|k| key_names.get(k.as_str()).copied().unwrap_or(k))
            .collect();
        keys.sort();
        if !keys.is_empty() {
            v["keys"] = serde_json::json!(keys);
        }
        out.push((Kind::UsagePlan, p.name.clone(), v, p.id.clone()));
    }
    for d in &e.domains {
        out.push((
            Kind::DomainName,
            d.domain_name.clone(),
            val(d, &["mappings", "seenBy"]),
            String::new(),
        ));
        for m in &d.mappings {
            out.push((
                Kind::Mapping,
                mapping_key(&d.domain_name, &m.key),
                val(m, &["id", "via"]),
                m.id.clone().unwrap_or_default(),
            ));
        }
    }
    if let Some(a) = &e.account {
        out.push((
            Kind::Account,
            String::new(),
            val(a, &["features"]),
            String::new(),
        ));
    }
    out
}

fn cert_key(c: &estate::ClientCertificate) -> String {
    c.description.clone().unwrap_or_else(|| c.id.clone())
}

fn val(v: &impl Serialize, drop: &[&str]) -> Value {
    let mut v = serde_json::to_value(v).unwrap_or(Value::Null);
    strip(&mut v, drop);
    v
}

/// A mapping's natural key: `DOMAIN KEY` (`DOMAIN` alone for the domain's root).
pub fn mapping_key(domain: &str, key: &str) -> String {
    if key.is_empty() {
        domain.to_string()
    } else {
        format!("{domain} {key}")
    }
}

/// What a restore does to the estate.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EstatePlan {
    pub steps: Vec<Difference>,
    pub rewrites: Vec<String>,
    pub problems: Vec<String>,
    pub notes: Vec<String>,
    pub calls: BTreeMap<&'static str, u64>,
    #[serde(skip)]
    pub(super) desired: Estate,
    #[serde(skip)]
    pub(super) blocked: BTreeMap<(Kind, String), String>,
}

/// What applying the estate did.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EstateReport {
    pub applied: u64,
    pub failed: Vec<String>,
    pub notes: Vec<String>,
    /// Client certificates recreated: their new ids (the private key cannot be copied: the
    /// backends that trust the old certificate must be given the new one).
    pub new_certificates: Vec<String>,
    pub remaining: Vec<super::Remaining>,
    #[serde(skip)]
    pub(super) gaps: BTreeMap<(Kind, String), String>,
}

/// The estate as the target must hold it: translated, edge-optimized domains made Regional
/// unless `keep_edge`, and `ids` (source id -> target id of APIs, VPC links, keys...) applied.
pub(super) fn desired(
    e: &Estate,
    source: &Source,
    target: &Source,
    mapping: Option<&Mapping>,
    ids: &BTreeMap<String, String>,
    keep_edge: bool,
) -> Result<super::Desired<Estate>> {
    let mut entries: Vec<Entry> = Vec::new();
    e.explode(&mut entries)?;
    let ctx = translate::Context {
        source: source.clone(),
        target: target.clone(),
        mapping: mapping.cloned().unwrap_or_else(Mapping::empty),
        ids: ids.clone(),
    };
    let report = translate::translate_entries(&mut entries, &ctx);
    let by_id = by_logical_id(e);
    let rewrites = report
        .rewrites
        .iter()
        .map(|r| {
            format!(
                "{} {}: {} -> {} ({})",
                r.object, r.pointer, r.from, r.to, r.rule
            )
        })
        .collect();
    let mut blocked = BTreeMap::new();
    for p in &report.problems {
        if let Some(k) = by_id.get(&p.object) {
            blocked.entry(k.clone()).or_insert_with(|| {
                format!("{}: cannot translate {} ({})", p.pointer, p.value, p.why)
            });
        }
    }
    // Usage plan keys stay source ids (compared by key name; mapped when applied).
    let mut out = Estate::assemble(entries)?;
    let mut notes = Vec::new();
    if source.region != target.region {
        for d in out.domains.iter().filter(|d| d.mutual_tls.is_some()) {
            let uri = d
                .mutual_tls
                .as_ref()
                .and_then(|m| m.truststore_uri.clone())
                .unwrap_or_default();
            notes.push(format!(
                "domain {} uses mutual TLS with the truststore {uri}: API Gateway reads it from a bucket in the domain's Region; map it to a copy in {} under [replace] if it is not there",
                d.domain_name, target.region
            ));
        }
    }
    if !keep_edge {
        make_regional(&mut out, &mut notes);
    }
    check_certs(&out, target, &mut blocked);
    // A domain that is not restored takes its mappings with it.
    for d in &out.domains {
        if let Some(why) = blocked
            .get(&(Kind::DomainName, d.domain_name.clone()))
            .cloned()
        {
            for m in &d.mappings {
                blocked
                    .entry((Kind::Mapping, mapping_key(&d.domain_name, &m.key)))
                    .or_insert_with(|| format!("its domain is not restored ({why})"));
            }
        }
    }
    Ok(super::Desired {
        api: out,
        rewrites,
        blocked,
        notes,
    })
}

/// The point's logical id of every estate item -> its kind and natural key (to say which item
/// a translation problem blocks).
fn by_logical_id(e: &Estate) -> BTreeMap<String, (Kind, String)> {
    let mut m = BTreeMap::new();
    let names = e.logical_names();
    for (l, n) in e.vpc_links_v1.iter().zip(&names.vpc_links_v1) {
        m.insert(estate::ids::vpc_link(n), (Kind::VpcLink, l.name.clone()));
    }
    for (l, n) in e.vpc_links_v2.iter().zip(&names.vpc_links_v2) {
        m.insert(
            estate::ids::vpc_link_v2(n),
            (Kind::VpcLinkV2, l.name.clone()),
        );
    }
    for (p, n) in e.usage_plans.iter().zip(&names.usage_plans) {
        m.insert(
            estate::ids::usage_plan(n),
            (Kind::UsagePlan, p.name.clone()),
        );
    }
    for (k, n) in e.api_keys.iter().zip(&names.api_keys) {
        m.insert(estate::ids::api_key(n), (Kind::ApiKey, k.name.clone()));
    }
    for d in &e.domains {
        m.insert(
            estate::ids::domain(&d.domain_name),
            (Kind::DomainName, d.domain_name.clone()),
        );
        for mp in &d.mappings {
            m.insert(
                estate::ids::mapping(&d.domain_name, &mp.key),
                (Kind::Mapping, mapping_key(&d.domain_name, &mp.key)),
            );
        }
    }
    for c in &e.client_certificates {
        m.insert(
            estate::ids::client_certificate(&c.id),
            (Kind::ClientCertificate, cert_key(c)),
        );
    }
    m.insert(estate::ids::account(), (Kind::Account, String::new()));
    m
}

/// Edge-optimized domains made Regional (their certificate becoming the Regional one), each
/// with a note.
fn make_regional(out: &mut Estate, notes: &mut Vec<String>) {
    for d in &mut out.domains {
        if d.endpoint_type == "EDGE" {
            d.endpoint_type = "REGIONAL".into();
            if d.regional_certificate_arn.is_none() {
                d.regional_certificate_arn = d.certificate_arn.take();
            }
            d.certificate_arn = None;
            notes.push(format!(
                "domain {} is edge-optimized in the source: recovered as Regional (--keep-edge keeps it edge-optimized)",
                d.domain_name
            ));
        }
    }
}

/// A domain's certificate must live in the target account, in the target Region (Regional)
/// or in us-east-1 (edge-optimized): a wrong mapping file is caught here, not by AWS.
fn check_certs(out: &Estate, target: &Source, blocked: &mut BTreeMap<(Kind, String), String>) {
    for d in &out.domains {
        let (arn, region) = if d.endpoint_type == "EDGE" {
            (d.certificate_arn.as_deref(), "us-east-1")
        } else {
            (
                d.regional_certificate_arn.as_deref(),
                target.region.as_str(),
            )
        };
        let Some(arn) = arn else { continue };
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() > 4 && (parts[3] != region || parts[4] != target.account) {
            blocked
                .entry((Kind::DomainName, d.domain_name.clone()))
                .or_insert_with(|| {
                    format!(
                        "its certificate {arn} is not in account {} / {region}, where this domain needs it: map it under [certificates] in the mapping file",
                        target.account
                    )
                });
        }
    }
}

/// The estate part of a restore plan: translated, compared with the target's estate.
#[allow(clippy::too_many_arguments)]
pub(super) async fn plan(
    e: &Estate,
    current: &Estate,
    source: &Source,
    target: &Source,
    opts: &super::RestoreOptions,
    ids: &BTreeMap<String, String>,
    sealer: &Sealer,
) -> Result<EstatePlan> {
    let super::Desired {
        api: desired,
        rewrites,
        blocked,
        notes,
    } = desired(
        e,
        source,
        target,
        opts.mapping.as_ref(),
        ids,
        opts.keep_edge,
    )?;
    let steps = compare(&desired, current, sealer, ESTATE).await?;
    let mut calls = BTreeMap::new();
    for d in &steps {
        step_calls(d, &desired, &mut calls);
    }
    let problems = blocked
        .iter()
        .map(|((kind, key), why)| format!("{kind} {key}: {why}"))
        .collect();
    Ok(EstatePlan {
        steps,
        rewrites,
        problems,
        notes,
        calls,
        desired,
        blocked,
    })
}

/// Whether the target's API keys hold the values of the point's, by name (opened in memory).
async fn same_values(
    desired: &Estate,
    current: &Estate,
    sealer: &Sealer,
) -> Result<BTreeMap<String, bool>> {
    let mut out = BTreeMap::new();
    for k in &desired.api_keys {
        let Some(c) = current.api_keys.iter().find(|c| c.name == k.name) else {
            continue;
        };
        let want = sealer.open(&k.id, &k.value).await?;
        let have = sealer.open(&c.id, &c.value).await?;
        out.insert(k.name.clone(), want == have);
    }
    Ok(out)
}

/// Both phases of the estate.
pub const ESTATE: &[Phase] = &[Phase::BeforeApis, Phase::AfterApis];

/// The steps that turn the target's estate into `desired` for the kinds of `phases`: creates and
/// updates only (the target's other estate is left alone).
pub async fn compare(
    desired: &Estate,
    current: &Estate,
    sealer: &Sealer,
    phases: &[Phase],
) -> Result<Vec<Difference>> {
    let values = same_values(desired, current, sealer).await?;
    let want: Vec<_> = items(desired)
        .into_iter()
        .filter(|(k, ..)| phases.contains(&k.phase()))
        .collect();
    let wanted: BTreeSet<(Kind, String)> =
        want.iter().map(|(k, key, ..)| (*k, key.clone())).collect();
    // A key whose value differs in the target differs in a field `value` (the values
    // themselves never leave memory).
    let have: Vec<_> = items(current)
        .into_iter()
        .filter(|(k, key, ..)| wanted.contains(&(*k, key.clone())))
        .map(|(k, key, mut v, id)| {
            if k == Kind::ApiKey && values.get(&key) == Some(&false) {
                v["value"] = Value::String("another value".into());
            }
            (k, key, v, id)
        })
        .collect();
    Ok(compare_items(want, Some(have), &|_, _| false)
        .into_iter()
        .filter(|d| d.change != Change::Delete)
        .collect())
}

/// Source id -> target id of the estate items the target already holds, by natural key.
pub fn matched_ids(source: &Estate, target: &Estate) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    let mut pair = |a: &str, b: &str| {
        ids.insert(a.to_string(), b.to_string());
    };
    for l in &source.vpc_links_v1 {
        if let Some(t) = target.vpc_links_v1.iter().find(|t| t.name == l.name) {
            pair(&l.id, &t.id);
        }
    }
    for l in &source.vpc_links_v2 {
        if let Some(t) = target.vpc_links_v2.iter().find(|t| t.name == l.name) {
            pair(&l.id, &t.id);
        }
    }
    for k in &source.api_keys {
        if let Some(t) = target.api_keys.iter().find(|t| t.name == k.name) {
            pair(&k.id, &t.id);
        }
    }
    for c in &source.client_certificates {
        if let Some(t) = target
            .client_certificates
            .iter()
            .find(|t| cert_key(t) == cert_key(c))
        {
            pair(&c.id, &t.id);
        }
    }
    for p in &source.usage_plans {
        if let Some(t) = target.usage_plans.iter().find(|t| t.name == p.name) {
            pair(&p.id, &t.id);
        }
    }
    ids
}

/// The plan without the target: translation, blocking and comparison.
#[cfg(test)]
mod tests {
    use super::*;

    /// A keyring in a temporary folder (kept as long as the folder).
    pub(super) fn keyring() -> (tempfile::TempDir, Sealer) {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::local(dir.path().join("k"));
        (dir, sealer)
    }

    /// A source in account 1111... and `region`, and a target in 2222.../us-west-2.
    pub(super) fn places(region: &str) -> (Source, Source) {
        let place = |account: &str, region: &str| Source {
            partition: "aws".into(),
            account: account.into(),
            region: region.into(),
        };
        (
            place("111111111111", region),
            place("222222222222", "us-west-2"),
        )
    }

    /// A point with the usage plan `gold`, and a target holding two plans of that name.
    pub(super) fn duplicate_plans() -> (Estate, Estate) {
        let plan = |id: &str| estate::UsagePlan {
            id: id.into(),
            name: "gold".into(),
            ..Default::default()
        };
        let desired = Estate {
            usage_plans: vec![plan("up-src")],
            ..Default::default()
        };
        let current = Estate {
            usage_plans: vec![plan("up-1"), plan("up-2")],
            ..Default::default()
        };
        (desired, current)
    }

    #[test]
    fn a_certificate_mapped_into_the_wrong_region_blocks_the_domain_and_its_mappings() {
        let (source, target) = places("us-east-1");
        let cert = "arn:aws:acm:us-east-1:111111111111:certificate/abc";
        let e = Estate {
            domains: vec![estate::DomainName {
                domain_name: "api.example.com".into(),
                endpoint_type: "REGIONAL".into(),
                regional_certificate_arn: Some(cert.into()),
                seen_by: vec!["v1".into()],
                mappings: vec![estate::Mapping {
                    key: "orders".into(),
                    api_id: "a1".into(),
                    stage: Some("prod".into()),
                    via: "v1".into(),
                    id: None,
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let mapping = |to: &str| {
            Mapping::parse(
                &format!("[certificates]\n\"{cert}\" = \"{to}\"\n"),
                Some("toml"),
            )
            .unwrap()
        };
        let wrong = mapping("arn:aws:acm:eu-west-1:222222222222:certificate/def");
        let d = desired(&e, &source, &target, Some(&wrong), &BTreeMap::new(), false).unwrap();
        let why = &d.blocked[&(Kind::DomainName, "api.example.com".to_string())];
        assert!(
            why.contains("222222222222 / us-west-2") && why.contains("[certificates]"),
            "{why}"
        );
        assert!(
            d.blocked
                .contains_key(&(Kind::Mapping, "api.example.com orders".to_string()))
        );
        let right = mapping("arn:aws:acm:us-west-2:222222222222:certificate/def");
        let d = desired(&e, &source, &target, Some(&right), &BTreeMap::new(), false).unwrap();
        assert!(d.blocked.is_empty(), "{:?}", d.blocked);
    }

    #[tokio::test]
    async fn usage_plans_sharing_a_name_in_the_target_are_a_duplicate() {
        let (_keys, sealer) = keyring();
        let (desired, current) = duplicate_plans();
        let steps = compare(&desired, &current, &sealer, ESTATE).await.unwrap();
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert_eq!(
            steps[0].change,
            Change::Duplicate {
                ids: vec!["up-1".into(), "up-2".into()]
            }
        );
    }
}
