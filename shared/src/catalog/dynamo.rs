//! `dynamodb://TABLE`: one item per record. Key: `pk` = the kind ("point", "job"), `sk` = the
//! record's id (the table has partition key `pk` and sort key `sk`, both strings). The record is kept whole in `doc` (JSON); `created` (milliseconds) and
//! `expiresAt` (seconds since the epoch, as DynamoDB TTL wants) stand beside it.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use super::Kind;
use crate::awsconf::sdk_error;
use crate::{Error, Result};

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

    /// Writes a document; `numbers` are stored beside it as number attributes.
    pub async fn put(
        &self,
        kind: Kind,
        id: &str,
        doc: &[u8],
        numbers: &[(&str, i64)],
    ) -> Result<()> {
        let doc = String::from_utf8_lossy(doc).into_owned();
        let mut call = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(kind.key().into()))
            .item("sk", AttributeValue::S(id.into()))
            .item("doc", AttributeValue::S(doc));
        for (name, n) in numbers {
            call = call.item(*name, AttributeValue::N(n.to_string()));
        }
        call.send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&format!("writing to the catalog {}", self.url()), e))
    }

    pub async fn get(&self, kind: Kind, id: &str) -> Result<Option<Vec<u8>>> {
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
        out.item().map(doc).transpose()
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
