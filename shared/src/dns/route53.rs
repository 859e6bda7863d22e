//! The Route 53 adapter of the DNS switch: finds a domain's hosted zone in the target account,
//! reads its records, applies a [`DnsSwitch`] with `UPSERT` and waits for the change to be
//! `INSYNC`. The only place `aws_sdk_route53` types are used. It also reads the endpoint the
//! switch points at: the target domain's, from API Gateway ([`domain_endpoint`]).
//!
//! Calls are paced to Route 53's quota (5 requests/s per account, [`QUOTA`]) and counted. Route 53
//! throttles with HTTP 400 (`Throttling`, `PriorRequestNotComplete`), which the pacer's own
//! retries (429 and 5xx) do not cover: the SDK's standard retries, which know those codes, stay
//! on for this client, and the pacer only paces. An `UPSERT` sets the record to one value whatever
//! it held, so sending it again after a lost reply is safe: it creates nothing twice.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_route53::Client;
use aws_sdk_route53::config::retry::RetryConfig;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, HostedZone, ResourceRecord,
    ResourceRecordSet, RrType,
};
use tokio::sync::OnceCell;

pub use super::DomainPlan;
use super::{
    DnsSwitch, Endpoint, Record, RecordType, RecordValue, Routing, Zone, choose_zone, host_name,
    is_within, mapped_zone, plan_switch, zone_id,
};
use crate::awsconf::{one_line, sdk_error};
use crate::pacing::{Pacer, Quota, RetryPolicy};
use crate::translate::Mapping;
use crate::{Error, Result};

/// Route 53's API quota: 5 requests per second per account, for all operations together.
pub const QUOTA: Quota = Quota::per(5, 1);

/// How long [`Route53::wait_in_sync`] waits by default: Route 53 is typically in sync within
/// 60 s.
pub const SYNC_WITHIN: Duration = Duration::from_secs(180);

/// Time between two GetChange calls while a change is `PENDING`.
pub const POLL_EVERY: Duration = Duration::from_secs(5);

/// A change batch's comment is at most 256 characters.
const COMMENT_MAX: usize = 250;

/// Attempts per call, the first included (the SDK's standard retries, see the module doc).
const ATTEMPTS: u32 = 5;

/// Route 53 of the target account.
#[derive(Debug)]
pub struct Route53 {
    client: Client,
    pacer: Pacer,
    zones: OnceCell<Vec<Zone>>,
}

impl Route53 {
    /// A client for the configuration's account (Route 53 is global: the Region does not matter).
    pub fn new(sdk: &SdkConfig) -> Route53 {
        Route53::from_conf(aws_sdk_route53::config::Builder::from(sdk))
    }

