//! `file://DIR`: objects as files, written to a temporary name, synced, then renamed, so a
//! crash never leaves a partial object under a real address.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::AsyncWriteExt;

use super::{ObjectInfo, object_key};
use crate::canonical::is_hash;
use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FileStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.root.display())
    }

    fn path(&self, hash: &str) -> PathBuf {
        self.root.join(object_key(hash))
    }

    pub async fn check(&self) -> Result<()> {
        let dir = self.root.join("objects");
        tokio::fs::create_dir_all(&dir).await.map_err(|e| {
            Error::io(
                format!(
                    "cannot use the store {}: creating {}",
                    self.url(),
                    dir.display()
                ),
                e,
            )
        })?;
        let probe = dir.join(format!(".probe-{}", std::process::id()));
        tokio::fs::write(&probe, b"ok")
            .await
            .map_err(|e| Error::io(format!("the store {} is not writable", self.url()), e))?;
        let _ = tokio::fs::remove_file(&probe).await;
        Ok(())
    }

    pub async fn put(&self, hash: &str, bytes: &[u8]) -> Result<bool> {
        if tokio::fs::try_exists(self.path(hash))
            .await
            .unwrap_or(false)
        {
            return Ok(false);
        }
        self.overwrite(hash, bytes).await?;
        Ok(true)
    }

    /// Writes the object whether or not one is there (used to repair a damaged object).
    pub async fn overwrite(&self, hash: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(hash);
        write_via_tmp(&path, bytes, false)
            .await
            .map_err(|e| Error::io(format!("writing object {}", path.display()), e))
    }

    pub async fn get_raw(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        read_if_there(&self.path(hash), "object").await
    }

    pub async fn list(&self) -> Result<Vec<ObjectInfo>> {
        let mut out = Vec::new();
        let top = self.root.join("objects");
        let mut dirs = match tokio::fs::read_dir(&top).await {
            Ok(d) => d,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io(format!("listing {}", top.display()), e)),
        };
        let err = |e| Error::io(format!("listing {}", top.display()), e);
        while let Some(d) = dirs.next_entry().await.map_err(err)? {
            if !d.file_type().await.map_err(err)?.is_dir() {
                continue;
            }
            let mut files = tokio::fs::read_dir(d.path()).await.map_err(err)?;
            while let Some(f) = files.next_entry().await.map_err(err)? {
                let name = f.file_name().to_string_lossy().into_owned();
                if !is_hash(&name) {
                    continue;
                }
                let meta = f.metadata().await.map_err(err)?;
                let modified = meta
                    .modified()
                    .ok()
                    .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0);
                out.push(ObjectInfo {
                    hash: name,
                    size: meta.len(),
                    modified,
                });
            }
        }
        Ok(out)
    }

    /// Writes `root/NAME` only if nothing has that name: true when this call wrote it.
    pub async fn put_named(&self, name: &str, bytes: &[u8]) -> Result<bool> {
        let path = self.root.join(name);
        match write_via_tmp(&path, bytes, true).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(Error::io(format!("writing {}", path.display()), e)),
        }
    }

    pub async fn get_named(&self, name: &str) -> Result<Option<Vec<u8>>> {
        read_if_there(&self.root.join(name), "file").await
    }

    pub async fn delete(&self, hash: &str) -> Result<()> {
        let path = self.path(hash);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(format!("deleting {}", path.display()), e)),
        }
    }
}

/// Writes `bytes` to `path` through a synced temporary file in the same folder (created if
/// missing), then puts it in place: renamed over whatever is there, or with `only_new`
/// hard-linked, which fails with `AlreadyExists` when the name is taken. A reader never sees a
/// partial file.
async fn write_via_tmp(path: &Path, bytes: &[u8], only_new: bool) -> std::io::Result<()> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().expect("store paths have a parent");
    tokio::fs::create_dir_all(dir).await?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{seq}.tmp", std::process::id()));
    let write = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(bytes).await?;
        f.sync_data().await?;
        drop(f);
        if only_new {
            tokio::fs::hard_link(&tmp, path).await
        } else {
            tokio::fs::rename(&tmp, path).await
        }
    };
    let r = write.await;
    if only_new || r.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    r
}

/// The file's bytes, or None when it does not exist. `what` names it in errors.
async fn read_if_there(path: &Path, what: &str) -> Result<Option<Vec<u8>>> {
    match tokio::fs::read(path).await {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {what} {}", path.display()), e)),
    }
}
