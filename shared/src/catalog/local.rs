//! The local catalog: `DIR/points/<id>.json` and `DIR/jobs/<id>.json`, each written
//! atomically (temporary file, sync, rename). Every write is a read-change-write under an
//! exclusive lock on `DIR/<kind>/.lock` (an OS file lock, so it holds between processes and
//! between tasks of one process alike), so no update is lost to another writer.

use std::io::ErrorKind;
use std::path::PathBuf;

use tokio::io::AsyncWriteExt;

use super::{Change, Kind};
use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct LocalCatalog {
    dir: PathBuf,
}

impl LocalCatalog {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LocalCatalog { dir: dir.into() }
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.dir.display())
    }

    fn folder(&self, kind: Kind) -> PathBuf {
        self.dir.join(kind.folder())
    }

    pub async fn check(&self) -> Result<()> {
        tokio::fs::create_dir_all(self.folder(Kind::Point))
            .await
            .map_err(|e| Error::io(format!("cannot use the catalog {}", self.url()), e))
    }

    /// Reads the record, asks `change` what it becomes, and writes that, all under the kind's
    /// lock.
    pub async fn update(&self, kind: Kind, id: &str, change: &mut Change<'_>) -> Result<()> {
        if !valid_id(id) {
            return Err(Error::Invalid(format!(
                "'{id}' cannot name a catalog record: use letters, digits, '-', '_' and '.'"
            )));
        }
        let dir = self.folder(kind);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| Error::io(format!("cannot use the catalog {}", self.url()), e))?;
        let _held = self.lock(kind).await?;
        let old = self.get(kind, id).await?;
        let Some(doc) = change(old)? else {
            return Ok(());
        };
        let path = dir.join(format!("{id}.json"));
        let tmp = dir.join(format!(".{id}.{}.tmp", std::process::id()));
        let write = async {
            let mut f = tokio::fs::File::create(&tmp).await?;
            f.write_all(&doc.bytes).await?;
            f.sync_data().await?;
            drop(f);
            tokio::fs::rename(&tmp, &path).await
        };
        write
            .await
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }

    pub async fn get(&self, kind: Kind, id: &str) -> Result<Option<Vec<u8>>> {
        if !valid_id(id) {
            return Ok(None);
        }
        let path = self.folder(kind).join(format!("{id}.json"));
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
        }
    }

    pub async fn list(&self, kind: Kind) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        let dir = self.folder(kind);
        let mut rd = match tokio::fs::read_dir(&dir).await {
            Ok(rd) => rd,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io(format!("listing {}", dir.display()), e)),
        };
        while let Some(f) = rd
            .next_entry()
            .await
            .map_err(|e| Error::io(format!("listing {}", dir.display()), e))?
        {
            let name = f.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_suffix(".json") else {
                continue;
            };
            if let Some(doc) = self.get(kind, id).await? {
                out.push(doc);
            }
        }
        Ok(out)
    }

    /// Holds the kind's lock until the returned file is dropped.
    async fn lock(&self, kind: Kind) -> Result<std::fs::File> {
        let lock = self.folder(kind).join(".lock");
        let what = || format!("locking {}", lock.display());
        tokio::task::spawn_blocking({
            let lock = lock.clone();
            move || {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock)?;
                f.lock()?;
                Ok::<_, std::io::Error>(f)
            }
        })
        .await
        .map_err(|e| Error::io(what(), std::io::Error::other(e)))?
        .map_err(|e| Error::io(what(), e))
    }

    pub async fn delete(&self, kind: Kind, id: &str) -> Result<()> {
        if !self.folder(kind).is_dir() {
            return Ok(());
        }
        let _held = self.lock(kind).await?;
        let path = self.folder(kind).join(format!("{id}.json"));
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(format!("deleting {}", path.display()), e)),
        }
    }
}

/// Ids are file names here: only plain ones are looked up.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}
