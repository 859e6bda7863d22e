//! The mapping file: what translation cannot derive by itself (see the module documentation and
//! docs/mapping-file.md for the format).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The operator's mapping file, parsed. Every table maps a source value to the target's; every
/// table is optional. See the module documentation for the format and what each table covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mapping {
    /// Format version; only `1` exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// Exact replacements, applied before every other rule: a key matches a whole field value
    /// or one reference found inside a text (an ARN, a URL, the host name of a URL, a VPC-family
    /// id, an account id).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub replace: BTreeMap<String, String>,
    /// ACM certificate ARN -> ARN of the certificate to use in the target.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub certificates: BTreeMap<String, String>,
    /// Cognito user pool id -> pool id in the target (in provider ARNs and JWT issuers).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub cognito_user_pools: BTreeMap<String, String>,
    /// Cognito app client id -> client id in the target (JWT audiences).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub cognito_clients: BTreeMap<String, String>,
    /// Elastic Load Balancing ARN (VPC link targets, listeners) -> ARN in the target.
    #[serde(alias = "vpc_link_targets", skip_serializing_if = "BTreeMap::is_empty")]
    pub load_balancers: BTreeMap<String, String>,
    /// WAF / WAFv2 web ACL ARN -> ARN in the target.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub web_acls: BTreeMap<String, String>,
    /// VPC endpoint id (`vpce-...`) -> id in the target.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub vpc_endpoints: BTreeMap<String, String>,
    /// VPC id (`vpc-...`) -> id in the target.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub vpcs: BTreeMap<String, String>,
    /// Subnet id (`subnet-...`) -> id in the target.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub subnets: BTreeMap<String, String>,
    /// Security group id (`sg-...`) -> id in the target.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub security_groups: BTreeMap<String, String>,
    /// Lambda function name -> function name in the target (Region and account are rewritten
    /// as usual).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub lambda_functions: BTreeMap<String, String>,
    /// Domain name or hosted zone name -> Route 53 hosted zone id in the target account: the
    /// zone whose record the DNS switch of a failover changes (not used by translation).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub hosted_zones: BTreeMap<String, String>,
}

/// How the tables are checked: name, and what keys and values must look like.
enum Shape {
    Any,
    Arn(&'static [&'static str]),
    Prefix(&'static str),
    Name,
    /// Keys are domain or zone names, values Route 53 hosted zone ids.
    HostedZone,
}

impl Mapping {
    /// A mapping with nothing in it: everything is derived.
    pub fn empty() -> Mapping {
        Mapping::default()
    }

    /// True when no table has an entry.
    pub fn is_empty(&self) -> bool {
        self.tables().iter().all(|(_, t, _)| t.is_empty())
    }

    /// Parses a mapping file. `format_hint` is `toml`, `json`, or a file name whose extension
    /// says which (`dr.toml`, `dr.json`); without one, text starting with `{` is JSON and
    /// anything else TOML.
    pub fn parse(text: &str, format_hint: Option<&str>) -> Result<Mapping> {
        let json = match format_hint.map(|h| h.trim().to_ascii_lowercase()) {
            Some(h) if h == "json" || h.ends_with(".json") => true,
            Some(h) if h == "toml" || h.ends_with(".toml") => false,
            _ => text.trim_start().starts_with('{'),
        };
        let mapping: Mapping = if json {
            serde_json::from_str(text).map_err(|e| {
                Error::Invalid(format!(
                    "mapping file (JSON): {e}; see docs/mapping-file.md for the format"
                ))
            })?
        } else {
            toml::from_str(text).map_err(|e| {
                // One line: where, and what (the parser's own text draws the line in ASCII).
                let at = e
                    .span()
                    .map(|s| {
                        let before = text.get(..s.start).unwrap_or(text);
                        format!(", line {}", before.matches('\n').count() + 1)
                    })
                    .unwrap_or_default();
                Error::Invalid(format!(
                    "mapping file (TOML{at}): {}; see docs/mapping-file.md for the format",
                    e.message().trim_end().replace('\n', " ")
                ))
            })?
        };
        mapping.check()?;
        Ok(mapping)
    }

