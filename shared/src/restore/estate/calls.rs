//! Calls each estate step needs.

use std::collections::BTreeMap;

use super::mapping_key;
use crate::model::estate::Estate;
use crate::restore::difference::{Difference, add_calls};
use crate::restore::kind::{Kind, rest_kinds, v2_kinds};

/// Calls one estate step needs (the estate is created or updated, never deleted). Every kind
/// is named: a new kind must say what it costs.
pub fn step_calls(d: &Difference, desired: &Estate, out: &mut BTreeMap<&'static str, u64>) {
    let c = &d.change;
    let mut add = |op: Option<&'static str>, n: u64| add_calls(out, op, n);
    let all = |op| c.op(Some(op), Some(op), Some(op));
    match d.kind {
        Kind::VpcLink => add(c.op(Some("CreateVpcLink"), None, None), 1),
        Kind::VpcLinkV2 => add(c.op(Some("v2:CreateVpcLink"), None, None), 1),
        Kind::ClientCertificate => add(c.op(Some("GenerateClientCertificate"), None, None), 1),
        Kind::ApiKey => {
            // A key whose value differs is made again.
            add(c.op(None, Some("DeleteApiKey"), Some("DeleteApiKey")), 1);
            add(all("CreateApiKey"), 1);
        }
        Kind::StageKey => add(all("UpdateApiKey"), 1),
        Kind::UsagePlan => {
            let n = desired
                .usage_plans
                .iter()
                .find(|p| p.name == d.key)
                .map_or(0, |p| p.keys.len() as u64);
            let update = Some("UpdateUsagePlan");
            add(c.op(Some("CreateUsagePlan"), update, update), 1);
            add(all("CreateUsagePlanKey"), n);
        }
        Kind::DomainName => {
            let n = desired
                .domains
                .iter()
                .find(|x| x.domain_name == d.key)
                .map_or(1, |x| x.seen_by.len().max(1) as u64);
            add(c.op(Some("CreateDomainName"), None, None), n);
        }
        Kind::Mapping => {
            // A base path mapping (v1) or an API mapping (v2), as the point holds it.
            let v2 = desired
                .domains
                .iter()
                .flat_map(|x| x.mappings.iter().map(move |m| (x, m)))
                .any(|(x, m)| mapping_key(&x.domain_name, &m.key) == d.key && m.via == "v2");
            let (delete, create) = if v2 {
                ("DeleteApiMapping", "CreateApiMapping")
            } else {
                ("DeleteBasePathMapping", "CreateBasePathMapping")
            };
            add(c.op(None, Some(delete), Some(delete)), 1);
            add(all(create), 1);
        }
        Kind::Account => add(all("UpdateAccount"), 1),
        // The APIs' own kinds are not estate.
        rest_kinds!() | v2_kinds!() => {}
    }
}
