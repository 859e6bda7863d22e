//! The jobs the binaries run, one function each: what the CLI and the Lambdas have in common
//! lives here, so neither decides anything the other must decide too.

use std::sync::Arc;

use aws_config::SdkConfig;
use serde::Serialize;
use serde_json::Value;

use crate::capture::{apigateway_client, capture_rest_apis_with_gaps, list_rest_apis};
use crate::catalog::Catalog;
use crate::events::{Discovery, SnapshotRequest, classify_discovery, send_snapshot_requests};
use crate::model::Snapshot;
use crate::pacing::{Pacer, RetryPolicy};
use crate::point::{self, WriteOptions, WriteReport};
use crate::secret::Sealer;
use crate::store::Store;
use crate::{Error, Result};

pub struct SnapshotJob {
    /// REST API ids or names; empty = every REST API of the source.
    pub select: Vec<String>,
    pub label: Option<String>,
    pub trigger: String,
    pub retention_days: i64,
    /// `--select` selectors (see crate::select): the point holds what they take, closed over
    /// the dependencies; empty = everything `select` leaves.
    pub include: Vec<String>,
    /// `--exclude` selectors.
    pub exclude: Vec<String>,
}

impl SnapshotJob {
    /// The job a snapshot request asks for, as the snapshot function takes it: the APIs it
    /// names, each with the whole estate; or, for the estate's request ([`crate::events::ESTATE`]),
    /// the estate and by closure the APIs and stages its mappings and usage plans need.
    pub fn for_request(req: &SnapshotRequest, retention_days: i64) -> SnapshotJob {
        let estate = req.apis == [crate::events::ESTATE];
        SnapshotJob {
            select: if estate { vec![] } else { req.apis.clone() },
            label: None,
            trigger: req.trigger.clone(),
            retention_days,
            include: if estate {
                vec!["type:estate".into()]
            } else {
                vec![]
            },
            exclude: vec![],
        }
    }

    /// Whether the job takes the source's whole estate (no selection, or exactly the estate):
    /// its point then lists every API the source held ([`crate::records::Census`]).
    fn takes_whole_estate(&self) -> bool {
        self.select.is_empty()
            && self.exclude.is_empty()
            && (self.include.is_empty() || self.include == ["type:estate"])
    }
}

#[derive(Debug, Clone)]
pub struct SnapshotOutcome {
    pub report: WriteReport,
    /// Control-plane calls the capture made (retries included).
    pub calls: u64,
}