    /// Over a client configuration built elsewhere (tests), with this adapter's retries.
    pub fn from_conf(conf: aws_sdk_route53::config::Builder) -> Route53 {
        let conf = conf
            .retry_config(RetryConfig::standard().with_max_attempts(ATTEMPTS))
            .build();
        let pace_only = RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        };
        Route53 {
            client: Client::from_conf(conf),
            pacer: Pacer::with_quota(pace_only, QUOTA),
            zones: OnceCell::new(),
        }
    }

    /// Calls made so far, per operation.
    pub fn calls(&self) -> BTreeMap<&'static str, u64> {
        self.pacer.calls()
    }

    /// Every hosted zone of the account (ListHostedZones, all pages), read once per client.
    pub async fn zones(&self) -> Result<&[Zone]> {
        let zones = self
            .zones
            .get_or_try_init(|| async {
                let mut out = vec![];
                let mut marker: Option<String> = None;
                loop {
                    let page = self
                        .pacer
                        .call("ListHostedZones", || {
                            self.client
                                .list_hosted_zones()
                                .set_marker(marker.clone())
                                .send()
                        })
                        .await
                        .map_err(|e| {
                            sdk_error(
                                "listing the hosted zones of the target account (route53:ListHostedZones)",
                                e,
                            )
                        })?;
                    out.extend(page.hosted_zones().iter().map(zone_of));
                    marker = page.next_marker().map(str::to_string);
                    if !page.is_truncated() || marker.is_none() {
                        return Ok::<_, Error>(out);
                    }
                }
            })
            .await?;
        Ok(zones)
    }

    /// One hosted zone by id (GetHostedZone).
    pub async fn zone(&self, id: &str) -> Result<Zone> {
        let id = zone_id(id).to_string();
        let out = self
            .pacer
            .call("GetHostedZone", || {
                self.client.get_hosted_zone().id(id.clone()).send()
            })
            .await
            .map_err(|e| {
                sdk_error(
                    &format!("reading hosted zone {id} (route53:GetHostedZone)"),
                    e,
                )
            })?;
        out.hosted_zone()
            .map(zone_of)
            .ok_or_else(|| Error::Aws(format!("route53:GetHostedZone answered no zone for {id}")))
    }

    /// The zone to switch `domain` in: the mapping file's `[hosted_zones]` entry, else the longest
    /// public zone of the account it lies within. `Ok(Err(note))` when there is none to use (see
    /// [`choose_zone`]). A mapping entry naming a zone the account does not have, or one that
    /// cannot hold the domain, is an error.
    pub async fn find_zone(
        &self,
        domain: &str,
        mapping: &Mapping,
    ) -> Result<std::result::Result<Zone, String>> {
        let Some((key, id)) = mapped_zone(domain, &mapping.hosted_zones) else {
            return Ok(choose_zone(domain, self.zones().await?));
        };
        let zone = self.zone(id).await.map_err(|e| match e {
            Error::NotFound(why) => Error::NotFound(format!(
                "mapping file: [hosted_zones] \"{key}\" names hosted zone {id}, which the target account does not have ({why}); fix the entry"
            )),
            other => other,
        })?;
        if !is_within(domain, &zone.name) {
            return Err(Error::Invalid(format!(
                "mapping file: [hosted_zones] \"{key}\" names hosted zone {id} ({}), which cannot hold {}; fix the entry",
                zone.name,
                host_name(domain)
            )));
        }
        Ok(Ok(zone))
    }

    /// The A, AAAA and CNAME records named `name` in `zone` (ListResourceRecordSets from that
    /// name on, as many pages as the name's records take).
    pub async fn records(&self, zone: &Zone, name: &str) -> Result<Vec<Record>> {
        let want = host_name(name);
        let mut out = vec![];
        let mut next: (Option<String>, Option<RrType>, Option<String>) =
            (Some(want.clone()), None, None);
        loop {
            let page = self
                .pacer
                .call("ListResourceRecordSets", || {
                    self.client
                        .list_resource_record_sets()
                        .hosted_zone_id(&zone.id)
                        .set_start_record_name(next.0.clone())
                        .set_start_record_type(next.1.clone())
                        .set_start_record_identifier(next.2.clone())
                        .send()
                })
                .await
                .map_err(|e| {
                    sdk_error(
                        &format!(
                            "reading the records of {want} in hosted zone {} (route53:ListResourceRecordSets)",
                            zone.id
                        ),
                        e,
                    )
                })?;
            for rr in page.resource_record_sets() {
                if host_name(rr.name()) != want {
                    return Ok(out);
                }
                out.extend(record_of(zone, rr));
            }
            if !page.is_truncated() {
                return Ok(out);
            }
            next = (
                page.next_record_name().map(str::to_string),
                page.next_record_type().cloned(),
                page.next_record_identifier().map(str::to_string),
            );
        }
    }

    /// What the switch would do for `domain`, whose new endpoint is `target`: the zone, then
    /// [`plan_switch`] for each of its records of that name. Reads only.
    pub async fn plan(
        &self,
        domain: &str,
        target: &Endpoint,
        mapping: &Mapping,
    ) -> Result<DomainPlan> {
        let mut plan = DomainPlan {
            domain: host_name(domain),
            ..DomainPlan::default()
        };
        let zone = match self.find_zone(domain, mapping).await? {
            Ok(zone) => zone,
            Err(note) => {
                plan.notes.push(note);
                return Ok(plan);
            }
        };
        let records = self.records(&zone, domain).await?;
        if records.is_empty() {
            plan.notes.push(format!(
                "hosted zone {} ({}) has no A, AAAA or CNAME record named {}: nothing to switch",
                zone.name, zone.id, plan.domain
            ));
        }
        for record in &records {
            match plan_switch(domain, record, target) {
                Ok(Some(switch)) => plan.switches.push(switch),
                Ok(None) => plan
                    .in_place
                    .push(format!("{} {}", plan.domain, record.record_type)),
                Err(skip) => plan.skipped.push(skip),
            }
        }
        plan.zone = Some(zone);
        Ok(plan)
    }

    /// Applies one switch (ChangeResourceRecordSets, `UPSERT` of the new value) and returns the
    /// change id (`C…`) to wait for.
    pub async fn apply(&self, switch: &DnsSwitch) -> Result<String> {
        let what = format!(
            "pointing {} {} at {} (route53:ChangeResourceRecordSets)",
            switch.record_name, switch.record_type, switch.new
        );
        let batch = change_batch(switch)
            .map_err(|e| Error::Aws(format!("could not build the change while {what}: {e}")))?;
        let out = self
            .pacer
            .call("ChangeResourceRecordSets", || {
                self.client
                    .change_resource_record_sets()
                    .hosted_zone_id(&switch.zone_id)
                    .change_batch(batch.clone())
                    .send()
            })
            .await
            .map_err(|e| sdk_error(&what, e))?;
        out.change_info()
            .map(|c| c.id().trim_start_matches("/change/").to_string())
            .ok_or_else(|| Error::Aws(format!("Route 53 answered no change id while {what}")))
    }

    /// Waits until change `change_id` is `INSYNC` (GetChange every [`POLL_EVERY`]): `true` when
    /// it is, `false` when it is still `PENDING` after `within` (the change stays applied; Route
    /// 53 finishes it on its own).
    pub async fn wait_in_sync(&self, change_id: &str, within: Duration) -> Result<bool> {
        let until = tokio::time::Instant::now() + within;
        loop {
            let out = self
                .pacer
                .call("GetChange", || {
                    self.client.get_change().id(change_id).send()
                })
                .await
                .map_err(|e| {
                    sdk_error(
                        &format!("waiting for Route 53 change {change_id} (route53:GetChange)"),
                        e,
                    )
                })?;
            if out
                .change_info()
                .is_some_and(|c| *c.status() == ChangeStatus::Insync)
            {
                return Ok(true);
            }
            let now = tokio::time::Instant::now();
            if now >= until {
                return Ok(false);
            }
            tokio::time::sleep(POLL_EVERY.min(until - now)).await;
        }
    }
}

