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

use serde::Serialize;

use crate::records::JobRecord;
pub use crate::records::{PointRecord, PointStatus};
use crate::{Error, Result};

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

/// A record as a backend writes it: the JSON document, and numbers kept beside it (DynamoDB
/// attributes: `created` for sorting, `expiresAt` for TTL).
pub struct Doc {
    pub bytes: Vec<u8>,
    pub numbers: Vec<(&'static str, i64)>,
}

/// What an update does with the record it read (its document, or `None` when there is none):
/// the document to write, or `None` to leave the record as it is. A backend may call it more
/// than once (when another writer got in first), each time with the record as it is then.
pub type Change<'a> = dyn FnMut(Option<Vec<u8>>) -> Result<Option<Doc>> + Send + 'a;

/// A kind of record the catalog keeps, with the numbers stored beside its document.
pub trait Record: Serialize + serde::de::DeserializeOwned + Send {
    const KIND: Kind;
    fn numbers(&self) -> Vec<(&'static str, i64)>;
}

impl Record for PointRecord {
    const KIND: Kind = Kind::Point;
    fn numbers(&self) -> Vec<(&'static str, i64)> {
        // DynamoDB's TTL wants seconds.
        vec![
            ("created", self.created),
            ("expiresAt", self.expires / 1000),
        ]
    }
}

impl Record for JobRecord {
    const KIND: Kind = Kind::Job;
    fn numbers(&self) -> Vec<(&'static str, i64)> {
        vec![("created", self.created)]
    }
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

    /// Reads the record `id` of `T`'s kind, lets `change` decide what it becomes, and writes
    /// that, atomically: no other write to the record comes between the read and the write
    /// (the local catalog holds a lock over both; DynamoDB writes only if the record is still
    /// at the version read, and reads again otherwise). Returns what the record is afterwards.
    pub async fn update<T: Record>(
        &self,
        id: &str,
        mut change: impl FnMut(Option<T>) -> Result<Option<T>> + Send,
    ) -> Result<Option<T>> {
        let kind = T::KIND;
        let mut last: Option<Vec<u8>> = None;
        let mut step = |old: Option<Vec<u8>>| -> Result<Option<Doc>> {
            let old_rec: Option<T> = old.as_deref().map(|d| decode(kind, d)).transpose()?;
            match change(old_rec)? {
                Some(new) => {
                    let bytes = encode(&new)?;
                    last = Some(bytes.clone());
                    Ok(Some(Doc {
                        bytes,
                        numbers: new.numbers(),
                    }))
                }
                None => {
                    last = old;
                    Ok(None)
                }
            }
        };
        match self {
            Catalog::Local(c) => c.update(kind, id, &mut step).await?,
            Catalog::Dynamo(c) => c.update(kind, id, &mut step).await?,
        }
        last.map(|d| decode(kind, &d)).transpose()
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

    /// Creates or replaces the point record with this id (see [`Catalog::update`] to change
    /// one without losing what another writer did meanwhile).
    pub async fn put(&self, rec: &PointRecord) -> Result<()> {
        self.update::<PointRecord>(&rec.id, |_| Ok(Some(rec.clone())))
            .await
            .map(|_| ())
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

    /// Writes a job record, refusing to overwrite what another run of the job wrote: a new job
    /// (`revision` 0) is created only if no job has its id; a job read from the catalog is
    /// written only if the record is still at the revision read. Either way `job.revision`
    /// counts the writes afterwards.
    pub async fn put_job(&self, job: &mut JobRecord) -> Result<()> {
        let expected = job.revision;
        let mut next = job.clone();
        next.revision = expected + 1;
        self.update::<JobRecord>(&job.id, |old| match old {
            None if expected == 0 => Ok(Some(next.clone())),
            None => Err(Error::NotFound(format!(
                "restore job {} is no longer in the catalog {}: it was removed while it ran",
                job.id,
                self.url()
            ))),
            Some(old) if old.revision == expected && expected > 0 => Ok(Some(next.clone())),
            Some(old) if expected == 0 => Err(Error::Conflict(format!(
                "a restore job {} already exists (phase {}): `apigw-dr status {}` follows it",
                job.id, old.phase, job.id
            ))),
            Some(old) => Err(Error::Conflict(format!(
                "restore job {} was changed by another run of it meanwhile (it is now {}): this run stops so as not to overwrite it; `apigw-dr status {}` follows the job",
                job.id, old.phase, job.id
            ))),
        })
        .await?;
        job.revision = expected + 1;
        Ok(())
    }

    pub async fn get_job(&self, id: &str) -> Result<Option<JobRecord>> {
        self.get_doc(Kind::Job, id).await
    }

    /// Every job, newest first.
    pub async fn list_jobs(&self) -> Result<Vec<JobRecord>> {
        let mut all: Vec<JobRecord> = self.list_docs(Kind::Job).await?;
        all.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        Ok(all)
    }
}
