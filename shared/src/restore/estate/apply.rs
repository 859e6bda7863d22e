//! The estate applier: one method per kind of step, each a few paced calls.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_apigateway::types as t1;
use aws_sdk_apigatewayv2::types as t2;

use super::{EstateReport, cert_key, mapping_key};
use crate::awsconf::sdk_error;
use crate::model::estate::{self, Estate};
use crate::pacing::Pacer;
use crate::restore::difference::{Change, Difference};
use crate::restore::kind::{Kind, rest_kinds, v2_kinds};
use crate::restore::once::{self, OpError, create_once};
use crate::secret::Sealer;
use crate::{Error, Result};
use aws_sdk_apigateway::config::http::HttpResponse;
use aws_sdk_apigateway::error::SdkError;

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

/// A create that answers the new item's id in field `$id`; after a lost reply the item of the
/// v1 or v2 list `$req` that `$is` accepts is the attempt's (its id in the same field).
macro_rules! create_listed {
    ($self:ident, $op:literal, $key:expr, $send:expr, $v:ident, $list_op:literal, $req:expr, $id:ident, $is:expr) => {
        create!(
            $self,
            $op,
            $key,
            $send,
            |out| out.$id.unwrap_or_default(),
            || async {
                let all = list!($self, $v, $list_op, $req)?;
                Ok(all.into_iter().find($is).and_then(|x| x.$id))
            }
        )
    };
}

/// A create that answers nothing the applier keeps; after a lost reply, the read `$get`
/// (`$get_op`) says whether the attempt made the item (404: it did not).
macro_rules! create_checked {
    ($self:ident, $op:literal, $key:expr, $send:expr, $get_op:literal, $get:expr) => {
        create!($self, $op, $key, $send, |_| (), || async {
            once::get($self.pacer, $get_op, $get, $key)
                .await
                .map(|o| o.map(|_| ()))
        })
    };
}

/// CreateDomainName through the v1 or v2 client (`$v`, its types `$t`): the name, mutual TLS
/// and tags, and what `$set` adds for that API; after a lost reply, GetDomainName says whether
/// the attempt made it.
macro_rules! create_domain {
    ($self:ident, $v:ident, $t:ident, $key:expr, $dn:expr, $set:expr) => {{
        let mtls = $dn.mutual_tls.as_ref().map(|m| {
            $t::MutualTlsAuthenticationInput::builder()
                .set_truststore_uri(m.truststore_uri.clone())
                .set_truststore_version(m.truststore_version.clone())
                .build()
        });
        create_checked!(
            $self,
            "CreateDomainName",
            $key,
            || {
                let req = $self
                    .$v
                    .create_domain_name()
                    .domain_name(&$dn.domain_name)
                    .set_mutual_tls_authentication(mtls.clone())
                    .set_tags(tags(&$dn.tags));
                ($set)(req).send()
            },
            "GetDomainName",
            || $self
                .$v
                .get_domain_name()
                .domain_name(&$dn.domain_name)
                .send()
        )
    }};
}

/// CreateVpcLink through the v1 or v2 client (`$v`; the new id in field `$id`): the name and
/// tags, and what `$set` adds for that API; after a lost reply, the link of that name in
/// GetVpcLinks is the attempt's.
macro_rules! create_link {
    ($self:ident, $v:ident, $op:literal, $id:ident, $key:expr, $l:expr, $set:expr) => {
        create_listed!(
            $self,
            $op,
            $key,
            || {
                let req = $self
                    .$v
                    .create_vpc_link()
                    .name(&$l.name)
                    .set_tags(tags(&$l.tags));
                ($set)(req).send()
            },
            $v,
            "GetVpcLinks",
            $self.$v.get_vpc_links(),
            $id,
            |x| x.name() == Some($key)
        )
    };
}

type LinkV1 = aws_sdk_apigateway::operation::create_vpc_link::builders::CreateVpcLinkFluentBuilder;
type LinkV2 =
    aws_sdk_apigatewayv2::operation::create_vpc_link::builders::CreateVpcLinkFluentBuilder;
type ReqV1 =
    aws_sdk_apigateway::operation::create_domain_name::builders::CreateDomainNameFluentBuilder;
type ReqV2 =
    aws_sdk_apigatewayv2::operation::create_domain_name::builders::CreateDomainNameFluentBuilder;