/// The domain endpoint of custom domain `domain` in the Region and account `sdk` acts in: its
/// Regional domain name and hosted zone id (an edge-optimized domain's CloudFront name and zone
/// when it has no Regional one), read with v1 GetDomainName, else with v2 GetDomainName (a
/// look-alike may hold a domain in one API only), through `pacer` (API Gateway's quotas).
/// `None` when neither API holds the domain.
pub async fn domain_endpoint(
    sdk: &SdkConfig,
    pacer: &Pacer,
    domain: &str,
) -> Result<Option<Endpoint>> {
    let what = |api: &str| format!("reading the endpoint of custom domain {domain} ({api})");
    let v1 = crate::capture::apigateway_client(sdk);
    match pacer
        .call("GetDomainName", || {
            v1.get_domain_name().domain_name(domain).send()
        })
        .await
        .map_err(|e| sdk_error(&what("apigateway:GetDomainName"), e))
    {
        Ok(d) => {
            let regional = d.regional_domain_name().zip(d.regional_hosted_zone_id());
            let edge = d
                .distribution_domain_name()
                .zip(d.distribution_hosted_zone_id());
            if let Some((name, zone)) = regional.or(edge) {
                return Ok(Some(endpoint(name, zone)));
            }
        }
        Err(Error::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    let v2 = crate::capture::v2::client(sdk);
    match pacer
        .call("GetDomainName", || {
            v2.get_domain_name().domain_name(domain).send()
        })
        .await
        .map_err(|e| sdk_error(&what("apigatewayv2:GetDomainName"), e))
    {
        Ok(d) => Ok(d.domain_name_configurations().iter().find_map(|c| {
            c.api_gateway_domain_name()
                .zip(c.hosted_zone_id())
                .map(|(name, zone)| endpoint(name, zone))
        })),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn endpoint(name: &str, zone: &str) -> Endpoint {
    Endpoint {
        domain_name: host_name(name),
        hosted_zone_id: zone_id(zone).to_string(),
    }
}

fn zone_of(z: &HostedZone) -> Zone {
    Zone {
        id: zone_id(z.id()).to_string(),
        name: host_name(z.name()),
        private: z.config().is_some_and(|c| c.private_zone()),
    }
}

/// The record as the switch sees it; `None` for types it does not handle.
fn record_of(zone: &Zone, rr: &ResourceRecordSet) -> Option<Record> {
    let record_type = RecordType::parse(rr.r#type().as_str())?;
    let ttl = rr.ttl().unwrap_or_default();
    let value = match (rr.alias_target(), record_type) {
        (Some(a), _) => RecordValue::Alias {
            dns_name: a.dns_name().to_string(),
            hosted_zone_id: zone_id(a.hosted_zone_id()).to_string(),
            evaluate_target_health: a.evaluate_target_health(),
        },
        (None, RecordType::Cname) => RecordValue::Cname {
            target: rr
                .resource_records()
                .first()
                .map(|r| r.value().to_string())
                .unwrap_or_default(),
            ttl,
        },
        (None, _) => RecordValue::Values {
            values: rr
                .resource_records()
                .iter()
                .map(|r| r.value().to_string())
                .collect(),
            ttl,
        },
    };
    let mut other = vec![];
    for (present, what) in [
        (rr.geo_location().is_some(), "geolocation"),
        (rr.geo_proximity_location().is_some(), "geoproximity"),
        (rr.cidr_routing_config().is_some(), "IP-based"),
        (rr.multi_value_answer().is_some(), "multivalue answer"),
        (rr.traffic_policy_instance_id().is_some(), "traffic policy"),
    ] {
        if present {
            other.push(what.to_string());
        }
    }
    Some(Record {
        zone_id: zone.id.clone(),
        zone_name: zone.name.clone(),
        name: host_name(rr.name()),
        record_type,
        value,
        routing: Routing {
            set_identifier: rr.set_identifier().map(str::to_string),
            failover: rr.failover().map(|f| f.as_str().to_string()),
            health_check_id: rr.health_check_id().map(str::to_string),
            weight: rr.weight(),
            latency_region: rr.region().map(|r| r.as_str().to_string()),
            other,
        },
    })
}

/// The `UPSERT` of the switch's new value, as the record was: same name and type, alias or TTL.
fn change_batch(
    switch: &DnsSwitch,
) -> std::result::Result<ChangeBatch, aws_smithy_types::error::operation::BuildError> {
    let mut set = ResourceRecordSet::builder()
        .name(&switch.record_name)
        .r#type(RrType::from(switch.record_type.as_str()));
    set = match &switch.new {
        RecordValue::Alias {
            dns_name,
            hosted_zone_id,
            evaluate_target_health,
        } => set.alias_target(
            AliasTarget::builder()
                .dns_name(dns_name)
                .hosted_zone_id(hosted_zone_id)
                .evaluate_target_health(*evaluate_target_health)
                .build()?,
        ),
        RecordValue::Cname { target, ttl } => set
            .ttl(*ttl)
            .resource_records(ResourceRecord::builder().value(target).build()?),
        RecordValue::Values { values, ttl } => {
            let mut set = set.ttl(*ttl);
            for v in values {
                set = set.resource_records(ResourceRecord::builder().value(v).build()?);
            }
            set
        }
    };
    ChangeBatch::builder()
        .comment(one_line(
            &format!(
                "apigw-dr: {} {} to {}",
                switch.record_name, switch.record_type, switch.new
            ),
            COMMENT_MAX,
        ))
        .changes(
            Change::builder()
                .action(ChangeAction::Upsert)
                .resource_record_set(set.build()?)
                .build()?,
        )
        .build()
}

#[cfg(test)]
mod tests;
