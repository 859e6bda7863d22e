//! Failback (issue 12): bringing the recovery side's APIs home once the source is back.
//!
//! A point of the recovery side (taken there during the incident) holds APIs whose
//! `apigw-dr:source` tag names the API each was restored from. [`rehome`] translates that
//! point back (the mapping file inverted, [`Mapping::invert`]) and gives each API the id it
//! has in the source, so that the failback is an in-place restore into the source
//! (`JobRequest::failback`, `crate::jobs::failback_prepared`): what changed during the
//! incident is applied to the original APIs, which keep their ids, and verified. Pure but for
//! [`last_recovery_point`], which reads the catalog.

use std::collections::BTreeMap;

use crate::catalog::Catalog;
use crate::model::{Snapshot, Source};
use crate::records::{JobRecord, JobRequest, PointRecord, PointStatus};
use crate::restore::difference::TAG_SOURCE;
use crate::translate::{self, Mapping};
use crate::{Error, Result};

/// The source an API restored by apigw-dr came from, by its tag: (account, Region, API id).
fn tagged_source(tags: &BTreeMap<String, String>) -> Option<(&str, &str, &str)> {
    let mut parts = tags.get(TAG_SOURCE)?.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(r), Some(id)) if !a.is_empty() && !r.is_empty() && !id.is_empty() => {
            Some((a, r, id))
        }
        _ => None,
    }
}

/// Every API of the snapshot: (its id, its tags).
fn api_tags(snap: &Snapshot) -> impl Iterator<Item = (&str, &BTreeMap<String, String>)> {
    snap.rest_apis
        .iter()
        .map(|a| (a.api.id.as_str(), &a.api.tags))
        .chain(
            snap.apis_v2
                .iter()
                .map(|a| (a.api.api_id.as_str(), &a.api.tags)),
        )
}

