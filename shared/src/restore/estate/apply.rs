use std::collections::{BTreeMap, HashMap};

use aws_sdk_apigateway::types as t1;
use aws_sdk_apigatewayv2::types as t2;

use super::{EstateReport, cert_key, mapping_key};
use crate::awsconf::sdk_error;
use crate::model::estate::{self, Estate};
use crate::pacing::Pacer;
use crate::restore::difference::{Change, Difference};
use crate::restore::kind::Kind;
use crate::restore::once::{self, OpError, create_once};
use crate::secret::Sealer;
use crate::{Error, Result};
use aws_sdk_apigateway::config::http::HttpResponse;
use aws_sdk_apigateway::error::SdkError;

/// Every estate item as (kind, natural key, comparable value), API key values left out.
/// Usage plans compare their keys by name.
/// Runs estate steps; what fails is reported and the rest goes on.
pub async fn run_steps(
    a: &mut EstateApplier<'_>,
    steps: &[Difference],
    desired: &Estate,
    blocked: &BTreeMap<(Kind, String), String>,
    report: &mut EstateReport,
    local: bool,
    progress: &(dyn Fn(String) + Send + Sync),
) {
    for d in steps {
        if let Some(line) = d.duplicate_line() {
            report.failed.push(line);
            continue;
        }
        if let Some(why) = blocked.get(&(d.kind, d.key.clone())) {
            report
                .failed
                .push(format!("{} {}: not restored: {why}", d.kind, d.key));
            continue;
        }
        match a.apply(d, desired).await {
            Ok(()) => {
                report.applied += 1;
                progress(format!("estate: {} {} restored", d.kind, d.key));
            }
            Err(Error::Unimplemented(m)) if local => {
                report.gaps.insert((d.kind, d.key.clone()), m);
            }
            Err(e) => report.failed.push(format!("{} {}: {e}", d.kind, d.key)),
        }
    }
}

/// Carries out estate steps against the target.
pub struct EstateApplier<'a> {
    pub v1: &'a aws_sdk_apigateway::Client,
    pub v2: &'a aws_sdk_apigatewayv2::Client,
    pub pacer: &'a Pacer,
    pub sealer: &'a Sealer,
    /// Source id -> target id of what exists or was created.
    pub ids: BTreeMap<String, String>,
    /// The target's estate as captured (to find what to update).
    pub current: Estate,
    /// Client certificates created: `DESCRIPTION: NEWID`.
    pub new_certificates: Vec<String>,
    /// When the run must stop (a Lambda invocation's end): a VPC link still becoming
    /// available then sets `out_of_time`, and the job continues in the next run.
    pub deadline: Option<std::time::Instant>,
    pub out_of_time: bool,
}

macro_rules! call {
    ($self:ident, $op:literal, $key:expr, $f:expr) => {
        $self
            .pacer
            .call($op, $f)
            .await
            .map_err(|e| failed($op, $key, e))
    };
}

/// A create sent at most once per lost reply ([`once::create_once`]): `$find` looks in the
/// target for what an attempt may have made.
macro_rules! create {
    ($self:ident, $op:literal, $key:expr, $send:expr, $pick:expr, $find:expr) => {
        create_once($self.pacer, $op, $send, $pick, $find, |e| {
            failed($op, $key, e)
        })
        .await
    };
}

/// Every item of a v1 or v2 list, after a lost reply.
macro_rules! list {
    ($self:ident, $v:ident, $op:literal, $req:expr) => {
        once::looked!(
            $self.pacer,
            $v,
            $op,
            &format!("what {} may have made", $op),
            $req
        )
    };
}

/// Whether the item a read names is in the target (404: it is not).
macro_rules! exists {
    ($self:ident, $op:literal, $key:expr, $send:expr) => {
        once::get($self.pacer, $op, $send, $key)
            .await
            .map(|o| o.map(|_| ()))
    };
}

fn failed<E: OpError>(op: &str, key: &str, e: SdkError<E, HttpResponse>) -> Error {
    if crate::capture::unimplemented(&e) {
        Error::Unimplemented(format!(
            "the target does not implement {op} ({key} not restored)"
        ))
    } else {
        sdk_error(&format!("restoring {key} ({op})"), e)
    }
}

