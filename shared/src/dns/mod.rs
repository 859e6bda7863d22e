//! The DNS switch of a failover: each restored custom domain's DNS record pointed at the target's
//! domain endpoint, as the source record was (issue 12).
//!
//! Pure parts here (no I/O, no SDK types): the record as the switch sees it ([`Record`]), the
//! change to make ([`DnsSwitch`], stored in the job record with the old value), why a record is
//! left alone ([`Skip`]), [`plan_switch`] for one record, and [`choose_zone`], which hosted zone
//! of the target account serves a domain. The Route 53 adapter is [`route53`]: it lists zones,
//! reads records, applies a switch with `UPSERT` and waits for it to be in sync.
//!
//! What is switched: a simple record (no routing policy) of the domain's own name, of type A or
//! AAAA as an alias, or CNAME, whose value is an API Gateway domain endpoint (a Regional
//! `d-….execute-api.REGION.amazonaws.com` or an edge-optimized domain's `….cloudfront.net`).
//! The new value keeps the name, type, TTL and alias health evaluation of the old one. Left
//! alone, with the reason: records Route 53 routing manages (failover, weighted, latency,
//! geolocation, geoproximity, IP-based, multivalue, health-checked, traffic policy), A/AAAA
//! records with addresses instead of an alias, and records pointing at something else than an
//! API Gateway endpoint (a CDN or load balancer in front of the API is the operator's to move).

pub mod route53;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The record types the switch handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RecordType {
    A,
    #[serde(rename = "AAAA")]
    Aaaa,
    #[serde(rename = "CNAME")]
    Cname,
}

impl RecordType {
    /// The type as Route 53 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Cname => "CNAME",
        }
    }

    /// The type from Route 53's spelling; `None` for the types the switch does not handle.
    pub fn parse(s: &str) -> Option<RecordType> {
        match s {
            "A" => Some(RecordType::A),
            "AAAA" => Some(RecordType::Aaaa),
            "CNAME" => Some(RecordType::Cname),
            _ => None,
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a record answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RecordValue {
    /// A Route 53 alias (A or AAAA) to an AWS endpoint.
    #[serde(rename_all = "camelCase")]
    Alias {
        dns_name: String,
        hosted_zone_id: String,
        evaluate_target_health: bool,
    },
    /// A CNAME to a host name.
    #[serde(rename_all = "camelCase")]
    Cname { target: String, ttl: i64 },
    /// Plain values (addresses of an A or AAAA record): never switched, kept to say so.
    #[serde(rename_all = "camelCase")]
    Values { values: Vec<String>, ttl: i64 },
}

impl RecordValue {
    /// The host name the value points at (alias DNS name or CNAME target), if any.
    pub fn host(&self) -> Option<&str> {
        match self {
            RecordValue::Alias { dns_name, .. } => Some(dns_name),
            RecordValue::Cname { target, .. } => Some(target),
            RecordValue::Values { .. } => None,
        }
    }
}

impl fmt::Display for RecordValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordValue::Alias {
                dns_name,
                hosted_zone_id,
                ..
            } => write!(f, "alias {} (zone {hosted_zone_id})", host_name(dns_name)),
            RecordValue::Cname { target, ttl } => {
                write!(f, "CNAME {} (TTL {ttl})", host_name(target))
            }
            RecordValue::Values { values, ttl } => write!(f, "{} (TTL {ttl})", values.join(" ")),
        }
    }
}

/// The routing settings of a record: any of them means Route 53 routing manages the record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Routing {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_identifier: Option<String>,
    /// `PRIMARY` or `SECONDARY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// The Region of latency routing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_region: Option<String>,
    /// Other policies present: `geolocation`, `geoproximity`, `IP-based`, `multivalue answer`,
    /// `traffic policy`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
}

