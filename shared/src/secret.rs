//! Sealing secrets (API key values) so that a recovery point never holds them in clear text.
//!
//! One 32-byte **data key** seals every value: AES-256-GCM-SIV with a synthetic nonce,
//! `HMAC-SHA256(nonce key, len(aad) || aad || value)[..12]`, and the API key's source id as
//! associated data; the encryption and nonce keys are derived from the data key with HMAC. The
//! same (data key, API key id, value) therefore always gives the same [`Sealed`] bytes: the store
//! is content-addressed, and an unchanged source must give the same recovery point and write no
//! object. (Equal values of one key id seal equally; that is all determinism reveals.)
//!
//! Where the data key comes from ([`Sealer::for_store`]):
//! - **Local** (the default for a `file://DIR` store, or `--key-file PATH` / `APIGW_DR_KEY_FILE`):
//!   a key file, default `DIR/secret.key`, created on first use with mode 0600 (32 random bytes,
//!   base64). It lies outside `DIR/objects`, so it never enters the content-addressed store;
//!   whoever copies the store to restore elsewhere needs the key file too (docs/secrets.md).
//!   [`Sealed::key`] is `local:` + the first 16 hex digits of the key's SHA-256.
//! - **KMS** (`--kms-key KEYID` / `APIGW_DR_KMS_KEY`): envelope encryption. KMS GenerateDataKey
//!   (AES_256) makes the data key once; its wrapped form is kept in the store as the named object
//!   `keys/kms-<first 16 hex of sha256(KEYID)>.json` (`{kmsKeyId, wrapped}`), and later runs read
//!   it and unwrap it with KMS Decrypt. [`Sealed::key`] is `kms:KEYID:` + a short fingerprint of
//!   the wrapped blob.
//! - An `s3://` store with neither: sealing fails with one line that says to pass `--kms-key`
//!   (or `--key-file`).
//!
//! Opening ([`Sealer::open`]) follows the key a value names: a KMS-sealed value is opened with
//! the wrapped key found in the store (whatever mode this sealer seals in); a locally sealed one
//! needs the same key file. A wrong or missing key is one clear error naming the key.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aws_config::SdkConfig;
use aws_lc_rs::aead::{AES_256_GCM_SIV, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::canonical::sha256_hex;
pub use crate::model::estate::Sealed;
use crate::store::Store;
use crate::{Error, Result};

/// [`Sealed::alg`] of every value this module seals.
pub const ALG: &str = "AES-256-GCM-SIV";

/// The key file's name inside a `file://DIR` store when none is given.
pub const KEY_FILE_NAME: &str = "secret.key";

/// Where the operator says the key is (`--key-file`, `--kms-key`, or their environment
/// variables); both empty means the store's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyOptions {
    pub key_file: Option<PathBuf>,
    pub kms_key: Option<String>,
}

