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

use crate::model::Source;
use crate::{Error, Result};

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
    /// What the selection the point was taken with brought in by closure, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closure: Vec<String>,
    /// What the capture could not take, and why (the newest capture's, when the same content
    /// is captured again). Empty: the point is complete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<crate::model::Gap>,
}

/// The kinds of record a catalog holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Point,
    Job,
}

impl Kind {
    /// The DynamoDB partition key.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Point => "point",
            Kind::Job => "job",
        }
    }
    /// The local catalog's folder.
    pub fn folder(self) -> &'static str {
        match self {
            Kind::Point => "points",
            Kind::Job => "jobs",
        }
    }
}

pub enum Catalog {
    Local(LocalCatalog),
    Dynamo(DynamoCatalog),
}

fn decode<T: serde::de::DeserializeOwned>(kind: Kind, doc: &[u8]) -> Result<T> {
    serde_json::from_slice(doc)
        .map_err(|e| Error::decode(format!("decoding a catalog {} record", kind.key()), e))
}

fn encode<T: Serialize>(rec: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(rec).map_err(|e| Error::decode("encoding a catalog record", e))
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

    async fn put_doc(
        &self,
        kind: Kind,
        id: &str,
        doc: &[u8],
        numbers: &[(&str, i64)],
    ) -> Result<()> {
        match self {
            Catalog::Local(c) => c.put(kind, id, doc).await,
            Catalog::Dynamo(c) => c.put(kind, id, doc, numbers).await,
        }
    }

    async fn get_doc<T: serde::de::DeserializeOwned>(
        &self,
        kind: Kind,
        id: &str,
    ) -> Result<Option<T>> {
        let doc = match self {
            Catalog::Local(c) => c.get(kind, id).await?,
            Catalog::Dynamo(c) => c.get(kind, id).await?,
        };
        doc.map(|d| decode(kind, &d)).transpose()
    }

    async fn list_docs<T: serde::de::DeserializeOwned>(&self, kind: Kind) -> Result<Vec<T>> {
        let docs = match self {
            Catalog::Local(c) => c.list(kind).await?,
            Catalog::Dynamo(c) => c.list(kind).await?,
        };
        docs.iter().map(|d| decode(kind, d)).collect()
    }

    async fn delete_doc(&self, kind: Kind, id: &str) -> Result<()> {
        match self {
            Catalog::Local(c) => c.delete(kind, id).await,
            Catalog::Dynamo(c) => c.delete(kind, id).await,
        }
    }

    /// Creates or replaces the point record with this id.
    pub async fn put(&self, rec: &PointRecord) -> Result<()> {
        // DynamoDB's TTL wants seconds.
        self.put_doc(
            Kind::Point,
            &rec.id,
            &encode(rec)?,
            &[("created", rec.created), ("expiresAt", rec.expires / 1000)],
        )
        .await
    }

    pub async fn get(&self, id: &str) -> Result<Option<PointRecord>> {
        if !crate::canonical::is_hash(id) {
            return Ok(None);
        }
        self.get_doc(Kind::Point, id).await
    }

    /// Every point record, newest first (by the time a capture last confirmed it, then by
    /// creation).
    pub async fn list(&self) -> Result<Vec<PointRecord>> {
        let mut all: Vec<PointRecord> = self.list_docs(Kind::Point).await?;
        all.sort_by(|a, b| {
            (b.confirmed, b.created)
                .cmp(&(a.confirmed, a.created))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(all)
    }

    pub async fn delete(&self, id: &str) -> Result<()> {
        self.delete_doc(Kind::Point, id).await
    }

    /// Creates or replaces a job record.
    pub async fn put_job(&self, job: &crate::jobs::JobRecord) -> Result<()> {
        self.put_doc(
            Kind::Job,
            &job.id,
            &encode(job)?,
            &[("created", job.created)],
        )
        .await
    }

    pub async fn get_job(&self, id: &str) -> Result<Option<crate::jobs::JobRecord>> {
        self.get_doc(Kind::Job, id).await
    }

    /// Every job, newest first.
    pub async fn list_jobs(&self) -> Result<Vec<crate::jobs::JobRecord>> {
        let mut all: Vec<crate::jobs::JobRecord> = self.list_docs(Kind::Job).await?;
        all.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        Ok(all)
    }
}
