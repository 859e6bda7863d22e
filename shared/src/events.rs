//! The events the Lambdas take, classified without I/O, and the event discovery sends to the
//! snapshot function.
//!
//! Discovery takes an EventBridge "Scheduled Event" (sweep every selected API) or an "AWS API
//! Call via CloudTrail" event from `apigateway.amazonaws.com` (snapshot only the API it
//! names). It hands work on as EventBridge events (source [`SOURCE`], detail-type
//! [`SNAPSHOT_REQUESTED`]) on the configured bus, one per API; a rule on that bus starts the
//! snapshot function. EventBridge rather than a direct async invoke: the hand-off is visible
//! (archive, replay, other consumers) and the rule is where throttling and retries are set.

use aws_lambda_events::cloudwatch_events::cloudtrail::AWSAPICall;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Error, Result};

pub const SOURCE: &str = "apigw-dr";
pub const SNAPSHOT_REQUESTED: &str = "Snapshot Requested";
const CLOUDTRAIL: &str = "AWS API Call via CloudTrail";
const SCHEDULED: &str = "Scheduled Event";

/// What discovery asks the snapshot function to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotRequest {
    /// REST API ids to capture together into one point.
    pub apis: Vec<String>,
    /// `schedule`, or `change:EVENTNAME`.
    pub trigger: String,
    /// The id of the event that caused it, for tracing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// What an incoming discovery event means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    /// Capture every selected API.
    Sweep { cause: Option<String> },
    /// Capture this one REST API (changed at `at_ms`, the event's time, when it has one).
    Api {
        id: String,
        trigger: String,
        cause: Option<String>,
        at_ms: Option<i64>,
    },
    /// A well-formed event that needs no recovery point (a failed or read-only call...).
    Ignored(String),
}

fn parse<T: serde::de::DeserializeOwned>(event: &Value, what: &str) -> Result<T> {
    serde_json::from_value(event.clone())
        .map_err(|e| Error::Invalid(format!("malformed {what}: {e}")))
}

/// The reserved "API id" that stands for the account's estate (domains, mappings, VPC links,
/// usage plans, keys, client certificates, account settings) in discovery, the debounce and
/// snapshot requests. No API id has parentheses.
pub const ESTATE: &str = "(estate)";

/// Control-plane operations on the estate (by the resource in their name).
const ESTATE_RESOURCES: &[&str] = &[
    "DomainName",
    "BasePathMapping",
    "ApiMapping",
    "VpcLink",
    "UsagePlan",
    "ApiKey",
    "ClientCertificate",
    "Account",
];

/// Classifies an event given to the discovery function.
pub fn classify_discovery(event: &Value) -> Result<Discovery> {
    let ev: EventBridgeEvent<Value> = parse(event, "event (expected an EventBridge event)")?;
    match (ev.source.as_str(), ev.detail_type.as_str()) {
        ("aws.events", SCHEDULED) => Ok(Discovery::Sweep { cause: ev.id }),
        ("aws.apigateway", CLOUDTRAIL) => {
            let call: AWSAPICall = parse(&ev.detail, "CloudTrail event detail")?;
            classify_call(
                &call,
                &ev.detail,
                ev.id,
                ev.time.map(|t| t.timestamp_millis()),
            )
        }
        (source, detail_type) => Err(Error::Invalid(format!(
            "unexpected event (source '{source}', detail-type '{detail_type}'): discovery takes \
             EventBridge Scheduled Events and API Gateway 'AWS API Call via CloudTrail' events"
        ))),
    }
}

