//! `s3://BUCKET/PREFIX`: objects in S3, written with `If-None-Match: *` (never overwritten) and
//! a SHA-256 checksum that S3 verifies on upload.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumAlgorithm;

use super::{ObjectInfo, object_key};
use crate::awsconf::{sdk_error, status_of};
use crate::canonical::{is_hash, sha256_hex};
use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
}

impl S3Store {
    /// `prefix` may be empty; otherwise keys are `PREFIX/objects/...`.
    pub fn new(sdk: &aws_config::SdkConfig, bucket: &str, prefix: &str) -> Self {
        let conf = aws_sdk_s3::config::Builder::from(sdk).force_path_style(
            // Custom endpoints (a local AWS, S3-compatible stores) rarely serve virtual hosts.
            sdk.endpoint_url().is_some(),
        );
        S3Store {
            client: Client::from_conf(conf.build()),
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        }
    }

    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    fn key(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{}", self.prefix, rel)
        }
    }

    pub async fn check(&self) -> Result<()> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| match sdk_error(&format!("opening the store {}", self.url()), e) {
                Error::NotFound(_) => Error::NotFound(format!(
                    "the store's bucket '{}' does not exist (or is in another Region): create it or fix --store",
                    self.bucket
                )),
                other => other,
            })
    }

    pub async fn put(&self, hash: &str, bytes: &[u8]) -> Result<bool> {
        self.write(hash, bytes, true).await
    }

    /// Writes the object whether or not one is there (used to repair a damaged object).
    pub async fn overwrite(&self, hash: &str, bytes: &[u8]) -> Result<()> {
        self.write(hash, bytes, false).await.map(|_| ())
    }

    async fn write(&self, hash: &str, bytes: &[u8], only_new: bool) -> Result<bool> {
        self.put_key(
            &object_key(hash),
            bytes,
            only_new,
            &format!("object {hash}"),
        )
        .await
    }

    /// Writes `PREFIX/REL` with a SHA-256 checksum S3 verifies; with `only_new`, only if the key
    /// is free (`If-None-Match: *`; false when it is taken). `what` names it in errors.
    async fn put_key(&self, rel: &str, bytes: &[u8], only_new: bool, what: &str) -> Result<bool> {
        let digest = hex::decode(sha256_hex(bytes)).expect("hex of a digest");
        let res = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(rel))
            .set_if_none_match(only_new.then(|| "*".to_string()))
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(aws_smithy_types::base64::encode(digest))
            .content_type("application/json")
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            // 412: the key is taken already; 409: a concurrent write of the same key.
            Err(e) if matches!(status_of(&e), Some(412) | Some(409)) => Ok(false),
            Err(e) => Err(sdk_error(&format!("writing {what} to {}", self.url()), e)),
        }
    }

    pub async fn get_raw(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        self.read(&self.key(&object_key(hash)), &format!("object {hash}"))
            .await
    }

    /// The bytes at `key`, None when there is no such key. `what` names it in errors.
    async fn read(&self, key: &str, what: &str) -> Result<Option<Vec<u8>>> {
        let res = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        match res {
            Ok(out) => {
                let body = out.body.collect().await.map_err(|e| {
                    Error::Unavailable(format!("reading {what} from {}: {e}", self.url()))
                })?;
                Ok(Some(body.into_bytes().to_vec()))
            }
            Err(e) if status_of(&e) == Some(404) => Ok(None),
            Err(e) => Err(sdk_error(&format!("reading {what} from {}", self.url()), e)),
        }
    }

    pub async fn list(&self) -> Result<Vec<ObjectInfo>> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(self.key("objects/"))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&format!("listing {}", self.url()), e))?;
            for o in page.contents() {
                let Some(key) = o.key() else { continue };
                let name = key.rsplit('/').next().unwrap_or_default();
                if !is_hash(name) {
                    continue;
                }
                out.push(ObjectInfo {
                    hash: name.to_string(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                    modified: o
                        .last_modified()
                        .and_then(|t| t.to_millis().ok())
                        .unwrap_or(0),
                });
            }
        }
        Ok(out)
    }

    /// Writes `PREFIX/NAME` unless it exists; false when it does.
    pub async fn put_named(&self, name: &str, bytes: &[u8]) -> Result<bool> {
        self.put_key(name, bytes, true, name).await
    }

    pub async fn get_named(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.read(&self.key(name), name).await
    }

    pub async fn delete(&self, hash: &str) -> Result<()> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.key(&object_key(hash)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&format!("deleting object {hash} from {}", self.url()), e))
    }
}