/// A data key and the label values sealed with it carry.
#[derive(Clone)]
struct DataKey {
    bytes: [u8; 32],
    label: String,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
enum Mode {
    Local(PathBuf),
    Kms(String),
    /// No key for sealing here (an `s3://` store with neither option): the store's URL.
    Unset(String),
}

/// The keyring: seals API key values at capture and opens them at restore.
#[derive(Debug)]
pub struct Sealer {
    mode: Mode,
    /// Where KMS-wrapped data keys are kept.
    store: Option<Store>,
    /// The configuration KMS is called with (the environment's when None).
    sdk: Option<SdkConfig>,
    /// Data keys already loaded, by label; `sealing` is the label of the one that seals.
    keys: tokio::sync::Mutex<HashMap<String, DataKey>>,
    sealing: tokio::sync::Mutex<Option<String>>,
}

/// The first 16 hex digits of the SHA-256 of `bytes`.
fn fingerprint(bytes: &[u8]) -> String {
    sha256_hex(bytes)[..16].to_string()
}

/// The named object that keeps the wrapped data key of a KMS key.
pub fn kms_key_object(kms_key_id: &str) -> String {
    format!("keys/kms-{}.json", fingerprint(kms_key_id.as_bytes()))
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WrappedKey {
    kms_key_id: String,
    /// base64 of KMS's ciphertext blob.
    wrapped: String,
}

impl Sealer {
    /// The keyring for `store` (see the module doc for the modes). `sdk` is the configuration
    /// for KMS (the environment's when None). Nothing is read or created until a value is sealed
    /// or opened.
    pub fn for_store(store: &Store, opts: &KeyOptions, sdk: Option<&SdkConfig>) -> Sealer {
        let mode = match (&opts.kms_key, &opts.key_file, store) {
            (Some(id), _, _) => Mode::Kms(id.clone()),
            (None, Some(path), _) => Mode::Local(path.clone()),
            (None, None, Store::File(f)) => Mode::Local(f.root().join(KEY_FILE_NAME)),
            (None, None, Store::S3(_)) => Mode::Unset(store.url()),
        };
        Sealer {
            mode,
            store: Some(store.clone()),
            sdk: sdk.cloned(),
            keys: Default::default(),
            sealing: Default::default(),
        }
    }

    /// A keyring of one local key file and no store (tests, tools).
    pub fn local(key_file: impl Into<PathBuf>) -> Sealer {
        Sealer {
            mode: Mode::Local(key_file.into()),
            store: None,
            sdk: None,
            keys: Default::default(),
            sealing: Default::default(),
        }
    }

    /// What seals new values, for messages: `local key file PATH`, `KMS key ID`, or `none`.
    pub fn describe(&self) -> String {
        match &self.mode {
            Mode::Local(p) => format!("local key file {}", p.display()),
            Mode::Kms(id) => format!("KMS key {id}"),
            Mode::Unset(_) => "none".into(),
        }
    }

    /// Seals `value`, the value of the API key whose source id is `api_key_id`.
    pub async fn seal(&self, api_key_id: &str, value: &str) -> Result<Sealed> {
        let key = self.sealing_key().await?;
        Ok(seal_with(&key, api_key_id, value))
    }

    /// The clear value of a sealed API key value; `api_key_id` is the API key's source id (the
    /// associated data it was sealed with).
    pub async fn open(&self, api_key_id: &str, sealed: &Sealed) -> Result<String> {
        if sealed.alg != ALG {
            return Err(Error::Invalid(format!(
                "the value of API key {api_key_id} is sealed with '{}', which this version of apigw-dr does not know ({ALG} only): use the version that took the point",
                sealed.alg
            )));
        }
        let key = self.key_for(&sealed.key).await?;
        open_with(&key, api_key_id, sealed)
    }

    /// The data key that seals, loaded (or made) once.
    async fn sealing_key(&self) -> Result<DataKey> {
        let mut label = self.sealing.lock().await;
        if let Some(l) = &*label
            && let Some(k) = self.keys.lock().await.get(l)
        {
            return Ok(k.clone());
        }
        let key = match &self.mode {
            Mode::Local(path) => local_key(path, true).await?.expect("created when missing"),
            Mode::Kms(id) => self.kms_key(id, true).await?,
            Mode::Unset(url) => {
                return Err(Error::Invalid(format!(
                    "the source has API keys, whose values are sealed before they are stored, and the store {url} has no key: pass --kms-key KEYID (or set APIGW_DR_KMS_KEY) to seal them with KMS, or --key-file PATH (APIGW_DR_KEY_FILE) to use a local key"
                )));
            }
        };
        *label = Some(key.label.clone());
        self.remember(&key).await;
        Ok(key)
    }

    async fn remember(&self, key: &DataKey) {
        self.keys
            .lock()
            .await
            .insert(key.label.clone(), key.clone());
    }

    /// The data key a sealed value names by its label.
    async fn key_for(&self, label: &str) -> Result<DataKey> {
        if let Some(k) = self.keys.lock().await.get(label) {
            return Ok(k.clone());
        }
        let key = if let Some(fp) = label.strip_prefix("local:") {
            let path = match &self.mode {
                Mode::Local(p) => Some(p.as_path()),
                _ => None,
            };
            let have = match path {
                Some(p) => local_key(p, false).await?,
                None => None,
            };
            match have {
                Some(k) if k.label == label => k,
                have => {
                    let here = match (path, have) {
                        (Some(p), Some(k)) => {
                            format!("the key file {} holds {}", p.display(), k.label)
                        }
                        (Some(p), None) => format!("there is no key file {}", p.display()),
                        (None, _) => format!("this run uses {}", self.describe()),
                    };
                    return Err(Error::Invalid(format!(
                        "the API key values of this point were sealed with the local key local:{fp}, and {here}: pass --key-file PATH (or set APIGW_DR_KEY_FILE) with the key file that was beside the store where the point was taken (docs/secrets.md)"
                    )));
                }
            }
        } else if let Some(rest) = label.strip_prefix("kms:") {
            let Some((id, _)) = rest.rsplit_once(':') else {
                return Err(not_a_label(label));
            };
            let key = self.kms_key(id, false).await?;
            if key.label != label {
                return Err(Error::Integrity(format!(
                    "the API key values of this point were sealed with {label}, but the store's wrapped data key of KMS key {id} is now {}: the key object {} was replaced; restore it from a copy of the store",
                    key.label,
                    kms_key_object(id)
                )));
            }
            key
        } else {
            return Err(not_a_label(label));
        };
        self.remember(&key).await;
        Ok(key)
    }

    /// The data key of KMS key `id`: its wrapped form read from the store (or, with `create`,
    /// made by GenerateDataKey and written there when missing) and unwrapped by KMS Decrypt.
    async fn kms_key(&self, id: &str, create: bool) -> Result<DataKey> {
        let Some(store) = &self.store else {
            return Err(Error::Invalid(format!(
                "KMS key {id}: no store to keep its wrapped data key in"
            )));
        };
        let name = kms_key_object(id);
        let kms = self.kms_client().await?;
        let wrapped = match read_wrapped(store, &name).await? {
            Some(w) => w,
            None if !create => {
                return Err(Error::NotFound(format!(
                    "the API key values of this point were sealed with KMS key {id}, whose wrapped data key {name} is missing from {}: copy it from the store the point was taken in",
                    store.url()
                )));
            }
            None => {
                let out = kms
                    .generate_data_key()
                    .key_id(id)
                    .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
                    .send()
                    .await
                    .map_err(|e| {
                        crate::awsconf::sdk_error(
                            &format!("making a data key with KMS key {id} (kms:GenerateDataKey)"),
                            e,
                        )
                    })?;
                let blob = out
                    .ciphertext_blob()
                    .map(|b| b.as_ref().to_vec())
                    .unwrap_or_default();
                let doc = WrappedKey {
                    kms_key_id: id.to_string(),
                    wrapped: B64.encode(&blob),
                };
                let bytes = serde_json::to_vec(&doc)
                    .map_err(|e| Error::decode("encoding the wrapped data key", e))?;
                if store.put_named(&name, &bytes).await? {
                    tracing::info!(kms_key = id, object = %name, "made a data key for API key values");
                    blob
                } else {
                    // Another run wrote it first: use theirs, so every point shares one key.
                    read_wrapped(store, &name).await?.ok_or_else(|| {
                        Error::Unavailable(format!("{name} in {} vanished", store.url()))
                    })?
                }
            }
        };
        let out = kms
            .decrypt()
            .ciphertext_blob(aws_sdk_kms::primitives::Blob::new(wrapped.clone()))
            .send()
            .await
            .map_err(|e| {
                crate::awsconf::sdk_error(
                    &format!("unwrapping the data key of KMS key {id} (kms:Decrypt; the role needs it on that key)"),
                    e,
                )
            })?;
        let plain = out.plaintext().map(|b| b.as_ref()).unwrap_or_default();
        let bytes: [u8; 32] = plain.try_into().map_err(|_| {
            Error::Integrity(format!(
                "the data key of KMS key {id} ({name}) is not 32 bytes: the object is damaged"
            ))
        })?;
        Ok(DataKey {
            bytes,
            label: format!("kms:{id}:{}", fingerprint(&wrapped)),
        })
    }

    async fn kms_client(&self) -> Result<aws_sdk_kms::Client> {
        let sdk = match &self.sdk {
            Some(s) => s.clone(),
            None => crate::awsconf::load(None, None).await?,
        };
        Ok(aws_sdk_kms::Client::new(&sdk))
    }
}

fn not_a_label(label: &str) -> Error {
    Error::Integrity(format!(
        "a sealed value names the key '{label}', which is not a key label: the point is damaged"
    ))
}

async fn read_wrapped(store: &Store, name: &str) -> Result<Option<Vec<u8>>> {
    let Some(bytes) = store.get_named(name).await? else {
        return Ok(None);
    };
    let doc: WrappedKey = serde_json::from_slice(&bytes)
        .map_err(|e| Error::decode(format!("reading {name} in {}", store.url()), e))?;
    B64.decode(doc.wrapped.trim()).map(Some).map_err(|e| {
        Error::Integrity(format!(
            "{name} in {} is damaged: its wrapped key is not base64 ({e})",
            store.url()
        ))
    })
}

/// The local data key in `path`; with `create`, a new random one is written there (mode 0600)
/// when the file does not exist. None when it does not exist and `create` is off.
async fn local_key(path: &Path, create: bool) -> Result<Option<DataKey>> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            match create_key_file(path).await? {
                Some(k) => return Ok(Some(k)),
                // Another process made it meanwhile: read theirs.
                None => tokio::fs::read_to_string(path).await.map_err(|e| {
                    Error::io(format!("reading the key file {}", path.display()), e)
                })?,
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::io(
                format!("reading the key file {}", path.display()),
                e,
            ));
        }
    };
    let bytes: [u8; 32] = B64
        .decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "the key file {} does not hold a key (base64 of 32 bytes): restore it from your copy, or point --key-file at the right one",
                path.display()
            ))
        })?;
    Ok(Some(DataKey {
        label: format!("local:{}", fingerprint(&bytes)),
        bytes,
    }))
}

