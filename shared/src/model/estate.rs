//! The account-level API Gateway estate around the APIs: custom domain names with their base
//! path mappings and API mappings, VPC links (v1 and v2), usage plans with their keys, API keys,
//! client certificates and the account's settings. Plain serde types with camelCase names, empty
//! or absent values left out, source physical ids kept beside the logical ids, no SDK types.
//!
//! | kind | logical id |
//! |---|---|
//! | `DomainName` | `domain:NAME` |
//! | `Mapping` | `mapping:NAME:KEY` (KEY: base path / API mapping key, empty for none) |
//! | `VpcLink` | `vpclink:NAME` (v1: network load balancers) |
//! | `VpcLinkV2` | `vpclinkv2:NAME` (subnets and security groups) |
//! | `UsagePlan` | `usageplan:NAME` (with its API stages and its keys' ids) |
//! | `ApiKey` | `apikey:NAME` (the value sealed, see [`Sealed`]) |
//! | `ClientCertificate` | `clientcert:ID` (they have no name) |
//! | `Account` | `account` |
//!
//! Names that repeat among VPC links, usage plans or API keys become `NAME~ID` (see
//! [`super::unique_names`]). Each mapping is an object of its own, so changing one mapping
//! changes one object; in storage it carries `domainName`, the domain it belongs to, which
//! [`Estate::assemble`] uses to put it back (it is not part of the in-memory type).
//!
//! An API key's value is never held in clear text here: capture seals it (crate::secret) and
//! only the [`Sealed`] form is stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ApiEntries, Entry, decode, encode, unique_names};
use crate::{Error, Result};

fn is_false(b: &bool) -> bool {
    !*b
}

/// An API key's value, encrypted (see crate::secret). Every field is base64 or an identifier;
/// none reveals the value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Sealed {
    /// The algorithm, e.g. `AES-256-GCM-SIV`.
    pub alg: String,
    /// Which data key sealed it: `local:FINGERPRINT` or `kms:KMSKEYID:FINGERPRINT`.
    pub key: String,
    /// base64.
    pub nonce: String,
    /// base64, the tag appended.
    pub ciphertext: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MutualTls {
    /// `s3://BUCKET/KEY` of the truststore.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truststore_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truststore_version: Option<String>,
}

/// A custom domain name. In AWS both control-plane APIs list every domain; look-alikes may keep
/// two stores, so `seen_by` says which listed it (`v1`, `v2`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DomainName {
    pub domain_name: String,
    /// `REGIONAL` or `EDGE` (or `PRIVATE`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub endpoint_type: String,
    /// Edge-optimized domains (an ACM certificate in us-east-1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regional_certificate_arn: Option<String>,
    /// `TLS_1_0`, `TLS_1_2`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutual_tls: Option<MutualTls>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    pub seen_by: Vec<String>,
    /// Stored as objects of their own (kind `Mapping`), never inside the domain's object.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mappings: Vec<Mapping>,
}

/// A base path mapping (v1) or API mapping (v2) of a domain to an API's stage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Mapping {
    /// The base path or API mapping key; empty for none (v1's `(none)`).
    pub key: String,
    /// The source API's id (REST, HTTP or WebSocket).
    pub api_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// `v1` (a base path mapping) or `v2` (an API mapping).
    pub via: String,
    /// The API mapping's id, when `via` is `v2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// A VPC link of REST APIs (to network load balancers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VpcLinkV1 {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub target_arns: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// A VPC link of HTTP APIs (into subnets, with security groups).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VpcLinkV2 {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subnet_ids: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_group_ids: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Throttle {
    pub burst_limit: i32,
    pub rate_limit: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Quota {
    pub limit: i32,
    #[serde(skip_serializing_if = "is_zero")]
    pub offset: i32,
    /// `DAY`, `WEEK` or `MONTH`.
    pub period: String,
}

fn is_zero(v: &i32) -> bool {
    *v == 0
}

