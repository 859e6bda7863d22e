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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::estate;
    use crate::restore::difference::Change;

    fn calls(
        kind: Kind,
        key: &str,
        change: Change,
        desired: &Estate,
    ) -> BTreeMap<&'static str, u64> {
        let mut out = BTreeMap::new();
        step_calls(&Difference::new(kind, key, change), desired, &mut out);
        out
    }

    #[test]
    fn a_step_costs_the_calls_its_kind_and_change_need() {
        let update = || Change::Update {
            fields: vec!["stage".into()],
        };
        let mapping = |key: &str, via: &str| estate::Mapping {
            key: key.into(),
            api_id: "a1".into(),
            via: via.into(),
            ..Default::default()
        };
        let desired = Estate {
            usage_plans: vec![estate::UsagePlan {
                name: "gold".into(),
                keys: vec!["k1".into(), "k2".into()],
                ..Default::default()
            }],
            domains: vec![estate::DomainName {
                domain_name: "api.example.com".into(),
                seen_by: vec!["v1".into(), "v2".into()],
                mappings: vec![mapping("orders", "v1"), mapping("ws", "v2")],
                ..Default::default()
            }],
            ..Default::default()
        };
        // A usage plan is made or updated, each of its keys counted.
        assert_eq!(
            calls(Kind::UsagePlan, "gold", Change::Create, &desired),
            BTreeMap::from([("CreateUsagePlan", 1), ("CreateUsagePlanKey", 2)])
        );
        assert_eq!(
            calls(Kind::UsagePlan, "gold", update(), &desired),
            BTreeMap::from([("UpdateUsagePlan", 1), ("CreateUsagePlanKey", 2)])
        );
        // A domain is made through each API that listed it.
        assert_eq!(
            calls(
                Kind::DomainName,
                "api.example.com",
                Change::Create,
                &desired
            ),
            BTreeMap::from([("CreateDomainName", 2)])
        );
        // A mapping that differs is deleted and made again, through the API that holds it.
        assert_eq!(
            calls(Kind::Mapping, "api.example.com ws", update(), &desired),
            BTreeMap::from([("DeleteApiMapping", 1), ("CreateApiMapping", 1)])
        );
        assert_eq!(
            calls(Kind::Mapping, "api.example.com orders", update(), &desired),
            BTreeMap::from([("DeleteBasePathMapping", 1), ("CreateBasePathMapping", 1)])
        );
        // An API key whose value differs is made again; a duplicate costs nothing.
        assert_eq!(
            calls(Kind::ApiKey, "alice", update(), &desired),
            BTreeMap::from([("DeleteApiKey", 1), ("CreateApiKey", 1)])
        );
        let duplicate = Change::Duplicate {
            ids: vec!["a".into(), "b".into()],
        };
        assert!(calls(Kind::ApiKey, "alice", duplicate, &desired).is_empty());
    }
}