impl Routing {
    /// What manages the record, in words; `None` for a simple record.
    pub fn managed_by(&self) -> Option<String> {
        let mut what = vec![];
        if let Some(f) = &self.failover {
            what.push(format!("failover routing ({f})"));
        }
        if let Some(w) = self.weight {
            what.push(format!("weighted routing (weight {w})"));
        }
        if let Some(r) = &self.latency_region {
            what.push(format!("latency routing ({r})"));
        }
        what.extend(self.other.iter().map(|o| format!("{o} routing")));
        if let Some(h) = &self.health_check_id {
            what.push(format!("health check {h}"));
        }
        if what.is_empty()
            && let Some(s) = &self.set_identifier
        {
            what.push(format!("a routing policy (set identifier {s})"));
        }
        (!what.is_empty()).then(|| what.join(", "))
    }
}

/// A record of a hosted zone, as the switch sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The zone holding it (`Z…`, without `/hostedzone/`).
    pub zone_id: String,
    /// The zone's name, without the trailing dot.
    pub zone_name: String,
    /// The record's name, without the trailing dot (as Route 53 answers it otherwise).
    pub name: String,
    pub record_type: RecordType,
    pub value: RecordValue,
    #[serde(default, skip_serializing_if = "is_simple")]
    pub routing: Routing,
}

fn is_simple(r: &Routing) -> bool {
    *r == Routing::default()
}

/// A domain endpoint of API Gateway: what a custom domain's record points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// The domain's Regional domain name (`d-….execute-api.REGION.amazonaws.com`).
    pub domain_name: String,
    /// Its Regional hosted zone id (API Gateway's zone in that Region).
    pub hosted_zone_id: String,
}

/// One record to point elsewhere: stored in the job record, with the old value for failback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsSwitch {
    pub zone_id: String,
    pub zone_name: String,
    pub record_name: String,
    pub record_type: RecordType,
    pub old: RecordValue,
    pub new: RecordValue,
}

impl fmt::Display for DnsSwitch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} in zone {} ({}): {} -> {}",
            self.record_name, self.record_type, self.zone_name, self.zone_id, self.old, self.new
        )
    }
}

/// A record left as it is, and why (named in the plan and the report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Skip {
    /// `NAME TYPE` (and the set identifier, if any).
    pub record: String,
    pub reason: String,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} left as it is: {}", self.record, self.reason)
    }
}

/// A DNS name compared as Route 53 compares them: lower case, no trailing dot, `\052` as `*`.
pub fn host_name(name: &str) -> String {
    name.trim_end_matches('.')
        .replace("\\052", "*")
        .to_ascii_lowercase()
}

/// True when `name` is `zone` or a name below it (whole labels).
pub fn is_within(name: &str, zone: &str) -> bool {
    let (name, zone) = (host_name(name), host_name(zone));
    name == zone || name.ends_with(&format!(".{zone}"))
}

/// True for a host name of an API Gateway domain endpoint: a Regional domain name
/// (`….execute-api.REGION.amazonaws.com`, `.com.cn` in China) or an edge-optimized domain's
/// CloudFront distribution (`….cloudfront.net`). Aliases may carry a `dualstack.` prefix.
pub fn is_api_gateway_endpoint(host: &str) -> bool {
    let h = host_name(host);
    let h = h.strip_prefix("dualstack.").unwrap_or(&h);
    let regional = h.split('.').nth(1) == Some("execute-api")
        && (h.ends_with(".amazonaws.com") || h.ends_with(".amazonaws.com.cn"));
    regional || h.ends_with(".cloudfront.net")
}