/// A REST API stage a usage plan covers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiStage {
    /// The source REST API's id.
    pub api_id: String,
    pub stage: String,
    /// By method (`/pets/GET`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub throttle: BTreeMap<String, Throttle>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UsagePlan {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub api_stages: Vec<ApiStage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttle: Option<Throttle>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The usage plan keys: source API key ids, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
}

/// An API key, its value sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    pub value: Sealed,
    /// The stages the key is enabled on (AWS lists them as `apiId/stage`), sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stage_keys: Vec<StageKey>,
}

/// A stage an API key is enabled on (the key's `stageKeys`, outside usage plans).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StageKey {
    pub rest_api_id: String,
    pub stage_name: String,
}

impl StageKey {
    /// From AWS's `apiId/stage`; `None` when there is no `/`.
    pub fn parse(s: &str) -> Option<StageKey> {
        let (api, stage) = s.split_once('/')?;
        Some(StageKey {
            rest_api_id: api.to_string(),
            stage_name: stage.to_string(),
        })
    }
}

impl std::fmt::Display for StageKey {
    /// AWS's form: `apiId/stage`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.rest_api_id, self.stage_name)
    }
}

/// A client certificate (API Gateway generates its key pair; only the public part is readable).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientCertificate {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pem_encoded_certificate: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
}

/// The account's API Gateway settings (throttle settings are left out: they are read-only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Account {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudwatch_role_arn: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
}

/// Everything account-level of one source, each list in canonical order (see
/// [`Estate::normalize`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Estate {
    pub domains: Vec<DomainName>,
    pub vpc_links_v1: Vec<VpcLinkV1>,
    pub vpc_links_v2: Vec<VpcLinkV2>,
    pub usage_plans: Vec<UsagePlan>,
    pub api_keys: Vec<ApiKey>,
    pub client_certificates: Vec<ClientCertificate>,
    pub account: Option<Account>,
}

pub const KIND_DOMAIN: &str = "DomainName";
pub const KIND_MAPPING: &str = "Mapping";
pub const KIND_VPC_LINK: &str = "VpcLink";
pub const KIND_VPC_LINK_V2: &str = "VpcLinkV2";
pub const KIND_USAGE_PLAN: &str = "UsagePlan";
pub const KIND_API_KEY: &str = "ApiKey";
pub const KIND_CLIENT_CERTIFICATE: &str = "ClientCertificate";
pub const KIND_ACCOUNT: &str = "Account";

/// The kinds of stored objects this module makes.
pub const KINDS: &[&str] = &[
    KIND_DOMAIN,
    KIND_MAPPING,
    KIND_VPC_LINK,
    KIND_VPC_LINK_V2,
    KIND_USAGE_PLAN,
    KIND_API_KEY,
    KIND_CLIENT_CERTIFICATE,
    KIND_ACCOUNT,
];

/// The field that ties a stored mapping to its domain (added by explode, removed by assemble).
const DOMAIN_NAME: &str = "domainName";

/// Logical ids, for planning and reports. NAME parts of VPC links, usage plans and API keys come
/// from [`Estate::logical_names`].
pub mod ids {
    pub fn domain(name: &str) -> String {
        format!("domain:{name}")
    }
    /// `key` empty for the domain's root.
    pub fn mapping(domain: &str, key: &str) -> String {
        format!("mapping:{domain}:{key}")
    }
    pub fn vpc_link(name: &str) -> String {
        format!("vpclink:{name}")
    }
    pub fn vpc_link_v2(name: &str) -> String {
        format!("vpclinkv2:{name}")
    }
    pub fn usage_plan(name: &str) -> String {
        format!("usageplan:{name}")
    }
    pub fn api_key(name: &str) -> String {
        format!("apikey:{name}")
    }
    pub fn client_certificate(id: &str) -> String {
        format!("clientcert:{id}")
    }
    pub fn account() -> String {
        "account".to_string()
    }
}