fn classify_call(
    call: &AWSAPICall,
    detail: &Value,
    cause: Option<String>,
    at_ms: Option<i64>,
) -> Result<Discovery> {
    if call.event_source != "apigateway.amazonaws.com" {
        return Err(Error::Invalid(format!(
            "CloudTrail event from '{}': discovery takes only apigateway.amazonaws.com",
            call.event_source
        )));
    }
    let name = call.event_name.as_str();
    if let Some(code) = detail.get("errorCode").and_then(Value::as_str) {
        return Ok(Discovery::Ignored(format!(
            "{name} failed ({code}): nothing changed"
        )));
    }
    if name.starts_with("Get") || name.starts_with("List") {
        return Ok(Discovery::Ignored(format!("{name} is read-only")));
    }
    if name == "DeleteRestApi" || name == "DeleteApi" {
        return Ok(Discovery::Ignored(format!(
            "{name}: the API is gone; its recovery points stay"
        )));
    }
    // REST APIs are `restApiId`, HTTP and WebSocket APIs `apiId`; a new API is named only
    // in the response.
    let id = ["restApiId", "apiId"]
        .iter()
        .find_map(|k| call.request_parameters.get(*k).and_then(Value::as_str))
        .or_else(|| {
            let created = matches!(
                name,
                "CreateRestApi" | "ImportRestApi" | "CreateApi" | "ImportApi"
            );
            let response = call.response_elements.as_ref()?;
            created
                .then(|| {
                    response
                        .get("id")
                        .or_else(|| response.get("apiId"))?
                        .as_str()
                })
                .flatten()
        });
    let estate = || {
        ESTATE_RESOURCES
            .iter()
            .any(|r| name.contains(r))
            .then_some(ESTATE)
    };
    match id.or_else(estate) {
        Some(id) if !id.is_empty() => Ok(Discovery::Api {
            id: id.to_string(),
            trigger: format!("change:{name}"),
            cause,
            at_ms,
        }),
        _ => Ok(Discovery::Ignored(format!(
            "{name} changes no API (the scheduled sweep covers the rest)"
        ))),
    }
}

/// Reads the event the snapshot function is started with.
pub fn parse_snapshot_request(event: &Value) -> Result<SnapshotRequest> {
    let ev: EventBridgeEvent<Value> = parse(event, "event (expected an EventBridge event)")?;
    if ev.source != SOURCE || ev.detail_type != SNAPSHOT_REQUESTED {
        return Err(Error::Invalid(format!(
            "unexpected event (source '{}', detail-type '{}'): the snapshot function takes \
             '{SNAPSHOT_REQUESTED}' events from '{SOURCE}'",
            ev.source, ev.detail_type
        )));
    }
    let req: SnapshotRequest = parse(&ev.detail, "snapshot request")?;
    if req.apis.is_empty() || req.apis.iter().any(|a| a.trim().is_empty()) {
        return Err(Error::Invalid(
            "snapshot request names no REST API id".into(),
        ));
    }
    Ok(req)
}

/// An EventBridge bus the functions hand work over on: its name and the client that sends to
/// it (the EventBridge SDK stays in this module).
#[derive(Debug, Clone)]
pub struct Bus {
    client: aws_sdk_eventbridge::Client,
    name: String,
}

impl Bus {
    pub fn new(home: &aws_config::SdkConfig, name: &str) -> Bus {
        Bus {
            client: aws_sdk_eventbridge::Client::new(home),
            name: name.to_string(),
        }
    }
}

