//! Recovery points: writing a snapshot into the store and the catalog, finding a point again,
//! reading it back (every object checked), verifying it, and pruning expired points and the
//! objects no point uses any more.
//!
//! Layout: each [`Entry`] of a snapshot is stored as canonical JSON under its SHA-256; the
//! [`Manifest`] lists `logical id -> hash` and is stored the same way; the manifest's hash is
//! the point's id. The manifest holds no time, so an unchanged source gives the same id: such
//! a snapshot writes nothing new and only refreshes the catalog record (confirmed time,
//! expiry, labels).

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};

use crate::canonical::{self, is_hash, sha256_hex};
use crate::catalog::Catalog;
use crate::model::{Entry, Snapshot, Source};
use crate::records::{Census, PointRecord, PointStatus};
use crate::store::Store;
use crate::{Error, Result};

/// How many store requests run at once.
const PARALLEL: usize = 16;
pub const MANIFEST_FORMAT: u32 = 1;
pub const DEFAULT_RETENTION_DAYS: i64 = 30;
pub const DEFAULT_KEEP: usize = 3;
/// Unreferenced objects younger than this are left alone by prune: a snapshot being written
/// at the same moment may not have recorded its point yet.
pub const DEFAULT_GRACE_SECS: i64 = 3600;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub source: Source,
    pub entries: Vec<ManifestEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub id: String,
    pub kind: String,
    pub hash: String,
    pub size: u64,
}

pub struct WriteOptions {
    pub label: Option<String>,
    pub trigger: String,
    pub retention_days: i64,
    /// What a selection brought in by closure, and why (see crate::select).
    pub closure: Vec<String>,
    /// For a point of the whole estate: every API the source held when the capture began.
    pub census: Option<Census>,
}

#[derive(Debug, Clone)]
pub struct WriteReport {
    pub record: PointRecord,
    /// Objects this write added to the store (the manifest included).
    pub new_objects: u64,
    pub new_bytes: u64,
    /// True when the source was exactly like an existing point: nothing new was written.
    pub unchanged: bool,
}

/// A label: 1 to 64 of `a-z 0-9 . _ -`.
pub fn check_label(label: &str) -> Result<()> {
    let ok = (1..=64).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "bad label '{label}': use 1 to 64 characters from a-z, 0-9, '.', '_' and '-'"
        )))
    }
}

