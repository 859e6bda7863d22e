//! `dynamodb://TABLE`: one item per record. Key: `pk` = "point", `sk` = the point id (the table
//! has partition key `pk` and sort key `sk`, both strings, so later item types such as jobs
//! share it). The record is kept whole in `doc` (JSON); `created` (milliseconds) and
//! `expiresAt` (seconds since the epoch, as DynamoDB TTL wants) stand beside it.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use super::PointRecord;
use crate::awsconf::sdk_error;
use crate::{Error, Result};

const POINT: &str = "point";

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

    pub async fn put(&self, rec: &PointRecord) -> Result<()> {
        let doc = serde_json::to_string(rec).map_err(|e| Error::decode("encoding a record", e))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(POINT.into()))
            .item("sk", AttributeValue::S(rec.id.clone()))
            .item("doc", AttributeValue::S(doc))
            .item("created", AttributeValue::N(rec.created.to_string()))
            .item(
                "expiresAt",
                AttributeValue::N((rec.expires / 1000).to_string()),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&format!("writing to the catalog {}", self.url()), e))
    }

    pub async fn get(&self, id: &str) -> Result<Option<PointRecord>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(POINT.into()))
            .key("sk", AttributeValue::S(id.into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("reading the catalog {}", self.url()), e))?;
        out.item().map(decode).transpose()
    }

    pub async fn list(&self) -> Result<Vec<PointRecord>> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(POINT.into()))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| sdk_error(&format!("listing the catalog {}", self.url()), e))?;
            for item in page.items() {
                out.push(decode(item)?);
            }
        }
        Ok(out)
    }

    pub async fn delete(&self, id: &str) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(POINT.into()))
            .key("sk", AttributeValue::S(id.into()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&format!("deleting from the catalog {}", self.url()), e))
    }
}

fn decode(item: &std::collections::HashMap<String, AttributeValue>) -> Result<PointRecord> {
    let doc = item
        .get("doc")
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| Error::Integrity("a catalog item has no 'doc' attribute".into()))?;
    serde_json::from_str(doc).map_err(|e| Error::decode("decoding a catalog record", e))
}