/// Sends snapshot requests to an EventBridge bus, ten to a PutEvents call.
pub async fn send_snapshot_requests(to: &Bus, requests: &[SnapshotRequest]) -> Result<()> {
    use aws_sdk_eventbridge::types::PutEventsRequestEntry;
    let (client, bus) = (&to.client, to.name.as_str());
    for chunk in requests.chunks(10) {
        let mut call = client.put_events();
        for r in chunk {
            let detail = serde_json::to_string(r).map_err(|e| Error::decode("encoding", e))?;
            call = call.entries(
                PutEventsRequestEntry::builder()
                    .event_bus_name(bus)
                    .source(SOURCE)
                    .detail_type(SNAPSHOT_REQUESTED)
                    .detail(detail)
                    .build(),
            );
        }
        let out = call.send().await.map_err(|e| {
            crate::awsconf::sdk_error(&format!("sending snapshot requests to the bus '{bus}'"), e)
        })?;
        if out.failed_entry_count() > 0 {
            let why: Vec<String> = out
                .entries()
                .iter()
                .filter_map(|e| e.error_message().map(str::to_string))
                .collect();
            return Err(Error::Unavailable(format!(
                "EventBridge refused {} of {} snapshot requests on the bus '{bus}': {}",
                out.failed_entry_count(),
                chunk.len(),
                why.join("; ")
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A CloudTrail event as EventBridge delivers it (shape from the AWS documentation).
    pub fn cloudtrail(name: &str, request: Value, response: Value) -> Value {
        json!({
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.apigateway",
            "account": "123456789012",
            "time": "2026-11-22T18:43:48Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {
                "eventVersion": "1.08",
                "userIdentity": {
                    "type": "AssumedRole",
                    "principalId": "AROAEXAMPLE:deployer",
                    "arn": "arn:aws:sts::123456789012:assumed-role/deployer/ci",
                    "accountId": "123456789012",
                    "accessKeyId": "ASIAEXAMPLE",
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Role",
                            "principalId": "AROAEXAMPLE",
                            "arn": "arn:aws:iam::123456789012:role/deployer",
                            "accountId": "123456789012",
                            "userName": "deployer"
                        },
                        "webIdFederationData": {},
                        "attributes": {"creationDate": "2026-11-22T18:40:00Z", "mfaAuthenticated": "false"}
                    }
                },
                "eventTime": "2026-11-22T18:43:48Z",
                "eventSource": "apigateway.amazonaws.com",
                "eventName": name,
                "awsRegion": "us-east-1",
                "sourceIPAddress": "203.0.113.10",
                "userAgent": "aws-cli/2.15.0",
                "requestParameters": request,
                "responseElements": response,
                "requestID": "4f5a3e5c-1e2b-4a1b-9a3c-123456789abc",
                "eventID": "d2b5e1f0-8a51-4c7d-bb0c-0123456789ab",
                "readOnly": false,
                "eventType": "AwsApiCall",
                "managementEvent": true,
                "recipientAccountId": "123456789012",
                "eventCategory": "Management"
            }
        })
    }

    #[test]
    fn scheduled_event_sweeps() {
        let ev = json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2015-10-08T16:53:06Z", "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"],
            "detail": {}
        });
        assert_eq!(
            classify_discovery(&ev).unwrap(),
            Discovery::Sweep {
                cause: Some("53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa".into())
            }
        );
    }

    #[test]
    fn cloudtrail_changes_name_their_api() {
        let put = cloudtrail(
            "PutMethod",
            json!({"restApiId": "a1b2c3", "resourceId": "r1", "httpMethod": "GET"}),
            json!({"httpMethod": "GET"}),
        );
        assert!(matches!(classify_discovery(&put).unwrap(),
            Discovery::Api { id, trigger, .. } if id == "a1b2c3" && trigger == "change:PutMethod"));
        let create = cloudtrail(
            "CreateRestApi",
            json!({"name": "orders"}),
            json!({"id": "zz9"}),
        );
        assert!(
            matches!(classify_discovery(&create).unwrap(), Discovery::Api { id, .. } if id == "zz9")
        );
    }

    #[test]
    fn changes_to_the_estate_name_the_estate() {
        for (name, params) in [
            ("CreateDomainName", json!({"domainName": "api.example.com"})),
            (
                "CreateBasePathMapping",
                json!({"domainName": "api.example.com"}),
            ),
            ("UpdateUsagePlan", json!({"usagePlanId": "u1"})),
            ("CreateApiKey", json!({"name": "alice"})),
            ("CreateVpcLink", json!({"name": "nlb"})),
            ("GenerateClientCertificate", json!({})),
            ("UpdateAccount", json!({})),
        ] {
            let ev = cloudtrail(name, params, json!({}));
            assert!(
                matches!(classify_discovery(&ev).unwrap(),
                    Discovery::Api { id, trigger, .. } if id == ESTATE && trigger == format!("change:{name}")),
                "{name}"
            );
        }
        // An API mapping names its API: that API's point holds the estate too.
        let m = cloudtrail(
            "CreateApiMapping",
            json!({"domainName": "api.example.com", "apiId": "h1"}),
            json!({}),
        );
        assert!(matches!(classify_discovery(&m).unwrap(), Discovery::Api { id, .. } if id == "h1"));
    }

    #[test]
    fn cloudtrail_non_changes_are_ignored() {
        let get = cloudtrail("GetRestApi", json!({"restApiId": "a"}), Value::Null);
        assert!(matches!(
            classify_discovery(&get).unwrap(),
            Discovery::Ignored(_)
        ));
        let v2 = cloudtrail(
            "CreateRoute",
            json!({"apiId": "h77", "routeKey": "GET /x"}),
            json!({}),
        );
        assert!(
            matches!(classify_discovery(&v2).unwrap(), Discovery::Api { id, .. } if id == "h77")
        );
        let new_v2 = cloudtrail("CreateApi", json!({"name": "x"}), json!({"apiId": "h88"}));
        assert!(
            matches!(classify_discovery(&new_v2).unwrap(), Discovery::Api { id, .. } if id == "h88")
        );
        let del = cloudtrail("DeleteRestApi", json!({"restApiId": "a"}), Value::Null);
        assert!(matches!(
            classify_discovery(&del).unwrap(),
            Discovery::Ignored(_)
        ));
        let mut failed = cloudtrail("PutMethod", json!({"restApiId": "a"}), Value::Null);
        failed["detail"]["errorCode"] = json!("BadRequestException");
        assert!(
            matches!(classify_discovery(&failed).unwrap(), Discovery::Ignored(m) if m.contains("failed"))
        );
    }

    /// The drill schedule's constant input (infra/template.yaml, DrillScheduleRule).
    #[test]
    fn the_drill_schedule_asks_for_a_drill_of_the_newest_point_by_default() {
        let ev = json!({"source": "apigw-dr", "detail-type": "Drill Requested", "detail": {"point": "latest"}});
        assert_eq!(
            classify_recovery(&ev, Some("orders-5xx")).unwrap(),
            Recovery::Drill {
                point: "latest".into()
            }
        );
        let ev = json!({"source": SOURCE, "detail-type": DRILL_REQUESTED, "detail": {}});
        assert_eq!(
            classify_recovery(&ev, None).unwrap(),
            Recovery::Drill {
                point: "latest".into()
            }
        );
        let ev =
            json!({"source": SOURCE, "detail-type": DRILL_REQUESTED, "detail": {"point": "ab12"}});
        assert_eq!(
            classify_recovery(&ev, None).unwrap(),
            Recovery::Drill {
                point: "ab12".into()
            }
        );
    }

    #[test]
    fn foreign_and_malformed_events_are_rejected() {
        let mut foreign = cloudtrail("PutObject", json!({}), Value::Null);
        foreign["source"] = json!("aws.s3");
        assert!(
            matches!(classify_discovery(&foreign), Err(Error::Invalid(m)) if m.contains("aws.s3"))
        );
        let mut wrong_service = cloudtrail("PutMethod", json!({"restApiId": "a"}), Value::Null);
        wrong_service["detail"]["eventSource"] = json!("lambda.amazonaws.com");
        assert!(matches!(
            classify_discovery(&wrong_service),
            Err(Error::Invalid(_))
        ));
        for junk in [
            json!(42),
            json!({"hello": "world"}),
            json!({"source": "aws.events"}),
        ] {
            let e = classify_discovery(&junk).unwrap_err();
            assert!(
                matches!(e, Error::Invalid(ref m) if m.starts_with("malformed")),
                "{junk}: {e}"
            );
        }
        let mut broken_detail = cloudtrail("PutMethod", json!({}), Value::Null);
        broken_detail["detail"] = json!({"eventName": 5});
        assert!(matches!(
            classify_discovery(&broken_detail),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn snapshot_requests_round_trip_and_are_checked() {
        let req = SnapshotRequest {
            apis: vec!["a1".into()],
            trigger: "schedule".into(),
            cause: None,
        };
        let ev = json!({
            "version": "0", "id": "x", "detail-type": SNAPSHOT_REQUESTED, "source": SOURCE,
            "account": "123456789012", "time": "2026-11-22T18:43:48Z", "region": "us-west-2",
            "resources": [], "detail": serde_json::to_value(&req).unwrap()
        });
        assert_eq!(parse_snapshot_request(&ev).unwrap(), req);
        let mut empty = ev.clone();
        empty["detail"]["apis"] = json!([]);
        assert!(parse_snapshot_request(&empty).is_err());
        let mut foreign = ev;
        foreign["source"] = json!("someone.else");
        assert!(matches!(
            parse_snapshot_request(&foreign),
            Err(Error::Invalid(_))
        ));
    }
}

pub const RESTORE_CONTINUES: &str = "Restore Continues";
/// Sent by the snapshot function, when standby is on, after it wrote a point: the recovery
/// function syncs the standby with it (crate::standby).
pub const STANDBY_SYNC: &str = "Standby Sync Requested";
/// Put by the drill schedule (template parameter `DrillSchedule`): the recovery function
/// drills a point (`detail.point`, default `latest`) into the recovery target (crate::drill).
pub const DRILL_REQUESTED: &str = "Drill Requested";
/// Sent by the template's check schedule (a rule's input): the recovery function checks the
/// newest point against its recovery target and publishes the problem count.
pub const CHECK_REQUESTED: &str = "Check Requested";
/// Sent by the recovery function at each restore job's end, with its report's summary (the
/// template routes it to the notification topic).
pub const RESTORE_ENDED: &str = "Restore Job Ended";
const ALARM_STATE_CHANGE: &str = "CloudWatch Alarm State Change";

/// The target of a direct recovery request: a Region, or a Region and a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TargetSpec {
    Region(String),
    Full {
        region: Option<String>,
        #[serde(default, alias = "role_arn", rename = "roleArn")]
        role_arn: Option<String>,
    },
}

/// A direct request to the recovery function: `{"point": "latest", "target": "us-west-2",
/// "dry_run": true}` (every field optional: the function's configuration fills the rest), or a
/// failback: `{"failback": true, "target": {"region": "us-east-1", "roleArn": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryRequest {
    #[serde(default)]
    pub point: Option<String>,
    #[serde(default)]
    pub target: Option<TargetSpec>,
    #[serde(default, alias = "dryRun")]
    pub dry_run: bool,
    /// REST API names to restore (default: the configured selection).
    #[serde(default)]
    pub apis: Vec<String>,
    /// The way home ([`crate::failback`]): `point` (default: the newest point taken in the last
    /// failover's target) restored in place into `target`, the source, the mapping inverted.
    #[serde(default)]
    pub failback: bool,
}

/// What an event given to the recovery function means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// An alarm went to ALARM: fail over. `event_id` makes a redelivered event start no
    /// second job.
    Alarm {
        alarm: String,
        event_id: String,
    },
    Request(RecoveryRequest),
    /// A job that ran out of time in an earlier invocation.
    Continue {
        job: String,
    },
    /// Sync the standby with this point (standby on; crate::standby).
    Standby {
        point: String,
    },
    /// Drill this point into the recovery target (crate::drill).
    Drill {
        point: String,
    },
    /// Check the readiness of the newest point(s) for the recovery target (reads only).
    Check,
    Ignored(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlarmDetail {
    alarm_name: String,
    state: AlarmState,
    #[serde(default)]
    previous_state: Option<AlarmState>,
}

#[derive(Deserialize)]
struct AlarmState {
    value: String,
}

/// Classifies an event given to the recovery function. `alarm_name`, when set, is the only
/// alarm that starts a failover.
pub fn classify_recovery(event: &Value, alarm_name: Option<&str>) -> Result<Recovery> {
    let is_eventbridge = event.get("detail-type").is_some() && event.get("source").is_some();
    if !is_eventbridge {
        let req: RecoveryRequest = parse(
            event,
            "recovery request (expected {\"point\", \"target\", \"dry_run\"} or an EventBridge event)",
        )?;
        return Ok(Recovery::Request(req));
    }
    let ev: EventBridgeEvent<Value> = parse(event, "EventBridge event")?;
    match (ev.source.as_str(), ev.detail_type.as_str()) {
        ("aws.cloudwatch", ALARM_STATE_CHANGE) => {
            let d: AlarmDetail = parse(&ev.detail, "alarm state change detail")?;
            if let Some(want) = alarm_name
                && want != d.alarm_name
            {
                return Ok(Recovery::Ignored(format!(
                    "alarm '{}' is not the configured alarm '{want}'",
                    d.alarm_name
                )));
            }
            if d.state.value != "ALARM" {
                return Ok(Recovery::Ignored(format!(
                    "alarm '{}' went to {}: only ALARM starts a failover",
                    d.alarm_name, d.state.value
                )));
            }
            if d.previous_state
                .as_ref()
                .is_some_and(|p| p.value == "ALARM")
            {
                return Ok(Recovery::Ignored(format!(
                    "alarm '{}' was already in ALARM",
                    d.alarm_name
                )));
            }
            let event_id = ev
                .id
                .filter(|i| !i.is_empty())
                .ok_or_else(|| Error::Invalid("alarm state change event without an id".into()))?;
            Ok(Recovery::Alarm {
                alarm: d.alarm_name,
                event_id,
            })
        }
        (SOURCE, RESTORE_CONTINUES) => Ok(Recovery::Continue {
            job: named(&ev.detail, RESTORE_CONTINUES, "job")?,
        }),
        (SOURCE, STANDBY_SYNC) => Ok(Recovery::Standby {
            point: named(&ev.detail, STANDBY_SYNC, "point")?,
        }),
        (SOURCE, DRILL_REQUESTED) => Ok(Recovery::Drill {
            point: named(&ev.detail, DRILL_REQUESTED, "point").unwrap_or_else(|_| "latest".into()),
        }),
        (SOURCE, CHECK_REQUESTED) => Ok(Recovery::Check),
        (source, detail_type) => Err(Error::Invalid(format!(
            "unexpected event (source '{source}', detail-type '{detail_type}'): the recovery function \
             takes 'CloudWatch Alarm State Change' events, '{RESTORE_CONTINUES}', '{STANDBY_SYNC}', '{DRILL_REQUESTED}' and '{CHECK_REQUESTED}' events and direct requests"
        ))),
    }
}

/// The non-empty text field `field` of an event's detail, which an event of `kind` must name.
fn named(detail: &Value, kind: &str, field: &str) -> Result<String> {
    detail
        .get(field)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .ok_or_else(|| Error::Invalid(format!("'{kind}' event names no {field}")))
}

/// Asks for the next run of a job that ran out of time.
pub async fn send_continue(to: &Bus, job: &str) -> Result<()> {
    put_one(
        to,
        RESTORE_CONTINUES,
        serde_json::json!({ "job": job }),
        &format!("continue job {job}"),
    )
    .await
}

/// Asks the recovery function to sync the standby with `point` (a point just written).
pub async fn send_standby_sync(to: &Bus, point: &str) -> Result<()> {
    put_one(
        to,
        STANDBY_SYNC,
        serde_json::json!({ "point": point }),
        &format!("sync the standby with point {}", crate::model::short(point)),
    )
    .await
}

/// The detail of a [`RESTORE_ENDED`] event: the job, its phase, point, target and trigger,
/// whether it was a standby sync, and one line saying how it went (no request or response).
pub fn restore_ended(job: &crate::records::JobRecord) -> Value {
    let target = job.report.as_ref().map_or_else(
        || job.request.to_region.clone().unwrap_or_default(),
        |r| r.target.short(),
    );
    let point = crate::model::short(&job.request.point);
    let summary = match (&job.report, &job.error) {
        (_, Some(e)) => format!("{}: {e}", job.phase),
        (Some(r), None) => format!(
            "{}: {} API(s) of point {point} restored into {target} in {:.0} s ({} calls)",
            job.phase,
            r.apis.len(),
            r.seconds,
            r.calls
        ),
        (None, None) => format!("{}: point {point} into {target}", job.phase),
    };
    serde_json::json!({
        "job": job.id,
        "phase": job.phase,
        "point": job.request.point,
        "target": target,
        "trigger": job.trigger,
        "standby": job.request.standby,
        "summary": summary,
    })
}

/// Says on the bus that a restore job ended ([`restore_ended`]).
pub async fn send_restore_ended(to: &Bus, job: &crate::records::JobRecord) -> Result<()> {
    put_one(
        to,
        RESTORE_ENDED,
        restore_ended(job),
        &format!("tell that job {} ended", job.id),
    )
    .await
}

/// Puts one event of ours (`detail_type`, `detail`) on the bus; `what` names it in errors.
async fn put_one(to: &Bus, detail_type: &str, detail: Value, what: &str) -> Result<()> {
    use aws_sdk_eventbridge::types::PutEventsRequestEntry;
    let (client, bus) = (&to.client, to.name.as_str());
    let out = client
        .put_events()
        .entries(
            PutEventsRequestEntry::builder()
                .event_bus_name(bus)
                .source(SOURCE)
                .detail_type(detail_type)
                .detail(detail.to_string())
                .build(),
        )
        .send()
        .await
        .map_err(|e| crate::awsconf::sdk_error(&format!("asking the bus '{bus}' to {what}"), e))?;
    if out.failed_entry_count() > 0 {
        return Err(Error::Unavailable(format!("EventBridge refused to {what}")));
    }
    Ok(())
}

#[cfg(test)]
mod recovery_tests {
    use super::*;
    use serde_json::json;

    /// As EventBridge delivers it (shape from the AWS documentation).
    fn alarm(name: &str, from: &str, to: &str) -> Value {
        json!({
            "version": "0",
            "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
            "detail-type": "CloudWatch Alarm State Change",
            "source": "aws.cloudwatch",
            "account": "123456789012",
            "time": "2019-10-02T17:04:40Z",
            "region": "us-east-1",
            "resources": [format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}")],
            "detail": {
                "alarmName": name,
                "configuration": {"description": "5xx on the orders API", "metrics": []},
                "previousState": {"reason": "ok", "timestamp": "2019-10-02T17:04:40.985+0000", "value": from},
                "state": {"reason": "threshold crossed", "timestamp": "2019-10-02T17:04:40.989+0000", "value": to}
            }
        })
    }

    #[test]
    fn only_the_configured_alarm_going_to_alarm_starts_a_failover() {
        assert_eq!(
            classify_recovery(&alarm("orders-5xx", "OK", "ALARM"), Some("orders-5xx")).unwrap(),
            Recovery::Alarm {
                alarm: "orders-5xx".into(),
                event_id: "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92".into()
            }
        );
        for (ev, cfg) in [
            (alarm("orders-5xx", "ALARM", "OK"), Some("orders-5xx")),
            (alarm("orders-5xx", "OK", "INSUFFICIENT_DATA"), None),
            (alarm("orders-5xx", "ALARM", "ALARM"), None),
            (alarm("other", "OK", "ALARM"), Some("orders-5xx")),
        ] {
            assert!(
                matches!(classify_recovery(&ev, cfg).unwrap(), Recovery::Ignored(_)),
                "{ev}"
            );
        }
    }

    #[test]
    fn direct_requests_and_continuations() {
        let r = classify_recovery(
            &json!({"point": "latest", "target": "us-west-2", "dry_run": true}),
            None,
        )
        .unwrap();
        assert_eq!(
            r,
            Recovery::Request(RecoveryRequest {
                point: Some("latest".into()),
                target: Some(TargetSpec::Region("us-west-2".into())),
                dry_run: true,
                apis: vec![],
                failback: false,
            })
        );
        let r = classify_recovery(
            &json!({"target": {"region": "eu-west-1", "roleArn": "arn:aws:iam::1:role/r"}, "failback": true}),
            None,
        )
        .unwrap();
        assert!(matches!(
            r,
            Recovery::Request(RecoveryRequest {
                target: Some(TargetSpec::Full { .. }),
                failback: true,
                ..
            })
        ));
        let cont = json!({"version": "0", "id": "x", "detail-type": RESTORE_CONTINUES, "source": SOURCE,
            "account": "1", "time": "2026-11-22T00:00:00Z", "region": "us-west-2", "resources": [], "detail": {"job": "job-1"}});
        assert_eq!(
            classify_recovery(&cont, None).unwrap(),
            Recovery::Continue {
                job: "job-1".into()
            }
        );
    }

    #[test]
    fn a_standby_sync_names_its_point() {
        let mut ev = json!({"version": "0", "id": "x", "detail-type": STANDBY_SYNC, "source": SOURCE,
            "account": "1", "time": "2026-11-22T00:00:00Z", "region": "us-west-2", "resources": [], "detail": {"point": "ab12"}});
        assert_eq!(
            classify_recovery(&ev, Some("orders-5xx")).unwrap(),
            Recovery::Standby {
                point: "ab12".into()
            }
        );
        ev["detail"] = json!({});
        let e = classify_recovery(&ev, None).unwrap_err();
        assert!(matches!(e, Error::Invalid(_)), "{e:?}");
        assert!(e.to_string().contains("names no point"), "{e}");
    }

    /// As the template's check schedule delivers it (its input transformer's template).
    #[test]
    fn a_scheduled_check_is_a_check() {
        let ev = json!({"version": "0", "id": "e-1", "detail-type": "Check Requested", "source": "apigw-dr",
            "account": "123456789012", "time": "2026-11-22T00:00:00Z", "region": "us-west-2",
            "resources": [], "detail": {}});
        assert_eq!(
            classify_recovery(&ev, Some("orders-5xx")).unwrap(),
            Recovery::Check
        );
        // The schedule's own event is not one: the rule must transform it.
        let mut raw = ev.clone();
        raw["source"] = json!("aws.events");
        raw["detail-type"] = json!("Scheduled Event");
        assert!(classify_recovery(&raw, None).is_err());
    }

    #[test]
    fn a_restore_job_end_says_how_it_went_in_one_line() {
        use crate::records::{JobRecord, JobRequest, Phase};
        let mut job = JobRecord::new(
            JobRequest {
                point: "0123456789abcdef0123".into(),
                to_region: Some("us-west-2".into()),
                ..Default::default()
            },
            "alarm:orders-5xx",
        );
        job.phase = Phase::Failed;
        job.error = Some("the target refused CreateRestApi (AccessDenied): allow it".into());
        let d = restore_ended(&job);
        assert_eq!(d["phase"], "Failed");
        assert_eq!(d["target"], "us-west-2");
        assert_eq!(d["standby"], false);
        assert_eq!(d["trigger"], "alarm:orders-5xx");
        let summary = d["summary"].as_str().unwrap();
        assert!(
            summary.starts_with("Failed: the target refused"),
            "{summary}"
        );
        assert!(!summary.contains('\n'));
        job.error = None;
        job.phase = Phase::Succeeded;
        let summary = restore_ended(&job)["summary"].as_str().unwrap().to_string();
        assert!(summary.starts_with("Succeeded: point "), "{summary}");
        assert!(summary.contains("into us-west-2"), "{summary}");
    }

    #[test]
    fn foreign_and_malformed_events_are_rejected() {
        for bad in [
            json!({"pointt": "x"}),
            json!(7),
            json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}),
            json!({"detail-type": ALARM_STATE_CHANGE, "source": "aws.cloudwatch", "detail": {"alarmName": 3}}),
        ] {
            assert!(
                matches!(classify_recovery(&bad, None), Err(Error::Invalid(_))),
                "{bad}"
            );
        }
    }
}
