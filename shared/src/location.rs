//! Store and catalog locations as URLs, and opening them.
//!
//! Store: `file://DIR` (default `file://./apigw-dr-data`) or `s3://BUCKET[/PREFIX][?region=R]`.
//! Catalog: `file://DIR`, `dynamodb://TABLE[?region=R]`, or none given: the local catalog of a
//! file store (`DIR/catalog`). An S3 store has no default catalog.

use std::path::PathBuf;

use aws_config::SdkConfig;

use crate::catalog::{Catalog, DynamoCatalog, LocalCatalog};
use crate::store::{FileStore, S3Store, Store};
use crate::{Error, Result};

pub const DEFAULT_STORE: &str = "file://./apigw-dr-data";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    File(PathBuf),
    S3 {
        bucket: String,
        prefix: String,
        region: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogUrl {
    Local(PathBuf),
    Dynamo {
        table: String,
        region: Option<String>,
    },
}

fn split_query(rest: &str) -> Result<(&str, Option<String>)> {
    let Some((path, query)) = rest.split_once('?') else {
        return Ok((rest, None));
    };
    let mut region = None;
    for kv in query.split('&').filter(|s| !s.is_empty()) {
        match kv.split_once('=') {
            Some(("region", r)) if !r.is_empty() => region = Some(r.to_string()),
            _ => {
                return Err(Error::Invalid(format!(
                    "unknown URL option '{kv}': the only option is region=REGION"
                )));
            }
        }
    }
    Ok((path, region))
}

impl StoreUrl {
    pub fn parse(url: &str) -> Result<StoreUrl> {
        if let Some(dir) = url.strip_prefix("file://") {
            if dir.is_empty() {
                return Err(Error::Invalid(
                    "store URL 'file://' needs a folder: file://DIR".into(),
                ));
            }
            return Ok(StoreUrl::File(PathBuf::from(dir)));
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (path, region) = split_query(rest)?;
            let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
            if bucket.is_empty() {
                return Err(Error::Invalid(format!(
                    "store URL '{url}' has no bucket: use s3://BUCKET/PREFIX"
                )));
            }
            return Ok(StoreUrl::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
                region,
            });
        }
        Err(Error::Invalid(format!(
            "unknown store '{url}': use file://DIR or s3://BUCKET/PREFIX"
        )))
    }
}

impl CatalogUrl {
    pub fn parse(url: &str) -> Result<CatalogUrl> {
        if let Some(dir) = url.strip_prefix("file://") {
            if dir.is_empty() {
                return Err(Error::Invalid(
                    "catalog URL 'file://' needs a folder".into(),
                ));
            }
            return Ok(CatalogUrl::Local(PathBuf::from(dir)));
        }
        if let Some(rest) = url.strip_prefix("dynamodb://") {
            let (table, region) = split_query(rest)?;
            let valid = (3..=255).contains(&table.len())
                && table
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
            if !valid {
                return Err(Error::Invalid(format!(
                    "catalog URL '{url}': '{table}' is not a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)"
                )));
            }
            return Ok(CatalogUrl::Dynamo {
                table: table.to_string(),
                region,
            });
        }
        Err(Error::Invalid(format!(
            "unknown catalog '{url}': use file://DIR or dynamodb://TABLE"
        )))
    }

    /// The catalog used when none is given: the local one beside a file store.
    pub fn default_for(store: &StoreUrl) -> Result<CatalogUrl> {
        match store {
            StoreUrl::File(dir) => Ok(CatalogUrl::Local(dir.join("catalog"))),
            StoreUrl::S3 { .. } => Err(Error::Invalid(
                "an s3:// store needs a catalog: pass --catalog dynamodb://TABLE (or set APIGW_DR_CATALOG)"
                    .into(),
            )),
        }
    }
}

/// The SDK configuration for the recovery side (store and catalog), loaded only when an AWS
/// location needs it; `region` in the URL overrides the environment's Region.
async fn home(base: Option<&SdkConfig>, region: &Option<String>) -> Result<SdkConfig> {
    let sdk = match base {
        Some(s) => s.clone(),
        None => crate::awsconf::load(None, None).await?,
    };
    Ok(match region {
        Some(r) => sdk
            .into_builder()
            .region(aws_config::Region::new(r.clone()))
            .build(),
        None => sdk,
    })
}

/// Opens a store and its catalog. `sdk` is the configuration to use for S3 and DynamoDB (the
/// environment's when `None`).
pub async fn open(
    store: &str,
    catalog: Option<&str>,
    sdk: Option<&SdkConfig>,
) -> Result<(Store, Catalog)> {
    let store_url = StoreUrl::parse(store)?;
    let catalog_url = match catalog {
        Some(c) => CatalogUrl::parse(c)?,
        None => CatalogUrl::default_for(&store_url)?,
    };
    let store = match store_url {
        StoreUrl::File(dir) => Store::File(FileStore::new(dir)),
        StoreUrl::S3 {
            bucket,
            prefix,
            region,
        } => Store::S3(S3Store::new(&home(sdk, &region).await?, &bucket, &prefix)),
    };
    let catalog = match catalog_url {
        CatalogUrl::Local(dir) => Catalog::Local(LocalCatalog::new(dir)),
        CatalogUrl::Dynamo { table, region } => {
            Catalog::Dynamo(DynamoCatalog::new(&home(sdk, &region).await?, &table))
        }
    };
    Ok((store, catalog))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls() {
        assert_eq!(
            StoreUrl::parse("file://./d").unwrap(),
            StoreUrl::File("./d".into())
        );
        assert_eq!(
            StoreUrl::parse("s3://b/p/q/?region=eu-west-1").unwrap(),
            StoreUrl::S3 {
                bucket: "b".into(),
                prefix: "p/q".into(),
                region: Some("eu-west-1".into())
            }
        );
        assert_eq!(
            StoreUrl::parse("s3://b").unwrap(),
            StoreUrl::S3 {
                bucket: "b".into(),
                prefix: "".into(),
                region: None
            }
        );
        for bad in ["s3://", "http://x", "file://", "s3://b?x=1", "./dir"] {
            assert!(
                matches!(StoreUrl::parse(bad), Err(Error::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn catalog_urls_and_defaults() {
        assert_eq!(
            CatalogUrl::parse("dynamodb://apigw-dr").unwrap(),
            CatalogUrl::Dynamo {
                table: "apigw-dr".into(),
                region: None
            }
        );
        assert!(CatalogUrl::parse("dynamodb://a").is_err());
        assert!(CatalogUrl::parse("dynamodb://bad name").is_err());
        assert_eq!(
            CatalogUrl::default_for(&StoreUrl::File("/x".into())).unwrap(),
            CatalogUrl::Local("/x/catalog".into())
        );
        let e = CatalogUrl::default_for(&StoreUrl::parse("s3://b").unwrap()).unwrap_err();
        assert!(e.to_string().contains("--catalog dynamodb://"));
    }
}