/// The place a point of the recovery side was restored from: the one (account, Region) its
/// APIs' `apigw-dr:source` tags name.
pub fn origin(snap: &Snapshot) -> Result<Source> {
    let mut places: Vec<(&str, &str)> = api_tags(snap)
        .filter_map(|(_, t)| tagged_source(t))
        .map(|(a, r, _)| (a, r))
        .collect();
    places.sort_unstable();
    places.dedup();
    match places.as_slice() {
        [(account, region)] => Ok(Source {
            partition: snap.source.partition.clone(),
            account: account.to_string(),
            region: region.to_string(),
        }),
        [] => Err(Error::Invalid(format!(
            "the point of {} holds no API that apigw-dr restored from elsewhere: a failback takes a point of the recovery side, taken after a failover (`apigw-dr list`)",
            snap.source.short()
        ))),
        many => Err(Error::Invalid(format!(
            "the point of {} holds APIs restored from several places ({}): fail back one at a time with `--api NAME`",
            snap.source.short(),
            many.iter()
                .map(|(a, r)| format!("{a}/{r}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A point of the recovery side as its origin must hold it: every reference translated back
/// (`inverted`: the mapping file inverted), each API given the id it has in the origin (by
/// its `apigw-dr:source` tag, which is dropped: the originals do not carry it), and the
/// origin as its source. An API made during the incident (no tag) keeps its id and is
/// created. A reference that cannot be translated back is an error naming it. Pure.
pub fn rehome(snap: &Snapshot, inverted: &Mapping) -> Result<Snapshot> {
    let origin = origin(snap)?;
    let ids: BTreeMap<String, String> = api_tags(snap)
        .filter_map(|(id, t)| {
            let (a, r, from) = tagged_source(t)?;
            (a == origin.account && r == origin.region).then(|| (id.to_string(), from.to_string()))
        })
        .collect();
    let ctx = translate::Context {
        source: snap.source.clone(),
        target: origin.clone(),
        mapping: inverted.clone(),
        ids: ids.clone(),
    };
    let mut entries = snap.entries()?;
    let report = translate::translate_entries(&mut entries, &ctx);
    if !report.problems.is_empty() {
        let named: Vec<String> = report
            .problems
            .iter()
            .take(3)
            .map(|p| format!("{} {}: {} ({})", p.object, p.pointer, p.value, p.why))
            .collect();
        return Err(Error::Invalid(format!(
            "failback into {}: {} reference(s) cannot be translated back, such as {}; add the source's value for each to the mapping file (it is inverted for the failback)",
            origin.short(),
            report.problems.len(),
            named.join("; ")
        )));
    }
    // The API objects themselves: their ids (not translated: an object's own id), and the tag.
    for e in &mut entries {
        let field = match e.kind.as_str() {
            "RestApi" => "id",
            "Api" => "apiId",
            _ => continue,
        };
        if let Some(to) = e.value[field].as_str().and_then(|id| ids.get(id)) {
            e.value[field] = serde_json::Value::String(to.clone());
        }
        if let Some(tags) = e.value.get_mut("tags").and_then(|t| t.as_object_mut()) {
            tags.remove(TAG_SOURCE);
        }
    }
    let mut out = Snapshot::from_entries(origin, entries)?;
    out.gaps.clone_from(&snap.gaps);
    Ok(out)
}

/// The mapping file of a failback request, parsed and inverted: an uninvertible one is an
/// error before anything is read or written.
pub fn failback_mapping(request: &JobRequest) -> Result<Option<Mapping>> {
    request
        .mapping
        .as_deref()
        .map(|text| Mapping::parse(text, request.mapping_format.as_deref())?.invert())
        .transpose()
}

/// Whether a job was a failover: a restore into another place than its point's source, not
/// a standby sync nor a failback, that got as far as a report.
fn failover_target(j: &JobRecord) -> Option<&Source> {
    if j.request.standby || j.request.failback || j.request.in_place || j.request.drill {
        return None;
    }
    j.report.as_ref().map(|r| &r.target)
}

/// The point a failback takes by default: the newest good point whose source is the target
/// of the last failover job (`jobs` and `points` newest first).
pub fn recovery_point<'a>(
    jobs: &[JobRecord],
    points: &'a [PointRecord],
) -> Result<&'a PointRecord> {
    let target = jobs.iter().find_map(failover_target).ok_or_else(|| {
        Error::NotFound(
            "no failover job in the catalog: name the point of the recovery side to fail back (`apigw-dr failback POINT`)"
                .into(),
        )
    })?;
    points
        .iter()
        .filter(|p| {
            p.status == PointStatus::Available
                && p.source.account == target.account
                && p.source.region == target.region
        })
        .max_by_key(|p| p.created)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "no good point of the recovery side ({}) in the catalog: take one there (`apigw-dr snapshot --region {}`) and run failback again",
                target.short(),
                target.region
            ))
        })
}

/// [`recovery_point`] from the catalog: the point's id.
pub async fn last_recovery_point(catalog: &Catalog) -> Result<String> {
    let jobs = catalog.list_jobs().await?;
    let points = catalog.list().await?;
    Ok(recovery_point(&jobs, &points)?.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::v1::{Integration, Method, RestApi, RestApiSnapshot};
    use crate::records::Phase;
    use crate::standby::tests::{job, point, src};

    #[test]
    fn failback_takes_the_newest_point_of_the_last_failovers_target() {
        let (a, b) = (
            src("111111111111", "us-east-1"),
            src("222222222222", "us-west-2"),
        );
        let points = vec![
            point("b-old", b.clone(), 1),
            point("b-new", b.clone(), 5),
            point("a-newest", a.clone(), 9),
        ];
        let jobs = vec![
            job("standby", true, Phase::Succeeded, 9, Some(a.clone())),
            job("failover", false, Phase::Succeeded, 8, Some(b.clone())),
        ];
        assert_eq!(recovery_point(&jobs, &points).unwrap().id, "b-new");
        let e = recovery_point(&jobs[..1], &points).unwrap_err().to_string();
        assert!(
            e.contains("no failover job") && e.contains("failback POINT"),
            "{e}"
        );
        let e = recovery_point(&jobs, &points[2..]).unwrap_err().to_string();
        assert!(
            e.contains("222222222222/us-west-2") && e.contains("--region us-west-2"),
            "{e}"
        );
    }

    /// The recovery side's copy of API `orig1` of 111111111111/us-east-1: id `rec1` in
    /// 222222222222/us-west-2, calling the function `orders-dr` there.
    fn recovery_side(tagged: bool) -> Snapshot {
        let mut tags = BTreeMap::from([("team".to_string(), "pets".to_string())]);
        if tagged {
            tags.insert(TAG_SOURCE.into(), "111111111111/us-east-1/orig1".into());
        }
        Snapshot {
            source: src("222222222222", "us-west-2"),
            rest_apis: vec![RestApiSnapshot {
                api: RestApi {
                    id: "rec1".into(),
                    name: "orders".into(),
                    policy: Some(
                        r#"{"Resource":"arn:aws:execute-api:us-west-2:222222222222:rec1/*"}"#
                            .into(),
                    ),
                    tags,
                    ..Default::default()
                },
                methods: vec![Method {
                    resource_id: "r1".into(),
                    path: "/pets".into(),
                    http_method: "GET".into(),
                    method_integration: Some(Integration {
                        integration_type: Some("AWS_PROXY".into()),
                        uri: Some("arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:222222222222:function:orders-dr/invocations".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            apis_v2: vec![],
            estate: Default::default(),
            gaps: vec![],
        }
    }

    #[test]
    fn a_point_of_the_recovery_side_goes_home_under_its_original_ids() {
        let forward =
            Mapping::parse("[lambda_functions]\n\"orders\" = \"orders-dr\"\n", None).unwrap();
        let home = rehome(&recovery_side(true), &forward.invert().unwrap()).unwrap();
        assert_eq!(home.source, src("111111111111", "us-east-1"));
        let api = &home.rest_apis[0];
        assert_eq!(api.api.id, "orig1");
        assert_eq!(
            api.api.tags,
            BTreeMap::from([("team".to_string(), "pets".to_string())])
        );
        assert_eq!(
            api.api.policy.as_deref(),
            Some(r#"{"Resource":"arn:aws:execute-api:us-east-1:111111111111:orig1/*"}"#)
        );
        assert_eq!(api.methods.len(), 1);
        assert_eq!(
            api.methods[0]
                .method_integration
                .as_ref()
                .unwrap()
                .uri
                .as_deref(),
            Some(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:111111111111:function:orders/invocations"
            )
        );
    }

    #[test]
    fn failback_needs_apis_restored_from_one_place() {
        let e = rehome(&recovery_side(false), &Mapping::empty())
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds no API that apigw-dr restored"), "{e}");
        let mut two = recovery_side(true);
        let mut other = two.rest_apis[0].clone();
        other.api.id = "rec2".into();
        other
            .api
            .tags
            .insert(TAG_SOURCE.into(), "333333333333/eu-west-1/x".into());
        two.rest_apis.push(other);
        let e = origin(&two).unwrap_err().to_string();
        assert!(
            e.contains("111111111111/us-east-1, 333333333333/eu-west-1") && e.contains("--api"),
            "{e}"
        );
    }
}
