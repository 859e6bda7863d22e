//! The local catalog: `DIR/points/<id>.json`, each written atomically (temporary file, sync,
//! rename).

use std::io::ErrorKind;
use std::path::PathBuf;

use tokio::io::AsyncWriteExt;

use super::PointRecord;
use crate::canonical::is_hash;
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

    fn points(&self) -> PathBuf {
        self.dir.join("points")
    }

    pub async fn check(&self) -> Result<()> {
        tokio::fs::create_dir_all(self.points())
            .await
            .map_err(|e| Error::io(format!("cannot use the catalog {}", self.url()), e))
    }

    pub async fn put(&self, rec: &PointRecord) -> Result<()> {
        self.check().await?;
        let path = self.points().join(format!("{}.json", rec.id));
        let tmp = self
            .points()
            .join(format!(".{}.{}.tmp", rec.id, std::process::id()));
        let bytes =
            serde_json::to_vec_pretty(rec).map_err(|e| Error::decode("encoding a record", e))?;
        let write = async {
            let mut f = tokio::fs::File::create(&tmp).await?;
            f.write_all(&bytes).await?;
            f.sync_data().await?;
            drop(f);
            tokio::fs::rename(&tmp, &path).await
        };
        write
            .await
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }

    pub async fn get(&self, id: &str) -> Result<Option<PointRecord>> {
        if !is_hash(id) {
            return Ok(None);
        }
        let path = self.points().join(format!("{id}.json"));
        match tokio::fs::read(&path).await {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| Error::decode(format!("reading {}", path.display()), e)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
        }
    }

    pub async fn list(&self) -> Result<Vec<PointRecord>> {
        let mut out = Vec::new();
        let dir = self.points();
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
            if let Some(rec) = self.get(id).await? {
                out.push(rec);
            }
        }
        Ok(out)
    }

    pub async fn delete(&self, id: &str) -> Result<()> {
        let path = self.points().join(format!("{id}.json"));
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(format!("deleting {}", path.display()), e)),
        }
    }
}
