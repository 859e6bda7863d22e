//! The recovery point store: immutable objects addressed by the SHA-256 of their bytes.
//!
//! Two back ends, `file://DIR` ([`FileStore`]) and `s3://BUCKET/PREFIX` ([`S3Store`]), behind
//! one enum so callers need not be generic. Objects live under `objects/<2 hex>/<hash>`. Every
//! read goes through [`Store::get`], which checks the hash: a missing or altered object is an
//! [`Error::Integrity`], never silently returned.

mod file;
mod s3;

pub use file::FileStore;
pub use s3::S3Store;

use crate::canonical::{is_hash, sha256_hex};
use crate::{Error, Result};

/// What the store knows of one object, for garbage collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub hash: String,
    pub size: u64,
    /// When the object was last written, in milliseconds since the epoch.
    pub modified: i64,
}

#[derive(Debug, Clone)]
pub enum Store {
    File(FileStore),
    S3(S3Store),
}

/// The key of an object below the store's root.
pub fn object_key(hash: &str) -> String {
    format!("objects/{}/{}", &hash[..2], hash)
}

impl Store {
    /// The store's URL, for messages.
    pub fn url(&self) -> String {
        match self {
            Store::File(s) => s.url(),
            Store::S3(s) => s.url(),
        }
    }

    /// Proves the store is reachable and writable before any long work starts.
    pub async fn check(&self) -> Result<()> {
        match self {
            Store::File(s) => s.check().await,
            Store::S3(s) => s.check().await,
        }
    }

    /// Writes `bytes` under their hash unless an object with that hash exists. True when this
    /// call wrote it.
    pub async fn put(&self, hash: &str, bytes: &[u8]) -> Result<bool> {
        debug_assert_eq!(hash, sha256_hex(bytes));
        match self {
            Store::File(s) => s.put(hash, bytes).await,
            Store::S3(s) => s.put(hash, bytes).await,
        }
    }

    /// Like [`Store::put`], but an existing object that is missing or damaged is written again.
    /// True when this call wrote it.
    pub async fn repair(&self, hash: &str, bytes: &[u8]) -> Result<bool> {
        match self.get(hash, "repair").await {
            Ok(_) => Ok(false),
            Err(Error::Integrity(_)) => {
                match self {
                    Store::File(s) => s.overwrite(hash, bytes).await?,
                    Store::S3(s) => s.overwrite(hash, bytes).await?,
                }
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }

    /// The object's bytes, checked against its hash. `what` names the object in errors
    /// (e.g. its logical id).
    pub async fn get(&self, hash: &str, what: &str) -> Result<Vec<u8>> {
        if !is_hash(hash) {
            return Err(Error::Integrity(format!(
                "{what}: '{hash}' is not a SHA-256 address"
            )));
        }
        let raw = match self {
            Store::File(s) => s.get_raw(hash).await?,
            Store::S3(s) => s.get_raw(hash).await?,
        };
        let Some(bytes) = raw else {
            return Err(Error::Integrity(format!(
                "object {hash} ({what}) is missing from {}",
                self.url()
            )));
        };
        let actual = sha256_hex(&bytes);
        if actual != hash {
            return Err(Error::Integrity(format!(
                "object {hash} ({what}) in {} is damaged: its content hashes to {actual}",
                self.url()
            )));
        }
        Ok(bytes)
    }

    /// Every object in the store.
    pub async fn list(&self) -> Result<Vec<ObjectInfo>> {
        match self {
            Store::File(s) => s.list().await,
            Store::S3(s) => s.list().await,
        }
    }

    pub async fn delete(&self, hash: &str) -> Result<()> {
        match self {
            Store::File(s) => s.delete(hash).await,
            Store::S3(s) => s.delete(hash).await,
        }
    }

    /// Writes a named object (such as `keys/kms-....json`) unless one of that name exists; true
    /// when this call wrote it. Named objects live beside `objects/`, are never overwritten, and
    /// are not part of any recovery point (prune leaves them alone).
    pub async fn put_named(&self, name: &str, bytes: &[u8]) -> Result<bool> {
        check_name(name)?;
        match self {
            Store::File(s) => s.put_named(name, bytes).await,
            Store::S3(s) => s.put_named(name, bytes).await,
        }
    }

    /// A named object's bytes, or None when there is none of that name.
    pub async fn get_named(&self, name: &str) -> Result<Option<Vec<u8>>> {
        check_name(name)?;
        match self {
            Store::File(s) => s.get_named(name).await,
            Store::S3(s) => s.get_named(name).await,
        }
    }
}

/// A named object's name: relative, `/`-separated parts of `a-z 0-9 . _ -`, not below
/// `objects/` (the content-addressed part) and without `.` or `..` parts.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with("objects/")
        && name.split('/').all(|p| {
            !p.is_empty()
                && p != "."
                && p != ".."
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        });
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "'{name}' is not a named object's name"
        )))
    }
}