/// Captures the selected APIs of the source that `source` acts in, with the source's whole
/// account-level estate (API key values sealed by `sealer`), and writes them as a recovery
/// point. Store and catalog are checked first, so an unreachable one fails before any capture
/// work.
pub async fn snapshot(
    source: &SdkConfig,
    store: &Store,
    catalog: &Catalog,
    sealer: &Sealer,
    job: &SnapshotJob,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<SnapshotOutcome> {
    // The capture's state machine is large (every API's and the estate's reads): it lives on
    // the heap, so that no caller's stack holds it (a test thread's is 2 MiB).
    Box::pin(snapshot_boxed(
        source, store, catalog, sealer, job, progress,
    ))
    .await
}

async fn snapshot_boxed(
    source: &SdkConfig,
    store: &Store,
    catalog: &Catalog,
    sealer: &Sealer,
    job: &SnapshotJob,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<SnapshotOutcome> {
    if let Some(l) = &job.label {
        point::check_label(l)?;
    }
    // Selectors are checked before any work.
    let selectors = if job.include.is_empty() && job.exclude.is_empty() {
        None
    } else {
        Some((
            crate::select::Selector::parse_all(&job.include)?,
            crate::select::Selector::parse_all(&job.exclude)?,
        ))
    };
    store.check().await?;
    catalog.check().await?;
    let who = crate::awsconf::whoami(source).await?;
    // Before any listing: an API the census lacks was gone by then.
    let began = crate::time::now_ms();
    progress(format!(
        "capturing APIs of account {} in {}",
        who.account, who.region
    ));
    let client = apigateway_client(source);
    let client_v2 = crate::capture::v2::client(source);
    let pacer = Pacer::new(RetryPolicy::default());
    // One selection for both kinds of API: each name or id goes to the kind that has it.
    let (select_v1, select_v2) = if job.select.is_empty() {
        (None, None)
    } else {
        let v1 = list_rest_apis(&client, &pacer).await?;
        let v2 = crate::capture::v2::list_apis(&client_v2, &pacer).await?;
        let (mut s1, mut s2, mut unknown) = (vec![], vec![], vec![]);
        for s in &job.select {
            let in_v1 = v1.iter().any(|(id, name)| id == s || name == s);
            let in_v2 = v2.iter().any(|(id, name, _)| id == s || name == s);
            if in_v1 {
                s1.push(s.clone());
            }
            if in_v2 {
                s2.push(s.clone());
            }
            if !in_v1 && !in_v2 {
                unknown.push(s.as_str());
            }
        }
        if !unknown.is_empty() {
            return Err(Error::NotFound(format!(
                "no REST, HTTP or WebSocket API named or with id {} in account {} in {}: \
                 `aws apigateway get-rest-apis` and `aws apigatewayv2 get-apis` list them",
                unknown.join(", "),
                who.account,
                who.region
            )));
        }
        (Some(s1), Some(s2))
    };
    // What the source does not serve, or answers unreadably, is left out and recorded.
    let gaps = crate::capture::Gaps::default();
    // What its earlier points hold of what deployments serve is not exported again.
    let known = crate::capture::Known::of_source(store, catalog, &who).await;
    let rest_apis = match &select_v1 {
        Some(s) if s.is_empty() => vec![],
        s => {
            capture_rest_apis_with_gaps(
                &client,
                &pacer,
                s.as_deref().unwrap_or(&[]),
                progress,
                &gaps,
                &known,
            )
            .await?
        }
    };
    let apis_v2 = match &select_v2 {
        Some(s) if s.is_empty() => vec![],
        s => {
            crate::capture::v2::capture_apis_with_gaps(
                &client_v2,
                &pacer,
                s.as_deref().unwrap_or(&[]),
                progress,
                &gaps,
            )
            .await?
        }
    };
    // The whole estate of the source, whatever the selection (for now).
    let estate =
        crate::capture::estate::capture_estate_with_gaps(source, &pacer, sealer, progress, &gaps)
            .await?;
    let gaps = gaps.take();
    for g in gaps
        .iter()
        .filter(|g| g.reason.starts_with("could not read"))
    {
        progress(format!("not captured: {}", g.describe()));
    }
    if rest_apis.is_empty() && apis_v2.is_empty() && estate.is_empty() {
        return Err(Error::NotFound(format!(
            "account {} has no REST, HTTP or WebSocket API and no custom domain, VPC link, usage plan, API key or client certificate in {}: nothing to snapshot",
            who.account, who.region
        )));
    }
    let mut snap = Snapshot {
        source: who,
        rest_apis,
        apis_v2,
        estate,
        gaps,
    };
    let census = job.takes_whole_estate().then(|| {
        let mut apis: Vec<String> = snap
            .rest_apis
            .iter()
            .map(|a| a.api.name.clone())
            .chain(snap.apis_v2.iter().map(|a| a.api.name.clone()))
            .collect();
        apis.sort();
        apis.dedup();
        crate::records::Census { at: began, apis }
    });
    let mut closure = vec![];
    if let Some((include, exclude)) = &selectors {
        let (part, chosen) = crate::select::take(&snap, include, exclude)?;
        closure = chosen.lines();
        snap = part;
        progress(format!(
            "selection: {} items taken, {} by closure",
            chosen.taken.len(),
            closure.len()
        ));
    }
    let opts = WriteOptions {
        label: job.label.clone(),
        trigger: job.trigger.clone(),
        retention_days: job.retention_days,
        closure,
        census,
    };
    let report = point::write(store, catalog, &snap, &opts, progress).await?;
    Ok(SnapshotOutcome {
        report,
        calls: pacer.total_calls(),
    })
}

/// Every API of the source, REST and HTTP/WebSocket alike: `(id, name)`.
async fn list_all_apis(source: &SdkConfig) -> Result<Vec<(String, String)>> {
    let pacer = Pacer::new(RetryPolicy::default());
    let mut all = list_rest_apis(&apigateway_client(source), &pacer).await?;
    let v2 = crate::capture::v2::list_apis(&crate::capture::v2::client(source), &pacer).await?;
    all.extend(v2.into_iter().map(|(id, name, _)| (id, name)));
    Ok(all)
}

/// What discovery did with an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryOutcome {
    pub requested: Vec<SnapshotRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
    /// The REST API whose change was recorded; its snapshot is asked for once it is quiet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debounced: Option<String>,
}

/// Discovery: classifies the event, works out which REST APIs need a recovery point (applying
/// `select`: ids or names, empty = all), and asks the snapshot function for one per API
/// through EventBridge. A malformed or foreign event is an error and sends nothing.
pub async fn discover(
    event: &Value,
    source: &SdkConfig,
    bus: &crate::events::Bus,
    select: &[String],
    debouncer: Option<&crate::debounce::Debouncer>,
) -> Result<DiscoveryOutcome> {
    let selected =
        |id: &str, name: &str| select.is_empty() || select.iter().any(|s| s == id || s == name);
    let requested = match classify_discovery(event)? {
        Discovery::Ignored(why) => {
            return Ok(DiscoveryOutcome {
                requested: vec![],
                ignored: Some(why),
                debounced: None,
            });
        }
        // One point per API, and one of the estate around them.
        Discovery::Sweep { cause } => list_all_apis(source)
            .await?
            .into_iter()
            .filter(|(id, name)| selected(id, name))
            .map(|(id, _)| id)
            .chain([crate::events::ESTATE.to_string()])
            .map(|id| SnapshotRequest {
                apis: vec![id],
                trigger: "schedule".into(),
                cause: cause.clone(),
            })
            .collect::<Vec<_>>(),
        Discovery::Api {
            id,
            trigger,
            cause,
            at_ms,
        } => {
            if !select.is_empty() && id != crate::events::ESTATE {
                let apis = list_all_apis(source).await?;
                let name = apis.iter().find(|(i, _)| *i == id).map(|(_, n)| n.as_str());
                if !name.is_some_and(|n| selected(&id, n)) {
                    return Ok(DiscoveryOutcome {
                        requested: vec![],
                        ignored: Some(format!("API {id} is not in the selection")),
                        debounced: None,
                    });
                }
            }
            if let Some(d) = debouncer {
                // A burst of changes makes one point: the check comes when the API is quiet.
                d.record_change(&id, at_ms.unwrap_or_else(crate::time::now_ms), &trigger)
                    .await?;
                return Ok(DiscoveryOutcome {
                    requested: vec![],
                    ignored: None,
                    debounced: Some(id),
                });
            }
            vec![SnapshotRequest {
                apis: vec![id],
                trigger,
                cause,
            }]
        }
    };
    send_snapshot_requests(bus, &requested).await?;
    Ok(DiscoveryOutcome {
        requested,
        ignored: None,
        debounced: None,
    })
}

/// Where a function's metric lines go: standard output, which Lambda sends to CloudWatch
/// Logs (which reads them: embedded metric format, see crate::metrics), or a collector
/// (tests).
#[derive(Clone)]
pub struct MetricSink(Arc<dyn Fn(&str) + Send + Sync>);

impl Default for MetricSink {
    fn default() -> Self {
        MetricSink(Arc::new(|line| println!("{line}")))
    }
}

impl MetricSink {
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> MetricSink {
        MetricSink(Arc::new(f))
    }

    pub fn put(&self, line: &str) {
        (self.0)(line);
    }

    pub fn put_all(&self, lines: impl IntoIterator<Item = String>) {
        for l in lines {
            self.put(&l);
        }
    }
}

/// The discovery function: a schedule or change event in, snapshot requests out.
pub struct DiscoveryFunction {
    debouncer: Option<crate::debounce::Debouncer>,
    cfg: crate::config::FunctionConfig,
    source: SdkConfig,
    bus: crate::events::Bus,
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
        let debouncer = match (&cfg.debounce_queue_url, &cfg.catalog) {
            (None, _) => None,
            (Some(queue), Some(catalog)) if catalog.starts_with("dynamodb://") => {
                Some(crate::debounce::Debouncer::new(
                    home,
                    catalog,
                    queue,
                    std::time::Duration::from_secs(cfg.quiet_seconds),
                    std::time::Duration::from_secs(cfg.max_defer_seconds),
                ))
            }
            (Some(_), _) => {
                return Err(Error::Invalid(
                    "APIGW_DR_DEBOUNCE_QUEUE_URL needs APIGW_DR_CATALOG=dynamodb://TABLE (changes are recorded there)"
                        .into(),
                ));
            }
        };
        Ok(DiscoveryFunction {
            source,
            bus: crate::events::Bus::new(home, &cfg.event_bus),
            cfg,
            debouncer,
        })
    }

    /// A schedule or change event (EventBridge), or due change checks (SQS, debounce queue).
    pub async fn handle(&self, event: Value) -> Result<Value> {
        if event.get("Records").is_some() {
            let Some(d) = &self.debouncer else {
                return Err(Error::Invalid(
                    "an SQS event, but no debounce queue is configured (APIGW_DR_DEBOUNCE_QUEUE_URL)".into(),
                ));
            };
            let mut requested = vec![];
            for body in crate::debounce::parse_sqs_event(&event)? {
                if let Some(req) = d.on_due(&body, crate::time::now_ms()).await? {
                    requested.push(req);
                }
            }
            send_snapshot_requests(&self.bus, &requested).await?;
            tracing::info!(requests = requested.len(), "due change checks handled");
            let out = DiscoveryOutcome {
                requested,
                ignored: None,
                debounced: None,
            };
            return serde_json::to_value(&out)
                .map_err(|e| Error::decode("encoding the outcome", e));
        }
        let out = discover(
            &event,
            &self.source,
            &self.bus,
            &self.cfg.select,
            self.debouncer.as_ref(),
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
    sealer: Sealer,
    /// Standby on: where each point written is announced for the recovery function to sync.
    standby: Option<crate::events::Bus>,
    metrics: MetricSink,
}

impl SnapshotFunction {
    /// The function with the standby setting of its environment (`APIGW_DR_STANDBY`).
    pub async fn new(cfg: crate::config::FunctionConfig, home: &SdkConfig) -> Result<Self> {
        let standby = crate::standby::enabled(|k| std::env::var(k).ok())?;
        Self::with_standby(cfg, home, standby).await
    }

    /// The function; with `standby`, each point it writes is announced for a standby sync.
    pub async fn with_standby(
        cfg: crate::config::FunctionConfig,
        home: &SdkConfig,
        standby: bool,
    ) -> Result<Self> {
        let (store_url, catalog_url) = cfg.store_and_catalog()?;
        let (store, catalog) =
            crate::location::open(store_url, Some(catalog_url), Some(home)).await?;
        let source = crate::awsconf::derive(
            home,
            cfg.source_region.as_deref(),
            cfg.source_role_arn.as_deref(),
        )
        .await?;
        let sealer = Sealer::for_store(&store, &cfg.key_options(), Some(home));
        let standby = standby.then(|| crate::events::Bus::new(home, &cfg.event_bus));
        Ok(SnapshotFunction {
            cfg,
            source,
            store,
            catalog,
            sealer,
            standby,
            metrics: MetricSink::default(),
        })
    }

    /// The function with its metric lines sent to `sink` rather than standard output.
    pub fn with_metrics(mut self, sink: MetricSink) -> Self {
        self.metrics = sink;
        self
    }

    pub async fn handle(&self, event: Value) -> Result<Value> {
        let req = crate::events::parse_snapshot_request(&event)?;
        // The estate's point: the estate, and by closure what its mappings and plans need.
        let estate = req.apis == [crate::events::ESTATE];
        let job = SnapshotJob::for_request(&req, self.cfg.retention_days);
        let log = |line: String| tracing::info!("{line}");
        match snapshot(
            &self.source,
            &self.store,
            &self.catalog,
            &self.sealer,
            &job,
            &log,
        )
        .await
        {
            Ok(out) => {
                let r = &out.report;
                tracing::info!(point = %r.record.id, new_objects = r.new_objects, unchanged = r.unchanged, calls = out.calls, "recovery point written");
                self.metrics.put_all(crate::metrics::snapshot_written(
                    &r.record,
                    crate::time::now_ms(),
                ));
                self.ask_standby_sync(&r.record.id).await;
                Ok(serde_json::json!({
                    "point": r.record.id,
                    "unchanged": r.unchanged,
                    "newObjects": r.new_objects,
                    "calls": out.calls,
                }))
            }
            // The API was deleted between the change and this capture, or the account has no
            // estate: nothing to keep.
            Err(Error::NotFound(why)) if req.trigger.starts_with("change:") || estate => {
                tracing::warn!(reason = %why, "nothing to capture");
                Ok(serde_json::json!({ "point": null, "skipped": why }))
            }
            Err(e) => {
                let points = self.catalog.list().await.unwrap_or_default();
                self.metrics.put_all(crate::metrics::snapshot_failed(
                    &req.apis,
                    &req.trigger,
                    &points,
                    crate::time::now_ms(),
                ));
                Err(e)
            }
        }
    }
}

impl SnapshotFunction {
    /// Standby on: asks the recovery function to sync the standby with the point (also an
    /// unchanged one: a sync skipped while another ran catches up). The point is written
    /// whatever happens here: a failure is logged, and the next point asks again.
    async fn ask_standby_sync(&self, point: &str) {
        let Some(bus) = &self.standby else { return };
        publish_standby_lag(&self.catalog, &self.metrics).await;
        match crate::events::send_standby_sync(bus, point).await {
            Ok(()) => tracing::info!(point = %point, "standby sync requested"),
            Err(e) => tracing::warn!(point = %point, error = %e, "standby sync not requested"),
        }
    }
}

/// How far each standby is behind its source's newest good point, as metric lines (what
/// `apigw-dr status --standby` says); a catalog that cannot be read now gives none.
async fn publish_standby_lag(catalog: &Catalog, sink: &MetricSink) {
    match crate::standby::status(catalog).await {
        Ok(states) => sink.put_all(crate::metrics::standby_lag(&states, crate::time::now_ms())),
        Err(e) => tracing::warn!(error = %e, "standby lag not published"),
    }
}

/// The `time` of an EventBridge event (the alarm's state change), in milliseconds.
fn event_time_ms(event: &Value) -> Option<i64> {
    let t = event.get("time")?.as_str()?;
    let dt = aws_smithy_types::DateTime::from_str(t, aws_smithy_types::date_time::Format::DateTime)
        .ok()?;
    dt.to_millis().ok()
}

/// The recovery function: an alarm going to ALARM, a direct request, or the continuation of
/// a job that ran out of time -> a restore job from the latest good point(s), recorded in
/// the catalog.
pub struct RecoveryFunction {
    cfg: crate::config::FunctionConfig,
    home: SdkConfig,
    store: Store,
    catalog: Catalog,
    bus: crate::events::Bus,
    metrics: MetricSink,
}

impl RecoveryFunction {
    pub async fn new(cfg: crate::config::FunctionConfig, home: &SdkConfig) -> Result<Self> {
        let (store_url, catalog_url) = cfg.store_and_catalog()?;
        let (store, catalog) =
            crate::location::open(store_url, Some(catalog_url), Some(home)).await?;
        Ok(RecoveryFunction {
            bus: crate::events::Bus::new(home, &cfg.event_bus),
            home: home.clone(),
            store,
            catalog,
            cfg,
            metrics: MetricSink::default(),
        })
    }

    /// The function with its metric lines sent to `sink` rather than standard output.
    pub fn with_metrics(mut self, sink: MetricSink) -> Self {
        self.metrics = sink;
        self
    }

    /// Handles one event; work stops by `deadline` (then the job continues in a next
    /// invocation, asked for on the event bus).
    pub async fn handle(
        &self,
        event: Value,
        deadline: Option<std::time::Instant>,
    ) -> Result<Value> {
        use crate::events::{Recovery, TargetSpec, classify_recovery};
        use crate::jobs::{self, JobRecord};
        let recovery = classify_recovery(&event, self.cfg.alarm_name.as_deref())?;
        let (mut jobs_to_run, trigger) = match recovery {
            Recovery::Ignored(why) => {
                tracing::info!(reason = %why, "event ignored");
                return Ok(serde_json::json!({ "ignored": why }));
            }
            Recovery::Standby { point } => return self.standby_sync(point, deadline).await,
            Recovery::Drill { point } => return self.drill(point, deadline).await,
            Recovery::Check => return self.check().await,
            Recovery::Continue { job } => (
                vec![jobs::find(&self.catalog, &job).await?],
                "continue".to_string(),
            ),
            Recovery::Alarm { alarm, event_id } => {
                let base = format!(
                    "job-alarm-{}",
                    &crate::canonical::sha256_hex(event_id.as_bytes())[..16]
                );
                let mut out = vec![];
                for (i, (point, apis)) in self.points_for(&[]).await?.into_iter().enumerate() {
                    let id = format!("{base}-{i}");
                    if let Some(existing) = self.catalog.get_job(&id).await? {
                        tracing::info!(job = %id, phase = %existing.phase, "this alarm event already started its job");
                        continue;
                    }
                    let mut job =
                        JobRecord::new(self.request(point, apis, None), &format!("alarm:{alarm}"));
                    job.id = id;
                    // The recovery time runs from the alarm, not from this invocation.
                    if let Some(at) = event_time_ms(&event) {
                        job.times.alarm = Some(at);
                    }
                    out.push(job);
                }
                if out.is_empty() {
                    return Ok(
                        serde_json::json!({ "ignored": "this alarm event has already started its jobs" }),
                    );
                }
                (out, format!("alarm:{alarm}"))
            }
            Recovery::Request(req) => {
                let target = match &req.target {
                    None => None,
                    Some(TargetSpec::Region(r)) => Some((Some(r.clone()), None)),
                    Some(TargetSpec::Full { region, role_arn }) => {
                        Some((region.clone(), role_arn.clone()))
                    }
                };
                if req.failback && target.as_ref().is_none_or(|(r, _)| r.is_none()) {
                    return Err(Error::Invalid(
                        "a failback names the source it goes back to: add \"target\": {\"region\": \"SOURCE_REGION\", \"roleArn\": \"the source stack's RestoreRoleArn\"}"
                            .into(),
                    ));
                }
                // A named point is resolved by the request's validation.
                let chosen = match &req.point {
                    Some(p) => vec![(p.clone(), req.apis.clone())],
                    None if req.failback => vec![(
                        crate::failback::last_recovery_point(&self.catalog).await?,
                        req.apis.clone(),
                    )],
                    None => self.points_for(&req.apis).await?,
                };
                let mut jobs: Vec<JobRecord> = vec![];
                for (point, apis) in chosen {
                    let mut request = self.request(point, apis, target.clone());
                    if req.failback {
                        // Home is the source: the role is the request's (the source stack's
                        // RestoreRoleArn), never the recovery target's.
                        request.failback = true;
                        request.to_role_arn = target.as_ref().and_then(|(_, r)| r.clone());
                    }
                    // A mapping that cannot be inverted is refused before anything is read.
                    if req.failback {
                        crate::failback::failback_mapping(&request)
                            .map_err(|e| crate::jobs::name_mapping(e, "APIGW_DR_MAPPING"))?;
                    }
                    jobs.push(JobRecord::new(request, "request"));
                }
                if req.dry_run {
                    let mut plans = vec![];
                    for job in &jobs {
                        let valid = self.validate(&job.request).await?;
                        let target_sdk = self.target_sdk(&valid.request).await?;
                        let prepared =
                            Box::pin(jobs::prepare(&self.store, &self.catalog, valid)).await?;
                        let prepared = jobs::failback_prepared(&job.request, prepared)?;
                        let plan = Box::pin(jobs::plan_prepared(&prepared, &target_sdk)).await?;
                        let mut plan = plan;
                        crate::standby::note_standby_in(&self.catalog, &mut plan).await?;
                        let dns = Box::pin(jobs::plan_dns(&prepared, &target_sdk)).await;
                        let mut plan = serde_json::to_value(&plan).unwrap_or_default();
                        plan["dns"] = serde_json::to_value(&dns).unwrap_or_default();
                        plans.push(plan);
                    }
                    return Ok(serde_json::json!({ "dryRun": true, "plans": plans }));
                }
                (jobs, "request".to_string())
            }
        };
        // A bad request (Region, role, mapping, point) is refused before any job is written; a
        // job continued was validated when it started, and is validated again as it runs.
        let mut ready = vec![];
        for job in jobs_to_run.iter_mut() {
            if job.revision == 0 {
                let valid = self.validate(&job.request).await?;
                job.request = valid.request.clone();
                ready.push(Some(jobs::Ready::Valid(valid)));
            } else {
                ready.push(None);
            }
        }
        let mut out = vec![];
        for (job, ready) in jobs_to_run.iter_mut().zip(ready) {
            self.catalog.put_job(job).await?;
            tracing::info!(job = %job.id, point = %job.request.point, trigger = %trigger, "restore job started");
            let target_sdk = self.target_sdk(&job.request).await?;
            let log = |line: String| tracing::info!("{line}");
            let result = Box::pin(jobs::run_ready(
                &self.store,
                &self.catalog,
                job,
                ready,
                &target_sdk,
                deadline,
                &log,
            ))
            .await;
            if job.phase == jobs::Phase::Applying {
                crate::events::send_continue(&self.bus, &job.id).await?;
                tracing::info!(job = %job.id, "out of time: continues in the next invocation");
            }
            match result {
                Ok(()) => tracing::info!(job = %job.id, phase = %job.phase, "restore job ended"),
                Err(e) => tracing::error!(job = %job.id, error = %e, "restore job failed"),
            }
            self.ended(job).await;
            out.push(serde_json::json!({ "job": job.id, "phase": job.phase, "error": job.error }));
        }
        Ok(serde_json::json!({ "jobs": out }))
    }

    /// Syncs the standby in the recovery target with `point`: a standby job (no DNS), one
    /// at a time per target, restoring what the alarm's failover would restore from that point
    /// (the selected APIs it takes from it: [`crate::standby::sync_scope`]). Skipped, not
    /// failed, when a failover would not take the point, another standby job runs there or
    /// the standby holds the point already; a job out of time continues like any other.
    async fn standby_sync(
        &self,
        point: String,
        deadline: Option<std::time::Instant>,
    ) -> Result<Value> {
        let point = crate::point::resolve(&self.catalog, &point).await?.id;
        // One read of the points and jobs serves the choice and the standby's state.
        let records = self.catalog.list().await?;
        let chosen = self.points_among(&records, &[])?;
        let apis = match crate::standby::sync_scope(&point, &chosen) {
            Ok(apis) => apis,
            Err(why) => {
                tracing::info!(reason = %why, "standby sync skipped");
                return Ok(serde_json::json!({ "skipped": why }));
            }
        };
        let mut request = self.request(point, apis, None);
        request.standby = true;
        let jobs = self.catalog.list_jobs().await?;
        let held = crate::standby::states(&jobs, &records, crate::time::now_ms());
        if let Some(s) = held.iter().find(|s| {
            s.point == request.point && Some(&s.target.region) == request.to_region.as_ref()
        }) {
            let why = format!(
                "the standby in {} holds point {} already",
                s.target.short(),
                crate::model::short(&s.point)
            );
            tracing::info!(reason = %why, "standby sync skipped");
            return Ok(serde_json::json!({ "skipped": why }));
        }
        let (mut job, ready) = match Box::pin(crate::standby::start(
            &self.store,
            &self.catalog,
            &request,
            "standby",
        ))
        .await
        {
            Ok(started) => started,
            Err(Error::Conflict(why)) => {
                tracing::info!(reason = %why, "standby sync skipped");
                return Ok(serde_json::json!({ "skipped": why }));
            }
            Err(e) => return Err(crate::jobs::name_mapping(e, "APIGW_DR_MAPPING")),
        };
        tracing::info!(job = %job.id, point = %job.request.point, "standby job started");
        let target_sdk = self.target_sdk(&job.request).await?;
        let log = |line: String| tracing::info!("{line}");
        let result = Box::pin(crate::jobs::run_ready(
            &self.store,
            &self.catalog,
            &mut job,
            Some(ready),
            &target_sdk,
            deadline,
            &log,
        ))
        .await;
        if job.phase == crate::jobs::Phase::Applying {
            crate::events::send_continue(&self.bus, &job.id).await?;
            tracing::info!(job = %job.id, "out of time: continues in the next invocation");
        }
        match &result {
            Ok(()) => tracing::info!(job = %job.id, phase = %job.phase, "standby job ended"),
            Err(e) => tracing::error!(job = %job.id, error = %e, "standby job failed"),
        }
        self.ended(&job).await;
        publish_standby_lag(&self.catalog, &self.metrics).await;
        Ok(
            serde_json::json!({ "jobs": [{ "job": job.id, "phase": job.phase, "error": job.error }] }),
        )
    }

    /// A scheduled drill of `point` into the recovery target (crate::drill): restored beside
    /// everything there, verified, recorded, torn down. Logs `DrillDurationSeconds` and
    /// `DrillFailed` (EMF); a drill that fails is logged as an error, not retried.
    async fn drill(&self, point: String, deadline: Option<std::time::Instant>) -> Result<Value> {
        let mut request = self.request(point, vec![], None);
        request.rto_objective = self.cfg.rto_objective;
        let target_sdk = self.target_sdk(&request).await?;
        let log = |line: String| tracing::info!("{line}");
        let ran = Box::pin(crate::drill::run(
            &self.store,
            &self.catalog,
            &request,
            "schedule",
            &target_sdk,
            deadline,
            &log,
        ))
        .await
        .map_err(|e| crate::jobs::name_mapping(e, "APIGW_DR_MAPPING"));
        let target = request.to_region.clone().unwrap_or_default();
        let (job, refused) = match ran {
            Ok(job) => (job, None),
            // Refused before it started: failed all the same.
            Err(e) => (crate::jobs::JobRecord::new(request, "schedule"), Some(e)),
        };
        let d = job.drill.clone().unwrap_or_default();
        self.metrics
            .put(&crate::drill::metric_line(&job, &d, &target));
        if let Some(e) = refused {
            return Err(e);
        }
        if d.passed {
            tracing::info!(job = %job.id, seconds = ?d.recovery_seconds, "drill passed");
        } else {
            tracing::error!(job = %job.id, notes = ?d.notes, "drill failed");
        }
        Ok(serde_json::json!({
            "drill": job.id, "passed": d.passed, "verified": d.verified,
            "recoverySeconds": d.recovery_seconds, "tornDown": d.torn_down.is_some(),
        }))
    }

    /// At the end of a run of a job: its metric lines (embedded metric format: CloudWatch makes
    /// them metrics without a call) and, once the job is over, the `Restore Job Ended` event
    /// with its summary (a failure to send it is logged: the job is done whatever happens).
    async fn ended(&self, job: &crate::records::JobRecord) {
        if let Some(metric) = crate::metrics::recovery_time(job) {
            self.metrics.put(&metric);
        }
        let Some(line) = crate::metrics::restore_ended(job, crate::time::now_ms()) else {
            return;
        };
        self.metrics.put(&line);
        if let Err(e) = crate::events::send_restore_ended(&self.bus, job).await {
            tracing::warn!(job = %job.id, error = %e, "restore job end not announced");
        }
    }

    /// The scheduled readiness check: the newest good point(s) of the selection against the
    /// recovery target (reads only); each problem logged, one `ReadinessProblems` line each.
    async fn check(&self) -> Result<Value> {
        let mut out = vec![];
        for (point, apis) in self.points_for(&[]).await? {
            let valid = self.validate(&self.request(point, apis, None)).await?;
            let sdk = self.target_sdk(&valid.request).await?;
            let r = Box::pin(crate::check::read::check(
                &self.store,
                &self.catalog,
                valid,
                &sdk,
            ))
            .await?;
            for p in &r.problems {
                tracing::warn!(point = %r.point, "{}", p.line());
            }
            self.metrics.put(&crate::metrics::readiness_problems(
                &r.target,
                r.count(),
                crate::time::now_ms(),
            ));
            out.push(serde_json::json!({
                "point": r.point, "target": r.target.short(), "ready": r.ready, "problems": r.count(),
            }));
        }
        Ok(serde_json::json!({ "checks": out }))
    }

    fn request(
        &self,
        point: String,
        apis: Vec<String>,
        target: Option<(Option<String>, Option<String>)>,
    ) -> crate::jobs::JobRequest {
        let (region, role) = target.unwrap_or((None, None));
        crate::jobs::JobRequest {
            point,
            to_region: region
                .or_else(|| self.cfg.recovery_region.clone())
                .or_else(|| self.home.region().map(|r| r.to_string())),
            to_role_arn: role.or_else(|| self.cfg.recovery_role_arn.clone()),
            mapping: self.cfg.mapping.clone(),
            apis,
            no_dns: !self.cfg.switch_dns,
            // The configured KMS key opens the point's API key values (and those the target
            // already holds, to compare them).
            kms_key: self.cfg.key_options().kms_key,
            ..Default::default()
        }
    }

    /// [`crate::jobs::JobRequest::validate`], a bad mapping named by its setting.
    async fn validate(&self, req: &crate::jobs::JobRequest) -> Result<crate::jobs::Valid> {
        req.validate(&self.catalog)
            .await
            .map_err(|e| crate::jobs::name_mapping(e, "APIGW_DR_MAPPING"))
    }

    async fn target_sdk(&self, req: &crate::jobs::JobRequest) -> Result<SdkConfig> {
        crate::awsconf::derive(
            &self.home,
            req.to_region.as_deref(),
            req.to_role_arn.as_deref(),
        )
        .await
    }

    /// What a failover restores ([`crate::point::choose_failover`], each decision logged): the
    /// good point for each selected API (`apis`, else the configured selection), grouped by
    /// point; with no selection, the whole source: the estate's point first, whole, then each
    /// API still there from its newest good point. Jobs run in this order.
    async fn points_for(&self, apis: &[String]) -> Result<Vec<(String, Vec<String>)>> {
        let records = self.catalog.list().await?;
        self.points_among(&records, apis)
    }

    /// [`Self::points_for`] among `records` (the catalog's, newest first).
    fn points_among(
        &self,
        records: &[crate::records::PointRecord],
        apis: &[String],
    ) -> Result<Vec<(String, Vec<String>)>> {
        let selection: &[String] = if apis.is_empty() {
            &self.cfg.select
        } else {
            apis
        };
        let chosen = crate::point::choose_failover(records, selection, &self.catalog.url())?;
        for note in &chosen.notes {
            tracing::info!("{note}");
        }
        Ok(chosen.jobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alarm_event_gives_its_time() {
        let e = serde_json::json!({ "time": "2026-11-22T17:04:40Z" });
        assert_eq!(event_time_ms(&e), Some(1_795_367_080_000));
        assert_eq!(event_time_ms(&serde_json::json!({ "time": "soon" })), None);
        assert_eq!(event_time_ms(&serde_json::json!({})), None);
    }

    /// Every job the recovery function asks for opens API key values with the configured KMS
    /// key: without it, a restore into a target that already holds keys cannot compare them.
    #[tokio::test]
    async fn the_recovery_functions_jobs_carry_its_kms_key() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}", dir.path().display());
        let vars = [
            ("APIGW_DR_STORE", url.clone()),
            ("APIGW_DR_CATALOG", url),
            ("APIGW_DR_KMS_KEY", "alias/apigw-dr".to_string()),
        ];
        let cfg = crate::config::FunctionConfig::from_lookup(|k| {
            vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        })
        .unwrap();
        let f = RecoveryFunction::new(cfg, &crate::capture::mocks::sdk())
            .await
            .unwrap();
        let req = f.request("p1".into(), vec![], None);
        assert_eq!(req.kms_key.as_deref(), Some("alias/apigw-dr"));
        assert_eq!(req.key_file, None);
    }
}
