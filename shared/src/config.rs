//! The Lambda functions' settings, read from their environment (set by the SAM template).
//! Parsed from a lookup function so tests build them without touching the process environment.

use crate::point::DEFAULT_RETENTION_DAYS;
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionConfig {
    /// `APIGW_DR_SOURCE_REGION`: the Region whose APIs are protected (default: the function's).
    pub source_region: Option<String>,
    /// `APIGW_DR_SOURCE_ROLE_ARN`: role to assume in the source account (default: none, same
    /// account).
    pub source_role_arn: Option<String>,
    /// `APIGW_DR_SELECT`: comma-separated REST API names or ids (default: all).
    pub select: Vec<String>,
    /// `APIGW_DR_EVENT_BUS`: where discovery sends snapshot requests (default: `default`).
    pub event_bus: String,
    /// `APIGW_DR_STORE`: the recovery point store (snapshot function).
    pub store: Option<String>,
    /// `APIGW_DR_CATALOG`: the catalog (snapshot function).
    pub catalog: Option<String>,
    /// `APIGW_DR_RETENTION_DAYS` (default 30).
    pub retention_days: i64,
    /// `APIGW_DR_ALARM_NAME`: the alarm whose ALARM state starts a failover (default: any
    /// alarm the rule forwards).
    pub alarm_name: Option<String>,
    /// `APIGW_DR_RECOVERY_REGION`: where the recovery function restores (default: its own
    /// Region).
    pub recovery_region: Option<String>,
    /// `APIGW_DR_RECOVERY_ROLE_ARN`: role to assume in the recovery account (default: none).
    pub recovery_role_arn: Option<String>,
    /// `APIGW_DR_MAPPING`: the mapping file's text (TOML or JSON) for restores.
    pub mapping: Option<String>,
    /// `APIGW_DR_DEBOUNCE_QUEUE_URL`: the SQS queue that delays change checks; without it,
    /// every change event asks for a snapshot at once.
    pub debounce_queue_url: Option<String>,
    /// `APIGW_DR_QUIET_SECONDS` (default 60): a burst of changes is over when the API has
    /// been quiet this long.
    pub quiet_seconds: u64,
    /// `APIGW_DR_MAX_DEFER_SECONDS` (default 300): a continuous stream of changes still gets
    /// a point at least this often.
    pub max_defer_seconds: u64,
    /// `APIGW_DR_KMS_KEY`: the KMS key (id, ARN or alias) that seals API key values in the
    /// store (envelope encryption, see `secret`); needed when the source has API keys.
    pub kms_key: Option<String>,
    /// `APIGW_DR_SWITCH_DNS` (`true` or `false`, default `true`): whether a failover points the
    /// restored custom domains' DNS records at the recovery Region once the restore verified.
    pub switch_dns: bool,
    /// `APIGW_DR_RTO_OBJECTIVE` (seconds, optional): a drill whose recovery time exceeds it
    /// fails (crate::drill).
    pub rto_objective: Option<f64>,
}

fn seconds(v: Option<String>, name: &str, default: u64) -> Result<u64> {
    match v {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| Error::Invalid(format!("{name}='{v}' is not a whole number of seconds"))),
    }
}