/// The change that points `record` (of `domain_name`) at `target`, as the record was: an alias A
/// or AAAA stays an alias (to the target's Regional domain name and hosted zone, with its health
/// evaluation), a CNAME stays a CNAME (with its TTL). `Ok(None)` when it already points there;
/// `Err(Skip)` for a record the switch must leave alone (see the module doc).
pub fn plan_switch(
    domain_name: &str,
    record: &Record,
    target: &Endpoint,
) -> Result<Option<DnsSwitch>, Skip> {
    let mut label = format!("{} {}", host_name(&record.name), record.record_type);
    if let Some(s) = &record.routing.set_identifier {
        label.push_str(&format!(" (set identifier {s})"));
    }
    let skip = |reason: String| Skip {
        record: label.clone(),
        reason,
    };
    if host_name(&record.name) != host_name(domain_name) {
        return Err(skip(format!(
            "it is not the record of the domain {}",
            host_name(domain_name)
        )));
    }
    if let Some(by) = record.routing.managed_by() {
        return Err(skip(format!(
            "Route 53 {by} manages it; switch it through that routing policy"
        )));
    }
    let new = match (&record.value, record.record_type) {
        (
            RecordValue::Alias {
                evaluate_target_health,
                ..
            },
            RecordType::A | RecordType::Aaaa,
        ) => RecordValue::Alias {
            dns_name: host_name(&target.domain_name),
            hosted_zone_id: target.hosted_zone_id.clone(),
            evaluate_target_health: *evaluate_target_health,
        },
        (RecordValue::Cname { ttl, .. }, RecordType::Cname) => RecordValue::Cname {
            target: host_name(&target.domain_name),
            ttl: *ttl,
        },
        (RecordValue::Values { .. }, _) => {
            return Err(skip(format!(
                "it holds addresses ({}), not an alias to the domain endpoint; point it at {} by hand if it serves the API",
                record.value,
                host_name(&target.domain_name)
            )));
        }
        (value, t) => {
            return Err(skip(format!("a {t} record cannot hold {value}")));
        }
    };
    if same_target(&record.value, &new) {
        return Ok(None);
    }
    let old_host = record.value.host().unwrap_or_default();
    if !is_api_gateway_endpoint(old_host) {
        return Err(skip(format!(
            "it points at {}, not at an API Gateway domain endpoint (a CDN or load balancer in front of the API is yours to move)",
            host_name(old_host)
        )));
    }
    Ok(Some(DnsSwitch {
        zone_id: record.zone_id.clone(),
        zone_name: host_name(&record.zone_name),
        record_name: host_name(&record.name),
        record_type: record.record_type,
        old: record.value.clone(),
        new,
    }))
}

/// True when two values point at the same place (names compared as DNS names).
fn same_target(a: &RecordValue, b: &RecordValue) -> bool {
    match (a, b) {
        (
            RecordValue::Alias {
                dns_name: n1,
                hosted_zone_id: z1,
                ..
            },
            RecordValue::Alias {
                dns_name: n2,
                hosted_zone_id: z2,
                ..
            },
        ) => host_name(n1) == host_name(n2) && zone_id(z1) == zone_id(z2),
        (RecordValue::Cname { target: t1, .. }, RecordValue::Cname { target: t2, .. }) => {
            host_name(t1) == host_name(t2)
        }
        _ => false,
    }
}

/// A hosted zone id without the `/hostedzone/` prefix Route 53 sometimes puts on it.
pub fn zone_id(id: &str) -> &str {
    id.trim().trim_start_matches("/hostedzone/")
}

/// A hosted zone of the target account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Zone {
    /// `Z…`, without `/hostedzone/`.
    pub id: String,
    /// Without the trailing dot.
    pub name: String,
    pub private: bool,
}

/// The `[hosted_zones]` entry of the mapping file for `domain`, as (key, zone id): keyed by the
/// domain's name or by the name of a zone it lies within; the longest key wins.
pub fn mapped_zone<'a>(
    domain: &str,
    mapped: &'a BTreeMap<String, String>,
) -> Option<(&'a str, &'a str)> {
    mapped
        .iter()
        .filter(|(k, _)| is_within(domain, k))
        .max_by_key(|(k, _)| host_name(k).len())
        .map(|(k, id)| (k.as_str(), zone_id(id)))
}