fn tags(m: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn throttle(t: &estate::Throttle) -> t1::ThrottleSettings {
    t1::ThrottleSettings::builder()
        .burst_limit(t.burst_limit)
        .rate_limit(t.rate_limit)
        .build()
}

/// How long a new VPC link may take to become available (AWS takes minutes).
const VPC_LINK_WAIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl EstateApplier<'_> {
    /// Waits until a new VPC link is available: the integrations that use it are made next.
    /// True once available; false when the deadline came first.
    async fn wait_available(&self, key: &str, id: &str, v2: bool) -> Result<bool> {
        let started = std::time::Instant::now();
        loop {
            let status = if v2 {
                call!(self, "GetVpcLink", key, || {
                    self.v2.get_vpc_link().vpc_link_id(id).send()
                })?
                .vpc_link_status
                .map(|s| s.as_str().to_string())
            } else {
                call!(self, "GetVpcLink", key, || {
                    self.v1.get_vpc_link().vpc_link_id(id).send()
                })?
                .status
                .map(|s| s.as_str().to_string())
            };
            match status.as_deref() {
                None | Some("AVAILABLE") => return Ok(true),
                Some("FAILED" | "DELETING" | "INACTIVE") => {
                    return Err(Error::Aws(format!(
                        "the new VPC link {key} ({id}) is {}: check its targets (load balancer, subnets, security groups) in the target",
                        status.unwrap_or_default()
                    )));
                }
                Some(_) if started.elapsed() > VPC_LINK_WAIT => {
                    return Err(Error::Unavailable(format!(
                        "the new VPC link {key} ({id}) is still not available after {} minutes: run the restore again later",
                        VPC_LINK_WAIT.as_secs() / 60
                    )));
                }
                Some(_)
                    if self
                        .deadline
                        .is_some_and(|d| std::time::Instant::now() >= d) =>
                {
                    return Ok(false);
                }
                Some(_) => tokio::time::sleep(std::time::Duration::from_secs(10)).await,
            }
        }
    }

    /// Waits for the VPC links the target already held (made by an earlier run that ran out
    /// of time, say) before the integrations that use them are made.
    pub async fn wait_for_links(&mut self, desired: &Estate) -> Result<()> {
        let links = desired
            .vpc_links_v1
            .iter()
            .map(|l| (&l.name, &l.id, false))
            .chain(desired.vpc_links_v2.iter().map(|l| (&l.name, &l.id, true)));
        for (name, source_id, v2) in links {
            let held = if v2 {
                self.current.vpc_links_v2.iter().any(|c| &c.name == name)
            } else {
                self.current.vpc_links_v1.iter().any(|c| &c.name == name)
            };
            if let (true, Some(id)) = (held, self.ids.get(source_id).cloned())
                && !self.wait_available(name, &id, v2).await?
            {
                self.out_of_time = true;
                return Ok(());
            }
        }
        Ok(())
    }

    pub async fn apply(&mut self, d: &Difference, desired: &Estate) -> Result<()> {
        let key = d.key.clone();
        let create = d.change == Change::Create;
        let gone = || Error::Integrity(format!("{} {key} is not in the desired estate", d.kind));
        match d.kind {
            Kind::VpcLink if create => {
                let l = desired
                    .vpc_links_v1
                    .iter()
                    .find(|l| l.name == key)
                    .ok_or_else(gone)?;
                let id = create!(
                    self,
                    "CreateVpcLink",
                    &key,
                    || {
                        self.v1
                            .create_vpc_link()
                            .name(&l.name)
                            .set_description(l.description.clone())
                            .set_target_arns(Some(l.target_arns.clone()))
                            .set_tags(tags(&l.tags))
                            .send()
                    },
                    |out| out.id.unwrap_or_default(),
                    || async {
                        let all = list!(self, v1, "GetVpcLinks", self.v1.get_vpc_links())?;
                        Ok(all
                            .into_iter()
                            .find(|x| x.name() == Some(key.as_str()))
                            .and_then(|x| x.id))
                    }
                )?;
                if !self.wait_available(&key, &id, false).await? {
                    self.out_of_time = true;
                }
                self.ids.insert(l.id.clone(), id);
            }
            Kind::VpcLinkV2 if create => {
                let l = desired
                    .vpc_links_v2
                    .iter()
                    .find(|l| l.name == key)
                    .ok_or_else(gone)?;
                let id = create!(
                    self,
                    "v2:CreateVpcLink",
                    &key,
                    || {
                        self.v2
                            .create_vpc_link()
                            .name(&l.name)
                            .set_subnet_ids(Some(l.subnet_ids.clone()))
                            .set_security_group_ids(Some(l.security_group_ids.clone()))
                            .set_tags(tags(&l.tags))
                            .send()
                    },
                    |out| out.vpc_link_id.unwrap_or_default(),
                    || async {
                        let all = list!(self, v2, "GetVpcLinks", self.v2.get_vpc_links())?;
                        Ok(all
                            .into_iter()
                            .find(|x| x.name() == Some(key.as_str()))
                            .and_then(|x| x.vpc_link_id))
                    }
                )?;
                if !self.wait_available(&key, &id, true).await? {
                    self.out_of_time = true;
                }
                self.ids.insert(l.id.clone(), id);
            }
            Kind::ClientCertificate if create => {
                let c = desired
                    .client_certificates
                    .iter()
                    .find(|c| cert_key(c) == key)
                    .ok_or_else(gone)?;
                // A certificate the target did not hold with this description is the attempt's.
                let held: Vec<&str> = self
                    .current
                    .client_certificates
                    .iter()
                    .map(|x| x.id.as_str())
                    .collect();
                let id = create!(
                    self,
                    "GenerateClientCertificate",
                    &key,
                    || {
                        self.v1
                            .generate_client_certificate()
                            .set_description(c.description.clone())
                            .set_tags(tags(&c.tags))
                            .send()
                    },
                    |out| out.client_certificate_id.unwrap_or_default(),
                    || async {
                        let all = list!(
                            self,
                            v1,
                            "GetClientCertificates",
                            self.v1.get_client_certificates()
                        )?;
                        Ok(all
                            .into_iter()
                            .find(|x| {
                                x.description() == c.description.as_deref()
                                    && x.client_certificate_id()
                                        .is_some_and(|id| !held.contains(&id))
                            })
                            .and_then(|x| x.client_certificate_id))
                    }
                )?;
                self.new_certificates.push(format!("{key}: {id}"));
                self.ids.insert(c.id.clone(), id);
            }
            Kind::ApiKey => {
                let k = desired
                    .api_keys
                    .iter()
                    .find(|k| k.name == key)
                    .ok_or_else(gone)?;
                if !create && let Some(old) = self.current.api_keys.iter().find(|c| c.name == key) {
                    // A key's value cannot be changed: the key is made again.
                    let old = old.id.clone();
                    call!(self, "DeleteApiKey", &key, || {
                        self.v1.delete_api_key().api_key(&old).send()
                    })?;
                }
                let value = self.sealer.open(&k.id, &k.value).await?;
                // The attempt's key: its name and the point's value (compared in memory).
                let id = create!(
                    self,
                    "CreateApiKey",
                    &key,
                    || {
                        self.v1
                            .create_api_key()
                            .name(&k.name)
                            .set_description(k.description.clone())
                            .enabled(k.enabled)
                            .value(&value)
                            .set_customer_id(k.customer_id.clone())
                            .set_tags(tags(&k.tags))
                            .send()
                    },
                    |out| out.id.unwrap_or_default(),
                    || async {
                        let all = list!(
                            self,
                            v1,
                            "GetApiKeys",
                            self.v1
                                .get_api_keys()
                                .name_query(&k.name)
                                .include_values(true)
                        )?;
                        Ok(all
                            .into_iter()
                            .find(|x| x.name() == Some(key.as_str()) && x.value() == Some(&*value))
                            .and_then(|x| x.id))
                    }
                )?;
                self.ids.insert(k.id.clone(), id);
                // The key made anew has no stages yet: they are added after the APIs.
                if let Some(c) = self.current.api_keys.iter_mut().find(|c| c.name == key) {
                    c.stage_keys.clear();
                }
            }
            Kind::StageKey => {
                let (name, stage) = key.rsplit_once(' ').ok_or_else(gone)?;
                let k = desired
                    .api_keys
                    .iter()
                    .find(|k| k.name == name)
                    .ok_or_else(gone)?;
                let id = self
                    .ids
                    .get(&k.id)
                    .cloned()
                    .or_else(|| {
                        let c = self.current.api_keys.iter().find(|c| c.name == name);
                        c.map(|c| c.id.clone())
                    })
                    .ok_or_else(|| {
                        Error::NotFound(format!(
                            "API key {name} is not in the target, so its stage {stage} cannot be added: run the restore again once the key is restored"
                        ))
                    })?;
                let add = t1::PatchOperation::builder()
                    .op(t1::Op::Add)
                    .path("/stages")
                    .value(stage)
                    .build();
                call!(self, "UpdateApiKey", &key, || {
                    self.v1
                        .update_api_key()
                        .api_key(&id)
                        .patch_operations(add.clone())
                        .send()
                })?;
            }
            Kind::UsagePlan => {
                let p = desired
                    .usage_plans
                    .iter()
                    .find(|p| p.name == key)
                    .ok_or_else(gone)?;
                let stages: Vec<t1::ApiStage> = p
                    .api_stages
                    .iter()
                    .map(|s| {
                        t1::ApiStage::builder()
                            .api_id(&s.api_id)
                            .stage(&s.stage)
                            .set_throttle((!s.throttle.is_empty()).then(|| {
                                s.throttle
                                    .iter()
                                    .map(|(m, t)| (m.clone(), throttle(t)))
                                    .collect()
                            }))
                            .build()
                    })
                    .collect();
                let existing = self
                    .current
                    .usage_plans
                    .iter()
                    .find(|c| c.name == key)
                    .cloned();
                let (plan_id, have_keys) = match existing {
                    Some(c) if !create => {
                        let mut ops = vec![];
                        let patch = |op: t1::Op, path: String, value: Option<String>| {
                            t1::PatchOperation::builder()
                                .op(op)
                                .path(path)
                                .set_value(value)
                                .build()
                        };
                        for s in &p.api_stages {
                            if !c
                                .api_stages
                                .iter()
                                .any(|x| x.api_id == s.api_id && x.stage == s.stage)
                            {
                                ops.push(patch(
                                    t1::Op::Add,
                                    "/apiStages".into(),
                                    Some(format!("{}:{}", s.api_id, s.stage)),
                                ));
                            }
                        }
                        if p.description != c.description {
                            ops.push(patch(
                                t1::Op::Replace,
                                "/description".into(),
                                p.description.clone(),
                            ));
                        }
                        if let Some(t) = &p.throttle {
                            ops.push(patch(
                                t1::Op::Replace,
                                "/throttle/burstLimit".into(),
                                Some(t.burst_limit.to_string()),
                            ));
                            ops.push(patch(
                                t1::Op::Replace,
                                "/throttle/rateLimit".into(),
                                Some(t.rate_limit.to_string()),
                            ));
                        }
                        if let Some(q) = &p.quota {
                            ops.push(patch(
                                t1::Op::Replace,
                                "/quota/limit".into(),
                                Some(q.limit.to_string()),
                            ));
                            ops.push(patch(
                                t1::Op::Replace,
                                "/quota/period".into(),
                                Some(q.period.clone()),
                            ));
                        }
                        let id = c.id.clone();
                        call!(self, "UpdateUsagePlan", &key, || {
                            self.v1
                                .update_usage_plan()
                                .usage_plan_id(&id)
                                .set_patch_operations(Some(ops.clone()))
                                .send()
                        })?;
                        (c.id.clone(), c.keys.clone())
                    }
                    _ => {
                        let id = create!(
                            self,
                            "CreateUsagePlan",
                            &key,
                            || {
                                self.v1
                                    .create_usage_plan()
                                    .name(&p.name)
                                    .set_description(p.description.clone())
                                    .set_api_stages(Some(stages.clone()))
                                    .set_throttle(p.throttle.as_ref().map(throttle))
                                    .set_quota(p.quota.as_ref().map(|q| {
                                        t1::QuotaSettings::builder()
                                            .limit(q.limit)
                                            .offset(q.offset)
                                            .period(t1::QuotaPeriodType::from(q.period.as_str()))
                                            .build()
                                    }))
                                    .set_tags(tags(&p.tags))
                                    .send()
                            },
                            |out| out.id.unwrap_or_default(),
                            || async {
                                let all =
                                    list!(self, v1, "GetUsagePlans", self.v1.get_usage_plans())?;
                                Ok(all
                                    .into_iter()
                                    .find(|x| x.name() == Some(key.as_str()))
                                    .and_then(|x| x.id))
                            }
                        )?;
                        (id, vec![])
                    }
                };
                self.ids.insert(p.id.clone(), plan_id.clone());
                for k in &p.keys {
                    let Some(k) = self.ids.get(k) else {
                        return Err(Error::NotFound(format!(
                            "usage plan {key} holds API key {k}, which was not restored"
                        )));
                    };
                    if have_keys.contains(k) {
                        continue;
                    }
                    let what = format!("{key} key {k}");
                    create!(
                        self,
                        "CreateUsagePlanKey",
                        &what,
                        || {
                            self.v1
                                .create_usage_plan_key()
                                .usage_plan_id(&plan_id)
                                .key_id(k)
                                .key_type("API_KEY")
                                .send()
                        },
                        |_| (),
                        || async {
                            exists!(self, "GetUsagePlanKey", &what, || {
                                self.v1
                                    .get_usage_plan_key()
                                    .usage_plan_id(&plan_id)
                                    .key_id(k)
                                    .send()
                            })
                        }
                    )?;
                }
            }
            Kind::DomainName if create => {
                let dn = desired
                    .domains
                    .iter()
                    .find(|x| x.domain_name == key)
                    .ok_or_else(gone)?;
                let mtls1 = dn.mutual_tls.as_ref().map(|m| {
                    t1::MutualTlsAuthenticationInput::builder()
                        .set_truststore_uri(m.truststore_uri.clone())
                        .set_truststore_version(m.truststore_version.clone())
                        .build()
                });
                // AWS lists every domain through both APIs; a look-alike may keep two stores.
                let v1 = dn.seen_by.iter().any(|s| s == "v1") || dn.endpoint_type == "EDGE";
                let v2 = dn.seen_by.iter().any(|s| s == "v2");
                if v1 || !v2 {
                    create!(
                        self,
                        "CreateDomainName",
                        &key,
                        || {
                            self.v1
                                .create_domain_name()
                                .domain_name(&dn.domain_name)
                                .set_certificate_arn(dn.certificate_arn.clone())
                                .set_regional_certificate_arn(dn.regional_certificate_arn.clone())
                                .endpoint_configuration(
                                    t1::EndpointConfiguration::builder()
                                        .types(t1::EndpointType::from(dn.endpoint_type.as_str()))
                                        .build(),
                                )
                                .set_security_policy(
                                    dn.security_policy.as_deref().map(t1::SecurityPolicy::from),
                                )
                                .set_mutual_tls_authentication(mtls1.clone())
                                .set_tags(tags(&dn.tags))
                                .send()
                        },
                        |_| (),
                        || async {
                            exists!(self, "GetDomainName", &key, || {
                                self.v1
                                    .get_domain_name()
                                    .domain_name(&dn.domain_name)
                                    .send()
                            })
                        }
                    )?;
                }
                if v2 {
                    let exists = if v1 {
                        self.pacer
                            .call("GetDomainName", || {
                                self.v2
                                    .get_domain_name()
                                    .domain_name(&dn.domain_name)
                                    .send()
                            })
                            .await
                            .is_ok()
                    } else {
                        false
                    };
                    if !exists {
                        let config = t2::DomainNameConfiguration::builder()
                            .set_certificate_arn(
                                dn.regional_certificate_arn
                                    .clone()
                                    .or(dn.certificate_arn.clone()),
                            )
                            .endpoint_type(t2::EndpointType::from(dn.endpoint_type.as_str()))
                            .set_security_policy(
                                dn.security_policy.as_deref().map(t2::SecurityPolicy::from),
                            )
                            .build();
                        let mtls2 = dn.mutual_tls.as_ref().map(|m| {
                            t2::MutualTlsAuthenticationInput::builder()
                                .set_truststore_uri(m.truststore_uri.clone())
                                .set_truststore_version(m.truststore_version.clone())
                                .build()
                        });
                        create!(
                            self,
                            "CreateDomainName",
                            &key,
                            || {
                                self.v2
                                    .create_domain_name()
                                    .domain_name(&dn.domain_name)
                                    .domain_name_configurations(config.clone())
                                    .set_mutual_tls_authentication(mtls2.clone())
                                    .set_tags(tags(&dn.tags))
                                    .send()
                            },
                            |_| (),
                            || async {
                                exists!(self, "GetDomainName", &key, || {
                                    self.v2
                                        .get_domain_name()
                                        .domain_name(&dn.domain_name)
                                        .send()
                                })
                            }
                        )?;
                    }
                }
            }
            Kind::Mapping => {
                let (dn, m) = desired
                    .domains
                    .iter()
                    .flat_map(|x| x.mappings.iter().map(move |m| (x, m)))
                    .find(|(x, m)| mapping_key(&x.domain_name, &m.key) == key)
                    .ok_or_else(gone)?;
                let old = self
                    .current
                    .domains
                    .iter()
                    .find(|x| x.domain_name == dn.domain_name)
                    .and_then(|x| x.mappings.iter().find(|o| o.key == m.key))
                    .cloned();
                if let Some(old) = old.filter(|_| !create) {
                    match old.id {
                        Some(id) => call!(self, "DeleteApiMapping", &key, || {
                            self.v2
                                .delete_api_mapping()
                                .domain_name(&dn.domain_name)
                                .api_mapping_id(&id)
                                .send()
                        })
                        .map(|_| ())?,
                        None => call!(self, "DeleteBasePathMapping", &key, || {
                            self.v1
                                .delete_base_path_mapping()
                                .domain_name(&dn.domain_name)
                                .base_path(if old.key.is_empty() {
                                    "(none)"
                                } else {
                                    &old.key
                                })
                                .send()
                        })
                        .map(|_| ())?,
                    }
                }
                if m.via == "v2" {
                    create!(
                        self,
                        "CreateApiMapping",
                        &key,
                        || {
                            self.v2
                                .create_api_mapping()
                                .domain_name(&dn.domain_name)
                                .api_id(&m.api_id)
                                .set_stage(m.stage.clone())
                                .set_api_mapping_key((!m.key.is_empty()).then(|| m.key.clone()))
                                .send()
                        },
                        |_| (),
                        || async {
                            let all = list!(
                                self,
                                v2,
                                "GetApiMappings",
                                self.v2.get_api_mappings().domain_name(&dn.domain_name)
                            )?;
                            Ok(all
                                .iter()
                                .any(|x| x.api_mapping_key().unwrap_or("") == m.key)
                                .then_some(()))
                        }
                    )?;
                } else {
                    create!(
                        self,
                        "CreateBasePathMapping",
                        &key,
                        || {
                            self.v1
                                .create_base_path_mapping()
                                .domain_name(&dn.domain_name)
                                .rest_api_id(&m.api_id)
                                .set_stage(m.stage.clone())
                                .set_base_path((!m.key.is_empty()).then(|| m.key.clone()))
                                .send()
                        },
                        |_| (),
                        || async {
                            exists!(self, "GetBasePathMapping", &key, || {
                                self.v1
                                    .get_base_path_mapping()
                                    .domain_name(&dn.domain_name)
                                    .base_path(if m.key.is_empty() { "(none)" } else { &m.key })
                                    .send()
                            })
                        }
                    )?;
                }
            }
            Kind::Account => {
                let a = desired.account.clone().unwrap_or_default();
                let op = t1::PatchOperation::builder()
                    .op(t1::Op::Replace)
                    .path("/cloudwatchRoleArn")
                    .set_value(a.cloudwatch_role_arn.clone())
                    .build();
                call!(self, "UpdateAccount", &key, || {
                    self.v1.update_account().patch_operations(op.clone()).send()
                })?;
            }
            kind => {
                return Err(Error::Invalid(format!(
                    "{kind} {key} differs in the target ({}): changing an existing {kind} is not supported; delete it in the target to have it made again",
                    match &d.change {
                        Change::Update { fields } => fields.join(", "),
                        _ => String::new(),
                    }
                )));
            }
        }
        Ok(())
    }
}