impl FunctionConfig {
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let retention_days = match get("APIGW_DR_RETENTION_DAYS") {
            None => DEFAULT_RETENTION_DAYS,
            Some(v) => v.parse::<i64>().ok().filter(|d| *d > 0).ok_or_else(|| {
                Error::Invalid(format!(
                    "APIGW_DR_RETENTION_DAYS='{v}' is not a positive whole number"
                ))
            })?,
        };
        // Where to act is checked now: a typo fails the function's start, not a restore.
        let named = |var: &str, check: fn(&str) -> Result<()>| -> Result<Option<String>> {
            let v = get(var);
            if let Some(v) = &v {
                check(v).map_err(|e| Error::Invalid(format!("{var}: {e}")))?;
            }
            Ok(v)
        };
        Ok(FunctionConfig {
            source_region: named("APIGW_DR_SOURCE_REGION", crate::region::check_region)?,
            source_role_arn: named("APIGW_DR_SOURCE_ROLE_ARN", crate::region::check_role_arn)?,
            select: get("APIGW_DR_SELECT")
                .map(|s| {
                    s.split(',')
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            event_bus: get("APIGW_DR_EVENT_BUS").unwrap_or_else(|| "default".into()),
            store: get("APIGW_DR_STORE"),
            catalog: get("APIGW_DR_CATALOG"),
            retention_days,
            alarm_name: get("APIGW_DR_ALARM_NAME"),
            recovery_region: named("APIGW_DR_RECOVERY_REGION", crate::region::check_region)?,
            recovery_role_arn: named("APIGW_DR_RECOVERY_ROLE_ARN", crate::region::check_role_arn)?,
            mapping: get("APIGW_DR_MAPPING"),
            debounce_queue_url: get("APIGW_DR_DEBOUNCE_QUEUE_URL"),
            quiet_seconds: seconds(get("APIGW_DR_QUIET_SECONDS"), "APIGW_DR_QUIET_SECONDS", 60)?,
            max_defer_seconds: seconds(
                get("APIGW_DR_MAX_DEFER_SECONDS"),
                "APIGW_DR_MAX_DEFER_SECONDS",
                300,
            )?,
            kms_key: get("APIGW_DR_KMS_KEY"),
            switch_dns: match get("APIGW_DR_SWITCH_DNS").map(|v| v.to_ascii_lowercase()) {
                None => true,
                Some(v) if v == "true" => true,
                Some(v) if v == "false" => false,
                Some(v) => {
                    return Err(Error::Invalid(format!(
                        "APIGW_DR_SWITCH_DNS='{v}' is neither true nor false"
                    )));
                }
            },
            rto_objective: crate::drill::objective(get)?,
        })
    }

    /// How the functions seal and open API key values: with the configured KMS key.
    pub fn key_options(&self) -> crate::secret::KeyOptions {
        crate::secret::KeyOptions {
            key_file: None,
            kms_key: self.kms_key.clone(),
        }
    }

    /// The store and catalog URLs, which the snapshot function cannot do without.
    pub fn store_and_catalog(&self) -> Result<(&str, &str)> {
        match (&self.store, &self.catalog) {
            (Some(s), Some(c)) => Ok((s, c)),
            _ => Err(Error::Invalid(
                "APIGW_DR_STORE and APIGW_DR_CATALOG must be set (s3://BUCKET/PREFIX and dynamodb://TABLE)"
                    .into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<FunctionConfig> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        FunctionConfig::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_and_values() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.event_bus, "default");
        assert_eq!(c.retention_days, 30);
        assert!(c.select.is_empty());
        assert!(c.store_and_catalog().is_err());
        let c = cfg(&[
            ("APIGW_DR_SELECT", " orders, ,pets "),
            ("APIGW_DR_RETENTION_DAYS", "7"),
        ])
        .unwrap();
        assert_eq!(c.select, vec!["orders", "pets"]);
        assert_eq!(c.retention_days, 7);
        assert!(cfg(&[("APIGW_DR_RETENTION_DAYS", "-1")]).is_err());
        assert!(cfg(&[("APIGW_DR_RETENTION_DAYS", "x")]).is_err());
        assert_eq!(c.kms_key, None);
        let c = cfg(&[("APIGW_DR_KMS_KEY", " alias/apigw-dr ")]).unwrap();
        assert_eq!(c.key_options().kms_key.as_deref(), Some("alias/apigw-dr"));
    }

    #[test]
    fn dns_is_switched_unless_turned_off() {
        assert!(cfg(&[]).unwrap().switch_dns);
        assert!(cfg(&[("APIGW_DR_SWITCH_DNS", "True")]).unwrap().switch_dns);
        assert!(
            !cfg(&[("APIGW_DR_SWITCH_DNS", " false ")])
                .unwrap()
                .switch_dns
        );
        let e = cfg(&[("APIGW_DR_SWITCH_DNS", "no")])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("APIGW_DR_SWITCH_DNS='no'"), "{e}");
    }

    #[test]
    fn a_bad_drill_objective_fails_the_start() {
        assert_eq!(cfg(&[]).unwrap().rto_objective, None);
        let c = cfg(&[("APIGW_DR_RTO_OBJECTIVE", " 900 ")]).unwrap();
        assert_eq!(c.rto_objective, Some(900.0));
        assert!(cfg(&[("APIGW_DR_RTO_OBJECTIVE", "soon")]).is_err());
    }

    #[test]
    fn where_to_act_is_checked_at_start() {
        let c = cfg(&[
            ("APIGW_DR_RECOVERY_REGION", "us-west-2"),
            (
                "APIGW_DR_SOURCE_ROLE_ARN",
                "arn:aws:iam::123456789012:role/dr",
            ),
        ])
        .unwrap();
        assert_eq!(c.recovery_region.as_deref(), Some("us-west-2"));
        for (var, value, says) in [
            (
                "APIGW_DR_RECOVERY_REGION",
                "mars-east-1",
                "unknown AWS Region",
            ),
            (
                "APIGW_DR_SOURCE_REGION",
                "Not_A_Region",
                "not an AWS Region code",
            ),
            ("APIGW_DR_RECOVERY_ROLE_ARN", "admin", "not an IAM role ARN"),
            (
                "APIGW_DR_SOURCE_ROLE_ARN",
                "arn:aws:iam::1:role/x",
                "not an IAM role ARN",
            ),
        ] {
            let e = cfg(&[(var, value)]).unwrap_err();
            assert!(matches!(e, Error::Invalid(_)), "{e}");
            let e = e.to_string();
            assert!(
                e.starts_with(&format!("{var}: ")) && e.contains(says),
                "{e}"
            );
        }
    }
}