/// The zone of `domain` among the target account's `zones`: the public zone with the longest
/// name the domain lies within. `Err` is a note for the report, not an error: only private zones
/// serve the domain, several public zones of that name do, or none does (the record is in
/// another account or at another DNS provider). A `[hosted_zones]` entry ([`mapped_zone`]) is
/// looked at before this.
pub fn choose_zone(domain: &str, zones: &[Zone]) -> Result<Zone, String> {
    let domain = host_name(domain);
    let within: Vec<&Zone> = zones
        .iter()
        .filter(|z| is_within(&domain, &z.name))
        .collect();
    let public: Vec<&Zone> = within.iter().copied().filter(|z| !z.private).collect();
    let Some(longest) = public.iter().map(|z| host_name(&z.name).len()).max() else {
        return Err(if within.is_empty() {
            format!(
                "no hosted zone of the target account serves {domain}: its record is in another account or at another DNS provider; point it at the target's domain endpoint there, or name the zone under [hosted_zones] in the mapping file"
            )
        } else {
            format!(
                "only private hosted zones serve {domain} in the target account ({}): public DNS is not switched; name the zone under [hosted_zones] in the mapping file to switch it",
                zone_list(&within)
            )
        });
    };
    let best: Vec<&Zone> = public
        .into_iter()
        .filter(|z| host_name(&z.name).len() == longest)
        .collect();
    match best.as_slice() {
        [one] => Ok((*one).clone()),
        several => Err(format!(
            "several public hosted zones serve {domain} ({}): name the one to switch under [hosted_zones] in the mapping file",
            zone_list(several)
        )),
    }
}

fn zone_list(zones: &[&Zone]) -> String {
    zones
        .iter()
        .map(|z| format!("{} {}", host_name(&z.name), z.id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the switch would do for one domain: the changes, the records left alone, and notes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DomainPlan {
    pub domain: String,
    /// The zone that serves the domain, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<Zone>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub switches: Vec<DnsSwitch>,
    /// Records already pointing at the target (`NAME TYPE`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub in_place: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skip>,
    /// Why nothing is switched for the domain (no zone, a private zone only, no record), with
    /// what to do; never an error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The restore creates the domain: its endpoint, the switches' new value, is known once it
    /// is created (a plan only; the switches' `new` is then [`Endpoint::unknown`]'s).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub endpoint_unknown: bool,
}

/// What a plan prints for the new value of a domain the restore creates.
pub const NEW_ENDPOINT_LATER: &str = "the target's endpoint, known once created";

impl Endpoint {
    /// The endpoint of a domain the target does not hold yet: planned against, never applied.
    pub fn unknown() -> Endpoint {
        Endpoint {
            domain_name: String::new(),
            hosted_zone_id: String::new(),
        }
    }
}

/// One switch applied: its Route 53 change and whether that change was in sync within the wait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    #[serde(flatten)]
    pub switch: DnsSwitch,
    /// Route 53's change id (`C…`).
    pub change_id: String,
    /// `INSYNC` within the wait; `false`: still `PENDING` (Route 53 finishes it on its own).
    pub in_sync: bool,
}

/// The DNS switch of a restore, in its plan (a dry run) or its job: per domain the restore
/// takes, what the switch does; then what was applied and what failed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DnsReport {
    /// Why DNS is not switched at all (`--no-dns`, a restore that did not verify), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_switched: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<DomainPlan>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applied: Vec<Applied>,
    /// What failed, each with what to do (the restored APIs stay; the job is PartiallyFailed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
}

impl DnsReport {
    /// A report of a switch left out, and why.
    pub fn not_switched(why: impl Into<String>) -> DnsReport {
        DnsReport {
            not_switched: Some(why.into()),
            ..DnsReport::default()
        }
    }

    /// True when at least one record was switched, nothing failed and every change is in sync:
    /// traffic goes to the target.
    pub fn moved_traffic(&self) -> bool {
        !self.applied.is_empty() && self.failed.is_empty() && self.applied.iter().all(|a| a.in_sync)
    }
}

#[cfg(test)]
mod tests;
