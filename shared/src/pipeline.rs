//! The jobs the binaries run, one function each: what the CLI and the Lambdas have in common
//! lives here, so neither decides anything the other must decide too.

use aws_config::SdkConfig;
use serde::Serialize;
use serde_json::Value;

use crate::capture::{apigateway_client, capture_rest_apis, list_rest_apis};
use crate::catalog::Catalog;
use crate::events::{Discovery, SnapshotRequest, classify_discovery, send_snapshot_requests};
use crate::model::Snapshot;
use crate::pacing::{Pacer, RetryPolicy};
use crate::point::{self, WriteOptions, WriteReport};
use crate::store::Store;
use crate::{Error, Result};

pub struct SnapshotJob {
    /// REST API ids or names; empty = every REST API of the source.
    pub select: Vec<String>,
    pub label: Option<String>,
    pub trigger: String,
    pub retention_days: i64,
}

#[derive(Debug, Clone)]
pub struct SnapshotOutcome {
    pub report: WriteReport,
    /// Control-plane calls the capture made (retries included).
    pub calls: u64,
}

/// Captures the selected REST APIs of the source that `source` acts in and writes them as a
/// recovery point. Store and catalog are checked first, so an unreachable one fails before
/// any capture work.
pub async fn snapshot(
    source: &SdkConfig,
    store: &Store,
    catalog: &Catalog,
    job: &SnapshotJob,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<SnapshotOutcome> {
    if let Some(l) = &job.label {
        point::check_label(l)?;
    }
    store.check().await?;
    catalog.check().await?;
    let who = crate::awsconf::whoami(source).await?;
    progress(format!(
        "capturing REST APIs of account {} in {}",
        who.account, who.region
    ));
    let client = apigateway_client(source);
    let pacer = Pacer::new(RetryPolicy::default());
    let rest_apis = capture_rest_apis(&client, &pacer, &job.select, progress).await?;
    if rest_apis.is_empty() {
        return Err(Error::NotFound(format!(
            "account {} has no REST API in {}: nothing to snapshot",
            who.account, who.region
        )));
    }
    let snap = Snapshot {
        source: who,
        rest_apis,
    };
    let opts = WriteOptions {
        label: job.label.clone(),
        trigger: job.trigger.clone(),
        retention_days: job.retention_days,
    };
    let report = point::write(store, catalog, &snap, &opts, progress).await?;
    Ok(SnapshotOutcome {
        report,
        calls: pacer.total_calls(),
    })
}

/// What discovery did with an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryOutcome {
    pub requested: Vec<SnapshotRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
}

/// Discovery: classifies the event, works out which REST APIs need a recovery point (applying
/// `select`: ids or names, empty = all), and asks the snapshot function for one per API
/// through EventBridge. A malformed or foreign event is an error and sends nothing.
pub async fn discover(
    event: &Value,
    source: &SdkConfig,
    bus_client: &aws_sdk_eventbridge::Client,
    bus: &str,
    select: &[String],
) -> Result<DiscoveryOutcome> {
    let selected =
        |id: &str, name: &str| select.is_empty() || select.iter().any(|s| s == id || s == name);
    let requested = match classify_discovery(event)? {
        Discovery::Ignored(why) => {
            return Ok(DiscoveryOutcome {
                requested: vec![],
                ignored: Some(why),
            });
        }
        Discovery::Sweep { cause } => {
            let client = apigateway_client(source);
            let pacer = Pacer::new(RetryPolicy::default());
            list_rest_apis(&client, &pacer)
                .await?
                .into_iter()
                .filter(|(id, name)| selected(id, name))
                .map(|(id, _)| SnapshotRequest {
                    apis: vec![id],
                    trigger: "schedule".into(),
                    cause: cause.clone(),
                })
                .collect::<Vec<_>>()
        }
        Discovery::Api { id, trigger, cause } => {
            if !select.is_empty() {
                let client = apigateway_client(source);
                let pacer = Pacer::new(RetryPolicy::default());
                let apis = list_rest_apis(&client, &pacer).await?;
                let name = apis.iter().find(|(i, _)| *i == id).map(|(_, n)| n.as_str());
                if !name.is_some_and(|n| selected(&id, n)) {
                    return Ok(DiscoveryOutcome {
                        requested: vec![],
                        ignored: Some(format!("REST API {id} is not in the selection")),
                    });
                }
            }
            vec![SnapshotRequest {
                apis: vec![id],
                trigger,
                cause,
            }]
        }
    };
    send_snapshot_requests(bus_client, bus, &requested).await?;
    Ok(DiscoveryOutcome {
        requested,
        ignored: None,
    })
}

