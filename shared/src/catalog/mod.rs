//! The catalog: one record per recovery point (status, source, trigger, counts, bytes,
//! created and expiry times). Local (JSON files beside a file store) or `dynamodb://TABLE`.
//!
//! The catalog only describes; the store holds the content. A record is written after its
//! manifest and every object are in the store, so a record never points at a half-written
//! recovery point.

mod dynamo;
mod local;

pub use dynamo::DynamoCatalog;
pub use local::LocalCatalog;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::model::Source;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub enum PointStatus {
    /// Every object was written; the last verify (if any) found nothing wrong.
    Available,
    /// A verify found missing or altered objects; restore refuses it, prune does not count it
    /// among the points to keep.
    Damaged,
}

impl std::fmt::Display for PointStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PointStatus::Available => "Available",
            PointStatus::Damaged => "Damaged",
        })
    }
}

/// A recovery point as the catalog records it. Its id is the SHA-256 of its manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PointRecord {
    pub id: String,
    #[serde(default)]
    pub labels: Vec<String>,
    /// When this content was first captured (milliseconds since the epoch, like every time
    /// in a record).
    pub created: i64,
    /// When a capture last found the source still exactly like this.
    pub confirmed: i64,
    pub expires: i64,
    pub source: Source,
    /// What took it: `cli`, `schedule`, `change:UpdateMethod`...
    pub trigger: String,
    pub status: PointStatus,
    /// Names of the APIs it holds.
    pub apis: Vec<String>,
    /// Objects per kind.
    pub counts: BTreeMap<String, u64>,
    /// Objects (without the manifest) and their bytes.
    pub objects: u64,
    pub bytes: u64,
}

pub enum Catalog {
    Local(LocalCatalog),
    Dynamo(DynamoCatalog),
}

impl Catalog {
    pub fn url(&self) -> String {
        match self {
            Catalog::Local(c) => c.url(),
            Catalog::Dynamo(c) => c.url(),
        }
    }

    /// Proves the catalog is reachable before any long work starts.
    pub async fn check(&self) -> Result<()> {
        match self {
            Catalog::Local(c) => c.check().await,
            Catalog::Dynamo(c) => c.check().await,
        }
    }

    /// Creates or replaces the record with this id.
    pub async fn put(&self, rec: &PointRecord) -> Result<()> {
        match self {
            Catalog::Local(c) => c.put(rec).await,
            Catalog::Dynamo(c) => c.put(rec).await,
        }
    }

    pub async fn get(&self, id: &str) -> Result<Option<PointRecord>> {
        match self {
            Catalog::Local(c) => c.get(id).await,
            Catalog::Dynamo(c) => c.get(id).await,
        }
    }

    /// Every record, newest first (by the time a capture last confirmed it, then by creation).
    pub async fn list(&self) -> Result<Vec<PointRecord>> {
        let mut all = match self {
            Catalog::Local(c) => c.list().await?,
            Catalog::Dynamo(c) => c.list().await?,
        };
        all.sort_by(|a, b| {
            (b.confirmed, b.created)
                .cmp(&(a.confirmed, a.created))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(all)
    }

    pub async fn delete(&self, id: &str) -> Result<()> {
        match self {
            Catalog::Local(c) => c.delete(id).await,
            Catalog::Dynamo(c) => c.delete(id).await,
        }
    }
}