/// What moto cannot show, at the HTTP layer: a VPC link that fails to become available, and an
/// API key whose value differs in the target being made again with the point's value.
#[cfg(test)]
mod tests {
    use crate::restore::estate::*;
    use aws_sdk_apigateway::operation::create_api_key::CreateApiKeyOutput;
    use aws_sdk_apigateway::operation::delete_api_key::DeleteApiKeyOutput;
    use aws_sdk_apigateway::operation::update_api_key::UpdateApiKeyOutput;
    use aws_sdk_apigatewayv2::operation::create_vpc_link::CreateVpcLinkOutput;
    use aws_sdk_apigatewayv2::operation::get_vpc_link::GetVpcLinkOutput;
    use aws_smithy_mocks::{Rule, mock};

    use super::*;
    use crate::capture::mocks;

    fn clients(rules: &[Rule]) -> (aws_sdk_apigateway::Client, aws_sdk_apigatewayv2::Client) {
        let sdk = mocks::sdk();
        (
            aws_sdk_apigateway::Client::from_conf(
                crate::capture::client_config(&sdk)
                    .interceptor(mocks::interceptor(rules))
                    .build(),
            ),
            aws_sdk_apigatewayv2::Client::from_conf(
                crate::capture::v2::client_config(&sdk)
                    .interceptor(mocks::interceptor(rules))
                    .build(),
            ),
        )
    }

