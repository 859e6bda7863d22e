//! `dynamodb://TABLE`: one item per record. Key: `pk` = the kind ("point", "job"), `sk` = the
//! record's id (the table has partition key `pk` and sort key `sk`, both strings). The record
//! is kept whole in `doc` (JSON); `created` (milliseconds) and `expiresAt` (seconds since the
//! epoch, as DynamoDB TTL wants) stand beside it, and `version`, which every write increments.
//! A write is conditional on the version it read (optimistic concurrency): when another writer
//! got in first, the record is read again and the change made again on what is there now.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{Change, Kind};
use crate::awsconf::sdk_error;
use crate::{Error, Result};

/// How many times an update reads and writes again when another writer got in first.
const UPDATE_ATTEMPTS: u32 = 50;

#[derive(Debug, Clone)]
pub struct DynamoCatalog {
    client: Client,
    table: String,
}

impl DynamoCatalog {
    pub fn new(sdk: &aws_config::SdkConfig, table: &str) -> Self {
        DynamoCatalog {
            client: Client::new(sdk),
            table: table.to_string(),
        }
    }

    pub fn url(&self) -> String {
        format!("dynamodb://{}", self.table)
    }

    pub async fn check(&self) -> Result<()> {
        self.client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| match sdk_error(&format!("opening the catalog {}", self.url()), e) {
                Error::NotFound(_) => Error::NotFound(format!(
                    "the catalog table '{}' does not exist in this Region: create it (deploy the stack) or fix --catalog",
                    self.table
                )),
                other => other,
            })
    }

    /// Reads the record, asks `change` what it becomes, and writes that only if nobody wrote
    /// the record meanwhile; otherwise reads and asks again.
    pub async fn update(&self, kind: Kind, id: &str, change: &mut Change<'_>) -> Result<()> {
        for attempt in 0..UPDATE_ATTEMPTS {
            let item = self.get_item(kind, id).await?;
            let old = item.as_ref().map(doc).transpose()?;
            let version = item.as_ref().map(version).transpose()?.flatten();
            let Some(new) = change(old)? else {
                return Ok(());
            };
            let mut call = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", AttributeValue::S(kind.key().into()))
                .item("sk", AttributeValue::S(id.into()))
                .item(
                    "doc",
                    AttributeValue::S(String::from_utf8_lossy(&new.bytes).into_owned()),
                )
                .item(
                    "version",
                    AttributeValue::N((version.unwrap_or(0) + 1).to_string()),
                );
            for (name, n) in &new.numbers {
                call = call.item(*name, AttributeValue::N(n.to_string()));
            }
            call = match (&item, version) {
                (None, _) => call.condition_expression("attribute_not_exists(pk)"),
                (Some(_), Some(v)) => call
                    .condition_expression("version = :v")
                    .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
                // Written before records had versions.
                (Some(_), None) => call
                    .condition_expression("attribute_exists(pk) AND attribute_not_exists(version)"),
            };
            match call.send().await {
                Ok(_) => return Ok(()),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(e) => {
                    return Err(sdk_error(
                        &format!("writing to the catalog {}", self.url()),
                        e,
                    ));
                }
            }
        }
        Err(Error::Unavailable(format!(
            "the catalog {} record {}/{id} kept changing under {UPDATE_ATTEMPTS} attempts to update it: try again",
            self.url(),
            kind.key()
        )))
    }

    async fn get_item(
        &self,
        kind: Kind,
        id: &str,
    ) -> Result<Option<std::collections::HashMap<String, AttributeValue>>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(kind.key().into()))
            .key("sk", AttributeValue::S(id.into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("reading the catalog {}", self.url()), e))?;
        Ok(out.item)
    }

    pub async fn get(&self, kind: Kind, id: &str) -> Result<Option<Vec<u8>>> {
        self.get_item(kind, id).await?.as_ref().map(doc).transpose()
    }

    pub async fn list(&self, kind: Kind) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(kind.key().into()))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| sdk_error(&format!("listing the catalog {}", self.url()), e))?;
            for item in page.items() {
                out.push(doc(item)?);
            }
        }
        Ok(out)
    }

    pub async fn delete(&self, kind: Kind, id: &str) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(kind.key().into()))
            .key("sk", AttributeValue::S(id.into()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&format!("deleting from the catalog {}", self.url()), e))
    }
}

fn doc(item: &std::collections::HashMap<String, AttributeValue>) -> Result<Vec<u8>> {
    item.get("doc")
        .and_then(|v| v.as_s().ok())
        .map(|s| s.as_bytes().to_vec())
        .ok_or_else(|| Error::Integrity("a catalog item has no 'doc' attribute".into()))
}

/// The item's `version`; `None` for an item written before records had one.
fn version(item: &std::collections::HashMap<String, AttributeValue>) -> Result<Option<u64>> {
    item.get("version")
        .map(|v| {
            v.as_n().ok().and_then(|n| n.parse().ok()).ok_or_else(|| {
                Error::Integrity("a catalog item's 'version' is not a number".into())
            })
        })
        .transpose()
}

/// A short pause, growing and jittered, before reading a record again that another writer
/// changed meanwhile (up to about 0.1 s).
fn backoff(attempt: u32) -> std::time::Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    let cap = 5u64 << attempt.min(4);
    std::time::Duration::from_millis(1 + h.finish() % cap)
}