fn failed<E: OpError>(op: &str, key: &str, e: SdkError<E, HttpResponse>) -> Error {
    if crate::capture::unimplemented(&e) {
        Error::Unimplemented(format!(
            "the target does not implement {op} ({key} not restored)"
        ))
    } else {
        sdk_error(&format!("restoring {key} ({op})"), e)
    }
}

/// The step names an item the desired estate does not hold.
fn gone(d: &Difference) -> Error {
    Error::Integrity(format!("{} {} is not in the desired estate", d.kind, d.key))
}

/// The item of the desired estate a step names.
fn wanted<'e, T>(items: &'e [T], d: &Difference, is: impl Fn(&T) -> bool) -> Result<&'e T> {
    items.iter().find(|x| is(x)).ok_or_else(|| gone(d))
}

/// A step the estate cannot carry out: an existing item that differs and is not updated in
/// place (or a kind that is not estate).
fn unsupported(d: &Difference) -> Error {
    let kind = d.kind;
    Error::Invalid(format!(
        "{kind} {} differs in the target ({}): changing an existing {kind} is not supported; delete it in the target to have it made again",
        d.key,
        match &d.change {
            Change::Update { fields } => fields.join(", "),
            _ => String::new(),
        }
    ))
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

fn patch(op: t1::Op, path: &str, value: Option<String>) -> t1::PatchOperation {
    t1::PatchOperation::builder()
        .op(op)
        .path(path)
        .set_value(value)
        .build()
}

/// A base path as v1 names it in a request path (`(none)` for the domain's root).
fn base_path(key: &str) -> &str {
    if key.is_empty() { "(none)" } else { key }
}

/// A usage plan's stages, as CreateUsagePlan takes them.
fn api_stages(p: &estate::UsagePlan) -> Vec<t1::ApiStage> {
    p.api_stages
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
        .collect()
}

/// What turns the target's usage plan `c` into `p`: missing stages added, description,
/// throttle and quota set.
fn plan_patch(p: &estate::UsagePlan, c: &estate::UsagePlan) -> Vec<t1::PatchOperation> {
    let mut ops = vec![];
    for s in &p.api_stages {
        if !c
            .api_stages
            .iter()
            .any(|x| x.api_id == s.api_id && x.stage == s.stage)
        {
            let stage = format!("{}:{}", s.api_id, s.stage);
            ops.push(patch(t1::Op::Add, "/apiStages", Some(stage)));
        }
    }
    if p.description != c.description {
        ops.push(patch(
            t1::Op::Replace,
            "/description",
            p.description.clone(),
        ));
    }
    if let Some(t) = &p.throttle {
        let burst = Some(t.burst_limit.to_string());
        ops.push(patch(t1::Op::Replace, "/throttle/burstLimit", burst));
        let rate = Some(t.rate_limit.to_string());
        ops.push(patch(t1::Op::Replace, "/throttle/rateLimit", rate));
    }
    if let Some(q) = &p.quota {
        let limit = Some(q.limit.to_string());
        ops.push(patch(t1::Op::Replace, "/quota/limit", limit));
        ops.push(patch(
            t1::Op::Replace,
            "/quota/period",
            Some(q.period.clone()),
        ));
    }
    ops
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

    /// Carries out one step: a create or update of the item it names, by kind.
    pub async fn apply(&mut self, d: &Difference, desired: &Estate) -> Result<()> {
        let key = d.key.as_str();
        let create = d.change == Change::Create;
        match d.kind {
            Kind::VpcLink if create => {
                let l = wanted(&desired.vpc_links_v1, d, |l| l.name == key)?;
                let id = self.vpc_link_v1(key, l).await?;
                self.link_made(key, &l.id, id, false).await
            }
            Kind::VpcLinkV2 if create => {
                let l = wanted(&desired.vpc_links_v2, d, |l| l.name == key)?;
                let id = self.vpc_link_v2(key, l).await?;
                self.link_made(key, &l.id, id, true).await
            }
            Kind::ClientCertificate if create => {
                let c = wanted(&desired.client_certificates, d, |c| cert_key(c) == key)?;
                self.client_certificate(key, c).await
            }
            Kind::ApiKey => {
                let k = wanted(&desired.api_keys, d, |k| k.name == key)?;
                self.api_key(key, k, create).await
            }
            Kind::StageKey => self.stage_key(d, desired).await,
            Kind::UsagePlan => {
                let p = wanted(&desired.usage_plans, d, |p| p.name == key)?;
                self.usage_plan(key, p, create).await
            }
            Kind::DomainName if create => {
                let dn = wanted(&desired.domains, d, |x| x.domain_name == key)?;
                self.domain(key, dn).await
            }
            Kind::Mapping => self.mapping(d, desired, create).await,
            Kind::Account => self.account(key, desired).await,
            // Updated in place only by a create anew, which the operator decides.
            Kind::VpcLink | Kind::VpcLinkV2 | Kind::ClientCertificate | Kind::DomainName => {
                Err(unsupported(d))
            }
            // The APIs' own kinds are not estate.
            rest_kinds!() | v2_kinds!() => Err(unsupported(d)),
        }
    }

    async fn vpc_link_v1(&self, key: &str, l: &estate::VpcLinkV1) -> Result<String> {
        create_link!(self, v1, "CreateVpcLink", id, key, l, |req: LinkV1| {
            req.set_description(l.description.clone())
                .set_target_arns(Some(l.target_arns.clone()))
        })
    }

    async fn vpc_link_v2(&self, key: &str, l: &estate::VpcLinkV2) -> Result<String> {
        create_link!(
            self,
            v2,
            "v2:CreateVpcLink",
            vpc_link_id,
            key,
            l,
            |req: LinkV2| {
                req.set_subnet_ids(Some(l.subnet_ids.clone()))
                    .set_security_group_ids(Some(l.security_group_ids.clone()))
            }
        )
    }

    /// A new VPC link, waited for until available (or the deadline), then used by its id.
    async fn link_made(&mut self, key: &str, source_id: &str, id: String, v2: bool) -> Result<()> {
        if !self.wait_available(key, &id, v2).await? {
            self.out_of_time = true;
        }
        self.ids.insert(source_id.to_string(), id);
        Ok(())
    }

    async fn client_certificate(&mut self, key: &str, c: &estate::ClientCertificate) -> Result<()> {
        // A certificate the target did not hold with this description is the attempt's.
        let held: Vec<&str> = self
            .current
            .client_certificates
            .iter()
            .map(|x| x.id.as_str())
            .collect();
        let id = create_listed!(
            self,
            "GenerateClientCertificate",
            key,
            || {
                self.v1
                    .generate_client_certificate()
                    .set_description(c.description.clone())
                    .set_tags(tags(&c.tags))
                    .send()
            },
            v1,
            "GetClientCertificates",
            self.v1.get_client_certificates(),
            client_certificate_id,
            |x| {
                x.description() == c.description.as_deref()
                    && x.client_certificate_id()
                        .is_some_and(|id| !held.contains(&id))
            }
        )?;
        self.new_certificates.push(format!("{key}: {id}"));
        self.ids.insert(c.id.clone(), id);
        Ok(())
    }

    async fn api_key(&mut self, key: &str, k: &estate::ApiKey, create: bool) -> Result<()> {
        if !create && let Some(old) = self.current.api_keys.iter().find(|c| c.name == key) {
            // A key's value cannot be changed: the key is made again.
            let old = old.id.clone();
            call!(self, "DeleteApiKey", key, || {
                self.v1.delete_api_key().api_key(&old).send()
            })?;
        }
        let value = self.sealer.open(&k.id, &k.value).await?;
        // The attempt's key: its name and the point's value (compared in memory).
        let id = create_listed!(
            self,
            "CreateApiKey",
            key,
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
            v1,
            "GetApiKeys",
            self.v1
                .get_api_keys()
                .name_query(&k.name)
                .include_values(true),
            id,
            |x| x.name() == Some(key) && x.value() == Some(&*value)
        )?;
        self.ids.insert(k.id.clone(), id);
        // The key made anew has no stages yet: they are added after the APIs.
        if let Some(c) = self.current.api_keys.iter_mut().find(|c| c.name == key) {
            c.stage_keys.clear();
        }
        Ok(())
    }

    async fn stage_key(&self, d: &Difference, desired: &Estate) -> Result<()> {
        let key = d.key.as_str();
        let (name, stage) = key.rsplit_once(' ').ok_or_else(|| gone(d))?;
        let k = wanted(&desired.api_keys, d, |k| k.name == name)?;
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
        let add = patch(t1::Op::Add, "/stages", Some(stage.to_string()));
        call!(self, "UpdateApiKey", key, || {
            self.v1
                .update_api_key()
                .api_key(&id)
                .patch_operations(add.clone())
                .send()
        })?;
        Ok(())
    }

    async fn usage_plan(&mut self, key: &str, p: &estate::UsagePlan, create: bool) -> Result<()> {
        let existing = self
            .current
            .usage_plans
            .iter()
            .find(|c| c.name == key)
            .cloned();
        let (plan_id, have_keys) = match existing {
            Some(c) if !create => {
                let ops = plan_patch(p, &c);
                call!(self, "UpdateUsagePlan", key, || {
                    self.v1
                        .update_usage_plan()
                        .usage_plan_id(&c.id)
                        .set_patch_operations(Some(ops.clone()))
                        .send()
                })?;
                (c.id, c.keys)
            }
            _ => (self.create_usage_plan(key, p).await?, vec![]),
        };
        self.ids.insert(p.id.clone(), plan_id.clone());
        self.usage_plan_keys(key, p, &plan_id, &have_keys).await
    }

    async fn create_usage_plan(&self, key: &str, p: &estate::UsagePlan) -> Result<String> {
        let stages = api_stages(p);
        create_listed!(
            self,
            "CreateUsagePlan",
            key,
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
            v1,
            "GetUsagePlans",
            self.v1.get_usage_plans(),
            id,
            |x| x.name() == Some(key)
        )
    }

    /// The plan's API keys (by their target ids) that the target's plan lacks.
    async fn usage_plan_keys(
        &self,
        key: &str,
        p: &estate::UsagePlan,
        plan_id: &str,
        have_keys: &[String],
    ) -> Result<()> {
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
            create_checked!(
                self,
                "CreateUsagePlanKey",
                &what,
                || {
                    self.v1
                        .create_usage_plan_key()
                        .usage_plan_id(plan_id)
                        .key_id(k)
                        .key_type("API_KEY")
                        .send()
                },
                "GetUsagePlanKey",
                || {
                    self.v1
                        .get_usage_plan_key()
                        .usage_plan_id(plan_id)
                        .key_id(k)
                        .send()
                }
            )?;
        }
        Ok(())
    }

    /// A custom domain name, made through each control-plane API that listed it in the source
    /// (AWS lists every domain through both; a look-alike may keep two stores).
    async fn domain(&self, key: &str, dn: &estate::DomainName) -> Result<()> {
        let v1 = dn.seen_by.iter().any(|s| s == "v1") || dn.endpoint_type == "EDGE";
        let v2 = dn.seen_by.iter().any(|s| s == "v2");
        if v1 || !v2 {
            self.domain_v1(key, dn).await?;
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
                self.domain_v2(key, dn).await?;
            }
        }
        Ok(())
    }

    async fn domain_v1(&self, key: &str, dn: &estate::DomainName) -> Result<()> {
        let endpoint = t1::EndpointConfiguration::builder()
            .types(t1::EndpointType::from(dn.endpoint_type.as_str()))
            .build();
        create_domain!(self, v1, t1, key, dn, |req: ReqV1| {
            req.set_certificate_arn(dn.certificate_arn.clone())
                .set_regional_certificate_arn(dn.regional_certificate_arn.clone())
                .endpoint_configuration(endpoint.clone())
                .set_security_policy(dn.security_policy.as_deref().map(t1::SecurityPolicy::from))
        })
    }

    async fn domain_v2(&self, key: &str, dn: &estate::DomainName) -> Result<()> {
        let config = t2::DomainNameConfiguration::builder()
            .set_certificate_arn(
                dn.regional_certificate_arn
                    .clone()
                    .or(dn.certificate_arn.clone()),
            )
            .endpoint_type(t2::EndpointType::from(dn.endpoint_type.as_str()))
            .set_security_policy(dn.security_policy.as_deref().map(t2::SecurityPolicy::from))
            .build();
        create_domain!(self, v2, t2, key, dn, |req: ReqV2| {
            req.domain_name_configurations(config.clone())
        })
    }

    /// A base path mapping (v1) or API mapping (v2), as the point holds it; one that differs
    /// in the target is deleted first (through the API that made it) and made again.
    async fn mapping(&self, d: &Difference, desired: &Estate, create: bool) -> Result<()> {
        let key = d.key.as_str();
        let (dn, m) = desired
            .domains
            .iter()
            .flat_map(|x| x.mappings.iter().map(move |m| (x, m)))
            .find(|(x, m)| mapping_key(&x.domain_name, &m.key) == key)
            .ok_or_else(|| gone(d))?;
        let domain = dn.domain_name.as_str();
        let old = self
            .current
            .domains
            .iter()
            .find(|x| x.domain_name == domain)
            .and_then(|x| x.mappings.iter().find(|o| o.key == m.key));
        if let Some(old) = old.filter(|_| !create) {
            self.delete_mapping(key, domain, old).await?;
        }
        // The mapping's key or base path; none for the domain's root.
        let path = (!m.key.is_empty()).then(|| m.key.clone());
        if m.via == "v2" {
            create!(
                self,
                "CreateApiMapping",
                key,
                || {
                    self.v2
                        .create_api_mapping()
                        .domain_name(domain)
                        .api_id(&m.api_id)
                        .set_stage(m.stage.clone())
                        .set_api_mapping_key(path.clone())
                        .send()
                },
                |_| (),
                || async {
                    let all = list!(
                        self,
                        v2,
                        "GetApiMappings",
                        self.v2.get_api_mappings().domain_name(domain)
                    )?;
                    Ok(all
                        .iter()
                        .any(|x| x.api_mapping_key().unwrap_or("") == m.key)
                        .then_some(()))
                }
            )
        } else {
            create_checked!(
                self,
                "CreateBasePathMapping",
                key,
                || {
                    self.v1
                        .create_base_path_mapping()
                        .domain_name(domain)
                        .rest_api_id(&m.api_id)
                        .set_stage(m.stage.clone())
                        .set_base_path(path.clone())
                        .send()
                },
                "GetBasePathMapping",
                || {
                    self.v1
                        .get_base_path_mapping()
                        .domain_name(domain)
                        .base_path(base_path(&m.key))
                        .send()
                }
            )
        }
    }

    /// Deletes the target's mapping `old` (an API mapping when it has an id).
    async fn delete_mapping(&self, key: &str, domain: &str, old: &estate::Mapping) -> Result<()> {
        match &old.id {
            Some(id) => call!(self, "DeleteApiMapping", key, || {
                self.v2
                    .delete_api_mapping()
                    .domain_name(domain)
                    .api_mapping_id(id)
                    .send()
            })
            .map(|_| ()),
            None => call!(self, "DeleteBasePathMapping", key, || {
                self.v1
                    .delete_base_path_mapping()
                    .domain_name(domain)
                    .base_path(base_path(&old.key))
                    .send()
            })
            .map(|_| ()),
        }
    }

    async fn account(&self, key: &str, desired: &Estate) -> Result<()> {
        let a = desired.account.clone().unwrap_or_default();
        let op = patch(t1::Op::Replace, "/cloudwatchRoleArn", a.cloudwatch_role_arn);
        call!(self, "UpdateAccount", key, || {
            self.v1.update_account().patch_operations(op.clone()).send()
        })?;
        Ok(())
    }
}