/// The NAME parts of the logical ids of an estate's named things, each list in the estate's
/// order (see [`Estate::logical_names`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogicalNames {
    pub vpc_links_v1: Vec<String>,
    pub vpc_links_v2: Vec<String>,
    pub usage_plans: Vec<String>,
    pub api_keys: Vec<String>,
}

impl Mapping {
    /// What tells two mappings of one domain with the same key apart in their ids.
    fn physical(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.via)
    }
}

impl Estate {
    /// True when nothing was captured.
    pub fn is_empty(&self) -> bool {
        *self == Estate::default()
    }

    /// Number of objects this estate explodes into.
    pub fn object_count(&self) -> usize {
        self.domains
            .iter()
            .map(|d| 1 + d.mappings.len())
            .sum::<usize>()
            + self.vpc_links_v1.len()
            + self.vpc_links_v2.len()
            + self.usage_plans.len()
            + self.api_keys.len()
            + self.client_certificates.len()
            + usize::from(self.account.is_some())
    }

    /// The NAME part of each named thing's logical id: its name, or `name~id` where names
    /// repeat within one kind.
    pub fn logical_names(&self) -> LogicalNames {
        LogicalNames {
            vpc_links_v1: unique_names(self.vpc_links_v1.iter().map(|l| (&*l.name, &*l.id))),
            vpc_links_v2: unique_names(self.vpc_links_v2.iter().map(|l| (&*l.name, &*l.id))),
            usage_plans: unique_names(self.usage_plans.iter().map(|p| (&*p.name, &*p.id))),
            api_keys: unique_names(self.api_keys.iter().map(|k| (&*k.name, &*k.id))),
        }
    }

    /// One entry per stored object (unsorted; [`super::Snapshot::entries`] sorts).
    pub fn explode(&self, out: &mut Vec<Entry>) -> Result<()> {
        for d in &self.domains {
            let mut entries = ApiEntries::new(DOMAIN_NAME, &d.domain_name);
            for m in &d.mappings {
                let id = ids::mapping(&d.domain_name, &m.key);
                entries.push(id, m.physical(), KIND_MAPPING, m)?;
            }
            let own = DomainName {
                mappings: Vec::new(),
                ..d.clone()
            };
            entries.finish(ids::domain(&d.domain_name), KIND_DOMAIN, &own, out)?;
        }
        let names = self.logical_names();
        let mut push = |id: String, kind: &str, value: serde_json::Value| {
            out.push(Entry {
                id,
                kind: kind.to_string(),
                value,
            })
        };
        for (l, name) in self.vpc_links_v1.iter().zip(&names.vpc_links_v1) {
            let id = ids::vpc_link(name);
            push(id.clone(), KIND_VPC_LINK, encode(&id, l)?);
        }
        for (l, name) in self.vpc_links_v2.iter().zip(&names.vpc_links_v2) {
            let id = ids::vpc_link_v2(name);
            push(id.clone(), KIND_VPC_LINK_V2, encode(&id, l)?);
        }
        for (p, name) in self.usage_plans.iter().zip(&names.usage_plans) {
            let id = ids::usage_plan(name);
            push(id.clone(), KIND_USAGE_PLAN, encode(&id, p)?);
        }
        for (k, name) in self.api_keys.iter().zip(&names.api_keys) {
            let id = ids::api_key(name);
            push(id.clone(), KIND_API_KEY, encode(&id, k)?);
        }
        for c in &self.client_certificates {
            let id = ids::client_certificate(&c.id);
            push(id.clone(), KIND_CLIENT_CERTIFICATE, encode(&id, c)?);
        }
        if let Some(a) = &self.account {
            push(ids::account(), KIND_ACCOUNT, encode("account", a)?);
        }
        Ok(())
    }