    /// An applier on mock clients, starting from `current` in the target.
    fn applier<'a>(
        (v1, v2): &'a (aws_sdk_apigateway::Client, aws_sdk_apigatewayv2::Client),
        pacer: &'a Pacer,
        sealer: &'a Sealer,
        current: Estate,
    ) -> EstateApplier<'a> {
        EstateApplier {
            v1,
            v2,
            pacer,
            sealer,
            ids: BTreeMap::new(),
            current,
            new_certificates: vec![],
            deadline: None,
            out_of_time: false,
        }
    }

    /// CreateVpcLink answering `id`, and GetVpcLink of it answering `status`.
    fn link_rules(id: &'static str, status: t2::VpcLinkStatus) -> (Rule, Rule) {
        let create = mock!(aws_sdk_apigatewayv2::Client::create_vpc_link)
            .then_output(move || CreateVpcLinkOutput::builder().vpc_link_id(id).build());
        let get = mock!(aws_sdk_apigatewayv2::Client::get_vpc_link)
            .match_requests(move |r| r.vpc_link_id() == Some(id))
            .then_output(move || {
                GetVpcLinkOutput::builder()
                    .vpc_link_status(status.clone())
                    .build()
            });
        (create, get)
    }

    fn step(kind: Kind, key: &str, change: Change) -> Difference {
        Difference::new(kind, key, change)
    }

    /// A source in account 1111... and `region`, and a target in 2222.../us-west-2.
    fn places(region: &str) -> (Source, Source) {
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
    async fn a_vpc_link_that_fails_stops_what_needs_it_with_its_name() {
        let (create, get) = link_rules("vl-new", t2::VpcLinkStatus::Failed);
        let c = clients(&[create.clone(), get.clone()]);
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::local(dir.path().join("k"));
        let pacer = Pacer::for_tests();
        let mut a = applier(&c, &pacer, &sealer, Estate::default());
        let desired = Estate {
            vpc_links_v2: vec![estate::VpcLinkV2 {
                id: "vl-src".into(),
                name: "private".into(),
                subnet_ids: vec!["subnet-1".into()],
                ..Default::default()
            }],
            ..Default::default()
        };
        let e = a
            .apply(&step(Kind::VpcLinkV2, "private", Change::Create), &desired)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("private (vl-new) is FAILED"), "{e}");
        assert!(!a.ids.contains_key("vl-src"), "a failed link is not used");
        assert_eq!((create.num_calls(), get.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_client_certificate_is_made_anew_and_reported() {
        use aws_sdk_apigateway::operation::generate_client_certificate::GenerateClientCertificateOutput;
        let generate = mock!(aws_sdk_apigateway::Client::generate_client_certificate)
            .match_requests(|r| r.description() == Some("to the backend"))
            .then_output(|| {
                GenerateClientCertificateOutput::builder()
                    .client_certificate_id("cc-new")
                    .build()
            });
        let c = clients(std::slice::from_ref(&generate));
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::local(dir.path().join("k"));
        let pacer = Pacer::for_tests();
        let mut a = applier(&c, &pacer, &sealer, Estate::default());
        let desired = Estate {
            client_certificates: vec![estate::ClientCertificate {
                id: "ccsrc".into(),
                description: Some("to the backend".into()),
                pem_encoded_certificate: Some("-----BEGIN CERTIFICATE-----".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        a.apply(
            &step(Kind::ClientCertificate, "to the backend", Change::Create),
            &desired,
        )
        .await
        .unwrap();
        assert_eq!(generate.num_calls(), 1);
        assert_eq!(a.new_certificates, ["to the backend: cc-new"]);
        // Stages that used the old certificate name the new one.
        assert_eq!(a.ids["ccsrc"], "cc-new");
    }

    #[tokio::test]
    async fn a_vpc_link_still_pending_at_the_deadline_leaves_the_rest_for_the_next_run() {
        let (create, get) = link_rules("vlnew", t2::VpcLinkStatus::Pending);
        let c = clients(&[create.clone(), get.clone()]);
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::local(dir.path().join("k"));
        let pacer = Pacer::for_tests();
        let mut a = applier(&c, &pacer, &sealer, Estate::default());
        a.deadline = Some(std::time::Instant::now());
        let link = estate::VpcLinkV2 {
            id: "vlsrc".into(),
            name: "private".into(),
            ..Default::default()
        };
        let desired = Estate {
            vpc_links_v2: vec![link.clone()],
            ..Default::default()
        };
        a.apply(&step(Kind::VpcLinkV2, "private", Change::Create), &desired)
            .await
            .unwrap();
        assert!(a.out_of_time);
        assert_eq!(
            a.ids["vlsrc"], "vlnew",
            "the next run finds the link by name"
        );
        // The next run: the target holds the link; it is waited for before anything uses it.
        let mut next = applier(
            &c,
            &pacer,
            &sealer,
            Estate {
                vpc_links_v2: vec![estate::VpcLinkV2 {
                    id: "vlnew".into(),
                    ..link
                }],
                ..Default::default()
            },
        );
        next.ids.insert("vlsrc".into(), "vlnew".into());
        next.deadline = Some(std::time::Instant::now());
        next.wait_for_links(&desired).await.unwrap();
        assert!(next.out_of_time);
        assert_eq!((create.num_calls(), get.num_calls()), (1, 2));
    }

    #[tokio::test]
    async fn usage_plans_sharing_a_name_in_the_target_are_a_duplicate_not_restored() {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::local(dir.path().join("k"));
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
        let steps = compare(&desired, &current, &sealer, ESTATE).await.unwrap();
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert_eq!(
            steps[0].change,
            Change::Duplicate {
                ids: vec!["up-1".into(), "up-2".into()]
            }
        );
        // Applying reports it and calls nothing (the mocks answer nothing).
        let c = clients(&[]);
        let pacer = Pacer::for_tests();
        let mut a = applier(&c, &pacer, &sealer, current);
        let mut report = EstateReport::default();
        run_steps(
            &mut a,
            &steps,
            &desired,
            &BTreeMap::new(),
            &mut report,
            false,
            &|_| {},
        )
        .await;
        assert_eq!(pacer.total_calls(), 0);
        assert_eq!(report.applied, 0);
        assert!(
            report.failed.len() == 1 && report.failed[0].contains("up-1, up-2"),
            "{:?}",
            report.failed
        );
    }

    #[tokio::test]
    async fn a_key_whose_value_differs_is_made_again_with_the_points_value() {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::local(dir.path().join("k"));
        let sealed = sealer.seal("k-src", "the-old-value-0123").await.unwrap();
        let delete = mock!(aws_sdk_apigateway::Client::delete_api_key)
            .match_requests(|r| r.api_key() == Some("k-tgt"))
            .then_output(|| DeleteApiKeyOutput::builder().build());
        let create = mock!(aws_sdk_apigateway::Client::create_api_key)
            .match_requests(|r| {
                r.name() == Some("alice")
                    && r.value() == Some("the-old-value-0123")
                    && r.enabled() == Some(true)
            })
            .then_output(|| CreateApiKeyOutput::builder().id("k-new").build());
        let c = clients(&[delete.clone(), create.clone()]);
        let pacer = Pacer::for_tests();
        let key = |id: &str| estate::ApiKey {
            id: id.into(),
            name: "alice".into(),
            enabled: true,
            value: sealed.clone(),
            ..Default::default()
        };
        let mut a = applier(
            &c,
            &pacer,
            &sealer,
            Estate {
                api_keys: vec![key("k-tgt")],
                ..Default::default()
            },
        );
        let desired = Estate {
            api_keys: vec![key("k-src")],
            ..Default::default()
        };
        let fields = Change::Update {
            fields: vec!["value".into()],
        };
        a.apply(&step(Kind::ApiKey, "alice", fields), &desired)
            .await
            .unwrap();
        assert_eq!((delete.num_calls(), create.num_calls()), (1, 1));
        assert_eq!(a.ids["k-src"], "k-new");
    }

    #[tokio::test]
    async fn stage_keys_are_added_after_the_apis_with_the_new_api_ids() {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::local(dir.path().join("k"));
        let (source, target) = places("eu-west-1");
        let point = Estate {
            api_keys: vec![estate::ApiKey {
                id: "k-src".into(),
                name: "alice".into(),
                enabled: true,
                value: sealer.seal("k-src", "value-of-alice-0123").await.unwrap(),
                stage_keys: vec![estate::StageKey::parse("r1/prod").unwrap()],
                ..Default::default()
            }],
            ..Default::default()
        };
        // Before the APIs: the key alone (its stage names an API the target lacks yet).
        let create = mock!(aws_sdk_apigateway::Client::create_api_key)
            .match_requests(|r| r.name() == Some("alice") && r.stage_keys().is_empty())
            .then_output(|| CreateApiKeyOutput::builder().id("k-new").build());
        let update = mock!(aws_sdk_apigateway::Client::update_api_key)
            .match_requests(|r| {
                let ops = r.patch_operations();
                r.api_key() == Some("k-new")
                    && ops.len() == 1
                    && ops[0].op() == Some(&t1::Op::Add)
                    && ops[0].path() == Some("/stages")
                    && ops[0].value() == Some("t1/prod")
            })
            .then_output(|| UpdateApiKeyOutput::builder().id("k-new").build());
        let c = clients(&[create.clone(), update.clone()]);
        let pacer = Pacer::for_tests();
        let mut a = applier(&c, &pacer, &sealer, Estate::default());
        let before = desired(&point, &source, &target, None, &a.ids, false)
            .unwrap()
            .api;
        let steps = compare(&before, &a.current, &sealer, &[Phase::BeforeApis])
            .await
            .unwrap();
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert_eq!(
            (steps[0].kind, steps[0].key.as_str()),
            (Kind::ApiKey, "alice")
        );
        a.apply(&steps[0], &before).await.unwrap();

        // After the APIs: the API r1 is t1 in the target.
        a.ids.insert("r1".into(), "t1".into());
        let after = desired(&point, &source, &target, None, &a.ids, false)
            .unwrap()
            .api;
        let later = [Phase::AfterApis];
        let steps = compare(&after, &a.current, &sealer, &later).await.unwrap();
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert_eq!(
            (steps[0].kind, steps[0].key.as_str(), &steps[0].change),
            (Kind::StageKey, "alice t1/prod", &Change::Create)
        );
        let mut calls = BTreeMap::new();
        step_calls(&steps[0], &after, &mut calls);
        assert_eq!(calls, BTreeMap::from([("UpdateApiKey", 1)]));
        a.apply(&steps[0], &after).await.unwrap();
        assert_eq!((create.num_calls(), update.num_calls()), (1, 1));

        // A target key that has the stage already needs nothing more.
        let mut held = after.clone();
        held.api_keys[0].id = "k-new".into();
        held.api_keys[0].value = sealer.seal("k-new", "value-of-alice-0123").await.unwrap();
        let steps = compare(&after, &held, &sealer, ESTATE).await.unwrap();
        assert!(steps.is_empty(), "{steps:?}");
    }
}