/// What moto cannot show, at the HTTP layer: a VPC link that fails to become available, and an
/// API key whose value differs in the target being made again with the point's value.
#[cfg(test)]
mod tests {
    use crate::restore::estate::tests::{duplicate_plans, keyring, places};
    use crate::restore::estate::*;
    use aws_sdk_apigateway::operation::create_api_key::CreateApiKeyOutput;
    use aws_sdk_apigateway::operation::delete_api_key::DeleteApiKeyOutput;
    use aws_sdk_apigateway::operation::update_api_key::UpdateApiKeyOutput;
    use aws_sdk_apigatewayv2::operation::create_vpc_link::CreateVpcLinkOutput;
    use aws_sdk_apigatewayv2::operation::get_vpc_link::GetVpcLinkOutput;
    use aws_smithy_mocks::{Rule, mock};

    use super::*;
    use crate::capture::mocks;

    type Clients = (aws_sdk_apigateway::Client, aws_sdk_apigatewayv2::Client);

    fn clients(rules: &[Rule]) -> Clients {
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
        (v1, v2): &'a Clients,
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

    #[tokio::test]
    async fn a_vpc_link_that_fails_stops_what_needs_it_with_its_name() {
        let (create, get) = link_rules("vl-new", t2::VpcLinkStatus::Failed);
        let c = clients(&[create.clone(), get.clone()]);
        let (_keys, sealer) = keyring();
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
        let (_keys, sealer) = keyring();
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
        let (_keys, sealer) = keyring();
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
    async fn usage_plans_sharing_a_name_in_the_target_are_not_restored() {
        let (_keys, sealer) = keyring();
        let (desired, current) = duplicate_plans();
        let steps = compare(&desired, &current, &sealer, ESTATE).await.unwrap();
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
        let (_keys, sealer) = keyring();
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
        let (_keys, sealer) = keyring();
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