    /// The inverse of [`Estate::explode`], in canonical order. Entries of other kinds (the APIs')
    /// are ignored; a mapping whose domain is missing, or two `Account` objects, is
    /// [`Error::Integrity`].
    pub fn assemble(entries: Vec<Entry>) -> Result<Estate> {
        let mut estate = Estate::default();
        let mut domain_entries = Vec::new();
        for e in entries {
            let (id, v) = (e.id.as_str(), e.value.clone());
            match e.kind.as_str() {
                KIND_DOMAIN | KIND_MAPPING => domain_entries.push(e),
                KIND_VPC_LINK => estate.vpc_links_v1.push(decode(id, v)?),
                KIND_VPC_LINK_V2 => estate.vpc_links_v2.push(decode(id, v)?),
                KIND_USAGE_PLAN => estate.usage_plans.push(decode(id, v)?),
                KIND_API_KEY => estate.api_keys.push(decode(id, v)?),
                KIND_CLIENT_CERTIFICATE => estate.client_certificates.push(decode(id, v)?),
                KIND_ACCOUNT => {
                    if estate.account.is_some() {
                        return Err(Error::Integrity(format!(
                            "the recovery point holds the account's settings twice (object {id}); it is damaged"
                        )));
                    }
                    estate.account = Some(decode(id, v)?);
                }
                _ => {}
            }
        }
        estate.domains = super::group_by_api(
            domain_entries,
            KIND_DOMAIN,
            &[KIND_MAPPING],
            DOMAIN_NAME,
            "domain name",
            |id, v| {
                let d: DomainName = decode(id, v)?;
                Ok((d.domain_name.clone(), d))
            },
            |d, e| {
                d.mappings.push(decode(&e.id, e.value)?);
                Ok(())
            },
        )?;
        estate.normalize();
        Ok(estate)
    }