    fn tables(&self) -> [(&'static str, &BTreeMap<String, String>, Shape); 12] {
        [
            ("replace", &self.replace, Shape::Any),
            ("certificates", &self.certificates, Shape::Arn(&["acm"])),
            ("cognito_user_pools", &self.cognito_user_pools, Shape::Name),
            ("cognito_clients", &self.cognito_clients, Shape::Name),
            (
                "load_balancers",
                &self.load_balancers,
                Shape::Arn(&["elasticloadbalancing"]),
            ),
            (
                "web_acls",
                &self.web_acls,
                Shape::Arn(&["wafv2", "waf-regional", "waf"]),
            ),
            ("vpc_endpoints", &self.vpc_endpoints, Shape::Prefix("vpce-")),
            ("vpcs", &self.vpcs, Shape::Prefix("vpc-")),
            ("subnets", &self.subnets, Shape::Prefix("subnet-")),
            (
                "security_groups",
                &self.security_groups,
                Shape::Prefix("sg-"),
            ),
            ("lambda_functions", &self.lambda_functions, Shape::Name),
            ("hosted_zones", &self.hosted_zones, Shape::HostedZone),
        ]
    }

    /// Rejects values that cannot be what their table says, naming table and key.
    fn check(&self) -> Result<()> {
        if let Some(v) = self.version
            && v != 1
        {
            return Err(Error::Invalid(format!(
                "mapping file: version {v} is not supported; use version = 1 (see docs/mapping-file.md)"
            )));
        }
        for (table, map, shape) in self.tables() {
            for (k, v) in map {
                for (what, s) in [("key", k), ("value", v)] {
                    let bad = match &shape {
                        Shape::Any => s.is_empty().then(|| "is empty".to_string()),
                        Shape::Arn(services) => {
                            let service = s.split(':').nth(2).unwrap_or("");
                            (!s.starts_with("arn:") || !services.contains(&service))
                                .then(|| format!("is not an ARN of {}", services.join(" or ")))
                        }
                        Shape::Prefix(p) => (!s.starts_with(p)
                            || s.len() == p.len()
                            || s.contains(char::is_whitespace))
                        .then(|| format!("is not an id starting with `{p}`")),
                        Shape::Name => (s.is_empty()
                            || s.contains(|c: char| c == ':' || c == '/' || c.is_whitespace()))
                        .then(|| "must be a bare name or id (no `:`, `/` or spaces)".to_string()),
                        Shape::HostedZone if what == "key" => (!is_dns_name(s)).then(|| {
                            "is not a domain or zone name (such as api.example.com)".to_string()
                        }),
                        Shape::HostedZone => (!is_zone_id(s)).then(|| {
                            "is not a Route 53 hosted zone id (such as Z0123456789ABCDEFGHIJ)"
                                .to_string()
                        }),
                    };
                    if let Some(bad) = bad {
                        return Err(Error::Invalid(format!(
                            "mapping file: [{table}] {what} \"{s}\" {bad}; see docs/mapping-file.md"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

impl Mapping {
    /// The mapping the other way, for a failback (the recovery side's values back to the
    /// source's): every table's keys and values swapped. Pure. `[hosted_zones]` is left out:
    /// it names zones of the recovery account, and the source's zone is found by its name.
    /// A table where two keys map to one value cannot be inverted: one error naming every such
    /// entry, so the operator can fix the file before anything is read or written.
    pub fn invert(&self) -> Result<Mapping> {
        let mut clashes = vec![];
        let mut flip = |table: &str, map: &BTreeMap<String, String>| {
            let mut out: BTreeMap<String, String> = BTreeMap::new();
            let mut from: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for (k, v) in map {
                from.entry(v.as_str()).or_default().push(k.as_str());
                out.insert(v.clone(), k.clone());
            }
            for (v, ks) in from.into_iter().filter(|(_, ks)| ks.len() > 1) {
                let keys: Vec<String> = ks.iter().map(|k| format!("\"{k}\"")).collect();
                clashes.push(format!("[{table}] {} all map to \"{v}\"", keys.join(", ")));
            }
            out
        };
        let inverted = Mapping {
            version: self.version,
            replace: flip("replace", &self.replace),
            certificates: flip("certificates", &self.certificates),
            cognito_user_pools: flip("cognito_user_pools", &self.cognito_user_pools),
            cognito_clients: flip("cognito_clients", &self.cognito_clients),
            load_balancers: flip("load_balancers", &self.load_balancers),
            web_acls: flip("web_acls", &self.web_acls),
            vpc_endpoints: flip("vpc_endpoints", &self.vpc_endpoints),
            vpcs: flip("vpcs", &self.vpcs),
            subnets: flip("subnets", &self.subnets),
            security_groups: flip("security_groups", &self.security_groups),
            lambda_functions: flip("lambda_functions", &self.lambda_functions),
            hosted_zones: BTreeMap::new(),
        };
        if !clashes.is_empty() {
            return Err(Error::Invalid(format!(
                "mapping file cannot be inverted for the failback: {}; a failback needs one source value per target value: give each its own, or leave the entry out of the file given to failback",
                clashes.join("; ")
            )));
        }
        Ok(inverted)
    }
}

/// A DNS name: dot-separated labels of letters, digits, `-`, `_` (and `*` for a wildcard), an
/// optional trailing dot.
fn is_dns_name(s: &str) -> bool {
    let name = s.strip_suffix('.').unwrap_or(s);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*'))
        })
}

/// A Route 53 hosted zone id (`Z…`: capital letters and digits), with or without the
/// `/hostedzone/` prefix Route 53 answers it with.
fn is_zone_id(s: &str) -> bool {
    let id = s.strip_prefix("/hostedzone/").unwrap_or(s);
    (1..=32).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_file_is_one_line_naming_where_and_what() {
        for (text, says) in [
            (
                "[cognito_user_pools]\n\"a\" = \"b\"\n\n[no_such_table]\nx = 1\n",
                "TOML, line 4): unknown field `no_such_table`",
            ),
            ("[certificates\n", "TOML, line 1)"),
            ("replace = 3\n", "TOML, line 1)"),
            ("{\"vpcs\": {\"vpc-1\": 2}}", "JSON"),
            ("{\"nosuch\": {}}", "unknown field `nosuch`"),
        ] {
            let e = Mapping::parse(text, None).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
            assert_eq!(e.lines().count(), 1, "{e}");
            assert!(e.contains("docs/mapping-file.md"), "{e}");
        }
    }

    #[test]
    fn a_mapping_inverted_twice_is_itself_without_its_hosted_zones() {
        let text = concat!(
            "version = 1\n",
            "[replace]\n\"https://old.example.com\" = \"https://new.example.com\"\n",
            "[certificates]\n",
            "\"arn:aws:acm:us-east-1:111111111111:certificate/a\" = \"arn:aws:acm:us-west-2:222222222222:certificate/b\"\n",
            "[cognito_user_pools]\n\"us-east-1_A\" = \"us-west-2_B\"\n",
            "[subnets]\n\"subnet-0a\" = \"subnet-0b\"\n\"subnet-1a\" = \"subnet-1b\"\n",
            "[lambda_functions]\n\"orders\" = \"orders-dr\"\n",
            "[hosted_zones]\n\"api.example.com\" = \"ZABC\"\n",
        );
        let m = Mapping::parse(text, None).unwrap();
        let inv = m.invert().unwrap();
        assert_eq!(
            inv.certificates["arn:aws:acm:us-west-2:222222222222:certificate/b"],
            "arn:aws:acm:us-east-1:111111111111:certificate/a"
        );
        assert_eq!(inv.subnets["subnet-1b"], "subnet-1a");
        assert_eq!(inv.lambda_functions["orders-dr"], "orders");
        assert_eq!(
            inv.replace["https://new.example.com"],
            "https://old.example.com"
        );
        assert!(inv.hosted_zones.is_empty());
        // Still a valid file: what it says passes the same checks.
        inv.check().unwrap();
        let back = inv.invert().unwrap();
        assert_eq!(
            back,
            Mapping {
                hosted_zones: BTreeMap::new(),
                ..m
            }
        );
        assert_eq!(Mapping::empty().invert().unwrap(), Mapping::empty());
    }

    #[test]
    fn two_sources_mapped_to_one_target_cannot_be_inverted_and_every_clash_is_named() {
        let m = Mapping::parse(
            concat!(
                "[subnets]\n\"subnet-0a\" = \"subnet-0b\"\n\"subnet-1a\" = \"subnet-0b\"\n\"subnet-2a\" = \"subnet-2b\"\n",
                "[lambda_functions]\n\"a\" = \"shared\"\n\"b\" = \"shared\"\n",
            ),
            None,
        )
        .unwrap();
        let e = m.invert().unwrap_err();
        assert!(matches!(e, Error::Invalid(_)), "{e:?}");
        let e = e.to_string();
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(
            e.contains(r#"[subnets] "subnet-0a", "subnet-1a" all map to "subnet-0b""#),
            "{e}"
        );
        assert!(
            e.contains(r#"[lambda_functions] "a", "b" all map to "shared""#),
            "{e}"
        );
        assert!(!e.contains("subnet-2"), "{e}");
    }

    #[test]
    fn hosted_zones_map_domain_or_zone_names_to_zone_ids() {
        let m = Mapping::parse(
            "[hosted_zones]\n\"api.example.com\" = \"Z0123456789ABCDEFGHIJ\"\n\"example.org.\" = \"/hostedzone/Z1D633PJN98FT9\"\n",
            None,
        )
        .unwrap();
        assert_eq!(m.hosted_zones["api.example.com"], "Z0123456789ABCDEFGHIJ");
        assert_eq!(m.hosted_zones["example.org."], "/hostedzone/Z1D633PJN98FT9");
        assert!(!m.is_empty());
        let json = Mapping::parse(r#"{"hosted_zones": {"*.example.net": "ZABC"}}"#, None).unwrap();
        assert_eq!(json.hosted_zones["*.example.net"], "ZABC");

        for (text, says) in [
            (
                "[hosted_zones]\n\"api.example.com\" = \"z-lowercase\"\n",
                "mapping file: [hosted_zones] value \"z-lowercase\" is not a Route 53 hosted zone id (such as Z0123456789ABCDEFGHIJ); see docs/mapping-file.md",
            ),
            (
                "[hosted_zones]\n\"api.example.com\" = \"\"\n",
                "[hosted_zones] value \"\" is not a Route 53 hosted zone id",
            ),
            (
                "[hosted_zones]\n\"https://api.example.com\" = \"ZABC\"\n",
                "[hosted_zones] key \"https://api.example.com\" is not a domain or zone name",
            ),
            (
                "[hosted_zones]\n\"api..example.com\" = \"ZABC\"\n",
                "[hosted_zones] key \"api..example.com\" is not a domain or zone name",
            ),
            ("[hosted_zones]\n\"api.example.com\" = 3\n", "TOML, line 2)"),
        ] {
            let e = Mapping::parse(text, None).unwrap_err();
            assert!(matches!(e, Error::Invalid(_)), "{e:?}");
            let e = e.to_string();
            assert!(e.contains(says), "{text}: {e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }
}