/// Writes a new random key to `path` (which must not exist), readable by its owner only.
/// None when the file appeared meanwhile.
async fn create_key_file(path: &Path) -> Result<Option<DataKey>> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| Error::Invalid("the system's random number generator failed".into()))?;
    let text = format!("{}\n", B64.encode(bytes));
    let path_buf = path.to_path_buf();
    let wrote = tokio::task::spawn_blocking(move || -> std::io::Result<bool> {
        use std::io::Write;
        if let Some(dir) = path_buf.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        match o.open(&path_buf) {
            Ok(mut f) => {
                f.write_all(text.as_bytes())?;
                f.sync_all()?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    })
    .await
    .map_err(|e| Error::Invalid(format!("writing the key file: {e}")))?
    .map_err(|e| Error::io(format!("creating the key file {}", path.display()), e))?;
    if !wrote {
        return Ok(None);
    }
    tracing::info!(key_file = %path.display(), "created a key file for API key values");
    Ok(Some(DataKey {
        label: format!("local:{}", fingerprint(&bytes)),
        bytes,
    }))
}

/// The keys derived from a data key: (encryption key, nonce key).
fn derived(key: &DataKey) -> (hmac::Tag, hmac::Key) {
    let root = hmac::Key::new(hmac::HMAC_SHA256, &key.bytes);
    let enc = hmac::sign(&root, b"apigw-dr seal v1: encryption key");
    let nonce = hmac::sign(&root, b"apigw-dr seal v1: nonce key");
    (enc, hmac::Key::new(hmac::HMAC_SHA256, nonce.as_ref()))
}

fn aead_key(enc: &hmac::Tag) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM_SIV, enc.as_ref()).expect("a 32-byte key"))
}