/// The discovery function: a schedule or change event in, snapshot requests out.
pub struct DiscoveryFunction {
    cfg: crate::config::FunctionConfig,
    source: SdkConfig,
    bus: aws_sdk_eventbridge::Client,
}

impl DiscoveryFunction {
    /// `home` is the function's own configuration (its Region, its role); the source is derived
    /// from it with the configured Region and role.
    pub async fn new(cfg: crate::config::FunctionConfig, home: &SdkConfig) -> Result<Self> {
        let source = crate::awsconf::derive(
            home,
            cfg.source_region.as_deref(),
            cfg.source_role_arn.as_deref(),
        )
        .await?;
        Ok(DiscoveryFunction {
            source,
            bus: aws_sdk_eventbridge::Client::new(home),
            cfg,
        })
    }

    pub async fn handle(&self, event: Value) -> Result<Value> {
        let out = discover(
            &event,
            &self.source,
            &self.bus,
            &self.cfg.event_bus,
            &self.cfg.select,
        )
        .await?;
        match &out.ignored {
            Some(why) => tracing::info!(reason = %why, "event ignored"),
            None => {
                tracing::info!(requests = out.requested.len(), bus = %self.cfg.event_bus, "snapshot requested")
            }
        }
        serde_json::to_value(&out).map_err(|e| Error::decode("encoding the outcome", e))
    }
}

/// The snapshot function: a snapshot request in, a recovery point in S3 and DynamoDB out.
pub struct SnapshotFunction {
    cfg: crate::config::FunctionConfig,
    source: SdkConfig,
    store: Store,
    catalog: Catalog,
}

impl SnapshotFunction {
    pub async fn new(cfg: crate::config::FunctionConfig, home: &SdkConfig) -> Result<Self> {
        let (store_url, catalog_url) = cfg.store_and_catalog()?;
        let (store, catalog) =
            crate::location::open(store_url, Some(catalog_url), Some(home)).await?;
        let source = crate::awsconf::derive(
            home,
            cfg.source_region.as_deref(),
            cfg.source_role_arn.as_deref(),
        )
        .await?;
        Ok(SnapshotFunction {
            cfg,
            source,
            store,
            catalog,
        })
    }

    pub async fn handle(&self, event: Value) -> Result<Value> {
        let req = crate::events::parse_snapshot_request(&event)?;
        let job = SnapshotJob {
            select: req.apis.clone(),
            label: None,
            trigger: req.trigger.clone(),
            retention_days: self.cfg.retention_days,
        };
        let log = |line: String| tracing::info!("{line}");
        match snapshot(&self.source, &self.store, &self.catalog, &job, &log).await {
            Ok(out) => {
                let r = &out.report;
                tracing::info!(point = %r.record.id, new_objects = r.new_objects, unchanged = r.unchanged, calls = out.calls, "recovery point written");
                Ok(serde_json::json!({
                    "point": r.record.id,
                    "unchanged": r.unchanged,
                    "newObjects": r.new_objects,
                    "calls": out.calls,
                }))
            }
            // The API was deleted between the change and this capture: nothing to keep.
            Err(Error::NotFound(why)) if req.trigger.starts_with("change:") => {
                tracing::warn!(reason = %why, "nothing to capture");
                Ok(serde_json::json!({ "point": null, "skipped": why }))
            }
            Err(e) => Err(e),
        }
    }
}