    /// Sorts every list into the canonical order: domains by name, their mappings by key
    /// (then how they were seen), named things by name then id, usage plan keys and API stages,
    /// client certificates by id.
    pub fn normalize(&mut self) {
        self.domains
            .sort_by(|a, b| a.domain_name.cmp(&b.domain_name));
        for d in &mut self.domains {
            d.seen_by.sort();
            d.seen_by.dedup();
            d.mappings
                .sort_by(|a, b| (&a.key, &a.via, &a.id).cmp(&(&b.key, &b.via, &b.id)));
        }
        self.vpc_links_v1
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        self.vpc_links_v2
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        self.usage_plans
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        for p in &mut self.usage_plans {
            p.keys.sort();
            p.keys.dedup();
            p.api_stages
                .sort_by(|a, b| (&a.api_id, &a.stage).cmp(&(&b.api_id, &b.stage)));
        }
        self.api_keys
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        for k in &mut self.api_keys {
            k.stage_keys.sort();
            k.stage_keys.dedup();
        }
        self.client_certificates.sort_by(|a, b| a.id.cmp(&b.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    fn tags(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sealed(n: &str) -> Sealed {
        Sealed {
            alg: "AES-256-GCM-SIV".into(),
            key: "local:0123456789abcdef".into(),
            nonce: format!("nonce{n}"),
            ciphertext: format!("ct{n}"),
        }
    }

    fn sample() -> Estate {
        let mut e = Estate {
            domains: vec![DomainName {
                domain_name: "api.example.com".into(),
                endpoint_type: "REGIONAL".into(),
                certificate_arn: None,
                regional_certificate_arn: s("arn:aws:acm:us-east-1:111111111111:certificate/c1"),
                security_policy: s("TLS_1_2"),
                mutual_tls: Some(MutualTls {
                    truststore_uri: s("s3://trust/store.pem"),
                    truststore_version: s("v1"),
                }),
                tags: tags(&[("team", "edge")]),
                seen_by: vec!["v2".into(), "v1".into()],
                mappings: vec![
                    Mapping {
                        key: "orders".into(),
                        api_id: "r1".into(),
                        stage: s("prod"),
                        via: "v1".into(),
                        id: None,
                    },
                    Mapping {
                        key: "".into(),
                        api_id: "h1".into(),
                        stage: s("$default"),
                        via: "v2".into(),
                        id: s("m1"),
                    },
                    Mapping {
                        key: "http".into(),
                        api_id: "h1".into(),
                        stage: s("prod"),
                        via: "v2".into(),
                        id: s("m2"),
                    },
                ],
            }],
            vpc_links_v1: vec![
                VpcLinkV1 {
                    id: "vl2".into(),
                    name: "nlb".into(),
                    target_arns: vec![
                        "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/a/1"
                            .into(),
                    ],
                    ..Default::default()
                },
                VpcLinkV1 {
                    id: "vl1".into(),
                    name: "nlb".into(),
                    description: s("twin"),
                    ..Default::default()
                },
            ],
            vpc_links_v2: vec![VpcLinkV2 {
                id: "v2l".into(),
                name: "private".into(),
                subnet_ids: vec!["subnet-1".into(), "subnet-2".into()],
                security_group_ids: vec!["sg-1".into()],
                tags: tags(&[("env", "prod")]),
            }],
            usage_plans: vec![UsagePlan {
                id: "up1".into(),
                name: "gold".into(),
                description: s("gold customers"),
                api_stages: vec![ApiStage {
                    api_id: "r1".into(),
                    stage: "prod".into(),
                    throttle: [(
                        "/pets/GET".to_string(),
                        Throttle {
                            burst_limit: 5,
                            rate_limit: 2.5,
                        },
                    )]
                    .into(),
                }],
                throttle: Some(Throttle {
                    burst_limit: 100,
                    rate_limit: 50.0,
                }),
                quota: Some(Quota {
                    limit: 1000,
                    offset: 0,
                    period: "DAY".into(),
                }),
                tags: BTreeMap::new(),
                keys: vec!["k2".into(), "k1".into()],
            }],
            api_keys: vec![
                ApiKey {
                    id: "k1".into(),
                    name: "alice".into(),
                    enabled: true,
                    customer_id: s("c-1"),
                    value: sealed("1"),
                    ..Default::default()
                },
                ApiKey {
                    id: "k2".into(),
                    name: "bob".into(),
                    description: s("disabled"),
                    value: sealed("2"),
                    ..Default::default()
                },
            ],
            client_certificates: vec![ClientCertificate {
                id: "cc1".into(),
                description: s("backend"),
                pem_encoded_certificate: s(
                    "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
                ),
                expiration_date: s("2027-01-01T00:00:00Z"),
                ..Default::default()
            }],
            account: Some(Account {
                cloudwatch_role_arn: s("arn:aws:iam::111111111111:role/apigw-logs"),
                features: vec!["UsagePlans".into()],
            }),
        };
        e.normalize();
        e
    }

    fn entries_of(e: &Estate) -> Vec<Entry> {
        let mut out = Vec::new();
        e.explode(&mut out).unwrap();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    #[test]
    fn explode_then_assemble_round_trips() {
        let e = sample();
        let entries = entries_of(&e);
        assert_eq!(entries.len(), e.object_count());
        let mut shuffled = entries.clone();
        shuffled.reverse();
        assert_eq!(Estate::assemble(shuffled).unwrap(), e);
        let text = serde_json::to_string(&entries).unwrap();
        let again: Vec<Entry> = serde_json::from_str(&text).unwrap();
        assert_eq!(Estate::assemble(again).unwrap(), e);
        assert!(Estate::assemble(vec![]).unwrap().is_empty());
    }

    #[test]
    fn logical_ids_and_kinds() {
        let entries = entries_of(&sample());
        let ids: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.id.as_str(), e.kind.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("account", "Account"),
                ("apikey:alice", "ApiKey"),
                ("apikey:bob", "ApiKey"),
                ("clientcert:cc1", "ClientCertificate"),
                ("domain:api.example.com", "DomainName"),
                ("mapping:api.example.com:", "Mapping"),
                ("mapping:api.example.com:http", "Mapping"),
                ("mapping:api.example.com:orders", "Mapping"),
                ("usageplan:gold", "UsagePlan"),
                ("vpclink:nlb~vl1", "VpcLink"),
                ("vpclink:nlb~vl2", "VpcLink"),
                ("vpclinkv2:private", "VpcLinkV2"),
            ]
        );
        for k in KINDS {
            assert!(
                !super::super::v1::KINDS.contains(k) && !super::super::v2::KINDS.contains(k),
                "{k} is a kind of v1 or v2 too"
            );
        }
    }

    #[test]
    fn objects_are_compact_and_hold_no_nested_mappings() {
        let entries = entries_of(&sample());
        let find = |id: &str| &entries.iter().find(|e| e.id == id).unwrap().value;
        let d = find("domain:api.example.com");
        assert!(d.get("mappings").is_none(), "{d}");
        assert_eq!(d["seenBy"], serde_json::json!(["v1", "v2"]));
        assert_eq!(d["mutualTls"]["truststoreUri"], "s3://trust/store.pem");
        assert_eq!(
            find("mapping:api.example.com:orders"),
            &serde_json::json!({"key": "orders", "apiId": "r1", "stage": "prod", "via": "v1", "domainName": "api.example.com"})
        );
        let k = find("apikey:bob");
        assert!(k.get("enabled").is_none());
        assert_eq!(k["value"]["key"], "local:0123456789abcdef");
        let p = find("usageplan:gold");
        assert_eq!(p["keys"], serde_json::json!(["k1", "k2"]));
        assert_eq!(
            p["quota"],
            serde_json::json!({"limit": 1000, "period": "DAY"})
        );
    }

    #[test]
    fn one_change_changes_one_object() {
        let before = entries_of(&sample());
        let changed = |f: &dyn Fn(&mut Estate)| {
            let mut e = sample();
            f(&mut e);
            let after = entries_of(&e);
            let mut diff: Vec<String> = after
                .iter()
                .filter(|a| before.iter().find(|b| b.id == a.id) != Some(*a))
                .map(|a| a.id.clone())
                .collect();
            diff.extend(
                before
                    .iter()
                    .filter(|b| !after.iter().any(|a| a.id == b.id))
                    .map(|b| b.id.clone()),
            );
            diff.sort();
            diff
        };
        assert_eq!(
            changed(&|e| e.domains[0].mappings[1].stage = s("beta")),
            ["mapping:api.example.com:http"]
        );
        assert_eq!(
            changed(&|e| e.domains[0].security_policy = s("TLS_1_0")),
            ["domain:api.example.com"]
        );
        assert_eq!(
            changed(&|e| e.usage_plans[0].keys.pop().map(drop).unwrap_or(())),
            ["usageplan:gold"]
        );
        assert_eq!(
            changed(&|e| e.api_keys[0].enabled = false),
            ["apikey:alice"]
        );
        assert_eq!(changed(&|e| e.account = None), ["account"]);
    }

    #[test]
    fn orphans_and_doubles_are_integrity_errors() {
        let mut entries = entries_of(&sample());
        entries.retain(|e| e.kind != KIND_DOMAIN);
        let err = Estate::assemble(entries).unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "{err}");
        assert!(err.to_string().contains("api.example.com"), "{err}");

        let mut entries = entries_of(&sample());
        let account = entries
            .iter()
            .find(|e| e.kind == KIND_ACCOUNT)
            .unwrap()
            .clone();
        entries.push(account);
        assert!(matches!(
            Estate::assemble(entries),
            Err(Error::Integrity(_))
        ));
    }

    #[test]
    fn mappings_with_one_key_seen_twice_stay_apart() {
        let mut e = sample();
        e.domains[0].mappings.push(Mapping {
            key: "orders".into(),
            api_id: "h1".into(),
            via: "v2".into(),
            id: s("m9"),
            ..Default::default()
        });
        e.normalize();
        let entries = entries_of(&e);
        for id in [
            "mapping:api.example.com:orders~v1",
            "mapping:api.example.com:orders~m9",
        ] {
            assert!(entries.iter().any(|x| x.id == id), "{id}");
        }
        assert_eq!(Estate::assemble(entries).unwrap(), e);
    }
}