fn seal_with(key: &DataKey, aad: &str, value: &str) -> Sealed {
    let (enc, nonce_key) = derived(key);
    let mut ctx = hmac::Context::with_key(&nonce_key);
    ctx.update(&(aad.len() as u64).to_be_bytes());
    ctx.update(aad.as_bytes());
    ctx.update(value.as_bytes());
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&ctx.sign().as_ref()[..12]);
    let mut buf = value.as_bytes().to_vec();
    aead_key(&enc)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad.as_bytes()),
            &mut buf,
        )
        .expect("sealing a short value cannot fail");
    Sealed {
        alg: ALG.to_string(),
        key: key.label.clone(),
        nonce: B64.encode(nonce),
        ciphertext: B64.encode(buf),
    }
}

fn open_with(key: &DataKey, aad: &str, sealed: &Sealed) -> Result<String> {
    let damaged = || {
        Error::Integrity(format!(
            "the sealed value of API key {aad} does not open with {} (altered, or sealed for another API key): the point is damaged",
            key.label
        ))
    };
    let nonce: [u8; 12] = B64
        .decode(&sealed.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or_else(damaged)?;
    let mut buf = B64.decode(&sealed.ciphertext).map_err(|_| damaged())?;
    let (enc, _) = derived(key);
    let plain = aead_key(&enc)
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad.as_bytes()),
            &mut buf,
        )
        .map_err(|_| damaged())?;
    String::from_utf8(plain.to_vec()).map_err(|_| damaged())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCD";

    #[tokio::test]
    async fn sealing_is_deterministic_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let s = Sealer::local(&path);
        let a = s.seal("key1", VALUE).await.unwrap();
        let b = s.seal("key1", VALUE).await.unwrap();
        assert_eq!(a, b, "same key, id and value: same bytes");
        assert_eq!(a.alg, ALG);
        assert!(
            a.key.starts_with("local:") && a.key.len() == 6 + 16,
            "{}",
            a.key
        );
        let text = serde_json::to_string(&a).unwrap();
        assert!(!text.contains(VALUE));
        assert!(!text.contains(&B64.encode(VALUE)));
        assert_ne!(a, s.seal("key2", VALUE).await.unwrap(), "bound to the id");
        assert_ne!(a, s.seal("key1", "other").await.unwrap());
        assert_eq!(s.open("key1", &a).await.unwrap(), VALUE);

        // A second keyring on the same file: same key, same bytes.
        let again = Sealer::local(&path);
        assert_eq!(again.seal("key1", VALUE).await.unwrap(), a);
        assert_eq!(again.open("key1", &a).await.unwrap(), VALUE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[tokio::test]
    async fn a_wrong_or_missing_key_fails_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let sealed = Sealer::local(dir.path().join("a"))
            .seal("key1", VALUE)
            .await
            .unwrap();
        let other = Sealer::local(dir.path().join("b"));
        other.seal("x", "y").await.unwrap(); // makes b's key
        let err = other.open("key1", &sealed).await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&sealed.key), "{msg}");
        assert!(msg.contains("--key-file"), "{msg}");
        assert!(!msg.contains('\n'));
        let missing = Sealer::local(dir.path().join("none"));
        let msg = missing.open("key1", &sealed).await.unwrap_err().to_string();
        assert!(msg.contains("there is no key file"), "{msg}");
        assert!(!dir.path().join("none").exists(), "opening creates no key");
    }

    #[tokio::test]
    async fn tampered_ciphertext_or_another_id_fails() {
        let dir = tempfile::tempdir().unwrap();
        let s = Sealer::local(dir.path().join("k"));
        let sealed = s.seal("key1", VALUE).await.unwrap();
        let mut bytes = B64.decode(&sealed.ciphertext).unwrap();
        bytes[0] ^= 1;
        let tampered = Sealed {
            ciphertext: B64.encode(bytes),
            ..sealed.clone()
        };
        let err = s.open("key1", &tampered).await.unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "{err}");
        let err = s.open("key2", &sealed).await.unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "{err}");
        let odd = Sealed {
            alg: "ROT13".into(),
            ..sealed
        };
        assert!(matches!(s.open("key1", &odd).await, Err(Error::Invalid(_))));
    }

    #[tokio::test]
    async fn an_s3_store_without_a_key_refuses_to_seal() {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        let store = Store::S3(crate::store::S3Store::new(&sdk, "bucket", "p"));
        let s = Sealer::for_store(&store, &KeyOptions::default(), Some(&sdk));
        let msg = s.seal("k", "v").await.unwrap_err().to_string();
        assert!(msg.contains("--kms-key"), "{msg}");
        assert!(msg.contains("s3://bucket/p"), "{msg}");
        // A file store defaults to DIR/secret.key.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::File(crate::store::FileStore::new(dir.path()));
        let s = Sealer::for_store(&store, &KeyOptions::default(), None);
        s.seal("k", "v").await.unwrap();
        assert!(dir.path().join(KEY_FILE_NAME).is_file());
    }

    #[test]
    fn kms_key_objects_are_named_by_key_id() {
        let name = kms_key_object("alias/apigw-dr");
        assert!(name.starts_with("keys/kms-") && name.ends_with(".json"));
        assert_eq!(name.len(), "keys/kms-".len() + 16 + ".json".len());
    }
}
