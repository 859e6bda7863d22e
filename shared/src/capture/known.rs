//! What earlier points already hold of what deployments serve. Deployments never change, so a
//! snapshot reads a deployment's [`v1::Served`] from the store, where an earlier point of the
//! same source holds it, instead of exporting it again (GetExport): an unchanged source costs
//! no export, no new object and the same point id.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::catalog::Catalog;
use crate::model::Source;
use crate::model::v1::{self, Served};
use crate::point::ManifestEntry;
use crate::records::{PointRecord, PointStatus};
use crate::store::Store;

/// A point's served-definition entries by deployment id.
type ByDeployment = Arc<BTreeMap<String, Vec<ManifestEntry>>>;

/// The earlier points of one source, newest first, and the store that holds them.
#[derive(Default)]
pub struct Known<'a> {
    store: Option<&'a Store>,
    /// `(point id, names of the APIs it holds)`, newest first.
    points: Vec<(String, Vec<String>)>,
    /// Each point's served-definition entries, by deployment id, once read.
    manifests: Mutex<BTreeMap<String, ByDeployment>>,
}

impl<'a> Known<'a> {
    /// Nothing known: every served definition is exported.
    pub fn none() -> Self {
        Self::default()
    }

    /// The intact points of `source` in `catalog` (an unreadable catalog: none).
    pub async fn of_source(store: &'a Store, catalog: &Catalog, source: &Source) -> Self {
        match catalog.list().await {
            Ok(records) => Self::from_records(store, records, source),
            Err(e) => {
                tracing::warn!(error = %e, "earlier points unread; every stage is exported");
                Self::none()
            }
        }
    }

    /// The points among `records` (newest first, as [`Catalog::list`] gives them) taken from
    /// `source`'s account and Region, but damaged ones.
    pub fn from_records(store: &'a Store, records: Vec<PointRecord>, source: &Source) -> Self {
        let points = records
            .into_iter()
            .filter(|r| {
                r.status == PointStatus::Available
                    && r.source.account == source.account
                    && r.source.region == source.region
            })
            .map(|r| (r.id, r.apis))
            .collect();
        Self {
            store: Some(store),
            points,
            manifests: Mutex::default(),
        }
    }

    /// What deployment `deployment` of REST API `api_id` (named `api_name`) serves, as the
    /// newest earlier point holding that API stored it; `None` when no such point holds it or
    /// it cannot be read back (then the caller exports it).
    pub async fn served(&self, api_id: &str, api_name: &str, deployment: &str) -> Option<Served> {
        let store = self.store?;
        let (point, _) = self
            .points
            .iter()
            .find(|(_, apis)| apis.iter().any(|a| a == api_name))?;
        let entries = self.entries(store, point).await?;
        for e in entries.get(deployment)? {
            match read(store, e, api_id, deployment).await {
                Ok(Some(s)) => return Some(s),
                Ok(None) => {}
                Err(why) => {
                    tracing::warn!(object = %e.id, %why, "stored served definition unread; exported again");
                }
            }
        }
        None
    }

    /// The served-definition entries of `point`'s manifest by deployment id (read once).
    async fn entries(&self, store: &Store, point: &str) -> Option<ByDeployment> {
        if let Some(m) = self.lock().get(point) {
            return Some(m.clone());
        }
        let manifest = match crate::point::read_manifest(store, point).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "earlier point unread; its stages are exported");
                return None;
            }
        };
        let mut by_deployment: BTreeMap<String, Vec<ManifestEntry>> = BTreeMap::new();
        for e in manifest.entries {
            if e.kind != v1::KIND_SERVED {
                continue;
            }
            // `served:NAME:DEPLOYMENTID`: a deployment id holds no colon, a name may.
            if let Some((_, dep)) = e.id.rsplit_once(':') {
                by_deployment.entry(dep.to_string()).or_default().push(e);
            }
        }
        let m = Arc::new(by_deployment);
        self.lock().insert(point.to_string(), m.clone());
        Some(m)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, ByDeployment>> {
        self.manifests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The stored object `e` as deployment `deployment` of API `api_id` (`None`: another API's).
async fn read(
    store: &Store,
    e: &ManifestEntry,
    api_id: &str,
    deployment: &str,
) -> crate::Result<Option<Served>> {
    let bytes = store.get(&e.hash, &e.id).await?;
    let mut value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|err| crate::Error::decode(format!("decoding {}", e.id), err))?;
    let owner = value.as_object_mut().and_then(|m| m.remove("restApiId")); // the tie explode adds (model::v1)
    if owner.as_ref().and_then(|o| o.as_str()) != Some(api_id) {
        return Ok(None);
    }
    let served: Served = crate::model::decode(&e.id, value)?;
    Ok((served.deployment_id == deployment).then_some(served))
}