/// Writes `snap` as a recovery point: objects first, then the manifest, then the catalog
/// record. A crash part-way leaves at most unreferenced objects, which prune removes.
pub async fn write(
    store: &Store,
    catalog: &Catalog,
    snap: &Snapshot,
    opts: &WriteOptions,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<WriteReport> {
    if let Some(l) = &opts.label {
        check_label(l)?;
    }
    let entries = snap.entries()?;
    let mut objects = Vec::with_capacity(entries.len());
    let mut manifest = Manifest {
        format: MANIFEST_FORMAT,
        source: snap.source.clone(),
        entries: Vec::with_capacity(entries.len()),
    };
    for e in &entries {
        let bytes = canonical::to_bytes(&e.value)?;
        let hash = sha256_hex(&bytes);
        manifest.entries.push(ManifestEntry {
            id: e.id.clone(),
            kind: e.kind.clone(),
            hash: hash.clone(),
            size: bytes.len() as u64,
        });
        objects.push((hash, bytes));
    }
    let manifest_bytes = canonical::to_bytes(&manifest)?;
    let id = sha256_hex(&manifest_bytes);

    // Objects the newest point of this source already has need no request at all; but where
    // a point of this source is known to be damaged, every object is checked and rewritten
    // if it is bad, so a new snapshot heals the store rather than reusing a bad object.
    let records = catalog.list().await?;
    let repair = records
        .iter()
        .any(|r| r.source == snap.source && r.status == PointStatus::Damaged);
    let known = if repair {
        BTreeSet::new()
    } else {
        known_hashes(store, &records, &snap.source).await
    };
    objects.sort_by(|a, b| a.0.cmp(&b.0));
    objects.dedup_by(|a, b| a.0 == b.0);
    let todo: Vec<&(String, Vec<u8>)> =
        objects.iter().filter(|(h, _)| !known.contains(h)).collect();
    if repair {
        progress("a point of this source is damaged: checking every object".into());
    }
    progress(format!(
        "writing {} objects ({} already stored) to {}",
        objects.len(),
        objects.len() - todo.len(),
        store.url()
    ));
    let written: Vec<(bool, u64)> = stream::iter(todo)
        .map(|(hash, bytes)| async move {
            let wrote = if repair {
                store.repair(hash, bytes).await
            } else {
                store.put(hash, bytes).await
            };
            wrote.map(|new| (new, bytes.len() as u64))
        })
        .buffer_unordered(PARALLEL)
        .try_collect()
        .await?;
    let mut new_objects = written.iter().filter(|w| w.0).count() as u64;
    let mut new_bytes: u64 = written.iter().filter(|w| w.0).map(|w| w.1).sum();
    let manifest_written = if repair {
        store.repair(&id, &manifest_bytes).await?
    } else {
        store.put(&id, &manifest_bytes).await?
    };
    if manifest_written {
        new_objects += 1;
        new_bytes += manifest_bytes.len() as u64;
    }

    let now = crate::time::now_ms();
    let fresh = PointRecord {
        id: id.clone(),
        labels: opts.label.iter().cloned().collect(),
        created: now,
        confirmed: now,
        expires: now + opts.retention_days.max(0) * crate::time::DAY_MS,
        source: snap.source.clone(),
        trigger: opts.trigger.clone(),
        status: PointStatus::Available,
        apis: entries
            .iter()
            .filter(|e| e.kind == "RestApi" || e.kind == "Api")
            .filter_map(|e| {
                e.value
                    .get("name")
                    .and_then(|n| n.as_str())
                    .map(str::to_string)
            })
            .collect(),
        counts: Snapshot::counts(&entries),
        objects: manifest.entries.len() as u64,
        bytes: manifest.entries.iter().map(|e| e.size).sum(),
        closure: opts.closure.clone(),
        gaps: snap.gaps.clone(),
        census: opts.census.clone(),
    };
    // Atomic: snapshots of the same source at the same moment each add their label and
    // extend the expiry; none undoes another's.
    let mut unchanged = false;
    let record = catalog
        .update::<PointRecord>(&id, |old| {
            unchanged = old.is_some();
            Ok(Some(match old {
                Some(old) => merge(old, &fresh, repair),
                None => fresh.clone(),
            }))
        })
        .await?
        .unwrap_or_else(|| fresh.clone());
    Ok(WriteReport {
        record,
        new_objects,
        new_bytes,
        unchanged,
    })
}

/// The record of a point written again (`fresh` describes this write): labels are the union,
/// the expiry and the confirmed time the later of both; the first creation time, trigger and
/// closure stay. A Damaged point becomes Available only when this write checked and rewrote
/// every object (`repaired`); otherwise its status stays what it is.
fn merge(mut rec: PointRecord, fresh: &PointRecord, repaired: bool) -> PointRecord {
    rec.confirmed = rec.confirmed.max(fresh.confirmed);
    rec.expires = rec.expires.max(fresh.expires);
    for l in &fresh.labels {
        if !rec.labels.contains(l) {
            rec.labels.push(l.clone());
        }
    }
    if repaired {
        rec.status = PointStatus::Available;
    }
    if rec.closure.is_empty() {
        rec.closure.clone_from(&fresh.closure);
    }
    // Gaps belong to a capture: the newest one says what this content lacks now; so does the
    // census (a capture of the whole estate taken again lists the APIs anew).
    if fresh.confirmed >= rec.confirmed {
        rec.gaps.clone_from(&fresh.gaps);
        if fresh.census.is_some() {
            rec.census.clone_from(&fresh.census);
        }
    }
    if rec.census.is_none() {
        rec.census.clone_from(&fresh.census);
    }
    rec
}

/// Hashes held by the newest point of the same source; empty when there is none or it cannot
/// be read (then every object is simply offered to the store).
async fn known_hashes(store: &Store, records: &[PointRecord], source: &Source) -> BTreeSet<String> {
    let Some(prev) = records
        .iter()
        .find(|r| &r.source == source && r.status == PointStatus::Available)
    else {
        return BTreeSet::new();
    };
    match read_manifest(store, &prev.id).await {
        Ok(m) => m
            .entries
            .into_iter()
            .map(|e| e.hash)
            .chain([prev.id.clone()])
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// Finds a point by full id, unique id prefix (4+ hex digits), label (the newest point that
/// carries it), or `latest` (the newest available point).
pub async fn resolve(catalog: &Catalog, spec: &str) -> Result<PointRecord> {
    let all = catalog.list().await?;
    let not_found = || {
        Error::NotFound(format!(
            "no recovery point '{spec}' in the catalog {}: `apigw-dr list` shows the points",
            catalog.url()
        ))
    };
    if spec == "latest" {
        return all
            .into_iter()
            .find(|r| r.status == PointStatus::Available)
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "the catalog {} has no available recovery point: take one with `apigw-dr snapshot`",
                    catalog.url()
                ))
            });
    }
    if let Some(r) = all.iter().find(|r| r.labels.iter().any(|l| l == spec)) {
        return Ok(r.clone());
    }
    let hexish = spec.len() >= 4 && spec.bytes().all(|b| b.is_ascii_hexdigit());
    if !hexish {
        return Err(not_found());
    }
    let spec_lc = spec.to_ascii_lowercase();
    let matches: Vec<&PointRecord> = all.iter().filter(|r| r.id.starts_with(&spec_lc)).collect();
    match matches.as_slice() {
        [] => Err(not_found()),
        [one] => Ok((*one).clone()),
        many => Err(Error::Invalid(format!(
            "'{spec}' matches {} recovery points ({}): give more of the id",
            many.len(),
            many.iter()
                .map(|r| short(&r.id))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// How many of the newest points automatic failover searches for a complete one (a point
/// whose capture lacked nothing) before it takes the newest point whatever it lacks.
pub const COMPLETE_WITHIN: usize = 3;

/// The point automatic failover restores among `candidates` (good points, newest first), and
/// why: the newest complete point among the newest [`COMPLETE_WITHIN`], else the newest.
pub fn choose_for_failover<'a>(
    candidates: &[&'a PointRecord],
) -> Option<(&'a PointRecord, String)> {
    let newest = *candidates.first()?;
    let lacks = |r: &PointRecord| {
        r.gaps
            .iter()
            .map(crate::model::Gap::describe)
            .collect::<Vec<_>>()
            .join("; ")
    };
    if newest.gaps.is_empty() {
        return Some((
            newest,
            format!("point {}: the newest, complete", short(&newest.id)),
        ));
    }
    match candidates
        .iter()
        .take(COMPLETE_WITHIN)
        .find(|r| r.gaps.is_empty())
    {
        Some(r) => Some((
            *r,
            format!(
                "point {}: the newest complete point among the last {COMPLETE_WITHIN}; the newer {} lacks {}",
                short(&r.id),
                short(&newest.id),
                lacks(newest)
            ),
        )),
        None => Some((
            newest,
            format!(
                "point {}: the newest, though it lacks {} (none of the last {COMPLETE_WITHIN} is complete)",
                short(&newest.id),
                lacks(newest)
            ),
        )),
    }
}

/// What automatic failover restores, in the order its jobs run: per point, the names of the
/// APIs it takes from that point (empty: the point whole); and one line per decision (what each
/// API is taken from and why, what is left out and why), for the log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailoverChoice {
    pub jobs: Vec<(String, Vec<String>)>,
    pub notes: Vec<String>,
}

/// The points automatic failover restores, from `records` (the catalog's, newest first, as
/// [`Catalog::list`] gives them; `catalog` names it in errors).
///
/// With a `selection` (API names): each API from its newest good point
/// ([`choose_for_failover`] among the points that hold it), grouped by point.
///
/// Without one, the whole source as the catalog knows it (the source of the newest good
/// point). The estate's point it takes (a point with a [`Census`]: the newest complete one, by
/// [`choose_for_failover`]) says which APIs the source held when that capture began; an API neither listed there nor held by a point confirmed
/// since was gone, and is left out. Every other API is taken from its newest good point,
/// grouped as with a selection; the estate from the estate's point ([`choose_for_failover`]
/// among the estate's points), whole: the estate, and the APIs its mappings and usage plans
/// name as of that capture. That job runs first, so that a mapping never waits for an API
/// another job makes; each later job updates in place (by source tag) the APIs it takes, the
/// newest copy (an API changed since the estate's point is taken from its newer point, after).
/// Later jobs run oldest point first, so an estate item several of them bring (a domain) ends
/// in its newest copy. Without any `schedule` point (CLI snapshots only), or without a census
/// (points recorded before it was kept), the newest point whole, as before.
pub fn choose_failover(
    records: &[PointRecord],
    selection: &[String],
    catalog: &str,
) -> Result<FailoverChoice> {
    let good: Vec<&PointRecord> = records
        .iter()
        .filter(|r| r.status == PointStatus::Available)
        .collect();
    let mut out = FailoverChoice::default();
    if !selection.is_empty() {
        out.jobs = by_point(selection, &good, &mut out.notes)?;
        return Ok(out);
    }
    let none = || {
        Error::NotFound(format!(
            "the catalog {catalog} has no good recovery point to restore"
        ))
    };
    let newest = *good.first().ok_or_else(none)?;
    let of_source: Vec<&PointRecord> = good
        .iter()
        .copied()
        .filter(|r| r.source == newest.source)
        .collect();
    let estates: Vec<&PointRecord> = of_source
        .iter()
        .copied()
        .filter(|r| r.census.is_some())
        .collect();
    let swept = of_source.iter().any(|r| r.trigger == "schedule");
    // The census is the estate point's that the failover takes: a newer capture that lacks
    // something may have missed an API that was there.
    let chosen = swept
        .then(|| choose_for_failover(&estates))
        .flatten()
        .and_then(|(e, why)| Some((e, e.census.as_ref()?, why)));
    let Some((estate, census, why)) = chosen else {
        if swept {
            out.notes.push(
                "(all): no point of the estate lists the APIs the source held (recorded before \
                 the census was kept): the newest point is taken whole"
                    .into(),
            );
        }
        let (rec, why) = choose_for_failover(&good).ok_or_else(none)?;
        out.notes.push(format!("(all): failover takes {why}"));
        out.jobs.push((rec.id.clone(), vec![]));
        return Ok(out);
    };
    out.notes.push(format!(
        "(estate): failover takes {why}, whole and first (the estate, and the APIs its \
         mappings and usage plans name: {})",
        list_or_none(&estate.apis)
    ));
    let mut names: Vec<&String> = of_source.iter().flat_map(|r| &r.apis).collect();
    names.extend(&census.apis);
    names.sort();
    names.dedup();
    let mut present = vec![];
    for name in names {
        let Some(holder) = of_source.iter().find(|r| r.apis.contains(name)) else {
            out.notes.push(format!(
                "{name}: not restored: the source held it at {}, but no good point holds it \
                 (its captures failed: `apigw-dr snapshot --select {name}` takes one)",
                crate::time::rfc3339(census.at)
            ));
            continue;
        };
        if census.apis.contains(name) || holder.confirmed >= census.at {
            present.push(name.clone());
            continue;
        }
        let also = if estate.apis.contains(name) {
            format!(", though point {} restores it", short(&estate.id))
        } else {
            String::new()
        };
        out.notes.push(format!(
            "{name}: left out{also}: the source no longer held it when the capture of its estate \
             began ({}); its newest point {} was last confirmed {}",
            crate::time::rfc3339(census.at),
            short(&holder.id),
            crate::time::rfc3339(holder.confirmed)
        ));
    }
    let mut jobs = by_point(&present, &of_source, &mut out.notes)?;
    jobs.retain(|(p, _)| *p != estate.id);
    let age = |id: &str| {
        of_source
            .iter()
            .find(|r| r.id == id)
            .map(|r| (r.confirmed, r.created))
    };
    jobs.sort_by_key(|(p, _)| age(p));
    out.jobs = std::iter::once((estate.id.clone(), vec![]))
        .chain(jobs)
        .collect();
    Ok(out)
}

/// Each of `names` from its newest good point among `among` ([`choose_for_failover`] among the
/// points that hold it), grouped by point in the order the names first take them.
fn by_point(
    names: &[String],
    among: &[&PointRecord],
    notes: &mut Vec<String>,
) -> Result<Vec<(String, Vec<String>)>> {
    let mut out: Vec<(String, Vec<String>)> = vec![];
    for name in names {
        let holding: Vec<&PointRecord> = among
            .iter()
            .copied()
            .filter(|r| r.apis.contains(name))
            .collect();
        let (rec, why) = choose_for_failover(&holding).ok_or_else(|| {
            Error::NotFound(format!(
                "no good recovery point holds the REST API '{name}'"
            ))
        })?;
        notes.push(format!("{name}: failover takes {why}"));
        match out.iter_mut().find(|(p, _)| *p == rec.id) {
            Some((_, names)) => names.push(name.clone()),
            None => out.push((rec.id.clone(), vec![name.clone()])),
        }
    }
    Ok(out)
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

pub use crate::model::short;

pub async fn read_manifest(store: &Store, id: &str) -> Result<Manifest> {
    if !is_hash(id) {
        return Err(Error::Invalid(format!("'{id}' is not a recovery point id")));
    }
    let bytes = store
        .get(id, &format!("manifest of point {}", short(id)))
        .await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::decode(format!("decoding the manifest of point {}", short(id)), e))
}

/// Reads a whole point back into the model. Every object is checked; the first bad one stops
/// the read with its name.
pub async fn load(store: &Store, id: &str) -> Result<(Manifest, Snapshot)> {
    let manifest = read_manifest(store, id).await?;
    let entries: Vec<Entry> = stream::iter(manifest.entries.iter())
        .map(|m| async move {
            let bytes = store.get(&m.hash, &m.id).await?;
            let value = serde_json::from_slice(&bytes)
                .map_err(|e| Error::decode(format!("decoding {}", m.id), e))?;
            Ok::<_, Error>(Entry {
                id: m.id.clone(),
                kind: m.kind.clone(),
                value,
            })
        })
        .buffered(PARALLEL)
        .try_collect()
        .await?;
    let snap = Snapshot::from_entries(manifest.source.clone(), entries)?;
    Ok((manifest, snap))
}

#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub checked: u64,
    /// One line per bad object: which object, and what is wrong with it.
    pub bad: Vec<String>,
}

/// Checks that the manifest and every object of the point are present and match their hash,
/// and records the outcome as the point's status in the catalog.
pub async fn verify(
    store: &Store,
    catalog: &Catalog,
    rec: &PointRecord,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<VerifyReport> {
    let mut report = VerifyReport::default();
    match read_manifest(store, &rec.id).await {
        Err(e @ (Error::Integrity(_) | Error::Decode { .. })) => {
            report.checked = 1;
            report.bad.push(e.to_string());
        }
        Err(e) => return Err(e),
        Ok(manifest) => {
            report.checked = 1 + manifest.entries.len() as u64;
            progress(format!("checking {} objects", manifest.entries.len() + 1));
            let results: Vec<Result<()>> = stream::iter(manifest.entries.iter())
                .map(|m| async move { store.get(&m.hash, &m.id).await.map(|_| ()) })
                .buffered(PARALLEL)
                .collect()
                .await;
            for r in results {
                match r {
                    Ok(()) => {}
                    Err(e @ Error::Integrity(_)) => report.bad.push(e.to_string()),
                    Err(e) => return Err(e),
                }
            }
        }
    }
    let status = if report.bad.is_empty() {
        PointStatus::Available
    } else {
        PointStatus::Damaged
    };
    if status != rec.status {
        set_status(catalog, &rec.id, status).await?;
    }
    Ok(report)
}

/// Records a point's status as a check found it (a record removed meanwhile stays removed).
pub async fn set_status(catalog: &Catalog, id: &str, status: PointStatus) -> Result<()> {
    catalog
        .update::<PointRecord>(id, |old| {
            Ok(old.map(|mut r| {
                r.status = status;
                r
            }))
        })
        .await
        .map(|_| ())
}

pub struct PruneOptions {
    pub keep: usize,
    pub grace_secs: i64,
    pub dry_run: bool,
    /// Milliseconds since the epoch.
    pub now: i64,
}

#[derive(Debug, Clone, Default)]
pub struct PruneReport {
    pub removed: Vec<PointRecord>,
    /// Expired points kept because they are among the newest good ones.
    pub kept_expired: Vec<String>,
    pub deleted_objects: u64,
    pub freed_bytes: u64,
    /// Why unreferenced objects were left alone, when they were.
    pub objects_skipped: Option<String>,
}

/// Removes expired points (but never the newest `keep` available ones), then the objects that
/// no remaining point uses and that are older than the grace period. With `dry_run`, reports
/// what it would do and changes nothing.
pub async fn prune(store: &Store, catalog: &Catalog, opts: &PruneOptions) -> Result<PruneReport> {
    let records = catalog.list().await?;
    let keep: BTreeSet<&str> = records
        .iter()
        .filter(|r| r.status == PointStatus::Available)
        .take(opts.keep)
        .map(|r| r.id.as_str())
        .collect();
    let mut report = PruneReport::default();
    let mut remaining = Vec::new();
    for r in &records {
        let expired = r.expires <= opts.now;
        if expired && !keep.contains(r.id.as_str()) {
            report.removed.push(r.clone());
        } else {
            if expired {
                report.kept_expired.push(r.id.clone());
            }
            remaining.push(r);
        }
    }
    if !opts.dry_run {
        for r in &report.removed {
            catalog.delete(&r.id).await?;
        }
    }

    let mut referenced: BTreeSet<String> = BTreeSet::new();
    for r in &remaining {
        match read_manifest(store, &r.id).await {
            Ok(m) => {
                referenced.insert(r.id.clone());
                referenced.extend(m.entries.into_iter().map(|e| e.hash));
            }
            Err(e) => {
                report.objects_skipped = Some(format!(
                    "unreferenced objects were left in place: point {} cannot be read ({e}); run `apigw-dr verify {}`",
                    short(&r.id),
                    short(&r.id)
                ));
                return Ok(report);
            }
        }
    }
    let garbage: Vec<_> = store
        .list()
        .await?
        .into_iter()
        .filter(|o| {
            !referenced.contains(&o.hash)
                && o.modified <= opts.now - opts.grace_secs * crate::time::SECOND_MS
        })
        .collect();
    report.deleted_objects = garbage.len() as u64;
    report.freed_bytes = garbage.iter().map(|o| o.size).sum();
    if !opts.dry_run {
        stream::iter(garbage.iter())
            .map(|o| store.delete(&o.hash))
            .buffer_unordered(PARALLEL)
            .try_collect::<Vec<()>>()
            .await?;
    }
    Ok(report)
}

/// Objects per kind of a manifest, for `show`.
pub fn kinds(manifest: &Manifest) -> BTreeMap<String, Vec<&ManifestEntry>> {
    let mut m: BTreeMap<String, Vec<&ManifestEntry>> = BTreeMap::new();
    for e in &manifest.entries {
        m.entry(e.kind.clone()).or_default().push(e);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(labels: &[&str], confirmed: i64, expires: i64, status: PointStatus) -> PointRecord {
        PointRecord {
            id: "ab".repeat(32),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            created: 1,
            confirmed,
            expires,
            source: Source {
                partition: "aws".into(),
                account: "123456789012".into(),
                region: "us-east-1".into(),
            },
            trigger: "cli".into(),
            status,
            apis: vec![],
            counts: BTreeMap::new(),
            objects: 0,
            bytes: 0,
            closure: vec![],
            gaps: vec![],
            census: None,
        }
    }

    #[test]
    fn a_point_written_again_keeps_what_others_wrote() {
        let stored = record(&["a", "b"], 50, 900, PointStatus::Available);
        let fresh = record(&["b", "c"], 40, 500, PointStatus::Available);
        let m = merge(stored, &fresh, false);
        assert_eq!(m.labels, ["a", "b", "c"]);
        assert_eq!((m.confirmed, m.expires), (50, 900), "never moves back");
        let m = merge(m, &record(&[], 60, 1000, PointStatus::Available), false);
        assert_eq!((m.confirmed, m.expires), (60, 1000));

        // A verify found it damaged meanwhile: only a write that repaired it makes it good.
        let damaged = record(&["a"], 50, 900, PointStatus::Damaged);
        assert_eq!(
            merge(damaged.clone(), &fresh, false).status,
            PointStatus::Damaged
        );
        assert_eq!(merge(damaged, &fresh, true).status, PointStatus::Available);
    }

    fn gapped(id: &str, gaps: usize) -> PointRecord {
        PointRecord {
            id: id.repeat(64 / id.len()),
            labels: vec![],
            created: 0,
            confirmed: 0,
            expires: 0,
            source: Source {
                partition: "aws".into(),
                account: "111111111111".into(),
                region: "eu-west-1".into(),
            },
            trigger: "schedule".into(),
            status: PointStatus::Available,
            apis: vec![],
            counts: BTreeMap::new(),
            objects: 0,
            bytes: 0,
            closure: vec![],
            gaps: (0..gaps)
                .map(|i| {
                    crate::model::Gap::new(
                        "RouteResponse",
                        &format!("api{i}"),
                        "not served by the source: GetRouteResponses answered 500",
                    )
                })
                .collect(),
            census: None,
        }
    }

    #[tokio::test]
    async fn the_same_content_captured_again_keeps_the_newest_captures_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}", dir.path().display());
        let (store, catalog) = crate::location::open(&url, None, None).await.unwrap();
        let gap = |kind: &str| {
            crate::model::Gap::new(
                kind,
                "a1",
                "not served by the source: GetModels answered 500",
            )
        };
        let mut snap = Snapshot {
            source: gapped("a", 0).source,
            rest_apis: vec![],
            apis_v2: vec![],
            estate: crate::model::estate::Estate {
                account: Some(crate::model::estate::Account {
                    features: vec!["UsagePlans".into()],
                    ..Default::default()
                }),
                ..Default::default()
            },
            gaps: vec![gap("ModelV2"), gap("RouteResponse")],
        };
        let opts = WriteOptions {
            label: None,
            trigger: "test".into(),
            retention_days: 1,
            closure: vec![],
            census: None,
        };
        let first = write(&store, &catalog, &snap, &opts, &|_| {})
            .await
            .unwrap();
        assert_eq!(first.record.gaps, snap.gaps);
        // Gaps are not content: the same point, now with what this capture lacked.
        snap.gaps = vec![gap("ModelV2")];
        let again = write(&store, &catalog, &snap, &opts, &|_| {})
            .await
            .unwrap();
        assert!(again.unchanged);
        assert_eq!(again.record.id, first.record.id);
        let stored = resolve(&catalog, &first.record.id).await.unwrap();
        assert_eq!(stored.gaps, [gap("ModelV2")]);
        snap.gaps.clear();
        write(&store, &catalog, &snap, &opts, &|_| {})
            .await
            .unwrap();
        let stored = resolve(&catalog, &first.record.id).await.unwrap();
        assert!(stored.gaps.is_empty(), "complete now");
    }

    #[test]
    fn a_record_without_gaps_loads_and_is_written_without_them() {
        let mut doc = serde_json::to_value(gapped("a", 0)).unwrap();
        assert!(doc.get("gaps").is_none(), "{doc}");
        doc.as_object_mut().unwrap().remove("gaps");
        let back: PointRecord = serde_json::from_value(doc).unwrap();
        assert!(back.gaps.is_empty());
    }

    #[test]
    fn failover_prefers_a_recent_complete_point() {
        let choose = |rs: &[PointRecord]| {
            let refs: Vec<&PointRecord> = rs.iter().collect();
            choose_for_failover(&refs).map(|(r, why)| (r.id[..1].to_string(), why))
        };
        assert_eq!(choose(&[]), None);
        // The newest is complete: taken.
        let (id, why) = choose(&[gapped("a", 0), gapped("b", 0)]).unwrap();
        assert_eq!(id, "a");
        assert!(why.contains("the newest, complete"), "{why}");
        // The newest lacks route responses; the third newest is complete: taken, and why.
        let (id, why) = choose(&[gapped("a", 1), gapped("b", 2), gapped("c", 0)]).unwrap();
        assert_eq!(id, "c");
        assert!(
            why.contains("newest complete point among the last 3")
                && why.contains("route responses of API api0"),
            "{why}"
        );
        // A complete point older than the last 3 is not worth the older content.
        let (id, why) = choose(&[
            gapped("a", 1),
            gapped("b", 1),
            gapped("c", 1),
            gapped("d", 0),
        ])
        .unwrap();
        assert_eq!(id, "a");
        assert!(why.contains("none of the last 3 is complete"), "{why}");
    }

    /// A point of the source `eu-west-1` holding `apis`, taken by `trigger` at `created`, last
    /// found unchanged at `confirmed`; `census`: a point of the whole estate, begun at that time.
    fn taken(
        id: &str,
        trigger: &str,
        apis: &[&str],
        (created, confirmed): (i64, i64),
        census: Option<(i64, &[&str])>,
    ) -> PointRecord {
        let mut r = gapped(id, 0);
        r.trigger = trigger.into();
        r.apis = apis.iter().map(|a| a.to_string()).collect();
        (r.created, r.confirmed) = (created, confirmed);
        r.census = census.map(|(at, apis)| Census {
            at,
            apis: apis.iter().map(|a| a.to_string()).collect(),
        });
        r
    }

    /// The catalog's order: newest first.
    fn newest_first(mut rs: Vec<PointRecord>) -> Vec<PointRecord> {
        rs.sort_by_key(|r| std::cmp::Reverse((r.confirmed, r.created)));
        rs
    }

    fn jobs_of(c: &FailoverChoice) -> Vec<(String, Vec<String>)> {
        c.jobs
            .iter()
            .map(|(p, apis)| (p[..1].to_string(), apis.clone()))
            .collect()
    }

    fn job(p: &str, apis: &[&str]) -> (String, Vec<String>) {
        (p.into(), apis.iter().map(|a| a.to_string()).collect())
    }

    /// The deployed shape: two sweeps (one point per API and one of the estate, which maps
    /// `orders`, `users` and `orders-http`), `legacy` deleted between them, then a change point
    /// of `orders` and a new API `new`. Unchanged captures kept their points and moved their
    /// confirmed time.
    fn swept() -> Vec<PointRecord> {
        let mapped: &[&str] = &["orders", "orders-http", "users"];
        newest_first(vec![
            // Sweep 1 began at 100, sweep 2 at 200.
            taken("o", "schedule", &["orders"], (110, 210), None),
            taken("u", "schedule", &["users"], (115, 215), None),
            taken("h", "schedule", &["orders-http"], (120, 220), None),
            taken("c", "schedule", &["chat"], (112, 212), None),
            taken("l", "schedule", &["legacy"], (125, 125), None),
            taken(
                "e",
                "schedule",
                mapped,
                (130, 230),
                Some((200, &["chat", "orders", "orders-http", "users"])),
            ),
            taken("x", "change:PutMethod", &["orders"], (300, 300), None),
            taken("n", "change:CreateRestApi", &["new"], (250, 250), None),
        ])
    }

    #[test]
    fn failover_without_a_selection_restores_the_whole_source_the_estate_first() {
        let c = choose_failover(&swept(), &[], "cat").unwrap();
        // The estate's point whole (with `users` and `orders-http`, unchanged since), then the
        // others oldest first: `chat` (unmapped), `new` (made since), `orders` (changed since).
        assert_eq!(
            jobs_of(&c),
            [
                job("e", &[]),
                job("c", &["chat"]),
                job("n", &["new"]),
                job("x", &["orders"])
            ],
            "{:#?}",
            c.notes
        );
        let notes = c.notes.join("\n");
        assert!(
            notes.contains("legacy: left out: the source no longer held it")
                && notes.contains("its newest point llllllllllll was last confirmed"),
            "{notes}"
        );
        assert!(
            notes.contains("(estate): failover takes point eeeeeeeeeeee")
                && notes.contains("orders, orders-http, users"),
            "{notes}"
        );

        // Per API, the newest complete point among the last 3: the change point of `orders`
        // lacks something, so `orders` comes from the estate's point, and no job of its own.
        let mut rs = swept();
        rs.iter_mut().find(|r| r.id.starts_with('x')).unwrap().gaps = gapped("x", 1).gaps;
        let c = choose_failover(&rs, &[], "cat").unwrap();
        assert_eq!(
            jobs_of(&c),
            [job("e", &[]), job("c", &["chat"]), job("n", &["new"])]
        );

        // A newer capture of the estate that lacks something (here: `users`, whose capture
        // failed) is not the census: the complete one the failover takes is.
        let mut rs = swept();
        let mut broken = taken(
            "f",
            "schedule",
            &["orders", "orders-http"],
            (240, 240),
            Some((235, &["chat", "orders", "orders-http"])),
        );
        broken.gaps = gapped("f", 1).gaps;
        rs.push(broken);
        let c = choose_failover(&newest_first(rs), &[], "cat").unwrap();
        assert_eq!(jobs_of(&c)[0], job("e", &[]), "{:#?}", c.notes);
        assert!(
            !c.notes.iter().any(|n| n.starts_with("users: left out")),
            "{:#?}",
            c.notes
        );

        // An API the census lists but no point holds is named, not invented.
        let mut rs = swept();
        rs.retain(|r| !r.id.starts_with('c'));
        let c = choose_failover(&rs, &[], "cat").unwrap();
        assert!(
            c.notes
                .iter()
                .any(|n| n.starts_with("chat: not restored") && n.contains("no good point")),
            "{:#?}",
            c.notes
        );
        assert!(
            c.jobs
                .iter()
                .all(|(_, apis)| !apis.contains(&"chat".into()))
        );
    }

    #[test]
    fn failover_keeps_the_newest_point_whole_without_a_sweep_or_a_census() {
        // CLI snapshots only: the newest point whole, as before (a whole-source point holds
        // everything), though a census is there.
        let mut rs = swept();
        for r in &mut rs {
            r.trigger = "cli".into();
        }
        let c = choose_failover(&rs, &[], "cat").unwrap();
        assert_eq!(jobs_of(&c), [job("x", &[])]);
        // Points recorded before the census: the newest whole, and why.
        let mut rs = swept();
        for r in &mut rs {
            r.census = None;
        }
        let c = choose_failover(&rs, &[], "cat").unwrap();
        assert_eq!(jobs_of(&c), [job("x", &[])]);
        assert!(
            c.notes[0].contains("no point of the estate lists"),
            "{:?}",
            c.notes
        );
        // Nothing good at all.
        let mut rs = swept();
        for r in &mut rs {
            r.status = PointStatus::Damaged;
        }
        let e = choose_failover(&rs, &[], "cat").unwrap_err().to_string();
        assert!(
            e.contains("the catalog cat has no good recovery point"),
            "{e}"
        );
    }

    #[test]
    fn failover_with_a_selection_takes_each_api_from_its_newest_point() {
        let sel = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let c =
            choose_failover(&swept(), &sel(&["orders", "users", "orders-http"]), "cat").unwrap();
        assert_eq!(
            jobs_of(&c),
            [job("x", &["orders"]), job("e", &["users", "orders-http"])]
        );
        // `legacy` was selected: its last point, whatever the sweeps say.
        let c = choose_failover(&swept(), &sel(&["legacy"]), "cat").unwrap();
        assert_eq!(jobs_of(&c), [job("l", &["legacy"])]);
        let e = choose_failover(&swept(), &sel(&["nope"]), "cat")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no good recovery point holds the REST API 'nope'"),
            "{e}"
        );
    }

    #[test]
    fn a_census_is_the_newest_captures() {
        let old = taken("e", "schedule", &[], (1, 10), Some((5, &["a", "b"])));
        let fresh = taken("e", "schedule", &[], (20, 20), Some((15, &["a"])));
        assert_eq!(merge(old.clone(), &fresh, false).census, fresh.census);
        // An older capture, or one of some APIs only, leaves it.
        let late = taken("e", "schedule", &[], (1, 30), Some((25, &["z"])));
        assert_eq!(merge(late.clone(), &fresh, false).census, late.census);
        let some = taken("e", "change:PutMethod", &[], (40, 40), None);
        assert_eq!(merge(old.clone(), &some, false).census, old.census);
        // Same content first taken of one API, then of the estate: it lists them now.
        let plain = taken("e", "schedule", &[], (1, 10), None);
        assert_eq!(merge(plain, &late, false).census, late.census);
    }

    #[test]
    fn labels() {
        for ok in ["a", "pre-release.1_x", &"a".repeat(64)] {
            assert!(check_label(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Upper", "sp ace", "a/b", &"a".repeat(65), "é"] {
            let e = check_label(bad).unwrap_err().to_string();
            assert!(e.contains("bad label"), "{bad}: {e}");
        }
    }
}
