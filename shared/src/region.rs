//! Where to act, checked before anything is written: an AWS Region code (it must look like
//! one and be one that exists) and an IAM role ARN. A typo is said at once, in one line,
//! rather than after the SDK has retried an endpoint that does not exist. Pure.

use crate::{Error, Result};

/// The public AWS Regions and those of the other partitions (China, GovCloud, the isolated
/// and sovereign ones). A Region newer than this list is accepted when it is named in
/// `APIGW_DR_EXTRA_REGIONS` (comma-separated).
pub const REGIONS: &[&str] = &[
    // aws
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    // aws-cn
    "cn-north-1",
    "cn-northwest-1",
    // aws-us-gov
    "us-gov-east-1",
    "us-gov-west-1",
    // aws-iso, aws-iso-b, aws-iso-e, aws-iso-f
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    // aws-eusc
    "eusc-de-east-1",
];

/// The partitions a role ARN may name.
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The variable that names Regions newer than [`REGIONS`].
pub const EXTRA_REGIONS_VAR: &str = "APIGW_DR_EXTRA_REGIONS";

/// True when `code` has the shape of a Region code: lower-case words joined by `-`, the
/// last a number (`us-east-1`, `us-gov-west-1`, `eusc-de-east-1`).
fn looks_like_region(code: &str) -> bool {
    let parts: Vec<&str> = code.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
        && code.len() <= 32
}

/// Checks a Region code; `extra` are Regions the operator added to the known ones.
pub fn check_region_with(code: &str, extra: &[String]) -> Result<()> {
    if !looks_like_region(code) {
        return Err(Error::Invalid(format!(
            "'{code}' is not an AWS Region code: Region codes look like us-east-1 or eu-west-1"
        )));
    }
    if REGIONS.contains(&code) || extra.iter().any(|e| e == code) {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "unknown AWS Region '{code}': check the spelling (`aws account list-regions` lists your account's Regions); if it is a Region newer than this apigw-dr, name it in {EXTRA_REGIONS_VAR}"
    )))
}

/// Checks a Region code against the known Regions and those in `APIGW_DR_EXTRA_REGIONS`.
pub fn check_region(code: &str) -> Result<()> {
    let extra: Vec<String> = std::env::var(EXTRA_REGIONS_VAR)
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    check_region_with(code, &extra)
}

/// Checks the shape of an IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/NAME`, with a
/// 12-digit account and a role name (optionally after a path).
pub fn check_role_arn(arn: &str) -> Result<()> {
    let bad = || {
        Error::Invalid(format!(
            "'{arn}' is not an IAM role ARN: expected arn:PARTITION:iam::ACCOUNT:role/NAME, with a 12-digit ACCOUNT (e.g. arn:aws:iam::123456789012:role/apigw-dr)"
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [arn_, partition, "iam", "", account, resource] = parts.as_slice() else {
        return Err(bad());
    };
    let name = resource.strip_prefix("role/").unwrap_or("");
    let name_ok = !name.is_empty()
        && name.len() <= 512
        && !name.ends_with('/')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b));
    if *arn_ != "arn"
        || !PARTITIONS.contains(partition)
        || account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
        || !name_ok
    {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-west-1",
            "us-west-2",
            "cn-north-1",
            "us-gov-west-1",
            "us-isob-east-1",
            "eusc-de-east-1",
        ] {
            assert!(check_region_with(ok, &[]).is_ok(), "{ok}");
        }
        let e = check_region_with("mars-east-1", &[]).unwrap_err();
        assert!(matches!(e, Error::Invalid(_)));
        let e = e.to_string();
        assert!(
            e.contains("unknown AWS Region 'mars-east-1'") && e.contains(EXTRA_REGIONS_VAR),
            "{e}"
        );
        assert!(check_region_with("mars-east-1", &["mars-east-1".into()]).is_ok());
        for bad in [
            "Not_A_Region",
            "US-EAST-1",
            "us-east",
            "useast1",
            "us-east-1a",
            "",
            "us--1",
            "us-east-1 ",
        ] {
            let e = check_region_with(bad, &[]).unwrap_err().to_string();
            assert!(e.contains("is not an AWS Region code"), "{bad}: {e}");
            assert!(!e.contains("credentials"), "{e}");
        }
    }

    #[test]
    fn role_arns() {
        for ok in [
            "arn:aws:iam::123456789012:role/apigw-dr",
            "arn:aws-cn:iam::123456789012:role/path/to/dr+x=y,z.w@v_u-t",
            "arn:aws-us-gov:iam::000000000000:role/a",
        ] {
            assert!(check_role_arn(ok).is_ok(), "{ok}");
        }
        for bad in [
            "admin",
            "arn:aws:iam::12345678901:role/x",
            "arn:aws:iam::1234567890123:role/x",
            "arn:aws:iam::12345678901a:role/x",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:sts::123456789012:role/x",
            "arn:mars:iam::123456789012:role/x",
            "arn:aws:iam::123456789012:role/x y",
        ] {
            let e = check_role_arn(bad).unwrap_err().to_string();
            assert!(
                e.contains(&format!("'{bad}' is not an IAM role ARN")),
                "{bad}: {e}"
            );
        }
    }
}
